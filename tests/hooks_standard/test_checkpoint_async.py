"""CheckpointHook(async_save=True): the same files as a synchronous save, written in the background.

Ordering is asserted through injected writers that record what happened and
wait on events, never through timing.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import checkpoint_runs
import pytest
import torch

import runner_core.checkpoint as ckpt_pkg
from runner_core import Runner
from runner_core.checkpoint import CheckpointError, load_checkpoint, read_pointer
from runner_core.checkpoint.background import BackgroundWriter
from runner_core.hooks import Hook, Priority
from runner_hooks_standard.checkpoint import CheckpointHook


def make_runner(
    work_dir: Path,
    max_epochs: int = 4,
    scores: list[float] | None = None,
    custom_hooks: list[Any] | None = None,
    resume: bool = False,
    **hook: Any,
) -> Runner:
    """A checkpoint-every-epoch run (SGD with momentum, so optimizer state is saved)."""
    hook.setdefault("interval", 1)
    return checkpoint_runs.make_runner(
        work_dir, max_epochs, scores, resume=resume, custom_hooks=custom_hooks, momentum=0.9, **hook
    )


def same(a: Any, b: Any, where: str = "ckpt") -> None:
    """Deep equality of two loaded checkpoints (tensors exactly)."""
    assert type(a) is type(b), where
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            if (where, k) in (("ckpt['meta']", "time"), ("ckpt['meta']", "cfg")):
                continue
            same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    else:
        assert a == b, where


def names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if not p.name.endswith(".log")}


def test_async_files_and_pointer_equal_a_synchronous_run(tmp_path: Path) -> None:
    """max_keep_ckpts + save_best + EMA: the same files, pointer and contents."""
    options = dict(max_keep_ckpts=2, save_best="acc")
    scores = [0.5, 0.7, 0.6, 0.8]
    ema = [dict(type="EMAHook")]
    make_runner(tmp_path / "sync", scores=scores, custom_hooks=ema, **options).train()
    make_runner(
        tmp_path / "async", scores=scores, custom_hooks=ema, async_save=True, **options
    ).train()
    sync_files = {p.name for p in (tmp_path / "sync").glob("*.pth")}
    assert sync_files == {"epoch_3.pth", "epoch_4.pth", "best_acc_epoch_4.pth"}
    assert {p.name for p in (tmp_path / "async").glob("*.pth")} == sync_files
    assert read_pointer(tmp_path / "async").name == read_pointer(tmp_path / "sync").name
    for name in sync_files:
        same(load_checkpoint(tmp_path / "sync" / name), load_checkpoint(tmp_path / "async" / name))
    assert not [p for p in (tmp_path / "async").iterdir() if ".tmp-" in p.name]


class KeepsOldNames(Hook):
    """Stores every weight a second time under an old name: the same tensor, two keys."""

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        weights = checkpoint["state_dict"]
        weights.update({"legacy." + k: v for k, v in list(weights.items())})


class EditsTheModel(Hook):
    """Changes the model in place as the checkpoint is taken (and keeps the change)."""

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        with torch.no_grad():
            for p in runner.model.parameters():
                p.add_(100.0)


@pytest.mark.parametrize("hook", [KeepsOldNames, EditsTheModel])
def test_hooks_editing_the_checkpoint_or_the_model_save_what_a_sync_run_saves(
    tmp_path: Path, hook: type
) -> None:
    # a tensor stored twice was offered twice to the next snapshot's buffers, which then
    # held the momentum buffers as weights; an edit of a CPU model made in the hook was
    # missed, the weights having been copied before the hooks ran
    make_runner(tmp_path / "sync", max_epochs=3, custom_hooks=[hook()]).train()
    make_runner(tmp_path / "async", max_epochs=3, custom_hooks=[hook()], async_save=True).train()
    for name in ("epoch_1.pth", "epoch_2.pth", "epoch_3.pth"):
        same(load_checkpoint(tmp_path / "sync" / name), load_checkpoint(tmp_path / "async" / name))


def test_writer_runs_one_write_at_a_time() -> None:
    """A second submit waits for the running write before its own starts."""
    events: list[str] = []
    started, waiting = threading.Event(), threading.Event()

    class Recording(BackgroundWriter):
        def wait(self) -> None:
            if self.busy and not waiting.is_set():
                events.append("second save waits")
                waiting.set()
            super().wait()

    def first() -> None:
        events.append("first starts")
        started.set()
        assert waiting.wait(timeout=30)  # released once the second save is waiting
        events.append("first ends")

    writer = Recording()
    writer.submit(Path("a.pth"), first)
    assert started.wait(timeout=30)
    writer.submit(Path("b.pth"), lambda: events.append("second starts"))
    writer.wait()
    assert events == ["first starts", "second save waits", "first ends", "second starts"]


def test_next_save_snapshots_only_after_the_previous_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the hook: epoch 2's state is taken after epoch 1's file is complete."""
    events: list[str] = []
    waiting = threading.Event()
    real_save, real_wait = ckpt_pkg.save_checkpoint, BackgroundWriter.wait

    def slow_save(ckpt: dict, path: Any, **kw: Any) -> Path:
        events.append(f"write {Path(path).name}")
        if Path(path).name == "epoch_1.pth":
            assert waiting.wait(timeout=30)  # until training wants to save again
        saved = real_save(ckpt, path, **kw)
        events.append(f"wrote {Path(path).name}")
        return saved

    def recording_wait(self: BackgroundWriter) -> None:
        if self.busy:
            waiting.set()
        real_wait(self)

    class Snapshots(Hook):
        priority = Priority.NORMAL

        def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
            events.append(f"snapshot epoch {checkpoint['meta']['epoch']}")

    monkeypatch.setattr(ckpt_pkg, "save_checkpoint", slow_save)
    monkeypatch.setattr(BackgroundWriter, "wait", recording_wait)
    make_runner(tmp_path, max_epochs=2, custom_hooks=[Snapshots()], async_save=True).train()
    assert events == [
        "snapshot epoch 1",
        "write epoch_1.pth",
        "wrote epoch_1.pth",
        "snapshot epoch 2",
        "write epoch_2.pth",
        "wrote epoch_2.pth",
    ]


