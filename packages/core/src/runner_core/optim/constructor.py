"""Build an optim wrapper from a model and a config, with per-parameter settings.

``build_optim_wrapper(model, cfg)`` accepts what users write:

* ``dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01), clip_grad=...,
  accumulative_counts=..., paramwise_cfg=dict(...), constructor=...)``;
* an already built ``torch.optim.Optimizer`` (or ``dict(optimizer=<Optimizer>)``);
* a dict of such configs keyed by the model's children (``generator=dict(...),
  discriminator=dict(...)``), which gives an ``OptimWrapperDict``;
* an already built ``OptimWrapper`` / ``OptimWrapperDict``, returned as is.
"""

from __future__ import annotations

import copy
import inspect
import warnings
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any, cast

import torch
from torch import nn
from torch.optim import Optimizer

from ..errors import (
    BuildAssertionError,
    BuildError,
    BuildValueError,
    ConfigError,
    RegistryError,
    RegistryTypeError,
    did_you_mean,
)
from ..logging.print_log import print_log
from ..registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS
from ..utils.dl_utils.misc import NORM_TYPES
from .optim_wrapper import OptimWrapper
from .optim_wrapper_dict import OptimWrapperDict

PARAMWISE_KEYS = (
    "custom_keys",
    "bias_lr_mult",
    "bias_decay_mult",
    "norm_decay_mult",
    "dwconv_decay_mult",
    "flat_decay_mult",
    "dcn_offset_lr_mult",
    "bypass_duplicate",
)

#: the config key of the wrapper being built, named in its errors: ``optim_wrapper``, or
#: ``optim_wrapper.discriminator`` for one part of a one-optimizer-per-part config
OPTIM_WRAPPER_KEY: ContextVar[str] = ContextVar("OPTIM_WRAPPER_KEY", default="optim_wrapper")

#: What ``norm_decay_mult`` applies to: MMEngine's list, so configs give its numbers
#: (an ``nn.RMSNorm`` weight is a 1-D parameter: ``flat_decay_mult`` or ``custom_keys``).
_NORM_TYPES = NORM_TYPES


def _unwrap(model: nn.Module) -> nn.Module:
    """The user's model inside a DDP/FSDP-style wrapper."""
    return (
        cast(nn.Module, model.module)
        if isinstance(getattr(model, "module", None), nn.Module)
        else model
    )


_DCN_NAMES = frozenset({"DeformConv2d", "ModulatedDeformConv2d"})


def _is_dcn(module: nn.Module) -> bool:
    """Deformable convolutions (mmcv or torchvision), recognised by class name.

    Subclasses count, as MMEngine's ``isinstance`` check does: mmcv's
    ``DeformConv2dPack`` and ``ModulatedDeformConv2dPack`` (mmdet's DCNv2) hold
    the ``conv_offset`` that ``dcn_offset_lr_mult`` is for.
    """
    return any(cls.__name__ in _DCN_NAMES for cls in type(module).__mro__)


def check_optimizer_numbers(cfg: Mapping[str, Any], key_path: str) -> None:
    """Refuse an optimizer config's bad ``lr`` (a ConfigError naming ``<key_path>.lr``).

    The same rule for the build and for ``runner-cli config check``. A tensor
    lr (some optimizers take one) is left to the optimizer.
    """
    from ..value_checks import check_number

    lr = cfg.get("lr")
    if "lr" in cfg and not (hasattr(lr, "dim") and not isinstance(lr, bool)):
        check_number(lr, f"{key_path}.lr", minimum=0, example="lr=0.01")


