"""Every bad input ends with one paragraph on stderr naming what is wrong and what to do,
exit status 2 (command line / config) or 1 (failure while running), no traceback
unless --debug, and nothing already written damaged. Each case runs the real command."""

from __future__ import annotations

import hashlib
import re
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch


def _one_paragraph_error(done, status: int, *needles: str) -> str:
    assert done.returncode == status, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("runner-cli: error:")]
    assert len(errors) == 1, done.stderr[-2000:]
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


# -- config files ------------------------------------------------------------------------
def test_config_file_missing(cli) -> None:
    done = cli("train", "nope.py")
    _one_paragraph_error(done, 2, "nope.py", "does not exist")


def test_config_syntax_error_names_file_and_line(cli, tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("model = dict(type='TinyNet')\nlr = (0.1\n")
    done = cli("train", "bad.py")
    _one_paragraph_error(done, 2, "bad.py:2", "syntax error")


def test_yaml_python_object_tag_is_refused(cli, tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text("model: !!python/object/apply:os.system ['echo hi']\n")
    done = cli("train", "evil.yaml")
    _one_paragraph_error(done, 2, "evil.yaml", "refused")
    assert "hi" not in done.stdout


def test_cfg_options_syntax(cli, tiny_config) -> None:
    tiny_config()
    done = cli("train", "tiny.py", "--cfg-options", "train_cfg.max_epochs")
    _one_paragraph_error(done, 2, "KEY=VALUE", "train_cfg.max_epochs")
    # dict(...) is read as a Python literal now; an unbalanced one is a syntax error
    done = cli(
        "train", "tiny.py", "--cfg-options", "param_scheduler=[dict(type='StepLR',step_size=1]"
    )
    _one_paragraph_error(done, 2, "--cfg-options value", "cannot be")


def test_top_level_typo_did_you_mean(cli, tmp_path: Path, tiny_config) -> None:
    path = tiny_config()
    path.write_text(path.read_text().replace("train_dataloader =", "train_dataloder ="))
    done = cli("train", "tiny.py")
    _one_paragraph_error(
        done, 2, "'train_dataloder'", "tiny.py", "Did you mean 'train_dataloader'?"
    )


# -- registry and build errors, through train -------------------------------------------------
@pytest.mark.parametrize(
    ("options", "needles"),
    [
        (["model.type=TinyNte"], ["'TinyNte'", "model.type", "Did you mean 'TinyNet'?"]),
        (
            ["train_dataloader.dataset.sise=3"],
            ["TinyDataset", "'sise'", "train_dataloader.dataset", "Did you mean 'size'?"],
        ),
        (
            ["val_dataloader=None", "val_evaluator=None", "val_cfg.interval=1"],
            ["val_cfg is set but val_dataloader is not"],
        ),
        (["train_dataloader.batch_size=0"], ["train_dataloader.batch_size", "positive", "0"]),
        (["train_dataloader.batch_size=-4"], ["train_dataloader.batch_size", "-4"]),
        (["train_dataloader.dataset.size=0"], ["train_dataloader.dataset", "empty", "0 samples"]),
        (["train_cfg=None"], ["no train_cfg", "train_cfg=dict("]),
        (
            ["env_cfg.mp_cfg.opencv_num_thread=0"],
            ["env_cfg.mp_cfg", "'opencv_num_thread'", "Did you mean one of 'opencv_num_threads'"],
        ),
    ],
    ids=[
        "unknown-type",
        "wrong-kwarg",
        "val-cfg-without-loader",
        "batch0",
        "batch-neg",
        "empty",
        "no-train-cfg",
        "mp-cfg-typo",
    ],
)
def test_config_mistakes_in_train(cli, tiny_config, options: list[str], needles: list[str]) -> None:
    tiny_config()
    done = cli("train", "tiny.py", "--work-dir", "wd", "--cfg-options", *options)
    _one_paragraph_error(done, 2, *needles)


def test_a_model_that_cannot_train_gets_its_hint_and_the_batch_as_logged(cli, tiny_config) -> None:
    """The Python API's hint (how forward must take the batch) used to be dropped."""
    tiny_config()
    done = cli(
        "train", "tiny.py", "--work-dir", "wd", "--cfg-options", "model.type=TinyPlainForward"
    )
    line = _one_paragraph_error(done, 1, "unexpected TypeError", "got an unexpected keyword")
    assert "Raised in train_step at iteration 1 (epoch 1, batch 1)." in line
    assert "Hint: BaseModel.train_step calls forward(**data, mode='loss')" in line
    # the run's log file has the traceback already: the message names it
    logged = re.search(r"\(the traceback is in (/\S+\.log); or run again with --debug\)$", line)
    assert logged is not None, line
    assert "Traceback (most recent call last)" in Path(logged[1]).read_text()
    # a loss that is no tensor is said as runner's own error (as a loss without a 'loss'
    # key is), not as an 'unexpected TypeError'
    done = cli("train", "tiny.py", "--work-dir", "wd2", "--cfg-options", "model.type=TinyFloatLoss")
    line = _one_paragraph_error(done, 1, "returned loss=0.5: loss is not a tensor")
    assert "unexpected" not in line


def test_warnings_are_one_line_without_the_runners_own_source(cli, tiny_config) -> None:
    """Python's format printed runner.py:392 and its source line under the message."""
    tiny_config("train_cfg = dict(by_epoch=True, max_epoch=1)\n")
    done = cli("train", "tiny.py", "--work-dir", "wd")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if "max_epoch" in line]
    assert lines == ["runner-cli: warning: train_cfg key 'max_epoch' is read as 'max_epochs'."]
    assert "runner.py" not in done.stderr and "UserWarning" not in done.stderr


def test_another_packages_warning_keeps_its_kind_and_place() -> None:
    import io

    from runner_cli.errors import show_warning

    out = io.StringIO()
    show_warning(FutureWarning("x is\n  deprecated"), FutureWarning, "/site/torch/a.py", 7, out)
    show_warning(UserWarning("ours"), UserWarning, "/site/runner_core/runner/b.py", 9, out)
    assert out.getvalue().splitlines() == [
        "runner-cli: warning: FutureWarning: x is deprecated (/site/torch/a.py:7)",
        "runner-cli: warning: ours",
    ]


def test_debug_shows_the_traceback(cli, tiny_config) -> None:
    tiny_config()
    done = cli("train", "tiny.py", "--cfg-options", "model.type=TinyNte", "--debug")
    assert "Traceback" in done.stderr and "RegistryError" in done.stderr
    assert done.returncode == 2  # the same exit status as without --debug


def test_config_check_reports_every_problem_at_once(cli, tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(
        "custom_imports = dict(imports=['tiny_task'])\n"
        "model = dict(type='TinyNte')\n"
        "train_dataloader = dict(dataset=dict(type='TinyDataset', sise=3), batch_size=0, shufle=True)\n"
        "train_cfg = dict(by_epoch=True, max_epochs=2)\n"
        "optim_wrapper = dict(optimizer=dict(type='SDG', lr=0.1))\n"
        "param_scheduler = [dict(type='MultiStepLR', milestone=[1])]\n"
        "val_cfg = dict(interval=1)\n"
        "test_dataloader = dict(dataset=dict(type='TinyDataset'), batch_size=4)\n"
        "default_hooks = dict(logger=dict(intervall=3))\n"
        "custom_hooks = [dict(type='EMAHok')]\n"
        "visualizer = dict(vis_backends=[dict(type='LocalVisBakend')])\n"
        "test_evaluatr = dict(type='Accuracy')\n"
    )
    done = cli("config", "check", "bad.py")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    err = done.stderr
    expected = [
        "model.type: 'TinyNte'",
        "Did you mean 'TinyNet'?",
        "train_dataloader.dataset: tiny_task.TinyDataset got an unexpected argument 'sise'",
        "train_dataloader.batch_size: must be a positive integer, got 0",
        "train_dataloader.shufle: is not a dataloader option. Did you mean 'shuffle'?",
        "optim_wrapper.optimizer.type: 'SDG'",
        "Did you mean 'SGD'?",
        "param_scheduler[0]:",
        "'milestone'",
        "val_cfg: val_cfg is set but val_dataloader is not",
        "default_hooks.logger:",
        "'intervall'",
        "custom_hooks[0].type: 'EMAHok'",
        "visualizer.vis_backends[0].type: 'LocalVisBakend'",
        "test_evaluatr: Top-level config key 'test_evaluatr' in",
        "Did you mean 'test_evaluator'?",
    ]
    for needle in expected:
        assert needle in err, (needle, err)
    # the missing test_evaluator is the typo's doing: said once, with the typo
    assert "but test_evaluator is not" not in err
    assert "has 11 problem(s)" in err


def test_config_check_for_a_command_needs_its_parts(cli, tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "custom_imports = dict(imports=['tiny_task'])\nmodel = dict(type='TinyNet')\n"
    )
    assert cli("config", "check", "m.py").returncode == 0
    done = cli("config", "check", "m.py", "--for", "test")
    assert done.returncode == 2
    assert "no test_dataloader and no test_evaluator" in done.stderr


def test_config_check_knows_mmengines_debugging_loader_keys(cli, tmp_path: Path) -> None:
    head = (
        "custom_imports = dict(imports=['tiny_task'])\nmodel = dict(type='TinyNet')\n"
        "test_evaluator = dict(type='Accuracy')\n"
    )
    loader = "dict(dataset=dict(type='TinyDataset'), batch_size=2, disable_subprocess_warning=True"
    (tmp_path / "ok.py").write_text(f"{head}test_dataloader = {loader}, num_batch_per_epoch=2)\n")
    done = cli("config", "check", "ok.py")
    assert done.returncode == 0, done.stderr
    (tmp_path / "bad.py").write_text(f"{head}test_dataloader = {loader}, num_batch_per_epoch=0)\n")
    done = cli("config", "check", "bad.py")
    assert done.returncode == 2
    assert "test_dataloader.num_batch_per_epoch: 0 is not valid" in done.stderr


# -- checkpoints ---------------------------------------------------------------------------
def test_checkpoint_url_is_refused_as_a_url_not_a_missing_file(cli, tiny_config) -> None:
    tiny_config()
    url = "https://download.openmmlab.com/x/y.pth"
    done = cli("test", "tiny.py", url)
    _one_paragraph_error(done, 2, f"The checkpoint {url!r} is a URL", "never downloads")
    done = cli("train", "tiny.py", "--resume", "torchvision://resnet50")
    _one_paragraph_error(done, 2, "--resume 'torchvision://resnet50' is a URL", "never downloads")


@pytest.mark.parametrize("url", ["https://h/x.pth", "open-mmlab://resnet50_v1c"])
def test_require_file_names_a_url_unmangled(url: str) -> None:
    from runner_cli.errors import UsageError
    from runner_cli.run_setup import require_file

    with pytest.raises(UsageError, match="is a URL") as caught:
        require_file(url, "checkpoint")
    assert repr(url) in str(caught.value) and "does not exist" not in str(caught.value)
    with pytest.raises(UsageError, match="is a URL.*local files only"):
        require_file(url, "config file")


def test_checkpoint_missing_truncated_or_of_another_model(
    cli, trained: Path, tmp_path: Path
) -> None:
    shutil.copy(trained / "tiny.py", tmp_path / "tiny.py")
    done = cli("test", "tiny.py", "missing.pth")
    _one_paragraph_error(done, 2, "'missing.pth'", "does not exist")

    # a file that is no checkpoint at all: the path given is wrong, as a missing one is
    (tmp_path / "notes.pth").write_text("lr = 0.1\n")
    done = cli("test", "tiny.py", "notes.pth")
    _one_paragraph_error(done, 2, "'notes.pth' is not a torch checkpoint", "a text file")

    data = (trained / "wd" / "epoch_1.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    done = cli("test", "tiny.py", "cut.pth")
    _one_paragraph_error(done, 1, "cut.pth")

    torch.save({"state_dict": {"backbone.conv.weight": torch.zeros(3, 3)}}, tmp_path / "other.pth")
    done = cli("test", "tiny.py", "other.pth")
    _one_paragraph_error(done, 1, "other.pth", "TinyNet")

    torch.save(
        {"state_dict": {"fc.weight": torch.zeros(2, 8), "fc.bias": torch.zeros(2)}},
        tmp_path / "wide.pth",
    )
    done = cli("val", "tiny.py", "wide.pth")
    _one_paragraph_error(done, 1, "wide.pth", "fc.weight", "strict=False")

    done = cli("train", "tiny.py", "--resume", "gone.pth")
    _one_paragraph_error(done, 2, "--resume", "'gone.pth'")


def test_only_a_file_that_is_no_checkpoint_is_an_input_error() -> None:
    """A checkpoint whose records cannot be unpickled failed while running (1); a file that
    is no checkpoint (here: a plain pickle) means the path given is wrong (2)."""
    import pickle

    from runner_cli.errors import exit_status_for
    from runner_core.checkpoint.errors import CheckpointUnpicklingError
    from runner_core.checkpoint.integrity import sniff_head

    with pytest.raises(CheckpointUnpicklingError) as none:
        sniff_head(pickle.dumps({"a": 1}), "plain.pkl")
    assert exit_status_for(none.value) == 2
    try:
        raise CheckpointUnpicklingError("records do not load") from pickle.UnpicklingError("x")
    except CheckpointUnpicklingError as exc:
        assert exit_status_for(exc) == 1
    try:  # raised without a cause: still a failure, not the input's (review)
        raise CheckpointUnpicklingError("records do not load")
    except CheckpointUnpicklingError as exc:
        assert exit_status_for(exc) == 1
    # the first bytes of a checkpoint, cut short: a failed save, not "another format"
    legacy = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    for head in (b"PK\x03", legacy[:1], legacy[:10]):
        with pytest.raises(EOFError, match="the start of a torch.save file cut short") as cut:
            sniff_head(head, "epoch_1.pth")
        assert exit_status_for(cut.value) == 1


# -- failures while running ------------------------------------------------------------------
def test_nan_loss_stops_and_keeps_checkpoints(cli, trained: Path, tmp_path: Path) -> None:
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    before = _digests(tmp_path / "wd")
    done = cli(
        "train",
        "tiny.py",
        "--work-dir",
        "wd",
        "--cfg-options",
        "train_dataloader.dataset.poison=True",
    )
    # this run (no resume) saved none before the NaN: the newest is the earlier run's
    _one_paragraph_error(done, 1, "not finite", "iteration 1", "is an earlier run's")
    assert _digests(tmp_path / "wd") == before


def test_work_dir_not_writable(cli, tiny_config, tmp_path: Path) -> None:
    tiny_config()
    (tmp_path / "a_file").write_text("not a folder")
    done = cli("train", "tiny.py", "--work-dir", "a_file/wd")
    _one_paragraph_error(done, 1, "a_file/wd", "not writable", "--work-dir")


def test_full_disk_keeps_the_older_checkpoints(cli, trained: Path, tmp_path: Path) -> None:
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    before = _digests(tmp_path / "wd")

    def small_files() -> None:  # every file write past 12 KB fails as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (12_000, 12_000))

    done = cli(
        "train",
        "tiny.py",
        "--work-dir",
        "wd",
        "--resume",
        "--cfg-options",
        "train_cfg.max_epochs=3",
        preexec_fn=small_files,
    )
    _one_paragraph_error(done, 1, "epoch_3.pth", "free disk space")
    assert _digests(tmp_path / "wd") == before  # no new file, no damaged one, pointer kept


def test_ctrl_c_stops_cleanly_and_names_the_last_checkpoint(
    popen_cli, tiny_config, tmp_path: Path
) -> None:
    tiny_config()
    proc = popen_cli(
        "train", "tiny.py", "--work-dir", "wd", "--cfg-options", "train_cfg.max_epochs=100000"
    )
    pointer = tmp_path / "wd" / "last_checkpoint"
    deadline = time.monotonic() + 90
    while not pointer.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pointer.exists(), "no checkpoint was written"
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(
            f"still running 60 s after Ctrl-C\nstdout: {out[-1500:]}\nstderr: {err[-1500:]}"
        )
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    assert "training interrupted (Ctrl-C)" in err
    # the exact command that continues it: work dir and options kept
    command = re.search(r"Continue with `([^`]*)`", " ".join(err.split()))
    assert command, err[-2000:]
    assert re.fullmatch(
        r"runner-cli train tiny.py --work-dir \S*wd --resume auto "
        r"--cfg-options train_cfg.max_epochs=100000",
        command.group(1),
    )
    newest = pointer.parent / pointer.read_text().strip()  # relative to the work dir
    assert newest.name in err
    from runner_core.checkpoint import load_checkpoint

    assert "state_dict" in load_checkpoint(newest)  # complete and loadable
    # the log file says why it ends there (the terminal got the message once, above)
    (log,) = (tmp_path / "wd").glob("*/*.log")
    assert "training interrupted (Ctrl-C)" in log.read_text()
    assert err.count("training interrupted (Ctrl-C)") == 1


def test_an_unexpected_error_from_a_hook_names_the_hook() -> None:
    from runner_cli.errors import describe

    exc = AttributeError("'Runner' object has no attribute 'future_api_method'")
    exc.add_note("Raised by hook NewerHook (at hook point 'after_train_iter').")
    text = describe(exc)
    assert text.startswith("unexpected AttributeError: 'Runner' object has no attribute")
    assert "Raised by hook NewerHook (at hook point 'after_train_iter')." in text
    assert text.endswith("(run again with --debug for the traceback)")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["trian", "c.py"], "Did you mean 'train'?"),
        (["train", "c.py", "--work-dri", "x"], "runner-cli train: error: unrecognized arguments"),
        (["train", "c.py", "--work-dri", "x"], "Did you mean '--work-dir'?"),
        (["train", "--cfg-options", "a=1", "c.py"], "put CONFIG before --cfg-options"),
    ],
)
def test_command_line_mistakes_get_hints(argv: list[str], needle: str, capsys) -> None:
    from runner_cli.main import main

    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2 and needle in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "prog"),
    [
        (["config", "check", "c.py", "--bogus"], "runner-cli config check: error"),
        (["--bogus", "train", "c.py"], "runner-cli: error"),
    ],
)
def test_an_unknown_option_is_reported_by_the_parser_it_was_given_to(
    argv: list[str], prog: str, capsys
) -> None:
    from runner_cli.main import main

    with pytest.raises(SystemExit):
        main(argv)
    assert f"{prog}: unrecognized arguments: --bogus" in capsys.readouterr().err


