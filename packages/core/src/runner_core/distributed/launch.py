"""Starting ``torch.distributed``: launchers, backend choice and process settings.

Four launchers fill in the same four facts (rank, world size, local rank and
the rendezvous address) from different places:

* ``none``: one process, nothing to start;
* ``pytorch``: ``torchrun`` (or ``python -m torch.distributed.launch``) set
  ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``;
* ``slurm``: ``srun`` set ``SLURM_PROCID``, ``SLURM_NTASKS``, ``SLURM_LOCALID``
  and ``SLURM_NODELIST``; the first node of the list is the master;
* ``mpi``: OpenMPI's ``mpirun`` set ``OMPI_COMM_WORLD_RANK``,
  ``OMPI_COMM_WORLD_SIZE`` and ``OMPI_COMM_WORLD_LOCAL_RANK``; mpirun knows no
  rendezvous address, so ``MASTER_ADDR`` must be exported and passed on
  (``mpirun -x MASTER_ADDR``); ``MASTER_PORT`` defaults to 29500.

The backend follows the device: NCCL when CUDA is usable, gloo otherwise. A
config that says ``backend='nccl'`` on a machine without CUDA falls back to
gloo with a warning, so GPU configs can be smoke-tested on a laptop.
"""

from __future__ import annotations

import atexit
import datetime
import functools
import inspect
import itertools
import os
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..errors import ConfigError, ConfigKeyError, ConfigTypeError, RunnerError, did_you_mean

_F = TypeVar("_F", bound=Callable[..., Any])

LAUNCHERS = ("none", "pytorch", "slurm", "mpi")
#: The port used when neither the config nor ``MASTER_PORT`` names one (SLURM, MPI).
DEFAULT_MASTER_PORT = 29500
_TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


# -- which launcher --------------------------------------------------------------------
def infer_launcher() -> str:
    """The launcher that started this process, read from the environment.

    ``pytorch`` when torchrun's variables are set, ``mpi`` when OpenMPI's
    ``mpirun`` started more than one process, ``slurm`` when ``srun`` started
    more than one task, else ``none``. MPI is asked before SLURM (MMEngine asks
    after): an ``mpirun`` inside an ``sbatch`` allocation inherits the batch
    step's ``SLURM_PROCID=0`` and ``SLURM_NTASKS`` on every rank, while the
    ``OMPI_COMM_WORLD_*`` variables are set per process.
    """
    if all(var in os.environ for var in _TORCHRUN_VARS):
        return "pytorch"
    if "OMPI_COMM_WORLD_LOCAL_RANK" in os.environ and (
        int(os.environ.get("OMPI_COMM_WORLD_SIZE", "1")) > 1
    ):
        return "mpi"
    if "SLURM_PROCID" in os.environ and int(os.environ.get("SLURM_NTASKS", "1")) > 1:
        return "slurm"
    return "none"


def _check_launcher(launcher: str) -> str:
    if launcher not in LAUNCHERS:
        raise ConfigError(
            f"launcher={launcher!r} is not a launcher; choose one of {', '.join(LAUNCHERS)} "
            "('pytorch' under torchrun, 'slurm' under srun, 'mpi' under OpenMPI's mpirun, "
            "'none' for one process)." + did_you_mean(str(launcher), LAUNCHERS)
        )
    return launcher


# -- SLURM node lists ------------------------------------------------------------------
def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise ValueError(f"Unbalanced ']' in SLURM node list {text!r}.")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise ValueError(f"Unbalanced '[' in SLURM node list {text!r}.")
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _expand_range_list(body: str, text: str) -> list[str]:
    """``01-03,07`` -> ``['01', '02', '03', '07']`` (zero padding kept)."""
    values = []
    for item in body.split(","):
        item = item.strip()
        if "-" in item:
            low, high = item.split("-", 1)
            if not (low.isdigit() and high.isdigit()) or int(high) < int(low):
                raise ValueError(f"Bad range {item!r} in SLURM node list {text!r}.")
            width = len(low)
            values += [str(n).zfill(width) for n in range(int(low), int(high) + 1)]
        elif item:
            values.append(item)
    return values


