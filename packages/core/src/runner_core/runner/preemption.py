"""Preemption is a clean stop: SIGTERM / SIGUSR1 finish the iteration, save, and leave.

SLURM, Kubernetes and ``timeout`` send SIGTERM some seconds before they kill
a job; SLURM can also warn with another signal (``--signal=USR1@60``). While
training runs, those signals only set a flag (a handler that does more could
fire in the middle of an optimizer step or a checkpoint write).
:class:`PreemptionHook`, a core hook registered at the lowest priority,
looks at the flag at ``after_train_iter``, when the iteration and every other
hook of that point are done (in a single-process run it sits that point out
until the handler wakes it, so a signal that lands while an iteration's hooks
run stops the run after the next iteration, or before the validation pass
that follows; one that lands during a validation inside training cuts it
before its next batch, uncounted, so a resume validates again), and then:

1. saves ``iter_N.pth`` with ``runner.save_checkpoint`` (atomic, pointer
   updated), so ``resume`` continues exactly where the run stopped;
2. optionally asks SLURM to requeue the job (``scontrol requeue $SLURM_JOB_ID``);
3. logs one line (where it stopped, the file, how to resume) and raises
   :class:`TrainingPreempted`, which the CLI turns into exit status
   ``128 + signal`` (143 for SIGTERM), as if the signal had ended the process.

The same signal again while stopping (:data:`REPEAT_WINDOW_S` or more after
the first) ends the process at once with that status, the stop's checkpoint
abandoned (writes are atomic: the previous one stays). Ctrl-C is Python's
own: a ``KeyboardInterrupt`` at once, validation included, held only while a
checkpoint is written (:mod:`runner_core.checkpoint.interrupts`).

Configured with ``env_cfg=dict(preemption=dict(signals=['SIGTERM', 'SIGUSR1'],
slurm_requeue=False))``; ``signals=[]`` turns it off. By default a signal is
taken over only when nothing of this process handles it (its default action,
or ignored: a scheduler kills the job a little later anyway). One with a
handler of the user's (a sweep's "finish this trial, then stop" SIGTERM, a
``faulthandler.register(signal.SIGUSR1)`` stack dump, set in C and invisible
to ``signal.getsignal``) is left alone, with one info line saying how to hand
it over: listed explicitly in ``signals``, it is taken over and, after the
stop is recorded, the user's Python handler is called too. Whatever was
there comes back when training ends (a handler set in C, too, where
``sigaction`` can be called: see :mod:`.signal_handlers`), so outside
``train()`` the signals keep their usual meaning. Data-loader workers ignore them (only this
process reacts, then shuts the workers down). Python lets only the main thread
handle signals: ``train()`` called from another thread (a web app's or a job
queue's worker) logs one line saying so, and the signals keep their usual
effect. In a multi-process run the signals are reduced
over ranks without waiting, about every 0.1 s of training (the reduction
started at one check is read at the next), so all ranks stop at the same
iteration, shortly after the signal arrived, and name the same signal.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from ..data import worker_signals
from ..errors import ConfigError, did_you_mean
from ..hooks import Hook, Priority
from . import signal_handlers

__all__ = [
    "DEFAULT_SIGNALS",
    "PreemptionGate",
    "PreemptionHook",
    "TrainingPreempted",
    "preemption_settings",
    "resume_hint",
    "watch",
]

#: SIGUSR1 where the system has it (Windows has not)
DEFAULT_SIGNALS = tuple(name for name in ("SIGTERM", "SIGUSR1") if hasattr(signal, name))
_OPTIONS = ("signals", "slurm_requeue")
_REFUSED = {"SIGINT": "Ctrl-C already stops a run cleanly", "SIGKILL": "it cannot be caught"}

#: How the log line tells the user to resume; the CLI puts its exact command here.
resume_hint = "build the Runner again with resume=True and the same work_dir"


class TrainingPreempted(SystemExit):
    """Training stopped on a preemption signal after saving a resumable checkpoint.

    A requested stop, not a failure: it passes through ``except Exception``
    blocks, and as a ``SystemExit`` whose ``code`` is ``128 + signal`` a script
    that does not catch it exits with the status the signal itself would have
    given (143 for SIGTERM), without a traceback: a scheduler reading the
    status sees a preempted job, and the one log line the hook wrote says
    where the checkpoint is. ``str()`` is that line's message.
    """

    def __init__(self, message: str, signum: int, checkpoint: str | None) -> None:
        super().__init__(128 + signum)
        self.message = message
        self.signum = signum
        self.checkpoint = checkpoint

    def __str__(self) -> str:
        return self.message

    @property
    def exit_status(self) -> int:
        """``128 + signal``: what a shell reports for a process the signal ended."""
        return 128 + self.signum


def preemption_settings(env_cfg: Mapping[str, Any]) -> tuple[list[signal.Signals], bool]:
    """The signals and the requeue switch of ``env_cfg['preemption']``, checked."""
    cfg = env_cfg.get("preemption")
    cfg = {} if cfg is None else cfg
    if not isinstance(cfg, Mapping):
        raise ConfigError(
            f"env_cfg.preemption must be a dict like dict(signals=['SIGTERM', 'SIGUSR1'], "
            f"slurm_requeue=False), got {cfg!r}."
        )
    for key in cfg:
        if key not in _OPTIONS:
            raise ConfigError(
                f"env_cfg.preemption has no option {key!r}.{did_you_mean(str(key), _OPTIONS)} "
                f"Its options are: {', '.join(_OPTIONS)}."
            )
    names = cfg.get("signals", DEFAULT_SIGNALS)
    if isinstance(names, str):
        names = [names]
    found = []
    for name in names:
        sig = _parse_signal(name)
        if sig not in found:
            found.append(sig)
    requeue = cfg.get("slurm_requeue", False)
    if not isinstance(requeue, bool):
        raise ConfigError(
            f"env_cfg.preemption.slurm_requeue must be True or False, got {requeue!r}."
        )
    return found, requeue


def _parse_signal(name: Any) -> signal.Signals:
    text = str(name).upper()
    text = text if text.startswith("SIG") else f"SIG{text}"
    known = [s.name for s in signal.Signals]
    if text in _REFUSED:
        raise ConfigError(
            f"env_cfg.preemption.signals: {name!r} cannot be used: {_REFUSED[text]}. Use "
            f"{_one_of('SIGTERM', 'SIGUSR1', 'SIGUSR2')}."
        )
    if text not in known:
        raise ConfigError(
            f"env_cfg.preemption.signals: {name!r} is not a signal of this system."
            f"{did_you_mean(text, known)} Use e.g. {_one_of(*DEFAULT_SIGNALS)}."
        )
    return signal.Signals[text]


def _one_of(*names: str) -> str:
    """``'SIGTERM', 'SIGUSR1' or 'SIGUSR2'``: those of ``names`` this system has."""
    have = [repr(n) for n in names if hasattr(signal, n)]
    return " or ".join(have) if len(have) < 3 else f"{', '.join(have[:-1])} or {have[-1]}"


class PreemptionHook(Hook):
    """Save and stop at the end of the iteration in which a preemption signal arrived."""

    priority = Priority.LOWEST
    #: Multi-process runs: aim for one (non-blocking) agreement per this many seconds.
    check_period_s = 0.1

    def __init__(self, slurm_requeue: bool = False) -> None:
        self.slurm_requeue = slurm_requeue
        self.received: int | None = None  # set by the signal handler, nothing else
        self._in_flight: tuple[Any, Any] | None = None  # (work, sums) of the last check
        self._next_check = 0  # the iteration of the next check
        self._checked_at: tuple[int, float] | None = None  # (iteration, time) of the last
        #: whether ranks must agree (at check iterations); set by :func:`watch`
        self.distributed = False
        #: whether a signal handler wakes this hook (:func:`watch`), so that a
        #: single-process run need not look at the flag every iteration
        self.woken_by_signal = False

    @property
    def _sleeps_per_iteration(self) -> bool:
        """One process, with the handler installed: nothing to look at per iteration
        until a signal arrives, and the handler wakes this hook then."""
        return self.woken_by_signal and not self.distributed

    def idle_points(self, runner: Any) -> tuple[str, ...]:
        if self._sleeps_per_iteration and self.received is None:
            return ("after_train_iter",)
        return ()

    @property
    def stops_between_iterations(self) -> bool:
        """Whether a signal came after this hook's turn in a single-process run: the
        :class:`PreemptionGate` stops before anything of the next step runs."""
        return self._sleeps_per_iteration and self.received is not None

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        if self.received is None and not self.distributed:
            return  # the common case, every iteration: one attribute test
        signum = self._agreed_signal(runner)
        if signum is None:
            return
        # this iteration is finished; the counter moves after the hook
        self._stop(runner, signum, runner.iter + 1, _position(runner, batch_idx))

    def _stop(self, runner: Any, signum: int, done: int, where: str) -> None:
        """Save ``iter_<done>.pth``, requeue if asked, log where training stopped, and raise."""
        filename = f"iter_{done}.pth"
        name = signal.Signals(signum).name
        # meta "preempted": a checkpoint hook that keeps N files counts this one once resumed
        from ..checkpoint.save_options import checkpoint_save_options

        # as the hook saves: every rank stops here, so every rank's streams go in the file
        with checkpoint_save_options(update_pointer=True, every_rank=True) as given:
            saved = runner.save_checkpoint(runner.work_dir, filename, meta={"preempted": name})
        if not given.taken:
            runner.logger.warning(
                "%s.save_checkpoint saved without calling Runner.save_checkpoint (super()), so "
                "last_checkpoint was not pointed at %s: resume=True finds it only if the "
                "override wrote it into the work dir. Call super().save_checkpoint(...) in "
                "the override.",
                type(runner).__name__,
                filename,
            )
        if self.distributed:
            # Rank 0 writes the file; the others must not exit before it is on disk:
            # torchrun (and srun) answer the first rank's exit by SIGTERMing the others
            # and SIGKILLing them 30 s later, which would kill rank 0 mid-write and
            # lose the checkpoint this stop exists for.
            import torch.distributed as dist

            from ..distributed.utils import get_cpu_group

            dist.barrier(group=get_cpu_group())
        if self.slurm_requeue and runner.rank == 0:
            _requeue(runner)
        line = (
            f"{name} received: stopped after {where}; saved {filename} in {runner.work_dir}. "
            f"Resume with: {resume_hint}"
        )
        runner.logger.warning(line)
        raise TrainingPreempted(line, signum, str(saved) if saved is not None else None)

    def after_train(self, runner: Any) -> None:
        self._settle()

    def _agreed_signal(self, runner: Any) -> int | None:
        """This rank's signal; in a multi-process run, stop when any rank got one.

        The ranks agree without a collective on every step's critical path:
        at check iterations (about every ``check_period_s`` of training, the
        interval agreed by all ranks) each rank starts a non-blocking MAX of
        ``[its signal (0: none), minus its suggested interval]`` over the CPU
        (gloo) group and reads the one started at the previous check, long
        finished by then. Every rank reads the same results at the same
        iterations, so all stop together, with the same signal, at most about
        two periods after it (the last iteration always checks, waiting for
        its own reduction).
        """
        if not self.distributed:
            return self.received
        i = runner.iter
        max_iters = getattr(runner, "max_iters", None)
        last = max_iters is not None and i + 1 >= max_iters
        if i < self._next_check and not last:
            return None
        import time

        import torch
        import torch.distributed as dist

        from ..distributed.utils import get_cpu_group

        now = time.monotonic()
        suggest = 1
        if self._checked_at is not None and i > self._checked_at[0]:
            per_iter = (now - self._checked_at[1]) / (i - self._checked_at[0])
            suggest = int(min(max(self.check_period_s / max(per_iter, 1e-9), 1), 1000))
        self._checked_at = (i, now)
        # MAX of [signal, -interval]: every rank learns which signal came (not only that
        # one came) and the shortest interval any rank suggests
        sent = torch.tensor([self.received or 0, -suggest], dtype=torch.int64)
        work = dist.all_reduce(sent, op=dist.ReduceOp.MAX, group=get_cpu_group(), async_op=True)
        previous, self._in_flight = self._in_flight, (work, sent)
        agreed, interval = self._settled(previous)
        self._next_check = i + interval
        if not agreed and last:
            agreed = self._settle()[0]
        if not agreed:
            return None
        self._settle()  # stopping: leave no reduction in flight
        return self.received or agreed

    @staticmethod
    def _settled(sent: tuple[Any, Any] | None) -> tuple[int, int]:
        """``(the highest signal number any rank got (0: none), agreed check interval)``
        of a reduction started earlier."""
        if sent is None:
            return 0, 1
        work, values = sent
        work.wait()
        signum, neg_interval = (int(v) for v in values)
        return signum, max(1, -neg_interval)

    def _settle(self) -> tuple[int, int]:
        """Wait for the reduction still in flight (if any) and return its result."""
        sent, self._in_flight = self._in_flight, None
        return self._settled(sent)

    def _reset(self) -> None:
        """Forget the last run's agreement state (called when training starts)."""
        self.received = None
        self._in_flight = None
        self._next_check = 0
        self._checked_at = None


