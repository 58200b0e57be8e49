#!/usr/bin/env bash
# Load benchmark of `logoscope serve`: Rekognition DetectCustomLabels requests from wrk at several
# client counts, against the throughput of `logoscope detect` on the same images and machine.
#
# Usage: bench/serve_load.sh [--model DIR] [--images DIR] [--num-images N] [--duration 20]
#                            [--clients "1 4 16 64"] [--serve-args "--workers 2 ..."] [--work DIR]
#   --model       the model to serve (default: models/base)
#   --images      a folder of JPEGs (default: the FlickrLogos-27 test photos, long side <= 500 px, from
#                 $LOGOSCOPE_BENCH_DATA/flickrlogos27, LOGOSCOPE_BENCH_DATA defaulting to ../shared/data)
#   --num-images  how many of them to rotate through (default 32; taken in name order)
#   --duration    seconds of load per client count (default 20)
#   --clients     client counts; each runs wrk with that many connections and 1-2 threads
#   --serve-args  more options for `logoscope serve` (default none: its own defaults)
#   --work        folder for logs and profiles (default: a temporary one, removed at the end)
#
# Prints the CPU, the baseline (`logoscope detect ... --profile-json`: images/s), then one table:
#   clients | req/s | p50 ms | p99 ms | non-200 by status | % of detect throughput
# req/s counts the answers with status 200; the % compares it with the baseline's images/s
# (`logoscope detect` on the same images, three times over, with --threads = the cores).
# wrk's own timeout is 10 s (a request slower than that counts as a socket timeout, not a latency).
# Installs wrk (Debian package) when it is missing. Only one benchmark runs at a time on a machine
# (a lock in /tmp): two at once would share the cores and measure each other.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
logoscope="$repo/build/bin/logoscope"
lua_script="$repo/bench/serve/post_image.lua"

model="$repo/models/base"
images_dir=""
num_images=32
duration=20
clients="1 4 16 64"
serve_args=""
work=""

die() { echo "serve_load: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="${2:?--model needs a folder}"; shift 2 ;;
    --images) images_dir="${2:?--images needs a folder}"; shift 2 ;;
    --num-images) num_images="${2:?}"; shift 2 ;;
    --duration) duration="${2:?}"; shift 2 ;;
    --clients) clients="${2:?}"; shift 2 ;;
    --serve-args) serve_args="${2:-}"; shift 2 ;;
    --work) work="${2:?}"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
# is_count TEXT: a whole number > 0.
is_count() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }
is_count "$duration" || die "--duration must be a whole number of seconds > 0"
is_count "$num_images" || die "--num-images must be a whole number > 0"
[ -n "${clients// /}" ] || die "--clients needs at least one client count"
for n in $clients; do is_count "$n" || die "--clients must be whole numbers > 0, not '$n'"; done
[ -x "$logoscope" ] || die "no $logoscope: build first (scripts/setup.sh, or cmake --build build)"
[ -d "$model" ] || die "--model $model: not a folder"
model="$(realpath "$model")"

# ---- tools -----------------------------------------------------------------------------------------

if ! command -v wrk > /dev/null; then
  echo "serve_load: installing wrk (Debian package)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get install -y wrk > /dev/null || { $sudo apt-get update > /dev/null && $sudo apt-get install -y wrk > /dev/null; }
fi
command -v curl > /dev/null || die "curl is needed (apt-get install curl)"
command -v python3 > /dev/null || die "python3 is needed"

# ---- one benchmark at a time -------------------------------------------------------------------------

exec 9> "${TMPDIR:-/tmp}/logoscope-bench.lock"
flock -n 9 || die "another benchmark holds ${TMPDIR:-/tmp}/logoscope-bench.lock; run one at a time"

# ---- the images --------------------------------------------------------------------------------------

