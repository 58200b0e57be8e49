#!/usr/bin/env bash
# The S3 servers the storage tests run against (CTest fixture "s3_servers", tests/CMakeLists.txt):
#   s3rver   on 127.0.0.1:17481, bucket logoscope-test (no signature checks)
#   a fault-injecting proxy in front of it on 127.0.0.1:17482 (fault_proxy.py)
#   radosgw  on 127.0.0.1:17480, bucket logoscope-test (checks SigV4, refuses clock skew)
# Keys: s3rver S3RVER/S3RVER; radosgw LOGOSCOPETEST/logoscope-test-secret.
#
#   test_servers.sh start DIR | stop DIR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

stop_all() {
  "$HERE/s3rver.sh" stop "$dir/s3rver" || true
  if [ -f "$dir/proxy.pid" ]; then kill "$(cat "$dir/proxy.pid")" 2>/dev/null || true; rm -f "$dir/proxy.pid"; fi
  "$HERE/radosgw.sh" stop "$dir/radosgw" || true
}

make_bucket() {  # ENDPOINT KEY SECRET
  AWS_ACCESS_KEY_ID=$2 AWS_SECRET_ACCESS_KEY=$3 AWS_DEFAULT_REGION=us-east-1 \
    aws --endpoint-url "$1" s3api create-bucket --bucket logoscope-test >/dev/null
}

case "$cmd" in
  start)
    stop_all
    rm -rf "$dir"; mkdir -p "$dir"
    "$HERE/s3rver.sh" start "$dir/s3rver" 17481
    nohup python3 "$HERE/fault_proxy.py" 17482 17481 >"$dir/proxy.log" 2>&1 &
    echo $! >"$dir/proxy.pid"
    "$HERE/radosgw.sh" start "$dir/radosgw" 17480 LOGOSCOPETEST logoscope-test-secret
    make_bucket http://127.0.0.1:17481 S3RVER S3RVER
    make_bucket http://127.0.0.1:17480 LOGOSCOPETEST logoscope-test-secret
    for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:17482/__faults__?mode=none" && break; sleep 0.1; done
    echo "test_servers.sh: s3rver :17481, fault proxy :17482, radosgw :17480 ready" ;;
  stop) stop_all ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
