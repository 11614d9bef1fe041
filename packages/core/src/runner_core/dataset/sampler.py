"""MMEngine's ``mmengine.dataset.sampler`` import path: the samplers, which live with the
data loader (:mod:`runner_core.data.sampler`; patch names there, not here)."""

from __future__ import annotations

from ..data.sampler import DefaultSampler, InfiniteSampler

__all__ = ["DefaultSampler", "InfiniteSampler"]
