"""Plugins through entry points, tested against fake installed distributions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from runner_core.errors import PluginError, RegistryError
from runner_core.registry import Registry

GROUP = "runner.widgets"


def test_listing_keys_imports_nothing(fake_dist) -> None:
    fake_dist(
        "good-plugin",
        {GROUP: {"Gear": "good_plugin_mod:Gear"}},
        {"good_plugin_mod": "class Gear: pass\n"},
    )
    reg = Registry("widget", GROUP)
    assert "Gear" in reg.keys()
    assert "good_plugin_mod" not in sys.modules
    gear = reg.get("Gear")
    assert gear.__name__ == "Gear" and "good_plugin_mod" in sys.modules


def test_lookup_imports_exactly_one_module(fake_dist) -> None:
    fake_dist(
        "two-mods",
        {GROUP: {"One": "two_mods_a:One", "Two": "two_mods_b:Two"}},
        {"two_mods_a": "class One: pass\n", "two_mods_b": "class Two: pass\n"},
    )
    Registry("widget", GROUP).get("One")
    assert "two_mods_a" in sys.modules and "two_mods_b" not in sys.modules


def test_broken_plugin_is_named_and_others_keep_working(fake_dist) -> None:
    fake_dist(
        "broken-plugin",
        {GROUP: {"Bad": "broken_mod:Bad"}},
        {"broken_mod": "raise ImportError('no numpy here')\n"},
        version="0.3",
    )
    fake_dist("fine-plugin", {GROUP: {"Fine": "fine_mod:Fine"}}, {"fine_mod": "class Fine: pass\n"})
    reg = Registry("widget", GROUP)
    with pytest.raises(PluginError) as err:
        reg.get("Bad")
    msg = str(err.value)
    for part in ("'Bad'", "broken_mod:Bad", "broken-plugin", "0.3", "no numpy here"):
        assert part in msg
    assert reg.get("Fine").__name__ == "Fine"


def test_a_plugin_error_ending_in_a_full_stop_gets_no_second_one(fake_dist) -> None:
    """A module registering a name taken failed to load with "...another name.. Other
    names keep working"."""
    fake_dist(
        "stop-plugin",
        {GROUP: {"Stop": "stop_mod:Stop", "Bare": "bare_mod:Bare"}},
        {
            "stop_mod": "raise ValueError('taken; register under another name.')\n",
            "bare_mod": "raise ValueError('no stop')\n",
        },
    )
    reg = Registry("widget", GROUP)
    with pytest.raises(PluginError) as err:
        reg.get("Stop")
    assert "failed to load: ValueError: taken; register under another name. Other names" in str(
        err.value
    )
    with pytest.raises(PluginError) as err:
        reg.get("Bare")
    assert "failed to load: ValueError: no stop. Other names" in str(err.value)


def _requires(info: Path, *lines: str) -> None:
    """Add ``Requires-Dist`` lines to a fake distribution's METADATA."""
    with (info / "METADATA").open("a") as meta:
        meta.writelines(f"Requires-Dist: {line}\n" for line in lines)


def test_a_plugin_made_for_another_core_says_so_when_it_fails_to_load(fake_dist) -> None:
    """pip installs a new runner-core over a plugin pinned below it with only a warning;
    the plugin's AttributeError alone would not say why."""
    info = fake_dist(
        "old-plugin",
        {GROUP: {"Old": "old_plugin_mod:Old"}},
        {"old_plugin_mod": "import runner_core\nrunner_core.gone_in_this_release\n"},
        version="0.9",
    )
    _requires(
        info,
        "runner-core<0.1",
        "runner-hooks-standard>=0.1",  # met: not named
        "runner-not-installed>=1",
        "runner-extra-thing>=9; extra == 'docs'",  # an extra's: not compared
        "numpy<1",  # not a runner package nor torch: pip check's job
    )
    with pytest.raises(PluginError) as err:
        Registry("widget", GROUP).get("Old")
    msg = str(err.value)
    assert "AttributeError" in msg
    assert "old-plugin requires runner-core<0.1, but runner-core 0.1.0 is installed" in msg
    assert "old-plugin requires runner-not-installed>=1, which is not installed" in msg
    assert "runner-hooks-standard" not in msg and "numpy" not in msg and "extra" not in msg


