"""The runner-digits example plugin: each component, and the main run end to end.

Everything here is found through the entry points of the installed
``runner-digits`` distribution (``scripts/bootstrap.sh`` installs it
editable); nothing registers in-process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

pytest.importorskip("runner_digits", reason="runner-digits is not installed (scripts/bootstrap.sh)")
pytest.importorskip("sklearn")

from runner_core import Config, Runner  # noqa: E402
from runner_core.errors import ConfigError, PluginError  # noqa: E402
from runner_core.registry import (  # noqa: E402
    DATASETS,
    DEFAULT_HOOK_SETS,
    HOOKS,
    LOOPS,
    METRICS,
    MODELS,
    TRANSFORMS,
)

CONFIGS = Path(__file__).resolve().parents[2] / "examples" / "digits-lib" / "configs"
MAIN = CONFIGS / "digits_cnn_epoch.py"


def cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "runner_cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def runner_from(config: Path, work_dir: Path, **overrides: Any) -> Runner:
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict({"work_dir": str(work_dir), **overrides})
    return Runner.from_cfg(cfg)


# -- the main run, through the CLI -------------------------------------------------------
@pytest.mark.slow
def test_main_config_trains_to_97_percent_test_accuracy_through_the_cli(tmp_path: Path) -> None:
    work = tmp_path / "work"
    train = cli("train", str(MAIN), "--work-dir", str(work), cwd=tmp_path)
    assert train.returncode == 0, train.stderr[-3000:]

    checkpoint = str(work / (work / "last_checkpoint").read_text().strip())
    assert Path(checkpoint).name == "epoch_10.pth" and Path(checkpoint).is_file()
    assert list(work.glob("best_accuracy_top1_epoch_*.pth"))
    test = cli("test", str(MAIN), checkpoint, "--work-dir", str(work), cwd=tmp_path)
    assert test.returncode == 0, test.stderr[-3000:]
    metrics = dict(line.split(": ", 1) for line in test.stdout.strip().splitlines())
    assert float(metrics["accuracy/top1"]) >= 97.0, test.stdout
    assert float(metrics["digits/macro_f1"]) >= 97.0
    assert {f"per_class/acc_{c}" for c in range(10)} <= set(metrics)

    run_dir = Path(checkpoint).parent / sorted(p.name for p in work.iterdir() if p.is_dir())[0]
    records = [
        json.loads(line)
        for line in (run_dir / "vis_data" / "scalars.json").read_text().splitlines()
    ]
    assert any("loss" in r for r in records) and any("accuracy/top1" in r for r in records)
    assert list((run_dir / "vis_data" / "tensorboard").glob("events.out.tfevents.*"))
    best = json.loads((run_dir / "best_accuracy.json").read_text())
    assert best["metric"] == "accuracy/top1" and best["best"] >= 97.0
    assert (run_dir / "confusion_matrix.txt").read_text().startswith("true\\pred")

    pytest.importorskip("matplotlib")
    plot = cli("plot", str(work), "--out", str(tmp_path / "curves.png"), cwd=tmp_path)
    assert plot.returncode == 0, plot.stderr[-2000:]
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- registration through entry points ---------------------------------------------------
def test_every_component_is_offered_by_the_runner_digits_distribution() -> None:
    offered = {
        DATASETS: ["DigitsDataset"],
        TRANSFORMS: ["RandomShift", "GaussianNoise"],
        MODELS: ["DigitsCNN"],
        METRICS: ["MacroF1"],
        HOOKS: ["BestAccuracyHook", "DigitsCheckpointHook"],
        LOOPS: ["PerClassValLoop"],
        DEFAULT_HOOK_SETS: ["digits"],
    }
    for registry, keys in offered.items():
        for key in keys:
            (entry,) = registry.entry_points(key)
            assert entry.distribution == "runner-digits"
            assert registry.get(key) is not None


# -- dataset -------------------------------------------------------------------------------
def test_dataset_splits_are_disjoint_fixed_and_cover_all_digits() -> None:
    from runner_digits.dataset import split_indices

    sizes = {
        split: len(DATASETS.build({"type": "DigitsDataset", "split": split}))
        for split in ("train", "val", "test")
    }
    assert sizes == {"train": 1257, "val": 269, "test": 271}
    parts = [set(split_indices(s, 1797).tolist()) for s in ("train", "val", "test")]
    assert set().union(*parts) == set(range(1797)) and sum(map(len, parts)) == 1797
    assert torch.equal(split_indices("test", 1797), split_indices("test", 1797))

    sample = DATASETS.build({"type": "DigitsDataset", "split": "val"})[0]
    assert sample["inputs"].shape == (1, 8, 8) and sample["inputs"].dtype == torch.float32
    assert 0.0 <= float(sample["inputs"].min()) and float(sample["inputs"].max()) <= 1.0
    assert sample["labels"].dtype == torch.int64


def test_dataset_applies_its_pipeline_and_rejects_unknown_splits() -> None:
    ds = DATASETS.build(
        {
            "type": "DigitsDataset",
            "split": "val",
            "pipeline": [{"type": "GaussianNoise", "std": 0.5}],
        }
    )
    plain = DATASETS.build({"type": "DigitsDataset", "split": "val"})
    assert not torch.equal(ds[0]["inputs"], plain[0]["inputs"])
    with pytest.raises(ConfigError, match="Did you mean 'val'"):
        DATASETS.build({"type": "DigitsDataset", "split": "vall"})


# -- model -----------------------------------------------------------------------------------
def test_model_outputs_per_mode() -> None:
    model = MODELS.build({"type": "DigitsCNN"})
    x, y = torch.rand(5, 1, 8, 8), torch.tensor([0, 1, 2, 3, 4])
    assert model(x).shape == (5, 10)
    loss = model(x, y, mode="loss")
    assert set(loss) == {"loss"} and loss["loss"].dim() == 0
    predicted = model(x, y, mode="predict")
    assert predicted["pred"].shape == (5, 10) and torch.equal(predicted["gt"], y)
    with pytest.raises(ValueError, match="unknown mode"):
        model(x, mode="logits")


# -- transforms --------------------------------------------------------------------------------
def test_random_shift_is_a_shift_and_follows_the_torch_seed() -> None:
    shift = TRANSFORMS.build({"type": "RandomShift", "max_shift": 1})
    image = torch.zeros(1, 8, 8)
    image[0, 3, 4] = 1.0
    seen = set()
    for seed in range(100):
        torch.manual_seed(seed)
        out = shift({"inputs": image, "labels": torch.tensor(3)})
        torch.manual_seed(seed)
        again = shift({"inputs": image, "labels": torch.tensor(3)})
        assert torch.equal(out["inputs"], again["inputs"])  # same seed, same draw
        (y, x) = (out["inputs"][0] == 1).nonzero()[0].tolist()
        assert abs(y - 3) <= 1 and abs(x - 4) <= 1 and float(out["inputs"].sum()) == 1.0
        seen.add((y, x))
    assert len(seen) == 9  # every shift in [-1, 1]^2 happens
    off = TRANSFORMS.build({"type": "RandomShift", "max_shift": 1, "prob": 0.0})
    assert torch.equal(off({"inputs": image})["inputs"], image)


# -- metric ---------------------------------------------------------------------------------------
def test_macro_f1_matches_a_hand_computation() -> None:
    metric = METRICS.build({"type": "MacroF1", "num_classes": 3, "per_class": True})
    logits = torch.eye(3)[[0, 0, 1, 2, 2, 2]]  # predictions 0 0 1 2 2 2
    metric.process(None, {"pred": logits, "gt": torch.tensor([0, 1, 1, 2, 2, 0])})
    result = metric.evaluate(6)
    # class 0: tp 1, fp 1, fn 1 -> 1/2; class 1: tp 1, fp 0, fn 1 -> 2/3; class 2: tp 2, fp 1, fn 0 -> 4/5
    expected = [50.0, 200 / 3, 80.0]
    assert result["digits/f1_0"] == pytest.approx(expected[0])
    assert result["digits/f1_1"] == pytest.approx(expected[1])
    assert result["digits/f1_2"] == pytest.approx(expected[2])
    assert result["digits/macro_f1"] == pytest.approx(sum(expected) / 3)


# -- hooks --------------------------------------------------------------------------------------------
class _FakeRunner:
    def __init__(self, log_dir: Path) -> None:
        import logging

        self.log_dir = log_dir
        self.epoch, self.iter, self.rank = 0, 0, 0
        self.logger = logging.getLogger("test_digits_lib")


def test_best_accuracy_hook_writes_the_best_score_and_its_confusion_matrix(tmp_path: Path) -> None:
    hook = HOOKS.build({"type": "BestAccuracyHook", "num_classes": 3})
    runner = _FakeRunner(tmp_path)

    def validate(epoch: int, pred: list[int], true: list[int], acc: float) -> None:
        runner.epoch, runner.iter = epoch, epoch * 10
        hook.before_val_epoch()
        hook.after_val_iter({"pred": torch.eye(3)[pred], "gt": torch.tensor(true)})
        hook.after_val_epoch(runner, {"accuracy/top1": acc})

    validate(1, [0, 1, 1], [0, 1, 2], 66.7)
    validate(2, [0, 1, 2], [0, 1, 2], 100.0)
    validate(3, [0, 0, 0], [0, 1, 2], 33.3)  # worse: files keep epoch 2
    best = json.loads((tmp_path / "best_accuracy.json").read_text())
    assert best == {"metric": "accuracy/top1", "best": 100.0, "epoch": 2, "iter": 20}
    rows = (tmp_path / "confusion_matrix.txt").read_text().splitlines()
    assert [row.split()[1:] for row in rows[1:]] == [
        ["1", "0", "0"],
        ["0", "1", "0"],
        ["0", "0", "1"],
    ]

    resumed = HOOKS.build({"type": "BestAccuracyHook"})
    resumed.load_state_dict(hook.state_dict())
    assert (resumed.best, resumed.best_epoch) == (100.0, 2)


# -- loop ------------------------------------------------------------------------------------------------
def test_per_class_loop_adds_per_class_accuracy_and_calls_its_hook_point(tmp_path: Path) -> None:
    from runner_core.hooks import Hook

    seen: dict[str, Any] = {}

    class Recorder(Hook):
        def after_per_class_accuracy(self, per_class: dict[int, float]) -> None:
            seen.update(per_class)

    runner = runner_from(MAIN, tmp_path, custom_hooks=[])
    runner.register_hook(Recorder())
    metrics = runner.val()
    assert {f"per_class/acc_{c}" for c in range(10)} <= set(metrics)
    assert sorted(seen) == list(range(10))
    assert metrics["per_class/acc_4"] == pytest.approx(seen[4])
    assert all(0.0 <= v <= 100.0 for v in seen.values())

    # under test_cfg it runs the test hook points
    tested = runner.test()
    assert {"accuracy/top1", "digits/macro_f1", "per_class/acc_0"} <= set(tested)


# -- configs ------------------------------------------------------------------------------------------------
def test_the_bf16_config_inherits_the_main_one_and_overrides_a_few_keys() -> None:
    main, bf16 = Config.fromfile(str(MAIN)), Config.fromfile(str(CONFIGS / "digits_cnn_bf16.py"))
    assert bf16.optim_wrapper.type == "AmpOptimWrapper" and bf16.optim_wrapper.dtype == "bfloat16"
    assert bf16.optim_wrapper.optimizer.lr == 4e-3
    assert bf16.train_dataloader.batch_size == 64
    assert bf16.train_dataloader.dataset == main.train_dataloader.dataset  # inherited, merged
    assert bf16.param_scheduler == main.param_scheduler
    assert [b.type for b in bf16.visualizer.vis_backends] == [
        "LocalVisBackend",
        "TensorBoardVisBackend",
    ]


def test_the_iteration_config_replaces_the_epoch_loop(tmp_path: Path) -> None:
    cfg = Config.fromfile(str(CONFIGS / "digits_cnn_iter.py"))
    assert dict(cfg.train_cfg) == {"by_epoch": False, "max_iters": 500, "val_interval": 100}
    assert cfg.default_hooks.checkpoint.type == "CheckpointHook"  # merged into the base's
    assert cfg.default_hooks.checkpoint.by_epoch is False
    runner = runner_from(CONFIGS / "digits_cnn_iter.py", tmp_path)
    assert type(runner.train_loop).__name__ == "IterBasedTrainLoop"


def test_bf16_config_trains_under_autocast(tmp_path: Path) -> None:
    runner = runner_from(
        CONFIGS / "digits_cnn_bf16.py", tmp_path, train_cfg=dict(by_epoch=True, max_epochs=1)
    )
    runner.train()
    assert type(runner.optim_wrapper).__name__ == "AmpOptimWrapper"
    assert runner.optim_wrapper.cast_dtype is torch.bfloat16
    assert (tmp_path / "epoch_1.pth").is_file()


def _checkpoint_hook(runner: Runner) -> Any:
    (hook,) = [h for h in runner.hooks if runner.hooks.role_of(h) == "checkpoint"]
    return hook


def test_own_hooks_config_swaps_the_checkpoint_hook(tmp_path: Path) -> None:
    runner = runner_from(CONFIGS / "digits_cnn_own_hooks.py", tmp_path)
    hook = _checkpoint_hook(runner)
    assert type(hook).__name__ == "DigitsCheckpointHook"
    assert hook.max_keep_ckpts == 1 and hook.save_best == ["accuracy/top1"]


def test_the_digits_default_hooks_set_is_chosen_by_config_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    standard_roles = set(DEFAULT_HOOK_SETS.get("standard")())
    assert set(DEFAULT_HOOK_SETS.get("digits")()) == standard_roles

    plain = runner_from(MAIN, tmp_path / "a", default_hooks=None)
    assert plain.default_hooks_set == "standard"
    assert type(_checkpoint_hook(plain)).__name__ == "CheckpointHook"

    by_cfg = runner_from(MAIN, tmp_path / "b", default_hooks=None, default_hooks_set="digits")
    assert by_cfg.default_hooks_set == "digits"
    assert type(_checkpoint_hook(by_cfg)).__name__ == "DigitsCheckpointHook"

    monkeypatch.setenv("RUNNER_DEFAULT_HOOKS", "digits")
    by_env = runner_from(MAIN, tmp_path / "c", default_hooks=None)
    assert type(_checkpoint_hook(by_env)).__name__ == "DigitsCheckpointHook"


def test_the_digits_set_survives_another_plugins_standard_set(
    fake_dist: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second distribution's set called 'standard' does not break the sets built on ours."""
    monkeypatch.setattr(DEFAULT_HOOK_SETS, "_loaded", {})  # as found by a fresh process
    fake_dist(
        "other-hooks",
        {"runner.default_hooks": {"standard": "other_sets:standard"}},
        {"other_sets": "def standard():\n    return {'timer': None}\n"},
    )
    with pytest.raises(PluginError, match="other-hooks"):
        DEFAULT_HOOK_SETS.get("standard")
    hooks = DEFAULT_HOOK_SETS.get("digits")()
    assert hooks["checkpoint"] == {"type": "DigitsCheckpointHook"}
    assert hooks["timer"] is not None and "logger" in hooks


def test_validation_line_is_short_and_training_ends_naming_the_best_checkpoint(
    tmp_path: Path,
) -> None:
    runner = runner_from(MAIN, tmp_path, train_cfg=dict(by_epoch=True, max_epochs=1))
    runner.train()
    log = next(runner.log_dir.glob("*.log")).read_text().splitlines()
    val = [line for line in log if "Epoch(val)" in line]
    assert len(val) == 1 and len(val[0]) < 250, val
    assert "per_class/acc_*: 10 values, min " in val[0] and "per_class/acc_0" not in val[0]
    assert "accuracy/top1: " in val[0] and "digits/macro_f1: " in val[0]
    # every per-class value is still in the scalars file
    records = [json.loads(r) for r in (runner.log_dir / "vis_data" / "scalars.json").open()]
    assert any("per_class/acc_9" in r for r in records)
    best = [line for line in log if "Best accuracy/top1: " in line]
    assert len(best) == 1 and best[0].endswith(
        " at epoch 1; checkpoint: best_accuracy_top1_epoch_1.pth"
    ), best
