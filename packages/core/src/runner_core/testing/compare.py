"""Comparisons for tests, as ``mmengine.testing`` has them.

Only :func:`assert_allclose` asserts; the other ``assert_*`` functions return
a bool for the caller to assert (``assert assert_dict_has_keys(d, keys)``),
as MMEngine's do, so tests written for MMEngine keep their meaning.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from runpy import run_path
from typing import Any
from unittest import mock

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

# default (rtol, atol) per dtype when neither is given: torch's former ``assert_allclose``
# table; other dtypes compare exactly
_TOLERANCES = {
    torch.float16: (1e-3, 1e-3),
    torch.float32: (1e-4, 1e-5),
    torch.float64: (1e-5, 1e-8),
}


def assert_allclose(
    actual: Any,
    expected: Any,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = True,
    msg: str | Callable[[str], str] | None = "",
) -> None:
    """Assert that ``actual`` and ``expected`` (tensors, numbers or nested lists) are close.

    MMEngine's wrapper of torch's deprecated ``torch.testing.assert_allclose``,
    kept with its rules on top of ``torch.testing.assert_close``: NaNs are
    equal by default, dtypes may differ (``expected`` is converted to
    ``actual``'s), and without tolerances those of the less precise dtype apply.
    Give both ``rtol`` and ``atol`` or neither.
    """
    if not isinstance(actual, torch.Tensor):
        actual = torch.tensor(actual)
    if not isinstance(expected, torch.Tensor):
        expected = torch.tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = (
            max(
                _TOLERANCES.get(actual.dtype, (0.0, 0.0))[i],
                _TOLERANCES.get(expected.dtype, (0.0, 0.0))[i],
            )
            for i in (0, 1)
        )
    torch.testing.assert_close(
        actual,
        expected,
        rtol=rtol,
        atol=atol,
        equal_nan=equal_nan,
        check_device=True,
        check_dtype=False,
        check_stride=False,
        msg=msg or None,
    )


def check_python_script(cmd: str) -> None:
    """Run a script in this process as ``__main__``, with ``sys.argv`` from ``cmd``.

    ``cmd`` is ``'path/script.py args...'`` or ``'python path/script.py args...'``;
    in-process, so coverage tools see the script's lines.
    """
    args = shlex.split(cmd)
    if args and args[0] == "python":
        args = args[1:]
    with mock.patch.object(sys, "argv", args):
        run_path(args[0], run_name="__main__")


def _any_true(judged: Any) -> bool:
    """``any`` over nested results of ``!=`` (tensors, arrays, lists of them)."""
    if not isinstance(judged, Iterable):
        return bool(judged)
    try:
        return any(_any_true(element) for element in judged)
    except TypeError:  # a 0-d tensor is iterable by type but not in fact
        return bool(judged)


def assert_dict_contains_subset(
    dict_obj: Mapping[Any, Any], expected_subset: Mapping[Any, Any]
) -> bool:
    """Whether ``dict_obj`` has every key of ``expected_subset`` with an equal value."""
    return all(
        key in dict_obj and not _any_true(dict_obj[key] != value)
        for key, value in expected_subset.items()
    )


def assert_attrs_equal(obj: Any, expected_attrs: Mapping[str, Any]) -> bool:
    """Whether ``obj`` has every attribute of ``expected_attrs`` with an equal value."""
    return all(
        hasattr(obj, attr) and not _any_true(getattr(obj, attr) != value)
        for attr, value in expected_attrs.items()
    )


def assert_dict_has_keys(obj: Mapping[str, Any], expected_keys: Iterable[str]) -> bool:
    """Whether ``obj`` has all of ``expected_keys`` (others may be there too)."""
    return set(expected_keys).issubset(obj.keys())


def assert_keys_equal(result_keys: Sequence[str], target_keys: Sequence[str]) -> bool:
    """Whether the two key collections hold the same keys, in any order."""
    return set(result_keys) == set(target_keys)


def assert_is_norm_layer(module: nn.Module) -> bool:
    """Whether ``module`` is a batch, instance, group or layer norm."""
    return isinstance(module, (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm))


def assert_params_all_zeros(module: nn.Module) -> bool:
    """Whether ``module.weight`` (and ``module.bias``, if it has one) are all zeros."""
    weight: Any = module.weight
    tensors: list[torch.Tensor] = [weight.data]  # AttributeError for weight=None, as MMEngine's
    bias: Any = getattr(module, "bias", None)
    if bias is not None:
        tensors.append(bias.data)
    # MMEngine's tolerance: allclose to zeros (|x| <= 1e-8 counts as zero)
    return all(torch.allclose(t, torch.zeros_like(t)) for t in tensors)
