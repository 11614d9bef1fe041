"""The hook points a hook ported from MMEngine sees: their order, the counters, the
model's mode and autograd at each, and the losses a val/test step returns.

The expected sequences were recorded from MMEngine 0.10.7 running this very job
(same model, data, loops and hook), so a difference here is a difference a
ported hook would notice.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from runner_core import BaseMetric, BaseModel, Runner
from runner_core.hooks import Hook
from runner_core.registry import LOOPS, METRICS
from runner_core.structures import BaseDataElement
from runner_loops_standard import EpochBasedTrainLoop, IterBasedTrainLoop

#: MMEngine 0.10.7, EpochBasedTrainLoop(max_epochs=3, val_interval=2), 2 batches per epoch:
#: point, runner.epoch, runner.iter, batch_idx, the model's mode, torch.is_grad_enabled()
MMENGINE_EPOCHS = """
    before_run 0 0 - train grad
    before_train 0 0 - train grad
    before_train_epoch 0 0 - train grad
    before_train_iter 0 0 0 train grad
    after_train_iter 0 0 0 train grad
    before_train_iter 0 1 1 train grad
    after_train_iter 0 1 1 train grad
    after_train_epoch 0 2 - train grad
    before_train_epoch 1 2 - train grad
    before_train_iter 1 2 0 train grad
    after_train_iter 1 2 0 train grad
    before_train_iter 1 3 1 train grad
    after_train_iter 1 3 1 train grad
    after_train_epoch 1 4 - train grad
    before_val 2 4 - train grad
    before_val_epoch 2 4 - train grad
    before_val_iter 2 4 0 eval no_grad
    after_val_iter 2 4 0 eval no_grad
    before_val_iter 2 4 1 eval no_grad
    after_val_iter 2 4 1 eval no_grad
    after_val_epoch 2 4 - eval grad
    after_val 2 4 - eval grad
    before_train_epoch 2 4 - eval grad
    before_train_iter 2 4 0 train grad
    after_train_iter 2 4 0 train grad
    before_train_iter 2 5 1 train grad
    after_train_iter 2 5 1 train grad
    after_train_epoch 2 6 - train grad
    before_val 3 6 - train grad
    before_val_epoch 3 6 - train grad
    before_val_iter 3 6 0 eval no_grad
    after_val_iter 3 6 0 eval no_grad
    before_val_iter 3 6 1 eval no_grad
    after_val_iter 3 6 1 eval no_grad
    after_val_epoch 3 6 - eval grad
    after_val 3 6 - eval grad
    after_train 3 6 - eval grad
    after_run 3 6 - eval grad
"""

#: MMEngine 0.10.7, IterBasedTrainLoop(max_iters=5, val_interval=2)
MMENGINE_ITERS = """
    before_run 0 0 - train grad
    before_train 0 0 - train grad
    before_train_epoch 0 0 - train grad
    before_train_iter 0 0 0 train grad
    after_train_iter 0 0 0 train grad
    before_train_iter 0 1 1 train grad
    after_train_iter 0 1 1 train grad
    before_val 0 2 - train grad
    before_val_epoch 0 2 - train grad
    before_val_iter 0 2 0 eval no_grad
    after_val_iter 0 2 0 eval no_grad
    before_val_iter 0 2 1 eval no_grad
    after_val_iter 0 2 1 eval no_grad
    after_val_epoch 0 2 - eval grad
    after_val 0 2 - eval grad
    before_train_iter 0 2 2 train grad
    after_train_iter 0 2 2 train grad
    before_train_iter 0 3 3 train grad
    after_train_iter 0 3 3 train grad
    before_val 0 4 - train grad
    before_val_epoch 0 4 - train grad
    before_val_iter 0 4 0 eval no_grad
    after_val_iter 0 4 0 eval no_grad
    before_val_iter 0 4 1 eval no_grad
    after_val_iter 0 4 1 eval no_grad
    after_val_epoch 0 4 - eval grad
    after_val 0 4 - eval grad
    before_train_iter 0 4 4 train grad
    after_train_iter 0 4 4 train grad
    before_val 0 5 - train grad
    before_val_epoch 0 5 - train grad
    before_val_iter 0 5 0 eval no_grad
    after_val_iter 0 5 0 eval no_grad
    before_val_iter 0 5 1 eval no_grad
    after_val_iter 0 5 1 eval no_grad
    after_val_epoch 0 5 - eval grad
    after_val 0 5 - eval grad
    after_train_epoch 0 5 - eval grad
    after_train 0 5 - eval grad
    after_run 0 5 - eval grad
