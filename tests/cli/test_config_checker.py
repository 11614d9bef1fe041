"""The config checker's rules, checked in this process (no command, no subprocess)."""

from __future__ import annotations

from runner_cli.config_checker import ConfigChecker, check_config
from runner_core import Config

_RUN = dict(
    model=dict(type="Linear", in_features=2, out_features=2),
    train_dataloader=dict(dataset=dict(type="NotChecked"), batch_size=4),
    train_cfg=dict(by_epoch=True, max_epochs=1),
)


def _problems(**cfg: object) -> dict[str, str]:
    problems, _ = check_config(Config({**_RUN, **cfg}), "train")
    return {p.key_path: p.message for p in problems if p.key_path.startswith("optim")}


def _warnings(**cfg: object) -> dict[str, str]:
    checker = ConfigChecker(Config({**_RUN, **cfg}), "train")
    checker.run()
    return {p.key_path: p.message for p in checker.warnings if p.key_path.startswith("optim")}


def test_the_guides_optimizer_agrees_with_the_runner() -> None:
    """optimizer= fills an optim_wrapper without one, as the Runner does (config check said
    optim_wrapper.clip_grad "has no 'optimizer'"); beside the wrapper's own it is unused,
    and said so where it differs (the run warns too)."""
    fill = dict(optimizer=dict(type="SGD", lr=0.5), optim_wrapper=dict(clip_grad=dict(max_norm=1)))
    assert _problems(**fill) == {} and _warnings(**fill) == {}
    both = dict(
        optimizer=dict(type="SGD", lr=0.1), optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01))
    )
    assert _problems(**both) == {}
    assert list(_warnings(**both)) == ["optimizer"]
    assert _warnings(**both)["optimizer"].startswith(
        "optimizer=dict(type='SGD', ...) is not used: optim_wrapper.optimizer=dict(type='SGD', "
        "...) gives the optimizer"
    )
    same = dict(type="SGD", lr=0.01)  # OpenMMLab's optim_wrapper = dict(optimizer=optimizer)
    assert _warnings(optimizer=same, optim_wrapper=dict(optimizer=same)) == {}


def test_a_scheduler_span_is_checked_for_our_classes_only() -> None:
    """end <= begin is refused when the run builds one of ours; a third-party class builds as
    it is, and the check said "the run refuses one" of it too."""
    from runner_core.registry import PARAM_SCHEDULERS

    class CountdownScheduler:  # a plugin's own, with its own idea of begin and end
        def __init__(self, optimizer: object, begin: int = 0, end: int = 0) -> None:
            self.optimizer, self.begin, self.end = optimizer, begin, end

    PARAM_SCHEDULERS.register_module(
        name="QACountdownScheduler", module=CountdownScheduler, force=True
    )

    def said(scheduler: dict) -> str:
        problems, _ = check_config(Config({**_RUN, "param_scheduler": scheduler}), "train")
        return " ".join(f"{p.key_path}: {p.message}" for p in problems)

    assert "param_scheduler.end: needs end > begin, got begin=3, end=2" in said(
        dict(type="StepLR", step_size=1, begin=3, end=2)
    )
    assert "end > begin" not in said(dict(type="QACountdownScheduler", begin=3, end=2))


def test_an_endless_sampler_is_named_where_a_standard_loop_refuses_it() -> None:
    """The standard epoch-based training loop, ValLoop and TestLoop refuse an
    InfiniteSampler only once the run builds them over the data: config check says it
    without building any. An iteration-based loop is what the sampler is
    for, and a loop of one's own may end its passes itself."""
    from runner_core.registry import LOOPS
    from runner_loops_standard import ValLoop

    class FirstBatchesValLoop(ValLoop):  # ends its pass after a few batches
        def run(self) -> dict:
            return {}

    LOOPS.register_module(name="QAFirstBatchesValLoop", module=FirstBatchesValLoop, force=True)
    endless = dict(type="InfiniteSampler")
    evaluation = dict(val_cfg=dict(), val_evaluator=dict(type="Accuracy"))

    def said(**cfg: object) -> dict[str, str]:
        problems, _ = check_config(Config({**_RUN, **cfg}), "train")
        return {p.key_path: p.message for p in problems if "sampler" in p.key_path}

    train_loader = dict(dataset=dict(type="NotChecked"), batch_size=4, sampler=endless)
    epochs = said(train_dataloader=train_loader)
    assert list(epochs) == ["train_dataloader.sampler"]
    assert epochs["train_dataloader.sampler"].startswith(
        "is an InfiniteSampler, whose stream of samples never ends, so epoch 1 would never "
        "end in EpochBasedTrainLoop"
    )
    assert "train_cfg=dict(by_epoch=False, max_iters=N)" in epochs["train_dataloader.sampler"]
    iterations = dict(by_epoch=False, max_iters=10)
    assert said(train_dataloader=train_loader, train_cfg=iterations) == {}

    val_loader = dict(dataset=dict(type="NotChecked"), batch_size=4, sampler=endless)
    val = said(val_dataloader=val_loader, **evaluation)
    assert list(val) == ["val_dataloader.sampler"]
    assert "the val pass would never end in ValLoop" in val["val_dataloader.sampler"]
    assert "sampler=dict(type='DefaultSampler', shuffle=False)" in val["val_dataloader.sampler"]
    own = {**evaluation, "val_cfg": dict(type="QAFirstBatchesValLoop")}
    assert said(val_dataloader=val_loader, **own) == {}


