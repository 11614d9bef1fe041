"""Model complexity: FLOPs, activations and parameters per module (MMEngine's ``analysis``).

``from mmengine.analysis import get_model_complexity_info`` becomes
``from runner_core.analysis import get_model_complexity_info``; the numbers
follow MMEngine's conventions (one multiply-add is one FLOP). The model runs
once under torch's function/dispatch modes instead of a ``torch.jit`` trace.
Names load lazily: importing this package does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

_LAZY = {
    "ActivationAnalyzer": ".complexity_analysis",
    "FlopAnalyzer": ".complexity_analysis",
    "activation_count": ".complexity_analysis",
    "flop_count": ".complexity_analysis",
    "parameter_count": ".complexity_analysis",
    "parameter_count_table": ".complexity_analysis",
    "get_model_complexity_info": ".print_helper",
    "complexity_stats_str": ".print_helper",
    "complexity_stats_table": ".print_helper",
    "JitModelAnalysis": ".model_analysis",
}

__all__ = list(_LAZY)

if TYPE_CHECKING:  # pragma: no cover
    from .complexity_analysis import ActivationAnalyzer as ActivationAnalyzer
    from .complexity_analysis import FlopAnalyzer as FlopAnalyzer
    from .complexity_analysis import activation_count as activation_count
    from .complexity_analysis import flop_count as flop_count
    from .complexity_analysis import parameter_count as parameter_count
    from .complexity_analysis import parameter_count_table as parameter_count_table
    from .model_analysis import JitModelAnalysis as JitModelAnalysis
    from .print_helper import complexity_stats_str as complexity_stats_str
    from .print_helper import complexity_stats_table as complexity_stats_table
    from .print_helper import get_model_complexity_info as get_model_complexity_info
else:
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
