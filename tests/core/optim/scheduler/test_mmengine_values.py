"""Our schedulers give MMEngine 0.10.7's values bit for bit (compared with ``==``).

The expected lists were recorded by stepping MMEngine's scheduler of the same
name on the same optimizer (two param groups, lr 0.1 and 0.037); where a
formula of ours rounded differently from MMEngine's, these fail.
"""

from __future__ import annotations

import torch

from runner_core.optim.scheduler import PolyLR


def _optimizer() -> torch.optim.Optimizer:
    a = torch.nn.Parameter(torch.zeros(2))
    b = torch.nn.Parameter(torch.zeros(3))
    groups: list[dict] = [{"params": [a]}, {"params": [b], "lr": 0.037}]
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def _lrs(opt: torch.optim.Optimizer, scheduler: object, steps: int) -> list[list[float]]:
    values = [[g["lr"] for g in opt.param_groups]]
    for _ in range(steps - 1):
        opt.step()
        scheduler.step()  # type: ignore[attr-defined]
        values.append([g["lr"] for g in opt.param_groups])
    return values


def test_poly_lr_rounds_as_mmengine() -> None:
    opt = _optimizer()
    scheduler = PolyLR(opt, power=0.9, eta_min=1e-4, end=12)
    assert _lrs(opt, scheduler, 12) == [
        [0.1, 0.037],
        [0.09178790965401001, 0.03396670536769739],
        [0.08349314066327362, 0.030902871776524492],
        [0.0751054912593801, 0.027804731005716975],
        [0.06661204601138628, 0.02466751249069223],
        [0.05799595164976198, 0.02148499114991208],
        [0.04923433420129656, 0.018248718038316746],
        [0.04029444753815074, 0.01494659773931694],
        [0.031125672283249608, 0.011559933005524629],
        [0.021639671106348603, 0.00805609473297561],
        [0.011642823941772094, 0.004363565600114018],
        [0.0001, 0.0001],
    ]


def test_plateau_counts_judged_validations_from_zero_as_mmengine() -> None:
    """MMEngine's ReduceOnPlateau starts at last_step=-1, so a checkpoint's
    ``last_step`` (and the verbose message's epoch) is 0 after the first judged validation."""
    import pytest

    from runner_core.optim.scheduler import ReduceOnPlateauLR

    opt = _optimizer()
    scheduler = ReduceOnPlateauLR(opt, monitor="loss", patience=0, factor=0.5)
    assert scheduler.state_dict()["last_step"] == -1
    scheduler.step({"loss": 1.0})
    scheduler.step({"loss": 2.0})
    assert scheduler.state_dict()["last_step"] == 1
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.0185]
    with pytest.raises(ValueError, match="threshold >= 0"):
        ReduceOnPlateauLR(_optimizer(), threshold=-0.1)


def test_a_bad_last_step_is_the_assertion_error_mmengine_raises() -> None:
    import pytest

    from runner_core.optim.scheduler import ReduceOnPlateauLR, StepLR

    with pytest.raises(AssertionError, match="last_step as an int >= -1"):
        StepLR(_optimizer(), step_size=2, last_step=-2)
    with pytest.raises(AssertionError, match="last_step as an int >= -1"):
        ReduceOnPlateauLR(_optimizer(), last_step=-2)


def test_a_config_may_give_one_cycle_eta_max_per_param_group() -> None:
    """``OneCycleLR(eta_max=[...])`` takes one peak per param group, in a config too."""
    import pytest

    from runner_core.errors import ConfigError
    from runner_core.optim.scheduler import OneCycleLR, build_param_schedulers

    opt = _optimizer()
    [built] = build_param_schedulers(
        dict(type="OneCycleLR", eta_max=[0.5, 0.2], total_steps=10, by_epoch=False), opt
    )
    direct_opt = _optimizer()
    direct = OneCycleLR(direct_opt, eta_max=[0.5, 0.2], total_steps=10, by_epoch=False)
    assert _lrs(opt, built, 10) == _lrs(direct_opt, direct, 10)
    with pytest.raises(ConfigError, match=r"param_scheduler.eta_max\[1\]"):
        build_param_schedulers(
            dict(type="OneCycleLR", eta_max=[0.5, "x"], total_steps=10, by_epoch=False),
            _optimizer(),
        )


def test_converting_without_epoch_length_is_the_assertion_error_mmengine_raises() -> None:
    import pytest

    from runner_core.registry import PARAM_SCHEDULERS, build_scheduler_from_cfg

    cfg = dict(type="StepLR", step_size=2, convert_to_iter_based=True)
    with pytest.raises(AssertionError, match="iterations per epoch"):
        build_scheduler_from_cfg(cfg, PARAM_SCHEDULERS, dict(optimizer=_optimizer()))
