"""get_installed_path / install_package / call_command (pip is never run for real here)."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import runner_core
from runner_core.utils import call_command, get_installed_path, install_package
from runner_core.utils import package as package_module


def test_installed_path_of_a_distribution_and_of_a_module() -> None:
    source = os.path.dirname(runner_core.__file__)
    # the distribution name differs from the module's, and runner-core is an editable install
    assert get_installed_path("runner-core") == source
    assert get_installed_path("runner_core") == source
    import yaml

    assert get_installed_path("yaml") == os.path.dirname(yaml.__file__)


def test_installed_path_of_a_module_only_on_sys_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "loose_pkg_xyz").mkdir()
    (tmp_path / "loose_pkg_xyz" / "__init__.py").write_text("")
    (tmp_path / "ns_pkg_xyz").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert get_installed_path("loose_pkg_xyz") == str(tmp_path / "loose_pkg_xyz")
    with pytest.raises(RuntimeError, match="ns_pkg_xyz is a namespace package"):
        get_installed_path("ns_pkg_xyz")


def test_installed_path_of_nothing_says_so() -> None:
    with pytest.raises(importlib.metadata.PackageNotFoundError) as info:
        get_installed_path("no_such_pkg_xyz")
    assert "pip install no_such_pkg_xyz" in "".join(getattr(info.value, "__notes__", []))


def test_install_package_runs_pip_of_this_interpreter_only_when_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(subprocess, "check_call", calls.append)
    install_package("pyyaml")  # installed: nothing runs
    assert calls == []
    install_package("no_such_pkg_xyz")
    assert calls == [[sys.executable, "-m", "pip", "install", "no_such_pkg_xyz"]]


def test_call_command_raises_when_the_command_fails() -> None:
    call_command([sys.executable, "-c", "pass"])
    with pytest.raises(subprocess.CalledProcessError):
        call_command([sys.executable, "-c", "raise SystemExit(3)"])


def test_is_installed_is_reexported() -> None:
    assert package_module.is_installed("pyyaml") and not package_module.is_installed("no_such_xyz")
