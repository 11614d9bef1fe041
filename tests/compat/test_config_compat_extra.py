"""Config behaviour code written for MMEngine 0.10.7 relies on.

``ConfigDict.pop`` without a default, ``Config.diff``, ``to_dict(keep_imported=)``,
``format_python_code=``, ``Config.auto_argparser``, and the exception types
MMEngine raises (our errors subclass them, so ``except KeyError:`` still
catches a missing ``{{_base_.x}}``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from runner_core import Config
from runner_core.config import ConfigDict, ConfigError


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def make(relative: str, source: str) -> Path:
        path = tmp_path / relative
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
        return path

    return make


# -- ConfigDict.pop ----------------------------------------------------------------------
def test_pop_of_a_missing_key_returns_none_or_the_default() -> None:
    cfg = Config(dict(model=dict(type="A", init_cfg=dict(type="Pretrained"))))
    assert cfg.model.pop("init_cfg") == {"type": "Pretrained"}
    assert cfg.model.pop("init_cfg") is None
    assert cfg.pop("resume") is None
    assert ConfigDict(a=1).pop("b", 7) == 7
    assert cfg.to_dict() == {"model": {"type": "A"}}


# -- Config.diff ---------------------------------------------------------------------------
def test_diff_is_a_unified_diff_of_the_pretty_texts(write) -> None:
    a = Config(dict(a=1, b=dict(c=[1, 2])))
    b = Config(dict(a=2, b=dict(c=[1, 2])))
    diff = Config.diff(a, b)
    assert diff.splitlines()[:3] == ["--- ", "+++ ", "@@ -1,2 +1,2 @@"]
    assert "-a = 1\n+a = 2\n" in diff
    assert " b = dict(c=[1, 2])\n" in diff
    assert "\x1b[" not in diff  # plain text, no colour codes
    assert Config.diff(a, Config(dict(a=1, b=dict(c=[1, 2])))) == ""
    # plain dicts are configs too (they failed in fromfile: "expected str ... not dict")
    assert Config.diff(dict(a=1, b=dict(c=[1, 2])), dict(a=2, b=dict(c=[1, 2]))) == diff


def test_diff_ignores_the_key_order_as_mmengines_sorted_text(write) -> None:
    a = Config(dict(lr=0.1, epochs=5, model=dict(b=1, a=2)))
    b = Config(dict(epochs=5, lr=0.1, model=dict(a=2, b=1)))
    assert a == b and Config.diff(a, b) == ""
    assert "-epochs = 5\n+epochs = 6\n" in Config.diff(a, Config(dict(epochs=6, lr=0.1)))


def test_diff_loads_paths(write) -> None:
    first = write("one.py", "lr = 0.1\n")
    second = write("two.py", "lr = 0.2\n")
    diff = Config.diff(str(first), second)
    assert diff.startswith(f"--- {first}\n+++ {second}\n")
    assert "-lr = 0.1\n+lr = 0.2\n" in diff


# -- to_dict(keep_imported=) ------------------------------------------------------------------
def test_to_dict_keep_imported_adds_the_imported_names(write) -> None:
    cfg = Config.fromfile(
        write(
            "c.py",
            """
            from torch.optim import AdamW
            import torch.nn as nn
            opt = dict(type=AdamW)
            act = nn.ReLU
            """,
        )
    )
    plain = {"opt": {"type": "torch.optim.AdamW"}, "act": "torch.nn.ReLU"}
    assert cfg.to_dict() == plain
    assert cfg.to_dict(keep_imported=False) == plain
    kept = cfg.to_dict(keep_imported=True)
    assert kept == {"AdamW": "torch.optim.AdamW", "nn": "torch.nn", **plain}
    assert list(kept)[:2] == ["AdamW", "nn"]  # imports first, as in the file
    assert type(kept["AdamW"]) is str
    assert "AdamW" not in cfg  # still not a config key
    for again in (cfg.copy(), Config.fromstring(cfg.pretty_text, ".py")):
        assert again.to_dict(keep_imported=False) == plain
    import copy
    import pickle

    assert copy.deepcopy(cfg).to_dict(keep_imported=True) == kept
    assert pickle.loads(pickle.dumps(cfg)).to_dict(keep_imported=True) == kept
    assert Config(dict(a=1)).to_dict(keep_imported=True) == {"a": 1}


# -- format_python_code= -------------------------------------------------------------------
def test_format_python_code_is_accepted_and_changes_nothing(write) -> None:
    path = write("c.py", "model = dict(type='M', depth=50)\n")
    formatted = Config.fromfile(path, format_python_code=True)
    unformatted = Config.fromfile(path, format_python_code=False)
    assert formatted.pretty_text == unformatted.pretty_text
    built = Config(dict(a=1), format_python_code=False)
    assert built.pretty_text == "a = 1\n"


# -- Config.auto_argparser ------------------------------------------------------------------
def test_auto_argparser_adds_one_typed_option_per_value(
    write, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        "c.py",
        """
        model = dict(type='M', depth=50, drop=0.1, frozen=False, stages=[1, 2], norm=None)
        names = ('a', 'b')
        """,
    )
    monkeypatch.setattr("sys.argv", ["train.py", str(path), "--model.depth", "101"])
    with pytest.warns(UserWarning, match="model.norm"):
        parser, cfg = Config.auto_argparser("my tool")
    assert isinstance(cfg, Config) and cfg.model.depth == 50
    assert parser.description == "my tool"
    args = parser.parse_args(
        [
            str(path),
            "--model.depth",
            "101",
            "--model.drop",
            "0.5",
            "--model.frozen",
            "--model.stages",
            "3",
            "4",
            "--model.type",
            "N",
            "--names",
            "x",
        ]
    )
    values = vars(args)
    assert values["config"] == str(path)
    assert values["model.depth"] == 101 and values["model.drop"] == 0.5
    assert values["model.frozen"] is True and values["model.stages"] == [3, 4]
    assert values["model.type"] == "N" and values["names"] == ["x"]
    unset = vars(parser.parse_args([str(path)]))
    assert unset["model.depth"] is None and unset["model.frozen"] is False
    assert "model.norm" not in unset
    with pytest.raises(SystemExit):
        parser.parse_args([str(path), "--model.depth", "deep"])


def test_auto_argparser_takes_args_and_needs_the_config(write) -> None:
    path = write("c.py", "lr = 0.1\n")
    parser, cfg = Config.auto_argparser(args=[str(path), "--lr", "0.2"])
    assert parser.parse_args([str(path), "--lr", "0.2"]).lr == 0.2
    with pytest.raises(SystemExit):
        Config.auto_argparser(args=[])


# -- exception types --------------------------------------------------------------------
def _files(write) -> None:
    write("base.py", "x = 1\nm = dict(a=1)\n")
    write("base2.py", "x = 2\n")
    write("lazy_base.py", "from torch.optim import SGD\nopt = dict(type=SGD)\n")


ERROR_CASES: list[tuple[str, type[BaseException], str, Callable[..., object]]] = [
    (
        "merge_from_dict puts a dict over a scalar",
        TypeError,
        "a dict can only be merged into a dict",
        lambda w: Config(dict(x=1)).merge_from_dict({"x.y": 1}),
    ),
    (
        "merge_from_dict list index out of range",
        KeyError,
        "out of range",
        lambda w: Config(dict(l=[dict(a=1)])).merge_from_dict({"l.3.a": 1}),
    ),
    (
        "merge_from_dict names a list item by a non-index key",
        TypeError,
        "must be an index",
        lambda w: Config(dict(l=[dict(a=1)])).merge_from_dict({"l.a.b": 1}),
    ),
    (
        "a child config puts a dict over a base scalar",
        TypeError,
        "x: a dict is given \\(by a child config",
        lambda w: Config.fromfile(w("c1.py", "_base_ = './base.py'\nx = dict(a=1)\n")),
    ),
    (
        "{{_base_.missing}}",
        KeyError,
        r"_base_\.nope\}\} refers to _base_\.nope",
        lambda w: Config.fromfile(w("c2.py", "_base_ = './base.py'\ny = {{_base_.nope}}\n")),
    ),
    (
        "the same key in two bases",
        KeyError,
        "both define x",
        lambda w: Config.fromfile(w("c3.py", "_base_ = ['./base.py', './base2.py']\n")),
    ),
    (
        "an unset environment variable without a default",
        KeyError,
        r"\$QA_SURELY_NOT_SET_X, which is not set",
        lambda w: Config.fromfile(w("c4.py", "a = '{{$QA_SURELY_NOT_SET_X:}}'\n")),
    ),
    (
        "a syntax error in a config",
        SyntaxError,
        r"c5\.py:1: syntax error",
        lambda w: Config.fromfile(w("c5.py", "a = dict(\n")),
    ),
    (
        "a .txt config",
        OSError,
        "unsupported config file type '.txt'",
        lambda w: Config.fromfile(w("c6.txt", "a = 1\n")),
    ),
    (
        "fromstring with an unsupported format",
        OSError,
        "unsupported config format",
        lambda w: Config.fromstring("a = 1", ".txt"),
    ),
    (
        "dump to an unsupported extension",
        TypeError,
        "cannot dump a config",
        lambda w: Config(dict(a=1)).dump(w("out.txt", "")),
    ),
    (
        "_base_.missing in a .py config",
        AttributeError,
        r"c7\.py:2: .*no attribute 'nope'",
        lambda w: Config.fromfile(w("c7.py", "_base_ = './base.py'\ny = _base_.nope\n")),
    ),
    (
        "config code raising NameError",
        NameError,
        r"c8\.py:1: running the config raised NameError",
        lambda w: Config.fromfile(w("c8.py", "a = undefined_name\n")),
    ),
    (
        "config code raising KeyError",
        KeyError,
        r"c9\.py:1: running the config raised KeyError",
        lambda w: Config.fromfile(w("c9.py", "a = {}['k']\n")),
    ),
    (
        "an unknown key in custom_imports",
        TypeError,
        "unknown key",
        lambda w: Config.fromfile(w("c10.py", "custom_imports = dict(imports=[], nope=1)\n")),
    ),
    (
        "a read_base import of a name the base does not define",
        KeyError,
        "does not define 'nope'",
        lambda w: Config.fromfile(
            w(
                "c11.py",
                "from mmengine.config import read_base\n"
                "with read_base():\n    from .lazy_base import nope\n",
            )
        ),
    ),
    (
        "reading a lazily imported class of an uninstalled package",
        ModuleNotFoundError,
        "No module named 'qa_not_installed_pkg'",
        lambda w: (
            Config.fromfile(
                w("c12.py", "from qa_not_installed_pkg import Net\nm = dict(type=Net)\n")
            ).m.type
        ),
    ),
]


@pytest.mark.parametrize(
    ("mmengine_type", "match", "action"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_errors_are_the_types_mmengine_raises(
    write, mmengine_type: type[BaseException], match: str, action: Callable[..., object]
) -> None:
    _files(write)
    with pytest.raises(mmengine_type, match=match) as caught:
        action(write)
    assert isinstance(caught.value, ConfigError)  # and still ours, with our message
