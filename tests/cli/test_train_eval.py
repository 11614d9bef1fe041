"""train / test / val / plot through the real command, on the tiny task."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch

from runner_cli.main import main


def test_train_writes_checkpoints_logs_and_scalars(trained: Path) -> None:
    wd = trained / "wd"
    assert (wd / "epoch_1.pth").is_file() and (wd / "epoch_2.pth").is_file()
    assert (wd / "last_checkpoint").read_text().strip().endswith("epoch_2.pth")
    (run,) = [p for p in wd.iterdir() if p.is_dir()]
    scalars = (run / "vis_data" / "scalars.json").read_text().splitlines()
    records = [json.loads(line) for line in scalars]
    assert any("loss" in r and "lr" in r for r in records)
    assert [r["step"] for r in records if "accuracy/top1" in r] == [1, 2]


def test_test_prints_metrics_and_writes_json(trained: Path, cli, tmp_path: Path) -> None:
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    done = cli("test", "tiny.py", "wd/epoch_2.pth", "--work-dir", "wd", "--out", "m.json")
    assert done.returncode == 0, done.stderr
    # stdout holds only the metrics (log lines go to stderr): key: value in a pipe
    (line,) = done.stdout.strip().splitlines()
    key, value = line.split(": ")
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert key == "accuracy/top1" and float(value) == pytest.approx(metrics[key], abs=1e-4)
    assert 50 < metrics[key] <= 100

    done = cli("val", "tiny.py", "wd/epoch_2.pth", "--work-dir", "wd")
    assert done.returncode == 0, done.stderr
    written = sorted((tmp_path / "wd").glob("*/val_metrics.json"))
    assert len(written) == 1 and str(written[0]) in done.stderr
    assert json.loads(written[0].read_text()) == metrics  # same data, same weights


@pytest.mark.parametrize("target", ["checkpoint", "config", "folder", "not-json"])
def test_out_that_would_overwrite_an_input_is_refused_before_evaluating(
    trained: Path, tmp_path: Path, capsys, target: str
) -> None:
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    config, ckpt = tmp_path / "tiny.py", tmp_path / "wd" / "epoch_2.pth"
    (tmp_path / "results").mkdir()
    out, fault = {
        "checkpoint": (ckpt, "is the checkpoint"),
        "config": (config, "is the config"),
        "folder": (tmp_path / "results", "is a folder"),
        "not-json": (tmp_path / "metrics.txt", "does not end in .json or .pkl"),
    }[target]
    before = {p: p.read_bytes() for p in (config, ckpt)}
    runs = len(list((tmp_path / "wd").iterdir()))
    work = ["--work-dir", str(tmp_path / "wd")]
    assert main(["test", str(config), str(ckpt), *work, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--out {str(out)!r} {fault}" in err
    assert {p: p.read_bytes() for p in (config, ckpt)} == before
    assert len(list((tmp_path / "wd").iterdir())) == runs  # refused before any run started
    assert not (tmp_path / "metrics.txt").exists()


def test_out_replaces_an_existing_json_file(trained: Path, cli, tmp_path: Path) -> None:
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    (tmp_path / "m.json").write_text("old")
    done = cli("val", "tiny.py", "wd/epoch_2.pth", "--work-dir", "wd", "--out", "m.json")
    assert done.returncode == 0, done.stderr
    assert "accuracy/top1" in json.loads((tmp_path / "m.json").read_text())


def test_out_pkl_dumps_one_prediction_per_sample_as_openmmlab_test_py(
    trained: Path, cli, tmp_path: Path
) -> None:
    """mmdet's and mmpretrain's tools/test.py --out x.pkl: refused before, and the
    DumpResults it stands for pickled a plain model's dict keys, not its predictions."""
    import pickle

    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    done = cli("test", "tiny.py", "wd/epoch_2.pth", "--work-dir", "wd", "--out", "preds.pkl")
    assert done.returncode == 0, done.stderr
    assert "accuracy/top1" in done.stdout  # the config's metrics too
    with open(tmp_path / "preds.pkl", "rb") as fh:
        preds = pickle.load(fh)
    assert len(preds) == 32 and set(preds[0]) == {"pred", "gt"}
    assert tuple(preds[0]["pred"].shape) == (2,) and preds[0]["gt"].dim() == 0
    done = cli("test", "tiny.py", "wd/epoch_2.pth", "--work-dir", "wd", "--dump", "p.json")
    assert done.returncode == 2 and "the predictions are pickled; name a .pkl file" in done.stderr
    (tmp_path / "folder.pkl").mkdir()
    for given in ("P.PKL", "folder.pkl"):  # refused before evaluating, not by DumpResults after
        done = cli("test", "tiny.py", "wd/epoch_2.pth", "--work-dir", "wd", "--dump", given)
        assert done.returncode == 2 and "Epoch(test)" not in done.stderr, done.stderr
    # a config whose evaluator is an Evaluator's config gets the dump among its metrics
    (tmp_path / "ev.py").write_text(
        "_base_ = './tiny.py'\n"
        "test_evaluator = dict(_delete_=True, type='Evaluator', metrics=dict(type='Accuracy'))\n"
    )
    done = cli("test", "ev.py", "wd/epoch_2.pth", "--work-dir", "wd", "--dump", "p2.pkl")
    assert done.returncode == 0, done.stderr
    assert "accuracy/top1" in done.stdout and (tmp_path / "p2.pkl").is_file()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["test", "tiny.py", "wd/epoch_2.pth", "--show-dir", "vis"], "default_hooks.visualization"),
        (["train", "tiny.py", "--gpus", "2"], "torchrun ... --launcher pytorch"),
        (["train", "tiny.py", "--resume-from", "x.pth"], "use --resume PATH"),
        (["test", "tiny.py", "wd/epoch_2.pth", "--out-item", "metrics"], "--out FILE.json"),
        (["train", "--resume", "tiny.py"], "--resume took 'tiny.py' as the checkpoint"),
    ],
)
def test_openmmlab_tools_flags_runner_cli_lacks_name_what_to_type(
    trained: Path, cli, tmp_path: Path, argv: list[str], words: str
) -> None:
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    done = cli(*argv)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert "Did you mean" not in done.stderr  # not '--show-dir' -> '--work-dir'


