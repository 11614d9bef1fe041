"""Why data-loader workers started with ``spawn`` / ``forkserver`` could not be started.

Such a worker does not inherit the main process: it receives the dataset, the
``collate_fn`` and the ``worker_init_fn`` pickled, and imports every class and
function they use by module name. A class written in a Python config file,
in a notebook or inside a function, a lambda, a lock or an open generator
cannot make that trip. Python then fails with ``Can't pickle <class
'__config__.MyDataset'>: import of module '__config__' failed`` (the same
config works under ``fork``). :func:`explain_pickling_failure` rewrites that
message into one paragraph naming the loader key, the part at fault (down to
the attribute: ``train_dataloader.dataset.pipeline[1]``), where it is defined,
and the fixes. The error raised is a
:class:`~runner_core.errors.WorkerStartError` (a ``ConfigError``: ``runner-cli``
reports a config to fix, exit status 2) and still an instance of what pickling
raised (``pickle.PicklingError``, ``TypeError``, ``AttributeError``, as under
MMEngine), with the original error as its cause. It runs only on that failure path.
"""

from __future__ import annotations

import functools
import pickle
import types
from typing import Any, NoReturn

from ..errors import WorkerStartError

__all__ = [
    "WorkerPicklingAttributeError",
    "WorkerPicklingError",
    "WorkerPicklingTypeError",
    "explain_pickling_failure",
    "interactive_main_names",
    "is_pickling_failure",
    "start_method",
]


class WorkerPicklingError(WorkerStartError, pickle.PicklingError):
    """A class the workers cannot import (``Can't pickle <class '__config__.X'>``)."""


class WorkerPicklingTypeError(WorkerStartError, TypeError):
    """An object that cannot be pickled at all (``cannot pickle '_thread.lock' object``)."""


class WorkerPicklingAttributeError(WorkerStartError, AttributeError):
    """A lambda or local function (``Can't pickle local object``, before Python 3.14)."""


#: what pickling raised -> the diagnosis raised in its place (first match wins)
_DIAGNOSED: tuple[tuple[type[BaseException], type[WorkerStartError]], ...] = (
    (pickle.PicklingError, WorkerPicklingError),
    (TypeError, WorkerPicklingTypeError),
    (AttributeError, WorkerPicklingAttributeError),
)

_REDUCTION_FILE = "multiprocessing/reduction.py"
_MAX_DEPTH = 6  # attribute levels searched for the unpicklable part
_MAX_ITEMS = 64  # items of one container searched


