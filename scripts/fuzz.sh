#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, ASan and UBSan into build-fuzz/, and runs each
# for SECONDS (default 60) from its seed corpus (fuzz/corpus/TARGET, and for images the test
# suite's bad-input corpus). A crash, a leak, undefined behaviour or a timeout fails the run and
# leaves the input in build-fuzz/findings/TARGET/; a regression test in the normal suite should
# then read it (docs/fuzzing.md). The corpus each run grows stays in build-fuzz/corpus/.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET…]        (CI: scripts/fuzz.sh 15)
#        scripts/fuzz.sh --build-only [TARGET…]       (builds; scripts/fuzz_campaign.py runs them)
# A longer campaign with CPU time per target kept in a ledger: scripts/fuzz_campaign.py.
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=0
if [ "${1:-}" = --build-only ]; then build_only=1; set -- 0 "${@:2}"; fi
seconds=${1:-60}
shift || true
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got \"$seconds\"" >&2; exit 2 ;; esac

BUILD=build-fuzz
targets=("$@")
if ((${#targets[@]} == 0)); then
  # Every target fuzz/CMakeLists.txt declares.
  read -r -a targets < <(sed -n 's/^set(LOGOSCOPE_FUZZ_TARGETS \(.*\))$/\1/p' fuzz/CMakeLists.txt)
fi
# LOGOSCOPE_FUZZ_PREBUILT=1: the campaign (fuzz_campaign.py) has built the targets already.
# LOGOSCOPE_FUZZ_TIMEOUT: seconds (wall time) one input may take, default 10.
if [ "${LOGOSCOPE_FUZZ_PREBUILT:-0}" != 1 ]; then
  scripts/setup.sh --test-deps >/dev/null   # clang (libFuzzer) comes with the test packages
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOGOSCOPE_FUZZ=ON \
    -DLOGOSCOPE_BUILD_TESTS=OFF -DLOGOSCOPE_BUILD_BENCH=OFF >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target fuzz_seed_images "${targets[@]/#/fuzz_}"
fi
((build_only)) && exit 0

failed=()
for target in "${targets[@]}"; do
  corpus="$BUILD/corpus/$target"
  findings="$BUILD/findings/$target"
  mkdir -p "$corpus" "$findings"
  [ -d "fuzz/corpus/$target" ] && cp -n fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  [ "$target" = image ] && "$BUILD/fuzz/fuzz_seed_images" "$corpus"
  log="$BUILD/findings/$target.log"
  # -rss_limit_mb bounds a decoder's allocations, -timeout a slow input.
  if "$BUILD/fuzz/fuzz_$target" "$corpus" -max_total_time="$seconds" -timeout="${LOGOSCOPE_FUZZ_TIMEOUT:-10}" \
       -rss_limit_mb=2560 -malloc_limit_mb=2560 -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz $target: ${seconds} s, $runs inputs, corpus $(ls "$corpus" | wc -l) files, nothing found"
  else
    echo "fuzz $target: FOUND a problem (log: $log; input in $findings/):" >&2
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -8 >&2 || tail -20 "$log" >&2
    failed+=("$target")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz.sh: problems found by: ${failed[*]}" >&2
  exit 1
fi
