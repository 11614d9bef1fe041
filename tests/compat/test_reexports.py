"""Names MMEngine code imports from ``mmengine``, ``mmengine.runner``, ``.dataset``, ``.optim``,
``.evaluator`` and ``.model`` resolve from the matching ``runner_core`` module."""

from __future__ import annotations

import importlib

import pytest
import torch


def test_top_level_reexports_config_and_logging_names() -> None:
    import runner_core
    from runner_core.config import DictAction, read_base
    from runner_core.logging import HistoryBuffer, MMLogger

    assert runner_core.DictAction is DictAction
    assert runner_core.read_base is read_base
    assert runner_core.MMLogger is MMLogger
    assert runner_core.HistoryBuffer is HistoryBuffer
    assert {"DictAction", "read_base", "MMLogger", "HistoryBuffer"} <= set(runner_core.__all__)


@pytest.mark.parametrize(
    ("module", "name", "home", "home_name"),
    [
        ("runner_core.runner", "set_random_seed", "runner_core.runner.randomness", None),
        ("runner_core.runner", "autocast", "runner_core.runner.amp", None),
        ("runner_core.runner", "BaseLoop", "runner_core.loop", None),
        ("runner_core.runner", "Priority", "runner_core.hooks", None),
        ("runner_core.runner", "get_priority", "runner_core.hooks", None),
        ("runner_core.runner", "find_latest_checkpoint", "runner_core.checkpoint", None),
        ("runner_core.runner", "load_checkpoint", "runner_core.checkpoint", None),
        ("runner_core.runner", "save_checkpoint", "runner_core.checkpoint", None),
        ("runner_core.runner", "get_state_dict", "runner_core.checkpoint", None),
        ("runner_core.runner", "weights_to_cpu", "runner_core.checkpoint", None),
        ("runner_core.runner", "load_state_dict", "runner_core.checkpoint", None),
        # submodule paths OpenMMLab's tools/ scripts import from (`s/mmengine/runner_core/`)
        ("runner_core.runner.checkpoint", "load_checkpoint", "runner_core.checkpoint", None),
        ("runner_core.runner.checkpoint", "_load_checkpoint", "runner_core.checkpoint", None),
        ("runner_core.runner.checkpoint", "weights_to_cpu", "runner_core.checkpoint", None),
        ("runner_core.model.utils", "revert_sync_batchnorm", "runner_core.model", None),
        ("runner_core.model.utils", "stack_batch", "runner_core.model", None),
        ("runner_core.model.base_module", "BaseModule", "runner_core.model", None),
        ("runner_core.model.base_module", "ModuleList", "runner_core.model", None),
        ("runner_core.evaluator", "get_metric_value", "runner_core.evaluator.metric_value", None),
        ("runner_core.dataset", "worker_init_fn", "runner_core.data", None),
        ("runner_core.dataset", "COLLATE_FUNCTIONS", "runner_core.registry", "FUNCTIONS"),
        ("runner_core.data", "COLLATE_FUNCTIONS", "runner_core.registry", "FUNCTIONS"),
        ("runner_core.dataset", "DefaultSampler", "runner_core.data", None),
        ("runner_core.dataset", "InfiniteSampler", "runner_core.data", None),
        ("runner_core.dataset", "default_collate", "runner_core.data", None),
        ("runner_core.dataset", "pseudo_collate", "runner_core.data", None),
        # mmengine.dataset.utils / .sampler and mmengine.runner.activation_checkpointing
        ("runner_core.dataset.utils", "pseudo_collate", "runner_core.data", None),
        ("runner_core.dataset.utils", "default_collate", "runner_core.data", None),
        ("runner_core.dataset.utils", "worker_init_fn", "runner_core.data", None),
        ("runner_core.dataset.utils", "COLLATE_FUNCTIONS", "runner_core.registry", "FUNCTIONS"),
        ("runner_core.dataset.sampler", "DefaultSampler", "runner_core.data", None),
        ("runner_core.dataset.sampler", "InfiniteSampler", "runner_core.data", None),
        (
            "runner_core.runner.activation_checkpointing",
            "turn_on_activation_checkpointing",
            "runner_core.model.activation_checkpointing",
            None,
        ),
        # mmengine.optim.optimizer.* (mmdet's and mmseg's pure-Python configs import these)
        ("runner_core.optim.optimizer", "OptimWrapper", "runner_core.optim", None),
        ("runner_core.optim.optimizer", "build_optim_wrapper", "runner_core.optim", None),
        (
            "runner_core.optim.optimizer.optimizer_wrapper",
            "OptimWrapper",
            "runner_core.optim",
            None,
        ),
        (
            "runner_core.optim.optimizer.amp_optimizer_wrapper",
            "AmpOptimWrapper",
            "runner_core.optim",
            None,
        ),
        (
            "runner_core.optim.optimizer.optimizer_wrapper_dict",
            "OptimWrapperDict",
            "runner_core.optim",
            None,
        ),
        (
            "runner_core.optim.optimizer.default_constructor",
            "DefaultOptimWrapperConstructor",
            "runner_core.optim",
            None,
        ),
        ("runner_core.optim.optimizer.builder", "build_optim_wrapper", "runner_core.optim", None),
        # mmengine.fileio.backends, mmengine.utils.misc, mmengine.dist.dist
        ("runner_core.fileio.backends", "register_backend", "runner_core.fileio", None),
        ("runner_core.fileio.backends", "PetrelBackend", "runner_core.fileio", None),
        ("runner_core.fileio.backends", "LmdbBackend", "runner_core.fileio", None),
        ("runner_core.utils.misc", "requires_package", "runner_core.utils", None),
        ("runner_core.utils.misc", "deprecated_api_warning", "runner_core.utils", None),
        ("runner_core.distributed.dist", "sync_random_seed", "runner_core.distributed", None),
        ("runner_core.distributed.dist", "all_reduce", "runner_core.distributed", None),
        # mmengine.analysis.jit_handles / .jit_analysis
        ("runner_core.analysis.jit_handles", "Handle", "runner_core.analysis.handles", None),
        (
            "runner_core.analysis.jit_handles",
            "generic_activation_jit",
            "runner_core.analysis.handles",
            None,
        ),
        ("runner_core.analysis.jit_handles", "conv_flop_jit", "runner_core.analysis.handles", None),
        ("runner_core.analysis.jit_analysis", "JitModelAnalysis", "runner_core.analysis", None),
        ("runner_core.optim", "OPTIMIZERS", "runner_core.registry", None),
        ("runner_core.optim", "OPTIM_WRAPPER_CONSTRUCTORS", "runner_core.registry", None),
        ("runner_core.optim", "BaseOptimWrapper", "runner_core.optim.base", None),
        (
            "runner_core.model",
            "MMDistributedDataParallel",
            "runner_core.distributed.model_wrappers",
            "DistributedDataParallel",
        ),
        (
            "runner_core.model.wrappers",
            "MMDistributedDataParallel",
            "runner_core.distributed.model_wrappers",
            "DistributedDataParallel",
        ),
        (
            "runner_core.model",
            "MMFullyShardedDataParallel",
            "runner_core.distributed.mm_fsdp",
            None,
        ),
        (
            "runner_core.model.wrappers",
            "MMFullyShardedDataParallel",
            "runner_core.distributed.mm_fsdp",
            None,
        ),
        (
            "runner_core.model.wrappers",
            "is_model_wrapper",
            "runner_core.distributed.model_wrappers",
            None,
        ),
    ],
)
def test_mmengine_import_paths_give_our_objects(
    module: str, name: str, home: str, home_name: str | None
) -> None:
    mod = importlib.import_module(module)
    assert name in mod.__all__
    assert getattr(mod, name) is getattr(importlib.import_module(home), home_name or name)


