"""Which checkpoint a run loads, and whether it resumes or loads weights only.

One decision (``ResumeState.choose``) serves ``train()``, ``val()``, ``test()``,
``load_or_resume()`` called from user code and ``runner._load_from``; the rows
here are those where the four used to disagree, or disagreed with MMEngine 0.10.7.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.errors import ConfigFileNotFoundError
from runner_core.evaluator import BaseMetric
from runner_core.hooks import Hook, HookManager
from runner_core.model import ModuleAdapter
from runner_core.runner.resume import AUTO, LoadChoice, ResumeState


class Batches(BaseMetric):
    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(1)

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        return {"batches": len(results)}


class CountLoads(Hook):
    """Every load and resume reaches ``after_load_checkpoint``."""

    def __init__(self) -> None:
        self.loads = 0

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        self.loads += 1


def _runner(work_dir: Path, max_epochs: int = 1, train: bool = True, **kwargs: Any) -> Runner:
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    data = TensorDataset(x, x.sum(1, keepdim=True))
    model = nn.Linear(2, 1)
    with torch.no_grad():  # every test starts from zeros: anything else was loaded
        model.weight.zero_()
        model.bias.zero_()
    parts: dict[str, Any] = {}
    if train:
        parts = dict(
            train_dataloader=dict(dataset=data, batch_size=4),
            train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        )
    return Runner(
        model=ModuleAdapter(model, loss_fn=nn.functional.mse_loss),
        work_dir=str(work_dir),
        val_dataloader=dict(dataset=data, batch_size=4),
        val_evaluator=Batches(),
        test_dataloader=dict(dataset=data, batch_size=4),
        test_evaluator=Batches(),
        default_hooks=dict(logger=dict(interval=100, progress_bar=False)),
        randomness=dict(seed=1),
        **parts,
        **kwargs,
    )


def _weight(runner: Runner) -> float:
    return float(runner.unwrapped_model.module.weight.detach()[0, 0])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A work dir holding epoch_1.pth (and its pointer), and that checkpoint's weight."""
    work_dir = tmp_path_factory.mktemp("trained")
    runner = _runner(work_dir)
    runner.train()
    return work_dir, _weight(runner)


def _copy(trained: tuple[Path, float], to: Path) -> Path:
    shutil.copytree(trained[0], to)
    return to


# -- resume requested, then val() / test() ---------------------------------------------------
@pytest.mark.parametrize("call", ["val", "test"])
@pytest.mark.parametrize("resume", [True, "auto"])
def test_val_and_test_of_a_resumed_run_load_the_newest_checkpoints_weights(
    trained: tuple[Path, float], tmp_path: Path, call: str, resume: Any
) -> None:
    """MMEngine's val()/test() resume the newest checkpoint (its weights with it); ours
    used to evaluate the untrained model."""
    count = CountLoads()
    runner = _runner(_copy(trained, tmp_path / "wd"), resume=resume, custom_hooks=[count])
    assert getattr(runner, call)() == {"batches": 2}
    assert _weight(runner) == pytest.approx(trained[1]) and trained[1] != 0.0
    assert count.loads == 1
    assert isinstance(runner._train_loop, dict)  # weights only: nothing of training was built


def test_val_then_train_of_a_resumed_run_still_resumes_the_whole_state(
    trained: tuple[Path, float], tmp_path: Path
) -> None:
    runner = _runner(_copy(trained, tmp_path / "wd"), max_epochs=2, resume=True)
    runner.val()
    runner.train()
    assert runner.resume_state.resumed_from == str(tmp_path / "wd" / "epoch_1.pth")
    assert runner.iter == 4  # one epoch of 2 batches after the resumed one, not two


