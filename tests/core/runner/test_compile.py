"""``compile=``: what the Runner compiles, with which options, and what a bad option says.

The compiled runs use ``backend='eager'`` (TorchDynamo traces, nothing is code-generated):
the inductor's C++ build of a kernel takes tens of seconds on a CPU.
"""

from __future__ import annotations

import functools
import inspect
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from runner_core import Runner
from runner_core.errors import ConfigError
from runner_core.hooks import Hook
from runner_core.model import BaseModel


class _MLP(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))

    def forward(self, inputs: torch.Tensor, target: Any = None, mode: str = "tensor") -> Any:
        out = self.net(inputs).squeeze(-1)
        if mode == "loss":
            return {"loss_a": (out - target).pow(2).mean(), "loss_b": out.abs().mean()}
        return out


class _Losses(Hook):
    def __init__(self) -> None:
        self.losses: list[float] = []

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        self.losses.append(float(outputs["loss"]))


def _runner(tmp_path: Path, compile_value: Any, **extra: Any) -> tuple[Runner, _Losses]:
    torch.manual_seed(0)
    x = torch.randn(16, 4, generator=torch.Generator().manual_seed(0))
    data = [{"inputs": x[i], "target": x[i].sum()} for i in range(16)]
    losses = _Losses()
    kwargs: dict[str, Any] = dict(
        model=_MLP(),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=data, batch_size=4, sampler=dict(type="DefaultSampler", shuffle=False)
        ),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        custom_hooks=[losses],
        log_level="WARNING",
        cfg=dict(compile=compile_value),
    )
    kwargs.update(extra)
    return Runner(**kwargs), losses


def test_second_train_compiles_the_method_again_not_its_compiled_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled_from: list[Any] = []

    def fake_compile(fn: Any, **options: Any) -> Any:
        compiled_from.append(fn)
        return functools.wraps(fn)(lambda *args, **kwargs: fn(*args, **kwargs))

    monkeypatch.setattr(torch, "compile", fake_compile)
    runner, _ = _runner(tmp_path, dict(backend="eager"))
    runner.train()
    runner.train()
    assert len(compiled_from) == 2
    # each train() compiles the model's own train_step: no compiled step inside another
    assert all(inspect.ismethod(fn) and fn.__self__ is runner.model for fn in compiled_from)


def test_options_torch_compile_refuses_fail_at_build_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="compile gives both mode='max-autotune' and options"):
        Runner.from_cfg(
            dict(
                model=dict(
                    type="ModuleAdapter", module=dict(type="Linear", in_features=1, out_features=1)
                ),
                work_dir=str(tmp_path),
                compile=dict(mode="max-autotune", options={"max_autotune": True}),
            )
        )
    with pytest.raises(AssertionError, match=r"compile.dynamic='yes'"):
        Runner.from_cfg(
            dict(
                model=dict(
                    type="ModuleAdapter", module=dict(type="Linear", in_features=1, out_features=1)
                ),
                work_dir=str(tmp_path),
                compile=dict(dynamic="yes"),
            )
        )


_BAD_COMPILE = [
    (dict(dynamic="yes"), AssertionError, r"compile.dynamic='yes'"),
    (dict(mode="max-autotune", options={"a": 1}), RuntimeError, "compile gives both mode="),
    (dict(bakend="eager"), TypeError, r"unknown option\(s\) \['bakend'\].*'backend'"),
    (dict(target="forward"), TypeError, "target is FlexibleRunner's key"),
    ("yes", AssertionError, "compile must be True, False or a dict"),
]


@pytest.mark.parametrize(("value", "kind", "message"), _BAD_COMPILE)
def test_a_bad_compile_fails_when_the_runner_is_built_either_way(
    tmp_path: Path, value: Any, kind: type, message: str
) -> None:
    """Runner(..., cfg=dict(compile=...)) refuses what Runner.from_cfg refuses, with the
    same error, before the run's folder is made (MMEngine: only when train() compiles)."""
    with pytest.raises(kind, match=message) as built:
        _runner(tmp_path / "direct", value)
    assert not (tmp_path / "direct").exists()
    with pytest.raises(kind, match=message) as from_cfg:
        Runner.from_cfg(
            dict(
                model=dict(
                    type="ModuleAdapter", module=dict(type="Linear", in_features=1, out_features=1)
                ),
                work_dir=str(tmp_path / "from_cfg"),
                compile=value,
            )
        )
    assert type(built.value) is type(from_cfg.value)
    assert str(built.value) == str(from_cfg.value)
    assert isinstance(built.value, ConfigError)


