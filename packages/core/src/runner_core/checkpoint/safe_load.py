"""Loading a checkpoint safely: ``weights_only`` by default, verified first, errors that name the file.

Full unpickling can run any code the file's author put in it, so only
tensors and plain data load unless the caller opts in with ``allow_pickle``.

A local file can be memory-mapped (``mmap``) so that its tensors are read
from the file on demand instead of being copied into the process: a large
checkpoint is then not held twice (once loaded, once in the model). Why
this is not the default for a dict handed back to the caller, and where the
Runner maps, is told in :func:`load_checkpoint`; the memory it saves, in
docs/benchmarks.md ("Checkpoints: peak memory of save, load and resume").
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import inspect
import io
import logging
import os
import pickle
import re
import sys
import types
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import torch

from runner_core.checkpoint.errors import (
    CheckpointError,
    CheckpointModuleNotFoundError,
    CheckpointNotFoundError,
    CheckpointUnpicklingError,
)
from runner_core.checkpoint.integrity import (
    _open_zip,
    _sniff,
    open_zip,
    sniff_head,
    verify_checkpoint,
    verify_checkpoint_bytes,
)
from runner_core.checkpoint.storage import fetch, is_remote, load_source
from runner_core.errors import did_you_mean

__all__ = ["MapLocation", "MmapChoice", "load_checkpoint", "mapped_for_load"]

MapLocation = str | torch.device | Callable[..., Any] | dict[str, str] | None
#: ``load_checkpoint(mmap=...)``: None (decide), True/False, or the top-level keys that may
#: stay mapped (every other entry is copied into memory right after loading)
MmapChoice = bool | Collection[str] | None

#: the class torch.load refused: "GLOBAL mod.Name was not an allowed global" (torch >= 2.4),
#: "Unsupported class mod.Name" before
_GLOBAL_RE = re.compile(r"(?:GLOBAL|Unsupported class) ([\w.]+)")


def _check_map_location(map_location: MapLocation) -> None:
    if isinstance(map_location, str):
        try:
            torch.device(map_location)
        except RuntimeError as exc:
            close = did_you_mean(map_location, ["cpu", "cuda", "cuda:0", "mps", "meta", "xpu"])
            raise CheckpointError(
                f"map_location={map_location!r} is not a device.{close} Use 'cpu', a device "
                "string such as 'cuda:1', a torch.device, a dict or a callable "
                "(storage, location) -> storage."
            ) from exc
    elif map_location is not None and not (
        isinstance(map_location, torch.device | dict) or callable(map_location)
    ):
        raise CheckpointError(
            f"map_location={map_location!r} ({type(map_location).__name__}) is not supported. "
            "Use 'cpu', a device string, a torch.device, a dict or a callable."
        )


def _unsafe_globals(source: Path | io.BytesIO, exc: Exception) -> list[str]:
    """Every class or function the file needs beyond plain data (torch >= 2.5 lists them all
    without unpickling); else the one ``torch.load`` named."""
    lister = getattr(torch.serialization, "get_unsafe_globals_in_checkpoint", None)
    if lister is not None:
        try:
            if isinstance(source, io.BytesIO):
                source.seek(0)
            return sorted(set(lister(source)))
        except Exception:  # noqa: BLE001 - only for the message: fall back to torch's
            pass
    return sorted(set(_GLOBAL_RE.findall(str(exc))))


def _holds_no_dict(source: Path | io.BytesIO) -> bool:
    """Whether a torch zip file's pickle starts with an object, not a dict (read without
    unpickling: the opcode after the protocol). ``torch.save(model)`` starts with the
    model's class; a checkpoint dict that holds a module somewhere starts with ``}``."""
    import zipfile

    try:
        if isinstance(source, io.BytesIO):
            source.seek(0)
        with zipfile.ZipFile(source) as archive:
            name = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
            with archive.open(name) as pickled:
                head = pickled.read(3)
    except Exception:  # noqa: BLE001 - only for the message: not a zip, no data.pkl
        return False
    return len(head) == 3 and head[0] == 0x80 and head[2] not in b"}]("


