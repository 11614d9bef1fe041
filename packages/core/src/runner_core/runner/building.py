"""The Runner's ``build_*`` methods: each part of a run from its config.

A mixin of :class:`~runner_core.runner.Runner` (one concept per module): the
methods are public and overridable, as in MMEngine, and read the Runner's
state declared below.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from ..errors import ConfigError, ConfigTypeError, RunnerError
from ..registry import MODELS
from ..value_checks import refuse_class
from . import build as _build
from .static_methods import build_dataloader as build_dataloader_static
from .static_methods import static_on_class


def check_visualizer_value(visualizer: Any) -> None:
    """Refuse a ``visualizer`` that is True, a name, a list or a number: used as the
    visualizer, it failed at the first logged scalar (``runner-cli config check`` calls
    this too). ``visualizer=False`` is accepted: no visualizer, nothing written."""
    if visualizer is not False and isinstance(visualizer, (str, bytes, list, tuple, int, float)):
        raise ConfigTypeError(
            f"visualizer must be a dict such as dict(type='Visualizer', "
            f"vis_backends=[dict(type='LocalVisBackend')]), a Visualizer, or False for no "
            f"visualizer, got {type(visualizer).__name__}: {visualizer!r}."
        )


#: the model steps the loops call
_STEPS = ("train_step", "val_step", "test_step")


def _has_own_steps(model: Any) -> bool:
    """Whether ``model`` brings steps of its own (used as it is, as MMEngine does).

    ``test_step`` counts unless the module is Lightning-style (``training_step``):
    a LightningModule's base class has a ``test_step(batch, batch_idx)``, which is
    not a step of ours, so such a module keeps the adapter and its message.
    """
    if callable(getattr(model, "train_step", None)) or callable(getattr(model, "val_step", None)):
        return True
    lightning = callable(getattr(model, "training_step", None))
    return callable(getattr(model, "test_step", None)) and not lightning


class PartsBuilding:
    """Build the model, data loaders, evaluators, visualizer, optimizer, schedulers, loops."""

    # set by Runner.__init__
    distributed: bool
    device: Any
    seed: int
    randomness_cfg: dict[str, Any]
    rank: int
    cfg: Any
    arguments_cfg: Any
    log_dir: Path
    experiment_name: str
    logger: Any
    optim_wrapper: Any
    model: Any
    _train_loop: Any
    _train_dataloader: Any
    _val_dataloader: Any
    _test_dataloader: Any
    _train_cfg: Any
    _val_cfg: Any
    _test_cfg: Any
    _val_evaluator: Any
    _test_evaluator: Any
    _data_preprocessor: Any  # the Runner's data_preprocessor= (for a plain nn.Module)

    def build_model(self, model: Any) -> Any:
        """The model from a config dict (type=...) or as it is, on the run's device.

        A plain ``nn.Module`` is adapted to the ``BaseModel`` steps, with the
        Runner's ``data_preprocessor=`` (a config's goes into its model dict).
        A module with steps of its own (``train_step`` without ``val_step``, as
        MMEngine allows) is used as it is: ``train()``, ``val()`` and ``test()``
        check for the steps they call.
        """
        from ..model import ModuleAdapter, is_model

        if model is None:
            raise ConfigTypeError(
                "The Runner needs a model: pass model=... or a 'model' key in the config."
            )
        refuse_class(model, "model", "a model")
        if isinstance(model, Mapping):
            model = MODELS.build(dict(model), _key_path="model")
        import torch

        if not is_model(model) and not _has_own_steps(model):
            if not isinstance(model, torch.nn.Module):  # a TypeError, as in MMEngine
                raise ConfigTypeError(
                    f"model must be a config dict (type=...), a BaseModel or an nn.Module, got "
                    f"{type(model).__name__}: {model!r}. With --cfg-options, set its keys one by "
                    f"one (model.type=..., model.hidden=...)."
                )
            data_preprocessor = getattr(self, "_data_preprocessor", None)
            model = ModuleAdapter(model, data_preprocessor=data_preprocessor)

        device = (
            torch.device("cuda", torch.cuda.current_device())
            if torch.cuda.is_available()
            else torch.device("cpu")
        )
        self.device = device
        return model.to(device)

    def _require_model_steps(self, *steps: str) -> None:
        """Refuse a run whose model lacks a step it calls, as MMEngine's ``train()``,
        ``val()`` and ``test()`` assert (an ``AssertionError``), before anything runs."""
        from ..model.base_model import ModelContractError

        model = self.unwrapped_model
        missing = [step for step in steps if not callable(getattr(model, step, None))]
        if missing:
            raise ModelContractError(
                f"{type(model).__name__} has no {' or '.join(missing)}, which this run calls "
                f"(it has {', '.join(m for m in _STEPS if callable(getattr(model, m, None))) or 'no step'}): "
                f"implement {missing[0]}(data) on the model, or subclass "
                "runner_core.model.BaseModel, whose steps call forward(..., mode=...)."
            )

    def wrap_model(self, model_wrapper_cfg: Mapping[str, Any] | None, model: Any) -> Any:
        """Wrap the model for distributed training (DDP by default).

        Without ``model_wrapper_cfg`` this is MMEngine's default wrapper: DDP
        with ``broadcast_buffers=False`` (each rank keeps its own BatchNorm
        statistics; ``SyncBuffersHook`` averages them) and the config's
        top-level ``find_unused_parameters`` key. The top-level ``sync_bn='torch'``
        turns BatchNorm layers into ``SyncBatchNorm`` first (distributed runs only).
        """
        from ..distributed.model_wrappers import is_model_wrapper
        from ..model.sync_bn import sync_bn_for_run

        cfg = self.cfg if self.cfg is not None else {}
        if not is_model_wrapper(model):  # a wrapped model is the user's own business
            model = sync_bn_for_run(model, cfg.get("sync_bn"), self.device, self.distributed)
        if not self.distributed:
            return model if is_model_wrapper(model) else self._without_sync_bn(model)
        from ..distributed.model_wrappers import wrap_model

        if model_wrapper_cfg is None:
            model_wrapper_cfg = {
                "type": "DistributedDataParallel",
                **_no_buffer_sync(),
                "find_unused_parameters": bool(cfg.get("find_unused_parameters", False)),
            }
        return wrap_model(model, model_wrapper_cfg, self.device)

    def _without_sync_bn(self, model: Any) -> Any:
        """One process has nothing to synchronise: its ``SyncBatchNorm`` layers become
        plain batch norms (same parameters and statistics), as MMEngine's ``wrap_model``
        reverts them, so the trained and exported model has the layers it runs with."""
        import torch

        if not any(isinstance(m, torch.nn.SyncBatchNorm) for m in model.modules()):
            return model
        from ..model.sync_bn import revert_sync_batchnorm

        self.logger.info(
            "Distributed training is not used: the model's SyncBatchNorm layers are reverted "
            "to plain BatchNorm layers."
        )
        return revert_sync_batchnorm(model)

    @property
    def unwrapped_model(self) -> Any:
        """The model the Runner trains, without a DDP/FSDP wrapper: the user's
        ``BaseModel``, or the ``ModuleAdapter`` around a plain ``nn.Module`` (the
        module is its ``.module``; its checkpoint keys read ``module.*``)."""
        from ..distributed.model_wrappers import is_model_wrapper

        return self.model.module if is_model_wrapper(self.model) else self.model

    @static_on_class(build_dataloader_static)  # Runner.build_dataloader(cfg, seed=...) too
    def build_dataloader(
        self,
        dataloader: Any,
        seed: int | None = None,
        diff_rank_seed: bool | None = None,
        key_path: str | None = None,
    ) -> Any:
        """A loader from a config, seeded with the run's seed; a loader is returned as it is.

        ``seed`` and ``diff_rank_seed`` (MMEngine's order; its ``BaseLoop``
        passes both) default to the run's; ``key_path`` names the config key
        in errors (the Runner's own builds set it through ``LOADER_KEY``, so
        that a subclass may override this method with MMEngine's signature).
        """
        from ..data.dataloader import build_dataloader, refuse_config_like

        key_path = key_path or _build.LOADER_KEY.get()
        if not isinstance(dataloader, Mapping):
            refuse_config_like(dataloader, key_path)
            return dataloader
        if diff_rank_seed is None:
            diff_rank_seed = self.randomness_cfg.get("diff_rank_seed", False)
        return build_dataloader(
            dataloader,
            seed=self.seed if seed is None else seed,
            diff_rank_seed=bool(diff_rank_seed),
            key_path=key_path,
        )

    def build_evaluator(self, evaluator: Any) -> Any:
        return _build.build_evaluator(evaluator)

    def build_visualizer(self, visualizer: Any = None) -> Any:
        from ..registry import VISUALIZERS

        check_visualizer_value(visualizer)
        if visualizer is False:  # no visualizer: the hooks skip what they would draw or log
            return None
        if visualizer is not None and not isinstance(visualizer, Mapping):
            return visualizer
        cfg = dict(visualizer or {})
        if "vis_backends" not in cfg:
            from ..registry import VISBACKENDS

            if "LocalVisBackend" not in VISBACKENDS.keys():
                return None
            cfg["vis_backends"] = [{"type": "LocalVisBackend"}]
        cfg.setdefault("type", "Visualizer")
        cfg.setdefault("save_dir", str(self.log_dir))  # the backends write to its vis_data/
        # MMEngine's default, so Visualizer.get_instance(runner.experiment_name) finds it
        cfg.setdefault("name", self.experiment_name)
        visualizer = VISUALIZERS.build(cfg, _key_path="visualizer")
        if self.rank == 0 and self.arguments_cfg is None and hasattr(visualizer, "add_config"):
            visualizer.add_config(self.cfg)
        return visualizer

    def build_optim_wrapper(self, optim_wrapper: Any) -> Any:
        """The optim wrapper over the model's parameters, when training starts.

        A plain module written for Lightning (``training_step``), adapted with
        the default loss, is refused here: training would skip its step (MMEngine
        refuses every plain module in ``train()``; validation and tests may use it).
        """
        from ..optim.constructor import build_optim_wrapper

        model = self.unwrapped_model
        _refuse_lightning_style(model)
        try:
            built = build_optim_wrapper(model, optim_wrapper)
            _refuse_foreign_optimizers(self, model, built)
            return built
        except RunnerError as exc:
            if (
                isinstance(exc, ConfigError)
                and "empty parameter list" in str(exc)
                and not any(True for _ in model.parameters())
            ):
                raise _no_parameters_error(model) from exc
            _name_top_level_optimizer(self, optim_wrapper, exc)
            raise

    def build_param_scheduler(self, scheduler: Any) -> Any:
        from ..optim.scheduler import build_param_schedulers

        loop = self._train_loop
        if isinstance(loop, Mapping):  # not built yet (MMEngine's holds its config)
            loop = None
        if loop is None and self._train_cfg is not None:
            # called before train() (MMEngine scripts build the optim wrapper and the
            # schedulers themselves): build the train loop now, as MMEngine's
            # len(self.train_dataloader) does, so convert_to_iter_based and a default
            # end know the run's length
            loop = cast(Any, self).train_loop  # the Runner's property: builds it once
        epoch_length = (
            len(loop.dataloader)
            if loop is not None and hasattr(loop.dataloader, "__len__")
            else None
        )
        return build_param_schedulers(
            scheduler,
            self.optim_wrapper,
            epoch_length=epoch_length,
            max_epochs=getattr(loop, "max_epochs", None),
            max_iters=getattr(loop, "max_iters", None),
        )

    def build_train_loop(self, loop: Any) -> Any:
        if loop is None and self._train_cfg is not None:
            # MMEngine keeps the config in ``runner._train_loop`` until the loop is built, and
            # scripts build it themselves: runner.build_train_loop(runner._train_loop)
            loop = self._train_cfg
        if not isinstance(loop, Mapping):
            return _build.build_loop(self, loop, "train", {})
        cfg = _build.train_loop_cfg(loop, self._val_cfg)
        train_loader = _build_loader(self, self._train_dataloader, "train_dataloader")
        self._train_dataloader = train_loader
        return _build.build_loop(
            self, cfg, "train", {"dataloader": train_loader}, type_given="type" in loop
        )

    def build_val_loop(self, loop: Any) -> Any:
        return self._build_eval_loop(loop, "val")

    def build_test_loop(self, loop: Any) -> Any:
        return self._build_eval_loop(loop, "test")

    def _build_eval_loop(self, loop: Any, mode: str) -> Any:
        no_data = getattr(self, f"_{mode}_dataloader") is None
        if no_data and (loop is None or (isinstance(loop, Mapping) and "dataloader" not in loop)):
            # runner.build_test_loop(runner._test_loop) / build_test_loop(dict()), as scripts
            # written for MMEngine do; a loop over no data would fail only when it runs
            raise ConfigTypeError(  # a TypeError too, as building None is in MMEngine
                f"build_{mode}_loop({loop!r}): this Runner has no {mode}_dataloader, so there "
                f"is no {mode} loop to build. Give the Runner {mode}_dataloader, "
                f"{mode}_cfg and {mode}_evaluator (or pass a loop config with its own "
                f"dataloader)."
            )
        if loop is None:
            loop = getattr(self, f"_{mode}_cfg") or {}
        if not isinstance(loop, Mapping):
            return _build.build_loop(self, loop, mode, {})
        standard = "ValLoop" if mode == "val" else "TestLoop"
        cfg = _build.eval_loop_cfg(loop, standard)
        raw = getattr(self, f"_{mode}_dataloader")
        if isinstance(raw, (list, tuple)) and loop.get("type", standard) != standard:
            # a loop of one's own over several datasets (MMagic's MultiValLoop) takes the
            # configs and builds each loader itself, as MMEngine hands them over unbuilt
            loader: Any = list(raw)
        else:
            loader = _build_loader(self, raw, f"{mode}_dataloader")
        evaluator = getattr(self, f"_{mode}_evaluator")
        # the loop builds the evaluator (runner.build_evaluator): errors name val_evaluator[i]
        token = _build.EVALUATOR_KEY.set(f"{mode}_evaluator")
        try:
            return _build.build_loop(
                self,
                cfg,
                mode,
                {"dataloader": loader, "evaluator": evaluator},
                type_given="type" in loop,
            )
        finally:
            _build.EVALUATOR_KEY.reset(token)


def _name_top_level_optimizer(runner: Any, optim_wrapper: Any, exc: BaseException) -> None:
    """The guide's top-level ``optimizer = dict(...)`` is built as ``optim_wrapper``'s
    optimizer: an error names the key the user wrote, not ``optim_wrapper.optimizer``."""
    if optim_wrapper is not getattr(runner, "_top_level_optimizer", None):
        return
    import re

    def named(text: str) -> str:
        return re.sub(r"(?<![\w.])optim_wrapper\.optimizer\b", "optimizer", text)

    if len(exc.args) == 1 and isinstance(exc.args[0], str):
        exc.args = (named(exc.args[0]),)
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        notes[:] = [named(n) if isinstance(n, str) else n for n in notes]


def _refuse_lightning_style(model: Any) -> None:
    """Refuse a plain module whose own training step (Lightning's) the Runner would skip:
    one the adapter trains with its default loss (a loss given, to the constructor or set
    as ``adapter.loss_fn`` since, is the caller's choice)."""
    import torch

    from ..model.base_model import ModelContractError, ModuleAdapter

    if not isinstance(model, ModuleAdapter) or getattr(model, "loss_given", False):
        return
    loss_fn = model.loss_fn
    default = getattr(loss_fn, "__func__", None) is ModuleAdapter._checked_cross_entropy
    if not (default or loss_fn is torch.nn.functional.cross_entropy):
        return
    module = model.module
    found = [
        m for m in ("training_step", "configure_optimizers") if callable(getattr(module, m, None))
    ]
    if found:
        kind = (
            "a LightningModule"
            if any(c.__name__ == "LightningModule" for c in type(module).__mro__)
            else "a plain nn.Module"
        )
        raise ModelContractError(
            f"{type(module).__name__} is {kind} with {' and '.join(found)} (a "
            "LightningModule's methods), which the Runner never calls: it calls "
            "model.train_step(data, optim_wrapper), builds the optimizer from "
            "optim_wrapper=dict(optimizer=...), and would train a plain module's output with "
            "cross-entropy. Subclass runner_core.model.BaseModel and implement "
            "forward(..., mode='loss') returning a dict of losses (BaseModel.train_step calls "
            "forward(**batch, mode='loss') and steps the optimizer), or implement "
            "train_step(data, optim_wrapper) yourself; or pass the module with its loss as "
            "ModuleAdapter(module, loss_fn=...) (from runner_core.model), which ignores "
            "training_step too. A table of Lightning's features and their counterparts: "
            "docs/comparison.md, 'Coming from PyTorch Lightning'."
        )


def _refuse_foreign_optimizers(runner: Any, model: Any, built: Any) -> None:
    """Refuse optimizers none of whose parameters is the model's: one built over another
    model (passed built, as ``optim_wrapper`` or inside it) would train without changing
    the model's weights. Foreign tensors beside the model's pass (extra learnable
    tensors), as do model parameters left out (frozen ones), plain tensors (not
    ``nn.Parameter``: an adversarial perturbation, a prompt), and, for several
    optimizers, parts over such tensors while another part trains the model.

    Parameters are compared by identity: wrapping (DDP) and ``model.to(device)`` keep
    the Parameter objects; FSDP replaces them, so an optimizer built before is refused.
    """
    import torch

    from ..optim.optim_wrapper_dict import OptimWrapperDict

    parts: list[tuple[str | None, Any]] = (
        list(built.items()) if isinstance(built, OptimWrapperDict) else [(None, built)]
    )
    own = {id(p) for p in model.parameters()}
    foreign: tuple[str | None, Any, int] | None = None  # the first part with parameters
    for name, wrapper in parts:
        groups = getattr(getattr(wrapper, "optimizer", None), "param_groups", None)
        if not isinstance(groups, list):
            return  # not a torch optimizer: nothing to compare
        params = [p for g in groups if isinstance(g, Mapping) for p in g.get("params", ())]
        if any(id(p) in own for p in params):
            return  # it (or one of the parts) trains the model
        if not all(isinstance(p, torch.nn.Parameter) for p in params):
            return  # tensors of the user's own, which the model may well use
        if foreign is None and params:
            foreign = (name, wrapper.optimizer, len(params))
    if foreign is not None:
        name, optimizer, count = foreign
        raise _foreign_optimizer_error(runner, model, optimizer, count, name)


def _foreign_optimizer_error(
    runner: Any, model: Any, optimizer: Any, count: int, part: str | None
) -> ConfigTypeError:
    from ..distributed.model_wrappers import is_fsdp
    from ..model.base_model import ModuleAdapter

    inner = model.module if isinstance(model, ModuleAdapter) else model
    key = f"optim_wrapper.{part}" if part else "optim_wrapper"
    kind = type(optimizer).__name__
    sharded = (
        " FSDP gives the model new, sharded parameters when the Runner wraps it, so an "
        "optimizer built before that holds none of them."
        if is_fsdp(runner.model)
        else ""
    )
    # a TypeError too: MMEngine refuses a built optimizer as optim_wrapper with one
    return ConfigTypeError(
        f"{key}: the {kind} optimizer was built over another model's parameters: none of "
        f"its {_count(count, 'parameter')} is one of the model {type(inner).__name__}'s, "
        f"so training would leave the model's weights unchanged.{sharded} Build it over the "
        f"Runner's model ({kind}(model.parameters(), ...) with the model passed as "
        f"model=), or pass a dict config, {key}=dict(optimizer=dict(type={kind!r}, "
        "lr=...)), which the Runner builds over its model. Parameters of your own that the model uses belong "
        "on the model (nn.Parameter attributes of one of its modules), where checkpoints "
        "keep them too."
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _no_parameters_error(model: Any) -> ConfigError:
    """The error for a model without parameters, whose optimizer torch refuses."""
    from ..model.base_model import ModuleAdapter

    inner = model.module if isinstance(model, ModuleAdapter) else model
    return ConfigError(
        f"The model {type(inner).__name__} has no parameters, so there is nothing to train: "
        "torch refuses an optimizer over an empty parameter list (ValueError: optimizer got an "
        "empty parameter list). Check that its layers are built in __init__ and assigned as "
        "attributes (an nn.Module, nn.Parameter, or nn.ModuleList, not a plain list), or use "
        "runner.val()/runner.test() for a model that only evaluates."
    )


def _no_buffer_sync() -> dict[str, bool]:
    """MMEngine's default DDP option, no buffer broadcast in ``forward``, in this torch's words.

    torch 2.13 deprecates ``broadcast_buffers`` (a FutureWarning on every
    rank) for ``forward_sync_buffers``; the new flag still syncs buffers once
    at wrap time, where the Runner has just broadcast rank 0's weights anyway.
    """
    import inspect

    from torch.nn.parallel import DistributedDataParallel

    if "forward_sync_buffers" in inspect.signature(DistributedDataParallel.__init__).parameters:
        return {"forward_sync_buffers": False}
    return {"broadcast_buffers": False}


def _build_loader(runner: Any, dataloader: Any, key: str) -> Any:
    """``runner.build_dataloader(dataloader, seed=..., diff_rank_seed=...)`` with errors
    naming ``key``: called with MMEngine's arguments only (the run's seed, as MMEngine's
    ``BaseLoop`` passes it), so a subclass's ``@staticmethod`` override still works."""
    token = _build.LOADER_KEY.set(key)
    try:
        return runner.build_dataloader(dataloader, **loader_seed_args(runner))
    finally:
        _build.LOADER_KEY.reset(token)


def loader_seed_args(runner: Any) -> dict[str, Any]:
    """The seed arguments MMEngine's loops pass to ``runner.build_dataloader``: an override
    that hands them on to the static function then seeds as the run does."""
    randomness = getattr(runner, "randomness_cfg", None) or {}
    return {"seed": runner.seed, "diff_rank_seed": bool(randomness.get("diff_rank_seed", False))}
