"""Exact resume: train N straight vs train k, stop (cleanly or SIGKILL), resume in a new process.

Each case runs real subprocesses (``resume_script.py``): the final weights, the
EMA weights and every logged loss must be bit-identical, and the resumed
process must load only the samples it trains on. Straight runs are shared by
the cases with the same training config.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import torch

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


def _run(opts: dict[str, Any], expect_kill: bool = False) -> dict[str, Any] | None:
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), json.dumps(opts)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if expect_kill:
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
        return None
    assert proc.returncode == 0, proc.stderr[-3000:]
    return torch.load(opts["out"], weights_only=True)


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
    """Run every process of the matrix (two at a time) and collect the results."""
    root = tmp_path_factory.mktemp("resume")
    straight_jobs: dict[str, dict[str, Any]] = {}
    for train, ckpt, _k, _how in CASES.values():
        key = _train_key(train)
        if key not in straight_jobs:
            tag = f"straight{len(straight_jobs)}"
            straight_jobs[key] = dict(
                train, work_dir=str(root / tag), out=str(root / f"{tag}.pt"), ckpt=dict(ckpt)
            )

    def first_then_resume(name: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
        train, ckpt, k, how = CASES[name]
        work = root / name
        first = dict(
            train,
            work_dir=str(work),
            out=str(root / f"{name}-first.pt"),
            ckpt=ckpt,
            stop_at=k,
            stop_how=how,
            stop_on=_stop_on(train, ckpt),
        )
        first_result = _run(first, expect_kill=how == "kill")
        if how == "kill":  # auto-resume: find the latest checkpoint through the pointer
            resume: Any = True
            load_from = None
        else:  # resume=True with load_from: resume from that file
            resume = True
            fname = (
                f"iter_{k}.pth" if not ckpt.get("by_epoch", True) else f"epoch_{k // EPOCH_LEN}.pth"
            )
            load_from = str(work / fname)
        second = dict(
            train,
            work_dir=str(work),
            out=str(root / f"{name}-resumed.pt"),
            ckpt=ckpt,
            resume=resume,
            load_from=load_from,
        )
        resumed = _run(second)
        assert resumed is not None
        return name, {"first": first_result}, {"resumed": resumed, "loads": _loads(second["out"])}

    with ThreadPoolExecutor(max_workers=2) as pool:
        straight_futs = {key: pool.submit(_run, job) for key, job in straight_jobs.items()}
        case_futs = [pool.submit(first_then_resume, name) for name in CASES]
        straight = {key: fut.result() for key, fut in straight_futs.items()}
        straight_loads = {key: _loads(job["out"]) for key, job in straight_jobs.items()}
        cases = {}
        for fut in case_futs:
            name, first, second = fut.result()
            cases[name] = {**first, **second}
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
