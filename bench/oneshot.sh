#!/usr/bin/env bash
# One-shot against labeled photos on FlickrLogos-27, per brand (BENCHMARKS.md "One-shot").
#
# For each brand: a single-label protocol like `redbull` (test: all 269 test photos, the brand's
# boxes only, every other photo a negative), trained two ways with the same budget and seed:
#   one-shot  logoscope train --reference BRAND=<simple-icons SVG> --negatives <other brands' train photos>
#             (no FlickrLogos photo of the brand is used)
#   labeled   logoscope train --train <the brand's 20 train photos> --negatives <the same photos>
# and reports precision / recall / F1 at the assumed threshold and AP50 from model.json (the test
# evaluation `logoscope train --test` runs through the same predictor as `detect`).
#
# --dev: the development protocol for choosing settings, never the test split. One-shot uses no photo
# of the brand, so its 20 training photos are a clean check: test = the brand's training photos +
# every other (by file name) other-brand training photo; negatives = the remaining half. Only the
# one-shot kind runs.
#
# Usage: bench/oneshot.sh [--brands "RedBull Nike"|all] [--budget SECONDS] [--seed N] [--out DIR]
#                         [--only oneshot|labeled] [--icons DIR] [--steps N] [--dev]
#                         [--train-args "ARGS"]   (more `logoscope train` options, both kinds)
#                         [--extra-reference FILE]  (one-shot: another file for the brand's label;
#                                                    repeatable; with several brands, each gets it)
# Needs: build/bin/logoscope (or $LOGOSCOPE_BIN), the simple-icons package (scripts/fetch-marks.sh),
# the FlickrLogos-27 data under $LOGOSCOPE_BENCH_DATA (default ../shared/data), python3 (standard
# library only).
set -euo pipefail
cd "$(dirname "$0")/.."

BRANDS="RedBull"
BUDGET=300
SEED=0
OUT=bench-out/oneshot
ONLY=""
ICONS=""
STEPS=0
DEV=0
TRAIN_ARGS=""
EXTRA_REFS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --brands) BRANDS="$2"; shift 2 ;;
    --budget) BUDGET="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --icons) ICONS="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --dev) DEV=1; ONLY=oneshot; shift ;;
    --train-args) TRAIN_ARGS="$2"; shift 2 ;;
    --extra-reference) EXTRA_REFS+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "oneshot.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

DATA="${LOGOSCOPE_BENCH_DATA:-../shared/data}/flickrlogos27"
[ -f "$DATA/train.manifest" ] || { echo "oneshot.sh: no FlickrLogos-27 data at $DATA (set LOGOSCOPE_BENCH_DATA)" >&2; exit 2; }
[ -n "$ICONS" ] || ICONS="$(scripts/fetch-marks.sh)"
LOGOSCOPE="${LOGOSCOPE_BIN:-build/bin/logoscope}"   # a copy keeps a long run safe from rebuilds
[ -x "$LOGOSCOPE" ] || { echo "oneshot.sh: build first ($LOGOSCOPE missing)" >&2; exit 2; }

# FlickrLogos-27 brands that simple-icons (16.37.0) draws: brand=slug.
declare -A SLUG=([Adidas]=adidas [Apple]=apple [BMW]=bmw [Citroen]=citroen [Cocacola]=cocacola [DHL]=dhl
                 [Fedex]=fedex [Ferrari]=ferrari [Ford]=ford [Google]=google [HP]=hp [Intel]=intel
                 [McDonalds]=mcdonalds [Mini]=mini [Nbc]=nbc [Nike]=nike [Porsche]=porsche [Puma]=puma
                 [RedBull]=redbull [Starbucks]=starbucks [Vodafone]=vodafone)
if [ "$BRANDS" = all ]; then BRANDS="$(printf '%s\n' "${!SLUG[@]}" | sort | tr '\n' ' ')"; fi

mkdir -p "$OUT"
echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores," \
     "$(grep -o 'avx512[a-z_0-9]*\|avx2\|amx[a-z_]*' /proc/cpuinfo | sort -u | tr '\n' ' ')" | tee "$OUT/machine.txt"

BUDGET_ARGS=(--time-budget "$BUDGET")
[ "$STEPS" -gt 0 ] && BUDGET_ARGS=(--steps "$STEPS")

