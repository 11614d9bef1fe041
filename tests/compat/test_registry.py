"""Registries declared the way OpenMMLab libraries declare them."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from torch import nn

from runner_core import Runner
from runner_core.registry import MODELS, Registry, count_registered_modules
from runner_core.registry.scope import set_default_scope

LIB = {
    "compatlib/__init__.py": "",
    "compatlib/registry.py": """
        from runner_core.registry import MODELS as ROOT_MODELS, Registry
        MODELS = Registry('model', parent=ROOT_MODELS, locations=['compatlib.models'])
    """,
    "compatlib/models.py": """
        from torch import nn
        from compatlib.registry import MODELS

        @MODELS.register_module()
        class Widget(nn.Module):
            def __init__(self, width=3):
                super().__init__()
                self.fc = nn.Linear(width, 1)
    """,
}


@pytest.fixture
def compatlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """A downstream library with a child model registry; removed from the tree afterwards."""
    for rel, src in LIB.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(src))
    monkeypatch.syspath_prepend(str(tmp_path))
    import compatlib.registry

    yield compatlib.registry.MODELS
    MODELS.children.pop("compatlib", None)
    set_default_scope(None)
    for name in [m for m in sys.modules if m == "compatlib" or m.startswith("compatlib.")]:
        del sys.modules[name]


def test_scope_is_inferred_from_the_declaring_package(compatlib: Registry) -> None:
    assert compatlib.scope == "compatlib"
    assert compatlib.parent is MODELS and MODELS.children["compatlib"] is compatlib


def test_locations_are_imported_on_the_first_miss(compatlib: Registry) -> None:
    assert "compatlib.models" not in sys.modules
    assert compatlib.get("Widget").__module__ == "compatlib.models"
    assert "Widget" in compatlib.module_dict


def test_child_falls_back_to_the_parent(compatlib: Registry) -> None:
    layer = compatlib.build(dict(type="Linear", in_features=2, out_features=1))
    assert isinstance(layer, nn.Linear)


def test_scoped_name_resolves_through_the_child_from_the_root(compatlib: Registry) -> None:
    widget = MODELS.build(dict(type="compatlib.Widget", width=4))
    assert widget.fc.in_features == 4


def test_unknown_name_message_names_the_scope(compatlib: Registry) -> None:
    with pytest.raises(KeyError, match="scope 'compatlib'"):
        compatlib.build(dict(type="Gadget"))
    assert compatlib.get("Gadget") is None  # MMEngine's get: None for an unknown name


def test_default_scope_makes_the_child_answer_first(compatlib: Registry, tmp_path: Path) -> None:
    runner = Runner(
        model=dict(type="Widget", width=5),
        work_dir=str(tmp_path / "run"),
        default_scope="compatlib",
    )
    assert runner.model.module.fc.in_features == 5  # a plain nn.Module is adapted


def test_scoped_name_picks_the_entry_point_of_that_distribution(
    fake_dist: Callable[..., Path],
) -> None:
    fake_dist(
        "compat-plug",
        {"runner.models": {"Gizmo": "compat_plug_models:Gizmo"}},
        {"compat_plug_models": "from torch import nn\nclass Gizmo(nn.Identity):\n    pass\n"},
    )
    assert MODELS.get("compat_plug.Gizmo").__name__ == "Gizmo"


def test_build_func_is_called_the_mmengine_way() -> None:
    calls = []

    def build_func(cfg: dict, registry: Registry, default_args: dict | None = None) -> str:
        calls.append((dict(cfg), registry.name, default_args))
        return "built"

    reg = Registry("compat thing", build_func, group="runner.compat-things")
    child = Registry("compat thing", parent=reg, scope="compat_child")
    assert child.build(dict(type="X"), default_args=dict(a=1)) == "built"
    assert calls == [({"type": "X"}, "compat thing", {"a": 1})]


def test_count_registered_modules_reports_each_tree(compatlib: Registry, tmp_path: Path) -> None:
    compatlib.get("Widget")
    scan = count_registered_modules(save_path=tmp_path, verbose=False)
    models = {entry["scope"]: entry for entry in scan["registries"]["MODELS"]}
    assert "Widget" in models["compatlib"]["modules"]
    assert models["compatlib"]["num_modules"] == 1
    assert "EVALUATOR" in scan["registries"]  # MMEngine's variable name (ours: EVALUATORS)
    saved = json.loads((tmp_path / "modules_statistic_results.json").read_text())
    assert saved["registries"]["MODELS"] == scan["registries"]["MODELS"]


def test_module_dict_is_live_as_in_mmengine() -> None:
    reg = Registry("compat thing", scope="compat_live")

    @reg.register_module()
    class Tmp:
        pass

    assert reg.module_dict["Tmp"] is Tmp
    reg.module_dict.pop("Tmp")  # unregisters, as test teardowns written for MMEngine do
    assert "Tmp" not in reg and reg.get("Tmp") is None
    other = reg.register_module(name="Tmp", module=type("Tmp", (), {}))
    assert reg.get("Tmp") is other


def test_a_location_that_cannot_be_imported_is_an_import_error() -> None:
    reg = Registry("compat gadget", scope="compat_broken", locations=["compat_no_such_module"])
    with pytest.raises(ImportError, match="compat_no_such_module"):
        reg.get("Anything")
