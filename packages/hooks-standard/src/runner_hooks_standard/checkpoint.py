"""CheckpointHook: periodic, best and final checkpoints that never leave the folder broken.

MMEngine's options and file names, with a safe order of operations. Every
save goes through ``runner.save_checkpoint`` (atomic: temp file, fsync,
rename), then the ``last_checkpoint`` pointer is updated, and only then are
old files deleted; a crash at any moment leaves the pointer on a complete
checkpoint. Best checkpoints keep the optimizer and scheduler state, so
training can resume from them. The hook's own bookkeeping (best scores, the
files it keeps) is stored in every checkpoint and restored on resume.

Hook states that change during validation (best scores, early-stopping
counters) belong to the checkpoint of the same progress point: when a
validation right after a periodic save changes any hook's state, that
checkpoint is written again (atomically) so resuming from it does not forget
the validation.

With ``async_save=True`` a save copies the state to host memory and returns;
a background thread writes the file, then the pointer, then prunes, in that
order (see :mod:`runner_core.checkpoint.background`).

``out_dir='s3://bucket/exp'`` (or ``backend_args`` naming a backend) saves
through a storage backend registered with ``runner_core.fileio.register_backend``,
as MMEngine's hook does: each file goes through the backend's ``put``, the
``last_checkpoint`` pointer stays in the local work dir holding the URL,
and old and replaced best files go through its ``remove``, after the new
file is in place (see :mod:`runner_core.checkpoint.storage`).

Over 500 lines on purpose: the periodic, best, re-save and resume
bookkeeping share state that has to change together around each save; the
pieces without that state live in ``checkpoint_rules`` (which score is best),
``checkpoint_progress`` (hook states and the validation schedule) and
``checkpoint_files`` (deleting and publishing files).
"""

from __future__ import annotations

import math
import numbers
import operator
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

from runner_core.checkpoint.remote import url_scheme
from runner_core.checkpoint.save_options import checkpoint_save_options
from runner_core.checkpoint.storage import RemotePath, names_storage_backend, remember_storage
from runner_core.contract import RunnerAPI
from runner_core.errors import (
    HookAssertionError,
    HookAssertionTypeError,
    HookError,
    HookKeyError,
    HookTypeError,
    did_you_mean,
)
from runner_core.hooks import Hook, Priority, copies_checkpoint
from runner_core.logging.log_processor import as_number

from .checkpoint_files import (
    DEFAULT_TEMPLATES,
    best_name,
    is_own_name,
    lock_out_dir,
    publish,
    remove_checkpoint,
    remove_remote_checkpoint,
    saved_at,
    step_of,
)
from .checkpoint_progress import (
    by_epoch_loop,
    forget_validation,
    hook_states,
    record_validation,
    same_state,
    scheduler_states,
    validation_due,
    validation_recorded,
)
from .checkpoint_rules import DEFAULT_GREATER_KEYS, DEFAULT_LESS_KEYS, best_summary, infer_rule

if TYPE_CHECKING:
    from runner_core.checkpoint import BackgroundWriter

__all__ = [
    "DEFAULT_GREATER_KEYS",
    "DEFAULT_LESS_KEYS",
    "CheckpointHook",
    "best_summary",
    "infer_rule",
]

_RULES = ("greater", "less")
#: an info key the message hub did not hold (put back as absent when a save fails)
_MISSING: Any = object()


