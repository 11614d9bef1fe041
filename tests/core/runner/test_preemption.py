"""PreemptionHook in one process: asleep per iteration, woken by its signal, stops in time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from runner_core import Runner
from runner_core.checkpoint import load_checkpoint, read_pointer
from runner_core.hooks import Hook
from runner_core.runner.preemption import TrainingPreempted

ITERS_PER_EPOCH = 8


def _runner(
    work_dir: Path,
    hooks: list[Hook],
    env_cfg: dict | None = None,
    val_interval: int = 1,
    **extra: object,
) -> Runner:
    gen = torch.Generator().manual_seed(0)
    data = TensorDataset(
        torch.randn(32, 4, generator=gen), torch.randint(0, 3, (32,), generator=gen)
    )
    loader = DataLoader(data, batch_size=32 // ITERS_PER_EPOCH)
    return Runner(
        model=nn.Linear(4, 3),
        work_dir=str(work_dir),
        train_dataloader=loader,
        train_cfg={"by_epoch": True, "max_epochs": 2, "val_interval": val_interval},
        val_dataloader=loader,
        val_cfg={},
        val_evaluator={"type": "Accuracy"},
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 0.1}},
        default_hooks_set="none",
        custom_hooks=hooks,
        env_cfg=env_cfg,
        **extra,
    )


class SignalAt(Hook):
    """Sends this process SIGUSR1 at ``point`` of iteration ``at`` (1-based)."""

    priority = "LOWEST"

    def __init__(self, point: str, at: int) -> None:
        self.point, self.at = point, at
        self.idle_before: dict[str, list[str]] | None = None
        self.validated = False

    def before_train_iter(self, runner, batch_idx) -> None:
        if self.point == "step" and runner.iter + 1 == self.at:
            self.idle_before = runner.hooks.idle_table()
            os.kill(os.getpid(), signal.SIGUSR1)  # handled right away, inside this iteration

    def after_train_iter(self, runner, batch_idx) -> None:
        if self.point == "after_train_iter" and runner.iter + 1 == self.at:
            os.kill(os.getpid(), signal.SIGUSR1)

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.point == "val" and batch_idx + 1 == self.at:
            os.kill(os.getpid(), signal.SIGUSR1)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.validated = True


def test_the_hook_sleeps_per_iteration_and_the_signal_stops_the_iteration_it_came_in(
    tmp_path: Path,
) -> None:
    sender = SignalAt("step", at=5)
    runner = _runner(tmp_path, [sender])
    with pytest.raises(TrainingPreempted) as stop:
        runner.train()
    assert sender.idle_before == {
        # its stops before the next step, at the highest priority, sleep too
        "PreemptionGate": [
            "before_train_epoch",
            "before_train_iter",
            "before_val",
            "before_val_iter",
        ],
        "PreemptionHook": ["after_train_iter"],
    }
    assert stop.value.signum == signal.SIGUSR1
    assert read_pointer(tmp_path) == tmp_path / "iter_5.pth"
    assert runner.iter == 4  # iteration 5 finished its hooks; the counter had not moved yet
    assert runner.hooks.idle_table() == {}  # awake again once training ended


def test_a_signal_during_the_hooks_after_the_step_stops_before_the_next_iteration(
    tmp_path: Path,
) -> None:
    """Arriving after the sleeping hook's turn at after_train_iter, the signal still stops
    the run after the iteration it came in, not after the next one."""
    runner = _runner(tmp_path, [SignalAt("after_train_iter", at=5)])
    with pytest.raises(
        TrainingPreempted, match=r"stopped after iteration 5 \(Epoch\(train\) \[1\]\[5/"
    ):
        runner.train()
    assert read_pointer(tmp_path) == tmp_path / "iter_5.pth"
    assert runner.iter == 5


def test_a_signal_during_an_epochs_last_hooks_stops_before_validating(tmp_path: Path) -> None:
    """Arriving after the sleeping hook's turn, the signal still stops the run before
    the validation pass that follows the epoch, with the epoch's position saved."""
    sender = SignalAt("after_train_iter", at=ITERS_PER_EPOCH)
    runner = _runner(tmp_path, [sender])
    with pytest.raises(TrainingPreempted, match="before validating"):
        runner.train()
    assert not sender.validated
    assert read_pointer(tmp_path) == tmp_path / f"iter_{ITERS_PER_EPOCH}.pth"
    assert runner.iter == ITERS_PER_EPOCH and runner.epoch == 1


