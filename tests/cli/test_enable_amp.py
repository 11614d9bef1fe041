"""``runner-cli train --amp``: every optim wrapper of the config becomes an AmpOptimWrapper."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from runner_cli.commands.train import enable_amp
from runner_core.config import Config
from runner_core.errors import ConfigError
from runner_core.optim import AmpOptimWrapper, OptimWrapperDict, build_optim_wrapper

_SGD = dict(type="SGD", lr=0.1)


class _GAN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.generator = nn.Linear(2, 2)
        self.discriminator = nn.Linear(2, 1)


def _amp_parts(optim_wrapper: dict[str, Any]) -> dict[str, AmpOptimWrapper]:
    cfg = Config(dict(optim_wrapper=optim_wrapper))
    enable_amp(cfg)
    built = build_optim_wrapper(_GAN(), cfg.optim_wrapper)
    assert isinstance(built, OptimWrapperDict)
    return dict(built.items())


@pytest.mark.parametrize(
    "optim_wrapper",
    [
        # the three spellings of one wrapper per model part that the guide supports
        dict(generator=dict(optimizer=_SGD), discriminator=dict(optimizer=_SGD)),
        dict(
            type="OptimWrapperDict",
            generator=dict(optimizer=_SGD),
            discriminator=dict(optimizer=_SGD),
        ),
        dict(
            constructor="MultiOptimWrapperConstructor",  # mmagic's, without mmagic installed
            generator=dict(optimizer=_SGD),
            discriminator=dict(optimizer=_SGD),
        ),
    ],
    ids=["bare parts", "OptimWrapperDict", "mmagic constructor"],
)
def test_every_part_of_a_multi_optimizer_config_gets_amp(optim_wrapper: dict[str, Any]) -> None:
    parts = _amp_parts(optim_wrapper)
    assert set(parts) == {"generator", "discriminator"}
    expected = torch.float16 if torch.cuda.is_available() else torch.bfloat16
    for wrapper in parts.values():
        assert isinstance(wrapper, AmpOptimWrapper) and wrapper.cast_dtype == expected


def test_a_single_wrapper_and_the_old_optimizer_key_get_amp() -> None:
    for cfg in (Config(dict(optim_wrapper=dict(optimizer=_SGD))), Config(dict(optimizer=_SGD))):
        enable_amp(cfg)
        built = build_optim_wrapper(nn.Linear(2, 2), cfg.optim_wrapper)
        assert isinstance(built, AmpOptimWrapper)


def test_a_config_without_optimizer_is_left_alone() -> None:
    cfg = Config(dict(model=dict(type="M")))
    enable_amp(cfg)
    assert "optim_wrapper" not in cfg


def test_amp_already_in_the_config_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    cfg = Config(dict(optim_wrapper=dict(type="AmpOptimWrapper", optimizer=_SGD, dtype="bfloat16")))
    enable_amp(cfg)
    assert "AMP training is already enabled" in capsys.readouterr().err
    assert cfg.optim_wrapper.type == "AmpOptimWrapper" and cfg.optim_wrapper.dtype == "bfloat16"


def test_a_custom_constructor_of_parts_is_refused_naming_amp_and_constructor() -> None:
    """--amp put type='AmpOptimWrapper' beside the parts, which the constructor then took
    for two more parts: "optim_wrapper must be a dict ..., got str: 'AmpOptimWrapper'"."""
    cfg = Config(dict(optim_wrapper=dict(constructor="GanCons", generator=dict(optimizer=_SGD))))
    with pytest.raises(ConfigError, match=r"--amp .*constructor='GanCons'.*'generator'"):
        enable_amp(cfg)
    assert "type" not in cfg.optim_wrapper  # the config is left as written
    single = Config(dict(optim_wrapper=dict(constructor="LayerDecay", optimizer=_SGD)))
    enable_amp(single)  # one wrapper (mmseg's layer-decay constructors): its type is read
    assert single.optim_wrapper.type == "AmpOptimWrapper"
