"""``SyncBuffersHook``: make BatchNorm statistics (and other buffers) equal on every rank."""

from __future__ import annotations

from runner_core.contract import RunnerAPI
from runner_core.hooks import Hook, Priority


class SyncBuffersHook(Hook):
    """All-reduce (average) the model's floating-point buffers after each train epoch and before validation.

    DDP broadcasts buffers from rank 0 at each forward by default, but with
    ``broadcast_buffers=False`` (or FSDP) each rank's running statistics drift
    apart; validating or saving then depends on the rank. Only acts in a
    distributed run.
    """

    priority: int | str = Priority.NORMAL

    def _sync(self, runner: RunnerAPI) -> None:
        if getattr(runner, "world_size", 1) <= 1:
            return
        import torch.distributed as dist

        world = dist.get_world_size()
        model = getattr(runner.model, "module", runner.model)
        for buffer in model.buffers():
            if buffer.is_floating_point():
                dist.all_reduce(buffer.data, op=dist.ReduceOp.SUM)
                buffer.data.div_(world)

    def after_train_epoch(self, runner: RunnerAPI) -> None:
        self._sync(runner)

    def before_val(self, runner: RunnerAPI) -> None:
        self._sync(runner)

    def __repr__(self) -> str:
        return "SyncBuffersHook()"
