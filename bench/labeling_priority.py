#!/usr/bin/env python3
"""Does `dataset next` point at the model's mistakes? A simulated labeler on a `brands` run.

    bench/labeling_priority.py RUN_DIR OUT [NAME='DATASET NEXT FLAGS' ...] [--top 10 20] [--pool test-split]
                               [--build BUILD]

RUN_DIR is the --out of `logoscope-bench-flickrlogos --protocol brands [--dev]` (one BRAND-seedS
folder per run, each with model/ and test.manifest). Each run's test photos play the unlabeled
pool; their boxes are what a labeler would reveal. With `--pool test-split` the pool is instead
FlickrLogos-27's test split (under LOGOSCOPE_BENCH_DATA, default ../shared/data) with the run's brand's
boxes only: for a --dev run these photos played no part in training or in choosing the thresholds
(a --dev run's own test photos chose its thresholds, which puts its mistakes near them). For every run:
  - `logoscope detect` with the model's own settings (scores down to 1) gives the model's mistakes
    per photo at its assumed thresholds (model.json min_confidence): false positives (a detection at
    or above the threshold matching no box of its label with IoU >= 0.5, one to one in descending
    confidence) and false negatives (boxes left unmatched). Computed here from the files, not by
    logoscope.
  - every variant runs `logoscope dataset next --pool test.manifest` (all photos ranked,
    near-duplicate check off so that every photo gets a rank) with its flags.
Prints, per variant and top N, the share of the pool's mistakes that lie in the N photos picked
first (mean and standard error over the runs), beside what N random photos hold on average (N/pool)
and what the best possible N photos hold (an oracle that knows the mistakes). Mistakes found is a
proxy: it says whether labeling the picks would correct the model where it is wrong, not how much
accuracy retraining on them buys. Writes OUT/labeling_priority.json.
"""
import argparse
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from detect_variants import brand_runs, iou, machine_line, manifest_boxes, mean_se  # noqa: E402


def predictions_of(path):
    """{image: [(label, confidence 0-100, x0, y0, x1, y1)]} from detect's JSON Lines."""
    found = {}
    for line in open(path):
        record = json.loads(line)
        boxes = []
        for label in record.get("CustomLabels", []):
            p = label["PixelBox"]
            boxes.append((label["Name"], label["Confidence"], p["x0"], p["y0"], p["x1"], p["y1"]))
        found[record["image"]] = boxes
    return found


def mistakes(truth, detections, thresholds):
    """(false positives, false negatives) of one photo at the labels' thresholds."""
    kept = sorted((d for d in detections if d[1] >= thresholds.get(d[0], 50.0)), key=lambda d: -d[1])
    used = [False] * len(truth)
    fp = 0
    for name, _, *box in kept:
        best, best_iou = -1, 0.5
        for i, (t_name, *t_box) in enumerate(truth):
            if used[i] or t_name != name:
                continue
            overlap = iou(box, t_box)
            if overlap >= best_iou:
                best, best_iou = i, overlap
        if best < 0:
            fp += 1
        else:
            used[best] = True
    return fp, used.count(False)


