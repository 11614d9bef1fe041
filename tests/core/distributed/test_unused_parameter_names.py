"""The unused-parameter error names parameters as DDP's reducer numbered them when it was built."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from torchrun_helpers import free_port, worker_env

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import torch.distributed as td
    from torch import nn
    from runner_core.distributed.model_wrappers import _unused_parameters_error, wrap_model
    from runner_core.model import BaseModel

    td.init_process_group("gloo", init_method="tcp://127.0.0.1:{port}", rank=0, world_size=1)

    class Net(BaseModel):
        def __init__(self):
            super().__init__()
            self.backbone, self.head = nn.Linear(3, 3), nn.Linear(3, 1)

        def forward(self, inputs, data_samples=None, mode="tensor"):
            return self.head(self.backbone(inputs))

    ddp = wrap_model(Net(), None, "cpu")
    ddp.module.backbone.requires_grad_(False)  # frozen by a hook after wrapping
    torch_error = RuntimeError(
        "Expected to have finished reduction in the prior iteration before starting a new "
        "one.\\nParameter indices which did not receive grad for rank 0: 0 1"
    )
    print(_unused_parameters_error(ddp, torch_error))
    td.destroy_process_group()
    """
)


def test_a_part_frozen_after_wrapping_is_named_by_its_reducer_index() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(port=free_port())],
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "parameter(s) backbone.weight, backbone.bias of Net" in done.stdout
