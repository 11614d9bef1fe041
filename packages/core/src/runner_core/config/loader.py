"""Reading one config file and its ``_base_`` chain into a plain dict.

This is MMEngine's ``Config._file2dict`` behaviour, step by step: textual
substitutions, bases loaded recursively (and merged with ``_delete_``
support), the file's own code run with ``_base_`` bound to the merged bases,
``{{_base_.x}}`` placeholders swapped for base values, then the file merged
over its bases. Pure-Python files are handed to :mod:`.pure_python`.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import json
import os
import types
import warnings
from dataclasses import dataclass, field
from typing import Any

from ..errors import a_or_an, add_note
from .config_dict import ConfigDict
from .errors import (
    ConfigError,
    ConfigFileNotFoundError,
    ConfigFormatError,
    ConfigKeyError,
    ConfigTypeError,
)
from .execution import make_globals, parse_source, run_module
from .files import check_not_in_chain, close_files, format_chain, read_text
from .merge import merge_into
from .pure_python import (
    has_read_base,
    is_pure_python,
    load_pure_python,
    refuse_read_base_in_classic,
)
from .substitution import (
    BASE_KEY,
    check_base_reference_positions,
    pre_substitute_base_references,
    substitute_base_references,
    substitute_environment_variables,
    substitute_predefined_variables,
    substitution_quoting_hint,
)
from .yaml_loading import load_yaml

SUPPORTED_EXTENSIONS = (".py", ".json", ".yaml", ".yml")
DEPRECATION_KEY = "_deprecation_"


@dataclass
class LoadedConfig:
    """The resolved dict of a config file plus what ``Config`` keeps about it."""

    cfg: dict[str, Any]
    texts: list[str] = field(default_factory=list)
    env_variables: dict[str, str] = field(default_factory=dict)
    imported_names: set[str] = field(default_factory=set)
    # top-level names a classic file defined but that are no config keys:
    # name -> "function" or "module" (MMEngine drops them too)
    dropped: dict[str, str] = field(default_factory=dict)
    #: read as a pure-Python config (``with read_base():``, imported classes)
    pure_python: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def _check_extension(filename: str, chain: tuple[str, ...]) -> str:
    extension = os.path.splitext(filename)[1]
    if extension not in SUPPORTED_EXTENSIONS:
        origin = f" (a base of {chain[-1]})" if chain else ""
        raise ConfigFormatError(
            f"{filename}{origin}: unsupported config file type {extension or '(none)'!r}; "
            f"a config must be one of {', '.join(SUPPORTED_EXTENSIONS)}."
        )
    return extension


def _parse_data_file(text: str, filename: str) -> dict[str, Any]:
    if filename.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{filename}:{exc.lineno}: invalid JSON ({exc.msg}, column {exc.colno})."
            ) from None
    else:
        data = load_yaml(text, filename)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{filename}: a config file must hold a mapping of keys to values at the top "
            f"level, not {a_or_an(type(data).__name__)}."
        )
    for key in data:
        if not isinstance(key, str):  # YAML 1.1 reads `no:`, `on:`, `1e3:` as values
            raise ConfigError(
                f"{filename}: the top-level key {key!r} is {a_or_an(type(key).__name__)}, not a "
                "name: YAML reads unquoted no, yes, on, off and numbers as values. Quote the "
                "key as written (e.g. 'no': 1) or rename it; config keys are names."
            )
    return data


def _base_files_of_python(tree: ast.Module, filename: str) -> list[str]:
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == BASE_KEY
        ):
            expression = ast.Expression(body=node.value)
            try:
                value = eval(  # noqa: S307 - the user's own config expression
                    compile(expression, filename, "eval"), {"__builtins__": builtins}
                )
            except Exception as exc:
                raise ConfigError(
                    f"{filename}:{node.lineno}: cannot evaluate `{BASE_KEY} = ...` ({exc}); "
                    "it must be a path or a list of paths."
                ) from None
            return _as_base_list(value, filename)
    return []


def _as_base_list(value: Any, filename: str) -> list[str]:
    bases = value if isinstance(value, (list, tuple)) else [value]
    for base in bases:
        if not isinstance(base, str):  # MMEngine: a TypeError
            raise ConfigTypeError(
                f"{filename}: {BASE_KEY} must be a path or a list of paths, "
                f"got {a_or_an(type(base).__name__)} {base!r}."
            )
    return list(bases)


class _RemoveBaseAssignments(ast.NodeTransformer):
    def visit_Assign(self, node: ast.Assign) -> Any:
        if isinstance(node.targets[0], ast.Name) and node.targets[0].id == BASE_KEY:
            return None
        return node


def package_root(package: str) -> str | None:
    """The folder of the installed package ``package`` (a top-level name); None if absent."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def resolve_base_path(reference: str, filename: str) -> tuple[str, str | None]:
    """The absolute path of a ``_base_`` entry, and its scope for ``pkg::path``.

    Only a Python package name before ``::`` makes it a package's config: a
    folder named ``exp::v2`` in a relative path (``./exp::v2/base.py``) is a
    path, where MMEngine looks for a package ``./exp``.
    """
    scope, _, relative = reference.partition("::")
    if relative and all(part.isidentifier() for part in scope.split(".")):
        package = scope.split(".")[0]
        root = package_root(package)
        if root is None:
            raise ConfigError(
                f"{filename}: base config {reference!r} comes from the package {package!r}, "
                f"which is not installed; install it or use a relative path."
            )
        candidates = _package_candidates(root, relative)
        for candidate in candidates:
            if os.path.isfile(candidate):
                return candidate, scope
        existing = [c for c in candidates if os.path.isdir(_configs_folder(c, relative))]
        return (existing or candidates)[0], scope
    path = os.path.expanduser(reference)
    return os.path.normpath(os.path.join(os.path.dirname(filename), path)), None


