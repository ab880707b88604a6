#!/usr/bin/env python3
"""actions.py: `make bench`, second part: how long one StackStorm action takes.

Runs `st2-pagerduty run incident.acknowledge` against the PagerDuty stand-in
of the tests (tests/integration/pd_standin.py, on loopback) many times and
prints the median and p90 wall time of the whole process and its peak RSS,
next to `pd` from the npm package pagerduty-cli, the Node CLI a team would
otherwise script. pd's base URL is fixed to https://api.pagerduty.com in its
code, so it cannot be pointed at the stand-in without patching it: its
figure is `pd --version`, a lower bound of any pd command (Node's start and
its module loading, no request at all).

DESIGN: each run is timed around fork/exec/wait; runs are sequential, after
warm-up runs, so the page cache and the stand-in are warm for both. Peak RSS
comes from GNU time (%M) on a few more runs: a child forked from this Python
process would report Python's RSS from before its exec. Not a test: nothing
here is run by ctest.

Environment: PD_BIN (default build/st2-pagerduty), BENCH_RUNS (100),
BENCH_SKIP_DEPS=1 (do not install pagerduty-cli with npm).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from pd_standin import PdStandIn  # noqa: E402

PD_BIN = os.environ.get("PD_BIN", os.path.join(ROOT, "build", "st2-pagerduty"))
RUNS = int(os.environ.get("BENCH_RUNS", "100"))
PDCLI_VERSION = "0.1.18"
PDCLI_DIR = os.path.join(HERE, "results", "pagerduty-cli")


def timed(argv):
    """Runs argv once; wall seconds. A failure ends the benchmark."""
    t = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit("bench-actions: %s exited %d: %s" % (argv, p.returncode, p.stderr.decode()))
    return wall


def peak_rss_kib(argv):
    """The peak RSS of one run of argv, as GNU time reports it."""
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    return int(p.stderr.strip().splitlines()[-1])


def measure(argv, runs, warm=3):
    """Median and p90 wall ms over runs, and the largest peak RSS of five more."""
    for _ in range(warm):
        timed(argv)
    walls = sorted(timed(argv) * 1000 for _ in range(runs))
    rss = max(peak_rss_kib(argv) for _ in range(5))
    return {"median_ms": statistics.median(walls), "p90_ms": walls[int(len(walls) * 0.9) - 1],
            "peak_rss_mib": rss / 1024.0, "runs": runs}


def pd_cli():
    """Path of pd, installing pagerduty-cli with npm into bench/results when missing."""
    pd = os.path.join(PDCLI_DIR, "node_modules", ".bin", "pd")
    if (not os.path.exists(pd) and os.environ.get("BENCH_SKIP_DEPS") != "1" and
            shutil.which("npm") is not None):
        os.makedirs(PDCLI_DIR, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", PDCLI_DIR,
                        "pagerduty-cli@" + PDCLI_VERSION], check=True,
                       stdout=subprocess.DEVNULL)
    return pd if os.path.exists(pd) else None


def main():
    pd_standin = PdStandIn(api_key="bench-key")
    pd_standin.start()
    tmp = tempfile.mkdtemp(prefix="st2pd-bench-actions-")
    try:
        cfg = os.path.join(tmp, "config.yaml")
        with open(cfg, "w") as f:
            json.dump({"api_key": "bench-key", "from_email": "oncall@example.com",
                       "pagerduty": {"api_url": pd_standin.url, "max_retries": 0}}, f)
        argv = [PD_BIN, "run", "-c", cfg, "incident.acknowledge", "--entity_id=PT4KHLK"]
        ours = measure(argv, RUNS)
        acks = [r for r in pd_standin.request_log if r["method"] == "PUT"]
        if len(acks) < RUNS:
            sys.exit("bench-actions: the stand-in saw %d acknowledgements, not %d"
                     % (len(acks), RUNS))
        pd = pd_cli()
        theirs = measure([pd, "--version"], max(10, RUNS // 5)) if pd else None
    finally:
        pd_standin.stop()
        subprocess.run(["rm", "-rf", tmp], check=False)

    print("One action, %d runs each, %s, %d cores" % (RUNS, os.uname().machine, os.cpu_count()))
    print("%-58s %10s %8s %13s" % ("command", "median ms", "p90 ms", "peak RSS MiB"))
    print("%-58s %10.2f %8.2f %13.1f" % ("st2-pagerduty run incident.acknowledge (PUT, stand-in)",
                                          ours["median_ms"], ours["p90_ms"],
                                          ours["peak_rss_mib"]))
    if theirs:
        print("%-58s %10.2f %8.2f %13.1f" % ("pd --version (pagerduty-cli %s, no request)"
                                              % PDCLI_VERSION, theirs["median_ms"],
                                              theirs["p90_ms"], theirs["peak_rss_mib"]))
        print("pd --version is %.0fx slower than a whole st2-pagerduty action, and %.0fx larger"
              % (theirs["median_ms"] / ours["median_ms"],
                 theirs["peak_rss_mib"] / ours["peak_rss_mib"]))
    else:
        print("pd: not installed (BENCH_SKIP_DEPS=1 or npm failed): no comparison")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "actions.json"), "w") as f:
        json.dump({"st2_pagerduty": ours, "pd_version": theirs}, f, indent=1)


if __name__ == "__main__":
    main()
