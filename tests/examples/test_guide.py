"""Every example of the guide runs (imports changed only) and does what it says.

Each example runs in its own process, in a copy of ``examples/guide`` under a
temporary folder, so its work_dirs and registrations stay there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "examples" / "guide"


@pytest.fixture
def guide_dir(tmp_path: Path) -> Path:
    target = tmp_path / "guide"
    shutil.copytree(
        GUIDE, target, ignore=shutil.ignore_patterns("work_dirs", "__pycache__", "*.pth")
    )
    return target


def run_example(folder: Path, script: str, probe: str) -> dict:
    """Run ``script`` with runpy, then ``probe`` (which prints one JSON line)."""
    code = textwrap.dedent(
        f"""
        import json, runpy, sys
        sys.path.insert(0, '.')
        g = runpy.run_path({script!r}, run_name='__main__')
        """
    ) + textwrap.dedent(probe)
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_manual_training_trains_and_loss_falls(guide_dir: Path) -> None:
    out = run_example(
        guide_dir,
        "manual_train.py",
        """
        r = g['runner']
        losses = r.message_hub.get_scalar('train/loss').data()
        print(json.dumps({'epoch': r.epoch, 'iter': r.iter, 'first': losses[0], 'last': losses[-1],
                          'lr': r.optim_wrapper.get_lr()['lr'][0]}))
        """,
    )
    assert out["epoch"] == 100 and out["iter"] == 800
    assert out["last"] < out["first"] * 0.2
    assert out["lr"] == pytest.approx(0.01 * 0.1 * 0.1)  # MultiStepLR milestones 80 and 90


def test_manual_test_loads_weights_and_computes_metrics(guide_dir: Path) -> None:
    probe = """
        import torch
        from toys import CocoDataset, FasterRCNN
        model = FasterRCNN()
        model.load_state_dict(torch.load('faster_rcnn.pth')['state_dict'])
        data = CocoDataset()
        with torch.no_grad():
            predicted = model(data.inputs).argmax(dim=1)
        by_hand = 100.0 * (predicted == data.labels).float().mean().item()
        print(json.dumps({'metrics': g['metrics'], 'by_hand': by_hand}))
        """
    out = run_example(guide_dir, "manual_test.py", probe)
    assert set(out["metrics"]) == {"accuracy/top1"}
    # the Runner loaded the file's weights and scored every test sample
    assert out["metrics"]["accuracy/top1"] == pytest.approx(out["by_hand"], abs=1e-4)


def test_config_example_trains_tests_and_builds_lazily(guide_dir: Path) -> None:
    out = run_example(
        guide_dir,
        "from_config.py",
        """
        r = g['runner']
        print(json.dumps({'metrics': g['metrics'], 'epoch': r.epoch,
                          'ckpts': sorted(p.name for p in r.work_dir.glob('epoch_*.pth'))}))
        """,
    )
    assert out["epoch"] == 15
    assert out["metrics"]["accuracy/top1"] > 90.0
    assert out["ckpts"] == sorted(f"epoch_{i}.pth" for i in range(1, 16))


def test_custom_val_loop_reaches_its_extra_hook_points(guide_dir: Path) -> None:
    out = run_example(
        guide_dir,
        "custom_loop.py",
        """
        reached = g['REACHED']
        points = [r[0] for r in reached]
        print(json.dumps({'before': points.count('before_valloader2_iter'),
                          'after': points.count('after_valloader2_iter'),
                          'metrics': [r for r in reached if r[0] == 'metrics'][-1][1:]}))
        """,
    )
    # 2 epochs x 4 batches of ValDataset2 (64 samples, batch 16)
    assert out["before"] == out["after"] == 8
    metric, metric2 = out["metrics"]
    assert "accuracy/top1" in metric and "accuracy/top1" in metric2


def test_custom_runner_is_chosen_by_runner_type(guide_dir: Path) -> None:
    out = run_example(
        guide_dir,
        "custom_runner.py",
        "print(json.dumps({'types': [type(g[k]).__name__ for k in ('runner', 'guide_runner')],"
        " 'calls': len(g['CALLS'])}))",
    )
    # the guide's own `def setup_env(self)` is called too
    assert out == {"types": ["CustomRunner", "GuideRunner"], "calls": 2}
