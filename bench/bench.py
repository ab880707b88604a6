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
"""
import hashlib
import hmac
import http.client
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SECRET = "bench-" + secrets.token_hex(12)
API_KEY = "bench-key-" + secrets.token_hex(8)
PD_PATH = "/webhooks/pagerduty"
# What the peers and the load need, installed by packaging/build-deps.sh when missing.
BENCH_PACKAGES = [
    "wrk", "nginx", "webhook", "python3", "python3-flask", "gunicorn", "curl", "time"
]
ID_MARKER = "01BENCH"
ID_LEN = 26
BODY_TARGET = 1800


def env_num(name, default, kind=int):
    """A numeric setting from the environment."""
    raw = os.environ.get(name, "")
    try:
        return kind(raw) if raw else default
    except ValueError:
        sys.exit("bench: %s=%r is not a number" % (name, raw))


CORES = os.cpu_count() or 2
DURATION = env_num("BENCH_DURATION", 10)
CONNECTIONS = env_num("BENCH_CONNECTIONS", 32)
THREADS = env_num("BENCH_THREADS", CORES)
BODIES = env_num("BENCH_BODIES", max(200000, 120000 * DURATION))
DRAIN_TIMEOUT = env_num("BENCH_DRAIN_TIMEOUT", 300, float)
DRAIN_STALL = env_num("BENCH_DRAIN_STALL", 30, float)
PD_BIN = os.environ.get("PD_BIN", os.path.join(ROOT, "build", "st2-pagerduty"))
GUNICORN_WORKERS = 2 * CORES + 1


def log(msg):
    """Progress on stderr, so stdout is just the report."""
    print("bench: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes


class Proc:
    """A started process in its own process group, stopped with its children."""

    ALL = []

    def __init__(self, name, argv, logdir, env=None, cwd=None):
        self.name = name
        self.logpath = os.path.join(logdir, name + ".log")
        with open(self.logpath, "ab") as out:
            self.p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                      start_new_session=True)
        self.pid = self.p.pid
        Proc.ALL.append(self)

    def alive(self):
        return self.p.poll() is None

    def stop(self, timeout=10.0):
        """SIGTERM the group, wait, then SIGKILL whatever is left of it."""
        if self.alive():
            self.signal_group(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.p.wait(5)
        self.signal_group(signal.SIGKILL)  # stragglers (children) of this group only
        if self in Proc.ALL:
            Proc.ALL.remove(self)

    def signal_group(self, sig):
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def tail(self, lines=15):
        """The end of its log, for error reports."""
        try:
            with open(self.logpath, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""


def stop_all():
    """Stops every process this script started."""
    for proc in list(Proc.ALL):
        proc.stop(timeout=5)


def set_nofile():
    """Gives every process started here the open-files limit systemd gives a
    service by default (LimitNOFILE=1024:524288), so no system is cut short
    (or spared) by whatever limit the shell running the bench has. Go
    programs (adnanh/webhook) raise their soft limit to the hard one."""
    soft, hard = 1024, 524288
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    except (ValueError, OSError):
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=20.0):
    """Waits until something accepts connections on the port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError("%s exited: %s" % (proc.name, proc.tail()))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s does not listen on %d after %ds" % (proc.name, port, timeout))


def http_req(port, method, path, body=None, headers=None, timeout=10.0):
    """One HTTP request on loopback: (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


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


# ------------------------------------------------------------------ stand-in


class StandIn:
    """The StackStorm stand-in process and its counters."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = Proc("st2-standin", [sys.executable, os.path.join(HERE, "st2_standin.py"),
                                         "--port", str(self.port)], self.workdir)
        wait_port(self.port, self.proc)

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def stats(self):
        status, body = http_req(self.port, "GET", "/_bench/stats")
        if status != 200:
            raise RuntimeError("stand-in stats: HTTP %d" % status)
        return json.loads(body)

    def reset(self):
        http_req(self.port, "POST", "/_bench/reset", body=b"")


