from __future__ import annotations

import copy
import pickle

import pytest

from runner_core.config import Config, ConfigDict


def test_nested_dicts_become_config_dicts_with_attribute_access() -> None:
    cfg = ConfigDict(model=dict(backbone=dict(depth=50)), pipeline=[dict(type="A")])
    assert cfg.model.backbone.depth == 50
    assert isinstance(cfg.pipeline[0], ConfigDict)
    assert cfg.pipeline[0].type == "A"
    cfg.model.neck = dict(type="FPN")
    assert cfg.model.neck.type == "FPN"
    assert cfg["model"]["neck"]["type"] == "FPN"


def test_missing_attribute_suggests_close_key() -> None:
    cfg = ConfigDict(optimizer=dict(lr=0.1))
    with pytest.raises(AttributeError, match="optimizer"):
        _ = cfg.optimiser
    with pytest.raises(KeyError):
        _ = cfg["nope"]


def test_update_merges_nested_dicts() -> None:
    cfg = ConfigDict(model=dict(backbone=dict(depth=50, style="pytorch")))
    cfg.update(dict(model=dict(backbone=dict(depth=101))))
    assert cfg.model.backbone == {"depth": 101, "style": "pytorch"}


def test_merge_honours_delete() -> None:
    cfg = ConfigDict(head=dict(type="A", loss=dict(type="CE")), topk=[1, 5])
    cfg.merge(dict(head=dict(_delete_=True, type="B"), topk=[1]))
    assert cfg.to_dict() == {"head": {"type": "B"}, "topk": [1]}


def test_copy_deepcopy_pickle_and_to_dict() -> None:
    cfg = ConfigDict(a=dict(b=[1, (2, 3)]))
    assert copy.deepcopy(cfg) == cfg
    assert isinstance(copy.deepcopy(cfg).a, ConfigDict)
    restored = pickle.loads(pickle.dumps(cfg))
    assert restored == cfg and isinstance(restored.a, ConfigDict)
    plain = cfg.to_dict()
    assert type(plain) is dict and type(plain["a"]) is dict
    assert plain == {"a": {"b": [1, (2, 3)]}}


def test_config_from_dict_item_and_attribute_access() -> None:
    cfg = Config(dict(model=dict(type="M", layers=[dict(n=1)])))
    assert cfg.model.type == "M"
    assert cfg["model"].layers[0].n == 1
    assert "model" in cfg and list(cfg) == ["model"]
    cfg.work_dir = "x"
    assert cfg.to_dict() == {"model": {"type": "M", "layers": [{"n": 1}]}, "work_dir": "x"}
    assert pickle.loads(pickle.dumps(cfg)).to_dict() == cfg.to_dict()


@pytest.mark.parametrize(
    "make",
    [lambda: ConfigDict(data=dict(keys=["img"])), lambda: Config(dict(data=dict(keys=["img"])))],
)
def test_setting_a_method_name_as_an_attribute_is_refused(make) -> None:
    """``cfg.data.keys = [...]`` stored a key that ``cfg.data.keys`` (the method) hid."""
    cfg = make()
    with pytest.raises(AttributeError, match=r"'ConfigDict' object attribute 'keys' is read-only"):
        cfg.data.keys = ["img", "gt"]
    assert cfg.data["keys"] == ["img"]
    with pytest.raises(AttributeError, match=r"cfg\['update'\] = \.\.\."):
        cfg.update = 1
    cfg.data["keys"] = ["img", "gt"]  # the way that works
    cfg.data.other = 1
    assert (cfg.data["keys"], cfg.data.other) == (["img", "gt"], 1)
