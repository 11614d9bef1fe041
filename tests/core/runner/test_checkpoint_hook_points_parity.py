"""What hooks see and change through ``before_save_checkpoint`` / ``after_load_checkpoint``.

Compared with MMEngine 0.10.7 on the same run: a checkpoint's layout (top-level
and ``meta`` keys in MMEngine's order), hook edits written / applied for
every kind of save and load, and weights loaded by hand left in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from runner_core import Runner
from runner_core.evaluator.metric import BaseMetric
from runner_core.hooks import Hook
from runner_core.model import BaseModel

#: MMEngine's top-level keys and ``meta`` keys, in its order (``versions``: its
#: ``mmengine_version``); ours that only a resume reads follow
MMENGINE_TOP = ["meta", "state_dict", "message_hub", "optimizer", "param_schedulers"]
MMENGINE_META = ["epoch", "iter", "cfg", "seed", "experiment_name", "time", "versions"]


class Pairs(torch.utils.data.Dataset):
    metainfo = {"classes": ("a", "b")}

    def __init__(self) -> None:
        self.x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": self.x[i], "labels": self.x[i].sum(0, keepdim=True)}


class Regression(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 1)

    def forward(self, inputs: Any, labels: Any, mode: str = "tensor") -> Any:
        err = ((self.lin(inputs) - labels) ** 2).mean()
        return {"loss": err} if mode == "loss" else [{"err": float(err)}]


class Err(BaseMetric):
    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.extend(data_samples)

    def compute_metrics(self, results: list[Any]) -> dict[str, float]:
        return {"err": sum(r["err"] for r in results) / len(results)}


class Editor(Hook):
    """Records what it sees, and edits the checkpoint as downstream hooks do."""

    priority = "LOWEST"

    def __init__(self, drop_optimizer: bool = False) -> None:
        self.drop_optimizer = drop_optimizer
        self.saves: list[dict[str, Any]] = []
        self.loads: list[dict[str, Any]] = []
        self.bias_at_start: float | None = None

    def before_train(self, runner: Any) -> None:
        self.bias_at_start = float(runner.model.lin.bias.detach())

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        self.saves.append({"top": list(checkpoint), "meta": list(checkpoint["meta"])})
        checkpoint["meta"]["my_key"] = "added"
        if self.drop_optimizer:
            checkpoint.pop("optimizer", None)

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        self.loads.append({"top": list(checkpoint), "meta": list(checkpoint.get("meta", {}))})
        weights = checkpoint["state_dict"]
        for key in [k for k in weights if k.startswith("old.")]:  # a renamed layer
            weights["lin." + key[len("old.") :]] = weights.pop(key)


def _runner(work_dir: Path, hook: Editor, max_epochs: int = 2, **kwargs: Any) -> Runner:
    torch.manual_seed(0)
    loader = dict(
        dataset=Pairs(),
        batch_size=4,
        sampler=dict(type="DefaultSampler", shuffle=False),
        collate_fn=dict(type="default_collate"),
    )
    return Runner(
        model=Regression(),
        work_dir=str(work_dir),
        train_dataloader=loader,
        val_dataloader=loader,
        val_evaluator=Err(),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs, val_interval=1),
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
        param_scheduler=dict(type="MultiStepLR", milestones=[1], by_epoch=True),
        default_hooks=dict(
            checkpoint=dict(type="CheckpointHook", interval=1, save_best="err", rule="less"),
            logger=dict(type="LoggerHook", interval=1, progress_bar=False),
        ),
        custom_hooks=[hook],
        randomness=dict(seed=1),
        **kwargs,
    )


def _load(path: Path) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=True)


def test_every_save_has_mmengines_layout_and_keeps_the_hooks_edits(tmp_path: Path) -> None:
    hook = Editor(drop_optimizer=True)
    runner = _runner(tmp_path / "wd", hook)
    runner.train()
    given = {"note": "release", "epoch": 99}
    runner.save_checkpoint(tmp_path, "user.pth", save_optimizer=False, meta=given)
    assert given == {"note": "release", "epoch": 99}  # the caller's dict is left as it was
    # periodic, best and last saves, then the user's: hooks see MMEngine's layout
    assert len(hook.saves) == 2 * 3 + 1  # each epoch: its file, the best, its file again
    for seen in hook.saves[:-1]:
        assert seen["top"][:5] == MMENGINE_TOP
        assert seen["meta"][:7] == MMENGINE_META
        assert seen["meta"][7:] == [
            "dataset_meta",
            "diff_rank_seed",
            "param_scheduler_types",
            "hook_types",
        ]
    # the caller's meta first, its epoch kept; the runner's entries after it
    assert hook.saves[-1]["meta"][:8] == ["note", *MMENGINE_META]
    for name in ("epoch_1.pth", "epoch_2.pth", "best_err_epoch_2.pth"):
        ckpt = _load(tmp_path / "wd" / name)  # weights_only=True
        assert ckpt["meta"]["my_key"] == "added" and "optimizer" not in ckpt
        assert ckpt["meta"]["dataset_meta"] == {"classes": ("a", "b")}
    user = _load(tmp_path / "user.pth")
    assert (user["meta"]["epoch"], user["meta"]["iter"], user["meta"]["note"]) == (99, 4, "release")
    assert user["meta"]["my_key"] == "added" and "param_schedulers" in user


def test_hooks_see_the_checkpoint_as_saved_on_each_load(tmp_path: Path) -> None:
    _runner(tmp_path / "a", Editor(), max_epochs=1).train()
    saved = _load(tmp_path / "a" / "epoch_1.pth")
    renamed = dict(
        saved, state_dict={"old." + k[4:]: v + 3 for k, v in saved["state_dict"].items()}
    )
    renamed_path = tmp_path / "renamed.pth"
    torch.save(renamed, renamed_path)
    for resume in (False, True):
        hook = Editor()
        runner = _runner(tmp_path / f"r{resume}", hook, load_from=renamed_path, resume=resume)
        runner.train()
        assert [seen["top"] for seen in hook.loads] == [list(saved)]
        extra = ["resumed_from"] if resume else []  # and no private keys
        assert hook.loads[0]["meta"] == [*saved["meta"], *extra]
        # the hook's renaming reached the model
        assert hook.bias_at_start == float(saved["state_dict"]["lin.bias"] + 3)
    hook = Editor()
    runner = _runner(tmp_path / "c", hook)
    returned = runner.load_checkpoint(renamed_path)
    assert list(returned) == list(saved) and len(hook.loads) == 1
    assert torch.equal(runner.model.lin.bias.cpu(), saved["state_dict"]["lin.bias"] + 3)


def test_weights_loaded_by_hand_are_not_replaced_by_load_from(tmp_path: Path) -> None:
    """MMEngine: ``runner.load_checkpoint(x)`` marks the weights loaded, so ``load_from``
    does not overwrite them when ``val()`` / ``train()`` starts."""
    weights = Regression().state_dict()
    for name, value in (("x.pth", 1.0), ("y.pth", 2.0)):
        torch.save(
            {"state_dict": {k: torch.full_like(v, value) for k, v in weights.items()}},
            tmp_path / name,
        )
    seen: list[float] = []

    class Watch(Editor):
        def before_val(self, runner: Any) -> None:
            seen.append(float(runner.model.lin.bias.detach()))

    runner = _runner(tmp_path / "wd", Watch(), load_from=tmp_path / "y.pth")
    runner.load_checkpoint(tmp_path / "x.pth")
    runner.val()
    assert seen == [1.0]
    hook = Watch()
    runner = _runner(tmp_path / "wd2", hook, max_epochs=1, load_from=tmp_path / "y.pth")
    runner.load_checkpoint(tmp_path / "x.pth")
    runner.train()
    assert hook.bias_at_start == 1.0


def test_a_runner_without_training_parts_saves_its_weights(tmp_path: Path) -> None:
    """Export from a val()/test()-only Runner: no training data, so no ``dataset_meta``
    (MMEngine fails on the missing train loop; we used to say the Runner cannot train)."""
    loader = dict(dataset=Pairs(), batch_size=4, collate_fn=dict(type="default_collate"))
    hook = Editor()
    runner = Runner(
        model=Regression(),
        work_dir=str(tmp_path),
        val_dataloader=loader,
        val_evaluator=Err(),
        val_cfg=dict(),
        custom_hooks=[hook],
    )
    runner.val()
    runner.save_checkpoint(tmp_path, "export.pth", save_optimizer=False)
    ckpt = _load(tmp_path / "export.pth")
    # our one addition: the class behind each hook state (the checkpoint hook's, here)
    assert list(ckpt["meta"]) == [*MMENGINE_META, "diff_rank_seed", "hook_types", "my_key"]
    assert torch.equal(ckpt["state_dict"]["lin.bias"], runner.model.lin.bias.detach().cpu())
    assert "optimizer" not in ckpt and "param_schedulers" not in ckpt
