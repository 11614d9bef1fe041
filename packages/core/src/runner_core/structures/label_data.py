"""``LabelData``: labels of one sample, with one-hot helpers."""

from __future__ import annotations

from typing import Any

from .base_data_element import BaseDataElement, DataElementError


class LabelData(BaseDataElement):
    """Labels (or scores) of a sample: a data element plus one-hot conversions."""

    @staticmethod
    def onehot_to_label(onehot: Any) -> Any:
        """A 1-D 0/1 tensor -> the indices of its ones."""
        import torch

        if not isinstance(onehot, torch.Tensor):
            raise DataElementError(
                f"onehot_to_label expects a tensor, got {type(onehot).__name__}."
            )
        if onehot.ndim != 1 or onehot.numel() == 0:
            raise ValueError(
                f"onehot_to_label expects a 1-D tensor of 0 and 1, got shape "
                f"{tuple(onehot.shape)}; this input is not one-hot."
            )
        if onehot.max() > 1 or onehot.min() < 0:
            bad = onehot[(onehot > 1) | (onehot < 0)][0].item()
            raise ValueError(
                f"onehot_to_label expects a tensor of 0 and 1, got the value {bad} in "
                f"{onehot.tolist()!r:.80}; for class indices, use them as the label as they are."
            )
        return onehot.nonzero().squeeze(-1)

    @staticmethod
    def label_to_onehot(label: Any, num_classes: int) -> Any:
        """Label indices -> a ``num_classes`` one-hot tensor (of the label's dtype)."""
        import torch

        if not isinstance(label, torch.Tensor):
            raise DataElementError(f"label_to_onehot expects a tensor, got {type(label).__name__}.")
        if label.ndim > 1 and label.numel() != len(label):  # an (N, 1) column works, as MMEngine
            raise DataElementError(
                f"label_to_onehot expects a 1-D tensor of class indices (one sample's labels), "
                f"got shape {tuple(label.shape)}; convert each sample's labels on their own."
            )
        if label.numel() and int(label.max()) >= num_classes:
            raise DataElementError(
                f"label_to_onehot: label {int(label.max())} is out of range for "
                f"num_classes={num_classes}."
            )
        onehot = label.new_zeros((num_classes,))
        onehot[label] = 1
        return onehot
