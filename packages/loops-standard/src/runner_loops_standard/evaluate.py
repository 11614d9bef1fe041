"""The validation and test loops.

Extension points, as in MMEngine: ``run_iter(idx, data_batch)`` (one batch:
hook points, the model step, the evaluator) and, ours, ``evaluate()`` (the
metrics of the whole pass). Overriding either keeps ``torch.no_grad`` and
the fast hook path, which live in ``run()``. ``fp16`` autocast covers the
model's step only, in ``run_iter`` (as MMEngine's): data loading, hooks and
metrics run in full precision, and a ``run_iter`` of your own calls the step
inside ``self.autocast()`` to keep it.

A step whose outputs end with a ``BaseDataElement`` holding only ``loss`` (a
dict of name -> tensor or list of tensors), as MMEngine 0.10's loops read it,
has that element taken off (the evaluator and ``after_<mode>_iter`` get the
rest) and each loss averaged over the batches (of every rank, so all ranks
agree) into the metrics, with their sum ``val_loss``/``test_loss``. A
``run_iter`` of your own calls ``self.take_losses(outputs)`` for that.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import torch

from runner_core.contract import RunnerAPI
from runner_core.errors import ConfigError, RunnerError, add_note
from runner_core.logging import HistoryBuffer
from runner_core.loop import BaseLoop
from runner_core.structures import BaseDataElement


class StepLossError(RunnerError, AttributeError):
    """A ``val_step``/``test_step`` loss element that is not a dict of losses (MMEngine fails
    there with an ``AttributeError``)."""


class StepOutputTypeError(RunnerError, TypeError):
    """A ``val_step``/``test_step`` returned one Tensor, and a metric failed to read it as
    per-sample results (MMEngine fails there with a ``TypeError``, in the metric)."""


#: mode -> (hook point before the batch, the model's step, hook point after it)
_ITER_NAMES = {
    "val": ("before_val_iter", "val_step", "after_val_iter"),
    "test": ("before_test_iter", "test_step", "after_test_iter"),
}


class BaseEvalLoop(BaseLoop):
    """What the validation and test loops share; ``mode`` tells them apart.

    Args:
        evaluator: evaluator or metric (or configs) computing the metrics.
        fp16: run under autocast (float16 on CUDA, bfloat16 on CPU).
        dtype: autocast in this dtype instead (``'bfloat16'`` or ``'float16'``);
            giving it turns autocast on. Ours: a model trained with
            ``AmpOptimWrapper(dtype='bfloat16')`` evaluates in bfloat16 on CUDA too,
            as Lightning's ``bf16-mixed`` does, where float16 could overflow.
    """

    def __init__(
        self,
        runner: RunnerAPI,
        dataloader: Any,
        evaluator: Any = None,
        fp16: bool = False,
        dtype: str | torch.dtype | None = None,
    ) -> None:
        if isinstance(dataloader, (list, tuple)):  # several datasets: a loop of one's own
            from runner_core.data.dataloader import refuse_config_like

            refuse_config_like(dataloader, f"{self.mode or 'val'}_dataloader")
        super().__init__(runner, dataloader, evaluator)
        if type(self).run is BaseEvalLoop.run:  # a run() of one's own may stop after N batches
            _refuse_endless_sampler(self.dataloader, self.mode or "val")
        self.dtype = _autocast_dtype(dtype, self.mode or "val")
        self.fp16 = bool(fp16) or self.dtype is not None
        #: the losses the step returned in this pass, by name (MMEngine's ``val_loss``/
        #: ``test_loss`` attribute, under the loop's mode)
        self.losses: dict[str, HistoryBuffer] = {}

    # MMEngine's names of ``losses`` (ValLoop.val_loss, TestLoop.test_loss), settable as there
    @property
    def val_loss(self) -> dict[str, HistoryBuffer]:
        return self.losses

    @val_loss.setter
    def val_loss(self, value: dict[str, HistoryBuffer]) -> None:
        self.losses = value

    test_loss = val_loss

    def run(self) -> dict[str, Any]:
        runner = self.runner
        mode = self.mode
        # when the pass starts, not when the loop is built: a hook may fill the dataset
        # first, and a validation that never comes needs no batches
        _refuse_no_batches(self.dataloader, mode or "val")
        # results a pass stopped by an error or Ctrl-C left (duck-typed evaluators may lack it)
        reset = getattr(self.evaluator, "reset", None)
        if reset is not None:
            reset()
        runner.call_hook(f"before_{mode}")
        runner.call_hook(f"before_{mode}_epoch")
        # read after the hooks: one may wrap the model (PrepareTTAHook). Left in eval mode, as
        # MMEngine leaves it, so predictions with runner.model after val()/test() are
        # deterministic; Runner.run_validation puts training's mode back.
        runner.model.eval()
        self.losses.clear()
        with torch.no_grad():
            for idx, data_batch in enumerate(self.dataloader):
                self.run_iter(idx, data_batch)
        metrics = self.evaluate()
        # every rank, even one without losses: in a multi-process run the means are gathered
        metrics.update(self.loss_metrics())
        runner.call_hook(f"after_{mode}_epoch", metrics=metrics)
        runner.call_hook(f"after_{mode}")
        return metrics

    def run_iter(self, idx: int, data_batch: Any) -> Any:
        """One batch: ``before_<mode>_iter``, the model step (under autocast with
        ``fp16``), the evaluator, ``after_<mode>_iter``; returns the model's outputs."""
        runner = self.runner
        points = runner.hook_points
        before, step, after = _ITER_NAMES[self.mode or "val"]
        getattr(points, before)(runner, idx, data_batch)
        try:
            if self.fp16:  # the step alone: metrics and hooks keep full precision
                with self.autocast():
                    outputs = getattr(runner.model, step)(data_batch)
            else:
                outputs = getattr(runner.model, step)(data_batch)
        except Exception as exc:
            add_note(exc, f"Raised in {step} at {self.mode} batch {idx + 1}.")  # as logged
            raise
        outputs = self.take_losses(outputs)
        if self.evaluator is not None:
            try:
                self.evaluator.process(data_samples=outputs, data_batch=data_batch)
            except TypeError as exc:
                if isinstance(outputs, torch.Tensor):  # the metric's error blamed the metric
                    raise _tensor_output_error(runner, step, outputs, exc) from exc
                raise
        getattr(points, after)(runner, idx, data_batch, outputs)
        return outputs

    def take_losses(self, outputs: Any) -> Any:
        """``outputs`` without a trailing loss element, whose losses go to ``self.losses``.

        The element is a ``BaseDataElement`` whose only field is ``loss``, as
        MMEngine's loops recognise it; anything else is returned unchanged.
        """
        if not isinstance(outputs, (list, tuple)) or not outputs:
            return outputs
        last = outputs[-1]
        if not isinstance(last, BaseDataElement) or last.keys() != ["loss"]:
            return outputs
        if not isinstance(last.loss, Mapping):
            step = f"{self.mode}_step"
            raise StepLossError(
                f"The model's {step} ended its outputs with BaseDataElement(loss=...) holding "
                f"a {type(last.loss).__name__}, not a dict of losses: return "
                "BaseDataElement(loss=dict(loss=value)) (one entry per loss, each a tensor or "
                "a list of tensors)."
            )
        losses = self.losses
        for name, value in last.loss.items():
            history = losses.get(name)
            if history is None:
                history = losses[name] = HistoryBuffer(max_length=1_000_000)
            # tensors are read when the metrics are: no device wait per batch
            for each in value if isinstance(value, (list, tuple)) else (value,):
                history.update(each.detach() if isinstance(each, torch.Tensor) else each)
        return outputs[:-1]

    def loss_metrics(self) -> dict[str, float]:
        """Each loss's mean over the pass's batches, and ``<mode>_loss``: the sum of
        those whose name contains ``loss`` (MMEngine's names); ``{}`` without losses.

        In a multi-process run the mean is over the batches of every rank, so all
        ranks hold the same numbers, as they hold the same evaluator metrics
        (MMEngine keeps each rank's own: rank 0 logged half the data, and hooks
        reading the loss, such as ``save_best``, decided differently on each rank).
        Every rank must call it: one object gather per pass.
        """
        means = {name: float(history.mean()) for name, history in self.losses.items()}
        from runner_core.distributed import all_gather_object, get_world_size

        if get_world_size() > 1:
            means = _mean_over_ranks(
                all_gather_object({n: (means[n] * len(h), len(h)) for n, h in self.losses.items()})
            )
        if not means:
            return {}
        out: dict[str, float] = {}
        total: float = 0
        for name, mean in means.items():
            out[name] = mean
            if "loss" in name:
                total += mean
        out[f"{self.mode}_loss"] = total
        return out

    def evaluate(self) -> dict[str, Any]:
        """The metrics of the pass (``{}`` without an evaluator)."""
        if self.evaluator is None:
            return {}
        dataset = getattr(self.dataloader, "dataset", None)
        size = len(dataset) if dataset is not None and hasattr(dataset, "__len__") else None
        return dict(self.evaluator.evaluate(size))

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """``torch.autocast`` when ``fp16`` is on, else nothing."""
        if not self.fp16:
            return contextlib.nullcontext()
        device = self.runner.device.type
        dtype = self.dtype
        if dtype is None:
            dtype = torch.float16 if device == "cuda" else torch.bfloat16
        return torch.autocast(device_type=device, dtype=dtype)


