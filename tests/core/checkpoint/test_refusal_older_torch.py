"""The safe loader's refusal on torch 2.1-2.3: torch.load names the refused class in other
words ("Unsupported class mod.Name"), and there is no ``torch.serialization.add_safe_globals``
to recommend (torch >= 2.4)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
import torch

from runner_core.checkpoint import CheckpointError, load_checkpoint

#: torch 2.1's words for a refused class (WeightsUnpickler's RuntimeError, re-raised)
_OLD_REFUSAL = (
    "Weights only load failed. Re-running `torch.load` with `weights_only` set to `False` "
    "will likely succeed, but it can result in arbitrary code execution.Do it only if you "
    "get the file from a trusted source. WeightsUnpickler error: Unsupported class {name}"
)


class Tag:
    """A user class a checkpoint pickles (importable here)."""

    def __init__(self, label: str) -> None:
        self.label = label


def _as_old_torch(monkeypatch: pytest.MonkeyPatch, refused: str) -> None:
    real_load = torch.load

    def load(*args: Any, weights_only: bool = False, **kwargs: Any) -> Any:
        if weights_only:
            raise pickle.UnpicklingError(_OLD_REFUSAL.format(name=refused))
        return real_load(*args, weights_only=weights_only, **kwargs)

    monkeypatch.setattr(torch, "load", load)
    for name in ("get_unsafe_globals_in_checkpoint", "add_safe_globals", "get_safe_globals"):
        monkeypatch.delattr(torch.serialization, name, raising=False)


def test_an_old_torchs_refusal_names_the_class_without_advice_it_cannot_follow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch.save({"state_dict": {}, "tag": Tag("a")}, tmp_path / "tag.pth")
    name = f"{Tag.__module__}.Tag"
    _as_old_torch(monkeypatch, name)
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(tmp_path / "tag.pth")
    message = str(refused.value)
    assert f"it contains {name}," in message
    assert "allow_pickle=True" in message
    assert "add_safe_globals" not in message  # torch < 2.4 has no such function


def test_an_old_torchs_refusal_of_an_mmengine_class_says_it_is_an_mmengine_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch.save({"state_dict": {}}, tmp_path / "mm.pth")
    _as_old_torch(monkeypatch, "mmengine.logging.history_buffer.HistoryBuffer")
    with pytest.raises(CheckpointError, match="This is an MMEngine checkpoint") as refused:
        load_checkpoint(tmp_path / "mm.pth")
    assert "mmengine.logging.history_buffer.HistoryBuffer" in str(refused.value)