class Validations(Hook):
    """Counts the validations that finished, and the val batches run."""

    priority = "HIGH"

    def __init__(self) -> None:
        self.done = 0
        self.batches = 0

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.batches += 1

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.done += 1


def test_a_signal_during_validation_cuts_it_and_the_resume_validates_again(
    tmp_path: Path,
) -> None:
    """A validation can outlast the scheduler's grace period (or never end): the stop
    comes before its next batch, saves the training position with the validation not
    counted, and the resumed run validates that epoch again before going on."""
    from runner_hooks_standard import CheckpointHook

    sender, seen = SignalAt("val", at=2), Validations()
    runner = _runner(tmp_path, [sender, seen, CheckpointHook(interval=1)])
    with pytest.raises(
        TrainingPreempted,
        match=rf"stopped after iteration {ITERS_PER_EPOCH}, during its validation "
        r"\(cut before val batch 3; not counted as done\)",
    ):
        runner.train()
    assert (seen.batches, seen.done, sender.validated) == (2, 0, False)
    assert read_pointer(tmp_path) == tmp_path / f"iter_{ITERS_PER_EPOCH}.pth"
    resumed_seen = Validations()
    resumed = _runner(tmp_path, [resumed_seen, CheckpointHook(interval=1)], resume=True)
    resumed.train()
    assert resumed.iter == 2 * ITERS_PER_EPOCH
    assert resumed_seen.done == 2  # epoch 1's validation again, then epoch 2's
    assert "Resumed at the end of epoch 1, whose validation result was not recorded" in _log(
        resumed
    )


def test_a_validation_cut_with_ema_swapped_in_resumes_to_the_same_weights(
    tmp_path: Path,
) -> None:
    """EMAHook swaps the average into the model for validation: the cut's checkpoint must
    still resume the training weights and the average, ending as an unstopped run."""
    from runner_hooks_standard import CheckpointHook, EMAHook

    def hooks() -> list[Hook]:
        return [EMAHook(momentum=0.5), CheckpointHook(interval=1)]

    torch.manual_seed(0)
    _runner(tmp_path / "full", hooks()).train()
    torch.manual_seed(0)
    with pytest.raises(TrainingPreempted, match="during its validation"):
        _runner(tmp_path / "cut", [SignalAt("val", at=2), *hooks()]).train()
    _runner(tmp_path / "cut", hooks(), resume=True).train()
    a = load_checkpoint(tmp_path / "full" / "epoch_2.pth")
    b = load_checkpoint(tmp_path / "cut" / "epoch_2.pth")
    for key in ("state_dict", "ema_state_dict"):
        assert a[key].keys() == b[key].keys()
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), (key, name)


class Recorder(Hook):
    """Counts the points a high-priority hook sees: what runs for a step that is not run."""

    priority = "HIGH"

    def __init__(self) -> None:
        self.epochs_begun = 0
        self.iters_begun = 0

    def before_train_epoch(self, runner) -> None:
        self.epochs_begun += 1

    def before_train_iter(self, runner, batch_idx) -> None:
        self.iters_begun += 1
        torch.rand(1)  # a hook drawing randomness for the step it prepares


def test_a_late_signal_stops_before_any_hook_prepares_the_next_iteration(
    tmp_path: Path,
) -> None:
    """The resumed run does iteration 6's before_train_iter itself: the stopped run must
    not have done it too (its random draws and histories would be saved twice)."""
    recorder = Recorder()
    runner = _runner(tmp_path, [SignalAt("after_train_iter", at=5), recorder])
    rng_after_five = None

    class RngAt(Hook):
        priority = "LOWEST"

        def after_train_iter(self, runner, batch_idx) -> None:
            nonlocal rng_after_five
            if runner.iter + 1 == 5:
                rng_after_five = torch.get_rng_state()

    runner.hooks.register(RngAt())
    with pytest.raises(TrainingPreempted):
        runner.train()
    assert recorder.iters_begun == 5
    assert torch.equal(torch.get_rng_state(), rng_after_five)


