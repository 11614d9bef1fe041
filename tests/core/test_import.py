"""``import runner_core`` stays cheap: no torch, no plugins."""

from __future__ import annotations

import subprocess
import sys


def test_import_runner_core_does_not_import_torch() -> None:
    code = (
        "import sys, runner_core, runner_core.registry, runner_core.config;"
        "heavy = [m for m in ('torch', 'numpy', 'runner_hooks_standard', 'runner_loops_standard') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_names_resolve() -> None:
    import runner_core

    assert runner_core.Runner.__name__ == "Runner"
    assert runner_core.LOOPS.name == "loop"


def test_version_info_is_the_version_as_a_tuple() -> None:
    import runner_core

    assert runner_core.version_info == runner_core._version_tuple(runner_core.__version__)
    assert runner_core.version_info >= (0, 1)  # comparable, as mmengine.version_info is
    from runner_core import _version_tuple

    # MMEngine's parse_version_info gives these (0.10.7)
    assert _version_tuple("0.2.0rc1") == (0, 2, 0, "rc1")
    assert _version_tuple("1.0.0.post2") == (1, 0, 0)
    assert _version_tuple("0.1.0+g12") == (0, 1)
