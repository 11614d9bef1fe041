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

import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast

import torch
from torch import nn

from ..errors import (
    BuildAssertionError,
    BuildError,
    BuildKeyError,
    BuildValueError,
    RunnerError,
    add_note,
    did_you_mean,
)

# -- the helpers OpenMMLab heads call in their own init_weights() -------------


def _fill(module: nn.Module, init_weight: Callable[[torch.Tensor], Any], bias: float) -> None:
    """Initialise ``module.weight`` with ``init_weight`` and fill ``module.bias``, where present."""
    weight = getattr(module, "weight", None)
    if isinstance(weight, torch.Tensor):
        init_weight(weight)
    module_bias = getattr(module, "bias", None)
    if isinstance(module_bias, torch.Tensor):
        nn.init.constant_(module_bias, bias)


def _check_distribution(distribution: str) -> None:
    if distribution not in ("uniform", "normal"):
        raise BuildAssertionError(
            f"distribution must be 'uniform' or 'normal', got {distribution!r}."
        )


def trunc_normal_(
    tensor: torch.Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0
) -> torch.Tensor:
    """Fill ``tensor`` with a normal cut to ``[a, b]``, by inverting its CDF on uniform draws.

    Written out rather than ``nn.init.trunc_normal_``: recent torch draws it
    another way, and the same seed must give MMEngine's weights.
    """

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if mean < a - 2 * std or mean > b + 2 * std:
        import warnings

        warnings.warn(
            f"trunc_normal_: mean={mean} is more than 2 std ({std}) outside [a, b] = [{a}, {b}], "
            "where this inverse-CDF draw loses precision and the values may be wrong; check "
            "mean, std, a and b.",
            stacklevel=2,
        )
    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    with torch.no_grad():
        tensor.uniform_(2 * low - 1, 2 * high - 1)
        tensor.erfinv_()
        tensor.mul_(std * math.sqrt(2.0))
        tensor.add_(mean)
        tensor.clamp_(min=a, max=b)
    return tensor


def constant_init(module: nn.Module, val: float, bias: float = 0) -> None:
    """Fill ``module``'s weight with ``val`` and its bias with ``bias`` (MMEngine's helper)."""
    _fill(module, lambda w: nn.init.constant_(w, val), bias)


def xavier_init(
    module: nn.Module, gain: float = 1, bias: float = 0, distribution: str = "normal"
) -> None:
    """Glorot initialisation of ``module``'s weight; ``distribution``: 'normal' or 'uniform'."""
    _check_distribution(distribution)
    if distribution == "uniform":
        _fill(module, lambda w: nn.init.xavier_uniform_(w, gain=gain), bias)
    else:
        _fill(module, lambda w: nn.init.xavier_normal_(w, gain=gain), bias)


def normal_init(module: nn.Module, mean: float = 0, std: float = 1, bias: float = 0) -> None:
    """Draw ``module``'s weight from N(mean, std^2); fill its bias with ``bias``."""
    _fill(module, lambda w: nn.init.normal_(w, mean, std), bias)


def trunc_normal_init(
    module: nn.Module,
    mean: float = 0,
    std: float = 1,
    a: float = -2,
    b: float = 2,
    bias: float = 0,
) -> None:
    """Draw ``module``'s weight from N(mean, std^2) cut to ``[a, b]``; fill its bias."""
    _fill(module, lambda w: trunc_normal_(w, mean, std, a, b), bias)


def uniform_init(module: nn.Module, a: float = 0, b: float = 1, bias: float = 0) -> None:
    """Draw ``module``'s weight from U(a, b); fill its bias with ``bias``."""
    _fill(module, lambda w: nn.init.uniform_(w, a, b), bias)


