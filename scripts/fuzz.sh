#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, ASan and UBSan into build-fuzz/, and runs each
# for SECONDS (default 60) from its seed corpus (fuzz/corpus/TARGET, and for images the test
# suite's bad-input corpus). A crash, a leak, undefined behaviour or a timeout fails the run and
# leaves the input in build-fuzz/findings/TARGET/; a regression test in the normal suite should
# then read it (docs/fuzzing.md). The corpus each run grows stays in build-fuzz/corpus/.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET…]        (CI: scripts/fuzz.sh 15)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got \"$seconds\"" >&2; exit 2 ;; esac

scripts/setup.sh --test-deps >/dev/null   # clang (libFuzzer) comes with the test packages
BUILD=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOGOSCOPE_FUZZ=ON \
  -DLOGOSCOPE_BUILD_TESTS=OFF -DLOGOSCOPE_BUILD_BENCH=OFF >/dev/null
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(image manifest coco voc yolo predictions model_info sigv4 base64 aws_answers tfjs rekognition_request)
fi
cmake --build "$BUILD" -j"$(nproc)" --target fuzz_seed_images "${targets[@]/#/fuzz_}"

failed=()
for target in "${targets[@]}"; do
  corpus="$BUILD/corpus/$target"
  findings="$BUILD/findings/$target"
  mkdir -p "$corpus" "$findings"
  [ -d "fuzz/corpus/$target" ] && cp -n fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  [ "$target" = image ] && "$BUILD/fuzz/fuzz_seed_images" "$corpus"
  log="$BUILD/findings/$target.log"
  # -rss_limit_mb bounds a decoder's allocations, -timeout a slow input.
  if "$BUILD/fuzz/fuzz_$target" "$corpus" -max_total_time="$seconds" -timeout=10 \
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
