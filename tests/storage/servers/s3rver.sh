#!/usr/bin/env bash
# Start/stop s3rver (npm, pinned in s3rver/package-lock.json; scripts/setup.sh installs it) on
# 127.0.0.1 for the storage tests. s3rver speaks the S3 protocol but does not check signatures:
# the signature tests use radosgw.sh.
#
#   s3rver.sh start DATA_DIR PORT      (returns once the server answers)
#   s3rver.sh stop  DATA_DIR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DATA_DIR PORT | stop DATA_DIR" >&2; exit 2; }
case "$cmd" in
  start)
    port=${3:?port}
    main="$HERE/s3rver/node_modules/s3rver/bin/s3rver.js"
    [ -f "$main" ] || { echo "s3rver.sh: $main missing: run scripts/setup.sh (npm ci in $HERE/s3rver)" >&2; exit 1; }
    "$0" stop "$dir" >/dev/null 2>&1 || true
    rm -rf "$dir"; mkdir -p "$dir/data"
    nohup node "$main" -d "$dir/data" -a 127.0.0.1 -p "$port" --silent --no-vhost-buckets >"$dir/log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 1 100); do
      if curl -s -o /dev/null "http://127.0.0.1:$port/"; then echo "s3rver.sh: s3rver ready at http://127.0.0.1:$port"; exit 0; fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || { echo "s3rver.sh: s3rver exited:" >&2; tail -20 "$dir/log" >&2; exit 1; }
      sleep 0.1
    done
    echo "s3rver.sh: s3rver did not answer on port $port within 10 s" >&2; tail -20 "$dir/log" >&2; exit 1 ;;
  stop)
    [ -f "$dir/pid" ] || exit 0
    pid=$(cat "$dir/pid"); rm -f "$dir/pid"
    if kill -0 "$pid" 2>/dev/null && grep -q s3rver "/proc/$pid/cmdline" 2>/dev/null; then kill "$pid"; fi
    exit 0 ;;
  *) echo "usage: $0 start DATA_DIR PORT | stop DATA_DIR" >&2; exit 2 ;;
esac
