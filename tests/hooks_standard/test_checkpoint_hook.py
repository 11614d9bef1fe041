"""CheckpointHook: file names, pointer, pruning, best, published copies, resume of its state, errors."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from checkpoint_runs import make_runner
from torch import nn

from runner_core import Runner
from runner_core.checkpoint import CheckpointError, read_pointer
from runner_core.errors import BuildError, ConfigError, HookError
from runner_core.hooks import Hook
from runner_core.runner import BaseLoop
from runner_core.runner.work_dir_lock import LOCK_NAME, WorkDirBusyError
from runner_hooks_standard.checkpoint import CheckpointHook, infer_rule


def names(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.pth")}


def hook_of(runner: Runner) -> CheckpointHook:
    return next(h for h in runner.hooks if isinstance(h, CheckpointHook))


def load(path: Path) -> dict[str, Any]:
    return torch.load(path, weights_only=True)  # every checkpoint is plain data + tensors


def test_unknown_argument_fails_at_construction_with_suggestion() -> None:
    from runner_core.registry import HOOKS, check_arguments

    # from a config: the registry's check names the key and suggests the argument
    with pytest.raises(
        BuildError,
        match=r"CheckpointHook got an unexpected argument 'max_keep_ckpt' "
        r"\(at 'default_hooks.checkpoint.max_keep_ckpt'\).*max_keep_ckpts",
    ):
        HOOKS.build(
            {"type": "CheckpointHook", "interval": 1, "max_keep_ckpt": 2},
            _key_path="default_hooks.checkpoint",
        )
    # a named signature (no **kwargs), so `runner-cli config check` finds the typo too
    with pytest.raises(BuildError, match="intervall"):
        check_arguments(CheckpointHook, {"intervall": 2})
    with pytest.raises(TypeError, match="max_keep_ckpt"):
        CheckpointHook(interval=1, max_keep_ckpt=2)  # type: ignore[call-arg]
    with pytest.raises(HookError, match="backend_args"):
        CheckpointHook(backend_args={"backend": "petrel"})
    with pytest.raises(HookError, match="rule='greater' or rule='less'"):
        CheckpointHook(save_best="f1_score")
    with pytest.raises(HookError, match="'greater' or 'less'.*Did you mean 'greater'"):
        CheckpointHook(save_best="acc", rule="greatr")


def test_rule_inference_follows_mmengine() -> None:
    g, less = (
        ["acc", "top", "AR@", "auc", "precision", "mAP", "mDice", "mIoU", "mAcc", "aAcc"],
        ["loss"],
    )
    assert infer_rule("accuracy/top1", g, less) == "greater"
    assert infer_rule("coco/bbox_mAP", g, less) == "greater"
    assert infer_rule("val_loss", g, less) == "less"
    assert infer_rule("f1", g, less) is None


def test_epoch_checkpoints_pointer_and_contents(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, interval=1)
    runner.train()
    assert names(tmp_path) == {"epoch_1.pth", "epoch_2.pth", "epoch_3.pth"}
    assert read_pointer(tmp_path) == (tmp_path / "epoch_3.pth").absolute()
    ckpt = load(tmp_path / "epoch_2.pth")
    assert ckpt["meta"]["epoch"] == 2 and ckpt["meta"]["iter"] == 4
    assert {"torch", "runner-core", "runner-hooks-standard"} <= set(ckpt["meta"]["versions"])
    assert {"state_dict", "optimizer", "message_hub", "rng", "loop", "hooks"} <= set(ckpt)
    assert ckpt["loop"] == {
        "epoch": 2,
        "iter": 4,
        "batch_in_epoch": 0,
        "samples_in_epoch": 0,
        "world_size": 1,
    }
    # how the loader seeded its batches (a resume that seeds otherwise says so)
    assert ckpt["batch_seeding"] == {"num_workers": 0, "per_batch": True}
    assert ckpt["hooks"]["checkpoint"]["last_ckpt"] == "epoch_2.pth"  # relative to the work dir


def test_iteration_checkpoints_in_epoch_loop_and_max_keep(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, interval=2, by_epoch=False, max_keep_ckpts=2)
    runner.train()  # 6 iterations
    assert names(tmp_path) == {"iter_4.pth", "iter_6.pth"}
    assert read_pointer(tmp_path) == (tmp_path / "iter_6.pth").absolute()
    kept = load(tmp_path / "iter_6.pth")["hooks"]["checkpoint"]["kept_ckpts"]
    assert [Path(p).name for p in kept] == ["iter_4.pth", "iter_6.pth"]
    assert load(tmp_path / "iter_4.pth")["loop"]["batch_in_epoch"] == 2


def test_interval_minus_one_saves_only_the_last(tmp_path: Path) -> None:
    make_runner(tmp_path).train()
    assert names(tmp_path) == {"epoch_3.pth"}
    make_runner(tmp_path / "none", save_last=False).train()
    assert names(tmp_path / "none") == set()


def test_a_run_stopped_before_its_first_iteration_saves_nothing(tmp_path: Path) -> None:
    class StopAtOnce(Hook):
        def before_train(self, runner: Runner) -> None:
            runner.train_loop.stop_training = True

    make_runner(tmp_path, custom_hooks=[StopAtOnce()]).train()
    assert names(tmp_path) == set()  # MMEngine saves nothing either (no epoch_0.pth)
    assert read_pointer(tmp_path) is None


def test_out_dir_and_filename_tmpl(tmp_path: Path) -> None:
    work = tmp_path / "exp1"
    make_runner(
        work, interval=2, out_dir=str(tmp_path / "store"), filename_tmpl="ckpt_{}.pth"
    ).train()
    assert names(tmp_path / "store" / "exp1") == {"ckpt_2.pth", "ckpt_3.pth"}
    assert read_pointer(work) == (tmp_path / "store" / "exp1" / "ckpt_3.pth").absolute()


def test_an_out_dir_that_cannot_be_made_is_named_before_training(tmp_path: Path) -> None:
    """A bare NotADirectoryError from mkdir named neither out_dir nor the hook."""
    from runner_core.checkpoint import CheckpointWriteError

    (tmp_path / "a_file").write_text("x")
    runner = make_runner(tmp_path / "exp1", out_dir=str(tmp_path / "a_file"))
    with pytest.raises(CheckpointWriteError, match=r"checkpoint folder .*a_file.*out_dir=") as exc:
        runner.train()
    assert isinstance(exc.value, OSError) and runner.iter == 0


def test_filename_tmpl_takes_format_specs_and_prunes_and_resumes(tmp_path: Path) -> None:
    make_runner(tmp_path, interval=1, filename_tmpl="epoch_{:03d}.pth", max_keep_ckpts=2).train()
    assert names(tmp_path) == {"epoch_002.pth", "epoch_003.pth"}
    runner = make_runner(
        tmp_path, max_epochs=4, interval=1, filename_tmpl="epoch_{:03d}.pth", resume=True
    )
    runner.train()
    assert runner.iter == 8 and load(tmp_path / "epoch_004.pth")["meta"]["epoch"] == 4
    make_runner(tmp_path / "positional", interval=3, filename_tmpl="ckpt_{0}.pth").train()
    assert names(tmp_path / "positional") == {"ckpt_3.pth"}


@pytest.mark.parametrize(
    ("tmpl", "fault"), [("ckpt.pth", "no '{}' field"), ("ckpt_{name}.pth", "KeyError")]
)
def test_filename_tmpl_without_one_number_field_is_refused(tmpl: str, fault: str) -> None:
    with pytest.raises(HookError, match=re.escape(fault)):
        CheckpointHook(filename_tmpl=tmpl)


def test_out_dir_in_use_by_another_run_is_refused_untouched(tmp_path: Path) -> None:
    """Two runs whose work dirs share a name would share out_dir/<name>."""
    shared = tmp_path / "store" / "exp1"
    shared.mkdir(parents=True)
    other = {"pid": os.getppid(), "host": socket.gethostname(), "started": "earlier"}
    (shared / LOCK_NAME).write_text(json.dumps(other))
    in_flight = shared / ".epoch_4.pth.tmp-1-abcd"  # the other run's save being written
    in_flight.write_bytes(b"partial")
    runner = make_runner(tmp_path / "a" / "exp1", out_dir=str(tmp_path / "store"))
    with pytest.raises(WorkDirBusyError, match=f"pid {os.getppid()}") as caught:
        runner.train()
    assert isinstance(caught.value, ConfigError)
    assert "'exp1'" in str(caught.value) and "another out_dir" in str(caught.value)
    assert in_flight.read_bytes() == b"partial"
    assert sorted(p.name for p in shared.iterdir()) == [in_flight.name, LOCK_NAME]


class _OutDirLockSeen(Hook):
    """Reads out_dir's lock at every epoch; raises in epoch ``fail_at`` (1-based)."""

    def __init__(self, lock: Path, fail_at: int = 0) -> None:
        self.lock, self.fail_at = lock, fail_at
        self.pids: list[int | None] = []

    def after_train_epoch(self, runner) -> None:
        self.pids.append(json.loads(self.lock.read_text())["pid"] if self.lock.exists() else None)
        if runner.epoch + 1 == self.fail_at:
            raise RuntimeError("boom")


