#!/usr/bin/env python3
# make_vectors.py — golden AWS Signature Version 4 vectors for logoscope's SigV4 verifier
# (src/server/sigv4.*), signed by an INDEPENDENT implementation: botocore's own signer
# (botocore.auth.SigV4Auth on a botocore.awsrequest.AWSRequest), the code every boto3 / AWS CLI
# call goes through. Nothing here shares code or reading with the C++ verifier.
#
# Each vector is one request exactly as an HTTP client would put it on the wire: method, path
# (still percent-encoded), raw query string, every header (including the Host and Content-Length
# the HTTP layer adds after signing, which are therefore unsigned or signed as botocore decided),
# the body, the fixed signing time, the credentials, and the Authorization header botocore wrote.
# tests/server/test_sigv4.cpp checks that the verifier accepts every vector, and that tampering
# with any signed part is refused.
#
# The signing clock is pinned by replacing the clock botocore.auth reads (datetime.datetime.utcnow
# in botocore 1.29, get_current_datetime in later releases), so the output is deterministic.
#
# Requirements: Python 3 with botocore (Debian 12: `apt-get install -y python3-boto3`, which pulls
# python3-botocore 1.29; a pip-installed botocore signs identically).
#
# To regenerate (from the repository root):
#   /usr/bin/python3 tools/reference/sigv4/make_vectors.py > tests/server/data/sigv4_vectors.json
import base64
import datetime
import hashlib
import json
import sys
from unittest import mock

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY_ID = "AKIDLOGOSCOPEEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
OTHER_KEY_ID = "AKIDSECONDKEYEXAMPLE"
OTHER_SECRET = "another/secret+with/symbols=="


def fixed_clock(when):
    """A datetime.datetime whose now()/utcnow() answer `when` (naive, UTC)."""

    class Fixed(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return when

        @classmethod
        def now(cls, tz=None):
            return when if tz is None else when.replace(tzinfo=datetime.timezone.utc).astimezone(tz)

    return Fixed


def sign(*, name, method, url, headers, body, when, region, service, key_id=KEY_ID, secret=SECRET,
         unsigned_payload=False):
    request = AWSRequest(method=method, url=url, data=body)
    for header, value in headers:
        request.headers[header] = value  # HTTPHeaders: assigning twice keeps both values
    if unsigned_payload:
        request.context["payload_signing_enabled"] = False
    datetime_shim = mock.Mock(wraps=datetime)
    datetime_shim.datetime = fixed_clock(when)
    patches = [mock.patch.object(botocore.auth, "datetime", datetime_shim)]
    if hasattr(botocore.auth, "get_current_datetime"):
        patches.append(mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: when))
    for patch in patches:
        patch.start()
    signer = botocore.auth.SigV4Auth(Credentials(key_id, secret), service, region)
    try:
        signer.add_auth(request)
    finally:
        for patch in reversed(patches):
            patch.stop()
    # The canonical request and string to sign botocore signed (recomputed without the
    # Authorization header it has just added).
    authorization = request.headers["Authorization"]
    del request.headers["Authorization"]
    canonical_request = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical_request)
    request.headers["Authorization"] = authorization

    prepared = request.prepare()
    split = botocore.compat.urlsplit(prepared.url)
    # request.headers keeps every value of a repeated header (prepared.headers, a dict, would keep
    # only the last); the HTTP layer adds Content-Length after signing.
    wire_headers = list(request.headers.items())
    if "Content-Length" in prepared.headers and "Content-Length" not in request.headers:
        wire_headers.append(("Content-Length", prepared.headers["Content-Length"]))
    if not any(k.lower() == "host" for k, _ in wire_headers):
        # What the HTTP client sends: the host botocore signed when no Host header was given.
        wire_headers.insert(0, ("Host", botocore.auth._host_from_url(prepared.url)))
    body_bytes = body if isinstance(body, bytes) else (body or "").encode("utf-8")
    return {
        "name": name,
        "method": method,
        "path": split.path,
        "query": split.query,
        "headers": [[k, v] for k, v in wire_headers],
        "body": body_bytes.decode("utf-8"),
        "body_sha256": hashlib.sha256(body_bytes).hexdigest(),
        "timestamp": when.strftime("%Y%m%dT%H%M%SZ"),
        "access_key_id": key_id,
        "secret_access_key": secret,
        "region": region,
        "service": service,
        "authorization": authorization,
        "canonical_request": canonical_request,
        "string_to_sign": string_to_sign,
    }


