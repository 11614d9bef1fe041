"""``runner-cli train CONFIG``: the guide's training run, from a config file.

Options follow MMEngine's ``tools/train.py``: ``--work-dir``, ``--resume``
(alone: the newest checkpoint of the work dir), ``--amp``, ``--auto-scale-lr``,
``--cfg-options``, ``--launcher`` (and ``--local_rank``); plus ``--seed``/``--deterministic`` and ``--unsafe-load``.
Ctrl-C stops training and says where the newest checkpoint is.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
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
from ..errors import EXIT_INTERRUPTED
from ..output import note
from ..resume_command import resume_command


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model from a config",
        description="Train a model from CONFIG (a .py, .json or .yaml config file).",
    )
    parser.add_argument("config", metavar="CONFIG", help="the config file")
    add_work_dir(parser)
    parser.add_argument(
        "--resume",
        nargs="?",
        const="auto",
        metavar="PATH|auto",
        help="resume training: from PATH, or (alone or 'auto') from the newest checkpoint "
        "in the work dir",
    )
    parser.add_argument(
        "--amp",
        action="store_true",
        help="mixed precision: AmpOptimWrapper, bfloat16 on the CPU, float16 on CUDA",
    )
    parser.add_argument(
        "--no-validate",
        action="store_true",
        help="train without validation (val_cfg, val_dataloader and val_evaluator set to None)",
    )
    add_no_pin_memory(parser, persistent=True)
    parser.add_argument("--seed", type=int, help="random seed (randomness.seed)")
    parser.add_argument(
        "--deterministic",
        action="store_true",
        help="deterministic algorithms (randomness.deterministic=True); slower",
    )
    parser.add_argument(
        "--auto-scale-lr",
        action="store_true",
        help="scale the learning rate by the total batch size over "
        "auto_scale_lr.base_batch_size (auto_scale_lr.enable=True)",
    )
    add_cfg_options(parser)
    add_launcher(parser)
    parser.add_argument(
        "--unsafe-load",
        action="store_true",
        help="allow loading checkpoints that need pickle (only for files you trust)",
    )
    refuse(parser, ("--show",), VIS_INSTEAD, takes_value=False)
    refuse(parser, ("--show-dir", "--interval", "--wait-time"), VIS_INSTEAD, takes_value=True)
    refuse(
        parser, ("--diff-rank-seed",), "use --cfg-options randomness.diff_rank_seed=True.", False
    )
    refuse(parser, ("--resume-from",), "use --resume PATH (MMEngine-era spelling).", True)
    refuse(
        parser,
        ("--gpus", "--gpu-ids", "--gpu-id"),
        "runner-cli uses one device per process; "
        "start several with torchrun ... --launcher pytorch (see docs/distributed.md).",
        True,
    )
    add_debug(parser)
    parser.set_defaults(handler=run)


def enable_amp(cfg: Any) -> None:
    """Turn the optim wrapper(s) into ``AmpOptimWrapper`` (bf16 on CPU, fp16 on CUDA)."""
    import torch

    dtype = "float16" if torch.cuda.is_available() else "bfloat16"
    wrapper = dict(cfg.get("optim_wrapper") or {})
    if not wrapper and cfg.get("optimizer") is not None:
        wrapper = {"optimizer": cfg.get("optimizer")}
    from runner_core.optim.constructor import multi_optimizer_parts

    # one wrapper per model part: type='OptimWrapperDict', mmagic's constructor, or bare parts
    multi = multi_optimizer_parts(wrapper) if wrapper else None
    single = multi is None and bool(wrapper)
    if single and "constructor" in wrapper and "optimizer" not in wrapper:
        from runner_core.errors import ConfigError

        raise ConfigError(
            f"--amp cannot tell which wrappers optim_wrapper.constructor="
            f"{wrapper['constructor']!r} builds from the parts it is given "
            f"({', '.join(repr(k) for k in wrapper if k != 'constructor')}). Drop --amp and "
            "give each part type='AmpOptimWrapper' (with its dtype) in the config."
        )
    parts = {"": wrapper} if single else dict(multi or {})
    if not parts:  # nothing to train with (a config for testing only): nothing to change
        return
    if all(dict(part).get("type") == "AmpOptimWrapper" for part in parts.values()):
        from ..output import note

        note("runner-cli: --amp: AMP training is already enabled in the config.")
    for name, part in parts.items():
        part = dict(part)
        if part.get("type", "OptimWrapper") not in ("OptimWrapper", "AmpOptimWrapper"):
            from runner_core.errors import ConfigError

            where = f"optim_wrapper.{name}" if name else "optim_wrapper"
            raise ConfigError(
                f"--amp turns the optim wrapper into AmpOptimWrapper, but {where}.type is "
                f"{part['type']!r}. Drop --amp and configure mixed precision in that wrapper, "
                f"or use type='OptimWrapper'."
            )
        part["type"] = "AmpOptimWrapper"
        part.setdefault("dtype", dtype)
        parts[name] = part
    cfg.merge_from_dict({"optim_wrapper": parts[""] if single else parts})


def apply_train_options(cfg: Any, args: argparse.Namespace) -> None:
    """Put the command-line options into the config, as MMEngine's train.py does."""
    from ..run_setup import require_file, set_load_options

    if args.resume == "auto":
        cfg.merge_from_dict({"resume": True, "load_from": None})
    elif args.resume is not None:
        path = require_file(args.resume, "checkpoint given to", "--resume")
        cfg.merge_from_dict({"resume": True, "load_from": str(path)})
    if args.amp:
        enable_amp(cfg)
    if args.no_validate:  # as mmpretrain's, mmpose's and mmaction2's tools/train.py
        cfg.merge_from_dict({"val_cfg": None, "val_dataloader": None, "val_evaluator": None})
    apply_loader_flags(cfg, args)
    randomness: dict[str, Any] = {}
    if args.seed is not None:
        randomness["seed"] = args.seed
    if args.deterministic:
        randomness["deterministic"] = True
    if randomness:
        current = cfg.get("randomness")
        base = dict(current) if isinstance(current, Mapping) else {}
        cfg.merge_from_dict({"randomness": {**base, **randomness}})
    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg)
    apply_launcher(cfg, args)
    set_load_options(cfg, allow_pickle=args.unsafe_load)


