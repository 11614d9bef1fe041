"""The four distributions build as wheels, and `pip install runner-core
runner-hooks-standard` from them gives a working install whose registries see
the plugins through entry points.

Slow (a fresh virtual environment with torch): about a minute.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = ["core", "loops-standard", "hooks-standard", "cli"]
TORCH_SPEC = os.environ.get("TORCH_SPEC", "torch==2.13.0")


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc


def build_wheel(project: Path, outdir: Path) -> None:
    """The wheel of ``project`` into ``outdir``, built as a release would be (no editable)."""
    run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(outdir),
         str(project)])  # fmt: skip


@pytest.mark.slow
def test_wheels_install_into_a_clean_venv_and_find_plugins(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    for member in MEMBERS:
        build_wheel(ROOT / "packages" / member, wheels)
    built = sorted(p.name for p in wheels.glob("*.whl"))
    assert [n.split("-")[0] for n in built] == [
        "runner_cli",
        "runner_core",
        "runner_hooks_standard",
        "runner_loops_standard",
    ]
    license_text = (ROOT / "LICENSE").read_bytes()
    for wheel in wheels.glob("*.whl"):  # the Apache-2.0 text each one declares, and a readme
        with zipfile.ZipFile(wheel) as zf:
            (licence,) = [n for n in zf.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
            assert zf.read(licence) == license_text, wheel.name
            (meta,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
            metadata = zf.read(meta).decode()
        assert "License-File: LICENSE" in metadata and "Description-Content-Type" in metadata

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    py = str(venv / "bin" / "python")
    pip = [py, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    # torch's thousands of modules are compiled to bytecode when imported instead of at
    # install (half a minute); the wheels under test are installed as a user's pip does
    run([*pip, "--no-compile", TORCH_SPEC])
    # what a user types, pointed at the wheels just built (loops come as a dependency)
    wanted = [
        str(next(wheels.glob(f"{name}-*.whl")))
        for name in ("runner_core", "runner_hooks_standard", "runner_loops_standard")
    ]
    run([*pip, *wanted])

    script = textwrap.dedent(
        """
        import torch, runner_core
        from runner_core import Runner
        from runner_core.registry import HOOKS, LOOPS
        assert 'runner_core' in runner_core.__file__ and 'site-packages' in runner_core.__file__
        assert {'CheckpointHook', 'LoggerHook', 'IterTimerHook'} <= set(HOOKS.keys())
        assert 'EpochBasedTrainLoop' in LOOPS.keys()
        data = torch.utils.data.TensorDataset(torch.randn(64, 4), torch.randint(0, 2, (64,)))
        runner = Runner(model=torch.nn.Linear(4, 2), work_dir='wd',
                        train_dataloader=dict(dataset=data, batch_size=16),
                        train_cfg=dict(by_epoch=True, max_epochs=2),
                        optimizer=dict(type='SGD', lr=0.1))
        runner.train()
        assert runner.iter == 8, runner.iter
        assert (runner.work_dir / 'epoch_2.pth').exists()
        print('OK', runner.default_hooks_set)
        """
    )
    out = run([py, "-c", script], cwd=tmp_path)
    assert out.stdout.strip().endswith("OK standard")


@pytest.mark.slow
def test_ecosystem_wheels_carry_their_entry_points_and_extras(tmp_path: Path) -> None:
    """runner-trackers and runner-sweep: own versions, entry points, optional tracker extras."""
    import zipfile

    for member in ("trackers", "sweep"):
        build_wheel(ROOT / "packages" / member, tmp_path)

    def dist_info(prefix: str) -> dict[str, str]:
        (wheel,) = tmp_path.glob(f"{prefix}-*.whl")
        with zipfile.ZipFile(wheel) as zf:
            return {
                name.rsplit("/", 1)[-1]: zf.read(name).decode()
                for name in zf.namelist()
                if ".dist-info/" in name
            }

    trackers = dist_info("runner_trackers")
    assert "Version: 0.1.0" in trackers["METADATA"]
    for extra in ("mlflow", "wandb", "dvclive", "aim"):
        assert f"Provides-Extra: {extra}" in trackers["METADATA"]
    assert "Requires-Dist: mlflow<4,>=2.10; extra == 'mlflow'" in trackers["METADATA"]
    points = trackers["entry_points.txt"]
    assert "[runner.visbackends]" in points
    assert "MLflowVisBackend = runner_trackers.mlflow_backend:MLflowVisBackend" in points
    sweep = dist_info("runner_sweep")
    assert "sweep = runner_sweep.command:register" in sweep["entry_points.txt"]
    assert "study = runner_sweep.plot:plot_study" in sweep["entry_points.txt"]
    assert "Requires-Dist: optuna" in sweep["METADATA"]


ALL_MEMBERS = [*MEMBERS, "trackers", "sweep"]


@pytest.mark.parametrize("member", ALL_MEMBERS)
def test_each_distribution_ships_the_license_and_a_readme(member: str) -> None:
    """Every distribution declares Apache-2.0; its wheel and sdist carry the text.

    hatchling takes license files from the member's own folder (PEP 639 paths
    cannot leave it), so each holds a copy of the repository's LICENSE.
    """
    from runner_core.project import load_toml

    folder = ROOT / "packages" / member
    project = load_toml(folder / "pyproject.toml")["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    assert (folder / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    assert (folder / project["readme"]).is_file()
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "Copyright runner contributors" in text


def test_the_digits_wheel_ships_its_configs_where_pkg_references_look(tmp_path: Path) -> None:
    """'runner_digits::digits_cnn_epoch.py' resolves in an installed wheel: .mim/configs."""
    project = ROOT / "examples" / "digits-lib"
    build_wheel(project, tmp_path)
    (wheel,) = tmp_path.glob("runner_digits-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        shipped = {n for n in zf.namelist() if n.startswith("runner_digits/.mim/configs/")}
    expected = {f"runner_digits/.mim/configs/{p.name}" for p in (project / "configs").glob("*.py")}
    assert expected and shipped == expected


PUBLISHED = ["packages/core", "packages/hooks-standard", "packages/loops-standard",
             "packages/cli", "packages/sweep", "packages/trackers",
             "examples/digits-lib"]  # fmt: skip


@pytest.mark.parametrize("folder", PUBLISHED)
def test_the_long_description_and_metadata_stand_on_their_own(folder: str) -> None:
    """PyPI shows the README alone: a link to ../../README.md is a broken link there."""
    import re

    from runner_core.project import load_toml

    here = ROOT / folder
    project = load_toml(here / "pyproject.toml")["project"]
    readme = (here / project["readme"]).read_text()
    assert not re.findall(r"\]\((?!https?://)[^)]*\)", readme)  # no link but a URL's
    assert "pip install" in readme
    classifiers = project["classifiers"]
    for version in ("3.10", "3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "Typing :: Typed" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # PEP 639: `license`
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert (here / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    (package,) = (here / "src").iterdir()
    assert (package / "py.typed").is_file()
