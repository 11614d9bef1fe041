"""How a Runner loads checkpoints: resume's strictness, load_cfg, revise_keys, URLs, meta."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

from runner_core import Runner
from runner_core.checkpoint import CheckpointError, read_pointer
from runner_core.model import BaseModel


class Data(Dataset):
    def __init__(self) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(8, 2, generator=g)

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"inputs": self.x[i], "labels": self.x[i].sum(0, keepdim=True)}


class Net(BaseModel):
    def __init__(self, extra: bool = False, teacher: bool = False) -> None:
        super().__init__()
        self.student = nn.Linear(2, 1)
        if teacher:
            self.teacher = nn.Linear(2, 1)
        if extra:  # a buffer added since the checkpoint (a new statistic, an EMA counter)
            self.register_buffer("extra", torch.zeros(1))

    def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
        out = self.student(inputs)
        return {"loss": ((out - labels) ** 2).mean()} if mode == "loss" else out


def _runner(work_dir: Path, max_epochs: int, model: nn.Module, **kwargs: Any) -> Runner:
    torch.manual_seed(0)
    kwargs.setdefault("train_cfg", dict(by_epoch=True, max_epochs=max_epochs))
    return Runner(
        model=model,
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=Data(), batch_size=4),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(
            logger=dict(interval=1, progress_bar=False), **kwargs.pop("default_hooks", {})
        ),
        **kwargs,
    )


def test_resume_loads_non_strictly_unless_load_cfg_says_strict(tmp_path: Path, capsys) -> None:
    _runner(tmp_path / "a", 1, Net()).train()
    ckpt = tmp_path / "a" / "epoch_1.pth"
    resumed = _runner(tmp_path / "b", 2, Net(extra=True), resume=ckpt)
    resumed.train()  # as MMEngine: what does not fit is reported, training goes on
    assert (resumed.epoch, resumed.iter) == (2, 4)
    assert "missing in checkpoint (kept as initialised) (1):\n  extra" in capsys.readouterr().out
    strict = _runner(tmp_path / "c", 2, Net(extra=True), resume=ckpt, load_cfg=dict(strict=True))
    with pytest.raises(CheckpointError, match=r"Set load_cfg=dict\(strict=False\)"):
        strict.train()


def test_resume_loads_the_runs_own_keys_whatever_load_cfg_renames(tmp_path: Path) -> None:
    """load_cfg's revise_keys are for load_from: a resume (MMEngine's tools/train.py --resume
    keeps load_cfg) must not rename the run's own keys and lose its trained weights."""
    seed = dict(seed=0)

    def net() -> Net:
        torch.manual_seed(0)
        return Net()

    _runner(tmp_path / "a", 1, net(), randomness=seed).train()
    rename = dict(revise_keys=[(r"^student\.", "old_student.")])
    resumed = _runner(tmp_path / "a", 2, net(), resume=True, load_cfg=rename, randomness=seed)
    resumed.train()  # trains epoch 2 from epoch 1's weights
    again = _runner(tmp_path / "b", 2, net(), randomness=seed)
    again.train()
    assert torch.equal(resumed.model.student.weight, again.model.student.weight)


def test_given_revise_keys_apply_through_the_runner(tmp_path: Path) -> None:
    torch.manual_seed(1)
    trained = Net(teacher=True)
    student = {k: v for k, v in trained.state_dict().items() if k.startswith("student.")}
    torch.save({"state_dict": student}, tmp_path / "student.pth")
    runner = _runner(tmp_path / "wd", 1, Net(teacher=True))
    before = runner.model.student.weight.clone()
    runner.load_checkpoint(tmp_path / "student.pth", revise_keys=[(r"^student\.", "teacher.")])
    assert torch.equal(runner.model.teacher.weight.cpu(), trained.student.weight)
    assert torch.equal(runner.model.student.weight, before)


