"""Batches follow the model's device; on the CPU they pass through untouched."""

from __future__ import annotations

import torch
from torch import nn

from runner_core.model.base_model import ModuleAdapter
from runner_core.model.data_preprocessor import BaseDataPreprocessor


def _batch() -> list[torch.Tensor]:
    return [torch.randn(4, 3), torch.tensor([0, 1, 0, 1])]


def test_a_cpu_batch_is_passed_through_without_a_copy() -> None:
    batch = _batch()
    for device in ("cpu", "cpu:0"):
        pre = BaseDataPreprocessor().to(device)
        out = pre(batch)
        assert out is batch


def test_batches_follow_the_model_to_another_device() -> None:
    model = ModuleAdapter(nn.Linear(3, 2))
    model.to("meta")  # stands in for a GPU: the preprocessor is told where the weights went
    moved = model.data_preprocessor(_batch())
    assert [t.device.type for t in moved] == ["meta", "meta"]
    batch = _batch()
    assert ModuleAdapter(nn.Linear(3, 2)).data_preprocessor(batch) is batch


def test_training_on_the_cpu_gives_the_loss_of_the_plain_module() -> None:
    torch.manual_seed(0)
    module = nn.Linear(3, 2)
    model = ModuleAdapter(module)
    x, y = _batch()

    class Recorder:
        loss: torch.Tensor | None = None

        def optim_context(self, model: nn.Module) -> object:
            from runner_core.optim.optim_wrapper import NULL_CONTEXT

            return NULL_CONTEXT

        def update_params(self, loss: torch.Tensor) -> None:
            self.loss = loss

    recorder = Recorder()
    out = model.train_step([x, y], recorder)
    expected = nn.functional.cross_entropy(module(x), y)
    torch.testing.assert_close(out["loss"], expected.detach())
    assert recorder.loss is not None and recorder.loss.requires_grad
