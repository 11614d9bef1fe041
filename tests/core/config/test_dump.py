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


@pytest.mark.filterwarnings("ignore:dumping the config to JSON")  # RICH has number keys
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
    assert (cfg.dump() or "").strip() == "a: 1"
    assert json.loads(cfg.dump(file_format="json") or "") == {"a": 1}
    assert cfg.dump(file_format="py") == "a = 1\n"


def test_dump_of_loaded_file_keeps_imported_names_as_strings(write, tmp_path: Path) -> None:
    cfg = Config.fromfile(write("c.py", "from pkg.mod import Net\nmodel = dict(type=Net)\n"))
    out = tmp_path / "again.py"
    cfg.dump(out)
    assert Config.fromfile(out).to_dict() == {"model": {"type": "pkg.mod.Net"}}


# MMEngine's `cfg.dump('x.yaml')` output for these values, byte for byte
MMENGINE_YAML = """\
test_pipeline:
- keep_ratio: true
  scale: !!python/tuple
  - 1333
  - 800
  type: Resize
topk: !!python/tuple
- 1
- 5
"""


def test_yaml_written_by_mmengine_loads_with_its_tuples(write) -> None:
    cfg = Config.fromfile(write("mm.yaml", MMENGINE_YAML))
    assert cfg.to_dict() == {
        "test_pipeline": [{"keep_ratio": True, "scale": (1333, 800), "type": "Resize"}],
        "topk": (1, 5),
    }


def test_yaml_dump_writes_tuples_as_mmengine_does_and_round_trips(tmp_path: Path) -> None:
    import yaml

    cfg = Config(
        dict(
            test_pipeline=[dict(type="Resize", scale=(1333, 800), keep_ratio=True)],
            topk=(1, 5),
            nested=((1, (2, 3)), [4, (5,)]),
            empty=(),
            ranges={(0, 32): "small", (32, (96, 128)): "large"},  # tuple keys stay tuples
        )
    )
    path = tmp_path / "out.yaml"
    cfg.dump(path)
    text = path.read_text()
    assert "scale: !!python/tuple\n" in text and "topk: !!python/tuple\n- 1\n- 5\n" in text
    assert Config.fromfile(path).to_dict() == cfg.to_dict()
    # MMEngine reads YAML with PyYAML's full loader: it gets the same tuples
    assert yaml.load(text, Loader=yaml.FullLoader) == cfg.to_dict()  # noqa: S506


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/name:os.system\n",
        "x: !!python/object/new:collections.OrderedDict []\n",
        "x: !!python/list [1]\n",
        "x: !!python/module:os\n",
    ],
)
def test_yaml_python_tags_other_than_tuple_stay_refused(write, text: str) -> None:
    from runner_core.config import ConfigError

    with pytest.raises(ConfigError, match="is refused"):
        Config.fromfile(write("evil.yaml", text))


def test_yaml_tuple_tag_on_a_mapping_is_invalid_yaml(write) -> None:
    from runner_core.config import ConfigError

    with pytest.raises(ConfigError, match=r"c\.yaml:1: invalid YAML .*must be a sequence"):
        Config.fromfile(write("c.yaml", "x: !!python/tuple {a: 1}\n"))


def test_a_set_dumps_to_json_in_an_order_that_does_not_follow_the_hash_seed() -> None:
    """Its repr followed PYTHONHASHSEED: the same config dumped differently per process."""
    import subprocess
    import sys

    code = (
        "from runner_core.config.formatting import to_jsonable; "
        "print(to_jsonable({'keys': {'lr', 'acc', 'loss', 'top5'}, "
        "'frozen': frozenset({'b', 'a'}), 'empty': set()}))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert outs == {
        "{'keys': \"{'acc', 'loss', 'lr', 'top5'}\", 'frozen': \"frozenset({'a', 'b'})\", "
        "'empty': 'set()'}\n"
    }


def test_a_dump_of_objects_warns_that_they_load_back_as_text() -> None:
    """A Config holding a dataset object dumped `'<...TensorDataset object at 0x...>'`
    into the run folder's config.py without a word; re-running it failed far away."""
    import warnings

    import torch
    from torch.utils.data import TensorDataset

    cfg = Config(dict(loader=dict(dataset=TensorDataset(torch.zeros(2)), batch_size=2)))
    with pytest.warns(UserWarning, match=r"loader\.dataset \(TensorDataset\) holds an object"):
        cfg.dump()
    import enum

    import numpy as np

    class Mode(enum.IntEnum):
        FAST = 1

    numbers = dict(
        mode=Mode.FAST, lr=np.float64(0.2), n=np.int64(3), f=np.float32(0.5), b=np.bool_(True)
    )
    # written as the plain values (an IntEnum's repr, np.float64(0.2), did not load back;
    # JSON wrote "np.int64(3)" as a string, YAML refused the IntEnum)
    assert Config(numbers).dump() == "mode = 1\nlr = 0.2\nn = 3\nf = 0.5\nb = True\n"
    plain = dict(mode=1, lr=0.2, n=3, f=0.5, b=True)
    assert json.loads(Config(numbers).dump(file_format="json")) == plain
    assert Config(numbers).dump(file_format="yaml") == "mode: 1\nlr: 0.2\nn: 3\nf: 0.5\nb: true\n"
    plain = Config(dict(model=dict(type="Net", act=torch.nn.ReLU), lr=0.1, fn=print, sq=np.sqrt))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # classes and functions are written as their paths
        plain.dump()


def test_python_dump_writes_range_and_slice_as_calls(tmp_path: Path) -> None:
    """They load back as the range and slice (MMEngine writes them so too); JSON cannot."""
    import warnings

    cfg = Config(dict(train_cfg=dict(val_epochs=range(0, 12, 3)), crop=slice(0, 224)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg.dump(tmp_path / "c.py")
    assert "val_epochs=range(0, 12, 3)" in (tmp_path / "c.py").read_text(encoding="utf-8")
    loaded = Config.fromfile(tmp_path / "c.py")
    assert (loaded.train_cfg.val_epochs, loaded.crop) == (range(0, 12, 3), slice(0, 224))
    with pytest.warns(UserWarning, match=r"val_epochs \(range\)"):
        cfg.dump(tmp_path / "c.json")
    # a top-level key named range shadows the builtin in the dumped file: text then
    shadowed = Config(dict(range=range(3)))
    with pytest.warns(UserWarning, match=r"range \(range\) holds an object"):
        shadowed.dump(tmp_path / "s.py")
    assert Config.fromfile(tmp_path / "s.py").range == "range(0, 3)"
