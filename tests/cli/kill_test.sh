#!/usr/bin/env bash
# `kill -9` at 5 or more points of each command's run: what a later command would read is never
# half-written.
#   detect --out      killed at 5 points of a first run (no out.jsonl, or a whole one) and at 5 of an
#                     --overwrite run (the earlier results as they were, or whole new ones)
#   train             one training killed 5 times (before its first checkpoint and after each of
#                     the next ones, at a different moment each time), resumed with --resume after
#                     each: it completes at its step count, and never leaves model.json before
#   pretrain          the same chain
#   video             killed at 5 points: no detections.jsonl or summary.json, or whole ones
#   dataset convert   killed at 5 points while it copies images: the manifest absent, or whole
# and Ctrl-C stops a training with a whole model that says so (exit 1).
# The kill points are fractions (0.1 … 0.9) of the same command's uninterrupted time, measured here.
# (The web UI's saves and S3 uploads have their own kill tests: tests/ui/kill_save_test.py,
# tests/storage/kill_upload_test.sh.)
# Usage: kill_test.sh BIN_DIR WORK_DIR CLIP_WRITER
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
L="$1/logoscope"
WORK=$2
CLIP_WRITER=$3
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK" || exit 1
failures=0
passed=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; passed=$((passed + 1)); }
FRACTIONS="0.1 0.3 0.5 0.7 0.9"
# kill_after, at, whole_jsonl
source "$HERE/../support/kill_helpers.sh"

# Waits (at most 120 s) until the glob matches a non-empty file; 1 when it never does.
wait_for() {
  for _ in $(seq 1 1200); do
    for f in $1; do [ -s "$f" ] && return 0; done
    sleep 0.1
  done
  return 1
}
# Seconds (fractional) that "$@" takes to run to its end; its output is discarded.
time_of() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "FAIL the uninterrupted run failed: $*" >&2; echo 1; return; }
  end=$(date +%s.%N)
  python3 -c "print(round(max(0.2, $end - $start), 2))"
}
"$L" demo --no-train --images 100 --out data --quiet >/dev/null || { echo "demo failed"; exit 1; }

# 1. detect --out: a first run killed at 5 points leaves no out.jsonl or a whole one; a killed
# --overwrite run leaves the earlier complete results as they were, or whole new ones.
detect=(detect --any-logo data/images --out out.jsonl --quiet)
t=$(time_of "$L" "${detect[@]}")
whole_jsonl out.jsonl 100 && ok "detect: an uninterrupted run wrote 100 lines in ${t} s" || fail "detect: the uninterrupted run did not write 100 lines"
for f in $FRACTIONS; do
  rm -f out.jsonl out.jsonl.logoscope-tmp-*
  kill_after "$(at "$t" "$f")" "$L" "${detect[@]}"
  if [ ! -e out.jsonl ]; then ok "detect killed at ${f} of its run: no out.jsonl"
  elif whole_jsonl out.jsonl 100; then ok "detect killed at ${f}: it had finished; out.jsonl is whole"
  else fail "detect killed at ${f} left a partial out.jsonl ($(wc -l <out.jsonl) lines)"; fi
done
# A killed run may have finished first (the first run's timing includes a cold cache): start clean.
rm -f out.jsonl out.jsonl.logoscope-tmp-*
"$L" "${detect[@]}" || fail "detect failed"
for f in $FRACTIONS; do
  before=$(sha256sum out.jsonl | cut -d' ' -f1)
  kill_after "$(at "$t" "$f")" "$L" "${detect[@]}" --overwrite
  if [ "$(sha256sum out.jsonl | cut -d' ' -f1)" = "$before" ]; then ok "detect --overwrite killed at ${f}: the earlier results as they were"
  elif whole_jsonl out.jsonl 100; then ok "detect --overwrite killed at ${f}: it had finished; whole new results"
  else fail "detect --overwrite killed at ${f} left $(wc -l <out.jsonl) lines"; fi
done
rm -f out.jsonl.logoscope-tmp-*

