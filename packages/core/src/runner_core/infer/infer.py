"""``BaseInferencer``: run a trained model on new inputs from a config and a checkpoint.

MMEngine's ``mmengine.infer.BaseInferencer`` under the same module path, so a
downstream subclass (mmdet's ``DetInferencer``, mmpretrain's, mmseg's) runs
once its imports change. A call goes through four steps a subclass shapes:
``preprocess`` (the pipeline and ``collate_fn``, in batches), ``forward``
(``model.test_step``), ``visualize`` and ``postprocess``; the keywords of a
call are sent to the step whose class attribute names them.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, cast

import numpy as np
import torch
import torch.nn as nn

from ..config import Config, ConfigDict
from ..registry.registry import building_untrusted
from ..structures import InstanceData
from ..visualization import Visualizer
from .errors import InferencerAttributeError
from .inputs import check_batch_size, chunked, inputs_to_list
from .kwargs import check_kwarg_sets, dispatch_kwargs
from .model_config import (
    check_model_key,
    config_from_checkpoint,
    config_from_model_arg,
    model_zoo_error,
)
from .weights import find_dataset_meta, load_into_model, read_checkpoint

# MMEngine's type names (mmdet and mmseg import ``ModelType`` from this module)
InstanceList = list[InstanceData]
InputType = str | np.ndarray | torch.Tensor
InputsType = InputType | Sequence[InputType]
ImgType = np.ndarray | Sequence[np.ndarray]
ResType = dict | list[dict]
ConfigType = Config | ConfigDict
ModelType = dict | ConfigType | str

_RANDOM_WEIGHTS = (
    "Checkpoint is not loaded, and the inference result is calculated by the randomly "
    "initialized model!"
)


def default_device() -> str:
    """``'cuda'`` when a GPU is visible, else ``'cpu'`` (the devices a Runner picks from)."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def _in_scope(scope: str | None) -> AbstractContextManager[Any]:
    """Names in the config resolve in ``scope`` first while the parts are built."""
    from ..registry import MODELS

    return MODELS.switch_scope_and_registry(scope)


