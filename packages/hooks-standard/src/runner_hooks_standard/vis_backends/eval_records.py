"""Keep validation bookkeeping off the training curves of step-based backends.

The LoggerHook sends one record per training log (step = iteration, with
``time``, ``data_time``, ``iter`` and ``epoch``) and one per validation
(step = epoch in epoch-based runs, with ``time`` and ``data_time`` too, as
MMEngine's). In a backend that draws one curve per key against the step
(TensorBoard), the shared keys then jump between iteration and epoch steps:
a zig-zag. A validation record's bookkeeping keys are therefore written as
``val/<key>``, and position counters (``epoch``, ``iter``: the step already
says where) are dropped. Metrics keep their names.

Only the LoggerHook's own validation and test records are rewritten: it writes
them inside :func:`writing_eval_record`. Scalars a user or another hook logs
reach every backend under the names they were given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: keys both kinds of record carry that are timings or counters, not metrics
BOOKKEEPING = ("time", "data_time", "memory")
POSITION = ("epoch", "iter")

_writing_eval = ContextVar("runner_hooks_standard_writing_eval_record", default=False)


@contextmanager
def writing_eval_record() -> Iterator[None]:
    """Mark the scalars written inside as one validation/test record of the LoggerHook."""
    token = _writing_eval.set(True)
    try:
        yield
    finally:
        _writing_eval.reset(token)


def separate_eval_keys(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record to write: inside :func:`writing_eval_record`, ``val/time`` etc. and no
    counters; anything else as given."""
    if not _writing_eval.get():
        return dict(record)
    return {
        (f"val/{k}" if k in BOOKKEEPING else k): v for k, v in record.items() if k not in POSITION
    }
