"""LocalVisBackend's JSON lines and TensorBoard event files, read back by TensorBoard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from runner_core.errors import BuildError
from runner_hooks_standard.vis_backends.local import LocalVisBackend
from runner_hooks_standard.vis_backends.tensorboard import TensorBoardVisBackend


def test_local_backend_appends_one_flushed_record_per_call(tmp_path: Path) -> None:
    backend = LocalVisBackend(save_dir=tmp_path / "vis")
    assert not (tmp_path / "vis").exists()  # nothing until the first write
    backend.add_scalars({"loss": torch.tensor(0.5), "lr": 0.1, "memory": 12}, step=10)
    # readable while the file is still open: each record is flushed
    lines = (tmp_path / "vis" / "scalars.json").read_text().splitlines()
    assert json.loads(lines[0]) == {"loss": 0.5, "lr": 0.1, "memory": 12, "step": 10}
    backend.add_scalar("acc", 90.0, step=1)
    backend.close()
    backend.add_scalars({"loss": 0.25}, step=20)  # reopens in append mode
    backend.close()
    records = [json.loads(x) for x in (tmp_path / "vis" / "scalars.json").read_text().splitlines()]
    assert [r["step"] for r in records] == [10, 1, 20]


def test_a_step_key_of_the_record_is_kept_as_in_mmengine(tmp_path: Path) -> None:
    backend = LocalVisBackend(save_dir=tmp_path / "vis")
    backend.add_scalars({"loss": 1.0, "step": 77}, step=8)
    backend.close()
    assert json.loads((tmp_path / "vis" / "scalars.json").read_text()) == {
        "loss": 1.0,
        "step": 77,
    }


def test_local_backend_file_path_follows_mmengines_rules(tmp_path: Path) -> None:
    """MMEngine: ``file_path`` is a .json file relative to save_dir (sub-folders kept), never
    the scalar file itself (AssertionError); the record goes to both files."""
    from runner_hooks_standard.vis_backends.local import ScalarFileError

    backend = LocalVisBackend(save_dir=tmp_path / "vis")
    backend.add_scalars({"loss": 1.0}, step=1, file_path="logs/run.json")
    backend.add_scalars({"loss": 2.0}, step=2, file_path="./logs/../logs/run.json")  # same file
    for bad in ("run.txt", "scalars.json", "./scalars.json"):
        with pytest.raises(ScalarFileError, match="file_path") as caught:
            backend.add_scalars({"loss": 3.0}, step=3, file_path=bad)
        assert isinstance(caught.value, AssertionError)
    backend.close()
    extra = (tmp_path / "vis" / "logs" / "run.json").read_text().splitlines()
    assert [json.loads(x) for x in extra] == [{"loss": 1.0, "step": 1}, {"loss": 2.0, "step": 2}]
    records = (tmp_path / "vis" / "scalars.json").read_text().splitlines()
    assert [json.loads(x)["step"] for x in records] == [1, 2]  # a refused name writes nothing
    assert not (tmp_path / "vis" / "run.txt").exists()


@pytest.mark.parametrize(
    ("option", "value"), [("config_save_file", "config.txt"), ("scalar_save_file", "a.yaml")]
)
def test_save_file_names_of_the_wrong_kind_are_refused_when_built(
    tmp_path: Path, option: str, value: str
) -> None:
    """MMEngine asserts them in the constructor; a .txt config used to fail at add_config."""
    with pytest.raises(AssertionError, match=rf"{option}='{value}'.*must end with") as caught:
        LocalVisBackend(save_dir=tmp_path / "vis", **{option: value})
    assert isinstance(caught.value, ValueError)  # a ConfigError too
    assert not (tmp_path / "vis").exists()


def test_tensorboard_scalars_are_read_back_by_tensorboard(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    backend = TensorBoardVisBackend(save_dir=tmp_path)
    for step in (1, 2, 3):
        backend.add_scalars({"loss": torch.tensor(1.0 / step), "lr": 0.1, "note": "x"}, step=step)
    backend.close()
    acc = EventAccumulator(str(tmp_path / "tensorboard"))
    acc.Reload()
    assert sorted(acc.Tags()["scalars"]) == ["loss", "lr"]
    loss = [(e.step, e.value) for e in acc.Scalars("loss")]
    assert loss == [(1, 1.0), (2, pytest.approx(0.5)), (3, pytest.approx(1 / 3))]


def test_tensorboard_add_scalar_warns_about_a_value_that_is_no_number(tmp_path: Path) -> None:
    """MMEngine warns and skips; a silent skip left a user's curve missing unexplained."""
    backend = TensorBoardVisBackend(save_dir=tmp_path)
    with pytest.warns(UserWarning, match=r"add_scalar\('acc'\): got str 'high', not a number"):
        backend.add_scalar("acc", "high", step=1)
    backend.close()


