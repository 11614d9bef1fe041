"""Helpers for testing code built on runner: MMEngine's ``mmengine.testing``, same names.

A downstream library's tests import these to compare tensors and dicts and to
build a small Runner (:class:`RunnerTestCase`) without writing the toy model,
data and metric each time. Importing this package imports torch.
"""

from __future__ import annotations

from .compare import (
    assert_allclose,
    assert_attrs_equal,
    assert_dict_contains_subset,
    assert_dict_has_keys,
    assert_is_norm_layer,
    assert_keys_equal,
    assert_params_all_zeros,
    check_python_script,
)
from .runner_test_case import RunnerTestCase

__all__ = [
    "RunnerTestCase",
    "assert_allclose",
    "assert_attrs_equal",
    "assert_dict_contains_subset",
    "assert_dict_has_keys",
    "assert_is_norm_layer",
    "assert_keys_equal",
    "assert_params_all_zeros",
    "check_python_script",
]