def test_abbreviated_options_still_work_beside_the_refused_flags(capsys) -> None:
    """--res matched --resume and the refused --resume-from: 'ambiguous option'."""
    from runner_cli.main import build_parser

    parser, _ = build_parser()
    args, _ = parser.parse_known_args(["train", "c.py", "--res", "auto", "--work", "wd"])
    assert args.resume == "auto" and args.work_dir == "wd"
    with pytest.raises(SystemExit):
        parser.parse_known_args(["train", "c.py", "--gpu", "2"])
    assert "torchrun ... --launcher pytorch" in capsys.readouterr().err


def test_no_validate_and_loader_flags_as_openmmlab_train_py(tiny_config, cli, tmp_path) -> None:
    tiny_config()
    done = cli(
        "train",
        "tiny.py",
        "--work-dir",
        "wd",
        "--no-validate",
        "--no-pin-memory",
        "--no-persistent-workers",
        "--cfg-options",
        "train_cfg.max_epochs=1",
    )
    assert done.returncode == 0, done.stderr
    (log,) = (tmp_path / "wd").glob("*/*.log")
    assert "Epoch(train)" in log.read_text() and "Epoch(val)" not in log.read_text()
    (dumped,) = (tmp_path / "wd").glob("*/config.py")
    text = dumped.read_text()
    assert "val_dataloader = None" in text and "pin_memory=False" in text


