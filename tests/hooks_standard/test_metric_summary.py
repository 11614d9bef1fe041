"""The validation line folds large metric groups; the scalars keep every value."""

from __future__ import annotations

from runner_hooks_standard.metric_summary import summarise_groups


def test_group_of_more_than_eight_keys_becomes_one_summary_in_place() -> None:
    values = {"accuracy/top1": 97.0, **{f"per_class/acc_{c}": 90.0 + c for c in range(10)}}
    values["macro_f1"] = 0.95
    shown = summarise_groups(values)
    assert list(shown) == ["accuracy/top1", "per_class/*", "macro_f1"]
    assert shown["per_class/*"] == "10 values, min 90 (acc_0), mean 94.5"


def test_small_groups_are_left_alone() -> None:
    values = {f"per_class/acc_{c}": float(c) for c in range(8)}
    assert summarise_groups(values) == values
