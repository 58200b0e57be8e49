#!/usr/bin/env python3
"""`kill -9` of `logoscope ui` while a browser saves boxes: no edit the server acknowledged is lost,
and the project on disk is never half-written.

A client saves boxes as fast as the server answers (PUT /api/datasets/train/image, each edit on
the image's current revision), and the server is killed at 5 points (0.3 s to 2.7 s into each
run). After each kill: train.manifest is whole (every line JSON, one per image) and project.json
reads; the server started again on the project shows, for every image, the boxes of its last
acknowledged edit, or of the edit in flight when the kill came (it may have reached the disk
before its answer was sent).
Usage: kill_save_test.py LOGOSCOPE WORK_DIR
"""
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

IMAGES = 8


def start_ui(logoscope, project, work, run):
    port_file = os.path.join(work, "port-%d.txt" % run)
    log = open(os.path.join(work, "ui.log"), "ab")
    server = subprocess.Popen([logoscope, "ui", project, "--port", "0", "--port-file", port_file],
                              stdout=log, stderr=log)
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            port = int(open(port_file).read())
            try:
                call(port, "GET", "/api/project")
                return server, port
            except OSError:
                pass
        if server.poll() is not None:
            sys.exit("FAIL: logoscope ui exited with %d (ui.log): the project did not reopen" % server.returncode)
        time.sleep(0.1)
    sys.exit("FAIL: logoscope ui did not start")


def call(port, method, path, body=None, content_type="application/json", timeout=10):
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, method=method,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def import_images(port, files):
    boundary = "logoscope-kill-test"
    body = b""
    for path in files:
        body += (b"--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"%s\"\r\n"
                 b"Content-Type: image/jpeg\r\n\r\n" % (boundary.encode(), os.path.basename(path).encode()))
        body += open(path, "rb").read() + b"\r\n"
    body += b"--%s--\r\n" % boundary.encode()
    status, answer = call(port, "POST", "/api/datasets/train/import", body,
                          "multipart/form-data; boundary=" + boundary, timeout=60)
    if status != 200 or len(answer["added"]) != len(files):
        sys.exit("FAIL: import answered %d %s" % (status, answer))
    return answer["added"]


def boxes_of(entry):
    return [(round(b["x0"]), round(b["y0"]), round(b["x1"]), round(b["y1"]), b["label"]) for b in entry["boxes"]]


def shown(port):
    status, answer = call(port, "GET", "/api/datasets/train/images")
    if status != 200:
        sys.exit("FAIL: GET images answered %d" % status)
    return {entry["ref"]: entry for entry in answer["images"]}


def check_files(project, expected_images):
    lines = open(os.path.join(project, "train.manifest")).read().split("\n")
    if lines[-1] != "":
        return "train.manifest ends in a cut line"
    records = [json.loads(line) for line in lines[:-1]]
    if len(records) != expected_images:
        return "train.manifest holds %d records, not %d" % (len(records), expected_images)
    json.load(open(os.path.join(project, "project.json")))
    return None


def main():
    logoscope, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    subprocess.run([logoscope, "demo", "--no-train", "--images", str(IMAGES), "--out", os.path.join(work, "data"),
                    "--quiet"], check=True, stdout=subprocess.DEVNULL)
    images = sorted(os.path.join(work, "data", "images", f) for f in os.listdir(os.path.join(work, "data", "images")))
    project = os.path.join(work, "project")
    server, port = start_ui(logoscope, project, work, 0)
    refs = import_images(port, images[:IMAGES])
    size = {ref: (entry["width"], entry["height"]) for ref, entry in shown(port).items()}

    acknowledged = {ref: [] for ref in refs}  # ref -> boxes of its last acknowledged edit
    rng = random.Random(7)
    failures = 0
    edits_in_all = 0
    for run, kill_at in enumerate([0.3, 0.9, 1.5, 2.1, 2.7], start=1):
        if run > 1:
            server, port = start_ui(logoscope, project, work, run)
        current = shown(port)
        in_flight = {}
        stop = threading.Event()
        edits = [0]

        def save_loop():
            while not stop.is_set():
                ref = rng.choice(refs)
                width, height = size[ref]
                boxes = []
                for _ in range(rng.randint(0, 3)):
                    x0, y0 = rng.randint(0, width - 8), rng.randint(0, height - 8)
                    boxes.append({"x0": x0, "y0": y0, "x1": rng.randint(x0 + 4, width), "y1": rng.randint(y0 + 4, height),
                                  "label": rng.choice(["acme", "globex", "initech"])})
                body = json.dumps({"revision": current[ref]["revision"], "boxes": boxes}).encode()
                in_flight[ref] = [(b["x0"], b["y0"], b["x1"], b["y1"], b["label"]) for b in boxes]
                try:
                    status, answer = call(port, "PUT", "/api/datasets/train/image?ref=" + ref, body, timeout=5)
                except (OSError, http.client.HTTPException, ValueError):
                    return  # the server is gone (mid-answer, perhaps)
                if status == 200:
                    acknowledged[ref] = in_flight.pop(ref)
                    current[ref]["revision"] = answer["revision"]
                    edits[0] += 1
                else:
                    in_flight.pop(ref, None)
                    if status != 409:
                        print("FAIL: a save answered %d %s" % (status, answer))
                        stop.set()

        client = threading.Thread(target=save_loop)
        client.start()
        time.sleep(kill_at)
        server.kill()
        server.wait()
        stop.set()
        client.join()
        edits_in_all += edits[0]
        problem = check_files(project, len(refs))
        if problem:
            print("FAIL kill %d (%.1f s, after %d saves): %s" % (run, kill_at, edits[0], problem))
            failures += 1
            break
        server, port = start_ui(logoscope, project, work, 100 + run)
        lost = []
        for ref, entry in shown(port).items():
            on_disk = boxes_of(entry)
            if on_disk != acknowledged[ref] and on_disk != in_flight.get(ref):
                lost.append(ref)
            acknowledged[ref] = on_disk
        server.kill()
        server.wait()
        if lost:
            print("FAIL kill %d (%.1f s, after %d saves): acknowledged edits lost for %s" % (run, kill_at, edits[0], lost))
            failures += 1
        else:
            print("ok   kill %d at %.1f s, after %d saves: the manifest whole, every acknowledged edit kept"
                  % (run, kill_at, edits[0]))
    if edits_in_all == 0:
        print("FAIL: no save was acknowledged before any kill; the test tested nothing")
        failures += 1
    print("%d saves in all; %d failures" % (edits_in_all, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