def test_resume_auto_continues_and_amp_seed_options(trained: Path, cli, tmp_path: Path) -> None:
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    before = hashlib.sha256((tmp_path / "wd" / "epoch_2.pth").read_bytes()).hexdigest()
    done = cli(
        "train",
        "tiny.py",
        "--work-dir",
        "wd",
        "--resume",
        "--amp",
        "--seed",
        "7",
        "--deterministic",
        "--cfg-options",
        "train_cfg.max_epochs=3",
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout + done.stderr
    assert "Resuming from" in out and "epoch_2.pth" in out
    assert (tmp_path / "wd" / "epoch_3.pth").is_file() and not (
        tmp_path / "wd" / "epoch_4.pth"
    ).exists()
    assert hashlib.sha256((tmp_path / "wd" / "epoch_2.pth").read_bytes()).hexdigest() == before
    dumped = sorted((tmp_path / "wd").glob("*/config.py"))[-1].read_text()
    dtype = "float16" if torch.cuda.is_available() else "bfloat16"  # what --amp picks there
    assert "type='AmpOptimWrapper'" in dumped and f"dtype='{dtype}'" in dumped
    assert "deterministic=True" in dumped


def test_plot_draws_a_png_of_several_runs(trained: Path, tmp_path: Path, capsys) -> None:
    wd2 = tmp_path / "wd2"
    shutil.copytree(trained / "wd", wd2)
    out = tmp_path / "curves.png"
    assert (
        main(
            [
                "plot",
                str(trained / "wd"),
                str(wd2),
                "--keys",
                "loss,accuracy/top1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert "2 run(s)" in capsys.readouterr().err
    assert main(["plot", str(trained / "wd"), "--keys", "los", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Did you mean 'loss'?" in err and "Logged keys:" in err
    # no extension: matplotlib writes a PNG, and the message names that file
    assert main(["plot", str(trained / "wd"), "--out", str(tmp_path / "bare")]) == 0
    assert (tmp_path / "bare.png").is_file() and f"Wrote {tmp_path / 'bare.png'} (" in (
        capsys.readouterr().err
    )


def test_plot_panels_have_titles_y_labels_and_marked_validation(
    trained: Path, tmp_path: Path
) -> None:
    from runner_cli.commands.plot import choose_keys, draw, find_scalars, read_run

    run = read_run(find_scalars(str(trained / "wd")), "wd/run")
    keys = choose_keys([run], "loss,lr,accuracy/top1,time,val/time")
    figure, *panels = draw([run], keys, tmp_path / "curves.png")
    assert figure["title"] == "Training curves of wd/run"
    by_key = dict(zip(keys, panels))
    assert by_key["loss"] == {"title": "loss", "ylabel": "loss", "xlabel": "iter"}
    assert by_key["lr"]["ylabel"] == "learning rate"
    assert by_key["accuracy/top1"] == {
        "title": "accuracy/top1 (validation)",
        "ylabel": "top1",
        "xlabel": "epoch",
    }
    # validation timings are their own series, not mixed into the training curve
    assert by_key["time"]["xlabel"] == "iter" and by_key["val/time"]["xlabel"] == "epoch"
    assert by_key["time"]["ylabel"] == "seconds per iteration"


def test_plot_without_matplotlib_says_how_to_install(
    trained: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)
    assert main(["plot", str(trained / "wd"), "--out", str(tmp_path / "c.png")]) == 2
    assert "pip install runner-cli[plot]" in capsys.readouterr().err


def test_plot_reads_a_run_still_writing(tmp_path: Path, capsys) -> None:
    run = tmp_path / "wd" / "20250101_000000" / "vis_data"
    run.mkdir(parents=True)
    (run / "scalars.json").write_text('{"loss": 1.0, "iter": 1, "step": 1}\n{"loss": 0.5, "it')
    assert main(["plot", str(tmp_path / "wd"), "--out", str(tmp_path / "c.png")]) == 0
    assert "loss" in capsys.readouterr().err


def test_plot_leaves_a_test_after_training_off_the_validation_curve(tmp_path: Path) -> None:
    """train() then test() in one run folder: the test's record (at the iteration, 44) was
    drawn as the validation curve's point at epoch 44."""
    from runner_cli.commands.plot import read_run

    scalars = tmp_path / "scalars.json"
    records = [
        {"loss": 1.0, "lr": 0.1, "epoch": 1, "iter": 22, "step": 22},
        {"accuracy/top1": 50.0, "data_time": 0.1, "time": 0.2, "step": 1},
        {"loss": 0.5, "lr": 0.1, "epoch": 2, "iter": 44, "step": 44},
        {"accuracy/top1": 60.0, "data_time": 0.1, "time": 0.2, "step": 2},
        {"test/accuracy/top1": 58.0, "test/data_time": 0.1, "test/time": 0.2, "step": 44},
    ]
    scalars.write_text("".join(json.dumps(r) + "\n" for r in records))
    run = read_run(scalars, "run")
    assert run.series["accuracy/top1"].xs == [1.0, 2.0]
    assert not any(name.startswith("test/") for name in run.series)


def test_plot_keeps_a_validation_loss_off_the_training_loss_curve(tmp_path: Path) -> None:
    """A val metric named like a training key ('loss') joined the training curve, its
    epochs mixed into the iterations; only time/data_time/memory were split."""
    from runner_cli.commands.plot import read_run

    scalars = tmp_path / "scalars.json"
    records = []
    for epoch in (1, 2):
        records.append({"loss": 2.0 / epoch, "lr": 0.1, "epoch": epoch, "iter": 20 * epoch})
        records.append({"accuracy/top1": 50.0 + epoch, "loss": 1.5 / epoch, "step": epoch})
    scalars.write_text("".join(json.dumps(r) + "\n" for r in records))
    run = read_run(scalars, "run")
    train, val = run.series["loss"], run.series["val/loss"]
    assert (train.xs, train.ys, train.stages) == ([20.0, 40.0], [2.0, 1.0], {"train"})
    assert (val.xs, val.ys, val.stages) == ([1.0, 2.0], [1.5, 0.75], {"val"})
    assert val.x_kinds == {"epoch"}  # the validation's axis
    assert run.series["accuracy/top1"].stages == {"val"}  # a key of one stage keeps its name


def test_config_check_accepts_the_tiny_config(tiny_config, cli) -> None:
    tiny_config()
    done = cli("config", "check", "tiny.py", "--for", "train")
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout


def test_openmmlab_launch_flags_and_auto_scale_lr(trained: Path, cli, tmp_path: Path) -> None:
    """tools/train.py's --auto-scale-lr, torch.distributed.launch's --local-rank, test --launcher."""
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    args = ["train", "tiny.py", "--work-dir", "scaled", "--auto-scale-lr", "--launcher", "none"]
    refused = cli(*args, "--local-rank=0")
    assert refused.returncode == 2
    assert "auto_scale_lr.base_batch_size" in refused.stderr and "Traceback" not in refused.stderr
    done = cli(
        *args,
        "--local_rank",
        "0",
        "--cfg-options",
        "auto_scale_lr.base_batch_size=4",
        "train_cfg.max_epochs=1",
    )
    assert done.returncode == 0, done.stderr
    # batch 8 over base 4 on one process: lr 0.1 becomes 0.2
    assert "lr: 2.0000e-01" in (done.stdout + done.stderr)
    tested = cli("test", "tiny.py", "wd/epoch_2.pth", "--launcher", "none", "--local-rank=0")
    assert tested.returncode == 0, tested.stderr
    assert "accuracy/top1" in tested.stdout
    # torch.distributed.launch puts it before the script's arguments: before the command
    tested = cli("--local-rank=0", "test", "tiny.py", "wd/epoch_2.pth", "--launcher", "none")
    assert tested.returncode == 0, tested.stderr
    assert "accuracy/top1" in tested.stdout


def test_a_stdout_nobody_reads_does_not_lose_the_metrics_file(
    trained: Path, tmp_path: Path
) -> None:
    """`runner-cli test ... | true`: the table was printed before the file was written, so
    a broken pipe lost an evaluation that may have taken hours."""
    import os
    import subprocess
    import sys

    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    here = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), *sys.path]), "NO_COLOR": "1"}
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone: the first write to stdout fails
    try:
        done = subprocess.run(
            [sys.executable, "-m", "runner_cli", "test", "tiny.py", "wd/epoch_2.pth"]
            + ["--work-dir", "wd", "--out", "m.json"],
            cwd=tmp_path,
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert "accuracy/top1" in json.loads((tmp_path / "m.json").read_text()), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["test", "val"])
def test_test_with_its_two_arguments_swapped_says_the_order(
    tmp_path: Path, capsys, command: str
) -> None:
    """It said "unsupported config file type '.pth'"."""
    (tmp_path / "cfg.py").write_text("model = dict(type='Linear', in_features=2, out_features=2)\n")
    torch.save({"state_dict": {}}, tmp_path / "epoch_1.pth")
    code = main([command, str(tmp_path / "epoch_1.pth"), str(tmp_path / "cfg.py")])
    err = capsys.readouterr().err
    assert code == 2
    assert "looks like a checkpoint" in err and "the config comes first" in err
    assert f"runner-cli {command} {tmp_path / 'cfg.py'} {tmp_path / 'epoch_1.pth'}" in err


@pytest.mark.parametrize("command", ["test", "val"])
def test_the_pointer_file_as_checkpoint_is_a_usage_error_naming_its_file(
    tmp_path: Path, capsys, command: str
) -> None:
    """It failed with exit 1 after the Runner was built, leaving a run folder behind."""
    (tmp_path / "cfg.py").write_text("model = dict(type='Linear', in_features=2, out_features=2)\n")
    work_dir = tmp_path / "wd"
    work_dir.mkdir()
    torch.save({"state_dict": {}}, work_dir / "epoch_1.pth")
    (work_dir / "last_checkpoint").write_text(str(work_dir / "epoch_1.pth"))
    before = sorted(p.name for p in work_dir.iterdir())
    code = main([command, str(tmp_path / "cfg.py"), str(work_dir / "last_checkpoint")])
    err = capsys.readouterr().err
    assert code == 2 and "is a work dir's pointer, not a checkpoint" in err
    assert f"runner-cli {command} {tmp_path / 'cfg.py'} {work_dir / 'epoch_1.pth'}" in err
    assert sorted(p.name for p in work_dir.iterdir()) == before  # no run folder made


def test_a_run_that_saved_nothing_does_not_claim_an_earlier_runs_checkpoint(
    trained: Path, cli, tmp_path: Path
) -> None:
    """A run with checkpoint=None in a work dir of an earlier run ended with 'The newest
    checkpoint is wd/epoch_2.pth', which that run never wrote."""
    import os

    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    pointer = tmp_path / "wd" / "last_checkpoint"
    earlier = pointer.stat().st_mtime - 60
    os.utime(pointer, (earlier, earlier))  # written a minute before this run
    options = ["train_cfg.max_epochs=1", "default_hooks.checkpoint=None"]
    done = cli("train", "tiny.py", "--work-dir", "wd", "--cfg-options", *options)
    assert done.returncode == 0, done.stderr
    said = " ".join((done.stdout + done.stderr).split())
    assert "This run saved no checkpoint to resume from; the newest in" in said
    assert "epoch_2.pth, is from an earlier run." in said
    assert "The newest checkpoint is" not in said
