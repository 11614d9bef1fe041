"""Cost that stays flat: extra hooks, run length and model size, on W1's job.

Every measurement is one child process (one framework, one setting), rounds
interleaved, as in ``w1_overhead.py``. All runs are iteration-based (ours:
``train_cfg=dict(by_epoch=False, max_iters=N)``; MMEngine's
``IterBasedTrainLoop``; Lightning's ``max_steps``), with W1's data, a log line
every 50 iterations and no checkpoint written while timed; ours runs the full
default hook set. Timed from training start to its end, as W1.

* ``hooks``: 0, 10, 50, 200 extra hooks, either with a no-op
  ``after_train_iter`` (``noop``) or implementing only ``before_train``
  (``idle``); the slope of a least-squares line through µs/iteration against
  the number of hooks is the cost of one hook per iteration.
* ``length``: 2k, 20k, 200k iterations: µs/iteration over the whole run and
  over its last 1,000 iterations, and the process's peak RSS; flat means no
  history grows with the run. Peers run up to ``peer_max_iters`` only (MMEngine
  slows down as it runs: its 200k run alone would take many minutes).
* ``model_size``: MLPs whose raw step takes about 0.3, 3 and 30 ms; the
  overhead over the raw loop in µs/iteration should not grow with the model.

Run alone: ``python bench/flat_cost.py hooks --rounds 2``; ``flat_report.py``
turns the results into the benchmarks page's sections.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from typing import Any

FRAMEWORKS = ("ours", "mmengine", "lightning")
PEERS = {"mmengine": "mmengine", "lightning": "lightning"}
HOOK_COUNTS = (0, 10, 50, 200)
LENGTHS = (2_000, 20_000, 200_000)
#: (label, hidden width, hidden layers, iterations timed): raw steps of ~0.3, ~3, ~30 ms
MODEL_SIZES = (
    ("~0.3 ms", 64, 1, 2000),
    ("~3 ms", 1024, 2, 400),
    ("~30 ms", 2048, 3, 60),
)
TAIL = 1000
LOG_INTERVAL = 50

_clock = time.perf_counter
_marks: dict[str, float] = {}


# -- the job ------------------------------------------------------------------------------
def make_mlp(hidden: int = 64, depth: int = 1) -> Any:
    from torch import nn

    layers: list[Any] = [nn.Linear(32, hidden), nn.ReLU()]
    for _ in range(depth - 1):
        layers += [nn.Linear(hidden, hidden), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(hidden, 10))


def _batches(loader: Any, iters: int) -> Any:
    """``iters`` batches, passing over ``loader`` as often as needed."""
    done = 0
    while True:
        for batch in loader:
            yield batch
            done += 1
            if done == iters:
                return


def raw_run(loader: Any, model: Any, iters: int, spec: dict[str, Any]) -> int:
    import torch
    import torch.nn.functional as F

    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    tail_at = iters - TAIL
    done = 0
    _marks["start"] = _clock()
    for inputs, targets in _batches(loader, iters):
        loss = F.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        done += 1
        if done == tail_at:
            _marks["tail"] = _clock()
    _marks["stop"] = _clock()
    return done


def _extra(hook_base: type, spec: dict[str, Any], iters: int) -> list[Any]:
    """The spec's extra hooks (and the tail clock) on ``hook_base``."""
    from frameworks import extra_hooks

    kind, count = spec.get("hooks", ("noop", 0))
    tail = (_marks, _clock, iters - TAIL - 1) if spec.get("tail") else None
    return extra_hooks(hook_base, kind, count, tail)


