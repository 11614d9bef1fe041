"""``init_cfg``: how a module's weights start, as MMEngine's ``BaseModule.init_weights`` does it.

OpenMMLab models say how to initialise their layers in their config
(``init_cfg=[dict(type='Kaiming', layer='Conv2d'), dict(type='Pretrained',
checkpoint='backbone.pth')]``). Each entry names an initializer and the layers
it applies to (``layer``: class names, matched against each submodule's class
and its bases), or submodules by attribute name (``override``). Pretrained
weights are loaded last, so they win over the others. The Runner calls
``model.init_weights()`` before training, as MMEngine does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from torch import nn

from ..errors import BuildError, BuildKeyError, did_you_mean


def _trunc_normal(weight: Any, mean: float, std: float, a: float, b: float) -> None:
    """A normal cut to ``[a, b]`` by inverting its CDF on uniform draws.

    Written out rather than ``nn.init.trunc_normal_``: recent torch draws it
    another way, and the same seed must give MMEngine's weights.
    """
    import torch

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    with torch.no_grad():
        weight.uniform_(2 * low - 1, 2 * high - 1)
        weight.erfinv_()
        weight.mul_(std * math.sqrt(2.0))
        weight.add_(mean)
        weight.clamp_(min=a, max=b)


def _xavier(weight: Any, gain: float, distribution: str) -> None:
    if distribution == "uniform":
        nn.init.xavier_uniform_(weight, gain=gain)
    else:
        nn.init.xavier_normal_(weight, gain=gain)


def _kaiming(weight: Any, a: float, mode: Any, nonlinearity: Any, distribution: str) -> None:
    if distribution == "uniform":
        nn.init.kaiming_uniform_(weight, a=a, mode=mode, nonlinearity=nonlinearity)
    else:
        nn.init.kaiming_normal_(weight, a=a, mode=mode, nonlinearity=nonlinearity)


#: initializer name -> (weight init, its extra arguments and their defaults)
_WEIGHT_INITS: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "Constant": (lambda w, val: nn.init.constant_(w, val), {"val": None}),
    "Normal": (lambda w, mean, std: nn.init.normal_(w, mean, std), {"mean": 0, "std": 1}),
    "TruncNormal": (_trunc_normal, {"mean": 0, "std": 1, "a": -2, "b": 2}),
    "Uniform": (lambda w, a, b: nn.init.uniform_(w, a, b), {"a": 0, "b": 1}),
    "Xavier": (_xavier, {"gain": 1, "distribution": "normal"}),
    "Kaiming": (
        _kaiming,
        {"a": 0, "mode": "fan_out", "nonlinearity": "relu", "distribution": "normal"},
    ),
    # MMEngine's name for Kaiming with Caffe2's defaults
    "Caffe2Xavier": (
        _kaiming,
        {"a": 1, "mode": "fan_in", "nonlinearity": "leaky_relu", "distribution": "uniform"},
    ),
}


def bias_init_with_prob(prior_prob: float) -> float:
    """The bias that makes a sigmoid output ``prior_prob`` (MMEngine's helper)."""
    return float(-math.log((1 - prior_prob) / prior_prob))


def _class_names(module: nn.Module) -> set[str]:
    """The module's class name and its bases' (``layer='Conv'`` also matches ``Conv2d``'s
    subclasses by their base names, as MMEngine matches them)."""
    return {cls.__name__ for cls in type(module).__mro__}


def _registered_initializer(kind: Any) -> Any:
    """A class offered in ``WEIGHT_INITIALIZERS`` under ``kind`` (built-in names win), or None."""
    if isinstance(kind, type):
        return kind
    if not isinstance(kind, str) or kind in _WEIGHT_INITS or kind == "Pretrained":
        return None
    from ..registry import WEIGHT_INITIALIZERS

    return WEIGHT_INITIALIZERS.get(kind)


def _initializer(cfg: Mapping[str, Any], where: str, whole: bool) -> Callable[[nn.Module], None]:
    """``module -> None`` applying one ``init_cfg`` entry (not ``Pretrained``)."""
    cfg = dict(cfg)
    kind = cfg.pop("type", None)
    registered = _registered_initializer(kind)
    if registered is not None:  # MMEngine's form: a class called with the module
        cfg.pop("override", None)
        from ..registry import check_arguments

        check_arguments(registered, cfg, where)
        built = registered(**cfg)
        if whole and hasattr(built, "wholemodule"):
            built.wholemodule = True
        return built
    if kind not in _WEIGHT_INITS:
        raise BuildKeyError(
            f"{where}: unknown initializer type {kind!r}; known: "
            f"{', '.join([*_WEIGHT_INITS, 'Pretrained'])}, and what "
            "@WEIGHT_INITIALIZERS.register_module() adds."
            + did_you_mean(str(kind), [*_WEIGHT_INITS, "Pretrained"])
        )
    init, params = _WEIGHT_INITS[kind]
    layer = cfg.pop("layer", None)
    layers = {layer} if isinstance(layer, str) else set(layer or ())
    bias = cfg.pop("bias", 0)
    bias_prob = cfg.pop("bias_prob", None)
    if bias_prob is not None:
        bias = bias_init_with_prob(bias_prob)
    cfg.pop("override", None)
    args = {name: cfg.pop(name, default) for name, default in params.items()}
    if kind == "Constant" and args["val"] is None:
        raise BuildError(f"{where}: Constant needs val=..., e.g. dict(type='Constant', val=1).")
    if cfg:
        raise BuildError(
            f"{where}: {kind} does not take {sorted(cfg)}; it takes "
            f"{', '.join(['layer', 'bias', 'bias_prob', 'override', *params])}."
            + "".join(did_you_mean(k, [*params, "layer", "bias", "bias_prob"]) for k in cfg)
        )

    def apply_one(module: nn.Module) -> None:
        weight = getattr(module, "weight", None)
        if isinstance(weight, nn.Parameter):
            init(weight, **args)
        module_bias = getattr(module, "bias", None)
        if isinstance(module_bias, nn.Parameter):
            nn.init.constant_(module_bias, bias)

    def apply(module: nn.Module) -> None:
        if whole:
            apply_one(module)
            return

        def visit(m: nn.Module) -> None:  # every submodule whose class (or a base) is named
            if layers & _class_names(m):
                apply_one(m)

        module.apply(visit)  # children first, as MMEngine: the same random draws in order

    return apply


def _load_pretrained(module: nn.Module, cfg: Mapping[str, Any], where: str) -> None:
    from ..checkpoint.model_io import checkpoint_weights
    from ..checkpoint.safe_load import load_checkpoint
    from ..checkpoint.state import load_model_state

    checkpoint = cfg.get("checkpoint")
    if not checkpoint:
        raise BuildError(f"{where}: Pretrained needs checkpoint='<path>'.")
    weights = checkpoint_weights(load_checkpoint(str(checkpoint)))
    prefix = cfg.get("prefix")
    if prefix:  # a sub-model of a bigger checkpoint: 'backbone.' keys, prefix dropped
        head = prefix if prefix.endswith(".") else prefix + "."
        weights = {k[len(head) :]: v for k, v in weights.items() if k.startswith(head)}
        if not weights:
            raise BuildError(
                f"{where}: no key of {checkpoint} starts with {head!r} (prefix={prefix!r})."
            )
    # what did not fit goes to the run's log, as MMEngine's Pretrained (logger='current')
    load_model_state(module, weights, strict=False, source=str(checkpoint), logger="current")


def _entries(init_cfg: Any) -> list[Any]:
    """``init_cfg`` as a list of entries (one dict or a list of them)."""
    return [init_cfg] if isinstance(init_cfg, Mapping) else list(init_cfg or [])


def _is_pretrained(cfg: Any) -> bool:
    return isinstance(cfg, Mapping) and cfg.get("type") == "Pretrained"


def _apply(module: nn.Module, init_cfg: Any, where: str, pretrained: bool | None) -> None:
    """Apply the entries of ``init_cfg`` (only the ``Pretrained`` ones, or only the others,
    when ``pretrained`` says so); errors name an entry by its place in ``init_cfg``."""
    cfgs = _entries(init_cfg)
    for i, cfg in enumerate(cfgs):
        if pretrained is not None and _is_pretrained(cfg) != pretrained:
            continue
        here = where if len(cfgs) == 1 else f"{where}[{i}]"
        if not isinstance(cfg, Mapping):
            raise BuildError(f"{here} must be a dict(type=..., ...), got {cfg!r}.")
        if _is_pretrained(cfg):
            _load_pretrained(module, cfg, here)
            continue
        _initializer(cfg, here, whole=False)(module)
        overrides = cfg.get("override") or []
        for j, override in enumerate([overrides] if isinstance(overrides, Mapping) else overrides):
            _override(module, cfg, override, f"{here}.override[{j}]")


def initialize(module: nn.Module, init_cfg: Any, where: str = "init_cfg") -> None:
    """Apply ``init_cfg`` (one dict or a list) to ``module``, in order, ``Pretrained`` too."""
    _apply(module, init_cfg, where, pretrained=None)


def _override(
    module: nn.Module, cfg: Mapping[str, Any], override: Mapping[str, Any], where: str
) -> None:
    override = dict(override)
    name = override.pop("name", None)
    target = getattr(module, name, None) if isinstance(name, str) else None
    if not isinstance(target, nn.Module):
        children = [n for n, _ in module.named_children()]
        raise BuildError(
            f"{where}: name={name!r} is no submodule of {type(module).__name__}."
            + did_you_mean(str(name), children)
        )
    if "type" not in override:  # the entry's own initializer, with these arguments changed
        override = {**{k: v for k, v in cfg.items() if k not in ("layer", "override")}, **override}
    if override.get("type") == "Pretrained":
        _load_pretrained(target, override, where)
        return
    override.pop("layer", None)
    _initializer(override, where, whole=True)(target)


def init_weights_of(module: nn.Module, init_cfg: Any, children: Sequence[nn.Module]) -> None:
    """MMEngine's ``BaseModule.init_weights`` order: this module's ``init_cfg``, then each
    child's own ``init_weights``, then the pretrained weights (which win)."""
    where = f"{type(module).__name__}.init_cfg"
    _apply(module, init_cfg, where, pretrained=False)
    for child in children:
        inner = getattr(child, "module", None)
        target = child if hasattr(child, "init_weights") or inner is None else inner
        init = getattr(target, "init_weights", None)
        if callable(init) and not getattr(target, "is_init", False):
            init()
    _apply(module, init_cfg, where, pretrained=True)
