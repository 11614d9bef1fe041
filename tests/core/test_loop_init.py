"""A custom loop whose ``__init__`` forgets ``super().__init__(...)`` gets an error that
says so when the Runner builds it (MMEngine: an AttributeError on ``'_iter'`` later)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.loop import BaseLoop, LoopInitError
from runner_core.model import ModuleAdapter
from runner_loops_standard import EpochBasedTrainLoop, ValLoop


class ForgetfulEpochLoop(EpochBasedTrainLoop):
    def __init__(self, runner: Any, dataloader: Any, max_epochs: int, **kwargs: Any) -> None:
        self.note = "no super().__init__"


class ForgetfulBaseLoop(BaseLoop):
    mode = "train"

    def __init__(self, runner: Any, dataloader: Any, max_epochs: int = 1) -> None:
        self.max_epochs = max_epochs

    def run(self) -> Any:
        return None


class HalfInitialisedLoop(EpochBasedTrainLoop):
    """Runs BaseLoop's __init__ but skips EpochBasedTrainLoop's (its counters)."""

    def __init__(self, runner: Any, dataloader: Any, max_epochs: int) -> None:
        BaseLoop.__init__(self, runner, dataloader)


class ForgetfulValLoop(ValLoop):
    def __init__(self, runner: Any, dataloader: Any, evaluator: Any, **kwargs: Any) -> None:
        pass


class MMEngineStyleLoop(BaseLoop):
    """Sets MMEngine's ``_runner`` itself instead of calling super().__init__."""

    mode = "train"

    def __init__(self, runner: Any, dataloader: Any, max_epochs: int = 1) -> None:
        self._runner = runner
        self.dataloader = runner.build_dataloader(dataloader)
        self._epoch = self._iter = 0

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    def run(self) -> Any:
        for _ in self.dataloader:
            self._iter += 1
        return self.runner.model


class Err:
    def process(self, data_batch: Any, data_samples: Any) -> None:
        pass

    def evaluate(self, size: int) -> dict[str, float]:
        return {"err": 0.0}


def _runner(work_dir: Path, **kwargs: Any) -> Runner:
    x = torch.randn(8, 2)
    data = dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4)
    return Runner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(work_dir),
        train_dataloader=data,
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        val_dataloader=data,
        val_evaluator=Err(),
        default_hooks=dict(logger=dict(interval=1, progress_bar=False)),
        **kwargs,
    )


@pytest.mark.parametrize(
    ("cls", "base", "call"),
    [
        (
            ForgetfulEpochLoop,
            "EpochBasedTrainLoop",
            "super().__init__(runner, dataloader, max_epochs)",
        ),
        (ForgetfulBaseLoop, "BaseLoop", "super().__init__(runner, dataloader)"),
        (
            HalfInitialisedLoop,
            "EpochBasedTrainLoop",
            "super().__init__(runner, dataloader, max_epochs)",
        ),
    ],
)
def test_a_train_loop_without_super_init_names_the_fix(
    tmp_path: Path, cls: type, base: str, call: str
) -> None:
    runner = _runner(tmp_path, train_cfg=dict(type=cls, max_epochs=1))
    with pytest.raises(LoopInitError) as caught:
        runner.train()
    message = str(caught.value)
    assert message.startswith(f"train_cfg: the loop {cls.__qualname__} has no attribute")
    assert f"did not run {base}.__init__" in message
    assert f"Call {call} in {cls.__qualname__}.__init__" in message
    assert isinstance(caught.value, AttributeError)  # what MMEngine's failure is


def test_a_val_loop_without_super_init_names_the_fix(tmp_path: Path) -> None:
    runner = _runner(tmp_path, val_cfg=dict(type=ForgetfulValLoop))
    with pytest.raises(LoopInitError, match=r"^val_cfg: the loop ForgetfulValLoop .*Call super"):
        runner.val()


def test_a_loop_setting_mmengines_runner_attribute_itself_runs(tmp_path: Path) -> None:
    runner = _runner(tmp_path, train_cfg=dict(type=MMEngineStyleLoop))
    runner.train()
    assert runner.iter == 2 and runner.train_loop.runner is runner


class LazyCounterLoop(BaseLoop):
    """Calls super().__init__, but sets its counter only when it runs."""

    mode = "train"

    def __init__(self, runner: Any, dataloader: Any, max_epochs: int = 1) -> None:
        super().__init__(runner, dataloader)

    @property
    def iter(self) -> int:
        return self._iter

    def run(self) -> Any:
        self._iter = 0


def test_a_counter_set_only_in_run_is_named_not_blamed_on_super_init(tmp_path: Path) -> None:
    runner = _runner(tmp_path, train_cfg=dict(type=LazyCounterLoop))
    with pytest.raises(LoopInitError) as caught:
        runner.train()
    message = str(caught.value)
    assert "'iter' property reads '_iter', which is not set when the loop is built" in message
    assert "Set self._iter in LazyCounterLoop.__init__" in message
    assert "super().__init__" not in message


class OwnCounterEpochLoop(EpochBasedTrainLoop):
    """Calls super().__init__, and reads a counter of its own that it sets later."""

    def __init__(self, runner: Any, dataloader: Any, max_epochs: int) -> None:
        super().__init__(runner, dataloader, max_epochs)

    @property
    def iter(self) -> int:
        return self._my_iter


def test_an_own_counter_of_a_standard_loops_subclass_is_named(tmp_path: Path) -> None:
    runner = _runner(tmp_path, train_cfg=dict(type=OwnCounterEpochLoop, max_epochs=1))
    with pytest.raises(LoopInitError, match=r"'iter' property reads '_my_iter'") as caught:
        runner.train()
    assert "super().__init__" not in str(caught.value)


def test_a_read_only_metainfo_reaches_the_metrics_as_in_mmengine() -> None:
    """A dataset's metainfo given as a MappingProxyType was dropped (metrics and the
    visualizer got dataset_meta None); MMEngine hands any mapping on."""
    from types import MappingProxyType, SimpleNamespace

    from runner_core.loop import loader_metainfo

    view = MappingProxyType({"classes": ("cat", "dog")})
    meta = loader_metainfo(SimpleNamespace(dataset=SimpleNamespace(metainfo=view)))
    assert meta == {"classes": ("cat", "dog")} and type(meta) is dict  # a checkpoint pickles it
    assert loader_metainfo(SimpleNamespace(dataset=SimpleNamespace(metainfo="x"))) is None