def _package_candidates(root: str, relative: str) -> list[str]:
    """Where ``pkg::relative`` may be: the installed ``.mim/configs`` (what a wheel
    ships), the package's own ``configs`` folder, or the checkout's ``configs``.

    The checkout's folder is beside the package, then, in a src layout
    (``project/src/pkg``), in the project folder that holds pyproject.toml: an
    editable install of such a project finds its configs without copying them.
    """
    parent = os.path.dirname(root)
    project = os.path.dirname(parent)
    places = [
        os.path.join(root, ".mim", "configs", relative),
        os.path.join(root, "configs", relative),
        os.path.join(parent, "configs", relative),
    ]
    if os.path.basename(parent) == "src" and os.path.isfile(
        os.path.join(project, "pyproject.toml")
    ):
        places.append(os.path.join(project, "configs", relative))
    return places


def _configs_folder(candidate: str, relative: str) -> str:
    return candidate[: -len(relative)].rstrip("/\\")


def package_config_places(root: str, relative: str) -> str:
    """Every file ``pkg::relative`` was looked for, for a "not found" message."""
    return ", ".join(_package_candidates(root, relative))


def _missing_base_hint(reference: str) -> str:
    """Where else a missing base was looked for, and what its path is relative to."""
    scope, _, relative = reference.partition("::")
    root = package_root(scope.split(".")[0])
    if root is None:
        return "Check the path in _base_ (it is relative to the file that names it)."
    folders = [_configs_folder(c, relative) for c in _package_candidates(root, relative)]
    found = [folder for folder in folders if os.path.isdir(folder)]
    return (
        f"All places searched: {package_config_places(root, relative)}. The part after '::' is "
        "relative to the package's configs folder ("
        + (f"found: {', '.join(found)}" if found else "none exists")
        + f"); check that {relative} is there."
    )


def _fresh_config_dicts(value: Any, scope: str | None, add_scope: bool = True) -> Any:
    """New ConfigDicts all the way down; tag the outermost typed dicts with ``_scope_``."""
    if isinstance(value, dict):
        result = ConfigDict()
        tag = scope is not None and add_scope and "type" in value
        for key, item in dict.items(value):
            dict.__setitem__(result, key, _fresh_config_dicts(item, scope, add_scope and not tag))
        if tag and dict.get(result, "_scope_") is None:
            dict.__setitem__(result, "_scope_", scope)
        return result
    if isinstance(value, (list, tuple)):
        return type(value)(_fresh_config_dicts(item, scope, add_scope) for item in value)
    return value