def test_an_unexpected_error_written_to_a_log_file_names_the_file() -> None:
    from runner_cli.errors import describe
    from runner_core.logging.failure import mark_logged

    exc = ValueError("user bug")
    mark_logged(exc, ["/runs/a/20260101_000000.log"])
    assert describe(exc) == (
        "unexpected ValueError: user bug (the traceback is in "
        "/runs/a/20260101_000000.log; or run again with --debug)"
    )
    assert describe(exc, debug=True) == "unexpected ValueError: user bug"


def test_unexpected_errors_under_debug_do_not_ask_for_debug() -> None:
    from runner_cli.errors import describe

    assert "run again with --debug" in describe(RuntimeError("x"))
    assert "run again with --debug" not in describe(RuntimeError("x"), debug=True)


def test_a_rank_that_lost_its_peer_says_where_the_cause_is() -> None:
    """The command line's error, not only the log line, says another rank failed first."""
    from runner_cli.errors import describe
    from runner_core.distributed.launch import peer_failure_note
    from runner_core.errors import add_note

    exc = RuntimeError("Connection closed by peer [127.0.0.1]:3813")
    add_note(exc, "Raised by hook CheckpointHook (at hook point 'after_train_iter').")
    add_note(exc, peer_failure_note())
    text = describe(exc)
    assert text.index("Raised by hook CheckpointHook") < text.index("Another rank most likely")
    assert "Another rank" not in describe(RuntimeError("Connection closed by peer"))


