"""What a failed command writes for torchrun's failure summary (its error file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner_cli.errors import UsageError
from runner_cli.failure_log import record_for_torchrun
from runner_core.errors import ConfigError, PluginError


def _written(path: Path) -> str:
    return json.loads(path.read_text())["message"]["extraInfo"]["py_callstack"]


def test_an_input_error_goes_to_torchrun_as_one_paragraph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every rank's summary entry repeated the traceback of a config error, which the
    terminal shows as one paragraph; a run error keeps its traceback."""
    error_file = tmp_path / "error.json"
    monkeypatch.setenv("TORCHELASTIC_ERROR_FILE", str(error_file))
    try:
        raise ConfigError("train_cfg.max_epochs='four' is not valid:\n  give a whole number.")
    except ConfigError as exc:
        assert record_for_torchrun(exc)
        assert _written(error_file) == (
            "ConfigError: train_cfg.max_epochs='four' is not valid: give a whole number."
        )
        assert record_for_torchrun(exc, debug=True)  # --debug: the traceback
        assert _written(error_file).startswith("Traceback (most recent call last)")
    try:
        raise RuntimeError("the step failed")
    except RuntimeError as exc:
        assert record_for_torchrun(exc)
        text = _written(error_file)
        assert text.startswith("Traceback (most recent call last)") and "the step failed" in text
    for error in (UsageError("--resume takes a path"), PluginError("two offer 'ResNet'")):
        try:
            raise error
        except Exception as exc:
            assert record_for_torchrun(exc)
            assert "Traceback" not in _written(error_file), error
    try:  # a plugin's own module failed: its traceback is the one to read
        try:
            raise NameError("name 'nn' is not defined")
        except NameError as cause:
            raise PluginError("entry point 'mylib:Hook' failed to import") from cause
    except PluginError as exc:
        assert record_for_torchrun(exc)
        assert _written(error_file).startswith("Traceback (most recent call last)")
    monkeypatch.delenv("TORCHELASTIC_ERROR_FILE")
    assert not record_for_torchrun(RuntimeError("no torchrun"))
