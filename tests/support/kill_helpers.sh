# Shell helpers of the kill tests (tests/cli/kill_test.sh, tests/storage/kill_upload_test.sh);
# sourced, not run.

# Runs "$@" in the background and kills it with SIGKILL after SECONDS; returns once it is gone.
kill_after() {
  local seconds=$1 pid
  shift
  "$@" >/dev/null 2>&1 &
  pid=$!
  sleep "$seconds"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# SECONDS × FRACTION, rounded to 10 ms.
at() { python3 -c "print(round($1 * $2, 2))"; }

# 0 when FILE holds exactly N lines, each JSON, the last one ended (none cut short).
whole_jsonl() {
  python3 -c '
import json, sys
lines = open(sys.argv[1]).read().split("\n")
if lines[-1] != "": sys.exit(1)  # a last line cut short
sys.exit(0 if sum(1 for l in lines[:-1] if json.loads(l) is not None) == int(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}
