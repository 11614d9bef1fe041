"""The model contract the loops rely on, and an adapter for plain modules.

A model is anything with ``train_step(data, optim_wrapper) -> dict``,
``val_step(data)`` and ``test_step(data)``. ``BaseModel`` builds all three on
``forward(inputs, data_samples=None, mode='loss'|'predict'|'tensor')``:

* a batch that is a dict is passed to ``forward`` as keyword arguments, a tuple
  or list as positional arguments, anything else as the single argument;
* ``mode='loss'`` returns a dict of losses; every key containing ``'loss'``
  is summed into the loss that is back-propagated;
* ``val_step``/``test_step`` return what ``forward(mode='predict')`` returns,
  and that is what the evaluator's metrics receive as ``data_samples``.

A plain ``nn.Module`` is adapted by :class:`ModuleAdapter` (see its docstring).
"""

from __future__ import annotations

import copy
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any, cast

import torch
from torch import nn

from ..errors import BuildError, BuildKeyError, RunnerError, did_you_mean
from .data_preprocessor import CPU, BaseDataPreprocessor, cast_data

# True while torch.compile traces (a constant there); torch < 2.3 has only dynamo's
_compiling: Callable[[], bool] = getattr(torch.compiler, "is_compiling", None) or (
    torch._dynamo.is_compiling
)


def run_forward(model: Callable[..., Any], data: Any, mode: str) -> Any:
    """Call ``model`` with ``data`` unpacked the MMEngine way, plus ``mode``."""
    if isinstance(data, Mapping):
        return model(**data, mode=mode)
    if isinstance(data, (list, tuple)):
        return model(*data, mode=mode)
    return model(data, mode=mode)


