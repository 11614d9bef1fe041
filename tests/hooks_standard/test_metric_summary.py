"""The validation line folds large families of per-class metrics; the scalars keep every
value."""

from __future__ import annotations

from runner_hooks_standard.metric_summary import summarise_groups


def test_family_of_more_than_eight_keys_becomes_one_summary_in_place() -> None:
    values = {"accuracy/top1": 97.0, **{f"per_class/acc_{c}": 90.0 + c for c in range(10)}}
    values["macro_f1"] = 0.95
    shown = summarise_groups(values)
    assert list(shown) == ["accuracy/top1", "per_class/acc_*", "macro_f1"]
    assert shown["per_class/acc_*"] == "10 values, min 90 (acc_0), mean 94.5"
    bare = {f"per_class/{name}": 1.0 for name in "abcdefghij"}  # class names as keys
    assert summarise_groups(bare) == {"per_class/*": "10 values, min 1 (a), mean 1"}


def test_headline_metrics_that_share_a_prefix_stay_on_the_line() -> None:
    """A group fold hid mmdet's coco/bbox_mAP among its 12 bbox and segm values, mmpose's
    10 coco/AP values and mmpretrain's 9 accuracy/top<k>_thr values."""
    coco = {
        f"coco/{kind}_{name}": 0.5
        for kind in ("bbox", "segm")
        for name in ("mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l")
    }
    pose = {
        f"coco/{name}{at}": 0.5
        for name in ("AP", "AR")
        for at in ("", " .5", " .75", " (M)", " (L)")
    }
    topk = {
        f"accuracy/top{k}_{thr}": 1.0
        for k in (1, 2, 3)
        for thr in ("thr-0.00", "thr-0.30", "no-thr")
    }
    for values in (coco, pose, topk):
        assert summarise_groups(values) == values
    # mmdet's classwise=True: 80 per-class values folded, the headline kept
    classwise = {**coco, **{f"coco/class{c}_precision": c / 100 for c in range(80)}}
    shown = summarise_groups(classwise)
    assert list(shown) == [*coco, "coco/*_precision"]
    assert shown["coco/*_precision"].startswith("80 values, min 0 (class0_precision)")


def test_small_groups_are_left_alone() -> None:
    values = {f"per_class/acc_{c}": float(c) for c in range(8)}
    assert summarise_groups(values) == values
