"""The Runner: holds the parts of a run and drives train / val / test.

Built from objects or from a config. Built from a config, it is lazy: the
model and hooks are built at construction, everything else (data loaders,
loops, optimizer, schedulers, evaluators) only when ``train()``, ``val()`` or
``test()`` needs it, so a config with no training parts tests fine.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..data.worker_shutdown import WorkerReaper
from ..distributed.launch import fail_fast
from ..errors import (
    ConfigError,
    RegistryError,
    RunnerError,
    add_note,
    name_config_key,
    stacklevel_outside_runner_core,
)
from ..hooks import Hook, HookManager
from ..hooks.manager import CallHookPoints
from ..loop import check_initialised
from ..project import default_work_dir
from ..registry import RUNNERS
from ..registry.scope import overwrite_default_scope, run_call_scope, set_default_scope
from . import build as _build
from . import checkpointing, preemption
from .arg_checks import (
    check_experiment_name,
    check_not_bootstrapping,
    check_runner_sections,
    check_runner_values,
)
from .args_config import arguments_config
from .building import PartsBuilding, check_visualizer_value
from .checkpoint_methods import CheckpointMethods
from .compile import check_config_compile, compile_options, maybe_compile
from .config_keys import OTHER_KNOWN_KEYS, READ_FROM_CFG, constructor_keys
from .config_keys import check_top_level_keys as _check_keys
from .dropped import free_dropped_runners, track_runner
from .exit_status import keep_ctrl_c_exit_status
from .loading import LoadOrResume, RunPhase
from .lr_scaling import per_process_batch_size
from .lr_scaling import scale_lr as _scale_lr
from .model_features import turn_on_model_features
from .parts import (
    check_incomplete_evaluation,
    check_orphans,
    missing_message,
    missing_parts,
    unused_top_level_optimizer,
    with_top_level_optimizer,
)
from .randomness import capture_rng_state, isolated_rng
from .resume import ResumeState
from .run_header import log_run_header
from .setup_methods import SetupMethods
from .work_dir import make_timestamp, prepare_work_dir
from .work_dir_lock import WorkDirHold, run_call

__all__ = ["OTHER_KNOWN_KEYS", "RUNNER_KEYS", "Runner", "check_top_level_keys"]

if TYPE_CHECKING:
    from torch import nn

    from ..contract import RunnerAPI
    from ..hooks.manager import HookPoints
    from ..logging.logger import RunLogger

_F = TypeVar("_F", bound=Callable[..., Any])
_R = TypeVar("_R", bound="Runner")  # from_cfg returns the subclass it is called on


class _Alias:
    """An MMEngine private name that reads our public attribute (``runner._work_dir``).

    Not a data descriptor: assigning the name sets it on the instance only, as a
    subclass of MMEngine's Runner may; the public attribute stays as it was.
    """

    def __init__(self, public: str) -> None:
        self.public = public

    def __get__(self, runner: Any, owner: Any = None) -> Any:
        return self if runner is None else getattr(runner, self.public)


class _Replaced:
    """An MMEngine private method we do not have: reading it names what replaces it."""

    def __init__(self, instead: str) -> None:
        self.instead = instead

    def __set_name__(self, owner: Any, name: str) -> None:
        self.name = name

    def __get__(self, runner: Any, owner: Any = None) -> Any:
        if runner is None:
            return self
        raise AttributeError(
            f"{type(runner).__name__!r} object has no attribute {self.name!r} (MMEngine's "
            f"private method): {self.instead}."
        )


#: the roles of MMEngine's default hooks: a custom hook of one of their classes runs
#: beside the default, as in MMEngine (see Runner.register_hooks)
_MMENGINE_ROLES = frozenset(
    ("runtime_info", "timer", "sampler_seed", "logger", "param_scheduler", "checkpoint")
)

#: ``Runner._built_schedulers`` before train() built any
_NOT_BUILT: Any = object()


#: ids of the Runners with a run call in progress in this thread (or task): a call made
#: inside another leaves ``on_exception`` to the outermost one
_in_run_calls: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "runner_core_run_calls", default=frozenset()
)


def _flush_records_on_error(method: _F) -> _F:
    """If a run fails, finish checkpoint writes, let the hooks clean up (``on_exception``),
    write out the logged records and the error itself (into the run's log file) before the
    error goes on. A second Ctrl-C during the clean-up stops it there and is raised."""
    import functools

    @functools.wraps(method)
    def wrapper(self: Runner, *args: Any, **kwargs: Any) -> Any:
        running = _in_run_calls.get()
        outermost = id(self) not in running
        if not running:  # an earlier Runner a notebook or sweep dropped: its memory, now
            free_dropped_runners()
        token = _in_run_calls.set(running | {id(self)})
        try:
            return method(self, *args, **kwargs)
        except BaseException as exc:
            from ..checkpoint.background import finish_writes

            finish_writes(log=self.logger.warning)  # never leave a save half-written
            interrupted: BaseException | None = None
            if outermost:
                try:  # each hook on its own; a failing one is logged and noted on exc
                    self.call_hook("on_exception", exception=exc)
                except Exception as err:  # a call_hook override that fails: never hide exc
                    message = (
                        f"{type(self).__name__}.call_hook('on_exception') raised "
                        f"{type(err).__name__}: {err}; fix the override: it must pass "
                        "on_exception on to the hooks without raising."
                        if type(self).call_hook is not Runner.call_hook
                        else f"The hooks' on_exception could not run: {type(err).__name__}: {err}."
                    )
                    self.logger.error(message, exc_info=err)
                    add_note(exc, message)
                except BaseException as err:  # Ctrl-C again: the user wants out, now
                    interrupted = err
                finally:
                    self._run_phase.end()  # the failed run has ended, whatever the hooks did
                finish_writes(log=self.logger.warning)  # a save an on_exception started
                try:  # the traceback may keep the loaders' iterators (and workers) alive
                    self.release_data_workers()
                except Exception:  # never hide the real error
                    pass
            flush = getattr(getattr(self, "visualizer", None), "flush", None)
            if flush is not None:
                try:
                    flush()
                except Exception:  # never hide the real error
                    pass
            if outermost:
                from ..logging.failure import log_failure_to_files

                log_failure_to_files(self.logger, exc, f"{method.__name__}()")
                if isinstance(exc, KeyboardInterrupt):
                    keep_ctrl_c_exit_status()
            if interrupted is not None and not isinstance(exc, KeyboardInterrupt | SystemExit):
                raise interrupted from exc  # a sweep's `except ValueError` must not go on
            raise
        finally:
            _in_run_calls.reset(token)

    return cast(_F, wrapper)  # the same signature: Runner.train() stays typed


def _each_scheduler(schedulers: Any) -> Iterator[Any]:
    """The schedulers of ``runner.param_schedulers``: a list, or a dict of lists per part."""
    if isinstance(schedulers, Mapping):
        for part in schedulers.values():
            yield from _each_scheduler(part)
    elif isinstance(schedulers, (list, tuple)):
        yield from schedulers
    elif schedulers is not None:
        yield schedulers


def _holding_work_dir(method: _F) -> _F:
    """Hold the work dir's lock during the call, and give it (and every lock a hook took
    in the call) back when it ends: the process may live on (a notebook, a sweep), and
    another process may then use the work dir."""
    import functools

    @functools.wraps(method)
    def wrapper(self: Runner, *args: Any, **kwargs: Any) -> Any:
        with run_call(), contextlib.ExitStack() as claims:
            hold = getattr(self, "_work_dir_hold", None)
            if hold is not None:
                hold.acquire()  # WorkDirBusyError if another process took it since
            owned = ("logger", "message_hub", "visualizer")
            for part in (getattr(self, name, None) for name in owned):
                claimed = getattr(part, "claimed_current", None)
                if claimed is not None:  # print_log(logger='current') in this call is ours
                    claims.enter_context(claimed())
            # and its parts are built in its own default scope, whichever Runner was built
            # last (they are built lazily, at the first call that needs them)
            claims.enter_context(run_call_scope(self.default_scope))
            return method(self, *args, **kwargs)

    return cast(_F, wrapper)


class Runner(PartsBuilding, CheckpointMethods, LoadOrResume, SetupMethods):
    """Run training, validation and testing of a model.

    Every part may be a built object or a config dict. See the config
    reference (docs/config-reference.md) for each argument. The ``build_*``
    methods come from :class:`~.building.PartsBuilding`, the checkpoint ones
    from :class:`~.checkpoint_methods.CheckpointMethods`, ``load_or_resume``
    from :class:`~.loading.LoadOrResume`, and the set-up ones the constructor
    calls (``build_logger``, ``build_message_hub``, ``build_log_processor``,
    ``set_randomness``, ``dump_config``) from :class:`~.setup_methods.SetupMethods`.
    """

    #: ``Runner(..., cfg=dict(model_wrapper_cfg=...))`` wraps as that says (MMEngine); the
    #: FlexibleRunner's strategy decides instead
    _wrapper_cfg_from_cfg = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Runner:
        """Refuse a misspelt keyword with a suggestion (``Runner(optim_wraper=...)``), as a
        config's misspelt key is: Python's own TypeError names it without one. Only for
        ``Runner.__init__`` itself: a subclass's own ``__init__`` may take other keywords."""
        if kwargs and cls.__init__ is Runner.__init__:
            known = constructor_keys(Runner)
            unknown = [key for key in kwargs if key not in known and key != "cfg"]
            if unknown:
                from ..errors import did_you_mean

                key = unknown[0]
                hint = did_you_mean(key, known)
                tail = " Its arguments are the config's top-level keys: see "
                if key in ("max_epochs", "max_iters", "val_interval", "val_begin", "by_epoch"):
                    hint = f" It belongs in train_cfg: train_cfg=dict({key}=...)."
                elif key in READ_FROM_CFG:  # as MMEngine's Runner, it reads them from cfg
                    hint = (
                        f" {key!r} is a config key the Runner reads from its config, not an "
                        f"argument: Runner(..., cfg=dict({key}=...)), or {key} = ... in a "
                        "config file."
                    )
                    tail = " See "
                tail += "docs/config-reference.md."
                raise TypeError(
                    f"{cls.__name__}() got an unexpected keyword argument {key!r}.{hint}{tail}"
                )
        return super().__new__(cls)

    def __init__(
        self,
        model: Any,
        work_dir: str | Path | None = None,
        train_dataloader: Any = None,
        val_dataloader: Any = None,
        test_dataloader: Any = None,
        train_cfg: Mapping[str, Any] | None = None,
        val_cfg: Mapping[str, Any] | None = None,
        test_cfg: Mapping[str, Any] | None = None,
        auto_scale_lr: Mapping[str, Any] | None = None,
        optim_wrapper: Any = None,
        param_scheduler: Any = None,
        val_evaluator: Any = None,
        test_evaluator: Any = None,
        default_hooks: Mapping[str, Any] | None = None,
        custom_hooks: list[Any] | None = None,
        data_preprocessor: Any = None,
        load_from: str | Path | None = None,
        resume: bool | str = False,
        launcher: str = "none",
        env_cfg: Mapping[str, Any] | None = None,
        log_processor: Mapping[str, Any] | None = None,
        log_level: str | int = "INFO",
        visualizer: Any = None,
        default_scope: str | None = "runner_core",
        randomness: Mapping[str, Any] | None = None,
        experiment_name: str | None = None,
        cfg: Any = None,
        *,  # ours, after MMEngine's positional order (model ... cfg)
        optimizer: Any = None,
        default_hooks_set: str | None = None,
        model_wrapper_cfg: Mapping[str, Any] | None = None,
        load_cfg: Mapping[str, Any] | None = None,
    ) -> None:
        check_not_bootstrapping()  # a spawned worker re-running a script without a guard
        track_runner(self)  # see free_dropped_runners
        # an empty Config when built from arguments, as MMEngine's (hooks call runner.cfg.get)
        self.cfg = _as_config(cfg)
        check_config_compile(type(self), self.cfg)  # a bad compile= fails now, not at train()
        self.arguments_cfg = None if cfg is not None else arguments_config(locals())
        check_orphans(locals())  # a loop config, optimizer or evaluator without its data
        check_incomplete_evaluation(locals())  # validation or test data without an evaluator
        check_runner_sections(locals())  # typos in randomness, auto_scale_lr, env_cfg

        # lazily built parts: a config until the run that needs it
        self._train_dataloader = train_dataloader
        self._given_loaders = {  # ids of loaders passed built: the caller's, never reaped
            id(x)
            for x in (train_dataloader, val_dataloader, test_dataloader)
            if x is not None and not isinstance(x, Mapping)
        }
        # what auto_scale_lr scales by (MMEngine's): a loader with a batch sampler has none
        self._train_batch_size_cfg = (
            train_dataloader.get("batch_size") if isinstance(train_dataloader, Mapping) else None
        )
        self._val_dataloader = val_dataloader
        self._test_dataloader = test_dataloader
        self._train_cfg = train_cfg
        self._val_cfg = val_cfg
        self._test_cfg = test_cfg
        self._val_evaluator = val_evaluator
        self._test_evaluator = test_evaluator
        self._top_level_optimizer: dict[str, Any] | None = None
        if optimizer is not None:  # the guide's shortcut: fills optim_wrapper.optimizer
            merged = with_top_level_optimizer(optim_wrapper, optimizer)
            if merged is not optim_wrapper:
                self._top_level_optimizer = optim_wrapper = merged  # errors name its key
            elif (unused := unused_top_level_optimizer(optim_wrapper, optimizer)) is not None:
                warnings.warn(unused, stacklevel=stacklevel_outside_runner_core())
        self.optim_wrapper: Any = optim_wrapper
        self._param_scheduler_cfg = param_scheduler
        #: MMEngine's attribute: what was passed (a config, a list of them, a dict per
        #: optimizer, or built schedulers) until train() builds them, then the built ones
        #: (a list, or a dict of lists; ``[]`` without any)
        self.param_schedulers: Any = param_scheduler
        self._built_schedulers: Any = _NOT_BUILT  # param_schedulers while it holds them
        self.auto_scale_lr = auto_scale_lr
        self._lr_scaled: list[Any] = []  # the optim wrappers scale_lr scaled (each once)
        # MMEngine's: the loops' configs until they are built (code copied from its
        # Runner.train()/test() checks ``runner._train_loop is None`` before building it;
        # a subclass may put another config there before train())
        self._train_loop: Any = _config_copy(train_cfg)
        self._val_loop: Any = _loop_config(val_cfg, val_dataloader)
        self._test_loop: Any = _loop_config(test_cfg, test_dataloader)

        #: what to resume from and what a resumed run still has to hand over
        self._resume_state = ResumeState(resume, load_from)
        self._load_done = False  # load_from / resume applied once per Runner
        self._load_step: str | None = None  # see LoadOrResume
        self._run_phase = RunPhase()  # between before_run and after_run (see LoadOrResume)
        # the loaders' workers stop when this Runner is freed, not 5 s each later in torch
        self._reaper = WorkerReaper()
        weakref.finalize(self, self._reaper.stop)
        self._checkpoints_loaded = 0
        self.load_cfg = dict(load_cfg or {})
        self.launcher = launcher
        check_experiment_name(experiment_name)  # built directly too, not only from a config
        if experiment_name is None:
            filename = getattr(cfg, "filename", None)
            experiment_name = Path(filename).stem if filename else "run"
        self.experiment_name = str(experiment_name)  # a number too, as MMEngine formats it
        self.default_scope = default_scope
        # MMEngine: a DefaultScope named after the experiment; None keeps the current one
        if default_scope is not None:
            set_default_scope(default_scope, name=self.experiment_name)
        self.log_processor_cfg = dict(log_processor) if isinstance(log_processor, Mapping) else {}
        self.log_processor = self.build_log_processor(log_processor)  # checks the options now
        check_visualizer_value(visualizer)  # a bad value fails before the run folder is made
        if model_wrapper_cfg is None and self._wrapper_cfg_from_cfg and hasattr(self.cfg, "get"):
            # MMEngine reads it from cfg (runner.py: wrap_model(self.cfg.get('model_wrapper_cfg')))
            model_wrapper_cfg = self.cfg.get("model_wrapper_cfg")
        self.model_wrapper_cfg = model_wrapper_cfg

        # environment, randomness, folders, logging
        self.env_cfg = default_env_cfg() if env_cfg is None else dict(env_cfg)
        self._call_setup_env()
        self.randomness_cfg = dict(randomness or {})
        if self.randomness_cfg.get("seed") is not None:  # named as the config's key
            from .randomness import check_seed

            check_seed(self.randomness_cfg["seed"])
        self.seed: int
        self.set_randomness(
            seed=self.randomness_cfg.get("seed"),
            diff_rank_seed=self.randomness_cfg.get("diff_rank_seed", False),
            deterministic=self.randomness_cfg.get("deterministic", False),
        )
        self.timestamp = make_timestamp()
        if work_dir is None:  # work_dirs/<name>, or [tool.runner] work_dir_root/<name>
            work_dir = default_work_dir(getattr(cfg, "filename", None), self.experiment_name)
        self.work_dir, self.log_dir = prepare_work_dir(
            work_dir, self.timestamp, create=self.rank == 0
        )
        # the lock prepare_work_dir took (rank 0): held until the first run call ends, taken
        # again for each later one, given back when this Runner is garbage-collected
        self._work_dir_hold = (
            WorkDirHold(self.work_dir, owner=self, held=True) if self.rank == 0 else None
        )
        try:  # a failure from here on gives the lock back at once: the partly built
            # Runner may live on in the traceback (IPython keeps sys.last_traceback)
            self.timestamp = self.log_dir.name  # a new folder: "<time>_1" if that second is taken
            self.log_level = log_level
            # RunnerAPI's type (a RunLogger): this run's own logger, writing the run folder's log
            self.logger: RunLogger = self.build_logger(log_level=log_level)
            self._header_logged = False
            if self.deterministic and self.env_cfg.get("cudnn_benchmark"):
                self.logger.warning(  # MMEngine's warning, with the two keys
                    "env_cfg.cudnn_benchmark=True is turned off by randomness.deterministic="
                    "True: cuDNN must select its algorithms deterministically "
                    "(torch.backends.cudnn.benchmark is False)."
                )
            self.message_hub = self.build_message_hub()
            self.message_hub.update_info_dict(
                {"experiment_name": self.experiment_name, "seed": self.seed}
            )
            # custom_cfg's long windows read more than a history's default 1,000 values
            reserve = getattr(self.log_processor, "reserve_histories", None)  # a stand-in's too
            if reserve is not None:
                reserve(self.message_hub)
            self.dump_config()
            self.visualizer = self.build_visualizer(visualizer)

            # the model, wrapped for distributed runs; data_preprocessor goes into the model's
            # config as in MMEngine, so build_model(self, model) keeps MMEngine's signature
            self._data_preprocessor = data_preprocessor
            if isinstance(model, Mapping) and data_preprocessor is not None:
                model = {"data_preprocessor": data_preprocessor, **model}
            self.model = self.build_model(model)
            self.model = self.wrap_model(self.model_wrapper_cfg, self.model)

            # hooks
            self._hooks = HookManager()
            self._hooks.watch("before_run", before=self._run_phase.start)
            self._hooks.watch("after_run", after=self._run_phase.end)
            self.default_hooks_set, self._default_hook_cfgs = _build.active_default_set(
                default_hooks_set, getattr(cfg, "filename", None)
            )
            self.register_hooks(default_hooks, custom_hooks)
        except BaseException:
            if self._work_dir_hold is not None:
                self._work_dir_hold.release()
            close_files = getattr(getattr(self, "logger", None), "close_files", None)
            if close_files is not None:  # a notebook re-running the cell holds no file
                close_files()
            raise

    # -- construction from configs -------------------------------------------------
    @classmethod
    def from_cfg(cls: type[_R], cfg: Any) -> _R:
        """Build a Runner (or the ``runner_type`` subclass) from a config."""
        from ..config import Config

        if not isinstance(cfg, Config):
            cfg = Config(copy.deepcopy(dict(cfg)))
        runner_type = cfg.get("runner_type")
        if runner_type is not None and cls is Runner:
            # looked up in the config's default scope, as every other type of the config
            # (and `runner-cli config check`): a library's child RUNNERS answers first
            try:
                target = runner_class(runner_type, cfg.get("default_scope", "runner_core"))
            except RegistryError as exc:
                name_config_key(exc, "runner_type")
                raise
            if target is not cls:
                return target.from_cfg(cfg)
        # a subclass's own constructor arguments are config keys too (MMEngine's from_cfg
        # lists them by hand in each subclass)
        keys = RUNNER_KEYS if cls is Runner else constructor_keys(cls)  # type: ignore[arg-type]  # a class hashes
        _check_keys(cfg, keys)
        compile_options(cfg.get("compile"))  # a bad compile= fails now, not at train()
        check_runner_values(cfg)  # resume/load_from/switches: input errors before building
        kwargs = {key: copy.deepcopy(cfg.get(key)) for key in keys if key in cfg}
        if "visualizer" not in kwargs and "vis_backends" in cfg:
            kwargs["visualizer"] = {"vis_backends": copy.deepcopy(cfg.get("vis_backends"))}
        kwargs.setdefault("model", None)
        return cls(**kwargs, cfg=cfg)

    build_from_cfg = from_cfg

    # -- environment -----------------------------------------------------------------
    def _call_setup_env(self) -> None:
        """Call ``setup_env(env_cfg)``, or ``setup_env()`` for an override that takes nothing.

        The Runner guide's custom runner overrides it as ``def setup_env(self)``,
        which MMEngine's call cannot reach (a TypeError); the override then
        reads ``self.env_cfg`` itself. ``rank``, ``world_size`` and
        ``distributed`` are set afterwards, whatever the override did.
        """
        import inspect

        try:
            takes_nothing = not inspect.signature(self.setup_env).parameters
        except (TypeError, ValueError):  # a callable without a signature: the usual call
            takes_nothing = False
        if takes_nothing:
            self.setup_env()  # type: ignore[call-arg]
        else:
            self.setup_env(self.env_cfg)
        self._read_world()  # after any override too, from the process group it may have started

    def _read_world(self) -> None:
        """``rank``, ``world_size`` and ``distributed`` from the process group."""
        from ..distributed import utils as dist_utils

        self.rank = dist_utils.get_rank()
        self.world_size = dist_utils.get_world_size()
        self.distributed = self.world_size > 1

    def setup_env(self, env_cfg: Mapping[str, Any]) -> None:
        """Distributed set-up, cudnn and multiprocessing settings (override to customise)."""
        from ..distributed import utils as dist_utils

        if self.launcher not in (None, "none") and not dist_utils.is_distributed():
            from ..distributed.launch import init_dist

            init_dist(self.launcher, **dict(env_cfg.get("dist_cfg") or {}))
        mp_cfg = dict(env_cfg.get("mp_cfg") or {})
        if mp_cfg:
            from ..distributed.launch import setup_multiprocessing

            setup_multiprocessing(**mp_cfg)
        if env_cfg.get("cudnn_benchmark"):
            import torch

            torch.backends.cudnn.benchmark = True
        from ..distributed.launch import raise_open_files_limit

        raise_open_files_limit(env_cfg.get("resource_limit", 4096))
        self._read_world()  # an override calling super() may read self.rank right after

    # -- loops and counters --------------------------------------------------------------
    @property
    def train_loop(self) -> Any:
        """The training loop, built from ``train_cfg`` on first access (as MMEngine's);
        None when the Runner has no ``train_cfg``."""
        if not _built(self._train_loop):
            # a config put in ``runner._train_loop`` (as MMEngine's holds one) comes first
            cfg = self._train_loop if self._train_loop is not None else self._train_cfg
            if cfg is None:
                # as MMEngine's: a Runner without train_cfg (val()/test() only) has none,
                # and hooks written for it test `runner.train_loop is not None`
                return None
            if self._train_cfg is None and cfg is self._train_loop:
                self._check_can_train()  # a config put there without data: the parts rule
            loop = self.build_train_loop(cfg)
            check_initialised(loop, "train_cfg")
            self._train_loop = loop
            self._reap_workers_of(loop)
        return self._train_loop

    @property
    def val_loop(self) -> Any:
        """The validation loop, built from ``val_cfg`` on first access; None without
        ``val_dataloader``."""
        if not _built(self._val_loop):
            if self._val_dataloader is None:
                return None
            loop = self.build_val_loop(self._val_loop or self._val_cfg or {})
            check_initialised(loop, "val_cfg")
            self._val_loop = loop
            self._reap_workers_of(loop)
        return self._val_loop

    def _reap_workers_of(self, loop: Any) -> None:
        reaper = self.__dict__.get("_reaper")
        loader = getattr(loop, "dataloader", None)
        # a loader passed as an object is the caller's (another Runner may iterate it)
        if reaper is not None and id(loader) not in self.__dict__.get("_given_loaders", ()):
            reaper.add(loader)

    def release_data_workers(self) -> None:
        """Stop the worker processes of the data loaders this Runner has built.

        Loaders with ``persistent_workers=True`` keep their workers while the
        Runner lives, and a Runner sits in reference cycles: dropped, it (with
        its workers, model and optimizer state) is freed only by a full garbage
        collection, which the next Runner's first run call runs (see
        ``runner.dropped``). Code that runs Runners one after another in one
        process (a sweep, a notebook) may call this when one is done to stop its
        workers at once. A later
        ``train()``, ``val()`` or ``test()`` starts new workers. A loader passed
        in built (a ``DataLoader`` object) is the caller's and is left alone: another
        Runner, or the caller, may go on iterating it.
        """
        from ..data.worker_shutdown import shutdown_workers

        loops = (self._train_loop, self._val_loop, self._test_loop)
        loaders = [getattr(loop, "dataloader", None) for loop in loops]
        loaders += [self._train_dataloader, self._val_dataloader, self._test_dataloader]
        given = self.__dict__.get("_given_loaders", ())
        for loader in {id(loader): loader for loader in loaders if loader is not None}.values():
            if id(loader) not in given:
                shutdown_workers(loader)

    @property
    def test_loop(self) -> Any:
        """The test loop, built from ``test_cfg`` on first access; None without
        ``test_dataloader``."""
        if not _built(self._test_loop):
            if self._test_dataloader is None:
                return None  # as val_loop (and MMEngine's); test() says what is missing
            loop = self.build_test_loop(self._test_loop or self._test_cfg or {})
            check_initialised(loop, "test_cfg")
            self._test_loop = loop
            self._reap_workers_of(loop)
        return self._test_loop

    @property
    def train_dataloader(self) -> Any:
        """The training loop's data loader (building the loop); an error says what a
        training run lacks when there is no ``train_cfg``."""
        loop = self.train_loop
        if loop is None:
            self._check_can_train()  # says what a training run lacks
        return loop.dataloader

    @property
    def val_dataloader(self) -> Any:
        """The validation loop's data loader (building the loop); None without one."""
        loop = self.val_loop
        return loop.dataloader if loop is not None else None

    @property
    def test_dataloader(self) -> Any:
        """The test loop's data loader (building the loop); None without one."""
        loop = self.test_loop
        return loop.dataloader if loop is not None else None

    @property
    def val_evaluator(self) -> Any:
        """The validation loop's evaluator (None without validation data)."""
        return getattr(self.val_loop, "evaluator", None)

    @property
    def test_evaluator(self) -> Any:
        """The test loop's evaluator (None without test data)."""
        return getattr(self.test_loop, "evaluator", None)

    @property
    def val_interval(self) -> Any:
        """The train loop's validation interval (MMEngine's shortcut)."""
        return getattr(self.train_loop, "val_interval", None)

    @property
    def val_begin(self) -> Any:
        """The train loop's first validated epoch / iteration (MMEngine's shortcut)."""
        return getattr(self.train_loop, "val_begin", None)

    @property
    def model_name(self) -> str:
        """The model's class name, inside its DDP wrapper or our adapter of a plain module."""
        from ..model.base_model import ModuleAdapter

        model = self.unwrapped_model
        return type(model.module if isinstance(model, ModuleAdapter) else model).__name__

    @property
    def deterministic(self) -> bool:
        """``randomness.deterministic``."""
        return bool(self.randomness_cfg.get("deterministic", False))

    @property
    def epoch(self) -> int:
        """The training loop's epoch counter, as MMEngine's: the 0-based index of the epoch
        running (epochs completed; 0 before the loop is built)."""
        loop = self._train_loop  # per iteration: a dict check, not Mapping's ABC one
        return 0 if loop is None or isinstance(loop, dict) else _counter(loop, "epoch")

    @property
    def iter(self) -> int:
        """The training loop's iteration counter, as MMEngine's: the 0-based index of the
        iteration running (iterations completed; 0 before the loop is built)."""
        loop = self._train_loop
        return 0 if loop is None or isinstance(loop, dict) else _counter(loop, "iter")

    @property
    def max_epochs(self) -> int:
        """The train loop's ``max_epochs``, typed ``int`` for the arithmetic of hooks that
        run in training. None before the train loop is built or when it has no such
        attribute (MMEngine's ``train_loop.max_epochs`` builds the loop then, and is 0
        without ``train_cfg``)."""
        loop = self._train_loop if _built(self._train_loop) else None
        value: Any = getattr(loop, "max_epochs", None)
        return value

    @property
    def max_iters(self) -> int:
        """The train loop's ``max_iters``; None in the same cases as :attr:`max_epochs`."""
        loop = self._train_loop if _built(self._train_loop) else None
        value: Any = getattr(loop, "max_iters", None)  # None: see max_epochs
        return value

    # MMEngine's private names, for Runner subclasses written for it (see _Alias)
    _work_dir = _Alias("work_dir")
    _timestamp = _Alias("timestamp")
    _experiment_name = _Alias("experiment_name")
    _seed = _Alias("seed")
    _rank = _Alias("rank")
    _world_size = _Alias("world_size")
    _distributed = _Alias("distributed")
    _launcher = _Alias("launcher")
    _deterministic = _Alias("deterministic")
    _model_name = _Alias("model_name")
    _maybe_compile = _Replaced(
        "call runner_core.runner.compile.maybe_compile(runner, 'train_step')"
    )
    _build_param_scheduler = _Replaced("call self.build_param_scheduler(scheduler_cfg)")
    _check_scheduler_cfg = _Replaced("schedulers are checked when built (build_param_scheduler)")
    _log_env = _Replaced("the environment is logged once, at the top of the first run's log")

    # -- hooks -----------------------------------------------------------------------------
    @property
    def hooks(self) -> HookManager:
        """The registered hooks in call order: iterate, ``len``, index (MMEngine's list)."""
        return self._hooks

    @property
    def _hooks(self) -> HookManager:
        """MMEngine's private list of hooks: :attr:`hooks`."""
        return self._hook_manager

    @_hooks.setter
    def _hooks(self, hooks: HookManager | Iterable[Hook]) -> None:
        # code written for MMEngine filters its list: runner._hooks = [h for h in ...]
        if isinstance(hooks, HookManager):
            self._hook_manager = hooks
            return
        if "_hook_manager" not in self.__dict__:  # MMEngine's `self._hooks = []` in __init__
            self._hook_manager = HookManager()
        self._hook_manager.keep_only(list(hooks))

    @property
    def hook_points(self) -> HookPoints:
        """One plain function per standard hook point: the loops' fast path (through
        ``call_hook`` when a subclass overrides it, so that it sees every point)."""
        manager = self._hook_manager
        if type(self).call_hook is Runner.call_hook and "call_hook" not in self.__dict__:
            return manager.points
        routed = self.__dict__.get("_routed_points")
        if routed is None or routed._manager is not manager:
            routed = self._routed_points = CallHookPoints(manager)
        return cast("HookPoints", routed)

    @property
    def resume_state(self) -> ResumeState:
        """What to resume from and what a resumed run still has to hand over."""
        return self._resume_state

    @property
    def _resume(self) -> bool:
        """MMEngine's private flag, read by hooks written for it (mmpretrain's EMAHook):
        ``resume_state.requested``."""
        return self._resume_state.requested

    @property
    def _randomness_cfg(self) -> dict[str, Any]:
        """MMEngine's private name of :attr:`randomness_cfg` (mmrazor's PTQ loop reads it)."""
        return self.randomness_cfg

    @property
    def _has_loaded(self) -> bool:
        """MMEngine's private flag: ``load_or_resume`` loaded a checkpoint (``load_from``
        or a resume). Hooks read it to tell a fresh model from a loaded one (MMYOLO's
        ``YOLOAutoAnchorHook`` fits anchors only for a fresh one). Setting it (an
        MMEngine-style ``load_or_resume`` override) marks the load step done."""
        return self._load_done and self._checkpoints_loaded > 0

    @_has_loaded.setter
    def _has_loaded(self, done: bool) -> None:
        self._load_done = bool(done)

    @property
    def _load_from(self) -> str | Path | None:
        """MMEngine's private attribute, read by subclasses written for it (their own
        ``load_or_resume``): the file to load weights or resume from; None for none, or
        for the newest checkpoint of the work dir."""
        return self._resume_state.named_file

    @property
    def _log_dir(self) -> str:
        """MMEngine's private attribute, read by downstream hooks and tools (feature-map
        and CAM hooks saving beside the log, analysis scripts): ``str(log_dir)``."""
        return str(self.log_dir)

    def register_hook(
        self, hook: Hook | Mapping[str, Any], priority: int | str | None = None
    ) -> None:
        """Add one hook (object or config) after the hooks of equal priority.

        ``priority`` overrides both the hook's own and a ``priority`` key in
        its config, as in MMEngine.
        """
        built, cfg_priority = _build.build_hook(hook, "custom_hooks")
        self._hooks.register(built, priority if priority is not None else cfg_priority)

    def register_default_hooks(self, hooks: Mapping[str, Any] | None = None) -> None:
        """Register the active default-hooks set, updated by ``hooks`` (role -> cfg)."""
        merged = _build.merge_default_hooks(
            self._default_hook_cfgs, hooks, set_name=self.default_hooks_set
        )
        given = hooks or {}
        replaced = _build.roles_replaced(self._default_hook_cfgs, given)
        chosen = self.default_hooks_set
        if replaced and chosen is not None and chosen not in ("none", "standard"):
            self.logger.warning(_build.replaced_roles_message(chosen, replaced))
        built = []
        for role, cfg in merged.items():
            where = f"default_hooks.{role}"
            if role not in given:  # the set's own entry: the config has no such key
                where = f"<default-hooks set {self.default_hooks_set!r}>.{role}"
            hook, priority = _build.build_hook(cfg, where)
            built.append((role, hook))
            self._hooks.register(hook, priority, role)
        _build.check_duplicate_roles(built)

    def register_custom_hooks(self, hooks: list[Any]) -> None:
        """Register ``custom_hooks`` (objects or configs)."""
        from ..errors import HookError

        for i, cfg in enumerate(hooks or []):
            hook, priority = _build.build_hook(cfg, f"custom_hooks[{i}]")
            try:
                self._hooks.register(hook, priority, None)
            except HookError as exc:  # which entry of a long list: its place says
                raise type(exc)(f"custom_hooks[{i}]: {exc.args[0] if exc.args else exc}") from None

    def register_hooks(
        self,
        default_hooks: Mapping[str, Any] | None = None,
        custom_hooks: list[Any] | None = None,
    ) -> None:
        """Register the default hooks (updated by ``default_hooks``), then ``custom_hooks``.

        A custom hook of the class of a hook the default set adds beyond
        MMEngine's (``check_invalid_loss``) replaces it, unless ``default_hooks``
        names that role: configs written for MMEngine add such hooks in
        ``custom_hooks`` and mean one of them.
        """
        with self._hooks.batch():
            self.register_default_hooks(default_hooks)
            if custom_hooks:
                self.register_custom_hooks(custom_hooks)
                self._drop_defaults_given_as_custom(set(default_hooks or {}))

    def _drop_defaults_given_as_custom(self, named: set[str]) -> None:
        """A custom hook of the class of a default MMEngine's set lacks replaces it: its
        subclass, or a class of the same name (MMEngine's hook tutorial writes its own
        ``CheckInvalidLossHook``, which MMEngine runs alone)."""
        hooks = list(self._hooks)
        custom = [type(hook) for hook in hooks if self._hooks.role_of(hook) is None]
        for hook in hooks:
            role = self._hooks.role_of(hook)
            if role is None or role in _MMENGINE_ROLES or role in named:
                continue
            kind = type(hook)
            same = [c for c in custom if issubclass(c, kind) or c.__name__ == kind.__name__]
            if same:
                self._hooks.remove(hook)
                given = same[0]
                name = given.__name__ if given is kind else f"{given.__module__}.{given.__name__}"
                self.logger.info(
                    "custom_hooks has a %s, which replaces the default hook %r (a default "
                    "MMEngine's set lacks): one runs, with the custom hook's arguments.",
                    name,
                    role,
                )

    def get_hooks_info(self) -> str:
        """Per hook point, the hooks in the order they run (MMEngine's name)."""
        return self._hooks.order_table()

    def call_hook(self, fn_name: str, **kwargs: Any) -> None:
        """Call hook point ``fn_name``; omitted arguments arrive as None, except those a
        custom point's hook method requires (HookTypeError: MMEngine's call, a TypeError)."""
        kwargs["runner"] = self
        self._hook_manager.call(fn_name, kwargs)

    call_hooks = call_hook  # the name earlier releases used

    def _start(self, loops: list[Any]) -> None:
        if not self._header_logged:  # once per Runner, at the top of its log
            self._header_logged = True
            log_run_header(self)
        for loop in loops:
            points = getattr(loop, "hook_points", None)
            if points:
                self._hooks.declare_points(points)
        self._hooks.refresh()  # methods a test replaced since registration (mock.patch.object)
        self._hooks.validate()

    # -- running -------------------------------------------------------------------------------
    def _missing_for_training(self) -> list[str]:
        """The parts train() needs that this Runner lacks (the parts rule, runner.parts)."""
        loop = self._train_loop if self._train_loop is not None else self._train_cfg
        built_loop = loop is not None and not isinstance(loop, Mapping)  # brings its data
        have = {
            "train_dataloader": True if built_loop else self._train_dataloader,
            "train_cfg": loop,
            "optim_wrapper": self.optim_wrapper,
        }
        return missing_parts(have, "train")

    def _can_train(self) -> bool:
        return not self._missing_for_training()

    def _check_can_train(self) -> None:
        """Raise the parts rule's error (runner.parts) if this Runner lacks what train() needs."""
        missing = self._missing_for_training()
        if missing:
            raise ConfigError(missing_message("train", missing, "This Runner"))

    @fail_fast
    @_holding_work_dir
    @_flush_records_on_error
    def train(self) -> nn.Module:
        """Train; return the trained model (what the train loop's ``run()`` returns: the
        standard loops return ``runner.model``, as MMEngine's do)."""
        from .building import _refuse_lightning_style

        _refuse_lightning_style(self.unwrapped_model)  # before 'no optim_wrapper': the cause
        self._check_can_train()
        self._require_model_steps("train_step", *(("val_step",) if self.has_validation() else ()))
        loop, self._run_phase.ready_train_loop = self._run_phase.ready_train_loop, None
        if loop is not None:  # load_or_resume() took the steps up to the first iteration
            if not self._load_done:  # a resume() asked since: load it into the begun run
                self._load_now()
            self._resume_state.preloaded = False
        else:
            preloaded = self._resume_state.preloaded
            loop = self._prepare_training(None if preloaded else self._find_resume_checkpoint())
        maybe_compile(self, "train_step")  # the config's compile=True / dict(...), as MMEngine
        import torch

        # grad mode on, whatever the caller left (a notebook's torch.set_grad_enabled(False)
        # in an inference cell: the step failed as "element 0 of tensors does not require
        # grad"); the evaluation loops turn it off for themselves
        with preemption.watch(self), torch.enable_grad():  # SIGTERM/SIGUSR1: save, stop
            try:
                model = loop.run()
            finally:  # after_train wakes idle points (Hook.idle_points); an error skips it
                self._hooks.wake_idle()
        self.call_hook("after_run")
        self._hooks.warn_uncalled()
        return model

    def _prepare_training(
        self, found: dict[str, Any] | None = None, load: Callable[[], None] | None = None
    ) -> Any:
        """``train()``'s steps before the first iteration; return the train loop.

        ``found``: the checkpoint to resume from (found first: its seed seeds the
        data loaders, built here). ``load`` loads after ``before_run`` and the
        weight initialisation; by default ``load_or_resume()``, which applies
        ``found``. After a ``load_or_resume()`` that resumed already
        (``resume_state.preloaded``: before ``train()``, or from a ``before_run``
        hook) nothing is loaded again.
        """
        state = self._resume_state
        preloaded, state.preloaded = state.preloaded, False
        if not preloaded:
            state.resumed_from = None  # this train()'s, not an earlier one's
            if found is not None:
                state.resumed_from = str(found["meta"]["resumed_from"])
                self._reseed_from(found)
        loop = self.train_loop
        if not preloaded:
            # a train() that continues an advanced loop (max_epochs raised, or after an
            # error) keeps the schedulers, as MMEngine's: built again they would restart
            # the schedule on the already-scheduled lr (a MultiStepLR decays twice)
            self._build_training_parts(rebuild_schedulers=self.iter == 0)
        val_loop = self.val_loop
        self._start([loop, val_loop] if val_loop is not None else [loop])
        unstepped = _build.unstepped_schedulers_message(
            self.param_schedulers,
            {self._hooks.role_of(hook) for hook in self._hooks},
            [type(hook) for hook in self._hooks],
            self.default_hooks_set,
        )
        if unstepped:
            self.logger.warning(unstepped)
        self.call_hook("before_run")
        if preloaded or state.preloaded:  # load_or_resume() resumed (before, or in a hook)
            state.preloaded = False  # weights, optimizer, schedulers, position: all loaded
            # a resume from a before_run hook or a run of one's own did not turn them on
            # (each leaves a module it changed already as it is)
            turn_on_model_features(self)
            return loop
        self._init_model_weights()
        turn_on_model_features(self)  # the config's activation_checkpointing, ...
        state.found = found
        if load is None:
            self._load_at("train")
        else:
            load()
        self._load_done = True
        checkpointing.init_optim_counts(self)
        return loop

    def _build_training_parts(self, rebuild_schedulers: bool) -> None:
        """The train loop, the optimizer (lr scaled by ``auto_scale_lr``) and the schedulers
        over it; ``rebuild_schedulers=False`` keeps schedulers already built."""
        _ = self.train_loop  # the schedulers' epoch length, the lr scaling's batch size
        self.optim_wrapper = self.build_optim_wrapper(self.optim_wrapper)
        built = self._schedulers_built()
        if not built:  # what was passed, or what user code put there since (MMEngine's)
            self._param_scheduler_cfg = self.param_schedulers
        if rebuild_schedulers or not built:
            cfg = self._param_scheduler_cfg
            self.param_schedulers = None  # built again below, from the scaled lr
            try:
                self.scale_lr(self.optim_wrapper, self.auto_scale_lr)
                schedulers = [] if cfg is None else self.build_param_scheduler(cfg)
            except BaseException:
                self.param_schedulers = cfg  # what was passed, for the next train()
                raise
            self.param_schedulers = self._built_schedulers = schedulers
        else:  # kept from an earlier train(): a longer run stretches what follows its length
            loop = self.train_loop
            max_epochs = getattr(loop, "max_epochs", None)
            for scheduler in _each_scheduler(self.param_schedulers):
                follow = getattr(scheduler, "follow_run", None)
                if follow is not None:
                    follow(max_epochs, getattr(loop, "max_iters", None))

    def _schedulers_built(self) -> bool:
        """Whether ``param_schedulers`` holds the schedulers train() built (not a config)."""
        return self.param_schedulers is self._built_schedulers

    def scale_lr(self, optim_wrapper: Any, auto_scale_lr: Mapping[str, Any] | None = None) -> None:
        """Scale every param group's lr by (batch size x world size) / ``base_batch_size``
        when ``auto_scale_lr.enable`` (MMEngine's method; ``train()`` calls it once the
        optimizer is built, before the schedulers). Each optim wrapper is scaled once:
        called before ``train()``, ``train()`` does not scale it again."""
        _scale_lr(
            optim_wrapper,
            auto_scale_lr,
            scaled=self._lr_scaled,
            batch_size=lambda: per_process_batch_size(
                self._train_batch_size_cfg, lambda: self.train_dataloader
            ),
            world_size=self.world_size,
            schedulers=self.param_schedulers,
            logger=self.logger,
        )

    def _init_model_weights(self) -> None:
        """``model.init_weights()`` (``init_cfg``) before training, as MMEngine does; in a
        distributed run rank 0's weights are then given to every rank."""
        model = self.unwrapped_model
        init = getattr(model, "init_weights", None)
        if not callable(init):
            return
        from ..model.weight_init import pretrained_allow_pickle

        # init_cfg=dict(type='Pretrained', ...) loads a file too: the same opt-in as load_from
        with pretrained_allow_pickle(bool(self.load_cfg.get("allow_pickle", False))):
            init()
        if self.world_size > 1:  # replicated weights (DDP); FSDP's shards stay as they are
            import torch

            from ..distributed import broadcast

            for tensor in model.state_dict().values():
                if type(tensor) is torch.Tensor:
                    broadcast(tensor, src=0)

    @fail_fast
    @_holding_work_dir
    @_flush_records_on_error
    def val(self) -> dict[str, Any]:
        """Validate; return the metrics."""
        loop = self.val_loop
        if loop is None:
            raise RunnerError("runner.val() needs val_dataloader (and val_evaluator).")
        self._require_model_steps("val_step")
        self._start([loop])
        self.call_hook("before_run")
        self._load_at("val")
        metrics = loop.run()
        self.call_hook("after_run")
        return metrics

    @fail_fast
    @_holding_work_dir
    @_flush_records_on_error
    def test(self) -> dict[str, Any]:
        """Test; return the metrics."""
        loop = self.test_loop
        if loop is None:
            raise RunnerError("This Runner has no test_dataloader: it cannot test.")
        self._require_model_steps("test_step")
        self._start([loop])
        self.call_hook("before_run")
        self._load_at("test")
        metrics = loop.run()
        self.call_hook("after_run")
        return metrics

    def has_validation(self) -> bool:
        """Whether the run has validation data (without building the val loop)."""
        return self._val_dataloader is not None or _built(self._val_loop)

    def run_validation(self) -> dict[str, Any] | None:
        """Validation inside training: never moves training's random streams, and leaves
        the model in the mode it found it (the val loop leaves it in eval mode, as after
        ``val()``), so the iterations after a mid-epoch validation still train."""
        loop = self.val_loop
        if loop is None:
            return None
        model = self.model
        was_training = model.training
        # checkpoints saved during validation record training's streams, not validation's
        self._resume_state.training_rng = capture_rng_state()
        try:
            with isolated_rng():
                return loop.run()
        finally:
            self._resume_state.training_rng = None
            model.train(was_training)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(experiment_name={self.experiment_name!r}, work_dir={str(self.work_dir)!r})"


