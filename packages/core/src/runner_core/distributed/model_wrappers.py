"""Wrapping a model for data-parallel training: DDP (default) and FSDP2.

The loops call ``model.train_step(batch, optim_wrapper)`` on whatever
``runner.model`` is, so both wrappers keep the model contract: ``train_step``
runs the user's forward *through* the wrapper (DDP only all-reduces gradients
of a forward it ran; FSDP only gathers shards in its own forward hooks),
``val_step``/``test_step`` go straight to the user's model.

``runner.model`` is the wrapper; ``runner.unwrapped_model`` (``wrapper.module``)
is the user's model, which is what the optimizer, checkpoints and hooks see.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as _TorchDDP

from ..errors import RunnerError, did_you_mean
from ..model.base_model import BaseModel, ModuleAdapter, parse_losses, run_forward

if TYPE_CHECKING:
    from ..registry import Registry

#: MMEngine's wrapper names, accepted for its configs.
_ALIASES = {
    "MMDistributedDataParallel": "DistributedDataParallel",
    "MMFullyShardedDataParallel": "FullyShardedDataParallel",
    "DDP": "DistributedDataParallel",
    "FSDP": "FullyShardedDataParallel",
}


def _uses_default_train_step(model: nn.Module) -> bool:
    """True when ``model.train_step`` is BaseModel's or ModuleAdapter's own."""
    # nn.Module's stubs don't know the model contract's train_step
    step = cast(Any, type(model)).train_step
    return step is BaseModel.train_step or step is ModuleAdapter.train_step


def _loss_forward(call: Any, model: nn.Module, data: Any) -> Any:
    """Preprocess ``data`` and run ``call`` (the wrapper) in loss mode, as the model would."""
    data = cast(Any, model).data_preprocessor(data, True)  # a BaseModel-style model's
    if isinstance(model, ModuleAdapter):
        inputs, targets = model._split(data)
        return call(inputs, targets, mode="loss")
    return run_forward(call, data, "loss")


def _default_train_step(wrapper: nn.Module, data: Any, optim_wrapper: Any) -> dict[str, Any]:
    """BaseModel.train_step with the forward routed through ``wrapper``."""
    with optim_wrapper.optim_context(wrapper):
        losses = _loss_forward(wrapper, cast(nn.Module, wrapper.module), data)
    parse = getattr(wrapper.module, "parse_losses", parse_losses)  # a model's own rule wins
    loss, log_vars = parse(losses)
    optim_wrapper.update_params(loss)
    return log_vars


class DistributedDataParallel(_TorchDDP):
    """``torch.nn.parallel.DistributedDataParallel`` that keeps the model contract.

    ``train_step`` runs the forward through DDP, so gradients are all-reduced,
    inside ``optim_wrapper.optim_context(self)``, so accumulation steps that do
    not update skip the all-reduce (``no_sync``). A model with its own
    ``train_step`` keeps it: every ``self(...)`` call inside it is routed
    through DDP's forward.
    """

    def __init__(self, module: nn.Module, detect_anomalous_params: bool = False, **kwargs: Any):
        super().__init__(module, **kwargs)
        self.detect_anomalous_params = detect_anomalous_params
        self._routing_depth = 0
        self._routed_forwards = 0

    def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, Any]:
        if _uses_default_train_step(self.module):
            out = _default_train_step(self, data, optim_wrapper)
        else:
            out = self._custom_train_step(data, optim_wrapper)
        if self.detect_anomalous_params:
            self._report_unused_params()
        return out

    def _custom_train_step(self, data: Any, optim_wrapper: Any) -> dict[str, Any]:
        self._routed_forwards = 0
        with self._sync_context(optim_wrapper), self._route_forward_through_ddp():
            out = self.module.train_step(data, optim_wrapper)
        if self._routed_forwards == 0:
            raise RunnerError(
                f"{type(self.module).__name__}.train_step never called the model itself "
                "(self(...)), so DistributedDataParallel could not synchronise gradients and "
                "the ranks would drift apart. Call self(...) (forward) inside train_step "
                "instead of sub-modules directly, or derive from BaseModel and implement "
                "forward(..., mode='loss')."
            )
        return out

    def _sync_context(self, optim_wrapper: Any) -> contextlib.AbstractContextManager[Any]:
        """The gradient-sync context for a whole custom ``train_step``.

        One wrapper decides it itself. With several (an ``OptimWrapperDict``:
        a GAN), every forward in the step runs under one context, so DDP
        skips the all-reduce only when no wrapper syncs on its coming
        backward; otherwise the gradients a window left local are reduced
        with this step's.
        """
        wrappers = getattr(optim_wrapper, "optim_wrappers", None)
        if not isinstance(wrappers, Mapping):
            return cast(contextlib.AbstractContextManager[Any], optim_wrapper.optim_context(self))
        if wrappers and not any(w.should_sync() for w in wrappers.values()):
            return self.no_sync()
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def _route_forward_through_ddp(self) -> Iterator[None]:
        """Make ``module(...)`` inside ``module.train_step`` run DDP's forward."""
        inner = self.module
        original = inner.forward

        def routed(*args: Any, **kwargs: Any) -> Any:
            if self._routing_depth:  # DDP's own call of the module: the real forward
                return original(*args, **kwargs)
            self._routing_depth += 1
            self._routed_forwards += 1
            try:
                return self(*args, **kwargs)
            finally:
                self._routing_depth -= 1

        inner.forward = routed
        try:
            yield
        finally:
            del inner.forward

    def _report_unused_params(self) -> None:
        unused = [
            name for name, p in self.module.named_parameters() if p.requires_grad and p.grad is None
        ]
        if unused:
            raise RunnerError(
                f"Parameters took no part in the loss: {unused}. Set "
                "model_wrapper_cfg=dict(type='DistributedDataParallel', "
                "find_unused_parameters=True) or remove them from the model."
            )

    def val_step(self, data: Any) -> Any:
        return self.module.val_step(data)

    def test_step(self, data: Any) -> Any:
        return self.module.test_step(data)


