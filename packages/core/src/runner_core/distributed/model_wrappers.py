"""Wrapping a model for data-parallel training: DDP (default), one DDP per child (a GAN's
parts) and FSDP2.

The loops call ``model.train_step(batch, optim_wrapper)`` on whatever
``runner.model`` is, so the wrappers keep the model contract: ``train_step``
runs the user's forward *through* the wrapper (DDP only all-reduces gradients
of a forward it ran; FSDP only gathers shards in its own forward hooks),
``val_step``/``test_step`` go straight to the user's model.

``runner.model`` is the wrapper; ``runner.unwrapped_model`` (``wrapper.module``)
is the user's model, which is what the optimizer, checkpoints and hooks see.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as _TorchDDP

from ..errors import DependencyError, RunnerError, did_you_mean
from ..model.base_model import BaseModel, ModuleAdapter, parse_losses, run_forward
from ..model.loss_utils import detect_anomalous_params

if TYPE_CHECKING:
    from ..registry import Registry

#: MMEngine's wrapper names, accepted for its configs. (``MMFullyShardedDataParallel`` is a
#: class of its own, ``runner_core.distributed.mm_fsdp``: it takes MMEngine's FSDP1 arguments.)
_ALIASES = {
    "MMDistributedDataParallel": "DistributedDataParallel",
    "MMSeparateDistributedDataParallel": "SeparateDistributedDataParallel",
    "DDP": "DistributedDataParallel",
    "FSDP": "FullyShardedDataParallel",
}


def _uses_default_train_step(model: nn.Module) -> bool:
    """True when ``model.train_step`` is BaseModel's or ModuleAdapter's own."""
    # nn.Module's stubs don't know the model contract's train_step
    step = cast(Any, type(model)).train_step
    return step is BaseModel.train_step or step is ModuleAdapter.train_step


def _forward(call: Any, model: nn.Module, data: Any, mode: str) -> Any:
    """Run ``call`` (the wrapper) on preprocessed ``data`` in ``mode``, as the model would."""
    if isinstance(model, ModuleAdapter):
        inputs, targets = model._split(data)
        return call(inputs, targets, mode=mode)
    return run_forward(call, data, mode)


def _default_train_step(
    wrapper: nn.Module, data: Any, optim_wrapper: Any, detect_anomalous: bool = False
) -> dict[str, Any]:
    """BaseModel.train_step with the forward routed through ``wrapper``."""
    model = cast(nn.Module, wrapper.module)
    with optim_wrapper.optim_context(wrapper):
        data = cast(Any, model).data_preprocessor(data, True)  # a BaseModel-style model's
        losses = _forward(wrapper, model, data, "loss")
    parse = getattr(model, "parse_losses", parse_losses)  # a model's own rule wins
    loss, log_vars = parse(losses)
    optim_wrapper.update_params(loss)
    if detect_anomalous:
        detect_anomalous_params(loss, wrapper)
    return log_vars


@contextlib.contextmanager
def _forward_through(
    inner: nn.Module,
    ddp: _TorchDDP,
    on_call: Callable[[Any], None] | None = None,
    expose_no_sync: bool = False,
) -> Iterator[None]:
    """Make ``inner(...)`` run ``ddp``'s forward until the block ends.

    A model's own ``train_step`` calls ``self(...)`` (or a GAN its
    ``self.generator(...)``); DDP only all-reduces gradients of a forward it
    ran. ``expose_no_sync`` also lends ``inner`` the DDP's ``no_sync``, so
    ``optim_wrapper.optim_context(inner)`` skips the all-reduce on an
    accumulation step, as with MMEngine's wrapped sub-modules.
    """
    names = ("forward", "no_sync") if expose_no_sync else ("forward",)
    saved = {k: inner.__dict__[k] for k in names if k in inner.__dict__}
    original = inner.forward
    depth = 0

    def routed(*args: Any, **kwargs: Any) -> Any:
        nonlocal depth
        if depth:  # DDP's own call of the module: the real forward
            return original(*args, **kwargs)
        depth += 1
        try:
            out = ddp(*args, **kwargs)
        finally:
            depth -= 1
        if on_call is not None:
            on_call(out)
        return out

    inner.forward = routed
    if expose_no_sync:
        cast(Any, inner).no_sync = ddp.no_sync
    try:
        yield
    finally:
        for name in names:  # an attribute the model set itself comes back
            if name in saved:
                inner.__dict__[name] = saved[name]
            else:
                inner.__dict__.pop(name, None)


def _tensors(value: Any) -> Iterator[torch.Tensor]:
    """The tensors in a forward's output (nested dicts, lists, tuples)."""
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _tensors(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)


