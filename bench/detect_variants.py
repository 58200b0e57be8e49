#!/usr/bin/env python3
"""Detection options side by side on the models of a `brands` benchmark run.

    bench/detect_variants.py RUN_DIR OUT NAME='DETECT FLAGS' [NAME='FLAGS' ...] [--build BUILD]

RUN_DIR is the --out of `logoscope-bench-flickrlogos --protocol brands [--dev]` (one BRAND-seedS
folder per run, each with model/ and test.manifest; a --dev run nests them in brands-dev/). For
every run and every variant: `logoscope detect` over the run's test photos with the variant's
flags (scores down to 1, as evaluate uses) and `logoscope evaluate --predictions`. Prints, per
variant, the mean AP50, F1 and precision at recall 0.8 (each with its standard error over the runs),
the mean paired change against the first variant, and the ground-truth boxes found at any
confidence by size (area below 32², 96², 256² px, and the rest; a box counts as found when a
detection of its label overlaps it with IoU ≥ 0.5, computed here from the files, not by
logoscope). Also the detect time per photo from --profile-json. Writes OUT/variants.json.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time


def mean_se(values):
    if not values:
        return float("nan"), 0.0
    m = sum(values) / len(values)
    if len(values) < 2:
        return m, 0.0
    return m, math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1) / len(values))


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def manifest_boxes(path):
    """{image uri: [(label name, x0, y0, x1, y1)]} from a Ground Truth manifest."""
    boxes = {}
    for line in open(path):
        if not line.strip():
            continue
        record = json.loads(line)
        uri = record["source-ref"]
        found = []
        for key, value in record.items():
            if key.endswith("-metadata") or not isinstance(value, dict) or "annotations" not in value:
                continue
            names = record.get(key + "-metadata", {}).get("class-map", {})
            for a in value["annotations"]:
                name = names.get(str(a["class_id"]), str(a["class_id"]))
                found.append((name, a["left"], a["top"], a["left"] + a["width"], a["top"] + a["height"]))
        boxes[uri] = found
    return boxes


def found_by_size(truth, predictions_path):
    detections = {}
    for line in open(predictions_path):
        if not line.strip():
            continue
        record = json.loads(line)
        dets = []
        for label in record.get("CustomLabels", []):
            box = label.get("Geometry", {}).get("BoundingBox")
            if box is None:
                continue
            w, h = record["width"], record["height"]
            x0, y0 = box["Left"] * w, box["Top"] * h
            dets.append((label["Name"], label["Confidence"], (x0, y0, x0 + box["Width"] * w, y0 + box["Height"] * h)))
        detections[record["image"]] = dets
    buckets = [("small", 32 * 32), ("medium", 96 * 96), ("large", 256 * 256), ("huge", float("inf"))]
    counts = {name: [0, 0] for name, _ in buckets}
    for uri, boxes in truth.items():
        dets = sorted(detections.get(uri, []), key=lambda d: -d[1])
        for name, x0, y0, x1, y1 in boxes:
            area = (x1 - x0) * (y1 - y0)
            bucket = next(b for b, limit in buckets if area < limit)
            counts[bucket][0] += 1
            same = [d for d in dets if d[0] == name][:100]
            if any(iou((x0, y0, x1, y1), d[2]) >= 0.5 for d in same):
                counts[bucket][1] += 1
    return counts


def precision_at_recall(label, recall=0.8):
    best = 0.0
    for _confidence, p, r, _f1 in label.get("curve", {}).get("points", []):
        if r >= recall:
            best = max(best, p)
    return best


def brand_runs(given, out, script):
    """(the folder of a brands run's BRAND-seedS runs, their names). Exits when there is none, or when
    OUT is RUN_DIR or inside it (the outputs would mix with the runs). Creates OUT."""
    if not os.path.isdir(given):
        sys.exit(f"{script}: {given} is not a folder (give the --out of logoscope-bench-flickrlogos --protocol brands)")
    run_dir = given
    for nested in ("brands-dev", "brands"):
        if os.path.isdir(os.path.join(given, nested)):
            run_dir = os.path.join(given, nested)
            break
    runs = sorted(d for d in os.listdir(run_dir) if os.path.isfile(os.path.join(run_dir, d, "model", "model.json")))
    if not runs:
        sys.exit(f"{script}: no BRAND-seedS/model/model.json under {run_dir}")
    out_real, run_real = os.path.realpath(out), os.path.realpath(given)
    if out_real == run_real or out_real.startswith(run_real + os.sep):
        sys.exit(f"{script}: OUT must not be RUN_DIR or inside it (its folders would mix with the runs)")
    os.makedirs(out, exist_ok=True)
    return run_dir, runs


def machine_line():
    """CPU model, cores, vector flags and the kernels in use, for every printed number."""
    cpu = open("/proc/cpuinfo").read()
    model_name = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("model name")), "?")
    flags = sorted({f for l in cpu.splitlines() if l.startswith("flags") for f in l.split()
                    if f.startswith("avx512") or f in ("avx2", "fma")})
    return f"{model_name} — {os.cpu_count()} cores — {' '.join(flags)} — kernels {os.environ.get('ONEDNN_MAX_CPU_ISA', 'native')}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("out")
    parser.add_argument("variants", nargs="+", help="NAME='detect flags' (the first is the reference)")
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    logoscope = os.path.join(args.build, "bin", "logoscope")
    variants = []
    for v in args.variants:
        if "=" not in v:
            parser.error(f"variant {v!r}: expected NAME='FLAGS'")
        name, flags = v.split("=", 1)
        variants.append((name, flags.split()))
    run_dir, runs = brand_runs(args.run_dir, args.out, "detect_variants.py")
    machine = machine_line()
    print(machine)
    rows = []
    for run in runs:
        folder = os.path.join(run_dir, run)
        truth = manifest_boxes(os.path.join(folder, "test.manifest"))
        for name, extra in variants:
            out = os.path.join(args.out, run, name)
            os.makedirs(out, exist_ok=True)
            predictions = os.path.join(out, "predictions.jsonl")
            start = time.time()
            subprocess.run([logoscope, "detect", "-q", "--model", os.path.join(folder, "model"),
                            os.path.join(folder, "test.manifest"), "--min-confidence", "1", "--out", predictions,
                            "--overwrite", "--profile-json", os.path.join(out, "profile.json"), *extra], check=True)
            wall = time.time() - start
            summary = subprocess.run([logoscope, "evaluate", "-q", "--predictions", predictions, "--ground-truth",
                                      os.path.join(folder, "test.manifest"), "--out", os.path.join(out, "evaluation"),
                                      "--overwrite", "--json"], check=True, capture_output=True, text=True).stdout
            label = json.loads(summary)["metrics"]["labels"][0]
            profile = json.load(open(os.path.join(out, "profile.json")))
            row = {"run": run, "variant": name, "flags": extra, "ap50": label["ap50"], "f1": label["f1"],
                   "p_at_r80": precision_at_recall(label), "found_by_size": found_by_size(truth, predictions),
                   "wall_s": wall, "profile": profile}
            rows.append(row)
            print(f"{run:<20} {name:<14} AP50 {row['ap50']:.3f}  F1 {row['f1']:.3f}  P@R0.8 {row['p_at_r80']:.3f}  "
                  f"{wall:6.1f} s", flush=True)
    print()
    reference = variants[0][0]
    header = f"{'variant':<14} {'AP50':>15} {'F1':>15} {'P@R0.8':>15} {'ΔAP50':>15} {'ΔF1':>15}  found (small medium large huge)  ms/photo"
    print(header)
    result = {"machine": machine, "runs": runs, "rows": rows, "variants": {}}
    for name, extra in variants:
        mine = {r["run"]: r for r in rows if r["variant"] == name}
        ref = {r["run"]: r for r in rows if r["variant"] == reference}
        stats = {}
        for key in ("ap50", "f1", "p_at_r80"):
            stats[key] = mean_se([mine[r][key] for r in runs])
            stats["delta_" + key] = mean_se([mine[r][key] - ref[r][key] for r in runs])
        totals = {b: [sum(mine[r]["found_by_size"][b][0] for r in runs), sum(mine[r]["found_by_size"][b][1] for r in runs)]
                  for b in ("small", "medium", "large", "huge")}
        ms = [1000.0 / mine[r]["profile"]["images_per_s"] for r in runs]
        stats["found_by_size"] = totals
        result["variants"][name] = {"flags": extra, **stats}
        fmt = lambda t: f"{t[0]:.3f} ± {t[1]:.3f}"
        found = " ".join(f"{totals[b][1]}/{totals[b][0]}" for b in ("small", "medium", "large", "huge"))
        print(f"{name:<14} {fmt(stats['ap50']):>15} {fmt(stats['f1']):>15} {fmt(stats['p_at_r80']):>15} "
              f"{fmt(stats['delta_ap50']):>15} {fmt(stats['delta_f1']):>15}  {found:<31} {mean_se(ms)[0]:.1f}")
    json.dump(result, open(os.path.join(args.out, "variants.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
