"""docs/howto/custom-runner.md: a Runner subclass with a config key of its own.

The page's Python blocks run as written (the snippet test runs them too, in a
subprocess); these tests run them in-process, fast, and check what the
page's bullets claim: the same class used from a config file, through
``custom_imports``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner_core.registry import RUNNERS

pytest.importorskip("runner_digits", reason="the page uses the runner-digits example plugin")

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "howto" / "custom-runner.md"


def _python_blocks() -> list[str]:
    spec = importlib.util.spec_from_file_location(
        "_doc_snippets", Path(__file__).with_name("test_snippets.py")
    )
    assert spec is not None and spec.loader is not None
    snippets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(snippets)
    return [text for kind, _, text in snippets.snippet_steps(PAGE) if kind == "python"]


def _freezing_block() -> str:
    (block,) = [b for b in _python_blocks() if "class FreezingRunner(Runner)" in b]
    return block


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder like the snippet test's: examples/ linked in; the page's runners
    unregistered afterwards (the next test registers its own)."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for name in ("CustomRunner", "FreezingRunner"):
        RUNNERS.module_dict.pop(name, None)


def test_the_page_runs_and_the_extra_argument_comes_from_the_config(in_tmp: Path) -> None:
    namespace: dict[str, object] = {"__name__": "__main__"}
    first, *_ = _python_blocks()
    exec(compile(first, f"{PAGE}:first block", "exec"), namespace)
    exec(compile(_freezing_block(), f"{PAGE}:FreezingRunner", "exec"), namespace)
    runner = namespace["runner"]
    assert type(runner).__name__ == "FreezingRunner"
    assert runner.freeze == ("features",)  # type: ignore[attr-defined]
    # the Runner's own keys still reach it through **kwargs
    assert Path(runner.work_dir).name == "freezing_runner"  # type: ignore[attr-defined]


def test_the_class_from_a_config_file_through_custom_imports(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner_core import Config, Runner

    class_part = _freezing_block().split("\ncfg = Config.fromfile", 1)[0]
    header = "from runner_core import Config, Runner\nfrom runner_core.registry import RUNNERS\n"
    (in_tmp / "my_freezing_runner.py").write_text(header + class_part)
    monkeypatch.syspath_prepend(str(in_tmp))
    (in_tmp / "cfg.py").write_text(
        '_base_ = ["examples/digits-lib/configs/digits_cnn_epoch.py"]\n'
        'custom_imports = dict(imports=["my_freezing_runner"])\n'
        'work_dir = "work_dirs/from_file"\n'
        'runner_type = "FreezingRunner"\n'
        'freeze = ["features", "head"]\n'
    )
    runner = Runner.from_cfg(Config.fromfile("cfg.py"))
    assert type(runner).__name__ == "FreezingRunner"
    assert not any(p.requires_grad for p in runner.model.parameters())