def test_a_users_own_preemption_hook_gets_the_stops_between_steps_too(tmp_path: Path) -> None:
    """A PreemptionHook given in custom_hooks (to set slurm_requeue, say) is the one used,
    and a late signal still stops before the next iteration begins."""
    from runner_core.runner.preemption import PreemptionGate, PreemptionHook

    recorder, own = Recorder(), PreemptionHook()
    runner = _runner(tmp_path, [SignalAt("after_train_iter", at=5), recorder, own])
    with pytest.raises(TrainingPreempted, match="stopped after iteration 5"):
        runner.train()
    assert recorder.iters_begun == 5
    gates = [h for h in runner.hooks if isinstance(h, PreemptionGate)]
    assert [g.main for g in gates] == [own]


def test_a_late_signal_at_an_epochs_end_stops_before_the_next_epoch_begins(
    tmp_path: Path,
) -> None:
    """Without a validation in between, the stop comes before any hook's before_train_epoch
    of the epoch the resumed run will begin."""
    recorder = Recorder()
    sender = SignalAt("after_train_iter", at=ITERS_PER_EPOCH)
    runner = _runner(tmp_path, [sender, recorder], val_interval=2)  # none after epoch 1
    with pytest.raises(TrainingPreempted, match="before epoch 2"):
        runner.train()
    assert recorder.epochs_begun == 1 and recorder.iters_begun == ITERS_PER_EPOCH
    assert read_pointer(tmp_path) == tmp_path / f"iter_{ITERS_PER_EPOCH}.pth"


class SavesByItself(Runner):
    """An MMEngine-style override that writes the file itself, skipping super()."""

    def save_checkpoint(self, out_dir, filename, file_client_args=None, **kwargs):
        path = Path(out_dir) / filename
        torch.save({"state_dict": self.model.state_dict()}, path)
        return path


def test_a_stop_saved_by_an_override_without_super_says_the_pointer_was_not_moved(
    tmp_path: Path,
) -> None:
    """Such a save leaves last_checkpoint where it was: the stop's log says so, as the
    checkpoint hook's periodic saves do, instead of implying the resume will find it."""
    runner = _runner(tmp_path, [SignalAt("step", at=5)])
    runner.__class__ = SavesByItself
    with pytest.raises(TrainingPreempted):
        runner.train()
    assert (tmp_path / "iter_5.pth").is_file() and read_pointer(tmp_path) is None
    log = _log(runner)
    assert "SavesByItself.save_checkpoint saved without calling Runner.save_checkpoint" in log
    assert "last_checkpoint was not pointed at iter_5.pth" in log


def _log(runner: Runner) -> str:
    return (runner.log_dir / f"{runner.timestamp}.log").read_text()


@pytest.fixture
def usr1_restored():
    before = signal.getsignal(signal.SIGUSR1)
    yield
    signal.signal(signal.SIGUSR1, before)


def test_a_python_handler_of_the_user_is_left_alone_and_named_in_one_info_line(
    tmp_path: Path, usr1_restored
) -> None:
    """A sweep's own "finish this trial, then stop" handler keeps working, as in MMEngine."""
    calls: list[int] = []

    def finish_then_stop(signum, frame) -> None:
        calls.append(signum)

    signal.signal(signal.SIGUSR1, finish_then_stop)
    runner = _runner(tmp_path, [SignalAt("step", at=5)])
    runner.train()  # not preempted: the handler is the user's
    assert runner.iter == 2 * ITERS_PER_EPOCH and calls == [signal.SIGUSR1]
    assert signal.getsignal(signal.SIGUSR1) is finish_then_stop
    lines = [line for line in _log(runner).splitlines() if "SIGUSR1 has a handler" in line]
    assert len(lines) == 1 and "finish_then_stop" in lines[0]
    assert "env_cfg=dict(preemption=dict(signals=['SIGTERM', 'SIGUSR1']))" in lines[0]
    assert "SIGTERM has" not in _log(runner)  # SIGTERM had its default action: taken over


