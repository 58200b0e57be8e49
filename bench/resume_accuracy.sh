#!/usr/bin/env bash
# Does a training killed and resumed reach the accuracy of one that ran through? On the demo data
# (generated: `logoscope demo --no-train`), for each seed: one uninterrupted `train --steps S`, and
# the same command killed with SIGKILL 0.3 s after each of its first 4 checkpoints and resumed
# with --resume each time. Prints both runs' test metrics (model.json, the demo's held-out 20 %)
# and the wall time.
# Usage: [REUSE=1] bench/resume_accuracy.sh [BIN_DIR] [WORK_DIR] [STEPS] [SEEDS]
#        (defaults: build/bin, /tmp/logoscope-resume-bench, 300, "1 2 3")
set -uo pipefail
BIN=${1:-build/bin}
WORK=${2:-/tmp/logoscope-resume-bench}
STEPS=${3:-300}
SEEDS=${4:-1 2 3}
L="$(cd "$BIN" && pwd)/logoscope"
mkdir -p "$WORK"; cd "$WORK" || exit 1
[ -s data/dataset.manifest ] || "$L" demo --no-train --images 240 --out data --quiet >/dev/null
metrics() {
  python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
t, x = m["training"], m["metrics"]
print("steps %d  mAP50 %.3f  mAP50-95 %.3f  F1 %.3f" % (t["steps"], x["map50"], x["map50_95"], x["f1"]))' "$1/model.json"
}
grep -m1 "model name" /proc/cpuinfo
for seed in $SEEDS; do
  args=(train --train data/dataset.manifest --steps "$STEPS" --batch-size 2 --input-size 128 --infer-size 160 --seed "$seed" --quiet)
  rm -rf "killed-$seed"
  start=$(date +%s)
  # REUSE=1 keeps an uninterrupted run of an earlier call (same settings) to compare a change to resuming.
  [ "${REUSE:-0}" = 1 ] && [ -s "through-$seed/model.json" ] || { rm -rf "through-$seed"; "$L" "${args[@]}" --out "through-$seed" >/dev/null 2>&1; }
  through_s=$(( $(date +%s) - start ))
  start=$(date +%s)
  kills=0
  for _ in 1 2 3 4; do
    before=$(date -r "killed-$seed/last_state.json" +%s.%N 2>/dev/null || echo none)
    extra=(); [ -e "killed-$seed/last_state.json" ] && extra=(--resume)
    "$L" "${args[@]}" --out "killed-$seed" "${extra[@]}" >/dev/null 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null && [ "$(date -r "killed-$seed/last_state.json" +%s.%N 2>/dev/null || echo none)" = "$before" ]; do
      sleep 0.1
    done
    sleep 0.3
    kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
    wait "$pid" 2>/dev/null
  done
  [ -e "killed-$seed/model.json" ] || "$L" "${args[@]}" --out "killed-$seed" --resume >/dev/null 2>&1
  killed_s=$(( $(date +%s) - start ))
  echo "seed $seed  uninterrupted: $(metrics "through-$seed")  ${through_s} s"
  echo "seed $seed  killed ${kills}x:     $(metrics "killed-$seed")  ${killed_s} s"
done