def test_a_plugin_whose_runner_dependency_is_missing_says_what_to_install(fake_dist) -> None:
    """Missing is not "made for other releases": the plugin is fine, its dependency is gone."""
    info = fake_dist(
        "needy-plugin",
        {GROUP: {"Needy": "needy_mod:Needy"}},
        {"needy_mod": "import runner_gone_standard\n"},
    )
    _requires(info, "runner-gone-standard[tensorboard]<0.2,>=0.1", "runner-core>=0.1")
    with pytest.raises(PluginError) as err:
        Registry("widget", GROUP).get("Needy")
    msg = str(err.value)
    assert (
        "needy-plugin requires runner-gone-standard[tensorboard]>=0.1,<0.2, which is not "
        'installed: pip install "runner-gone-standard[tensorboard]>=0.1,<0.2".'
    ) in msg
    assert "other releases" not in msg and "made for the installed ones" not in msg


def test_a_plugin_whose_requirements_fit_fails_without_that_sentence(fake_dist) -> None:
    info = fake_dist(
        "fit-plugin", {GROUP: {"Fit": "fit_mod:Fit"}}, {"fit_mod": "raise ImportError('x')\n"}
    )
    _requires(info, "runner-core>=0.1,<1", "torch>=2")
    with pytest.raises(PluginError) as err:
        Registry("widget", GROUP).get("Fit")
    assert "made for other releases" not in str(err.value)


def test_plugin_that_exits_on_import_is_reported_not_fatal(fake_dist) -> None:
    # a module that parses sys.argv at import time raises SystemExit
    fake_dist(
        "argv-plugin",
        {GROUP: {"Cli": "argv_mod:Cli"}},
        {"argv_mod": "raise SystemExit(2)\n"},
    )
    reg = Registry("widget", GROUP)
    with pytest.raises(PluginError, match=r"'Cli'.*argv-plugin.*SystemExit"):
        reg.get("Cli")


def test_conflict_names_both_and_can_be_resolved_by_distribution(fake_dist) -> None:
    fake_dist(
        "plug-a",
        {GROUP: {"Same": "plug_a_mod:Same"}},
        {"plug_a_mod": "class Same:\n    origin = 'a'\n"},
    )
    fake_dist(
        "plug-b",
        {GROUP: {"Same": "plug_b_mod:Same"}},
        {"plug_b_mod": "class Same:\n    origin = 'b'\n"},
    )
    reg = Registry("widget", GROUP)
    with pytest.raises(PluginError) as err:
        reg.get("Same")
    msg = str(err.value)
    assert "plug-a" in msg and "plug-b" in msg and "type='plug-a::Same'" in msg
    assert reg.get("plug-b::Same").origin == "b"
    assert reg.build({"type": "plug-a::Same"}).origin == "a"
    # a registry chosen by another config field says that field
    sets = Registry("set", GROUP)
    sets.chosen_by = "default_hooks_set"
    with pytest.raises(PluginError, match=r"default_hooks_set='plug-a::Same'"):
        sets.get("Same")


@pytest.mark.parametrize("spelling", ["plug_b.two", "Plug-B-Two", "plug--b_two", "PLUG.B.TWO"])
def test_a_distribution_before_double_colon_is_compared_as_pip_does(
    fake_dist, spelling: str
) -> None:
    """PEP 503: case and runs of '-', '_', '.' do not tell distributions apart."""
    for name, origin in (("plug-a-two", "a"), ("plug-b-two", "b")):
        fake_dist(
            name,
            {GROUP: {"Same": f"{name.replace('-', '_')}_mod:Same"}},
            {f"{name.replace('-', '_')}_mod": f"class Same:\n    origin = {origin!r}\n"},
        )
    reg = Registry("widget", GROUP)
    assert reg.get(f"{spelling}::Same").origin == "b"
    with pytest.raises(RegistryError, match="It is offered by: plug-.-two, plug-.-two"):
        reg.lookup("plug-c-two::Same")