def kaiming_init(
    module: nn.Module,
    a: float = 0,
    mode: str = "fan_out",
    nonlinearity: str = "relu",
    bias: float = 0,
    distribution: str = "normal",
) -> None:
    """He initialisation of ``module``'s weight; ``distribution``: 'normal' or 'uniform'."""
    _check_distribution(distribution)
    init = nn.init.kaiming_uniform_ if distribution == "uniform" else nn.init.kaiming_normal_
    _fill(module, lambda w: init(w, a=a, mode=mode, nonlinearity=nonlinearity), bias)  # type: ignore[arg-type]


def caffe2_xavier_init(module: nn.Module, bias: float = 0) -> None:
    """Caffe2's ``XavierFill``: which is PyTorch's uniform Kaiming with ``a=1``, ``fan_in``."""
    kaiming_init(
        module, a=1, mode="fan_in", nonlinearity="leaky_relu", bias=bias, distribution="uniform"
    )


def bias_init_with_prob(prior_prob: float) -> float:
    """The bias that makes a sigmoid output ``prior_prob`` (MMEngine's helper).

    Through numpy's ``log``, as MMEngine: ``math.log`` differs in the last bit
    for some probabilities (0.459, 0.496, ...), and so would the logged bias.
    """
    import numpy as np

    return float(-np.log((1 - prior_prob) / prior_prob))


def update_init_info(module: nn.Module, init_info: str) -> None:
    """Record ``init_info`` for each parameter of ``module`` whose value an initializer changed.

    MMEngine's bookkeeping: ``module._params_init_info`` maps each parameter to
    ``{'init_info': str, 'tmp_mean_value': tensor}``; an initializer calls this
    after it ran, so the log can say how each parameter started.
    """
    info = getattr(module, "_params_init_info", None)
    if info is None:
        raise BuildAssertionError(
            f"update_init_info needs {type(module).__name__}._params_init_info (a dict from "
            "each parameter to its init_info and tmp_mean_value); set it before initialising."
        )
    for name, param in module.named_parameters():
        if param not in info:
            raise BuildAssertionError(
                f"{type(module).__name__} got a new parameter {name!r} while initialising its "
                "weights; init_weights must not add or replace parameters."
            )
        mean = param.data.mean().cpu()
        if info[param]["tmp_mean_value"] != mean:
            info[param]["init_info"] = init_info
            info[param]["tmp_mean_value"] = mean


# -- the initializers that init_cfg entries name ---------------------------


def _layer_names(module: nn.Module) -> set[str]:
    """The module's class name and its direct bases' (``layer='_ConvNd'`` matches
    ``Conv2d``), as MMEngine matches them."""
    cls = type(module)
    return {cls.__name__, *(base.__name__ for base in cls.__bases__)}


