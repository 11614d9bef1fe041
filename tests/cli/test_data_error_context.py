"""A dataset error names the dataset, the sample, the epoch and batch; the log keeps the traceback."""

from __future__ import annotations

import re
import textwrap

import pytest

CORRUPT = """
from runner_core.registry import DATASETS
from tiny_task import TinyDataset


@DATASETS.register_module(force=True)
class CorruptDataset(TinyDataset):
    def __getitem__(self, i):
        if i == 37:
            raise ValueError(f"sample {i} is corrupt")
        return super().__getitem__(i)
"""


@pytest.mark.parametrize("workers", [0, 2])
def test_dataset_error_names_dataset_sample_epoch_and_batch(cli, tiny_config, tmp_path, workers):
    (tmp_path / "corrupt.py").write_text(textwrap.dedent(CORRUPT))
    config = tiny_config(
        f"""
        custom_imports = dict(imports=['tiny_task', 'corrupt'])
        train_dataloader = dict(
            dataset=dict(type='CorruptDataset'), batch_size=8, shuffle=True, num_workers={workers}
        )
        """
    )
    done = cli("train", str(config), "--work-dir", "wd", path=[str(tmp_path)])
    assert done.returncode == 1, done.stderr
    message = done.stderr.strip()
    assert message.count("\n") == 0, message  # one paragraph, even from a worker
    assert "ValueError: sample 37 is corrupt" in message
    assert re.search(
        r"while loading sample 37 of CorruptDataset \(train_dataloader, "
        r"Epoch\(train\) \[1\]\[[1-8]/8\]\)",
        message,
    ), message
    assert "Original Traceback" not in message
    log = next((tmp_path / "wd").glob("*/*.log")).read_text()
    assert "The run failed" in log and "Traceback (most recent call last)" in log
    assert 'raise ValueError(f"sample {i} is corrupt")' in log  # the user's own line


def test_debug_shows_the_traceback_with_the_context(cli, tiny_config, tmp_path):
    (tmp_path / "corrupt.py").write_text(textwrap.dedent(CORRUPT))
    config = tiny_config(
        """
        custom_imports = dict(imports=['tiny_task', 'corrupt'])
        train_dataloader = dict(dataset=dict(type='CorruptDataset'), batch_size=8)
        """
    )
    done = cli("--debug", "train", str(config), "--work-dir", "wd", path=[str(tmp_path)])
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "while loading sample 37 of CorruptDataset" in done.stderr
    assert "Epoch(train) [1][5/8]" in done.stderr  # unshuffled: sample 37 is in batch 5


def test_a_failing_test_run_writes_its_traceback_to_its_log(cli, tiny_config, tmp_path, trained):
    (tmp_path / "corrupt.py").write_text(textwrap.dedent(CORRUPT))
    config = tiny_config(
        """
        custom_imports = dict(imports=['tiny_task', 'corrupt'])
        test_dataloader = dict(dataset=dict(type='CorruptDataset'), batch_size=16)
        """
    )
    checkpoint = trained / "wd" / "epoch_2.pth"
    done = cli("test", str(config), str(checkpoint), "--work-dir", "wd", path=[str(tmp_path)])
    assert done.returncode == 1
    assert "while loading sample 37 of CorruptDataset (test_dataloader, batch 3/4)" in done.stderr
    log = next((tmp_path / "wd").glob("*/*.log")).read_text()
    assert "The run failed" in log and "sample 37 is corrupt" in log


SPAWN_WITH_A_CLASS_IN_THE_CONFIG = """
from tiny_task import TinyDataset


class InConfigDataset(TinyDataset):
    pass


train_dataloader = dict(
    dataset=dict(type=InConfigDataset), batch_size=8, num_workers=1,
    multiprocessing_context='spawn',
)
"""


def test_workers_that_cannot_be_spawned_are_a_config_error_not_an_unexpected_one(
    cli, tiny_config, tmp_path
):
    """A dataset class written in the config cannot reach spawned workers: the diagnosis
    is reported as an input error (exit status 2), not as an unexpected PicklingError."""
    config = tiny_config(SPAWN_WITH_A_CLASS_IN_THE_CONFIG)
    done = cli("train", str(config), "--work-dir", "wd")
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("runner-cli: error:")]
    assert len(errors) == 1, done.stderr
    message = errors[0]
    assert message.startswith(
        "runner-cli: error: The data-loader workers of train_dataloader start with 'spawn'"
    ), message
    # a subclass adding no method: still a class the workers cannot import, not an object
    # to create in the worker
    assert "(an instance of class InConfigDataset defined in the config file)" in message
    assert "Define it at the top level of a module" in message
    assert "unexpected" not in message and "--debug" not in message
    assert "train_dataloader.num_workers=0" in message
    log = next((tmp_path / "wd").glob("*/*.log")).read_text()
    assert "import of module '__config__' failed" in log  # pickle's own error, as the cause
