"""A small real task for the loop tests: the digits MLP on a short schedule."""

from __future__ import annotations

from typing import Any

import pytest
from digits import digits_cfg


@pytest.fixture
def cfg(tmp_path) -> dict[str, Any]:
    """Digits MLP, 2 epochs, checkpoints and logs in tmp_path."""
    out = digits_cfg(str(tmp_path), param_scheduler=None)
    out["train_cfg"] = dict(by_epoch=True, max_epochs=2)
    out["default_hooks"] = dict(logger=dict(type="LoggerHook", interval=1000))
    return out
