"""Scheduler behaviour beyond torch parity: windows, chains, resume, momentum, building."""

from __future__ import annotations

import inspect
import math
from pathlib import Path
from typing import Any

import pytest
import tomllib
import torch

import runner_core.optim.scheduler as scheduler_pkg
from runner_core.errors import BuildError, RegistryError
from runner_core.optim.optim_wrapper import OptimWrapper
from runner_core.optim.optim_wrapper_dict import OptimWrapperDict
from runner_core.optim.scheduler import (
    INF,
    CosineAnnealingLR,
    CosineAnnealingMomentum,
    CosineAnnealingParamScheduler,
    CosineRestartLR,
    LinearLR,
    LinearMomentum,
    MultiStepLR,
    OneCycleLR,
    PolyLR,
    ReduceOnPlateauLR,
    ReduceOnPlateauMomentum,
    StepMomentum,
    build_param_schedulers,
)
from runner_core.registry import PARAM_SCHEDULERS

PYPROJECT = Path(__file__).resolve().parents[4] / "packages" / "core" / "pyproject.toml"


def _sgd(lr: float = 0.1, **kw) -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr, momentum=0.9, **kw)


def _lrs(opt) -> float:
    return opt.param_groups[0]["lr"]


def test_every_entry_point_name_is_exported() -> None:
    names = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"][
        "runner.param_schedulers"
    ]
    assert len(names) == 29
    for name, target in names.items():
        assert target == f"runner_core.optim.scheduler:{name}"
        assert inspect.isclass(getattr(scheduler_pkg, name))
    assert not hasattr(scheduler_pkg, "OneCycleMomentum")


def test_the_schedulers_mmengine_optim_exports_come_from_runner_core_optim() -> None:
    # `from mmengine.optim import MultiStepLR` ports by changing the package name only
    import runner_core.optim as optim_pkg

    mmengine_optim_schedulers = [
        f"{kind}{suffix}"
        for kind in ("Constant", "CosineAnnealing", "Exponential", "Linear", "MultiStep")
        + ("Poly", "ReduceOnPlateau", "Step")
        for suffix in ("LR", "Momentum", "ParamScheduler")
    ] + ["OneCycleLR", "OneCycleParamScheduler", "_ParamScheduler"]
    for name in mmengine_optim_schedulers:
        assert getattr(optim_pkg, name) is getattr(scheduler_pkg, name), name
        assert name in optim_pkg.__all__


def test_linear_lr_reaches_end_factor_at_end_minus_one() -> None:
    opt = _sgd(1.0)
    sched = LinearLR(opt, start_factor=0.1, end_factor=1.0, begin=0, end=10)
    values = [_lrs(opt)]
    for _ in range(12):
        sched.step()
        values.append(_lrs(opt))
    assert values[0] == pytest.approx(0.1)
    assert values[9] == pytest.approx(1.0)
    assert values[8] < 1.0
    assert values[9:] == [values[9]] * 4


def test_begin_delays_a_scheduler() -> None:
    opt = _sgd(1.0)
    sched = MultiStepLR(opt, milestones=[2], gamma=0.5, begin=5)
    values = [_lrs(opt)]
    for _ in range(9):
        sched.step()
        values.append(_lrs(opt))
    # active from global step 5, its own step 2 is global step 7
    assert values == [1.0] * 7 + [0.5] * 3


def test_generic_scheduler_drives_weight_decay() -> None:
    opt = _sgd(0.1, weight_decay=1e-2)
    sched = CosineAnnealingParamScheduler(
        opt, param_name="weight_decay", T_max=10, eta_min_ratio=0.1
    )
    for _ in range(10):
        sched.step()
    assert opt.param_groups[0]["weight_decay"] == pytest.approx(1e-3)
    assert opt.param_groups[0]["lr"] == 0.1


