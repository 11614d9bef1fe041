"""``efficient_conv_bn_eval``: fold an eval-mode BatchNorm into the conv before it.

The config's top-level ``efficient_conv_bn_eval=['backbone']`` (MMEngine
0.10.7's key, after "Tune-Mode ConvBN Blocks For Efficient Transfer
Learning", arXiv:2305.11624) is for fine-tuning with frozen batch norm: a
BatchNorm in eval mode is an affine map, so ``bn(conv(x))`` equals one
convolution with ``w' = w * g`` and ``b' = (b - mean) * g + beta``, where
``g = gamma / sqrt(var + eps)``. One op instead of two, and the conv's
output is not kept for backward. Outputs and gradients stay equal (up to
float rounding); a BatchNorm in train mode runs as usual.

As MMEngine, each named module is traced with ``torch.fx`` to find the
pairs: a conv (``nn.Conv1d/2d/3d``, not a subclass with its own forward)
whose output goes only into a BatchNorm. The module's forward is then its
traced graph with each pair fused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

from ..errors import ConfigError
from .activation_checkpointing import find_submodules, is_checkpointed, set_forward

#: The forwards a folded conv may have: a subclass with its own computes something else.
_PLAIN_CONV_FORWARDS = (nn.Conv1d.forward, nn.Conv2d.forward, nn.Conv3d.forward)


def folded_conv_bn_params(conv: _ConvNd, bn: _BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """The conv weight and bias with the eval-mode ``bn`` folded in (autograd flows through)."""
    assert bn.running_var is not None and bn.running_mean is not None
    scale = torch.rsqrt(bn.running_var + bn.eps)
    if bn.weight is not None:
        scale = bn.weight * scale
    bias = -bn.running_mean if conv.bias is None else conv.bias - bn.running_mean
    bias = bias * scale
    if bn.bias is not None:
        bias = bias + bn.bias
    shape = (-1,) + (1,) * (conv.weight.dim() - 1)  # over the output channels
    weight = conv.weight * scale.reshape(shape).to(conv.weight.dtype)
    return weight, bias.to(conv.weight.dtype)


def conv_bn(conv: _ConvNd, bn: _BatchNorm, x: torch.Tensor) -> torch.Tensor:
    """``bn(conv(x))``, as one convolution when ``bn`` normalises with its running statistics."""
    if bn.training or bn.running_var is None or bn.running_mean is None:
        return bn(conv(x))  # batch statistics: nothing to fold
    if conv.padding_mode != "zeros" and isinstance(conv.padding, str):
        return bn(conv(x))  # 'same' padding of another mode: torch's own sizes, left unfused
    weight, bias = folded_conv_bn_params(conv, bn)
    return _convolve(conv, x, weight, bias)


_CONVOLUTIONS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _convolve(conv: _ConvNd, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> Any:
    """``conv``'s own convolution with other weights (its stride, padding, dilation, groups)."""
    convolution = _CONVOLUTIONS[weight.dim() - 2]
    padding: Any = conv.padding
    if conv.padding_mode != "zeros":  # pad first in that mode, then convolve without padding
        x = F.pad(x, [p for p in reversed(padding) for _ in range(2)], mode=conv.padding_mode)
        padding = 0
    return convolution(x, weight, bias, conv.stride, padding, conv.dilation, conv.groups)


def _is_plain_conv(module: Any) -> bool:
    return isinstance(module, nn.Module) and type(module).forward in _PLAIN_CONV_FORWARDS


def fuse_conv_bn_pairs(gm: Any) -> int:
    """Replace each conv -> BatchNorm pair of the ``torch.fx.GraphModule`` by :func:`conv_bn`.

    A pair is a plain conv called on one input whose output only a BatchNorm
    reads. Returns how many pairs were fused.
    """
    modules = dict(gm.named_modules())
    pairs = []
    for node in gm.graph.nodes:
        if node.op != "call_module" or not isinstance(modules.get(node.target), _BatchNorm):
            continue
        if len(node.args) != 1 or node.kwargs:
            continue
        src: Any = node.args[0]
        if getattr(src, "op", None) != "call_module" or not _is_plain_conv(modules.get(src.target)):
            continue
        if len(src.users) == 1 and len(src.args) == 1 and not src.kwargs:
            pairs.append((src, node))
    graph = gm.graph
    for conv_node, bn_node in pairs:
        with graph.inserting_before(bn_node):
            conv_ref = graph.get_attr(conv_node.target)
            bn_ref = graph.get_attr(bn_node.target)
            fused = graph.call_function(conv_bn, (conv_ref, bn_ref, conv_node.args[0]))
        bn_node.replace_all_uses_with(fused)
        graph.erase_node(bn_node)
        graph.erase_node(conv_node)
    graph.lint()
    gm.recompile()
    return len(pairs)


