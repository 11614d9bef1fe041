"""``Accuracy``: top-k classification accuracy in percent (mmpretrain's keys)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from .metric import BaseMetric

_SCORE_KEYS = (
    "pred_score",
    "pred_scores",
    "pred",
    "preds",
    "scores",
    "logits",
    "output",
    "outputs",
)
_LABEL_KEYS = ("pred_label", "pred_labels")
_GT_KEYS = ("gt_label", "gt_labels", "gt", "label", "labels", "target", "targets")

_FORMS = (
    "(a) a list of per-sample dicts (or objects) with 'pred_score' [C] and/or 'pred_label', "
    "and 'gt_label' (mmpretrain style); (b) a dict of batched tensors, "
    "{'pred': scores or logits [B, C] (or 'pred_label' [B]), 'gt' / 'label' / 'target': labels [B]}; "
    "(c) a tuple (logits [B, C], labels [B]); (d) logits [B, C] alone, with the labels in the "
    "data batch (a dict with a label key, or a tuple (inputs, labels))"
)


def _first(container: Any, keys: Sequence[str]) -> Any:
    for key in keys:
        if isinstance(container, Mapping):
            if key in container and container[key] is not None:
                return container[key]
        elif not isinstance(container, torch.Tensor):
            value = getattr(container, key, None)
            if value is not None and not callable(value):
                return value
    return None


def _as_tensor(value: Any) -> torch.Tensor:
    return value.detach().cpu() if isinstance(value, torch.Tensor) else torch.as_tensor(value)


def _labels(value: Any, what: str) -> torch.Tensor:
    labels = _as_tensor(value)
    if labels.dim() == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.dim() != 1 or labels.is_floating_point():
        raise ValueError(
            f"Accuracy needs one integer class label per sample for {what}, got a tensor of shape "
            f"{tuple(labels.shape)} and dtype {labels.dtype}. (Multi-label targets need another metric.)"
        )
    return labels.long()


def _is_probabilities(scores: torch.Tensor) -> bool:
    if scores.numel() == 0:
        return True
    in_range = bool(((scores >= 0) & (scores <= 1)).all())
    return in_range and torch.allclose(
        scores.sum(dim=1), torch.ones(scores.shape[0], dtype=scores.dtype), atol=1e-3
    )


class Accuracy(BaseMetric):
    """Top-k accuracy, in percent, keyed ``accuracy/top1``, ``accuracy/top5``, ...

    A sample counts as correct for ``k`` when its label is among the ``k``
    highest scores and that score is above the threshold. With several
    thresholds the keys get a ``_thr-0.50`` / ``_no-thr`` suffix.

    ``data_samples`` is what the model's ``val_step`` returns; accepted forms:
    (a) a list of per-sample dicts (or objects) with ``pred_score`` ([C] scores)
    and/or ``pred_label`` and ``gt_label`` (mmpretrain style); (b) a dict of
    batched tensors ``{'pred': [B, C], 'gt' | 'label' | 'target': [B]}`` (or
    ``'pred_label': [B]`` for labels only); (c) a tuple ``(logits, labels)``;
    (d) logits ``[B, C]`` alone, the labels then taken from ``data_batch``
    (a dict with ``gt_label`` / ``label`` / ``target``, or ``(inputs, labels)``).
    Logits are turned into probabilities with softmax before thresholds apply
    (the ranking, hence top-k without threshold, does not change). Predicted
    labels alone allow top-1 only.

    Args:
        topk: the k values to report.
        thrs: score threshold(s); None means no threshold.
        collect_device, prefix, collect_dir: see ``BaseMetric``.
    """

    default_prefix = "accuracy"

    def __init__(
        self,
        topk: int | Sequence[int] = (1,),
        thrs: float | Sequence[float | None] | None = 0.0,
        collect_device: str = "cpu",
        prefix: str | None = None,
        collect_dir: str | None = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        from ..errors import ConfigError  # a ValueError: bad arguments are input errors

        ks = topk if isinstance(topk, (list, tuple)) else (topk,)
        if not ks or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in ks):
            raise ConfigError(f"Accuracy topk must be positive integers, got {topk!r}.")
        self.topk = tuple(int(k) for k in ks)
        self.thrs = (thrs,) if thrs is None or isinstance(thrs, (int, float)) else tuple(thrs)
        if not self.thrs:
            raise ConfigError("Accuracy thrs must name at least one threshold (or be None).")

    # -- reading the model's outputs ----------------------------------------
    def _read(
        self, data_batch: Any, data_samples: Any
    ) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor]:
        """``(scores [B, C] or None, predicted labels [B] or None, gt labels [B])``."""
        samples = data_samples
        if isinstance(samples, Sequence) and not isinstance(samples, (str, bytes)) and samples:
            head = samples[0]
            if isinstance(head, Mapping) or _first(head, _GT_KEYS) is not None:
                return self._read_per_sample(samples)
            if len(samples) == 2 and isinstance(head, torch.Tensor):
                return self._split_preds(samples[0]) + (
                    _labels(samples[1], "the second item of (logits, labels)"),
                )
        if isinstance(samples, Mapping):
            gt = _first(samples, _GT_KEYS)
            if gt is None:
                gt = _first(data_batch, _GT_KEYS) if isinstance(data_batch, Mapping) else None
            scores = _first(samples, _SCORE_KEYS)
            labels = _first(samples, _LABEL_KEYS)
            if gt is not None and (scores is not None or labels is not None):
                if scores is not None:
                    return self._split_preds(scores) + (_labels(gt, "the ground truth"),)
                return None, _labels(labels, "pred_label"), _labels(gt, "the ground truth")
        if isinstance(samples, torch.Tensor):
            gt = None
            if isinstance(data_batch, Mapping):
                gt = _first(data_batch, _GT_KEYS)
            elif isinstance(data_batch, Sequence) and len(data_batch) == 2:
                gt = data_batch[1]
            if gt is not None:
                return self._split_preds(samples) + (_labels(gt, "the labels of the data batch"),)
        raise TypeError(
            f"Accuracy cannot read the model's val_step output: got {_describe(data_samples)}"
            f"{' with data batch ' + _describe(data_batch) if data_batch is not None else ''}. "
            f"Accepted forms: {_FORMS}. Make forward(mode='predict') return one of them."
        )

    @staticmethod
    def _split_preds(pred: Any) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        pred = _as_tensor(pred)
        if pred.dim() == 2 and pred.is_floating_point():
            return pred.float(), None
        if pred.dim() == 1 and not pred.is_floating_point():
            return None, pred.long()
        raise ValueError(
            f"Accuracy expects predictions as scores [B, C] (float) or labels [B] (integer), got a "
            f"tensor of shape {tuple(pred.shape)} and dtype {pred.dtype}."
        )

    @staticmethod
    def _read_per_sample(
        samples: Sequence[Any],
    ) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor]:
        scores, labels, gts = [], [], []
        for i, sample in enumerate(samples):
            gt = _first(sample, _GT_KEYS)
            score = _first(sample, ("pred_score", "pred_scores", "scores", "logits"))
            label = _first(sample, _LABEL_KEYS)
            if gt is None or (score is None and label is None):
                raise TypeError(
                    f"Accuracy: data sample {i} ({_describe(sample)}) needs 'gt_label' and "
                    f"'pred_score' or 'pred_label'. Accepted forms: {_FORMS}."
                )
            gts.append(_labels(_as_tensor(gt).reshape(-1), f"data sample {i}"))
            if score is not None:
                scores.append(_as_tensor(score).float().reshape(-1))
            if label is not None:
                labels.append(_as_tensor(label).reshape(-1)[:1].long())
        gt_tensor = torch.cat(gts)
        if len(gt_tensor) != len(samples):
            raise ValueError("Accuracy: each data sample needs exactly one gt_label.")
        if len(scores) == len(samples):
            return torch.stack(scores), None, gt_tensor
        return None, torch.cat(labels), gt_tensor

    # -- the metric ---------------------------------------------------------
    def process(self, data_batch: Any, data_samples: Any) -> None:
        """Store, per sample, whether it is correct for each (k, threshold)."""
        scores, labels, gt = self._read(data_batch, data_samples)
        if scores is not None:
            if scores.shape[0] != gt.shape[0]:
                raise ValueError(
                    f"Accuracy: {scores.shape[0]} predictions but {gt.shape[0]} labels."
                )
            num_classes = scores.shape[1]
            if max(self.topk) > num_classes:
                raise ValueError(
                    f"Accuracy topk={self.topk} asks for top-{max(self.topk)} but the predictions have "
                    f"only {num_classes} classes; lower topk."
                )
            probs = scores if _is_probabilities(scores) else scores.softmax(dim=1)
            top_scores, top_labels = probs.topk(max(self.topk), dim=1)
            hits = top_labels.eq(gt.view(-1, 1))  # [B, maxk]: is column j the true class?
            table = []  # [k][thr] -> [B] bools
            for k in self.topk:
                row = []
                for thr in self.thrs:
                    ok = hits[:, :k]
                    if thr is not None:
                        ok = ok & (top_scores[:, :k] > thr)
                    row.append(ok.any(dim=1).tolist())
                table.append(row)
            for b in range(gt.shape[0]):
                self.results.append([[column[b] for column in row] for row in table])
        else:
            assert labels is not None
            if self.topk != (1,):
                raise ValueError(
                    f"Accuracy got predicted labels only (no scores), which allow top-1 alone, but "
                    f"topk={self.topk}. Return 'pred_score' from the model or set topk=1."
                )
            if labels.shape[0] != gt.shape[0]:
                raise ValueError(
                    f"Accuracy: {labels.shape[0]} predictions but {gt.shape[0]} labels."
                )
            for hit in labels.eq(gt).tolist():
                self.results.append([[bool(hit)] * len(self.thrs)])

    def compute_metrics(self, results: list[Any]) -> dict[str, float]:
        """Percent correct per (k, threshold)."""
        total = len(results)
        metrics: dict[str, float] = {}
        for i, k in enumerate(self.topk):
            for j, thr in enumerate(self.thrs):
                name = f"top{k}"
                if len(self.thrs) > 1:
                    name += "_no-thr" if thr is None else f"_thr-{thr:.2f}"
                correct = sum(1 for result in results if result[i][j])
                metrics[name] = 100.0 * correct / total if total else 0.0
        return metrics


def _describe(obj: Any) -> str:
    if isinstance(obj, torch.Tensor):
        return f"a tensor of shape {tuple(obj.shape)}"
    if isinstance(obj, Mapping):
        return f"a dict with keys {sorted(map(str, obj))}"
    if isinstance(obj, (list, tuple)):
        inner = _describe(obj[0]) if obj else "nothing"
        return f"a {type(obj).__name__} of {len(obj)} items, the first {inner}"
    return f"a {type(obj).__name__}"


__all__ = ["Accuracy"]