def test_cosine_eta_min_ratio() -> None:
    opt = torch.optim.SGD(
        [
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 1.0},
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5},
        ]
    )
    sched = CosineAnnealingLR(opt, T_max=8, eta_min_ratio=0.01)
    for _ in range(8):
        sched.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.01, 0.005])
    with pytest.raises(BuildError, match="both eta_min"):
        CosineAnnealingLR(_sgd(), T_max=8, eta_min=0.0, eta_min_ratio=0.1)


def test_cosine_restart_weights_and_ratio() -> None:
    opt = _sgd(1.0)
    sched = CosineRestartLR(opt, periods=[5, 5], restart_weights=[1.0, 0.5], eta_min_ratio=0.1)
    values = [_lrs(opt)]
    for _ in range(11):
        sched.step()
        values.append(_lrs(opt))
    assert values[0] == 1.0 and values[5] == 0.5
    assert min(values[:5]) > 0.1 and values[4] == pytest.approx(
        0.1 + 0.9 * (1 + math.cos(math.pi * 4 / 5)) / 2
    )
    assert values[10] == values[11]  # past the last period: left alone


def test_momentum_schedulers_drive_sgd_and_adam_betas() -> None:
    sgd = _sgd()
    StepMomentum(sgd, step_size=1, gamma=0.5).step()
    assert sgd.param_groups[0]["momentum"] == 0.45

    adam = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=1e-3, betas=(0.9, 0.999))
    wrapper = OptimWrapper(adam)
    sched = CosineAnnealingMomentum(wrapper, T_max=4, eta_min=0.5)
    for _ in range(4):
        sched.step()
    assert adam.param_groups[0]["betas"] == (pytest.approx(0.5), 0.999)
    assert wrapper.get_momentum() == {"momentum": [pytest.approx(0.5)]}
    adam.step()  # Adam accepts the extra 'momentum' key

    with pytest.raises(BuildError, match="momentum"):
        LinearMomentum(torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(1))]))


def test_a_momentum_scheduler_steps_adam_after_a_state_saved_without_one_is_loaded() -> None:
    """A resume with resume_param_scheduler=False that adds the scheduler: the loaded groups
    have no 'momentum' mirror (MMEngine: KeyError: 'momentum' at the first step)."""
    adam = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=1e-3, betas=(0.9, 0.999))
    saved = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=1e-3, betas=(0.9, 0.999))
    sched = CosineAnnealingMomentum(OptimWrapper(adam), T_max=2, eta_min=0.5)
    adam.load_state_dict(saved.state_dict())
    assert "momentum" not in adam.param_groups[0]
    sched.step()
    assert adam.param_groups[0]["betas"] == (pytest.approx(0.7), 0.999)
    sched.step()
    assert adam.param_groups[0]["betas"] == (pytest.approx(0.5), 0.999)


def test_reduce_on_plateau_momentum_takes_metrics() -> None:
    adam = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], betas=(0.9, 0.99))
    sched = ReduceOnPlateauMomentum(adam, patience=0, factor=0.5)
    sched.step({"loss": 1.0})
    sched.step({"loss": 2.0})
    assert adam.param_groups[0]["betas"] == (0.45, 0.99)
    with pytest.raises(KeyError, match="monitors 'loss'"):
        sched.step({"los": 1.0})


def test_reduce_on_plateau_records_the_initial_value_as_every_scheduler() -> None:
    # MMEngine's records initial_lr too; code reading group['initial_lr'] (a warm-up
    # computed by hand, a resumed schedule) finds it whichever scheduler ran
    sgd = _sgd(lr=0.2)
    sched = ReduceOnPlateauLR(sgd, patience=0, factor=0.5)
    sched.step({"loss": 1.0})
    sched.step({"loss": 2.0})
    assert sgd.param_groups[0]["lr"] == pytest.approx(0.1)
    assert sgd.param_groups[0]["initial_lr"] == 0.2
    with pytest.raises(KeyError, match="'initial_lr', needed to resume ReduceOnPlateauLR"):
        ReduceOnPlateauLR(_sgd(), last_step=3)