def test_background_failure_is_raised_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_save = ckpt_pkg.save_checkpoint

    def failing_save(ckpt: dict, path: Any, **kw: Any) -> Path:
        if Path(path).name == "epoch_2.pth":
            raise OSError(28, "No space left on device")
        return real_save(ckpt, path, **kw)

    monkeypatch.setattr(ckpt_pkg, "save_checkpoint", failing_save)
    runner = make_runner(tmp_path, max_epochs=4, async_save=True)
    with pytest.raises(CheckpointError, match=r"epoch_2\.pth.*No space left on device") as err:
        runner.train()
    # an OSError with the OS's errno, as a direct save (and MMEngine's) raises it
    assert isinstance(err.value, OSError) and err.value.errno == 28
    assert str(err.value).startswith(
        f"The background save of checkpoint {str(tmp_path / 'epoch_2.pth')!r} failed: "
        "[Errno 28] No space left on device."
    )
    assert read_pointer(tmp_path).name == "epoch_1.pth"  # the earlier checkpoint stands
    assert load_checkpoint(tmp_path / "epoch_1.pth")["meta"]["epoch"] == 1
    assert not (tmp_path / "epoch_2.pth").exists()
    assert not (tmp_path / "epoch_4.pth").exists()  # the run stopped at the failure


