"""Read an offline W&B run file (``run-<id>.wandb``) back, for the tests.

The file is W&B's 7-byte header then LevelDB-log framed records (32 KiB
blocks; each chunk: crc32, little-endian length, type FULL/FIRST/MIDDLE/LAST)
holding protobuf ``Record`` messages. wandb 0.2x+ no longer ships a Python
reader, so this test helper parses the framing itself.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

BLOCK = 32768
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def _payloads(data: bytes) -> list[bytes]:
    assert data[:4] == b":W&B", "not a W&B run file"
    out: list[bytes] = []
    pos, pending = HEADER, b""
    while pos + HEADER <= len(data):
        left_in_block = BLOCK - pos % BLOCK
        if left_in_block < HEADER:
            pos += left_in_block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + HEADER])
        if pos + HEADER + length > len(data):  # the writer is still writing this chunk
            break
        chunk = data[pos + HEADER : pos + HEADER + length]
        pos += HEADER + length
        if kind == FULL:
            out.append(chunk)
        elif kind == FIRST:
            pending = chunk
        elif kind == MIDDLE:
            pending += chunk
        elif kind == LAST:
            out.append(pending + chunk)
            pending = b""
        else:  # zero padding at the end of a block
            pos += BLOCK - pos % BLOCK if pos % BLOCK else 0
    return out


def read_run(path: Path) -> dict[str, Any]:
    """{'history': [row, ...], 'config': {key: value}, 'summary': {...}, 'exit_code': int|None}."""
    from wandb.proto import wandb_internal_pb2 as pb

    found: dict[str, Any] = {"history": [], "config": {}, "summary": {}, "exit_code": None}
    for payload in _payloads(path.read_bytes()):
        record = pb.Record()
        record.ParseFromString(payload)
        kind = record.WhichOneof("record_type")
        if kind == "history":
            found["history"].append(
                {
                    i.key or "/".join(i.nested_key): json.loads(i.value_json)
                    for i in record.history.item
                }
            )
        elif kind == "config":
            for item in record.config.update:
                found["config"][item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
        elif kind == "summary":
            for item in record.summary.update:
                found["summary"][item.key or "/".join(item.nested_key)] = json.loads(
                    item.value_json
                )
        elif kind == "exit":
            found["exit_code"] = record.exit.exit_code
    return found


def read_finished_run(path: Path, timeout: float = 60.0) -> dict[str, Any]:
    """``read_run`` once W&B's service process has written the run's exit record.

    ``run.finish()`` returns before the separate wandb-core process has
    flushed the offline file, so the test waits (bounded) for the record; a
    read that catches a record half-written is retried.
    """
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            run = read_run(path)
        except Exception:  # a record caught half-written by the other process
            if time.monotonic() > deadline:
                raise
        else:
            if run["exit_code"] is not None or time.monotonic() > deadline:
                return run
        time.sleep(0.2)
