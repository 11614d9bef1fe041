"""Per-module statistics of one forward pass: MMEngine's ``JitModelAnalysis`` API.

The model runs once (lazily, on the first question) and every operator is
recorded with the modules that called it (:mod:`.op_record`); the handles
then turn operators into numbers. Changing the handles re-counts the
recorded operators without running the model again.

An operator belongs to a module if it runs inside that module's ``__call__``
(not a direct ``.forward()`` call). Unlike a jit trace, operators whose
results go unused are counted too: they ran.
"""

from __future__ import annotations

import logging
import numbers
from collections import Counter
from dataclasses import dataclass
from typing import Any, TypeVar

from torch import nn

from .errors import (
    AnalysisError,
    AnalysisKeyError,
    AnalysisTypeError,
    ModuleNameTypeError,
    OpCountError,
)
from .handles import Handle
from .op_record import Recording, named_modules_with_dup, record

T = TypeVar("T", bound="ModelAnalysis")

# Operators that cost nothing worth counting (shapes, copies, integer ops): never
# reported as unsupported. MMEngine's list, so both report the same unsupported ops.
IGNORED_OPS: frozenset[str] = frozenset(
    f"aten::{name}"
    for name in (
        "Int ScalarImplicit __and__ arange bitwise_not cat chunk clamp clamp_ constant_pad_nd "
        "contiguous copy_ detach dropout empty eq expand flatten floor floor_divide full full_like "
        "gather ge gt index index_put_ masked_fill max narrow new_empty new_full new_zeros nonzero "
        "ones permute relu relu_ remainder reshape roll select size slice split split_with_sizes "
        "squeeze stack t to transpose type_as unbind unsqueeze unsqueeze_ view zeros zeros_like"
    ).split()
)

_WARNING_MODES = ("all", "no_tracer_warning", "none")
_ANCESTOR_MODES = ("owner", "caller")


@dataclass
class Statistics:
    """What one analysis found, by canonical module name."""

    counts: dict[str, Counter[str]]
    unsupported_ops: dict[str, Counter[str]]
    uncalled_mods: set[str]


