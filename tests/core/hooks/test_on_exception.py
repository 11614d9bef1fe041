"""``on_exception``: once, when ``train()``/``val()``/``test()`` ends with an exception, so that
hooks can give back what their ``before_*`` points took (the ``after_*`` points are skipped)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from digits import digits_cfg
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from runner_core import Config, Runner
from runner_core.errors import HookError
from runner_core.hooks import Hook, HookManager, Priority
from runner_core.hooks.hook import STAGES


class Recorder(Hook):
    """Records the run-level points and the exceptions ``on_exception`` receives."""

    def __init__(self, log: list, tag: str, priority: Any = Priority.NORMAL) -> None:
        self.log, self.tag, self.priority = log, tag, priority

    def after_train(self, runner: Any) -> None:
        self.log.append((self.tag, "after_train"))

    def after_run(self, runner: Any) -> None:
        self.log.append((self.tag, "after_run"))

    def on_exception(self, runner: Any, exception: BaseException) -> None:
        self.log.append((self.tag, "on_exception", exception))


class RaiseAt(Hook):
    """Raises ``error`` in ``after_train_iter`` once two iterations are done."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        if runner.iter == 1:
            raise self.error


def _runner(work_dir: Path, hooks: list[Hook]) -> Runner:
    gen = torch.Generator().manual_seed(0)
    data = TensorDataset(
        torch.randn(16, 4, generator=gen), torch.randint(0, 3, (16,), generator=gen)
    )
    return Runner(
        model=nn.Linear(4, 3),
        work_dir=str(work_dir),
        train_dataloader=DataLoader(data, batch_size=4),
        train_cfg={"by_epoch": True, "max_epochs": 1},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1}},
        default_hooks={"checkpoint": None},
        custom_hooks=hooks,
    )


def _digits_runner(work_dir: Path, hooks: list[Hook]) -> Runner:
    cfg = digits_cfg(str(work_dir), by_epoch=False)
    cfg["train_cfg"] = dict(by_epoch=False, max_iters=3, val_interval=100)
    cfg["default_hooks"] = dict(checkpoint=None)
    cfg["test_dataloader"] = cfg["val_dataloader"]
    cfg["test_evaluator"] = cfg["val_evaluator"]
    runner = Runner.from_cfg(Config(cfg))
    for hook in hooks:
        runner.register_hook(hook)
    return runner


@pytest.mark.parametrize(
    "error", [KeyboardInterrupt(), SystemExit(3), RuntimeError("boom")], ids=type
)
def test_called_once_in_priority_order_with_the_error_and_no_after_points(
    tmp_path: Path, error: BaseException
) -> None:
    log: list = []
    runner = _runner(
        tmp_path, [Recorder(log, "low", "LOW"), Recorder(log, "high", "HIGH"), RaiseAt(error)]
    )
    with pytest.raises(type(error)) as raised:
        runner.train()
    assert raised.value is error  # propagated as it was
    assert log == [("high", "on_exception", error), ("low", "on_exception", error)]


def test_not_called_when_the_run_ends_normally(tmp_path: Path) -> None:
    log: list = []
    runner = _runner(tmp_path, [Recorder(log, "r")])
    runner.train()
    assert log == [("r", "after_train"), ("r", "after_run")]


def test_val_and_test_call_it_too(tmp_path: Path) -> None:
    class FailInEval(Hook):
        def before_val_epoch(self, runner: Any) -> None:
            raise RuntimeError("val broke")

        def before_test_epoch(self, runner: Any) -> None:
            raise RuntimeError("test broke")

    log: list = []
    runner = _digits_runner(tmp_path, [Recorder(log, "r"), FailInEval()])
    with pytest.raises(RuntimeError, match="val broke"):
        runner.val()
    with pytest.raises(RuntimeError, match="test broke"):
        runner.test()
    assert [(entry[1], str(entry[2])) for entry in log] == [
        ("on_exception", "val broke"),
        ("on_exception", "test broke"),
    ]