class BaseInit:
    """An ``init_cfg`` initializer: called with a module, it initialises the submodules
    whose class (or a direct base) is named in ``layer`` (every submodule when
    ``wholemodule``: an ``override`` target), children first.

    Subclasses implement ``init_module(m)`` for one submodule, or ``__call__``
    themselves, as MMEngine's do; register them in ``WEIGHT_INITIALIZERS`` to
    name them in ``init_cfg``.
    """

    def __init__(
        self,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | list[str] | None = None,
    ) -> None:
        self.wholemodule = False
        if isinstance(bias, bool) or not isinstance(bias, (int, float)):
            raise BuildError(f"{type(self).__name__}: bias must be a number, got {bias!r}.")
        if bias_prob is not None and not isinstance(bias_prob, float):
            raise BuildError(
                f"{type(self).__name__}: bias_prob must be a float (e.g. 0.01), got {bias_prob!r}."
            )
        if layer is not None and not isinstance(layer, (str, list)):
            raise BuildError(
                f"{type(self).__name__}: layer must be a class name or a list of them, got "
                f"{layer!r}."
            )
        self.bias = bias_init_with_prob(bias_prob) if bias_prob is not None else bias
        self.layer: list[str] = [layer] if isinstance(layer, str) else list(layer or [])

    def init_module(self, module: nn.Module) -> None:
        """Initialise one matching submodule (override in a subclass)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement init_module(module) or __call__(module)."
        )

    def __call__(self, module: nn.Module) -> None:
        layers = set(self.layer)

        def visit(m: nn.Module) -> None:
            if self.wholemodule or layers & _layer_names(m):
                self.init_module(m)

        module.apply(visit)  # children first, as MMEngine: the same random draws in order
        if hasattr(module, "_params_init_info"):
            update_init_info(module, self._get_init_info())

    def _get_init_info(self) -> str:
        return f"{type(self).__name__}, bias={self.bias}"


class ConstantInit(BaseInit):
    """``dict(type='Constant', val=..., bias=0, layer=...)``: weights filled with ``val``."""

    def __init__(
        self,
        val: float,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | list[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        self.val = val

    def init_module(self, module: nn.Module) -> None:
        constant_init(module, self.val, self.bias)

    def _get_init_info(self) -> str:
        return f"{type(self).__name__}: val={self.val}, bias={self.bias}"


class XavierInit(BaseInit):
    """``dict(type='Xavier', gain=1, distribution='normal', ...)``: Glorot initialisation."""

    def __init__(
        self,
        gain: float = 1,
        distribution: str = "normal",
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | list[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        _check_distribution(distribution)
        self.gain = gain
        self.distribution = distribution

    def init_module(self, module: nn.Module) -> None:
        xavier_init(module, self.gain, self.bias, self.distribution)

    def _get_init_info(self) -> str:
        return (
            f"{type(self).__name__}: gain={self.gain}, distribution={self.distribution}, "
            f"bias={self.bias}"
        )


class NormalInit(BaseInit):
    """``dict(type='Normal', mean=0, std=1, ...)``: weights drawn from N(mean, std^2)."""

    def __init__(
        self,
        mean: float = 0,
        std: float = 1,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | list[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        self.mean = mean
        self.std = std

    def init_module(self, module: nn.Module) -> None:
        normal_init(module, self.mean, self.std, self.bias)

    def _get_init_info(self) -> str:
        return f"{type(self).__name__}: mean={self.mean}, std={self.std}, bias={self.bias}"


class TruncNormalInit(BaseInit):
    """``dict(type='TruncNormal', mean=0, std=1, a=-2, b=2, ...)``: a normal cut to [a, b]."""

    def __init__(
        self,
        mean: float = 0,
        std: float = 1,
        a: float = -2,
        b: float = 2,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | list[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        self.mean = mean
        self.std = std
        self.a = a
        self.b = b

    def init_module(self, module: nn.Module) -> None:
        trunc_normal_init(module, self.mean, self.std, self.a, self.b, self.bias)

    def _get_init_info(self) -> str:
        return (
            f"{type(self).__name__}: a={self.a}, b={self.b}, mean={self.mean}, std={self.std}, "
            f"bias={self.bias}"
        )


class UniformInit(BaseInit):
    """``dict(type='Uniform', a=0, b=1, ...)``: weights drawn from U(a, b)."""

    def __init__(
        self,
        a: float = 0,
        b: float = 1,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | list[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        self.a = a
        self.b = b

    def init_module(self, module: nn.Module) -> None:
        uniform_init(module, self.a, self.b, self.bias)

    def _get_init_info(self) -> str:
        return f"{type(self).__name__}: a={self.a}, b={self.b}, bias={self.bias}"


class KaimingInit(BaseInit):
    """``dict(type='Kaiming', a=0, mode='fan_out', nonlinearity='relu', distribution='normal')``."""

    def __init__(
        self,
        a: float = 0,
        mode: str = "fan_out",
        nonlinearity: str = "relu",
        distribution: str = "normal",
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | list[str] | None = None,
    ) -> None:
        super().__init__(bias=bias, bias_prob=bias_prob, layer=layer)
        _check_distribution(distribution)
        self.a = a
        self.mode = mode
        self.nonlinearity = nonlinearity
        self.distribution = distribution

    def init_module(self, module: nn.Module) -> None:
        kaiming_init(module, self.a, self.mode, self.nonlinearity, self.bias, self.distribution)

    def _get_init_info(self) -> str:
        return (
            f"{type(self).__name__}: a={self.a}, mode={self.mode}, "
            f"nonlinearity={self.nonlinearity}, distribution ={self.distribution}, "
            f"bias={self.bias}"
        )


class Caffe2XavierInit(KaimingInit):
    """``dict(type='Caffe2Xavier')``: Caffe2's ``XavierFill`` (uniform Kaiming, ``a=1``)."""

    def __init__(
        self,
        *,
        bias: float = 0,
        bias_prob: float | None = None,
        layer: str | list[str] | None = None,
    ) -> None:
        super().__init__(
            a=1,
            mode="fan_in",
            nonlinearity="leaky_relu",
            distribution="uniform",
            bias=bias,
            bias_prob=bias_prob,
            layer=layer,
        )


