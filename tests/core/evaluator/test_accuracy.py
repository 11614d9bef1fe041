"""Accuracy: top-k numbers in percent, from every accepted form of model output."""

from __future__ import annotations

import pytest
import torch

from runner_core.evaluator.accuracy import Accuracy

# 4 samples, 3 classes. Ranks of the true class: 1st, 2nd, 3rd, 1st.
SCORES = torch.tensor(
    [
        [0.7, 0.2, 0.1],  # label 0: top1
        [0.5, 0.3, 0.2],  # label 1: top2
        [0.6, 0.3, 0.1],  # label 2: top3
        [0.1, 0.1, 0.8],  # label 2: top1
    ]
)
LABELS = torch.tensor([0, 1, 2, 2])


def _evaluate(
    metric: Accuracy, data_samples: object, data_batch: object = None
) -> dict[str, float]:
    metric.process(data_batch, data_samples)
    return metric.evaluate()


def test_topk_percent_with_mmpretrain_keys() -> None:
    result = _evaluate(Accuracy(topk=(1, 2, 3)), {"pred": SCORES, "gt": LABELS})
    assert result == {"accuracy/top1": 50.0, "accuracy/top2": 75.0, "accuracy/top3": 100.0}


def test_logits_give_the_same_topk_as_scores() -> None:
    logits = SCORES.log() * 3.0 - 1.0  # same ranking, not probabilities
    assert _evaluate(Accuracy(topk=(1, 2)), (logits, LABELS)) == {
        "accuracy/top1": 50.0,
        "accuracy/top2": 75.0,
    }


def test_per_sample_dicts_mmpretrain_style() -> None:
    samples = [
        {"pred_score": s, "gt_label": torch.tensor([int(y)])} for s, y in zip(SCORES, LABELS)
    ]
    assert _evaluate(Accuracy(topk=2), samples) == {"accuracy/top2": 75.0}
    labels_only = [
        {"pred_label": int(s.argmax()), "gt_label": int(y)} for s, y in zip(SCORES, LABELS)
    ]
    assert _evaluate(Accuracy(), labels_only) == {"accuracy/top1": 50.0}


def test_label_keys_and_batch_labels() -> None:
    for key in ("label", "target", "gt_label"):
        assert _evaluate(Accuracy(), {"pred": SCORES, key: LABELS}) == {"accuracy/top1": 50.0}
    # logits alone, labels from the data batch (a tuple or a dict)
    assert _evaluate(Accuracy(), SCORES, (torch.zeros(4, 2), LABELS)) == {"accuracy/top1": 50.0}
    assert _evaluate(Accuracy(), SCORES, {"inputs": None, "label": LABELS}) == {
        "accuracy/top1": 50.0
    }


def test_thresholds() -> None:
    metric = Accuracy(topk=(1, 2), thrs=(None, 0.6))
    result = _evaluate(metric, {"pred": SCORES, "gt": LABELS})
    assert result == {
        "accuracy/top1_no-thr": 50.0,
        "accuracy/top1_thr-0.60": 50.0,  # 0.7 and 0.8 pass
        "accuracy/top2_no-thr": 75.0,
        "accuracy/top2_thr-0.60": 50.0,  # sample 1's true class scores 0.3
    }


def test_many_batches_accumulate() -> None:
    metric = Accuracy()
    metric.process(None, {"pred": SCORES[:3], "gt": LABELS[:3]})
    metric.process(None, {"pred": SCORES[3:], "gt": LABELS[3:]})
    assert metric.evaluate() == {"accuracy/top1": 50.0}
    assert metric.evaluate() == {"accuracy/top1": 0.0}  # results were cleared


def test_unreadable_output_lists_accepted_forms() -> None:
    with pytest.raises(TypeError, match=r"Accepted forms: \(a\)"):
        Accuracy().process(None, {"loss": torch.tensor(1.0)})
    with pytest.raises(TypeError, match="cannot read"):
        Accuracy().process(None, "nonsense")


def test_topk_larger_than_classes_is_an_error() -> None:
    with pytest.raises(ValueError, match="only 3 classes"):
        Accuracy(topk=5).process(None, (SCORES, LABELS))


def test_labels_only_allow_top1_only() -> None:
    with pytest.raises(ValueError, match="top-1 alone"):
        Accuracy(topk=(1, 5)).process(
            None, {"pred_label": torch.tensor([0]), "gt_label": torch.tensor([0])}
        )


def test_float_labels_are_an_error() -> None:
    with pytest.raises(ValueError, match="one integer class label per sample"):
        Accuracy().process(None, (SCORES, torch.rand(4, 3)))