def test_a_nested_run_call_leaves_it_to_the_outermost_call(tmp_path: Path) -> None:
    """A hook that validates with ``runner.val()`` during training: the error passes through
    both calls, and the hooks clean up once."""

    class ValidateMidTraining(Hook):
        def __init__(self, swallow: bool) -> None:
            self.swallow = swallow

        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            if runner.iter == 1:
                try:
                    runner.val()
                except RuntimeError:
                    if not self.swallow:
                        raise

    class FailInVal(Hook):
        """Fails the hook's validation only (training validates again at its end)."""

        def after_val_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            if runner.iter == 1:
                raise RuntimeError("evaluation broke")

    log: list = []
    runner = _digits_runner(
        tmp_path / "a", [Recorder(log, "r"), ValidateMidTraining(False), FailInVal()]
    )
    with pytest.raises(RuntimeError, match="evaluation broke"):
        runner.train()
    assert [entry[:2] for entry in log] == [("r", "on_exception")]

    # the inner call failed, but the hook handled it: training ends normally
    log.clear()
    runner = _digits_runner(
        tmp_path / "b", [Recorder(log, "r"), ValidateMidTraining(True), FailInVal()]
    )
    runner.train()
    assert [entry[:2] for entry in log] == [("r", "after_train"), ("r", "after_run")]


def test_a_failing_on_exception_never_hides_the_original_error(tmp_path: Path) -> None:
    class BrokenCleanup(Hook):
        priority = Priority.HIGH

        def on_exception(self, runner: Any, exception: BaseException) -> None:
            raise ValueError("cleanup broke")

    log: list = []
    original = RuntimeError("the real error")
    runner = _runner(tmp_path, [BrokenCleanup(), Recorder(log, "after"), RaiseAt(original)])
    with pytest.raises(RuntimeError) as raised:
        runner.train()
    assert raised.value is original
    assert log == [("after", "on_exception", original)]  # the next hook still ran
    notes = "\n".join(getattr(original, "__notes__", []))
    assert "BrokenCleanup.on_exception raised ValueError: cleanup broke" in notes
    text = Path(runner.logger.log_file).read_text()  # type: ignore[attr-defined]
    assert "BrokenCleanup.on_exception raised ValueError: cleanup broke" in text
    assert "Traceback" in text  # the hook's own traceback, to fix it


def test_a_second_ctrl_c_in_on_exception_skips_the_rest_and_is_raised_from_the_error(
    tmp_path: Path,
) -> None:
    """As Python raises a KeyboardInterrupt that comes in an ``except`` block: the first
    error stays its cause, with the notes. It used to be swallowed, so a sweep's
    ``except RuntimeError: continue`` went on after the user's Ctrl-C."""

    class SlowCleanup(Hook):
        priority = Priority.HIGH

        def on_exception(self, runner: Any, exception: BaseException) -> None:
            raise KeyboardInterrupt  # the user pressed Ctrl-C again

    log: list = []
    original = RuntimeError("the real error")
    runner = _runner(tmp_path, [SlowCleanup(), Recorder(log, "after"), RaiseAt(original)])
    with pytest.raises(KeyboardInterrupt) as raised:
        runner.train()
    assert raised.value.__cause__ is original
    assert log == []
    notes = "\n".join(getattr(original, "__notes__", []))
    assert "SlowCleanup.on_exception was interrupted" in notes
    assert "the on_exception of the hooks after it were skipped (" in notes and "Recorder" in notes


def test_runs_after_background_checkpoint_writes_and_finishes_the_ones_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner_core.checkpoint import background

    order: list[str] = []
    monkeypatch.setattr(background, "finish_writes", lambda log=None: order.append("finish"))

    class Cleanup(Hook):
        def on_exception(self, runner: Any, exception: BaseException) -> None:
            order.append("on_exception")

    runner = _runner(tmp_path, [Cleanup(), RaiseAt(RuntimeError("x"))])
    with pytest.raises(RuntimeError):
        runner.train()
    assert order == ["finish", "on_exception", "finish"]


def test_a_call_hook_override_sees_it(tmp_path: Path) -> None:
    """Subclasses that trace or wrap hook calls (as MMEngine users do) see this point too."""
    seen: list[str] = []

    class Tracing(Runner):
        def call_hook(self, fn_name: str, **kwargs: Any) -> None:
            seen.append(fn_name)
            super().call_hook(fn_name, **kwargs)

    gen = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(8, 4, generator=gen), torch.randint(0, 3, (8,), generator=gen))
    runner = Tracing(
        model=nn.Linear(4, 3),
        work_dir=str(tmp_path),
        train_dataloader=DataLoader(data, batch_size=4),
        train_cfg={"by_epoch": True, "max_epochs": 1},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1}},
        default_hooks={"checkpoint": None},
        custom_hooks=[RaiseAt(RuntimeError("x"))],
    )
    with pytest.raises(RuntimeError):
        runner.train()
    assert seen[-1] == "on_exception" and seen.count("on_exception") == 1


