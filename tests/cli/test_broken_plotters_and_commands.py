"""A broken runner.plotters or runner.plugins entry point: named, and confined to itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SCALARS = '{"lr": 0.1, "loss": 1.0, "iter": 1, "step": 1}\n{"lr": 0.1, "loss": 0.5, "iter": 2}\n'

PLOTTERS = {
    # (target, module source): the plugin is broken this way
    "unimportable": ("no_such_plot_module:plot", None),
    "not callable": ("str_plot_mod:plot", "plot = 'i am no function'\n"),
}


def _site(tmp_path: Path) -> list[str]:
    return [str(tmp_path / "site")]


@pytest.mark.parametrize("broken", list(PLOTTERS))
def test_a_plotter_that_cannot_be_used_is_skipped_with_a_warning(
    cli, fake_dist, tmp_path: Path, broken: str
) -> None:
    """An unimportable plotter made every `plot` exit 2 ("Other names keep working");
    one that was not callable: "unexpected TypeError: 'str' object is not callable"."""
    target, source = PLOTTERS[broken]
    module = target.split(":")[0]
    fake_dist(
        "badplot-plugin",
        {"runner.plotters": {"badplot": target}},
        {module: source} if source else {},
        "0.3",
    )
    (tmp_path / "scalars.json").write_text(SCALARS)
    done = cli("plot", "scalars.json", "--out", "curves.png", path=_site(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "curves.png").is_file()  # the built-in plot drew the run
    warning = done.stderr.splitlines()[0]
    assert warning.startswith("runner-cli: warning: the plotter plugin entry point 'badplot'")
    assert "badplot-plugin 0.3" in warning and target in warning
    assert "skipped" in warning and "pip uninstall badplot-plugin" in warning
    assert "Wrote curves.png" in done.stderr


def test_a_plotter_that_raises_is_reported_by_name(cli, fake_dist, tmp_path: Path) -> None:
    """It said "unexpected ValueError: boom", naming no plugin."""
    fake_dist(
        "raising-plot",
        {"runner.plotters": {"boomplot": "boom_plot_mod:plot"}},
        {"boom_plot_mod": "def plot(runs, out):\n    raise ValueError('boom')\n"},
    )
    (tmp_path / "scalars.json").write_text(SCALARS)
    done = cli("plot", "scalars.json", path=_site(tmp_path))
    assert done.returncode == 1  # it failed while running: the input is fine
    message = done.stderr.strip()
    assert message.startswith("runner-cli: error: The plotter plugin entry point 'boomplot'")
    assert "\n" not in message and "Traceback" not in message
    assert "raising-plot 1.0" in message and "ValueError: boom" in message
    assert "pip uninstall raising-plot" in message and "unexpected" not in message


def test_a_plotters_own_input_error_keeps_its_words_and_names_the_plotter(
    cli, fake_dist, tmp_path: Path
) -> None:
    fake_dist(
        "picky-plot",
        {"runner.plotters": {"picky": "picky_plot_mod:plot"}},
        {
            "picky_plot_mod": "from runner_core.errors import ConfigError\n"
            "def plot(runs, out):\n    raise ConfigError('this folder holds no study.')\n"
        },
    )
    (tmp_path / "scalars.json").write_text(SCALARS)
    done = cli("plot", "scalars.json", path=_site(tmp_path))
    assert done.returncode == 2
    assert "this folder holds no study. Raised in the plotter plugin entry point 'picky'" in (
        done.stderr
    )


def test_check_fails_a_subcommand_plugin_whose_register_raises(
    cli, fake_dist, tmp_path: Path
) -> None:
    """`plugins --check` said ok and exited 0; only the warning line showed it."""
    fake_dist(
        "badreg-plugin",
        {"runner.plugins": {"badreg": "badreg_mod:register"}},
        {"badreg_mod": "def register(subparsers):\n    raise RuntimeError('nope')\n"},
        "0.4",
    )
    done = cli("plugins", "--check", path=_site(tmp_path))
    assert done.returncode == 1, done.stderr
    (row,) = [line for line in done.stdout.splitlines() if "\tbadreg-plugin\t" in line]
    assert row.split("\t")[0] == "runner.plugins" and row.split("\t")[-1] == "FAILED"
    header, error = done.stderr.splitlines()[-2:]
    assert header.startswith("runner-cli: error: 1 entry point(s) failed")
    assert error.startswith("  [1] ")
    assert "'badreg' (entry point in group 'runner.plugins' of badreg-plugin 0.4" in error
    assert "RuntimeError: nope" in error

    done = cli("plugins", "--check", "--json", path=_site(tmp_path))
    data = json.loads(done.stdout)
    (entry,) = [e for e in data["groups"]["runner.plugins"] if e["key"] == "badreg"]
    assert entry["ok"] is False
    assert [f["key"] for f in data["failures"]] == ["badreg"]

    done = cli("plugins", path=_site(tmp_path))  # the listing itself still works
    assert done.returncode == 0
