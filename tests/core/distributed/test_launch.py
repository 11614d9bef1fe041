"""Launchers without processes: SLURM node lists, launcher inference, backend choice, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest
from torchrun_helpers import free_port, worker_env

from runner_core.distributed import launch
from runner_core.errors import ConfigError, PluginError, RunnerError


@pytest.mark.parametrize(
    ("nodelist", "hosts"),
    [
        ("node01", ["node01"]),
        ("node[01-03,07]", ["node01", "node02", "node03", "node07"]),
        ("gpu-a1,node[8-10]", ["gpu-a1", "node8", "node9", "node10"]),
        ("r[1-2]n[01-02]", ["r1n01", "r1n02", "r2n01", "r2n02"]),
        ("a[009-011],b", ["a009", "a010", "a011", "b"]),
    ],
)
def test_parse_slurm_nodelist(nodelist: str, hosts: list[str]):
    assert launch.parse_slurm_nodelist(nodelist) == hosts


@pytest.mark.parametrize("bad", ["node[01-03", "node]", "node[5-3]", ""])
def test_parse_slurm_nodelist_rejects_malformed(bad: str):
    with pytest.raises(ValueError, match="SLURM node list"):
        launch.parse_slurm_nodelist(bad)


def _clear(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "RANK",
        "WORLD_SIZE",
        "LOCAL_RANK",
        "SLURM_PROCID",
        "SLURM_NTASKS",
        "MASTER_ADDR",
        "MASTER_PORT",
        "OMPI_COMM_WORLD_RANK",
        "OMPI_COMM_WORLD_SIZE",
        "OMPI_COMM_WORLD_LOCAL_RANK",
        "OMPI_COMM_WORLD_LOCAL_SIZE",
    ):
        monkeypatch.delenv(var, raising=False)


def test_infer_launcher(monkeypatch: pytest.MonkeyPatch):
    _clear(monkeypatch)
    assert launch.infer_launcher() == "none"
    monkeypatch.setenv("SLURM_PROCID", "0")
    monkeypatch.setenv("SLURM_NTASKS", "1")
    assert launch.infer_launcher() == "none"  # a one-task srun is one process
    monkeypatch.setenv("SLURM_NTASKS", "4")
    assert launch.infer_launcher() == "slurm"
    for var, value in (("RANK", "0"), ("WORLD_SIZE", "2"), ("LOCAL_RANK", "0")):
        monkeypatch.setenv(var, value)
    assert launch.infer_launcher() == "pytorch"


def _set_ompi(monkeypatch: pytest.MonkeyPatch, rank: int, size: int, local_rank: int) -> None:
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", str(rank))
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", str(size))
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_RANK", str(local_rank))


def test_infer_launcher_mpi(monkeypatch: pytest.MonkeyPatch):
    _clear(monkeypatch)
    _set_ompi(monkeypatch, 0, 1, 0)
    assert launch.infer_launcher() == "none"  # `mpirun -np 1` is one process
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    assert launch.infer_launcher() == "mpi"
    # mpirun inside sbatch: every rank inherits the batch step's SLURM_PROCID=0
    monkeypatch.setenv("SLURM_PROCID", "0")
    monkeypatch.setenv("SLURM_NTASKS", "4")
    assert launch.infer_launcher() == "mpi"
    for var, value in (("RANK", "0"), ("WORLD_SIZE", "2"), ("LOCAL_RANK", "0")):
        monkeypatch.setenv(var, value)
    assert launch.infer_launcher() == "pytorch"


def test_mpi_env_from_openmpi_variables(monkeypatch: pytest.MonkeyPatch):
    _clear(monkeypatch)
    _set_ompi(monkeypatch, 5, 8, 1)
    monkeypatch.setenv("MASTER_ADDR", "gpu12")
    env = launch._mpi_env(None)
    assert env == {
        "RANK": "5",
        "WORLD_SIZE": "8",
        "LOCAL_RANK": "1",
        "MASTER_ADDR": "gpu12",
        "MASTER_PORT": "29500",  # MMEngine's default too
    }
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "4")
    monkeypatch.setenv("MASTER_PORT", "31000")
    env = launch._mpi_env(None)
    assert env["MASTER_PORT"] == "31000" and env["LOCAL_WORLD_SIZE"] == "4"
    assert launch._mpi_env(29999)["MASTER_PORT"] == "29999"  # dist_cfg.port wins


def test_mpi_without_master_addr_says_how_to_pass_it(monkeypatch: pytest.MonkeyPatch):
    _clear(monkeypatch)
    _set_ompi(monkeypatch, 1, 2, 1)
    with pytest.raises(KeyError, match="MASTER_ADDR.*mpirun -np N -x MASTER_ADDR") as err:
        launch.init_dist("mpi")  # MMEngine: KeyError('The environment variable MASTER_ADDR ...')
    assert isinstance(err.value, ConfigError)
    assert "RANK" not in os.environ  # nothing half-set


def test_mpi_without_mpirun_says_how_to_start(monkeypatch: pytest.MonkeyPatch):
    _clear(monkeypatch)
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    with pytest.raises(KeyError, match="OMPI_COMM_WORLD_LOCAL_RANK.*mpirun.*torchrun") as err:
        launch.init_dist("mpi")
    assert isinstance(err.value, ConfigError)


def test_slurm_env_from_srun_variables(monkeypatch: pytest.MonkeyPatch):
    _clear(monkeypatch)
    monkeypatch.setenv("SLURM_PROCID", "5")
    monkeypatch.setenv("SLURM_NTASKS", "8")
    monkeypatch.setenv("SLURM_LOCALID", "1")
    monkeypatch.setenv("SLURM_NODELIST", "gpu[12-15]")
    env = launch._slurm_env(None)
    assert env["RANK"] == "5" and env["WORLD_SIZE"] == "8" and env["LOCAL_RANK"] == "1"
    assert env["MASTER_ADDR"] == "gpu12" and env["MASTER_PORT"] == str(launch.DEFAULT_MASTER_PORT)
    monkeypatch.setenv("MASTER_PORT", "31000")
    assert launch._slurm_env(None)["MASTER_PORT"] == "31000"
    assert launch._slurm_env(29999)["MASTER_PORT"] == "29999"


def test_slurm_without_srun_says_how_to_start(monkeypatch: pytest.MonkeyPatch):
    _clear(monkeypatch)
    monkeypatch.delenv("SLURM_NODELIST", raising=False)
    with pytest.raises(RunnerError, match="SLURM_PROCID.*srun"):
        launch.init_dist("slurm")


def test_unknown_launcher_suggests_the_right_one():
    with pytest.raises(RunnerError, match="Did you mean 'pytorch'"):
        launch.init_dist("pytroch")
    with pytest.raises(RunnerError, match="none, pytorch, slurm, mpi.*Did you mean 'mpi'"):
        launch.init_dist("mpirun")


def test_pytorch_launcher_outside_torchrun_names_missing_variables(monkeypatch: pytest.MonkeyPatch):
    _clear(monkeypatch)
    with pytest.raises(
        KeyError,  # MMEngine reads os.environ['RANK']; ours is also an input error (exit 2)
        match="RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT are missing.*runner-cli",
    ) as err:
        launch.init_dist("pytorch")
    assert isinstance(err.value, ConfigError)
    # the command to start again is the one being run (it said `train` to `runner-cli test`)
    monkeypatch.setattr(sys, "argv", ["/venv/bin/runner-cli", "test", "c.py", "w.pth"])
    with pytest.raises(KeyError, match=r"runner-cli\) test CONFIG CHECKPOINT --launcher"):
        launch.init_dist("pytorch")
    for argv in (
        ["/venv/bin/runner-cli", "--debug", "val", "c.py", "w.pth"],
        ["/site-packages/runner_cli/__main__.py", "--local-rank", "0", "val", "c.py", "w.pth"],
    ):
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(KeyError, match=r"runner-cli\) val CONFIG CHECKPOINT"):
            launch.init_dist("pytorch")
    monkeypatch.setattr(sys, "argv", ["train.py"])
    with pytest.raises(KeyError, match=r"runner-cli\) train CONFIG --launcher"):
        launch.init_dist("pytorch")


def test_bad_dist_cfg_key(monkeypatch: pytest.MonkeyPatch):
    for var, value in (
        ("RANK", "0"),
        ("WORLD_SIZE", "1"),
        ("LOCAL_RANK", "0"),
        ("MASTER_ADDR", "127.0.0.1"),
        ("MASTER_PORT", "1"),
    ):
        monkeypatch.setenv(var, value)
    with pytest.raises(RunnerError, match="timout.*Did you mean 'timeout'") as info:
        launch.init_dist("pytorch", timout=10)
    assert "_ranks" not in str(info.value)  # torch's private argument is not offered


def test_backend_follows_the_device():
    import torch

    if torch.cuda.is_available():
        assert launch.resolve_backend(None) == "nccl"
        return
    assert launch.resolve_backend(None) == "gloo"
    with pytest.warns(UserWarning, match="needs CUDA.*using 'gloo'"):
        assert launch.resolve_backend("nccl") == "gloo"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert launch.resolve_backend("gloo") == "gloo"
        assert launch.resolve_backend("cpu:gloo,cuda:nccl") == "cpu:gloo,cuda:nccl"


def test_setup_multiprocessing(monkeypatch: pytest.MonkeyPatch):
    import torch

    threads = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    try:
        launch.setup_multiprocessing(omp_num_threads=1, opencv_num_threads=0)
        import os

        assert os.environ["OMP_NUM_THREADS"] == "1" and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    with pytest.raises(RunnerError, match="Did you mean .*'omp_num_threads'"):
        launch.setup_multiprocessing(omp_num_thread=2)
    with pytest.raises(RunnerError, match="mp_start_method='forky'"):
        launch.setup_multiprocessing(mp_start_method="forky")


def test_setup_multiprocessing_warns_when_it_changes_a_start_method_already_set() -> None:
    import multiprocessing

    before = multiprocessing.get_start_method(allow_none=True)
    try:
        multiprocessing.set_start_method("spawn", force=True)
        with pytest.warns(UserWarning, match="'fork'.*previous setting 'spawn'"):
            launch.setup_multiprocessing(mp_start_method="fork")
        assert multiprocessing.get_start_method() == "fork"
        multiprocessing.set_start_method(None, force=True)  # nothing set yet: no warning
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            launch.setup_multiprocessing(mp_start_method="spawn")
    finally:
        multiprocessing.set_start_method(before, force=True)


def test_fork_asked_where_there_is_none_is_skipped_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OpenMMLab's default_runtime.py asks mp_start_method='fork' everywhere; on Windows
    (only 'spawn') MMEngine skips it, and ours refused every such config."""
    import multiprocessing

    before = multiprocessing.get_start_method(allow_none=True)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    launch.check_mp_cfg(mp_start_method="fork")  # runner-cli config check: accepted
    with pytest.warns(UserWarning, match="'fork' is ignored: this system has no 'fork'"):
        launch.setup_multiprocessing(mp_start_method="fork")
    assert multiprocessing.get_start_method(allow_none=True) == before
    with pytest.raises(RunnerError, match="mp_start_method='forkserver' is not available"):
        launch.check_mp_cfg(mp_start_method="forkserver")  # any other: refused as before


