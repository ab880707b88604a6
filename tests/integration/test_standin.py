"""test_standin.py: the StackStorm stand-in's own behaviour, request by
request with http.client, so that tests built on it (register, forwarding)
can trust what it answers. Each expectation comes from
shared/reference/stackstorm-api.md 1-2.
"""

import http.client
import json
import os
import subprocess
import sys
import time
import unittest

from st2_standin import St2StandIn, ValidationError, validate

KEY = "test-key"
TOKEN = "test-token"

# A type in st2's own dialect: Draft-3 property `required: true`, type lists
# with "null", enum, closed object, and a Draft-4 required array st2 ignores.
TYPE = {
    "name": "thing.happened",
    "pack": "demo",
    "description": "A thing happened.",
    "parameters_schema": {},
    "payload_schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["ignored_by_st2"],
        "properties": {
            "id": {"type": "string", "required": True},
            "kind": {"type": "string", "enum": ["a", "b"]},
            "who": {"type": ["object", "null"]},
            "count": {"type": "integer"},
            "ignored_by_st2": {"type": "string"},
        },
    },
}


class StandInCase(unittest.TestCase):
    """A fresh stand-in per test."""

    def setUp(self):
        self.st2 = St2StandIn(api_key=KEY, auth_tokens=[TOKEN]).start()
        self.addCleanup(self.st2.stop)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.st2.port, timeout=10)
        self.addCleanup(self.conn.close)

    def call(self, method, path, body=None, headers=None, auth=True, raw=None):
        """One request on the shared connection -> (status, parsed body, response)."""
        h = {"Content-Type": "application/json"}
        if auth:
            h["St2-Api-Key"] = KEY
        h.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        self.conn.request(method, path, body=data, headers=h)
        resp = self.conn.getresponse()
        text = resp.read()
        return resp.status, (json.loads(text) if text else None), resp

    def post_trigger(self, payload, trigger="demo.thing.happened", **kw):
        return self.call("POST", "/v1/webhooks/st2", {"trigger": trigger, "payload": payload}, **kw)


class TestAuth(StandInCase):
    def test_no_credentials_is_401_with_st2_text(self):
        status, body, _ = self.call("GET", "/v1/triggertypes", auth=False)
        self.assertEqual(status, 401)
        self.assertEqual(body, {"faultstring": "Unauthorized - One of Token or API key required."})

    def test_wrong_key_and_wrong_token_are_401(self):
        for headers in ({"St2-Api-Key": "nope"}, {"X-Auth-Token": "nope"}):
            status, body, _ = self.call("GET", "/v1/triggertypes", auth=False, headers=headers)
            self.assertEqual(status, 401, headers)
            self.assertTrue(body["faultstring"].startswith("Unauthorized - "), body)
            self.assertNotEqual(body["faultstring"],
                                "Unauthorized - One of Token or API key required.")

    def test_every_credential_source_is_accepted(self):
        for path, headers in (
            ("/v1/triggertypes", {"St2-Api-Key": KEY}),
            ("/v1/triggertypes", {"X-Auth-Token": TOKEN}),
            ("/v1/triggertypes?st2-api-key=" + KEY, {}),
            ("/v1/triggertypes?x-auth-token=" + TOKEN, {}),
        ):
            status, body, _ = self.call("GET", path, auth=False, headers=headers)
            self.assertEqual(status, 200, (path, headers))
            self.assertEqual(body, [])

    def test_first_credential_present_decides(self):
        # st2 tries X-Auth-Token before St2-Api-Key and stops at the first present.
        status, _, _ = self.call("GET", "/v1/triggertypes",
                                 headers={"X-Auth-Token": "wrong", "St2-Api-Key": KEY})
        self.assertEqual(status, 401)


