"""``runner-cli analyze CONFIG``: parameters per module, FLOPs and activation memory per sample.

What MMEngine's ``get_model_complexity_info`` reports, measured on one real
batch of the config's data (validation, else test, else training data) or
on a random input of ``--input-shape``:

* parameters per module (to ``--depth`` levels), trainable or not;
* FLOPs per sample from ``torch.utils.flop_counter.FlopCounterMode`` (torch
  counts a multiply-add as 2 FLOPs, and only matrix products, convolutions
  and attention);
* FLOPs and activations per sample as MMEngine's ``get_model_complexity_info``
  (and OpenMMLab's ``get_flops.py``, whose numbers model zoos publish) counts
  them, from :mod:`runner_core.analysis`: a multiply-add is 1 FLOP, norms,
  upsampling and pooling count too; activations are the output elements of
  convolutions and matrix products;
* an activation-memory estimate per sample: the bytes of every leaf
  module's output tensors in one forward, which is about what training
  keeps for the backward pass (torch may keep less, or more for some ops).

The model runs in ``predict`` mode (``val_step``), so a model that needs
labels for its loss still works; the batch is divided into per-sample
numbers by its batch size.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from ..arguments import add_cfg_options, add_debug
from ..output import is_terminal, print_mapping, print_table


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="count a model's parameters, FLOPs and activation memory per sample",
        description="Build the model of CONFIG and measure one forward pass: parameters per "
        "module, FLOPs per sample (torch.utils.flop_counter, and as MMEngine's "
        "get_model_complexity_info counts them) and activation memory per sample.",
    )
    parser.add_argument("config", metavar="CONFIG", help="the config file")
    parser.add_argument(
        "--input-shape",
        type=int,
        nargs="+",
        metavar="N",
        help="measure on a random input of this shape per sample (e.g. 3 224 224) instead of "
        "a batch of the config's data",
    )
    parser.add_argument(
        "--depth", type=int, default=2, help="module levels in the table (default: %(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_cfg_options(parser)
    add_debug(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..run_setup import load_config, require_file

    require_file(args.config, "config file")
    cfg = load_config(args.config, args.cfg_options)
    model = build_model(cfg)
    if args.input_shape:
        import torch

        batch: Any = {"inputs": torch.randn(1, *args.input_shape)}
        size, source = 1, f"a random input of shape {tuple(args.input_shape)}"
    else:
        batch, size, source = first_batch(cfg)
    try:
        report = analyze(model, batch, size, args.depth, raw_input=bool(args.input_shape))
    except (RuntimeError, ValueError, TypeError) as exc:
        if not args.input_shape:
            raise
        from ..errors import UsageError

        raise UsageError(
            f"The model could not run on {source} (--input-shape): {type(exc).__name__}: "
            f"{exc}. Give the shape of one sample without the batch dimension (e.g. "
            "--input-shape 3 224 224), or leave --input-shape out to use a batch of the "
            "config's data."
        ) from exc
    report["measured_on"] = source
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    rows = [
        [
            m["module"],
            m["type"],
            f"{m['params']:,}",
            f"{m['trainable']:,}",
            _flops(m["flops"]),
            _flops(m["flops_mmengine"]),
        ]
        for m in report["modules"]
    ]
    headers = ["module", "type", "params", "trainable", "FLOPs/sample", "MMEngine FLOPs/sample"]
    if not is_terminal():  # a pipe gets tab-separated rows: name the columns, as `plugins` does
        print("\t".join(headers))
    print_table(headers, rows, "model")
    summary = {
        "parameters": f"{report['params']:,} ({report['trainable']:,} trainable)",
        "parameter memory": _bytes(report["param_bytes"]),
        "FLOPs per sample": _flops(report["flops_per_sample"]),
        "FLOPs per sample (MMEngine, 1 per multiply-add)": _flops(
            report["flops_mmengine_per_sample"]
        ),
        "activations per sample (MMEngine)": _flops(report["activations_per_sample"]),
        "activation memory per sample": _bytes(report["activation_bytes_per_sample"]),
        "measured on": source,
    }
    if report["uncounted_ops"]:
        summary["operators without an MMEngine FLOP count"] = ", ".join(
            f"{op} x{n}" for op, n in report["uncounted_ops"].items()
        )
    print_mapping(summary, "summary")
    return 0


def build_model(cfg: Mapping[str, Any]) -> Any:
    """The config's model (a BaseModel; a plain nn.Module is adapted), in eval mode on CPU."""
    import torch

    from runner_core.errors import ConfigError
    from runner_core.model import ModuleAdapter, is_model
    from runner_core.registry import MODELS

    spec = cfg.get("model")
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"{getattr(cfg, 'filename', 'the config')} has no model=dict(type=...): "
            "runner-cli analyze needs one."
        )
    spec = dict(spec)
    if cfg.get("data_preprocessor") is not None and "data_preprocessor" not in spec:
        spec["data_preprocessor"] = cfg["data_preprocessor"]
    model = MODELS.build(spec, _key_path="model")
    if not is_model(model) and isinstance(model, torch.nn.Module):
        model = ModuleAdapter(model)
    return model.eval()


