"""``runner_core.analysis`` loads lazily, as MMEngine's ``mmengine.analysis`` names."""

from __future__ import annotations

import subprocess
import sys

import runner_core.analysis


def test_importing_the_package_does_not_import_torch() -> None:
    code = "import sys, runner_core.analysis; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_mmengines_public_names_are_exported() -> None:
    mmengine_all = {
        "FlopAnalyzer", "ActivationAnalyzer", "flop_count", "activation_count",
        "parameter_count", "parameter_count_table", "get_model_complexity_info",
    }  # fmt: skip
    assert mmengine_all <= set(runner_core.analysis.__all__)
    for name in runner_core.analysis.__all__:
        assert callable(getattr(runner_core.analysis, name))
