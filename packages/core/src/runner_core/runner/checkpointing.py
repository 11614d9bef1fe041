"""What goes into a training checkpoint, and how a run resumes from one.

A checkpoint holds plain data and tensors only (it loads with
``weights_only=True``): ``meta`` (progress, seed, versions, config text),
``state_dict``, ``optimizer``, ``param_schedulers``, ``message_hub``, ``rng``
(every random stream), ``loop`` (the train loop's position, including the
batch inside the epoch), ``batch_seeding`` (how its loader seeded its
batches; beside ``loop``, so a loop's own ``load_state_dict`` never gets it),
``hooks`` (each hook's own state, by role or class: see
:mod:`.hook_states`),
``optim_counts`` (each optim wrapper's own update count: an int, or
``{name: int}`` for an ``OptimWrapperDict``) and, when saved inside a
gradient-accumulation window, ``accumulated_grads`` (the gradients summed so
far, by parameter name).

Exact resume rests on three things: the RNG state stored is training's own
(a checkpoint written during validation stores the state validation will
restore, not validation's), the loop resumes at the stored batch without
loading the skipped ones, and a window of gradient accumulation cut by the
checkpoint continues with the gradients it had.
"""

from __future__ import annotations

import time
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..loop import loader_metainfo
from .hook_states import collect_hook_states, restore_hook_states
from .randomness import capture_rng_state
from .resume import AUTO, is_mid_epoch
from .run_header import run_versions

if TYPE_CHECKING:
    from ..checkpoint.storage import RemotePath


def _static_meta(runner: Any) -> dict[str, Any]:
    """Meta that does not change during a run, computed once (the config text can be slow)."""
    cached = runner.resume_state.static_meta
    if cached is None:
        cfg_text = ""
        if runner.cfg is not None:
            try:
                cfg_text = str(getattr(runner.cfg, "pretty_text", ""))
            except Exception as exc:  # a config that cannot be printed must not stop saving
                cfg_text = f"<config text unavailable: {exc}>"
        cached = {"versions": run_versions(), "cfg": cfg_text}
        runner.resume_state.static_meta = cached
    return cached


def _train_dataset_meta(runner: Any, loop: Any) -> dict | None:
    """The training dataset's ``metainfo``, or None (no such dataset, or it has none)."""
    loader = getattr(loop, "dataloader", None) if loop is not None else None
    if loader is None:
        from ..errors import ConfigError

        try:
            loader = runner.train_dataloader
        except (AttributeError, ConfigError):  # a Runner for val()/test() only: no training data
            loader = None
    return loader_metainfo(loader)


def build_state(
    runner: Any,
    loop: Any,
    save_optimizer: bool,
    save_param_scheduler: bool,
    meta: Mapping[str, Any] | None,
    weights_to_host: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
    every_rank: bool = True,
) -> dict[str, Any]:
    """The checkpoint dict of the runner's current state (``loop``: the train loop, if built).

    ``weights_to_host`` copies the model's state dict to CPU memory (default:
    ``weights_to_cpu``); an async save passes its own, which copies into
    reused pinned buffers without blocking per tensor.
    """
    position = loop.state_dict() if loop is not None else {}
    static = _static_meta(runner)
    # MMEngine's layout: the caller's meta first, then the runner's entries in MMEngine's
    # order (``versions`` where it has ``mmengine_version``); a value the caller gives wins
    info = dict(meta or {})
    # progress as the file name counts it: epochs / iterations completed
    info.setdefault("epoch", int(position.get("epoch", runner.epoch)))
    info.setdefault("iter", int(position.get("iter", runner.iter)))
    info.setdefault("cfg", static["cfg"])
    info.setdefault("seed", runner.seed)
    info.setdefault("experiment_name", runner.experiment_name)
    info.setdefault("time", time.strftime("%Y%m%d_%H%M%S"))
    info.setdefault("versions", dict(static["versions"]))
    dataset_meta = _train_dataset_meta(runner, loop)
    if dataset_meta is not None:  # class names travel with the weights, as in MMEngine
        info.setdefault("dataset_meta", dataset_meta)
    # after MMEngine's keys: every rank's streams follow it, so a resume keeps it
    info.setdefault("diff_rank_seed", bool(runner.randomness_cfg.get("diff_rank_seed", False)))
    if weights_to_host is None:
        from ..checkpoint import weights_to_cpu

        weights_to_host = weights_to_cpu
    weights = weights_to_host(runner.unwrapped_model.state_dict())
    # top-level keys in MMEngine's order too; the parts only a resume reads come after
    ckpt: dict[str, Any] = {
        "meta": info,
        "state_dict": weights,
        "message_hub": runner.message_hub.state_dict(),
    }
    if (
        save_optimizer
        and runner.optim_wrapper is not None
        and hasattr(runner.optim_wrapper, "state_dict")
    ):
        ckpt["optimizer"] = runner.optim_wrapper.state_dict()
    if _is_sharded(runner):  # FSDP: gather the whole model/optimizer (collective: every rank)
        from ..distributed.checkpoint import fill_full_state

        fill_full_state(runner, ckpt, "optimizer" in ckpt)
    # before train() builds them, param_schedulers holds the configs passed: nothing to save
    if (
        save_param_scheduler
        and runner.param_schedulers
        and _built_schedulers(runner.param_schedulers)
    ):
        ckpt["param_schedulers"] = _map_schedulers(
            runner.param_schedulers, lambda s: s.state_dict()
        )
        # the classes the states are for: a resume with another list refuses them
        info["param_scheduler_types"] = _map_schedulers(
            runner.param_schedulers, lambda s: type(s).__name__
        )
    # a resumed run before the checkpoint's moment (a missed validation run again from
    # before_train) still holds the checkpoint's streams; inside validation, training's
    # streams are the ones validation will put back
    state = runner.resume_state
    training_rng = state.pending_rng if state.pending_rng is not None else state.training_rng
    ckpt["rng"] = training_rng if training_rng is not None else capture_rng_state()
    pass_rng = state.pending_pass_rng if state.pending_pass_rng is not None else state.pass_rng
    if position:
        ckpt["loop"] = dict(position)
        if pass_rng is not None and is_mid_epoch(position):
            # the order of a pass its loader draws when it starts: a resume draws it again
            ckpt["loop"]["pass_rng"] = pass_rng
        seeding = _batch_seeding(loop)
        if seeding is not None:  # a resume that seeds otherwise says so
            ckpt["batch_seeding"] = seeding
    counts = _optim_counts(runner.optim_wrapper)
    if counts is not None:
        ckpt["optim_counts"] = counts
    grads = _accumulated_grads(runner, int(info["iter"]))
    if grads:
        ckpt["accumulated_grads"] = grads
    elif _is_sharded(runner) and _open_window(runner.optim_wrapper, int(info["iter"])):
        info["accumulation_dropped"] = True  # FSDP's partial gradients: a resume says so
    if every_rank and getattr(runner, "distributed", False):
        # random streams and unsynced gradients differ per rank: keep every rank's
        from ..distributed.utils import all_gather_object

        local: dict[str, Any] = {"rng": ckpt["rng"], "accumulated_grads": grads}
        if "pass_rng" in ckpt.get("loop", {}):
            local["pass_rng"] = pass_rng
        statistics = {} if _is_sharded(runner) else _running_statistics(runner.unwrapped_model)
        if statistics:
            local["running_stats"] = statistics
        ckpt["per_rank"] = all_gather_object(local)
    hook_states, hook_types = collect_hook_states(runner)
    if hook_types:  # which class wrote each state: found again under another key on resume
        info["hook_types"] = hook_types
    if hook_states:
        ckpt["hooks"] = hook_states
    return ckpt