def test_base_lr_follows_a_scheduler_written_for_mmengines_param_groups() -> None:
    # mmdet's QuadraticWarmupLR reads optimizer.param_groups, where MMEngine keeps the base
    # settings as an extra group; with ours they are apart, and base_lr still warms up
    from runner_core.optim import DefaultOptimWrapperConstructor
    from runner_core.optim.scheduler import _ParamScheduler
    from runner_core.optim.scheduler.lr_scheduler import LRSchedulerMixin

    class QuadraticWarmupParamScheduler(_ParamScheduler):
        def __init__(self, optimizer, param_name: str, end: int) -> None:
            self.total_iters = end
            super().__init__(optimizer, param_name, end=end, by_epoch=False)

        def _get_value(self):
            step, total = self.last_step, self.total_iters**2
            if step == 0:
                return [base * (2 * step + 1) / total for base in self.base_values]
            return [
                group["lr"] + base * (2 * step + 1) / total
                for base, group in zip(self.base_values, self.optimizer.param_groups)
            ]

    class QuadraticWarmup(LRSchedulerMixin, QuadraticWarmupParamScheduler):
        pass

    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))
    wrapper = DefaultOptimWrapperConstructor(
        dict(type="OptimWrapper", optimizer=dict(type="SGD", lr=0.1)),
        dict(custom_keys={"1": dict(lr_mult=0.5)}),
    )(model)
    sched = QuadraticWarmup(wrapper, end=4)
    seen = []
    for _ in range(5):
        lrs = wrapper.get_lr()
        seen.append((lrs["base_lr"][0], lrs["lr"][0], lrs["lr"][-1]))
        wrapper.step()
        sched.step()
    # MMEngine 0.10.7's values for the same run
    expected = [(0.00625, 0.00625, 0.003125), (0.025, 0.025, 0.0125)]
    expected += [(0.05625, 0.05625, 0.028125), (0.1, 0.1, 0.05), (0.1, 0.1, 0.05)]
    assert seen == [tuple(pytest.approx(v) for v in row) for row in expected]


def _chain(optimizer):
    return build_param_schedulers(
        [
            dict(type="LinearLR", start_factor=0.01, by_epoch=False, end=7),
            dict(
                type="CosineAnnealingLR",
                T_max=6,
                by_epoch=True,
                begin=1,
                eta_min=1e-4,
                convert_to_iter_based=True,
            ),
            dict(type="CosineAnnealingMomentum", T_max=30, eta_min=0.8, by_epoch=False),
        ],
        optimizer,
        epoch_length=5,
    )


def test_resume_gives_exactly_the_same_values() -> None:
    model = torch.nn.Linear(2, 1)
    full_opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.95)
    full = _chain(OptimWrapper(full_opt))
    expected = []
    for _ in range(40):
        for s in full:
            s.step()
        expected.append((full_opt.param_groups[0]["lr"], full_opt.param_groups[0]["momentum"]))

    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.95)
    schedulers = _chain(OptimWrapper(opt))
    got = []
    for _ in range(17):
        for s in schedulers:
            s.step()
        got.append((opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]))
    saved_opt = opt.state_dict()
    saved = [s.state_dict() for s in schedulers]
    torch.save(saved, buf := __import__("io").BytesIO())
    buf.seek(0)
    saved = torch.load(buf, weights_only=True)  # plain values only

    opt2 = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.95)
    resumed = _chain(OptimWrapper(opt2))
    opt2.load_state_dict(saved_opt)
    for s, state in zip(resumed, saved):
        s.load_state_dict(state)
    for _ in range(23):
        for s in resumed:
            s.step()
        got.append((opt2.param_groups[0]["lr"], opt2.param_groups[0]["momentum"]))
    assert got == expected


def test_build_defaults_end_from_the_train_loop() -> None:
    opt = _sgd()
    linear, cosine, onecycle = build_param_schedulers(
        [
            dict(type="LinearLR", by_epoch=False),
            dict(type="CosineAnnealingLR"),
            dict(type="OneCycleLR", eta_max=0.1, by_epoch=False),
        ],
        opt,
        max_epochs=12,
        max_iters=120,
    )
    assert (linear.end, cosine.end, cosine.T_max, onecycle.total_steps) == (120, 12, 12, 120)
    [kept] = build_param_schedulers(dict(type="StepLR", step_size=2), opt)
    assert kept.end == INF


