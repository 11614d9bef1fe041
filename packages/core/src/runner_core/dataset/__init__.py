"""Datasets the MMEngine way: ``BaseDataset``, ``Compose`` and the dataset wrappers.

Every OpenMMLab dataset derives from ``BaseDataset``: annotations load from a
file into ``data_list`` (lazily with ``lazy_init=True``), ``metainfo`` merges
the class's ``METAINFO``, the file's and the config's, and each sample goes
through a ``pipeline`` of transforms built from the ``TRANSFORMS`` registry.
Names load lazily.
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
}

__all__ = list(_LAZY)

if TYPE_CHECKING:  # pragma: no cover
    from .base_dataset import BaseDataset as BaseDataset
    from .base_dataset import force_full_init as force_full_init
    from .compose import Compose as Compose
    from .wrappers import ClassBalancedDataset as ClassBalancedDataset
    from .wrappers import ConcatDataset as ConcatDataset
    from .wrappers import RepeatDataset as RepeatDataset

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
