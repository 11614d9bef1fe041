"""``collect_env``: the facts about the machine a bug report or a run log needs.

OpenMMLab projects print it from ``tools/misc/print_config.py`` and add
their own version to it (``env['MMDetection'] = ...``). The keys are
MMEngine's; where MMEngine lists its own version (``'MMEngine'``), this lists
runner-core's (``'runner-core'``).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import sysconfig
from collections import OrderedDict, defaultdict
from typing import Any

import torch

__all__ = ["collect_env"]


def _cuda_home() -> str | None:
    """Where the CUDA (or ROCm) toolkit torch builds extensions with lives."""
    if torch.version.hip is not None:
        from torch.utils.cpp_extension import ROCM_HOME

        return ROCM_HOME
    from torch.utils.cpp_extension import CUDA_HOME

    return CUDA_HOME


def _first_line(cmd: list[str], marker: str = "") -> str:
    """The output of ``cmd`` from the line starting ``marker`` (its first line if none)."""
    try:
        out = subprocess.check_output(cmd, stderr=subprocess.STDOUT).decode("utf-8").strip()
    except (OSError, subprocess.SubprocessError):
        return "Not Available"
    if marker and marker in out:
        return out[out.rfind(marker) :].partition("\n")[0].strip()
    return out.partition("\n")[0].strip()


def _compiler() -> str:
    """The C compiler Python was built with, and its version (``'n/a'`` if it is not there)."""
    cc = sysconfig.get_config_var("CC")
    if not cc:  # Windows: MSVC, not on PATH
        return "n/a"
    line = _first_line([os.path.basename(cc.split()[0]), "--version"])
    return "n/a" if line == "Not Available" else line


def collect_env() -> OrderedDict[str, Any]:
    """Platform, Python, CUDA and GPUs, compiler, torch (and its build), torchvision, OpenCV.

    Keys as MMEngine's: ``sys.platform``, ``Python``, ``CUDA available``,
    ``MUSA available``, ``numpy_random_seed``, ``GPU 0,1`` (one per device
    name), ``CUDA_HOME``, ``NVCC``, ``GCC``, ``PyTorch``, ``PyTorch compiling
    details``, ``TorchVision``, ``OpenCV`` (when installed), then ``runner-core``.
    """
    import numpy as np

    from ...__about__ import __version__

    env: OrderedDict[str, Any] = OrderedDict()
    env["sys.platform"] = sys.platform
    env["Python"] = sys.version.replace("\n", "")
    cuda_available = torch.cuda.is_available()
    env["CUDA available"] = cuda_available
    musa = getattr(torch, "musa", None)
    env["MUSA available"] = bool(musa is not None and musa.is_available())
    state: Any = np.random.get_state()  # the legacy tuple: (name, keys, ...)
    env["numpy_random_seed"] = state[1][0]
    if cuda_available:
        devices: defaultdict[str, list[str]] = defaultdict(list)
        for index in range(torch.cuda.device_count()):
            devices[torch.cuda.get_device_name(index)].append(str(index))
        for name, ids in devices.items():
            env["GPU " + ",".join(ids)] = name
        cuda_home = _cuda_home()
        env["CUDA_HOME"] = cuda_home
        if cuda_home is not None and os.path.isdir(cuda_home):
            if torch.version.hip is not None:
                env["NVCC"] = _first_line(
                    [os.path.join(cuda_home, "hip/bin/hipcc"), "--version"], "HIP version:"
                )
            else:
                env["NVCC"] = _first_line(
                    [os.path.join(cuda_home, "bin/nvcc"), "-V"], "Cuda compilation tools"
                )
    env["GCC"] = _compiler()
    env["PyTorch"] = torch.__version__
    env["PyTorch compiling details"] = torch.__config__.show()
    try:
        env["TorchVision"] = importlib.import_module("torchvision").__version__
    except ImportError:
        pass
    try:
        import cv2

        env["OpenCV"] = cv2.__version__
    except ImportError:
        pass
    env["runner-core"] = __version__
    return env
