#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of an S3 server, for the storage tests.

    fault_proxy.py LISTEN_PORT UPSTREAM_PORT

Forwards every request to 127.0.0.1:UPSTREAM_PORT unchanged, except when a fault is armed:
    GET /__faults__?mode=MODE&count=N&after=K&method=M
arms MODE for N requests (default 1), after letting K matching requests pass (default 0),
matching only method M when given. Modes:
    503       answer 503 SlowDown without forwarding
    slow      wait 3 s before forwarding (a stalled server)
    truncate  forward, then send the headers and half the body, and close
    drop      close the connection without an answer (a server stopped mid-transfer)
GET /__faults__?mode=none disarms; GET /__faults__/count answers how many faults fired.
"""
import http.client
import http.server
import socketserver
import sys
import threading
import time
import urllib.parse

UPSTREAM = int(sys.argv[2])
lock = threading.Lock()
plan = {"mode": "none", "count": 0, "after": 0, "method": ""}
fired = [0]


def take_fault(method):
    with lock:
        if plan["mode"] == "none" or plan["count"] <= 0:
            return None
        if plan["method"] and plan["method"] != method:
            return None
        if plan["after"] > 0:
            plan["after"] -= 1
            return None
        plan["count"] -= 1
        fired[0] += 1
        return plan["mode"]


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def control(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/__faults__/count":
            body = str(fired[0]).encode()
        else:
            query = dict(urllib.parse.parse_qsl(url.query))
            with lock:
                plan["mode"] = query.get("mode", "none")
                plan["count"] = int(query.get("count", "1"))
                plan["after"] = int(query.get("after", "0"))
                plan["method"] = query.get("method", "")
                fired[0] = 0
            body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        if self.path.startswith("/__faults__"):
            return self.control()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = take_fault(self.command)
        if fault == "503":
            text = b"<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>injected</Message></Error>"
            self.send_response(503)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
            return
        if fault == "drop":
            self.close_connection = True
            return
        if fault == "slow":
            time.sleep(3)
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "expect")}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response_only(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault == "truncate" and self.command != "HEAD":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Proxy).serve_forever()
