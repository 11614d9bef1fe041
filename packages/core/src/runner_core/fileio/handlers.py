"""File handlers: how ``load``/``dump`` read and write each format (MMEngine's ``handlers``).

json, yaml (yml) and pickle (pkl) are registered; ``@register_handler('txt')``
on a :class:`BaseFileHandler` subclass adds a format, which ``load``/``dump``
then pick by extension or ``file_format``. The same defaults as MMEngine's
(json turns sets, ranges and numpy values into lists and numbers; pickle
writes protocol 2), except YAML: it is read with a safe loader (plain data,
plus ``!!python/tuple``), never building arbitrary Python objects, and written
with the matching safe dumper, which writes tuples as ``!!python/tuple`` as
MMEngine's does. ``load_from_fileobj`` takes keyword arguments for every
handler (MMEngine's json one takes none).
"""

from __future__ import annotations

import functools
import json
import pickle
from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from .errors import FileArgumentError

__all__ = [
    "BaseFileHandler",
    "JsonHandler",
    "PickleHandler",
    "YamlHandler",
    "file_handlers",
    "json_default",
    "register_handler",
]


class BaseFileHandler(metaclass=ABCMeta):
    """Reads and writes one format, from and to file objects and strings.

    ``str_like``: whether the format is text (``StringIO``, ``get_text``)
    rather than bytes (``BytesIO``, ``get``): ``load``/``dump`` choose with it.
    """

    str_like = True

    @abstractmethod
    def load_from_fileobj(self, file: IO[Any], **kwargs: Any) -> Any:
        """The data in the open file ``file``."""

    @abstractmethod
    def dump_to_fileobj(self, obj: Any, file: IO[Any], **kwargs: Any) -> None:
        """Write ``obj`` to the open file ``file``."""

    @abstractmethod
    def dump_to_str(self, obj: Any, **kwargs: Any) -> Any:
        """``obj`` as the format's text (bytes for byte formats)."""

    def load_from_path(self, filepath: str | Path, mode: str = "r", **kwargs: Any) -> Any:
        """The data in the local file ``filepath``, opened with ``mode`` (utf-8 for text)."""
        encoding = None if "b" in mode else "utf-8"
        with open(filepath, mode, encoding=encoding) as f:
            return self.load_from_fileobj(f, **kwargs)

    def dump_to_path(self, obj: Any, filepath: str | Path, mode: str = "w", **kwargs: Any) -> None:
        """Write ``obj`` to the local file ``filepath``, opened with ``mode`` (utf-8 for text)."""
        encoding = None if "b" in mode else "utf-8"
        with open(filepath, mode, encoding=encoding) as f:
            self.dump_to_fileobj(obj, f, **kwargs)


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