class PreemptionGate(Hook):
    """The stops between steps, at the *highest* priority, for :class:`PreemptionHook`.

    A signal that lands after the preemption hook's ``after_train_iter`` turn
    (while the iteration's last hooks run, the next batch loads, or a
    validation runs) stops the run before the next iteration, validation,
    validation batch or epoch. That stop must come before any other hook's
    ``before_*`` point: those belong to a step that is not run, and what they
    change (random draws, ``RuntimeInfoHook``'s ``train/lr`` history) would be
    saved in the checkpoint and done again by the resumed run, which then ends
    elsewhere.
    Idle (never called) until a signal wakes it.
    """

    priority = Priority.HIGHEST

    def __init__(self, main: PreemptionHook) -> None:
        self.main = main

    def idle_points(self, runner: Any) -> tuple[str, ...]:
        if self.main.stops_between_iterations:
            return ()
        return ("before_train_epoch", "before_train_iter", "before_val", "before_val_iter")

    def before_train_epoch(self, runner: Any) -> None:
        self._stop(runner, f"iteration {runner.iter}, before epoch {runner.epoch + 1}")

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        self._stop(runner, _position(runner, batch_idx - 1, runner.iter))

    def before_val(self, runner: Any) -> None:
        self._stop(runner, f"iteration {runner.iter}, before validating")

    def before_val_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        # a validation can outlast a scheduler's grace period (or never end): cut it here,
        # uncounted (its hooks' after_val never ran), so the resumed run validates again
        self._stop(
            runner,
            f"iteration {runner.iter}, during its validation (cut before val batch "
            f"{batch_idx + 1}; not counted as done)",
        )

    def _stop(self, runner: Any, where: str) -> None:
        main = self.main
        if main.stops_between_iterations and main.received is not None:
            main._stop(runner, main.received, runner.iter, where)


