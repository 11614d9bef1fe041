#!/usr/bin/env bash
# The GPU checks, for a CUDA machine with no network (the `device` tool's):
# the whole test suite with CUDA visible (the Runner then puts models on the
# GPU), W1 on the GPU with its device waits counted, and async checkpoint
# saves of a CUDA state. Build the wheels it installs first, here:
#   rm -rf .gpu && for p in packages/* examples/digits-lib; do
#     .venv/bin/python -m pip wheel -q --no-deps --no-build-isolation -w .gpu "$p"; done
# then run it there with `.gpu` carried: `bash bench/gpu_check.sh`.
# Logs go to $OUT (the device tool's) or /tmp/gpu-check; each test failure
# is written to $OUT/failures.txt as it happens (bench/gpu_failures.py).
# Knobs: SUITE_S, WORKERS, TESTS, MARK (e.g. 'not slow'), PYTEST_ARGS,
# BENCH=0, ROUNDS, W1_ARGS.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
PY=${PY:-python3}
$PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/bench PATH=/tmp/site/bin:$PATH PYTHONUNBUFFERED=1
nvidia-smi -L
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
start=$(date +%s)
timeout "${SUITE_S:-270}" $PY -m pytest -q -p no:cacheprovider -n "${WORKERS:-12}" \
  --timeout 200 -rfE -p gpu_failures ${MARK:+-m "$MARK"} ${PYTEST_ARGS:-} ${TESTS:-tests} >"$OUT/suite.log" 2>&1
echo "suite exit $? in $(( $(date +%s) - start )) s"
grep -E "^(FAILED|ERROR)|passed|failed" "$OUT/suite.log" | tail -80
[ "${BENCH:-1}" = 1 ] || exit 0
timeout 150 $PY bench/gpu_w1.py --rounds "${ROUNDS:-2}" ${W1_ARGS:-} 2>&1 | tee "$OUT/gpu_w1.log"
timeout 120 $PY bench/checkpoint_async.py --sizes-mb 100 1024 --repeats 2 2>&1 \
  | tee "$OUT/ckpt_async.json"