def test_an_entry_point_hiding_the_fallbacks_object_warns_when_a_run_loads_it(
    fake_dist,
) -> None:
    """A plugin offering 'SGD' takes over every config naming torch's: the run says so."""
    import warnings

    import torch

    fake_dist(
        "sgd-plugin", {GROUP: {"SGD": "sgd_mod:SGD"}}, {"sgd_mod": "class SGD: pass\n"}, "0.3"
    )
    reg = Registry("optimizer", GROUP, fallback=lambda key: getattr(torch.optim, key, None))
    with pytest.warns(UserWarning) as caught:
        assert reg.get("SGD").__module__ == "sgd_mod"
    message = str(caught[0].message)
    assert "of sgd-plugin 0.3" in message and "hides torch.optim.SGD" in message
    assert "type='torch.optim.SGD'" in message and "type='sgd-plugin::SGD'" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process: the loaded key is kept
        reg.get("SGD")
        assert reg.get("Adam") is torch.optim.Adam  # no plugin of that name: no warning


def test_in_process_registration_wins_over_entry_points(fake_dist) -> None:
    fake_dist(
        "shadowed", {GROUP: {"Gear": "shadowed_mod:Gear"}}, {"shadowed_mod": "class Gear: pass\n"}
    )
    reg = Registry("widget", GROUP)

    class Local:
        pass

    reg.register_module(name="Gear", module=Local)
    assert reg.get("Gear") is Local
    assert "shadowed_mod" not in sys.modules


def test_unknown_key_suggests_plugin_keys(fake_dist) -> None:
    fake_dist(
        "sugg",
        {GROUP: {"DigitsCNN": "sugg_mod:DigitsCNN"}},
        {"sugg_mod": "class DigitsCNN: pass\n"},
    )
    with pytest.raises(RegistryError, match="Did you mean 'DigitsCNN'"):
        Registry("widget", GROUP).lookup("DigitCNN")


def test_standard_packages_register_through_entry_points() -> None:
    from runner_core.registry import HOOKS, LOOPS

    assert {"EpochBasedTrainLoop", "IterBasedTrainLoop", "ValLoop", "TestLoop"} <= set(LOOPS.keys())
    assert {"LoggerHook", "CheckpointHook", "IterTimerHook"} <= set(HOOKS.keys())
    eps = {e.key: e.distribution for e in LOOPS.entry_points()}
    assert eps["ValLoop"] == "runner-loops-standard"


def test_unknown_key_declared_in_an_editable_source_says_to_reinstall(
    fake_dist, tmp_path: Path
) -> None:
    """The entry point is in pyproject.toml, but the package was installed before it was added."""
    import json

    from runner_core.registry import HOOKS

    source = tmp_path / "my-hooks"
    source.mkdir()
    (source / "pyproject.toml").write_text(
        '[project]\nname = "my-hooks"\n\n[project.entry-points."runner.hooks"]\n'
        'OldHook = "my_hooks:OldHook"\nNewHook = "my_hooks:NewHook"\n'
    )
    info = fake_dist("my-hooks", {"runner.hooks": {"OldHook": "my_hooks:OldHook"}})
    (info / "direct_url.json").write_text(
        json.dumps({"url": source.as_uri(), "dir_info": {"editable": True}})
    )
    with pytest.raises(RegistryError) as caught:
        HOOKS.lookup("NewHook")
    message = str(caught.value)
    assert "declares 'NewHook'" in message and "reinstall it (pip install -e" in message
    assert str(source) in message
    with pytest.raises(RegistryError) as caught:  # an unrelated typo gets no such advice
        HOOKS.lookup("NoSuchHook")
    assert "reinstall" not in str(caught.value)


