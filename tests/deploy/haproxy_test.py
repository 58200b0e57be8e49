#!/usr/bin/env python3
"""Two `logoscope serve` replicas behind HAProxy with deploy/haproxy/haproxy.cfg (ports rewritten):
4 boto3 Rekognition clients call DetectCustomLabels through the balancer for 24 s; replica 1 is
killed with SIGKILL at 6 s and started again. No call may fail: boto3's own retries are turned
off (they would hide a balancer that drops requests), so the balancer must retry a request whose
replica refused the connection or vanished;
both replicas must have answered, the restarted replica must answer again once its health checks
pass, and the replicas' /metrics must account for every call (within the calls in flight at the
kill, whose answers died with the replica).

Usage: haproxy_test.py LOGOSCOPE MODEL_DIR WORK_DIR. Exit 77 (skip) without haproxy, unless
LOGOSCOPE_REQUIRE_HAPROXY=1 (then a failure).
"""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def served(port):
    """Requests this replica has answered 200, from its /metrics."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith("logoscope_requests_total") and 'status="200"' in line and "DetectCustomLabels" in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: haproxy_test.py LOGOSCOPE MODEL_DIR WORK_DIR")
    logoscope, model, work = sys.argv[1:4]
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        boto3 = None
    if shutil.which("haproxy") is None or boto3 is None:
        print("SKIP: haproxy or boto3 is not installed (apt-get install haproxy python3-boto3)")
        sys.exit(1 if os.environ.get("LOGOSCOPE_REQUIRE_HAPROXY") == "1" else 77)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    # An image the replicas detect in: the demo writes some.
    subprocess.run([logoscope, "demo", "--no-train", "--images", "8", "--out", os.path.join(work, "demo"), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    images_dir = os.path.join(work, "demo", "images")
    image = open(os.path.join(images_dir, sorted(os.listdir(images_dir))[0]), "rb").read()

    ports = [free_port(), free_port()]
    front = free_port()
    config = open(os.path.join(REPO, "deploy", "haproxy", "haproxy.cfg")).read()
    config = config.replace("bind 127.0.0.1:8080", f"bind 127.0.0.1:{front}")
    config = config.replace("127.0.0.1:8081", f"127.0.0.1:{ports[0]}").replace("127.0.0.1:8082", f"127.0.0.1:{ports[1]}")
    cfg = os.path.join(work, "haproxy.cfg")
    open(cfg, "w").write(config)

    def start_replica(i):
        log = open(os.path.join(work, f"serve{i}.log"), "a")
        return subprocess.Popen([logoscope, "serve", "--model", model, "--port", str(ports[i]), "--workers", "1", "--quiet"],
                                stdout=log, stderr=subprocess.STDOUT)

    replicas = [start_replica(0), start_replica(1)]
    balancer = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=open(os.path.join(work, "haproxy.log"), "w"),
                                stderr=subprocess.STDOUT)
    try:
        for port in ports:
            if not wait_healthy(port, 120):
                sys.exit(f"FAIL: the replica on port {port} never became healthy")
        if not wait_healthy(front, 30):
            sys.exit("FAIL: haproxy never answered /health")
        time.sleep(2.5)  # both replicas through their first health checks ("rise 2")
        c = http.client.HTTPConnection("127.0.0.1", front, timeout=10)
        c.request("GET", "/v1/models")
        arn = json.loads(c.getresponse().read())["models"][0]["version_arn"]

        statuses = {}
        lock = threading.Lock()
        started = time.time()
        end = started + 24

        def client():
            rekognition = boto3.client(
                "rekognition", endpoint_url=f"http://127.0.0.1:{front}", region_name="us-east-1",
                aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30))
            while time.time() < end:
                try:
                    rekognition.detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": image})
                    status = 200
                except Exception as error:  # every botocore failure counts, whatever its class
                    status = f"failed ({type(error).__name__}: {str(error)[:80]})"
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

        clients = [threading.Thread(target=client, daemon=True) for _ in range(4)]
        for t in clients:
            t.start()
        time.sleep(6)
        before_kill = served(ports[0])
        replicas[0].kill()
        replicas[0].wait()
        killed_at = time.time() - started
        time.sleep(6)
        replicas[0] = start_replica(0)
        if not wait_healthy(ports[0], 60):
            sys.exit("FAIL: the restarted replica never became healthy")
        restarted_at = time.time() - started
        for t in clients:
            t.join()
        after_restart = served(ports[0])
        other = served(ports[1])
        accounted = before_kill + after_restart + other
        print(f"replica 1 killed at {killed_at:.1f} s, healthy again at {restarted_at:.1f} s; "
              f"calls by outcome: {statuses}; replica 1 answered {before_kill} before its death and {after_restart} "
              f"after its restart, replica 2 {other}: {accounted} in all")
        problems = []
        if set(statuses) != {200}:
            problems.append(f"requests not answered 200: { {k: v for k, v in statuses.items() if k != 200} }")
        if statuses.get(200, 0) < 20:
            problems.append(f"only {statuses.get(200, 0)} requests answered")
        if other == 0:
            problems.append("replica 2 answered nothing")
        if after_restart == 0:
            problems.append("the restarted replica was never sent a request again")
        if abs(accounted - statuses.get(200, 0)) > 2 * len(clients):
            problems.append(f"the replicas' /metrics count {accounted} answers for {statuses.get(200, 0)} calls")
        if problems:
            print("FAIL: " + "; ".join(problems))
            print(open(os.path.join(work, "haproxy.log")).read()[-2000:])
            return 1
        print("PASS: every boto3 call succeeded through a replica's death and return, and the replicas account for them")
        return 0
    finally:
        for process in replicas + [balancer]:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    sys.exit(main())