def brand_pool(run, out):
    """FlickrLogos-27's test split as a single-label manifest of the run's brand (BRAND-seedS)."""
    brand = run.rsplit("-seed", 1)[0]
    data = os.path.join(os.environ.get("LOGOSCOPE_BENCH_DATA", "../shared/data"), "flickrlogos27")
    path = os.path.join(out, "pool.manifest")
    with open(os.path.join(data, "test.manifest")) as source, open(path, "w") as pool:
        for line in source:
            if not line.strip():
                continue
            record = json.loads(line)
            for key in [k for k, v in record.items() if isinstance(v, dict) and "annotations" in v]:
                names = record[key + "-metadata"]["class-map"]
                value = record[key]
                value["annotations"] = [dict(a, class_id=0) for a in value["annotations"]
                                        if names.get(str(a["class_id"])) == brand]
                record[key + "-metadata"]["class-map"] = {"0": brand}
                record[key + "-metadata"]["objects"] = [{"confidence": 1}] * len(value["annotations"])
            record["source-ref"] = os.path.abspath(os.path.join(data, record["source-ref"]))
            pool.write(json.dumps(record) + "\n")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("out")
    parser.add_argument("variants", nargs="*", help="NAME='dataset next flags' (default: default='')")
    parser.add_argument("--top", type=int, nargs="+", default=[10, 20])
    parser.add_argument("--pool", choices=["run", "test-split"], default="run",
                        help="the run's own test photos, or FlickrLogos-27's test split")
    parser.add_argument("--build", default="build")
    args = parser.parse_args()
    logoscope = os.path.join(args.build, "bin", "logoscope")
    variants = [tuple(v.split("=", 1)) for v in (args.variants or ["default="])]
    if any(len(v) != 2 for v in variants):
        parser.error("variants are NAME='FLAGS'")
    run_dir, runs = brand_runs(args.run_dir, args.out, "labeling_priority.py")
    machine = machine_line()
    print(machine)
    rows = []
    for run in runs:
        folder = os.path.join(run_dir, run)
        model = os.path.join(folder, "model")
        os.makedirs(os.path.join(args.out, run), exist_ok=True)
        test = os.path.join(folder, "test.manifest") if args.pool == "run" else brand_pool(run, os.path.join(args.out, run))
        info = json.load(open(os.path.join(model, "model.json")))
        thresholds = dict(zip(info["labels"], info.get("min_confidence", [])))
        truth = manifest_boxes(test)
        predictions = os.path.join(args.out, run, "predictions.jsonl")
        os.makedirs(os.path.dirname(predictions), exist_ok=True)
        subprocess.run([logoscope, "detect", "-q", "--model", model, test, "--min-confidence", "1", "--out",
                        predictions, "--overwrite"], check=True)
        detections = predictions_of(predictions)
        errors = {}
        for image, boxes in truth.items():
            fp, fn = mistakes(boxes, detections.get(image, []), thresholds)
            errors[image] = (fp, fn)
        total = sum(fp + fn for fp, fn in errors.values())
        oracle = sorted((fp + fn for fp, fn in errors.values()), reverse=True)
        for name, flags in variants:
            ranked = subprocess.run([logoscope, "dataset", "next", "-q", "--model", model, "--pool", test, "--count",
                                     str(len(truth)), "--near-duplicate-bits", "0", "--json", *flags.split()],
                                    check=True, capture_output=True, text=True).stdout
            order = [pick["image"] for pick in json.loads(ranked)["picks"]]
            row = {"run": run, "variant": name, "flags": flags, "pool": len(truth), "mistakes": total,
                   "false_positives": sum(fp for fp, _ in errors.values()),
                   "false_negatives": sum(fn for _, fn in errors.values()), "ranked": len(order), "top": {}}
            for n in args.top:
                picked = order[:n]
                found = sum(sum(errors.get(image, (0, 0))) for image in picked)
                row["top"][n] = {
                    "share_found": found / total if total else float("nan"),
                    "share_random": min(n, len(truth)) / len(truth),
                    "share_oracle": sum(oracle[:n]) / total if total else float("nan"),
                    "photos_with_a_mistake": sum(1 for image in picked if sum(errors.get(image, (0, 0))) > 0),
                }
            rows.append(row)
            t = row["top"][args.top[0]]
            print(f"{run} {name}: {total} mistakes ({row['false_positives']} FP, {row['false_negatives']} FN) in "
                  f"{len(truth)} photos; top {args.top[0]} hold {t['share_found']:.2f} (random {t['share_random']:.2f}, "
                  f"oracle {t['share_oracle']:.2f})", flush=True)
    print()
    print("| variant | top N | share of mistakes in the N picks | random N | oracle N | photos with a mistake |")
    print("|---|---|---|---|---|---|")
    for name, _ in variants:
        for n in args.top:
            cells = [r["top"][n] for r in rows if r["variant"] == name and r["mistakes"] > 0]
            found, found_se = mean_se([c["share_found"] for c in cells])
            random_share, _ = mean_se([c["share_random"] for c in cells])
            oracle_share, _ = mean_se([c["share_oracle"] for c in cells])
            with_mistake, _ = mean_se([c["photos_with_a_mistake"] for c in cells])
            print(f"| {name} | {n} | {found:.3f} ± {found_se:.3f} | {random_share:.3f} | {oracle_share:.3f} | "
                  f"{with_mistake:.1f} of {n} |")
    with open(os.path.join(args.out, "labeling_priority.json"), "w") as f:
        json.dump({"machine": machine, "pool": args.pool, "runs": rows}, f, indent=1)


if __name__ == "__main__":
    main()
