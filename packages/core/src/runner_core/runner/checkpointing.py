"""What goes into a training checkpoint, and how a run resumes from one.

A checkpoint holds plain data and tensors only (it loads with
``weights_only=True``): ``meta`` (progress, seed, versions, config text),
``state_dict``, ``optimizer``, ``param_schedulers``, ``message_hub``, ``rng``
(every random stream), ``loop`` (the train loop's position, including the
batch inside the epoch) and ``hooks`` (each hook's own state, by role).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .randomness import capture_rng_state


def _versions() -> dict[str, str]:
    from importlib import metadata

    import torch

    found = {"torch": torch.__version__}
    for dist in ("runner-core", "runner-loops-standard", "runner-hooks-standard", "runner-cli"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return found


def _hook_key(runner: Any, hook: Any, index: int) -> str:
    role = runner.hooks.role_of(hook)
    return role if role else f"{type(hook).__name__}#{index}"


def build_state(
    runner: Any, save_optimizer: bool, save_param_scheduler: bool, meta: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The checkpoint dict of the runner's current state."""
    loop = runner._train_loop
    info = {
        "epoch": runner.epoch,
        "iter": runner.iter,
        "seed": runner.seed,
        "experiment_name": runner.experiment_name,
        "time": time.strftime("%Y%m%d_%H%M%S"),
        "versions": _versions(),
        "cfg": getattr(runner.cfg, "pretty_text", "") if runner.cfg is not None else "",
    }
    info.update(meta or {})
    ckpt: dict[str, Any] = {"meta": info, "state_dict": _cpu_state_dict(runner.unwrapped_model)}
    if (
        save_optimizer
        and runner.optim_wrapper is not None
        and hasattr(runner.optim_wrapper, "state_dict")
    ):
        ckpt["optimizer"] = runner.optim_wrapper.state_dict()
    if save_param_scheduler and runner.param_schedulers:
        ckpt["param_schedulers"] = _map_schedulers(
            runner.param_schedulers, lambda s: s.state_dict()
        )
    ckpt["message_hub"] = runner.message_hub.state_dict()
    ckpt["rng"] = capture_rng_state()
    if loop is not None and hasattr(loop, "state_dict"):
        ckpt["loop"] = loop.state_dict()
    hook_states = {}
    for i, hook in enumerate(runner.hooks.hooks):
        state = hook.state_dict()
        if state:
            hook_states[_hook_key(runner, hook, i)] = state
    if hook_states:
        ckpt["hooks"] = hook_states
    return ckpt


def _cpu_state_dict(model: Any) -> dict[str, Any]:
    return {
        k: v.detach().cpu() if hasattr(v, "detach") else v for k, v in model.state_dict().items()
    }


def _map_schedulers(schedulers: Any, fn: Any) -> Any:
    if isinstance(schedulers, Mapping):
        return {k: [fn(s) for s in v] for k, v in schedulers.items()}
    return [fn(s) for s in schedulers]


def save(
    runner: Any,
    path: Path,
    save_optimizer: bool,
    save_param_scheduler: bool,
    meta: Any,
    update_pointer: bool,
) -> Path | None:
    from ..checkpoint import save_checkpoint, write_pointer

    ckpt = build_state(runner, save_optimizer, save_param_scheduler, meta)
    runner.call_hooks("before_save_checkpoint", checkpoint=ckpt)
    if runner.rank != 0:
        return None
    saved = save_checkpoint(ckpt, path)
    if update_pointer:
        write_pointer(runner.work_dir, saved)
    return saved


def load_weights(
    runner: Any, filename: str | Path, map_location: Any, strict: bool | None, revise_keys: Any
) -> dict[str, Any]:
    from ..checkpoint import load_checkpoint, load_model_state

    opts = runner.load_cfg
    ckpt = load_checkpoint(
        filename, map_location=map_location, allow_pickle=bool(opts.get("allow_pickle", False))
    )
    state = ckpt.get("state_dict", ckpt)
    kwargs: dict[str, Any] = {
        "strict": bool(strict if strict is not None else opts.get("strict", False)),
        "logger": runner.logger,
    }
    if revise_keys is not None or "revise_keys" in opts:
        kwargs["revise_keys"] = revise_keys if revise_keys is not None else opts["revise_keys"]
    report = load_model_state(runner.unwrapped_model, state, **kwargs)
    runner.logger.info("Loaded weights from %s%s", filename, f"\n{report}" if str(report) else "")
    runner.call_hooks("after_load_checkpoint", checkpoint=ckpt)
    return ckpt


def find_resume_checkpoint(runner: Any) -> dict[str, Any] | None:
    """Load the checkpoint to resume from, or None (fresh start, with a warning)."""
    from ..checkpoint import find_latest_checkpoint, load_checkpoint

    path = runner._load_from
    if isinstance(runner._resume, (str, Path)) and runner._resume not in ("auto",):
        path = runner._resume
    if path is None:
        path = find_latest_checkpoint(runner.work_dir)
        if path is None:
            runner.logger.warning(
                "resume=True but %s holds no complete checkpoint: training starts from scratch.",
                runner.work_dir,
            )
            return None
    runner.logger.info("Resuming from %s", path)
    ckpt = load_checkpoint(
        path, map_location="cpu", allow_pickle=bool(runner.load_cfg.get("allow_pickle", False))
    )
    ckpt.setdefault("meta", {})["_path"] = str(path)
    return ckpt


def apply_resume(runner: Any, ckpt: dict[str, Any]) -> None:
    """Put a checkpoint's training state back into the built runner."""
    from ..checkpoint import load_model_state

    load_model_state(runner.unwrapped_model, ckpt["state_dict"], strict=True, logger=runner.logger)
    if "optimizer" in ckpt and runner.optim_wrapper is not None:
        runner.optim_wrapper.load_state_dict(ckpt["optimizer"])
    if "param_schedulers" in ckpt and runner.param_schedulers:
        _load_schedulers(runner.param_schedulers, ckpt["param_schedulers"])
    if "message_hub" in ckpt:
        runner.message_hub.load_state_dict(ckpt["message_hub"])
    loop = runner.train_loop
    if "loop" in ckpt and hasattr(loop, "load_state_dict"):
        loop.load_state_dict(ckpt["loop"])
    else:
        meta = ckpt.get("meta", {})
        loop._epoch, loop._iter = int(meta.get("epoch", 0)), int(meta.get("iter", 0))
    states = ckpt.get("hooks", {})
    for i, hook in enumerate(runner.hooks.hooks):
        key = _hook_key(runner, hook, i)
        if key in states:
            hook.load_state_dict(states[key])
    runner._pending_rng = ckpt.get("rng")
    runner.call_hooks("after_load_checkpoint", checkpoint=ckpt)
    runner.logger.info("Resumed at epoch %d, iter %d", runner.epoch, runner.iter)


def _load_schedulers(schedulers: Any, states: Any) -> None:
    if isinstance(schedulers, Mapping):
        for key, group in schedulers.items():
            for s, st in zip(group, states[key]):
                s.load_state_dict(st)
    else:
        for s, st in zip(schedulers, states):
            s.load_state_dict(st)