def _running_statistics(model: Any) -> dict[str, Any]:
    """Each norm layer's running statistics on this rank, by buffer name, on the CPU.

    Under DDP with ``broadcast_buffers=False`` (MMEngine's default wrapper) every
    rank updates them from its own batches, so they drift apart between
    ``SyncBuffersHook``'s epoch-end averages; ``state_dict`` holds rank 0's. Kept per
    rank, a resume gives each rank its own back and validates (each rank its share)
    as the uninterrupted run would. Only layers that track running statistics
    (``track_running_stats``): small, where every buffer could be large.
    """
    found: dict[str, Any] = {}
    for prefix, module in model.named_modules():
        if getattr(module, "track_running_stats", False) is not True:
            continue
        for name, buf in module.named_buffers(recurse=False):
            if buf is not None and buf.is_floating_point():
                found[f"{prefix}.{name}" if prefix else name] = buf.detach().cpu().clone()
    return found


def _restore_running_statistics(model: Any, saved: Mapping[str, Any]) -> None:
    """Copy this rank's saved running statistics back (see :func:`_running_statistics`);
    a buffer the model no longer has, or of another shape, keeps what ``state_dict`` gave."""
    import torch

    buffers = dict(model.named_buffers())
    with torch.no_grad():
        for name, value in saved.items():
            buf = buffers.get(name)
            if buf is not None and buf.shape == value.shape:
                buf.copy_(value)


def _own_count(wrapper: Any) -> int | None:
    count = getattr(wrapper, "inner_count", None)
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _optim_counts(optim_wrapper: Any) -> int | dict[str, int] | None:
    """Each wrapper's own update count, which resume restores (``optim_counts``).

    Not the iteration: a GAN's ``train_step`` may update a wrapper every
    other iteration, or twice in one.
    """
    wrappers = getattr(optim_wrapper, "optim_wrappers", None)
    if isinstance(wrappers, Mapping):
        found = {name: _own_count(w) for name, w in wrappers.items()}
        return {name: count for name, count in found.items() if count is not None}
    return _own_count(optim_wrapper)


def _open_window(optim_wrapper: Any, iters_done: int) -> int:
    """``accumulative_counts`` of a wrapper inside an accumulation window, or 0 if none is.

    Each wrapper's own update count decides (the iteration for a wrapper without one).
    """
    wrappers = getattr(optim_wrapper, "optim_wrappers", None)
    for wrapper in wrappers.values() if isinstance(wrappers, Mapping) else [optim_wrapper]:
        counts = getattr(wrapper, "accumulative_counts", 1)
        own = _own_count(wrapper)
        done = iters_done if own is None else own
        if isinstance(counts, int) and counts > 1 and done % counts:
            return counts
    return 0


def _accumulated_grads(runner: Any, iters_done: int) -> dict[str, Any]:
    """The gradients summed so far when a wrapper is inside an accumulation window."""
    counts = _open_window(runner.optim_wrapper, iters_done)
    if not counts:
        return {}
    if _is_sharded(runner):
        runner.logger.warning(
            "A checkpoint inside a gradient-accumulation window under FSDP does not carry "
            "the sharded partial gradients; save at window boundaries (checkpoint interval "
            "a multiple of accumulative_counts=%d) for an exact resume.",
            counts,
        )
        return {}
    return {
        name: p.grad.detach().cpu().clone()
        for name, p in runner.unwrapped_model.named_parameters()
        if p.grad is not None
    }


def _restore_grads(runner: Any, grads: Mapping[str, Any], path: str) -> None:
    from ..checkpoint import CheckpointError

    params = dict(runner.unwrapped_model.named_parameters())
    unknown = [name for name in grads if name not in params]
    if unknown:
        raise CheckpointError(
            f"Checkpoint {path!r} carries accumulated gradients for parameters this model does "
            f"not have ({unknown[:4]}); it was saved from another model."
        )
    for name, grad in grads.items():
        param = params[name]
        param.grad = grad.to(device=param.device, dtype=param.dtype).clone()


