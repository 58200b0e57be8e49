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

# Over an s3:// prefix on the signature-checking radosgw of the storage tests (CTest fixture
# s3_servers): 4 tasks + merge = one process's file. Then a task that never finished: its part is
# removed (a task killed mid-run writes none: parts are uploaded whole), the array is submitted
# again (docs/scale-out.md: a single element submitted alone would be an array of one, another
# shard), 3 tasks find their part, the fourth redoes its own, and the merge run again gives the
# same file: nothing lost, nothing twice.
if [ "${LOGOSCOPE_SLURM_S3:-1}" = 1 ]; then
  export AWS_ENDPOINT_URL=http://127.0.0.1:17480 AWS_ACCESS_KEY_ID=LOGOSCOPETEST \
    AWS_SECRET_ACCESS_KEY=logoscope-test-secret AWS_REGION=us-east-1 LOGOSCOPE_CACHE_DIR="$work/cache"
  prefix=s3://logoscope-test/slurm-$$
  aws s3 cp --recursive --quiet "$images" "$prefix/images/"
  "$bin/logoscope" detect --model "$work/model" "$prefix/images/" --min-confidence 0 --out "$work/single-s3.jsonl" --quiet
  read -r array merge < <("$repo/deploy/slurm/submit.sh" 4 "$work/model" "$prefix/images/" "$prefix/out/found.jsonl" \
    --min-confidence 0)
  state=$(wait_for "$merge")
  [ "$state" = "JobState=COMPLETED " ] || { echo "FAIL: the S3 merge job ended $state" >&2; tail -n 20 "$work"/logs/*.out >&2; exit 1; }
  aws s3 cp --quiet "$prefix/out/found.jsonl" "$work/merged-s3.jsonl"
  cmp "$work/single-s3.jsonl" "$work/merged-s3.jsonl" || { echo "FAIL: the merged S3 file is not one process's file" >&2; exit 1; }
  part=$(aws s3 ls "$prefix/out/" | grep -o 'found.shard-0002-of-0004.jsonl')
  [ -n "$part" ] || { echo "FAIL: no part 2 of 4 in $prefix/out/" >&2; exit 1; }
  aws s3 rm --quiet "$prefix/out/$part"
  aws s3 rm --quiet "$prefix/out/found.jsonl"
  again=$(sbatch --parsable --array=0-3 "$repo/deploy/slurm/detect-array.sbatch" \
    "$work/model" "$prefix/images/" "$prefix/out/found.jsonl" --min-confidence 0)
  state=$(wait_for "${again%%;*}")
  [ "$state" = "JobState=COMPLETED " ] || { echo "FAIL: the resubmitted array ended $state" >&2; tail -n 20 "$work"/logs/*.out >&2; exit 1; }
  skipped=$(grep -l "already" "$work"/logs/slurm-"${again%%;*}"_*.out | wc -l)
  [ "$skipped" = 3 ] || { echo "FAIL: $skipped of the 4 resubmitted tasks found their part (3 expected)" >&2; exit 1; }
  "$bin/logoscope" merge --out "$prefix/out/found.jsonl" --shards 4 "$prefix/images/" --quiet
  aws s3 cp --quiet "$prefix/out/found.jsonl" "$work/merged-s3-again.jsonl"
  cmp "$work/single-s3.jsonl" "$work/merged-s3-again.jsonl" \
    || { echo "FAIL: after the resubmitted task the merge is not one process's file" >&2; exit 1; }
  aws s3 rm --quiet --recursive "$prefix/"
  unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY LOGOSCOPE_CACHE_DIR
  echo "ok: 4 tasks over an s3:// prefix + merge = one process's file; the array resubmitted redoes only a lost part"
fi

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
echo "PASS: 3 Slurm array tasks + merge = one process's file; a retried array redoes nothing; the same over S3 with a lost part redone; 4 video tasks + exposure = one process's totals"