#: whether Pretrained may unpickle while a Runner initialises its model (its load_cfg)
_PRETRAINED_ALLOW_PICKLE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "runner_core_pretrained_allow_pickle", default=False
)


@contextlib.contextmanager
def pretrained_allow_pickle(allow: bool) -> Iterator[None]:
    """Inside the block, ``Pretrained`` without its own ``allow_pickle`` takes ``allow``
    (a Runner's ``load_cfg=dict(allow_pickle=True)`` / ``--unsafe-load``)."""
    token = _PRETRAINED_ALLOW_PICKLE.set(bool(allow))
    try:
        yield
    finally:
        _PRETRAINED_ALLOW_PICKLE.reset(token)


class PretrainedInit:
    """``dict(type='Pretrained', checkpoint=..., prefix=None)``: load a checkpoint's weights.

    With ``prefix`` (``'backbone.'``) only the keys under it are loaded, the
    prefix dropped: a sub-model from a bigger checkpoint. Keys that do not fit
    go to the run's log, as MMEngine's ``logger='current'``. The file loads
    with ``weights_only``; ``allow_pickle=True`` (or, when not given, the
    Runner's ``load_cfg=dict(allow_pickle=True)``) unpickles a file you trust,
    e.g. an MMEngine checkpoint.
    """

    def __init__(
        self,
        checkpoint: str,
        prefix: str | None = None,
        map_location: Any = "cpu",
        allow_pickle: bool | None = None,
    ) -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location
        self.allow_pickle = allow_pickle
        self.wholemodule = False

    def __call__(self, module: nn.Module) -> None:
        from ..checkpoint.model_io import checkpoint_weights
        from ..checkpoint.safe_load import load_checkpoint
        from ..checkpoint.state import load_model_state

        if not self.checkpoint:
            raise BuildError("Pretrained needs checkpoint='<path>' (init_cfg).")
        checkpoint = str(self.checkpoint)
        allow = (
            _PRETRAINED_ALLOW_PICKLE.get() if self.allow_pickle is None else bool(self.allow_pickle)
        )
        weights = checkpoint_weights(
            load_checkpoint(checkpoint, map_location=self.map_location, allow_pickle=allow)
        )
        if self.prefix:  # a sub-model of a bigger checkpoint: 'backbone.' keys, prefix dropped
            head = self.prefix if self.prefix.endswith(".") else self.prefix + "."
            every = weights
            weights = {k[len(head) :]: v for k, v in every.items() if k.startswith(head)}
            if not weights:  # MMEngine asserts: an AssertionError too
                raise BuildAssertionError(
                    f"Pretrained: no key of {checkpoint} starts with {head!r} "
                    f"(prefix={self.prefix!r}); {_prefix_hint(head, list(every))}"
                )
        load_model_state(module, weights, strict=False, source=checkpoint, logger="current")
        if hasattr(module, "_params_init_info"):
            update_init_info(module, self._get_init_info())

    def _get_init_info(self) -> str:
        return f"{type(self).__name__}: load from {self.checkpoint}"


