"""Data preprocessors: the step between the data loader and ``forward``.

The base one moves a batch to the model's device (recursively through dicts,
lists and tuples); ``ImgDataPreprocessor`` also normalises image inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from ..errors import RunnerError
from ..structures.base_data_element import BaseDataElement, DataElementTypeError


class DataPreprocessorError(RunnerError, ValueError):
    """A preprocessor argument or batch it cannot use.

    A ``RuntimeError`` too, what MMEngine's ``stack_batch`` raises (from
    ``torch.stack``) for tensors that differ in their first dim.
    """


class DataPreprocessorAssertionError(DataPreprocessorError, AssertionError):
    """A preprocessor check MMEngine makes with ``assert`` (an AssertionError too)."""


def cast_data(data: Any, device: torch.device | None, non_blocking: bool = False) -> Any:
    """Move every tensor in ``data`` to ``device`` in new containers and data elements.

    The tensors already on ``device`` are the same objects (``.to`` is then a
    no-op), so on the CPU this costs no copy; the containers and data elements
    are new, as MMEngine's, so what the model writes onto them (a data
    sample's prediction) stays out of the loader's batch.
    """
    if device is None:
        return data
    if isinstance(data, torch.Tensor):
        return data.to(device, non_blocking=non_blocking)
    if isinstance(data, Mapping):
        cast = {k: cast_data(v, device, non_blocking) for k, v in data.items()}
        if type(data) is dict:
            return cast
        try:  # an OrderedDict stays one; a defaultdict, whose first argument is its
            return type(data)(cast)  # type: ignore[call-arg]
        except TypeError:  # factory, or a Mapping built otherwise, is a dict (as MMEngine's)
            return cast
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(cast_data(v, device, non_blocking) for v in data))
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return type(data)(cast_data(v, device, non_blocking) for v in data)  # type: ignore[call-arg]
    if isinstance(data, BaseDataElement):  # MMEngine passes non_blocking to them too
        return data.to(device, non_blocking=non_blocking)
    to = getattr(data, "to", None)
    if callable(to):
        return to(device)
    return data


#: The CPU device; ``device == CPU`` is the cheap test (``device.type`` builds a string).
CPU = torch.device("cpu")


class BaseDataPreprocessor(nn.Module):
    """Moves batches to the model's device (MMEngine's ``cast_data``).

    The model gets new containers and data elements holding the batch's
    tensors (on the CPU: the same tensor objects, no copy).
    """

    def __init__(self, non_blocking: bool = False) -> None:
        super().__init__()
        self.non_blocking = non_blocking
        self._device: torch.device = torch.device("cpu")

    @property
    def _non_blocking(self) -> bool:
        """MMEngine's name, which subclasses written for it read (``non_blocking`` here)."""
        return self.non_blocking

    @_non_blocking.setter
    def _non_blocking(self, value: bool) -> None:
        self.non_blocking = value

    @property
    def device(self) -> torch.device:
        """Where batches go: kept current by ``.to()``, ``.cuda()``, ``.cpu()`` (MMEngine's)."""
        return self._device

    def cast_data(self, data: Any) -> Any:
        """``data`` with every tensor in it (dicts, lists, data samples) on ``device``."""
        device = self._device
        non_blocking = self.non_blocking
        if device != CPU:
            kind = device.type
            if kind == "cpu":  # ``cpu:0``: ``.to`` would copy each tensor
                device = CPU
            elif kind == "cuda":
                # host to GPU without a wait: a blocking copy synchronises the stream once
                # per tensor (two per step for (inputs, labels), where the GPU could run
                # ahead); a non-blocking copy from pageable memory is safe, as the driver
                # stages it before returning. (Data on the GPU to the CPU, where a
                # non-blocking copy is not safe, stays blocking: that device is the CPU.)
                non_blocking = True
        return cast_data(data, device, non_blocking)

    def forward(self, data: Any, training: bool = False) -> Any:
        """``data`` with its tensors moved to the model's device (``cast_data``); subclasses
        normalize, pad and batch here too. ``training``: called from ``train_step``."""
        return self.cast_data(data)

    # keep track of the device the model was moved to
    def to(self, *args: Any, **kwargs: Any) -> BaseDataPreprocessor:
        device = torch._C._nn._parse_to(*args, **kwargs)[0]
        if device is not None:
            self._device = torch.device(device)
        return super().to(*args, **kwargs)

    def cuda(self, device: Any = None) -> BaseDataPreprocessor:
        if device is None:
            device = torch.cuda.current_device()
        # an index, or a device (``torch.device('cuda:1')``, ``'cuda:1'``), as nn.Module takes
        self._device = (
            torch.device("cuda", device) if isinstance(device, int) else torch.device(device)
        )
        return super().cuda(device)

    def cpu(self) -> BaseDataPreprocessor:
        self._device = torch.device("cpu")
        return super().cpu()