def _position(runner: Any, batch_idx: int, done: int | None = None) -> str:
    """Where training stopped, counted the way the log counts (1-based).

    ``batch_idx`` is the finished iteration's batch (0-based); ``done`` the
    iterations finished with it (default: the one whose hooks run now). A
    ``batch_idx`` of -1 is the previous epoch's last batch.
    """
    done = runner.iter + 1 if done is None else done
    loader = getattr(runner.train_loop, "dataloader", None)
    length = len(loader) if loader is not None and hasattr(loader, "__len__") else None
    if runner.max_epochs is not None and getattr(runner.train_loop, "by_epoch", True) is not False:
        epoch = runner.epoch + 1
        if batch_idx < 0 and length:
            epoch, batch_idx = runner.epoch, length - 1
        of = f"/{length}" if length else ""
        return f"iteration {done} (Epoch(train) [{epoch}][{batch_idx + 1}{of}])"
    return f"iteration {done} (Iter(train) [{done}/{runner.max_iters}])"


def _requeue(runner: Any) -> None:
    job = os.environ.get("SLURM_JOB_ID")
    if not job:
        runner.logger.warning(
            "env_cfg.preemption.slurm_requeue=True but SLURM_JOB_ID is not set: not requeued."
        )
        return
    import subprocess

    try:
        done = subprocess.run(
            ["scontrol", "requeue", job], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError) as exc:
        runner.logger.warning("Could not requeue SLURM job %s: %s", job, exc)
        return
    if done.returncode != 0:
        runner.logger.warning(
            "`scontrol requeue %s` failed (exit %d): %s",
            job,
            done.returncode,
            " ".join((done.stderr or done.stdout).split()),
        )
    else:
        runner.logger.info("Requeued SLURM job %s (scontrol requeue).", job)


