"""FLOP, activation and parameter counts: MMEngine's ``FlopAnalyzer`` and friends.

The counts follow MMEngine's conventions, so numbers agree with a model
analyzed there: one multiply-add is one FLOP; activations are the output
elements of convolutions and matrix products only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from torch import nn

from .handles import (
    Handle,
    addmm_flop_jit,
    batchnorm_flop_jit,
    bmm_flop_jit,
    conv_flop_jit,
    einsum_flop_jit,
    elementwise_flop_counter,
    generic_activation_jit,
    linear_flop_jit,
    matmul_flop_jit,
    norm_flop_counter,
)
from .model_analysis import ModelAnalysis

# operators with a FLOP count, as MMEngine 0.10.7 counts them (scaled dot-product
# attention is not among them there either: add one with set_op_handle)
DEFAULT_FLOP_HANDLES: dict[str, Handle] = {
    "aten::addmm": addmm_flop_jit,
    "aten::bmm": bmm_flop_jit,
    "aten::_convolution": conv_flop_jit,
    "aten::einsum": einsum_flop_jit,
    "aten::matmul": matmul_flop_jit,
    "aten::mm": matmul_flop_jit,
    "aten::linear": linear_flop_jit,
    # batch norm folds into the convolution at inference: set_op_handle("aten::batch_norm", None)
    "aten::batch_norm": batchnorm_flop_jit,
    "aten::group_norm": norm_flop_counter(2),
    "aten::layer_norm": norm_flop_counter(2),
    "aten::instance_norm": norm_flop_counter(1),
    "aten::upsample_nearest2d": elementwise_flop_counter(0, 1),
    "aten::upsample_bilinear2d": elementwise_flop_counter(0, 4),
    "aten::adaptive_avg_pool2d": elementwise_flop_counter(1, 0),
    "aten::grid_sampler": elementwise_flop_counter(0, 4),  # as if bilinear
}

# operators whose output elements count as activations
DEFAULT_ACTIVATION_HANDLES: dict[str, Handle] = {
    "aten::_convolution": generic_activation_jit("conv"),
    "aten::addmm": generic_activation_jit(),
    "aten::bmm": generic_activation_jit(),
    "aten::einsum": generic_activation_jit(),
    "aten::matmul": generic_activation_jit(),
    "aten::linear": generic_activation_jit(),
}

# MMEngine's private names, imported by VMamba-style analysis scripts
# (``from mmengine.analysis.complexity_analysis import _DEFAULT_SUPPORTED_FLOP_OPS``)
_DEFAULT_SUPPORTED_FLOP_OPS = DEFAULT_FLOP_HANDLES
_DEFAULT_SUPPORTED_ACT_OPS = DEFAULT_ACTIVATION_HANDLES


class FlopAnalyzer(ModelAnalysis):
    """FLOPs of ``model(*inputs)`` per module and operator (one multiply-add = 1 FLOP).

    ``total(name)``, ``by_module()``, ``by_operator(name)``,
    ``by_module_and_operator()``; operators without a handle are listed by
    ``unsupported_ops()`` and count zero. Add or replace handles with
    ``set_op_handle(name, handle)``.

    Example::

        >>> FlopAnalyzer(model, (torch.randn(1, 3, 224, 224),)).total()
    """

    def __init__(self, model: nn.Module, inputs: Any) -> None:
        super().__init__(model, inputs)
        self.set_op_handle(**DEFAULT_FLOP_HANDLES)


class ActivationAnalyzer(ModelAnalysis):
    """Activations of ``model(*inputs)``: output elements of convolutions and matrix products.

    The same API as :class:`FlopAnalyzer`."""

    def __init__(self, model: nn.Module, inputs: Any) -> None:
        super().__init__(model, inputs)
        self.set_op_handle(**DEFAULT_ACTIVATION_HANDLES)


def flop_count(
    model: nn.Module, inputs: tuple[Any, ...], supported_ops: dict[str, Handle] | None = None
) -> tuple[defaultdict[str, float], Counter[str]]:
    """GFLOPs of ``model(*inputs)`` per operator, and the unsupported operators.

    ``supported_ops`` adds or replaces handles."""
    analyzer = FlopAnalyzer(model, inputs).set_op_handle(**(supported_ops or {}))
    giga: defaultdict[str, float] = defaultdict(float)
    for op, flops in analyzer.by_operator().items():
        giga[op] = flops / 1e9
    return giga, analyzer.unsupported_ops()


def activation_count(
    model: nn.Module, inputs: tuple[Any, ...], supported_ops: dict[str, Handle] | None = None
) -> tuple[defaultdict[str, float], Counter[str]]:
    """Millions of activations of ``model(*inputs)`` per operator, and the unsupported operators."""
    analyzer = ActivationAnalyzer(model, inputs).set_op_handle(**(supported_ops or {}))
    mega: defaultdict[str, float] = defaultdict(float)
    for op, count in analyzer.by_operator().items():
        mega[op] = count / 1e6
    return mega, analyzer.unsupported_ops()


def parameter_count(model: nn.Module) -> defaultdict[str, int]:
    """Parameter elements per parameter name and per module name (``''``: the whole model).

    A parameter shared by several modules counts once, under its first name."""
    count: defaultdict[str, int] = defaultdict(int)
    for name, param in model.named_parameters():
        parts = name.split(".")
        for k in range(len(parts) + 1):
            count[".".join(parts[:k])] += param.numel()
    return count


def parameter_count_table(model: nn.Module, max_depth: int = 3) -> str:
    """A table of parameter counts per module (and shapes per parameter) to ``max_depth`` levels."""
    from .print_helper import render_table

    count = parameter_count(model)
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}

    def size(n: int) -> str:
        for limit, scale, unit in ((1e8, 1e9, "G"), (1e5, 1e6, "M"), (1e2, 1e3, "K")):
            if n > limit:
                return f"{n / scale:.1f}{unit}"
        return str(n)

    rows = [["model", size(count.get("", 0))]]

    def fill(level: int, prefix: str) -> None:
        if level >= max_depth:
            return
        for name, n in count.items():
            if name and name.count(".") == level and name.startswith(prefix):
                indent = " " * (level + 1)
                if name in shapes:
                    rows.append([indent + name, indent + str(shapes[name])])
                else:
                    rows.append([indent + name, indent + size(n)])
                    fill(level + 1, name + ".")

    fill(0, "")
    return render_table(
        ["name", "#elements or shape"], rows, title=f"parameter count of {type(model).__name__}"
    )
