#!/usr/bin/env python3
"""threads.py: where st2-pagerduty's CPU goes, thread by thread, under one
load; and an A/B between builds.

    python3 bench/threads.py [--st2-down] [--seconds N] [--runs N] BIN [BIN ...]

Each run starts `BIN serve` (spool.durability fsync) behind make bench's
StackStorm stand-in, or in front of a closed port with --st2-down, loads it
with wrk exactly as make bench does, and prints requests/s, p50, p99, the
triggers StackStorm received during the load, and the share of a core each
of the daemon's threads used (the event loop, pd-spool, pd-checkpoint,
pd-forward: the daemon names them), the stand-in and wrk, measured over the
middle of the load. With several binaries the runs alternate between them,
so that this machine's drift, which moves figures by 10-20% from one run to
the next, falls on each binary alike; the summary gives each one's median.

It checks nothing (make bench does) and, like make bench, is not a test.
Environment as for bench.py (PD_BIN is not used: the binaries are arguments).
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench as B  # noqa: E402  (make bench's Bench and settle)
import common as C  # noqa: E402  (settings, processes)
import load as L  # noqa: E402  (bodies, wrk, CPU ticks)
import systems as S  # noqa: E402  (a run's context, the systems, st2-pagerduty's config)


class ClosedPort:
    """In place of the stand-in: StackStorm down."""

    def __init__(self):
        self.url = "http://127.0.0.1:%d" % C.free_port()
        self.proc = None


def thread_ticks(pid):
    """{thread name: CPU clock ticks} of one process."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[name] = out.get(name, 0) + int(fields[11]) + int(fields[12])
    return out


def named_pids(name):
    """Pids of the processes whose command is name (wrk)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/comm" % pid) as f:
                if f.read().strip() == name:
                    pids.append(int(pid))
        except OSError:
            continue
    return pids


def one_run(bench, binary, seconds, st2_down):
    """One load on one binary: its figures."""
    ctx = S.Ctx(bench, S.SYSTEMS[0])
    if st2_down:
        ctx.standin = ClosedPort()
    cfg = S.pd_config(ctx, "%s-%d" % (ctx.key, ctx.port), "fsync")
    proc = C.Proc("serve-%d" % ctx.port, [binary, "serve", "-c", cfg], bench.workdir)
    try:
        C.wait_port(ctx.port, proc)
        if not st2_down:
            bench.standin.reset()
        result = {}
        load = threading.Thread(target=lambda: result.update(
            L.run_wrk(bench.workdir, "threads", ctx.port, C.PD_PATH, duration=seconds)))
        load.start()
        # The middle of the load: wrk's start and end are left out.
        margin = min(2.0, seconds / 4.0)
        time.sleep(margin)
        wrk_pids = named_pids("wrk")
        got0 = 0 if st2_down else bench.standin.stats()["triggers"]
        cpu0 = thread_ticks(proc.pid)
        side0 = {"wrk": sum(L.cpu_ticks(pid) for pid in wrk_pids)}
        if not st2_down:
            side0["stand-in"] = L.cpu_ticks(bench.standin.proc.pid)
        t0 = time.monotonic()
        time.sleep(seconds - 2 * margin)
        span = time.monotonic() - t0
        cpu1 = thread_ticks(proc.pid)
        side1 = {"wrk": sum(L.cpu_ticks(pid) for pid in wrk_pids)}
        if not st2_down:
            side1["stand-in"] = L.cpu_ticks(bench.standin.proc.pid)
        got1 = 0 if st2_down else bench.standin.stats()["triggers"]
        load.join()
    finally:
        proc.stop()
    hz = float(os.sysconf("SC_CLK_TCK"))
    share = {name: 100.0 * (cpu1[name] - cpu0.get(name, 0)) / hz / span for name in cpu1}
    share.update({k: 100.0 * (side1[k] - side0[k]) / hz / span for k in side1})
    return {"rps": result["rps"], "p50": result["p50_ms"], "p99": result["p99_ms"],
            "delivered": (got1 - got0) / span, "cpu": share}


def line(binary, n, r, st2_down):
    cpu = "  ".join("%s %.0f%%" % (k, v) for k, v in
                    sorted(r["cpu"].items(), key=lambda kv: -kv[1]) if v >= 0.5)
    got = "" if st2_down else ", delivered %s/s" % format(r["delivered"], ",.0f")
    return "%s run %d: %s req/s, p50 %.2f ms, p99 %.2f ms%s | %s" % (
        binary, n, format(r["rps"], ",.0f"), r["p50"], r["p99"], got, cpu)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binaries", nargs="+", metavar="BIN")
    ap.add_argument("--st2-down", action="store_true", help="no StackStorm: events only spooled")
    ap.add_argument("--seconds", type=int, default=10, help="wrk's duration per run (10)")
    ap.add_argument("--runs", type=int, default=3, help="runs per binary (3)")
    args = ap.parse_args()
    for b in args.binaries:
        if not os.access(b, os.X_OK):
            ap.error("%s is not an executable" % b)
    workdir = tempfile.mkdtemp(prefix="st2pd-threads-")
    bench = B.Bench(workdir)
    results = {b: [] for b in args.binaries}
    try:
        # Every run has a spool of its own, so runs may send the same events.
        bench.bodies = L.Bodies(workdir, max(C.BODIES, C.BODIES * args.seconds // C.DURATION))
        if not args.st2_down:
            bench.standin.start()
        for n in range(1, args.runs + 1):
            for b in args.binaries:
                B.settle()
                r = one_run(bench, b, args.seconds, args.st2_down)
                results[b].append(r)
                print(line(b, n, r, args.st2_down), flush=True)
        print()
        for b, rs in results.items():
            print("%s: median %s req/s, p99 %.2f ms (runs: %s)" % (
                b, format(statistics.median(r["rps"] for r in rs), ",.0f"),
                statistics.median(r["p99"] for r in rs),
                ", ".join(format(r["rps"], ",.0f") for r in rs)))
        return 0
    finally:
        C.stop_all()
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