def first_batch(cfg: Mapping[str, Any]) -> tuple[Any, int, str]:
    """One batch of the first configured dataloader, its size and where it came from."""
    from runner_core.data import build_dataloader
    from runner_core.errors import ConfigError

    for key in ("val_dataloader", "test_dataloader", "train_dataloader"):
        spec = cfg.get(key)
        if isinstance(spec, Mapping) and spec.get("dataset") is not None:
            spec = {**dict(spec), "num_workers": 0, "persistent_workers": False}
            loader = build_dataloader(spec, seed=0, rank=0, world_size=1, key_path=key)
            batch = next(iter(loader))
            return batch, _batch_size(batch), f"one batch of {key}"
    raise ConfigError(
        f"{getattr(cfg, 'filename', 'the config')} has no dataloader to take a batch from: "
        "add val_dataloader (or train/test), or give --input-shape C H W."
    )


def _batch_size(batch: Any) -> int:
    import torch

    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0]) if batch.dim() else 1
    if isinstance(batch, Mapping):
        for value in batch.values():
            return _batch_size(value)
    if isinstance(batch, (list, tuple)) and batch:
        first = batch[0]
        if isinstance(first, (torch.Tensor, Mapping, list, tuple)):
            return _batch_size(first)
        return len(batch)
    return 1


def analyze(
    model: Any, batch: Any, size: int, depth: int = 2, raw_input: bool = False
) -> dict[str, Any]:
    """Parameters per module and, from one forward of ``batch``, FLOPs and activations.

    ``raw_input``: ``batch`` is ``{'inputs': tensor}`` for ``model(inputs, mode='tensor')``
    rather than a dataloader batch for ``val_step``."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    activation = [0]

    def count_outputs(module: Any, inputs: Any, output: Any) -> None:
        for tensor in _tensors(output):
            activation[0] += tensor.numel() * tensor.element_size()

    from runner_core.model.data_preprocessor import BaseDataPreprocessor

    # the preprocessor's output is the batch itself (labels too), not an activation
    leaves = [
        m
        for m in model.modules()
        if not list(m.children()) and not isinstance(m, BaseDataPreprocessor)
    ]
    handles = [leaf.register_forward_hook(count_outputs) for leaf in leaves]
    counter = FlopCounterMode(display=False)  # counts every module; depth is for display
    try:
        with torch.no_grad(), counter:
            _step(model, batch, raw_input)
    finally:
        for handle in handles:
            handle.remove()
    flops_by_module = {name: sum(ops.values()) for name, ops in counter.get_flop_counts().items()}
    mmengine = _mmengine_counts(model, batch, raw_input)
    root = type(model).__name__
    modules = []
    for name, module in model.named_modules():
        level = 0 if not name else name.count(".") + 1
        if level > depth:
            continue
        params = sum(p.numel() for p in module.parameters())
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        key = root if not name else f"{root}.{name}"
        modules.append(
            {
                "module": name or "(model)",
                "type": type(module).__name__,
                "params": params,
                "trainable": trainable,
                "flops": flops_by_module.get(key, 0) / size,
                "flops_mmengine": mmengine["flops"].get(f"model.{name}" if name else "model", 0)
                / size,
            }
        )
    total_flops = counter.get_total_flops()
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "param_bytes": sum(p.numel() * p.element_size() for p in model.parameters()),
        "flops_per_sample": total_flops / size,
        "flops_mmengine_per_sample": mmengine["flops"]["model"] / size,
        "activations_per_sample": mmengine["activations"] / size,
        "uncounted_ops": mmengine["unsupported"],
        "activation_bytes_per_sample": activation[0] / size,
        "batch_size": size,
        "modules": modules,
    }


def _step(model: Any, batch: Any, raw_input: bool) -> Any:
    """The forward pass analyzed: ``model(inputs, mode='tensor')`` or ``val_step(batch)``."""
    if raw_input:
        return model(batch["inputs"], mode="tensor")
    return model.val_step(batch)


def _mmengine_counts(model: Any, batch: Any, raw_input: bool) -> dict[str, Any]:
    """FLOPs per module, total activations and uncounted operators, as MMEngine counts them.

    The analyzers call a module: a wrapper running the same step as above,
    so the model's modules are named ``model.<name>``."""
    import torch

    from runner_core.analysis import ActivationAnalyzer, FlopAnalyzer

    class Step(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self) -> Any:
            return _step(self.model, batch, raw_input)

    step = Step()
    flops, activations = FlopAnalyzer(step, ()), ActivationAnalyzer(step, ())
    for analyzer in (flops, activations):  # the summary lists them instead
        analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    by_module = flops.by_module()
    activations.share_forward(flops)  # the same forward pass
    return {
        "flops": by_module,
        "activations": activations.total(),
        "unsupported": dict(flops.unsupported_ops("model")),
    }


def _tensors(value: Any) -> list[Any]:
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, Mapping):
        return [t for v in value.values() for t in _tensors(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    return []


def _flops(value: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= scale:
            return f"{value / scale:.2f} {unit}"
    return f"{value:.0f}"


def _bytes(value: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= scale:
            return f"{value / scale:.2f} {unit}"
    return f"{value:.0f} B"
