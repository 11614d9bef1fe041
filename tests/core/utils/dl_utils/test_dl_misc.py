"""is_norm, has_batch_norm, tensor2imgs and mmcv_full_available, as mmengine.utils.dl_utils's."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from runner_core.utils.dl_utils import has_batch_norm, is_norm, mmcv_full_available, tensor2imgs


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        (nn.BatchNorm2d(2), True),
        (nn.SyncBatchNorm(2), True),
        (nn.InstanceNorm2d(2), True),
        (nn.GroupNorm(1, 2), True),
        (nn.LayerNorm(2), True),
        (nn.Conv2d(1, 1, 1), False),
    ],
)
def test_is_norm(layer: nn.Module, expected: bool) -> None:
    assert is_norm(layer) is expected


def test_is_norm_excludes() -> None:
    assert not is_norm(nn.BatchNorm2d(2), exclude=nn.BatchNorm2d)
    assert not is_norm(nn.LayerNorm(2), exclude=(nn.GroupNorm, nn.LayerNorm))
    assert is_norm(nn.GroupNorm(1, 2), exclude=nn.LayerNorm)
    with pytest.raises(
        TypeError, match='"exclude" must be either None or type or a tuple of types'
    ):
        is_norm(nn.LayerNorm(2), exclude=(nn.LayerNorm, "x"))  # type: ignore[arg-type]


def test_has_batch_norm_looks_into_children() -> None:
    assert has_batch_norm(nn.Sequential(nn.Conv2d(1, 1, 1), nn.Sequential(nn.BatchNorm1d(1))))
    assert has_batch_norm(nn.SyncBatchNorm(1))
    assert not has_batch_norm(nn.Sequential(nn.Conv2d(1, 1, 1), nn.GroupNorm(1, 1)))


def test_tensor2imgs_unnormalises_and_converts_to_bgr() -> None:
    batch = torch.zeros(2, 3, 4, 5)
    batch[:, 0] = 1.0  # red channel
    imgs = tensor2imgs(batch, mean=(10, 20, 30), std=(2, 2, 2))
    assert len(imgs) == 2 and imgs[0].shape == (4, 5, 3)
    assert imgs[0][0, 0].tolist() == [30.0, 20.0, 12.0]  # BGR: red last
    assert imgs[0].flags["C_CONTIGUOUS"]
    rgb = tensor2imgs(batch, to_bgr=False)
    assert rgb[1][0, 0].tolist() == [1.0, 0.0, 0.0]
    gray = tensor2imgs(torch.ones(1, 1, 2, 2), to_bgr=False)
    assert isinstance(gray[0], np.ndarray) and gray[0].shape == (2, 2, 1)


@pytest.mark.parametrize(
    ("tensor", "kwargs", "match"),
    [
        (torch.zeros(3, 4, 5), {}, "4-D"),
        (torch.zeros(1, 2, 4, 5), {}, "2 channels"),
        (torch.zeros(1, 1, 4, 5), {}, "to_bgr=False"),
        (torch.zeros(1, 3, 4, 5), {"mean": (0, 0)}, "need 3 mean and std values"),
    ],
)
def test_tensor2imgs_wrong_input_is_an_assertion_error(
    tensor: torch.Tensor, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match) as info:
        tensor2imgs(tensor, **kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, AssertionError)  # MMEngine asserts


def test_mmcv_full_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "mmcv", raising=False)
    assert not mmcv_full_available()  # no mmcv here
    (tmp_path / "mmcv").mkdir()
    (tmp_path / "mmcv" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert not mmcv_full_available()  # mmcv without compiled ops ("mmcv-lite")
    (tmp_path / "mmcv" / "_ext.py").write_text("")
    assert mmcv_full_available()
    sys.modules.pop("mmcv", None)


def test_the_optimizer_and_sync_bn_use_these_checks() -> None:
    # one definition of a norm layer: paramwise_cfg's norm_decay_mult, the warning about
    # BatchNorm under gradient accumulation and sync_bn='torch' ask the functions above
    from runner_core.model import sync_bn
    from runner_core.optim import constructor, optim_wrapper
    from runner_core.utils.dl_utils import misc

    assert constructor._NORM_TYPES is misc.NORM_TYPES
    assert optim_wrapper._has_batch_norm is has_batch_norm
    assert sync_bn.has_batch_norm is has_batch_norm
    # what they count, as MMEngine (RMSNorm is not a norm layer there)
    norms = [nn.BatchNorm1d(2), nn.SyncBatchNorm(2), nn.InstanceNorm1d(2), nn.GroupNorm(1, 2)]
    assert all(isinstance(m, misc.NORM_TYPES) for m in [*norms, nn.LayerNorm(2)])
    assert not isinstance(nn.RMSNorm(2), misc.NORM_TYPES)
