"""Benchmark: peak memory and time of checkpoint save, load and resume for a large state.

Run on demand (not part of the tests)::

    python bench/checkpoint_memory.py                      # ~512 MB of weights (+ Adam)
    python bench/checkpoint_memory.py --mb 256 --only load_raw,load_ours
    python bench/checkpoint_memory.py --peers /tmp/peers/bin/python   # + MMEngine 0.10.7

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


def measure(op: Callable[[], Any]) -> dict[str, Any]:
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
    return measure(make())


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
    return {"files": {p.name: p.stat().st_size / MB for p in folder.glob("*.pth")}}


def _setup_mmengine(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(args.dir)
    runner = make_runner(args.mb, str(folder / "mm_run"), framework="mmengine")
    runner.train()
    runner.save_checkpoint(str(folder), "mmengine.pth")
    return {"size_mb": (folder / "mmengine.pth").stat().st_size / MB}


def _train_state(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    model, optim = adam_state(args.mb)
    return model, {"state_dict": model.state_dict(), "optimizer": optim.state_dict()}


def op_save_raw(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    _model, state = _train_state(args)
    return measure(lambda: torch.save(state, Path(args.dir) / "out.pth"))


def op_save_ours(args: argparse.Namespace) -> dict[str, Any]:
    from runner_core.checkpoint import save_checkpoint

    _model, state = _train_state(args)
    return measure(lambda: save_checkpoint(state, Path(args.dir) / "out.pth"))


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

    return measure(save)


def op_save_runner(args: argparse.Namespace) -> dict[str, Any]:
    runner = _trained_runner(args)
    runner.save_checkpoint(args.dir, "warm.pth")  # imports, the config text (cached)
    return measure(lambda: runner.save_checkpoint(args.dir, "out.pth"))


def op_save_runner_async(args: argparse.Namespace) -> dict[str, Any]:
    """CheckpointHook(async_save=True): the snapshot training waits for, then the whole write."""
    from runner_core.checkpoint.background import BackgroundWriter

    runner = _trained_runner(args)
    runner.save_checkpoint(args.dir, "warm.pth")
    writer = BackgroundWriter()
    snap = measure(lambda: runner.save_checkpoint(args.dir, "out.pth", background=writer))
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
    return measure(lambda: runner.save_checkpoint(args.dir, "out.pth"))


def op_load_raw(args: argparse.Namespace, mmap: bool = False) -> dict[str, Any]:
    import torch

    model = make_net(args.mb)
    path = Path(args.dir) / "weights.pth"

    def load() -> None:
        ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
        model.load_state_dict(ckpt["state_dict"])

    return measure(load)


def op_load_raw_mmap(args: argparse.Namespace) -> dict[str, Any]:
    return op_load_raw(args, mmap=True)


def op_load_ours(args: argparse.Namespace) -> dict[str, Any]:
    from runner_core.checkpoint import load_checkpoint

    model = make_net(args.mb)
    return measure(lambda: load_checkpoint(model, Path(args.dir) / "weights.pth"))


def op_load_runner(args: argparse.Namespace) -> dict[str, Any]:
    def make() -> Callable[[], Any]:
        runner = make_runner(args.mb, str(Path(args.dir) / "load_run"))
        _ = runner.model
        return lambda: runner.load_checkpoint(str(Path(args.dir) / "weights.pth"))

    return warmed(make)


def op_load_ours_mmap(args: argparse.Namespace) -> dict[str, Any]:
    from runner_core.checkpoint import load_checkpoint

    model = make_net(args.mb)
    return measure(lambda: load_checkpoint(model, Path(args.dir) / "weights.pth", mmap=True))


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
    return measure(lambda: load_checkpoint(model, str(Path(args.dir) / "weights.pth")))


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

    return measure(resume)


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


#: row name -> (operation, interpreter: "ours" or "peers", what it is)
ROWS: dict[str, tuple[str, str, str]] = {
    "save_raw": ("save_raw", "ours", "(a) torch.save(model+Adam state)"),
    "save_ours": ("save_ours", "ours", "(a) save_checkpoint(same dict)"),
    "save_runner_raw": ("save_runner_raw", "ours", "(a) torch.save(runner model+optim states)"),
    "save_runner": ("save_runner", "ours", "(a) Runner.save_checkpoint (sync)"),
    "save_runner_async": ("save_runner_async", "ours", "(a) async_save snapshot"),
    "save_mmengine": ("save_mmengine", "peers", "(d) MMEngine Runner.save_checkpoint"),
    "load_raw": ("load_raw", "ours", "(b) torch.load + load_state_dict"),
    "load_raw_mmap": ("load_raw_mmap", "ours", "(b) same, torch.load(mmap=True)"),
    "load_ours": ("load_ours", "ours", "(b) load_checkpoint(model, path)"),
    "load_ours_mmap": ("load_ours_mmap", "ours", "(b) load_checkpoint(model, path, mmap=True)"),
    "load_runner": ("load_runner", "ours", "(b) runner.load_checkpoint(path)"),
    "load_from_ours": ("load_from_ours", "ours", "(b) Runner load_from=path"),
    "load_mmengine": ("load_mmengine", "peers", "(d) mmengine load_checkpoint(model, path)"),
    "load_from_mmengine": ("load_from_mmengine", "peers", "(d) MMEngine Runner load_from=path"),
    "resume_raw": ("resume_raw", "ours", "(c) torch.load + model/optim load_state_dict"),
    "resume_ours": ("resume_ours", "ours", "(c) Runner resume (model + Adam)"),
    "resume_mmengine": ("resume_mmengine", "peers", "(d) MMEngine Runner resume, its file"),
    "resume_mmengine_ours_file": (
        "resume_mmengine_ours_file",
        "peers",
        "(d) MMEngine Runner resume, our file",
    ),
}


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
            lines.append(f"| {ROWS[name][2]} | {r['error']} | | | |")
            continue
        lines.append(
            f"| {ROWS[name][2]} | {r['peak_rss_mb']:.0f} | {r['peak_anon_mb']:.0f} | "
            f"{r['kept_anon_mb']:.0f} | {r['seconds']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=512, help="model weights, MB (Adam: x3)")
    parser.add_argument("--dir", default=None, help="folder for the files (default: a temp dir)")
    parser.add_argument("--peers", default=None, help="python of a venv with mmengine 0.10.7")
    parser.add_argument("--only", default=None, help="comma-separated rows (default: all)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    rows = [r for r in (args.only.split(",") if args.only else ROWS)]
    if not args.peers:
        rows = [r for r in rows if ROWS[r][1] != "peers"]
    with tempfile.TemporaryDirectory(prefix="ckpt-mem-", dir=args.dir) as tmp:
        env = child_env()
        base = [str(Path(__file__).resolve()), "--mb", str(args.mb), "--dir", tmp]
        files = run_child(sys.executable, [*base, "--child", "setup"], env=env)
        if args.peers and any(ROWS[r][1] == "peers" for r in rows):
            peers_env = child_env({"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"})
            run_child(args.peers, [*base, "--child", "setup_mmengine"], env=peers_env)
        results: list[tuple[str, dict[str, Any]]] = []
        for name in rows:
            op, where, _ = ROWS[name]
            python = args.peers if where == "peers" else sys.executable
            child_args = [*base, "--child", op]
            run_env = (
                child_env({"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}) if where == "peers" else env
            )
            try:
                results.append((name, run_child(python, child_args, env=run_env)))
            except RuntimeError as exc:
                last = [ln for ln in str(exc).splitlines() if ln.strip()][-1][:80]
                results.append((name, {"error": f"failed: {last}"}))
            print(f"{name}: {results[-1][1]}", file=sys.stderr, flush=True)
    info = machine_info()
    import torch

    print(
        f"\n{args.mb} MB of weights ({_layers(args.mb)} x Linear({WIDTH}, {WIDTH})); files (MB): "
        f"{ {k: round(v) for k, v in files['files'].items()} }; torch {torch.__version__}; "
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB\n"
    )
    print(_table(results))
    for name, r in results:
        if r.get("note"):
            print(f"\n{ROWS[name][2]}: {r['note']}")
    write_json(args.json_out, {"machine": info, "files": files, "rows": dict(results)})


if __name__ == "__main__":
    main()
