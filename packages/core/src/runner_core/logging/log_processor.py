"""``LogProcessor``: how training scalars are smoothed and named in logs (MMEngine's options).

``log_processor=dict(window_size=10, by_epoch=True, custom_cfg=[...],
num_digits=4, log_with_hierarchy=False)`` in a config builds one from the
``LOG_PROCESSORS`` registry; the logger hook asks it for the custom values
on logging iterations only (so it costs nothing in between).

``custom_cfg`` entries: ``data_src`` (a scalar name without its ``train/``
prefix), ``method_name`` (``'mean'``, ``'min'``, ``'max'`` or
``'current'``), ``window_size`` (an int, ``'epoch'`` for the iterations of
the current epoch, or ``'global'`` for the whole kept history) and
``log_name`` (log the statistic under this name too; without it the
statistic replaces ``data_src``'s own value).

The log lines themselves are built here too, by the helpers below: the
standard ``LoggerHook`` calls them directly on its logging iterations, and
MMEngine's ``get_log_after_iter`` / ``get_log_after_epoch`` (which a custom
processor may override) return the same tag and line.
"""

from __future__ import annotations

import datetime
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import (
    ConfigAssertionError,
    ConfigError,
    ConfigKeyError,
    ConfigTypeError,
    RunnerError,
    did_you_mean,
)
from .metric_summary import summarise_groups

_METHODS = ("mean", "min", "max", "current")
_CFG_KEYS = ("data_src", "method_name", "window_size", "log_name")
_MODES = ("train", "val", "test")
#: values kept for ``custom_cfg``'s 'epoch' and 'global' windows (MMEngine's history length)
_LONG_HISTORY = 1_000_000

#: scalars shown before the loss terms, in this order
TIME_KEYS = ("time", "data_time")


class LogModeError(RunnerError, AssertionError, ValueError):
    """A log was asked for a mode other than train, val or test (MMEngine asserts the same)."""


class WindowSizeError(ConfigTypeError, AssertionError):
    """``window_size`` that is not a whole number >= 1 or ``'global'``: an AssertionError
    too, which MMEngine's check of its type raises."""


class MeanPatternError(ConfigError, re.error):
    """``mean_pattern`` that does not compile: a ``re.error`` too, as MMEngine's compile raises."""

    def __init__(self, message: str) -> None:
        ConfigError.__init__(self, message)
        self.msg, self.pattern, self.pos = message, None, None


def _compiled_mean_pattern(pattern: Any) -> re.Pattern[str] | None:
    """``mean_pattern`` compiled; a non-string or a broken regex names the key."""
    if pattern is None or isinstance(pattern, re.Pattern):
        return pattern
    if not isinstance(pattern, str):  # a TypeError, as re.compile raises
        raise ConfigTypeError(
            f"log_processor.mean_pattern must be a regular expression string (or None), got "
            f"{pattern!r}; e.g. mean_pattern=r'.*(loss|time|data_time|grad_norm).*'."
        )
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise MeanPatternError(
            f"log_processor.mean_pattern={pattern!r} is not a valid regular expression ({exc}); "
            f"e.g. mean_pattern=r'.*(loss|time|data_time|grad_norm).*'."
        ) from None


