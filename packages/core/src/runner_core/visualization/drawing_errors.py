"""The errors the ``Visualizer``'s drawing methods raise.

Each subclasses what MMEngine raises in the same place (its ``check_type``
raises ``TypeError``, its shape checks are ``assert`` statements), so code
written against MMEngine keeps catching them while the message names the
argument at fault.
"""

from __future__ import annotations

from ..errors import RunnerError

#: what a user runs to get the drawing methods
INSTALL_HINT = 'pip install "runner-core[draw]"'


class DrawingNotAvailableError(RunnerError, NotImplementedError, ImportError):
    """Drawing needs matplotlib, which is not installed (``pip install "runner-core[draw]"``).

    A ``NotImplementedError`` (what the stubs raised before drawing existed)
    and an ``ImportError`` (what is actually missing).
    """


class DrawingTypeError(RunnerError, TypeError):
    """A drawing argument of the wrong type (MMEngine's ``check_type``: ``TypeError``)."""


class DrawingAssertionTypeError(DrawingTypeError, AssertionError):
    """A wrong type MMEngine checks with ``assert isinstance`` (``draw_featmap``'s ``featmap``)."""


class DrawingValueError(RunnerError, ValueError, AssertionError):
    """A drawing argument of the right type but a wrong shape or value.

    MMEngine checks these with ``assert``, so this is an ``AssertionError``
    as well as a ``ValueError``.
    """


class DisplayNotAvailableError(RunnerError):
    """``Visualizer.show()`` without a window to show in (a headless machine, the Agg backend).

    MMEngine waits there for a key press that cannot come (``wait_time=0``)
    or sleeps ``wait_time`` seconds showing nothing.
    """
