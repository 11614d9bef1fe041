"""Parameters that can be passed positionally are MMEngine 0.10.7's, in MMEngine's order.

Downstream code ported by changing imports calls ``super().__init__(...)`` positionally
(a ``CheckpointHook`` subclass passing all sixteen of MMEngine's arguments): a parameter
of ours slotted between MMEngine's binds the wrong value, silently or with a confusing
error. Our additions come after MMEngine's, keyword-only. MMEngine is not installed
here, so its names are literals (read from MMEngine 0.10.7's signatures).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)

_MULTI_STEP = ["milestones", "gamma", "last_step", "begin", "end", "by_epoch", "verbose"]

#: (module, name, MMEngine 0.10.7's positional parameters, without self)
MMENGINE_POSITIONAL: list[tuple[str, str, list[str]]] = [
    (
        "runner_hooks_standard",
        "CheckpointHook",
        [
            "interval",
            "by_epoch",
            "save_optimizer",
            "save_param_scheduler",
            "out_dir",
            "max_keep_ckpts",
            "save_last",
            "save_best",
            "rule",
            "greater_keys",
            "less_keys",
            "file_client_args",
            "filename_tmpl",
            "backend_args",
            "published_keys",
            "save_begin",
        ],
    ),
    (
        "runner_hooks_standard",
        "LoggerHook",
        [
            "interval",
            "ignore_last",
            "interval_exp_name",
            "out_dir",
            "out_suffix",
            "keep_local",
            "file_client_args",
            "log_metric_by_epoch",
            "backend_args",
        ],
    ),
    ("runner_hooks_standard", "EMAHook", ["ema_type", "strict_load", "begin_iter", "begin_epoch"]),
    ("runner_core.optim", "AmpOptimWrapper", ["loss_scale", "dtype", "use_fsdp"]),
    ("runner_core.optim", "MultiStepParamScheduler", ["optimizer", "param_name", *_MULTI_STEP]),
    ("runner_core.optim", "MultiStepLR", ["optimizer", *_MULTI_STEP]),
    ("runner_core.optim", "MultiStepMomentum", ["optimizer", *_MULTI_STEP]),
    ("runner_core.fileio", "put_text", ["obj", "filepath", "backend_args"]),
    ("runner_core.distributed", "init_dist", ["launcher", "backend", "init_backend"]),
    ("runner_core.model", "stack_batch", ["tensor_list", "pad_size_divisor", "pad_value"]),
]


def _positional(obj: Callable[..., Any]) -> list[str]:
    return [n for n, p in inspect.signature(obj).parameters.items() if p.kind in _POSITIONAL]


@pytest.mark.parametrize(
    ("module", "name", "expected"), MMENGINE_POSITIONAL, ids=[n for _, n, _ in MMENGINE_POSITIONAL]
)
def test_positional_parameters_are_mmengines_in_its_order(
    module: str, name: str, expected: list[str]
) -> None:
    import importlib

    obj = getattr(importlib.import_module(module), name)
    # exactly MMEngine's: an addition of ours is keyword-only, so it cannot shift them
    assert _positional(obj) == expected


def test_checkpoint_hook_subclass_passing_mmengines_arguments_positionally() -> None:
    from runner_hooks_standard import CheckpointHook

    class Ported(CheckpointHook):  # mmseg-style: every argument of MMEngine's, in order
        def __init__(self, **kw: Any) -> None:
            super().__init__(
                2, True, False, True, None, 3, True, "acc", "greater", None, None,
                None, "ep_{}.pth", None, None, 1,
            )  # fmt: skip

    hook = Ported()
    assert (hook.interval, hook.save_optimizer, hook.max_keep_ckpts, hook.save_begin) == (
        2,
        False,
        3,
        1,
    )
    assert hook.filename_tmpl == "ep_{}.pth"
    assert hook.file_client_args is None and hook.backend_args is None


def test_checkpoint_hook_keeps_a_named_signature() -> None:
    """No ``**kwargs`` (MMEngine's passes them to ``runner.save_checkpoint``, which takes
    none): an unknown argument fails at construction, and config checks can name it."""
    from runner_hooks_standard import CheckpointHook

    kinds = {p.kind for p in inspect.signature(CheckpointHook).parameters.values()}
    assert inspect.Parameter.VAR_KEYWORD not in kinds
    with pytest.raises(TypeError, match="'save_optimiser'"):
        CheckpointHook(save_optimiser=False)  # type: ignore[call-arg]


def test_ema_hook_second_positional_is_strict_load() -> None:
    from runner_hooks_standard import EMAHook

    hook = EMAHook("ExponentialMovingAverage", True, 0, 0, momentum=0.001)
    assert hook.strict_load is True


def test_amp_optim_wrapper_takes_the_optimizer_by_keyword() -> None:
    from runner_core.optim import AmpOptimWrapper

    sgd = torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    wrapper = AmpOptimWrapper("dynamic", "bfloat16", optimizer=sgd)
    assert wrapper.optimizer is sgd and wrapper.cast_dtype is torch.bfloat16
    with pytest.raises(TypeError, match="optimizer by keyword.*loss_scale"):
        AmpOptimWrapper(sgd)  # type: ignore[arg-type]
