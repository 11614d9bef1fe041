"""The Visualizer fans scalars and configs out to backends built from VISBACKENDS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner_core.errors import BuildError, RegistryError
from runner_core.registry import VISBACKENDS
from runner_core.visualization import Visualizer


@VISBACKENDS.register_module(force=True)
class MemoryBackendForTests:
    """A third-party style backend: no save_dir, no file_path."""

    def __init__(self, tag: str = "mem") -> None:
        self.tag = tag
        self.records: list[tuple[dict, int]] = []
        self.configs: list[Any] = []
        self.closed = False

    def add_scalars(self, scalar_dict: dict, step: int = 0) -> None:
        self.records.append((dict(scalar_dict), step))

    def add_config(self, cfg: Any) -> None:
        self.configs.append(cfg)

    def close(self) -> None:
        self.closed = True


def test_fans_out_to_every_backend(tmp_path: Path) -> None:
    vis = Visualizer(
        vis_backends=[dict(type="LocalVisBackend"), dict(type="MemoryBackendForTests", tag="t")],
        save_dir=tmp_path,  # MMEngine layout: the backends get tmp_path/vis_data
    )
    vis.add_scalars({"loss": 0.5}, step=3)
    vis.add_scalar("acc", 0.9, step=4)
    memory = vis.get_backend("MemoryBackendForTests")
    assert memory.tag == "t"
    assert memory.records == [({"loss": 0.5}, 3), ({"acc": 0.9}, 4)]
    vis.flush()  # records reach the disk within a second, or at flush/close
    lines = (tmp_path / "vis_data" / "scalars.json").read_text().splitlines()
    assert [json.loads(x) for x in lines] == [{"loss": 0.5, "step": 3}, {"acc": 0.9, "step": 4}]
    vis.add_config({"a": 1})
    assert memory.configs == [{"a": 1}] and (tmp_path / "vis_data" / "config.py").is_file()
    vis.close()
    assert memory.closed
    assert Visualizer.get_current_instance() is vis


def test_add_scalars_refuses_what_is_no_dict_as_mmengines_backends_assert(
    tmp_path: Path,
) -> None:
    vis = Visualizer(vis_backends=[dict(type="MemoryBackendForTests")], save_dir=tmp_path)
    with pytest.raises(AssertionError, match=r"add_scalars takes a dict.*got list \[1\]"):
        vis.add_scalars([1])  # type: ignore[arg-type]
    assert vis.get_backend("MemoryBackendForTests").records == []
    vis.close()


@VISBACKENDS.register_module(force=True)
class KeywordBackendForTests:
    """A backend reading a keyword of its own, as W&B's reads ``commit``."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict, int, dict]] = []

    def add_scalars(self, scalar_dict: dict, step: int = 0, **kwargs: Any) -> None:
        self.calls.append((dict(scalar_dict), step, kwargs))


def test_extra_keywords_reach_every_backend_as_in_mmengine(tmp_path: Path) -> None:
    vis = Visualizer(
        name="keywords",
        vis_backends=[dict(type="KeywordBackendForTests"), dict(type="LocalVisBackend")],
        save_dir=tmp_path,
    )
    vis.add_scalars({"a": 1}, step=3, commit=False)
    vis.add_scalar("b", 2, step=4, commit=True)
    vis.add_scalars({"c": 3}, step=5, file_path="extra.json", commit=False)
    assert vis.get_backend("KeywordBackendForTests").calls == [
        ({"a": 1}, 3, {"commit": False}),
        ({"b": 2}, 4, {"commit": True}),
        ({"c": 3}, 5, {"file_path": "extra.json", "commit": False}),  # MMEngine passes both
    ]
    vis.flush()
    records = (tmp_path / "vis_data" / "scalars.json").read_text().splitlines()
    assert [json.loads(x) for x in records] == [
        {"a": 1, "step": 3},
        {"b": 2, "step": 4},
        {"c": 3, "step": 5},
    ]
    vis.close()