def test_out_dir_lock_is_held_during_the_call_and_released_after_it(tmp_path: Path) -> None:
    """As the work dir's: another run may use out_dir once train() ended, also by an error."""
    lock = tmp_path / "store" / "exp1" / LOCK_NAME
    failing = _OutDirLockSeen(lock, fail_at=1)
    runner = make_runner(
        tmp_path / "a" / "exp1", out_dir=str(tmp_path / "store"), custom_hooks=[failing]
    )
    with pytest.raises(RuntimeError, match="boom"):
        runner.train()
    assert failing.pids == [os.getpid()] and not lock.exists()
    seen = _OutDirLockSeen(lock)
    make_runner(
        tmp_path / "b" / "exp1", out_dir=str(tmp_path / "store"), custom_hooks=[seen]
    ).train()
    assert seen.pids == [os.getpid()] * 3 and not lock.exists()
    assert "epoch_3.pth" in names(tmp_path / "store" / "exp1")


def test_save_best_keeps_one_resumable_file(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, interval=1, save_best="acc", scores=[0.5, 0.9, 0.7])
    runner.train()
    best = [n for n in names(tmp_path) if n.startswith("best_")]
    assert best == ["best_acc_epoch_2.pth"]
    ckpt = load(tmp_path / "best_acc_epoch_2.pth")
    assert "optimizer" in ckpt and ckpt["meta"]["epoch"] == 2  # resumable, unlike MMEngine's
    assert ckpt["hooks"]["checkpoint"]["best_score"] == {"acc": 0.9}
    info = ckpt["message_hub"]["runtime_info"]  # the best file names itself, as MMEngine's
    assert (info["best_score"], info["best_ckpt"]) == (0.9, "best_acc_epoch_2.pth")
    # validation after epoch 3 did not improve; epoch 2's validation did and was written
    # back into epoch_2.pth so resuming from it remembers the best score
    assert load(tmp_path / "epoch_2.pth")["hooks"]["checkpoint"]["best_score"] == {"acc": 0.9}
    assert read_pointer(tmp_path) == (tmp_path / "epoch_3.pth").absolute()


def test_a_run_that_kept_only_its_best_checkpoint_resumes_from_it(tmp_path: Path) -> None:
    """interval=-1 with save_best writes no last_checkpoint: resume=True started over
    ("Nothing to resume") and the new run's best replaced the only checkpoint there."""
    best = dict(interval=-1, save_last=False, save_best="acc")
    make_runner(tmp_path, max_epochs=2, scores=[0.5, 0.9], **best).train()
    assert names(tmp_path) == {"best_acc_epoch_2.pth"} and read_pointer(tmp_path) is None
    runner = make_runner(tmp_path, max_epochs=3, scores=[0.7], resume=True, **best)
    runner.train()  # one validation: epoch 3's
    assert runner.epoch == 3
    assert names(tmp_path) == {"best_acc_epoch_2.pth"}  # 0.7 is no better than 0.9


def test_damaged_epoch_checkpoints_are_not_passed_over_for_a_best_one(tmp_path: Path) -> None:
    """The best file is the fallback of a run that kept nothing else, not a way around the
    refusal to start over (and overwrite) a work dir whose checkpoints are all damaged."""
    make_runner(tmp_path, max_epochs=2, scores=[0.9, 0.5], interval=1, save_best="acc").train()
    for name in ("epoch_1.pth", "epoch_2.pth"):
        (tmp_path / name).write_bytes((tmp_path / name).read_bytes()[:100])
    with pytest.raises(CheckpointError, match="none of the 2 checkpoint"):
        make_runner(
            tmp_path, max_epochs=3, scores=[0.7], interval=1, save_best="acc", resume=True
        ).train()


def test_save_best_less_rule_and_auto(tmp_path: Path) -> None:
    make_runner(
        tmp_path / "a", save_best="val/loss", key="val/loss", scores=[3.0, 1.0, 2.0]
    ).train()
    assert {n for n in names(tmp_path / "a") if n.startswith("best")} == {
        "best_val_loss_epoch_2.pth"
    }
    make_runner(tmp_path / "b", save_best="auto", key="mAP", scores=[0.1, 0.2, 0.3]).train()
    assert {n for n in names(tmp_path / "b") if n.startswith("best")} == {"best_mAP_epoch_3.pth"}


