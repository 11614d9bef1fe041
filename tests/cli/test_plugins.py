"""runner-cli plugins, plugin subcommands (runner.plugins), broken and conflicting plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HELLO = """
def register(subparsers):
    parser = subparsers.add_parser("hello", help="say hello")
    parser.add_argument("--name", default="world")
    parser.set_defaults(handler=run)

def run(args):
    print(f"hello {args.name}")
    return 0
"""


def _site(tmp_path: Path) -> list[str]:
    return [str(tmp_path / "site")]


def test_plugin_adds_a_subcommand_and_is_listed(cli, fake_dist, tmp_path: Path) -> None:
    fake_dist(
        "hello-plugin",
        {"runner.plugins": {"hello": "hello_mod:register"}},
        {"hello_mod": HELLO},
        "2.5",
    )
    done = cli("hello", "--name", "runner", path=_site(tmp_path))
    assert done.returncode == 0 and done.stdout.strip() == "hello runner"
    assert "hello" in cli("--help", path=_site(tmp_path)).stdout

    done = cli("plugins", "--json", path=_site(tmp_path))
    data = json.loads(done.stdout)
    # other installed plugins (runner-sweep's 'sweep') are listed alongside
    (entry,) = [e for e in data["groups"]["runner.plugins"] if e["key"] == "hello"]
    assert entry == {
        "key": "hello",
        "distribution": "hello-plugin",
        "version": "2.5",
        "target": "hello_mod:register",
    }
    assert data["default_hooks"]["active"] == "standard"
    assert "standard" in data["default_hooks"]["installed"]
    listing = cli("plugins", path=_site(tmp_path)).stdout
    assert "runner.plugins\thello\thello-plugin\t2.5\thello_mod:register" in listing
    assert "active set 'standard'" in listing
    version = cli("--version", path=_site(tmp_path)).stdout
    assert "torch " in version and "runner-core " in version and "hello-plugin 2.5" in version


def test_default_hooks_set_from_the_environment() -> None:
    env = {**os.environ, "RUNNER_DEFAULT_HOOKS": "nonexistent"}
    done = subprocess.run(
        [sys.executable, "-m", "runner_cli", "plugins"], capture_output=True, text=True, env=env
    )
    assert "active set 'nonexistent' (chosen by $RUNNER_DEFAULT_HOOKS" in done.stdout
    assert "names no installed default-hooks set" in done.stdout


def test_broken_plugin_entry_point(cli, fake_dist, tmp_path: Path) -> None:
    fake_dist(
        "broken-plugin",
        {
            "runner.plugins": {"broken": "no_such_module:register"},
            "runner.models": {"BrokenNet": "no_such_module:Net"},
        },
    )
    done = cli("broken", path=_site(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert (
        "'broken'" in done.stderr
        and "broken-plugin" in done.stderr
        and "pip uninstall broken-plugin" in done.stderr
    )

    done = cli("plugins", path=_site(tmp_path))  # other commands keep working, with a warning
    assert done.returncode == 0 and "runner-cli: warning:" in done.stderr

    done = cli("plugins", "--check", path=_site(tmp_path))
    assert done.returncode == 1
    assert "BrokenNet" in done.stderr and "no_such_module" in done.stderr
    assert "FAILED" in done.stdout

    (tmp_path / "c.py").write_text("model = dict(type='BrokenNet')\n")
    done = cli("config", "check", "c.py", path=_site(tmp_path))
    assert done.returncode == 2 and "model.type" in done.stderr and "failed to load" in done.stderr


def test_two_plugins_claim_one_name(cli, fake_dist, tmp_path: Path) -> None:
    for dist in ("alpha-plugin", "beta-plugin"):
        fake_dist(
            dist,
            {
                "runner.plugins": {"hello": "hello_mod:register"},
                "runner.models": {"SharedNet": "torch.nn:Linear"},
            },
            {"hello_mod": HELLO},
        )
    done = cli("hello", path=_site(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert (
        "alpha-plugin" in done.stderr
        and "beta-plugin" in done.stderr
        and "uninstall one" in done.stderr
    )

    (tmp_path / "c.py").write_text(
        "model = dict(type='SharedNet', in_features=2, out_features=1)\n"
    )
    done = cli("config", "check", "c.py", path=_site(tmp_path))
    assert done.returncode == 2
    assert "Two installed distributions offer 'SharedNet'" in done.stderr
    assert "alpha-plugin::SharedNet" in done.stderr
    assert "conflict: 'SharedNet'" in cli("plugins", path=_site(tmp_path)).stdout


def test_plugin_cannot_take_a_built_in_command(cli, fake_dist, tmp_path: Path) -> None:
    src = HELLO.replace('add_parser("hello"', 'add_parser("plot"')
    fake_dist(
        "greedy-plugin", {"runner.plugins": {"plot": "greedy_mod:register"}}, {"greedy_mod": src}
    )
    done = cli("plot", "--help", path=_site(tmp_path))
    assert done.returncode == 0 and "scalars" in done.stdout  # the built-in plot
    assert "greedy-plugin" in done.stderr and "already provides" in done.stderr


def test_the_ecosystem_distributions_are_listed_like_any_plugin() -> None:
    """runner-trackers and runner-sweep register through entry points only."""
    done = subprocess.run(
        [sys.executable, "-m", "runner_cli", "plugins", "--json"], capture_output=True, text=True
    )
    groups = json.loads(done.stdout)["groups"]
    backends = {e["key"]: e["distribution"] for e in groups["runner.visbackends"]}
    for name in ("MLflowVisBackend", "WandbVisBackend", "DVCLiveVisBackend", "AimVisBackend"):
        assert backends[name] == "runner-trackers"
    commands = {e["key"]: e["distribution"] for e in groups["runner.plugins"]}
    assert commands["sweep"] == "runner-sweep"
    plotters = {e["key"]: e["distribution"] for e in groups["runner.plotters"]}
    assert plotters["study"] == "runner-sweep"
