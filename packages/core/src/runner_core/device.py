"""Which accelerator this process can use: MMEngine's ``mmengine.device``, same names.

Downstream code asks ``get_device()`` to place a model or pick an AMP device
type, and ``is_npu_available()`` / ``is_mlu_available()`` to branch on vendor
builds of torch. MMEngine decides all of it when the module is imported, by
importing every vendor extension it knows of; here nothing is imported until a
function is called, and a vendor extension only when it is installed (its
import registers the device with torch, as MMEngine's does).

The Runner itself places models on ``cuda`` when one is visible, else on the
CPU (see docs/migration-from-mmengine.md).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = [
    "get_device",
    "get_max_cuda_memory",
    "get_max_musa_memory",
    "is_cuda_available",
    "is_dipu_available",
    "is_mlu_available",
    "is_mps_available",
    "is_musa_available",
    "is_npu_available",
    "is_npu_support_full_precision",
]

# the soc version from which Ascend NPUs train in full precision (MMEngine's threshold)
_NPU_FULL_PRECISION_SOC = 220


@functools.cache
def _extension(name: str) -> object | None:
    """The vendor extension module ``name`` (``torch_npu``, ...), imported once; None if absent.

    A broken installation counts as absent, as in MMEngine: a machine without
    the vendor's driver must still train on what it has.
    """
    if importlib.util.find_spec(name) is None:
        return None
    try:
        return importlib.import_module(name)
    except Exception:
        return None


def _vendor_module(extension: str, device_type: str) -> Any:
    """``torch.<device_type>`` once the vendor ``extension`` registered it; None without it."""
    if _extension(extension) is None:
        return None
    import torch

    return getattr(torch, device_type, None)


@functools.cache
def is_npu_available() -> bool:
    """True if Ascend's ``torch_npu`` is installed and sees an NPU."""
    npu = _vendor_module("torch_npu", "npu")
    if npu is None:
        return False
    try:
        # MMEngine's switch: NPUJITCompile=1 compiles dynamic shapes on the NPU
        npu.set_compile_mode(jit_compile=bool(os.getenv("NPUJITCompile", False)))
        return bool(npu.is_available())
    except Exception:  # a broken installation counts as none
        return False


@functools.cache
def is_mlu_available() -> bool:
    """True if Cambricon's ``torch_mlu`` is installed and sees an MLU."""
    mlu = _vendor_module("torch_mlu", "mlu")
    return bool(mlu is not None and mlu.is_available())


def is_dipu_available() -> bool:
    """True if ``torch_dipu`` is installed (MMEngine asks no more of it)."""
    return _extension("torch_dipu") is not None


def is_musa_available() -> bool:
    """True if Moore Threads' ``torch_musa`` is installed (MMEngine asks no more of it)."""
    return _extension("torch_musa") is not None


def is_cuda_available() -> bool:
    """True if torch sees a CUDA (or ROCm) device."""
    import torch

    return torch.cuda.is_available()


def is_mps_available() -> bool:
    """True on Apple silicon with torch's Metal backend."""
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def is_npu_support_full_precision() -> bool:
    """True if the NPU's chip (soc version 220 or later) trains in full precision."""
    if not is_npu_available():
        return False
    utils = importlib.import_module("torch_npu.npu.utils")
    return bool(utils.get_soc_version() >= _NPU_FULL_PRECISION_SOC)


@functools.cache
def get_device() -> str:
    """The device type to use: ``'npu'``, ``'cuda'``, ``'mlu'``, ``'mps'``, ``'dipu'``,
    ``'musa'`` or ``'cpu'``, the first available in MMEngine's order.

    Decided once per process, as MMEngine decides it at import.
    """
    for device, available in (
        ("npu", is_npu_available),
        ("cuda", is_cuda_available),
        ("mlu", is_mlu_available),
        ("mps", is_mps_available),
        ("dipu", is_dipu_available),
        ("musa", is_musa_available),
    ):
        if available():
            return device
    return "cpu"


def _peak_mb(backend: str, device: torch.device | int | str | None, reset: bool) -> int:
    import torch

    module = getattr(torch, backend)
    peak = int(module.max_memory_allocated(device=device)) // (1024 * 1024)
    if reset:
        module.reset_peak_memory_stats()
    return peak


def get_max_cuda_memory(device: torch.device | int | str | None = None) -> int:
    """Peak memory held by tensors on ``device`` (default: the current GPU) in MB.

    Resets the peak afterwards, as MMEngine does: each call reports the peak
    since the previous one (the logger's ``memory`` field).
    """
    return _peak_mb("cuda", device, reset=True)


def get_max_musa_memory(device: torch.device | int | str | None = None) -> int:
    """Peak memory held by tensors on a MUSA device in MB (not reset: torch_musa cannot)."""
    return _peak_mb("musa", device, reset=False)
