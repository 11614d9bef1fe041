#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set up .venv, then run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
