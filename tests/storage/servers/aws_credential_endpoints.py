#!/usr/bin/env python3
"""Local stand-ins for the AWS credential services, on 127.0.0.1, checking what the real ones check.

Used by tests/storage/test_storage_credentials.cpp. One server answers all of them:

  IMDSv2     PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds (1..21600);
             GET /latest/meta-data/iam/security-credentials/[ROLE] needs a token the PUT gave.
  ECS        GET /ecs/credentials needs Authorization equal to --ecs-token.
  SSO portal GET /federation/credentials?account_id=&role_name= needs x-amz-sso_bearer_token equal to
             --sso-token, and --account / --role.
  STS        POST / with a form body.
             AssumeRole: a SigV4 signature (service sts, region --region) made with a secret this
             server knows: --source-key/--source-secret, or credentials it issued itself (then
             X-Amz-Security-Token must be theirs); X-Amz-Date within 15 minutes; RoleArn, a valid
             RoleSessionName, ExternalId equal to --external-id when that is given.
             AssumeRoleWithWebIdentity: unsigned; WebIdentityToken equal to --web-identity-token.
  S3         HEAD /public-bucket/... is 200; any other HEAD is 403 with no body, and a GET of it 403
             InvalidAccessKeyId (refused credentials), as S3 answers an unknown key.
  GET /__log  the requests seen so far, one "METHOD PATH" per line (for "nothing was asked" checks).

The SigV4 check is written from AWS's specification with hashlib/hmac only. --sigv4-vectors FILE
first replays the signatures botocore made (tools/reference/sigv4/make_vectors.py ->
tests/server/data/sigv4_vectors.json) through it and exits 3 if any is not reproduced.

The chosen port is written to --port-file (atomically) once the server listens.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ISSUED = {}  # access key id -> (secret, session token) of credentials this server issued
IMDS_TOKENS = set()
LOG = []
LOCK = threading.Lock()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def hmac_sha256(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def uri_encode(text, keep_slash):
    safe = "-_.~" + ("/" if keep_slash else "")
    return urllib.parse.quote(text, safe=safe)


def canonical_path(path):
    """Services other than S3: dot segments and empty segments removed, then encoded again."""
    segments = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    normalized = "/" + "/".join(segments) + ("/" if path.endswith("/") and segments else "")
    return uri_encode(normalized, True)


def canonical_query(raw):
    pairs = [p.split("=", 1) if "=" in p else [p, ""] for p in raw.split("&") if p]
    encoded = [(uri_encode(urllib.parse.unquote(k), False), uri_encode(urllib.parse.unquote(v), False)) for k, v in pairs]
    return "&".join(f"{k}={v}" for k, v in sorted(encoded))


def signature_for(method, path, query, headers, signed, body, amz_date, scope, secret):
    """headers: list of (name, value) as received. Returns (signature, canonical request)."""
    values = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(re.sub(r"\s+", " ", value.strip()))
    canonical_headers = "".join(f"{name}:{','.join(values.get(name, []))}\n" for name in signed)
    payload = values.get("x-amz-content-sha256", [sha256_hex(body)])[0]
    canonical = "\n".join([method, canonical_path(path), canonical_query(query),
                           canonical_headers, ";".join(signed), payload])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, sha256_hex(canonical.encode("utf-8"))])
    date, region, service, _ = scope.split("/")
    key = hmac_sha256(("AWS4" + secret).encode("utf-8"), date)
    key = hmac_sha256(key, region)
    key = hmac_sha256(key, service)
    key = hmac_sha256(key, "aws4_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest(), canonical


AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, ?"
                  r"SignedHeaders=([a-z0-9;.-]+), ?Signature=([0-9a-f]{64})$")


def self_test(path):
    with open(path) as f:
        vectors = json.load(f)["vectors"]
    for vector in vectors:
        match = AUTH.match(vector["authorization"])
        headers = [(n, v) for n, v in vector["headers"] if n.lower() != "authorization"]
        scope = "/".join([match.group(2), match.group(3), match.group(4), "aws4_request"])
        got, _ = signature_for(vector["method"], vector["path"], vector["query"], headers, match.group(5).split(";"),
                               vector["body"].encode("utf-8"), vector["timestamp"], scope, vector["secret_access_key"])
        if got != match.group(6):
            print(f"sigv4 self-test: vector {vector['name']}: got {got}, botocore signed {match.group(6)}",
                  file=sys.stderr)
            sys.exit(3)


def sts_error(code, message, status=403):
    body = (f"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>x</RequestId></ErrorResponse>")
    return status, "text/xml", body


def issue(lifetime_s=3600, prefix="ASIA"):
    key = prefix + secrets.token_hex(8).upper()
    secret = secrets.token_urlsafe(30)
    token = "TOKEN" + secrets.token_urlsafe(40)
    expiration = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=lifetime_s))
    with LOCK:
        ISSUED[key] = (secret, token)
    return key, secret, token, expiration.strftime("%Y-%m-%dT%H:%M:%SZ"), expiration


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    options = None

    def log_message(self, fmt, *args):  # quiet
        pass

    def reply(self, status, content_type, body):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(length) if length else b""

    def record(self):
        with LOCK:
            LOG.append(f"{self.command} {self.path}")

    # ---------------------------------------------------------------- IMDSv2

    def imds_token(self):
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.reply(400, "text/plain", "missing or invalid X-aws-ec2-metadata-token-ttl-seconds")
        token = secrets.token_urlsafe(32)
        with LOCK:
            IMDS_TOKENS.add(token)
        self.reply(200, "text/plain", token)

    def imds_get(self, rest):
        with LOCK:
            known = self.headers.get("X-aws-ec2-metadata-token") in IMDS_TOKENS
        if not known:
            return self.reply(401, "text/plain", "Unauthorized")
        role = self.options.imds_role
        if rest == "":
            return self.reply(200, "text/plain", role)
        if rest != role:
            return self.reply(404, "text/plain", "Not Found")
        key, secret, token, expiration, _ = issue(self.options.lifetime)
        self.reply(200, "application/json", json.dumps({
            "Code": "Success", "LastUpdated": expiration, "Type": "AWS-HMAC", "AccessKeyId": key,
            "SecretAccessKey": secret, "Token": token, "Expiration": expiration}))

    # ---------------------------------------------------------------- ECS

    def ecs(self):
        if self.headers.get("Authorization") != self.options.ecs_token:
            return self.reply(401, "application/json", json.dumps({"message": "invalid authorization token"}))
        key, secret, token, expiration, _ = issue(self.options.lifetime)
        self.reply(200, "application/json", json.dumps({
            "AccessKeyId": key, "SecretAccessKey": secret, "Token": token, "Expiration": expiration,
            "RoleArn": "arn:aws:iam::123456789012:role/ecs-task"}))

    # ---------------------------------------------------------------- SSO portal

    def sso(self, query):
        if self.headers.get("x-amz-sso_bearer_token") != self.options.sso_token:
            return self.reply(401, "application/json",
                              json.dumps({"message": "Session token not found or invalid"}))
        params = urllib.parse.parse_qs(query)
        if params.get("account_id") != [self.options.account] or params.get("role_name") != [self.options.role]:
            return self.reply(403, "application/json", json.dumps({"message": "No access"}))
        key, secret, token, _, expiration = issue(self.options.lifetime)
        self.reply(200, "application/json", json.dumps({"roleCredentials": {
            "accessKeyId": key, "secretAccessKey": secret, "sessionToken": token,
            "expiration": int(expiration.timestamp() * 1000)}}))

    # ---------------------------------------------------------------- STS

    def check_signature(self, body):
        authorization = self.headers.get("Authorization", "")
        match = AUTH.match(authorization)
        if not match:
            return sts_error("MissingAuthenticationToken", "Request is missing Authentication Token")
        key, date, region, service, signed, signature = match.groups()
        signed = signed.split(";")
        amz_date = self.headers.get("X-Amz-Date", "")
        if "host" not in signed or "x-amz-date" not in signed or not amz_date.startswith(date):
            return sts_error("IncompleteSignature", "host and x-amz-date must be signed", 400)
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 900:
            return sts_error("SignatureDoesNotMatch", "Signature expired")
        if service != "sts" or region != self.options.region:
            return sts_error("SignatureDoesNotMatch", f"Credential should be scoped to {self.options.region}/sts")
        with LOCK:
            issued = ISSUED.get(key)
        if key == self.options.source_key:
            secret, token = self.options.source_secret, None
        elif issued:
            secret, token = issued
        else:
            return sts_error("InvalidClientTokenId", "The security token included in the request is invalid.")
        if token is not None and self.headers.get("X-Amz-Security-Token") != token:
            return sts_error("InvalidClientTokenId", "The security token included in the request is invalid.")
        path, _, query = self.path.partition("?")
        expected, _ = signature_for(self.command, path, query, list(self.headers.items()), signed, body,
                                    amz_date, f"{date}/{region}/{service}/aws4_request", secret)
        if not hmac.compare_digest(expected, signature):
            return sts_error("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                                                      "signature you provided.")
        return None

    def sts(self):
        body = self.body()
        form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
        one = {k: v[0] for k, v in form.items()}
        action = one.get("Action")
        if one.get("Version") != "2011-06-15":
            return self.reply(*sts_error("InvalidAction", "Version must be 2011-06-15", 400))
        if action == "AssumeRole":
            refused = self.check_signature(body)
            if refused:
                return self.reply(*refused)
            if one.get("ExternalId") != self.options.external_id:
                return self.reply(*sts_error("AccessDenied", "not authorized to perform: sts:AssumeRole (ExternalId)"))
        elif action == "AssumeRoleWithWebIdentity":
            if "Authorization" in self.headers:
                return self.reply(*sts_error("InvalidAction", "AssumeRoleWithWebIdentity is not signed", 400))
            if one.get("WebIdentityToken") != self.options.web_identity_token:
                return self.reply(*sts_error("InvalidIdentityToken", "Couldn't retrieve verification key", 400))
        else:
            return self.reply(*sts_error("InvalidAction", f"Could not find operation {action}", 400))
        if not re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]+", one.get("RoleArn", "")):
            return self.reply(*sts_error("ValidationError", "RoleArn is not a role ARN", 400))
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", one.get("RoleSessionName", "")):
            return self.reply(*sts_error("ValidationError", "RoleSessionName is invalid", 400))
        duration = one.get("DurationSeconds")
        if duration is not None and not (duration.isdigit() and 900 <= int(duration) <= 43200):
            return self.reply(*sts_error("ValidationError", "DurationSeconds must be 900..43200", 400))
        key, secret, token, expiration, _ = issue(self.options.lifetime)
        self.reply(200, "text/xml", (
            f"<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>"
            f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
            f"<SessionToken>{token}</SessionToken><Expiration>{expiration}</Expiration></Credentials>"
            f"<AssumedRoleUser><Arn>{one['RoleArn']}</Arn><AssumedRoleId>AROA:{one['RoleSessionName']}</AssumedRoleId>"
            f"</AssumedRoleUser></{action}Result><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata>"
            f"</{action}Response>"))

    # ---------------------------------------------------------------- routing

    def do_HEAD(self):
        # An S3 endpoint that refuses every key but those under /public-bucket/.
        self.record()
        status = 200 if self.path.startswith("/public-bucket/") else 403
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self):
        self.record()
        self.body()
        if self.path == "/latest/api/token":
            return self.imds_token()
        self.reply(404, "text/plain", "Not Found")

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/__log":
            with LOCK:
                return self.reply(200, "text/plain", "".join(line + "\n" for line in LOG))
        self.record()
        prefix = "/latest/meta-data/iam/security-credentials/"
        if path.startswith(prefix):
            return self.imds_get(path[len(prefix):])
        if path == "/ecs/credentials":
            return self.ecs()
        if path == "/federation/credentials":
            return self.sso(query)
        if path.startswith("/public-bucket/"):
            return self.reply(200, "application/octet-stream", "x")
        if path.count("/") >= 2:  # /bucket/key: S3 refusing an unknown access key
            return self.reply(403, "application/xml",
                              "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InvalidAccessKeyId</Code>"
                              "<Message>The AWS Access Key Id you provided does not exist in our records.</Message>"
                              "</Error>")
        self.reply(404, "text/plain", "Not Found")

    def do_POST(self):
        self.record()
        if self.path == "/":
            return self.sts()
        self.body()
        self.reply(404, "text/plain", "Not Found")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--source-key", default="AKIDSOURCE")
    parser.add_argument("--source-secret", default="source/secret+key")
    parser.add_argument("--external-id", default=None)
    parser.add_argument("--web-identity-token", default="web-identity-token")
    parser.add_argument("--sso-token", default="sso-access-token")
    parser.add_argument("--account", default="123456789012")
    parser.add_argument("--role", default="LogoReader")
    parser.add_argument("--ecs-token", default="ecs-authorization-token")
    parser.add_argument("--imds-role", default="logoscope-instance-role")
    parser.add_argument("--lifetime", type=int, default=3600, help="seconds the issued credentials last")
    parser.add_argument("--sigv4-vectors", help="check the SigV4 verifier against botocore's vectors first")
    options = parser.parse_args()
    if options.sigv4_vectors:
        self_test(options.sigv4_vectors)
    Handler.options = options
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    temporary = options.port_file + ".tmp"
    with open(temporary, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(temporary, options.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