# ------------------------------------------------------------------ systems


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def pd_config(ctx, key, durability, port=None, redis_port=None):
    """A st2-pagerduty config in the temp dir, with its own fresh spool (or,
    with redis_port, the Redis spool there, under a prefix of its own)."""
    spool = os.path.join(ctx.workdir, "spool-" + key)
    os.makedirs(spool, exist_ok=True)
    redis = [] if redis_port is None else [
        "  backend: redis",
        "  redis:",
        '    url: "redis://127.0.0.1:%d/0"' % redis_port,
        '    prefix: "bench-%s:"' % ctx.key]
    return write(os.path.join(ctx.workdir, key + ".yaml"), "\n".join([
        "webhook:",
        '  listen: ["127.0.0.1:%d"]' % (port or ctx.port),
        '  secrets: ["%s"]' % SECRET,
        "st2:",
        '  api_url: "%s"' % ctx.standin.url,
        '  api_key: "%s"' % API_KEY,
        "spool:",
        '  path: "%s"' % spool,
        "  durability: %s" % durability] + redis + [
        "log:",
        "  level: warn",
        ""]))


def pd_metrics(port):
    """st2-pagerduty's /metrics as {name{labels}: value}."""
    status, body = http_req(port, "GET", "/metrics")
    if status != 200:
        raise RuntimeError("/metrics: HTTP %d" % status)
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def pd_accepted(port):
    """Webhooks st2-pagerduty answered accepted (2xx, new event); a list: all replicas'."""
    if isinstance(port, list):
        return sum(pd_accepted(p) for p in port)
    return int(pd_metrics(port).get('st2_pagerduty_webhooks_received_total{result="accepted"}', 0))


def pd_pending(port):
    """Pending events; replicas share one spool, so the first one answers for all."""
    if isinstance(port, list):
        port = port[0]
    return int(pd_metrics(port).get("st2_pagerduty_spool_pending", 0))


def start_pd(ctx, durability):
    """st2-pagerduty serve, after `register` created the trigger types."""
    cfg = pd_config(ctx, ctx.key, durability)
    if ctx.standin.proc:
        reg = subprocess.run([PD_BIN, "register", "-c", cfg], capture_output=True, text=True,
                             timeout=60)
        if reg.returncode != 0:
            raise RuntimeError("register failed: " + (reg.stderr or reg.stdout).strip())
    proc = Proc(ctx.key, [PD_BIN, "serve", "-c", cfg], ctx.workdir)
    wait_port(ctx.port, proc)
    deadline = time.monotonic() + 10
    while http_req(ctx.port, "GET", "/healthz")[0] != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("/healthz is not 200: " + proc.tail())
        time.sleep(0.1)
    return proc


class Group:
    """Several processes run as one system (replicas and their Redis): the
    first one is the face (pid, tail), CPU counts them all."""

    def __init__(self, procs):
        self.procs = procs
        self.pid = procs[0].pid
        self.pids = [p.pid for p in procs]

    def alive(self):
        return all(p.alive() for p in self.procs)

    def stop(self, timeout=10.0):
        for p in self.procs:
            p.stop(timeout)

    def tail(self, lines=15):
        return "\n".join(p.tail(lines) for p in self.procs)


def start_redis(ctx):
    """A redis-server for the Redis spool: AOF on, fsynced every second (its default)."""
    port = free_port()
    data = os.path.join(ctx.workdir, "redis-" + ctx.key)
    os.makedirs(data, exist_ok=True)
    proc = Proc("redis-" + ctx.key, ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "yes", "--appendfsync",
                                     "everysec", "--dir", data], ctx.workdir)
    wait_port(port, proc)
    return proc, port


