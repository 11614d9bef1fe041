"""``LoggerHook``: progress lines people can read, and the same numbers as JSON records.

Every ``interval`` iterations it writes one line::

    Epoch(train) [1][ 50/500]  lr: 1.0000e-02  eta: 0:01:23  time: 0.0123  data_time: 0.0012  memory: 312  loss: 0.4321

and, through the runner's visualizer, one record in ``vis_data/scalars.json``
and ``vis_data/<timestamp>.json`` (``LocalVisBackend``, MMEngine's two files)
and any other backend (TensorBoard, ...). At the end of validation/testing
it writes the metrics the same way (``{metrics, data_time, time, step}``, as
MMEngine's validation records); the test metrics, non-numeric ones (per-class
lists, tensors) included, also go to ``<run folder>/<timestamp>.json``, as
MMEngine writes them. In an interactive terminal a live progress bar stands
in for the scrolling training lines; the text log file always gets the plain
lines.

Between logging iterations the hook only compares two integers: the loss
values are averaged (and moved off the device) on logging iterations only.
The lines are built by the run's ``LogProcessor`` helpers; a processor that
overrides MMEngine's ``get_log_after_iter`` or ``get_log_after_epoch`` is
called instead, and the hook logs the line it returns.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.errors import ConfigError, ConfigTypeError, HookError, HookTypeError
from runner_core.hooks import Hook, Priority
from runner_core.hooks.hook import DATA_BATCH  # noqa: F401  (MMEngine's logger_hook has it)
from runner_core.logging.log_processor import (
    TIME_KEYS,
    LogProcessor,
    as_number,
    eval_position,
    format_eta,
    format_value,
    log_processor_of,
    train_position,
)
from runner_core.logging.logger import log_to_files

from .progress import ProgressDisplay, wants_progress


def _check_positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        # not an int at all: a TypeError too, as MMEngine raises there (a ValueError below 1)
        error = (
            ConfigError
            if isinstance(value, int) and not isinstance(value, bool)
            else ConfigTypeError
        )
        raise error(
            f"LoggerHook {name} must be a positive integer (iterations), got {value!r}; "
            f"e.g. default_hooks=dict(logger=dict({name}=10))."
        )
    return value


def loop_is_epoch_based(loop: Any) -> bool:
    """Whether a train loop counts epochs (lines say ``Epoch(train)``) or iterations."""
    return bool(getattr(loop, "by_epoch", True))  # TrainLoopAPI.by_epoch; custom loops: epochs


class LoggerHook(Hook):
    """Log training progress, validation/test metrics, and their JSON records.

    The positional parameters are MMEngine's, in its order (``interval`` ...
    ``backend_args``); ``num_digits``, ``window_size`` and ``progress_bar`` are
    keyword-only.

    Args:
        interval: log every this many training iterations (of the epoch, for
            epoch-based runs).
        ignore_last: skip the last, shorter window of an epoch (an epoch with
            no logged line yet is logged anyway, so short runs are never silent).
        interval_exp_name: every this many iterations, log the experiment name.
        out_dir: also copy the run folder's log files (``out_suffix``) to
            ``<out_dir>/<work_dir name>/<run folder name>/`` when the run ends.
        out_suffix: which files ``out_dir`` receives.
        keep_local: with ``out_dir``, keep the local copies (False deletes them
            after copying).
        log_metric_by_epoch: validation records use the epoch as their
            ``step`` (epoch-based runs, and ``val()`` outside training); False
            uses the iteration. An iteration-based run logs by iteration
            whatever ``log_processor.by_epoch`` says (it is one epoch; with
            ``by_epoch=True`` a warning says so).
        num_digits: digits after the point; None reads
            ``log_processor=dict(num_digits=...)`` (default 4).
        window_size: iterations the losses and times are averaged over;
            None reads ``log_processor=dict(window_size=...)`` (default 10);
            ``'global'`` averages everything kept. The rest of ``log_processor``
            (``custom_cfg``, ``log_with_hierarchy``, ``by_epoch``) applies too.
        progress_bar: None shows a live progress bar only in an interactive
            terminal (not in pipes, CI, ``NO_COLOR`` or ``TERM=dumb``); True or
            False forces it on or off.
        backend_args: accepted for MMEngine configs; only local ``out_dir``
            paths are supported.
        file_client_args: MMEngine's older storage option; any value but None
            raises ``HookError``: log files are copied to a local ``out_dir`` only.
    """

    priority: int | str = Priority.BELOW_NORMAL

    def __init__(
        self,
        interval: int = 10,
        ignore_last: bool = True,
        interval_exp_name: int = 1000,
        out_dir: str | Path | None = None,
        out_suffix: str | Sequence[str] = (".json", ".log", ".py", "yaml"),
        keep_local: bool = True,
        file_client_args: Mapping[str, Any] | None = None,
        log_metric_by_epoch: bool = True,
        backend_args: Mapping[str, Any] | None = None,
        *,  # ours, after MMEngine's positional order (interval ... backend_args)
        num_digits: int | None = None,
        window_size: int | str | None = None,
        progress_bar: bool | None = None,
    ) -> None:
        if file_client_args is not None:
            raise HookError(
                "LoggerHook(file_client_args=...) is not supported: logs are copied to local "
                "paths only. Remove it, or mount the storage and point out_dir at it."
            )
        self.interval = _check_positive("interval", interval)
        if not isinstance(ignore_last, bool):  # 'False' would read as True
            raise ConfigTypeError(
                f"LoggerHook ignore_last must be True or False, got {ignore_last!r}."
            )
        self.ignore_last = ignore_last
        self.interval_exp_name = _check_positive("interval_exp_name", interval_exp_name)
        if isinstance(out_suffix, str):
            out_suffix = (out_suffix,)
        if not isinstance(out_suffix, Sequence) or not all(
            isinstance(suffix, str) for suffix in out_suffix
        ):  # a TypeError, as MMEngine's check of it
            raise HookTypeError(
                f"LoggerHook out_suffix must be a file ending or a list of them, got "
                f"{out_suffix!r}; e.g. default_hooks=dict(logger=dict(out_suffix=['.json', '.log']))."
            )
        self.out_suffix = tuple(out_suffix)
        if out_dir is not None and not isinstance(out_dir, (str, os.PathLike)):
            raise HookTypeError(  # MMEngine: TypeError('out_dir should be None or string')
                f"LoggerHook out_dir must be a folder path (a string) or None, got {out_dir!r}; "
                "e.g. default_hooks=dict(logger=dict(out_dir='/shared/logs'))."
            )
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.keep_local = keep_local
        if not keep_local and out_dir is None:  # accepted, as MMEngine does: nothing to do
            warnings.warn(
                "LoggerHook keep_local=False has no effect without out_dir: the log files "
                "stay in the work dir (it deletes local copies only once they are copied to "
                "out_dir). Set out_dir='...' or leave keep_local out.",
                UserWarning,
                stacklevel=2,
            )
        self.log_metric_by_epoch = log_metric_by_epoch
        self.num_digits = num_digits
        if window_size is not None and window_size != "global":
            _check_positive("window_size", window_size)
        self.window_size = window_size
        self.progress_bar = progress_bar
        if backend_args:
            warnings.warn(
                "LoggerHook backend_args is ignored: out_dir must be a local path.", stacklevel=2
            )
        # MMEngine's attributes, for subclasses that read them (always None / as given here)
        self.file_client_args = file_client_args
        self.backend_args = backend_args
        # run state
        self._processor = LogProcessor()
        # whether the processor overrides MMEngine's methods (then they make the lines)
        self._custom_iter = False
        self._custom_epoch = False
        self._by_epoch = True
        self._epoch_loop = True  # the train loop runs epochs (intervals count batches of the epoch)
        self._window: int | None = 10
        self._epoch_len: int | None = None
        self._last_n: int | None = None  # the n (batch or iteration) that ends an epoch
        self._logged_in_epoch = False
        self._next_exp_name = 0
        self._training = False
        self._eval_done = 0
        self._marks: dict[str, tuple[int, Any]] = {}  # this pass's start in each hub scalar
        self._display: ProgressDisplay | None = None
        self._warned_keys: set[str] = set()
        #: MMEngine's: the ``<timestamp>.json`` file name (set in ``before_run``) that
        #: ``visualizer.add_scalars(..., file_path=...)`` writes beside ``scalars.json``
        self.json_log_path: str | None = None

    # -- set-up ---------------------------------------------------------------------------
    def before_run(self, runner: RunnerAPI) -> None:
        self.json_log_path = f"{runner.timestamp}.json"
        self._processor = log_processor_of(runner)
        kind = type(self._processor)  # decided once per run: the usual path stays as fast
        own = vars(self._processor)  # a method replaced on the instance (a test's patch) counts
        self._custom_iter = (
            "get_log_after_iter" in own
            or kind.get_log_after_iter is not LogProcessor.get_log_after_iter
        )
        self._custom_epoch = (
            "get_log_after_epoch" in own
            or kind.get_log_after_epoch is not LogProcessor.get_log_after_epoch
        )
        window = self.window_size if self.window_size is not None else self._processor.window_size
        self._window = None if window == "global" else int(window)
        if self.num_digits is None:
            self.num_digits = self._processor.num_digits
        # the Runner reserved its log processor's long windows when it was built; a processor
        # or hub set since gets them now (an existing history is lengthened, none is made)
        reserve = getattr(self._processor, "reserve_histories", None)
        if reserve is not None:
            reserve(runner.message_hub)
        show = wants_progress() if self.progress_bar is None else bool(self.progress_bar)
        if show and getattr(runner, "rank", 0) == 0 and self._display is None:
            self._display = ProgressDisplay(runner.logger)

    def _digits(self) -> int:
        """The digits after the point: the hook's own, else its log processor's (before_run
        settles it; a point called on a fresh hook, as hook tests do, reads the default)."""
        digits = self.num_digits
        return digits if digits is not None else self._processor.num_digits

    def before_train(self, runner: RunnerAPI) -> None:
        self._training = True
        by_epoch = self._processor.by_epoch
        self._epoch_loop = loop_is_epoch_based(runner.train_loop)
        self._by_epoch = self._epoch_loop if by_epoch is None else bool(by_epoch)
        if self._by_epoch and not self._epoch_loop:
            # the run is one epoch: MMEngine counts past its length ("[1][10/8]") and puts
            # every validation at step 0 (its issues #683, #935)
            runner.logger.warning(
                "log_processor.by_epoch=True with an iteration-based train loop (%s): the run "
                "is one epoch, so the log counts iterations instead (Iter(train) [n/%d]) and "
                "validation records sit at their iteration. Set log_processor=dict("
                "by_epoch=False) to say so.",
                type(runner.train_loop).__name__,
                runner.max_iters,
            )
            self._by_epoch = False
        self._next_exp_name = runner.iter + self.interval_exp_name
        self._info(runner, f"Exp name: {runner.experiment_name}")
        if self._display is not None:
            self._display.start()

    def before_train_epoch(self, runner: RunnerAPI) -> None:
        try:
            self._epoch_len = len(runner.train_dataloader)
        except TypeError:  # an infinite loader
            self._epoch_len = None
        # when to log follows the loop (MMEngine counts an epoch-based run's batches), whatever
        # log_processor.by_epoch says about how the position is shown
        self._last_n = self._epoch_len if self._epoch_loop else runner.max_iters
        self._logged_in_epoch = False
        if self._display is not None:
            if self._by_epoch:
                desc = f"Epoch {runner.epoch + 1}/{runner.max_epochs}"
                self._display.start_train(desc, self._epoch_len)
            else:
                self._display.start_train("Train", runner.max_iters, completed=runner.iter)

    # -- training iterations ------------------------------------------------------------------
    def after_train_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        k = batch_idx + 1 if self._epoch_loop else runner.iter + 1
        n = batch_idx + 1 if self._by_epoch else runner.iter + 1
        if k % self.interval and k != self._last_n:
            if self._display is not None:
                self._display.tick_train(n, runner.message_hub)
            return
        if k % self.interval and self.ignore_last and self._logged_in_epoch:
            if self._display is not None:  # the last, shorter window of an epoch
                self._display.tick_train(n, runner.message_hub, force=True)
            return
        self._log_train(runner, n, batch_idx)

    def _log_train(self, runner: RunnerAPI, n: int, batch_idx: int) -> None:
        if self._custom_iter:
            tag, line = self._processor.get_log_after_iter(runner, batch_idx, "train")
            record = dict(tag)
        else:
            record, line, tag = self._processor.train_log(
                runner,
                n,
                by_epoch=self._by_epoch,
                epoch_len=self._epoch_len,
                window=self._window,
                digits=self._digits(),
                on_error=self._warn_once,
            )
        if self._display is not None and self._display.live:
            log_to_files(runner.logger, logging.INFO, line)
            eta = runner.message_hub.get_info("eta")
            self._display.update_train(n, format_eta(eta), self._status(tag))
        else:
            runner.logger.info(line)
        visualizer = getattr(runner, "visualizer", None)
        if visualizer is not None and getattr(runner, "rank", 0) == 0:
            visualizer.add_scalars(record, step=runner.iter + 1, file_path=self.json_log_path)
        self._logged_in_epoch = True
        if runner.iter + 1 >= self._next_exp_name:
            self._next_exp_name += self.interval_exp_name * (
                1 + (runner.iter + 1 - self._next_exp_name) // self.interval_exp_name
            )
            self._info(runner, f"Exp name: {runner.experiment_name}")

    def _train_position(self, runner: RunnerAPI, n: int) -> str:
        return train_position(
            self._by_epoch, runner.epoch, n, self._epoch_len, runner.max_iters, runner.max_epochs
        )

    def _warn_once(self, key: str, exc: Exception) -> None:
        if key not in self._warned_keys:
            self._warned_keys.add(key)
            warnings.warn(
                f"LoggerHook cannot log {key!r} as a number ({exc}); only single numbers are "
                "logged. Return scalars (e.g. loss.mean()) from train_step.",
                stacklevel=2,
            )

    def _status(self, tag: Mapping[str, Any]) -> str:
        shown = [
            f"{k}: {format_value(v, self._digits())}"
            for k, v in tag.items()
            if "loss" in k and not isinstance(v, str)
        ][:3]
        lr = next((v for k, v in tag.items() if k.endswith("lr")), None)
        if isinstance(lr, (int, float)):
            shown.append(f"lr: {lr:.2e}")
        return "  ".join(shown)

    def after_train(self, runner: RunnerAPI) -> None:
        self._training = False
        if self._display is not None:
            self._display.stop()

    # -- validation and test ----------------------------------------------------------------------
    def before_val_epoch(self, runner: RunnerAPI) -> None:
        self._begin_eval(runner, "val")

    def before_test_epoch(self, runner: RunnerAPI) -> None:
        self._begin_eval(runner, "test")

    def _begin_eval(self, runner: RunnerAPI, mode: str) -> None:
        self._eval_done = 0
        # where each of this mode's hub scalars ends: what hooks record during the pass is
        # shown as the pass's mean (a validation loss recorded per batch)
        prefix = f"{mode}/"
        self._marks = {
            name: buf.mark()
            for name, buf in runner.message_hub.log_scalars.items()
            if name.startswith(prefix) and name[len(prefix) :] not in TIME_KEYS
        }
        if self._display is not None:
            self._display.start()
            self._display.start_eval(mode.capitalize(), self._processor.pass_length(runner, mode))

    def after_val_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        self._eval_iter(runner, batch_idx, "val")

    def after_test_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        self._eval_iter(runner, batch_idx, "test")

    def _eval_iter(self, runner: RunnerAPI, batch_idx: int, mode: str) -> None:
        n = self._eval_done = batch_idx + 1
        if self._display is not None:
            self._display.tick_eval(n)
            return
        if n % self.interval:
            return
        logger = runner.logger
        if not logger.isEnabledFor(logging.INFO):  # e.g. log_level='WARNING': no line to build
            return
        if self._custom_iter:
            logger.info(self._processor.get_log_after_iter(runner, batch_idx, mode)[1])
            return
        total = self._processor.pass_length(runner, mode)
        # MMEngine's progress line: eta (of this pass), time, data_time
        _, line = self._processor.eval_iter_log(
            runner,
            mode,
            n,
            total,
            window=self._window,
            digits=self._digits(),
            position=self._eval_position(runner, mode, n, total, align=True),
        )
        logger.info(line)

    def _eval_by_epoch(self, runner: RunnerAPI) -> bool:
        # outside training: MMEngine's Epoch(val) [0][n/n] too, unless by_epoch=False or the
        # train loop (built by an earlier train()) counts iterations
        return self._by_epoch if self._training else self._processor.eval_by_epoch(runner)

    def _eval_position(
        self, runner: RunnerAPI, mode: str, n: int, total: int | None, align: bool = False
    ) -> str:
        epoch = runner.epoch if mode == "val" else None  # validation lines carry the epoch
        # MMEngine right-aligns the epoch of the per-iteration lines to max_epochs (align)
        max_epochs = getattr(runner, "max_epochs", None) if align else None
        return eval_position(mode, n, total, self._eval_by_epoch(runner), epoch, max_epochs)

    def after_val_epoch(self, runner: RunnerAPI, metrics: dict[str, Any] | None = None) -> None:
        self._log_metrics(runner, "val", metrics)

    def after_test_epoch(self, runner: RunnerAPI, metrics: dict[str, Any] | None = None) -> None:
        self._log_metrics(runner, "test", metrics)

    def _log_metrics(self, runner: RunnerAPI, mode: str, metrics: Any) -> None:
        if self._display is not None:
            self._display.finish_eval()
        n = self._eval_done
        if self._custom_epoch:
            if mode == "test":  # as MMEngine calls it: the test file keeps non-scalar values
                tag_, line = self._processor.get_log_after_epoch(runner, n, mode, True)
            else:
                tag_, line = self._processor.get_log_after_epoch(runner, n, mode)
            record = full = dict(tag_)
            if mode == "test":  # the visualizer gets the numbers
                record = {k: v for k, v in full.items() if as_number(v) is not None}
        else:
            # large groups (one value per class) are summarised on the line; the record keeps all
            tag, line, _ = self._processor.epoch_log(
                runner,
                mode,
                metrics,
                n,
                digits=self._digits(),
                position=self._eval_position(runner, mode, n, n),
                recorded=self._recorded(runner, mode),
            )
            record = full = self._processor.scalar_record(tag, mode)
            if mode == "test":  # MMEngine's order: numbers, the other values, then the times
                numbers = {k: v for k, v in tag.items() if k not in TIME_KEYS}
                others = {k: v for k, v in (metrics or {}).items() if k not in tag}
                times = {k: v for k, v in tag.items() if k in TIME_KEYS}
                full = self._processor.scalar_record({**numbers, **others, **times}, mode)
        runner.logger.info(line)
        # MMEngine's val records: {metrics, data_time, time} at the epoch (outside training
        # too: 0 before any), or at the iteration in iteration-based runs (see the docs)
        if mode == "val" and self.log_metric_by_epoch and self._eval_by_epoch(runner):
            step = runner.epoch
        else:
            step = runner.iter
        if getattr(runner, "rank", 0) != 0:
            return
        visualizer = getattr(runner, "visualizer", None)
        if mode == "test":  # kept apart from validation's curves: test() after train()
            record = {
                k if k.startswith("test/") or k in ("epoch", "iter") else f"test/{k}": v
                for k, v in record.items()
            }
        # written with the times alone too (a format-only metric returns {}), as MMEngine's
        if visualizer is not None and record:  # MMEngine's <timestamp>.json: train, val
            from .vis_backends.eval_records import writing_eval_record

            file_path = self.json_log_path if mode == "val" else None
            with writing_eval_record():
                visualizer.add_scalars(record, step=step, file_path=file_path)
        if mode == "test" and full:  # MMEngine's <run folder>/<timestamp>.json: test metrics
            from runner_core.checkpoint import write_bytes_atomic

            data = json.dumps(self._process_tags(full)).encode("utf-8")
            name = self.json_log_path or f"{runner.timestamp}.json"
            write_bytes_atomic(data, Path(runner.log_dir) / name, fsync=False)

    def _recorded(self, runner: RunnerAPI, mode: str) -> dict[str, int]:
        """How many values each of this mode's hub scalars got since the pass began."""
        marks = self._marks
        prefix = f"{mode}/"
        return {
            name: buf.count_since(marks[name]) if name in marks else len(buf)
            for name, buf in runner.message_hub.log_scalars.items()
            if name.startswith(prefix)
        }

    @staticmethod
    def _process_tags(tags: Mapping[str, Any]) -> OrderedDict[str, Any]:
        """MMEngine's: the tags as JSON values; tensors and arrays become lists, values JSON
        has no form for become null."""
        return OrderedDict((str(k), _json_value(v)) for k, v in tags.items())

    def after_val(self, runner: RunnerAPI) -> None:
        if self._display is not None:
            self._display.finish_eval()
            if not self._training:
                self._display.stop()

    def after_test(self, runner: RunnerAPI) -> None:
        self.after_val(runner)

    # -- the end ------------------------------------------------------------------------------------
    def after_run(self, runner: RunnerAPI) -> None:
        if self._display is not None:
            self._display.stop()
        visualizer = getattr(runner, "visualizer", None)
        if visualizer is not None and hasattr(visualizer, "close"):
            visualizer.close()
        if self.out_dir is not None and getattr(runner, "rank", 0) == 0:
            self._copy_out(runner)

    def on_exception(self, runner: RunnerAPI, exception: BaseException) -> None:
        """A failed or interrupted run: give the terminal back (the live display's
        ``sys.stdout`` proxy, refresh thread and the logger's console handlers), so a
        notebook or an IPython session prints as before; the next run starts afresh.
        The visualizer is flushed, then closed as after a run that ended: its scalar
        files and TensorBoard's writer thread would otherwise outlive the run (one
        more per failed trial of a sweep); a backend written to again reopens. The
        flush comes first: a tracker backend ends its run FAILED or KILLED there
        (from the exception being handled), before ``close`` would say FINISHED."""
        self._training = False
        self._eval_done = 0
        if self._display is not None:
            self._display.stop()
        visualizer = getattr(runner, "visualizer", None)
        if visualizer is not None and hasattr(visualizer, "close"):
            flush = getattr(visualizer, "flush", None)
            try:
                if flush is not None:
                    flush()
            except OSError as exc:  # a full disk, which the run's own error may be about
                runner.logger.warning(f"The last scalar records were not written: {exc}")
            try:
                visualizer.close()
            except OSError as exc:
                runner.logger.warning(f"A visualizer file was not closed cleanly: {exc}")

    def _copy_out(self, runner: RunnerAPI) -> None:
        local = Path(runner.log_dir)
        target = self.out_dir / Path(runner.work_dir).name / local.name  # type: ignore[operator]
        copied = []
        for path in sorted(local.rglob("*")):
            if path.is_file() and path.name.endswith(self.out_suffix):
                dest = target / path.relative_to(local)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
                copied.append(path)
        runner.logger.info("Copied %d log file(s) to %s", len(copied), target)
        if not self.keep_local:
            for path in copied:
                if path.suffix != ".log":  # the open log file stays until the logger closes
                    path.unlink(missing_ok=True)

    def _info(self, runner: RunnerAPI, message: str) -> None:
        runner.logger.info(message)

    def __repr__(self) -> str:
        return f"LoggerHook(interval={self.interval}, ignore_last={self.ignore_last})"


def _json_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    tolist = getattr(value, "tolist", None)  # tensors, numpy arrays and numbers
    return tolist() if callable(tolist) else None