def ours_run(loader: Any, model: Any, iters: int, spec: dict[str, Any], work_dir: str) -> int:
    from frameworks import ours_clocks

    from runner_core import Runner
    from runner_core.hooks import Hook

    start, stop = ours_clocks(_marks, _clock)
    extra = _extra(Hook, spec, iters)
    runner = Runner(
        model=model,
        work_dir=work_dir,
        train_dataloader=loader,
        train_cfg={"by_epoch": False, "max_iters": iters, "val_interval": 10**9},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}},
        default_hooks={
            "logger": {"interval": LOG_INTERVAL},
            "checkpoint": {"interval": 10**9, "by_epoch": False, "save_last": False},
        },
        log_processor={"by_epoch": False},
        custom_hooks=[start, *extra, stop],
    )
    if spec.get("count_calls"):
        _marks["extra_calls"] = _iteration_calls_into(extra, runner.train)
    else:
        runner.train()
    return runner.iter


_ITER_POINTS = ("before_train_iter", "after_train_iter")


def _iteration_calls_into(hooks: list[Any], train: Any) -> int:
    """Run ``train()`` and count calls of ``hooks``' per-iteration points (their
    own or the inherited no-ops): the proof that hooks which do not implement a
    point are never visited, which timing alone cannot give."""
    ids = {id(h) for h in hooks}
    calls = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call" and frame.f_code.co_name in _ITER_POINTS:
            if id(frame.f_locals.get("self")) in ids:
                calls += 1

    sys.setprofile(profile)
    try:
        train()
    finally:
        sys.setprofile(None)
    return calls


def mmengine_run(loader: Any, model: Any, iters: int, spec: dict[str, Any], work_dir: str) -> int:
    from frameworks import mmengine_clocks, mmengine_model
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    start, stop = mmengine_clocks(_marks, _clock)
    extra = _extra(Hook, spec, iters)
    runner = Runner(
        model=mmengine_model(model),
        work_dir=work_dir,
        train_dataloader=loader,
        train_cfg={"by_epoch": False, "max_iters": iters, "val_interval": 10**9},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}},
        default_hooks={
            "logger": {"type": "LoggerHook", "interval": LOG_INTERVAL},
            "checkpoint": {
                "type": "CheckpointHook",
                "interval": 10**9,
                "by_epoch": False,
                "save_last": False,
            },
        },
        log_processor={"by_epoch": False},
        custom_hooks=[start, *extra, stop],
    )
    runner.train()
    return runner.iter


