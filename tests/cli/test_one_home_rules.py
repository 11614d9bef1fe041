"""Each config rule has one home: a run and `runner-cli config check` say the same words.

The run goes through ``runner-cli train`` (so through ``Runner.from_cfg`` and
the Runner's own checks); ``config check`` collects every problem instead of
stopping at the first. The message of the run must appear verbatim among them.
"""

from __future__ import annotations

import inspect

import pytest

from runner_core.runner.config_keys import constructor_keys
from runner_core.runner.runner import RUNNER_KEYS, Runner


def _run_error(done) -> str:
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("runner-cli: error:")]
    assert len(errors) == 1, done.stderr[-2000:]
    return errors[0].removeprefix("runner-cli: error: ")


def _same_words(cli, config: str) -> str:
    run = _run_error(cli("train", config, "--work-dir", "wd"))
    check = cli("config", "check", config)
    assert check.returncode == 2
    assert run in check.stderr, (run, check.stderr)
    return run


def test_parts_rule_same_words(cli, tiny_config) -> None:
    tiny_config("val_dataloader = None\nval_evaluator = None\nval_cfg = dict(interval=1)\n")
    message = _same_words(cli, "tiny.py")
    assert message.startswith("val_cfg is set but val_dataloader is not: val needs data.")


def test_top_level_typo_rule_same_words(cli, tiny_config) -> None:
    tiny_config("load_cgf = dict(strict=True)\n")
    message = _same_words(cli, "tiny.py")
    assert "'load_cgf'" in message and "Did you mean 'load_cfg'?" in message


@pytest.mark.parametrize(
    ("name", "meant"), [("StepLRR", "StepLR"), ("ExponentialMomentm", "ExponentialMomentum")]
)
def test_scheduler_lookup_same_words(cli, tiny_config, name: str, meant: str) -> None:
    tiny_config(f"param_scheduler = [dict(type='{name}', gamma=0.5)]\n")
    run = _run_error(cli("train", "tiny.py", "--work-dir", "wd"))
    check = cli("config", "check", "tiny.py")
    unknown = f"{name!r} is not in the parameter scheduler registry"
    assert unknown in run and unknown in check.stderr
    assert repr(meant) in run and repr(meant) in check.stderr


def test_runner_keys_are_the_constructor_arguments() -> None:
    params = inspect.signature(Runner.__init__).parameters
    assert RUNNER_KEYS == tuple(name for name in params if name not in ("self", "cfg"))

    class WithExtra(Runner):
        def __init__(self, model, extra_switch: bool = False, **kwargs) -> None:
            super().__init__(model, **kwargs)

    # **kwargs goes to the base: its arguments are config keys too, each once.
    assert constructor_keys(WithExtra) == ("model", "extra_switch", *RUNNER_KEYS[1:])

    class Closed(Runner):
        def __init__(self, model, only: int = 0) -> None:
            super().__init__(model)

    assert constructor_keys(Closed) == ("model", "only")


def test_train_checks_top_level_keys_once(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from digits import digits_cfg

    from runner_cli.main import main
    from runner_core import Config
    from runner_core.runner import config_keys

    calls: list[object] = []
    real = config_keys.find_top_level_typos

    def counting(cfg, known):
        calls.append(cfg)
        return real(cfg, known)

    monkeypatch.setattr(config_keys, "find_top_level_typos", counting)
    monkeypatch.setattr(Runner, "train", lambda self: self.model)  # the path up to the run
    config = tmp_path / "digits.py"
    Config(digits_cfg(str(tmp_path / "wd"))).dump(config)
    assert main(["train", str(config), "--work-dir", str(tmp_path / "wd")]) == 0
    assert len(calls) == 1
