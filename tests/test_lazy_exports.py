"""Every name a package exports (``__all__``, lazily or not) resolves.

Lazy exports (``runner_core.lazy.lazy_exports``) defer the import to the first
attribute access, so a wrong module path in an export table fails only when a
user touches the name; this walks every package of every distribution and
touches each one. Type checkers cannot follow a module ``__getattr__``: each
lazy name must also be imported under ``if TYPE_CHECKING:`` from the module the
table loads it from, and the ``__getattr__`` hidden from them (the ``else:``
branch), or every export is ``Any`` to them and a misspelled import passes.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

TOP_LEVEL = (
    "runner_core",
    "runner_loops_standard",
    "runner_hooks_standard",
    "runner_cli",
    "runner_trackers",
    "runner_sweep",
)


def _packages() -> list[str]:
    found = []
    for top in TOP_LEVEL:
        pkg = importlib.import_module(top)
        found.append(top)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{top}."):
            if info.ispkg:
                found.append(info.name)
    return found


@pytest.mark.parametrize("top", TOP_LEVEL)
def test_importing_a_distributions_package_imports_no_torch(top: str) -> None:
    """What lazy exports are for: ``import runner_loops_standard`` stays cheap."""
    import subprocess
    import sys

    code = f"import sys, {top}; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("package", _packages())
def test_every_exported_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    missing = []
    for name in getattr(module, "__all__", ()):
        try:
            getattr(module, name)
        except (AttributeError, ImportError) as exc:
            missing.append(f"{name}: {type(exc).__name__}: {exc}")
    assert not missing, f"{package} exports names that do not resolve: {missing}"


def _lazy_modules() -> list[Path]:
    """Every source file of every distribution that calls ``lazy_exports(...)``."""
    files = sorted(ROOT.glob("packages/*/src/**/*.py"))
    return [f for f in files if "lazy_exports(" in f.read_text() and f.name != "lazy.py"]


def _literal(node: ast.expr, assigned: dict[str, ast.expr]) -> Any:
    """The value of an export table: literals, names assigned at module level,
    ``[*names]``, ``list(names)``, ``{**dict.fromkeys([...], module)}``, ``dict.fromkeys``."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return _literal(assigned[node.id], assigned)
    if isinstance(node, (ast.List, ast.Tuple)):
        items: list[Any] = []
        for elt in node.elts:
            if isinstance(elt, ast.Starred):
                items.extend(_literal(elt.value, assigned))
            else:
                items.append(_literal(elt, assigned))
        return items
    if isinstance(node, ast.Dict):
        table: dict[str, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                table.update(_literal(value, assigned))
            else:
                table[_literal(key, assigned)] = _literal(value, assigned)
        return table
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "list":
        return list(_literal(node.args[0], assigned))
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "dict.fromkeys":
        keys, module = (_literal(arg, assigned) for arg in node.args)
        return dict.fromkeys(keys, module)
    raise AssertionError(f"cannot read the export table at line {node.lineno}: {ast.unparse(node)}")


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"


@pytest.mark.parametrize("path", _lazy_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_lazy_exports_are_imported_for_type_checkers(path: Path) -> None:
    parts = path.relative_to(ROOT).parts
    name = ".".join(parts[parts.index("src") + 1 :]).removesuffix(".py")
    package = name.removesuffix(".__init__")
    name = package if path.name == "__init__.py" else name
    tree = ast.parse(path.read_text())
    assigned = {
        stmt.targets[0].id: stmt.value
        for stmt in tree.body
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name)
    }
    guards = [stmt for stmt in tree.body if _is_type_checking(stmt)]
    assert len(guards) == 1, f"{path}: one top-level `if TYPE_CHECKING:` block expected"
    guard = guards[0]
    assert isinstance(guard, ast.If)
    # the lazy __getattr__ must be invisible to type checkers, or any name passes
    calls = [n for stmt in guard.orelse for n in ast.walk(stmt) if isinstance(n, ast.Call)]
    lazy_calls = [c for c in calls if ast.unparse(c.func) == "lazy_exports"]
    assert len(lazy_calls) == 1, f"{path}: call lazy_exports in the `else:` of TYPE_CHECKING"
    lazy = _literal(lazy_calls[0].args[1], assigned)
    # where type checkers see each name come from
    typed: dict[str, str] = {}
    anchor = package if path.name == "__init__.py" else package.rpartition(".")[0]
    for node in (n for stmt in guard.body for n in ast.walk(stmt)):
        if isinstance(node, ast.ImportFrom):
            module = importlib.util.resolve_name("." * node.level + (node.module or ""), anchor)
            for alias in node.names:
                if alias.asname in (None, alias.name):
                    typed[alias.name] = module
    # what the lazy table loads each name from (import_module(module, __name__))
    wanted = {key: importlib.util.resolve_name(mod, name) for key, mod in lazy.items()}
    wrong = {
        key: f"lazily from {mod}, for type checkers from {typed.get(key, 'nowhere')}"
        for key, mod in wanted.items()
        if typed.get(key) != mod
    }
    assert not wrong, (
        f"{path}: import each lazy name under `if TYPE_CHECKING:` from the module the "
        f"lazy table names: {wrong}"
    )
    if "__all__" in assigned:
        missing = set(lazy) - set(_literal(assigned["__all__"], assigned))
        assert not missing, f"{path}: lazy names missing from __all__: {sorted(missing)}"
