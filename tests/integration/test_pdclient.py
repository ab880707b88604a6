"""test_pdclient.py: how `st2-pagerduty run` talks to PagerDuty
(actions/pdclient.c), through the real binary against the PagerDuty
stand-in (pd_standin.py): the exact request sent (headers, key[] arrays,
lowercase booleans, no key in the URL), full pagination honouring maximum
(offset over 3+ pages, and cursor), retries (429 with and without
ratelimit-reset, 500 twice), no retry where a repeat could apply a write
twice, timeouts and refused connections, and PagerDuty's error bodies as the
one-line JSON error with the HTTP status and PagerDuty's code.

The binary is found by harness.py (PD_BIN, set by ctest).
"""

import json
import os
import shutil
import tempfile
import unittest

from harness import clean_env, free_port, run
from pd_standin import PdStandIn

API_KEY = "pdclient-secret-api-key"
ROUTING_KEY = "0123456789abcdef0123456789abcdef"
FROM = "oncall@example.com"
# Exit statuses of common/error.c: pd_err_exit(PD_ERR_VALIDATION),
# pd_err_exit(PD_ERR_PD_REJECTED) (and PD_ERR_HTTP), pd_err_exit(PD_ERR_NETWORK)
# (and PD_ERR_TIMEOUT).
EXIT_VALIDATION, EXIT_REJECTED, EXIT_NETWORK = 4, 5, 6
VENDOR = "application/vnd.pagerduty+json;version=2"


