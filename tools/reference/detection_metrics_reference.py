#!/usr/bin/env python3
# detection_metrics_reference.py — an INDEPENDENT reference implementation of logoscope's
# detection metrics, used to cross-check `logoscope evaluate` (src/eval/).
#
# It was written from the specification only — docs/metrics.md, the Ground Truth manifest shape
# in docs/dataset-formats.md, the predictions JSON Lines shape of src/api/custom_labels.* — and
# from pycocotools' definitions (COCOeval.evaluateImg / COCOeval.accumulate). It deliberately
# shares no code and no reading of the C++ evaluator. Python 3.11, standard library only, written
# to be obviously correct rather than fast (datasets are a few hundred images).
#
# Usage:
#   python3 tools/reference/detection_metrics_reference.py \
#       --ground-truth GT.manifest --predictions PRED.jsonl [--json] [--linspace-recall]
#
# Definitions (docs/metrics.md, pycocotools):
# - Boxes are pixels x0, y0, x1, y1. GT manifest: x0 = left, x1 = left + width (same for y).
#   GT boxes with width <= 0 or height <= 0 are left out. Annotations flagged
#   "logoscope-ignore"/"logoscope-difficult" (or "ignore"/"difficult") are ignore boxes.
# - Matching, per image and label, per IoU threshold: detections sorted by descending score
#   (stable: ties keep input order), at most 100 kept (pycocotools' maxDets, applied per image
#   per category). Each detection takes the unmatched regular GT box with the highest IoU >= t
#   (as pycocotools: among exactly equal IoUs the later box in annotation order wins) -> TP;
#   else, if an ignore box has IoU >= t, the detection is ignored (counts neither way; ignore
#   boxes absorb any number of detections); else FP. Unmatched regular GT boxes are FN.
# - IoU thresholds are the exact decimals 0.50, 0.55, ..., 0.95.
# - AP: a label's detections from all images (concatenated in manifest image order, then stably
#   sorted by descending score, as pycocotools does), cumulative TP/FP, precision made monotone
#   (max to the right), sampled at recall 0, 0.01, ..., 1 (first point whose recall >= r; 0 when
#   never reached); AP = mean of the 101 samples. By default the recall points are the exact
#   decimals i/100; --linspace-recall uses pycocotools' np.linspace(0, 1, 101) values (i * 0.01
#   in binary floating point, where 0.35, 0.70 and 0.95 come out slightly above the decimal).
# - Curve (IoU 0.5, same capped detections): one point per distinct score c, over detections
#   with score >= c. Assumed threshold: the c with the highest F1, the highest c on ties (F1 is
#   compared exactly, as the fraction 2TP / (2TP + FP + FN)).
# - Means over labels with at least one (non-ignored) GT box.
import argparse
import json
import math
import os
import sys
from fractions import Fraction

IOU_THRESHOLDS = [i / 100 for i in range(50, 100, 5)]  # exact decimals 0.50 .. 0.95
MAX_DETS = 100


def warn(message):
    print(f"warning: {message}", file=sys.stderr)


def read_json_lines(path):
    """Yields (line_number, object) for each non-blank line that is a JSON object."""
    with open(path, encoding="utf-8-sig") as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
            except ValueError as e:
                warn(f"{path}:{number}: not JSON ({e}); line skipped")
                continue
            if not isinstance(obj, dict):
                warn(f"{path}:{number}: not a JSON object; line skipped")
                continue
            yield number, obj


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# ---------------------------------------------------------------------------------------------
# Image references

def strip_file_uri(ref):
    return ref[len("file://"):] if ref.startswith("file://") else ref


def is_uri(ref):
    return "://" in ref


def resolve_ref(ref, base_dir):
    """Absolute normalised path (relative refs joined to base_dir); URIs are kept as they are."""
    ref = strip_file_uri(ref)
    if is_uri(ref):
        return ref
    return os.path.normpath(os.path.join(os.path.abspath(base_dir), ref))


def ref_basename(ref):
    ref = strip_file_uri(ref)
    return ref.rstrip("/").rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------------------------
# Ground truth

class Box:
    def __init__(self, x0, y0, x1, y1):
        self.x0, self.y0, self.x1, self.y1 = float(x0), float(y0), float(x1), float(y1)

    def area(self):
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)


def iou(a, b):
    iw = min(a.x1, b.x1) - max(a.x0, b.x0)
    ih = min(a.y1, b.y1) - max(a.y0, b.y0)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = a.area() + b.area() - inter
    return inter / union if union > 0 else 0.0


