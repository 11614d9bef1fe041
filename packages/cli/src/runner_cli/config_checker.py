"""Check a resolved config without building anything heavy, reporting every problem.

Each ``type`` is looked up in the registry its key path implies (``model`` in
MODELS, ``*_dataloader.dataset`` in DATASETS, ...) and its keyword arguments
are compared with the target's signature. Arguments the Runner fills in itself
(a loop's ``runner``, a sampler's ``dataset``, an optimizer's ``params``) count
as given. The values are then checked by the functions the Runner and its
builders call, and the cheap parts whose constructors check their own values
are built as a run builds them: the log processor, hooks, metrics and
evaluators, the optim wrapper constructor, and the optimizer and its wrapper
over a one-weight stand-in for the model. Only classes of runner's own packages
and torch are built (a plugin's constructor may read files or connect to a
server); no dataset, model, work dir or file is touched. What is left unchecked
is listed in :data:`NOT_CHECKED` and, per config, in ``ConfigChecker.not_built``.
Every hook's class (a plugin's too: only inspected) has its methods checked
against the hook points, the standard ones and the config's loops', as a run
checks them when it starts.
Problems are collected, not raised, so one run of ``runner-cli config check``
shows all of them.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .run_setup import missing_parts_message

#: what ``config check`` never checks: known only once the data, the model or the
#: first validation exist (printed with its result)
NOT_CHECKED = (
    "the model, the datasets and the loops built over them are not built: what only they "
    "tell (an InfiniteSampler in a loop of your own, a plugin loop's own values) and the "
    "data's contents",
    "what the data or the first validation decides: a metric's topk against the number of "
    "classes, the metric a scheduler or hook monitors, paramwise_cfg custom_keys against "
    "the model's parameters",
    "the device and the cluster: mixed precision, fused optimizers and distributed settings "
    "are checked as on this machine's CPU; a checkpoint URL in load_from/resume is not fetched",
)

#: the packages whose parts are built to check their values: their constructors only
#: check and store their arguments (a plugin's may read files or connect to a server)
_BUILT_PACKAGES = frozenset(
    {"runner_core", "runner_hooks_standard", "runner_loops_standard", "torch"}
)


def _built_here(cls: Any) -> bool:
    """Whether ``cls`` comes from a package whose parts are cheap to build."""
    module = getattr(cls, "__module__", None) or ""
    return module.split(".", 1)[0] in _BUILT_PACKAGES


def _first_key(message: str, known: Iterable[str]) -> str | None:
    """The top-level key a message starts with (``env_cfg.mp_cfg is ...`` -> ``env_cfg``)."""
    head = message.split(" ", 1)[0]
    for sep in ("=", ".", "["):
        head = head.split(sep, 1)[0]
    return head if head in set(known) else None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the config, at one key path."""

    key_path: str
    message: str

    def __str__(self) -> str:
        return f"{self.key_path}: {' '.join(self.message.split())}"


def _deepest_key(key_path: str, message: str) -> tuple[str, str]:
    """(key, message): a message that starts with a key under ``key_path``
    (``train_dataloader.batch_size must be ...``, ``...lr='abc' is not valid``) is
    reported against that key, without repeating it."""
    head, _, rest = message.partition(" ")
    name = head.split("=", 1)[0]
    deeper = name.startswith((f"{key_path}.", f"{key_path}["))
    if rest and (deeper or (name == key_path and "=" in head)):
        value = head[len(name) + 1 :]
        return name, f"{value} {rest}" if value else rest
    return key_path, message


def _stored_type(spec: Mapping[str, Any], default: Any = None) -> Any:
    """``spec['type']`` as the config holds it: a class a pure-Python config imported stays
    its dotted name, so looking it up is guarded like any other name (not imported on read)."""
    if isinstance(spec, dict):
        return dict.get(spec, "type", default)
    return spec.get("type", default)


def _items(value: Any) -> list[tuple[str, Any]]:
    """``[i]``-indexed items of a list, or the single dict itself."""
    if isinstance(value, Mapping):
        return [("", value)]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [(f"[{i}]", item) for i, item in enumerate(value)]
    return []


