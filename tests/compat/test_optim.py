"""Optimizer-side behaviours MMEngine code relies on."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from runner_core.optim.constructor import DefaultOptimWrapperConstructor, build_optim_wrapper
from runner_core.optim.optim_wrapper import OptimWrapper
from runner_core.optim.optim_wrapper_dict import OptimWrapperDict
from runner_core.optim.scheduler import LinearLR, StepLR
from runner_core.registry import OPTIM_WRAPPER_CONSTRUCTORS


def _sgd(lr: float = 1.0) -> torch.optim.SGD:
    return torch.optim.SGD([nn.Parameter(torch.zeros(2))], lr=lr)


def test_optim_wrapper_dict_zero_grad_clears_every_wrapper() -> None:
    gen, disc = nn.Linear(2, 1), nn.Linear(2, 1)
    wrappers = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.SGD(gen.parameters(), lr=0.1)),
        discriminator=OptimWrapper(torch.optim.SGD(disc.parameters(), lr=0.1)),
    )
    (gen(torch.ones(1, 2)).sum() + disc(torch.ones(1, 2)).sum()).backward()
    wrappers.zero_grad()
    assert all(p.grad is None for p in [*gen.parameters(), *disc.parameters()])


def test_optim_wrapper_dict_param_groups_by_name() -> None:
    gen, disc = nn.Linear(2, 1), nn.Linear(2, 1)
    g = OptimWrapper(torch.optim.SGD(gen.parameters(), lr=0.1))
    d = OptimWrapper(torch.optim.Adam(disc.parameters(), lr=0.01))
    groups = OptimWrapperDict(generator=g, discriminator=d).param_groups
    assert groups == {"generator": g.param_groups, "discriminator": d.param_groups}


def test_paramwise_cfg_leaves_frozen_parameters_out_with_a_warning() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[0].requires_grad_(False)
    cfg = dict(optimizer=dict(type="SGD", lr=0.1), paramwise_cfg=dict(bias_lr_mult=2.0))
    with pytest.warns(UserWarning, match=r"'0\.weight'.*requires_grad=False"):
        wrapper = build_optim_wrapper(model, cfg)
    optimized = {id(p) for group in wrapper.param_groups for p in group["params"]}
    assert optimized == {id(p) for p in model[1].parameters()}


def test_custom_constructor_reads_its_own_paramwise_keys() -> None:
    @OPTIM_WRAPPER_CONSTRUCTORS.register_module(force=True)
    class LayerDecayConstructorForCompat(DefaultOptimWrapperConstructor):
        def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
            super().__init__(optim_wrapper_cfg, paramwise_cfg)
            self.decay_factor = self.paramwise_cfg.get("decay_factor", 1.0)

        def add_params(
            self, params: list, module: nn.Module, prefix: str = "", **_: object
        ) -> None:
            for depth, layer in enumerate(module.children()):
                lr = self.base_lr * self.decay_factor**depth
                params.append({"params": list(layer.parameters()), "lr": lr})

    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    wrapper = build_optim_wrapper(
        model,
        dict(
            constructor="LayerDecayConstructorForCompat",
            optimizer=dict(type="SGD", lr=1.0),
            paramwise_cfg=dict(decay_factor=0.5),
        ),
    )
    assert [g["lr"] for g in wrapper.param_groups] == [1.0, 0.5]


def test_default_constructor_still_refuses_unknown_paramwise_keys() -> None:
    with pytest.raises(TypeError, match="decay_factor"):
        DefaultOptimWrapperConstructor(
            dict(optimizer=dict(type="SGD", lr=1.0)), paramwise_cfg=dict(decay_factor=0.5)
        )


def test_linear_lr_accepts_start_factor_zero() -> None:
    opt = _sgd(lr=1.0)
    scheduler = LinearLR(opt, start_factor=0, end=5, by_epoch=False)
    values = [opt.param_groups[0]["lr"]]
    for _ in range(5):
        opt.step()
        scheduler.step()
        values.append(opt.param_groups[0]["lr"])
    assert values == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.0])


def test_scheduler_stepped_before_optimizer_warns_like_torch() -> None:
    opt = _sgd()
    scheduler = StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match=r"step\(\)` before `optimizer.step\(\)`"):
        scheduler.step()


def test_scheduler_stepped_after_optimizer_does_not_warn() -> None:
    opt = _sgd()
    scheduler = StepLR(opt, step_size=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        scheduler.step()


def test_scheduler_warns_when_optimizer_step_was_overwritten() -> None:
    opt = _sgd()
    scheduler = StepLR(opt, step_size=1)
    opt.step = lambda closure=None: None  # type: ignore[method-assign]
    with pytest.warns(UserWarning, match="overridden"):
        scheduler.step()


def _two_group_wrapper() -> OptimWrapper:
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    return build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type="SGD", lr=0.1, momentum=0.9, weight_decay=1e-4),
            paramwise_cfg=dict(bias_lr_mult=0.5),
        ),
    )


def test_several_param_groups_report_base_lr_which_the_schedule_moves() -> None:
    wrapper = _two_group_wrapper()
    assert len(wrapper.param_groups) > 1 and all(
        isinstance(p, nn.Parameter) for g in wrapper.param_groups for p in g["params"]
    )  # real groups only, unlike MMEngine's param_groups
    scheduler = StepLR(wrapper, step_size=1, gamma=0.5)
    lrs = wrapper.get_lr()
    assert list(lrs) == ["base_lr", "lr"] and lrs["base_lr"] == [0.1]
    wrapper.step()
    scheduler.step()
    lrs = wrapper.get_lr()
    assert lrs["base_lr"] == [0.05] and 0.025 in lrs["lr"]  # the bias groups: 0.5 x
    assert len(scheduler.get_last_value()) == len(wrapper.param_groups)
    # saved under MMEngine's key, and restored
    state = wrapper.state_dict()
    assert state["base_param_settings"]["lr"] == 0.05
    fresh = _two_group_wrapper()
    fresh.load_state_dict(state)
    assert fresh.get_lr()["base_lr"] == [0.05]


def test_one_param_group_has_no_base_lr() -> None:
    wrapper = OptimWrapper(_sgd(0.1))
    assert wrapper.get_lr() == {"lr": [0.1]}
    assert "base_param_settings" not in wrapper.state_dict()


def test_scheduler_errors_subclass_the_exceptions_mmengine_raises() -> None:
    from runner_core.optim.scheduler import (
        CosineAnnealingLR,
        OneCycleLR,
        StepMomentum,
        build_param_schedulers,
    )

    wrapper = OptimWrapper(_sgd(0.1))
    with pytest.raises(AssertionError, match="both eta_min"):
        CosineAnnealingLR(wrapper, T_max=4, eta_min=0.0, eta_min_ratio=0.1)
    with pytest.raises(KeyError, match="Did you mean 'weight_decay'"):
        from runner_core.optim.scheduler import StepParamScheduler

        StepParamScheduler(wrapper, param_name="weight_decy", step_size=1)
    with pytest.raises(KeyError, match="has no 'type'"):
        build_param_schedulers([dict(milestones=[1])], wrapper, max_epochs=2)
    with pytest.raises(AssertionError, match="convert_to_iter_based=True with by_epoch=False"):
        build_param_schedulers(
            [dict(type="StepLR", step_size=1, by_epoch=False, convert_to_iter_based=True)],
            wrapper,
            max_epochs=2,
            epoch_length=3,
        )
    adagrad = OptimWrapper(torch.optim.Adagrad([nn.Parameter(torch.zeros(1))], lr=0.1))
    with pytest.raises(ValueError, match="needs an optimizer with 'momentum'"):
        StepMomentum(adagrad, step_size=1)
    one_cycle = OneCycleLR(wrapper, eta_max=1.0, total_steps=2, by_epoch=False)
    one_cycle.step()
    one_cycle.step()
    with pytest.raises(ValueError, match="total_steps is 2"):
        one_cycle.step()


def test_custom_keys_options_nothing_reads_are_warned_about() -> None:
    with pytest.warns(UserWarning, match="sets 'decay_multi'.*Did you mean 'decay_mult'"):
        build_optim_wrapper(
            nn.Linear(2, 2),
            dict(
                optimizer=dict(type="SGD", lr=0.1, weight_decay=1e-4),
                paramwise_cfg=dict(custom_keys={"bias": dict(decay_multi=0.0, momentum=0.5)}),
            ),
        )


def test_tied_weights_error_names_bypass_duplicate() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[1].weight = model[0].weight
    with pytest.raises(ValueError) as caught:
        build_optim_wrapper(
            model, dict(optimizer=dict(type="SGD", lr=0.1), paramwise_cfg=dict(bias_lr_mult=2.0))
        )
    assert "bypass_duplicate=True" in str(caught.value)  # the message itself, not a note
