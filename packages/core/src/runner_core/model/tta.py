"""Test-time augmentation: ``BaseTTAModel`` and the ``tta_model`` / ``tta_pipeline`` keys.

A TTA pipeline turns each test sample into several augmented views; the data
loader's collate gives ``test_step`` a batch whose every field is a list of
views. ``BaseTTAModel.test_step`` runs the wrapped model once per view and
hands the predictions, grouped per sample, to ``merge_preds``.

The wrapped model's weights are the TTA model's weights: ``state_dict`` and
``load_state_dict`` go straight to ``module``, so a checkpoint of the plain
model loads into the TTA model unchanged (``load_from``, ``runner-cli test
--tta``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping
from typing import Any, cast

from ..errors import BuildAssertionError, ConfigAssertionError, ConfigError, ConfigTypeError
from .base_model import BaseModel


class TTABatchError(ConfigTypeError, IndexError):
    """A batch given to ``BaseTTAModel.test_step`` is not one of augmented views.

    MMEngine fails on it with a TypeError (not a dict or a list) or an
    IndexError (fields with fewer views), or predicts on the wrong data.
    """


class BaseTTAModel(BaseModel):
    """Wrap a model; run it on every augmented view; merge the predictions.

    Args:
        module: the model (or its config, built from ``MODELS``).
        data_preprocessor: with a ``module`` config, the wrapped model's
            preprocessor (as MMEngine puts it there); each view goes through
            the wrapped model's own preprocessor.

    Subclasses implement ``merge_preds(data_samples_list)``: one list of
    predictions (one per view) per sample in, one prediction per sample out.
    A ``BaseModel``, as MMEngine's: ``init_weights`` initialises the wrapped model.
    """

    def __init__(self, module: Any, data_preprocessor: Any = None) -> None:
        super().__init__()
        if isinstance(module, Mapping):
            from ..registry import MODELS

            if data_preprocessor is not None:
                module = {**module, "data_preprocessor": data_preprocessor}
            module = MODELS.build(module, _key_path="tta_model.module")
        if not callable(getattr(module, "test_step", None)):
            # an AssertionError (MMEngine asserts) that is also the TypeError MMEngine
            # raises for a module that is neither a dict nor an nn.Module
            raise BuildAssertionError(
                f"BaseTTAModel wraps a model with test_step(); got {type(module).__name__}. "
                "Derive it from runner_core.BaseModel."
            )
        self.module = module

    def merge_preds(self, data_samples_list: list[list[Any]]) -> list[Any]:
        """Merge the views' predictions of each sample (override in a subclass)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement merge_preds(data_samples_list)."
        )

    def test_step(self, data: Any) -> list[Any]:
        """Split the batch into views, predict each, merge per sample."""
        if isinstance(data, Mapping):
            views = _count_views(data.items())
            per_view: list[Any] = [{k: v[i] for k, v in data.items()} for i in range(views)]
        elif isinstance(data, (list, tuple)):
            views = _count_views((f"[{i}]", field) for i, field in enumerate(data))
            per_view = [[field[i] for field in data] for i in range(views)]
        else:
            raise TTABatchError(
                "BaseTTAModel.test_step expects a dict or a list of per-view fields, got "
                f"{type(data).__name__}."
            )
        predictions = [_samples(self.module.test_step(view)) for view in per_view]
        counts = {len(prediction) for prediction in predictions}
        if len(counts) > 1:  # zip would drop the samples of the longer views silently
            raise TTABatchError(
                f"{type(self.module).__name__}.test_step gave {sorted(counts)} predictions "
                "for the views of one batch; each view must give one per sample."
            )
        return self.merge_preds([list(sample) for sample in zip(*predictions)])

    def val_step(self, data: Any) -> list[Any]:
        """As ``test_step``: the val loop of a TTA config gets views too (``apply_tta``)."""
        return self.test_step(data)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__}.forward is not called in testing: call test_step(data), "
            "or implement forward in the subclass."
        )

    def train_step(self, data: Any, optim_wrapper: Any) -> Any:
        from ..errors import RunnerError

        raise RunnerError(
            f"{type(self).__name__} is a test-time augmentation wrapper: train the wrapped "
            "model (the config's model, without --tta / apply_tta) instead."
        )

    # the weights are the wrapped model's
    def state_dict(self, *args: Any, **kwargs: Any) -> Any:
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(
        self,
        state_dict: Mapping[str, Any],
        strict: bool = True,
        assign: bool = False,
        **kwargs: Any,
    ) -> Any:
        if assign:  # forwarded only when set, as before it was part of the signature
            kwargs["assign"] = assign
        if (
            state_dict
            and all(str(k).startswith("module.") for k in state_dict)
            and not state_dict.keys() & self.module.state_dict().keys()
        ):  # MMEngine's BaseTTAModel.state_dict() keys ('module.<name>'): drop the prefix
            state_dict = {k[len("module.") :]: v for k, v in state_dict.items()}
        return self.module.load_state_dict(state_dict, strict=strict, **kwargs)


