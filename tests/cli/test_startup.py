"""--help, plugins and config dump must not import torch (they stay fast)."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest

from runner_cli.output import print_table

PROBE = """
import sys
from runner_cli.main import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
print("TORCH-IMPORTED" if "torch" in sys.modules else "NO-TORCH", status)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["plugins"],
        ["plugins", "--json"],
        ["config", "dump", "c.py"],
        ["--version"],
        ["train", "--help"],
    ],
)
def test_light_commands_do_not_import_torch(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "c.py").write_text("model = dict(type='X', depth=50)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.stdout.strip().splitlines()[-1] == "NO-TORCH 0", done.stderr


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_tables_are_rich_in_a_terminal_and_plain_in_a_pipe(monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    tty, pipe = _Terminal(), StringIO()
    rows = [["accuracy/top1", "90.6250"]]
    print_table(["key", "value"], rows, "test metrics", tty, key_value=True)
    print_table(["key", "value"], rows, "test metrics", pipe, key_value=True)
    assert pipe.getvalue() == "accuracy/top1: 90.6250\n"
    assert (
        "accuracy/top1" in tty.getvalue()
        and "│" in tty.getvalue()
        and "test metrics" in tty.getvalue()
    )


def test_the_command_spares_the_exit_collection_but_main_leaves_the_collector_alone() -> None:
    """``runner-cli`` freezes what is alive at its end (a quick exit); ``main()`` called
    from a user's program never touches that program's garbage collector."""
    code = (
        "import gc, sys, torch\n"
        "from runner_cli.main import console, main\n"
        "sys.argv = ['runner-cli', 'plugins']\n"
        "assert main(['plugins']) == 0 and gc.get_freeze_count() == 0\n"
        "status = console()\n"
        "print(status, gc.get_freeze_count() > 0, flush=True)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "0 True" in proc.stdout.splitlines(), proc.stdout


def test_the_command_ends_idle_data_workers_before_the_exit_collection() -> None:
    """Persistent data-loader workers still alive when ``runner-cli`` ends are stopped
    before its collection: collected with their closed queues, a loader's shutdown
    waited out two 5 s timeouts per loader."""
    code = (
        "import multiprocessing, sys, torch\n"
        "from torch.utils.data import DataLoader\n"
        "from runner_cli.main import console\n"
        "loader = DataLoader(list(range(8)), batch_size=2, num_workers=2,\n"
        "                    persistent_workers=True)\n"
        "next(iter(loader))\n"
        "before = sum(c.daemon for c in multiprocessing.active_children())\n"
        "sys.argv = ['runner-cli', 'plugins']\n"
        "status = console()\n"
        "after = sum(c.daemon for c in multiprocessing.active_children())\n"
        "print('workers', before, after, status, flush=True)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "workers 2 0 0" in proc.stdout.splitlines(), (proc.stdout, proc.stderr)
