"""``runner-cli test CONFIG CHECKPOINT`` and ``runner-cli val CONFIG CHECKPOINT``.

Loads the checkpoint's weights (strictly, unless the config's ``load_cfg``
says otherwise: a checkpoint of another model is an error, not a silent
partial load), runs the test or validation loop, prints the metrics (a table
in a terminal, ``key: value`` lines in a pipe) and writes them as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..arguments import (
    VIS_INSTEAD,
    add_cfg_options,
    add_debug,
    add_launcher,
    add_no_pin_memory,
    add_work_dir,
    apply_launcher,
    apply_loader_flags,
    refuse,
)
from ..output import note, print_mapping


def register(subparsers: Any) -> None:
    for mode, what in (("test", "the test set"), ("val", "the validation set")):
        parser = subparsers.add_parser(
            mode,
            help=f"evaluate a checkpoint on {what}",
            description=f"Load CHECKPOINT into the model of CONFIG and evaluate it on {what}.",
        )
        parser.add_argument("config", metavar="CONFIG", help="the config file")
        parser.add_argument("checkpoint", metavar="CHECKPOINT", help="the checkpoint (.pth)")
        add_work_dir(parser)
        add_cfg_options(parser)
        parser.add_argument(
            "--out",
            metavar="FILE",
            help=f"a .json FILE: write the metrics there, replacing one that exists "
            f"(default: <run folder>/{mode}_metrics.json); a .pkl FILE: dump the predictions "
            "there (as OpenMMLab's tools/test.py --out, same as --dump)",
        )
        parser.add_argument(
            "--dump",
            metavar="FILE.pkl",
            help="dump the predictions to this pickle file (a DumpResults evaluator)",
        )
        parser.add_argument(
            "--amp",
            action="store_true",
            help=f"run the {mode} step under autocast ({mode}_cfg.fp16=True)",
        )
        add_no_pin_memory(parser, persistent=False)
        refuse(parser, ("--show",), VIS_INSTEAD, takes_value=False)
        refuse(parser, ("--show-dir", "--interval", "--wait-time"), VIS_INSTEAD, takes_value=True)
        refuse(
            parser,
            ("--out-item",),
            "--out FILE.json writes the metrics, --out FILE.pkl (or "
            "--dump FILE.pkl) the predictions.",
            True,
        )
        parser.add_argument(
            "--tta",
            action="store_true",
            help="test-time augmentation: the config's tta_model wraps model, tta_pipeline "
            "replaces the test and val pipelines",
        )
        add_launcher(parser)
        parser.add_argument(
            "--unsafe-load",
            action="store_true",
            help="allow a checkpoint that needs pickle (only for files you trust)",
        )
        add_debug(parser)
        parser.set_defaults(handler=run, mode=mode)


_CONFIG_SUFFIXES = (".py", ".yaml", ".yml", ".json")
_CHECKPOINT_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin", ".safetensors")


def _refuse_swapped(command: str, config: str, checkpoint: str) -> None:
    """``runner-cli test CKPT CONFIG``: say the order, not "unsupported config file type"."""
    if config.lower().endswith(_CHECKPOINT_SUFFIXES) and checkpoint.lower().endswith(
        _CONFIG_SUFFIXES
    ):
        import shlex

        from ..errors import UsageError

        raise UsageError(
            f"{config!r} looks like a checkpoint and {checkpoint!r} like a config: the "
            f"config comes first. Run `runner-cli {command} {shlex.quote(checkpoint)} "
            f"{shlex.quote(config)}`."
        )


def _refuse_pointer(command: str, config: str, checkpoint: Path) -> None:
    """``runner-cli test CONFIG work_dir/last_checkpoint``: a usage error before anything
    is built (the load's own error came after the run folder was made), with the command
    that tests the file it names."""
    from runner_core.checkpoint.find import POINTER_NAME, is_pointer_file, read_pointer

    if checkpoint.name != POINTER_NAME:  # the usual case, without opening the file
        return
    with open(checkpoint, "rb") as f:
        if not is_pointer_file(checkpoint, f.read(4)):
            return
    import shlex

    from ..errors import UsageError

    target = read_pointer(checkpoint.parent)
    if target is None:
        advice = "it names no readable file: pass a checkpoint file of that work dir."
    else:
        advice = (
            f"it names {str(target)!r}. Run `runner-cli {command} {shlex.quote(config)} "
            f"{shlex.quote(str(target))}` instead."
        )
    raise UsageError(
        f"The checkpoint {str(checkpoint)!r} is a work dir's pointer, not a checkpoint: {advice}"
    )


def run(args: argparse.Namespace) -> int:
    from runner_core.checkpoint.remote import url_scheme

    from ..run_setup import (
        apply_work_dir,
        build_runner,
        load_config,
        require_file,
        require_parts,
        require_remote_checkpoint,
        set_load_options,
    )

    _refuse_swapped(args.mode, args.config, args.checkpoint)
    # a URL's backend may be registered by the config's custom_imports: checked after them
    remote = url_scheme(args.checkpoint) is not None
    checkpoint = args.checkpoint if remote else require_file(args.checkpoint, "checkpoint")
    if not remote:
        _refuse_pointer(args.mode, args.config, Path(checkpoint))
    inputs = {"config": args.config, "checkpoint": str(checkpoint)}
    if args.out and args.out.endswith((".pkl", ".pickle")):  # DumpResults' own rule
        if args.dump:
            from ..errors import UsageError

            raise UsageError("--out FILE.pkl and --dump both dump the predictions: give one.")
        args.dump, args.out = args.out, None
    # checked before the evaluation, which may take hours
    if args.dump:
        _check_dump(args.dump, inputs)
    if args.out:
        _check_out(args.out, inputs)
    cfg = load_config(args.config, args.cfg_options)
    if remote:
        require_remote_checkpoint(args.checkpoint, "The checkpoint")
    apply_work_dir(cfg, args.work_dir, args.config)
    if not args.work_dir:
        _beside_a_running_train(cfg, args.mode)
    if args.tta:
        from runner_core.model.tta import apply_tta

        apply_tta(cfg)
    require_parts(cfg, args.mode)
    cfg.merge_from_dict({"load_from": str(checkpoint), "resume": False})
    apply_launcher(cfg, args)
    apply_loader_flags(cfg, args)
    if args.amp:
        cfg.merge_from_dict({f"{args.mode}_cfg": {"fp16": True}})
    if args.dump:  # mmdet's add_dump_metric: one more evaluator, after the config's
        key = f"{args.mode}_evaluator"
        given = cfg.get(key)
        dump = {"type": "DumpResults", "out_file_path": args.dump}
        if isinstance(given, Mapping) and "metrics" in given:  # an Evaluator's config
            inner = given["metrics"]
            inner = list(inner) if isinstance(inner, (list, tuple)) else [inner]
            cfg[key] = {**given, "metrics": [*inner, dump]}
        else:
            metrics = list(given) if isinstance(given, (list, tuple)) else [given] if given else []
            cfg[key] = [*metrics, dump]
    set_load_options(cfg, strict=True, allow_pickle=args.unsafe_load)
    # the run's log lines go to stderr, so stdout holds only the metrics (pipe-friendly)
    with contextlib.redirect_stdout(sys.stderr):
        try:
            runner = build_runner(cfg)
            metrics = runner.test() if args.mode == "test" else runner.val()
        except Exception as exc:
            from ..failure_log import log_failure

            log_failure(exc)  # the full traceback, in the run's log file
            raise
    if runner.rank != 0:  # one table and one file for the job, not one per process
        return 0
    plain = {str(k): _plain(v) for k, v in dict(metrics or {}).items()}
    # the file first: a stdout that fails (| head, closed, an ASCII-only encoding) must not
    # lose an evaluation that may have taken hours
    out = Path(args.out) if args.out else Path(runner.log_dir) / f"{args.mode}_metrics.json"
    _write_json(out, plain)
    note(f"Metrics written to {out}")
    print_mapping(plain, title=f"{args.mode} metrics ({Path(str(checkpoint)).name})")
    return 0


def _beside_a_running_train(cfg: Any, mode: str) -> None:
    """Evaluate in ``<work_dir>/<mode>`` when another run (training, usually) holds the
    work dir: one run per work dir, and MMEngine's ``tools/test.py`` runs beside training.
    The folder is the run's own; the training's files are not touched. Not across nodes:
    their ranks could not agree on the lock (the error names ``--work-dir`` then)."""
    from runner_core.runner.work_dir_lock import held_elsewhere

    if _several_nodes():
        return  # nodes judge a lock's liveness differently, and all ranks must agree
    work_dir = Path(str(cfg.work_dir))
    other = held_elsewhere(work_dir)
    if other is None:
        return
    beside = work_dir / mode
    cfg.merge_from_dict({"work_dir": str(beside)})
    if any(os.environ.get(k, "0") != "0" for k in ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK")):
        return
    who = (
        f"its lock cannot be read here: {other['unreadable']}"
        if "unreadable" in other
        else f"pid {other.get('pid', '?')} on host {other.get('host', '?')!r}, started "
        f"{other.get('started', '?')}"
    )
    note(
        f"{work_dir} is in use by another run ({who}): this {mode} writes its logs to "
        f"{beside} instead (--work-dir chooses another folder)."
    )


def _several_nodes() -> bool:
    """Whether this is one process of a job spread over several machines (torchrun,
    SLURM, Open MPI: their variables are set before the Runner sets the usual ones)."""
    env = os.environ
    world = env.get("WORLD_SIZE", "1")
    if world != env.get("LOCAL_WORLD_SIZE", world):
        return True
    if env.get("SLURM_NNODES", "1") not in ("", "1"):
        return True
    size = env.get("OMPI_COMM_WORLD_SIZE")
    return size is not None and size != env.get("OMPI_COMM_WORLD_LOCAL_SIZE", size)


def _check_out(out: str, inputs: dict[str, str]) -> None:
    """``--out`` must name a ``.json`` file that is none of the command's inputs.

    The metrics replace the file whole; an input (the checkpoint, the
    config) given by mistake would be lost, and a folder fails only after
    the evaluation.
    """
    from ..errors import UsageError

    path = Path(out).expanduser()
    found = _input_at(path, inputs)
    if found is not None:
        what, given = found
        raise UsageError(
            f"--out {out!r} is the {what} ({given!r}): writing the metrics there would "
            "replace it. Name a new .json file, e.g. --out metrics.json."
        )
    if path.is_dir():
        raise UsageError(
            f"--out {out!r} is a folder; --out names the JSON file to write, e.g. "
            f"--out {os.path.join(out, 'metrics.json')!r}."
        )
    if path.suffix.lower() != ".json":
        raise UsageError(
            f"--out {out!r} does not end in .json or .pkl: a .json file gets the metrics, a "
            ".pkl file the predictions. (A folder of results, as mmseg's --out: use "
            "--cfg-options test_evaluator.output_dir=DIR test_evaluator.keep_results=True.)"
        )


def _check_dump(dump: str, inputs: dict[str, str]) -> None:
    """``--dump`` (or ``--out FILE.pkl``) must name a ``.pkl`` file that is none of the
    command's inputs: a ``.pkl`` checkpoint (Detectron's) would be replaced by the
    predictions, and a folder fails only after the evaluation."""
    from ..errors import UsageError

    if not dump.endswith((".pkl", ".pickle")):
        raise UsageError(f"--dump {dump!r}: the predictions are pickled; name a .pkl file.")
    if Path(dump).is_dir():
        raise UsageError(f"--dump {dump!r} is a folder: name a .pkl file in it.")
    if _input_at(Path(dump), inputs) is not None:
        raise UsageError(f"{dump!r} is an input of this command: name a new .pkl file.")


def _input_at(path: Path, inputs: dict[str, str]) -> tuple[str, str] | None:
    """``(what, given)`` of the input that ``path`` names, or None."""
    for what, given in inputs.items():
        if path.exists() and Path(given).exists() and os.path.samefile(path, given):
            return what, given
    return None


def _plain(value: Any) -> Any:
    """Tensors and numpy numbers as Python numbers; NaN as null (valid JSON)."""
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", 0) == 0:
        value = item()
    elif hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bool, int, float, str, list)) or value is None:
        return value
    return str(value)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write through a temporary file and rename: an old file is replaced whole or kept."""
    from runner_core.checkpoint import write_bytes_atomic

    write_bytes_atomic((json.dumps(data, indent=2) + "\n").encode("utf-8"), path, fsync=False)
