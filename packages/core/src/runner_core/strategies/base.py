"""``BaseStrategy``: what a ``FlexibleRunner``'s ``strategy=`` holds.

MMEngine's strategies build, wrap, save and load the model themselves. Here
the Runner already does all of that, so a strategy is only the options the
``FlexibleRunner`` maps onto the Runner's own arguments (``launcher``,
``env_cfg``, ``model_wrapper_cfg``, ...): a config written for MMEngine's
``FlexibleRunner`` keeps its ``strategy=dict(type=..., ...)``, and
``isinstance(runner.strategy, DDPStrategy)`` keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigTypeError, did_you_mean

#: ``env_kwargs`` keys MMEngine's strategies take (``BaseStrategy._setup_env``)
ENV_KWARGS = ("launcher", "cudnn_benchmark", "mp_cfg", "dist_cfg", "resource_limit", "randomness")
#: ``log_kwargs`` keys the Runner's logger takes
LOG_KWARGS = ("log_level",)


def _options(value: Mapping[str, Any] | None, allowed: tuple[str, ...], key: str) -> dict[str, Any]:
    options = dict(value or {})
    unknown = [k for k in options if k not in allowed]
    if unknown:  # MMEngine passes them on as keyword arguments: a TypeError there
        hints = "".join(did_you_mean(str(k), allowed) for k in unknown)
        raise ConfigTypeError(
            f"strategy {key} has unknown key(s) {unknown}; it takes {', '.join(allowed)}.{hints}"
        )
    return options


class BaseStrategy:
    """The options every strategy takes, as MMEngine's ``BaseStrategy`` (keyword-only).

    Set here, ``work_dir``, ``experiment_name``, ``auto_scale_lr``,
    ``env_kwargs`` (``launcher``, ``randomness`` and ``env_cfg`` keys) and
    ``log_kwargs`` (``log_level``) win over the runner's own arguments, as
    in MMEngine, where the runner only fills the ones a strategy leaves unset.
    """

    def __init__(
        self,
        *,
        work_dir: str | None = None,
        experiment_name: str | None = None,
        env_kwargs: Mapping[str, Any] | None = None,
        log_kwargs: Mapping[str, Any] | None = None,
        auto_scale_lr: Mapping[str, Any] | None = None,
    ) -> None:
        self.work_dir = work_dir
        self.experiment_name = experiment_name
        self.env_kwargs = _options(env_kwargs, ENV_KWARGS, "env_kwargs")
        self.log_kwargs = _options(log_kwargs, LOG_KWARGS, "log_kwargs")
        self.auto_scale_lr = auto_scale_lr

    def runner_launcher(self, launcher: str) -> str:
        """The Runner's ``launcher`` for a run started by ``launcher``."""
        return launcher

    def model_wrapper_cfg(self) -> dict[str, Any] | None:
        """The Runner's ``model_wrapper_cfg`` (None: its default, DDP when distributed)."""
        return None

    def __repr__(self) -> str:
        shown = {
            k: v
            for k, v in vars(self).items()
            if not k.startswith("_") and v is not None and v is not False and v != {}
        }
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"
