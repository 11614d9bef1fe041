"""Which top-level config keys the Runner refuses as misspellings."""

from __future__ import annotations

import pytest

from runner_core.config import Config
from runner_core.errors import ConfigError
from runner_core.runner.config_keys import check_top_level_keys
from runner_core.runner.runner import RUNNER_KEYS

OPENMMLAB_STYLE = """
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
val_pipeline = test_pipeline
val_dataloader = dict(batch_size=2, dataset=dict(type='X', pipeline=test_pipeline))
"""


def test_the_pipeline_variables_of_openmmlab_configs_are_no_misspellings(tmp_path) -> None:
    """test_pipeline is close to tta_pipeline (difflib ratio 0.88), which the Runner
    reads; nearly half the OpenMMLab configs have the one and not the other."""
    (tmp_path / "cfg.py").write_text(OPENMMLAB_STYLE)
    check_top_level_keys(Config.fromfile(tmp_path / "cfg.py"), RUNNER_KEYS)


@pytest.mark.parametrize(
    ("key", "meant"), [("tta_pipline", "tta_pipeline"), ("optim_wraper", "optim_wrapper")]
)
def test_a_misspelt_key_is_still_refused(tmp_path, key: str, meant: str) -> None:
    (tmp_path / "cfg.py").write_text(OPENMMLAB_STYLE + f"{key} = dict()\n")
    with pytest.raises(ConfigError, match=f"Did you mean '{meant}'"):
        check_top_level_keys(Config.fromfile(tmp_path / "cfg.py"), RUNNER_KEYS)
