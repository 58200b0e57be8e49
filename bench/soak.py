#!/usr/bin/env python3
"""Soak test of `logoscope serve`, then of `logoscope detect` over a large folder.

serve: CLIENTS threads send a mix of requests for MINUTES — good DetectCustomLabels calls (base64
images), good REST calls (raw bytes), and bad ones (broken JSON, broken base64, an unknown model,
a body that is not an image, an unknown operation) — while the server's resident memory, open file
descriptors and threads are sampled every SAMPLE seconds from /proc. Then `detect` runs over the
images repeated into a folder of DETECT_IMAGES files, sampled the same way.

Prints every sample, then per phase: requests by kind and status, every good request that was not
answered 200 (should be none), the RSS slope after the warm-up (MiB per hour, least squares), and
the range of fds and threads. Exit code 1 when a good request failed, a bad request got a 5xx or
no answer, or the fd or thread count grew after the warm-up.

  bench/soak.py [--minutes 30] [--clients 8] [--model models/base] [--images DIR] [--warmup 120]
                [--sample 15] [--detect-images 2000] [--work DIR]

--images defaults to the FlickrLogos-27 test photos ($LOGOSCOPE_BENCH_DATA/flickrlogos27, default
../shared/data). Only one benchmark at a time on a machine (the lock in /tmp).
"""
import argparse
import base64
import fcntl
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGOSCOPE = os.path.join(REPO, "build", "bin", "logoscope")


def proc_sample(pid):
    """(rss MiB, open fds, threads) of a live process."""
    rss = threads = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024.0
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds, threads