#: MMEngine's name (``mmengine.model.MMDistributedDataParallel``), which configs give as
#: ``model_wrapper_cfg=dict(type='MMDistributedDataParallel')``: the same class.
MMDistributedDataParallel = DistributedDataParallel


# -- FSDP2 -------------------------------------------------------------------------------------
_DTYPES = {
    "fp32": torch.float32,
    "float32": torch.float32,
    "fp16": torch.float16,
    "float16": torch.float16,
    "half": torch.float16,
    "bf16": torch.bfloat16,
    "bfloat16": torch.bfloat16,
}


def _dtype(value: Any, key: str) -> torch.dtype | None:
    if value is None or isinstance(value, torch.dtype):
        return value
    name = str(value).removeprefix("torch.")
    if name not in _DTYPES:
        raise RunnerError(
            f"model_wrapper_cfg.mixed_precision.{key}={value!r} is not a dtype; use one of "
            f"{', '.join(_DTYPES)}." + did_you_mean(name, _DTYPES)
        )
    return _DTYPES[name]


def _mixed_precision(cfg: Mapping[str, Any] | None) -> Any:
    from torch.distributed.fsdp import MixedPrecisionPolicy

    if cfg is None:
        return MixedPrecisionPolicy()
    known = ("param_dtype", "reduce_dtype", "output_dtype", "cast_forward_inputs")
    unknown = [k for k in cfg if k not in known]
    if unknown:
        raise RunnerError(
            f"model_wrapper_cfg.mixed_precision has unknown key(s) {unknown}; it accepts "
            f"{', '.join(known)}." + "".join(did_you_mean(k, known) for k in unknown)
        )
    return MixedPrecisionPolicy(
        param_dtype=_dtype(cfg.get("param_dtype"), "param_dtype"),
        reduce_dtype=_dtype(cfg.get("reduce_dtype"), "reduce_dtype"),
        output_dtype=_dtype(cfg.get("output_dtype"), "output_dtype"),
        cast_forward_inputs=bool(cfg.get("cast_forward_inputs", True)),
    )


