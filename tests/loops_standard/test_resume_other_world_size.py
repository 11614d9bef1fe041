"""A training run resumed with another number of processes (or another batch size per
process) continues at the saved point of the global data stream: every sample of the
interrupted pass is trained exactly once, none skipped, none repeated.

The unit tests run each rank's loop in this process on a stand-in runner (the ranks of a
data-parallel run iterate independently: only the sampler's ``rank``/``world_size`` tell
them apart) and chain runs of several sizes through the loop's ``state_dict``; the last
test does it for real: 1 process, then 2 gloo processes under torchrun.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, DistributedSampler
from torchrun_helpers import free_port, torchrun_args, worker_env

from runner_core.data.sampler import DefaultSampler, InfiniteSampler
from runner_core.runner.resume import ResumeState
from runner_loops_standard import EpochBasedTrainLoop, IterBasedTrainLoop

SIZE = 30
WORKER = Path(__file__).with_name("_world_size_worker.py")
SUPPORT = Path(__file__).resolve().parents[1] / "support"


class _Stop(Exception):
    pass


class _Points:
    """The hook points the loops call; records the sample indices of each iteration and
    stops the run (as a crash would) after ``stop`` iterations."""

    def __init__(self, stop: int | None) -> None:
        self.trained: list[list[int]] = []
        self.stop = stop

    def before_train_epoch(self, runner: Any) -> None:
        pass

    def after_train_epoch(self, runner: Any) -> None:
        pass

    def before_train_iter(self, runner: Any, idx: int, batch: Any) -> None:
        pass

    def after_train_iter(self, runner: Any, idx: int, batch: Any, outputs: Any) -> None:
        self.trained.append(batch.tolist())
        if len(self.trained) == self.stop:
            raise _Stop


class _Model:
    def train(self) -> None:
        pass

    def train_step(self, batch: Any, optim_wrapper: Any = None) -> dict:
        return {}


class _Runner:
    """What the training loops use of a Runner, for one rank of ``world_size``."""

    def __init__(self, rank: int, world_size: int, stop: int | None = None) -> None:
        self.rank, self.world_size = rank, world_size
        self.hook_points = _Points(stop)
        self.model = _Model()
        self.optim_wrapper = None
        self.resume_state = ResumeState()  # nothing to resume: its streams stay as they are
        self.logger = logging.getLogger("test_resume_other_world_size")

    def call_hook(self, name: str, **kwargs: Any) -> None:
        pass

    def has_validation(self) -> bool:
        return False


def _sampler(kind: str, rank: int, world: int, size: int = SIZE) -> Any:
    if kind == "default":
        return DefaultSampler(range(size), seed=3, rank=rank, world_size=world)
    if kind == "infinite":
        return InfiniteSampler(range(size), seed=3, rank=rank, world_size=world)
    return DistributedSampler(range(size), num_replicas=world, rank=rank, seed=3)  # torch's


def _run(
    kind: str,
    world: int,
    batch: int,
    end: int,
    state: dict | None,
    by_epoch: bool = False,
    stop: int | None = None,
    size: int = SIZE,
) -> tuple[list[int], dict]:
    """Train every rank of ``world`` (``batch`` each) from ``state`` to ``end`` (iterations,
    or epochs when ``by_epoch``), or until it stops after ``stop`` iterations; the samples
    all ranks trained, and the position rank 0 saves at the end."""
    trained: list[int] = []
    saved: dict = {}
    for rank in range(world):
        runner = _Runner(rank, world, stop)
        loader = DataLoader(
            range(size), batch_size=batch, sampler=_sampler(kind, rank, world, size)
        )
        loop: Any
        if by_epoch:
            loop = EpochBasedTrainLoop(runner, loader, max_epochs=end)  # type: ignore[arg-type]
        else:
            loop = IterBasedTrainLoop(runner, loader, max_iters=end)  # type: ignore[arg-type]
        if state is not None:
            loop.load_state_dict(state)
        try:
            loop.run()
        except _Stop:
            pass
        trained += [i for step in runner.hook_points.trained for i in step]
        saved = saved or loop.state_dict()
    return trained, saved


def _chain(
    kind: str, runs: list[tuple[int, int, int]], by_epoch: bool = False
) -> tuple[list[int], list[dict]]:
    """Runs ``(world, batch per rank, end)`` one after the other, each resumed from the last."""
    trained: list[int] = []
    states: list[dict] = []
    state = None
    for world, batch, end in runs:
        samples, state = _run(kind, world, batch, end, state, by_epoch)
        trained += samples
        states.append(state)
    return trained, states


@pytest.mark.parametrize(
    ("kind", "runs"),
    [
        # 1 -> 2 processes, 10 iterations of 4 in: pass 1 at sample 8; 22 left = 3 x (2 x 4)
        ("default", [(1, 4, 10), (2, 4, 13)]),
        # 2 -> 1: 5 iterations of 2 x 4 (4 make pass 0): pass 1 at 8; 22 left = 6 x 4
        ("default", [(2, 4, 5), (1, 4, 11)]),
        # a chain: 1 x 4 -> 2 x 3 (a global start) -> 2 x 4 (same size again, goes on in
        # each rank's slice from the global position, not at its own batch count)
        ("default", [(1, 4, 9), (2, 3, 11), (2, 4, 13)]),
        # same number of processes, another batch size per process
        ("default", [(2, 4, 3), (2, 3, 4)]),
        # the endless stream: 36 samples in, then 3 x (2 x 4) = 2 passes exactly
        ("infinite", [(1, 4, 9), (2, 4, 12)]),
        ("infinite", [(2, 4, 3), (3, 3, 7)]),  # 24 in, then 4 x (3 x 3)
        ("infinite", [(1, 4, 9), (2, 3, 11), (3, 4, 12)]),
    ],
)
def test_iteration_based_resume_trains_each_sample_of_the_pass_once(kind, runs) -> None:
    trained, _ = _chain(kind, runs)
    passes = len(trained) // SIZE
    assert len(trained) == passes * SIZE  # the chains end at the end of a pass
    assert Counter(trained) == dict.fromkeys(range(SIZE), passes)


def test_the_saved_position_is_global_and_a_finished_pass_is_the_next_one() -> None:
    _, states = _chain("default", [(1, 4, 10), (2, 4, 12), (2, 4, 13)])
    assert states[0] == {
        "epoch": 0,
        "iter": 10,
        "batch_in_epoch": 0,
        "mid_epoch": True,
        "world_size": 1,
        "data_pass": 1,
        "samples_in_pass": 8,  # pass 0 took 8 iterations (the last of 2 samples)
        "dataset_length": SIZE,  # what the position is a position in
    }
    assert (states[1]["world_size"], states[1]["data_pass"], states[1]["samples_in_pass"]) == (
        2,
        1,
        24,
    )
    # the last batch of the pass ran: the position is the start of the next one
    assert (states[2]["data_pass"], states[2]["samples_in_pass"]) == (2, 0)
    _, endless = _chain("infinite", [(2, 4, 3), (1, 4, 7)])
    assert (endless[0]["data_pass"], endless[0]["samples_in_pass"]) == (0, 24)
    assert (endless[1]["data_pass"], endless[1]["samples_in_pass"]) == (0, 40)


def test_same_layout_resumes_each_rank_in_its_own_slice_as_before() -> None:
    """Same number of processes and batch size: the batches of an uninterrupted run."""
    straight, _ = _chain("default", [(2, 4, 11)])
    resumed, _ = _chain("default", [(2, 4, 6), (2, 4, 11)])
    assert Counter(resumed) == Counter(straight)


def test_a_checkpoint_without_the_global_position_resumes_as_before() -> None:
    """Checkpoints of earlier versions hold only ``iter``: each rank's own batch count."""
    old = {"epoch": 0, "iter": 10, "batch_in_epoch": 0, "mid_epoch": True}
    resumed, state = _run("default", 1, 4, 12, old)
    # iteration 10 of passes of 8 batches: pass 1, batch 2 (samples 8..15 of its order)
    sampler = _sampler("default", 0, 1)
    sampler.set_epoch(1)
    assert resumed == list(sampler)[8:16]
    assert (state["data_pass"], state["samples_in_pass"]) == (1, 16)


