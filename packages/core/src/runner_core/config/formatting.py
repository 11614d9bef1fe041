"""Writing a config back out: Python source (``pretty_text``), JSON and YAML.

The Python form is produced here without yapf (MMEngine's dependency on it
broke many installs): ``key = value`` lines, ``dict(...)`` for dicts with
identifier keys, wrapped at 88 columns. Loading that text gives back the same
dict, tuples included (in YAML too: tuples are written with MMEngine's
``!!python/tuple`` tag, the one Python tag our YAML loader accepts).

Values are read raw (``dict.items``): a class a pure-Python config imported
is written as its dotted path, and is not imported to be written.
"""

from __future__ import annotations

import json
import keyword
import math
import numbers
import os
import sys
from collections.abc import ItemsView, Iterable, Iterator, Mapping
from typing import Any

from .errors import ConfigError
from .execution import CONFIG_MODULE_NAME
from .yaml_loading import safe_dumper

LINE_WIDTH = 88
INDENT = "    "


def _raw_items(value: Mapping[Any, Any]) -> ItemsView[Any, Any]:
    """The stored items: ``dict.items`` skips ConfigDict's import-on-read."""
    return dict.items(value) if isinstance(value, dict) else value.items()


def _is_identifier(key: Any) -> bool:
    return isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key)


def _object_path(value: Any) -> str:
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if module and qualname:
        return _found_path(value) or f"{module}.{qualname}"
    return repr(value)


def _found_path(value: Any) -> str | None:
    """A dotted path naming ``value``: ``module.qualname``, else the module (or a parent)
    holding it under its name, as ``torch.relu`` (``torch._VariableFunctionsClass.relu``)."""
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if not (isinstance(module, str) and isinstance(qualname, str)):
        return None
    if _resolves_to(module, qualname, value):
        return f"{module}.{qualname}"
    name = getattr(value, "__name__", None)
    parts = module.split(".")
    for cut in range(len(parts), 0, -1):
        if isinstance(name, str) and _resolves_to(".".join(parts[:cut]), name, value):
            return f"{'.'.join(parts[:cut])}.{name}"
    return None


def _resolves_to(module: str, attributes: str, value: Any) -> bool:
    """Whether ``module.attributes`` names ``value``; only modules already imported are
    looked at (the object came from one), so writing a config imports nothing."""
    found: Any = sys.modules.get(module)
    for part in attributes.split("."):
        found = getattr(found, part, None)
    return found is value and found is not None


def _is_named_object(value: Any) -> bool:
    """A class or function (``type=MyModel``): written as its dotted path in every format.
    A callable instance (a module) has no name of its own: it is an object."""
    return isinstance(value, type) or (
        callable(value) and hasattr(value, "__name__") and hasattr(value, "__module__")
    )


def _not_importable(value: Any) -> bool:
    """A class or function whose dotted path names nothing importable.

    Those the config file itself defines (``class MyDataset: ...`` in the
    config), lambdas, functions local to another function, and objects whose
    module does not hold them under any name.
    """
    if not _is_named_object(value):
        return False
    qualname = getattr(value, "__qualname__", None)
    if not isinstance(qualname, str):
        return False
    module = getattr(value, "__module__", None)
    if module == CONFIG_MODULE_NAME or "<lambda>" in qualname or "<locals>" in qualname:
        return True
    # a module not imported here cannot be checked: its path is trusted as written
    return isinstance(module, str) and module in sys.modules and _found_path(value) is None


def unimportable_objects(value: Any, where: str = "") -> list[tuple[str, str]]:
    """``(key path, written path)`` of each class or function a dump cannot write back.

    A dump writes a class as its dotted path; for these the path imports
    nothing, so the dumped file does not load back to a working config.
    """
    if _not_importable(value):
        return [(where or "(top level)", _object_path(value))]
    found: list[tuple[str, str]] = []
    for path, item in _children(value, where):
        found += unimportable_objects(item, path)
    return found


def _children(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    """``(key path, item)`` of each item of a dict, list, tuple or set; nothing for a leaf."""
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, Mapping):
        items = _raw_items(value)
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        yield (f"{where}.{key}" if where else str(key)), item


