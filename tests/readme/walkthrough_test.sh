#!/usr/bin/env bash
# Runs the README's walkthrough verbatim: the ```sh block that follows the line
# "<!-- walkthrough: run verbatim by tests/readme/walkthrough_test.sh -->", line by line, in an empty
# folder, with the built `logoscope` first on PATH. Fails when a command fails or the block is gone.
# Usage: walkthrough_test.sh README BIN_DIR WORK_DIR
set -euo pipefail
readme="$(realpath "$1")"; bin_dir="$(realpath "$2")"; work="$3"
block=$(awk '/<!-- walkthrough: run verbatim/ {found=1; next}
             found && /^```sh/ {inside=1; next}
             inside && /^```/ {exit}
             inside {print}' "$readme")
[ -n "$block" ] || { echo "no walkthrough block in $readme" >&2; exit 1; }
rm -rf "$work"; mkdir -p "$work"; cd "$work"
export PATH="$bin_dir:$PATH"
count=0
while IFS= read -r line; do
  command="${line%%#*}"                         # the comment after a command is for people
  [ -n "${command// /}" ] || continue
  echo "+ $command"
  bash -euo pipefail -c "$command"
  count=$((count + 1))
done <<< "$block"
echo "walkthrough: $count commands ran"
[ "$count" -ge 5 ]
