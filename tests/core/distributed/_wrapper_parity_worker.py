"""Run under torchrun (2 ranks, gloo): the model wrappers' train steps, next to MMEngine 0.10.7.

The same models, data and optimizers ran under MMEngine's Runner (its
``MMDistributedDataParallel`` / ``MMSeparateDistributedDataParallel``); the
test pins MMEngine's per-iteration losses. Each rank writes ``<out>/rank<R>.json``.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import torch
import torch.distributed as td
import torch.nn.functional as F
from torch import nn

from runner_core.distributed.model_wrappers import wrap_model
from runner_core.logging import RunLogger
from runner_core.model import BaseModel, MMDistributedDataParallel, is_model_wrapper
from runner_core.optim import OptimWrapper, OptimWrapperDict
from runner_core.registry import MODEL_WRAPPERS

ITERS = 4


def batches(rank: int) -> list[dict[str, torch.Tensor]]:
    """What ``DefaultSampler(shuffle=False)`` gives a rank of 32 samples, 4 a batch."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(32, 4, generator=g) * 3 + 1
    y = (x[:, 0] > 1).long()
    ids = list(range(rank, 32, 2))
    return [{"inputs": x[ids[i : i + 4]], "labels": y[ids[i : i + 4]]} for i in range(0, 16, 4)]


class Net(BaseModel):
    def __init__(self, unused: bool = False) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 2)
        self.extra = nn.Linear(4, 2) if unused else None

    def forward(self, inputs, labels=None, mode="tensor"):
        out = self.lin(inputs)
        if mode == "loss":
            return {"loss": F.cross_entropy(out, labels)}
        return list(out)


class OwnStep(Net):
    """A model with its own train_step (MMEngine's DDP would ignore it)."""

    def train_step(self, data, optim_wrapper):
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self(**data, mode="loss")
        loss, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(loss)
        return log_vars


class GAN(BaseModel):
    """Two children, each updated by its own optimizer: MMSeparateDistributedDataParallel's job."""

    def __init__(self) -> None:
        super().__init__()
        self.gen = nn.Sequential(nn.Linear(4, 4))
        self.disc = nn.Sequential(nn.Linear(4, 1))

    def forward(self, inputs, labels=None, mode="tensor"):
        return list(self.gen(inputs))

    def train_step(self, data, optim_wrapper):
        x = self.data_preprocessor(data, True)["inputs"]
        with optim_wrapper["disc"].optim_context(self.disc):
            ld = self.disc(x).pow(2).mean() + (1 - self.disc(self.gen(x).detach())).pow(2).mean()
        optim_wrapper["disc"].update_params(ld)
        with optim_wrapper["gen"].optim_context(self.gen):
            lg = (1 - self.disc(self.gen(x))).pow(2).mean()
        optim_wrapper["gen"].update_params(lg)
        return {"loss": ld.detach() + lg.detach(), "loss_d": ld.detach(), "loss_g": lg.detach()}


class Apart(BaseModel):
    """Two children that never meet: each forward runs inside its own optim_context."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 1)
        self.b = nn.Linear(4, 1)

    def forward(self, inputs, labels=None, mode="tensor"):
        return list(self.a(inputs) + self.b(inputs))

    def train_step(self, data, optim_wrapper):
        x = self.data_preprocessor(data, True)["inputs"]
        for name in ("a", "b"):
            with optim_wrapper[name].optim_context(getattr(self, name)):
                loss = getattr(self, name)(x).pow(2).mean()
            optim_wrapper[name].update_params(loss)
        return {"loss": loss.detach()}


@MODEL_WRAPPERS.register_module(force=True)
class StepCountingDDP(MMDistributedDataParallel):
    """MMEngine's documented pattern: a registered wrapper overriding train_step."""

    calls = 0

    def train_step(self, data, optim_wrapper):
        StepCountingDDP.calls += 1
        with optim_wrapper.optim_context(self):
            data = self.module.data_preprocessor(data, training=True)
            losses = self._run_forward(data, mode="loss")
        loss, log_vars = self.module.parse_losses(losses)
        optim_wrapper.update_params(loss)
        return log_vars


def wrapped(model: nn.Module, cfg: dict[str, Any]) -> Any:
    """``model`` wrapped as the Runner does it, for ``cfg`` (``model_wrapper_cfg``)."""
    return wrap_model(model, cfg, "cpu")


def sgd(params: Any, lr: float = 0.1, momentum: float = 0.9) -> torch.optim.SGD:
    return torch.optim.SGD(params, lr=lr, momentum=momentum)


def train(wrapper: Any, optim: Any, rank: int) -> list[dict[str, float]]:
    optim.initialize_count_status(wrapper.module, 0, ITERS)
    wrapper.train()
    return [{k: float(v) for k, v in wrapper.train_step(b, optim).items()} for b in batches(rank)]


def errors_logged(run: Any) -> list[str]:
    """The ERROR lines the run's logger gets while ``run()`` runs."""
    seen: list[str] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                seen.append(record.getMessage())

    logger = RunLogger.get_current_instance()
    handler = Grab()
    logger.addHandler(handler)
    try:
        run()
    finally:
        logger.removeHandler(handler)
    return seen


