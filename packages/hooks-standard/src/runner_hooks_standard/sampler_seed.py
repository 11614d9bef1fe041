"""``DistSamplerSeedHook``: a different shuffle every epoch, the same on every rank."""

from __future__ import annotations

from runner_core.contract import RunnerAPI
from runner_core.hooks import Hook, Priority


class DistSamplerSeedHook(Hook):
    """Call ``set_epoch(runner.epoch)`` on the training sampler before each epoch.

    Looks at ``dataloader.sampler`` and then ``dataloader.batch_sampler.sampler``;
    samplers without ``set_epoch`` (torch's ``RandomSampler``) are left alone.
    """

    priority: int | str = Priority.NORMAL

    def before_train_epoch(self, runner: RunnerAPI) -> None:
        loader = runner.train_loop.dataloader
        for sampler in (
            getattr(loader, "sampler", None),
            getattr(getattr(loader, "batch_sampler", None), "sampler", None),
        ):
            if sampler is not None and hasattr(sampler, "set_epoch"):
                sampler.set_epoch(runner.epoch)
                return

    def __repr__(self) -> str:
        return "DistSamplerSeedHook()"