if [ -z "$images_dir" ]; then
  data="${LOGOSCOPE_BENCH_DATA:-$repo/../shared/data}/flickrlogos27"
  [ -f "$data/test.txt" ] || die "no $data/test.txt (FlickrLogos-27; set LOGOSCOPE_BENCH_DATA or give --images)"
  # test.txt: the test split, one file name of images/ per line (the README of that folder).
  mapfile -t images < <(sed 's/\r$//' "$data/test.txt" | grep -v '^$' | sort | head -n "$num_images" \
                        | sed "s|^|$(realpath "$data")/images/|")
else
  [ -d "$images_dir" ] || die "--images $images_dir: not a folder"
  mapfile -t images < <(find "$(realpath "$images_dir")" -maxdepth 1 -type f \( -iname '*.jpg' -o -iname '*.jpeg' \) \
                        | sort | head -n "$num_images")
fi
[ "${#images[@]}" -gt 0 ] || die "no JPEG images found"
for image in "${images[@]}"; do [ -f "$image" ] || die "missing image $image"; done

if [ -z "$work" ]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/serve_load.XXXXXX")"
  remove_work=1
else
  mkdir -p "$work"
  work="$(realpath "$work")"
  remove_work=0
fi

server_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ "$remove_work" = 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- the machine ---------------------------------------------------------------------------------

cpu="$(grep -m1 'model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//')"
flags="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512.*|amx.*)$' | sort | tr '\n' ' ')"
echo "CPU: $cpu ($(nproc) cores available)"
echo "CPU flags: ${flags:-no AVX2/AVX-512}"
total_bytes=$(cat "${images[@]}" | wc -c)
echo "images: ${#images[@]} JPEGs, $((total_bytes / ${#images[@]} / 1024)) KiB on average ($(dirname "${images[0]}"))"
echo "model: $model"
# How busy the cores are now (1 s of /proc/stat; the load average lags by a minute).
busy_cores() {
  local a b
  a="$(grep -m1 '^cpu ' /proc/stat)"; sleep 1; b="$(grep -m1 '^cpu ' /proc/stat)"
  awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {
    split(a, x); split(b, y); total = 0; idle = (y[5] - x[5]) + (y[6] - x[6])
    for (i = 2; i <= 11; i++) total += y[i] - x[i]
    printf "%.2f", (total > 0 ? n * (1 - idle / total) : 0) }'
}
busy="$(busy_cores)"
echo "cores busy before the run: $busy of $(nproc)"
if awk -v b="$busy" 'BEGIN { exit !(b > 0.3) }'; then
  echo "WARNING: the machine is not idle: the numbers will be low and noisy (see top)"
fi
echo

# ---- baseline: logoscope detect on the same images --------------------------------------------------

# The images three times over (a few seconds of work, steadier than one pass). --threads: all the
# cores, as the server's workers use; detect's default (0) would take only the cores that other work
# leaves free at that moment, so the baseline would depend on what else runs. --overwrite: detect
# refuses an existing --out, /dev/null included.
echo "baseline: logoscope detect --model MODEL IMAGES(x3) --threads $(nproc) --out /dev/null --profile-json F"
"$logoscope" detect --model "$model" "${images[@]}" "${images[@]}" "${images[@]}" --threads "$(nproc)" \
  --out /dev/null --overwrite --profile-json "$work/detect_profile.json" > "$work/detect.log" 2>&1 \
  || { cat "$work/detect.log" >&2; die "logoscope detect failed"; }
detect_ips="$(python3 -c 'import json, sys; print("%.3f" % json.load(open(sys.argv[1]))["images_per_s"])' \
  "$work/detect_profile.json")"
echo "baseline: $detect_ips images/s"
echo

# ---- the server --------------------------------------------------------------------------------------

# shellcheck disable=SC2086  # --serve-args is split into words on purpose
"$logoscope" serve --model "$model" --port 0 --port-file "$work/port" $serve_args > "$work/serve.log" 2>&1 &
server_pid=$!
deadline=$((SECONDS + 180))
until [ -s "$work/port" ] \
      && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$(cat "$work/port")/health" || true)" = 200 ]; do
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/serve.log" >&2; die "logoscope serve exited"; fi
  [ "$SECONDS" -lt "$deadline" ] || { cat "$work/serve.log" >&2; die "logoscope serve not healthy within 180 s"; }
  sleep 0.2
