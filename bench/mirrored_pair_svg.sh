#!/usr/bin/env bash
# Writes, on stdout, an SVG that draws a single-path icon twice: as it is and mirrored about the
# vertical line x = AXIS (in the icon's own viewBox units), filled with COLOUR. This is the kind of
# file a user makes in a minute from a brand's icon when the logo in photos is a symmetric pair of
# it; BENCHMARKS.md "One-shot" uses it to draw simple-icons' Red Bull mark as the two bulls facing
# each other before one sun (AXIS 17.8: the mirrored sun lands on the original's), and measures it
# as its own row, next to the mark alone.
#
# Usage: bench/mirrored_pair_svg.sh ICON.svg AXIS COLOUR > pair.svg
#   e.g. bench/mirrored_pair_svg.sh "$(scripts/fetch-marks.sh)/redbull.svg" 17.8 '#DB0A40' > redbull-pair.svg
# The icon must be one <path d="…"/> in a square "0 0 S S" viewBox (as every simple-icons file is).
set -euo pipefail
[ $# -eq 3 ] || { sed -n '9,11p' "$0" >&2; exit 2; }
ICON="$1" AXIS="$2" COLOUR="$3"
python3 - "$ICON" "$AXIS" "$COLOUR" <<'EOF'
import re, sys
icon, axis, colour = sys.argv[1], float(sys.argv[2]), sys.argv[3]
text = open(icon, encoding="utf-8").read()
paths = re.findall(r'<path[^>]*\sd="([^"]+)"', text)
box = re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', text)
if len(paths) != 1 or not box or box.group(1) != box.group(2):
    sys.exit(f"mirrored_pair_svg.sh: {icon}: expected one <path d=...> in a square 0 0 S S viewBox")
side = float(box.group(1))
if not 0 < axis <= side:
    sys.exit(f"mirrored_pair_svg.sh: AXIS {axis} is outside the icon (0..{side})")
if not re.fullmatch(r"#[0-9A-Fa-f]{6}", colour):
    sys.exit(f"mirrored_pair_svg.sh: COLOUR {colour} is not #RRGGBB")
width = max(side, 2 * axis)
d = paths[0]
print(f'<svg viewBox="0 0 {width:g} {side:g}" xmlns="http://www.w3.org/2000/svg">'
      f'<path fill="{colour}" d="{d}"/>'
      f'<path fill="{colour}" transform="translate({2 * axis:g} 0) scale(-1 1)" d="{d}"/></svg>')
EOF
