"""The Runner trains a real model, and adds no hidden numerical change."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from digits import DigitsForTests, DigitsMLPForTests, digits_cfg

from runner_core import Config, Runner
from runner_core.data.sampler import DefaultSampler
from runner_core.hooks import Hook


@pytest.mark.parametrize("by_epoch", [True, False])
def test_digits_mlp_reaches_95_percent(tmp_path, by_epoch: bool) -> None:
    runner = Runner.from_cfg(Config(digits_cfg(str(tmp_path), by_epoch=by_epoch)))
    runner.train()
    metrics = runner.val()
    assert metrics["accuracy/top1"] >= 95.0
    assert runner.iter == (10 * 45 if by_epoch else 500)


class LossRecorder(Hook):
    def __init__(self) -> None:
        self.losses: list[float] = []

    def after_train_iter(self, outputs) -> None:
        self.losses.append(outputs["loss"].item())


def hand_written_losses(seed: int, epochs: int, device: torch.device) -> list[float]:
    """The same training, written as a plain PyTorch loop on ``device`` (the Runner's: the
    GPU where there is one, whose dropout draws from the GPU's generator)."""
    torch.manual_seed(123)
    model = DigitsMLPForTests(dropout=0.3).to(device)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    dataset = DigitsForTests("train")
    sampler = DefaultSampler(dataset, shuffle=True, seed=seed)
    # The Runner's loaders own a generator, so starting an epoch never draws from
    # the global stream that dropout uses; a hand-written loop does the same.
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=32, sampler=sampler, generator=torch.Generator().manual_seed(0)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    model.train()
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for batch in loader:
            opt.zero_grad()
            inputs, labels = batch["inputs"].to(device), batch["labels"].to(device)
            loss = torch.nn.functional.cross_entropy(model(inputs), labels)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


def test_loss_sequence_equals_a_hand_written_loop_to_the_bit(tmp_path) -> None:
    torch.manual_seed(123)
    model = DigitsMLPForTests(dropout=0.3)
    recorder = LossRecorder()
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=DigitsForTests("train"),
            sampler=dict(type="DefaultSampler", shuffle=True),
            batch_size=32,
        ),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
        custom_hooks=[recorder],
        randomness=dict(seed=7),
    )
    runner.train()
    expected = hand_written_losses(seed=7, epochs=2, device=next(model.parameters()).device)
    assert len(recorder.losses) == len(expected) == 90
    assert recorder.losses == expected  # exact float equality, every iteration


def test_training_works_after_the_caller_turned_grad_mode_off(tmp_path) -> None:
    """A notebook's inference cell left torch.set_grad_enabled(False): train() failed with
    torch's "element 0 of tensors does not require grad"."""
    import torch

    from runner_core import Runner

    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    model = torch.nn.Linear(2, 2)
    before = model.weight.detach().clone()
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
    )
    torch.set_grad_enabled(False)
    try:
        runner.train()
        assert not torch.is_grad_enabled()  # the caller's mode is back afterwards
    finally:
        torch.set_grad_enabled(True)
    assert not torch.equal(before, model.weight)
