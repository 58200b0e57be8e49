#!/usr/bin/env bash
# The installed package works for a program outside this build: installs logoscope into a temporary
# prefix, checks that its library exports the public API only, builds examples/detect_bytes against
# it with find_package(logoscope), and checks that the example finds exactly what `logoscope
# detect` finds in the same images.
# Usage: example_test.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
source_dir=$1
build_dir=$2
work=$3
rm -rf "$work"
mkdir -p "$work"

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null

# The library exports the public API and nothing else (src/library/liblogoscope.map): every
# dynamic symbol it defines is a member of Model or Session, train_model, evaluate or
# error_code_name, and each of those is there.
library=$(ls "$work"/prefix/lib*/liblogoscope.so.*.*.* 2>/dev/null || ls "$work"/prefix/lib*/*/liblogoscope.so.*.*.*)
exported=$(nm -D --defined-only -C "$library" | awk '{ $1 = ""; $2 = ""; sub(/^  /, ""); print }' | grep -v '^LOGOSCOPE_0$')
if stray=$(grep -v -E '^logoscope::(Model::|Session::|train_model\(|evaluate\(|error_code_name\()' <<<"$exported"); then
  echo "FAIL liblogoscope.so exports symbols outside the public API:" >&2
  head -20 <<<"$stray" >&2
  exit 1
fi
for wanted in 'logoscope::Model::load(' 'logoscope::Model::check(' 'logoscope::Session::detect(' 'logoscope::Session::detect_files(' \
              'logoscope::train_model(' 'logoscope::evaluate(' 'logoscope::error_code_name('; do
  grep -qF "$wanted" <<<"$exported" || { echo "FAIL liblogoscope.so does not export $wanted" >&2; exit 1; }
done
echo "ok: liblogoscope.so exports $(wc -l <<<"$exported") symbols, all of the public API"
cmake -S "$source_dir/examples/detect_bytes" -B "$work/example" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/example" >/dev/null

"$work/prefix/bin/logoscope" demo --out "$work/demo" --images 8 --no-train --quiet
model="$source_dir/models/base"
checked=0
found_any=0
for image in "$work"/demo/images/synth_000{0,1,2}.jpg; do
  "$work/example/detect_bytes" "$model" "$image" 0 >"$work/example.txt"
  "$work/prefix/bin/logoscope" detect --model "$model" "$image" --min-confidence 0 --quiet >"$work/detect.jsonl"
  python3 - "$work/example.txt" "$work/detect.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
example = [line.split() for line in lines[1:]]
record = json.loads(open(sys.argv[2]).readline())
labels = record["CustomLabels"]
assert lines[0].startswith(f'{record["width"]}x{record["height"]}, {len(labels)} labels'), (lines[0], record)
assert len(example) == len(labels), (len(example), len(labels))
for mine, theirs in zip(example, labels):
    box = theirs["Geometry"]["BoundingBox"]
    expected = [theirs["Confidence"], box["Left"], box["Top"], box["Width"], box["Height"]]
    assert mine[0] == theirs["Name"], (mine, theirs)
    for got, want in zip(map(float, mine[1:]), expected):
        assert abs(got - want) < 2e-6, (mine, theirs)
PY
  checked=$((checked + 1))
  if [ "$(sed -n 1p "$work/example.txt" | awk '{print $2}')" != "0" ]; then found_any=1; fi
done
if [ "$found_any" != 1 ]; then
  echo "example_test: no image had a detection, so nothing was compared" >&2
  exit 1
fi
echo "example_test: $checked images, the installed library's example agrees with logoscope detect"
