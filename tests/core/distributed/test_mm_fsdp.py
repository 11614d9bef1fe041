"""``MMFullyShardedDataParallel``: MMEngine's FSDP wrapper class, constructed with its FSDP1
arguments, is our FSDP2 wrapper; the config name builds the same class."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.distributed.fsdp import CPUOffload, MixedPrecision, ShardingStrategy
from torch.distributed.fsdp.wrap import ModuleWrapPolicy, size_based_auto_wrap_policy
from torchrun_helpers import torchrun_args, worker_env

from runner_core.distributed.model_wrappers import FullyShardedDataParallel, wrap_model
from runner_core.errors import ConfigError, RunnerError
from runner_core.model import MMFullyShardedDataParallel, is_model_wrapper

WORKER = Path(__file__).with_name("_mm_fsdp_worker.py")


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 4)


@pytest.fixture
def shards(monkeypatch: pytest.MonkeyPatch) -> list[tuple[nn.Module, dict[str, Any]]]:
    """Record ``fully_shard`` calls instead of sharding (no process group in one process)."""
    import torch.distributed.fsdp as fsdp

    calls: list[tuple[nn.Module, dict[str, Any]]] = []
    monkeypatch.setattr(fsdp, "fully_shard", lambda module, **kw: calls.append((module, kw)))
    return calls


def _model() -> nn.Sequential:
    return nn.Sequential(Block(), nn.ReLU(), nn.Linear(4, 2))


def test_mmengine_arguments_are_translated_onto_fully_shard(shards) -> None:
    model = _model()
    wrapper = MMFullyShardedDataParallel(
        model,
        sharding_strategy=ShardingStrategy.SHARD_GRAD_OP,
        cpu_offload=CPUOffload(offload_params=True),
        auto_wrap_policy=ModuleWrapPolicy({Block}),
        backward_prefetch="BACKWARD_PRE",
        mixed_precision=dict(param_dtype="bfloat16", reduce_dtype="float32"),
        use_orig_params=True,
        limit_all_gathers=True,
    )
    assert wrapper.module is model
    assert isinstance(wrapper, FullyShardedDataParallel) and is_model_wrapper(wrapper)
    assert [m for m, _ in shards] == [model[0], model]  # the Block unit, then the root
    kw = shards[-1][1]
    assert kw["reshard_after_forward"] is False
    assert type(kw["offload_policy"]).__name__ == "CPUOffloadPolicy"
    assert (kw["mp_policy"].param_dtype, kw["mp_policy"].reduce_dtype) == (
        torch.bfloat16,
        torch.float32,
    )


def test_defaults_and_policy_forms_mmengine_scripts_use(shards) -> None:
    MMFullyShardedDataParallel(_model())  # MMEngine's defaults: full shard, every unit
    assert shards[-1][1]["reshard_after_forward"] is True
    assert [type(m).__name__ for m, _ in shards] == ["Linear", "Linear", "Sequential"]
    shards.clear()
    policy = functools.partial(size_based_auto_wrap_policy, min_num_params=20)
    MMFullyShardedDataParallel(_model(), auto_wrap_policy=policy, sharding_strategy="FULL_SHARD")
    assert [type(m).__name__ for m, _ in shards] == ["Linear", "Sequential"]  # 4x4+4 >= 20
    shards.clear()
    MMFullyShardedDataParallel(_model(), wrap_modules=["Block"], cpu_offload=False)  # ours too
    assert [type(m).__name__ for m, _ in shards] == ["Block", "Sequential"]


def test_the_config_name_builds_the_class_with_mmengine_arguments(shards) -> None:
    built = wrap_model(
        _model(),
        dict(
            type="MMFullyShardedDataParallel", sharding_strategy="SHARD_GRAD_OP", cpu_offload=True
        ),
        "cpu",
    )
    assert type(built) is MMFullyShardedDataParallel and is_model_wrapper(built)
    assert shards[-1][1]["reshard_after_forward"] is False
    # our own name keeps its own arguments, and FSDP1's stay unknown there
    assert type(wrap_model(_model(), dict(type="FullyShardedDataParallel"), "cpu")) is (
        FullyShardedDataParallel
    )
    with pytest.raises(RunnerError, match="unknown key"):
        wrap_model(
            _model(), dict(type="FullyShardedDataParallel", sharding_strategy="FULL_SHARD"), "cpu"
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(sharding_strategy="NO_SHARD"), ConfigError, "type='MMDistributedDataParallel'"),
        (dict(sharding_strategy="HYBRID_SHARD"), ConfigError, "device_mesh"),
        (dict(auto_wrap_policy=lambda *a, **k: True), ConfigError, "wrap_modules"),
        (dict(param_init_fn=lambda m: None), ConfigError, "param_init_fn .*no FSDP2"),
        (dict(process_group=object()), ConfigError, "process_group .*no FSDP2"),
        (dict(cpu_offload="yes"), TypeError, "MMFullyShardedDataParallel.cpu_offload"),
        (dict(mixed_precision=3), TypeError, "MMFullyShardedDataParallel.mixed_precision"),
        (dict(sharding_stratgy="FULL_SHARD"), TypeError, "Did you mean 'sharding_strategy'"),
    ],
)
def test_arguments_without_an_fsdp2_meaning_are_refused_before_sharding(
    shards, kwargs, error, match
) -> None:
    with pytest.raises(error, match=match):
        MMFullyShardedDataParallel(_model(), **kwargs)
    assert shards == []


def test_dropped_mixed_precision_fields_warn_at_the_callers_line(shards) -> None:
    with pytest.warns(UserWarning, match="buffer_dtype") as record:
        MMFullyShardedDataParallel(
            _model(), mixed_precision=MixedPrecision(torch.bfloat16, buffer_dtype=torch.bfloat16)
        )
    assert record[0].filename == __file__


@pytest.mark.slow
def test_python_class_and_config_route_train_the_same_weights_on_two_ranks(tmp_path) -> None:
    proc = subprocess.run(
        [*torchrun_args(2), str(WORKER), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=worker_env(),
    )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(2))
    for r in (r0, r1):
        for route in ("python", "config"):
            assert (r[route]["type"], r[route]["is_mm"], r[route]["is_wrapper"]) == (
                "MMFullyShardedDataParallel",
                True,
                True,
            )
    py, cfg = r0["python"], r0["config"]
    for key, full in py["full"].items():  # sharded over the ranks, trained identically
        assert py["local_shapes"][key][0] + r1["python"]["local_shapes"][key][0] == full.shape[0]
        assert torch.equal(cfg["full"][key], full), key
        assert torch.equal(r1["python"]["full"][key], full), key
    torch.manual_seed(0)
    initial = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 4)).state_dict()
    assert not torch.equal(py["full"]["body.0.weight"], initial["0.weight"])  # it trained
    assert torch.equal(py["predict"], cfg["predict"])