def check_wrapper_numbers(cfg: Mapping[str, Any], key_path: str) -> None:
    """Refuse an optim wrapper config's bad ``clip_grad`` numbers, naming the key."""
    from ..value_checks import check_number

    clip = cfg.get("clip_grad")
    if isinstance(clip, Mapping) and "max_norm" in clip:
        check_number(clip["max_norm"], f"{key_path}.clip_grad.max_norm", above=0)
    if isinstance(clip, Mapping) and "clip_value" in clip:
        check_number(clip["clip_value"], f"{key_path}.clip_grad.clip_value", above=0)
    norm_type = clip.get("norm_type") if isinstance(clip, Mapping) else None
    # torch reads it with float() at the first clipped step: '2' and 'inf' work, 'abc'
    # fails there
    if norm_type is not None and not (isinstance(norm_type, str) and _is_float_text(norm_type)):
        check_number(
            norm_type,
            f"{key_path}.clip_grad.norm_type",
            example="norm_type=2 (or 'inf' for the largest absolute value)",
        )


def _is_float_text(text: str) -> bool:
    """Whether ``float(text)`` is a number, as torch's clipping reads ``norm_type``."""
    try:
        value = float(text)
    except ValueError:
        return False
    return value == value  # not NaN


def _resolve_optimizer(type_: Any) -> Any:
    """The optimizer class; unknown names get suggestions from ``torch.optim`` too."""
    try:
        return OPTIMIZERS.lookup(type_) if isinstance(type_, str) else type_
    except RegistryError as exc:
        import torch.optim

        names = [
            name
            for name, obj in vars(torch.optim).items()
            if isinstance(obj, type) and issubclass(obj, Optimizer) and obj is not Optimizer
        ]
        hint = did_you_mean(str(type_), names)
        message = str(exc)
        if hint and hint not in message:
            message = f"{message}{hint}"
        raise RegistryTypeError(
            f"{message} (at config key '{OPTIM_WRAPPER_KEY.get()}.optimizer.type')"
        ) from None


#: paramwise_cfg keys that multiply the optimizer's lr or weight_decay
_MULTIPLIERS = tuple(key for key in PARAMWISE_KEYS if key.endswith("_mult"))


def _check_multipliers(cfg: Mapping[str, Any]) -> None:
    """Multipliers must be numbers >= 0: ``'0.1'`` failed building the groups as
    "can't multiply sequence", and a negative lr_mult turns descent into ascent."""
    from ..value_checks import check_number

    where = f"{OPTIM_WRAPPER_KEY.get()}.paramwise_cfg"
    for key in _MULTIPLIERS:
        if cfg.get(key) is not None:
            check_number(cfg[key], f"{where}.{key}", minimum=0, example=f"{key}=0.0")
    custom_keys = cfg.get("custom_keys")
    if not isinstance(custom_keys, Mapping):
        return  # _validate says what it must be
    for name, options in custom_keys.items():
        if not isinstance(options, Mapping):
            continue
        # a name with dots ('backbone.cls_token') is one key: written as an index, not a path
        path = f".{name}" if str(name).isidentifier() else f"[{name!r}]"
        for key in ("lr_mult", "decay_mult"):
            if options.get(key) is not None:
                check_number(
                    options[key],
                    f"{where}.custom_keys{path}.{key}",
                    minimum=0,
                    example=f"{key}=0.1",
                )


class OptimizerConfigTypeError(BuildError, AttributeError):
    """``optim_wrapper.optimizer`` is neither a dict nor an optimizer (a list of configs):
    an AttributeError too, which MMEngine raises calling the value's ``.get``."""


#: paramwise_cfg keys of OpenMMLab's layer-decay constructors: no typo of ours to suggest
_LAYER_DECAY = frozenset({"layer_decay_rate", "decay_rate", "decay_type", "num_layers"})


#: custom_keys' options, which MMEngine's optim_wrapper tutorial also lists at the top
#: of paramwise_cfg (MMEngine ignores them there): "did you mean 'bias_lr_mult'" would
#: scale the biases alone
_WHOLE_MODEL = ("lr_mult", "decay_mult")


def _whole_model_hint(option: str, key: str) -> str:
    what = "lr" if option == "lr_mult" else "weight_decay"
    return (
        f" {option} is an option of a custom_keys entry ({key}.paramwise_cfg.custom_keys="
        f"{{'backbone': dict({option}=0.1)}}); for the whole model, scale {key}.optimizer's "
        f"{what} itself."
    )


