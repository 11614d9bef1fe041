"""``FlexibleRunner``: MMEngine's strategy-driven Runner, mapped onto our Runner."""

from __future__ import annotations

import inspect
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import torch
from digits import digits_cfg
from torch import nn
from torch.utils.data import TensorDataset
from torchrun_helpers import torchrun_args, worker_env

from runner_core import Config, Runner
from runner_core.errors import ConfigError, RegistryError
from runner_core.model import ModuleAdapter
from runner_core.runner import FlexibleRunner
from runner_core.strategies import (
    DDPStrategy,
    FSDPStrategy,
    SingleDeviceStrategy,
    StrategyNotSupportedError,
)

WORKER = Path(__file__).with_name("_flexible_worker.py")


def _digits(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return digits_cfg(
        str(tmp_path),
        by_epoch=False,
        train_cfg=dict(by_epoch=False, max_iters=10, val_interval=100),
        default_hooks=dict(checkpoint=dict(by_epoch=False, interval=5)),
        log_level="WARNING",
        **overrides,
    )


def _state(runner: Runner) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in runner.unwrapped_model.state_dict().items()}


def test_a_config_with_runner_type_trains_validates_and_saves_as_the_runner(tmp_path) -> None:
    cfg = _digits(
        tmp_path / "flex", runner_type="FlexibleRunner", strategy=dict(type="SingleDeviceStrategy")
    )
    runner = Runner.from_cfg(Config(cfg))
    assert type(runner) is FlexibleRunner
    assert isinstance(runner.strategy, SingleDeviceStrategy) and runner.launcher == "none"
    runner.train()
    assert runner.iter == 10
    assert sorted(p.name for p in runner.work_dir.glob("*.pth")) == ["iter_10.pth", "iter_5.pth"]
    metrics = runner.val()
    # the same numbers as the Runner on the same config: the FlexibleRunner is the Runner
    plain = Runner.from_cfg(Config(_digits(tmp_path / "plain")))
    plain.train()
    assert metrics == plain.val()
    flexible, reference = _state(runner), _state(plain)
    assert all(torch.equal(flexible[k], reference[k]) for k in reference)


def _data(n: int = 32) -> dict[str, Any]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    return dict(dataset=TensorDataset(x, (x[:, 0] > 0).long()), batch_size=4, shuffle=True)


def _from_arguments(work_dir: Path, max_iters: int, **kwargs: Any) -> FlexibleRunner:
    torch.manual_seed(0)
    return FlexibleRunner(
        ModuleAdapter(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))),
        work_dir=str(work_dir),
        train_dataloader=_data(),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
        param_scheduler=dict(type="MultiStepLR", milestones=[6], by_epoch=False),
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", by_epoch=False, interval=4)),
        randomness=dict(seed=1),
        log_level="WARNING",
        **kwargs,
    )


