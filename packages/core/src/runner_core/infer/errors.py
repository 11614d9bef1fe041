"""Errors an inferencer raises, each also the exception MMEngine raises in the same place.

Kept free of torch, so code that only catches them stays cheap to import.
"""

from __future__ import annotations

from ..errors import RunnerError


class InferencerError(RunnerError, ValueError):
    """An inferencer was given an argument it cannot use (MMEngine: ValueError).

    Unknown call keywords, a ``batch_size`` below 1, ``model=None`` without
    ``weights``, a checkpoint that carries no config.
    """


class InferencerTypeError(InferencerError, TypeError):
    """``model`` is neither a config file, a ``Config`` nor a dict (MMEngine: TypeError)."""


class InferencerAttributeError(InferencerError, AttributeError):
    """The config has no ``model`` key, or the model has no ``test_step`` (MMEngine reads
    the missing attribute and fails with an AttributeError)."""


class InferencerDefinitionError(InferencerError, AssertionError):
    """A subclass declares its call keywords wrongly (MMEngine asserts at class creation)."""


class ModelZooError(InferencerError, NotImplementedError, AssertionError):
    """A model name or a model-zoo listing was asked for: runner never downloads a model.

    Also what MMEngine raises there: a ``ValueError`` ("Cannot find model"), an
    ``AssertionError`` (no scope, or one it does not know).
    """


__all__ = [
    "InferencerAttributeError",
    "InferencerDefinitionError",
    "InferencerError",
    "InferencerTypeError",
    "ModelZooError",
]
