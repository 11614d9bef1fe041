"""``Accuracy``: top-k classification accuracy in percent (mmpretrain's keys).

Cost per batch is kept small and flat. ``process`` checks the batch and keeps
its scores and labels (a copy of scores on a GPU): no tensor is read back, so
a prediction on the GPU is not waited for. The samples are judged in chunks
(when about 65,000 scores are waiting, and when ``results`` is read, e.g. by
``evaluate``) with a few tensor operations over the whole chunk, so the
per-operation overhead of small batches is paid once per chunk, not once per
batch; the default, top-1 with threshold 0, takes one ``argmax``. Each
sample's result is one plain int, which the garbage collector does not track
and the move to the CPU (multi-process only) does not walk: 100,000 samples
cost no more per batch than 1,000.
"""

from __future__ import annotations

import collections
import itertools
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

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

#: Each sample's result is one int64 of bits, one per (k, threshold) pair.
_MAX_PAIRS = 62

_FORMS = (
    "(a) a list of per-sample dicts (or objects) with 'pred_score' [C] and/or 'pred_label', "
    "and 'gt_label' (mmpretrain style); (b) a dict of batched tensors, "
    "{'pred': scores or logits [B, C] (or 'pred_label' [B]), 'gt' / 'label' / 'target': labels [B]}; "
    "(c) a tuple (logits [B, C], labels [B]); (d) logits [B, C] alone, with the labels in the "
    "data batch (a dict with a label key, or a tuple (inputs, labels))"
)


def _first(container: Any, keys: Sequence[str]) -> Any:
    if type(container) is dict or isinstance(container, Mapping):
        for key in keys:
            value = container.get(key)
            if value is not None:
                return value
    elif not isinstance(container, torch.Tensor):
        for key in keys:
            value = getattr(container, key, None)
            if value is not None and not callable(value):
                return value
    return None


def _as_tensor(value: Any) -> torch.Tensor:
    """A tensor, left where it is (batches are moved to the CPU once, when results are read)."""
    return value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(value)


def _labels(value: Any, what: str) -> torch.Tensor:
    labels = value if type(value) is torch.Tensor else _as_tensor(value)  # ints carry no grad
    if labels.dim() == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.dim() != 1 or labels.is_floating_point():
        raise ValueError(
            f"Accuracy needs one integer class label per sample for {what}, got a tensor of shape "
            f"{tuple(labels.shape)} and dtype {labels.dtype}. (Multi-label targets need another metric.)"
        )
    return labels if labels.dtype is torch.int64 else labels.long()


#: Rows within this distance of summing to 1 (and within [0, 1]) are probabilities.
_PROB_TOLERANCE = 1e-3 + 1e-5  # torch.allclose(sums, 1, atol=1e-3)


class _Batch(NamedTuple):
    """One batch waiting to be judged (tensors on the model's device)."""

    gt: torch.Tensor  # [B] true labels
    pred: torch.Tensor  # [B, C] scores (a copy), or [B] predicted labels
    scored: bool  # pred holds scores


#: Scores kept before the waiting batches are judged: 256 KB as float32, which stays in
#: the cache (a pass with 100,000 samples ran ~5 us per batch faster than with 4 MB chunks).
_CHUNK_SCORES = 1 << 16


