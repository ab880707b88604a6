"""load.py: the load of make bench and its figures: the pre-signed webhook
bodies wrk sends (through pd_webhook.lua), wrk runs and their summary, the
CPU and memory of the process trees under load (from /proc), and waiting
until the StackStorm stand-in has received what the system accepted.
"""
import hashlib
import hmac
import json
import os
import resource
import secrets
import subprocess
import threading
import time

from common import CONNECTIONS, DRAIN_STALL, DRAIN_TIMEOUT, DURATION, HERE, SECRET, THREADS

ID_MARKER = "01BENCH"
ID_LEN = 26
BODY_TARGET = 1800


# ------------------------------------------------------------------- memory


def proc_children():
    """pid -> list of child pids, for every process on the machine."""
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def tree(root):
    """root and all its descendants."""
    kids = proc_children()
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(kids.get(pid, ()))
    return pids


def vm_kb(pid):
    """(VmRSS, VmHWM) of a process in kB; (0, 0) once it is gone."""
    rss = hwm = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, hwm


def open_files_limit(pid):
    """The soft open-files limit a running process has (Go raises its own)."""
    try:
        with open("/proc/%d/limits" % pid) as f:
            for line in f:
                if line.startswith("Max open files"):
                    return int(line.split()[3])
    except (OSError, ValueError, IndexError):
        pass
    return None


