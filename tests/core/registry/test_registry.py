"""Registry behaviour users rely on: registration, lookup, build errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import torch

from runner_core.errors import BuildError, RegistryError
from runner_core.registry import MODELS, OPTIMIZERS, Registry


@contextlib.contextmanager
def _package(tmp_path, monkeypatch, name: str, files: dict[str, str]) -> Iterator[None]:
    """Package ``name`` with ``files`` (module name -> source) importable while inside;
    its modules are forgotten afterwards, so another test can make its own."""
    import sys

    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for module, source in files.items():
        (pkg / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        yield
    finally:
        for loaded in [m for m in sys.modules if m.split(".")[0] == name]:
            del sys.modules[loaded]


def test_register_get_and_build_with_defaults() -> None:
    reg = Registry("thing", "runner.things-test")

    @reg.register_module()
    class Widget:
        def __init__(self, size: int, color: str = "red") -> None:
            self.size, self.color = size, color

    built = reg.build({"type": "Widget", "size": 3}, default_args={"color": "blue"})
    assert (built.size, built.color) == (3, "blue")
    assert reg.get("Widget") is Widget
    assert "Widget" in reg.keys()


def test_register_under_names_and_force() -> None:
    reg = Registry("thing", "runner.things-test")
    reg.register_module(name=["A", "B"], module=dict)
    assert reg.get("A") is dict and reg.get("B") is dict
    with pytest.raises(RegistryError, match="already registered"):
        reg.register_module(name="A", module=list)
    reg.register_module(name="A", module=list, force=True)
    assert reg.get("A") is list


def test_register_module_returns_what_it_registers() -> None:
    """As a decorator, with ``module=`` or with ``module`` positional: the object itself."""
    reg = Registry("thing", "runner.things-test")

    @reg.register_module()
    def make(size: int) -> int:
        return size

    assert make(3) == 3 and reg.get("make") is make
    assert reg.register_module(module=dict) is dict
    assert reg.register_module("L", False, list) is list and reg.get("L") is list


def test_type_may_be_a_class_or_a_dotted_path() -> None:
    reg = Registry("thing", "runner.things-test")
    assert isinstance(reg.build({"type": "collections:OrderedDict"}), dict)
    assert reg.build({"type": "fractions.Fraction", "numerator": 1, "denominator": 2}) == 0.5
    assert reg.build({"type": list}) == []


def test_a_dumped_configs_own_class_says_to_move_it_into_a_module() -> None:
    reg = Registry("thing", "runner.things-test")
    with pytest.raises(RegistryError, match="defined in a config file.*module of your project"):
        reg.build({"type": "__config__.MyDS"})


def test_unknown_key_suggests_close_names() -> None:
    reg = Registry("thing", "runner.things-test")
    reg.register_module(name="CheckpointHook", module=dict)
    with pytest.raises(RegistryError) as err:
        reg.lookup("ChekpointHook")
    assert "Did you mean 'CheckpointHook'?" in str(err.value)
    with pytest.raises(RegistryError, match="Did you mean 'CheckpointHook'"):
        reg.build({"type": "ChekpointHook"})


@pytest.mark.parametrize(
    ("name", "distribution"),
    [("WandbVisBackend", "runner-trackers"), ("CheckpointHook", "runner-hooks-standard"),
     ("ValLoop", "runner-loops-standard")],
)  # fmt: skip
def test_an_mmengine_name_of_a_missing_distribution_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, name: str, distribution: str
) -> None:
    from runner_core import standard

    monkeypatch.setattr(standard, "_installed", lambda dist: dist != distribution)
    reg = Registry("thing", "runner.things-test")
    with pytest.raises(RegistryError) as err:
        reg.build({"type": name})
    assert f"comes with the {distribution} distribution, which is not installed" in str(err.value)
    assert f"pip install {distribution}." in str(err.value)
    monkeypatch.setattr(standard, "_installed", lambda dist: True)
    with pytest.raises(RegistryError) as err:
        reg.build({"type": name})
    assert "pip install" not in str(err.value)  # installed: the usual message


def test_wrong_keyword_names_class_argument_and_key_path() -> None:
    with pytest.raises(BuildError) as err:
        OPTIMIZERS.build(
            {"type": "SGD", "lrr": 0.1},
            default_args={"params": [torch.nn.Parameter(torch.ones(1))]},
            _key_path="optim_wrapper.optimizer",
        )
    msg = str(err.value)
    assert "SGD" in msg and "'lrr'" in msg and "optim_wrapper.optimizer.lrr" in msg
    assert "Did you mean 'lr'?" in msg


def test_a_positional_only_argument_is_named_as_such_not_as_unknown() -> None:
    reg = Registry("thing", "runner.positional-test")

    def scaled(factor: float, /, offset: float = 0.0) -> float:
        return factor + offset

    reg.register_module(module=scaled)
    with pytest.raises(BuildError) as err:
        reg.build({"type": "scaled", "factor": 2.0})
    msg = str(err.value)
    assert "takes 'factor' by position only, and a config passes arguments by name" in msg
    assert "Did you mean" not in msg and "unexpected argument" not in msg


def test_a_delete_left_in_a_list_element_says_why_it_is_there(tmp_path) -> None:
    """A child's list replaces the base's whole: `_delete_` in its element (MMEngine keeps
    it too) reached the constructor as an 'unexpected argument' with no explanation."""
    from runner_core.config import Config

    (tmp_path / "base.py").write_text("schedulers = [dict(type='Step', size=2)]\n")
    (tmp_path / "child.py").write_text(
        "_base_ = 'base.py'\nschedulers = [dict(_delete_=True, type='Step', size=3)]\n"
    )
    cfg = Config.fromfile(tmp_path / "child.py")
    reg = Registry("thing", "runner.delete-test")

    def Step(size: int) -> int:  # noqa: N802 - named like the class a config names
        return size

    reg.register_module(module=Step)
    with pytest.raises(BuildError) as err:
        reg.build(cfg.schedulers[0])
    msg = str(err.value)
    assert "Inside a list element it has no effect" in msg and "pure-Python config" in msg
    assert "Remove it." in msg and "unexpected argument" not in msg


def test_options_a_constructor_checks_itself_name_the_config_key() -> None:
    from runner_core.registry import check_arguments, current_build_path

    reg = Registry("thing", "runner.things-test")
    seen = []

    @reg.register_module()
    class Picky:
        def __init__(self, size: int = 1, **options: object) -> None:
            seen.append(current_build_path())
            check_arguments(Picky, options, named_only=True)

    with pytest.raises(BuildError, match=r"\(at 'default_hooks.picky.sise'\)"):
        reg.build({"type": "Picky", "sise": 2}, _key_path="default_hooks.picky")
    assert seen == ["default_hooks.picky"] and current_build_path() is None


def test_pipeline_errors_name_the_whole_key() -> None:
    from runner_core.registry import DATASETS

    @DATASETS.register_module(force=True)
    class WithPipeline:
        def __init__(self, pipeline: list) -> None:
            from runner_core.dataset import Compose

            self.pipeline = Compose(pipeline)

    with pytest.raises(RegistryError, match=r"train_dataloader.dataset.pipeline\[1\].type"):
        DATASETS.build(
            {"type": "WithPipeline", "pipeline": [lambda x: x, {"type": "NoSuchTransform"}]},
            _key_path="train_dataloader.dataset",
        )


def test_every_torch_optimizer_is_available_by_class_name() -> None:
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "LBFGS"):
        assert OPTIMIZERS.get(name) is getattr(torch.optim, name)
    assert "Optimizer" not in OPTIMIZERS  # the base class is not an optimizer to build


def test_missing_type_is_a_clear_error() -> None:
    reg = Registry("thing", "runner.things-test")
    with pytest.raises(BuildError, match="no 'type' key"):
        reg.build({"size": 1}, _key_path="model")


# -- MMEngine's registry API --------------------------------------------------------------
def _widgets(scope: str) -> Registry:
    reg = Registry("thing", scope=scope)

    @reg.register_module()
    class Net:
        def __init__(self, depth: int, stages: int = 4) -> None:
            self.depth, self.stages = depth, stages

    return reg


def test_build_from_cfg_takes_mmengine_arguments() -> None:
    from runner_core.registry import build_from_cfg

    reg = _widgets("t_build_from_cfg")
    net = build_from_cfg(dict(type="Net", depth=18), reg, dict(stages=3))
    assert (net.depth, net.stages) == (18, 3)
    net = build_from_cfg(cfg=dict(type="Net", depth=1), registry=reg, default_args=None)
    assert (net.depth, net.stages) == (1, 4)


def test_build_from_cfg_accepts_a_config_and_refuses_other_objects() -> None:
    from runner_core.config import Config
    from runner_core.registry import build_from_cfg

    reg = _widgets("t_build_from_cfg_types")
    assert build_from_cfg(Config(dict(type="Net", depth=2)), reg).depth == 2
    for bad in (None, [dict(type="Net", depth=2)], object()):
        with pytest.raises(TypeError, match="should be a dict, ConfigDict or Config"):
            build_from_cfg(bad, reg)
        with pytest.raises(TypeError, match="should be a dict, ConfigDict or Config"):
            reg.build(bad)


def test_build_calls_build_func_with_the_given_arguments() -> None:
    seen = []

    def my_build(cfg: dict, registry: Registry, default_args: dict | None = None, scale: int = 1):
        seen.append((registry, default_args, scale))
        return cfg["v"] * scale

    reg = Registry("thing", build_func=my_build, scope="t_build_func_kwargs")
    assert reg.build(dict(type="X", v=2), scale=10) == 20
    assert seen == [(reg, None, 10)]


def test_scope_key_builds_from_that_scopes_registry() -> None:
    root = Registry("thing", scope="t_scope_root")
    child = Registry("thing", parent=root, scope="t_scope_child")
    root.register_module(name="Net", module=lambda: "root")
    child.register_module(name="Net", module=lambda: "child")
    assert root.build(dict(type="Net")) == "root"
    assert root.build(dict(type="Net", _scope_="t_scope_child")) == "child"
    assert child.build(dict(type="Net", _scope_="t_scope_root")) == "root"
    with root.switch_scope_and_registry("t_scope_child") as chosen:
        assert chosen is child
    with root.switch_scope_and_registry(None) as chosen:
        assert chosen is root


def test_get_returns_none_for_an_unknown_name_and_lookup_raises() -> None:
    reg = _widgets("t_get_unknown")
    assert reg.get("Unknown") is None
    assert reg.get("Net").__name__ == "Net"
    with pytest.raises(RegistryError, match="Did you mean 'Net'"):
        reg.lookup("Nett")


def test_duplicate_child_scope_is_an_assertion_error() -> None:
    root = Registry("thing", scope="t_dup_root")
    first = Registry("thing", parent=root, scope="lib")
    with pytest.raises(AssertionError, match="scope 'lib' exists"):
        Registry("thing", parent=root, scope="lib")
    assert root.children == {"lib": first}


def test_module_dict_is_the_live_table_of_registrations() -> None:
    reg = _widgets("t_module_dict")
    reg.module_dict.pop("Net")
    assert "Net" not in reg
    reg.register_module(name="Net", module=dict)  # no 'already registered' error
    assert reg.get("Net") is dict


def test_split_scope_key_and_infer_scope_are_static_methods() -> None:
    assert Registry.split_scope_key("mmdet.ResNet") == ("mmdet", "ResNet")
    assert Registry.split_scope_key("ResNet") == (None, "ResNet")
    assert Registry.infer_scope() == "tests"


def test_mmengine_root_registries_and_helpers_exist() -> None:
    import runner_core
    import runner_core.registry as registry

    for name in (
        "RUNNER_CONSTRUCTORS",
        "TASK_UTILS",
        "WEIGHT_INITIALIZERS",
        "INFERENCERS",
        "STRATEGIES",
    ):
        assert isinstance(getattr(registry, name), Registry)
        assert getattr(runner_core, name) is getattr(registry, name)
    assert runner_core.build_from_cfg is registry.build_from_cfg
    assert runner_core.count_registered_modules is registry.count_registered_modules
    root = Registry("thing", scope="t_tree_root")
    Registry("thing", parent=root, scope="t_tree_child").register_module(name="A", module=dict)
    tree = registry.traverse_registry_tree(root.children["t_tree_child"], verbose=False)
    assert [(node["scope"], node["modules"]) for node in tree][1] == ("t_tree_child", ["A"])


def test_init_default_scope_sets_the_default_scope() -> None:
    from runner_core.registry import init_default_scope
    from runner_core.registry.scope import get_default_scope, set_default_scope

    try:
        init_default_scope("runner_core")
        assert get_default_scope() == "runner_core"
    finally:
        set_default_scope(None)


def test_models_build_a_list_into_a_sequential() -> None:
    from runner_core.model import Sequential
    from runner_core.registry import MODELS

    seq = MODELS.build([dict(type="Linear", in_features=2, out_features=3), dict(type="ReLU")])
    assert isinstance(seq, Sequential)
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU"]


def test_param_schedulers_build_converts_to_iter_based() -> None:
    from runner_core.registry import PARAM_SCHEDULERS

    opt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    cfg = dict(type="StepLR", optimizer=opt, step_size=2, convert_to_iter_based=True)
    sched = PARAM_SCHEDULERS.build(cfg, default_args=dict(epoch_length=10))
    assert (sched.step_size, sched.by_epoch) == (20, False)
    plain = PARAM_SCHEDULERS.build(dict(type="StepLR", optimizer=opt, step_size=2))
    assert (plain.step_size, plain.by_epoch) == (2, True)


def test_runners_build_calls_from_cfg(tmp_path) -> None:
    from runner_core import Runner
    from runner_core.config import Config
    from runner_core.registry import RUNNERS

    cfg = dict(model=dict(type="Linear", in_features=2, out_features=1), work_dir=str(tmp_path))
    assert type(RUNNERS.build(cfg)) is Runner
    assert type(RUNNERS.build(Config(dict(cfg, runner_type="Runner")))) is Runner


def test_manager_classes_are_built_through_get_instance() -> None:
    from runner_core.registry import VISUALIZERS
    from runner_core.visualization import Visualizer

    first = VISUALIZERS.build(dict(type="Visualizer", name="t_manager_vis"))
    again = VISUALIZERS.build(dict(type="Visualizer", name="t_manager_vis"))
    assert again is first and Visualizer.get_current_instance() is first


def test_each_runner_gets_its_own_visualizer_whatever_its_name(tmp_path) -> None:
    """OpenMMLab configs all say name='visualizer': a second Runner in one process (a sweep,
    a notebook) must not take over the first one's visualizer and write into its folder."""
    from torch import nn

    from runner_core import Runner

    cfg = dict(type="Visualizer", name="visualizer", vis_backends=[dict(type="LocalVisBackend")])
    runners = [
        Runner(model=nn.Linear(2, 1), work_dir=str(tmp_path / w), visualizer=dict(cfg))
        for w in ("a", "b")
    ]
    first, second = (r.visualizer for r in runners)
    assert first is not second
    assert str(tmp_path / "b") in str(second.save_dir)


