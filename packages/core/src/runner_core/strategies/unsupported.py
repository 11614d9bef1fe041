"""``DeepSpeedStrategy`` and ``ColossalAIStrategy``: names a config may use, refused clearly.

They are registered so that ``strategy=dict(type='DeepSpeedStrategy')`` says
what is missing instead of "no such strategy". MMEngine raises when the
package is not installed: an ``AssertionError`` for DeepSpeed, a
``ModuleNotFoundError`` for ColossalAI; :class:`StrategyNotSupportedError` is both.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ..errors import RunnerError
from .base import BaseStrategy


class StrategyNotSupportedError(RunnerError, ModuleNotFoundError, AssertionError):
    """A strategy whose engine (DeepSpeed, ColossalAI) runner does not drive."""


def _refuse(strategy: str, package: str, install: str) -> NoReturn:
    error = StrategyNotSupportedError(
        f"strategy=dict(type='{strategy}') needs the {package!r} package, and runner's "
        f"FlexibleRunner does not support {strategy} yet (installing it, `{install}`, does "
        "not change that). Use strategy=dict(type='FSDPStrategy') for sharded parameters, "
        "gradients and optimizer state (mixed precision and CPU offload included, see "
        "docs/distributed.md) or DDPStrategy, or run this config with MMEngine."
    )
    error.name = package  # as ModuleNotFoundError names the missing module
    raise error


class DeepSpeedStrategy(BaseStrategy):
    """MMEngine's DeepSpeed strategy: not supported by runner; building it raises."""

    def __init__(self, **kwargs: Any) -> None:
        _refuse("DeepSpeedStrategy", "deepspeed", "pip install deepspeed")


class ColossalAIStrategy(BaseStrategy):
    """MMEngine's ColossalAI strategy: not supported by runner; building it raises."""

    def __init__(self, **kwargs: Any) -> None:
        _refuse("ColossalAIStrategy", "colossalai", "pip install -U colossalai")
