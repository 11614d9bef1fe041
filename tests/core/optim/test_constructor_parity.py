"""paramwise_cfg as MMEngine 0.10.7 builds it: DCNv2 offsets, config copies, log lines.

The expected numbers are what MMEngine's DefaultOptimWrapperConstructor gives
for the same model (with mmcv's deformable convolutions importable).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
import torch
from torch import nn

from runner_core.errors import BuildError
from runner_core.optim.constructor import DefaultOptimWrapperConstructor, build_optim_wrapper

LR, WD = 0.01, 1e-4


# Stand-ins named as mmcv's: the constructor recognises deformable convolutions by class name.
class ModulatedDeformConv2d(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(4, 4, 3, 3))
        self.bias = nn.Parameter(torch.zeros(4))


class ModulatedDeformConv2dPack(ModulatedDeformConv2d):  # mmdet's DCNv2
    def __init__(self) -> None:
        super().__init__()
        self.conv_offset = nn.Conv2d(4, 27, 3)


class DCNv2Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.dcn = ModulatedDeformConv2dPack()
        self.head = nn.Linear(4, 2)


def _groups(wrapper: Any, model: nn.Module) -> dict[str, tuple[float, float]]:
    by_id = {
        id(p): (group["lr"], group["weight_decay"])
        for group in wrapper.optimizer.param_groups
        for p in group["params"]
    }
    return {name: by_id[id(p)] for name, p in model.named_parameters()}


def test_dcn_offset_lr_mult_reaches_the_offset_of_a_dcnv2_pack() -> None:
    model = DCNv2Net()
    wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type="SGD", lr=LR, weight_decay=WD),
            paramwise_cfg=dict(
                dcn_offset_lr_mult=0.1, bias_lr_mult=2.0, bias_decay_mult=0.5, flat_decay_mult=0.0
            ),
        ),
    )
    assert _groups(wrapper, model) == {
        # the DCN's own parameters follow the ordinary rules
        "dcn.weight": (LR, WD),
        "dcn.bias": (LR * 2.0, WD * 0.5),
        # its offset conv: dcn_offset_lr_mult only; no bias or flat multipliers
        "dcn.conv_offset.weight": (LR * 0.1, WD),
        "dcn.conv_offset.bias": (LR * 0.1, WD),
        "head.weight": (LR, WD),
        "head.bias": (LR * 2.0, WD * 0.5),
    }


def test_paramwise_cfg_that_is_not_a_dict_is_named() -> None:
    with pytest.raises(BuildError, match=r"paramwise_cfg must be a dict or None, got list") as info:
        build_optim_wrapper(
            nn.Linear(2, 2), dict(optimizer=dict(type="SGD", lr=LR), paramwise_cfg=["bias"])
        )
    assert isinstance(info.value, TypeError)  # what MMEngine raises


class _PopsItsKeys(DefaultOptimWrapperConstructor):
    """As mmseg's layer-decay constructor: renames a paramwise_cfg key in place."""

    def __init__(self, optim_wrapper_cfg: dict[str, Any], paramwise_cfg: dict[str, Any]) -> None:
        paramwise_cfg["decay_rate"] = paramwise_cfg.pop("layer_decay_rate")
        optim_wrapper_cfg["optimizer"].pop("layers", None)
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(
        self,
        params: list[dict[str, Any]],
        module: nn.Module,
        prefix: str = "",
        is_dcn_module: int | float | None = None,
    ) -> None:
        for depth, param in enumerate(module.parameters()):
            params.append(
                {"params": [param], "lr": self.base_lr * self.paramwise_cfg["decay_rate"] ** depth}
            )


