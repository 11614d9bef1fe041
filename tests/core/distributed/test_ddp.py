"""DistributedDataParallel keeps the model contract: custom train_step, no_sync while accumulating."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from torchrun_helpers import worker_env

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import torch, torch.distributed as td
    from torch import nn
    from runner_core.distributed.model_wrappers import DistributedDataParallel, wrap_model
    from runner_core.errors import RunnerError
    from runner_core.model import BaseModel
    from runner_core.optim.optim_wrapper import OptimWrapper
    from runner_core.optim.optim_wrapper_dict import OptimWrapperDict

    td.init_process_group("gloo", init_method="tcp://127.0.0.1:{port}", rank=0, world_size=1)

    class Custom(BaseModel):
        def __init__(self, call_self=True):
            super().__init__()
            self.lin, self.call_self, self.forwards = nn.Linear(3, 1), call_self, 0
        def forward(self, x, mode="tensor"):
            self.forwards += 1
            return self.lin(x)
        def train_step(self, data, optim_wrapper):
            out = self(data) if self.call_self else self.lin(data)
            optim_wrapper.update_params(out.pow(2).mean())
            return {{"loss": out.detach().mean()}}

    ddp = wrap_model(Custom(), None, "cpu")
    assert type(ddp) is DistributedDataParallel
    seen = []
    orig = ddp.forward
    ddp.forward = lambda *a, **k: seen.append(1) or orig(*a, **k)
    ow = OptimWrapper(torch.optim.SGD(ddp.module.parameters(), lr=0.1))
    ddp.train_step(torch.randn(4, 3), ow)
    assert seen == [1] and ddp.module.forwards == 1, (seen, ddp.module.forwards)
    assert "forward" not in ddp.module.__dict__  # the routing is undone

    # accumulation: no_sync on the iteration that does not step
    acc = wrap_model(Custom(), {{"type": "MMDistributedDataParallel"}}, "cpu")
    ow = OptimWrapper(torch.optim.SGD(acc.module.parameters(), lr=0.1), accumulative_counts=2)
    syncs = []
    acc_forward = acc.forward
    acc.forward = lambda *a, **k: syncs.append(acc.require_backward_grad_sync) or acc_forward(*a, **k)
    acc.train_step(torch.randn(4, 3), ow)
    acc.train_step(torch.randn(4, 3), ow)
    assert syncs == [False, True], syncs

    # a GAN: one OptimWrapperDict, each self(...) inside its own wrapper's optim_context
    class GAN(BaseModel):
        def __init__(self):
            super().__init__()
            self.gen, self.disc = nn.Linear(3, 3), nn.Linear(3, 1)
        def forward(self, x, mode="tensor"):
            return self.disc(x if mode == "d" else self.gen(x))
        def train_step(self, data, optim_wrapper):
            with optim_wrapper["disc"].optim_context(self):
                ld = self(data, mode="d").pow(2).mean()
            optim_wrapper["disc"].update_params(ld)
            with optim_wrapper["gen"].optim_context(self):
                lg = self(data, mode="g").mean()
            optim_wrapper["gen"].update_params(lg)
            return {{"loss_d": ld.detach(), "loss_g": lg.detach()}}

    def gan_syncs(gen_counts, disc_counts, steps):
        gan = wrap_model(GAN(), {{"type": "MMDistributedDataParallel", "find_unused_parameters": True}}, "cpu")
        owd = OptimWrapperDict(
            gen=OptimWrapper(torch.optim.SGD(gan.module.gen.parameters(), lr=0.1), accumulative_counts=gen_counts),
            disc=OptimWrapper(torch.optim.SGD(gan.module.disc.parameters(), lr=0.1), accumulative_counts=disc_counts),
        )
        for name, wrapper in owd.items():
            wrapper.initialize_count_status(gan.module, 0, 100)
        syncs, fwd = [], gan.forward
        gan.forward = lambda *a, **k: syncs.append(gan.require_backward_grad_sync) or fwd(*a, **k)
        for _ in range(steps):
            gan.train_step(torch.randn(4, 3), owd)
        assert [w.inner_count for w in owd.values()] == [steps, steps]
        return syncs

    # one wrapper syncing is enough to reduce every gradient of the step
    assert gan_syncs(2, 1, 2) == [True] * 4, gan_syncs(2, 1, 2)
    # no wrapper updating: no all-reduce until the windows close
    assert gan_syncs(2, 2, 2) == [False, False, True, True], gan_syncs(2, 2, 2)

    bad = wrap_model(Custom(call_self=False), None, "cpu")
    try:
        bad.train_step(torch.randn(4, 3), OptimWrapper(torch.optim.SGD(bad.module.parameters(), lr=0.1)))
    except RunnerError as exc:
        assert "never called the model itself" in str(exc)
    else:
        raise AssertionError("no error for a train_step that bypasses DDP")
    try:
        wrap_model(Custom(), {{"type": "DistributedDataParallel", "find_unused_parameter": True}}, "cpu")
    except RunnerError as exc:
        assert "find_unused_parameters" in str(exc)
    else:
        raise AssertionError("no error for a misspelt key")
    td.destroy_process_group()
    print("OK")
    """
)


def test_ddp_wrapper_contract():
    from torchrun_helpers import free_port

    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(port=free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env=worker_env(),
    )
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stdout + proc.stderr
