"""runner_core.errors helpers: notes that keep the exception's type on every Python we support."""

from __future__ import annotations

import ast
import traceback
from pathlib import Path

from runner_core.errors import add_note

PACKAGES = Path(__file__).resolve().parents[2] / "packages"


def test_add_note_keeps_the_type_and_shows_under_the_traceback() -> None:
    try:
        try:
            raise ValueError("bad value")
        except ValueError as exc:
            add_note(exc, "Raised by hook H.")
            raise
    except ValueError as caught:
        text = "".join(traceback.format_exception(caught))
    assert "ValueError: bad value\nRaised by hook H." in text


def test_without_add_note_the_note_goes_to_dunder_notes_as_on_python_3_11() -> None:
    class Py310Style(Exception):
        add_note = None  # what BaseException lacks on Python 3.10

    exc = Py310Style("x")
    add_note(exc, "first")
    add_note(exc, "second")
    assert exc.__notes__ == ["first", "second"]


def test_no_package_calls_the_python_3_11_only_method_directly() -> None:
    """Requires-Python is >=3.10: a direct ``exc.add_note(...)`` there raises AttributeError."""
    offenders = []
    for path in PACKAGES.glob("*/src/**/*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_note"
            ):
                offenders.append(f"{path.relative_to(PACKAGES)}:{node.lineno}")
    assert offenders == [], "use runner_core.errors.add_note(exc, note) instead"


def test_did_you_mean_offers_the_names_an_abbreviation_starts() -> None:
    """'gen' is too short for difflib's similarity to 'generator' (a GAN's optim wrappers)."""
    from runner_core.errors import did_you_mean

    names = ["generator", "discriminator"]
    assert did_you_mean("gen", names) == " Did you mean 'generator'?"
    assert did_you_mean("Disc", names) == " Did you mean 'discriminator'?"
    assert did_you_mean("xyz", names) == ""
    assert did_you_mean("ge", names) == ""  # two letters say too little
    metrics = ["accuracy/top1", "accuracy/top5", "accumulative_counts"]
    assert did_you_mean("accur", metrics) == (
        " Did you mean one of 'accuracy/top1', 'accuracy/top5'?"  # the shortest first
    )
    assert did_you_mean("acc", [*metrics, "accelerator"]) == ""  # four start so: no hint


def test_did_you_mean_needs_more_in_common_than_a_short_shared_suffix() -> None:
    """mmdet's 'NumClassCheckHook' got "Did you mean 'EmptyCacheHook'?": noise."""
    from runner_core.errors import did_you_mean

    hooks = ["EmptyCacheHook", "LoggerHook", "CheckpointHook", "SyncBuffersHook"]
    assert did_you_mean("NumClassCheckHook", hooks) == ""
    assert did_you_mean("QALossHook", hooks) == ""
    assert did_you_mean("CheckpoitHook", hooks) == " Did you mean 'CheckpointHook'?"
    assert did_you_mean("SyncBufferHook", hooks) == " Did you mean 'SyncBuffersHook'?"
    assert did_you_mean("LogerHook", hooks) == " Did you mean 'LoggerHook'?"