def parse_slurm_nodelist(nodelist: str) -> list[str]:
    """Expand SLURM's compact node list, like ``scontrol show hostnames`` does.

    ``'node[01-03,07],gpu-a1'`` -> ``['node01', 'node02', 'node03', 'node07',
    'gpu-a1']``; several bracket groups in one name expand to every combination
    (``'r[1-2]n[1-2]'`` -> ``r1n1, r1n2, r2n1, r2n2``).
    """
    hosts: list[str] = []
    for name in _split_top_level(nodelist):
        pieces = re.split(r"(\[[^\]]*\])", name)
        options = [
            _expand_range_list(piece[1:-1], nodelist) if piece.startswith("[") else [piece]
            for piece in pieces
        ]
        hosts += ["".join(combo) for combo in itertools.product(*options)]
    if not hosts:
        raise ValueError(f"SLURM node list {nodelist!r} names no host.")
    return hosts


def _slurm_env(port: int | None) -> dict[str, str]:
    """torchrun's variables computed from SLURM's."""
    try:
        rank = int(os.environ["SLURM_PROCID"])
        world_size = int(os.environ["SLURM_NTASKS"])
        nodelist = os.environ["SLURM_NODELIST"]
    except KeyError as exc:
        raise ConfigKeyError(
            f"launcher='slurm' needs the environment variable {exc.args[0]}, which srun sets: "
            f"start the job with `srun ... runner-cli {_cli_command()} --launcher slurm` (or `srun "
            "... python your_script.py`) inside sbatch or salloc, or use launcher='pytorch' "
            "under torchrun."
        ) from None
    local_rank = int(os.environ.get("SLURM_LOCALID", "0"))
    if port is None:
        port = int(os.environ.get("MASTER_PORT", DEFAULT_MASTER_PORT))
    return {
        "RANK": str(rank),
        "WORLD_SIZE": str(world_size),
        "LOCAL_RANK": str(local_rank),
        "LOCAL_WORLD_SIZE": os.environ.get("SLURM_NTASKS_PER_NODE", "1").split("(")[0],
        "MASTER_ADDR": os.environ.get("MASTER_ADDR") or parse_slurm_nodelist(nodelist)[0],
        "MASTER_PORT": str(port),
    }


# -- OpenMPI -------------------------------------------------------------------------
def _mpi_env(port: int | None) -> dict[str, str]:
    """torchrun's variables computed from OpenMPI's (and ``MASTER_ADDR``)."""
    try:
        local_rank = int(os.environ["OMPI_COMM_WORLD_LOCAL_RANK"])
        rank = int(os.environ["OMPI_COMM_WORLD_RANK"])
        world_size = int(os.environ["OMPI_COMM_WORLD_SIZE"])
    except KeyError as exc:
        raise ConfigKeyError(
            f"launcher='mpi' needs the environment variable {exc.args[0]}, which OpenMPI's "
            "mpirun sets for each process: start the job with `mpirun -np N -x MASTER_ADDR "
            f"runner-cli {_cli_command()} --launcher mpi` (or `mpirun ... python your_script.py`). "
            "MPICH and Intel MPI set other variables (PMI_RANK): under them, or without "
            "mpirun, use launcher='pytorch' under torchrun."
        ) from None
    if port is None:
        port = int(os.environ.get("MASTER_PORT", DEFAULT_MASTER_PORT))
    if not os.environ.get("MASTER_ADDR"):
        raise ConfigKeyError(
            "launcher='mpi' needs the environment variable MASTER_ADDR (the address of the "
            "host that runs rank 0), which mpirun does not set: export it and pass it to "
            "every rank, e.g. `MASTER_ADDR=$(hostname) mpirun -np N -x MASTER_ADDR "
            f"runner-cli {_cli_command()} --launcher mpi` (MASTER_PORT defaults to "
            f"{DEFAULT_MASTER_PORT}; dist_cfg.port or -x MASTER_PORT change it)."
        )
    env = {
        "RANK": str(rank),
        "WORLD_SIZE": str(world_size),
        "LOCAL_RANK": str(local_rank),
        "MASTER_ADDR": os.environ["MASTER_ADDR"],
        "MASTER_PORT": str(port),
    }
    if "OMPI_COMM_WORLD_LOCAL_SIZE" in os.environ:
        env["LOCAL_WORLD_SIZE"] = os.environ["OMPI_COMM_WORLD_LOCAL_SIZE"]
    return env


