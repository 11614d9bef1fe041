"""W1 in co-scheduled pairs: two variants share one CPU, each timed by its own CPU time.

On a shared VM the speed of a core drifts by tens of percent within seconds
(another tenant on the same physical core), so W1's separate runs, one after
the other, spread too widely to tell × 1.03 from × 1.08. Here the two
variants of a pair run at the same time, pinned to the same CPU: the kernel
hands that CPU to them in turns of a few milliseconds, so both see the same
interference, and each one's clock is the CPU time of its own training
thread (``time.thread_time``), which does not advance while the other runs.

Both children build everything and warm up first, then meet at a barrier
in the start clock (training start, as in W1), and the one that finishes
first keeps training a spare model, untimed, until the other is done, so
the whole timed stretch of both is shared. The ratio of a pair is taken
within each trial. A ``raw``/``raw`` pair is the control: its spread is the
method's own noise.

The price is a context switch at every turn, which cools the caches of
both, and more so for the variant that runs more distinct code per
iteration. With the kernel's default turn (a 1.4 ms slice on Linux 6.18,
three W1 iterations) that inflated the full default set's ratio by ~3.6
points and the no-hooks one by ~2. So each child asks for a longer turn
(``--slice-ms``, 20 ms by default, ~40 iterations): a custom slice of
Linux's EEVDF scheduler (6.12 and later, no privilege needed), else
round-robin real-time scheduling where permitted (its own quantum, 100 ms
usually), else the default, and the result says which one it got. Longer
turns approach a run alone on the CPU but share the machine's drift less
finely: at 100 ms the ``raw``/``raw`` control spread 0.94-1.01.

Run alone: ``python bench/w1_paired.py --trials 8``;
``--ablate`` adds, for each standard hook, the full set without that hook's
per-iteration points against the full set (what each hook costs per iteration);
``--pairs raw:ours_full_minus_RuntimeInfoHook+IterTimerHook`` removes several hooks'.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import w1_overhead as w1  # noqa: E402

#: (baseline, variant): the variant's time over the baseline's, per trial
PAIRS = (
    ("raw", "raw"),
    ("raw", "ours_none"),
    ("raw", "ours_full"),
    ("raw", "ours_full_no_iter"),
    # the features' own price, and the Runner's over the same features written by hand
    ("raw", "raw_logged"),
    ("raw_logged", "ours_full"),
)
#: the default set's hooks that work per iteration, for ``--ablate``
ABLATE = ("RuntimeInfoHook", "IterTimerHook", "LoggerHook", "CheckInvalidLossHook")
MINUS = "ours_full_minus_"
BARRIER_TIMEOUT_S = 300.0
POLL_S = 0.0005
SLICE_MS = 20.0
#: ``sched_setattr`` / ``sched_getattr`` syscall numbers, by machine
_SCHED_ATTR_CALLS = {"x86_64": (314, 315), "aarch64": (274, 275)}


def _sched_attr_type() -> Any:
    import ctypes

    class SchedAttr(ctypes.Structure):
        _fields_ = [
            ("size", ctypes.c_uint32),
            ("sched_policy", ctypes.c_uint32),
            ("sched_flags", ctypes.c_uint64),
            ("sched_nice", ctypes.c_int32),
            ("sched_priority", ctypes.c_uint32),
            ("sched_runtime", ctypes.c_uint64),  # the requested slice, for SCHED_OTHER
            ("sched_deadline", ctypes.c_uint64),
            ("sched_period", ctypes.c_uint64),
        ]

    return SchedAttr


def _custom_slice(ms: float) -> float | None:
    """Ask the kernel for ``ms`` turns (EEVDF custom slice); the slice granted, or None."""
    import ctypes

    calls = _SCHED_ATTR_CALLS.get(os.uname().machine)
    if calls is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    attr_type = _sched_attr_type()
    want = attr_type(size=ctypes.sizeof(attr_type), sched_runtime=int(ms * 1e6))
    if libc.syscall(calls[0], 0, ctypes.byref(want), 0) != 0:
        return None
    got = attr_type()
    if libc.syscall(calls[1], 0, ctypes.byref(got), ctypes.sizeof(attr_type), 0) != 0:
        return None
    # kernels before 6.12 accept the field for SCHED_OTHER and ignore it
    return got.sched_runtime / 1e6 if got.sched_runtime == want.sched_runtime else None


def long_turns(ms: float) -> str:
    """Give this process turns of about ``ms`` on its CPU; say which scheduling it got."""
    if ms <= 0 or not sys.platform.startswith("linux"):
        return "default"
    try:
        granted = _custom_slice(ms)
    except OSError:
        granted = None
    if granted is not None:
        return f"EEVDF slice {granted:g} ms"
    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))
    except (OSError, AttributeError):
        return "default"
    return f"round-robin {os.sched_rr_get_interval(0) * 1e3:g} ms"


class PairClock:
    """W1's clock for one side of a pair.

    The first call (training start) waits until the partner is ready too;
    the second (training end) reads the clock, then keeps this CPU busy with
    untimed training steps until the partner has finished as well.
    """

    def __init__(self, tag: str, me: str, other: str, spin: Any) -> None:
        self.tag, self.me, self.other = tag, me, other
        self.spin = spin
        self.calls = 0

    def _mark(self, what: str) -> None:
        Path(f"{self.tag}.{what}.{self.me}").touch()

    def _partner(self, what: str) -> bool:
        return os.path.exists(f"{self.tag}.{what}.{self.other}")

    def __call__(self) -> float:
        self.calls += 1
        if self.calls == 1:
            self._mark("ready")
            deadline = time.monotonic() + BARRIER_TIMEOUT_S
            while not self._partner("ready"):
                if time.monotonic() > deadline:
                    raise SystemExit(f"pair partner {self.other} never became ready")
                time.sleep(POLL_S)
            return time.thread_time()
        now = time.thread_time()
        self._mark("done")
        deadline = time.monotonic() + BARRIER_TIMEOUT_S
        while not self._partner("done"):
            if time.monotonic() > deadline:
                raise SystemExit(f"pair partner {self.other} never finished")
            self.spin()
        return now


def _spinner(loader: Any) -> Any:
    """Twenty untimed raw training steps per call, on a model of their own."""
    import torch
    import torch.nn.functional as F

    model = w1.make_mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    state = {"it": iter(loader)}

    def spin() -> None:
        for _ in range(20):
            try:
                inputs, targets = next(state["it"])
            except StopIteration:
                state["it"] = iter(loader)
                inputs, targets = next(state["it"])
            loss = F.cross_entropy(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return spin


def run_child(
    variant: str, cpu: int, tag: str, me: str, other: str, slice_ms: float = SLICE_MS
) -> dict[str, Any]:
    """One side of a pair: pin to ``cpu``, build, warm up, train with the pair clock."""
    import torch

    os.sched_setaffinity(0, {cpu})
    turns = long_turns(slice_ms)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    removed: list[str] = []
    if variant.startswith(MINUS):
        removed = w1.strip_iteration_points(variant[len(MINUS) :].split("+"))
        base = "ours_full"
    else:
        base = variant
    clock = PairClock(tag, me, other, _spinner(w1.make_loader()))
    result = w1.run_one(base, clock=clock)
    result.update(variant=variant, cpu=cpu, removed=removed, turns=turns)
    return result


def _pair_trial(
    python: str, first: str, second: str, cpu: int, env: dict[str, str], slice_ms: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run ``first`` and ``second`` at once on ``cpu``; return both children's results."""
    import json

    with tempfile.TemporaryDirectory(prefix="w1-pair-") as tmp:
        tag = str(Path(tmp) / "pair")
        procs = []
        for me, other, variant in (("a", "b", first), ("b", "a", second)):
            out = Path(tmp) / f"{me}.json"
            log = open(Path(tmp) / f"{me}.log", "wb")  # noqa: SIM115 (closed below)
            args = [python, __file__, "--child", variant, "--cpu", str(cpu)]
            args += ["--slice-ms", str(slice_ms)]
            args += ["--tag", tag, "--me", me, "--other", other, "--json-out", str(out)]
            procs.append(
                (subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env), log, out)
            )
        results = []
        for proc, log, out in procs:
            code = proc.wait(timeout=2 * BARRIER_TIMEOUT_S + 600)
            log.close()
            if code != 0 or not out.exists():
                for other_proc, _, _ in procs:
                    other_proc.kill()
                tail = Path(log.name).read_text(errors="replace")[-3000:]
                raise RuntimeError(f"W1 pair child failed (exit {code}):\n{tail}")
            results.append(json.loads(out.read_text()))
    return results[0], results[1]


