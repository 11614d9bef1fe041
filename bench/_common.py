"""Shared pieces of the benchmarks: child processes, statistics, machine facts.

Every measurement runs in a fresh child process (one variant, one round), so
no variant inherits another's imports, allocator state or registered
plugins, and the rounds are interleaved (A B C, A B C, ...) so slow phases of
a busy machine hit every variant alike.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
#: Environment of every child: one BLAS/OpenMP thread unless a benchmark says otherwise.
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for child processes: this one, plus the bench folder on the path.

    This checkout's packages go first on the path too, so "ours" is always the
    code under test, also when the peers' interpreter (which may have another
    checkout installed) runs it.
    """
    env = dict(os.environ)
    sources = [str(p) for p in sorted((REPO / "packages").glob("*/src"))]
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(BENCH_DIR), *sources, env.get("PYTHONPATH", "")) if p
    )
    env.pop("TERM", None)  # no live progress bars in children
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def run_child(
    python: str,
    args: Sequence[str],
    env: dict[str, str] | None = None,
    timeout: float = 900,
) -> dict[str, Any]:
    """Run ``python args... --json-out FILE``; return the JSON the child wrote.

    The child's own output goes to a log file that is shown only on failure.
    """
    with tempfile.TemporaryDirectory(prefix="bench-child-") as tmp:
        out = Path(tmp) / "result.json"
        log = Path(tmp) / "child.log"
        with open(log, "wb") as fh:
            proc = subprocess.run(
                [python, *args, "--json-out", str(out)],
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=env or child_env(),
                cwd=tmp,
                timeout=timeout,
            )
        if proc.returncode != 0 or not out.exists():
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(
                f"benchmark child {' '.join(args)} failed (exit {proc.returncode}):\n{tail}"
            )
        return json.loads(out.read_text())


def write_json(path: str | os.PathLike[str] | None, data: Any) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of a list of numbers."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def spread(s: dict[str, float], fmt: str = "{:.3f}") -> str:
    """``median [min–max]`` of a :func:`summary`."""
    return f"{fmt.format(s['median'])} [{fmt.format(s['min'])}–{fmt.format(s['max'])}]"


def ratio_target(
    what: str, ratio: float, overhead_us: float, limit: float
) -> tuple[str, str, bool]:
    """A targets-table row: ``what ≤ limit × raw``, the ratio found, and whether it is met."""
    return (
        f"{what} ≤ {limit} × raw",
        f"× {ratio:.3f} ({overhead_us:+.1f} µs/iter)",
        ratio <= limit,
    )


def machine_info() -> dict[str, Any]:
    """What a reader needs to judge the numbers: CPU, cores, load, OS, Python, torch."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "load_average_at_start": load,
        "os": platform.platform(),
        "python": sys.version.split()[0],
    }


def package_versions(python: str, names: Sequence[str]) -> dict[str, str | None]:
    """Installed versions of ``names`` in the environment of ``python`` (None: missing)."""
    code = (
        "import json, sys\n"
        "from importlib import metadata\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try:\n"
        "        out[n] = metadata.version(n)\n"
        "    except metadata.PackageNotFoundError:\n"
        "        out[n] = None\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([python, "-c", code, *names], capture_output=True, text=True, check=False)
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {n: None for n in names}


def fmt_seconds(value: float) -> str:
    if value >= 10:
        return f"{value:.1f} s"
    if value >= 1:
        return f"{value:.2f} s"
    return f"{value * 1000:.0f} ms" if value >= 0.01 else f"{value * 1000:.1f} ms"