def _reducer_param_names(ddp: _TorchDDP) -> list[str]:
    """The names of the parameters DDP reduces, in its reducer's order (its error's indices)."""
    ignored: set[str] = getattr(ddp, "parameters_to_ignore", set())
    names, seen = [], set()
    for module_name, module in ddp.module.named_modules():
        for param_name, param in module.named_parameters(recurse=False):
            full = f"{module_name}.{param_name}"
            if not param.requires_grad or full in ignored or id(param) in seen:
                continue
            seen.add(id(param))
            names.append(full if module_name else param_name)
    return names


#: How torch's reducer says a parameter got no gradient in the iteration before.
_UNFINISHED_REDUCTION = "Expected to have finished reduction in the prior iteration"
_UNUSED_INDICES = re.compile(r"Parameter indices which did not receive grad for rank \d+: ([\d ]+)")
_UNUSED_NAMES = re.compile(r"Parameters which did not receive grad for rank \d+: ([^\n]+)")


def _unused_parameters_error(ddp: _TorchDDP, exc: RuntimeError) -> RunnerError | None:
    """torch's "Expected to have finished reduction" error with the parameters named and the
    config key to set; None for any other error."""
    text = str(exc)
    if _UNFINISHED_REDUCTION not in text:
        return None
    names: list[str] = []
    if match := _UNUSED_NAMES.search(text):  # TORCH_DISTRIBUTED_DEBUG=INFO/DETAIL
        names = [n.strip() for n in match.group(1).split(",") if n.strip()]
    elif match := _UNUSED_INDICES.search(text):
        known = getattr(ddp, "_reducer_names", None) or _reducer_param_names(ddp)
        names = [known[int(i)] for i in match.group(1).split() if int(i) < len(known)]
    which = f"parameter(s) {', '.join(names)}" if names else "some parameters"
    return RunnerError(
        f"DistributedDataParallel: {which} of {type(ddp.module).__name__} got no gradient in "
        "the previous iteration (they took no part in the loss), and DDP waits for a "
        "gradient of every parameter unless told otherwise. Set "
        "model_wrapper_cfg=dict(type='MMDistributedDataParallel', "
        "find_unused_parameters=True) (or the config's top-level "
        "find_unused_parameters=True when model_wrapper_cfg is not set), or give those "
        "parameters requires_grad=False, or make them part of the loss. torch's message: "
        f"{text.splitlines()[0]}"
    )


class DistributedDataParallel(_TorchDDP):
    """``torch.nn.parallel.DistributedDataParallel`` that keeps the model contract.

    ``train_step`` runs the forward through DDP, so gradients are all-reduced,
    inside ``optim_wrapper.optim_context(self)``, so accumulation steps that do
    not update skip the all-reduce (``no_sync``). A model with its own
    ``train_step`` keeps it (MMEngine's wrapper ignores it): every
    ``self(...)`` call inside it is routed through DDP's forward. A wrapper
    of your own that overrides ``train_step`` can call ``self._run_forward``
    as MMEngine's do.

    ``detect_anomalous_params=True`` logs (level ERROR) each parameter the
    loss does not depend on, every iteration, as MMEngine does (a debugging
    aid: it walks the autograd graph).
    """

    def __init__(self, module: nn.Module, detect_anomalous_params: bool = False, **kwargs: Any):
        super().__init__(module, **kwargs)
        self.detect_anomalous_params = detect_anomalous_params
        # the reducer numbers parameters now: a part frozen later keeps its index in errors
        self._reducer_names = _reducer_param_names(self)

    def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, Any]:
        try:
            if _uses_default_train_step(self.module):
                return _default_train_step(self, data, optim_wrapper, self.detect_anomalous_params)
            return self._custom_train_step(data, optim_wrapper)
        except RuntimeError as exc:
            if (clear := _unused_parameters_error(self, exc)) is not None:
                raise clear from exc
            raise

    def _custom_train_step(self, data: Any, optim_wrapper: Any) -> dict[str, Any]:
        outputs: list[Any] = []
        calls = [0]

        def seen(out: Any) -> None:
            calls[0] += 1
            if self.detect_anomalous_params:
                outputs.append(out)

        with (
            self._sync_context(optim_wrapper),
            _forward_through(cast(nn.Module, self.module), self, seen),
        ):
            out = self.module.train_step(data, optim_wrapper)
        if calls[0] == 0:
            raise RunnerError(
                f"{type(self.module).__name__}.train_step never called the model itself "
                "(self(...)), so DistributedDataParallel could not synchronise gradients and "
                "the ranks would drift apart. Call self(...) (forward) inside train_step "
                "instead of sub-modules directly, or derive from BaseModel and implement "
                "forward(..., mode='loss'); a GAN that drives its sub-modules one by one "
                "takes model_wrapper_cfg=dict(type='MMSeparateDistributedDataParallel')."
            )
        if outputs:
            self._detect_in(outputs)
        return out

    def _detect_in(self, outputs: list[Any]) -> None:
        """``detect_anomalous_params`` for a model's own ``train_step``: the parameters none of
        its forward outputs depend on."""
        roots = [t for t in _tensors(outputs) if t.grad_fn is not None]
        if roots:  # one node whose graph reaches every output's
            detect_anomalous_params(cast(torch.Tensor, sum(t.float().sum() for t in roots)), self)

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

    def _run_forward(self, data: Any, mode: str) -> Any:
        """Call DDP's forward with preprocessed ``data`` unpacked (MMEngine's method, which a
        wrapper of yours overriding ``train_step`` calls)."""
        return _forward(self, cast(nn.Module, self.module), data, mode)

    def val_step(self, data: Any) -> Any:
        return self.module.val_step(data)

    def test_step(self, data: Any) -> Any:
        return self.module.test_step(data)


