"""File handlers: the built-in ones, and a format registered with register_handler."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import IO, Any

import numpy as np
import pytest

from runner_core.fileio import (
    BaseFileHandler,
    FileArgumentError,
    FileFormatError,
    JsonHandler,
    PickleHandler,
    YamlHandler,
    dump,
    load,
    register_handler,
)
from runner_core.fileio.handlers import file_handlers


def test_builtin_handlers_are_registered_by_extension() -> None:
    assert isinstance(file_handlers["json"], JsonHandler)
    assert isinstance(file_handlers["yaml"], YamlHandler)
    assert isinstance(file_handlers["yml"], YamlHandler)
    assert isinstance(file_handlers["pkl"], PickleHandler)
    assert isinstance(file_handlers["pickle"], PickleHandler)
    assert JsonHandler.str_like and YamlHandler.str_like and not PickleHandler.str_like
    with pytest.raises(TypeError, match="abstract"):
        BaseFileHandler()  # type: ignore[abstract]


def test_handlers_on_paths(tmp_path: Path) -> None:
    PickleHandler().dump_to_path({"a": (1, 2)}, tmp_path / "x.pkl")
    assert (tmp_path / "x.pkl").read_bytes()[:2] == b"\x80\x02"  # protocol 2, as MMEngine
    assert PickleHandler().load_from_path(tmp_path / "x.pkl") == {"a": (1, 2)}
    JsonHandler().dump_to_path({"s": {3}, "f": np.float32(0.5)}, tmp_path / "x.json")
    assert (tmp_path / "x.json").read_text() == '{"s": [3], "f": 0.5}'
    assert JsonHandler().load_from_path(tmp_path / "x.json") == {"s": [3], "f": 0.5}
    YamlHandler().dump_to_path({"t": (1, 2)}, tmp_path / "x.yaml")
    assert (tmp_path / "x.yaml").read_text() == "t: !!python/tuple\n- 1\n- 2\n"
    assert YamlHandler().load_from_path(tmp_path / "x.yaml") == {"t": (1, 2)}


def test_json_handler_numpy_and_set_defaults() -> None:
    # MMEngine's set_default: sets/ranges to lists, ndarray.tolist(), np.generic.item()
    text = JsonHandler().dump_to_str(
        {"b": np.bool_(True), "i": np.int32(3), "a": np.zeros((1, 2), np.uint8), "r": range(2)}
    )
    assert json.loads(text) == {"b": True, "i": 3, "a": [[0, 0]], "r": [0, 1]}
    with pytest.raises(TypeError, match="is unsupported for json dump"):
        JsonHandler().dump_to_str(object())
    assert JsonHandler().dump_to_str({"x": {1}}, default=lambda o: "custom") == '{"x": "custom"}'


class TxtHandler(BaseFileHandler):
    """Plain text: the object's str, one file."""

    def __init__(self, upper: bool = False) -> None:
        self.upper = upper

    def load_from_fileobj(self, file: IO[Any], **kwargs: Any) -> str:
        return str(file.read())

    def dump_to_fileobj(self, obj: Any, file: IO[Any], **kwargs: Any) -> None:
        file.write(self.dump_to_str(obj))

    def dump_to_str(self, obj: Any, **kwargs: Any) -> str:
        return str(obj).upper() if self.upper else str(obj)


def test_a_registered_handler_serves_load_and_dump(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="Unsupported format: txt"):
        dump("x", tmp_path / "a.txt")
    decorated = register_handler("txt")(TxtHandler)
    assert decorated is TxtHandler  # the decorator returns the class
    dump("hello", tmp_path / "a.txt")
    assert (tmp_path / "a.txt").read_text() == "hello"
    assert load(tmp_path / "a.txt") == "hello"
    assert dump(42, file_format="txt") == "42"
    assert load(io.StringIO("from a file object"), file_format="txt") == "from a file object"


def test_register_handler_with_kwargs_and_several_formats(tmp_path: Path) -> None:
    @register_handler(["log", "md"], upper=True)
    class Upper(TxtHandler):
        pass

    dump("shout", tmp_path / "a.log")
    assert (tmp_path / "a.log").read_text() == "SHOUT"
    assert dump("x", file_format="md") == "X"

    @register_handler("json")  # replaces the built-in, as MMEngine
    class JsonAsText(TxtHandler):
        pass

    assert dump({"a": 1}, file_format="json") == "{'a': 1}"


def test_a_bytes_handler_reads_and_writes_bytes(tmp_path: Path) -> None:
    @register_handler("raw")
    class Raw(BaseFileHandler):
        str_like = False

        def load_from_fileobj(self, file: IO[Any], **kwargs: Any) -> bytes:
            return bytes(file.read())

        def dump_to_fileobj(self, obj: Any, file: IO[Any], **kwargs: Any) -> None:
            file.write(bytes(obj))

        def dump_to_str(self, obj: Any, **kwargs: Any) -> bytes:
            return bytes(obj)

    dump(b"\xff\x00", tmp_path / "a.raw")
    assert (tmp_path / "a.raw").read_bytes() == b"\xff\x00"
    assert load(tmp_path / "a.raw") == b"\xff\x00"


def test_registering_a_non_handler_is_a_type_error() -> None:
    with pytest.raises(FileArgumentError) as info:
        register_handler("foo")(dict)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)  # as MMEngine
    assert str(info.value).startswith("handler must be a child of BaseFileHandler, not")
    with pytest.raises(TypeError, match=r"file_formats must be a str or a list of str"):
        register_handler(3)(TxtHandler)  # type: ignore[arg-type]
    assert 3 not in file_handlers


def test_yaml_dump_writes_config_sections_numpy_values_and_paths_as_plain_data(
    tmp_path: Path,
) -> None:
    """What MMEngine's yaml.Dumper writes (with !!python tags) is written as plain YAML,
    which our safe loader reads back: a ConfigDict section, metrics that are numpy
    values, an OrderedDict, a path."""
    from collections import OrderedDict

    from runner_core.config import ConfigDict
    from runner_core.fileio import dump, load

    data = {
        "model": ConfigDict(type="Net", depth=np.int64(18)),
        "metrics": OrderedDict(acc=np.float64(0.5), hist=np.arange(3)),
        "where": tmp_path / "x",
        "pair": (1, 2),
    }
    dump(data, tmp_path / "out.yaml")
    text = (tmp_path / "out.yaml").read_text()
    assert "!!python/object" not in text
    assert load(tmp_path / "out.yaml") == {
        "model": {"type": "Net", "depth": 18},
        "metrics": {"acc": 0.5, "hist": [0, 1, 2]},
        "where": str(tmp_path / "x"),
        "pair": (1, 2),
    }
    with pytest.raises(Exception, match="cannot represent"):
        dump({"x": object()}, file_format="yaml")  # what has no plain form is still refused