# A training (or pretraining) killed 5 times: once before its first checkpoint, then each time
# after its next checkpoint, 0.1–0.9 s later (mid-step, mid-validation, mid-checkpoint); each
# kill is followed by --resume (or, with no checkpoint yet, by the same command again).
# Usage: kill_chain NAME FOLDER STEPS COMMAND…
kill_chain() {
  local name=$1 folder=$2 steps=$3 kills=0 mtime pid args
  shift 3
  rm -rf "$folder"
  args=("$@")
  # Kill point 1: during start-up, before any checkpoint.
  kill_after 1.5 "$L" "${args[@]}"
  if [ -e "$folder/model.json" ]; then fail "$name killed at start-up left model.json"; else kills=$((kills + 1)); fi
  # From here on the same command with --resume, as a user (or a requeued batch job) would run it;
  # with no checkpoint yet it starts from the beginning.
  args+=(--resume)
  for delay in 0.1 0.3 0.5 0.7 0.9; do
    ((kills >= 5)) && break
    mtime=$(date -r "$folder/last_state.json" +%s.%N 2>/dev/null || echo none)
    "$L" "${args[@]}" >"$folder.run.log" 2>&1 &
    pid=$!
    # The next checkpoint: last_state.json written anew.
    for _ in $(seq 1 1800); do
      [ "$(date -r "$folder/last_state.json" +%s.%N 2>/dev/null || echo none)" != "$mtime" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if ! kill -0 "$pid" 2>/dev/null; then
      # It ended by itself before the kill: only a finished run may.
      wait "$pid"
      [ -e "$folder/model.json" ] && break
      fail "$name: a run with --resume ended without a model: $(tail -2 "$folder.run.log")"
      return
    fi
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -e "$folder/model.json" ]; then
      # The run ended before this kill; model.json must then be the finished one.
      break
    fi
    kills=$((kills + 1))
  done
  if ((kills >= 5)); then ok "$name: killed $kills times, never a model.json before the end"
  else fail "$name: only $kills kills before it ended (too few checkpoints to kill after?)"; fi
  if [ ! -e "$folder/model.json" ]; then
    "$L" "${args[@]}" >"$folder.resume.log" 2>&1 || { fail "$name --resume failed: $(tail -3 "$folder.resume.log")"; return; }
  fi
  local done_steps
  done_steps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["training"]["steps"])' "$folder/model.json" 2>/dev/null)
  [ "$done_steps" = "$steps" ] && ok "$name resumed after the kills to a complete model at step $steps" \
    || fail "$name after the kills ended at step '${done_steps}', not $steps"
}

# 2. train: 250 steps, a checkpoint each 50.
kill_chain train model 250 train --train data/dataset.manifest --out model --steps 250 --batch-size 2 --input-size 128 \
  --infer-size 160 --quiet
# 3. pretrain: the same on generated scenes (wordmarks only; random weights, nothing to fetch).
kill_chain pretrain base 250 pretrain --out base --icons none --wordmarks 10 --scenes 40 --validation-scenes 8 \
  --test-scenes 8 --steps 250 --batch-size 2 --input-size 128 --architecture fcos-resnet-fpn --quiet

# 4. video, killed at 5 points: its folder holds no detections.jsonl or summary.json that a reader
# could take for whole (they are written under temporary names, summary.json last); a run that
# finished before its kill has both, whole.
"$CLIP_WRITER" clip.avi 600 data/images/synth_0000.jpg data/images/synth_0001.jpg data/images/synth_0002.jpg \
  || fail "could not write the test clip"
video=(video clip.avi --model model --every 0 --out reports --overwrite --quiet)
t=$(time_of "$L" "${video[@]}")
whole_jsonl reports/clip/detections.jsonl 600 && [ -s reports/clip/summary.json ] \
  && ok "video: an uninterrupted run wrote 600 frames in ${t} s" || fail "video: the uninterrupted run did not write 600 frames"
for f in $FRACTIONS; do
  rm -rf reports
  kill_after "$(at "$t" "$f")" "$L" "${video[@]}"
  if [ ! -e reports/clip/detections.jsonl ] && [ ! -e reports/clip/summary.json ]; then
    ok "video killed at ${f} of its run: no detections.jsonl, no summary.json"
  elif [ -s reports/clip/summary.json ] && whole_jsonl reports/clip/detections.jsonl 600; then
    ok "video killed at ${f}: it had finished; detections.jsonl and summary.json whole"
  else
    fail "video killed at ${f} left $(ls reports/clip | tr '\n' ' ')"
  fi
done

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

# 6. dataset convert --copy-images killed at 5 points: the output manifest is absent, or whole
# (when the copy won the race), never part of one.
convert=(dataset convert data/dataset.manifest conv/out.manifest --copy-images --quiet)
t=$(time_of "$L" "${convert[@]}")
whole_jsonl conv/out.manifest 100 && ok "dataset convert: an uninterrupted run took ${t} s" || fail "dataset convert: the uninterrupted run failed"
for f in $FRACTIONS; do
  rm -rf conv
  kill_after "$(at "$t" "$f")" "$L" "${convert[@]}"
  if [ ! -e conv/out.manifest ]; then ok "dataset convert killed at ${f} of its run: no output manifest"
  elif whole_jsonl conv/out.manifest 100; then ok "dataset convert killed at ${f}: it had finished; the manifest is whole"
  else fail "dataset convert killed at ${f} left a partial conv/out.manifest ($(wc -l <conv/out.manifest) lines)"; fi
done

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
