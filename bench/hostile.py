#!/usr/bin/env python3
"""hostile.py: what hostile clients cost st2-pagerduty, and what a normal one
sees meanwhile.

    python3 bench/hostile.py [--clients N] [--seconds S]

Starts `PD_BIN serve` (spool.durability fsync, triggers to a sink file, the
default limits of INTERFACE.md, a 65536-descriptor limit as the systemd unit
gives it) and runs three scenes, each with N hostile connections (default
1000) held for S seconds (default 20) while a normal client posts a signed
1.8 KB event every 50 ms on a new connection:
  trickle  each hostile connection sends one header byte a second;
  bodies   each sends its headers and 200 KB of an unsigned body, then stalls;
  idle     each connects and sends nothing.
For each scene it prints the daemon's RSS before, at its peak and after the
hostile connections closed, what the hostile connections were answered, and
the normal client's answers and latency (p50, p99, max). It checks nothing
and is not a test: the figures go into the README and closing notes.
"""
import argparse
import hashlib
import hmac
import json
import os
import resource
import selectors
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402  (processes, ports, HTTP, the secret)
import load as L  # noqa: E402  (memory sampling, bodies)


def daemon(workdir, port):
    cfg = C.write(os.path.join(workdir, "hostile.yaml"), "\n".join([
        "webhook:",
        '  listen: ["127.0.0.1:%d"]' % port,
        '  secrets: ["%s"]' % C.SECRET,
        "st2:",
        '  sink_file: "%s"' % os.path.join(workdir, "triggers.jsonl"),
        "spool:",
        '  path: "%s"' % os.path.join(workdir, "spool"),
        "  durability: fsync",
        "log:",
        "  level: warn",
        ""]))
    os.chmod(cfg, 0o600)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(65536, hard), hard))
    proc = C.Proc("hostile-serve", [C.PD_BIN, "serve", "-c", cfg], workdir)
    C.wait_port(port, proc)
    return proc


class Normal(threading.Thread):
    """A well-behaved PagerDuty: a signed event every 50 ms, a new connection each."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.halt = threading.Event()
        self.lat = []
        self.statuses = {}
        self.template = L.body_template()

    def run(self):
        n = 0
        while not self.halt.wait(0.05):
            body = self.template.replace("@ID@", "01HOSTILE%06d%011d" % (os.getpid(), n)).encode()
            n += 1
            sig = hmac.new(C.SECRET.encode(), body, hashlib.sha256).hexdigest()
            t = time.monotonic()
            try:
                status, _ = C.http_req(self.port, "POST", "/webhooks/pagerduty", body,
                                       {"Content-Type": "application/json",
                                        "X-PagerDuty-Signature": "v1=" + sig}, timeout=30)
            except OSError as e:
                status = type(e).__name__
            self.lat.append(time.monotonic() - t)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def finish(self):
        self.halt.set()
        self.join()
        lat = sorted(self.lat) or [0]
        return {"requests": len(self.lat), "answers": self.statuses,
                "p50_ms": 1000 * statistics.median(lat),
                "p99_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))],
                "max_ms": 1000 * lat[-1]}


def hostile(port, n, scene, seconds):
    """Holds n hostile connections for about seconds; returns what they were answered."""
    sel = selectors.DefaultSelector()
    head = (b"POST /webhooks/pagerduty HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"X-PagerDuty-Signature: v1=" + b"0" * 64 + b"\r\nContent-Length: 262144\r\n\r\n")
    payload = {"trickle": head, "bodies": head + b"x" * 200000, "idle": b""}[scene]
    conns = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        c = {"sock": s, "sent": 0, "answer": b"", "closed": False}
        conns.append(c)
        sel.register(s, selectors.EVENT_READ, c)
    end = time.monotonic() + seconds
    next_tick = 0.0
    while time.monotonic() < end:
        now = time.monotonic()
        if scene != "idle" and now >= next_tick:
            next_tick = now + (1.0 if scene == "trickle" else 0.05)
            for c in conns:
                if c["closed"] or c["sent"] >= len(payload):
                    continue
                step = 1 if scene == "trickle" else 65536
                try:
                    c["sent"] += c["sock"].send(payload[c["sent"]:c["sent"] + step])
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    c["closed"] = True
        for key, _ in sel.select(timeout=0.05):
            c = key.data
            try:
                chunk = c["sock"].recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if chunk:
                c["answer"] += chunk
            else:
                c["closed"] = True
                sel.unregister(c["sock"])
    outcome = {}
    for c in conns:
        status = c["answer"].split(b" ", 2)[1].decode() if c["answer"] else (
            "closed" if c["closed"] else "open")
        outcome[status] = outcome.get(status, 0) + 1
        c["sock"].close()
    sel.close()
    return outcome


def scene(port, proc, name, n, seconds):
    rss0, _ = L.vm_kb(proc.pid)
    sampler = L.RssSampler(proc.pid)
    sampler.start()
    normal = Normal(port)
    normal.start()
    outcome = hostile(port, n, name, seconds)
    peak = sampler.finish()["rss_sum_peak_kb"]
    time.sleep(2)  # the closes reach the daemon
    rss1, _ = L.vm_kb(proc.pid)
    res = normal.finish()
    return {"scene": name, "hostile": n, "hostile_answers": outcome,
            "rss_before_mib": rss0 / 1024, "rss_peak_mib": peak / 1024,
            "rss_after_mib": rss1 / 1024, "normal": res}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--scenes", default="trickle,bodies,idle")
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="pd-hostile-")
    port = C.free_port()
    proc = daemon(workdir, port)
    try:
        rows = [scene(port, proc, s, args.clients, args.seconds)
                for s in args.scenes.split(",")]
    finally:
        C.stop_all()
    print("hostile clients: %d for %.0f s each scene; normal client: a signed 1.8 KB event "
          "every 50 ms, new connection" % (args.clients, args.seconds))
    print("%-8s %9s %9s %9s  %-28s %-22s %7s %7s %7s" % (
        "scene", "RSS0 MiB", "peak MiB", "after MiB", "hostile answered",
        "normal answered", "p50 ms", "p99 ms", "max ms"))
    for r in rows:
        nr = r["normal"]
        print("%-8s %9.1f %9.1f %9.1f  %-28s %-22s %7.1f %7.1f %7.1f" % (
            r["scene"], r["rss_before_mib"], r["rss_peak_mib"], r["rss_after_mib"],
            json.dumps(r["hostile_answers"], sort_keys=True), json.dumps(nr["answers"]),
            nr["p50_ms"], nr["p99_ms"], nr["max_ms"]))


if __name__ == "__main__":
    main()
