#!/usr/bin/env bash
# Throughput of sharded detection on a live one-node Slurm cluster over an s3:// prefix on a local
# radosgw: one `detect` process, then arrays of 1, 2 and 4 tasks (deploy/slurm/submit.sh: detect
# tasks, then the merge), each from a cold object cache; then the 4-task array submitted again,
# which must find every part and do no detection. Each merged file must equal the one process's
# file byte for byte. Images: FlickrLogos-27 photos from $LOGOSCOPE_BENCH_DATA (default
# ../shared/data), repeated under new names up to N; the model is the built-in base model.
# Runs as root (the cluster's daemons). Prints images/s per configuration.
# Usage: bench/slurm_s3_detect.sh [N=1000] [WORK=/tmp/logoscope-slurm-s3]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
N=${1:-1000}
WORK=$(realpath -m "${2:-/tmp/logoscope-slurm-s3}")
DATA=${LOGOSCOPE_BENCH_DATA:-../shared/data}/flickrlogos27/images
BIN=$repo/build/bin/logoscope
PORT=17491
[ "$(id -u)" -eq 0 ] || { echo "slurm_s3_detect: runs as root (a one-node Slurm cluster)" >&2; exit 2; }
exec 9> "${TMPDIR:-/tmp}/logoscope-bench.lock"
flock -n 9 || { echo "slurm_s3_detect: another benchmark holds the lock; run one at a time" >&2; exit 2; }
rm -rf "$WORK"; mkdir -p "$WORK/images" "$WORK/logs"
mapfile -t files < <(find "$DATA" -name '*.jpg' | sort)
for ((i = 0; i < N; i++)); do
  cp "${files[$((i % ${#files[@]}))]}" "$WORK/images/$(printf 'img%05d' "$i").jpg"
done
tests/storage/servers/radosgw.sh start "$WORK/rgw" "$PORT" BENCHKEY bench-secret >/dev/null
cleanup() {
  "$repo/tests/deploy/slurm_cluster.sh" stop "$WORK/cluster" || true
  "$repo/tests/storage/servers/radosgw.sh" stop "$WORK/rgw" >/dev/null || true
}
trap cleanup EXIT
SLURM_CONF=$(tests/deploy/slurm_cluster.sh start "$WORK/cluster")
export SLURM_CONF
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=BENCHKEY AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
export LOGOSCOPE="$BIN"
aws s3api create-bucket --bucket bench >/dev/null
aws s3 cp --recursive --quiet "$WORK/images" s3://bench/images/
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); cores: $(nproc); objects: $N"

wait_for() {  # JOB: until it has left the queue, then its state
  for _ in $(seq 3600); do
    squeue -h -j "$1" 2>/dev/null | grep -q . || break
    sleep 0.2
  done
  scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' '
}
rate() { python3 -c "print(f'{$1 / $2:.1f}')"; }

export LOGOSCOPE_CACHE_DIR=$WORK/cache-single
start=$(date +%s.%N)
"$BIN" detect --model models/base s3://bench/images/ --out "$WORK/single.jsonl" --threads 2 --quiet
single_s=$(python3 -c "print($(date +%s.%N) - $start)")
echo "one process, 2 threads: $(rate "$N" "$single_s") images/s (${single_s%.*} s)"

cd "$WORK/logs"
for tasks in 1 2 4; do
  # Cores per task: 2 for one task, 1 each otherwise (the node has 2; extra tasks wait their turn).
  export SBATCH_CPUS_PER_TASK=$(( tasks == 1 ? 2 : 1 ))
  export LOGOSCOPE_CACHE_DIR=$WORK/cache-$tasks
  out=s3://bench/out-$tasks/found.jsonl
  start=$(date +%s.%N)
  read -r array merge < <("$repo/deploy/slurm/submit.sh" "$tasks" "$repo/models/base" s3://bench/images/ "$out")
  state=$(wait_for "$merge")
  seconds=$(python3 -c "print($(date +%s.%N) - $start)")
  aws s3 cp --quiet "$out" "$WORK/merged-$tasks.jsonl"
  same=$(cmp -s "$WORK/single.jsonl" "$WORK/merged-$tasks.jsonl" && echo "same as one process" || echo "DIFFERS from one process")
  echo "$tasks task(s) × $SBATCH_CPUS_PER_TASK core(s) + merge: $(rate "$N" "$seconds") images/s (${seconds%.*} s; merge $state; $same)"
done
# A retry of the whole finished array (the merge is not resubmitted: its output exists).
start=$(date +%s.%N)
array=$(sbatch --parsable --array=0-3 "$repo/deploy/slurm/detect-array.sbatch" "$repo/models/base" s3://bench/images/ \
  s3://bench/out-4/found.jsonl)
array=${array%%;*}
state=$(wait_for "$array")
seconds=$(python3 -c "print($(date +%s.%N) - $start)")
already=$(grep -l "already" "$WORK"/logs/slurm-"${array}"_*.out 2>/dev/null | wc -l)
echo "the 4-task array again: ${seconds%.*} s, $already of 4 tasks said their part was already there ($state)"
