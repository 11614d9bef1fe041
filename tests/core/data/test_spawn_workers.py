"""Data-loader workers started with ``spawn``: same batches as ``fork``, exact resume, clear errors.

A spawned worker inherits nothing: it gets the dataset, collate_fn and
worker_init_fn pickled and imports what they name. The loaders here set
``multiprocessing_context='spawn'`` themselves (the process-wide start method
stays as it is for the other tests); each real start costs about a second.
"""

from __future__ import annotations

import importlib
import pickle
import textwrap
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch
from digits import DigitsMLPForTests  # noqa: F401  (registers the model)

from runner_core import Config, Runner
from runner_core.data.dataloader import WorkerSeeder, build_dataloader
from runner_core.errors import ConfigError
from runner_core.hooks import Hook
from runner_core.registry.default_scope import DefaultScope


@pytest.fixture
def support(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """``_spawn_support``, on the sys.path that spawned workers get too."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    return importlib.import_module("_spawn_support")


def _epochs(loader: Any, epochs: int) -> list[dict[str, Any]]:
    batches = []
    for epoch in range(epochs):
        loader.sampler.set_epoch(epoch)
        batches += list(loader)
    return batches


def test_spawned_persistent_workers_load_what_the_main_process_loads(support) -> None:
    """Per-batch seeds reach spawned workers: the augmented batches equal those loaded
    without workers, epoch after epoch although persistent workers are seeded once, and
    the workers see the main process's default scope, as forked ones would."""
    DefaultScope.get_instance("spawn-test", scope_name="spawn_scope_for_tests")

    def loader(**workers: Any) -> Any:
        cfg = dict(
            dataset=support.NoisyPointsSpawn(with_scope=True),
            sampler=dict(type="DefaultSampler", shuffle=True),
            batch_size=8,
            **workers,
        )
        return build_dataloader(cfg, seed=3, key_path="train_dataloader")

    spawned = _epochs(
        loader(num_workers=2, persistent_workers=True, multiprocessing_context="spawn"), 2
    )
    in_process = _epochs(loader(num_workers=0), 2)
    assert len(spawned) == len(in_process) == 10
    for got, expected in zip(spawned, in_process):
        assert torch.equal(got["inputs"], expected["inputs"])
    assert not torch.equal(spawned[0]["inputs"], spawned[5]["inputs"])
    assert {s for batch in spawned for s in batch["scope"]} == {"spawn_scope_for_tests"}


def test_spawned_workers_import_what_custom_imports_imported(
    support, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dataset building its pipeline from the registries in the worker found nothing a
    config's custom_imports had registered: a spawned worker imports only what the
    dataset's pickle names (macOS's and Windows's default start method)."""
    from runner_core.config import custom_imports

    # a module only the main process could import (made at run time) is skipped
    monkeypatch.setattr(custom_imports, "imported_names", ["no_such_module_made_at_run_time"])
    custom_imports.import_custom_modules({"custom_imports": dict(imports=["_spawn_transform"])})
    cfg = dict(
        dataset=support.BuildsItsPipelineInWorkers(),
        sampler=dict(type="DefaultSampler", shuffle=False),
        batch_size=4,
        num_workers=2,
        multiprocessing_context="spawn",
    )
    batches = list(build_dataloader(cfg, seed=0, key_path="train_dataloader"))
    assert torch.equal(torch.cat(batches)[:, 0], torch.arange(8.0) + 1)


class _Losses(Hook):
    def __init__(self) -> None:
        self.losses: dict[int, float] = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.losses[runner.iter] = float(outputs["loss"])


@pytest.mark.slow  # two runs, each starting two spawned workers (~3 s apiece)
def test_a_run_resumed_with_spawned_workers_matches_the_uninterrupted_run(
    support, tmp_path
) -> None:
    """As tests/loops_standard's fork case: resumed at iteration 6, past the first pass of
    5 batches, with spawned persistent workers and dropout in the model."""

    def run(work: str, **extra: Any) -> tuple[Runner, _Losses]:
        cfg = dict(
            model=dict(type="DigitsMLPForTests", dropout=0.2),
            work_dir=str(tmp_path / work),
            train_dataloader=dict(
                dataset=dict(type="NoisyPointsSpawn"),
                sampler=dict(type="InfiniteSampler", shuffle=True),
                batch_size=8,
                num_workers=2,
                persistent_workers=True,
                multiprocessing_context="spawn",
            ),
            train_cfg=dict(by_epoch=False, max_iters=10, val_interval=1000),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
            default_hooks=dict(
                logger=dict(type="LoggerHook", interval=1000),
                checkpoint=dict(type="CheckpointHook", interval=6, by_epoch=False),
            ),
            randomness=dict(seed=0),
            **extra,
        )
        runner = Runner.from_cfg(Config(cfg))
        losses = _Losses()
        runner.register_hook(losses)
        runner.train()
        return runner, losses

    straight, straight_losses = run("a")
    resumed, resumed_losses = run("b", resume=str(tmp_path / "a" / "iter_6.pth"))
    assert sorted(resumed_losses.losses) == list(range(6, 10))
    assert resumed_losses.losses == {i: straight_losses.losses[i] for i in range(6, 10)}
    weights = straight.model.state_dict()
    for key, value in resumed.model.state_dict().items():
        assert torch.equal(value, weights[key]), key


CONFIG_WITH_A_CLASS = """
class InConfigDataset:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return [float(i)]

train_dataloader = dict(
    dataset=dict(type=InConfigDataset), batch_size=2, num_workers=2,
    multiprocessing_context='spawn',
)
"""


@pytest.mark.filterwarnings("ignore:Got pickle error")
def test_a_dataset_class_written_in_the_config_names_the_file_and_the_fixes(tmp_path) -> None:
    """Fine under fork; under spawn Python only says the module '__config__' cannot be
    imported. No worker starts: pickling fails first."""
    path = tmp_path / "with_class.py"
    path.write_text(textwrap.dedent(CONFIG_WITH_A_CLASS))
    cfg = Config.fromfile(str(path))
    loader = build_dataloader(cfg.train_dataloader, seed=0, key_path="train_dataloader")
    with pytest.raises(pickle.PicklingError) as info:  # the type torch and MMEngine raise
        iter(loader)
    assert isinstance(info.value, ConfigError)  # a config to fix (runner-cli: exit status 2)
    assert "import of module '__config__' failed" in str(info.value.__cause__)  # pickle's own
    message = str(info.value)
    assert (
        "The data-loader workers of train_dataloader start with 'spawn'" in message
        and f"train_dataloader.dataset (an instance of class InConfigDataset defined in the "
        f"config file {path})"
        in message
    ), message
    for fix in ("custom_imports", "mp_start_method='fork'", "multiprocessing_context='fork'"):
        assert fix in message, message
    assert "train_dataloader.num_workers=0" in message


CONFIG_WITH_A_SUBCLASS = """
from collections import UserList


class InConfigPoints(UserList):  # no method of its own
    pass

train_dataloader = dict(
    dataset=dict(type=InConfigPoints, initlist=[[0.0], [1.0]]), batch_size=2, num_workers=1,
    multiprocessing_context='spawn',
)
"""


@pytest.mark.filterwarnings("ignore:Got pickle error")
def test_a_subclass_without_methods_written_in_the_config_is_code_to_move(tmp_path) -> None:
    """Its code is what cannot travel: not an object to create in the worker."""
    path = tmp_path / "with_subclass.py"
    path.write_text(textwrap.dedent(CONFIG_WITH_A_SUBCLASS))
    cfg = Config.fromfile(str(path))
    loader = build_dataloader(cfg.train_dataloader, seed=0, key_path="train_dataloader")
    with pytest.raises(pickle.PicklingError) as info:
        iter(loader)
    message = str(info.value)
    assert (
        "train_dataloader.dataset (an instance of class InConfigPoints defined in the config "
        "file) cannot be pickled"
    ) in message, message
    assert "Define it at the top level of a module" in message
    assert "Create it in the worker" not in message


@pytest.mark.filterwarnings("ignore:Got pickle error")
def test_an_unpicklable_part_is_named_down_to_its_attribute(support) -> None:
    dataset = support.NoisyPointsSpawn()
    dataset.lock = threading.Lock()  # cannot be sent: make it in the worker
    cfg = dict(dataset=dataset, batch_size=8, num_workers=1, multiprocessing_context="spawn")
    loader = build_dataloader(cfg, seed=0, key_path="val_dataloader")
    with pytest.raises(TypeError) as info:
        iter(loader)
    assert isinstance(info.value, ConfigError)
    message = str(info.value)
    assert "val_dataloader.dataset.lock (a lock object) cannot be pickled" in message, message
    assert "Create it in the worker instead" in message

    cfg = dict(cfg, dataset=support.NoisyPointsSpawn(), collate_fn=lambda batch: batch)
    loader = build_dataloader(cfg, seed=0, key_path="val_dataloader")
    with pytest.raises(AttributeError) as lambda_info:  # Python: "Can't pickle local object ..."
        iter(loader)
    assert isinstance(lambda_info.value, ConfigError)
    assert f"val_dataloader.collate_fn (a lambda defined in {__file__}, line" in str(
        lambda_info.value
    )


def test_the_worker_seeder_carries_the_default_scope_to_a_spawned_worker() -> None:
    DefaultScope.get_instance("spawn-carry", scope_name="carried_scope")
    clone = pickle.loads(pickle.dumps(WorkerSeeder(0, 0)))  # what a spawned worker receives
    DefaultScope._instance_dict.clear()  # a fresh process has none
    state = torch.get_rng_state()
    try:
        clone(0)
    finally:
        torch.set_rng_state(state)
    current = DefaultScope.get_current_instance()
    assert current is not None and current.scope_name == "carried_scope"


def test_a_dataset_failing_only_in_spawned_workers_points_at_what_they_lack(support) -> None:
    cfg = dict(
        dataset=support.FailsInWorkers(),
        batch_size=2,
        num_workers=1,
        multiprocessing_context="spawn",
    )
    loader = build_dataloader(cfg, seed=0, key_path="train_dataloader")
    with pytest.raises(LookupError) as info:
        next(iter(loader))
    (note,) = [n for n in info.value.__notes__ if n.startswith("while loading ")]
    assert note.startswith("while loading samples [0, 1] of FailsInWorkers"), note
    assert "loaded again alone in the main process without error" in note
    assert "a worker started with 'spawn' lacks" in note


class _DiesInWorkers(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> torch.Tensor:
        if torch.utils.data.get_worker_info() is not None:
            import os

            os._exit(3)  # a crash (a C decoder's segfault, the OOM killer) ends a worker so
        return torch.zeros(2)


def test_a_dead_worker_is_reported_as_such_not_as_a_collate_error() -> None:
    """The samples are not loaded again in the main process (a crash would end it too)."""
    loader = build_dataloader(
        dict(dataset=_DiesInWorkers(), batch_size=2, num_workers=1, multiprocessing_context="fork"),
        seed=0,
        key_path="train_dataloader",
    )
    with pytest.raises(RuntimeError, match="exited unexpectedly") as info:
        next(iter(loader))
    note = info.value.__notes__[0]
    assert note.startswith("while loading batch 1 of _DiesInWorkers (train_dataloader"), note
    assert "a data-loader worker process died (exited unexpectedly with exit code 3)" in note
    assert "collate_fn" not in note


NOTEBOOK_CODE = """
import torch
from runner_core.data import build_dataloader

class NotebookDataset(torch.utils.data.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return torch.zeros(2)

loader = build_dataloader(
    dict(dataset=NotebookDataset(), batch_size=2, num_workers=1, multiprocessing_context='spawn'),
    seed=0,
    key_path='train_dataloader',
)
try:
    next(iter(loader))
except RuntimeError as exc:
    print(exc.__notes__[0])
"""


def test_a_dataset_class_from_a_notebook_is_named_when_spawned_workers_die() -> None:
    """A notebook's (here ``python -c``'s) ``__main__`` has no file: a spawned worker dies
    unpickling the dataset, and says so only on the kernel's terminal."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", NOTEBOOK_CODE], capture_output=True, text=True, timeout=120
    )
    note = done.stdout.strip()
    assert "a data-loader worker process died" in note, done.stderr
    assert "cannot import NotebookDataset from __main__" in note, note
    assert "train_dataloader.multiprocessing_context='fork'" in note


def test_multiprocessing_context_is_dropped_without_workers() -> None:
    """Debugging with num_workers=0 keeps the config's start method key (torch, and so
    MMEngine, refuse it without workers), as persistent_workers and prefetch_factor."""
    cfg = dict(dataset=[0, 1, 2, 3], batch_size=2, num_workers=0, multiprocessing_context="spawn")
    loader = build_dataloader(cfg, seed=0, key_path="train_dataloader")
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3]]


def test_a_misspelt_multiprocessing_context_names_the_key() -> None:
    cfg = dict(dataset=[0, 1], batch_size=2, num_workers=2, multiprocessing_context="spwan")
    with pytest.raises(
        ValueError,
        match=r"train_dataloader\.multiprocessing_context='spwan'.*"
        r"Did you mean 'spawn'\?",
    ):
        build_dataloader(cfg, seed=0, key_path="train_dataloader")


class _BigLockedDataset:
    """An in-memory dataset (32 MiB) with a part that cannot be pickled."""

    def __init__(self) -> None:
        self.samples = bytes(32 * 2**20)
        self.lock = threading.Lock()


def test_finding_the_unpicklable_part_keeps_no_pickled_copy_of_the_dataset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a worker died (maybe killed for memory), the search for the part at fault
    pickles the dataset again: it must not hold the pickled bytes in the main process."""
    import multiprocessing
    import sys
    import tracemalloc
    from types import SimpleNamespace

    from runner_core.data.worker_pickling import (
        explain_pickling_failure,
        interactive_main_names,
    )

    loader = SimpleNamespace(
        dataset=_BigLockedDataset(),
        collate_fn=None,
        worker_init_fn=None,
        key_path="train_dataloader",
        multiprocessing_context=multiprocessing.get_context("spawn"),
    )
    monkeypatch.setitem(sys.modules, "__main__", ModuleType("__main__"))  # a notebook's
    exc = TypeError("cannot pickle '_thread.lock' object")
    tracemalloc.start()
    try:
        with pytest.raises(TypeError) as info:
            explain_pickling_failure(loader, exc)
        assert interactive_main_names(loader) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "train_dataloader.dataset.lock (a lock object) cannot be pickled" in str(info.value)
    assert peak < 8 * 2**20, f"{peak / 2**20:.0f} MiB held while searching"


@pytest.mark.parametrize(
    ("extra", "hinted"),
    [
        (dict(num_workers=2, multiprocessing_context="spawn"), True),
        (dict(num_workers=2, multiprocessing_context="spawn", persistent_workers=True), False),
        (dict(num_workers=2, multiprocessing_context="fork"), False),
        (dict(num_workers=0), False),
    ],
)
def test_spawned_training_workers_that_restart_each_epoch_are_pointed_out(
    support, monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any], hinted: bool
) -> None:
    """On macOS (spawn) the guide's 100-epoch run took ~5 s per epoch against 0.3 s with
    fork: every epoch starts the workers again. One info line names persistent_workers."""
    import runner_core.logging

    said: list[str] = []
    monkeypatch.setattr(runner_core.logging, "print_log", lambda msg, **kw: said.append(msg))
    cfg = dict(dataset=support.NoisyPointsSpawn(), batch_size=8, **extra)
    build_dataloader(cfg, seed=0, key_path="train_dataloader")
    build_dataloader(cfg, seed=0, key_path="val_dataloader")  # validation: not said
    assert [("persistent_workers=True" in m) for m in said] == ([True] if hinted else [])