def test_scoped_key_imports_the_scopes_registry_module(tmp_path, monkeypatch) -> None:
    import sys

    from runner_core.registry import MODELS

    files = {
        "registry": "from runner_core.registry import MODELS as ROOT, Registry\n"
        "MODELS = Registry('model', parent=ROOT, locations=['t_autoscope.models'])\n",
        "models": "from torch import nn\nfrom t_autoscope.registry import MODELS\n"
        "@MODELS.register_module()\nclass AutoNet(nn.Identity):\n    pass\n",
    }
    with _package(tmp_path, monkeypatch, "t_autoscope", files):
        try:
            assert type(MODELS.build(dict(type="t_autoscope.AutoNet"))).__name__ == "AutoNet"
            assert "t_autoscope.registry" in sys.modules
        finally:
            MODELS.children.pop("t_autoscope", None)


def test_a_scope_registry_that_fails_to_import_shows_why(tmp_path, monkeypatch) -> None:
    """A ``<scope>.registry`` needing a missing package reports that package, not an unknown
    name (only a scope without a registry module is no error)."""
    import sys

    from runner_core.registry import MODELS

    pkg = tmp_path / "t_brokenscope"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "registry.py").write_text("import t_missing_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(ModuleNotFoundError, match="t_missing_dependency_xyz"):
            MODELS.build(dict(type="t_brokenscope.Net"))
        assert MODELS.get("t_noscope_at_all.Net") is None
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "t_brokenscope"]:
            del sys.modules[name]


