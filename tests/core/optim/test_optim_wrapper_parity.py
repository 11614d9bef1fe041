"""Optim wrappers against MMEngine 0.10.7: the numbers and attributes MMEngine code reads.

The expected values were checked side by side with MMEngine 0.10.7; here they
are computed by hand so the tests run without it.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch import nn

from runner_core.errors import BuildError
from runner_core.optim.amp_optim_wrapper import AmpOptimWrapper
from runner_core.optim.optim_wrapper import OptimWrapper
from runner_core.optim.optim_wrapper_dict import OptimWrapperDict


def _model(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))


def _batches(n: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    return [(torch.randn(4, 4, generator=g), torch.randn(4, 1, generator=g)) for _ in range(n)]


def _loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    return nn.functional.mse_loss(model(batch[0]).float(), batch[1])


# -- clipping ------------------------------------------------------------------


def test_clip_grad_kwargs_is_none_while_clipping_is_off_and_none_turns_it_off() -> None:
    """MMEngine code tests ``clip_grad_kwargs is None``; setting it so stops clipping."""
    p = nn.Parameter(torch.zeros(2))
    off = OptimWrapper(torch.optim.SGD([p], lr=1.0))
    assert off.clip_grad_kwargs is None and off.clip_func is None and off.grad_name is None
    wrapper = OptimWrapper(torch.optim.SGD([p], lr=1.0), clip_grad=dict(max_norm=1.0))
    assert wrapper.clip_grad_kwargs == {"max_norm": 1.0}
    assert wrapper.clip_func is torch.nn.utils.clip_grad_norm_ and wrapper.grad_name == "grad_norm"
    wrapper.clip_grad_kwargs = None  # MMEngine's step checks it before clipping
    wrapper.update_params((p * torch.tensor([3.0, 4.0])).sum())
    torch.testing.assert_close(p.detach(), torch.tensor([-3.0, -4.0]))  # unclipped
    value = OptimWrapper(torch.optim.SGD([p], lr=1.0), clip_grad=dict(type="value", clip_value=1))
    assert value.clip_func is torch.nn.utils.clip_grad_value_ and value.grad_name == "grad_value"


def test_a_wrapper_written_for_mmengine_steps_with_its_attributes() -> None:
    """A subclass's ``step`` as MMEngine users write it: clip_func, grad_name, message_hub."""
    from runner_core.logging.message_hub import MessageHub

    class LoggingWrapper(OptimWrapper):
        def step(self, **kwargs: Any) -> None:
            if self.clip_grad_kwargs:
                params = [p for g in self.optimizer.param_groups for p in g["params"]]
                grad = self.clip_func(params, **self.clip_grad_kwargs)
                self.message_hub.update_scalar(f"train/{self.grad_name}_mine", float(grad))
            self.optimizer.step(**kwargs)

    hub = MessageHub.get_instance("parity_logging_wrapper")
    p = nn.Parameter(torch.zeros(2))
    wrapper = LoggingWrapper(torch.optim.SGD([p], lr=1.0), clip_grad=dict(max_norm=1.0))
    assert wrapper.message_hub is MessageHub.get_current_instance()
    wrapper.update_params((p * torch.tensor([3.0, 4.0])).sum())
    assert hub.get_scalar("train/grad_norm_mine").current() == pytest.approx(5.0)
    torch.testing.assert_close(p.detach(), torch.tensor([-0.6, -0.8]))


def test_a_wrapper_may_set_its_message_hub_as_mmengines_init_does() -> None:
    from runner_core.logging.message_hub import MessageHub

    class OwnHub(OptimWrapper):
        def __init__(self, optimizer: Any, **kwargs: Any) -> None:
            super().__init__(optimizer, **kwargs)
            self.message_hub = MessageHub.get_instance("parity_own_hub")

    wrapper = OwnHub(torch.optim.SGD([nn.Parameter(torch.zeros(2))], lr=1.0))
    assert wrapper.message_hub is MessageHub.get_instance("parity_own_hub")


def test_a_frozen_parameters_stale_gradient_is_neither_clipped_nor_counted() -> None:
    """MMEngine clips ``p.requires_grad and p.grad is not None`` only."""
    model = _model()
    wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1), clip_grad=dict(max_norm=0.1)
    )
    (_loss(model, _batches(1)[0]) * 5).backward()
    first = model[0]
    assert isinstance(first, nn.Linear) and first.weight.grad is not None
    first.weight.requires_grad_(False)  # frozen after its gradient was computed
    stale = first.weight.grad.clone()
    before = first.weight.detach().clone()
    counted = [p.grad for p in model.parameters() if p.requires_grad]
    expected = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in counted]))
    wrapper.step()
    assert wrapper.last_grad_norm == pytest.approx(float(expected), rel=1e-6)
    # SGD still applies the frozen weight's gradient, unclipped
    torch.testing.assert_close(first.weight.detach(), before - 0.1 * stale)


# -- accumulation --------------------------------------------------------------


@pytest.mark.parametrize(("max_counts", "remainder"), [(9, 0), (10, 1), (11, 2)])
def test_remainder_counts_is_mmengines_and_scaling_follows_it(
    max_counts: int, remainder: int
) -> None:
    """``_remainder_counts = max_counts % accumulative_counts`` (0 when it divides), as in
    MMEngine, whose hooks set it themselves when they change the run's length."""
    wrapper = OptimWrapper(
        torch.optim.SGD([nn.Parameter(torch.zeros(()))], lr=1.0), accumulative_counts=3
    )
    wrapper.initialize_count_status(nn.Linear(1, 1), 0, max_counts)
    assert wrapper._remainder_counts == remainder
    factors = []
    for i in range(max_counts):
        wrapper._inner_count = i
        factors.append(6.0 / wrapper.scale_loss(torch.tensor(6.0)).item())
    last = remainder or 3
    assert factors == [3.0] * (max_counts - last) + [float(last)] * last
    # past the run's end (counted too far) the window is a full one, not a division by 0
    wrapper._inner_count = max_counts
    assert wrapper.scale_loss(torch.tensor(6.0)).item() == (2.0 if remainder == 0 else 6 / last)