class DefaultOptimWrapperConstructor:
    """Build the optimizer (with per-parameter groups) and wrap it.

    Args:
        optim_wrapper_cfg: ``dict(type='OptimWrapper', optimizer=dict(type=..., lr=...),
            ...)``; ``type`` defaults to ``'OptimWrapper'``.
        paramwise_cfg: per-parameter multipliers. ``custom_keys`` maps a
            substring of ``'<module path>.<name>'`` (``'.cls_token'`` for a
            parameter on the model itself, as in MMEngine) to ``dict(lr_mult=...,
            decay_mult=...)`` (plus any other group option); the longest key
            wins, ties alphabetically, and a matching key overrides every other
            rule. ``bias_lr_mult``, ``bias_decay_mult``, ``norm_decay_mult``,
            ``dwconv_decay_mult``, ``flat_decay_mult`` (1-D parameters),
            ``dcn_offset_lr_mult`` and ``bypass_duplicate`` (skip parameters
            shared between modules instead of failing).
    """

    def __init__(
        self, optim_wrapper_cfg: dict[str, Any], paramwise_cfg: dict[str, Any] | None = None
    ):
        key = OPTIM_WRAPPER_KEY.get()
        if not isinstance(optim_wrapper_cfg, Mapping):
            raise BuildError(
                f"{key} must be a dict, got {type(optim_wrapper_cfg).__name__}: "
                f"{optim_wrapper_cfg!r}."
            )
        if "optimizer" not in optim_wrapper_cfg:
            raise BuildAssertionError(
                f"{key} config {dict(optim_wrapper_cfg)!r} has no 'optimizer' key; add "
                "e.g. optimizer=dict(type='SGD', lr=0.01, momentum=0.9)."
            )
        self.optim_wrapper_cfg = dict(optim_wrapper_cfg)
        optimizer_cfg = self.optim_wrapper_cfg.pop("optimizer")
        if not isinstance(optimizer_cfg, (Mapping, Optimizer)):
            raise OptimizerConfigTypeError(
                f"{key}.optimizer must be a dict such as dict(type='SGD', lr=0.01) (or "
                f"a built torch.optim.Optimizer), got {type(optimizer_cfg).__name__}: "
                f"{optimizer_cfg!r}. With --cfg-options, set its keys one by one "
                f"({key}.optimizer.type=SGD {key}.optimizer.lr=0.01)."
            )
        self.optimizer_cfg = (
            optimizer_cfg if isinstance(optimizer_cfg, Optimizer) else dict(optimizer_cfg)
        )
        if paramwise_cfg is not None and not isinstance(paramwise_cfg, Mapping):
            raise BuildError(
                f"{key}.paramwise_cfg must be a dict or None, got "
                f"{type(paramwise_cfg).__name__}: {paramwise_cfg!r}; e.g. "
                "paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys={'backbone': "
                "dict(lr_mult=0.1)})."
            )
        self.paramwise_cfg = dict(paramwise_cfg or {})
        if isinstance(optimizer_cfg, Optimizer):
            self.base_lr = self.base_wd = None
        else:
            optimizer_dict = cast(dict[str, Any], self.optimizer_cfg)  # not an Optimizer here
            self.base_lr = optimizer_dict.get("lr")
            self.base_wd = optimizer_dict.get("weight_decay")
        self._validate()

    def _warn_unused_custom_options(self, custom_keys: Mapping[str, Any]) -> None:
        """Warn about ``custom_keys`` options that look like a misspelled name
        (``decay_multi``, ``lr_mlt``).

        Every option goes into its param group, as in MMEngine, so an option
        the optimizer takes per group (``momentum``, ``betas``) works, and so
        does one of the user's own that a hook reads from the group
        (mmpretrain's ``fix_lr``, read by its ``SimSiamHook``): only a name
        close to a known one is taken for a typo. A warning, not an error: real
        OpenMMLab configs carry such typos, and MMEngine runs them.
        """
        if not custom_keys or isinstance(self.optimizer_cfg, Optimizer):
            return
        type_ = self.optimizer_cfg.get("type")
        try:
            params = inspect.signature(_resolve_optimizer(type_)).parameters
        except (TypeError, ValueError, RegistryError):
            return
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return
        known = ["lr_mult", "decay_mult", *(n for n in params if n not in ("self", "params"))]
        for key, options in custom_keys.items():
            for option in options:
                hint = did_you_mean(option, known) if option not in known else ""
                if hint:
                    warnings.warn(
                        f"paramwise_cfg.custom_keys[{key!r}] sets {option!r}, which is neither "
                        f"lr_mult/decay_mult nor an argument of {getattr(type_, '__name__', type_)}"
                        f"; it goes into the param group, where nothing but code of yours reads "
                        f"it.{hint}",
                        stacklevel=4,
                    )

    def _validate(self) -> None:
        cfg = self.paramwise_cfg
        _check_multipliers(cfg)
        # A subclass (a custom constructor) may read keys of its own, as MMDet's
        # layer-decay constructors do; only the default constructor knows them all.
        unknown = [k for k in cfg if k not in PARAMWISE_KEYS]
        if unknown and type(self) is DefaultOptimWrapperConstructor:
            key = OPTIM_WRAPPER_KEY.get()
            hints = "".join(
                _whole_model_hint(k, key) if k in _WHOLE_MODEL else did_you_mean(k, PARAMWISE_KEYS)
                for k in unknown
                if k not in _LAYER_DECAY
            )
            raise BuildError(
                f"{key}.paramwise_cfg has unknown key(s) {unknown}; allowed: "
                f"{list(PARAMWISE_KEYS)}.{hints} A key of a custom constructor is read only by "
                f"it: name it in {key}.constructor (layer-wise lr decay, e.g. layer_decay_rate, comes "
                "with mmpretrain's LearningRateDecayOptimWrapperConstructor, mmseg's "
                "LayerDecayOptimizerConstructor or mmdet's "
                "LearningRateDecayOptimizerConstructor). MMEngine's default constructor "
                "ignores such keys, and trains without them."
            )
        if cfg and isinstance(self.optimizer_cfg, Optimizer):
            raise BuildError(
                "paramwise_cfg needs an optimizer config (dict(type=..., lr=...)) to build "
                "parameter groups; it got an already built optimizer."
            )
        custom_keys = cfg.get("custom_keys", {})
        if not isinstance(custom_keys, Mapping):
            raise BuildError(
                f"paramwise_cfg.custom_keys must be a dict of name -> dict(lr_mult=..., "
                f"decay_mult=...), got {custom_keys!r}."
            )
        for key, options in custom_keys.items():
            if not isinstance(options, Mapping):
                raise BuildError(
                    f"paramwise_cfg.custom_keys[{key!r}] must be a dict like "
                    f"dict(lr_mult=0.1, decay_mult=1.0), got {options!r}."
                )
            if "lr_mult" in options and self.base_lr is None:
                raise BuildError(
                    f"paramwise_cfg.custom_keys[{key!r}] sets lr_mult but the optimizer config "
                    "has no 'lr'; set optimizer.lr."
                )
            if "decay_mult" in options and self.base_wd is None:
                raise BuildValueError(
                    f"paramwise_cfg.custom_keys[{key!r}] sets decay_mult but the optimizer "
                    "config has no 'weight_decay'; set optimizer.weight_decay."
                )
        if type(self) is DefaultOptimWrapperConstructor:  # custom ones may read their own keys
            self._warn_unused_custom_options(custom_keys)
        needs_wd = [
            k for k in ("bias_decay_mult", "norm_decay_mult", "dwconv_decay_mult") if k in cfg
        ]
        if needs_wd and self.base_wd is None:
            raise BuildValueError(
                f"paramwise_cfg sets {needs_wd} but the optimizer config has no 'weight_decay'; "
                "set optimizer.weight_decay."
            )
        if "flat_decay_mult" in cfg and self.base_wd is None:
            # MMEngine ignores it silently and builds (AdamW configs relying on its default)
            warnings.warn(
                "paramwise_cfg.flat_decay_mult is ignored: the optimizer config has no "
                "'weight_decay', so every group keeps the optimizer's default; set "
                "optimizer.weight_decay for the multiplier to apply.",
                stacklevel=3,
            )
        needs_lr = [k for k in ("bias_lr_mult", "dcn_offset_lr_mult") if k in cfg]
        if needs_lr and self.base_lr is None:
            raise BuildError(
                f"paramwise_cfg sets {needs_lr} but the optimizer config has no 'lr'; set optimizer.lr."
            )

    # -- parameter groups -----------------------------------------------------
    def _is_in(self, param_group: Mapping[str, Any], param_group_list: list[Any]) -> bool:
        """Whether ``param_group`` shares a parameter with a group of ``param_group_list``
        (MMEngine's helper; mmseg's ``ForceDefaultOptimWrapperConstructor`` calls it to
        skip duplicate parameters)."""
        if not all(isinstance(group, Mapping) for group in param_group_list):
            raise TypeError("param_group_list must be a list of dicts (parameter groups)")
        seen = {id(p) for group in param_group_list for p in group["params"]}
        return any(id(p) in seen for p in param_group["params"])

    def add_params(
        self,
        params: list[dict[str, Any]],
        module: nn.Module,
        prefix: str = "",
        is_dcn_module: int | float | None = None,
    ) -> None:
        """Append one param group per parameter of ``module`` and its children."""
        cfg = self.paramwise_cfg
        custom_keys = cfg.get("custom_keys", {})
        # Alphabetical first, then longest first (a stable sort keeps ties alphabetical).
        sorted_keys = sorted(sorted(custom_keys), key=len, reverse=True)
        bias_lr_mult = cfg.get("bias_lr_mult")
        bias_decay_mult = cfg.get("bias_decay_mult")
        norm_decay_mult = cfg.get("norm_decay_mult")
        dwconv_decay_mult = cfg.get("dwconv_decay_mult")
        flat_decay_mult = cfg.get("flat_decay_mult")
        dcn_offset_lr_mult = cfg.get("dcn_offset_lr_mult")
        bypass_duplicate = cfg.get("bypass_duplicate", False)

        is_norm = isinstance(module, _NORM_TYPES)
        is_dwconv = isinstance(module, nn.Conv2d) and module.in_channels == module.groups

        for name, param in module.named_parameters(recurse=False):
            full_name = f"{prefix}.{name}" if prefix else name
            group: dict[str, Any] = {"params": [param]}
            if bypass_duplicate and any(param is p for g in params for p in g["params"]):
                warnings.warn(
                    f"Parameter {full_name!r} is shared with another module; it is put in "
                    "one group only (paramwise_cfg.bypass_duplicate=True).",
                    stacklevel=2,
                )
                continue
            if not param.requires_grad:  # frozen: not optimized at all, as in MMEngine
                warnings.warn(
                    f"Parameter {full_name!r} is left out of the optimizer: requires_grad=False.",
                    stacklevel=2,
                )
                continue

            # MMEngine matches f"{prefix}.{name}": a parameter on the model itself is
            # '.cls_token' there, which mmpretrain's custom_keys={'.cls_token': ...} rely on
            matched = next((key for key in sorted_keys if key in f"{prefix}.{name}"), None)
            if matched is not None:
                options = custom_keys[matched]
                if self.base_lr is not None:
                    group["lr"] = self.base_lr * options.get("lr_mult", 1.0)
                if self.base_wd is not None:
                    group["weight_decay"] = self.base_wd * options.get("decay_mult", 1.0)
                # Every option goes into the group too (MMEngine does the same;
                # torch optimizers keep unknown group keys untouched).
                group.update(options)
            else:
                if name == "bias" and not (is_norm or is_dcn_module) and bias_lr_mult is not None:
                    group["lr"] = self.base_lr * bias_lr_mult
                if (
                    dcn_offset_lr_mult is not None
                    and is_dcn_module
                    and "conv_offset" in prefix
                    and isinstance(module, nn.Conv2d)
                ):
                    group["lr"] = self.base_lr * dcn_offset_lr_mult
                if self.base_wd is not None:
                    if is_norm and norm_decay_mult is not None:
                        group["weight_decay"] = self.base_wd * norm_decay_mult
                    elif name == "bias" and not is_dcn_module and bias_decay_mult is not None:
                        group["weight_decay"] = self.base_wd * bias_decay_mult
                    elif is_dwconv and dwconv_decay_mult is not None:
                        group["weight_decay"] = self.base_wd * dwconv_decay_mult
                    elif param.ndim == 1 and not is_dcn_module and flat_decay_mult is not None:
                        group["weight_decay"] = self.base_wd * flat_decay_mult
            params.append(group)
            for key, value in group.items():  # MMEngine's log lines, which users grep for
                if key != "params":
                    print_log(f"paramwise_options -- {full_name}:{key}={value}", logger="current")

        child_is_dcn = _is_dcn(module)
        for child_name, child in module.named_children():
            child_prefix = f"{prefix}.{child_name}" if prefix else child_name
            self.add_params(params, child, prefix=child_prefix, is_dcn_module=child_is_dcn)

    def build_optimizer(self, model: nn.Module) -> Optimizer:
        """The optimizer alone, with parameter groups when ``paramwise_cfg`` is set."""
        if isinstance(self.optimizer_cfg, Optimizer):
            return self.optimizer_cfg
        cfg = dict(self.optimizer_cfg)
        if "type" not in cfg:
            raise BuildError(
                f"optimizer config {cfg!r} has no 'type'; add e.g. type='SGD' (any torch.optim "
                "optimizer name, or a registered one)."
            )
        optimizer_cls = _resolve_optimizer(cfg["type"])
        # Most optimizers call their first argument ``params``; some (e.g.
        # colossalai's HybridAdam) do not, so fill whatever it is called.
        first_arg = next(iter(inspect.signature(optimizer_cls).parameters))
        key = OPTIM_WRAPPER_KEY.get()
        if self.paramwise_cfg:
            groups: list[dict[str, Any]] = []
            self.add_params(groups, model)
            if not groups:
                _refuse_all_frozen(model, key)
            cfg[first_arg] = groups
        else:
            cfg[first_arg] = model.parameters()
        cfg["type"] = optimizer_cls
        from ..value_checks import config_errors

        check_optimizer_numbers(cfg, f"{key}.optimizer")
        try:
            with config_errors(f"{key}.optimizer", getattr(optimizer_cls, "__name__", "")):
                return OPTIMIZERS.build(cfg, _key_path=f"{key}.optimizer")
        except ConfigError as exc:
            if "more than one parameter group" in str(exc) and self.paramwise_cfg:
                # not the optimizer's values: paramwise_cfg put a shared parameter in two groups
                raise ConfigError(
                    f"{key}.paramwise_cfg gave some parameters to more than one "
                    f"parameter group, which {optimizer_cls.__name__} refuses: the model shares "
                    "them between modules (tied weights). Set "
                    f"{key}.paramwise_cfg.bypass_duplicate=True to keep each shared "
                    "parameter in its first group only (as MMEngine), or untie the weights."
                ) from (exc.__cause__ or exc)
            raise

    def __call__(self, model: nn.Module) -> OptimWrapper:
        model = _unwrap(model)
        optimizer = self.build_optimizer(model)
        wrapper_cfg = dict(self.optim_wrapper_cfg)
        wrapper_cfg.setdefault("type", "OptimWrapper")
        from ..value_checks import config_errors

        key = OPTIM_WRAPPER_KEY.get()
        check_wrapper_numbers(wrapper_cfg, key)
        with config_errors(key, str(wrapper_cfg["type"])):
            return OPTIM_WRAPPERS.build(wrapper_cfg, {"optimizer": optimizer}, _key_path=key)


