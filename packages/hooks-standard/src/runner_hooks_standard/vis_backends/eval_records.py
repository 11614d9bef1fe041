"""Keep validation bookkeeping off the training curves of step-based backends.

The LoggerHook sends one record per training log (step = iteration, with
``time``, ``data_time``, ``iter`` and ``epoch``) and one per validation
(step = epoch in epoch-based runs, with ``time`` and ``data_time`` too, as
MMEngine's). In a backend that draws one curve per key against the step
(TensorBoard), the shared keys then jump between iteration and epoch steps:
a zig-zag. A validation record's bookkeeping keys are therefore written as
``val/<key>``, and position counters (``epoch``, ``iter``: the step already
says where), which records of other writers may carry, are dropped. Metrics
keep their names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: keys both kinds of record carry that are timings or counters, not metrics
BOOKKEEPING = ("time", "data_time", "memory")
POSITION = ("epoch", "iter")


def is_eval_record(record: Mapping[str, Any]) -> bool:
    """A validation/test record: per epoch (no ``iter``), or with neither a learning
    rate nor a loss.

    Training records always carry ``iter`` and the learning rate (``lr``, or
    ``<group>.lr`` / ``base_lr``: keys ending in ``lr``) and the loss.
    """
    if "iter" not in record:
        return True
    return not any(str(k).endswith("lr") or str(k).startswith("loss") for k in record)


def separate_eval_keys(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record to write: for a validation record, ``val/time`` etc. and no counters."""
    if not is_eval_record(record):
        return dict(record)
    return {
        (f"val/{k}" if k in BOOKKEEPING else k): v for k, v in record.items() if k not in POSITION
    }