def _refuse_endless_sampler(loader: Any, mode: str) -> None:
    """An endless sampler (``InfiniteSampler``) never ends the pass of the standard
    ``run()``: the validation (test) would run forever (MMEngine's does)."""
    from runner_core.data import is_endless

    try:
        len(loader)
    except TypeError:
        return  # no len() (an IterableDataset): it ends when its iterator does
    if is_endless(loader):
        raise ConfigError(
            f"{mode}_dataloader.sampler is an InfiniteSampler, whose stream of samples never "
            f"ends, so the {mode} loop's pass over it would never finish. Use "
            f"sampler=dict(type='DefaultSampler', shuffle=False) in {mode}_dataloader (or "
            f"override the loop's run() to stop after the batches you want)."
        )


def _refuse_no_batches(loader: Any, mode: str) -> None:
    """A loader of no batches (``drop_last=True`` with a batch larger than the data) ends
    the pass at once: every metric then reports 0 or nothing, and the run succeeds
    (MMEngine's does, with a warning per metric that blames the metric)."""
    from runner_core.distributed import get_world_size

    try:
        if len(loader) != 0 or get_world_size() > 1:  # a rank's share may be empty
            return
    except TypeError:
        return  # no len(): an iterable dataset, which says when it ends
    dataset = getattr(loader, "dataset", None)
    try:
        size: int | None = len(dataset)  # type: ignore[arg-type]
    except TypeError:
        size = None
    batch = getattr(loader, "batch_size", None)
    if size == 0:
        why, fix = "its dataset is empty", "Check the dataset's data path and filters."
    elif getattr(loader, "drop_last", False) and batch:
        why = f"{size} samples do not fill one batch of batch_size={batch} with drop_last=True"
        fix = f"Set drop_last=False or a smaller batch_size in {mode}_dataloader."
    else:
        why, fix = "its batch sampler gives none", f"Check {mode}_dataloader's batch_sampler."
    raise ConfigError(
        f"{mode}_dataloader yields no batches: {why}, so the {mode} pass would evaluate "
        f"nothing and report empty metrics. {fix}"
    )


