"""``Config``: a resolved config file with attribute access, merging and dumping."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .config_dict import ConfigDict
from .custom_imports import import_custom_modules as import_custom
from .errors import ConfigError, ConfigKeyError, ConfigTypeError
from .formatting import format_json, format_python, format_yaml
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
    """

    def __init__(
        self,
        cfg_dict: Mapping[str, Any] | None = None,
        cfg_text: str | None = None,
        filename: str | os.PathLike[str] | None = None,
        env_variables: dict[str, str] | None = None,
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
                with open(filename, encoding="utf-8") as handle:
                    cfg_text = handle.read()
            else:
                cfg_text = ""
        object.__setattr__(self, "_cfg_dict", cfg_dict)
        object.__setattr__(self, "_filename", filename)
        object.__setattr__(self, "_text", cfg_text)
        object.__setattr__(self, "_env_variables", dict(env_variables or {}))

    # -- construction ----------------------------------------------------------------
    @staticmethod
    def fromfile(
        filename: str | os.PathLike[str],
        use_predefined_variables: bool = True,
        import_custom_modules: bool = True,
        use_environment_variables: bool = True,
        lazy_import: bool | None = None,
    ) -> Config:
        """Load a ``.py``, ``.json``, ``.yaml`` or ``.yml`` config and its ``_base_`` chain.

        ``lazy_import=None`` detects the pure-Python style (``with read_base():``)
        the way MMEngine does. ``custom_imports`` in the result are imported.
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
        cfg = Config(
            cfg_dict,
            cfg_text=loaded.text,
            filename=os.path.abspath(os.path.expanduser(path)),
            env_variables=loaded.env_variables,
        )
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
            raise ConfigError(
                f"unsupported config format {file_format!r}; use .py, .json or .yaml."
            )
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "config" + file_format)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(cfg_str)
            cfg = Config.fromfile(path)
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
        """The resolved config as Python source (loads back to the same dict)."""
        return format_python(self._cfg_dict)

    # -- conversion and changes --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The config as builtin dicts/lists/tuples; imported classes as dotted strings."""
        return to_builtin(self._cfg_dict)

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
                    raise ConfigError(
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
        ``self.filename`` (Python when unknown). JSON and YAML have no tuples:
        tuples are written as lists.
        """
        if file_format is None:
            source = os.fspath(file) if file is not None else (self._filename or "config.py")
            extension = os.path.splitext(source)[1]
            if extension not in _FORMATS:
                raise ConfigError(
                    f"cannot dump a config to {source!r}: use a .py, .json, .yaml or .yml file."
                )
            file_format = _FORMATS[extension]
        file_format = _FORMATS.get("." + file_format.lstrip("."), file_format)
        if file_format == "py":
            text = self.pretty_text
        elif file_format == "json":
            text = format_json(self._cfg_dict) + "\n"
        elif file_format == "yaml":
            text = format_yaml(self._cfg_dict)
        else:
            raise ConfigError(f"unknown dump format {file_format!r}; use py, json or yaml.")
        if file is None:
            return text
        Path(file).parent.mkdir(parents=True, exist_ok=True)
        Path(file).write_text(text, encoding="utf-8")
        return None

    # -- dict-like access -------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(self._cfg_dict, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in RESERVED_KEYS:
            raise ConfigError(f"{name!r} is a read-only attribute of Config.")
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
        return Config(copy.copy(self._cfg_dict), self._text, self._filename, self._env_variables)

    def __deepcopy__(self, memo: dict[int, Any]) -> Config:
        return Config(
            copy.deepcopy(self._cfg_dict, memo), self._text, self._filename, self._env_variables
        )

    def copy(self) -> Config:
        return self.__copy__()

    def __getstate__(self) -> tuple[Any, ...]:
        return (self._cfg_dict, self._filename, self._text, self._env_variables)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(("_cfg_dict", "_filename", "_text", "_env_variables"), state):
            object.__setattr__(self, name, value)