def _shard_targets(model: nn.Module, wrap_modules: Any, min_num_params: int) -> list[nn.Module]:
    """Sub-modules that get their own FSDP unit (children before parents)."""
    if wrap_modules:
        names = [wrap_modules] if isinstance(wrap_modules, (str, type)) else list(wrap_modules)
        classes = {type(m).__name__: type(m) for m in model.modules()}
        wanted = []
        for name in names:
            if isinstance(name, type):
                wanted.append(name)
            elif name in classes:
                wanted.append(classes[name])
            else:
                raise RunnerError(
                    f"model_wrapper_cfg.wrap_modules names {name!r}, but the model has no "
                    f"sub-module of that class (it has {', '.join(sorted(classes))})."
                    + did_you_mean(str(name), classes)
                )
        picked = [m for m in model.modules() if m is not model and isinstance(m, tuple(wanted))]
    else:
        picked = [
            m
            for m in model.modules()
            if m is not model
            and any(True for _ in m.parameters(recurse=False))
            and sum(p.numel() for p in m.parameters()) >= min_num_params
        ]
    return list(reversed(picked))


class FullyShardedDataParallel(nn.Module):
    """Shard the model's parameters, gradients and optimizer state over the ranks (FSDP2).

    ``torch.distributed.fsdp.fully_shard`` is applied to each sub-module that
    holds parameters (or to the classes named by ``wrap_modules``) and to the
    model itself; the model stays the user's object (``self.module``), with
    DTensor parameters. Checkpoints of such a model go through
    ``runner_core.distributed.checkpoint`` (full or sharded state dicts).

    Args:
        module: the model.
        mixed_precision: ``dict(param_dtype='bf16', reduce_dtype='fp32', ...)``.
        reshard_after_forward: free gathered parameters after the forward
            (ZeRO-3, the default) or keep them until the backward (ZeRO-2).
        wrap_modules: class names (or classes) to shard as units; default: every
            sub-module with parameters of its own and ``min_num_params`` in all.
        min_num_params: see ``wrap_modules``.
        offload_params: keep sharded parameters on the CPU (``CPUOffloadPolicy``).
        device_mesh: a ``DeviceMesh`` (default: all ranks, 1-D).
    """

    def __init__(
        self,
        module: nn.Module,
        mixed_precision: Mapping[str, Any] | None = None,
        reshard_after_forward: bool = True,
        wrap_modules: Any = None,
        min_num_params: int = 0,
        offload_params: bool = False,
        device_mesh: Any = None,
    ) -> None:
        super().__init__()
        from torch.distributed.fsdp import CPUOffloadPolicy, OffloadPolicy, fully_shard

        kwargs: dict[str, Any] = {
            "reshard_after_forward": reshard_after_forward,
            "mp_policy": _mixed_precision(mixed_precision),
            "offload_policy": CPUOffloadPolicy() if offload_params else OffloadPolicy(),
        }
        if device_mesh is not None:
            kwargs["mesh"] = device_mesh
        for sub in _shard_targets(module, wrap_modules, int(min_num_params)):
            fully_shard(sub, **kwargs)
        fully_shard(module, **kwargs)
        # the user's model: an nn.Module with the model contract (train_step, val_step, ...)
        self.module: Any = module

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, Any]:
        # FSDP's hooks sit on the model itself: running its forward is enough.
        if _uses_default_train_step(self.module):
            return _default_train_step(self, data, optim_wrapper)
        return self.module.train_step(data, optim_wrapper)

    def val_step(self, data: Any) -> Any:
        return self.module.val_step(data)

    def test_step(self, data: Any) -> Any:
        return self.module.test_step(data)

    def state_dict(self, *args: Any, **kwargs: Any) -> Any:  # nn.Module's overloads
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, *args: Any, **kwargs: Any) -> Any:
        return self.module.load_state_dict(*args, **kwargs)


