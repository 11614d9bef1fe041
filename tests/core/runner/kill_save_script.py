"""Train with a checkpoint every iteration and die (SIGKILL) at a chosen moment of the 3rd save.

    python kill_save_script.py <work_dir> <out> <moment> <resume: 0|1>

Moments: ``none`` (no kill), ``before-replace`` (temp file complete, not yet
renamed), ``after-replace`` (``iter_3.pth`` in place, pointer not yet moved),
``before-prune`` (pointer moved, ``iter_2.pth`` not yet deleted), ``external``
(no injected kill: the parent kills the process while it writes). The model
is large enough (about 8 MB of weights and momentum per checkpoint) for a
save to take measurable time.
"""

from __future__ import annotations

import os
import signal
import sys

import torch
from torch import nn

from runner_core import Runner


class Data(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 16

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        gen = torch.Generator().manual_seed(i)
        return {"inputs": torch.randn(1024, generator=gen), "labels": torch.tensor(i % 4)}


def install_kill(moment: str) -> None:
    real_replace, real_unlink = os.replace, os.unlink

    def replace(src: str, dst: str) -> None:
        if str(dst).endswith("iter_3.pth") and moment == "before-replace":
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(src, dst)
        if str(dst).endswith("iter_3.pth") and moment == "after-replace":
            os.kill(os.getpid(), signal.SIGKILL)

    def unlink(path: str, *args: object, **kwargs: object) -> None:
        if str(path).endswith("iter_2.pth") and moment == "before-prune":
            os.kill(os.getpid(), signal.SIGKILL)
        real_unlink(path, *args, **kwargs)

    os.replace = replace  # type: ignore[assignment]
    os.unlink = unlink  # type: ignore[assignment]


def main() -> None:
    work_dir, out, moment, resume = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
    install_kill(moment)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1024, 1024), nn.Dropout(0.2), nn.Linear(1024, 4))
    runner = Runner(
        model=model,
        work_dir=work_dir,
        train_dataloader=dict(dataset=Data(), batch_size=4, shuffle=True),
        train_cfg=dict(by_epoch=False, max_iters=6),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01, momentum=0.9)),
        default_hooks_set="none",
        default_hooks=dict(
            checkpoint=dict(type="CheckpointHook", interval=1, by_epoch=False, max_keep_ckpts=1)
        ),
        resume=resume,
        randomness=dict(seed=3),
        visualizer=False,
        log_level="WARNING",
    )
    runner.train()
    torch.save(runner.unwrapped_model.state_dict(), out)


if __name__ == "__main__":
    main()