class TestWebhook(StandInCase):
    def setUp(self):
        super().setUp()
        self.st2.preregister([TYPE])

    def test_accepts_and_records_with_headers(self):
        body = {"trigger": "demo.thing.happened", "payload": {"id": "x1", "who": None}}
        status, echoed, _ = self.call("POST", "/v1/webhooks/st2", body,
                                      headers={"St2-Trace-Tag": "pagerduty-x1"})
        self.assertEqual(status, 202)
        self.assertEqual(echoed, body)
        [rec] = self.st2.triggers()
        self.assertEqual(rec["trigger"], "demo.thing.happened")
        self.assertEqual(rec["payload"], {"id": "x1", "who": None})
        self.assertEqual(rec["trace_tag"], "pagerduty-x1")
        self.assertEqual(rec["headers"]["St2-Trace-Tag"], "pagerduty-x1")
        self.assertEqual(rec["headers"]["St2-Api-Key"], KEY)
        self.assertIsInstance(rec["time"], float)

    def test_api_prefix_is_served_too(self):
        status, _, _ = self.post_trigger({"id": "x"}, headers={})
        self.assertEqual(status, 202)
        status, _, _ = self.call("POST", "/api/v1/webhooks/st2",
                                 {"trigger": "demo.thing.happened", "payload": {"id": "y"}})
        self.assertEqual(status, 202)
        self.assertEqual([t["payload"]["id"] for t in self.st2.triggers()], ["x", "y"])

    def test_no_credentials(self):
        status, body, _ = self.post_trigger({"id": "x"}, auth=False)
        self.assertEqual((status, body["faultstring"]),
                         (401, "Unauthorized - One of Token or API key required."))
        self.assertEqual(self.st2.triggers(), [])

    def test_array_body(self):
        status, body, _ = self.call("POST", "/v1/webhooks/st2", [{"trigger": "demo.thing.happened"}])
        self.assertEqual((status, body["faultstring"]),
                         (400, "Webhook body needs to be an object, got: array"))

    def test_invalid_json(self):
        status, body, _ = self.call("POST", "/v1/webhooks/st2", raw=b"{not json")
        self.assertEqual(status, 400)
        self.assertTrue(body["faultstring"].startswith("Failed to parse request body: "), body)

    def test_scalar_body(self):
        status, body, _ = self.call("POST", "/v1/webhooks/st2", "just a string")
        self.assertEqual(status, 400)
        self.assertIn("is not of type 'object', 'array'", body["faultstring"])

    def test_trigger_missing_or_empty(self):
        for body in ({"payload": {}}, {"trigger": "", "payload": {}}, {}):
            status, answer, _ = self.call("POST", "/v1/webhooks/st2", body)
            self.assertEqual((status, answer["faultstring"]), (400, "Trigger not specified."), body)
        status, answer, _ = self.call("POST", "/v1/webhooks/st2", raw=b"")
        self.assertEqual((status, answer["faultstring"]), (400, "Trigger not specified."))

    def test_unknown_trigger_type(self):
        status, body, _ = self.post_trigger({"id": "x"}, trigger="demo.nope")
        self.assertEqual(status, 400)
        fault = body["faultstring"]
        self.assertTrue(fault.startswith("Trigger payload validation failed and validation is "
                                         'enabled, not dispatching a trigger "demo.nope"'), fault)
        self.assertTrue(fault.endswith('Trigger type with reference "demo.nope" doesn\'t exist '
                                       "in the database"), fault)

    def test_payload_validation_failures(self):
        cases = [
            ({}, "'id' is a required property"),                    # Draft-3 required: true
            ({"id": 5}, "5 is not of type 'string'"),
            ({"id": "x", "kind": "c"}, "'c' is not one of ['a', 'b']"),
            ({"id": "x", "who": "me"}, "'me' is not of type 'object', 'null'"),
            ({"id": "x", "count": True}, "True is not of type 'integer'"),
            ({"id": "x", "extra": 1}, "Additional properties are not allowed ('extra' was unexpected)"),
            (None, "None is not of type 'object'"),
        ]
        for payload, reason in cases:
            status, body, _ = self.post_trigger(payload)
            self.assertEqual(status, 400, payload)
            self.assertTrue(body["faultstring"].startswith("Trigger payload validation failed"))
            self.assertTrue(body["faultstring"].endswith(reason), (payload, body["faultstring"]))
        self.assertEqual(self.st2.triggers(), [])

    def test_draft4_required_array_is_ignored_and_null_allowed(self):
        status, _, _ = self.post_trigger({"id": "x", "who": None, "count": 3, "kind": "a"})
        self.assertEqual(status, 202)

    def test_empty_payload_schema_skips_validation(self):
        self.st2.preregister([{"name": "free", "pack": "demo", "payload_schema": {}}])
        status, _, _ = self.post_trigger({"anything": [1, 2]}, trigger="demo.free")
        self.assertEqual(status, 202)

    def test_validation_off_dispatches_anyway(self):
        self.st2.validate_payload = False
        status, _, _ = self.post_trigger({"id": 5}, trigger="demo.nope")
        self.assertEqual(status, 202)
        self.assertEqual(len(self.st2.triggers()), 1)

    def test_custom_hook_not_registered(self):
        status, body, _ = self.call("POST", "/v1/webhooks/sample", {"a": 1})
        self.assertEqual((status, body["faultstring"]), (404, "Webhook sample not registered with st2"))

    def test_fail_next_then_recover(self):
        self.st2.fail_next(2, status=503, retry_after=7)
        for _ in range(2):
            status, body, resp = self.post_trigger({"id": "x"})
            self.assertEqual(status, 503)
            self.assertIn("faultstring", body)
            self.assertEqual(resp.getheader("Retry-After"), "7")
        status, _, resp = self.post_trigger({"id": "x"})
        self.assertEqual(status, 202)
        self.assertIsNone(resp.getheader("Retry-After"))
        self.assertEqual(len(self.st2.triggers()), 1)

    def test_delay_answers_late_but_records(self):
        self.st2.delay(0.3)
        before = time.monotonic()
        status, _, _ = self.post_trigger({"id": "x"})
        self.assertEqual(status, 202)
        self.assertGreaterEqual(time.monotonic() - before, 0.3)
        self.st2.delay(0)
        self.assertEqual(len(self.st2.triggers()), 1)

    def test_fail_next_other_status_without_retry_after(self):
        self.st2.fail_next(1, status=429)
        status, _, resp = self.post_trigger({"id": "x"})
        self.assertEqual(status, 429)
        self.assertIsNone(resp.getheader("Retry-After"))