def test_scan_reads_metadata_only_of_distributions_offering_plugins(monkeypatch) -> None:
    """Start-up must not parse every installed package's METADATA (~0.1 ms each)."""
    from importlib import metadata

    from runner_core.registry import discovery

    read: list[str] = []

    class FakeDist:
        def __init__(self, name: str, groups: list[str]) -> None:
            self.name = name
            self.entry_points = [
                metadata.EntryPoint(f"K{i}", f"{name}_mod:K", group)
                for i, group in enumerate(groups)
            ]

        @property
        def metadata(self) -> dict[str, str]:
            read.append(self.name)
            return {"Name": self.name, "Version": "1.0"}

        @property
        def version(self) -> str:
            read.append(self.name)
            return "1.0"

    fakes = [FakeDist(f"other{i}", ["console_scripts"]) for i in range(50)]
    fakes.append(FakeDist("plugin", ["runner.models", "console_scripts"]))
    monkeypatch.setattr(metadata, "distributions", lambda: iter(fakes))
    discovery.refresh()
    try:
        found = discovery.all_entries()
    finally:
        discovery.refresh()  # the next test scans the real installation again
    assert [(e.key, e.distribution, e.version) for e in found["runner.models"]] == [
        ("K0", "plugin", "1.0")
    ]
    assert set(read) == {"plugin"}


def test_the_registry_knows_which_plugin_a_key_came_from(fake_dist) -> None:
    fake_dist(
        "origin-plugin",
        {GROUP: {"Cog": "origin_mod:Cog"}},
        {"origin_mod": "class Cog: pass\n"},
        version="2.1",
    )
    reg = Registry("widget", GROUP)
    reg.register_module(name="Local", module=type("Local", (), {}))
    reg.get("Cog")
    entry = reg.origin("Cog")
    assert entry is not None and (entry.distribution, entry.version) == ("origin-plugin", "2.1")
    assert "entry point 'Cog' in group 'runner.widgets' of origin-plugin 2.1" in entry.where()
    assert reg.origin("Local") is None  # registered in-process: no plugin to name
    child = Registry("widget", parent=reg, scope="origin_child_scope")
    assert child.get("Cog") is reg.get("Cog") and child.origin("Cog") is entry


def test_an_entry_that_cannot_be_called_is_a_build_error_naming_its_plugin(fake_dist) -> None:
    """A constant behind an entry point failed as "'str' object is not callable"."""
    from runner_core.errors import BuildError

    fake_dist(
        "const-plugin",
        {GROUP: {"Const": "const_mod:CONST"}},
        {"const_mod": "CONST = 'i am not a widget'\n"},
    )
    reg = Registry("widget", GROUP)
    with pytest.raises(BuildError) as err:
        reg.build(dict(type="Const"), _key_path="gadgets[0]")
    assert isinstance(err.value, TypeError)  # what calling it raised before
    msg = str(err.value)
    for part in (
        "'Const' in the widget registry (at config key 'gadgets[0].type') is an object of type str",
        "not a class or a function",
        "entry point 'Const' in group 'runner.widgets' of const-plugin 1.0",
        "pip uninstall const-plugin",
    ):
        assert part in msg, msg


@pytest.mark.parametrize(
    ("group", "obj", "problem"),
    [
        (
            "runner.hooks",
            "a string",
            "is an object of type str ('a string'), not a class or a function",
        ),
        ("runner.hooks", dict, "is the class builtins.dict, which does not subclass runner_core"),
        ("runner.loops", dict, "does not subclass runner_core.loop.BaseLoop"),
        (
            "runner.default_hooks",
            "x",
            "is an object of type str ('x'), not a function returning a dict",
        ),
        ("runner.models", 3, "is an object of type int (3), not a class or a function"),
    ],
)
def test_kind_problem_says_what_a_group_cannot_hold(group: str, obj: object, problem: str) -> None:
    from runner_core.registry.kinds import kind_problem

    assert problem in (kind_problem(group, obj) or "")


def test_kind_problem_accepts_what_a_registry_can_build() -> None:
    from runner_core.hooks import Hook
    from runner_core.loop import BaseLoop
    from runner_core.registry.kinds import kind_problem

    def factory() -> Hook:  # a function may return the right object: not called here
        return Hook()

    assert kind_problem("runner.hooks", Hook) is None
    assert kind_problem("runner.hooks", factory) is None
    assert kind_problem("runner.loops", BaseLoop) is None
    assert kind_problem("runner.default_hooks", {"timer": {"type": "IterTimerHook"}}) is None
    assert kind_problem("runner.models", dict) is None  # other groups: any class
