"""The Runner's contract: lazy building, the run folder, hook order, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from digits import digits_cfg
from torch.utils.data import Dataset

from runner_core import Config, Runner
from runner_core.errors import ConfigError
from runner_core.evaluator import BaseMetric
from runner_core.hooks import Hook, hook_point_names
from runner_core.registry import DATASETS


class PointRecorder(Hook):
    """Implements every standard hook point and records the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []


def _make_recorder_method(point: str):
    def method(self, runner) -> None:
        self.calls.append(point)

    method.__name__ = point
    return method


for _point in hook_point_names():
    setattr(PointRecorder, _point, _make_recorder_method(_point))


@DATASETS.register_module(force=True)
class ExplodingDataset(Dataset):
    """Building it is an error: proves a run did not build what it does not need."""

    def __init__(self, **kwargs) -> None:
        raise AssertionError("this dataset must not be built")


def tiny_cfg(tmp_path, **overrides):
    cfg = digits_cfg(str(tmp_path), train_cfg=dict(by_epoch=True, max_epochs=2))
    cfg["default_hooks"] = dict(checkpoint=dict(interval=1))
    cfg.update(overrides)
    return cfg


def test_hook_points_come_in_mmengine_order(tmp_path) -> None:
    rec = PointRecorder()
    runner = Runner.from_cfg(Config(tiny_cfg(tmp_path)))
    runner.register_hook(rec)
    runner.train()
    calls = rec.calls
    # 2 epochs of 45 iterations, validation after each, a checkpoint after each epoch
    epoch = (
        ["before_train_epoch"]
        + ["before_train_iter", "after_train_iter"] * 45
        + ["before_save_checkpoint", "after_train_epoch"]
    )
    val = ["before_val", "before_val_epoch"] + ["before_val_iter", "after_val_iter"] * 3
    val += ["after_val_epoch", "after_val"]
    expected = [
        "before_run",
        "before_train",
        *epoch,
        *val,
        *epoch,
        *val,
        "after_train",
        "after_run",
    ]
    # the checkpoint hook saves inside after_train_epoch; the recorder (NORMAL) runs first
    expected = [c for c in expected if c != "before_save_checkpoint"]
    got = [c for c in calls if c != "before_save_checkpoint"]
    assert got == expected
    assert calls.count("before_save_checkpoint") == 2


def test_train_returns_model_and_eval_returns_metrics(tmp_path) -> None:
    runner = Runner.from_cfg(Config(tiny_cfg(tmp_path)))
    model = runner.train()
    assert model is runner.model
    metrics = runner.val()
    assert set(metrics) == {"accuracy/top1"} and metrics["accuracy/top1"] > 80


def test_run_folder_holds_log_and_config(tmp_path) -> None:
    runner = Runner.from_cfg(Config(tiny_cfg(tmp_path)))
    runner.train()
    run = runner.log_dir
    assert run.parent == tmp_path.resolve() and run.name == runner.timestamp
    log = (run / f"{runner.timestamp}.log").read_text()
    assert "Epoch(train)" in log
    dumped = Config.fromfile(run / "config.py")
    assert dumped.train_cfg.max_epochs == 2
    assert (run / "vis_data" / "scalars.json").exists()


def test_a_plain_dict_cfg_becomes_a_config_as_in_mmengine(tmp_path) -> None:
    cfg = tiny_cfg(tmp_path, train_cfg=dict(by_epoch=False, max_iters=2, val_interval=10))
    cfg["note"] = "hello"
    runner = Runner(**{k: v for k, v in cfg.items() if k != "note"}, cfg=dict(cfg))
    assert isinstance(runner.cfg, Config) and runner.cfg.note == "hello"
    runner.train()
    for written in (runner.log_dir / "config.py", runner.log_dir / "vis_data" / "config.py"):
        assert Config.fromfile(written).note == "hello"


@pytest.mark.parametrize(
    "hooks",
    [
        dict(default_hooks=dict(param_scheduler=None)),
        dict(default_hooks_set="none", default_hooks={}),
        dict(
            default_hooks=dict(param_scheduler=None),
            custom_hooks=[dict(type="ParamSchedulerHook")],  # steps them: no warning
        ),
    ],
)
def test_schedulers_no_hook_steps_are_named_at_the_start(tmp_path, hooks) -> None:
    cfg = tiny_cfg(tmp_path, train_cfg=dict(by_epoch=True, max_epochs=2), **hooks)
    cfg["param_scheduler"] = dict(type="MultiStepLR", milestones=[1], gamma=0.1)
    runner = Runner.from_cfg(Config(cfg))
    messages: list[str] = []
    runner.logger.warning = lambda msg, *args: messages.append(msg % args if args else msg)
    runner.train()
    lr = runner.optim_wrapper.param_groups[0]["lr"]
    warned = [m for m in messages if "no hook steps it" in m]
    if "custom_hooks" in hooks:
        assert not warned and lr == pytest.approx(0.01)
    else:
        assert len(warned) == 1 and "ParamSchedulerHook" in warned[0]
        assert ("'none'" in warned[0]) == ("default_hooks_set" in hooks)
        assert lr == pytest.approx(0.1)  # what the warning says: the schedule never ran


def test_visualizer_false_trains_and_logs_without_vis_files(tmp_path) -> None:
    cfg = tiny_cfg(tmp_path)
    cfg["visualizer"] = False
    runner = Runner.from_cfg(Config(cfg))
    runner.train()
    assert runner.visualizer is None
    assert "Epoch(train)" in (runner.log_dir / f"{runner.timestamp}.log").read_text()
    assert not (runner.log_dir / "vis_data").exists()


def test_visualizer_true_is_refused_naming_the_key(tmp_path) -> None:
    cfg = tiny_cfg(tmp_path)
    cfg["visualizer"] = True
    with pytest.raises(TypeError, match=r"visualizer must be a dict.*False for no visualizer"):
        Runner.from_cfg(Config(cfg))
    assert not any(tmp_path.iterdir())  # refused before the run folder is made


def test_lazy_building_test_needs_no_training_parts(tmp_path) -> None:
    trained = Runner.from_cfg(Config(tiny_cfg(tmp_path / "a")))
    trained.train()
    ckpt = str(trained.work_dir / "epoch_2.pth")
    cfg = tiny_cfg(tmp_path / "b")
    cfg["train_dataloader"]["dataset"] = dict(type="ExplodingDataset")
    cfg["val_dataloader"]["dataset"] = dict(type="ExplodingDataset")
    cfg["test_dataloader"] = dict(dataset=dict(type="DigitsForTests", split="val"), batch_size=64)
    cfg["test_evaluator"] = dict(type="Accuracy")
    cfg["test_cfg"] = dict()
    cfg["load_from"] = ckpt
    metrics = Runner.from_cfg(Config(cfg)).test()
    assert metrics["accuracy/top1"] == pytest.approx(trained.val()["accuracy/top1"])


def test_config_without_training_parts_tests(tmp_path) -> None:
    cfg = dict(
        model=dict(type="DigitsMLPForTests"),
        work_dir=str(tmp_path),
        test_dataloader=dict(dataset=dict(type="DigitsForTests", split="val"), batch_size=64),
        test_evaluator=dict(type="Accuracy"),
    )
    runner = Runner.from_cfg(Config(cfg))
    assert "accuracy/top1" in runner.test()
    with pytest.raises(Exception, match="cannot train|needs train_dataloader"):
        runner.train()