#: The top-level config keys the Runner reads: its constructor's arguments.
RUNNER_KEYS = constructor_keys(Runner)


def check_top_level_keys(cfg: Mapping[str, Any]) -> None:
    """A top-level key that looks like a key the Runner reads is a typo: say so."""
    _check_keys(cfg, RUNNER_KEYS)


if TYPE_CHECKING:  # the Runner keeps the plugin contract (checked by mypy)

    def _keeps_the_contract(runner: Runner) -> RunnerAPI:
        return runner


def runner_class(runner_type: Any, scope: Any = None) -> Any:
    """The class ``runner_type`` names (a registered name or a Runner class); RegistryError
    for an unknown name, ConfigTypeError for a value with no ``from_cfg`` (``runner_type=5``).

    A name is looked up with ``scope`` (the config's ``default_scope``; None or a value
    that is no str: the current one) the default scope, so that the run's Runner is the
    class the library of that scope registers, before the Runner sets that scope itself.
    """
    if not isinstance(runner_type, str):
        target = runner_type
    else:
        with overwrite_default_scope(scope if isinstance(scope, str) else None):
            target = RUNNERS.lookup(runner_type)
    if not callable(getattr(target, "from_cfg", None)):
        from ..errors import ConfigTypeError

        raise ConfigTypeError(
            f"runner_type={runner_type!r} is not valid: give the name of a registered "
            "runner (runner_type='Runner', or one from @RUNNERS.register_module()) or "
            "a Runner class."
        )
    return target