def _refuse_all_frozen(model: nn.Module, key: str) -> None:
    """paramwise_cfg left every parameter out because all are frozen: say so, in place of
    torch's "optimizer got an empty parameter list" (a ValueError, as the ConfigError is)."""
    count = sum(1 for _ in model.parameters())
    if not count:
        return  # no parameters at all: torch's own error says it
    raise ConfigError(
        f"{key} has no trainable parameter: all {count} parameters of the "
        f"{type(model).__name__} it optimizes have requires_grad=False, and with a "
        f"paramwise_cfg frozen parameters are left out of the optimizer (as in MMEngine), so "
        "the optimizer would get an empty parameter list. Unfreeze some of them before the "
        f"optimizer is built, or drop {key}.paramwise_cfg (the optimizer then holds the frozen "
        "parameters and never changes them, as it does without one)."
    )


def multi_optimizer_parts(cfg: Mapping[str, Any]) -> dict[str, Any] | None:
    """``{part: its config}`` for a config with one optimizer per model part, else None.

    The parts may come with ``type='OptimWrapperDict'``, or with mmagic's
    ``constructor='MultiOptimWrapperConstructor'`` when no plugin registers it
    (it builds the same thing: one wrapper per child module).
    """
    parts = dict(cfg)
    if parts.get("type") in ("OptimWrapperDict", OptimWrapperDict) and "optimizer" not in parts:
        del parts["type"]
        if parts.pop("paramwise_cfg", None) is not None:
            raise BuildError(
                "optim_wrapper=dict(type='OptimWrapperDict', ...) has a paramwise_cfg beside "
                "its parts; give each part its own: dict(type='OptimWrapperDict', "
                "generator=dict(optimizer=..., paramwise_cfg=...), discriminator=dict(...))."
            )
    if (
        parts.get("constructor") == "MultiOptimWrapperConstructor"
        and "MultiOptimWrapperConstructor" not in OPTIM_WRAPPER_CONSTRUCTORS
    ):
        del parts["constructor"]
        if parts.pop("paramwise_cfg", None) is not None:  # mmagic asserts it is None
            raise BuildAssertionError(
                "optim_wrapper=dict(constructor='MultiOptimWrapperConstructor', ...) has a "
                "paramwise_cfg beside its parts; give each part its own: dict(constructor="
                "'MultiOptimWrapperConstructor', generator=dict(optimizer=..., "
                "paramwise_cfg=...), discriminator=dict(...))."
            )
    if any(k in parts for k in ("type", "optimizer", "constructor")):
        return None
    if parts and all(isinstance(v, (Mapping, Optimizer, OptimWrapper)) for v in parts.values()):
        return parts
    return None


