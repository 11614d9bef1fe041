"""Benchmark: peak memory and time of checkpoint save, load and resume for a large state.

Run on demand (not part of the tests)::

    python bench/checkpoint_memory.py                      # ~512 MB of weights (+ Adam)
    python bench/checkpoint_memory.py --mb 256 --only load_raw,load_ours
    python bench/checkpoint_memory.py --peers /tmp/peers/bin/python   # + MMEngine 0.10.7
    python bench/run_all.py --only checkpoint_memory   # the docs/benchmarks.md section

Every row runs in a fresh child process: it builds what the operation needs
(model, optimizer, Runner), frees what setup left over, resets the peak RSS
(``echo 5 > /proc/self/clear_refs``) and measures one operation.

Columns (MB = 2**20 bytes, growth over the RSS right before the operation):

* ``peak RSS``: VmHWM, what ``ps``/``top`` would have shown at worst. It counts
  the pages of a memory-mapped checkpoint file that were read, although they
  are clean page cache the kernel drops under pressure instead of OOM-killing.
* ``peak anon``: the most anonymous memory (RssAnon, sampled every ~1 ms by a
  thread): what has to fit in RAM (or the container's limit) for the
  operation not to be OOM-killed.
* ``kept anon``: anonymous memory still held after the operation, once its
  return value is dropped (a reference kept too long shows up here).
* ``time``: wall time of the operation, after ``os.sync()`` (the page cache
  is warm: the file was just written or read). Saves are bound by the disk:
  ``torch.save`` returns once the data is in the page cache, runner's saves
  after fsync (docs/benchmarks.md, "Checkpoints: save and load").

The checkpoint files are written once per run by a setup child: ``weights.pth``
(a bare ``{'state_dict': ...}``), ``runner.pth`` (our Runner's, after one
Adam step) and, with ``--peers``, ``mmengine.pth`` (MMEngine's Runner's).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from _common import child_env, machine_info, run_child, write_json  # noqa: E402

WIDTH = 4096  # Linear(WIDTH, WIDTH): 64 MiB of float32 weights per layer
PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1 << 20


# -- memory readings (Linux) ------------------------------------------------------------------
def _status(field: str) -> int:
    """A ``/proc/self/status`` field in bytes (VmRSS, VmHWM, RssAnon, RssFile)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


class AnonSampler:
    """The peak of RssAnon (resident minus file-backed/shared pages, from statm) while running.

    A thread: torch releases the GIL while it copies, so a millisecond's
    sampling sees a peak that lasts as long as a 100 MB copy does.
    """

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._fd = os.open("/proc/self/statm", os.O_RDONLY)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def read(self) -> int:
        fields = os.pread(self._fd, 200, 0).split()
        return (int(fields[1]) - int(fields[2])) * PAGE

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.read())
            time.sleep(self.interval)

    def __enter__(self) -> AnonSampler:
        self.peak = self.read()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.read())
        os.close(self._fd)


