"""``TrackerBackend``: what every tracker backend shares.

A tracker must never cost a user their training run, and only one process
of a distributed run may log. So each backend here:

* checks at build time that its library is installed (a missing one is a
  ``BuildError`` naming the extra to install, exit status 2 in the CLI);
* starts its tracker run at the first write, on rank 0 only (other ranks
  never touch the tracker);
* catches every error the tracker library raises, warns once and stops
  logging, so a server that went away never stops training;
* ends the tracker run with the run's outcome: ``FINISHED`` when the
  Runner closes the visualizer after the run, ``FAILED`` or ``KILLED``
  (Ctrl-C, a preemption stop) when the Runner flushes it while an error is propagating, or
  at interpreter exit when nothing closed it;
* tags the run with the newest (``last_checkpoint`` pointer) and best
  (``best_*.pth``) checkpoint paths of the work dir when it ends; each
  end-of-run step (tags, artifacts, ending the run) is attempted even when
  an earlier one failed, and each failure warns on its own.

Subclasses implement ``start``, ``log_config``, ``log_scalars``,
``log_checkpoints`` and ``end``; the public methods are the visualizer
protocol (``add_config``, ``add_scalars``, ``add_scalar``, ``flush``,
``close``).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import re
import sys
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

FINISHED, FAILED, KILLED = "FINISHED", "FAILED", "KILLED"


class TrackerWarning(RuntimeWarning):
    """A tracker failed during a run and stopped logging (training goes on)."""


def require_library(module: str, extra: str, backend: str) -> None:
    """Raise ``BuildError`` naming the extra to install if ``module`` is missing.

    A module already imported counts as installed, whatever its ``__spec__``: a
    test suite's stand-in (``sys.modules['wandb'] = MagicMock()``) has none, and
    ``find_spec`` raises ``ValueError`` for it.
    """
    if sys.modules.get(module) is not None:
        return
    if importlib.util.find_spec(module) is None:
        from runner_core.errors import BuildError

        raise BuildError(
            f"{backend} needs the {module!r} package, which is not installed. Install it with: "
            f'pip install "runner-trackers[{extra}]" (or pip install {module}), or remove '
            f"{backend} from visualizer.vis_backends."
        )


def current_rank() -> int:
    """This process's rank (0 outside distributed runs, or before the group exists)."""
    from runner_core.distributed import get_rank, is_distributed

    if is_distributed():
        return int(get_rank())
    return int(os.environ.get("RANK", "0") or 0)


def number(value: Any) -> float | None:
    """``value`` as a float if it is a single number (tensor or numpy too), else None."""
    if isinstance(value, (bool, int, float)):
        return float(value)
    item = getattr(value, "item", None)
    if item is None:
        return None
    size = getattr(value, "numel", None)
    count = size() if callable(size) else getattr(value, "size", 1)
    if count != 1:
        return None
    try:
        return float(item())
    except (TypeError, ValueError):
        return None


