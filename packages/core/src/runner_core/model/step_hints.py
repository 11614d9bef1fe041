"""Hints for the errors a training step raises most often with a model written elsewhere.

A loop adds the hint as a note to the exception, which keeps its type and
message (code catching torch's ``RuntimeError`` or Python's ``TypeError`` still
does); only the traceback and runner-cli's report show it. Two causes:

* ``forward`` does not take the batch's keys: ``BaseModel`` calls
  ``forward(**data, mode=...)``, where a model written for Lightning has
  ``forward(self, x)``;
* the loss has no gradient: every parameter is frozen, or the loss was cut
  from the graph.

Only called on a failure: nothing here runs on a step that works.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import torch

from .base_model import run_forward

#: torch's own files: frames between the forward call and the error that are only
#: ``nn.Module.__call__`` (or a wrapper's forward) mean the call itself failed
_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep


def train_step_hint(exc: BaseException, model: Any) -> str | None:
    """A note on why ``exc``, raised by ``model``'s training step, likely happened, or None."""
    if isinstance(exc, TypeError):
        return forward_call_hint(exc)
    if isinstance(exc, RuntimeError) and "does not require grad" in str(exc):
        return _no_grad_hint(model)
    return None


def forward_call_hint(exc: TypeError) -> str | None:
    """How ``BaseModel`` called ``forward``, when ``exc`` is that call refusing its arguments.

    The call is found in the traceback (``run_forward``'s frame), so an error
    raised inside ``forward`` itself gets no hint.
    """
    if "argument" not in str(exc):
        return None
    call: TracebackType | None = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is run_forward.__code__:
            call = tb
        elif call is not None and not tb.tb_frame.f_code.co_filename.startswith(_TORCH_DIR):
            return None  # raised inside the model's own code, not by the call
        tb = tb.tb_next
    if call is None:
        return None
    data, mode = call.tb_frame.f_locals.get("data"), call.tb_frame.f_locals.get("mode")
    step = "train_step" if mode == "loss" else "val_step/test_step"
    if isinstance(data, Mapping):
        keys = ", ".join(f"{key}=..." for key in data)
        how = (
            f"forward(**data, mode={mode!r}), the batch's keys as keyword arguments: "
            f"forward({keys}, mode={mode!r}) here"
        )
        fit = "name its parameters after the batch's keys"
    elif isinstance(data, (list, tuple)):
        how = (
            f"forward(*data, mode={mode!r}), the batch's {len(data)} items as positional arguments"
        )
        fit = "take one parameter per item"
    else:
        how = f"forward(data, mode={mode!r}), the batch as one argument"
        fit = "take the batch as its first parameter"
    return (
        f"BaseModel.{step} calls {how}; so forward must {fit}, and accept mode= "
        "(e.g. def forward(self, inputs, data_samples=None, mode='tensor')), returning a dict "
        "of losses for mode='loss'. A LightningModule's forward(self, x) does not fit: "
        "change its signature, or override train_step(data, optim_wrapper)."
    )


def _no_grad_hint(model: Any) -> str:
    module = getattr(model, "module", model)  # a DDP wrapper's or our adapter's model
    name = type(getattr(module, "module", module)).__name__
    params = list(model.parameters()) if hasattr(model, "parameters") else []
    if params and not any(p.requires_grad for p in params):
        return (
            f"No parameter of {name} requires grad (all {len(params)} have "
            "requires_grad=False), so the loss has nothing to back-propagate to: the optimizer "
            "was built over frozen parameters. Unfreeze the ones to train "
            "(param.requires_grad_(True)) before runner.train(), or, to only evaluate, call "
            "runner.val() or runner.test()."
        )
    return (
        f"The loss of {name} does not depend on any parameter that requires grad: it was "
        "computed under torch.no_grad() or torch.inference_mode(), from detached values "
        "(.detach(), .item(), .numpy()), or from frozen parts of the model only."
    )