# -- backend ---------------------------------------------------------------------------------
def resolve_backend(backend: str | None) -> str:
    """The backend to use: NCCL with CUDA, gloo without; 'nccl' falls back to gloo on CPU."""
    import torch

    cuda = torch.cuda.is_available()
    if backend is None:
        return "nccl" if cuda else "gloo"
    if "nccl" in str(backend) and ":" not in str(backend) and not cuda:
        warnings.warn(
            f"dist_cfg.backend={backend!r} needs CUDA, which this machine lacks: using 'gloo' "
            "instead. Leave backend unset to pick NCCL or gloo from the device automatically.",
            stacklevel=3,
        )
        return "gloo"
    return str(backend)


def check_dist_cfg(dist_cfg: Mapping[str, Any]) -> None:
    """Refuse an ``env_cfg.dist_cfg`` key that ``init_dist`` would refuse, whatever the
    launcher: ``runner-cli config check`` says so before the job reaches a cluster."""
    named = {"backend", "timeout", "init_backend", "port"}
    _check_init_kwargs({key: value for key, value in dist_cfg.items() if key not in named})


def _check_init_kwargs(kwargs: dict[str, Any]) -> None:
    import torch.distributed as dist

    taken = set(inspect.signature(dist.init_process_group).parameters)
    private = {name for name in taken if name.startswith("_")}  # _ranks: taken, not offered
    allowed = taken - private - {"backend", "timeout", "rank", "world_size"}
    unknown = [key for key in kwargs if key not in allowed | private]
    if unknown:
        hints = "".join(
            did_you_mean(key, [*allowed, "backend", "timeout", "port", "init_backend"])
            for key in unknown
        )
        raise RunnerError(
            f"env_cfg.dist_cfg has key(s) {unknown} that init_process_group does not take. "
            f"dist_cfg accepts backend, timeout (seconds), port (slurm, mpi) and "
            f"{', '.join(sorted(allowed))}.{hints}"
        )


def init_dist(
    launcher: str,
    backend: str | None = None,
    init_backend: str = "torch",
    *,  # ours, after MMEngine's positional order (launcher, backend, init_backend)
    timeout: float = 1800,
    **kwargs: Any,
) -> None:
    """Initialise the default process group for ``launcher`` (no-op for ``'none'``).

    Args:
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        backend: None picks NCCL on CUDA and gloo on CPU; ``'nccl'`` without
            CUDA falls back to gloo with a warning.
        init_backend: MMEngine's argument; only ``'torch'``
            (``torch.distributed.init_process_group``) is supported.
        timeout: seconds a collective may wait for the other ranks before the
            job fails (a crashed rank otherwise leaves the rest waiting). Ours,
            keyword-only (MMEngine passes it through ``**kwargs``).
        kwargs: ``port`` (slurm, mpi: the master port) and any other keyword of
            ``torch.distributed.init_process_group``.
    """
    _check_launcher(launcher)
    if init_backend != "torch":
        raise ConfigError(
            f"init_dist: init_backend={init_backend!r} is not supported; only 'torch' "
            "(torch.distributed.init_process_group) is. DeepSpeed and ColossalAI start "
            "their own process groups: leave init_backend unset."
            + did_you_mean(str(init_backend), ["torch"])
        )
    if launcher == "none":
        return
    import torch
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return
    port = kwargs.pop("port", None)
    _check_init_kwargs(kwargs)
    if launcher == "slurm":
        os.environ.update(_slurm_env(None if port is None else int(port)))
    elif launcher == "mpi":
        os.environ.update(_mpi_env(None if port is None else int(port)))
    else:
        missing = [
            v for v in (*_TORCHRUN_VARS, "MASTER_ADDR", "MASTER_PORT") if v not in os.environ
        ]
        if missing and "init_method" not in kwargs:
            raise ConfigKeyError(
                f"launcher='pytorch' needs the variables torchrun sets, but {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} missing. Start with `torchrun "
                f"--nproc_per_node N $(which runner-cli) {_cli_command()} --launcher pytorch` "
                "(or `torchrun --nproc_per_node N your_script.py`), or use launcher='none' for "
                "a single process."
            )
    backend = resolve_backend(backend)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if "nccl" in backend and torch.cuda.is_available():
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
    dist.init_process_group(
        backend=backend,
        timeout=datetime.timedelta(seconds=float(timeout)),
        rank=int(os.environ["RANK"]) if "RANK" in os.environ else -1,
        world_size=int(os.environ["WORLD_SIZE"]) if "WORLD_SIZE" in os.environ else -1,
        **kwargs,
    )
    atexit.register(release_at_exit)


