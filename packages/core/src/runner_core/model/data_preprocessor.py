"""Data preprocessors: the step between the data loader and ``forward``.

The base one moves a batch to the model's device (recursively through dicts,
lists and tuples); ``ImgDataPreprocessor`` also normalises image inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn


def cast_data(data: Any, device: torch.device | None, non_blocking: bool = False) -> Any:
    """Move every tensor in ``data`` to ``device`` keeping the structure."""
    if device is None:
        return data
    if isinstance(data, torch.Tensor):
        return data.to(device, non_blocking=non_blocking)
    if isinstance(data, Mapping):
        return type(data)({k: cast_data(v, device, non_blocking) for k, v in data.items()})  # type: ignore[call-arg]
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(cast_data(v, device, non_blocking) for v in data))
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return type(data)(cast_data(v, device, non_blocking) for v in data)  # type: ignore[call-arg]
    to = getattr(data, "to", None)
    if callable(to):
        return to(device)
    return data


#: The CPU device; ``device == CPU`` is the cheap test (``device.type`` builds a string).
CPU = torch.device("cpu")


class BaseDataPreprocessor(nn.Module):
    """Moves batches to the model's device.

    On CPU-only runs the move is skipped entirely: a batch from the data
    loader already lives on the CPU.
    """

    def __init__(self, non_blocking: bool = False) -> None:
        super().__init__()
        self.non_blocking = non_blocking
        self._device: torch.device = torch.device("cpu")

    def cast_data(self, data: Any) -> Any:
        device = self._device
        if device == CPU or device.type == "cpu":  # the cheap test first (``cpu:0`` needs both)
            return data
        return cast_data(data, device, self.non_blocking)

    def forward(self, data: Any, training: bool = False) -> Any:
        return self.cast_data(data)

    # keep track of the device the model was moved to
    def to(self, *args: Any, **kwargs: Any) -> BaseDataPreprocessor:
        device = torch._C._nn._parse_to(*args, **kwargs)[0]
        if device is not None:
            self._device = torch.device(device)
        return super().to(*args, **kwargs)

    def cuda(self, device: Any = None) -> BaseDataPreprocessor:
        self._device = torch.device(
            "cuda", torch.cuda.current_device() if device is None else device
        )
        return super().cuda(device)

    def cpu(self) -> BaseDataPreprocessor:
        self._device = torch.device("cpu")
        return super().cpu()


class ImgDataPreprocessor(BaseDataPreprocessor):
    """Moves batches to the device and normalises ``inputs`` with mean and std.

    Works on a dict batch with an ``inputs`` key or a tuple/list whose first
    element is the input tensor.
    """

    def __init__(
        self,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        non_blocking: bool = False,
    ) -> None:
        super().__init__(non_blocking)
        if (mean is None) != (std is None):
            raise ValueError("ImgDataPreprocessor needs both mean and std, or neither.")
        self._normalize = mean is not None
        if mean is not None and std is not None:
            self.register_buffer("mean", torch.tensor(mean).view(-1, 1, 1), persistent=False)
            self.register_buffer("std", torch.tensor(std).view(-1, 1, 1), persistent=False)

    def forward(self, data: Any, training: bool = False) -> Any:
        data = self.cast_data(data)
        if not self._normalize:
            return data
        if isinstance(data, Mapping):
            data = dict(data)
            data["inputs"] = self._norm(data["inputs"])
        elif isinstance(data, (list, tuple)):
            data = type(data)([self._norm(data[0]), *data[1:]])
        else:
            data = self._norm(data)
        return data

    # buffers registered in __init__ when normalising
    mean: torch.Tensor
    std: torch.Tensor

    def _norm(self, x: torch.Tensor) -> torch.Tensor:
        mean = self.mean if x.dim() >= 3 else self.mean.view(-1)
        std = self.std if x.dim() >= 3 else self.std.view(-1)
        return (x.float() - mean) / std
