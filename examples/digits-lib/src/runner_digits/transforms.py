"""Augmentations of one sample dict (``{'inputs': [1, 8, 8], 'labels': ...}``).

They draw from torch's default random generator on purpose, not from one of
their own: the Runner seeds that generator (in the main process from the
run's seed, in each data-loader worker from the batch's own seed), and saves
and restores it in checkpoints. That is what makes a resumed run draw the same
shifts and noise as an uninterrupted one, whatever ``num_workers`` is. A
transform holding a private ``torch.Generator`` would be copied into every
worker with the same state and repeat itself across workers and restarts.
"""

from __future__ import annotations

from typing import Any

import torch

from runner_core.errors import ConfigError


class RandomShift:
    """Shift the image by up to ``max_shift`` pixels in each direction, filling with 0.

    Args:
        max_shift: the largest shift, in pixels (0 disables the transform).
        prob: the chance a sample is shifted at all.
    """

    def __init__(self, max_shift: int = 1, prob: float = 1.0) -> None:
        if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
            raise ConfigError(f"RandomShift max_shift must be an int >= 0, got {max_shift!r}.")
        if not 0.0 <= prob <= 1.0:
            raise ConfigError(f"RandomShift prob must be in [0, 1], got {prob!r}.")
        self.max_shift = max_shift
        self.prob = prob

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        if self.max_shift == 0 or torch.rand(()).item() >= self.prob:
            return sample
        dy, dx = torch.randint(-self.max_shift, self.max_shift + 1, (2,)).tolist()
        image = sample["inputs"]
        shifted = torch.zeros_like(image)
        h, w = image.shape[-2:]
        src_y, dst_y = slice(max(0, -dy), h - max(0, dy)), slice(max(0, dy), h - max(0, -dy))
        src_x, dst_x = slice(max(0, -dx), w - max(0, dx)), slice(max(0, dx), w - max(0, -dx))
        shifted[..., dst_y, dst_x] = image[..., src_y, src_x]
        return {**sample, "inputs": shifted}

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift}, prob={self.prob})"


class GaussianNoise:
    """Add Gaussian pixel noise of standard deviation ``std``, clipped to [0, 1]."""

    def __init__(self, std: float = 0.05) -> None:
        if std < 0:
            raise ConfigError(f"GaussianNoise std must be >= 0, got {std!r}.")
        self.std = float(std)

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        image = sample["inputs"]
        noisy = (image + self.std * torch.randn_like(image)).clamp_(0.0, 1.0)
        return {**sample, "inputs": noisy}

    def __repr__(self) -> str:
        return f"GaussianNoise(std={self.std})"
