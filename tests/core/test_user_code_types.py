"""MMEngine-style user code type-checks against our packages (they ship ``py.typed``).

OpenMMLab hooks annotate ``runner: Runner``, loops override ``run_iter`` with
MMEngine's signatures, hooks do arithmetic on ``runner.max_iters``: none of
that may be a mypy error when a project switches from MMEngine to ours. One
user module is checked in a subprocess, with its own mypy settings (not the
project's); torch is left out of the analysis to keep the check fast.
"""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest
from user_code_mypy import run_mypy

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None,
    reason="mypy is not installed (requirements-dev.txt installs it)",
)

USER_MODULE = """
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from runner_core import Runner
from runner_core.contract import RunnerAPI
from runner_core.dataset import BaseDataset, force_full_init
from runner_core.hooks import Hook
from runner_core.hooks.hook import DATA_BATCH
from runner_core.logging import HistoryBuffer, MMLogger
from runner_core.loop import BaseLoop
from runner_core.optim import DefaultOptimWrapperConstructor
from runner_core.runner import FlexibleRunner
from runner_core.visualization import Visualizer
from runner_loops_standard import IterBasedTrainLoop, ValLoop


class RunnerHook(Hook):  # runner annotated as Runner, as mmdet/mmseg hooks are
    def before_train(self, runner: Runner) -> None:
        logger: MMLogger = runner.logger  # MMEngine's Runner.logger is an MMLogger
        logger.info("start")

    def after_train_iter(self, runner: Runner, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if self.every_n_train_iters(runner, 1) and self.is_last_train_iter(runner):
            left: int = runner.max_iters - runner.iter
            print(left, runner.epoch / runner.max_epochs)

    def after_val_epoch(self, runner: Runner, metrics: Optional[Dict[str, float]] = None) -> None:
        pass


class ApiHook(Hook):  # annotated with the plugin contract
    def after_train_iter(self, runner: RunnerAPI, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        print(runner.max_iters - runner.iter)


class UntypedHook(Hook):
    def before_train(self, runner) -> None:  # type: ignore[no-untyped-def]
        pass


class VisHook(Hook):  # the line every OpenMMLab visualization hook has
    def __init__(self) -> None:
        self._visualizer: Visualizer = Visualizer.get_current_instance()


class RawLoop(BaseLoop):  # MMEngine's BaseLoop has no run_iter: any signature
    def __init__(self, runner: Runner, dataloader: dict) -> None:
        super().__init__(runner, dataloader)

    def run(self) -> None:
        for data_batch in self.dataloader:
            self.run_iter(data_batch)

    def run_iter(self, data_batch: Sequence[dict]) -> None:
        self.runner.model.train_step(data_batch, optim_wrapper=self.runner.optim_wrapper)


class MyIterLoop(IterBasedTrainLoop):
    def run_iter(self, data_batch: Sequence[dict]) -> None:
        super().run_iter(data_batch)


class MyValLoop(ValLoop):
    def run(self) -> dict:
        self.runner.model.eval()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        metrics: dict = self.evaluator.evaluate(len(self.dataloader.dataset))
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        outputs = self.runner.model.val_step(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)


class MyRunner(Runner):
    def train(self) -> nn.Module:
        return super().train()

    def build_model(self, model: Union[nn.Module, Dict]) -> nn.Module:
        built: nn.Module = super().build_model(model)
        return built


def use(runner: Runner) -> nn.Module:
    metrics: dict = runner.val()
    print(metrics, runner.log_dir / "x", runner.message_hub.get_info("epoch"))
    runner.val(1)  # E: Too many arguments
    reveal_type(Runner.train)  # E: Revealed type is "def (self: runner_core.runner.runner.Runner)
    return runner.train()


class LoaderRunner(Runner):  # MMEngine's Runner.build_dataloader is a staticmethod
    @staticmethod
    def build_dataloader(dataloader: Union[DataLoader, Dict], seed: Optional[int] = None,
                         diff_rank_seed: bool = False) -> DataLoader:
        return Runner.build_dataloader(dataloader, seed, diff_rank_seed)


class MyConstructor(DefaultOptimWrapperConstructor):
    def add_params(self, params: List[dict], module: nn.Module, prefix: str = "",
                   is_dcn_module: Optional[Union[int, float]] = None) -> None:
        for name, child in module.named_children():
            super().add_params(params, child, prefix=f"{prefix}.{name}",
                               is_dcn_module=is_dcn_module)


class MyDataset:
    def full_init(self) -> None:
        pass

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        return {}


wrong: int = MyDataset().get_data_info(0)  # E: Incompatible types in assignment


class ToyDataset(BaseDataset):
    def load_data_list(self) -> List[dict]:
        return []


class MyFlexibleRunner(FlexibleRunner):
    pass


def built_from(cfg: dict, dataset: ToyDataset) -> None:  # the subclass, not the base class
    reveal_type(dataset.get_subset([0]))  # E: Revealed type is "user_code.ToyDataset"
    runner: MyRunner = MyRunner.from_cfg(cfg)
    flexible: MyFlexibleRunner = MyFlexibleRunner.from_cfg(cfg)
    print(runner, flexible)


@HistoryBuffer.register_statistics
def last_two(buffer: HistoryBuffer, scale: float) -> float:
    return float(buffer.current()) * scale


wrong_stat: str = last_two(HistoryBuffer(), 2.0)  # E: Incompatible types in assignment
"""

MYPY_INI = """
[mypy]
disallow_untyped_defs = True
warn_return_any = True
warn_unused_ignores = True

[mypy-torch.*,numpy.*]
follow_imports = skip
follow_untyped_imports = True
"""


def test_mmengine_style_user_code_type_checks(tmp_path: Path) -> None:
    code = textwrap.dedent(USER_MODULE)
    output, reported = run_mypy(tmp_path, code, MYPY_INI)
    lines = code.splitlines()
    expected = {i + 1: line.split("# E: ", 1)[1] for i, line in enumerate(lines) if "# E: " in line}
    unexpected = {n: msgs for n, msgs in reported.items() if n not in expected}
    assert not unexpected, f"false errors in MMEngine-style code:\n{output}"
    for n, message in expected.items():  # the signatures are kept, not erased to Any
        assert any(message in m for m in reported.get(n, [])), (n, message, output)