def test_tensorboard_from_a_run_config(make_runner: Any) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    runner = make_runner(
        visualizer=dict(
            vis_backends=[dict(type="LocalVisBackend"), dict(type="TensorboardVisBackend")]
        ),
        default_hooks=dict(logger=dict(interval=4)),
    )
    runner.train()
    acc = EventAccumulator(str(Path(runner.log_dir) / "vis_data" / "tensorboard"))
    acc.Reload()
    assert [e.step for e in acc.Scalars("loss")] == [4, 8, 12, 16]
    assert (Path(runner.log_dir) / "vis_data" / "scalars.json").is_file()


def test_missing_tensorboard_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name)
    )
    with pytest.raises(BuildError, match=r"pip install 'runner-hooks-standard\[tensorboard\]'"):
        TensorBoardVisBackend(save_dir="x")


#: tests/cli/tiny_task.py: 64 points, batch 8 (8 iterations per epoch), 2 epochs
TB_TINY_CONFIG = """
custom_imports = dict(imports=['tiny_task'])
model = dict(type='TinyNet')
train_dataloader = dict(dataset=dict(type='TinyDataset'), batch_size=8, shuffle=True)
val_dataloader = dict(dataset=dict(type='TinyDataset', size=32), batch_size=16)
val_evaluator = dict(type='Accuracy')
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
default_hooks = dict(logger=dict(interval=2, progress_bar=False))
visualizer = dict(vis_backends=[dict(type='TensorBoardVisBackend')])
"""


