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
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ConfigError, did_you_mean

_METHODS = ("mean", "min", "max", "current")
_CFG_KEYS = ("data_src", "method_name", "window_size", "log_name")


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

            window_size = check_number(
                window_size,
                "log_processor.window_size",
                minimum=1,
                integer=True,
                example="10 or 'global'",
            )
        self.window_size = window_size
        self.by_epoch = by_epoch
        self.num_digits = num_digits
        self.log_with_hierarchy = bool(log_with_hierarchy)
        self.mean_pattern = None if mean_pattern is None else re.compile(mean_pattern)
        self.custom_cfg = [self._check_entry(i, e) for i, e in enumerate(custom_cfg or [])]
        seen: dict[str, str] = {}
        for entry in self.custom_cfg:
            name = entry.get("log_name", entry["data_src"])
            if name in seen:
                raise ConfigError(
                    f"log_processor.custom_cfg logs {name!r} twice (for {seen[name]!r} and "
                    f"{entry['data_src']!r}); give each entry its own log_name."
                )
            seen[name] = entry["data_src"]

    def _check_entry(self, index: int, entry: Mapping[str, Any]) -> dict[str, Any]:
        where = f"log_processor.custom_cfg[{index}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(
                f"{where} must be a dict(data_src=..., method_name=...), got {entry!r}."
            )
        unknown = [k for k in entry if k not in _CFG_KEYS]
        if unknown:
            hints = "".join(did_you_mean(k, _CFG_KEYS) for k in unknown)
            raise ConfigError(
                f"{where} has unknown key(s) {unknown}; allowed: {list(_CFG_KEYS)}.{hints}"
            )
        if "data_src" not in entry:
            raise ConfigError(f"{where} needs data_src, the scalar to summarize (e.g. 'loss').")
        method = entry.get("method_name", "mean")
        if method not in _METHODS:
            raise ConfigError(
                f"{where}.method_name must be one of {list(_METHODS)}, got {method!r}."
                + did_you_mean(str(method), _METHODS)
            )
        window = entry.get("window_size")
        if window == "epoch" and self.by_epoch is False:
            raise ConfigError(f"{where}: window_size='epoch' needs an epoch-based log (by_epoch).")
        if (
            window is not None
            and window not in ("epoch", "global")
            and (isinstance(window, bool) or not isinstance(window, int) or window < 1)
        ):
            raise ConfigError(
                f"{where}.window_size must be a positive int, 'epoch' or 'global', got {window!r}."
            )
        return dict(entry, method_name=method)

    # -- used by the logger hook on logging iterations --------------------------------
    @property
    def window(self) -> int | None:
        """The averaging window for HistoryBuffer (None: everything kept)."""
        return None if self.window_size == "global" else int(self.window_size)

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
            value = buf.current() if method == "current" else getattr(buf, method)(window)
            values[entry.get("log_name", entry["data_src"])] = value
        return values

    def scalar_record(self, tag: Mapping[str, Any], mode: str) -> dict[str, Any]:
        """The names a record is written under (``train/loss`` with ``log_with_hierarchy``)."""
        if not self.log_with_hierarchy:
            return dict(tag)
        return {f"{mode}/{k}" if k not in ("epoch", "iter") else k: v for k, v in tag.items()}


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
