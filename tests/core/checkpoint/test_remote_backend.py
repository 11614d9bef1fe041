"""Checkpoints saved to and loaded from a storage backend the user registered (no network).

A fake object store backed by a temp folder is registered for ``s3://``, as a
user's boto3 backend would be; every ``put``/``get``/``remove`` it receives is
logged, so the tests see what reached the storage and in which order.
"""

from __future__ import annotations

import errno
import io
import pickle
import struct
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.checkpoint import (
    CheckpointError,
    CheckpointWriteError,
    RemotePath,
    find_latest_checkpoint,
    load_checkpoint,
    read_pointer,
    read_pointer_location,
    save_checkpoint,
    write_pointer,
)
from runner_core.checkpoint.integrity import verify_checkpoint_bytes
from runner_core.checkpoint.storage import kept_for_load, names_storage_backend
from runner_core.errors import ConfigError
from runner_core.fileio import BaseStorageBackend, FileClient, register_backend, registry
from runner_core.model import ModuleAdapter


class FolderStore(BaseStorageBackend):
    """``s3://bucket/key`` kept as ``root/bucket/key``; ``fail`` makes every put raise it."""

    root: Path
    ops: list[tuple[str, str]] = []
    fail: BaseException | None = None

    def _file(self, filepath: str) -> Path:
        return self.root / str(filepath).split("://", 1)[-1]

    def get(self, filepath: str) -> bytes:
        self.ops.append(("get", str(filepath)))
        return self._file(filepath).read_bytes()

    def get_text(self, filepath: str, encoding: str = "utf-8") -> str:
        return self.get(filepath).decode(encoding)

    def put(self, obj: bytes, filepath: str) -> None:
        if self.fail is not None:
            raise self.fail
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
    """FolderStore registered for ``s3://`` (and as ``teststore``), unregistered after."""
    tables: list[dict[Any, Any]] = [
        registry.backends,
        registry.prefix_to_backends,
        FileClient._backends,
        FileClient._prefix_to_backends,
        FileClient._instances,
    ]
    saved = [dict(table) for table in tables]
    FolderStore.root, FolderStore.ops, FolderStore.fail = tmp_path / "bucket-root", [], None
    register_backend("teststore", FolderStore, prefixes="s3")
    yield FolderStore
    for table, content in zip(tables, saved):
        table.clear()
        table.update(content)
    registry._instances.clear()


def _ckpt() -> dict[str, Any]:
    return {"meta": {"epoch": 1}, "state_dict": {"w": torch.arange(6.0).reshape(2, 3)}}


# -- save_checkpoint -------------------------------------------------------------------------
def test_save_puts_the_bytes_a_local_save_writes(store: type[FolderStore], tmp_path: Path) -> None:
    saved = save_checkpoint(_ckpt(), "s3://bucket/exp/x.pth")
    assert isinstance(saved, RemotePath) and saved == "s3://bucket/exp/x.pth"
    assert saved.name == "x.pth" and saved.backend_name == "FolderStore"
    assert store.ops == [("put", "s3://bucket/exp/x.pth")]  # serialised once, one put
    local = save_checkpoint(_ckpt(), tmp_path / "local.pth")
    remote = (store.root / "bucket/exp/x.pth").read_bytes()
    assert remote == local.read_bytes()  # same format, same CRC records
    assert verify_checkpoint_bytes(remote, saved) > 0