def test_a_sampler_that_cannot_start_globally_restarts_the_pass(caplog) -> None:
    """torch's DistributedSampler has no set_global_start: the pass is trained again from its
    first batch (samples repeat, none is skipped), with a warning that says so."""
    with caplog.at_level(logging.WARNING, logger="test_resume_other_world_size"):
        trained, states = _chain("torch", [(1, 4, 10), (2, 4, 12)])
    assert "cannot split the rest among them: data pass 2 restarts" in caplog.text
    assert "those 8 samples are trained again" in caplog.text
    # the first run: pass 0 (30 samples) and 8 of pass 1; then 2 x (2 x 4) from its start
    before, after = trained[30:38], trained[38:]
    sampler = DistributedSampler(range(SIZE), num_replicas=2, rank=0, seed=3)
    sampler.set_epoch(1)
    assert after[:8] == list(sampler)[:8]
    assert set(before) <= set(after) and len(set(after)) == 16
    assert (states[1]["data_pass"], states[1]["samples_in_pass"]) == (1, 16)


@pytest.mark.parametrize(("first", "then"), [((1, 4), (2, 4)), ((2, 4), (1, 4)), ((2, 3), (3, 2))])
def test_epoch_based_resume_with_another_world_size_trains_each_sample_once(first, then) -> None:
    """Stopped after 3 iterations of epoch 2 (1-based), resumed by another number of
    processes: over both runs, every sample twice (epoch 1, then epoch 2)."""
    world, batch = first
    per_epoch = math.ceil(math.ceil(SIZE / world) / batch)  # batches per rank and epoch
    before, state = _run("default", world, batch, 2, None, by_epoch=True, stop=per_epoch + 3)
    assert (state["epoch"], state["batch_in_epoch"]) == (1, 3)
    after, _ = _run("default", *then, 2, state, by_epoch=True)
    assert Counter(before + after) == dict.fromkeys(range(SIZE), 2)