def test_same_seed_same_loss_curve(tmp_path) -> None:
    curves = []
    for i in range(2):
        runner = Runner.from_cfg(
            Config(tiny_cfg(tmp_path / str(i), val_dataloader=None, val_evaluator=None))
        )
        runner.train()
        curves.append(runner.message_hub.get_scalar("train/loss").data())
    assert curves[0] == curves[1]


def test_val_cfg_without_val_dataloader_is_a_config_error(tmp_path) -> None:
    cfg = tiny_cfg(tmp_path, val_dataloader=None)
    cfg["val_cfg"] = dict()
    with pytest.raises(ConfigError, match="val_dataloader"):
        Runner.from_cfg(Config(cfg))


@pytest.mark.parametrize("mode", ["val", "test"])
def test_evaluation_data_without_evaluator_is_a_config_error(tmp_path, mode: str) -> None:
    cfg = tiny_cfg(tmp_path, val_evaluator=None)
    if mode == "test":
        cfg.update(test_dataloader=cfg["val_dataloader"], val_evaluator=dict(type="Accuracy"))
    # MMEngine refuses it too (ValueError); validation would otherwise report no metrics
    with pytest.raises(
        ConfigError, match=f"{mode}_dataloader is set, but {mode}_evaluator is not"
    ) as caught:
        Runner.from_cfg(Config(cfg))
    assert issubclass(ConfigError, ValueError)
    verb = "validate" if mode == "val" else "test"
    assert f"is not, so the config cannot {verb}. Add {mode}_evaluator" in str(caught.value)
    # predictions without a score (Lightning's predict): the test run can dump them
    assert ("type='DumpResults'" in str(caught.value)) == (mode == "test")


def test_an_empty_evaluator_list_evaluates_without_metrics(tmp_path) -> None:
    """val_evaluator=[] is an evaluator with no metrics, as MMEngine's Evaluator([])."""
    cfg = tiny_cfg(tmp_path, val_evaluator=[])
    cfg.update(test_dataloader=cfg["val_dataloader"], test_evaluator=[])
    runner = Runner.from_cfg(Config(cfg))
    assert runner.val() == {} and runner.test() == {}


def test_a_custom_hook_without_type_is_named_as_written(tmp_path) -> None:
    """The message showed {} for dict(priority='LOW'): priority was taken out first."""
    from runner_core.errors import BuildError

    cfg = tiny_cfg(tmp_path, custom_hooks=[dict(priority="LOW")])
    with pytest.raises(
        BuildError, match=r"from \{'priority': 'LOW'\} \(config key 'custom_hooks\[0\]'\)"
    ):
        Runner.from_cfg(Config(cfg))


def test_misspelled_top_level_key_says_did_you_mean(tmp_path) -> None:
    cfg = tiny_cfg(tmp_path)
    cfg["train_dataloder"] = cfg.pop("train_dataloader")
    with pytest.raises(ConfigError, match="Did you mean 'train_dataloader'"):
        Runner.from_cfg(Config(cfg))


def test_iteration_loop_cycles_data_and_reshuffles_each_pass(tmp_path) -> None:
    seen: list[list[int]] = []

    class Order(Hook):
        def before_train_iter(self, data_batch) -> None:
            seen.append(data_batch["labels"].tolist())

    cfg = digits_cfg(str(tmp_path), by_epoch=False, train_cfg=dict(by_epoch=False, max_iters=100))
    cfg["val_dataloader"] = cfg["val_evaluator"] = None
    runner = Runner.from_cfg(Config(cfg))
    runner.register_hook(Order())
    runner.train()
    assert runner.iter == 100 and len(seen) == 100
    assert seen[:45] != seen[45:90]  # the second pass over the data is shuffled anew


def test_register_hook_with_priority_and_build_dataloader(tmp_path) -> None:
    runner = Runner.from_cfg(Config(tiny_cfg(tmp_path)))
    order: list[str] = []

    class A(Hook):
        def before_train(self) -> None:
            order.append("A")

    class B(Hook):
        def before_train(self) -> None:
            order.append("B")

    runner.register_hook(A(), priority="LOWEST")
    runner.register_hook(B(), priority="HIGHEST")
    runner.train()
    assert order == ["B", "A"]
    loader = runner.build_dataloader(dict(dataset=dict(type="DigitsForTests"), batch_size=8))
    assert isinstance(loader, torch.utils.data.DataLoader) and loader.batch_size == 8


def test_a_model_that_is_not_a_module_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="model must be a config dict"):
        Runner(model="dict(type='X')", work_dir=str(tmp_path))


@pytest.mark.parametrize(
    ("evaluator", "key"),
    [
        ([dict(type="Accuracy"), dict(type="Acuracy")], "val_evaluator[1].type"),
        (dict(type="Acuracy"), "val_evaluator.type"),
    ],
)
def test_an_unknown_metric_names_its_evaluator_key(tmp_path, evaluator, key) -> None:
    runner = Runner.from_cfg(Config(tiny_cfg(tmp_path, val_evaluator=evaluator)))
    with pytest.raises(KeyError, match=r"Did you mean 'Accuracy'\?") as info:
        runner.val()
    assert f"(at config key {key!r})" in str(info.value)


@pytest.mark.parametrize(
    ("section", "value", "message"),
    [
        ("randomness", dict(sed=3), "randomness has no option 'sed'. Did you mean 'seed'?"),
        (
            "auto_scale_lr",
            dict(enable=True, base_batch_sze=16),
            "auto_scale_lr has no option 'base_batch_sze'. Did you mean 'base_batch_size'?",
        ),
        ("auto_scale_lr", dict(enable=True), "has no base_batch_size"),
        ("env_cfg", dict(mp_cfg=dict(omp_num_threads="x")), "omp_num_threads='x' is not valid"),
        ("env_cfg", dict(resource_limit="many"), "resource_limit='many' is not valid"),
    ],
)
def test_typos_in_runner_sections_are_config_errors(tmp_path, section, value, message) -> None:
    with pytest.raises(ConfigError, match=message.replace("?", r"\?").replace("(", r"\(")):
        Runner.from_cfg(Config(tiny_cfg(tmp_path, **{section: value})))


def test_randomness_typo_is_a_type_error_as_in_mmengine(tmp_path) -> None:
    with pytest.raises(TypeError, match="sed"):
        Runner(model=torch.nn.Linear(2, 2), work_dir=str(tmp_path), randomness=dict(sed=3))


def test_unknown_env_cfg_key_warns_and_is_ignored(tmp_path) -> None:
    with pytest.warns(UserWarning, match="env_cfg has no option 'cudnn_benchmak'") as caught:
        Runner(
            model=torch.nn.Linear(2, 2), work_dir=str(tmp_path), env_cfg=dict(cudnn_benchmak=True)
        )
    assert caught[0].filename == __file__  # the user's line
    # MMEngine's runner tutorial writes backend one level too high; through from_cfg too
    cfg = Config(tiny_cfg(tmp_path / "b", env_cfg=dict(backend="nccl")))
    with pytest.warns(UserWarning, match=r"belongs in env_cfg.dist_cfg .*backend='nccl'") as caught:
        Runner.from_cfg(cfg)
    assert caught[0].filename == __file__


