"""Model and data behaviours MMEngine code relies on."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from runner_core import BaseModel, Runner
from runner_core.data.sampler import InfiniteSampler


class _Pairs(torch.utils.data.Dataset):
    def __init__(self, n: int = 12) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 2, generator=g)
        self.y = self.x.sum(1, keepdim=True)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": self.x[i], "target": self.y[i]}


class _Regressor(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, inputs: torch.Tensor, target: Any = None, mode: str = "tensor") -> Any:
        out = self.fc(inputs)
        if mode == "loss":
            return {"loss_mse": ((out - target) ** 2).mean(), "acc": torch.tensor(0.5)}
        return out


def test_base_model_parse_losses_sums_loss_keys_and_logs_all() -> None:
    losses = {
        "loss_cls": torch.tensor([1.0, 3.0]),  # a tensor is averaged
        "loss_bbox": [torch.tensor(1.0), torch.tensor([2.0, 4.0])],  # a list is summed
        "acc": torch.tensor(0.75),  # logged, not optimized
    }
    loss, log_vars = _Regressor().parse_losses(losses)
    assert loss.item() == pytest.approx(2.0 + 1.0 + 3.0)
    assert {k: round(float(v), 4) for k, v in log_vars.items()} == {
        "loss": 6.0,
        "loss_cls": 2.0,
        "loss_bbox": 4.0,
        "acc": 0.75,
    }


def test_overridden_parse_losses_is_what_train_step_uses(tmp_path: Path) -> None:
    class Weighted(_Regressor):
        def parse_losses(self, losses: dict) -> tuple[torch.Tensor, dict]:
            loss, log_vars = super().parse_losses(losses)
            log_vars["weighted"] = loss.detach() * 0
            return loss * 0, log_vars

    model = Weighted()
    before = [p.detach().clone() for p in model.parameters()]
    wrapper = build_wrapper(model)
    log_vars = model.train_step({"inputs": torch.ones(2, 2), "target": torch.ones(2, 1)}, wrapper)
    assert "weighted" in log_vars
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # zero loss


def build_wrapper(model: nn.Module) -> Any:
    from runner_core.optim.constructor import build_optim_wrapper

    return build_optim_wrapper(model, dict(optimizer=dict(type="SGD", lr=0.1)))


def test_build_dataloader_is_static_with_mmengine_signature() -> None:
    cfg = dict(dataset=_Pairs(12), sampler=dict(type="DefaultSampler", shuffle=True), batch_size=4)
    first = Runner.build_dataloader(cfg, seed=3)
    second = Runner.build_dataloader(cfg, seed=3, diff_rank_seed=False)
    assert isinstance(first, DataLoader) and len(first) == 3
    assert [b["inputs"].tolist() for b in first] == [b["inputs"].tolist() for b in second]
    ready = DataLoader(_Pairs(4))
    assert Runner.build_dataloader(ready) is ready


def test_build_dataloader_on_a_runner_uses_the_run_seed(tmp_path: Path) -> None:
    cfg = dict(dataset=_Pairs(12), sampler=dict(type="DefaultSampler", shuffle=True), batch_size=4)
    runner = Runner(model=_Regressor(), work_dir=str(tmp_path), randomness=dict(seed=11))
    via_runner = runner.build_dataloader(cfg)
    via_class = Runner.build_dataloader(cfg, seed=11)
    assert [b["inputs"].tolist() for b in via_runner] == [b["inputs"].tolist() for b in via_class]


def test_infinite_sampler_length_is_the_dataset_length_on_every_rank() -> None:
    data = _Pairs(7)
    lengths = [len(InfiniteSampler(data, seed=0, rank=r, world_size=3)) for r in range(3)]
    assert lengths == [7, 7, 7]


def test_a_real_run_gives_no_scheduler_order_warning(tmp_path: Path) -> None:
    runner = Runner(
        model=_Regressor(),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=_Pairs(8), sampler=dict(type="DefaultSampler", shuffle=True), batch_size=4
        ),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        param_scheduler=[
            dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0, end=2),
            dict(type="MultiStepLR", milestones=[1], by_epoch=True),
        ],
        default_hooks=dict(checkpoint=None),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runner.train()
    order = [str(w.message) for w in caught if "optimizer.step()" in str(w.message)]
    assert order == []


def test_parse_losses_logs_the_total_first_and_a_models_own_loss_term() -> None:
    _, log_vars = _Regressor().parse_losses(
        {"loss_a": torch.tensor(1.0), "loss_b": torch.tensor(2.0)}
    )
    assert list(log_vars) == ["loss", "loss_a", "loss_b"]  # MMEngine's order
    # a term named 'loss' is logged as itself (MMEngine overwrites its total the same way);
    # the optimized loss is still the sum
    loss, log_vars = _Regressor().parse_losses(
        {"loss": torch.tensor(1.0), "loss_aux": torch.tensor(0.25)}
    )
    assert loss.item() == 1.25 and float(log_vars["loss"]) == 1.0


@pytest.mark.parametrize(
    "losses",
    [{"loss": 1.0}, {"loss": [1.0, 2.0]}, {"loss": "x"}, {"loss": torch.tensor(1.0), "aux": None}],
)
def test_a_loss_value_that_is_not_a_tensor_is_a_type_error_naming_its_key(losses: dict) -> None:
    name = next(k for k, v in losses.items() if not isinstance(v, torch.Tensor))
    with pytest.raises(TypeError, match=f"{name} is not a tensor or list of tensors"):
        _Regressor().parse_losses(losses)
