#!/usr/bin/env bash
# Fetches the brand marks logoscope pretrains on: the simple-icons npm package (CC0 SVG logos,
# docs/marks.md), pinned, into a git-ignored folder. Idempotent: returns at once when the pinned
# version is already there.
# Usage: scripts/fetch-marks.sh [DEST]        (default DEST: build/marks)
# Prints the icons folder (DEST/node_modules/simple-icons/icons) on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=16.37.0
DEST="${1:-build/marks}"
PACKAGE_DIR="$DEST/node_modules/simple-icons"

installed_version() {
  [ -f "$PACKAGE_DIR/package.json" ] || return 0
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$PACKAGE_DIR/package.json" | head -n 1
}

if [ "$(installed_version)" != "$VERSION" ] || [ ! -d "$PACKAGE_DIR/icons" ]; then
  command -v npm >/dev/null || { echo "fetch-marks: npm not found (Debian: apt-get install npm)" >&2; exit 2; }
  echo "fetch-marks: installing simple-icons@$VERSION into $DEST" >&2
  mkdir -p "$DEST"
  npm install --prefix "$DEST" --no-audit --no-fund --no-save --loglevel=error "simple-icons@$VERSION" >&2
  [ "$(installed_version)" = "$VERSION" ] || { echo "fetch-marks: simple-icons@$VERSION did not install" >&2; exit 1; }
fi
echo "$PACKAGE_DIR/icons"
