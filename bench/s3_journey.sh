#!/usr/bin/env bash
# The FlickrLogos-27 `redbull` journey (train, evaluate, detect) twice, side by side: once on local
# files, once with the manifests, the images and every output in a bucket on Ceph's radosgw
# (signature-checking; tests/storage/servers/radosgw.sh) on loopback. Prints both evaluations'
# numbers and compares the detections.
# Usage: bench/s3_journey.sh [STEPS=60] [WORK=/tmp/logoscope-s3-journey]
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-60}
WORK=${2:-/tmp/logoscope-s3-journey}
DATA=$(realpath "${LOGOSCOPE_BENCH_DATA:-../shared/data}/flickrlogos27")
BIN=$(realpath build/bin/logoscope)
PORT=17491
rm -rf "$WORK"; mkdir -p "$WORK"
tests/storage/servers/radosgw.sh start "$WORK/rgw" "$PORT" JOURNEYKEY journey-secret >/dev/null
trap 'tests/storage/servers/radosgw.sh stop "$WORK/rgw" >/dev/null' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=JOURNEYKEY AWS_SECRET_ACCESS_KEY=journey-secret AWS_REGION=us-east-1
export LOGOSCOPE_CACHE_DIR=$WORK/cache
aws s3api create-bucket --bucket journey >/dev/null
aws s3 cp --quiet "$DATA/redbull_train.manifest" s3://journey/flickrlogos27/
aws s3 cp --quiet "$DATA/redbull_test.manifest" s3://journey/flickrlogos27/
aws s3 sync --quiet "$DATA/images" s3://journey/flickrlogos27/images/
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); cores: $(nproc); steps: $STEPS"
journey() {  # NAME DATA_ROOT OUT_ROOT
  local name=$1 data=$2 out=$3
  "$BIN" -q train --train "$data/redbull_train.manifest" --steps "$STEPS" --seed 0 --threads 2 --out "$out/model" >/dev/null
  # Exit 1 means "the inputs had problems" (the test manifest has a degenerate box): the evaluation
  # is still written.
  "$BIN" -q evaluate --model "$out/model" --test "$data/redbull_test.manifest" --out "$out/eval" --json \
    >"$WORK/$name-eval.json" || [ $? -eq 1 ]
  "$BIN" -q detect --model "$out/model" "$data/images" --out "$out/detections.jsonl"
}
journey local "$DATA" "$WORK/local"
journey s3 s3://journey/flickrlogos27 s3://journey/runs
aws s3 cp --quiet s3://journey/runs/detections.jsonl "$WORK/s3-detections.jsonl"
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
for name in ("local", "s3"):
    e = json.load(open(f"{work}/{name}-eval.json"))
    m = e.get("metrics", e)
    label = [l for l in m["labels"] if l["name"] == "RedBull"][0]
    print(f"{name:<6} F1 {label['f1']:.3f}  P {label['precision']:.3f}  R {label['recall']:.3f}  AP50 {label['ap50']:.3f}  "
          f"threshold {label['assumed_threshold']:.2f}")
local = [json.loads(l)["CustomLabels"] for l in open(f"{work}/local/detections.jsonl")]
remote = [json.loads(l)["CustomLabels"] for l in open(f"{work}/s3-detections.jsonl")]
print(f"detections: {sum(a == b for a, b in zip(local, remote))} of {len(local)} images identical ({len(remote)} in S3)")
PY
