"""``PrepareTTAHook``: wrap the model in a test-time augmentation model before testing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner_core.contract import RunnerAPI
from runner_core.errors import ConfigError
from runner_core.hooks import Hook, Priority


class PrepareTTAHook(Hook):
    """Before ``runner.test()``, wrap the model in ``tta_cfg``'s TTA model (MMEngine's hook).

    ``tta_cfg`` is a ``MODELS`` config such as ``dict(type='MyTTAModel')``;
    the model (inside its DDP wrapper, if any) becomes its ``module``. The
    config route, ``tta_model`` with ``runner-cli test --tta``, does the same
    when the Runner is built; this hook is for code that builds the Runner
    itself: ``custom_hooks=[dict(type='PrepareTTAHook', tta_cfg=...)]``.

    A model that is already a TTA model (a second ``runner.test()``, or a
    config applied with ``--tta``) is left as it is: wrapped twice, each
    batch would be split into views twice (MMEngine's hook wraps it again).
    """

    priority: int | str = Priority.NORMAL

    def __init__(self, tta_cfg: Mapping[str, Any]) -> None:
        if not isinstance(tta_cfg, Mapping) or "type" not in tta_cfg:
            raise ConfigError(
                f"PrepareTTAHook(tta_cfg=...) needs a model config with a type, e.g. "
                f"tta_cfg=dict(type='MyTTAModel'); got {tta_cfg!r}."
            )
        self.tta_cfg = dict(tta_cfg)

    def before_test(self, runner: RunnerAPI) -> None:
        from runner_core.model import BaseTTAModel, is_model_wrapper
        from runner_core.registry import MODELS

        model = runner.model
        if isinstance(runner.unwrapped_model, BaseTTAModel):
            return
        if is_model_wrapper(model):
            model.module = MODELS.build({**self.tta_cfg, "module": model.module})
        else:
            runner.model = MODELS.build({**self.tta_cfg, "module": model})

    def __repr__(self) -> str:
        return f"PrepareTTAHook(tta_cfg={self.tta_cfg!r})"


def build_runner_with_tta(cfg: Any) -> Any:
    """MMEngine's ``build_runner_with_tta``: a Runner that tests with ``cfg``'s TTA model.

    The test dataset takes ``cfg.tta_pipeline``, and a :class:`PrepareTTAHook`
    wraps the model in ``cfg.tta_model`` before testing. ``runner_type`` is
    honoured. ``runner-cli test --tta`` (``runner_core.model.tta.apply_tta``)
    does the same from the command line.
    """
    from runner_core.errors import ConfigAssertionError
    from runner_core.registry import RUNNERS, build_runner_from_cfg

    for key in ("tta_model", "tta_pipeline"):
        if key not in cfg:  # MMEngine asserts
            raise ConfigAssertionError(
                f"build_runner_with_tta: the config has no {key}; define it, e.g. "
                "tta_model=dict(type='MyTTAModel') and tta_pipeline=[...]."
            )
    loader = cfg.get("test_dataloader")
    dataset = loader.get("dataset") if isinstance(loader, Mapping) else None
    if not isinstance(dataset, Mapping):
        raise ConfigError(
            "build_runner_with_tta: test_dataloader.dataset must be a dataset config whose "
            "pipeline the tta_pipeline replaces."
        )
    cfg["test_dataloader"]["dataset"]["pipeline"] = cfg["tta_pipeline"]
    runner = build_runner_from_cfg(cfg, RUNNERS)
    runner.register_hook(PrepareTTAHook(tta_cfg=cfg["tta_model"]))
    return runner