def test_load_errors_name_the_runner_option(tmp_path: Path) -> None:
    torch.save({"state_dict": {"net.student.weight": torch.ones(1, 2)}}, tmp_path / "p.pth")
    # (a prefix the default rule does not strip: the hint names the option to give)
    runner = _runner(tmp_path / "wd", 1, Net())
    with pytest.raises(
        CheckpointError, match=r"load_cfg=dict\(revise_keys=\[\(r'\^net\\\.', ''\)\]"
    ):
        runner.load_checkpoint(tmp_path / "p.pth")


def test_a_url_is_refused_with_the_way_to_use_it(tmp_path: Path) -> None:
    url = "https://download.openmmlab.com/mmdetection/v2.0/x/model.pth"
    runner = _runner(tmp_path, 1, Net(), load_from=url)
    with pytest.raises(FileNotFoundError, match=r"'https://download\.openmmlab.*never downloads"):
        runner.train()
    # from a config, before anything is built: an input error naming the key
    from runner_core import Config
    from runner_core.errors import ConfigError

    cfg = Config(dict(model=dict(type="Net"), work_dir=str(tmp_path), resume="s3://bucket/x.pth"))
    with pytest.raises(ConfigError, match=r"resume 's3://bucket/x\.pth' is a URL \(s3://\)"):
        Runner.from_cfg(cfg)


def test_meta_must_be_a_dict(tmp_path: Path) -> None:
    runner = _runner(tmp_path, 1, Net())
    runner.train()
    with pytest.raises(TypeError, match="meta should be a dict or None, got str"):
        runner.save_checkpoint(tmp_path, "x.pth", meta="x")  # type: ignore[arg-type]
    assert not (tmp_path / "x.pth").exists()


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        (lambda c: c.__setitem__("meta", "oops"), "'meta' is a str ('oops')", "a dict"),
        (lambda c: c.__setitem__("hooks", 5), "'hooks' is an int (5)", "a dict of hook states"),
        (lambda c: c.__setitem__("loop", "abc"), "'loop' is a str", "a dict"),
        (lambda c: c["meta"].__setitem__("epoch", "abc"), "'meta.epoch' is a str", "an int"),
        (
            lambda c: c.__setitem__("rng", {"torch": torch.zeros(3, dtype=torch.uint8)}),
            "'rng.python' is None (or missing)",
            "a dict with 'version'",
        ),
        (
            lambda c: c["rng"]["numpy"].__setitem__("keys", torch.zeros(3)),
            "'rng.numpy.keys' is a Tensor",
            "a Tensor of 624 numbers",
        ),
    ],
)
def test_a_malformed_resume_checkpoint_names_the_file_and_key(
    tmp_path: Path, change: Any, key: str, expected: str
) -> None:
    _runner(tmp_path / "a", 1, Net()).train()
    ckpt = torch.load(tmp_path / "a" / "epoch_1.pth", weights_only=True)
    change(ckpt)
    bad = tmp_path / "bad.pth"
    torch.save(ckpt, bad)
    runner = _runner(tmp_path / "b", 2, Net(), resume=bad)
    with pytest.raises(CheckpointError) as caught:
        runner.train()
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    assert f"Cannot resume from {str(bad)!r}: its {key}" in message
    assert f"expected {expected}" in message
    assert runner.iter == 0  # nothing was trained


def test_a_pointer_at_a_file_outside_the_work_dir_starts_fresh(tmp_path: Path, capsys) -> None:
    outside = tmp_path / "hostname"
    outside.write_text("vm\n")
    work = tmp_path / "wd"
    work.mkdir()
    (work / "last_checkpoint").write_text(str(outside))
    runner = _runner(work, 1, Net(), resume=True)
    runner.train()  # no checkpoint of the work dir would be overwritten: a fresh start
    assert runner.iter == 2 and (work / "epoch_1.pth").is_file()
    out = capsys.readouterr().out
    assert "training starts from scratch" in out and "none of the" not in out
    assert outside.read_text() == "vm\n"


