"""``Runner(...)`` takes MMEngine 0.10.7's positional arguments in MMEngine's order."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.model import ModuleAdapter

#: mmengine.runner.Runner.__init__'s parameters in 0.10.7, up to ``cfg``
MMENGINE_ORDER = (
    "model",
    "work_dir",
    "train_dataloader",
    "val_dataloader",
    "test_dataloader",
    "train_cfg",
    "val_cfg",
    "test_cfg",
    "auto_scale_lr",
    "optim_wrapper",
    "param_scheduler",
    "val_evaluator",
    "test_evaluator",
    "default_hooks",
    "custom_hooks",
    "data_preprocessor",
    "load_from",
    "resume",
    "launcher",
    "env_cfg",
    "log_processor",
    "log_level",
    "visualizer",
    "default_scope",
    "randomness",
    "experiment_name",
    "cfg",
)


def test_positional_parameters_are_mmengines_and_ours_are_keyword_only() -> None:
    params = list(inspect.signature(Runner.__init__).parameters.values())[1:]  # no self
    positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert tuple(positional) == MMENGINE_ORDER
    extra = [p for p in params if p.name not in MMENGINE_ORDER]
    assert extra and all(p.kind is p.KEYWORD_ONLY for p in extra)


def test_a_call_in_mmengines_positional_order_trains(tmp_path: Path) -> None:
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    data = dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4)
    runner = Runner(
        ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        str(tmp_path),
        data,
        None,
        None,
        dict(by_epoch=True, max_epochs=2),
        None,
        None,
        None,
        dict(optimizer=dict(type="SGD", lr=0.1)),  # optim_wrapper, the 10th
        dict(type="MultiStepLR", milestones=[1]),  # param_scheduler, the 11th
    )
    runner.train()
    assert runner.optim_wrapper.param_groups[0]["lr"] == pytest.approx(0.01)


def test_a_misspelt_keyword_gets_a_suggestion_as_a_misspelt_config_key_does() -> None:
    """Python's own TypeError named the keyword without one (MMEngine's too)."""
    from runner_core import Runner

    with pytest.raises(TypeError, match=r"'optim_wraper'\. Did you mean one of 'optim_wrapper'"):
        Runner(model=None, optim_wraper=dict())
    with pytest.raises(
        TypeError, match=r"belongs in train_cfg: train_cfg=dict\(max_epochs=\.\.\.\)"
    ):
        Runner(model=None, max_epochs=3)
    # a key read from the config, which the reference lists beside the arguments: the
    # message sent readers to that page, which says to give it
    with pytest.raises(TypeError, match=r"Runner\(\.\.\., cfg=dict\(compile=\.\.\.\)\)"):
        Runner(model=None, compile=True)

    class Named(Runner):  # no __init__ of its own: checked, and named as itself
        pass

    with pytest.raises(TypeError, match=r"^Named\(\) got an unexpected keyword argument 'lrr'"):
        Named(model=None, lrr=0.1)

    class Own(Runner):  # a subclass's own keywords are its __init__'s business
        def __init__(self, *args, freeze=(), **kwargs):
            self.freeze = freeze
            super().__init__(*args, **kwargs)

    with pytest.raises(TypeError, match="got an unexpected keyword argument 'optim_wraper'"):
        Own(model=None, freeze=("a",), optim_wraper=dict())