def _settle() -> None:
    """Free what setup left: garbage, and malloc's free arenas (else they count as RSS)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def measure_op(op: Callable[[], Any]) -> dict[str, Any]:
    """Run ``op`` once; its peak RSS, peak and kept anonymous memory (MB) and wall time (s)."""
    _settle()
    os.sync()  # no earlier write still being flushed: a save's time is its own
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    rss0, anon0 = _status("VmRSS"), _status("RssAnon")
    with AnonSampler() as sampler:
        start = time.perf_counter()
        result = op()
        seconds = time.perf_counter() - start
    hwm = _status("VmHWM")
    del result
    _settle()
    return {
        "peak_rss_mb": (hwm - rss0) / MB,
        "peak_anon_mb": (sampler.peak - anon0) / MB,
        "kept_anon_mb": (_status("RssAnon") - anon0) / MB,
        "seconds": seconds,
    }


# -- the model and its training pieces --------------------------------------------------------
def warmed(make: Callable[[], Callable[[], Any]]) -> dict[str, Any]:
    """Measure the second of two fresh ``make()`` operations: the first one imports what
    the Runner imports lazily (tens of MB of modules), which is no cost of the operation."""
    first = make()
    first()
    del first
    _settle()
    return measure_op(make())


def _layers(mb: int) -> int:
    return max(1, round(mb * MB / (WIDTH * WIDTH * 4)))


def make_net(mb: int, framework: str = "ours") -> Any:
    """A stack of Linear layers holding ~``mb`` MB of float32 weights, as a BaseModel."""
    import torch
    from torch import nn

    if framework == "mmengine":
        from mmengine.model import BaseModel
    else:
        from runner_core.model import BaseModel

    class BigNet(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.Sequential(*[nn.Linear(WIDTH, WIDTH) for _ in range(_layers(mb))])

        def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
            out = self.layers(inputs)
            if mode == "loss":
                return {"loss": ((out - labels) ** 2).mean()}
            return out

    torch.manual_seed(0)
    return BigNet()


class OneSample:
    """A dataset of one (input, label) pair of WIDTH features."""

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> dict[str, Any]:
        import torch

        return {"inputs": torch.ones(WIDTH), "labels": torch.zeros(WIDTH)}


def make_runner(mb: int, work_dir: str, framework: str = "ours", **kwargs: Any) -> Any:
    """A Runner over :func:`make_net` with Adam, one iteration of training, no default saves."""
    import torch

    loader = dict(
        dataset=OneSample(),
        batch_size=1,
        sampler=dict(type="DefaultSampler", shuffle=False),
        collate_fn=dict(type="default_collate"),
        num_workers=0,
    )
    cfg: dict[str, Any] = dict(
        model=make_net(mb, framework),
        work_dir=work_dir,
        train_dataloader=loader,
        train_cfg=dict(by_epoch=False, max_iters=1),
        optim_wrapper=dict(optimizer=dict(type=torch.optim.Adam, lr=1e-3)),
        default_hooks=dict(checkpoint=None, logger=dict(type="LoggerHook", interval=1)),
        **kwargs,
    )
    if framework == "mmengine":
        from mmengine.runner import Runner

        cfg["default_hooks"] = dict(checkpoint=None)
        cfg["optim_wrapper"] = dict(optimizer=dict(type="Adam", lr=1e-3))
        return Runner(**cfg)
    from runner_core import Runner

    return Runner(**cfg)


def adam_state(mb: int) -> tuple[Any, Any]:
    """A model and an Adam optimizer after one step (its state as large as two models)."""
    import torch

    model = make_net(mb)
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.ones(1, WIDTH)).sum().backward()
    optim.step()
    optim.zero_grad(set_to_none=True)
    return model, optim


# -- the operations (one per child process) ---------------------------------------------------
def _setup(args: argparse.Namespace) -> dict[str, Any]:
    """Write the checkpoint files the load and resume rows read."""
    import torch

    folder = Path(args.dir)
    model = make_net(args.mb)
    torch.save({"state_dict": model.state_dict()}, folder / "weights.pth")
    del model
    runner = make_runner(args.mb, str(folder / "ours_run"))
    runner.train()
    runner.save_checkpoint(str(folder), "runner.pth")
    return {
        "files": {p.name: p.stat().st_size / MB for p in folder.glob("*.pth")},
        "torch": torch.__version__,
    }


def _setup_mmengine(args: argparse.Namespace) -> dict[str, Any]:
    import mmengine
    import torch

    folder = Path(args.dir)
    runner = make_runner(args.mb, str(folder / "mm_run"), framework="mmengine")
    runner.train()
    runner.save_checkpoint(str(folder), "mmengine.pth")
    return {
        "size_mb": (folder / "mmengine.pth").stat().st_size / MB,
        "mmengine": mmengine.__version__,
        "torch": torch.__version__,
    }


def _train_state(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    model, optim = adam_state(args.mb)
    return model, {"state_dict": model.state_dict(), "optimizer": optim.state_dict()}


def op_save_raw(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    _model, state = _train_state(args)
    return measure_op(lambda: torch.save(state, Path(args.dir) / "out.pth"))


def op_save_ours(args: argparse.Namespace) -> dict[str, Any]:
    from runner_core.checkpoint import save_checkpoint

    _model, state = _train_state(args)
    return measure_op(lambda: save_checkpoint(state, Path(args.dir) / "out.pth"))


def _trained_runner(args: argparse.Namespace) -> Any:
    runner = make_runner(args.mb, str(Path(args.dir) / "save_run"))
    runner.train()
    return runner


def op_save_runner_raw(args: argparse.Namespace) -> dict[str, Any]:
    """The raw baseline for a Runner's save: torch.save of its model's and optimizer's states."""
    import torch

    runner = _trained_runner(args)

    def save() -> None:
        state = {
            "state_dict": runner.model.state_dict(),
            "optimizer": runner.optim_wrapper.state_dict(),
        }
        torch.save(state, Path(args.dir) / "out.pth")

    return measure_op(save)


