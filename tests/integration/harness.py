"""harness.py: the integration tests' library: find the binary, run it, start it.

Every test file takes from here rather than keeping its own copy: where the
binary, the source tree and ../shared are (ctest sets PD_BIN, PD_SOURCE_DIR
and PD_SHARED_DIR; run by hand, the paths beside this file serve); running a
subcommand with an environment that none of ours can change; a `serve`
daemon per test in its own temporary directory (a config written as JSON,
which YAML reads as flow style, the receiver on port 0 with the real port
read back from the "listening" log line); signed requests the way PagerDuty
sends them; waiting helpers that poll instead of sleeping for a fixed time;
and what tests of delivery ask of the StackStorm stand-in's triggers.
"""

import collections
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("PD_SOURCE_DIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("PD_BIN") or os.path.join(SOURCE, "build", "st2-pagerduty")
SHARED = os.environ.get("PD_SHARED_DIR") or os.path.normpath(os.path.join(SOURCE, "..", "shared"))
SECRET = "integration-secret-0123456789"
API_KEY = "standin-api-key"


def require_bin():
    """Fails (never skips) when the binary is not there: a test that did not run did not pass."""
    if not os.access(BIN, os.X_OK):
        raise AssertionError("%s is not an executable: build first, or set PD_BIN" % BIN)
    return BIN


def clean_env(drop=("ST2_PAGERDUTY",), **extra):
    """This environment without the variables that would change the config or the network
    (those starting with a prefix in drop, and proxies), plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(tuple(drop)) and not k.lower().endswith("_proxy")}
    env.update(extra)
    return env


def run(*args, env=None, timeout=120, **kw):
    """Runs the binary with ARGS in a clean environment -> CompletedProcess (text)."""
    return subprocess.run([require_bin(), *args], capture_output=True, text=True,
                          timeout=timeout, env=env if env is not None else clean_env(), **kw)


def free_port():
    """A loopback port nothing listens on now (bound, then closed), for what cannot
    bind port 0 itself and say which it got (redis-server), or to be refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign(body, secret=SECRET):
    """The X-PagerDuty-Signature value PagerDuty would send for body."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def make_event(event_type="incident.triggered", incident="PINC001", event_id=None, pad=0):
    """A V3 envelope like PagerDuty's, about incident; pad grows the title."""
    event_id = event_id or str(uuid.uuid4())
    title = "Disk full on db-01" + (" x" * pad)
    data = {
        "id": incident, "type": "incident", "number": 42, "status": "triggered",
        "self": "https://api.pagerduty.com/incidents/" + incident,
        "html_url": "https://acme.pagerduty.com/incidents/" + incident,
        "incident_key": "d3640fbd41094207a1c11e58e46b1662", "title": title,
        "created_at": "2026-11-27T09:00:00Z", "urgency": "high",
        "service": {"id": "PF9KMXH", "type": "service_reference", "summary": "API Service",
                    "self": "https://api.pagerduty.com/services/PF9KMXH",
                    "html_url": "https://acme.pagerduty.com/services/PF9KMXH"},
        "assignees": [{"id": "PTUXL6G", "type": "user_reference", "summary": "User 123"}],
        "escalation_policy": {"id": "PUS0KTE", "type": "escalation_policy_reference",
                              "summary": "Default"},
        "teams": [{"id": "PFCVPS0", "type": "team_reference", "summary": "Engineering"}],
        "priority": None, "conference_bridge": None, "resolve_reason": None,
    }
    if event_type == "incident.annotated":
        data = {"type": "incident_note", "id": "PNOTE01", "content": "looking",
                "incident": {"id": incident, "type": "incident_reference"}}
    return {"event": {
        "id": event_id, "event_type": event_type, "resource_type": event_type.split(".")[0],
        "occurred_at": "2026-11-27T09:40:00.123Z",
        "agent": {"id": "PLH1HKV", "type": "user_reference", "summary": "Tenex Engineer"},
        "client": {"name": "PagerDuty"}, "data": data}}


def event_1800(event_type="incident.triggered", incident="PINC001", event_id=None):
    """An event whose compact JSON is about 1.8 KB, the benchmark's size."""
    ev = make_event(event_type, incident, event_id)
    base = len(json.dumps(ev, separators=(",", ":")))
    return make_event(event_type, incident, event_id, pad=max(0, (1800 - base) // 2))


def wait_for(pred, timeout=60.0, interval=0.05, what="condition"):
    """Polls pred until it returns a true value; fails the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def incident_of(trigger):
    """The incident a trigger is about: its data's, or a note's incident's."""
    data = trigger["payload"]["data"]
    return data.get("incident", {}).get("id") or data["id"]


def delete_trigger_type(st2_port, ref):
    """DELETEs trigger type ref on the StackStorm stand-in, which then refuses
    its triggers as st2 does an unregistered type's; returns the HTTP status."""
    conn = http.client.HTTPConnection("127.0.0.1", st2_port, timeout=10)
    try:
        conn.request("DELETE", "/v1/triggertypes/" + ref, headers={"St2-Api-Key": API_KEY})
        return conn.getresponse().status
    finally:
        conn.close()


class Daemon:
    """One `st2-pagerduty serve` process with its own config, spool and log."""

    def __init__(self, st2_url=None, **overrides):
        self.dir = tempfile.mkdtemp(prefix="st2pd-it-")
        self.config_path = os.path.join(self.dir, "config.yaml")
        self.log_path = os.path.join(self.dir, "serve.log")
        self.proc = None
        self.port = None
        self.config = {
            "webhook": {"listen": ["127.0.0.1:0"], "path": "/webhooks/pagerduty",
                        "secrets": [SECRET]},
            "st2": {"sink_file": "triggers.jsonl"},
            "spool": {"path": "spool", "durability": "os"},
            "log": {"level": "info"},
        }
        if st2_url:
            self.config["st2"] = {"api_url": st2_url, "api_key": API_KEY}
        for section, values in overrides.items():
            self.config.setdefault(section, {}).update(values)
        self.write_config()

    def write_config(self):
        # Literal secrets: readable by its owner only, or serve warns.
        with open(os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                  "w") as f:
            json.dump(self.config, f, indent=2)

    def start(self, timeout=20, wait=True, preexec_fn=None):
        """Starts serve and (with wait) waits for its listening line."""
        self.log = open(self.log_path, "ab")
        self.log_offset = self.log.tell()
        self.proc = subprocess.Popen([require_bin(), "serve", "-c", self.config_path],
                                     stdout=self.log, stderr=self.log, preexec_fn=preexec_fn)
        return self.wait_listening(timeout) if wait else self

    def wait_listening(self, timeout=20):
        """Waits for this start's listening line; self.port is the port it names."""
        def port():
            if self.proc.poll() is not None:
                raise AssertionError("serve exited %d:\n%s" % (self.proc.returncode, self.logs()))
            m = re.search(r"listening address=\S+ port=(\d+)", self.logs(self.log_offset))
            return int(m.group(1)) if m else None

        self.port = wait_for(port, timeout, what="serve to listen")
        return self

    def logs(self, offset=0):
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops serve; returns its exit status (0 after a clean SIGTERM)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("serve did not stop within %d s" % timeout)
        rc = self.proc.returncode
        self.proc = None
        self.log.close()
        return rc

    def kill9(self):
        self.stop(signal.SIGKILL)

    def cleanup(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, path, body=None, headers=None, conn=None):
        """One request; returns (status, headers dict, body bytes)."""
        own = conn is None
        conn = conn or self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if own:
                conn.close()

    def post_event(self, event, secret=SECRET, webhook_id=None, conn=None, signature=None):
        """POSTs event as PagerDuty would; returns (status, headers, body)."""
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        headers = {"Content-Type": "application/json",
                   "User-Agent": "PagerDuty-Webhook/V3.0",
                   "X-Webhook-Id": webhook_id or str(uuid.uuid4()),
                   "X-Webhook-Subscription": "PSUB001"}
        sig = signature if signature is not None else sign(body, secret)
        if sig:
            headers["X-PagerDuty-Signature"] = sig
        return self.request("POST", self.config["webhook"]["path"], body, headers, conn)

    def cli(self, *args, check=True):
        """Runs another subcommand against this daemon's config."""
        p = subprocess.run([require_bin()] + list(args) + ["-c", self.config_path],
                           capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("%s exited %d: %s%s" % (args, p.returncode, p.stdout, p.stderr))
        return p

    def sink_lines(self):
        path = os.path.join(self.dir, "triggers.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            # The forwarder may be writing the last line: only whole lines count.
            return [json.loads(line) for line in f if line.endswith("\n") and line.strip()]

    def metric(self, name):
        """Value of one metric line (name with labels), or None."""
        _, _, body = self.request("GET", "/metrics")
        for line in body.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return None


class DaemonCase(unittest.TestCase):
    """Daemons made through self.new_daemon() are stopped after each test; each must exit 0."""

    log_tail = None  # how much of a failed daemon's log to show, from its end (None: all)

    def setUp(self):
        self.daemons = []

    def tearDown(self):
        failed = []
        for d in self.daemons:
            rc = d.stop()
            if rc not in (0, None):
                log = d.logs()
                failed.append("serve exited %d:\n%s" % (rc, log[-self.log_tail:] if self.log_tail
                                                        else log))
            d.cleanup()
        # 0 also means AddressSanitizer found no leak in the sanitizer build.
        self.assertEqual(failed, [])

    def new_daemon(self, **kw):
        """A Daemon (not started) that tearDown will stop and remove."""
        d = Daemon(**kw)
        self.daemons.append(d)
        return d

    def assert_once_in_order(self, triggers, per_incident, once=True):
        """triggers are the events of per_incident (incident -> event ids in the order
        sent), each delivered once, and each incident's in the order it was sent. With
        once=False (at-least-once: a forwarder took over), an event may come again, and
        the order is that of each event's first delivery."""
        ids = [t["payload"]["event_id"] for t in triggers]
        if once:
            self.assertEqual(len(set(ids)), len(ids), "an event was delivered twice")
        self.assertEqual(sorted(set(ids)), sorted(sum(per_incident.values(), [])))
        order = collections.defaultdict(list)
        for t in triggers:
            if t["payload"]["event_id"] not in order[incident_of(t)]:
                order[incident_of(t)].append(t["payload"]["event_id"])
        for inc, sent in per_incident.items():
            self.assertEqual(order[inc], sent, "order broken for " + inc)
