"""docs/reference/hooks.md is generated from the hookspecs and must match them."""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path
from types import ModuleType

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "reference" / "hooks.md"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_hook_reference", DOCS / "gen_hook_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_page_is_what_the_generator_writes() -> None:
    generated = load_generator().render()
    assert PAGE.read_text(encoding="utf-8") == generated, (
        "docs/reference/hooks.md is out of date with runner_core/hooks/specs.py: "
        "run `python docs/gen_hook_reference.py` and commit the result."
    )


def test_every_hook_point_is_documented_with_its_spec_signature_in_spec_order() -> None:
    from runner_core.hooks import specs
    from runner_core.hooks.manager import STANDARD_POINTS

    gen = load_generator()
    functions = gen.spec_functions(specs)
    assert {fn.__name__ for fn in functions} == set(STANDARD_POINTS)
    page = PAGE.read_text(encoding="utf-8")
    documented = re.findall(r"^### (\w+)$", page, flags=re.M)
    assert documented == [fn.__name__ for fn in functions], "order or set of hook points differs"
    for fn in functions:
        assert (fn.__doc__ or "").strip(), f"hook point {fn.__name__} has no docstring in specs.py"
        section = page.split(f"### {fn.__name__}\n", 1)[1].split("\n### ", 1)[0]
        signature = re.search(r"```python\n(def .*)\n```", section)
        assert signature, f"{fn.__name__}: no signature block on the page"
        params = list(inspect.signature(fn).parameters)
        shown = re.findall(r"(\w+)(?::[^,)]*)?(?=[,)])", signature.group(1).split("(", 1)[1])
        assert shown == params, f"{fn.__name__}: page shows {shown}, spec has {params}"
        first_line = inspect.cleandoc(fn.__doc__).splitlines()[0].replace("``", "`")
        assert first_line in section, f"{fn.__name__}: docstring missing from the page"