def test_a_listed_signal_is_taken_over_and_chains_to_the_users_handler(
    tmp_path: Path, usr1_restored
) -> None:
    calls: list[int] = []

    def finish_then_stop(signum, frame) -> None:
        calls.append(signum)

    signal.signal(signal.SIGUSR1, finish_then_stop)
    runner = _runner(
        tmp_path, [SignalAt("step", at=5)], env_cfg=dict(preemption=dict(signals=["SIGUSR1"]))
    )
    with pytest.raises(TrainingPreempted):
        runner.train()
    assert calls == [signal.SIGUSR1]  # after the stop was recorded
    assert read_pointer(tmp_path) == tmp_path / "iter_5.pth"
    assert signal.getsignal(signal.SIGUSR1) is finish_then_stop


def test_an_ignored_signal_is_taken_over_and_ignored_again_afterwards(
    tmp_path: Path, usr1_restored
) -> None:
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    with pytest.raises(TrainingPreempted):
        _runner(tmp_path, [SignalAt("step", at=5)]).train()
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_IGN


_NATIVE_HANDLER_RUN = """
import faulthandler, os, signal, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from test_preemption import SignalAt, TrainingPreempted, _runner
work, listed = Path(sys.argv[2]), sys.argv[3] == "listed"
faulthandler.register(signal.SIGUSR1, all_threads=False)  # a stack dump on SIGUSR1, set in C
env = dict(preemption=dict(signals=["SIGUSR1"])) if listed else None
try:
    _runner(work, [SignalAt("step", at=5)], env_cfg=env).train()
    print("TRAINED", flush=True)
except TrainingPreempted:
    print("PREEMPTED", flush=True)
os.kill(os.getpid(), signal.SIGUSR1)  # after training: the dump again, not a kill
time.sleep(0.2)
print("ALIVE", flush=True)
"""


@pytest.mark.parametrize("listed", [False, True])
def test_a_handler_set_outside_python_is_left_alone_or_put_back(
    tmp_path: Path, listed: bool
) -> None:
    """faulthandler.register(SIGUSR1) is invisible to signal.getsignal: by default it
    keeps dumping stacks during training; listed, it is taken over and comes back."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _NATIVE_HANDLER_RUN,
            str(Path(__file__).parent),
            str(tmp_path),
            "listed" if listed else "default",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = [line for line in done.stdout.splitlines() if line in ("TRAINED", "PREEMPTED", "ALIVE")]
    assert out == (["PREEMPTED", "ALIVE"] if listed else ["TRAINED", "ALIVE"])
    dumps = done.stderr.count("Current thread") + done.stderr.count("Stack (most recent")
    assert dumps == (1 if listed else 2), done.stderr[-3000:]


_PLAIN_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from test_preemption import SignalAt, _runner
_runner(Path(sys.argv[2]), [SignalAt("step", at=5)]).train()  # nothing catches the stop
print("NOT REACHED", flush=True)
"""


