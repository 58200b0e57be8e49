#!/usr/bin/env bash
# detect over an s3:// prefix of N objects vs the same files in a local folder, on loopback.
# The server is Ceph's radosgw (signature-checking; tests/storage/servers/radosgw.sh); the images
# are FlickrLogos-27 photos from $LOGOSCOPE_BENCH_DATA (default ../shared/data), repeated under
# new names up to N. The model is the built-in base model (detect --any-logo).
# Prints images/s for: the local folder; s3 with a cold object cache; s3 with a warm cache, ROUNDS
# times interleaved (the machine drifts by ±10 % between runs; the ratio within a round is the
# comparison), then each round's ratios and their medians.
# Usage: bench/s3_detect.sh [N=1000] [WORK=/tmp/logoscope-s3-bench] [ROUNDS=1]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
WORK=${2:-/tmp/logoscope-s3-bench}
ROUNDS=${3:-1}
DATA=${LOGOSCOPE_BENCH_DATA:-../shared/data}/flickrlogos27/images
BIN=build/bin/logoscope
PORT=17490
rm -rf "$WORK"; mkdir -p "$WORK/images"
mapfile -t files < <(find "$DATA" -name '*.jpg' | sort)
for ((i = 0; i < N; i++)); do
  cp "${files[$((i % ${#files[@]}))]}" "$WORK/images/$(printf 'img%05d' "$i").jpg"
done
tests/storage/servers/radosgw.sh start "$WORK/rgw" "$PORT" BENCHKEY bench-secret >/dev/null
trap 'tests/storage/servers/radosgw.sh stop "$WORK/rgw" >/dev/null' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=BENCHKEY AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
export LOGOSCOPE_CACHE_DIR=$WORK/cache
aws s3api create-bucket --bucket bench >/dev/null
aws s3 cp --recursive --quiet "$WORK/images" s3://bench/images/
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); cores: $(nproc)"
echo "objects: $(aws s3 ls s3://bench/images/ | wc -l); bytes: $(du -sb "$WORK/images" | cut -f1)"
run() {  # NAME INPUT
  local start end
  start=$(date +%s.%N)
  "$BIN" -q detect --any-logo "$2" --out "$WORK/$1.jsonl" --overwrite
  end=$(date +%s.%N)
  python3 -c "import sys; n=$N; t=$end-$start; print(f'{sys.argv[1]:<10} {t:7.1f} s  {n/t:6.1f} images/s')" "$1" |
    tee -a "$WORK/rates.txt"
}
"$BIN" -q detect --any-logo "$WORK/images/img00000.jpg" >/dev/null  # warm the binary and the model
for ((round = 1; round <= ROUNDS; round++)); do
  echo "round $round"
  run local "$WORK/images"
  rm -rf "$WORK/cache"
  run s3-cold s3://bench/images/
  run s3-warm s3://bench/images/
done
python3 - "$WORK/rates.txt" <<'PY'
import statistics, sys
rates = [float(line.split()[-2]) for line in open(sys.argv[1])]
rounds = [rates[i:i + 3] for i in range(0, len(rates), 3)]
cold = [r[1] / r[0] for r in rounds]
warm = [r[2] / r[0] for r in rounds]
for i, (c, w) in enumerate(zip(cold, warm), 1):
    print(f"round {i}: cold/local {c:.0%}  warm/local {w:.0%}")
print(f"median over {len(rounds)} rounds: cold/local {statistics.median(cold):.0%}  warm/local {statistics.median(warm):.0%}")
PY
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
def load(name):
    return [json.loads(line)["CustomLabels"] for line in open(f"{work}/{name}.jsonl")]
local = load("local")
for name in ("s3-cold", "s3-warm"):
    same = sum(a == b for a, b in zip(local, load(name)))
    print(f"{name}: {same} of {len(local)} images give the same detections as the local run")
PY
