"""runner-cli plugins, plugin subcommands (runner.plugins), broken and conflicting plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
        and "`pip uninstall alpha-plugin` or `pip uninstall beta-plugin`" in done.stderr
    )

    (tmp_path / "c.py").write_text(
        "model = dict(type='SharedNet', in_features=2, out_features=1)\n"
    )
    done = cli("config", "check", "c.py", path=_site(tmp_path))
    assert done.returncode == 2
    assert "Two installed distributions offer 'SharedNet'" in done.stderr
    assert "alpha-plugin::SharedNet" in done.stderr
    listing = cli("plugins", path=_site(tmp_path)).stdout
    assert "conflict: 'SharedNet'" in listing
    # a subcommand is no config's type=: the advice is to uninstall one, not to pick in a config
    assert (
        "conflict: 'hello' in runner.plugins is offered by alpha-plugin, beta-plugin: "
        "runner-cli adds neither subcommand"
    ) in listing
    assert "type='alpha-plugin::hello'" not in listing
    assert "`pip uninstall alpha-plugin` or `pip uninstall beta-plugin`" in listing
    # the subcommand is gone for every user of the environment: --check fails, as it does
    # for a subcommand that a built-in one hides
    check = cli("plugins", "--check", path=_site(tmp_path))
    assert check.returncode == 1 and "runner-cli subcommand two plugins offer" in check.stderr


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
    for name in (
        "MLflowVisBackend",
        "WandbVisBackend",
        "DVCLiveVisBackend",
        "AimVisBackend",
        "ClearMLVisBackend",
        "NeptuneVisBackend",
    ):
        assert backends[name] == "runner-trackers"
    commands = {e["key"]: e["distribution"] for e in groups["runner.plugins"]}
    assert commands["sweep"] == "runner-sweep"
    plotters = {e["key"]: e["distribution"] for e in groups["runner.plotters"]}
    assert plotters["study"] == "runner-sweep"


def test_a_plugin_exiting_in_register_does_not_end_other_commands(
    cli, fake_dist, tmp_path: Path
) -> None:
    """sys.exit() in register() ended --help, plugins and train with its message only."""
    fake_dist(
        "exit-plugin",
        {"runner.plugins": {"exitcmd": "exit_mod:register"}},
        {"exit_mod": "import sys\ndef register(subparsers):\n    sys.exit('cannot register')\n"},
        "0.2",
    )
    for args in (["--help"], ["plugins"]):
        done = cli(*args, path=_site(tmp_path))
        assert done.returncode == 0, done.stderr
        assert "runner-cli: warning: The runner-cli plugin 'exitcmd'" in done.stderr
        assert "exit-plugin 0.2" in done.stderr and "SystemExit: cannot register" in done.stderr
    done = cli("exitcmd", path=_site(tmp_path))
    assert done.returncode == 2 and "pip uninstall exit-plugin" in done.stderr


WRONG_KIND = """
SOME_STRING = "i am not a hook"

class NotAHook:
    def __init__(self, runner=None, **kw):
        self.kw = kw

    def run(self):
        return None

def make_thing():
    return 42