def cpu_ticks(root):
    """CPU time (clock ticks) of a process tree (or of several), reaped children included."""
    if isinstance(root, list):
        return sum(cpu_ticks(r) for r in root)
    total = 0
    for pid in tree(root):
        try:
            with open("/proc/%d/stat" % pid, "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total


def machine_ticks():
    """(busy, total) clock ticks of the whole machine since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    idle = v[3] + v[4]  # idle, iowait
    return sum(v) - idle, sum(v)


class CpuMeter:
    """Where the cores went during one wrk run: µs of CPU per answered request."""

    def __init__(self, roots):
        self.roots = roots  # {"system": pid or [pids], "stand-in": pid}
        self.start = {k: cpu_ticks(pid) for k, pid in roots.items()}
        self.wrk0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.machine0 = machine_ticks()

    def finish(self, requests):
        hz = float(os.sysconf("SC_CLK_TCK"))
        wrk1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy1, total1 = machine_ticks()
        per = 1e6 / max(1, requests)
        out = {k: (cpu_ticks(pid) - self.start[k]) / hz * per for k, pid in self.roots.items()}
        out["wrk"] = (wrk1.ru_utime + wrk1.ru_stime - self.wrk0.ru_utime -
                      self.wrk0.ru_stime) * per
        busy = (busy1 - self.machine0[0]) / hz * per
        out["other"] = max(0.0, busy - sum(out.values()))  # kernel threads, softirq, the bench
        out["busy_pct"] = 100.0 * (busy1 - self.machine0[0]) / max(1, total1 - self.machine0[1])
        return out


class RssSampler(threading.Thread):
    """Samples the memory of a process tree until stopped."""

    INTERVAL = 0.05

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root = root
        self.halt = threading.Event()
        self.peak_rss_kb = 0
        self.hwm_kb = {}  # pid -> highest VmHWM seen
        self.max_procs = 0
        self.max_fds = 0
        self.samples = 0
        self.fd_limit = open_files_limit(root)

    def run(self):
        while True:
            self.sample()
            if self.halt.wait(self.INTERVAL):
                self.sample()
                return

    def sample(self):
        total = procs = 0
        for pid in tree(self.root):
            rss, hwm = vm_kb(pid)
            if rss or hwm:
                procs += 1
                total += rss
                self.hwm_kb[pid] = max(hwm, self.hwm_kb.get(pid, 0))
        self.peak_rss_kb = max(self.peak_rss_kb, total)
        self.max_procs = max(self.max_procs, procs)
        # open files of the main process: a few ms when it holds thousands
        if self.samples % 5 == 0:
            try:
                self.max_fds = max(self.max_fds, len(os.listdir("/proc/%d/fd" % self.root)))
            except OSError:
                pass
        self.samples += 1

    def finish(self):
        """Stops sampling: {peak_kb, rss_sum_peak_kb, hwm_sum_kb, max_procs, ...}."""
        self.halt.set()
        self.join()
        hwm_sum = sum(self.hwm_kb.values())
        # The summed HWM over-counts processes whose peaks never overlapped;
        # it is used only where the tree has one process set (no churn).
        use_hwm = len(self.hwm_kb) == self.max_procs
        return {"peak_kb": max(self.peak_rss_kb, hwm_sum if use_hwm else 0),
                "rss_sum_peak_kb": self.peak_rss_kb, "hwm_sum_kb": hwm_sum,
                "max_procs": self.max_procs, "processes_seen": len(self.hwm_kb),
                "max_open_files": self.max_fds, "open_files_limit": self.fd_limit}


# ------------------------------------------------------------------- bodies


def body_template():
    """An incident.triggered V3 envelope of about BODY_TARGET bytes with @ID@ where the id goes."""
    def ref(kind, pid, summary, path):
        return {"html_url": "https://acme.pagerduty.com/%s/%s" % (path, pid), "id": pid,
                "self": "https://api.pagerduty.com/%s/%s" % (path, pid), "summary": summary,
                "type": kind + "_reference"}
    event = {"event": {
        "id": "@ID@", "event_type": "incident.triggered", "resource_type": "incident",
        "occurred_at": "2026-08-20T10:15:22.169Z",
        "agent": ref("user", "PLH1HKV", "Tenex Engineer", "users"),
        "client": {"name": "PagerDuty"},
        "data": {
            "id": "@ID@", "type": "incident",
            "self": "https://api.pagerduty.com/incidents/@ID@",
            "html_url": "https://acme.pagerduty.com/incidents/@ID@",
            "number": 4711, "status": "triggered",
            "incident_key": "d3640fbd41094207a1c11e58e46b1662",
            "created_at": "2026-08-20T10:15:22Z", "title": "",
            "service": ref("service", "PF9KMXH", "API Service", "services"),
            "assignees": [ref("user", "PTUXL6G", "User 123", "users")],
            "escalation_policy": ref("escalation_policy", "PUS0KTE", "Default",
                                     "escalation_policies"),
            "teams": [ref("team", "PFCVPS0", "Engineering", "teams")],
            "priority": ref("priority", "PSO75BM", "P1", "priorities"),
            "urgency": "high",
            "conference_bridge": {"conference_number": "+1 1234123412,,987654321#",
                                  "conference_url": "https://example.com"},
            "resolve_reason": None, "incident_type": {"name": "major"}}}}
    text = json.dumps(event, separators=(",", ":"))
    real = len(text) + text.count("@ID@") * (ID_LEN - 4)
    words = "Disk usage above 90% on db-main-01 /var/lib/postgresql, checkout latency rising; "
    pad = max(0, BODY_TARGET - real)
    title = (words * (pad // len(words) + 1))[:pad]
    return text.replace('"title":""', '"title":"%s"' % title)


class Bodies:
    """The pre-signed records pd_webhook.lua reads, and signed probe bodies."""

    def __init__(self, workdir, count):
        self.dir = os.path.join(workdir, "bodies")
        os.makedirs(self.dir)
        self.template = body_template()
        self.tag = secrets.token_hex(3).upper()
        self.count = count
        self.probes = 0
        with open(os.path.join(self.dir, "template.bin"), "w") as f:
            f.write(self.template)
        self.size = len(self.body(self.ident(0)))
        parts = [p.encode() for p in self.template.split("@ID@")]
        key = SECRET.encode()
        start = hmac.new(key, parts[0], hashlib.sha256)
        with open(os.path.join(self.dir, "records.bin"), "wb") as f:
            chunk = []
            for i in range(count):
                ident = self.ident(i).encode()
                h = start.copy()
                for part in parts[1:]:
                    h.update(ident)
                    h.update(part)
                chunk.append(ident + h.hexdigest().encode())
                if len(chunk) == 65536:
                    f.write(b"".join(chunk))
                    chunk = []
            f.write(b"".join(chunk))

    def ident(self, i):
        """The i-th event id: 01BENCH + run tag + 13 digits (26 chars, like a ULID)."""
        return "%s%s%013d" % (ID_MARKER, self.tag, i)

    def body(self, ident):
        return self.template.replace("@ID@", ident)

    def probe(self):
        """A fresh signed body outside the wrk set: (body, headers)."""
        self.probes += 1
        ident = "%sPROBE%s%09d" % (ID_MARKER, self.tag, self.probes)
        body = self.body(ident).encode()
        sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        return body, {"Content-Type": "application/json", "X-PagerDuty-Signature": "v1=" + sig,
                      "X-Webhook-Id": "wh-" + ident, "X-Hub-Signature-256": "sha256=" + sig}


# --------------------------------------------------------------------- runs


def run_wrk(workdir, name, port, path, hub_sig=False, duration=None, cpu_roots=None, ports=None):
    """wrk with pd_webhook.lua against the port (or its threads spread over
    ports); its done() summary (and the CPU per request of the cpu_roots
    process trees, of wrk and of the rest)."""
    out = os.path.join(workdir, name + ".wrk.json")
    env = dict(os.environ, BENCH_DIR=os.path.join(workdir, "bodies"), BENCH_THREADS=str(THREADS),
               BENCH_ID_LEN=str(ID_LEN), BENCH_PATH=path, BENCH_OUT=out,
               BENCH_HUB_SIG="1" if hub_sig else "0", BENCH_PORTS=",".join(map(str, ports or [])))
    duration = duration or DURATION
    argv = ["wrk", "-t%d" % THREADS, "-c%d" % CONNECTIONS, "-d%ds" % duration, "--timeout", "10s",
            "--latency", "-s", os.path.join(HERE, "pd_webhook.lua"),
            "http://127.0.0.1:%d%s" % (port, path)]
    meter = CpuMeter(cpu_roots) if cpu_roots else None
    with open(os.path.join(workdir, name + ".wrk.txt"), "w") as txt:
        subprocess.run(argv, env=env, stdout=txt, stderr=subprocess.STDOUT, check=True,
                       timeout=duration + 60)
    with open(out) as f:
        w = json.load(f)
    secs = w["duration_us"] / 1e6
    ok = w["requests"] - w["errors"]["status"]
    return {"cpu_us": meter.finish(ok) if meter else None,
            "rps": w["requests"] / secs, "ok_rps": ok / secs, "requests": w["requests"],
            "answered_2xx": ok, "non_2xx": w["errors"]["status"],
            "socket_errors": sum(v for k, v in w["errors"].items() if k != "status"),
            "in_flight_at_stop": max(0, w["sent"] - w["requests"]), "sent": w["sent"],
            "duplicates_sent": w["duplicates"], "p50_ms": w["latency_us"]["p50"] / 1000.0,
            "p99_ms": w["latency_us"]["p99"] / 1000.0, "seconds": secs, "wrk": w}


def wait_drain(standin, at_least, pending=None, timeout=DRAIN_TIMEOUT, quiet_s=1.0):
    """Waits until the stand-in has >= at_least triggers, pending() is 0 and the
    count has not moved for quiet_s: (stats, drained?). Without pending() (a
    system with no queue to ask) it also gives up once nothing arrived for
    DRAIN_STALL seconds; st2-pagerduty's spool says whether more will come."""
    deadline = time.monotonic() + timeout
    last, moved = -1, time.monotonic()
    while True:
        stats = standin.stats()
        now = time.monotonic()
        if stats["triggers"] != last:
            last, moved = stats["triggers"], now
        done = stats["triggers"] >= at_least and now - moved >= quiet_s
        if done and pending is not None:
            done = pending() == 0
        if done:
            return stats, True
        if now > deadline or (pending is None and now - moved > DRAIN_STALL):
            return stats, False
        time.sleep(0.1)
