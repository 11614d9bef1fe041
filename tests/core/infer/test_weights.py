"""Loading an inferencer's checkpoint: the weights, ``model.dataset_meta``, and the warnings."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

from runner_core.checkpoint import CheckpointError, save_checkpoint
from runner_core.dataset import BaseDataset
from runner_core.registry import DATASETS


def _build(cls: Any, *args: Any, **kwargs: Any) -> Any:
    return cls(*args, device="cpu", show_progress=False, **kwargs)


def _labels(inferencer: Any, setup: Any) -> list[int]:
    return [p["label"] for p in inferencer(setup.inputs)["predictions"]]


@DATASETS.register_module(force=True)
class InferVectorSet(BaseDataset):
    METAINFO = {"classes": ("x", "y", "z"), "palette": [(1, 2, 3)]}


def test_dataset_meta_comes_from_the_checkpoint_meta(setup: Any, vector_inferencer: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a checkpoint with its class names: no warning
        inferencer = _build(vector_inferencer, setup.config, weights=setup.weights)
    assert inferencer.model.dataset_meta == {"classes": list(setup.classes)}
    assert _labels(inferencer, setup) == setup.expected_labels()


def test_dataset_meta_falls_back_to_the_config(
    setup: Any, vector_inferencer: Any, tmp_path: Path
) -> None:
    bare = tmp_path / "bare.pth"
    save_checkpoint({"state_dict": setup.reference.state_dict()}, bare)
    config = setup.write_config(
        "meta.py", extra_dataset=", type='InferVectorSet', metainfo=dict(classes=('p', 'q', 'r'))"
    )
    inferencer = _build(vector_inferencer, config, weights=bare)
    # the dataset class's METAINFO updated by the config's metainfo, as the dataset merges them
    assert inferencer.model.dataset_meta == {"classes": ("p", "q", "r"), "palette": [(1, 2, 3)]}
    assert _labels(inferencer, setup) == setup.expected_labels()


def test_no_class_names_anywhere_warns(setup: Any, vector_inferencer: Any, tmp_path: Path) -> None:
    bare = tmp_path / "bare.pth"
    save_checkpoint({"state_dict": setup.reference.state_dict()}, bare)
    with pytest.warns(UserWarning, match=r"model\.dataset_meta .* is not set"):
        inferencer = _build(vector_inferencer, setup.config, weights=bare)
    assert getattr(inferencer.model, "dataset_meta", None) is None


def test_no_weights_warns_as_mmengine_and_keeps_random_weights(
    setup: Any, vector_inferencer: Any
) -> None:
    with pytest.warns(UserWarning, match="Checkpoint is not loaded"):
        inferencer = _build(vector_inferencer, setup.config)
    weight = inferencer.model.fc.weight
    assert not torch.equal(weight, setup.reference.fc.weight)


def test_a_ddp_prefixed_checkpoint_loads(
    setup: Any, vector_inferencer: Any, tmp_path: Path
) -> None:
    wrapped = tmp_path / "ddp.pth"
    state = {f"module.{k}": v for k, v in setup.reference.state_dict().items()}
    save_checkpoint(
        {"state_dict": state, "meta": {"dataset_meta": {"classes": list("abc")}}}, wrapped
    )
    inferencer = _build(vector_inferencer, setup.config, weights=wrapped)
    assert _labels(inferencer, setup) == setup.expected_labels()


def test_a_checkpoint_of_another_model_is_refused(
    setup: Any, vector_inferencer: Any, tmp_path: Path
) -> None:
    # MMEngine loads nothing and goes on with random weights; every key missing is an error here
    other = tmp_path / "other.pth"
    save_checkpoint({"state_dict": {"backbone.w": torch.zeros(2)}}, other)
    with pytest.raises(CheckpointError, match=r"other\.pth.*no key in common"):
        _build(vector_inferencer, setup.config, weights=other)


def test_a_missing_weights_file_is_named(setup: Any, vector_inferencer: Any) -> None:
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        _build(vector_inferencer, setup.config, weights=str(setup.folder / "nope.pth"))


class Pickled:
    """Not plain data: loading it needs full unpickling."""


def test_a_pickled_checkpoint_needs_the_configs_opt_in(
    setup: Any, vector_inferencer: Any, tmp_path: Path
) -> None:
    pickled = tmp_path / "pickled.pth"
    torch.save({"state_dict": setup.reference.state_dict(), "meta": {"x": Pickled()}}, pickled)
    with pytest.raises(CheckpointError, match="Refusing") as info:
        _build(vector_inferencer, setup.config, weights=pickled)
    assert "load_cfg = dict(allow_pickle=True)" in "".join(getattr(info.value, "__notes__", []))
    opted_in = setup.write_config("pickle.py", extra="load_cfg = dict(allow_pickle=True)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no dataset_meta in that checkpoint
        inferencer = _build(vector_inferencer, opted_in, weights=pickled)
    assert _labels(inferencer, setup) == setup.expected_labels()


def test_an_opt_in_that_is_not_a_bool_is_refused_not_read_as_true(
    setup: Any, vector_inferencer: Any, tmp_path: Path
) -> None:
    from runner_core.errors import ConfigTypeError

    pickled = tmp_path / "pickled.pth"
    torch.save({"state_dict": setup.reference.state_dict(), "meta": {"x": Pickled()}}, pickled)
    as_json = setup.write_config("str.py", extra="load_cfg = dict(allow_pickle='false')")
    with pytest.raises(ConfigTypeError, match=r"load_cfg\.allow_pickle='false'"):
        _build(vector_inferencer, as_json, weights=pickled)


def test_a_pretrained_key_is_dropped_before_building(setup: Any, vector_inferencer: Any) -> None:
    # MMEngine deletes it so nothing but `weights` is loaded (InferLinear takes no such argument)
    config = setup.write_config("pretrained.py")
    config.write_text(
        config.read_text().replace("num_classes=3)", "num_classes=3, pretrained='http://x/y.pth')")
    )
    inferencer = _build(vector_inferencer, config, weights=setup.weights)
    assert "pretrained" not in inferencer.cfg.model
    assert _labels(inferencer, setup) == setup.expected_labels()


def test_sync_batchnorm_becomes_a_plain_batch_norm(setup: Any, vector_inferencer: Any) -> None:
    # one process: a SyncBatchNorm has no peers (mmdet's and mmseg's inferencers revert it too)
    from runner_core.model import BaseModel
    from runner_core.registry import MODELS

    @MODELS.register_module(name="InferSyncBN", force=True)
    class WithSyncBN(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(4, 3)
            self.norm = torch.nn.SyncBatchNorm(3)

        def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
            logits = self.norm(self.fc(torch.stack(list(inputs))))
            return [{"scores": row, "label": int(row.argmax())} for row in logits]

    config = setup.write_config("syncbn.py")
    config.write_text(
        config.read_text().replace(
            "type='InferLinear', in_features=4, num_classes=3", "type='InferSyncBN'"
        )
    )
    inferencer = _build(vector_inferencer, config, weights=setup.weights)
    kinds = {type(m) for m in inferencer.model.modules()}
    assert torch.nn.SyncBatchNorm not in kinds
    assert any(
        isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in inferencer.model.modules()
    )
    assert len(_labels(inferencer, setup)) == 5
