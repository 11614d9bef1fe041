"""What a model's loss is made of: merging the loss dicts of its parts, finding the
parameters the loss never reached.

MMEngine's ``merge_dict`` and ``detect_anomalous_params`` (``mmengine.model``),
for models written against them (mmdet's two-stage detectors merge their
heads' losses with ``merge_dict``).
"""

from __future__ import annotations

import logging
from typing import Any

import torch
import torch.fx
from torch import nn

from ..errors import RunnerError


class MergeDictError(RunnerError, TypeError, AssertionError):
    """``merge_dict`` got something that is not a dict (MMEngine asserts: an AssertionError)."""


def merge_dict(*dicts: dict) -> dict:
    """One new dict with the items of ``dicts``, later ones winning on a shared key.

    Use it for ``losses.update(head_losses)`` in a model that must stay
    traceable: ``torch.fx.symbolic_trace`` records a call to it as one node
    instead of tracing ``dict.update``, which it cannot.
    """
    merged: dict = {}
    for i, item in enumerate(dicts):
        if not isinstance(item, dict):
            raise MergeDictError(
                f"merge_dict takes dicts only; argument {i} is a {type(item).__name__}: "
                f"{item!r:.80}. Convert it with dict(...) first."
            )
        merged.update(item)
    return merged


# fx leaves calls to it untraced (must run at module level, as MMEngine does)
torch.fx.wrap("merge_dict")


def detect_anomalous_params(loss: torch.Tensor, model: nn.Module) -> None:
    """Log (level ERROR, the run's logger) each parameter that needs a gradient but that
    ``loss`` does not depend on.

    Such a parameter gets no gradient, which makes ``DistributedDataParallel``
    hang or fail unless ``find_unused_parameters=True``; call this after the
    forward to find it by name. Walks the autograd graph back from ``loss``.
    """
    from ..logging import print_log

    reached: set[int] = set()
    seen: set[Any] = set()
    stack = [loss.grad_fn]
    while stack:  # a loop, not recursion: deep graphs (long RNNs) would hit the limit
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        variable = getattr(node, "variable", None)  # AccumulateGrad: a leaf tensor
        if variable is not None:
            reached.add(id(variable))
        stack.extend(parent for parent, _ in node.next_functions)
    for name, param in model.named_parameters():
        if param.requires_grad and id(param) not in reached:
            print_log(
                f"{name} with shape {param.size()} is not in the computational graph \n",
                logger="current",
                level=logging.ERROR,
            )
