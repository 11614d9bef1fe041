"""runner_core.utils offers every name of mmengine.utils.__all__ and imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys

import runner_core.utils
from runner_core.utils import dl_utils

# mmengine.utils.__all__ in MMEngine 0.10.7
MMENGINE_UTILS = {
    "is_str", "iter_cast", "list_cast", "tuple_cast", "is_seq_of", "is_list_of", "is_tuple_of",
    "slice_list", "concat_list", "check_prerequisites", "requires_package",
    "requires_executable", "is_filepath", "fopen", "check_file_exist", "mkdir_or_exist",
    "symlink", "scandir", "deprecated_api_warning", "import_modules_from_strings", "to_1tuple",
    "to_2tuple", "to_3tuple", "to_4tuple", "to_ntuple", "is_installed", "call_command",
    "get_installed_path", "install_package", "is_abs", "is_method_overridden", "has_method",
    "digit_version", "get_git_hash", "ManagerMeta", "ManagerMixin", "Timer", "check_time",
    "TimerError", "ProgressBar", "track_iter_progress", "track_parallel_progress",
    "track_progress", "deprecated_function", "apply_to", "track_progress_rich",
    "get_object_from_string",
}  # fmt: skip

# mmengine.utils.dl_utils.__all__, less load_url (runner does not download weights)
MMENGINE_DL_UTILS = {
    "TORCH_VERSION", "set_multi_processing", "has_batch_norm", "is_norm", "tensor2imgs",
    "mmcv_full_available", "collect_env", "torch_meshgrid", "is_jit_tracing", "TimeCounter",
}  # fmt: skip


def test_every_mmengine_utils_name_is_there() -> None:
    assert set(runner_core.utils.__all__) == MMENGINE_UTILS
    assert set(dl_utils.__all__) == MMENGINE_DL_UTILS
    for name in MMENGINE_UTILS:
        assert callable(getattr(runner_core.utils, name)), name


def test_dl_utils_names_are_the_functions_not_submodules() -> None:
    import runner_core.utils.dl_utils.environment  # noqa: F401  (a submodule imported first)

    for name in MMENGINE_DL_UTILS - {"TORCH_VERSION"}:
        assert callable(getattr(dl_utils, name)), name
    assert isinstance(dl_utils.TORCH_VERSION, str)


def test_importing_utils_and_dl_utils_loads_no_torch_numpy_or_rich() -> None:
    code = (
        "import sys, runner_core.utils, runner_core.utils.dl_utils;"
        "print(','.join(m for m in ('torch', 'numpy', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
