#!/usr/bin/env bash
# The AWS clients people already use, against `logoscope serve`: the AWS CLI and boto3 must get the
# same labels as `logoscope detect` and see Rekognition's error types, and SigV4 must be checked.
#
# Usage: aws_clients_test.sh BIN_DIR MODEL_DIR WORK_DIR
#   BIN_DIR    holds the built `logoscope`
#   MODEL_DIR  a model folder (models/base: one label, "logo")
#   WORK_DIR   emptied and used for images, server logs, AWS config and outputs
#
#   a. `aws rekognition detect-custom-labels` on >= 3 synthetic images = `logoscope detect` (Names,
#      Confidence to 1e-6, BoundingBox to 1e-9, same order; at least one image must have a label)
#   b. describe-project-versions RUNNING; stop → ResourceNotReadyException; start + waiter → works
#   c. boto3 (aws_clients.py boto3): the same comparison, and the error types botocore sees
#   d. a second server with --auth-keys: right key works, wrong secret → InvalidSignatureException,
#      unknown key → UnrecognizedClientException, stale clock → InvalidSignatureException (expired),
#      unsigned → MissingAuthenticationTokenException
#   Both servers must exit 0 on SIGTERM.
#
# Prefers Debian's /usr/bin/aws and /usr/bin/python3 (python3-boto3); LOGOSCOPE_TEST_AWS and
# LOGOSCOPE_TEST_PYTHON choose others. Installs nothing: without them it prints "SKIP: ..." and
# exits 77 (CTest's SKIP_RETURN_CODE). Exit 0 when every check passed, 1 otherwise.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BIN_DIR MODEL_DIR WORK_DIR" >&2
  exit 2
fi
bin_dir="$(realpath "$1")"
model_dir="$(realpath "$2")"
work="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
logoscope="$bin_dir/logoscope"
[ -x "$logoscope" ] || { echo "no executable $logoscope" >&2; exit 2; }

# ---- the clients (never installed here) -----------------------------------------------------------

skip() { echo "SKIP: $*"; exit 77; }

aws_cli="${LOGOSCOPE_TEST_AWS:-}"
if [ -z "$aws_cli" ]; then
  if [ -x /usr/bin/aws ]; then aws_cli=/usr/bin/aws; else aws_cli="$(command -v aws || true)"; fi
fi
if [ -z "$aws_cli" ] || [ ! -x "$aws_cli" ]; then skip "no AWS CLI (apt-get install awscli)"; fi

# has_boto3 PYTHON: whether that interpreter imports boto3.
has_boto3() { [ "$("$1" -c 'import boto3, botocore; print("yes")' 2>/dev/null)" = yes ]; }
python="${LOGOSCOPE_TEST_PYTHON:-}"
if [ -z "$python" ]; then
  for candidate in /usr/bin/python3 "$(command -v python3 || true)"; do
    if [ -n "$candidate" ] && has_boto3 "$candidate"; then python="$candidate"; break; fi
  done
fi
if [ -z "$python" ] || ! has_boto3 "$python"; then
  skip "no python3 with boto3 (apt-get install python3-boto3)"
fi
command -v curl >/dev/null || skip "no curl (apt-get install curl)"

rm -rf "$work"
mkdir -p "$work/aws" "$work/home" "$work/out"
work="$(realpath "$work")"

# ---- results --------------------------------------------------------------------------------------

passes=0
failures=()
pass() { passes=$((passes + 1)); echo "PASS: $*"; }
fail() {
  local message="$*"
  message="${message//$'\n'/ }"   # one line each, for the summary
  failures+=("$message")
  echo "FAIL: $message"
}

# ---- AWS configuration: all of it here, nothing from $HOME, no metadata service, no retries -------

printf '[default]\nregion = us-east-1\noutput = json\n' > "$work/aws/config"
printf '[default]\naws_access_key_id = AKIDLOGOSCOPEDUMMY\naws_secret_access_key = logoscope-dummy-secret\n' \
  > "$work/aws/credentials"
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CA_BUNDLE AWS_ENDPOINT_URL \
  AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
  AWS_CONTAINER_CREDENTIALS_FULL_URI http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export AWS_CONFIG_FILE="$work/aws/config"
export AWS_SHARED_CREDENTIALS_FILE="$work/aws/credentials"
export AWS_ACCESS_KEY_ID=AKIDLOGOSCOPEDUMMY
export AWS_SECRET_ACCESS_KEY=logoscope-dummy-secret
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard   # error cases answer at once
export AWS_PAGER="" AWS_DEFAULT_OUTPUT=json AWS_CLI_AUTO_PROMPT=off
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

