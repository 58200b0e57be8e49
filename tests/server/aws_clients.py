#!/usr/bin/env python3
"""AWS clients against `logoscope serve`: the checks of tests/server/aws_clients_test.sh that need Python.

Subcommands (each prints PASS:/FAIL: lines and exits 1 when any check failed):

  compare [--min-images 3] --reference REF.jsonl IMAGE=RESPONSE.json ...
      Compare DetectCustomLabels responses (as `aws rekognition detect-custom-labels` prints them) with
      `logoscope detect` output lines (REF.jsonl, one JSON line per image, matched by file name).

  boto3 --endpoint URL --project-arn P --version-arn V --version NAME --reference REF.jsonl IMAGE ...
      boto3's Rekognition client against an unauthenticated server: the same detect comparison,
      Describe*, Stop/Start with boto3's waiter, and the error cases (unknown ARN, non-image bytes,
      MinConfidence 101).

  auth --endpoint URL --key-id ID --secret S --version-arn V --reference REF.jsonl IMAGE
      boto3 against a server started with --auth-keys: a signed request works (in any region), a
      request signed 10 minutes in the past (or future) is refused with InvalidSignatureException.

Only the standard library and boto3/botocore. Retries are off, so error cases answer at once.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import sys
from typing import Any, Callable, Iterator

import boto3
import botocore
import botocore.auth
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

CONFIDENCE_TOLERANCE = 1e-6  # Confidence is 0-100
BOX_TOLERANCE = 1e-9  # BoundingBox fields are ratios of the image size
BOX_FIELDS = ("Width", "Height", "Left", "Top")
# The keys a Rekognition CustomLabel may hold (Geometry may also hold a Polygon).
CUSTOM_LABEL_KEYS = {"Name", "Confidence", "Geometry"}
UNKNOWN_VERSION_ARN = "arn:logoscope:rekognition:local:000000000000:project/no-such-model/version/no-such-model.1/1"


class Checks:
    """Collects PASS/FAIL results; prints each as it comes."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.failures: list[str] = []
        self.passes = 0

    def passed(self, what: str) -> None:
        self.passes += 1
        print(f"PASS: {self.prefix}: {what}", flush=True)

    def failed(self, what: str) -> None:
        self.failures.append(what)
        print(f"FAIL: {self.prefix}: {what}", flush=True)

    def check(self, ok: bool, what: str, why: str = "") -> bool:
        if ok:
            self.passed(what)
        else:
            self.failed(f"{what}: {why}" if why else what)
        return ok

    def exit_code(self) -> int:
        print(f"{self.prefix}: {self.passes} passed, {len(self.failures)} failed", flush=True)
        return 1 if self.failures else 0


# ---- comparing labels ----------------------------------------------------------------------------


def load_reference(path: str) -> dict[str, list[dict[str, Any]]]:
    """`logoscope detect` JSON lines → {image file name: CustomLabels}."""
    reference: dict[str, list[dict[str, Any]]] = {}
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            if "error" in record:
                raise SystemExit(f"{path}:{number}: logoscope detect could not read {record.get('image')}: "
                                 f"{record['error']}")
            reference[os.path.basename(record["image"])] = record["CustomLabels"]
    return reference


