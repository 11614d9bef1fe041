"""DumpResults: test-set predictions saved to a pickle, for offline scoring."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from runner_core.evaluator import DumpResults, Evaluator


def test_dump_results_writes_every_prediction_on_the_cpu(tmp_path: Path) -> None:
    out = tmp_path / "preds" / "test.pkl"
    evaluator = Evaluator(dict(type="DumpResults", out_file_path=str(out)))
    evaluator.process([{"pred": torch.tensor(1.0)}, {"pred": torch.tensor(2.0)}])
    evaluator.process([{"pred": torch.tensor(3.0)}])
    assert evaluator.evaluate(3) == {}
    saved = pickle.loads(out.read_bytes())
    assert [float(item["pred"]) for item in saved] == [1.0, 2.0, 3.0]
    # written atomically: no temp file left beside it
    assert not list(out.parent.glob("*.tmp*"))


def test_dump_results_needs_a_pickle_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"end it with '\.pkl'"):
        DumpResults(out_file_path=str(tmp_path / "preds.json"))


def test_out_file_path_is_a_str_as_in_mmengine(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "preds.pkl"
    dump = DumpResults(out_file_path=out)  # a Path is accepted and kept as a str
    assert isinstance(dump.out_file_path, str) and dump.out_file_path == str(out)
    dump.process(None, [{"pred": 1}])
    assert dump.evaluate(1) == {}
    assert pickle.loads(out.read_bytes()) == [{"pred": 1}]


def test_a_batched_dict_of_outputs_is_dumped_one_entry_per_sample(tmp_path: Path) -> None:
    """A plain module's val/test step returns {'pred': (B, C), 'gt': (B,)} per batch: its
    keys were dumped, not its samples."""
    out = tmp_path / "preds.pkl"
    dump = DumpResults(out_file_path=out)
    dump.process(None, {"pred": torch.arange(6.0).reshape(3, 2), "gt": torch.tensor([0, 1, 1])})
    dump.process(None, {"pred": torch.ones(1, 2), "gt": torch.tensor([0]), "tag": "b2"})
    assert dump.evaluate(4) == {}
    saved = pickle.loads(out.read_bytes())
    assert len(saved) == 4 and [int(s["gt"]) for s in saved] == [0, 1, 1, 0]
    assert saved[1]["pred"].tolist() == [2.0, 3.0] and saved[3]["tag"] == "b2"


def test_per_sample_entries_pickle_their_own_rows_and_split_per_sample_lists(
    tmp_path: Path,
) -> None:
    """A row kept as a view pickled the whole batch with each sample (B times the size)."""
    out = tmp_path / "preds.pkl"
    dump = DumpResults(out_file_path=out)
    batch = {"pred": torch.randn(64, 1000), "img_path": [f"{i}.png" for i in range(64)]}
    dump.process(None, batch)
    dump.evaluate(64)
    assert out.stat().st_size < 2 * 64 * 1000 * 4  # about the batch, not 64 batches
    saved = pickle.loads(out.read_bytes())
    assert saved[5]["img_path"] == "5.png" and torch.equal(saved[5]["pred"], batch["pred"][5])


def test_a_batch_wide_tuple_is_repeated_in_every_sample_not_split(tmp_path: Path) -> None:
    out = tmp_path / "preds.pkl"
    dump = DumpResults(out_file_path=out)
    dump.process(None, {"pred": torch.zeros(2, 3), "img_shape": (224, 320)})
    dump.process(None, {"pred": torch.zeros(4, 3), "img_shape": (224, 224)})
    dump.evaluate(6)
    saved = pickle.loads(out.read_bytes())
    assert len(saved) == 6 and saved[0]["img_shape"] == (224, 320)
    assert saved[5]["img_shape"] == (224, 224)
