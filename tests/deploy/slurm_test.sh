#!/usr/bin/env bash
# Scale-out on a live Slurm cluster (one node, started here): deploy/slurm/submit.sh runs a sharded
# detect as an array job and the merge after it; the merged file must be byte for byte the file
# one process writes. Then the array runs again, as a retry would: every task finds its part and
# does nothing, and the result is unchanged.
# Usage: slurm_test.sh BIN_DIR WORK_DIR. Exit 77 (skip) without root or Slurm, unless
# LOGOSCOPE_REQUIRE_SLURM=1 (scripts/test.sh sets it), when that is a failure.
set -euo pipefail
bin=$(realpath "$1")
work=$(realpath -m "$2")
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
echo "PASS: 3 Slurm array tasks + merge = one process's file; a retried array redoes nothing"
