#!/usr/bin/env python3
"""bench.py: `make bench`. Drives the same signed PagerDuty V3 webhook at
st2-pagerduty and at the peers a team would otherwise deploy, on this machine,
and prints one table.

Systems, each behind the same StackStorm stand-in (st2_standin.py):
  st2-pagerduty serve, spool.durability fsync, then os
  st2-pagerduty with spool.backend redis (a redis-server started here, AOF
    on with appendfsync everysec), one replica, then two sharing it with
    wrk's threads split between them; their CPU counts redis-server's
  adnanh/webhook (Debian) running curl to post the trigger
  Flask under gunicorn, verifying the signature and posting with urllib
  nginx answering 202 with no work: the ceiling of this machine's HTTP path
Section 2: st2-pagerduty while StackStorm is down (events only spooled), then
the drain once it is back. Section 3: notes, including the stand-in's own
ceiling.

DESIGN: every request is a new event (unique event id, webhook id and
incident id; the load is wrk with pd_webhook.lua, which cycles through
pre-signed records because wrk's Lua has no HMAC), so de-duplication never
flatters a system. After each run the script waits, bounded, until the
stand-in's count stops moving (and, for st2-pagerduty, until its spool has
no pending event), then compares what StackStorm received with the 2xx
answers: a receiver may also have taken the requests in flight when wrk
stopped, so received may exceed the 2xx wrk saw by at most that number, and
st2-pagerduty's own accepted counter (/metrics) must match exactly. Memory is
the peak of the summed VmRSS of the system's whole process tree (sampled
every 50 ms, so short-lived children such as webhook's curl count) or, when
its set of processes does not change, the sum of their VmHWM if larger.
The exit status is non-zero only when st2-pagerduty fails its checks: what
a peer loses is a result, not a failure of the benchmark.

Everything runs on loopback, on free ports, with configs in a temp dir; every
process started is stopped (its process group) on exit, Ctrl-C included.

Environment: PD_BIN (default build/st2-pagerduty), BENCH_DURATION (seconds,
10), BENCH_CONNECTIONS (32), BENCH_THREADS (wrk threads, = cores),
BENCH_BODIES (pre-signed bodies, default 120k per second of duration),
BENCH_DRAIN_TIMEOUT (seconds, 300), BENCH_DRAIN_STALL (seconds without a new
trigger after which a system with no queue to ask is taken as done, 30),
BENCH_SYSTEMS (comma list of system keys, default all: pd-fsync, pd-os,
pd-redis-1, pd-redis-2, webhook, flask, nginx, outage), BENCH_SKIP_DEPS=1 (do not install BENCH_PACKAGES),
BENCH_KEEP=1 (keep the temp dir with configs and logs).

This file is the driver (a system's run, the outage run, the verdicts, the
printed table); the rest is in common.py (settings, processes, HTTP),
systems.py (the systems under test and the stand-in) and load.py (bodies,
wrk, CPU and memory figures, waiting for the drain).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from common import (BODIES, CONNECTIONS, CORES, DURATION, HERE, PD_BIN, ROOT, THREADS, http_req,
                    log, set_nofile, stop_all)
from load import Bodies, RssSampler, run_wrk, wait_drain
from systems import (GUNICORN_WORKERS, SYSTEMS, Ctx, StandIn, pd_accepted, pd_config, pd_pending,
                     start_pd)

# What the peers and the load need, installed by packaging/build-deps.sh when missing.
BENCH_PACKAGES = [
    "wrk", "nginx", "webhook", "python3", "python3-flask", "gunicorn", "curl", "time"
]


# --------------------------------------------------------------------- runs


def probe_delivery(ctx, system):
    """One signed request; for forwarders, wait until its trigger arrived."""
    body, headers = ctx.bodies.probe()
    status, text = http_req(ctx.port, "POST", system["path"], body, headers)
    if status // 100 != 2:
        raise RuntimeError("probe answered %d: %s" % (status, text[:200]))
    if system["forwards"]:
        stats, ok = wait_drain(ctx.standin, 1, timeout=15, quiet_s=0.2)
        if not ok:
            raise RuntimeError("probe event did not reach the stand-in")


def verdict(r, forwards, exact=None):
    """Compares what StackStorm received with the 2xx answers."""
    if not forwards:
        return "n/a (no forward)"
    got, ok, fly = r["received"], r["answered_2xx"], r["in_flight_at_stop"]
    if r["received_distinct"] < got and r["duplicates_sent"] == 0:
        return "DUPLICATED %d" % (got - r["received_distinct"])
    if exact is not None:
        if got != exact and not r["drained"]:
            return "NOT DRAINED: accepted %d, received %d" % (exact, got)
        if got != exact:
            return "MISMATCH: accepted %d, received %d" % (exact, got)
        extra = got - ok - r.get("probes", 0)
        return "ok" if extra == 0 else "ok (=accepted; +%d in flight)" % extra
    if got < ok:
        return "LOST %d" % (ok - got)
    if not r["drained"]:
        return "drain timeout"
    if got > ok + fly:
        return "EXTRA %d" % (got - ok - fly)
    return "ok" if got == ok else "ok (+%d in flight)" % (got - ok)


def settle():
    """Writes back what earlier runs left dirty (their spools, the signed bodies),
    so that no system's fsyncs queue behind another's data."""
    os.sync()


def run_system(bench, system):
    """Starts one system, loads it, waits for the drain, stops it: its result."""
    ctx = Ctx(bench, system)
    r = ctx.result
    if system.get("pd") and not os.access(PD_BIN, os.X_OK):
        r["skipped"] = "PD_BIN %s not built" % PD_BIN
        return r
    log("%s: starting" % system["label"])
    settle()
    try:
        proc = system["start"](ctx)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        r["skipped"] = "did not start: %s" % e
        return r
    sampler = None
    try:
        if system.get("probes"):
            system["probes"](ctx)
        probe_delivery(ctx, system)
        bench.standin.reset()
        ports = ctx.ports or ctx.port
        accepted_before = pd_accepted(ports) if system.get("pd") else 0
        sampler = RssSampler(proc.pid)
        sampler.start()
        log("%s: wrk %ds, %d connections" % (system["label"], DURATION, CONNECTIONS))
        roots = {"system": getattr(proc, "pids", proc.pid)}
        if system["forwards"]:
            roots["stand-in"] = bench.standin.proc.pid
        r.update(run_wrk(ctx.workdir, ctx.key, ctx.port, system["path"], system.get("hub_sig"),
                         cpu_roots=roots, ports=ctx.ports))
        if system["forwards"]:
            pending = (lambda: pd_pending(ports)) if system.get("pd") else None
            wrk_end = time.time() * 1000.0
            stats, r["drained"] = wait_drain(bench.standin, r["answered_2xx"], pending)
            r["received"], r["received_distinct"] = stats["triggers"], stats["distinct"]
            # how long after the load StackStorm was still receiving its events
            if stats["last_ms"] is not None:
                r["drain_s"] = max(0.0, (stats["last_ms"] - wrk_end) / 1000.0)
        exact = pd_accepted(ports) - accepted_before if system.get("pd") else None
        r["server_accepted"] = exact
        r.update(sampler.finish())
        r["check"] = verdict(r, system["forwards"], exact)
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        r["skipped"] = "failed: %s | log: %s" % (e, proc.tail(5))
    finally:
        if sampler:
            sampler.halt.set()
        proc.stop()
    return r


def run_outage(bench):
    """Section 2: st2-pagerduty (fsync) with StackStorm down, then the drain."""
    system = SYSTEMS[0]
    ctx = Ctx(bench, system)
    ctx.key = "pd-outage"
    r = ctx.result
    r["key"] = ctx.key
    r["label"] = "st2-pagerduty (fsync), StackStorm down"
    if not os.access(PD_BIN, os.X_OK):
        r["skipped"] = "PD_BIN %s not built" % PD_BIN
        return r
    log("outage: stopping the stand-in, starting st2-pagerduty")
    bench.standin.stop()
    settle()
    proc = sampler = None
    try:
        proc = start_pd(ctx, "fsync")
        body, headers = ctx.bodies.probe()
        status, _ = http_req(ctx.port, "POST", system["path"], body, headers)
        r["probe_status"] = status
        r["probes"] = 1 if status // 100 == 2 else 0  # counted by the daemon and the stand-in
        sampler = RssSampler(proc.pid)
        sampler.start()
        r.update(run_wrk(ctx.workdir, ctx.key, ctx.port, system["path"],
                         cpu_roots={"system": proc.pid}))
        r.update(sampler.finish())
        r["server_accepted"] = pd_accepted(ctx.port)
        r["pending_before"] = pd_pending(ctx.port)
        log("outage: %d events spooled; starting the stand-in" % r["pending_before"])
        bench.standin.start()
        back = time.time() * 1000.0
        stats, r["drained"] = wait_drain(bench.standin, r["server_accepted"],
                                         lambda: pd_pending(ctx.port))
        r["received"], r["received_distinct"] = stats["triggers"], stats["distinct"]
        r["pending_after"] = pd_pending(ctx.port)
        if stats["first_ms"] is not None:
            # The bulk goes at the forwarder's pace; the last events are the
            # ones whose retry backoff (from the outage) had not expired yet,
            # so the rate is taken over the first 99 % of the deliveries.
            after = {k: (stats[k + "_ms"] - back) / 1000.0 for k in ("first", "p50", "p99", "last")}
            r["delivered_after_s"] = after
            span = max(1e-3, after["p99"] - after["first"])
            r["drain_rps"] = 0.99 * stats["triggers"] / span
        r["check"] = verdict(r, True, r["server_accepted"])
        status = subprocess.run([PD_BIN, "spool", "status", "-c", pd_config(ctx, ctx.key, "fsync")],
                                capture_output=True, text=True, timeout=30)
        r["spool_status"] = (status.stdout + status.stderr).strip()
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        r["skipped"] = "failed: %s%s" % (e, " | log: " + proc.tail(5) if proc else "")
    finally:
        if sampler:
            sampler.halt.set()
        if proc:
            proc.stop()
        if not bench.standin.proc:
            bench.standin.start()
    return r


# ------------------------------------------------------------------ report


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def table(rows, cols):
    """Aligned text: cols is [(title, function of row -> str, align)]."""
    cells = [[c[0] for c in cols]] + [[c[1](r) for c in cols] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    lines = []
    for n, row in enumerate(cells):
        out = []
        for i, cell in enumerate(row):
            out.append(cell.ljust(widths[i]) if cols[i][2] == "<" else cell.rjust(widths[i]))
        lines.append("  ".join(out).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def mib(kb):
    return None if kb is None else kb / 1024.0


def report(bench, rows, outage, ceiling):
    """The printed report."""
    base = next((r for r in rows if r["key"] == "pd-fsync" and "rps" in r), None)
    for r in rows:
        r["ratio_to_pd_fsync"] = r["rps"] / base["rps"] if base and "rps" in r else None

    def got(r):
        if "rps" not in r:
            return "-"
        return "%d" % r["received"] if "received" in r else "n/a"

    cols = [
        ("system", lambda r: r["label"], "<"),
        ("req/s", lambda r: fmt(r.get("rps"), ",.0f"), ">"),
        ("p50 ms", lambda r: fmt(r.get("p50_ms"), ".2f"), ">"),
        ("p99 ms", lambda r: fmt(r.get("p99_ms"), ".2f"), ">"),
        ("peak RSS MiB", lambda r: fmt(mib(r.get("peak_kb")), ".1f"), ">"),
        ("procs", lambda r: fmt(r.get("max_procs"), "d"), ">"),
        ("2xx", lambda r: fmt(r.get("answered_2xx"), "d"), ">"),
        ("st2 got", got, ">"),
        ("drain s", lambda r: fmt(r.get("drain_s"), ".1f"), ">"),
        ("check", lambda r: r.get("check") or r.get("skipped", "-"), "<"),
        ("vs fsync", lambda r: fmt(r.get("ratio_to_pd_fsync"), ".2f") + ("x" if r.get(
            "ratio_to_pd_fsync") is not None else ""), ">"),
    ]
    out = []
    out.append("st2-pagerduty benchmark: %s, %d cores (load average %.2f at the start), wrk %d "
               "threads x %d connections, %ds per system, keep-alive"
               % (bench.cpu, CORES, bench.load, THREADS, CONNECTIONS, DURATION))
    out.append("body: incident.triggered V3 envelope, %d bytes, signed (v1=HMAC-SHA256), unique "
               "event/webhook/incident id per request (%s pre-signed)" % (bench.bodies.size,
                                                                       format(BODIES, ",")))
    out.append("")
    out.append("1. Receivers, StackStorm stand-in up")
    out.append(table(rows, cols))
    out.append("")
    out.append("   Where the %d cores went during the load: CPU time per answered request, in us "
               "(the system's process tree with its exited children, the stand-in, wrk, and the "
               "rest of the machine: kernel threads, interrupts, this script)" % CORES)
    cpu_rows = [r for r in rows + [dict(outage, label="st2-pagerduty (fsync), st2 down")]
                if r.get("cpu_us")]

    def us(key):
        return lambda r: fmt(r["cpu_us"].get(key), ".1f") if key in r["cpu_us"] else "-"

    out.append(table(cpu_rows, [
        ("system", lambda r: r["label"], "<"),
        ("system us", us("system"), ">"),
        ("stand-in us", us("stand-in"), ">"),
        ("wrk us", us("wrk"), ">"),
        ("other us", us("other"), ">"),
        ("total us", lambda r: fmt(sum(v for k, v in r["cpu_us"].items() if k != "busy_pct"),
                                   ".1f"), ">"),
        ("cores busy", lambda r: fmt(r["cpu_us"]["busy_pct"], ".0f") + " %", ">"),
    ]))
    out.append("")
    out.append("2. st2-pagerduty (fsync) with StackStorm down, then the drain")
    if outage.get("skipped"):
        out.append("   skipped: " + outage["skipped"])
    else:
        o = outage
        out.append("   st2 down:  %s req/s, p50 %s ms, p99 %s ms, peak RSS %s MiB; %d accepted, "
                   "%d pending in the spool"
                   % (fmt(o["rps"], ",.0f"), fmt(o["p50_ms"], ".2f"), fmt(o["p99_ms"], ".2f"),
                      fmt(mib(o["peak_kb"]), ".1f"), o["server_accepted"], o["pending_before"]))
        if "drain_rps" in o:
            a = o["delivered_after_s"]
            out.append("   st2 back:  drain rate %s events/s (first 99 %% of the %d triggers); "
                       "after StackStorm came back the first arrived at %.1f s, half at %.1f s, "
                       "99 %% at %.1f s, the last at %.1f s%s"
                       % (fmt(o["drain_rps"], ",.0f"), o["received"], a["first"], a["p50"],
                          a["p99"], a["last"], " (the tail: events whose retry backoff from the "
                          "outage had not run out)" if a["last"] - a["p99"] > 1 else ""))
        out.append("   check:     %s (stand-in got %d, daemon accepted %d, %d pending after, "
                   "drained: %s)" % (o["check"], o["received"], o["server_accepted"],
                                     o["pending_after"], "yes" if o["drained"] else "NO"))
        if o.get("spool_status"):
            out.append("   spool status after the drain:")
            out.extend("     " + line for line in o["spool_status"].splitlines())
    out.append("")
    out.append("3. Notes")
    notes = []
    if ceiling:
        notes.append("StackStorm stand-in ceiling (one Python asyncio process, wrk straight at it, "
                     "same body and connections): %s req/s, p50 %.2f ms, p99 %.2f ms. The drain "
                     "rate above cannot exceed it." % (fmt(ceiling["rps"], ",.0f"),
                                                      ceiling["p50_ms"], ceiling["p99_ms"]))
    notes.append("All of wrk, the system under test and the stand-in share the %d cores, so every "
                 "figure is for one small box; the nginx row is the ceiling of the HTTP path here."
                 % CORES)
    notes.append("2xx = wrk's completed requests minus its non-2xx count. A server may also have "
                 "taken requests still in flight when wrk stopped (at most one per connection), "
                 "so 'st2 got' may exceed 2xx by at most that; for st2-pagerduty it must equal "
                 "the daemon's own accepted counter exactly.")
    notes.append("What 2xx means: st2-pagerduty, the event is in its SQLite spool (fsync: on disk; "
                 "os: handed to the OS), or in Redis's memory and AOF, written before the answer "
                 "and fsynced within a second (redis rows: appendfsync everysec); Flask, StackStorm already answered 2xx (synchronous "
                 "forward, nothing kept if StackStorm is down: it answers 500); adnanh/webhook, "
                 "the signature matched and curl was started; nginx, nothing.")
    notes.append("redis rows: 'system' CPU and the check count every replica and redis-server; "
                 "peak RSS is the first replica's alone. With 2 replicas wrk's threads are split "
                 "between them (half the connections each), and one replica, the lease holder, "
                 "delivers everything.")
    notes.append("Flask/gunicorn: %d sync workers (2 x cores + 1, gunicorn's advice); sync "
                 "workers close the connection after each response, so it gets no keep-alive."
                 % GUNICORN_WORKERS)
    notes.append("peak RSS: the larger of the peak of the summed VmRSS of the system's process "
                 "tree (sampled every 50 ms, children like curl included) and, for a fixed set of "
                 "processes, the sum of their VmHWM.")
    dups = sum(r.get("duplicates_sent", 0) for r in rows + [outage])
    notes.append("duplicate ids sent by wrk (records reused after %s): %d" %
                 (format(BODIES, ","), dups))
    notes.extend(bench.notes)
    for r in rows:
        if r.get("drain_s", 0) > 2 and r.get("received"):
            notes.append("%s kept delivering for %.0f s after the load stopped: it answered %s "
                         "req/s but delivered %s events/s to StackStorm over the whole run."
                         % (r["label"], r["drain_s"], fmt(r["ok_rps"], ",.0f"),
                            fmt(r["received"] / (r["seconds"] + r["drain_s"]), ",.0f")))
        if str(r.get("check", "")).startswith("LOST"):
            fds, limit = r.get("max_open_files", 0), r.get("open_files_limit") or 0
            why = ""
            if limit and fds >= 0.95 * limit:
                why = " It ran out of file descriptors"
                if r["key"] == "webhook":
                    why += (": every pending command holds pipes, and a command it cannot start "
                            "('fork/exec /bin/sh: too many open files' in its -verbose log) is "
                            "dropped after the 2xx went out")
                why += "."
            notes.append("%s answered 2xx for %d events that never reached StackStorm; its main "
                         "process had up to %d open files (limit %s).%s"
                         % (r["label"], r["answered_2xx"] - r["received"], fds, limit or "?", why))
    for n in notes:
        out.append(wrap("- " + n, 100, "  "))
    return "\n".join(out)


def wrap(text, width, indent):
    """Word-wraps one note."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = indent + word
        else:
            line = line + " " + word if line else word
    lines.append(line)
    return "\n".join(lines)