# The AWS CLI with HOME in WORK_DIR (it may write caches there) and a time limit.
aws() { HOME="$work/home" timeout 120 "$aws_cli" "$@"; }
echo "AWS CLI: $("$aws_cli" --version 2>&1 | head -n1)"
echo "python:  $python ($("$python" -c 'import boto3, botocore; print("boto3", boto3.__version__, "botocore", botocore.__version__)'))"

# ---- servers --------------------------------------------------------------------------------------

server_pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# start_server NAME [serve options...]: starts a server on a free port; sets server_pid and endpoint.
start_server() {
  local name="$1"
  shift
  local port_file="$work/$name.port" log="$work/$name.log"
  "$logoscope" serve --model "base=$model_dir" --port 0 --port-file "$port_file" "$@" > "$log" 2>&1 &
  server_pid=$!
  server_pids+=("$server_pid")
  local waited=0
  until [ -s "$port_file" ]; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "FAIL: server $name exited before binding; its log:" >&2; cat "$log" >&2; exit 1
    fi
    if [ "$waited" -ge 600 ]; then echo "FAIL: server $name wrote no --port-file in 60 s" >&2; exit 1; fi
    sleep 0.1; waited=$((waited + 1))
  done
  endpoint="http://127.0.0.1:$(tr -d '[:space:]' < "$port_file")"
  # /health answers 503 while the models load, then 200.
  local status="" deadline=$((SECONDS + 180))
  while [ "$SECONDS" -lt "$deadline" ]; do
    status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$endpoint/health" || true)"
    [ "$status" = 200 ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "FAIL: server $name exited while loading; its log:" >&2; cat "$log" >&2; exit 1
    fi
    sleep 0.2
  done
  if [ "$status" != 200 ]; then
    echo "FAIL: server $name: /health answered '$status', not 200, within 180 s; its log:" >&2; cat "$log" >&2; exit 1
  fi
  echo "server $name: $endpoint (pid $server_pid)"
}

# stop_server NAME PID: SIGTERM must end it, with exit status 0, within 30 s.
stop_server() {
  local name="$1" pid="$2" rc=0 waited=0
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 300 ]; do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    fail "server $name still runs 30 s after SIGTERM"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" || rc=$?
  local kept=() p
  for p in "${server_pids[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  server_pids=("${kept[@]+"${kept[@]}"}")
  if [ "$rc" -eq 0 ]; then pass "server $name: SIGTERM → exit 0"; else fail "server $name: SIGTERM → exit $rc, not 0"; fi
}

