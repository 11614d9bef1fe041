"""``Config``: a resolved config file with attribute access, merging and dumping."""

from __future__ import annotations

import argparse
import copy
import difflib
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import add_note
from .auto_argparser import build_auto_argparser
from .config_dict import ConfigDict, refuse_method_attribute
from .custom_imports import import_custom_modules as import_custom
from .errors import (
    ConfigError,
    ConfigFileNotFoundError,
    ConfigFormatError,
    ConfigKeyError,
    ConfigTypeError,
)
from .formatting import (
    format_json,
    format_python,
    format_yaml,
    non_string_keys,
    object_values,
    python_code_builtins,
    unimportable_note,
    unimportable_objects,
)
from .lazy import finalize_lazy, to_builtin
from .loader import load_file
from .merge import merge_into

RESERVED_KEYS = ("filename", "text", "pretty_text", "env_variables")
_FORMATS = {".py": "py", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}


class Config:
    """A config: a :class:`ConfigDict` plus where it came from.

    ``cfg.model.type``, ``cfg["model"]["type"]`` and ``cfg.get("model")`` all
    work; ``filename`` and ``text`` (the source of the file and all its bases)
    describe the origin, e.g. for checkpoint metadata.

    ``format_python_code`` is accepted for MMEngine compatibility and has no
    effect: ``pretty_text`` is always produced without yapf.
    """

    def __init__(
        self,
        cfg_dict: Mapping[str, Any] | None = None,
        cfg_text: str | None = None,
        filename: str | os.PathLike[str] | None = None,
        env_variables: dict[str, str] | None = None,
        format_python_code: bool = True,
    ) -> None:
        if cfg_dict is None:
            cfg_dict = {}
        elif not isinstance(cfg_dict, Mapping):
            raise ConfigTypeError(f"Config expects a dict, got {type(cfg_dict).__name__}.")
        for key in cfg_dict:
            if key in RESERVED_KEYS:
                raise ConfigKeyError(
                    f"{filename or 'config'}: {key!r} is reserved for Config's own attributes "
                    f"({', '.join(RESERVED_KEYS)}); rename that key."
                )
        if not isinstance(cfg_dict, ConfigDict):
            cfg_dict = ConfigDict(cfg_dict)
        filename = os.fspath(filename) if filename is not None else None
        if cfg_text is None:
            if filename and os.path.isfile(filename):
                with open(filename, encoding="utf-8-sig") as handle:
                    cfg_text = handle.read()
            else:
                cfg_text = ""
        object.__setattr__(self, "_cfg_dict", cfg_dict)
        object.__setattr__(self, "_filename", filename)
        object.__setattr__(self, "_text", cfg_text)
        object.__setattr__(self, "_env_variables", dict(env_variables or {}))
        # names a pure-Python config imported (not config keys); see to_dict(keep_imported=)
        object.__setattr__(self, "_imported", {})
        # top-level functions and modules of a classic config file, left out of the keys
        # as MMEngine does: name -> "function" / "module", for the error when one is read
        object.__setattr__(self, "_dropped", {})

    # -- construction ----------------------------------------------------------------
    @staticmethod
    def fromfile(
        filename: str | os.PathLike[str],
        use_predefined_variables: bool = True,
        import_custom_modules: bool = True,
        use_environment_variables: bool = True,
        lazy_import: bool | None = None,
        format_python_code: bool = True,
    ) -> Config:
        """Load a ``.py``, ``.json``, ``.yaml`` or ``.yml`` config and its ``_base_`` chain.

        ``lazy_import=None`` detects the pure-Python style (``with read_base():``)
        the way MMEngine does. ``custom_imports`` in the result are imported.
        ``format_python_code`` is accepted for MMEngine compatibility (no yapf here).
        """
        path = os.fspath(filename)
        loaded = load_file(
            path,
            use_predefined_variables=use_predefined_variables,
            use_environment_variables=use_environment_variables,
            lazy_import=lazy_import,
        )
        cfg_dict = {k: v for k, v in loaded.cfg.items() if k not in loaded.imported_names}
        cfg_dict = finalize_lazy(ConfigDict(cfg_dict))
        imported = {k: v for k, v in loaded.cfg.items() if k in loaded.imported_names}
        cfg = Config(
            cfg_dict,
            cfg_text=loaded.text,
            filename=os.path.abspath(os.path.expanduser(path)),
            env_variables=loaded.env_variables,
        )
        object.__setattr__(cfg, "_imported", finalize_lazy(imported))
        object.__setattr__(cfg, "_dropped", dict(loaded.dropped))
        if import_custom_modules and cfg_dict.get("custom_imports"):
            import_custom(cfg)
        return cfg

    @staticmethod
    def fromstring(cfg_str: str, file_format: str) -> Config:
        """Load config source text given as a string (``file_format``: .py/.json/.yaml)."""
        import tempfile

        if not file_format.startswith("."):
            file_format = "." + file_format
        if file_format not in _FORMATS:
            raise ConfigFormatError(
                f"unsupported config format {file_format!r}; use .py, .json or .yaml."
            )
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "config" + file_format)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(cfg_str)
            try:
                cfg = Config.fromfile(path)
            except ConfigFileNotFoundError as exc:
                add_note(
                    exc,
                    "Config.fromstring reads the text from a temporary folder, so a relative "
                    "base path points there: write base paths as absolute paths, or save the "
                    "text to a file next to its bases and use Config.fromfile.",
                )
                raise
        object.__setattr__(cfg, "_filename", None)
        return cfg

    # -- what the config came from ---------------------------------------------------
    @property
    def filename(self) -> str | None:
        return self._filename

    @property
    def text(self) -> str:
        """Source text of the file and all its bases (each prefixed by its path)."""
        return self._text

    @property
    def env_variables(self) -> dict[str, str]:
        return self._env_variables

    @property
    def pretty_text(self) -> str:
        """The resolved config as Python source (loads back to the same dict).

        Classes and functions the config file itself defines cannot be written
        back (only their names): the text then opens with a comment saying so.
        """
        return self._python_text(unimportable_objects(self._cfg_dict))

    def _python_text(self, found: list[tuple[str, str]]) -> str:
        """The Python source, opening with the note on ``found`` (unimportable values)."""
        text = format_python(self._cfg_dict)
        return unimportable_note(found) + text if found else text

    # -- conversion and changes --------------------------------------------------------
    def to_dict(self, keep_imported: bool = False) -> dict[str, Any]:
        """The config as builtin dicts/lists/tuples; imported classes as dotted strings.

        ``keep_imported=True`` adds, first, the names a pure-Python config
        imported (``from torch.optim import AdamW`` gives ``'AdamW':
        'torch.optim.AdamW'``): MMEngine keeps those beside the config keys.
        """
        result = to_builtin(self._cfg_dict)
        if keep_imported and self._imported:
            imported = to_builtin(self._imported)
            result = {**imported, **result}
        return result

    @staticmethod
    def diff(
        cfg1: str | os.PathLike[str] | Config | Mapping[str, Any],
        cfg2: str | os.PathLike[str] | Config | Mapping[str, Any],
    ) -> str:
        """A unified diff of two configs' ``pretty_text`` with keys sorted (paths are loaded
        first, plain dicts taken as configs), so the same content in another order shows no
        difference.

        As MMEngine's ``Config.diff``, but plain text: no colour codes and no
        wrapping, so it can be written to a file or compared in a test.
        """

        def as_config(cfg: Any) -> Config:
            if isinstance(cfg, Config):
                return cfg
            if isinstance(cfg, Mapping):
                return Config(cfg)
            return Config.fromfile(cfg)

        first, second = as_config(cfg1), as_config(cfg2)
        # keys sorted, as MMEngine's pretty_text sorts them: the same content in another
        # order is no difference
        lines = difflib.unified_diff(
            format_python(_key_sorted(first._cfg_dict)).splitlines(),
            format_python(_key_sorted(second._cfg_dict)).splitlines(),
            fromfile=first.filename or "",
            tofile=second.filename or "",
            lineterm="",
        )
        return "".join(line + "\n" for line in lines)

    @staticmethod
    def auto_argparser(
        description: str | None = None, args: Sequence[str] | None = None
    ) -> tuple[argparse.ArgumentParser, Config]:
        """A parser with a ``config`` argument and one ``--key.sub`` option per config value.

        MMEngine's experimental helper: the config named on the command line
        (``args``, default ``sys.argv[1:]``) is loaded, and returned with the parser.
        """
        return build_auto_argparser(Config.fromfile, description, args)

    def merge_from_dict(self, options: Mapping[str, Any], allow_list_keys: bool = True) -> None:
        """Merge ``{"a.b.c": value}`` overrides (``--cfg-options``) into this config.

        Digit keys index into lists (``pipeline.1.scale``) when ``allow_list_keys``;
        a dict value with ``_delete_=True`` replaces instead of merging.
        """
        nested: dict[str, Any] = {}
        for full_key, value in options.items():
            node = nested
            parts = str(full_key).split(".")
            if any(not part for part in parts):
                raise ConfigError(
                    f"option key {full_key!r} has an empty part; write dotted keys like "
                    "model.backbone.depth."
                )
            for part in parts[:-1]:
                node = node.setdefault(part, ConfigDict())
                if not isinstance(node, dict):
                    raise ConfigTypeError(
                        f"option {full_key!r} conflicts with another option that sets "
                        f"{part!r} to a plain value."
                    )
            node[parts[-1]] = value
        merged = merge_into(nested, self._cfg_dict, allow_list_keys=allow_list_keys)
        object.__setattr__(self, "_cfg_dict", ConfigDict(merged))

    def dump(
        self, file: str | os.PathLike[str] | None = None, file_format: str | None = None
    ) -> str | None:
        """Write the config to ``file`` (format from its extension), or return the text.

        Without ``file``, the format is ``file_format`` or the one of
        ``self.filename`` (Python when unknown). JSON has no tuples: they are
        written as lists; YAML writes them as ``!!python/tuple``, as MMEngine.
        """
        if file_format is None:
            source = os.fspath(file) if file is not None else (self._filename or "config.py")
            extension = os.path.splitext(source)[1]
            if extension not in _FORMATS:
                raise ConfigTypeError(
                    f"cannot dump a config to {source!r}: use a .py, .json, .yaml or .yml file."
                )
            file_format = _FORMATS[extension]
        file_format = _FORMATS.get("." + file_format.lstrip("."), file_format)
        found = unimportable_objects(self._cfg_dict)
        if found:
            keys = [where for where, _ in found]
            target = os.fspath(file) if file is not None else "the dumped text"
            warnings.warn(
                f"{self._filename or 'config'}: {', '.join(keys[:3])}"
                f"{' and more' if len(keys) > 3 else ''} hold classes or functions defined "
                f"in the config file itself (or lambdas, or objects no dotted path imports); "
                "a dump cannot hold their code and "
                f"writes them as names nothing can import ({found[0][1]!r}), so {target} "
                "does not load back to a working config. Define them in a module of your "
                "project and import it in the config (or list it in custom_imports and "
                "write type='Name'), or keep the original config file.",
                stacklevel=2,
            )
        code = python_code_builtins(self._cfg_dict) if file_format == "py" else frozenset()
        objects = object_values(self._cfg_dict, code=code)
        if objects:
            target = os.fspath(file) if file is not None else "the dumped text"
            keys = [f"{where} ({kind})" for where, kind in objects]
            warnings.warn(
                f"{self._filename or 'config'}: {', '.join(keys[:3])}"
                f"{' and more' if len(keys) > 3 else ''} "
                f"{'holds an object' if len(keys) == 1 else 'hold objects'}, which a config "
                f"file cannot hold: {target} has the text (repr) instead, which loads back "
                "as a string, not the object. Give a config (dict(type=..., ...)) or a plain "
                "value (a string, a number) there to keep the dump loadable.",
                stacklevel=2,
            )
        if file_format == "py":
            text = self._python_text(found)  # the walk above, not a second one
        elif file_format == "json":
            text = format_json(self._cfg_dict) + "\n"
            paths = non_string_keys(self._cfg_dict)
            if paths:
                warnings.warn(
                    f"dumping the config to JSON turns the number (or other non-string) keys "
                    f"of {', '.join(paths[:3])}{' and more' if len(paths) > 3 else ''} into "
                    "strings, so the file does not load back to the same config; dump to "
                    ".py or .yaml to keep them.",
                    stacklevel=2,
                )
        elif file_format == "yaml":
            text = format_yaml(self._cfg_dict)
        else:
            raise ConfigTypeError(f"unknown dump format {file_format!r}; use py, json or yaml.")
        if file is None:
            return text
        Path(file).parent.mkdir(parents=True, exist_ok=True)
        Path(file).write_text(text, encoding="utf-8")
        return None

    # -- dict-like access -------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        try:
            return getattr(self._cfg_dict, name)
        except AttributeError:
            kind = vars(self).get("_dropped", {}).get(name)
            if kind is None:
                raise
        if kind == "module":
            raise AttributeError(
                f"{name!r} is not a key of the config {self._filename}: it is a module the "
                "file imports, and a config keeps no modules it imports, in either style "
                f"(MMEngine's classic configs drop them too). Import {name} in the code that "
                "needs it."
            ) from None
        raise AttributeError(
            f"{name!r} is not a key of the config {self._filename}: it is a function the "
            "file defines, and a classic config (one without `with read_base():` or imports "
            "of classes) keeps no functions it defines, as in MMEngine. Use it inside the "
            f"file (e.g. fn=dict(type={name})), put it in a module of your project and "
            "import it where you need it, or write the config in the pure-Python style, "
            "which keeps functions."
        ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in RESERVED_KEYS:
            raise ConfigError(f"{name!r} is a read-only attribute of Config.")
        refuse_method_attribute(self, name, ConfigDict)
        self._cfg_dict[name] = value

    def __delattr__(self, name: str) -> None:
        delattr(self._cfg_dict, name)

    def __getitem__(self, key: Any) -> Any:
        return self._cfg_dict[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._cfg_dict[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._cfg_dict[key]

    def __contains__(self, key: object) -> bool:
        return key in self._cfg_dict

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cfg_dict)

    def __len__(self) -> int:
        return len(self._cfg_dict)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Config):
            return self._cfg_dict == other._cfg_dict
        if isinstance(other, Mapping):
            return self._cfg_dict == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Config (path: {self._filename}): {dict.__repr__(self._cfg_dict)}"

    def __copy__(self) -> Config:
        other = Config(copy.copy(self._cfg_dict), self._text, self._filename, self._env_variables)
        object.__setattr__(other, "_imported", dict(self._imported))
        object.__setattr__(other, "_dropped", dict(self._dropped))
        return other

    def __deepcopy__(self, memo: dict[int, Any]) -> Config:
        other = Config(
            copy.deepcopy(self._cfg_dict, memo), self._text, self._filename, self._env_variables
        )
        object.__setattr__(other, "_imported", copy.deepcopy(self._imported, memo))
        object.__setattr__(other, "_dropped", dict(self._dropped))
        return other

    def copy(self) -> Config:
        return self.__copy__()

    def __getstate__(self) -> tuple[Any, ...]:
        return (
            self._cfg_dict,
            self._filename,
            self._text,
            self._env_variables,
            self._imported,
            self._dropped,
        )

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        object.__setattr__(self, "_imported", {})  # absent from states pickled before them
        object.__setattr__(self, "_dropped", {})
        names = ("_cfg_dict", "_filename", "_text", "_env_variables", "_imported", "_dropped")
        for name, value in zip(names, state):
            object.__setattr__(self, name, value)


def _key_sorted(value: Any) -> Any:
    """``value`` with every dict's keys in sorted order (stored values, nothing resolved)."""
    if isinstance(value, dict):
        items = sorted(dict.items(value), key=lambda item: str(item[0]))
        return {key: _key_sorted(item) for key, item in items}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_key_sorted(item) for item in value)
    return value
