"""Check a resolved config without building anything heavy, reporting every problem.

Each ``type`` is looked up in the registry its key path implies (``model`` in
MODELS, ``*_dataloader.dataset`` in DATASETS, ...) and its keyword arguments
are compared with the target's signature (importing the class is fine,
calling it is not: no dataset is read, no model is constructed). Arguments
the Runner fills in itself (a loop's ``runner``, a sampler's ``dataset``, an
optimizer's ``params``) count as given. Problems are collected, not raised, so
one run of ``runner-cli config check`` shows all of them.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .run_setup import missing_parts_message


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

    # -- helpers -----------------------------------------------------------------------
    def add(self, key_path: str, message: str) -> None:
        self.problems.append(Problem(key_path, message))

    def _guard(self, key_path: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn``; a runner error becomes a problem at ``key_path`` (None returned)."""
        from runner_core.errors import RunnerError

        try:
            return fn()
        except RunnerError as exc:
            self.add(*_deepest_key(key_path, str(exc)))
        except ImportError as exc:  # a class whose module cannot be imported
            self.add(key_path, f"cannot be imported: {type(exc).__name__}: {exc}")
        return None

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
        return None if found is None else self.check_kind(registry, kind, found, key_path)

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
        self.check_top_level_keys()
        self.check_parts_present()
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
        from runner_core.runner.runner import RUNNER_KEYS

        for typo in top_level_typos(self.cfg, RUNNER_KEYS):  # the Runner raises the first
            self.add(typo.key, typo_message(typo, RUNNER_KEYS))

    def check_parts_present(self) -> None:
        from runner_core.runner.parts import (
            RUN_PARTS,
            incomplete_message,
            is_set,
            missing_parts,
            orphan_parts,
            orphans_message,
        )

        for mode, parts in RUN_PARTS.items():
            given = orphan_parts(self.cfg, mode)  # what the Runner refuses when it is built
            if given:
                self.add(given[0].split(" ")[0], orphans_message(mode, given))
            elif is_set(self.cfg.get(parts.loader)) and mode != self.command:
                lacking = missing_parts(self.cfg, mode)
                if lacking:
                    self.add(parts.loader, incomplete_message(mode, lacking))
        if self.command in RUN_PARTS:
            lacking = missing_parts(self.cfg, self.command)
            if lacking:
                self.add(lacking[0], missing_parts_message(self.cfg, self.command, lacking))

    def check_model(self) -> None:
        from runner_core.registry import MODELS

        model = self.cfg.get("model")
        if model is None:
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
            self.check_part(MODELS, model.get("data_preprocessor"), "model.data_preprocessor")
        self.check_part(MODELS, preprocessor, "data_preprocessor")

    def check_dataloader(self, mode: str) -> None:
        from runner_core.registry import DATA_SAMPLERS, FUNCTIONS

        key = f"{mode}_dataloader"
        loader = self.cfg.get(key)
        if loader is None:
            return
        if not isinstance(loader, Mapping):
            self.add(key, f"must be a dict(dataset=..., batch_size=...), got {loader!r}.")
            return
        if loader.get("dataset") is None:
            self.add(key, "has no 'dataset'. Add dataset=dict(type='<registered dataset>', ...).")
        else:
            self.check_dataset(loader["dataset"], f"{key}.dataset")
        from runner_core.data.dataloader import check_loader_numbers

        self._guard(key, lambda: check_loader_numbers(loader, key))  # train's own rules
        self.check_part(
            DATA_SAMPLERS,
            loader.get("sampler"),
            f"{key}.sampler",
            injected=("dataset", "seed", "rank", "world_size"),
        )
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
        from runner_core.runner.build import loop_class

        key = f"{mode}_cfg"
        kind = _stored_type(spec)
        if not isinstance(kind, str) or "_scope_" in spec:
            self.check_part(LOOPS, spec, key, injected=injected)
            return
        found = self._guard(key, lambda: loop_class(kind, mode, type_given))
        cls = None if found is None else self.check_kind(LOOPS, kind, found, key)
        if cls is not None:
            self.check_args(cls, spec, key, injected)

    def check_optim(self) -> None:
        wrapper = self.cfg.get("optim_wrapper")
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
            else:
                for name, part in parts.items():
                    if isinstance(part, Mapping):
                        self.check_one_wrapper(part, f"optim_wrapper.{name}")
        optimizer = self.cfg.get("optimizer")
        if isinstance(optimizer, Mapping):
            self.check_optimizer(optimizer, "optimizer")

    def check_one_wrapper(self, wrapper: Mapping[str, Any], key_path: str) -> None:
        from runner_core.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS

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
        if isinstance(spec, Mapping):
            kind = _stored_type(spec, "Evaluator")
            if kind == "Evaluator" or (isinstance(kind, str) and kind in EVALUATORS.keys()):
                self.check_part(EVALUATORS, spec, key, default_type="Evaluator", drop=("metrics",))
                for suffix, metric in _items(spec.get("metrics") or []):
                    self.check_part(METRICS, metric, f"{key}.metrics{suffix}")
                return
        for suffix, metric in _items(spec):
            self.check_part(METRICS, metric, f"{key}{suffix}")

    def check_hooks(self) -> None:
        from runner_core.registry import HOOKS
        from runner_core.runner.build import active_default_set, merge_default_hooks

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            chosen = self._guard(
                "default_hooks_set",
                lambda: active_default_set(
                    self.cfg.get("default_hooks_set"), getattr(self.cfg, "filename", None)
                ),
            )
        for warning in caught:  # what the run would warn: no set installed, or none chosen
            self.warnings.append(Problem("default_hooks_set", str(warning.message)))
        overrides = self.cfg.get("default_hooks")
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
                    self.check_part(
                        HOOKS, merged[role], f"default_hooks.{role}", drop=("priority",)
                    )
        for suffix, hook in _items(self.cfg.get("custom_hooks") or []):
            if isinstance(hook, str):  # what the Runner would reject: say so here too
                self.add(
                    f"custom_hooks{suffix}",
                    f"is the string {hook!r}, not a hook config: write dict(type='...'), e.g. "
                    "--cfg-options 'custom_hooks=[dict(type=\"EMAHook\")]'.",
                )
                continue
            self.check_part(HOOKS, hook, f"custom_hooks{suffix}", drop=("priority",))

    def check_visualizer(self) -> None:
        from runner_core.registry import VISBACKENDS, VISUALIZERS

        visualizer = self.cfg.get("visualizer")
        backends = self.cfg.get("vis_backends")
        base = "vis_backends"
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
        for suffix, backend in _items(backends or []):
            self.check_part(VISBACKENDS, backend, f"{base}{suffix}", injected=("save_dir",))

    def check_runner_type(self) -> None:
        from runner_core.registry import MODEL_WRAPPERS, RUNNERS

        runner_type = self.cfg.get("runner_type")
        if isinstance(runner_type, str):
            self._guard("runner_type", lambda: RUNNERS.lookup(runner_type))
        wrapper = self.cfg.get("model_wrapper_cfg")
        if isinstance(wrapper, Mapping) and "type" in wrapper:
            self.resolve(MODEL_WRAPPERS, wrapper, "model_wrapper_cfg")


def check_config(cfg: Mapping[str, Any], command: str | None = None) -> tuple[list[Problem], int]:
    """All problems of ``cfg`` (for ``command``, if given) and the number of parts checked."""
    checker = ConfigChecker(cfg, command)
    problems = checker.run()
    return problems, checker.checked