def start_pd_redis(ctx, replicas):
    """st2-pagerduty with spool.backend redis: replicas sharing one redis-server."""
    redis, redis_port = start_redis(ctx)
    procs = [redis]
    try:
        ctx.ports = [ctx.port] + [free_port() for _ in range(replicas - 1)]
        for n, port in enumerate(ctx.ports):
            cfg = pd_config(ctx, "%s-%d" % (ctx.key, n), "fsync", port, redis_port)
            if n == 0 and ctx.standin.proc:
                reg = subprocess.run([PD_BIN, "register", "-c", cfg], capture_output=True,
                                     text=True, timeout=60)
                if reg.returncode != 0:
                    raise RuntimeError("register failed: " + (reg.stderr or reg.stdout).strip())
            procs.insert(n, Proc("%s-%d" % (ctx.key, n), [PD_BIN, "serve", "-c", cfg],
                                 ctx.workdir))
            wait_port(port, procs[n])
        for port in ctx.ports:
            deadline = time.monotonic() + 10
            while http_req(port, "GET", "/healthz")[0] != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError("/healthz is not 200 on %d" % port)
                time.sleep(0.1)
        # The probe's trigger must not wait for the lease: one replica leads before the load.
        deadline = time.monotonic() + 10
        while not any(pd_metrics(p).get("st2_pagerduty_spool_leader") == 1 for p in ctx.ports):
            if time.monotonic() > deadline:
                raise RuntimeError("no replica took the forwarder's lease")
            time.sleep(0.1)
    except (RuntimeError, OSError):
        for p in procs:
            p.stop()
        raise
    return Group(procs)


def start_webhook(ctx):
    """adnanh/webhook with hooks that run curl to post the trigger."""
    def hook(hook_id, header, st2_url):
        # sh -c '... $1 ... $2' sh <event_type> <payload>: the trigger body is built by the shell
        script = ("exec curl -sS -o /dev/null --max-time 10 -H 'Content-Type: application/json' "
                  "-H 'St2-Api-Key: %s' --data-binary "
                  "\"{\\\"trigger\\\":\\\"pagerduty.$1\\\",\\\"payload\\\":$2}\" "
                  "'%s/v1/webhooks/st2'"
                  % (API_KEY, st2_url))
        return {
            "id": hook_id,
            "execute-command": "/bin/sh",
            "command-working-directory": ctx.workdir,
            "http-methods": ["POST"],
            "include-command-output-in-response": False,
            "pass-arguments-to-command": [
                {"source": "string", "name": "-c"}, {"source": "string", "name": script},
                {"source": "string", "name": "sh"},
                {"source": "payload", "name": "event.event_type"},
                {"source": "entire-payload"}],
            "trigger-rule": {"match": {"type": "payload-hmac-sha256", "secret": SECRET,
                                       "parameter": {"source": "header", "name": header}}}}
    dead = "http://127.0.0.1:%d" % free_port()
    hooks = [hook("pagerduty", "X-Hub-Signature-256", ctx.standin.url),
             hook("pagerduty-v1", "X-PagerDuty-Signature", ctx.standin.url),
             hook("pagerduty-st2-down", "X-Hub-Signature-256", dead)]
    path = write(os.path.join(ctx.workdir, "hooks.json"), json.dumps(hooks, indent=1))
    proc = Proc(ctx.key, ["/usr/bin/webhook", "-hooks", path, "-ip", "127.0.0.1",
                          "-port", str(ctx.port)], ctx.workdir)
    wait_port(ctx.port, proc)
    return proc


def webhook_probes(ctx):
    """What adnanh/webhook does with PagerDuty's own header, and with StackStorm down."""
    body, headers = ctx.bodies.probe()
    only_v1 = {k: v for k, v in headers.items() if k != "X-Hub-Signature-256"}
    status, text = http_req(ctx.port, "POST", "/hooks/pagerduty-v1", body, only_v1)
    ctx.note("adnanh/webhook: payload-hmac-sha256 on X-PagerDuty-Signature (v1=<hex>) answered "
             "%d %r: it only strips a 'sha256=' prefix, so PagerDuty's header never verifies. "
             "The bench therefore also sends X-Hub-Signature-256: sha256=<same hex> to it "
             "(a header PagerDuty does not send) and its rule reads that one." %
             (status, text.decode(errors="replace").strip()[:60]))
    ctx.result["probe_v1_header"] = status
    body, headers = ctx.bodies.probe()
    status, _ = http_req(ctx.port, "POST", "/hooks/pagerduty-st2-down", body, headers)
    ctx.note("adnanh/webhook: with StackStorm unreachable it still answered %d: the answer goes "
             "out when the command starts (include-command-output-in-response false), so its 2xx "
             "means 'signature ok, curl started', nothing durable; a failed curl is lost." % status)
    ctx.result["probe_st2_down"] = status


