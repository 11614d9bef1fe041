"""``FSDPStrategy``: MMEngine's FSDP1 ``model_wrapper`` options mapped onto our FSDP2 wrapper."""

from __future__ import annotations

import functools

import pytest
import torch
from torch import nn
from torch.distributed.fsdp import MixedPrecision, ShardingStrategy
from torch.distributed.fsdp.wrap import (
    ModuleWrapPolicy,
    size_based_auto_wrap_policy,
    transformer_auto_wrap_policy,
)

from runner_core.errors import ConfigError
from runner_core.registry import STRATEGIES
from runner_core.strategies import FSDPStrategy


def _cfg(**model_wrapper) -> dict:
    return FSDPStrategy(model_wrapper=model_wrapper).model_wrapper_cfg()


def test_auto_wrap_policies_become_units_to_shard() -> None:
    block = nn.TransformerEncoderLayer
    assert (
        _cfg(
            auto_wrap_policy=functools.partial(
                size_based_auto_wrap_policy, min_num_params=1_000_000
            )
        )["min_num_params"]
        == 1_000_000
    )
    assert _cfg(auto_wrap_policy=size_based_auto_wrap_policy)["min_num_params"] == 100_000_000
    by_partial = functools.partial(transformer_auto_wrap_policy, transformer_layer_cls={block})
    assert _cfg(auto_wrap_policy=by_partial)["wrap_modules"] == [block]
    assert _cfg(auto_wrap_policy=ModuleWrapPolicy({block}))["wrap_modules"] == [block]
    as_dict = dict(type="transformer_auto_wrap_policy", transformer_layer_cls=["Block"])
    assert _cfg(auto_wrap_policy=as_dict)["wrap_modules"] == ["Block"]


def test_sharding_offload_and_mixed_precision_map_and_no_op_options_are_dropped() -> None:
    cfg = _cfg(
        sharding_strategy=ShardingStrategy.SHARD_GRAD_OP,
        cpu_offload=True,
        mixed_precision=dict(param_dtype="bf16", reduce_dtype=torch.float32),
        use_orig_params=True,
        backward_prefetch="BACKWARD_PRE",
        limit_all_gathers=True,
    )
    assert cfg == {
        "type": "MMFullyShardedDataParallel",
        "reshard_after_forward": False,
        "offload_params": True,
        "mixed_precision": {"param_dtype": "bf16", "reduce_dtype": torch.float32},
    }
    with pytest.warns(UserWarning, match="buffer_dtype"):
        kept = _cfg(mixed_precision=MixedPrecision(torch.bfloat16, buffer_dtype=torch.bfloat16))
    assert kept["mixed_precision"] == {"param_dtype": torch.bfloat16, "reduce_dtype": None}


@pytest.mark.parametrize(
    ("model_wrapper", "error", "match"),
    [
        (dict(sharding_strategy="NO_SHARD"), ConfigError, "DDPStrategy"),
        (dict(sharding_strategy="HYBRID_SHARD"), ConfigError, "device_mesh"),
        (dict(auto_wrap_policy=lambda *a, **k: True), ConfigError, "wrap_modules"),
        (dict(param_init_fn=lambda m: None), ConfigError, "no FSDP2 counterpart"),
        (dict(sharding_stratgy="FULL_SHARD"), TypeError, "Did you mean 'sharding_strategy'"),
    ],
)
def test_options_without_an_fsdp2_meaning_are_refused_at_once(model_wrapper, error, match) -> None:
    with pytest.raises(error, match=match):
        FSDPStrategy(model_wrapper=model_wrapper)


def test_strategy_options_are_checked_as_mmengine_does() -> None:
    with pytest.raises(TypeError, match="skip_init_weights"):
        FSDPStrategy(skip_init_weights="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="state dict type"):
        FSDPStrategy(state_dict_cfg="sharded_please")
    assert FSDPStrategy().state_dict_type == "local"  # MMEngine's default
    assert FSDPStrategy(state_dict_cfg=dict(state_dict_type="FULL_STATE_DICT")).state_dict_type == (
        "full"
    )
    for bad in (
        dict(state_dict_type=[]),
        dict(state_dict_type="FULL_STATE_DICT", state_dict_config=[]),
        dict(state_dict_type="FULL_STATE_DICT", optim_state_dict_config=[]),
    ):  # MMEngine's TypeErrors, each naming the option
        with pytest.raises(TypeError, match=next(k for k in bad if bad[k] == [])):
            FSDPStrategy(state_dict_cfg=bad)
    from torch.distributed.fsdp import FullStateDictConfig

    full = dict(state_dict_type="FULL_STATE_DICT", state_dict_config=FullStateDictConfig())
    assert FSDPStrategy(state_dict_cfg=full).state_dict_type == "full"
    with pytest.raises(ConfigError, match="activation_checkpointing=\\['backbone"):
        FSDPStrategy(activation_checkpointing=dict(check_fn="my_check"))


def test_a_wrapper_of_ones_own_gets_its_options_as_given() -> None:
    built = STRATEGIES.build(dict(type="FSDPStrategy", model_wrapper=dict(type="MyFSDP", foo=1)))
    assert built.model_wrapper_cfg() == {"type": "MyFSDP", "foo": 1}


def test_a_single_layer_class_or_name_is_one_unit_not_its_letters() -> None:
    block = nn.TransformerEncoderLayer
    by_name = dict(type="transformer_auto_wrap_policy", transformer_layer_cls="Block")
    assert _cfg(auto_wrap_policy=by_name)["wrap_modules"] == ["Block"]
    by_class = functools.partial(transformer_auto_wrap_policy, transformer_layer_cls=block)
    assert _cfg(auto_wrap_policy=by_class)["wrap_modules"] == [block]
    as_dict = dict(type="ModuleWrapPolicy", module_classes="Block")
    assert _cfg(auto_wrap_policy=as_dict)["wrap_modules"] == ["Block"]


def test_cpu_offload_off_stays_off_and_a_value_that_is_no_switch_is_refused() -> None:
    from torch.distributed.fsdp import CPUOffload

    assert _cfg(cpu_offload=dict(offload_params=False))["offload_params"] is False
    assert _cfg(cpu_offload=dict(offload_params=True))["offload_params"] is True
    assert _cfg(cpu_offload=CPUOffload(offload_params=False))["offload_params"] is False
    assert _cfg(cpu_offload=False)["offload_params"] is False
    for bad in ("no", 1, dict(offload_params=True, pin_memory=True)):
        with pytest.raises(TypeError, match="cpu_offload.*True / False"):  # MMEngine: TypeError
            _cfg(cpu_offload=bad)
