"""requires_package / requires_executable: a RuntimeError naming what to install, as MMEngine's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from runner_core.utils import check_prerequisites, requires_executable, requires_package


def test_present_packages_let_the_function_run() -> None:
    @requires_package(["os", "json"])
    def func(x: int) -> int:
        return x + 1

    assert func(1) == 2
    assert func.__name__ == "func"


def test_missing_packages_raise_a_runtime_error_naming_them_and_pip() -> None:
    @requires_package(["os", "no_such_pkg_xyz", "no_such_pkg_abc"])
    def func() -> None:
        raise AssertionError("must not run")

    with pytest.raises(RuntimeError) as info:
        func()
    message = str(info.value)
    assert message.startswith(
        'Prerequisites "no_such_pkg_xyz, no_such_pkg_abc" are required in method "func" but not '
        "found, please install them first."
    )
    assert "pip install no_such_pkg_xyz no_such_pkg_abc" in message


def test_the_check_runs_at_call_time_not_at_decoration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    @requires_package("late_pkg_xyz")
    def func() -> str:
        import late_pkg_xyz  # type: ignore[import-not-found]

        return str(late_pkg_xyz.VALUE)

    with pytest.raises(RuntimeError, match="late_pkg_xyz"):
        func()
    (tmp_path / "late_pkg_xyz.py").write_text("VALUE = 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert func() == "3"
    finally:
        sys.modules.pop("late_pkg_xyz", None)


def test_executables_are_looked_up_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = tmp_path / "my_tool_xyz"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))

    @requires_executable("my_tool_xyz")
    def present() -> int:
        return 1

    @requires_executable(["my_tool_xyz", "missing_tool_xyz"])
    def missing() -> int:
        return 2

    assert present() == 1
    with pytest.raises(
        RuntimeError, match='"missing_tool_xyz" are required in method "missing"'
    ) as info:
        missing()
    assert "on PATH" in str(info.value)


def test_check_prerequisites_with_a_custom_checker_and_template() -> None:
    @check_prerequisites(["a", "b"], checker=lambda item: item == "a", msg_tmpl="need {} for {}")
    def func() -> None:
        pass

    with pytest.raises(RuntimeError, match="^need b for func$"):
        func()
