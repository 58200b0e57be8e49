#!/usr/bin/env python3
# Runs the reference on this example and compares with the hand-computed expected.json
# (numbers to 1e-9, integers and nulls exactly). Exit status 0 when everything agrees.
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def compare(path, want, got, errors):
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(want) != set(got):
            errors.append(f"{path}: keys {sorted(got) if isinstance(got, dict) else got!r} != {sorted(want)}")
            return
        for key in want:
            compare(f"{path}.{key}", want[key], got[key], errors)
    elif isinstance(want, (int, float)) and not isinstance(want, bool) and isinstance(got, (int, float)):
        if not math.isclose(want, got, rel_tol=0, abs_tol=1e-9):
            errors.append(f"{path}: got {got!r}, want {want!r}")
    elif want != got:
        errors.append(f"{path}: got {got!r}, want {want!r}")


def main():
    script = os.path.join(HERE, "..", "detection_metrics_reference.py")
    out = subprocess.run([sys.executable, script, "--ground-truth", os.path.join(HERE, "gt.manifest"),
                          "--predictions", os.path.join(HERE, "predictions.jsonl"), "--json"],
                         check=True, capture_output=True, text=True).stdout
    with open(os.path.join(HERE, "expected.json")) as f:
        want = json.load(f)
    errors = []
    compare("$", want, json.loads(out), errors)
    for e in errors:
        print(e)
    print("OK" if not errors else f"{len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