def release_at_exit() -> None:
    """Free what still holds the process group while the interpreter is whole.

    A finished Runner sits in reference cycles (hooks and loops point back at
    it) together with its DDP reducer and gloo work objects. Left to the
    interpreter's final teardown, gloo's threads drop those tensors after
    Python is gone and the process aborts ('terminate called without an active
    exception', SIGABRT) although training succeeded: about one gloo run in
    four on this machine. Collecting the cycles at exit, and closing a gloo
    group the script left open, avoids it. NCCL groups are left to the script
    (torch's advice: destroy_process_group at the end of main): their teardown
    can block when another rank is gone.
    """
    import gc

    gc.collect()
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_backend() == "gloo":
        dist.destroy_process_group()


# -- process settings ------------------------------------------------------------------------
def check_start_method(method: Any, key: str, alternative: str = "") -> None:
    """:class:`ConfigError` (a ``ValueError``, as multiprocessing's) naming ``key`` when
    ``method`` is not a start method of this platform; ``alternative``: more advice."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if method not in methods:
        raise ConfigError(
            f"{key}={method!r} is not available here; choose one of "
            f"{methods}{alternative}." + did_you_mean(str(method), methods)
        )


def _fork_without_fork(method: Any) -> bool:
    """``'fork'`` asked on a system without it: OpenMMLab's ``default_runtime.py`` asks it
    everywhere, and Windows has only ``'spawn'``."""
    import multiprocessing

    return method == "fork" and "fork" not in multiprocessing.get_all_start_methods()


def check_mp_cfg(
    mp_start_method: str | None = None,
    opencv_num_threads: int | None = None,
    omp_num_threads: int | None = None,
    **unknown: Any,
) -> None:
    """Refuse what :func:`setup_multiprocessing` refuses in ``env_cfg.mp_cfg``, changing
    nothing (``runner-cli config check`` calls this too)."""
    if unknown:
        known = ("mp_start_method", "opencv_num_threads", "omp_num_threads")
        hints = "".join(did_you_mean(key, known) for key in unknown)
        # a TypeError too: MMEngine passes mp_cfg as keyword arguments
        raise ConfigTypeError(
            f"env_cfg.mp_cfg has unknown key(s) {sorted(unknown)}; it accepts "
            f"{', '.join(known)}.{hints}"
        )
    if mp_start_method is not None and not _fork_without_fork(mp_start_method):
        check_start_method(mp_start_method, "env_cfg.mp_cfg.mp_start_method")
    for key, value in (
        ("opencv_num_threads", opencv_num_threads),
        ("omp_num_threads", omp_num_threads),
    ):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigTypeError(  # a TypeError too, as cv2.setNumThreads raises
                f"env_cfg.mp_cfg.{key}={value!r} is not valid: give a whole number of threads "
                "per process, e.g. 1."
            )
    if omp_num_threads is not None and omp_num_threads < 1:  # torch.set_num_threads refuses it
        raise ConfigError(
            f"env_cfg.mp_cfg.omp_num_threads={omp_num_threads!r} is not valid: give 1 or more "
            "threads per process, e.g. 1 (or leave it out to keep the default)."
        )


def setup_multiprocessing(
    mp_start_method: str | None = None,
    opencv_num_threads: int | None = None,
    omp_num_threads: int | None = None,
    **unknown: Any,
) -> None:
    """Apply ``env_cfg.mp_cfg``: worker start method and per-process thread counts.

    Each process of a multi-process job gets its own thread pools; without a
    cap, N processes x all-cores threads oversubscribe the CPU.
    """
    check_mp_cfg(mp_start_method, opencv_num_threads, omp_num_threads, **unknown)
    if _fork_without_fork(mp_start_method):
        import warnings

        warnings.warn(
            "env_cfg.mp_cfg.mp_start_method='fork' is ignored: this system has no 'fork' "
            "(Windows), so data workers start with 'spawn' (MMEngine skips the setting there "
            "too). Keep the code that builds and trains the Runner under "
            "`if __name__ == '__main__':`.",
            stacklevel=2,
        )
        mp_start_method = None
    if mp_start_method is not None:
        import multiprocessing

        current = multiprocessing.get_start_method(allow_none=True)
        if current != mp_start_method:
            if current is not None:  # set by the program or an earlier Runner: say so
                import warnings

                warnings.warn(  # MMEngine's warning, with the key to change
                    f"Multi-processing start method {mp_start_method!r} "
                    f"(env_cfg.mp_cfg.mp_start_method) is different from the previous setting "
                    f"{current!r}; it is set to {mp_start_method!r} for the whole process. "
                    "Remove mp_start_method from the config to keep the process's method.",
                    stacklevel=2,
                )
            multiprocessing.set_start_method(mp_start_method, force=True)
    if opencv_num_threads is not None:
        try:
            import cv2
        except ImportError:
            pass
        else:
            cv2.setNumThreads(int(opencv_num_threads))
    if omp_num_threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(int(omp_num_threads))
        os.environ.setdefault("MKL_NUM_THREADS", str(int(omp_num_threads)))
        import sys

        if "torch" in sys.modules:  # the variable alone is read only at torch's start
            import torch

            torch.set_num_threads(int(omp_num_threads))


# -- failures ----------------------------------------------------------------------------------
#: How a collective fails when another rank's process went away (gloo, NCCL, the store).
_PEER_GONE = (
    "closed by peer",
    "reset by peer",
    "remote worker crashing",
    "remote process exited",
)


def lost_a_peer(exc: BaseException) -> bool:
    """Whether ``exc`` is a collective failing because another rank stopped: the other
    rank's own error is the one that says why."""
    text = str(exc).lower()
    return type(exc).__name__ == "DistNetworkError" or any(s in text for s in _PEER_GONE)


