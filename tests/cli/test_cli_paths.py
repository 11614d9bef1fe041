"""runner-cli with the paths users have: odd config names, moved work dirs, path options."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from runner_cli.run_setup import parse_options
from runner_core.config import Config

from .conftest import write_config

FOLDER = "实验 1/café $HOME 'q' #h [a]"


def test_train_and_resume_a_moved_work_dir_with_odd_names(cli, tmp_path: Path) -> None:
    (tmp_path / FOLDER).mkdir(parents=True)
    config = write_config(tmp_path / FOLDER, "my cfg.v2 $x.py", "train_cfg = dict(max_epochs=1)\n")
    done = cli("train", str(config.relative_to(tmp_path)))
    assert done.returncode == 0, done.stderr
    work = tmp_path / "work_dirs" / "my cfg.v2 $x"  # as MMEngine's tools/train.py names it
    assert (work / "last_checkpoint").read_text(encoding="utf-8") == str(work / "epoch_1.pth")
    (run,) = [p for p in work.iterdir() if p.is_dir() and p.name[:1].isdigit()]
    dumped = Config.fromfile(run / "config.py", import_custom_modules=False)
    assert dumped.train_cfg.max_epochs == 1  # the dump loads back
    assert json.loads((run / "vis_data" / "scalars.json").read_text().splitlines()[0])["step"]

    moved = tmp_path / "runs é" / "lr=0.1,bs=8 'b'"  # the pointer still names the old place
    moved.parent.mkdir()
    shutil.move(str(work), str(moved))
    done = cli(
        "train",
        str(config),
        "--resume",
        "--cfg-options",
        f"work_dir={moved}",
        "train_cfg.max_epochs=2",
    )
    assert done.returncode == 0, done.stderr
    assert "Resumed after 1 completed epochs" in done.stdout + done.stderr
    assert (moved / "epoch_2.pth").is_file() and not work.exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("work_dir=runs/lr=0.1,bs=8", "runs/lr=0.1,bs=8"),  # MMEngine: a list
        ("work_dir='runs/my run'", "runs/my run"),  # MMEngine: runs/myrun
        ("work_dir=runs/it's'", "runs/it's'"),  # MMEngine strips every quote at the ends
        ('load_from="my ckpts/epoch 1.pth"', "my ckpts/epoch 1.pth"),
        ("resume=ckpts/a,(b.pth", "ckpts/a,(b.pth"),  # no bracket check on a path
        ("load_from=None", None),
        ("load_from='None'", None),  # as MMEngine reads it
        ("resume=True", True),
        ("resume=false", False),
        ("resume=auto", "auto"),
        ("work_dir=2024", "2024"),  # MMEngine: the int 2024, refused as a work dir
        ("load_from=1e3", "1e3"),
    ],
)
def test_path_options_keep_their_spaces_and_commas(option: str, value: object) -> None:
    assert parse_options([option, "train_cfg.milestones=[1, 2]"]) == {
        option.partition("=")[0]: value,
        "train_cfg.milestones": [1, 2],  # other values are read as MMEngine reads them
    }


@pytest.mark.parametrize("option", ["work_dir", "resume=", "load_from=''"])
def test_a_path_option_without_a_value_is_refused(option: str) -> None:
    from runner_core.errors import ConfigError

    with pytest.raises(ConfigError, match="KEY=VALUE|has no value"):
        parse_options([option])