def test_mmengine_runner_loops_path_gives_the_standard_loops_plugin() -> None:
    """`from mmengine.runner.loops import ValLoop` with its import changed: found through
    the plugin's entry points, as the core never imports the plugin."""
    from runner_core.registry import LOOPS
    from runner_core.runner.loops import EpochBasedTrainLoop, TestLoop, ValLoop

    assert EpochBasedTrainLoop is LOOPS.get("EpochBasedTrainLoop")
    assert (ValLoop, TestLoop) == (LOOPS.get("ValLoop"), LOOPS.get("TestLoop"))
    with pytest.raises(ImportError):
        from runner_core.runner.loops import DynamicLoop  # noqa: F401


def test_dict_action_keeps_mmengine_static_parsers() -> None:
    """mmpretrain's eval_metric.py calls DictAction._parse_iterable on each --metric item."""
    from runner_core.config import DictAction

    assert DictAction._parse_iterable("[1,(2,x)]") == [1, (2, "x")]
    assert DictAction._parse_iterable("0.5") == 0.5
    assert DictAction._parse_int_float_bool("False") is False
    assert DictAction._parse_int_float_bool("None") is None


def test_collate_functions_is_where_collate_fn_names_are_found() -> None:
    from runner_core.data import default_collate, pseudo_collate
    from runner_core.dataset import COLLATE_FUNCTIONS

    assert COLLATE_FUNCTIONS.get("pseudo_collate") is pseudo_collate
    assert COLLATE_FUNCTIONS.get("default_collate") is default_collate


def test_optim_wrapper_is_a_base_optim_wrapper() -> None:
    import torch

    from runner_core.optim import AmpOptimWrapper, BaseOptimWrapper, OptimWrapper, OptimWrapperDict

    assert issubclass(OptimWrapper, BaseOptimWrapper)
    assert issubclass(AmpOptimWrapper, BaseOptimWrapper)
    assert issubclass(OptimWrapperDict, BaseOptimWrapper)
    wrapper = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    assert isinstance(wrapper, BaseOptimWrapper)


