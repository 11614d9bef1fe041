"""What a finished or failed run leaves in the process: no open file, no thread, no model,
no warning of ours (a notebook or a sweep builds run after run in one interpreter)."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import threading
import warnings
import weakref
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from runner_core import BaseModel, Runner


class Net(BaseModel):
    """A linear classifier; ``fail_at`` makes that training iteration raise."""

    def __init__(self, fail_at: int = 0) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.fail_at = fail_at
        self.steps = 0

    def forward(self, inputs: torch.Tensor, labels: torch.Tensor, mode: str = "tensor") -> Any:
        logits = self.fc(inputs)
        if mode == "loss":
            self.steps += 1
            if self.steps == self.fail_at:
                raise RuntimeError("boom")
            return {"loss": nn.functional.cross_entropy(logits, labels)}
        return logits


def _loader() -> DataLoader:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(16, 4, generator=gen)
    data = TensorDataset(x, torch.randint(0, 3, (16,), generator=gen))
    return DataLoader(data, batch_size=4, collate_fn=_collate)


def _collate(rows: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {
        "inputs": torch.stack([r[0] for r in rows]),
        "labels": torch.stack([r[1] for r in rows]),
    }


def _runner(work_dir: Path, fail_at: int = 0, tensorboard: bool = False) -> Runner:
    backends: list[dict[str, Any]] = [dict(type="LocalVisBackend")]
    if tensorboard:
        backends.append(dict(type="TensorBoardVisBackend"))
    return Runner(
        model=Net(fail_at),
        work_dir=str(work_dir),
        train_dataloader=_loader(),
        val_dataloader=_loader(),
        test_dataloader=_loader(),
        val_evaluator=dict(type="Evaluator", metrics=[]),
        test_evaluator=dict(type="Evaluator", metrics=[]),
        train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1),
        val_cfg=dict(),
        test_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(logger=dict(type="LoggerHook", interval=1)),
        visualizer=dict(type="Visualizer", vis_backends=backends),
    )


def _open_files_under(folder: Path) -> list[str]:
    """The files under ``folder`` this process holds open."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def _new_threads(before: set[threading.Thread]) -> list[str]:
    return [t.name for t in threading.enumerate() if t not in before and t.is_alive()]


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")


@needs_proc
def test_a_finished_run_closes_its_files_and_frees_its_model(tmp_path: Path) -> None:
    threads = set(threading.enumerate())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        runner = _runner(tmp_path / "work")
        runner.train()
        runner.val()
        runner.test()
        log_file = runner.logger.log_file  # type: ignore[attr-defined]
        model = weakref.ref(runner.model)
        assert _open_files_under(tmp_path) == []  # the log file and the scalar files
        del runner
        gc.collect()
    assert model() is None
    assert _new_threads(threads) == []
    assert [f"{w.category.__name__}: {w.message}" for w in seen] == []
    assert log_file is not None and "Epoch(train)" in Path(log_file).read_text()


@needs_proc
def test_the_log_file_reopens_for_a_second_call(tmp_path: Path) -> None:
    runner = _runner(tmp_path / "work")
    runner.train()
    assert _open_files_under(tmp_path) == []
    log_file = Path(runner.logger.log_file)  # type: ignore[attr-defined]
    trained = log_file.read_text()
    runner.val()  # writes to the same log file again, appended
    text = log_file.read_text()
    assert text.startswith(trained)
    assert "Epoch(val) [2][4/4]  data_time" in text[len(trained) :]
    assert _open_files_under(tmp_path) == []


def test_a_run_folder_deleted_between_calls_is_made_again_for_the_log(tmp_path: Path) -> None:
    runner = _runner(tmp_path / "work")
    runner.train()
    shutil.rmtree(tmp_path / "work")  # a sweep's cleanup; the Runner lives on
    runner.val()
    log_file = Path(runner.logger.log_file)  # type: ignore[attr-defined]
    assert "Epoch(val) [2][4/4]  data_time" in log_file.read_text()


@needs_proc
def test_a_failed_run_closes_its_files_and_stops_its_threads(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    threads = set(threading.enumerate())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        runner = _runner(tmp_path / "work", fail_at=3, tensorboard=True)
        with pytest.raises(RuntimeError, match="boom"):
            runner.train()
        assert _open_files_under(tmp_path) == []
        # the records written before the failure are on disk
        scalars = Path(runner.log_dir) / "vis_data" / "scalars.json"
        assert len(scalars.read_text().splitlines()) == 2
        assert _new_threads(threads) == []  # TensorBoard's writer thread
        model = weakref.ref(runner.model)
        del runner
        gc.collect()
    assert model() is None
    assert [f"{w.category.__name__}: {w.message}" for w in seen] == []


@needs_proc
def test_runs_built_one_after_another_hold_no_file_of_an_earlier_one(tmp_path: Path) -> None:
    first = _runner(tmp_path / "a")
    second = _runner(tmp_path / "b")
    first.train()  # the earlier run writes again after the later one was built
    second.train()
    assert _open_files_under(tmp_path) == []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        first.logger.info("after the run")  # reopens its file ...
        del first
        gc.collect()  # ... which is closed when the logger goes, not by the collector
    assert [str(w.message) for w in seen if w.category is ResourceWarning] == []
    assert _open_files_under(tmp_path / "a") == []


@pytest.mark.parametrize(
    ("option", "fails"),
    [("error::DeprecationWarning", True), ("ignore::UserWarning", False), (None, False)],
)
def test_the_renamed_hook_warning_obeys_the_users_warning_options(
    option: str | None, fails: bool
) -> None:
    """Built from a config (the registry, not __main__), the warning is shown unless
    the user's -W option is about it; then the option holds."""
    code = (
        "import runner_hooks_standard\n"
        "from runner_core.registry import HOOKS\n"
        "HOOKS.build(dict(type='TextLoggerHook', interval=5))\n"
        "print('built')\n"
    )
    env = {**os.environ, "PYTHONWARNINGS": ""}
    flags = ["-W", option] if option else []
    done = subprocess.run(
        [sys.executable, *flags, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "RenamedHookWarning: TextLoggerHook is LoggerHook" in done.stderr
    assert (done.returncode != 0) is fails, done.stdout + done.stderr
    assert ("built" in done.stdout) is not fails