def is_pickling_failure(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while multiprocessing pickled a new process's arguments."""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename.replace("\\", "/")
        if name.endswith(_REDUCTION_FILE):
            return True
        tb = tb.tb_next
    return False


def explain_pickling_failure(loader: Any, exc: BaseException) -> NoReturn:
    """Raise the diagnosis of ``exc`` (a failed worker start of ``loader``): the part at
    fault and the fix, as a :class:`WorkerStartError` of ``exc``'s kind (see the module
    docstring), caused by ``exc``. Another kind of error is raised again, its message
    rewritten (the CLI then reports it as unexpected: the dataset's own code raised it)."""
    key = getattr(loader, "key_path", "dataloader")
    method = start_method(loader)
    found = _culprit(loader)
    if found is None:
        what = f"one of {key}.dataset, {key}.collate_fn and {key}.worker_init_fn"
        fix = _FIX_CODE
    else:
        path, obj = found
        what, fix = f"{key}.{path} ({_describe(obj)})", _fix_for(obj)
    message = (
        f"The data-loader workers of {key} start with {method!r}, which sends each worker a "
        f"pickled copy of the dataset, collate_fn and worker_init_fn; {what} cannot be "
        f"pickled ({exc}). {fix.format(key=key)}"
    )
    for raised, diagnosis in _DIAGNOSED:
        if isinstance(exc, raised):
            raise diagnosis(message) from exc
    try:
        exc.args = (message,)
    except Exception:  # an exception type that refuses new args keeps its own text
        pass
    raise exc


_FIX_CODE = (
    "Define it at the top level of a module that can be imported (a .py file on the Python "
    "path, listed in custom_imports=dict(imports=[...]) so its registrations are seen), or "
    "start the workers with fork: env_cfg=dict(mp_cfg=dict(mp_start_method='fork')) or "
    "{key}.multiprocessing_context='fork' (not on Windows), or load the data in the main "
    "process with {key}.num_workers=0."
)
_FIX_OBJECT = (
    "Create it in the worker instead (on first use, e.g. open a file or connection lazily in "
    "__getitem__, and drop it in __getstate__), or start the workers with fork: "
    "env_cfg=dict(mp_cfg=dict(mp_start_method='fork')) or {key}.multiprocessing_context='fork' "
    "(not on Windows), or load the data in the main process with {key}.num_workers=0."
)


def start_method(loader: Any) -> str:
    """How ``loader`` starts its workers: its ``multiprocessing_context``, else the default."""
    import multiprocessing

    context = getattr(loader, "multiprocessing_context", None)
    if context is None:
        context = multiprocessing.get_context()
    return str(context.get_start_method())


def interactive_main_names(loader: Any) -> list[str]:
    """Classes and functions the loader's workers need from a ``__main__`` that has no file.

    A notebook or ``python -c`` has no file a spawned worker could run again, so
    the worker cannot import what was defined there: it dies while unpickling
    (its message goes to the kernel's terminal, not to the notebook). Called
    after a worker died, never before workers start (it pickles the dataset).
    """
    import sys
    from multiprocessing.reduction import ForkingPickler

    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__file__", None):
        return []
    found: set[str] = set()

    class Finder(ForkingPickler):
        def persistent_id(self, obj: Any) -> None:
            if isinstance(obj, type | types.FunctionType) and obj.__module__ == "__main__":
                found.add(obj.__qualname__)
            return None

    for _, obj in _parts(loader):
        try:
            Finder(_Discard(), 4).dump(obj)
        except Exception:
            continue
    return sorted(found)


def _parts(loader: Any) -> list[tuple[str, Any]]:
    """What a worker receives pickled, by the config key that set it."""
    from .dataloader import WorkerSeeder

    init = getattr(loader, "worker_init_fn", None)
    if isinstance(init, WorkerSeeder):  # ours pickles; the user's function may not
        init = init.user_fn
    return [
        ("dataset", getattr(loader, "dataset", None)),
        ("collate_fn", getattr(loader, "collate_fn", None)),
        ("worker_init_fn", init),
    ]


class _Discard:
    """A file that forgets what is written: pickling to it keeps no copy of the dataset.

    These checks run after a worker died, perhaps for want of memory; a
    ``BytesIO`` would hold a whole pickled dataset in the main process.
    """

    def write(self, data: bytes) -> int:
        return len(data)


def _picklable(obj: Any) -> bool:
    from multiprocessing.reduction import ForkingPickler

    try:
        ForkingPickler(_Discard()).dump(obj)
    except Exception:
        return False
    return True


def _culprit(loader: Any) -> tuple[str, Any] | None:
    for path, obj in _parts(loader):
        found = _deepest(obj, path, 0)
        if found is not None:
            return found
    return None


def _deepest(obj: Any, path: str, depth: int) -> tuple[str, Any] | None:
    """The innermost part of ``obj`` that does not pickle, with its path; None if it pickles."""
    if _picklable(obj):
        return None
    if depth < _MAX_DEPTH and not _is_leaf(obj):
        for child_path, child in _children(obj, path):
            found = _deepest(child, child_path, depth + 1)
            if found is not None:
                return found
    return path, obj


def _is_leaf(obj: Any) -> bool:
    """Pickled by name (classes, functions, modules): nothing inside them is sent."""
    return isinstance(
        obj,
        type | types.FunctionType | types.BuiltinFunctionType | types.MethodType | types.ModuleType,
    )


def _children(obj: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(obj, list | tuple):
        return [(f"{path}[{i}]", item) for i, item in enumerate(obj[:_MAX_ITEMS])]
    if isinstance(obj, dict):
        items = list(obj.items())[:_MAX_ITEMS]
        return [(f"{path}[{k!r}]", v) for k, v in items]
    if isinstance(obj, functools.partial):
        parts = [(f"{path}.func", obj.func)]
        parts += [(f"{path}.args[{i}]", a) for i, a in enumerate(obj.args)]
        return parts + [(f"{path}.keywords[{k!r}]", v) for k, v in obj.keywords.items()]
    if not _picklable(type(obj)):
        return []  # the instance's own class is what cannot be sent
    try:
        state = obj.__getstate__() if hasattr(obj, "__getstate__") else vars(obj)
    except Exception:
        return []
    if isinstance(state, tuple) and len(state) == 2:  # (dict, slots)
        state = {**(state[0] or {}), **(state[1] or {})}
    if isinstance(state, dict):
        items = list(state.items())[:_MAX_ITEMS]
        return [(f"{path}.{k}", v) for k, v in items]
    return []


def _describe(obj: Any) -> str:
    """What ``obj`` is and where it was defined, as a user would look for it."""
    if isinstance(obj, types.FunctionType | types.MethodType):
        function = getattr(obj, "__func__", obj)
        code = function.__code__
        name = (
            "a lambda" if function.__name__ == "<lambda>" else f"function {function.__qualname__}"
        )
        where = _where(function.__module__, code.co_filename, code.co_firstlineno)
        return f"{name} defined in {where}"
    cls = obj if isinstance(obj, type) else type(obj)
    if not isinstance(obj, type) and not _unimportable_user_class(cls):
        article = "an" if cls.__qualname__[:1].lower() in "aeiou" else "a"
        return f"{article} {cls.__qualname__} object"
    kind = "class" if isinstance(obj, type) else "an instance of class"
    return f"{kind} {cls.__qualname__} defined in {_where(cls.__module__, _class_file(cls))}"


def _where(module: str, filename: str | None, line: int | None = None) -> str:
    import sys

    from ..config.execution import CONFIG_MODULE_NAME

    at = f", line {line}" if line else ""
    if filename is None:  # a class without methods of its own: its module's file
        filename = getattr(sys.modules.get(module or ""), "__file__", None)
    if (module or "").startswith(CONFIG_MODULE_NAME):  # how Config runs a Python config file
        return f"the config file {filename}{at}" if filename else "the config file"
    if filename and not filename.startswith("<"):
        return f"{filename}{at}"
    return f"module {module!r} (no file: an interactive session or notebook)"


def _class_file(cls: type) -> str | None:
    """The file a class was written in, from its methods (its module may be gone)."""
    for value in vars(cls).values():
        function = getattr(value, "__func__", value)
        code = getattr(function, "__code__", None)
        if code is not None:
            return str(code.co_filename)
    return None


def _unimportable_user_class(cls: type) -> bool:
    """A class written in Python that a worker cannot import by name: it has methods of its
    own, or (a subclass adding none) lives in a config file, a notebook or a function.

    Not a C type that only refuses pickling by name (``_thread.lock``): its instance is
    what cannot be sent.
    """
    import sys

    if _picklable(cls):
        return False
    if _class_file(cls) is not None:
        return True
    module = sys.modules.get(cls.__module__ or "")
    return module is None or module.__name__ == "__main__" or "<locals>" in cls.__qualname__


def _fix_for(obj: Any) -> str:
    if isinstance(obj, type | types.FunctionType | types.MethodType):
        return _FIX_CODE
    return _FIX_CODE if _unimportable_user_class(type(obj)) else _FIX_OBJECT
