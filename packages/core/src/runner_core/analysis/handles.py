"""Operator handles: the FLOP and activation formulas, in MMEngine's convention.

A handle is ``fn(inputs, outputs) -> number | Counter[str]``: ``inputs`` are the
operator's arguments in the order of its ATen schema (``aten::batch_norm``'s
``training`` is ``inputs[5]``), ``outputs`` its results, each an
:class:`OpValue`. One fused multiply-add counts as one FLOP, as in MMEngine
(``torch.utils.flop_counter`` counts it as two).

Tensors are recorded by shape only, so a finished analysis keeps no
activations alive and re-applying new handles needs no second forward pass.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

Number: TypeAlias = int | float
Handle: TypeAlias = Callable[[list[Any], list[Any]], "Counter[str] | Number"]


class OpValue:
    """One argument or result of a recorded operator.

    ``shape`` is a tensor's size (``None`` for anything else), ``value`` a
    non-tensor argument (``None`` for a tensor), ``items`` the elements of a
    list of tensors (``einsum``'s operands). The camel-case methods answer as
    the ``torch._C.Value`` of a jit trace does, so a handle written for
    MMEngine or fvcore (``get_shape(v)``, ``v.toIValue()``) works unchanged.
    """

    __slots__ = ("shape", "value", "items")

    def __init__(
        self,
        shape: list[int] | None = None,
        value: Any = None,
        items: list[OpValue] | None = None,
    ) -> None:
        self.shape = shape
        self.value = value
        self.items = items

    @classmethod
    def of(cls, obj: Any) -> OpValue:
        """Record ``obj`` without keeping a tensor alive."""
        import torch

        if isinstance(obj, torch.Tensor):
            return cls(shape=list(obj.shape))
        if isinstance(obj, (list, tuple)) and any(isinstance(o, torch.Tensor) for o in obj):
            return cls(items=[cls.of(o) for o in obj])
        if isinstance(obj, (torch.dtype, torch.device, torch.memory_format, torch.layout)):
            return cls(value=str(obj))
        return cls(value=obj)

    def isCompleteTensor(self) -> bool:  # noqa: N802  (jit's name)
        return self.shape is not None

    def type(self) -> _Sizes:
        return _Sizes(self.shape)

    def toIValue(self) -> Any:  # noqa: N802  (jit's name)
        return self.value

    def node(self) -> _ListNode:
        return _ListNode(self.items or [])

    def __repr__(self) -> str:
        if self.shape is not None:
            return f"OpValue(shape={self.shape})"
        if self.items is not None:
            return f"OpValue(items={self.items})"
        return f"OpValue(value={self.value!r})"


class _Sizes:
    """What ``Value.type()`` gives a jit handle: ``.sizes()``."""

    def __init__(self, shape: list[int] | None) -> None:
        self._shape = shape

    def sizes(self) -> list[int] | None:
        return self._shape


class _ListNode:
    """What ``Value.node()`` gives a jit handle for a list: ``.inputs()``, its elements."""

    def __init__(self, items: list[OpValue]) -> None:
        self._items = items

    def inputs(self) -> list[OpValue]:
        return self._items


def get_shape(val: Any) -> list[int] | None:
    """The shape of a tensor argument, or ``None`` when ``val`` is not a tensor."""
    return (
        val.shape
        if isinstance(val, OpValue)
        else (val.type().sizes() if val.isCompleteTensor() else None)
    )


def _shape(val: Any) -> list[int]:
    shape = get_shape(val)
    if shape is None:
        raise TypeError(f"expected a tensor argument, got {val!r}")
    return shape


def generic_activation_jit(op_name: str | None = None) -> Handle:
    """A handle counting the elements of the operator's first output (an activation count)."""

    def count(inputs: list[Any], outputs: list[Any]) -> Counter[str] | Number:
        n = math.prod(_shape(outputs[0]))
        return n if op_name is None else Counter({op_name: n})

    return count


def addmm_flop_jit(inputs: list[Any], outputs: list[Any]) -> Number:
    """``addmm(bias, x[M, K], w[K, N])``: M*K*N multiply-adds."""
    (m, k), n = _shape(inputs[1]), _shape(inputs[2])[-1]
    return m * k * n


def linear_flop_jit(inputs: list[Any], outputs: list[Any]) -> Number:
    """``linear(x[..., K], w[N, K])``: one multiply-add per input element and output feature."""
    return math.prod(_shape(inputs[0])) * _shape(inputs[1])[0]


def bmm_flop_jit(inputs: list[Any], outputs: list[Any]) -> Number:
    """``bmm(a[B, M, K], b[B, K, N])``: B*M*K*N."""
    b, m, k = _shape(inputs[0])
    return b * m * k * _shape(inputs[1])[-1]


def matmul_flop_jit(inputs: list[Any], outputs: list[Any]) -> Number:
    """``matmul(a, b)``: every element of ``a`` times the columns of ``b``.

    As MMEngine, a broadcast batch dimension of ``b`` is not multiplied in."""
    a, b = _shape(inputs[0]), _shape(inputs[1])
    a = [1, *a] if len(a) == 1 else a
    b = [*b, 1] if len(b) == 1 else b
    return math.prod(a) * b[-1]


def conv_flop_count(
    x_shape: Sequence[int],
    w_shape: Sequence[int],
    out_shape: Sequence[int],
    transposed: bool = False,
) -> Number:
    """Multiply-adds of a (transposed) convolution; the bias is not counted.

    Each weight element meets each output position (input position when
    transposed) of each sample once."""
    spatial = (x_shape if transposed else out_shape)[2:]
    return x_shape[0] * math.prod(w_shape) * math.prod(spatial)


def conv_flop_jit(inputs: list[Any], outputs: list[Any]) -> Counter[str]:
    """``aten::_convolution`` (input, weight, bias, stride, padding, dilation, transposed, ...)."""
    transposed = bool(inputs[6].toIValue())
    flops = conv_flop_count(
        _shape(inputs[0]), _shape(inputs[1]), _shape(outputs[0]), transposed=transposed
    )
    return Counter({"conv": flops})


def einsum_flop_jit(inputs: list[Any], outputs: list[Any]) -> Number:
    """``einsum(equation, operands)``: numpy's optimal contraction path, halved (multiply-adds).

    The two batched-matmul equations count exactly as ``bmm``, as in MMEngine."""
    equation = str(inputs[0].toIValue()).replace(" ", "")
    shapes = [_shape(v) for v in inputs[1].node().inputs()]
    renamed: dict[str, str] = {}
    for ch in equation:
        if ch.isalpha() and ch not in renamed:
            renamed[ch] = chr(ord("a") + len(renamed))
    equation = "".join(renamed.get(ch, ch) for ch in equation)
    if equation == "abc,abd->acd":
        n, c, t = shapes[0]
        return n * c * t * shapes[-1][-1]
    if equation == "abc,adc->adb":
        n, t, g = shapes[0]
        return n * t * g * shapes[-1][1]
    import numpy as np

    # zero-stride views: the path search needs shapes only, not memory
    operands = [np.broadcast_to(np.zeros(()), s) for s in shapes]
    report = np.einsum_path(equation, *operands, optimize="optimal")[1]
    for line in report.splitlines():
        if "optimized flop" in line.lower():
            return float(np.floor(float(line.split(":")[-1]) / 2))
    raise NotImplementedError(f"cannot count the FLOPs of einsum {equation!r}")


def norm_flop_counter(affine_arg_index: int) -> Handle:
    """A handle for a normalization whose weight is ``inputs[affine_arg_index]``.

    About 5 FLOPs per element with an affine transform, 4 without (MMEngine's estimate)."""

    def count(inputs: list[Any], outputs: list[Any]) -> Number:
        affine = get_shape(inputs[affine_arg_index]) is not None
        return math.prod(_shape(inputs[0])) * (5 if affine else 4)

    return count


def batchnorm_flop_jit(inputs: list[Any], outputs: list[Any]) -> Number:
    """``aten::batch_norm``: as a normalization in training; in eval a scale (and shift) per element."""
    if inputs[5].toIValue():
        return norm_flop_counter(1)(inputs, outputs)  # type: ignore[return-value]
    affine = get_shape(inputs[1]) is not None
    return math.prod(_shape(inputs[0])) * (2 if affine else 1)


def elementwise_flop_counter(input_scale: float = 1, output_scale: float = 0) -> Handle:
    """A handle counting ``input_scale`` per input element plus ``output_scale`` per output element."""

    def count(inputs: list[Any], outputs: list[Any]) -> Number:
        total: Number = 0
        if input_scale:
            total += input_scale * math.prod(_shape(inputs[0]))
        if output_scale:
            total += output_scale * math.prod(_shape(outputs[0]))
        return total

    return count
