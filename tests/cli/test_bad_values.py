"""Bad values are input errors: exit 2, one paragraph naming the key and value, before training."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import _env, write_config

CASES = [
    # (extra config lines or --cfg-options, words the message must hold)
    ("optim_wrapper.optimizer.lr=abc", ["optim_wrapper.optimizer.lr='abc'", "number >= 0"]),
    ("optim_wrapper.optimizer.lr=-1", ["optim_wrapper.optimizer.lr=-1", "number >= 0"]),
    ("optim_wrapper.optimizer.momentum=-1", ["optim_wrapper.optimizer (SGD)", "momentum"]),
    ("train_dataloader.num_workers=2.5", ["train_dataloader.num_workers=2.5", "integer >= 0"]),
    ("randomness.seed=abc", ["randomness.seed='abc'", "integer"]),
    ("log_processor.window_size=0", ["log_processor.window_size=0", "integer >= 1"]),
    ("default_hooks.checkpoint.max_keep_ckpts=abc", ["max_keep_ckpts='abc'", "integer"]),
    ("log_level=LOUD", ["log_level='LOUD'"]),
    ("load_from=nope.pth", ["load_from='nope.pth' does not exist"]),
    ("randomness.deterministic=maybe", ["randomness.deterministic='maybe'", "True or False"]),
    ("val_evaluator.topk=0", ["Accuracy topk must be positive integers, got 0"]),
    (
        "custom_hooks = [dict(type='EarlyStoppingHook', monitor='accuracy/top1', min_delta='x')]",
        ["EarlyStoppingHook min_delta='x'", "number"],
    ),
    (
        "param_scheduler = [dict(type='MultiStepLR', milestones=[1], gamma='x')]",
        ["param_scheduler[0].gamma='x'", "number"],
    ),
]


@pytest.mark.parametrize(("setting", "words"), CASES, ids=[c[0][:40] for c in CASES])
def test_bad_value_is_an_input_error_before_training(cli, tiny_config, tmp_path, setting, words):
    if "=" in setting.split(" ", 1)[0] and " " not in setting.split("=", 1)[0]:
        config, extra = tiny_config(), ["--cfg-options", setting]
    else:
        config, extra = tiny_config(setting + "\n"), []
    done = cli("train", str(config), "--work-dir", "wd", *extra)
    assert done.returncode == 2, (done.returncode, done.stderr)
    message = done.stderr.strip()
    assert message.startswith("runner-cli: error:") and "\n" not in message, message
    for word in words:
        assert word in message, (word, message)
    assert "unexpected" not in message
    assert "Epoch(train)" not in done.stdout
    assert not list((tmp_path / "wd").glob("*.pth"))


def test_600_deep_cfg_options_is_a_clear_error(cli, tiny_config):
    config = tiny_config()
    deep_key = cli("train", str(config), "--cfg-options", ".".join(["a"] * 600) + "=1")
    assert deep_key.returncode == 2 and "600 levels" in deep_key.stderr, deep_key.stderr
    deep_value = cli("train", str(config), "--cfg-options", "x=" + "[" * 600 + "]" * 600)
    assert deep_value.returncode == 2, deep_value.stderr
    assert "RecursionError" not in deep_value.stderr and "nest" in deep_value.stderr


# -- many cases in one process ------------------------------------------------------------
#: (extra config lines, words the message must hold, whether it fails before training).
#: Each once printed "unexpected <Type>" (or trained on, or hung) before it was checked.
BATCHED = [
    ("train_dataloader.update(timeout='abc')", ["train_dataloader.timeout='abc'", "number >= 0"]),
    ("train_dataloader.update(timeout=-1, num_workers=1)", ["train_dataloader.timeout=-1"]),
    (
        "train_dataloader.update(collate_fn=dict(type='default_collate', foo=1))",
        ["train_dataloader.collate_fn", "'foo'", "Its arguments are: data_batch"],
    ),
    (
        "train_dataloader.update(shuffle=False, sampler=dict(type='DefaultSampler', seed='x'))",
        ["train_dataloader.sampler.seed='x'", "integer"],
    ),
    (
        "train_dataloader.update(shuffle=False, sampler=dict(type='InfiniteSampler'))",
        ["train_dataloader.sampler is an InfiniteSampler", "by_epoch=False, max_iters=N"],
    ),
    (
        "train_dataloader.update(shuffle=False, sampler='DefaultSampler')",
        ["train_dataloader.sampler is the string", "sampler=dict(type='DefaultSampler', ...)"],
    ),
    ("train_dataloader = 'x'", ["train_dataloader is the string 'x'"]),
    ("train_dataloader = [train_dataloader]", ["train_dataloader is a list of 1 dataloader"]),
    (
        "train_dataloader = dict(train_dataloader),",
        ["train_dataloader is a tuple", "trailing comma (`train_dataloader = dict(...),`)"],
    ),
    ("val_dataloader = 'x'", ["val_dataloader is the string 'x'"]),
    ("optim_wrapper = dict(optimizer=None)", ["optim_wrapper.optimizer must be a dict"]),
    ("optim_wrapper = dict(optimizer='SGD')", ["optim_wrapper.optimizer must be a dict", "'SGD'"]),
    (
        "optim_wrapper.update(clip_grad=dict(max_norm=1, norm_type='abc'))",
        ["optim_wrapper.clip_grad.norm_type='abc'", "number"],
    ),
    (
        "optim_wrapper.update(paramwise_cfg=dict(bias_lr_mult='abc'))",
        ["optim_wrapper.paramwise_cfg.bias_lr_mult='abc'", "number >= 0"],
    ),
    (
        "optim_wrapper.update(paramwise_cfg=dict(custom_keys=dict(fc=dict(lr_mult=-1))))",
        ["optim_wrapper.paramwise_cfg.custom_keys.fc.lr_mult=-1", "number >= 0"],
    ),
    (
        "optim_wrapper.update(type='AmpOptimWrapper', loss_scale=-1)",
        ["loss_scale=-1", "number > 0"],
    ),
    (
        "param_scheduler = dict(type='StepLR', step_size=1, begin='x')",
        ["param_scheduler.begin='x'", "number"],
    ),
    (
        "param_scheduler = dict(type='StepLR', step_size=1, begin=3, end=2)",
        ["needs end > begin, got begin=3, end=2"],
    ),
    (
        "param_scheduler = dict(type='ReduceOnPlateauLR', monitor='nope/metric')",
        ["ReduceOnPlateauLR monitors 'nope/metric'", "param_scheduler"],
        False,  # the metrics are known after the first validation
    ),
    ("default_hooks.update(logger=dict(out_dir=[1]))", ["LoggerHook out_dir", "[1]"]),
    ("default_hooks.update(logger=dict(out_suffix=5))", ["LoggerHook out_suffix", "got 5"]),
    ("default_hooks = dict(checkpoint=dict(out_dir=5))", ["CheckpointHook: out_dir", "got 5"]),
    (
        "default_hooks = dict(checkpoint=dict(save_best='auto', rule=5))",
        ["CheckpointHook: rule must be", "got 5"],
    ),
    (
        "custom_hooks = [dict(type='EMAHook', momentum='x')]",
        ["momentum must be a number, got 'x'"],
    ),
    ("log_processor = dict(num_digits='x')", ["log_processor.num_digits='x'", "integer >= 0"]),
    ("log_processor = dict(mean_pattern='(')", ["log_processor.mean_pattern='('", "regular"]),
    ("log_processor = dict(mean_pattern=5)", ["log_processor.mean_pattern must be", "got 5"]),
    ("visualizer = 'x'", ["visualizer must be a dict", "got str: 'x'"]),
    (
        "visualizer = dict(vis_backends=['LocalVisBackend'])",
        ["visualizer.vis_backends[0] is the string", "dict(type='LocalVisBackend')"],
    ),
    ("env_cfg = dict(mp_cfg='x')", ["env_cfg.mp_cfg is 'x'", "dict of options"]),
    ("env_cfg = dict(dist_cfg='x')", ["env_cfg.dist_cfg is 'x'"]),
    (
        "env_cfg = dict(mp_cfg=dict(omp_num_threads=0))",
        ["env_cfg.mp_cfg.omp_num_threads=0", "1 or more"],
    ),
    ("randomness = dict(seed=2**70)", ["randomness.seed=", "below 2**63"]),
    ("load_cfg = 'x'", ["load_cfg is 'x'", "dict of options"]),
    (
        "val_evaluator = dict(type='Accuracy', collect_device='tpu')",
        ["collect_device must be 'cpu', 'gpu' or 'npu', got 'tpu'"],
    ),
    ("val_evaluator = dict(type='Accuracy', thrs='x')", ["Accuracy thrs must be", "'x'"]),
    (
        "val_evaluator = dict(type='Accuracy', topk=(1, 5))",
        ["Accuracy topk=(1, 5) asks for top-5", "2 classes"],
        False,  # the number of classes is known at the first batch
    ),
    ("val_evaluator = 'Accuracy'", ["val_evaluator is the string 'Accuracy'"]),
    ("val_evaluator = [dict(type='Accuracy'), 'x']", ["val_evaluator[1] is the string 'x'"]),
    (
        "val_evaluator = dict(type='Evaluator', metrics='Accuracy')",
        ["val_evaluator.metrics is the string 'Accuracy'"],
    ),
    (
        "val_evaluator = dict(type='Evaluator', metrcs=[])",
        ["'metrcs' (at 'val_evaluator.metrcs')"],
    ),
    ("default_scope = 5", ["default_scope=5 is not valid"]),
    ("default_hooks_set = 5", ["default_hooks_set=5 is not valid"]),
    ("runner_type = 5", ["runner_type=5 is not valid"]),
    (
        "train_cfg = dict(by_epoch=True, max_epochs=2)\nval_cfg = dict(interval=0)",
        ["val_cfg.interval=0", "integer >= 1"],
    ),
]

#: runs runner-cli's main() on each case folder in turn; one torch import for all of them
_BATCH = """
import contextlib, io, json, os, pathlib, sys
from runner_cli.main import main
results = {}
for folder in sorted(pathlib.Path(sys.argv[1]).glob("case*")):
    os.chdir(folder)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(["train", "c.py", "--work-dir", "wd"])
        except BaseException as exc:
            status = f"raised {type(exc).__name__}: {exc}"
    results[folder.name] = {
        "status": status,
        "stderr": err.getvalue(),
        "trained": "Epoch(train)" in out.getvalue() + err.getvalue(),
        "checkpoints": [p.name for p in folder.glob("wd/*.pth")],
    }
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def batched(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("bad_values")
    for i, case in enumerate(BATCHED):
        (root / f"case{i:03d}").mkdir()
        write_config(root / f"case{i:03d}", "c.py", case[0] + "\n")
    done = subprocess.run(
        [sys.executable, "-c", _BATCH, str(root)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("index", range(len(BATCHED)), ids=[c[0][:40] for c in BATCHED])
def test_bad_value_batched(batched: dict, index: int) -> None:
    setting, words, *when = BATCHED[index]
    before_training = when[0] if when else True
    result = batched[f"case{index:03d}"]
    message = result["stderr"].strip().splitlines()[-1] if result["stderr"].strip() else ""
    assert result["status"] == 2, (setting, result["status"], result["stderr"][-2000:])
    assert message.startswith("runner-cli: error:"), (setting, result["stderr"][-2000:])
    assert "unexpected" not in message.split(":", 2)[-1][:12], message
    assert "Traceback" not in result["stderr"]
    for word in words:
        assert word in message, (word, message)
    if before_training:
        assert not result["trained"], (setting, message)
        assert not result["checkpoints"], setting


def test_failing_custom_import_names_the_module(cli, tiny_config, tmp_path) -> None:
    """A module of custom_imports that raises keeps its error, and says which module it was."""
    (tmp_path / "raises_on_import.py").write_text("raise RuntimeError('boom at import')\n")
    config = tiny_config("custom_imports = dict(imports=['tiny_task', 'raises_on_import'])\n")
    done = cli("config", "dump", str(config), path=[str(tmp_path)])
    assert done.returncode == 1, done.stderr
    assert "RuntimeError: boom at import" in done.stderr
    assert "Raised in module 'raises_on_import', imported by custom_imports of" in done.stderr
