"""docs/reference/contract.md is generated from runner_core.contract, and the
contract is honest: the real Runner and standard loops have every member."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from types import ModuleType

from digits import digits_cfg

from runner_core import Config, Runner

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "reference" / "contract.md"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_contract_reference", DOCS / "gen_contract_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _members(protocol: str) -> list[str]:
    gen = load_generator()
    source = gen.SOURCE.read_text(encoding="utf-8")
    tree = ast.parse(source)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    names = [m[0] for m in gen.members(classes[protocol], source.splitlines())]
    for base in classes[protocol].bases:
        if isinstance(base, ast.Name) and base.id in classes:
            names += _members(base.id)
    return names


def test_the_committed_page_is_what_the_generator_writes() -> None:
    assert PAGE.read_text(encoding="utf-8") == load_generator().render(), (
        "docs/reference/contract.md is out of date with runner_core/contract.py: "
        "run `python docs/gen_contract_reference.py` and commit the result."
    )


def test_the_runner_and_the_standard_loops_have_every_member(tmp_path) -> None:
    cfg = digits_cfg(str(tmp_path))
    runner = Runner.from_cfg(Config(cfg))
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    # properties are looked up on the class (some build parts, or fail without test data)
    missing = [
        name
        for name in _members("RunnerAPI")
        if not hasattr(type(runner), name) and name not in vars(runner)
    ]
    assert not missing, f"RunnerAPI members the Runner lacks: {missing}"
    loop = runner.train_loop
    assert not [n for n in _members("TrainLoopAPI") if not hasattr(loop, n)]
    assert not [n for n in _members("LoopAPI") if not hasattr(runner.val_loop, n)]
    assert not [n for n in _members("HookSequence") if not hasattr(runner.hooks, n)]


def test_the_page_shows_rest_roles_and_literals_as_markdown_code() -> None:
    page = load_generator().render()
    assert "hook specs, `Hook`, `BaseLoop`" in page  # :class:`~runner_core.hooks.Hook`
    assert "The same as `call_hook`." in page  # :meth:`call_hook`
    assert not re.search(r":\w+:`|``", page), "a reST role or literal is left on the page"