class ConfigChecker:
    """Walks a config and collects :class:`Problem` s (see the module docstring)."""

    def __init__(self, cfg: Mapping[str, Any], command: str | None = None) -> None:
        self.cfg = cfg
        self.command = command
        self.problems: list[Problem] = []
        #: what a run would warn about (no default-hooks set installed): printed, not failed
        self.warnings: list[Problem] = []
        self.checked = 0  # how many typed parts were checked
        self.built = 0  # how many parts were built to check their values
        #: parts left unbuilt (a plugin's class): "key (module.Class)"
        self.not_built: list[str] = []
        #: the modes whose dataloader's sampler never ends (InfiniteSampler): mode -> class name
        self.endless_samplers: dict[str, str] = {}
        #: the hook points the config's loops call beyond the standard ones (name -> arguments)
        self.loop_points: dict[str, tuple[str, ...]] = {}
        #: the top-level keys a reported typo meant (``train_dataloder``: train_dataloader)
        self.misspelt: set[str] = set()

    # -- helpers -----------------------------------------------------------------------
    def add(self, key_path: str, message: str) -> None:
        self.problems.append(Problem(key_path, message))

    def _guard(
        self, key_path: str, fn: Callable[[], Any], *, top: bool = False, build: bool = False
    ) -> Any:
        """Run one check (or build) ``fn``; what it raises becomes a problem, None returned.

        A runner error is reported at the key its message starts with, if under
        ``key_path`` (with ``top``: any top-level key, ``key_path`` when it names none).
        ``build``: ``fn`` builds a cheap part as a run would, so any error counts (the run
        would fail on it too), its warnings are the run's business, and a success is
        counted in ``built``. Otherwise an ImportError (a class whose module cannot be
        imported) counts too, and other errors propagate.
        """
        from runner_core.errors import RunnerError

        with warnings.catch_warnings() if build else contextlib.nullcontext():
            if build:
                warnings.simplefilter("ignore")
            try:
                result = fn()
            except RunnerError as exc:
                message = str(exc)
                where = (_first_key(message, self.cfg) or key_path) if top else key_path
                self.add(*_deepest_key(where, message))
                return None
            except Exception as exc:
                if build:
                    self.add(
                        key_path, f"building it as a run does raised {type(exc).__name__}: {exc}"
                    )
                elif isinstance(exc, ImportError):
                    self.add(key_path, f"cannot be imported: {type(exc).__name__}: {exc}")
                else:
                    raise
                return None
        if build:
            self.built += 1
        return result

    def _skip(self, key_path: str, cls: Any) -> None:
        name = f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', cls)}"
        self.not_built.append(f"{key_path} ({name})")

    def resolve(self, registry: Any, spec: Mapping[str, Any], key_path: str) -> Any:
        """The class ``spec['type']`` names, or None (with a problem recorded)."""
        if "type" not in spec:
            self.add(
                key_path,
                f"has no 'type'. Add type='<name>' naming a registered {registry.name} "
                f"(see `runner-cli plugins`).",
            )
            return None
        kind = _stored_type(spec)
        if not isinstance(kind, str):
            return kind if callable(kind) else None
        found = self._guard(f"{key_path}.type", lambda: registry.lookup(kind))
        if found is None:
            return None
        self.check_shadowing(registry, kind, f"{key_path}.type")
        return self.check_kind(registry, kind, found, key_path)

    def check_shadowing(self, registry: Any, kind: str, key_path: str) -> None:
        """Warn when a plugin's entry point gave ``kind`` where the registry would otherwise
        give torch's class of that name (``type='Linear'``): the config builds the plugin's."""
        entry = registry.origin(kind)
        if entry is None:
            return
        hidden = registry.fallback_object(kind)
        if hidden is not None:
            from runner_core.registry.shadowing import shadow_message

            self.warnings.append(Problem(key_path, shadow_message(registry, entry, hidden)))

    def check_kind(self, registry: Any, kind: str, found: Any, key_path: str) -> Any:
        """``found`` if it can be what ``registry`` builds, else None with a problem naming the
        plugin that offered it (a string, a class that is no Hook)."""
        from runner_core.registry.kinds import kind_problem

        problem = kind_problem(registry.group, found)
        if problem is None:
            return found
        entry = registry.origin(kind)
        source = (
            f" It comes from the {entry.where()}: fix that entry point of {entry.distribution}, "
            f"or uninstall it (`pip uninstall {entry.distribution}`)."
            if entry
            else ""
        )
        self.add(f"{key_path}.type", f"{kind!r} in the {registry.name} registry {problem}.{source}")
        return None

    def check_args(
        self, cls: Any, args: Mapping[str, Any], key_path: str, injected: Iterable[str] = ()
    ) -> None:
        """Unknown and missing keyword arguments, counting ``injected`` ones as given."""
        from runner_core.registry import accepts_argument, check_arguments

        given = {k: v for k, v in args.items() if k not in ("type", "_scope_")}
        for name in injected:
            if name not in given and accepts_argument(cls, name, unknown=True):
                given[name] = None
        self.checked += 1
        self._guard(key_path, lambda: check_arguments(cls, given, key_path))

    def check_part(
        self,
        registry: Any,
        spec: Any,
        key_path: str,
        injected: Iterable[str] = (),
        drop: Iterable[str] = (),
        default_type: str | None = None,
    ) -> Any:
        """Resolve and check one ``dict(type=..., ...)``; other values are skipped."""
        if not isinstance(spec, Mapping):
            return None
        spec = dict(spec)
        if default_type is not None:
            spec.setdefault("type", default_type)
        cls = self.resolve(registry, spec, key_path)
        if cls is not None:
            args = {k: v for k, v in spec.items() if k not in set(drop)}
            self.check_args(cls, args, key_path, injected)
        return cls

    # -- the walk -----------------------------------------------------------------------
    def run(self) -> list[Problem]:
        """Every check, with the config's ``default_scope`` current, as in a run: a library's
        scope finds its own classes first (``<scope>.registry`` is imported, as the Runner
        does; a scope without one is the run's warning, not a problem here)."""
        import warnings

        from runner_core.registry.scope import import_scope_once, overwrite_default_scope

        scope = self.cfg.get("default_scope", "runner_core")
        if not isinstance(scope, str) or not scope.isidentifier():
            return self._run_checks()  # check_runner_arguments reports a bad value
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                import_scope_once(scope)  # as the Runner: a scope that cannot is a warning
        except Exception as exc:  # <scope>.registry itself fails: the run fails there too
            self.add(
                "default_scope", f"importing {scope}.registry raised {type(exc).__name__}: {exc}"
            )
            return self.problems
        self.warnings.extend(Problem("default_scope", str(w.message)) for w in caught)
        with overwrite_default_scope(scope):
            return self._run_checks()

    def _run_checks(self) -> list[Problem]:
        self.check_top_level_keys()
        self.check_parts_present()
        self.check_runner_arguments()
        self.check_log_processor()
        self.check_model()
        for mode in ("train", "val", "test"):
            self.check_dataloader(mode)
        self.check_loops()
        self.check_optim()
        self.check_schedulers()
        self.check_randomness()
        for mode in ("val", "test"):
            self.check_evaluator(f"{mode}_evaluator")
        self.check_hooks()
        self.check_visualizer()
        self.check_runner_type()
        return self.problems

    def check_top_level_keys(self) -> None:
        from runner_core.runner.config_keys import top_level_typos, typo_message

        keys = self.runner_keys()
        for typo in top_level_typos(self.cfg, keys):  # the Runner raises the first
            self.add(typo.key, typo_message(typo, keys))
            self.misspelt.add(typo.meant)

    def runner_keys(self) -> tuple[str, ...]:
        """The top-level keys the run's Runner reads: the constructor's arguments of the
        class ``runner_type`` names (looked up as the run does; a custom Runner's own keys
        count), the plain Runner's when it names none or nothing (reported by
        :meth:`check_runner_type`)."""
        from runner_core.runner.config_keys import constructor_keys
        from runner_core.runner.runner import RUNNER_KEYS, Runner, runner_class

        runner_type = self.cfg.get("runner_type")
        if runner_type is None:
            return RUNNER_KEYS
        try:
            cls = runner_class(runner_type)
        except Exception:  # an unknown name, a value with no from_cfg: reported later
            return RUNNER_KEYS
        if cls is Runner or not inspect.isclass(cls):
            return RUNNER_KEYS
        return constructor_keys(cls)  # type: ignore[arg-type]  # a class hashes

    def check_runner_arguments(self) -> None:
        """What ``Runner.from_cfg`` and the constructor refuse before building any part:
        ``resume``/``load_from``/switches, the sections' kinds and options, ``log_level``,
        ``env_cfg.mp_cfg``, and ``env_cfg.dist_cfg`` as a distributed run does. A checkpoint URL is not looked up (the run does that)."""
        from runner_core.checkpoint.remote import url_scheme
        from runner_core.logging.logger import check_log_level
        from runner_core.runner.arg_checks import check_runner_sections, check_runner_values

        local = {
            key: value
            for key, value in self.cfg.items()
            if key not in ("resume", "load_from")
            or not isinstance(value, str)
            or url_scheme(value) is None
        }
        self._guard("load_from", lambda: check_runner_values(local), top=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self._guard("env_cfg", lambda: check_runner_sections(self.cfg), top=True)
        for warning in caught:  # an unknown env_cfg option: ignored by the run, said here
            self.warnings.append(Problem("env_cfg", str(warning.message)))
        if self.cfg.get("log_level") is not None:
            self._guard("log_level", lambda: check_log_level(self.cfg["log_level"]))
        env_cfg = self.cfg.get("env_cfg")
        mp_cfg = env_cfg.get("mp_cfg") if isinstance(env_cfg, Mapping) else None
        if isinstance(mp_cfg, Mapping):
            from runner_core.distributed.launch import check_mp_cfg

            self._guard("env_cfg.mp_cfg", lambda: check_mp_cfg(**dict(mp_cfg)))
        dist_cfg = env_cfg.get("dist_cfg") if isinstance(env_cfg, Mapping) else None
        if isinstance(dist_cfg, Mapping):  # checked by a distributed run only: say it now
            from runner_core.distributed.launch import check_dist_cfg

            self._guard("env_cfg.dist_cfg", lambda: check_dist_cfg(dist_cfg))

    def check_log_processor(self) -> None:
        """Build the LogProcessor, as the Runner's constructor does first of all."""
        from runner_core.logging.log_processor import build_log_processor
        from runner_core.registry import LOG_PROCESSORS
        from runner_core.runner.setup_methods import check_log_processor_value

        spec = self.cfg.get("log_processor")
        before = len(self.problems)
        self._guard("log_processor", lambda: check_log_processor_value(spec))
        if not isinstance(spec, Mapping) or len(self.problems) > before:
            return
        cls = self.check_part(LOG_PROCESSORS, spec, "log_processor", default_type="LogProcessor")
        if cls is None or len(self.problems) > before:
            return
        if _built_here(cls):
            self._guard("log_processor", lambda: build_log_processor(spec), build=True)
        else:
            self._skip("log_processor", cls)

    def check_parts_present(self) -> None:
        from runner_core.runner.parts import (
            RUN_PARTS,
            incomplete_message,
            is_set,
            missing_parts,
            orphan_parts,
            orphans_message,
        )

        def lacking_in(mode: str) -> list[str]:
            """The parts missing, less those a reported typo meant: said with the typo."""
            return [part for part in missing_parts(self.cfg, mode) if part not in self.misspelt]

        for mode, parts in RUN_PARTS.items():
            given = orphan_parts(self.cfg, mode)  # what the Runner refuses when it is built
            if given:
                if parts.loader not in self.misspelt:
                    self.add(given[0].split(" ")[0], orphans_message(mode, given))
            elif is_set(self.cfg.get(parts.loader)) and mode != self.command:
                lacking = lacking_in(mode)
                if lacking:
                    self.add(parts.loader, incomplete_message(mode, lacking))
        if self.command in RUN_PARTS:
            lacking = lacking_in(self.command)
            if lacking:
                self.add(lacking[0], missing_parts_message(self.cfg, self.command, lacking))

    def check_model(self) -> None:
        from runner_core.registry import MODELS

        model = self.cfg.get("model")
        if model is None:
            if "model" not in self.misspelt:  # else said with the typo
                self.add("model", "is missing: every run needs a model=dict(type=..., ...).")
            return
        preprocessor = self.cfg.get("data_preprocessor")
        if isinstance(model, (str, int, float, list, tuple)):
            self.add(
                "model",
                f"must be a dict(type='<registered model>', ...), got {model!r}. (In "
                f"--cfg-options, set model.type=... rather than model=dict(...).)",
            )
        if isinstance(model, Mapping):
            args = dict(model)
            if preprocessor is not None and "data_preprocessor" not in args:
                args["data_preprocessor"] = preprocessor
            self.check_part(MODELS, args, "model")
            self.check_preprocessor(model.get("data_preprocessor"), "model.data_preprocessor")
        self.check_preprocessor(preprocessor, "data_preprocessor")

    def check_preprocessor(self, cfg: Any, key: str) -> None:
        """A typeless ``data_preprocessor`` takes the model's default type (BaseModel's
        ``BaseDataPreprocessor``, mmpretrain's ImageClassifier its own): the model decides."""
        from runner_core.registry import MODELS

        if isinstance(cfg, Mapping) and "type" not in cfg:
            return
        self.check_part(MODELS, cfg, key)

    def check_dataloader(self, mode: str) -> None:
        from runner_core.registry import DATA_SAMPLERS, FUNCTIONS

        key = f"{mode}_dataloader"
        loader = self.cfg.get(key)
        if loader is None:
            return
        if not isinstance(loader, Mapping):
            from runner_core.data.dataloader import refuse_config_like

            before = len(self.problems)
            self._guard(key, lambda: refuse_config_like(loader, key))  # the run's words
            if len(self.problems) == before:
                self.add(key, f"must be a dict(dataset=..., batch_size=...), got {loader!r}.")
            return
        before = len(self.problems)
        if loader.get("dataset") is None:
            self.add(key, "has no 'dataset'. Add dataset=dict(type='<registered dataset>', ...).")
        else:
            self.check_dataset(loader["dataset"], f"{key}.dataset")
        from runner_core.data.dataloader import check_loader_numbers

        self._guard(key, lambda: check_loader_numbers(loader, key))  # train's own rules
        sampler = self.check_part(
            DATA_SAMPLERS,
            loader.get("sampler"),
            f"{key}.sampler",
            injected=("dataset", "seed", "rank", "world_size"),
        )
        if getattr(sampler, "endless", False) is True:
            self.endless_samplers[mode] = getattr(sampler, "__name__", "the sampler")
        self.check_part(
            DATA_SAMPLERS,
            loader.get("batch_sampler"),
            f"{key}.batch_sampler",
            injected=("sampler", "batch_size"),
        )
        collate = loader.get("collate_fn")
        if isinstance(collate, str):
            self._guard(f"{key}.collate_fn", lambda: FUNCTIONS.lookup(collate))
        elif isinstance(collate, Mapping):
            self.resolve(FUNCTIONS, collate, f"{key}.collate_fn")
        self.check_loader_options(loader, key)
        if len(self.problems) == before:  # what building the loader refuses without data
            from runner_core.data.dataloader import check_loader_parts

            self._guard(key, lambda: check_loader_parts(loader, key))

    def check_loader_options(self, loader: Mapping[str, Any], key: str) -> None:
        from torch.utils.data import DataLoader

        from runner_core.errors import did_you_mean

        own = {"dataset", "sampler", "batch_sampler", "batch_size", "shuffle", "collate_fn"}
        own |= {"worker_init_fn", "num_batch_per_epoch", "disable_subprocess_warning"}
        allowed = (set(inspect.signature(DataLoader).parameters) | own) - {"self"}
        for option in loader:
            if option not in allowed:
                self.add(
                    f"{key}.{option}",
                    f"is not a dataloader option.{did_you_mean(option, allowed)} Known "
                    f"options: {', '.join(sorted(allowed))}.",
                )

    def check_dataset(self, spec: Any, key_path: str) -> None:
        from runner_core.registry import DATASETS, TRANSFORMS

        if not isinstance(spec, Mapping):
            return
        self.check_part(DATASETS, spec, key_path)
        for suffix, transform in _items(spec.get("pipeline") or []):
            self.check_part(TRANSFORMS, transform, f"{key_path}.pipeline{suffix}")
        if isinstance(spec.get("dataset"), Mapping):  # wrappers: RepeatDataset(dataset=...)
            self.check_dataset(spec["dataset"], f"{key_path}.dataset")
        for suffix, inner in _items(spec.get("datasets") or []):
            self.check_dataset(inner, f"{key_path}.datasets{suffix}")

    def check_loops(self) -> None:
        from runner_core.runner.build import eval_loop_cfg, train_loop_cfg

        train_cfg = self.cfg.get("train_cfg")
        if isinstance(train_cfg, Mapping):
            resolved = self._guard(
                "train_cfg", lambda: train_loop_cfg(train_cfg, self.cfg.get("val_cfg"))
            )
            if resolved is not None:
                self.check_loop(resolved, "train", "type" in train_cfg, ("runner", "dataloader"))
        for mode, default in (("val", "ValLoop"), ("test", "TestLoop")):
            loop_cfg = self.cfg.get(f"{mode}_cfg")
            if isinstance(loop_cfg, Mapping):
                self.check_loop(
                    eval_loop_cfg(loop_cfg, default),
                    mode,
                    "type" in loop_cfg,
                    ("runner", "dataloader", "evaluator"),
                )

    def check_loop(
        self, spec: dict[str, Any], mode: str, type_given: bool, injected: Iterable[str]
    ) -> None:
        """One loop config, its type looked up as the Runner does (errors name the key the
        config has, and the distribution of a missing standard loop)."""
        from runner_core.registry import LOOPS
        from runner_core.runner.build import check_counted_in, loop_class

        key = f"{mode}_cfg"
        kind = _stored_type(spec)
        before = len(self.problems)
        if not isinstance(kind, str) or "_scope_" in spec:
            cls = self.check_part(LOOPS, spec, key, injected=injected)
        else:
            found = self._guard(key, lambda: loop_class(kind, mode, type_given))
            cls = None if found is None else self.check_kind(LOOPS, kind, found, key)
            if cls is not None and mode == "train":  # the run's words for the other count
                self._guard(key, lambda: check_counted_in(cls, spec))
            if cls is not None and len(self.problems) == before:
                self.check_args(cls, spec, key, injected)
        self.note_loop_points(cls)
        self.check_endless_pass(cls, mode)
        # the loop's own checks of its numbers (max_epochs, val_interval, ...), which a run
        # makes once the data is built: a loop class offers them as check_cfg(cfg), which
        # checks the keys it is given (one at a time here, to report each bad one)
        check = getattr(cls, "check_cfg", None)
        if callable(check) and len(self.problems) == before:
            for name, value in spec.items():
                self._guard(key, functools.partial(check, {name: value}))

    def check_endless_pass(self, cls: Any, mode: str) -> None:
        """The standard loops that go over their dataloader in passes (an epoch-based
        training loop, ValLoop, TestLoop) refuse an endless sampler when the run builds
        them, after the model and the data: say it here. A loop of one's own (a subclass
        included) may end its passes itself, so only runner-loops-standard's are named."""
        from runner_core.errors import a_or_an

        sampler = self.endless_samplers.get(mode)
        name = getattr(cls, "__name__", "")
        module = getattr(cls, "__module__", "") or ""
        if sampler is None or module.partition(".")[0] != "runner_loops_standard":
            return
        if mode == "train" and name != "EpochBasedTrainLoop":
            return  # an iteration-based loop is what an endless sampler is for
        if mode == "train":
            fix = (
                "Use sampler=dict(type='DefaultSampler', shuffle=True), or keep the "
                f"{sampler} with train_cfg=dict(by_epoch=False, max_iters=N)."
            )
            what = "epoch 1 would never end"
        else:
            fix = f"Use sampler=dict(type='DefaultSampler', shuffle=False) in {mode}_dataloader."
            what = f"the {mode} pass would never end"
        self.add(
            f"{mode}_dataloader.sampler",
            f"is {a_or_an(sampler)}, whose stream of samples never ends, so {what} in "
            f"{name}, which refuses it when the run builds the loop. {fix}",
        )

    def note_loop_points(self, cls: Any) -> None:
        """Add the hook points loop class ``cls`` declares (``hook_points``), which the
        hooks' methods are checked against."""
        self.loop_points.update(loop_points(cls))

    def check_optim(self) -> None:
        from runner_core.runner.parts import unused_top_level_optimizer, with_top_level_optimizer

        wrapper = self.cfg.get("optim_wrapper")
        optimizer = self.cfg.get("optimizer")
        merged = with_top_level_optimizer(wrapper, optimizer)
        if optimizer is not None and merged is wrapper:  # optim_wrapper's own is built
            unused = unused_top_level_optimizer(wrapper, optimizer)
            if unused is not None:  # the run warns
                self.warnings.append(Problem("optimizer", unused))
            optimizer = None
        optimizer_ok = True
        if isinstance(optimizer, Mapping):
            before = len(self.problems)
            self.check_optimizer(optimizer, "optimizer")
            optimizer_ok = len(self.problems) == before
        if optimizer is not None and wrapper is not None:  # optim_wrapper=dict(clip_grad=...)
            if optimizer_ok:
                self.check_one_wrapper(merged, "optim_wrapper")
            return
        if isinstance(wrapper, Mapping):
            from runner_core.errors import BuildError
            from runner_core.optim.constructor import multi_optimizer_parts

            try:
                parts = multi_optimizer_parts(wrapper)
            except BuildError as exc:  # parts with a paramwise_cfg beside them
                self.add("optim_wrapper", str(exc))
                parts = {}
            if parts is None:
                self.check_one_wrapper(wrapper, "optim_wrapper")
            elif not self.check_part_names(parts):
                for name, part in parts.items():
                    if isinstance(part, Mapping):
                        self.check_one_wrapper(part, f"optim_wrapper.{name}")
        if wrapper is None and isinstance(optimizer, Mapping) and optimizer_ok:
            self.build_optim_wrapper({"optimizer": optimizer}, "optimizer")  # as the Runner

    def check_part_names(self, parts: Mapping[str, Any]) -> bool:
        """Whether a model part's name in ``optim_wrapper`` is a misspelt ``optimizer``
        (``optimizr=dict(type='Adam')``), reported once: its config is no wrapper's, so
        checking it as one would blame its ``type``."""
        from runner_core.errors import did_you_mean

        for name, part in parts.items():
            if isinstance(part, Mapping) and "optimizer" in part:
                continue  # a part's own wrapper config (a child named 'opt', say)
            hint = did_you_mean(name, ("optimizer",))
            if hint:
                self.add(
                    "optim_wrapper",
                    f"has no 'optimizer' key, so its key {name!r} is read as the optimizer "
                    f"config of a model part named {name!r} (one optimizer per model "
                    f"part).{hint} A single optimizer config needs an 'optimizer' key.",
                )
                return True
        return False

    def check_one_wrapper(self, wrapper: Mapping[str, Any], key_path: str) -> None:
        from runner_core.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS

        before = len(self.problems)
        constructor = wrapper.get("constructor")
        if constructor is not None:
            self.resolve(
                OPTIM_WRAPPER_CONSTRUCTORS, {"type": constructor}, f"{key_path}.constructor"
            )
        elif "optimizer" not in wrapper:
            self.add(
                key_path,
                "has no 'optimizer'. Add e.g. optimizer=dict(type='SGD', lr=0.01).",
            )
        if isinstance(wrapper.get("optimizer"), Mapping):
            self.check_optimizer(wrapper["optimizer"], f"{key_path}.optimizer")
        from runner_core.optim.constructor import check_wrapper_numbers

        self._guard(key_path, lambda: check_wrapper_numbers(wrapper, key_path))
        self.check_part(
            OPTIM_WRAPPERS,
            wrapper,
            key_path,
            injected=("optimizer",),
            drop=("optimizer", "constructor", "paramwise_cfg"),
            default_type="OptimWrapper",
        )
        if len(self.problems) == before:
            self.build_optim_wrapper(wrapper, key_path)

    def build_optim_wrapper(self, wrapper: Mapping[str, Any], key_path: str) -> None:
        """Build the constructor (it checks ``optimizer`` and ``paramwise_cfg``), then the
        optimizer and wrapper over a one-weight stand-in for the model, as a run builds them
        over the model: the optimizer's own checks (``momentum=-1``) and the wrapper's
        (``loss_scale``) run. ``paramwise_cfg`` is left out of the second build: its groups
        follow the model's parameters, which this check does not have."""
        from runner_core.registry import (
            OPTIM_WRAPPER_CONSTRUCTORS,
            OPTIM_WRAPPERS,
            OPTIMIZERS,
        )

        parts = [
            (f"{key_path}.constructor", OPTIM_WRAPPER_CONSTRUCTORS, wrapper.get("constructor")),
            (key_path, OPTIM_WRAPPERS, wrapper.get("type", "OptimWrapper")),
        ]
        optimizer = wrapper.get("optimizer")
        if isinstance(optimizer, Mapping):
            parts.append((f"{key_path}.optimizer", OPTIMIZERS, _stored_type(optimizer)))
        for where, registry, kind in parts:
            if kind is None:
                continue
            try:
                cls = registry.lookup(kind) if isinstance(kind, str) else kind
            except Exception:  # reported by the signature checks above
                return
            if not _built_here(cls):
                self._skip(where, cls)
                return

        def build(with_paramwise: bool) -> Any:
            cfg = copy.deepcopy(dict(wrapper))
            kind = cfg.pop("constructor", "DefaultOptimWrapperConstructor")
            paramwise = cfg.pop("paramwise_cfg", None) if with_paramwise else None
            cfg.pop("paramwise_cfg", None)
            spec = {"type": kind, "optim_wrapper_cfg": cfg, "paramwise_cfg": paramwise}
            return OPTIM_WRAPPER_CONSTRUCTORS.build(spec, _key_path=f"{key_path}.constructor")

        if self._guard(key_path, lambda: build(True), build=True) is None:
            return
        import torch

        stand_in = torch.nn.utils.skip_init(torch.nn.Linear, 1, 1)  # no random draw
        self._guard(key_path, lambda: build(False)(stand_in), build=True)

    def check_optimizer(self, spec: Mapping[str, Any], key_path: str) -> None:
        from runner_core.errors import RegistryError, did_you_mean
        from runner_core.registry import OPTIMIZERS

        kind = _stored_type(spec)
        if isinstance(kind, str):
            try:
                cls = OPTIMIZERS.lookup(kind)
            except RegistryError as exc:
                import torch.optim

                names = [n for n, o in vars(torch.optim).items() if isinstance(o, type)]
                hint = did_you_mean(kind, names)
                message = str(exc)
                self.add(f"{key_path}.type", message + (hint if hint not in message else ""))
                return
            self.check_shadowing(OPTIMIZERS, kind, f"{key_path}.type")
        else:
            cls = self.resolve(OPTIMIZERS, spec, key_path)
            if cls is None:
                return
        try:
            first = next(iter(inspect.signature(cls).parameters))
        except (TypeError, ValueError, StopIteration):
            first = "params"
        self.check_args(cls, spec, key_path, injected=(first,))
        from runner_core.optim.constructor import check_optimizer_numbers

        self._guard(key_path, lambda: check_optimizer_numbers(spec, key_path))

    def check_schedulers(self) -> None:
        from runner_core.registry import PARAM_SCHEDULERS

        schedulers = self.cfg.get("param_scheduler")
        if schedulers is None:
            return
        groups: list[tuple[str, Any]]
        if isinstance(schedulers, Mapping) and "type" not in schedulers:
            groups = [(f"param_scheduler.{name}", value) for name, value in schedulers.items()]
        else:
            groups = [("param_scheduler", schedulers)]
        from runner_core.optim.scheduler.builder import check_scheduler_numbers

        for base, value in groups:
            for suffix, spec in _items(value):
                where = f"{base}{suffix}"
                self.check_part(
                    PARAM_SCHEDULERS,
                    spec,
                    where,
                    injected=("optimizer",),
                    drop=("convert_to_iter_based",),
                )
                if isinstance(spec, Mapping):
                    self._guard(where, functools.partial(check_scheduler_numbers, spec, where))
                    self.check_scheduler_span(spec, where)

    def check_scheduler_span(self, spec: Mapping[str, Any], where: str) -> None:
        """An explicit ``end <= begin`` is refused when the run builds the scheduler; say it
        here, where the check otherwise passes."""
        from runner_core.optim.scheduler.builder import scheduler_span_problem

        problem = scheduler_span_problem(spec)
        if problem is not None:
            self.add(f"{where}.end", problem)

    def check_randomness(self) -> None:
        """``randomness.seed``: the number train would refuse."""
        randomness = self.cfg.get("randomness")
        if isinstance(randomness, Mapping) and randomness.get("seed") is not None:
            from runner_core.runner.randomness import check_seed

            self._guard("randomness.seed", lambda: check_seed(randomness["seed"]))

    def check_evaluator(self, key: str) -> None:
        from runner_core.registry import EVALUATORS, METRICS

        spec = self.cfg.get(key)
        if spec is None:
            return
        before = len(self.problems)
        classes: list[tuple[str, Any]] = []
        if isinstance(spec, Mapping):
            kind = _stored_type(spec, "Evaluator")
            if kind == "Evaluator" or (isinstance(kind, str) and kind in EVALUATORS.keys()):
                cls = self.check_part(EVALUATORS, spec, key, default_type="Evaluator")
                classes.append((key, cls))
                for suffix, metric in _items(spec.get("metrics") or []):
                    where = f"{key}.metrics{suffix}"
                    classes.append((where, self.check_part(METRICS, metric, where)))
                self.build_evaluator(key, spec, classes, before)
                return
        for suffix, metric in _items(spec):
            classes.append((f"{key}{suffix}", self.check_part(METRICS, metric, f"{key}{suffix}")))
        self.build_evaluator(key, spec, classes, before)

    def build_evaluator(
        self, key: str, spec: Any, classes: list[tuple[str, Any]], before: int
    ) -> None:
        """Build the evaluator as a run does (metrics check their options then, and a name
        where a metric config belongs is refused) when every class in it is runner's own."""
        if len(self.problems) > before:
            return
        others = [
            (where, cls) for where, cls in classes if cls is not None and not _built_here(cls)
        ]
        for where, cls in others:
            self._skip(where, cls)
        if others:
            return
        from runner_core.runner.build import EVALUATOR_KEY, build_evaluator

        def build() -> Any:
            token = EVALUATOR_KEY.set(key)
            try:
                return build_evaluator(spec)
            finally:
                EVALUATOR_KEY.reset(token)

        self._guard(key, build, build=True)

    def check_hooks(self) -> None:
        from runner_core.runner.build import active_default_set, merge_default_hooks

        before = len(self.problems)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            chosen = self._guard(
                "default_hooks_set",
                lambda: active_default_set(
                    self.cfg.get("default_hooks_set"), getattr(self.cfg, "filename", None)
                ),
            )
        set_failed = len(self.problems) > before  # a [tool.runner] typo: no hooks to count
        for warning in caught:  # what the run would warn: no set installed
            self.warnings.append(Problem("default_hooks_set", str(warning.message)))
        overrides = self.cfg.get("default_hooks")
        merged = chosen[1] if chosen is not None else None
        if isinstance(overrides, Mapping):
            if chosen is None:  # the set failed (reported): check the hooks given whole
                merged = {
                    r: v for r, v in overrides.items() if isinstance(v, Mapping) and "type" in v
                }
            else:
                merged = self._guard(
                    "default_hooks", lambda: merge_default_hooks(chosen[1], overrides, chosen[0])
                )
            for role, value in (overrides or {}).items():
                if value is not None and merged and isinstance(merged.get(role), Mapping):
                    self.check_hook(merged[role], f"default_hooks.{role}")
        if not set_failed:
            self.check_schedulers_stepped(merged, chosen[0] if chosen is not None else None)
        for suffix, hook in _items(self.cfg.get("custom_hooks") or []):
            if isinstance(hook, str):  # what the Runner would reject: say so here too
                self.add(
                    f"custom_hooks{suffix}",
                    f"is the string {hook!r}, not a hook config: write dict(type='...'), e.g. "
                    "--cfg-options 'custom_hooks=[dict(type=\"EMAHook\")]'.",
                )
                continue
            self.check_hook(hook, f"custom_hooks{suffix}")

    def check_schedulers_stepped(self, merged: Any, set_name: str | None) -> None:
        """Warn, as the run will, when param_scheduler is set but no hook steps it."""
        from runner_core.registry import HOOKS
        from runner_core.runner.build import unstepped_schedulers_message

        if merged is None and set_name is not None:  # the set failed: reported already
            return
        roles = {r for r, v in (merged or {}).items() if v is not None}
        classes = []
        for _, hook in _items(self.cfg.get("custom_hooks") or []):
            kind = _stored_type(hook) if isinstance(hook, Mapping) else None
            if isinstance(kind, str):
                with contextlib.suppress(Exception):  # an unknown type: reported on its own
                    classes.append(HOOKS.get(kind))
            elif kind is not None:
                classes.append(kind)
        message = unstepped_schedulers_message(
            self.cfg.get("param_scheduler"), roles, classes, set_name
        )
        if message:
            self.warnings.append(Problem("param_scheduler", message))

    def check_hook(self, spec: Any, key_path: str) -> None:
        """Check a hook's arguments, then build it as the Runner does (a hook's constructor
        checks its values; it touches nothing until the run calls it). Its ``priority``,
        which the Runner reads whatever the hook's class, is checked as the Runner does."""
        from runner_core.hooks.hook import get_priority
        from runner_core.registry import HOOKS
        from runner_core.runner.build import build_hook

        if isinstance(spec, Mapping) and spec.get("priority") is not None:
            self._guard(f"{key_path}.priority", lambda: get_priority(spec["priority"]))
        before = len(self.problems)
        cls = self.check_part(HOOKS, spec, key_path, drop=("priority",))
        if cls is None or len(self.problems) > before:
            return
        built = None
        if _built_here(cls):
            built = self._guard(key_path, lambda: build_hook(spec, key_path), build=True)
        else:
            self._skip(key_path, cls)
        self.check_hook_methods(built[0] if built is not None else cls, spec, key_path)

    def check_hook_methods(self, hook: Any, spec: Mapping[str, Any], key_path: str) -> None:
        """The hook's methods against the hook points (the standard ones and the config's
        loops'), as the run checks them when it starts: a misspelled point, a parameter the
        point cannot fill. Only the class is inspected; a function's hook is unknown here."""
        from runner_core.hooks.method_checks import (
            check_hook_class,
            hook_class_of,
            problems_message,
        )
        from runner_core.registry import HOOKS

        cls = hook_class_of(hook)
        problems = [] if cls is None else check_hook_class(cls, self.loop_points)
        if not problems:
            return
        kind = _stored_type(spec)
        entry = HOOKS.origin(kind) if isinstance(kind, str) else None
        self.add(key_path, problems_message(problems, entry))

    def check_visualizer(self) -> None:
        from runner_core.registry import VISBACKENDS, VISUALIZERS
        from runner_core.runner.building import check_visualizer_value
        from runner_core.visualization.visualizer import refuse_backend_name

        visualizer = self.cfg.get("visualizer")
        backends = self.cfg.get("vis_backends")
        base = "vis_backends"
        self._guard("visualizer", lambda: check_visualizer_value(visualizer))
        if isinstance(visualizer, Mapping):
            self.check_part(
                VISUALIZERS,
                visualizer,
                "visualizer",
                injected=("save_dir",),
                default_type="Visualizer",
            )
            if visualizer.get("vis_backends") is not None:
                backends, base = visualizer["vis_backends"], "visualizer.vis_backends"
        for index, (suffix, backend) in enumerate(_items(backends or [])):
            # the run reads vis_backends as the visualizer's: its words name that key
            self._guard(f"{base}{suffix}", functools.partial(refuse_backend_name, backend, index))
            cls = self.check_part(VISBACKENDS, backend, f"{base}{suffix}", injected=("save_dir",))
            # a backend whose library is missing fails when the run builds it: say so here
            check = getattr(cls, "check_dependencies", None)
            if callable(check):
                self._guard(f"{base}{suffix}", check)

    def check_runner_type(self) -> None:
        from runner_core.registry import MODEL_WRAPPERS
        from runner_core.runner.runner import runner_class

        runner_type = self.cfg.get("runner_type")
        if runner_type is not None:
            self._guard("runner_type", lambda: runner_class(runner_type))
        wrapper = self.cfg.get("model_wrapper_cfg")
        if isinstance(wrapper, Mapping) and "type" in wrapper:
            self.resolve(MODEL_WRAPPERS, wrapper, "model_wrapper_cfg")


def loop_points(cls: Any) -> dict[str, tuple[str, ...]]:
    """The hook points loop class ``cls`` declares in ``hook_points`` (name -> the
    arguments it passes), as the Runner adds them when a run starts."""
    points = getattr(cls, "hook_points", None) if inspect.isclass(cls) else None
    if isinstance(points, Mapping):
        return {str(k): tuple(v) for k, v in points.items()}
    if isinstance(points, Iterable) and not isinstance(points, str):
        return {str(k): () for k in points}
    return {}


def check_config(cfg: Mapping[str, Any], command: str | None = None) -> tuple[list[Problem], int]:
    """All problems of ``cfg`` (for ``command``, if given) and the number of parts checked."""
    checker = ConfigChecker(cfg, command)
    problems = checker.run()
    return problems, checker.checked
