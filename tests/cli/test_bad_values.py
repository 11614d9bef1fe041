"""Bad values are input errors: exit 2, one paragraph naming the key and value, before training."""

from __future__ import annotations

import pytest

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