# -------------------------------------------------------------------- main


class Bench:
    """The state of one benchmark run."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.notes = []
        self.cpu = cpu_model()
        self.load = os.getloadavg()[0]
        self.bodies = None
        self.standin = StandIn(workdir)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def on_signal(signum, frame):
    raise KeyboardInterrupt


def main():
    if os.environ.get("BENCH_SKIP_DEPS") != "1":
        subprocess.run(["sh", os.path.join(ROOT, "packaging", "build-deps.sh")] + BENCH_PACKAGES,
                       check=True)
    nofile = set_nofile()
    wanted = [s for s in os.environ.get("BENCH_SYSTEMS", "").split(",") if s]
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    workdir = tempfile.mkdtemp(prefix="st2pd-bench-")
    bench = Bench(workdir)
    bench.notes.append("open-files limit of every process started: soft %d, hard %d (systemd's "
                       "default for a service is 1024:524288)" % nofile)
    try:
        log("signing %s bodies" % format(BODIES, ","))
        bench.bodies = Bodies(workdir, BODIES)
        bench.standin.start()
        log("stand-in ceiling: wrk %ds" % min(DURATION, 5))
        ceiling = run_wrk(workdir, "standin", bench.standin.port, "/v1/webhooks/st2",
                          duration=min(DURATION, 5))
        bench.standin.reset()
        rows = [run_system(bench, s) for s in SYSTEMS if not wanted or s["key"] in wanted]
        if not wanted or "outage" in wanted:
            outage = run_outage(bench)
        else:
            outage = {"skipped": "not selected (BENCH_SYSTEMS)"}
        text = report(bench, rows, outage, ceiling)
        print(text)
        results = os.path.join(HERE, "results")
        os.makedirs(results, exist_ok=True)
        with open(os.path.join(results, "last.json"), "w") as f:
            json.dump({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "cpu": bench.cpu, "cores": CORES, "load_average": bench.load,
                       "duration_s": DURATION,
                       "connections": CONNECTIONS, "wrk_threads": THREADS, "bodies": BODIES,
                       "body_bytes": bench.bodies.size, "pd_bin": PD_BIN, "systems": rows,
                       "outage": outage, "standin_ceiling": ceiling, "notes": bench.notes,
                       "report": text}, f, indent=1, default=str)
        log("JSON copy: %s" % os.path.join(results, "last.json"))
        ours = [r for r in rows + [outage] if r.get("key", "").startswith("pd-")]
        failed = [r for r in ours if not str(r.get("check", "")).startswith("ok")
                  and "not built" not in r.get("skipped", "")]
        return 1 if failed else 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop_all()
        if os.environ.get("BENCH_KEEP") == "1":
            log("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
