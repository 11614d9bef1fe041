"""Early write-back: durable saves start their disk write chunk by chunk, and stay intact."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from runner_core.checkpoint import load_checkpoint, save_checkpoint, verify_checkpoint, writeback
from runner_core.checkpoint.writeback import WritebackFile


class Recorder:
    """Stands in for sync_file_range: records (offset, nbytes) and returns ``result``."""

    def __init__(self, result: int = 0) -> None:
        self.calls: list[tuple[int, int]] = []
        self.result = result

    def __call__(self, fd: int, offset: int, nbytes: int, flags: int) -> int:
        assert flags == 2  # SYNC_FILE_RANGE_WRITE: start the write, never wait
        self.calls.append((offset, nbytes))
        return self.result


def test_pieces_arrive_whole_and_every_full_chunk_is_started(tmp_path: Path) -> None:
    pieces: list[Any] = [
        b"abc",
        bytes(range(25)),
        memoryview(b"0123456"),
        torch.arange(6.0).numpy(),
    ]
    expected = b"".join(bytes(memoryview(p).cast("B")) for p in pieces)
    sync = Recorder()
    with open(tmp_path / "f.bin", "wb") as f:
        out = WritebackFile(f, sync, chunk=10)
        sizes = [out.write(p) for p in pieces]
        out.flush()
    assert (tmp_path / "f.bin").read_bytes() == expected
    assert sizes == [memoryview(p).nbytes for p in pieces]
    # contiguous full chunks from the start; the tail is left to the final fsync
    assert sync.calls == [(offset, 10) for offset in range(0, len(expected) // 10 * 10, 10)]


def test_a_refused_request_is_not_repeated_and_the_file_is_intact(tmp_path: Path) -> None:
    sync = Recorder(result=-1)
    data = bytes(range(256)) * 4
    with open(tmp_path / "f.bin", "wb") as f:
        out = WritebackFile(f, sync, chunk=100)
        out.write(data[:300])
        out.write(data[300:])
    assert (tmp_path / "f.bin").read_bytes() == data
    assert sync.calls == [(0, 100)]


def test_durable_saves_start_their_write_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync = Recorder()
    monkeypatch.setattr(writeback, "_range_sync", lambda: sync)
    monkeypatch.setattr(writeback, "CHUNK_BYTES", 4096)
    weights = torch.randn(64, 1024)
    state = {"w": weights, "step": 3}
    saved = save_checkpoint(state, tmp_path / "a.pth")
    assert len(sync.calls) >= 64  # 256 KB of weights in 4 KB chunks
    assert verify_checkpoint(saved) > 0
    loaded = load_checkpoint(saved)
    assert isinstance(loaded["w"], torch.Tensor) and torch.equal(loaded["w"], weights)
    assert loaded["step"] == 3

    sync.calls.clear()
    save_checkpoint(state, tmp_path / "b.pth", fsync=False)  # not durable: nothing to overlap
    assert sync.calls == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range is Linux's")
def test_linux_uses_the_real_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert writeback._range_sync() is not None
    monkeypatch.setattr(writeback, "CHUNK_BYTES", 1 << 16)
    state = {"w": torch.randn(1 << 18)}  # 1 MB: 16 requests to the kernel
    saved = save_checkpoint(state, tmp_path / "real.pth")
    loaded = load_checkpoint(saved)["w"]
    assert isinstance(loaded, torch.Tensor) and torch.equal(loaded, state["w"])
