"""CheckpointHook(out_dir='s3://...') through a storage backend the user registered.

MMEngine's cluster setup (``out_dir`` on Petrel/S3, ``backend_args``) with a
fake object store backed by a temp folder: the files, the ``last_checkpoint``
pointer, pruning and best-file removal through the backend, ``resume=True``
from the pointer, a failing upload. File names and the pointer's text are
those an MMEngine 0.10.7 run with the same store registered writes
(``best_acc_epoch_4.pth``, ``epoch_3.pth``, ``epoch_4.pth`` under
``s3://bucket/exp/work``; pointer ``s3://bucket/exp/work/epoch_4.pth``);
MMEngine deletes an old file before uploading the new one, here after.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import checkpoint_runs
import pytest
import torch

from runner_core import Runner
from runner_core.checkpoint import (
    CheckpointError,
    load_checkpoint,
    read_pointer_location,
    storage,
)
from runner_core.errors import HookError
from runner_core.fileio import BaseStorageBackend, FileClient, register_backend, registry
from runner_core.hooks import Hook
from runner_hooks_standard.checkpoint import CheckpointHook

OUT = "s3://bucket/exp"


class FolderStore(BaseStorageBackend):
    """``s3://bucket/key`` kept as ``root/bucket/key``; a put of a name in ``fail_on`` raises."""

    root: Path
    ops: list[tuple[str, str]] = []
    fail_on: set[str] = set()

    def _file(self, filepath: str) -> Path:
        return self.root / str(filepath).split("://", 1)[-1]

    def get(self, filepath: str) -> bytes:
        self.ops.append(("get", str(filepath)))
        return self._file(filepath).read_bytes()

    def get_text(self, filepath: str, encoding: str = "utf-8") -> str:
        return self.get(filepath).decode(encoding)

    def put(self, obj: bytes, filepath: str) -> None:
        if str(filepath).rsplit("/", 1)[-1] in self.fail_on:
            raise ConnectionError("connection reset by peer")
        self.ops.append(("put", str(filepath)))
        target = self._file(filepath)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(obj)

    def isfile(self, filepath: str) -> bool:
        return self._file(filepath).is_file()

    def remove(self, filepath: str) -> None:
        self.ops.append(("remove", str(filepath)))
        self._file(filepath).unlink()

    def join_path(self, filepath: str, *filepaths: str) -> str:
        return "/".join([str(filepath).rstrip("/"), *filepaths])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[type[FolderStore]]:
    tables: list[dict[Any, Any]] = [
        registry.backends,
        registry.prefix_to_backends,
        FileClient._backends,
        FileClient._prefix_to_backends,
        FileClient._instances,
    ]
    saved = [dict(table) for table in tables]
    storage._folders.clear()  # folders earlier tests saved to with storage arguments
    FolderStore.root, FolderStore.ops, FolderStore.fail_on = tmp_path / "objects", [], set()
    register_backend("teststore", FolderStore, prefixes="s3")
    yield FolderStore
    for table, content in zip(tables, saved):
        table.clear()
        table.update(content)
    registry._instances.clear()
    storage._folders.clear()


def stored(store: type[FolderStore], folder: str = "bucket/exp/work") -> set[str]:
    base = store.root / folder
    return {p.name for p in base.iterdir()} if base.is_dir() else set()


class Losses(Hook):
    def __init__(self, into: list[float]) -> None:
        self.into = into

    def after_train_iter(
        self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
    ) -> None:
        self.into.append(float(outputs["loss"]))


def make_runner(work_dir: Path, max_epochs: int = 4, **options: Any) -> Runner:
    options.setdefault("interval", 1)
    options.setdefault("out_dir", OUT)
    return checkpoint_runs.make_runner(work_dir, max_epochs, momentum=0.9, **options)


