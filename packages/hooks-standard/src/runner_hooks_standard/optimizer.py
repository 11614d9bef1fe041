"""``OptimizerHook``: the MMCV-era way to set gradient clipping, kept for old configs.

The modern form puts clipping on the optim wrapper::

    optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01), clip_grad=dict(max_norm=35))

and needs no hook: ``OptimWrapper.update_params`` does backward, clipping and
step. ``default_hooks=dict(optimizer=dict(type='OptimizerHook',
grad_clip=dict(max_norm=35)))`` (the Runner guide's form) configures the same
clipping on the wrapper once, before training, and does nothing per iteration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.errors import ConfigError
from runner_core.hooks import Hook, Priority


class OptimizerHook(Hook):
    """Configure the optim wrapper's gradient clipping from ``grad_clip``.

    Args:
        grad_clip: None or False for no clipping (the wrapper's own
            ``clip_grad`` stays as configured); ``dict(max_norm=..., norm_type=2)``
            or ``dict(type='value', clip_value=...)`` to clip.
        detect_anomalous_params: MMCV's option; accepted with a warning.
    """

    priority: int | str = Priority.ABOVE_NORMAL

    def __init__(
        self,
        grad_clip: Mapping[str, Any] | bool | None = None,
        detect_anomalous_params: bool = False,
    ) -> None:
        if grad_clip is True:
            raise ConfigError(
                "OptimizerHook grad_clip=True does not say how to clip: give "
                "grad_clip=dict(max_norm=35, norm_type=2), or better, "
                "optim_wrapper=dict(clip_grad=dict(max_norm=35))."
            )
        if grad_clip not in (None, False) and not isinstance(grad_clip, Mapping):
            raise ConfigError(
                f"OptimizerHook grad_clip must be None, False or a dict like "
                f"dict(max_norm=35), got {grad_clip!r}."
            )
        if detect_anomalous_params:
            import warnings

            warnings.warn(
                "OptimizerHook detect_anomalous_params is not supported (MMCV-only); use "
                "model_wrapper_cfg=dict(find_unused_parameters=True) for DDP instead.",
                stacklevel=2,
            )
        self.grad_clip = dict(grad_clip) if isinstance(grad_clip, Mapping) else None

    def before_train(self, runner: RunnerAPI) -> None:
        if self.grad_clip is None:
            return
        wrapper = runner.optim_wrapper
        wrappers = list(wrapper.values()) if hasattr(wrapper, "values") else [wrapper]
        for w in wrappers:
            _set_clip_grad(w, self.grad_clip)
        runner.logger.info(
            "OptimizerHook: gradient clipping %s set on the optim wrapper "
            "(optim_wrapper=dict(clip_grad=...) is the modern form).",
            self.grad_clip,
        )

    def __repr__(self) -> str:
        return f"OptimizerHook(grad_clip={self.grad_clip!r})"


def _set_clip_grad(wrapper: Any, grad_clip: dict[str, Any]) -> None:
    """Give ``wrapper`` the clipping ``grad_clip`` describes (as ``clip_grad=`` would)."""
    from runner_core.optim import optim_wrapper as ow_module

    if not isinstance(wrapper, ow_module.OptimWrapper):
        raise ConfigError(
            f"OptimizerHook grad_clip needs runner.optim_wrapper to be an OptimWrapper, got "
            f"{type(wrapper).__name__}; set clipping on it directly."
        )
    wrapper.set_clip_grad(grad_clip)
