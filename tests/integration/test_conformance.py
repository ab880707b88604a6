"""test_conformance.py: every action sends requests PagerDuty's own OpenAPI
specs allow. Stoplight Prism serves the official REST and Events v2 specs
from $PD_SHARED_DIR/specs/pagerduty/ with request validation on (its
default), and each action of `st2-pagerduty actions --json` runs with its
example arguments against it.

Prism answers a request the spec forbids (a missing required header such as
From or Content-Type, a wrong type, a missing body field) with the spec's
4xx response and an sl-violations header, and logs "Violation: ..." lines.
An action conforms when its method and path are an operation of the spec,
its run made at least one request, Prism logged no violation for it, and it
exited 0. The one allowed exception is an
operation whose spec has no example for its success response: Prism then
builds the answer from the schema, which the action may fail to shape; such
a run must still show Prism accepted the request (no violation, and no 4xx
in the one-line JSON error), and is listed in the output. The Events API
v1 (incident.create.events_v1) has no spec in shared/: it is listed as not
checked, and any other action outside the specs fails.

The sensor's requests are checked the same way: `poll --once` (GET
/log_entries with since, until, include[], is_overview, team_ids[], total
and paging), and serve's subscription watchdog (GET /webhook_subscriptions,
GET /webhook_subscriptions/{id} and POST .../enable). Prism's example
subscription is active, so the watchdog would never ask to enable it: a
small proxy in front of Prism passes every request through unchanged and
marks that example disabled (temporarily_disabled: true) on its way back.

Prism reads a patched copy of the specs (tests/prism/patch_spec.py, written
to a temporary directory; nothing from shared/ is copied into the
repository): PagerDuty requires Accept: application/vnd.pagerduty+json;
version=2 while the spec's responses list only application/json, so Prism
would answer 406 to a correct client.

Skipped with a message when shared/ is absent, or when Prism cannot be
installed (tests/prism/install.sh: npm needed) or started; with CI=true a
Prism that cannot be installed or started is a failure, not a skip.

The binary, the source tree and ../shared are found by harness.py (ctest sets
PD_BIN, PD_SOURCE_DIR and PD_SHARED_DIR).
"""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from harness import SHARED, SOURCE, clean_env, require_bin, run
from standin_http import StandIn

SPECS = os.path.join(SHARED, "specs", "pagerduty")
IN_CI = os.environ.get("CI") == "true"
VENDOR = "application/vnd.pagerduty+json;version=2"
API_KEY = "conformance-api-key"
ROUTING_KEY = "737ea619db564d41bd9824063e1f6b08"  # the spec's example: 32 characters
LISTENING = re.compile(r"Prism is listening on http://127\.0\.0\.1:(\d+)")
# Request violations only: Prism also logs where the spec's own example
# answers break its schemas (response.body...), which is not ours to fix.
VIOLATION = re.compile(r"error\s+Violation: (request\b.*)")
# Actions whose API has no official spec in shared/specs/pagerduty, and which
# API that is. Anything else missing from the specs is a failure.
NOT_IN_SPECS = {"incident.create.events_v1": "Events API v1"}
START_TIMEOUT = 300  # seconds; the 2.8 MB REST spec loads in about 10 s


def _unavailable(why):
    """Skips the test class, or fails it in CI, saying why."""
    msg = "conformance: Prism unavailable: %s" % why
    print(msg, file=sys.stderr)
    if IN_CI:
        raise AssertionError(msg + " (CI=true: a failure, not a skip)")
    raise unittest.SkipTest(msg)