def test_from_arguments_without_strategy_trains_alone_and_resumes_exactly(tmp_path) -> None:
    whole = _from_arguments(tmp_path / "whole", 8)
    assert isinstance(whole.strategy, SingleDeviceStrategy)  # inferred: nothing launched us
    assert not whole.distributed and type(whole.model).__name__ == "ModuleAdapter"
    inits: list[int] = []
    whole.unwrapped_model.init_weights = lambda: inits.append(1)
    whole.train()
    assert inits == [1]  # as the Runner, before training
    resumed = _from_arguments(tmp_path / "part", 8, resume=str(tmp_path / "whole" / "iter_4.pth"))
    resumed.train()
    assert resumed.iter == 8
    a, b = _state(whole), _state(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.optim_wrapper.param_groups[0]["lr"] == pytest.approx(0.01)


def test_signature_is_mmengines_flexible_runner() -> None:
    params = list(inspect.signature(FlexibleRunner.__init__).parameters.values())[1:]
    assert params[0].name == "model" and params[0].kind is params[0].POSITIONAL_OR_KEYWORD
    assert all(p.kind is p.KEYWORD_ONLY for p in params[1:])
    names = [p.name for p in params]
    assert {"strategy", "compile", "cfg", "launcher", "env_cfg"} <= set(names)
    assert "model_wrapper_cfg" not in names  # MMEngine moved it into the strategy
    assert (FlexibleRunner.__init__.__kwdefaults__ or {})["launcher"] is None  # inferred


@pytest.mark.parametrize(
    ("name", "package"), [("DeepSpeedStrategy", "deepspeed"), ("ColossalAIStrategy", "colossalai")]
)
def test_deepspeed_and_colossalai_are_refused_naming_the_package(tmp_path, name, package) -> None:
    with pytest.raises(StrategyNotSupportedError) as info:
        _from_arguments(tmp_path, 4, strategy=dict(type=name, config=dict()))
    # what MMEngine raises without the package: AssertionError / ModuleNotFoundError
    assert isinstance(info.value, AssertionError) and isinstance(info.value, ModuleNotFoundError)
    assert info.value.name == package
    assert f"'{package}'" in str(info.value) and "not support" in str(info.value)


def test_a_misspelled_strategy_type_says_did_you_mean(tmp_path) -> None:
    with pytest.raises(RegistryError, match="Did you mean one of 'DDPStrategy'"):
        _from_arguments(tmp_path, 4, strategy=dict(type="DDPStratgy"))


def test_resume_path_with_load_from_and_model_wrapper_cfg_are_config_errors(tmp_path) -> None:
    ckpt = tmp_path / "w.pth"
    torch.save({"state_dict": {}}, ckpt)
    with pytest.raises(ValueError, match="load_from"):  # MMEngine's ValueError
        _from_arguments(tmp_path, 4, resume=str(ckpt), load_from=str(ckpt))
    cfg = _digits(tmp_path, runner_type="FlexibleRunner", model_wrapper_cfg=dict(type="DDP"))
    with pytest.raises(ConfigError, match="strategy=dict\\(type='DDPStrategy', model_wrapper"):
        Runner.from_cfg(Config(cfg))


def test_compile_options_are_checked_when_built(tmp_path) -> None:
    with pytest.raises(TypeError, match="bool or a dict"):
        _from_arguments(tmp_path, 4, compile="yes")
    with pytest.raises(ConfigError, match="train_step only"):
        _from_arguments(tmp_path, 4, compile=dict(target="forward"))
    runner = _from_arguments(tmp_path, 4, compile=dict(target="train_step", backend="eager"))
    assert runner.cfg["compile"] == {"backend": "eager"}  # what the Runner's train() compiles


def test_a_subclass_taking_kwargs_reads_the_flexible_runners_keys(tmp_path) -> None:
    class MyFlexibleRunner(FlexibleRunner):  # MMEngine-style: everything to the base
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

    cfg = _digits(tmp_path, compile=dict(target="train_step", backend="eager"))
    runner = MyFlexibleRunner.from_cfg(cfg)
    assert runner.model is not None  # the config's model reached the base's __init__
    assert runner.cfg["compile"] == {"backend": "eager"}


def test_a_strategy_object_and_its_options_win_over_the_runners(tmp_path) -> None:
    strategy = DDPStrategy(
        model_wrapper=dict(find_unused_parameters=True),
        experiment_name="from_strategy",
        env_kwargs=dict(randomness=dict(seed=7)),
    )
    runner = _from_arguments(tmp_path, 4, strategy=strategy, experiment_name="from_runner")
    assert runner.strategy is strategy
    assert runner.experiment_name == "from_strategy" and runner.seed == 7
    assert runner.model_wrapper_cfg == {"find_unused_parameters": True}
    assert not runner.distributed  # DDP without a launcher: one process, no wrapper
    with pytest.raises(TypeError, match="Did you mean 'launcher'"):
        DDPStrategy(env_kwargs=dict(lancher="pytorch"))
    with pytest.raises(ConfigError, match="sync_bn must be 'torch'"):  # checked in every run
        _from_arguments(tmp_path, 4, strategy=dict(type="DDPStrategy", sync_bn="troch"))


def test_fsdp_strategy_builds_in_one_process_and_maps_onto_the_fsdp2_wrapper(tmp_path) -> None:
    runner = _from_arguments(
        tmp_path,
        4,
        strategy=dict(
            type="FSDPStrategy",
            model_wrapper=dict(
                auto_wrap_policy=dict(
                    type="torch.distributed.fsdp.wrap.size_based_auto_wrap_policy",
                    min_num_params=1e7,
                ),
                sharding_strategy="SHARD_GRAD_OP",
                use_orig_params=True,
            ),
            state_dict_cfg="full",
            skip_init_weights=True,
        ),
    )
    assert isinstance(runner.strategy, FSDPStrategy) and isinstance(runner.strategy, DDPStrategy)
    assert runner.model_wrapper_cfg == {
        "type": "MMFullyShardedDataParallel",
        "min_num_params": 10_000_000,
        "reshard_after_forward": False,
    }
    # the run folder's config holds the FlexibleRunner's arguments, not the Runner's
    assert runner.arguments_cfg["strategy"]["type"] == "FSDPStrategy"
    assert "model_wrapper_cfg" not in runner.arguments_cfg
    inits: list[int] = []
    runner.unwrapped_model.init_weights = lambda: inits.append(1)
    runner.train()  # one process: the model is not wrapped
    assert runner.iter == 4 and inits == []  # skip_init_weights=True


def _torchrun(tmp: Path, strategy: dict[str, Any]) -> list[dict[str, Any]]:
    out = tmp / "out"
    out.mkdir(parents=True)
    opts = {"work_dir": str(tmp / "work"), "out": str(out), "strategy": strategy}
    proc = subprocess.run(
        [*torchrun_args(2), str(WORKER), json.dumps(opts)],
        capture_output=True,
        text=True,
        timeout=120,
        env=worker_env(),
    )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(2)]


