#!/usr/bin/env python3
"""A fuzzing campaign: runs every libFuzzer target (scripts/fuzz.sh) in chunks until each has had
CPU_MINUTES of CPU time, keeping the CPU seconds, inputs run and findings per target in a ledger
(fuzz/ledger.json, committed) that later campaigns continue from, on this machine or another.
The corpora the runs grow stay in build-fuzz/corpus/ (not committed; a new machine starts again
from the seeds in fuzz/corpus/).

The fuzzers run at the lowest priority (nice 19), so builds and tests on the same machine go first
and the campaign uses what is left; CPU time, not wall time, is what the ledger counts (the
fuzzer's user + system time, as the kernel accounts it to fuzz.sh and its children).

  scripts/fuzz_campaign.py --cpu-minutes 20              # every target to 20 CPU-minutes, 2 at a time
  scripts/fuzz_campaign.py --cpu-minutes 20 --hours 2.5  # ... or until 2.5 h have passed
  scripts/fuzz_campaign.py --report                      # print the ledger as a Markdown table

A finding (crash, leak, undefined behaviour, timeout) stops that target's campaign: the input and
log are in build-fuzz/findings/TARGET/, and exit status 1 says a finding is waiting for a fix;
once it is fixed (and a regression test reads the input), --fixed TARGET lets the target run again.
"""
import argparse
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build-fuzz"
# Wall seconds one input may take in a campaign (fuzz.sh's LOGOSCOPE_FUZZ_TIMEOUT): at nice 19 beside
# a build a fuzzer may get a few percent of a core, so 60 instead of fuzz.sh's own 10.
INPUT_TIMEOUT = os.environ.get("LOGOSCOPE_FUZZ_TIMEOUT", "60")
LEDGER = ROOT / "fuzz" / "ledger.json"  # kept in the repository: what has been run, on any machine


def declared_targets():
    text = (ROOT / "fuzz" / "CMakeLists.txt").read_text()
    match = re.search(r"^set\(LOGOSCOPE_FUZZ_TARGETS (.*)\)$", text, re.M)
    if not match:
        sys.exit("fuzz_campaign: fuzz/CMakeLists.txt declares no LOGOSCOPE_FUZZ_TARGETS")
    return match.group(1).split()


def load_ledger():
    if LEDGER.exists():
        return json.loads(LEDGER.read_text())
    return {}


def save_ledger(ledger):
    partial = LEDGER.with_suffix(".json.partial")
    partial.write_text(json.dumps(ledger, indent=1, sort_keys=True) + "\n")
    os.replace(partial, LEDGER)


def entry(ledger, target):
    return ledger.setdefault(target, {"cpu_s": 0.0, "wall_s": 0.0, "chunks": 0, "inputs": 0, "findings": []})


def report(ledger, targets):
    print("| target | CPU-minutes | chunks | inputs run | corpus now | findings |")
    print("|---|---|---|---|---|---|")
    total = 0.0
    for target in targets:
        item = entry(ledger, target)
        total += item["cpu_s"]
        corpus = BUILD / "corpus" / target
        files = len(list(corpus.iterdir())) if corpus.is_dir() else 0
        found = "; ".join(item["findings"] + ["fixed: " + f for f in item.get("fixed", [])]) or "nothing"
        print(f"| {target} | {item['cpu_s'] / 60:.1f} | {item['chunks']} | {item['inputs']:,} | {files:,} | {found} |")
    print(f"\nIn all {total / 3600:.2f} CPU-hours over {len(targets)} targets.")