class GtImage:
    def __init__(self, ref, width, height):
        self.ref = ref            # source-ref exactly as written
        self.width = width        # 0 when unknown
        self.height = height
        self.boxes = []           # (label, Box, ignore)
        self.detections = []      # (label, score, Box) in prediction-file order


def find_attribute(record):
    for key, value in record.items():
        if isinstance(value, dict) and "annotations" in value:
            meta = record.get(key + "-metadata")
            if isinstance(meta, dict) and ("class-map" in meta or meta.get("type") == "groundtruth/object-detection"):
                return key, value, meta
    return None, None, None


def read_ground_truth(path):
    images, labels = [], []
    for number, record in read_json_lines(path):
        where = f"{path}:{number}"
        ref = record.get("source-ref")
        if not isinstance(ref, str) or not ref:
            warn(f"{where}: no source-ref; line skipped")
            continue
        attr, value, meta = find_attribute(record)
        if attr is None:
            warn(f"{where}: no object-detection attribute; line skipped")
            continue
        annotations = value.get("annotations")
        if not isinstance(annotations, list):
            warn(f"{where}: annotations is not an array; line skipped")
            continue
        class_map = meta.get("class-map") if isinstance(meta.get("class-map"), dict) else {}
        for _, name in sorted(class_map.items(), key=lambda kv: int(kv[0]) if kv[0].lstrip("-").isdigit() else 0):
            if name not in labels:
                labels.append(name)
        width = height = 0
        sizes = value.get("image_size")
        if isinstance(sizes, list) and sizes and isinstance(sizes[0], dict):
            width = sizes[0].get("width", 0) if is_number(sizes[0].get("width", 0)) else 0
            height = sizes[0].get("height", 0) if is_number(sizes[0].get("height", 0)) else 0
        image = GtImage(ref, width, height)
        for k, a in enumerate(annotations):
            if not isinstance(a, dict):
                warn(f"{where}: annotations[{k}] is not an object; skipped")
                continue
            name = class_map.get(str(a.get("class_id")))
            if name is None:
                warn(f"{where}: annotations[{k}]: class_id {a.get('class_id')!r} not in class-map; skipped")
                continue
            if not all(is_number(a.get(f)) for f in ("left", "top", "width", "height")):
                warn(f"{where}: annotations[{k}]: missing or non-finite coordinate; skipped")
                continue
            if a["width"] <= 0 or a["height"] <= 0:
                warn(f"{where}: annotations[{k}]: degenerate box (width or height <= 0); left out")
                continue
            box = Box(a["left"], a["top"], a["left"] + a["width"], a["top"] + a["height"])
            ignore = any(a.get(f) is True for f in ("logoscope-ignore", "logoscope-difficult", "ignore", "difficult"))
            image.boxes.append((name, box, ignore))
        images.append(image)
    return images, labels


# ---------------------------------------------------------------------------------------------
# Predictions

def read_predictions(path, images, labels, manifest_dir):
    by_exact, by_abs, by_base = {}, {}, {}
    for index, image in enumerate(images):
        by_exact.setdefault(image.ref, []).append(index)
        by_abs.setdefault(resolve_ref(image.ref, manifest_dir), []).append(index)
        by_base.setdefault(ref_basename(image.ref), []).append(index)
    has_line = [False] * len(images)
    prediction_only_labels = []
    for number, record in read_json_lines(path):
        where = f"{path}:{number}"
        ref = record.get("image")
        if not isinstance(ref, str) or not ref:
            warn(f"{where}: no image; line skipped")
            continue
        candidates = by_exact.get(ref) or by_abs.get(resolve_ref(ref, os.getcwd()))
        if not candidates:
            same_name = by_base.get(ref_basename(ref), [])
            candidates = same_name if len(same_name) == 1 else []
        free = [i for i in candidates if not has_line[i]]
        if not free:
            if candidates:
                warn(f"{where}: {ref}: a second prediction line for the same image; line skipped")
            else:
                warn(f"{where}: {ref}: matches no ground-truth image; line skipped")
            continue
        image = images[free[0]]
        has_line[free[0]] = True
        if "error" in record:
            continue  # the image could not be read: no detections
        entries = record.get("CustomLabels", [])
        if not isinstance(entries, list):
            warn(f"{where}: CustomLabels is not an array; no detections")
            continue
        width = image.width if image.width > 0 else record.get("width", 0)
        height = image.height if image.height > 0 else record.get("height", 0)
        for k, entry in enumerate(entries):
            name, confidence = entry.get("Name"), entry.get("Confidence")
            if not isinstance(name, str) or not is_number(confidence):
                warn(f"{where}: CustomLabels[{k}]: no Name or Confidence; skipped")
                continue
            pixel = entry.get("PixelBox")
            if isinstance(pixel, dict) and all(is_number(pixel.get(f)) for f in ("x0", "y0", "x1", "y1")):
                box = Box(pixel["x0"], pixel["y0"], pixel["x1"], pixel["y1"])
            else:
                bb = (entry.get("Geometry") or {}).get("BoundingBox") or {}
                if not all(is_number(bb.get(f)) for f in ("Left", "Top", "Width", "Height")):
                    warn(f"{where}: CustomLabels[{k}]: no usable box; skipped")
                    continue
                if not (is_number(width) and is_number(height) and width > 0 and height > 0):
                    warn(f"{where}: CustomLabels[{k}]: ratio box but no image size; skipped")
                    continue
                x0, y0 = bb["Left"] * width, bb["Top"] * height
                box = Box(x0, y0, x0 + bb["Width"] * width, y0 + bb["Height"] * height)
            if name not in labels and name not in prediction_only_labels:
                prediction_only_labels.append(name)
            image.detections.append((name, confidence / 100.0, box))
    for image, seen in zip(images, has_line):
        if not seen:
            warn(f"{image.ref}: no prediction line; counted as an image without detections")
    return prediction_only_labels