def own_wrapper(rank: int, res: dict[str, Any]) -> None:
    """A registered wrapper of one's own, named in model_wrapper_cfg, with accumulation."""
    torch.manual_seed(0)
    mine = wrapped(Net(), {"type": "StepCountingDDP"})
    ow = OptimWrapper(sgd(mine.module.parameters()), accumulative_counts=2)
    res["own_wrapper"] = [type(mine).__name__, is_model_wrapper(mine), type(mine.module).__name__]
    res["own_wrapper_losses"] = [d["loss"] for d in train(mine, ow, rank)]
    res["own_wrapper_calls"] = StepCountingDDP.calls


def own_step(rank: int, res: dict[str, Any]) -> None:
    """A model's own train_step under the default wrapper: local gradients while accumulating."""
    torch.manual_seed(0)
    ddp = wrapped(OwnStep(), {"type": "MMDistributedDataParallel"})
    ow = OptimWrapper(sgd(ddp.module.parameters()), accumulative_counts=2)
    ow.initialize_count_status(ddp.module, 0, ITERS)
    res["own_step_losses"], res["own_step_grads"] = [], []
    for b in batches(rank):
        res["own_step_losses"].append(float(ddp.train_step(b, ow)["loss"]))
        grad = ddp.module.lin.weight.grad
        res["own_step_grads"].append(None if grad is None else grad.tolist())


def separate(rank: int, res: dict[str, Any]) -> None:
    """MMSeparateDistributedDataParallel: a GAN, then two children accumulating apart."""
    torch.manual_seed(0)
    gan = GAN()
    sep = wrapped(gan, {"type": "MMSeparateDistributedDataParallel"})
    owd = OptimWrapperDict(
        gen=OptimWrapper(sgd(gan.gen.parameters(), 0.01, 0)),
        disc=OptimWrapper(sgd(gan.disc.parameters(), 0.01, 0)),
    )
    res["separate"] = [type(sep).__name__, is_model_wrapper(sep), type(sep.module.gen).__name__]
    res["separate_losses"] = train(sep, owd, rank)
    res["separate_keys"] = sorted(gan.state_dict())
    res["separate_val"] = len(sep.val_step(batches(rank)[0]))
    torch.manual_seed(0)
    apart = wrapped(Apart(), {"type": "MMSeparateDistributedDataParallel"})
    owd = OptimWrapperDict(
        a=OptimWrapper(sgd(apart.module.a.parameters()), accumulative_counts=2),
        b=OptimWrapper(sgd(apart.module.b.parameters()), accumulative_counts=2),
    )
    owd.initialize_count_status(apart.module, 0, ITERS)
    res["apart_grads"] = []
    for b in batches(rank)[:2]:
        apart.train_step(b, owd)
        grad = apart.module.a.weight.grad
        res["apart_grads"].append(None if grad is None else grad.tolist())
    res["apart_attrs_left"] = sorted(k for k in ("forward", "no_sync") if k in vars(apart.module.a))


def detect(rank: int, res: dict[str, Any]) -> None:
    """detect_anomalous_params: logged every iteration, training goes on (MMEngine's way)."""
    for name, model in (("detect_unused", Net(unused=True)), ("detect_clean", Net())):
        cfg = {"type": "MMDistributedDataParallel", "detect_anomalous_params": True}
        ddp = wrapped(model, {**cfg, "find_unused_parameters": True})
        ow = OptimWrapper(sgd(ddp.module.parameters()))
        res[name] = errors_logged(lambda w=ddp, o=ow: train(w, o, rank))
    own = wrapped(
        type("OwnUnused", (OwnStep,), {})(unused=True),
        {"type": "MMDistributedDataParallel", "find_unused_parameters": True},
    )
    own.detect_anomalous_params = True
    ow = OptimWrapper(sgd(own.module.parameters()))
    res["detect_own_step"] = errors_logged(lambda: own.train_step(batches(rank)[0], ow))


def prewrapped(out: Path, res: dict[str, Any]) -> None:
    """A model passed to the Runner wrapped already is kept as it is."""
    from runner_core.runner import Runner

    torch.manual_seed(0)
    pre = MMDistributedDataParallel(Net())
    runner = Runner(
        model=pre,
        work_dir=str(out / "work"),
        launcher="pytorch",
        env_cfg={"dist_cfg": {"backend": "gloo"}},
        log_level="WARNING",
    )
    res["prewrapped"] = [runner.model is pre, type(runner.unwrapped_model).__name__]


def unused_error(rank: int, res: dict[str, Any]) -> None:
    """An unused parameter without find_unused_parameters: the error names it and the key."""
    torch.manual_seed(0)
    bad = wrapped(Net(unused=True), {"type": "MMDistributedDataParallel"})
    try:
        train(bad, OptimWrapper(sgd(bad.module.parameters())), rank)
    except RuntimeError as exc:
        res["unused_error"] = [type(exc).__name__, str(exc)]


def main(out: Path) -> None:
    td.init_process_group("gloo")
    rank = td.get_rank()
    res: dict[str, Any] = {}
    checks = (
        lambda: own_wrapper(rank, res),
        lambda: own_step(rank, res),
        lambda: separate(rank, res),
        lambda: detect(rank, res),
        lambda: prewrapped(out, res),
        lambda: unused_error(rank, res),  # last: it leaves a broken DDP behind
    )
    for check in checks:
        try:
            check()
        except Exception as exc:  # one check's failure is its test's, not every test's
            res.setdefault("failed", []).append(f"{type(exc).__name__}: {exc}")
    (out / f"rank{rank}.json").write_text(json.dumps(res))
    td.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
