"""Reports of a model's complexity: MMEngine's ``get_model_complexity_info`` and its tables.

``get_model_complexity_info`` is what OpenMMLab's ``tools/analysis_tools/get_flops.py``
prints: total FLOPs/activations/parameters as numbers and short strings
(``'1.302M'``), a table per module and the model's ``repr`` annotated per
module.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ..utils.misc import is_tuple_of  # noqa: F401  (imported from here as MMEngine's module has it)
from .complexity_analysis import ActivationAnalyzer, FlopAnalyzer, parameter_count
from .errors import AnalysisError
from .model_analysis import ModelAnalysis


def format_size(x: float, sig_figs: int = 3, hide_zero: bool = False) -> str:
    """``x`` with a K/M/G/T/P suffix and ``sig_figs`` decimals at most: ``1302144`` -> ``'1.302M'``."""
    if hide_zero and x == 0:
        return ""
    for limit, scale, unit in (
        (1e14, 1e15, "P"),
        (1e11, 1e12, "T"),
        (1e8, 1e9, "G"),
        (1e5, 1e6, "M"),
        (1e2, 1e3, "K"),
    ):
        if abs(x) > limit:
            text = f"{x / scale:.{sig_figs}f}".rstrip("0").rstrip(".")
            return text + unit
    return str(x)


# MMEngine's private name, kept because OpenMMLab's get_flops.py scripts (mmdet, mmseg,
# mmyolo, mmrotate) import it: ``from mmengine.analysis.print_helper import _format_size``.
_format_size = format_size


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None
) -> str:
    """An ASCII table (rich's ``box.ASCII2``, as MMEngine prints), never wrapped to a terminal width.

    It ends with a newline, as MMEngine's tables do, so printed reports keep their spacing.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, box=box.ASCII2)
    for header in headers:
        table.add_column(header, no_wrap=True)
    for row in rows:
        table.add_row(*row)
    buffer = io.StringIO()
    Console(file=buffer, width=100_000, color_system=None, highlight=False).print(table, end="")
    lines = buffer.getvalue().splitlines()
    # the title lines keep the padding that centres them over the table, as MMEngine's do
    title_lines = next((i for i, line in enumerate(lines) if line.startswith("+")), 0)
    return "".join(
        (line if i < title_lines else line.rstrip()) + "\n" for i, line in enumerate(lines)
    )


def _quiet(analyzer: ModelAnalysis) -> None:
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    analyzer.tracer_warnings("none")


def complexity_stats_table(
    flops: FlopAnalyzer,
    max_depth: int = 3,
    activations: ActivationAnalyzer | None = None,
    show_param_shapes: bool = True,
) -> str:
    """A table of parameters, FLOPs (and activations) per module, ``max_depth`` levels deep.

    Modules with nothing to count are left out; a module whose only kept child
    has the same numbers shares its row; with ``show_param_shapes`` each
    parameter gets a row with its shape. A module that ran no operator
    (:meth:`~ModelAnalysis.uncalled_modules`) has an empty FLOPs cell."""
    params_header = "#parameters" + (" or shape" if show_param_shapes else "")
    columns = [params_header, "#flops"] + (["#activations"] if activations is not None else [])
    model = flops._model
    _quiet(flops)
    analyzers: list[tuple[str, ModelAnalysis]] = [("#flops", flops)]
    if activations is not None:
        _quiet(activations)
        analyzers.append(("#activations", activations))
    params = parameter_count(model)

    # raw numbers and children of every module, then of every parameter
    raw: dict[str, dict[str, Any]] = {}
    children: dict[str, list[str]] = {}
    for column, analyzer in analyzers:
        for name, value in analyzer.by_module().items():
            raw.setdefault(name, {})[column] = value
            children.setdefault(name, [])
    for name in raw:
        if name in params:
            raw[name] = {params_header: params[name], **raw[name]}
    param_rows: set[str] = set()
    if show_param_shapes:
        for name, param in model.named_parameters():
            owner = name.rpartition(".")[0]
            raw[name] = {params_header: param.numel()}
            param_rows.add(name)
            children.setdefault(owner, []).append(name)
            children[name] = []
    for name in list(raw):
        if name and name not in param_rows:
            children.setdefault(name.rpartition(".")[0], []).append(name)

    kept: dict[str, bool] = {}

    def keep(name: str) -> bool:
        kept_children = [keep(child) for child in children.get(name, [])]
        kept[name] = name == "" or any(v != 0 for v in raw[name].values()) or any(kept_children)
        return kept[name]

    keep("")
    shapes = {name: str(tuple(p.shape)) for name, p in model.named_parameters()}
    uncalled = {column: analyzer.uncalled_modules() for column, analyzer in analyzers}

    def shown(name: str) -> dict[str, str]:
        if name in param_rows:
            return {params_header: shapes[name]}
        cells = {column: format_size(value) for column, value in raw[name].items()}
        for column, names in uncalled.items():
            if name in names:
                cells[column] = ""
        return cells

    def merged(name: str) -> tuple[str, dict[str, str]]:
        """Follow a chain of single kept children whose numbers agree: one row for all."""
        cells = shown(name)
        while True:
            only = [c for c in children.get(name, []) if kept[c]]
            if len(only) != 1:
                return name, cells
            child = shown(only[0])
            if child.keys() != cells.keys() or any(
                a and b and a != b for a, b in ((cells[k], child[k]) for k in cells)
            ):
                return name, cells
            cells = {k: cells[k] or child[k] for k in cells}
            name = only[0]

    rows: list[list[str]] = []
    root, root_cells = merged("")
    prefix = f"{root}." if root else ""

    def add_row(name: str, cells: dict[str, str], level: int) -> None:
        indent = " " * level
        label = name[len(prefix) :] if prefix and name.startswith(prefix) else name
        rows.append(
            [indent + (label or "model")]
            + [indent + cells[c] if c in cells else "" for c in columns]
        )

    def fill(name: str, level: int) -> None:
        if level > max_depth:
            return
        for child in children.get(name, []):
            if kept[child]:
                child, cells = merged(child)
                add_row(child, cells, level)
                fill(child, level + 1)

    add_row(root, root_cells, 0)
    fill(root, 1)
    return render_table(["module", *columns], rows)


def complexity_stats_str(flops: FlopAnalyzer, activations: ActivationAnalyzer | None = None) -> str:
    """``repr(model)`` with the parameters, FLOPs (and activations) of each module written in.

    Modules with all-zero numbers get no line; a module that ran no operator
    shows ``N/A`` (its operators, if any ran through another method, count
    for its caller)."""
    model = flops._model
    _quiet(flops)
    params = parameter_count(model)
    flop_counts = flops.by_module()
    act_counts = None
    if activations is not None:
        _quiet(activations)
        act_counts = activations.by_module()
    uncalled_flops = flops.uncalled_modules()
    uncalled_acts = activations.uncalled_modules() if activations is not None else set()
    uncalled = uncalled_flops | uncalled_acts

    lines: dict[str, str] = {}
    for name, _ in model.named_modules():
        numbers = {"#params": params.get(name, 0), "#flops": flop_counts.get(name, 0)}
        if act_counts is not None:
            numbers["#acts"] = act_counts.get(name, 0)
        if name != "" and name not in uncalled and all(v == 0 for v in numbers.values()):
            continue
        cells = {k: format_size(v, sig_figs=2) for k, v in numbers.items()}
        if name in uncalled_flops:
            cells["#flops"] = "N/A"
        if name in uncalled_acts and "#acts" in cells:
            cells["#acts"] = "N/A"
        lines[name] = ", ".join(f"{k}: {v}" for k, v in cells.items())

    def indent(text: str) -> str:
        first, *rest = text.split("\n")
        return "\n".join([first, *("  " + line for line in rest)])

    def describe(module: nn.Module, name: str) -> str:
        extra = module.extra_repr().split("\n") if module.extra_repr() else []
        if name in lines:
            extra.append(lines[name])
        child_lines = [
            f"({key}): " + indent(describe(child, f"{name}.{key}" if name else key))
            for key, child in module._modules.items()
            if child is not None
        ]
        body = extra + child_lines
        if not body:
            return f"{type(module).__name__}()"
        if len(extra) == 1 and not child_lines:
            return f"{type(module).__name__}({extra[0]})"
        return f"{type(module).__name__}(\n  " + "\n  ".join(body) + "\n)"

    header = (
        "N/A indicates a possibly missing statistic due to how the module was called. "
        "Missing values are still included in the parent's total.\n"
        if uncalled
        else ""
    )
    return header + describe(model, "")


def _inputs_from_shape(model: nn.Module, input_shape: Any) -> tuple[torch.Tensor, ...]:
    """Random inputs of ``input_shape`` (one sample's shape, or one per input) with a batch of 1."""

    def is_shape(value: Any) -> bool:
        return isinstance(value, (tuple, list)) and all(
            isinstance(n, int) and not isinstance(n, bool) for n in value
        )

    device = next(model.parameters(), torch.empty(0)).device
    if is_shape(input_shape) and input_shape:
        return (torch.randn(1, *input_shape, device=device),)
    if isinstance(input_shape, (tuple, list)) and input_shape and all(map(is_shape, input_shape)):
        return tuple(torch.randn(1, *shape, device=device) for shape in input_shape)
    raise AnalysisError(
        f"input_shape={input_shape!r} is not a shape: give one sample's shape without the batch "
        "dimension as a tuple of ints, e.g. input_shape=(3, 224, 224), or one such tuple per "
        "input of forward(), e.g. input_shape=((3, 224, 224), (10,))."
    )


def get_model_complexity_info(
    model: nn.Module,
    input_shape: Sequence[int] | Sequence[Sequence[int]] | None = None,
    inputs: torch.Tensor | tuple[Any, ...] | None = None,
    show_table: bool = True,
    show_arch: bool = True,
) -> dict[str, Any]:
    """FLOPs, activations and parameters of ``model`` on ``inputs`` or a random input.

    Give ``inputs`` (what ``model`` is called with; a tuple is unpacked) or
    ``input_shape``: one sample's shape, to which a batch dimension of 1 is
    added (``(3, 224, 224)`` runs ``model(torch.randn(1, 3, 224, 224))``), or a
    tuple of such shapes for a ``forward`` taking several tensors.

    Returns a dict: ``flops``, ``activations``, ``params`` (numbers), the same
    as short strings (``flops_str``, ...), ``out_table`` (a table per module,
    :func:`complexity_stats_table`) and ``out_arch`` (the annotated ``repr``,
    :func:`complexity_stats_str`); the last two are ``''`` unless asked for.
    """
    if input_shape is None and inputs is None:
        raise AnalysisError(
            "get_model_complexity_info needs input_shape or inputs: give input_shape=(3, 224, 224) "
            "(one sample, a batch dimension of 1 is added) or inputs=(tensor, ...)."
        )
    if input_shape is not None and inputs is not None:
        raise AnalysisError(
            "get_model_complexity_info got both input_shape and inputs: give only one (inputs "
            "are used as given; input_shape builds a random input)."
        )
    if inputs is None:
        inputs = _inputs_from_shape(model, input_shape)

    flop_handler = FlopAnalyzer(model, inputs)
    flops = flop_handler.total()
    activation_handler = ActivationAnalyzer(model, inputs).share_forward(flop_handler)
    activations = activation_handler.total()
    params = parameter_count(model)[""]
    table = arch = ""
    if show_table:
        table = "\n" + complexity_stats_table(
            flops=flop_handler, activations=activation_handler, show_param_shapes=True
        )
    if show_arch:
        arch = "\n" + complexity_stats_str(flops=flop_handler, activations=activation_handler)
    return {
        "flops": flops,
        "flops_str": format_size(flops),
        "activations": activations,
        "activations_str": format_size(activations),
        "params": params,
        "params_str": format_size(params),
        "out_table": table,
        "out_arch": arch,
    }