def start_chunk(target, seconds):
    env = dict(os.environ, LOGOSCOPE_FUZZ_PREBUILT="1", LOGOSCOPE_FUZZ_TIMEOUT=INPUT_TIMEOUT)
    # A session of its own, so that a stop reaches the fuzzer and not only fuzz.sh.
    return subprocess.Popen(["nice", "-n", "19", str(ROOT / "scripts" / "fuzz.sh"), str(seconds), target],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def inputs_run(target):
    log = BUILD / "findings" / f"{target}.log"
    if not log.exists():
        return 0
    match = re.search(r"stat::number_of_executed_units:\s*(\d+)", log.read_text(errors="replace"))
    return int(match.group(1)) if match else 0


def unconfirmed_timeouts(target):
    """When every new finding of TARGET is a timeout whose input, run again alone at normal
    priority, ends within the limit: says so (and removes those inputs); else None."""
    findings = BUILD / "findings" / target
    inputs = [p for p in findings.glob("*") if p.is_file()] if findings.is_dir() else []
    if not inputs or not all(p.name.startswith("timeout-") for p in inputs):
        return None
    limit = float(INPUT_TIMEOUT)
    times = []
    for path in inputs:
        start = time.monotonic()
        try:
            rerun = subprocess.run([str(BUILD / "fuzz" / f"fuzz_{target}"), str(path)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=limit)
        except subprocess.TimeoutExpired:
            return None
        if rerun.returncode != 0:
            return None
        times.append(time.monotonic() - start)
    for path in inputs:
        path.unlink()
    return f"{len(inputs)} timeout(s) whose input ran in {max(times):.1f} s alone (a starved or paused fuzzer)"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu-minutes", type=float, default=20, help="CPU time each target should reach (default 20)")
    parser.add_argument("--hours", type=float, default=0, help="stop starting chunks after this many hours (0: no limit)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="fuzzers at once (default: the CPUs)")
    parser.add_argument("--chunk", type=int, default=300, help="wall seconds per run of one target (default 300)")
    parser.add_argument("--report", action="store_true", help="print the ledger and exit")
    parser.add_argument("--fixed", metavar="TARGET", action="append", default=[],
                        help="a target's finding is fixed (with its regression test): fuzz it again")
    parser.add_argument("targets", nargs="*", help="targets (default: all that fuzz/CMakeLists.txt declares)")
    args = parser.parse_args()

    targets = args.targets or declared_targets()
    unknown = sorted(set(targets) - set(declared_targets()))
    if unknown:
        sys.exit(f"fuzz_campaign: unknown targets {unknown}; fuzz/CMakeLists.txt declares {declared_targets()}")
    ledger = load_ledger()
    for target in args.fixed:
        found = entry(ledger, target)["findings"]
        entry(ledger, target)["fixed"] = entry(ledger, target).get("fixed", []) + found
        found.clear()
    if args.fixed:
        save_ledger(ledger)
    if args.report:
        report(ledger, targets)
        return 0
    BUILD.mkdir(exist_ok=True)
    lock = open(BUILD / "ledger.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit("fuzz_campaign: another campaign is running (build-fuzz/ledger.lock)")

    subprocess.run([str(ROOT / "scripts" / "fuzz.sh"), "--build-only", *targets], cwd=ROOT, check=True)
    goal = args.cpu_minutes * 60
    deadline = time.monotonic() + args.hours * 3600 if args.hours > 0 else None
    running = {}  # pid -> (target, process, started)
    stopping = False

    def stop(_signum, _frame):
        # The chunks running end now (libFuzzer stops on SIGINT and prints its statistics); their
        # CPU time is counted as they are reaped below.
        nonlocal stopping
        stopping = True
        for _, process, _ in running.values():
            try:
                os.killpg(process.pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def next_target():
        busy = {target for target, _, _ in running.values()}
        waiting = [t for t in targets if t not in busy and not entry(ledger, t)["findings"]
                   and entry(ledger, t)["cpu_s"] < goal]
        return min(waiting, key=lambda t: entry(ledger, t)["cpu_s"], default=None)

    found_any = False
    while True:
        while not stopping and len(running) < args.workers and (deadline is None or time.monotonic() < deadline):
            target = next_target()
            if target is None:
                break
            # The last chunk of a target runs only as long as its goal still needs (plus a margin).
            needed = int(goal - entry(ledger, target)["cpu_s"]) + 15
            process = start_chunk(target, max(30, min(args.chunk, needed)))
            running[process.pid] = (target, process, time.monotonic())
        if not running:
            break
        try:
            pid, status, usage = os.wait4(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            break
        if pid not in running:
            continue
        target, process, started = running.pop(pid)
        output = process.stdout.read() if process.stdout else ""
        item = entry(ledger, target)
        item["cpu_s"] += usage.ru_utime + usage.ru_stime
        item["wall_s"] += time.monotonic() - started
        item["chunks"] += 1
        item["inputs"] += inputs_run(target)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 and not stopping:
            unconfirmed = unconfirmed_timeouts(target)
            if unconfirmed:
                # A timeout whose input runs quickly alone was the fuzzer being starved (or paused).
                item.setdefault("notes", []).append(f"{time.strftime('%Y-%m-%d')}: {unconfirmed}; not a finding")
            else:
                found_any = True
                item["findings"].append(f"exit {code}, see build-fuzz/findings/{target}/ (chunk {item['chunks']})")
        save_ledger(ledger)
        print(f"{time.strftime('%H:%M:%S')} {target}: {item['cpu_s'] / 60:.1f} CPU-min; "
              f"{output.strip().splitlines()[-1] if output.strip() else ''}", flush=True)
    report(ledger, targets)
    return 1 if found_any else 0


if __name__ == "__main__":
    sys.exit(main())
