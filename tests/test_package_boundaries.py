"""The packages keep to the plugin contract.

- The core never imports the plugin packages, and a plugin package imports
  only the runner packages its distribution depends on (runner-sweep extends
  runner-cli; the standard hooks and loops know only the core): otherwise
  they meet through entry points.
- No package touches another package's underscore names, and only the
  Runner's own module touches the Runner's (``runner._x``): plugins use the
  typed surface in ``runner_core.contract``.

The check reads the source (AST). An attribute ``obj._name`` counts as
"another package's" when ``_name`` is defined nowhere in the package that
uses it; attributes of third-party modules (``torch._C``) are outside this
contract and skipped.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "runner_core": ROOT / "packages/core/src/runner_core",
    "runner_loops_standard": ROOT / "packages/loops-standard/src/runner_loops_standard",
    "runner_hooks_standard": ROOT / "packages/hooks-standard/src/runner_hooks_standard",
    "runner_cli": ROOT / "packages/cli/src/runner_cli",
    "runner_trackers": ROOT / "packages/trackers/src/runner_trackers",
    "runner_sweep": ROOT / "packages/sweep/src/runner_sweep",
}
RUNNER_MODULE = PACKAGES["runner_core"] / "runner" / "runner.py"
# torch attributes with no public name that one folder (or file) of the core reads on
# torch objects, never on ours: Tensor._base (the tensor a view was made from); an
# nn.Module's tables, which the averaged model watches by identity between updates
# instead of walking both models every step (read only, never written).
TORCH_OBJECT_PRIVATES = {
    PACKAGES["runner_core"] / "analysis": {"_base"},
    # a logged loss term that is a view of a parameter is copied (torch has no public test);
    # the CPU shortcut past a plain preprocessor's call is taken only while no forward hook
    # is registered on it (nor has torch a public test for that)
    PACKAGES["runner_core"] / "model" / "base_model.py": {
        "_is_view",
        "_forward_hooks",
        "_forward_pre_hooks",
    },
    PACKAGES["runner_core"] / "model" / "averaged_model.py": {
        "_parameters",
        "_buffers",
        "_modules",
    },
}


def _allowed_imports(package: str) -> set[str]:
    """The runner packages ``package``'s distribution depends on, and itself."""
    project = PACKAGES[package].parents[1] / "pyproject.toml"
    allowed = {package, "runner_core"}
    if project.is_file():
        deps = tomllib.loads(project.read_text())["project"].get("dependencies", [])
        for dep in deps:
            name = re.split(r"[<>=!~\[; ]", dep, maxsplit=1)[0].strip().lower()
            allowed.add(name.replace("-", "_"))
    return allowed


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_names(files: list[Path]) -> set[str]:
    """Every underscore name a package defines: functions, classes, attributes, variables."""
    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.Call):
                func = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if func in ("setattr", "__setattr__", "register_buffer"):
                    names.update(str(a.value) for a in node.args if isinstance(a, ast.Constant))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)  # __slots__ entries, object.__setattr__ targets
    return {n for n in names if _private(n)}


def _foreign_modules(tree: ast.AST) -> set[str]:
    """Local names bound to modules outside our packages (``torch``, ``np``, ``dist``)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in PACKAGES:
                    found.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            if (node.module or "").split(".")[0] not in PACKAGES:
                found.update(alias.asname or alias.name for alias in node.names)
    return found


def _root(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _torch_privates(path: Path) -> set[str]:
    return {
        name
        for folder, names in TORCH_OBJECT_PRIVATES.items()
        if path.is_relative_to(folder)
        for name in names
    }


def _violations(package: str) -> list[str]:
    files = sorted(PACKAGES[package].rglob("*.py"))
    own = _defined_names(files)
    allowed = _allowed_imports(package)
    problems = []
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        foreign = _foreign_modules(tree)
        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if node.level == 0
                    else []
                )
                for target in targets:
                    top = target.split(".")[0]
                    if top in PACKAGES and top not in allowed:
                        problems.append(f"{where}:{node.lineno} imports plugin package {top}")
                    if (
                        top in PACKAGES
                        and top != package
                        and any(_private(part) for part in target.split(".")[1:])
                    ):
                        problems.append(f"{where}:{node.lineno} imports private module {target}")
                if isinstance(node, ast.ImportFrom) and node.level == 0:
                    top = (node.module or "").split(".")[0]
                    if top in PACKAGES and top != package:
                        problems += [
                            f"{where}:{node.lineno} imports {top}'s private name {a.name}"
                            for a in node.names
                            if _private(a.name)
                        ]
            if not isinstance(node, ast.Attribute) or not _private(node.attr):
                continue
            root = _root(node.value)
            if root in ("self", "cls") and isinstance(node.value, ast.Name):
                continue
            if root == "runner" and path != RUNNER_MODULE:
                problems.append(f"{where}:{node.lineno} touches the Runner's runner.{node.attr}")
            elif root not in foreign and node.attr not in own | _torch_privates(path):
                problems.append(f"{where}:{node.lineno} touches another package's .{node.attr}")
    return problems


@pytest.mark.parametrize("package", list(PACKAGES))
def test_no_package_reaches_into_another(package: str) -> None:
    problems = _violations(package)
    assert not problems, "\n".join(problems)


def test_the_check_catches_what_it_should(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "runner_hooks_standard"
    bad.mkdir()
    (bad / "bad.py").write_text(
        "from runner_loops_standard import ValLoop\n"
        "from runner_core.hooks.manager import _noop\n"
        "def f(runner, loop):\n"
        "    runner._hooks\n"
        "    loop._resume_batch\n"
    )
    monkeypatch.setitem(PACKAGES, "runner_hooks_standard", bad)
    problems = "\n".join(_violations("runner_hooks_standard"))
    assert "imports plugin package runner_loops_standard" in problems
    assert "private name _noop" in problems
    assert "runner._hooks" in problems
    assert "._resume_batch" in problems