def test_files_pointer_pruning_and_best_go_through_the_backend(
    store: type[FolderStore], tmp_path: Path
) -> None:
    scores = [0.5, 0.7, 0.6, 0.8]
    runner = make_runner(tmp_path / "work", scores=scores, max_keep_ckpts=2, save_best="acc")
    runner.train()
    wanted = {"epoch_3.pth", "epoch_4.pth", "best_acc_epoch_4.pth"}
    assert stored(store) == wanted
    # the same names as a local run of the same settings
    make_runner(
        tmp_path / "local" / "work", out_dir=None, scores=scores, max_keep_ckpts=2, save_best="acc"
    ).train()
    assert {p.name for p in (tmp_path / "local" / "work").glob("*.pth")} == wanted
    # the pointer stays local and names the URL, as MMEngine's; no checkpoint is local
    work = Path(runner.work_dir)
    assert (work / "last_checkpoint").read_text() == f"{OUT}/work/epoch_4.pth"
    assert not list(work.glob("*.pth"))
    hook = next(h for h in runner.hooks if isinstance(h, CheckpointHook))
    assert hook.best_ckpt_path == f"{OUT}/work/best_acc_epoch_4.pth"
    assert runner.message_hub.get_info("best_ckpt") == f"{OUT}/work/best_acc_epoch_4.pth"
    # an old file is removed only once the file replacing it is uploaded
    order = [(op, path.rsplit("/", 1)[-1]) for op, path in store.ops]
    assert order.index(("remove", "epoch_1.pth")) > order.index(("put", "epoch_3.pth"))
    assert order.index(("remove", "best_acc_epoch_2.pth")) > order.index(
        ("put", "best_acc_epoch_4.pth")
    )
    assert load_checkpoint(f"{OUT}/work/best_acc_epoch_4.pth")["meta"]["epoch"] == 4


def test_resume_true_from_the_pointer_continues_exactly(
    store: type[FolderStore], tmp_path: Path
) -> None:
    whole: list[float] = []
    straight = make_runner(tmp_path / "a" / "work", custom_hooks=[Losses(whole)])
    straight.train()
    split: list[float] = []
    make_runner(tmp_path / "b" / "work", max_epochs=2, custom_hooks=[Losses(split)]).train()
    store.ops.clear()
    resumed = make_runner(tmp_path / "b" / "work", resume=True, custom_hooks=[Losses(split)])
    resumed.train()
    assert resumed.resume_state.resumed_from == f"{OUT}/work/epoch_2.pth"
    assert store.ops[0] == ("get", f"{OUT}/work/epoch_2.pth")  # downloaded once
    assert [op for op, _ in store.ops].count("get") == 1
    assert split == whole  # every loss of the uninterrupted run, bit for bit
    for key, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key


def test_async_save_uploads_in_the_background_with_the_same_files(
    store: type[FolderStore], tmp_path: Path
) -> None:
    options = dict(max_keep_ckpts=2, save_best="acc", scores=[0.5, 0.7, 0.6, 0.8])
    make_runner(tmp_path / "sync" / "work", out_dir=f"{OUT}/sync", **options).train()
    make_runner(
        tmp_path / "async" / "work", out_dir=f"{OUT}/async", async_save=True, **options
    ).train()
    names = stored(store, "bucket/exp/sync/work")
    assert (
        names
        == stored(store, "bucket/exp/async/work")
        == {"epoch_3.pth", "epoch_4.pth", "best_acc_epoch_4.pth"}
    )
    for name in names:
        a = load_checkpoint(f"{OUT}/sync/work/{name}")
        b = load_checkpoint(f"{OUT}/async/work/{name}")
        assert all(torch.equal(v, b["state_dict"][k]) for k, v in a["state_dict"].items())
    assert read_pointer_location(tmp_path / "async" / "work") == f"{OUT}/async/work/epoch_4.pth"


@pytest.mark.parametrize("async_save", [False, True])
def test_a_failing_upload_keeps_the_previous_checkpoint_and_pointer(
    store: type[FolderStore], tmp_path: Path, async_save: bool
) -> None:
    store.fail_on = {"epoch_3.pth"}
    runner = make_runner(tmp_path / "work", max_keep_ckpts=1, async_save=async_save)
    with pytest.raises(CheckpointError) as caught:
        runner.train()
    message = str(caught.value)
    assert f"'{OUT}/work/epoch_3.pth'" in message and "FolderStore" in message
    assert "connection reset by peer" in message
    # the upload's own message, once, with the storage advice (not the local disk's)
    assert message.count("Could not save") == 1 and ".." not in message
    assert "Check the storage" in message and "Check the disk" not in message
    notes = " ".join(getattr(caught.value, "__notes__", []))
    assert ("background save" in notes) is async_save
    assert stored(store) == {"epoch_2.pth"}  # not pruned: its replacement never arrived
    assert read_pointer_location(runner.work_dir) == f"{OUT}/work/epoch_2.pth"
    store.fail_on = set()
    resumed = make_runner(tmp_path / "work", resume=True)
    resumed.train()
    assert resumed.resume_state.resumed_from == f"{OUT}/work/epoch_2.pth"