def label_differences(expected: list[dict[str, Any]], actual: Any) -> list[str]:
    """What differs between two CustomLabels lists (empty when they agree within the tolerances)."""
    if not isinstance(actual, list):
        return [f"CustomLabels is {type(actual).__name__}, not a list"]
    problems: list[str] = []
    if len(expected) != len(actual):
        problems.append(f"{len(actual)} labels instead of logoscope detect's {len(expected)}")
    for i, (want, got) in enumerate(zip(expected, actual)):
        where = f"label {i}"
        if not isinstance(got, dict):
            problems.append(f"{where} is {type(got).__name__}, not an object")
            continue
        extra = set(got) - CUSTOM_LABEL_KEYS
        if extra:
            problems.append(f"{where} has keys Rekognition does not have: {sorted(extra)}")
        if got.get("Name") != want["Name"]:
            problems.append(f"{where} Name {got.get('Name')!r} != {want['Name']!r}")
        confidence = got.get("Confidence")
        if not isinstance(confidence, (int, float)) or abs(confidence - want["Confidence"]) > CONFIDENCE_TOLERANCE:
            problems.append(f"{where} Confidence {confidence!r} != {want['Confidence']!r}")
        box = (got.get("Geometry") or {}).get("BoundingBox")
        if not isinstance(box, dict):
            problems.append(f"{where} has no Geometry.BoundingBox")
            continue
        want_box = want["Geometry"]["BoundingBox"]
        for field in BOX_FIELDS:
            value = box.get(field)
            if not isinstance(value, (int, float)) or abs(value - want_box[field]) > BOX_TOLERANCE:
                problems.append(f"{where} BoundingBox.{field} {value!r} != {want_box[field]!r}")
    return problems


def compare_response(checks: Checks, client: str, image: str, expected: list[dict[str, Any]],
                     response: dict[str, Any]) -> None:
    problems = label_differences(expected, response.get("CustomLabels"))
    checks.check(not problems, f"{client} detect {image}: {len(expected)} labels as logoscope detect",
                 "; ".join(problems[:6]) + (f" (and {len(problems) - 6} more)" if len(problems) > 6 else ""))


def check_not_vacuous(checks: Checks, reference: dict[str, list[dict[str, Any]]], images: list[str],
                      min_images: int = 3) -> None:
    with_labels = sum(1 for image in images if reference.get(os.path.basename(image)))
    checks.check(len(images) >= min_images, f"{len(images)} images compared", f"need at least {min_images}")
    checks.check(with_labels >= 1, f"{with_labels} of the images have labels",
                 "no image has a label: the comparison would pass vacuously")


def command_compare(args: argparse.Namespace) -> int:
    checks = Checks("awscli")
    reference = load_reference(args.reference)
    images = []
    for pair in args.pairs:
        image, _, response_path = pair.partition("=")
        images.append(image)
        name = os.path.basename(image)
        if name not in reference:
            checks.failed(f"{name}: no logoscope detect line for it")
            continue
        try:
            with open(response_path, encoding="utf-8") as file:
                response = json.load(file)
        except (OSError, json.JSONDecodeError) as error:
            checks.failed(f"{name}: the CLI's output {response_path} is not JSON: {error}")
            continue
        compare_response(checks, "awscli", name, reference[name], response)
    check_not_vacuous(checks, reference, images, args.min_images)
    return checks.exit_code()


# ---- boto3 ---------------------------------------------------------------------------------------


def make_client(endpoint: str, region: str = "us-east-1", key_id: str = "AKIDLOGOSCOPEDUMMY",
                secret: str = "logoscope-dummy-secret") -> Any:
    # Explicit credentials and region: nothing is read from ~/.aws or the instance metadata service.
    return boto3.session.Session().client(
        "rekognition", endpoint_url=endpoint, region_name=region, aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60))


def expect_client_error(checks: Checks, what: str, code: str, call: Callable[[], Any],
                        message_contains: str = "", http_status: int | None = 400,
                        client_may_refuse: bool = False) -> None:
    """call() must raise a ClientError with this error code (and HTTP status, and words in the message).

    client_may_refuse: botocore refusing the parameters itself (ParamValidationError) is a skip, not a
    failure: the request never reached the server.
    """
    try:
        result = call()
    except ClientError as error:
        got = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        problems = []
        if got.get("Code") != code:
            problems.append(f"error code {got.get('Code')!r} (message {got.get('Message')!r}), expected {code}")
        if not got.get("Message"):
            problems.append("the error has no Message")
        elif message_contains and message_contains.lower() not in got["Message"].lower():
            problems.append(f"message {got['Message']!r} does not mention {message_contains!r}")
        if http_status is not None and status != http_status:
            problems.append(f"HTTP {status}, expected {http_status}")
        first_line = str(got.get("Message", "")).splitlines()[0][:200] if got.get("Message") else ""
        checks.check(not problems, f"{what} → {code} ({first_line})", "; ".join(problems))
        return
    except ParamValidationError as error:
        if client_may_refuse:
            print(f"SKIP: {checks.prefix}: {what}: botocore refuses the parameters itself: {error}", flush=True)
        else:
            checks.failed(f"{what}: botocore refused the parameters itself: {error}")
        return
    checks.failed(f"{what}: expected {code}, but the call succeeded: {str(result)[:200]}")


