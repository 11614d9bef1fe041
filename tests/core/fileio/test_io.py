"""runner_core.fileio load/dump: round trips, MMEngine's output, and format errors."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from runner_core.fileio import FileFormatError, MissingFormatError, dump, load

DATA = {"b": [1, 2.5, "x"], "a": (1, 2), "c": {"z": None, "y": True}, "s": "héllo"}


@pytest.mark.parametrize("ext", ["json", "yaml", "yml", "pkl", "pickle"])
def test_round_trip_through_a_path(tmp_path: Path, ext: str) -> None:
    path = tmp_path / "new" / f"data.{ext}"  # the folder is created
    assert dump(DATA, path) is None
    loaded = load(path)
    loaded_str = load(str(path))
    assert loaded == loaded_str
    if ext == "json":  # json has no tuples
        assert loaded == {**DATA, "a": [1, 2]}
    else:  # yaml keeps tuples as !!python/tuple, as MMEngine writes them
        assert loaded == DATA and loaded["a"] == (1, 2)


def test_dump_to_string_matches_mmengine_text() -> None:
    assert dump(DATA, file_format="yaml") == (
        'a: !!python/tuple\n- 1\n- 2\nb:\n- 1\n- 2.5\n- x\nc:\n  y: true\n  z: null\ns: "h\\xE9llo"\n'
    )
    assert dump(DATA, file_format="json") == (
        '{"b": [1, 2.5, "x"], "a": [1, 2], "c": {"z": null, "y": true}, "s": "h\\u00e9llo"}'
    )
    blob = dump(DATA, file_format="pkl")
    assert isinstance(blob, bytes) and blob[:2] == b"\x80\x02"  # protocol 2, as MMEngine
    assert pickle.loads(blob) == DATA


def test_json_writes_sets_ranges_and_numpy_values() -> None:
    text = dump(
        {"f": np.float32(1.5), "i": np.int64(4), "arr": np.arange(3), "set": {3}, "r": range(2)},
        file_format="json",
    )
    assert json.loads(text) == {"f": 1.5, "i": 4, "arr": [0, 1, 2], "set": [3], "r": [0, 1]}
    with pytest.raises(TypeError, match="unsupported for json dump"):
        dump({"o": object()}, file_format="json")


def test_json_writes_numpy_array_subclasses() -> None:
    # MMEngine checks isinstance(obj, np.ndarray): masked and record arrays (classes
    # defined in numpy.ma / numpy.rec) are written as lists too
    text = dump(
        {
            "masked": np.ma.masked_array([1, 2]),
            "rec": np.rec.fromrecords([(1, 2.5)], names="a,b"),  # type: ignore[call-overload]
        },
        file_format="json",
    )
    assert json.loads(text) == {"masked": [1, 2], "rec": [[1, 2.5]]}


def test_file_objects_and_kwargs(tmp_path: Path) -> None:
    out = io.StringIO()
    dump([1, 2], out, file_format="json", indent=2)
    assert out.getvalue() == "[\n  1,\n  2\n]"
    assert load(io.StringIO(out.getvalue()), file_format="json") == [1, 2]
    path = tmp_path / "x.pkl"
    with open(path, "wb") as f:
        dump({"k": 1}, f, file_format="pkl")
    with open(path, "rb") as f:
        assert load(f, file_format="pkl") == {"k": 1}
    (tmp_path / "data.txt").write_text('{"a": 1}')
    assert load(tmp_path / "data.txt", file_format="json") == {"a": 1}  # format over extension


def test_yaml_is_read_safely(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("!!python/object/apply:os.system ['echo hi']\n")
    import yaml

    with pytest.raises(yaml.constructor.ConstructorError):
        load(path)


def test_unknown_format_names_the_file_and_the_known_formats(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError) as info:
        load(tmp_path / "notes.txt")
    assert isinstance(info.value, TypeError)  # MMEngine raises TypeError
    message = str(info.value)
    assert message.startswith("Unsupported format: txt (for ")
    assert "notes.txt" in message and "json, yaml, yml, pickle, pkl" in message
    with pytest.raises(TypeError, match="Unsupported format: txt"):
        dump(1, file_format="txt")
    with pytest.raises(TypeError, match='"file" must be a filepath str or a file-object'):
        load(123, file_format="json")


def test_dump_without_file_needs_a_format() -> None:
    with pytest.raises(
        MissingFormatError, match="file_format must be specified since file is None"
    ):
        dump({"a": 1})
    with pytest.raises(ValueError):  # MMEngine's exception
        dump({"a": 1})
