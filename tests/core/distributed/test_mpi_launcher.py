"""``launcher='mpi'``: two real processes given OpenMPI's variables by hand (no mpirun needed)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torchrun_helpers import free_port, worker_env

WORKER = Path(__file__).with_name("_mpi_worker.py")


def _start_like_mpirun(out: Path, work_dir: Path, nproc: int = 2) -> list[dict[str, Any]]:
    """What ``MASTER_ADDR=127.0.0.1 mpirun -np 2 -x MASTER_ADDR`` gives each process
    (MASTER_PORT is passed too: the default 29500 may be taken on a shared machine);
    alongside, one process without launcher trains the reference (``single.json``)."""
    port = str(free_port())

    def start(args: list[str], **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(WORKER), str(out), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=worker_env(**env),
        )

    procs = [
        start(
            [str(work_dir)],
            OMPI_COMM_WORLD_RANK=str(rank),
            OMPI_COMM_WORLD_SIZE=str(nproc),
            OMPI_COMM_WORLD_LOCAL_RANK=str(rank),
            OMPI_COMM_WORLD_LOCAL_SIZE=str(nproc),
            MASTER_ADDR="127.0.0.1",
            MASTER_PORT=port,
        )
        for rank in range(nproc)
    ]
    procs.append(start([str(work_dir.with_name("single")), "none"]))
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=90))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (stdout, stderr) in zip(procs, outputs):
        assert proc.returncode == 0, f"exit {proc.returncode}\n{stdout[-3000:]}\n{stderr[-5000:]}"
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(nproc)]


@pytest.mark.slow
def test_two_processes_with_openmpi_variables_train_as_one_job(tmp_path: Path) -> None:
    ranks = _start_like_mpirun(tmp_path, tmp_path / "work")
    for r, res in enumerate(ranks):
        assert (res["rank"], res["world_size"], res["dist_info"]) == (r, 2, [r, 2])
        assert (res["local_rank"], res["local_size"], res["backend"]) == (r, 2, "gloo")
        assert res["env"]["RANK"] == str(r) and res["env"]["WORLD_SIZE"] == "2"
        assert res["env"]["LOCAL_RANK"] == str(r)
        assert res["infer_launcher"] == "mpi"
        assert res["all_reduce"] == 3.0  # 1 + 2
        assert res["model_type"] == "DistributedDataParallel"
        assert res["iter"] == 8  # 32 samples / global batch 8 x 2 epochs
    assert ranks[0]["state"] == ranks[1]["state"]  # DDP kept the ranks in step

    # two ranks x batch 4 train the same weights as one process x batch 8
    single = json.loads((tmp_path / "single.json").read_text())
    assert single["iter"] == 8 and single["state"].keys() == ranks[0]["state"].keys()
    for key, value in single["state"].items():
        torch.testing.assert_close(torch.tensor(ranks[0]["state"][key]), torch.tensor(value))


def test_cli_accepts_launcher_mpi() -> None:
    from runner_cli.arguments import add_launcher

    parser = argparse.ArgumentParser()
    add_launcher(parser)
    assert parser.parse_args(["--launcher", "mpi"]).launcher == "mpi"