def _loaded_class(name: str) -> type | None:
    """The class ``name`` (``module.Class``) if its module is already imported, else None.

    Nothing is imported: the names come from the file being refused.
    """
    module_name, _, qualname = name.rpartition(".")
    obj: Any = sys.modules.get(module_name)
    for attr in qualname.split(".") if obj is not None else ():
        obj = getattr(obj, attr, None)
    return obj if isinstance(obj, type) else None


def _in_stdlib(cls: type | None) -> bool:
    """Whether ``cls`` comes from Python's standard library (or is a builtin)."""
    top = getattr(cls, "__module__", "").split(".", 1)[0]
    return top in getattr(sys, "stdlib_module_names", ()) or top in ("builtins", "posix", "nt")


#: Globals that run code, reach the OS or open files when a pickle calls them: no
#: checkpoint needs one, so a refusal names every one first and warns instead of telling
#: the file apart as an MMEngine checkpoint. Whole modules (``posix.system`` is what
#: ``os.system`` pickles as on POSIX, ``nt.system`` on Windows):
_RUNS_CODE_MODULES = frozenset(
    "os posix nt subprocess sys shutil importlib pty socket runpy ctypes".split()
)
#: ... and single functions. ``builtins.getattr`` is not one: MMEngine's own checkpoints
#: pickle ``HistoryBuffer.min`` as ``getattr(HistoryBuffer, 'min')``, so naming it would
#: cry wolf on every genuine one.
_RUNS_CODE_NAMES = frozenset(
    [f"builtins.{name}" for name in ("eval", "exec", "compile", "__import__", "open")]
    + ["io.open", "_io.open", "codecs.open", "types.CodeType", "types.FunctionType"]
    + [
        f"{module}.{name}"
        for module in ("pickle", "_pickle", "marshal")
        for name in ("load", "loads")
    ]
)
#: how many other names a refusal lists before "and N more"
_NAMES_SHOWN = 8


def _runs_code(name: str) -> bool:
    """Whether the global ``name`` (``module.qualname``) runs code or reaches the OS."""
    return name in _RUNS_CODE_NAMES or name.split(".", 1)[0] in _RUNS_CODE_MODULES


#: What a genuine MMEngine checkpoint pickles beyond plain data: its own (and mmcv's)
#: objects, numpy arrays and scalars in its message hub, ``HistoryBuffer.min`` through
#: ``getattr``. A list of what is expected, not of what is dangerous: any other name
#: withholds the "this is an MMEngine checkpoint" reassurance (no list of dangerous
#: functions is complete).
_MMENGINE_NAMES = frozenset(
    [f"{core}.multiarray.{name}" for core in ("numpy.core", "numpy._core")
     for name in ("_reconstruct", "scalar")]
    + ["numpy.ndarray", "numpy.dtype", "builtins.getattr"]
    # containers a dataset's metainfo may hold: building them runs no code of the file's
    + [f"builtins.{name}" for name in ("set", "frozenset", "list", "dict", "tuple", "range",
                                        "slice", "complex", "bytes", "bytearray")]
    + [f"collections.{name}" for name in ("OrderedDict", "defaultdict", "Counter", "deque")]
)  # fmt: skip


def _in_mmengine_checkpoint(name: str) -> bool:
    """Whether an MMEngine checkpoint of its own pickles the global ``name``."""
    top = name.split(".", 1)[0]
    return top in STAND_IN_PACKAGES or name in _MMENGINE_NAMES or name.startswith("numpy.dtypes.")