class BaseInferencer(ABC):
    """Base class of inferencers: a model, a pipeline and a visualizer built from a config.

    Subclasses implement :meth:`_init_pipeline` (one input -> one sample for
    the model), :meth:`visualize` and :meth:`postprocess`; they list the
    keywords each step takes in the class attributes ``preprocess_kwargs``,
    ``forward_kwargs``, ``visualize_kwargs`` and ``postprocess_kwargs`` (sets;
    a keyword in two of them is an error when the class is created).

    Args:
        model: a config file path, a ``Config`` or a dict with a ``model`` key,
            or None to read the config from ``weights``. A model *name* needs a
            model zoo, which runner does not have (it never downloads): an error.
        weights: a local checkpoint to load (non-strictly, as MMEngine); its
            ``meta['dataset_meta']``, else the config's test dataset metainfo,
            becomes ``model.dataset_meta``. None leaves the weights random (a warning).
        device: where the model runs; None picks ``'cuda'`` if available, else ``'cpu'``.
        scope: the library whose registries the config's names come from; None
            takes the default scope (``init_default_scope``), if any.
        show_progress: show a progress bar over the batches of a call.
    """

    preprocess_kwargs: set[str] = set()
    forward_kwargs: set[str] = set()
    visualize_kwargs: set[str] = set()
    postprocess_kwargs: set[str] = set()
    #: a class default too, for subclasses that build their parts without ``super().__init__``
    show_progress: bool = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        check_kwarg_sets(cls)

    def __init__(
        self,
        model: ModelType | os.PathLike[str] | None = None,
        weights: str | os.PathLike[str] | None = None,
        device: str | torch.device | None = None,
        scope: str | None = None,
        show_progress: bool = True,
    ) -> None:
        if scope is None:
            from ..registry.scope import get_default_scope

            scope = get_default_scope()
        self.scope = scope
        cfg = config_from_model_arg(model, weights)
        weights = os.fspath(weights) if weights is not None else None
        if device is None:
            device = default_device()
        # without a config, the one saved in the checkpoint is built: it came with the file
        saved = len(cfg) == 0 and weights is not None
        with (
            _in_scope(scope),
            (
                building_untrusted(f"the config saved in checkpoint {weights!r}")
                if saved
                else contextlib.nullcontext()
            ),
        ):
            self.model = self._init_model(cfg, weights, device)
            self.pipeline = self._init_pipeline(cfg)
            self.collate_fn = self._init_collate(cfg)
            self.visualizer = self._init_visualizer(cfg)
        self.cfg = cfg
        self.show_progress = show_progress

    # -- a call ---------------------------------------------------------------------------
    def __call__(
        self,
        inputs: InputsType,
        return_datasamples: bool = False,
        batch_size: int = 1,
        **kwargs: Any,
    ) -> dict:
        """Run every input through the four steps; what ``postprocess`` returns.

        ``inputs``: one input, a list of them, or a folder (its files, sorted).
        ``kwargs`` go to the step whose ``*_kwargs`` set names them; an unknown
        one is an error naming it. Returns ``postprocess``'s dict, by convention
        with ``predictions`` and ``visualization``.
        """
        preprocess_kwargs, forward_kwargs, visualize_kwargs, postprocess_kwargs = (
            self._dispatch_kwargs(**kwargs)
        )
        check_batch_size(batch_size)
        ori_inputs = self._inputs_to_list(inputs)
        batches: Iterable[Any] = self.preprocess(
            ori_inputs, batch_size=batch_size, **preprocess_kwargs
        )
        if self.show_progress:
            from rich.progress import track

            batches = track(batches, description="Inference")
        preds: list[Any] = []
        for data in batches:
            preds.extend(_per_sample(self.forward(data, **forward_kwargs), type(self).__name__))
        visualization = self.visualize(ori_inputs, preds, **visualize_kwargs)
        return self.postprocess(preds, visualization, return_datasamples, **postprocess_kwargs)

    def _dispatch_kwargs(
        self, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The call's keywords for preprocess, forward, visualize and postprocess, in turn."""
        pre, fwd, vis, post = dispatch_kwargs(self, kwargs)
        return pre, fwd, vis, post

    def _inputs_to_list(self, inputs: InputsType) -> list:
        """A folder -> its files (sorted), a list or tuple -> a list, anything else -> ``[it]``."""
        return inputs_to_list(inputs)

    def preprocess(self, inputs: InputsType, batch_size: int = 1, **kwargs: Any) -> Iterator[Any]:
        """Batches for ``forward``: each input through the pipeline, ``batch_size`` at a time
        through ``collate_fn``. A generator, so inputs are read as the model needs them."""
        samples = map(self.pipeline, inputs)
        yield from map(self.collate_fn, self._get_chunk_data(samples, batch_size))

    @torch.no_grad()
    def forward(self, inputs: dict | tuple, **kwargs: Any) -> Any:
        """The model's predictions for one batch: ``model.test_step(batch)``, without grads."""
        test_step = getattr(self.model, "test_step", None)
        if test_step is None:
            raise InferencerAttributeError(
                f"{type(self.model).__name__} has no test_step(), which "
                f"{type(self).__name__}.forward calls. Build a BaseModel (from "
                "runner_core.model) in the config, or override forward() in the inferencer."
            )
        return test_step(inputs)

    @abstractmethod
    def visualize(
        self, inputs: list, preds: Any, show: bool = False, **kwargs: Any
    ) -> list[np.ndarray] | Any:
        """Draw ``preds`` over ``inputs`` (the list ``_inputs_to_list`` made); anything
        ``postprocess`` then returns as the visualization (None when nothing is drawn)."""

    @abstractmethod
    def postprocess(
        self, preds: Any, visualization: Any, return_datasample: bool = False, **kwargs: Any
    ) -> dict:
        """Pack the results: by convention ``{'predictions': ..., 'visualization': ...}``,
        predictions as plain data unless ``return_datasample`` asks for the model's objects."""

    # -- building the parts ---------------------------------------------------------------
    @abstractmethod
    def _init_pipeline(self, cfg: ConfigType) -> Callable:
        """The callable that turns one input into one sample for ``collate_fn``."""

    def _init_model(
        self, cfg: ConfigType, weights: str | None, device: str | torch.device = "cpu"
    ) -> nn.Module:
        """Build ``cfg.model``, load ``weights`` into it and put it in eval mode on ``device``.

        An empty ``cfg`` is filled in place from the config saved in the
        checkpoint. A ``pretrained`` key of the model is dropped, so nothing is
        loaded but ``weights``.
        """
        from ..model import revert_sync_batchnorm
        from ..registry import MODELS

        checkpoint = read_checkpoint(weights, cfg) if weights is not None else None
        if len(cfg) == 0 and checkpoint is not None:
            saved = config_from_checkpoint(checkpoint, weights)
            for key in saved:
                cfg[key] = saved[key]
        check_model_key(cfg)
        if cfg.model.get("pretrained") is not None:
            cfg.model.pop("pretrained")
        model = MODELS.build(cfg.model, _key_path="model")
        model.cfg = cfg
        self._weights_source = weights
        self._load_weights_to_model(model, checkpoint, cfg)
        # an inferencer runs in one process: a SyncBatchNorm would wait for peers
        model = revert_sync_batchnorm(model)
        model.to(device)
        model.eval()
        return model

    def _load_weights_to_model(
        self, model: nn.Module, checkpoint: dict | None, cfg: ConfigType | None
    ) -> None:
        """Load the checkpoint's weights and set ``model.dataset_meta``.

        The class names come from ``checkpoint['meta']['dataset_meta']``, else
        the config's ``test_dataloader.dataset`` (its class's ``METAINFO`` and
        ``metainfo``). Subclasses override this to read more from either.
        """
        if checkpoint is not None:
            load_into_model(model, checkpoint, getattr(self, "_weights_source", None))
        else:
            warnings.warn(_RANDOM_WEIGHTS, UserWarning, stacklevel=2)
        dataset_meta = find_dataset_meta(checkpoint, cfg)
        if dataset_meta is not None:
            cast(Any, model).dataset_meta = dataset_meta
        elif checkpoint is not None and getattr(model, "dataset_meta", None) is None:
            warnings.warn(
                "model.dataset_meta (class names, palette) is not set: the checkpoint's "
                "meta has no 'dataset_meta' and the config's test_dataloader.dataset gives "
                "no metainfo. Add metainfo=dict(classes=...) to that dataset in the config "
                "if your inferencer labels its predictions.",
                UserWarning,
                stacklevel=2,
            )

    def _init_collate(self, cfg: ConfigType) -> Callable:
        """The config's ``test_dataloader.collate_fn`` (a FUNCTIONS name, a
        ``dict(type=...)`` or a callable); ``default_collate`` when it names none,
        as the Runner's test loader would use (MMEngine's default is ``pseudo_collate``,
        its loaders' default: a config that trains and tests here infers the same way)."""
        from ..data.collate import default_collate
        from ..data.dataloader import _resolve_function
        from ..registry import FUNCTIONS

        loader = cfg.get("test_dataloader")
        spec = loader.get("collate_fn") if isinstance(loader, Mapping) else None
        if spec is None:
            return default_collate
        with FUNCTIONS.switch_scope_and_registry(self.scope):
            return _resolve_function(spec, "test_dataloader.collate_fn")

    def _init_visualizer(self, cfg: ConfigType) -> Visualizer | None:
        """The config's ``visualizer``, or None without one.

        Built anew under a name no other visualizer has (MMEngine's rule), with
        the model's ``dataset_meta`` when the visualizer has none.
        """
        from ..registry import VISUALIZERS

        if "visualizer" not in cfg:
            return None
        timestamp = str(datetime.timestamp(datetime.now()))
        name = cfg.visualizer.get("name", timestamp)
        if Visualizer.check_instance_created(name):
            name = f"{name}-{timestamp}"
        cfg.visualizer["name"] = name
        # a Runner config may leave the type out (the Runner builds a Visualizer then)
        cfg.visualizer.setdefault("type", "Visualizer")
        visualizer = VISUALIZERS.build(cfg.visualizer, _key_path="visualizer")
        model_meta = getattr(getattr(self, "model", None), "dataset_meta", None)
        if model_meta is not None and getattr(visualizer, "dataset_meta", False) is None:
            visualizer.dataset_meta = model_meta
        return visualizer

    def _get_chunk_data(self, inputs: Iterable, chunk_size: int) -> Iterator[list]:
        """Lists of ``chunk_size`` items of ``inputs`` in turn (the last one may be shorter)."""
        return chunked(inputs, chunk_size)

    # -- the model zoo, which runner does not have -----------------------------------------
    def _load_model_from_metafile(self, model: str) -> tuple[Config, str]:
        """MMEngine finds a model name in the library's metafile: not available here."""
        raise model_zoo_error(f"model={model!r} is not a config file")

    @staticmethod
    def list_models(scope: str | None = None, patterns: str = r".*") -> list[str]:
        """MMEngine lists the model names of a library's metafile; runner has no model zoo.

        Raises rather than returning ``[]``: an empty list would read as "this
        library has no models", and a script would go on with nothing to run.
        """
        raise model_zoo_error(f"list_models(scope={scope!r}, patterns={patterns!r})")


def _per_sample(preds: Any, inferencer: str) -> Any:
    """One entry per sample. A list (MMEngine's models return one ``DataSample`` per
    sample) is kept as is; a dict of batched values (what a ``BaseModel`` written as in
    docs/howto/write-a-plugin-package.md returns: ``{'pred': logits, 'gt': labels}``)
    is split along its first dimension, since ``list.extend`` would add its keys."""
    if not isinstance(preds, Mapping):
        return preds

    def batched(value: Any) -> bool:
        if isinstance(value, torch.Tensor):
            return value.dim() > 0
        return isinstance(value, (list, tuple))

    sizes = {key: len(value) for key, value in preds.items() if batched(value)}
    if len(set(sizes.values())) != 1:
        raise TypeError(
            f"{inferencer}: the model's test_step returned a dict whose values are not "
            f"batches of one size ({sizes or 'no batched value'}); return one prediction "
            "per sample (a list), or override forward() in the inferencer."
        )
    size = next(iter(sizes.values()))
    return [
        {key: (value[i] if key in sizes else value) for key, value in preds.items()}
        for i in range(size)
    ]