def init_optim_counts(runner: Any) -> None:
    """Tell the optim wrapper where training starts, for gradient accumulation.

    Each wrapper starts from its own update count as the resumed checkpoint
    stored it (``optim_counts``), else from the iteration (a checkpoint
    without it, MMEngine's, or a fresh start). When the checkpoint carried the
    gradients of an interrupted accumulation window, the window continues
    exactly, so the wrapper's "gradients are lost" warning does not apply and
    is not shown.
    """
    from ..optim import OptimWrapperDict

    wrapper = runner.optim_wrapper
    if not hasattr(wrapper, "initialize_count_status"):
        return
    saved = runner.resume_state.optim_counts
    runner.resume_state.optim_counts = None  # used once: a later train() counts from its iteration
    model = runner.unwrapped_model
    with warnings.catch_warnings():
        if runner.resume_state.carried_grads:
            warnings.filterwarnings("ignore", message=r"Resumed after \d+ updates, which is not")
        if isinstance(wrapper, OptimWrapperDict):
            runner_ref = weakref.ref(runner)  # the wrappers must not keep the runner alive

            def iteration() -> int:
                alive = runner_ref()
                return -1 if alive is None else int(alive.iter)

            counts = saved if isinstance(saved, Mapping) else None
            wrapper.initialize_count_status(
                model, runner.iter, runner.max_iters, counts=counts, iteration=iteration
            )
        else:
            start = saved if isinstance(saved, int) else runner.iter
            wrapper.initialize_count_status(model, start, runner.max_iters)


def _is_sharded(runner: Any) -> bool:
    """True for an FSDP-sharded model, whose state needs runner_core.distributed.checkpoint."""
    if not getattr(runner, "distributed", False):
        return False
    # not ..distributed.checkpoint: it needs torch >= 2.2, and every DDP save asks this
    from ..distributed.model_wrappers import is_fsdp

    return is_fsdp(runner.model)


def _state_is_collective(runner: Any) -> bool:
    """Whether building the state takes every rank: FSDP's weights, or a
    ``ZeroRedundancyOptimizer``'s state (consolidated on rank 0 by all)."""
    if _is_sharded(runner):
        return True
    if not getattr(runner, "distributed", False):
        return False
    from torch.distributed.optim import ZeroRedundancyOptimizer

    wrapper = runner.optim_wrapper
    wrappers = getattr(wrapper, "optim_wrappers", None)
    parts = wrappers.values() if isinstance(wrappers, Mapping) else [wrapper]
    return any(isinstance(getattr(w, "optimizer", w), ZeroRedundancyOptimizer) for w in parts)


def _built_schedulers(value: Any) -> bool:
    """Whether ``value`` is built schedulers as a checkpoint records them: a list, or a
    dict of lists (per optimizer), of objects with ``state_dict`` (no config among them)."""

    def built(group: Any) -> bool:
        return isinstance(group, (list, tuple)) and all(
            not isinstance(s, Mapping) and callable(getattr(s, "state_dict", None)) for s in group
        )

    if isinstance(value, Mapping):
        return "type" not in value and all(built(group) for group in value.values())
    return built(value)


def _device_weights_copier(
    pool: dict[Any, list[Any]], frozen: list[Mapping[str, Any]]
) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
    """``weights_to_host`` for an async save: a GPU model's weights copied to host memory
    before the hooks see them, as a synchronous save's ``weights_to_cpu`` does, but into
    the reused pinned buffers of ``pool`` (non-blocking, one wait) and noted in ``frozen``
    so the snapshot after the hooks does not copy them again. CPU weights stay as they
    are until that snapshot: what a hook changes in the model (in place) is saved, as in
    a synchronous save."""
    from ..checkpoint.background import snapshot

    def to_pinned(on_device: dict[str, Any]) -> Mapping[str, Any]:
        frozen.append(snapshot(on_device, pool))
        return frozen[-1]

    def to_host(weights: Mapping[str, Any]) -> Mapping[str, Any]:
        return _device_tensors_moved(weights, to_pinned)

    return to_host


def _as_is(weights: Mapping[str, Any]) -> Mapping[str, Any]:
    return weights


def _map_schedulers(schedulers: Any, fn: Any) -> Any:
    if isinstance(schedulers, Mapping):
        return {k: [fn(s) for s in v] for k, v in schedulers.items()}
    return [fn(s) for s in schedulers]


def save(
    runner: Any,
    loop: Any,
    path: Path | RemotePath,
    save_optimizer: bool,
    save_param_scheduler: bool,
    meta: Any,
    update_pointer: bool,
    fsync: bool = True,
    background: Any = None,
    after_write: Callable[[Path | RemotePath], object] | None = None,
    every_rank: bool = False,
) -> Path | RemotePath | None:
    """Build the checkpoint, save it atomically, then move the pointer (rank 0).

    ``before_save_checkpoint`` hooks run on rank 0 only, on the checkpoint it writes.
    ``every_rank`` (or ``update_pointer``: a checkpoint to resume from): every rank
    makes this call, and each rank's random streams and statistics are gathered into
    the file; otherwise (an export, MMEngine's arguments only) the call may come from
    rank 0 alone, as MMEngine's master-only save (other ranks return at once), except
    under FSDP or with a ZeroRedundancyOptimizer, whose full state every rank gathers.

    With ``background`` (a :class:`~runner_core.checkpoint.background.BackgroundWriter`)
    the state is copied to host memory here and written by the writer's
    thread; ``after_write`` runs after the file and the pointer are in place
    (in that thread when writing in the background).
    """
    from ..checkpoint import save_checkpoint, to_safe, write_pointer
    from ..checkpoint.background import recycle, snapshot, wait_for_writes
    from ..checkpoint.interrupts import hold_ctrl_c

    every_rank = every_rank or update_pointer
    if runner.rank != 0 and not every_rank and not _state_is_collective(runner):
        return None  # nothing to gather: MMEngine's master-only save
    wait_for_writes()  # one write at a time, in order: the pointer never moves backwards
    to_host: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    frozen_weights: list[Mapping[str, Any]] = []
    pool: dict[Any, list[Any]] = {}
    if runner.rank != 0 or _is_sharded(runner):
        # another rank's state is thrown away, and a sharded model's local weights are
        # replaced by the gathered full state: no copy of them to host memory
        to_host = _as_is
    elif background is not None:
        pool, background.buffers = background.buffers, {}
        to_host = _device_weights_copier(pool, frozen_weights)
    # every rank: gathering the state takes collectives (FSDP's full state, per-rank streams)
    ckpt = build_state(
        runner, loop, save_optimizer, save_param_scheduler, meta, to_host, every_rank
    )
    if runner.rank != 0:  # hooks see the checkpoint only where it is written, as in MMEngine
        return None
    runner.call_hook("before_save_checkpoint", checkpoint=ckpt)
    ckpt = to_safe(ckpt)  # numpy metrics in hook / message-hub state: the safe loader reads them
    _log_unsafe_once(runner, ckpt, path)
    _flush_records(runner)
    if background is None:
        _weights_on_cpu(ckpt)
        with hold_ctrl_c():  # a Ctrl-C here stops the run once file and pointer agree
            saved = save_checkpoint(ckpt, path, fsync=fsync, warn_unsafe=False)
            if update_pointer:  # only now: the pointer never names an incomplete file
                write_pointer(runner.work_dir, saved, fsync=fsync)
            if after_write is not None:
                after_write(saved)
        return saved
    frozen = snapshot(ckpt, pool, done=frozen_weights)  # the only part training waits for
    del ckpt, pool, frozen_weights, to_host  # buffers of another shape are freed
    work_dir = runner.work_dir

    def write() -> None:
        saved = save_checkpoint(
            frozen, path, fsync=fsync, should_stop=background.should_stop, warn_unsafe=False
        )
        if update_pointer:
            write_pointer(work_dir, saved, fsync=fsync)
        recycle(frozen, background.buffers)  # written: the next snapshot copies into them
        if after_write is not None:
            after_write(saved)

    background.submit(path, write)
    return path


