"""``RuntimeInfoHook``: put the run's counters, learning rates and losses in the MessageHub."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from runner_core.config.formatting import config_text
from runner_core.contract import RunnerAPI
from runner_core.errors import RunnerError
from runner_core.hooks import Hook, Priority
from runner_core.loop import loader_metainfo


class StepOutputError(RunnerError, TypeError, AttributeError):
    """``train_step`` returned something that cannot be logged (a list, a string value).

    A TypeError, and an AttributeError as MMEngine's ``outputs.items()`` on a list.
    """


def _loggable(value: Any) -> bool:
    """Whether a history can hold ``value``: a tensor, a number, or a numpy number/array."""
    import numbers

    import torch

    return isinstance(value, (torch.Tensor, numbers.Number)) or type(value).__module__ == "numpy"


_STEP_CONTRACT = (
    "train_step must return a dict of values to log (tensors of one element or numbers, "
    "as BaseModel.train_step returns parse_losses' log_vars), or the loss tensor alone."
)


class RuntimeInfoHook(Hook):
    """Publish what other hooks and the logger read from ``runner.message_hub``.

    Info: ``cfg`` (the config's text, ``''`` without one), ``seed`` and
    ``experiment_name`` once per run; ``epoch``, ``iter``, ``max_epochs``,
    ``max_iters``, ``loop_stage`` (``'train'``, ``'val'`` or ``'test'`` while
    that loop runs) and the
    training set's ``dataset_meta``. Scalars per
    training iteration: ``train/lr`` and ``train/momentum`` (param group 0;
    ``train/<name>.lr`` for each wrapper of an ``OptimWrapperDict``), and
    ``train/base_lr`` (the schedule's own value) with several param groups,
    ``train/grad_norm`` when gradients are clipped (once per optimizer step, as
    MMEngine records it; with an ``OptimWrapperDict`` each clipping wrapper's
    norm, in the dict's order, and also as ``train/<name>.grad_norm``), and
    every term of the
    model's outputs as ``train/<key>`` (outputs that are a bare loss tensor as
    ``train/loss``). Output tensors are stored as they are
    (detached); the history turns them into floats when it is read, all
    together, so no iteration waits on the device or pays for a read nobody
    needs yet. After validation/testing, each metric as ``val/<key>`` /
    ``test/<key>``.
    """

    priority: int | str = Priority.VERY_HIGH

    def __init__(self) -> None:
        #: the ``loop_stage`` to go back to after a validation (MMEngine's attribute)
        self.last_loop_stage: str | None = None
        self._info: dict[str, Any] | None = None  # the hub's runtime info, bound by _bind
        self._get_lr: Any = None
        self._get_momentum: Any = None
        self._groups_of: Any = None
        self._grad_norm_sources: list[tuple[str, Any, Any]] = []
        self._clipper: Any = None  # the one wrapper, when it says whether it clips
        self._shared_norm_key: str | None = None  # an OptimWrapperDict's norms: also here
        # the norm last recorded per key: a wrapper's norm is a new object after each
        # clipping step, so one that did not step (accumulation) is not recorded again
        self._recorded_norms: dict[str, Any] = {}
        self._momentum_key: str | None = None
        self._identity: dict[str, Any] = {}

    def before_run(self, runner: RunnerAPI) -> None:
        # what MMEngine's hook publishes once per run, for code that reads the run's
        # identity from the hub (and for the hub saved in each checkpoint)
        cfg = runner.cfg
        self._identity = {
            "cfg": config_text(cfg),
            "seed": runner.seed,
            "experiment_name": runner.experiment_name,
        }
        runner.message_hub.update_info_dict(self._identity)

    def before_train(self, runner: RunnerAPI) -> None:
        hub = runner.message_hub
        hub.update_info_dict(
            {
                **self._identity,  # again: a resume has loaded the checkpoint's hub since
                "loop_stage": "train",
                "epoch": runner.epoch,
                "iter": runner.iter,
                "max_epochs": runner.max_epochs,
                "max_iters": runner.max_iters,
            }
        )
        metainfo = loader_metainfo(runner.train_dataloader)
        if metainfo is not None:
            hub.update_info("dataset_meta", metainfo)
        self._bind(runner)

    def _bind(self, runner: RunnerAPI) -> None:
        """Look up, once per run, what the per-iteration points write to and read from.

        ``before_train`` calls it; a point called on its own (a unit test calling
        ``before_train_iter`` of a hook that never saw ``before_train``) binds first.
        """
        hub = runner.message_hub
        wrapper = runner.optim_wrapper
        self._info = hub.runtime_info
        self._hub = hub
        self._out_bufs: dict[str, Any] = {}  # train/<key> -> its history's append
        self._clipper = None
        self._shared_norm_key = None
        self._base: dict[str, Any] | None = None  # the wrapper's base settings (base_lr)
        sources: list[tuple[str, Any]] = []
        if hasattr(wrapper, "items") and callable(wrapper.items):  # OptimWrapperDict
            sources = [(f"train/{name}.grad_norm", w) for name, w in wrapper.items()]
            # MMEngine's wrappers all write train/grad_norm as they clip: the last one wins
            self._shared_norm_key = "train/grad_norm"
            self._get_lr = getattr(wrapper, "get_lr", None)
            self._get_momentum = getattr(wrapper, "get_momentum", None)
        elif wrapper is not None:
            sources = [("train/grad_norm", wrapper)]
            self._get_lr = getattr(wrapper, "get_lr", None)
            self._get_momentum = getattr(wrapper, "get_momentum", None)
            if hasattr(wrapper, "param_groups"):
                # one wrapper: read param group 0 directly, the cheapest per iteration;
                # from the torch optimizer itself when the wrapper's groups are its own
                # (a plain attribute there, a property call on the wrapper)
                optimizer = getattr(wrapper, "optimizer", None)
                same = getattr(optimizer, "param_groups", None) is wrapper.param_groups
                self._groups_of = optimizer if same else wrapper
                self._base = getattr(wrapper, "base_param_settings", None)
                if self._base is not None:  # logged before lr, as MMEngine does
                    self._base_lr = hub.history("train/base_lr").append
                self._lr = hub.history("train/lr").append
                self._momentum = hub.history("train/momentum").append
                group = wrapper.param_groups[0]
                self._momentum_key = (
                    "momentum" if "momentum" in group else "betas" if "betas" in group else None
                )
        # (key, wrapper, how its norm is read): looked up once, not every iteration
        self._grad_norm_sources = [(key, w, _grad_norm_reader(w)) for key, w in sources]
        if len(sources) == 1 and sources[0][0] == "train/grad_norm":
            from runner_core.optim import OptimWrapper

            one = sources[0][1]
            if isinstance(one, OptimWrapper) and type(one).grad_norm is OptimWrapper.grad_norm:
                # its norm comes from clipping: per iteration one attribute read says
                # whether there is one (clip_grad_kwargs is None while clipping is off)
                self._clipper = one

    def before_train_epoch(self, runner: RunnerAPI) -> None:
        runner.message_hub.update_info("epoch", runner.epoch)

    def before_train_iter(self, runner: RunnerAPI, batch_idx: int, data_batch: Any = None) -> None:
        info = self._info
        if info is None:  # before_train was not called
            self._bind(runner)
            info = self._info
            assert info is not None, "_bind sets it"
        info["iter"] = runner.iter
        wrapper = self._groups_of
        if wrapper is not None:
            group = wrapper.param_groups[0]
            base = self._base
            if base is not None:
                self._base_lr(base["lr"])
            self._lr(group["lr"])
            key = self._momentum_key
            if key == "momentum":
                self._momentum(group["momentum"])
            elif key is not None:
                self._momentum(group["betas"][0])
            return
        hub = self._hub
        if self._get_lr is not None:
            for key, values in self._get_lr().items():
                if values:
                    hub.update_scalar(f"train/{key}", values[0])
        if self._get_momentum is not None:
            for key, values in self._get_momentum().items():
                if values:
                    hub.update_scalar(f"train/{key}", values[0])

    def after_train_iter(
        self,
        runner: RunnerAPI,
        batch_idx: int,
        data_batch: Any = None,
        outputs: Any = None,
    ) -> None:
        if self._info is None:  # before_train was not called
            self._bind(runner)
        # the clipping norm first: MMEngine's wrapper records it during the step, before
        # the losses reach the hub, so its log lines read `grad_norm: ...  loss: ...`
        clipper = self._clipper
        if clipper is None:
            shared = self._shared_norm_key
            for key, wrapper, read in self._grad_norm_sources:
                norm = read(wrapper)
                if self._record_norm(key, norm) and shared is not None:
                    self._hub.update_scalar(shared, norm)
        elif clipper.clip_grad_kwargs:  # clipping is on (set_clip_grad may turn it on mid-run)
            self._record_norm("train/grad_norm", clipper.grad_norm)
        if type(outputs) is dict and len(outputs) == 1:
            # the usual step's outputs, {'loss': detached tensor}: one append
            loss = outputs.get("loss")
            append = self._out_bufs.get("loss")
            if append is not None and not getattr(loss, "requires_grad", True):
                append(loss)
            else:
                self._record_outputs(outputs)
        elif type(outputs) is dict or isinstance(outputs, Mapping):
            self._record_outputs(outputs)
        elif outputs is not None:
            self._record_bare_loss(outputs)

    def _record_norm(self, key: str, norm: Any) -> bool:
        """Record a clipping norm once: as MMEngine, only when the optimizer stepped."""
        recorded = self._recorded_norms
        if norm is not None and norm is not recorded.get(key):
            recorded[key] = norm
            self._hub.update_scalar(key, norm)
            return True
        return False

    def _record_bare_loss(self, outputs: Any) -> None:
        """A ``train_step`` returning the loss tensor alone (Lightning's ``training_step``
        habit) has it logged as ``train/loss``, as a bare tensor from ``forward(mode='loss')``
        is (its mean, for a per-sample loss)."""
        import torch

        if isinstance(outputs, torch.Tensor):
            if outputs.is_floating_point():
                self._record_outputs({"loss": outputs if outputs.dim() == 0 else outputs.mean()})
            return
        raise StepOutputError(
            f"The model's train_step returned a {type(outputs).__name__} "
            f"({outputs!r:.80}), which the Runner cannot log. {_STEP_CONTRACT}"
        )

    def _record_outputs(self, outputs: Mapping[str, Any]) -> None:
        """Every term of a step's outputs as ``train/<key>``."""
        bufs = self._out_bufs
        for key, value in outputs.items():
            append = bufs.get(key)
            if append is None:  # a key's first value is checked: a log line would fail later
                if not _loggable(value):
                    raise StepOutputError(
                        f"The model's train_step returned {key}={value!r:.80} "
                        f"({type(value).__name__}), which cannot be logged. {_STEP_CONTRACT}"
                    )
                append = bufs[key] = self._hub.history(f"train/{key}").append
            # stored as it is: the history reads its tensors together when it is read
            # (a log line), not one by one between the model's kernels
            if getattr(value, "requires_grad", False):
                value = value.detach()  # never keep a graph alive in the history
            append(value)

    # -- loop_stage: which loop runs now ('train', 'val', 'test'), as MMEngine's info --------
    def after_train(self, runner: RunnerAPI) -> None:
        runner.message_hub.pop_info("loop_stage")

    def before_val(self, runner: RunnerAPI) -> None:
        hub = runner.message_hub
        self.last_loop_stage = hub.get_info("loop_stage")
        hub.update_info("loop_stage", "val")

    def after_val(self, runner: RunnerAPI) -> None:
        # validation inside training goes back to 'train'
        if self.last_loop_stage == "train":
            runner.message_hub.update_info("loop_stage", "train")
        else:
            runner.message_hub.pop_info("loop_stage")
        self.last_loop_stage = None

    def before_test(self, runner: RunnerAPI) -> None:
        runner.message_hub.update_info("loop_stage", "test")

    def after_test(self, runner: RunnerAPI) -> None:
        runner.message_hub.pop_info("loop_stage")

    def after_val_epoch(self, runner: RunnerAPI, metrics: dict[str, Any] | None = None) -> None:
        _publish_metrics(runner.message_hub, "val", metrics)

    def after_test_epoch(self, runner: RunnerAPI, metrics: dict[str, Any] | None = None) -> None:
        _publish_metrics(runner.message_hub, "test", metrics)

    def __repr__(self) -> str:
        return "RuntimeInfoHook()"


def _grad_norm_reader(wrapper: Any) -> Any:
    """How to read ``wrapper``'s last clipping norm, as the tensor the clip returned when possible.

    ``OptimWrapper.last_grad_norm`` converts to float (a device sync);
    ``grad_norm`` is the raw tensor, so logging it per iteration costs nothing
    until the logger reads it.
    """
    if hasattr(wrapper, "grad_norm"):
        return operator.attrgetter("grad_norm")
    return lambda w: getattr(w, "last_grad_norm", None)


def _is_scalar(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    numel = getattr(value, "numel", None)
    if callable(numel):
        return numel() == 1
    return getattr(value, "size", None) == 1 and hasattr(value, "item")


def _publish_metrics(hub: Any, mode: str, metrics: Any) -> None:
    if not metrics:
        return
    for key, value in metrics.items():
        if _is_scalar(value):
            hub.update_scalar(f"{mode}/{key}", value)
        else:
            hub.update_info(f"{mode}/{key}", value)