def test_an_unbound_scheduler_names_the_public_use_and_answers_hasattr() -> None:
    """step() said "cannot '_global_step' yet" (an internal name), and hasattr() / getattr
    with a default raised RuntimeError instead of answering."""
    from runner_core.errors import NotBoundError

    unbound = MultiStepLR(milestones=[80, 90], by_epoch=True)  # as in the Runner guide
    for call, words in [
        (unbound.step, "so it cannot step() yet"),
        (unbound.get_last_value, "so it cannot get_last_value() yet"),
    ]:
        with pytest.raises(NotBoundError) as err:
            call()
        assert isinstance(err.value, RuntimeError) and isinstance(err.value, AttributeError)
        assert str(err.value).startswith(f"MultiStepLR was created without an optimizer, {words}")
    with pytest.raises(NotBoundError, match="so it has no 'optimizer' yet"):
        _ = unbound.optimizer
    assert not hasattr(unbound, "last_step_hint")
    assert getattr(unbound, "optimizer", None) is None


def test_build_passes_objects_through_and_binds_unbound_ones() -> None:
    wrapper = OptimWrapper(_sgd(1.0))
    built = MultiStepLR(wrapper, milestones=[1])
    unbound = MultiStepLR(milestones=[80, 90], by_epoch=True)  # as in the Runner guide
    assert not unbound.is_bound and unbound.by_epoch
    with pytest.raises(RuntimeError, match="without an optimizer"):
        unbound.step()
    out = build_param_schedulers([built, unbound], wrapper, max_epochs=100)
    assert out[0] is built
    assert out[1].is_bound and out[1].end == 100 and out[1].milestones == {80: 1, 90: 1}


def test_a_torch_scheduler_object_is_refused_naming_the_config_to_write() -> None:
    optimizer = _sgd(1.0)
    onecycle = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10)
    with pytest.raises(BuildError, match=r"not a runner scheduler.*dict\(type='OneCycleLR'"):
        build_param_schedulers(onecycle, OptimWrapper(optimizer))
    lam = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    with pytest.raises(BuildError, match="runner has no LambdaLR"):
        build_param_schedulers([lam], OptimWrapper(optimizer))
    # named in a config, it gets the same advice, not only "not in the registry"
    with pytest.raises(RegistryError, match=r"'param_scheduler\[0\]\.type'\): torch's LambdaLR"):
        build_param_schedulers([dict(type="LambdaLR")], OptimWrapper(optimizer))
    # torch names with another name or form here: the did-you-mean alone misled
    # (CosineAnnealingWarmRestarts suggested CosineAnnealingLR)
    for torch_name, advice in (
        ("CosineAnnealingWarmRestarts", r"is CosineRestartLR here.*type='CosineRestartLR'"),
        ("SequentialLR", r"SequentialLR is a list here.*milestones"),
    ):
        with pytest.raises(RegistryError, match=advice) as caught:
            build_param_schedulers([dict(type=torch_name)], OptimWrapper(optimizer))
        assert "Did you mean" not in str(caught.value)
    restarts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2)
    with pytest.raises(BuildError, match=r"is CosineRestartLR here"):
        build_param_schedulers(restarts, OptimWrapper(optimizer))


def test_build_for_optim_wrapper_dict() -> None:
    wrappers = OptimWrapperDict(gen=OptimWrapper(_sgd(1.0)), disc=OptimWrapper(_sgd(2.0)))
    per_name = build_param_schedulers(
        {
            "gen": [dict(type="LinearLR", by_epoch=False, end=3)],
            "disc": dict(type="StepLR", step_size=1),
        },
        wrappers,
    )
    assert set(per_name) == {"gen", "disc"}
    assert per_name["disc"][0].optimizer is wrappers["disc"]
    wrappers = OptimWrapperDict(gen=OptimWrapper(_sgd(1.0)), disc=OptimWrapper(_sgd(2.0)))
    shared = build_param_schedulers(dict(type="StepLR", step_size=1, gamma=0.5), wrappers)
    for name, [s] in shared.items():
        s.step()
        assert s.optimizer is wrappers[name]
    assert wrappers.get_lr() == {"gen.lr": [0.5], "disc.lr": [1.0]}
    with pytest.raises(BuildError, match="Did you mean 'gen'"):
        build_param_schedulers({"gne": dict(type="StepLR", step_size=1)}, wrappers)


