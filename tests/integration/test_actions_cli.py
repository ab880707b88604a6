"""test_actions_cli.py: `st2-pagerduty actions` and `run` as StackStorm runs them.

The real binary against a small recording HTTP server of this test's own
(127.0.0.1, port 0; pagerduty.api_url and events_url point at it): the
action list (plain and --json), `run ACTION --help`, usage and validation
errors (exit codes, one JSON line on stderr, no request sent), the request
line, headers and body of a few actions with the arguments in st2's order,
the API key passed through the environment and never on the command line,
a config-less run, the chunked bulk update, oncall.who and the webhook
secret written into the config. The behaviour of the HTTP client itself
(retries, pages, timeouts) is tested with the PagerDuty stand-in of the
pdclient tests, and every action against Prism by the conformance test.

The binary is found by harness.py (PD_BIN, set by ctest).
"""
import json
import os
import subprocess
import tempfile
import threading
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import clean_env, require_bin, run

API_KEY = "u+pdtest-api-key-0123"
SERVICE_KEY = "0123456789abcdef0123456789abcdef"
TIMEOUT = 60

PARITY = [
    "incident.create.events_v1", "incident.create.rest_v2", "incident.create.rest_v2.simple",
    "incident.get", "incident.find", "incident.acknowledge", "incident.resolve",
    "incident.snooze", "incident.merge", "incident.reassign", "incident.create_note",
    "incident.find_notes", "incident.find_alerts", "incident.find_log_entries",
    "log_entry.find", "log_entry.get", "notification.find", "on_call.find",
    "schedule.create", "schedule.delete", "schedule.find", "schedule.get",
    "schedule.get_on_call", "service.create", "service.create.simple", "service.delete",
    "service.find", "service.get", "service.find_integrations", "service.get_integrations",
    "integration.get", "escalation_policy.create", "escalation_policy.delete",
    "escalation_policy.find", "escalation_policy.get", "escalation_policy.find_services",
    "team.create", "team.create.simple", "team.delete", "team.find", "team.get",
    "team.add_user", "team.remove_user", "team.add_escalation_policy",
    "team.remove_escalation_policy", "user.create", "user.create.simple", "user.delete",
    "user.find", "user.get", "user.find_contact_methods", "user.get_contact_method",
    "user.create_contact_method", "user.create_contact_method.simple",
    "user.delete_contact_method", "user.find_notification_rules",
    "user.get_notification_rule", "user.create_notification_rule",
    "user.create_notification_rule.simple", "user.delete_notification_rule",
    "maintenance_window.create", "maintenance_window.create.simple",
    "maintenance_window.delete", "maintenance_window.find", "maintenance_window.get",
]
NEW = [
    "event.trigger", "event.acknowledge", "event.resolve", "event.change", "incident.update",
    "incident.acknowledge_many", "incident.resolve_many", "incident.add_responders",
    "incident.create_status_update", "alert.resolve", "webhook_subscription.create",
    "webhook_subscription.list", "webhook_subscription.delete", "webhook_subscription.ping",
    "oncall.who",
]