def test_model_adapter_is_not_a_wrapper():
    from torch import nn

    from runner_core.distributed.model_wrappers import is_model_wrapper
    from runner_core.model import ModuleAdapter

    assert not is_model_wrapper(ModuleAdapter(nn.Linear(2, 2)))
    assert is_model_wrapper(nn.DataParallel(nn.Linear(2, 2)))


EXIT_SCRIPT = """
import atexit, gc, os, sys, weakref
import torch, torch.distributed as dist
from runner_core.distributed.launch import init_dist

os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0",
                  MASTER_ADDR="127.0.0.1", MASTER_PORT=sys.argv[1])
# gloo, whatever the machine: with CUDA the default is NCCL, whose group the exit handler
# leaves to the script, and on which DDP cannot wrap this CPU model
init_dist("pytorch", backend="gloo")

class Owner:  # a Runner-like owner in a reference cycle with its DDP model
    pass

owner = Owner()
owner.me = owner
owner.model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))
model = weakref.ref(owner.model)
del owner
gc.disable()  # only the exit handler may collect the cycle now
atexit._run_exitfuncs()
print(model() is None, dist.is_initialized())
"""


def test_exit_frees_ddp_cycles_and_closes_a_gloo_group_left_open():
    # left to interpreter teardown, gloo drops those tensors after Python is gone and a
    # successful run aborts with SIGABRT ('terminate called without an active exception')
    proc = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env=worker_env(),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["True", "False"]


