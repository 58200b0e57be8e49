#!/usr/bin/env bash
# Builds and runs the test suites.
# Usage: scripts/test.sh            fast tier (unit + integration), in build/
#        scripts/test.sh --slow     every tier, slow included (learnability, full demo)
#        scripts/test.sh --sanitize the unit tier under ASan + UBSan, in build-asan/ (libtorch-free
#                                   suites only: libtorch itself is not built with sanitizers)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=build
LABELS="unit|integration"
EXTRA=()
TARGETS=()
EXCLUDE=()
for arg in "$@"; do
  case "$arg" in
    --slow) LABELS="unit|integration|slow" ;;
    --sanitize)
      BUILD_DIR=build-asan
      LABELS="unit"
      EXTRA=(-DCMAKE_BUILD_TYPE=Debug -DLOGOSCOPE_SANITIZE_ADDRESS=ON -DLOGOSCOPE_SANITIZE_UNDEFINED=ON)
      TARGETS=(--target test_core test_imageio test_dataset test_eval test_infer test_model test_report test_marks
               test_pretrained test_http test_library_boundary test_server_protocol test_storage test_storage_credentials test_ui_project
               test_video_tracking test_labeling)
      EXCLUDE=(-LE libtorch) ;;
    *) echo "test.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

# What the suites need besides the program's own packages (idempotent; quick when present).
scripts/setup.sh --test-deps

# The NanoDet-g conversion test compares with golden outputs and needs the weights: fetched once
# (idempotent), and required, so that a missing file fails instead of skipping.
scripts/fetch-pretrained.sh
export LOGOSCOPE_REQUIRE_PRETRAINED=1
# The browser test of the web UI runs, never skips (setup.sh installs its node modules).
export LOGOSCOPE_REQUIRE_BROWSER=1
# The Slurm array-job test runs as root (a one-node cluster); there it must run, not skip.
if [ "$(id -u)" -eq 0 ]; then export LOGOSCOPE_REQUIRE_SLURM=1; fi
export LOGOSCOPE_REQUIRE_HAPROXY=1  # setup.sh --test-deps installs it

cmake -S . -B "$BUILD_DIR" -G Ninja -DLOGOSCOPE_FATAL_WARNINGS=ON -DLOGOSCOPE_BUILD_TESTS=ON -DLOGOSCOPE_BUILD_BENCH=ON \
  "${EXTRA[@]}" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" "${TARGETS[@]}"
ctest --test-dir "$BUILD_DIR" -L "$LABELS" "${EXCLUDE[@]}" --output-on-failure -j"$(nproc)"
