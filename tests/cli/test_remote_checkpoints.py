"""runner-cli with checkpoints on a storage backend the config's custom_imports register:
saving through CheckpointHook(out_dir=URL), --resume URL, evaluating a URL, and refusals."""

from __future__ import annotations

from pathlib import Path

#: a storage backend registered for ``memo://``, keeping objects under $MEMO_ROOT
STORE = """
import os
from pathlib import Path

from runner_core.fileio import BaseStorageBackend, register_backend


@register_backend("memo", prefixes="memo")
class MemoStore(BaseStorageBackend):
    def _file(self, filepath):
        return Path(os.environ["MEMO_ROOT"]) / str(filepath).split("://", 1)[-1]

    def get(self, filepath):
        return self._file(filepath).read_bytes()

    def get_text(self, filepath, encoding="utf-8"):
        return self.get(filepath).decode(encoding)

    def put(self, obj, filepath):
        target = self._file(filepath)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(obj)

    def isfile(self, filepath):
        return self._file(filepath).is_file()

    def remove(self, filepath):
        self._file(filepath).unlink()
"""

EXTRA = """
custom_imports = dict(imports=['tiny_task', 'memo_store'])
default_hooks = dict(logger=dict(interval=2, progress_bar=False),
                     checkpoint=dict(type='CheckpointHook', interval=1, out_dir='memo://bucket'))
"""


def test_train_resume_and_test_with_checkpoints_on_a_registered_backend(
    cli, tiny_config, tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "memo_store.py").write_text(STORE, encoding="utf-8")
    monkeypatch.setenv("MEMO_ROOT", str(tmp_path / "store"))
    tiny_config(EXTRA)
    path = [str(tmp_path)]

    done = cli("train", "tiny.py", "--work-dir", "wd", path=path)
    assert done.returncode == 0, done.stderr
    assert "The newest checkpoint is memo://bucket/wd/epoch_2.pth." in done.stdout + done.stderr
    assert (tmp_path / "store" / "bucket" / "wd" / "epoch_2.pth").is_file()
    assert (
        tmp_path / "wd" / "last_checkpoint"
    ).read_text().strip() == "memo://bucket/wd/epoch_2.pth"

    more = ("--cfg-options", "train_cfg.max_epochs=3")
    done = cli(
        "train",
        "tiny.py",
        "--work-dir",
        "wd",
        "--resume",
        "memo://bucket/wd/epoch_2.pth",
        *more,
        path=path,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "store" / "bucket" / "wd" / "epoch_3.pth").is_file()

    done = cli("test", "tiny.py", "memo://bucket/wd/epoch_3.pth", "--work-dir", "wd", path=path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("accuracy/top1: ")
    assert "Loaded weights from memo://bucket/wd/epoch_3.pth" in done.stderr

    done = cli("test", "tiny.py", "memo://bucket/wd/nope.pth", "--work-dir", "wd", path=path)
    assert done.returncode == 2
    assert "'memo://bucket/wd/nope.pth' does not exist on storage backend MemoStore" in done.stderr


def test_a_url_no_registered_backend_serves_is_refused(cli, tiny_config) -> None:
    tiny_config()
    done = cli("test", "tiny.py", "oss://bucket/epoch_1.pth")
    assert done.returncode == 2
    assert "oss://bucket/epoch_1.pth" in done.stderr and "register_backend" in done.stderr


#: a store whose server is a constructor argument, as an S3 client's endpoint
ENDPOINT_STORE = """
import os
from pathlib import Path

from runner_core.fileio import BaseStorageBackend, register_backend


@register_backend("memo", prefixes="memo")
class EndpointStore(BaseStorageBackend):
    def __init__(self, endpoint="default"):
        self.endpoint = endpoint

    def _file(self, filepath):
        where = str(filepath).split("://", 1)[-1]
        return Path(os.environ["MEMO_ROOT"]) / self.endpoint / where

    def get(self, filepath):
        return self._file(filepath).read_bytes()

    def get_text(self, filepath, encoding="utf-8"):
        return self.get(filepath).decode(encoding)

    def put(self, obj, filepath):
        target = self._file(filepath)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(obj)

    def isfile(self, filepath):
        return self._file(filepath).is_file()

    def remove(self, filepath):
        self._file(filepath).unlink()
"""


def test_resume_reads_with_the_backend_args_the_checkpoints_were_saved_with(
    cli, tiny_config, tmp_path: Path, monkeypatch
) -> None:
    """backend_args' constructor arguments (an endpoint) reach the resume's read too."""
    (tmp_path / "memo_store.py").write_text(ENDPOINT_STORE, encoding="utf-8")
    monkeypatch.setenv("MEMO_ROOT", str(tmp_path / "store"))
    tiny_config(
        """
        custom_imports = dict(imports=['tiny_task', 'memo_store'])
        train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
        default_hooks = dict(
            logger=dict(interval=2, progress_bar=False),
            checkpoint=dict(type='CheckpointHook', interval=1, out_dir='memo://bucket',
                            backend_args=dict(backend='memo', endpoint='minio')))
        """
    )
    path = [str(tmp_path)]
    done = cli("train", "tiny.py", "--work-dir", "wd", path=path)
    assert done.returncode == 0, done.stderr
    saved = tmp_path / "store" / "minio" / "bucket" / "wd"
    assert (saved / "epoch_1.pth").is_file()

    more = ("--cfg-options", "train_cfg.max_epochs=2")
    done = cli("train", "tiny.py", "--work-dir", "wd", "--resume", *more, path=path)
    assert done.returncode == 0, done.stderr
    assert "Resuming from memo://bucket/wd/epoch_1.pth" in done.stdout + done.stderr
    assert (saved / "epoch_2.pth").is_file()
    assert not (tmp_path / "store" / "default").exists()

    # a URL given by hand is checked (before the hooks exist) through the same arguments
    url = "memo://bucket/wd/epoch_2.pth"
    more = ("--cfg-options", "train_cfg.max_epochs=3")
    done = cli("train", "tiny.py", "--work-dir", "wd", "--resume", url, *more, path=path)
    assert done.returncode == 0, done.stderr
    assert f"Resuming from {url}" in done.stdout + done.stderr
    assert (saved / "epoch_3.pth").is_file()
    done = cli("test", "tiny.py", "memo://bucket/wd/epoch_3.pth", "--work-dir", "wd", path=path)
    assert done.returncode == 0, done.stderr
