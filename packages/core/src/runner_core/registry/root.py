"""The registries, one per kind of buildable thing, each backed by its own
entry-point group ``runner.<kind>``.

A downstream library offers a model by declaring, in its ``pyproject.toml``::

    [project.entry-points."runner.models"]
    DigitsCNN = "digits_lib.models:DigitsCNN"
"""

from __future__ import annotations

import sys
from typing import Any

from .build_functions import build_model_from_cfg, build_runner_from_cfg, build_scheduler_from_cfg
from .registry import Registry


def _torch_attr(module_name: str, base_name: str, aliases: dict[str, str] | None = None) -> Any:
    """A fallback that resolves ``Name`` to ``<module>.Name`` if it subclasses ``base``.

    ``aliases`` maps the names MMEngine registers a torch class under, where they
    differ from torch's own, to torch's name.
    """

    def fallback(key: str) -> Any:
        if not key.isidentifier():
            return None
        import importlib

        module = importlib.import_module(module_name)
        obj = getattr(module, (aliases or {}).get(key, key), None)
        base_mod, _, base_attr = base_name.rpartition(".")
        base = getattr(importlib.import_module(base_mod), base_attr)
        if isinstance(obj, type) and issubclass(obj, base) and obj is not base:
            return obj
        return None

    def names() -> list[str]:  # for did-you-mean suggestions
        import importlib

        module = importlib.import_module(module_name)
        return [n for n in [*dir(module), *(aliases or {})] if fallback(n) is not None]

    fallback.names = names  # type: ignore[attr-defined]
    return fallback


RUNNERS = Registry("runner", build_runner_from_cfg, group="runner.runners")
RUNNER_CONSTRUCTORS = Registry("runner constructor", group="runner.runner_constructors")
LOOPS = Registry("loop", group="runner.loops")
HOOKS = Registry("hook", group="runner.hooks")
DEFAULT_HOOK_SETS = Registry("default hooks set", group="runner.default_hooks")
DEFAULT_HOOK_SETS.chosen_by = "default_hooks_set"  # not type=: the config chooses a set so
MODELS = Registry(
    "model",
    build_model_from_cfg,
    group="runner.models",
    fallback=_torch_attr("torch.nn", "torch.nn.Module"),
)
WEIGHT_INITIALIZERS = Registry("weight initializer", group="runner.weight_initializers")
MODEL_WRAPPERS = Registry("model wrapper", group="runner.model_wrappers")
DATASETS = Registry("dataset", group="runner.datasets")
DATA_SAMPLERS = Registry("data sampler", group="runner.data_samplers")
TRANSFORMS = Registry("transform", group="runner.transforms")
FUNCTIONS = Registry("function", group="runner.functions")
#: optimizers MMEngine registers when their package is installed (mmengine/optim/optimizer/
#: builder.py); found before torch's, so 'Adafactor' is transformers' there as in MMEngine
_PACKAGE_OPTIMIZERS = {
    "Lion": "lion_pytorch",
    "Adafactor": "transformers",
    "DAdaptAdaGrad": "dadaptation",
    "DAdaptAdam": "dadaptation",
    "DAdaptSGD": "dadaptation",
}


def _optimizer_fallback() -> Any:
    torch_optim = _torch_attr(
        "torch.optim", "torch.optim.Optimizer", aliases={"TorchAdafactor": "Adafactor"}
    )

    def fallback(key: str) -> Any:
        import importlib
        import importlib.util

        module_name = _PACKAGE_OPTIMIZERS.get(key)
        if module_name is not None and importlib.util.find_spec(module_name) is not None:
            return getattr(importlib.import_module(module_name), key, None)
        found = torch_optim(key)
        if found is None and importlib.util.find_spec("bitsandbytes") is not None:
            # MMEngine: every bitsandbytes.optim optimizer, 'bnb_<Name>' where torch has <Name>
            bnb_optim = importlib.import_module("bitsandbytes.optim")
            found = getattr(bnb_optim, key.removeprefix("bnb_"), None)
        return found

    fallback.names = torch_optim.names  # type: ignore[attr-defined]
    return fallback


OPTIMIZERS = Registry(
    "optimizer",
    group="runner.optimizers",
    # MMEngine registers torch's Adafactor as 'TorchAdafactor' (its own name is transformers')
    fallback=_optimizer_fallback(),
)
OPTIM_WRAPPERS = Registry("optim wrapper", group="runner.optim_wrappers")
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    "optim wrapper constructor", group="runner.optim_wrapper_constructors"
)
PARAM_SCHEDULERS = Registry(
    "parameter scheduler", build_scheduler_from_cfg, group="runner.param_schedulers"
)
METRICS = Registry("metric", group="runner.metrics")
EVALUATORS = Registry("evaluator", group="runner.evaluators")
TASK_UTILS = Registry("task util", group="runner.task_utils")
VISUALIZERS = Registry("visualizer", group="runner.visualizers")
VISBACKENDS = Registry("visualization backend", group="runner.visbackends")
PLUGINS = Registry("CLI plugin", group="runner.plugins")
LOG_PROCESSORS = Registry("log processor", group="runner.log_processors")
INFERENCERS = Registry("inferencer", group="runner.inferencers")
STRATEGIES = Registry("strategy", group="runner.strategies")

# MMEngine spells this one in the singular.
EVALUATOR = EVALUATORS

ALL_REGISTRIES: dict[str, Registry] = {
    name: obj for name, obj in vars(sys.modules[__name__]).items() if isinstance(obj, Registry)
}
del ALL_REGISTRIES["EVALUATOR"]
for _var, _reg in ALL_REGISTRIES.items():
    _reg.var_name = _var
