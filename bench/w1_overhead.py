"""W1: what the Runner costs per iteration, against a raw PyTorch loop and the peers.

The job is deliberately tiny (an MLP on 32 features, batch 32, one thread),
so the framework's own Python work is a visible share of every iteration:
64,000 synthetic samples in a ``TensorDataset``, ``DataLoader(batch_size=32,
shuffle=True, num_workers=0)``, MLP 32-64-ReLU-10, cross-entropy, SGD lr 0.01
momentum 0.9, one epoch = 2,000 iterations, a log line every 50 iterations,
no validation and no checkpoint written while timed.

Variants (each round runs each one in a fresh process, interleaved):

* ``raw``: the hand-written loop, the floor.
* ``raw_logged``: the same loop producing by hand what the default hooks
  produce (times, lr, losses, the NaN check, the log line and its JSON
  record): what the features cost without any framework.
* ``ours_full``: our Runner with the full default hook set.
* ``ours_none``: our Runner with ``default_hooks_set='none'``.
* ``ours_full_no_iter``: an ablation, not a configuration: the full default
  set with ``before_train_iter`` / ``after_train_iter`` removed from the
  standard hooks' classes (no log lines then). Against ``ours_full`` it
  prices the hooks' per-iteration code; against ``ours_none``, everything else
  the full set brings.
* ``mmengine``: MMEngine's Runner with its default hooks (if installed).
* ``lightning``: Lightning's Trainer, CSV logger, no progress bar (if installed).

Timing is the same for all: a clock started when training starts (our and
MMEngine's ``before_train`` at the highest priority, Lightning's
``on_train_start``; before the ``for`` for raw) and stopped when it ends
(``after_train`` at the lowest priority, ``on_train_end``; after the loop).
Building the model, optimizer and runner is not timed. Every child first
trains a throwaway model for 200 iterations (untimed) to warm torch up.

Run alone: ``python bench/w1_overhead.py --rounds 5``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

N_SAMPLES = 64_000
N_FEATURES = 32
N_CLASSES = 10
BATCH = 32
LOG_INTERVAL = 50
VARIANTS = (
    "raw",
    "raw_logged",
    "ours_full",
    "ours_none",
    "ours_full_no_iter",
    "mmengine",
    "lightning",
)
#: the raw loop in a process in a given state (``w1_paired.py --pairs raw:raw_after_runner``);
#: not run by default: they say where the no-hooks gap comes from, not what a user pays
STATE_VARIANTS = ("raw_after_runner", "raw_after_heap_churn")
PEERS = {"mmengine": "mmengine", "lightning": "lightning"}
LABELS = {
    "raw": "raw PyTorch loop (floor)",
    "raw_logged": "raw loop doing the default set's work by hand",
    "ours_full": "ours, full default hooks",
    "ours_none": "ours, no hooks (`default_hooks_set='none'`)",
    "ours_full_no_iter": "ablation: full default hooks without their per-iteration points",
    "mmengine": "MMEngine Runner, default hooks",
    "lightning": "Lightning Trainer",
    "raw_after_runner": "raw loop after a Runner trained 5 iterations in the process",
    "raw_after_heap_churn": "raw loop after 70,000 small allocations, half freed",
}

_clock = time.perf_counter
_marks: dict[str, float] = {}


# -- the job ---------------------------------------------------------------------------
def make_loader() -> Any:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(N_SAMPLES, N_FEATURES, generator=gen)
    y = torch.randint(0, N_CLASSES, (N_SAMPLES,), generator=gen)
    return DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True, num_workers=0)


def make_mlp() -> Any:
    from torch import nn

    return nn.Sequential(nn.Linear(N_FEATURES, 64), nn.ReLU(), nn.Linear(64, N_CLASSES))


def raw_loop(loader: Any, model: Any, max_iters: int | None = None) -> int:
    """The floor: forward, loss, zero_grad, backward, step; nothing else.

    Without ``max_iters`` it is one epoch, ``for batch in loader`` to the end,
    as every framework's epoch loop runs it. (Stopping right after the last
    batch instead would skip what ending the epoch costs the loader itself:
    an exhausted ``RandomSampler`` draws one more permutation of the whole
    dataset, a few milliseconds, which the frameworks' loops all pay.)
    """
    import itertools

    import torch
    import torch.nn.functional as F

    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    done = 0
    _marks["start"] = _clock()
    batches = loader if max_iters is None else itertools.islice(loader, max_iters)
    for inputs, targets in batches:
        loss = F.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        done += 1
    _marks["stop"] = _clock()
    return done


def raw_logged_loop(loader: Any, model: Any, work_dir: str) -> int:
    """The raw loop plus, written by hand, what the default hooks produce.

    The cheapest way we know to get the same output, so that the Runner's
    full set can be priced against the features themselves, not only against
    a loop that logs nothing: per iteration the data wait and iteration time,
    lr and momentum in 1,000-long histories, the loss kept as a detached
    tensor until the next line or NaN check reads it, once (a read every
    iteration costs more here, in the pairs, and so does keeping 1,000
    tensors, in cachegrind: see the profiling notes in docs/benchmarks.md);
    at most 50 iterations between NaN checks; every ``LOG_INTERVAL``
    iterations the same line through ``logging`` to stdout and a log file
    (means over 10, ETA, peak RSS) and a JSON record appended to a file,
    flushed at most once a second.
    """
    import datetime
    import json
    import logging
    import math
    import os
    import resource
    from collections import deque
    from itertools import islice

    import torch
    import torch.nn.functional as F

    logger = logging.getLogger("w1.raw_logged")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    fmt = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(logging.Formatter(fmt, "%m/%d %H:%M:%S"))
    log_file = logging.FileHandler(os.path.join(work_dir, "run.log"), encoding="utf-8")
    log_file.setFormatter(logging.Formatter(fmt, "%Y/%m/%d %H:%M:%S"))
    logger.handlers[:] = [console, log_file]
    records = open(os.path.join(work_dir, "scalars.json"), "a", encoding="utf-8")  # noqa: SIM115
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    group = optimizer.param_groups[0]
    total = len(loader)
    clock = time.perf_counter
    lrs: deque[float] = deque(maxlen=1000)
    momenta: deque[float] = deque(maxlen=1000)
    data_times: deque[float] = deque(maxlen=1000)
    times: deque[float] = deque(maxlen=1000)
    losses: deque[float] = deque(maxlen=1000)
    unread: list[Any] = []  # the losses not read yet, as tensors

    def window_mean(history: deque[float]) -> float:
        window = list(islice(reversed(history), 10))
        return sum(window) / len(window)

    spent_sum, counted, flushed = 0.0, 0, clock()
    done = 0
    _marks["start"] = _clock()
    last = clock()
    for inputs, targets in loader:
        data_times.append(clock() - last)
        lrs.append(group["lr"])
        momenta.append(group["momentum"])
        loss = F.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        unread.append(loss.detach())
        line_due = (done + 1) % LOG_INTERVAL == 0
        if line_due or len(unread) >= 50:  # one read serves the NaN check and the line
            read = [v.item() for v in unread]
            if not math.isfinite(sum(read)):
                raise FloatingPointError(f"loss is not finite near iteration {done + 1}")
            losses.extend(read)
            unread = []
        now = clock()
        times.append(now - last)
        last = now
        if done:  # the first, warm-up iteration is left out of the ETA's mean
            spent_sum += times[-1]
            counted += 1
        done += 1
        if line_due:
            loss_mean = window_mean(losses)
            time_mean = window_mean(times)
            data_mean = window_mean(data_times)
            eta = (spent_sum / max(counted, 1)) * (total - done)
            memory = resource.getrusage(resource.RUSAGE_THREAD).ru_maxrss // 1024
            logger.info(
                f"Epoch(train) [1][{done:>{len(str(total))}}/{total}]  lr: {lrs[-1]:.4e}  "
                f"eta: {datetime.timedelta(seconds=int(eta))}  time: {time_mean:.4f}  "
                f"data_time: {data_mean:.4f}  memory: {memory}  loss: {loss_mean:.4f}"
            )
            record = {"lr": lrs[-1], "momentum": momenta[-1], "time": time_mean}
            record.update(data_time=data_mean, loss=loss_mean, memory=memory)
            records.write(json.dumps({**record, "epoch": 1, "iter": done, "step": done}) + "\n")
            if now - flushed >= 1.0:
                records.flush()
                flushed = now
    _marks["stop"] = _clock()
    records.close()
    for handler in logger.handlers:
        handler.close()
    return done


# -- our Runner ---------------------------------------------------------------------------
def ours(loader: Any, model: Any, work_dir: str, hooks_set: str | None) -> int:
    from frameworks import ours_clocks

    from runner_core import Runner

    kwargs: dict[str, Any] = {}
    if hooks_set == "none":
        kwargs["default_hooks_set"] = "none"
    else:
        kwargs["default_hooks"] = {
            "logger": {"interval": LOG_INTERVAL},
            # registered and checking every iteration, never saving while timed
            "checkpoint": {"interval": 10**9, "save_last": False},
        }
    runner = Runner(
        model=model,
        work_dir=work_dir,
        train_dataloader=loader,
        train_cfg={"by_epoch": True, "max_epochs": 1},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}},
        custom_hooks=ours_clocks(_marks, _clock),
        **kwargs,
    )
    runner.train()
    return runner.iter


def strip_iteration_points(hooks: Sequence[str] | None = None) -> list[str]:
    """The ablation: remove the per-iteration training points from the standard hooks' classes.

    Every standard hook by default, or only the classes named in ``hooks``.
    Returns the ``Class.point`` names removed. Only for ablation variants, in
    their own process: the hook manager then finds nothing of theirs to call
    per iteration.
    """
    import runner_hooks_standard

    removed = []
    for name in runner_hooks_standard.__all__ if hooks is None else hooks:
        cls = getattr(runner_hooks_standard, name)
        for point in ("before_train_iter", "after_train_iter"):
            if isinstance(cls, type) and point in cls.__dict__:
                delattr(cls, point)
                removed.append(f"{name}.{point}")
    return removed


# -- MMEngine -------------------------------------------------------------------------------
def mmengine_run(loader: Any, model: Any, work_dir: str) -> int:
    from frameworks import mmengine_clocks, mmengine_model
    from mmengine.runner import Runner

    runner = Runner(
        model=mmengine_model(model),
        work_dir=work_dir,
        train_dataloader=loader,
        train_cfg={"by_epoch": True, "max_epochs": 1},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}},
        default_hooks={
            "logger": {"type": "LoggerHook", "interval": LOG_INTERVAL},
            "checkpoint": {"type": "CheckpointHook", "interval": 10**9, "save_last": False},
        },
        custom_hooks=mmengine_clocks(_marks, _clock),
    )
    runner.train()
    return runner.iter


# -- Lightning --------------------------------------------------------------------------------
def lightning_run(loader: Any, model: Any, work_dir: str, accelerator: str = "cpu") -> int:
    import lightning as L
    from frameworks import lightning_model
    from lightning.pytorch.loggers import CSVLogger

    class Clock(L.Callback):
        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            _marks["start"] = _clock()

        def on_train_end(self, trainer: Any, pl_module: Any) -> None:
            _marks["stop"] = _clock()

    trainer = L.Trainer(
        max_epochs=1,
        accelerator=accelerator,
        devices=1,
        logger=CSVLogger(work_dir),
        log_every_n_steps=LOG_INTERVAL,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[Clock()],
        default_root_dir=work_dir,
    )
    trainer.fit(lightning_model(model), train_dataloaders=loader)
    return int(trainer.global_step)


# -- one child: one variant, one timed run -------------------------------------------------------
def run_one(variant: str, clock: Any = None) -> dict[str, Any]:
    """One timed run of ``variant``; ``clock`` (installed after the warm-up) replaces W1's."""
    global _clock
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    loader = make_loader()
    raw_loop(loader, make_mlp(), 200)  # warm-up, untimed
    if clock is not None:
        _clock = clock
    _marks.clear()
    model = make_mlp()
    with tempfile.TemporaryDirectory(prefix="w1-") as work_dir:
        if variant == "raw":
            done = raw_loop(loader, model)
        elif variant == "raw_logged":
            done = raw_logged_loop(loader, model, work_dir)
        elif variant == "ours_full":
            done = ours(loader, model, work_dir, None)
        elif variant == "ours_full_no_iter":
            strip_iteration_points()
            done = ours(loader, model, work_dir, None)
        elif variant == "ours_none":
            done = ours(loader, model, work_dir, "none")
        elif variant == "raw_after_runner":
            ours(list(itertools.islice(make_loader(), 5)), make_mlp(), work_dir, "none")
            _marks.clear()
            done = raw_loop(loader, model)
        elif variant == "raw_after_heap_churn":
            tensors = [torch.randn(i % 97 + 1) for i in range(20_000)]
            records = [{"i": i, "s": str(i)} for i in range(50_000)]
            del tensors[::2], records[::3]
            done = raw_loop(loader, model)
        elif variant == "mmengine":
            done = mmengine_run(loader, model, work_dir)
        elif variant == "lightning":
            done = lightning_run(loader, model, work_dir)
        else:
            raise SystemExit(f"unknown variant {variant!r}; choose from {VARIANTS}")
    seconds = _marks["stop"] - _marks["start"]
    return {
        "variant": variant,
        "seconds": seconds,
        "iters": done,
        "us_per_iter": seconds / max(done, 1) * 1e6,
        "torch_threads": torch.get_num_threads(),
    }


