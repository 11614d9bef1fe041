"""``FSDPStrategy``: the Runner's FSDP2 wrapper, configured with MMEngine's FSDP1 options.

MMEngine's ``FSDPStrategy`` builds torch's FSDP1 ``FullyShardedDataParallel``;
the Runner shards with FSDP2 (``fully_shard``, see docs/distributed.md).
:func:`fsdp_wrapper_cfg` turns the FSDP1 options of ``model_wrapper`` into
that wrapper's arguments where they mean the same thing, skips the ones
FSDP2 does by itself, and refuses the rest with a message saying what to use.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, ConfigTypeError, did_you_mean
from .ddp import DDPStrategy

#: our wrapper's own arguments (runner_core.distributed.model_wrappers.FullyShardedDataParallel)
_OURS = ("reshard_after_forward", "wrap_modules", "min_num_params", "offload_params", "device_mesh")
#: FSDP1 options FSDP2 has no use for: its parameters are the originals, prefetching and
#: rate limiting are built in, and the device is the run's
_NO_EFFECT = (
    "use_orig_params",
    "device_id",
    "backward_prefetch",
    "forward_prefetch",
    "limit_all_gathers",
    "sync_module_states",
)
_TRANSLATED = ("auto_wrap_policy", "sharding_strategy", "cpu_offload", "mixed_precision")
_REFUSED = ("process_group", "param_init_fn", "ignored_modules", "ignored_states")
_FSDP_NAMES = ("FullyShardedDataParallel", "MMFullyShardedDataParallel", "FSDP")
_STATE_DICT_TYPES = {
    "full": "full",
    "local": "local",
    "FULL_STATE_DICT": "full",
    "LOCAL_STATE_DICT": "local",
    "SHARDED_STATE_DICT": "sharded",
}


class FSDPStrategy(DDPStrategy):
    """Fully sharded data parallel training (FSDP2).

    Args:
        model_wrapper: MMEngine's FSDP1 options (``auto_wrap_policy``,
            ``sharding_strategy``, ``cpu_offload``, ``mixed_precision``, ...) or
            our wrapper's own (``wrap_modules``, ``reshard_after_forward``, ...);
            see :func:`fsdp_wrapper_cfg`.
        skip_init_weights: do not call the model's ``init_weights()`` before training
            (the weights come from ``load_from``). The model is still built with real
            tensors, at construction: there is no meta-device build.
        state_dict_cfg: ``'local'`` (MMEngine's default), ``'full'`` or a dict with
            ``state_dict_type``; checkpoints are always full here (one file, gathered
            on every rank and written by rank 0): see docs/distributed.md.
        activation_checkpointing: refused; the config's top-level
            ``activation_checkpointing=['sub.module', ...]`` does this.
        **kwargs: :class:`~.ddp.DDPStrategy`'s options.
    """

    def __init__(
        self,
        *,
        model_wrapper: Mapping[str, Any] | None = None,
        skip_init_weights: bool = False,
        state_dict_cfg: str | Mapping[str, Any] = "local",
        activation_checkpointing: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model_wrapper=model_wrapper, **kwargs)
        if not isinstance(skip_init_weights, bool):  # MMEngine: a TypeError
            raise ConfigTypeError(
                f"FSDPStrategy(skip_init_weights={skip_init_weights!r}): it must be True or False."
            )
        if activation_checkpointing is not None:
            raise ConfigError(
                "FSDPStrategy(activation_checkpointing=dict(check_fn=...)) is not supported by "
                "runner: list the sub-modules to checkpoint in the config's top-level key "
                "instead, e.g. activation_checkpointing=['backbone.layer1', 'backbone.layer2'] "
                "(names as model.named_modules() prints them); it works with every strategy."
            )
        self.skip_init_weights = skip_init_weights
        self.state_dict_type = _state_dict_type(state_dict_cfg)
        self._wrapper_cfg = fsdp_wrapper_cfg(model_wrapper)  # a bad option fails now

    def model_wrapper_cfg(self) -> dict[str, Any]:
        return dict(self._wrapper_cfg)


def _state_dict_type(value: Any) -> str:
    """``'full'``, ``'local'`` or ``'sharded'``, from MMEngine's ``state_dict_cfg``."""
    if isinstance(value, Mapping):
        kind = value.get("state_dict_type", "FULL_STATE_DICT")
        kind = getattr(kind, "name", kind)  # torch's StateDictType member
        if not isinstance(kind, str):  # MMEngine: a TypeError
            raise ConfigTypeError(
                f"FSDPStrategy(state_dict_cfg={value!r}): state_dict_type must be a "
                f"StateDictType or its name ('FULL_STATE_DICT'), got {type(kind).__name__}."
            )
        for key in ("state_dict_config", "optim_state_dict_config"):
            # not used (checkpoints are always whole files), but checked as MMEngine does
            option = value.get(key)
            if option is None or isinstance(option, Mapping):
                continue
            if not type(option).__name__.endswith("StateDictConfig"):  # torch's classes
                raise ConfigTypeError(
                    f"FSDPStrategy(state_dict_cfg=...): {key} must be a dict or one of "
                    f"torch's *StateDictConfig objects, got {type(option).__name__}."
                )
    elif isinstance(value, str):
        kind = value
    else:  # MMEngine: a TypeError
        raise ConfigTypeError(
            f"FSDPStrategy(state_dict_cfg={value!r}): use 'local', 'full' or "
            "dict(state_dict_type='FULL_STATE_DICT', ...)."
        )
    if kind not in _STATE_DICT_TYPES:
        raise ConfigError(
            f"FSDPStrategy(state_dict_cfg={value!r}): the state dict type must be one of "
            f"{', '.join(_STATE_DICT_TYPES)}.{did_you_mean(str(kind), _STATE_DICT_TYPES)}"
        )
    return _STATE_DICT_TYPES[kind]


def fsdp_wrapper_cfg(model_wrapper: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Runner's ``model_wrapper_cfg`` for ``FSDPStrategy(model_wrapper=...)``.

    The FSDP wrapper names get :func:`fsdp1_options`' translation and build
    ``MMFullyShardedDataParallel``, as MMEngine's ``FSDPStrategy`` does (so
    ``isinstance(runner.model, MMFullyShardedDataParallel)`` holds); a wrapper
    type of one's own gets ``model_wrapper`` as it is.
    """
    cfg = dict(model_wrapper or {})
    wrapper = cfg.pop("type", "FullyShardedDataParallel")
    name = wrapper if isinstance(wrapper, str) else getattr(wrapper, "__name__", "")
    if name not in _FSDP_NAMES:  # a wrapper of one's own, registered in MODEL_WRAPPERS
        return {"type": wrapper, **cfg}
    return {"type": "MMFullyShardedDataParallel", **fsdp1_options(cfg, stacklevel=4)}


def fsdp1_options(
    options: Mapping[str, Any],
    where: str = "strategy.model_wrapper",
    replicate: str = "strategy=dict(type='DDPStrategy')",
    stacklevel: int = 2,
) -> dict[str, Any]:
    """Our FSDP2 wrapper's arguments for MMEngine's FSDP1 ``options``.

    ``auto_wrap_policy`` (torch's ``size_based_auto_wrap_policy`` /
    ``transformer_auto_wrap_policy`` / ``ModuleWrapPolicy``, as a name, a dict,
    a ``functools.partial`` or the object) -> ``min_num_params`` / ``wrap_modules``;
    ``sharding_strategy`` ``FULL_SHARD`` / ``SHARD_GRAD_OP`` ->
    ``reshard_after_forward`` True / False; ``cpu_offload`` -> ``offload_params``;
    ``mixed_precision`` keeps ``param_dtype`` and ``reduce_dtype``; our wrapper's
    own arguments pass as they are. Shared by ``FSDPStrategy`` and
    ``MMFullyShardedDataParallel``; errors name the option as ``where.key`` and
    point to ``replicate`` for ``NO_SHARD``; a warning points ``stacklevel`` frames up
    from this function, as :func:`warnings.warn` counts.
    """
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key in _OURS:
            out[key] = value
        elif key in _NO_EFFECT or value is None:
            continue
        elif key == "auto_wrap_policy":
            out.update(_wrap_policy(value, where))
        elif key == "sharding_strategy":
            out["reshard_after_forward"] = _resharding(value, where, replicate)
        elif key == "cpu_offload":
            out["offload_params"] = _offload(value, where)
        elif key == "mixed_precision":
            out["mixed_precision"] = _mixed_precision(value, where, stacklevel + 1)
        elif key in _REFUSED:
            raise ConfigError(
                f"{where}.{key} (an FSDP1 option) has no FSDP2 counterpart in "
                "runner's FullyShardedDataParallel; remove it (device_mesh=... chooses the ranks "
                "to shard over)."
            )
        else:  # MMEngine hands it to torch's FSDP: a TypeError there
            known = (*_OURS, *_NO_EFFECT, *_TRANSLATED, *_REFUSED)
            raise ConfigTypeError(
                f"{where} has an unknown FSDP option {key!r}.{did_you_mean(key, known)}"
                f" It takes {', '.join(known)} (see docs/distributed.md)."
            )
    return out


def _wrap_policy(policy: Any, where: str) -> dict[str, Any]:
    """``min_num_params`` or ``wrap_modules`` for an FSDP1 ``auto_wrap_policy``."""
    if hasattr(policy, "_module_classes"):  # a ModuleWrapPolicy object
        return {"wrap_modules": list(policy._module_classes)}
    if isinstance(policy, Mapping):
        kwargs = dict(policy)
        func = kwargs.pop("type", "")
    elif isinstance(policy, functools.partial):
        func, kwargs = policy.func, dict(policy.keywords)
    else:
        func, kwargs = policy, {}
    name = func if isinstance(func, str) else getattr(func, "__name__", repr(func))
    name = name.rsplit(".", 1)[-1]
    if name == "size_based_auto_wrap_policy" and set(kwargs) <= {"min_num_params"}:
        return {"min_num_params": int(kwargs.get("min_num_params", 100_000_000))}  # torch's default
    if name == "transformer_auto_wrap_policy" and set(kwargs) == {"transformer_layer_cls"}:
        return {"wrap_modules": _classes(kwargs["transformer_layer_cls"])}
    if name == "ModuleWrapPolicy" and set(kwargs) == {"module_classes"}:
        return {"wrap_modules": _classes(kwargs["module_classes"])}
    raise ConfigError(
        f"{where}.auto_wrap_policy={policy!r} cannot be turned into FSDP2 "
        "units: runner understands torch's size_based_auto_wrap_policy (min_num_params=N), "
        "transformer_auto_wrap_policy (transformer_layer_cls={Block}) and ModuleWrapPolicy. "
        "Name the classes to shard as units instead: model_wrapper=dict(wrap_modules=['Block'])."
    )


def _classes(value: Any) -> list[Any]:
    """``wrap_modules`` for a policy's classes: one class or name is one unit, not its letters."""
    return [value] if isinstance(value, (str, type)) else list(value)


def _offload(value: Any, where: str) -> bool:
    """``offload_params`` for FSDP1's ``cpu_offload``: a bool, a ``CPUOffload`` or its dict.

    Anything else would be true as a Python value and offload silently, so it is refused.
    """
    if isinstance(value, Mapping) and set(value) <= {"offload_params"}:
        value = value.get("offload_params", False)
    else:
        value = getattr(value, "offload_params", value)
    if not isinstance(value, bool):
        raise ConfigTypeError(
            f"{where}.cpu_offload={value!r}: give True / False, "
            "dict(offload_params=True) or torch's CPUOffload(offload_params=True)."
        )
    return value


def _resharding(value: Any, where: str, replicate: str) -> bool:
    """``reshard_after_forward`` for an FSDP1 ``sharding_strategy`` (name or enum member)."""
    name = str(getattr(value, "name", value))
    if name == "FULL_SHARD":
        return True
    if name == "SHARD_GRAD_OP":
        return False
    if name == "NO_SHARD":
        raise ConfigError(
            f"{where}.sharding_strategy='NO_SHARD' replicates the model: use "
            f"{replicate}, which does the same."
        )
    raise ConfigError(
        f"{where}.sharding_strategy={name!r} is not supported by runner's FSDP2 "
        "wrapper; use 'FULL_SHARD' or 'SHARD_GRAD_OP' (for hybrid sharding, pass a 2-D "
        "device_mesh=...: fully_shard replicates over its first dimension)."
    )


def _mixed_precision(value: Any, where: str, stacklevel: int) -> dict[str, Any]:
    """Our wrapper's ``mixed_precision`` from FSDP1's (a dict or a ``MixedPrecision``)."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if not isinstance(value, Mapping):
        raise ConfigTypeError(
            f"{where}.mixed_precision={value!r}: give a dict, e.g. "
            "dict(param_dtype='bf16', reduce_dtype='fp32')."
        )
    kept = {k: v for k, v in value.items() if k in ("param_dtype", "reduce_dtype", "output_dtype")}
    dropped = [k for k in ("buffer_dtype", "keep_low_precision_grads") if value.get(k)]
    if dropped:
        warnings.warn(
            f"{where}.mixed_precision: {dropped} have no FSDP2 counterpart and "
            "are ignored (buffers keep their dtype; gradients are reduced in reduce_dtype).",
            stacklevel=stacklevel,
        )
    unknown = [
        k
        for k in value
        if k not in kept
        and k
        not in (
            "buffer_dtype",
            "keep_low_precision_grads",
            "cast_forward_inputs",
            "cast_root_forward_inputs",
            "_module_classes_to_ignore",
        )
    ]
    if unknown:
        raise ConfigTypeError(
            f"{where}.mixed_precision has unknown key(s) {unknown}; it takes "
            "param_dtype, reduce_dtype (and FSDP1's buffer_dtype, keep_low_precision_grads, "
            "cast_forward_inputs, cast_root_forward_inputs, which FSDP2 does not use)."
        )
    return kept