def _as_config(cfg: Any) -> Any:
    """``runner.cfg``: a plain mapping becomes a ``Config``, as MMEngine's ``Config(cfg)``,
    so ``runner.cfg.key``, ``dump_config()`` and the visualizer's ``config.py`` work."""
    if cfg is None:
        return _empty_config()
    from ..config import Config

    if isinstance(cfg, Mapping) and not isinstance(cfg, Config):
        return Config(dict(cfg))
    if isinstance(cfg, Config):  # a copy, as MMEngine's deepcopy: the caller may edit its
        return _record_copy(cfg)  # Config for the next run (a sweep); this run's must not change
    return cfg


def _record_copy(cfg: Any) -> Any:
    """A deep copy of ``cfg``'s plain values (containers, numbers, strings); objects in it
    (a model, an in-memory dataset) are shared, not duplicated: what a caller edits between
    runs are values, and the Runner builds from copies of its own (``from_cfg``)."""
    plain = (str, bytes, int, float, complex, bool, type(None), type)
    shared: dict[int, Any] = {}
    pending = [*dict.values(cfg._cfg_dict)]  # stored values: reading them would import
    while pending:  # the names a pure-Python config imported (ImportedName.resolve)
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(dict.values(value))
        elif isinstance(value, Mapping):
            pending.extend(value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            pending.extend(value)
        elif not isinstance(value, plain):
            shared[id(value)] = value  # deepcopy's memo: returned as it is
    return copy.deepcopy(cfg, shared)


def _empty_config() -> Any:
    """``runner.cfg`` of a Runner built from arguments (what they were: ``arguments_cfg``)."""
    from ..config import Config

    return Config()


def default_env_cfg() -> dict[str, Any]:
    """MMEngine's ``env_cfg`` when none is given, ``dict(dist_cfg=dict(backend=...))``, so a
    ``setup_env`` override that reads ``env_cfg['dist_cfg']`` finds it; the backend is the
    one a distributed run would pick anyway (NCCL with CUDA, gloo without: MMEngine's
    ``'nccl'`` would only fall back to gloo with a warning on a CPU machine)."""
    from ..distributed.launch import resolve_backend

    return {"dist_cfg": {"backend": resolve_backend(None)}}


def _counter(loop: Any, name: str) -> int:
    """``loop.epoch``/``loop.iter``; 0 for a config held in a Mapping that is no dict."""
    try:
        value: int = getattr(loop, name)
    except AttributeError:
        if isinstance(loop, Mapping):
            return 0
        raise
    return value


def _built(loop: Any) -> bool:
    """Whether ``runner._<mode>_loop`` holds a loop: not None, nor the config it is built
    from (MMEngine's attribute holds either)."""
    return loop is not None and not isinstance(loop, Mapping)


def _loop_config(cfg: Any, dataloader: Any) -> dict[str, Any] | None:
    """What MMEngine holds in ``runner._val_loop`` / ``_test_loop`` before the loop is built:
    its config (None without data; a loop object passed as the config is built as before)."""
    if dataloader is None:
        return None
    if cfg is None:
        return {}
    return _config_copy(cfg)


def _config_copy(cfg: Any) -> dict[str, Any] | None:
    """A loop config as ``runner._<mode>_loop`` holds it: a copy, a ConfigDict staying one,
    always a dict (``Runner.epoch`` tells a config from a loop by that); None for anything
    else (a loop object, built as before)."""
    if isinstance(cfg, dict):
        return copy.copy(cfg)
    return dict(cfg) if isinstance(cfg, Mapping) else None