def _unsafe_error(source: Path | io.BytesIO, path: str, exc: Exception) -> CheckpointError:
    names = _unsafe_globals(source, exc)
    dangerous = [n for n in names if _runs_code(n)]
    mmengine = any(n.split(".", 1)[0] in STAND_IN_PACKAGES for n in names)
    unexpected = [n for n in names if not (_runs_code(n) or _in_mmengine_checkpoint(n))]
    others = [n for n in names if not _runs_code(n)]
    if mmengine:  # what an MMEngine checkpoint would not hold first, as it stands out
        others = unexpected + [n for n in others if n not in unexpected]
    # the dangerous names first and never cut: "... and 1 more" once hid a posix.system
    kept = max(_NAMES_SHOWN - len(dangerous), 0)
    shown = ", ".join(dangerous + others[:kept])
    if len(others) > kept:
        shown += f" and {len(others) - kept} more"
    what = shown or "a Python object that is not plain data"
    opt_in = (
        "load_checkpoint(..., allow_pickle=True), for a Runner's load_from / resume / "
        "init_cfg Pretrained load_cfg=dict(allow_pickle=True) (or allow_pickle=True in the "
        "Pretrained init_cfg itself), or the CLI flag --unsafe-load"
    )
    if dangerous:  # no reassurance, whatever else the file holds (an MMEngine checkpoint's)
        them = "it" if len(dangerous) == 1 else "them"
        how = (
            f"WARNING: {', '.join(dangerous)} can run commands or code on this machine (or "
            f"open its files), and unpickling this file would call {them}. No checkpoint of "
            f"weights and training state needs {them}: the file may have been made to attack "
            "whoever loads it. Do not opt in to unpickling it unless you put these calls in "
            f"yourself and know what they do (the opt-in: {opt_in})."
        )
    elif mmengine and unexpected:
        how = (
            f"It holds MMEngine's objects, as an MMEngine checkpoint does, but also "
            f"{', '.join(unexpected)}, which MMEngine's own checkpoints do not hold: the file "
            "may have been changed after MMEngine saved it. Opt in to unpickling only if you "
            f"know what these are and trust where the file came from ({opt_in})."
        )
    elif mmengine:
        how = (
            f"This is an MMEngine checkpoint (its message hub pickles MMEngine's objects), which "
            f"only loads by unpickling: if you trust where it came from, opt in with {opt_in} "
            "(MMEngine need not be installed: its objects load as stand-ins)."
        )
    elif any(n.startswith("torch.nn.modules.") for n in names) and _holds_no_dict(source):
        # torch.save(model): even unpickled it is no checkpoint dict, so the opt-in cannot help
        how = (
            "These are torch.nn modules: the file is a whole model saved with "
            "torch.save(model), not a checkpoint dict, which runner does not load, with or "
            "without allow_pickle. Re-save its weights: where the model is at hand, "
            "torch.save(model.state_dict(), path); from this file, if you trust where it "
            "came from (this unpickles it), torch.save(torch.load(path, "
            "weights_only=False).state_dict(), 'weights.pth'), and load that file."
        )
    else:
        how = f"If you trust where this file came from, opt in explicitly: {opt_in}"
        classes = [_loaded_class(n) for n in names]
        # torch.serialization.add_safe_globals: torch >= 2.4. Allowing a class lets the file
        # call it with arguments of its choosing (logging.FileHandler(path, 'w') truncates any
        # file): suggested only for classes outside the standard library, with that warning.
        if (
            names
            and all(classes)
            and not any(_in_stdlib(c) for c in classes)
            and hasattr(torch.serialization, "add_safe_globals")
        ):
            how += (
                "; if these are your own classes and creating one has no side effects (the "
                "file chooses the arguments they are called with), allow only them with "
                f"torch.serialization.add_safe_globals([{', '.join(names)}]) first"
            )
        how += (
            ". For your own checkpoints, store plain data instead "
            "(runner_core.checkpoint.to_safe converts numpy arrays and scalars)."
        )
    return CheckpointError(
        f"Refusing to load checkpoint {path!r}: it contains {what}, which torch.load can "
        "only rebuild by fully unpickling the file, and unpickling can run any code the file's "
        "author put in it (delete files, steal credentials, install malware). By default only "
        "tensors and plain Python data (dict, list, tuple, str, int, float, bool, None) are "
        f"loaded. {how}"
    )


