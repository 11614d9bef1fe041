"""snapshot(): the copy an async save writes cannot be changed by the training that goes on."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from runner_core.checkpoint.background import recycle, snapshot


def test_later_steps_do_not_change_the_snapshot() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(5, 3)).sum().backward()
    opt.step()
    state = {
        "state_dict": model.state_dict(keep_vars=True),  # Parameters that require grad
        "optimizer": opt.state_dict(),
        "meta": {"epoch": 3, "pair": (1, torch.tensor([2.0]))},
    }
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    frozen = snapshot(state)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    model(torch.randn(5, 3))  # a training-mode forward moves the BatchNorm statistics too

    assert isinstance(frozen["state_dict"], OrderedDict)
    for key, value in frozen["state_dict"].items():
        assert torch.equal(value, before[key]), key
        assert not value.requires_grad and value.grad_fn is None
    assert frozen["meta"]["epoch"] == 3
    assert isinstance(frozen["meta"]["pair"], tuple)
    assert torch.equal(frozen["meta"]["pair"][1], torch.tensor([2.0]))
    momentum = frozen["optimizer"]["state"][0]["momentum_buffer"]
    assert momentum.data_ptr() != opt.state[model[0].weight]["momentum_buffer"].data_ptr()


def test_buffers_of_a_written_snapshot_are_reused() -> None:
    weight = torch.randn(8, 8)
    pool: dict = {}
    first = snapshot({"w": weight}, pool)
    recycle(first, pool)
    weight.mul_(2.0)
    second = snapshot({"w": weight}, pool)
    assert second["w"] is first["w"]  # copied into the same host buffer, no new allocation
    assert torch.equal(second["w"], weight)


def test_non_contiguous_tensors_are_copied_whole() -> None:
    base = torch.arange(12.0).reshape(3, 4)
    view = base.t()
    frozen = snapshot({"v": view})
    base.zero_()
    assert torch.equal(frozen["v"], torch.arange(12.0).reshape(3, 4).t())


def test_state_dict_metadata_is_kept() -> None:
    # load_state_dict reads module versions from _metadata (BatchNorm's num_batches_tracked)
    state = nn.BatchNorm1d(2).state_dict()
    assert snapshot({"state_dict": state})["state_dict"]._metadata == state._metadata


def test_tensors_of_an_earlier_snapshot_are_not_copied_again() -> None:
    weights = snapshot(nn.Linear(2, 2).state_dict())
    extra = torch.ones(3)
    frozen = snapshot({"state_dict": weights, "extra": extra}, done=[weights])
    assert all(frozen["state_dict"][k] is v for k, v in weights.items())
    assert frozen["state_dict"] is not weights  # containers are rebuilt all the same
    assert torch.equal(frozen["extra"], extra) and frozen["extra"] is not extra


def test_a_tensor_under_two_keys_is_copied_once_and_offered_once() -> None:
    weight = torch.ones(3)
    frozen = snapshot({"a": weight, "b": weight, "c": torch.zeros(3)})
    assert frozen["a"] is frozen["b"] and frozen["a"] is not weight
    pool: dict = {}
    recycle(frozen, pool)
    assert len(pool[((3,), torch.float32)]) == 2  # 'a'/'b' once, 'c'
