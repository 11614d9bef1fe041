"""Real multi-process runs under torchrun on CPU (gloo): DDP, multi-node, failures, elastic restart."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import torch
from torchrun_helpers import WORKER, Run, free_port, run_worker, torchrun_args, worker_env

pytestmark = pytest.mark.slow


def _assert_close(a: dict, b: dict, atol: float = 1e-6) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=atol, rtol=0, msg=key)


def test_ddp_ranks_end_identical_and_match_one_process(ddp_run: Run, single_process_run: Run):
    r0, r1, single = ddp_run.rank(0), ddp_run.rank(1), single_process_run.rank(0)
    assert (r0["world_size"], r0["model_type"]) == (2, "DistributedDataParallel")
    assert r0["iter"] == single["iter"] == 16  # 64 samples / (2 ranks x 4) per epoch, 2 epochs
    for key in r0["state"]:
        assert torch.equal(r0["state"][key], r1["state"][key]), key
    _assert_close(r0["state"], single["state"])
    # momentum buffers agree too: DDP averaged the same gradients the big batch saw
    for i, st in single["optimizer"]["state"].items():
        torch.testing.assert_close(
            r0["optimizer"]["state"][i]["momentum_buffer"], st["momentum_buffer"], atol=1e-6, rtol=0
        )


def test_val_metrics_on_uneven_split_equal_one_process(ddp_run: Run, single_process_run: Run):
    # 101 validation samples on 2 ranks: rank 1 gets a padding sample that must not count
    for r in (0, 1):
        assert ddp_run.rank(r)["metrics"] == single_process_run.rank(0)["metrics"]


def test_only_rank0_writes_logs_and_checkpoints(ddp_run: Run):
    work = Path(json.loads(ddp_run.proc.args[-1])["work_dir"])
    run_dirs = [p for p in work.iterdir() if p.is_dir()]
    assert len(run_dirs) == 1, run_dirs  # one run folder: the ranks share rank 0's timestamp
    assert len(list(run_dirs[0].glob("*.log"))) == 1
    assert sorted(p.name for p in work.glob("iter_*.pth")) == sorted(
        f"iter_{i}.pth" for i in range(1, 17)
    )
    saved = torch.load(work / "iter_16.pth", weights_only=True)
    _assert_close(saved["state_dict"], ddp_run.rank(0)["state"], atol=0)


def test_two_nodes_on_one_machine_train_together(tmp_path: Path, ddp_run: Run):
    port = free_port()
    out = tmp_path / "out"
    out.mkdir()
    opts = json.dumps({"work_dir": str(tmp_path / "work"), "out": str(out)})
    procs = []
    for node in range(2):
        rdzv = ["--nnodes", "2", "--node_rank", str(node), "--rdzv_backend", "c10d",
                "--rdzv_endpoint", f"localhost:{port}", "--rdzv_id", "twonodes"]  # fmt: skip
        cmd = [*torchrun_args(1, extra=rdzv), str(WORKER), opts]
        procs.append(
            subprocess.Popen(
                cmd, env=worker_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(o[-3000:] for o in outputs)
    run = Run(out, subprocess.CompletedProcess([], 0, "", ""))
    assert run.rank(0)["world_size"] == 2
    _assert_close(run.rank(0)["state"], ddp_run.rank(0)["state"], atol=1e-7)
    assert run.rank(0)["metrics"] == ddp_run.rank(0)["metrics"]


def test_failure_on_one_rank_stops_the_job_naming_the_rank(tmp_path: Path):
    # a hang would hit the subprocess timeout (60 s) long before the 600 s collective timeout
    run = run_worker(
        tmp_path, {"fail_rank": 1, "fail_iter": 3, "timeout": 600}, timeout=60, check=False
    )
    text = run.proc.stdout + run.proc.stderr
    assert run.proc.returncode != 0
    assert "rank 1/2 failed: ValueError: injected failure at iter 3" in text
    assert not (tmp_path / "out" / "rank0.pt").exists()
    # the cause is in the run's log file too (rank 0 writes it; rank 1 appends its errors)
    (log,) = (tmp_path / "work").glob("*/*.log")
    logged = log.read_text()
    assert "ERROR - [rank 1] rank 1/2 failed: ValueError: injected failure at iter 3" in logged
    assert "Traceback" in logged.split("[rank 1] rank 1/2 failed")[1]


def test_elastic_restart_resumes_from_last_checkpoint(tmp_path: Path, ddp_run: Run):
    # rank 1 is SIGKILLed before iteration 6 of 16; torchrun restarts both ranks, and the
    # Runner resumes (resume=True) from the newest complete checkpoint, mid-epoch
    run = run_worker(
        tmp_path,
        {"save_every_iter": True, "resume": True, "kill_rank": 1, "kill_iter": 5},
        torchrun_extra=[
            "--max-restarts",
            "1",
            "--rdzv_backend",
            "c10d",
            "--rdzv_endpoint",
            f"localhost:{free_port()}",
        ],
        env={"TORCH_DISABLE_SHARE_RDZV_TCP_STORE": "1"},
        timeout=150,
    )
    r0 = run.rank(0)
    assert r0["restarts"] == 1 and r0["iter"] == 16
    for key in r0["state"]:
        assert torch.equal(r0["state"][key], ddp_run.rank(0)["state"][key]), key
    for i, st in ddp_run.rank(0)["optimizer"]["state"].items():
        assert torch.equal(r0["optimizer"]["state"][i]["momentum_buffer"], st["momentum_buffer"])


@pytest.mark.skipif(
    not torch.cuda.is_available() or torch.cuda.device_count() < 1,
    reason="needs CUDA (NCCL + AMP fp16)",
)
def test_nccl_amp_fp16_smoke(tmp_path: Path):
    nproc = min(2, torch.cuda.device_count())
    run = run_worker(tmp_path, {"backend": "nccl", "amp": True}, nproc=nproc)
    r0 = run.rank(0)
    assert r0["iter"] == 2 * 64 // (4 * nproc) and r0["metrics"]["accuracy/top1"] > 50
    assert all(torch.isfinite(v).all() for v in r0["state"].values())


def test_resume_inside_an_accumulation_window_is_exact_under_ddp(tmp_path: Path):
    # ranks accumulate different gradients between synced steps (no_sync): a checkpoint
    # taken mid-window must carry every rank's own, or the resumed run drifts. So with
    # BatchNorm's running statistics, which each rank updates from its own batches
    # (broadcast_buffers=False): rank 1 must not resume with rank 0's
    opts = {"accumulate": 3, "save_every_iter": True, "batchnorm": True}
    straight = run_worker(tmp_path / "straight", opts)
    restarted = run_worker(
        tmp_path / "restarted",
        {**opts, "resume": True, "kill_rank": 1, "kill_iter": 5},  # 5 % 3 != 0
        torchrun_extra=[
            "--max-restarts",
            "1",
            "--rdzv_backend",
            "c10d",
            "--rdzv_endpoint",
            f"localhost:{free_port()}",
        ],
        env={"TORCH_DISABLE_SHARE_RDZV_TCP_STORE": "1"},
        timeout=150,
    )
    assert restarted.rank(0)["restarts"] == 1
    for rank in (0, 1):
        for key, value in straight.rank(rank)["state"].items():
            assert torch.equal(restarted.rank(rank)["state"][key], value), (rank, key)


def test_sigterm_on_one_rank_stops_every_rank_at_the_same_iteration(tmp_path: Path):
    # checking every iteration (period 0): the sum started at iteration 3 (where rank 1
    # got SIGTERM) is read at iteration 4, so both save iter_5.pth and stop there
    opts = {"signal_rank": 1, "signal_iter": 3, "preempt_check_period": 0.0}
    run = run_worker(tmp_path, opts, check=False)
    stops = [run.rank(r) for r in (0, 1)]
    assert [s["preempted_at"] for s in stops] == [4, 4]
    assert stops[0]["checkpoint"] == "iter_5.pth"
    assert (tmp_path / "work" / "iter_5.pth").exists()


def test_sigterm_with_the_default_check_period_still_stops_ranks_together(tmp_path: Path):
    # checks every ~0.1 s of training; the last iteration always checks
    run = run_worker(tmp_path, {"signal_rank": 0, "signal_iter": 3}, check=False)
    stops = [run.rank(r) for r in (0, 1)]
    assert stops[0]["preempted_at"] == stops[1]["preempted_at"] >= 3
    assert (tmp_path / "work" / stops[0]["checkpoint"]).exists()


def test_no_rank_exits_before_rank_0_has_written_the_preemption_checkpoint(tmp_path: Path):
    # torchrun answers the first rank's exit by stopping the others (SIGKILL after 30 s): a
    # rank leaving while rank 0 still writes would cost the checkpoint this stop is for
    opts = {"signal_rank": 1, "signal_iter": 3, "preempt_check_period": 0.0}
    run = run_worker(tmp_path, {**opts, "slow_save_rank0": 2.0}, check=False)
    stops = [run.rank(r) for r in (0, 1)]
    assert [s["pointer_at_exit"] for s in stops] == ["iter_5.pth", "iter_5.pth"]
    assert [s["code"] for s in stops] == [143, 143]


def test_a_signal_on_one_rank_is_named_on_every_rank(tmp_path: Path):
    opts = {"signal_rank": 1, "signal_iter": 3, "signal_name": "SIGUSR1"}
    run = run_worker(tmp_path, {**opts, "preempt_check_period": 0.0}, check=False)
    stops = [run.rank(r) for r in (0, 1)]
    assert [s["code"] for s in stops] == [138, 138]  # 128 + SIGUSR1, not SIGTERM's 143
    assert stops[0]["preempted_at"] == stops[1]["preempted_at"]
