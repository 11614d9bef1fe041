"""The standard hooks give back what a failed or interrupted run took (``on_exception``):
the terminal, the EMA-swapped weights, the profiler, the early-stopping and loss-check state."""

from __future__ import annotations

import io
import json
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from runner_core.evaluator import BaseMetric
from runner_core.hooks import Hook, Priority
from runner_core.logging.logger import ConsoleHandler
from runner_hooks_standard.early_stopping import EarlyStoppingHook
from runner_hooks_standard.ema import EMAHook
from runner_hooks_standard.logger import LoggerHook

from .conftest import tiny_dataset


class RaiseAt(Hook):
    """Raises ``error`` once ``at`` training iterations are done (in training or validation)."""

    priority = Priority.LOWEST

    def __init__(self, error: BaseException, at: int = 2, in_val: bool = False) -> None:
        self.error, self.at, self.in_val = error, at, in_val

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        if not self.in_val and runner.iter + 1 == self.at:
            raise self.error

    def after_val_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        if self.in_val:
            raise self.error


def _rich_threads() -> list[threading.Thread]:
    from rich.live import _RefreshThread

    return [t for t in threading.enumerate() if isinstance(t, _RefreshThread)]


def test_ctrl_c_gives_the_terminal_back(make_runner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The live bar swapped sys.stdout, the console handler's stream and started rich's
    refresh thread; a Ctrl-C mid-epoch puts all of them back (an IPython session goes on)."""
    import rich
    from rich.console import Console

    screen = io.StringIO()
    monkeypatch.setattr(rich, "_console", Console(file=screen, force_terminal=True, width=120))
    stdout = sys.stdout
    earlier = set(_rich_threads())  # another test's display in this worker process
    runner = make_runner(
        default_hooks=dict(logger=dict(interval=1, progress_bar=True), checkpoint=None),
        custom_hooks=[RaiseAt(KeyboardInterrupt(), at=3)],
    )
    console = [h for h in runner.logger.handlers if type(h) is ConsoleHandler]
    streams = [h.stream for h in console]
    assert console
    hook = next(h for h in runner.hooks if isinstance(h, LoggerHook))

    class SeesTheBar(Hook):  # proves the bar was live (and sys.stdout swapped) mid-epoch
        def after_train_iter(self, runner: Any) -> None:
            seen.append((hook._display is not None and hook._display.live, sys.stdout))

    seen: list = []
    runner.register_hook(SeesTheBar())
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    assert seen and seen[0][0] and seen[0][1] is not stdout
    assert sys.stdout is stdout
    assert [h.stream for h in console] == streams
    for thread in set(_rich_threads()) - earlier:  # told to stop; rich does not wait for it
        thread.join(timeout=10)
    assert set(_rich_threads()) - earlier == set()
    assert "Epoch 1/2" in screen.getvalue()
    # the next run of this Runner (a notebook's next cell) starts without the old half bar
    assert hook._display is not None and list(hook._display.progress.task_ids) == []


def test_validation_that_fails_inside_training_leaves_the_training_weights(tmp_path: Path) -> None:
    """EMAHook swapped the averaged weights in for validation; an evaluator error there must
    not leave them in the model (a checkpoint saved next, or train() again, would use them)."""
    from runner_core import Runner

    class Data(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return 8

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            return {"inputs": torch.tensor([float(i), 1.0]), "labels": torch.tensor(i % 2)}

    class Nothing(BaseMetric):
        def process(self, data_batch: Any, data_samples: Any) -> None:
            self.results.append(0)

        def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
            return {"acc": 0.0}

    class TrainingWeights(Hook):
        priority = Priority.HIGHEST  # before EMAHook swaps the average in

        def before_val(self, runner: Any) -> None:
            self.weight = runner.model.module.weight.detach().clone()

    torch.manual_seed(0)
    ema, seen = EMAHook(momentum=0.25), TrainingWeights()
    runner = Runner(
        model=nn.Linear(2, 2),
        work_dir=tmp_path,
        train_dataloader=dict(dataset=Data(), batch_size=2),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        val_dataloader=dict(dataset=Data(), batch_size=4),
        val_evaluator=Nothing(),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.5)),
        default_hooks_set="none",
        custom_hooks=[ema, seen, RaiseAt(RuntimeError("metric broke"), in_val=True)],
        visualizer=False,
        log_level="WARNING",
    )
    with pytest.raises(RuntimeError, match="metric broke"):
        runner.train()
    assert ema.ema_model is not None
    averaged = ema.ema_model.module.module.weight
    assert not torch.equal(averaged, seen.weight)  # the two differ: the test can tell them apart
    assert torch.equal(runner.model.module.weight, seen.weight)


def test_an_interrupted_profiled_epoch_stops_the_profiler_and_writes_its_trace(
    make_runner: Any,
) -> None:
    runner = make_runner(
        train_cfg=dict(by_epoch=True, max_epochs=1),
        custom_hooks=[
            dict(type="ProfilerHook", by_epoch=True, profile_times=1),
            RaiseAt(KeyboardInterrupt(), at=3),
        ],
    )
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    assert not torch.autograd.profiler._is_profiler_enabled  # not recording any more
    trace = Path(runner.log_dir) / "profiler_trace.json"
    events = json.loads(trace.read_text())["traceEvents"]
    assert any("linear" in str(e.get("name", "")).lower() for e in events)


def test_a_val_after_a_failed_training_run_does_not_count_for_early_stopping(
    make_runner: Any,
) -> None:
    stopper = EarlyStoppingHook(monitor="accuracy/top1", patience=1)
    runner = make_runner(
        val=True,
        default_hooks=dict(checkpoint=None),
        custom_hooks=[stopper, RaiseAt(RuntimeError("broke"), at=2)],
    )
    with pytest.raises(RuntimeError, match="broke"):
        runner.train()
    runner.val()  # e.g. to look at the model in a notebook
    assert stopper.best_score == -float("inf") and stopper.wait_count == 0


def test_a_nan_loss_not_yet_checked_is_named_on_the_error_that_stopped_the_run(
    make_runner: Any,
) -> None:
    data = tiny_dataset()
    data.tensors[0][9, 0] = float("nan")  # in the second batch: its loss is NaN

    error = RuntimeError("the step broke")
    runner = make_runner(
        train_dataloader=dict(dataset=data, batch_size=8, shuffle=False),
        default_hooks=dict(checkpoint=None, check_invalid_loss=dict(interval=50)),
        custom_hooks=[RaiseAt(error, at=4)],
    )
    with pytest.raises(RuntimeError) as raised:
        runner.train()
    assert raised.value is error
    notes = "\n".join(getattr(error, "__notes__", []))
    assert "Before the run stopped: A non-finite loss came first, at iteration 2" in notes
    assert "check_invalid_loss=None" not in notes  # removing this check would not help
    hook = next(h for h in runner.hooks if type(h).__name__ == "CheckInvalidLossHook")
    assert hook._pending == []  # a next train() of this Runner starts clean


def test_a_full_disk_while_stopping_is_a_warning_not_a_second_error(
    make_runner: Any, tmp_path: Path
) -> None:
    """The run stopped on its scalar file's ENOSPC; LoggerHook.on_exception flushed the
    same file, failed again, and was logged with a traceback as a hook to fix."""
    from runner_hooks_standard.vis_backends.local import LocalVisBackend

    class FullDiskFile:
        def __init__(self, name: str) -> None:
            self.name = name

        def write(self, text: str) -> int:
            return len(text)

        def flush(self) -> None:
            raise OSError(28, "No space left on device")

        close = flush

    class FillTheDisk(RaiseAt):
        def after_train_iter(self, runner: Any, batch_idx: int, **kwargs: Any) -> None:
            if runner.iter + 1 == self.at:
                for backend in runner.visualizer._vis_backends.values():
                    if isinstance(backend, LocalVisBackend):
                        backend._files = {
                            k: FullDiskFile(f.name) for k, f in backend._files.items()
                        }
                raise self.error

    runner = make_runner(
        custom_hooks=[FillTheDisk(RuntimeError("boom"), at=2)],
        default_hooks=dict(logger=dict(interval=1)),
    )
    with pytest.raises(RuntimeError, match="boom") as err:
        runner.train()
    notes = " ".join(getattr(err.value, "__notes__", []))
    assert "on_exception" not in notes
    log = Path(runner.logger.log_file).read_text()
    assert (
        "The last scalar records were not written" in log
        and "Traceback" not in log.split("boom")[0]
    )