def load_checkpoint(
    model: Any = None,
    filename: str | Path | None = None,
    *args: Any,
    map_location: MapLocation = "cpu",
    allow_pickle: bool = False,
    verify: bool = True,
    path: str | Path | None = None,
    mmap: MmapChoice = None,
    **mmengine_kwargs: Any,
) -> dict:
    """Load a checkpoint dict safely: ``load_checkpoint(path)``.

    MMEngine's form ``load_checkpoint(model, filename, map_location=None,
    strict=False, logger=None, revise_keys=...)`` (a model first, the
    parameters named as MMEngine names them) loads the file into the model
    and returns the checkpoint, as MMEngine's does
    (:func:`runner_core.checkpoint.model_io.load_checkpoint_into`).

    ``map_location`` is ``'cpu'`` (default), a device string, a
    ``torch.device``, a dict or a callable, as for ``torch.load``.
    ``allow_pickle=False`` loads with ``weights_only=True`` and refuses files
    that need full unpickling; ``verify=True`` checks the per-record CRC-32s
    first (one extra read of the file). Every failure is a
    :class:`CheckpointError` naming the file and the problem. A URL is read
    through the storage backend registered for its prefix
    (``runner_core.fileio.register_backend``, see :mod:`.storage`), with the
    same checks; one no registered backend serves is refused (runner never
    downloads by itself).

    ``mmap=True`` maps a local file instead of reading it (``torch.load(...,
    mmap=True)``, copy-on-write): CPU tensors are backed by the file, so
    loading into a model needs no second copy of the weights in memory, and
    changing a returned tensor never changes the file. Replacing the file by
    a rename (as every save of runner does) or deleting it is safe; but
    while a returned tensor is alive, the file must not be rewritten in place:
    ``torch.save(checkpoint, same_path)`` truncates the file under its own
    tensors and dies of SIGBUS with the file left empty. Hence ``mmap=None``
    (default) maps only where nothing can come back backed by the file: a
    ``map_location`` on another device (the tensors are copied there), or
    inside :func:`mapped_for_load` (the Runner's own loads), or where torch's
    own default says so (``torch.utils.serialization.config.load.mmap``). A
    collection of top-level keys (a resume: ``('state_dict',
    'ema_state_dict')``) maps the file but copies every other entry into
    memory at once: those entries are kept (an optimizer keeps the loaded
    state tensors themselves). A file is
    read the usual way where mapping is impossible or unsafe: a URL (bytes),
    torch's pre-1.6 format, torch without ``mmap`` (< 2.1), a mapping that
    fails (a filesystem without mmap), Windows (a mapped file cannot be
    replaced or deleted), or torch's default mmap flags set to ``MAP_SHARED``
    (writes would reach the file).
    """
    if hasattr(model, "state_dict") and hasattr(model, "load_state_dict"):  # a model first
        from .model_io import load_checkpoint_into

        if filename is None:
            filename = path
        if len(args) < 1:  # MMEngine's map_location comes third when positional
            mmengine_kwargs.setdefault("map_location", map_location)
        mmengine_kwargs.setdefault("allow_pickle", allow_pickle)
        mmengine_kwargs.setdefault("mmap", mmap)
        return load_checkpoint_into(model, filename, *args, **mmengine_kwargs)  # type: ignore[arg-type]
    given = [value for value in (model, filename, path) if value is not None]
    if len(given) != 1 or args or mmengine_kwargs:
        unexpected = [*given[1:], *args, *mmengine_kwargs]
        raise TypeError(
            "load_checkpoint(path, *, map_location=..., allow_pickle=..., verify=...) loads a "
            "file; to load it into a model, pass the model first (MMEngine's "
            "load_checkpoint(model, filename, strict=..., revise_keys=...)) or use "
            f"Runner.load_checkpoint. Unexpected: {unexpected or 'no path given'}."
        )
    location = given[0]
    mapped = _mapped_keys(mmap)
    if is_remote(location):
        source = load_source(location)  # a registered backend serves it, or refused
        _check_map_location(map_location)
        data = fetch(source)
        name = str(source)
        if verify:
            verify_checkpoint_bytes(data, name)
        elif sniff_head(data[:32], name) == "zip":
            open_zip(io.BytesIO(data), name, lambda: len(data)).close()
        if allow_pickle:
            _say_unpickling(name)
        return _torch_load(io.BytesIO(data), name, map_location, allow_pickle)
    if isinstance(location, str) and not location.strip():  # Path('') would read as '.'
        raise CheckpointNotFoundError(
            f"Checkpoint path is empty ({location!r}): pass the path of a checkpoint file, or "
            "None (load_from=None) to load nothing."
        )
    path = Path(location).expanduser()  # '~/ckpt.pth', as MMEngine's load_from_local
    _check_map_location(map_location)
    kind = _sniff(path)
    if kind == "zip":
        if verify:
            verify_checkpoint(path)
        else:
            _open_zip(path).close()
    if allow_pickle:
        _say_unpickling(str(path))
    use_mmap = kind == "zip" and _can_map(path, map_location, mmap)
    if use_mmap:
        try:
            obj = _torch_load(path, str(path), map_location, allow_pickle, mmap=True)
        except CheckpointError as exc:
            if not _mapping_failed(exc.__cause__, path):
                raise  # the file itself is at fault: reading it again would not help
            # e.g. a filesystem without mmap: the same load, read the usual way
            return _torch_load(path, str(path), map_location, allow_pickle)
        return obj if mapped is None else _in_memory_except(obj, mapped)
    return _torch_load(path, str(path), map_location, allow_pickle)


