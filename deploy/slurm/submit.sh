#!/usr/bin/env bash
# Submits a sharded batch detection to Slurm: an array of N detect tasks, then the merge once every
# task has succeeded. Prints the two job ids ("ARRAY MERGE"). Options after OUT go to detect
# (e.g. --min-confidence 0 --to csv); SBATCH_* variables (SBATCH_PARTITION, SBATCH_ACCOUNT, …)
# and LOGOSCOPE pass through to the jobs.
#   deploy/slurm/submit.sh N MODEL INPUT OUT [detect options…]
#   deploy/slurm/submit.sh 16 models/redbull s3://posts/2024-06/ s3://results/june.jsonl
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: deploy/slurm/submit.sh N MODEL INPUT OUT [detect options…]" >&2
  exit 2
fi
here=$(dirname "$(realpath "$0")")
shards=$1 model=$2 input=$3 out=$4
shift 4
case "$shards" in ''|*[!0-9]*) echo "submit.sh: N must be a whole number of tasks, got \"$shards\"" >&2; exit 2 ;; esac
[ "$shards" -ge 1 ] || { echo "submit.sh: N must be at least 1" >&2; exit 2; }
array=$(sbatch --parsable --array="0-$((shards - 1))" "$here/detect-array.sbatch" "$model" "$input" "$out" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes "$here/merge.sbatch" "$shards" "$input" "$out")
echo "$array ${merge%%;*}"
