"""Datasets the MMEngine way: ``BaseDataset``, ``Compose`` and the dataset wrappers.

Every OpenMMLab dataset derives from ``BaseDataset``: annotations load from a
file into ``data_list`` (lazily with ``lazy_init=True``), ``metainfo`` merges
the class's ``METAINFO``, the file's and the config's, and each sample goes
through a ``pipeline`` of transforms built from the ``TRANSFORMS`` registry.
The samplers, collate functions and ``worker_init_fn`` live with the data
loader (``runner_core.data``) and are re-exported here, where
``mmengine.dataset`` has them. Names load lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_LAZY = {
    "BaseDataset": ".base_dataset",
    "Compose": ".compose",
    "force_full_init": ".base_dataset",
    "ConcatDataset": ".wrappers",
    "RepeatDataset": ".wrappers",
    "ClassBalancedDataset": ".wrappers",
    # mmengine.dataset's names for what runner_core.data holds
    "DefaultSampler": "runner_core.data.sampler",
    "InfiniteSampler": "runner_core.data.sampler",
    "default_collate": "runner_core.data.collate",
    "pseudo_collate": "runner_core.data.collate",
    "COLLATE_FUNCTIONS": "runner_core.data.collate",
    "worker_init_fn": "runner_core.data.worker_init",
}

__all__ = list(_LAZY)

if TYPE_CHECKING:  # pragma: no cover
    from ..data.collate import COLLATE_FUNCTIONS as COLLATE_FUNCTIONS
    from ..data.collate import default_collate as default_collate
    from ..data.collate import pseudo_collate as pseudo_collate
    from ..data.sampler import DefaultSampler as DefaultSampler
    from ..data.sampler import InfiniteSampler as InfiniteSampler
    from ..data.worker_init import worker_init_fn as worker_init_fn
    from .base_dataset import BaseDataset as BaseDataset
    from .base_dataset import force_full_init as force_full_init
    from .compose import Compose as Compose
    from .wrappers import ClassBalancedDataset as ClassBalancedDataset
    from .wrappers import ConcatDataset as ConcatDataset
    from .wrappers import RepeatDataset as RepeatDataset
else:
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
