"""The exact command that continues a stopped ``runner-cli train`` run.

Printed when a run stops on a preemption signal (and usable for Ctrl-C): the
same config and options, the work dir made explicit, ``--resume auto``.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any


def resume_command(args: argparse.Namespace, work_dir: Any) -> str:
    """``runner-cli train CONFIG --work-dir WD --resume auto ...`` for the run of ``args``."""
    parts = ["runner-cli", "train", str(args.config), "--work-dir", str(work_dir)]
    parts += ["--resume", "auto"]
    if getattr(args, "cfg_options", None):
        parts += ["--cfg-options", *args.cfg_options]
    if getattr(args, "amp", False):
        parts.append("--amp")
    if getattr(args, "seed", None) is not None:
        parts += ["--seed", str(args.seed)]
    if getattr(args, "deterministic", False):
        parts.append("--deterministic")
    if getattr(args, "launcher", None):
        parts += ["--launcher", args.launcher]
    if getattr(args, "unsafe_load", False):
        parts.append("--unsafe-load")
    return shlex.join(parts)