def _prefix_hint(head: str, keys: list[str]) -> str:
    """What the checkpoint's keys start with, for a ``prefix`` that matched none."""
    wrapped = [k for k in keys if k.split(".", 1)[-1].startswith(head)]
    if wrapped:  # a DDP or wrapper checkpoint: 'module.backbone.'
        outer = wrapped[0][: len(wrapped[0]) - len(wrapped[0].split(".", 1)[-1])]
        return f"its keys start with {outer + head!r}: use prefix={outer + head!r}."
    starts = list(dict.fromkeys(k.split(".", 1)[0] + "." for k in keys))
    shown = ", ".join(repr(s) for s in starts[:6]) + (", ..." if len(starts) > 6 else "")
    return f"its keys start with {shown or 'nothing (it has no weights)'}."


def _initializer_class(kind: Any, where: str) -> Any:
    """The initializer ``type=`` names: a class, or a ``WEIGHT_INITIALIZERS`` key."""
    if isinstance(kind, type) or callable(kind):
        return kind
    from ..registry import WEIGHT_INITIALIZERS

    if kind is None:  # MMEngine: KeyError('type')
        raise BuildKeyError(
            f"{where} has no type=; name its initializer, e.g. dict(type='Kaiming', "
            "layer='Conv2d') or dict(type='Pretrained', checkpoint='<path>')."
        )

    found = WEIGHT_INITIALIZERS.get(kind) if isinstance(kind, str) else None
    if found is None:
        keys = WEIGHT_INITIALIZERS.keys()  # 'ConstantInit' is also 'Constant': name that once
        known = [k for k in keys if not (k.endswith("Init") and k[: -len("Init")] in keys)]
        raise BuildKeyError(
            f"{where}: unknown initializer type {kind!r}; known: {', '.join(known)}, and what "
            "@WEIGHT_INITIALIZERS.register_module() adds." + did_you_mean(str(kind), known)
        )
    return found


@contextlib.contextmanager
def _naming(where: str) -> Iterator[None]:
    """Say whose ``init_cfg`` entry failed: an initializer's own check (``distribution=``,
    ``layer=``) knows its class, not the module or the entry it was built from."""
    try:
        yield
    except RunnerError as exc:
        said = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], str) else None
        if said is not None and ".init_cfg" not in said and not said.startswith(where):
            exc.args = (f"{where}: {said}",)
        raise
    except Exception as exc:  # a third-party initializer's: keep its message and type
        add_note(exc, f"Raised by the initializer of {where}.")
        raise


def _initializer(cfg: Mapping[str, Any], where: str, whole: bool) -> Callable[[nn.Module], None]:
    """The initializer one ``init_cfg`` entry builds (``override`` is not its argument)."""
    from ..registry import check_arguments

    cfg = dict(cfg)
    cls = _initializer_class(cfg.pop("type", None), where)
    cfg.pop("override", None)
    check_arguments(cls, cfg, where)
    built = cls(**cfg)
    built.wholemodule = whole  # MMEngine's flag: an override target is initialised whole
    return built


def _entries(init_cfg: Any, where: str) -> list[Any]:
    """``init_cfg`` as a list of entries (one dict or a list of them)."""
    if isinstance(init_cfg, Mapping):
        return [init_cfg]
    if init_cfg is None or isinstance(init_cfg, (list, tuple)):
        return list(init_cfg or [])
    # MMEngine asserts (BaseModule) or raises a TypeError (initialize): this is both
    raise BuildAssertionError(
        f"{where} must be a dict(type=..., ...) or a list of them, got {init_cfg!r}; "
        f"e.g. init_cfg=dict(type={init_cfg!r}, layer='Conv2d')."
        if isinstance(init_cfg, str)
        else f"{where} must be a dict(type=..., ...) or a list of them, got {init_cfg!r}."
    )


def _is_pretrained(cfg: Any) -> bool:
    """Whether an entry loads a checkpoint (those run last, after the children's own init)."""
    if not isinstance(cfg, Mapping):
        return False
    kind = cfg.get("type")
    if isinstance(kind, type):
        return issubclass(kind, PretrainedInit)
    return kind in ("Pretrained", "PretrainedInit")


