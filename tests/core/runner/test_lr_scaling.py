"""``auto_scale_lr``: the batch size it scales by, and the options it refuses before training."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, SequentialSampler, TensorDataset

from runner_core import Runner
from runner_core.errors import ConfigError
from runner_core.model import ModuleAdapter
from runner_core.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module(name="LrScalingBatchSampler", force=True)
class _GroupingBatchSampler(BatchSampler):
    """A batch sampler built from a config (mmdet's AspectRatioBatchSampler pattern)."""


class _NoBatchSize:
    """Batches of 4 from a sampler that does not say its batch size."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        return iter([list(range(i, min(i + 4, self.n))) for i in range(0, self.n, 4)])

    def __len__(self) -> int:
        return (self.n + 3) // 4


def _data() -> TensorDataset:
    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(0))
    return TensorDataset(x, x.sum(1, keepdim=True))


def _runner(tmp_path: Path, train_dataloader: Any, **scale: Any) -> Runner:
    return Runner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(tmp_path),
        train_dataloader=train_dataloader,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        auto_scale_lr=dict(enable=True, **scale),
        default_hooks=dict(logger=dict(interval=1, progress_bar=False), checkpoint=None),
    )


def _lr(runner: Runner) -> float:
    return float(runner.optim_wrapper.param_groups[0]["lr"])


def test_a_configured_batch_sampler_scales_by_the_configured_batch_size(tmp_path: Path) -> None:
    """The built loader has batch_size None; MMEngine scales by the config's batch_size."""
    loader = dict(
        dataset=_data(),
        batch_size=4,
        batch_sampler=dict(type="LrScalingBatchSampler", drop_last=False),
    )
    runner = _runner(tmp_path, loader, base_batch_size=8)
    runner.train()
    assert _lr(runner) == pytest.approx(0.01 * 4 / 8)


def test_a_built_loader_with_a_batch_sampler_scales_by_the_samplers_batch_size(
    tmp_path: Path,
) -> None:
    data = _data()
    loader = DataLoader(data, batch_sampler=BatchSampler(SequentialSampler(data), 4, False))
    assert loader.batch_size is None
    runner = _runner(tmp_path, loader, base_batch_size=16)
    runner.train()
    assert _lr(runner) == pytest.approx(0.01 * 4 / 16)


def test_a_loader_without_any_batch_size_is_refused(tmp_path: Path) -> None:
    loader = DataLoader(_data(), batch_sampler=_NoBatchSize(16))
    runner = _runner(tmp_path, loader, base_batch_size=8)
    with pytest.raises(ConfigError, match="auto_scale_lr needs the batch size") as info:
        runner.train()
    assert "train_dataloader" in str(info.value)
    assert _lr(runner) == pytest.approx(0.01)  # nothing scaled by a guessed batch size


def test_a_numeric_string_base_batch_size_is_read_as_mmengine_reads_it(tmp_path: Path) -> None:
    runner = _runner(tmp_path, dict(dataset=_data(), batch_size=4), base_batch_size="8")
    runner.train()
    assert _lr(runner) == pytest.approx(0.01 * 4 / 8)


@pytest.mark.parametrize(
    ("scale", "standard", "message"),
    [
        (dict(enable=True, base_batch_size=0), ZeroDivisionError, "cannot be 0"),
        # a string switch scaled: 'False' is True
        (dict(enable="False", base_batch_size=8), TypeError, "enable='False' is not valid"),
        (dict(enable=True, base_batch_size="eight"), ValueError, "base_batch_size='eight'"),
        (dict(enable=True, base_batch_size=-8), ValueError, "must be a batch size > 0"),
        (dict(enable=True), AssertionError, "has no base_batch_size"),
        (True, AttributeError, r"auto_scale_lr is True, but it must be a dict"),
    ],
)
def test_unusable_auto_scale_lr_is_refused_when_the_runner_is_built(
    tmp_path: Path, scale: Any, standard: type, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        Runner(model=nn.Linear(2, 1), work_dir=str(tmp_path), auto_scale_lr=scale)
    assert isinstance(info.value, standard)  # what MMEngine raises (inside train())
    # base_batch_size=0 is there: the message must not say it is missing
    assert ("has no base_batch_size" in str(info.value)) == (message == "has no base_batch_size")
