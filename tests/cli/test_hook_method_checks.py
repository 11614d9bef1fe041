"""config check and plugins --check find hook methods no hook point calls as written
(they said OK, and the run stopped at its start), and plugin names hiding torch classes."""

from __future__ import annotations

import json
from pathlib import Path

SIG_MOD = """
import torch
from runner_core.hooks import Hook
from runner_core.loop import BaseLoop

class TypoHook(Hook):
    def afer_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        pass

class StarHook(Hook):  # *args: batch_idx and the rest go nowhere
    def after_train_iter(self, runner, *args):
        pass

class KwargsHook(Hook):  # **kwargs gets them by keyword, as in MMEngine: fine
    def after_train_iter(self, runner, **kwargs):
        pass

class SubsetHook(Hook):  # a subset of the arguments, by name: fine
    def after_train_iter(self, runner):
        pass

class QaHook(Hook):  # implements the point its plugin's loop declares
    def after_qa_val(self, runner, n_batches):
        pass

class QaLoop(BaseLoop):
    hook_points = {"after_qa_val": ("runner", "n_batches")}

    def run(self):
        pass

class Linear(torch.nn.Linear):
    pass
"""

ENTRY_POINTS = {
    "runner.hooks": {
        "TypoHook": "sig_mod:TypoHook",
        "StarHook": "sig_mod:StarHook",
        "KwargsHook": "sig_mod:KwargsHook",
        "SubsetHook": "sig_mod:SubsetHook",
        "QaHook": "sig_mod:QaHook",
    },
    "runner.loops": {"QaLoop": "sig_mod:QaLoop"},
    "runner.models": {"Linear": "sig_mod:Linear"},
}


def _site(tmp_path: Path) -> list[str]:
    return [str(tmp_path / "site")]


def test_plugins_check_names_the_plugins_bad_hooks_and_warns_of_hidden_torch_names(
    cli, fake_dist, tmp_path: Path
) -> None:
    fake_dist("sig-plugin", ENTRY_POINTS, {"sig_mod": SIG_MOD}, "0.2")
    done = cli("plugins", "--check", path=_site(tmp_path))
    assert done.returncode == 1
    rows = {
        line.split("\t")[1]: line.split("\t")[-1]
        for line in done.stdout.splitlines()
        if "\tsig-plugin\t" in line
    }
    assert rows == {
        "TypoHook": "FAILED",
        "StarHook": "FAILED",
        "KwargsHook": "ok",
        "SubsetHook": "ok",
        "QaHook": "ok",  # 'after_qa_val' is QaLoop's point, no misspelled 'after_val'
        "QaLoop": "ok",
        "Linear": "ok",
    }
    assert (
        "The plugin entry point 'TypoHook' in group 'runner.hooks' of sig-plugin 0.2 (target "
        "'sig_mod:TypoHook') loads, but every run using it would stop when it starts: "
        "TypoHook.afer_train_iter matches no hook point: did you mean 'after_train_iter'?"
    ) in done.stderr
    assert "entry point 'StarHook' in group 'runner.hooks' of sig-plugin 0.2" in done.stderr
    assert "StarHook.after_train_iter takes *args, which receives nothing" in done.stderr
    assert "`pip uninstall sig-plugin`" in done.stderr
    warning = (
        "warning: 'Linear' is the entry point 'Linear' in group 'runner.models' of sig-plugin "
        "0.2 (target 'sig_mod:Linear'), which hides torch.nn.Linear"
    )
    assert warning in done.stdout
    assert "write type='torch.nn.Linear'" in done.stdout

    data = json.loads(cli("plugins", "--check", "--json", path=_site(tmp_path)).stdout)
    assert [s.split(",")[0] for s in data["shadows"]] == [
        "'Linear' is the entry point 'Linear' in group 'runner.models' of sig-plugin 0.2 (target "
        "'sig_mod:Linear')"
    ]
    assert "shadows" not in json.loads(cli("plugins", "--json", path=_site(tmp_path)).stdout)


LOCAL_HOOKS = """
from runner_core.hooks import Hook
from runner_core.registry import HOOKS

@HOOKS.register_module()
class ExtraArgHook(Hook):
    def after_train_iter(self, runner, batch_idx, data_batch, outputs, extra):
        pass
"""


def test_config_check_reports_bad_hook_methods_at_their_keys(
    cli, fake_dist, tmp_path: Path
) -> None:
    fake_dist("sig-plugin", ENTRY_POINTS, {"sig_mod": SIG_MOD, "local_hooks": LOCAL_HOOKS})
    (tmp_path / "c.py").write_text(
        "custom_imports = dict(imports=['local_hooks'])\n"
        "model = dict(type='Linear', in_features=2, out_features=2)\n"
        "custom_hooks = [dict(type='SubsetHook'), dict(type='TypoHook'), "
        "dict(type='ExtraArgHook')]\n"
        "default_hooks = dict(logger=dict(type='StarHook'), timer=dict(type='KwargsHook'))\n"
    )
    done = cli("config", "check", "c.py", path=_site(tmp_path))
    assert done.returncode == 2
    problems = [line for line in done.stderr.splitlines() if line.startswith("  - ")]
    assert len(problems) == 3
    assert problems[0].startswith(
        "  - default_hooks.logger: StarHook.after_train_iter takes *args, which receives nothing"
    )
    assert "StarHook comes from the entry point 'StarHook' in group 'runner.hooks'" in (problems[0])
    assert problems[1].startswith(
        "  - custom_hooks[1]: TypoHook.afer_train_iter matches no hook point: did you mean "
        "'after_train_iter'?"
    )
    assert problems[2].startswith(
        "  - custom_hooks[2]: ExtraArgHook.after_train_iter takes 'extra', which the hook point "
        "'after_train_iter' does not pass."
    )
    assert "pip uninstall" not in problems[2]  # registered by the config's own import
    assert "warning: model.type: 'Linear' is the entry point 'Linear'" in done.stderr

    (tmp_path / "qa.py").write_text(
        "model = dict(type='torch.nn.Linear', in_features=2, out_features=2)\n"
        "custom_hooks = [dict(type='QaHook')]\n"
        "train_cfg = dict(type='QaLoop')\n"
    )
    done = cli("config", "check", "qa.py", path=_site(tmp_path))
    assert "custom_hooks" not in done.stderr and "warning" not in done.stderr