for BRAND in $BRANDS; do
  slug="${SLUG[$BRAND]:-}"
  [ -n "$slug" ] || { echo "oneshot.sh: no simple-icons mark for $BRAND" >&2; exit 2; }
  W="$OUT/$BRAND"
  mkdir -p "$W"
  # The single-label protocol, with absolute image paths.
  python3 - "$DATA" "$BRAND" "$W" "$DEV" <<'EOF'
import json, os, sys
data, brand, out, dev = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
def rows(name):
    with open(os.path.join(data, name)) as f:
        return [json.loads(line) for line in f if line.strip()]
def single(row):
    classes = row["bounding-box-metadata"]["class-map"]
    keep = [a for a in row["bounding-box"]["annotations"] if classes[str(a["class_id"])] == brand]
    r = json.loads(json.dumps(row))
    r["source-ref"] = os.path.abspath(os.path.join(data, row["source-ref"]))
    r["bounding-box"]["annotations"] = [dict(a, class_id=0) for a in keep]
    r["bounding-box-metadata"]["objects"] = [{"confidence": 1} for _ in keep]
    r["bounding-box-metadata"]["class-map"] = {"0": brand}
    return r, len(keep)
train, test = rows("train.manifest"), rows("test.manifest")
if dev:
    others = sorted((single(row)[0] for row in train if not single(row)[1]), key=lambda r: r["source-ref"])
    test = [row for row in train if single(row)[1]] + [r for i, r in enumerate(others) if i % 2 == 0]
    train = [r for i, r in enumerate(others) if i % 2 == 1]
with open(os.path.join(out, "train.manifest"), "w") as f, open(os.path.join(out, "negatives.txt"), "w") as n:
    for row in train:
        r, k = single(row)
        if k: f.write(json.dumps(r) + "\n")
        else: n.write(r["source-ref"] + "\n")
with open(os.path.join(out, "test.manifest"), "w") as f:
    for row in test:
        f.write(json.dumps(single(row)[0]) + "\n")
EOF
  for kind in oneshot labeled; do
    [ -z "$ONLY" ] || [ "$ONLY" = "$kind" ] || continue
    M="$W/$kind"
    rm -rf "$M"
    if [ "$kind" = oneshot ]; then
      SOURCE=(--reference "$BRAND=$ICONS/$slug.svg")
      for extra in "${EXTRA_REFS[@]}"; do SOURCE+=(--reference "$BRAND=$extra"); done
    else
      SOURCE=(--train "$W/train.manifest")
    fi
    start=$(date +%s)
    "$LOGOSCOPE" --quiet train "${SOURCE[@]}" --negatives "$W/negatives.txt" --test "$W/test.manifest" \
      --out "$M" --seed "$SEED" "${BUDGET_ARGS[@]}" $TRAIN_ARGS > "$W/$kind.log" 2>&1 ||
      { echo "oneshot.sh: $BRAND $kind failed (see $W/$kind.log)" >&2; tail -5 "$W/$kind.log" >&2; exit 1; }
    end=$(date +%s)
    python3 - "$M/model.json" "$BRAND" "$kind" "$((end - start))" <<'EOF' | tee -a "$OUT/results.jsonl"
import json, sys
info = json.load(open(sys.argv[1]))
m = info["metrics"]
label = next(l for l in m["labels"] if l["name"] == sys.argv[2])
print(json.dumps({"brand": sys.argv[2], "kind": sys.argv[3], "f1": round(label["f1"], 3),
                  "precision": round(label["precision"], 3), "recall": round(label["recall"], 3),
                  "ap50": round(label["ap50"], 3), "test_boxes": label["ground_truth"],
                  "threshold": round(label["assumed_threshold"], 3),
                  "steps": info["training"]["steps"], "wall_s": int(sys.argv[4])}))
EOF
  done
done

python3 - "$OUT/results.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows: by.setdefault(r["brand"], {})[r["kind"]] = r   # the latest run of each wins
print("\n| brand | test boxes | one-shot F1 (P / R) | one-shot AP50 | 20 labeled F1 (P / R) | 20 labeled AP50 |")
print("|---|---|---|---|---|---|")
def cell(r, key):
    if r is None: return "–"
    return f"{r['f1']:.3f} ({r['precision']:.2f} / {r['recall']:.2f})" if key == "f1" else f"{r['ap50']:.3f}"
for brand in sorted(by):
    o, l = by[brand].get("oneshot"), by[brand].get("labeled")
    boxes = (o or l)["test_boxes"]
    print(f"| {brand} | {boxes} | {cell(o,'f1')} | {cell(o,'ap50')} | {cell(l,'f1')} | {cell(l,'ap50')} |")
EOF
