"""MMEngine code that uses the Visualizer beyond scalars: backend names, ``_vis_backends``,
a config without ``save_dir``, and the image methods (drawing: test_drawing.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runner_core.errors import BuildError
from runner_core.registry import VISBACKENDS
from runner_core.visualization import Visualizer


@VISBACKENDS.register_module(force=True)
class RecordingBackendForApiTests:
    """No save_dir: kept whether or not the Visualizer has one."""

    def __init__(self) -> None:
        self.records: list[tuple[dict, int]] = []

    def add_scalars(self, scalar_dict: dict, step: int = 0) -> None:
        self.records.append((dict(scalar_dict), step))


def test_backends_given_a_name_are_found_by_it(tmp_path: Path) -> None:
    """MMEngine pops ``name`` from a backend config and keys the backend by it."""
    vis = Visualizer(
        "t_named_backends",
        vis_backends=[
            dict(type="LocalVisBackend", name="local"),
            dict(type="RecordingBackendForApiTests", name="rec"),
        ],
        save_dir=tmp_path,
    )
    assert list(vis.backends) == ["local", "rec"]
    assert type(vis.get_backend("local")).__name__ == "LocalVisBackend"
    vis.add_scalars({"loss": 1.0}, step=2)
    vis.close()
    assert vis.get_backend("rec").records == [({"loss": 1.0}, 2)]
    assert (tmp_path / "vis_data" / "scalars.json").is_file()
    with pytest.raises(BuildError, match=r"vis_backends\[1\].*'rec' is taken"):
        Visualizer(
            "t_named_twice",
            vis_backends=[
                dict(type="RecordingBackendForApiTests", name="rec"),
                dict(type="RecordingBackendForApiTests", name="rec"),
            ],
        )


def test_a_file_backend_without_save_dir_is_left_out_with_a_warning() -> None:
    """An inference script builds the training config's visualizer without a folder."""
    with pytest.warns(UserWarning, match=r"vis_backends\[0\] \(LocalVisBackend\) is left out"):
        vis = Visualizer(
            "t_no_save_dir",
            vis_backends=[dict(type="LocalVisBackend"), dict(type="RecordingBackendForApiTests")],
        )
    assert list(vis.backends) == ["RecordingBackendForApiTests"]
    vis.add_scalars({"loss": 1.0})  # still works


def test_mmengines_vis_backends_attribute_reads_and_resets(tmp_path: Path) -> None:
    """OpenMMLab hooks iterate ``visualizer._vis_backends`` and set it to {} when showing."""
    vis = Visualizer(
        "t_private_backends", vis_backends=[dict(type="LocalVisBackend")], save_dir=tmp_path
    )
    assert list(vis._vis_backends) == ["LocalVisBackend"]
    vis._vis_backends = {}
    vis.add_scalars({"loss": 1.0}, step=1, file_path="extra.json")
    assert len(vis) == 0 and not (tmp_path / "vis_data").exists()


def test_set_image_and_get_image_hold_the_image() -> None:
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    vis = Visualizer("t_images", image=rgb)
    assert np.array_equal(vis.get_image(), rgb) and (vis.width, vis.height) == (3, 2)
    vis.set_image(np.ones((4, 5), dtype=np.float32))  # floats in [0, 1] as add_image
    assert vis.get_image().dtype == np.uint8 and int(vis.get_image().max()) == 255
    assert vis.get_image().shape == (4, 5, 3)  # grey made RGB: get_image is RGB, as MMEngine
    with pytest.raises(ValueError, match=r"set_image\(image\) first"):
        Visualizer("t_no_image").get_image()


