"""A resume seeds as the checkpoint's run did: its seed and its ``diff_rank_seed``."""

from __future__ import annotations

from pathlib import Path

import torch
from digits import digits_cfg

from runner_core import Config, Runner


def _cfg(work_dir: Path, max_epochs: int, resume: bool = False, **randomness: object) -> Config:
    cfg = digits_cfg(str(work_dir), train_cfg=dict(by_epoch=True, max_epochs=max_epochs))
    cfg["resume"] = resume
    cfg.update(val_dataloader=None, val_evaluator=None, val_cfg=None)
    cfg["default_hooks"] = dict(checkpoint=dict(interval=1))
    cfg["randomness"] = dict(seed=42, **randomness)
    return Config(cfg)


def test_resume_keeps_the_checkpoints_diff_rank_seed_and_says_so(tmp_path: Path) -> None:
    """Every rank's streams follow diff_rank_seed, so a resume with the other value went
    on with other augmentations on every rank but 0, without a word (QA, 2 gloo ranks);
    the checkpoint did not record it."""
    Runner.from_cfg(_cfg(tmp_path, 1, diff_rank_seed=True)).train()
    meta = torch.load(tmp_path / "epoch_1.pth", weights_only=True)["meta"]
    assert meta["seed"] == 42 and meta["diff_rank_seed"] is True
    runner = Runner.from_cfg(_cfg(tmp_path, 2, diff_rank_seed=False, resume=True))
    runner.train()
    log = next(runner.log_dir.glob("*.log")).read_text()
    assert "trained with diff_rank_seed=True; resuming with it instead of False" in log
    assert runner.randomness_cfg["diff_rank_seed"] is True
    assert "trained with seed" not in log  # the seed itself did not change
    assert torch.load(tmp_path / "epoch_2.pth", weights_only=True)["meta"]["diff_rank_seed"]


def test_resume_with_another_seed_uses_the_checkpoints(tmp_path: Path) -> None:
    Runner.from_cfg(_cfg(tmp_path, 1)).train()
    runner = Runner.from_cfg(Config({**_cfg(tmp_path, 2), "randomness": dict(seed=7)}))
    runner.resume(str(tmp_path / "epoch_1.pth"))
    runner.train()
    log = next(runner.log_dir.glob("*.log")).read_text()
    assert "trained with seed 42; resuming with it instead of 7" in log
    assert runner.seed == 42 and "diff_rank_seed=" not in log.split("Exp name")[1]


def test_rank_1_compares_the_shared_seed_and_adopts_the_flag() -> None:
    """Rank 1 of a diff_rank_seed run holds seed + 1; the checkpoint holds rank 0's seed.
    Compared as they were, every rank but 0 reseeded (with the shared seed, which
    set_random_seed gives back plus its rank) and warned of a changed seed."""
    import logging
    from types import SimpleNamespace

    from runner_core.runner.checkpoint_methods import CheckpointMethods

    class Hub:
        def update_info(self, key: str, value: object) -> None:
            pass

    def rank_1(diff_rank_seed: bool, seed: int) -> SimpleNamespace:
        return SimpleNamespace(
            seed=seed,
            rank=1,
            randomness_cfg={"seed": 42, "diff_rank_seed": diff_rank_seed},
            logger=logging.getLogger("test_rank_1"),
            message_hub=Hub(),
        )

    same = rank_1(True, 43)
    CheckpointMethods._reseed_from(same, {"meta": {"seed": 42, "diff_rank_seed": True}})
    assert same.seed == 43  # untouched: one process here would have made it 42
    flipped = rank_1(False, 42)
    CheckpointMethods._reseed_from(flipped, {"meta": {"seed": 42, "diff_rank_seed": True}})
    assert flipped.randomness_cfg["diff_rank_seed"] is True
    # no seed in the checkpoint, only the flag: reseeded with this run's shared seed
    no_seed = rank_1(False, 42)
    CheckpointMethods._reseed_from(no_seed, {"meta": {"diff_rank_seed": True}})
    assert no_seed.randomness_cfg["diff_rank_seed"] is True and no_seed.seed == 42