def test_a_constructor_that_edits_its_config_leaves_the_users_config_alone() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    cfg = dict(
        constructor=_PopsItsKeys,
        optimizer=dict(type="SGD", lr=0.1, layers=2),
        paramwise_cfg=dict(layer_decay_rate=0.5),
    )
    before = copy.deepcopy(cfg)
    first = build_optim_wrapper(model, cfg)
    assert cfg == before
    second = build_optim_wrapper(model, cfg)  # the same config builds again
    assert (
        first.get_lr()
        == second.get_lr()
        == {
            "base_lr": [0.1],
            "lr": [0.1, 0.05, 0.025, 0.0125],
        }
    )


def test_a_built_optimizer_in_the_config_is_not_copied() -> None:
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    wrapper = build_optim_wrapper(model, dict(type="OptimWrapper", optimizer=optimizer))
    assert wrapper.optimizer is optimizer
    assert wrapper.optimizer.param_groups[0]["params"][0] is model.weight


def test_each_parameters_options_are_logged_as_mmengine_does(info_logger: Any) -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = info_logger()
    handler = Keep(level=logging.INFO)
    logger.addHandler(handler)
    try:
        build_optim_wrapper(
            nn.Sequential(nn.Linear(2, 2)),
            dict(
                optimizer=dict(type="SGD", lr=LR, weight_decay=WD),
                paramwise_cfg=dict(custom_keys={"0.weight": dict(lr_mult=0.5)}),
            ),
        )
    finally:
        logger.removeHandler(handler)
    assert [r for r in records if r.startswith("paramwise_options")] == [
        f"paramwise_options -- 0.weight:lr={LR * 0.5}",
        f"paramwise_options -- 0.weight:weight_decay={WD}",
        "paramwise_options -- 0.weight:lr_mult=0.5",
    ]


class _GAN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.generator = nn.Linear(2, 2)
        self.discriminator = nn.Linear(2, 1)


@pytest.mark.parametrize(
    "marker",
    [
        {"type": "OptimWrapperDict"},  # as docs/config-reference.md lists it
        {"constructor": "MultiOptimWrapperConstructor"},  # mmagic's configs
    ],
)
def test_one_optimizer_per_part_with_the_dict_type_or_mmagics_constructor(
    marker: dict[str, str],
) -> None:
    cfg = dict(
        marker,
        generator=dict(optimizer=dict(type="SGD", lr=0.1), paramwise_cfg=dict(bias_lr_mult=2.0)),
        discriminator=dict(optimizer=dict(type="Adam", lr=0.2, betas=(0.5, 0.999))),
    )
    wrapper = build_optim_wrapper(_GAN(), cfg)
    assert wrapper.get_lr() == {
        "generator.base_lr": [0.1],
        "generator.lr": [0.1, 0.2],
        "discriminator.lr": [0.2],
    }
    assert wrapper.get_momentum() == {
        "generator.momentum": [0.0, 0.0],
        "discriminator.momentum": [0.5],
    }


@pytest.mark.parametrize(
    "marker",
    [{"type": "OptimWrapperDict"}, {"constructor": "MultiOptimWrapperConstructor"}],
)
def test_a_paramwise_cfg_beside_the_parts_is_named(marker: dict[str, str]) -> None:
    """mmagic's constructor with one was told "'MultiOptimWrapperConstructor' is not in the
    optim wrapper constructor registry", a name it builds without paramwise_cfg."""
    cfg = dict(
        marker,
        paramwise_cfg=dict(bias_lr_mult=2.0),
        generator=dict(optimizer=dict(type="SGD", lr=0.1)),
        discriminator=dict(optimizer=dict(type="SGD", lr=0.1)),
    )
    with pytest.raises(BuildError, match="has a paramwise_cfg beside its parts") as err:
        build_optim_wrapper(_GAN(), cfg)
    assert f"{next(iter(marker.values()))}', ...)" in str(err.value)
    if "constructor" in marker:  # mmagic asserts there is none
        assert isinstance(err.value, AssertionError)
    cfg["paramwise_cfg"] = None  # what mmagic's assert accepts (a config may write it)
    assert set(build_optim_wrapper(_GAN(), cfg).keys()) == {"generator", "discriminator"}
