"""Metrics of two gloo ranks equal those of one process (padding dropped, order kept).

Runs ``_dist_eval_worker.py`` once alone and once under torchrun with two
ranks; the expected orders are what MMEngine 0.10.7 gives for the same jobs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from torchrun_helpers import torchrun_args, worker_env

WORKER = Path(__file__).with_name("_dist_eval_worker.py")

pytestmark = pytest.mark.slow


def _run(out: Path, nproc: int | None) -> list[dict[str, Any]]:
    out.mkdir()
    cmd = [sys.executable] if nproc is None else torchrun_args(nproc)
    proc = subprocess.run(
        [*cmd, str(WORKER), str(out)], capture_output=True, text=True, timeout=120, env=worker_env()
    )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(nproc or 1)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    base = tmp_path_factory.mktemp("dist_eval")
    return {"one": _run(base / "one", None), "two": _run(base / "two", 2)}


RUNNER_CASES = [
    "padded",
    "shuffled",
    "no_round_up",
    "smaller_than_world",
    "smaller_no_round_up",
    "collect_gpu_prefix",
    "test_two_metrics",
]


@pytest.mark.parametrize("case", RUNNER_CASES)
def test_two_ranks_report_the_one_process_metrics_on_every_rank(
    runs: dict[str, list[dict[str, Any]]], case: str
) -> None:
    (one,) = runs["one"]
    for rank in runs["two"]:
        assert rank[case]["metrics"] == one[case]["metrics"], case
    # compute_metrics (rank 0) got every sample once, in the one-process order
    assert runs["two"][0][case]["order"] == one[case]["order"]


def test_each_rank_processes_its_round_robin_share_as_in_mmengine(
    runs: dict[str, list[dict[str, Any]]],
) -> None:
    zero, one = runs["two"]
    # 7 samples, batches of 2: rank 1's last batch ends with sample 0 again (padding)
    assert zero["padded"]["seen"] == [[0, 2], [4, 6]]
    assert one["padded"]["seen"] == [[1, 3], [5, 0]]
    assert one["no_round_up"]["seen"] == [[1, 3], [5]]
    assert zero["shuffled"]["seen"] == [[1, 4], [6, 3]]
    assert one["shuffled"]["seen"] == [[0, 2], [5, 1]]
    assert runs["two"][0]["shuffled"]["order"] == [1, 0, 4, 2, 6, 5, 3]
    assert one["smaller_no_round_up"]["seen"] == []
    assert runs["one"][0]["padded"]["metrics"]["accuracy/top2_no-thr"] == pytest.approx(600 / 7)


def test_dump_results_writes_every_sample_once_in_the_one_process_order(
    runs: dict[str, list[dict[str, Any]]],
) -> None:
    assert runs["two"][0]["dump"]["dump"] == runs["one"][0]["dump"]["dump"] == [1, 0, 4, 2, 6, 5, 3]
    assert runs["two"][1]["dump"]["metrics"] == {}


def test_offline_evaluate_counts_every_sample_once_on_two_ranks(
    runs: dict[str, list[dict[str, Any]]],
) -> None:
    (one,) = runs["one"]
    expected = [[i, None] for i in range(7)]
    assert one["offline"]["list"] == {"order": expected}
    for rank, seen in zip(runs["two"], ([[0, 2], [4, 6]], [[1, 3], [5]])):
        # MMEngine gathers each rank's full copy: [0, 0, 1, 1, 2, 2, 3]
        assert rank["offline"]["list"] == {"order": expected}
        assert rank["offline"]["list_seen"] == seen
        assert rank["offline"]["generator"] == {"order": [[i, 10 + i] for i in range(5)]}


@pytest.mark.parametrize(("name", "items"), [("longer", 8), ("shorter", 6)])
def test_offline_evaluate_length_mismatch_raises_on_every_rank(
    runs: dict[str, list[dict[str, Any]]], name: str, items: int
) -> None:
    # a rank whose share matched raises too, instead of waiting for the other in the gather
    for rank in [*runs["one"], *runs["two"]]:
        assert rank["offline"][name].startswith(
            f"offline_evaluate got 7 data samples but {items} data items"
        )


def test_clashing_metric_keys_raise_on_every_rank(runs: dict[str, list[dict[str, Any]]]) -> None:
    for rank in runs["two"]:
        assert rank["clash"].startswith("Two metrics report 'order' (A and Plain).")
