"""Error types shared across runner, the "did you mean" helper, and :func:`add_note`.

Every error a user can trigger by bad input should be one of these, carry a
single readable paragraph, and name the file, key or plugin at fault.

Each class also subclasses the standard exception MMEngine raises in the same
situation, so code written against MMEngine (``except ValueError:``) keeps
catching it while the message stays ours.
"""

from __future__ import annotations

import difflib
import errno
import importlib
import os
from collections.abc import Iterable, Sequence
from typing import Any


class RunnerError(RuntimeError):
    """Base class of every error runner raises on purpose.

    A ``RuntimeError``, as MMEngine's Runner raises for a run it cannot do
    (``runner.train()`` without a train loop, for instance).
    """

    def __str__(self) -> str:
        if isinstance(self, KeyError):  # KeyError would wrap the message in quotes
            return str(self.args[0]) if self.args else ""
        return super().__str__()


class RegistryError(RunnerError, KeyError):
    """A name could not be resolved or built through a registry."""


class RegistryTypeError(RegistryError, TypeError):
    """An unknown name where MMEngine calls what ``get()`` returns (None): a TypeError there.

    The optimizer type and a dataloader's ``collate_fn``.
    """


class RegistryImportError(RegistryError, ImportError):
    """A registry's ``locations`` module could not be imported (MMEngine: ImportError)."""


class DependencyError(RunnerError, ImportError):
    """An installed package is too old (or absent) for what was asked.

    An ``ImportError`` too, so ``except ImportError`` feature checks keep working.
    """


class RegistryDeclarationError(RunnerError, AssertionError):
    """A ``Registry(...)`` declaration clashes with the tree (MMEngine asserts: AssertionError)."""


class RegistryDeclarationTypeError(RegistryDeclarationError, TypeError):
    """A ``Registry(...)`` argument of the wrong type (``parent``, ``scope``), which
    MMEngine asserts."""


class PluginError(RegistryError):
    """An installed plugin is broken or conflicts with another one."""


class BuildError(RunnerError, TypeError):
    """A registered object refused the arguments a config gave it."""


class BuildValueError(BuildError, ValueError):
    """An argument has the right type but a value the object cannot use.

    MMEngine raises ``ValueError`` here (``StepLR(begin=10, end=5)``).
    """


class BuildKeyError(BuildError, KeyError):
    """A required key of a build config is absent or names nothing (a KeyError, as MMEngine)."""


class BuildAssertionError(BuildValueError, AssertionError):
    """Arguments that contradict each other: a check MMEngine makes with ``assert``."""


class HookError(RunnerError, ValueError):
    """A hook is declared or registered wrongly, or got a bad argument value.

    A ``ValueError`` too: MMEngine's hooks raise it for bad argument values
    (``CheckpointHook(save_begin=-1)``) and bad priorities.
    """


class HookKeyError(HookError, KeyError):
    """A hook option names nothing known (a priority, an EMA type): a KeyError, as MMEngine."""


class HookTypeError(HookError, TypeError):
    """A hook argument of the wrong type (``interval='1'``), or something that is not a hook
    registered as one: a TypeError, as MMEngine."""


class HookAssertionError(HookError, AssertionError):
    """A hook option out of range: a check MMEngine makes with ``assert``."""


class HookAssertionTypeError(HookTypeError, HookAssertionError):
    """A hook argument of the wrong type where MMEngine asserts (``save_best=dict(...)``)."""


class NotBoundError(RunnerError, AttributeError):
    """An object made without what it works on (a scheduler without its optimizer) was
    used before the Runner bound it.

    An ``AttributeError`` too: what it lacks are attributes, so ``hasattr`` and
    ``getattr(obj, name, default)`` answer instead of raising.
    """


class ConfigError(RunnerError, ValueError):
    """A config value is missing, of the wrong kind or out of range."""


class WorkerStartError(ConfigError):
    """Data-loader workers cannot start as configured: ``spawn`` / ``forkserver`` could not
    pickle the dataset, ``collate_fn`` or ``worker_init_fn`` they need.

    Raised as a subclass that is also what pickling raised (``pickle.PicklingError``,
    ``TypeError``, ``AttributeError``: see ``runner_core.data.worker_pickling``).
    """