def _as_str_list(value: Any, name: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not all(isinstance(v, str) for v in items):
        raise HookAssertionTypeError(  # MMEngine asserts these
            f"CheckpointHook: {name} must be a string or a list of strings, got {value!r}."
        )
    return list(items)


def _check_filename_tmpl(tmpl: Any) -> None:
    """Any ``str.format`` template of one number, as MMEngine takes (``'epoch_{:03d}.pth'``),
    whose names stay inside the run's folder (MMEngine also takes ``'../x_{}.pth'``)."""
    try:
        names = {tmpl.format(1), tmpl.format(2)}
    except (AttributeError, IndexError, KeyError, ValueError) as exc:
        raise HookError(
            f"CheckpointHook: filename_tmpl={tmpl!r} is not a str.format template of one "
            f"number ({type(exc).__name__}: {exc}); write e.g. 'ckpt_{{}}.pth' or "
            "'epoch_{:03d}.pth'."
        ) from None
    if len(names) < 2:
        raise HookError(
            f"CheckpointHook: filename_tmpl={tmpl!r} has no '{{}}' field for the "
            "epoch/iteration number, so every checkpoint would get the same name; write "
            "e.g. 'ckpt_{}.pth' or 'epoch_{:03d}.pth'."
        )
    for name in sorted(names):
        fault = _path_fault(name)
        if fault:
            raise HookError(
                f"CheckpointHook: filename_tmpl={tmpl!r} makes names like {name!r}: {fault}. "
                "A checkpoint name is a file name, optionally below a subfolder "
                "of the run's folder ('ckpts/epoch_{}.pth'); to save into another folder, "
                "pass CheckpointHook(out_dir=...)."
            )


def _path_fault(name: str) -> str | None:
    """Why a checkpoint name would leave the run's folder or break its records, or None.

    Outside the folder, pruning cannot delete the files (it deletes only
    inside the run's folders) and the disk fills; a control character makes
    the ``last_checkpoint`` pointer unreadable, so a resume starts over.
    """
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "a control character (a line break, a tab) would make the pointer unreadable"
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute():
        return "an absolute path leads outside the run's folder"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "'..' leads outside the run's folder"
    return None


class CheckpointHook(Hook):
    """Save checkpoints periodically, the best ones, and the last one.

    The positional parameters are MMEngine's, in its order (``interval`` ...
    ``save_begin``), so a subclass calling ``super().__init__`` positionally binds them
    as in MMEngine; ``fsync`` and ``async_save`` are keyword-only. MMEngine's
    ``**kwargs``, which it passes on to ``runner.save_checkpoint`` (that takes none
    besides those the hook sets, so any fails at the first save), is left out: the
    signature stays named, so an unknown argument is a ``TypeError`` here and a config
    check names it with a suggestion (``max_keep_ckpt`` -> ``max_keep_ckpts``).

    Args:
        interval: save every ``interval`` epochs (``by_epoch``) or iterations;
            ``-1`` saves only the last one (with ``save_last``).
        by_epoch: count ``interval`` in epochs (``epoch_N.pth``) or iterations
            (``iter_N.pth``). An iteration-based run is one epoch (as in
            MMEngine), so there ``by_epoch=True`` saves only the final
            checkpoint (``iter_N.pth``, with a warning): set ``by_epoch=False``
            to save every ``interval`` iterations.
        save_optimizer, save_param_scheduler: include those states.
        out_dir: save into ``out_dir/<basename of work_dir>`` instead of the work dir
            (locked for the run as the work dir is: one run saves there at a time). A
            URL (``'s3://bucket/exp'``) saves through the storage backend registered for
            its prefix (not locked: a remote folder has no lock).
        max_keep_ckpts: keep only the newest N periodic checkpoints (``-1``: all). Only
            files saved while a limit is in force count: a limit set when resuming a run
            that had none never deletes that run's files (as in MMEngine). A preemption
            stop's ``iter_N.pth`` (saved under a limit, in this hook's folder) counts too
            once a run resumes from it, so a job requeued again and again keeps N files.
        save_last: also save at the end of training (last epoch/iteration, or
            an early stop).
        save_best: a metric key, a list of keys, or ``'auto'`` (the first
            metric); keeps ``best_{key}_{epoch|iter}_{N}.pth`` per key (with
            ``filename_tmpl``: ``best_{key}_`` and that name, every ``/`` made ``_``).
        rule: ``'greater'`` / ``'less'`` (or a list, one per key); inferred
            from the key name when None.
        greater_keys, less_keys: substrings used for that inference (replace
            MMEngine's defaults).
        filename_tmpl: a ``str.format`` template of the number, e.g. ``'ckpt_{}.pth'`` or
            ``'epoch_{:03d}.pth'``; default ``epoch_{}.pth`` / ``iter_{}.pth``. A name
            inside the run's folder (a subfolder is fine): no absolute path, ``..`` or
            control character (use ``out_dir`` for another folder).
        published_keys: after training, write ``<name>-<sha256[:8]>.pth``
            copies of the last and best checkpoints with only these keys.
        save_begin: the first epoch/iteration saved, then every ``interval`` after it.
        fsync: flush each checkpoint to disk before it counts as saved
            (durable against power loss; costs a disk flush per save).
        async_save: write checkpoints in a background thread; training waits
            only while the state is copied to host memory (one extra copy
            of the state in RAM, kept for the run and reused by each save). At most one
            write runs at a time; a failed write is raised at the next hook
            point; the run's end waits for the write. With a remote ``out_dir`` the
            thread also serialises the file in memory and uploads it.
        backend_args, file_client_args: MMEngine's storage options for ``out_dir``:
            ``backend_args=dict(backend=<name>, ...)`` picks a backend registered with
            ``register_backend`` (and its constructor's arguments); ``file_client_args``,
            MMEngine's older spelling, one registered with ``FileClient.register_backend``.
            Naming a backend other than the local disk needs an ``out_dir`` URL, which
            ``last_checkpoint`` then names. ``resume=True`` reads that URL through a
            backend built with these same arguments (endpoint, credentials): from the
            hook's construction on (for a config, from its checks on), URLs below
            ``out_dir`` are read with them, ``resume='<URL>'`` and ``load_from`` too.
            Elsewhere (``load_checkpoint(url)`` in another script) a URL is read
            through the backend registered for its prefix, so the named backend must
            be that one: register it with ``prefixes='<scheme>'``.
    """

    priority: int | str = Priority.VERY_LOW

    def __init__(
        self,
        interval: int = -1,
        by_epoch: bool = True,
        save_optimizer: bool = True,
        save_param_scheduler: bool = True,
        out_dir: str | os.PathLike[str] | None = None,
        max_keep_ckpts: int = -1,
        save_last: bool = True,
        save_best: str | Sequence[str] | None = None,
        rule: str | Sequence[str] | None = None,
        greater_keys: str | Sequence[str] | None = None,
        less_keys: str | Sequence[str] | None = None,
        file_client_args: Mapping[str, Any] | None = None,
        filename_tmpl: str | None = None,
        backend_args: Mapping[str, Any] | None = None,
        published_keys: str | Sequence[str] | None = None,
        save_begin: int = 0,
        *,  # ours, after MMEngine's positional order (interval ... save_begin)
        fsync: bool = True,
        async_save: bool = False,
    ) -> None:
        if out_dir is not None and not isinstance(out_dir, (str, os.PathLike)):
            raise HookTypeError(  # MMEngine fails joining it with a path: a TypeError
                f"CheckpointHook: out_dir must be a folder path or URL (a string) or None, got "
                f"{out_dir!r}; e.g. default_hooks=dict(checkpoint=dict(out_dir='/shared/ckpts'))."
            )
        self._check_storage(out_dir, backend_args, file_client_args)
        self.backend_args = backend_args
        self.file_client_args = file_client_args
        if out_dir is not None and url_scheme(out_dir) is not None:
            # a resume looks for its checkpoint before before_run: read the URLs below
            # out_dir through these arguments from now on (no backend is built here)
            remember_storage(out_dir, file_client_args, backend_args)
        if isinstance(interval, bool) or not isinstance(interval, int) or interval == 0:
            # a TypeError for a non-int (interval='1'), as MMEngine's comparison raises
            wrong_type = isinstance(interval, bool) or not isinstance(interval, int)
            raise (HookTypeError if wrong_type else HookError)(
                f"CheckpointHook: interval must be a positive int (or -1 to save only the last "
                f"checkpoint), got {interval!r}."
            )
        if isinstance(save_begin, bool) or not isinstance(save_begin, int) or save_begin < 0:
            raise HookError(f"CheckpointHook: save_begin must be an int >= 0, got {save_begin!r}.")
        if filename_tmpl is not None:
            _check_filename_tmpl(filename_tmpl)
        self.interval = interval
        self.by_epoch = bool(by_epoch)
        self.save_optimizer = bool(save_optimizer)
        self.save_param_scheduler = bool(save_param_scheduler)
        self.out_dir_arg = out_dir
        from runner_core.value_checks import check_number

        self.max_keep_ckpts = check_number(
            max_keep_ckpts,
            "CheckpointHook max_keep_ckpts",
            integer=True,
            example="max_keep_ckpts=3 (-1 keeps all)",
        )
        self.save_last = bool(save_last)
        self.save_begin = save_begin
        self.fsync = bool(fsync)
        self.async_save = bool(async_save)
        self._writer: BackgroundWriter | None = None
        self.filename_tmpl = filename_tmpl
        self.greater_keys = (
            _as_str_list(greater_keys, "greater_keys")
            if greater_keys is not None
            else list(DEFAULT_GREATER_KEYS)
        )
        self.less_keys = (
            _as_str_list(less_keys, "less_keys")
            if less_keys is not None
            else list(DEFAULT_LESS_KEYS)
        )
        self.published_keys = (
            _as_str_list(published_keys, "published_keys") if published_keys is not None else None
        )
        self.save_best = _as_str_list(save_best, "save_best") if save_best is not None else []
        if "auto" in self.save_best and len(self.save_best) > 1:
            raise HookAssertionError(  # MMEngine asserts
                "CheckpointHook: save_best='auto' cannot be combined with other keys."
            )
        twice = sorted({key for key in self.save_best if self.save_best.count(key) > 1})
        if twice:  # the second rule would be dropped unseen
            raise HookAssertionError(  # MMEngine asserts
                f"CheckpointHook: save_best={self.save_best!r} names {twice[0]!r} twice (Find "
                "duplicate element in save_best); name each metric once."
            )
        self.rules = self._resolve_rules(self.save_best, rule)

        #: the run's checkpoint folder, set by before_run: a local Path, or a RemotePath
        #: (the URL, with the storage backend that serves it) for a remote out_dir
        self.out_dir: Path | RemotePath | None = None
        self._out_dir_hold: Any = None  # out_dir's lock, when other runs may save there too
        self._training = False
        self._metrics: dict[str, Any] | None = None
        self._in_val = False  # between before_val and after_val
        self._warned_no_metrics = False
        self._warned_no_after_val = False
        self._last_saved_at: tuple[int, int] | None = None  # (epoch, iter) of the newest save
        #: the file saved at ``_last_saved_at``: this hook's newest, or the file resumed from
        #: (a preemption stop's, saved by the Runner between this hook's saves)
        self._saved_file: str | None = None
        self._states_at_save: Any = None
        self._schedulers_at_save: Any = None
        self._dropping: list[str] = []  # old files to delete once the current save is complete
        # path -> how state_dict records it: every save records every kept file, so without
        # this a run that keeps all its checkpoints pays per save for all earlier ones
        self._recorded: dict[str, str] = {}
        self._validated: tuple[int, int] | None = None  # progress of the last validation seen
        self._resumed = False
        self._own_save = False  # set while this hook's own save runs
        self._warned_not_taken = False  # an override of save_checkpoint skipped ours
        # the resumed checkpoint was saved by another while the limit was in force, and
        # (its meta says) by a preemption stop: see _adopt_resumed_file
        self._adopt_resumed = False
        self._resumed_preempted = False
        # state kept in checkpoints
        self.best_score: dict[str, float] = {}
        self.best_ckpt: dict[str, str] = {}
        #: key -> ("epoch" | "iter", N): the progress point each best file was saved at
        self.best_at: dict[str, tuple[str, int]] = {}
        self.kept_ckpts: list[str] = []
        self.last_ckpt: str | None = None

    # -- MMEngine's names for the best files ------------------------------------------
    @property
    def best_ckpt_path(self) -> str | None:
        """The best checkpoint's absolute path (None before the first), with one ``save_best`` key.

        MMEngine's attribute, read e.g. as ``runner.load_checkpoint(hook.best_ckpt_path)``;
        restored on resume, the same on every rank. Read-only: ``best_ckpt`` is the record.
        """
        if len(self.save_best) != 1:
            raise AttributeError(self._no_best_attribute("best_ckpt_path"))
        key = self._auto_key if self.save_best == ["auto"] else self.save_best[0]
        return (self.best_ckpt.get(key) or None) if key is not None else None

    @property
    def best_ckpt_path_dict(self) -> dict[str, str | None]:
        """``{key: absolute path or None}`` with several ``save_best`` keys (MMEngine's attribute).

        A new dict on each read: changing it changes nothing in the hook.
        """
        if len(self.save_best) < 2:
            raise AttributeError(self._no_best_attribute("best_ckpt_path_dict"))
        return {key: self.best_ckpt.get(key) or None for key in self.save_best}

    @property
    def key_indicators(self) -> list[str]:
        """MMEngine's list of the tracked metric keys: ``save_best`` as a list, ``['auto']``
        until ``'auto'`` has picked the first metric, then that metric's key.

        A new list on each read: changing it changes nothing in the hook.
        """
        if not self.save_best:
            raise AttributeError(self._no_best_attribute("key_indicators"))
        if self.save_best == ["auto"] and self._auto_key is not None:
            return [self._auto_key]
        return list(self.save_best)

    @property
    def is_better_than(self) -> dict[str, Callable[[Any, Any], Any]]:
        """MMEngine's ``{key: comparison}``: ``operator.gt`` for rule ``'greater'``,
        ``operator.lt`` for ``'less'`` (keys whose rule is not known yet are left out).

        A new dict on each read: the hook compares by ``rules`` itself.
        """
        if not self.save_best:
            raise AttributeError(self._no_best_attribute("is_better_than"))
        return {
            key: operator.gt if rule == "greater" else operator.lt
            for key, rule in zip(self.key_indicators, self.rules)
            if rule is not None
        }

    def _no_best_attribute(self, name: str) -> str:
        if not self.save_best:
            return f"CheckpointHook has no {name}: it keeps no best checkpoint (save_best=None)."
        other = "best_ckpt_path_dict" if name == "best_ckpt_path" else "best_ckpt_path"
        return (
            f"CheckpointHook has no {name} with save_best={self.save_best!r}: read {other} "
            "instead (best_ckpt_path for one key, best_ckpt_path_dict for several), as in MMEngine."
        )

    # -- construction checks -------------------------------------------------------
    @staticmethod
    def _check_storage(
        out_dir: Any, backend_args: Mapping[str, Any] | None, file_client_args: Any
    ) -> None:
        """A backend named for a local out_dir is refused: the pointer would name a local path.

        ``last_checkpoint`` holds the checkpoint's location and a resume reads
        a plain path from the local disk, so a checkpoint saved through another
        backend must be named by a URL (MMEngine saves there and its resume
        then fails to find the file). Whether the URL's prefix is served by the
        named backend is checked when the run starts (:meth:`_check_resume_reads`).
        """
        if backend_args is not None and file_client_args is not None:  # MMEngine: ValueError
            raise HookError(
                'CheckpointHook: "file_client_args" and "backend_args" cannot be set at the '
                "same time; keep backend_args (file_client_args is MMEngine's deprecated "
                "spelling)."
            )
        for name, args in (("backend_args", backend_args), ("file_client_args", file_client_args)):
            if args is None:
                continue
            if not isinstance(args, Mapping):
                raise HookTypeError(
                    f"CheckpointHook({name}={args!r}): expected a dict such as "
                    "dict(backend='mys3'), or None."
                )
            if names_storage_backend(args, name) and (
                out_dir is None or url_scheme(out_dir) is None
            ):
                raise HookError(
                    f"CheckpointHook({name}={dict(args)!r}) with out_dir={out_dir!r}: "
                    "checkpoints saved through a storage backend need an out_dir URL "
                    "(out_dir='s3://bucket/exp'), which the 'last_checkpoint' pointer names "
                    "and resume=True reads back through the backend registered for the URL's "
                    "prefix; with a local out_dir a resume would look for the files on the "
                    "local disk. Give out_dir as a URL of a prefix that backend is registered "
                    f"for, or drop {name} to save to the local disk."
                )

    def _resolve_rules(self, keys: list[str], rule: Any) -> list[str | None]:
        if rule is None:
            rules: list[Any] = [None] * len(keys)
        else:
            if not isinstance(rule, (str, Sequence)):
                raise HookAssertionTypeError(  # MMEngine asserts
                    f"CheckpointHook: rule must be 'greater', 'less' or a list of them (one per "
                    f"save_best key), got {rule!r}."
                )
            rules = [rule] if isinstance(rule, str) else list(rule)
            if len(rules) == 1:  # one rule for every key, as MMEngine applies it
                rules *= len(keys)
            elif len(rules) != len(keys):  # MMEngine asserts this
                raise HookAssertionError(
                    f"CheckpointHook: rule={rule!r} has {len(rules)} entries but save_best="
                    f"{keys!r} has {len(keys)} keys; give one rule per key, or a single one "
                    "for them all."
                )
        resolved: list[str | None] = []
        for key, r in zip(keys, rules):
            if r is not None and r not in _RULES:  # a KeyError, as in MMEngine
                raise HookKeyError(
                    f"CheckpointHook: rule {r!r} for save_best key {key!r} must be 'greater' or "
                    f"'less'.{did_you_mean(str(r), _RULES)}"
                )
            if r is None and key != "auto":
                r = infer_rule(key, self.greater_keys, self.less_keys)
                both = [k for k in self.less_keys if k.lower() in key.lower()]
                if r == "greater" and both and key not in self.greater_keys:
                    import warnings

                    from runner_core.errors import stacklevel_outside_runner_core

                    warnings.warn(  # 'accuracy/loss': MMEngine's inference says greater
                        f"CheckpointHook(save_best={key!r}) ranks a higher value as better: "
                        f"the name holds a greater key and also {both[0]!r}, a less key, and "
                        "the greater keys win (as in MMEngine). Pass rule='less' if a lower "
                        f"{key!r} is better, or rule='greater' to say so.",
                        stacklevel=stacklevel_outside_runner_core(also=os.path.dirname(__file__)),
                    )
                if r is None:
                    raise HookError(
                        f"CheckpointHook cannot tell whether a larger {key!r} is better: the name "
                        f"contains none of greater_keys={self.greater_keys} or less_keys="
                        f"{self.less_keys}. Pass rule='greater' or rule='less'."
                    )
            resolved.append(r)
        return resolved

    # -- hook state (kept in checkpoints) ----------------------------------------
    def state_dict(self) -> dict[str, Any]:
        # paths relative to the work dir: a copied work dir names its own files
        rec = self._record
        state: dict[str, Any] = {"kept_ckpts": [rec(p) for p in self.kept_ckpts]}
        if self._dropping:  # deleted right after this save; a resume finishes the job
            state["dropping"] = [rec(p) for p in self._dropping]
        if self.last_ckpt is not None:
            state["last_ckpt"] = rec(self.last_ckpt)
        if self.best_score:
            state["best_score"] = dict(self.best_score)
            state["best_ckpt"] = {k: rec(v) if v else v for k, v in self.best_ckpt.items()}
            if self.best_at:
                state["best_at"] = {k: list(v) for k, v in self.best_at.items()}
        if self.save_best == ["auto"] and self.rules[0] is not None:
            state["auto"] = {"key": self._auto_key, "rule": self.rules[0]}
        if self._validated is not None:
            state["validated"] = list(self._validated)
        if self.max_keep_ckpts > 0 and not self._own_save:
            # saved by another (a preemption stop's iter_N.pth) while the limit was in force:
            # a resume from that file counts it among the kept ones (_adopt_resumed_file)
            state["kept_when_resumed"] = True
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the hook's records; a file name that is not one of the hook's own is dropped.

        The records name files the hook deletes later (pruning, a replaced
        best file), and the state may come from a checkpoint passed from
        elsewhere: only names the hook itself could have written (see
        :func:`~.checkpoint_files.is_own_name`) are kept, the rest is ignored
        with one warning.
        """
        ignored: list[str] = []

        def own(text: Any, best_key: str | None = None) -> str | None:
            path = self._resolve(text) if isinstance(text, str) and text else None
            if path is not None and self._is_own_file(path, best_key):
                return path
            ignored.append(repr(text))
            return None

        kept = [own(p) for p in _state_list(state, "kept_ckpts")]
        dropping = [own(p) for p in _state_list(state, "dropping")]
        self.kept_ckpts = [p for p in kept if p is not None]
        self._dropping = [p for p in dropping if p is not None]
        last = state.get("last_ckpt")
        self.last_ckpt = own(last) if last else None
        self.best_score = {k: float(v) for k, v in _state_dict(state, "best_score").items()}
        self.best_ckpt = {
            k: (own(v, str(k)) or "") if v else ""
            for k, v in _state_dict(state, "best_ckpt").items()
        }
        self.best_at = {
            str(k): (str(v[0]), int(v[1])) for k, v in _state_dict(state, "best_at").items()
        }
        if ignored:
            self._warn_ignored(list(dict.fromkeys(ignored)))
        validated = state.get("validated")
        self._validated = (int(validated[0]), int(validated[1])) if validated else None
        self._adopt_resumed = bool(state.get("kept_when_resumed"))
        self._resumed = True
        auto = state.get("auto")
        if auto and self.save_best == ["auto"]:
            self._auto_key, self.rules = auto["key"], [auto["rule"]]

    _auto_key: str | None = None
    _work_dir: Path | None = None
    _logger: Any = None  # the run's, from before_run: load_state_dict has no runner

    def _record(self, path: str) -> str:
        if self._work_dir is None or isinstance(self.out_dir, RemotePath):
            return str(path)  # a URL is recorded as it stands (as MMEngine records it)
        recorded = self._recorded.get(path)
        if recorded is None:
            from runner_core.checkpoint.paths import record_path

            recorded = self._recorded[path] = record_path(path, self._work_dir)
        return recorded

    def _resolve(self, text: Any) -> str:
        """A recorded path as this run's file (a foreign absolute path: same name, own folder)."""
        if self._work_dir is None:
            return str(text)
        out_dir = self.out_dir
        if isinstance(out_dir, RemotePath):
            if url_scheme(text) is not None:  # another folder's URL: the same name in ours
                inside = out_dir.relative_name(str(text)) is not None
                return str(text) if inside else str(out_dir.joinpath(str(text).rsplit("/", 1)[-1]))
            out_dir = None  # a local record (a local run's checkpoint): below the work dir
        from runner_core.checkpoint.paths import resolve_recorded

        return str(resolve_recorded(str(text), self._work_dir, out_dir))

    def _templates(self) -> list[str]:
        """The names this hook gives its periodic checkpoints (``filename_tmpl``, else the
        defaults it may meet: ``epoch_{}.pth``, ``iter_{}.pth``)."""
        return [self.filename_tmpl] if self.filename_tmpl else list(DEFAULT_TEMPLATES)

    def _check_pointer_writable(self, runner: RunnerAPI) -> None:
        """A folder where ``last_checkpoint`` goes fails the first save, after a whole epoch:
        said before training instead."""
        import errno

        from runner_core.checkpoint import CheckpointWriteError
        from runner_core.checkpoint.find import POINTER_NAME

        pointer = Path(runner.work_dir) / POINTER_NAME
        if pointer.is_dir():
            reason = os.strerror(errno.EISDIR)
            raise CheckpointWriteError(
                f"CheckpointHook: cannot write the pointer {str(pointer)!r}: [Errno "
                f"{errno.EISDIR}] {reason}. Training has not gone on; move that folder away "
                "(last_checkpoint names the checkpoint a resume starts from).",
                errno.EISDIR,
                reason,
                str(pointer),
            )

    def _warn_earlier_run(self, runner: RunnerAPI) -> None:
        """A run starting from scratch where an earlier run left checkpoints (the pointer
        names one): say that its saves will replace same-named files (MMEngine is silent)."""
        from runner_core.checkpoint.find import POINTER_NAME

        pointer = Path(runner.work_dir) / POINTER_NAME
        if isinstance(self.out_dir, RemotePath) or self.out_dir is None or not pointer.exists():
            return
        templates = self._templates()
        try:
            names = sorted(
                (p.name for p in self.out_dir.iterdir() if is_own_name(p.name, templates)),
                key=lambda name: (len(name), name),  # epoch_2 before epoch_10
            )
        except OSError:
            return
        if not names:
            return
        shown = _first_few(names, 6)
        runner.logger.warning(
            "%s holds checkpoints of an earlier run (%s) and this run starts from scratch "
            "(no resume): its saves replace same-named files and %s. To continue that run, "
            "set resume=True (runner-cli train --resume); to keep it, give this run another "
            "work_dir.",
            self.out_dir,
            shown,
            POINTER_NAME,
        )

    def _warn_later_files(self, runner: RunnerAPI) -> None:
        """Resumed from a checkpoint older than others in the folder (``resume=<path>``):
        those belong to the run that went on from there. Same-named saves replace them;
        the rest (a best checkpoint above all) would pass for this run's (MMEngine is
        silent)."""
        if isinstance(self.out_dir, RemotePath) or self.out_dir is None:
            return
        templates = self._templates()
        # the folder, and the subfolders a filename_tmpl ('ckpts/epoch_{}.pth') saves in
        folders = {PurePosixPath(t).parent.as_posix() for t in templates} | {"."}
        names = []
        for folder in sorted(folders):
            try:
                entries = (self.out_dir / folder).iterdir()
                names += [(PurePosixPath(folder) / p.name).as_posix() for p in entries]
            except OSError:
                continue
        later = []
        for name in names:
            found = saved_at(name, templates)
            if found is None:
                continue
            template, step = found
            by_epoch = template.startswith("epoch_") if not self.filename_tmpl else self.by_epoch
            if step > (runner.epoch if by_epoch else runner.iter):
                later.append(name)
        if not later:
            return
        later.sort(key=lambda name: (len(name), name))
        runner.logger.warning(
            "Resumed at %s %d, but %s holds checkpoints saved after that (%s): they come "
            "from the run that went on from there (or was interrupted later). This run's "
            "saves replace same-named files as it reaches them; the others (a best "
            "checkpoint among them) stay and are not this run's: delete or move them if "
            "they could be taken for its own.",
            "epoch" if self.by_epoch else "iteration",
            runner.epoch if self.by_epoch else runner.iter,
            self.out_dir,
            _first_few(later, 6),
        )

    def _is_own_file(self, path: str, best_key: str | None) -> bool:
        """``path`` lies in the checkpoint folder, named as this hook names its checkpoints."""
        if self.out_dir is None:  # loaded outside a run: no folder to check against (a run
            return True  # calls before_run, which sets it, before it resumes)
        templates = self._templates()
        if isinstance(self.out_dir, RemotePath):
            inside = self.out_dir.relative_name(path)
            return inside is not None and is_own_name(inside, templates, best_key)
        target = Path(path)
        try:
            name = (Path(os.path.realpath(target.parent)) / target.name).relative_to(
                os.path.realpath(self.out_dir)
            )
        except ValueError:
            return False
        return is_own_name(name.as_posix(), templates, best_key)

    def _warn_ignored(self, entries: list[str]) -> None:
        shown = _first_few(entries, 10)
        tmpl = " / ".join(map(repr, self._templates()))
        message = (
            f"CheckpointHook: ignoring {shown} in the resumed checkpoint's hook state: not a "
            f"checkpoint this hook writes (a file in {str(self.out_dir)!r} named by "
            f"filename_tmpl {tmpl}, or best_<key>_<that name>), so it is never deleted "
            "or replaced. Delete old checkpoints of another naming yourself."
        )
        if self._logger is not None:
            self._logger.warning(message)
        else:
            import warnings

            warnings.warn(message, stacklevel=3)

    def _own_folders(self) -> list[Path]:
        return [p for p in (self._work_dir, self.out_dir) if isinstance(p, Path)]

    def _location(self, filename: str) -> str:
        """Where this hook's file ``filename`` goes: an absolute path, or a URL."""
        assert self.out_dir is not None, "before_run sets out_dir"
        if isinstance(self.out_dir, RemotePath):
            return str(self.out_dir.joinpath(filename))
        return str((self.out_dir / filename).absolute())

    def _file(self, path: str) -> Path | RemotePath:
        """A recorded location as the object that reads and writes it."""
        if isinstance(self.out_dir, RemotePath):
            return RemotePath(path, self.out_dir.backend)
        return Path(path)

    def _remove(self, runner: RunnerAPI, path: str) -> bool:
        """Delete a file this hook wrote and no longer keeps (never one of another run)."""
        target = self._file(path)
        if isinstance(target, RemotePath):
            assert isinstance(self.out_dir, RemotePath), "_file makes a RemotePath only then"
            return remove_remote_checkpoint(target, runner, self.out_dir)
        return remove_checkpoint(target, runner, self._own_folders())

    # -- hook points ------------------------------------------------------------------
    def before_run(self, runner: RunnerAPI) -> None:
        work_dir = Path(runner.work_dir)
        self._work_dir = work_dir.absolute()
        self._logger = runner.logger
        self._recorded = {}
        if self.out_dir_arg is None:
            self.out_dir = work_dir
        else:
            self.out_dir = self._out_dir_in(work_dir)
        if self.async_save:
            from runner_core.checkpoint import BackgroundWriter

            self._writer = BackgroundWriter()
        if runner.rank == 0:
            from runner_core.checkpoint import cleanup_orphaned_temp_files

            if isinstance(self.out_dir, RemotePath):  # nothing to create or lock there
                removed = cleanup_orphaned_temp_files(work_dir)  # the pointer's temp file
            else:
                try:
                    self.out_dir.mkdir(parents=True, exist_ok=True)
                except OSError as exc:  # a file there, no permission, a read-only disk
                    from runner_core.checkpoint.errors import write_error

                    given = "out_dir" if self.out_dir != work_dir else "work_dir"
                    raise write_error(
                        f"CheckpointHook: cannot create the checkpoint folder {str(self.out_dir)!r}",
                        exc,
                        str(self.out_dir),
                        f"Nothing was trained yet; give {given}= a folder this run can create.",
                    ) from exc
                shared = self.out_dir.resolve() != work_dir.resolve()
                if shared:  # other runs may save there: take its lock before touching it
                    self._out_dir_hold = lock_out_dir(
                        self.out_dir, work_dir, owner=self, hold=self._out_dir_hold
                    )
                removed = cleanup_orphaned_temp_files(self.out_dir)
                # a filename_tmpl with a subfolder ('ckpts/epoch_{}.pth') saves there
                sub = Path(self._template.format(0)).parent
                if sub != Path("."):
                    removed += cleanup_orphaned_temp_files(self.out_dir / sub)
                if shared:
                    removed += cleanup_orphaned_temp_files(work_dir)
            if removed:
                runner.logger.info(
                    "Removed %d temp file(s) left by an interrupted save: %s",
                    len(removed),
                    ", ".join(p.name for p in removed),
                )

    def _out_dir_in(self, work_dir: Path) -> Path | RemotePath:
        """``out_dir/<name of the work dir>``: a local folder, or a URL on its storage backend."""
        from runner_core.checkpoint.storage import save_target_in

        assert self.out_dir_arg is not None
        out_dir = save_target_in(
            self.out_dir_arg,
            work_dir.resolve().name,
            self.file_client_args,
            self.backend_args,
            call=f"CheckpointHook(out_dir={os.fspath(self.out_dir_arg)!r})",
        )
        if isinstance(out_dir, RemotePath):
            self._check_resume_reads(out_dir)
        return out_dir

    def _check_resume_reads(self, out_dir: RemotePath) -> None:
        """Refuse a backend named in ``backend_args`` / ``file_client_args`` that does not
        serve ``out_dir``'s prefix: outside this run (``load_checkpoint(url)`` in another
        script) a checkpoint URL is read through the backend registered for the prefix,
        which would not find what this one saved. (This run reads through this hook's
        arguments: see :func:`runner_core.checkpoint.storage.remember_storage`.)"""
        from runner_core.checkpoint.errors import CheckpointError
        from runner_core.checkpoint.storage import load_source, storage_args, storage_of

        kind, args = storage_args(self.file_client_args, self.backend_args)
        if not names_storage_backend(args, kind):
            return  # chosen by the prefix: the same backend reads it back
        assert args is not None
        saver = type(storage_of(out_dir.backend))
        try:
            reader: type | None = type(load_source(str(out_dir), by_prefix=True).backend)
        except CheckpointError:  # no backend serves the prefix
            reader = None
        if reader is saver:
            return
        scheme = url_scheme(out_dir)
        name = args.get("backend") or saver.__name__
        served = f"{reader.__name__} is" if reader else "none is"
        replace = f" (force=True to replace {reader.__name__})" if reader else ""
        raise HookError(
            f"CheckpointHook(out_dir={os.fspath(self.out_dir_arg or '')!r}, {kind}="
            f"{dict(args)!r}) saves through storage backend {saver.__name__}, but outside "
            f"this run (load_checkpoint(url) in another script) {scheme}:// URLs are read "
            f"through the backend registered for that prefix ({served} registered for it), "
            "which would not find these checkpoints. Register "
            f"{name!r} with prefixes={scheme!r}: runner_core.fileio.register_backend("
            f"{name!r}, {saver.__name__}, prefixes={scheme!r}){replace}; or drop {kind} to "
            f"save through the backend registered for {scheme}://."
        )

    @copies_checkpoint  # reads it, copies into the model: the file may be mapped
    def after_load_checkpoint(self, runner: RunnerAPI, checkpoint: dict) -> None:
        """A resumed checkpoint with EMA state and no EMAHook to take it: warn (see
        :func:`~.ema.warn_unused_ema_state`). Note whether a preemption stop saved it, and
        publish MMEngine's ``last_ckpt``."""
        from .ema import warn_unused_ema_state

        meta = checkpoint.get("meta")
        self._resumed_preempted = isinstance(meta, Mapping) and bool(meta.get("preempted"))
        source = meta.get("resumed_from") if isinstance(meta, Mapping) else None
        if isinstance(source, str) and source:
            # MMEngine's checkpoints carry MMEngine's info key (ours leave the absolute path
            # out): hooks reading it after a resume find the file resumed from (a checkpoint
            # MMEngine wrote puts its own value back as the hub loads)
            path = source if url_scheme(source) else str(Path(source).absolute())
            runner.message_hub.update_info("last_ckpt", path, resumed=False)

        warn_unused_ema_state(runner, checkpoint)

    def before_train(self, runner: RunnerAPI) -> None:
        self._check_writer()
        self._training = True
        self._in_val = self._warned_no_metrics = self._warned_no_after_val = False
        runner.logger.info("Checkpoints will be saved to %s.", self.out_dir)  # MMEngine's line
        if not self._resumed and not self.best_score and not self.kept_ckpts:
            self._take_over_mmengine_record(runner)
        if runner.rank == 0:
            self._check_pointer_writable(runner)
        if not self._resumed and runner.iter == 0 and runner.rank == 0:
            self._warn_earlier_run(runner)
        if self._resumed and runner.rank == 0:
            self._warn_later_files(runner)
        if self._resumed:
            self._resumed = False
            hub = runner.message_hub
            if self._adopt_resumed_file(runner):
                # the resumed file is the newest and the pointer names it: prune the
                # kept files beyond the limit now, not at the next periodic save (a job
                # stopped again before that save would pile them up)
                drop, self.kept_ckpts = self._over_limit(self.kept_ckpts)
                if runner.rank == 0:
                    for old in drop:
                        self._remove(runner, old)
                hub.update_info("keep_ckpt_ids", self._kept_ids())
            if self.max_keep_ckpts > 0 and hub.get_info("keep_ckpt_ids") is None:
                # a checkpoint saved before it was recorded there
                hub.update_info("keep_ckpt_ids", self._kept_ids())
            # the checkpoint resumed from is this progress point's save
            self._last_saved_at = self._progress(runner)
            resumed = runner.resume_state.resumed_from
            self._saved_file = str(resumed) if resumed else self.last_ckpt
            self._states_at_save = hook_states(runner, self)
            self._schedulers_at_save = scheduler_states(runner)
            # once every hook has had its before_train: hooks of lower priority (early
            # stopping) must see that validation with their own set-up done
            runner.hooks.after_point(lambda: self._validate_missed(runner))
        if self._dropping and runner.rank == 0:  # the run died between a save and its pruning
            for old in self._dropping:
                if old not in self.kept_ckpts:
                    self._remove(runner, old)
        self._dropping = []
        loop = runner.train_loop
        if self.by_epoch and getattr(loop, "by_epoch", True) is False:
            # the whole run is one epoch, as in MMEngine: only its end is saved (reading the
            # interval as iterations would write a checkpoint per iteration with the default 1)
            runner.logger.warning(
                "CheckpointHook(by_epoch=True) with an iteration-based train loop (%s): the run "
                "is one epoch, so only the final checkpoint is saved. Set "
                "default_hooks=dict(checkpoint=dict(by_epoch=False, interval=N)) to save every "
                "N iterations.",
                type(loop).__name__,
            )
            self.by_epoch = False
            self.interval = -1

    def after_train_epoch(self, runner: RunnerAPI) -> None:
        self._check_writer()
        if not self.by_epoch:
            return
        done = runner.epoch + 1
        periodic = (
            self.interval > 0
            and done >= self.save_begin  # MMEngine: save_begin itself is saved
            and (done - self.save_begin) % self.interval == 0
        )
        last = self.save_last and done == runner.max_epochs
        if periodic or last:
            self._save_progress(runner, at="after_train_epoch")

    def idle_points(self, runner: RunnerAPI) -> Collection[str]:
        """Saving by epoch without a background writer: nothing to do per iteration."""
        return ("after_train_iter",) if self.by_epoch and self._writer is None else ()

    def after_train_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        if self._writer is not None:
            self._writer.check()  # a failed background save stops the run here
        if self.by_epoch:
            return
        done = runner.iter + 1
        periodic = (
            self.interval > 0
            and done >= self.save_begin  # MMEngine: save_begin itself is saved
            and (done - self.save_begin) % self.interval == 0
        )
        last = self.save_last and done == runner.max_iters
        if periodic or last:
            self._save_progress(runner, at="after_train_iter")

    def before_val(self, runner: RunnerAPI) -> None:
        self._in_val = True  # an after_val follows: the best file is written there

    def after_val_epoch(self, runner: RunnerAPI, metrics: dict[str, Any] | None = None) -> None:
        self._check_writer()
        if not self._training:
            return
        if self._metrics is not None:  # the last validation's after_val never came
            self._say_no_after_val(runner)
        self._metrics = dict(metrics or {})
        if self.save_best and not metrics and not self._warned_no_metrics:
            self._warned_no_metrics = True
            given = "an empty dict" if metrics is not None else "not given"
            runner.logger.warning(  # MMEngine's line (it warns at each validation)
                "Since `metrics` is %s, the behavior to save the best checkpoint will be "
                "skipped in this evaluation (said once per run).",
                given,
            )
        if not self._in_val:
            # a val loop of one's own that calls no before_val/after_val (as the guide writes
            # one): do after_val's work once every hook has seen this point, at the same
            # progress point, so the best file holds their updated states all the same
            runner.hooks.after_point(lambda: self.after_val(runner))

    def _say_no_after_val(self, runner: RunnerAPI) -> None:
        """A val loop calling before_val but no after_val: its best files are never written
        (after_val writes them); say it once, and what to call."""
        if self.save_best and not self._warned_no_after_val:
            self._warned_no_after_val = True
            runner.logger.warning(
                "The validation loop called before_val but not after_val, where CheckpointHook "
                "writes the best checkpoint (save_best=%r): none was written for that "
                "validation. Call runner.call_hook('after_val') at the end of the loop's run() "
                "(or call neither, as MMEngine's guide writes such a loop).",
                self.save_best,
            )

    def after_val(self, runner: RunnerAPI) -> None:
        """Best checkpoints, then re-save the progress checkpoint if validation changed hook states."""
        self._in_val = False
        if not self._training:
            return
        metrics, self._metrics = self._metrics, None
        progress = self._validated = self._progress(runner)
        if self.save_best and metrics:  # empty: skipped, as MMEngine (after_val_epoch warned)
            self._save_best(runner, metrics)
        if self._last_saved_at == progress and self.last_ckpt is not None:
            saved_file = self._file_saved_last()  # the file saved at this point
            assert saved_file is not None  # last_ckpt is not None
            changed = not same_state(self._states_at_save, hook_states(runner, self))
            from runner_core.distributed import broadcast_object, get_world_size

            if get_world_size() > 1:  # rank 0's states are the file's: every rank saves or none
                changed = bool(broadcast_object(changed))
            if changed:
                name = self._filename(runner)  # a preemption stop's file is not the hook's
                again = " again" if Path(saved_file).name == name else ""
                runner.logger.info(
                    "Saving %s%s: validation updated the best score or other hook state, "
                    "and a resume from this checkpoint needs it.",
                    name,
                    again,
                )
                self._save_progress(runner, again=True)
            elif (
                runner.rank == 0
                and self._work_dir is not None
                and same_state(self._schedulers_at_save, scheduler_states(runner))
            ):
                # nothing to rewrite: note the validation so a resume does not repeat it (one
                # that moved a scheduler is repeated instead, and moves it the same way)
                # with what it published: a resume that skips it puts them back, and its
                # line in the visualizer's files must outlive a kill, as the record does
                flush = getattr(getattr(runner, "visualizer", None), "flush", None)
                if callable(flush):
                    flush()
                record_validation(
                    self._work_dir,
                    saved_file,
                    progress,
                    self.fsync,
                    _published_scalars(runner, metrics),
                )

    def after_train(self, runner: RunnerAPI) -> None:
        # stopped early, or the last step was not on schedule. A save at the last iteration
        # (by_epoch=False in an epoch loop) is not repeated after the epoch's end: a resume
        # from it replays that end, as from any checkpoint saved at an epoch's last batch
        # A run stopped before its first iteration (a hook's before_train) has nothing to
        # save: MMEngine writes no file then, and an epoch_0.pth would become the pointer's
        saved, trained = self._last_saved_at, self._progress(runner)[1]
        if self.save_last and trained > 0 and (saved is None or saved[1] != trained):
            self._save_progress(runner)
        if self._metrics is not None:  # the last validation's after_val never came
            self._say_no_after_val(runner)
            self._metrics = None
        self._training = False
        for key, score in self.best_score.items():
            path, at = self.best_ckpt.get(key), self.best_at.get(key)
            runner.logger.info(best_summary(key, score, path, runner.work_dir, at))
        if self.published_keys is not None and runner.rank == 0:
            self._wait_writer()  # publishing reads the files back
            # MMEngine publishes the last checkpoint only with save_last=True
            targets = [self.last_ckpt if self.save_last else None, *self.best_ckpt.values()]
            for path in dict.fromkeys(p for p in targets if p):
                publish(runner, self._file(path), self.published_keys, self.fsync)

    def after_run(self, runner: RunnerAPI) -> None:
        self._wait_writer()  # the last checkpoint exists when train() returns
        if self._out_dir_hold is not None:  # (a failed call releases it as it ends)
            self._out_dir_hold.release()

    def _check_writer(self) -> None:
        if self._writer is not None:
            self._writer.check()

    def _wait_writer(self) -> None:
        if self._writer is not None:
            self._writer.wait()

    # -- resuming an MMEngine checkpoint ------------------------------------------------------
    def _take_over_mmengine_record(self, runner: RunnerAPI) -> None:
        """Resumed from a checkpoint without this hook's state: take over MMEngine's record.

        MMEngine's CheckpointHook keeps its record in the message hub's runtime
        info (``best_score``/``best_ckpt``, ``_<key>`` appended with several
        keys, and ``keep_ckpt_ids``), which a resume restores. Without it a
        worse score would become "best so far". File names pass the rules of
        :meth:`load_state_dict` (this hook's names, in this run's folder), so a
        loaded checkpoint never makes the hook delete a file it did not write.
        """
        hub = runner.message_hub
        taken: list[str] = []
        ignored: list[str] = []
        keys = [] if self.save_best == ["auto"] else self.save_best
        for key in keys:
            suffix = "" if len(keys) == 1 else f"_{key}"
            found = self._mmengine_best(hub, suffix, key, ignored)
            if found is not None:
                taken.append(self._adopt_best(hub, key, suffix, *found))
        if self.save_best == ["auto"]:  # the key is the first metric: known at the validation
            self._mmengine_auto = self._mmengine_best(hub, "", None, ignored)
            if self._mmengine_auto is not None:
                taken.append(f"best_score {self._mmengine_auto[0]:.4f} (for save_best='auto')")
        ids = hub.get_info("keep_ckpt_ids")
        if self.max_keep_ckpts > 0 and isinstance(ids, Sequence) and not isinstance(ids, str):
            for n in ids:
                if isinstance(n, int) and not isinstance(n, bool):
                    path = self._location(self._template.format(n))
                    if self._is_own_file(path, None):
                        self.kept_ckpts.append(path)
            if self.kept_ckpts:
                shown = ", ".join(Path(p).name for p in self.kept_ckpts)
                taken.append(f"kept checkpoints {shown} (pruned by max_keep_ckpts)")
        if ignored:
            self._warn_ignored(list(dict.fromkeys(ignored)))
        if taken:
            runner.logger.info(
                "CheckpointHook: the resumed checkpoint has no state of this hook; took over "
                "MMEngine's record from its message hub: %s.",
                "; ".join(taken),
            )

    def _mmengine_best(
        self, hub: Any, suffix: str, key: str | None, ignored: list[str]
    ) -> tuple[float, str | None] | None:
        """MMEngine's best score and best file (None: not this hook's) for one key, or None."""
        score = hub.get_info(f"best_score{suffix}")
        if isinstance(score, bool) or not isinstance(score, int | float):
            return None
        text = hub.get_info(f"best_ckpt{suffix}")
        path = self._resolve(text) if isinstance(text, str) and text else None
        if key is not None and path is not None and not self._is_own_file(path, key):
            ignored.append(repr(text))
            path = None
        return float(score), path

    def _adopt_best(self, hub: Any, key: str, suffix: str, score: float, path: str | None) -> str:
        self.best_score[key], self.best_ckpt[key] = score, path or ""
        hub.update_info(f"best_score/{key}", score)
        if path:  # as this hook records it (MMEngine's is the old work dir's absolute path)
            hub.update_info(f"best_ckpt{suffix}", self._record(path))
        return f"best {key} {score:.4f}" + (f" ({Path(path).name})" if path else "")

    _mmengine_auto: tuple[float, str | None] | None = None

    # -- best tracking across interrupts -----------------------------------------------------
    def _validate_missed(self, runner: Any) -> None:
        """Resumed from a checkpoint saved just before its validation: run that validation now.

        The run that wrote it stopped (Ctrl-C, a kill) before the validation's
        results were recorded; skipping it would lose what the validation
        changes: the best score (a worse later one would become "best so
        far"), early stopping's count, a ``ReduceOnPlateauLR`` cut.
        """
        if runner.val_loop is None:
            return
        progress = self._progress(runner)
        if progress == (0, 0) or progress == self._validated:
            return
        # resumed from another work dir: its record is beside the file this train() resumed
        resumed = runner.resume_state.resumed_from
        recorded = (
            self._work_dir is not None
            and validation_recorded(self._work_dir, self._file_saved_last(), progress)
        ) or (
            resumed is not None
            and url_scheme(resumed) is None  # a URL's record is in this work dir, checked above
            and validation_recorded(Path(resumed).parent, resumed, progress)
        )
        from runner_core.distributed import broadcast_object, get_world_size

        if get_world_size() > 1:  # rank 0's files decide: a rank alone in a validation hangs
            recorded = broadcast_object(recorded or None)
        if recorded:
            self._validated = progress  # as the run that validated it marked it
            # put back what the skipped validation published, as if it had run here
            scalars = recorded.get("scalars", {}) if isinstance(recorded, dict) else {}
            for key, value in scalars.items():
                runner.message_hub.update_scalar(key, value)
            return
        if not validation_due(runner, progress):
            return
        kind, n = ("epoch", progress[0]) if by_epoch_loop(runner) else ("iteration", progress[1])
        runner.logger.info(
            "Resumed at the end of %s %d, whose validation result was not recorded: "
            "validating it now.",
            kind,
            n,
        )
        runner.run_validation()

    # -- saving -----------------------------------------------------------------------------
    _at: str | None = None  # the point saving now ("after_train_epoch"/"_iter"): see _progress

    def _progress(self, runner: RunnerAPI) -> tuple[int, int]:
        """(epochs, iterations) completed, as the file name and ``meta`` count them.

        A loop without a position of its own (``state_dict()`` empty, as a
        custom loop on BaseLoop) is read from ``runner.epoch``/``runner.iter``,
        which count the epoch (iteration) under way as not done until after
        ``after_train_epoch`` (``after_train_iter``): there MMEngine adds one.
        """
        state = runner.train_loop.state_dict() if hasattr(runner.train_loop, "state_dict") else {}
        at = self._at
        epoch = runner.epoch + 1 if at == "after_train_epoch" else runner.epoch
        iters = runner.iter + 1 if at == "after_train_iter" else runner.iter
        return int(state.get("epoch", epoch)), int(state.get("iter", iters))

    @property
    def _template(self) -> str:
        """The name template of this hook's progress checkpoints (``epoch_{}.pth`` by default)."""
        return self.filename_tmpl or DEFAULT_TEMPLATES[0 if self.by_epoch else 1]

    def _filename(self, runner: RunnerAPI) -> str:
        epoch, iters = self._progress(runner)
        return self._template.format(epoch if self.by_epoch else iters)

    def _save(
        self,
        runner: RunnerAPI,
        filename: str,
        update_pointer: bool,
        after_write: Callable[[Path | RemotePath], object] | None = None,
    ) -> Path | RemotePath | None:
        """Save now, or (``async_save``) snapshot now and write in the background.

        ``after_write`` (pruning, deleting a replaced best file) runs on rank 0
        once the file and the pointer are complete, in the writer's thread
        when saving in the background.
        """
        assert self.out_dir is not None, "before_run sets out_dir"
        epoch, iters = self._progress(runner)
        remote = isinstance(self.out_dir, RemotePath)
        self._own_save = True
        # the options MMEngine's signature lacks go around the call: a Runner subclass
        # overriding save_checkpoint with MMEngine's arguments works as in MMEngine
        options = checkpoint_save_options(
            update_pointer=update_pointer,
            fsync=self.fsync,
            background=self._writer,
            after_write=after_write,
            every_rank=True,  # the hook saves on every rank: each rank's streams are kept
        )
        try:
            with options as given:
                saved = runner.save_checkpoint(
                    self.out_dir,
                    filename,
                    self.file_client_args if remote else None,
                    backend_args=self.backend_args if remote else None,
                    save_optimizer=self.save_optimizer,
                    save_param_scheduler=self.save_param_scheduler,
                    meta={"epoch": epoch, "iter": iters},  # what the file name counts
                )
            if not given.taken:
                self._warn_options_not_taken(runner)
            return saved
        finally:
            self._own_save = False

    def _warn_options_not_taken(self, runner: RunnerAPI) -> None:
        """An override of ``save_checkpoint`` that saved without ``Runner.save_checkpoint``
        left the pointer and pruning undone: said once (MMEngine's hook does both itself)."""
        if self._warned_not_taken:
            return
        self._warned_not_taken = True
        runner.logger.warning(
            "%s.save_checkpoint saved without calling Runner.save_checkpoint (super()), so "
            "CheckpointHook could not point last_checkpoint at the new file, prune old ones "
            "(max_keep_ckpts) or save in the background: a resume finds the file only by "
            "scanning the work dir (not an out_dir elsewhere). Call "
            "super().save_checkpoint(...) in the override.",
            type(runner).__name__,
        )

    def _save_progress(self, runner: RunnerAPI, again: bool = False, at: str | None = None) -> None:
        self._at = at
        try:
            self._save_progress_now(runner, again)
        finally:
            self._at = None

    def _save_progress_now(self, runner: RunnerAPI, again: bool) -> None:
        filename = self._filename(runner)
        if not again:  # MMEngine's line
            epoch, iters = self._progress(runner)
            done = f"{epoch} epochs" if self.by_epoch else f"{iters} iterations"
            runner.logger.info("Saving checkpoint at %s", done)
        path = self._location(filename)
        old_kept, old_last = list(self.kept_ckpts), self.last_ckpt
        # files are recorded for pruning only while a limit is in force (as MMEngine's
        # keep_ckpt_ids): a limit set at a later resume never deletes those saved without one
        kept = list(self.kept_ckpts)
        drop: list[str] = []
        if self.max_keep_ckpts > 0:
            drop, kept = self._over_limit([p for p in kept if p != path] + [path])
        # the state this checkpoint records is the state after it is saved
        self.kept_ckpts, self.last_ckpt, self._dropping = kept, path, drop
        hub = runner.message_hub
        old_ids = hub.get_info("keep_ckpt_ids", _MISSING)
        if self.max_keep_ckpts > 0:  # MMEngine's record, in this checkpoint's message hub
            hub.update_info("keep_ckpt_ids", self._kept_ids())
        if len(self._recorded) > 2 * len(kept) + 16:  # forget files no longer kept
            self._recorded = {p: self._recorded[p] for p in (*kept, path) if p in self._recorded}

        def prune(saved: Path | RemotePath) -> None:
            # the new file is complete and the pointer names it
            for old in drop:
                self._remove(runner, old)

        if not again and runner.rank == 0 and self._work_dir is not None:
            # an entry left by an earlier run's file of this name must not vouch for this one
            forget_validation(self._work_dir, path, self.fsync)
        try:
            self._save(runner, filename, update_pointer=not again, after_write=prune)
        except BaseException:
            self.kept_ckpts, self.last_ckpt, self._dropping = old_kept, old_last, []
            if self.max_keep_ckpts > 0 and old_ids is _MISSING:
                hub.pop_info("keep_ckpt_ids")
            elif self.max_keep_ckpts > 0:
                hub.update_info("keep_ckpt_ids", old_ids)
            raise
        self._last_saved_at = self._progress(runner)
        self._saved_file = path
        self._states_at_save = hook_states(runner, self)
        self._schedulers_at_save = scheduler_states(runner)
        self._dropping = []  # recorded in this checkpoint; the next save waits for the pruning
        # MMEngine's info key; absolute, so kept out of checkpoints (a copied work dir would
        # name the original's file)
        runner.message_hub.update_info("last_ckpt", path, resumed=False)

    def _over_limit(self, kept: list[str]) -> tuple[list[str], list[str]]:
        """``(to delete, to keep)``: the oldest of ``kept`` beyond ``max_keep_ckpts`` (> 0)."""
        cut = max(len(kept) - self.max_keep_ckpts, 0)
        return kept[:cut], kept[cut:]

    def _adopt_resumed_file(self, runner: RunnerAPI) -> bool:
        """Resumed from a preemption stop's file saved under the limit: keep it with the
        others.

        A preemption stop saves ``iter_N.pth`` through ``runner.save_checkpoint``
        (``meta['preempted']``), not through this hook; a job preempted and
        requeued again and again would pile those files up beside the
        ``max_keep_ckpts`` this hook keeps. Resumed from one (saved while a
        limit was in force, in this hook's folder, named as this hook names its
        files), the file joins the kept ones as the newest, and is pruned in
        turn (at once: a job stopped again before the next periodic save keeps N
        files too). A file a user saved with ``runner.save_checkpoint`` is never
        adopted. The mark is read in :meth:`after_load_checkpoint`: a subclass
        overriding it without ``super()`` adopts nothing (and deletes nothing).
        True when it was added.
        """
        # saved by a preemption stop (not a user's own save_checkpoint) under a limit
        adopt = self._adopt_resumed and self._resumed_preempted
        self._adopt_resumed = self._resumed_preempted = False
        source = runner.resume_state.resumed_from
        if not adopt or self.max_keep_ckpts <= 0 or not source or self.out_dir is None:
            return False
        if isinstance(self.out_dir, RemotePath) or url_scheme(source) is not None:
            return False  # preemption saves in the local work dir, never remotely
        path = str(Path(source).absolute())
        same = {os.path.realpath(p) for p in (*self.kept_ckpts, *self.best_ckpt.values()) if p}
        if os.path.realpath(path) in same or not self._is_own_file(path, None):
            return False
        newest = self.kept_ckpts[-1] if self.kept_ckpts else None
        if newest and Path(newest).name == self._filename(runner) and self.max_keep_ckpts > 1:
            # saved at the same point after this hook's own file (a stop at an epoch's end):
            # the older of the two, so pruning drops it first and keeps the file a
            # validation may write again (never the file just resumed from: limit > 1)
            self.kept_ckpts.insert(len(self.kept_ckpts) - 1, path)
        else:
            self.kept_ckpts.append(path)
        return True

    def _file_saved_last(self) -> str | None:
        """The file saved at ``_last_saved_at``: this hook's or the one resumed from (None
        before the first save)."""
        return self._saved_file or self.last_ckpt

    def _kept_ids(self) -> list[int]:
        """The kept checkpoints as MMEngine's ``keep_ckpt_ids`` names them: their numbers."""
        template = self._template
        ids = [step_of(p, template) for p in self.kept_ckpts]
        return [n for n in ids if n is not None]

    def _save_best(self, runner: RunnerAPI, metrics: Mapping[str, Any]) -> None:
        if self.save_best == ["auto"]:
            if self._auto_key is None:
                if not metrics:
                    return
                self._auto_key = next(iter(metrics))
                rule = self.rules[0] or infer_rule(
                    self._auto_key, self.greater_keys, self.less_keys
                )
                if rule is None:
                    raise HookError(
                        f"CheckpointHook(save_best='auto') picked the first metric "
                        f"{self._auto_key!r} but cannot tell whether larger is better; pass "
                        "rule='greater' or rule='less'."
                    )
                self.rules = [rule]
                if self._mmengine_auto is not None:  # MMEngine's record, taken over at resume
                    score, path = self._mmengine_auto
                    if path and not self._is_own_file(path, self._auto_key):
                        self._warn_ignored([repr(path)])
                        path = None
                    self._adopt_best(runner.message_hub, self._auto_key, "", score, path)
                    self._mmengine_auto = None
            keys = [self._auto_key]
        else:
            keys = self.save_best
        for key, rule in zip(keys, self.rules):
            if key not in metrics:  # a KeyError, as MMEngine's metrics[key]
                ends = [name for name in metrics if str(name).endswith(f"/{key}")]
                hint = (  # the short name of a prefixed metric: 'top1' for 'accuracy/top1'
                    f" Did you mean {ends[0]!r}?"
                    if len(ends) == 1
                    else did_you_mean(key, list(metrics))
                )
                raise HookKeyError(
                    f"CheckpointHook(save_best={key!r}): the validation metrics have no key "
                    f"{key!r}.{hint} Metrics: {sorted(metrics)}."
                )
            if metrics[key] is None:  # a metric that had nothing to score: skipped, as MMEngine
                continue
            try:
                score = float(metrics[key])
            except (TypeError, ValueError):  # a per-class list, a string: nothing to rank
                raise HookTypeError(
                    f"CheckpointHook(save_best={key!r}): the metric's value "
                    f"{metrics[key]!r:.80} is not a number, so no checkpoint can be ranked by "
                    "it. Name a scalar metric in save_best."
                ) from None
            if math.isnan(score):  # never better than anything, as MMEngine's -inf/inf start
                runner.logger.warning(
                    "CheckpointHook(save_best=%r): the score is NaN; no best checkpoint is "
                    "saved for it.",
                    key,
                )
                continue
            best = self.best_score.get(key)
            if best is not None and math.isnan(best):  # an older release's record: no best
                best = None
            if best is not None and not (score > best if rule == "greater" else score < best):
                continue
            filename = best_name(key, self._filename(runner))
            path = self._location(filename)
            previous, previous_at = self.best_ckpt.get(key), self.best_at.get(key)
            epoch, iters = self._progress(runner)
            at = ("epoch", epoch) if self.by_epoch else ("iter", iters)
            self.best_score[key], self.best_ckpt[key], self.best_at[key] = score, path, at
            drop_previous = _deleter(previous, path, runner, self._remove)
            # MMEngine's keys: best_score / best_ckpt, or per key when several are tracked;
            # the path as the hook records it (relative to the work dir, as in its state).
            # Set before the save, so that the best file's own message hub names itself.
            suffix = "" if len(keys) == 1 else f"_{key}"
            hub = runner.message_hub
            noted = {
                f"best_score/{key}": score,
                f"best_score{suffix}": score,
                f"best_ckpt{suffix}": self._record(path),
            }
            missing = object()
            before = {name: hub.get_info(name, missing) for name in noted}
            hub.update_info_dict(noted)
            try:
                self._save(runner, filename, update_pointer=False, after_write=drop_previous)
            except BaseException:
                if best is None:
                    self.best_score.pop(key, None)
                    self.best_ckpt.pop(key, None)
                else:
                    self.best_score[key] = best
                    self.best_ckpt[key] = previous or ""
                if previous_at is None:
                    self.best_at.pop(key, None)
                else:
                    self.best_at[key] = previous_at
                for name, value in before.items():
                    if value is missing:
                        hub.pop_info(name)
                    else:
                        hub.update_info(name, value)
                raise
            runner.logger.info(  # MMEngine's line, which log parsers look for
                "The best checkpoint with %.4f %s at %d %s is saved to %s.",
                score,
                key,
                at[1],
                at[0],
                filename,
            )

    def __repr__(self) -> str:
        return (
            f"CheckpointHook(interval={self.interval}, by_epoch={self.by_epoch}, "
            f"max_keep_ckpts={self.max_keep_ckpts}, save_best={self.save_best or None})"
        )


def _published_scalars(runner: RunnerAPI, metrics: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``val/<metric>`` numbers a validation put into the message hub, as JSON keeps
    them: integers as ints, other real numbers (numpy's, a one-element tensor) as floats;
    values of other kinds are not recorded."""
    hub = runner.message_hub
    found: dict[str, Any] = {}
    for key, value in (metrics or {}).items():
        if f"val/{key}" not in hub.log_scalars:
            continue
        value = as_number(value)  # a one-element tensor or array: its number
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, numbers.Integral):
            found[f"val/{key}"] = int(value)
        elif isinstance(value, numbers.Real):
            found[f"val/{key}"] = float(value)
    return found


def _state_list(state: Mapping[str, Any], key: str) -> list[Any]:
    value = state.get(key, [])
    if not isinstance(value, list | tuple):
        raise HookTypeError(
            f"CheckpointHook state: {key!r} holds {value!r:.40} ({type(value).__name__}), "
            "expected a list of file names."
        )
    return list(value)


def _state_dict(state: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = state.get(key, {})
    if not isinstance(value, Mapping):
        raise HookTypeError(
            f"CheckpointHook state: {key!r} holds {value!r:.40} ({type(value).__name__}), "
            "expected a dict keyed by metric."
        )
    return value


def _deleter(
    previous: str | None,
    path: str,
    runner: RunnerAPI,
    remove: Callable[[RunnerAPI, str], bool],
) -> Callable[[Path | RemotePath], None]:
    """After a new best file is written: delete the best file it replaces."""

    def drop_previous(_: Path | RemotePath) -> None:
        if previous and previous != path and remove(runner, previous):
            runner.logger.info("The previous best checkpoint %s is removed", previous)  # MMEngine's

    return drop_previous


def _first_few(names: Sequence[str], limit: int) -> str:
    """``a, b, c and 4 more``: the first ``limit`` of ``names`` for a message."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
