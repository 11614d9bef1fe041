"""SIGTERM / SIGUSR1: finish the iteration, save, say how to resume, exit 128+signal."""

from __future__ import annotations

import os
import shlex
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from runner_core.checkpoint import load_checkpoint, read_pointer

RUN = """
train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=1)
default_hooks = dict(
    logger=dict(interval=1, progress_bar=False),
    checkpoint=dict(interval=1, save_best='auto'),
)
"""
SLOW = ["--cfg-options", "train_dataloader.dataset.delay=0.002"]


def _signal_when(proc: subprocess.Popen[str], marker: str, sig: int) -> str:
    """Read the run's output until ``marker``, send ``sig``, return everything it printed."""
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if marker in line:
            proc.send_signal(sig)
            break
    out, err = proc.communicate(timeout=60)
    return "".join(seen) + out + err


def _same_tensors(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_tensors(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same_tensors(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    return a == b


def test_sigterm_saves_says_how_to_resume_and_resume_is_bit_identical(
    cli, popen_cli, tiny_config, tmp_path
):
    config = str(tiny_config(RUN))
    full = cli("train", config, "--work-dir", "full")
    assert full.returncode == 0, full.stderr

    proc = popen_cli("train", config, "--work-dir", "stopped", *SLOW)
    output = _signal_when(proc, "Epoch(train) [2][3/8]", signal.SIGTERM)
    assert proc.returncode == 143, output
    stops = [line for line in output.splitlines() if "SIGTERM received" in line]
    # the log line, and the same on stderr, where a batch system's error file shows it
    assert (
        len(stops) == 2
        and stops[1] == f"runner-cli: training stopped: {stops[0].split(' - WARNING - ')[1]}"
    ), output
    line = stops[0]
    assert "Epoch(train) [2][" in line  # numbered as the log numbers it (1-based)
    work = tmp_path / "stopped"
    saved = read_pointer(work)
    assert saved is not None and saved.name.startswith("iter_") and saved.name in line
    ckpt = load_checkpoint(saved)  # complete and safe
    assert 8 < ckpt["meta"]["iter"] < 16
    assert f"Resume with: runner-cli train {config} --work-dir {work} --resume auto" in line
    log = max(work.glob("*/*.log")).read_text()
    assert "SIGTERM received" in log  # the line is in the run's log too

    command = shlex.split(line.split("Resume with: ", 1)[1])
    assert command[:2] == ["runner-cli", "train"]
    resumed = cli(*command[1:])
    assert resumed.returncode == 0, resumed.stderr
    for name in ("epoch_3.pth", *[p.name for p in (tmp_path / "full").glob("best_*.pth")]):
        a = load_checkpoint(tmp_path / "full" / name)
        b = load_checkpoint(work / name)
        for key in ("state_dict", "optimizer", "param_schedulers", "hooks"):
            assert _same_tensors(a.get(key), b.get(key)), (name, key)


def test_sigusr1_stops_with_138_and_requeues_through_scontrol(
    popen_cli, tiny_config, tmp_path, monkeypatch
):
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "scontrol-calls.txt"
    script = fake / "scontrol"
    script.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    config = str(tiny_config(RUN + "\nenv_cfg = dict(preemption=dict(slurm_requeue=True))\n"))
    proc = popen_cli("train", config, "--work-dir", "wd", *SLOW)
    output = _signal_when(proc, "Epoch(train) [1][2/8]", signal.SIGUSR1)
    assert proc.returncode == 128 + signal.SIGUSR1, output
    assert calls.read_text().split() == ["requeue", "4242"]
    assert "Requeued SLURM job 4242" in output and "SIGUSR1 received" in output
    assert load_checkpoint(read_pointer(tmp_path / "wd"))["meta"]["iter"] >= 2


def test_signals_are_configurable_and_checked_before_training(cli, tiny_config):
    bad = tiny_config(RUN + "\nenv_cfg = dict(preemption=dict(signals=['SIGTREM']))\n")
    done = cli("train", str(bad), "--work-dir", "wd")
    assert done.returncode == 2, done.stderr
    assert "env_cfg.preemption.signals" in done.stderr and "'SIGTERM'" in done.stderr
    assert "Epoch(train)" not in done.stdout
    typo = tiny_config(RUN + "\nenv_cfg = dict(preemption=dict(slurm_reqeue=True))\n")
    done = cli("train", str(typo), "--work-dir", "wd2")
    assert done.returncode == 2 and "'slurm_requeue'" in done.stderr, done.stderr


# not forkserver: the group's SIGTERM also stops Python's fork server, and torch's
# workers exit when their parent does (documented in docs/distributed.md)
@pytest.mark.parametrize(("start_method", "persistent"), [("fork", True), ("spawn", False)])
def test_sigterm_to_the_process_group_with_data_workers_stops_cleanly(
    popen_cli, tiny_config, tmp_path, start_method, persistent
):
    # `timeout` and `kill -TERM -PGID` signal the data workers too: they must not die
    # before the main process has saved (they ignore the signal; it shuts them down),
    # and persistent ones must still end when the process exits
    config = str(tiny_config(RUN))
    workers = [
        "train_dataloader.num_workers=2",
        f"train_dataloader.persistent_workers={persistent}",
        f"train_dataloader.multiprocessing_context={start_method}",
    ]
    proc = popen_cli("train", config, "--work-dir", "wd", *SLOW, *workers, start_new_session=True)
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if "Epoch(train) [1][3/8]" in line:  # the workers are running
            os.killpg(proc.pid, signal.SIGTERM)
            break
    out, err = proc.communicate(timeout=60)
    output = "".join(seen) + out + err
    assert proc.returncode == 143, output
    assert "exited unexpectedly" not in output and "killed by signal" not in output
    saved = read_pointer(tmp_path / "wd")
    assert saved is not None and saved.name.startswith("iter_"), output
    assert saved.name in next(line for line in output.splitlines() if "SIGTERM received" in line)
    assert 3 <= load_checkpoint(saved)["meta"]["iter"] < 24


def test_sigterm_with_preemption_off_ends_the_process_as_usual(popen_cli, tiny_config):
    config = str(tiny_config(RUN + "\nenv_cfg = dict(preemption=dict(signals=[]))\n"))
    proc = popen_cli("train", config, "--work-dir", "wd", *SLOW)
    output = _signal_when(proc, "Epoch(train) [1][2/8]", signal.SIGTERM)
    assert proc.returncode == -signal.SIGTERM, output
    assert "received" not in output


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_resume_command_keeps_the_options(tmp_path: Path) -> None:
    import argparse

    from runner_cli.resume_command import resume_command

    args = argparse.Namespace(
        config="my cfg.py", cfg_options=["a.b=1"], amp=True, seed=3, deterministic=False,
        launcher=None, unsafe_load=False,
    )  # fmt: skip
    assert resume_command(args, tmp_path / "wd") == (
        f"runner-cli train 'my cfg.py' --work-dir {tmp_path / 'wd'} --resume auto "
        "--cfg-options a.b=1 --amp --seed 3"
    )


@pytest.mark.parametrize(
    ("env", "launch"),
    [
        ({"LOCAL_WORLD_SIZE": "2", "GROUP_WORLD_SIZE": "1"}, "torchrun --nproc_per_node 2"),
        (
            {"LOCAL_WORLD_SIZE": "8", "GROUP_WORLD_SIZE": "2"},
            "torchrun --nnodes 2 --nproc_per_node 8 <your rendezvous options>",
        ),
    ],
)
def test_resume_command_under_torchrun_starts_with_the_launch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], launch: str
) -> None:
    # `runner-cli train ... --launcher pytorch` run as printed, without torchrun, only fails
    import argparse

    from runner_cli.resume_command import resume_command

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    args = argparse.Namespace(
        config="cfg.py", cfg_options=None, amp=False, seed=None, deterministic=False,
        launcher="pytorch", unsafe_load=False,
    )  # fmt: skip
    assert resume_command(args, tmp_path / "wd") == (
        f"{launch} $(which runner-cli) train cfg.py --work-dir {tmp_path / 'wd'} "
        "--resume auto --launcher pytorch"
    )
