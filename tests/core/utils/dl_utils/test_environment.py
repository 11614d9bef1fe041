"""collect_env: MMEngine's keys, in its order, with runner-core's version in place of MMEngine's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from runner_core import __version__
from runner_core.utils.dl_utils import collect_env
from runner_core.utils.dl_utils import environment as collect_env_module


def test_collect_env_reports_the_machine() -> None:
    env = collect_env()
    keys = list(env)
    assert keys[:5] == [
        "sys.platform",
        "Python",
        "CUDA available",
        "MUSA available",
        "numpy_random_seed",
    ]
    assert env["sys.platform"] == sys.platform and env["Python"].startswith(sys.version.split()[0])
    assert env["CUDA available"] is torch.cuda.is_available()
    assert env["PyTorch"] == torch.__version__
    assert env["PyTorch compiling details"].startswith("PyTorch built with")
    assert isinstance(env["GCC"], str) and env["GCC"]
    assert keys[-1] == "runner-core" and env["runner-core"] == __version__
    if torch.cuda.is_available():
        assert any(k.startswith("GPU ") for k in keys) and "CUDA_HOME" in env
    else:
        assert not any(k.startswith("GPU ") for k in keys) and "CUDA_HOME" not in env


def test_gpus_are_grouped_by_name_and_nvcc_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CUDA branch, on a CPU machine: three fake GPUs of two kinds and a fake nvcc."""
    (tmp_path / "bin").mkdir()
    nvcc = tmp_path / "bin" / "nvcc"
    nvcc.write_text(
        "#!/bin/sh\necho 'nvcc: NVIDIA (R) Cuda compiler driver'\n"
        "echo 'Cuda compilation tools, release 12.4, V12.4.131'\necho 'Build cuda_12.4'\n"
    )
    nvcc.chmod(0o755)
    names = ["H200", "A100", "H200"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 3)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: names[index])
    monkeypatch.setattr(torch.version, "hip", None)
    monkeypatch.setattr(collect_env_module, "_cuda_home", lambda: str(tmp_path))
    env = collect_env()
    assert env["CUDA available"] is True
    assert env["GPU 0,2"] == "H200" and env["GPU 1"] == "A100"
    assert env["CUDA_HOME"] == str(tmp_path)
    assert env["NVCC"] == "Cuda compilation tools, release 12.4, V12.4.131"
