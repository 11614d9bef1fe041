"""runner-cli: the command-line front end of runner."""

from __future__ import annotations

from .__about__ import __version__

__all__ = ["__version__"]