def test_build_errors_are_clear() -> None:
    opt = _sgd()
    with pytest.raises(BuildError, match="milestone"):
        build_param_schedulers(dict(type="MultiStepLR", milestone=[3]), opt)
    with pytest.raises(BuildError, match="epoch_length"):
        build_param_schedulers(dict(type="StepLR", step_size=1, convert_to_iter_based=True), opt)
    with pytest.raises(BuildError, match="by_epoch=False"):
        build_param_schedulers(
            dict(type="StepLR", step_size=1, by_epoch=False, convert_to_iter_based=True),
            opt,
            epoch_length=3,
        )
    with pytest.raises(Exception, match="MultiStepLR"):
        build_param_schedulers(dict(type="MultStepLR", milestones=[1]), opt)
    with pytest.raises(BuildError, match="end > begin"):
        LinearLR(opt, begin=5, end=5)
    with pytest.raises(RuntimeError, match="total_steps"):
        sched = OneCycleLR(opt, eta_max=0.1, total_steps=3)
        for _ in range(5):
            sched.step()


def test_build_iter_from_epoch_classmethod() -> None:
    sched = MultiStepLR.build_iter_from_epoch(
        _sgd(), milestones=[2, 4], begin=1, end=6, epoch_length=10
    )
    assert (sched.begin, sched.end, sched.by_epoch, sched.milestones) == (
        10,
        60,
        False,
        {20: 1, 40: 1},
    )


@pytest.mark.parametrize("milestones", ["[1", "1", [1, "2"], [1.5], 3, None])
@pytest.mark.parametrize("family", ["MultiStepLR", "MultiStepMomentum", "MultiStepParamScheduler"])
def test_milestones_that_no_step_can_reach_are_refused(family: str, milestones) -> None:
    """A malformed --cfg-options value (``'[1'``) used to give a schedule that never decays."""
    cls = getattr(scheduler_pkg, family)
    extra = {"param_name": "lr"} if family == "MultiStepParamScheduler" else {}
    with pytest.raises(TypeError, match="milestones") as info:
        cls(_sgd(), milestones=milestones, **extra)
    assert isinstance(info.value, BuildError)
    with pytest.raises(TypeError, match=r"got '\[1'"):  # as given, not repeated per iteration
        MultiStepLR.build_iter_from_epoch(_sgd(), milestones="[1", epoch_length=4)


def test_whole_number_milestones_are_steps() -> None:
    opt = _sgd()
    sched = MultiStepLR(opt, milestones=(1, 2.0), gamma=0.5)
    assert sched.milestones == {1: 1, 2: 1}
    for _ in range(2):
        opt.step()
        sched.step()
    assert _lrs(opt) == pytest.approx(0.025)


def test_mmengines_assertion_errors() -> None:
    for call in (
        lambda: MultiStepLR.build_iter_from_epoch(
            _sgd(), milestones=[1], by_epoch=False, epoch_length=5
        ),
        lambda: MultiStepLR.build_iter_from_epoch(_sgd(), milestones=[1], epoch_length=None),
        lambda: CosineRestartLR(_sgd(), periods=[2, 3], restart_weights=[1]),
    ):
        with pytest.raises(AssertionError) as info:
            call()
        assert isinstance(info.value, BuildError)


def test_cosine_restart_get_position_from_periods() -> None:
    """MMEngine's public static helper: the period an iteration falls in."""
    find = CosineRestartLR.get_position_from_periods
    assert [find(i, [100, 200, 300, 400]) for i in (0, 50, 100, 210, 300, 399, 400)] == [
        0,
        0,
        1,
        2,
        3,
        3,
        None,
    ]


