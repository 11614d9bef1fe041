"""``PixelData``: per-pixel maps of one image (segmentation, heat maps), all one size."""

from __future__ import annotations

import warnings
from typing import Any

from .base_data_element import _PRIVATE, BaseDataElement, DataElementError, DataElementTypeError


class PixelData(BaseDataElement):
    """Data fields are ``(C, H, W)`` tensors or arrays sharing ``H, W``; 2-D values get ``C=1``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PRIVATE:
            super().__setattr__(name, value)
            return
        import numpy as np
        import torch

        if not isinstance(value, (torch.Tensor, np.ndarray)):
            raise DataElementError(
                f"PixelData.{name} must be a torch.Tensor or np.ndarray, got {type(value).__name__}."
            )
        if value.ndim not in (2, 3):
            raise DataElementError(
                f"PixelData.{name} must have 2 (H, W) or 3 (C, H, W) dimensions, got {value.ndim}."
            )
        shape = self.shape
        if shape is not None and tuple(value.shape[-2:]) != shape:
            raise DataElementError(
                f"PixelData.{name} has height and width {tuple(value.shape[-2:])}, but this "
                f"PixelData holds {shape} maps."
            )
        if value.ndim == 2:
            value = value[None]
            warnings.warn(
                f"PixelData.{name}: a 2-D map gets a channel dimension, shape {tuple(value.shape)}.",
                stacklevel=2,
            )
        super().__setattr__(name, value)

    def __getitem__(self, item: Any) -> PixelData:
        """``pixel_data[y0:y1, x0:x1]`` (ints keep their dimension) -> a cropped PixelData."""
        if not isinstance(item, tuple) or len(item) != 2:  # MMEngine asserts the length
            raise DataElementTypeError(
                f"PixelData is indexed by (height, width), e.g. data[0:10, 5:20]; got {item!r}."
            )
        shape = self.shape or (0, 0)
        index: list[slice] = [slice(None)]
        for axis, part in enumerate(item):
            if isinstance(part, int):
                size = shape[axis]
                if self.shape is not None and not -size <= part < size:
                    raise IndexError(
                        f"PixelData index {part} is out of range for size {size} (axis {axis})."
                    )
                start = part + size if part < 0 else part
                index.append(slice(start, start + 1))
            elif isinstance(part, slice):
                index.append(part)
            else:
                raise TypeError(
                    f"PixelData indices must be ints or slices, got {type(part).__name__}."
                )
        new = type(self)(metainfo=self.metainfo)
        for key, value in self.items():
            setattr(new, key, value[tuple(index)])
        return new

    @property
    def shape(self) -> tuple[int, int] | None:
        """``(H, W)`` of the maps, None while there is none."""
        values = self.values()
        return tuple(values[0].shape[-2:]) if values else None