def test_resume_true_loads_the_newest_weights_from_the_backend_once(
    store: type[FolderStore], tmp_path: Path
) -> None:
    trained = make_runner(tmp_path / "work", max_epochs=1, scores=[0.5])
    trained.train()
    store.ops.clear()
    evaluated = make_runner(tmp_path / "work", resume=True, scores=[0.5])
    evaluated.val()  # resume=True in val(): the weights of the newest checkpoint
    assert store.ops == [("get", f"{OUT}/work/epoch_1.pth")]  # verified and loaded
    for key, value in trained.model.state_dict().items():
        assert torch.equal(value, evaluated.model.state_dict()[key]), key


def test_backend_args_name_the_backend_and_need_an_out_dir_url(
    store: type[FolderStore], tmp_path: Path
) -> None:
    class Named(FolderStore):  # its own folder, and the prefix it serves
        root = tmp_path / "named-objects"
        ops: list[tuple[str, str]] = []

    register_backend("named", Named, prefixes="named")
    runner = make_runner(
        tmp_path / "work",
        max_epochs=1,
        out_dir="named://bucket/b",
        backend_args=dict(backend="named"),
    )
    runner.train()
    assert stored(Named, "bucket/b/work") == {"epoch_1.pth"} and store.ops == []
    resumed = make_runner(
        tmp_path / "work",
        max_epochs=2,
        out_dir="named://bucket/b",
        backend_args=dict(backend="named"),
        resume=True,
    )
    resumed.train()
    assert resumed.resume_state.resumed_from == "named://bucket/b/work/epoch_1.pth"
    assert stored(Named, "bucket/b/work") == {"epoch_1.pth", "epoch_2.pth"}
    with pytest.raises(
        HookError, match=r"backend_args=\{'backend': 'named'\}\) with out_dir=None.*URL"
    ):
        CheckpointHook(backend_args=dict(backend="named"))
    with pytest.raises(HookError, match="cannot be set at the same time"):
        CheckpointHook(
            out_dir=OUT, backend_args=dict(backend="named"), file_client_args=dict(backend="named")
        )
    CheckpointHook(out_dir="local/dir", backend_args=dict(backend="local"))  # the local disk
    # in backend_args a prefix is a constructor argument, as in MMEngine: not a backend
    CheckpointHook(out_dir="local/dir", backend_args=dict(prefix="s3"))
    with pytest.raises(HookError, match=r"file_client_args=\{'prefix': 's3'\}\) with out_dir"):
        CheckpointHook(out_dir="local/dir", file_client_args=dict(prefix="s3"))


def test_a_named_backend_that_a_resume_would_not_read_through_is_refused(
    store: type[FolderStore], tmp_path: Path
) -> None:
    class Named(FolderStore):
        root = tmp_path / "named-objects"

    register_backend("named", Named)  # s3:// stays served by teststore (FolderStore)
    runner = make_runner(
        tmp_path / "work", max_epochs=1, out_dir="s3://bucket/b", backend_args=dict(backend="named")
    )
    with pytest.raises(HookError) as caught:
        runner.train()
    message = str(caught.value)
    assert (
        "outside this run (load_checkpoint(url) in another script) s3:// URLs are read "
        "through the backend registered for that prefix (FolderStore is registered for it)"
    ) in message
    assert "register_backend('named', Named, prefixes='s3')" in message
    assert store.ops == [] and not Named.root.exists()  # refused before any upload


class EndpointStore(FolderStore):
    """An S3 client: which server it talks to is a constructor argument (each server a
    folder of ``root``); ``ops`` record the server too."""

    def __init__(self, endpoint: str = "https://s3.default.example") -> None:
        self.endpoint = endpoint

    def _file(self, filepath: str) -> Path:
        return self.root / self.endpoint.split("://", 1)[-1] / str(filepath).split("://", 1)[-1]

    def get(self, filepath: str) -> bytes:
        self.ops.append(("get", f"{self.endpoint} {filepath}"))
        return self._file(filepath).read_bytes()