def test_print_value_for_a_step_of_yours(
    capsys: pytest.CaptureFixture[str], info_logger: Any
) -> None:
    """MMEngine's schedulers report a new value through print_value(is_verbose, group, value),
    which a subclass overriding step() calls too."""
    info_logger()
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    sched = StepMomentum(opt, step_size=1, verbose=True)
    capsys.readouterr()
    sched.print_value(True, 0, 0.8)
    sched.print_value(False, 0, 0.7)
    # MMEngine's words, through the run's logger (print_log(logger='current'))
    assert (
        capsys.readouterr()
        .out.strip()
        .endswith("Adjusting parameter value of group 0 to 8.0000e-01.")
    )
    sched.step()
    assert "of group 0 to" in capsys.readouterr().out


def test_an_unknown_scheduler_type_names_its_config_key() -> None:
    from runner_core.optim.scheduler import build_param_schedulers

    wrapper = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    with pytest.raises(KeyError, match=r"Did you mean .*'MultiStepLR'.*param_scheduler\[1\]\.type"):
        build_param_schedulers(
            [dict(type="LinearLR", end=2), dict(type="MultiStepLr", milestones=[3])],
            wrapper,
            max_epochs=4,
        )


class WeightDecayMixin:
    """mmpretrain's pattern (MMEngine's LRSchedulerMixin): fixes param_name positionally."""

    def __init__(self, optimizer, *args, **kwargs) -> None:
        super().__init__(optimizer, "weight_decay", *args, **kwargs)


class CosineAnnealingWeightDecay(WeightDecayMixin, CosineAnnealingParamScheduler):
    pass


def test_another_librarys_param_name_mixin_builds_from_config() -> None:
    def wd_after_steps(scheduler) -> list[float]:
        values = []
        for _ in range(4):
            scheduler.step()
            values.append(round(scheduler.optimizer.param_groups[0]["weight_decay"], 6))
        return values

    def sgd() -> torch.optim.SGD:
        return _sgd(weight_decay=0.01)

    cfg = dict(type=CosineAnnealingWeightDecay, T_max=4, eta_min=0.0, end=4)
    [built] = build_param_schedulers([cfg], OptimWrapper(sgd()))
    assert built.param_name == "weight_decay"
    assert wd_after_steps(built) == [0.008536, 0.005, 0.001464, 0.001464]  # MMEngine's values
    positional = CosineAnnealingWeightDecay(sgd(), 4, 0.0, 0, 4)  # T_max, eta_min, begin, end
    assert wd_after_steps(positional) == [0.008536, 0.005, 0.001464, 0.001464]
    converted = CosineAnnealingWeightDecay.build_iter_from_epoch(
        sgd(), T_max=4, eta_min=0.0, end=4, epoch_length=2
    )
    assert wd_after_steps(converted) == [0.009619, 0.008536, 0.006913, 0.005]
    with pytest.raises(BuildError, match="T_mx"):  # ordinary arguments are still checked
        build_param_schedulers([dict(cfg, T_mx=4)], OptimWrapper(sgd()))
    with pytest.raises(BuildError, match="param_name"):  # ...and so are ordinary schedulers
        build_param_schedulers(
            [dict(type="CosineAnnealingParamScheduler", T_max=4)], OptimWrapper(sgd())
        )


def _build(cfg: dict[str, Any]) -> Any:
    return PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=_sgd()))