def _mapping_failed(exc: BaseException | None, path: Path) -> bool:
    """Whether a mapped ``torch.load`` of ``path`` failed at mapping the file (torch: "unable
    to mmap ... No such device"), not at reading it: only then may a plain read succeed.
    The path is left out of the message first (a folder may be named "mmap")."""
    if not isinstance(exc, (RuntimeError, OSError, ValueError)):
        return False
    message = str(exc)
    for name in sorted({str(path), os.path.realpath(path)}, key=len, reverse=True):
        message = message.replace(name, "")
    return "mmap" in message.lower()


#: real paths the Runner loads for itself inside :func:`mapped_for_load`
_MAPPED_PATHS: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "runner_core_mapped_paths", default=frozenset()
)


@contextlib.contextmanager
def mapped_for_load(location: str | os.PathLike[str]) -> Iterator[None]:
    """Inside the block, ``load_checkpoint(location)`` maps the file by default (``mmap=None``).

    For a load whose result the caller drops once it is in the model (the
    Runner's ``load_from``): nothing backed by the file outlives the load.
    Loads of other files are not affected.
    """
    real = os.path.realpath(os.path.expanduser(location))
    token = _MAPPED_PATHS.set(_MAPPED_PATHS.get() | {real})
    try:
        yield
    finally:
        _MAPPED_PATHS.reset(token)


def _mapped_keys(mmap: MmapChoice) -> frozenset[str] | None:
    """The keys a partial mapping keeps mapped; None for True/False/None."""
    if mmap is None or isinstance(mmap, bool):
        return None
    if isinstance(mmap, str | bytes) or not isinstance(mmap, Collection):
        raise TypeError(
            f"load_checkpoint(mmap={mmap!r}): mmap is True, False, None (decide) or a "
            "collection of top-level keys that may stay mapped, e.g. ('state_dict',)."
        )
    return frozenset(mmap)


def _on_other_device(map_location: MapLocation) -> bool:
    """Whether every tensor lands on a device other than the CPU (so none maps the file)."""
    if isinstance(map_location, str | torch.device):
        return torch.device(map_location).type not in ("cpu", "meta")
    return False


