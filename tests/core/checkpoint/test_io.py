"""save_checkpoint / load_checkpoint / verify_checkpoint / cleanup: what users rely on."""

from __future__ import annotations

import collections
import errno
import os
import pickle
import random
import stat
import struct
import subprocess
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from runner_core.checkpoint import (
    TEMP_FILE_PATTERN,
    CheckpointError,
    CheckpointModuleNotFoundError,
    cleanup_orphaned_temp_files,
    find_unsafe,
    load_checkpoint,
    save_checkpoint,
    to_safe,
    verify_checkpoint,
)


def _ckpt(value: float = 1.0) -> dict:
    return {
        "meta": {"epoch": 3, "iter": 120, "cfg": "model = dict(type='X')", "seed": 7},
        "state_dict": OrderedDict(w=torch.full((64, 64), value), b=torch.arange(10)),
        "optimizer": {"state": {0: {"step": torch.tensor(5.0)}}, "param_groups": [{"lr": 0.1}]},
        "rng": {"python": random.getstate(), "torch": torch.get_rng_state()},
    }


def _record_span(path: Path, suffix: str) -> tuple[int, int]:
    """Byte range of the zip record whose name ends with ``suffix``."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(suffix))
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(30)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    begin = info.header_offset + 30 + name_len + extra_len
    return begin, begin + info.compress_size


def _flip_byte(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x01]))


def test_round_trip_is_safe_and_exact(tmp_path: Path) -> None:
    ckpt = _ckpt()
    path = save_checkpoint(ckpt, tmp_path / "epoch_3.pth")
    assert path == tmp_path / "epoch_3.pth"
    loaded = load_checkpoint(path)  # weights_only=True, verified
    assert loaded["meta"] == ckpt["meta"]
    assert torch.equal(loaded["state_dict"]["w"], ckpt["state_dict"]["w"])
    assert loaded["rng"]["python"] == ckpt["rng"]["python"]
    assert os.listdir(tmp_path) == ["epoch_3.pth"]  # no temp file left behind
    assert verify_checkpoint(path) >= 4  # data.pkl + tensor records all checked


def test_a_path_under_the_home_folder_loads_as_in_mmengine(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    save_checkpoint({"state_dict": {"w": torch.arange(3.0)}}, tmp_path / "ckpt.pth")
    loaded = load_checkpoint("~/ckpt.pth")  # MMEngine's load_from_local expands '~'
    assert torch.equal(loaded["state_dict"]["w"], torch.arange(3.0))
    model = torch.nn.Linear(3, 1)
    torch.save({"state_dict": model.state_dict()}, tmp_path / "model.pth")
    assert load_checkpoint(torch.nn.Linear(3, 1), "~/model.pth")["state_dict"].keys() == {
        "weight",
        "bias",
    }


def test_save_creates_parent_folders_and_normal_permissions(tmp_path: Path) -> None:
    path = save_checkpoint({"a": 1}, tmp_path / "deep" / "er" / "c.pth")
    mode = stat.S_IMODE(path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # not mkstemp's 0600


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_replaced_file_keeps_its_permission_bits(tmp_path: Path) -> None:
    """A checkpoint and pointer the user made private came back 0644 when a rerun replaced
    them (the temp file took the umask's mode); MMEngine, writing in place, keeps 0600 (QA)."""
    from runner_core.checkpoint.atomic import write_bytes_atomic

    umask = os.umask(0o022)
    try:
        ckpt = save_checkpoint({"a": 1}, tmp_path / "epoch_2.pth")
        pointer = write_bytes_atomic(b"epoch_2.pth", tmp_path / "last_checkpoint")
        assert stat.S_IMODE(ckpt.stat().st_mode) == 0o644  # a new file: the umask's mode
        for path in (ckpt, pointer):
            path.chmod(0o600)
        save_checkpoint({"a": 2}, ckpt)
        write_bytes_atomic(b"epoch_2.pth", pointer)
        ckpt.chmod(0o640)
        save_checkpoint({"a": 3}, ckpt, fsync=False)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(pointer.stat().st_mode) == 0o600
    assert stat.S_IMODE(ckpt.stat().st_mode) == 0o640
    assert load_checkpoint(ckpt) == {"a": 3}


def test_failed_save_keeps_previous_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = save_checkpoint(_ckpt(1.0), tmp_path / "latest.pth")
    bad = {"state_dict": {"w": torch.ones(2)}, "fn": lambda x: x}
    with pytest.warns(UserWarning, match=r"checkpoint\['fn'\]: function"):
        with pytest.raises(CheckpointError, match="latest.pth.*previous file"):
            save_checkpoint(bad, path)
    assert os.listdir(tmp_path) == ["latest.pth"]
    assert torch.equal(load_checkpoint(path)["state_dict"]["w"], torch.full((64, 64), 1.0))


@pytest.mark.parametrize("char", ["a", "é"])
def test_a_name_at_the_file_systems_limit_saves(tmp_path: Path, char: str) -> None:
    """A 250-byte name is legal, but '.{name}.tmp-PID-xxxxxxxx' was not: ENAMETOOLONG
    after a whole epoch, where MMEngine (writing the target directly) saves."""
    from runner_core.checkpoint import TEMP_FILE_PATTERN, cleanup_orphaned_temp_files
    from runner_core.checkpoint.atomic import _temp_path_for

    name = char * ((250 - 4) // len(char.encode())) + ".pth"
    assert len(name.encode()) <= 255
    path = save_checkpoint(_ckpt(2.0), tmp_path / name)
    assert os.listdir(tmp_path) == [name]
    assert torch.equal(load_checkpoint(path)["state_dict"]["w"], torch.full((64, 64), 2.0))
    temp = _temp_path_for(tmp_path / name)
    assert len(temp.name.encode()) <= 255 and TEMP_FILE_PATTERN.match(temp.name)
    temp.write_bytes(b"left by a killed save")  # found and cleaned up as any other
    assert cleanup_orphaned_temp_files(tmp_path) == [temp]


class _FullDisk:
    """The temp file on a disk that fills up after ``room`` bytes: then every write fails."""

    def __init__(self, f: object, room: int) -> None:
        self.f, self.room = f, room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.f.write(data)  # type: ignore[attr-defined]

    def flush(self) -> None:
        self.f.flush()  # type: ignore[attr-defined]


def test_full_disk_is_an_oserror_whose_first_line_says_so(monkeypatch, tmp_path: Path) -> None:
    # as MMEngine: OSError errno 28, not torch's "[enforce fail at inline_container.cc]" text
    import runner_core.checkpoint.atomic as atomic

    path = save_checkpoint(_ckpt(1.0), tmp_path / "epoch_3.pth")
    monkeypatch.setattr(atomic, "with_early_writeback", lambda f: _FullDisk(f, room=4096))
    with pytest.raises(OSError) as err:
        save_checkpoint(_ckpt(2.0), path)
    exc = err.value
    assert isinstance(exc, CheckpointError) and isinstance(exc, RuntimeError)
    assert (exc.errno, exc.strerror, exc.filename) == (
        errno.ENOSPC,
        os.strerror(errno.ENOSPC),
        str(path),
    )
    assert str(exc).startswith(
        f"Could not save checkpoint {str(path)!r}: [Errno {errno.ENOSPC}] No space left on device."
    )
    assert "enforce fail" not in str(exc) and "free disk space" in str(exc)
    assert os.listdir(tmp_path) == ["epoch_3.pth"]  # temp file removed, previous file whole
    assert torch.equal(load_checkpoint(path)["state_dict"]["w"], torch.full((64, 64), 1.0))
    copy = pickle.loads(pickle.dumps(exc))
    assert (type(copy), str(copy), copy.errno) == (type(exc), str(exc), exc.errno)


def test_unwritable_folder_is_a_permission_error_naming_it(monkeypatch, tmp_path: Path) -> None:
    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    target = tmp_path / "ro" / "epoch_1.pth"
    with pytest.raises(PermissionError) as err:
        save_checkpoint(_ckpt(), target)
    assert isinstance(err.value, CheckpointError) and err.value.errno == errno.EACCES
    assert f"[Errno {errno.EACCES}] Permission denied: {str(tmp_path / 'ro')!r}" in str(err.value)


def test_overwrite_replaces_content(tmp_path: Path) -> None:
    path = tmp_path / "latest.pth"
    save_checkpoint(_ckpt(1.0), path)
    save_checkpoint(_ckpt(2.0), path, fsync=False)
    assert load_checkpoint(path)["state_dict"]["w"][0, 0].item() == 2.0


def test_flipped_byte_in_tensor_data_is_caught(tmp_path: Path) -> None:
    path = save_checkpoint({"state_dict": {"w": torch.randn(1000)}}, tmp_path / "c.pth")
    begin, end = _record_span(path, "data/0")
    _flip_byte(path, (begin + end) // 2)
    # torch.load alone does not notice:
    assert torch.load(path, weights_only=True)["state_dict"]["w"].shape == (1000,)
    with pytest.raises(CheckpointError, match=r"c\.pth.*corrupt.*data/0.*tensor data"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="CRC-32"):
        verify_checkpoint(path)
    assert load_checkpoint(path, verify=False)["state_dict"]["w"].shape == (1000,)


def test_flipped_byte_in_pickle_is_caught(tmp_path: Path) -> None:
    path = save_checkpoint({"meta": {"epoch": 12345678}}, tmp_path / "c.pth")
    begin, end = _record_span(path, "data.pkl")
    _flip_byte(path, end - 3)
    with pytest.raises(CheckpointError, match="data.pkl.*metadata"):
        load_checkpoint(path)


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_truncated_file_is_reported(tmp_path: Path, keep: float) -> None:
    path = save_checkpoint(_ckpt(), tmp_path / "iter_10.pth")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(CheckpointError, match=r"iter_10\.pth.*truncated.*interrupted"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(path, verify=False)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.pth").write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"e\.pth.*empty \(0 bytes\)"):
        load_checkpoint(tmp_path / "e.pth")


def test_not_a_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "cfg.py").write_text("model = dict(type='ResNet')\n")
    with pytest.raises(CheckpointError, match=r"cfg\.py.*not a torch checkpoint.*text file"):
        load_checkpoint(tmp_path / "cfg.py")
    # its text is not repeated: a pointer aimed at a secrets file would put it in the log
    (tmp_path / ".env").write_text("WANDB_API_KEY=0123456789abcdef\n")
    with pytest.raises(CheckpointError, match=r"text file") as exc:
        load_checkpoint(tmp_path / ".env")
    assert "0123" not in str(exc.value) and "WANDB" not in str(exc.value)
    (tmp_path / "lfs.pth").write_text("version https://git-lfs.github.com/spec/v1\noid sha256:ab\n")
    with pytest.raises(CheckpointError, match=r"Git LFS pointer.*git lfs pull"):
        load_checkpoint(tmp_path / "lfs.pth")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.writestr("readme.txt", "hi")
    with pytest.raises(CheckpointError, match=r"a\.zip.*no 'data\.pkl'.*readme\.txt"):
        load_checkpoint(tmp_path / "a.zip")
    with pytest.raises(CheckpointError, match="is a folder"):
        load_checkpoint(tmp_path)


def test_plain_pickle_file_is_named_as_such(tmp_path: Path) -> None:
    import pickle

    with open(tmp_path / "plain.pkl", "wb") as f:
        pickle.dump({"state_dict": {"w": [1.0]}}, f)
    for allow_pickle in (False, True):  # allow_pickle cannot help: torch.load cannot read it
        with pytest.raises(CheckpointError) as err:
            load_checkpoint(tmp_path / "plain.pkl", allow_pickle=allow_pickle)
        msg = str(err.value)
        assert "plain.pkl" in msg and "plain pickle file" in msg and "pickle.load" in msg
        assert "torch.save" in msg and "magic number" not in msg


def test_legacy_torch_format_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "legacy.pth"  # torch's pre-1.6 format: a pickle stream too
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    assert torch.equal(load_checkpoint(path)["w"], torch.ones(2))


@pytest.mark.parametrize(
    "url",
    [
        "https://download.openmmlab.com/mmdetection/v2.0/x/model.pth",
        "http://host/x.pth",
        "torchvision://resnet18",
        "open-mmlab://resnet50_v1c",
        "modelzoo://x",
        "s3://bucket/x.pth",
        "cluster:s3://bucket/x.pth",
    ],
)
def test_url_is_refused_whole_and_never_downloaded(url: str) -> None:
    from torch import nn

    for load in (lambda: load_checkpoint(url), lambda: load_checkpoint(nn.Linear(2, 2), url)):
        with pytest.raises(FileNotFoundError) as err:
            load()
        msg = str(err.value)
        assert repr(url) in msg  # not folded into 'https:/...'
        assert "never downloads" in msg and "local path" in msg
        assert isinstance(err.value, CheckpointError)


def test_save_checkpoint_takes_mmengines_arguments(tmp_path: Path) -> None:
    from runner_core.errors import ConfigError

    save_checkpoint({"a": 1}, tmp_path / "a.pth", None, None)
    save_checkpoint({"a": 2}, filename=tmp_path / "b.pth", backend_args=dict(backend="local"))
    save_checkpoint({"a": 3}, tmp_path / "c.pth", file_client_args=dict(backend="disk"))
    assert [load_checkpoint(tmp_path / f"{n}.pth")["a"] for n in "abc"] == [1, 2, 3]
    with pytest.raises(ConfigError, match=r"backend_args=\{'backend': 'petrel'\}.*local disk"):
        save_checkpoint({"a": 1}, tmp_path / "d.pth", backend_args=dict(backend="petrel"))
    assert not (tmp_path / "d.pth").exists()


def test_not_a_dict(tmp_path: Path) -> None:
    torch.save(torch.ones(3), tmp_path / "t.pth")
    with pytest.raises(CheckpointError, match=r"t\.pth.*holds a Tensor, not a checkpoint dict"):
        load_checkpoint(tmp_path / "t.pth")


def test_missing_file_suggests_nearby_checkpoints(tmp_path: Path) -> None:
    save_checkpoint({"a": 1}, tmp_path / "epoch_10.pth")
    save_checkpoint({"a": 1}, tmp_path / "epoch_11.pth")
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / "epoch_12.pth")
    msg = str(err.value)
    assert "epoch_12.pth" in msg and "does not exist" in msg
    assert "Did you mean" in msg and "epoch_11.pth" in msg
    with pytest.raises(CheckpointError, match="does not exist either"):
        load_checkpoint(tmp_path / "nope" / "epoch_1.pth")


def test_a_dangling_link_names_its_missing_target_and_an_empty_path_is_empty(
    tmp_path: Path,
) -> None:
    save_checkpoint({"a": 1}, tmp_path / "epoch_1.pth")
    (tmp_path / "latest.pth").symlink_to(tmp_path / "gone" / "epoch_9.pth")
    with pytest.raises(FileNotFoundError) as err:
        load_checkpoint(tmp_path / "latest.pth")
    msg = str(err.value)
    assert f"is a link to {str(tmp_path / 'gone' / 'epoch_9.pth')!r}, which does not" in msg
    assert "Did you mean 'latest.pth'" not in msg
    for empty in ("", " "):
        with pytest.raises(FileNotFoundError, match=r"Checkpoint path is empty \('\s?'\)"):
            load_checkpoint(empty)


def test_missing_file_says_how_many_checkpoints_it_did_not_list(tmp_path: Path) -> None:
    """Sorted as text, epoch_10..12 came before epoch_2 and the newest went unlisted."""
    for epoch in range(1, 13):
        save_checkpoint({"a": 1}, tmp_path / f"epoch_{epoch}.pth")
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / "best.pth")
    shown = ", ".join(f"epoch_{epoch}.pth" for epoch in range(5, 13))
    assert f"Checkpoints in {str(tmp_path)!r}: {shown} and 4 more." in str(err.value)


def test_an_empty_folder_given_as_checkpoint_suggests_no_file_it_lacks(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="holds no checkpoint files") as err:
        load_checkpoint(tmp_path)
    assert "epoch_1.pth" not in str(err.value) and "find_latest_checkpoint" not in str(err.value)
    save_checkpoint({"a": 1}, tmp_path / "epoch_3.pth")
    with pytest.raises(CheckpointError, match=r"Pass a file such as .*epoch_3\.pth"):
        load_checkpoint(tmp_path)


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # runs on unpickling
        return (exec, (f"open({str(self.marker)!r}, 'w').write('pwned')",))


def test_the_refusal_never_suggests_allowing_a_standard_library_class(
    tmp_path: Path,
) -> None:
    import logging

    victim = tmp_path / "victim.txt"
    victim.write_text("kept")

    class Truncates:
        def __reduce__(self):  # allowing FileHandler would let the file truncate any path
            return (logging.FileHandler, (str(victim), "w"))

    path = tmp_path / "handler.pth"
    torch.save({"state_dict": {}, "x": Truncates()}, path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    msg = str(err.value)
    assert "logging.FileHandler" in msg and "add_safe_globals" not in msg
    assert victim.read_text() == "kept"


def test_malicious_pickle_does_not_run_by_default(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {}, "payload": _Evil(marker)}, path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert not marker.exists()
    msg = str(err.value)
    assert "evil.pth" in msg and "exec" in msg
    assert "allow_pickle=True" in msg and "--unsafe-load" in msg and "code" in msg
    assert "load_cfg=dict(allow_pickle=True)" in msg  # the option of a Runner's load_from / resume
    assert "add_safe_globals" not in msg  # exec is no class to allow
    # the explicit opt-in really does unpickle (which is why it is opt-in)
    load_checkpoint(path, allow_pickle=True)
    assert marker.read_text() == "pwned"


def test_a_load_with_full_unpickling_says_so_once_in_the_log(
    tmp_path: Path, info_logger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """allow_pickle=True / --unsafe-load logged nothing: no record of which file was let
    run its code (QA)."""
    path = save_checkpoint(_ckpt(), tmp_path / "epoch_1.pth")
    info_logger()
    load_checkpoint(path)
    assert "unpickling" not in capsys.readouterr().out  # the safe load: nothing to say
    load_checkpoint(path, allow_pickle=True)
    load_checkpoint(path, allow_pickle=True, mmap=True)
    lines = [line for line in capsys.readouterr().out.splitlines() if "unpickling" in line]
    said = f"Loading checkpoint {str(path)!r} with full unpickling (allow_pickle=True / "
    assert len(lines) == 2 and all(said in line and " - INFO - " in line for line in lines)
    # a payload that runs, then makes the load fail: said before it ran (review)
    failing = tmp_path / "failing.pth"
    torch.save({"meta": FailsToLoad()}, failing)
    with pytest.raises(CheckpointError):
        load_checkpoint(failing, allow_pickle=True)
    assert f"Loading checkpoint {str(failing)!r} with full" in capsys.readouterr().out


class FailsToLoad:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (int, ("not a number",))  # unpickling calls int(...), which raises


def test_a_whole_pickled_model_is_named_before_any_opt_in(tmp_path: Path) -> None:
    """torch.save(model) was refused as unsafe with advice to opt in to unpickling, after
    which a second error said it is no checkpoint dict (QA)."""
    path = tmp_path / "model.pth"
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2)), path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    msg = str(err.value)
    assert "a whole model saved with torch.save(model)" in msg
    assert "torch.save(model.state_dict(), path)" in msg
    assert "torch.save(torch.load(path, weights_only=False).state_dict(), 'weights.pth')" in msg
    # opting in only gives a second refusal: not suggested
    assert "with or without allow_pickle" in msg and "allow_pickle=True" not in msg
    with pytest.raises(CheckpointError, match="holds a Sequential, not a checkpoint dict"):
        load_checkpoint(path, allow_pickle=True)
    # a checkpoint dict that pickles a module somewhere is no whole model: it loads opted in
    torch.save({"state_dict": {}, "ema": torch.nn.Linear(2, 2)}, path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert "whole model" not in str(err.value) and "allow_pickle=True" in str(err.value)


def test_numpy_needs_to_safe(tmp_path: Path) -> None:
    np_state = np.random.RandomState(3).get_state()
    raw = {"rng": {"numpy": np_state}, "score": np.float32(0.5)}
    assert any("numpy.ndarray" in item for item in find_unsafe(raw))
    with pytest.warns(UserWarning, match=r"numpy.*to_safe"):
        save_checkpoint(raw, tmp_path / "raw.pth")
    with pytest.raises(CheckpointError, match="numpy"):
        load_checkpoint(tmp_path / "raw.pth")

    safe = to_safe(raw)
    assert find_unsafe(safe) == []
    save_checkpoint(safe, tmp_path / "safe.pth")
    loaded = load_checkpoint(tmp_path / "safe.pth")
    assert loaded["score"] == 0.5
    kind, keys, pos, has_gauss, cached = loaded["rng"]["numpy"]
    restored = np.random.RandomState()
    restored.set_state((kind, keys.numpy(), pos, has_gauss, cached))
    assert restored.rand() == np.random.RandomState(3).rand()


def test_to_safe_converts_paths_namedtuples_and_dict_subclasses() -> None:
    from collections import defaultdict, namedtuple

    Point = namedtuple("Point", "x y")
    obj = {"p": Path("/a/b"), "t": Point(1, 2), "d": defaultdict(int, a=1), "s": {1, 2}}
    safe = to_safe(obj)
    assert safe == {"p": "/a/b", "t": (1, 2), "d": {"a": 1}, "s": {1, 2}}
    assert type(safe["t"]) is tuple and type(safe["d"]) is dict
    assert find_unsafe(safe) == []


def test_plain_histories_pass_through_and_odd_items_are_still_named() -> None:
    """Long float lists (message-hub histories) skip the per-item walk; mixed ones do not."""
    import enum

    class Level(enum.IntEnum):
        LOW = 1

    class Floats(list):
        pass

    history = [float(i) for i in range(5000)]
    mixed = [*history[:100], np.float64(0.5), Level.LOW, *history[:100]]
    obj = {"hub": {"loss": history, "odd": mixed, "sub": Floats([1.0, 2.0]), "t": (1, 2.0)}}
    assert find_unsafe({"hub": {"loss": history}}) == []
    assert find_unsafe(obj) == [
        "checkpoint['hub']['odd'][100]: numpy.float64",
        f"checkpoint['hub']['odd'][101]: {Level.__module__}.{Level.__qualname__}",
        f"checkpoint['hub']['sub']: {Floats.__module__}.{Floats.__qualname__}",
    ]
    safe = to_safe(obj)
    assert safe["hub"]["loss"] == history and safe["hub"]["loss"] is not history
    assert type(safe["hub"]["odd"][100]) is float and type(safe["hub"]["odd"][101]) is int
    assert type(safe["hub"]["sub"]) is list and type(safe["hub"]["t"]) is tuple
    assert find_unsafe(safe) == []


def test_map_location(tmp_path: Path) -> None:
    path = save_checkpoint({"w": torch.ones(2)}, tmp_path / "c.pth")
    assert load_checkpoint(path, map_location="cpu")["w"].device.type == "cpu"
    assert load_checkpoint(path, map_location=torch.device("cpu"))["w"].device.type == "cpu"
    seen = []

    def to_cpu(storage, location):
        seen.append(location)
        return storage

    assert load_checkpoint(path, map_location=to_cpu)["w"].sum() == 2
    assert seen == ["cpu"]
    assert load_checkpoint(path, map_location="meta")["w"].device.type == "meta"
    with pytest.raises(CheckpointError, match="'cdua' is not a device.*'cuda'"):
        load_checkpoint(path, map_location="cdua")


def test_save_refuses_non_dict(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="expects a dict"):
        save_checkpoint([1, 2], tmp_path / "x.pth")  # type: ignore[arg-type]


def test_cleanup_removes_only_orphans(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        orphan = tmp_path / f".epoch_1.pth.tmp-{dead.pid}-0123abcd"
        mine = tmp_path / f".epoch_2.pth.tmp-{os.getpid()}-89abcdef"
        live = tmp_path / f".epoch_3.pth.tmp-{alive.pid}-deadbeef"
        unrelated = [
            tmp_path / ".epoch_1.pth.tmp-x",
            tmp_path / "epoch_1.pth",
            tmp_path / ".hidden",
        ]
        for p in [orphan, mine, live, *unrelated]:
            p.write_bytes(b"partial")
        assert all(TEMP_FILE_PATTERN.match(p.name) for p in (orphan, mine, live))
        removed = cleanup_orphaned_temp_files(tmp_path)
        assert sorted(removed) == sorted([orphan, mine])
        assert live.exists() and all(p.exists() for p in unrelated)
    finally:
        alive.kill()
        alive.wait()
    assert cleanup_orphaned_temp_files(tmp_path / "missing") == []


def test_crc_is_written_even_if_disabled_globally(tmp_path: Path) -> None:
    from torch.utils.serialization import config

    config.save.compute_crc32 = False
    try:
        path = save_checkpoint({"w": torch.randn(100)}, tmp_path / "c.pth")
    finally:
        config.save.compute_crc32 = True
    assert config.save.compute_crc32 is True
    assert verify_checkpoint(path) >= 2


def test_flipped_byte_caught_in_large_multi_tensor_file(tmp_path: Path) -> None:
    state = {"a": torch.zeros(3 * 1024 * 1024), "b": torch.ones(3 * 1024 * 1024)}
    path = save_checkpoint({"state_dict": state}, tmp_path / "big.pth")  # > 16 MB: parallel check
    with zipfile.ZipFile(path) as archive:
        assert verify_checkpoint(path) == len(archive.infolist())  # every record checked
    begin, end = _record_span(path, "data/1")
    _flip_byte(path, end - 1)
    with pytest.raises(CheckpointError, match=r"big\.pth.*/data/1' \(tensor data\)"):
        load_checkpoint(path)


def test_an_mmengine_checkpoint_loads_without_mmengine_installed(tmp_path: Path) -> None:
    """With allow_pickle, objects of MMEngine classes load as stand-ins when it is missing."""
    import types

    from runner_core.checkpoint.safe_load import PickledStandIn
    from runner_core.logging import MessageHub

    names = ["mmengine", "mmengine.logging", "mmengine.logging.history_buffer"]
    saved = {name: sys.modules.get(name) for name in names}
    module = types.ModuleType(names[-1])

    class HistoryBuffer:  # MMEngine's, as it pickles: its state and a class function
        def min(self) -> None:  # pragma: no cover - only pickled by reference
            pass

    HistoryBuffer.__module__ = HistoryBuffer.min.__module__ = module.__name__
    HistoryBuffer.__qualname__, HistoryBuffer.min.__qualname__ = (
        "HistoryBuffer",
        "HistoryBuffer.min",
    )
    module.HistoryBuffer = HistoryBuffer  # type: ignore[attr-defined]
    buf = HistoryBuffer()
    buf.__dict__.update(
        _log_history=np.array([4.0, 2.0]),
        _count_history=np.array([1, 1]),
        _statistics_methods={"min": HistoryBuffer.min},
    )
    try:
        sys.modules.update({name: types.ModuleType(name) for name in names[:-1]})
        sys.modules[names[-1]] = module
        torch.save(
            {"state_dict": {}, "message_hub": {"log_scalars": {"loss": buf}}}, tmp_path / "mm.pth"
        )
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:  # pragma: no cover - mmengine installed where this runs
                sys.modules[name] = old
    if saved["mmengine"] is not None:  # pragma: no cover
        pytest.skip("mmengine is installed here: nothing stands in")
    with pytest.raises(CheckpointError, match="mmengine") as refused:
        load_checkpoint(tmp_path / "mm.pth")  # refused without the opt-in, as any pickle
    # the way in is the opt-in; an allow-list of MMEngine's classes cannot be followed here
    assert "This is an MMEngine checkpoint" in str(refused.value)
    assert "--unsafe-load" in str(refused.value)
    assert "add_safe_globals" not in str(refused.value)
    ckpt = load_checkpoint(tmp_path / "mm.pth", allow_pickle=True)
    stand_in = ckpt["message_hub"]["log_scalars"]["loss"]
    assert isinstance(stand_in, PickledStandIn)
    assert stand_in.stand_in_for == "mmengine.logging.history_buffer.HistoryBuffer"
    hub = MessageHub("from-mmengine")
    hub.load_state_dict(ckpt["message_hub"])
    assert hub.get_scalar("loss").mean() == 3.0


class _RunsCommand:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # runs on unpickling
        return (os.system, (f"touch {self.marker}",))


def test_a_payload_in_an_mmengine_checkpoint_is_named_first_with_no_reassurance(
    tmp_path: Path,
) -> None:
    """An MMEngine checkpoint plus an os.system payload was refused as "... numpy.ndarray and
    1 more ... This is an MMEngine checkpoint ... if you trust where it came from, opt in":
    posix.system cut from the list, the user steered to --unsafe-load (QA)."""
    import argparse
    import datetime
    import decimal
    import types

    name = "mmengine"  # not installed here: a module of that name to pickle a class of
    module = types.ModuleType(name)

    class HistoryBuffer:
        pass

    HistoryBuffer.__module__, HistoryBuffer.__qualname__ = name, "HistoryBuffer"
    module.HistoryBuffer = HistoryBuffer  # type: ignore[attr-defined]
    marker = tmp_path / "pwned"
    meta = {
        "hub": HistoryBuffer(),
        "arr": np.zeros(2),
        "score": np.float32(0.5),
        "args": argparse.Namespace(lr=0.1),
        "when": datetime.date(2024, 1, 1),
        "price": decimal.Decimal("1.5"),
        "tag": Tag("a"),
        "where": Path("x"),
        "zz": _RunsCommand(marker),
    }
    saved = sys.modules.get(name)
    sys.modules[name] = module
    try:
        torch.save({"state_dict": {}, "meta": meta}, tmp_path / "mm.pth")
    finally:
        if saved is None:
            sys.modules.pop(name)
        else:  # pragma: no cover - mmengine installed where this runs
            sys.modules[name] = saved
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(tmp_path / "mm.pth")
    msg = str(refused.value)
    system = f"{os.system.__module__}.system"  # posix.system (nt.system on Windows)
    assert f"it contains {system}, " in msg  # first, although 9 names sort before it
    assert "and 3 more" in msg  # the 10 others cut, so that 8 names are listed
    assert "This is an MMEngine checkpoint" not in msg and "if you trust" not in msg
    assert f"WARNING: {system} can run commands or code" in msg
    assert "unpickling this file would call it" in msg
    assert not marker.exists()
    # without the payload, the user's objects beside MMEngine's come first and withhold
    # the reassurance (no list of dangerous functions is complete: timeit.timeit,
    # torch.hub.load, ... are on none); with only what MMEngine pickles, it is MMEngine's
    del meta["zz"]
    for drop, reads in ((False, "but also argparse.Namespace, "), (True, "This is an MMEngine")):
        if drop:  # MMEngine's own, with containers a dataset's metainfo may hold (review)
            meta = {k: meta[k] for k in ("hub", "arr", "score")}
            meta["classes"] = frozenset({"cat"})
            meta["by_class"] = collections.defaultdict(list, cat=[1])
        sys.modules[name] = module
        try:
            torch.save({"state_dict": {}, "meta": meta}, tmp_path / "mm.pth")
        finally:
            sys.modules.pop(name)
        with pytest.raises(CheckpointError) as refused:
            load_checkpoint(tmp_path / "mm.pth")
        msg = str(refused.value)
        assert reads in msg and "WARNING" not in msg
        assert ("This is an MMEngine checkpoint" in msg) is drop
        if not drop:
            assert "it contains argparse.Namespace, datetime.date, " in msg  # first


class Tag:
    """A user class a checkpoint pickles (importable here)."""

    def __init__(self, label: str) -> None:
        self.label = label


def test_refusal_suggests_the_allow_list_only_when_it_works(tmp_path: Path) -> None:
    torch.save({"state_dict": {}, "tag": Tag("a")}, tmp_path / "tag.pth")
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(tmp_path / "tag.pth")
    name = f"{Tag.__module__}.Tag"
    assert f"torch.serialization.add_safe_globals([{name}])" in str(refused.value)
    with torch.serialization.safe_globals([Tag]):  # following the advice loads it
        assert load_checkpoint(tmp_path / "tag.pth")["tag"].label == "a"
    # with numpy inside too, allowing the class is not enough: no such advice
    torch.save({"tag": Tag("b"), "arr": np.zeros(2)}, tmp_path / "both.pth")
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(tmp_path / "both.pth")
    assert name in str(refused.value) and "numpy" in str(refused.value)
    assert "add_safe_globals" not in str(refused.value)


def test_missing_module_with_allow_pickle_is_a_module_not_found_error(tmp_path: Path) -> None:
    import types

    module = types.ModuleType("gone_mod")

    class Palette:
        pass

    Palette.__module__, Palette.__qualname__ = "gone_mod", "Palette"
    module.Palette = Palette  # type: ignore[attr-defined]
    sys.modules["gone_mod"] = module
    try:
        torch.save({"state_dict": {}, "meta": {"palette": Palette()}}, tmp_path / "p.pth")
    finally:
        del sys.modules["gone_mod"]
    with pytest.raises(ModuleNotFoundError) as caught:  # as MMEngine's torch.load raises
        load_checkpoint(tmp_path / "p.pth", allow_pickle=True)
    assert isinstance(caught.value, CheckpointError) and caught.value.name == "gone_mod"
    # its own class is public, to catch it apart from other missing modules
    assert isinstance(caught.value, CheckpointModuleNotFoundError)
    assert "p.pth" in str(caught.value) and "gone_mod.Palette" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "advice"),
    [
        ("torchvision://resnet50", "get_model_weights('resnet50').DEFAULT.get_state_dict()"),
        ("open-mmlab://resnet50_v1c", "in OpenMMLab's model zoo: download the file"),
        ("mmcls://mobilenet_v2", "in OpenMMLab's model zoo"),
    ],
)
def test_a_model_zoo_name_says_where_its_weights_come_from(url: str, advice: str) -> None:
    with pytest.raises(FileNotFoundError, match="never downloads") as err:
        load_checkpoint(url)
    assert advice in str(err.value)
    assert "register_backend" not in str(err.value)  # no storage serves a zoo name


@pytest.mark.parametrize("reported", [-1, 0, AttributeError])
def test_a_name_limit_the_file_system_does_not_report_counts_as_255(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reported: Any
) -> None:
    """pathconf's -1 or 0 (no limit reported) looped forever shortening the name; Windows
    has no os.pathconf at all (AttributeError), which failed every save."""
    from runner_core.checkpoint import atomic

    def pathconf(path: Any, name: str) -> int:
        if reported is AttributeError:
            raise AttributeError("module 'os' has no attribute 'pathconf'")
        return reported

    monkeypatch.setattr(atomic.os, "pathconf", pathconf)
    temp = atomic._temp_path_for(tmp_path / ("a" * 246 + ".pth"))
    assert len(temp.name.encode()) <= 255 and atomic.TEMP_FILE_PATTERN.match(temp.name)


def test_a_replace_refused_while_the_target_is_held_open_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows refuses to rename over a file another process has open (an antivirus scan,
    a reader of last_checkpoint); such holds are short, and the save waits them out."""
    from runner_core.checkpoint import atomic

    real = os.replace
    refusals = iter([PermissionError(13, "in use"), PermissionError(13, "in use")])

    def held_twice(src, dst):
        error = next(refusals, None)
        if error is not None:
            raise error
        real(src, dst)

    monkeypatch.setattr(atomic, "_REPLACE_TRIES", 5)  # Windows's
    monkeypatch.setattr(atomic, "_REPLACE_WAIT_S", 0.0)
    monkeypatch.setattr(atomic.os, "replace", held_twice)
    target = tmp_path / "last_checkpoint"
    target.write_text("old")
    atomic.write_bytes_atomic(b"new", target)
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["last_checkpoint"]  # no temp file left
    refusals = iter([PermissionError(13, "in use")] * 5)  # held all along: named, old kept
    with pytest.raises(PermissionError, match="last_checkpoint"):
        atomic.write_bytes_atomic(b"newer", target)
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["last_checkpoint"]