def is_fsdp(model: Any) -> bool:
    """True when ``model`` (or the module it wraps) is sharded by FSDP2."""
    try:
        from torch.distributed.fsdp import FSDPModule
    except ImportError:  # pragma: no cover - torch without FSDP2
        return False
    return (
        isinstance(model, FullyShardedDataParallel)
        or isinstance(getattr(model, "module", model), FSDPModule)
        or isinstance(model, FSDPModule)
    )


def is_model_wrapper(model: Any, registry: Registry | None = None) -> bool:
    """True for a data-parallel wrapper whose ``.module`` is the user's model.

    DDP, DataParallel, this module's FSDP wrapper and any class registered in
    ``registry`` (MMEngine's argument; default ``MODEL_WRAPPERS``) or in one of
    its child registries, where downstream libraries register theirs. A model
    that merely has a ``module`` attribute (like ``ModuleAdapter``) is not a
    wrapper.
    """
    if isinstance(model, (_TorchDDP, nn.DataParallel, FullyShardedDataParallel)):
        return True
    if not hasattr(model, "module"):
        return False
    if registry is None:
        from ..registry import MODEL_WRAPPERS

        return _registered_in(model, MODEL_WRAPPERS)
    return _registered_in(model, registry)


def _registered_in(model: Any, registry: Registry) -> bool:
    """``model``'s class (or a base) is registered in ``registry`` or a child of it
    (entry points by name: they are not imported to ask)."""
    classes = tuple(c for c in registry.module_dict.values() if isinstance(c, type))
    if isinstance(model, classes) or type(model).__name__ in registry.keys():
        return True
    return any(_registered_in(model, child) for child in registry.children.values())


# -- building ------------------------------------------------------------------------------------
def wrap_model(model: nn.Module, cfg: Mapping[str, Any] | None, device: Any) -> nn.Module:
    """Wrap ``model`` as ``cfg`` says (``DistributedDataParallel`` when None).

    ``cfg=dict(type='DistributedDataParallel', find_unused_parameters=...,
    broadcast_buffers=..., static_graph=...)`` or
    ``dict(type='FullyShardedDataParallel', mixed_precision=..., ...)``; any
    other type is built from the ``MODEL_WRAPPERS`` registry with ``module=model``.
    """
    from ..registry import MODEL_WRAPPERS

    cfg = dict(cfg or {"type": "DistributedDataParallel"})
    wrapper_type = cfg.pop("type", "DistributedDataParallel")
    if isinstance(wrapper_type, str):
        wrapper_type = _ALIASES.get(wrapper_type, wrapper_type)
    device = torch.device(device) if device is not None else torch.device("cpu")
    if wrapper_type in ("DistributedDataParallel", DistributedDataParallel):
        if device.type == "cuda":
            index = device.index if device.index is not None else torch.cuda.current_device()
            cfg.setdefault("device_ids", [index])
        _check_kwargs(DistributedDataParallel, cfg, "DistributedDataParallel")
        return DistributedDataParallel(module=model, **cfg)
    if wrapper_type in ("FullyShardedDataParallel", FullyShardedDataParallel):
        _check_kwargs(FullyShardedDataParallel, cfg, "FullyShardedDataParallel")
        return FullyShardedDataParallel(module=model, **cfg)
    return MODEL_WRAPPERS.build(
        {"type": wrapper_type, **cfg}, module=model, _key_path="model_wrapper_cfg"
    )


def _check_kwargs(cls: type, cfg: Mapping[str, Any], name: str) -> None:
    import inspect

    init = cast(Any, cls).__init__  # the class's own __init__, read off the class
    params = set(inspect.signature(init).parameters) - {"self", "module", "args", "kwargs"}
    if cls is DistributedDataParallel:
        params |= set(inspect.signature(_TorchDDP.__init__).parameters) - {"self", "module"}
    unknown = [k for k in cfg if k not in params]
    if unknown:
        raise RunnerError(
            f"model_wrapper_cfg for {name} has unknown key(s) {unknown}; it accepts "
            f"{', '.join(sorted(params))}." + "".join(did_you_mean(k, params) for k in unknown)
        )
