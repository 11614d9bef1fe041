"""runner-sweep: hyperparameter sweeps on Optuna, as ``runner-cli sweep``.

Importing this package imports neither Optuna nor torch.
"""

from __future__ import annotations

from .__about__ import __version__

__all__ = ["__version__"]
