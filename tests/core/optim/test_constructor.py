"""build_optim_wrapper / DefaultOptimWrapperConstructor: the parameter groups users get."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from runner_core.errors import BuildError, RegistryError
from runner_core.optim.amp_optim_wrapper import AmpOptimWrapper
from runner_core.optim.constructor import DefaultOptimWrapperConstructor, build_optim_wrapper
from runner_core.optim.optim_wrapper import OptimWrapper
from runner_core.optim.optim_wrapper_dict import OptimWrapperDict

LR, WD = 0.01, 1e-4


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3))
        self.backbone = nn.Sequential()
        self.backbone.add_module("conv", nn.Conv2d(3, 4, 3))
        self.backbone.add_module("bn", nn.BatchNorm2d(4))
        self.backbone.add_module("dw", nn.Conv2d(4, 4, 3, groups=4))
        self.dw2 = nn.Conv2d(4, 4, 3, groups=4)
        self.neck = nn.Linear(4, 4)
        self.neck_norm = nn.LayerNorm(4)
        self.head = nn.Linear(4, 2)
        self.frozen = nn.Linear(2, 2)
        self.frozen.requires_grad_(False)


def _settings(wrapper: OptimWrapper, model: nn.Module) -> dict[str, tuple[float, float]]:
    by_id = {}
    for group in wrapper.param_groups:
        for p in group["params"]:
            assert id(p) not in by_id, "a parameter is in two groups"
            by_id[id(p)] = (group["lr"], group["weight_decay"])
    return {name: by_id[id(p)] for name, p in model.named_parameters() if id(p) in by_id}


def test_without_paramwise_cfg_one_group_and_plain_wrapper() -> None:
    model = Net()
    wrapper = build_optim_wrapper(
        model, dict(optimizer=dict(type="SGD", lr=LR, momentum=0.9, weight_decay=WD))
    )
    assert type(wrapper) is OptimWrapper
    assert len(wrapper.param_groups) == 1 and wrapper.get_lr() == {"lr": [LR]}
    assert isinstance(wrapper.optimizer, torch.optim.SGD)


def test_paramwise_cfg_groups() -> None:
    model = Net()
    wrapper = build_optim_wrapper(
        model,
        dict(
            type="OptimWrapper",
            optimizer=dict(type="SGD", lr=LR, momentum=0.9, weight_decay=WD),
            paramwise_cfg=dict(
                bias_lr_mult=2.0,
                bias_decay_mult=0.0,
                norm_decay_mult=0.0,
                dwconv_decay_mult=0.1,
                flat_decay_mult=0.5,
                custom_keys={
                    "backbone": dict(lr_mult=0.1),
                    "backbone.dw": dict(lr_mult=0.01, decay_mult=0.3),
                },
            ),
        ),
    )
    got = _settings(wrapper, model)
    approx = pytest.approx
    expected = {
        "scale": (LR, WD * 0.5),  # 1-D: flat_decay_mult
        "backbone.conv.weight": (LR * 0.1, WD),  # custom key wins over every other rule
        "backbone.conv.bias": (LR * 0.1, WD),
        "backbone.bn.weight": (LR * 0.1, WD),
        "backbone.bn.bias": (LR * 0.1, WD),
        "backbone.dw.weight": (LR * 0.01, WD * 0.3),  # the longer key wins
        "backbone.dw.bias": (LR * 0.01, WD * 0.3),
        "dw2.weight": (LR, WD * 0.1),  # depth-wise conv
        "dw2.bias": (LR * 2, 0.0),  # bias rules first
        "neck.weight": (LR, WD),
        "neck.bias": (LR * 2, 0.0),
        "neck_norm.weight": (LR, 0.0),  # norm: no bias_lr_mult, norm_decay_mult
        "neck_norm.bias": (LR, 0.0),
        "head.weight": (LR, WD),
        "head.bias": (LR * 2, 0.0),
    }  # frozen.* (requires_grad=False) are left out of the optimizer, as in MMEngine
    assert got == {k: (approx(v[0]), approx(v[1])) for k, v in expected.items()}


def test_custom_keys_ties_are_alphabetical_and_keep_extra_options() -> None:
    model = nn.Sequential()
    model.add_module("ab", nn.Linear(2, 2))
    cons = DefaultOptimWrapperConstructor(
        dict(optimizer=dict(type="AdamW", lr=1.0, weight_decay=0.1)),
        paramwise_cfg=dict(
            custom_keys={"b.": dict(lr_mult=0.5), "ab": dict(lr_mult=0.2, betas=(0.5, 0.9))}
        ),
    )
    wrapper = cons(model)
    # 'ab' and 'b.' have the same length: 'ab' is first alphabetically.
    assert [g["lr"] for g in wrapper.param_groups] == [pytest.approx(0.2)] * 2
    assert wrapper.param_groups[0]["betas"] == (0.5, 0.9)


def test_bypass_duplicate_for_shared_parameters() -> None:
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU())
    model.add_module("tied", nn.Linear(2, 2))
    model.tied.weight = shared.weight
    cfg = dict(optimizer=dict(type="SGD", lr=0.1, weight_decay=0.1))
    with pytest.raises(ValueError, match="more than one parameter group") as err:
        build_optim_wrapper(model, dict(cfg, paramwise_cfg=dict(bias_decay_mult=0.0)))
    # the fix, not "check the values under optim_wrapper.optimizer" (they are fine)
    assert "paramwise_cfg.bypass_duplicate=True" in str(err.value)
    assert "Check the values" not in str(err.value)
    with pytest.warns(UserWarning, match="shared"):
        wrapper = build_optim_wrapper(
            model, dict(cfg, paramwise_cfg=dict(bias_decay_mult=0.0, bypass_duplicate=True))
        )
    assert sum(len(g["params"]) for g in wrapper.param_groups) == 3


def test_wrapper_type_options_and_ddp_unwrap() -> None:
    model = Net()

    class Wrapped(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

    wrapper = build_optim_wrapper(
        Wrapped(model),
        dict(
            type="AmpOptimWrapper",
            dtype="bfloat16",
            optimizer=dict(type="Adam", lr=1e-3),
            accumulative_counts=4,
            clip_grad=dict(max_norm=2.0),
            paramwise_cfg=dict(custom_keys={"head": dict(lr_mult=10.0)}),
        ),
    )
    assert isinstance(wrapper, AmpOptimWrapper)
    assert wrapper.accumulative_counts == 4 and wrapper.clip_grad_kwargs == {"max_norm": 2.0}
    assert sorted({round(g["lr"], 12) for g in wrapper.param_groups}) == [1e-3, 1e-2]


def test_built_optimizer_objects_are_wrapped() -> None:
    model = Net()
    sgd = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)  # the Runner guide's way
    wrapper = build_optim_wrapper(model, sgd)
    assert type(wrapper) is OptimWrapper and wrapper.optimizer is sgd
    assert build_optim_wrapper(model, wrapper) is wrapper
    wrapper = build_optim_wrapper(model, dict(optimizer=sgd, accumulative_counts=2))
    assert wrapper.optimizer is sgd and wrapper.accumulative_counts == 2


def test_custom_constructor_by_class() -> None:
    calls = []

    class Recording(DefaultOptimWrapperConstructor):
        def __call__(self, model):
            calls.append(self.paramwise_cfg)
            return super().__call__(model)

    build_optim_wrapper(
        Net(),
        dict(
            constructor=Recording,
            optimizer=dict(type="SGD", lr=0.1),
            paramwise_cfg=dict(bias_lr_mult=2.0),
        ),
    )
    assert calls == [{"bias_lr_mult": 2.0}]


class GAN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.generator = nn.Linear(2, 2)
        self.discriminator = nn.Linear(2, 1)


def test_dict_of_configs_builds_an_optim_wrapper_dict() -> None:
    model = GAN()
    wrappers = build_optim_wrapper(
        model,
        dict(
            generator=dict(optimizer=dict(type="Adam", lr=2e-4, betas=(0.5, 0.999))),
            discriminator=dict(
                type="OptimWrapper",
                optimizer=dict(type="SGD", lr=1e-3),
                clip_grad=dict(max_norm=1.0),
            ),
        ),
    )
    assert isinstance(wrappers, OptimWrapperDict)
    assert wrappers.get_lr() == {"generator.lr": [2e-4], "discriminator.lr": [1e-3]}
    gen_params = {id(p) for g in wrappers["generator"].param_groups for p in g["params"]}
    assert gen_params == {id(p) for p in model.generator.parameters()}
    with pytest.raises(BuildError, match="Did you mean 'generator'"):
        build_optim_wrapper(model, dict(generater=dict(optimizer=dict(type="SGD", lr=0.1))))
    # a misspelt 'optimizer' is read as a part's name: the hint names the key it meant
    with pytest.raises(BuildError, match="needs an 'optimizer' key. Did you mean 'optimizer'"):
        build_optim_wrapper(model, dict(optimizr=dict(type="Adam", lr=0.01)))
    # a built wrapper beside a config for no part: MMEngine's ValueError class too
    built = OptimWrapper(torch.optim.SGD(model.generator.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="has no child module 'key2'"):
        build_optim_wrapper(
            model, dict(generator=built, key2=dict(optimizer=dict(type="SGD", lr=0.1)))
        )


_SGD = dict(optimizer=dict(type="SGD", lr=0.1))


@pytest.mark.parametrize(
    ("discriminator", "error", "key"),
    [
        pytest.param(
            dict(optimizer=dict(type="SGDD", lr=0.1)), RegistryError, ".optimizer.type'", id="SGDD"
        ),
        pytest.param(
            dict(optimizer=dict(type="SGD", lr=0.1, momentun=0.9)),
            BuildError,
            ".optimizer",
            id="momentun",
        ),
        pytest.param(
            dict(_SGD, clip_grad=dict(max_norm=1, norm_typ=2)), BuildError, "'", id="clip_grad"
        ),
        pytest.param(
            dict(_SGD, paramwise_cfg=dict(bias_lr_mul=2.0)),
            BuildError,
            ".paramwise_cfg",
            id="paramwise_cfg",
        ),
        pytest.param(dict(_SGD, type="OptimWraper"), RegistryError, ".type'", id="wrapper type"),
        pytest.param(
            dict(optimizer=dict(type="SGD", lr=-1.0)), ValueError, ".optimizer.lr", id="lr"
        ),
    ],
)
def test_an_error_in_one_part_names_the_part_s_key(
    discriminator: dict, error: type[Exception], key: str
) -> None:
    """It named 'optim_wrapper.optimizer.type', as if there were one optimizer."""
    cfg = dict(constructor="MultiOptimWrapperConstructor", generator=_SGD)
    with pytest.raises(error) as err:
        build_optim_wrapper(GAN(), dict(cfg, discriminator=discriminator))
    assert f"optim_wrapper.discriminator{key}" in str(err.value)
    assert "'optim_wrapper.optimizer" not in str(err.value)


def test_tied_weights_in_one_part_name_that_part_s_bypass_duplicate() -> None:
    model = GAN()
    model.discriminator = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model.discriminator[1].weight = model.discriminator[0].weight
    discriminator = dict(_SGD, paramwise_cfg=dict(bias_lr_mult=2.0))
    with pytest.raises(ValueError, match="tied weights") as err:
        build_optim_wrapper(model, dict(generator=_SGD, discriminator=discriminator))
    assert "Set optim_wrapper.discriminator.paramwise_cfg.bypass_duplicate=True" in str(err.value)


def test_a_part_with_every_parameter_frozen_and_a_paramwise_cfg_says_so() -> None:
    """It said the optimizer "refused its arguments" and to check optim_wrapper.optimizer;
    torch's error class (MMEngine gives it) is kept."""
    model = GAN()
    model.discriminator.requires_grad_(False)
    discriminator = dict(_SGD, paramwise_cfg=dict(bias_lr_mult=2.0))
    with pytest.warns(UserWarning, match="requires_grad=False"):
        with pytest.raises(ValueError) as err:
            build_optim_wrapper(model, dict(generator=_SGD, discriminator=discriminator))
    message = str(err.value)
    assert message.startswith("optim_wrapper.discriminator has no trainable parameter: all 2 ")
    assert "drop optim_wrapper.discriminator.paramwise_cfg" in message
    assert "refused its arguments" not in message
    # without paramwise_cfg torch takes the frozen parameters, as in MMEngine
    wrappers = build_optim_wrapper(model, dict(generator=_SGD, discriminator=_SGD))
    assert len(wrappers["discriminator"].param_groups[0]["params"]) == 2


