#!/usr/bin/env bash
# int8 against float on the models of a `brands` benchmark run, with the independent evaluator.
#
#   bench/int8_brands.sh RUN_DIR OUT [BUILD_DIR]
#
# RUN_DIR is the --out of `logoscope-bench-flickrlogos --protocol brands` (one BRAND-seedS folder
# per run, each with model/, train.manifest, test.manifest and negatives.txt). For each run: the
# model gets an int8 calibration as `train` makes one (24 of its training photos, 8 negatives;
# models trained by this version already carry it), both precisions detect every test photo
# (scores ≥ 0.01, as evaluate uses), and `logoscope evaluate --predictions` scores each. Prints one
# row per run and the mean paired difference with its standard error; writes OUT/int8.json.
# Set ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 LOGOSCOPE_CPU_ISA=avx2 for the AVX2 kernels
# (oneDNN's int8 arithmetic differs there: it halves weights to avoid 16-bit overflow).
set -euo pipefail
run_dir=${1:?usage: bench/int8_brands.sh RUN_DIR OUT [BUILD_DIR]}
out=${2:?usage: bench/int8_brands.sh RUN_DIR OUT [BUILD_DIR]}
build=${3:-build}
bin="$build/bin"
mkdir -p "$out"
# Calibrated copies go to OUT/RUN/model: OUT must not be RUN_DIR, or they would replace the models.
if [ "$(realpath "$out")" = "$(realpath "$run_dir")" ]; then
  echo "int8_brands.sh: OUT must not be RUN_DIR (the calibrated copies would replace its models)" >&2
  exit 2
fi
rows="$out/rows.jsonl"
: >"$rows"
printf '%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') — $(nproc) cores — $(grep -o 'avx512[a-z_0-9]*\|avx2\|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')" |
  tee "$out/machine.txt"
echo "kernels: ${ONEDNN_MAX_CPU_ISA:-native}"
printf '%-22s %9s %9s %9s %9s %9s %9s\n' run "AP50 f32" "AP50 int8" "ΔAP50" "F1 f32" "F1 int8" "ΔF1"
for run in "$run_dir"/*-seed*/; do
  run=${run%/}
  name=$(basename "$run")
  [ -f "$run/model/model.json" ] || continue
  model="$out/$name/model"
  mkdir -p "$out/$name"
  if grep -q '"quantization"' "$run/model/model.json"; then
    model="$run/model"
  else
    "$bin/logoscope-bench-int8" --model "$run/model" --images "$run/train.manifest" \
      --negatives "$run/negatives.txt" --out "$model" >/dev/null
  fi
  for precision in float int8; do
    flag=()
    [ "$precision" = int8 ] && flag=(--int8)
    "$bin/logoscope" detect -q --model "$model" "$run/test.manifest" --min-confidence 1 "${flag[@]}" \
      --out "$out/$name/$precision.jsonl" --overwrite
    "$bin/logoscope" evaluate -q --predictions "$out/$name/$precision.jsonl" --ground-truth "$run/test.manifest" \
      --out "$out/$name/eval-$precision" --overwrite --json >"$out/$name/$precision.json"
  done
  python3 - "$out/$name" "$name" >>"$rows" <<'EOF'
import json, sys
folder, name = sys.argv[1], sys.argv[2]
def scores(precision):
    s = json.load(open(f"{folder}/{precision}.json"))
    label = s["metrics"]["labels"][0]
    return label["ap50"], label["f1"]
f_ap, f_f1 = scores("float")
i_ap, i_f1 = scores("int8")
print(json.dumps({"run": name, "ap50_float": f_ap, "ap50_int8": i_ap, "f1_float": f_f1, "f1_int8": i_f1}))
EOF
  tail -1 "$rows" | python3 -c "
import json, sys
r = json.loads(sys.stdin.read())
d_ap = r['ap50_int8'] - r['ap50_float']
d_f1 = r['f1_int8'] - r['f1_float']
print(f\"{r['run']:<22} {r['ap50_float']:9.3f} {r['ap50_int8']:9.3f} {d_ap:+9.3f} {r['f1_float']:9.3f} {r['f1_int8']:9.3f} {d_f1:+9.3f}\")"
done
python3 - "$rows" "$out/int8.json" <<'EOF'
import json, math, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def mean_se(values):
    m = sum(values) / len(values)
    se = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1) / len(values)) if len(values) > 1 else 0.0
    return m, se
summary = {"runs": rows}
for key in ("ap50", "f1"):
    for precision in ("float", "int8"):
        summary[f"{key}_{precision}"] = mean_se([r[f"{key}_{precision}"] for r in rows])
    summary[f"delta_{key}"] = mean_se([r[f"{key}_int8"] - r[f"{key}_float"] for r in rows])
json.dump(summary, open(sys.argv[2], "w"), indent=2)
print(f"mean over {len(rows)} runs: AP50 {summary['ap50_float'][0]:.3f} float, {summary['ap50_int8'][0]:.3f} int8, "
      f"Δ {summary['delta_ap50'][0]:+.3f} ± {summary['delta_ap50'][1]:.3f}; "
      f"F1 {summary['f1_float'][0]:.3f} float, {summary['f1_int8'][0]:.3f} int8, Δ {summary['delta_f1'][0]:+.3f} ± {summary['delta_f1'][1]:.3f}")
EOF
