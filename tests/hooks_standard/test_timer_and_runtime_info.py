"""IterTimerHook's times and ETA; RuntimeInfoHook's MessageHub entries."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from runner_hooks_standard.runtime_info import RuntimeInfoHook
from runner_hooks_standard.timer import IterTimerHook


def test_data_time_time_and_eta_from_a_known_clock(fake_runner: Any) -> None:
    runner = fake_runner()  # max_iters = 20
    hook = IterTimerHook()
    hook._clock = iter([0.0, 1.0, 3.0, 3.5, 5.0, 5.0, 9.0]).__next__
    hub = runner.message_hub
    hook.before_train_epoch(runner)  # t=0
    hook.before_train_iter(runner, 0)  # t=1: waited 1 s for data
    hook.after_train_iter(runner, 0)  # t=3: the iteration took 3 s end to end
    assert hub.get_scalar("train/data_time").current() == 1.0
    assert hub.get_scalar("train/time").current() == 3.0
    assert hub.get_info("eta") == pytest.approx(3.0 * 19)
    runner.train_loop.iter = 1
    hook.before_train_iter(runner, 0)  # t=3.5
    hook.after_train_iter(runner, 0)  # t=5: 2 s
    assert hub.get_scalar("train/data_time").current() == 0.5
    # the first (warm-up) iteration is left out of the mean once there are others
    assert hub.get_info("eta") == pytest.approx(2.0 * 18)
    runner.train_loop.iter = 2
    hook.before_train_iter(runner, 0)  # t=5
    hook.after_train_iter(runner, 0)  # t=9: 4 s -> mean (2 + 4) / 2
    assert hub.get_info("eta") == pytest.approx(3.0 * 17)


def test_validation_time_is_not_training_data_time(fake_runner: Any) -> None:
    runner = fake_runner()
    hook = IterTimerHook()
    hook._clock = iter([0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 10.0, 10.0, 11.0]).__next__
    hook.before_train_epoch(runner)
    hook.before_train_iter(runner, 0)
    hook.after_train_iter(runner, 0)  # t=1
    hook.before_val_epoch(runner)  # t=1
    hook.before_val_iter(runner, 0)  # t=2
    hook.after_val_iter(runner, 0)  # t=2
    assert runner.message_hub.get_scalar("val/data_time").current() == 1.0
    hook.after_val(runner)  # t=10: validation ended
    hook.before_train_iter(runner, 0)  # t=10
    assert runner.message_hub.get_scalar("train/data_time").current() == 0.0


class Wrapper:
    def __init__(self) -> None:
        self.grad_norm = torch.tensor(2.5)

    def get_lr(self) -> dict:
        return {"lr": [0.1, 0.2]}

    def get_momentum(self) -> dict:
        return {"momentum": [0.9, 0.9]}


def test_runtime_info_stores_outputs_unread_and_without_graphs(fake_runner: Any) -> None:
    runner = fake_runner(optim_wrapper=Wrapper())
    hook = RuntimeInfoHook()
    hook.before_train(runner)
    assert runner.message_hub.get_info("max_iters") == 20
    runner.train_loop.iter = 4
    hook.before_train_iter(runner, 0)
    loss = torch.tensor(0.25)
    loss_cls = torch.tensor(0.5, requires_grad=True) * 1
    # a tensor off the CPU ("meta" stands in for a GPU): reading it would wait on the device
    loss_dev = torch.tensor(0.75, device="meta")
    loss_grad = torch.ones(2, device="meta", requires_grad=True) * 2
    outputs = {"loss": loss, "loss_cls": loss_cls, "acc": 1.0, "loss_dev": loss_dev}
    hook.after_train_iter(runner, 0, outputs={**outputs, "loss_grad": loss_grad})
    hub = runner.message_hub
    assert hub.get_info("iter") == 4
    assert hub.get_scalar("train/lr").current() == 0.1  # param group 0
    assert hub.get_scalar("train/momentum").current() == 0.9
    # stored as they are, no .item() per iteration (no device to wait for, no read to pay)
    assert hub.get_scalar("train/loss")._values[-1] is loss
    assert hub.get_scalar("train/loss_dev")._values[-1] is loss_dev
    # but never with a graph attached
    stored_cls = hub.get_scalar("train/loss_cls")._values[-1]
    assert not stored_cls.requires_grad and stored_cls.grad_fn is None
    assert not hub.get_scalar("train/loss_grad")._values[-1].requires_grad
    assert hub.get_scalar("train/acc").current() == 1.0
    assert hub.get_scalar("train/grad_norm").current() == 2.5
    # read as numbers, and kept as numbers once read
    assert hub.get_scalar("train/loss").current() == 0.25
    assert hub.get_scalar("train/loss_cls").mean() == 0.5
    assert type(hub.get_scalar("train/loss")._values[-1]) is float


def test_grad_norm_is_published_while_clipping_is_on_and_losses_never_keep_a_graph(
    fake_runner: Any,
) -> None:
    from runner_core.optim import OptimWrapper

    model = torch.nn.Linear(2, 1)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.0))
    runner = fake_runner(optim_wrapper=wrapper)
    hub = runner.message_hub
    hook = RuntimeInfoHook()
    hook.before_train(runner)

    def step(detach: bool = True) -> torch.Tensor:
        loss = model(torch.ones(1, 2)).sum() * 10  # every gradient 10: norm sqrt(300)
        wrapper.update_params(loss)
        hook.after_train_iter(runner, 0, outputs={"loss": loss.detach() if detach else loss})
        return loss

    step()
    assert "train/grad_norm" not in hub.log_scalars  # no clipping, no norm
    wrapper.set_clip_grad(dict(max_norm=0.1))  # turned on mid-run
    step()
    assert hub.get_scalar("train/grad_norm").current() == pytest.approx(300**0.5)
    wrapper.set_clip_grad(None)
    step()
    assert len(hub.get_scalar("train/grad_norm")) == 1  # off again: no stale norm repeated
    # a step that returns its loss with the graph: stored detached all the same
    step(detach=False)
    kept = hub.get_scalar("train/loss")._values
    assert len(kept) == 4 and not any(v.requires_grad for v in kept)


def test_grad_norm_is_recorded_once_per_optimizer_step_under_accumulation(
    fake_runner: Any,
) -> None:
    """MMEngine records the norm when the optimizer steps, not on accumulating iterations."""
    from runner_core.optim import OptimWrapper

    model = torch.nn.Linear(2, 1)
    wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1),
        accumulative_counts=3,
        clip_grad=dict(max_norm=9.0),
    )
    wrapper.initialize_count_status(model, 0, 6)
    runner = fake_runner(optim_wrapper=wrapper)
    hook = RuntimeInfoHook()
    hook.before_train(runner)
    norms = []
    for i in range(6):
        loss = model(torch.full((1, 2), float(i + 1))).sum()
        wrapper.update_params(loss)
        if (i + 1) % 3 == 0:
            norms.append(wrapper.last_grad_norm)  # read as a user hook might: no repeat either
        hook.after_train_iter(runner, i, outputs={"loss": loss.detach()})
    history = runner.message_hub.get_scalar("train/grad_norm")
    assert history.data() == pytest.approx(norms) and len(norms) == 2


def test_runtime_info_with_several_optimizers(fake_runner: Any) -> None:
    from runner_core.optim import OptimWrapper, OptimWrapperDict

    gen, disc = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    wrapper = OptimWrapperDict(
        gen=OptimWrapper(torch.optim.SGD(gen.parameters(), lr=0.1)),
        disc=OptimWrapper(torch.optim.Adam(disc.parameters(), lr=0.02)),
    )
    runner = fake_runner(optim_wrapper=wrapper)
    hook = RuntimeInfoHook()
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    hook.after_train_iter(runner, 0, outputs=None)
    hub = runner.message_hub
    assert hub.get_scalar("train/gen.lr").current() == pytest.approx(0.1)
    assert hub.get_scalar("train/disc.lr").current() == pytest.approx(0.02)
    assert hub.get_scalar("train/disc.momentum").current() == pytest.approx(0.9)


def test_each_point_of_a_fresh_hook_works_alone_as_mmengine_hook_tests_call_them(
    make_runner: Any,
) -> None:
    """Downstream hook tests (MMEngine's own among them) call one point of a hook on a
    built runner, without the run's earlier points: each one still records its values."""
    from runner_core.optim import OptimWrapper, OptimWrapperDict

    runner = make_runner()
    hook = RuntimeInfoHook()
    hook.after_train_iter(runner, 2, outputs={"loss_cls": 1.111})
    assert runner.message_hub.get_scalar("train/loss_cls").current() == pytest.approx(1.111)
    hook = RuntimeInfoHook()
    model = torch.nn.Linear(2, 2)
    runner.optim_wrapper = OptimWrapperDict(
        key1=OptimWrapper(torch.optim.SGD([model.weight], lr=0.01)),
        key2=OptimWrapper(torch.optim.SGD([model.bias], lr=0.02)),
    )
    hook.before_train_iter(runner, 2)
    assert runner.message_hub.get_scalar("train/key1.lr").current() == pytest.approx(0.01)
    assert runner.message_hub.get_scalar("train/key2.lr").current() == pytest.approx(0.02)
    # MMEngine's attribute: the stage a validation inside training goes back to
    hook.before_train(runner)
    hook.before_val(runner)
    assert hook.last_loop_stage == "train"
    hook.after_val(runner)
    assert hook.last_loop_stage is None
    assert runner.message_hub.get_info("loop_stage") == "train"


def test_grad_norm_of_an_optim_wrapper_dict_is_train_grad_norm_as_in_mmengine(
    fake_runner: Any,
) -> None:
    """MMEngine's clipping wrappers of a dict each write ``train/grad_norm`` when they step."""
    from runner_core.optim import OptimWrapper, OptimWrapperDict

    gen, disc = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    wrapper = OptimWrapperDict(
        gen=OptimWrapper(torch.optim.SGD(gen.parameters(), lr=0.1)),
        disc=OptimWrapper(
            torch.optim.SGD(disc.parameters(), lr=0.1), clip_grad=dict(max_norm=100.0)
        ),
    )
    runner = fake_runner(optim_wrapper=wrapper)
    hook = RuntimeInfoHook()
    hook.before_train(runner)
    norms = []
    for i in range(3):
        x = torch.full((1, 2), float(i + 1))
        wrapper["gen"].update_params(gen(x).sum())
        wrapper["disc"].update_params(disc(x).sum())
        norms.append(wrapper["disc"].last_grad_norm)
        hook.after_train_iter(runner, i, outputs=None)
    hub = runner.message_hub
    assert hub.get_scalar("train/grad_norm").data() == pytest.approx(norms)
    assert hub.get_scalar("train/grad_norm").current() == pytest.approx(norms[-1])
    assert hub.get_scalar("train/disc.grad_norm").data() == pytest.approx(norms)
    assert "train/gen.grad_norm" not in hub.log_scalars  # it does not clip


def test_metrics_are_published_after_validation_and_test(fake_runner: Any) -> None:
    runner = fake_runner()
    hook = RuntimeInfoHook()
    hook.after_val_epoch(runner, metrics={"accuracy/top1": 91.5, "confusion": [[1, 0], [0, 1]]})
    hook.after_test_epoch(runner, metrics={"accuracy/top1": torch.tensor(88.0)})
    hub = runner.message_hub
    assert hub.get_scalar("val/accuracy/top1").current() == 91.5
    assert hub.get_info("val/confusion") == [[1, 0], [0, 1]]
    assert hub.get_scalar("test/accuracy/top1").current() == 88.0


def test_several_param_groups_log_base_lr_before_lr(make_runner: Any) -> None:
    runner = make_runner(
        optim_wrapper=dict(
            optimizer=dict(type="SGD", lr=0.1), paramwise_cfg=dict(bias_lr_mult=0.5)
        ),
        param_scheduler=dict(type="MultiStepLR", milestones=[1], gamma=0.1),
        default_hooks=dict(logger=dict(interval=4)),
    )
    runner.train()
    hub = runner.message_hub
    assert hub.get_scalar("train/base_lr").current() == pytest.approx(0.01)  # after epoch 1
    assert hub.get_scalar("train/lr").current() == pytest.approx(0.01)  # group 0: the weight
    log = (runner.log_dir / f"{runner.timestamp}.log").read_text()
    line = next(x for x in log.splitlines() if "Epoch(train) [2][4/8]" in x)
    assert line.index("base_lr: 1.0000e-02") < line.index("  lr: 1.0000e-02")


def test_loop_stage_last_ckpt_and_dataset_meta_info_as_mmengine(make_runner: Any) -> None:
    from runner_core.hooks import Hook

    seen: list[tuple[str, Any]] = []

    class Probe(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            if batch_idx == 0:
                seen.append(("train", runner.message_hub.get_info("loop_stage")))

        def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            if batch_idx == 0:
                seen.append(("val", runner.message_hub.get_info("loop_stage")))

    runner = make_runner(val=True, custom_hooks=[Probe()], train_cfg=dict(max_epochs=1))
    runner.train()
    assert seen == [("train", "train"), ("val", "val")]
    hub = runner.message_hub
    assert hub.get_info("loop_stage") is None  # popped when training ended
    assert hub.get_info("last_ckpt").endswith("epoch_1.pth")


def test_the_hubs_epoch_is_the_epoch_in_progress_as_in_mmengine(make_runner: Any) -> None:
    """MMEngine's hub holds the 0-based epoch in progress until the next epoch starts; a hook
    ported from it reads the same number at the end of an epoch and in its validation."""
    from runner_core.hooks import Hook

    seen: list[tuple[str, int, int]] = []

    class Probe(Hook):
        def after_train_epoch(self, runner) -> None:
            seen.append(("epoch end", runner.epoch, runner.message_hub.get_info("epoch")))

        def after_val_epoch(self, runner, metrics=None) -> None:
            seen.append(("val", runner.epoch, runner.message_hub.get_info("epoch")))

    runner = make_runner(val=True, custom_hooks=[Probe()], train_cfg=dict(max_epochs=2))
    runner.train()
    assert seen == [("epoch end", 0, 0), ("val", 1, 0), ("epoch end", 1, 1), ("val", 2, 1)]
    assert runner.message_hub.get_info("epoch") == 1


def test_a_bare_loss_tensor_from_train_step_is_logged_as_loss(fake_runner: Any) -> None:
    runner = fake_runner(optim_wrapper=Wrapper())
    hook = RuntimeInfoHook()
    hook.before_train(runner)
    loss = torch.tensor(0.5, requires_grad=True) * 1
    hook.after_train_iter(runner, 0, outputs=loss)  # Lightning's habit: the loss alone
    stored = runner.message_hub.get_scalar("train/loss")._values[-1]
    assert not stored.requires_grad  # no graph kept
    hook.after_train_iter(runner, 1, outputs=torch.tensor([1.0, 2.0]))  # per sample: its mean
    assert runner.message_hub.get_scalar("train/loss").data[0].tolist() == [0.5, 1.5]


def test_a_train_step_returning_a_bare_loss_shows_it_in_the_log_and_scalars(
    make_runner: Any,
) -> None:
    import json

    from runner_core.model import BaseModel

    class BareLoss(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(4, 2)

        def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
            return self.net(inputs)

        def train_step(self, data: Any, optim_wrapper: Any) -> Any:
            # a train_step of its own casts the batch itself, as under MMEngine: onto the
            # model's device (the Runner puts the model on the GPU when there is one)
            inputs, labels = self.data_preprocessor(data, True)
            loss = torch.nn.functional.cross_entropy(self.net(inputs), labels)
            optim_wrapper.update_params(loss)
            return loss

    runner = make_runner(model=BareLoss(), default_hooks=dict(logger=dict(interval=2)))
    runner.train()
    assert "train/loss" in runner.message_hub.log_scalars
    log = next(runner.log_dir.glob("*.log")).read_text()
    assert "loss: " in log.split("Epoch(train) [1][2/8]")[1].splitlines()[0]
    scalars = (runner.log_dir / "vis_data" / "scalars.json").read_text().splitlines()
    rows = [json.loads(line) for line in scalars]
    trained = [row for row in rows if "lr" in row]
    assert trained and all("loss" in row for row in trained)


def test_the_run_identity_is_in_the_hub_as_mmengine_puts_it(make_runner: Any) -> None:
    from runner_core.config import Config

    cfg = Config(dict(train_cfg=dict(by_epoch=True, max_epochs=1), note="kept"))
    runner = make_runner(
        cfg=cfg, experiment_name="exp1", train_cfg=dict(by_epoch=True, max_epochs=1)
    )
    runner.train()
    hub = runner.message_hub
    assert hub.get_info("seed") == 1
    assert hub.get_info("experiment_name") == "exp1"
    assert hub.get_info("cfg") == cfg.pretty_text
    assert "note = 'kept'" in hub.get_info("cfg")
    # the hub saved with each checkpoint carries it, as MMEngine's does
    ckpt = torch.load(runner.work_dir / "epoch_1.pth", weights_only=False)
    assert ckpt["message_hub"]["runtime_info"]["experiment_name"] == "exp1"


def test_a_run_without_a_config_publishes_an_empty_text(make_runner: Any) -> None:
    runner = make_runner(train_cfg=dict(by_epoch=True, max_epochs=1))
    runner.train()
    assert runner.message_hub.get_info("cfg") == ""
    assert runner.message_hub.get_info("seed") == 1


def test_a_resumed_run_publishes_its_own_config_not_the_checkpoints(make_runner: Any) -> None:
    from runner_core.config import Config

    first = make_runner(cfg=Config(dict(note="first")), train_cfg=dict(by_epoch=True, max_epochs=1))
    first.train()
    resumed = make_runner(
        cfg=Config(dict(note="second")),
        experiment_name="second-run",
        train_cfg=dict(by_epoch=True, max_epochs=2),
        resume=True,
    )
    resumed.train()
    assert resumed.epoch == 2
    assert "note = 'second'" in resumed.message_hub.get_info("cfg")
    assert resumed.message_hub.get_info("experiment_name") == "second-run"


class _EtaSeen:
    """A hook that records the hub's ``'eta'`` after each validation iteration."""

    def __init__(self) -> None:
        from runner_core.hooks import Hook

        seen: list[float] = []

        class Peek(Hook):
            priority = "LOWEST"

            def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
                seen.append(runner.message_hub.get_info("eta"))

        self.hook, self.seen = Peek(), seen


def test_validation_publishes_its_own_eta_in_the_hub_as_mmengine(make_runner: Any) -> None:
    """Hooks and loggers read ``message_hub.get_info('eta')`` during validation too."""
    runner = make_runner(val=True)  # 32 samples, batch 8: 4 validation batches
    peek = _EtaSeen()
    runner.register_hook(peek.hook)
    runner.val()
    assert len(peek.seen) == 4 and all(e is not None and e >= 0 for e in peek.seen)
    assert peek.seen[-1] == 0.0 and peek.seen[0] > 0


def test_a_subclass_overriding_mmengines_helpers_is_called_through_them(
    make_runner: Any,
) -> None:
    """MMagic's timer subclass replaces ``_after_iter`` (with MMEngine's ``self.t``,
    ``time_sec_tot``, ``start_iter``) and reads its loop's ``total_length``; a
    LogProcessor subclass overrides ``_get_dataloader_size``."""
    import warnings

    from runner_core.runner import LogProcessor

    calls: list[tuple[str, int]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "override unused" warning any more

        class Timer(IterTimerHook):
            def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode="train"):
                calls.append((mode, batch_idx))
                runner.message_hub.update_info("eta", float(100 + batch_idx))
                self.t = self.t  # MMEngine's attributes are there
                assert self.start_iter == 0 and self.time_sec_tot == 0

        class Processor(LogProcessor):
            def _get_dataloader_size(self, runner, mode):
                return 10 * super()._get_dataloader_size(runner, mode)

    runner = make_runner(
        val=True,
        default_hooks=dict(timer=Timer(), logger=dict(interval=1, progress_bar=False)),
        log_processor=Processor(),
        train_cfg=dict(by_epoch=True, max_epochs=1),
    )
    peek = _EtaSeen()
    runner.register_hook(peek.hook)
    runner.train()
    assert calls[:2] == [("train", 0), ("train", 1)] and ("val", 3) in calls
    assert peek.seen == [100.0, 101.0, 102.0, 103.0]
    assert runner.message_hub.get_scalar("train/data_time") is not None  # _before_iter
    text = next(runner.log_dir.glob("*.log")).read_text()
    assert "Epoch(val) [1][ 4/40]" in text  # the processor's size


def test_a_point_that_calls_super_beside_an_overridden_helper_times_right(
    make_runner: Any,
) -> None:
    class Both(IterTimerHook):
        def before_train_iter(self, runner, batch_idx, data_batch=None):
            super().before_train_iter(runner, batch_idx, data_batch)

        def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None, mode="train"):
            super()._after_iter(runner, batch_idx, data_batch, outputs, mode)

    runner = make_runner(
        default_hooks=dict(timer=Both()), train_cfg=dict(by_epoch=True, max_epochs=1)
    )
    runner.train()
    waits = runner.message_hub.get_scalar("train/data_time").data[0]
    assert len(waits) == 8 and max(waits) < 60  # seconds since the last iteration, not since boot


@pytest.mark.parametrize(
    ("outputs", "said"),
    [
        ({"loss": torch.tensor(1.0), "tag": "x"}, r"returned tag='x' \(str\)"),
        ([torch.tensor(1.0)], r"returned a list \(\[tensor"),
    ],
)
def test_a_train_step_output_that_cannot_be_logged_fails_at_its_first_iteration(
    fake_runner: Any, outputs: Any, said: str
) -> None:
    """A string value used to pass until the first checkpoint failed on it; a list was
    never logged. MMEngine fails at the first iteration too."""
    from runner_hooks_standard.runtime_info import StepOutputError

    runner = fake_runner(optim_wrapper=Wrapper())
    hook = RuntimeInfoHook()
    hook.before_train(runner)
    with pytest.raises(StepOutputError, match=said) as info:
        hook.after_train_iter(runner, 0, outputs=outputs)
    assert isinstance(info.value, TypeError) and "train_step must return a dict" in str(info.value)
    assert "train/tag" not in runner.message_hub.log_scalars  # nothing half-recorded