def measure(
    trials: int = 8,
    python: str | None = None,
    pairs: list[tuple[str, str]] | None = None,
    ablate: bool = False,
    slice_ms: float = SLICE_MS,
) -> dict[str, Any]:
    """``trials`` rounds over every pair; per pair the per-trial ratios and times."""
    from _common import SINGLE_THREAD_ENV, child_env, summary

    python = python or sys.executable
    wanted = list(pairs or PAIRS)
    if ablate:
        wanted += [("ours_full", f"{MINUS}{hook}") for hook in ABLATE]
    cpu = max(os.sched_getaffinity(0))
    env = child_env(SINGLE_THREAD_ENV)
    runs: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {
        f"{a}/{b}": [] for a, b in wanted
    }
    for t in range(trials):
        for base, variant in wanted:
            # who starts first alternates, so neither side always waits at the barrier
            if t % 2:
                b_res, a_res = _pair_trial(python, variant, base, cpu, env, slice_ms)
            else:
                a_res, b_res = _pair_trial(python, base, variant, cpu, env, slice_ms)
            runs[f"{base}/{variant}"].append((a_res, b_res))
            print(
                f"  W1 pair trial {t + 1}/{trials} {variant} over {base}: "
                f"× {b_res['seconds'] / a_res['seconds']:.3f} "
                f"({a_res['us_per_iter']:.0f} / {b_res['us_per_iter']:.0f} µs/iter)",
                flush=True,
            )
    turns = sorted({r["turns"] for results in runs.values() for pair in results for r in pair})
    out: dict[str, Any] = {
        "trials": trials,
        "python": python,
        "cpu": cpu,
        "slice_ms": slice_ms,
        "turns": ", ".join(turns),
        "pairs": {},
    }
    for key, results in runs.items():
        base, variant = key.split("/")
        a_us = [a["us_per_iter"] for a, _ in results]
        b_us = [b["us_per_iter"] for _, b in results]
        out["pairs"][key] = {
            "base": base,
            "variant": variant,
            "ratio": summary([b["seconds"] / a["seconds"] for a, b in results]),
            "overhead_us_per_iter": summary([bu - au for au, bu in zip(a_us, b_us)]),
            "base_us_per_iter": summary(a_us),
            "variant_us_per_iter": summary(b_us),
            "iters": results[0][1]["iters"],
            "removed": results[0][1].get("removed", []),
        }
    return out