_TIMED_OUT = ("application timeout caused pair closure", "timed out waiting", "watchdog caught")


def timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is a collective that waited ``dist_cfg.timeout`` for another rank."""
    text = str(exc).lower()
    return any(s in text for s in _TIMED_OUT)


def timeout_note() -> str:
    """What a rank whose collective timed out adds to its error (and log line)."""
    return (
        "A collective waited env_cfg.dist_cfg.timeout for another rank: a rank is stuck (in "
        "a hook, loading data, a deadlock) or slower than the timeout allows. A rank that "
        "failed says so in its own 'rank N/W failed' line; one that is stuck does not (look "
        "for the rank whose log stops first). If a step really takes this long, raise the "
        "timeout."
    )


def describe_rank_failure(exc: BaseException) -> str:
    """``'rank 1/2 failed: ValueError: ...'``: the line every rank logs when it fails."""
    from .utils import get_rank, get_world_size

    return f"rank {get_rank()}/{get_world_size()} failed: {type(exc).__name__}: {exc}"


def peer_failure_note() -> str:
    """What a rank whose collective lost its peer adds to its error (and log line)."""
    return (
        "Another rank most likely failed first and this rank's collective lost it: look "
        "for the first 'rank N/W failed' line in the run's log (a rank on another machine "
        "without a shared file system writes it to its stderr only) or torchrun's summary "
        "for the cause."
    )


def abort_process_group() -> None:
    """Tear down the process group after a failure so this process can exit.

    The other ranks then see their collectives fail (gloo: connection closed;
    NCCL: watchdog abort within ``timeout``) and torchrun stops the rest.
    """
    import sys

    if "torch" not in sys.modules:
        return
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return
    try:
        if dist.get_backend() == "nccl" and hasattr(dist.distributed_c10d, "_abort_process_group"):
            dist.distributed_c10d._abort_process_group()
        else:
            dist.destroy_process_group()
    except Exception:  # tearing down after a failure: the original error matters more
        pass


def fail_fast(method: _F) -> _F:
    """Decorate a Runner method: in a multi-rank run, a failing rank says so and leaves.

    The error is logged as ``rank N/W failed: ...`` (on every rank, rank 0 to
    stdout and the log file, the others to stderr and, where the run folder
    exists for them, appended to the same log file), the process group is torn
    down and the error re-raised, so the process exits non-zero at once and
    torchrun / srun stop the other ranks instead of letting them wait in a
    collective until the timeout.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            from .utils import is_distributed

            if is_distributed():
                logger = getattr(self, "logger", None)
                message = describe_rank_failure(exc)
                if lost_a_peer(exc) or timed_out(exc):  # the cause is another rank's
                    from ..errors import add_note

                    note = peer_failure_note() if lost_a_peer(exc) else timeout_note()
                    add_note(exc, note)
                    message = f"{message} {note}"
                if logger is not None:
                    # an input error (a config's, a registry's) is one paragraph, as runner-cli
                    # shows it: the traceback is the run's own code, and each rank has one
                    from ..errors import traceback_helps

                    logger.error(message, exc_info=traceback_helps(exc))
                else:  # pragma: no cover - a Runner always has a logger
                    import sys

                    print(message, file=sys.stderr, flush=True)
                abort_process_group()
            raise

    return wrapper  # type: ignore[return-value]