class TestTriggerTypes(StandInCase):
    def test_create_conflict_get_put_delete(self):
        status, created, _ = self.call("POST", "/v1/triggertypes", TYPE)
        self.assertEqual(status, 201)
        self.assertEqual(created["ref"], "demo.thing.happened")
        self.assertEqual(created["uid"], "trigger_type:demo:thing.happened")
        self.assertTrue(created["id"])
        self.assertEqual(created["payload_schema"], TYPE["payload_schema"])

        status, body, _ = self.call("POST", "/v1/triggertypes", TYPE)
        self.assertEqual(status, 409)
        self.assertEqual(body["conflict-id"], created["id"])
        self.assertIn("duplicate", body["faultstring"])

        status, listed, _ = self.call("GET", "/v1/triggertypes")
        self.assertEqual((status, [t["ref"] for t in listed]), (200, ["demo.thing.happened"]))
        for ref in ("demo.thing.happened", created["id"]):
            status, one, _ = self.call("GET", "/v1/triggertypes/" + ref)
            self.assertEqual((status, one), (200, created))

        changed = dict(TYPE, description="changed")
        status, put, _ = self.call("PUT", "/v1/triggertypes/demo.thing.happened", changed)
        self.assertEqual((status, put["description"], put["id"]), (200, "changed", created["id"]))
        self.assertEqual(self.st2.trigger_types()["demo.thing.happened"]["description"], "changed")

        status, body, _ = self.call("DELETE", "/api/v1/triggertypes/demo.thing.happened")
        self.assertEqual((status, body), (204, None))
        status, body, _ = self.call("GET", "/v1/triggertypes/demo.thing.happened")
        self.assertEqual(status, 404)
        self.assertIn("demo.thing.happened", body["faultstring"])

    def test_unknown_ref(self):
        for method, body in (("GET", None), ("PUT", TYPE), ("DELETE", None)):
            status, answer, _ = self.call(method, "/v1/triggertypes/demo.nope", body)
            self.assertEqual(status, 404, method)
            self.assertIn("faultstring", answer)

    def test_bad_body(self):
        status, body, _ = self.call("POST", "/v1/triggertypes", {"pack": "demo"})
        self.assertEqual((status, body["faultstring"]), (400, "'name' is a required property"))
        status, _, _ = self.call("POST", "/v1/triggertypes", dict(TYPE, payload_schema=[]))
        self.assertEqual(status, 400)

    def test_list_filters_and_default_limit(self):
        self.st2.preregister([{"name": "t%03d" % i, "pack": "p%d" % (i % 2)} for i in range(120)])
        status, listed, _ = self.call("GET", "/v1/triggertypes")
        self.assertEqual((status, len(listed)), (200, 100))
        status, listed, _ = self.call("GET", "/v1/triggertypes?pack=p1&limit=-1")
        self.assertEqual(len(listed), 60)
        self.assertTrue(all(t["pack"] == "p1" for t in listed))

    def test_unknown_path_is_404(self):
        status, _, _ = self.call("POST", "/v1/triggerinstances", {})
        self.assertEqual(status, 404)