def start_flask(ctx):
    """The Flask app under gunicorn, 2*cores+1 sync workers."""
    env = dict(os.environ, PD_SECRETS=SECRET, ST2_URL=ctx.standin.url, ST2_API_KEY=API_KEY,
               PYTHONDONTWRITEBYTECODE="1")
    proc = Proc(ctx.key, ["/usr/bin/gunicorn", "--workers", str(GUNICORN_WORKERS),
                          "--worker-class", "sync", "--bind", "127.0.0.1:%d" % ctx.port,
                          "--chdir", os.path.join(HERE, "peers"), "--log-level", "warning",
                          "flask_app:app"], ctx.workdir, env=env)
    wait_port(ctx.port, proc)
    return proc


def start_nginx(ctx):
    """nginx answering 202 after reading (discarding) the body."""
    prefix = os.path.join(ctx.workdir, "nginx")
    os.makedirs(prefix, exist_ok=True)
    temps = "\n".join("    %s_temp_path %s/%s;" % (t, prefix, t)
                      for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = write(os.path.join(prefix, "nginx.conf"), """daemon off;
master_process on;
worker_processes %d;
pid %s/nginx.pid;
error_log %s/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
%s
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:%d;
        client_max_body_size 1m;
        client_body_buffer_size 64k;
        location = %s { return 202; }
    }
}
""" % (CORES, prefix, prefix, temps, ctx.port, PD_PATH))
    proc = Proc(ctx.key, ["/usr/sbin/nginx", "-p", prefix, "-c", conf,
                          "-e", os.path.join(prefix, "error.log")], ctx.workdir)
    wait_port(ctx.port, proc)
    return proc


# One row per system of section 1: key, label, how to start it, request path,
# whether it forwards to StackStorm, whether wrk adds X-Hub-Signature-256.
SYSTEMS = [
    {"key": "pd-fsync", "label": "st2-pagerduty (fsync)", "pd": True, "forwards": True,
     "start": lambda ctx: start_pd(ctx, "fsync"), "path": PD_PATH},
    {"key": "pd-os", "label": "st2-pagerduty (os)", "pd": True, "forwards": True,
     "start": lambda ctx: start_pd(ctx, "os"), "path": PD_PATH},
    {"key": "pd-redis-1", "label": "st2-pagerduty (redis, 1 replica)", "pd": True,
     "forwards": True, "start": lambda ctx: start_pd_redis(ctx, 1), "path": PD_PATH},
    {"key": "pd-redis-2", "label": "st2-pagerduty (redis, 2 replicas)", "pd": True,
     "forwards": True, "start": lambda ctx: start_pd_redis(ctx, 2), "path": PD_PATH},
    {"key": "webhook", "label": "adnanh/webhook + curl", "forwards": True, "hub_sig": True,
     "start": start_webhook, "path": "/hooks/pagerduty", "probes": webhook_probes},
    {"key": "flask", "label": "Flask/gunicorn %dw" % GUNICORN_WORKERS, "forwards": True,
     "start": start_flask, "path": PD_PATH},
    {"key": "nginx", "label": "nginx return 202", "forwards": False,
     "start": start_nginx, "path": PD_PATH},
]


# -------------------------------------------------------------------- runs


class Ctx:
    """What one system's run needs, and what it found."""

    def __init__(self, bench, system):
        self.workdir = bench.workdir
        self.standin = bench.standin
        self.bodies = bench.bodies
        self.notes = bench.notes
        self.key = system["key"]
        self.port = free_port()
        self.ports = None  # several replicas: every one's port, wrk spreads over them
        self.result = {"key": self.key, "label": system["label"]}

    def note(self, text):
        self.notes.append(text)


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