def test_a_second_resume_after_a_load_is_loaded_by_the_next_load_or_resume(
    tmp_path: Path,
) -> None:
    """MMEngine's resume() loads at once; ours at the next load_or_resume() (or run call),
    also when an earlier resume was loaded already."""
    trainer = _runner(tmp_path / "wd", max_epochs=2)
    trainer.train()
    weights = {}
    for epoch in (1, 2):
        checkpoint = torch.load(tmp_path / "wd" / f"epoch_{epoch}.pth", weights_only=True)
        weights[epoch] = float(checkpoint["state_dict"]["module.weight"][0, 0])
    assert weights[1] != weights[2]
    runner = _runner(tmp_path / "wd", max_epochs=3)
    for epoch in (2, 1):
        runner.resume(str(tmp_path / "wd" / f"epoch_{epoch}.pth"))
        runner.load_or_resume()
        assert (runner.epoch, runner.iter) == (epoch, 2 * epoch)
        assert _weight(runner) == pytest.approx(weights[epoch])
    runner.load_or_resume()  # nothing new asked for: nothing loaded again
    assert (runner.epoch, runner.iter) == (1, 2)
    # train() after a new resume() starts from it, not from what load_or_resume() prepared
    runner.resume(str(tmp_path / "wd" / "epoch_2.pth"))
    runner.load_or_resume()
    runner.resume(str(tmp_path / "wd" / "epoch_1.pth"))
    started: list[tuple[int, int]] = []

    class Start(Hook):
        def before_run(self, runner: Any) -> None:
            started.append(("before_run", 0))

        def before_train(self, runner: Any) -> None:
            started.append((runner.epoch, runner.iter))

    runner.register_hook(Start())
    runner.train()
    # the run load_or_resume() began goes on (one before_run, before the hook was added)
    assert started == [(1, 2)] and runner.iter == 6


def test_val_of_a_resumed_run_without_checkpoints_keeps_the_weights_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = _runner(tmp_path / "empty", resume=True)
    runner.val()
    assert _weight(runner) == 0.0
    assert "holds no complete checkpoint, so the model keeps its current weights" in (
        capsys.readouterr().out
    )


def test_load_or_resume_of_a_runner_that_cannot_train_loads_the_newest_weights(
    trained: tuple[Path, float], tmp_path: Path
) -> None:
    """An evaluation script: no training parts, resume=True, load_or_resume()."""
    runner = _runner(_copy(trained, tmp_path / "wd"), train=False, resume=True)
    runner.load_or_resume()
    assert _weight(runner) == pytest.approx(trained[1])


