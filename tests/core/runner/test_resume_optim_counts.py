"""Resume restores each optim wrapper's own update count, not the iteration.

A GAN's ``train_step`` updates its generator every other iteration: after 7
iterations it has had 4 updates (6 iterations: 3, the middle of a window of
2). Starting it at the iteration would shift its accumulation windows, and
deciding from the iteration whether a window is open would lose the
gradients of one.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import BaseModel, Runner
from runner_core.logging import MessageHub
from runner_core.model import ModuleAdapter
from runner_core.optim import OptimWrapper


class EveryOtherGen(BaseModel):
    """The discriminator steps every iteration; the generator on even ones, accumulating 2."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.gen, self.disc = nn.Linear(2, 2), nn.Linear(2, 1)

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        return self.gen(inputs)

    def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        inputs = self.data_preprocessor(data, True)[0]  # to the model's device, as MMEngine's
        d_loss = self.disc(self.gen(inputs).detach()).pow(2).mean()
        optim_wrapper["disc"].update_params(d_loss)
        if MessageHub.get_current_instance().get_info("iter") % 2 == 0:
            self.disc.requires_grad_(False)  # as GANs do: the generator's loss trains it alone
            g_loss = (self.disc(self.gen(inputs)) - 1).pow(2).mean()
            optim_wrapper["gen"].update_params(g_loss)
            self.disc.requires_grad_(True)
        return dict(loss=d_loss.detach())


def _train(work_dir: Path, interval: int, resume: str | bool = False) -> Runner:
    model = EveryOtherGen()
    x = torch.randn(48, 2, generator=torch.Generator().manual_seed(1))
    runner = Runner(
        model=model,
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=TensorDataset(x),
            batch_size=4,
            sampler=dict(type="DefaultSampler", shuffle=False),
        ),
        train_cfg=dict(by_epoch=False, max_iters=12),
        optim_wrapper=dict(
            gen=OptimWrapper(
                torch.optim.SGD(model.gen.parameters(), lr=0.1, momentum=0.9),
                accumulative_counts=2,
            ),
            disc=OptimWrapper(torch.optim.SGD(model.disc.parameters(), lr=0.1)),
        ),
        default_hooks=dict(
            logger=dict(interval=1, progress_bar=False),
            checkpoint=dict(by_epoch=False, interval=interval),
        ),
        randomness=dict(seed=0),
        resume=resume,
    )
    runner.train()
    return runner


def _lost_window_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "not a multiple" in str(w.message)]


@pytest.mark.parametrize("k", [6, 7])
def test_resume_continues_each_wrappers_windows_exactly(tmp_path: Path, k: int) -> None:
    straight = _train(tmp_path / "straight", interval=k)
    path = tmp_path / "straight" / f"iter_{k}.pth"
    ckpt = torch.load(path, weights_only=True)
    gen_updates = (k + 1) // 2  # iterations 0, 2, 4, ...
    assert ckpt["optim_counts"] == {"gen": gen_updates, "disc": k}
    # 3 generator updates: its window of 2 is half full, and its gradient travels along
    assert ("accumulated_grads" in ckpt) == (gen_updates % 2 == 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = _train(tmp_path / "resumed", interval=100, resume=str(path))
    assert _lost_window_warnings(caught) == []
    assert resumed.optim_wrapper["gen"].inner_count == straight.optim_wrapper["gen"].inner_count
    for (name, a), b in zip(
        straight.model.state_dict().items(), resumed.model.state_dict().values()
    ):
        assert torch.equal(a, b), name


def test_a_checkpoint_without_counts_resumes_from_the_iteration(tmp_path: Path) -> None:
    """MMEngine's checkpoints (and ours before the counts) start every wrapper at the iteration."""
    _train(tmp_path / "straight", interval=7)
    ckpt = torch.load(tmp_path / "straight" / "iter_7.pth", weights_only=True)
    del ckpt["optim_counts"]
    old = tmp_path / "old.pth"
    torch.save(ckpt, old)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = _train(tmp_path / "resumed", interval=100, resume=str(old))
    assert resumed.iter == 12
    assert resumed.optim_wrapper["gen"].inner_count == 7 + 2  # updated at iterations 8 and 10
    assert _lost_window_warnings(caught) == [
        "Resumed after 7 updates, which is not a multiple of accumulative_counts=2: the "
        "gradients of the interrupted window are lost and that window steps with fewer "
        "micro-batches."
    ]


def test_a_single_optim_wrappers_count_is_saved_as_an_int(tmp_path: Path) -> None:
    x = torch.randn(8, 2)
    runner = Runner(
        model=ModuleAdapter(nn.Sequential(nn.Linear(2, 1)), loss_fn=nn.functional.mse_loss),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=TensorDataset(x, x[:, :1]), batch_size=4),
        train_cfg=dict(by_epoch=False, max_iters=3),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1), accumulative_counts=2),
        default_hooks=dict(checkpoint=dict(by_epoch=False, interval=3)),
    )
    runner.train()
    ckpt = torch.load(tmp_path / "iter_3.pth", weights_only=True)
    assert ckpt["optim_counts"] == 3


@pytest.mark.parametrize("max_iters", [10, 13])
def test_resuming_a_finished_run_whose_last_window_was_short_loses_nothing(
    tmp_path: Path, max_iters: int
) -> None:
    """10 iterations in windows of 3: the last window (1 micro-batch) stepped at the run's
    end. Resuming that run, to re-validate or to train on, warned that the gradients of
    an interrupted window were lost: there were none."""

    def build(iters: int, resume: bool) -> Runner:
        torch.manual_seed(0)
        x = torch.randn(40, 2, generator=torch.Generator().manual_seed(1))
        return Runner(
            model=ModuleAdapter(nn.Linear(2, 1), loss_fn=lambda out, _: out.pow(2).mean()),
            work_dir=str(tmp_path),
            train_dataloader=dict(dataset=TensorDataset(x, x[:, :1]), batch_size=4),
            train_cfg=dict(by_epoch=False, max_iters=iters),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1), accumulative_counts=3),
            default_hooks=dict(checkpoint=dict(by_epoch=False, interval=10)),
            resume=resume,
        )

    build(10, resume=False).train()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = build(max_iters, resume=True)
        resumed.train()
    assert resumed.iter == max_iters
    assert _lost_window_warnings(caught) == []


def test_a_checkpoint_that_dropped_an_open_windows_gradients_still_warns(tmp_path: Path) -> None:
    """An FSDP save leaves the sharded partial gradients out and says so in its meta: a
    resume from it still warns that the window's gradients are lost."""
    _train(tmp_path / "straight", interval=6)
    ckpt = torch.load(tmp_path / "straight" / "iter_6.pth", weights_only=True)
    assert "accumulated_grads" in ckpt  # the generator's window of 2 is half full
    del ckpt["accumulated_grads"]
    ckpt["meta"]["accumulation_dropped"] = True  # as an FSDP save writes it
    path = tmp_path / "fsdp_like.pth"
    torch.save(ckpt, path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _train(tmp_path / "resumed", interval=100, resume=str(path))
    assert len(_lost_window_warnings(caught)) == 1