def _log_unsafe_once(runner: Any, ckpt: Mapping[str, Any], path: Path | RemotePath) -> None:
    """Log that the run's first checkpoint holds objects the safe loader will refuse.

    In the run's log (a Python warning reached the console only), and for the first
    save only: every checkpoint of a run holds the same kind of hook state, and walking
    each (tens of ms for a large optimizer state) would stall every later save, on the
    training thread even when the writing is in the background.
    """
    from ..checkpoint import find_unsafe
    from ..checkpoint.atomic import unsafe_message

    state = runner.resume_state
    if state.unsafe_checked:
        return
    state.unsafe_checked = True
    unsafe = find_unsafe(ckpt)
    if unsafe:
        runner.logger.warning(
            "%s (Only the first checkpoint of a run is checked.)",
            unsafe_message(path, unsafe),
        )


def _weights_on_cpu(ckpt: dict[str, Any]) -> None:
    """Put device tensors a hook put in ``state_dict`` on the CPU (an EMAHook's average):
    a file's weights load anywhere, as ``weights_to_cpu`` promises for the model's own."""
    weights = ckpt.get("state_dict")
    if isinstance(weights, Mapping):
        ckpt["state_dict"] = _device_tensors_moved(
            weights, lambda on_device: {k: v.cpu() for k, v in on_device.items()}
        )


def _device_tensors_moved(
    weights: Mapping[str, Any], move: Callable[[dict[str, Any]], Mapping[str, Any]]
) -> Mapping[str, Any]:
    """``weights`` with its device tensors replaced by ``move(them)``, in a new OrderedDict
    that keeps ``_metadata`` (module versions); ``weights`` itself when none is on a device."""
    on_device = {k: v for k, v in weights.items() if not getattr(v, "is_cpu", True)}
    if not on_device:
        return weights
    moved: OrderedDict[str, Any] = OrderedDict(weights)
    moved.__dict__.update(getattr(weights, "__dict__", {}))
    moved.update(move(on_device))
    return moved


def _flush_records(runner: Any) -> None:
    """Put the scalar records logged so far on disk before a checkpoint covers them.

    A run killed after this save resumes after the checkpoint's iteration;
    records still in a backend's buffer would be lost for good (the resumed
    run does not log those iterations again).
    """
    flush = getattr(getattr(runner, "visualizer", None), "flush", None)
    if flush is None:
        return
    try:
        flush()
    except Exception as exc:  # a tracker's hiccup must not cost the checkpoint
        runner.logger.warning("Could not flush the visualizer before saving: %s", exc)


#: how a Runner's load options are spelled in load errors
_STRICT_HINT = (
    "Set load_cfg=dict(strict=False) (runner-cli: --cfg-options load_cfg.strict=False; or "
    "call runner.load_checkpoint(..., strict=False)) to load the matching keys only."
)
_REVISE_HINT = (
    "load_cfg=dict(revise_keys={rule}) (or runner.load_checkpoint(..., revise_keys={rule}))"
)


def load_weights(
    runner: Any,
    filename: str | Path,
    map_location: Any,
    strict: bool | None,
    revise_keys: Any,
    allow_pickle: bool | None = None,
) -> dict[str, Any]:
    from ..checkpoint import load_checkpoint, load_model_state
    from ..checkpoint.model_io import checkpoint_weights
    from .arg_checks import check_load_switches

    opts = runner.load_cfg
    if allow_pickle is None:
        allow_pickle = opts.get("allow_pickle")
    else:  # 'no' would unpickle: named as the argument it came in
        check_load_switches({"allow_pickle": allow_pickle}, where="runner.load_checkpoint's {key}")
    ckpt = load_checkpoint(filename, map_location=map_location, allow_pickle=bool(allow_pickle))
    # hooks see (and may rewrite) the checkpoint before it reaches the model, as in MMEngine
    runner.call_hook("after_load_checkpoint", checkpoint=ckpt)
    state = checkpoint_weights(ckpt)
    kwargs: dict[str, Any] = {
        "strict": bool(strict if strict is not None else opts.get("strict", False)),
        "logger": runner.logger,
        "strict_hint": _STRICT_HINT,
        "revise_hint": _REVISE_HINT,
    }
    if revise_keys is not None or "revise_keys" in opts:
        kwargs["revise_keys"] = revise_keys if revise_keys is not None else opts["revise_keys"]
    else:
        kwargs["revise_keys"] = _default_revise_keys(runner.unwrapped_model, state)
    if _is_sharded(runner):  # FSDP: every rank keeps its slice of the full weights
        from ..distributed.checkpoint import load_full_state_dicts

        load_full_state_dicts(runner.unwrapped_model, state, strict=kwargs["strict"])
        return ckpt
    load_model_state(runner.unwrapped_model, state, source=filename, **kwargs)  # logs its report
    runner.logger.info("Loaded weights from %s", filename)
    return ckpt