def lightning_run(loader: Any, model: Any, iters: int, spec: dict[str, Any], work_dir: str) -> int:
    import lightning as L
    from frameworks import lightning_model
    from lightning.pytorch.loggers import CSVLogger

    class Clock(L.Callback):
        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            _marks["start"] = _clock()

        def on_train_batch_end(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
            if spec.get("tail") and trainer.global_step == iters - TAIL:
                _marks["tail"] = _clock()

        def on_train_end(self, trainer: Any, pl_module: Any) -> None:
            _marks["stop"] = _clock()

    class NoopIterHook(L.Callback):
        def on_train_batch_end(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
            return None

    class IdleHook(L.Callback):
        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            return None

    kind, count = spec.get("hooks", ("noop", 0))
    extra = [(NoopIterHook if kind == "noop" else IdleHook)() for _ in range(count)]
    trainer = L.Trainer(
        max_steps=iters,
        max_epochs=-1,
        accelerator="cpu",
        devices=1,
        logger=CSVLogger(work_dir),
        log_every_n_steps=LOG_INTERVAL,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[Clock(), *extra],
        default_root_dir=work_dir,
    )
    trainer.fit(lightning_model(model), train_dataloaders=loader)
    return int(trainer.global_step)


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    """One child: ``spec`` = framework, iters, and optional hooks / hidden / depth / tail."""
    import torch

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
    import w1_overhead

    torch.set_num_threads(1)
    torch.manual_seed(0)
    loader = w1_overhead.make_loader()
    hidden, depth = spec.get("hidden", 64), spec.get("depth", 1)
    warm = 20 if hidden > 64 else 200
    w1_overhead.raw_loop(loader, make_mlp(hidden, depth), warm)  # warm-up, untimed
    _marks.clear()
    rss_before = _peak_rss_mb()
    model = make_mlp(hidden, depth)
    framework, iters = spec["framework"], spec["iters"]
    with tempfile.TemporaryDirectory(prefix="flat-") as work_dir:
        if framework == "raw":
            done = raw_run(loader, model, iters, spec)
        elif framework == "ours":
            done = ours_run(loader, model, iters, spec, work_dir)
        elif framework == "mmengine":
            done = mmengine_run(loader, model, iters, spec, work_dir)
        elif framework == "lightning":
            done = lightning_run(loader, model, iters, spec, work_dir)
        else:
            raise SystemExit(f"unknown framework {framework!r}")
    seconds = _marks["stop"] - _marks["start"]
    out = {
        "spec": spec,
        "iters": done,
        "seconds": seconds,
        "us_per_iter": seconds / max(done, 1) * 1e6,
        "peak_rss_mb": _peak_rss_mb(),
        "peak_rss_before_mb": rss_before,
    }
    if "extra_calls" in _marks:
        out["extra_calls"] = int(_marks["extra_calls"])
    if "tail" in _marks:
        out["tail_us_per_iter"] = (_marks["stop"] - _marks["tail"]) / TAIL * 1e6
    return out


def _peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / (1024 if sys.platform == "darwin" else 1)


# -- the parent -------------------------------------------------------------------------------
def _available(python: str, frameworks: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    from w1_overhead import peer_available

    wanted, skipped = [], {}
    for fw in frameworks:
        if fw in PEERS:
            ok, error = peer_available(python, PEERS[fw])
            if not ok:
                skipped[fw] = f"import {PEERS[fw]} failed: {error}"
                continue
        wanted.append(fw)
    return wanted, skipped


def _run(python: str, spec: dict[str, Any]) -> dict[str, Any]:
    from _common import SINGLE_THREAD_ENV, child_env, run_child

    result = run_child(
        python, [__file__, "--child", json.dumps(spec)], env=child_env(SINGLE_THREAD_ENV)
    )
    what = " ".join(f"{k}={v}" for k, v in spec.items())
    print(f"  {what}: {result['us_per_iter']:.0f} us/iter", flush=True)
    return result


def fit_slope(xs: list[float], ys: list[float]) -> float:
    """The least-squares slope of ``ys`` against ``xs``."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0


def measure_hooks(
    python: str, rounds: int, counts: tuple[int, ...] = HOOK_COUNTS, iters: int = 1000
) -> dict[str, Any]:
    """µs/iteration against the number of extra hooks, and the per-hook slope."""
    from _common import summary

    frameworks, skipped = _available(python, FRAMEWORKS)
    runs: dict[str, dict[str, dict[int, list[float]]]] = {
        fw: {kind: {c: [] for c in counts} for kind in ("noop", "idle")} for fw in frameworks
    }
    #: ours only: calls into the extra hooks' per-iteration points, by kind
    calls: dict[str, dict[str, int]] = {}
    for _ in range(rounds):
        for count in counts:
            for kind in ("noop", "idle"):
                if count == 0 and kind == "idle":
                    continue  # the same run as noop with 0 hooks
                for fw in frameworks:
                    spec = {"framework": fw, "iters": iters, "hooks": [kind, count]}
                    runs[fw][kind][count].append(_run(python, spec)["us_per_iter"])
    if "ours" in frameworks:  # counted, not timed: a short profiled run per kind
        for kind in ("noop", "idle"):
            spec = {"framework": "ours", "iters": 20, "hooks": [kind, max(counts)]}
            got = _run(python, {**spec, "count_calls": True})
            calls[kind] = {"hooks": max(counts), "iters": 20, "calls": got["extra_calls"]}
    out: dict[str, Any] = {"iters": iters, "rounds": rounds, "counts": list(counts)}
    out["ours_iteration_calls"] = calls
    out["frameworks"] = {}
    for fw, kinds in runs.items():
        kinds["idle"][0] = kinds["noop"][0] if 0 in counts else kinds["idle"].get(0, [])
        entry: dict[str, Any] = {}
        for kind, by_count in kinds.items():
            medians = {c: summary(v)["median"] for c, v in by_count.items() if v}
            # per round, so a slow phase of the machine does not tilt the line
            slopes = [
                fit_slope([float(c) for c in by_count], [by_count[c][r] for c in by_count])
                for r in range(rounds)
            ]
            entry[kind] = {
                "us_per_iter": {str(c): summary(v) for c, v in by_count.items() if v},
                "us_per_hook_per_iter": summary(slopes),
                "slope_of_medians": fit_slope([float(c) for c in medians], list(medians.values())),
            }
        out["frameworks"][fw] = entry
    out["skipped"] = skipped
    return out


def measure_length(
    python: str,
    lengths: tuple[int, ...] = LENGTHS,
    peer_max_iters: int = 20_000,
    rounds: int = 1,
) -> dict[str, Any]:
    """µs/iteration (whole run and last iterations) and peak RSS against the run length."""
    frameworks, skipped = _available(python, ("raw", *FRAMEWORKS))
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {fw: {} for fw in frameworks}
    for _ in range(rounds):
        for length in lengths:
            for fw in frameworks:
                if fw in PEERS and length > peer_max_iters:
                    continue
                spec = {"framework": fw, "iters": length, "tail": True}
                runs[fw].setdefault(length, []).append(_run(python, spec))
    out: dict[str, Any] = {"rounds": rounds, "lengths": list(lengths), "tail": TAIL}
    out["peer_max_iters"] = peer_max_iters
    out["frameworks"] = {}
    for fw, by_length in runs.items():
        out["frameworks"][fw] = {
            str(length): {
                "us_per_iter": min(r["us_per_iter"] for r in results),
                "tail_us_per_iter": min(r["tail_us_per_iter"] for r in results),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
                "peak_rss_before_mb": max(r["peak_rss_before_mb"] for r in results),
            }
            for length, results in by_length.items()
        }
    out["skipped"] = skipped
    return out


def measure_model_size(
    python: str, rounds: int, sizes: tuple[tuple[str, int, int, int], ...] = MODEL_SIZES
) -> dict[str, Any]:
    """Overhead over the raw loop, µs/iteration, per model size (ratios within rounds)."""
    from _common import summary

    frameworks, skipped = _available(python, ("raw", *FRAMEWORKS))
    runs: dict[str, dict[str, list[float]]] = {fw: {s[0]: [] for s in sizes} for fw in frameworks}
    for _ in range(rounds):
        for label, hidden, depth, iters in sizes:
            for fw in frameworks:
                spec = {"framework": fw, "iters": iters, "hidden": hidden, "depth": depth}
                runs[fw][label].append(_run(python, spec)["us_per_iter"])
    out: dict[str, Any] = {"rounds": rounds, "sizes": [list(s) for s in sizes], "frameworks": {}}
    for fw, by_size in runs.items():
        entry = {}
        for label, values in by_size.items():
            raw = runs["raw"][label]
            item: dict[str, Any] = {"us_per_iter": summary(values)}
            if fw != "raw":
                item["overhead_us_per_iter"] = summary([v - b for v, b in zip(values, raw)])
                item["ratio_to_raw"] = summary([v / b for v, b in zip(values, raw)])
            entry[label] = item
        out["frameworks"][fw] = entry
    out["skipped"] = skipped
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("section", nargs="?", choices=("hooks", "length", "model_size"))
    parser.add_argument("--child", default=None, help="JSON spec of one run (internal)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--python", default=None)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
    from _common import write_json

    if args.child:
        write_json(args.json_out, run_one(json.loads(args.child)))
        return
    python = args.python or sys.executable
    if args.section == "hooks":
        result = measure_hooks(python, args.rounds)
    elif args.section == "length":
        result = measure_length(python, rounds=args.rounds)
    elif args.section == "model_size":
        result = measure_model_size(python, args.rounds)
    else:
        raise SystemExit("choose a section: hooks, length or model_size")
    write_json(args.json_out, result)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
