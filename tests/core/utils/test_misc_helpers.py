"""runner_core.utils casts, list slicing, nested apply and dotted-name lookup, as MMEngine's."""

from __future__ import annotations

import os.path
from collections import OrderedDict, namedtuple
from collections.abc import Iterator
from typing import Any

import pytest

from runner_core.utils import (
    apply_to,
    concat_list,
    get_object_from_string,
    iter_cast,
    list_cast,
    slice_list,
    tuple_cast,
)


def test_iter_cast_is_lazy_unless_a_return_type_is_given() -> None:
    cast = iter_cast(["1", "2"], int)
    assert isinstance(cast, Iterator) and list(cast) == [1, 2]
    assert iter_cast(["1", "2", "2"], int, return_type=set) == {1, 2}
    assert list_cast("12", int) == [1, 2]
    assert tuple_cast([1.5, 2.7], int) == (1, 2)


def test_iter_cast_refuses_what_mmengine_refuses() -> None:
    with pytest.raises(TypeError, match="inputs must be an iterable object"):
        iter_cast(1, int)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='"dst_type" must be a valid type'):
        iter_cast([1], "int")  # type: ignore[arg-type]


def test_slice_list_by_lengths_and_by_an_equal_length() -> None:
    assert slice_list([1, 2, 3, 4], [1, 3]) == [[1], [2, 3, 4]]
    assert slice_list([1, 2, 3, 4], 2) == [[1, 2], [3, 4]]
    assert slice_list([1, 2, 3, 4], [4, 0]) == [[1, 2, 3, 4], []]


@pytest.mark.parametrize("lens", [3, 0])
def test_slice_list_int_that_does_not_divide_is_an_assertion_error(lens: int) -> None:
    # MMEngine: `assert len(in_list) % lens == 0` (0: ZeroDivisionError there)
    with pytest.raises(ValueError, match="cannot be cut into pieces of") as info:
        slice_list([1, 2, 3, 4], lens)
    assert isinstance(info.value, AssertionError)


def test_slice_list_bad_lengths() -> None:
    with pytest.raises(ValueError, match="sum of lens and list length does not match: 2 != 4"):
        slice_list([1, 2, 3, 4], [1, 1])
    with pytest.raises(TypeError, match="must be an integer or a list of integers"):
        slice_list([1, 2, 3, 4], (1, 3))  # type: ignore[arg-type]


def test_concat_list_flattens_one_level() -> None:
    assert concat_list([[1, 2], [3], []]) == [1, 2, 3]
    assert concat_list([(1,), "ab", [[5]]]) == [1, "a", "b", [5]]


def test_apply_to_walks_containers_and_keeps_their_types() -> None:
    point = namedtuple("point", "x y")
    data: dict[str, Any] = {"a": [1, (2, point(3, "s"))], "b": "t", "c": OrderedDict(d=4)}
    out = apply_to(data, lambda x: isinstance(x, int), lambda x: x * 10)
    assert out == {"a": [10, (20, point(30, "s"))], "b": "t", "c": OrderedDict(d=40)}
    assert type(out["a"][1][1]) is point and type(out["c"]) is OrderedDict
    assert data["a"][0] == 1  # the input is left alone
    # a leaf that is not a dict/list/tuple is tested itself; sets are leaves, as in MMEngine
    assert apply_to(5, lambda x: True, str) == "5"
    assert apply_to({1, 2}, lambda x: isinstance(x, set), len) == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("os.path.join", os.path.join),
        ("os.path", os.path),
        ("collections.OrderedDict.fromkeys", OrderedDict.fromkeys),
        ("runner_core.utils.misc.apply_to", apply_to),
        ("no_such_module_xyz.thing", None),
        ("os.no_such_attribute", None),
        ("os.path.join.no_such_attribute", None),
    ],
)
def test_get_object_from_string(name: str, expected: Any) -> None:
    assert get_object_from_string(name) == expected