def op_save_runner(args: argparse.Namespace) -> dict[str, Any]:
    runner = _trained_runner(args)
    runner.save_checkpoint(args.dir, "warm.pth")  # imports, the config text (cached)
    return measure_op(lambda: runner.save_checkpoint(args.dir, "out.pth"))


def op_save_runner_async(args: argparse.Namespace) -> dict[str, Any]:
    """CheckpointHook(async_save=True): the snapshot training waits for, then the whole write."""
    from runner_core.checkpoint.background import BackgroundWriter

    runner = _trained_runner(args)
    runner.save_checkpoint(args.dir, "warm.pth")
    writer = BackgroundWriter()
    snap = measure_op(lambda: runner.save_checkpoint(args.dir, "out.pth", background=writer))
    _settle()
    Path("/proc/self/clear_refs").write_text("5")
    anon0 = _status("RssAnon")
    writer.wait()
    _settle()
    snap["note"] = (
        f"write finished after; buffers kept for the next save: "
        f"{(_status('RssAnon') - anon0) / MB + snap['kept_anon_mb']:.0f} MB"
    )
    return snap


def op_save_mmengine(args: argparse.Namespace) -> dict[str, Any]:
    runner = make_runner(args.mb, str(Path(args.dir) / "mm_save_run"), framework="mmengine")
    runner.train()
    runner.save_checkpoint(args.dir, "warm.pth")
    return measure_op(lambda: runner.save_checkpoint(args.dir, "out.pth"))


def op_load_raw(args: argparse.Namespace, mmap: bool = False) -> dict[str, Any]:
    import torch

    model = make_net(args.mb)
    path = Path(args.dir) / "weights.pth"

    def load() -> None:
        ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
        model.load_state_dict(ckpt["state_dict"])

    return measure_op(load)


def op_load_raw_mmap(args: argparse.Namespace) -> dict[str, Any]:
    return op_load_raw(args, mmap=True)


def op_load_ours(args: argparse.Namespace) -> dict[str, Any]:
    from runner_core.checkpoint import load_checkpoint

    model = make_net(args.mb)
    return measure_op(lambda: load_checkpoint(model, Path(args.dir) / "weights.pth"))


def op_load_runner(args: argparse.Namespace) -> dict[str, Any]:
    def make() -> Callable[[], Any]:
        runner = make_runner(args.mb, str(Path(args.dir) / "load_run"))
        _ = runner.model
        return lambda: runner.load_checkpoint(str(Path(args.dir) / "weights.pth"))

    return warmed(make)


def op_load_ours_mmap(args: argparse.Namespace) -> dict[str, Any]:
    from runner_core.checkpoint import load_checkpoint

    model = make_net(args.mb)
    return measure_op(lambda: load_checkpoint(model, Path(args.dir) / "weights.pth", mmap=True))


def _load_from(args: argparse.Namespace, framework: str) -> dict[str, Any]:
    """``load_from=PATH`` applied by ``load_or_resume()`` (what train/val/test do first)."""

    def make() -> Callable[[], Any]:
        path = str(Path(args.dir) / "weights.pth")
        runner = make_runner(args.mb, str(Path(args.dir) / "lf_run"), framework, load_from=path)
        _ = runner.model
        return runner.load_or_resume

    return warmed(make)


def op_load_from_ours(args: argparse.Namespace) -> dict[str, Any]:
    return _load_from(args, "ours")


def op_load_from_mmengine(args: argparse.Namespace) -> dict[str, Any]:
    return _load_from(args, "mmengine")


