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

from ..errors import BuildError, ConfigError
from .base_model import BaseModel


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
            raise BuildError(
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
            views = len(next(iter(data.values())))
            per_view: list[Any] = [{k: v[i] for k, v in data.items()} for i in range(views)]
        elif isinstance(data, (list, tuple)):
            views = len(data[0])
            per_view = [[field[i] for field in data] for i in range(views)]
        else:
            raise TypeError(
                "BaseTTAModel.test_step expects a dict or a list of per-view fields, got "
                f"{type(data).__name__}."
            )
        predictions = [self.module.test_step(view) for view in per_view]
        return self.merge_preds([list(sample) for sample in zip(*predictions)])

    def val_step(self, data: Any) -> list[Any]:
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
        return self.module.load_state_dict(state_dict, strict=strict, **kwargs)


def apply_tta(cfg: Any) -> Any:
    """Turn a config into its TTA form, as MMEngine's ``tools/test.py --tta`` does.

    ``model`` becomes ``tta_model`` with ``module=<the model>``, and the test
    dataset's ``pipeline`` becomes ``tta_pipeline`` (when given). Returns ``cfg``.
    """
    if "tta_model" not in cfg:
        raise ConfigError(
            "Test-time augmentation needs a tta_model in the config, e.g. "
            "tta_model=dict(type='MyTTAModel'); add it or drop --tta."
        )
    tta_model = dict(copy.deepcopy(cfg["tta_model"]))
    tta_model["module"] = cfg["model"]
    cfg["model"] = tta_model
    pipeline = cfg.get("tta_pipeline")
    if pipeline is not None:
        loader = cfg.get("test_dataloader")
        dataset = loader.get("dataset") if isinstance(loader, Mapping) else None
        if not isinstance(dataset, Mapping):
            raise ConfigError(
                "tta_pipeline replaces test_dataloader.dataset.pipeline, but the config has no "
                "test_dataloader.dataset dict."
            )
        # a config's dataset dict is mutable; Mapping is what the check above can name
        cast(MutableMapping[str, Any], dataset)["pipeline"] = copy.deepcopy(pipeline)
    return cfg