@pytest.mark.parametrize(("typo", "value"), [("max_epoch", 1), ("max_iter", 2)])
def test_a_train_cfg_typo_warns_at_the_users_line(tmp_path, typo: str, value: int) -> None:
    """The guide's max_epoch warning was attributed to runner_core/runner/runner.py."""
    runner = _small_runner(tmp_path, train_cfg={"by_epoch": typo == "max_epoch", typo: value})
    with pytest.warns(UserWarning, match=f"train_cfg key '{typo}' is read as '{typo}s'") as caught:
        runner.train()
    assert caught[0].filename == __file__  # the user's line


def test_resource_limit_raises_the_open_files_soft_limit(tmp_path) -> None:
    resource = pytest.importorskip("resource")
    import os

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = len(os.listdir("/proc/self/fd")) + 200 if os.path.isdir("/proc/self/fd") else 1000
    if hard != resource.RLIM_INFINITY and hard <= low + 16:
        pytest.skip("hard limit too low to test")
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
        Runner(
            model=torch.nn.Linear(2, 2),
            work_dir=str(tmp_path),
            env_cfg=dict(resource_limit=low + 16),
        )
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == low + 16
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_loop_config_that_is_not_a_dict_is_a_config_error(tmp_path) -> None:
    runner = Runner.from_cfg(Config(tiny_cfg(tmp_path, train_cfg=5)))
    with pytest.raises(ConfigError, match=r"train_cfg=5 is not valid: give a dict"):
        runner.train()


def test_building_a_loop_from_none_without_its_data_names_the_missing_loader(tmp_path) -> None:
    """runner.build_test_loop(runner._test_loop), as MMEngine scripts write it, on a Runner
    that has no test data: the error says what is missing (MMEngine: a TypeError)."""
    runner = Runner(model=torch.nn.Linear(2, 2), work_dir=str(tmp_path))
    with pytest.raises(
        TypeError, match=r"build_test_loop\(None\): this Runner has no test_dataloader"
    ):
        runner.build_test_loop(None)
    with pytest.raises(TypeError, match=r"build_val_loop\(\{\}\): this Runner has no val_data"):
        runner.build_val_loop({})  # a config without its own dataloader: nothing to run


def _broken_set() -> dict:
    return {}["oops"]


def _typo_set() -> dict:
    return {"logger": {"type": "LogerHook"}}


@pytest.mark.parametrize(
    ("make_set", "message"),
    [
        # the set itself fails: named, with its error
        (_broken_set, r"default-hooks set 'bad-set-for-tests' failed.*KeyError"),
        # a hook the set gives fails: the set is named, not a key the config lacks
        (_typo_set, r"<default-hooks set 'bad-set-for-tests'>.logger.type"),
    ],
)
def test_a_failing_default_hooks_set_is_named(tmp_path, make_set, message) -> None:
    from runner_core.errors import RunnerError
    from runner_core.registry import DEFAULT_HOOK_SETS

    DEFAULT_HOOK_SETS.register_module(name="bad-set-for-tests", module=make_set, force=True)
    with pytest.raises(RunnerError, match=message):
        Runner(
            model=torch.nn.Linear(2, 2),
            work_dir=str(tmp_path),
            default_hooks_set="bad-set-for-tests",
        )


def test_two_runners_in_one_process_each_log_to_their_own_file(tmp_path) -> None:
    first = Runner.from_cfg(Config(tiny_cfg(tmp_path / "a", train_cfg=dict(max_epochs=1))))
    second = Runner.from_cfg(Config(tiny_cfg(tmp_path / "b", train_cfg=dict(max_epochs=1))))
    first.train()
    second.train()
    for runner in (first, second):
        log = (runner.log_dir / f"{runner.timestamp}.log").read_text()
        assert log.count("Epoch(train) [1][40/45]") == 1, runner.work_dir


def test_the_log_starts_with_the_environment_and_names_each_save(tmp_path) -> None:
    import torch as _torch

    runner = Runner.from_cfg(Config(tiny_cfg(tmp_path, train_cfg=dict(max_epochs=1))))
    runner.train()
    log = (runner.log_dir / f"{runner.timestamp}.log").read_text()
    assert log.index("Environment:") < log.index("Epoch(train)")
    assert f"torch {_torch.__version__}" in log and f"seed {runner.seed} " in log
    assert "runner-core " in log
    assert "Saving checkpoint at 1 epochs" in log  # MMEngine's line
    # the config, as MMEngine's log holds it (in the file only: the console stays short)
    assert log.index("Environment:") < log.index("Config:\n") < log.index("Epoch(train)")
    assert "max_epochs=1" in log


# -- what is missing or wrong among the installed plugins ------------------------------------
def _small_runner(tmp_path, **kwargs) -> Runner:
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    kwargs.setdefault("train_cfg", dict(by_epoch=True, max_epochs=1))
    kwargs.setdefault("optimizer", dict(type="SGD", lr=0.1))
    return Runner(
        model=torch.nn.Linear(2, 2),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=4),
        **kwargs,
    )


class _Metric(BaseMetric):
    def process(self, data_batch, data_samples) -> None:
        self.results.append(0)

    def compute_metrics(self, results) -> dict:
        return {"n": len(results)}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("model", "model is the class Linear, not a model: pass an instance (model=Linear(...))"),
        ("dataset", "train_dataloader.dataset is the class TensorDataset, not a dataset"),
        ("evaluator", "val_evaluator is the class _Metric, not an evaluator or a metric"),
        ("metric", "val_evaluator[0] is the class _Metric, not a metric"),
        ("hook", "EMAHook is given as the class, not a hook: register an instance (EMAHook(...))"),
    ],
)
def test_a_class_where_an_object_belongs_is_named(tmp_path, case: str, expected: str) -> None:
    """Runner(model=MyNet) failed as "'torch.device' object has no attribute '_apply'"."""
    from runner_core.registry import HOOKS

    val = dict(
        val_dataloader=dict(dataset=_Data(), batch_size=2),
        val_cfg=dict(),
        val_evaluator=_Metric if case == "evaluator" else [_Metric],
    )
    kwargs = {
        "model": dict(model=torch.nn.Linear),
        "dataset": dict(
            train_dataloader=dict(dataset=torch.utils.data.TensorDataset, batch_size=2)
        ),
        "evaluator": val,
        "metric": val,
        "hook": dict(custom_hooks=[HOOKS.get("EMAHook")]),
    }[case]
    with pytest.raises(TypeError) as err:
        if case == "model":
            Runner(work_dir=str(tmp_path), **kwargs)
        elif case == "dataset":
            Runner(
                model=torch.nn.Linear(2, 2),
                work_dir=str(tmp_path),
                train_cfg=dict(by_epoch=True, max_epochs=1),
                optimizer=dict(type="SGD", lr=0.1),
                **kwargs,
            ).train()
        else:
            runner = _small_runner(tmp_path, **kwargs)
            runner.val() if case in ("evaluator", "metric") else runner.train()
    assert expected in str(err.value)


