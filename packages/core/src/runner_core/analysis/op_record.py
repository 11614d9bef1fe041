"""Run a model once and record every operator it calls, with the modules calling it.

This replaces MMEngine's ``torch.jit`` trace (deprecated, and limited to
tensor inputs and outputs). A ``TorchFunctionMode`` sees each torch call made
from Python and records it as one operator, as a trace would; a
``TorchDispatchMode`` records the ATen operators that run inside torch
functions written in Python (``nn.MultiheadAttention``'s
``F.multi_head_attention_forward``) or called through ``torch.ops``, which the
function mode cannot look into. Forward pre/post hooks keep the stack of
modules being called, the scope each operator is attributed to.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from .handles import OpValue
from .op_names import SKIP, OpCall, dispatch_call, function_call


class RecordedOp(NamedTuple):
    """One operator call: its name, arguments and results (shapes), and the calling modules."""

    kind: str
    inputs: list[OpValue]
    outputs: list[OpValue]
    scope: tuple[str, ...]  # canonical names of the modules being called, outermost first
    inner: int = 0  # prim::PythonOp.<Function>: how many recorded operators follow from its forward


class Recording(NamedTuple):
    ops: list[RecordedOp]
    touched: set[tuple[str, ...]]  # every module stack that made any torch call


def named_modules_with_dup(model: nn.Module, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    """``model.named_modules()``, but a module reachable under several names is yielded under each."""
    yield prefix, model
    for name, child in model._modules.items():
        if child is not None:
            yield from named_modules_with_dup(child, f"{prefix}.{name}" if prefix else name)


class _Recorder:
    def __init__(self) -> None:
        self.ops: list[RecordedOp] = []
        self.touched: set[tuple[str, ...]] = set()
        self.stack: list[str] = []
        self.inside_op = 0  # > 0 while one recorded operator runs: its insides are not recorded
        self.open_linear: RecordedOp | None = None  # a bias-less decomposed linear

    def scope(self) -> tuple[str, ...]:
        return tuple(self.stack) or ("",)

    def add(self, call: OpCall, output: Any) -> RecordedOp:
        scope = self.scope()
        self.touched.add(scope)
        outputs = output if isinstance(output, (tuple, list)) else [output]
        op = RecordedOp(
            call.kind, [OpValue.of(v) for v in call.inputs], [OpValue.of(o) for o in outputs], scope
        )
        self.ops.append(op)
        return op

    def add_decomposed(self, call: OpCall, output: Any) -> None:
        """An ATen operator; a decomposed ``linear`` takes the bias added right after it."""
        linear = self.open_linear
        if linear is not None:
            if call.kind == "aten::view":
                return
            if call.kind == "aten::add" and _is_bias(call.inputs[1]):
                linear.inputs[2] = OpValue.of(call.inputs[1])
                self.open_linear = None
                return
        op = self.add(call, output)
        bias_less = call.kind == "aten::linear" and call.inputs[2] is None
        self.open_linear = op if bias_less else None


def _is_bias(value: Any) -> bool:
    return isinstance(value, nn.Parameter) and value.dim() == 1


def _named(
    namer: Callable[[Any, tuple[Any, ...], dict[str, Any]], OpCall | None],
    func: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> OpCall | None:
    """Name a call; one the naming rules do not foresee is looked into instead of failing the
    user's forward pass (the function level) or is not recorded (the ATen level)."""
    try:
        return namer(func, args, kwargs)
    except Exception:
        return None


#: one analysis at a time swaps ``torch.autograd.Function.apply`` (see _python_ops); an
#: analysis started inside a model's forward (same thread) nests, and restores in turn
_SWAP_LOCK = threading.RLock()


