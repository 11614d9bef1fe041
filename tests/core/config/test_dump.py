from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner_core.config import Config

RICH = dict(
    model=dict(
        type="M",
        backbone=dict(depth=50, out_indices=(3,), norm=dict(type="BN", requires_grad=True)),
        tags=["a", "b"],
        empty=dict(),
        none=None,
        ratio=0.5,
        big=float("inf"),
    ),
    pipeline=[dict(type="Load"), dict(type="Resize", scale=(256, -1), keep_ratio=True)],
    weird_keys={"a-b": 1, 3: "three", "class": 2},
    nested=[[1, 2], (3, (4, 5)), []],
    message='it\'s "quoted"\nnewline',
    long_list=list(range(60)),
)


def _jsonish(value):
    return json.loads(json.dumps(value))


def test_python_dump_round_trips_exactly(tmp_path: Path) -> None:
    cfg = Config(RICH)
    path = tmp_path / "out.py"
    cfg.dump(path)
    assert Config.fromfile(path).to_dict() == cfg.to_dict()
    assert cfg.pretty_text == path.read_text()
    assert "dict(" in cfg.pretty_text
    assert max(len(line) for line in cfg.pretty_text.splitlines()) <= 100


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_json_yaml_dump_round_trips(tmp_path: Path, suffix: str) -> None:
    cfg = Config(RICH)
    path = tmp_path / f"out{suffix}"
    cfg.dump(path)
    back = Config.fromfile(path).to_dict()
    # JSON/YAML have no tuples and only string keys in JSON: compare in JSON terms
    assert _jsonish(back) == _jsonish(cfg.to_dict())


def test_dump_without_file_returns_text_in_the_source_format(write) -> None:
    cfg = Config.fromfile(write("c.yaml", "a: 1\n"))
    assert cfg.dump().strip() == "a: 1"
    assert json.loads(cfg.dump(file_format="json")) == {"a": 1}
    assert cfg.dump(file_format="py") == "a = 1\n"


def test_dump_of_loaded_file_keeps_imported_names_as_strings(write, tmp_path: Path) -> None:
    cfg = Config.fromfile(write("c.py", "from pkg.mod import Net\nmodel = dict(type=Net)\n"))
    out = tmp_path / "again.py"
    cfg.dump(out)
    assert Config.fromfile(out).to_dict() == {"model": {"type": "pkg.mod.Net"}}
