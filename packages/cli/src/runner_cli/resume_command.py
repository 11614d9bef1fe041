"""The exact command that continues a stopped ``runner-cli train`` run.

Printed when a run stops on a preemption signal (and usable for Ctrl-C): the
same config and options, the work dir made explicit, ``--resume auto``; under
``torchrun`` (``--launcher pytorch``) with the ``torchrun`` launch in front.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any


def resume_command(args: argparse.Namespace, work_dir: Any) -> str:
    """``runner-cli train CONFIG --work-dir WD --resume auto ...`` for the run of ``args``."""
    parts = ["runner-cli", "train", str(args.config), "--work-dir", str(work_dir)]
    launch = _torchrun_launch() if getattr(args, "launcher", None) == "pytorch" else ""
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
    if launch:  # launcher='pytorch' needs torchrun's variables: print the launch too
        return f"{launch} $(which runner-cli) {shlex.join(parts[1:])}"
    return shlex.join(parts)


def _torchrun_launch() -> str:
    """The ``torchrun`` that started this process, as far as its variables tell."""
    import os

    nproc = os.environ.get("LOCAL_WORLD_SIZE") or os.environ.get("WORLD_SIZE") or "N"
    nodes = os.environ.get("GROUP_WORLD_SIZE", "1")
    if nodes != "1":  # the rendezvous of a multi-node job is not in this process's variables
        return f"torchrun --nnodes {nodes} --nproc_per_node {nproc} <your rendezvous options>"
    return f"torchrun --nproc_per_node {nproc}"