def test_backend_args_and_file_client_args_choose_the_backend(
    store: type[FolderStore], tmp_path: Path
) -> None:
    class Other(FolderStore):  # by name only: no prefix of its own; its own folder
        root = tmp_path / "other-root"

    class Client(FolderStore):  # in FileClient's own registry
        root = tmp_path / "client-root"

    register_backend("other", Other)
    save_checkpoint(_ckpt(), "s3://bucket/a.pth", backend_args=dict(backend="other"))
    FileClient.register_backend("clientstore", Client)
    save_checkpoint(_ckpt(), "s3://bucket/b.pth", file_client_args=dict(backend="clientstore"))
    assert (Other.root / "bucket/a.pth").is_file() and (Client.root / "bucket/b.pth").is_file()
    assert not (store.root / "bucket").exists()  # not the backend of the s3 prefix
    # a plain path through a named backend, as MMEngine's put(bytes, filename)
    save_checkpoint(_ckpt(), "plain/c.pth", backend_args=dict(backend="other"))
    assert (Other.root / "plain/c.pth").is_file() and not (tmp_path / "plain").exists()
    with pytest.raises(ConfigError, match="cannot be set at the same time"):
        save_checkpoint(
            _ckpt(), "s3://bucket/d.pth", dict(backend="teststore"), dict(backend="teststore")
        )
    with pytest.raises(CheckpointError, match=r"'s3://bucket/e\.pth' is a URL.*name the local"):
        save_checkpoint(_ckpt(), "s3://bucket/e.pth", backend_args=dict(backend="local"))


def test_a_failing_put_names_the_file_and_backend_and_keeps_the_previous_file(
    store: type[FolderStore],
) -> None:
    save_checkpoint({"v": torch.tensor(1.0)}, "s3://bucket/x.pth")
    store.fail = ConnectionError("bucket unreachable")
    with pytest.raises(CheckpointError) as caught:
        save_checkpoint({"v": torch.tensor(2.0)}, "s3://bucket/x.pth")
    message = str(caught.value)
    assert "'s3://bucket/x.pth'" in message and "FolderStore" in message
    assert "ConnectionError: bucket unreachable" in message
    assert "Check the storage (credentials, network, bucket, quota)" in message  # an OSError too
    assert isinstance(caught.value.__cause__, ConnectionError)
    store.fail = OSError(errno.EDQUOT, "Disk quota exceeded")  # still an OSError, with errno
    with pytest.raises(CheckpointWriteError) as as_os:
        save_checkpoint({"v": torch.tensor(3.0)}, "s3://bucket/x.pth")
    assert as_os.value.errno == errno.EDQUOT and as_os.value.filename == "s3://bucket/x.pth"
    assert "Check the storage" in str(as_os.value)
    store.fail = RuntimeError("403 Forbidden")  # not an OSError: the same advice
    with pytest.raises(CheckpointError, match=r"403 Forbidden\..*Check the storage"):
        save_checkpoint({"v": torch.tensor(3.0)}, "s3://bucket/x.pth")
    assert load_checkpoint("s3://bucket/x.pth")["v"] == 1.0  # the previous file stands


# -- load_checkpoint -------------------------------------------------------------------------
def test_load_reads_through_the_backend_and_verifies(store: type[FolderStore]) -> None:
    save_checkpoint(_ckpt(), "s3://bucket/x.pth")
    assert torch.equal(
        load_checkpoint("s3://bucket/x.pth")["state_dict"]["w"], _ckpt()["state_dict"]["w"]
    )
    model = nn.Linear(3, 2)  # MMEngine's form: load_checkpoint(model, filename)
    save_checkpoint({"state_dict": nn.Linear(3, 2).state_dict()}, "s3://bucket/m.pth")
    load_checkpoint(model, "s3://bucket/m.pth")
    # a flipped byte in the tensor data is caught by the CRC records, as for a local file
    file = store.root / "bucket/x.pth"
    data = bytearray(file.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = next(i for i in archive.infolist() if "/data/" in i.filename)
    name_len, extra_len = struct.unpack(
        "<HH", data[info.header_offset + 26 : info.header_offset + 30]
    )
    data[info.header_offset + 30 + name_len + extra_len + 3] ^= 0xFF
    file.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"'s3://bucket/x\.pth' is corrupt.*tensor data"):
        load_checkpoint("s3://bucket/x.pth")
    load_checkpoint("s3://bucket/x.pth", verify=False)  # the check can be skipped, as locally


