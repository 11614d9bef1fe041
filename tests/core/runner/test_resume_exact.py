"""Exact resume: train N straight vs train k, stop (cleanly or SIGKILL), resume in a new process.

Each case runs real subprocesses (``resume_script.py``, each a new process forked
by tests/support/script_server.py, which imported torch once): the final weights,
the EMA weights and every logged loss must be bit-identical, and the resumed
process must load only the samples it trains on. Straight runs are shared by
the cases with the same training config; they and the cleanly stopped first
parts run one after another in one process, while every SIGKILLed first part
and every resumed run is a new process.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import torch
from script_server import ScriptServer

SCRIPT = Path(__file__).with_name("resume_script.py")
BATCH, DATA = 4, 24
EPOCH_LEN = DATA // BATCH  # 6 iterations per epoch

# name: (training config, checkpoint config, k, how the first process stops)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], int, str]] = {
    # stopped after epoch 1's validation (which re-saves epoch_1.pth if it changed hook state)
    "epoch-boundary": (dict(loop="epoch", max=3, validate=True), dict(interval=1), 6, "clean"),
    "epoch-boundary-sigkill-auto": (dict(loop="epoch", max=3), dict(interval=1), 12, "kill"),
    "epoch-mid": (dict(loop="epoch", max=3), dict(interval=4, by_epoch=False), 8, "clean"),
    "epoch-mid-workers2": (
        dict(loop="epoch", max=3, workers=2),
        dict(interval=4, by_epoch=False),
        8,
        "clean",
    ),
    "epoch-mid-sigkill-auto": (
        dict(loop="epoch", max=3, validate=True),
        dict(interval=5, by_epoch=False),
        10,
        "kill",
    ),
    "iter-mid": (dict(loop="iter", max=18), dict(interval=4, by_epoch=False), 8, "clean"),
    "iter-boundary-workers2": (
        dict(loop="iter", max=18, workers=2),
        dict(interval=6, by_epoch=False),
        12,
        "clean",
    ),
    "accumulate3-mid-window": (
        dict(loop="epoch", max=3, accumulate=3),
        dict(interval=4, by_epoch=False),
        4,
        "clean",
    ),
    "iter-accumulate3-sigkill": (
        dict(loop="iter", max=18, accumulate=3),
        dict(interval=7, by_epoch=False),
        7,
        "kill",
    ),
}


def _run(server: ScriptServer, opts: dict[str, Any], expect_kill: bool = False) -> Any:
    """Run one job in a new process; its results (None when it was to SIGKILL itself)."""
    proc = server.run([str(SCRIPT), json.dumps(opts)], timeout=120)
    if expect_kill:
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
        return None
    assert proc.returncode == 0, proc.stderr[-3000:]
    return torch.load(opts["out"], weights_only=True)


def _run_batch(server: ScriptServer, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run ``jobs`` one after another in one new process; their results in order."""
    proc = server.run([str(SCRIPT), json.dumps(jobs)], timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [torch.load(job["out"], weights_only=True) for job in jobs]


def _loads(out: str) -> Counter[int]:
    path = Path(out + ".loads")
    return Counter(int(x) for x in path.read_text().split()) if path.exists() else Counter()


def _stop_on(train: dict[str, Any], ckpt: dict[str, Any]) -> str:
    if not ckpt.get("by_epoch", True) or train["loop"] == "iter":
        return "iter"
    return "val" if train.get("validate") else "epoch"


def _train_key(train: dict[str, Any]) -> str:
    return json.dumps(train, sort_keys=True)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run every process of the matrix (two at a time) and collect the results.

    The straight runs and the first parts that stop cleanly need no process of
    their own: they run one after another in one process, which exits before any
    of them is resumed (its work-dir locks go with it). A first part that is
    SIGKILLed and every resumed run is a new process.
    """
    root = tmp_path_factory.mktemp("resume")
    straight_jobs: dict[str, dict[str, Any]] = {}
    for train, ckpt, _k, _how in CASES.values():
        key = _train_key(train)
        if key not in straight_jobs:
            tag = f"straight{len(straight_jobs)}"
            straight_jobs[key] = dict(
                train, work_dir=str(root / tag), out=str(root / f"{tag}.pt"), ckpt=dict(ckpt)
            )

    def first_job(name: str) -> dict[str, Any]:
        train, ckpt, k, how = CASES[name]
        return dict(
            train,
            work_dir=str(root / name),
            out=str(root / f"{name}-first.pt"),
            ckpt=ckpt,
            stop_at=k,
            stop_how=how,
            stop_on=_stop_on(train, ckpt),
        )

    def resume(name: str) -> dict[str, Any]:
        train, ckpt, k, how = CASES[name]
        work = root / name
        if how == "kill":  # auto-resume: find the latest checkpoint through the pointer
            load_from = None
        else:  # resume=True with load_from: resume from that file
            fname = (
                f"iter_{k}.pth" if not ckpt.get("by_epoch", True) else f"epoch_{k // EPOCH_LEN}.pth"
            )
            load_from = str(work / fname)
        second = dict(
            train,
            work_dir=str(work),
            out=str(root / f"{name}-resumed.pt"),
            ckpt=ckpt,
            resume=True,
            load_from=load_from,
        )
        resumed = _run(server, second)
        assert resumed is not None
        return {"resumed": resumed, "loads": _loads(second["out"])}

    def killed_then_resumed(name: str) -> dict[str, Any]:
        _run(server, first_job(name), expect_kill=True)
        return {"first": None, **resume(name)}

    clean = [name for name, case in CASES.items() if case[3] == "clean"]
    killed = [name for name, case in CASES.items() if case[3] == "kill"]
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1")
    with ScriptServer(env, root) as server, ThreadPoolExecutor(max_workers=2) as pool:
        batch = [*straight_jobs.values(), *(first_job(name) for name in clean)]
        batch_fut = pool.submit(_run_batch, server, batch)
        killed_futs = {name: pool.submit(killed_then_resumed, name) for name in killed}
        batch_results = batch_fut.result()
        resumed_futs = {name: pool.submit(resume, name) for name in clean}
        straight = dict(zip(straight_jobs, batch_results))
        straight_loads = {key: _loads(job["out"]) for key, job in straight_jobs.items()}
        firsts = dict(zip(clean, batch_results[len(straight_jobs) :]))
        cases = {name: fut.result() for name, fut in killed_futs.items()}
        cases.update(
            {name: {"first": firsts[name], **fut.result()} for name, fut in resumed_futs.items()}
        )
    return {"straight": straight, "straight_loads": straight_loads, "cases": cases, "root": root}


def _assert_same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], what: str) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f"{what}[{key}] differs"


@pytest.mark.parametrize("name", list(CASES))
def test_resume_is_bit_exact(matrix: dict[str, Any], name: str) -> None:
    train, _ckpt, k, how = CASES[name]
    key = _train_key(train)
    straight = matrix["straight"][key]
    case = matrix["cases"][name]
    resumed = case["resumed"]
    total = train["max"] * (EPOCH_LEN if train["loop"] == "epoch" else 1)

    assert straight["iter"] == total and resumed["iter"] == total
    _assert_same_tensors(straight["state_dict"], resumed["state_dict"], "weights")
    _assert_same_tensors(straight["ema"], resumed["ema"], "EMA weights")
    # every loss the resumed process logged is the straight run's, bit for bit
    assert resumed["losses"] == straight["losses"][k:]
    assert [i for i, _ in resumed["losses"]] == list(range(k + 1, total + 1))
    if how == "clean":
        assert case["first"]["losses"] == straight["losses"][:k]
    # the resumed process loaded exactly the samples it trained on, none it skipped
    loads = case["loads"]
    assert sum(loads.values()) == (total - k) * BATCH
    assert sum(matrix["straight_loads"][key].values()) == total * BATCH


def test_checkpoint_inside_accumulation_window_carries_gradients(matrix: dict[str, Any]) -> None:
    """accumulate=3, checkpoint after iteration 4: the window's summed gradients are saved."""
    ckpt = torch.load(matrix["root"] / "accumulate3-mid-window" / "iter_4.pth", weights_only=True)
    grads = ckpt["accumulated_grads"]
    assert set(grads) == {f"module.{n}.{p}" for n in (0, 3) for p in ("weight", "bias")}
    assert all(g.abs().sum() > 0 for g in grads.values())
    at_boundary = torch.load(
        matrix["root"] / "accumulate3-mid-window" / "iter_12.pth", weights_only=True
    )
    assert "accumulated_grads" not in at_boundary  # 12 % 3 == 0: nothing pending
