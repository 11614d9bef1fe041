"""Without model_wrapper_cfg the model is wrapped as MMEngine wraps it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from torchrun_helpers import free_port, worker_env

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import types
    import torch.distributed as td
    from torch import nn
    from runner_core import Config
    from runner_core.runner.building import PartsBuilding

    from runner_core.registry import MODEL_WRAPPERS

    @MODEL_WRAPPERS.register_module()
    class Unwrapped(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

    td.init_process_group("gloo", init_method="tcp://127.0.0.1:{port}", rank=0, world_size=1)

    def wrapped(cfg, wrapper_cfg=None):
        runner = types.SimpleNamespace(distributed=True, cfg=cfg, device="cpu")
        return PartsBuilding.wrap_model(runner, wrapper_cfg, nn.Linear(2, 1))

    default = wrapped(Config(dict()))
    print("default", default.broadcast_buffers, default.find_unused_parameters)
    top_level = wrapped(Config(dict(find_unused_parameters=True)))
    print("top-level", top_level.broadcast_buffers, top_level.find_unused_parameters)
    explicit = wrapped(Config(dict()), dict(type="MMDistributedDataParallel"))
    print("explicit", explicit.broadcast_buffers, explicit.find_unused_parameters)
    bn = lambda: nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    runner = types.SimpleNamespace(distributed=True, cfg=Config(dict(sync_bn="torch")), device="cpu")
    try:
        PartsBuilding.wrap_model(runner, None, bn())
    except ValueError as exc:
        print("sync_bn on cpu:", type(exc).__name__)
    runner.device = "cuda"  # the conversion happens before the wrapper: a plain one shows it
    synced = PartsBuilding.wrap_model(runner, dict(type="Unwrapped"), bn())
    print("sync_bn", type(synced.module[1]).__name__)
    td.destroy_process_group()
    """
)


def test_default_ddp_is_mmengines(tmp_path) -> None:
    script = tmp_path / "wrap.py"
    script.write_text(SCRIPT.format(port=free_port()))
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=worker_env(), timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "deprecated" not in proc.stderr  # torch 2.13 deprecates broadcast_buffers=
    assert proc.stdout.splitlines() == [
        "default False False",  # MMEngine: broadcast_buffers=False
        "top-level False True",  # the config's find_unused_parameters key
        "explicit True False",  # a model_wrapper_cfg starts from torch's defaults
        "sync_bn on cpu: ConfigError",  # torch's SyncBatchNorm refuses CPU tensors
        "sync_bn SyncBatchNorm",  # the config's sync_bn='torch', applied before wrapping
    ]