@pytest.mark.parametrize(
    ("load_cfg", "expected"),
    [
        (
            {"mapp": False},
            r"load_cfg has no option 'mapp'\. Did you mean 'mmap'\? Its options: strict, "
            r"revise_keys, allow_pickle, mmap\.",
        ),
        ({"stric": True}, r"no option 'stric'\. Did you mean 'strict'\?"),
        ({"mmap": "no"}, r"load_cfg\.mmap='no' is not valid: it must be True or False\."),
        ({"mmap": None}, r"load_cfg\.mmap=None is not valid"),
        ({"allow_pickle": "no"}, r"load_cfg\.allow_pickle='no' is not valid"),
        ({"strict": 1}, r"load_cfg\.strict=1 is not valid"),
    ],
)
def test_an_unknown_load_cfg_option_or_a_switch_that_is_not_a_bool_is_refused(
    tmp_path: Path, load_cfg: dict[str, Any], expected: str
) -> None:
    """A typo (mapp=False) used to be ignored, and mmap='no' read as True."""
    from runner_core.errors import ConfigError

    with pytest.raises(ConfigError, match=expected):
        Runner(model=Net(), work_dir=str(tmp_path), load_cfg=load_cfg)


def test_every_load_cfg_option_is_accepted(tmp_path: Path) -> None:
    load_cfg = dict(strict=None, revise_keys=[(r"^module\.", "")], allow_pickle=False, mmap=False)
    assert Runner(model=Net(), work_dir=str(tmp_path), load_cfg=load_cfg).load_cfg == load_cfg


@pytest.mark.parametrize("checkpoint", [dict(filename_tmpl="ckpt_{}.pth"), dict(out_dir="out")])
def test_resume_never_starts_over_on_the_runs_own_damaged_files(
    tmp_path: Path, checkpoint: dict[str, Any]
) -> None:
    # filename_tmpl / out_dir put checkpoints where the default names are not: damaged, they
    # must stop the resume as damaged epoch_N.pth files do, not be overwritten by a fresh run
    if "out_dir" in checkpoint:
        checkpoint = dict(out_dir=str(tmp_path / "out"))

    def runner(epochs: int, **kwargs: Any) -> Runner:
        torch.manual_seed(0)
        return Runner(
            model=Net(),
            work_dir=str(tmp_path / "wd"),
            train_dataloader=dict(dataset=Data(), batch_size=4),
            train_cfg=dict(by_epoch=True, max_epochs=epochs),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
            default_hooks=dict(logger=dict(progress_bar=False), checkpoint=checkpoint),
            **kwargs,
        )

    runner(2).train()
    newest = read_pointer(tmp_path / "wd")
    assert newest is not None and newest.name in ("ckpt_2.pth", "epoch_2.pth")
    newest.unlink()  # rolled back by hand: the run before it resumes
    resumed = runner(3, resume=True)
    resumed.train()
    assert resumed.resume_state.resumed_from == str(newest.with_name(newest.name.replace("2", "1")))
    files = sorted(newest.parent.glob("*_[0-9].pth"))
    damaged = {path: path.read_bytes()[:200] for path in files}
    for path, head in damaged.items():
        path.write_bytes(head)
    with pytest.raises(CheckpointError, match="none of the 3 checkpoint") as caught:
        runner(4, resume=True).train()
    assert str(newest.parent) in str(caught.value)  # where they are: out_dir's folder too
    assert {path: path.read_bytes() for path in files} == damaged  # nothing overwritten