def test_a_misspelt_optimizer_key_is_one_problem_at_optim_wrapper() -> None:
    """optim_wrapper=dict(optimizr=dict(type='Adam')) was checked as a model part's wrapper:
    "optimizr: has no 'optimizer'" and "'Adam' is not in the optim wrapper registry", which
    blamed Adam. It is the key's typo, said once, with the key meant."""
    said = _problems(optim_wrapper=dict(optimizr=dict(type="Adam", lr=0.01)))
    assert list(said) == ["optim_wrapper"]
    assert said["optim_wrapper"].startswith("has no 'optimizer' key, so its key 'optimizr'")
    assert "Did you mean 'optimizer'?" in said["optim_wrapper"]
    parts = dict(generator=dict(optimizer=dict(type="Adam", lr=0.01)))  # a real part: checked
    assert _problems(optim_wrapper=parts) == {}
    # a real part named close to 'optimizer' (a child 'opt'): its own config says so (review)
    sgd = dict(optimizer=dict(type="SGD", lr=0.1))
    assert _problems(optim_wrapper=dict(opt=sgd, fc=sgd)) == {}


def test_a_hook_priority_is_checked_as_the_runner_checks_it() -> None:
    """priority is the Runner's argument, whatever the hook's class: a plugin's hook (not
    built here) with priority='NORMALL' passed config check and failed the run."""
    from runner_core.hooks import Hook
    from runner_core.registry import HOOKS

    class QAPluginHook(Hook):  # not runner's own: only inspected
        def __init__(self, every: int = 1) -> None:
            self.every = every

    HOOKS.register_module(name="QAPluginHook", module=QAPluginHook, force=True)

    def said(**cfg: object) -> dict[str, str]:
        problems, _ = check_config(Config({**_RUN, **cfg}), "train")
        return {p.key_path: p.message for p in problems if "hook" in p.key_path}

    typo = said(custom_hooks=[dict(type="QAPluginHook", priority="NORMALL")])
    assert list(typo) == ["custom_hooks[0].priority"]
    assert typo["custom_hooks[0].priority"].startswith(
        "Unknown hook priority 'NORMALL'. Did you mean one of 'NORMAL'"
    )
    out_of_range = said(default_hooks=dict(logger=dict(type="LoggerHook", priority=200)))
    assert list(out_of_range) == ["default_hooks.logger.priority"]
    assert "Hook priority 200 is out of range" in out_of_range["default_hooks.logger.priority"]
    fine = [dict(type="QAPluginHook", priority="LOW"), dict(type="EMAHook", priority=40)]
    assert said(custom_hooks=fine) == {}


def test_a_top_level_typo_is_said_without_the_problems_it_causes() -> None:
    """train_dataloder: the typo, and not also "train_cfg ... set but train_dataloader is
    not", which only the typo causes (the run names just the typo); the same for a
    misspelt optim_wrapper or model."""

    def said(cfg: dict) -> list[str]:  # the dataset's type is _RUN's placeholder
        problems = check_config(Config(cfg), "train")[0]
        return [p.key_path for p in problems if not p.key_path.endswith(".dataset.type")]

    wrapper = dict(optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)))
    loader = _RUN["train_dataloader"]
    typo = {**_RUN, **wrapper, "train_dataloder": loader}
    del typo["train_dataloader"]
    assert said(typo) == ["train_dataloder"]
    assert said({**_RUN, "optim_wraper": wrapper["optim_wrapper"]}) == ["optim_wraper"]
    no_model = {k: v for k, v in {**_RUN, **wrapper}.items() if k != "model"}
    assert said({**no_model, "modle": _RUN["model"]}) == ["modle"]
    assert said(no_model) == ["model"]  # no typo: the missing part is said


def test_a_train_loop_given_the_other_loops_count_names_that_loop() -> None:
    """config check said the loop's generic "Did you mean 'max_epochs'?" where the run
    names IterBasedTrainLoop."""
    problems, _ = check_config(
        Config({**_RUN, "train_cfg": dict(type="EpochBasedTrainLoop", max_iters=20)}), "train"
    )
    said = [f"{p.key_path}: {p.message}" for p in problems if p.key_path.startswith("train_cfg")]
    assert len(said) == 1 and "IterBasedTrainLoop" in said[0], said
    assert "Did you mean" not in said[0]