# json_get FILE EXPRESSION: prints a Python expression over the JSON in FILE (bound to `j`).
json_get() { "$python" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# expect_cli_error WHAT EXCEPTION [aws arguments...]: the CLI must fail and name the exception.
expect_cli_error() {
  local what="$1" exception="$2" rc=0
  shift 2
  aws "$@" > "$work/out/error.json" 2> "$work/out/error.txt" || rc=$?
  if [ "$rc" -ne 0 ] && grep -q "$exception" "$work/out/error.txt"; then
    pass "$what → $exception (exit $rc): $(tr '\n' ' ' < "$work/out/error.txt" | cut -c1-200)"
  else
    fail "$what: expected $exception and a non-zero exit, got exit $rc: $(cat "$work/out/error.json" "$work/out/error.txt" | tr '\n' ' ' | cut -c1-300)"
  fi
}

# check_cli_detect WHAT [aws arguments...]: detect-custom-labels on the labelled image must succeed
# and answer as `logoscope detect`.
check_cli_detect() {
  local what="$1" out="$work/out/check_cli_detect.json"
  shift
  if ! aws "$@" detect-custom-labels --project-version-arn "$version_arn" --image-bytes "fileb://$labelled" \
      --min-confidence 0 > "$out" 2> "$work/out/check_cli_detect.err"; then
    fail "$what: the CLI failed: $(tr '\n' ' ' < "$work/out/check_cli_detect.err")"
  elif "$python" "$here/aws_clients.py" compare --min-images 1 --reference "$reference" "$labelled=$out" \
      > "$work/out/check_cli_detect.txt" 2>&1; then
    pass "$what: labels as logoscope detect"
  else
    fail "$what: $(grep '^FAIL' "$work/out/check_cli_detect.txt" | tr '\n' ' ')"
  fi
}

# ---- images and the reference answers of `logoscope detect` ---------------------------------------

"$logoscope" demo --out "$work/demo" --images 12 --no-train > "$work/demo.log" 2>&1 \
  || { echo "FAIL: logoscope demo --no-train failed:" >&2; cat "$work/demo.log" >&2; exit 1; }
mapfile -t images < <(find "$work/demo/images" -name 'synth_*.jpg' | sort | head -n 4)
[ "${#images[@]}" -ge 3 ] || { echo "FAIL: the demo wrote ${#images[@]} images, not >= 3" >&2; exit 1; }
reference="$work/reference.jsonl"
: > "$reference"
for image in "${images[@]}"; do
  "$logoscope" detect --model "$model_dir" "$image" --min-confidence 0 >> "$reference" 2>> "$work/detect.log" \
    || { echo "FAIL: logoscope detect $image failed:" >&2; cat "$work/detect.log" >&2; exit 1; }
done
echo "reference: $(wc -l < "$reference") images, labels per image: $("$python" -c '
import json, sys
print(" ".join(str(len(json.loads(line)["CustomLabels"])) for line in open(sys.argv[1])))' "$reference")"

# The first image with a label, for the checks on one image.
labelled="$("$python" -c '
import json, sys
print(next((json.loads(line)["image"] for line in open(sys.argv[1]) if json.loads(line)["CustomLabels"]), ""))' "$reference")"
[ -n "$labelled" ] || labelled="${images[0]}"   # the comparisons below then fail: nothing to compare

# ---- a-c: a server without authentication --------------------------------------------------------

start_server open
open_pid="$server_pid"
open_endpoint="$endpoint"
curl -sSf --max-time 10 "$open_endpoint/v1/models" > "$work/out/models.json" \
  || { echo "FAIL: GET /v1/models failed" >&2; exit 1; }
version_arn="$(json_get "$work/out/models.json" '[m for m in j["models"] if m["name"] == "base"][0]["version_arn"]')"
project_arn="$(json_get "$work/out/models.json" '[m for m in j["models"] if m["name"] == "base"][0]["project_arn"]')"
version="$(json_get "$work/out/models.json" '[m for m in j["models"] if m["name"] == "base"][0]["version"]')"
if [ -z "$version_arn" ] || [ -z "$project_arn" ] || [ -z "$version" ]; then
  echo "FAIL: GET /v1/models has no model \"base\" with version_arn, project_arn and version:" >&2
  cat "$work/out/models.json" >&2
  exit 1
fi
echo "model: $version_arn"
rek=(rekognition --endpoint-url "$open_endpoint" --region us-east-1 --output json)

# a. detect-custom-labels = logoscope detect
echo "== a. awscli detect-custom-labels vs logoscope detect"
pairs=()
for image in "${images[@]}"; do
  out="$work/out/awscli_$(basename "$image").json"
  if aws "${rek[@]}" detect-custom-labels --project-version-arn "$version_arn" --image-bytes "fileb://$image" \
      --min-confidence 0 > "$out" 2> "$work/out/awscli.err"; then
    pairs+=("$image=$out")
  else
    fail "awscli detect-custom-labels $(basename "$image") failed: $(cat "$work/out/awscli.err")"
  fi
done
if [ "${#pairs[@]}" -gt 0 ]; then
  if "$python" "$here/aws_clients.py" compare --reference "$reference" "${pairs[@]}"; then
    pass "awscli: labels of ${#pairs[@]} images as logoscope detect"
  else
    fail "awscli: labels differ from logoscope detect (see above)"
  fi
fi

# b. describe, stop, start and the waiter
echo "== b. awscli describe / stop / start / wait"
status_of_version() {
  aws "${rek[@]}" describe-project-versions --project-arn "$project_arn" --version-names "$version" \
    > "$work/out/describe.json" 2> "$work/out/describe.err" || { echo "ERROR: $(cat "$work/out/describe.err")"; return; }
  json_get "$work/out/describe.json" \
    '",".join(d["Status"] for d in j["ProjectVersionDescriptions"] if d["ProjectVersionArn"] == "'"$version_arn"'") or "none"'
}
status="$(status_of_version)"
if [ "$status" = RUNNING ]; then pass "describe-project-versions: RUNNING"; else fail "describe-project-versions: '$status', not RUNNING"; fi
if aws "${rek[@]}" describe-projects > "$work/out/projects.json" 2> "$work/out/projects.err" \
    && grep -qF "\"$project_arn\"" "$work/out/projects.json"; then
  pass "describe-projects lists $project_arn"
else
  fail "describe-projects: $(cat "$work/out/projects.json" "$work/out/projects.err")"
fi

if aws "${rek[@]}" stop-project-version --project-version-arn "$version_arn" > "$work/out/stop.json" 2> "$work/out/stop.err"; then
  pass "stop-project-version: $(json_get "$work/out/stop.json" 'j.get("Status")')"
else
  fail "stop-project-version failed: $(cat "$work/out/stop.err")"
fi
status="$(status_of_version)"
if [ "$status" = STOPPED ]; then pass "after stop: STOPPED"; else fail "after stop: '$status', not STOPPED"; fi
expect_cli_error "detect on a stopped model" ResourceNotReadyException \
  "${rek[@]}" detect-custom-labels --project-version-arn "$version_arn" --image-bytes "fileb://$labelled" --min-confidence 0

# StartProjectVersion requires MinInferenceUnits (botocore checks it before sending).
if aws "${rek[@]}" start-project-version --project-version-arn "$version_arn" --min-inference-units 1 \
    > "$work/out/start.json" 2> "$work/out/start.err"; then
  pass "start-project-version: $(json_get "$work/out/start.json" 'j.get("Status")')"
else
  fail "start-project-version failed: $(cat "$work/out/start.err")"
fi
# The CLI's waiter polls every 30 s; wait with describe first (fast), then the waiter must agree at once.
deadline=$((SECONDS + 120))
while status="$(status_of_version)" && [ "$status" = STARTING ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
if [ "$status" = RUNNING ]; then pass "after start: RUNNING"; else fail "after start: '$status', not RUNNING"; fi
if aws "${rek[@]}" wait project-version-running --project-arn "$project_arn" --version-names "$version" \
    2> "$work/out/wait.err"; then
  pass "aws rekognition wait project-version-running"
else
  fail "aws rekognition wait project-version-running failed: $(cat "$work/out/wait.err")"
fi
check_cli_detect "detect after the restart" "${rek[@]}"

# c. boto3
echo "== c. boto3"
if "$python" "$here/aws_clients.py" boto3 --endpoint "$open_endpoint" --project-arn "$project_arn" \
    --version-arn "$version_arn" --version "$version" --reference "$reference" "${images[@]}"; then
  pass "boto3: detect as logoscope detect, Describe*, Stop/Start/waiter, error types"
else
  fail "boto3: see the FAIL lines above"
fi

# ---- d: a server with --auth-keys -------------------------------------------------------------------

echo "== d. SigV4 (--auth-keys)"
key_id=AKIDLOGOSCOPETEST01
secret='wJalrXUtnFEMI/K7MDENG+bPxRfiCYLOGOSCOPE1'   # '/' and '+' as real secrets have
printf '# test key\n%s %s\n' "$key_id" "$secret" > "$work/keys.txt"
start_server auth --auth-keys "$work/keys.txt"
auth_pid="$server_pid"
auth_endpoint="$endpoint"
rek_auth=(rekognition --endpoint-url "$auth_endpoint" --region us-east-1 --output json)

AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="$secret" check_cli_detect "awscli with the right key" "${rek_auth[@]}"
if AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="$secret" aws "${rek_auth[@]}" --region ap-southeast-2 \
    describe-projects > /dev/null 2> "$work/out/signed.err"; then
  pass "awscli with the right key, another region: describe-projects works"
else
  fail "awscli with the right key, region ap-southeast-2, was refused: $(cat "$work/out/signed.err")"
fi
AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="${secret}x" \
  expect_cli_error "awscli with the wrong secret" InvalidSignatureException "${rek_auth[@]}" describe-projects
AWS_ACCESS_KEY_ID=AKIDNOSUCHKEY0000000 AWS_SECRET_ACCESS_KEY="$secret" \
  expect_cli_error "awscli with an unknown key id" UnrecognizedClientException "${rek_auth[@]}" describe-projects

# Unsigned: MissingAuthenticationTokenException in AWS's JSON error shape.
status="$(curl -s -o "$work/out/unsigned.json" -w '%{http_code}' --max-time 10 -X POST "$auth_endpoint/" \
  -H 'X-Amz-Target: RekognitionService.DescribeProjects' -H 'Content-Type: application/x-amz-json-1.1' -d '{}' || true)"
type="$(json_get "$work/out/unsigned.json" 'j.get("__type")' 2>/dev/null || echo "(not JSON)")"
if [ "$type" = MissingAuthenticationTokenException ] && [ "$status" -ge 400 ] && [ "$status" -lt 500 ]; then
  pass "unsigned curl → HTTP $status $type"
else
  fail "unsigned curl: HTTP $status, __type '$type': $(cat "$work/out/unsigned.json")"
fi

if "$python" "$here/aws_clients.py" auth --endpoint "$auth_endpoint" --key-id "$key_id" --secret "$secret" \
    --version-arn "$version_arn" --reference "$reference" --image "$labelled"; then
  pass "boto3 with SigV4: signed works, stale/future clock and wrong keys refused"
else
  fail "boto3 with SigV4: see the FAIL lines above"
fi

# ---- SIGTERM ends both servers with exit 0 ----------------------------------------------------------

stop_server auth "$auth_pid"
stop_server open "$open_pid"

echo
if [ "${#failures[@]}" -eq 0 ]; then
  echo "aws_clients_test: PASS ($passes checks)"
  exit 0
fi
echo "aws_clients_test: FAIL (${#failures[@]} of $((passes + ${#failures[@]})) checks failed):"
printf '  - %s\n' "${failures[@]}"
exit 1