class _GlobalStepBackend:
    """A backend naming the step as TensorBoard's API does: MMEngine passes it by position."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, int]] = []

    def add_scalars(self, scalar_dict: dict, global_step: int = 0, **kwargs: Any) -> None:
        self.steps.append(("scalars", global_step))

    def add_scalar(self, name: str, value: Any, global_step: int = 0, **kwargs: Any) -> None:
        self.steps.append(("scalar", global_step))

    def add_image(self, name: str, image: Any, global_step: int = 0, **kwargs: Any) -> None:
        self.steps.append(("image", global_step))


def test_the_step_reaches_a_backend_by_position_as_in_mmengine() -> None:
    import numpy as np

    backend = _GlobalStepBackend()
    vis = Visualizer(name="positional_step", vis_backends=[backend])
    vis.add_scalars({"a": 1}, step=7)
    vis.add_scalar("b", 2, step=8)
    vis.add_image("c", np.zeros((4, 4, 3), dtype=np.uint8), step=9)
    assert backend.steps == [("scalars", 7), ("scalar", 8), ("image", 9)]


def test_the_runner_builds_it_into_the_run_folder(tmp_path: Path) -> None:
    import torch

    from runner_core import Runner

    runner = Runner(
        model=torch.nn.Linear(2, 2),
        work_dir=str(tmp_path),
        visualizer=dict(vis_backends=[dict(type="LocalVisBackend")]),
    )
    assert isinstance(runner.visualizer, Visualizer)
    local = runner.visualizer.get_backend("LocalVisBackend")
    assert Path(local.save_dir) == Path(runner.log_dir) / "vis_data"


def test_bad_backend_configs_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"vis_backends\[0\].*has no 'type'"):
        Visualizer(vis_backends=[dict(save_dir="x")], save_dir=tmp_path)
    with pytest.raises(RegistryError, match="LocalVisBackend"):
        Visualizer(vis_backends=[dict(type="LocalVisBacknd")], save_dir=tmp_path)
    # the entry at fault, as for its arguments (it said 'visualizer' in a Runner's build)
    with pytest.raises(RegistryError, match=r"at config key 'visualizer\.vis_backends\[1\]\.type'"):
        Visualizer(
            vis_backends=[dict(type="LocalVisBackend"), dict(type="TensorboardVisBakend")],
            save_dir=tmp_path,
        )


def test_no_backends_is_a_silent_visualizer() -> None:
    vis = Visualizer()
    vis.add_scalars({"loss": 1.0})
    assert len(vis) == 0
    # true all the same, as MMEngine's: `if self._visualizer:` in ported hooks still draws
    assert vis and (vis or None) is vis


def test_importing_it_imports_no_plotting_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, runner_core.visualization; "
        "print(any(m.split('.')[0] in ('matplotlib', 'torch') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_mmengines_positional_order_and_names(tmp_path: Path) -> None:
    from runner_core.errors import ConfigError

    vis = Visualizer("t_positional", None, [dict(type="MemoryBackendForTests")], tmp_path)
    assert vis.instance_name == "t_positional" and vis.image is None
    vis.add_scalars({"loss": 1.0}, step=1)
    assert vis.get_backend("MemoryBackendForTests").records == [({"loss": 1.0}, 1)]
    Visualizer("t_no_backends").add_scalars({"loss": 1.0})  # no backends: nothing to do
    image = [[0, 0, 0]]
    assert Visualizer(name="t_image", image=image).image is image
    with pytest.raises(TypeError, match="not a string") as info:
        Visualizer("t_str", None, "LocalVisBackend")
    assert isinstance(info.value, ConfigError)


def test_an_mmengine_style_backend_subclassing_basevisbackend_runs(tmp_path: Path) -> None:
    import torch

    from runner_core import Runner
    from runner_core.visualization import BaseVisBackend, force_init_env

    seen: list[Any] = []

    @VISBACKENDS.register_module(force=True)
    class SubclassedBackendForTests(BaseVisBackend):
        def __init__(self, save_dir: str, init_kwargs: dict | None = None) -> None:
            super().__init__(save_dir, init_kwargs)

        def _init_env(self) -> None:
            seen.append(("init", self._save_dir, self._init_kwargs))

        @force_init_env
        def add_scalars(
            self, scalar_dict: dict, step: int = 0, file_path: str | None = None, **kwargs: Any
        ) -> None:
            seen.append(("scalars", dict(scalar_dict), step))

    runner = Runner(
        model=torch.nn.Linear(2, 2),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=[(torch.zeros(2), torch.tensor(0))] * 4, batch_size=2),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        visualizer=dict(
            vis_backends=[dict(type="SubclassedBackendForTests", init_kwargs={"a": 1})]
        ),
        default_hooks=dict(logger=dict(interval=1)),
    )
    backend = runner.visualizer.get_backend("SubclassedBackendForTests")
    assert isinstance(backend, BaseVisBackend) and backend.experiment is backend
    runner.train()  # add_config, add_scalar, add_image, add_graph, close: the base's no-ops
    assert seen[0] == ("init", str(Path(runner.log_dir) / "vis_data"), {"a": 1})
    steps = [entry[2] for entry in seen if entry[0] == "scalars"]
    assert steps == [1, 2] and [e for e in seen if e[0] == "init"] == [seen[0]]
    runner.visualizer.add_scalar("x", 1.0)
    runner.visualizer.add_graph(runner.model, None)
    runner.visualizer.close()


@pytest.fixture
def no_visualizers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start from a process where no visualizer exists (other tests build some)."""
    import weakref

    from runner_core.visualization import visualizer as module

    monkeypatch.setattr(module, "_kept", module._KeptVisualizers())
    monkeypatch.setattr(module, "_built", [])
    monkeypatch.setattr(module, "_by_name", weakref.WeakValueDictionary())


