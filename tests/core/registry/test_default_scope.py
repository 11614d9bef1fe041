"""``DefaultScope`` (MMEngine's ``mmengine.registry.DefaultScope``) and the scope functions on it."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner_core.registry import MODELS, DefaultScope, Registry, init_default_scope
from runner_core.registry import scope as scopes
from runner_core.registry.scope import (
    get_default_scope,
    overwrite_default_scope,
    set_default_scope,
)
from runner_core.utils.manager import ManagerError

# scopes in these tests have no ``<scope>.registry``; set_default_scope says so (tested last)
pytestmark = pytest.mark.filterwarnings("ignore:default_scope=.*could not import:UserWarning")


@pytest.fixture(autouse=True)
def no_scope() -> Iterator[None]:
    """Each test starts without a DefaultScope; what was there before comes back."""
    saved = list(DefaultScope._instance_dict.items())
    imported = set(scopes._imported)
    DefaultScope._instance_dict.clear()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)
    scopes._imported.clear()
    scopes._imported.update(imported)


@pytest.fixture
def tree() -> tuple[Registry, Registry]:
    """A root registry and a child in scope 'ds_child', both offering 'K'."""
    root = Registry("ds_thing", scope="ds_root")
    child = Registry("ds_thing", parent=root, scope="ds_child")

    @root.register_module(name="K")
    class RootK:
        pass

    @child.register_module(name="K")
    class ChildK:
        pass

    return root, child


def test_no_instance_means_no_default_scope() -> None:
    assert DefaultScope.get_current_instance() is None
    assert get_default_scope() is None


def test_get_instance_makes_the_scope_current() -> None:
    made = DefaultScope.get_instance("mmdet", scope_name="mmdet")
    assert made.scope_name == "mmdet" and made.instance_name == "mmdet"
    assert DefaultScope.get_current_instance() is made
    assert DefaultScope.check_instance_created("mmdet")
    assert not DefaultScope.check_instance_created("mmcls")
    assert get_default_scope() == "mmdet"


def test_an_existing_instance_is_returned_but_not_made_current_again() -> None:
    first = DefaultScope.get_instance("a", scope_name="A")
    DefaultScope.get_instance("b", scope_name="B")
    with pytest.warns(UserWarning, match="already exists"):
        again = DefaultScope.get_instance("a", scope_name="Z")
    assert again is first and again.scope_name == "A"  # as in MMEngine: the latest stays current
    assert get_default_scope() == "B"


@pytest.mark.parametrize("bad", [3, None, ["mmdet"]])
def test_scope_name_must_be_a_str(bad: Any) -> None:
    with pytest.raises(AssertionError, match="scope_name must be a str") as info:
        DefaultScope.get_instance("task", scope_name=bad)
    assert isinstance(info.value, ManagerError)
    assert not DefaultScope.check_instance_created("task")
    assert DefaultScope.get_current_instance() is None


def test_registry_lookups_follow_get_instance(tree: tuple[Registry, Registry]) -> None:
    root, _ = tree
    assert type(root.build(dict(type="K"))).__name__ == "RootK"
    DefaultScope.get_instance("task", scope_name="ds_child")
    assert type(root.build(dict(type="K"))).__name__ == "ChildK"
    assert root.get("K").__name__ == "ChildK"
    with DefaultScope.overwrite_default_scope("ds_root"):
        assert type(root.build(dict(type="K"))).__name__ == "RootK"
    assert type(root.build(dict(type="K"))).__name__ == "ChildK"


def test_a_name_unknown_in_the_default_scope_is_reported_for_that_scope(
    tree: tuple[Registry, Registry],
) -> None:
    # the Runner looks loops, schedulers and vis backends up in the root registry; under
    # default_scope='ds_child' a typo of the child's own name names the child's registry
    # and suggests its name, as MMEngine's 'ds_child::ds_thing' error does
    root, child = tree

    @child.register_module()
    class MyEpochLoop:
        pass

    DefaultScope.get_instance("task", scope_name="ds_child")
    for find in (root.lookup, lambda key: root.build(dict(type=key))):
        with pytest.raises(KeyError) as caught:
            find("MyEpochLop")
        message = str(caught.value)
        assert "(scope 'ds_child')" in message and "Did you mean 'MyEpochLoop'?" in message
        assert (
            "@DS_THING.register_module()" in message
        )  # the child is declared under the root's name
    assert root.get("MyEpochLop") is None
    with pytest.raises(KeyError, match="could not be imported as a dotted path"):
        root.lookup("no_such_pkg.MyEpochLoop")  # a dotted key keeps its own error


def test_a_scoped_build_makes_its_scope_current_while_it_builds(
    tree: tuple[Registry, Registry],
) -> None:
    root, child = tree
    seen: list[str | None] = []

    @child.register_module(name="Probe")
    class Probe:
        def __init__(self) -> None:
            seen.append(get_default_scope())

    DefaultScope.get_instance("task", scope_name="ds_root")
    root.build(dict(type="Probe", _scope_="ds_child"))
    assert seen == ["ds_child"]
    assert get_default_scope() == "ds_root"


def test_get_instance_imports_the_scope_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library's child registries are declared in ``<scope>.registry``: a lookup in the
    default scope imports it first, as MMEngine's build does."""
    pkg = tmp_path / "dslib"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "registry.py").write_text(
        textwrap.dedent(
            """
            from runner_core.registry import MODELS, Registry
            MODELS_ = Registry('model', parent=MODELS, scope='dslib')
            @MODELS_.register_module()
            class DsWidget:
                pass
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert MODELS.get("DsWidget") is None
        DefaultScope.get_instance("task", scope_name="dslib")
        assert "dslib.registry" not in sys.modules  # nothing is imported when it is created
        assert MODELS.get("DsWidget").__module__ == "dslib.registry"
    finally:
        MODELS.children.pop("dslib", None)
        for name in ("dslib", "dslib.registry"):
            sys.modules.pop(name, None)


def test_a_scope_without_a_registry_module_is_quiet(tree: tuple[Registry, Registry]) -> None:
    root, _ = tree
    DefaultScope.get_instance("task", scope_name="ds_no_such_package")
    assert type(root.build(dict(type="K"))).__name__ == "RootK"  # no child: the registry itself


# -- overwrite_default_scope ----------------------------------------------------------------------
@pytest.mark.parametrize("before", [None, "A"])
def test_overwrite_default_scope_none_changes_nothing(before: str | None) -> None:
    if before is not None:
        DefaultScope.get_instance("task", scope_name=before)
    state = list(DefaultScope._instance_dict.items())
    with DefaultScope.overwrite_default_scope(None):
        assert get_default_scope() == before
        assert list(DefaultScope._instance_dict.items()) == state
    with overwrite_default_scope(None):
        assert get_default_scope() == before
    assert list(DefaultScope._instance_dict.items()) == state


def test_overwrite_default_scope_nests_and_restores() -> None:
    task = DefaultScope.get_instance("task", scope_name="A")
    seen = []
    with DefaultScope.overwrite_default_scope("B"):
        seen.append(get_default_scope())
        with overwrite_default_scope("C"):  # the scope module's function: the same thing
            seen.append(DefaultScope.get_current_instance().scope_name)  # type: ignore[union-attr]
        seen.append(get_default_scope())
    seen.append(get_default_scope())
    assert seen == ["B", "C", "B", "A"]
    assert DefaultScope.get_current_instance() is task
    assert list(DefaultScope._instance_dict) == ["task"]


def test_overwrite_default_scope_from_none_and_after_an_error() -> None:
    with DefaultScope.overwrite_default_scope("B"):
        assert get_default_scope() == "B"
    assert DefaultScope.get_current_instance() is None
    DefaultScope.get_instance("task", scope_name="A")
    with pytest.raises(ValueError), DefaultScope.overwrite_default_scope("B"):
        raise ValueError
    assert get_default_scope() == "A"


def test_instances_made_inside_an_overwrite_are_dropped_after_it() -> None:
    DefaultScope.get_instance("task", scope_name="A")
    with DefaultScope.overwrite_default_scope("B"):
        DefaultScope.get_instance("inside", scope_name="C")
        assert get_default_scope() == "C"
    assert not DefaultScope.check_instance_created("inside")  # as MMEngine restores its dict
    assert get_default_scope() == "A"


def test_overwrite_default_scope_with_a_non_str_raises_and_changes_nothing() -> None:
    DefaultScope.get_instance("task", scope_name="A")
    with pytest.raises(AssertionError, match="scope_name must be a str"):
        with DefaultScope.overwrite_default_scope(3):  # type: ignore[arg-type]
            pass  # pragma: no cover
    assert list(DefaultScope._instance_dict) == ["task"]


# -- init_default_scope ----------------------------------------------------------------------------
def test_init_default_scope_creates_an_instance_named_after_the_scope() -> None:
    init_default_scope("ds_a")
    current = DefaultScope.get_current_instance()
    assert current is not None and (current.instance_name, current.scope_name) == ("ds_a", "ds_a")
    init_default_scope("ds_a")
    assert list(DefaultScope._instance_dict) == ["ds_a"]  # nothing new the second time


def test_init_default_scope_when_another_scope_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[tuple[str, int]] = []
    monkeypatch.setattr(
        "runner_core.logging.print_log",
        lambda msg, logger=None, level=logging.INFO: logged.append((msg, level)),
    )
    DefaultScope.get_instance("task", scope_name="ds_cls")
    init_default_scope("ds_det")  # no 'ds_det' instance yet: made, quietly
    assert list(DefaultScope._instance_dict) == ["task", "ds_det"] and logged == []
    DefaultScope.get_instance("task2", scope_name="ds_cls")
    init_default_scope("ds_det")  # it exists but is not current: a new one, with a warning
    current = DefaultScope.get_current_instance()
    assert current is not None and current.scope_name == "ds_det"
    assert current.instance_name.startswith("ds_det-") and len(DefaultScope._instance_dict) == 4
    assert logged == [
        (
            'The current default scope "ds_cls" is not "ds_det", `init_default_scope` will force '
            'set the current default scope to "ds_det".',
            logging.WARNING,
        )
    ]


def test_init_default_scope_with_a_non_str_raises() -> None:
    with pytest.raises(AssertionError):
        init_default_scope(3)  # type: ignore[arg-type]
    assert DefaultScope.get_current_instance() is None


# -- set_default_scope (what the Runner calls) -----------------------------------------------------
def test_set_default_scope_names_the_instance_and_makes_it_current() -> None:
    set_default_scope("ds_a", name="exp")
    assert DefaultScope.get_instance("exp").scope_name == "ds_a"
    set_default_scope("ds_b", name="exp")  # a second run of the same name, another scope
    current = DefaultScope.get_current_instance()
    assert current is not None and current.scope_name == "ds_b"
    assert current.instance_name.startswith("exp-")
    set_default_scope("ds_b", name=current.instance_name)
    set_default_scope("ds_b")
    assert len(DefaultScope._instance_dict) == 2  # already the current scope: nothing new


def test_set_default_scope_none_removes_the_default_scope() -> None:
    set_default_scope("ds_a")
    DefaultScope.get_instance("task", scope_name="ds_b")
    set_default_scope(None)
    assert DefaultScope.get_current_instance() is None and get_default_scope() is None
    assert not DefaultScope.check_instance_created("task")


def test_set_default_scope_with_a_non_str_raises() -> None:
    with pytest.raises(AssertionError, match="default_scope=3"):
        set_default_scope(3)  # type: ignore[arg-type]
    assert DefaultScope.get_current_instance() is None


def test_set_default_scope_warns_when_the_scope_has_no_registry_module() -> None:
    with pytest.warns(UserWarning, match="could not import ds_missing.registry"):
        set_default_scope("ds_missing")
    assert get_default_scope() == "ds_missing"


def test_a_misspelt_default_scope_suggests_a_known_scope() -> None:
    """'ds_hintlbi' warned that ds_hintlbi.registry could not be imported, and no more,
    though 'ds_hintlib' is the scope of a library's registry."""
    Registry("model", parent=MODELS, scope="ds_hintlib")
    try:
        with pytest.warns(UserWarning) as caught:
            set_default_scope("ds_hintlbi")
    finally:
        del MODELS.children["ds_hintlib"]
    assert str(caught[0].message).endswith("root registries. Did you mean 'ds_hintlib'?")


def test_default_scope_mmengine_is_the_root_and_does_not_warn() -> None:
    """A ported config's default_scope='mmengine' warned twice a run that mmengine.registry
    could not be imported, though 'mmengine' names the root registries here."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        set_default_scope("mmengine")
    assert get_default_scope() == "mmengine"
    assert MODELS.get("mmengine.Linear") is MODELS.get("Linear")


def test_a_runner_without_default_scope_does_not_inherit_the_previous_runners(
    tmp_path: Path,
) -> None:
    """MMEngine's Runner defaults to default_scope='mmengine', so every Runner resets the
    scope: a second Runner must build the root registry's class, not the first one's."""
    from torch import nn

    from runner_core import Runner

    child = Registry("model", parent=MODELS, scope="t_runner_scope_lib")

    class RootNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.Linear(2, 2)

    class LibNet(RootNet):
        pass

    MODELS.register_module(name="TRunnerScopeNet", module=RootNet)
    child.register_module(name="TRunnerScopeNet", module=LibNet)
    first = Runner(
        model=dict(type="TRunnerScopeNet"),
        work_dir=str(tmp_path / "a"),
        default_scope="t_runner_scope_lib",
    )
    assert type(first.model.module) is LibNet  # plain nn.Modules are adapted
    second = Runner(model=dict(type="TRunnerScopeNet"), work_dir=str(tmp_path / "b"))
    assert type(second.model.module) is RootNet
    assert DefaultScope.get_current_instance().scope_name == "runner_core"
    third = Runner(
        model=dict(type="TRunnerScopeNet"), work_dir=str(tmp_path / "c"), default_scope=None
    )
    assert type(third.model.module) is RootNet  # None keeps the current (root) scope


def test_a_name_scoped_to_the_root_gives_the_roots_class_under_a_default_scope(
    tree: tuple[Registry, Registry],
) -> None:
    """Under default_scope='ds_child', 'ds_root.K' gave the child's K: the lookup in the root
    went through the default-scope redirection again (MMEngine: the root's)."""
    root, child = tree
    DefaultScope.get_instance("t_root_scoped", scope_name="ds_child")
    assert root.get("K").__name__ == "ChildK"  # unscoped: the default scope first
    assert root.get("ds_root.K").__name__ == "RootK"
    assert child.get("ds_root.K").__name__ == "RootK"
