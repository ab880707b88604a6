"""common.py: what every benchmark script shares (bench.py, threads.py,
hostile.py): the settings read from the environment (bench.py's docstring
lists them), the run's secret and API key, processes started in their own
process group and stopped with their children, free ports, and plain HTTP
on loopback.
"""
import http.client
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SECRET = "bench-" + secrets.token_hex(12)
API_KEY = "bench-key-" + secrets.token_hex(8)
PD_PATH = "/webhooks/pagerduty"


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

def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path