class TestPdClient(unittest.TestCase):
    def setUp(self):
        self.pd = PdStandIn(api_key=API_KEY).start()
        self.addCleanup(self.pd.stop)
        self.dir = tempfile.mkdtemp(prefix="pd-pdclient-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.write_config()

    def write_config(self, **pagerduty):
        settings = {"api_url": self.pd.url, "events_url": self.pd.url, "timeout_ms": 5000,
                    "max_retries": 3}
        settings.update(pagerduty)
        self.config = os.path.join(self.dir, "config.yaml")
        with open(self.config, "w") as f:
            json.dump({"api_key": API_KEY, "service_key": ROUTING_KEY, "from_email": FROM,
                       "pagerduty": settings, "log": {"level": "warn"}}, f)

    def run_action(self, *args, env_extra=None):
        """Runs `run ARGS` -> (exit status, parsed stdout or None, error object or None)."""
        env = clean_env(drop=("ST2_PAGERDUTY", "CURL_CA_BUNDLE", "SSL_CERT_"),
                        ST2_PAGERDUTY_CONFIG=self.config, **(env_extra or {}))
        p = run("run", *args, env=env, cwd=self.dir)
        self.last = p
        self.assertNotIn(API_KEY, p.stdout + p.stderr, "the API key leaked into the output")
        out = json.loads(p.stdout) if p.returncode == 0 else None
        error = None
        if p.returncode != 0:
            lines = [line for line in p.stderr.splitlines() if line.strip()]
            self.assertTrue(lines, "failed without a message")
            error = json.loads(lines[-1])["error"]
        return p.returncode, out, error

    def assert_ok(self, rc):
        self.assertEqual(rc, 0, "exit %d: %s" % (rc, self.last.stderr))

    # -- what is sent ----------------------------------------------------------

    def test_headers_of_a_rest_write(self):
        rc, out, _ = self.run_action("incident.create_note", "--entity_id=PINC42",
                                     "--content=checked the disk", "--from_email=" + FROM)
        self.assert_ok(rc)
        [req] = self.pd.requests()
        self.assertEqual((req["method"], req["path"]), ("POST", "/incidents/PINC42/notes"))
        h = req["headers"]
        self.assertEqual(h["authorization"], "Token token=" + API_KEY)
        self.assertEqual(h["accept"], VENDOR)
        self.assertEqual(h["content-type"], "application/json")
        self.assertEqual(h["from"], FROM)
        self.assertTrue(h["user-agent"].startswith("st2-pagerduty/"), h["user-agent"])
        self.assertEqual(req["query"], [])
        self.assertEqual(req["body"], {"note": {"content": "checked the disk"}})

    def test_from_header_defaults_to_the_config(self):
        rc, _, _ = self.run_action("incident.acknowledge", "--entity_id=PINC42")
        self.assert_ok(rc)
        [req] = self.pd.requests()
        self.assertEqual((req["method"], req["path"]), ("PUT", "/incidents/PINC42"))
        self.assertEqual(req["headers"]["from"], FROM)

    def test_query_arrays_and_booleans(self):
        rc, _, _ = self.run_action("incident.find", "--statuses=['triggered', 'acknowledged']",
                                   "--user_ids=[\"PU1\",\"PU2\"]", "--maximum=5")
        self.assert_ok(rc)
        [req] = self.pd.requests()
        q = req["query"]
        self.assertEqual([v for k, v in q if k == "statuses[]"], ["triggered", "acknowledged"])
        self.assertEqual([v for k, v in q if k == "user_ids[]"], ["PU1", "PU2"])
        self.assertNotIn("statuses", dict(q))
        rc, _, _ = self.run_action("incident.find_log_entries", "--entity_id=PINC42",
                                   "--is_overview")
        self.assert_ok(rc)
        q = dict(self.pd.requests()[-1]["query"])
        self.assertEqual(q.get("is_overview"), "true")
        rc, _, _ = self.run_action("log_entry.find")
        self.assert_ok(rc)
        q = dict(self.pd.requests()[-1]["query"])
        self.assertEqual(q.get("is_overview"), "false")

    def test_events_carry_no_api_key(self):
        rc, out, _ = self.run_action("event.trigger", "--summary=disk full", "--source=db-01",
                                     "--severity=critical", "--dedup_key=db-01/disk")
        self.assert_ok(rc)
        [req] = self.pd.requests()
        self.assertEqual((req["method"], req["path"]), ("POST", "/v2/enqueue"))
        self.assertNotIn("authorization", req["headers"])
        self.assertEqual(req["body"]["routing_key"], ROUTING_KEY)
        self.assertEqual(req["body"]["dedup_key"], "db-01/disk")
        self.assertEqual(out["dedup_key"], "db-01/disk")

    # -- pagination ------------------------------------------------------------

    def test_offset_pagination_over_three_pages(self):
        items = self.pd.seed("incidents", 250)
        rc, out, _ = self.run_action("incident.find", "--maximum=0")
        self.assert_ok(rc)
        self.assertEqual([i["id"] for i in out], [i["id"] for i in items])
        pages = [dict(r["query"]) for r in self.pd.requests()]
        self.assertEqual([(p["offset"], p["limit"]) for p in pages],
                         [("0", "100"), ("100", "100"), ("200", "100")])

    def test_pagination_stops_at_maximum(self):
        items = self.pd.seed("incidents", 250)
        rc, out, _ = self.run_action("incident.find", "--maximum=130")
        self.assert_ok(rc)
        self.assertEqual([i["id"] for i in out], [i["id"] for i in items[:130]])
        pages = [dict(r["query"]) for r in self.pd.requests()]
        self.assertEqual([(p["offset"], p["limit"]) for p in pages],
                         [("0", "100"), ("100", "30")])

    def test_default_maximum_is_not_a_silent_cap(self):
        # The pack's default maximum is 25: asking for more gets more.
        self.pd.seed("incidents", 60)
        rc, out, _ = self.run_action("incident.find", "--maximum=60")
        self.assert_ok(rc)
        self.assertEqual(len(out), 60)

    def test_offset_ceiling_is_a_clear_error(self):
        # PagerDuty refuses offset+limit > 10000 with a 400; the client stops
        # before that and says how to narrow the query.
        self.pd.seed("incidents", 10050)
        rc, _, error = self.run_action("incident.find", "--maximum=0")
        self.assertEqual(rc, EXIT_VALIDATION)
        self.assertEqual(error["code"], "validation")
        self.assertIn("10000", error["message"])
        self.assertIn("narrow the query", error["message"])
        pages = [dict(r["query"]) for r in self.pd.requests()]
        self.assertEqual(len(pages), 100)
        self.assertTrue(all(int(p["offset"]) + int(p["limit"]) <= 10000 for p in pages))
        self.assertTrue(all(r["status"] == 200 for r in self.pd.requests()))

    def test_a_page_repeated_forever_stops_the_list(self):
        # A server that answers `more: true` with the same page every time
        # made 100 requests (up to the offset ceiling); a page that brings no
        # new id ends the list after the second request.
        page = {"incidents": [{"id": "PSAME1", "type": "incident"},
                              {"id": "PSAME2", "type": "incident"}],
                "limit": 100, "offset": 0, "more": True, "total": None}
        self.pd.script([{"body": page}] * 150, "GET", "/incidents")
        rc, out, _ = self.run_action("incident.find", "--maximum=0")
        self.assert_ok(rc)
        self.assertEqual([i["id"] for i in out], ["PSAME1", "PSAME2"])
        self.assertEqual(len(self.pd.requests()), 2)

    def test_items_repeated_across_pages_are_kept_once(self):
        # PagerDuty may list an item on two pages (go-pagerduty#496).
        first = {"incidents": [{"id": "PA"}, {"id": "PB"}], "more": True}
        second = {"incidents": [{"id": "PB"}, {"id": "PC"}], "more": False}
        self.pd.script([{"body": first}, {"body": second}], "GET", "/incidents")
        rc, out, _ = self.run_action("incident.find", "--maximum=0")
        self.assert_ok(rc)
        self.assertEqual([i["id"] for i in out], ["PA", "PB", "PC"])

    def test_cursor_pagination(self):
        listing = run("actions", "--json", timeout=60)
        self.assertEqual(listing.returncode, 0, listing.stderr)
        doc = json.loads(listing.stdout)
        cursor = [a for a in (doc["actions"] if isinstance(doc, dict) else doc)
                  if a.get("paginated") == "cursor"]
        self.assertTrue(cursor, "no action pages by cursor: audit.find should")
        action = cursor[0]
        collection = action["path"].rstrip("/").rsplit("/", 1)[-1]
        self.pd.cursor_collections.add(collection)
        items = self.pd.seed(collection, 230)
        args = [a for a in action.get("example") or [] if not a.startswith("--maximum")]
        rc, out, _ = self.run_action(action["name"], *args, "--maximum=0")
        self.assert_ok(rc)
        self.assertEqual([i["id"] for i in out], [i["id"] for i in items])
        cursors = [dict(r["query"]).get("cursor") for r in self.pd.requests()]
        self.assertEqual(cursors, [None, "c100", "c200"])

    # -- retries ---------------------------------------------------------------

    def test_429_with_ratelimit_reset_then_success(self):
        self.pd.fail_next(1, 429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
                          {"ratelimit-reset": "1"})
        rc, out, _ = self.run_action("incident.get", "--entity_id=PINC42")
        self.assert_ok(rc)
        self.assertEqual(out["id"], "PINC42")
        self.assertEqual([r["status"] for r in self.pd.requests()], [429, 200])

    def test_429_without_headers_then_success(self):
        self.pd.fail_next(2, 429)
        rc, out, _ = self.run_action("incident.create_note", "--entity_id=PINC42",
                                     "--content=x", "--from_email=" + FROM)
        self.assert_ok(rc)  # a 429 was not applied: even a POST is retried
        self.assertEqual([r["status"] for r in self.pd.requests()], [429, 429, 201])

    def test_429_until_retries_run_out(self):
        self.write_config(max_retries=1)
        self.pd.fail_next(5, 429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
                          {"Retry-After": "0"})
        rc, _, error = self.run_action("incident.get", "--entity_id=PINC42")
        self.assertEqual(rc, EXIT_REJECTED)
        self.assertEqual((error["http_status"], error["code"]), (429, 2020))
        self.assertIn("gave up after 2 attempts", error["message"])
        self.assertEqual(len(self.pd.requests()), 2)

    def test_500_twice_then_success(self):
        self.pd.fail_next(2, 500, {"error": {"message": "Internal Server Error", "code": 0}})
        rc, out, _ = self.run_action("incident.get", "--entity_id=PINC42")
        self.assert_ok(rc)
        self.assertEqual(out["id"], "PINC42")
        self.assertEqual([r["status"] for r in self.pd.requests()], [500, 500, 200])

    def test_500_of_a_rest_post_is_not_repeated(self):
        self.pd.fail_next(2, 500, {"error": {"message": "Internal Server Error", "code": 0}})
        rc, _, error = self.run_action("incident.create_note", "--entity_id=PINC42",
                                       "--content=x", "--from_email=" + FROM)
        self.assertEqual(rc, EXIT_REJECTED)
        self.assertEqual(error["http_status"], 500)
        self.assertIn("not retried", error["message"])
        self.assertEqual(len(self.pd.requests()), 1)

    def test_events_are_retried_after_500(self):
        self.pd.fail_next(1, 500, {"status": "error", "message": "try again"})
        rc, _, _ = self.run_action("event.trigger", "--summary=disk full", "--source=db-01",
                                   "--severity=critical", "--dedup_key=db-01/disk")
        self.assert_ok(rc)
        self.assertEqual([r["status"] for r in self.pd.requests()], [500, 202])

    def test_keyless_trigger_retries_reuse_one_dedup_key(self):
        # A retried trigger must land on the alert the first attempt may have opened.
        self.pd.fail_next(1, 500, {"status": "error", "message": "try again"})
        rc, _, _ = self.run_action("event.trigger", "--summary=disk full", "--source=db-01",
                                   "--severity=critical")
        self.assert_ok(rc)
        reqs = self.pd.requests()
        self.assertEqual([r["status"] for r in reqs], [500, 202])
        keys = [r["body"].get("dedup_key") for r in reqs]
        self.assertRegex(keys[0] or "", r"^[0-9a-f]{32}$")
        self.assertEqual(keys[0], keys[1])

    def test_other_4xx_are_not_retried(self):
        self.pd.fail_next(1, 404, {"error": {"message": "Not Found", "code": 2100}})
        rc, _, error = self.run_action("incident.get", "--entity_id=PNOPE")
        self.assertEqual(rc, EXIT_REJECTED)
        self.assertEqual(len(self.pd.requests()), 1)
        self.assertEqual(error, {"code": 2100, "message": "Not Found", "http_status": 404,
                                 "errors": []})

    # -- transport failures ----------------------------------------------------

    def test_timeout(self):
        self.write_config(timeout_ms=300, max_retries=1)
        self.pd.delay_next(30, n=2)
        rc, _, error = self.run_action("incident.get", "--entity_id=PINC42")
        self.assertEqual(rc, EXIT_NETWORK)
        self.assertEqual(error["code"], "timeout")
        self.assertIsNone(error["http_status"])
        self.assertEqual(len(self.pd.requests()), 2)

    def test_connection_refused(self):
        self.write_config(api_url="http://127.0.0.1:%d" % free_port(), max_retries=1)
        rc, _, error = self.run_action("incident.get", "--entity_id=PINC42")
        self.assertEqual(rc, EXIT_NETWORK)
        self.assertEqual(error["code"], "network")
        self.assertIn("gave up after 2 attempts", error["message"])

    def test_ca_bundle_variable_is_honoured(self):
        # libcurl itself ignores CURL_CA_BUNDLE (the curl tool reads it); the
        # client applies it, so a bundle that does not exist is what fails.
        self.write_config(api_url="https://127.0.0.1:%d" % self.pd.port, max_retries=0)
        bundle = os.path.join(self.dir, "no-such-bundle.pem")
        rc, _, error = self.run_action("incident.get", "--entity_id=PINC42",
                                       env_extra={"CURL_CA_BUNDLE": bundle})
        self.assertEqual(rc, EXIT_NETWORK)
        self.assertIn(bundle, error["message"])

    # -- error bodies ----------------------------------------------------------

    def test_rest_error_body(self):
        self.pd.fail_next(1, 400, {"error": {"message": "Invalid Input Provided", "code": 2001,
                                             "errors": ["Incident Key already exists"]}})
        rc, _, error = self.run_action("incident.create_note", "--entity_id=PINC42",
                                       "--content=x", "--from_email=" + FROM)
        self.assertEqual(rc, EXIT_REJECTED)
        self.assertEqual(error, {"code": 2001, "message": "Invalid Input Provided",
                                 "http_status": 400, "errors": ["Incident Key already exists"]})
        self.assertEqual(len(self.last.stderr.strip().splitlines()), 1, self.last.stderr)

    def test_wrong_api_key(self):
        with open(self.config) as f:
            cfg = json.load(f)
        cfg["api_key"] = "not-the-key"
        with open(self.config, "w") as f:
            json.dump(cfg, f)
        rc, _, error = self.run_action("incident.get", "--entity_id=PINC42")
        self.assertEqual(rc, EXIT_REJECTED)
        self.assertEqual((error["http_status"], error["code"]), (401, 2006))

    def test_events_error_body(self):
        self.pd.fail_next(1, 400, {"status": "invalid event", "message": "Event object is invalid",
                                   "errors": ["'dedup_key' is missing or blank"]})
        rc, _, error = self.run_action("event.acknowledge", "--dedup_key=db-01/disk")
        self.assertEqual(rc, EXIT_REJECTED)
        self.assertEqual(error, {"code": "pagerduty_rejected",
                                 "message": "invalid event: Event object is invalid",
                                 "http_status": 400, "errors": ["'dedup_key' is missing or blank"]})
        self.assertEqual(len(self.pd.requests()), 1)

if __name__ == "__main__":
    unittest.main()