# Names MMEngine 0.10.7's top-level package re-exports from mmengine.fileio,
# mmengine.utils and mmengine.registry that scripts use as ``mmengine.<name>``.
_TOP_LEVEL_FROM_SUBPACKAGES = {
    "runner_core.fileio": [
        "FileClient",
        "LocalBackend",
        "HardDiskBackend",
        "HTTPBackend",
        "PetrelBackend",
        "BaseStorageBackend",
        "get_file_backend",
        "register_backend",
        "register_handler",
        "BaseFileHandler",
        "JsonHandler",
        "copyfile",
        "copytree",
        "remove",
        "rmtree",
    ],
    "runner_core.utils": [
        "ManagerMeta",
        "deprecated_api_warning",
        "track_parallel_progress",
        "track_progress_rich",
        "slice_list",
        "concat_list",
        "iter_cast",
        "get_git_hash",
        "requires_package",
        "check_time",
        "is_abs",
        "get_object_from_string",
    ],
    "runner_core.registry": ["DefaultScope", "init_default_scope"],
}


@pytest.mark.parametrize(
    ("home", "name"),
    [(home, name) for home, names in _TOP_LEVEL_FROM_SUBPACKAGES.items() for name in names],
)
def test_top_level_reexports_subpackage_names(home: str, name: str) -> None:
    import runner_core

    assert name in runner_core.__all__
    assert getattr(runner_core, name) is getattr(importlib.import_module(home), name)


def test_torch_optimizers_lists_torch_optims_classes_as_mmengines() -> None:
    import torch

    from runner_core.optim.optimizer import TORCH_OPTIMIZERS
    from runner_core.registry import OPTIMIZERS

    assert {"SGD", "Adam", "AdamW"} <= set(TORCH_OPTIMIZERS)
    assert all(
        issubclass(getattr(torch.optim, name), torch.optim.Optimizer) for name in TORCH_OPTIMIZERS
    )
    assert OPTIMIZERS.get("AdamW") is torch.optim.AdamW


def test_the_private_analysis_names_analysis_scripts_import() -> None:
    """VMamba's analysis utilities import these MMEngine private names."""
    from runner_core.analysis.complexity_analysis import (
        _DEFAULT_SUPPORTED_ACT_OPS,
        _DEFAULT_SUPPORTED_FLOP_OPS,
        DEFAULT_ACTIVATION_HANDLES,
        DEFAULT_FLOP_HANDLES,
    )
    from runner_core.analysis.jit_analysis import _IGNORED_OPS
    from runner_core.analysis.model_analysis import IGNORED_OPS
    from runner_core.analysis.print_helper import is_tuple_of
    from runner_core.utils import is_tuple_of as home

    assert _DEFAULT_SUPPORTED_FLOP_OPS is DEFAULT_FLOP_HANDLES
    assert _DEFAULT_SUPPORTED_ACT_OPS is DEFAULT_ACTIVATION_HANDLES
    assert _IGNORED_OPS is IGNORED_OPS and "aten::t" in _IGNORED_OPS
    assert is_tuple_of is home


def test_names_ported_engine_extensions_reach_for_by_mmengines_paths() -> None:
    """OpenMMLab's engine code, its imports changed: ``mmengine.dist.get_dist_info()``
    (mmpretrain's PreciseBNHook), ``parrots_wrapper._BatchNorm`` (the layer-decay
    constructors), ``DATA_BATCH`` from the logger hook's module."""
    import runner_core
    from runner_core import distributed
    from runner_core.hooks.hook import DATA_BATCH
    from runner_core.utils.dl_utils import parrots_wrapper
    from runner_hooks_standard import DATA_BATCH as exported
    from runner_hooks_standard.logger import DATA_BATCH as in_logger

    assert runner_core.dist is distributed and runner_core.dist.get_dist_info() == (0, 1)
    from runner_core.dist import get_dist_info  # ported `from mmengine.dist import ...`

    assert get_dist_info is distributed.get_dist_info
    assert parrots_wrapper._BatchNorm is torch.nn.modules.batchnorm._BatchNorm
    assert issubclass(torch.nn.InstanceNorm2d, parrots_wrapper._InstanceNorm)
    assert parrots_wrapper.SyncBatchNorm is torch.nn.SyncBatchNorm
    assert exported is in_logger is DATA_BATCH
    from runner_core.loop import BaseLoop
    from runner_core.runner.base_loop import BaseLoop as at_mmengines_path

    assert at_mmengines_path is BaseLoop


def test_the_default_constructors_is_in_finds_shared_parameters() -> None:
    """mmseg's ForceDefaultOptimWrapperConstructor skips duplicates with it."""
    from runner_core.optim import DefaultOptimWrapperConstructor

    constructor = DefaultOptimWrapperConstructor(
        dict(type="OptimWrapper", optimizer=dict(type="SGD", lr=0.1))
    )
    a, b, c = (torch.nn.Parameter(torch.zeros(1)) for _ in range(3))
    groups = [{"params": [a]}, {"params": [b]}]
    assert constructor._is_in({"params": [b, c]}, groups)
    assert not constructor._is_in({"params": [c]}, groups)
