"""docs/reference/standard-hooks-and-loops.md is generated from the plugins and must match."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "reference" / "standard-hooks-and-loops.md"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_plugin_reference", DOCS / "gen_plugin_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_page_is_what_the_generator_writes() -> None:
    generated = load_generator().render()
    assert PAGE.read_text(encoding="utf-8") == generated, (
        "docs/reference/standard-hooks-and-loops.md is out of date with the standard hooks "
        "and loops: run `python docs/gen_plugin_reference.py` and commit the result."
    )


def test_every_registered_hook_and_loop_is_on_the_page_with_its_arguments() -> None:
    gen = load_generator()
    page = PAGE.read_text(encoding="utf-8")
    for _, distribution, group in gen.SOURCES:
        for name, target in gen.entry_points(distribution, group).items():
            assert f"`{name}`" in page, f"{name} ({group}) is not on the page"
            obj = gen.load(target)
            if inspect.isclass(obj) and obj.__name__ == name:
                section = page.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
                for arg in inspect.signature(obj.__init__).parameters:
                    if arg not in ("self", "args", "kwargs"):
                        assert arg in section, f"{name}: argument {arg!r} not documented"


def test_checkpoint_hook_arguments_users_ask_about_are_explained() -> None:
    page = PAGE.read_text(encoding="utf-8")
    section = page.split("### CheckpointHook\n", 1)[1].split("\n### ", 1)[0]
    for arg in ("save_best", "rule", "max_keep_ckpts", "interval", "by_epoch"):
        assert f"- `{arg}`" in section or f", `{arg}`" in section, arg


def test_the_page_is_linked_from_the_index() -> None:
    assert "(reference/standard-hooks-and-loops.md)" in (DOCS / "index.md").read_text("utf-8")
