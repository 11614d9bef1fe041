"""A small inferencer the tests share: a linear classifier over vectors in ``.npy`` files.

The model, its one transform and the inferencer are the kind of subclass a
downstream library writes; the fixture writes a config file and a checkpoint
(saved by our ``save_checkpoint``) into ``tmp_path``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from runner_core.checkpoint import save_checkpoint
from runner_core.dataset import Compose
from runner_core.infer import BaseInferencer
from runner_core.model import BaseModel
from runner_core.registry import MODELS, TRANSFORMS

CLASSES = ("cat", "dog", "bird")


@MODELS.register_module(force=True)
class InferLinear(BaseModel):
    """Scores ``num_classes`` classes of a ``in_features`` vector; ``predict`` gives dicts."""

    def __init__(self, in_features: int = 4, num_classes: int = 3) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(in_features, num_classes)

    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        logits = self.fc(torch.stack(list(inputs)))
        if mode == "predict":
            return [{"scores": row, "label": int(row.argmax())} for row in logits]
        return logits


@TRANSFORMS.register_module(force=True)
class InferLoadVector:
    """A path to a ``.npy`` file, or an array, -> ``{'inputs': float tensor}``."""

    def __call__(self, item: Any) -> dict[str, Any]:
        array = np.load(item) if isinstance(item, (str, Path)) else np.asarray(item)
        return {"inputs": torch.from_numpy(np.asarray(array, dtype=np.float32))}


class VectorInferencer(BaseInferencer):
    """Labels each vector; records the size of every batch ``forward`` gets."""

    preprocess_kwargs = {"scale"}
    forward_kwargs = {"note"}
    visualize_kwargs = {"show"}
    postprocess_kwargs = {"topk"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.batch_sizes: list[int] = []
        self.seen: dict[str, Any] = {}
        super().__init__(*args, **kwargs)

    def _init_pipeline(self, cfg: Any) -> Callable:
        return Compose(cfg.test_dataloader.dataset.pipeline)

    def preprocess(self, inputs: Any, batch_size: int = 1, **kwargs: Any) -> Any:
        self.seen["preprocess"] = kwargs
        return super().preprocess(inputs, batch_size=batch_size)

    def forward(self, inputs: Any, **kwargs: Any) -> Any:
        self.seen["forward"] = kwargs
        self.batch_sizes.append(len(inputs["inputs"]))
        return super().forward(inputs)

    def visualize(self, inputs: list, preds: Any, show: bool = False, **kwargs: Any) -> Any:
        self.seen["visualize"] = {"show": show, **kwargs}
        return None

    def postprocess(
        self, preds: Any, visualization: Any, return_datasample: bool = False, **kwargs: Any
    ) -> dict:
        self.seen["postprocess"] = {"return_datasample": return_datasample, **kwargs}
        if return_datasample:
            return {"predictions": preds, "visualization": visualization}
        names = getattr(self.model, "dataset_meta", None) or {}
        classes = names.get("classes")
        out = [
            {
                "label": p["label"],
                "class": classes[p["label"]] if classes else None,
                "scores": p["scores"].tolist(),
            }
            for p in preds
        ]
        return {"predictions": out, "visualization": visualization}


CONFIG = """
model = dict(type='InferLinear', in_features=4, num_classes=3)
test_dataloader = dict(dataset=dict(pipeline=[dict(type='InferLoadVector')]{extra_dataset}){extra_loader})
{extra}
"""


@dataclass
class Setup:
    """What the fixture wrote: the config file, the checkpoint, the inputs, the reference model."""

    folder: Path
    config: Path
    weights: Path
    inputs: list[str]
    reference: InferLinear
    write_config: Callable[..., Path] = field(repr=False)
    classes: tuple[str, ...] = CLASSES

    def expected_labels(self, paths: list[str] | None = None) -> list[int]:
        """argmax of the reference model's scores, computed without the inferencer."""
        vectors = torch.stack(
            [torch.from_numpy(np.load(p)) for p in (self.inputs if paths is None else paths)]
        )
        with torch.no_grad():
            return self.reference.fc(vectors).argmax(dim=1).tolist()


@pytest.fixture
def vector_inferencer() -> type[VectorInferencer]:
    return VectorInferencer


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    torch.manual_seed(3)
    reference = InferLinear()
    rng = np.random.default_rng(0)
    folder = tmp_path / "vectors"
    folder.mkdir()
    inputs = []
    for i in range(5):
        path = folder / f"v{i}.npy"
        np.save(path, rng.standard_normal(4).astype(np.float32))
        inputs.append(str(path))
    weights = tmp_path / "weights.pth"
    save_checkpoint(
        {
            "meta": {"dataset_meta": {"classes": list(CLASSES)}},
            "state_dict": reference.state_dict(),
        },
        weights,
    )

    def write_config(
        name: str = "config.py", extra: str = "", extra_dataset: str = "", extra_loader: str = ""
    ) -> Path:
        path = tmp_path / name
        path.write_text(
            CONFIG.format(extra=extra, extra_dataset=extra_dataset, extra_loader=extra_loader)
        )
        return path

    return Setup(tmp_path, write_config(), weights, inputs, reference, write_config)