# -- resume='auto' with load_from: a fine-tune that resumes itself after preemption ----------
@pytest.mark.parametrize("call", ["train", "val", "load_or_resume"])
def test_auto_resume_with_nothing_to_resume_starts_from_load_from(
    trained: tuple[Path, float], tmp_path: Path, call: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pretrained weights used to be dropped: training started from scratch."""
    pretrained = str(trained[0] / "epoch_1.pth")
    runner = _runner(tmp_path / "empty", resume="auto", load_from=pretrained)
    getattr(runner, call)()
    out = capsys.readouterr().out
    assert "starts from scratch" not in out and "keeps its current weights" not in out
    if call != "train":
        assert _weight(runner) == pytest.approx(trained[1]) and trained[1] != 0.0
        return
    assert f"training starts from the weights of load_from={pretrained!r}" in out
    assert runner.resume_state.resumed_from is None
    fine_tuned = _runner(tmp_path / "plain", load_from=pretrained)
    fine_tuned.train()
    assert _weight(runner) == _weight(fine_tuned) != trained[1]


def test_auto_resume_with_load_from_resumes_the_work_dirs_newest_checkpoint(
    trained: tuple[Path, float], tmp_path: Path
) -> None:
    """load_from is only read while there is nothing to resume (here: no such file)."""
    work_dir = _copy(trained, tmp_path / "wd")
    runner = _runner(work_dir, max_epochs=2, resume="auto", load_from=str(tmp_path / "no.pth"))
    runner.train()
    assert runner.resume_state.resumed_from == str(work_dir / "epoch_1.pth")
    assert runner.iter == 4


# -- load_from='auto' ------------------------------------------------------------------------
@pytest.mark.parametrize("resume", [False, True])
def test_load_from_auto_is_refused_naming_load_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, resume: bool
) -> None:
    """It used to be skipped by val()/test(), read as a file by train(), and taken as
    resume='auto' with resume=True; MMEngine fails to find the file 'auto'."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigFileNotFoundError, match=r"load_from='auto'.*resume") as info:
        _runner(tmp_path / "wd", load_from="auto", resume=resume)
    assert isinstance(info.value, FileNotFoundError)  # MMEngine's error


def test_load_from_auto_in_a_config_suggests_resume_auto(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cfg: dict[str, Any] = dict(model=ModuleAdapter(nn.Linear(2, 1)), work_dir=str(tmp_path / "wd"))
    wanted = r"load_from='auto' names no checkpoint file.*use resume='auto'"
    with pytest.raises(FileNotFoundError, match=wanted) as from_cfg:
        Runner.from_cfg({**cfg, "load_from": "auto"})
    with pytest.raises(FileNotFoundError, match=wanted) as direct:
        Runner(**cfg, load_from="auto")
    assert str(from_cfg.value) == str(direct.value)  # one message, however the Runner is made
    assert not (tmp_path / "wd").exists()  # refused before the work dir is made


def test_load_from_auto_reads_a_file_named_auto_in_every_run_method(
    trained: tuple[Path, float], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(trained[0] / "epoch_1.pth", tmp_path / "auto")
    runner = _runner(tmp_path / "a", load_from="auto")
    runner.val()
    assert _weight(runner) == pytest.approx(trained[1])
    resumed = _runner(tmp_path / "b", max_epochs=2, load_from="auto", resume=True)
    resumed.train()  # that file, not the newest checkpoint of the (empty) work dir
    assert Path(str(resumed.resume_state.resumed_from)).resolve() == tmp_path / "auto"
    assert resumed.iter == 4


# -- the one decision --------------------------------------------------------------------------
def _state(resume: Any = False, load_from: Any = None) -> ResumeState:
    return ResumeState(resume, load_from)


@pytest.mark.parametrize(
    ("state", "step", "can_train", "loaded", "expected"),
    [
        (_state(), "train", True, False, None),
        (_state(load_from="a.pth"), "train", True, False, ("weights", "a.pth")),
        (_state(load_from="a.pth"), "val", False, False, ("weights", "a.pth")),
        (_state(load_from="a.pth"), None, True, False, ("weights", "a.pth")),
        (_state(load_from="a.pth"), "test", False, True, None),  # load_checkpoint() came first
        (_state(True), "train", True, False, ("resume", AUTO)),
        (_state(True), "train", True, True, ("resume", AUTO)),  # train() resumes regardless
        (_state(True), "val", True, False, ("weights", AUTO)),
        (_state(True), "test", True, True, None),
        (_state(True), None, True, False, ("resume", AUTO)),
        (_state(True), None, False, False, ("weights", AUTO)),  # cannot train
        (_state(True), None, True, True, None),
        (_state(True, "b.pth"), "val", False, False, ("weights", "b.pth")),
        (_state("b.pth", "a.pth"), "train", True, False, ("resume", "b.pth")),
        (_state("b.pth", "a.pth"), "test", False, False, ("weights", "b.pth")),
    ],
)
def test_choose_decides_each_load(
    state: ResumeState, step: str | None, can_train: bool, loaded: bool, expected: Any
) -> None:
    choice = state.choose(step, can_train=can_train, loaded=loaded)
    assert choice == (None if expected is None else LoadChoice(*expected))


def test_load_from_names_the_file_as_mmengines_private_attribute(tmp_path: Path) -> None:
    assert _state(True).named_file is None  # the newest of the work dir: no name
    assert _state("auto").named_file is None
    assert _state("auto", "a.pth").named_file == "a.pth"  # what it starts from, if nothing else
    assert _state(True, "a.pth").named_file == "a.pth"
    assert _state("b.pth").named_file == "b.pth"
    assert _state(False, "a.pth").named_file == "a.pth"
    runner = _runner(tmp_path, load_from="a.pth")
    assert runner._load_from == "a.pth"
    runner.resume("b.pth")
    assert (runner._load_from, runner._resume) == ("b.pth", True)


# -- when a run is in progress: watched by the hook manager, not by call_hook ------------------
def test_a_subclass_call_hook_that_calls_super_keeps_a_script_resume_at_once(
    trained: tuple[Path, float], tmp_path: Path
) -> None:
    """A script that calls before_run itself, through an MMEngine-style call_hook override:
    load_or_resume() then resumes at once, as inside a run."""
    seen: list[str] = []

    class Traced(Runner):
        def call_hook(self, fn_name: str, **kwargs: Any) -> None:
            seen.append(fn_name)
            super().call_hook(fn_name, **kwargs)

    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    runner = Traced(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(_copy(trained, tmp_path / "wd")),
        train_dataloader=dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(logger=dict(interval=100, progress_bar=False)),
        resume=True,
    )
    runner.call_hook("before_run")
    runner.load_or_resume()
    assert (runner.epoch, _weight(runner)) == (1, pytest.approx(trained[1]))
    runner.call_hook("after_run")
    assert seen == ["before_run", "after_load_checkpoint", "after_run"]  # as MMEngine's
    assert not runner._run_phase.in_run


def test_hook_manager_watch_runs_around_the_hooks() -> None:
    order: list[str] = []

    class Seen(Hook):
        def before_run(self, runner: Any) -> None:
            order.append("hook")
            if runner == "fail":
                raise RuntimeError("boom")

    hooks = HookManager()
    hooks.register(Seen(), "NORMAL")
    hooks.watch("before_run", before=lambda: order.append("before"))
    hooks.watch("before_run", after=lambda: order.append("after"))
    hooks.call("before_run", {"runner": None})
    assert order == ["before", "hook", "after"]
    order.clear()
    with pytest.raises(RuntimeError, match="boom"):
        hooks.call("before_run", {"runner": "fail"})
    assert order == ["before", "hook"]  # after runs only when the hooks did
    order.clear()
    hooks.points.before_run(None)  # the fast path runs no watch
    assert order == ["hook"]


def test_a_failed_run_ends_the_run_phase(tmp_path: Path) -> None:
    """After a train() that raised, load_or_resume() from user code is again a call
    outside a run (it prepares the next train() instead of loading into hooks)."""

    class Boom(Hook):
        def before_train_epoch(self, runner: Any) -> None:
            raise RuntimeError("boom")

    runner = _runner(tmp_path / "wd", custom_hooks=[Boom()])
    with pytest.raises(RuntimeError, match="boom"):
        runner.train()
    assert not runner._run_phase.in_run


def test_resuming_from_a_bare_state_dict_says_so_and_lists_only_its_keys(tmp_path: Path) -> None:
    """The message listed a 'meta' key the file does not have (the resume added it)."""
    from runner_core.checkpoint import CheckpointError

    bare = tmp_path / "weights.pth"
    torch.save(nn.Linear(2, 1).state_dict(), bare)
    runner = _runner(tmp_path / "work", resume=True, load_from=str(bare))
    with pytest.raises(CheckpointError) as info:
        runner.train()
    message = str(info.value)
    assert "looks like a bare state_dict (parameter names) (keys: 'bias', 'weight')" in message
    assert "'meta'" not in message and "use load_from without resume" in message


@pytest.mark.parametrize(
    ("meta", "says"),
    [
        (None, "it has no 'meta'"),
        ({"epoch": 3}, "its 'meta' has 'epoch' (3) but no 'iter'"),
        ({"iter": 24}, "its 'meta' has 'iter' (24) but no 'epoch'"),
    ],
)
def test_resuming_a_checkpoint_without_its_position_is_refused(
    tmp_path: Path, meta: dict[str, int] | None, says: str
) -> None:
    """A checkpoint without meta.epoch / meta.iter resumed at epoch 3 and iteration 0 (or
    at epoch 0): the run's counters disagreed and its schedule ran again. MMEngine raises
    KeyError there; ours names the file and the key, and the way to take the weights."""
    from runner_core.checkpoint import CheckpointError

    ckpt: dict[str, Any] = {"state_dict": nn.Linear(2, 1).state_dict()}
    if meta is not None:
        ckpt["meta"] = meta
    path = tmp_path / "weights.pth"
    torch.save(ckpt, path)
    runner = _runner(tmp_path / "work", max_epochs=4, resume=str(path))
    with pytest.raises(CheckpointError) as info:
        runner.train()
    assert isinstance(info.value, KeyError)
    message = str(info.value)
    assert f"Cannot resume from {str(path)!r}: {says}" in message
    assert f"load_from={str(path)!r} (resume=False)" in message
    assert runner.iter == 0 and _weight(runner) == 0.0  # nothing trained, nothing loaded
