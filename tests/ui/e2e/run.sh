#!/bin/sh
# End-to-end test of `logoscope ui` in headless Chromium (called by CTest).
# Usage: run.sh LOGOSCOPE_BIN WORK_DIR [SCREENSHOT_DIR]
# Exit codes: 0 passed, 1 failed, 77 skipped (node, its modules or Chromium missing); with
# LOGOSCOPE_REQUIRE_BROWSER=1 (scripts/test.sh sets it) a missing piece fails instead of skipping.
set -eu
missing() {
  if [ "${LOGOSCOPE_REQUIRE_BROWSER:-0}" = 1 ]; then exit 1; fi
  exit 77
}
if [ $# -lt 2 ]; then
  echo "usage: $0 LOGOSCOPE_BIN WORK_DIR [SCREENSHOT_DIR]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$2
shots=${3:-}

if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: node is not installed (apt-get install nodejs npm)" >&2
  missing
fi
if [ ! -d "$here/node_modules/puppeteer-core" ]; then
  echo "SKIPPED: the test's node modules are missing; install them with:" >&2
  echo "  (cd $here && npm ci)    # scripts/setup.sh does this" >&2
  missing
fi
chromium=${CHROMIUM:-}
if [ -z "$chromium" ]; then
  for c in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
    if [ -x "$c" ]; then chromium=$c; break; fi
  done
fi
if [ -z "$chromium" ]; then
  echo "SKIPPED: no Chromium found (apt-get install chromium, or set CHROMIUM=/path/to/browser)" >&2
  missing
fi

mkdir -p "$work"
cd "$here"
LOGOSCOPE_BIN=$bin WORK=$work SHOTS=$shots CHROMIUM=$chromium exec node ui_e2e.mjs
