#!/usr/bin/env bash
# `kill -9` in the middle of the work: detect --out leaves no half file under the output's name
# (and an earlier complete one untouched), a killed training resumes from its checkpoint to a
# complete model, a killed video analysis leaves no detections.jsonl or summary.json, and Ctrl-C
# stops a training with a whole model; dataset convert leaves its output absent or whole.
# Usage: kill_test.sh BIN_DIR WORK_DIR CLIP_WRITER
set -uo pipefail
L="$1/logoscope"
WORK=$2
CLIP_WRITER=$3
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK" || exit 1
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }

# Waits (at most 120 s) until the glob matches a non-empty file; 1 when it never does.
wait_for() {
  for _ in $(seq 1 1200); do
    for f in $1; do [ -s "$f" ] && return 0; done
    sleep 0.1
  done
  return 1
}

"$L" demo --no-train --images 240 --out data --quiet >/dev/null || { echo "demo failed"; exit 1; }

# 1. A first run, killed while it writes: no out.jsonl at all.
"$L" detect --any-logo data/images --out out.jsonl --quiet &
pid=$!
if wait_for "out.jsonl.logoscope-tmp-*"; then
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  if [ -e out.jsonl ]; then fail "detect killed mid-run left out.jsonl ($(wc -l <out.jsonl) lines)"; else ok "detect killed mid-run: no out.jsonl"; fi
else
  kill -9 "$pid" 2>/dev/null; fail "detect never started writing"
fi
rm -f out.jsonl.logoscope-tmp-*

# 2. A complete run, then a killed --overwrite run: the complete results stay as they were.
"$L" detect --any-logo data/images --out out.jsonl --quiet || fail "detect failed"
before=$(sha256sum out.jsonl | cut -d' ' -f1)
lines=$(wc -l <out.jsonl)
[ "$lines" -eq 240 ] && ok "a complete run wrote 240 lines" || fail "a complete run wrote $lines lines"
"$L" detect --any-logo data/images --out out.jsonl --overwrite --quiet &
pid=$!
if wait_for "out.jsonl.logoscope-tmp-*"; then
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  [ "$(sha256sum out.jsonl | cut -d' ' -f1)" = "$before" ] && ok "killed --overwrite run left the earlier results whole" \
    || fail "killed --overwrite run changed out.jsonl"
else
  kill -9 "$pid" 2>/dev/null; fail "the --overwrite run never started writing"
fi

# 3. A training killed after its first checkpoint resumes to a complete model.
train=(train --train data/dataset.manifest --out model --steps 150 --batch-size 2 --input-size 128 --infer-size 160 --quiet)
"$L" "${train[@]}" &
pid=$!
if wait_for "model/last_state.json"; then
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  [ -e model/model.json ] && fail "a killed training left model.json" || ok "killed training: no model.json"
  if "$L" "${train[@]}" --resume >resume.log 2>&1; then
    steps=$(python3 -c 'import json; print(json.load(open("model/model.json"))["training"]["steps"])')
    [ "$steps" = 150 ] && ok "resumed training completed at step 150" || fail "resumed training ended at step $steps"
  else
    fail "train --resume failed: $(tail -3 resume.log)"
  fi
else
  kill -9 "$pid" 2>/dev/null; fail "the training never wrote a checkpoint"
fi

# 4. A video analysis killed midway: its folder holds no detections.jsonl or summary.json that a
# reader could take for whole; run again, it completes.
"$CLIP_WRITER" clip.avi 3000 data/images/synth_0000.jpg data/images/synth_0001.jpg data/images/synth_0002.jpg \
  || fail "could not write the test clip"
video=(video clip.avi --model model --every 0 --out reports --quiet)
"$L" "${video[@]}" &
pid=$!
if wait_for "reports/clip/detections.jsonl.logoscope-tmp-*"; then
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  if [ -e reports/clip/detections.jsonl ] || [ -e reports/clip/summary.json ]; then
    fail "a killed video analysis left $(ls reports/clip | tr '\n' ' ')"
  else
    ok "killed video analysis: no detections.jsonl, no summary.json"
  fi
  if "$L" "${video[@]}" --overwrite >video.log 2>&1; then
    frames=$(wc -l <reports/clip/detections.jsonl)
    [ "$frames" = 3000 ] && [ -s reports/clip/summary.json ] && ok "the analysis run again wrote all 3000 frames" \
      || fail "the analysis run again wrote $frames frames"
  else
    fail "video --overwrite failed: $(tail -3 video.log)"
  fi
else
  kill -9 "$pid" 2>/dev/null; fail "the video analysis never started writing"
fi

# 5. Ctrl-C (SIGINT) during a training: it stops after the current step and still writes a whole
# model that says so; exit code 1.
rm -rf stopped
stop_train=(train --train data/dataset.manifest --out stopped --steps 400 --batch-size 2 --input-size 128 --infer-size 160 --quiet)
"$L" "${stop_train[@]}" >stop.log 2>&1 &
pid=$!
if wait_for "stopped/last_state.json"; then
  kill -INT "$pid"
  wait "$pid"; code=$?
  by=$(python3 -c 'import json; t=json.load(open("stopped/model.json"))["training"]; print(t["stopped_by"], t["steps"])' 2>/dev/null)
  if [ "$code" = 1 ] && [ "${by%% *}" = stopped ] && [ "${by##* }" -lt 400 ]; then
    ok "Ctrl-C stopped training at step ${by##* } with a whole model"
  else
    fail "Ctrl-C during training: exit $code, model.json says '${by:-nothing}' ($(tail -2 stop.log))"
  fi
else
  kill -9 "$pid" 2>/dev/null; fail "the training to stop never wrote a checkpoint"
fi

# 6. dataset convert --copy-images killed while it copies: the output manifest is absent, or whole
# (when the copy won the race), never part of one.
"$L" dataset convert data/dataset.manifest conv/out.manifest --copy-images --quiet &
pid=$!
wait_for "conv/images/*" || true
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
if [ ! -e conv/out.manifest ]; then
  ok "a killed dataset convert left no output manifest"
elif python3 -c 'import json,sys; n=sum(1 for l in open("conv/out.manifest") if json.loads(l)); sys.exit(n != 240)' 2>/dev/null; then
  ok "dataset convert finished before the kill: its manifest is whole"
else
  fail "a killed dataset convert left a partial conv/out.manifest ($(wc -l <conv/out.manifest) lines)"
fi

echo "$(( 10 - failures )) passed, $failures failed"
[ "$failures" -eq 0 ]
