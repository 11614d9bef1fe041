#!/usr/bin/env bash
# The main job, from a fresh clone: set up .venv, train the digits CNN of the
# runner-digits example plugin, test its checkpoint, and plot its curves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
CONFIG=${CONFIG:-examples/digits-lib/configs/digits_cnn_epoch.py}
WORK_DIR=${WORK_DIR:-work_dirs/digits}
BIN=.venv/bin
"$BIN/runner-cli" train "$CONFIG" --work-dir "$WORK_DIR" "$@"
CKPT=$(cat "$WORK_DIR/last_checkpoint")
"$BIN/runner-cli" test "$CONFIG" "$CKPT" --work-dir "$WORK_DIR" --out "$WORK_DIR/test_metrics.json"
"$BIN/runner-cli" plot "$WORK_DIR" --out "$WORK_DIR/curves.png"
echo "metrics: $WORK_DIR/test_metrics.json   curves: $WORK_DIR/curves.png"
