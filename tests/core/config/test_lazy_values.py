"""Pure-Python configs: imported names are stored as strings and imported when read."""

from __future__ import annotations

import copy
import json
import pickle
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner_core.config import Config, ConfigDict, ImportedName
from runner_core.errors import ConfigImportError, ConfigModuleNotFoundError


@pytest.fixture
def probe_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh importable module (unique name) defining ``Net``; removed afterwards."""
    name = f"lazy_probe_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / f"{name}.py").write_text(
        "class Net:\n    def __init__(self, width=1):\n        self.width = width\n"
    )
    monkeypatch.syspath_prepend(str(folder))
    yield name
    sys.modules.pop(name, None)


def test_loading_dumping_and_merging_do_not_import(write, probe_module: str) -> None:
    path = write(
        "c.py",
        f"from {probe_module} import Net\nmodel = dict(type=Net, head=dict(type=Net))\n",
    )
    cfg = Config.fromfile(path)
    assert cfg.to_dict() == {
        "model": {"type": f"{probe_module}.Net", "head": {"type": f"{probe_module}.Net"}}
    }
    assert f"type='{probe_module}.Net'" in cfg.pretty_text
    json.loads(cfg.dump(file_format="json"))
    cfg.dump(file_format="yaml")
    copy.deepcopy(cfg)
    pickle.loads(pickle.dumps(cfg))
    cfg.merge_from_dict({"model.head.width": 3, "model.width": 2})
    assert "model" in cfg and len(cfg.model) == 3
    assert probe_module not in sys.modules
    # the first read imports it
    assert cfg.model.type.__name__ == "Net"
    assert probe_module in sys.modules
    assert cfg.model.type is sys.modules[probe_module].Net


def test_every_way_of_reading_returns_the_imported_object(write) -> None:
    import torch

    cfg = Config.fromfile(
        write(
            "c.py",
            """
            from torch.optim import AdamW
            import torch.nn as nn
            optim_wrapper = dict(optimizer=dict(type=AdamW, lr=0.1))
            model = dict(type=nn.Linear, in_features=2, out_features=3)
            """,
        )
    )
    adamw = torch.optim.AdamW
    assert cfg.optim_wrapper.optimizer.type is adamw
    assert cfg["optim_wrapper"]["optimizer"]["type"] is adamw
    assert cfg.optim_wrapper.optimizer.get("type") is adamw
    assert cfg.get("model").type is torch.nn.Linear
    assert dict(cfg.model.items())["type"] is torch.nn.Linear
    assert torch.nn.Linear in cfg.model.values()
    assert ("type", torch.nn.Linear) in cfg.model.items()
    assert cfg.model.setdefault("type") is torch.nn.Linear
    assert isinstance(cfg.model.type, type)
    assert copy.deepcopy(cfg).model.type is torch.nn.Linear
    assert copy.copy(cfg).model.type is torch.nn.Linear
    assert pickle.loads(pickle.dumps(cfg)).model.type is torch.nn.Linear
    assert pickle.loads(pickle.dumps(cfg.model)).type is torch.nn.Linear
    assert cfg.model.pop("type") is torch.nn.Linear
    # the stored value stays the dotted string: dict() and dumping see it
    stored = dict.__getitem__(cfg.optim_wrapper.optimizer, "type")
    assert isinstance(stored, ImportedName) and stored == "torch.optim.AdamW"
    assert dict(cfg.optim_wrapper.optimizer)["type"] == "torch.optim.AdamW"
    assert "type='torch.optim.AdamW'" in cfg.pretty_text


def test_imported_name_survives_copies_with_its_location(write) -> None:
    cfg = Config.fromfile(
        write("c.py", "# line 1\nfrom nowhere_pkg_zz import Thing\nx = dict(t=Thing)\n")
    )
    stored = dict.__getitem__(cfg.x, "t")
    assert stored.location is not None and stored.location.endswith("c.py, line 2")
    for again in (copy.deepcopy(stored), pickle.loads(pickle.dumps(stored))):
        assert type(again) is ImportedName and again == stored
        assert again.location == stored.location


def test_reading_a_value_of_an_uninstalled_package_is_a_clear_import_error(write) -> None:
    path = write("c.py", "from not_installed_pkg_zz.models import Net\nmodel = dict(type=Net)\n")
    cfg = Config.fromfile(path)  # loading and dumping work without the package
    assert "not_installed_pkg_zz.models.Net" in cfg.pretty_text
    with pytest.raises(ConfigModuleNotFoundError) as caught:
        cfg.model.type  # noqa: B018
    assert isinstance(caught.value, ModuleNotFoundError)
    message = str(caught.value)
    assert f"{path}, line 1" in message
    assert "not_installed_pkg_zz" in message and "Install" in message


def test_a_missing_name_in_an_installed_module_suggests_the_right_one(write) -> None:
    cfg = Config.fromfile(
        write("c.py", "from torch.optim import AdamWW\nopt = dict(type=AdamWW)\n")
    )
    with pytest.raises(ConfigImportError, match=r"has no attribute 'AdamWW'.*'AdamW'"):
        cfg.opt.get("type")


def test_registry_builds_from_the_stored_string_and_from_the_class(
    write, probe_module: str
) -> None:
    from runner_core.registry import Registry

    cfg = Config.fromfile(
        write("c.py", f"from {probe_module} import Net\nmodel = dict(type=Net, width=4)\n")
    )
    registry = Registry("lazy_probe_things")
    assert registry.build(cfg.model).width == 4  # dict(cfg) sees 'pkg.Net': a dotted path
    assert registry.build(dict(cfg.model.items())).width == 4  # type is the class


def test_mmengine_imports_in_a_config_read_as_this_projects_objects(write) -> None:
    """mmdet's and mmpretrain's pure-Python configs import MMEngine's classes; read
    here, each is ours (a mirrored path, else the registry's entry of that name)."""
    from runner_core.model import BaseModel
    from runner_core.registry import HOOKS, LOOPS

    cfg = Config.fromfile(
        write(
            "c.py",
            "from mmengine.hooks import LoggerHook\n"
            "from mmengine.runner import IterBasedTrainLoop\n"
            "from mmengine.model import BaseModel\n"
            "default_hooks = dict(logger=dict(type=LoggerHook))\n"
            "train_cfg = dict(type=IterBasedTrainLoop, max_iters=2)\n"
            "base = BaseModel\n",
        )
    )
    assert cfg.to_dict()["default_hooks"]["logger"]["type"] == "mmengine.hooks.LoggerHook"
    assert cfg.default_hooks.logger.type is HOOKS.get("LoggerHook")
    assert cfg.train_cfg.type is LOOPS.get("IterBasedTrainLoop")
    assert cfg.base is BaseModel


def test_an_mmengine_import_with_no_counterpart_names_the_likely_one(write) -> None:
    cfg = Config.fromfile(write("c.py", "from mmengine.hooks import LogerHook\nh = LogerHook\n"))
    with pytest.raises(ConfigImportError, match=r"c\.py, line 1: .*Did you mean .*'LoggerHook'"):
        cfg.h  # noqa: B018


def test_plain_config_dict_values_are_unchanged() -> None:
    cd = ConfigDict(a="torch.optim.AdamW", b=dict(c=1))
    assert cd.a == "torch.optim.AdamW" and type(cd.a) is str
    assert list(cd.items()) == [("a", "torch.optim.AdamW"), ("b", {"c": 1})]
    assert list(cd.values())[1] == {"c": 1}


def test_build_lazy_turns_a_stored_import_path_into_the_object(write, probe_module: str) -> None:
    cfg = Config.fromfile(
        write("c.py", f"from {probe_module} import Net\nmodel = dict(type=Net)\n")
    )
    stored = dict.__getitem__(cfg.model, "type")  # what dict methods see: the path
    assert stored == f"{probe_module}.Net"
    assert cfg.model.build_lazy(stored) is sys.modules[probe_module].Net
    assert cfg.model.build_lazy(3) == 3  # anything else as it is
    assert ConfigDict().build_lazy("torch.optim.SGD") == "torch.optim.SGD"  # a plain str too
