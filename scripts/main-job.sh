#!/usr/bin/env bash
# The main job, from a fresh clone: set up .venv (or $VENV), train the digits CNN of the
# runner-digits example plugin, test its best checkpoint, and plot its curves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
CONFIG=${CONFIG:-examples/digits-lib/configs/digits_cnn_epoch.py}
WORK_DIR=${WORK_DIR:-work_dirs/digits}
BIN="${VENV:-.venv}/bin"
"$BIN/runner-cli" train "$CONFIG" --work-dir "$WORK_DIR" "$@"
# the best checkpoint by validation accuracy (CheckpointHook save_best), else the newest
CKPT=$(ls -t "$WORK_DIR"/best_*.pth 2>/dev/null | head -n 1 || true)
CKPT=${CKPT:-$(cat "$WORK_DIR/last_checkpoint")}
"$BIN/runner-cli" test "$CONFIG" "$CKPT" --work-dir "$WORK_DIR" --out "$WORK_DIR/test_metrics.json"
"$BIN/runner-cli" plot "$WORK_DIR" --keys loss,lr,accuracy/top1,digits/macro_f1 \
  --out "$WORK_DIR/curves.png"
echo "metrics: $WORK_DIR/test_metrics.json   curves: $WORK_DIR/curves.png"
