"""How the CLI reports failures: one paragraph on stderr, a meaningful exit status."""

from __future__ import annotations


class UsageError(Exception):
    """The command line itself is wrong (exit status 2)."""


EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