def enable_auto_scale_lr(cfg: Any) -> None:
    """``--auto-scale-lr``: ``auto_scale_lr.enable=True``; the config must say the base batch size."""
    current = cfg.get("auto_scale_lr")
    if not isinstance(current, Mapping) or current.get("base_batch_size") is None:
        from runner_core.errors import ConfigError

        raise ConfigError(
            "--auto-scale-lr scales the learning rate by the total batch size over the batch "
            "size it was tuned for, but the config has no auto_scale_lr.base_batch_size. Add "
            "auto_scale_lr=dict(base_batch_size=<that batch size>) to the config, or pass "
            "--cfg-options auto_scale_lr.base_batch_size=<N>."
        )
    cfg.merge_from_dict({"auto_scale_lr": {**dict(current), "enable": True}})


def run(args: argparse.Namespace) -> int:
    from ..run_setup import apply_work_dir, build_runner, load_config, require_parts

    cfg = load_config(args.config, args.cfg_options)
    apply_work_dir(cfg, args.work_dir, args.config)
    require_parts(cfg, "train")
    apply_train_options(cfg, args)
    from runner_core.runner import preemption

    runner = None
    before: tuple[int, int] | None = None  # the work dir's pointer as the run found it
    try:
        runner = build_runner(cfg)
        preemption.resume_hint = resume_command(args, runner.work_dir)
        before = _pointer_stamp(runner)
        runner.train()
    except KeyboardInterrupt as stop:
        message = _interrupted_message(runner, args, before, stop.__cause__)
        if runner is not None:  # the log file says why it ends here, as for a failure
            from ..failure_log import log_interruption

            log_interruption(message)
        note(message)
        return EXIT_INTERRUPTED
    except preemption.TrainingPreempted as stop:  # the hook saved and logged one line
        if runner is not None:
            _close_logs(runner)
        if runner is None or runner.rank == 0:  # the job's stderr says why it ended, too
            note(f"runner-cli: training stopped: {stop}")
        return stop.exit_status
    except BaseException as exc:
        if isinstance(exc, Exception):
            from ..failure_log import log_failure

            log_failure(exc)  # the full traceback, in the run's log file
        if runner is not None:
            _close_logs(runner)
        raise
    _close_logs(runner)
    if runner.rank == 0:  # one summary for the job, not one per process
        note(f"Training finished. {_newest_checkpoint(runner, before)} Logs: {runner.log_dir}")
    return 0


def _pointer_stamp(runner: Any) -> tuple[int, int] | None:
    """The work dir's ``last_checkpoint`` as (inode, mtime in ns), None without one: each save
    replaces it (a new file), so an unchanged stamp means this run saved nothing."""
    from pathlib import Path

    from runner_core.checkpoint import POINTER_NAME

    try:
        found = (Path(runner.work_dir) / POINTER_NAME).stat()
    except (OSError, TypeError, AttributeError):
        return None
    return found.st_ino, found.st_mtime_ns


def _newest_checkpoint(runner: Any, before: tuple[int, int] | None) -> str:
    from pathlib import Path

    from runner_core.checkpoint import read_pointer_location
    from runner_core.checkpoint.paths import same_file_in
    from runner_core.checkpoint.remote import url_scheme

    try:
        location = read_pointer_location(runner.work_dir)
    except Exception:  # a damaged pointer must not hide the real message
        location = None
    if location is None:
        return f"No checkpoint has been saved in {runner.work_dir}."
    if url_scheme(location) is not None:  # saved through a storage backend (out_dir URL)
        return f"The newest checkpoint is {location}."
    path = Path(location)
    here = same_file_in(runner.work_dir, path)  # a copied work dir's pointer names the original
    newest = here if here.is_file() else path
    if before is not None and _pointer_stamp(runner) == before:  # as this run found it
        return (
            f"This run saved no checkpoint to resume from; the newest in {runner.work_dir}, "
            f"{newest}, is from an earlier run."
        )
    return f"The newest checkpoint is {newest}."


def _interrupted_message(
    runner: Any,
    args: argparse.Namespace,
    before: tuple[int, int] | None,
    cause: BaseException | None = None,
) -> str:
    if runner is None:
        return "runner-cli: interrupted before training started; nothing was written."
    if isinstance(cause, Exception):  # Ctrl-C while the run was stopping on an error
        from ..errors import describe

        return (
            f"runner-cli: training failed: {describe(cause)} A Ctrl-C then cut the clean-up "
            "short; the traceback is in the run's log file. Fix the error before resuming."
        )
    # counts of completed work: no 0-based index to mistake for the log's 1-based [E]
    where = f"after {runner.iter} completed iterations ({runner.epoch} completed epochs)"
    # the exact command, as for a preemption: same options, the work dir made explicit
    return (
        f"runner-cli: training interrupted (Ctrl-C) {where}. {_newest_checkpoint(runner, before)} "
        f"Continue with `{resume_command(args, runner.work_dir)}`."
    )


def _close_logs(runner: Any) -> None:
    """Flush the log files so the last lines are on disk whatever happens next."""
    import logging

    logger = getattr(runner, "logger", None)
    for handler in getattr(logger, "handlers", []):
        if isinstance(handler, logging.FileHandler):
            handler.flush()