def _default_revise_keys(model: Any, state: Any) -> list[tuple[str, str]]:
    """MMEngine strips a ``module.`` prefix (DDP) by default; not when the model's own keys have it.

    A plain ``nn.Module`` trained through the adapter saves ``module.*`` keys:
    stripping them would make its own checkpoints unloadable.
    """
    import re

    strip = [(r"^module\.", "")]
    if not isinstance(state, Mapping):
        return strip
    own = set(model.state_dict())
    as_is = sum(1 for k in state if k in own)
    stripped = sum(1 for k in state if re.sub(r"^module\.", "", str(k)) in own)
    return [] if as_is >= stripped and as_is > 0 else strip


def find_resume_checkpoint(runner: Any) -> dict[str, Any] | None:
    """Load the checkpoint to resume from, or None (fresh start, with a warning)."""
    from ..checkpoint import load_checkpoint
    from ..checkpoint.background import wait_for_writes
    from ..checkpoint.find import _latest_with_bytes
    from ..checkpoint.storage import kept_for_load
    from .loading import may_map
    from .resume import MAPPED_ON_RESUME

    wait_for_writes()  # a save of this process still being written: resume sees it whole
    source = runner.resume_state.source
    path = None if source == AUTO else source
    verify, data = True, None
    if path is None:
        # verified while searching; a remote file's bytes are loaded, not downloaded again
        path, data = _latest_with_bytes(runner.work_dir)
        verify = False
        if path is None:
            _refuse_to_overwrite_damaged(runner.work_dir)
            fallback = runner.resume_state.fallback_weights
            if fallback is not None:  # loaded by the caller, as load_from is
                runner.logger.info(
                    "Nothing to resume in %s yet: training starts from the weights of "
                    "load_from=%r.",
                    runner.work_dir,
                    str(fallback),
                )
                return None
            runner.logger.warning(
                "Nothing to resume: %s holds no complete checkpoint, so training starts "
                "from scratch (resume=%r).",
                runner.work_dir,
                runner.resume_state.asked,
            )
            return None
    runner.logger.info("Resuming from %s", path)
    with kept_for_load(str(path), data):
        ckpt = load_checkpoint(
            path,
            map_location="cpu",
            allow_pickle=bool(runner.load_cfg.get("allow_pickle", False)),
            verify=verify,
            # the weights are mapped, not held twice; the optimizer state is read in
            # (all of it read: load_cfg=dict(mmap=False), or a hook of the user's own sees it)
            mmap=MAPPED_ON_RESUME if may_map(runner) else False,
        )
    del data  # the checkpoint's bytes: not held while the run goes on
    check_resume_structure(ckpt, str(path))
    meta = ckpt.setdefault("meta", {})
    meta["resumed_from"] = str(path)  # what hooks (EMAHook) and the loop report
    return ckpt


def _refuse_to_overwrite_damaged(work_dir: str | Path) -> None:
    """Stop a resume that found checkpoints but none complete, instead of starting over.

    Starting from scratch would train for hours before anyone read the
    warning, and would overwrite the damaged files (the evidence, and maybe
    repairable) with new ones of the same names.
    """
    import stat

    from ..checkpoint import CheckpointError, list_checkpoints, read_pointer
    from ..checkpoint.find import checkpoints_beside
    from ..checkpoint.paths import is_inside, same_file_in

    found = list_checkpoints(work_dir)
    target = read_pointer(work_dir)
    if target is not None:
        # a file of the work dir counts (one the run would overwrite): a pointer at a lone
        # file elsewhere (another run's, or no checkpoint at all) leaves nothing to protect
        own = target if is_inside(target, work_dir) else same_file_in(work_dir, target)
        try:
            regular = stat.S_ISREG(own.lstat().st_mode)
        except OSError:
            regular = False
        if regular and is_inside(own, work_dir) and own not in found:
            found.insert(0, own)
        # and the run's own naming (filename_tmpl, out_dir): files named like the target
        # beside it, which the run would overwrite as well; beside the target itself only
        # where the work dir has no copy of it (out_dir; not a copied work dir's original)
        for like in dict.fromkeys((own, own if regular else target)):
            found += [p for p in checkpoints_beside(like) if p not in found]
    if not found:
        return
    names = ", ".join(p.name for p in found[:5]) + (", ..." if len(found) > 5 else "")
    folders = dict.fromkeys([str(work_dir), *(str(p.parent) for p in found)])
    raise CheckpointError(
        f"resume=True but none of the {len(found)} checkpoint(s) in "
        f"{' and '.join(map(repr, folders))} is "
        f"complete ({names}; the warnings above give each one's fault), so there is nothing "
        "to resume from. Starting from scratch would overwrite them, so the run stops here. "
        "To start over, move them out of the work dir (or choose another work_dir); to "
        "resume from a file you trust, pass resume='<path>' (runner-cli train CONFIG "
        "--resume PATH)."
    )