def parse_losses(
    losses: Any, model: str | None = None
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Sum the loss terms; return the total and detached terms for logging.

    The terms are logged under their own names and the total as ``loss``,
    first; a model that returns a term named ``loss`` itself has that term
    logged as ``loss`` (MMEngine does the same: its total is overwritten).
    A scalar tensor alone is the loss. ``model`` (its class name) is named in errors.
    """
    forward = f"{model}.forward(mode='loss')" if model else "forward(mode='loss')"
    if isinstance(losses, torch.Tensor):
        if losses.dim() != 0:  # a model's output returned by mistake (a mode check's typo)
            raise LossTypeError(
                f"{forward} returned a tensor of shape {tuple(losses.shape)}, not a loss: "
                "a tensor alone must be a scalar (0-d). If it is a per-sample loss, reduce "
                "it (loss.mean()) or return a dict (dict(loss=loss), whose terms are "
                "averaged); if it is the model's output, check forward's mode branches "
                "(mode == 'loss' must return the losses)."
            )
        return losses, {"loss": _logged(losses)}
    if not isinstance(losses, Mapping):
        skip = (
            " To skip a batch (Lightning's training_step returning None), override "
            "train_step(data, optim_wrapper) and return {} without calling "
            "optim_wrapper.update_params."
            if losses is None
            else ""
        )
        raise LossTypeError(
            f"{forward} must return a dict of losses or a scalar tensor, got "
            f"{type(losses).__name__}.{skip}"
        )
    log_vars: dict[str, torch.Tensor] = {}
    terms: list[Any] = []  # tensors: they are back-propagated
    for name, value in losses.items():
        if isinstance(value, (list, tuple)):
            if not all(isinstance(v, torch.Tensor) for v in value):
                raise _not_a_loss(name, value, forward)
            value = sum(v.mean() for v in value)
        elif isinstance(value, torch.Tensor):
            if value.dim() != 0:
                value = value.mean()
        elif "loss" in name or isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _not_a_loss(name, value, forward)  # a plain number: only under another key
        if "loss" in name:
            terms.append(value)
        log_vars[name] = (
            _logged(value) if isinstance(value, torch.Tensor) else torch.as_tensor(value)
        )
    if not terms:
        raise LossKeyError(
            f"The loss dict (what {forward} returns) has no key containing 'loss' "
            f"(keys: {list(losses)}), so there is nothing to optimize. Name the loss terms "
            "'loss' or 'loss_<name>'; a train_step of your own that logs only metrics can "
            "return them without calling parse_losses."
        )
    total = terms[0] if len(terms) == 1 else sum(terms[1:], terms[0])
    if "loss" in log_vars:  # the model's own 'loss' term is what is logged, as in MMEngine,
        if next(iter(log_vars)) != "loss":  # and first, where MMEngine has it
            log_vars = {"loss": log_vars["loss"], **log_vars}
        return total, log_vars
    return total, {"loss": _logged(total), **log_vars}  # the total, first (MMEngine's order)


def _logged(term: torch.Tensor) -> torch.Tensor:
    """``term`` detached, copied when it may share memory the step changes in place.

    A log line reads the terms after the optimizer step; a parameter, a buffer or a
    view of one (a logged temperature, ``self.w[0]``) would show the value after it.
    MMEngine's ``mean()`` copies every term; a computed loss needs no copy.
    """
    if _compiling() or term.grad_fn is None or term._is_view():
        return term.detach().clone()  # compiled: no graph break for reading grad_fn
    return term.detach()


def _unobserved(module: nn.Module) -> bool:
    """Whether calling ``module`` runs only its class's ``forward``: no forward hooks
    and no ``forward`` patched on the instance, so the call may be skipped."""
    return not (module._forward_hooks or module._forward_pre_hooks) and (
        "forward" not in module.__dict__
    )


class LossKeyError(RunnerError, ValueError, AttributeError):
    """The model's loss dict has no 'loss' term to optimize.

    An AttributeError too: MMEngine fails there calling ``.backward()`` on the
    float its ``parse_losses`` sums to.
    """


class ModelContractError(RunnerError, AssertionError):
    """A model the Runner cannot train as it was given.

    An AssertionError, as MMEngine's Runner refuses a model without ``train_step``.
    """


class LossTypeError(RunnerError, TypeError):
    """A loss term that is no tensor: the model's fault, said in runner's own words (not
    as an unexpected error), a TypeError as MMEngine's."""


def _not_a_loss(name: str, value: Any, forward: str) -> LossTypeError:
    """MMEngine's TypeError for a loss dict value, naming the key and the fix."""
    return LossTypeError(
        f"{forward} returned {name}={value!r:.80}: {name} is not a tensor or list of "
        "tensors. Loss terms (keys containing 'loss') are back-propagated, so they must be "
        "tensors computed from the model's output; other keys may also be plain numbers."
    )


class BaseModule(nn.Module, metaclass=ABCMeta):
    """An ``nn.Module`` whose weights start as its ``init_cfg`` says (MMEngine's ``BaseModule``).

    ``init_weights()`` applies ``init_cfg`` (see :mod:`runner_core.model.weight_init`),
    then calls each child's own ``init_weights``, then loads ``Pretrained``
    weights; it runs once (``is_init``). The Runner calls it before training.
    An ``ABCMeta`` class, as MMEngine's: a subclass that leaves an
    ``@abstractmethod`` unimplemented cannot be built.
    """

    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__()
        self.init_cfg = copy.deepcopy(init_cfg)
        # MMEngine's attribute: mmcv's MultiScaleDeformableAttention.init_weights sets
        # ``self._is_init = True`` itself, and DETR-style modules test it
        self._is_init = False

    @property
    def is_init(self) -> bool:
        """Whether ``init_weights`` has run (then it leaves the weights alone)."""
        state = self.__dict__
        # a module pickled before is_init became a property holds it under its own name
        return bool(state.get("_is_init", state.get("is_init", False)))

    @is_init.setter
    def is_init(self, value: bool) -> None:
        self._is_init = value

    def __repr__(self) -> str:
        text = super().__repr__()
        return f"{text}\ninit_cfg={self.init_cfg}" if self.init_cfg else text

    def init_weights(self) -> None:
        """Initialise the weights from ``init_cfg`` and the children's own ``init_weights``.

        The top-level call writes which initializer set each parameter to the
        run's log file, as MMEngine does (:mod:`~runner_core.model.init_report`).
        """
        from .init_report import finish_report, start_report
        from .weight_init import init_weights_of

        record = start_report(self)
        failed = True  # no report for an init that raised: it would read as a finished one
        try:
            if self.is_init:
                from ..logging import RunLogger

                # a log line, as MMEngine's print_log(WARNING): not a Python warning, which
                # test suites running with -W error would turn into a failure
                RunLogger.get_current_instance().warning(
                    f"init_weights of {type(self).__name__} has been called more than once; "
                    "the weights were left as they are."
                )
                failed = False
                return
            if self.init_cfg:
                from ..logging import RunLogger

                RunLogger.get_current_instance().debug(
                    f"initialize {type(self).__name__} with init_cfg {self.init_cfg}"
                )
            init_weights_of(self, self.init_cfg, list(self.children()))
            self.is_init = True
            failed = False
        finally:
            if record is not None:
                finish_report(self, record, write=not failed)


class ModuleList(BaseModule, nn.ModuleList):
    """``nn.ModuleList`` with ``init_cfg`` (MMEngine's ``ModuleList``)."""

    def __init__(self, modules: Any = None, init_cfg: Any = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.ModuleList.__init__(self, modules)


class ModuleDict(BaseModule, nn.ModuleDict):
    """``nn.ModuleDict`` with ``init_cfg`` (MMEngine's ``ModuleDict``)."""

    def __init__(self, modules: Any = None, init_cfg: Any = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.ModuleDict.__init__(self, modules)


class Sequential(BaseModule, nn.Sequential):
    """``nn.Sequential`` with ``init_cfg`` (MMEngine's ``Sequential``)."""

    def __init__(self, *args: Any, init_cfg: Any = None) -> None:
        BaseModule.__init__(self, init_cfg)
        nn.Sequential.__init__(self, *args)


class BaseModel(BaseModule):
    """Base class of models trained by the Runner."""

    def __init__(
        self, data_preprocessor: dict | nn.Module | None = None, init_cfg: Any = None
    ) -> None:
        super().__init__(init_cfg)
        if data_preprocessor is None:
            data_preprocessor = BaseDataPreprocessor()
        elif isinstance(data_preprocessor, Mapping):
            from ..registry import MODELS

            cfg = dict(data_preprocessor)
            cfg.setdefault("type", "BaseDataPreprocessor")
            data_preprocessor = cast(
                nn.Module, MODELS.build(cfg, _key_path=_key_path("data_preprocessor"))
            )
        elif not isinstance(data_preprocessor, nn.Module):
            raise BuildError(  # a TypeError, as MMEngine's
                f"{type(self).__name__}(data_preprocessor=...) must be a config dict, an "
                f"nn.Module or None, got {type(data_preprocessor).__name__}: "
                f"{data_preprocessor!r:.80}; e.g. data_preprocessor=dict(type="
                "'ImgDataPreprocessor', mean=[...], std=[...])."
            )
        self.data_preprocessor = data_preprocessor

    def _preprocess(self, data: Any, training: bool) -> Any:
        """Run the data preprocessor (a plain ``BaseDataPreprocessor`` on the CPU without
        the module call: its ``cast_data`` alone, a few microseconds less per step)."""
        pre = self._modules.get("data_preprocessor")  # not nn.Module.__getattr__: every step
        if pre is None:
            pre = self.data_preprocessor
        # ``device == CPU``, not ``device.type == 'cpu'``: the ``type`` getter builds
        # its string through a C++ stream, ten times the comparison, every step
        if type(pre) is BaseDataPreprocessor and pre._device == CPU and _unobserved(pre):
            return cast_data(data, CPU)  # new containers and data elements, as the call's
        return pre(data, training)

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> BaseModel:
        # ``model.to(device)`` does not call children's ``to``: tell the
        # preprocessor where the weights went, so batches follow them.
        # Every preprocessor in the model (a distiller's teacher_preprocessor too), as
        # MMEngine's ``to`` sets; the device read from a parameter, else a buffer.
        out = super()._apply(fn, *args, **kwargs)
        if "_modules" not in self.__dict__:
            return out
        tensor: torch.Tensor | None = next(self.parameters(), None)
        if tensor is None:
            tensor = next(self.buffers(), None)
        if tensor is not None:
            for module in self.modules():
                if isinstance(module, BaseDataPreprocessor):
                    module._device = tensor.device
        return out

    # ``*args, **kwargs`` only: each model has its own signature (with ``mode=``),
    # and the type checker accepts any of them as an override of this one.
    @abstractmethod
    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} must implement forward(..., mode=...)")

    def parse_losses(self, losses: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Sum the terms whose key contains 'loss'; return it and detached terms for logging.

        A method, as in MMEngine, so that a model with its own ``train_step``
        (a GAN updating two optimizers) or its own loss rule can call or override it.
        """
        return parse_losses(losses, type(self).__name__)

    def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        """Forward in loss mode, back-propagate and step through ``optim_wrapper``."""
        context = optim_wrapper.optim_context(self)
        # the plain step: no context to enter and leave. Compiled, always the `with`: torch
        # 2.11's dynamo cannot take type() of an autocast (a graph break, and a recompile per
        # step); an identity test with a module's instance breaks its graph too
        if not _compiling() and type(context) is nullcontext:
            losses = self._run_forward(self._preprocess(data, True), "loss")
        else:
            with context:
                losses = self._run_forward(self._preprocess(data, True), "loss")
        loss, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(loss)
        return log_vars

    def val_step(self, data: Any) -> Any:
        """Preprocess ``data`` and run ``forward`` in predict mode: the predictions the
        evaluator's metrics process (no gradients are taken here; the loop decides)."""
        return self._run_forward(self._preprocess(data, False), "predict")

    def test_step(self, data: Any) -> Any:
        """The same as ``val_step``: preprocessed ``data`` through ``forward`` in predict mode."""
        return self._run_forward(self._preprocess(data, False), "predict")

    def _run_forward(self, data: Any, mode: str) -> Any:
        """Call forward with preprocessed ``data`` (a dict as keywords, a list or tuple as
        positional arguments, else one argument) and ``mode``: MMEngine's name, which
        loops written for it call (mmpretrain's retrieval loops)."""
        return run_forward(self, data, mode)


#: where ModuleAdapter finds a dict batch's targets, in this order
TARGET_KEYS = ("targets", "labels", "label", "gt_label", "target")


class ModuleAdapter(BaseModel):
    """Lets a plain ``nn.Module`` (``forward(inputs) -> logits``) be trained.

    Batches are ``(inputs, targets)`` tuples/lists or dicts with ``inputs`` and
    one of ``targets``/``labels``/``gt_label``. Training minimises
    ``loss_fn(module(inputs), targets)`` (cross-entropy by default: its first
    call refuses an output of one column, whose cross-entropy is 0 whatever the
    weights, then ``loss_fn`` is ``torch.nn.functional.cross_entropy`` itself);
    ``val_step``/``test_step`` return ``{'pred': logits, 'gt': targets}``,
    which the ``Accuracy`` metric reads.

    Registered in ``MODELS``, so a config can name it: ``module`` may be a
    config dict (built from ``MODELS``, which also finds every ``torch.nn``
    layer by class name) and ``loss_fn`` the name of a ``torch.nn.functional``
    loss (``'mse_loss'``) or a config dict of a loss module
    (``dict(type='MSELoss')``)::

        model = dict(type='ModuleAdapter', module=dict(type='MyNet'), loss_fn='mse_loss')
    """

    def __init__(
        self,
        module: nn.Module | Mapping[str, Any],
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
        | str
        | Mapping[str, Any]
        | None = None,
        data_preprocessor: dict | nn.Module | None = None,
    ) -> None:
        super().__init__(data_preprocessor)
        self.module = _adapted_module(module)
        #: a loss chosen by the caller: the Runner then trains with it, not refusing a
        #: module written for Lightning (its training_step is the caller's to drop)
        self.loss_given = loss_fn is not None
        self.loss_fn = (
            _loss_function(loss_fn) if loss_fn is not None else self._checked_cross_entropy
        )
        _warn_skipped_eval_steps(self.module)

    def _checked_cross_entropy(self, out: Any, targets: Any) -> torch.Tensor:
        """The default loss on its first call: refuse an output cross-entropy cannot train,
        then hand ``loss_fn`` to ``F.cross_entropy`` itself, so later steps pay nothing."""
        if isinstance(out, torch.Tensor) and out.dim() >= 2 and out.shape[1] == 1:
            name = type(self._modules["module"]).__name__
            raise ModelContractError(
                f"{name} gives one output column (output shape {tuple(out.shape)}), and a plain "
                "nn.Module is trained with cross-entropy unless a loss_fn is given: over a "
                "single class that loss is 0 whatever the weights, so nothing would be "
                "learned. For regression (or any other loss), pass loss_fn: "
                "Runner(model=ModuleAdapter(module, loss_fn=torch.nn.functional.mse_loss)) "
                "with `from runner_core.model import ModuleAdapter` (in a config: "
                "model=dict(type='ModuleAdapter', module=dict(type=...), loss_fn='mse_loss')); "
                "or subclass "
                "runner_core.model.BaseModel with forward(..., mode='loss') returning a dict "
                "of losses. For classification, give the module one output per class."
            )
        self.loss_fn = nn.functional.cross_entropy
        return nn.functional.cross_entropy(out, targets)

    def _preprocess(self, data: Any, training: bool) -> Any:
        """As BaseModel's, but a plain ``BaseDataPreprocessor`` on the CPU returns ``data``
        itself: the batch is only split into inputs and targets, whose tensors the
        preprocessor would share anyway, so new containers would cost a step and protect
        nothing."""
        pre = self._modules.get("data_preprocessor")
        if type(pre) is BaseDataPreprocessor and pre._device == CPU and _unobserved(pre):
            return data
        return super()._preprocess(data, training)

    @staticmethod
    def _split(data: Any) -> tuple[Any, Any]:
        if type(data) is list or type(data) is tuple:  # the common batch, tested first
            return data[0], data[1] if len(data) > 1 else None
        if isinstance(data, Mapping):
            if "inputs" not in data:
                raise ModelContractError(
                    f"A plain nn.Module is given a dict batch's 'inputs', but the batch has "
                    f"keys {list(data)}. Put the inputs under 'inputs' and the targets under "
                    f"one of {', '.join(map(repr, TARGET_KEYS))}, give (inputs, targets) "
                    "tuples, or subclass runner_core.model.BaseModel, whose forward takes "
                    "the dict's keys as keyword arguments."
                )
            for key in TARGET_KEYS:
                if key in data:
                    return data["inputs"], data[key]
            return data["inputs"], None
        if isinstance(data, (list, tuple)):
            return data[0], data[1] if len(data) > 1 else None
        return data, None

    def forward(self, inputs: Any, targets: Any = None, mode: str = "tensor") -> Any:
        out = self.module(inputs)
        if mode == "loss":
            return {"loss": self.loss_fn(out, targets)}
        if mode == "predict":
            return {"pred": out, "gt": targets}
        return out

    def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, torch.Tensor]:
        context = optim_wrapper.optim_context(self)
        # the plain step: no context to enter and leave (a type test, which torch.compile
        # traces; an identity test with a module's instance breaks its graph)
        if type(context) is nullcontext:
            loss = self._loss(data)
        else:
            with context:
                loss = self._loss(data)
        optim_wrapper.update_params(loss)
        return {"loss": loss.detach()}

    def _loss(self, data: Any) -> torch.Tensor:
        data = self._preprocess(data, True)
        if (type(data) is list or type(data) is tuple) and len(data) == 2:
            inputs, targets = data  # the common batch, without a call per step
        else:
            inputs, targets = self._split(data)
            if targets is None and not self.loss_given:
                keys = f"keys {list(data)}" if isinstance(data, Mapping) else type(data).__name__
                raise ModelContractError(
                    f"The batch ({keys}) has no targets for the default cross-entropy loss of "
                    f"{type(self._modules['module']).__name__}: a dict batch gives them under "
                    f"one of {', '.join(map(repr, TARGET_KEYS))}, a tuple as its second item. "
                    "MMEngine's data_samples hold targets only a BaseModel subclass can read "
                    "(its forward(inputs, data_samples, mode)); a loss without targets is "
                    "given as ModuleAdapter(module, loss_fn=...)."
                )
        # the submodule straight from _modules: nn.Module.__getattr__ costs every step
        return self.loss_fn(self._modules["module"](inputs), targets)  # type: ignore[misc]

    def val_step(self, data: Any) -> Any:
        inputs, targets = self._split(self._preprocess(data, False))
        return {"pred": self._modules["module"](inputs), "gt": targets}  # type: ignore[misc]

    test_step = val_step


def _warn_skipped_eval_steps(module: nn.Module) -> None:
    """Say that a module's own ``validation_step``/``test_step`` (Lightning's) go uncalled:
    the adapter evaluates ``forward(inputs)`` instead, so what they log never appears."""
    own = [
        name for name in ("validation_step", "test_step") if _defined_by_user(type(module), name)
    ]
    if own:
        import warnings

        warnings.warn(
            f"{type(module).__name__} defines {' and '.join(own)} (a LightningModule's "
            "methods), which the Runner never calls: ModuleAdapter evaluates "
            "forward(inputs) and hands {'pred': ..., 'gt': ...} to val_evaluator/"
            "test_evaluator, so what those methods compute or log does not appear. Compute "
            "the metrics in the evaluator (e.g. val_evaluator=dict(type='Accuracy')), or "
            "subclass runner_core.model.BaseModel and implement val_step(data)/test_step(data).",
            UserWarning,
            stacklevel=3,
        )


def _defined_by_user(cls: type, name: str) -> bool:
    """Whether ``cls`` has ``name`` from a class of its own (not LightningModule's base)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass.__name__ != "LightningModule" and klass is not nn.Module
    return False


def _key_path(name: str) -> str:
    """``'<model key>.<name>'`` while a config builds the adapter (``'model.module'``)."""
    from ..registry.registry import current_build_path

    return f"{current_build_path() or 'model'}.{name}"


def _adapted_module(module: Any) -> nn.Module:
    """The module to adapt: ``module`` itself, or built from ``MODELS`` if a config dict."""
    if isinstance(module, Mapping):
        from ..registry import MODELS

        module = MODELS.build(dict(module), _key_path=_key_path("module"))
    if not isinstance(module, nn.Module):
        raise BuildError(
            f"ModuleAdapter adapts an nn.Module, but {_key_path('module')} is "
            f"{type(module).__name__}: {module!r:.80}. Give a torch.nn.Module or a config dict "
            "that builds one (module=dict(type='MyNet', ...), its class registered with "
            "@MODELS.register_module())."
        )
    return module


def _functional_losses() -> list[str]:
    """The names of ``torch.nn.functional``'s losses, which ``loss_fn='<name>'`` may give."""
    import inspect

    F = nn.functional
    return [
        n
        for n in dir(F)
        if not n.startswith("_")
        and ("loss" in n or "entropy" in n or n == "kl_div")
        and inspect.isfunction(getattr(F, n))
    ]


def _loss_function(loss_fn: Any) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """A callable loss from ``loss_fn``: itself, a ``torch.nn.functional`` loss by name, or a
    loss module built from ``MODELS`` (which finds ``torch.nn``'s losses by class name)."""
    where = _key_path("loss_fn")
    if isinstance(loss_fn, str):
        known = _functional_losses()
        if loss_fn in known:
            return cast(
                Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                getattr(nn.functional, loss_fn),
            )
        cls = getattr(nn, loss_fn, None)
        if isinstance(cls, type) and issubclass(cls, nn.Module):
            hint = f" {loss_fn!r} is a torch.nn class: write loss_fn=dict(type={loss_fn!r})."
        else:
            hint = did_you_mean(loss_fn, known)
        raise BuildKeyError(
            f"{where}={loss_fn!r} names no loss of torch.nn.functional.{hint} A string names one "
            f"of its loss functions ({', '.join(known[:6])}, ...); a config dict builds a "
            "loss module (loss_fn=dict(type='MSELoss'), any torch.nn loss or a class "
            "registered in MODELS); in Python, pass any callable(output, targets)."
        )
    if isinstance(loss_fn, Mapping):
        from ..registry import MODELS

        loss_fn = MODELS.build(dict(loss_fn), _key_path=where)
    if not callable(loss_fn):
        raise BuildError(
            f"{where} must be a loss: a callable(output, targets), the name of a "
            f"torch.nn.functional loss ('mse_loss') or a config dict of a loss module "
            f"(dict(type='MSELoss')); got {type(loss_fn).__name__}: {loss_fn!r:.80}."
        )
    return cast(Callable[[torch.Tensor, torch.Tensor], torch.Tensor], loss_fn)


def is_model(obj: Any) -> bool:
    """True if ``obj`` already satisfies the model contract."""
    return all(callable(getattr(obj, m, None)) for m in ("train_step", "val_step", "test_step"))