def test_a_layer_decay_key_without_its_constructor_names_the_constructor() -> None:
    """mmpretrain's layer_decay_rate with `constructor=` forgotten was told "did you mean
    'flat_decay_mult'"."""
    with pytest.raises(BuildError) as err:
        build_optim_wrapper(
            Net(),
            dict(optimizer=dict(type="SGD", lr=0.1), paramwise_cfg=dict(layer_decay_rate=0.65)),
        )
    message = str(err.value)
    assert "optim_wrapper.constructor" in message and "Did you mean" not in message
    assert "LearningRateDecayOptimWrapperConstructor" in message


def test_a_top_level_lr_mult_points_to_custom_keys_not_to_bias_lr_mult() -> None:
    """MMEngine's optim_wrapper tutorial lists lr_mult/decay_mult as paramwise_cfg keys
    (MMEngine ignores them there); "did you mean 'bias_lr_mult'" would scale the biases."""
    for option, what in (("lr_mult", "lr"), ("decay_mult", "weight_decay")):
        cfg = dict(optimizer=dict(type="SGD", lr=LR), paramwise_cfg={option: 0.1})
        with pytest.raises(BuildError) as info:
            build_optim_wrapper(Net(), cfg)
        said = str(info.value)
        assert f"{option} is an option of a custom_keys entry" in said
        assert f"scale optim_wrapper.optimizer's {what} itself" in said
        assert "Did you mean" not in said


