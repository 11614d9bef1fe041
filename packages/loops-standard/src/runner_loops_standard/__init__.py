"""The standard loops, registered in runner-core's LOOPS through entry points.

The Runner finds them through entry points (``runner.loops``); importing this
package imports none of them (nor torch) until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner_core.lazy import lazy_exports

from .__about__ import __version__

_LAZY = {
    "BaseEvalLoop": ".evaluate",
    "TestLoop": ".evaluate",
    "ValLoop": ".evaluate",
    "BaseTrainLoop": ".train",
    "EmptyDataError": ".train",
    "EpochBasedTrainLoop": ".train",
    "IterBasedTrainLoop": ".train",
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from .evaluate import BaseEvalLoop as BaseEvalLoop
    from .evaluate import TestLoop as TestLoop
    from .evaluate import ValLoop as ValLoop
    from .train import BaseTrainLoop as BaseTrainLoop
    from .train import EmptyDataError as EmptyDataError
    from .train import EpochBasedTrainLoop as EpochBasedTrainLoop
    from .train import IterBasedTrainLoop as IterBasedTrainLoop
else:  # type checkers see the real names above, so a misspelled import is an error
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