done
endpoint="http://127.0.0.1:$(tr -d '[:space:]' < "$work/port")"
curl -sf --max-time 10 "$endpoint/v1/models" > "$work/models.json"
version_arn="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["models"][0]["version_arn"])' \
  "$work/models.json")"
echo "server: $endpoint, $(grep -m1 -o 'listening on.*' "$work/serve.log" | sed 's/; loading.*//')"
echo "model version: $version_arn"

# A warm-up request: the first detection of a worker may be slower (allocations).
python3 - "$endpoint" "$version_arn" "${images[0]}" <<'EOF' || die "a warm-up DetectCustomLabels request failed"
import base64, json, sys, urllib.request
endpoint, arn, image = sys.argv[1:4]
body = json.dumps({"ProjectVersionArn": arn, "Image": {"Bytes": base64.b64encode(open(image, "rb").read()).decode()}})
request = urllib.request.Request(endpoint + "/", data=body.encode(), method="POST", headers={
    "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "RekognitionService.DetectCustomLabels"})
with urllib.request.urlopen(request, timeout=60) as answer:
    assert answer.status == 200 and "CustomLabels" in json.load(answer)
EOF
echo

# ---- wrk at each client count -----------------------------------------------------------------------

rows=()
for n in $clients; do
  threads=$(( n >= 2 ? 2 : 1 ))
  echo "wrk: $n clients ($threads threads), ${duration} s"
  wrk -t "$threads" -c "$n" -d "${duration}s" --timeout 10s -s "$lua_script" "$endpoint/" -- \
    "$version_arn" "${images[@]}" > "$work/wrk_$n.txt" 2>&1 || { cat "$work/wrk_$n.txt" >&2; die "wrk failed"; }
  grep -E '^(requests|non-200)' "$work/wrk_$n.txt" | sed 's/^/  /'
  result="$(grep '^RESULT ' "$work/wrk_$n.txt" || true)"
  [ -n "$result" ] || { cat "$work/wrk_$n.txt" >&2; die "no RESULT line from the Lua script"; }
  rows+=("$n $result")
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/serve.log" >&2; die "the server died under load"; fi
done

# ---- the table ------------------------------------------------------------------------------------

echo
python3 - "$detect_ips" "${rows[@]}" <<'EOF'
import sys
baseline = float(sys.argv[1])
print(f"{'clients':>7} | {'req/s':>7} | {'p50 ms':>8} | {'p99 ms':>8} | {'non-200 by status':<24} | % of detect throughput")
print(f"{'-' * 7}-+-{'-' * 7}-+-{'-' * 8}-+-{'-' * 8}-+-{'-' * 24}-+-{'-' * 22}")
for row in sys.argv[2:]:
    clients, _, fields = row.split(" ", 2)
    values = dict(field.split("=", 1) for field in fields.split())
    non200 = values["non200"]
    timeouts = values["socket"].split("timeout:")[1]
    socket_errors = sum(int(part.split(":")[1]) for part in values["socket"].split(","))
    if socket_errors:
        extra = f"socket errors {socket_errors} (timeouts {timeouts})"
        non200 = extra if non200 == "none" else f"{non200}; {extra}"
    ok_rps = float(values["ok_rps"])
    share = f"{100 * ok_rps / baseline:.0f} %" if baseline > 0 else "-"
    print(f"{clients:>7} | {ok_rps:>7.2f} | {float(values['p50_ms']):>8.1f} | {float(values['p99_ms']):>8.1f} | "
          f"{non200:<24} | {share}")
print(f"\nbaseline: logoscope detect, {baseline:.2f} images/s; req/s counts 200 answers; "
      "latency percentiles are over every answer")
EOF