def test_clear_errors() -> None:
    model = Net()
    with pytest.raises(BuildError, match="Did you mean one of 'bias_lr_mult'"):
        build_optim_wrapper(
            model, dict(optimizer=dict(type="SGD", lr=0.1), paramwise_cfg=dict(bias_lr_mul=2.0))
        )
    with pytest.raises(BuildError, match="weight_decay"):
        build_optim_wrapper(
            model, dict(optimizer=dict(type="SGD", lr=0.1), paramwise_cfg=dict(norm_decay_mult=0.0))
        )
    with pytest.raises(BuildError, match="'optimizer'"):
        build_optim_wrapper(model, dict(type="OptimWrapper", clip_grad=dict(max_norm=1.0)))
    with pytest.raises(RegistryError, match="Did you mean .*SGD"):
        build_optim_wrapper(model, dict(optimizer=dict(type="SDG", lr=0.1)))
    with pytest.raises(BuildError, match="momentun"):
        build_optim_wrapper(model, dict(optimizer=dict(type="SGD", lr=0.1, momentun=0.9)))
    with pytest.raises(BuildError, match="accumulative_count"):
        build_optim_wrapper(model, dict(optimizer=dict(type="SGD", lr=0.1), accumulative_count=2))


def test_a_custom_key_with_a_leading_dot_matches_a_parameter_on_the_model() -> None:
    """MMEngine matches f'{prefix}.{name}': mmpretrain's '.cls_token' finds model.cls_token."""

    class ViTLike(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cls_token = nn.Parameter(torch.zeros(1, 8))
            self.pos_embed = nn.Parameter(torch.zeros(1, 8))
            self.head = nn.Linear(8, 2)

    model = ViTLike()
    wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type="AdamW", lr=LR, weight_decay=0.05),
            paramwise_cfg=dict(
                custom_keys={".cls_token": dict(decay_mult=0.0), "pos_embed": dict(lr_mult=0.5)}
            ),
        ),
    )
    assert _settings(wrapper, model) == {
        "cls_token": (LR, 0.0),
        "pos_embed": (pytest.approx(LR * 0.5), 0.05),  # a key without the dot still matches
        "head.weight": (LR, 0.05),
        "head.bias": (LR, 0.05),
    }


