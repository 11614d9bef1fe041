"""The same small model and training clock in each framework the benchmarks compare.

W1, the flat-cost sections and the start-up section all time an MLP trained
with cross-entropy and SGD, from a clock at training start to one at its end.
Kept here once so the variants cannot drift apart; every import of a
framework happens inside the function that needs it (a peer may be missing).
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from typing import Any

Clock = Callable[[], float]
#: the optimizer every variant uses
SGD = {"type": "SGD", "lr": 0.01, "momentum": 0.9}


def ours_clocks(
    marks: MutableMapping[str, float],
    clock: Clock = time.perf_counter,
    start: str = "before_train",
    stop: str = "after_train",
) -> list[Any]:
    """Two of our hooks writing ``marks['start']`` / ``marks['stop']``.

    ``start`` and ``stop`` name hook points that take only the runner
    (``before_train``, ``before_train_epoch``, ...).
    """
    from runner_core.hooks import Hook

    def stamp(key: str) -> Callable[..., None]:
        def point(self: Any, runner: Any = None) -> None:
            marks[key] = clock()

        return point

    start_cls = type("StartClock", (Hook,), {"priority": "HIGHEST", start: stamp("start")})
    stop_cls = type("StopClock", (Hook,), {"priority": "LOWEST", stop: stamp("stop")})
    return [start_cls(), stop_cls()]


def mmengine_clocks(
    marks: MutableMapping[str, float], clock: Clock = time.perf_counter
) -> list[Any]:
    """MMEngine hooks writing ``marks['start']`` at before_train, ``['stop']`` at after_train."""
    from mmengine.hooks import Hook

    class StartClock(Hook):
        priority = "HIGHEST"

        def before_train(self, runner: Any) -> None:
            marks["start"] = clock()

    class StopClock(Hook):
        priority = "LOWEST"

        def after_train(self, runner: Any) -> None:
            marks["stop"] = clock()

    return [StartClock(), StopClock()]


def mmengine_model(net: Any) -> Any:
    """``net`` as an MMEngine BaseModel: cross-entropy loss; in predict mode one
    ``{'pred_score', 'gt_label'}`` record per sample, as mmpretrain's ClsHead.predict."""
    import torch.nn.functional as F
    from mmengine.model import BaseModel

    class MLP(BaseModel):
        def __init__(self, net: Any) -> None:
            super().__init__()
            self.net = net

        def forward(self, inputs: Any, targets: Any = None, mode: str = "tensor") -> Any:
            out = self.net(inputs)
            if mode == "loss":
                return {"loss": F.cross_entropy(out, targets)}
            if mode == "predict":
                scores = out.softmax(dim=1)
                return [{"pred_score": s, "gt_label": t.view(1)} for s, t in zip(scores, targets)]
            return out

    return MLP(net)


def lightning_model(net: Any) -> Any:
    """``net`` as a LightningModule: cross-entropy, logged, SGD like the others."""
    import lightning as L
    import torch
    import torch.nn.functional as F

    class MLP(L.LightningModule):
        def __init__(self, net: Any) -> None:
            super().__init__()
            self.net = net

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            inputs, targets = batch
            loss = F.cross_entropy(self.net(inputs), targets)
            self.log("loss", loss)
            return loss

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=SGD["lr"], momentum=SGD["momentum"])

    return MLP(net)


def extra_hooks(
    hook_base: type,
    kind: str,
    count: int,
    tail: tuple[MutableMapping[str, float], Clock, int] | None = None,
) -> list[Any]:
    """Hooks on ``hook_base`` (ours or MMEngine's ``Hook``) added to a run.

    ``count`` fresh ``noop`` hooks (an empty ``after_train_iter``) or ``idle``
    ones (only ``before_train``, a point that runs once); with ``tail =
    (marks, clock, at)`` first a hook writing ``marks['tail']`` after
    iteration ``at`` (0-based), to time a run's last iterations.
    """

    class NoopIterHook(hook_base):
        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            return None

    class IdleHook(hook_base):
        def before_train(self, runner: Any) -> None:
            return None

    hooks: list[Any] = []
    if tail is not None:
        marks, clock, at = tail

        class TailClock(hook_base):
            def after_train_iter(
                self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
            ) -> None:
                if batch_idx == at:
                    marks["tail"] = clock()

        hooks.append(TailClock())
    cls = NoopIterHook if kind == "noop" else IdleHook
    return hooks + [cls() for _ in range(count)]