class ConfigTypeError(ConfigError, TypeError):
    """A config was given an object of the wrong type (``Config([0, 1])``)."""


class ConfigKeyError(ConfigError, KeyError):
    """A config key is reserved, or a required key is absent."""


class ConfigAssertionError(ConfigError, AssertionError):
    """A config check MMEngine makes with ``assert`` (an AssertionError too)."""


class ConfigAssertionTypeError(ConfigTypeError, ConfigAssertionError):
    """An object of the wrong type where MMEngine asserts its type (``val_evaluator='Acc'``)."""


class ConfigFileNotFoundError(ConfigError, FileNotFoundError):
    """A config file (or one of its bases) does not exist.

    ``filename`` (the path looked for) and ``errno`` (``ENOENT``) are set as on
    MMEngine's error; the message stays the text, not ``[Errno 2] ...``.
    """

    def __init__(self, message: object = "", filename: str | None = None) -> None:
        super().__init__(message)
        self.errno = errno.ENOENT
        self.strerror = os.strerror(errno.ENOENT)
        self.filename = filename

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[Any, ...]:
        # OSError pickles ``filename`` only from a two-argument constructor: passed on here
        # (a worker process's error reaches the parent whole)
        message = self.args[0] if self.args else ""
        return (type(self), (message, self.filename), dict(self.__dict__))


class ConfigFormatError(ConfigError, OSError):
    """A config file has an unsupported extension (MMEngine: OSError)."""


class ConfigSyntaxError(ConfigError, SyntaxError):
    """A Python config file is not valid Python (MMEngine: SyntaxError)."""

    def __init__(self, *args: object) -> None:
        # SyntaxError keeps its text in ``msg``, which only its own __init__ sets; with
        # ``(msg, (filename, lineno, offset, text, end_lineno, end_offset))`` those too
        SyntaxError.__init__(self, *args)

    def __str__(self) -> str:
        # the message names file and line already: not SyntaxError's "(file, line N)"
        return str(self.msg)


class ConfigIndentationError(ConfigSyntaxError, IndentationError):
    """A Python config file is wrongly indented (MMEngine: IndentationError)."""


class ConfigAttributeError(ConfigError, AttributeError):
    """Config code read an attribute that does not exist (``_base_.nope``)."""


class ConfigNameError(ConfigError, NameError):
    """Config code used a name it never defined (MMEngine: NameError)."""


class ConfigImportError(ConfigError, ImportError):
    """A config imports something that cannot be imported (MMEngine: ImportError)."""


class ConfigModuleNotFoundError(ConfigImportError, ModuleNotFoundError):
    """A config imports from a module that is not installed (MMEngine: ModuleNotFoundError)."""


#: starts a note that says how to fix an error raised in the user's code (a forward that
#: does not take the batch); ``runner-cli`` shows such notes with the error's one line
HINT_PREFIX = "Hint: "


#: errors that mean "fix your input": a config's, a registry's, a build's, a hook's
#: (runner-cli's exit status 2)
INPUT_ERRORS: tuple[type[RunnerError], ...] = (ConfigError, RegistryError, BuildError, HookError)


def traceback_helps(exc: BaseException) -> bool:
    """Whether ``exc``'s traceback says more than its message: not for an input error,
    whose traceback is the runner's own code, unless it reports a plugin's or a module's
    own code failing while it was imported."""
    if not isinstance(exc, INPUT_ERRORS):
        return True
    if not isinstance(exc, (PluginError, RegistryImportError, ConfigImportError)):
        return False
    cause = exc.__cause__  # the import's own error: a missing module is an input error
    return cause is not None and not isinstance(cause, ModuleNotFoundError)