def test_a_hook_resetting_max_counts_as_for_mmengine_keeps_the_last_window() -> None:
    """Code written for MMEngine sets ``_max_counts`` and ``_remainder_counts`` directly."""
    param = nn.Parameter(torch.zeros(()))
    wrapper = OptimWrapper(torch.optim.SGD([param], lr=1.0), accumulative_counts=4)
    wrapper.initialize_count_status(nn.Linear(1, 1), 0, 100)
    wrapper._max_counts = 12
    wrapper._remainder_counts = 12 % wrapper._accumulative_counts  # 0: windows divide
    updates = []
    for _ in range(12):
        before = param.item()
        wrapper.update_params(-param)
        updates.append(param.item() - before)
    assert updates == [0, 0, 0, 1.0] * 3


# -- AMP -----------------------------------------------------------------------


def test_amp_bfloat16_on_cpu_is_bit_equal_to_autocast_with_a_grad_scaler() -> None:
    """MMEngine scales bfloat16 losses too; scaling by a power of two changes no bit here."""
    batches = _batches(6)
    ours, hand = _model(), _model()
    wrapper = AmpOptimWrapper(
        optimizer=torch.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9),
        dtype="bfloat16",
        clip_grad=dict(max_norm=0.05),
    )
    optimizer = torch.optim.SGD(hand.parameters(), lr=0.1, momentum=0.9)
    scaler = torch.amp.GradScaler("cpu")
    for batch in batches:
        with wrapper.optim_context(ours):
            loss = _loss(ours, batch)
        wrapper.update_params(loss)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = _loss(hand, batch)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(hand.parameters(), max_norm=0.05)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
    for a, b in zip(ours.parameters(), hand.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("loss_scale", ["bad", None, [2.0], {"init_scal": 1024.0}])
def test_amp_bad_loss_scale_is_refused_whatever_the_dtype(dtype: str, loss_scale: Any) -> None:
    """MMEngine raises a TypeError for it; bfloat16 (no GradScaler here) must not hide it."""
    with pytest.raises(BuildError, match="loss_scale") as info:
        AmpOptimWrapper(
            optimizer=torch.optim.SGD(_model().parameters(), lr=0.1),
            loss_scale=loss_scale,
            dtype=dtype,
        )
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_amp_loads_an_mmengine_amp_state_dict(dtype: str) -> None:
    """MMEngine's layout: the optimizer's state plus ``loss_scaler`` (its GradScaler's)."""
    model = _model()
    source = torch.optim.Adam(model.parameters(), lr=0.01)
    _loss(model, _batches(1)[0]).backward()
    source.step()
    mmengine_state = {
        **source.state_dict(),
        "loss_scaler": {
            "scale": 1024.0,
            "growth_factor": 2.0,
            "backoff_factor": 0.5,
            "growth_interval": 2000,
            "_growth_tracker": 7,
        },
    }
    wrapper = AmpOptimWrapper(
        optimizer=torch.optim.Adam(_model().parameters(), lr=0.01), dtype=dtype
    )
    wrapper.load_state_dict(dict(mmengine_state))
    assert wrapper.optimizer.state_dict()["param_groups"] == source.state_dict()["param_groups"]
    if dtype == "float16":
        assert wrapper.loss_scaler.get_scale() == 1024.0
        assert wrapper.state_dict()["loss_scaler"]["_growth_tracker"] == 7
    else:
        assert wrapper.loss_scaler is None and "loss_scaler" not in wrapper.state_dict()


# -- OptimWrapperDict ------------------------------------------------------------


def _dict() -> OptimWrapperDict:
    gen, disc = _model(0), _model(1)
    return OptimWrapperDict(
        gen=OptimWrapper(torch.optim.SGD(gen.parameters(), lr=0.1, momentum=0.9)),
        disc=OptimWrapper(torch.optim.Adam(disc.parameters(), lr=0.01)),
    )


def test_optim_wrapper_dict_has_no_defaults_for_hasattr_and_getattr() -> None:
    """MMEngine's dict raises AttributeError there: ``hasattr`` is False, not an error."""
    wrappers = _dict()
    assert not hasattr(wrappers, "defaults")
    assert getattr(wrappers, "defaults", None) is None
    with pytest.raises(NotImplementedError, match=r"optim_wrapper\['gen'\]\.defaults "):
        wrappers.defaults  # noqa: B018


@pytest.mark.parametrize("method", ["step", "backward", "update_params", "should_update"])
def test_optim_wrapper_dict_refuses_a_single_wrappers_step(method: str) -> None:
    wrappers = _dict()
    args = (torch.tensor(1.0),) if method in ("backward", "update_params") else ()
    with pytest.raises(NotImplementedError, match=rf"optim_wrapper\['gen'\]\.{method}\(") as info:
        getattr(wrappers, method)(*args)
    assert isinstance(info.value, AttributeError)  # MMEngine's should_update: no _inner_count


def test_optim_wrapper_dict_lr_and_momentum_keys_are_mmengines() -> None:
    wrappers = _dict()
    assert wrappers.get_lr() == {"gen.lr": [0.1], "disc.lr": [0.01]}
    assert wrappers.get_momentum() == {"gen.momentum": [0.9], "disc.momentum": [0.9]}
    assert math.isclose(wrappers["disc"].get_momentum()["momentum"][0], 0.9)
