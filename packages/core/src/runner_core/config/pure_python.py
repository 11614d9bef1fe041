"""Pure-Python configs: ``with read_base(): from .base import *`` and lazy imports.

In this style, inheritance is a Python import inside ``with read_base():`` and
``from pkg import Name`` records ``Name`` instead of importing it, so a config
can name classes (``type=Name``) of packages that are not installed; the value
becomes the string ``'pkg.Name'``. This follows MMEngine's ``lazy_import``
mode, including its detection rule and the order in which bases are applied
(all ``read_base`` imports take effect before the file's own code runs).
Only imports that run while the file is read are recorded: those in function
bodies are real imports when the function is called, and a class statement
gets its lazily imported bases for real. A function the file defines that
uses a top-level import (``np.asarray`` after ``import numpy as np``) gets
the real module when it runs after reading.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import os
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .config_dict import ConfigDict
from .errors import ConfigError, ConfigFileNotFoundError, ConfigKeyError
from .execution import CONFIG_MODULE_ALIASES, make_globals, parse_source, run_module
from .files import check_not_in_chain, close_files, format_chain, read_text
from .lazy import LazyObject, bind_globals, real_class_base
from .substitution import BASE_KEY

_LAZY_FACTORY = "__runner_lazy_object__"
_CLASS_BASE = "__runner_class_base__"


@contextlib.contextmanager
def read_base() -> Iterator[None]:
    """Mark the imports of base configs in a pure-Python config.

    It does nothing at run time: the config loader reads the ``with`` block
    before executing the file.
    """
    yield


def is_config_api_module(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in CONFIG_MODULE_ALIASES)


def is_builtin_module(module: str) -> bool:
    """True for modules a config may import for real: the stdlib and the config API."""
    if module.startswith("."):
        return False
    if is_config_api_module(module):
        return True
    top = module.split(".")[0]
    return top in sys.stdlib_module_names or top in sys.builtin_module_names


def _is_config_class_import(node: ast.ImportFrom) -> bool:
    """``from mmengine import Config`` (or ``runner_core``): code in a classic config."""
    return (
        node.module in ("mmengine", "runner_core")
        and len(node.names) == 1
        and node.names[0].name == "Config"
    )


def _is_base_assignment(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == BASE_KEY
    )


def _is_read_base(node: ast.With, names: frozenset[str] = frozenset({"read_base"})) -> bool:
    """Whether ``node`` is ``with read_base():`` (or an alias in ``names``)."""
    expr = node.items[0].context_expr
    return (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, (ast.Name, ast.Attribute))
        and (expr.func.id if isinstance(expr.func, ast.Name) else expr.func.attr) in names
    )


def _read_base_names(tree: ast.Module) -> frozenset[str]:
    """``read_base`` and what the file imports it as (``import read_base as rb``)."""
    names = {"read_base"}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names.update(a.asname for a in node.names if a.name == "read_base" and a.asname)
    return frozenset(names)


def is_pure_python(tree: ast.Module) -> bool:
    """Decide the style of a Python config the way MMEngine does.

    The first of these, in ``ast.walk`` order, decides: a ``_base_ = ...``
    assignment (classic), a ``with read_base():`` block (pure-Python), a
    relative import or an import of a non-stdlib module (pure-Python).
    """
    names = _read_base_names(tree)
    for node in ast.walk(tree):
        if _is_base_assignment(node):
            return False
        if isinstance(node, ast.With) and node.items and _is_read_base(node, names):
            return True
        if isinstance(node, ast.ImportFrom):
            if node.level:
                return True
            if _is_config_class_import(node):
                continue  # MMEngine: `from mmengine import Config` keeps a config classic
            if node.module and not is_builtin_module(node.module):
                return True
        if isinstance(node, ast.Import):
            if any(not is_builtin_module(alias.name) for alias in node.names):
                return True
    return False


@dataclass
class PurePythonResult:
    """What one pure-Python file resolves to."""

    cfg: ConfigDict
    imported_names: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)


def _mixed_styles(filename: str, lineno: int) -> ConfigError:
    return ConfigError(
        f"{filename}:{lineno}: this config mixes the two inheritance styles: it "
        f"imports bases with `with read_base():` or imports classes, and also sets "
        f"`{BASE_KEY} = ...`. Use one style: either `{BASE_KEY} = [...]` with "
        "string types, or `with read_base(): from .base import *`."
    )


def has_read_base(tree: ast.Module) -> bool:
    """Whether the file reads its bases with a ``with read_base():`` block."""
    names = _read_base_names(tree)
    return any(
        isinstance(node, ast.With) and node.items and _is_read_base(node, names)
        for node in tree.body
    )


def _classic_read_as_pure(
    filename: str, lineno: int, chain: tuple[str, ...], forced: bool
) -> ConfigError:
    """A ``_base_ = ...`` config without ``read_base`` in the pure-Python reader: say why
    it got there (a pure parent, or lazy_import=True), not that the file mixes styles."""
    if chain:
        parent = chain[-1]
        return ConfigError(
            f"{parent}: reads {filename} as a base in `with read_base():`, but that file is "
            f"a classic config (it sets `{BASE_KEY} = ...` at line {lineno}); a base read "
            "with `with read_base():` must use that style too. Convert "
            f"{os.path.basename(filename)} to `with read_base(): from .base import *`, or "
            f"make {os.path.basename(parent)} classic (`{BASE_KEY} = [...]`)."
        )
    if forced:
        return ConfigError(
            f"{filename}:{lineno}: this is a classic config (it sets `{BASE_KEY} = ...`), but "
            "lazy_import=True asks to read it as a pure-Python config. Load it with "
            "lazy_import=None (the default, which detects the style) or lazy_import=False."
        )
    return _mixed_styles(filename, lineno)


def refuse_read_base_in_classic(tree: ast.Module, filename: str) -> None:
    """A config found classic (its ``_base_ = ...`` comes first) with a ``with read_base():``
    block too: say so, rather than let the block's relative import fail without a parent
    package."""
    names = _read_base_names(tree)
    if not any(_is_base_assignment(node) for node in tree.body):
        return
    for node in tree.body:
        if isinstance(node, ast.With) and node.items and _is_read_base(node, names):
            raise _mixed_styles(filename, node.lineno)


def _take_base_imports(
    tree: ast.Module, filename: str, chain: tuple[str, ...] = (), forced: bool = False
) -> list[ast.ImportFrom]:
    """Find the ``with read_base():`` block, unindent it in place, return its imports."""
    names = _read_base_names(tree)
    found: tuple[int, ast.With] | None = None
    for index, node in enumerate(tree.body):
        if _is_base_assignment(node):
            if has_read_base(tree):
                raise _mixed_styles(filename, node.lineno)
            raise _classic_read_as_pure(filename, node.lineno, chain, forced)
        if not isinstance(node, ast.With) or not _is_read_base(node, names):
            continue
        if found is not None:
            raise ConfigError(
                f"{filename}:{node.lineno}: a second `with read_base():` block (the first is "
                f"at line {found[1].lineno}). A config reads its bases in one block: move "
                "these imports into the first."
            )
        found = (index, node)
    if found is None:
        return []
    index, block = found
    imports: list[ast.ImportFrom] = []
    for stmt in block.body:
        if not isinstance(stmt, ast.ImportFrom) or stmt.module is None:
            raise ConfigError(
                f"{filename}:{stmt.lineno}: only `from <config module> import ...` "
                "statements may appear inside `with read_base():`."
            )
        imports.append(stmt)
    tree.body[index : index + 1] = block.body
    return imports


def _find_checkout_root(filename: str, package: str) -> str | None:
    """A folder named ``package`` above ``filename`` (a source checkout, not installed)."""
    folder = os.path.dirname(filename)
    while True:
        if os.path.basename(folder) == package and os.path.isdir(folder):
            return folder
        candidate = os.path.join(folder, package)
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def resolve_base_module(module: str, filename: str) -> str:
    """The file a ``read_base`` import names: relative to ``filename`` or in a package."""
    level = len(module) - len(module.lstrip("."))
    dotted = module[level:]
    if level:
        parts = [os.path.dirname(filename), *([".."] * (level - 1))]
        return os.path.normpath(os.path.join(*parts, *dotted.split("."))) + ".py"
    package, _, rest = dotted.partition(".")
    if not rest:
        raise ConfigError(
            f"{filename}: `with read_base(): from {module} import ...` names a package, not a "
            f"config file; import a module such as `from {module}.configs.x import *`."
        )
    root = None
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        root = list(spec.submodule_search_locations)[0]
    if root is None:
        root = _find_checkout_root(filename, package)
    if root is None:
        raise ConfigError(
            f"{filename}: the base config {module!r} lives in the package {package!r}, which "
            f"is not installed; install it, or import the base with a relative path "
            "(`from ..x import *`)."
        )
    return os.path.join(root, *rest.split(".")) + ".py"


class _ImportRewriter(ast.NodeTransformer):
    """Turns imports into base-config lookups or lazy placeholders."""

    def __init__(self, filename: str, namespace: dict[str, Any], bases: dict[str, Any]) -> None:
        self.filename = filename
        self.namespace = namespace
        self.bases = bases
        self.imported: set[str] = set()

    def _lazy_assign(self, target: str, dotted: str, node: ast.stmt) -> ast.Assign:
        location = f"{self.filename}, line {node.lineno}"
        call = ast.Call(
            func=ast.Name(id=_LAZY_FACTORY, ctx=ast.Load()),
            args=[ast.Constant(dotted), ast.Constant(location)],
            keywords=[],
        )
        assign = ast.Assign(targets=[ast.Name(id=target, ctx=ast.Store())], value=call)
        return ast.copy_location(assign, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        module = "." * node.level + (node.module or "")
        if module in self.bases:
            base = self.bases[module]
            for alias in node.names:
                if alias.name == "*":
                    self.namespace.update(dict.items(base))
                    continue
                if alias.name not in base:
                    from ..errors import did_you_mean

                    raise ConfigKeyError(
                        f"{self.filename}:{node.lineno}: the base config {module!r} does not "
                        f"define {alias.name!r}.{did_you_mean(alias.name, base.keys())}"
                    )
                self.namespace[alias.asname or alias.name] = dict.__getitem__(base, alias.name)
            return None
        if is_builtin_module(module):
            self.imported.update(a.asname or a.name for a in node.names if a.name != "*")
            return node
        assigns = []
        for alias in node.names:
            if alias.name == "*":
                raise ConfigError(
                    f"{self.filename}:{node.lineno}: `from {module} import *` is only allowed "
                    "for base configs inside `with read_base():`; import the names you use."
                )
            target = alias.asname or alias.name
            self.imported.add(target)
            assigns.append(self._lazy_assign(target, f"{module}.{alias.name}", node))
        return assigns

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Any:
        """Left as written: a function's body runs when it is called, after the config
        is read, so an import there is a real import (``import torch`` in a method)."""
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        """A class body runs now (its imports stay lazy); its bases must be real classes."""
        self.generic_visit(node)
        location = f"{self.filename}, line {node.lineno}"

        def real(expr: ast.expr) -> ast.expr:
            if isinstance(expr, ast.Subscript):  # Dataset[int]: the real Dataset, then [int]
                expr.value = real(expr.value)
                return expr
            call = ast.Call(
                func=ast.Name(id=_CLASS_BASE, ctx=ast.Load()),
                args=[expr, ast.Constant(node.name), ast.Constant(location)],
                keywords=[],
            )
            return ast.copy_location(call, expr)

        node.bases = [real(base) for base in node.bases]
        for keyword in node.keywords:
            if keyword.arg == "metaclass":
                keyword.value = real(keyword.value)
        return node

    def visit_Import(self, node: ast.Import) -> Any:
        result: list[ast.stmt] = []
        for alias in node.names:
            target = alias.asname or alias.name.split(".")[0]
            self.imported.add(target)
            if is_builtin_module(alias.name):
                result.append(ast.copy_location(ast.Import(names=[alias]), node))
            else:
                dotted = alias.name if alias.asname else target
                result.append(self._lazy_assign(target, dotted, node))
        return result


def to_lazy_config_dict(value: Any) -> Any:
    """Fresh ConfigDicts for every dict inside ``value`` (lists and tuples rebuilt)."""
    if isinstance(value, dict):
        result = ConfigDict()
        for key, item in dict.items(value):
            dict.__setitem__(result, key, to_lazy_config_dict(item))
        return result
    if isinstance(value, (list, tuple)):
        return type(value)(to_lazy_config_dict(item) for item in value)
    return value


def load_pure_python(
    filename: str, chain: tuple[str, ...], source: str | None = None, forced: bool = False
) -> PurePythonResult:
    """Resolve a pure-Python config (and, recursively, its ``read_base`` bases).

    ``forced``: the caller asked for this reader (``lazy_import=True``)."""
    if source is None:
        source = read_text(filename, chain)
    tree = parse_source(source, filename)
    base_imports = _take_base_imports(tree, filename, chain, forced)
    here = (*chain, filename)

    bases: dict[str, Any] = {}
    imported: set[str] = set()
    texts: list[str] = []
    for node in base_imports:
        module = "." * node.level + (node.module or "")
        if module in bases:
            continue
        path = resolve_base_module(module, filename)
        if not os.path.isfile(path):
            raise ConfigFileNotFoundError(
                f"{filename}:{node.lineno}: the base config `{module}` was not found "
                f"(looked for {path}).{close_files(path)} Inheritance chain: "
                f"{format_chain((*here, path))}.",
                path,
            )
        check_not_in_chain(path, here)
        base = load_pure_python(path, here)
        bases[module] = base.cfg
        imported |= base.imported_names
        texts.extend(base.texts)

    namespace = make_globals(filename, {_LAZY_FACTORY: LazyObject, _CLASS_BASE: real_class_base})
    rewriter = _ImportRewriter(filename, namespace, bases)
    tree = rewriter.visit(tree)
    run_module(tree, filename, namespace)

    # Functions (and lambdas) defined in the file stay config values, as in MMEngine's
    # lazy_import mode; imported modules and imported functions (read_base) do not.
    imported_here = imported | rewriter.imported
    values = {
        key: value
        for key, value in namespace.items()
        if not key.startswith("__")
        and not isinstance(value, types.ModuleType)
        and not (isinstance(value, types.FunctionType) and key in imported_here)
    }
    bind_globals(namespace)  # the file's functions run after reading: imports become real
    texts.append(f"{filename}\n{source}")
    return PurePythonResult(
        cfg=to_lazy_config_dict(values),
        imported_names=imported_here,
        texts=texts,
    )