def stack_batch(
    tensor_list: Sequence[torch.Tensor], pad_size_divisor: int = 1, pad_value: float = 0
) -> torch.Tensor:
    """Stack tensors of different sizes, each padded (at the end) to the largest.

    MMEngine's ``stack_batch``: the first dim is channels and is never padded;
    every other dim (H and W of images, also T of ``(C, T, H, W)`` clips, W of
    ``(H, W)`` maps) is padded to the largest size, rounded up to a multiple
    of ``pad_size_divisor`` (detectors with strided backbones need sizes
    divisible by 32).
    """
    if not isinstance(tensor_list, (list, tuple)):  # MMEngine asserts the same
        raise DataElementTypeError(
            f"stack_batch expects a list of tensors, got {type(tensor_list).__name__}; a batch that "
            "is already one tensor needs no stacking."
        )
    if not tensor_list:
        raise DataPreprocessorAssertionError("stack_batch needs at least one tensor.")
    shapes = [tuple(t.shape) for t in tensor_list]
    ranks = {len(shape) for shape in shapes}
    if len(ranks) != 1:
        raise DataPreprocessorAssertionError(
            f"stack_batch needs tensors of one rank, got ranks {[len(s) for s in shapes]}."
        )
    rank = len(shapes[0])
    if rank == 0:
        return torch.stack(list(tensor_list))
    firsts = sorted({shape[0] for shape in shapes})
    if len(firsts) != 1:  # the first dim is channels: never invent any
        if rank == 1:
            raise DataPreprocessorError(
                f"stack_batch does not pad 1-D tensors (their one dim counts as channels, as "
                f"in MMEngine), got lengths {firsts}. Pad them to one length in the pipeline, "
                "or give each a leading dim ((1, L)) so that L is padded."
            )
        raise DataPreprocessorError(
            f"stack_batch pads every dim but the first (channels), and the tensors differ in "
            f"it: {firsts}. Convert them to one number of channels first (e.g. grey images to "
            "3 channels in the pipeline)."
        )
    target = [max(sizes) for sizes in zip(*shapes)]
    if pad_size_divisor > 1:
        d = pad_size_divisor
        target[1:] = [-(-size // d) * d for size in target[1:]]
    padded = []
    for tensor, shape in zip(tensor_list, shapes):
        missing = [want - have for want, have in zip(target, shape)]
        if any(missing):
            # F.pad takes (last dim before, after, next-to-last before, after, ...)
            pads = [amount for m in reversed(missing) for amount in (0, m)]
            tensor = nn.functional.pad(tensor, pads, value=pad_value)
        padded.append(tensor)
    return torch.stack(padded)


class ImgDataPreprocessor(BaseDataPreprocessor):
    """Moves image batches to the device, converts channels, normalises and pads them.

    MMEngine's arguments and order of work: ``bgr_to_rgb`` / ``rgb_to_bgr``
    swap the channels of ``(3, H, W)`` images, the inputs become float and are
    normalised with ``mean`` / ``std`` (1 or 3 values; neither means no
    normalising), and a list of images of different sizes (``pseudo_collate``)
    is padded with ``pad_value`` to the largest, rounded up to a multiple of
    ``pad_size_divisor``, and stacked. A ``(N, C, H, W)`` batch is padded to
    that multiple too. Works on a dict batch with an ``inputs`` key, a
    tuple/list batch whose first element holds the inputs
    (``default_collate``), or the inputs alone; inputs of other ranks (feature
    vectors) are only normalised.
    """

    def __init__(
        self,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        pad_size_divisor: int = 1,
        pad_value: float = 0,
        bgr_to_rgb: bool = False,
        rgb_to_bgr: bool = False,
        non_blocking: bool = False,
    ) -> None:
        super().__init__(non_blocking)
        if (mean is None) != (std is None):
            raise DataPreprocessorAssertionError(
                "ImgDataPreprocessor needs both mean and std, or neither."
            )
        if bgr_to_rgb and rgb_to_bgr:
            raise DataPreprocessorAssertionError(
                "ImgDataPreprocessor: set bgr_to_rgb or rgb_to_bgr, not both (each swaps the "
                "first and third channel)."
            )
        if isinstance(pad_size_divisor, bool) or not isinstance(pad_size_divisor, int):
            raise DataPreprocessorError(
                f"ImgDataPreprocessor pad_size_divisor must be a positive int, got "
                f"{pad_size_divisor!r}."
            )
        if pad_size_divisor < 1:
            raise DataPreprocessorError(
                f"ImgDataPreprocessor pad_size_divisor must be >= 1, got {pad_size_divisor}."
            )
        self._enable_normalize = mean is not None
        if mean is not None and std is not None:
            for name, values in (("mean", mean), ("std", std)):
                if len(values) not in (1, 3):
                    raise DataPreprocessorAssertionError(
                        f"ImgDataPreprocessor {name} needs 1 value (gray images) or 3 (RGB), "
                        f"got {len(values)}: {list(values)}."
                    )
            self.register_buffer("mean", torch.tensor(mean).view(-1, 1, 1), persistent=False)
            self.register_buffer("std", torch.tensor(std).view(-1, 1, 1), persistent=False)
        self._channel_conversion = bgr_to_rgb or rgb_to_bgr
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value

    def forward(self, data: Any, training: bool = False) -> Any:
        data = self.cast_data(data)
        if isinstance(data, Mapping):
            data = dict(data)
            data["inputs"] = self._batch(data["inputs"])
            # MMEngine's always has the key: forward(inputs, data_samples, mode) needs it
            data.setdefault("data_samples", None)
        elif isinstance(data, (list, tuple)) and data:  # (inputs, labels, ...)
            data = type(data)([self._batch(data[0]), *data[1:]])
        else:
            data = self._batch(data)
        return data

    # buffers registered in __init__ when normalising
    mean: torch.Tensor
    std: torch.Tensor

    def _batch(self, inputs: Any) -> Any:
        """The model's input batch from a tensor or a list of image tensors."""
        if _is_tensor_list(inputs):
            images = [self._image(x, batched=False) for x in inputs]
            return stack_batch(images, self.pad_size_divisor, self.pad_value)
        if not isinstance(inputs, torch.Tensor):
            raise TypeError(
                "ImgDataPreprocessor expects the batch's inputs as a tensor or a list of "
                f"image tensors, got {type(inputs).__name__}."
            )
        batch = self._image(inputs, batched=True)
        if batch.dim() == 4 and self.pad_size_divisor > 1:
            h, w = batch.shape[-2:]
            d = self.pad_size_divisor
            pad_h, pad_w = -h % d, -w % d
            if pad_h or pad_w:
                batch = nn.functional.pad(batch, (0, pad_w, 0, pad_h), value=self.pad_value)
        return batch

    def _image(self, x: torch.Tensor, batched: bool) -> torch.Tensor:
        """Channels converted, as float, normalised: one image, or a batch of them."""
        channel_dim = 1 if batched else 0
        image_rank = 4 if batched else 3
        if self._channel_conversion and x.dim() == image_rank:
            if x.shape[channel_dim] != 3:
                raise DataPreprocessorError(
                    "ImgDataPreprocessor bgr_to_rgb/rgb_to_bgr needs 3-channel images, got "
                    f"shape {tuple(x.shape)}."
                )
            x = x.flip(channel_dim)
        x = x.float()
        if not self._enable_normalize:
            return x
        wrong_channels = x.dim() == image_rank and x.shape[channel_dim] != 3
        # an (H, W) image of a list has no channels: (10, 3) would be normalised per column
        if self.mean.shape[0] == 3 and (wrong_channels or (not batched and x.dim() == 2)):
            raise DataPreprocessorAssertionError(
                "ImgDataPreprocessor mean and std have 3 values, so images need 3 channels, "
                f"got shape {tuple(x.shape)}."
            )
        if x.dim() >= 3 or (not batched and x.dim() == 2 and self.mean.shape[0] == 1):
            # an (H, W) grey image of a list becomes (1, H, W), as MMEngine's broadcast makes it
            return (x - self.mean) / self.std
        return (x - self.mean.view(-1)) / self.std.view(-1)


def _is_tensor_list(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(isinstance(v, torch.Tensor) for v in value)
    )