def _caused(error: Exception, cause: Exception) -> Exception:
    error.__cause__ = cause
    return error


def _fail_on_a_rank(error: Exception) -> tuple[_Logged, BaseException]:
    """Run a fail_fast method raising ``error``; its logger and the error it raised."""

    class Fails:
        logger = _Logged()

        @launch.fail_fast
        def train(self) -> None:
            raise error

    runner = Fails()
    with pytest.raises(type(error)) as raised:
        runner.train()
    return runner.logger, raised.value


class _Logged:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.tracebacks: list[bool] = []

    def error(self, message: str, exc_info: bool = False) -> None:
        self.lines.append(message)
        self.tracebacks.append(exc_info)


@pytest.mark.parametrize(
    ("error", "traceback"),
    [
        (ConfigError("max_epochs='four'"), False),
        (ValueError("x"), True),
        # a plugin's own module failed to import: its traceback is the one to see
        (_caused(PluginError("entry point 'mylib.hooks:Hook' failed"), NameError("nn")), True),
        (PluginError("two distributions offer 'ResNet'"), False),  # nothing under it
    ],
)
def test_a_failed_rank_logs_an_input_error_without_its_traceback(
    monkeypatch: pytest.MonkeyPatch, error: Exception, traceback: bool
) -> None:
    """Under torchrun each rank printed a config error's whole traceback (4 tracebacks for
    a typo on 2 ranks); runner-cli shows an input error as one paragraph."""
    from runner_core.distributed import utils

    monkeypatch.setattr(utils, "is_distributed", lambda: True)
    logger, _ = _fail_on_a_rank(error)
    assert logger.tracebacks == [traceback]


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (
            RuntimeError(
                "[../gloo/transport/tcp/pair.cc:553] Connection closed by peer [127.0.0.1]:3813. "
                "This is typically caused by a remote worker crashing."
            ),
            True,
        ),
        (RuntimeError("NCCL error: remote process exited or there was a network error"), True),
        (ValueError("injected failure at iter 3"), False),
        (RuntimeError("Application timeout caused pair closure"), "timeout"),
    ],
)
def test_a_rank_whose_collective_lost_its_peer_points_to_the_rank_that_failed(
    monkeypatch: pytest.MonkeyPatch, error: Exception, lost: bool | str
) -> None:
    """Rank 0's log file held only gloo's 'closed by peer', blamed on the hook whose
    collective it was in; the cause, another rank's error, was on that rank's stderr."""
    from runner_core.distributed import utils

    monkeypatch.setattr(utils, "is_distributed", lambda: True)
    monkeypatch.setattr(utils, "get_rank", lambda: 0)
    monkeypatch.setattr(utils, "get_world_size", lambda: 2)
    logger, raised = _fail_on_a_rank(error)
    (line,) = logger.lines
    assert line.startswith(f"rank 0/2 failed: {type(error).__name__}: ")
    notes = getattr(raised, "__notes__", [])
    if lost == "timeout":  # gloo's words for dist_cfg.timeout name neither it nor a rank
        assert "A collective waited env_cfg.dist_cfg.timeout for another rank" in line
        assert any("raise the timeout" in n for n in notes)
        return
    assert ("Another rank most likely failed first" in line) is lost
    assert any("look for the first 'rank N/W failed' line" in n for n in notes) is lost
