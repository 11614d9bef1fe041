"""FSDP shards with FSDP2's public API (torch 2.6+): older torch gets a clear error."""

from __future__ import annotations

import pytest
import torch.distributed.fsdp
from torch import nn

from runner_core.distributed.model_wrappers import FullyShardedDataParallel
from runner_core.errors import RunnerError


def test_fsdp_on_a_torch_without_fully_shard_names_the_version_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(torch.distributed.fsdp, "fully_shard")
    with pytest.raises(
        RunnerError, match=r"torch 2\.6 or later.*MMDistributedDataParallel"
    ) as info:
        FullyShardedDataParallel(nn.Linear(2, 2))
    # still an ImportError: `except ImportError` feature checks keep working
    assert isinstance(info.value, ImportError)