@pytest.fixture(scope="module")
def ddp_ranks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("flex_ddp")
    return tmp, _torchrun(tmp, {"type": "DDPStrategy"})


@pytest.mark.slow
def test_ddp_strategy_on_two_gloo_ranks_trains_the_same_weights(ddp_ranks) -> None:
    _, (r0, r1) = ddp_ranks
    for r in (r0, r1):  # the launcher was inferred from torchrun's environment
        assert (r["strategy"], r["wrapper"], r["world_size"], r["iter"]) == (
            "DDPStrategy",
            "DistributedDataParallel",
            2,
            8,
        )
    assert all(torch.equal(r0["params"][k], r1["params"][k]) for k in r0["params"])


@pytest.mark.slow
def test_fsdp_strategy_on_two_gloo_ranks_shards_and_matches_ddp(tmp_path, ddp_ranks) -> None:
    r0, r1 = _torchrun(tmp_path, {"type": "FSDPStrategy"})
    assert (r0["strategy"], r0["wrapper"]) == ("FSDPStrategy", "MMFullyShardedDataParallel")
    for key, shard in r0["params"].items():  # each rank holds its part of every parameter
        whole = ddp_ranks[1][0]["params"][key]
        assert shard.shape[0] + r1["params"][key].shape[0] == whole.shape[0]
    # the checkpoint is whole (state_dict_cfg='local' notwithstanding) and equals DDP's
    fsdp = torch.load(tmp_path / "work" / "iter_8.pth", weights_only=True)["state_dict"]
    ddp = torch.load(ddp_ranks[0] / "work" / "iter_8.pth", weights_only=True)["state_dict"]
    assert fsdp.keys() == ddp.keys()
    for key in ddp:
        torch.testing.assert_close(fsdp[key], ddp[key], atol=1e-6, rtol=0)
