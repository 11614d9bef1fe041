"""Which operator a torch call is, under the name and argument order a jit trace gives it.

MMEngine's handles are keyed by the operator a ``torch.jit`` trace records,
the first ATen operator called from Python (``aten::linear``, never the
``addmm`` it runs), with its arguments in schema order. The recorder sees
two levels instead:

* a torch function call from Python (``TorchFunctionMode``): named here after
  its ATen operator, arguments bound to that operator's schema;
* the ATen operators run inside a torch function written in Python
  (``F.multi_head_attention_forward``, ``F.interpolate``) or called through
  ``torch.ops`` (``TorchDispatchMode``): these have already been decomposed,
  so the few whose decomposition renames them are given back the traced name
  and layout (``native_batch_norm`` -> ``aten::batch_norm``,
  ``mm`` on a transposed weight -> ``aten::linear``).
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable
from typing import Any, NamedTuple


class OpCall(NamedTuple):
    """One recorded operator before its tensors are reduced to shapes."""

    kind: str  # 'aten::linear'
    inputs: list[Any]  # in the order of the operator's schema


SKIP = OpCall("", [])  # a call that is no operator: Tensor.size, .shape, .dim ...

# calls a trace does not record as operators (metadata, Python protocol)
_METADATA = frozenset(
    {
        "__get__",
        "__set__",
        "__len__",
        "__bool__",
        "__int__",
        "__float__",
        "__index__",
        "__hash__",
        "__format__",
        "__repr__",
        "__iter__",
        "__contains__",
        "__reduce_ex__",
        "__deepcopy__",
        "__array__",
        "size",
        "dim",
        "ndimension",
        "numel",
        "nelement",
        "stride",
        "storage_offset",
        "is_contiguous",
        "data_ptr",
        "element_size",
        "get_device",
        "is_floating_point",
        "is_complex",
        "is_signed",
        "item",
        "tolist",
        "requires_grad_",
        "retain_grad",
        "register_hook",
        "untyped_storage",
        "has_names",
    }
)

# Python spellings of operators
_RENAMED = {
    "__add__": "add",
    "__radd__": "add",
    "__iadd__": "add_",
    "__sub__": "sub",
    "__rsub__": "rsub",
    "__isub__": "sub_",
    "__mul__": "mul",
    "__rmul__": "mul",
    "__imul__": "mul_",
    "__truediv__": "div",
    "__div__": "div",
    "__itruediv__": "div_",
    "__idiv__": "div_",
    "__floordiv__": "floor_divide",
    "__ifloordiv__": "floor_divide_",
    "__mod__": "remainder",
    "__imod__": "remainder_",
    "__pow__": "pow",
    "__ipow__": "pow_",
    "__matmul__": "matmul",
    "__neg__": "neg",
    "__abs__": "abs",
    "__invert__": "bitwise_not",
    "__eq__": "eq",
    "__ne__": "ne",
    "__lt__": "lt",
    "__le__": "le",
    "__gt__": "gt",
    "__ge__": "ge",
    "__getitem__": "slice",
    "__setitem__": "copy_",
    **dict.fromkeys(
        ["float", "double", "half", "bfloat16", "int", "long", "short", "char", "byte", "bool"],
        "to",
    ),
    **dict.fromkeys(["cuda", "cpu", "type"], "to"),
}

_CONVOLUTIONS = frozenset(
    {
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "convolution",
        "_convolution",
    }
)


def function_call(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> OpCall | None:
    """The operator a torch function call is; ``None`` to record the ATen operators it runs."""
    if isinstance(func, types.FunctionType):  # written in Python
        if func.__name__ in _METADATA:
            return SKIP
        adapter = _python_adapters().get(func)
        return adapter(args, kwargs) if adapter is not None else None
    attr = getattr(func, "__name__", None)
    if not isinstance(attr, str):
        return None
    name: str = attr
    if name in _METADATA:
        return SKIP
    name = _RENAMED.get(name, name)
    if name in _CONVOLUTIONS:
        bound = bind(f"aten::{name}", args, kwargs)
        return OpCall("aten::_convolution", _convolution_layout(name, bound)) if bound else None
    if not _is_aten(name):
        return None  # a helper, not an operator: count what it runs
    bound = bind(f"aten::{name}", args, kwargs)
    return OpCall(f"aten::{name}", bound if bound is not None else [*args, *kwargs.values()])


@functools.cache
def _is_aten(name: str) -> bool:
    import torch

    return bool(torch._C._jit_get_schemas_for_operator(f"aten::{name}"))


@functools.cache
def _schemas(qualname: str) -> list[Any]:
    import torch

    return list(torch._C._jit_get_schemas_for_operator(qualname))


def bind(qualname: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any] | None:
    """``args``/``kwargs`` in the order of the first overload of ``qualname`` they fit."""
    for schema in _schemas(qualname):
        bound = _bind_schema(schema, args, kwargs)
        if bound is not None:
            return bound
    return None


def _bind_schema(schema: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any] | None:
    params = list(schema.arguments)
    positional = [p for p in params if not p.kwarg_only]
    if len(args) > len(positional):
        return None
    values: dict[str, Any] = {}
    for param, value in zip(positional, args):
        if not _fits(param.type, value):
            return None
        values[param.name] = value
    for key, value in kwargs.items():
        param = next((p for p in params if p.name == key), None)
        if param is None or key in values or not _fits(param.type, value):
            return None
        values[key] = value
    out = []
    for param in params:
        if param.name in values:
            out.append(values[param.name])
        elif param.has_default_value():
            out.append(param.default_value)
        else:
            return None
    return out


def _fits(arg_type: Any, value: Any) -> bool:
    """Whether ``value`` can be passed as an argument of jit type ``arg_type``."""
    import torch

    kind = arg_type.kind()
    if kind == "OptionalType":
        return value is None or _fits(arg_type.getElementType(), value)
    if kind == "TensorType":
        return isinstance(value, torch.Tensor)
    if isinstance(value, torch.Tensor):
        return kind in ("NumberType", "FloatType", "IntType", "SymIntType", "BoolType") and (
            value.dim() == 0
        )
    if kind == "ListType":
        elem = arg_type.getElementType().kind()
        if elem in ("TensorType", "OptionalType"):
            return isinstance(value, (list, tuple))
        return isinstance(value, (list, tuple, int, torch.Size))
    if kind == "StringType":
        return isinstance(value, str)
    if kind in ("IntType", "SymIntType"):
        return isinstance(value, int)
    if kind in ("FloatType", "NumberType"):
        return isinstance(value, (int, float, complex))
    if kind == "BoolType":
        return isinstance(value, (bool, int))
    return True


def _convolution_layout(name: str, bound: list[Any]) -> list[Any]:
    """Any convolution's arguments as ``aten::_convolution``'s 13 (``inputs[6]``: transposed)."""
    tail = [False, False, True, True]  # benchmark, deterministic, cudnn_enabled, allow_tf32
    if name in ("convolution", "_convolution"):
        return [*bound[:9], *tail]
    x, w, b, stride, padding = bound[:5]
    if name.startswith("conv_transpose"):
        output_padding, groups, dilation = bound[5:8]
        return [x, w, b, stride, padding, dilation, True, output_padding, groups, *tail]
    dilation, groups = bound[5:7]
    return [x, w, b, stride, padding, dilation, False, [0], groups, *tail]


def _python_adapters() -> dict[Any, Callable[[tuple[Any, ...], dict[str, Any]], OpCall | None]]:
    """Torch functions written in Python that a trace records as one operator."""
    global _ADAPTERS
    if _ADAPTERS is None:
        import torch
        import torch.nn.functional as F

        def adapter(
            func: Callable[..., Any], kind: str, order: Callable[[dict[str, Any]], list[Any]]
        ) -> Callable[[tuple[Any, ...], dict[str, Any]], OpCall | None]:
            signature = inspect.signature(func)

            def call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> OpCall | None:
                try:
                    bound = signature.bind(*args, **kwargs)
                except TypeError:
                    return None  # let torch raise its own error
                bound.apply_defaults()
                return OpCall(kind, order(bound.arguments))

            return call

        _ADAPTERS = {
            F.batch_norm: adapter(
                F.batch_norm,
                "aten::batch_norm",
                lambda a: [
                    *(a["input"], a["weight"], a["bias"], a["running_mean"], a["running_var"]),
                    *(a["training"], a["momentum"], a["eps"], True),
                ],
            ),
            F.instance_norm: adapter(
                F.instance_norm,
                "aten::instance_norm",
                lambda a: [
                    *(a["input"], a["weight"], a["bias"], a["running_mean"], a["running_var"]),
                    *(a["use_input_stats"], a["momentum"], a["eps"], True),
                ],
            ),
            F.layer_norm: adapter(
                F.layer_norm,
                "aten::layer_norm",
                lambda a: [
                    a["input"],
                    a["normalized_shape"],
                    a["weight"],
                    a["bias"],
                    a["eps"],
                    True,
                ],
            ),
            F.group_norm: adapter(
                F.group_norm,
                "aten::group_norm",
                lambda a: [a["input"], a["num_groups"], a["weight"], a["bias"], a["eps"], True],
            ),
            F.adaptive_avg_pool2d: adapter(
                F.adaptive_avg_pool2d,
                "aten::adaptive_avg_pool2d",
                lambda a: [a["input"], a["output_size"]],
            ),
            F.adaptive_avg_pool3d: adapter(
                F.adaptive_avg_pool3d,
                "aten::adaptive_avg_pool3d",
                lambda a: [a["input"], a["output_size"]],
            ),
            F.grid_sample: adapter(
                F.grid_sample,
                "aten::grid_sampler",
                lambda a: [a["input"], a["grid"], a["mode"], a["padding_mode"], a["align_corners"]],
            ),
            F.pad: adapter(
                F.pad, "aten::pad", lambda a: [a["input"], a["pad"], a["mode"], a["value"]]
            ),
            torch.functional.einsum: _einsum_call,
        }
    return _ADAPTERS


_ADAPTERS: dict[Any, Callable[[tuple[Any, ...], dict[str, Any]], OpCall | None]] | None = None


def _einsum_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> OpCall | None:
    """``torch.einsum(equation, *operands)``, ``(equation, [operands])`` or the sublist form."""
    if not args:
        return None
    if isinstance(args[0], str):
        single_list = len(args) == 2 and isinstance(args[1], (list, tuple))
        operands = list(args[1] if single_list else args[1:])
        return OpCall("aten::einsum", [args[0], operands, None])
    # sublist form: op0, [0, 1], op1, [1, 2], ..., [0, 2]
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    operands = list(args[0:-1:2]) if len(args) % 2 else list(args[0::2])
    sublists = list(args[1::2])
    output = args[-1] if len(args) % 2 else None
    try:
        terms = ["".join("..." if i is Ellipsis else letters[i] for i in s) for s in sublists]
        equation = ",".join(terms[: len(operands)])
        if output is not None:
            equation += "->" + "".join("..." if i is Ellipsis else letters[i] for i in output)
    except (TypeError, IndexError):
        return None
    return OpCall("aten::einsum", [equation, operands, None])


def dispatch_call(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> OpCall | None:
    """The traced name and layout of an ATen operator seen below a Python-level function.

    ``None``: an operator the trace would not show (views, aliases)."""
    schema = func._schema
    namespace, _, name = schema.name.partition("::")
    values = _dispatch_values(schema, args, kwargs)
    if namespace != "aten":
        return OpCall(schema.name, values)
    if name in _DISPATCH_HIDDEN:
        return None
    if name == "convolution":
        return OpCall("aten::_convolution", _convolution_layout("convolution", values))
    if name in _BATCH_NORMS:
        return OpCall(
            "aten::batch_norm", _batch_norm_layout(name, func.__name__.rpartition(".")[2], values)
        )
    if name == "native_layer_norm":
        x, shape, w, b, eps = values[:5]
        return OpCall("aten::layer_norm", [x, shape, w, b, eps, True])
    if name == "native_group_norm":
        x, w, b, _n, _c, _hw, groups, eps = values[:8]
        return OpCall("aten::group_norm", [x, groups, w, b, eps, True])
    if name in ("mm", "addmm"):
        return _matrix_product(name, values)
    if name.startswith("_scaled_dot_product"):
        return OpCall("aten::scaled_dot_product_attention", values[:3])
    return OpCall(f"aten::{_DISPATCH_RENAMED.get(name, name)}", values)


_DISPATCH_HIDDEN = frozenset(
    {
        "alias",
        "lift_fresh",
        "lift_fresh_copy",
        "_reshape_alias",
        "as_strided",
        "_local_scalar_dense",
    }
)
_DISPATCH_RENAMED = {
    "_softmax": "softmax",
    "_log_softmax": "log_softmax",
    "_unsafe_view": "view",
    "clone": "contiguous",  # what a decomposed reshape/linear copies with
    "_to_copy": "to",
    "max_pool1d_with_indices": "max_pool1d",
    "max_pool2d_with_indices": "max_pool2d",
    "max_pool3d_with_indices": "max_pool3d",
    "_adaptive_avg_pool2d": "adaptive_avg_pool2d",
    "_adaptive_avg_pool3d": "adaptive_avg_pool3d",
    "grid_sampler_2d": "grid_sampler",
    "grid_sampler_3d": "grid_sampler",
}
_BATCH_NORMS = frozenset(
    {
        "native_batch_norm",
        "cudnn_batch_norm",
        "miopen_batch_norm",
        "_native_batch_norm_legit",
        "_native_batch_norm_legit_no_training",
        "_batch_norm_with_update",
        "_batch_norm_no_update",
    }
)


def _dispatch_values(schema: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    values = list(args)
    for param in list(schema.arguments)[len(args) :]:
        if param.name in kwargs:
            values.append(kwargs[param.name])
        elif param.has_default_value():
            values.append(param.default_value)
        else:
            values.append(None)
    return values


def _batch_norm_layout(name: str, overload: str, v: list[Any]) -> list[Any]:
    """``aten::batch_norm``'s order: input, weight, bias, mean, var, training, momentum, eps."""
    if name == "_native_batch_norm_legit" and overload == "no_stats":
        return [v[0], v[1], v[2], None, None, v[3], v[4], v[5], True]
    if name in ("_native_batch_norm_legit_no_training", "_batch_norm_no_update"):
        return [*v[:5], False, v[5], v[6], True]
    if name == "_batch_norm_with_update":
        return [*v[:5], True, v[5], v[6], True]
    return [*v[:8], True]


def _matrix_product(name: str, values: list[Any]) -> OpCall:
    """``mm``/``addmm`` on a transposed ``nn.Parameter`` (or a block of its rows, as
    ``F.multi_head_attention_forward`` takes with ``in_proj_weight.chunk(3)``) is a
    decomposed ``linear``."""
    import torch

    mat1, mat2 = values[-2:] if name == "mm" else values[1:3]
    base = mat2._base
    if (
        isinstance(base, torch.nn.Parameter)
        and base.dim() == 2
        and mat2.dim() == 2
        and base.stride(1) == 1
        and mat2.shape[0] == base.shape[1]
        and mat2.stride() == (1, base.stride(0))
        and (name == "mm" or (values[3] == 1 and values[4] == 1))
    ):
        weight = mat2.t()  # the rows of the parameter the linear uses
        return OpCall("aten::linear", [mat1, weight, values[0] if name == "addmm" else None])
    if name == "mm":
        return OpCall("aten::matmul", [mat1, mat2])  # what a decomposed matmul multiplies with
    return OpCall("aten::addmm", values)
