from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import pytest

from runner_core.config import Config, ConfigDict, ImportedName


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


def test_freeze_refuses_new_keys_as_mmengines_config_dict() -> None:
    """MMEngine's (addict's) freeze: new keys are a KeyError, here and in nested dicts;
    existing keys still change, and deepcopy() gives an unfrozen copy of the subclass."""
    cfg = ConfigDict(model=dict(depth=50), pipeline=[dict(type="A")])
    cfg.freeze()
    for add in (
        lambda: setattr(cfg, "modle", 1),
        lambda: cfg.__setitem__("modle", 1),
        lambda: setattr(cfg.model, "dpeth", 1),
        lambda: cfg.update(modle=1),
        lambda: cfg.setdefault("modle", 1),
        lambda: cfg.__ior__({"modle": 1}),  # cfg |= ...: dict's own went around freeze
    ):
        with pytest.raises(KeyError, match=r"cannot add the key '(modle|dpeth)'.*frozen"):
            add()
    with pytest.raises(KeyError, match=r"merge\(\) refused.*frozen"):
        cfg.merge(dict(model=dict(depth=18)))
    assert cfg.to_dict() == {"model": {"depth": 50}, "pipeline": [{"type": "A"}]}
    cfg.model.depth = 101  # an existing key
    cfg.pipeline[0].extra = 1  # dicts in lists are not frozen (as in MMEngine)
    copied = cfg.deepcopy()
    assert type(copied) is ConfigDict and copied == cfg and copied.model is not cfg.model
    copied.new = 1
    cfg.unfreeze()
    cfg.model.width = 64
    assert cfg.model == {"depth": 101, "width": 64}


def test_in_place_or_merges_as_update() -> None:
    """addict's ``|=`` is update: nested dicts merge and stay ConfigDicts (dict's replaced)."""
    cfg = ConfigDict(model=dict(depth=50, width=8))
    cfg |= {"model": {"depth": 18}, "data": {"root": "x"}}
    assert cfg.to_dict() == {"model": {"depth": 18, "width": 8}, "data": {"root": "x"}}
    assert type(cfg.data) is ConfigDict


def test_lazy_reads_imported_values_as_their_import_path() -> None:
    """MMEngine's ConfigDict.lazy: True while a config is parsed, imports nothing."""
    cfg = ConfigDict(optimizer=ImportedName("collections.OrderedDict"))
    assert cfg.lazy is False and cfg.optimizer is OrderedDict
    ConfigDict.lazy = True
    try:
        assert type(cfg.optimizer) is ImportedName and cfg.get("optimizer") == cfg.optimizer
        assert list(cfg.values()) == ["collections.OrderedDict"]
    finally:
        ConfigDict.lazy = False
    assert dict(cfg.items()) == {"optimizer": OrderedDict}