def stacklevel_outside_runner_core(also: str | None = None) -> int:
    """The ``stacklevel`` that points a warning of the caller at the first frame outside
    runner_core (and contextlib's ``with`` machinery): the user's line that asked for the
    work (``Runner(...)``, a build), however deep the call is. ``also``: a plugin's own
    package folder, stepped over too (a hook class warning from its constructor)."""
    import contextlib
    import sys
    import types

    inside = [os.path.dirname(os.path.abspath(__file__)) + os.sep]
    if also is not None:
        inside.append(os.path.abspath(also) + os.sep)
    frame: types.FrameType | None = sys._getframe(1)  # the function that warns: level 1
    level = 1
    while frame is not None:
        name = os.path.abspath(frame.f_code.co_filename)
        if not (
            any(name.startswith(folder) for folder in inside)
            or name == os.path.abspath(contextlib.__file__)
        ):
            return level
        frame, level = frame.f_back, level + 1
    return 1


def name_config_key(exc: BaseException, key: str) -> None:
    """Add ``(at config key '<key>')`` to ``exc``'s one-string message, unless it names that
    key or another already (the innermost build's, which is the more precise)."""
    said = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], str) else None
    if said is not None and key not in said and "config key" not in said:
        exc.args = (f"{said} (at config key {key!r})",)


def add_note(exc: BaseException, note: str) -> None:
    """Attach ``note`` to ``exc`` (shown under its traceback), keeping its type.

    ``BaseException.add_note`` exists from Python 3.11; on 3.10 calling it
    raised an AttributeError in place of the user's own exception. There the
    note goes into ``__notes__`` as 3.11 would put it, and the ``exceptiongroup``
    backport, when installed, is imported: it makes 3.10's tracebacks (and
    ``logging``'s) print them, which they otherwise drop. An exception that
    takes no attributes gets none.
    """
    adder = getattr(exc, "add_note", None)
    if adder is not None:
        adder(note)
        return
    try:  # Python 3.10: importing the backport teaches ``traceback`` to print notes
        importlib.import_module("exceptiongroup")
    except ImportError:
        pass
    notes = getattr(exc, "__notes__", None)
    if notes is None:
        try:
            exc.__notes__ = notes = []
        except AttributeError:
            return
    notes.append(note)


def a_or_an(word: str) -> str:
    """``'an int'``, ``'a str'``: the article a type name in a message needs."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3) -> str:
    """Return ` Did you mean 'x'?` (or '') for the closest candidates."""
    return suggestion(close_matches(word, candidates, n))


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The (at most ``n``) candidates :func:`did_you_mean` offers for ``word``."""
    pool = sorted({str(c) for c in candidates})
    close = difflib.get_close_matches(word, pool, n=n, cutoff=0.6)
    same = [c for c in pool if c.lower() == word.lower() and c != word]  # 'Adamw' -> 'AdamW'
    close = [c for c in (same + [c for c in close if c not in same]) if _stems_agree(word, c)]
    close = close[:n]
    if not close:
        lowered = {c.lower(): c for c in pool}
        close = [lowered[c] for c in difflib.get_close_matches(word.lower(), list(lowered), n=n)]
        close = [c for c in close if _stems_agree(word, c)]
    if not close and len(word) >= 3:  # an abbreviation: 'gen' -> 'generator', 'disc' -> ...
        starts = sorted((c for c in pool if c.lower().startswith(word.lower())), key=len)
        close = starts if len(starts) <= n else []  # more say too little to be a hint
    return close


def _stems_agree(word: str, candidate: str) -> bool:
    """Whether ``candidate`` is close for more than a short suffix both share ('Hook',
    'Dataset'): 'NumClassCheckHook' is no typo of 'EmptyCacheHook'."""
    a, b = word.lower(), candidate.lower()
    shared = len(os.path.commonprefix([a[::-1], b[::-1]]))
    if shared < 4 or 2 * shared >= len(a) or shared >= len(b):
        return True  # no generic suffix, or the suffix is most of the name
    return difflib.SequenceMatcher(None, a[:-shared], b[:-shared]).ratio() >= 0.6


def suggestion(close: Sequence[str]) -> str:
    """`` Did you mean 'x'?`` or `` Did you mean one of 'x', 'y'?`` for ``close`` ('' if empty)."""
    if not close:
        return ""
    if len(close) == 1:
        return f" Did you mean {close[0]!r}?"
    return " Did you mean one of " + ", ".join(repr(c) for c in close) + "?"
