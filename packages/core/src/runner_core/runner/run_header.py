"""What a run's log starts with: the environment, the seed and the hook order.

A log read weeks later (or attached to a bug report) must say what produced
it: Python, torch and the runner packages with their versions, the device,
the seed, and which hooks ran in which order. MMEngine writes the same
facts at the top of its log.
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from typing import Any


def _device_line() -> str:
    import torch

    if torch.cuda.is_available():
        names = sorted({torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())})
        return f"CUDA {torch.version.cuda}, {torch.cuda.device_count()} GPU(s): {', '.join(names)}"
    return "CPU only (CUDA not available)"


def run_versions() -> dict[str, str]:
    """Python, torch, every runner package, and every plugin distribution whose code is loaded.

    The run log's header shows them, and every checkpoint records them
    (``meta.versions``).
    """
    import torch

    from ..registry import discovery

    found = {"python": sys.version.split()[0], "torch": str(torch.__version__)}
    for dist in ("runner-core", "runner-loops-standard", "runner-hooks-standard", "runner-cli"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    for entries in discovery.all_entries().values():
        for entry in entries:
            if entry.target.partition(":")[0] in sys.modules:
                found.setdefault(entry.distribution, entry.version)
    return found


def environment_lines(runner: Any) -> list[str]:
    """The environment block: interpreter, libraries, device, seed and process layout."""
    import numpy
    import torch

    randomness = getattr(runner, "randomness_cfg", {}) or {}
    return [
        "Environment:",
        f"  Python {sys.version.split()[0]} on {platform.platform()}",
        f"  torch {torch.__version__}, numpy {numpy.__version__}; {_device_line()}",
        "  packages: "
        + ", ".join(f"{k} {v}" for k, v in run_versions().items() if k not in ("python", "torch")),
        f"  seed {runner.seed} (deterministic={bool(randomness.get('deterministic', False))}, "
        f"diff_rank_seed={bool(randomness.get('diff_rank_seed', False))}); "
        f"world size {runner.world_size}, launcher {runner.launcher!r}",
        f"  work dir {runner.work_dir}; run folder {runner.log_dir}",
        f"  env_cfg {_env_settings(getattr(runner, 'env_cfg', None))}",
    ]


def _env_settings(env_cfg: Any) -> str:
    """``env_cfg`` as given, with MMEngine's three keys always shown (its log lists them)."""
    settings = dict(env_cfg or {})
    shown = {
        "cudnn_benchmark": settings.pop("cudnn_benchmark", False),
        "mp_cfg": settings.pop("mp_cfg", None),
        "dist_cfg": settings.pop("dist_cfg", None),
        **settings,
    }
    return ", ".join(f"{key}={value!r}" for key, value in shown.items())


def log_run_header(runner: Any) -> None:
    """Log the environment at INFO, the config to the log file (as MMEngine's log holds it;
    the console stays short, and the run folder has it as ``config.py`` too) and the hook
    order at DEBUG (rank 0's log only)."""
    if getattr(runner, "rank", 0) != 0:
        return
    import logging

    from ..config.formatting import config_text
    from ..logging.logger import log_to_files

    logger = runner.logger
    logger.info("\n".join(environment_lines(runner)))
    text = config_text(getattr(runner, "cfg", None)).strip()
    if text:
        log_to_files(logger, logging.INFO, f"Config:\n{text}")
    logger.debug("Hooks, per hook point in the order they run:\n%s", runner.get_hooks_info())