# AmpOptimWrapper's names for them, aliases included
_AUTOCAST_DTYPES = {
    "float16": torch.float16,
    "fp16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
}


def _tensor_output_error(
    runner: Any, step: str, outputs: torch.Tensor, exc: TypeError
) -> StepOutputTypeError:
    """The metric's TypeError on a step's Tensor output, said as the model's: the step
    returned one Tensor where the metrics iterate per-sample results."""
    model = type(getattr(runner, "unwrapped_model", runner.model)).__name__
    error = StepOutputTypeError(
        f"The model {model}'s {step} (its forward(mode='predict')) returned a Tensor of "
        f"shape {tuple(outputs.shape)} where a list (or tuple) of per-sample results is "
        f"expected, and a metric failed on it: {type(exc).__name__}: {exc}. Return a list "
        "from forward(mode='predict'), one entry per sample, e.g. [dict(pred=p, gt=g) for "
        "p, g in zip(preds, labels)], or data samples. (A metric written for whole-batch "
        "tensors, as Accuracy reads them, takes a Tensor: then the error is the metric's own.)"
    )
    for note in getattr(exc, "__notes__", ()):  # which metric raised it
        add_note(error, note)
    return error


def _autocast_dtype(dtype: str | torch.dtype | None, mode: str) -> torch.dtype | None:
    """``dtype`` as a torch dtype autocast takes; a ConfigError naming ``<mode>_cfg.dtype``."""
    if dtype is None or dtype in _AUTOCAST_DTYPES.values():
        return dtype  # type: ignore[return-value]
    if isinstance(dtype, str) and dtype in _AUTOCAST_DTYPES:
        return _AUTOCAST_DTYPES[dtype]
    raise ConfigError(
        f"{mode}_cfg.dtype={dtype!r} is not an autocast dtype: use 'bfloat16' or 'float16' "
        "(or leave it out: fp16=True picks float16 on CUDA, bfloat16 on CPU)."
    )


def _mean_over_ranks(per_rank: list[dict[str, tuple[float, int]]]) -> dict[str, float]:
    """Each loss's mean over all ranks' batches, from each rank's (sum, count) by name; the
    names in order of first appearance (a rank may have had no batches)."""
    sums: dict[str, list[float]] = {}
    for losses in per_rank:
        for name, (total, count) in losses.items():
            kept = sums.setdefault(name, [0.0, 0])
            kept[0] += total
            kept[1] += count
    return {name: total / count for name, (total, count) in sums.items() if count}


class ValLoop(BaseEvalLoop):
    """Run the model on the validation data and compute the metrics.

    Args:
        evaluator: evaluator or metric (or configs) computing the metrics.
        fp16: run under autocast (float16 on CUDA, bfloat16 on CPU).
        dtype: autocast in this dtype instead (``'bfloat16'`` or ``'float16'``).
    """

    mode = "val"


class TestLoop(BaseEvalLoop):
    """Run the model on the test data and compute the metrics.

    Args:
        evaluator: evaluator or metric (or configs) computing the metrics.
        fp16: run under autocast (float16 on CUDA, bfloat16 on CPU).
        dtype: autocast in this dtype instead (``'bfloat16'`` or ``'float16'``).
    """

    mode = "test"
