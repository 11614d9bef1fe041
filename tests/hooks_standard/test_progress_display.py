"""An interactive terminal gets a live progress bar; a pipe gets plain lines; the log file
always gets plain lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys, torch
    from torch import nn
    from torch.utils.data import TensorDataset
    from runner_core import Runner

    torch.manual_seed(0)
    x = torch.randn(96, 4)
    runner = Runner(
        model=nn.Linear(4, 2),
        work_dir=sys.argv[1],
        train_dataloader=dict(dataset=TensorDataset(x, (x[:, 0] > 0).long()), batch_size=8),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(logger=dict(interval=4), checkpoint=None),
    )
    runner.train()
    print('LOG_FILE=' + str(runner.log_dir / (runner.timestamp + '.log')))
    """
)


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS="200", LINES="50")
    return env


def log_file(output: str) -> Path:
    found = re.search(r"LOG_FILE=(\S+\.log)", output)
    assert found, output[-2000:]
    return Path(found.group(1))


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_terminal_shows_a_progress_bar_and_the_file_keeps_lines(tmp_path: Path) -> None:
    import pty

    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "work")],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=clean_env(),
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "Epoch 2/2" in screen and "12/12" in screen  # the bar's description and count
    assert "━" in screen and "it/s" in screen and "loss:" in screen
    assert "Epoch(train) [" not in screen  # no scrolling lines in the terminal
    lines = log_file(screen).read_text()
    assert lines.count("Epoch(train) [") == 6  # batches 4 and 8 and 12, two epochs


@pytest.mark.slow
def test_a_pipe_gets_plain_lines(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "work")],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=True,
    ).stdout
    assert out.count("Epoch(train) [") == 6
    assert "━" not in out and "\x1b[" not in out
    assert "Epoch(train) [2][12/12]" in out


@pytest.mark.slow
def test_a_bar_forced_into_a_pipe_leaves_log_lines_whole(tmp_path: Path) -> None:
    """progress_bar=True with stdout a file: rich hard-wrapped every log line at 80
    columns, so grep on the captured output missed what a line's end held."""
    script = tmp_path / "train.py"
    long_line = "a line logged while the bar is live, " + "x" * 80 + " END"
    hook = (
        "from runner_core.hooks import Hook\n"
        "class Says(Hook):\n"
        "    def after_train_epoch(self, runner):\n"
        f"        runner.logger.info({long_line!r})\n"
    )
    forced = SCRIPT.replace("dict(interval=4)", "dict(interval=4, progress_bar=True)")
    forced = forced.replace("runner = Runner(", hook + "runner = Runner(custom_hooks=[Says()],")
    script.write_text(forced)
    env = clean_env()
    env.pop("COLUMNS")
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "work")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    said = [line for line in out.splitlines() if "a line logged while the bar" in line]
    assert len(said) == 2 and all(line.endswith(" END") for line in said), out[-2000:]


def test_breakpoint_gets_the_plain_terminal_and_nothing_redraws_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At a (Pdb) prompt the bar's own thread redrew it 10 times a second, erasing what the
    user typed; the bar now moves only with training and ends at a breakpoint()."""
    from runner_hooks_standard.progress import ProgressDisplay

    entered: list[bool] = []

    def debugger(*args: object, **kwargs: object) -> None:
        entered.append(display.live)

    monkeypatch.setattr(sys, "breakpointhook", debugger)
    display = ProgressDisplay()
    display.start()
    try:
        assert display.progress.live._refresh_thread is None  # no thread redraws it
        display.start_train("Epoch 1", total=10)
        display.tick_train(3, force=True)
        breakpoint()
    finally:
        display.stop()
    assert entered == [False]  # the bar had ended when the debugger started
    assert sys.breakpointhook is debugger


def test_pdb_stops_at_the_line_of_the_breakpoint_and_zero_turns_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The wrapper's own frame was where pdb stopped (`--Return-- ... _breakpoint()`)."""
    import pdb

    from runner_hooks_standard.progress import ProgressDisplay

    frames: list[str] = []
    monkeypatch.setattr(
        pdb.Pdb, "set_trace", lambda self, frame=None: frames.append(frame.f_code.co_name)
    )
    monkeypatch.setattr(sys, "breakpointhook", sys.__breakpointhook__)
    monkeypatch.delenv("PYTHONBREAKPOINT", raising=False)
    display = ProgressDisplay()
    display.start()
    try:
        breakpoint()
        assert frames == [sys._getframe().f_code.co_name] and not display.live
        monkeypatch.setenv("PYTHONBREAKPOINT", "0")
        display.start()
        breakpoint()  # turned off: nothing stops, the bar stays
        assert display.live and len(frames) == 1
    finally:
        display.stop()
    assert sys.breakpointhook is sys.__breakpointhook__