# ---------------------------------------------------------------------------------------------
# Matching (pycocotools evaluateImg, with the spec's differences)

def match_image_label(dets, gts, threshold):
    """dets: [(score, Box)] already sorted and capped; gts: [(Box, ignore)].
    Returns one status per detection: "tp", "fp" or "ignored"."""
    order = sorted(range(len(gts)), key=lambda g: gts[g][1])  # regular boxes first (stable)
    gts = [gts[g] for g in order]
    matched = [False] * len(gts)
    statuses = []
    for _, dbox in dets:
        best, best_iou = -1, threshold
        for g, (gbox, ignore) in enumerate(gts):
            if matched[g] and not ignore:
                continue
            if best > -1 and not gts[best][1] and ignore:
                break  # a regular box already qualifies: ignore boxes are not considered
            v = iou(dbox, gbox)
            if v < best_iou:
                continue
            best, best_iou = g, v
        if best == -1:
            statuses.append("fp")
        elif gts[best][1]:
            statuses.append("ignored")
        else:
            matched[best] = True
            statuses.append("tp")
    return statuses


def evaluate_label(images, label, threshold):
    """Returns (scored list [(score, status)] in pycocotools' global order, number of GT)."""
    all_scored, npos = [], 0
    for image in images:
        gts = [(box, ignore) for name, box, ignore in image.boxes if name == label]
        npos += sum(1 for _, ignore in gts if not ignore)
        dets = [(score, box) for name, score, box in image.detections if name == label]
        dets = sorted(dets, key=lambda d: -d[0])[:MAX_DETS]  # stable: ties keep input order
        statuses = match_image_label(dets, gts, threshold)
        all_scored.extend((score, status) for (score, _), status in zip(dets, statuses))
    all_scored.sort(key=lambda s: -s[0])  # stable: ties keep image order, then in-image order
    return all_scored, npos


def average_precision(scored, npos, linspace_recall):
    tp = fp = 0
    recall_tp, precision = [], []
    for _, status in scored:
        if status == "ignored":
            continue
        if status == "tp":
            tp += 1
        else:
            fp += 1
        recall_tp.append(tp)
        precision.append(tp / (tp + fp))
    for i in range(len(precision) - 2, -1, -1):
        precision[i] = max(precision[i], precision[i + 1])
    samples = []
    for i in range(101):
        for k, tpk in enumerate(recall_tp):
            if linspace_recall:
                reached = tpk / npos >= (1.0 if i == 100 else i * 0.01)
            else:
                reached = tpk * 100 >= i * npos  # exact: tp/npos >= i/100
            if reached:
                samples.append(precision[k])
                break
        else:
            samples.append(0.0)
    return sum(samples) / len(samples)