def test_switching_to_no_scope_yields_the_default_scopes_registry() -> None:
    """mmcv's build_conv_layer does ``with MODELS.switch_scope_and_registry(None) as reg``
    and builds from ``reg``: under default_scope='mmdet' that is mmdet's registry."""
    from runner_core.registry import DefaultScope
    from runner_core.registry.scope import get_default_scope

    root = Registry("thing", scope="t_switch_none_root")
    child = Registry("thing", parent=root, scope="t_switch_none_child")
    with DefaultScope.overwrite_default_scope("t_switch_none_child"):
        with root.switch_scope_and_registry(None) as chosen:
            assert chosen is child
            assert get_default_scope() == "t_switch_none_child"
    with DefaultScope.overwrite_default_scope("t_switch_none_elsewhere"):
        with root.switch_scope_and_registry(None) as chosen:
            assert chosen is root  # no registry of that scope in this tree


def test_a_childs_locations_are_imported_before_its_parent_is_asked(tmp_path, monkeypatch) -> None:
    """As in MMEngine: mmdet's own ``Resize`` wins over the root's from its first lookup,
    not only after some unrelated miss has imported mmdet's transforms."""
    import sys

    pkg = tmp_path / "t_firstlookup"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "transforms.py").write_text(
        "from tests_t_firstlookup_registry import CHILD\n"
        "@CHILD.register_module()\nclass Resize:\n    src = 'child'\n"
    )
    root = Registry("thing", scope="t_firstlookup_root")

    @root.register_module()
    class Resize:
        src = "root"

    child = Registry(
        "thing", parent=root, scope="t_firstlookup", locations=["t_firstlookup.transforms"]
    )
    registry_module = type(sys)("tests_t_firstlookup_registry")
    registry_module.CHILD = child  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests_t_firstlookup_registry", registry_module)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert child.build(dict(type="Resize")).src == "child"
        assert root.get("Resize").src == "root"
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "t_firstlookup"]:
            del sys.modules[name]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(name=["make", 5]), "name must be a str or a list of str"),
        (dict(force=1), "force must be a bool"),
        (dict(module=5), "registers a class or a function"),
    ],
)
def test_register_module_refuses_what_would_break_the_registry_later(
    kwargs: dict, match: str
) -> None:
    registry = Registry("thing", scope="t_register_checks")
    with pytest.raises(TypeError, match=match):
        registry.register_module(**kwargs)(lambda: None)  # module=: raises at once
    assert len(registry) == 0 and list(registry.keys()) == []