def test_a_subclass_passing_param_name_itself_may_default_its_own_arguments() -> None:
    # (optimizer, scale=0.5, **kw) and super(param_name='lr'): Python cannot put the
    # parent's required param_name after scale, so it becomes an optional keyword
    class ScaledLR(scheduler_pkg._ParamScheduler):
        def __init__(self, optimizer, scale: float = 0.5, **kw) -> None:
            self.scale = scale
            super().__init__(optimizer=optimizer, param_name="lr", **kw)

        def _get_value(self) -> list[float]:
            return [base * self.scale for base in self.base_values]

    params = inspect.signature(ScaledLR).parameters
    assert list(params)[:3] == ["optimizer", "scale", "begin"]
    assert params["param_name"].kind is inspect.Parameter.KEYWORD_ONLY
    built = _build(dict(type=ScaledLR, scale=0.25, end=4, by_epoch=False))
    assert (built.scale, built.param_name, built.end) == (0.25, "lr", 4)
    assert _lrs(built.optimizer) == pytest.approx(0.025)
    assert ScaledLR(_sgd(), 0.2).scale == 0.2  # positionally, as the subclass wrote it
    with pytest.raises(BuildError, match="'scal'.*Did you mean 'scale'"):
        _build(dict(type=ScaledLR, scal=0.25))


def test_a_subclass_passing_args_on_keeps_its_own_keyword_arguments() -> None:
    class EveryOtherLinearLR(LinearLR):
        def __init__(self, *args, every: int = 1, **kwargs) -> None:
            self.every = every
            super().__init__(*args, **kwargs)

    params = inspect.signature(EveryOtherLinearLR).parameters
    assert params["every"].kind is inspect.Parameter.KEYWORD_ONLY
    assert list(params)[:3] == ["optimizer", "start_factor", "end_factor"]
    built = _build(dict(type=EveryOtherLinearLR, every=2, start_factor=0.5, end=4))
    assert (built.every, built.start_factor, built.end) == (2, 0.5, 4)
    positional = EveryOtherLinearLR(_sgd(), 0.25, 1.0, every=3)  # the parent's order
    assert (positional.every, positional.start_factor, positional.end_factor) == (3, 0.25, 1.0)
    with pytest.raises(BuildError, match="'evry'.*Did you mean 'every'"):
        _build(dict(type=EveryOtherLinearLR, evry=2))


