#!/usr/bin/env bash
# Submits a sharded video analysis to Slurm: an array of N video tasks, then the exposure summary
# once every task has succeeded. Prints the two job ids ("ARRAY EXPOSURE"). Options after "--" go
# to `logoscope video` (e.g. --every 0.2 --tile auto); SBATCH_* variables and LOGOSCOPE pass through.
#   deploy/slurm/submit-video.sh N MODEL OUT VIDEO… [-- video options…]
#   deploy/slurm/submit-video.sh 8 models/sponsors s3://reports/june/ s3://broadcasts/june/*.mp4 -- --every 0.2
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: deploy/slurm/submit-video.sh N MODEL OUT VIDEO… [-- video options…]" >&2
  exit 2
fi
here=$(dirname "$(realpath "$0")")
shards=$1 model=$2 out=$3
shift 3
case "$shards" in ''|*[!0-9]*) echo "submit-video.sh: N must be a whole number of tasks, got \"$shards\"" >&2; exit 2 ;; esac
[ "$shards" -ge 1 ] || { echo "submit-video.sh: N must be at least 1" >&2; exit 2; }
array=$(sbatch --parsable --array="0-$((shards - 1))" "$here/video-array.sbatch" "$model" "$out" "$@")
array=${array%%;*}
summary=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes "$here/exposure.sbatch" "$out")
echo "$array ${summary%%;*}"