def op_load_mmengine(args: argparse.Namespace) -> dict[str, Any]:
    from mmengine.runner.checkpoint import load_checkpoint

    model = make_net(args.mb, "mmengine")
    return measure_op(lambda: load_checkpoint(model, str(Path(args.dir) / "weights.pth")))


def op_resume_raw(args: argparse.Namespace) -> dict[str, Any]:
    """The raw baseline: torch.load the Runner's checkpoint, then model and optimizer states."""
    import torch

    model = make_net(args.mb)
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    path = Path(args.dir) / "runner.pth"

    def resume() -> None:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(ckpt["state_dict"])
        optim.load_state_dict(ckpt["optimizer"])

    return measure_op(resume)


def op_resume_ours(args: argparse.Namespace) -> dict[str, Any]:
    """resume=PATH, ``load_or_resume()``: train()'s steps up to its first iteration."""

    def make() -> Callable[[], Any]:
        path = str(Path(args.dir) / "runner.pth")
        runner = make_runner(args.mb, str(Path(args.dir) / "resume_run"), resume=path)
        runner.train_cfg = dict(by_epoch=False, max_iters=2)
        _ = runner.model
        return runner.load_or_resume

    return warmed(make)


def _mmengine_resume(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """MMEngine's Runner, ``load_from=PATH, resume=True``: its train() up to the first
    iteration (max_iters is the checkpoint's, so no iteration runs)."""

    def make() -> Callable[[], Any]:
        runner = make_runner(
            args.mb,
            str(Path(args.dir) / "mm_resume_run"),
            framework="mmengine",
            load_from=str(Path(args.dir) / name),
            resume=True,
        )
        _ = runner.model
        return runner.train

    return warmed(make)


def op_resume_mmengine(args: argparse.Namespace) -> dict[str, Any]:
    return _mmengine_resume(args, "mmengine.pth")


def op_resume_mmengine_ours_file(args: argparse.Namespace) -> dict[str, Any]:
    return _mmengine_resume(args, "runner.pth")


#: row name (also the child operation that measures it) -> (interpreter: "ours" or
#: "peers", what it is)
ROWS: dict[str, tuple[str, str]] = {
    "save_raw": ("ours", "torch.save(model + Adam state) (raw)"),
    "save_ours": ("ours", "`save_checkpoint` (same dict)"),
    "save_runner_raw": ("ours", "torch.save(Runner's model + optimizer states) (raw)"),
    "save_runner": ("ours", "`Runner.save_checkpoint` (sync)"),
    "save_runner_async": ("ours", "`CheckpointHook(async_save=True)`: the snapshot"),
    "save_mmengine": ("peers", "MMEngine `Runner.save_checkpoint`"),
    "load_raw": ("ours", "torch.load + `load_state_dict` (raw)"),
    "load_raw_mmap": ("ours", "torch.load(mmap=True) + `load_state_dict` (raw)"),
    "load_ours": ("ours", "`load_checkpoint(model, path)`"),
    "load_ours_mmap": ("ours", "`load_checkpoint(model, path, mmap=True)`"),
    "load_runner": ("ours", "`runner.load_checkpoint(path)` (returns the dict)"),
    "load_from_ours": ("ours", "Runner `load_from=path`"),
    "load_mmengine": ("peers", "MMEngine `load_checkpoint(model, path)`"),
    "load_from_mmengine": ("peers", "MMEngine Runner `load_from=path`"),
    "resume_raw": ("ours", "torch.load + model and Adam `load_state_dict` (raw resume)"),
    "resume_ours": ("ours", "Runner resume (model + Adam)"),
    "resume_mmengine": ("peers", "MMEngine Runner resume (its own file)"),
    "resume_mmengine_ours_file": ("peers", "MMEngine Runner resume (our file)"),
}
#: the rows in the order docs/benchmarks.md shows them: loads, resumes, saves
DOC_ORDER = (
    "load_raw",
    "load_raw_mmap",
    "load_ours",
    "load_ours_mmap",
    "load_from_ours",
    "load_runner",
    "load_mmengine",
    "load_from_mmengine",
    "resume_raw",
    "resume_ours",
    "resume_mmengine",
    "resume_mmengine_ours_file",
    "save_raw",
    "save_ours",
    "save_runner_raw",
    "save_runner",
    "save_runner_async",
    "save_mmengine",
)


def _child(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(1)
    result = (
        globals()["op_" + args.child](args)
        if args.child.startswith(("save", "load", "resume"))
        else globals()["_" + args.child](args)
    )
    write_json(args.json_out, result)


def _table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        "| operation | peak RSS (MB) | peak anon (MB) | kept anon (MB) | time (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows:
        if "error" in r:
            lines.append(f"| {ROWS[name][1]} | {r['error']} | | | |")
            continue
        lines.append(
            f"| {ROWS[name][1]} | {r['peak_rss_mb']:.0f} | {r['peak_anon_mb']:.0f} | "
            f"{r['kept_anon_mb']:.0f} | {r['seconds']:.2f} |"
        )
    return "\n".join(lines)


def measure(
    mb: int = 512,
    peers: str | None = None,
    only: list[str] | None = None,
    folder: str | None = None,
) -> dict[str, Any]:
    """Every row in its own child process; the peers' rows only with ``peers`` (a python)."""
    rows = list(only or ROWS)
    skipped: dict[str, str] = {}
    if not peers:
        skipped = {r: "no peers python (MMEngine)" for r in rows if ROWS[r][0] == "peers"}
        rows = [r for r in rows if r not in skipped]
    peers_env = child_env({"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"})
    out: dict[str, Any] = {
        "mb": mb,
        "layers": _layers(mb),
        "width": WIDTH,
        "machine": machine_info(),
        "peers": peers,
        "skipped": skipped,
    }
    with tempfile.TemporaryDirectory(prefix="ckpt-mem-", dir=folder) as tmp:
        env = child_env()
        base = [str(Path(__file__).resolve()), "--mb", str(mb), "--dir", tmp]
        setup = run_child(sys.executable, [*base, "--child", "setup"], env=env)
        out["files"] = setup["files"]
        out["torch"] = setup["torch"]
        if peers and any(ROWS[r][0] == "peers" for r in rows):
            got = run_child(peers, [*base, "--child", "setup_mmengine"], env=peers_env)
            out["files"]["mmengine.pth"] = got["size_mb"]
            out["peers_versions"] = {"mmengine": got["mmengine"], "torch": got["torch"]}
        results: dict[str, dict[str, Any]] = {}
        for name in rows:
            where = ROWS[name][0]
            python = peers if where == "peers" and peers else sys.executable
            run_env = peers_env if where == "peers" else env
            try:
                results[name] = run_child(python, [*base, "--child", name], env=run_env)
            except RuntimeError as exc:
                last = [ln for ln in str(exc).splitlines() if ln.strip()][-1][:80]
                results[name] = {"error": f"failed: {last}"}
            print(f"  {name}: {results[name]}", file=sys.stderr, flush=True)
    out["rows"] = results
    return out


# -- the docs/benchmarks.md section ----------------------------------------------------------
#: Slack for "the same memory as": allocator rounding, the sampler thread, small dicts.
SAME_MB = 16.0
#: The code before load_from and resume mapped the file (commit 8241793), measured with
#: this script on 2026-12-04; it cannot be re-measured from this tree.
BEFORE_NOTE = (
    "Before `load_from` and resume mapped the file (the code before commit 8241793; "
    "measured with this script, 512 MB of weights, on 2026-12-04, Intel Xeon, 2 cores, "
    "23.5 GB RAM, no swap, "
    "Linux 6.18, Python 3.11.7, torch 2.13.0+cpu; fixed figures, not re-measured): Runner "
    "`load_from=path` peak anon 512 MB, peak RSS 512 MB, 0.55 s; Runner resume (model + "
    "Adam) peak anon 1537 MB, peak RSS 1536 MB, 1.37–1.75 s in two runs; "
    "`load_checkpoint(model, path, mmap=True)` did not exist. The other rows measured "
    "the same memory before and after that change (within 2 MB)."
)
MAPPING_NOTE = (
    "Mapping is copy-on-write (`MAP_PRIVATE`): an in-place optimizer step on a mapped "
    "tensor stays in memory, the file's bytes (CRC) do not change. Replacing the file by "
    "a rename (every runner save) or deleting it (`max_keep_ckpts`) after a mapped load "
    "leaves the loaded values intact (Linux keeps the inode). A file is read instead of "
    "mapped when it is remote (bytes from a storage backend), in torch's pre-1.6 format, "
    "on torch without `torch.load(mmap=...)` (< 2.1), on Windows, when torch's default "
    "mmap flags are `MAP_SHARED`, or when mapping fails (some FUSE filesystems). "
    "`load_cfg=dict(mmap=False)` reads it for `load_from` and resume."
)


def _ok_rows(rows: dict[str, Any], *names: str) -> bool:
    return all(n in rows and "error" not in rows[n] for n in names)


def _mb(rows: dict[str, Any], name: str, key: str = "peak_anon_mb") -> str:
    return f"{rows[name][key]:.0f}"


def _notes(result: dict[str, Any]) -> list[str]:
    """What the rows say, each claim written from the figures and only when they hold."""
    rows = result["rows"]
    weights = result["files"]["weights.pth"]
    notes: list[str] = []
    anon = {n: r["peak_anon_mb"] for n, r in rows.items() if "error" not in r}
    if _ok_rows(rows, "load_raw", "load_ours", "load_runner"):
        worst = max(anon["load_ours"], anon["load_runner"]) - anon["load_raw"]
        held = (
            "hold what `torch.load` + `load_state_dict` holds (the file's tensors and the "
            "model at once: the weights twice)"
            if worst <= SAME_MB
            else f"hold up to {worst:.0f} MB more than `torch.load` + `load_state_dict`"
        )
        notes.append(
            "- **Loads that read the file** (`load_checkpoint(model, path)`, "
            f"`runner.load_checkpoint(path)`) {held}: {_mb(rows, 'load_ours')} and "
            f"{_mb(rows, 'load_runner')} MB against {_mb(rows, 'load_raw')} MB."
        )
    saves = [n for n in ("save_ours", "save_runner") if _ok_rows(rows, n)]
    if saves and _ok_rows(rows, "save_raw"):
        worst_save = max(anon[n] for n in saves)
        text = (
            "- **Saves stream into the file**: `save_checkpoint` and `Runner.save_checkpoint` "
            f"need {worst_save:.0f} MB extra at most, as `torch.save` does "
            f"({_mb(rows, 'save_raw')} MB)"
            if worst_save <= anon["save_raw"] + SAME_MB
            else f"- **Saves** need up to {worst_save:.0f} MB extra (`torch.save`: "
            f"{_mb(rows, 'save_raw')} MB)"
        )
        if _ok_rows(rows, "save_mmengine"):
            size = result["files"].get("mmengine.pth")
            text += (
                "; MMEngine's save serialises into a `BytesIO` first "
                f"(+{_mb(rows, 'save_mmengine')} MB"
                + (f" for a {size:.0f} MB file)" if size else ")")
            )
        notes.append(text + ".")
    if _ok_rows(rows, "save_runner_async"):
        notes.append(
            "- **The async snapshot** is its documented cost: one copy of the state "
            f"({_mb(rows, 'save_runner_async', 'kept_anon_mb')} MB), kept between saves "
            "for the next one."
        )
    if _ok_rows(rows, "load_from_ours", "load_raw"):
        lf, raw = rows["load_from_ours"], rows["load_raw"]
        mapped = lf["peak_anon_mb"] <= SAME_MB
        text = (
            "- **`load_from` maps the file**, so the weights are copied into the model "
            f"straight from the page cache: {lf['peak_anon_mb']:.0f} MB anonymous against "
            f"{raw['peak_anon_mb']:.0f} MB for `torch.load` + `load_state_dict`"
            if mapped
            else f"- **`load_from`** holds {lf['peak_anon_mb']:.0f} MB anonymous "
            f"(`torch.load` + `load_state_dict`: {raw['peak_anon_mb']:.0f} MB)"
        )
        if _ok_rows(rows, "load_from_mmengine"):
            text += f" and {_mb(rows, 'load_from_mmengine')} MB for MMEngine's"
        text += f"; {lf['seconds']:.2f} s against {raw['seconds']:.2f} s"
        notes.append(text + " (the CRC check still reads the file once).")
    if _ok_rows(rows, "resume_ours", "resume_raw"):
        ours, raw = rows["resume_ours"], rows["resume_raw"]
        once = ours["peak_anon_mb"] <= raw["peak_anon_mb"] - weights + SAME_MB
        text = (
            "- **Resume maps the weights and reads the rest**: anonymous memory is "
            f"{ours['peak_anon_mb']:.0f} MB, the Adam state ({2 * weights:.0f} MB, which "
            "training keeps anyway), against "
            f"{raw['peak_anon_mb']:.0f} MB for the raw resume (weights + Adam state)"
            if once
            else f"- **Resume** holds {ours['peak_anon_mb']:.0f} MB anonymous (raw resume: "
            f"{raw['peak_anon_mb']:.0f} MB)"
        )
        if _ok_rows(rows, "resume_mmengine"):
            text += f" and {_mb(rows, 'resume_mmengine')} MB for MMEngine's"
        text += (
            ". The optimizer state is read into memory on purpose: "
            "`Optimizer.load_state_dict` keeps the loaded tensors themselves, and training "
            "state must not depend on the file afterwards."
        )
        if ours["peak_rss_mb"] > raw["peak_rss_mb"] + SAME_MB:
            text += (
                f" Peak RSS is higher ({ours['peak_rss_mb']:.0f} MB against "
                f"{raw['peak_rss_mb']:.0f}) because the pages of the file that were read "
                "are counted while mapped; they are reclaimable page cache."
            )
        notes.append(text)
    if _ok_rows(rows, "load_ours", "load_ours_mmap"):
        notes.append(
            "- **Functions that hand the checkpoint back read it**, as `torch.load` and "
            "MMEngine do, unless asked (`mmap=True`): a mapped tensor reads the file for as "
            'long as it lives, and `torch.save(ckpt, same_path)` (a common "load, edit, '
            'save back") truncates the file under it, kills the process with SIGBUS and '
            "leaves the file empty (`tests/core/checkpoint/test_load_memory.py`). "
            f"`load_checkpoint(model, path, mmap=True)` needs {_mb(rows, 'load_ours_mmap')} "
            f"MB instead of {_mb(rows, 'load_ours')}."
        )
    notes.append(
        "- Save times are bound by this VM's disk and by the data written, and moved by "
        "up to × 2.5 between five runs of the same row on 2026-12-04: only the memory "
        "columns of "
        "the save rows are meaningful here. Save time against `torch.save` is measured in "
        '"Checkpoints: save and load".'
    )
    return notes


def _targets(result: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Held once: load_from and resume need the weights' memory once, not twice; and no
    save, load or resume needs more than the raw torch calls doing the same."""
    rows = result["rows"]
    weights = result["files"]["weights.pth"]
    targets: list[tuple[str, str, bool]] = []
    if _ok_rows(rows, "load_from_ours", "load_raw", "resume_ours", "resume_raw"):
        lf, lraw = rows["load_from_ours"]["peak_anon_mb"], rows["load_raw"]["peak_anon_mb"]
        rs, rraw = rows["resume_ours"]["peak_anon_mb"], rows["resume_raw"]["peak_anon_mb"]
        targets.append(
            (
                "`load_from` / resume hold the weights once (peak anon ≤ raw torch's − "
                f"the weights + {SAME_MB:.0f} MB)",
                f"load_from +{lf:.0f} MB, resume +{rs:.0f} MB (raw: +{lraw:.0f}, "
                f"+{rraw:.0f}; weights {weights:.0f} MB)",
                lf <= lraw - weights + SAME_MB and rs <= rraw - weights + SAME_MB,
            )
        )
    pairs = {
        "save_ours": "save_raw",
        "save_runner": "save_runner_raw",
        "load_ours": "load_raw",
        "load_ours_mmap": "load_raw_mmap",
        "load_runner": "load_raw",
        "load_from_ours": "load_raw",
        "resume_ours": "resume_raw",
    }
    diffs = {
        ours: rows[ours]["peak_anon_mb"] - rows[raw]["peak_anon_mb"]
        for ours, raw in pairs.items()
        if _ok_rows(rows, ours, raw)
    }
    if len(diffs) == len(pairs):
        worst = max(diffs, key=lambda n: diffs[n])
        targets.append(
            (
                f"checkpoint save, load and resume peak anon ≤ raw torch's + {SAME_MB:.0f} MB "
                "(the async snapshot aside)",
                f"most over raw: {ROWS[worst][1]} {diffs[worst]:+.0f} MB",
                diffs[worst] <= SAME_MB,
            )
        )
    return targets


def render(result: dict[str, Any]) -> tuple[list[str], list[tuple[str, str, bool]]]:
    """The docs/benchmarks.md section and its targets."""
    files = result["files"]
    m = result["machine"]
    peers = result.get("peers_versions")
    versions = f"torch {result['torch']}" + (
        f", MMEngine {peers['mmengine']} on torch {peers['torch']}" if peers else ""
    )
    runner_file = files.get("runner.pth", 0.0)
    lines = [
        "## Checkpoints: peak memory of save, load and resume",
        "",
        f"`python bench/checkpoint_memory.py --mb {result['mb']}"
        + (" --peers PYTHON" if result.get("peers") else "")
        + f"`: a model of {result['layers']} × `Linear({result['width']}, "
        f"{result['width']})` ({files['weights.pth']:.0f} MB of float32 weights) and, "
        f"where there is one, its Adam state after one step ({2 * files['weights.pth']:.0f} "
        f"MB); files of {files['weights.pth']:.0f} MB (weights only) and "
        f"{runner_file:.0f} MB (a Runner checkpoint). Every row is one fresh process: it "
        "builds what the operation needs, frees what setup left, resets the peak RSS "
        "(`/proc/self/clear_refs`), calls `os.sync()`, and measures one operation (Runner "
        "rows: the second of two, so the first one's lazy imports are not counted). "
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; {versions}. Growth over "
        "the process's memory right before the operation, MB:",
        "",
        "- **peak anon**: the most anonymous memory (RssAnon, sampled every ~1 ms): what "
        "must fit in RAM or the container's limit, and what the OOM killer counts.",
        "- **peak RSS**: VmHWM, what `top` shows at worst. It also counts the pages of a "
        "memory-mapped file that were read: clean page cache, which the kernel drops "
        "under pressure instead of killing the process.",
        "- **kept anon**: still held after the operation, its result dropped.",
        "- **time**: wall time of the one operation, page cache warm.",
        "",
        "| operation | peak anon (MB) | peak RSS (MB) | kept anon (MB) | time (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    rows = result["rows"]
    for name in DOC_ORDER:
        label = ROWS[name][1]
        r = rows.get(name)
        if r is None:
            why = result.get("skipped", {}).get(name)
            if why:
                lines.append(f"| {label} | not run: {why} | | | |")
            continue
        if "error" in r:
            lines.append(f"| {label} | {r['error']} | | | |")
            continue
        lines.append(
            f"| {label} | {r['peak_anon_mb']:.0f} | {r['peak_rss_mb']:.0f} | "
            f"{r['kept_anon_mb']:.0f} | {r['seconds']:.2f} |"
        )
    lines += ["", BEFORE_NOTE, "", "What the rows say:", "", *_notes(result), ""]
    lines += [MAPPING_NOTE, ""]
    return lines, _targets(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=512, help="model weights, MB (Adam: x3)")
    parser.add_argument("--dir", default=None, help="folder for the files (default: a temp dir)")
    parser.add_argument("--peers", default=None, help="python of a venv with mmengine 0.10.7")
    parser.add_argument("--only", default=None, help="comma-separated rows (default: all)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json-out", default=None, help="write the results here as JSON")
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    only = args.only.split(",") if args.only else None
    result = measure(args.mb, args.peers, only, args.dir)
    info = result["machine"]
    print(
        f"\n{args.mb} MB of weights ({result['layers']} x Linear({WIDTH}, {WIDTH})); "
        f"files (MB): { {k: round(v) for k, v in result['files'].items()} }; "
        f"torch {result['torch']}; {info['cpu']}, {info['cores']} cores, "
        f"{info['memory_gb']} GB\n"
    )
    print(_table(list(result["rows"].items())))
    for name, r in result["rows"].items():
        if r.get("note"):
            print(f"\n{ROWS[name][1]}: {r['note']}")
    write_json(args.json_out, result)


if __name__ == "__main__":
    main()