def _label(name: str) -> str:
    if name.startswith(MINUS):
        hooks = " and ".join(name[len(MINUS) :].split("+"))
        return f"full set without {hooks}'s per-iteration points"
    return w1.LABELS.get(name, name)


def render(result: dict[str, Any]) -> list[str]:
    """The section for docs/benchmarks.md."""
    from _common import spread

    lines = [
        "## W1 in co-scheduled pairs",
        "",
        f"W1's job (the section above), two variants at a time pinned to one CPU "
        f"(cpu {result['cpu']}), each timed by its training thread's CPU time from "
        f"training start to end; {result['trials']} trials per pair, who starts first "
        "alternating. Both see the same interference from the rest of the machine, so "
        "the ratio within a trial holds still where separate runs do not "
        "(`bench/w1_paired.py`; the `raw / raw` row is the method's own noise). "
        f"Each child takes turns of {result.get('turns') or 'the default length'} on the "
        "CPU: turns of the kernel's default length (1.4 ms on Linux 6.18) cost every "
        "variant a context switch each few iterations and inflated the ratios (see the "
        "notes below). "
        "Ratios are the second variant's time over the first's, median [min–max] over "
        "the trials.",
        "",
        "| pair | µs / iteration (first, second) | × first | µs / iteration more |",
        "| --- | --- | --- | --- |",
    ]
    for entry in result["pairs"].values():
        lines.append(
            f"| {_label(entry['variant'])} over {_label(entry['base'])} | "
            f"{entry['base_us_per_iter']['median']:.0f}, "
            f"{entry['variant_us_per_iter']['median']:.0f} | {spread(entry['ratio'])} | "
            f"{spread(entry['overhead_us_per_iter'], '{:+.1f}')} |"
        )
    lines.append("")
    return lines


def targets(result: dict[str, Any], limits: dict[str, float]) -> list[tuple[str, str, bool]]:
    """Target rows: each variant in ``limits`` over the raw loop, median of the trials."""
    from _common import ratio_target

    rows = []
    for variant, limit in limits.items():
        entry = result["pairs"].get(f"raw/{variant}")
        if entry:
            what = f"W1 in co-scheduled pairs: {_label(variant)}"
            over = entry["overhead_us_per_iter"]["median"]
            rows.append(ratio_target(what, entry["ratio"]["median"], over, limit))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help="run one side of a pair in this process")
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument(
        "--slice-ms", type=float, default=SLICE_MS, help="each child's turn on the CPU (0: default)"
    )
    parser.add_argument("--tag", default="")
    parser.add_argument("--me", default="a")
    parser.add_argument("--other", default="b")
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--python", default=None, help="interpreter for the children")
    parser.add_argument("--ablate", action="store_true", help="also price each hook")
    parser.add_argument(
        "--pairs", nargs="+", default=None, help="BASE:VARIANT pairs instead of the default set"
    )
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    from _common import write_json

    if args.child:
        child = run_child(args.child, args.cpu, args.tag, args.me, args.other, args.slice_ms)
        write_json(args.json_out, child)
        return
    pairs = [tuple(p.split(":", 1)) for p in args.pairs] if args.pairs else None
    result = measure(
        args.trials,
        args.python,
        pairs,  # type: ignore[arg-type]
        ablate=args.ablate,
        slice_ms=args.slice_ms,
    )
    write_json(args.json_out, result)
    print("\n".join(render(result)))


if __name__ == "__main__":
    main()