class _Data(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> tuple:
        return torch.zeros(2), torch.tensor(0)


def _uninstall_group(monkeypatch, group: str, registry) -> None:
    """Hide every installed entry point of ``group``, as if its distributions were removed."""
    from runner_core.registry import discovery

    entries = discovery.all_entries

    monkeypatch.setattr(
        discovery, "all_entries", lambda: {g: e for g, e in entries().items() if g != group}
    )
    monkeypatch.setattr(registry, "_loaded", {})
    monkeypatch.setattr(registry, "_local", {})


def _uninstall_dist(monkeypatch, dist: str) -> None:
    """Hide every entry point of the distribution ``dist``, as if it were removed."""
    from runner_core.registry import discovery

    entries = discovery.all_entries

    monkeypatch.setattr(
        discovery,
        "all_entries",
        lambda: {g: [e for e in items if e.distribution != dist] for g, items in entries().items()},
    )


def test_no_default_hooks_set_installed_warns_and_names_the_package(tmp_path, monkeypatch) -> None:
    """Without runner-hooks-standard a run had no scheduler, checkpoint or log, silently."""
    import warnings

    from runner_core.registry import DEFAULT_HOOK_SETS

    _uninstall_group(monkeypatch, "runner.default_hooks", DEFAULT_HOOK_SETS)
    with pytest.warns(UserWarning, match=r"No default-hooks set is installed") as caught:
        runner = _small_runner(tmp_path / "a")
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "`pip install runner-hooks-standard`" in text and "default_hooks_set='none'" in text
    assert list(runner.hooks) == [] and runner.default_hooks_set is None

    # updating a default role needs a set to update: the error says none is installed
    with pytest.raises(KeyError, match=r"no default-hooks set is installed") as err:
        with pytest.warns(UserWarning, match="No default-hooks set"):
            _small_runner(tmp_path / "b", default_hooks=dict(checkpoint=dict(interval=1)))
    assert "`pip install runner-hooks-standard`" in str(err.value)
    assert "default_hooks.checkpoint" in str(err.value)

    # 'none' chosen on purpose: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(_small_runner(tmp_path / "c", default_hooks_set="none").hooks) == []


@pytest.mark.usefixtures("two_default_sets")
def test_several_default_hooks_sets_and_none_chosen_is_an_error_listing_them(tmp_path) -> None:
    """It was a warning, and the run trained without checkpoints, log or schedulers."""
    from runner_core.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        _small_runner(tmp_path / "a")
    message = str(err.value)
    assert "Several default-hooks sets are installed (alpha, beta) and none is chosen" in message
    assert "default_hooks_set='alpha'" in message and "RUNNER_DEFAULT_HOOKS" in message
    assert list(_small_runner(tmp_path / "b", default_hooks_set="beta").hooks) == []


def test_a_broken_default_hooks_set_is_named_with_its_distribution(tmp_path, fake_dist) -> None:
    from runner_core.errors import HookError

    fake_dist(
        "broken-sets",
        {"runner.default_hooks": {"raising": "sets_mod:raising", "listing": "sets_mod:listing"}},
        {
            "sets_mod": "def raising():\n    raise ValueError('no config file found.')\n"
            "def listing():\n    return ['timer']\n"
        },
    )
    with pytest.raises(HookError) as err:
        _small_runner(tmp_path / "a", default_hooks_set="raising")
    msg = str(err.value)
    assert "'raising' (from broken-sets) failed to give its hooks: ValueError: no config " in msg
    assert "found. Fix or reinstall" in msg and "found.." not in msg
    assert "report it to broken-sets's authors" in msg and "must return" not in msg
    with pytest.raises(HookError, match=r"It returned list, not a dict of role -> hook config"):
        _small_runner(tmp_path / "b", default_hooks_set="listing")


def test_a_role_the_active_set_lacks_cannot_be_updated(tmp_path) -> None:
    from runner_core.errors import BuildKeyError

    with pytest.raises(BuildKeyError, match=r"default_hooks_set='none' has no default hooks"):
        _small_runner(tmp_path, default_hooks_set="none", default_hooks=dict(logger=dict()))
    with pytest.raises(BuildKeyError, match=r"set 'standard' has no role 'csv'.*its roles: "):
        _small_runner(tmp_path, default_hooks=dict(csv=dict(interval=3)))


@pytest.mark.parametrize(
    ("train_cfg", "key"),
    [
        (dict(by_epoch=True, max_epochs=1), "train_cfg names no type"),
        (dict(max_iters=2), "train_cfg names no type"),
        (dict(type="EpochBasedTrainLoop", max_epochs=1), "train_cfg.type='EpochBasedTrainLoop'"),
    ],
)
def test_missing_standard_loops_name_their_distribution(
    tmp_path, monkeypatch, train_cfg, key
) -> None:
    """Without runner-loops-standard the error blamed 'train_cfg.type', a key not written."""
    from runner_core.errors import RegistryError
    from runner_core.registry import LOOPS

    _uninstall_group(monkeypatch, "runner.loops", LOOPS)
    runner = _small_runner(tmp_path, train_cfg=train_cfg)
    with pytest.raises(RegistryError) as err:
        runner.train()
    msg = str(err.value)
    assert key in msg and "`pip install runner-loops-standard`" in msg
    if "type" not in train_cfg:
        assert "train_cfg.type" not in msg


def test_missing_loops_and_sets_say_how_to_list_them_without_runner_cli(
    tmp_path, monkeypatch
) -> None:
    """Without runner-cli, "see `runner-cli plugins`" names a command that is not there."""
    from runner_core import standard
    from runner_core.errors import RegistryError
    from runner_core.registry import LOOPS

    monkeypatch.setattr(standard, "_installed", lambda dist: dist != "runner-cli")
    with pytest.raises(RegistryError) as err:
        _small_runner(tmp_path, default_hooks_set="nosuchset")
    assert "runner-cli plugins`" in str(err.value)
    assert "`from runner_core.registry import DEFAULT_HOOK_SETS; print(" in str(err.value)
    _uninstall_group(monkeypatch, "runner.loops", LOOPS)
    with pytest.raises(RegistryError) as err:
        _small_runner(tmp_path, train_cfg=dict(max_epochs=1)).train()
    assert "(see `runner-cli plugins`)" not in str(err.value)
    assert "`from runner_core.registry import LOOPS; print(LOOPS.keys())`" in str(err.value)


def test_a_shadowed_standard_loop_is_fixed_by_the_suggested_type(
    tmp_path, monkeypatch, fake_dist
) -> None:
    """Two distributions offer EpochBasedTrainLoop: a config that names it gets the
    suggested type, which works with by_epoch; the loop the Runner picks by itself
    stays the standard one (the user named nothing)."""
    from runner_core.errors import PluginError
    from runner_core.registry import LOOPS
    from runner_loops_standard.train import EpochBasedTrainLoop

    fake_dist(
        "loop-shadow",
        {"runner.loops": {"EpochBasedTrainLoop": "loop_shadow_mod:MyLoop"}},
        {
            "loop_shadow_mod": "from runner_loops_standard.train import EpochBasedTrainLoop\n"
            "class MyLoop(EpochBasedTrainLoop):\n    pass\n"
        },
    )
    monkeypatch.setattr(LOOPS, "_loaded", {})
    runner = _small_runner(tmp_path / "a")
    runner.train()
    assert type(runner.train_loop) is EpochBasedTrainLoop and runner.iter == 2

    named = dict(type="EpochBasedTrainLoop", max_epochs=1)
    with pytest.raises(PluginError) as err:
        _small_runner(tmp_path / "n", train_cfg=named).train()
    msg = str(err.value)
    assert "type='runner-loops-standard::EpochBasedTrainLoop'" in msg
    assert "(at config key 'train_cfg.type')" in msg
    qualified = dict(type="runner-loops-standard::EpochBasedTrainLoop", by_epoch=True, max_epochs=1)
    runner = _small_runner(tmp_path / "b", train_cfg=qualified)
    runner.train()
    assert runner.iter == 2
    contradicting = dict(qualified, by_epoch=False)
    with pytest.raises(ConfigError, match="both type="):
        _small_runner(tmp_path / "c", train_cfg=contradicting).train()


def test_two_plugins_shadowing_a_standard_loop_that_is_not_installed_fail_by_name(
    tmp_path, monkeypatch, fake_dist
) -> None:
    """Without runner-loops-standard, the Runner cannot tell which of two loops it means."""
    from runner_core.errors import PluginError
    from runner_core.registry import LOOPS

    for dist in ("loops-a", "loops-b"):
        fake_dist(
            dist,
            {"runner.loops": {"EpochBasedTrainLoop": "loop_twin_mod:MyLoop"}},
            {
                "loop_twin_mod": "from runner_loops_standard.train import EpochBasedTrainLoop as MyLoop\n"
            },
        )
    _uninstall_dist(monkeypatch, "runner-loops-standard")
    monkeypatch.setattr(LOOPS, "_loaded", {})
    with pytest.raises(PluginError) as err:
        _small_runner(tmp_path).train()
    assert "loops-a::EpochBasedTrainLoop" in str(err.value)
    assert "(at config key 'train_cfg')" in str(err.value)


WRONG_KIND = """
SOME_STRING = "i am not a hook"

class NotAHook:
    def __init__(self, runner=None, **kw):
        self.kw = kw

    def run(self):
        return None

class InitBoomHook:
    pass
"""


@pytest.fixture
def wrong_kind_plugin(fake_dist):
    from runner_core.registry import HOOKS, LOOPS

    fake_dist(
        "wrong-kind-plugin",
        {
            "runner.hooks": {
                "StringHookT": "wrong_kind_mod:SOME_STRING",
                "NotAHookT": "wrong_kind_mod:NotAHook",
                "InitBoomHookT": "init_boom_mod:InitBoomHook",
            },
            "runner.loops": {"NotALoopT": "wrong_kind_mod:NotAHook"},
        },
        {
            "wrong_kind_mod": WRONG_KIND,
            "init_boom_mod": (
                "from runner_core import Hook\n"
                "class InitBoomHook(Hook):\n"
                "    def __init__(self):\n"
                "        raise ValueError('InitBoomHook cannot be constructed: bad setup')\n"
            ),
        },
        version="0.4",
    )
    yield
    for registry in (HOOKS, LOOPS):  # keys of a distribution that is gone after the test
        for key in ("StringHookT", "NotAHookT", "InitBoomHookT", "NotALoopT"):
            registry._loaded.pop(key, None)
            registry._origins.pop(key, None)


@pytest.mark.usefixtures("wrong_kind_plugin")
def test_a_plugin_hook_of_the_wrong_kind_is_named_at_build(tmp_path) -> None:
    from runner_core.errors import BuildError, HookTypeError

    with pytest.raises(BuildError) as err:  # was: 'str' object is not callable
        _small_runner(tmp_path / "a", custom_hooks=[dict(type="StringHookT")])
    assert isinstance(err.value, TypeError)
    msg = str(err.value)
    assert "custom_hooks[0].type" in msg and "wrong-kind-plugin 0.4" in msg
    assert "'StringHookT' in the hook registry" in msg

    with pytest.raises(HookTypeError) as err:  # was: <NotAHook object at 0x..> is not a Hook
        _small_runner(tmp_path / "b", custom_hooks=[dict(type="NotAHookT")])
    msg = str(err.value)
    for part in (
        "custom_hooks[0]",
        "'NotAHookT'",
        "wrong-kind-plugin 0.4",
        "runner_core.hooks.Hook",
    ):
        assert part in msg, msg


@pytest.mark.usefixtures("wrong_kind_plugin")
def test_a_plugin_loop_that_is_no_loop_is_named_before_the_run(tmp_path) -> None:
    """It failed with AttributeError: 'NotAHook' object has no attribute 'iter', mid-run."""
    from runner_core.errors import ConfigTypeError

    runner = _small_runner(tmp_path, train_cfg=dict(type="NotALoopT", max_epochs=1))
    with pytest.raises(ConfigTypeError) as err:
        runner.train()
    msg = str(err.value)
    for part in ("train_cfg", "'NotALoopT'", "wrong-kind-plugin 0.4", "runner_core.loop.BaseLoop"):
        assert part in msg, msg


@pytest.mark.usefixtures("wrong_kind_plugin")
def test_a_hook_constructor_error_keeps_its_type_and_names_key_and_plugin(tmp_path) -> None:
    with pytest.raises(ValueError, match="bad setup") as err:
        _small_runner(tmp_path, custom_hooks=[PointRecorder(), dict(type="InitBoomHookT")])
    assert type(err.value) is ValueError  # MMEngine code catches the original type
    (note,) = err.value.__notes__
    assert note.startswith("Raised in the constructor of 'InitBoomHookT'")
    assert "config key 'custom_hooks[1]'" in note and "wrong-kind-plugin 0.4" in note


def test_a_misspelt_default_hooks_set_says_where_it_was_chosen(tmp_path, monkeypatch) -> None:
    from runner_core.errors import RegistryError
    from runner_core.runner.build import active_default_set

    monkeypatch.setenv("RUNNER_DEFAULT_HOOKS", "standrd")
    with pytest.raises(RegistryError) as err:
        active_default_set(None, None)
    msg = str(err.value)
    assert "'standrd', chosen by $RUNNER_DEFAULT_HOOKS, is not installed" in msg
    assert "Did you mean 'standard'?" in msg

    monkeypatch.delenv("RUNNER_DEFAULT_HOOKS")
    (tmp_path / "pyproject.toml").write_text('[tool.runner]\ndefault_hooks_set = "qaa"\n')
    (tmp_path / "configs").mkdir()
    config = tmp_path / "configs" / "exp.py"
    config.write_text("")
    with pytest.raises(RegistryError, match=r"chosen by \[tool.runner\] in .*pyproject.toml"):
        active_default_set(None, str(config))


@pytest.mark.parametrize("name", ["", "  ", ["a"], True, {"a": 1}])
def test_an_experiment_name_that_names_nothing_is_refused_built_either_way(tmp_path, name) -> None:
    """From a config it was a ConfigError; built directly, '' was a DefaultScope error that
    never named experiment_name and a list or True became the run's name."""
    with pytest.raises(ConfigError, match=r"experiment_name=.* is not valid: give a non-empty"):
        Runner(model=torch.nn.Linear(2, 2), work_dir=str(tmp_path), experiment_name=name)
    with pytest.raises(ConfigError, match=r"experiment_name=.* is not valid: give a non-empty"):
        Runner.from_cfg(Config(tiny_cfg(tmp_path, experiment_name=name)))
    assert Runner(model=torch.nn.Linear(2, 2), work_dir=str(tmp_path / "n"), experiment_name=7)


@pytest.mark.parametrize("name", ["../x", "<absolute>", ".", "..", "a/b"])
def test_an_experiment_name_that_is_a_path_is_refused_without_work_dir(
    tmp_path, monkeypatch, name
) -> None:
    monkeypatch.chdir(tmp_path)
    if name == "<absolute>":  # (inside tmp_path: without the check the run writes there)
        name = str(tmp_path / "elsewhere")
    cfg = tiny_cfg(tmp_path, experiment_name=name)
    del cfg["work_dir"]
    with pytest.raises(ConfigError, match=r"experiment_name=.*work_dir=") as caught:
        Runner.from_cfg(Config(cfg))
    assert repr(name) in str(caught.value)
    assert not (tmp_path / "work_dirs").exists()
    Runner.from_cfg(Config(tiny_cfg(tmp_path / "given", experiment_name=name)))  # work_dir set


# -- plain modules the adapter cannot train as they are -------------------------------------
class LightningModule(torch.nn.Module):
    """Stands in for lightning's base class, which defines the step methods itself."""

    def test_step(self, batch, batch_idx):
        return None


class _LightningStyle(LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Linear(2, 2)
        self.steps = 0

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        self.steps += 1
        return self.net(batch[0]).sum()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


class _PlainWithSteps(torch.nn.Module):
    """A plain module written for Lightning, without its base class."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Linear(2, 2)

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        return self.net(batch[0]).sum()

    def validation_step(self, batch, batch_idx):
        return self.net(batch[0]).sum()


def test_a_modules_own_validation_step_is_said_to_go_uncalled(tmp_path) -> None:
    """Its metrics and self.log calls never appeared, without a word."""
    from runner_core.model import ModuleAdapter

    with pytest.warns(UserWarning, match=r"_PlainWithSteps defines validation_step \(a "):
        ModuleAdapter(_PlainWithSteps(), loss_fn="cross_entropy")
    import warnings

    with warnings.catch_warnings():  # lightning's own base-class steps: nothing to say
        warnings.simplefilter("error")
        ModuleAdapter(_LightningStyle(), loss_fn="cross_entropy")
        ModuleAdapter(torch.nn.Linear(2, 2))


def test_a_lightning_style_module_is_refused_when_training_starts(tmp_path) -> None:
    module = _LightningStyle()
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    runner = Runner(
        model=module,
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        val_dataloader=dict(dataset=data, batch_size=4),
        val_evaluator=dict(type="Accuracy"),
    )
    # MMEngine's class: AssertionError (it refuses a model without train_step in train())
    with pytest.raises(AssertionError, match="_LightningStyle is a LightningModule with") as info:
        runner.train()
    message = str(info.value)
    assert "train_step(data, optim_wrapper)" in message
    assert "runner_core.model.BaseModel" in message and "mode='loss'" in message
    assert "loss_fn=" in message
    assert module.steps == 0
    assert "accuracy/top1" in runner.val()  # evaluating it needs no training step


def test_a_lightning_style_module_is_refused_before_a_missing_optim_wrapper_is_asked_for(
    tmp_path,
) -> None:
    """Adding the optim_wrapper asked for first would only lead to the refusal."""
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    runner = Runner(
        model=_LightningStyle(),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
    )
    with pytest.raises(AssertionError, match="_LightningStyle is a LightningModule with") as info:
        runner.train()
    assert "docs/comparison.md" in str(info.value)


@pytest.mark.parametrize("loss", ["function", "name", "set"])
def test_the_adapter_the_refusal_suggests_trains_with_the_loss_given(tmp_path, loss) -> None:
    """ModuleAdapter(module, loss_fn=F.cross_entropy), as the refusal suggests, was refused
    again: the check could not tell the loss given from the default one."""
    from runner_core.model import ModuleAdapter

    module = _LightningStyle()
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    loss_fn = torch.nn.functional.cross_entropy if loss == "function" else "cross_entropy"
    adapter = ModuleAdapter(module, loss_fn=loss_fn if loss != "set" else None)
    if loss == "set":  # set on the adapter after building it: the caller's choice too
        adapter.loss_fn = torch.nn.functional.nll_loss
    runner = Runner(
        model=adapter,
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
    )
    before = [p.detach().clone() for p in module.parameters()]
    runner.train()
    assert runner.iter == 2 and module.steps == 0  # trained with the loss given, as asked
    assert any(not torch.equal(a, b) for a, b in zip(before, module.parameters()))


class _OwnTrainStep(torch.nn.Module):
    """An nn.Module with its own train_step only, as MMEngine lets a model be."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)
        self.calls = 0

    def forward(self, x):  # for inference: the run must not train it with cross-entropy
        return self.linear(x)

    def train_step(self, data, optim_wrapper):
        self.calls += 1
        inputs, _ = data
        loss = ((self.linear(inputs).squeeze(-1) - 1) ** 2).mean()
        optim_wrapper.update_params(loss)
        return {"loss": loss}


def test_a_modules_own_train_step_is_the_one_called(tmp_path) -> None:
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    parts = dict(
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
    )
    model = _OwnTrainStep()
    runner = Runner(model=model, **parts)
    assert runner.model is model  # not adapted: its own step is used
    runner.train()
    assert model.calls == 4
    # with validation it also needs val_step: refused (MMEngine asserts) before any step
    model = _OwnTrainStep()
    val = dict(val_dataloader=dict(dataset=data, batch_size=4), val_evaluator=dict(type="Accuracy"))
    runner = Runner(model=model, **parts, **val)
    with pytest.raises(
        AssertionError, match=r"_OwnTrainStep has no val_step, .* \(it has train_step\)"
    ):
        runner.train()
    assert model.calls == 0
    with pytest.raises(AssertionError, match="has no val_step"):
        runner.val()


def test_a_module_with_only_its_own_test_step_is_tested_with_it(tmp_path) -> None:
    class TestOnly(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(2, 2)

        def test_step(self, data):
            return [{"pred": self.linear(data[0]), "gt": data[1]}]

    class Seen(BaseMetric):
        def process(self, data_batch, data_samples) -> None:
            self.results.extend(data_samples)

        def compute_metrics(self, results) -> dict:
            return {"outputs": len(results)}

    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    model = TestOnly()
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        test_dataloader=dict(dataset=data, batch_size=4),
        test_evaluator=Seen(),
    )
    assert runner.model is model  # its own step: not adapted
    assert runner.test() == {"outputs": 2}  # one output per batch, as its test_step returns


def test_a_model_without_parameters_is_named_as_the_cause(tmp_path) -> None:
    from runner_core.model import BaseModel

    class NoParams(BaseModel):
        def forward(self, inputs, labels=None, mode="tensor"):
            return {"loss": inputs.sum() * 0} if mode == "loss" else inputs

    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    runner = Runner(
        model=NoParams(),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
    )
    with pytest.raises(ValueError, match="The model NoParams has no parameters") as info:
        runner.train()
    assert isinstance(info.value, ConfigError)
    assert "Check the values under optim_wrapper.optimizer" not in str(info.value)


def test_from_cfg_hands_a_subclass_its_own_constructor_arguments(tmp_path) -> None:
    class TaggedRunner(Runner):
        def __init__(self, *args, tag: str = "default", **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.tag = tag

    cfg = tiny_cfg(tmp_path, tag="hello")
    assert TaggedRunner.from_cfg(Config(cfg)).tag == "hello"
    with pytest.raises(ConfigError, match="tga"):  # a typo of it is still a typo
        TaggedRunner.from_cfg(Config(tiny_cfg(tmp_path, tga="hello")))


class _FailAt(Hook):
    def __init__(self, point: str, when: int) -> None:
        self.point, self.when, self.calls = point, when, 0

    def _maybe(self) -> None:
        self.calls += 1
        if self.calls == self.when:
            raise ValueError("boom")

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.point == "after_train_iter":
            self._maybe()

    def after_train_epoch(self, runner) -> None:
        if self.point == "after_train_epoch":
            self._maybe()


@pytest.mark.parametrize(
    ("point", "when", "where"),
    [("after_train_iter", 3, ", epoch 2, iteration 3"), ("after_train_epoch", 2, ", epoch 2")],
)
def test_a_hooks_error_note_says_where_the_run_was(tmp_path, point, when, where) -> None:
    """The note named the hook and the point, not the epoch or iteration it failed at."""
    runner = _small_runner(
        tmp_path,
        train_cfg=dict(by_epoch=True, max_epochs=3),
        custom_hooks=[_FailAt(point, when)],
        default_hooks=dict(checkpoint=None),
    )
    with pytest.raises(ValueError, match="boom") as err:
        runner.train()
    assert f"Raised by hook _FailAt (at hook point {point!r}{where})." in err.value.__notes__


def test_an_iteration_based_runs_hook_note_names_no_epoch(tmp_path) -> None:
    runner = _small_runner(
        tmp_path,
        train_cfg=dict(by_epoch=False, max_iters=6),
        custom_hooks=[_FailAt("after_train_iter", 3)],
        default_hooks=dict(checkpoint=None),
    )
    with pytest.raises(ValueError, match="boom") as err:
        runner.train()
    expected = "Raised by hook _FailAt (at hook point 'after_train_iter', iteration 3)."
    assert expected in err.value.__notes__


def test_errors_of_the_guides_top_level_optimizer_name_that_key(tmp_path) -> None:
    """It is built as optim_wrapper's optimizer; the error named 'optim_wrapper.optimizer.type',
    a key the config does not have, where `config check` named 'optimizer.type'."""
    from runner_core.errors import RegistryError

    runner = _small_runner(tmp_path, optimizer=dict(type="SDG", lr=0.1))
    with pytest.raises(RegistryError) as err:
        runner.train()
    assert "(at config key 'optimizer.type')" in str(err.value)
    assert "Did you mean 'SGD'?" in str(err.value)
    from runner_core.errors import ConfigError

    runner = _small_runner(tmp_path / "lr", optimizer=dict(type="SGD", lr=-1))
    with pytest.raises(ConfigError) as bad_value:
        runner.train()
    assert "optimizer.lr=-1 is not valid" in str(bad_value.value)
    assert "optim_wrapper" not in str(bad_value.value)  # --cfg-options optimizer.lr=...
    runner = Runner(
        model=torch.nn.Linear(2, 2),
        work_dir=str(tmp_path / "b"),
        train_dataloader=dict(
            dataset=torch.utils.data.TensorDataset(torch.randn(8, 2)), batch_size=4
        ),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SDG", lr=0.1)),
    )
    with pytest.raises(RegistryError, match=r"\(at config key 'optim_wrapper.optimizer.type'\)"):
        runner.train()


def test_the_guides_optimizer_fills_an_optim_wrapper_without_one(tmp_path) -> None:
    """optimizer= beside optim_wrapper=dict(clip_grad=...) was dropped: the wrapper, left
    without an optimizer, failed with "model Linear has no child module 'clip_grad'"."""
    runner = _small_runner(
        tmp_path, optimizer=dict(type="SGD", lr=0.5), optim_wrapper=dict(clip_grad=dict(max_norm=1))
    )
    runner.train()
    assert type(runner.optim_wrapper.optimizer).__name__ == "SGD"
    assert runner.optim_wrapper.get_lr() == {"lr": [0.5]}
    assert runner.optim_wrapper.clip_grad_kwargs == {"max_norm": 1}


def _one_epoch(tmp_path, model: torch.nn.Module) -> dict:
    """One epoch of two batches of a two-class problem, in ``tmp_path``."""
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.tensor([0, 1] * 4))
    return dict(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
    )


@pytest.mark.parametrize("form", ["optimizer", "OptimWrapper", "dict"])
def test_an_optimizer_over_another_models_parameters_is_refused(tmp_path, form: str) -> None:
    """It trained "successfully" and left the model's weights as they were, unsaid
    (MMEngine refuses any built optimizer as optim_wrapper, with a TypeError)."""
    from runner_core.errors import ConfigTypeError
    from runner_core.optim import OptimWrapper

    model, other = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    before = model.weight.detach().clone()
    optimizer = torch.optim.SGD(other.parameters(), lr=0.5)
    given = {
        "optimizer": optimizer,
        "OptimWrapper": OptimWrapper(optimizer),
        "dict": dict(optimizer=optimizer),
    }[form]
    runner = Runner(**_one_epoch(tmp_path, model), optim_wrapper=given)
    with pytest.raises(ConfigTypeError) as info:
        runner.train()
    assert isinstance(info.value, TypeError)
    assert str(info.value).startswith(
        "optim_wrapper: the SGD optimizer was built over another model's parameters: none of "
        "its 2 parameters is one of the model Linear's, so training would leave the model's "
        "weights unchanged. Build it over the Runner's model"
    )
    assert "or pass a dict config, optim_wrapper=dict(optimizer=dict(type='SGD'" in str(info.value)
    assert torch.equal(model.weight, before)


def test_an_optimizer_over_some_of_the_models_parameters_trains(tmp_path) -> None:
    """A frozen parameter left out, an extra learnable tensor added: both are fine."""
    model = torch.nn.Linear(2, 2)
    model.bias.requires_grad_(False)
    extra = torch.nn.Parameter(torch.zeros(1))
    before = model.weight.detach().clone()
    optimizer = torch.optim.SGD([model.weight, extra], lr=0.5)
    runner = Runner(**_one_epoch(tmp_path, model), optim_wrapper=optimizer)
    runner.train()
    assert not torch.equal(model.weight, before)


class Perturbed(torch.nn.Module):
    """A frozen classifier and a plain tensor it adds to its input (adversarial training,
    prompt tuning): the optimizer holds only that tensor, as MMEngine trains it."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(2, 2).requires_grad_(False)
        self.delta = torch.zeros(2, requires_grad=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x + self.delta)


def test_optimizers_over_tensors_of_ones_own_train(tmp_path) -> None:
    """The check refused these (review): a plain tensor the model uses, and a part of
    several optimizers over a parameter outside the model, while another trains it."""
    from runner_core.model import ModuleAdapter
    from runner_core.optim import OptimWrapper, OptimWrapperDict

    model = Perturbed()
    runner = Runner(
        **_one_epoch(tmp_path / "a", model),
        optim_wrapper=OptimWrapper(torch.optim.SGD([model.delta], lr=0.5)),
    )
    runner.train()
    assert model.delta.abs().sum() > 0
    net, temperature = torch.nn.Linear(2, 2), torch.nn.Parameter(torch.ones(1))
    before = net.weight.detach().clone()
    both = OptimWrapperDict(
        net=OptimWrapper(torch.optim.SGD(net.parameters(), lr=0.5)),
        temperature=OptimWrapper(torch.optim.SGD([temperature], lr=0.5)),
    )

    class TwoSteps(ModuleAdapter):
        def train_step(self, data, optim_wrapper):  # type: ignore[no-untyped-def]
            return super().train_step(data, optim_wrapper["net"])

    runner = Runner(**_one_epoch(tmp_path / "b", TwoSteps(net)), optim_wrapper=both)
    runner.train()
    assert not torch.equal(net.weight, before)


@pytest.mark.parametrize("how", ["object", "config"])
def test_the_guides_optimizer_beside_optim_wrappers_own_is_unused_and_said(
    tmp_path, how: str
) -> None:
    """Both naming an optimizer trained with optim_wrapper's (Adam), as MMEngine's from_cfg
    does, and dropped SGD unsaid: it warns now."""
    model = torch.nn.Linear(2, 2)
    optimizer = (
        torch.optim.SGD(model.parameters(), lr=0.5) if how == "object" else dict(type="SGD", lr=0.5)
    )
    kwargs = dict(
        _one_epoch(tmp_path, model),
        optimizer=optimizer,
        optim_wrapper=dict(optimizer=dict(type="Adam", lr=0.001)),
    )
    with pytest.warns(UserWarning, match="is not used") as caught:
        runner = Runner(**kwargs) if how == "object" else Runner.from_cfg(Config(kwargs))
    given = "SGD(...)" if how == "object" else "dict(type='SGD', ...)"
    (text,) = [str(w.message) for w in caught if "is not used" in str(w.message)]
    assert text.startswith(
        f"optimizer={given} is not used: optim_wrapper.optimizer=dict(type='Adam', ...) gives "
        "the optimizer"
    )
    assert "Change the optimizer inside optim_wrapper" in text
    assert caught[0].filename == __file__  # the user's line
    runner.train()
    assert type(runner.optim_wrapper.optimizer).__name__ == "Adam"


def test_openmmlabs_optimizer_then_optim_wrapper_of_it_builds_quietly(tmp_path) -> None:
    """OpenMMLab configs write optimizer = dict(...) and optim_wrapper =
    dict(optimizer=optimizer): the same optimizer twice (refused for a while, a regression)."""
    import warnings

    optimizer = dict(type="SGD", lr=0.01)
    cfg = Config(
        dict(
            _one_epoch(tmp_path, torch.nn.Linear(2, 2)),
            optimizer=optimizer,
            optim_wrapper=dict(type="OptimWrapper", optimizer=optimizer, clip_grad=None),
        )
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "optimizer=")
        runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.optim_wrapper.get_lr() == {"lr": [0.01]}


def _set_with_own_timer() -> dict:
    return {"timer": {"type": "IterTimerHook"}, "logger": {"type": "LoggerHook", "interval": 3}}


def test_a_config_replacing_a_chosen_sets_hooks_says_so(tmp_path) -> None:
    """A project picks a set for every run; an MMEngine-style config naming `type` for a role
    replaced the set's hook without a word."""
    from runner_core.registry import DEFAULT_HOOK_SETS

    DEFAULT_HOOK_SETS.register_module(name="team-set", module=_set_with_own_timer, force=True)
    runner = Runner(
        model=torch.nn.Linear(2, 2),
        work_dir=str(tmp_path / "replaced"),
        default_hooks_set="team-set",
        default_hooks=dict(timer=dict(type="RuntimeInfoHook"), logger=dict(interval=5)),
    )
    log = Path(runner.logger.log_file).read_text()
    assert "default-hooks set 'team-set' for: timer (the set's IterTimerHook)" in log
    assert "logger (" not in log  # updated without 'type': the set's hook kept
    kept = Runner(
        model=torch.nn.Linear(2, 2),
        work_dir=str(tmp_path / "kept"),
        default_hooks_set="team-set",
        # the same hook, however named: nothing to say
        default_hooks=dict(timer=dict(type="runner-hooks-standard::IterTimerHook")),
    )
    assert "give other hooks" not in Path(kept.logger.log_file).read_text()


@pytest.mark.parametrize(
    "given", ["Accuracy", ["Accuracy"], dict(type="Evaluator", metrics="Accuracy")]
)
def test_a_metric_named_by_a_string_names_the_evaluator_key(tmp_path, given: object) -> None:
    """The message ended '(at config key 'val_cfg')', a key the run did not even have."""
    runner = _small_runner(
        tmp_path, val_dataloader=dict(dataset=_Data(), batch_size=2), val_evaluator=given
    )
    with pytest.raises(
        TypeError, match=r"val_evaluator\S* is the string 'Accuracy'.*at config key 'val_evaluator"
    ) as err:
        runner.val()
    assert "val_cfg" not in str(err.value)


class _ScopedRunner(Runner):
    """A library's Runner, registered only in its child RUNNERS."""


def _scoped_runners() -> None:
    from runner_core.registry import RUNNERS, Registry

    child = RUNNERS.children.get("t_runner_lib") or Registry(
        "runner", parent=RUNNERS, scope="t_runner_lib"
    )
    child.register_module("ScopedRunner", module=_ScopedRunner, force=True)


@pytest.mark.filterwarnings("ignore:default_scope='t_runner_lib'")
def test_runner_type_is_looked_up_in_the_configs_default_scope(tmp_path) -> None:
    """`config check` found runner_type in the library's child RUNNERS (it checks under
    default_scope) and the run looked it up in the root's and refused the config."""
    _scoped_runners()
    cfg = tiny_cfg(tmp_path, default_scope="t_runner_lib", runner_type="ScopedRunner")
    assert type(Runner.from_cfg(Config(cfg))) is _ScopedRunner


def test_a_misspelt_runner_type_names_its_key_and_scope(tmp_path) -> None:
    from runner_core.errors import RegistryError

    _scoped_runners()
    cfg = tiny_cfg(tmp_path, default_scope="t_runner_lib", runner_type="ScopedRuner")
    with pytest.raises(RegistryError) as info:
        Runner.from_cfg(Config(cfg))
    message = str(info.value)
    assert message.startswith("'ScopedRuner' is not in the runner registry (scope 't_runner_lib')")
    assert "Did you mean 'ScopedRunner'?" in message
    assert message.endswith("(at config key 'runner_type')")


@pytest.mark.filterwarnings("ignore:default_scope='t_loop_lib'")
def test_the_loops_the_runner_picks_are_the_standard_ones_in_any_scope(tmp_path) -> None:
    """A library registering its own 'EpochBasedTrainLoop' and 'ValLoop' in a child LOOPS
    replaced the loops of train_cfg=dict(by_epoch=True, ...) and val_cfg=dict() under its
    default_scope; MMEngine builds its own loops there (a named type still finds the
    library's)."""
    from runner_core.registry import LOOPS, Registry
    from runner_loops_standard.evaluate import ValLoop
    from runner_loops_standard.train import EpochBasedTrainLoop

    class LibTrainLoop(EpochBasedTrainLoop):
        pass

    class LibValLoop(ValLoop):
        pass

    child = LOOPS.children.get("t_loop_lib") or Registry("loop", parent=LOOPS, scope="t_loop_lib")
    child.register_module("EpochBasedTrainLoop", module=LibTrainLoop, force=True)
    child.register_module("ValLoop", module=LibValLoop, force=True)
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    parts = dict(
        val_dataloader=dict(dataset=data, batch_size=4), val_evaluator=_Metric(), val_cfg={}
    )
    runner = _small_runner(tmp_path / "a", default_scope="t_loop_lib", **parts)
    assert type(runner.train_loop) is EpochBasedTrainLoop and type(runner.val_loop) is ValLoop
    named = dict(type="EpochBasedTrainLoop", max_epochs=1)
    runner = _small_runner(tmp_path / "b", default_scope="t_loop_lib", train_cfg=named)
    assert type(runner.train_loop) is LibTrainLoop
