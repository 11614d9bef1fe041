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
    # class names as keys, spaces and all: folded beyond 20 (metric sets stay below)
    names = [*"abcdefghijklmnopqrstu", "traffic light"]
    named = {f"per_class/{name}": 1.0 for name in names}
    named["per_class/traffic light"] = 0.5
    assert summarise_groups(named) == {
        "per_class/*": "22 values, min 0.5 (traffic light), mean 0.9773"
    }
    first_20 = dict(list(named.items())[:20])
    assert summarise_groups(first_20) == first_20


def test_headline_metrics_that_share_a_prefix_stay_on_the_line() -> None:
    """A group fold hid mmdet's coco/bbox_mAP among its 12 bbox and segm values, mmpose's
    10 coco/AP values, mmpretrain's 9 accuracy/top<k>_thr values, LVIS's 9 per task and
    VOC's mAP beside its 10 thresholds."""
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
    lvis = {
        f"lvis/{kind}_{name}": 0.3
        for kind in ("bbox", "segm")
        for name in ("AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf")
    }
    voc = {**{f"pascal_voc/AP{t}": 0.5 for t in range(50, 100, 5)}, "pascal_voc/mAP": 0.5}
    for values in (coco, pose, topk, lvis, voc):
        assert summarise_groups(values) == values
    # mmdet's classwise=True: 80 per-class values folded, the headline kept
    classwise = {**coco, **{f"coco/class{c}_precision": c / 100 for c in range(80)}}
    shown = summarise_groups(classwise)
    assert list(shown) == [*coco, "coco/*_precision"]
    assert shown["coco/*_precision"].startswith("80 values, min 0 (class0_precision)")
    # the same values keyed bbox_<class>_precision: bbox_mAP stays
    classwise = {**coco, **{f"coco/bbox_class{c}_precision": c / 100 for c in range(80)}}
    assert list(summarise_groups(classwise)) == [*coco, "coco/*_precision"]


def test_small_groups_are_left_alone() -> None:
    values = {f"per_class/acc_{c}": float(c) for c in range(8)}
    assert summarise_groups(values) == values