"""


class Sequence(Hook):
    """Records every point of a training run as one line of the tables above."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def _add(self, runner: Any, point: str, batch_idx: int | None = None) -> None:
        mode = "train" if runner.model.training else "eval"
        grad = "grad" if torch.is_grad_enabled() else "no_grad"
        idx = "-" if batch_idx is None else batch_idx
        self.seen.append(f"{point} {runner.epoch} {runner.iter} {idx} {mode} {grad}")

    def before_run(self, runner):
        self._add(runner, "before_run")

    def after_run(self, runner):
        self._add(runner, "after_run")

    def before_train(self, runner):
        self._add(runner, "before_train")

    def after_train(self, runner):
        self._add(runner, "after_train")

    def before_val(self, runner):
        self._add(runner, "before_val")

    def after_val(self, runner):
        self._add(runner, "after_val")

    def before_train_epoch(self, runner):
        self._add(runner, "before_train_epoch")

    def after_train_epoch(self, runner):
        self._add(runner, "after_train_epoch")

    def before_val_epoch(self, runner):
        self._add(runner, "before_val_epoch")

    def after_val_epoch(self, runner, metrics=None):
        self._add(runner, "after_val_epoch")

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._add(runner, "before_train_iter", batch_idx)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._add(runner, "after_train_iter", batch_idx)

    def before_val_iter(self, runner, batch_idx, data_batch=None):
        self._add(runner, "before_val_iter", batch_idx)

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self._add(runner, "after_val_iter", batch_idx)