def test_the_fast_points_function_isolates_each_hook_too() -> None:
    class Broken(Hook):
        priority = Priority.HIGH

        def on_exception(self, runner: Any, exception: BaseException) -> None:
            raise ValueError("broken")

    log: list = []
    manager = HookManager()
    manager.register(Broken())
    manager.register(Recorder(log, "r"))
    error = KeyboardInterrupt()
    manager.points.on_exception(None, error)
    assert log == [("r", "on_exception", error)]
    assert "Broken.on_exception raised ValueError: broken" in error.__notes__[0]


def test_a_hook_may_take_either_argument_and_a_misspelt_one_is_refused() -> None:
    seen: list = []

    class OnlyTheError(Hook):
        def on_exception(self, exception):  # type: ignore[override]
            seen.append(exception)

    manager = HookManager()
    manager.register(OnlyTheError())
    manager.call("on_exception", {"runner": None, "exception": "E"})
    assert seen == ["E"]

    class Misspelt(Hook):
        def on_exception(self, runner, exc):
            pass

    with pytest.raises(HookError, match="takes 'exc'.* It passes: runner, exception"):
        HookManager().register(Misspelt())


def test_mmengine_stages_stay_as_they_are_and_the_point_is_triggered_and_listed(
    tmp_path: Path,
) -> None:
    """``Hook.stages`` is MMEngine's list (code walking it calls each point with the runner
    alone); ``get_triggered_stages`` and ``get_hooks_info`` show the new point last."""
    assert Hook.stages == STAGES and "on_exception" not in STAGES and len(STAGES) == 22
    assert Recorder([], "r").get_triggered_stages() == ["after_train", "after_run", "on_exception"]
    runner = _runner(tmp_path, [Recorder([], "r")])
    points = [line[:-1] for line in runner.get_hooks_info().splitlines() if line.endswith(":")]
    assert points[-2:] == ["after_run", "on_exception"]


def test_a_failed_run_call_writes_its_error_into_the_runs_log_file(tmp_path: Path) -> None:
    """From the Python API the log file ended at the last progress line: a batch job that
    lost its terminal had no record of why the run stopped."""
    from runner_core.logging.failure import failure_logged

    original = RuntimeError("the real error")
    runner = _runner(tmp_path, [RaiseAt(original)])
    with pytest.raises(RuntimeError):
        runner.train()
    text = Path(runner.logger.log_file).read_text()  # type: ignore[attr-defined]
    assert "The run failed in train(): RuntimeError: the real error" in text
    assert "Traceback (most recent call last)" in text and failure_logged(original)
    assert text.count("The run failed") == 1  # written once


def test_a_ctrl_c_is_one_line_in_the_runs_log_file(tmp_path: Path) -> None:
    runner = _runner(tmp_path, [RaiseAt(KeyboardInterrupt())])
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    text = Path(runner.logger.log_file).read_text()  # type: ignore[attr-defined]
    assert "The run was stopped by KeyboardInterrupt in train()." in text
    assert "Traceback" not in text


def test_a_nested_runners_failure_reaches_both_runs_log_files(tmp_path: Path) -> None:
    """A run whose hook runs a second Runner that fails: the error was marked logged by
    the inner run, so the outer run's log file never got it."""
    original = RuntimeError("inner failure")
    inner = _runner(tmp_path / "inner", [RaiseAt(original)])

    class RunsAnother(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            if runner.iter == 1:
                inner.train()

    outer = _runner(tmp_path / "outer", [RunsAnother()])
    with pytest.raises(RuntimeError, match="inner failure"):
        outer.train()
    for runner in (inner, outer):
        text = Path(runner.logger.log_file).read_text()  # type: ignore[attr-defined]
        assert text.count("The run failed in train(): RuntimeError: inner failure") == 1
