"""``runner_core.testing`` comparisons: MMEngine's rules, which ported test suites rely on."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from runner_core.testing import (
    assert_allclose,
    assert_attrs_equal,
    assert_dict_contains_subset,
    assert_dict_has_keys,
    assert_is_norm_layer,
    assert_keys_equal,
    assert_params_all_zeros,
    check_python_script,
)


def test_assert_allclose_uses_the_dtype_tolerances_and_equal_nans() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch's deprecated assert_allclose would warn
        assert_allclose(torch.tensor([1.0, math.nan]), [1.0 + 5e-6, math.nan])
        assert_allclose(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]))  # dtypes may differ
        assert_allclose(0.5, 0.5)
    with pytest.raises(AssertionError):
        assert_allclose(torch.tensor([1.0]), [1.001])  # float32: rtol 1e-4
    assert_allclose(torch.tensor([1.0], dtype=torch.float16), [1.0005])  # float16: 1e-3
    with pytest.raises(AssertionError, match="custom"):
        assert_allclose(torch.tensor([1]), [2], msg="custom")
    with pytest.raises(AssertionError):
        assert_allclose(torch.tensor([math.nan]), [math.nan], equal_nan=False)
    with pytest.raises(ValueError, match="rtol"):
        assert_allclose(torch.tensor([1.0]), [1.0], rtol=1e-3)


def test_subset_and_attribute_checks_return_bools() -> None:
    record = {"a": 1, "t": torch.tensor([1, 2]), "arr": np.array([3, 4])}
    assert assert_dict_contains_subset(record, {"a": 1, "t": torch.tensor([1, 2])}) is True
    assert assert_dict_contains_subset(record, {"t": torch.tensor([1, 3])}) is False
    assert assert_dict_contains_subset(record, {"arr": np.array([3, 4])}) is True
    assert assert_dict_contains_subset(record, {"missing": 1}) is False

    class Thing:
        size = 3
        weights = torch.zeros(2)

    assert assert_attrs_equal(Thing(), {"size": 3, "weights": torch.zeros(2)}) is True
    assert assert_attrs_equal(Thing(), {"size": 4}) is False
    assert assert_attrs_equal(Thing(), {"colour": "red"}) is False
    assert assert_dict_has_keys({"a": 1, "b": 2}, ["a"]) is True
    assert assert_dict_has_keys({"a": 1}, ["a", "b"]) is False
    assert assert_keys_equal(["a", "b"], ["b", "a"]) is True
    assert assert_keys_equal(["a"], ["a", "b"]) is False


def test_norm_layers_and_zero_parameters() -> None:
    for layer in (
        nn.BatchNorm2d(3),
        nn.SyncBatchNorm(3),
        nn.InstanceNorm1d(3),
        nn.GroupNorm(1, 3),
        nn.LayerNorm(3),
    ):
        assert assert_is_norm_layer(layer) is True
    assert assert_is_norm_layer(nn.Conv2d(3, 3, 1)) is False
    linear = nn.Linear(2, 2)
    assert assert_params_all_zeros(linear) is False
    nn.init.zeros_(linear.weight)
    assert assert_params_all_zeros(linear) is False  # the bias is not zero yet
    nn.init.zeros_(linear.bias)
    assert assert_params_all_zeros(linear) is True
    conv = nn.Conv2d(2, 2, 1, bias=False)  # no bias: the weight decides
    nn.init.zeros_(conv.weight)
    assert assert_params_all_zeros(conv) is True


def test_check_python_script_runs_in_this_process_with_its_argv(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    script = tmp_path / "hello.py"
    script.write_text(
        "import sys\nif __name__ == '__main__':\n"
        f"    open({str(out)!r}, 'w').write(' '.join(sys.argv[1:]))\n"
    )
    check_python_script(f"python {script} zz 'two words'")
    assert out.read_text() == "zz two words"
    check_python_script(f"{script} again")
    assert out.read_text() == "again"


def test_params_within_mmengines_tolerance_count_as_zero() -> None:
    linear = nn.Linear(2, 2)
    nn.init.constant_(linear.weight, 1e-9)
    nn.init.zeros_(linear.bias)
    assert assert_params_all_zeros(linear) is True  # allclose to zeros, as MMEngine's
    nn.init.constant_(linear.weight, 1e-4)
    assert assert_params_all_zeros(linear) is False
    with pytest.raises(AttributeError):  # no weight at all, as MMEngine's
        assert_params_all_zeros(nn.LayerNorm(2, elementwise_affine=False))
