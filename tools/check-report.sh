#!/usr/bin/env bash
# Opens an evaluation report in headless Chromium and checks that every gallery thumbnail decodes
# (the page's load script counts them into <body data-gallery-images-loaded="N"
# data-gallery-images="M">), then takes a screenshot.
# Usage: tools/check-report.sh REPORT.html OUT_DIR [WINDOW_HEIGHT]
#   writes OUT_DIR/dom.html and OUT_DIR/report.png; exit 0 when all thumbnails loaded.
# Needs Chromium (scripts/setup.sh installs the Debian package).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 REPORT.html OUT_DIR [WINDOW_HEIGHT]" >&2
  exit 2
fi
report=$1
out=$2
height=${3:-2400}

fail() {
  echo "check-report: FAIL: $*" >&2
  exit 1
}

[ -s "$report" ] || fail "$report does not exist or is empty"
browser=""
for candidate in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
    browser=$candidate
    break
  fi
done
[ -n "$browser" ] || fail "Chromium is not installed (apt-get install chromium, or run scripts/setup.sh)"
mkdir -p "$out"

profiles=()
cleanup() { rm -rf "${profiles[@]}"; }
trap cleanup EXIT

run_chromium() {
  local profile
  profile=$(mktemp -d)
  profiles+=("$profile")
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$profile" --virtual-time-budget=10000 "$@"
}

url="file://$(realpath "$report")"
run_chromium --dump-dom "$url" >"$out/dom.html" 2>"$out/chromium-dom.log" ||
  fail "chromium --dump-dom failed: $(tail -20 "$out/chromium-dom.log")"
body=$(grep -o '<body[^>]*>' "$out/dom.html" | head -1 || true)
total=$(sed -n 's/.*data-gallery-images="\([0-9]*\)".*/\1/p' <<<"$body")
loaded=$(sed -n 's/.*data-gallery-images-loaded="\([0-9]*\)".*/\1/p' <<<"$body")
[ -n "$total" ] && [ -n "$loaded" ] || fail "the load script did not run: body is '$body' (see $out/dom.html)"
[ "$total" -gt 0 ] || fail "the report has no gallery images"
[ "$loaded" -eq "$total" ] || fail "$loaded of $total gallery images loaded"
echo "check-report: $loaded of $total gallery images loaded"

png="$out/report.png"
run_chromium --screenshot="$png" --window-size="1280,$height" "$url" \
  >"$out/chromium-screenshot.log" 2>&1 || fail "chromium --screenshot failed: $(tail -20 "$out/chromium-screenshot.log")"
[ -f "$png" ] || fail "no screenshot at $png"
size=$(stat -c %s "$png")
[ "$size" -gt 10240 ] || fail "the screenshot $png is only $size bytes"
echo "check-report: $png ($size bytes)"
