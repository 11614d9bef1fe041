"""MMEngine's module path ``mmengine.runner.base_loop``, for code ported by its imports
(mmocr imports ``BaseLoop`` from there): :class:`runner_core.loop.BaseLoop`."""

from ..loop import BaseLoop

__all__ = ["BaseLoop"]
