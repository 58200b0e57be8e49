#!/usr/bin/env python3
"""Slow and hostile clients against a real `logoscope serve` (http/guarded_server.hpp).

1. Slowloris: 150 connections send "POST / HTTP/1.1" and then one byte a second. Meanwhile 20
   GET /health calls must all answer 200, each within 1 s; the slow heads are answered 408 once
   --head-timeout has passed, and nothing else of theirs is handled.
2. A head of 150 header lines is answered 431.
3. Over --max-connections-per-address, a connection is answered 429 with a ThrottlingException.
Usage: slow_clients_test.py LOGOSCOPE MODEL_DIR WORK_DIR [--report]
--report prints the health-check latencies (the benchmark in BENCHMARKS.md) instead of asserting.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time


def start_server(logoscope, model, work, *extra):
    port_file = os.path.join(work, "port-%d.txt" % len(os.listdir(work)))
    log = open(os.path.join(work, "serve.log"), "ab")
    server = subprocess.Popen([logoscope, "serve", "--model", "m=" + model, "--port", "0", "--port-file", port_file,
                               "--quiet", *extra], stdout=log, stderr=log)
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            port = int(open(port_file).read())
            break
        if server.poll() is not None:
            sys.exit("FAIL: serve exited with %d (serve.log)" % server.returncode)
        time.sleep(0.1)
    else:
        sys.exit("FAIL: serve did not write its port")
    for _ in range(300):  # until the model is loaded
        try:
            if health(port)[0] == 200:
                return server, port
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("FAIL: serve never became healthy")


def health(port, timeout=3.0):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return status, time.monotonic() - started


def read_answer(s, timeout):
    s.settimeout(timeout)
    answer = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return answer


def main():
    logoscope, model, work = sys.argv[1], sys.argv[2], sys.argv[3]
    report = "--report" in sys.argv
    os.makedirs(work, exist_ok=True)
    failures = []

    # 1. Slowloris.
    head_timeout = 20 if report else 4
    server, port = start_server(logoscope, model, work, "--head-timeout", str(head_timeout))
    try:
        slow = []
        for _ in range(150):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST / HTTP/1.1\r\n")
            slow.append(s)
        stop = threading.Event()

        def drip():
            while not stop.is_set():
                for s in slow:
                    try:
                        s.send(b"X")
                    except OSError:
                        pass
                stop.wait(1.0)

        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        time.sleep(1.0)
        results = []
        for _ in range(20):
            try:
                results.append(health(port))
            except OSError as error:
                results.append((0, float("inf")))
                print("health check failed:", error)
            time.sleep(0.05)
        latencies = sorted(seconds for _, seconds in results)
        ok = sum(1 for status, seconds in results if status == 200 and seconds < 3.0)
        print("slowloris: 150 connections at 1 byte/s; %d of 20 GET /health answered 200 within 3 s; "
              "latency median %.1f ms, max %.1f ms" % (ok, 1000 * latencies[10], 1000 * latencies[-1]))
        if not report:
            if ok != 20 or latencies[-1] > 1.0:
                failures.append("health checks beside slow clients: %s" % results)
            # The slow heads are answered 408 once the head timeout has passed.
            time.sleep(head_timeout + 1.5)
            stop.set()
            answers = [read_answer(s, 2.0) for s in slow[:10]]
            timed_out = sum(1 for a in answers if a.startswith(b"HTTP/1.1 408"))
            print("slow heads answered 408 after %d s: %d of 10 checked" % (head_timeout, timed_out))
            if timed_out != 10:
                failures.append("slow heads not answered 408: %s" % answers[:2])
            elif b"RequestTimeoutException" not in answers[0]:
                failures.append("408 without AWS's error shape: %r" % answers[0])
        stop.set()
        for s in slow:
            s.close()

        # 2. A head with too many lines.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /health HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n")
            answer = read_answer(s, 5.0)
        print("150 header lines:", answer.split(b"\r\n", 1)[0].decode(errors="replace"))
        if not report and not answer.startswith(b"HTTP/1.1 431"):
            failures.append("150 header lines not answered 431: %r" % answer[:80])
    finally:
        server.terminate()
        server.wait(30)

    # 3. The per-address cap.
    server, port = start_server(logoscope, model, work, "--max-connections-per-address", "5")
    try:
        held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(5)]
        for s in held:
            s.sendall(b"G")
        time.sleep(0.3)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            answer = read_answer(s, 5.0)
        print("6th connection from one address:", answer.split(b"\r\n", 1)[0].decode(errors="replace"))
        if not report:
            if not answer.startswith(b"HTTP/1.1 429"):
                failures.append("the 6th connection was not answered 429: %r" % answer[:80])
            else:
                body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
                if body.get("__type") != "ThrottlingException":
                    failures.append("429 without ThrottlingException: %r" % body)
        for s in held:
            s.close()
        time.sleep(0.3)
        status, _ = health(port)
        if not report and status != 200:
            failures.append("after the held connections closed, /health answered %d" % status)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            metrics = read_answer(s, 5.0).decode(errors="replace")
        if not report and 'logoscope_connections_refused_total{reason="per_address_cap"} 1' not in metrics:
            failures.append("/metrics does not count the refused connection: %s" % metrics[-600:])
    finally:
        server.terminate()
        server.wait(30)

    if failures:
        for failure in failures:
            print("FAIL:", failure)
        sys.exit(1)
    print("PASS" if not report else "")


if __name__ == "__main__":
    main()