#: A repeat of the stop's signal this many seconds or more after it ends the process at
#: once; one sooner is the same request delivered twice (a process group's and a
#: launcher's copy) and must not cost the checkpoint.
REPEAT_WINDOW_S = 1.0


def _leave_at_once(signum: int) -> None:
    """Asked again while stopping (an iteration or a validation batch that does not end, a
    slow save): exit now with ``128 + signum``. A save in progress is abandoned; its
    temporary file never replaces the previous checkpoint, which stays the newest."""
    name = signal.Signals(signum).name
    with contextlib.suppress(OSError):
        os.write(
            2,
            f"runner: {name} received again while stopping: exiting now, without the stop's "
            "checkpoint (the previous checkpoint is intact).\n".encode(),
        )
    signal_handlers.exit_as_signalled(signum, None)


def _listed(env_cfg: Mapping[str, Any]) -> bool:
    """Whether the user named the signals (``env_cfg.preemption.signals``)."""
    cfg = env_cfg.get("preemption")
    return isinstance(cfg, Mapping) and "signals" in cfg


def _left_alone(sig: signal.Signals, found: signal_handlers.Disposition, names: str) -> str:
    if found.kind == "python":
        owner = getattr(found.python, "__qualname__", None) or repr(found.python)
        whose = f"a handler of this process ({owner})"
        then = "then call your handler"
    else:
        whose = "a handler installed outside Python (faulthandler.register, a C extension)"
        then = "it replaces that handler during training"
    return (
        f"{sig.name} has {whose}: runner leaves {sig.name} alone, so during training it does "
        f"not save a checkpoint and stop the run. To have runner do that ({then}), list it: "
        f"env_cfg=dict(preemption=dict(signals={names}))."
    )


