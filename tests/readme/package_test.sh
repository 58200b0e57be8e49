#!/usr/bin/env bash
# The Debian package installs a working logoscope: cpack builds the .deb from this build, its
# control fields name the libraries it needs, and the program unpacked from it (with nothing from
# the clone) finds its base models and detects.
# Usage: package_test.sh BUILD_DIR WORK_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
WORK=$2
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"

cpack --config "$BUILD/CPackConfig.cmake" -B "$WORK/out" >cpack.log 2>&1 || { cat cpack.log; exit 1; }
deb=$(ls out/logoscope_*.deb)
echo "built $deb ($(du -h "$deb" | cut -f1))"

fields=$(dpkg-deb -f "$deb" Package Version Architecture Depends)
echo "$fields"
grep -q '^Package: logoscope$' <<<"$fields"
grep -q 'libtorch' <<<"$fields" || { echo "Depends names no libtorch package"; exit 1; }
grep -q 'libopencv' <<<"$fields" || { echo "Depends names no OpenCV package"; exit 1; }

contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/logoscope ./usr/share/logoscope/models/base/weights.pt \
            ./usr/share/logoscope/models/base/model.json ./usr/include/logoscope/detect.hpp; do
  grep -q " $path\$" <<<"$contents" || { echo "the package lacks $path"; exit 1; }
done

# Unpacked anywhere, the program finds the base models beside it (../share/logoscope/models).
dpkg-deb -x "$deb" root
export LD_LIBRARY_PATH="$WORK/root/usr/lib/x86_64-linux-gnu:$WORK/root/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
root/usr/bin/logoscope --help >/dev/null
root/usr/bin/logoscope demo --no-train --images 8 --out demo --quiet >/dev/null
root/usr/bin/logoscope detect --any-logo demo/images/synth_0000.jpg --min-confidence 0 --out found.jsonl --quiet
grep -q '"CustomLabels"' found.jsonl
echo "package test: the unpacked program detected with its own base model"
