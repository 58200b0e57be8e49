#!/usr/bin/env bash
# `kill -9` during an upload to S3 (s3rver of the CTest fixture s3_servers, behind its
# fault-injecting proxy): `detect --out s3://…` killed at 5 points leaves no object, or a whole
# one; killed during an --overwrite run, the earlier object stays as it was, or is replaced
# whole. The profile's s3 multipart_threshold (1KB here, as the AWS CLI reads it) makes the
# upload a multipart one, and the proxy holds one request of it for 3 s so that the kill lands
# exactly there: while the upload is started (POST ?uploads), while its part is sent (PUT), and
# while it is completed (the second POST); then at 0.5 and 0.9 of an uninterrupted run's time.
# Usage: kill_upload_test.sh BIN_DIR WORK_DIR
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
L="$1/logoscope"
WORK=$2
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK" || exit 1
PROXY=http://127.0.0.1:17482
export AWS_ENDPOINT_URL=$PROXY AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 \
  LOGOSCOPE_CACHE_DIR="$WORK/cache"
export AWS_CONFIG_FILE="$WORK/aws-config"
printf '[default]\ns3 =\n  multipart_threshold = 1KB\n  multipart_chunksize = 5MB\n' >"$AWS_CONFIG_FILE"
BUCKET=logoscope-test
KEY=kill-$$/out.jsonl
OUT=s3://$BUCKET/$KEY
failures=0
passed=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; passed=$((passed + 1)); }
# kill_after, at, whole_jsonl
source "$HERE/../support/kill_helpers.sh"
# The object's ETag, or "none" when there is no object.
etag() { aws s3api head-object --bucket "$BUCKET" --key "$KEY" --query ETag --output text 2>/dev/null || echo none; }
# 0 when the object holds exactly N JSON lines, none cut.
whole_object() { aws s3 cp --quiet "$OUT" fetched.jsonl && whole_jsonl fetched.jsonl "$1"; }

"$L" demo --no-train --images 20 --out data --quiet >/dev/null || { echo "demo failed"; exit 1; }
detect=(detect --any-logo data/images --out "$OUT" --quiet)
start=$(date +%s.%N)
"$L" "${detect[@]}" --overwrite >detect.log 2>&1 || { echo "FAIL detect to $OUT: $(tail -3 detect.log)"; exit 1; }
t=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
whole_object 20 && ok "an uninterrupted run uploaded 20 lines in $t s" || fail "the uninterrupted upload is not 20 lines"
aws s3 rm --quiet "$OUT"

# Kill point NAME: "METHOD AFTER" holds the (AFTER+1)-th request of that method for 3 s and kills
# 1 s into the hold; a number kills at that fraction of the uninterrupted run's time.
POINTS=("start:POST 0" "part:PUT 0" "complete:POST 1" "run-0.5:0.5" "run-0.9:0.9")
# Runs "$@" and kills it at the point; returns once it is gone.
kill_at_point() {
  local point=${1#*:} pid held
  shift
  if [[ $point == *" "* ]]; then
    curl -s -o /dev/null "$PROXY/__faults__?mode=slow&method=${point% *}&after=${point#* }&count=1"
    "$@" >/dev/null 2>&1 &
    pid=$!
    held=0
    # Until the request is held, or the run has ended (at most 10 minutes).
    for _ in $(seq 1 6000); do
      [ "$(curl -s "$PROXY/__faults__/count")" = 1 ] && { held=1; break; }
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    # The kill must land inside the held request, or this point tested nothing.
    ((held)) || fail "${1%%:*}: the upload never sent the request to hold (${point})"
    sleep 1
  else
    "$@" >/dev/null 2>&1 &
    pid=$!
    sleep "$(at "$t" "$point")"
  fi
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  sleep 3.5  # a held request the proxy forwards after the kill has landed
  curl -s -o /dev/null "$PROXY/__faults__?mode=none"
}

for point in "${POINTS[@]}"; do
  aws s3 rm --quiet "$OUT" 2>/dev/null
  kill_at_point "$point" "$L" "${detect[@]}"
  if [ "$(etag)" = none ]; then ok "detect --out s3:// killed at ${point%%:*}: no object"
  elif whole_object 20; then ok "detect --out s3:// killed at ${point%%:*}: the object is whole"
  else fail "detect --out s3:// killed at ${point%%:*} left a partial object"; fi
done

"$L" "${detect[@]}" --overwrite >/dev/null 2>&1 || fail "detect --overwrite to s3:// failed"
for point in "${POINTS[@]}"; do
  before=$(etag)
  kill_at_point "$point" "$L" "${detect[@]}" --overwrite
  after=$(etag)
  if [ "$after" = "$before" ]; then ok "detect --out s3:// --overwrite killed at ${point%%:*}: the earlier object as it was"
  elif [ "$after" != none ] && whole_object 20; then ok "detect --out s3:// --overwrite killed at ${point%%:*}: replaced whole"
  else fail "detect --out s3:// --overwrite killed at ${point%%:*}: the object is ${after}, not whole"; fi
done

# What a kill cannot clean up: a multipart upload started and never completed (the "part" kill
# leaves one). It is invisible to readers (and to `logoscope`) and costs storage until a lifecycle
# rule (AbortIncompleteMultipartUpload, docs/storage.md) removes it.
aws s3 rm --quiet --recursive "s3://$BUCKET/kill-$$/"

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