def _to_cpu(map_location: MapLocation) -> bool:
    return isinstance(map_location, str | torch.device) and torch.device(map_location).type == "cpu"


def _can_map(path: Path, map_location: MapLocation, mmap: MmapChoice) -> bool:
    """Whether to load ``path`` (a zip checkpoint) with ``torch.load(mmap=True)``."""
    if mmap is None:
        wanted = _on_other_device(map_location) or (
            os.path.realpath(path) in _MAPPED_PATHS.get() or _torch_maps_by_default()
        )
    elif isinstance(mmap, bool):
        wanted = mmap
    else:  # a partial mapping copies the rest in memory: only CPU tensors, all of them
        wanted = _to_cpu(map_location)
    return wanted and os.name == "posix" and _torch_can_map_private()


def _torch_maps_by_default() -> bool:
    """torch's own default for ``torch.load(mmap=None)`` (``config.load.mmap``, torch >= 2.6)."""
    serialization = sys.modules.get("torch.utils.serialization")
    config = getattr(getattr(serialization, "config", None), "load", None)
    return bool(getattr(config, "mmap", False))


def _torch_can_map_private() -> bool:
    """torch.load takes ``mmap`` (>= 2.1) and maps copy-on-write (``MAP_PRIVATE``, its
    default): with ``MAP_SHARED`` an in-place change of a tensor would write the file."""
    if "mmap" not in _load_parameters():
        return False
    flags = getattr(torch.serialization, "get_default_mmap_options", None)  # torch >= 2.2
    if flags is None:
        return True  # torch 2.1 always maps privately
    import mmap as mmap_module

    return flags() == getattr(mmap_module, "MAP_PRIVATE", None)


_LOAD_PARAMETERS: tuple[Any, frozenset[str]] | None = None


def _load_parameters() -> frozenset[str]:
    """The keyword parameters of the current ``torch.load`` (cached per function)."""
    global _LOAD_PARAMETERS
    load = torch.load
    if _LOAD_PARAMETERS is None or _LOAD_PARAMETERS[0] is not load:
        try:
            names = frozenset(inspect.signature(load).parameters)
        except (TypeError, ValueError):
            names = frozenset()
        _LOAD_PARAMETERS = (load, names)
    return _LOAD_PARAMETERS[1]


def _in_memory_except(obj: dict, mapped: frozenset[str]) -> dict:
    """``obj`` with every top-level entry but ``mapped`` copied into memory (one memo:
    tensors sharing storage still share it), so none of them reads from the file."""
    memo: dict[int, Any] = {}
    for key in list(obj):
        if key not in mapped:
            obj[key] = copy.deepcopy(obj[key], memo)
    return obj