def _copy_cfg(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a config that shares the built objects in it (an optimizer, a module)."""
    memo: dict[int, Any] = {}

    def share_built(value: Any) -> None:
        if isinstance(value, (Optimizer, nn.Module, OptimWrapper, torch.Tensor, Iterator)):
            memo[id(value)] = value
        elif isinstance(value, Mapping):
            for item in value.values():
                share_built(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                share_built(item)

    share_built(cfg)
    return dict(copy.deepcopy(cfg, memo))


def _lightning_hint(cfg: Any) -> str:
    """How to give what a LightningModule's ``configure_optimizers()`` returns, when ``cfg``
    looks like it: a dict with ``lr_scheduler``, or ``([optimizers], [schedulers])``."""
    shaped = (isinstance(cfg, Mapping) and "lr_scheduler" in cfg) or (
        isinstance(cfg, (list, tuple))
        and any(isinstance(item, Optimizer) for part in cfg for item in _items(part))
    )
    if not shaped:
        return ""
    return (
        " Pass the optimizer alone as optim_wrapper (or optim_wrapper=dict(optimizer="
        "dict(type='SGD', lr=...))), and the schedulers as configs, "
        "param_scheduler=dict(type='StepLR', step_size=..., by_epoch=False) (by_epoch=False "
        "is Lightning's interval='step'): scheduler objects are not accepted."
    )


def _items(part: Any) -> list[Any]:
    return list(part) if isinstance(part, (list, tuple)) else [part]


def build_optim_wrapper(model: nn.Module, cfg: Any) -> OptimWrapper | OptimWrapperDict:
    """Build an ``OptimWrapper`` (or ``OptimWrapperDict``) for ``model`` from ``cfg``."""
    if isinstance(cfg, OptimWrapper):
        return cfg
    if isinstance(cfg, Optimizer):
        return OptimWrapper(cfg)
    key = OPTIM_WRAPPER_KEY.get()
    if not isinstance(cfg, Mapping):
        shown = repr(cfg)  # an optimizer's repr runs over many lines
        shown = f": {shown}" if len(shown) <= 120 and "\n" not in shown else ""
        raise BuildError(
            f"{key} must be a dict, an OptimWrapper or a torch.optim.Optimizer, got "
            f"{type(cfg).__name__}{shown}.{_lightning_hint(cfg)}"
        )
    if "lr_scheduler" in cfg:
        raise BuildError(
            f"{key} has an 'lr_scheduler' key, which nothing here reads (it is "
            f"Lightning's configure_optimizers() dict).{_lightning_hint(cfg)}"
        )
    parts = multi_optimizer_parts(cfg)
    if parts is not None:
        inner = _unwrap(model)
        children = dict(inner.named_children())
        wrappers = {}
        for name, sub_cfg in parts.items():
            if isinstance(sub_cfg, (OptimWrapper, Optimizer)):
                wrappers[name] = build_optim_wrapper(inner, sub_cfg)
                continue
            if name not in children:
                # a ValueError too: MMEngine's check of a dict of built wrappers raises one
                raise BuildValueError(
                    f"{key} has a key {name!r} (one optimizer per model part), but the "
                    f"model {type(inner).__name__} has no child module {name!r}; its children are "
                    f"{list(children)}.{did_you_mean(name, children)} A single optimizer config "
                    f"needs an 'optimizer' key.{did_you_mean(name, ('optimizer',))}"
                )
            # its errors name the part's keys: optim_wrapper.discriminator.optimizer.type
            token = OPTIM_WRAPPER_KEY.set(f"{key}.{name}")
            try:
                wrappers[name] = build_optim_wrapper(children[name], sub_cfg)
            finally:
                OPTIM_WRAPPER_KEY.reset(token)
        return OptimWrapperDict(**wrappers)
    if "optimizer" not in cfg and "constructor" not in cfg:
        raise BuildAssertionError(  # MMEngine asserts
            f"{key} config {dict(cfg)!r} has no 'optimizer' key; add e.g. "
            "optimizer=dict(type='SGD', lr=0.01), or give one config per model part "
            "(generator=dict(optimizer=...), discriminator=dict(optimizer=...))."
        )
    # A constructor may edit what it is given (mmseg's layer-decay one pops keys from
    # paramwise_cfg): it gets a copy, as in MMEngine, so the same config builds again.
    wrapper_cfg = _copy_cfg(cfg)
    constructor_type = wrapper_cfg.pop("constructor", "DefaultOptimWrapperConstructor")
    paramwise_cfg = wrapper_cfg.pop("paramwise_cfg", None)
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        {
            "type": constructor_type,
            "optim_wrapper_cfg": wrapper_cfg,
            "paramwise_cfg": paramwise_cfg,
        },
        _key_path=f"{key}.constructor",
    )
    return constructor(model)


__all__ = [
    "DefaultOptimWrapperConstructor",
    "build_optim_wrapper",
    "check_optimizer_numbers",
    "check_wrapper_numbers",
]
