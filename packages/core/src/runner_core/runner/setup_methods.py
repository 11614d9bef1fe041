"""The Runner's set-up methods, MMEngine's names: logger, message hub, log processor,
randomness and the config dump.

A mixin of :class:`~runner_core.runner.Runner` (one concept per module). The
Runner's constructor calls each of them, so a subclass overriding one (the
MMEngine pattern ``class MyRunner(Runner): def build_logger(self, ...)``)
changes the part the run uses; user code may call them again later.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigTypeError
from ..logging import MessageHub, RunLogger
from ..logging.log_processor import LogProcessor
from ..logging.log_processor import build_log_processor as _build_log_processor
from .randomness import set_random_seed

if TYPE_CHECKING:
    import logging


def check_log_processor_value(log_processor: Any) -> None:
    """Refuse a ``log_processor`` that is neither a dict, a LogProcessor nor None
    (``runner-cli config check`` calls this too)."""
    if log_processor is not None and not isinstance(log_processor, (Mapping, LogProcessor)):
        raise ConfigTypeError(  # a TypeError, as MMEngine's
            f"log_processor must be a dict or a LogProcessor, got "
            f"{type(log_processor).__name__}: {log_processor!r}. Give e.g. "
            "log_processor=dict(window_size=10)."
        )


class SetupMethods:
    """``build_logger``, ``build_message_hub``, ``build_log_processor``, ``set_randomness``,
    ``dump_config``."""

    # set by Runner.__init__
    rank: int
    seed: int
    randomness_cfg: dict[str, Any]
    experiment_name: str
    timestamp: str
    log_dir: Path
    cfg: Any
    arguments_cfg: Any
    logger: logging.Logger
    message_hub: MessageHub

    def build_log_processor(self, log_processor: Any) -> LogProcessor:
        """A ``LogProcessor`` from ``log_processor=dict(...)`` (``type`` defaults to
        ``'LogProcessor'``; None is ``dict()``); a built one is returned as it is.

        The constructor calls it first of all, before the work dir exists, so
        a mistake in the options fails before anything is written: an override
        must not read ``work_dir``, ``log_dir`` or ``logger``.
        """
        check_log_processor_value(log_processor)
        return _build_log_processor(log_processor)

    def build_logger(
        self, log_level: str | int = "INFO", log_file: str | Path | None = None, **kwargs: Any
    ) -> RunLogger:
        """The run's logger (an ``MMLogger``): ``log_level`` for its handlers, the file
        ``<run folder>/<timestamp>.log`` unless ``log_file`` says otherwise. Rank 0
        writes it; the other ranks append their errors only (where the run folder
        exists for them).

        ``kwargs`` go to ``MMLogger.get_instance`` (``name``, ``file_mode``, which is
        ``'a'`` here as in MMEngine). Called again with this run's name (the
        default), it returns the run's logger, as MMEngine's does; with other
        arguments, ``MMLogger.get_instance`` warns that it ignores them.
        """
        own_name = f"{self.experiment_name}:{self.log_dir}"  # this run's own
        own = getattr(self, "logger", None)
        if (
            isinstance(own, RunLogger)
            and kwargs.get("name", own_name) == own_name == own.instance_name
        ):
            # called again for the run's logger: the arguments the caller gave are ignored
            given = {"log_level": log_level != "INFO", "log_file": log_file is not None}
            ignored = [k for k, v in given.items() if v] + [k for k in kwargs if k != "name"]
            if ignored:
                from ..utils.manager import warn_arguments_ignored

                warn_arguments_ignored(type(own).__name__, own_name, ignored)
            return own
        if log_file is None:  # rank 0 writes it; the others append their errors there
            log_file = self.log_dir / f"{self.timestamp}.log"
        kwargs.setdefault("name", own_name)
        kwargs.setdefault("file_mode", "a")
        kwargs.setdefault("rank", self.rank)
        if kwargs["name"] == own_name:
            # made afresh: a logger of this name is an earlier Runner's whose run folder of
            # the same second was deleted (rm -rf, run again), not one to take over
            return RunLogger.create(log_file=log_file, log_level=log_level, **kwargs)
        return RunLogger.get_instance(log_file=log_file, log_level=log_level, **kwargs)

    def build_message_hub(self, message_hub: Mapping[str, Any] | None = None) -> MessageHub:
        """The run's ``MessageHub``, named ``experiment_name`` unless ``message_hub``
        (a dict of its arguments) names another.

        Experiment names repeat here (MMEngine's carry the timestamp), so the
        constructor's call makes a new hub: a Runner never takes over the scalars
        of an earlier run of the same name. Later calls return this run's hub for
        its name, and ``MessageHub.get_instance`` for another, as MMEngine's do.
        """
        if message_hub is not None and not isinstance(message_hub, Mapping):
            raise ConfigTypeError(  # a TypeError, as MMEngine's
                f"message_hub should be a dict of MessageHub's arguments or None, got "
                f"{type(message_hub).__name__}: {message_hub!r}."
            )
        cfg = dict(message_hub or {})
        cfg.setdefault("name", self.experiment_name)
        own = getattr(self, "message_hub", None)
        if own is not None and own.name == cfg["name"]:
            return own
        if cfg["name"] == self.experiment_name:
            return MessageHub.create(**cfg)
        return MessageHub.get_instance(**cfg)

    def set_randomness(
        self, seed: int | None, diff_rank_seed: bool = False, deterministic: bool = False
    ) -> None:
        """Seed python, numpy and torch again (``seed=None`` draws one, shared by every
        rank); ``runner.seed`` is the seed used (plus the rank with ``diff_rank_seed``).

        ``randomness_cfg`` takes the new options, so the data loaders built after
        the call, ``runner.deterministic`` and a resume's reseeding follow them.
        """
        self.seed = set_random_seed(seed, bool(deterministic), bool(diff_rank_seed))
        self.randomness_cfg.update(
            seed=seed, diff_rank_seed=bool(diff_rank_seed), deterministic=bool(deterministic)
        )
        hub = getattr(self, "message_hub", None)
        if hub is not None:  # the constructor seeds before the hub exists
            hub.update_info("seed", self.seed)

    def dump_config(self) -> None:
        """Write the config (for a Runner built from arguments, ``arguments_cfg``) to
        ``<run folder>/config.py``, on rank 0.

        MMEngine writes ``<work_dir>/<config file name>``; here each run folder
        keeps the config next to the log it produced, so a later run in the same
        work dir does not overwrite it. A config that cannot be written back is
        a warning: it must not stop training.
        """
        cfg = self.cfg if self.arguments_cfg is None else self.arguments_cfg
        if self.rank != 0 or cfg is None or not hasattr(cfg, "dump"):
            return
        import warnings

        with warnings.catch_warnings(record=True) as caught:  # into the run's log too (the
            try:  # user's filters still apply)
                cfg.dump(self.log_dir / "config.py")
            except Exception as exc:
                self.logger.warning("Could not dump the config to %s: %s", self.log_dir, exc)
        for warning in caught:
            if issubclass(warning.category, UserWarning):
                self.logger.warning("%s", warning.message)
            else:  # a DeprecationWarning a library raised while dumping: shown as it was
                warnings.showwarning(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
