"""verify_checkpoint on a filesystem that cannot map files (some FUSE and network mounts).

The CRC check maps the file; where ``mmap`` fails (OSError: "No such device", or a
ValueError), it reads the file in chunks instead: a good file still verifies, a damaged
one is still refused with the same message.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest
import torch

from runner_core.checkpoint import CheckpointError, integrity, load_checkpoint, save_checkpoint
from runner_core.checkpoint.integrity import verify_checkpoint


@pytest.fixture(params=[OSError(19, "No such device"), ValueError("mmap length is too large")])
def no_mmap(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> list[int]:
    """``mmap.mmap`` fails as on such a filesystem; chunks of 1 KiB, so a record spans many."""
    calls: list[int] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise request.param

    monkeypatch.setattr(integrity.mmap, "mmap", refuse)
    monkeypatch.setattr(integrity._FileBytes, "CHUNK", 1024)
    return calls


def _saved(tmp_path: Path) -> Path:
    state = {"w": torch.randn(5000), "b": torch.arange(300)}
    return save_checkpoint({"meta": {"epoch": 3}, "state_dict": state}, tmp_path / "c.pth")


def _flip_in(path: Path, record: str) -> None:
    """Flip one byte in the middle of the zip record whose name ends with ``record``."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(record))
    with open(path, "r+b") as f:
        f.seek(info.header_offset)
        name_len, extra_len = struct.unpack("<HH", f.read(30)[26:30])
        offset = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x01]))


def test_a_good_file_verifies_by_reads(tmp_path: Path, no_mmap: list[int]) -> None:
    path = _saved(tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert verify_checkpoint(path) == len(archive.infolist())  # every record checked
    assert no_mmap  # the mapping was tried, and failed
    assert torch.equal(load_checkpoint(path)["state_dict"]["b"], torch.arange(300))


@pytest.mark.parametrize("record", ["data/0", "data.pkl"])
def test_a_damaged_file_is_still_refused(tmp_path: Path, no_mmap: list[int], record: str) -> None:
    path = _saved(tmp_path)
    _flip_in(path, record)
    with pytest.raises(CheckpointError, match=rf"c\.pth.*corrupt.*{record}.*CRC-32"):
        verify_checkpoint(path)
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path)


def test_a_truncated_file_is_still_refused(tmp_path: Path, no_mmap: list[int]) -> None:
    path = _saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.9)])
    with pytest.raises(CheckpointError, match="truncated"):
        verify_checkpoint(path)
