#!/usr/bin/env bash
# Set up the development environment in .venv: the CPU torch build (pinned,
# overridable with TORCH_SPEC), the workspace packages editable, and the
# test/example dependencies. Safe to run again; it only installs what's missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
VENV=${VENV:-.venv}

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
pip_install() { "$PY" -m pip install --disable-pip-version-check -q "$@"; }

# torch first and pinned: a bare `torch` requirement would pull a multi-GB CUDA build.
"$PY" -c "import torch" 2>/dev/null || pip_install "$TORCH_SPEC"
pip_install -r requirements-dev.txt
editables=()
for member in packages/core packages/loops-standard packages/hooks-standard packages/cli packages/trackers packages/sweep examples/digits-lib; do
  [ -f "$member/pyproject.toml" ] && editables+=(-e "$member")
done
pip_install --no-deps "${editables[@]}"
"$PY" -m pip check >/dev/null || { "$PY" -m pip check; exit 1; }
echo "environment ready: $VENV ($("$PY" -c 'import torch; print("torch", torch.__version__)'))"