class TestControls(StandInCase):
    def test_keep_alive_reuses_one_connection(self):
        for _ in range(5):
            status, _, _ = self.call("GET", "/v1/triggertypes")
            self.assertEqual(status, 200)
        self.assertEqual(self.st2.connections, 1)
        self.assertEqual([(r["method"], r["status"]) for r in self.st2.request_log], [("GET", 200)] * 5)

    def test_down_refuses_and_up_serves_same_port_with_state(self):
        self.st2.preregister([TYPE])
        port = self.st2.port
        self.assertEqual(self.call("GET", "/v1/triggertypes")[0], 200)
        self.st2.down()
        fresh = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with self.assertRaises(ConnectionRefusedError):
            fresh.connect()
        fresh.close()
        # The kept-alive connection was cut as well.
        with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
            self.call("GET", "/v1/triggertypes")
        self.conn.close()
        self.st2.up()
        self.assertEqual(self.st2.port, port)
        status, listed, _ = self.call("GET", "/v1/triggertypes")
        self.assertEqual((status, [t["ref"] for t in listed]), (200, ["demo.thing.happened"]))

    def test_clear(self):
        self.st2.preregister([TYPE])
        self.post_trigger({"id": "x"})
        self.st2.clear()
        self.assertEqual((self.st2.triggers(), self.st2.trigger_types(), self.st2.request_log),
                         ([], {}, []))

    def test_http_controls(self):
        self.st2.preregister([TYPE])
        status, body, _ = self.call("POST", "/_standin/fail_next", {"n": 1, "status": 500}, auth=False)
        self.assertEqual((status, body), (200, {"fail_next": 1}))
        self.assertEqual(self.post_trigger({"id": "a"})[0], 500)
        self.assertEqual(self.post_trigger({"id": "b"})[0], 202)
        status, triggers, _ = self.call("GET", "/_standin/triggers", auth=False)
        self.assertEqual((status, [t["payload"]["id"] for t in triggers]), (200, ["b"]))
        status, stats, _ = self.call("GET", "/_standin/stats", auth=False)
        self.assertEqual(status, 200)
        self.assertEqual((stats["triggers"], stats["trigger_types"], stats["connections"]), (1, 1, 1))
        status, _, _ = self.call("POST", "/_standin/delay", {"seconds": 0.2}, auth=False)
        self.assertEqual(status, 200)
        self.assertEqual(self.st2._delay, 0.2)
        self.call("POST", "/_standin/clear", {}, auth=False)
        self.assertEqual((self.st2.trigger_types(), self.st2._delay), ({}, 0.0))
        status, _, _ = self.call("GET", "/_standin/nope", auth=False)
        self.assertEqual(status, 404)


class TestValidator(unittest.TestCase):
    """The schema dialect directly, for cases awkward over HTTP."""

    def test_numbers_and_booleans_are_distinct(self):
        validate(1.0, {"type": "integer"})
        validate(2, {"type": "number"})
        for value, schema in ((1.5, {"type": "integer"}), (True, {"type": "number"}),
                              (1, {"enum": [True]}), (True, {"enum": [1]})):
            with self.assertRaises(ValidationError, msg=(value, schema)):
                validate(value, schema)

    def test_nested_required_and_items(self):
        schema = {"type": "object", "properties": {
            "data": {"type": "object", "properties": {"id": {"type": "string", "required": True}}},
            "tags": {"type": "array", "items": {"type": "string"}}}}
        validate({"data": {"id": "x"}, "tags": ["a"]}, schema)
        with self.assertRaisesRegex(ValidationError, "'id' is a required property"):
            validate({"data": {}}, schema)
        with self.assertRaisesRegex(ValidationError, "3 is not of type 'string'"):
            validate({"tags": ["a", 3]}, schema)

    def test_additional_properties_schema_and_patterns(self):
        schema = {"type": "object", "patternProperties": {"^x-": {"type": "string"}},
                  "additionalProperties": {"type": "integer"}}
        validate({"x-a": "s", "n": 1}, schema)
        with self.assertRaises(ValidationError):
            validate({"x-a": 1}, schema)
        with self.assertRaises(ValidationError):
            validate({"n": "s"}, schema)


class TestCommandLine(unittest.TestCase):
    def test_runs_prints_port_and_serves(self):
        here = os.path.dirname(os.path.abspath(__file__))
        proc = subprocess.Popen([sys.executable, os.path.join(here, "st2_standin.py"), "--port", "0",
                                 "--api-key", "cli-key"], stdout=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline().strip()
            self.assertRegex(line, r"^listening on 127\.0\.0\.1:\d+$")
            port = int(line.rsplit(":", 1)[1])
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/v1/triggertypes", headers={"St2-Api-Key": "cli-key"})
            resp = conn.getresponse()
            self.assertEqual((resp.status, json.loads(resp.read())), (200, []))
            conn.close()
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(timeout=10), 0)
            proc.stdout.close()


if __name__ == "__main__":
    unittest.main()