def test_load_is_weights_only_as_for_local_files(store: type[FolderStore]) -> None:
    with pytest.warns(UserWarning, match="safe loader"):  # the same warning as a local save
        save_checkpoint({"obj": zipfile.ZipInfo("x")}, "s3://bucket/unsafe.pth")
    with pytest.raises(CheckpointError, match=r"Refusing to load checkpoint 's3://bucket/unsafe"):
        load_checkpoint("s3://bucket/unsafe.pth")
    assert isinstance(
        load_checkpoint("s3://bucket/unsafe.pth", allow_pickle=True)["obj"], zipfile.ZipInfo
    )


def test_missing_remote_file_is_a_file_not_found_error(store: type[FolderStore]) -> None:
    with pytest.raises(
        FileNotFoundError, match=r"'s3://bucket/none\.pth' does not exist on .*FolderStore"
    ):
        load_checkpoint("s3://bucket/none.pth")


class Bare(BaseStorageBackend):
    """A key-value store without isfile/exists whose get raises KeyError for a missing key."""

    def get(self, filepath: str) -> bytes:
        raise KeyError(filepath)

    def get_text(self, filepath: str, encoding: str = "utf-8") -> str:
        raise KeyError(filepath)


def test_a_failed_read_through_a_file_client_without_isfile_names_the_file(
    store: type[FolderStore],
) -> None:
    FileClient.register_backend("bare", Bare)
    target = RemotePath("s3://bucket/none.pth", FileClient(backend="bare"))
    with pytest.raises(CheckpointError, match=r"Could not read checkpoint 's3://bucket/none"):
        load_checkpoint(target)  # FileClient.isfile raised AttributeError here before


def test_a_remote_path_pickles_with_its_backend_or_as_its_location(
    store: type[FolderStore],
) -> None:
    saved = save_checkpoint(_ckpt(), "s3://bucket/x.pth")
    copy = pickle.loads(pickle.dumps(saved))
    assert isinstance(copy, RemotePath) and copy == saved
    assert isinstance(copy.backend, FolderStore)
    assert torch.equal(load_checkpoint(copy)["state_dict"]["w"], _ckpt()["state_dict"]["w"])

    class Connected(FolderStore):  # holds what cannot be pickled, as a network client does
        lock = threading.Lock()

        def __init__(self) -> None:
            self.connection = threading.Lock()

    plain = pickle.loads(pickle.dumps(RemotePath("s3://bucket/x.pth", Connected())))
    assert type(plain) is str and plain == "s3://bucket/x.pth"
    assert load_checkpoint(plain)["meta"] == {"epoch": 1}  # read through the s3 backend


@pytest.mark.parametrize(
    "url", ["https://host/x.pth", "torchvision://resnet18", "open-mmlab://r50", "oss://b/x.pth"]
)
def test_urls_no_registered_backend_serves_are_still_refused(
    store: type[FolderStore], url: str
) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        load_checkpoint(url)
    assert repr(url) in str(caught.value) and "never downloads" in str(caught.value)
    assert isinstance(caught.value, CheckpointError)
    with pytest.raises(CheckpointError, match="no storage backend you registered"):
        save_checkpoint(_ckpt(), url)
    assert store.ops == []


# -- the pointer -----------------------------------------------------------------------------
def test_pointer_names_the_url(store: type[FolderStore], tmp_path: Path) -> None:
    saved = save_checkpoint(_ckpt(), "s3://bucket/exp/epoch_1.pth")
    write_pointer(tmp_path, saved)
    assert (tmp_path / "last_checkpoint").read_text() == "s3://bucket/exp/epoch_1.pth"  # MMEngine's
    assert read_pointer(tmp_path) is None  # not a local path
    assert read_pointer_location(tmp_path) == "s3://bucket/exp/epoch_1.pth"
    assert find_latest_checkpoint(tmp_path) == "s3://bucket/exp/epoch_1.pth"
    with pytest.raises(CheckpointError, match="does not hold it"):
        write_pointer(tmp_path, "s3://bucket/exp/epoch_9.pth")