class Six(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 6

    def __getitem__(self, i: int) -> dict[str, Any]:
        return dict(inputs=torch.full((2,), float(i)), labels=torch.tensor(i % 2))


class Net(BaseModel):
    """BatchNorm: a model whose outputs depend on its mode."""

    def __init__(self, loss_element: bool = False) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.bn = nn.BatchNorm1d(2)
        self.loss_element = loss_element

    def forward(self, inputs, labels, mode="tensor"):
        out = self.bn(self.fc(inputs))
        if mode == "loss":
            return dict(loss=nn.functional.cross_entropy(out, labels))
        preds: list[Any] = [dict(pred=o, label=y) for o, y in zip(out, labels, strict=True)]
        if self.loss_element:  # MMEngine 0.10's way for a val/test step to report losses
            ce = nn.functional.cross_entropy(out, labels)
            preds.append(BaseDataElement(loss=dict(loss_cls=ce, parts=[ce, 2 * ce])))
        return preds


class ParityAcc(BaseMetric):
    def process(self, data_batch, data_samples):
        self.results.extend(float(s["pred"].argmax() == s["label"]) for s in data_samples)

    def compute_metrics(self, results):
        return dict(acc=sum(results) / len(results))


METRICS.register_module(name="ParityAcc", module=ParityAcc, force=True)


def _loader() -> dict[str, Any]:
    return dict(
        dataset=Six(),
        sampler=dict(type="DefaultSampler", shuffle=False),
        batch_size=3,
        collate_fn=dict(type="default_collate"),
    )


def _runner(tmp_path, train_cfg=None, **kwargs) -> Runner:
    train = dict(
        train_dataloader=_loader(),
        train_cfg=train_cfg,
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
    )
    return Runner(
        model=kwargs.pop("model", None) or Net(),
        work_dir=str(tmp_path),
        val_dataloader=_loader(),
        val_cfg=dict(),
        val_evaluator=dict(type="ParityAcc"),
        default_hooks=dict(checkpoint=None),
        experiment_name="parity",
        **(train if train_cfg is not None else {}),
        **kwargs,
    )


def _table(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines()]


@pytest.mark.parametrize(
    ("train_cfg", "expected"),
    [
        (dict(by_epoch=True, max_epochs=3, val_interval=2), MMENGINE_EPOCHS),
        (dict(by_epoch=False, max_iters=5, val_interval=2), MMENGINE_ITERS),
    ],
    ids=["epochs", "iterations"],
)
def test_hook_points_counters_and_modes_are_mmengines(tmp_path, train_cfg, expected) -> None:
    """After a validation the model stays in eval mode until the loop trains again:
    before_train_epoch, and after a final validation after_train_epoch (iteration
    loop), after_train, after_run and the model train() returns, see eval mode."""
    seq = Sequence()
    runner = _runner(tmp_path, train_cfg, custom_hooks=[seq])
    model = runner.train()
    assert seq.seen == _table(expected)
    assert not model.training


def test_without_a_final_validation_train_returns_a_training_model(tmp_path) -> None:
    runner = _runner(tmp_path, dict(by_epoch=True, max_epochs=3, val_interval=2, val_begin=5))
    assert runner.train().training  # no validation ran: MMEngine leaves training mode too


def test_val_step_losses_become_metrics_as_in_mmengine(tmp_path) -> None:
    """A step whose outputs end with BaseDataElement(loss=...): the element is taken off
    before the evaluator and after_val_iter, each loss is averaged over the batches, and
    val_loss/test_loss sums those named *loss* (MMEngine 0.10.7's numbers)."""
    seen: list[Any] = []

    class Outputs(Hook):
        def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            seen.append(outputs)

        def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            seen.append(outputs)

    torch.manual_seed(0)
    model = Net(loss_element=True)
    runner = _runner(
        tmp_path,
        model=model,
        custom_hooks=[Outputs()],
        test_dataloader=_loader(),
        test_cfg=dict(),
        test_evaluator=dict(type="ParityAcc"),
    )
    model.eval()
    device = next(model.parameters()).device  # the runner put the model on its device
    with torch.no_grad():
        losses = [
            nn.functional.cross_entropy(model.bn(model.fc(x.to(device))), y.to(device)).item()
            for x, y in (
                (torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]), torch.tensor([0, 1, 0])),
                (torch.tensor([[3.0, 3.0], [4.0, 4.0], [5.0, 5.0]]), torch.tensor([1, 0, 1])),
            )
        ]
    mean = sum(losses) / 2
    for method, total in (("val", "val_loss"), ("test", "test_loss")):
        metrics = getattr(runner, method)()
        assert set(metrics) == {"acc", "loss_cls", "parts", total}
        assert metrics["loss_cls"] == pytest.approx(mean)
        assert metrics["parts"] == pytest.approx(1.5 * mean)  # each list item counts once
        assert metrics[total] == pytest.approx(mean)  # "parts" is not named *loss*
    assert len(seen) == 4
    assert all(len(out) == 3 and all(isinstance(o, dict) for o in out) for out in seen)
    assert set(runner.val_loop.val_loss) == {"loss_cls", "parts"}  # MMEngine's attribute


def test_a_loss_element_without_a_dict_is_an_attribute_error_naming_the_step() -> None:
    from runner_core.errors import RunnerError
    from runner_core.structures import BaseDataElement
    from runner_loops_standard.evaluate import ValLoop

    loop = object.__new__(ValLoop)  # take_losses reads only the mode and its losses
    loop.losses = {}
    with pytest.raises(
        AttributeError, match=r"val_step .* BaseDataElement\(loss=dict\(loss=value\)\)"
    ) as info:
        loop.take_losses([{"pred": 1}, BaseDataElement(loss=torch.tensor(0.5))])
    assert isinstance(info.value, RunnerError)


@LOOPS.register_module(force=True)
class MMEngineStyleEpochLoop(EpochBasedTrainLoop):
    """run_epoch as MMEngine's loops write it: hooks through call_hook, its own counting."""

    def run_epoch(self) -> None:
        self.runner.call_hook("before_train_epoch")
        self.runner.model.train()
        for idx, data_batch in enumerate(self.dataloader):
            self.runner.call_hook("before_train_iter", batch_idx=idx, data_batch=data_batch)
            outputs = self.runner.model.train_step(
                data_batch, optim_wrapper=self.runner.optim_wrapper
            )
            self.runner.call_hook(
                "after_train_iter", batch_idx=idx, data_batch=data_batch, outputs=outputs
            )
            self._iter += 1
        self.runner.call_hook("after_train_epoch")
        self._epoch += 1


