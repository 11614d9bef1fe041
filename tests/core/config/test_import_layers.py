"""runner_core.config has no import cycle, and each of its modules imports on its own.

Every import statement counts, at module level or inside a function: an import
tucked into a function to dodge a cycle is still the cycle. Read from the
source (AST), like tests/test_package_boundaries.py.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = "runner_core.config"
FOLDER = Path(__file__).resolve().parents[3] / "packages/core/src/runner_core/config"
MODULES = sorted(p.stem for p in FOLDER.glob("*.py") if p.stem != "__init__")


def _imported_siblings(module: str) -> set[str]:
    """The modules of this package that ``module`` imports (the package itself excluded)."""
    tree = ast.parse((FOLDER / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                target = node.module
            elif node.level == 0 and (node.module or "").startswith(f"{PACKAGE}."):
                target = (node.module or "")[len(PACKAGE) + 1 :]
            else:
                continue
            names = [target.split(".")[0]] if target else [a.name for a in node.names]
            found |= {name for name in names if name in MODULES}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(f"{PACKAGE}."):
                    found.add(alias.name[len(PACKAGE) + 1 :].split(".")[0])
    found.discard(module)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
            if nxt not in state:
                found = visit(nxt, [*path, nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_the_check_sees_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_config_modules() -> None:
    graph = {module: _imported_siblings(module) for module in MODULES}
    assert graph["loader"] >= {"execution", "pure_python", "files"}  # the check reads imports
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


@pytest.mark.parametrize("module", MODULES)
def test_each_config_module_imports_on_its_own(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {PACKAGE}.{module}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
