#!/usr/bin/env bash
# deploy/kubernetes/*.yaml against the Kubernetes API's schemas (check.mjs); and a broken copy
# (a misspelt enum, a list where a quantity goes, a Job without its template) must be refused,
# so the check is known to look. Usage: kubernetes_test.sh WORK_DIR
set -euo pipefail
repo=$(realpath "$(dirname "$0")/../..")
work=$(realpath -m "$1")
checker="$repo/tests/deploy/kubernetes/check.mjs"
if [ ! -f "$repo/tests/deploy/kubernetes/node_modules/kubernetes-models/package.json" ]; then
  echo "FAIL: the schema models are not installed (scripts/setup.sh --test-deps installs them)" >&2
  exit 1
fi
node "$checker" "$repo"/deploy/kubernetes/*.yaml
rm -rf "$work" && mkdir -p "$work"
sed -e 's/completionMode: Indexed/completionMode: Indexd/' -e 's/cpu: "2"/cpu: [2]/' \
  "$repo/deploy/kubernetes/detect-indexed-job.yaml" > "$work/broken.yaml"
printf -- '---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: no-template\nspec:\n  completions: 2\n' >> "$work/broken.yaml"
if node "$checker" "$work/broken.yaml" > "$work/broken.out" 2>&1; then
  echo "FAIL: a broken manifest passed the check" >&2
  cat "$work/broken.out" >&2
  exit 1
fi
for expected in "completionMode must be equal to one of the allowed values" "requests/cpu" \
                "must have required property template"; do
  grep -q "$expected" "$work/broken.out" || { echo "FAIL: the check did not say: $expected" >&2; cat "$work/broken.out" >&2; exit 1; }
done
echo "PASS: deploy/kubernetes is valid; a broken copy is refused with each problem named"