class JsonHandler(BaseFileHandler):
    """json; ``default`` is :func:`json_default` unless given."""

    def load_from_fileobj(self, file: IO[Any], **kwargs: Any) -> Any:
        return json.load(file, **kwargs)

    def dump_to_fileobj(self, obj: Any, file: IO[Any], **kwargs: Any) -> None:
        kwargs.setdefault("default", json_default)
        json.dump(obj, file, **kwargs)

    def dump_to_str(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", json_default)
        return json.dumps(obj, **kwargs)


@functools.cache
def yaml_data_dumper() -> type[Any]:
    """The config's safe dumper, plus what MMEngine's ``yaml.Dumper`` writes with
    ``!!python`` tags a safe loader refuses: dict subclasses (``OrderedDict``,
    ``defaultdict``, ``ConfigDict``) as maps, ``str`` subclasses and paths as
    strings, numpy values as numbers and lists (as ``json_default`` does).
    """
    import os

    from ..config.yaml_loading import safe_dumper

    base = safe_dumper()

    class DataDumper(base):  # type: ignore[misc, valid-type]
        pass

    def represent_other(dumper: Any, data: Any) -> Any:
        if _is_numpy_value(data):
            return dumper.represent_data(data.tolist())
        if isinstance(data, os.PathLike):
            return dumper.represent_str(os.fspath(data))
        return dumper.represent_undefined(data)

    DataDumper.add_multi_representer(dict, lambda d, data: d.represent_dict(dict(data)))
    DataDumper.add_multi_representer(str, lambda d, data: d.represent_str(str(data)))
    DataDumper.add_multi_representer(object, represent_other)
    return DataDumper


class YamlHandler(BaseFileHandler):
    """YAML, read and written safely (``Loader``/``Dumper`` kwargs choose otherwise)."""

    def load_from_fileobj(self, file: IO[Any], **kwargs: Any) -> Any:
        import yaml

        from ..config.yaml_loading import safe_loader

        kwargs.setdefault("Loader", safe_loader())
        return yaml.load(file, **kwargs)  # noqa: S506 - a SafeLoader unless the caller chose

    def dump_to_fileobj(self, obj: Any, file: IO[Any], **kwargs: Any) -> None:
        import yaml

        kwargs.setdefault("Dumper", yaml_data_dumper())
        yaml.dump(obj, file, **kwargs)

    def dump_to_str(self, obj: Any, **kwargs: Any) -> str:
        import yaml

        kwargs.setdefault("Dumper", yaml_data_dumper())
        return yaml.dump(obj, **kwargs)


class PickleHandler(BaseFileHandler):
    """pickle, written with protocol 2 unless ``protocol`` is given (as MMEngine)."""

    str_like = False

    def load_from_fileobj(self, file: IO[Any], **kwargs: Any) -> Any:
        return pickle.load(file, **kwargs)  # noqa: S301 - the caller's own file, as MMEngine

    def load_from_path(self, filepath: str | Path, mode: str = "rb", **kwargs: Any) -> Any:
        return super().load_from_path(filepath, mode=mode, **kwargs)

    def dump_to_fileobj(self, obj: Any, file: IO[Any], **kwargs: Any) -> None:
        kwargs.setdefault("protocol", 2)
        pickle.dump(obj, file, **kwargs)

    def dump_to_str(self, obj: Any, **kwargs: Any) -> bytes:
        kwargs.setdefault("protocol", 2)
        return pickle.dumps(obj, **kwargs)

    def dump_to_path(self, obj: Any, filepath: str | Path, mode: str = "wb", **kwargs: Any) -> None:
        super().dump_to_path(obj, filepath, mode=mode, **kwargs)


_yaml, _pickle = YamlHandler(), PickleHandler()
#: file extension (or ``file_format``) -> the handler ``load``/``dump`` use (one per format)
file_handlers: dict[str, BaseFileHandler] = {
    "json": JsonHandler(),
    "yaml": _yaml,
    "yml": _yaml,
    "pickle": _pickle,
    "pkl": _pickle,
}


def _register_handler(handler: Any, file_formats: Any) -> None:
    if not isinstance(handler, BaseFileHandler):
        raise FileArgumentError(
            f"handler must be a child of BaseFileHandler, not {type(handler)}: subclass "
            "BaseFileHandler and implement load_from_fileobj, dump_to_fileobj and dump_to_str."
        )
    formats = [file_formats] if isinstance(file_formats, str) else file_formats
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise FileArgumentError(
            f"file_formats must be a str or a list of str (registering "
            f"{type(handler).__name__}), got {file_formats!r}."
        )
    for ext in formats:
        file_handlers[ext] = handler


def register_handler(
    file_formats: str | list[str], **kwargs: Any
) -> Callable[[type[BaseFileHandler]], type[BaseFileHandler]]:
    """Class decorator: handle ``file_formats`` (extensions) with ``cls(**kwargs)`` from now on.

    ``@register_handler('txt')`` on a :class:`BaseFileHandler` subclass makes
    ``load('a.txt')`` and ``dump(obj, 'a.txt')`` use it; an existing format
    is replaced (as MMEngine).
    """

    def wrap(cls: type[BaseFileHandler]) -> type[BaseFileHandler]:
        _register_handler(cls(**kwargs), file_formats)
        return cls

    return wrap