def config_dict(cfg: Any) -> dict[str, Any]:
    """A plain dict of a ``Config`` (or any mapping)."""
    to_dict = getattr(cfg, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    if isinstance(cfg, Mapping):
        return dict(cfg)
    return {}


def config_text(cfg: Any) -> str:
    text = getattr(cfg, "pretty_text", None)
    return text if isinstance(text, str) else repr(cfg)


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{'a': {'b': 1}}`` -> ``{'a.b': 1}``; lists and other leaves are kept as they are."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def tracked(cfg: Mapping[str, Any], keys: Iterable[str] | None) -> dict[str, Any]:
    """The top-level config keys to track (all when ``keys`` is None)."""
    if keys is None:
        return dict(cfg)
    return {k: cfg[k] for k in keys if k in cfg}


def find_checkpoints(work_dir: Path | None) -> tuple[str | None, dict[str, str]]:
    """(newest checkpoint from the ``last_checkpoint`` pointer, best checkpoints by file stem).

    Without the pointer in a process that never imported torch: reading it imports
    torch, and importing torch at exit (a run nobody closed) lets a tracker's import
    hooks touch a run the tracker already finished (wandb printed a traceback).
    """
    if work_dir is None or not work_dir.is_dir():
        return None, {}
    best = {p.stem: str(p.resolve()) for p in sorted(work_dir.glob("best_*.pth"))}
    if "torch" not in sys.modules:
        return None, best  # the pointer is read by torch-importing code; the names are not
    from runner_core.checkpoint import read_pointer_location
    from runner_core.checkpoint.remote import url_scheme

    try:
        last = read_pointer_location(work_dir)
    except Exception:  # a damaged pointer is not worth a warning here
        last = None
    if last is not None and url_scheme(last) is None:
        last = str(Path(last).resolve())  # a URL (a remote out_dir) stays as it stands
    return last, best


#: folders local tracker stores write into (never uploaded as artifacts); ``.neptune``
#: holds Neptune's offline runs (in the working directory, or ``$NEPTUNE_DATA_DIRECTORY``)
TRACKER_STORES = {"mlartifacts", "mlruns", "wandb", "dvclive", ".aim", ".neptune"}
#: the tag of the newest best checkpoint; each best checkpoint is also tagged
#: ``best_checkpoint.<file stem>``. No tag name may be a path prefix of another
#: (``X`` and ``X/...``): MLflow's file store keeps each tag as a file.
BEST_TAG = "best_checkpoint"
#: characters MLflow accepts in a tag name on every platform (others become ``_``)
_UNSAFE_TAG_CHARS = re.compile(r"[^\w.\- ]")


def checkpoint_tags(last: str | None, best: Mapping[str, str]) -> dict[str, str]:
    """The checkpoint tags of a run: ``last_checkpoint``, ``best_checkpoint`` (the newest
    best file) and ``best_checkpoint.<stem>`` per best file.

    No name is a path prefix of another, so a store that keeps tags as files
    (MLflow's file store) can hold them all.
    """
    tags: dict[str, str] = {}
    if last is not None:
        tags["last_checkpoint"] = last
    for stem, path in best.items():
        tags[f"{BEST_TAG}.{_UNSAFE_TAG_CHARS.sub('_', stem)}"] = path
    if best:  # the newest best file, for one-line lookups
        tags[BEST_TAG] = max(best.values(), key=os.path.getmtime)
    return tags


def work_dir_files(
    work_dir: Path,
    suffixes: str | tuple[str, ...],
    skip_names: Iterable[str],
    skip_dirs: Iterable[Path],
) -> Iterator[Path]:
    """The work dir's files ending in ``suffixes``, outside folders named ``skip_names``
    (local tracker stores) and outside ``skip_dirs`` (the backend's own)."""
    names, dirs = set(skip_names), list(skip_dirs)
    for path in sorted(work_dir.rglob("*")):
        if names & set(path.relative_to(work_dir).parts):
            continue
        if any(path == d or d in path.parents for d in dirs):
            continue
        if path.is_file() and path.name.endswith(suffixes):
            yield path


def for_each_file(
    paths: Iterable[Path], work_dir: Path, action: Callable[[Path], object], done: str
) -> None:
    """Run ``action`` on each file on its own; then raise once, naming (relative to
    ``work_dir``) the files it failed on, so one bad file never stops the others."""
    failed: list[str] = []
    first: Exception | None = None
    for path in paths:
        try:
            action(path)
        except Exception as exc:
            failed.append(path.relative_to(work_dir).as_posix())
            first = first or exc
    if first is not None:
        raise RuntimeError(
            f"{len(failed)} file(s) not {done} ({', '.join(failed[:5])}"
            f"{', ...' if len(failed) > 5 else ''}); the first error: "
            f"{type(first).__name__}: {first}"
        ) from first


def outcome_of(exc: BaseException | None) -> str:
    """The tracker status of a run that ended with ``exc`` (None: it finished)."""
    if exc is None:
        return FINISHED
    from runner_core.runner.preemption import TrainingPreempted

    if isinstance(exc, (KeyboardInterrupt, TrainingPreempted)):  # stopped from outside
        return KILLED
    if isinstance(exc, SystemExit) and exc.code in (0, None):
        return FINISHED
    return FAILED


_live: weakref.WeakSet[TrackerBackend] = weakref.WeakSet()


def _end_open_runs() -> None:
    """At interpreter exit, end the tracker runs nobody closed."""
    exc = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    for backend in list(_live):
        backend.end_run(outcome_of(exc))


atexit.register(_end_open_runs)


_registered_after_a_start = False


def _end_open_runs_first() -> None:
    """Register :func:`_end_open_runs` once more, after the exit hooks the tracker
    library registered when its first run started: they run in reverse order, so this
    one ends the runs while the library still can (wandb's teardown first made it
    'Connection lost'). The import-time registration stays (a run started while the
    interpreter exits, when a new registration no longer runs, still ends there); a
    second call finds nothing open."""
    global _registered_after_a_start
    if not _registered_after_a_start:
        _registered_after_a_start = True
        atexit.register(_end_open_runs)


class TrackerBackend:
    """Base of the tracker backends (see the module docstring for the promises).

    Args:
        save_dir: the folder the Runner passes (``<run folder>/vis_data``).
        tracked_config_keys: top-level config keys to record (None: all).
    """

    #: import name of the tracker library, and the extra that installs it
    library: ClassVar[str] = ""
    extra: ClassVar[str] = ""

    @classmethod
    def check_dependencies(cls) -> None:
        """Raise ``BuildError`` naming the extra when the tracker library is missing
        (building the backend checks it; ``runner-cli config check`` calls it alone)."""
        require_library(cls.library, cls.extra, cls.__name__)

    def __init__(
        self, save_dir: str | Path | None = None, tracked_config_keys: Iterable[str] | None = None
    ) -> None:
        self.check_dependencies()
        self.save_dir = None if save_dir is None else Path(save_dir)
        self.tracked_config_keys = (
            None if tracked_config_keys is None else list(tracked_config_keys)
        )
        self.work_dir: Path | None = None
        self.status: str | None = None  # set when the tracker run has ended
        self._running = False
        self._broken = False
        _live.add(self)

    # -- for subclasses --------------------------------------------------------------
    def start(self) -> None:
        """Open the tracker run."""
        raise NotImplementedError

    def log_config(self, flat: dict[str, Any], text: str) -> None:
        """Record the flattened config and its text."""

    def log_scalars(self, numbers: dict[str, float], step: int) -> None:
        raise NotImplementedError

    def log_image(self, name: str, array: Any, step: int) -> None:
        """Record ``array`` (uint8, (H, W, 3), (H, W, 4) or (H, W)) as ``name`` at ``step``.

        A backend that records images overrides this; without it ``add_image``
        does nothing (and starts no run).
        """

    def log_checkpoints(self, last: str | None, best: dict[str, str]) -> None:
        """Record the checkpoint paths (the run is still open)."""

    def end(self, status: str) -> None:
        """Close the tracker run with ``status`` (FINISHED, FAILED or KILLED)."""
        raise NotImplementedError

    def _open_if_new(self, handle: Any) -> None:
        """Start the tracker run if it was never started (``handle`` None), for the
        ``experiment`` property: MMEngine's starts the run when it is read, so code that
        logs through it (``experiment.define_metric(...)``) works before the first write.
        Only on rank 0, and not for a backend that stopped after a failure."""
        if handle is None:
            self._guard("starting the run", lambda: None)

    # -- safety ----------------------------------------------------------------------------
    def _guard(self, action: str, call: Callable[[], Any]) -> bool:
        """Run ``call`` unless broken or not rank 0; on an error warn once and stop logging."""
        if self._broken or current_rank() != 0:
            return False
        try:
            if not self._running:
                self.start()
                self._running = True
                self.status = None
                _end_open_runs_first()
            call()
            return True
        except Exception as exc:
            self._broken = True
            warnings.warn(
                f"{type(self).__name__} stopped logging: {action} failed with "
                f"{type(exc).__name__}: {' '.join(str(exc).split())[:500]}. Training goes on; "
                "the other backends keep logging. Check the tracker (server address, "
                "credentials, disk) and remove the backend from visualizer.vis_backends "
                "if you do not need it.",
                TrackerWarning,
                stacklevel=3,
            )
            return False

    # -- the visualizer protocol -------------------------------------------------------------
    def add_config(self, cfg: Any) -> None:
        """Record the config: flattened into parameters, and its text."""
        plain = config_dict(cfg)
        if plain.get("work_dir"):
            self.work_dir = Path(str(plain["work_dir"])).expanduser().resolve()
        flat = flatten(tracked(plain, self.tracked_config_keys))
        self._guard("recording the config", lambda: self.log_config(flat, config_text(cfg)))

    def add_image(self, name: str, image: Any, step: int = 0, **kwargs: Any) -> None:
        """Record an RGB (H, W, 3), RGBA or grey image (array or tensor) as ``name``, as
        MMEngine's backends do; guarded like every write (a failing tracker warns once)."""
        if type(self).log_image is TrackerBackend.log_image:
            return  # this tracker records no images
        from runner_core.visualization.png import as_image_array

        array = as_image_array(image, f"{type(self).__name__}.add_image({name!r})")
        self._guard("logging an image", lambda: self.log_image(name, array, int(step)))

    def add_scalars(
        self,
        scalar_dict: Mapping[str, Any],
        step: int = 0,
        file_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Record every numeric value at ``step``; other values are skipped (and
        MMEngine's backend-specific keywords, such as W&B's ``commit``, ignored)."""
        numbers = {str(k): n for k, v in scalar_dict.items() if (n := number(v)) is not None}
        if numbers:
            self._guard("logging scalars", lambda: self.log_scalars(numbers, int(step)))

    def add_scalar(self, name: str, value: Any, step: int = 0, **kwargs: Any) -> None:
        self.add_scalars({name: value}, step=step)

    def flush(self) -> None:
        """Called by the Runner when a run fails: then the tracker run ends FAILED/KILLED."""
        exc = sys.exc_info()[1]
        if exc is not None:
            self.end_run(outcome_of(exc))

    def close(self) -> None:
        """End the tracker run as FINISHED (the Runner closes the visualizer after a run)."""
        self.end_run(FINISHED)

    def end_run(self, status: str) -> None:
        """Tag the checkpoints and end the tracker run with ``status``, once.

        Each step is attempted on its own: a failure to record the checkpoint paths
        never keeps the run from ending (each failure warns on its own).
        """
        if not self._running:
            return
        self._running = False
        if self._broken:
            return
        self.status = status
        last, best = find_checkpoints(self._work_dir())
        if last or best:
            self._attempt("record the checkpoint paths", lambda: self.log_checkpoints(last, best))
        self._attempt(f"end its run as {status}", lambda: self.end(status))

    def _attempt(self, action: str, call: Callable[[], Any]) -> bool:
        """Run one end-of-run step; on an error warn naming ``action``; True if it worked.

        A failed step marks the backend broken (it logs nothing more), but the
        caller still attempts the steps that follow.
        """
        try:
            call()
            return True
        except Exception as exc:
            self._broken = True
            warnings.warn(
                f"{type(self).__name__} could not {action}: "
                f"{type(exc).__name__}: {' '.join(str(exc).split())[:500]}.",
                TrackerWarning,
                stacklevel=3,
            )
            return False

    def _work_dir(self) -> Path | None:
        if self.work_dir is not None:
            return self.work_dir
        # the Runner passes <work_dir>/<timestamp>/vis_data
        if self.save_dir is not None and self.save_dir.name == "vis_data":
            return self.save_dir.parent.parent
        return None
