"""``runner_core.device``: MMEngine's device queries, decided without importing vendor builds
that are not installed."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from runner_core import device


@pytest.fixture(autouse=True)
def _fresh_answers() -> Iterator[None]:
    """Each test decides afresh (the answers are cached per process)."""
    cached = (
        device._extension,
        device.is_npu_available,
        device.is_mlu_available,
        device.get_device,
    )
    for function in cached:
        function.cache_clear()
    yield
    for function in cached:
        function.cache_clear()


def test_cpu_machine_answers_as_mmengine() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert device.get_device() == expected
    assert device.is_cuda_available() is torch.cuda.is_available()
    assert device.is_npu_available() is False
    assert device.is_mlu_available() is False
    assert device.is_dipu_available() is False
    assert device.is_musa_available() is False
    assert device.is_npu_support_full_precision() is False
    assert set(device.__all__) == {
        "get_max_cuda_memory", "get_device", "is_cuda_available", "is_mlu_available",
        "is_mps_available", "is_npu_available", "is_dipu_available", "get_max_musa_memory",
        "is_musa_available", "is_npu_support_full_precision",
    }  # fmt: skip


def _fake_extension(tmp_path: Path, name: str, body: str = "") -> None:
    (tmp_path / f"{name}.py").write_text(body)


def test_installed_vendor_build_is_found_and_wins_in_mmengines_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an Ascend build registers torch.npu when imported; the NPU comes first in MMEngine's order
    _fake_extension(
        tmp_path,
        "torch_npu",
        "import torch, types\n"
        "modes = []\n"
        "torch.npu = types.SimpleNamespace(is_available=lambda: True,\n"
        "    set_compile_mode=lambda jit_compile: modes.append(jit_compile))\n",
    )
    _fake_extension(tmp_path, "torch_dipu")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(torch, "npu", None, raising=False)
    monkeypatch.setenv("NPUJITCompile", "1")
    try:
        assert device.is_dipu_available() is True
        assert device.is_npu_available() is True
        assert device.get_device() == "npu"
        assert sys.modules["torch_npu"].modes == [True]
    finally:
        sys.modules.pop("torch_npu", None)
        sys.modules.pop("torch_dipu", None)


def test_a_broken_vendor_build_counts_as_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_extension(
        tmp_path, "torch_mlu", "raise OSError('libcndrv.so: cannot open shared object')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert device.is_mlu_available() is False
    assert device.get_device() in ("cpu", "cuda")


def test_max_cuda_memory_reports_megabytes_and_resets_the_peak(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, object]] = []
    fake = types.SimpleNamespace(
        max_memory_allocated=lambda device=None: (
            calls.append(("peak", device)) or 3 * 1024 * 1024 + 5
        ),
        reset_peak_memory_stats=lambda: calls.append(("reset", None)),
    )
    monkeypatch.setattr(torch, "cuda", fake)
    assert device.get_max_cuda_memory(0) == 3
    assert calls == [("peak", 0), ("reset", None)]


def test_importing_the_module_imports_no_vendor_build_nor_torch() -> None:
    code = "import sys, runner_core.device; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
