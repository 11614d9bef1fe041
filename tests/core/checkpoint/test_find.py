"""last_checkpoint pointer, find_latest_checkpoint fallbacks, safe pruning."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

from runner_core.checkpoint import (
    POINTER_NAME,
    CheckpointError,
    find_latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    prune_checkpoints,
    read_pointer,
    save_checkpoint,
    write_pointer,
)


def _save(folder: Path, name: str, value: float = 0.0, mtime: float | None = None) -> Path:
    path = save_checkpoint({"state_dict": {"w": torch.full((4,), value)}}, folder / name)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_pointer_round_trip(tmp_path: Path) -> None:
    assert read_pointer(tmp_path) is None
    ckpt = _save(tmp_path, "epoch_1.pth")
    pointer = write_pointer(tmp_path, ckpt)
    assert pointer == tmp_path / POINTER_NAME
    # absolute, as MMEngine writes it: its resume=True opens the text as a path from any cwd
    assert pointer.read_text() == str(ckpt.absolute())
    assert read_pointer(tmp_path) == ckpt
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_pointer_refuses_missing_target(tmp_path: Path) -> None:
    with pytest.raises(
        CheckpointError, match=r"epoch_9\.pth.*does not exist.*after save_checkpoint"
    ):
        write_pointer(tmp_path, tmp_path / "epoch_9.pth")
    assert not (tmp_path / POINTER_NAME).exists()


def test_relative_and_garbage_pointer(tmp_path: Path) -> None:
    (tmp_path / POINTER_NAME).write_text("epoch_2.pth\n")
    assert read_pointer(tmp_path) == tmp_path / "epoch_2.pth"
    (tmp_path / POINTER_NAME).write_bytes(b"\xff\xfe\x00garbage")
    assert read_pointer(tmp_path) is None
    (tmp_path / POINTER_NAME).write_text("")
    assert read_pointer(tmp_path) is None


def test_find_follows_pointer(tmp_path: Path) -> None:
    _save(tmp_path, "epoch_1.pth")
    best = _save(tmp_path, "best_acc_epoch_1.pth")
    _save(tmp_path, "epoch_2.pth")
    write_pointer(tmp_path, best)  # the pointer wins over the scan
    found = find_latest_checkpoint(tmp_path)
    assert found == str(best) and isinstance(found, str)  # a str, as MMEngine's
    assert find_latest_checkpoint(path=tmp_path) == str(best)  # MMEngine's parameter name
    assert find_latest_checkpoint(path=str(tmp_path), verify=False) == str(best)


def test_find_scans_when_pointer_missing(tmp_path: Path) -> None:
    assert find_latest_checkpoint(tmp_path) is None
    assert find_latest_checkpoint(tmp_path / "not-there") is None
    _save(tmp_path, "epoch_2.pth", mtime=1_000)
    _save(tmp_path, "epoch_10.pth", mtime=500)  # numeric, not lexical, order; progress beats mtime
    _save(tmp_path, "epoch_9.pth", mtime=2_000)
    (tmp_path / "epoch_x.pth").write_text("not ours")
    assert find_latest_checkpoint(tmp_path) == str(tmp_path / "epoch_10.pth")
    assert [p.name for p in list_checkpoints(tmp_path)] == [
        "epoch_10.pth",
        "epoch_9.pth",
        "epoch_2.pth",
    ]


def test_find_skips_dangling_and_corrupt(tmp_path: Path) -> None:
    good = _save(tmp_path, "iter_100.pth")
    newer = _save(tmp_path, "iter_200.pth")
    write_pointer(tmp_path, newer)
    data = newer.read_bytes()
    newer.write_bytes(data[: len(data) // 2])  # truncated after the fact
    assert find_latest_checkpoint(tmp_path) == str(good)
    newer.unlink()  # dangling pointer
    assert find_latest_checkpoint(tmp_path) == str(good)
    good.unlink()
    assert find_latest_checkpoint(tmp_path) is None


@pytest.mark.parametrize("where", ["ckpt_{}.pth", "ckpts/epoch_{}.pth", "out/wd/epoch_{}.pth"])
def test_a_broken_pointer_target_falls_back_to_the_runs_own_earlier_files(
    tmp_path: Path, where: str
) -> None:
    # filename_tmpl and out_dir name or place checkpoints where the scan of default names in
    # the work dir does not look; a user who deletes (or damages) the newest one to roll back
    # must get the one before it, not a fresh start that overwrites them
    work_dir = tmp_path / "wd"
    work_dir.mkdir()
    paths = []
    for n in (1, 2, 3):
        target = (
            tmp_path / "wd" / where.format(n)
            if not where.startswith("out")
            else tmp_path / where.format(n)
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        paths.append(_save(target.parent, target.name, float(n)))
    _save(paths[0].parent, "best_acc_epoch_9.pth")  # not a numbered sibling: never taken
    write_pointer(work_dir, paths[2])
    paths[2].unlink()
    assert find_latest_checkpoint(work_dir) == str(paths[1])
    paths[1].write_bytes(paths[1].read_bytes()[:100])  # damaged too: the one before
    assert find_latest_checkpoint(work_dir) == str(paths[0])


def test_a_deleted_preemption_save_falls_back_to_the_newest_epoch_file(tmp_path: Path) -> None:
    # an epoch-based run saves epoch_N and, when preempted, iter_N: deleting the newest
    # (iter_3500) goes back to the newest other file by time (epoch_3), not the older iter_
    _save(tmp_path, "iter_1500.pth", mtime=1_000)
    _save(tmp_path, "epoch_2.pth", mtime=2_000)
    epoch_3 = _save(tmp_path, "epoch_3.pth", mtime=3_000)
    newest = _save(tmp_path, "iter_3500.pth", mtime=4_000)
    write_pointer(tmp_path, newest)
    newest.unlink()
    assert find_latest_checkpoint(tmp_path) == str(epoch_3)


def test_find_catches_bit_rot_in_pointer_target(tmp_path: Path) -> None:
    good = _save(tmp_path, "iter_1.pth", 1.0)
    bad = _save(tmp_path, "iter_2.pth", 2.0)
    write_pointer(tmp_path, bad)
    raw = bytearray(bad.read_bytes())
    raw[raw.index(torch.full((4,), 2.0).numpy().tobytes())] ^= 0x40  # inside the tensor bytes
    bad.write_bytes(bytes(raw))
    assert find_latest_checkpoint(tmp_path) == str(good)
    assert find_latest_checkpoint(tmp_path, verify=False) == str(bad)


def test_find_after_work_dir_moved(tmp_path: Path) -> None:
    old = tmp_path / "old"
    ckpt = _save(old, "epoch_3.pth")
    _save(old, "epoch_4.pth")
    write_pointer(old, ckpt)
    new = tmp_path / "new"
    shutil.move(old, new)
    assert find_latest_checkpoint(new) == str(new / "epoch_3.pth")


def test_mixed_kinds_use_mtime(tmp_path: Path) -> None:
    _save(tmp_path, "epoch_5.pth", mtime=1_000)
    _save(tmp_path, "iter_20.pth", mtime=2_000)
    assert find_latest_checkpoint(tmp_path) == str(tmp_path / "iter_20.pth")


def test_prune_keeps_newest_and_pointer_target(tmp_path: Path) -> None:
    for n in range(1, 6):
        _save(tmp_path, f"epoch_{n}.pth")
    _save(tmp_path, "best_acc_epoch_1.pth")
    write_pointer(tmp_path, tmp_path / "epoch_2.pth")  # e.g. a stale pointer after a crash
    removed = prune_checkpoints(tmp_path, 2)
    assert sorted(p.name for p in removed) == ["epoch_1.pth", "epoch_3.pth"]
    assert sorted(p.name for p in tmp_path.glob("*.pth")) == [
        "best_acc_epoch_1.pth",
        "epoch_2.pth",
        "epoch_4.pth",
        "epoch_5.pth",
    ]
    assert read_pointer(tmp_path).exists()
    assert prune_checkpoints(tmp_path, -1) == []
    assert prune_checkpoints(tmp_path, 1, protect=[tmp_path / "epoch_4.pth"]) == []


def test_prune_with_out_dir_and_work_dir(tmp_path: Path) -> None:
    work, out = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    for n in (1, 2, 3):
        path = _save(out, f"iter_{n}.pth")
        write_pointer(work, path)
        prune_checkpoints(out, 1, work_dir=work)
    assert [p.name for p in out.glob("*.pth")] == ["iter_3.pth"]
    assert load_checkpoint(find_latest_checkpoint(work) or work)["state_dict"]["w"].shape == (4,)


def test_absolute_pointer_into_another_folder_reads_the_local_copy(tmp_path: Path) -> None:
    original, copy = tmp_path / "A", tmp_path / "B"
    original.mkdir()
    write_pointer(original, _save(original, "epoch_1.pth"))
    (original / POINTER_NAME).write_text(str(original / "epoch_1.pth"))  # MMEngine's format
    shutil.copytree(original, copy)
    assert find_latest_checkpoint(copy) == str(copy / "epoch_1.pth")
    assert read_pointer(original) == original / "epoch_1.pth"  # old absolute pointers still read


def test_copied_work_dir_with_a_subfolder_resumes_from_its_own_file(tmp_path: Path) -> None:
    original, copy = tmp_path / "A", tmp_path / "B"
    _save(original, "epoch_2.pth", value=1.0)  # a decoy of the same name one level up
    write_pointer(original, _save(original / "ckpts", "epoch_2.pth", value=2.0))
    shutil.copytree(original, copy)
    # the pointer names A's file; the copy resumes from the same path inside B
    assert find_latest_checkpoint(copy) == str(copy / "ckpts" / "epoch_2.pth")


def test_a_copied_work_dir_whose_newest_file_was_deleted_uses_its_own_older_one(
    tmp_path: Path,
) -> None:
    """cp -r A B, then rm B/epoch_2.pth to roll B back: B resumes from its own epoch_1, not
    from A's epoch_2 through the pointer it copied (which names A's file, as MMEngine's)."""
    original, copy = tmp_path / "A", tmp_path / "B"
    _save(original, "epoch_1.pth", value=1.0)
    write_pointer(original, _save(original, "epoch_2.pth", value=2.0))
    (original / POINTER_NAME).write_text(str(original / "epoch_2.pth"))  # MMEngine's format
    shutil.copytree(original, copy)
    (copy / "epoch_2.pth").unlink()
    assert find_latest_checkpoint(copy) == str(copy / "epoch_1.pth")