def test_get_instance_keeps_what_it_makes(no_visualizers: None, tmp_path: Path) -> None:
    """MMEngine's ManagerMixin: configure once without keeping the result, find it later."""
    import gc

    Visualizer.get_instance("t_kept_vis", save_dir=tmp_path)
    gc.collect()
    current = Visualizer.get_current_instance()
    assert type(current) is Visualizer and current.name == "t_kept_vis"
    assert current.save_dir == str(tmp_path / "vis_data")
    assert Visualizer.get_instance("t_kept_vis") is current
    assert Visualizer.check_instance_created("t_kept_vis")
    # found by name, the new arguments are ignored, with MMEngine's warning
    with pytest.warns(UserWarning, match=r"'t_kept_vis' already exists.*\['save_dir'\]"):
        assert Visualizer.get_instance("t_kept_vis", save_dir=tmp_path / "b") is current
    assert current.save_dir == str(tmp_path / "vis_data")


def test_a_runners_visualizer_goes_away_with_its_runner(
    no_visualizers: None, tmp_path: Path
) -> None:
    import gc
    import weakref

    from torch import nn

    from runner_core import Runner

    kept = Visualizer.get_instance("t_user_vis")
    runner = Runner(
        model=nn.Linear(2, 1),
        work_dir=str(tmp_path),
        visualizer=dict(name="visualizer", vis_backends=[dict(type="LocalVisBackend")]),
    )
    assert Visualizer.get_current_instance() is runner.visualizer
    gone = weakref.ref(runner.visualizer)
    del runner
    gc.collect()
    assert gone() is None
    assert Visualizer.get_current_instance() is kept


def test_get_current_instance_without_one_raises_runtime_error(no_visualizers: None) -> None:
    with pytest.raises(RuntimeError, match=r"get_instance\('vis'"):
        Visualizer.get_current_instance()


def test_a_runners_visualizer_is_named_after_its_experiment(
    no_visualizers: None, tmp_path: Path
) -> None:
    """MMEngine's default name: hooks find the run's visualizer by the experiment's name."""
    from torch import nn

    from runner_core import Runner

    runner = Runner(model=nn.Linear(2, 1), work_dir=str(tmp_path), experiment_name="exp7")
    assert runner.visualizer.name == "exp7"
    assert Visualizer.get_instance(runner.experiment_name) is runner.visualizer
    named = Runner(
        model=nn.Linear(2, 1),
        work_dir=str(tmp_path / "b"),
        visualizer=dict(name="mine", vis_backends=[dict(type="LocalVisBackend")]),
    )
    assert named.visualizer.name == "mine"


def test_get_instance_finds_a_runners_visualizer_by_name_after_another_was_made(
    no_visualizers: None, tmp_path: Path
) -> None:
    """OpenMMLab configs name it 'visualizer'; a hook asking for the experiment's name first
    makes another one, and get_instance('visualizer') must still find the Runner's."""
    from torch import nn

    from runner_core import Runner

    runner = Runner(
        model=nn.Linear(2, 1),
        work_dir=str(tmp_path),
        experiment_name="exp9",
        visualizer=dict(name="visualizer", vis_backends=[dict(type="LocalVisBackend")]),
    )
    other = Visualizer.get_instance(runner.experiment_name)
    assert other is not runner.visualizer
    assert Visualizer.get_instance("visualizer") is runner.visualizer
