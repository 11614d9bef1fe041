"""``check_cfg``: the training loops' checks of train_cfg's numbers, without data, as the
loops make them (``runner-cli config check`` calls it)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from runner_core.errors import ConfigError
from runner_loops_standard import EpochBasedTrainLoop, IterBasedTrainLoop

BAD = [
    (EpochBasedTrainLoop, dict(max_epochs="2")),
    (EpochBasedTrainLoop, dict(max_epochs=0)),
    (EpochBasedTrainLoop, dict(max_epochs=2, val_interval=0)),
    (EpochBasedTrainLoop, dict(max_epochs=2, val_interval="2")),
    (EpochBasedTrainLoop, dict(max_epochs=2, val_begin=-1)),
    (EpochBasedTrainLoop, dict(max_epochs=2, dynamic_intervals=[(1, 2, 3)])),
    (EpochBasedTrainLoop, dict(max_epochs=2, dynamic_intervals=[(1, 0)])),
    (EpochBasedTrainLoop, dict(max_epochs=2, dynamic_intervals=5)),  # was a bare TypeError
    (EpochBasedTrainLoop, dict(max_epochs=2, val_interval=float("nan"))),  # a ValueError
    (IterBasedTrainLoop, dict(max_iters=float("inf"))),  # an OverflowError
    (IterBasedTrainLoop, dict(max_iters=2.5)),
    (IterBasedTrainLoop, dict(max_iters=-5, val_begin=-1)),  # the loop's order: val_begin first
]


def _build(cls: Any, cfg: dict[str, Any]) -> Any:
    runner = SimpleNamespace(hook_points=object())
    return cls(runner, [0, 1, 2], **cfg)


@pytest.mark.parametrize(("cls", "cfg"), BAD, ids=[f"{c.__name__}-{v}" for c, v in BAD])
def test_check_cfg_raises_what_building_the_loop_raises(cls: Any, cfg: dict) -> None:
    with pytest.raises(ConfigError) as built:
        _build(cls, cfg)
    with pytest.raises(ConfigError) as checked:
        cls.check_cfg(cfg)
    assert type(checked.value) is type(built.value)
    assert str(checked.value) == str(built.value)


def test_good_numbers_and_defaults_pass() -> None:
    good = dict(max_epochs=3, val_begin=0, val_interval=2, dynamic_intervals=[(2, 1)])
    EpochBasedTrainLoop.check_cfg(good)
    _build(EpochBasedTrainLoop, good)
    EpochBasedTrainLoop.check_cfg({})  # the defaults are valid
    IterBasedTrainLoop.check_cfg(dict(max_iters=10, val_interval=5))


def test_each_loop_checks_only_its_own_keys() -> None:
    """max_iters is no argument of the epoch-based loop: reported as such, not as a number."""
    EpochBasedTrainLoop.check_cfg(dict(max_epochs=2, max_iters="x"))
    IterBasedTrainLoop.check_cfg(dict(max_iters=2, max_epochs="x"))


def test_numpy_numbers_are_whole_numbers_too() -> None:
    import numpy as np

    cfg = dict(max_epochs=np.int64(3), val_interval=np.float32(2.0), val_begin=np.float64(1.0))
    EpochBasedTrainLoop.check_cfg(cfg)
    loop = _build(EpochBasedTrainLoop, cfg)
    assert (loop.max_epochs, loop.val_interval, loop.val_begin) == (3, 2, 1)
    assert type(loop.max_epochs) is int
