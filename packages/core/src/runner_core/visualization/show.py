"""``Visualizer.show``: the drawn image in a matplotlib window, or an error where none can open.

MMEngine opens a pyplot window and waits for ``continue_key`` (forever when
``wait_time=0``). On a machine without a display matplotlib falls back to
the non-interactive Agg backend, where MMEngine then hangs (``wait_time=0``)
or sleeps showing nothing; here that is a ``DisplayNotAvailableError`` that
says how to save the image instead. In Jupyter (the inline backend) the
figure is returned for the notebook to display, as MMEngine does.
"""

from __future__ import annotations

from typing import Any

from .drawing_errors import DisplayNotAvailableError, DrawingNotAvailableError, DrawingValueError

_NON_INTERACTIVE = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


def backend_kind(matplotlib: Any) -> str:
    """``'inline'``, ``'window'`` or ``'none'`` for matplotlib's current backend."""
    name = str(matplotlib.get_backend()).lower()
    if "inline" in name:
        return "inline"
    if name in _NON_INTERACTIVE:
        return "none"
    return "window"


def _no_display(backend: str, reason: str) -> DisplayNotAvailableError:
    return DisplayNotAvailableError(
        f"Visualizer.show(): cannot open a window: {reason} (matplotlib backend {backend!r}). "
        "On a machine without a display, save the image instead: pass show=False (to the "
        "visualization hook or add_datasample) and let the vis_backends write it "
        "(visualizer.add_image(name, image, step); LocalVisBackend writes "
        "vis_image/<name>_<step>.png). To show windows, run with a display and an "
        "interactive matplotlib backend (MPLBACKEND=TkAgg or QtAgg)."
    )


def _wait(figure: Any, wait_time: float, continue_key: str) -> None:
    """Run the window's event loop until ``continue_key``, a close, or ``wait_time`` seconds."""
    from matplotlib.backend_bases import CloseEvent

    canvas = figure.canvas
    while True:
        got: list[Any] = []

        def stop(event: Any, got: list[Any] = got) -> None:
            if not any(isinstance(e, CloseEvent) for e in got):
                got.append(event)
            canvas.stop_event_loop()

        ids = [canvas.mpl_connect(kind, stop) for kind in ("key_press_event", "close_event")]
        try:
            canvas.start_event_loop(wait_time)  # 0: until an event
        finally:
            for cid in ids:
                canvas.mpl_disconnect(cid)
        if not got or isinstance(got[-1], CloseEvent) or got[-1].key == continue_key:
            return


def show_image(
    holder: Any,
    image: Any,
    win_name: str = "image",
    wait_time: float = 0.0,
    continue_key: str = " ",
    backend: str = "matplotlib",
) -> Any:
    """Show ``image`` in the window ``holder`` keeps (one window reused, titled ``win_name``)."""
    if backend == "cv2":
        return _show_cv2(holder, image, win_name, wait_time)
    if backend != "matplotlib":
        raise DrawingValueError(
            f"Visualizer.show(backend={backend!r}): backend should be 'matplotlib' or 'cv2'."
        )
    from .canvas import require_matplotlib

    matplotlib = require_matplotlib("Visualizer.show()")
    kind = backend_kind(matplotlib)
    name = str(matplotlib.get_backend())
    if kind == "none":
        raise _no_display(name, "the backend is non-interactive (no display was found)")
    import matplotlib.pyplot as plt

    figure = getattr(holder, "_show_figure", None)
    if figure is None or not plt.fignum_exists(figure.number):
        try:
            figure = plt.figure(**getattr(holder, "fig_show_cfg", {}) or {})
        except Exception as exc:  # a GUI backend that cannot start (no display, no toolkit)
            raise _no_display(name, str(exc)) from exc
        holder._show_figure = figure
    manager = figure.canvas.manager
    if manager is not None:
        manager.set_window_title(win_name)
    figure.clear()
    axes = figure.add_axes((0, 0, 1, 1))
    axes.axis(False)
    axes.imshow(image)
    figure.canvas.draw()
    if kind == "inline":
        return figure
    figure.show()
    _wait(figure, wait_time, continue_key)
    return None


def _show_cv2(holder: Any, image: Any, win_name: str, wait_time: float) -> None:
    try:
        import cv2
    except ImportError as exc:
        raise DrawingNotAvailableError(
            "Visualizer.show(backend='cv2') needs OpenCV (pip install opencv-python), which "
            "runner-core does not use; use backend='matplotlib' (the default)."
        ) from exc
    import math

    window = str(id(holder))
    cv2.namedWindow(window)
    cv2.setWindowTitle(window, win_name)
    cv2.imshow(window, image[..., ::-1])  # OpenCV shows BGR
    cv2.waitKey(math.ceil(wait_time * 1000))
