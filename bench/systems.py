"""systems.py: the systems make bench measures, each behind the StackStorm
stand-in (bench/st2_standin.py, a process of its own): st2-pagerduty with
the SQLite spool (fsync, os) and with the Redis spool (one replica, two),
adnanh/webhook running curl, Flask under gunicorn, and nginx answering 202;
how each is configured and started, and SYSTEMS, the table of them.
"""
import json
import os
import subprocess
import sys
import time

from common import (API_KEY, CORES, HERE, PD_BIN, PD_PATH, SECRET, Proc, free_port, http_req,
                    wait_port, write)

GUNICORN_WORKERS = 2 * CORES + 1


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


def register(ctx, cfg):
    """`register` with cfg creates the trigger types, when the stand-in is up."""
    if ctx.standin.proc:
        reg = subprocess.run([PD_BIN, "register", "-c", cfg], capture_output=True, text=True,
                             timeout=60)
        if reg.returncode != 0:
            raise RuntimeError("register failed: " + (reg.stderr or reg.stdout).strip())


def wait_healthy(port, proc):
    """Waits (10 s at most) until serve on port answers /healthz 200."""
    deadline = time.monotonic() + 10
    while http_req(port, "GET", "/healthz")[0] != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("/healthz is not 200 on %d: %s" % (port, proc.tail()))
        time.sleep(0.1)


def start_pd(ctx, durability):
    """st2-pagerduty serve, after `register` created the trigger types."""
    cfg = pd_config(ctx, ctx.key, durability)
    register(ctx, cfg)
    proc = Proc(ctx.key, [PD_BIN, "serve", "-c", cfg], ctx.workdir)
    wait_port(ctx.port, proc)
    wait_healthy(ctx.port, proc)
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
            if n == 0:
                register(ctx, cfg)
            procs.insert(n, Proc("%s-%d" % (ctx.key, n), [PD_BIN, "serve", "-c", cfg],
                                 ctx.workdir))
            wait_port(port, procs[n])
        for n, port in enumerate(ctx.ports):
            wait_healthy(port, procs[n])
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


# --------------------------------------------------------------- a run's context


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