# -- the parent: interleaved rounds ----------------------------------------------------------------
def peer_available(python: str, module: str) -> tuple[bool, str]:
    """Whether ``module`` imports under ``python`` (with the error when it does not)."""
    import subprocess

    proc = subprocess.run(
        [python, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    if proc.returncode == 0:
        return True, ""
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    return False, lines[-1] if lines else f"exit {proc.returncode}"


def measure(
    rounds: int = 5, python: str | None = None, variants: list[str] | None = None
) -> dict[str, Any]:
    """Run ``rounds`` interleaved rounds; return per-variant times and ratios to raw.

    ``python`` runs every variant (use an environment with the peers installed
    to include them; variants whose package does not import are skipped and
    the import error is recorded).
    """
    from _common import SINGLE_THREAD_ENV, child_env, run_child, summary

    python = python or sys.executable
    wanted = list(variants or VARIANTS)
    skipped: dict[str, str] = {}
    for variant, module in PEERS.items():
        if variant in wanted:
            ok, error = peer_available(python, module)
            if not ok:
                wanted.remove(variant)
                skipped[variant] = f"import {module} failed: {error}"
    env = child_env(SINGLE_THREAD_ENV)
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in wanted}
    for r in range(rounds):
        order = wanted[r % len(wanted) :] + wanted[: r % len(wanted)]
        for variant in order:
            result = run_child(python, [__file__, "--child", variant], env=env)
            runs[variant].append(result)
            print(
                f"  W1 round {r + 1}/{rounds} {variant:10s} {result['seconds']:.3f} s "
                f"({result['us_per_iter']:.0f} us/iter, {result['iters']} iters)",
                flush=True,
            )
    raw_times = [x["seconds"] for x in runs["raw"]]
    out: dict[str, Any] = {"rounds": rounds, "python": python, "variants": {}, "skipped": skipped}
    for variant, results in runs.items():
        times = [x["seconds"] for x in results]
        iters = results[0]["iters"]
        entry: dict[str, Any] = {
            "seconds": summary(times),
            "us_per_iter": summary([t / iters * 1e6 for t in times]),
            "iters": iters,
            "torch_threads": sorted({x["torch_threads"] for x in results}),
            "all_seconds": times,
        }
        if variant != "raw":
            # ratio within each round (same machine state), then its median and spread
            ratios = [t / base for t, base in zip(times, raw_times)]
            entry["ratio_to_raw"] = summary(ratios)
            entry["ratio_of_medians"] = summary(times)["median"] / summary(raw_times)["median"]
            overheads = [(t - base) / iters * 1e6 for t, base in zip(times, raw_times)]
            entry["overhead_us_per_iter"] = summary(overheads)
        out["variants"][variant] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--child", choices=VARIANTS + STATE_VARIANTS, help="run one variant in this process"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--python", default=None, help="interpreter for the variants")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=None)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
    from _common import write_json

    if args.child:
        write_json(args.json_out, run_one(args.child))
        return
    result = measure(args.rounds, args.python, args.variants)
    write_json(args.json_out, result)
    for name, entry in result["variants"].items():
        ratio = entry.get("ratio_to_raw")
        extra = ""
        if ratio:
            extra = (
                f"  x{ratio['median']:.3f} [{ratio['min']:.3f}-{ratio['max']:.3f}] of raw, "
                f"+{entry['overhead_us_per_iter']['median']:.1f} us/iter"
            )
        print(f"{name:10s} {entry['seconds']['median']:.3f} s{extra}")
    for name, why in result["skipped"].items():
        print(f"{name}: skipped ({why})")


if __name__ == "__main__":
    main()