@pytest.mark.parametrize("named", [True, False])
def test_resume_true_reads_through_the_constructor_arguments_it_saved_with(
    store: type[FolderStore], tmp_path: Path, named: bool
) -> None:
    """MMEngine's backend_args carry the client's settings (endpoint, credentials) besides
    the backend's name; last_checkpoint holds only the URL. The resume, in a new process,
    must read it from the server the checkpoint was written to, not from a client rebuilt
    from the URL's prefix with its default settings."""
    register_backend("mys3", EndpointStore, prefixes="s3", force=True)
    args: dict[str, Any] = dict(endpoint="http://minio.local:9000")
    if named:
        args["backend"] = "mys3"
    make_runner(tmp_path / "work", max_epochs=2, backend_args=args).train()
    written = store.root / "minio.local:9000" / "bucket" / "exp" / "work"
    assert {p.name for p in written.iterdir()} == {"epoch_1.pth", "epoch_2.pth"}
    storage._folders.clear()  # what a new process remembers
    store.ops.clear()
    resumed = make_runner(tmp_path / "work", max_epochs=3, backend_args=args, resume=True)
    resumed.train()
    assert resumed.resume_state.resumed_from == f"{OUT}/work/epoch_2.pth"
    assert store.ops[0] == ("get", f"http://minio.local:9000 {OUT}/work/epoch_2.pth")
    assert (written / "epoch_3.pth").is_file()
    assert not (store.root / "s3.default.example").exists()  # never asked the default server
    # a load by URL below that folder, later in the process, reads from the same server
    assert load_checkpoint(f"{OUT}/work/epoch_3.pth")["meta"]["epoch"] == 3


def test_a_folder_saved_without_arguments_is_read_by_prefix_below_one_saved_with(
    store: type[FolderStore], tmp_path: Path
) -> None:
    """Two Runners of one process (a notebook, a sweep): the second saves below the
    first's out_dir with the default client; its resume must not borrow the first's
    endpoint."""
    register_backend("mys3", EndpointStore, prefixes="s3", force=True)
    make_runner(
        tmp_path / "a", max_epochs=1, backend_args=dict(endpoint="http://minio.local:9000")
    ).train()
    make_runner(tmp_path / "b", max_epochs=1, out_dir=f"{OUT}/sub").train()
    default = store.root / "s3.default.example" / "bucket" / "exp" / "sub" / "b"
    assert (default / "epoch_1.pth").is_file()
    resumed = make_runner(tmp_path / "b", max_epochs=2, out_dir=f"{OUT}/sub", resume=True)
    resumed.train()
    assert resumed.resume_state.resumed_from == f"{OUT}/sub/b/epoch_1.pth"
    assert (default / "epoch_2.pth").is_file()


def test_a_backend_with_a_client_attribute_of_its_own_is_accepted(
    store: type[FolderStore], tmp_path: Path
) -> None:
    """An S3 backend keeps self.client = boto3.client('s3'): only a FileClient's client is
    the backend doing the work."""

    class WithClient(FolderStore):
        root = tmp_path / "wc"

        def __init__(self, **kwargs: object) -> None:
            self.client = object()

    register_backend("wc", WithClient, prefixes="wc", force=True)
    runner = make_runner(
        tmp_path / "work", max_epochs=1, out_dir="wc://bucket/b", backend_args=dict(backend="wc")
    )
    runner.train()
    assert stored(WithClient, "bucket/b/work") == {"epoch_1.pth"}


def test_an_out_dir_no_registered_backend_serves_is_refused(
    store: type[FolderStore], tmp_path: Path
) -> None:
    runner = make_runner(tmp_path / "work", max_epochs=1, out_dir="oss://bucket/exp")
    with pytest.raises(
        CheckpointError, match=r"CheckpointHook\(out_dir='oss://bucket/exp'\).*oss://"
    ):
        runner.train()
    assert store.ops == []


def test_published_copies_go_to_the_backend(store: type[FolderStore], tmp_path: Path) -> None:
    make_runner(tmp_path / "work", max_epochs=1, published_keys=["meta", "state_dict"]).train()
    published = [n for n in stored(store) if n.startswith("epoch_1-")]
    assert len(published) == 1
    assert set(load_checkpoint(f"{OUT}/work/{published[0]}")) == {"meta", "state_dict"}
