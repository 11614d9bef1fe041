"""The config checker's rules, checked in this process (no command, no subprocess)."""

from __future__ import annotations

from runner_cli.config_checker import check_config
from runner_core import Config

_RUN = dict(
    model=dict(type="Linear", in_features=2, out_features=2),
    train_dataloader=dict(dataset=dict(type="NotChecked"), batch_size=4),
    train_cfg=dict(by_epoch=True, max_epochs=1),
)


def _problems(**cfg: object) -> dict[str, str]:
    problems, _ = check_config(Config({**_RUN, **cfg}), "train")
    return {p.key_path: p.message for p in problems if p.key_path.startswith("optim")}


def test_the_guides_optimizer_agrees_with_the_runner() -> None:
    """optimizer= fills an optim_wrapper without one, as the Runner does (config check said
    optim_wrapper.clip_grad "has no 'optimizer'"); beside the wrapper's own it is refused
    (config check passed it, and the run dropped it)."""
    assert (
        _problems(
            optimizer=dict(type="SGD", lr=0.5), optim_wrapper=dict(clip_grad=dict(max_norm=1))
        )
        == {}
    )
    both = _problems(
        optimizer=dict(type="SGD", lr=0.1), optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01))
    )
    assert list(both) == ["optimizer"]
    assert both["optimizer"].startswith(
        "optimizer=dict(type='SGD', ...) and optim_wrapper.optimizer=dict(type='SGD', ...) both "
        "give the optimizer"
    )