def load_file(
    filename: str,
    *,
    use_predefined_variables: bool = True,
    use_environment_variables: bool = True,
    lazy_import: bool | None = None,
    chain: tuple[str, ...] = (),
) -> LoadedConfig:
    """Resolve ``filename`` and its bases to one dict (MMEngine semantics)."""
    if not str(filename).strip():  # abspath('') is the working folder: "is a folder"
        raise ConfigFileNotFoundError(
            f"the config path is empty ({str(filename)!r}); pass the path of a config file "
            "(e.g. configs/my_config.py).",
            str(filename),
        )
    filename = os.path.abspath(os.path.expanduser(str(filename)))
    if os.path.isdir(filename):  # before its extension: "unsupported type '(none)'" misleads
        raise ConfigFileNotFoundError(
            f"{filename} is a folder, not a config file; pass the config file inside it "
            "(e.g. .../configs/my_config.py).",
            filename,
        )
    extension = _check_extension(filename, chain)
    requested_lazy = lazy_import
    check_not_in_chain(filename, chain)
    if not os.path.isfile(filename):
        read_text(filename, chain)  # raises the right "does not exist" error
    source = read_text(filename, chain)

    if extension == ".py":
        if lazy_import is None:
            try:
                lazy_import = is_pure_python(ast.parse(source, filename=filename))
            except SyntaxError:
                # e.g. `bs = {{$BATCH:8}}`: valid only after substitution, so classic;
                # a real syntax error is reported when the substituted text is parsed.
                lazy_import = False
        if lazy_import:
            result = load_pure_python(filename, chain, source, forced=requested_lazy is True)
            return LoadedConfig(
                cfg=result.cfg,
                texts=result.texts,
                imported_names=result.imported_names,
                pure_python=True,
            )

    text = source
    if use_predefined_variables:
        text = substitute_predefined_variables(text, filename)
    env_variables: dict[str, str] = {}
    if use_environment_variables:
        text, env_variables = substitute_environment_variables(text, filename)
    text, placeholders = pre_substitute_base_references(text)

    tree: ast.Module | None = None
    data: dict[str, Any] | None = None
    try:
        if extension == ".py":
            tree = parse_source(text, filename)
        else:
            data = _parse_data_file(text, filename)
    except ConfigError as exc:  # a syntax error: maybe a pasted path broke a string
        hint = substitution_quoting_hint(source, filename) if use_predefined_variables else ""
        if not hint:
            raise
        details = (
            (exc.filename, exc.lineno, exc.offset, exc.text, exc.end_lineno, exc.end_offset)
            if isinstance(exc, SyntaxError)
            else None
        )
        raise (
            type(exc)(f"{exc}{hint}", details) if details else type(exc)(f"{exc}{hint}")
        ) from None
    if tree is not None:
        refuse_read_base_in_classic(tree, filename)
        check_base_reference_positions(tree, placeholders, filename)
        base_files = _base_files_of_python(tree, filename)
    else:
        assert data is not None
        base_files = _as_base_list(data.get(BASE_KEY, []), filename)

    here = (*chain, filename)
    base_cfg = ConfigDict()
    base_origin: dict[str, str] = {}
    texts: list[str] = []
    dropped: dict[str, str] = {}
    for reference in base_files:
        path, scope = resolve_base_path(reference, filename)
        if os.path.isdir(path):
            raise ConfigFileNotFoundError(
                f"{filename}: base config {reference!r} is a folder ({path}), not a config "
                "file; name the config file inside it in _base_ (e.g. "
                f"'{reference.rstrip('/')}/base.py').",
                path,
            )
        if not os.path.isfile(path):
            raise ConfigFileNotFoundError(
                f"{filename}: base config {reference!r} not found (looked for "
                f"{path}).{close_files(path)} Inheritance chain: {format_chain((*here, path))}. "
                + (
                    _missing_base_hint(reference)
                    if scope is not None
                    else "Check the path in _base_ (it is relative to the file that names it)."
                ),
                path,
            )
        loaded = load_file(
            path,
            use_predefined_variables=use_predefined_variables,
            use_environment_variables=use_environment_variables,
            lazy_import=requested_lazy,
            chain=here,
        )
        if loaded.pure_python and requested_lazy is None:
            # lazy_import=False runs the base as classic code: fine for imported classes,
            # but its `with read_base():` relative imports then fail
            way_out = (
                ""
                if has_read_base(parse_source(read_text(path, here), path))
                else ", or load with lazy_import=False (its imports are then real)"
            )
            raise ConfigError(
                f"{filename}: base config {reference!r} is a pure-Python config (it uses "
                "`with read_base():` or imports classes), but this file sets `_base_ = ...`: "
                "a config and its bases must use one style (MMEngine refuses this too). "
                "Read the bases in this file with `with read_base(): from .base import *`"
                f"{way_out}."
            )
        texts.extend(loaded.texts)
        env_variables.update(loaded.env_variables)
        dropped.update(loaded.dropped)
        duplicates = sorted(set(base_cfg) & set(loaded.cfg), key=str)
        if duplicates:
            first = base_origin[duplicates[0]]
            if first == path:
                how = f"{path} is listed twice in _base_ (directly or through another base)"
            else:
                how = f"its bases {first} and {path} both define {', '.join(duplicates)}"
            raise ConfigKeyError(
                f"{filename}: {how}; a key may come from only one base, even when "
                f"{os.path.basename(filename)} sets it too (MMEngine refuses this as well). "
                "Keep it in at most one base (or in none, and set it in "
                f"{os.path.basename(filename)})."
            )
        for key in loaded.cfg:
            base_origin[key] = path
        dict.update(base_cfg, _fresh_config_dicts(loaded.cfg, scope))

    if tree is not None:
        tree = _RemoveBaseAssignments().visit(tree)
        namespace = make_globals(filename, {BASE_KEY: base_cfg})
        try:
            run_module(tree, filename, namespace)
        except ConfigError as exc:
            if requested_lazy is False and is_pure_python(tree):
                add_note(
                    exc,
                    f"{filename} is written in the pure-Python style (`with read_base():` "
                    "or imports of classes) but was read as a classic config because "
                    "lazy_import=False was given; load it with lazy_import=None (the style "
                    "is detected) or lazy_import=True.",
                )
            raise
        cfg_dict = {
            key: value
            for key, value in namespace.items()
            if key != BASE_KEY and not key.startswith("__")
        }
    else:
        assert data is not None
        cfg_dict = data

    for key, value in list(cfg_dict.items()):
        if isinstance(value, (types.FunctionType, types.ModuleType)):
            cfg_dict.pop(key)
            dropped[key] = "module" if isinstance(value, types.ModuleType) else "function"

    if DEPRECATION_KEY in cfg_dict:
        info = cfg_dict.pop(DEPRECATION_KEY) or {}
        message = f"The config file {filename} will be deprecated in the future."
        if isinstance(info, dict) and "expected" in info:
            message += f" Please use {info['expected']} instead."
        if isinstance(info, dict) and "reference" in info:
            message += f" More information can be found at {info['reference']}"
        warnings.warn(message, DeprecationWarning, stacklevel=2)

    cfg_dict = substitute_base_references(cfg_dict, placeholders, base_cfg, filename)
    cfg_dict.pop(BASE_KEY, None)
    merged = merge_into(cfg_dict, base_cfg)
    merged = {key: value for key, value in merged.items() if not str(key).startswith("__")}
    texts.append(f"{filename}\n{source}")
    dropped = {key: kind for key, kind in dropped.items() if key not in merged}
    return LoadedConfig(cfg=merged, texts=texts, env_variables=env_variables, dropped=dropped)
