"""Helpers for the distributed tests: run ``tests/core/distributed/_torchrun_worker.py`` under torchrun."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

WORKER = Path(__file__).resolve().parents[1] / "core" / "distributed" / "_torchrun_worker.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_", "TORCHELASTIC", "SLURM_")
        )
    }
    env.update({"OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", **extra})
    return env


def torchrun_args(
    nproc: int = 2, port: int | None = None, extra: list[str] | None = None
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        str(nproc),
        *(extra or (["--master_port", str(port)] if port else ["--standalone"])),
    ]


class Run:
    """The results of one run: ``rank<R>.pt`` files and the process output."""

    def __init__(self, out: Path, proc: subprocess.CompletedProcess) -> None:
        self.out, self.proc = out, proc

    def rank(self, r: int) -> dict[str, Any]:
        import torch

        path = self.out / f"rank{r}.pt"
        assert path.exists(), (
            f"no result from rank {r}:\n{self.proc.stdout[-4000:]}\n{self.proc.stderr[-4000:]}"
        )
        return torch.load(path, weights_only=False)


def run_worker(
    tmp: Path,
    opts: dict[str, Any],
    nproc: int | None = 2,
    timeout: float = 120,
    env: dict[str, str] | None = None,
    torchrun_extra: list[str] | None = None,
    check: bool = True,
) -> Run:
    """Run the worker (under torchrun with ``nproc`` ranks, or alone when None)."""
    out = tmp / "out"
    out.mkdir(parents=True, exist_ok=True)
    opts = {"work_dir": str(tmp / "work"), "out": str(out), **opts}
    if nproc is None:
        opts.setdefault("launcher", "none")
        cmd = [sys.executable, str(WORKER), json.dumps(opts)]
    else:
        cmd = [*torchrun_args(nproc, extra=torchrun_extra), str(WORKER), json.dumps(opts)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=worker_env(**(env or {}))
    )
    if check:
        assert proc.returncode == 0, (
            f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
        )
    return Run(out, proc)


def rank_reports(script: Path, out: Path, nproc: int = 2) -> list[dict[str, Any]]:
    """Run ``script OUT`` under torchrun with ``nproc`` ranks; each writes ``OUT/rank<r>.json``,
    returned in rank order (a check script's findings, one dict per rank)."""
    proc = subprocess.run(
        [*torchrun_args(nproc), str(script), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=worker_env(),
    )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(nproc)]