def plain_scalar(value: Any) -> Any:
    """numpy's scalars (``np.float32(0.1)``, ``np.bool_``) and subclasses of int and float
    (an ``IntEnum``) as the builtin value, which every format writes as a number; whose
    ``repr`` (``np.float64(0.2)``, ``<Mode.FAST: 1>``) loads back as nothing or a string."""
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    if (
        type(value).__module__ == "numpy"
        and getattr(value, "ndim", None) == 0
        and kind in tuple("biuf")
    ):
        value = value.item()  # numbers and bools only (a datetime64 would become an int)
    if type(value) in (bool, int, float):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def object_values(
    value: Any, where: str = "", code: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """``(key path, type name)`` of each object a dump can only write as text (a dataset, a
    model instance): it loads back as a string, not as the object. ``code``: the builtins
    a ``.py`` dump writes as calls (:func:`python_code_builtins`)."""
    value = plain_scalar(value)  # numbers of numpy's, or an IntEnum: the plain number
    if value is None or isinstance(value, (str, bytes, numbers.Number, os.PathLike)):
        return []
    if _as_code(value, code) is not None:
        return []
    if _is_named_object(value) and _object_path(value) != repr(value):
        return []  # a class or function: its dotted path (see unimportable_objects)
    if not isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return [(where or "(top level)", type(value).__name__)]
    found: list[tuple[str, str]] = []
    for path, item in _children(value, where):
        found += object_values(item, path, code)
    return found


def python_code_builtins(cfg: Mapping[Any, Any]) -> frozenset[str]:
    """``range`` and ``slice``, which a ``.py`` dump writes as calls (``range(0, 12, 3)``
    loads back as the range, as in MMEngine), unless a top-level key shadows the name."""
    return frozenset({"range", "slice"} - {key for key in cfg if isinstance(key, str)})


def _as_code(value: Any, code: frozenset[str]) -> str | None:
    """``value`` as a call :func:`python_code_builtins` allows, or None."""
    if isinstance(value, range) and "range" in code:
        return repr(value)
    if isinstance(value, slice) and "slice" in code:
        parts = (value.start, value.stop, value.step)
        if all(part is None or type(part) is int for part in parts):
            return repr(value)
    return None


def unimportable_note(found: list[tuple[str, str]], limit: int = 8) -> str:
    """Comment lines opening a ``.py`` dump that holds :func:`unimportable_objects`."""
    lines = [
        "# NOTE: this dump does not load back to a working config. These values are",
        "# classes or functions defined in the config file itself (or lambdas, or objects",
        "# no dotted path imports); a dump cannot hold their code, so they are written as",
        "# names nothing can import:",
    ]
    lines += [f"#   {where} = {path!r}" for where, path in found[:limit]]
    if len(found) > limit:
        lines.append(f"#   ... and {len(found) - limit} more")
    lines += [
        "# Define them in a module of your project and import it in the config (or list",
        "# it in custom_imports and write type='Name'), or keep the original config file.",
    ]
    return "\n".join(lines) + "\n"


def _path_text(value: Any) -> Any:
    """A ``pathlib.Path`` (any ``os.PathLike``) as its path string; anything else unchanged.

    A config may hold ``work_dir=Path(...)``: written as its ``repr`` it would
    load back as the string ``"PosixPath('...')"``, a folder of that name.
    """
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def _scalar(value: Any, float_free: bool = True, code: frozenset[str] = frozenset()) -> str:
    value = _path_text(value)
    if isinstance(value, str):
        return repr(str(value))
    value = plain_scalar(value)
    if value is None or isinstance(value, (bool, int, bytes, complex)):
        return repr(value)  # Python literals (bytes and complex too, as MMEngine writes them)
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        if float_free:
            return f"float({repr(value)!r})"
        # a top-level key named `float` shadows the builtin in the dumped file
        return {"inf": "1e999", "-inf": "-1e999"}.get(repr(value), "(1e999 - 1e999)")
    if _is_named_object(value):
        return repr(_object_path(value))
    as_code = _as_code(value, code)
    return as_code if as_code is not None else repr(repr(value))


class _PythonWriter:
    def __init__(
        self, use_dict_call: bool, float_free: bool = True, code: frozenset[str] = frozenset()
    ) -> None:
        self.use_dict_call = use_dict_call
        self.float_free = float_free
        self.code = code

    def _dict_style(self, value: Mapping[Any, Any]) -> bool:
        return self.use_dict_call and all(_is_identifier(k) for k in value)

    def inline(self, value: Any) -> str:
        if isinstance(value, Mapping):
            if self._dict_style(value):
                return (
                    "dict(" + ", ".join(f"{k}={self.inline(v)}" for k, v in _raw_items(value)) + ")"
                )
            items = (f"{self.inline(k)}: {self.inline(v)}" for k, v in _raw_items(value))
            return "{" + ", ".join(items) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.inline(v) for v in value) + "]"
        if isinstance(value, tuple):
            if len(value) == 1:
                return f"({self.inline(value[0])},)"
            return "(" + ", ".join(self.inline(v) for v in value) + ")"
        if isinstance(value, (set, frozenset)):
            # sorted text, so the dump does not change with the hash seed
            members = ", ".join(sorted(self.inline(v) for v in value))
            if isinstance(value, frozenset):
                return f"frozenset({{{members}}})" if value else "frozenset()"
            return f"{{{members}}}" if value else "set()"
        return _scalar(value, self.float_free, self.code)

    def block(self, value: Any, indent: int, prefix_width: int) -> str:
        """``value`` formatted to start after ``prefix_width`` columns at ``indent`` levels."""
        one_line = self.inline(value)
        if len(INDENT) * indent + prefix_width + len(one_line) + 1 <= LINE_WIDTH:
            return one_line
        inner = INDENT * (indent + 1)
        closing = INDENT * indent
        if isinstance(value, Mapping) and value:
            if self._dict_style(value):
                lines = [
                    f"{inner}{k}={self.block(v, indent + 1, len(k) + 1)},"
                    for k, v in _raw_items(value)
                ]
                return "dict(\n" + "\n".join(lines) + f"\n{closing})"
            lines = []
            for k, v in _raw_items(value):
                key_text = self.inline(k)
                lines.append(f"{inner}{key_text}: {self.block(v, indent + 1, len(key_text) + 2)},")
            return "{\n" + "\n".join(lines) + f"\n{closing}}}"
        if isinstance(value, (list, tuple)) and value:
            opening, end = ("[", "]") if isinstance(value, list) else ("(", ")")
            if not any(isinstance(v, (Mapping, list, tuple)) for v in value):
                return opening + "\n" + self._fill(value, inner) + f"\n{closing}{end}"
            lines = [f"{inner}{self.block(v, indent + 1, 0)}," for v in value]
            return opening + "\n" + "\n".join(lines) + f"\n{closing}{end}"
        return one_line

    def _fill(self, items: Any, inner: str) -> str:
        """Scalars packed several to a line, each line ending with a comma."""
        lines: list[str] = []
        current = ""
        for item in items:
            piece = self.inline(item) + ","
            candidate = f"{current} {piece}" if current else piece
            if current and len(inner) + len(candidate) > LINE_WIDTH:
                lines.append(inner + current)
                candidate = piece
            current = candidate
        lines.append(inner + current)
        return "\n".join(lines)