def test_a_background_failure_other_than_the_disks_is_said_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value torch.save refuses was wrapped twice: the file named twice, '..', and advice
    about disk space and permissions for a pickling error."""
    real_save = torch.save
    calls = []

    def failing_save(obj: Any, f: Any, *args: Any, **kw: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("injected writer failure")
        real_save(obj, f, *args, **kw)

    monkeypatch.setattr(torch, "save", failing_save)
    runner = make_runner(tmp_path, max_epochs=4, async_save=True)
    with pytest.raises(CheckpointError) as err:
        runner.train()
    message = str(err.value)
    assert message.count("epoch_2.pth") == 1 and ".." not in message
    assert "RuntimeError: injected writer failure" in message
    assert any(
        "background save" in note and "left as they were" in note for note in err.value.__notes__
    )
    assert read_pointer(tmp_path).name == "epoch_1.pth"


def test_run_end_waits_for_the_last_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last write is held until after_run begins; train() returns with the file whole."""
    release = threading.Event()
    real_save = ckpt_pkg.save_checkpoint

    def held_save(ckpt: dict, path: Any, **kw: Any) -> Path:
        if Path(path).name == "epoch_2.pth":
            assert release.wait(timeout=30)
        return real_save(ckpt, path, **kw)

    class Release(Hook):
        priority = Priority.NORMAL  # before the checkpoint hook's own after_run

        def after_run(self, runner: Any) -> None:
            release.set()

    monkeypatch.setattr(ckpt_pkg, "save_checkpoint", held_save)
    make_runner(tmp_path, max_epochs=2, custom_hooks=[Release()], async_save=True).train()
    assert read_pointer(tmp_path).name == "epoch_2.pth"
    assert load_checkpoint(tmp_path / "epoch_2.pth")["meta"]["epoch"] == 2
    assert not any(t.name == "checkpoint-writer" for t in threading.enumerate())


def test_async_resume_continues_like_a_sync_run(tmp_path: Path) -> None:
    make_runner(tmp_path / "a", max_epochs=2, async_save=True).train()
    make_runner(tmp_path / "a", max_epochs=4, async_save=True, resume=True).train()
    make_runner(tmp_path / "b", max_epochs=4).train()
    same(
        load_checkpoint(tmp_path / "a" / "epoch_4.pth")["state_dict"],
        load_checkpoint(tmp_path / "b" / "epoch_4.pth")["state_dict"],
    )


def test_async_save_is_an_argument_of_the_hook() -> None:
    assert CheckpointHook(async_save=True).async_save is True
    assert CheckpointHook().async_save is False


def test_resume_waits_for_a_write_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resume while a background write is held picks up that write's checkpoint, whole."""
    make_runner(tmp_path / "b", max_epochs=2).train()  # the content the held write will put down
    make_runner(tmp_path / "a", max_epochs=1).train()
    release = threading.Event()
    real_wait = BackgroundWriter.wait

    def releasing_wait(self: BackgroundWriter) -> None:
        if self.busy:
            release.set()  # someone waits for the write: let it finish
        real_wait(self)

    def held_write() -> None:
        assert release.wait(timeout=30)
        ckpt = load_checkpoint(tmp_path / "b" / "epoch_2.pth")
        saved = ckpt_pkg.save_checkpoint(ckpt, tmp_path / "a" / "epoch_2.pth")
        ckpt_pkg.write_pointer(tmp_path / "a", saved)

    class Start(Hook):
        def before_train(self, runner: Any) -> None:
            started.append(runner.epoch)

    started: list[int] = []
    monkeypatch.setattr(BackgroundWriter, "wait", releasing_wait)
    writer = BackgroundWriter()
    writer.submit(tmp_path / "a" / "epoch_2.pth", held_write)
    make_runner(tmp_path / "a", max_epochs=3, resume=True, custom_hooks=[Start()]).train()
    assert started == [2]  # resumed from the file that was being written
    assert read_pointer(tmp_path / "a").name == "epoch_3.pth"


def test_a_writer_thread_that_cannot_start_leaves_the_writer_usable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A thread that cannot start: the save fails loudly; later saves neither hang nor skip."""
    writer = BackgroundWriter()

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    with monkeypatch.context() as patch:
        patch.setattr(threading.Thread, "start", refuse)
        with pytest.raises(RuntimeError, match="can't start"):
            writer.submit(Path("a.pth"), lambda: None)
    assert not writer.busy
    done: list[str] = []
    writer.submit(Path("b.pth"), lambda: done.append("b"))
    writer.wait()
    assert done == ["b"]
