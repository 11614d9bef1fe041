"""Every checkpoint a run writes loads with the safe loader, even with numpy metrics."""

from __future__ import annotations

import textwrap

from runner_core.checkpoint import find_unsafe, load_checkpoint

NUMPY_METRIC = '''
import numpy as np

from runner_core.evaluator import BaseMetric
from runner_core.registry import METRICS


@METRICS.register_module(force=True)
class NumpyAccuracy(BaseMetric):
    """Returns numpy scalars and arrays, as many MMEngine metrics do (np.mean(...))."""

    def process(self, data_batch, data_samples):
        for out in data_samples["pred"].argmax(dim=1) == data_samples["gt"]:
            self.results.append(float(out))

    def compute_metrics(self, results):
        return {"acc": np.mean(results) * 100, "per_class": np.array([1.0, 2.0])}
'''


def test_numpy_metrics_and_hook_state_load_with_the_safe_loader(cli, tiny_config, tmp_path):
    (tmp_path / "np_metric.py").write_text(textwrap.dedent(NUMPY_METRIC))
    config = tiny_config(
        """
        custom_imports = dict(imports=['tiny_task', 'np_metric'])
        val_evaluator = dict(type='NumpyAccuracy')
        default_hooks = dict(
            logger=dict(interval=2, progress_bar=False),
            checkpoint=dict(interval=1, save_best='acc'),
        )
        """
    )
    done = cli("train", str(config), "--work-dir", "wd", path=[str(tmp_path)])
    assert done.returncode == 0, done.stderr
    assert "safe loader" not in done.stderr  # no "will refuse" warning at save time
    files = sorted((tmp_path / "wd").glob("*.pth"))
    assert {p.name for p in files} >= {"epoch_1.pth", "epoch_2.pth"}
    assert any(p.name.startswith("best_acc_epoch_") for p in files)
    for path in files:
        ckpt = load_checkpoint(path)  # weights_only=True
        assert find_unsafe(ckpt) == []
        assert isinstance(ckpt["hooks"]["checkpoint"]["best_score"]["acc"], float)
    resumed = cli(
        "train", str(config), "--work-dir", "wd", "--resume", "auto",
        "--cfg-options", "train_cfg.max_epochs=3", path=[str(tmp_path)],
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
