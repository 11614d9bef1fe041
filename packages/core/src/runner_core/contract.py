"""The plugin contract: what a hook, loop, metric or runner plugin may use.

``RunnerAPI`` is the whole surface of the Runner that plugins rely on; the
hook specs, :class:`~runner_core.hooks.Hook`, :class:`~runner_core.loop.BaseLoop`
and the standard loops and hooks are typed against it and use nothing else
(the type checker enforces it: an attribute missing here is an error in
their code). ``TrainLoopAPI`` is what hooks may read of ``runner.train_loop``.

A custom Runner (a ``Runner`` subclass registered in ``RUNNERS``) keeps this
surface; anything it adds is its own. ``docs/reference/contract.md`` is
generated from this module (``docs/gen_contract_reference.py``) and a test
keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import logging

    import torch

    from .checkpoint.background import BackgroundWriter
    from .checkpoint.storage import RemotePath
    from .hooks import Hook
    from .hooks.manager import HookPoints
    from .logging import MessageHub
    from .logging.log_processor import LogProcessor
    from .runner.resume import ResumeState

__all__ = ["HookSequence", "LoopAPI", "RunnerAPI", "TrainLoopAPI"]


class HookSequence(Protocol):
    """``runner.hooks``: the registered hooks in call order (read-only)."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Hook]: ...
    def __getitem__(self, index: int) -> Hook: ...
    def role_of(self, hook: Hook) -> str | None:
        """The ``default_hooks`` role of ``hook``; None for custom hooks."""
        ...

    def wake_soon(self, hook: Hook) -> None:
        """Call ``hook`` at the points its ``idle_points`` named again, from the next
        point called on; safe in a signal handler."""
        ...

    def after_point(self, action: Callable[[], object]) -> None:
        """Run ``action`` once the hook point being called through ``call_hook``
        (``before_train``, ``after_val``, ...) has reached every hook; at once when
        no such point is being called (the per-iteration fast path included)."""
        ...

    def watch(
        self,
        name: str,
        *,
        before: Callable[[], object] | None = None,
        after: Callable[[], object] | None = None,
    ) -> None:
        """Run ``before``/``after`` around every ``call_hook(name, ...)`` (not the
        ``hook_points`` fast path): a loop keeps its bookkeeping in step with points
        that code written for MMEngine calls itself."""
        ...


@runtime_checkable
class LoopAPI(Protocol):
    """What every loop offers (``runner.val_loop``, ``runner.test_loop``)."""

    #: ``'train'``, ``'val'`` or ``'test'``
    mode: str | None
    #: the data loader this loop iterates
    dataloader: Any

    def run(self) -> Any:
        """Run the loop: a model for training loops, metrics for evaluation loops."""
        ...


