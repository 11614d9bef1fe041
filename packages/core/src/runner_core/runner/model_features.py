"""The config keys that change how the model runs: ``activation_checkpointing`` and
``efficient_conv_bn_eval`` (MMEngine's top-level keys).

``train()`` applies them to the unwrapped model once its weights are initialised,
before anything is loaded, as MMEngine's does; each logs MMEngine's line.
"""

from __future__ import annotations

from typing import Any


def turn_on_model_features(runner: Any) -> None:
    """Apply the config's ``activation_checkpointing`` and ``efficient_conv_bn_eval``."""
    cfg = runner.cfg
    modules = cfg.get("activation_checkpointing")
    if modules is not None:
        from ..model.activation_checkpointing import turn_on_activation_checkpointing

        runner.logger.info(
            'Enabling the "activation_checkpointing" feature for sub-modules: %s', modules
        )
        turn_on_activation_checkpointing(runner.unwrapped_model, modules)
    modules = cfg.get("efficient_conv_bn_eval")
    if modules is not None:
        from ..model.efficient_conv_bn_eval import turn_on_efficient_conv_bn_eval

        runner.logger.info(
            'Enabling the "efficient_conv_bn_eval" feature for sub-modules: %s', modules
        )
        fused = turn_on_efficient_conv_bn_eval(runner.unwrapped_model, modules)
        for name in (name for name, count in fused.items() if not count):
            runner.logger.warning(
                "efficient_conv_bn_eval: %r has no conv -> BatchNorm pair to fuse; it runs "
                "as before.",
                name,
            )