def slope_per_hour(points):
    """Least-squares slope of (seconds, MiB) points, in MiB per hour; 0 with fewer than 2."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    sxx = sum((t - mx) ** 2 for t, _ in points)
    if sxx == 0:
        return 0.0
    return sum((t - mx) * (v - my) for t, v in points) / sxx * 3600.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sampler(threading.Thread):
    def __init__(self, pid, every, started):
        super().__init__(daemon=True)
        self.pid, self.every, self.started = pid, every, started
        self.samples = []  # (seconds, rss, fds, threads)
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                rss, fds, threads = proc_sample(self.pid)
            except (FileNotFoundError, ProcessLookupError):
                return
            t = time.time() - self.started
            self.samples.append((t, rss, fds, threads))
            print(f"  {t:7.0f} s  rss {rss:8.1f} MiB  fds {fds:4d}  threads {threads:3d}", flush=True)
            self.stop.wait(self.every)


def report(name, sampler, warmup):
    after = [s for s in sampler.samples if s[0] >= warmup]
    if not after:
        print(f"{name}: no sample after the {warmup:.0f} s warm-up")
        return True
    slope = slope_per_hour([(s[0], s[1]) for s in after])
    fds = [s[2] for s in after]
    threads = [s[3] for s in after]
    print(f"{name}: {len(after)} samples after the {warmup:.0f} s warm-up; rss {after[0][1]:.1f} -> {after[-1][1]:.1f} MiB, "
          f"slope {slope:+.1f} MiB/hour; fds {min(fds)}-{max(fds)}; threads {min(threads)}-{max(threads)}")
    # Growth: the last quarter's maximum above the first quarter's maximum.
    quarter = max(1, len(after) // 4)
    grew = max(fds[-quarter:]) > max(fds[:quarter]) + 2 or max(threads[-quarter:]) > max(threads[:quarter]) + 2
    if grew:
        print(f"{name}: FAIL: file descriptors or threads grew after the warm-up")
    return not grew


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--model", default=os.path.join(REPO, "models", "base"))
    parser.add_argument("--images")
    parser.add_argument("--warmup", type=float, default=120)
    parser.add_argument("--sample", type=float, default=15)
    parser.add_argument("--detect-images", type=int, default=2000)
    parser.add_argument("--work")
    args = parser.parse_args()
    if not os.access(LOGOSCOPE, os.X_OK):
        sys.exit(f"soak: no {LOGOSCOPE}: build first")
    lock = open(os.path.join(tempfile.gettempdir(), "logoscope-bench.lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit("soak: another benchmark holds the lock in /tmp; run one at a time")

    if args.images:
        folder = args.images
        names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg", ".png")))
    else:
        data = os.path.join(os.environ.get("LOGOSCOPE_BENCH_DATA", os.path.join(REPO, "..", "shared", "data")),
                            "flickrlogos27")
        folder = os.path.join(data, "images")
        names = [l.strip() for l in open(os.path.join(data, "test.txt")) if l.strip()]
    images = [open(os.path.join(folder, n), "rb").read() for n in names[:64]]
    if not images:
        sys.exit("soak: no images")
    work = args.work or tempfile.mkdtemp(prefix="soak.")
    os.makedirs(work, exist_ok=True)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"CPU: {cpu}, {os.cpu_count()} cores; model {args.model}; {len(images)} images from {folder}")

    # ---- serve ------------------------------------------------------------------------------------
    port = free_port()
    log = open(os.path.join(work, "serve.log"), "w")
    server = subprocess.Popen([LOGOSCOPE, "serve", "--model", args.model, "--port", str(port), "--quiet"],
                              stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                break
        except OSError:
            pass
        time.sleep(0.5)
    else:
        server.kill()
        sys.exit("soak: serve did not become healthy in 120 s (see serve.log)")
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/v1/models")
    models = json.loads(c.getresponse().read() or b"{}").get("models", [])
    if not models:
        server.kill()
        sys.exit("soak: the server lists no model")
    arn, name = models[0]["version_arn"], models[0]["name"]
    encoded = [base64.b64encode(i).decode() for i in images]

    kinds = {
        "good_rekognition": True, "good_rest": True, "bad_json": False, "bad_base64": False,
        "unknown_model": False, "not_an_image": False, "unknown_operation": False,
    }
    counts = {k: {} for k in kinds}
    failures = []
    lock_counts = threading.Lock()
    started = time.time()
    end = started + args.minutes * 60

    def one(conn, kind, rng):
        target, body, path, ctype = "RekognitionService.DetectCustomLabels", None, "/", "application/x-amz-json-1.1"
        if kind == "good_rekognition":
            body = json.dumps({"ProjectVersionArn": arn, "Image": {"Bytes": rng.choice(encoded)}})
        elif kind == "good_rest":
            path, body, ctype, target = f"/v1/models/{name}/detect", rng.choice(images), "image/jpeg", None
        elif kind == "bad_json":
            body = '{"ProjectVersionArn": "' + arn + '", "Image": {"Bytes": '
        elif kind == "bad_base64":
            body = json.dumps({"ProjectVersionArn": arn, "Image": {"Bytes": "not*base64!"}})
        elif kind == "unknown_model":
            body = json.dumps({"ProjectVersionArn": arn + "-nope", "Image": {"Bytes": encoded[0]}})
        elif kind == "not_an_image":
            body = json.dumps({"ProjectVersionArn": arn, "Image": {"Bytes": base64.b64encode(b"hello" * 100).decode()}})
        else:
            target, body = "RekognitionService.DeleteEverything", "{}"
        headers = {"Content-Type": ctype}
        if target:
            headers["X-Amz-Target"] = target
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status

    def client(seed):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.time() < end:
            kind = rng.choices(list(kinds), weights=[6, 2, 1, 1, 1, 1, 1])[0]
            try:
                status = one(conn, kind, rng)
            except (OSError, http.client.HTTPException) as error:
                status = f"no answer ({type(error).__name__})"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock_counts:
                counts[kind][status] = counts[kind].get(status, 0) + 1
                good = kinds[kind]
                if (good and status != 200) or (not good and (not isinstance(status, int) or status >= 500)):
                    failures.append((round(time.time() - started), kind, status))

    print(f"serve: {args.clients} clients for {args.minutes:g} min on port {port}; samples every {args.sample:g} s")
    sampler = Sampler(server.pid, args.sample, started)
    sampler.start()
    clients = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
    for t in clients:
        t.start()
    for t in clients:
        t.join()
    sampler.stop.set()
    sampler.join()
    server.terminate()
    server.wait(timeout=60)
    total = sum(sum(v.values()) for v in counts.values())
    print(f"serve: {total} requests in {time.time() - started:.0f} s ({total / (time.time() - started):.1f}/s)")
    for kind, by_status in counts.items():
        print(f"  {kind:<18} " + ", ".join(f"{status}: {n}" for status, n in sorted(by_status.items(), key=str)))
    print(f"serve: {len(failures)} requests answered wrongly" + (f"; first: {failures[:5]}" if failures else ""))
    ok = report("serve", sampler, args.warmup) and not failures

    # ---- detect over a large folder ---------------------------------------------------------------
    big = os.path.join(work, "many")
    os.makedirs(big, exist_ok=True)
    sources = [os.path.join(folder, n) for n in names]
    for i in range(args.detect_images):
        target = os.path.join(big, f"{i:06d}.jpg")
        if not os.path.exists(target):
            try:
                os.link(sources[i % len(sources)], target)
            except OSError:  # another file system
                shutil.copyfile(sources[i % len(sources)], target)
    out = os.path.join(work, "many.jsonl")
    if os.path.exists(out):
        os.remove(out)
    print(f"detect: {args.detect_images} images in {big}")
    started = time.time()
    detect = subprocess.Popen([LOGOSCOPE, "detect", "--model", args.model, big, "--out", out, "--quiet"])
    sampler = Sampler(detect.pid, args.sample, started)
    sampler.start()
    code = detect.wait()
    sampler.stop.set()
    sampler.join()
    lines = sum(1 for _ in open(out)) if os.path.exists(out) else 0
    seconds = time.time() - started
    print(f"detect: exit {code}, {lines} lines in {seconds:.0f} s ({lines / seconds:.1f} images/s)")
    ok = report("detect", sampler, min(args.warmup, seconds / 4)) and ok and code == 0 and lines == args.detect_images
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