def _torch_load(
    source: Path | io.BytesIO,
    path: str,
    map_location: MapLocation,
    allow_pickle: bool,
    mmap: bool = False,
) -> dict:
    """``torch.load`` of a checked file (or bytes), failures as CheckpointErrors naming ``path``."""
    # mmap given always when torch takes it: torch's own default (config.load.mmap) may map
    options: dict[str, Any] = {"mmap": mmap} if "mmap" in _load_parameters() else {}
    try:
        if allow_pickle:
            obj = torch.load(
                source,
                map_location=map_location,
                weights_only=False,
                pickle_module=_stand_ins,
                **options,
            )
        else:
            obj = torch.load(source, map_location=map_location, weights_only=True, **options)
    except pickle.UnpicklingError as exc:
        if not allow_pickle and "weights only" in str(exc).lower():
            raise _unsafe_error(source, path, exc) from exc
        raise CheckpointUnpicklingError(
            f"Checkpoint {path!r} could not be unpickled: {exc}. The file is corrupt or was "
            "written by incompatible code."
        ) from exc
    except ImportError as exc:  # allow_pickle: a pickled object's module is not installed
        missing = getattr(exc, "needed_for", None) or exc.name or "?"
        raise CheckpointModuleNotFoundError(
            f"Checkpoint {path!r} holds an object of {missing}, and its module "
            f"{exc.name or missing!r} cannot be imported here ({exc}). Install the package "
            "that defines it (or put its code on PYTHONPATH) and load again, or load the "
            "checkpoint where it is installed and re-save it as plain data "
            "(runner_core.checkpoint.to_safe).",
            name=exc.name,
        ) from exc
    except (RuntimeError, EOFError, OSError, ValueError, AttributeError) as exc:
        raise CheckpointError(
            f"torch.load could not read checkpoint {path!r} (map_location={map_location!r}): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(obj, dict):
        raise CheckpointError(
            f"{path!r} holds a {type(obj).__name__}, not a checkpoint dict. Runner "
            "checkpoints are dicts ({'meta': ..., 'state_dict': ...}); a bare state_dict is a "
            "dict too. Re-save it as torch.save({'state_dict': model.state_dict()}, path)."
        )
    return obj


def _say_unpickling(path: str) -> None:
    """One line in the run's log (before any run, the console) for a file about to be
    loaded with full unpickling: it may run code, so the log says which file and that it
    was allowed, before any of it runs (a payload may also make the load fail)."""
    from runner_core.logging.print_log import print_log

    print_log(
        f"Loading checkpoint {path!r} with full unpickling (allow_pickle=True / "
        "--unsafe-load), which runs any code the file holds.",
        "current",
        logging.INFO,
    )


# -- objects of OpenMMLab classes, without OpenMMLab installed ------------------------------
#: Packages whose pickled objects load as stand-ins when the package is not installed:
#: MMEngine checkpoints pickle its HistoryBuffer (and older ones mmcv's ConfigDict) into
#: their metadata, which a user who has moved here should not need to install to read.
STAND_IN_PACKAGES = frozenset({"mmengine", "mmcv"})


class _StandInType(type):
    """Class-level lookups on a stand-in: ``HistoryBuffer.min``, pickled (protocol 2) as
    ``getattr(HistoryBuffer, 'min')``, gives a named placeholder."""

    def __getattr__(cls, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return StandInAttribute(f"{cls.stand_in_for}.{attr}")


class StandInAttribute:
    """A function or constant of a class that is not installed, kept by name only."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<stand-in for {self.name}>"


class PickledStandIn(dict, metaclass=_StandInType):
    """An object of a class that is not installed, kept as its pickled state.

    Its attributes are the object's ``__dict__`` (MMEngine's ``HistoryBuffer``
    keeps ``_log_history`` and ``_count_history``, which the message hub
    converts); a dict-like object keeps its items. ``stand_in_for`` names
    the missing class.
    """

    stand_in_for = ""


_STAND_IN_CLASSES: dict[tuple[str, str], type] = {}


class _StandInUnpickler(pickle.Unpickler):
    """Unpickles as usual, but an object of a missing OpenMMLab class becomes a stand-in."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return super().find_class(module, name)
        except ImportError as exc:
            if module.split(".", 1)[0] not in STAND_IN_PACKAGES:
                exc.needed_for = f"{module}.{name}"  # type: ignore[attr-defined]
                raise
        cls = _STAND_IN_CLASSES.get((module, name))
        if cls is None:
            cls = type(name, (PickledStandIn,), {"stand_in_for": f"{module}.{name}"})
            _STAND_IN_CLASSES[module, name] = cls
        return cls


def _load_with_stand_ins(file: Any, **kwargs: Any) -> Any:
    return _StandInUnpickler(file, **kwargs).load()


#: what ``torch.load(pickle_module=...)`` needs of a pickle module
_stand_ins = types.ModuleType("runner_core_stand_in_pickle")
_stand_ins.Unpickler = _StandInUnpickler  # type: ignore[attr-defined]
_stand_ins.load = _load_with_stand_ins  # type: ignore[attr-defined]
_stand_ins.__dict__.update(
    {k: getattr(pickle, k) for k in ("UnpicklingError", "HIGHEST_PROTOCOL", "dumps", "dump")}
)