@LOOPS.register_module(force=True)
class MMEngineStyleIterLoop(IterBasedTrainLoop):
    def run_iter(self, data_batch: Any) -> None:
        self.runner.call_hook("before_train_iter", batch_idx=self._iter, data_batch=data_batch)
        outputs = self.runner.model.train_step(data_batch, optim_wrapper=self.runner.optim_wrapper)
        self.runner.call_hook(
            "after_train_iter", batch_idx=self._iter, data_batch=data_batch, outputs=outputs
        )
        self._iter += 1


@pytest.mark.parametrize(
    ("train_cfg", "names", "resume_from", "ends_at"),
    [
        (
            dict(type="MMEngineStyleEpochLoop", max_epochs=3),
            ["epoch_1.pth", "epoch_2.pth", "epoch_3.pth"],
            "epoch_2.pth",
            6,  # 3 epochs of 2 batches, the third trained once
        ),
        (
            dict(type="MMEngineStyleIterLoop", max_iters=4, val_interval=100),
            ["iter_2.pth", "iter_4.pth"],
            "iter_2.pth",
            4,
        ),
    ],
)
def test_a_loop_counting_as_mmengines_saves_and_resumes_at_its_position(
    tmp_path, train_cfg: dict, names: list[str], resume_from: str, ends_at: int
) -> None:
    """A run_epoch/run_iter of one's own (MMEngine's way: call_hook, self._epoch += 1)
    saves where MMEngine does, and a resume from it does not train an epoch again."""
    by_epoch = "max_epochs" in train_cfg

    def runner(work_dir, **kwargs) -> Runner:
        return Runner(
            model=Net(),
            work_dir=str(work_dir),
            train_dataloader=_loader(),
            train_cfg=train_cfg,
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
            default_hooks=dict(checkpoint=dict(interval=1 if by_epoch else 2, by_epoch=by_epoch)),
            **kwargs,
        )

    runner(tmp_path / "wd").train()
    assert sorted(p.name for p in (tmp_path / "wd").glob("*.pth")) == names
    resumed = runner(tmp_path / "again", resume=str(tmp_path / "wd" / resume_from))
    resumed.train()
    assert resumed.iter == ends_at


def test_mmengines_private_names_a_loop_of_ones_own_calls(tmp_path) -> None:
    """mmrazor's QAT loops call _decide_current_val_interval(); its PTQ loop reads
    runner._randomness_cfg."""
    train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=2, dynamic_intervals=[(2, 1)])
    run = _runner(tmp_path, train_cfg)
    loop = run.train_loop
    loop._decide_current_val_interval()
    assert loop.val_interval == 2
    loop._epoch = 2
    loop._decide_current_val_interval()
    assert loop.val_interval == 1
    assert run._randomness_cfg is run.randomness_cfg


def test_a_resumed_mmengine_style_epoch_counts_its_batches_from_the_start(tmp_path) -> None:
    """MMEngine's run_epoch iterates its data from the start after a mid-epoch resume;
    the batch count its checkpoints record starts over with it."""

    def runner(work_dir, **kwargs) -> Runner:
        return Runner(
            model=Net(),
            work_dir=str(work_dir),
            train_dataloader=_loader(),
            train_cfg=dict(type="MMEngineStyleEpochLoop", max_epochs=2),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
            default_hooks=dict(checkpoint=dict(interval=1, by_epoch=False)),
            **kwargs,
        )

    runner(tmp_path / "wd").train()  # 2 batches an epoch: iter_1 .. iter_4
    again = runner(tmp_path / "again", resume=str(tmp_path / "wd" / "iter_3.pth"))
    again.train()
    for name in sorted(p.name for p in (tmp_path / "again").glob("iter_*.pth")):
        loop = torch.load(tmp_path / "again" / name, weights_only=False)["loop"]
        assert loop["batch_in_epoch"] <= 2, (name, loop)