@contextlib.contextmanager
def _python_ops(rec: _Recorder) -> Iterator[None]:
    """Record each ``torch.autograd.Function.apply`` as ``prim::PythonOp.<class name>`` (the name a
    jit trace gives it), followed by the operators its forward ran: a handle set for that name
    counts it instead of them; with no handle they count, and a forward none of whose
    operators counts (an extension kernel) is one unsupported operator, as in MMEngine.

    ``Function.apply`` is the process's: one analysis swaps it at a time (a lock), and
    only calls from the analysing thread are recorded."""
    function = torch.autograd.function.Function
    owner = threading.get_ident()

    def apply(cls: Any, *args: Any, **kwargs: Any) -> Any:
        if rec.inside_op or threading.get_ident() != owner:
            return original.__func__(cls, *args, **kwargs)
        at = len(rec.ops)
        scope = rec.scope()
        out = original.__func__(cls, *args, **kwargs)
        outputs = out if isinstance(out, (tuple, list)) else [out]
        marker = RecordedOp(
            f"prim::PythonOp.{cls.__name__}",
            [OpValue.of(a) for a in args],
            [OpValue.of(o) for o in outputs],
            scope,
            len(rec.ops) - at,
        )
        rec.ops.insert(at, marker)
        rec.touched.add(scope)
        return out

    with _SWAP_LOCK:
        original = function.__dict__["apply"]
        setattr(function, "apply", classmethod(apply))  # noqa: B010 - swapped back below
        try:
            yield
        finally:
            setattr(function, "apply", original)  # noqa: B010


class _FunctionLevel(TorchFunctionMode):
    """Each torch call made from Python is one operator, as a jit trace records it.

    torch turns the mode off while the call runs: the calls it makes inside are not seen
    here (the ATen level sees those of a torch function written in Python)."""

    def __init__(self, recorder: _Recorder) -> None:
        super().__init__()
        self.recorder = recorder

    def __torch_function__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        rec = self.recorder
        rec.touched.add(rec.scope())
        call = None if rec.inside_op else _named(function_call, func, args, kwargs)
        if call is None:  # the dispatch mode records what it runs
            return func(*args, **kwargs)
        rec.inside_op += 1
        try:
            out = func(*args, **kwargs)
        finally:
            rec.inside_op -= 1
        if call is not SKIP:
            rec.open_linear = None
            rec.add(call, out)
        return out


class _AtenLevel(TorchDispatchMode):
    """ATen operators that run outside a recorded torch call."""

    def __init__(self, recorder: _Recorder) -> None:
        super().__init__()
        self.recorder = recorder

    def __torch_dispatch__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        rec = self.recorder
        if not rec.inside_op and hasattr(func, "_schema"):
            call = _named(dispatch_call, func, args, kwargs)
            if call is not None:
                rec.add_decomposed(call, out)
        return out


def record(
    model: nn.Module, inputs: Any, names: dict[Any, str], warning_mode: str = "no_tracer_warning"
) -> Recording:
    """Run ``model(*inputs)`` once without gradients and record its operators.

    ``names`` maps each module to its canonical name; ``warning_mode`` is
    :meth:`tracer_warnings`'s: which warnings the forward pass may show."""
    rec = _Recorder()
    handles = []
    for module, name in names.items():  # each module once, under its canonical name

        def push(mod: nn.Module, args: Any, name: str = name) -> None:
            rec.stack.append(name)

        def pop(mod: nn.Module, args: Any, out: Any, name: str = name) -> None:
            if rec.stack and rec.stack[-1] == name:
                rec.stack.pop()

        handles.append(module.register_forward_pre_hook(push, prepend=True))
        handles.append(module.register_forward_hook(pop, always_call=True))
    target = model
    if isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
        rec.stack.append(names[model])  # run the wrapped model, as MMEngine traces it
        target = model.module
    args = inputs if isinstance(inputs, tuple) else (inputs,)
    try:
        with warnings.catch_warnings(), _python_ops(rec):
            if warning_mode == "none":
                warnings.simplefilter("ignore")
            elif warning_mode == "no_tracer_warning":
                warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            with torch.no_grad(), _AtenLevel(rec), _FunctionLevel(rec):
                target(*args)
    except Exception as exc:
        from ..errors import add_note

        add_note(
            exc,
            f"(raised while runner_core.analysis ran {type(target).__name__}(*inputs) once to "
            "count its operators: the model must run on the inputs given)",
        )
        raise
    finally:
        for handle in handles:
            handle.remove()
    return Recording(rec.ops, rec.touched)
