from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runner_cli.main import main


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_dump_json_is_one_object_with_overrides(tmp_path: Path, capsys) -> None:
    _write(tmp_path / "base.py", "model = dict(depth=50, out=(3,))\n")
    cfg = _write(tmp_path / "c.py", "_base_ = 'base.py'\nlr = 0.1\n")
    status = main(
        [
            "config",
            "dump",
            str(cfg),
            "--format",
            "json",
            "--cfg-options",
            "model.depth=101",
            "lr=1e-3",
        ]
    )
    assert status == 0
    assert json.loads(capsys.readouterr().out) == {"model": {"depth": 101, "out": [3]}, "lr": 0.001}


def test_repeated_cfg_options_add_up(tmp_path: Path, capsys) -> None:
    # as MMEngine's DictAction: `--cfg-options a=1 --cfg-options b=2` sets both
    cfg = _write(tmp_path / "c.py", "a = 0\nb = 0\n")
    options = ["--cfg-options", "a=1", "--cfg-options", "b=2"]
    assert main(["config", "dump", str(cfg), "--format", "json", *options]) == 0
    assert json.loads(capsys.readouterr().out) == {"a": 1, "b": 2}


@pytest.mark.parametrize("fmt", ["py", "yaml"])
def test_dump_py_and_yaml(tmp_path: Path, capsys, fmt: str) -> None:
    cfg = _write(tmp_path / "c.json", '{"a": {"b": [1, 2]}}')
    assert main(["config", "dump", str(cfg), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert ("a = dict(b=[1, 2])" in out) if fmt == "py" else ("- 1" in out)


def test_config_errors_exit_2_with_one_paragraph(tmp_path: Path, capsys) -> None:
    bad = _write(tmp_path / "bad.py", "a = (\n")
    assert main(["config", "dump", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.py:1" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["config", "dump", str(bad), "--cfg-options", "novalue"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_debug_shows_traceback(tmp_path: Path, capsys) -> None:
    bad = _write(tmp_path / "bad.py", "a = undefined\n")
    assert main(["--debug", "config", "dump", str(bad)]) == 2  # the status without --debug
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "ConfigNameError" in err


def test_usage_error_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["config", "dump"])
    assert info.value.code == 2


def test_help_does_not_import_torch() -> None:
    code = (
        "import sys\nfrom runner_cli.main import main\n"
        "try:\n    main(['config', 'dump', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules, 'runner_core.config' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "False False"


@pytest.fixture
def tiny_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI tests' tiny config as ./tiny.py, its task importable: main() runs it in-process."""
    from .conftest import HERE, TINY_CONFIG

    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.py").write_text(TINY_CONFIG)
    return tmp_path


def test_custom_hooks_option_agrees_between_config_check_and_train(tiny_here: Path, capsys) -> None:
    """--cfg-options custom_hooks=[dict(type=...)]: a dict for both commands, not a string."""
    from .conftest import TINY_CONFIG

    tmp_path = tiny_here
    option = ["--cfg-options", 'custom_hooks=[dict(type="EMAHook", momentum=0.01)]']
    assert main(["config", "check", "tiny.py", *option]) == 0
    assert main(["train", "tiny.py", "--work-dir", "wd", *option, "train_cfg.max_epochs=1"]) == 0
    assert "EMAHook" in next((tmp_path / "wd").glob("*/config.py")).read_text()
    # a typo is caught by both, the same way
    typo = ["--cfg-options", "custom_hooks=[dict(type=EMAHok)]"]
    assert main(["config", "check", "tiny.py", *typo]) == 2
    assert "Did you mean 'EMAHook'" in capsys.readouterr().err
    assert main(["train", "tiny.py", "--work-dir", "wd2", *typo]) == 2
    assert "Did you mean 'EMAHook'" in capsys.readouterr().err
    # a string where a hook config belongs is reported by config check too
    (tmp_path / "str.py").write_text(TINY_CONFIG + "custom_hooks = ['EMAHook']\n")
    assert main(["config", "check", "str.py"]) == 2
    assert "custom_hooks[0]: is the string 'EMAHook', not a hook config" in capsys.readouterr().err


def test_checkpoint_hook_argument_typo_is_caught_by_config_check(tiny_here: Path, capsys) -> None:
    """An option config check accepts is one train accepts: a misspelled hook argument too."""
    typo = ["--cfg-options", "default_hooks.checkpoint.intervall=2"]
    assert main(["config", "check", "tiny.py", *typo]) == 2
    err = capsys.readouterr().err
    assert "'default_hooks.checkpoint.intervall'" in err and "Did you mean 'interval'?" in err


def test_a_pure_python_config_importing_a_missing_package_is_a_reported_problem(
    tmp_path: Path, capsys
) -> None:
    (tmp_path / "lazy.py").write_text(
        textwrap.dedent(
            """
            from torch.optim import SGD
            from not_installed_pkg import Thing

            model = dict(type=Thing)
            optim_wrapper = dict(optimizer=dict(type=SGD, lr=0.1))
            """
        )
    )
    assert main(["config", "check", str(tmp_path / "lazy.py")]) == 2
    err = capsys.readouterr().err
    assert "model.type: 'not_installed_pkg.Thing'" in err and "Traceback" not in err


def test_config_check_refuses_the_numbers_train_refuses(tiny_here: Path, capsys) -> None:
    bad = [
        "--cfg-options",
        "optim_wrapper.optimizer.lr=abc",
        "train_dataloader.num_workers=1.5",
        "randomness.seed=abc",
    ]
    assert main(["config", "check", "tiny.py", *bad]) == 2
    err = capsys.readouterr().err
    assert "optim_wrapper.optimizer.lr: 'abc' is not valid" in err
    assert "train_dataloader.num_workers: 1.5 is not valid" in err
    assert "randomness.seed: 'abc' is not valid" in err


def test_config_check_refuses_a_dist_cfg_key_a_distributed_run_refuses(
    tiny_here: Path, capsys
) -> None:
    """Only a distributed run reads dist_cfg: the check says it before the job is queued."""
    typo = ["--cfg-options", "env_cfg.dist_cfg.timout=60"]
    assert main(["config", "check", "tiny.py", *typo]) == 2
    err = capsys.readouterr().err
    assert "env_cfg.dist_cfg" in err and "['timout']" in err and "Did you mean 'timeout'?" in err
    fine = ["--cfg-options", "env_cfg.dist_cfg.timeout=60", "env_cfg.dist_cfg.port=29555"]
    assert main(["config", "check", "tiny.py", *fine]) == 0


def _uninstall_group(monkeypatch: pytest.MonkeyPatch, group: str, registry: object) -> None:
    """Hide every installed entry point of ``group``, as if its distributions were removed."""
    from runner_core.registry import discovery

    entries = discovery.all_entries
    monkeypatch.setattr(
        discovery, "all_entries", lambda: {g: e for g, e in entries().items() if g != group}
    )
    monkeypatch.setattr(registry, "_loaded", {})
    monkeypatch.setattr(registry, "_local", {})


def test_config_check_says_no_default_hooks_set_is_installed(
    tiny_here: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Without runner-hooks-standard, config check said OK and the run had no default hooks."""
    from runner_core.registry import DEFAULT_HOOK_SETS

    from .conftest import TINY_CONFIG

    _uninstall_group(monkeypatch, "runner.default_hooks", DEFAULT_HOOK_SETS)
    (tiny_here / "bare.py").write_text(TINY_CONFIG.replace("default_hooks = ", "_unused = "))
    assert main(["config", "check", "bare.py"]) == 0
    err = capsys.readouterr().err
    assert "runner-cli: warning: default_hooks_set: No default-hooks set is installed" in err
    assert "`pip install runner-hooks-standard`" in err
    # tiny.py updates the logger role: there is no default logger to update
    assert main(["config", "check", "tiny.py"]) == 2
    err = capsys.readouterr().err
    assert "default_hooks.logger" in err and "no default-hooks set is installed" in err


def test_config_check_warns_when_no_hook_steps_the_schedulers(tiny_here: Path, capsys) -> None:
    from .conftest import TINY_CONFIG

    schedule = TINY_CONFIG + "param_scheduler = dict(type='MultiStepLR', milestones=[1])\n"
    off = schedule + "default_hooks = dict(param_scheduler=None)\n"
    (tiny_here / "off.py").write_text(off)
    assert main(["config", "check", "off.py"]) == 0
    err = capsys.readouterr().err
    assert "warning: param_scheduler: param_scheduler is set, but no hook steps it" in err
    (tiny_here / "on.py").write_text(off + "custom_hooks = [dict(type='ParamSchedulerHook')]\n")
    (tiny_here / "default.py").write_text(schedule)
    for name in ("on.py", "default.py"):
        assert main(["config", "check", name]) == 0
        assert "no hook steps it" not in capsys.readouterr().err


def test_config_check_names_the_package_of_the_missing_standard_loops(
    tiny_here: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from runner_core.registry import LOOPS

    _uninstall_group(monkeypatch, "runner.loops", LOOPS)
    assert main(["config", "check", "tiny.py"]) == 2
    err = capsys.readouterr().err
    assert "train_cfg: train_cfg names no type, so the Runner runs the standard loop" in err
    assert "`pip install runner-loops-standard`" in err
    assert "val_cfg: val_cfg names no type" in err and "train_cfg.type" not in err


def test_config_check_reads_one_optimizer_per_part_as_train_builds_it(
    tiny_here: Path, capsys
) -> None:
    """type='OptimWrapperDict' with per-part configs, mmagic's constructor, MMEngine's names."""
    from .conftest import TINY_CONFIG

    parts = "fc=dict(optimizer=dict(type='TorchAdafactor', lr=0.01))"
    for head in ("type='OptimWrapperDict', ", "constructor='MultiOptimWrapperConstructor', "):
        (tiny_here / "parts.py").write_text(TINY_CONFIG + f"optim_wrapper = dict({head}{parts})\n")
        assert main(["config", "check", "parts.py"]) == 0, capsys.readouterr().err
    # a typo inside a part is named by its part
    (tiny_here / "typo.py").write_text(
        TINY_CONFIG + "optim_wrapper = dict(type='OptimWrapperDict', "
        "fc=dict(optimizer=dict(type='SGDD', lr=0.1)))\n"
    )
    assert main(["config", "check", "typo.py"]) == 2
    err = capsys.readouterr().err
    assert "optim_wrapper.fc.optimizer" in err and "SGD" in err
    # a paramwise_cfg beside the parts belongs inside each part
    (tiny_here / "beside.py").write_text(
        TINY_CONFIG + "optim_wrapper = dict(type='OptimWrapperDict', paramwise_cfg=dict(), "
        "fc=dict(optimizer=dict(type='SGD', lr=0.1)))\n"
    )
    assert main(["config", "check", "beside.py"]) == 2
    assert "give each part its own" in capsys.readouterr().err


def test_config_check_names_a_vis_backend_whose_library_is_missing(
    tiny_here: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """train would stop at once building the backend; config check says so first."""
    import importlib.util

    from .conftest import TINY_CONFIG

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name in ("tensorboard", "neptune") else find_spec(name, *args),
    )
    for backend, extra in (
        ("TensorBoardVisBackend", "runner-hooks-standard[tensorboard]"),
        ("NeptuneVisBackend", "runner-trackers[neptune]"),
    ):
        visualizer = f"visualizer = dict(type='Visualizer', vis_backends=[dict(type='{backend}')])"
        (tiny_here / "vis.py").write_text(TINY_CONFIG + visualizer + "\n")
        assert main(["config", "check", "vis.py"]) == 2
        err = capsys.readouterr().err
        assert "visualizer.vis_backends[0]" in err and extra in err, err


def test_dump_reads_path_options_as_train_does(tmp_path: Path, capsys) -> None:
    """`config dump` showed work_dir=runs/my run,x as ['runs/myrun', 'x'], which train,
    val, test and config check keep as the folder typed."""
    cfg = _write(tmp_path / "c.py", "a = 0\n")
    options = ["--cfg-options", "work_dir=runs/my run,x", "a=1,2"]
    assert main(["config", "dump", str(cfg), "--format", "json", *options]) == 0
    assert json.loads(capsys.readouterr().out) == {"a": [1, 2], "work_dir": "runs/my run,x"}


def test_dump_json_warns_what_does_not_load_back(tmp_path: Path, capsys) -> None:
    """The JSON dump skipped `Config.dump`'s warnings (number keys become strings)
    and its indentation."""
    cfg = _write(tmp_path / "c.py", "ids = {86: 87}\n")
    with pytest.warns(UserWarning, match="number .* keys of ids into strings"):
        assert main(["config", "dump", str(cfg), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["ids"] == {"86": 87} and out.startswith("{\n")


@pytest.mark.parametrize("fmt", ["py", "json", "yaml"])
def test_dump_is_utf8_whatever_the_terminals_encoding(tmp_path: Path, fmt: str) -> None:
    """A config file is UTF-8; with an ASCII stdout the dump failed (UnicodeEncodeError)."""
    config = tmp_path / "c.py"
    config.write_text("experiment_name = 'café 実験'\nmodel = dict(type='M')\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "runner_cli", "config", "dump", str(config), "--format", fmt],
        env={**os.environ, "PYTHONIOENCODING": "ascii", "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "café 実験" in done.stdout.decode("utf-8")


def test_config_check_reads_names_in_the_configs_default_scope(
    tiny_here: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A library declaring child registries (MMEngine style) and default_scope='<lib>': the
    check looked names up in the root only ("'LibHook' is not in the hook registry") while
    `train` found them."""
    import sys

    from .conftest import TINY_CONFIG

    lib = tiny_here / "t_scope_lib"
    lib.mkdir()
    (lib / "__init__.py").write_text("")
    (lib / "registry.py").write_text(
        "from runner_core.hooks import Hook\n"
        "from runner_core.registry import HOOKS as ROOT, Registry\n"
        "HOOKS = Registry('hook', parent=ROOT, scope='t_scope_lib')\n"
        "@HOOKS.register_module()\n"
        "class LibHook(Hook):\n"
        "    def __init__(self, every: int = 1):\n"
        "        self.every = every\n"
    )
    monkeypatch.syspath_prepend(str(tiny_here))
    monkeypatch.delitem(sys.modules, "t_scope_lib", raising=False)
    config = "default_scope = 't_scope_lib'\ncustom_hooks = [dict(type='LibHook', every=2)]\n"
    (tiny_here / "scoped.py").write_text(TINY_CONFIG + config)
    try:
        assert main(["config", "check", "scoped.py"]) == 0, capsys.readouterr().err
        (tiny_here / "typo.py").write_text(TINY_CONFIG + config.replace("every=", "evry="))
        assert main(["config", "check", "typo.py"]) == 2  # checked against LibHook's arguments
        assert "Did you mean 'every'" in capsys.readouterr().err
        # a scope whose registry module needs a missing package: a warning, as in a run
        (lib / "registry.py").write_text("import t_not_installed_dep\n")
        for name in [m for m in sys.modules if m.startswith("t_scope_lib")]:
            del sys.modules[name]
        from runner_core.registry import scope as scopes

        scopes._imported.discard("t_scope_lib")
        (tiny_here / "plain.py").write_text(TINY_CONFIG + "default_scope = 't_scope_lib'\n")
        assert main(["config", "check", "plain.py"]) == 0
        assert "could not import t_scope_lib.registry" in capsys.readouterr().err
    finally:
        for name in [m for m in sys.modules if m.startswith("t_scope_lib")]:
            del sys.modules[name]
        from runner_core.registry import HOOKS

        HOOKS.children.pop("t_scope_lib", None)