def _is_real(value: Any) -> bool:
    """A real number (numpy scalars too), but not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


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
        self._pending: list[_Batch] = []  # before super().__init__, which sets results
        self._pending_scores = 0
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        from ..errors import ConfigError  # a ValueError: bad arguments are input errors

        ks = topk if isinstance(topk, (list, tuple)) else (topk,)
        if not ks or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in ks):
            raise ConfigError(f"Accuracy topk must be positive integers, got {topk!r}.")
        self.topk = tuple(int(k) for k in ks)
        # any real number counts, numpy's included (np.float32(0.5) from a computed config)
        many: tuple[Any, ...] | None = (thrs,) if thrs is None or _is_real(thrs) else None
        if many is None and not isinstance(thrs, (str, bytes)):
            try:
                many = tuple(thrs)  # type: ignore[arg-type]
            except TypeError:
                pass
        if many is None or any(thr is not None and not _is_real(thr) for thr in many):
            # float('x') failed in the constructor, a str at the first comparison
            from ..errors import ConfigTypeError

            raise ConfigTypeError(
                f"Accuracy thrs must be a number, None or a list of them, got {thrs!r}; "
                "e.g. thrs=(0.0, 0.5)."
            )
        self.thrs = many
        if not self.thrs:
            raise ConfigError("Accuracy thrs must name at least one threshold (or be None).")
        pairs = len(self.topk) * len(self.thrs)
        if pairs > _MAX_PAIRS:
            raise ConfigError(
                f"Accuracy reports at most {_MAX_PAIRS} (topk, threshold) pairs, got "
                f"{len(self.topk)} x {len(self.thrs)} = {pairs}; use fewer topk values or "
                f"thresholds (or two Accuracy metrics with different prefixes)."
            )
        # constants of _codes: k per row, thresholds per column (None: -inf), bit weights
        self._k_values = torch.tensor(self.topk).view(1, -1, 1)
        self._thr_values: torch.Tensor | None = None
        if any(thr is not None for thr in self.thrs):
            self._thr_values = torch.tensor(
                [float("-inf") if thr is None else float(thr) for thr in self.thrs]
            ).view(1, 1, -1)
            self._no_thr = torch.tensor([thr is None for thr in self.thrs]).view(1, 1, -1)
        self._bit_values = torch.tensor([1 << bit for bit in range(pairs)])
        # the default (top-1, threshold 0) and its kin are judged with one argmax
        self._top1_only = self.topk == (1,) and all(thr is None or thr <= 0 for thr in self.thrs)

    # -- results: one int per sample, worked out when read -------------------
    @property
    def results(self) -> list[Any]:
        """One int per sample (see ``process``); batches still pending are counted first."""
        if self._pending:
            self._judge_pending()
        return self._results

    @results.setter
    def results(self, value: list[Any]) -> None:
        self._pending, self._pending_scores = [], 0
        self._results = value

    def _judge_pending(self) -> None:
        pending, self._pending, self._pending_scores = self._pending, [], 0
        # runs of score batches and of label-only batches, in order
        for scored, run in itertools.groupby(pending, key=lambda b: b.scored):
            batches = list(run)
            codes = self._score_codes(batches) if scored else self._label_codes(batches)
            self._results.extend(codes.tolist())

    # -- reading the model's outputs ----------------------------------------
    def _read(
        self, data_batch: Any, data_samples: Any
    ) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor]:
        """``(scores [B, C] or None, predicted labels [B] or None, gt labels [B])``."""
        samples = data_samples
        if type(samples) is dict:  # the common case first: {'pred': ..., 'gt': ...}
            found = self._read_mapping(data_batch, samples)
            if found is not None:
                return found
        elif isinstance(samples, Sequence) and not isinstance(samples, (str, bytes)) and samples:
            head = samples[0]
            if isinstance(head, Mapping) or _first(head, _GT_KEYS) is not None:
                return self._read_per_sample(samples)
            if len(samples) == 2 and isinstance(head, torch.Tensor):
                return self._split_preds(samples[0]) + (
                    _labels(samples[1], "the second item of (logits, labels)"),
                )
        elif isinstance(samples, Mapping):
            found = self._read_mapping(data_batch, samples)
            if found is not None:
                return found
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

    def _read_mapping(
        self, data_batch: Any, samples: Mapping[str, Any]
    ) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor] | None:
        gt = _first(samples, _GT_KEYS)
        if gt is None:
            gt = _first(data_batch, _GT_KEYS) if isinstance(data_batch, Mapping) else None
        scores = _first(samples, _SCORE_KEYS)
        labels = _first(samples, _LABEL_KEYS)
        if gt is None or (scores is None and labels is None):
            return None
        if scores is not None:
            return self._split_preds(scores) + (_labels(gt, "the ground truth"),)
        return None, _labels(labels, "pred_label"), _labels(gt, "the ground truth")

    @staticmethod
    def _split_preds(pred: Any) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        pred = _as_tensor(pred)
        if pred.dim() == 2 and pred.is_floating_point():
            return (pred if pred.dtype is torch.float32 else pred.float()), None
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
        """Check the batch and keep a copy of its scores (or labels) to judge later.

        ``results`` then holds one int per sample: bit ``i * len(thrs) + j``
        is set when the sample is correct for ``(topk[i], thrs[j])``.
        """
        scores, labels, gt = self._read(data_batch, data_samples)
        if scores is None:
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
            self._pending.append(_Batch(gt, labels, False))
            return
        if scores.shape[0] != gt.shape[0]:
            raise ValueError(f"Accuracy: {scores.shape[0]} predictions but {gt.shape[0]} labels.")
        maxk = max(self.topk)
        if maxk > scores.shape[1]:
            from ..errors import ConfigError  # the metric's topk is wrong for this model

            raise ConfigError(
                f"Accuracy topk={self.topk} asks for top-{maxk} but the predictions have "
                f"only {scores.shape[1]} classes; lower topk."
            )
        # on a GPU a copy: the model may reuse its output buffer (CUDA graphs) before we judge
        kept = scores if scores.is_cpu else scores.clone()
        self._pending.append(_Batch(gt, kept, True))
        self._pending_scores += scores.numel()
        if self._pending_scores >= _CHUNK_SCORES:
            self._judge_pending()

    def _label_codes(self, batches: list[_Batch]) -> torch.Tensor:
        """Predicted labels: top-1 only, correct under every threshold (they need scores)."""
        pred = torch.cat([b.pred for b in batches])
        gt = _cat_on([b.gt for b in batches], pred.device)
        every = (1 << len(self.thrs)) - 1
        return pred.eq(gt).long().mul_(every).cpu()

    def _score_codes(self, batches: list[_Batch]) -> torch.Tensor:
        """Each sample's bits, for a run of score batches at once.

        Top-k is decided by the true class's rank: how many classes score
        above it (ties go to the lower class index, NaN scores rank highest,
        as ``torch.topk`` orders them), a few element-wise passes instead of
        a per-row sort. Thresholds compare the true class's probability: the
        score itself in a batch whose scores all lie in [0, 1] with rows
        summing to 1 (within 1e-3), else its softmax, as MMEngine/mmpretrain
        decide it batch by batch.
        """
        scores = torch.cat([b.pred for b in batches]) if len(batches) > 1 else batches[0].pred
        device = scores.device
        gt = _cat_on([b.gt for b in batches], device).view(-1, 1)
        classes = scores.shape[1]
        valid = (gt >= 0) & (gt < classes)
        true_score = scores.gather(1, gt.clamp(0, classes - 1))  # [N, 1]
        if self._top1_only:
            return self._top1_codes(scores, gt, valid, true_score)
        before = torch.arange(classes, device=device).view(1, -1) < gt  # lower class index
        above = (scores > true_score) | ((scores == true_score) & before) | scores.isnan()
        rank = above.sum(dim=1, keepdim=True).masked_fill_(~valid | true_score.isnan(), classes)
        ok = rank.view(-1, 1, 1) < self._k_values.to(device)  # [N, nk, 1]
        if self._thr_values is None:
            ok = ok.expand(-1, -1, len(self.thrs))
        else:
            sizes = [b.gt.shape[0] for b in batches]
            prob = self._true_class_probability(scores, true_score.view(-1), sizes)
            passed = prob.view(-1, 1, 1) > self._thr_values.to(device)  # [N, 1, nthr]
            # no threshold passes even a NaN probability (a true score of inf)
            ok = ok & (passed | self._no_thr.to(device))  # [N, nk, nthr]
        bits = ok.reshape(ok.shape[0], -1).long().mul_(self._bit_values.to(device))
        return bits.sum(dim=1).cpu()

    def _top1_codes(
        self, scores: torch.Tensor, gt: torch.Tensor, valid: torch.Tensor, true_score: torch.Tensor
    ) -> torch.Tensor:
        """``_score_codes`` for top-1 with thresholds that are None or <= 0: one pass, argmax.

        The same answer as the rank rule: ``argmax`` returns the first highest
        class and ranks NaN highest, so it is the label exactly when no class
        ranks above it. A top-1 true class has probability >= 1 / classes
        whether the batch holds probabilities or logits (then its softmax is
        1 / sum(exp(row - max))), so a threshold <= 0 only rules out a true
        score that is infinite or NaN (whose softmax is NaN).
        """
        true = true_score.view(-1)
        top1 = scores.argmax(dim=1).eq_(gt.view(-1)).logical_and_(valid.view(-1))
        codes = torch.zeros_like(true, dtype=torch.long)
        for j, thr in enumerate(self.thrs):
            finite = true.isnan().logical_not_() if thr is None else true.isfinite()
            codes.add_(finite.logical_and_(top1).long(), alpha=1 << j)
        return codes.cpu()

    @staticmethod
    def _true_class_probability(
        scores: torch.Tensor, true_score: torch.Tensor, sizes: list[int]
    ) -> torch.Tensor:
        """The true class's score in batches of probabilities, its softmax in the others."""
        high = scores.amax(dim=1)
        low = scores.amin(dim=1)
        total = scores.sum(dim=1)
        row_ok = (low >= 0) & (high <= 1) & (total.sub_(1).abs_() <= _PROB_TOLERANCE)
        lengths = torch.tensor(sizes, device=scores.device)
        if len(sizes) == 1:
            batch_ok = row_ok.all().view(1)
        else:  # a batch is probabilities when none of its rows is not: count bad rows
            bad = torch.cat((row_ok.new_zeros(1, dtype=torch.long), (~row_ok).long().cumsum(0)))
            ends = lengths.cumsum(0)
            batch_ok = bad[ends] == bad[ends - lengths]
        if bool(batch_ok.all()):
            return true_score
        # softmax of the true class alone: exp(s - max) / sum(exp(row - max))
        norm = scores.sub(high.view(-1, 1)).exp_().sum(dim=1)
        soft = true_score.sub(high).exp_().div_(norm)
        if not bool(batch_ok.any()):
            return soft
        return torch.where(batch_ok.repeat_interleave(lengths), true_score, soft)

    def compute_metrics(self, results: list[Any]) -> dict[str, float]:
        """Percent correct per (k, threshold)."""
        total = len(results)
        # few distinct codes (one per combination of bits): count them, then the bits
        counts = collections.Counter(results).items() if total else ()
        metrics: dict[str, float] = {}
        for i, k in enumerate(self.topk):
            for j, thr in enumerate(self.thrs):
                name = f"top{k}"
                if len(self.thrs) > 1:
                    name += "_no-thr" if thr is None else f"_thr-{thr:.2f}"
                bit = i * len(self.thrs) + j
                correct = sum(n for code, n in counts if int(code) >> bit & 1)
                metrics[name] = 100.0 * correct / total if total else 0.0
        return metrics


def _cat_on(tensors: list[torch.Tensor], device: torch.device) -> torch.Tensor:
    """``torch.cat`` on ``device``; labels may come from the data batch, on another device."""
    try:
        return torch.cat(tensors).to(device)
    except RuntimeError:  # spread over devices
        return torch.cat([t.to(device) for t in tensors])


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