class LogProcessor:
    """Smoothing window, epoch/iteration display and custom statistics of logged scalars.

    Args:
        window_size: iterations losses and times are averaged over (``'global'``: all kept).
        by_epoch: lines say ``Epoch(train) [e][i/n]`` (True) or ``Iter(train) [i/n]``
            (False); None follows the train loop.
        custom_cfg: extra statistics (see the module docstring).
        num_digits: digits after the point in log lines.
        log_with_hierarchy: scalars go to the visualizer as ``train/loss`` and
            ``val/accuracy`` instead of ``loss`` and ``accuracy``.
        mean_pattern: a regex of scalar names that are averaged (others show
            their current value); None averages every scalar but lr and momentum.
    """

    # MMEngine's helpers that ported subclasses override; ours never calls them
    _MMENGINE_HELPERS = (
        "_collect_scalars",
        "_collect_non_scalars",
        "_get_max_memory",
        "_get_iter",
        "_get_epoch",
        "_parse_windows_size",
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found = [n for n in LogProcessor._MMENGINE_HELPERS if n in vars(cls)]
        if found:
            import warnings

            warnings.warn(
                f"{cls.__qualname__} overrides MMEngine's LogProcessor helper(s) "
                f"{', '.join(found)}, which this LogProcessor never calls; override "
                "get_log_after_iter / get_log_after_epoch instead.",
                UserWarning,
                stacklevel=2,
            )

    def __init__(
        self,
        window_size: int | str = 10,
        by_epoch: bool | None = None,
        custom_cfg: Sequence[Mapping[str, Any]] | None = None,
        num_digits: int = 4,
        log_with_hierarchy: bool = False,
        mean_pattern: str | None = None,
    ) -> None:
        if window_size != "global":
            from ..value_checks import check_number

            try:
                window_size = check_number(
                    window_size,
                    "log_processor.window_size",
                    minimum=1,
                    integer=True,
                    example="10 or 'global'",
                )
            except ConfigError as exc:
                raise WindowSizeError(str(exc)) from None
        if isinstance(custom_cfg, (str, Mapping)) or not isinstance(
            custom_cfg, (Sequence, type(None))
        ):  # MMEngine indexes into it: a TypeError there
            raise ConfigTypeError(
                f"log_processor.custom_cfg must be a list of dict(data_src=..., "
                f"method_name=...), got {'a dict' if isinstance(custom_cfg, Mapping) else repr(custom_cfg)}. Wrap a single entry in a list: "
                "custom_cfg=[dict(data_src='loss', method_name='max')]."
            )
        self.window_size = window_size
        self.by_epoch = by_epoch
        from ..value_checks import check_number

        # a bad one failed only at the first log line, deep in a format string
        self.num_digits = check_number(
            num_digits, "log_processor.num_digits", minimum=0, integer=True, example="4"
        )
        self.log_with_hierarchy = bool(log_with_hierarchy)
        self.mean_pattern = _compiled_mean_pattern(mean_pattern)
        self.custom_cfg = [self._check_entry(i, e) for i, e in enumerate(custom_cfg or [])]
        seen: dict[str, str] = {}
        for entry in self.custom_cfg:
            name = entry.get("log_name", entry["data_src"])
            if name in seen:  # an AssertionError too, as MMEngine's check
                raise ConfigAssertionError(
                    f"log_processor.custom_cfg logs {name!r} twice (for {seen[name]!r} and "
                    f"{entry['data_src']!r}); give each entry its own log_name."
                )
            seen[name] = entry["data_src"]

    def _check_entry(self, index: int, entry: Mapping[str, Any]) -> dict[str, Any]:
        where = f"log_processor.custom_cfg[{index}]"
        if not isinstance(entry, Mapping):  # MMEngine indexes into it: a TypeError
            raise ConfigTypeError(
                f"{where} must be a dict(data_src=..., method_name=...), got {entry!r}."
            )
        method = entry.get("method_name", "mean")
        registered = _registered_statistic(method)
        # MMEngine passes the entry's other keys to the statistic: a registered one may take them
        unknown = [] if registered else [k for k in entry if k not in _CFG_KEYS]
        if unknown:
            hints = "".join(did_you_mean(k, _CFG_KEYS) for k in unknown)
            raise ConfigError(
                f"{where} has unknown key(s) {unknown}; allowed: {list(_CFG_KEYS)}.{hints}"
            )
        if "data_src" not in entry:  # MMEngine asserts it: an AssertionError too
            raise ConfigAssertionError(
                f"{where} needs data_src, the scalar to summarize (e.g. 'loss')."
            )
        if method not in _METHODS and not registered:  # MMEngine: KeyError, from statistics
            raise ConfigKeyError(
                f"{where}.method_name must be one of {list(_METHODS)} or a statistic added "
                f"with @HistoryBuffer.register_statistics, got {method!r}."
                + did_you_mean(str(method), _METHODS)
            )
        window = entry.get("window_size")
        if window == "epoch" and self.by_epoch is False:  # MMEngine asserts it
            raise ConfigAssertionError(
                f"{where}: window_size='epoch' needs an epoch-based log (by_epoch)."
            )
        if (
            window is not None
            and window not in ("epoch", "global")
            and (isinstance(window, bool) or not isinstance(window, int) or window < 1)
        ):
            raise ConfigTypeError(  # MMEngine: a TypeError when it reads the window
                f"{where}.window_size must be a positive int, 'epoch' or 'global', got {window!r}."
            )
        return dict(entry, method_name=method)

    # -- used by the logger hook on logging iterations --------------------------------
    @property
    def window(self) -> int | None:
        """The averaging window for HistoryBuffer (None: everything kept)."""
        return None if self.window_size == "global" else int(self.window_size)

    def history_lengths(self) -> dict[str, int]:
        """``{data_src: values}`` that ``custom_cfg`` windows need kept beyond a history's
        default 1,000: ``'epoch'`` and ``'global'`` windows, and entries without a window
        (the whole history), reach back a million values (MMEngine's history length); an
        int window its size."""
        lengths: dict[str, int] = {}
        for entry in self.custom_cfg:
            window = entry.get("window_size")
            if entry["method_name"] == "current":
                continue
            need = _LONG_HISTORY if window in ("epoch", "global", None) else window
            if isinstance(need, int) and need > 1000:
                src = entry["data_src"]
                lengths[src] = max(lengths.get(src, 0), need)
        return lengths

    def reserve_histories(self, hub: Any) -> None:
        """Make ``hub`` keep what :meth:`history_lengths` asks, in every mode (the Runner
        calls it when built, before any hook binds a history)."""
        for src, length in self.history_lengths().items():
            for mode in _MODES:
                hub.reserve(f"{mode}/{src}", length)

    def averages(self, name: str) -> bool:
        """Whether scalar ``name`` is shown as a window mean (else its current value)."""
        if self.mean_pattern is None:
            return True
        return self.mean_pattern.search(name) is not None

    def custom_values(
        self, scalars: Mapping[str, Any], mode: str, epoch_iters: int | None
    ) -> dict[str, float]:
        """``{log_name: statistic}`` for the ``custom_cfg`` entries whose scalar exists.

        ``scalars`` is the message hub's ``log_scalars``; ``epoch_iters`` the
        iterations done in this epoch (for ``window_size='epoch'``).
        """
        values: dict[str, float] = {}
        for entry in self.custom_cfg:
            buf = scalars.get(f"{mode}/{entry['data_src']}")
            if buf is None or not len(buf):
                continue
            window = entry.get("window_size")
            if window == "epoch":
                window = epoch_iters
            elif window == "global":
                window = None
            method = entry["method_name"]
            if method not in _METHODS:  # registered: MMEngine's statistics(**entry) call
                extra = {k: v for k, v in entry.items() if k not in _CFG_KEYS}
                if "window_size" in entry:  # MMEngine turns 'global' into a count too
                    extra["window_size"] = len(buf) if window is None else window
                values[entry.get("log_name", entry["data_src"])] = buf.statistics(method, **extra)
                continue
            value = float(buf.current() if method == "current" else getattr(buf, method)(window))
            values[entry.get("log_name", entry["data_src"])] = value
        return values

    def scalar_record(self, tag: Mapping[str, Any], mode: str) -> dict[str, Any]:
        """The names a record is written under (``train/loss`` with ``log_with_hierarchy``)."""
        if not self.log_with_hierarchy:
            return dict(tag)
        return {f"{mode}/{k}" if k not in ("epoch", "iter") else k: v for k, v in tag.items()}

    # -- the log lines (shared by the logger hook and MMEngine's two methods below) -----------
    def train_scalars(
        self,
        scalars: Mapping[str, Any],
        window: int | None,
        on_error: Callable[[str, Exception], None] | None = None,
    ) -> dict[str, float]:
        """lr and momentum (current), times and every other train scalar (window mean).

        A scalar that cannot be read as a number is left out; ``on_error(key,
        exc)`` hears about it (the logger hook warns once per key).
        """
        rates: dict[str, float] = {}
        times: dict[str, float] = {}
        rest: dict[str, float] = {}
        for key, buf in scalars.items():
            if not key.startswith("train/"):
                continue
            name = key[6:]
            try:
                if is_rate(name):
                    rates[name] = float(buf.current())
                elif name in TIME_KEYS:
                    times[name] = float(buf.mean(window))
                elif self.averages(name):
                    rest[name] = float(buf.mean(window))
                else:
                    rest[name] = float(buf.current())
            except (ValueError, RuntimeError, TypeError) as exc:
                if on_error is not None:
                    on_error(key, exc)
        ordered = dict(rates)
        ordered.update((k, times[k]) for k in TIME_KEYS if k in times)
        ordered.update(rest)  # the hub's order, as MMEngine (a clipping norm before the losses)
        return ordered

    def train_log(
        self,
        runner: Any,
        n: int,
        *,
        by_epoch: bool,
        epoch_len: int | None,
        window: int | None,
        digits: int,
        on_error: Callable[[str, Exception], None] | None = None,
    ) -> tuple[dict[str, Any], str, dict[str, Any]]:
        """``(record, line, tag)`` of a training log after iteration ``n`` (of the epoch or run).

        ``record`` is what the visualizer gets (with ``epoch`` and ``iter``),
        ``tag`` the values shown on ``line``.
        """
        hub = runner.message_hub
        tag: dict[str, Any] = self.train_scalars(hub.log_scalars, window, on_error)
        tag.update(self.custom_values(hub.log_scalars, "train", n))
        memory = memory_mb(runner)
        if memory is not None:
            tag["memory"] = memory
        lead = train_position(
            by_epoch, runner.epoch, n, epoch_len, runner.max_iters, runner.max_epochs
        )
        line = lead + "  " + format_scalars(tag, digits, hub.get_info("eta"))
        record = self.scalar_record(tag, "train")
        if by_epoch:
            record["epoch"] = runner.epoch + 1
        record["iter"] = runner.iter + 1
        return record, line, tag

    def eval_iter_log(
        self,
        runner: Any,
        mode: str,
        n: int,
        total: int | None,
        *,
        window: int | None,
        digits: int,
        position: str,
    ) -> tuple[dict[str, Any], str]:
        """``(tag, line)`` of a validation/test progress log: eta, time, data_time, memory."""
        hub = runner.message_hub
        tag: dict[str, Any] = eval_times(hub.log_scalars, mode, window, TIME_KEYS)
        eta = None
        times = hub.log_scalars.get(f"{mode}/time")
        if total and times is not None and len(times):
            eta = float(times.mean(n)) * (total - n)
        memory = memory_mb(runner)
        if memory is not None:
            tag["memory"] = memory
        return tag, position + "  " + format_scalars(tag, digits, eta)

    def epoch_log(
        self,
        runner: Any,
        mode: str,
        metrics: Mapping[str, Any] | None,
        n: int,
        *,
        digits: int,
        position: str,
        recorded: Mapping[str, int] | None = None,
    ) -> tuple[dict[str, Any], str, bool]:
        """``(tag, line, has_metrics)`` at the end of validation/testing.

        ``tag`` holds the numeric metrics, other ``{mode}/`` scalars hooks put
        in the message hub (as MMEngine shows them), and the pass's mean
        data_time and time; other metric values (arrays, text) are shown on the
        line only. ``recorded``: how many values each hub scalar got during the
        pass; one recorded at every iteration (a validation loss) is shown as
        the pass's mean when it is averaged (``mean_pattern``), else its last.
        Large families of per-class metrics are folded on the line (``summarise_groups``).
        """
        tag: dict[str, Any] = {}
        texts = []
        for key, value in (metrics or {}).items():
            number = as_number(value)
            if number is None:
                texts.append(f"{key}: {value}")
            else:
                tag[key] = number
        # MMEngine's closing line: data_time, then time, each the whole pass's mean
        scalars = runner.message_hub.log_scalars
        # other scalars a hook put in the hub under this mode before this line (mmpretrain's
        # EMAHook: ``val/accuracy/top1_origin``), after the metrics, as MMEngine shows them
        prefix = f"{mode}/"
        for name, buf in scalars.items():
            key = name[len(prefix) :]
            if name.startswith(prefix) and key not in TIME_KEYS and key not in (metrics or {}):
                if len(buf):
                    count = (recorded or {}).get(name, 0)
                    many = count > 1 and self.averages(key)
                    tag[key] = float(buf.mean(count) if many else buf.current())
        times = eval_times(scalars, mode, max(n, 1), TIME_KEYS[::-1])
        # custom_cfg statistics of this mode's scalars (e.g. the best accuracy so far): a
        # log_name is shown after the metrics, an entry without one replaces its scalar
        for key, value in self.custom_values(scalars, mode, max(n, 1)).items():
            (times if key in times else tag)[key] = value
        metric_keys = list(tag)
        tag.update(times)
        shown: dict[str, Any] = summarise_groups({k: tag[k] for k in metric_keys})
        shown.update((k, v) for k, v in tag.items() if k not in metric_keys)
        if self.log_with_hierarchy:  # MMEngine names val/test lines' values so
            shown = self.scalar_record(shown, mode)
        body = "  ".join([f"{k}: {format_value(v, digits)}" for k, v in shown.items()] + texts)
        return tag, position + "  " + body, bool(metric_keys)

    # -- MMEngine's LogProcessor methods ------------------------------------------------------
    def get_log_after_iter(self, runner: Any, batch_idx: int, mode: str) -> tuple[dict, str]:
        """MMEngine's ``(tag, log string)`` after a train, val or test iteration.

        The standard ``LoggerHook`` builds the same line itself; when a
        processor overrides this method, the hook calls it and logs what it
        returns instead.
        """
        _check_mode(mode, _MODES)
        digits = self.num_digits
        if mode == "train":
            by_epoch = self._trains_by_epoch(runner)
            n = batch_idx + 1 if by_epoch else runner.iter + 1
            record, line, _ = self.train_log(
                runner,
                n,
                by_epoch=by_epoch,
                epoch_len=_length(runner.train_dataloader),
                window=self.window,
                digits=digits,
            )
            return record, line
        n = batch_idx + 1
        total = self.pass_length(runner, mode)
        position = self._eval_position(runner, mode, n, total, align=True)
        tag, line = self.eval_iter_log(
            runner, mode, n, total, window=self.window, digits=digits, position=position
        )
        # MMEngine's tag names where the run is: the epoch on epoch-counted validation
        # lines, the training iteration (0 before a train loop was built) on every line
        if mode == "val" and self.by_epoch is not False and self.eval_by_epoch(runner):
            tag["epoch"] = runner.epoch
        built = getattr(runner, "max_iters", None) is not None  # RunnerAPI: the loop's
        tag["iter"] = runner.iter + 1 if built else 0
        return tag, line

    def pass_length(self, runner: Any, mode: str) -> int | None:
        """The batches of a validation or test pass (the N of ``[i/N]``; None when
        endless): what MMEngine's ``_get_dataloader_size`` helper says, which
        subclasses written for it override."""
        return self._get_dataloader_size(runner, mode)

    def _get_cur_loop(self, runner: Any, mode: str) -> Any:
        """MMEngine's helper: the loop of ``mode`` (None before it is built)."""
        _check_mode(mode, _MODES)
        return getattr(runner, f"{mode}_loop", None)

    def _get_dataloader_size(self, runner: Any, mode: str) -> int | None:
        """The batches of a ``mode`` pass, the N of ``[i/N]`` (MMEngine's helper, which
        subclasses override): the loop's ``total_length`` where it has one (a loop over
        several datasets, MMagic's), else its loader's length; None for an endless one."""
        return loop_length(self._get_cur_loop(runner, mode))

    def get_log_after_epoch(
        self, runner: Any, batch_idx: int, mode: str, with_non_scalar: bool = False
    ) -> tuple[dict, str]:
        """MMEngine's ``(tag, log string)`` at the end of validation or testing.

        The metrics are read from the message hub (``val/<metric>`` scalars
        and, for other values, runtime info), where ``RuntimeInfoHook`` puts
        them before the logger hook runs. ``batch_idx`` is the number of
        batches of the pass; ``with_non_scalar`` adds the non-scalar metrics
        to the tag.
        """
        _check_mode(mode, _MODES[1:])
        hub = runner.message_hub
        prefix = f"{mode}/"
        metrics: dict[str, Any] = {}
        for key, buf in hub.log_scalars.items():
            name = key[len(prefix) :]
            if key.startswith(prefix) and name not in TIME_KEYS and len(buf):
                metrics[name] = float(buf.current())
        others = {
            key[len(prefix) :]: value
            for key, value in hub.runtime_info.items()
            if key.startswith(prefix)
        }
        metrics.update(others)
        position = self._eval_position(runner, mode, batch_idx, batch_idx)
        tag, line, _ = self.epoch_log(
            runner, mode, metrics, batch_idx, digits=self.num_digits, position=position
        )
        if with_non_scalar:  # MMEngine's order: numbers, the other values, then the times
            times = {k: tag.pop(k) for k in TIME_KEYS[::-1] if k in tag}
            tag.update(others)
            tag.update(times)
        return self.scalar_record(tag, mode), line

    def eval_by_epoch(self, runner: Any) -> bool:
        """Whether validation/test lines say ``Epoch(...)`` (else ``Iter(...)``).

        ``by_epoch`` when set; else the train loop's unit, and epochs when no
        train loop is built (a ``val()``/``test()``-only run), as MMEngine's
        default ``by_epoch=True`` gives there.
        """
        if getattr(runner, "max_iters", None) is None:  # RunnerAPI: None until the loop is built
            return True if self.by_epoch is None else bool(self.by_epoch)
        return self._trains_by_epoch(runner)

    def _trains_by_epoch(self, runner: Any) -> bool:
        loop_by_epoch = bool(getattr(runner.train_loop, "by_epoch", True))
        # by_epoch=True in an iteration-based run (one epoch): iterations, as the hook's lines
        return loop_by_epoch if self.by_epoch is None else bool(self.by_epoch) and loop_by_epoch

    def _eval_position(
        self, runner: Any, mode: str, n: int, total: int | None, align: bool = False
    ) -> str:
        # validation lines carry the runner's epoch, also outside training (0 before any);
        # MMEngine aligns the epoch on the per-iteration lines only (align)
        epoch = runner.epoch if mode == "val" else None
        max_epochs = getattr(runner, "max_epochs", None) if align else None
        return eval_position(mode, n, total, self.eval_by_epoch(runner), epoch, max_epochs)


def _registered_statistic(method: Any) -> bool:
    """Whether ``method`` names a statistic added with ``HistoryBuffer.register_statistics``."""
    from .message_hub import HistoryBuffer

    return isinstance(method, str) and method in HistoryBuffer._statistics_methods


def _check_mode(mode: str, allowed: Sequence[str]) -> None:
    if mode not in allowed:
        raise LogModeError(
            f"LogProcessor: mode must be one of {list(allowed)}, got {mode!r}."
            + did_you_mean(str(mode), allowed)
        )


def _length(loader: Any) -> int | None:
    try:
        return len(loader)
    except TypeError:  # an infinite loader
        return None


def loop_length(loop: Any) -> int | None:
    """The batches of one pass of an evaluation ``loop``: its ``total_length`` where it has
    one (a loop over several datasets, MMagic's), else its loader's length; None for no
    loop, a loop without a loader, or an endless one."""
    if loop is None:
        return None
    total = getattr(loop, "total_length", None)
    return total if isinstance(total, int) else _length(getattr(loop, "dataloader", None))


def is_rate(name: str) -> bool:
    """Whether a scalar is a learning rate or momentum (shown current, in ``e`` notation)."""
    return name.endswith("lr") or name.endswith("momentum")


def format_value(value: Any, digits: int) -> str:
    """A value as log lines show it: floats with ``digits`` decimals, ints and text as they are."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_eta(seconds: float | None) -> str:
    """``H:MM:SS`` (``-`` when unknown)."""
    if seconds is None:
        return "-"
    return str(datetime.timedelta(seconds=int(seconds)))


def format_scalars(tag: Mapping[str, Any], digits: int, eta: float | None = None) -> str:
    """``lr: ..  eta: ..  time: ..  data_time: ..  memory: ..  loss: ..`` (MMEngine's order)."""
    rates, times, rest = [], [], []
    for key, value in tag.items():
        if key == "memory" or key.endswith("momentum"):  # momentum: in the records only
            continue
        if is_rate(key):
            rates.append(f"{key}: {value:.{digits}e}")
        elif key in TIME_KEYS:
            times.append(f"{key}: {format_value(value, digits)}")
        else:
            rest.append(f"{key}: {format_value(value, digits)}")
    parts = rates
    if eta is not None:
        parts.append(f"eta: {format_eta(eta)}")
    parts += times
    if "memory" in tag:
        parts.append(f"memory: {tag['memory']}")
    return "  ".join(parts + rest)


def train_position(
    by_epoch: bool,
    epoch: int,
    n: int,
    epoch_len: int | None,
    max_iters: int | None,
    max_epochs: int | None = None,
) -> str:
    """``Epoch(train) [e][ n/len]`` or ``Iter(train) [ n/max_iters]``.

    The epoch is right-aligned to ``max_epochs``' width, as MMEngine aligns it
    (``Epoch(train)  [1][10/10]`` above ``Epoch(train) [10][10/10]``).
    """
    if by_epoch:
        width = len(str(epoch_len)) if epoch_len else len(str(n))
        of = f"/{epoch_len}" if epoch_len else ""
        return f"Epoch(train){epoch_field(epoch + 1, max_epochs)}[{n:>{width}}{of}]"
    width = len(str(max_iters)) if max_iters else len(str(n))
    return f"Iter(train) [{n:>{width}}/{max_iters}]"


def epoch_field(epoch: int, max_epochs: int | None) -> str:
    """`` [e]``, padded on the left to the width of ``max_epochs`` (MMEngine's alignment)."""
    text = f"[{epoch}]"
    pad = 1 + (len(str(max_epochs)) - len(str(epoch)) if max_epochs else 0)
    return " " * max(pad, 1) + text


def eval_position(
    mode: str,
    n: int,
    total: int | None,
    by_epoch: bool,
    epoch: int | None,
    max_epochs: int | None = None,
) -> str:
    """``Epoch(val) [e][n/total]`` (``epoch`` given: validation), else ``Epoch(test) [n/total]``;
    ``Iter(...)`` instead when the log is not by epoch. ``max_epochs`` (given for the
    per-iteration lines of a validation inside training) right-aligns the epoch."""
    width = len(str(total)) if total else len(str(n))
    of = f"{n:>{width}}/{total}" if total else f"{n}"
    if not by_epoch:
        return f"Iter({mode}) [{of}]"
    if epoch is not None:
        return f"Epoch({mode}){epoch_field(epoch, max_epochs)}[{of}]"
    return f"Epoch({mode}) [{of}]"


def eval_times(
    scalars: Mapping[str, Any], mode: str, window: int | None, keys: Sequence[str]
) -> dict[str, float]:
    """The ``<mode>/<key>`` means over the last ``window`` iterations, in ``keys``' order."""
    tag = {}
    for name in keys:
        buf = scalars.get(f"{mode}/{name}")
        if buf is not None and len(buf):
            tag[name] = float(buf.mean(window))
    return tag


def as_number(value: Any) -> Any:
    """A metric as a number (one-element tensors and arrays read); None for anything else.

    Bools are numbers, as to MMEngine's ``_is_scalar``: ``passed=True`` goes to
    the scalar records (``true`` in ``scalars.json``) and shows as ``True``.
    """
    if isinstance(value, (int, float)):
        return value
    numel = getattr(value, "numel", None)
    size = numel() if callable(numel) else getattr(value, "size", None)
    if size == 1 and hasattr(value, "item"):
        return value.item()
    return None


#: non-empty once ``import resource`` failed (Windows)
_NO_RESOURCE: list[bool] = []


def memory_mb(runner: Any) -> int | None:
    """Peak memory in MB: CUDA memory allocated on a GPU run, else the process's max RSS;
    None where the system does not say (Windows without CUDA: lines leave it out, as
    MMEngine's CPU lines do)."""
    device = getattr(runner, "device", None)
    if device is not None and getattr(device, "type", None) == "cuda":
        import torch

        peak = torch.cuda.max_memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        return int(peak // (1024 * 1024))
    if _NO_RESOURCE:
        return None
    try:
        import resource  # POSIX only: imported when a line is logged, not with this module
    except ImportError:  # Windows: not asked again at every line
        _NO_RESOURCE.append(True)
        return None

    # Linux reports the whole process's peak RSS for RUSAGE_THREAD too (``ru_maxrss`` belongs to
    # the address space, which the threads share), without RUSAGE_SELF's walk over every
    # thread's CPU time: in W1, on cloud VMs, that walk took 0.6-1.1 ms per log line on average
    # (spikes of 5 ms), RUSAGE_THREAD 20 us.
    who = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)
    rss = resource.getrusage(who).ru_maxrss
    return int(rss // (1024 * 1024) if sys.platform == "darwin" else rss // 1024)


def log_processor_of(runner: Any) -> LogProcessor:
    """The runner's LogProcessor: ``runner.log_processor``, or one built from its config."""
    processor = getattr(runner, "log_processor", None)
    if isinstance(processor, LogProcessor):
        return processor
    return build_log_processor(getattr(runner, "log_processor_cfg", None))


def build_log_processor(cfg: Any) -> LogProcessor:
    """Build from ``log_processor=dict(...)`` (``type`` defaults to ``'LogProcessor'``)."""
    if isinstance(cfg, LogProcessor):
        return cfg
    from ..registry import LOG_PROCESSORS

    spec = dict(cfg or {})
    spec.setdefault("type", "LogProcessor")
    return LOG_PROCESSORS.build(spec, _key_path="log_processor")
