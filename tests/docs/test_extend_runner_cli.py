"""docs/howto/extend-runner-cli.md: the page's distribution works as the page says.

The page's ``pyproject.toml`` and modules (its ``snippet: file`` blocks) are
written to a folder and installed as a distribution would be: a
``.dist-info`` with the page's entry points, the sources on the path. Then
``runner-cli`` runs the commands the page shows, in a subprocess.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "howto" / "extend-runner-cli.md"


def _page_files() -> dict[str, str]:
    """The page's ``<!-- snippet: file NAME -->`` blocks, read as the snippet test reads them."""
    spec = importlib.util.spec_from_file_location(
        "_doc_snippets", Path(__file__).with_name("test_snippets.py")
    )
    assert spec is not None and spec.loader is not None
    snippets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(snippets)
    return {arg: text for kind, arg, text in snippets.snippet_steps(PAGE) if kind == "file"}


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """The page's ``runner-scalars`` as if pip-installed; returns its source folder."""
    project = tmp_path / "runner-scalars"
    files = _page_files()
    assert set(files) == {
        "pyproject.toml",
        "src/runner_scalars/cli.py",
        "src/runner_scalars/plot.py",
    }
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    (project / "src" / "runner_scalars" / "__init__.py").write_text("")
    meta = tomllib.loads(files["pyproject.toml"])["project"]
    info = tmp_path / "site" / f"runner_scalars-{meta['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n"
    )
    lines = []
    for group, entries in meta["entry-points"].items():
        lines += [f"[{group}]", *(f"{key} = {target}" for key, target in entries.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return project


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = [str(tmp_path / "site"), str(tmp_path / "runner-scalars" / "src")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, *sys.path]), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "runner_cli", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _run_folder(tmp_path: Path) -> Path:
    run = tmp_path / "work_dirs" / "digits_cnn_epoch" / "20260101_120000"
    (run / "vis_data").mkdir(parents=True)
    records = [
        {"lr": 0.01, "loss": 0.5, "iter": 10, "step": 10},
        {"accuracy/top1": 98.88, "step": 1},
    ]
    (run / "vis_data" / "scalars.json").write_text("\n".join(map(json.dumps, records)) + "\n")
    return run


def test_plugins_check_imports_both_entry_points(installed: Path, tmp_path: Path) -> None:
    done = _cli(tmp_path, "plugins", "--check", "--json")
    assert done.returncode == 0, done.stderr
    groups = json.loads(done.stdout)["groups"]
    ours = {
        group: [e for e in groups[group] if e["distribution"] == "runner-scalars"]
        for group in ("runner.plugins", "runner.plotters")
    }
    assert ours == {
        "runner.plugins": [
            {
                "key": "scalars",
                "distribution": "runner-scalars",
                "version": "0.1.0",
                "target": "runner_scalars.cli:register",
                "ok": True,
            }
        ],
        "runner.plotters": [
            {
                "key": "csv",
                "distribution": "runner-scalars",
                "version": "0.1.0",
                "target": "runner_scalars.plot:plot_csv",
                "ok": True,
            }
        ],
    }


def test_the_subcommand_prints_the_last_record_and_reports_bad_input(
    installed: Path, tmp_path: Path
) -> None:
    run = str(_run_folder(tmp_path).relative_to(tmp_path))
    assert "scalars" in _cli(tmp_path, "--help").stdout
    done = _cli(tmp_path, "scalars", run, "--key", "accuracy/top1")
    assert (done.returncode, done.stdout) == (0, "accuracy/top1\t98.88\n"), done.stderr
    done = _cli(tmp_path, "scalars", run, "--key", "acc", "--debug")
    assert done.returncode == 2
    assert "runner-cli: error: --key 'acc' is not logged; keys: accuracy/top1, step." in done.stderr
    assert "Traceback" in done.stderr  # --debug after the command, as the page adds it
    done = _cli(tmp_path, "scalars", "nowhere")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "'nowhere/vis_data/scalars.json' does not exist" in done.stderr


def test_the_plotter_draws_csv_and_leaves_runs_to_runner_cli(
    installed: Path, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    (tmp_path / "loss.csv").write_text("iter,loss\n1,2.0\n2,1.5\n3,1.1\n")  # LossCsvHook's
    done = _cli(tmp_path, "plot", "loss.csv", "--out", "loss.png")
    assert done.returncode == 0, done.stderr
    assert "Wrote loss.png." in done.stderr and (tmp_path / "loss.png").stat().st_size > 0
    run = str(_run_folder(tmp_path).relative_to(tmp_path))
    done = _cli(tmp_path, "plot", run, "--out", "curves.png")  # not a CSV: runner-cli draws it
    assert done.returncode == 0, done.stderr
    assert "Wrote curves.png (" in done.stderr and (tmp_path / "curves.png").is_file()


def test_a_broken_plugin_warns_everywhere_and_its_command_says_why(
    installed: Path, tmp_path: Path
) -> None:
    cli_py = installed / "src" / "runner_scalars" / "cli.py"
    cli_py.write_text("import no_such_dependency\n" + cli_py.read_text())
    done = _cli(tmp_path, "plugins")
    assert done.returncode == 0
    assert (
        "runner-cli: warning: The plugin entry point 'scalars' in group 'runner.plugins' "
        "(target 'runner_scalars.cli:register', distribution runner-scalars 0.1.0) failed to "
        "load: ModuleNotFoundError: No module named 'no_such_dependency'." in done.stderr
    )
    done = _cli(tmp_path, "scalars", "RUN")
    assert done.returncode == 2
    assert done.stderr.startswith("runner-cli: error: The plugin entry point 'scalars'")
    done = _cli(tmp_path, "plugins", "--check")
    assert done.returncode == 1
    assert (
        "runner.plugins\tscalars\trunner-scalars\t0.1.0\trunner_scalars.cli:register\tFAILED"
        in (done.stdout)
    )