def test_load_checkpoint_takes_the_allow_pickle_its_refusal_advises(tmp_path: Path) -> None:
    """The refusal says load_checkpoint(..., allow_pickle=True): on a Runner that works too,
    without building it again with load_cfg."""
    from fractions import Fraction

    source = Net()
    path = tmp_path / "old.pth"
    state = {f"module.{k}": v for k, v in source.state_dict().items()}
    torch.save({"state_dict": state, "meta": {"ratio": Fraction(1, 3)}}, path)
    runner = Runner(model=Net(), work_dir=str(tmp_path / "wd"))
    with pytest.raises(CheckpointError, match=r"load_checkpoint\(\.\.\., allow_pickle=True\)"):
        runner.load_checkpoint(path)
    with pytest.raises(TypeError, match=r"runner\.load_checkpoint's allow_pickle='yes'"):
        runner.load_checkpoint(path, allow_pickle="yes")
    checkpoint = runner.load_checkpoint(path, allow_pickle=True)
    assert checkpoint["meta"]["ratio"] == Fraction(1, 3)
    assert torch.equal(runner.model.student.weight, source.student.weight)
    # and load_cfg=dict(allow_pickle=True) is still the default an argument overrides
    trusting = Runner(model=Net(), work_dir=str(tmp_path / "wd2"), load_cfg={"allow_pickle": True})
    trusting.load_checkpoint(path)
    with pytest.raises(CheckpointError, match="Refusing to load"):
        trusting.load_checkpoint(path, allow_pickle=False)


def test_resume_skipping_a_damaged_checkpoint_says_so_in_the_runs_log(tmp_path: Path) -> None:
    """The skip lines reach the run's log file, in its format, like the other resume lines."""
    _runner(tmp_path, 2, Net()).train()
    newest = tmp_path / "epoch_2.pth"
    newest.write_bytes(newest.read_bytes()[:100])
    resumed = _runner(tmp_path, 3, Net(), resume=True)
    resumed.train()
    log = next(resumed.log_dir.glob("*.log")).read_text()
    assert "Resumed after 1 completed epochs" in log and resumed.iter == 6
    assert f"points at {newest}, which is missing or broken" in log
    skipped = [line for line in log.splitlines() if f"Skipping checkpoint {newest}" in line]
    assert len(skipped) == 1 and " - WARNING - " in skipped[0], skipped


def test_resuming_a_finished_run_says_it_has_nothing_left_to_train(tmp_path: Path) -> None:
    """Epoch- and iteration-based: the log said only "Resumed after ..." and where new
    checkpoints would go, not that the run had ended or how to train on."""
    _runner(tmp_path / "e", 2, Net()).train()
    resumed = _runner(tmp_path / "e", 2, Net(), resume=True)
    resumed.train()
    log = next(resumed.log_dir.glob("*.log")).read_text()
    assert "epoch_2.pth is the end of the run (2 of max_epochs=2)" in log
    assert "Raise max_epochs in train_cfg" in log
    iters = dict(train_cfg=dict(type="IterBasedTrainLoop", max_iters=3))
    _runner(tmp_path / "i", 0, Net(), **iters).train()
    resumed = _runner(tmp_path / "i", 0, Net(), resume=True, **iters)
    resumed.train()
    log = next(resumed.log_dir.glob("*.log")).read_text()
    assert "iter_3.pth is the end of the run (3 of max_iters=3)" in log
    more = _runner(tmp_path / "e", 3, Net(), resume=True)  # more to do: nothing said
    more.train()
    assert "end of the run" not in next(more.log_dir.glob("*.log")).read_text()
    assert more.epoch == 3
    # an epoch checkpoint resumed into an iteration loop (max_epochs: a placeholder 1)
    longer = dict(train_cfg=dict(type="IterBasedTrainLoop", max_iters=20))
    switched = _runner(tmp_path / "e", 0, Net(), resume=True, **longer)
    switched.train()
    assert "end of the run" not in next(switched.log_dir.glob("*.log")).read_text()
    assert switched.iter == 20


def test_resuming_a_checkpoint_without_optimizer_state_says_what_starts_afresh(
    tmp_path: Path,
) -> None:
    """MMEngine fails with KeyError('optimizer'); the run goes on, but not silently."""
    hooks = dict(checkpoint=dict(type="CheckpointHook", save_optimizer=False))
    _runner(tmp_path, 1, Net(), default_hooks=hooks).train()
    assert "optimizer" not in torch.load(tmp_path / "epoch_1.pth", weights_only=True)
    resumed = _runner(tmp_path, 2, Net(), resume=True)
    resumed.train()
    log = next(resumed.log_dir.glob("*.log")).read_text()
    assert "epoch_1.pth holds no optimizer state" in log and resumed.epoch == 2