def test_a_subclass_naming_its_own_argument_before_args_keeps_it() -> None:
    class RatioPolyLR(PolyLR):
        def __init__(self, floor_ratio=None, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.floor_ratio = floor_ratio

    params = inspect.signature(RatioPolyLR).parameters
    assert next(iter(params)) == "optimizer"  # still first: unbound and positional calls
    assert params["floor_ratio"].kind is inspect.Parameter.KEYWORD_ONLY
    built = _build(dict(type=RatioPolyLR, floor_ratio=0.1, power=2.0, end=8, by_epoch=False))
    assert (built.floor_ratio, built.power, built.end) == (0.1, 2.0, 8)
    unbound = RatioPolyLR(floor_ratio=0.2, end=8)
    assert unbound.unbound_cfg() == {"type": RatioPolyLR, "floor_ratio": 0.2, "end": 8}
    with pytest.raises(BuildError, match="'floor_ratoi'.*Did you mean 'floor_ratio'"):
        _build(dict(type=RatioPolyLR, floor_ratoi=0.1))


def test_a_signature_that_cannot_be_put_together_falls_back_to_the_subclass_init() -> None:
    class PositionalOnly(scheduler_pkg._ParamScheduler):
        def __init__(self, optimizer, param_name="lr", /, **kw) -> None:
            super().__init__(optimizer, param_name, **kw)

    class Scaled(PositionalOnly):  # param_name would follow scale, and by position only
        def __init__(self, optimizer, scale: float = 0.5, **kw) -> None:
            self.scale = scale
            super().__init__(optimizer, **kw)

        def _get_value(self) -> list[float]:
            return [base * self.scale for base in self.base_values]

    assert list(inspect.signature(Scaled).parameters) == ["optimizer", "scale", "kw"]
    built = _build(dict(type=Scaled, scale=0.25, end=4))
    assert (built.scale, built.param_name, built.end) == (0.25, "lr", 4)


def _one_cycle_state_as(state: dict[str, Any], writer: str) -> dict[str, Any]:
    """Our OneCycleLR state as MMEngine writes it, or as runner wrote it before 0.1.x's
    key rename (phases keyed start/end)."""
    state = dict(state)
    if writer == "mmengine":  # its annealing function, here the stand-in a safe load makes
        from runner_core.checkpoint.safe_load import StandInAttribute

        del state["anneal_strategy"]
        name = "mmengine.optim.scheduler.param_scheduler.OneCycleParamScheduler"
        state["anneal_func"] = StandInAttribute(f"{name}._annealing_linear")
    else:
        state["_schedule_phases"] = [
            {"end_step": p["end_step"], "start": p["start_lr"], "end": p["end_lr"]}
            for p in state["_schedule_phases"]
        ]
    return state


@pytest.mark.parametrize("writer", ["mmengine", "runner-before"])
def test_one_cycle_resumes_from_mmengines_state_and_our_older_one(writer: str) -> None:
    def run(steps: int, state: dict[str, Any] | None = None) -> tuple[list[float], Any]:
        opt = _sgd()
        sched = OneCycleLR(
            opt, eta_max=0.5, total_steps=20, by_epoch=False, anneal_strategy="linear"
        )
        if state is not None:
            opt.param_groups[0]["lr"] = state.pop("_lr")
            sched = OneCycleLR(opt, eta_max=0.5, total_steps=20, by_epoch=False)  # cos
            sched.load_state_dict(state)
        lrs = []
        for _ in range(steps):
            opt.step()
            sched.step()
            lrs.append(_lrs(opt))
        return lrs, (opt, sched)

    whole, _ = run(15)
    first, (opt, sched) = run(5)
    state = {**_one_cycle_state_as(sched.state_dict(), writer), "_lr": _lrs(opt)}
    rest, _ = run(10, state)
    assert first + rest == pytest.approx(whole)  # the saved linear annealing, not cos
    assert "start_lr" in sched.state_dict()["_schedule_phases"][0]  # MMEngine's keys


def test_a_pass_through_subclass_takes_positional_arguments_as_mmengines() -> None:
    """``__init__(self, optimizer, *args, **kwargs)`` passes its positional arguments on
    as they are, so ``D(opt, 'lr', 0.5)`` reaches the parent's (param_name, start_factor)."""
    from runner_core.optim.scheduler import LinearParamScheduler

    class PassOn(LinearParamScheduler):
        def __init__(self, optimizer: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(optimizer, *args, **kwargs)

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    assert PassOn(opt, "lr", 0.5).start_factor == 0.5
    assert PassOn(opt, "lr", start_factor=0.25).start_factor == 0.25


def test_a_schedulers_own_refusal_names_its_entry() -> None:
    """With two LinearLR entries, which one is wrong; a cosine without T_max blames the
    span it was given (begin/end), not a T_max the config never set; a converted one
    shows the epochs written, not the iterations (6 and 4) they became."""
    with pytest.raises(BuildError, match=r"end > begin.*at config key 'param_scheduler\[1\]'"):
        build_param_schedulers(
            [dict(type="LinearLR", end=1), dict(type="LinearLR", begin=2, end=2)], _sgd()
        )
    for convert in (False, True):
        with pytest.raises(BuildError, match=r"CosineAnnealingLR needs end > begin") as info:
            build_param_schedulers(
                dict(type="CosineAnnealingLR", begin=3, end=2, convert_to_iter_based=convert),
                _sgd(),
                epoch_length=2,
            )
        if convert:  # the epochs written, not the iterations they became
            assert "begin=3, end=2 (epochs" in str(info.value)
        else:
            assert "T_max, not given, is end - begin" in str(info.value)


@pytest.mark.parametrize("switch", ["by_epoch", "convert_to_iter_based"])
def test_a_switch_given_as_a_string_is_refused(switch: str) -> None:
    """by_epoch='False' stepped once per epoch, as True would."""
    from runner_core.errors import ConfigTypeError

    with pytest.raises(ConfigTypeError, match=rf"param_scheduler.{switch}='False' is not valid"):
        build_param_schedulers(
            dict(type="MultiStepLR", milestones=[1], **{switch: "False"}), _sgd(), epoch_length=2
        )