def _trace(module: nn.Module, name: str, training: bool) -> Any:
    """``module`` as a ``GraphModule`` traced in train or eval mode (its modes restored)."""
    import torch.fx as fx

    class Tracer(fx.Tracer):
        # a checkpointed sub-module stays one call, so it keeps its checkpointing
        def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
            return is_checkpointed(m) or super().is_leaf_module(m, qualname)

    modes = {m: m.training for m in module.modules()}
    module.train(training)
    try:
        tracer = Tracer()
        graph = tracer.trace(module)
    except Exception as exc:
        raise ConfigError(
            f"efficient_conv_bn_eval: torch.fx cannot trace {name!r} "
            f"({type(module).__name__}): {type(exc).__name__}: {' '.join(str(exc).split())}. "
            "Name sub-modules whose forward has no Python control flow on tensor values "
            "(a backbone, e.g. efficient_conv_bn_eval=['backbone'], not the whole model)."
        ) from exc
    finally:
        for m, mode in modes.items():
            m.training = mode
    return fx.GraphModule(module, graph, class_name=type(module).__name__)


class FusedForward:
    """A module's forward as its traced graph with the conv-BN pairs fused.

    With a second graph when the forward reads ``self.training`` outside a
    layer (``F.dropout(x, training=self.training)``): a traced graph keeps the
    mode it was traced in, so each mode runs its own. A deep copy or a pickle
    keeps the module and traces it again on its first call: the graphs refer
    to the sub-modules and tensors they were traced from, not the copy's.
    """

    def __init__(self, module: nn.Module, name: str) -> None:
        self.module = module
        self.name = name
        self.pairs = 0
        self.graphs: tuple[Any, Any] | None = None  # (train, eval); eval None: mode-independent

    def build(self) -> int:
        """Trace the module and fuse its pairs; return how many there are."""
        train_graph = _trace(self.module, self.name, True)
        eval_graph = _trace(self.module, self.name, False)
        if eval_graph.code == train_graph.code:
            eval_graph = None
        self.pairs = fuse_conv_bn_pairs(train_graph)
        if eval_graph is not None:
            fuse_conv_bn_pairs(eval_graph)
        self.graphs = (train_graph, eval_graph)
        return self.pairs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.graphs is None:
            self.build()
        assert self.graphs is not None
        train_graph, eval_graph = self.graphs
        use_eval = eval_graph is not None and not self.module.training
        return (eval_graph if use_eval else train_graph).forward(*args, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        return {"module": self.module, "name": self.name, "pairs": self.pairs, "graphs": None}


def _fused_forward(module: nn.Module) -> FusedForward | None:
    forward: Any = vars(module).get("forward")
    if is_checkpointed(module):
        forward = forward.inner
    return forward if isinstance(forward, FusedForward) else None


def _fuse_module(module: nn.Module, name: str) -> int:
    """Give ``module`` its fused forward; return how many pairs it fused (0: left alone)."""
    done = _fused_forward(module)
    if done is not None:
        return done.pairs
    fused = FusedForward(module, name)
    if fused.build():
        set_forward(module, fused)
    return fused.pairs


def turn_on_efficient_conv_bn_eval(
    model: nn.Module, modules: str | Sequence[str]
) -> dict[str, int]:
    """Fuse every conv -> eval-mode BatchNorm pair inside each named sub-module.

    ``modules`` is one dotted name or a list of them (``model.named_modules()``
    names). Returns, by name, how many pairs were found; a module with none
    keeps its forward. A second call on the same module changes nothing.
    The traced graphs refer to the sub-modules and tensors they were traced
    from: turn this on once the model is on its device and its layers are
    converted (``sync_bn``), as the Runner does.
    """
    found = find_submodules(model, modules, "efficient_conv_bn_eval")
    return {name: _fuse_module(module, name) for name, module in found.items()}


def turn_on_efficient_conv_bn_eval_for_single_model(model: nn.Module) -> int:
    """MMEngine's name: fuse the conv -> eval BatchNorm pairs of ``model`` itself.

    Returns how many pairs were fused (MMEngine returns None).
    """
    return _fuse_module(model, type(model).__name__)