def test_a_load_after_a_new_upload_reads_the_new_bytes(
    store: type[FolderStore], tmp_path: Path
) -> None:
    url = "s3://bucket/exp/epoch_1.pth"
    write_pointer(tmp_path, save_checkpoint({"v": torch.tensor(1.0)}, url))
    assert find_latest_checkpoint(tmp_path) == url  # keeps nothing of what it verified ...
    save_checkpoint({"v": torch.tensor(2.0)}, url)
    assert load_checkpoint(url)["v"] == 2.0  # ... so the load reads the storage again
    with kept_for_load(url, (store.root / "bucket/exp/epoch_1.pth").read_bytes()):
        save_checkpoint({"v": torch.tensor(3.0)}, url)  # a put drops the bytes kept for it
        assert load_checkpoint(url)["v"] == 3.0


def test_a_pointer_to_a_missing_remote_file_or_unknown_prefix_stops_the_resume(
    store: type[FolderStore], tmp_path: Path
) -> None:
    (tmp_path / "last_checkpoint").write_text("s3://bucket/exp/epoch_3.pth")
    with pytest.raises(
        CheckpointError, match=r"names 's3://bucket/exp/epoch_3\.pth'.*does not exist"
    ):
        find_latest_checkpoint(tmp_path)
    (tmp_path / "last_checkpoint").write_text("oss://bucket/exp/epoch_3.pth")
    with pytest.raises(
        CheckpointError, match=r"no storage backend you registered serves.*register"
    ):
        find_latest_checkpoint(tmp_path)


# -- the Runner ------------------------------------------------------------------------------
def _runner(work_dir: Path, max_epochs: int = 2, **kwargs: Any) -> Runner:
    torch.manual_seed(0)
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    return Runner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4, shuffle=True
        ),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
        default_hooks_set="none",
        randomness=dict(seed=1),
        log_level="WARNING",
        **kwargs,
    )


def test_runner_saves_to_and_loads_from_the_backend(
    store: type[FolderStore], tmp_path: Path
) -> None:
    run = _runner(tmp_path / "a")
    run.train()
    saved = run.save_checkpoint("s3://bucket/exports", "deploy.pth", save_optimizer=False)
    assert saved == "s3://bucket/exports/deploy.pth"
    assert not (Path(run.work_dir) / "last_checkpoint").exists()  # an export: pointer untouched
    weights = {k: v.clone() for k, v in run.model.state_dict().items()}
    other = _runner(tmp_path / "b")
    other.load_checkpoint("s3://bucket/exports/deploy.pth")  # what load_from does
    assert all(torch.equal(weights[k], v) for k, v in other.model.state_dict().items())


def test_runner_resume_from_the_pointer_downloads_once(
    store: type[FolderStore], tmp_path: Path
) -> None:
    first = _runner(tmp_path / "a", max_epochs=1)
    first.train()
    first.save_checkpoint("s3://bucket/exp", "epoch_1.pth", update_pointer=True)
    store.ops.clear()
    resumed = _runner(tmp_path / "a", resume=True)
    resumed.train()
    assert resumed.resume_state.resumed_from == "s3://bucket/exp/epoch_1.pth"
    assert store.ops == [("get", "s3://bucket/exp/epoch_1.pth")]  # verified and loaded


def test_a_pointer_the_save_would_refuse_is_refused_before_the_upload(
    store: type[FolderStore], tmp_path: Path
) -> None:
    register_backend("other", FolderStore)
    run = _runner(tmp_path / "a", max_epochs=1)
    run.train()
    with pytest.raises(ConfigError, match=r"refuses to point .*a resume would read that path"):
        run.save_checkpoint(
            str(tmp_path / "plain"),
            "epoch_1.pth",
            backend_args=dict(backend="other"),
            update_pointer=True,
        )
    assert store.ops == []  # nothing uploaded for a pointer that cannot name it