def test_a_nan_score_is_never_the_best(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A NaN first score stayed best for good (nothing compares greater than NaN), and an
    all-NaN metric saved a best file at every validation; MMEngine starts from -inf."""
    nan = float("nan")
    make_runner(tmp_path / "a", save_best="acc", scores=[nan, 0.5, 0.6]).train()
    assert {n for n in names(tmp_path / "a") if n.startswith("best")} == {"best_acc_epoch_3.pth"}
    # a NaN best an older release saved (resumed into the hook) no longer blocks a best
    runner = make_runner(tmp_path / "c", save_best="acc", scores=[0.4, 0.5, 0.6])
    hook_of(runner).best_score["acc"] = nan
    runner.train()
    assert {n for n in names(tmp_path / "c") if n.startswith("best")} == {"best_acc_epoch_3.pth"}
    capsys.readouterr()
    make_runner(tmp_path / "b", save_best="acc", scores=[nan, nan, nan]).train()
    assert not any(n.startswith("best") for n in names(tmp_path / "b"))
    out = capsys.readouterr().out
    assert "save_best='acc'): the score is NaN" in out
    assert "validation updated the best score" not in out  # nothing re-saved


def test_a_best_key_naming_both_kinds_warns_of_the_rule_it_gets() -> None:
    """'accuracy/loss' (a loss an Accuracy-like metric reports) is ranked greater because
    of 'acc', as in MMEngine: silently, the epoch with the worst loss was kept."""
    from runner_hooks_standard import CheckpointHook

    with pytest.warns(UserWarning, match=r"'accuracy/loss'\) ranks a higher value as better"):
        hook = CheckpointHook(save_best="accuracy/loss")
    assert hook.rules == ["greater"]
    from runner_core.registry import HOOKS

    with pytest.warns(UserWarning, match="ranks a higher value") as built:
        HOOKS.build(dict(type="CheckpointHook", save_best="accuracy/loss"))
    assert built[0].filename == __file__  # the line that built it, also from a config
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CheckpointHook(save_best="accuracy/loss", rule="less")
        CheckpointHook(save_best="accuracy/top1")


def test_save_best_unknown_metric_is_a_clear_error(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, save_best="accuracy", scores=[0.5, 0.9, 0.7], key="acc")
    with pytest.raises(HookError, match=r"no key 'accuracy'.*Metrics: \['acc', 'other'\]") as info:
        runner.train()
    assert isinstance(info.value, KeyError)  # MMEngine's metrics[key]
    # the short name of a prefixed metric: 'top1' for 'accuracy/top1'
    short = make_runner(tmp_path / "b", save_best="top1", scores=[0.5], key="accuracy/top1")
    with pytest.raises(HookError, match=r"no key 'top1'\. Did you mean 'accuracy/top1'\?"):
        short.train()


def test_save_best_on_a_metric_that_is_no_number_names_it(tmp_path: Path) -> None:
    """A per-class list failed inside float() with nothing naming the metric."""
    runner = make_runner(tmp_path, save_best="acc", scores=[[0.1, 0.2]])
    with pytest.raises(HookError, match=r"save_best='acc'.*\[0\.1, 0\.2\] is not a number"):
        runner.train()


def test_bad_arguments_are_the_classes_mmengine_raises() -> None:
    with pytest.raises(HookError, match="interval must be a positive int") as info:
        CheckpointHook(interval="1")
    assert isinstance(info.value, TypeError)  # MMEngine: '1' > 0
    with pytest.raises(HookError, match="interval must be a positive int") as info:
        CheckpointHook(interval=0)
    assert not isinstance(info.value, TypeError)
    with pytest.raises(HookError, match="must be 'greater' or 'less'. Did you mean 'less'") as info:
        CheckpointHook(save_best="loss", rule="lesser")
    assert isinstance(info.value, KeyError)  # MMEngine's rule check
    with pytest.raises(HookError, match="give one rule per key") as info:
        CheckpointHook(save_best=["acc", "loss", "f1"], rule=["greater", "less"])
    assert isinstance(info.value, AssertionError)
    with pytest.raises(HookError, match=r"names 'acc' twice.*name each metric once") as info:
        CheckpointHook(save_best=["acc", "loss", "acc"])  # MMEngine asserts
    assert isinstance(info.value, AssertionError)


def test_a_one_item_rule_list_applies_to_every_key() -> None:
    """MMEngine takes a rule list of one for several keys; it was refused here."""
    hook = CheckpointHook(save_best=["accuracy/top1", "loss"], rule=["greater"])
    assert hook.rules == ["greater", "greater"]


def test_published_copy_has_hash_suffix_and_only_published_keys(tmp_path: Path) -> None:
    make_runner(tmp_path, published_keys=["meta", "state_dict"]).train()
    published = [p for p in tmp_path.glob("epoch_3-*.pth")]
    assert len(published) == 1
    data = published[0].read_bytes()
    assert published[0].stem.split("-")[1] == hashlib.sha256(data).hexdigest()[:8]
    assert set(load(published[0])) == {"meta", "state_dict"}


def test_published_keys_a_file_lacks_are_left_out_without_failing_the_run(
    tmp_path: Path,
) -> None:
    """As MMEngine: publishing comes after training, and a key the file lacks ('optimizer'
    with save_optimizer=False) must not fail the finished run."""
    make_runner(
        tmp_path, published_keys=["meta", "state_dict", "optimizer"], save_optimizer=False
    ).train()
    (published,) = tmp_path.glob("epoch_3-*.pth")
    assert set(load(published)) == {"meta", "state_dict"}


def test_the_last_checkpoint_is_published_only_with_save_last(tmp_path: Path) -> None:
    make_runner(tmp_path, published_keys=["meta", "state_dict"], save_last=False).train()
    assert list(tmp_path.glob("epoch_*-*.pth")) == []


def test_orphaned_temp_files_removed_at_start(tmp_path: Path) -> None:
    tmp_path.mkdir(exist_ok=True)
    orphan = tmp_path / ".epoch_1.pth.tmp-999999-0123abcd"
    orphan.write_bytes(b"partial")
    make_runner(tmp_path, max_epochs=1).train()
    assert not orphan.exists()


def test_orphaned_temp_files_in_the_templates_subfolder_are_removed_at_start(
    tmp_path: Path,
) -> None:
    # filename_tmpl='ckpts/epoch_{}.pth' saves (and so leaves temp files) in ckpts/
    (tmp_path / "ckpts").mkdir(parents=True)
    orphan = tmp_path / "ckpts" / ".epoch_2.pth.tmp-999999-0123abcd"
    orphan.write_bytes(b"partial")
    make_runner(tmp_path, max_epochs=1, filename_tmpl="ckpts/epoch_{}.pth").train()
    assert not orphan.exists() and (tmp_path / "ckpts" / "epoch_1.pth").is_file()


def test_resume_restores_kept_list_and_prunes_across_runs(tmp_path: Path) -> None:
    make_runner(tmp_path, max_epochs=2, interval=1, max_keep_ckpts=2).train()
    runner = make_runner(tmp_path, max_epochs=4, interval=1, max_keep_ckpts=2, resume=True)
    runner.train()  # auto-resume from epoch_2; the restored list lets it prune epoch_1/2
    assert runner.iter == 8
    assert names(tmp_path) == {"epoch_3.pth", "epoch_4.pth"}


def test_a_limit_set_at_resume_keeps_files_saved_without_one(tmp_path: Path) -> None:
    # as MMEngine: only files saved while a limit is in force are pruned later
    make_runner(tmp_path, max_epochs=3, interval=1).train()  # max_keep_ckpts=-1: keep all
    assert load(tmp_path / "epoch_3.pth")["hooks"]["checkpoint"]["kept_ckpts"] == []
    runner = make_runner(tmp_path, max_epochs=6, interval=1, max_keep_ckpts=2, resume=True)
    runner.train()
    old = {"epoch_1.pth", "epoch_2.pth", "epoch_3.pth"}
    assert names(tmp_path) == old | {"epoch_5.pth", "epoch_6.pth"}  # epoch_4 pruned
    # a limit lowered at resume still prunes what the earlier limit recorded
    make_runner(tmp_path / "b", max_epochs=3, interval=1, max_keep_ckpts=3).train()
    make_runner(tmp_path / "b", max_epochs=5, interval=1, max_keep_ckpts=1, resume=True).train()
    assert names(tmp_path / "b") == {"epoch_5.pth"}


def test_resume_auto_falls_back_when_pointer_is_broken(tmp_path: Path) -> None:
    make_runner(tmp_path, max_epochs=2, interval=1).train()
    (tmp_path / "epoch_2.pth").write_bytes(b"garbage")  # the pointer's target is now corrupt
    runner = make_runner(tmp_path, max_epochs=3, interval=1, resume=True)
    runner.train()
    assert load(tmp_path / "epoch_3.pth")["meta"]["iter"] == 6
    # resumed from epoch_1 (the scan's newest complete file): epoch_2 was trained again
    assert load(tmp_path / "epoch_2.pth")["meta"]["epoch"] == 2


def test_resume_auto_stops_when_every_checkpoint_is_damaged(tmp_path: Path) -> None:
    make_runner(tmp_path, max_epochs=2, interval=1).train()
    for name in ("epoch_1.pth", "epoch_2.pth"):
        (tmp_path / name).write_bytes(b"garbage")
    runner = make_runner(tmp_path, max_epochs=3, interval=1, resume=True)
    with pytest.raises(CheckpointError, match="none of the 2 checkpoint") as caught:
        runner.train()
    assert isinstance(caught.value, RuntimeError)
    assert "epoch_2.pth, epoch_1.pth" in str(caught.value)
    # nothing was trained on top of them: the damaged files are as they were
    assert (tmp_path / "epoch_1.pth").read_bytes() == b"garbage"
    assert (tmp_path / "epoch_2.pth").read_bytes() == b"garbage"
    assert not (tmp_path / "epoch_3.pth").exists()


def test_resume_of_a_copied_work_dir_stops_when_its_subfolder_checkpoint_is_damaged(
    tmp_path: Path,
) -> None:
    """The pointer names the original's file; its copy (``ckpts/...``) is the copy's own."""
    hook = dict(interval=2, filename_tmpl="ckpts/ep_{}.pth")
    original = tmp_path / "a"
    make_runner(original, max_epochs=2, **hook).train()
    copy = tmp_path / "b"
    shutil.copytree(original, copy)
    (copy / "ckpts" / "ep_2.pth").write_bytes(b"garbage")
    runner = make_runner(copy, max_epochs=3, resume=True, **hook)
    with pytest.raises(CheckpointError, match="none of the 1 checkpoint"):
        runner.train()
    assert (copy / "ckpts" / "ep_2.pth").read_bytes() == b"garbage"


def run_log(runner: Runner) -> str:
    """The run's log file, as written so far."""
    for handler in runner.logger.handlers:
        handler.flush()
    return (runner.log_dir / f"{runner.timestamp}.log").read_text(encoding="utf-8")


def test_resume_without_checkpoint_starts_fresh_with_warning(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, max_epochs=1, resume=True)
    runner.train()
    assert "training starts from scratch" in run_log(runner)
    assert runner.iter == 2


@pytest.mark.parametrize("problem", ["missing", "truncated", "other-model"])
def test_load_from_errors_name_the_file(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "w.pth"
    if problem == "truncated":
        torch.save({"state_dict": nn.Linear(4, 2).state_dict()}, path)
        path.write_bytes(path.read_bytes()[:-100])
    elif problem == "other-model":
        torch.save({"state_dict": nn.Conv2d(3, 3, 3).state_dict() | {"x.y": torch.zeros(1)}}, path)
    runner = make_runner(tmp_path / "run", max_epochs=1)
    with pytest.raises(CheckpointError, match=str(path)):
        runner.load_checkpoint(path)


def test_load_from_reports_mismatches_and_strict(tmp_path: Path) -> None:
    path = tmp_path / "w.pth"
    src = nn.Linear(4, 2).state_dict()
    torch.save({"state_dict": {"module.weight": src["weight"], "extra": torch.ones(1)}}, path)
    runner = make_runner(tmp_path / "run", max_epochs=1)
    runner.load_checkpoint(path)  # non-strict: loads weight, reports the rest
    loaded = runner.unwrapped_model.state_dict()["module.weight"]
    assert torch.equal(loaded.cpu(), src["weight"])  # loaded onto the model's device
    with pytest.raises(CheckpointError, match="strict"):
        runner.load_checkpoint(path, strict=True)


def test_end_of_training_names_best_score_epoch_and_checkpoint(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, interval=1, save_best="acc", scores=[0.5, 0.9, 0.7])
    runner.logger.setLevel(logging.INFO)
    runner.train()
    messages = [line.split(" - ", 3)[-1] for line in run_log(runner).splitlines()]
    lines = [m for m in messages if m.startswith("Best acc")]
    assert lines == ["Best acc: 0.9000 at epoch 2; checkpoint: best_acc_epoch_2.pth"]
    assert (tmp_path / "best_acc_epoch_2.pth").is_file()
    # epoch 2's validation raised the best score after epoch_2.pth was written: the
    # re-save says why in words a user follows
    assert (
        "Saving epoch_2.pth again: validation updated the best score or other hook state, "
        "and a resume from this checkpoint needs it."
    ) in messages


def test_the_best_line_names_the_epoch_whatever_filename_tmpl_names_the_file(
    tmp_path: Path,
) -> None:
    """The epoch was read from the file name, so ckpt_{}.pth lost "at epoch 2", also
    after a resume (the hook's state keeps it)."""
    best = dict(interval=1, save_best="acc", filename_tmpl="ckpt_{}.pth")
    runner = make_runner(tmp_path, max_epochs=2, scores=[0.5, 0.9], **best)
    runner.logger.setLevel(logging.INFO)
    runner.train()
    want = "Best acc: 0.9000 at epoch 2; checkpoint: best_acc_ckpt_2.pth"
    assert want in run_log(runner)
    resumed = make_runner(tmp_path, max_epochs=3, scores=[0.7], resume=True, **best)
    resumed.logger.setLevel(logging.INFO)
    resumed.train()
    assert want in run_log(resumed)


def test_no_best_line_without_save_best(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, interval=1, scores=[0.5, 0.9, 0.7])
    runner.logger.setLevel(logging.INFO)
    runner.train()
    assert "Best " not in run_log(runner)


class CountValidations(Hook):
    def __init__(self) -> None:
        self.count = 0

    def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
        self.count += 1


def _resume_finished_run(
    tmp_path: Path, next_score: float, max_epochs: int = 2
) -> tuple[Runner, int]:
    """Resume a finished run (``max_epochs``); the resumed run and how many validations
    it ran."""
    counter = CountValidations()
    resumed = make_runner(
        tmp_path,
        max_epochs=max_epochs,
        interval=1,
        save_best="acc",
        scores=[next_score],
        resume=True,
        custom_hooks=[counter],
    )
    resumed.train()
    return resumed, counter.count


def test_resume_does_not_repeat_a_validation_that_changed_nothing(tmp_path: Path) -> None:
    # epoch 2's validation does not beat epoch 1's: epoch_2.pth is not written again,
    # and a note next to last_checkpoint says that its validation finished
    make_runner(tmp_path, max_epochs=2, interval=1, save_best="acc", scores=[0.9, 0.5]).train()
    final = (tmp_path / "epoch_2.pth").read_bytes()
    assert (tmp_path / "last_validation").is_file()
    resumed, validations = _resume_finished_run(tmp_path, 0.1)
    assert validations == 0  # already finished: no validation again, no save again
    assert (tmp_path / "epoch_2.pth").read_bytes() == final
    assert hook_of(resumed).best_score == {"acc": 0.9}
    # marked validated as the run that validated it marked it (later files record the mark)
    assert hook_of(resumed).state_dict()["validated"] == [2, 4]


class StopBeforeEpoch(Hook):
    """Stands for a kill between a validation (recorded in last_validation) and the next
    checkpoint: the exception ends the run there."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def before_train_epoch(self, runner: Any) -> None:
        if runner.epoch == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("kind", [float, np.float32, np.array, torch.tensor])
def test_a_resume_that_skips_a_recorded_validation_puts_back_its_metrics(
    tmp_path: Path, kind: Any
) -> None:
    """The skipped validation's scores were missing from the resumed run's history (and
    from scalars.json when the process died before the visualizer's next flush); numpy
    and tensor scores too."""
    info = dict(type="RuntimeInfoHook")

    def scores(*values: float) -> list[Any]:
        return [kind(v) for v in values]

    whole = make_runner(
        tmp_path / "whole", interval=1, scores=scores(0.5, 0.4, 0.3), custom_hooks=[info]
    )
    whole.train()
    stopped = make_runner(
        tmp_path / "cut", interval=1, scores=scores(0.5), custom_hooks=[info, StopBeforeEpoch(1)]
    )
    with pytest.raises(KeyboardInterrupt):
        stopped.train()
    record = json.loads((tmp_path / "cut" / "last_validation").read_text())["records"][-1]
    assert record["scalars"] == {"val/acc": 0.5, "val/other": 1.0}
    resumed = make_runner(
        tmp_path / "cut", interval=1, scores=scores(0.4, 0.3), resume=True, custom_hooks=[info]
    )
    resumed.train()
    for key in ("val/acc", "val/other"):
        got = [float(v) for v in resumed.message_hub.get_scalar(key).data()]
        assert got == [float(v) for v in whole.message_hub.get_scalar(key).data()], key


def test_resume_repeats_a_validation_without_a_record(tmp_path: Path) -> None:
    make_runner(tmp_path, max_epochs=2, interval=1, save_best="acc", scores=[0.9, 0.5]).train()
    (tmp_path / "last_validation").unlink()  # as if the run died before the validation ended
    _, validations = _resume_finished_run(tmp_path, 0.95)
    assert validations == 1
    # the repeated validation improved the best score: recorded in the checkpoint
    assert load(tmp_path / "epoch_2.pth")["hooks"]["checkpoint"]["best_score"] == {"acc": 0.95}


def _three_recorded_epochs(tmp_path: Path) -> None:
    # epoch 1 sets the best score (its file is saved again); epochs 2 and 3 change nothing,
    # so each one's validation is recorded in last_validation
    make_runner(tmp_path, interval=1, save_best="acc", scores=[0.9, 0.5, 0.4]).train()


def test_resume_from_an_earlier_checkpoint_does_not_repeat_its_recorded_validation(
    tmp_path: Path,
) -> None:
    """The record named the newest checkpoint only: resuming from epoch_2.pth with
    epoch_3.pth beside it validated epoch 2 again (MMEngine does not)."""
    _three_recorded_epochs(tmp_path)
    counter = CountValidations()
    resumed = make_runner(
        tmp_path,
        interval=1,
        save_best="acc",
        scores=[0.3],
        resume=str(tmp_path / "epoch_2.pth"),
        custom_hooks=[counter],
    )
    resumed.train()
    assert counter.count == 1  # epoch 3's, not epoch 2's again
    assert hook_of(resumed).best_score == {"acc": 0.9}


def test_a_checkpoint_written_again_drops_the_earlier_runs_record_of_it(tmp_path: Path) -> None:
    """Resumed from epoch_2.pth, the run writes epoch_3.pth again and is killed before its
    validation: the earlier run's entry for epoch_3.pth must not skip the new one's."""
    _three_recorded_epochs(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        make_runner(
            tmp_path,
            interval=1,
            save_best="acc",
            scores=[0.95],
            resume=str(tmp_path / "epoch_2.pth"),
            custom_hooks=[StopInValidation(epoch=3)],  # a kill after epoch_3.pth is written
        ).train()
    _, validations = _resume_finished_run(tmp_path, 0.95, max_epochs=3)
    assert validations == 1
    assert load(tmp_path / "epoch_3.pth")["hooks"]["checkpoint"]["best_score"] == {"acc": 0.95}


def test_the_validation_record_keeps_the_newest_entries(tmp_path: Path) -> None:
    from runner_hooks_standard.checkpoint_progress import (
        RECORDS_KEPT,
        record_validation,
        validation_recorded,
    )

    for n in range(1, RECORDS_KEPT + 3):
        record_validation(tmp_path, f"epoch_{n}.pth", (n, 10 * n), fsync=False)
    assert validation_recorded(tmp_path, "epoch_2.pth", (2, 20)) is None  # beyond the limit
    assert validation_recorded(tmp_path, "epoch_3.pth", (3, 30))
    newest = RECORDS_KEPT + 2
    assert validation_recorded(tmp_path, f"epoch_{newest}.pth", (newest, 10 * newest))
    assert validation_recorded(tmp_path, "epoch_3.pth", (3, 31)) is None  # another position


def test_a_record_written_by_an_earlier_version_is_read(tmp_path: Path) -> None:
    from runner_hooks_standard.checkpoint_progress import validation_recorded

    (tmp_path / "last_validation").write_text(
        json.dumps({"checkpoint": "epoch_2.pth", "progress": [2, 20], "scalars": {"a": 1.0}})
    )
    assert validation_recorded(tmp_path, "epoch_2.pth", (2, 20)) == {
        "checkpoint": "epoch_2.pth",
        "progress": [2, 20],
        "scalars": {"a": 1.0},
    }


def test_by_epoch_checkpoints_in_an_iteration_loop_save_only_the_end(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # MMEngine: an iteration-based run is one epoch; the default interval=1 must not turn
    # into a checkpoint per iteration
    runner = make_runner(tmp_path, interval=1, train_cfg=dict(by_epoch=False, max_iters=7))
    runner.train()
    assert names(tmp_path) == {"iter_7.pth"}
    assert "only the final checkpoint is saved" in capsys.readouterr().out


def test_max_keep_ckpts_does_not_make_validation_rewrite_each_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    saves: list[str] = []

    class CountSaves(Hook):
        def before_save_checkpoint(self, runner: Any, checkpoint: Any) -> None:
            saves.append(f"{checkpoint['meta']['epoch']}")

    make_runner(
        tmp_path,
        max_epochs=5,
        interval=1,
        max_keep_ckpts=2,
        scores=[0.5] * 5,
        custom_hooks=[CountSaves()],
    ).train()
    assert saves == ["1", "2", "3", "4", "5"]  # one write per epoch, as MMEngine
    assert "again" not in capsys.readouterr().out
    assert names(tmp_path) == {"epoch_4.pth", "epoch_5.pth"}


def test_best_checkpoint_follows_filename_tmpl_and_mmengines_info_keys(tmp_path: Path) -> None:
    runner = make_runner(
        tmp_path, interval=1, save_best="acc", scores=[0.5, 0.9, 0.7], filename_tmpl="ckpt_{}.pth"
    )
    runner.train()
    assert "best_acc_ckpt_2.pth" in names(tmp_path)  # MMEngine: best_<key>_<periodic name>
    hub = runner.message_hub
    assert hub.get_info("best_score") == 0.9 and hub.get_info("best_score/acc") == 0.9
    assert hub.get_info("best_ckpt") == "best_acc_ckpt_2.pth"  # relative to the work dir


PLATEAU = dict(type="ReduceOnPlateauLR", monitor="acc", rule="less", factor=0.5, patience=1)
PLATEAU_SCORES = [1.0, 0.9, 0.95, 0.97]  # epoch 4's validation cuts the lr: 0.1 -> 0.05


class StopInValidation(Hook):
    """Ctrl-C during one epoch's validation, before the schedulers see its metrics."""

    priority = "HIGHEST"

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
        if runner.epoch == self.epoch:
            raise KeyboardInterrupt


class StopInTraining(Hook):
    """Ctrl-C in the first iteration after an epoch."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        if runner.epoch == self.epoch:
            raise KeyboardInterrupt


class RecordLr(Hook):
    def __init__(self) -> None:
        self.lrs: list[float] = []

    def before_train_epoch(self, runner: Any) -> None:
        self.lrs.append(runner.optim_wrapper.param_groups[0]["lr"])


def test_resume_repeats_an_interrupted_validation_for_the_schedulers(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        make_runner(
            tmp_path,
            max_epochs=5,
            interval=1,
            scores=PLATEAU_SCORES,
            param_scheduler=PLATEAU,
            custom_hooks=[StopInValidation(epoch=4)],
        ).train()
    lrs = RecordLr()
    make_runner(
        tmp_path,
        max_epochs=5,
        interval=1,
        scores=[0.97, 0.99],  # epoch 4's validation again, then epoch 5's
        param_scheduler=PLATEAU,
        resume=True,
        custom_hooks=[lrs],
    ).train()
    assert lrs.lrs == [0.05]  # epoch 5 trains with the cut, as in a run without the stop


def test_resume_repeats_a_validation_that_moved_a_scheduler(tmp_path: Path) -> None:
    # the run dies in epoch 5, after epoch 4's validation cut the lr; epoch_4.pth was
    # written before that validation, so a resume from it validates again
    with pytest.raises(KeyboardInterrupt):
        make_runner(
            tmp_path,
            max_epochs=6,
            interval=1,
            scores=PLATEAU_SCORES,
            param_scheduler=PLATEAU,
            custom_hooks=[StopInTraining(epoch=4)],
        ).train()
    lrs = RecordLr()
    make_runner(
        tmp_path,
        max_epochs=6,
        interval=1,
        scores=[0.97, 0.99, 0.5],  # epoch 4's validation again, then epochs 5 and 6
        param_scheduler=PLATEAU,
        resume=True,
        custom_hooks=[lrs],
    ).train()
    assert lrs.lrs == [0.05, 0.05]  # as in a run without the stop


def test_a_last_iteration_save_is_not_repeated_after_the_epoch_end(tmp_path: Path) -> None:
    """by_epoch=False in an epoch loop: iter_6 is saved once (MMEngine too), and a resume from
    it replays the epoch's end (its scheduler step) exactly."""
    schedule = dict(type="MultiStepLR", milestones=[1, 3], gamma=0.5, by_epoch=True)
    opts = dict(interval=2, by_epoch=False, momentum=0.9, param_scheduler=schedule)
    saves: list[int] = []

    class CountSaves(Hook):
        def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
            saves.append(runner.iter)

    run = make_runner(tmp_path / "a", max_epochs=3, custom_hooks=[CountSaves()], **opts)
    run.train()  # 2 iterations per epoch
    assert len(saves) == 3  # iterations 2, 4 and 6; none again after the last epoch
    whole = make_runner(tmp_path / "b", max_epochs=4, **opts)
    whole.train()
    resumed = make_runner(tmp_path / "a", max_epochs=4, resume=True, **opts)
    resumed.train()
    for key, value in whole.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key
    assert resumed.optim_wrapper.get_lr()["lr"] == whole.optim_wrapper.get_lr()["lr"]


def test_mmengines_best_ckpt_path_names_the_best_file_and_survives_resume(
    tmp_path: Path,
) -> None:
    fresh = hook_of(make_runner(tmp_path / "x", interval=1, save_best="acc", scores=[0.5]))
    assert fresh.best_ckpt_path is None  # nothing saved yet, as MMEngine's
    make_runner(tmp_path, max_epochs=2, interval=1, save_best="acc", scores=[0.5, 0.9]).train()
    resumed = make_runner(
        tmp_path, max_epochs=3, interval=1, save_best="acc", scores=[0.1], resume=True
    )
    resumed.train()  # epoch 3 does not improve: the path is the one the resume restored
    hook = hook_of(resumed)
    assert hook.best_ckpt_path == str((tmp_path / "best_acc_epoch_2.pth").absolute())
    assert resumed.load_checkpoint(hook.best_ckpt_path)["meta"]["epoch"] == 2
    with pytest.raises(AttributeError, match="best_ckpt_path for one key"):
        hook.best_ckpt_path_dict  # noqa: B018
    assert not hasattr(hook_of(make_runner(tmp_path / "none")), "best_ckpt_path")


def test_mmengines_best_ckpt_path_dict_for_several_keys(tmp_path: Path) -> None:
    runner = make_runner(
        tmp_path,
        interval=1,
        save_best=["acc", "other"],
        rule=["greater", "greater"],
        scores=[0.5, 0.9, 0.7],
    )
    assert hook_of(runner).best_ckpt_path_dict == {"acc": None, "other": None}
    runner.train()
    hook = hook_of(runner)
    assert hook.best_ckpt_path_dict == {
        "acc": str((tmp_path / "best_acc_epoch_2.pth").absolute()),
        "other": str((tmp_path / "best_other_epoch_1.pth").absolute()),  # 1.0 every epoch
    }
    assert not hasattr(hook, "best_ckpt_path")


def test_mmengines_key_indicators_and_is_better_than(tmp_path: Path) -> None:
    two = CheckpointHook(interval=1, save_best=["acc", "loss"], rule=["greater", "less"])
    assert two.key_indicators == ["acc", "loss"]
    better = two.is_better_than
    assert set(better) == {"acc", "loss"}
    assert better["acc"](0.9, 0.5) and not better["acc"](0.5, 0.9)
    assert better["loss"](0.1, 0.2) and not better["loss"](0.2, 0.1)
    assert CheckpointHook(interval=1, save_best="top1_acc").is_better_than["top1_acc"](2, 1)
    auto = make_runner(tmp_path, interval=1, save_best="auto", key="mAP", scores=[0.1, 0.2, 0.3])
    hook = hook_of(auto)
    assert hook.key_indicators == ["auto"] and hook.is_better_than == {}  # as MMEngine's
    auto.train()  # the first validation picks the key and its rule
    assert hook.key_indicators == ["mAP"] and hook.is_better_than["mAP"](0.2, 0.1)
    hook.key_indicators.append("x")  # read-only views: the hook is unchanged
    hook.is_better_than.clear()
    assert hook.key_indicators == ["mAP"] and list(hook.is_better_than) == ["mAP"]
    none = CheckpointHook(interval=1)
    assert not hasattr(none, "key_indicators") and not hasattr(none, "is_better_than")


def test_resumed_state_naming_other_files_deletes_none_of_them(tmp_path: Path) -> None:
    # a plain-data checkpoint passed from elsewhere whose hook state names files that are
    # not checkpoints of this hook: resuming from it must leave them all in place
    source = tmp_path / "src"
    make_runner(
        source, max_epochs=1, interval=1, max_keep_ckpts=1, save_best="acc", scores=[0.5]
    ).train()
    ckpt = load(source / "epoch_1.pth")
    work, outside = tmp_path / "wd", tmp_path / "outside"
    for folder in (work / "mydata", work / ".git", outside, work / "epoch_7.pth"):
        folder.mkdir(parents=True)
    decoys = [
        work / "notes.txt",
        work / "mydata" / "train.csv",
        work / ".git" / "HEAD",
        work / "train.py",
        work / "important.txt",
        work / "best.txt",
        outside / "important.txt",
        outside / "epoch_3.pth",
    ]
    for decoy in decoys:
        decoy.write_text("precious")
    (work / "epoch_9.pth").symlink_to(work / "notes.txt")  # a link named as a checkpoint
    state = ckpt["hooks"]["checkpoint"]
    state["dropping"] = ["notes.txt", "mydata/train.csv", ".git/HEAD", "../outside/important.txt"]
    state["kept_ckpts"] = [
        "/somewhere/else/important.txt",
        "/home/u/project/train.py",  # an absolute name is read as this name in the work dir
        "epoch_9.pth",
        "epoch_7.pth",  # a folder
        "epoch_1.pth",
    ]
    state["best_ckpt"], state["best_score"] = {"acc": "best.txt"}, {"acc": -1.0}
    shared = tmp_path / "shared.pth"
    torch.save(ckpt, shared)

    runner = make_runner(
        work,
        max_epochs=3,
        interval=1,
        max_keep_ckpts=1,
        save_best="acc",
        scores=[0.6, 0.7],
        resume=str(shared),  # type: ignore[arg-type]
    )
    runner.train()
    for decoy in decoys:
        assert decoy.read_text() == "precious", decoy
    assert (work / "epoch_9.pth").is_symlink() and (work / "epoch_7.pth").is_dir()
    assert names(work) >= {"epoch_3.pth", "best_acc_epoch_3.pth"}
    log = run_log(runner)
    (warning,) = [line for line in log.splitlines() if "ignoring" in line]
    for entry in ("'notes.txt'", "'/home/u/project/train.py'", "'best.txt'"):
        assert entry in warning
    assert "never deleted" in warning
    # the hook's own pruning still works after the resume (epoch_1 was named, epoch_3 kept)
    assert hook_of(runner).kept_ckpts == [str((work / "epoch_3.pth").absolute())]


def test_resume_with_a_subfolder_template_prunes_and_replaces_best(tmp_path: Path) -> None:
    hook = dict(interval=1, max_keep_ckpts=1, save_best="acc", filename_tmpl="ckpts/ep_{:02d}.pth")
    make_runner(tmp_path, max_epochs=2, scores=[0.5, 0.9], **hook).train()
    # MMEngine's name for the best file: every '/' of best_<key>_<name> made '_'
    assert names(tmp_path) == {"best_acc_ckpts_ep_02.pth"}
    assert names(tmp_path / "ckpts") == {"ep_02.pth"}
    copy = tmp_path.parent / f"{tmp_path.name}-copy"
    shutil.copytree(tmp_path, copy)
    runner = make_runner(copy, max_epochs=3, scores=[0.95], resume=True, **hook)
    runner.train()
    assert names(copy / "ckpts") == {"ep_03.pth"}  # the resumed run prunes ep_02
    assert names(copy) == {"best_acc_ckpts_ep_03.pth"}  # and replaces the best file
    assert names(tmp_path / "ckpts") == {"ep_02.pth"}  # the original is untouched
    assert names(tmp_path) == {"best_acc_ckpts_ep_02.pth"}
    assert "ignoring" not in run_log(runner)


@pytest.mark.parametrize(
    ("tmpl", "fault"),
    [
        ("../ckpts_of_run/epoch_{}.pth", "'..'"),
        ("a/../../b_{}.pth", "'..'"),
        ("/tmp/store/ep_{}.pth", "absolute path"),
        ("ep\n{}.pth", "control character"),
    ],
)
def test_filename_tmpl_leaving_the_run_folder_is_refused(tmpl: str, fault: str) -> None:
    with pytest.raises(HookError, match=re.escape(fault)) as caught:
        CheckpointHook(filename_tmpl=tmpl)
    assert repr(tmpl) in str(caught.value) and "out_dir=" in str(caught.value)
    CheckpointHook(filename_tmpl="ckpts/epoch_{}.pth")  # a subfolder is fine


def test_malformed_hook_state_names_the_checkpoint_and_key(tmp_path: Path) -> None:
    make_runner(tmp_path / "src", max_epochs=1, interval=1).train()
    ckpt = load(tmp_path / "src" / "epoch_1.pth")
    ckpt["hooks"]["checkpoint"]["kept_ckpts"] = 5
    bad = tmp_path / "bad.pth"
    torch.save(ckpt, bad)
    runner = make_runner(tmp_path / "wd", max_epochs=2, resume=str(bad))  # type: ignore[arg-type]
    with pytest.raises(CheckpointError, match=r"'hooks\.checkpoint'.*'kept_ckpts' holds 5"):
        runner.train()


def _as_mmengine_checkpoint(work: Path, runtime_info: dict[str, Any]) -> None:
    """Make ``work/epoch_2.pth`` look as MMEngine's CheckpointHook leaves it: no hook state,
    the record in the message hub's runtime info."""
    ckpt = load(work / "epoch_2.pth")
    del ckpt["hooks"]
    ckpt["message_hub"]["runtime_info"].update(runtime_info)
    torch.save(ckpt, work / "epoch_2.pth")


def test_resume_of_an_mmengine_checkpoint_takes_over_its_best_and_kept_records(
    tmp_path: Path,
) -> None:
    hook = dict(interval=1, max_keep_ckpts=2, save_best="acc")
    old, work = tmp_path / "old", tmp_path / "wd"
    make_runner(old, max_epochs=2, scores=[0.5, 0.9], **hook).train()
    shutil.copytree(old, work)
    # MMEngine records the best file as an absolute path in its (old) work dir
    info = {"best_score": 0.9, "best_ckpt": str(old / "best_acc_epoch_2.pth")}
    _as_mmengine_checkpoint(work, {**info, "keep_ckpt_ids": [1, 2]})
    runner = make_runner(work, max_epochs=4, scores=[0.6, 0.95], resume=True, **hook)
    runner.logger.setLevel(logging.INFO)
    runner.train()
    # epoch 3 (0.6) is worse than MMEngine's best 0.9: no best file for it; epoch 4 (0.95)
    # replaces the taken-over best file, and the kept ids let max_keep_ckpts prune epoch_1/2
    assert names(work) == {"epoch_3.pth", "epoch_4.pth", "best_acc_epoch_4.pth"}
    assert hook_of(runner).best_score == {"acc": 0.95}
    assert names(old) == {"epoch_1.pth", "epoch_2.pth", "best_acc_epoch_2.pth"}  # untouched
    (line,) = [m for m in run_log(runner).splitlines() if "took over" in m]
    assert "best acc 0.9000 (best_acc_epoch_2.pth)" in line
    assert "kept checkpoints epoch_1.pth, epoch_2.pth" in line


@pytest.mark.parametrize("save_best", ["acc", "auto"])
def test_resume_of_an_mmengine_checkpoint_keeps_its_score_but_not_a_foreign_file_name(
    tmp_path: Path, save_best: str
) -> None:
    work = tmp_path / "wd"
    make_runner(work, max_epochs=2, interval=1, save_best="acc", scores=[0.5, 0.9]).train()
    (work / "notes.txt").write_text("precious")
    _as_mmengine_checkpoint(work, {"best_score": 0.9, "best_ckpt": str(work / "notes.txt")})
    hook = dict(interval=1, save_best=save_best)
    runner = make_runner(work, max_epochs=3, scores=[0.6], resume=True, **hook)
    runner.train()
    assert hook_of(runner).best_score == {"acc": 0.9}  # epoch 3's 0.6 is not a new best
    assert "best_acc_epoch_3.pth" not in names(work)
    assert (work / "notes.txt").read_text() == "precious"
    assert "ignoring" in run_log(runner) and "notes.txt" in run_log(runner)


class GuideValLoop(BaseLoop):
    """A validation loop as MMEngine's guide writes one: no before_val/after_val points."""

    def __init__(
        self, runner: Any, dataloader: Any, evaluator: Any, metrics: str = "", calls: str = ""
    ) -> None:
        super().__init__(runner, dataloader)
        self.evaluator = runner.build_evaluator(evaluator)
        self.metrics = metrics  # "": hand over the evaluator's; "empty" / "none": not
        self.calls = calls  # "fast": through runner.hook_points; "before_val": that one too

    def run(self) -> Any:
        runner = self.runner
        if self.calls == "before_val":
            runner.call_hook("before_val")
        runner.call_hook("before_val_epoch")
        for batch in self.dataloader:
            with torch.no_grad():
                outputs = runner.model.val_step(batch)
            self.evaluator.process(data_samples=outputs, data_batch=batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        if self.metrics == "none":
            runner.call_hook("after_val_epoch")
        elif self.calls == "fast":
            runner.hook_points.after_val_epoch(runner, metrics)
        else:
            runner.call_hook("after_val_epoch", metrics={} if self.metrics else metrics)
        return metrics


class CountInValidation(Hook):
    """Of lower priority than CheckpointHook (VERY_LOW): its count changes after the hook's
    turn."""

    priority = "LOWEST"

    def __init__(self) -> None:
        self.count = 0

    def after_val_epoch(self, runner: Any, metrics: Any = None) -> None:
        self.count += 1

    def state_dict(self) -> dict[str, Any]:
        return {"count": self.count}


@pytest.mark.parametrize("calls", ["", "fast"])
def test_a_val_loop_without_after_val_still_gets_its_best_checkpoint(
    tmp_path: Path, calls: str
) -> None:
    """The best file was written in after_val, which such a loop never calls: no best file,
    and no word of it (MMEngine writes best_acc_epoch_2.pth). Through the fast
    runner.hook_points too, where it was written before lower-priority hooks' turn."""
    runner = make_runner(
        tmp_path,
        interval=1,
        save_best="auto",
        scores=[0.5, 0.9, 0.7],
        val_cfg=dict(type=GuideValLoop, calls=calls),
        custom_hooks=[CountInValidation()],
    )
    runner.train()
    assert {n for n in names(tmp_path) if n.startswith("best")} == {"best_acc_epoch_2.pth"}
    ckpt = load(tmp_path / "best_acc_epoch_2.pth")
    assert (ckpt["meta"]["epoch"], ckpt["meta"]["iter"]) == (2, 4)  # the validation's point
    assert ckpt["hooks"]["CountInValidation"] == {"count": 2}  # after every hook saw it
    info = ckpt["message_hub"]["runtime_info"]
    assert (info["best_score"], info["best_ckpt"]) == (0.9, "best_acc_epoch_2.pth")
    assert load(tmp_path / "epoch_2.pth")["hooks"]["checkpoint"]["best_score"] == {"acc": 0.9}


def test_a_val_loop_calling_before_val_but_no_after_val_is_told(tmp_path: Path) -> None:
    """Half the protocol: the hook waits for after_val, which never comes; it said nothing."""
    runner = make_runner(
        tmp_path,
        interval=1,
        save_best="acc",
        scores=[0.5, 0.9, 0.7],
        val_cfg=dict(type=GuideValLoop, calls="before_val"),
    )
    runner.train()
    assert not any(n.startswith("best") for n in names(tmp_path))
    said = "The validation loop called before_val but not after_val"
    assert run_log(runner).count(said) == 1
    assert "Call runner.call_hook('after_val') at the end of the loop's run()" in run_log(runner)


@pytest.mark.parametrize("metrics", ["empty", "none"])
def test_a_validation_without_metrics_says_the_best_checkpoint_is_skipped(
    tmp_path: Path, metrics: str
) -> None:
    """MMEngine warns that an empty dict skips the best checkpoint; it was skipped silently."""
    runner = make_runner(
        tmp_path,
        interval=1,
        save_best="acc",
        scores=[0.5, 0.9, 0.7],
        val_cfg=dict(type=GuideValLoop, metrics=metrics),
    )
    runner.train()
    assert not any(n.startswith("best") for n in names(tmp_path))
    said = "the behavior to save the best checkpoint will be skipped in this evaluation"
    assert run_log(runner).count(said) == 1  # once per run, not at each validation
    given = "is an empty dict" if metrics == "empty" else "is not given"
    assert f"Since `metrics` {given}, {said}" in run_log(runner)


class MMEngineStyleLoop(BaseLoop):
    """A training loop written for MMEngine: counts in ``_epoch``/``_iter``, has no state_dict."""

    def __init__(self, runner: Any, dataloader: Any, max_epochs: int = 3) -> None:
        super().__init__(runner, dataloader)
        self._max_epochs, self._epoch, self._iter = max_epochs, 0, 0
        self.started: list[int] = []

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        return self._max_epochs * len(self.dataloader)

    def run(self) -> Any:
        runner = self.runner
        runner.call_hook("before_train")
        while self._epoch < self._max_epochs:
            self.started.append(self._epoch)
            runner.call_hook("before_train_epoch")
            for idx, batch in enumerate(self.dataloader):
                runner.call_hook("before_train_iter", batch_idx=idx, data_batch=batch)
                outputs = runner.model.train_step(batch, optim_wrapper=runner.optim_wrapper)
                runner.call_hook(
                    "after_train_iter", batch_idx=idx, data_batch=batch, outputs=outputs
                )
                self._iter += 1
            runner.call_hook("after_train_epoch")
            self._epoch += 1
        runner.call_hook("after_train")
        return runner.model


def test_loop_without_position_is_numbered_as_mmengine_does(tmp_path: Path) -> None:
    loop = dict(type=MMEngineStyleLoop, max_epochs=2)
    make_runner(tmp_path / "e", train_cfg=loop, interval=1).train()
    assert names(tmp_path / "e") == {"epoch_1.pth", "epoch_2.pth"}
    meta = load(tmp_path / "e" / "epoch_2.pth")["meta"]
    assert (meta["epoch"], meta["iter"]) == (2, 4)
    assert read_pointer(tmp_path / "e") == (tmp_path / "e" / "epoch_2.pth").absolute()
    make_runner(tmp_path / "i", train_cfg=loop, interval=3, by_epoch=False).train()
    assert names(tmp_path / "i") == {"iter_3.pth", "iter_4.pth"}  # the 4th: save_last
    meta = load(tmp_path / "i" / "iter_3.pth")["meta"]
    assert (meta["epoch"], meta["iter"]) == (1, 3)


def test_loop_without_position_resumes_where_it_stopped(tmp_path: Path) -> None:
    make_runner(tmp_path, train_cfg=dict(type=MMEngineStyleLoop, max_epochs=2), interval=1).train()
    runner = make_runner(
        tmp_path, train_cfg=dict(type=MMEngineStyleLoop, max_epochs=3), interval=1, resume=True
    )
    runner.train()
    assert runner.train_loop.started == [2]  # MMEngine's resume sets _epoch/_iter
    assert names(tmp_path) == {"epoch_1.pth", "epoch_2.pth", "epoch_3.pth"}
    meta = load(tmp_path / "epoch_3.pth")["meta"]
    assert (meta["epoch"], meta["iter"]) == (3, 6)


class _SignalAtIteration(Hook):
    """Sends this process SIGUSR1 after iteration ``at`` (1-based): a preemption stop."""

    priority = "LOWEST"

    def __init__(self, at: int) -> None:
        self.at = at

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.at:
            import signal

            os.kill(os.getpid(), signal.SIGUSR1)


def _preempted_twice_then_finished(work_dir: Path, first_limit: int, later_limit: int) -> None:
    """Two iterations per epoch: stopped after iterations 3 and 5, resumed to epoch 6."""
    from runner_core.runner.preemption import TrainingPreempted

    for at, limit, resume in ((3, first_limit, False), (5, later_limit, True)):
        runner = make_runner(
            work_dir, max_epochs=6, interval=1, max_keep_ckpts=limit, resume=resume,
            custom_hooks=[_SignalAtIteration(at)],
        )  # fmt: skip
        with pytest.raises(TrainingPreempted):
            runner.train()
        assert read_pointer(work_dir) == work_dir / f"iter_{at}.pth"
    make_runner(work_dir, max_epochs=6, interval=1, max_keep_ckpts=later_limit, resume=True).train()


def test_preemption_saves_are_pruned_with_the_kept_checkpoints(tmp_path: Path) -> None:
    """A job preempted again and again does not pile up iter_N.pth files beside the
    max_keep_ckpts the hook keeps: a resumed preemption file is kept as the newest one."""
    _preempted_twice_then_finished(tmp_path, first_limit=2, later_limit=2)
    assert names(tmp_path) == {"epoch_5.pth", "epoch_6.pth"}
    # without a limit every file stays
    _preempted_twice_then_finished(tmp_path / "all", first_limit=-1, later_limit=-1)
    epochs = {f"epoch_{n}.pth" for n in range(1, 7)}
    assert names(tmp_path / "all") == epochs | {"iter_3.pth", "iter_5.pth"}
    # files saved while no limit was in force are never deleted by a later limit
    _preempted_twice_then_finished(tmp_path / "late", first_limit=-1, later_limit=2)
    assert names(tmp_path / "late") == {"epoch_1.pth", "iter_3.pth", "epoch_5.pth", "epoch_6.pth"}


def test_a_resumed_preemption_file_prunes_at_once(tmp_path: Path) -> None:
    """Stopped again before the next periodic save, a job still keeps N files (+ the stop's)."""
    from runner_core.runner.preemption import TrainingPreempted

    # two iterations per epoch, saved every second epoch: epoch_2 at 4, epoch_4 at 8
    for at, resume in ((5, False), (6, True)):
        runner = make_runner(
            tmp_path, max_epochs=6, interval=2, max_keep_ckpts=1, resume=resume,
            custom_hooks=[_SignalAtIteration(at)],
        )  # fmt: skip
        with pytest.raises(TrainingPreempted):
            runner.train()
    # resumed from iter_5 (kept: epoch_2, iter_5), the limit of 1 dropped epoch_2 right away
    assert names(tmp_path) == {"iter_5.pth", "iter_6.pth"}
    assert read_pointer(tmp_path) == tmp_path / "iter_6.pth"


class _Milestone(Hook):
    """A user's own save, kept for good: ``runner.save_checkpoint`` after epoch 2."""

    priority = "LOWEST"

    def after_train_epoch(self, runner) -> None:
        if runner.epoch == 2:
            runner.save_checkpoint(runner.work_dir, f"iter_{runner.iter}.pth")


def test_a_users_own_save_resumed_from_is_never_pruned(tmp_path: Path) -> None:
    make_runner(
        tmp_path, max_epochs=3, interval=1, max_keep_ckpts=1, custom_hooks=[_Milestone()]
    ).train()
    assert names(tmp_path) == {"epoch_3.pth", "iter_6.pth"}
    runner = make_runner(tmp_path, max_epochs=5, interval=1, max_keep_ckpts=1)
    runner.resume(str(tmp_path / "iter_6.pth"))
    runner.train()
    assert names(tmp_path) == {"iter_6.pth", "epoch_5.pth"}  # only the hook's own rotate


def test_a_fresh_run_over_an_earlier_runs_checkpoints_says_so(tmp_path: Path) -> None:
    """MMEngine silently replaces them; a resume, and a first run, stay quiet."""
    first = make_runner(tmp_path, max_epochs=2, interval=1)
    first.train()
    assert "holds checkpoints of an earlier run" not in run_log(first)
    again = make_runner(tmp_path, max_epochs=1, interval=1)
    again.train()
    assert (
        f"{tmp_path} holds checkpoints of an earlier run (epoch_1.pth, epoch_2.pth) and this "
        "run starts from scratch (no resume): its saves replace same-named files and "
        "last_checkpoint." in run_log(again)
    )
    resumed = make_runner(tmp_path, max_epochs=3, interval=1, resume=True)
    resumed.train()
    assert "holds checkpoints of an earlier run" not in run_log(resumed)


def test_a_resume_from_an_older_checkpoint_names_the_later_files(tmp_path: Path) -> None:
    """resume=<epoch_1.pth> where the run went on to epoch 4: the later files, its best
    checkpoint above all, stayed beside this run's and passed for its own (MMEngine is
    silent). A resume from the newest one stays quiet."""
    make_runner(
        tmp_path, max_epochs=4, interval=1, scores=[1.0, 2.0, 3.0, 4.0], save_best="acc"
    ).train()
    assert "best_acc_epoch_4.pth" in names(tmp_path)
    rewound = make_runner(
        tmp_path, max_epochs=4, interval=1, scores=[1.0, 2.0, 3.0, 4.0], save_best="acc"
    )
    rewound.resume(str(tmp_path / "epoch_1.pth"))
    rewound.train()
    assert (
        f"Resumed at epoch 1, but {tmp_path} holds checkpoints saved after that (epoch_2.pth, "
        "epoch_3.pth, epoch_4.pth, best_acc_epoch_4.pth): they come from the run that went "
        "on from there" in run_log(rewound)
    )
    latest = make_runner(tmp_path, max_epochs=5, interval=1, resume=True)
    latest.train()
    assert "checkpoints saved after that" not in run_log(latest)


def test_later_checkpoints_in_a_filename_tmpl_subfolder_are_named_too(tmp_path: Path) -> None:
    make_runner(tmp_path, max_epochs=3, interval=1, filename_tmpl="ckpts/epoch_{}.pth").train()
    rewound = make_runner(tmp_path, max_epochs=3, interval=1, filename_tmpl="ckpts/epoch_{}.pth")
    rewound.resume(str(tmp_path / "ckpts" / "epoch_1.pth"))
    rewound.train()
    assert "saved after that (ckpts/epoch_2.pth, ckpts/epoch_3.pth)" in run_log(rewound)


def test_a_folder_in_the_pointers_place_is_named_before_training(tmp_path: Path) -> None:
    """It failed the first save, after a whole epoch of training."""
    from runner_core.checkpoint import CheckpointWriteError

    (tmp_path / "last_checkpoint").mkdir()
    runner = make_runner(tmp_path, max_epochs=1)
    with pytest.raises(CheckpointWriteError, match=r"pointer .*last_checkpoint.*move that folder"):
        runner.train()
    assert runner.iter == 0 and names(tmp_path) == set()


def test_a_resumed_run_publishes_mmengines_last_ckpt_before_training(tmp_path: Path) -> None:
    """MMEngine's checkpoints carry ``last_ckpt`` in their message hub; ours leave the
    absolute path out, so hooks reading it after a resume found None until the next save."""
    seen: list[Any] = []

    class ReadsLastCkpt(Hook):
        priority = "VERY_HIGH"

        def before_train(self, runner: Any) -> None:
            seen.append(runner.message_hub.get_info("last_ckpt"))

    make_runner(tmp_path, max_epochs=2, interval=1).train()
    resumed = make_runner(
        tmp_path,
        max_epochs=3,
        interval=1,
        resume=str(tmp_path / "epoch_1.pth"),
        custom_hooks=[ReadsLastCkpt()],
    )
    resumed.train()
    assert seen == [str((tmp_path / "epoch_1.pth").absolute())]
    assert resumed.message_hub.get_info("last_ckpt") == str((tmp_path / "epoch_3.pth").absolute())


class DrawEveryIteration(Hook):
    """Training that draws from torch, numpy and python's streams (augmentation, dropout)."""

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        import random

        torch.rand(1), np.random.rand(), random.random()


def test_a_validation_run_again_on_resume_saves_the_checkpoints_random_streams(
    tmp_path: Path,
) -> None:
    """Run from before_train, the missed validation's re-save recorded the process's streams
    (the checkpoint's were not put back yet): a later resume from that file drifted."""
    from runner_hooks_standard.checkpoint_progress import same_state

    def run(work: str, scores: list[float], *hooks: Hook, resume: bool = False) -> Runner:
        runner = make_runner(
            tmp_path / work,
            interval=1,
            save_best="acc",
            scores=scores,
            resume=resume,
            custom_hooks=[DrawEveryIteration(), *hooks],
        )
        runner.train()
        return runner

    run("whole", [0.5, 0.9, 0.7])
    with pytest.raises(KeyboardInterrupt):  # stopped in epoch 2's validation, which improved
        run("cut", [0.5, 0.9], StopInValidation(epoch=2))
    run("cut", [0.9, 0.7], resume=True)  # validates epoch 2 again, saves epoch_2.pth again
    for name in ("epoch_2.pth", "best_acc_epoch_2.pth"):
        whole, cut = load(tmp_path / "whole" / name), load(tmp_path / "cut" / name)
        assert same_state(whole["rng"], cut["rng"]), name


@pytest.mark.parametrize("improves", [False, True])
def test_a_validation_after_a_preemption_stop_is_recorded_under_the_stops_file(
    tmp_path: Path, improves: bool
) -> None:
    """Stopped by a signal at epoch 3's end (iter_6.pth saved, epoch_4.pth due later), the
    resumed run validated epoch 3 and recorded it under epoch_2.pth, the hook's newest file
    (a resume from iter_6.pth elsewhere validated it again), or said "Saving epoch_2.pth
    again" while it wrote epoch_3.pth."""
    from runner_core.runner.preemption import TrainingPreempted

    first = make_runner(
        tmp_path, max_epochs=4, interval=2, save_best="acc", scores=[0.5, 0.6],
        custom_hooks=[_SignalAtIteration(6)],
    )  # fmt: skip
    with pytest.raises(TrainingPreempted):
        first.train()
    resumed = make_runner(
        tmp_path, max_epochs=4, interval=2, save_best="acc",
        scores=[0.9 if improves else 0.1, 0.1], resume=True,
    )  # fmt: skip
    resumed.logger.setLevel(logging.INFO)
    resumed.train()
    if improves:
        assert "Saving epoch_3.pth: validation updated the best score" in run_log(resumed)
        assert load(tmp_path / "epoch_3.pth")["hooks"]["checkpoint"]["best_score"] == {"acc": 0.9}
    else:
        records = json.loads((tmp_path / "last_validation").read_text())["records"]
        assert {"checkpoint": "iter_6.pth", "progress": [3, 6]}.items() <= records[0].items()


def test_a_stop_saved_with_an_epochs_file_is_pruned_before_it(tmp_path: Path) -> None:
    """Stopped at epoch 3's end, the run saved epoch_3.pth, then the stop's iter_6.pth. The
    stop's file was adopted as the newest, so the next save pruned epoch_3.pth (the file a
    validation writes again) and kept iter_6.pth, unlike a run never stopped."""
    from runner_core.runner.preemption import TrainingPreempted

    stopped = make_runner(
        tmp_path, max_epochs=4, interval=1, max_keep_ckpts=2,
        custom_hooks=[_SignalAtIteration(6)],
    )  # fmt: skip
    with pytest.raises(TrainingPreempted):
        stopped.train()
    assert names(tmp_path) == {"epoch_2.pth", "epoch_3.pth", "iter_6.pth"}
    make_runner(tmp_path, max_epochs=4, interval=1, max_keep_ckpts=2, resume=True).train()
    assert names(tmp_path) == {"epoch_3.pth", "epoch_4.pth"}


def test_a_hook_state_holding_nan_is_unchanged_by_a_validation() -> None:
    """NaN != NaN made a hook state holding a NaN (an early-stopping score) look changed at
    every validation, so the progress checkpoint was written again each time."""
    from runner_hooks_standard.checkpoint_progress import same_state

    nan = float("nan")
    assert same_state(
        {"best": nan, "t": torch.tensor([1.0, nan])}, {"best": nan, "t": torch.tensor([1.0, nan])}
    )
    assert not same_state({"best": nan}, {"best": 1.0})
    assert not same_state(torch.tensor([nan, 1.0]), torch.tensor([nan, 2.0]))
    assert not same_state(torch.tensor([nan, 0.0]), torch.tensor([0.0, nan]))
    big = torch.finfo(torch.float32).max
    assert not same_state(torch.tensor([nan, float("inf")]), torch.tensor([nan, big]))
    # a third-party hook's numpy state: compared, not a crash of after_val
    assert same_state(
        {"s": np.float64(nan), "a": np.array([1.0, nan])},
        {"s": np.float64(nan), "a": np.array([1.0, nan])},
    )
    assert not same_state(np.array([1, 2]), np.array([1, 3]))
    assert not same_state(torch.tensor([1.0]).to_sparse(), torch.tensor([2.0]).to_sparse())


def test_an_old_checkpoint_swapped_for_a_link_outside_names_the_links_target(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """max_keep_ckpts meets epoch_1.pth moved to a backup and linked back: the link stays,
    and the warning says it is a link, naming where it points."""
    from types import SimpleNamespace

    from runner_hooks_standard.checkpoint_files import remove_checkpoint

    work, backup = tmp_path / "work", tmp_path / "backup"
    work.mkdir()
    backup.mkdir()
    (backup / "epoch_1.pth").write_bytes(b"weights")
    (work / "epoch_1.pth").symlink_to(backup / "epoch_1.pth")
    runner: Any = SimpleNamespace(work_dir=str(work), logger=logging.getLogger("t_prune_link"))
    with caplog.at_level(logging.WARNING, logger="t_prune_link"):
        assert remove_checkpoint(work / "epoch_1.pth", runner) is False
    assert caplog.messages == [
        f"Not deleting {work / 'epoch_1.pth'}: it is a link to {backup / 'epoch_1.pth'}, which "
        "is outside this run's work dir, so it is not a checkpoint this run wrote."
    ]
    assert (work / "epoch_1.pth").is_symlink() and (backup / "epoch_1.pth").exists()