def _samples(prediction: Any) -> list[Any]:
    """One entry per sample: a plain module's ``{'pred': (B, C), 'gt': (B,)}`` is split
    (zipping the dict would give its keys, and merge_preds would get key names)."""
    if isinstance(prediction, Mapping):
        from .per_sample import batch_size, per_sample

        if batch_size(prediction) is None:  # per_sample would keep it whole: one "sample"
            raise TTABatchError(
                "BaseTTAModel: the model's test_step returned a dict without one batch size "
                f"({', '.join(map(str, prediction))}); return one prediction per sample (a "
                "list), or a dict of batched values of one length."
            )
        return per_sample(prediction)
    return list(prediction)


def _count_views(fields: Any) -> int:
    """The number of views in a batch's fields: each must be a list of them, all as long.

    A batch from a plain (non-TTA) pipeline has tensors, or one data element
    per sample, where views belong; MMEngine would index them as views and
    predict on the wrong data, so it is refused here with the likely cause.
    """
    hint = (
        " A TTA model needs a test pipeline that gives every sample a list of augmented views "
        "in every field (tta_pipeline with --tta / apply_tta); this batch looks like one from "
        "the plain pipeline."
    )
    views: int | None = None
    first = ""
    for name, value in fields:
        if not isinstance(value, (list, tuple)):
            raise TTABatchError(
                f"BaseTTAModel.test_step: batch field {name!r} is a {type(value).__name__}, "
                "not a list with one entry per augmented view." + hint
            )
        if name == "data_samples" and any(_is_data_element(v) for v in value):
            raise TTABatchError(
                "BaseTTAModel.test_step: batch field 'data_samples' holds one data element per "
                "sample, not one list of them per augmented view." + hint
            )
        if views is None:
            views, first = len(value), name
        elif len(value) != views:
            raise TTABatchError(
                f"BaseTTAModel.test_step: batch field {name!r} has {len(value)} views and "
                f"{first!r} has {views}; every field needs one entry per augmented view." + hint
            )
    if not views:
        raise TTABatchError("BaseTTAModel.test_step got a batch without views." + hint)
    return views


def _is_data_element(value: Any) -> bool:
    from ..structures import BaseDataElement

    return isinstance(value, BaseDataElement)


def apply_tta(cfg: Any) -> Any:
    """Turn a config into its TTA form, as MMEngine's ``tools/test.py --tta`` does.

    ``model`` becomes ``tta_model`` with ``module=<the model>``, and the test
    dataset's ``pipeline`` becomes ``tta_pipeline`` (when given), and so does the
    validation dataset's, when the config has one: the TTA model gets views in
    ``val()`` too (``runner-cli val --tta``). Returns ``cfg``.
    """
    if "tta_model" not in cfg:
        raise ConfigAssertionError(
            "Test-time augmentation needs a tta_model in the config, e.g. "
            "tta_model=dict(type='MyTTAModel'); add it or drop --tta."
        )
    tta_model = dict(copy.deepcopy(cfg["tta_model"]))
    tta_model["module"] = cfg["model"]
    cfg["model"] = tta_model
    pipeline = cfg.get("tta_pipeline")
    if pipeline is not None:
        datasets = {split: _dataset_of(cfg, split) for split in ("test", "val")}
        if datasets["test"] is None and datasets["val"] is None:
            raise ConfigError(
                "tta_pipeline replaces test_dataloader.dataset.pipeline, but the config has no "
                "test_dataloader.dataset dict."
            )
        for dataset in datasets.values():
            if dataset is not None:
                dataset["pipeline"] = copy.deepcopy(pipeline)
    return cfg


def _dataset_of(cfg: Any, split: str) -> MutableMapping[str, Any] | None:
    """``<split>_dataloader.dataset`` when it is a dict (a config's dicts are mutable)."""
    loader = cfg.get(f"{split}_dataloader")
    dataset = loader.get("dataset") if isinstance(loader, Mapping) else None
    return cast(MutableMapping[str, Any], dataset) if isinstance(dataset, Mapping) else None