class TrainLoopAPI(LoopAPI, Protocol):
    """What hooks may read and set on ``runner.train_loop``."""

    #: set True (e.g. by an early-stopping hook) to end training after this epoch/iteration
    stop_training: bool

    @property
    def by_epoch(self) -> bool:
        """Whether epochs are the loop's unit (hooks pick their defaults from it)."""
        ...

    @property
    def epoch(self) -> int:
        """Epochs completed."""
        ...

    @property
    def iter(self) -> int:
        """Iterations completed."""
        ...

    @property
    def max_epochs(self) -> int:
        """Epochs the run trains for."""
        ...

    @property
    def max_iters(self) -> int:
        """Iterations the run trains for."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """The loop's position, as a checkpoint saved now should record it."""
        ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from a position ``state_dict`` returned."""
        ...


class RunnerAPI(Protocol):
    """Everything a plugin may use on the runner passed to it.

    Attributes are read-only for plugins unless their docs say otherwise.
    """

    # -- the run's identity and files ---------------------------------------------------
    #: the config the Runner was built from (a ``Config``); an empty ``Config`` for a
    #: Runner built from arguments, as in MMEngine
    cfg: Any
    experiment_name: str
    #: ``YYYYmmdd_HHMMSS`` of this run (names its log folder)
    timestamp: str
    #: the seed every random stream was seeded with
    seed: int
    work_dir: Path
    #: the folder of this run's log, config dump and scalars (inside ``work_dir``)
    log_dir: Path

    @property
    def logger(self) -> logging.Logger:
        """The run's logger: a ``RunLogger`` (MMEngine's ``MMLogger``) on the Runner, which
        a read-only member lets it declare (``logger: MMLogger = runner.logger`` checks)."""
        ...

    message_hub: MessageHub
    #: the visualizer (vis backends), or None when none is installed
    visualizer: Any
    #: ``log_processor=dict(...)`` of the config
    log_processor_cfg: dict[str, Any]
    #: the ``LogProcessor`` built from it (what log lines and scalars contain)
    log_processor: LogProcessor

    # -- processes and devices --------------------------------------------------------------
    rank: int
    world_size: int
    distributed: bool
    launcher: str

    @property
    def device(self) -> torch.device:
        """The device the model lives on."""
        ...

    # -- the parts -----------------------------------------------------------------------------
    #: the model, wrapped (DDP/FSDP) in distributed runs
    model: Any
    #: the optim wrapper (an ``OptimWrapper`` or ``OptimWrapperDict``) once training started
    optim_wrapper: Any
    #: the parameter schedulers (a list, or a dict of lists for several optimizers) once
    #: training started; before, what was passed (configs), as in MMEngine
    param_schedulers: Any

    @property
    def unwrapped_model(self) -> Any:
        """The model the Runner trains, without a DDP/FSDP wrapper: the user's
        ``BaseModel``, or the ``ModuleAdapter`` around a plain ``nn.Module`` (the
        module is its ``.module``; its checkpoint keys read ``module.*``)."""
        ...

    @property
    def train_loop(self) -> TrainLoopAPI:
        """The training loop (built on first use); None for a Runner without
        ``train_cfg`` (a ``val()``/``test()``-only run), as in MMEngine. Typed
        without None for the hooks that run in training."""
        ...

    @property
    def val_loop(self) -> LoopAPI | None:
        """The validation loop, or None when the run has no validation data."""
        ...

    @property
    def test_loop(self) -> LoopAPI | None:
        """The test loop (built on first use), or None when the run has no test data."""
        ...

    @property
    def train_dataloader(self) -> Any: ...
    @property
    def val_dataloader(self) -> Any: ...
    @property
    def test_dataloader(self) -> Any: ...

    # -- progress -------------------------------------------------------------------------------
    @property
    def epoch(self) -> int:
        """Training epochs completed."""
        ...

    @property
    def iter(self) -> int:
        """Training iterations completed."""
        ...

    @property
    def max_epochs(self) -> int:
        """The train loop's ``max_epochs`` (typed ``int`` for a hook's arithmetic in
        training; None at run time when no train loop is built, or it has none)."""
        ...

    @property
    def max_iters(self) -> int:
        """The train loop's ``max_iters``; None in the same cases as ``max_epochs``."""
        ...

    # -- hooks ----------------------------------------------------------------------------------
    @property
    def hooks(self) -> HookSequence:
        """The registered hooks in call order (iterate, ``len``, index)."""
        ...

    @property
    def hook_points(self) -> HookPoints:
        """One plain function per standard hook point, arguments in the spec's
        order: the fast path loops call every iteration."""
        ...

    def register_hook(
        self, hook: Hook | Mapping[str, Any], priority: int | str | None = None
    ) -> None:
        """Add a hook (object or config) after the hooks of equal priority."""
        ...

    def call_hook(self, fn_name: str, **kwargs: Any) -> None:
        """Call hook point ``fn_name`` (custom points included); omitted arguments arrive as
        None, except those a custom point's hook method requires (a TypeError)."""
        ...

    def call_hooks(self, fn_name: str, **kwargs: Any) -> None:
        """The same as :meth:`call_hook`."""
        ...

    # -- running ------------------------------------------------------------------------------
    @property
    def resume_state(self) -> ResumeState:
        """What a resumed run still has to hand over (random streams); loops use
        it through :meth:`runner_core.loop.BaseLoop.iter_batches`."""
        ...

    def run_validation(self) -> dict[str, Any] | None:
        """Validate inside training without moving training's random streams, the
        model left in the mode it was in; the metrics, or None when there is no
        validation data."""
        ...

    def has_validation(self) -> bool:
        """Whether the run has validation data (without building the val loop)."""
        ...

    def save_checkpoint(
        self,
        out_dir: str | Path,
        filename: str,
        file_client_args: Mapping[str, Any] | None = None,
        save_optimizer: bool = True,
        save_param_scheduler: bool = True,
        meta: Mapping[str, Any] | None = None,
        by_epoch: bool = True,
        backend_args: Mapping[str, Any] | None = None,
        *,
        update_pointer: bool | None = None,
        fsync: bool | None = None,
        background: BackgroundWriter | None = None,
        after_write: Callable[[Path | RemotePath], object] | None = None,
    ) -> Path | RemotePath | None:
        """Save the training state atomically; the path on rank 0, else None.

        MMEngine's arguments in its order. An ``out_dir`` URL, or storage
        arguments naming a backend registered with
        ``runner_core.fileio.register_backend``, save through that backend
        (a :class:`~runner_core.checkpoint.RemotePath` is returned, the URL).
        ``update_pointer=True`` makes the file the one a resume starts
        from (``last_checkpoint``); by default, as in MMEngine, the pointer
        stays. With ``background`` only the copy to host memory happens now,
        the write in that writer's thread; ``after_write(path)`` runs once
        file and pointer are in place. Hooks pass these four options through
        :func:`runner_core.checkpoint.save_options.checkpoint_save_options` instead, so that a
        Runner subclass overriding this method with MMEngine's signature still
        works."""
        ...

    def load_checkpoint(
        self,
        filename: str | Path,
        map_location: Any = "cpu",
        strict: bool | None = None,
        revise_keys: list[tuple[str, str]] | None = None,
        *,
        allow_pickle: bool | None = None,
    ) -> dict[str, Any]:
        """Load weights only; the checkpoint dict. ``strict=None`` takes ``load_cfg``'s
        ``strict``, else False (MMEngine's default: mismatched keys are a warning).
        ``allow_pickle=True`` loads a file that needs full unpickling (one you trust);
        None takes ``load_cfg``'s."""
        ...

    def build_dataloader(
        self,
        dataloader: Any,
        seed: int | None = None,
        diff_rank_seed: bool | None = None,
        key_path: str | None = None,
    ) -> Any:
        """A data loader from a config (seeded like the run's, unless ``seed`` /
        ``diff_rank_seed`` say otherwise), or the loader given."""
        ...

    def build_evaluator(self, evaluator: Any) -> Any:
        """An ``Evaluator`` from an evaluator, a metric, a list of them, or configs."""
        ...
