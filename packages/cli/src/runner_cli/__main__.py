"""``python -m runner_cli``: same as the ``runner-cli`` command."""

from __future__ import annotations

import sys

from runner_cli.main import console

if __name__ == "__main__":
    sys.exit(console())
