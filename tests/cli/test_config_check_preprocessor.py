"""`config check` leaves a typeless ``data_preprocessor`` to the model, as a run does."""

from __future__ import annotations

from pathlib import Path

PREPROCESSED = """
from runner_core.registry import MODELS
from tiny_task import TinyNet


@MODELS.register_module()
class PreprocessedTinyNet(TinyNet):
    def __init__(self, width=4, data_preprocessor=None):
        super().__init__(width)
        self.given = data_preprocessor
"""

EXTRA = """
custom_imports = dict(imports=['tiny_task', 'preprocessed'])
model = dict(type='PreprocessedTinyNet')
"""


def test_a_typeless_data_preprocessor_passes_as_it_trains(cli, tiny_config, tmp_path: Path) -> None:
    """mmpretrain's configs give ``data_preprocessor=dict(mean=..., std=...)`` and the model
    fills in its default type; the check refused it ("has no 'type'") while train ran."""
    (tmp_path / "preprocessed.py").write_text(PREPROCESSED)
    for extra in (
        "data_preprocessor = dict(non_blocking=False)\n",
        "model.update(data_preprocessor=dict(non_blocking=False))\n",
    ):
        done = cli("config", "check", str(tiny_config(EXTRA + extra)), path=[str(tmp_path)])
        assert done.returncode == 0, done.stderr
    wrong = EXTRA + "data_preprocessor = dict(type='NoSuchDP')\n"
    done = cli("config", "check", str(tiny_config(wrong)), path=[str(tmp_path)])
    assert done.returncode == 2 and "NoSuchDP" in done.stderr
