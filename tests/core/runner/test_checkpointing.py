"""What a Runner's save tells the user about the checkpoint it writes."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

from checkpoint_runs import make_runner

from runner_core.hooks import Hook


@dataclasses.dataclass
class Counter:
    count: int


class StoresADataclass(Hook):
    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        checkpoint["my_hook"] = {"state": Counter(runner.epoch)}


def test_a_checkpoint_the_safe_loader_refuses_is_said_once_in_the_runs_log(
    tmp_path: Path, capsys
) -> None:
    """The save-time warning was a Python UserWarning on stderr, one per checkpoint, and
    never in the run's .log file (QA)."""
    runner = make_runner(tmp_path, max_epochs=2, custom_hooks=[StoresADataclass()], interval=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runner.train()
    assert (tmp_path / "epoch_2.pth").is_file()
    assert not [w for w in caught if "safe loader" in str(w.message)]  # not a second time
    said = "holds objects that the safe loader (weights_only=True) will refuse: "
    log = next(runner.log_dir.glob("*.log")).read_text()
    lines = [line for line in log.splitlines() if said in line]
    assert len(lines) == 1 and " - WARNING - " in lines[0], lines
    assert f"Checkpoint {str(tmp_path / 'epoch_1.pth')!r}" in lines[0]
    assert f"checkpoint['my_hook']['state']: {__name__}.Counter" in lines[0]
    console = capsys.readouterr()
    assert (console.out + console.err).count(said) == 1