#: what each part of a training checkpoint is, where present (``per_rank``: see below)
_PARTS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "meta": (Mapping, "a dict"),
    "state_dict": (Mapping, "a dict of tensors"),
    "optimizer": (Mapping, "a dict"),
    "param_schedulers": ((list, Mapping), "a list (or a dict of lists)"),
    "message_hub": (Mapping, "a dict"),
    "loop": (Mapping, "a dict"),
    "hooks": (Mapping, "a dict of hook states (dicts)"),
    "rng": (Mapping, "a dict of random-stream states"),
    "accumulated_grads": (Mapping, "a dict of tensors"),
    "optim_counts": ((int, Mapping), "an int (or a dict of ints, one per optim wrapper)"),
    "per_rank": (list, "a list of dicts, one per process"),
}


def _malformed(path: str, key: str, value: Any, expected: str) -> Exception:
    from ..checkpoint import CheckpointError

    what = "it" if key == "checkpoint" else f"its {key!r}"
    return CheckpointError(
        f"Cannot resume from {path!r}: {what} is {_kind(value)}, expected {expected}. "
        "The file loads but is not a training checkpoint as a run writes it (edited, or "
        "written by other code); resume from another checkpoint, or start from its weights "
        "with load_from (resume=False)."
    )


def _kind(value: Any) -> str:
    """``value`` described for an error: ``an int (5)``, ``None (or missing)``."""
    if value is None:
        return "None (or missing)"
    name, text = type(value).__name__, repr(value)
    article = "an" if name[0].lower() in "aeiou" else "a"
    return f"{article} {name} ({text[:40]}{'...' if len(text) > 40 else ''})"


def check_resume_structure(ckpt: Any, path: str) -> None:
    """Raise a ``CheckpointError`` naming the key when ``ckpt`` is not shaped like a
    training checkpoint (a dict of the parts :func:`build_state` writes), before any of it
    is used: a bare ``TypeError`` deep in the resume would name neither file nor key."""
    if not isinstance(ckpt, Mapping):
        raise _malformed(path, "checkpoint", ckpt, "a dict")
    for key, (kind, expected) in _PARTS.items():
        if key in ckpt and not isinstance(ckpt[key], kind):
            raise _malformed(path, key, ckpt[key], expected)
    for name, state in ckpt.get("hooks", {}).items():
        if not isinstance(state, Mapping):
            raise _malformed(path, f"hooks.{name}", state, "a dict (the hook's state)")
    counts = ckpt.get("optim_counts")
    for name, count in counts.items() if isinstance(counts, Mapping) else [("", counts)]:
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            raise _malformed(path, f"optim_counts.{name}".rstrip("."), count, "an int")
    meta, loop = ckpt.get("meta", {}), ckpt.get("loop", {})
    for where, part in (("loop", loop), ("meta", meta)):
        for key in ("epoch", "iter"):
            value = part.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise _malformed(path, f"{where}.{key}", value, "an int")
    ranks = ckpt.get("per_rank") or []
    for i, local in enumerate(ranks):
        if not isinstance(local, Mapping):
            raise _malformed(path, f"per_rank[{i}]", local, "a dict")
    places = [("", ckpt), *((f"per_rank[{i}].", r) for i, r in enumerate(ranks))]
    for where, local, name in [
        *((w, r, "rng") for w, r in places),
        *((w, r, "pass_rng") for w, r in places[1:]),
        ("loop.", loop, "pass_rng"),
    ]:
        rng = local.get(name)
        if rng is not None:
            from .randomness import rng_state_fault

            fault = rng_state_fault(rng)
            if fault is not None:
                key, value, expected = fault
                raise _malformed(path, f"{where}{name}.{key}".rstrip("."), value, expected)


