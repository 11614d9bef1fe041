"""MMEngine's drawing API on the ``Visualizer``: the image holder works, drawing says what to do.

MMEngine's ``Visualizer`` draws boxes, masks and feature maps with
matplotlib and OpenCV; runner-core depends on neither. Code written for it
calls ``set_image``, a few ``draw_*`` methods and ``get_image``, then
``add_image``. Here ``set_image``/``get_image`` hold the image, and each
``draw_*`` method raises :class:`DrawingNotAvailableError`, which names what
to use instead, rather than an ``AttributeError`` that reads like a typo.
``add_datasample`` does nothing, as in MMEngine's base class: a task's
visualizer (a subclass) overrides it.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ..errors import RunnerError


class DrawingNotAvailableError(RunnerError, NotImplementedError):
    """A ``draw_*``/``show`` method of MMEngine's ``Visualizer``, which this one does not draw."""


def _not_available(method: str) -> NoReturn:
    raise DrawingNotAvailableError(
        f"Visualizer.{method}() is not available: this Visualizer draws nothing, because "
        "MMEngine draws with matplotlib and OpenCV, which runner-core does not depend on. Draw "
        "on the image array yourself (PIL.ImageDraw, or torchvision.utils."
        "draw_bounding_boxes / draw_segmentation_masks / draw_keypoints after "
        "`pip install torchvision`) and pass the result to visualizer.add_image(name, image, "
        "step); or register a Visualizer subclass that implements "
        f"{method}() in VISUALIZERS and name it in visualizer=dict(type=...)."
    )


class DrawingMixin:
    """``set_image``/``get_image``, a no-op ``add_datasample`` and explaining ``draw_*`` stubs."""

    _image: Any = None
    width: int = 0
    height: int = 0

    def set_image(self, image: Any) -> None:
        """Hold ``image`` (H, W, 3 RGB, RGBA or H, W grey) for ``get_image`` (MMEngine's)."""
        from .png import as_image_array

        if image is None:  # MMEngine asserts it
            raise ValueError("Visualizer.set_image(None): give an image array (H, W, 3) RGB.")
        self._image = as_image_array(image, "Visualizer.set_image")
        self.height, self.width = self._image.shape[:2]

    def get_image(self) -> Any:
        """The image ``set_image`` was given, as a ``uint8`` numpy array (nothing is drawn)."""
        if self._image is None:
            raise ValueError(
                "Visualizer.get_image(): no image yet; call visualizer.set_image(image) first."
            )
        return self._image.copy()

    def add_datasample(
        self,
        name: str,
        image: Any,
        data_sample: Any = None,
        draw_gt: bool = True,
        draw_pred: bool = True,
        show: bool = False,
        wait_time: float = 0,
        step: int = 0,
        **kwargs: Any,
    ) -> None:
        """Do nothing, as MMEngine's base class: a task's Visualizer subclass draws samples."""

    # MMEngine's drawing methods: each explains what to do instead.
    def show(self, *args: Any, **kwargs: Any) -> NoReturn:
        _not_available("show")

    def draw_bboxes(self, *args: Any, **kwargs: Any) -> NoReturn:
        _not_available("draw_bboxes")

    def draw_texts(self, *args: Any, **kwargs: Any) -> NoReturn:
        _not_available("draw_texts")

    def draw_lines(self, *args: Any, **kwargs: Any) -> NoReturn:
        _not_available("draw_lines")

    def draw_circles(self, *args: Any, **kwargs: Any) -> NoReturn:
        _not_available("draw_circles")

    def draw_points(self, *args: Any, **kwargs: Any) -> NoReturn:
        _not_available("draw_points")

    def draw_polygons(self, *args: Any, **kwargs: Any) -> NoReturn:
        _not_available("draw_polygons")

    def draw_binary_masks(self, *args: Any, **kwargs: Any) -> NoReturn:
        _not_available("draw_binary_masks")

    @staticmethod
    def draw_featmap(*args: Any, **kwargs: Any) -> NoReturn:
        _not_available("draw_featmap")
