"""Round trips and manipulation of configs, checked against MMEngine 0.10.7's behaviour.

What an MMEngine user does with a ``Config`` after loading it: dump it and
load the dump, print it, change it, delete keys, inherit values with
``{{_base_.x}}``. Where MMEngine writes something that does not load back
(``inf``, a class in JSON), the dump here is one that does.
"""

from __future__ import annotations

import collections
import json
import textwrap
from pathlib import Path

import pytest

from runner_core.config import Config, ConfigDict, ConfigError


def _reload(cfg: Config, path: Path) -> dict:
    cfg.dump(path)
    return Config.fromfile(path).to_dict()


# -- dumping ------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".py", ".json", ".yaml"])
def test_classes_and_functions_dump_as_dotted_paths_in_every_format(
    tmp_path: Path, suffix: str
) -> None:
    cfg = Config(dict(model=dict(type=collections.OrderedDict), hook=dict(fn=json.dumps)))
    back = _reload(cfg, tmp_path / f"out{suffix}")
    assert back == {
        "model": {"type": "collections.OrderedDict"},
        "hook": {"fn": "json.dumps"},
    }


def test_sets_bytes_and_complex_numbers_dump_as_python_literals(tmp_path: Path) -> None:
    values = dict(ids={3, 1, 2}, frozen=frozenset({"b", "a"}), none=set(), raw=b"\x00x", z=1 - 2j)
    cfg = Config(values)
    assert "ids = {1, 2, 3}\n" in cfg.pretty_text
    assert _reload(cfg, tmp_path / "out.py") == values


def test_infinities_load_back_when_a_top_level_key_is_named_float(tmp_path: Path) -> None:
    cfg = Config(dict(float=1, hi=float("inf"), lo=[float("-inf")]))
    assert _reload(cfg, tmp_path / "out.py") == {"float": 1, "hi": float("inf"), "lo": [-1e999]}


def test_named_tuples_are_kept_and_their_dicts_converted() -> None:
    Pair = collections.namedtuple("Pair", "low high")
    cfg = Config(dict(pair=Pair(1, dict(a=2))))
    assert type(cfg.pair) is Pair
    assert cfg.pair.high.a == 2
    assert isinstance(cfg.pair.high, ConfigDict)


# -- printing -----------------------------------------------------------------------------
def test_repr_and_str_print_plain_dicts_as_mmengine_does() -> None:
    cfg = Config(dict(model=dict(backbone=dict(depth=50)), pipeline=[dict(type="A")]))
    expected = "{'model': {'backbone': {'depth': 50}}, 'pipeline': [{'type': 'A'}]}"
    assert repr(cfg) == f"Config (path: None): {expected}"
    assert str(cfg) == repr(cfg)
    assert repr(cfg.model) == str(cfg.model) == "{'backbone': {'depth': 50}}"


def test_missing_attribute_message_is_mmengine_s_unless_a_key_is_close() -> None:
    cfg = ConfigDict(optimizer=dict(lr=0.1))
    with pytest.raises(AttributeError) as plain:
        _ = cfg.nothing_like_it
    assert str(plain.value) == "'ConfigDict' object has no attribute 'nothing_like_it'"
    with pytest.raises(AttributeError, match="Did you mean 'optimizer'"):
        _ = cfg.optimiser


def test_deleting_a_missing_attribute_is_mmengine_s_key_error_and_an_attribute_error() -> None:
    cfg = ConfigDict(a=1)
    with pytest.raises(KeyError, match="cannot delete 'b'"):
        del cfg.b
    with pytest.raises(AttributeError):
        del cfg.b
    assert not hasattr(cfg, "b")
    del cfg.a
    assert cfg == {}


# -- {{_base_.x}} -------------------------------------------------------------------------
def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "shown", "fix"),
    [
        ("lr = {{_base_.lr}} * 2", "child.py:2", "_base_.lr * 2"),
        ("idx = {{_base_.lr}}[1]", "child.py:2", "_base_.lr * 2"),
        ("n = len({{_base_.lr}})", "child.py:2", "_base_.lr * 2"),
        ("k = {{_base_.lr}}.upper()", "child.py:2", "_base_.lr * 2"),
        ("name = 'run_{{_base_.lr}}'", "child.py:2: {{_base_.lr}} is used", "f'run_{_base_.lr}'"),
        ("opts = [dict(x='{{ _base_.lr }}/2')]", "'{{_base_.lr}}/2'", "_base_.lr + '/2'"),
    ],
)
def test_a_base_reference_inside_an_expression_or_string_is_an_error(
    tmp_path: Path, line: str, shown: str, fix: str
) -> None:
    _write(tmp_path, "base.py", "lr = 0.01\n")
    child = _write(tmp_path, "child.py", f"_base_ = './base.py'\n{line}\n")
    with pytest.raises(ConfigError) as info:
        Config.fromfile(child)
    message = str(info.value)
    assert "child.py" in message and "{{_base_.lr}} is used inside" in message
    assert shown in message and fix in message


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("child.json", '{"_base_": "./base.yaml", "ref": "{{_base_.sizes}}"}'),
        ("child.yaml", "_base_: ./base.yaml\nref: '{{ _base_.sizes }}'\n"),
        ("child.py", "_base_ = './base.yaml'\nref = \"{{_base_.sizes}}\"\n"),
    ],
)
def test_a_quoted_whole_base_reference_is_the_base_value(
    tmp_path: Path, name: str, text: str
) -> None:
    _write(tmp_path, "base.yaml", "sizes: [1, 2]\n")
    cfg = Config.fromfile(_write(tmp_path, name, text))
    assert cfg.ref == [1, 2]


def test_fromstring_with_a_relative_base_explains_where_it_looked() -> None:
    with pytest.raises(FileNotFoundError) as info:
        Config.fromstring("_base_ = './base.py'\nb = 2\n", ".py")
    notes = getattr(info.value, "__notes__", [])
    assert any("Config.fromstring" in note and "absolute" in note for note in notes)


def test_json_dump_warns_when_number_keys_become_strings(tmp_path: Path) -> None:
    cfg = Config(dict(flip_label_map={86: 87}, pipeline=[dict(meta={0: "nose"})], ok={"a": 1}))
    with pytest.warns(UserWarning, match=r"flip_label_map, pipeline\.0\.meta into strings"):
        cfg.dump(tmp_path / "out.json")
    assert Config.fromfile(tmp_path / "out.json").flip_label_map == {"86": 87}
    # .py and .yaml keep them
    assert _reload(cfg, tmp_path / "out.yaml") == cfg.to_dict() == _reload(cfg, tmp_path / "o.py")