class ModelAnalysis:
    """Per-module statistics of ``model(*inputs)``, from per-operator handles.

    Args:
        model: the model to analyze (``nn.DataParallel``/DDP: the wrapped model
            runs, its statistics are under both ``''`` and ``'module'``).
        inputs: what ``model`` is called with: a tuple is unpacked into
            positional arguments, anything else is the single argument. Unlike
            MMEngine's jit trace, inputs and outputs need not be tensors.

    Submodules are named as in ``model.named_modules()``; ``''`` is the whole model.
    """

    def __init__(self, model: nn.Module, inputs: Any) -> None:
        self._model = model
        self._inputs = inputs
        self._op_handles: dict[str, Handle] = {}
        self._named_modules: dict[str, nn.Module] = dict(named_modules_with_dup(model))
        self._aliases: dict[Any, str] = self._get_aliases(model)
        self._ignored_ops: set[str] = set(IGNORED_OPS)
        self._recording: Recording | None = None
        self._stats: Statistics | None = None
        self.unsupported_ops_warnings(True)
        self.uncalled_modules_warnings(True)
        self.tracer_warnings("no_tracer_warning")
        self.ancestor_mode("owner")

    # -- results -------------------------------------------------------------------------

    def total(self, module_name: str = "") -> int:
        """The statistic summed over all operators of ``module_name`` (default: the model)."""
        stats = self._analyze()
        return sum(stats.counts[self.canonical_module_name(module_name)].values())

    def by_operator(self, module_name: str = "") -> Counter[str]:
        """The statistic of ``module_name`` per operator type (named by the handle)."""
        stats = self._analyze()
        return stats.counts[self.canonical_module_name(module_name)]

    def by_module_and_operator(self) -> dict[str, Counter[str]]:
        """The statistic per module, then per operator type."""
        return self._analyze().counts

    def by_module(self) -> Counter[str]:
        """The statistic per module, summed over operators."""
        stats = self._analyze()
        summed: Counter[str] = Counter()
        for name, counts in stats.counts.items():
            summed[name] = sum(counts.values())
        return summed

    def unsupported_ops(self, module_name: str = "") -> Counter[str]:
        """How often each operator without a handle ran in ``module_name`` (ignored ops excluded).

        MMEngine raises RuntimeError before the first statistic; this runs the analysis."""
        stats = self._analyze()
        return stats.unsupported_ops[self.canonical_module_name(module_name)]

    def uncalled_modules(self) -> set[str]:
        """Submodules that ran no operator through their ``__call__``.

        Unused, called through ``.forward()`` or another method (their
        operators then count for the caller), or with nothing to compute
        (``nn.Identity``)."""
        return self._analyze().uncalled_mods

    # -- settings ------------------------------------------------------------------------

    def set_op_handle(self: T, *args: Any, **kwargs: Handle | None) -> T:
        """Add or replace operator handles; a handle of ``None`` ignores the operator.

        Pairs as positional arguments, a mapping as keyword arguments::

            analyzer.set_op_handle("aten::matmul", None, "aten::bmm", my_handle)
            analyzer.set_op_handle(**{"aten::linear": my_handle})

        A handle is ``fn(inputs, outputs) -> number | Counter`` over
        :class:`~runner_core.analysis.handles.OpValue` lists (see that module).
        """
        if len(args) % 2:
            raise AnalysisTypeError(
                f"set_op_handle got {len(args)} positional arguments: give pairs of an operator "
                "name and its handle, e.g. set_op_handle('aten::linear', handle), or keyword "
                "arguments set_op_handle(**{'aten::linear': handle})."
            )
        handles = dict(zip(args[::2], args[1::2]))
        handles.update(kwargs)
        for name, handle in handles.items():
            if handle is None:
                self._ignored_ops.add(name)
                self._op_handles.pop(name, None)
            else:
                self._op_handles[name] = handle
        self._stats = None
        return self

    def clear_op_handles(self: T) -> T:
        """Remove every handle and ignore only the default zero-cost operators."""
        self._op_handles = {}
        self._ignored_ops = set(IGNORED_OPS)
        self._stats = None
        return self

    def canonical_module_name(self, name: str) -> str:
        """The name statistics are kept under for ``name`` (a shared module has one)."""
        if not isinstance(name, str):
            raise ModuleNameTypeError(
                f"Give the module by name (a str such as 'backbone.layer1'), not "
                f"{type(name).__name__}."
            )
        try:
            return self._aliases[name]
        except KeyError:
            from ..errors import did_you_mean

            names = [n for n in self._aliases if isinstance(n, str)]
            raise AnalysisKeyError(
                f"{name!r} is not a submodule of the analyzed {type(self._model).__name__}: "
                f"use a name from model.named_modules().{did_you_mean(name, names)}"
            ) from None

    def copy(self, new_model: nn.Module | None = None, new_inputs: Any = None) -> ModelAnalysis:
        """The same settings and handles on another model and/or other inputs.

        A copy on the same model and inputs shares the operators already recorded."""
        model = self._model if new_model is None else new_model
        inputs = self._inputs if new_inputs is None else new_inputs
        other = ModelAnalysis(model, inputs)
        other._op_handles = dict(self._op_handles)
        other._ignored_ops = set(self._ignored_ops)
        if new_model is None and new_inputs is None:
            other._recording = self._recording  # the same forward pass: no need to run it again
        return (
            other.unsupported_ops_warnings(self._enable_warn_unsupported_ops)
            .uncalled_modules_warnings(self._enable_warn_uncalled_mods)
            .tracer_warnings(self._warn_trace)
            .ancestor_mode(self._ancestor_mode)
        )

    def share_forward(self: T, other: ModelAnalysis) -> T:
        """Count from the forward pass ``other`` records (running it if it has not run) instead
        of running the model again: FLOPs and activations of one pass. ``other`` analyzes the
        same model with the same inputs (not MMEngine's API; MMEngine runs the model twice)."""
        if other._model is not self._model:
            raise AnalysisError(
                f"{type(self).__name__}.share_forward: {type(other).__name__} analyzes another "
                "model; share a forward pass only between analyses of one model and its inputs."
            )
        self._recording = other._recorded()
        self._stats = None
        return self

    def tracer_warnings(self: T, mode: str) -> T:
        """Which warnings the forward pass may show: ``'all'``, ``'no_tracer_warning'``
        (default: all but ``torch.jit.TracerWarning``) or ``'none'``."""
        if mode not in _WARNING_MODES:
            raise AnalysisError(
                f"tracer_warnings: unknown mode {mode!r}; use one of {', '.join(_WARNING_MODES)}."
            )
        self._warn_trace = mode
        return self

    def ancestor_mode(self: T, mode: str) -> T:
        """Which modules an operator counts for besides the one running it.

        ``'owner'`` (default): that module and its parents by name, so a
        shared module counts under its first name only; ``'caller'``: every
        module being called at the time. Totals are the same."""
        if mode not in _ANCESTOR_MODES:
            raise AnalysisError(
                f"ancestor_mode: unknown mode {mode!r}; use 'owner' (the module's parents by "
                "name) or 'caller' (every module on the call stack)."
            )
        if getattr(self, "_ancestor_mode", mode) != mode:
            self._stats = None
        self._ancestor_mode = mode
        return self

    def unsupported_ops_warnings(self: T, enabled: bool) -> T:
        """Whether operators without a handle are logged as a warning (once per analysis)."""
        self._enable_warn_unsupported_ops = enabled
        return self

    def uncalled_modules_warnings(self: T, enabled: bool) -> T:
        """Whether submodules that ran no operator are logged as a warning."""
        self._enable_warn_uncalled_mods = enabled
        return self

    # -- analysis ------------------------------------------------------------------------

    def _get_aliases(self, model: nn.Module) -> dict[Any, str]:
        aliases: dict[Any, str] = {}
        for name, module in named_modules_with_dup(model):
            aliases.setdefault(module, name)
            aliases[name] = aliases[module]
        return aliases

    def _get_all_ancestors(self, module_name: str) -> set[str]:
        parts = self.canonical_module_name(module_name).split(".")
        return {"", *(".".join(parts[: k + 1]) for k in range(len(parts)))}

    def _recorded(self) -> Recording:
        """The recorded forward pass, run on the first call."""
        if self._recording is None:
            modules = {m: n for m, n in self._aliases.items() if isinstance(m, nn.Module)}
            self._recording = record(self._model, self._inputs, modules, self._warn_trace)
        return self._recording

    def _analyze(self) -> Statistics:
        if self._stats is not None:
            return self._stats
        recording = self._recorded()
        counts: dict[str, Counter[str]] = {}
        unsupported: dict[str, Counter[str]] = {}
        for _, module in named_modules_with_dup(self._model):
            name = self._aliases[module]
            counts[name] = Counter()
            unsupported[name] = Counter()
        caller = self._ancestor_mode == "caller"
        seen: set[str] = set()
        for scope in recording.touched:
            seen.update(scope)
            if not caller:
                seen.update(self._get_all_ancestors(scope[-1]))
        skip = 0
        for i, op in enumerate(recording.ops):
            if skip:
                skip -= 1
                continue
            handle = self._op_handles.get(op.kind)
            if op.kind.startswith("prim::PythonOp."):
                if handle is not None:
                    skip = op.inner  # the handle counts the Function: not the operators it ran
                elif any(
                    o.kind in self._op_handles for o in recording.ops[i + 1 : i + 1 + op.inner]
                ):
                    continue  # no handle: the operators its forward ran count
                else:  # none of them counts: one unsupported operator, as in MMEngine's trace,
                    skip = op.inner  # not also each operator its forward ran
            ancestors = set(op.scope) if caller else self._get_all_ancestors(op.scope[-1])
            if handle is None:
                if op.kind not in self._ignored_ops:
                    for name in ancestors:
                        unsupported[name][op.kind] += 1
                continue
            try:
                result = handle(op.inputs, op.outputs)
            except Exception as exc:
                from ..errors import add_note

                add_note(
                    exc,
                    f"(raised by the handle {getattr(handle, '__qualname__', handle)!r} of {op.kind} "
                    f"on inputs {op.inputs} and outputs {op.outputs})",
                )
                raise
            op_counts = self._as_counter(op.kind, result)
            for name in ancestors:
                counts[name] += op_counts
        stats = Statistics(counts, unsupported, set(self._aliases.values()) - seen)
        self._stats = stats
        self._warn_unsupported_ops(unsupported[""])
        self._warn_uncalled_mods(stats.uncalled_mods)
        return stats

    def _as_counter(self, kind: str, result: Any) -> Counter[str]:
        if isinstance(result, numbers.Number) and not isinstance(result, bool):
            return Counter({self._simplify_op_name(kind): result})
        if not isinstance(result, Counter):
            raise OpCountError(
                f"The handle of {kind} returned {type(result).__name__}; a handle returns a "
                "number or a collections.Counter of numbers."
            )
        for value in result.values():
            if not isinstance(value, numbers.Number) or isinstance(value, bool):
                raise OpCountError(
                    f"The handle of {kind} returned a count of type {type(value).__name__}; "
                    "counts must be int or float (use a wide type to avoid overflow)."
                )
        return result

    def _simplify_op_name(self, full_op_name: str) -> str:
        """``aten::batch_norm`` -> ``batch_norm``."""
        return full_op_name.partition("::")[2] or full_op_name

    def _warn_unsupported_ops(self, ops: Counter[str]) -> None:
        if not self._enable_warn_unsupported_ops:
            return
        from ..logging import print_log

        for op, freq in ops.items():
            print_log(
                f"Unsupported operator {op} encountered {freq} time(s)", "current", logging.WARNING
            )

    def _warn_uncalled_mods(self, uncalled: set[str]) -> None:
        if not self._enable_warn_uncalled_mods:
            return
        uncalled = {name for name in uncalled if self._has_forward(name)}
        if not uncalled:
            return
        from ..logging import print_log

        print_log(
            "The following submodules of the model were never called during the analysis: they "
            "may be unused, or called through .forward() or another method, in which case their "
            "statistics are zero and count for the module calling them instead.\n"
            + ", ".join(sorted(uncalled)),
            "current",
            logging.WARNING,
        )

    def _has_forward(self, name: str) -> bool:
        """Containers and ``nn.Identity`` are not expected to run anything."""
        module = self._named_modules.get(name)
        if module is None:
            return False
        forward = type(module).forward
        return all(
            forward is not kind.forward
            for kind in (nn.ModuleList, nn.ModuleDict, nn.Module, nn.Identity)
        )


JitModelAnalysis = ModelAnalysis  # MMEngine's name; there is no jit trace here