def apply_resume(runner: Any, ckpt: dict[str, Any]) -> None:
    """Put a checkpoint's training state back into the built runner."""
    from ..checkpoint import load_model_state
    from ..checkpoint.plain_data import same_data

    path = str(ckpt.get("meta", {}).get("resumed_from", "<checkpoint>"))
    if "state_dict" not in ckpt:
        from ..checkpoint import CheckpointError

        # the file's own keys: not the 'meta' the resume added to record where it was from
        keys = [k for k in ckpt if not (k == "meta" and set(ckpt[k]) == {"resumed_from"})]
        shown = sorted(map(str, keys))
        listed = ", ".join(repr(k) for k in shown[:8]) + (", ..." if len(shown) > 8 else "")
        bare = bool(keys) and all(hasattr(ckpt[k], "shape") for k in keys)
        what = "it looks like a bare state_dict (parameter names)" if bare else "it has no "
        raise CheckpointError(
            f"Cannot resume from {path!r}: "
            + (what if bare else f"{what}'state_dict'")
            + f" (keys: {listed or 'none'}). Resume needs a training checkpoint; to start "
            "from bare weights use load_from without resume."
        )
    # hooks see (and may rewrite) the checkpoint first: EMAHook swaps its weights back
    runner.call_hook("after_load_checkpoint", checkpoint=ckpt)
    position = _resume_position(ckpt, path)  # as a hook left meta.epoch / meta.iter
    _check_fit(runner, ckpt, path)  # before the model, optimizer or schedulers are restored
    if _is_sharded(runner):  # FSDP: every rank keeps its slice of the full state
        from ..distributed.checkpoint import load_full_state

        load_full_state(runner, ckpt, strict=bool(runner.load_cfg.get("strict", False)))
    else:
        # non-strict by default, as MMEngine: what does not fit is reported as a warning.
        # Keys load as saved (less a DDP prefix, as MMEngine's resume): load_cfg's revise_keys
        # are written for load_from's foreign weights, and would misplace the run's own ones.
        load_model_state(
            runner.unwrapped_model,
            ckpt["state_dict"],
            strict=bool(runner.load_cfg.get("strict", False)),
            logger=runner.logger,
            source=path,
            strict_hint="Set load_cfg=dict(strict=False) to load the matching keys only.",
            revise_hint=(
                "load_from=<this file> with load_cfg=dict(revise_keys={rule}) and resume=False "
                "(a resume loads keys as saved), to start from these weights"
            ),
        )
        wanted = runner.resume_state.resume_optimizer
        if wanted and "optimizer" in ckpt and runner.optim_wrapper is not None:
            runner.optim_wrapper.load_state_dict(ckpt["optimizer"])
        elif wanted and runner.optim_wrapper is not None:  # MMEngine: KeyError('optimizer')
            runner.logger.warning(
                "%s holds no optimizer state (saved with save_optimizer=False, or a best "
                "checkpoint written by MMEngine): the optimizer starts afresh, at the "
                "config's starting learning rate (not the schedule's at this point), without "
                "its momentum or adaptive moments, while the counters go on. Resume from a "
                "checkpoint that has it, or start a new schedule with load_from.",
                path,
            )
    wanted = runner.resume_state.resume_param_scheduler
    if wanted and "param_schedulers" in ckpt and runner.param_schedulers:
        _load_schedulers(runner, runner.param_schedulers, ckpt["param_schedulers"], path)
    if "message_hub" in ckpt:
        runner.message_hub.load_state_dict(ckpt["message_hub"])
    loop = runner.train_loop
    meta = ckpt.get("meta", {})
    saved_meta, current_meta = meta.get("dataset_meta"), _train_dataset_meta(runner, loop)
    if (
        saved_meta is not None
        and current_meta is not None
        and not same_data(saved_meta, current_meta)
    ):
        runner.logger.warning(
            "The dataset metainfo of %s differs from the current training dataset's "
            "(e.g. other class names): check that this is the run you meant to resume.",
            path,
        )
    loop.load_state_dict(position)
    _warn_if_seeding_changed(runner, loop, ckpt.get("batch_seeding"), path)
    restore_hook_states(runner, ckpt.get("hooks", {}), path, meta.get("hook_types"))
    runner.resume_state.optim_counts = ckpt.get("optim_counts")
    local = _rank_local_state(runner, ckpt, path)
    statistics = local.get("running_stats") if local is not ckpt else None
    if statistics and not _is_sharded(runner):  # this rank's own, not rank 0's
        _restore_running_statistics(runner.unwrapped_model, statistics)
    grads = local.get("accumulated_grads")
    # our checkpoints carry an open window's gradients: one without them had its windows
    # closed (the run's last, shorter one too, at its end), so nothing was lost
    ours = (
        ckpt.get("optim_counts") is not None
        and not meta.get("accumulation_dropped")
        and not _is_sharded(runner)
    )
    runner.resume_state.carried_grads = bool(grads) or ours
    if grads:
        _restore_grads(runner, grads, path)
    # training's random streams come back at the moment that matches the checkpoint
    # a loader that cannot start mid-pass draws the interrupted pass's order under these
    pass_rng = local.get("pass_rng") if local is not ckpt else position.get("pass_rng")
    runner.resume_state.hand_over(
        local.get("rng"), runner.hooks, is_mid_epoch(position), pass_rng=pass_rng
    )
    runner.logger.info(
        "Resumed after %d completed epochs, %d iterations", runner.epoch, runner.iter
    )
    _say_if_finished(runner, path)