def test_a_pointer_into_out_dir_is_followed_though_the_work_dir_has_checkpoints(
    tmp_path: Path,
) -> None:
    """A run resumed with CheckpointHook(out_dir=...) after saving in the work dir: its
    newest file is in out_dir, which is no copy of the work dir."""
    work_dir, out_dir = tmp_path / "wd", tmp_path / "ckpts" / "wd"
    _save(work_dir, "epoch_1.pth")
    write_pointer(work_dir, _save(out_dir, "epoch_2.pth"))
    assert find_latest_checkpoint(work_dir) == str(out_dir / "epoch_2.pth")


def test_pointer_outside_the_work_dir_stays_absolute(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    ckpt = _save(store, "epoch_1.pth")
    (tmp_path / "work").mkdir()
    write_pointer(tmp_path / "work", ckpt)
    assert (tmp_path / "work" / POINTER_NAME).read_text() == str(ckpt.absolute())


@pytest.mark.parametrize("name", ["ep\n1.pth", "ep\r1.pth", "epoch_1.pth "])
def test_pointer_refuses_a_path_it_could_not_read_back(tmp_path: Path, name: str) -> None:
    target = _save(tmp_path, name)
    with pytest.raises(CheckpointError, match="could not be read back") as caught:
        write_pointer(tmp_path, target)
    assert repr(str(target.absolute())) in str(caught.value)
    assert "filename_tmpl" in str(caught.value)
    assert read_pointer(tmp_path) is None  # nothing written


def test_prune_and_list_skip_folders_and_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "important.txt"
    outside.write_text("precious")
    work = tmp_path / "wd"
    work.mkdir()
    (work / "epoch_1.pth").symlink_to(outside)
    (work / "epoch_2.pth").mkdir()
    (work / "epoch_2.pth" / "notes.txt").write_text("x")
    for n in (3, 4, 5):
        _save(work, f"epoch_{n}.pth")
    write_pointer(work, work / "epoch_5.pth")
    assert [p.name for p in list_checkpoints(work)] == ["epoch_5.pth", "epoch_4.pth", "epoch_3.pth"]
    removed = prune_checkpoints(work, 1)
    assert sorted(p.name for p in removed) == ["epoch_3.pth", "epoch_4.pth"]
    assert (work / "epoch_1.pth").is_symlink() and outside.read_text() == "precious"
    assert (work / "epoch_2.pth" / "notes.txt").read_text() == "x"
    assert (work / "epoch_5.pth").is_file()


def test_a_pointer_the_disk_refuses_is_named_and_the_old_one_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from runner_core.checkpoint import atomic

    first = _save(tmp_path, "epoch_1.pth")
    write_pointer(tmp_path, first)
    second = _save(tmp_path, "epoch_2.pth")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(OSError) as caught:  # a CheckpointWriteError, an OSError as before
        write_pointer(tmp_path, second)
    message = str(caught.value)
    assert isinstance(caught.value, CheckpointError) and caught.value.errno == errno.ENOSPC
    assert f"Could not write {str(tmp_path / POINTER_NAME)!r}" in message
    assert "free disk space" in message
    monkeypatch.undo()
    assert read_pointer(tmp_path) == first  # the previous pointer is intact
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_loading_a_work_dir_or_its_pointer_names_the_newest_checkpoint(tmp_path: Path) -> None:
    _save(tmp_path, "epoch_1.pth")
    newest = _save(tmp_path, "epoch_2.pth")
    write_pointer(tmp_path, newest)
    with pytest.raises(FileNotFoundError, match=f"such as {str(newest)!r}"):
        load_checkpoint(tmp_path)  # load_from=<work dir>
    with pytest.raises(
        CheckpointError, match=f"pointer, not a checkpoint: it names {str(newest)!r}"
    ):
        load_checkpoint(tmp_path / POINTER_NAME)  # load_from=<work dir>/last_checkpoint


def test_a_deep_work_dir_finds_its_checkpoint(tmp_path: Path) -> None:
    """A work dir of ~2,300 bytes: the copied-work-dir check joined it to the pointer's
    whole path (over PATH_MAX), `is_file` raised ENAMETOOLONG, and a finished run exited
    1 and could not resume."""
    work_dir = tmp_path.joinpath(*["d" * 200] * 11)
    work_dir.mkdir(parents=True)
    ckpt = _save(work_dir, "epoch_2.pth")
    write_pointer(work_dir, ckpt)
    assert find_latest_checkpoint(work_dir) == str(ckpt)
