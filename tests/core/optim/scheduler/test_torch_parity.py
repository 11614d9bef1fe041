"""Our schedulers give exactly torch.optim.lr_scheduler's values where both have the schedule.

MMEngine's arguments are translated to torch's (``end`` is exclusive in
MMEngine: ``LinearLR(begin=0, end=10)`` ~ torch ``LinearLR(total_iters=9)``).
Values are compared with ``==`` except CosineRestart, whose torch counterpart
(CosineAnnealingWarmRestarts) is a closed form while ours is the chainable
recursion, and PolyLR, which rounds as MMEngine's does (torch's PolynomialLR
writes the same ratio another way): there the tolerance is 1e-12 relative.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch.optim import lr_scheduler as tls

from runner_core.optim.optim_wrapper import OptimWrapper
from runner_core.optim.scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    CosineRestartLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolyLR,
    ReduceOnPlateauLR,
    StepLR,
    build_param_schedulers,
)

STEPS = 300


def _optimizer(lr: float = 0.1) -> torch.optim.Optimizer:
    a = torch.nn.Parameter(torch.zeros(2))
    b = torch.nn.Parameter(torch.zeros(3))
    # Two groups with different lrs so per-group arithmetic is compared too.
    return torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": lr * 0.37}], lr=lr, momentum=0.9)


def _run_torch(make, steps: int = STEPS) -> list[list[float]]:
    opt = _optimizer()
    sched = make(opt)
    values = [[g["lr"] for g in opt.param_groups]]
    for _ in range(steps - 1):
        opt.step()
        sched.step()
        values.append([g["lr"] for g in opt.param_groups])
    return values


def _run_ours(make, steps: int = STEPS, wrap: bool = True) -> list[list[float]]:
    opt = _optimizer()
    target = OptimWrapper(opt) if wrap else opt
    sched = make(target)
    values = [[g["lr"] for g in opt.param_groups]]
    for _ in range(steps - 1):
        opt.step()
        sched.step()
        values.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_value() == values[-1]
    return values


CASES = {
    "StepLR": (
        lambda o: StepLR(o, step_size=7, gamma=0.5),
        lambda o: tls.StepLR(o, step_size=7, gamma=0.5),
    ),
    "MultiStepLR": (
        lambda o: MultiStepLR(o, milestones=[30, 80, 80, 200], gamma=0.3),
        lambda o: tls.MultiStepLR(o, milestones=[30, 80, 80, 200], gamma=0.3),
    ),
    "ExponentialLR": (
        lambda o: ExponentialLR(o, gamma=0.99),
        lambda o: tls.ExponentialLR(o, gamma=0.99),
    ),
    "CosineAnnealingLR": (
        lambda o: CosineAnnealingLR(o, T_max=100, eta_min=0.001),
        lambda o: tls.CosineAnnealingLR(o, T_max=100, eta_min=0.001),
    ),
    "LinearLR": (
        lambda o: LinearLR(o, start_factor=0.1, end_factor=0.9, begin=0, end=50),
        lambda o: tls.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=49),
    ),
    "ConstantLR": (
        lambda o: ConstantLR(o, factor=0.25, end=40),
        lambda o: tls.ConstantLR(o, factor=0.25, total_iters=39),
    ),
    "OneCycleLR": (
        lambda o: OneCycleLR(o, eta_max=0.5, end=STEPS),
        lambda o: tls.OneCycleLR(o, max_lr=0.5, total_steps=STEPS, cycle_momentum=False),
    ),
    "OneCycleLR-linear-3phase": (
        lambda o: OneCycleLR(
            o,
            eta_max=[0.5, 0.2],
            total_steps=STEPS,
            pct_start=0.25,
            anneal_strategy="linear",
            three_phase=True,
        ),
        lambda o: tls.OneCycleLR(
            o,
            max_lr=[0.5, 0.2],
            total_steps=STEPS,
            pct_start=0.25,
            anneal_strategy="linear",
            three_phase=True,
            cycle_momentum=False,
        ),
    ),
}


@pytest.mark.parametrize("wrap", [True, False], ids=["OptimWrapper", "Optimizer"])
@pytest.mark.parametrize("name", list(CASES))
def test_by_epoch_values_equal_torch(name: str, wrap: bool) -> None:
    ours, theirs = CASES[name]
    assert _run_ours(ours, wrap=wrap) == _run_torch(theirs)


def _assert_close(ours: list[list[float]], theirs: list[list[float]], rel: float = 1e-12) -> None:
    assert len(ours) == len(theirs)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for x, y in zip(a, b):
            assert math.isclose(x, y, rel_tol=rel, abs_tol=1e-15), (step, x, y)


def test_poly_matches_polynomial_lr() -> None:
    """PolyLR keeps MMEngine's rounding (test_mmengine_values), torch's differs in the last bit."""
    _assert_close(
        _run_ours(lambda o: PolyLR(o, power=2.0, end=250)),
        _run_torch(lambda o: tls.PolynomialLR(o, total_iters=249, power=2.0)),
    )

    def ours(o):
        [sched] = build_param_schedulers(
            dict(type="PolyLR", power=0.9, end=20, convert_to_iter_based=True),
            o,
            epoch_length=EPOCH_LENGTH,
        )
        return sched

    _assert_close(
        _run_ours(ours), _run_torch(lambda o: tls.PolynomialLR(o, total_iters=259, power=0.9))
    )


def test_cosine_restart_matches_warm_restarts() -> None:
    ours = _run_ours(
        lambda o: CosineRestartLR(o, periods=[20] * 15, restart_weights=[1] * 15, eta_min=0.001)
    )
    theirs = _run_torch(lambda o: tls.CosineAnnealingWarmRestarts(o, T_0=20, eta_min=0.001))
    _assert_close(ours, theirs)


def test_cosine_restart_matches_warm_restarts_with_t_mult() -> None:
    periods = [10, 20, 40, 80, 160]
    ours = _run_ours(
        lambda o: CosineRestartLR(o, periods=periods, restart_weights=[1] * 5, eta_min=0.0)
    )
    theirs = _run_torch(lambda o: tls.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2))
    _assert_close(ours, theirs)


def test_reduce_on_plateau_equals_torch() -> None:
    losses = [1.0 / (1 + i) if i < 40 else 0.02 + 0.001 * math.sin(i) for i in range(STEPS)]
    torch_opt, our_opt = _optimizer(), _optimizer()
    theirs = tls.ReduceLROnPlateau(
        torch_opt, mode="min", factor=0.5, patience=3, threshold=1e-3, cooldown=2, min_lr=1e-4
    )
    ours = ReduceOnPlateauLR(
        OptimWrapper(our_opt),
        monitor="loss",
        rule="less",
        factor=0.5,
        patience=3,
        threshold=1e-3,
        cooldown=2,
        min_value=1e-4,
    )
    assert ours.need_val_args
    changes = 0
    for loss in losses:
        before = our_opt.param_groups[0]["lr"]
        theirs.step(loss)
        ours.step()  # an epoch ends: counted, nothing judged
        ours.step({"loss": loss, "acc": 0.5})
        assert [g["lr"] for g in our_opt.param_groups] == [g["lr"] for g in torch_opt.param_groups]
        changes += our_opt.param_groups[0]["lr"] != before
    assert changes >= 3


def test_reduce_on_plateau_greater_abs_equals_torch() -> None:
    accs = [min(0.9, 0.1 * i) + 0.01 * ((i * 7) % 3) for i in range(100)]
    torch_opt, our_opt = _optimizer(), _optimizer()
    theirs = tls.ReduceLROnPlateau(
        torch_opt, mode="max", threshold_mode="abs", threshold=0.01, patience=2
    )
    ours = ReduceOnPlateauLR(
        our_opt, monitor="acc", rule="greater", threshold_rule="abs", threshold=0.01, patience=2
    )
    for acc in accs:
        theirs.step(acc)
        ours.step({"acc": acc})
        assert [g["lr"] for g in our_opt.param_groups] == [g["lr"] for g in torch_opt.param_groups]


# -- by iteration: convert_to_iter_based=True against torch stepped per iteration
EPOCH_LENGTH = 13
ITER_CASES = {
    "StepLR": (
        dict(type="StepLR", step_size=3, gamma=0.5),
        lambda o: tls.StepLR(o, step_size=39, gamma=0.5),
    ),
    "MultiStepLR": (
        dict(type="MultiStepLR", milestones=[4, 9, 17]),
        lambda o: tls.MultiStepLR(o, milestones=[52, 117, 221]),
    ),
    "CosineAnnealingLR": (
        dict(type="CosineAnnealingLR", T_max=10, eta_min=1e-3),
        lambda o: tls.CosineAnnealingLR(o, T_max=130, eta_min=1e-3),
    ),
    "LinearLR": (
        dict(type="LinearLR", start_factor=0.05, begin=0, end=5),
        lambda o: tls.LinearLR(o, start_factor=0.05, total_iters=64),
    ),
    "ConstantLR": (
        dict(type="ConstantLR", factor=0.5, end=4),
        lambda o: tls.ConstantLR(o, factor=0.5, total_iters=51),
    ),
    "ExponentialLR": (
        dict(type="ExponentialLR", gamma=0.999),
        lambda o: tls.ExponentialLR(o, gamma=0.999),
    ),
    "OneCycleLR": (
        dict(type="OneCycleLR", eta_max=0.3, total_steps=23, by_epoch=True),
        lambda o: tls.OneCycleLR(o, max_lr=0.3, total_steps=299, cycle_momentum=False),
    ),
}


@pytest.mark.parametrize("name", list(ITER_CASES))
def test_convert_to_iter_based_equals_torch_per_iteration(name: str) -> None:
    cfg, theirs = ITER_CASES[name]
    steps = 299 if name == "OneCycleLR" else STEPS

    def ours(o):
        [sched] = build_param_schedulers(
            dict(cfg, convert_to_iter_based=True), o, epoch_length=EPOCH_LENGTH
        )
        assert sched.by_epoch is False
        return sched

    assert _run_ours(ours, steps=steps) == _run_torch(theirs, steps=steps)


def test_convert_cosine_restart_per_iteration() -> None:
    def ours(o):
        [sched] = build_param_schedulers(
            dict(
                type="CosineRestartLR",
                periods=[2, 4, 8],
                restart_weights=[1, 1, 1],
                eta_min=0.0,
                convert_to_iter_based=True,
            ),
            o,
            epoch_length=EPOCH_LENGTH,
        )
        return sched

    _assert_close(
        _run_ours(ours, steps=182),
        _run_torch(lambda o: tls.CosineAnnealingWarmRestarts(o, T_0=26, T_mult=2), steps=182),
    )


def test_warmup_then_cosine_chain_equals_torch_chained_scheduler() -> None:
    """Iteration warm-up + epoch cosine converted to iterations, both active at first."""

    def ours(o):
        warmup, cosine = build_param_schedulers(
            [
                dict(type="LinearLR", start_factor=0.001, by_epoch=False, begin=0, end=40),
                dict(
                    type="CosineAnnealingLR",
                    by_epoch=True,
                    begin=0,
                    end=20,
                    eta_min=1e-5,
                    convert_to_iter_based=True,
                ),
            ],
            o,
            epoch_length=15,
        )

        class Both:
            def step(self):
                warmup.step()
                cosine.step()

            def get_last_value(self):
                return cosine.get_last_value()

        return Both()

    def theirs(o):
        return tls.ChainedScheduler(
            [
                tls.LinearLR(o, start_factor=0.001, total_iters=39),
                tls.CosineAnnealingLR(o, T_max=300, eta_min=1e-5),
            ]
        )

    assert _run_ours(ours) == _run_torch(theirs)
