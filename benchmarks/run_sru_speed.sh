#!/usr/bin/env bash
# The SRU figures of issue 17, on a quiet machine: 3 full runs of the main
# row on TensorFlow and on JAX (CPU), the median and spread of each ratio,
# and the peak RSS of one training step at T=1000 against keras.layers.LSTM.
#
#     bash benchmarks/run_sru_speed.sh [RUNS] [OUT]
#
# Writes OUT/{tensorflow,jax}/run-N/results.json, OUT/summary.txt and
# OUT/memory.txt (default OUT: benchmarks/results/sru).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-${1:-3}}
OUT=${2:-benchmarks/results/sru}
PY=${PYTHON:-python}
mkdir -p "$OUT"
uptime | tee "$OUT/uptime.txt"
for backend in tensorflow jax; do
  for run in $(seq 1 "$RUNS"); do
    KERAS_BACKEND=$backend PYTHONPATH=$PWD "$PY" benchmarks/rnn_speed.py \
      --rows main --only kg.SRU "kg.SRU(autodiff loop)" "kg.SRU(fused loop)" \
      "RNN(SRUCell)" \
      --out "$OUT/$backend/run-$run"
  done
done
"$PY" benchmarks/summarize_runs.py "$OUT"/tensorflow "$OUT"/jax \
  | tee "$OUT/summary.txt"
: > "$OUT/memory.txt"
for candidate in keras.layers.LSTM kg.SRU "kg.SRU(autodiff loop)"; do
  for step in "" --no-step; do
    rss=$(PYTHONPATH=$PWD /usr/bin/time -v "$PY" benchmarks/peak_memory.py \
      "$candidate" $step 2>&1 >/dev/null \
      | awk -F: '/Maximum resident set size/ {print $2}')
    echo "$candidate ${step:-step} peak RSS${rss} kB" | tee -a "$OUT/memory.txt"
  done
done
uptime | tee -a "$OUT/uptime.txt"
