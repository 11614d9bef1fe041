"""``runner_core.hub``: configs and models shipped by installed packages, never downloaded."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from runner_core.checkpoint import save_checkpoint
from runner_core.checkpoint.errors import CheckpointNotFoundError
from runner_core.errors import ConfigError, ConfigFileNotFoundError
from runner_core.hub import get_config, get_model
from runner_core.registry import MODELS

_UTILS = """
CALLS = []

def register_all_modules(init_default_scope=True):
    CALLS.append(init_default_scope)
    import torch
    from runner_core.model import BaseModel
    from runner_core.registry import MODELS

    @MODELS.register_module(name="HubNet", force=True)
    class HubNet(BaseModel):
        def __init__(self, width=3, depth=1, data_preprocessor=None):
            super().__init__(data_preprocessor=data_preprocessor)
            self.depth = depth
            self.fc = torch.nn.Linear(2, width)

        def forward(self, inputs, data_samples=None, mode="tensor"):
            return self.fc(inputs)
"""


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An OpenMMLab-style package ``hubpkg``: configs under .mim, a model index, a utils module."""
    root = tmp_path / "hubpkg"
    configs = root / ".mim" / "configs" / "family"
    configs.mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "utils.py").write_text(_UTILS)
    (configs / "net.py").write_text(
        "model = dict(type='HubNet', width=4)\ndata_preprocessor = dict(type='BaseDataPreprocessor')\n"
    )
    (configs / "base_only.py").write_text("model = dict(type='HubNet', width=6)\n")
    (root / ".mim" / "model-index.yml").write_text("Import:\n  - configs/family/metafile.yml\n")
    weights = tmp_path / "net.pth"
    (configs / "metafile.yml").write_text(
        f"Models:\n  - Name: net\n    Config: configs/family/net.py\n    Weights: {weights}\n"
        "  - Name: broken\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in [m for m in sys.modules if m == "hubpkg" or m.startswith("hubpkg.")]:
        del sys.modules[name]
    MODELS.module_dict.pop("HubNet", None)


def test_get_config_loads_the_packages_config_and_its_weights_location(package: Path) -> None:
    cfg = get_config("hubpkg::family/net.py")
    assert cfg.model == {"type": "HubNet", "width": 4}
    assert "model_path" not in cfg
    assert get_config("hubpkg::family/net.py", pretrained=True).model_path == str(
        package.parent / "net.pth"
    )
    with pytest.raises(ConfigError, match="lists no weights for this config"):
        get_config("hubpkg::family/base_only.py", pretrained=True)


def test_get_model_builds_in_the_packages_scope_with_default_args(package: Path) -> None:
    model = get_model("hubpkg::family/net.py", depth=2, width=9)
    assert type(model).__name__ == "HubNet"
    assert model.fc.out_features == 4  # the config's value wins over a default argument
    assert model.depth == 2
    assert type(model.data_preprocessor).__name__ == "BaseDataPreprocessor"
    assert sys.modules["hubpkg.utils"].CALLS == [True]


def test_get_model_pretrained_loads_the_local_weights_and_marks_the_model_initialised(
    package: Path,
) -> None:
    reference = get_model("hubpkg::family/net.py")
    with torch.no_grad():
        reference.fc.weight.fill_(0.25)
    save_checkpoint({"state_dict": reference.state_dict()}, str(package.parent / "net.pth"))
    model = get_model("hubpkg::family/net.py", pretrained=True)
    assert torch.equal(model.fc.weight, torch.full((4, 2), 0.25))
    assert model.is_init is True


def test_released_weights_at_a_url_are_never_downloaded(package: Path) -> None:
    metafile = package / ".mim" / "configs" / "family" / "metafile.yml"
    metafile.write_text(
        "Models:\n  - Name: net\n    Config: configs/family/net.py\n"
        "    Weights: https://download.example.com/net.pth\n"
    )
    with pytest.raises(CheckpointNotFoundError, match="never downloads"):
        get_model("hubpkg::family/net.py", pretrained=True)


@pytest.mark.parametrize(
    ("reference", "error", "words"),
    [
        ("hubpkg::family/missing.py", ConfigFileNotFoundError, "has no config 'family/missing.py'"),
        ("nosuchpkg_xyz::a/b.py", ConfigError, "'nosuchpkg_xyz' is not installed"),
        ("family/net.py", ConfigError, "not a package config reference"),
        ("hubpkg::a::b.py", ConfigError, "one '::'"),
    ],
)
def test_bad_references_say_what_is_wrong(
    package: Path, reference: str, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        get_config(reference)


def test_a_missing_config_names_every_place_searched(package: Path) -> None:
    with pytest.raises(ConfigFileNotFoundError) as info:
        get_config("hubpkg::family/missing.py")
    relative = Path("family") / "missing.py"
    for folder in (package / ".mim" / "configs", package / "configs", package.parent / "configs"):
        assert str(folder / relative) in str(info.value)