#: MMEngine's name (``mmengine.model.MMDistributedDataParallel``), which configs give as
#: ``model_wrapper_cfg=dict(type='MMDistributedDataParallel')``: the same class.
MMDistributedDataParallel = DistributedDataParallel


def _buffer_sync(broadcast_buffers: bool | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """No buffer broadcast in ``forward`` unless asked for, in this torch's words (torch 2.13
    deprecates ``broadcast_buffers`` for ``forward_sync_buffers``, with a warning)."""
    import inspect

    if broadcast_buffers is not None or "forward_sync_buffers" in kwargs:
        return {} if broadcast_buffers is None else {"broadcast_buffers": broadcast_buffers}
    if "forward_sync_buffers" in inspect.signature(_TorchDDP.__init__).parameters:
        return {"forward_sync_buffers": False}
    return {"broadcast_buffers": False}


class SeparateDistributedDataParallel(nn.Module):
    """One DDP per trainable child module (a GAN's generator and discriminator), as
    MMEngine's ``MMSeparateDistributedDataParallel``.

    Each child is updated by its own optimizer at its own time, which one
    DDP over the whole model cannot follow. ``train_step`` is the model's:
    while it runs, calling a child (``self.generator(x)``) runs that child's
    DDP forward, and ``optim_wrapper['generator'].optim_context(self.generator)``
    skips its all-reduce on accumulation steps. Unlike MMEngine's, the
    children stay the user's modules (``model.generator`` is no DDP), so
    checkpoints keep the single-process keys.

    Args:
        module: the model.
        broadcast_buffers: sync buffers from rank 0 in each forward (default: no).
        find_unused_parameters: passed to each child's DDP.
        detect_anomalous_params: accepted for MMEngine configs; it has no effect here (a
            warning says so), as the children never run a train_step of their own.
        **kwargs: the other ``DistributedDataParallel`` arguments.
    """

    def __init__(
        self,
        module: nn.Module,
        broadcast_buffers: bool | None = None,
        find_unused_parameters: bool = False,
        detect_anomalous_params: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if detect_anomalous_params:  # accepted, as MMEngine's (its children never use it)
            warnings.warn(
                "SeparateDistributedDataParallel(detect_anomalous_params=True) has no effect: "
                "the model's own train_step drives the children (MMEngine's does the same). "
                "Use model_wrapper_cfg=dict(type='MMDistributedDataParallel', "
                "detect_anomalous_params=True) to check a model trained as a whole.",
                stacklevel=2,
            )
        own = [n for n, p in module.named_parameters(recurse=False) if p.requires_grad]
        if own:
            raise RunnerError(
                f"SeparateDistributedDataParallel wraps each child module of "
                f"{type(module).__name__} in its own DDP, but the model holds trainable "
                f"parameters itself ({', '.join(own)}); no DDP would synchronise their "
                "gradients and the ranks would drift apart (MMEngine lets them). Move them "
                "into a child module, or use model_wrapper_cfg=dict("
                "type='MMDistributedDataParallel')."
            )
        self.module: Any = module
        options = {
            **_buffer_sync(broadcast_buffers, kwargs),
            "find_unused_parameters": find_unused_parameters,
            **kwargs,
        }
        # not sub-modules of the wrapper: the children are in self.module already
        self._ddps: dict[str, _TorchDDP] = {
            name: _TorchDDP(child, **options)
            for name, child in module.named_children()
            if any(p.requires_grad for p in child.parameters())
        }

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def train_step(self, data: Any, optim_wrapper: Any) -> Any:
        with contextlib.ExitStack() as stack:
            for ddp in self._ddps.values():
                stack.enter_context(
                    _forward_through(cast(nn.Module, ddp.module), ddp, expose_no_sync=True)
                )
            return self.module.train_step(data, optim_wrapper)

    def val_step(self, data: Any) -> Any:
        return self.module.val_step(data)

    def test_step(self, data: Any) -> Any:
        return self.module.test_step(data)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Every child DDP's ``no_sync`` at once."""
        with contextlib.ExitStack() as stack:
            for ddp in self._ddps.values():
                stack.enter_context(ddp.no_sync())
            yield

    def train(self, mode: bool = True) -> SeparateDistributedDataParallel:
        super().train(mode)
        for ddp in self._ddps.values():
            ddp.training = mode
        return self

    def state_dict(self, *args: Any, **kwargs: Any) -> Any:  # nn.Module's overloads
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, *args: Any, **kwargs: Any) -> Any:
        return self.module.load_state_dict(*args, **kwargs)


#: MMEngine's name, which mmagic-style GAN configs give as ``model_wrapper_cfg=dict(
#: type='MMSeparateDistributedDataParallel', ...)``: the same class.
MMSeparateDistributedDataParallel = SeparateDistributedDataParallel


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
        try:
            from torch.distributed.fsdp import CPUOffloadPolicy, OffloadPolicy, fully_shard
        except ImportError:  # FSDP2's public API: torch 2.6
            raise DependencyError(
                f"FullyShardedDataParallel here shards with FSDP2 (torch.distributed.fsdp."
                f"fully_shard), which needs torch 2.6 or later; this is torch "
                f"{torch.__version__}. Upgrade torch, or train with DistributedDataParallel "
                "(model_wrapper_cfg=dict(type='MMDistributedDataParallel'))."
            ) from None

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

    DDP, DataParallel, this module's FSDP and separate-DDP wrappers and any class registered in
    ``registry`` (MMEngine's argument; default ``MODEL_WRAPPERS``) or in one of
    its child registries, where downstream libraries register theirs. A model
    that merely has a ``module`` attribute (like ``ModuleAdapter``) is not a
    wrapper.
    """
    if isinstance(
        model,
        (_TorchDDP, nn.DataParallel, FullyShardedDataParallel, SeparateDistributedDataParallel),
    ):
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
    broadcast_buffers=..., static_graph=...)``,
    ``dict(type='SeparateDistributedDataParallel', ...)`` or
    ``dict(type='FullyShardedDataParallel', mixed_precision=..., ...)``; any
    other type is built from the ``MODEL_WRAPPERS`` registry with ``module=model``.
    A model that is a wrapper already is returned as it is (MMEngine's rule).
    """
    from ..registry import MODEL_WRAPPERS

    if is_model_wrapper(model):
        return model
    cfg = dict(cfg or {"type": "DistributedDataParallel"})
    wrapper_type = cfg.pop("type", "DistributedDataParallel")
    if isinstance(wrapper_type, str):
        wrapper_type = _ALIASES.get(wrapper_type, wrapper_type)
    device = torch.device(device) if device is not None else torch.device("cpu")
    ddp_types = {
        "DistributedDataParallel": DistributedDataParallel,
        "SeparateDistributedDataParallel": SeparateDistributedDataParallel,
    }
    if wrapper_type in (*ddp_types, *ddp_types.values()):
        cls = ddp_types.get(wrapper_type, wrapper_type)
        if device.type == "cuda":
            index = device.index if device.index is not None else torch.cuda.current_device()
            cfg.setdefault("device_ids", [index])
        _check_kwargs(cls, cfg, cls.__name__)
        return cast(nn.Module, cls(module=model, **cfg))
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
    if cls in (DistributedDataParallel, SeparateDistributedDataParallel):
        params |= set(inspect.signature(_TorchDDP.__init__).parameters) - {"self", "module"}
    unknown = [k for k in cfg if k not in params]
    if unknown:
        raise RunnerError(
            f"model_wrapper_cfg for {name} has unknown key(s) {unknown}; it accepts "
            f"{', '.join(sorted(params))}." + "".join(did_you_mean(k, params) for k in unknown)
        )