def test_norm_decay_mult_covers_mmengines_norm_layers_only() -> None:
    model = nn.Sequential(nn.GroupNorm(1, 4), nn.LocalResponseNorm(2))
    if hasattr(nn, "RMSNorm"):
        model.append(nn.RMSNorm(4))
    wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type="SGD", lr=LR, weight_decay=WD),
            paramwise_cfg=dict(norm_decay_mult=0.0),
        ),
    )
    got = _settings(wrapper, model)
    assert got["0.weight"] == (LR, 0.0) and got["0.bias"] == (LR, 0.0)
    if hasattr(nn, "RMSNorm"):
        assert got["2.weight"] == (LR, WD)  # as in MMEngine: not a norm layer there


def test_flat_decay_mult_without_weight_decay_warns_and_builds() -> None:
    """MMEngine ignores it (an AdamW config relying on the default weight decay)."""
    model = nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2))
    with pytest.warns(UserWarning, match="flat_decay_mult is ignored"):
        wrapper = build_optim_wrapper(
            model,
            dict(optimizer=dict(type="AdamW", lr=LR), paramwise_cfg=dict(flat_decay_mult=0.0)),
        )
    assert [g["weight_decay"] for g in wrapper.param_groups] == [0.01] * 4


def test_errors_are_the_exceptions_mmengine_raises() -> None:
    model = nn.Linear(2, 2)
    no_wd = dict(type="SGD", lr=0.1)
    for paramwise in (
        dict(custom_keys={"bias": dict(decay_mult=0.0)}),
        dict(bias_decay_mult=0.0),
        dict(norm_decay_mult=0.0),
        dict(dwconv_decay_mult=0.0),
    ):
        with pytest.raises(ValueError, match="weight_decay") as info:
            build_optim_wrapper(model, dict(optimizer=no_wd, paramwise_cfg=paramwise))
        assert isinstance(info.value, BuildError)
    with pytest.raises(AssertionError, match="'optimizer'") as info:
        DefaultOptimWrapperConstructor(dict(type="OptimWrapper"))
    assert isinstance(info.value, BuildError)


def test_a_config_without_optimizer_is_mmengines_assertion_error() -> None:
    with pytest.raises(AssertionError, match="has no 'optimizer' key") as err:
        build_optim_wrapper(nn.Linear(2, 2), {})
    assert isinstance(err.value, ValueError)  # as before


def test_what_configure_optimizers_returns_gets_the_way_to_write_it() -> None:
    """Lightning's {'optimizer', 'lr_scheduler'} dict failed as "unexpected argument
    'lr_scheduler'", and ([opt], [sched]) with a many-line repr of the optimizer."""
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 2)
    for given in ({"optimizer": opt, "lr_scheduler": sched}, ([opt], [sched])):
        with pytest.raises(BuildError) as info:
            build_optim_wrapper(model, given)
        message = str(info.value)
        assert "param_scheduler=dict(type='StepLR', step_size=..., by_epoch=False)" in message
        assert "\n" not in message and "Parameter Group" not in message
    assert isinstance(build_optim_wrapper(model, opt), OptimWrapper)  # the optimizer alone
