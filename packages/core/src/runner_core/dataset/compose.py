"""``Compose``: a pipeline of transforms applied to one sample's dict in turn."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import BuildError


class Compose:
    """Apply transforms in order; a transform returning None drops the sample (returns None).

    Args:
        transforms: configs built from the ``TRANSFORMS`` registry, or callables
            (a single one is accepted too; None means no transform).
    """

    def __init__(self, transforms: Sequence[Any] | Mapping[str, Any] | Callable | None) -> None:
        from ..registry import TRANSFORMS, current_build_path

        if transforms is None:
            transforms = []
        elif isinstance(transforms, Mapping) or callable(transforms):
            transforms = [transforms]
        self.transforms: list[Callable[[Any], Any]] = []
        # inside a dataset built from a config: train_dataloader.dataset.pipeline[0]
        owner = current_build_path()
        prefix = f"{owner}.pipeline" if owner else "pipeline"
        for i, transform in enumerate(transforms):
            spec = transform
            if isinstance(transform, Mapping):
                transform = TRANSFORMS.build(transform, _key_path=f"{prefix}[{i}]")
            if not callable(transform):
                if isinstance(spec, Mapping):  # the config was right; what it built is not
                    raise BuildError(
                        f"{prefix}[{i}] = dict(type={spec.get('type')!r}, ...) built a "
                        f"{type(transform).__name__}, which is not callable: a transform "
                        "takes the sample dict in __call__ and returns it (or None to skip "
                        "the sample). Give the class a __call__."
                    )
                raise BuildError(
                    f"{prefix}[{i}] must be a transform config dict(type=...) or a callable, "
                    f"got {type(transform).__name__}: {transform!r}."
                )
            self.transforms.append(transform)

    def __call__(self, data: Any) -> Any:
        for index, transform in enumerate(self.transforms):
            try:
                data = transform(data)
            except Exception as exc:  # which transform: the data error names the sample
                _name_transform(exc, index, transform)
                raise
            if data is None:
                return None
        return data

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t}" for t in self.transforms)  # str(), as MMEngine
        return f"{type(self).__name__}({inner}\n)"


def _name_transform(exc: BaseException, index: int, transform: Any) -> None:
    """Note the failing transform on ``exc`` (``runner-cli`` shows it with the sample)."""
    from ..errors import add_note

    if any(str(n).startswith("Raised in pipeline[") for n in getattr(exc, "__notes__", [])):
        return  # a nested pipeline's transform named itself already
    name = getattr(transform, "__name__", None) or type(transform).__name__
    add_note(exc, f"Raised in pipeline[{index}] ({name}).")
