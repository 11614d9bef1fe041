"""Data elements passed between datasets, models and metrics (MMEngine's ``structures``).

Every OpenMMLab model returns these: ``BaseDataElement`` (metainfo vs data
fields), ``InstanceData`` (per-instance fields of one length, indexable),
``LabelData`` and ``PixelData``. Names load lazily: importing this package
does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_LAZY = {
    "BaseDataElement": ".base_data_element",
    "DataElementError": ".base_data_element",
    "DataElementIndexError": ".base_data_element",
    "DataElementTypeError": ".base_data_element",
    "DataElementValueError": ".base_data_element",
    "InstanceData": ".instance_data",
    "LabelData": ".label_data",
    "PixelData": ".pixel_data",
}

__all__ = list(_LAZY)

if TYPE_CHECKING:  # pragma: no cover
    from .base_data_element import BaseDataElement as BaseDataElement
    from .base_data_element import DataElementError as DataElementError
    from .base_data_element import DataElementIndexError as DataElementIndexError
    from .base_data_element import DataElementTypeError as DataElementTypeError
    from .base_data_element import DataElementValueError as DataElementValueError
    from .instance_data import InstanceData as InstanceData
    from .label_data import LabelData as LabelData
    from .pixel_data import PixelData as PixelData
else:
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