def _apply(module: nn.Module, init_cfg: Any, where: str, pretrained: bool | None) -> None:
    """Apply the entries of ``init_cfg`` (only the ``Pretrained`` ones, or only the others,
    when ``pretrained`` says so); errors name an entry by its place in ``init_cfg``."""
    cfgs = _entries(init_cfg, where)
    for i, cfg in enumerate(cfgs):
        if pretrained is not None and _is_pretrained(cfg) != pretrained:
            continue
        here = where if len(cfgs) == 1 else f"{where}[{i}]"
        if not isinstance(cfg, Mapping):  # MMEngine asserts: an AssertionError too
            raise BuildAssertionError(f"{here} must be a dict(type=..., ...), got {cfg!r}.")
        with _naming(here):
            _initializer(cfg, here, whole=False)(module)
        overrides = cfg.get("override") or []
        if isinstance(overrides, Mapping):
            overrides = [overrides]
        if not isinstance(overrides, (list, tuple)):  # MMEngine: a TypeError
            raise BuildError(
                f"{here}.override must be a dict(name='<submodule>', ...) or a list of them, "
                f"got {overrides!r}; e.g. override=dict(name={overrides!r}, type='Normal', "
                "std=0.01)."
            )
        for j, override in enumerate(overrides):
            if not isinstance(override, Mapping):
                raise BuildError(
                    f"{here}.override[{j}] must be a dict(name='<submodule>', ...), got "
                    f"{override!r}."
                )
            _override(module, cfg, override, f"{here}.override[{j}]")


def initialize(module: nn.Module, init_cfg: Any, where: str = "init_cfg") -> None:
    """Apply ``init_cfg`` (one dict or a list) to ``module``, in order, ``Pretrained`` too."""
    _apply(module, init_cfg, where, pretrained=None)


def _override(
    module: nn.Module, cfg: Mapping[str, Any], override: Mapping[str, Any], where: str
) -> None:
    override = dict(override)
    name = override.pop("name", None)
    if name is None:  # MMEngine: a ValueError
        raise BuildValueError(
            f"{where} needs name='<submodule>' (the child of {type(module).__name__} it "
            f"initialises), got {dict(override)!r}."
        )
    target = getattr(module, name, None) if isinstance(name, str) else None
    if not isinstance(target, nn.Module):
        children = [n for n, _ in module.named_children()]
        raise BuildError(
            f"{where}: name={name!r} is no submodule of {type(module).__name__}."
            + did_you_mean(str(name), children)
        )
    if "type" not in override:  # the entry's own initializer, with these arguments changed
        override = {**{k: v for k, v in cfg.items() if k not in ("layer", "override")}, **override}
    override.pop("layer", None)
    with _naming(where):
        _initializer(override, where, whole=True)(target)


def init_weights_of(module: nn.Module, init_cfg: Any, children: Sequence[nn.Module]) -> None:
    """MMEngine's ``BaseModule.init_weights`` order: this module's ``init_cfg``, then each
    child's own ``init_weights``, then the pretrained weights (which win)."""
    where = f"{type(module).__name__}.init_cfg"
    if not init_cfg:  # MMEngine's `if self.init_cfg:`: {}, [], '' and None all mean none
        init_cfg = None
    _apply(module, init_cfg, where, pretrained=False)
    from ..distributed.model_wrappers import is_model_wrapper

    for child in children:
        # MMEngine unwraps only a registered model wrapper, not any child with a `.module`
        wrapped = is_model_wrapper(child) and not hasattr(child, "init_weights")
        target = cast(nn.Module, child.module) if wrapped else child
        init = getattr(target, "init_weights", None)
        if callable(init) and not getattr(target, "is_init", False):
            init()
            if hasattr(target, "_params_init_info"):  # a child's own init_weights (MMEngine's)
                update_init_info(
                    target,
                    f"Initialized by user-defined `init_weights` in {type(target).__name__} ",
                )
    _apply(module, init_cfg, where, pretrained=True)
