"""AmpOptimWrapper: mixed precision through ``optim_context`` (autocast) and a GradScaler.

The forward runs under ``torch.autocast`` on the device the parameters live
on; parameters and optimizer state stay fp32. float16 needs loss scaling (a
``GradScaler``, saved in checkpoints as ``loss_scaler``); bfloat16 has fp32's
exponent range and runs without one, which is also what makes it usable on CPU.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

from ..errors import BuildAssertionError, BuildError, BuildValueError, did_you_mean
from .optim_wrapper import OptimWrapper

_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16}


def _param_device_type(params: Iterator[torch.Tensor]) -> str | None:
    for p in params:
        return p.device.type
    return None


def _default_autocast_dtype(device_type: str) -> torch.dtype:
    """float16 on CUDA; elsewhere what autocast uses by default (bfloat16 on CPU)."""
    if device_type == "cuda":
        return torch.float16
    get_default = getattr(torch, "get_autocast_dtype", None)  # torch >= 2.4
    if get_default is not None:
        return get_default(device_type)
    return torch.bfloat16 if device_type == "cpu" else torch.float16


def _resolve_dtype(dtype: Any) -> torch.dtype | None:
    if dtype is None or dtype in _DTYPES.values():
        return dtype
    if isinstance(dtype, str):
        name = dtype.removeprefix("torch.")
        if name in _DTYPES:
            return _DTYPES[name]
        aliases = {"fp16": "float16", "half": "float16", "bf16": "bfloat16"}
        if name in aliases:
            return _DTYPES[aliases[name]]
    raise BuildAssertionError(
        f"AmpOptimWrapper got dtype={dtype!r}; use None (the device's autocast default), "
        "'float16' or 'bfloat16'." + did_you_mean(str(dtype), _DTYPES)
    )


def _parse_loss_scale(loss_scale: Any) -> tuple[float | None, dict[str, Any]]:
    """``loss_scale`` -> (the static scale or None, the GradScaler's keyword arguments)."""
    if loss_scale == "dynamic":
        return None, {}
    if isinstance(loss_scale, (int, float)) and not isinstance(loss_scale, bool):
        if not loss_scale > 0:  # a scale <= 0 zeroes or flips every gradient
            raise BuildValueError(
                f"AmpOptimWrapper got loss_scale={loss_scale!r}; a static loss scale must be a "
                "number > 0, e.g. loss_scale=512.0 (or 'dynamic')."
            )
        return float(loss_scale), {"init_scale": float(loss_scale)}
    if isinstance(loss_scale, dict):
        # checked here, whatever the dtype (MMEngine builds its GradScaler at once): with
        # dtype=None the scaler is made only when training starts on a GPU
        import inspect

        scaler = getattr(torch.amp, "GradScaler", None) or torch.cuda.amp.GradScaler
        allowed = set(inspect.signature(scaler.__init__).parameters) - {"self", "device"}
        unknown = [key for key in loss_scale if key not in allowed]
        if unknown:
            hints = "".join(did_you_mean(str(key), allowed) for key in unknown)
            raise BuildError(  # a TypeError, as GradScaler's own
                f"AmpOptimWrapper got unknown loss_scale key(s) {unknown}; GradScaler takes "
                f"{sorted(allowed)}.{hints}"
            )
        return None, dict(loss_scale)
    raise BuildError(
        f"AmpOptimWrapper got loss_scale={loss_scale!r}; use 'dynamic', a float (static "
        "scale) or a dict of torch.amp.GradScaler arguments, e.g. dict(init_scale=2.**16)."
    )


class _ReusedAutocast(torch.autocast):
    """The one ``torch.autocast`` an AmpOptimWrapper hands to every step.

    ``torch.compile`` guards an autocast object it receives by identity. When the
    compiled ``train_step`` breaks its graph inside ``optim_context`` (torch 2.11 on
    CUDA does), a new object per step fails that guard and the step is compiled
    again every iteration, until the recompile limit leaves it uncompiled. Entered
    again while entered (a DDP wrapper's context around a model's own ``train_step``
    that enters it too), each level restores what it found, as separate objects would.
    """

    _levels: list[dict[str, Any]]  # per entry: the state its exit must restore

    def __enter__(self) -> Any:
        levels = self.__dict__.setdefault("_levels", [])
        levels.append({k: v for k, v in vars(self).items() if k.startswith("prev")})
        return super().__enter__()

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            super().__exit__(exc_type, exc_val, exc_tb)
        finally:  # the enclosing level's saved state, for its own exit
            state = vars(self)
            for key in [k for k in state if k.startswith("prev")]:
                del state[key]
            state.update(self._levels.pop())


@contextlib.contextmanager
def _entered_together(
    outer: contextlib.AbstractContextManager[Any], inner: contextlib.AbstractContextManager[Any]
) -> Iterator[None]:
    with outer, inner:
        yield


class AmpOptimWrapper(OptimWrapper):
    """An OptimWrapper that trains in mixed precision.

    Args:
        loss_scale: ``'dynamic'`` (GradScaler's defaults), a float (a static
            scale) or a dict of ``GradScaler`` arguments. Used with float16 only.
        dtype: ``None`` (float16 on CUDA, the autocast default elsewhere, i.e.
            bfloat16 on CPU), ``'float16'`` or ``'bfloat16'``.
        use_fsdp: use FSDP's sharded GradScaler.
        optimizer, accumulative_counts, clip_grad: as for ``OptimWrapper``, by keyword.

    The positional parameters are MMEngine's, in its order (``loss_scale``, ``dtype``,
    ``use_fsdp``); ``OptimWrapper``'s arguments, which MMEngine takes through
    ``**kwargs``, are keyword-only: ``AmpOptimWrapper(optimizer=sgd, dtype='bfloat16')``.
    """

    #: the ``dtype`` names accepted (MMEngine's attribute; its float32/float64 are refused
    #: here, as autocast cannot run in them)
    valid_dtypes: tuple[str, ...] = tuple(_DTYPES)

    def __init__(
        self,
        loss_scale: str | float | dict[str, Any] = "dynamic",
        dtype: str | torch.dtype | None = None,
        use_fsdp: bool = False,
        *,  # OptimWrapper's, MMEngine's **kwargs
        optimizer: Optimizer | None = None,
        accumulative_counts: int = 1,
        clip_grad: dict[str, Any] | None = None,
    ) -> None:
        if optimizer is None:  # required; None only to say how to pass it
            given = (
                f" The first positional argument is loss_scale, got an optimizer "
                f"({type(loss_scale).__name__})."
                if hasattr(loss_scale, "param_groups")
                else ""
            )
            raise TypeError(
                "AmpOptimWrapper() needs the optimizer by keyword, as MMEngine's: "
                f"AmpOptimWrapper(optimizer=..., dtype=...).{given}"
            )
        super().__init__(optimizer, accumulative_counts=accumulative_counts, clip_grad=clip_grad)
        params = (p for g in optimizer.param_groups for p in g["params"])
        self._device_type = _param_device_type(params) or (
            "cuda" if torch.cuda.is_available() else "cpu"
        )
        cast_dtype = _resolve_dtype(dtype)
        #: no dtype given: the device's default, chosen again if the model moves (below)
        self._default_dtype = cast_dtype is None
        if cast_dtype is None:
            cast_dtype = _default_autocast_dtype(self._device_type)
        self.cast_dtype = cast_dtype  # builds the autocast every step enters
        # checked whatever the dtype, so a bad value fails before float16 is chosen
        self._scale_update_param, self._scale_kwargs = _parse_loss_scale(loss_scale)
        if cast_dtype is torch.bfloat16 and not self._default_dtype and loss_scale != "dynamic":
            warnings.warn(
                f"AmpOptimWrapper(dtype='bfloat16', loss_scale={loss_scale!r}): bfloat16 has "
                "float32's range and trains without loss scaling, so loss_scale is not used; "
                "it applies to dtype='float16'.",
                stacklevel=2,
            )
        #: a scale given with no dtype: said once training settles the dtype, if unused
        self._unsaid_scale = loss_scale if self._default_dtype and loss_scale != "dynamic" else None
        self._use_fsdp = use_fsdp
        self._pending_scaler_state: dict[str, Any] | None = None
        self.loss_scaler: Any = None
        if cast_dtype is torch.float16:
            self.loss_scaler = self._make_scaler(use_fsdp)

    @property
    def device_type(self) -> str:
        """The device type autocast runs on: the parameters' (set again when training starts)."""
        return self._device_type

    @device_type.setter
    def device_type(self, value: str) -> None:
        self._device_type = value
        self._new_autocast()

    @property
    def cast_dtype(self) -> torch.dtype:
        """The dtype the forward autocasts to."""
        return self._cast_dtype

    @cast_dtype.setter
    def cast_dtype(self, value: torch.dtype) -> None:
        self._cast_dtype = value
        self._new_autocast()

    def _new_autocast(self) -> None:
        """Build the autocast for the current device type and dtype (None: the default)."""
        autocast = None
        try:
            autocast = _ReusedAutocast(device_type=self._device_type, dtype=self.cast_dtype)
        except (AttributeError, RuntimeError):
            pass  # one half not set yet, or a device type autocast lacks: raised at the step
        self._autocast: _ReusedAutocast | None = autocast

    def _make_scaler(self, use_fsdp: bool) -> Any:
        scale_kwargs = self._scale_kwargs
        if use_fsdp:
            from torch.distributed.fsdp.sharded_grad_scaler import ShardedGradScaler

            return ShardedGradScaler(device=self.device_type, **scale_kwargs)
        if hasattr(torch.amp, "GradScaler"):  # torch >= 2.3
            return torch.amp.GradScaler(self.device_type, **scale_kwargs)
        return torch.cuda.amp.GradScaler(**scale_kwargs)

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)
        self.keep_graph(loss, kwargs)
        self._inner_count += 1

    def step(self, **kwargs: Any) -> None:
        scaler = self.loss_scaler
        if scaler is None:
            super().step(**kwargs)
            return
        if self._clip_func is not None and self.clip_grad_kwargs:
            scaler.unscale_(self.optimizer)
            self._clip_grad()
        scaler.step(self.optimizer, **kwargs)
        scaler.update(self._scale_update_param)

    def initialize_count_status(self, model: nn.Module, init_counts: int, max_counts: int) -> None:
        device_type = _param_device_type(model.parameters())
        if device_type is not None and device_type != self._device_type:
            self.device_type = device_type
            if self.loss_scaler is not None:  # a scaler for the device the model is on now
                kept = self.loss_scaler.state_dict()
                self.loss_scaler = self._make_scaler(self._use_fsdp)
                if kept:
                    self.loss_scaler.load_state_dict(kept)
            if self._default_dtype:  # built over CPU parameters, trained on a GPU: float16
                self.cast_dtype = _default_autocast_dtype(device_type)  # and a scaler, as
                if self.cast_dtype is torch.float16 and self.loss_scaler is None:  # MMEngine
                    self.loss_scaler = self._make_scaler(self._use_fsdp)
                    if self._pending_scaler_state:
                        self.loss_scaler.load_state_dict(self._pending_scaler_state)
        self._pending_scaler_state = None
        if self._unsaid_scale is not None and self.cast_dtype is torch.bfloat16:
            warnings.warn(
                f"AmpOptimWrapper(loss_scale={self._unsaid_scale!r}) without dtype trains in "
                f"bfloat16 on {self._device_type} (autocast's default there), which has "
                "float32's range and needs no loss scaling, so loss_scale is not used; give "
                "dtype='float16' to train with it.",
                stacklevel=2,
            )
        self._unsaid_scale = None
        super().initialize_count_status(model, init_counts, max_counts)

    def optim_context(self, model: nn.Module) -> contextlib.AbstractContextManager[Any]:
        """Autocast to ``cast_dtype`` (plus DDP ``no_sync`` while accumulating): the same
        autocast object every step (see ``_ReusedAutocast``)."""
        autocast = self._autocast
        if autocast is None:  # torch's error for a device type without autocast, here
            autocast = _ReusedAutocast(device_type=self.device_type, dtype=self.cast_dtype)
        if not self._skips_sync(model):  # traceable by torch.compile
            return autocast
        return _entered_together(super().optim_context(model), autocast)

    def state_dict(self) -> dict[str, Any]:
        """OptimWrapper's state dict plus ``loss_scaler`` (the GradScaler's state), MMEngine's layout.

        bfloat16 runs without a GradScaler, so its state dict has no ``loss_scaler``.
        """
        state = super().state_dict()
        if self.loss_scaler is not None:
            state["loss_scaler"] = self.loss_scaler.state_dict()
        elif self._pending_scaler_state:  # resumed, the model not yet moved: kept as loaded
            state["loss_scaler"] = dict(self._pending_scaler_state)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict of ours or MMEngine's; one without ``loss_scaler`` or
        ``base_param_settings`` (older checkpoints, bfloat16) leaves those as they are."""
        state = dict(state_dict)
        scaler_state = state.pop("loss_scaler", None)
        # an empty scaler state comes from a disabled GradScaler: nothing to restore
        if scaler_state and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        elif scaler_state:
            if self._default_dtype:  # the scaler comes once the model moved to a float16 device
                self._pending_scaler_state = scaler_state
            from ..logging import RunLogger

            RunLogger.get_current_instance().warning(
                f"The checkpoint's loss scaler state (of a float16 run, or of MMEngine's, which "
                "keeps one for bfloat16 too) is not used while this "
                f"AmpOptimWrapper trains in {str(self.cast_dtype).removeprefix('torch.')}, "
                "which needs no loss scaling"
                + (
                    " (it is restored if the model moves to a float16 device)."
                    if self._default_dtype
                    else "."
                )
            )
        super().load_state_dict(state)