class Prism:
    """One `prism mock` process on 127.0.0.1, port 0, logging to a file."""

    def __init__(self, prism, spec, workdir, name):
        self.log_path = os.path.join(workdir, "prism-%s.log" % name)
        self.name = name
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([prism, "mock", "-h", "127.0.0.1", "-p", "0", spec],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.port = None
        self.marks = 0

    def wait_ready(self, deadline):
        """Waits for Prism's listening line; returns None or why it failed."""
        while time.monotonic() < deadline:
            m = LISTENING.search(self.text())
            if m:
                self.port = int(m.group(1))
                return None
            if self.proc.poll() is not None:
                return "prism mock %s exited %d: %s" % (self.name, self.proc.returncode,
                                                        self.text()[-2000:])
            time.sleep(0.1)
        return "prism mock %s did not listen within %d s" % (self.name, START_TIMEOUT)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def text(self, offset=0):
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def offset(self):
        return os.path.getsize(self.log_path)

    def settle(self):
        """Returns once Prism has logged everything about earlier requests.

        A request to a marker path is logged after them; waiting for it makes
        reading the log after a run race-free.
        """
        self.marks += 1
        mark = "/__conformance_mark_%d" % self.marks
        try:
            urllib.request.urlopen(self.url + mark, timeout=30).read()
        except urllib.error.HTTPError:
            pass  # 404 is the expected answer
        deadline = time.monotonic() + 30
        while mark not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError("Prism %s never logged %s" % (self.name, mark))
            time.sleep(0.02)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def request(url, method="GET", headers=None, body=None):
    """One request to Prism -> (status, headers dict lower-case, body bytes)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


class DisablingProxy(StandIn):
    """Passes requests to Prism; GET /webhook_subscriptions/{id} comes back disabled."""

    thread_name = "disabling-proxy"

    def __init__(self, upstream_port):
        super().__init__()
        self.upstream_port = upstream_port

    def start(self):
        self._server, self._thread = self._listen()
        self._thread.start()
        return self

    def stop(self):
        self._close(self._server, self._thread)

    def _handle(self, h, method):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        headers = {k: v for k, v in h.headers.items() if k.lower() != "host"}
        conn.request(method, h.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        path = h.path.split("?")[0]
        if (method == "GET" and r.status == 200
                and re.match(r"^/webhook_subscriptions/[^/]+$", path)):
            doc = json.loads(data)
            doc["webhook_subscription"]["delivery_method"]["temporarily_disabled"] = True
            data = json.dumps(doc).encode()
        h.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


def rest_headers(**extra):
    h = {"Authorization": "Token token=" + API_KEY, "Accept": VENDOR,
         "Content-Type": "application/json"}
    h.update(extra)
    return h


def template_regex(path):
    """A regex matching concrete paths of an OpenAPI path template."""
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p)
                                    for p in parts) + "$")


def has_success_example(spec, method, path):
    """Whether the operation for method + path has an example success answer.

    None if no operation in the spec matches the path.
    """
    for template, item in spec["paths"].items():
        op = item.get(method.lower())
        if op is None or not template_regex(template).match(path):
            continue
        for code, response in op.get("responses", {}).items():
            if not str(code).startswith("2"):
                continue
            if "$ref" in response:
                name = response["$ref"].rsplit("/", 1)[-1]
                response = spec.get("components", {}).get("responses", {}).get(name, {})
            if code == "204" or not response.get("content"):
                return True  # nothing to shape
            for media in response["content"].values():
                if media.get("example") is not None or media.get("examples"):
                    return True
        return False
    return None


class TestConformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prisms = []
        cls.work = None
        if not os.path.isfile(os.path.join(SPECS, "REST", "openapiv3.json")):
            raise AssertionError("conformance: PagerDuty specs not found at %s (PD_SHARED_DIR=%s;"
                                 " ../shared must sit beside the source tree)"
                                 % (SPECS, os.environ.get("PD_SHARED_DIR")))
        inst = subprocess.run(["sh", os.path.join(SOURCE, "tests", "prism", "install.sh")],
                              capture_output=True, text=True, timeout=900)
        if inst.returncode != 0:
            _unavailable("tests/prism/install.sh failed: %s" % inst.stderr.strip()[-1000:])
        prism = inst.stdout.strip().splitlines()[-1]
        cls.work = tempfile.mkdtemp(prefix="pd-conformance-")
        try:
            cls._start(prism)
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def _start(cls, prism):
        specdir = os.path.join(cls.work, "specs")
        patch = subprocess.run([sys.executable, os.path.join(SOURCE, "tests", "prism",
                                                             "patch_spec.py"),
                                "--shared", SHARED, specdir],
                               capture_output=True, text=True, timeout=300)
        if patch.returncode != 0:
            raise AssertionError("patch_spec.py failed: %s%s" % (patch.stdout, patch.stderr))
        print(patch.stdout, end="", file=sys.stderr)
        with open(os.path.join(specdir, "rest.json")) as f:
            cls.rest_spec = json.load(f)
        with open(os.path.join(specdir, "events-v2.json")) as f:
            cls.events_spec = json.load(f)
        cls.rest = Prism(prism, os.path.join(specdir, "rest.json"), cls.work, "rest")
        cls.prisms.append(cls.rest)
        cls.events = Prism(prism, os.path.join(specdir, "events-v2.json"), cls.work, "events")
        cls.prisms.append(cls.events)
        deadline = time.monotonic() + START_TIMEOUT
        for p in cls.prisms:
            why = p.wait_ready(deadline)
            if why is not None:
                cls._cleanup()
                _unavailable(why)
        cls.config = os.path.join(cls.work, "config.yaml")
        with open(cls.config, "w") as f:
            json.dump({"api_key": API_KEY, "service_key": ROUTING_KEY,
                       "from_email": "oncall@example.com",
                       "pagerduty": {"api_url": cls.rest.url, "events_url": cls.events.url,
                                     "timeout_ms": 20000, "max_retries": 0},
                       "log": {"level": "warn"}}, f, indent=2)

    @classmethod
    def _cleanup(cls):
        for p in cls.prisms:
            p.stop()
        cls.prisms = []
        if cls.work is not None:
            shutil.rmtree(cls.work, ignore_errors=True)
            cls.work = None

    @classmethod
    def tearDownClass(cls):
        cls._cleanup()

    # -- Prism itself: the checks below mean something only if these hold ----

    def test_prism_serves_the_vendor_media_type(self):
        status, headers, body = request(self.rest.url + "/incidents?limit=1", headers=rest_headers())
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(headers.get("content-type"), VENDOR)
        self.assertIn("incidents", json.loads(body))

    def test_prism_rejects_what_the_spec_forbids(self):
        # POST notes without From (required by the spec), then with it.
        note = {"note": {"content": "checked the disk"}}
        status, headers, _ = request(self.rest.url + "/incidents/PT4KHLK/notes", "POST",
                                     rest_headers(), note)
        self.assertEqual(status, 400)
        self.assertIn("'from'", headers.get("sl-violations", ""))
        status, headers, _ = request(self.rest.url + "/incidents/PT4KHLK/notes", "POST",
                                     rest_headers(From="oncall@example.com"), note)
        self.assertEqual(status, 200)
        self.assertNotIn("sl-violations", headers)
        # Content-Type is required on GETs too.
        h = rest_headers()
        del h["Content-Type"]
        status, headers, _ = request(self.rest.url + "/incidents", headers=h)
        self.assertEqual(status, 400)
        self.assertIn("content-type", headers.get("sl-violations", ""))
        # Booleans are lowercase, as the API wants them.
        status, headers, _ = request(self.rest.url + "/incidents?total=True", headers=rest_headers())
        self.assertEqual(status, 400)
        self.assertIn("total", headers.get("sl-violations", ""))

    def test_prism_checks_events(self):
        event = {"routing_key": ROUTING_KEY, "event_action": "trigger",
                 "payload": {"summary": "disk full", "source": "db-01", "severity": "critical"}}
        status, _, body = request(self.events.url + "/v2/enqueue", "POST",
                                  {"Content-Type": "application/json"}, event)
        self.assertEqual(status, 202, body)
        self.assertEqual(json.loads(body)["status"], "success")
        del event["routing_key"]
        status, headers, _ = request(self.events.url + "/v2/enqueue", "POST",
                                     {"Content-Type": "application/json"}, event)
        self.assertEqual(status, 400)
        self.assertIn("routing_key", headers.get("sl-violations", ""))

    def test_violations_are_seen_in_the_log(self):
        before = self.rest.offset()
        request(self.rest.url + "/incidents?limit=abc", headers=rest_headers())
        self.rest.settle()
        found = VIOLATION.findall(self.rest.text(before))
        self.assertTrue(any("limit" in v for v in found), found)

    # -- every action --------------------------------------------------------

    def actions(self):
        p = run("actions", "--json", timeout=60)
        self.assertEqual(p.returncode, 0, "actions --json failed: %s" % p.stderr)
        doc = json.loads(p.stdout)
        actions = doc["actions"] if isinstance(doc, dict) else doc
        self.assertGreaterEqual(len(actions), 64)
        return actions

    def run_action(self, action):
        """Runs one action against Prism -> (process, REST violations+requests)."""
        env = clean_env(ST2_PAGERDUTY_CONFIG=self.config)
        offsets = [(p, p.offset()) for p in self.prisms]
        argv = ["run", action["name"]] + list(action.get("example") or [])
        proc = run(*argv, env=env, cwd=self.work)
        violations, requests = [], 0
        for p, off in offsets:
            p.settle()
            text = p.text(off)
            violations += ["%s: %s" % (p.name, v) for v in VIOLATION.findall(text)]
            requests += len(re.findall(r"\[HTTP SERVER\] (?!get /__conformance_mark)\S+ \S+ .*"
                                       r"Request received", text))
        return argv, proc, violations, requests

    def test_every_action_conforms(self):
        tolerated, outside = [], []
        for action in self.actions():
            with self.subTest(action=action["name"]):
                self.assertTrue(action.get("example"), "%s has no example" % action["name"])
                spec = self.events_spec if action.get("api") == "events" else self.rest_spec
                example = has_success_example(spec, action.get("method", "GET"),
                                              action.get("path", ""))
                if example is None:
                    # Only the Events API v1 is outside the official specs given.
                    self.assertIn(action["name"], NOT_IN_SPECS, "%s %s %s: no such operation "
                                  "in the spec" % (action["name"], action.get("method"),
                                                   action.get("path")))
                    outside.append(action["name"])
                    continue
                argv, proc, violations, requests = self.run_action(action)
                what = "%s\n  exit %d\n  stdout: %s\n  stderr: %s\n  violations: %s" % (
                    " ".join(argv), proc.returncode, proc.stdout[:500], proc.stderr[-1500:],
                    violations)
                self.assertEqual(violations, [], "Prism rejected the request: " + what)
                self.assertGreater(requests, 0, "no request reached Prism: " + what)
                if proc.returncode == 0:
                    json.loads(proc.stdout)  # the result is JSON
                    continue
                # Only an operation without an example answer may fail, and
                # only after Prism accepted the request.
                self.assertIs(example, False, "exit %d although the spec has an example "
                              "answer: %s" % (proc.returncode, what))
                err = json.loads(proc.stderr.strip().splitlines()[-1])["error"]
                self.assertFalse(400 <= (err.get("http_status") or 0) < 500,
                                 "Prism answered 4xx: " + what)
                tolerated.append("%s: %s" % (action["name"], err.get("message")))
        for line in tolerated:
            print("conformance: accepted by Prism, no example answer to shape: " + line,
                  file=sys.stderr)
        for name in outside:
            print("conformance: %s not checked: its API (%s) has no spec in shared/specs"
                  % (name, NOT_IN_SPECS[name]), file=sys.stderr)


    # -- the sensor ------------------------------------------------------------

    def sensor_config(self, name, api_url, **extra):
        """A config for poll/serve against api_url, in its own directory."""
        work = os.path.join(self.work, name)
        os.makedirs(work, exist_ok=True)
        cfg = {"api_key": API_KEY,
               "pagerduty": {"api_url": api_url, "timeout_ms": 20000, "max_retries": 0},
               "webhook": {"listen": ["127.0.0.1:0"]},
               "st2": {"sink_file": "triggers.jsonl"},
               "spool": {"path": "spool", "durability": "os"},
               "poll": {"mode": "only", "interval_s": 1, "team_ids": ["PQ9K7I8"]},
               "log": {"level": "info"}}
        for section, values in extra.items():
            cfg.setdefault(section, {}).update(values)
        path = os.path.join(work, "config.yaml")
        with open(path, "w") as f:
            json.dump(cfg, f)
        return path

    def rest_violations(self, offset):
        self.rest.settle()
        text = self.rest.text(offset)
        return text, VIOLATION.findall(text)

    def test_poller_conforms(self):
        """poll --once: GET /log_entries and its pages as the spec allows."""
        config = self.sensor_config("poll", self.rest.url)
        before = self.rest.offset()
        p = run("poll", "--once", "--since", "1h", "--dry-run", "-c", config, cwd=self.work)
        text, violations = self.rest_violations(before)
        self.assertEqual(violations, [], text[-3000:])
        gets = re.findall(r"\[HTTP SERVER\] get /log_entries", text)
        self.assertGreaterEqual(len(gets), 1, text[-2000:])
        self.assertEqual(p.returncode, 0, p.stderr)
        for line in p.stdout.splitlines():
            self.assertTrue(json.loads(line)["trigger"].startswith("pagerduty.incident."))

    def serve_until(self, config, patterns, offset):
        """Runs serve until Prism's log (after offset) shows every pattern; returns serve's log."""
        log = open(os.path.join(os.path.dirname(config), "serve.log"), "wb")
        proc = subprocess.Popen([require_bin(), "serve", "-c", config], stdout=log, stderr=log,
                                cwd=self.work)
        try:
            deadline = time.monotonic() + 120
            while not all(re.search(p, self.rest.text(offset)) for p in patterns):
                if proc.poll() is not None or time.monotonic() > deadline:
                    with open(log.name, "rb") as f:
                        raise AssertionError("serve: %s never reached Prism (exit %s): %s" % (
                            patterns, proc.poll(), f.read().decode("utf-8", "replace")[-2000:]))
                time.sleep(0.1)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
            log.close()
        self.assertEqual(proc.returncode, 0)
        with open(log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def test_watchdog_conforms(self):
        """serve's watchdog: get one, list, enable; and its polls, all as the spec allows."""
        proxy = DisablingProxy(self.rest.port).start()
        try:
            sub = self.rest_spec_example_subscription()
            config = self.sensor_config("watch-id", "http://127.0.0.1:%d" % proxy.port,
                                        webhook={"subscription_ids": [sub["id"]],
                                                 "reenable": True})
            before = self.rest.offset()
            logs = self.serve_until(config, [r"post /webhook_subscriptions/%s/enable" % sub["id"],
                                             r"get /log_entries"], before)
            text, violations = self.rest_violations(before)
            self.assertEqual(violations, [], text[-3000:])
            self.assertIn("get /webhook_subscriptions/%s" % sub["id"], text)
            self.assertIn("get /log_entries", text)
            self.assertIn("re-enabled", logs)

            config = self.sensor_config("watch-url", self.rest.url,
                                        webhook={"public_url": sub["delivery_method"]["url"]})
            before = self.rest.offset()
            self.serve_until(config, [r"get /webhook_subscriptions\b"], before)
            text, violations = self.rest_violations(before)
            self.assertEqual(violations, [], text[-3000:])
        finally:
            proxy.stop()

    def rest_spec_example_subscription(self):
        """The subscription of the spec's GetSubscriptionExample (what Prism answers)."""
        ex = self.rest_spec["components"]["examples"]["GetSubscriptionExample"]
        return ex["value"]["webhook_subscription"]


if __name__ == "__main__":
    unittest.main()
