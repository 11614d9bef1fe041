#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set up .venv (or $VENV), then run pytest,
# spread over every core (pytest-xdist; PYTEST_WORKERS=0 runs it in one process).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec "${VENV:-.venv}/bin/python" -m pytest -n "${PYTEST_WORKERS:-auto}" "$@"
