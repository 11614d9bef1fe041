"""deprecated_api_warning renames keyword arguments with MMEngine's warning; deprecated_function logs."""

from __future__ import annotations

import importlib
import logging
import warnings
from typing import Any

import pytest

from runner_core.utils import deprecated_api_warning, deprecated_function


@deprecated_api_warning({"old": "new"}, cls_name="Head")
def _renamed(new: int = 1, other: int = 2) -> tuple[int, int]:
    return new, other


def test_a_renamed_keyword_warns_with_mmengines_text_and_is_passed_on() -> None:
    with pytest.warns(DeprecationWarning) as record:
        assert _renamed(old=5) == (5, 2)  # type: ignore[call-arg]
    assert [str(w.message) for w in record] == [
        '"old" is deprecated in `Head._renamed`, please use "new" instead'
    ]
    assert record[0].filename == __file__  # points at the caller
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _renamed(new=3) == (3, 2)  # the new name: no warning
        assert _renamed(4, 5) == (4, 5)


def test_both_names_at_once_is_an_assertion_error() -> None:
    with pytest.raises(
        TypeError, match="got both the deprecated argument `old` and its new name `new`"
    ) as info:
        _renamed(old=1, new=2)  # type: ignore[call-arg]
    assert isinstance(info.value, AssertionError)  # MMEngine asserts


def test_a_positional_argument_under_the_old_name_only_warns() -> None:
    @deprecated_api_warning({"old": "new"})
    def func(old: int = 1) -> int:
        return old

    with pytest.warns(DeprecationWarning, match='"old" is deprecated in `func`, please use "new"'):
        assert func(3) == 3
    assert func.__name__ == "func"


def _documented() -> int:
    """Summary line.

    Body here.
        indented
    """
    return 7


def test_deprecated_function_rewrites_the_docstring_as_mmengine() -> None:
    wrapped = deprecated_function("0.1", "0.2", "use x")(_documented)
    assert wrapped.__doc__ == (
        ".. deprecated:: 0.1\n    Deprecated and will be removed in version 0.2.\n"
        "    Please use x.\n\n\n    Summary line.\n\n    Body here.\n        indented\n"
    )

    def one_line() -> None:
        """One line."""

    def undocumented() -> None:
        pass

    note = ".. deprecated:: 0.1\n    Deprecated and will be removed in version 0.2.\n    Please use x.\n"
    assert (
        deprecated_function("0.1", "0.2", "use x")(one_line).__doc__ == note + "\n\n    One line."
    )
    assert deprecated_function("0.1", "0.2", "use x")(undocumented).__doc__ == note + "\n\n"


def test_deprecated_function_logs_a_warning_to_the_current_logger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    print_log_module = importlib.import_module("runner_core.logging.print_log")

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        print_log_module,
        "print_log",
        lambda msg, logger=None, level=0: calls.append((msg, logger, level)),
    )
    wrapped = deprecated_function("0.1", "0.2", "use x")(_documented)
    assert wrapped() == 7
    assert calls == [
        (
            f"'{__name__}._documented' is deprecated in version 0.1 and will be removed in "
            "version 0.2. Please use x.",
            "current",
            logging.WARNING,
        )
    ]