def _off_the_main_thread(signals: list[signal.Signals]) -> str:
    names = " and ".join(sig.name for sig in signals)
    return (
        f"train() runs in thread {threading.current_thread().name!r}, not the main thread, "
        f"and only the main thread can handle signals: {names} keep their usual effect "
        "during this run, without saving a checkpoint first. To stop on preemption with a "
        "resumable checkpoint, call train() from the main thread."
    )


@contextlib.contextmanager
def watch(runner: Any) -> Iterator[PreemptionHook | None]:
    """During training: the signals set a flag that :class:`PreemptionHook` acts on.

    A signal the user handles is left alone unless listed explicitly (see the
    module's docstring); a listed one's Python handler is called after the
    flag is set. What was there comes back when training ends, however it
    ends. Only the main thread can install handlers; elsewhere this logs
    one line saying so and does nothing else. Data workers started meanwhile ignore the signals taken over (a
    signal sent to the process group must not kill them before this process
    has saved).
    """
    env_cfg = getattr(runner, "env_cfg", {}) or {}
    signals, requeue = preemption_settings(env_cfg)
    if not signals:
        yield None
        return
    if threading.current_thread() is not threading.main_thread():
        runner.logger.info(_off_the_main_thread(signals))
        yield None
        return
    listed = _listed(env_cfg)
    found = {sig: signal_handlers.current(sig) for sig in signals}
    taken = [sig for sig in signals if listed or found[sig].kind in ("default", "ignored")]
    names = repr([sig.name for sig in signals])
    for sig in signals:
        if sig not in taken:
            runner.logger.info(_left_alone(sig, found[sig], names))
        elif found[sig].kind == "native" and found[sig].native is None:
            runner.logger.warning(
                "env_cfg.preemption.signals lists %s, which has a handler installed outside "
                "Python (faulthandler.register, a C extension): runner replaces it during "
                "training and cannot put it back here, so afterwards %s has its default "
                "effect. Install that handler again after train(), or leave %s out.",
                sig.name,
                sig.name,
                sig.name,
            )
    if not taken:
        yield None
        return
    hook = next((h for h in runner.hooks if isinstance(h, PreemptionHook)), None)
    if hook is None:
        hook = PreemptionHook(slurm_requeue=requeue)
        runner.hooks.register(hook, Priority.LOWEST, "preemption")
    gate = next((h for h in runner.hooks if isinstance(h, PreemptionGate) and h.main is hook), None)
    if gate is None:  # also for a PreemptionHook of the user's (custom_hooks)
        gate = PreemptionGate(hook)
        runner.hooks.register(gate, Priority.HIGHEST, "preemption_gate")
    hook.slurm_requeue = requeue
    hook._reset()
    hook.distributed = bool(getattr(runner, "distributed", False))
    # the user's Python handlers of listed signals, called after the stop is recorded
    chained = {int(sig): found[sig].python for sig in taken if found[sig].kind == "python"}

    first_at = 0.0  # when the signal that started the stop came

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal first_at
        if hook.received is None:
            hook.received = signum
            first_at = time.monotonic()
            runner.hooks.wake_soon(hook)  # both sat out the iterations until now
            runner.hooks.wake_soon(gate)
        elif (
            signum == hook.received
            and found[signal.Signals(signum)].kind == "default"
            and time.monotonic() - first_at >= REPEAT_WINDOW_S
        ):
            _leave_at_once(signum)
        user = chained.get(signum)
        if user is not None:
            user(signum, frame)

    installed = []
    hook.woken_by_signal = True
    stopped = False
    try:
        for sig in taken:
            signal.signal(sig, on_signal)
            installed.append(sig)
        with worker_signals.ignored_in_workers(taken):  # only this process reacts
            yield hook
    except TrainingPreempted:
        stopped = True
        raise
    finally:
        hook.woken_by_signal = False
        for sig in installed:
            if stopped and found[sig].kind == "default":
                # saved and on its way out with 128 + signal: a repeat of the signal
                # (a scheduler sending it twice, `kill` again) while the process winds
                # down (workers, process group) ends it with that status, not "killed"
                signal.signal(sig, signal_handlers.exit_as_signalled)
            else:
                signal_handlers.restore(sig, found[sig])