def config_text(cfg: Any) -> str:
    """``cfg`` as its file reads (``pretty_text``), for a run's log and message hub: '' for
    none; a config that cannot be printed gives its error in its place (a run must not
    fail over its record)."""
    if cfg is None:
        return ""
    try:
        return str(getattr(cfg, "pretty_text", cfg))
    except Exception as exc:
        return f"<config text unavailable: {exc}>"


def format_python(cfg: Mapping[Any, Any]) -> str:
    """Python config source that loads back to ``cfg``."""
    writer = _PythonWriter(
        use_dict_call="dict" not in cfg,
        float_free="float" not in cfg,
        code=python_code_builtins(cfg),
    )
    lines = []
    for key, value in _raw_items(cfg):
        if not _is_identifier(key):
            raise ConfigError(
                f"cannot write the top-level key {key!r} into a Python config: it is not a "
                "valid Python name. Dump to .json or .yaml instead, or rename the key."
            )
        lines.append(f"{key} = {writer.block(value, 0, len(key) + 3)}")
    return "\n".join(lines) + ("\n" if lines else "")


def to_jsonable(value: Any, keep_tuples: bool = False) -> Any:
    """Builtin JSON types; tuples become lists (unless ``keep_tuples``).

    Classes and functions become their dotted path (as in ``pretty_text``),
    other objects their ``repr``.
    """
    if isinstance(value, Mapping):
        out = {}
        for key, item in _raw_items(value):
            if keep_tuples and isinstance(key, tuple):
                key = to_jsonable(key, keep_tuples)  # YAML writes a !!python/tuple key
            elif not (isinstance(key, (str, int, float, bool)) or key is None):
                key = repr(key)
            elif isinstance(key, str):
                key = str(key)
            out[key] = to_jsonable(item, keep_tuples)
        return out
    if isinstance(value, tuple) and keep_tuples:
        return tuple(to_jsonable(item, keep_tuples) for item in value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item, keep_tuples) for item in value]
    value = plain_scalar(_path_text(value))
    if isinstance(value, str):
        return str(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if _is_named_object(value):
        return _object_path(value)  # the path pretty_text writes, not "<class '...'>"
    if isinstance(value, (set, frozenset)) and value:  # its repr, in an order that does
        # not follow the hash seed (a dump differed from run to run)
        inner = "{" + ", ".join(sorted(map(repr, value))) + "}"
        return inner if type(value) is set else f"{type(value).__name__}({inner})"
    return repr(value)


def non_string_keys(value: Any, where: str = "") -> list[str]:
    """Dotted paths of the dicts inside ``value`` that have keys other than strings.

    JSON turns such keys into strings (``{86: 87}`` loads back as ``{'86': 87}``),
    so a JSON dump of them does not load back to the same config.
    """
    found: list[str] = []
    if isinstance(value, Mapping):
        if any(not isinstance(key, str) for key in value):
            found.append(where or "(top level)")
        for key, item in _raw_items(value):
            found += non_string_keys(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found += non_string_keys(item, f"{where}.{index}" if where else str(index))
    return found


def format_json(cfg: Mapping[Any, Any], indent: int | None = 4) -> str:
    return json.dumps(to_jsonable(cfg), indent=indent, ensure_ascii=False)


def format_yaml(cfg: Mapping[Any, Any]) -> str:
    """YAML text of ``cfg``; tuples tagged ``!!python/tuple`` so they load back as tuples."""
    import yaml

    return yaml.dump(
        to_jsonable(cfg, keep_tuples=True),
        Dumper=safe_dumper(),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
    )