def raise_open_files_limit(wanted: Any) -> None:
    """Raise the soft limit of open files to ``wanted`` (``env_cfg.resource_limit``), as MMEngine.

    Data loader workers hand batches over through file descriptors; the
    usual soft limit (1024) runs out with many workers. Never lowered, never
    above the hard limit; a no-op where the ``resource`` module does not exist.
    """
    if isinstance(wanted, bool) or not isinstance(wanted, int) or wanted < 1:
        raise ConfigError(
            f"env_cfg.resource_limit={wanted!r} is not valid: give the number of open files "
            "to allow, e.g. 4096."
        )
    try:
        import resource
    except ImportError:  # Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = max(wanted, soft)
    if hard != resource.RLIM_INFINITY:
        target = min(target, hard)
    if target != soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):  # a sandbox that refuses: keep the current limit
            pass


def _cli_command() -> str:
    """The runner-cli command to start again under a launcher: the one being run (``test
    CONFIG CHECKPOINT`` for ``runner-cli test``), else ``train CONFIG``."""
    import sys

    argv = sys.argv
    program = argv[0].replace("\\", "/") if argv else ""
    if os.path.basename(program).startswith("runner-cli") or program.endswith(
        "runner_cli/__main__.py"
    ):
        # the first word that is no option or option value: `runner-cli --debug test ...`
        words = [a for a in argv[1:] if not a.startswith("-") and not a.isdigit()]
        if words and words[0] in ("test", "val"):
            return f"{words[0]} CONFIG CHECKPOINT"
    return "train CONFIG"
