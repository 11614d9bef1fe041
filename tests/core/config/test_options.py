from __future__ import annotations

import pytest

from runner_core.config import Config, ConfigError, parse_cfg_options


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", 1),
        ("010", 10),
        ("-1", -1),
        ("0.5", 0.5),
        (".5", 0.5),
        ("1E3", 1000.0),
        ("1e-5", 1e-5),
        ("true", True),
        ("FALSE", False),
        ("None", None),
        ("none", "none"),
        ("1.5.2", "1.5.2"),
        ("tcp://127.0.0.1:2345", "tcp://127.0.0.1:2345"),
        ("a=b", "a=b"),
        ("[1,2]", [1, 2]),
        ("1,2", [1, 2]),
        ("(1,2)", (1, 2)),
        ("(3,)", (3,)),
        ("[]", []),
        ("[(1,2),[3,4],5]", [(1, 2), [3, 4], 5]),
        ("[a, b, 'c']", ["a", "b", "c"]),
        ("'data/x'", "data/x"),
        ('"[30, 60, 90]"', [30, 60, 90]),
    ],
)
def test_option_values_parse_like_mmengine(text: str, value: object) -> None:
    parsed = parse_cfg_options([f"k={text}"])["k"]
    assert parsed == value and type(parsed) is type(value)


def test_last_option_wins_and_bad_syntax_is_clear() -> None:
    assert parse_cfg_options(["a=1", "a=2"]) == {"a": 2}
    with pytest.raises(ConfigError, match="KEY=VALUE.*no '='"):
        parse_cfg_options(["model.depth"])
    with pytest.raises(ConfigError, match="empty"):
        parse_cfg_options(["=3"])
    with pytest.raises(ConfigError, match="unbalanced"):
        parse_cfg_options(["a=[1,(2]"])


def _cfg() -> Config:
    return Config(
        dict(
            model=dict(backbone=dict(depth=50, out=(3,)), head=dict(loss=dict(type="CE", w=1))),
            pipeline=[dict(type="Load"), dict(type="Resize", scale=224)],
            lr=0.1,
        )
    )


def test_merge_from_dict_dotted_keys_lists_and_new_keys() -> None:
    cfg = _cfg()
    cfg.merge_from_dict(
        parse_cfg_options(
            [
                "model.backbone.depth=101",
                "model.backbone.out=(0,1)",
                "pipeline.1.scale=192",
                "pipeline.0.type=LoadCustom",
                "new.sub.value=3",
                "lr=None",
            ]
        )
    )
    assert cfg.model.backbone.to_dict() == {"depth": 101, "out": (0, 1)}
    assert cfg.pipeline[1].scale == 192 and cfg.pipeline[0].type == "LoadCustom"
    assert cfg.new.sub.value == 3
    assert cfg.lr is None


def test_merge_from_dict_delete() -> None:
    cfg = _cfg()
    cfg.merge_from_dict(
        parse_cfg_options(["model.head.loss._delete_=true", "model.head.loss.type=Focal"])
    )
    assert cfg.model.head.loss.to_dict() == {"type": "Focal"}


def test_merge_from_dict_list_index_errors() -> None:
    with pytest.raises(ConfigError, match="out of range"):
        _cfg().merge_from_dict({"pipeline.5.scale": 1})
    with pytest.raises(ConfigError, match="must be an index"):
        _cfg().merge_from_dict({"pipeline.first.scale": 1})
    cfg = _cfg()
    cfg.merge_from_dict({"pipeline.1.scale": 1}, allow_list_keys=False) if False else None
    with pytest.raises(ConfigError, match="_delete_"):
        _cfg().merge_from_dict({"pipeline.1.scale": 1}, allow_list_keys=False)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('[dict(type="EMAHook", momentum=0.001)]', [{"type": "EMAHook", "momentum": 0.001}]),
        # the shell ate the quotes: a bare name is a string, as in MMEngine's syntax
        ("[dict(type=EMAHook)]", [{"type": "EMAHook"}]),
        (
            "dict(type=mmdet.Foo, sizes=(1, 2), on=True)",
            {"type": "mmdet.Foo", "sizes": (1, 2), "on": True},
        ),
        ('{"num_classes": 10, "scale": -0.5}', {"num_classes": 10, "scale": -0.5}),
        ("[dict(a=[dict(b=None)])]", [{"a": [{"b": None}]}]),
    ],
)
def test_python_literal_values_with_dicts(text: str, value: object) -> None:
    assert parse_cfg_options([f"k={text}"])["k"] == value


def test_python_literal_values_never_run_code() -> None:
    for text in ("[dict(type=__import__('os').getcwd())]", "{'a': open('x')}", "dict(1, 2)"):
        with pytest.raises(ConfigError, match="looks like Python .* cannot be read"):
            parse_cfg_options([f"k={text}"])


def test_dict_action_reads_a_tools_train_command_line() -> None:
    import argparse

    from runner_core.config import DictAction

    parser = argparse.ArgumentParser(prog="tools/train.py")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    args = parser.parse_args(
        ["--cfg-options", "train_cfg.max_epochs=3", "model.widths=[8,16]", "--cfg-options", "a=x"]
    )
    assert args.cfg_options == {"train_cfg.max_epochs": 3, "model.widths": [8, 16], "a": "x"}
    cfg = Config(dict(train_cfg=dict(max_epochs=10), model=dict(widths=[1])))
    cfg.merge_from_dict(args.cfg_options)
    assert cfg.train_cfg.max_epochs == 3 and cfg.model.widths == [8, 16]


def test_dict_action_bad_item_is_a_usage_error(capsys) -> None:
    import argparse

    from runner_core.config import DictAction

    parser = argparse.ArgumentParser(prog="tools/train.py")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--cfg-options", "max_epochs"])
    assert exited.value.code == 2
    assert "expects KEY=VALUE items" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "error: --eval-options expects KEY=VALUE items"),
        ("a=[1,2", "error: --eval-options value '[1,2' has unbalanced brackets"),
        ("a={'x': }", "error: --eval-options value \"{'x': }\" looks like Python"),
        ("a=foo(1,2)", "error: --eval-options value 'foo(1,2)' cannot be read"),
    ],
)
def test_dict_action_errors_name_their_own_option(capsys, value: str, expected: str) -> None:
    """Not always --cfg-options: tools/test.py has --eval-options with DictAction too."""
    import argparse

    from runner_core.config import DictAction

    parser = argparse.ArgumentParser(prog="tools/test.py")
    parser.add_argument("--eval-options", nargs="+", action=DictAction)
    with pytest.raises(SystemExit):
        parser.parse_args(["--eval-options", value])
    err = capsys.readouterr().err
    assert expected in err
    assert "--cfg-options" not in err