def test_a_good_compile_given_in_cfg_compiles_at_train_not_at_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_compile(fn: Any, **options: Any) -> Any:
        calls.append(options)
        return fn

    monkeypatch.setattr(torch, "compile", fake_compile)
    runner, _ = _runner(tmp_path, dict(backend="eager", dynamic=False))
    assert calls == []
    runner.train()
    assert calls == [dict(backend="eager", dynamic=False)]


def test_an_unknown_backend_names_the_compile_key(tmp_path: Path) -> None:
    runner, _ = _runner(tmp_path, dict(backend="nonexistent"))
    with pytest.raises(
        ConfigError, match=r"compile=dict\(backend='nonexistent'\).*list_backends"
    ) as info:
        runner.train()
    assert isinstance(info.value, RuntimeError)  # torch's InvalidBackend is one


def test_compiled_training_matches_eager_and_its_checkpoint_loads_uncompiled(
    tmp_path: Path,
) -> None:
    eager, eager_losses = _runner(tmp_path / "eager", None)
    eager.train()
    compiled, compiled_losses = _runner(tmp_path / "compiled", dict(backend="eager"))
    compiled.train()
    assert compiled_losses.losses == eager_losses.losses
    saved = torch.load(
        tmp_path / "compiled" / "epoch_1.pth", map_location="cpu", weights_only=False
    )
    assert list(saved["state_dict"]) == list(_MLP().state_dict())  # no _orig_mod. prefix
    reloaded, _ = _runner(
        tmp_path / "reload", None, load_from=str(tmp_path / "compiled" / "epoch_1.pth")
    )
    reloaded.load_or_resume()
    for a, b in zip(reloaded.model.state_dict().values(), compiled.model.state_dict().values()):
        assert torch.equal(a, b)


def test_train_step_forward_and_loss_sum_are_one_graph(tmp_path: Path) -> None:
    graphs: list[torch.fx.GraphModule] = []

    def recording_backend(gm: torch.fx.GraphModule, example_inputs: Any) -> Any:
        graphs.append(gm)
        return gm.forward

    torch._dynamo.reset()
    runner, _ = _runner(tmp_path, dict(backend=recording_backend))
    runner.train()

    def ops(gm: torch.fx.GraphModule) -> set[str]:
        """The graph's operations: functions by name, submodules (older torch) by class."""
        return {
            type(gm.get_submodule(n.target)).__name__.lower()
            if n.op == "call_module"
            else getattr(n.target, "__name__", str(n.target))
            for n in gm.graph.nodes
        }

    assert any({"linear", "add"} <= ops(gm) for gm in graphs), [sorted(ops(gm)) for gm in graphs]


def _train_amp_failing_on_recompile(tmp_path: Path, wrapper_type: Any) -> None:
    """Train 8 compiled AMP iterations; a recompile after the first two raises."""
    if not hasattr(torch.compiler, "set_stance"):
        pytest.skip("torch.compiler.set_stance needs torch >= 2.6")

    class FailOnRecompileAfterWarmup(Hook):
        def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
            if runner.iter == 3:  # iterations 1-2 may specialise and recompile once
                torch.compiler.set_stance("fail_on_recompile")

    torch._dynamo.reset()
    runner, losses = _runner(
        tmp_path,
        dict(backend="eager"),
        optim_wrapper=dict(
            type=wrapper_type, dtype="bfloat16", optimizer=dict(type="SGD", lr=0.01)
        ),
        train_cfg=dict(by_epoch=True, max_epochs=2),
    )
    runner.register_hook(FailOnRecompileAfterWarmup())
    try:
        runner.train()
    finally:
        torch.compiler.set_stance("default")
    assert len(losses.losses) == 8


def test_amp_compiled_step_does_not_recompile_every_iteration(tmp_path: Path) -> None:
    _train_amp_failing_on_recompile(tmp_path, "AmpOptimWrapper")


def test_amp_step_whose_graph_breaks_in_optim_context_does_not_recompile(tmp_path: Path) -> None:
    """torch 2.11 on CUDA breaks the compiled step's graph inside ``optim_context``: the
    autocast returned then enters the rest of the step as an input, which torch.compile
    guards by identity. A new autocast per step recompiled the step every iteration (until
    the recompile limit left it uncompiled); the wrapper hands out one. The break is
    forced here, on the CPU."""
    from runner_core.optim import AmpOptimWrapper

    class BreakingAmp(AmpOptimWrapper):
        def optim_context(self, model: nn.Module) -> Any:
            torch._dynamo.graph_break()
            return super().optim_context(model)

    _train_amp_failing_on_recompile(tmp_path, BreakingAmp)
