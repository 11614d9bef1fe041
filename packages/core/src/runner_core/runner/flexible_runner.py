"""``FlexibleRunner``: MMEngine's strategy-driven Runner, as a thin layer over ours.

MMEngine's ``FlexibleRunner`` hands building, wrapping and checkpointing to a
``strategy``. Our Runner does those itself, so this subclass only maps
``strategy=`` (and MMEngine's ``FlexibleRunner`` signature: keyword-only
arguments, ``compile``, ``launcher`` inferred) onto the Runner's arguments:
``SingleDeviceStrategy`` -> one process, ``DDPStrategy`` -> ``launcher`` and
``model_wrapper_cfg``, ``FSDPStrategy`` -> the FSDP2 wrapper. Everything else
(training, checkpoints, resuming, hooks) is the Runner's.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..errors import ConfigError, ConfigTypeError
from .args_config import arguments_config
from .runner import Runner, default_env_cfg

if TYPE_CHECKING:
    from ..strategies import BaseStrategy

_FR = TypeVar("_FR", bound="FlexibleRunner")  # from_cfg returns the subclass it is called on


class FlexibleRunner(Runner):
    """A :class:`~.runner.Runner` configured by a ``strategy``, with MMEngine's
    ``FlexibleRunner`` signature (``model``, then keyword-only arguments).

    ``strategy`` is a strategy object, a dict such as ``dict(type='DDPStrategy',
    model_wrapper=dict(find_unused_parameters=True))``, or None: then
    ``SingleDeviceStrategy`` in one process and ``DDPStrategy`` when a launcher
    (given, or inferred from torchrun's / SLURM's / MPI's environment) starts
    several. ``compile=True`` / ``dict(backend=...)`` compiles ``train_step``.
    ``optimizer``, ``default_hooks_set`` and ``load_cfg`` are the Runner's own.
    """

    _wrapper_cfg_from_cfg = False  # the strategy chooses the wrapper

    def __init__(
        self,
        model: Any,
        *,
        work_dir: str | Path | None = None,
        experiment_name: str | None = None,
        train_dataloader: Any = None,
        optim_wrapper: Any = None,
        param_scheduler: Any = None,
        train_cfg: Mapping[str, Any] | None = None,
        val_dataloader: Any = None,
        val_evaluator: Any = None,
        val_cfg: Mapping[str, Any] | None = None,
        test_dataloader: Any = None,
        test_evaluator: Any = None,
        test_cfg: Mapping[str, Any] | None = None,
        strategy: BaseStrategy | Mapping[str, Any] | None = None,
        auto_scale_lr: Mapping[str, Any] | None = None,
        default_hooks: Mapping[str, Any] | None = None,
        custom_hooks: list[Any] | None = None,
        data_preprocessor: Any = None,
        load_from: str | Path | None = None,
        resume: bool | str = False,
        launcher: str | None = None,
        env_cfg: Mapping[str, Any] | None = None,
        log_processor: Mapping[str, Any] | None = None,
        log_level: str | int = "INFO",
        visualizer: Any = None,
        default_scope: str | None = "runner_core",
        randomness: Mapping[str, Any] | None = None,
        compile: bool | Mapping[str, Any] = False,
        cfg: Any = None,
        optimizer: Any = None,
        default_hooks_set: str | None = None,
        load_cfg: Mapping[str, Any] | None = None,
    ) -> None:
        own_arguments = None if cfg is not None else arguments_config(locals())
        if isinstance(resume, (str, os.PathLike)) and load_from is not None:
            raise ConfigError(  # MMEngine's FlexibleRunner: a ValueError
                f"resume={str(resume)!r} names the checkpoint to resume from, so load_from "
                f"({str(load_from)!r}) must be None: give one of them."
            )
        compile_cfg = _compile_cfg(compile)
        if cfg is not None:  # MMEngine copies it: the run changes self.cfg
            from ..config import Config

            cfg = copy.deepcopy(cfg) if isinstance(cfg, Config) else Config(copy.deepcopy(cfg))
        if launcher is None:
            from ..distributed.launch import infer_launcher

            launcher = infer_launcher()
        self.strategy: BaseStrategy = self.build_strategy(strategy, launcher=launcher)
        s = self.strategy
        env = dict(s.env_kwargs)
        launcher = s.runner_launcher(str(env.pop("launcher", None) or launcher))
        randomness = env.pop("randomness", randomness)
        self._own_arguments = own_arguments
        super().__init__(
            model,
            work_dir=s.work_dir if s.work_dir is not None else work_dir,
            train_dataloader=train_dataloader,
            val_dataloader=val_dataloader,
            test_dataloader=test_dataloader,
            train_cfg=train_cfg,
            val_cfg=val_cfg,
            test_cfg=test_cfg,
            auto_scale_lr=s.auto_scale_lr if s.auto_scale_lr is not None else auto_scale_lr,
            optim_wrapper=optim_wrapper,
            param_scheduler=param_scheduler,
            val_evaluator=val_evaluator,
            test_evaluator=test_evaluator,
            default_hooks=default_hooks,
            custom_hooks=custom_hooks,
            data_preprocessor=data_preprocessor,
            load_from=load_from,
            resume=resume,
            launcher=launcher,
            # the strategy's env_kwargs over env_cfg, or over the Runner's default (MMEngine's)
            env_cfg={**(dict(env_cfg) if env_cfg is not None else default_env_cfg()), **env},
            log_processor=log_processor,
            log_level=s.log_kwargs.get("log_level", log_level),
            visualizer=visualizer,
            default_scope=default_scope,
            randomness=randomness,
            experiment_name=s.experiment_name if s.experiment_name is not None else experiment_name,
            cfg=cfg,
            optimizer=optimizer,
            default_hooks_set=default_hooks_set,
            model_wrapper_cfg=s.model_wrapper_cfg(),
            load_cfg=load_cfg,
        )
        if compile_cfg is not None:  # the Runner's train() compiles what cfg.compile says
            self.cfg["compile"] = compile_cfg
        state_dict_type = getattr(s, "state_dict_type", "full")
        if state_dict_type != "full" and self.distributed:
            self.logger.info(
                "FSDPStrategy(state_dict_cfg=%r): checkpoints are written whole (gathered "
                "on every rank, one file written by rank 0), not one file per rank as "
                "MMEngine writes; runner_core.distributed.checkpoint.save_sharded writes shards.",
                state_dict_type,
            )

    @classmethod
    def from_cfg(cls: type[_FR], cfg: Any) -> _FR:
        """Build a FlexibleRunner from a config (its keys: this constructor's arguments)."""
        from ..config import Config
        from .arg_checks import check_runner_values
        from .config_keys import check_top_level_keys, constructor_keys

        if not isinstance(cfg, Config):  # a Config is copied by the constructor
            cfg = Config(copy.deepcopy(dict(cfg)))
        if cfg.get("model_wrapper_cfg") is not None:
            raise ConfigError(
                "model_wrapper_cfg is not read by FlexibleRunner (MMEngine's ignores it): move it "
                "into the strategy, strategy=dict(type='DDPStrategy', model_wrapper=dict(...)) or "
                "dict(type='FSDPStrategy', model_wrapper=dict(...)), or use runner_type='Runner'."
            )
        keys = constructor_keys(cast(type, cls))  # a subclass reads its own arguments
        check_top_level_keys(cfg, keys)
        check_runner_values(cfg)
        kwargs = {key: copy.deepcopy(cfg.get(key)) for key in keys if key in cfg}
        if "visualizer" not in kwargs and "vis_backends" in cfg:
            kwargs["visualizer"] = {"vis_backends": copy.deepcopy(cfg.get("vis_backends"))}
        kwargs.setdefault("model", None)
        return cls(**kwargs, cfg=cfg)

    build_from_cfg = from_cfg

    def build_strategy(
        self, strategy: BaseStrategy | Mapping[str, Any] | None = None, launcher: str = "none"
    ) -> BaseStrategy:
        """The strategy object for ``strategy``: built from ``STRATEGIES`` when a dict; for
        None, ``SingleDeviceStrategy`` with ``launcher='none'`` and ``DDPStrategy`` otherwise."""
        from ..registry import STRATEGIES
        from ..strategies import BaseStrategy

        if isinstance(strategy, BaseStrategy):
            return strategy
        if strategy is None:
            strategy = {"type": "SingleDeviceStrategy" if launcher == "none" else "DDPStrategy"}
        if not isinstance(strategy, Mapping):
            raise ConfigTypeError(
                f"strategy={strategy!r} is not a strategy: give a dict such as "
                "dict(type='DDPStrategy'), an object of runner_core.strategies (not MMEngine's), "
                "or None to choose by the launcher."
            )
        built = STRATEGIES.build(dict(strategy), _key_path="strategy")
        if not isinstance(built, BaseStrategy):
            raise ConfigTypeError(
                f"strategy={dict(strategy)!r} built a {type(built).__name__}, which is not a "
                "runner_core.strategies.BaseStrategy: register strategies that subclass it."
            )
        return built

    def wrap_model(self, model_wrapper_cfg: Mapping[str, Any] | None, model: Any) -> Any:
        """The Runner's wrapping, after the strategy's ``sync_bn`` (DDPStrategy, FSDPStrategy)."""
        sync_bn = getattr(self.strategy, "sync_bn", None)
        if sync_bn is not None:
            from ..distributed.model_wrappers import is_model_wrapper
            from ..model.sync_bn import sync_bn_for_run

            if not is_model_wrapper(model):
                model = sync_bn_for_run(model, sync_bn, self.device, self.distributed)
        return super().wrap_model(model_wrapper_cfg, model)

    def _init_model_weights(self) -> None:
        if getattr(self.strategy, "skip_init_weights", False):
            return  # FSDPStrategy(skip_init_weights=True): the weights come from load_from
        super()._init_model_weights()

    def dump_config(self) -> None:
        """The Runner's, with this constructor's arguments (``strategy``, ``compile``) for a
        FlexibleRunner built from arguments."""
        if self.arguments_cfg is not None and self._own_arguments is not None:
            self.arguments_cfg = self._own_arguments
        super().dump_config()


def _compile_cfg(value: Any) -> dict[str, Any] | None:
    """The Runner's ``compile`` options for FlexibleRunner's ``compile`` argument (None: off)."""
    from .compile import compile_options

    if not isinstance(value, (bool, Mapping)):  # MMEngine's FlexibleRunner: a TypeError
        raise ConfigTypeError(f"compile should be a bool or a dict, got {value!r}.")
    if value is False:
        return None
    options = {} if value is True else dict(value)
    target = options.pop("target", "train_step")
    if target != "train_step":
        raise ConfigError(
            f"compile=dict(target={target!r}): runner compiles the model's train_step only "
            "(FlexibleRunner's default target); remove target."
        )
    checked = compile_options(options)  # unknown torch.compile options fail now
    return checked if checked is not None else {}