def _resume_position(ckpt: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """Where the checkpoint's run stopped: its ``loop`` state (ours), else ``meta``'s epoch
    and iter (MMEngine's; every checkpoint a run writes has both). Without them it is
    refused, as MMEngine's resume fails (KeyError): counting from 0 would rerun the
    schedule silently, and an iteration count guessed from epochs is wrong as soon as
    the loader's length, batch size or number of processes changed."""
    loop = ckpt.get("loop")
    if loop:
        return loop
    meta = ckpt.get("meta", {})
    missing = [key for key in ("epoch", "iter") if meta.get(key) is None]
    if not missing:
        return {"epoch": int(meta["epoch"]), "iter": int(meta["iter"])}
    from ..checkpoint import CheckpointKeyError

    has = [f"'{k}' ({meta[k]!r})" for k in ("epoch", "iter") if k not in missing]
    if set(meta) <= {"resumed_from"}:  # the resume's own entry: the file has no meta
        what = "it has no 'meta'"
    elif has:
        what = f"its 'meta' has {has[0]} but no {missing[0]!r}"
    else:
        what = "its 'meta' has neither 'epoch' nor 'iter'"
    raise CheckpointKeyError(
        f"Cannot resume from {path!r}: {what}, so how far its run trained is unknown "
        "(a run's checkpoints record meta.epoch and meta.iter); counting from 0 would "
        "train its schedule again. Resume from a checkpoint the run saved, or take only "
        f"the weights with load_from={path!r} (resume=False)."
    )


def _say_if_finished(runner: Any, path: str) -> None:
    """A resume of a run that had reached its end trains nothing: say so, and how to go on."""
    try:
        max_epochs, max_iters = runner.max_epochs, runner.max_iters
    except Exception:  # no training loop (a resume for val/test): nothing to compare
        return
    # every loop counts its iterations to max_iters; an iteration-based one's max_epochs is
    # a placeholder (1, as MMEngine's), which an epoch checkpoint resumed into it exceeds
    if not (isinstance(max_iters, int) and 0 < max_iters <= runner.iter):
        return
    if isinstance(max_epochs, int) and 0 < max_epochs <= runner.epoch:
        done, limit = f"{runner.epoch} of max_epochs={max_epochs}", "max_epochs"
    else:
        done, limit = f"{runner.iter} of max_iters={max_iters}", "max_iters"
    runner.logger.info(
        "%s is the end of the run (%s): training has nothing left to do. Raise %s in "
        "train_cfg to train on from it.",
        Path(path).name,
        done,
        limit,
    )


def _batch_seeding(loop: Any) -> dict[str, Any] | None:
    """How the train loop's loader seeds its batches (``batch_seeding``), None without one."""
    loader = getattr(loop, "dataloader", None)
    if loader is None or isinstance(loader, Mapping):
        return None
    from ..data.dataloader import batch_seeding

    return batch_seeding(loader)


def _warn_if_seeding_changed(runner: Any, loop: Any, saved: Any, path: str) -> None:
    """Warn when the train loader seeds its batches otherwise than the saving run's did
    (``saved``, the checkpoint's ``batch_seeding``; see ``seeding_changed``); a checkpoint
    without the record (older) is quiet."""
    loader = getattr(loop, "dataloader", None)
    if not isinstance(saved, Mapping) or loader is None or isinstance(loader, Mapping):
        return
    from ..data.dataloader import seeding_changed

    change = seeding_changed(saved, loader, "train_dataloader")
    if change is not None:
        runner.logger.warning("Resuming from %s: %s", path, change)


def _rank_local_state(runner: Any, ckpt: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """This rank's random streams and accumulated gradients from ``ckpt``.

    A checkpoint from a multi-process run carries every rank's (``per_rank``);
    resumed with the same number of processes, each rank takes its own. With
    another number (or in one process) rank 0's apply, and the warning says
    what else differs from the saving run.
    """
    per_rank = ckpt.get("per_rank")
    world = getattr(runner, "world_size", 1)
    if per_rank and len(per_rank) == world:
        return per_rank[getattr(runner, "rank", 0)]
    loop_state = ckpt.get("loop")
    if per_rank:
        saved = len(per_rank)
    elif isinstance(loop_state, Mapping):  # ours: per_rank is written by 2+ processes only
        saved = int(loop_state.get("world_size", 1))
    else:
        # MMEngine's checkpoints (and others without ``per_rank`` / ``loop``) do not
        # record how many processes wrote them: do not claim a number
        if world > 1:
            runner.logger.warning(
                "%s does not record how many processes saved it (an MMEngine "
                "checkpoint?); random streams come from it for every rank, so the run "
                "is not bit-exact.",
                path,
            )
        return ckpt
    if saved != world:
        runner.logger.warning(
            "%s was saved by %d process(es) and is resumed by %d. Random streams and "
            "unfinished gradient accumulation come from rank 0, so the run is not "
            "bit-exact. An interrupted epoch (or data pass) goes on from the samples all "
            "%d process(es) had consumed, its rest split among the %d now (a sampler "
            "without set_global_start restarts it instead). runner.iter goes on counting "
            "iterations of either size, so "
            "iteration-based schedules and intervals no longer match epochs. The learning "
            "rate keeps the saving run's auto_scale_lr scaling (for its batch size x %d "
            "process(es)).",
            path,
            saved,
            world,
            saved,
            world,
            saved,
        )
    return ckpt


def _check_fit(runner: Any, ckpt: Mapping[str, Any], path: str) -> None:
    """Refuse optimizer / scheduler states written for another configuration (see resume_fit)."""
    from .resume_fit import check_optimizer_fits, check_schedulers_fit

    wanted = runner.resume_state
    if wanted.resume_param_scheduler and "param_schedulers" in ckpt and runner.param_schedulers:
        saved_types = ckpt.get("meta", {}).get("param_scheduler_types")
        check_schedulers_fit(runner.param_schedulers, ckpt["param_schedulers"], saved_types, path)
    has_optimizer = "optimizer" in ckpt and runner.optim_wrapper is not None
    if wanted.resume_optimizer and has_optimizer and not _is_sharded(runner):
        check_optimizer_fits(runner, ckpt["optimizer"], path)


def _load_schedulers(runner: Any, schedulers: Any, states: Any, path: str) -> None:
    if isinstance(schedulers, Mapping):
        pairs = [
            (f"param_scheduler[{key!r}][{i}]", s, st)
            for key, group in schedulers.items()
            for i, (s, st) in enumerate(zip(group, states[key]))
        ]
    else:
        pairs = [
            (f"param_scheduler[{i}]", s, st) for i, (s, st) in enumerate(zip(schedulers, states))
        ]
    for where, scheduler, state in pairs:
        _warn_unit_switch(runner, where, scheduler, state, path)
        resume_from = getattr(scheduler, "resume_from", None)
        if resume_from is None:  # a third-party scheduler: its own state, whole
            scheduler.load_state_dict(state)
            continue
        kept = resume_from(state)
        length = kept.pop("_epoch_length", None)
        if length is not None:
            runner.logger.warning(
                "%s (%s) converts epochs to iterations, and an epoch is now %d iterations "
                "(%d in %s): its progress is converted to the new length and the schedule "
                "(milestones, begin, end) is this run's, built for it; runner.iter goes on "
                "counting iterations of either size.",
                where,
                type(scheduler).__name__,
                length[1],
                length[0],
                path,
            )
        elif kept:
            changes = ", ".join(f"{k} {old!r} -> {new!r}" for k, (old, new) in kept.items())
            runner.logger.warning(
                "%s (%s) has no configured end, so it follows the run's length, which "
                "changed since the checkpoint: %s. The schedule continues from step %s "
                "with these values; set its end in the config to keep a fixed schedule.",
                where,
                type(scheduler).__name__,
                changes,
                getattr(scheduler, "last_step", "?"),
            )


def _warn_unit_switch(runner: Any, where: str, scheduler: Any, state: Any, path: str) -> None:
    """Warn when a scheduler counted epochs in the checkpoint and iterations now, or back.

    Its saved progress is a count of the old unit, taken as a count of the new
    one: 2 epochs become 2 iterations, so a milestone set in iterations
    comes that much later (or never, in a short run).
    """
    saved = state.get("by_epoch") if isinstance(state, Mapping) else None
    now = getattr(scheduler, "by_epoch", None)
    if not isinstance(saved, bool) or not isinstance(now, bool) or saved == now:
        return
    unit = {True: "epochs", False: "iterations"}
    runner.logger.warning(
        "%s (%s) counted %s in %s (by_epoch=%s) and counts %s now (by_epoch=%s): its saved "
        "progress (%s %s) is taken as %s, so the schedule is not where the run is. Resume "
        "with the scheduler's by_epoch as saved, or start from the weights with "
        "load_from=%r and resume=False.",
        where,
        type(scheduler).__name__,
        unit[saved],
        path,
        saved,
        unit[now],
        now,
        state.get("_global_step", "?"),
        unit[saved],
        unit[now],
        path,
    )