def detect(client: Any, arn: str, image: str, **extra: Any) -> dict[str, Any]:
    with open(image, "rb") as file:
        return client.detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": file.read()}, **extra)


def command_boto3(args: argparse.Namespace) -> int:
    checks = Checks("boto3")
    print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}, Python {sys.version.split()[0]}", flush=True)
    reference = load_reference(args.reference)
    client = make_client(args.endpoint)

    # The same answers as `logoscope detect`.
    for image in args.images:
        name = os.path.basename(image)
        try:
            response = detect(client, args.version_arn, image, MinConfidence=0)
        except (ClientError, ParamValidationError) as error:
            checks.failed(f"detect {name}: {error}")
            continue
        compare_response(checks, "boto3", name, reference[name], response)
    check_not_vacuous(checks, reference, args.images)

    # MaxResults keeps the most confident; no MinConfidence: the model's own thresholds (a subset).
    labelled = next((image for image in args.images if reference[os.path.basename(image)]), args.images[0])
    full = reference[os.path.basename(labelled)]
    try:
        top = detect(client, args.version_arn, labelled, MinConfidence=0, MaxResults=1)["CustomLabels"]
        checks.check(label_differences(full[:1], top) == [], "MaxResults=1 answers the most confident label",
                     "; ".join(label_differences(full[:1], top)))
        default = detect(client, args.version_arn, labelled)["CustomLabels"]
        confidences = {round(label["Confidence"], 6) for label in full}
        checks.check(len(default) <= len(full) and all(round(l["Confidence"], 6) in confidences for l in default),
                     f"no MinConfidence: {len(default)} of the {len(full)} labels (the model's thresholds)",
                     f"labels that MinConfidence=0 did not give: {default}")
    except (ClientError, ParamValidationError) as error:
        checks.failed(f"MaxResults / default MinConfidence: {error}")

    # Describe*: the shapes botocore parses (CreationTimestamp becomes a datetime).
    try:
        projects = client.describe_projects()["ProjectDescriptions"]
        arns = [project.get("ProjectArn") for project in projects]
        checks.check(args.project_arn in arns, "DescribeProjects lists the project", f"ProjectArns {arns}")
        checks.check(all(isinstance(p.get("CreationTimestamp"), datetime.datetime) for p in projects),
                     "DescribeProjects CreationTimestamp parses as a timestamp", str(projects))
        versions = client.describe_project_versions(ProjectArn=args.project_arn,
                                                    VersionNames=[args.version])["ProjectVersionDescriptions"]
        ok = (len(versions) == 1 and versions[0].get("ProjectVersionArn") == args.version_arn
              and versions[0].get("Status") == "RUNNING"
              and isinstance(versions[0].get("CreationTimestamp"), datetime.datetime))
        checks.check(ok, "DescribeProjectVersions: the version, RUNNING", str(versions))
    except (ClientError, ParamValidationError) as error:
        checks.failed(f"Describe*: {error}")

    # Errors, as botocore sees them.
    expect_client_error(checks, "an unknown ProjectVersionArn", "ResourceNotFoundException",
                        lambda: detect(client, UNKNOWN_VERSION_ARN, args.images[0], MinConfidence=0))
    expect_client_error(checks, "DescribeProjectVersions of an unknown project", "ResourceNotFoundException",
                        lambda: client.describe_project_versions(
                            ProjectArn="arn:logoscope:rekognition:local:000000000000:project/no-such-model/1"))
    with open(args.images[0], "rb") as file:
        image_bytes = file.read()
    expect_client_error(checks, "bytes that are not an image", "InvalidImageFormatException",
                        lambda: client.detect_custom_labels(ProjectVersionArn=args.version_arn,
                                                            Image={"Bytes": b"this is not an image, just text\n" * 4}))
    expect_client_error(checks, "a JPEG cut after 600 bytes", "InvalidImageFormatException",
                        lambda: client.detect_custom_labels(ProjectVersionArn=args.version_arn,
                                                            Image={"Bytes": image_bytes[:600]}))
    expect_client_error(checks, "Image.S3Object (not served)", "InvalidS3ObjectException",
                        lambda: client.detect_custom_labels(ProjectVersionArn=args.version_arn,
                                                            Image={"S3Object": {"Bucket": "logoscope-test", "Name": "photo.jpg"}}))
    # botocore checks only the minimum of a number, so 101 should reach the server.
    expect_client_error(checks, "MinConfidence 101", "InvalidParameterException",
                        lambda: client.detect_custom_labels(ProjectVersionArn=args.version_arn,
                                                            Image={"Bytes": image_bytes}, MinConfidence=101),
                        client_may_refuse=True)

    # Stop → ResourceNotReadyException; Start → boto3's waiter (1 s polls) → detect works again.
    try:
        stopped = client.stop_project_version(ProjectVersionArn=args.version_arn)
        checks.check(stopped.get("Status") in ("STOPPING", "STOPPED"), f"StopProjectVersion: {stopped.get('Status')}",
                     str(stopped))
        expect_client_error(checks, "detect on a stopped model", "ResourceNotReadyException",
                            lambda: detect(client, args.version_arn, args.images[0], MinConfidence=0))
        started = client.start_project_version(ProjectVersionArn=args.version_arn, MinInferenceUnits=1)
        checks.check(started.get("Status") in ("STARTING", "RUNNING"), f"StartProjectVersion: {started.get('Status')}",
                     str(started))
        client.get_waiter("project_version_running").wait(
            ProjectArn=args.project_arn, VersionNames=[args.version], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        checks.passed("the project_version_running waiter sees RUNNING")
        compare_response(checks, "boto3 (after a restart)", os.path.basename(labelled), full,
                         detect(client, args.version_arn, labelled, MinConfidence=0))
    except (ClientError, ParamValidationError, botocore.exceptions.WaiterError) as error:
        checks.failed(f"stop/start: {error}")
    return checks.exit_code()


# ---- SigV4 with a wrong clock --------------------------------------------------------------------


@contextlib.contextmanager
def signing_clock_offset(offset: datetime.timedelta) -> Iterator[None]:
    """Make every client in this process sign SigV4 as if its clock were off by `offset`.

    Clients look their signer class up in botocore.auth.AUTH_TYPE_MAPS["v4"] for each request; that is
    SigV4Auth, or CrtSigV4Auth when awscrt is installed (Debian's python3-botocore has it), which reads
    the clock on its own. For the duration, "v4" maps to a SigV4Auth whose timestamp is shifted:
    add_auth puts the current time into request.context["timestamp"], then calls
    _modify_request_before_signing, which writes X-Amz-Date from it; everything after (credential
    scope, string to sign) reads that context value, so replacing it there moves the whole signature.
    """

    class ShiftedClockSigV4Auth(botocore.auth.SigV4Auth):
        def _modify_request_before_signing(self, request: Any) -> None:
            when = datetime.datetime.now(datetime.timezone.utc) + offset
            request.context["timestamp"] = when.strftime(botocore.auth.SIGV4_TIMESTAMP)
            super()._modify_request_before_signing(request)

    original = botocore.auth.AUTH_TYPE_MAPS["v4"]
    botocore.auth.AUTH_TYPE_MAPS["v4"] = ShiftedClockSigV4Auth
    try:
        yield
    finally:
        botocore.auth.AUTH_TYPE_MAPS["v4"] = original


def sent_date(client: Any) -> list[str]:
    """Records the X-Amz-Date of each request the client sends (to show the shifted clock was used)."""
    dates: list[str] = []

    def record(request: Any, **_: Any) -> None:
        value = request.headers.get("X-Amz-Date", b"")
        dates.append(value.decode() if isinstance(value, bytes) else str(value))

    client.meta.events.register("before-send", record)
    return dates


def command_auth(args: argparse.Namespace) -> int:
    checks = Checks("boto3 auth")
    reference = load_reference(args.reference)
    name = os.path.basename(args.image)
    for region in ("us-east-1", "eu-west-1"):
        client = make_client(args.endpoint, region=region, key_id=args.key_id, secret=args.secret)
        try:
            compare_response(checks, f"boto3 signed ({region})", name, reference[name],
                             detect(client, args.version_arn, args.image, MinConfidence=0))
        except (ClientError, ParamValidationError) as error:
            checks.failed(f"a request signed with the right key ({region}) was refused: {error}")
    client = make_client(args.endpoint, key_id=args.key_id, secret=args.secret)
    dates = sent_date(client)
    for minutes, words in ((-10, "expired"), (10, "not yet current")):
        with signing_clock_offset(datetime.timedelta(minutes=minutes)):
            what = f"signed with a clock {abs(minutes)} minutes {'behind' if minutes < 0 else 'ahead'}"
            expect_client_error(checks, what, "InvalidSignatureException", lambda: client.describe_projects(),
                                message_contains=words)
            print(f"  (X-Amz-Date sent: {dates[-1] if dates else '?'}, now "
                  f"{datetime.datetime.now(datetime.timezone.utc).strftime(botocore.auth.SIGV4_TIMESTAMP)})",
                  flush=True)
    # 4 minutes off is within the 5 minutes allowed.
    with signing_clock_offset(datetime.timedelta(minutes=-4)):
        try:
            client.describe_projects()
            checks.passed("signed with a clock 4 minutes behind: accepted (within 5 minutes)")
        except ClientError as error:
            checks.failed(f"signed with a clock 4 minutes behind: refused: {error}")
    wrong = make_client(args.endpoint, key_id=args.key_id, secret=args.secret + "x")
    expect_client_error(checks, "the wrong secret", "InvalidSignatureException", lambda: wrong.describe_projects())
    unknown = make_client(args.endpoint, key_id="AKIDNOSUCHKEY0000000", secret=args.secret)
    expect_client_error(checks, "an unknown access key id", "UnrecognizedClientException",
                        lambda: unknown.describe_projects())
    return checks.exit_code()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    compare = commands.add_parser("compare", help="compare awscli outputs with logoscope detect's")
    compare.add_argument("--reference", required=True)
    compare.add_argument("--min-images", type=int, default=3, help="fail with fewer images (default 3)")
    compare.add_argument("pairs", nargs="+", metavar="IMAGE=RESPONSE.json")
    compare.set_defaults(run=command_compare)
    with_boto3 = commands.add_parser("boto3", help="boto3 against an unauthenticated server")
    for option in ("--endpoint", "--project-arn", "--version-arn", "--version", "--reference"):
        with_boto3.add_argument(option, required=True)
    with_boto3.add_argument("images", nargs="+")
    with_boto3.set_defaults(run=command_boto3)
    auth = commands.add_parser("auth", help="boto3 against a server with --auth-keys")
    for option in ("--endpoint", "--key-id", "--secret", "--version-arn", "--reference", "--image"):
        auth.add_argument(option, required=True)
    auth.set_defaults(run=command_auth)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
