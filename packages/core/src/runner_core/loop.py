"""``BaseLoop``: the contract of training, validation and test loops.

A loop owns one data loader (and optionally an evaluator) and drives the
model through it in ``run()``, calling hook points through
``runner.call_hooks``. The standard loops live in ``runner-loops-standard``;
custom ones are registered in ``LOOPS`` and chosen with ``type=`` in
``train_cfg``/``val_cfg``/``test_cfg``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar


class BaseLoop(ABC):
    """Base class of loops.

    Args:
        runner: the Runner running this loop.
        dataloader: a data loader or its config (built by the runner).
        evaluator: an evaluator, a metric, a list of them, or their configs.

    Class attributes:
        mode: ``'train'``, ``'val'`` or ``'test'``: which model step
            ``run_iter`` runs. A custom loop that does not set it gets the mode
            of the config key it was built from.
        hook_points: extra hook points this loop calls, ``{name: (arg, ...)}``;
            hooks may implement them like the standard ones.
    """

    mode: ClassVar[str | None] = None
    hook_points: ClassVar[Mapping[str, Iterable[str]]] = {}

    def __init__(self, runner: Any, dataloader: Any, evaluator: Any = None) -> None:
        self._runner = runner
        self.dataloader = (
            runner.build_dataloader(dataloader) if isinstance(dataloader, Mapping) else dataloader
        )
        self.evaluator = runner.build_evaluator(evaluator) if evaluator is not None else None

    @property
    def runner(self) -> Any:
        return self._runner

    @abstractmethod
    def run(self) -> Any:
        """Run the loop."""

    def run_iter(self, idx: int, data_batch: Any) -> Any:
        """Run one model step of this loop's mode and feed the evaluator.

        Calls no hooks: the loop calls them around this method.
        """
        model = self._runner.model
        mode = self.mode
        if mode == "train":
            return model.train_step(data_batch, optim_wrapper=self._runner.optim_wrapper)
        outputs = model.test_step(data_batch) if mode == "test" else model.val_step(data_batch)
        if self.evaluator is not None:
            self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        return outputs