def test_a_locations_module_that_fails_to_import_says_so_on_every_lookup() -> None:
    """As MMEngine raises the ImportError each time: a lookup after the first failure
    must not read as an unknown name ("'X' is not in the registry")."""
    from runner_core.errors import RegistryImportError

    broken = Registry("thing", scope="t_broken_loc", locations=["t_no_such_pkg_xyz.models"])
    for _ in range(2):
        with pytest.raises(RegistryImportError, match="t_no_such_pkg_xyz"):
            broken.get("X")
    with pytest.raises(ImportError, match="t_no_such_pkg_xyz"):
        broken.build(dict(type="X"))


def test_mmengine_scope_names_the_root_registries() -> None:
    """Ported configs write ``type='mmengine.LogProcessor'``: the root registries are
    ours, so the scope ``mmengine`` is theirs."""
    from runner_core.registry import DATA_SAMPLERS, HOOKS, LOG_PROCESSORS

    assert HOOKS.get("mmengine.IterTimerHook") is HOOKS.get("IterTimerHook") is not None
    assert LOG_PROCESSORS.get("mmengine.LogProcessor") is LOG_PROCESSORS.get("LogProcessor")
    assert (
        DATA_SAMPLERS.build(
            dict(type="mmengine.DefaultSampler", dataset=list(range(4)), shuffle=False)
        ).__class__.__name__
        == "DefaultSampler"
    )