def _run_script(script: str, work_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh Python, with this folder importable and ``work_dir``."""
    return subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent), str(work_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_script_that_does_not_catch_the_stop_exits_with_128_plus_the_signal(
    tmp_path: Path,
) -> None:
    """As the docs say of a preempted run (and as runner-cli exits): 128 + SIGUSR1."""
    done = _run_script(_PLAIN_SCRIPT, tmp_path)
    assert done.returncode == 128 + signal.SIGUSR1, done.stderr[-3000:]
    assert "NOT REACHED" not in done.stdout and "Traceback" not in done.stderr
    assert "SIGUSR1 received: stopped after iteration 5" in done.stdout  # the hook's one line
    assert read_pointer(tmp_path) == tmp_path / "iter_5.pth"


_SIGNALLED_AGAIN_SCRIPT = """
import os, signal, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from runner_core.runner.preemption import TrainingPreempted
from test_preemption import SignalAt, _runner
try:
    _runner(Path(sys.argv[2]), [SignalAt("step", at=5)]).train()
except TrainingPreempted:
    os.kill(os.getpid(), signal.SIGUSR1)  # sent again while the stopped run winds down
    time.sleep(0.5)
    print("NOT REACHED", flush=True)
    raise
"""


def test_the_signal_sent_again_while_a_stopped_run_winds_down_keeps_the_exit_status(
    tmp_path: Path,
) -> None:
    """Schedulers and users send SIGTERM twice: the second must not turn the documented
    128 + signal into "killed by the signal" (torchrun's exitcode -15)."""
    done = _run_script(_SIGNALLED_AGAIN_SCRIPT, tmp_path)
    assert done.returncode == 128 + signal.SIGUSR1, done.stderr[-3000:]
    assert "NOT REACHED" not in done.stdout
    assert read_pointer(tmp_path) == tmp_path / "iter_5.pth"


def test_a_run_after_a_stopped_one_takes_the_signal_over_again(
    tmp_path: Path, usr1_restored
) -> None:
    """What is left installed after a stop counts as the default action, not as a handler
    of the user's that the next run would leave alone."""
    with pytest.raises(TrainingPreempted):
        _runner(tmp_path / "a", [SignalAt("step", at=5)]).train()
    second = _runner(tmp_path / "b", [SignalAt("step", at=3)])
    with pytest.raises(TrainingPreempted):
        second.train()
    assert read_pointer(tmp_path / "b") == tmp_path / "b" / "iter_3.pth"
    assert "left alone" not in _log(second)


def test_a_system_without_sigusr1_watches_sigterm_alone() -> None:
    """Windows has no SIGUSR1: the default signals named it, so every train() there
    failed with "'SIGUSR1' is not a signal of this system"."""
    script = (
        "import signal; del signal.SIGUSR1, signal.SIGUSR2\n"
        "from runner_core.runner.preemption import DEFAULT_SIGNALS, _parse_signal\n"
        "print(DEFAULT_SIGNALS)\n"
        "try:\n    _parse_signal('SIGQUITT')\nexcept Exception as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    defaults, message = done.stdout.splitlines()
    assert defaults == "('SIGTERM',)"
    assert message.endswith("Use e.g. 'SIGTERM'.")  # no signal the system lacks


_BLOCKED_VALIDATION_SCRIPT = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from runner_core.hooks import Hook
from runner_core.runner import preemption
from test_preemption import _runner
preemption.REPEAT_WINDOW_S = 0  # the test sends the repeat only once the first is seen
once = sys.argv[3] == "once"

class Blocks(Hook):
    # val batch 1 waits for the signal, then ends (once) or never ends (twice)
    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        stop = next(h for h in runner.hooks if isinstance(h, preemption.PreemptionHook))
        print("VALIDATING", flush=True)
        while stop.received is None:
            time.sleep(0.01)
        print("STOPPING", flush=True)
        while not once:
            time.sleep(0.01)

_runner(Path(sys.argv[2]), [Blocks()]).train()
print("NOT REACHED", flush=True)
"""


def _signal_at_lines(proc: subprocess.Popen[str], lines: list[str]) -> str:
    """Send SIGTERM each time the run prints the next of ``lines``; return its output."""
    seen = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            seen.append(line)
            if lines and line.strip() == lines[0]:
                lines.pop(0)
                proc.send_signal(signal.SIGTERM)
                if not lines:
                    break
        out, _ = proc.communicate(timeout=120)  # stderr goes to stdout
    finally:
        if proc.poll() is None:  # still running: the stop failed; leave no process behind
            proc.kill()
            proc.wait()
    return "".join(seen) + out


@pytest.mark.parametrize("times", ["once", "twice"])
def test_sigterm_during_validation_stops_it_and_a_second_one_gets_out_at_once(
    tmp_path: Path, times: str
) -> None:
    """Once: the validation stops before its next batch, iter_8.pth is saved, exit 143.
    Twice, while a val batch never ends: the second exits 143 at once, nothing saved."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _BLOCKED_VALIDATION_SCRIPT,
            str(Path(__file__).parent),
            str(tmp_path),
            times,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    markers = ["VALIDATING"] if times == "once" else ["VALIDATING", "STOPPING"]
    output = _signal_at_lines(proc, markers)
    assert proc.returncode == 128 + signal.SIGTERM, output
    assert "NOT REACHED" not in output and "Traceback" not in output
    if times == "once":
        assert (
            f"SIGTERM received: stopped after iteration {ITERS_PER_EPOCH}, during its "
            "validation (cut before val batch 2; not counted as done)" in output
        )
        assert read_pointer(tmp_path) == tmp_path / f"iter_{ITERS_PER_EPOCH}.pth"
        assert load_checkpoint(tmp_path / f"iter_{ITERS_PER_EPOCH}.pth")["meta"]["iter"] == 8
    else:
        assert "SIGTERM received again while stopping: exiting now" in output
        assert read_pointer(tmp_path) is None and not list(tmp_path.glob("iter_*.pth"))