def main():
    image = base64.b64encode(bytes(range(48))).decode("ascii")
    detect = json.dumps({
        "ProjectVersionArn": "arn:aws:rekognition:us-east-1:123456789012:project/logos/version/v1/1",
        "Image": {"Bytes": image},
        "MaxResults": 10,
        "MinConfidence": 55,
    })
    json_headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("User-Agent", "Boto3/1.26.27 Python/3.11 Linux/6 Botocore/1.29.27"),  # never signed
    ]
    vectors = [
        sign(name="detect_custom_labels", method="POST", url="http://localhost:8080/",
             headers=[("X-Amz-Target", "RekognitionService.DetectCustomLabels")] + json_headers,
             body=detect, when=datetime.datetime(2024, 5, 17, 12, 34, 56), region="us-east-1",
             service="rekognition"),
        sign(name="empty_body", method="POST", url="http://127.0.0.1:9000/",
             headers=[("X-Amz-Target", "RekognitionService.DescribeProjects")] + json_headers,
             body=b"", when=datetime.datetime(2024, 2, 29, 23, 59, 59), region="eu-west-1",
             service="rekognition"),
        # Percent-encoded path with dot segments and a doubled slash (non-S3 services normalise
        # the path and encode it once more); query parameters out of order, repeated, valueless.
        sign(name="encoded_path_and_query", method="GET",
             url="https://logos.example.com/projects/logo%20detector/caf%C3%A9/./drafts/../versions//v1~2"
                 "?b=2&a=hello%20world&a=%2A&empty&c=&Z=%2Fslash",
             headers=[("X-Amz-Target", "RekognitionService.DescribeProjectVersions")] + json_headers,
             body=b"", when=datetime.datetime(2023, 12, 31, 0, 0, 1), region="ap-southeast-2",
             service="rekognition", key_id=OTHER_KEY_ID, secret=OTHER_SECRET),
        # Header values with runs of spaces and tabs, a repeated header, mixed-case names.
        sign(name="header_whitespace", method="POST", url="http://localhost:8080/",
             headers=[("X-Amz-Target", "RekognitionService.DetectCustomLabels"),
                      ("X-Logoscope-Note", "  several   spaces \t and\ttabs  "),
                      ("X-Repeated", " first "),
                      ("X-Repeated", "second   value"),
                      ("X-MiXeD-CaSe", "Value")] + json_headers,
             body='{"Image": {"Bytes": "AAAA"}}', when=datetime.datetime(2024, 5, 17, 12, 34, 56),
             region="us-east-1", service="rekognition"),
        # The Date header instead of X-Amz-Date.
        sign(name="date_header", method="POST", url="http://localhost:8080/",
             headers=[("X-Amz-Target", "RekognitionService.DetectCustomLabels"),
                      ("Date", "placeholder, botocore rewrites it")] + json_headers,
             body=detect, when=datetime.datetime(2024, 1, 2, 3, 4, 5), region="us-west-2",
             service="rekognition"),
        # The body hash given in a signed x-amz-content-sha256 header.
        sign(name="content_sha256_header", method="POST", url="http://localhost:8080/",
             headers=[("X-Amz-Target", "RekognitionService.DetectCustomLabels"),
                      ("X-Amz-Content-SHA256", hashlib.sha256(detect.encode()).hexdigest())]
             + json_headers,
             body=detect, when=datetime.datetime(2024, 5, 17, 12, 34, 56), region="us-east-1",
             service="rekognition"),
        # x-amz-content-sha256: UNSIGNED-PAYLOAD (botocore's payload signing disabled).
        sign(name="unsigned_payload", method="POST", url="https://localhost:8443/",
             headers=[("X-Amz-Target", "RekognitionService.DetectCustomLabels")] + json_headers,
             body=detect, when=datetime.datetime(2024, 5, 17, 12, 34, 56), region="us-east-1",
             service="rekognition", unsigned_payload=True),
        # Another service name and a non-ASCII JSON body.
        sign(name="other_service_utf8_body", method="POST", url="http://localhost:8080/",
             headers=[("X-Amz-Target", "RekognitionService.DetectCustomLabels")] + json_headers,
             body='{"Name": "Café ☕ logo"}', when=datetime.datetime(2024, 5, 17, 12, 34, 56),
             region="local", service="logoscope"),
    ]
    json.dump({
        "generator": "tools/reference/sigv4/make_vectors.py",
        "botocore_version": botocore.__version__,
        "vectors": vectors,
    }, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
