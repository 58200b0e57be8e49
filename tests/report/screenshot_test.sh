#!/usr/bin/env bash
# Opens the sample HTML report in headless Chromium: every gallery thumbnail must decode (the
# page's load script counts them into <body data-gallery-images-loaded="N" data-gallery-images="M">),
# and a full-page screenshot must come out.
# Usage: screenshot_test.sh TEST_REPORT_BINARY OUT_DIR
#   writes OUT_DIR/report.html (+ images/), OUT_DIR/dom.html and OUT_DIR/report.png.
# The browser part is tools/check-report.sh (also used on real reports). Chromium is required
# (scripts/setup.sh installs the Debian package): without it the test fails.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 TEST_REPORT_BINARY OUT_DIR" >&2
  exit 2
fi
binary=$1
out=$2

fail() {
  echo "screenshot_test: FAIL: $*" >&2
  exit 1
}

rm -rf "$out"
mkdir -p "$out"
LOGOSCOPE_REPORT_OUT="$out" "$binary" --gtest_filter='ReportSample.*' >"$out/generate.log" 2>&1 ||
  fail "generating the sample report failed: $(tail -20 "$out/generate.log")"
report="$out/report.html"
[ -s "$report" ] || fail "$report was not written"

"$(dirname "$0")/../../tools/check-report.sh" "$report" "$out"
