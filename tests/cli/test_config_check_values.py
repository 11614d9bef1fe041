"""`runner-cli config check` refuses the bad values `runner-cli train` refuses, without training.

The cases are test_bad_values.py's (``CASES`` and ``BATCHED``): each once passed
``config check`` and failed the run. All run in one subprocess (one torch import).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from .conftest import _env, write_config
from .test_bad_values import BATCHED, CASES

#: what config check cannot know without the data or a validation run: (setting, why)
NEEDS_A_RUN = {
    "param_scheduler = dict(type='ReduceOnPlateauLR', monitor='nope/metric')": (
        "the metric names are known after the first validation"
    ),
    "val_evaluator = dict(type='Accuracy', topk=(1, 5))": (
        "the number of classes is known at the first batch"
    ),
}


def _as_cli_option(setting: str) -> bool:
    """test_bad_values' rule: ``key=value`` goes to --cfg-options, the rest into the file."""
    return "=" in setting.split(" ", 1)[0] and " " not in setting.split("=", 1)[0]


ALL = [(setting, words, _as_cli_option(setting)) for setting, words in CASES]
ALL += [(setting, words, False) for setting, words, *_ in BATCHED]

#: runs runner-cli's main() on each case folder in turn; ``ok.py`` is the unchanged config
_BATCH = """
import contextlib, io, json, os, pathlib, sys
from runner_cli.main import main
results = {}
for folder in sorted(pathlib.Path(sys.argv[1]).glob("case*")):
    os.chdir(folder)
    options = json.loads((folder / "options.json").read_text())
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(["config", "check", "c.py", *options])
        except BaseException as exc:
            status = f"raised {type(exc).__name__}: {exc}"
    results[folder.name] = {
        "status": status,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "files": sorted(p.name for p in folder.iterdir()),
    }
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("config_check_values")
    cases = [*ALL, ("", [], False)]  # the last: the tiny config as it is
    for i, (setting, _, option) in enumerate(cases):
        folder = root / f"case{i:03d}"
        folder.mkdir()
        write_config(folder, "c.py", "" if option else setting + "\n")
        options = ["--cfg-options", setting] if option else []
        (folder / "options.json").write_text(json.dumps(options))
    done = subprocess.run(
        [sys.executable, "-c", _BATCH, str(root)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _problem_text(stderr: str) -> str:
    """The problems as ``key rest`` and ``key=rest`` too: config check puts the key first
    (``- optim_wrapper.optimizer.lr: 'abc' is not valid``), the run's words join them."""
    lines = [stderr]
    for line in stderr.splitlines():
        if line.startswith("  - ") and ": " in line:
            key, rest = line[4:].split(": ", 1)
            lines += [f"{key} {rest}", f"{key}={rest}"]
    return "\n".join(lines)


@pytest.mark.parametrize("index", range(len(ALL)), ids=[case[0][:40] for case in ALL])
def test_config_check_refuses_what_train_refuses(checked: dict, index: int) -> None:
    setting, words, _ = ALL[index]
    result = checked[f"case{index:03d}"]
    if setting in NEEDS_A_RUN:
        assert result["status"] == 0, (setting, result["stderr"][-2000:])
        pytest.skip(f"needs a run: {NEEDS_A_RUN[setting]}")
    assert result["status"] == 2, (setting, result["status"], result["stdout"][-2000:])
    assert "Traceback" not in result["stderr"]
    text = _problem_text(result["stderr"])
    for word in words:
        assert word in text, (word, result["stderr"])
    assert result["files"] == ["c.py", "options.json"], result["files"]  # nothing written


def test_config_check_of_the_good_config_says_what_it_did_not_check(checked: dict) -> None:
    result = checked[f"case{len(ALL):03d}"]
    assert result["status"] == 0, result["stderr"][-2000:]
    head, *rest = result["stdout"].splitlines()
    # the log processor, the logger hook, two evaluators, the optim wrapper
    built = re.search(r"typed parts checked, (\d+) built to check their values\)\.$", head)
    assert built and int(built.group(1)) >= 5, head
    assert rest[0] == "Not checked (a run checks these when it starts):"
    assert "InfiniteSampler" in result["stdout"] and "topk" in result["stdout"]
    assert "max_epochs" not in result["stdout"]  # train_cfg's numbers are checked
    assert result["files"] == ["c.py", "options.json"]  # no work dir, no log
