"""The serialisation formats ``load``/``dump`` know: json, yaml (yml), pickle (pkl).

The same formats and defaults as MMEngine's handlers (json turns sets, ranges
and numpy values into lists and numbers; pickle writes protocol 2), except
YAML: it is read with a safe loader (plain data, plus ``!!python/tuple``),
never building arbitrary Python objects, and written with the matching safe
dumper, which writes tuples as ``!!python/tuple`` as MMEngine's does.
"""

from __future__ import annotations

import json
import pickle
from typing import IO, Any

__all__ = ["FORMATS", "Format"]


def _is_numpy_value(obj: Any) -> bool:
    """Whether ``obj`` is a numpy array or scalar, subclasses included (``np.ma``, ``np.rec``).

    MMEngine's ``isinstance(obj, (np.ndarray, np.generic))``, without importing numpy.
    """
    return any(
        cls.__module__ == "numpy" and cls.__name__ in ("ndarray", "generic")
        for cls in type(obj).__mro__
    )


def json_default(obj: Any) -> Any:
    """What ``json`` cannot write by itself: sets and ranges as lists, numpy values as numbers."""
    if isinstance(obj, (set, range)):
        return list(obj)
    if _is_numpy_value(obj):
        return obj.tolist()
    raise TypeError(f"{type(obj)} is unsupported for json dump")


class Format:
    """Reads and writes one format, from file objects and to strings."""

    #: whether the format is text (json, yaml) rather than bytes (pickle)
    text = True

    def load(self, file: IO[Any], **kwargs: Any) -> Any:
        raise NotImplementedError

    def dump(self, obj: Any, file: IO[Any], **kwargs: Any) -> None:
        raise NotImplementedError

    def dumps(self, obj: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class JsonFormat(Format):
    def load(self, file: IO[Any], **kwargs: Any) -> Any:
        return json.load(file, **kwargs)

    def dump(self, obj: Any, file: IO[Any], **kwargs: Any) -> None:
        kwargs.setdefault("default", json_default)
        json.dump(obj, file, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", json_default)
        return json.dumps(obj, **kwargs)


class YamlFormat(Format):
    def load(self, file: IO[Any], **kwargs: Any) -> Any:
        import yaml

        from ..config.yaml_loading import safe_loader

        kwargs.setdefault("Loader", safe_loader())
        return yaml.load(file, **kwargs)  # noqa: S506 - a SafeLoader unless the caller chose

    def dump(self, obj: Any, file: IO[Any], **kwargs: Any) -> None:
        import yaml

        from ..config.yaml_loading import safe_dumper

        kwargs.setdefault("Dumper", safe_dumper())
        yaml.dump(obj, file, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        import yaml

        from ..config.yaml_loading import safe_dumper

        kwargs.setdefault("Dumper", safe_dumper())
        return yaml.dump(obj, **kwargs)


class PickleFormat(Format):
    text = False

    def load(self, file: IO[Any], **kwargs: Any) -> Any:
        return pickle.load(file, **kwargs)  # noqa: S301 - the caller's own file, as MMEngine

    def dump(self, obj: Any, file: IO[Any], **kwargs: Any) -> None:
        kwargs.setdefault("protocol", 2)
        pickle.dump(obj, file, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> bytes:
        kwargs.setdefault("protocol", 2)
        return pickle.dumps(obj, **kwargs)


_yaml, _pickle = YamlFormat(), PickleFormat()
#: file extension (or ``file_format``) -> its format
FORMATS: dict[str, Format] = {
    "json": JsonFormat(),
    "yaml": _yaml,
    "yml": _yaml,
    "pickle": _pickle,
    "pkl": _pickle,
}
