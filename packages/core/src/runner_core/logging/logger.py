"""The run's logger: python ``logging``, rank-aware, one per run (MMEngine's ``MMLogger``).

Rank 0 logs to the console and to the run folder's log file at ``log_level``;
other ranks log errors only, to the console, prefixed with their rank, so a
multi-process run prints one stream of progress (MMEngine's levels), and append
them to the run's log file where its folder exists for them. A warning
is printed once: the same text again is dropped, as MMEngine's
``FilterDuplicateWarning`` does (a warning inside a loop does not flood the log).

Each Runner gets its own :class:`RunLogger` (a ``logging.Logger`` named
``runner`` in its lines, kept by instance name as MMEngine keeps its
``MMLogger`` instances), so two runners in one process each write their own
log file, and the latest created is the current one (``print_log(...,
logger='current')``, ``RunLogger.get_current_instance()``), except in a
thread that made (or claimed) one of its own while another thread made the
latest: there its own is, so runs trained at once in two threads keep their
lines apart (see :mod:`.thread_current`). The log file is closed when a run
call (``train()``, ``val()``, ``test()``) ends and reopened, appended to, by the
next line: a notebook or a sweep holds no file of a finished run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import weakref
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from .thread_current import CurrentPerThread

LOGGER_NAME = "runner"
_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


class SecondsFormatter(logging.Formatter):
    """A ``logging.Formatter`` whose date format shows whole seconds: formatted once a second.

    Each handler formats every record's time (a ``localtime`` and a
    ``strftime``); log lines come many to a second, all with the same
    timestamp text, so the text is kept until the second changes. The output
    is the plain ``Formatter``'s.
    """

    def __init__(self, fmt: str | None = None, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)
        self._kept: tuple[int, str] = (-1, "")  # (second, its text): one tuple, swapped whole

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt is None:  # the default format shows milliseconds: nothing to keep
            return super().formatTime(record, datefmt)
        second = int(record.created)
        kept_second, text = self._kept
        if second != kept_second:
            text = super().formatTime(record, datefmt)
            self._kept = (second, text)
        return text


class RunFileHandler(logging.FileHandler):
    """The run's log file: closed when a run call ends, reopened (appended to) by the next
    line, in a run folder made again if it was deleted meanwhile (a sweep's or a test's
    cleanup), as the scalar files are, so logging after that never raises."""

    _full = False  # the disk was full at a write: said once, lines dropped until it is not
    _failed = False  # this emit failed for a full disk

    def _open(self) -> Any:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def emit(self, record: logging.LogRecord) -> None:
        self._failed = False
        super().emit(record)  # a failed write ends in handleError, which returns
        if not self._failed:
            self._full = False  # written: there is room again

    def handleError(self, record: logging.LogRecord) -> None:
        """A full disk costs the file its lines, said once on stderr, not a traceback per
        record; the run goes on (its checkpoint saves report the disk themselves)."""
        from errno import EDQUOT, EFBIG, ENOSPC

        error = sys.exc_info()[1]
        if isinstance(error, OSError) and error.errno in (ENOSPC, EDQUOT, EFBIG):
            self._failed = True
            if not self._full:
                self._full = True
                try:
                    sys.stderr.write(
                        f"runner: cannot write the log file {self.baseFilename} "
                        f"({error.strerror}); its lines are lost until there is room.\n"
                    )
                except Exception:
                    pass
            return
        super().handleError(record)


class WarnOnce(logging.Filter):
    """Drop a WARNING whose text was logged before (MMEngine's ``FilterDuplicateWarning``).

    Other levels pass. Compares the formatted message, so one template with
    different arguments still shows each.
    """

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        try:
            text = record.getMessage()
        except Exception:  # a bad format: let the handler report it
            return True
        if text in self._seen:
            return False
        self._seen.add(text)
        return True


class RunLogger(logging.Logger):
    """A run's logger, kept by instance name: MMEngine's ``MMLogger`` (also importable as that).

    ``get_instance(name, log_file=..., log_level=...)`` returns the logger of
    that name, creating it first if needed; ``get_current_instance()`` the
    latest created (a console logger if there is none yet). The loggers are
    not in ``logging``'s tree: each run's is its own object, whatever its
    lines say (``logger_name``, ``'runner'``).
    """

    # live instances by name (weak: a finished run's logger goes with it); the current one
    # is also held strongly, and so are the ones get_instance made: a library that makes
    # its logger by name once expects to find it (and its file) by that name later
    _instances: weakref.WeakValueDictionary[str, RunLogger] = weakref.WeakValueDictionary()
    #: MMEngine's name for the table, which ported tests clear between tests
    _instance_dict = _instances
    _kept: dict[str, RunLogger] = {}
    _current: RunLogger | None = None
    _per_thread = CurrentPerThread()

    def __init__(self, logger_name: str = LOGGER_NAME, instance_name: str = LOGGER_NAME) -> None:
        super().__init__(logger_name)
        self.instance_name = instance_name
        #: the file this logger writes (MMEngine's ``MMLogger.log_file``); None: console only
        self.log_file: str | None = None
        self.propagate = False
        self._run_calls: list[None] = []  # one entry per run call in progress (nested ones too)

    @classmethod
    def get_instance(
        cls,
        name: str,
        logger_name: str = LOGGER_NAME,
        log_file: str | Path | None = None,
        log_level: str | int = "INFO",
        file_mode: str = "w",
        rank: int | None = None,
        **ignored: Any,
    ) -> RunLogger:
        """The logger called ``name``; created (and made current) if there is none yet.

        ``file_mode='w'`` (MMEngine's default) starts ``log_file`` afresh,
        ``'a'`` appends to it. MMEngine's other arguments (``distributed``,
        ``file_handler_cfg``) are accepted and ignored: ranks other than 0
        log errors only, to the console and appended to ``log_file`` where its
        folder exists for them (:class:`PeerErrorFileHandler`). For a name that
        exists already, arguments other than the defaults are ignored with a
        ``UserWarning``, as MMEngine's ``ManagerMixin`` warns.
        """
        found = cls._instances.get(name)
        if found is not None:
            given = {
                "logger_name": logger_name != LOGGER_NAME,
                "log_file": log_file is not None,
                "log_level": log_level != "INFO",
                "file_mode": file_mode != "w",
                "rank": rank is not None,
                **dict.fromkeys(ignored, True),
            }
            if any(given.values()):
                from ..utils.manager import warn_arguments_ignored

                warn_arguments_ignored(cls.__name__, name, [k for k, v in given.items() if v])
            return found
        made = cls.create(name, logger_name, log_file, log_level, file_mode, rank)
        cls._kept[name] = made
        return made

    @classmethod
    def create(
        cls,
        name: str,
        logger_name: str = LOGGER_NAME,
        log_file: str | Path | None = None,
        log_level: str | int = "INFO",
        file_mode: str = "w",
        rank: int | None = None,
        **ignored: Any,
    ) -> RunLogger:
        """A new logger called ``name``, made the current one: one of that name is replaced
        (its file closed), as ``MessageHub.create`` replaces a hub. ``get_instance``'s
        arguments; a Runner makes its own logger so."""
        if rank is None:
            from ..distributed.utils import get_rank

            rank = get_rank()
        return get_logger(
            name, log_file, log_level, rank, logger_name=logger_name, file_mode=file_mode
        )

    @classmethod
    def get_current_instance(cls) -> RunLogger:
        """The latest created run logger (in a thread running a run of its own, that
        run's: see :mod:`.thread_current`); a console logger named ``runner`` if there is
        none."""
        current = cls._current
        if current is None or cls._instances.get(current.instance_name) is not current:
            return cls.get_instance(LOGGER_NAME)  # none yet, or the table was cleared
        if not cls._per_thread.shared:  # one thread so far: MMEngine's rule, at its cost
            return current
        return cls._per_thread.pick(
            current, lambda own: cls._instances.get(own.instance_name) is own
        )

    @contextlib.contextmanager
    def claimed_current(self) -> Iterator[None]:
        """This logger is current in the calling thread for the ``with`` block, whichever
        thread made the latest (a Runner's run call claims its own).

        When the outermost such block ends (the run call has finished or failed),
        the log files are closed (:meth:`close_files`): a notebook or a sweep that
        builds run after run holds no file of a finished one.
        """
        self._run_calls.append(None)
        try:
            with RunLogger._per_thread.claimed(self):
                yield
        finally:
            self._run_calls.pop()
            if not self._run_calls:
                self.close_files()

    def close_files(self) -> None:
        """Close this logger's log files; its next line reopens them (appending)."""
        _close_files(self.handlers)

    @classmethod
    def check_instance_created(cls, name: str) -> bool:
        return name in cls._instances


#: MMEngine's name for it (``from mmengine.logging import MMLogger``).
MMLogger = RunLogger


def log_to_files(logger: logging.Logger, level: int, message: str) -> None:
    """Log ``message`` to ``logger``'s files only, for what the console shows in its own
    way (a progress bar, a Python warning already printed)."""
    if not logger.isEnabledFor(level):
        return
    record_to_files(logger, logger.makeRecord(logger.name, level, __file__, 0, message, (), None))


def record_to_files(
    logger: logging.Logger, record: logging.LogRecord, skip: Collection[str] = ()
) -> list[str]:
    """Hand ``record`` to ``logger``'s file handlers only (the console shows it in its own
    way, or already did), each as its level allows, but those writing a file in ``skip``;
    the files it went to."""
    written = []
    for handler in logger.handlers:
        if (
            not isinstance(handler, logging.FileHandler)
            or record.levelno < handler.level
            or handler.baseFilename in skip
        ):
            continue
        try:
            handler.handle(record)
            handler.flush()
        except Exception:  # a log that cannot be written must not hide the error itself
            continue
        written.append(handler.baseFilename)
    return written


def get_logger(
    name: str = LOGGER_NAME,
    log_file: str | Path | None = None,
    log_level: str | int = "INFO",
    rank: int = 0,
    *,
    logger_name: str = LOGGER_NAME,
    file_mode: str = "a",
) -> RunLogger:
    """Create the run logger called ``name`` for this run, and make it the current one.

    ``file_mode``: ``'a'`` appends to ``log_file``, ``'w'`` empties it first.

    A logger of the same name made before is replaced (its file closed), so
    building a second Runner of one name does not duplicate lines; loggers
    of other names keep their files. The previous current logger's file is
    closed too, and reopened (appended to) when it writes again, so runs
    made one after another in a process do not hold a file each.
    """
    level = check_log_level(log_level)
    if file_mode not in ("w", "a"):
        from ..errors import ConfigError

        raise ConfigError(
            f"file_mode={file_mode!r} for the log file {str(log_file)!r}: use 'w' (start the "
            "file afresh) or 'a' (append to it)."
        )
    previous = RunLogger._instances.get(name)
    if previous is not None:
        for handler in list(previous.handlers):
            previous.removeHandler(handler)
            handler.close()
    if RunLogger._current is not None:
        _close_files(RunLogger._current.handlers)
    RunLogger._kept.pop(name, None)  # replaced: a Runner's own goes with the Runner
    logger = RunLogger(logger_name, name)
    # a logger dropped with its file open would leave the file to the garbage collector
    # (a ResourceWarning); the finalizer holds the handlers, not the logger
    weakref.finalize(logger, _close_files, logger.handlers)
    RunLogger._instances[name] = logger
    RunLogger._current = logger
    RunLogger._per_thread.made(logger)
    if rank == 0:
        logger.setLevel(level)
        console = ConsoleHandler(sys.stdout)
        console.setFormatter(SecondsFormatter(_FORMAT, "%m/%d %H:%M:%S"))
        # on each handler, as MMEngine's (a handler a user adds still gets every record)
        console.addFilter(WarnOnce())
        logger.addHandler(console)
        if log_file is not None:
            Path(log_file).parent.mkdir(parents=True, exist_ok=True)
            if file_mode == "w":  # emptied once, then appended to: a line another rank
                Path(log_file).write_bytes(b"")  # appends (PeerErrorFileHandler) stays
            # appended to, also when reopened after a close (see above)
            fh = RunFileHandler(log_file, mode="a", encoding="utf-8")
            fh.setFormatter(SecondsFormatter(_FORMAT, "%Y/%m/%d %H:%M:%S"))
            fh.addFilter(WarnOnce())
            logger.addHandler(fh)
            logger.log_file = str(log_file)
    else:  # MMEngine's other ranks: errors only (console, and the run's log file where it
        # exists here); a handler of yours sees all
        logger.setLevel(level)
        console = ConsoleHandler(sys.stderr)
        console.setLevel(logging.ERROR)
        console.setFormatter(logging.Formatter(f"[rank {rank}] {_FORMAT}"))
        logger.addHandler(console)
        # the run's log file, written by rank 0: its folder is the run's (MMEngine has it too)
        logger.log_file = None if log_file is None else str(log_file)
        if log_file is not None:
            logger.addHandler(PeerErrorFileHandler(log_file, rank))
    return logger


class PeerErrorFileHandler(logging.Handler):
    """On a rank other than 0: append its errors to the run's log file, which rank 0 writes.

    A rank that fails first logs why (``rank 1/2 failed: ...``); rank 0 then
    only sees its collective lose the peer. With this handler the cause is in
    the run's log too, not only in that rank's stderr. Written only where the
    run folder exists (the same machine, or a shared file system): the
    handler never creates it. Each record is one ``O_APPEND`` write, so on a
    local file system lines of several processes do not interleave (on NFS an
    append is not atomic: a line may be torn; none is overwritten, as rank 0
    appends too).
    """

    def __init__(self, path: str | Path, rank: int) -> None:
        super().__init__(logging.ERROR)
        self.path = str(path)
        fmt = _FORMAT.replace("%(message)s", f"[rank {rank}] %(message)s")
        self.setFormatter(logging.Formatter(fmt, "%Y/%m/%d %H:%M:%S"))  # rank 0's file's

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if not os.path.isdir(os.path.dirname(self.path) or "."):
                return  # another machine's run folder
            data = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        except Exception:
            self.handleError(record)


class ConsoleHandler(logging.StreamHandler):
    """The console's handler: a reader that left (``| head``) or an encoding that lacks a
    character (``PYTHONIOENCODING=ascii``) costs the console a line, not a traceback per
    record. The run's log file (UTF-8) keeps every line either way."""

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, BrokenPipeError):
            self.setLevel(logging.CRITICAL + 1)  # nobody reads the console any more
            return
        if isinstance(error, UnicodeEncodeError):
            try:
                encoding = getattr(self.stream, "encoding", None) or "ascii"
                text = self.format(record) + self.terminator
                self.stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
                self.flush()
                return
            except Exception:
                pass
        super().handleError(record)


def _close_files(handlers: list[logging.Handler]) -> None:
    """Close the file handlers among ``handlers`` (mode 'a': a later line reopens the file).

    A file whose last lines cannot be written (a full disk) is warned about, not raised:
    this runs as a failed run call ends, and the run's own error (the checkpoint that
    could not be written, naming its file) must be the one that comes out.
    """
    for handler in list(handlers):
        if isinstance(handler, logging.FileHandler):
            try:
                handler.close()
            except OSError as exc:
                import warnings

                warnings.warn(
                    f"Could not finish writing the log file {handler.baseFilename}: {exc}. "
                    "Its last lines are missing there.",
                    stacklevel=2,
                )


def check_log_level(level: str | int) -> int:
    """The number of the logging level ``level`` names; ConfigKeyError for an unknown name."""
    if isinstance(level, int):
        return level
    value = logging.getLevelName(str(level).upper())
    if not isinstance(value, int):
        from ..errors import ConfigKeyError, did_you_mean

        # a KeyError too: MMEngine looks the name up in logging's table of levels
        names = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
        hint = did_you_mean(str(level).upper(), names)
        raise ConfigKeyError(
            f"log_level={level!r} is not a logging level."
            + (hint or f" Use one of {', '.join(map(repr, names))} (or a number).")
        )
    return value


def print_log(
    msg: Any, logger: logging.Logger | str | None = None, level: int = logging.INFO
) -> None:
    """``runner_core.logging.print_log`` at MMEngine's path ``mmengine.logging.logger``,
    which library code imports from there (its own module imports this one)."""
    from .print_log import print_log as log

    log(msg, logger, level)