def test_a_deleted_current_folder_is_said_in_one_line(tmp_path: Path) -> None:
    """`plugins` failed with 'unexpected FileNotFoundError', train inside torch (oneMKL)."""
    import os
    import subprocess
    import sys

    script = (
        f"mkdir gone && cd gone && rmdir ../gone && exec {sys.executable} -m runner_cli plugins"
    )
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "runner-cli: error: the current folder no longer exists (deleted?); cd into an "
        "existing folder and run again."
    )


def test_a_full_disk_outside_a_checkpoint_save_is_one_paragraph_with_the_fix() -> None:
    """A log or scalar file filling the disk was 'unexpected OSError: [Errno 28] ...'."""
    import errno

    from runner_cli.errors import describe

    message = describe(OSError(errno.ENOSPC, "No space left on device"))
    assert message.startswith("[Errno 28] No space left on device. The disk or the quota")
    assert "free disk space, and run again (a training run goes on with --resume" in message
    named = describe(OSError(errno.EFBIG, "File too large", "/w/run/vis_data/scalars.json"))
    assert named.startswith("[Errno 27] File too large: '/w/run/vis_data/scalars.json'. A file")
    assert "raise it (ulimit -f) or save elsewhere" in named


def test_a_ctrl_c_during_the_clean_up_of_an_error_names_the_error() -> None:
    """The terminal said 'interrupted, continue with --resume' and hid the error that
    ended the run (a resume would meet it again)."""
    import argparse

    from runner_cli.commands.train import _interrupted_message

    message = _interrupted_message(object(), argparse.Namespace(), None, ValueError("boom"))
    assert message.startswith("runner-cli: training failed: unexpected ValueError: boom")
    assert "Fix the error before resuming." in message and "--resume" not in message


