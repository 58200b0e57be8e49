#!/usr/bin/env bash
# `logoscope detect` and `dataset validate` on s3:// against radosgw (fixture s3_servers): a wrong
# secret key and a clock 20 minutes off are refused with exit code 2 and a message naming the cause.
set -uo pipefail
BIN=$1
export AWS_ENDPOINT_URL=http://127.0.0.1:17480 AWS_ACCESS_KEY_ID=LOGOSCOPETEST AWS_REGION=us-east-1
export LOGOSCOPE_CACHE_MAX=0
failures=0
expect() {  # NAME WANTED_EXIT WANTED_TEXT COMMAND...
  local name=$1 code=$2 text=$3; shift 3
  local out; out=$("$@" 2>&1); local got=$?
  if [ "$got" -ne "$code" ] || ! grep -q -- "$text" <<<"$out"; then
    echo "FAIL $name: exit $got (wanted $code), output: $out"; failures=$((failures + 1))
  else
    echo "ok   $name: $(grep -m1 -- "$text" <<<"$out")"
  fi
}
AWS_SECRET_ACCESS_KEY=wrong expect wrong-secret 2 "SignatureDoesNotMatch" \
  "$BIN/logoscope" detect --any-logo s3://logoscope-test/none/
if command -v faketime >/dev/null; then
  AWS_SECRET_ACCESS_KEY=logoscope-test-secret expect clock-skew 2 "RequestTimeTooSkewed" \
    faketime -f "-20m" "$BIN/logoscope" detect --any-logo s3://logoscope-test/none/
else
  echo "FAIL clock-skew: faketime is not installed (scripts/setup.sh installs it)"; failures=$((failures + 1))
fi
AWS_SECRET_ACCESS_KEY=logoscope-test-secret expect missing-bucket 2 "does not exist" \
  "$BIN/logoscope" detect --any-logo s3://no-such-bucket-here/photos/
# A credentials problem with images named one by one (a manifest, a list) is said once, before
# the work, as a credentials problem, not as one unreadable image per line.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s\n' '{"source-ref": "s3://logoscope-test/a.jpg", "bounding-box": {"image_size": [{"width": 64, "height": 64, "depth": 3}], "annotations": [{"class_id": 0, "left": 1, "top": 1, "width": 20, "height": 20}]}, "bounding-box-metadata": {"class-map": {"0": "acme"}, "type": "groundtruth/object-detection"}}' >"$work/remote.manifest"
AWS_SECRET_ACCESS_KEY=wrong expect validate-credentials 2 "AWS credentials problem" \
  "$BIN/logoscope" dataset validate "$work/remote.manifest"
AWS_SECRET_ACCESS_KEY=wrong expect detect-credentials 2 "AWS credentials problem" \
  "$BIN/logoscope" detect --any-logo "$work/remote.manifest"
echo "$(( 5 - failures )) passed, $failures failed"
[ "$failures" -eq 0 ]
