"""The dataset wrappers' ``_get_ori_dataset_idx``, which mmdet/mmdet3d wrapper subclasses use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner_core.dataset import (
    BaseDataset,
    ClassBalancedDataset,
    ConcatDataset,
    RepeatDataset,
)


class CatDataset(BaseDataset):
    def get_cat_ids(self, idx: int) -> list[int]:
        return list(self.get_data_info(idx)["cats"])


@pytest.fixture
def ann(tmp_path: Path) -> str:
    entries = [dict(img_path=f"{i}.png", value=i, cats=[0] if i else [1]) for i in range(5)]
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(dict(metainfo=dict(task="t"), data_list=entries)))
    return str(path)


def test_ori_dataset_idx_as_mmengine_returns_it(ann: str) -> None:
    concat = ConcatDataset([CatDataset(ann), CatDataset(ann, indices=2)])
    assert concat._get_ori_dataset_idx(6) == (1, 1)
    assert concat._get_ori_dataset_idx(-1) == (1, 1)
    repeat = RepeatDataset(CatDataset(ann), times=3)
    assert repeat._get_ori_dataset_idx(13) == 3
    balanced = ClassBalancedDataset(CatDataset(ann), oversample_thr=0.5)
    assert balanced.repeat_indices == [0, 0, 1, 2, 3, 4]
    assert balanced._get_ori_dataset_idx(2) == 1


def test_ori_dataset_idx_is_lazy_like_the_rest(ann: str) -> None:
    repeat = RepeatDataset(CatDataset(ann, lazy_init=True), times=2, lazy_init=True)
    assert repeat._get_ori_dataset_idx(7) == 2
    assert repeat._fully_initialized


class ReversedRepeat(RepeatDataset):
    def _get_ori_dataset_idx(self, idx: int) -> int:
        return self._ori_len - 1 - idx % self._ori_len


class SecondFirstConcat(ConcatDataset):
    def _get_ori_dataset_idx(self, idx: int) -> tuple[int, int]:
        return 1, 0


class FirstOnlyBalanced(ClassBalancedDataset):
    def _get_ori_dataset_idx(self, idx: int) -> int:
        return 0


def test_a_subclass_overriding_ori_dataset_idx_is_followed(ann: str) -> None:
    repeat = ReversedRepeat(CatDataset(ann), times=2)
    assert repeat.get_data_info(0)["value"] == 4
    assert repeat[1]["value"] == 3
    concat = SecondFirstConcat([CatDataset(ann), CatDataset(ann, indices=[3])])
    assert concat.get_data_info(0)["value"] == 3
    assert concat[2]["value"] == 3
    balanced = FirstOnlyBalanced(CatDataset(ann), oversample_thr=0.5)
    assert balanced.get_cat_ids(3) == [1]
    assert balanced[4]["value"] == 0


def test_concat_names_the_dataset_missing_a_metainfo_key(ann: str) -> None:
    with pytest.raises(ValueError, match=r"datasets\[1\] has metainfo 'more' but datasets\[0\]"):
        ConcatDataset([CatDataset(ann), CatDataset(ann, metainfo=dict(more=1))])
    concat = ConcatDataset(
        [CatDataset(ann), CatDataset(ann, metainfo=dict(more=1))], ignore_keys="more"
    )
    assert "more" not in concat.metainfo


def test_a_negative_tensor_index_of_the_caller_is_left_as_it_was(ann: str) -> None:
    import torch

    concat = ConcatDataset([CatDataset(ann), CatDataset(ann, indices=2)])
    index = torch.tensor(-1)
    assert concat._get_ori_dataset_idx(index) == (1, 1)
    assert index.item() == -1  # `+=` changed the caller's tensor in place


def test_a_name_or_configs_in_extra_brackets_are_no_dataset(ann: str) -> None:
    """``datasets=[_base_.train_sets]`` (a list in the list) built a dataset of config dicts,
    ``dataset='CatDS'`` one of characters; MMEngine raises TypeError for both."""
    cfg = dict(type=CatDataset, ann_file=ann)
    with pytest.raises(TypeError, match="must be a dataset"):
        ConcatDataset(datasets=[[cfg, cfg]])
    with pytest.raises(TypeError, match="must be a dataset"):
        RepeatDataset(dataset="CatDataset", times=2)


def test_an_error_inside_a_wrapped_dataset_names_the_whole_key() -> None:
    """A Runner's build named 'RepeatDataset.dataset' where config check gave the full key."""
    from runner_core.data.dataloader import build_dataloader
    from runner_core.errors import RegistryError

    inner = dict(type="RepeatDataset", times=1, dataset=dict(type="NoSuchDataset"))
    with pytest.raises(RegistryError, match=r"'train_dataloader\.dataset\.datasets\[0\]\.dataset"):
        build_dataloader(
            dict(dataset=dict(type="ConcatDataset", datasets=[inner]), batch_size=2),
            seed=0,
            key_path="train_dataloader",
        )
    with pytest.raises(RegistryError, match=r"at config key 'RepeatDataset\.dataset\.type'"):
        RepeatDataset(dataset=dict(type="NoSuchDataset"), times=2)  # built directly


def test_compose_shows_each_transform_as_its_str() -> None:
    from runner_core.dataset import Compose

    class Named:
        def __call__(self, data: dict) -> dict:
            return data

        def __str__(self) -> str:
            return "Named(scale=2)"

    assert "Named(scale=2)" in repr(Compose([Named()]))


def test_a_lazy_dataset_used_before_full_init_says_so_once(
    ann: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """MMEngine warns that the data list loads on first use (in each data loader worker,
    when a lazy dataset reaches them): call full_init() once instead."""
    from runner_core.logging.logger import get_logger

    get_logger("qa-lazy-dataset")  # the current logger, printing to this test's stdout
    dataset = CatDataset(ann, lazy_init=True)
    assert dataset[1]["value"] == 1 and dataset[2]["value"] == 2
    err = capsys.readouterr()
    lines = [x for x in (err.out + err.err).splitlines() if "full_init()" in x]
    assert len(lines) == 1 and "CatDataset[1] before full_init()" in lines[0]
    other = CatDataset(ann, lazy_init=True)
    assert len(other) == 5
    assert "CatDataset.__len__() needs the data list" in "".join(capsys.readouterr())
    ready = CatDataset(ann, lazy_init=True)
    ready.full_init()
    assert ready[0]["value"] == 0 and len(ready) == 5
    assert "full_init()" not in "".join(capsys.readouterr())