def test_mmengine_import_paths_name_the_root_registries_entries() -> None:
    """MMEngine's dumps write module paths (``'mmengine.hooks.LoggerHook'``), which name
    its own classes; here they name ours, as ``'mmengine.LoggerHook'`` does."""
    from runner_core.registry import HOOKS, LOOPS, PARAM_SCHEDULERS

    assert HOOKS.get("mmengine.hooks.LoggerHook") is HOOKS.get("LoggerHook") is not None
    assert HOOKS.get("mmengine.hooks.logger_hook.LoggerHook") is HOOKS.get("LoggerHook")
    assert LOOPS.get("mmengine.runner.IterBasedTrainLoop") is LOOPS.get("IterBasedTrainLoop")
    assert PARAM_SCHEDULERS.get("mmengine.optim.MultiStepLR") is PARAM_SCHEDULERS.get("MultiStepLR")
    with pytest.raises(RegistryError, match="mmengine.hooks.NoSuchHook"):
        HOOKS.lookup("mmengine.hooks.NoSuchHook")


def test_an_mmengine_path_never_reads_its_module_as_a_scope_of_the_users(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project folder `hooks/` on the path: 'mmengine.hooks.LoggerHook' gave its class."""
    import sys

    from runner_core.registry import HOOKS

    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "__init__.py").write_text("class LoggerHook:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "hooks", raising=False)
    try:
        assert HOOKS.get("mmengine.hooks.LoggerHook") is HOOKS.get("LoggerHook")
        assert "hooks" not in sys.modules
    finally:
        sys.modules.pop("hooks", None)


@pytest.mark.parametrize(
    ("key", "suggested"),
    [("SDG", "'SGD'"), ("Adamw", "'AdamW'"), ("Relu", "'ReLU'")],
)
def test_misspelt_torch_names_get_a_suggestion(key: str, suggested: str) -> None:
    from runner_core.registry import MODELS

    registry = OPTIMIZERS if key in ("SDG", "Adamw") else MODELS
    with pytest.raises(RegistryError, match=f"Did you mean (one of )?{suggested}"):
        registry.lookup(key)


def test_a_misspelt_scoped_key_suggests_the_scoped_name() -> None:
    root = Registry("thing", scope="t_scoped_hint_root")
    child = Registry("thing", parent=root, scope="t_scoped_hint")

    @child.register_module()
    class ResNet:
        pass

    with pytest.raises(RegistryError, match="Did you mean 't_scoped_hint.ResNet'"):
        root.build(dict(type="t_scoped_hint.ResNt"))


def test_a_misspelt_scoped_key_is_a_miss_in_that_scope_with_its_own_names_first() -> None:
    """'t_own_hint.MyDetectr' started with the failed import ('module has no attribute')
    and suggested 't_own_hint.Accuracy', a name of the parent, before the scope's own."""
    root = Registry("thing", scope="t_own_hint_root")
    child = Registry("thing", parent=root, scope="t_own_hint")
    root.register_module("MyDetectors", module=dict)
    child.register_module("MyDetector", module=list)

    with pytest.raises(RegistryError) as info:
        root.build(dict(type="t_own_hint.MyDetectr"))
    message = str(info.value)
    assert message == (
        "'t_own_hint.MyDetectr' is not registered in scope 't_own_hint' of the thing "
        "registry. Did you mean 't_own_hint.MyDetector'? (Nor could it be imported as a "
        "dotted path: ImportError: cannot import 't_own_hint.MyDetectr'.)"
    )


def test_a_name_only_a_sibling_scope_registers_names_the_scoped_key() -> None:
    """Under default_scope 't_sib_a', 'OtherBackbone' of scope 't_sib_b' suggested only
    names of 't_sib_a', not the 't_sib_b.OtherBackbone' to write."""
    from runner_core.registry import DefaultScope

    root = Registry("thing", scope="t_sib_root")
    mine = Registry("thing", parent=root, scope="t_sib_a")
    Registry("thing", parent=root, scope="t_sib_b").register_module("OtherBackbone", module=dict)
    mine.register_module("MyBackbone", module=list)

    with DefaultScope.overwrite_default_scope("t_sib_a"), pytest.raises(RegistryError) as info:
        root.build(dict(type="OtherBackbone"))
    assert str(info.value).startswith(
        "'OtherBackbone' is not in the thing registry (scope 't_sib_a'). The thing registry "
        "of scope 't_sib_b' registers it: write type='t_sib_b.OtherBackbone'."
    )
    assert type(root.build(dict(type="t_sib_b.OtherBackbone"))) is dict


def test_module_dict_answers_to_mmengines_private_name_and_keys_must_be_str() -> None:
    reg = _widgets("t_private_module_dict")
    assert reg._module_dict is reg.module_dict and "Net" in reg._module_dict
    with pytest.raises(TypeError, match="must be a str"):
        reg.get(dict)  # type: ignore[arg-type]


def test_mmengines_private_tree_names_answer_as_there() -> None:
    """Downstream code written for MMEngine reaches for these; they raised AttributeError."""
    root = Registry("thing", scope="t_private_root")
    child = Registry("thing", parent=root, scope="t_private_child", locations=["json"])
    grandchild = Registry("thing", parent=child, scope="t_private_grand")
    assert grandchild._get_root_registry() is root
    assert root._search_child("t_private_grand") is grandchild
    assert root._search_child("t_private_root") is root
    assert child._search_child("t_private_root") is None  # its subtree only, as MMEngine's
    assert dict(root._children) == {"t_private_child": child}
    with pytest.raises(TypeError):
        root._children["other"] = child  # type: ignore[index]
    assert child._imported is False and child.get("Nothing") is None and child._imported
    child._register_module(dict, module_name="Zed")
    assert child.get("Zed") is dict
    with pytest.raises(RegistryError, match="already registered"):
        child._register_module(list, module_name="Zed")


def test_names_mmengines_root_registries_hold_for_models_and_wrappers() -> None:
    from runner_core.model import BaseTTAModel
    from runner_core.registry import MODEL_WRAPPERS, MODELS

    assert MODELS.get("BaseTTAModel") is BaseTTAModel
    assert MODEL_WRAPPERS.get("DataParallel") is torch.nn.DataParallel


def test_a_misspelt_scope_is_named_when_the_name_is_not_found() -> None:
    """MMEngine logs that it could not find the scope; ours notes it on the error, with
    the scopes there are, since the name was looked up in another registry."""
    root = Registry("thing", scope="t_scope_note_root")
    child = Registry("thing", parent=root, scope="t_scope_note")

    @child.register_module()
    class ResNet:
        pass

    with pytest.raises(RegistryError) as info, pytest.warns(UserWarning, match="t_scope_noet"):
        root.build(dict(type="ResNet", _scope_="t_scope_noet"))
    note = " ".join(getattr(info.value, "__notes__", []))
    assert "_scope_='t_scope_noet' names no registry" in note
    assert "Did you mean one of 't_scope_note'" in note
    assert type(root.build(dict(type="ResNet", _scope_="t_scope_note"))) is ResNet


def test_a_misspelt_scope_warns_when_another_registry_builds_instead() -> None:
    """MMEngine warns that it used the current registry; a name the root also has was
    built silently from it. Shown at the caller's line, once per scope."""
    root = Registry("thing", scope="t_warn_root")
    Registry("thing", parent=root, scope="t_warn_lib")

    @root.register_module()
    class Plain:
        pass

    with pytest.warns(UserWarning) as caught:
        assert type(root.build(dict(type="Plain", _scope_="t_warn_lbi"))) is Plain
    (warning,) = caught
    assert str(warning.message) == (
        "No thing registry has scope 't_warn_lbi' and no package of that name is installed, "
        "so the 't_warn_root' registry builds instead; check _scope_ / default_scope. "
        "Did you mean one of 't_warn_lib', 't_warn_root'?"
    )
    assert warning.filename == __file__
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        root.build(dict(type="Plain", _scope_="t_warn_lbi"))  # once
        root.build(dict(type="Plain", _scope_="json"))  # an installed package: its scope
        root.build(dict(type="Plain", _scope_="runner-hooks-standard"))  # a distribution


def test_optimizers_of_installed_packages_are_found_as_mmengine_registers_them(
    tmp_path, monkeypatch
) -> None:
    """MMEngine registers Lion (lion_pytorch) and transformers' Adafactor when they are
    installed; 'Adafactor' must not silently become torch's, a different algorithm."""
    import sys

    for package, source in {
        "lion_pytorch": "import torch\nclass Lion(torch.optim.SGD):\n    pass\n",
        "transformers": "import torch\nclass Adafactor(torch.optim.SGD):\n    pass\n",
    }.items():
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert OPTIMIZERS.get("Lion").__module__ == "lion_pytorch"
        assert OPTIMIZERS.get("Adafactor").__module__ == "transformers"
        assert OPTIMIZERS.get("TorchAdafactor") is torch.optim.Adafactor
        assert OPTIMIZERS.get("SGD") is torch.optim.SGD
    finally:
        for name in ("lion_pytorch", "transformers"):
            sys.modules.pop(name, None)


def test_a_location_that_failed_part_way_is_not_imported_again(tmp_path, monkeypatch) -> None:
    """A locations= module that registered a class and then failed: importing it again on
    the next lookup would report the class as registered twice, not the real error."""
    from runner_core.errors import RegistryImportError

    files = {
        "reg": "from runner_core.registry import Registry\n"
        "MODELS = Registry('thing', scope='t_halfloc', locations=['t_halfloc.models'])\n",
        "models": "from t_halfloc.reg import MODELS\n"
        "@MODELS.register_module()\nclass Good:\n    pass\n"
        "import t_no_such_dependency_xyz\n",
    }
    with _package(tmp_path, monkeypatch, "t_halfloc", files):
        from t_halfloc.reg import MODELS as half

        for key in ("Good", "Other"):
            with pytest.raises(RegistryImportError, match="t_no_such_dependency_xyz"):
                half.get(key)


@pytest.mark.parametrize("kwargs", [dict(parent="cat"), dict(scope=1)])
def test_a_registry_argument_of_the_wrong_type_is_refused_as_mmengine_asserts(kwargs: dict) -> None:
    with pytest.raises(AssertionError) as err:
        Registry("x_bad_args", **kwargs)
    assert isinstance(err.value, TypeError)


def _root_falling_back_to(cls: type) -> Registry:
    return Registry("thing", fallback=lambda key: cls if key == cls.__name__ else None)


def test_a_name_only_torch_answers_warns_when_another_scope_has_its_own() -> None:
    """MMEngine raises KeyError for a sibling's class built without its scope prefix; here
    the root's torch fallback would build torch's class of that name without a word."""
    import warnings

    root = _root_falling_back_to(torch.nn.Hardshrink)
    alpha = Registry("thing", parent=root, scope="t_fallback_alpha")
    beta = Registry("thing", parent=root, scope="t_fallback_beta")

    @alpha.register_module()
    class Hardshrink(torch.nn.Module):
        pass

    with pytest.warns(UserWarning) as caught:
        assert beta.get("Hardshrink") is torch.nn.Hardshrink
    (message,) = [str(w.message) for w in caught]
    assert "scope 't_fallback_alpha' has a 'Hardshrink' of its own" in message
    assert "type='t_fallback_alpha.Hardshrink'" in message
    assert "type='torch.nn.Hardshrink'" in message
    assert alpha.get("Hardshrink") is Hardshrink
    assert beta.get("t_fallback_alpha.Hardshrink") is Hardshrink
    # nobody else's, or torch's own class registered by a scope: nothing to say
    quiet = _root_falling_back_to(torch.nn.Hardshrink)
    Registry("thing", parent=quiet, scope="t_fallback_same").register_module(
        name="Hardshrink", module=torch.nn.Hardshrink
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert quiet.get("Hardshrink") is torch.nn.Hardshrink
        assert _root_falling_back_to(torch.nn.Hardshrink).get("Hardshrink") is torch.nn.Hardshrink


def test_an_argument_handed_on_through_kwargs_and_refused_names_the_config_key() -> None:
    """OpenMMLab's loops and hooks take ``**kwargs`` and pass them to their base class: the
    base's TypeError named neither the config key nor what to write instead."""
    from runner_core.registry.build_functions import build_from_cfg

    reg = Registry("thing", scope="t_forwarded_kwargs")

    class Base:
        def __init__(self, max_epochs: int = 1, val_interval: int = 1) -> None:
            self.max_epochs = max_epochs

    @reg.register_module()
    class Forwarding(Base):
        def __init__(self, note: str = "", **kwargs: Any) -> None:
            super().__init__(**kwargs)

    cfg = dict(type="Forwarding", max_epoch=2)
    with pytest.raises(BuildError) as raised:
        build_from_cfg(cfg, reg, _key_path="train_cfg")
    message = str(raised.value)
    assert "'max_epoch' (at 'train_cfg.max_epoch')" in message
    assert "Did you mean 'max_epochs'?" in message
    assert "Base takes: max_epochs, val_interval" in message
    assert isinstance(raised.value, TypeError)  # what MMEngine raises

    # a key the class takes by name and passes on wrongly is the class's bug: left as it is
    class Timer:
        def __init__(self, seconds: float = 1.0) -> None:
            pass

    @reg.register_module()
    class PassesOnWrongly:
        def __init__(self, interval: int = 1, **kwargs: Any) -> None:
            Timer(interval=interval)  # type: ignore[call-arg]

    with pytest.raises(TypeError, match=r"Timer.__init__\(\) got an unexpected") as raised_by_name:
        build_from_cfg(dict(type="PassesOnWrongly", interval=2), reg, _key_path="custom_hooks.1")
    assert not isinstance(raised_by_name.value, BuildError)
    # a TypeError about something else is left as it is (noted with its key)
    reg.register_module(name="Failing", module=lambda **kw: (_ for _ in ()).throw(TypeError("x")))
    with pytest.raises(TypeError, match="^x\nRaised in the constructor of 'Failing'") as other:
        build_from_cfg(dict(type="Failing", a=1), reg, _key_path="train_cfg")
    assert str(other.value) == "x"


def test_an_argument_left_by_a_base_config_suggests_delete(tmp_path) -> None:
    """A child swapping a hook's type kept the base's arguments (`ignore_last` for a CSV
    hook): the error said only 'unexpected argument', not where it came from."""
    from runner_core.config import Config

    (tmp_path / "base.py").write_text(
        "hooks = dict(logger=dict(type='Logger', interval=5, ignore_last=False))\n"
    )
    (tmp_path / "child.py").write_text(
        "_base_ = 'base.py'\nhooks = dict(logger=dict(type='CsvHook'))\n"
    )
    cfg = Config.fromfile(tmp_path / "child.py")
    reg = Registry("thing", "runner.inherited-test")

    @reg.register_module()
    class CsvHook:
        def __init__(self, interval: int = 1, filename: str = "log.csv") -> None:
            pass

    with pytest.raises(BuildError) as err:
        reg.build(cfg.hooks.logger, _key_path="hooks.logger")
    assert "add _delete_=True to that dict" in str(err.value)
    with pytest.raises(BuildError) as err:  # a typo: the did-you-mean is the answer
        reg.build(dict(type="CsvHook", intervl=2), _key_path="hooks.logger")
    assert "Did you mean 'interval'" in str(err.value) and "_delete_" not in str(err.value)


def test_a_scoped_name_of_a_library_not_installed_says_so(fake_dist) -> None:
    """After `pip uninstall mylib`: 'mylib.ResNet' said only that the dotted path could not
    be imported; a misspelt torch path keeps its did-you-mean."""
    from runner_core.registry import MODELS

    with pytest.raises(RegistryError, match=r"No package or distribution named 't_gone_lib'"):
        MODELS.build(dict(type="t_gone_lib.ResNet"))
    with pytest.raises(RegistryError, match=r"Did you mean one of 'Linear'") as err:
        MODELS.build(dict(type="torch.nn.Lineer"))
    assert "No package" not in str(err.value)
    fake_dist(  # a distribution named otherwise than its package, used as a scope
        "t-plug-dist",
        {"runner.models": {"TPlugNet": "t_plugmod:TPlugNet"}},
        {"t_plugmod": "class TPlugNet:\n    pass\n"},
    )
    with pytest.raises(RegistryError) as err:
        MODELS.build(dict(type="t_plug_dist.TPlugNett"))
    assert "No package" not in str(err.value)
    assert "Did you mean 't_plug_dist.TPlugNet'" in str(err.value)  # the scope's own name


def test_a_class_whose_init_a_decorator_wraps_builds_with_the_keywords_it_translates() -> None:
    """mmcv's RoIAlign: @deprecated_api_warning({'out_size': 'output_size'}) wraps __init__
    (functools.wraps), so inspect.signature shows only output_size; the argument check
    refused out_size, which the wrapper renames."""
    import functools

    def renames_out_size(init: Any) -> Any:
        @functools.wraps(init)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            if "out_size" in kwargs:
                kwargs["output_size"] = kwargs.pop("out_size")
            return init(self, *args, **kwargs)

        return wrapper

    registry = Registry("wrapped_init_test")

    @registry.register_module()
    class RoIAlign:
        @renames_out_size
        def __init__(self, output_size: int) -> None:
            self.output_size = output_size

    assert registry.build(dict(type="RoIAlign", out_size=7)).output_size == 7

    @registry.register_module()
    class Plain:
        def __init__(self, output_size: int) -> None:
            self.output_size = output_size

    with pytest.raises(BuildError, match="unexpected argument 'out_size'"):  # still checked
        registry.build(dict(type="Plain", out_size=7))


def test_register_module_takes_a_tuple_of_names_as_mmengine() -> None:
    registry = Registry("tuple_names_test")

    @registry.register_module(name=("Alias1", "Alias2"))
    class Both:
        pass

    assert registry.get("Alias1") is Both and registry.get("Alias2") is Both
    with pytest.raises(TypeError, match="name must be a str or a list of str"):
        registry.register_module(name=("A", 1), module=Both)


def test_a_librarys_own_root_registry_under_a_standard_name_starts_empty() -> None:
    """A library's Registry('hook') without parent= read the runner.hooks entry points and
    held every standard hook; MMEngine's is empty. A child (parent=HOOKS) still finds them."""
    from runner_core.registry import HOOKS

    own = Registry("hook", scope="t_own_root_lib")
    assert len(own) == 0 and own.get("CheckpointHook") is None and "CheckpointHook" not in own
    assert Registry("hook", parent=HOOKS, scope="t_own_child_lib").get("CheckpointHook")
    assert Registry("hook", group="runner.hooks", scope="t_own_grouped").get("CheckpointHook")
    with pytest.raises(RegistryError) as info:
        own.build(dict(type="CheckpointHook"))
    assert "entry points" not in str(info.value)  # it reads none


def test_a_constructor_failing_on_a_value_is_noted_with_its_key_and_type() -> None:
    """A model whose __init__ failed on hidden='abc' (torch's TypeError) named neither the
    model nor its config key; the innermost build's key is the one noted, once."""
    from runner_core.registry import build_from_cfg

    reg = Registry("qa-noted")

    @reg.register_module()
    class Inner:
        def __init__(self, hidden: Any = 4) -> None:
            self.size = 10 // hidden if isinstance(hidden, int) else torch.empty(hidden)

    @reg.register_module()
    class Outer:
        def __init__(self, inner: Any) -> None:
            build_from_cfg(inner, reg, _key_path="model.inner")

    with pytest.raises(TypeError) as info:
        build_from_cfg(
            dict(type="Outer", inner=dict(type="Inner", hidden="abc")), reg, _key_path="model"
        )
    notes = [n for n in getattr(info.value, "__notes__", []) if "config key" in n]
    assert notes == ["Raised in the constructor of 'Inner', built from config key 'model.inner'."]
    with pytest.raises(ZeroDivisionError) as err:
        build_from_cfg(dict(type="Inner", hidden=0), reg)  # a build of the user's: no key
    assert not getattr(err.value, "__notes__", [])


@pytest.mark.parametrize("cli_installed", [True, False])
def test_an_unknown_name_points_to_runner_cli_only_where_it_is_installed(
    monkeypatch: pytest.MonkeyPatch, cli_installed: bool
) -> None:
    """`pip install runner-core runner-hooks-standard` has no runner-cli command to run."""
    from runner_core import standard

    monkeypatch.setattr(standard, "_installed", lambda dist: cli_installed or dist != "runner-cli")
    reg = Registry("thing", "runner.things-test")
    with pytest.raises(RegistryError) as err:
        reg.build({"type": "NoSuchThing"})
    message = str(err.value)
    assert ("(see `runner-cli plugins`)" in message) is cli_installed
    # a registry of one's own is not runner_core.registry's to import (it was said to be)
    assert "import THING" not in message
    assert ("`print(THING.keys())`, or `pip install runner-cli`" in message) is not cli_installed
    with pytest.raises(RegistryError) as err:
        MODELS.build({"type": "NoSuchModel"})
    assert ("from runner_core.registry import MODELS; print(MODELS.keys())" in str(err.value)) is (
        not cli_installed
    )