def best_f1_point(scored, npos):
    counted = [(score, status) for score, status in scored if status != "ignored"]
    best = None
    for c in sorted({score for score, _ in counted}, reverse=True):
        tp = sum(1 for score, status in counted if score >= c and status == "tp")
        fp = sum(1 for score, status in counted if score >= c and status == "fp")
        fn = npos - tp
        f1 = Fraction(2 * tp, 2 * tp + fp + fn)
        if best is None or f1 > best["f1_exact"]:  # strictly greater: the highest c wins ties
            best = {"threshold": c, "tp": tp, "fp": fp, "fn": fn, "f1_exact": f1,
                    "precision": tp / (tp + fp), "recall": tp / npos if npos else 0.0}
    if best is None:  # no detections for this label
        best = {"threshold": None, "tp": 0, "fp": 0, "fn": npos, "f1_exact": Fraction(0),
                "precision": 0.0, "recall": 0.0}
    best["f1"] = float(best.pop("f1_exact"))
    return best


def evaluate(images, labels, linspace_recall):
    results = {}
    for label in labels:
        aps, point, recall100, npos = [], None, None, 0
        for t in IOU_THRESHOLDS:
            scored, npos = evaluate_label(images, label, t)
            aps.append(average_precision(scored, npos, linspace_recall) if npos > 0 else None)
            if t == 0.5:
                point = best_f1_point(scored, npos)
                tp_all = sum(1 for _, s in scored if s == "tp")
                recall100 = tp_all / npos if npos > 0 else None
        row = {"ap50": aps[0] if npos > 0 else -1,
               "ap50_95": sum(aps) / len(aps) if npos > 0 else -1,
               "f1": point["f1"], "precision": point["precision"], "recall": point["recall"],
               "threshold": point["threshold"], "tp": point["tp"], "fp": point["fp"],
               "fn": point["fn"], "ground_truth": npos, "recall_at_100": recall100}
        results[label] = row
    with_gt = [r for r in results.values() if r["ground_truth"] > 0]

    def mean(key):
        return sum(r[key] for r in with_gt) / len(with_gt) if with_gt else None

    tp = sum(r["tp"] for r in with_gt)
    fp = sum(r["fp"] for r in with_gt)
    fn = sum(r["fn"] for r in with_gt)
    return {"labels": results, "map50": mean("ap50"), "map50_95": mean("ap50_95"),
            "mean_f1": mean("f1"), "mean_precision": mean("precision"), "mean_recall": mean("recall"),
            "micro_precision": tp / (tp + fp) if tp + fp else 0.0,
            "micro_recall": tp / (tp + fn) if tp + fn else 0.0,
            "micro_f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0}


def fmt(v, digits=4):
    if v is None or (isinstance(v, (int, float)) and v == -1 and not isinstance(v, bool)):
        return "n/a"
    return f"{v:.{digits}f}"


def print_table(report):
    header = f"{'label':<24} {'GT':>5} {'AP50':>7} {'AP50:95':>7} {'thresh':>7} {'prec':>7} {'recall':>7} {'F1':>7} {'TP':>5} {'FP':>5} {'FN':>5}"
    print(header)
    print("-" * len(header))
    for name, r in report["labels"].items():
        print(f"{name:<24} {r['ground_truth']:>5} {fmt(r['ap50']):>7} {fmt(r['ap50_95']):>7} "
              f"{fmt(r['threshold']):>7} {fmt(r['precision']):>7} {fmt(r['recall']):>7} {fmt(r['f1']):>7} "
              f"{r['tp']:>5} {r['fp']:>5} {r['fn']:>5}")
    print("-" * len(header))
    print(f"mAP50 {fmt(report['map50'])}   mAP50:95 {fmt(report['map50_95'])}   "
          f"mean F1 {fmt(report['mean_f1'])}   mean precision {fmt(report['mean_precision'])}   "
          f"mean recall {fmt(report['mean_recall'])}")
    print(f"micro precision {fmt(report['micro_precision'])}   micro recall {fmt(report['micro_recall'])}   "
          f"micro F1 {fmt(report['micro_f1'])}   (thresholds are scores: Confidence / 100)")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Independent reference for logoscope's detection metrics.")
    parser.add_argument("--ground-truth", required=True, help="SageMaker Ground Truth object-detection manifest")
    parser.add_argument("--predictions", required=True, help="Custom Labels JSON Lines (one object per image)")
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    parser.add_argument("--linspace-recall", action="store_true",
                        help="sample AP at pycocotools' np.linspace(0, 1, 101) recalls instead of exact i/100")
    args = parser.parse_args(argv)
    images, labels = read_ground_truth(args.ground_truth)
    extra = read_predictions(args.predictions, images, labels,
                             os.path.dirname(os.path.abspath(args.ground_truth)))
    report = evaluate(images, labels + extra, args.linspace_recall)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