class Recorder(ThreadingHTTPServer):
    """Records every request; answers from self.routes, {method path: fn(req) -> (status, obj)}."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests = []
        self.routes = {}
        self.lock = threading.Lock()
        self.gate = None  # (arrived, release) events: hold the first request

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        req = {"method": self.command, "path": url.path, "query": url.query,
               "params": urllib.parse.parse_qs(url.query), "headers": dict(self.headers),
               "body": json.loads(raw) if raw else None}
        srv = self.server
        with srv.lock:
            srv.requests.append(req)
            gate = srv.gate
        if gate is not None:
            gate[0].set()
            gate[1].wait(TIMEOUT)
        fn = srv.routes.get("%s %s" % (self.command, url.path))
        status, obj = fn(req) if fn else (200, {})
        data = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class ActionsCliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="st2pd-actions-")
        self.addCleanup(self.tmp.cleanup)
        self.srv = Recorder()
        thread = threading.Thread(target=self.srv.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(self.srv.server_close)
        self.addCleanup(self.srv.shutdown)
        self.config = self.write_config()

    def write_config(self, name="config.yaml", api_key=API_KEY, extra=""):
        """A config pointing both PagerDuty URLs at the recorder; returns its path."""
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            if api_key:
                f.write('api_key: "%s"\n' % api_key)
            f.write('service_key: "%s"\nfrom_email: config@example.com\n'
                    "pagerduty:\n  api_url: %s\n  events_url: %s\n"
                    "  timeout_ms: 10000\n  max_retries: 0\n%s"
                    % (SERVICE_KEY, self.srv.url, self.srv.url, extra))
        return path

    def env(self, **extra):
        """The child's environment: none of ours that could change the config."""
        return clean_env(**extra)

    def run_bin(self, *args, env=None):
        return run(*args, env=env or self.env(), timeout=TIMEOUT)

    def run_action(self, *args, env=None, config=None):
        return self.run_bin("run", "-c", config or self.config, *args, env=env)

    def assert_error(self, r, exit_code, code, *words):
        """r failed with exit_code and exactly one JSON line on stderr with code and words."""
        self.assertEqual(r.returncode, exit_code, r.stderr)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        err = json.loads(lines[0])["error"]
        self.assertEqual(set(err) >= {"code", "message", "http_status"}, True, err)
        self.assertEqual(err["code"], code, err)
        for w in words:
            self.assertIn(w, err["message"])
        return err

    # --- listing and help ---

    def test_actions_list(self):
        r = self.run_bin("actions")
        self.assertEqual(r.returncode, 0, r.stderr)
        names = [line.split()[0] for line in r.stdout.splitlines() if line.startswith(
            tuple("abcdefghijklmnopqrstuvwxyz")) and " " in line]
        for n in PARITY + NEW:
            self.assertIn(n, names)

        r = self.run_bin("actions", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertGreaterEqual(len(doc), len(PARITY) + len(NEW))
        by_name = {a["name"]: a for a in doc}
        self.assertEqual(len(by_name), len(doc))
        for n in PARITY + NEW:
            self.assertIn(n, by_name)
        for a in doc:
            for key in ("description", "method", "path", "api", "parameters", "example"):
                self.assertIn(key, a, a["name"])
            self.assertTrue(a["example"], a["name"])
            for p in a["parameters"]:
                for key in ("name", "type", "description", "in"):
                    self.assertIn(key, p, a["name"])
        find = {p["name"]: p for p in by_name["incident.find"]["parameters"]}
        self.assertEqual(find["urgencies"]["enum"], ["high", "low"])
        self.assertEqual(find["maximum"]["default"], 25)
        self.assertEqual(by_name["incident.find"]["paginated"], "offset")
        self.assertEqual(by_name["team.remove_user"]["path"], "/teams/{entity_id}/users/{user}")
        self.assertEqual(by_name["incident.create.events_v1"]["api"], "events")
        ev1 = {p["name"]: p for p in by_name["incident.create.events_v1"]["parameters"]}
        self.assertTrue(ev1["service_key"]["secret"])
        self.assertNotIn("default", ev1["service_key"])

    def test_run_help(self):
        r = self.run_bin("run", "incident.snooze", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("POST /incidents/{entity_id}/snooze", r.stdout)
        self.assertIn("--duration=INTEGER", r.stdout)
        self.assertIn("default 900", r.stdout)
        self.assertIn("st2-pagerduty run incident.snooze --from_email=", r.stdout)
        r = self.run_bin("run", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("usage: st2-pagerduty run", r.stdout)
        r = self.run_bin("--help")
        self.assertIn("run", r.stdout)
        self.assertIn("actions", r.stdout)

    # --- errors before any request ---

    def test_usage_and_validation_errors(self):
        cases = [
            ((), 2, "usage", "no action"),
            (("nope.action",), 2, "usage", "nope.action"),
            (("incident.get", "--bogus=1"), 2, "usage", "--bogus"),
            (("incident.get", "P1"), 2, "usage", "P1"),
            (("incident.get",), 4, "validation", "entity_id"),
            (("--entity_id=P1", "incident.snooze", "--duration=soon"), 4, "validation",
             "--duration"),
            (("incident.find", "--statuses=[triggered,acknowledged]"), 4, "validation",
             "--statuses"),
            (("incident.find", "--urgencies=urgent"), 4, "validation", "urgent"),
            (("incident.create.rest_v2", "--data={'type': 'incident', 'title': 't'}"), 4,
             "validation", "data.service: required"),
            (("incident.create.rest_v2",
              "--data={'title': 't', 'service': {'type': 'service_reference'}}"), 4,
             "validation", "data.service.id: required"),
            (("incident.acknowledge", "--entity_id=P1", "--from_email=None"), 4, "validation",
             "from_email"),
            (("oncall.who",), 4, "validation", "--service_id"),
        ]
        for args, exit_code, code, word in cases:
            with self.subTest(args=args):
                self.assert_error(self.run_action(*args), exit_code, code, word)
        self.assertEqual(self.srv.requests, [], "a failed validation must send nothing")

    # --- requests ---

    def test_acknowledge_st2_order(self):
        """Named arguments first, the action name last, as st2 builds the command."""
        answer = {"incident": {"id": "PT4KHLK", "type": "incident", "status": "acknowledged"}}
        self.srv.routes["PUT /incidents/PT4KHLK"] = lambda req: (200, answer)
        for args in (("--from_email=me@example.com", "--entity_id=PT4KHLK",
                      "incident.acknowledge"),
                     ("incident.acknowledge", "--entity_id=PT4KHLK",
                      "--from_email=me@example.com")):
            with self.subTest(args=args):
                self.srv.requests.clear()
                r = self.run_action(*args)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(json.loads(r.stdout), answer)
                self.assertEqual(len(self.srv.requests), 1)  # no pre-GET
                req = self.srv.requests[0]
                self.assertEqual((req["method"], req["path"], req["query"]),
                                 ("PUT", "/incidents/PT4KHLK", ""))
                self.assertEqual(req["headers"]["Authorization"], "Token token=" + API_KEY)
                self.assertEqual(req["headers"]["Accept"],
                                 "application/vnd.pagerduty+json;version=2")
                self.assertEqual(req["headers"]["From"], "me@example.com")
                self.assertEqual(req["body"], {"incident": {"type": "incident_reference",
                                                            "status": "acknowledged"}})

    def test_note_from_config_and_escaping(self):
        self.srv.routes["POST /incidents/P%2F1/notes"] = lambda req: (
            200, {"note": {"id": "N1", "content": req["body"]["note"]["content"]}})
        r = self.run_action("incident.create_note", "--entity_id=P/1",
                            "--content=Disk cleaned up, 'watching'.")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout),
                         {"id": "N1", "content": "Disk cleaned up, 'watching'."})
        req = self.srv.requests[0]
        self.assertEqual(req["headers"]["From"], "config@example.com")

    def test_find_query(self):
        incidents = [{"id": "P%d" % i, "status": "triggered", "title": "t"} for i in range(2)]
        self.srv.routes["GET /incidents"] = lambda req: (
            200, {"incidents": incidents, "limit": 25, "offset": 0, "more": False})
        r = self.run_action("incident.find", "--statuses=['triggered', 'acknowledged']",
                            "--urgencies=high", "--user_ids=PU1,PU2", "--maximum=5")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), incidents)
        params = self.srv.requests[0]["params"]
        self.assertEqual(params["statuses[]"], ["triggered", "acknowledged"])
        self.assertEqual(params["urgencies[]"], ["high"])
        self.assertEqual(params["user_ids[]"], ["PU1", "PU2"])
        self.assertNotIn("statuses", params)
        self.assertNotIn("maximum", params)

    def test_lowercase_booleans(self):
        self.srv.routes["GET /log_entries"] = lambda req: (
            200, {"log_entries": [], "more": False})
        r = self.run_action("log_entry.find", "--is_overview")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.srv.requests[0]["params"]["is_overview"], ["true"])
        r = self.run_action("log_entry.find")  # st2 leaves false out: the default, false
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.srv.requests[1]["params"]["is_overview"], ["false"])

    def test_events_v1(self):
        answer = {"status": "success", "message": "Event processed", "incident_key": "db/disk"}
        self.srv.routes["POST /generic/2010-04-15/create_event.json"] = lambda req: (200, answer)
        r = self.run_action("--description=Disk full", "--incident_key=db/disk",
                            "--details={'free_bytes': 10}", "incident.create.events_v1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), answer)
        req = self.srv.requests[0]
        self.assertEqual(req["query"], "")  # no key, no field in the URL
        self.assertNotIn("Authorization", req["headers"])
        self.assertEqual(req["body"], {"service_key": SERVICE_KEY, "event_type": "trigger",
                                       "description": "Disk full", "incident_key": "db/disk",
                                       "details": {"free_bytes": 10}})

    def test_event_trigger_key_from_env(self):
        answer = {"status": "success", "message": "Event processed", "dedup_key": "k"}
        self.srv.routes["POST /v2/enqueue"] = lambda req: (202, answer)
        env = self.env(ST2_PAGERDUTY_SERVICE_KEY="R" + "e" * 31)
        r = self.run_action("--summary=Disk full", "--source=db-01", "--dedup_key=k",
                            "--custom_details={'mount': '/var', 'ok': False}", "event.trigger",
                            env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), answer)
        body = self.srv.requests[0]["body"]
        self.assertEqual(body["routing_key"], "R" + "e" * 31)  # the environment wins
        self.assertEqual(body["event_action"], "trigger")
        self.assertEqual(body["payload"], {"summary": "Disk full", "source": "db-01",
                                           "severity": "error",
                                           "custom_details": {"mount": "/var", "ok": False}})

    def test_pagerduty_error(self):
        self.srv.routes["GET /incidents/PNOPE"] = lambda req: (
            404, {"error": {"message": "Not Found", "code": 2100}})
        r = self.run_action("incident.get", "--entity_id=PNOPE")
        err = self.assert_error(r, 5, 2100, "Not Found")
        self.assertEqual(err["http_status"], 404)

    def test_api_key_not_in_argv(self):
        """The key comes in the environment: not an argument, so not in ps."""
        key = "env-only-key-5f3a"
        config = self.write_config("nokey.yaml", api_key=None)
        self.srv.routes["GET /incidents/P1"] = lambda req: (200, {"incident": {"id": "P1"}})
        arrived, release = threading.Event(), threading.Event()
        self.srv.gate = (arrived, release)
        proc = subprocess.Popen([require_bin(), "run", "-c", config, "--entity_id=P1", "incident.get"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env(ST2_PAGERDUTY_API_KEY=key))
        try:
            self.assertTrue(arrived.wait(TIMEOUT), "the request never arrived")
            with open("/proc/%d/cmdline" % proc.pid, "rb") as f:
                argv = f.read().split(b"\0")
            self.assertIn(b"incident.get", argv)
            self.assertFalse([a for a in argv if key.encode() in a], argv)
        finally:
            release.set()
            out, err = proc.communicate(timeout=TIMEOUT)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(json.loads(out), {"id": "P1"})
        self.assertEqual(self.srv.requests[0]["headers"]["Authorization"], "Token token=" + key)

    def test_no_config_file(self):
        """run needs no config file when the environment has the keys."""
        if os.path.exists("/etc/st2-pagerduty/config.yaml"):
            self.skipTest("/etc/st2-pagerduty/config.yaml exists: the default file is used")
        # The config stage passes on the environment alone: the From check comes next.
        r = self.run_bin("run", "incident.acknowledge", "--entity_id=P1",
                         env=self.env(ST2_PAGERDUTY_API_KEY=API_KEY))
        self.assert_error(r, 4, "validation", "from_email")
        # Without a key, nothing to call the REST API with.
        r = self.run_bin("run", "incident.get", "--entity_id=P1", env=self.env())
        self.assert_error(r, 3, "config", "API key")
        # Events: no API key needed, but a routing key is.
        r = self.run_bin("run", "event.resolve", "--dedup_key=k", env=self.env())
        self.assert_error(r, 4, "validation", "routing_key")
        # A file named explicitly must exist.
        missing = os.path.join(self.tmp.name, "missing.yaml")
        r = self.run_bin("run", "incident.get", "--entity_id=P1",
                         env=self.env(ST2_PAGERDUTY_CONFIG=missing,
                                      ST2_PAGERDUTY_API_KEY=API_KEY))
        self.assert_error(r, 3, "config", "missing.yaml")
        r = self.run_bin("run", "-c", missing, "incident.get", "--entity_id=P1",
                         env=self.env(ST2_PAGERDUTY_API_KEY=API_KEY))
        self.assert_error(r, 3, "config", "missing.yaml")
        self.assertEqual(self.srv.requests, [])

    # --- the actions with a handler ---

    def test_acknowledge_many_chunks(self):
        def bulk(req):
            return 200, {"incidents": [{"id": i["id"], "status": i["status"]}
                                       for i in req["body"]["incidents"]]}
        self.srv.routes["PUT /incidents"] = bulk
        ids = ["P%03d" % i for i in range(300)]
        r = self.run_action("incident.acknowledge_many", "--ids=%r" % ids)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([len(q["body"]["incidents"]) for q in self.srv.requests], [250, 50])
        self.assertEqual(self.srv.requests[0]["headers"]["From"], "config@example.com")
        self.assertEqual(self.srv.requests[0]["body"]["incidents"][0],
                         {"id": "P000", "type": "incident_reference", "status": "acknowledged"})
        out = json.loads(r.stdout)
        self.assertEqual([i["id"] for i in out["incidents"]], ids)

    def test_oncall_who(self):
        self.srv.routes["GET /services/PSVC"] = lambda req: (200, {"service": {
            "id": "PSVC", "summary": "Checkout API",
            "escalation_policy": {"id": "PEP", "type": "escalation_policy_reference",
                                  "summary": "Checkout"}}})
        self.srv.routes["GET /oncalls"] = lambda req: (200, {"oncalls": [
            {"escalation_level": 2, "user": {"id": "U2"}},
            {"escalation_level": 1, "user": {"id": "U1"}}], "more": False})
        r = self.run_action("oncall.who", "--service_id=PSVC")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual([o["user"]["id"] for o in out["oncalls"]], ["U1", "U2"])
        self.assertEqual(out["escalation_policy"]["id"], "PEP")
        self.assertEqual(out["service"]["id"], "PSVC")
        q = self.srv.requests[1]["params"]
        self.assertEqual(q["escalation_policy_ids[]"], ["PEP"])
        self.assertEqual(q["include[]"], ["users"])

        # Given directly: no service lookup.
        self.srv.requests.clear()
        r = self.run_action("oncall.who", "--escalation_policy_id=PEP2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([q["path"] for q in self.srv.requests], ["/oncalls"])
        self.assertEqual(self.srv.requests[0]["params"]["escalation_policy_ids[]"], ["PEP2"])
        self.assertIsNone(json.loads(r.stdout)["service"])

        # A service without an escalation policy: said so, no on-call lookup.
        self.srv.requests.clear()
        self.srv.routes["GET /services/PLONE"] = lambda req: (200, {"service": {"id": "PLONE"}})
        r = self.run_action("oncall.who", "--service_id=PLONE")
        self.assert_error(r, 1, "not_found", "PLONE has no escalation policy")
        self.assertEqual([q["path"] for q in self.srv.requests], ["/services/PLONE"])

    def test_webhook_create_writes_secret(self):
        answer = {"webhook_subscription": {
            "id": "PY1OQX2", "type": "webhook_subscription",
            "delivery_method": {"type": "http_delivery_method", "url": "https://h/x",
                                "secret": "s3cr3t-from-pd"}}}
        self.srv.routes["POST /webhook_subscriptions"] = lambda req: (200, answer)
        config = self.write_config("hooks.yaml",
                                   extra="webhook:\n  secrets:\n    - \"old-secret\"\n")
        r = self.run_action("webhook_subscription.create", "--url=https://h/x",
                            "--events=['incident.triggered']", "--write-config", config=config)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertNotIn("s3cr3t", r.stdout)  # it went to the file
        self.assertIn(config, out["delivery_method"]["secret"])
        with open(config, encoding="utf-8") as f:
            self.assertTrue(f.read().endswith('    - "old-secret"\n    - "s3cr3t-from-pd"\n'))
        r = self.run_bin("check-config", "-c", config, "--for", "serve")
        self.assertIn("webhook.secrets", r.stdout + r.stderr)

        # A file it cannot edit safely is left alone; the secret is printed instead.
        flow = self.write_config("flow.yaml", extra="webhook:\n  secrets: [\"old\"]\n")
        with open(flow, encoding="utf-8") as f:
            before = f.read()
        r = self.run_action("webhook_subscription.create", "--url=https://h/x",
                            "--events=['incident.triggered']", "--write_config", config=flow)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["delivery_method"]["secret"], "s3cr3t-from-pd")
        self.assertIn("not changed", r.stderr)
        self.assertIn('- "s3cr3t-from-pd"', r.stderr)
        with open(flow, encoding="utf-8") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(sorted(os.listdir(self.tmp.name)),
                         ["config.yaml", "flow.yaml", "hooks.yaml"])


if __name__ == "__main__":
    unittest.main()