def test_add_datasample_does_nothing_as_in_mmengines_base_class(tmp_path: Path) -> None:
    vis = Visualizer("t_datasample", vis_backends=[dict(type="LocalVisBackend")], save_dir=tmp_path)
    vis.add_datasample("sample", np.zeros((2, 2, 3), dtype=np.uint8), None, step=1)
    vis.add_scalars({"acc": np.float32(0.5), "ok": True}, step=1)
    vis.close()
    line = (tmp_path / "vis_data" / "scalars.json").read_text().splitlines()
    assert [json.loads(x) for x in line] == [{"acc": 0.5, "ok": True, "step": 1}]


def test_add_config_takes_mmengines_keyword(tmp_path: Path) -> None:
    from runner_core.config import Config

    vis = Visualizer("t_config_kw", vis_backends=[dict(type="LocalVisBackend")], save_dir=tmp_path)
    vis.add_config(config=Config(dict(lr=0.1)))
    assert "lr = 0.1" in (tmp_path / "vis_data" / "config.py").read_text()


def test_ranks_other_than_zero_record_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MMEngine's add_* methods are master_only: a hook calling them on every rank must not
    put a second process's records into rank 0's files."""
    from runner_core.distributed import utils

    vis = Visualizer(
        name="t_rank1_vis", vis_backends=[dict(type="LocalVisBackend")], save_dir=tmp_path
    )
    monkeypatch.setattr(utils, "get_rank", lambda group=None: 1)
    vis.add_scalars({"rank_mark": 1.0}, step=1)
    vis.add_scalar("rank_mark", 1.0, step=1)
    vis.add_image("img", np.zeros((4, 4, 3), dtype=np.uint8), step=1)
    vis.add_config({"a": 1})
    vis.close()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    monkeypatch.setattr(utils, "get_rank", lambda group=None: 0)
    vis.add_scalars({"rank_mark": 0.0}, step=2)
    vis.close()
    lines = (tmp_path / "vis_data" / "scalars.json").read_text().splitlines()
    assert [json.loads(line)["rank_mark"] for line in lines] == [0.0]


def test_clearing_instance_dict_as_ported_teardowns_do_forgets_every_visualizer() -> None:
    from runner_core.visualization import visualizer as module

    saved = (list(module._built), dict(module._kept), dict(module._by_name))
    try:
        made = Visualizer.get_instance("ported_vis")
        assert Visualizer._instance_dict["ported_vis"] is made
        assert Visualizer.get_current_instance() is made
        Visualizer._instance_dict.clear()  # an MMEngine test suite's tearDown
        assert not Visualizer.check_instance_created("ported_vis")
        with pytest.raises(
            RuntimeError, match=r"no Visualizer is alive \(one built with Visualizer"
        ):
            Visualizer.get_current_instance()
        assert Visualizer.get_instance("ported_vis") is not made
    finally:
        module._built[:] = saved[0]
        dict.clear(module._kept)
        module._kept.update(saved[1])
        module._by_name.update(saved[2])


def test_a_subclass_finds_its_own_current_instance_after_a_plain_one_is_built() -> None:
    class DetVisualizer(Visualizer):
        pass

    det = DetVisualizer.get_instance("det_current")
    plain = Visualizer.get_instance("plain_current")
    assert Visualizer.get_current_instance() is plain
    assert DetVisualizer.get_current_instance() is det  # MMEngine's per-class table


def test_dataset_meta_is_stored_where_mmengine_keeps_it() -> None:
    visualizer = Visualizer("meta_vis")
    visualizer._dataset_meta = dict(classes=("cat", "dog"))  # as mmpretrain's inferencer sets it
    assert visualizer.dataset_meta == dict(classes=("cat", "dog"))
    visualizer.dataset_meta = dict(classes=("a",))
    assert visualizer._dataset_meta == dict(classes=("a",))


@pytest.mark.parametrize("backend", [3, None, object()])
def test_a_backend_that_is_neither_config_nor_backend_is_refused_when_built(backend: Any) -> None:
    from runner_core.errors import ConfigTypeError

    with pytest.raises(ConfigTypeError, match=r"vis_backends\[0\]"):
        Visualizer("bad_backend", vis_backends=[backend])