"""


def test_check_reports_entry_points_of_the_wrong_kind(cli, fake_dist, tmp_path: Path) -> None:
    """They loaded, so --check and config check said ok; the run failed naming no plugin."""
    fake_dist(
        "wrongkind-plugin",
        {
            "runner.hooks": {
                "StringHook": "wrongkind_mod:SOME_STRING",
                "NotAHook": "wrongkind_mod:NotAHook",
                "FuncHook": "wrongkind_mod:make_thing",
            },
            "runner.loops": {"NotALoop": "wrongkind_mod:NotAHook"},
            "runner.default_hooks": {"wrongset": "wrongkind_mod:SOME_STRING"},
        },
        {"wrongkind_mod": WRONG_KIND},
    )
    done = cli("plugins", "--check", path=_site(tmp_path))
    assert done.returncode == 1
    rows = {
        (line.split("\t")[0], line.split("\t")[1]): line.split("\t")[-1]
        for line in done.stdout.splitlines()
        if "\twrongkind-plugin\t" in line
    }
    assert rows == {
        ("runner.hooks", "StringHook"): "FAILED",
        ("runner.hooks", "NotAHook"): "FAILED",
        ("runner.hooks", "FuncHook"): "ok",  # a function may return a hook: not called
        ("runner.loops", "NotALoop"): "FAILED",
        ("runner.default_hooks", "wrongset"): "FAILED",
    }
    assert "entry point 'NotALoop' in group 'runner.loops' of wrongkind-plugin" in done.stderr
    assert "does not subclass runner_core.loop.BaseLoop" in done.stderr
    # four failures, one numbered line each, after the count
    lines = done.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if "4 entry point(s) failed" in line)
    assert [line[:6] for line in lines[at + 1 : at + 5]] == ["  [1] ", "  [2] ", "  [3] ", "  [4] "]
    assert sum("wrongkind-plugin" in line for line in lines[at + 1 : at + 5]) == 4

    (tmp_path / "c.py").write_text(
        "model = dict(type='Linear', in_features=2, out_features=2)\n"
        "custom_hooks = [dict(type='StringHook'), dict(type='NotAHook')]\n"
    )
    done = cli("config", "check", "c.py", path=_site(tmp_path))
    assert done.returncode == 2
    assert "custom_hooks[0].type: 'StringHook' in the hook registry is an object of type str" in (
        done.stderr
    )
    assert "custom_hooks[1].type: 'NotAHook' in the hook registry is the class" in done.stderr
    assert "pip uninstall wrongkind-plugin" in done.stderr


def test_check_fails_when_two_plugins_offer_the_default_set(cli, fake_dist, tmp_path: Path) -> None:
    """Every run choosing no set fails; --check exited 0 and said "active set 'standard'"."""
    fake_dist(
        "stdset-plugin",
        {"runner.default_hooks": {"standard": "stdset_mod:my_standard"}},
        {"stdset_mod": "def my_standard():\n    return {}\n"},
    )
    done = cli("plugins", path=_site(tmp_path))
    assert done.returncode == 0  # the listing itself is fine
    done = cli("plugins", "--check", path=_site(tmp_path))
    assert done.returncode == 1
    assert "every run that chooses no other set fails" in done.stdout
    assert "a config naming it fails" not in done.stdout
    assert "default_hooks_set='runner-hooks-standard::standard'" in done.stdout
    assert "warning: the active default-hooks set 'standard' (chosen by default)" in done.stdout


def test_a_hook_constructor_error_names_its_key_and_plugin_on_the_command_line(
    fake_dist, tmp_path: Path
) -> None:
    import torch

    from runner_cli.errors import describe
    from runner_core import Runner
    from runner_core.registry import HOOKS

    fake_dist(
        "raising-plugin",
        {"runner.hooks": {"InitBoomHookC": "raising_mod:InitBoomHook"}},
        {
            "raising_mod": "from runner_core import Hook\n"
            "class InitBoomHook(Hook):\n"
            "    def __init__(self):\n"
            "        raise ValueError('InitBoomHook cannot be constructed: bad setup')\n"
        },
        "0.7",
    )
    try:
        with pytest.raises(ValueError) as err:
            Runner(
                model=torch.nn.Linear(2, 2),
                work_dir=str(tmp_path / "wd"),
                custom_hooks=[dict(type="InitBoomHookC")],
            )
    finally:
        HOOKS._loaded.pop("InitBoomHookC", None)
    text = describe(err.value)
    assert text.startswith("unexpected ValueError: InitBoomHook cannot be constructed: bad setup.")
    assert "config key 'custom_hooks[0]'" in text and "raising-plugin 0.7" in text


def test_check_fails_a_plugin_made_for_other_runner_releases(
    cli, fake_dist, tmp_path: Path
) -> None:
    """It imports fine, so nothing else would flag it before a run breaks inside it."""
    info = fake_dist(
        "pinned-plugin",
        {"runner.hooks": {"PinnedHook": "pinned_mod:PinnedHook"}},
        {"pinned_mod": "from runner_core.hooks import Hook\nclass PinnedHook(Hook):\n    pass\n"},
        "1.2",
    )
    with (info / "METADATA").open("a") as meta:
        meta.write("Requires-Dist: runner-core>=0.3,<0.4\nRequires-Dist: torch>=2\n")
    done = cli("plugins", "--check", path=_site(tmp_path))
    assert done.returncode == 1
    (row,) = [line for line in done.stdout.splitlines() if "\tpinned-plugin\t" in line]
    assert row.split("\t")[-1] == "ok"  # it imports; the requirement is what is wrong
    lines = done.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if "1 plugin distribution(s) made for" in line)
    assert lines[at + 1] == (
        "  - pinned-plugin requires runner-core<0.4,>=0.3, but runner-core 0.1.0 is installed"
    )
    done = cli("plugins", "--check", "--json", path=_site(tmp_path))
    assert json.loads(done.stdout)["requirements"] == [lines[at + 1][4:]]
    assert cli("plugins", path=_site(tmp_path)).returncode == 0  # listing only: not read


def test_check_names_a_missing_runner_dependency_and_its_pip_install(
    cli, fake_dist, tmp_path: Path
) -> None:
    """A dependency uninstalled under a plugin is no sign of a plugin for other releases."""
    info = fake_dist(
        "needy-plugin",
        {"runner.hooks": {"NeedyHook": "needy_mod:NeedyHook"}},
        {"needy_mod": "import runner_gone_standard\n"},
    )
    with (info / "METADATA").open("a") as meta:
        meta.write("Requires-Dist: runner-gone-standard[tensorboard]<0.2,>=0.1\n")
    done = cli("plugins", "--check", path=_site(tmp_path))
    assert done.returncode == 1
    wanted = (
        "needy-plugin requires runner-gone-standard[tensorboard]>=0.1,<0.2, which is not "
        'installed: pip install "runner-gone-standard[tensorboard]>=0.1,<0.2"'
    )
    lines = done.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if "require runner packages" in line)
    assert lines[at + 1] == f"  - {wanted}"
    assert "other releases" not in done.stderr
    done = cli("plugins", "--check", "--json", path=_site(tmp_path))
    assert json.loads(done.stdout)["missing"] == [wanted]


@pytest.mark.usefixtures("two_default_sets")
def test_check_says_every_run_fails_with_several_sets_and_none_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from runner_cli.commands.plugins import default_hooks_status

    status = default_hooks_status()
    assert status["active"] is None
    assert (
        "(alpha, beta) and none is chosen, so every run whose config chooses none fails"
        in status["problem"]
    )
    monkeypatch.setenv("RUNNER_DEFAULT_HOOKS", "beta")
    assert default_hooks_status()["problem"] is None