@pytest.mark.slow
def test_resume_with_two_gloo_processes_trains_each_sample_of_the_pass_once(
    tmp_path: Path,
) -> None:
    """1 process trains until a checkpoint mid-pass and stops; 2 gloo processes resume
    from it. For the iteration-based loop with DefaultSampler and InfiniteSampler and the
    epoch-based loop, the samples trained before and after the resume are each sample
    exactly twice: the first pass, then the interrupted one, none skipped or repeated."""
    import importlib.util
    import subprocess

    spec = importlib.util.spec_from_file_location("_world_size_worker", WORKER)
    assert spec is not None and spec.loader is not None
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)
    work, outs = tmp_path / "work", {"stop": tmp_path / "stop", "resume": tmp_path / "resume"}
    for out in outs.values():
        out.mkdir()
    # the single-process run in this process; the resumed one under torchrun
    worker.run_cases(
        {"work": str(work), "out": str(outs["stop"]), "launcher": "none", "phase": "stop"}
    )
    opts = {"work": str(work), "out": str(outs["resume"]), "launcher": "pytorch", "phase": "resume"}
    proc = subprocess.run(
        [*torchrun_args(2, port=free_port()), str(WORKER), json.dumps(opts)],
        capture_output=True,
        text=True,
        timeout=180,
        env=worker_env(PYTHONPATH=str(SUPPORT)),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-4000:]
    for case, stop_at, resumed_iters in (
        ("iter_default", 10, 3),  # pass 1 at sample 8: 22 left, 11 per rank
        ("iter_infinite", 9, 3),  # stream at 36: 24 to the end of pass 1
        ("epoch_default", 10, 3),  # epoch 2 at sample 8: 22 left
    ):
        before = json.loads((outs["stop"] / f"{case}.rank0.json").read_text())
        assert len(before) == stop_at
        ranks = [
            json.loads((outs["resume"] / f"{case}.rank{r}.json").read_text()) for r in range(2)
        ]
        assert [len(steps) for steps in ranks] == [resumed_iters, resumed_iters], case
        # the two ranks trained different samples in every iteration
        for a, b in zip(*ranks, strict=True):
            assert not set(a) & set(b), case
        trained = [i for steps in [before, *ranks] for step in steps for i in step]
        assert Counter(trained) == dict.fromkeys(range(SIZE), 2), case
    saved = torch.load(work / "iter_default" / "stop.pth", weights_only=False)["loop"]
    assert (saved["world_size"], saved["data_pass"], saved["samples_in_pass"]) == (1, 1, 8)


@pytest.mark.parametrize("size", [18, 6, 50])
def test_an_epoch_resumed_with_another_dataset_length_restarts(size, caplog) -> None:
    """Stopped after 3 of 8 batches of epoch 2 (12 of 30 samples), resumed with a dataset of
    another length: the saved position would skip samples of the new dataset's order (or,
    with 6, the whole epoch), so the epoch restarts and trains every new sample once."""
    _, state = _run("default", 1, 4, 2, None, by_epoch=True, stop=8 + 3)
    assert (state["batch_in_epoch"], state["dataset_length"]) == (3, SIZE)
    with caplog.at_level(logging.WARNING, logger="test_resume_other_world_size"):
        after, _ = _run("default", 1, 4, 2, state, by_epoch=True, size=size)
    assert Counter(after) == dict.fromkeys(range(size), 1)
    assert f"training dataset of {SIZE} samples, and this run's training dataset has {size}" in (
        caplog.text
    )
    assert "epoch 2 restarts from its first batch" in caplog.text


@pytest.mark.parametrize("kind", ["default", "infinite"])
def test_an_iteration_pass_resumed_with_another_dataset_length_restarts(kind, caplog) -> None:
    """10 iterations of 4 over 30 samples (pass 1 at sample 8), resumed over 16 samples: the
    pass (the endless stream) starts again, so the first 4 iterations cover all 16."""
    _, state = _run(kind, 1, 4, 10, None)
    with caplog.at_level(logging.WARNING, logger="test_resume_other_world_size"):
        after, _ = _run(kind, 1, 4, 14, state, size=16)
    assert Counter(after) == dict.fromkeys(range(16), 1)
    assert "restarts from its first batch" in caplog.text
