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


def _reference_percent(
    scores: torch.Tensor, labels: torch.Tensor, k: int, thr: float | None
) -> float:
    """The definition, one sample at a time: the label among the k best, scoring above thr."""
    probs = scores.softmax(dim=1)
    correct = 0
    for row, label in zip(probs, labels):
        values, indices = row.topk(k)
        correct += any(
            int(i) == int(label) and (thr is None or float(v) > thr)
            for v, i in zip(values, indices)
        )
    return 100.0 * correct / len(labels)


@pytest.mark.parametrize("chunk", [50, 1 << 20])  # judged every few batches, or at the end
@pytest.mark.parametrize("batch", [1, 7, 64])
def test_batched_counting_matches_the_definition(
    batch: int, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner_core.evaluator import accuracy

    monkeypatch.setattr(accuracy, "_CHUNK_SCORES", chunk)
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(200, 8, generator=gen) * 2
    labels = torch.randint(0, 8, (200,), generator=gen)
    topk, thrs = (1, 3, 5), (None, 0.1, 0.3)
    metric = Accuracy(topk=topk, thrs=thrs)
    for start in range(0, 200, batch):
        metric.process(
            None, {"pred": logits[start : start + batch], "gt": labels[start : start + batch]}
        )
    got = metric.evaluate()
    for k in topk:
        for thr in thrs:
            suffix = "_no-thr" if thr is None else f"_thr-{thr:.2f}"
            want = _reference_percent(logits, labels, k, thr)
            assert got[f"accuracy/top{k}{suffix}"] == pytest.approx(want), (k, thr)


def test_results_are_one_untracked_int_per_sample() -> None:
    """Nothing per sample for the garbage collector or the CPU move to walk."""
    import gc

    metric = Accuracy(topk=(1, 2), thrs=(None, 0.5))
    metric.process(None, (SCORES, LABELS))
    assert len(metric.results) == 4
    assert all(type(r) is int and not gc.is_tracked(r) for r in metric.results)
    # sample 0 is top-1 with 0.7 > 0.5: all four (k, thr) bits; sample 2 is only top-3
    assert metric.results[0] == 0b1111 and metric.results[2] == 0


def test_too_many_topk_threshold_pairs_is_a_config_error() -> None:
    from runner_core.errors import ConfigError

    with pytest.raises(ConfigError, match="at most 62"):
        Accuracy(topk=tuple(range(1, 17)), thrs=(None, 0.1, 0.2, 0.3))


def test_each_batch_is_judged_probabilities_or_logits_on_its_own() -> None:
    # batch 1: probabilities where the true class of sample 1 has probability 0 (top-2, thr 0 fails);
    # batch 2: the same numbers as logits, where softmax makes every probability positive
    probs = torch.tensor([[0.6, 0.4, 0.0], [1.0, 0.0, 0.0]])
    labels = torch.tensor([0, 1])
    metric = Accuracy(topk=(1, 2), thrs=0.0)
    metric.process(None, (probs, labels))
    metric.process(None, (probs * 5.0, labels))
    assert metric.results == [0b11, 0b00, 0b11, 0b10]
    assert metric.evaluate() == {"accuracy/top1": 50.0, "accuracy/top2": 75.0}


def test_label_batches_and_score_batches_keep_their_order() -> None:
    metric = Accuracy(thrs=(None, 0.9))
    metric.process(None, {"pred_label": torch.tensor([1, 0]), "gt_label": torch.tensor([1, 1])})
    metric.process(None, (SCORES[:2], LABELS[:2]))  # top-1 at 0.7: passes None, not 0.9
    metric.process(None, {"pred_label": torch.tensor([2]), "gt_label": torch.tensor([2])})
    assert metric.results == [0b11, 0b00, 0b01, 0b00, 0b11]


def test_assigning_results_drops_pending_batches() -> None:
    metric = Accuracy()
    metric.process(None, (SCORES, LABELS))
    metric.results = []
    assert metric.evaluate() == {"accuracy/top1": 0.0}


def test_padding_samples_are_cut_by_size() -> None:
    metric = Accuracy()
    metric.process(None, (SCORES, LABELS))  # samples 1 and 2 are wrong at top-1
    assert metric.evaluate(size=1) == {"accuracy/top1": 100.0}


@pytest.mark.parametrize("probabilities", [False, True])
def test_top1_shortcut_agrees_with_the_rank_rule_on_ties_nan_and_inf(probabilities: bool) -> None:
    """Top-1 with thresholds None / <= 0 is judged by argmax; topk=(1, 2) takes the rank rule."""
    gen = torch.Generator().manual_seed(5)
    scores = torch.randint(-2, 3, (400, 6), generator=gen).float()  # many ties
    if probabilities:
        scores = scores.softmax(dim=1)
        scores[:40] = 0.0  # rows of zeros: not probabilities, judged as logits
        scores[40:80] = torch.nn.functional.one_hot(torch.arange(40) % 6, 6).float()
    else:
        scores[::7, 2] = float("nan")
        scores[::11, 4] = float("inf")
        scores[::13, 1] = float("-inf")
        scores[::17] = float("-inf")
    labels = torch.randint(0, 6, (400,), generator=gen)
    labels[::19] = -1  # an ignore label: never correct
    thrs = (None, 0.0, -0.5)
    shortcut, rank_rule = Accuracy(topk=1, thrs=thrs), Accuracy(topk=(1, 2), thrs=thrs)
    for start in range(0, 400, 32):
        batch = {"pred": scores[start : start + 32], "gt": labels[start : start + 32]}
        shortcut.process(None, batch)
        rank_rule.process(None, batch)
    got, want = shortcut.evaluate(), rank_rule.evaluate()
    assert got == {key: value for key, value in want.items() if "top1" in key}
    assert 0 < got["accuracy/top1_thr-0.00"] < got["accuracy/top1_no-thr"] or probabilities


def test_no_threshold_column_ignores_the_other_thresholds() -> None:
    # a true score of +inf is top-1; its softmax is NaN, which only a threshold can fail
    scores = torch.tensor([[float("inf"), 0.0, 0.0], [0.0, 2.0, 1.0]])
    labels = torch.tensor([0, 1])
    alone = Accuracy(topk=(1, 2), thrs=None)
    mixed = Accuracy(topk=(1, 2), thrs=(None, 0.5))
    for metric in (alone, mixed):
        metric.process(None, (scores, labels))
    got = mixed.evaluate()
    assert alone.evaluate() == {"accuracy/top1": 100.0, "accuracy/top2": 100.0}
    assert got["accuracy/top1_no-thr"] == 100.0 and got["accuracy/top1_thr-0.50"] == 50.0