def test_a_data_error_ending_in_a_period_reads_as_one_sentence_with_its_context() -> None:
    from runner_cli.errors import describe
    from runner_core.errors import RegistryError, add_note

    exc = RegistryError("'Jitter' is not in the transform registry; register 'pkg.mod:Jitter'.")
    add_note(exc, "while loading sample 3 of Digits (train_dataloader, batch 1/4)")
    assert describe(exc) == (
        "'Jitter' is not in the transform registry; register 'pkg.mod:Jitter', while loading "
        "sample 3 of Digits (train_dataloader, batch 1/4)"
    )


def test_the_failure_the_cli_logs_does_not_ask_for_the_traceback_it_holds(
    tmp_path: Path,
) -> None:
    """In the log file the traceback follows the line: no "run again with --debug"."""
    from runner_cli.failure_log import log_failure
    from runner_core.logging import RunLogger

    log = tmp_path / "run.log"
    before = RunLogger._current
    logger = RunLogger.create("qa-cli-failure", log_file=str(log))
    try:
        try:
            raise ValueError("user bug")
        except ValueError as exc:
            assert log_failure(exc)
        text = log.read_text()
        assert "The run failed: unexpected ValueError: user bug" in text
        assert "Traceback (most recent call last)" in text and "--debug" not in text
    finally:
        logger.close_files()
        RunLogger._current = before  # later tests log where they did
