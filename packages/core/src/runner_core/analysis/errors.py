"""Errors of the complexity analysis, each also the class MMEngine raises in its place."""

from __future__ import annotations

from ..errors import RunnerError


class AnalysisError(RunnerError, ValueError):
    """A bad argument to an analyzer or to ``get_model_complexity_info``.

    A ``ValueError``, as MMEngine raises for ``input_shape``/``inputs`` and
    for an unknown ``ancestor_mode``/``tracer_warnings`` mode.
    """


class AnalysisKeyError(AnalysisError, KeyError):
    """A module name that is not in the analyzed model (MMEngine: KeyError)."""


class AnalysisTypeError(AnalysisError, TypeError):
    """Arguments of the wrong type, such as an odd number of ``set_op_handle`` pairs
    (MMEngine: TypeError)."""


class OpCountError(AnalysisError):
    """An operator handle returned something that is not a number (MMEngine: ValueError)."""


class ModuleNameTypeError(AnalysisTypeError, AssertionError):
    """A module given by reference rather than by name (MMEngine asserts: AssertionError)."""
