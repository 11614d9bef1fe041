"""Free the Runners a process dropped before another one runs.

A Runner holds its loops and each loop holds its runner (``loop.runner``), so
a Runner no longer referenced is freed only when Python's cyclic collector
runs, which may be long after: its model, optimizer state and persistent
loader workers stay meanwhile. A notebook cell run again, or a sweep building
one Runner per trial in one process, then held every earlier trial's memory
(and GPU memory) on top of the new one's. So the first run call after a new
Runner was built runs the collector if an earlier Runner of this process has
not been freed yet; a process with one Runner pays nothing, and one that keeps
many Runners alive on purpose pays one collection (~0.1 s) per new Runner. Set
``enabled = False`` here to leave collection to Python (a test suite building
thousands of Runners in one process does).
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

#: whether a new Runner's first run call collects the dropped ones
enabled = True
#: the Runners of this process not freed yet
_built: weakref.WeakSet[Any] = weakref.WeakSet()
#: whether a Runner was built since the collector last ran here
_new_since_collect = False


def track_runner(runner: Any) -> None:
    """Count ``runner`` among this process's Runners (when it is built)."""
    global _new_since_collect
    _built.add(runner)
    _new_since_collect = True


def free_dropped_runners() -> None:
    """Collect the earlier Runners nothing references any more (before a run call), once
    per new Runner: by then a notebook's ``runner = Runner(...)`` has let the old one go."""
    global _new_since_collect
    if enabled and _new_since_collect and len(_built) > 1:  # only the collector can tell (~0.1 s)
        gc.collect()
    _new_since_collect = False