def test_a_prefix_chooses_a_backend_only_in_file_client_args() -> None:
    """As MMEngine's FileClient(prefix='s3'); backend_args' other keys go to the constructor."""
    assert names_storage_backend(dict(prefix="s3"), "file_client_args")
    assert not names_storage_backend(dict(prefix="s3"), "backend_args")
    assert names_storage_backend(dict(backend="mys3"), "backend_args")
    assert not names_storage_backend(dict(backend="local"), "file_client_args")
    assert not names_storage_backend(None)


def test_runner_save_with_a_failing_put_leaves_the_pointer(
    store: type[FolderStore], tmp_path: Path
) -> None:
    run = _runner(tmp_path / "a")
    run.train()
    run.save_checkpoint("s3://bucket/exp", "epoch_2.pth", update_pointer=True)
    store.fail = TimeoutError("upload timed out")
    with pytest.raises(CheckpointError, match=r"'s3://bucket/exp/epoch_3\.pth' through storage"):
        run.save_checkpoint("s3://bucket/exp", "epoch_3.pth", update_pointer=True)
    assert read_pointer_location(run.work_dir) == "s3://bucket/exp/epoch_2.pth"


def test_runner_resume_from_a_url(store: type[FolderStore], tmp_path: Path) -> None:
    """``runner.resume(URL)`` continues as from the local file: the same final weights."""
    local = _runner(tmp_path / "local")
    local.train()
    first = _runner(tmp_path / "first", max_epochs=1)
    first.train()
    first.save_checkpoint("s3://bucket/exp", "epoch_1.pth")
    resumed = _runner(tmp_path / "resumed")
    resumed.resume("s3://bucket/exp/epoch_1.pth")
    resumed.train()
    assert resumed.resume_state.resumed_from == "s3://bucket/exp/epoch_1.pth"
    for key, value in local.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key


def test_load_from_and_resume_urls_given_to_the_runner(
    store: type[FolderStore], tmp_path: Path
) -> None:
    trained = _runner(tmp_path / "a", max_epochs=1)
    trained.train()
    trained.save_checkpoint("s3://bucket/exp", "epoch_1.pth")
    loaded = _runner(tmp_path / "b", load_from="s3://bucket/exp/epoch_1.pth")
    loaded.load_or_resume()  # MMEngine's method: load_from's weights, now
    for key, value in trained.model.state_dict().items():
        assert torch.equal(value, loaded.model.state_dict()[key]), key
    resumed = _runner(tmp_path / "c", resume="s3://bucket/exp/epoch_1.pth")
    resumed.train()
    assert resumed.resume_state.resumed_from == "s3://bucket/exp/epoch_1.pth"
    assert resumed.iter == 4  # epoch 2 only


def test_load_from_a_url_in_a_config(store: type[FolderStore], tmp_path: Path) -> None:
    trained = _runner(tmp_path / "a", max_epochs=1)
    trained.save_checkpoint("s3://bucket/exp", "w.pth")
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))

    def cfg(load_from: str) -> dict[str, Any]:
        return dict(
            model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
            work_dir=str(tmp_path / "b"),
            train_dataloader=dict(dataset=TensorDataset(x, x), batch_size=4),
            train_cfg=dict(by_epoch=True, max_epochs=1),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
            load_from=load_from,
        )

    runner = Runner.from_cfg(cfg("s3://bucket/exp/w.pth"))
    runner.load_or_resume()
    expected = trained.model.state_dict()
    for key, value in runner.model.state_dict().items():
        assert torch.equal(value, expected[key])
    del runner
    with pytest.raises(FileNotFoundError, match=r"load_from 's3://bucket/exp/nope.pth' does not"):
        Runner.from_cfg(cfg("s3://bucket/exp/nope.pth"))


def test_kept_bytes_of_one_resume_survive_another_resume_ending() -> None:
    """Two resumes at once (two threads) each keep their own download until their load."""
    from runner_core.checkpoint import storage

    with storage.kept_for_load("s3://bucket/a.pth", b"A"):
        with storage.kept_for_load("s3://bucket/b.pth", b"B"):
            pass
        assert storage._kept.get("s3://bucket/a.pth") == b"A"
    assert storage._kept == {}