def test_tensorboard_tags_never_mix_iteration_and_epoch_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real epoch-based run: time/data_time/epoch of validation no longer zig-zag."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from runner_cli.main import main

    tiny = Path(__file__).resolve().parents[1] / "cli"
    monkeypatch.syspath_prepend(str(tiny))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.py").write_text(TB_TINY_CONFIG)
    assert main(["train", "c.py", "--work-dir", "wd"]) == 0
    (events,) = {p.parent for p in (tmp_path / "wd").rglob("events.out.tfevents.*")}
    acc = EventAccumulator(str(events))
    acc.Reload()
    steps = {tag: [e.step for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
    for tag, seen in steps.items():
        assert seen == sorted(seen), f"{tag} goes back in steps: {seen}"
    iters = list(range(2, 17, 2))  # logged every 2 of 16 iterations
    assert steps["time"] == steps["data_time"] == steps["epoch"] == iters
    assert steps["val/time"] == steps["accuracy/top1"] == [1, 2]  # validation, per epoch


def test_tensorboard_keeps_the_names_of_scalars_a_user_logs(tmp_path: Path) -> None:
    """Only the LoggerHook's validation records are renamed: a user's own ``time`` or
    ``epoch`` (no ``iter`` beside it) keeps its curve, as in MMEngine."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    backend = TensorBoardVisBackend(save_dir=str(tmp_path))
    backend.add_scalars({"time": 0.5}, step=1)
    backend.add_scalars({"epoch": 3, "throughput": 9.0}, step=2)
    backend.add_scalar("memory", 12, step=3)
    backend.close()
    acc = EventAccumulator(str(backend.log_dir))
    acc.Reload()
    steps = {tag: [e.step for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
    assert steps == {"time": [1], "epoch": [2], "throughput": [2], "memory": [3]}


def test_images_are_written_as_png_files_that_read_back_exactly(tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    from runner_core.visualization import Visualizer

    visualizer = Visualizer(vis_backends=[dict(type="LocalVisBackend")], save_dir=tmp_path)
    rgb = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    visualizer.add_image("pred", rgb, step=3)
    visualizer.add_image(
        "mask", torch.tensor([[0.0, 1.0], [0.5, 0.25]]), step=7
    )  # floats in [0, 1]
    images = tmp_path / "vis_data" / "vis_image"  # MMEngine's layout
    assert np.array_equal(np.asarray(Image.open(images / "pred_3.png")), rgb)
    grey = np.asarray(Image.open(images / "mask_7.png"))
    assert grey.tolist() == [[0, 255], [128, 64]]
    with pytest.raises(ValueError, match=r"permute\(1, 2, 0\)"):
        visualizer.add_image("chw", torch.zeros(3, 4, 5))


def test_an_image_name_with_a_slash_writes_into_a_subfolder(tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    from runner_core.visualization import Visualizer

    visualizer = Visualizer(vis_backends=[dict(type="LocalVisBackend")], save_dir=tmp_path)
    rgb = np.full((2, 3, 3), 7, dtype=np.uint8)
    visualizer.add_image("val/sample", rgb, step=1)  # TensorBoard-style grouping
    written = tmp_path / "vis_data" / "vis_image" / "val" / "sample_1.png"
    assert np.array_equal(np.asarray(Image.open(written)), rgb)


def test_tensorboard_images_and_mmengine_backend_names(tmp_path: Path) -> None:
    import numpy as np
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from runner_core.visualization import Visualizer

    visualizer = Visualizer(
        vis_backends=[dict(type="LocalVisBackend"), dict(type="TensorboardVisBackend")],
        save_dir=tmp_path,
    )
    board = visualizer.get_backend("TensorboardVisBackend")  # MMEngine's spelling
    assert isinstance(board, TensorBoardVisBackend)
    assert visualizer.get_backend("LocalVisBackend").experiment is visualizer.get_backend(
        "LocalVisBackend"
    )
    visualizer.add_image("sample", np.zeros((4, 6, 3), dtype=np.uint8), step=2)
    visualizer.add_scalar("acc", 0.5, step=1, file_path="extra.json")
    visualizer.close()
    acc = EventAccumulator(str(tmp_path / "vis_data" / "tensorboard"))
    acc.Reload()
    (image,) = acc.Images("sample")
    assert (image.step, image.width, image.height) == (2, 6, 4)
    extra = tmp_path / "vis_data" / "extra.json"
    assert json.loads(extra.read_text().splitlines()[0])["acc"] == 0.5
    assert Visualizer.get_instance(visualizer.name) is visualizer


def test_backends_are_mmengine_style_basevisbackends(tmp_path: Path) -> None:
    """OpenMMLab code calls ``_init_env()``, subclasses with ``@force_init_env`` and
    redirects images through ``_save_dir``/``_img_save_dir``, as in MMEngine."""
    import numpy as np

    from runner_core.visualization import BaseVisBackend, force_init_env

    seen: list[str] = []

    class CountingLocal(LocalVisBackend):
        def _init_env(self) -> None:
            seen.append("init")

        @force_init_env
        def add_scalars(
            self, scalar_dict: Any, step: int = 0, file_path: Any = None, **kwargs: Any
        ) -> None:
            super().add_scalars(scalar_dict, step, file_path, **kwargs)

    backend = CountingLocal(save_dir=tmp_path / "vis_data")
    assert isinstance(backend, BaseVisBackend) and backend._save_dir == str(tmp_path / "vis_data")
    backend.add_scalars({"loss": 1.0}, step=1)
    backend.add_scalars({"loss": 2.0}, step=2)
    assert seen == ["init"]
    backend._save_dir = str(tmp_path / "out")  # mmdet's inferencer: images straight into out/
    backend._img_save_dir = "."
    backend.add_image("pred", np.zeros((2, 2, 3), dtype=np.uint8), step=0)
    backend.add_scalars({"loss": 3.0}, step=3)
    backend.close()
    assert (tmp_path / "out" / "pred_0.png").is_file()
    assert (tmp_path / "out" / "scalars.json").read_text().count("step") == 1

    board = TensorBoardVisBackend(save_dir=tmp_path / "tb")
    assert isinstance(board, BaseVisBackend)
    board._init_env()  # opens the writer, as MMEngine's
    assert board.experiment is not None
    board.close()


def test_missing_tensorboard_is_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """MMEngine raises ImportError for it (at the first write; here when built)."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name)
    )
    with pytest.raises(ImportError, match="tensorboard"):
        TensorBoardVisBackend(save_dir="x")


def test_mmengine_spelling_of_the_tensorboard_backend_imports() -> None:
    from runner_core.registry import VISBACKENDS
    from runner_hooks_standard.vis_backends import TensorBoardVisBackend, TensorboardVisBackend

    assert TensorboardVisBackend is TensorBoardVisBackend
    assert VISBACKENDS.lookup("TensorboardVisBackend") is TensorBoardVisBackend


def test_mmengines_file_attributes_and_a_newer_config_replacing_the_older(tmp_path: Path) -> None:
    from runner_core.config import Config

    backend = LocalVisBackend(save_dir=str(tmp_path))
    # MMEngine's attributes, which its subclasses and tests read
    assert backend._scalar_save_file == str(tmp_path / "scalars.json")
    assert backend._config_save_file == str(tmp_path / "config.py")
    backend.add_config(Config(dict(lr=0.1, model=dict(type="x"))))
    assert "lr = 0.1" in (tmp_path / "config.py").read_text()
    backend.add_config(Config(dict(lr=0.2)))
    assert (tmp_path / "config.py").read_text() == "lr = 0.2\n"


class _FullDiskFile:
    """A scalar file on a full disk: writes stay buffered, flush and close fail, as an
    OSError without a file name (what a real flush raises)."""

    def __init__(self, real: Any) -> None:
        self.real, self.name = real, real.name

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        raise OSError(28, "No space left on device")

    def close(self) -> None:
        self.real.close()
        raise OSError(28, "No space left on device")


def test_a_full_disk_error_names_the_scalar_file_and_every_file_is_closed(
    tmp_path: Path,
) -> None:
    """The run stopped on `[Errno 28] No space left on device` with no file named."""
    backend = LocalVisBackend(save_dir=tmp_path / "vis")
    backend.add_scalars({"loss": 1.0}, step=1, file_path="run.json")
    reals = {key: fh for key, fh in backend._files.items()}
    backend._files = {key: _FullDiskFile(fh) for key, fh in reals.items()}  # type: ignore[misc]
    with pytest.raises(OSError, match="No space left") as err:
        backend.flush()
    assert err.value.filename in {fh.name for fh in reals.values()}
    with pytest.raises(OSError) as err:
        backend.close()
    assert err.value.filename is not None
    assert all(fh.closed for fh in reals.values())


class _TooLargeFile(_FullDiskFile):
    """A file at the size limit (``ulimit -f``): the write that flushes the buffer fails."""

    def write(self, text: str) -> int:
        raise OSError(27, "File too large")


def test_a_write_that_fails_names_the_json_file(tmp_path: Path) -> None:
    """A full buffer is flushed by write(): its bare `[Errno 27] File too large` names the file."""
    backend = LocalVisBackend(save_dir=tmp_path / "vis")
    backend.add_scalars({"loss": 1.0}, step=1, file_path="run.json")
    reals = {key: fh for key, fh in backend._files.items()}
    for key in reals:
        backend._files = {**reals, key: _TooLargeFile(reals[key])}  # type: ignore[dict-item]
        with pytest.raises(OSError, match="File too large") as err:
            backend.add_scalars({"loss": 2.0}, step=2, file_path="run.json")
        assert err.value.errno == 27 and err.value.filename == reals[key].name
    backend._files = reals
    backend.close()


def test_two_unnamed_backends_of_a_kind_in_one_folder_are_refused(tmp_path: Path) -> None:
    """Both were kept and wrote the same scalars.json (every record twice, QA); MMEngine
    refuses any two of a kind with a RuntimeError. Two folders are two records."""
    from runner_core.errors import BuildError
    from runner_core.visualization import Visualizer

    with pytest.raises(BuildError, match=r"vis_backends\[1\] is a second LocalVisBackend") as info:
        Visualizer(
            vis_backends=[dict(type="LocalVisBackend"), dict(type="LocalVisBackend")],
            save_dir=tmp_path,
        )
    assert isinstance(info.value, RuntimeError)  # MMEngine's type
    other = tmp_path / "copy"
    visualizer = Visualizer(
        vis_backends=[
            dict(type="LocalVisBackend"),
            dict(type="LocalVisBackend", save_dir=str(other)),
        ],
        save_dir=tmp_path,
    )
    visualizer.add_scalar("acc", 0.5, step=1)
    visualizer.close()
    for folder in (tmp_path / "vis_data", other):
        assert len((folder / "scalars.json").read_text().splitlines()) == 1
    with pytest.raises(BuildError, match=r"vis_backends\[2\] is a second LocalVisBackend"):
        Visualizer(  # a third like the second: not only the first is compared (review)
            vis_backends=[
                dict(type="LocalVisBackend"),
                dict(type="LocalVisBackend", save_dir=str(other)),
                dict(type="LocalVisBackend", save_dir=str(other)),
            ],
            save_dir=tmp_path,
        )
