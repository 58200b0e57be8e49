#!/usr/bin/env bash
# Scale-out on a live Slurm cluster (one node, started here): deploy/slurm/submit.sh runs a sharded
# detect as an array job and the merge after it; the merged file must be byte for byte the file
# one process writes. Then the array runs again, as a retry would: every task finds its part and
# does nothing, and the result is unchanged. Then the video journey: deploy/slurm/submit-video.sh
# analyses three clips in an array of 4 and sums them with `logoscope exposure`; the totals must
# be one process's totals.
# Usage: slurm_test.sh BIN_DIR WORK_DIR CLIP_WRITER. Exit 77 (skip) without root or Slurm, unless
# LOGOSCOPE_REQUIRE_SLURM=1 (scripts/test.sh sets it), when that is a failure.
set -euo pipefail
bin=$(realpath "$1")
work=$(realpath -m "$2")
clip_writer=$(realpath "$3")
repo=$(realpath "$(dirname "$0")/../..")
skip() {
  if [ "${LOGOSCOPE_REQUIRE_SLURM:-0}" = 1 ]; then echo "FAIL: $*" >&2; exit 1; fi
  echo "SKIP: $*"; exit 77
}
[ "$(id -u)" -eq 0 ] || skip "a one-node Slurm cluster runs as root"
command -v slurmctld >/dev/null && command -v munged >/dev/null || skip "slurm-wlm and munge are not installed"

rm -rf "$work"
mkdir -p "$work"
cluster="$work/cluster"
trap '"$repo/tests/deploy/slurm_cluster.sh" stop "$cluster"' EXIT
SLURM_CONF=$("$repo/tests/deploy/slurm_cluster.sh" start "$cluster")
export SLURM_CONF

# Photos and a small model.
"$bin/logoscope" demo --out "$work/data" --images 12 --no-train >/dev/null
"$bin/logoscope" train --train "$work/data/dataset.manifest" --out "$work/model" --scratch --steps 2 \
  --batch-size 2 --input-size 128 --infer-size 160 --quiet >/dev/null
images="$work/data/images"
"$bin/logoscope" detect --model "$work/model" "$images" --min-confidence 0 --out "$work/single.jsonl" --quiet

# The array and the merge, as a user submits them.
wait_for() {  # JOB: until it has left the queue, then its state
  for _ in $(seq 600); do
    squeue -h -j "$1" 2>/dev/null | grep -q . || break
    sleep 0.5
  done
  scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' '
}
mkdir -p "$work/out" "$work/logs"
cd "$work/logs"
export LOGOSCOPE="$bin/logoscope"
read -r array merge < <("$repo/deploy/slurm/submit.sh" 3 "$work/model" "$images" "$work/out/found.jsonl" --min-confidence 0)
echo "array job $array, merge job $merge"
state=$(wait_for "$merge")
echo "merge: $state"
if [ "$state" != "JobState=COMPLETED " ]; then
  echo "FAIL: the merge job ended $state; logs:" >&2
  tail -n 20 "$work"/logs/*.out "$cluster"/slurmctld.log >&2 || true
  exit 1
fi
ls "$work/out"
parts=$(ls "$work"/out/found.shard-*-of-0003.jsonl | wc -l)
[ "$parts" -eq 3 ] || { echo "FAIL: $parts parts instead of 3" >&2; exit 1; }
cmp "$work/single.jsonl" "$work/out/found.jsonl" || { echo "FAIL: the merged file is not one process's file" >&2; exit 1; }

# A retry of the whole array: every part is there, nothing is redone, nothing changes.
before=$(sha256sum "$work"/out/* | sort)
retry=$(sbatch --parsable --array=0-2 "$repo/deploy/slurm/detect-array.sbatch" "$work/model" "$images" \
  "$work/out/found.jsonl" --min-confidence 0)
state=$(wait_for "${retry%%;*}")
[ "$state" = "JobState=COMPLETED " ] || { echo "FAIL: the retried array ended $state" >&2; exit 1; }
after=$(sha256sum "$work"/out/* | sort)
[ "$before" = "$after" ] || { echo "FAIL: a retried task changed its part" >&2; exit 1; }
grep -l "already" "$work"/logs/slurm-"${retry%%;*}"_*.out >/dev/null \
  || { echo "FAIL: the retried tasks did not say their part was already there" >&2; cat "$work"/logs/slurm-"${retry%%;*}"_*.out >&2; exit 1; }
echo "ok: 3 Slurm array tasks + merge = one process's file; a retried array redoes nothing"

# Video: three clips, an array of 2 tasks, then the exposure summary.
clips=()
for name in a b c; do
  "$clip_writer" "$work/clip-$name.avi" 40 "$images"/synth_000{0,1,2}.jpg
  clips+=("$work/clip-$name.avi")
done
"$bin/logoscope" video --model "$work/model" "${clips[@]}" --out "$work/video-single" --min-confidence 0 --threads 2 --quiet
"$bin/logoscope" exposure "$work/video-single" --json --quiet >"$work/single-exposure.json"
read -r varray vsummary < <("$repo/deploy/slurm/submit-video.sh" 4 "$work/model" "$work/video-out" "${clips[@]}" \
  -- --min-confidence 0)
echo "video array job $varray, exposure job $vsummary"
state=$(wait_for "$vsummary")
if [ "$state" != "JobState=COMPLETED " ]; then
  echo "FAIL: the exposure job ended $state; logs:" >&2
  tail -n 20 "$work"/logs/*.out "$cluster"/slurmctld.log >&2 || true
  exit 1
fi
python3 - "$work/single-exposure.json" "$work/video-out/exposure.json" <<'PY' || exit 1
import json, sys
single, sharded = (json.load(open(p)) for p in sys.argv[1:3])
if len(sharded["videos"]) != 3 or sharded["incomplete"]:
    sys.exit(f"FAIL: the sharded exposure covers {len(sharded['videos'])} videos, incomplete {sharded['incomplete']}")
if sharded["labels"] != single["labels"] or sharded["video_s"] != single["video_s"]:
    sys.exit(f"FAIL: sharded totals {sharded['labels']} differ from one process's {single['labels']}")
PY
echo "PASS: 3 Slurm array tasks + merge = one process's file; a retried array redoes nothing; 4 video tasks + exposure = one process's totals"
