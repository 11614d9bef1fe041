"""runner_core.utils type checks and helpers: the values MMEngine 0.10.7's return."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import runner_core
from runner_core.utils import (
    digit_version,
    has_method,
    import_modules_from_strings,
    is_installed,
    is_list_of,
    is_method_overridden,
    is_seq_of,
    is_str,
    is_tuple_of,
    to_1tuple,
    to_2tuple,
    to_3tuple,
    to_4tuple,
    to_ntuple,
)


def test_sequence_checks() -> None:
    assert is_str("a") and not is_str(b"a")
    assert is_seq_of([1, 2], int)
    assert is_seq_of("ab", str)  # a str is a sequence of str, as in MMEngine
    assert not is_seq_of([1, "a"], int)
    assert is_seq_of([1, "a"], (int, str))
    assert not is_seq_of({1, 2}, int)  # a set is not a sequence
    assert not is_seq_of([1], int, seq_type=tuple)
    assert is_list_of([1.0], float) and not is_list_of((1.0,), float)
    assert is_tuple_of((1, "a"), (int, str)) and not is_tuple_of([1], int)
    assert is_list_of([], int)


def test_to_ntuple() -> None:
    assert to_1tuple(3) == (3,)
    assert to_2tuple(3) == (3, 3)
    assert to_3tuple(0.5) == (0.5, 0.5, 0.5)
    assert to_4tuple(None) == (None, None, None, None)
    assert to_2tuple((1, 2, 3)) == (1, 2, 3)  # iterables are returned unchanged
    assert to_ntuple(3)("ab") == "ab"


class _Base:
    def step(self) -> None:
        pass


class _Overrides(_Base):
    def step(self) -> None:
        pass


class _Inherits(_Base):
    pass


class _Holder:
    value = 3


def test_is_method_overridden() -> None:
    assert is_method_overridden("step", _Base, _Overrides) is True
    assert is_method_overridden("step", _Base, _Overrides()) is True
    assert is_method_overridden("step", _Base, _Inherits) is False
    with pytest.raises(TypeError, match="needs a class as base_class") as info:
        is_method_overridden("step", _Base(), _Overrides)  # type: ignore[arg-type]
    assert isinstance(info.value, AssertionError)  # MMEngine asserts


def test_has_method() -> None:
    assert has_method(_Overrides(), "step") is True
    assert has_method(_Overrides, "step") is True
    assert has_method(_Overrides(), "missing") is False
    assert has_method(_Holder(), "value") is False  # an attribute that is not callable
    assert runner_core.has_method is has_method


def test_import_modules_from_strings() -> None:
    import json
    import os.path

    assert import_modules_from_strings("os.path") is os.path
    assert import_modules_from_strings(["os.path", "json"]) == [os.path, json]
    assert import_modules_from_strings(None) is None
    assert import_modules_from_strings([]) is None
    with pytest.raises(ImportError, match="Failed to import no_such_module_xyz"):
        import_modules_from_strings("no_such_module_xyz")
    with pytest.warns(UserWarning, match="no_such_module_xyz failed to import"):
        found = import_modules_from_strings(
            ["no_such_module_xyz", "json"], allow_failed_imports=True
        )
    assert found == [None, json]
    with pytest.raises(TypeError, match="dotted string"):
        import_modules_from_strings([1])  # type: ignore[list-item]


def test_is_installed() -> None:
    assert is_installed("pyyaml")  # a distribution name
    assert is_installed("yaml")  # a module name
    assert is_installed("json")
    assert not is_installed("no_such_package_xyz")
    assert is_installed("__main__")  # imported, even where it has no spec (a script)
    assert not is_installed("no_such_package_xyz.sub")


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.1.0", (2, 1, 0, 0, 0, 0)),
        ("2.1.0+cu118", (2, 1, 0, 0, 0, 0)),
        ("1.0rc1", (1, 0, 0, 0, -1, 1)),
        ("1.0b2", (1, 0, 0, 0, -2, 2)),
        ("1.0a", (1, 0, 0, 0, -3, 0)),
        ("1.0.0.dev1", (1, 0, 0, 0, -4, 0)),
        ("0.4.post2", (0, 4, 0, 0, 1, 2)),
        ("1.0-3", (1, 0, 0, 0, 1, 3)),
        ("1.2.3.4.5", (1, 2, 3, 4, 0, 0)),
        ("v1.0", (1, 0, 0, 0, 0, 0)),
    ],
)
def test_digit_version_matches_mmengine(version: str, expected: tuple[int, ...]) -> None:
    assert digit_version(version) == expected


def test_digit_version_orders_releases() -> None:
    order = ["1.0.0.dev1", "1.0a1", "1.0b1", "1.0rc1", "1.0", "1.0.post1", "1.1"]
    assert sorted(order, key=digit_version) == order
    assert digit_version("1.2.3", length=2) == (1, 2, 0, 0)
    with pytest.raises(ValueError, match="'not-a-version' is not a version string"):
        digit_version("not-a-version")


def test_digit_version_raises_mmengines_invalid_version() -> None:
    from packaging.version import InvalidVersion  # packaging comes with runner-cli

    with pytest.raises(InvalidVersion):
        digit_version("abc")


def test_top_level_reexports_are_the_utils_names() -> None:
    from runner_core import fileio, utils

    for name in (
        "is_list_of",
        "mkdir_or_exist",
        "scandir",
        "digit_version",
        "ProgressBar",
        "ManagerMixin",
    ):
        assert getattr(runner_core, name) is getattr(utils, name)
    for name in ("load", "dump", "list_from_file", "get_local_path", "join_path"):
        assert getattr(runner_core, name) is getattr(fileio, name)


def test_utils_and_fileio_import_without_torch() -> None:
    code = (
        "import sys, runner_core.utils, runner_core.fileio;"
        "print(','.join(m for m in ('torch', 'numpy') if m in sys.modules))"
    )
    with warnings.catch_warnings():
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    assert out.stdout.strip() == ""


def test_is_seq_of_refuses_a_seq_type_that_is_no_type_as_mmengine_asserts() -> None:
    """seq_type=3 raised isinstance's bare TypeError; MMEngine asserts (AssertionError)."""
    with pytest.raises(AssertionError, match="seq_type must be a type"):
        is_seq_of([1], int, seq_type=3)  # type: ignore[arg-type]
    assert is_seq_of((1, 2), int, seq_type=(list, tuple))  # ours: a tuple of types too
    assert is_seq_of([1], int, seq_type=list | tuple)  # a union too, as isinstance takes


def test_print_log_imports_from_mmengines_logger_module_path(capsys) -> None:
    from runner_core.logging.logger import print_log

    print_log("to stdout")
    print_log("dropped", logger="silent")
    assert capsys.readouterr().out == "to stdout\n"
