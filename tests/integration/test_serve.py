"""test_serve.py: the receiver and forwarder end to end.

The real `st2-pagerduty serve` on loopback, fed signed PagerDuty V3 webhooks,
delivering to the StackStorm stand-in (st2_standin.py) whose trigger types were
created by the real `st2-pagerduty register`.
"""

import collections
import json
import threading
import unittest

from harness import API_KEY, SECRET, DaemonCase, delete_trigger_type, make_event, sign, wait_for
from st2_standin import St2StandIn


class ServeTest(DaemonCase):
    """Shared set-up: a stand-in with every trigger type, one daemon per test."""

    def setUp(self):
        super().setUp()
        self.st2 = St2StandIn(api_key=API_KEY)
        self.st2.start()
        self.addCleanup(self.st2.stop)  # after tearDown has stopped the daemons

    def daemon(self, register=True, **overrides):
        d = self.new_daemon(st2_url="http://127.0.0.1:%d" % self.st2.port, **overrides)
        if register:
            d.cli("register")
        return d.start()

    def triggers_for(self, event_id):
        return [t for t in self.st2.triggers() if t["payload"]["event_id"] == event_id]


class ReceiveTest(ServeTest):

    def test_signed_event_becomes_exactly_one_trigger(self):
        d = self.daemon()
        ev = make_event("incident.triggered", "PABC123")
        status, headers, body = d.post_event(ev, webhook_id="WH-1")
        self.assertEqual(status, 202, body)
        self.assertEqual(json.loads(body), {"status": "accepted"})
        got = wait_for(lambda: self.triggers_for(ev["event"]["id"]), what="the trigger")
        self.assertEqual(len(got), 1)
        t = got[0]
        self.assertEqual(t["trigger"], "pagerduty.incident.triggered")
        self.assertEqual(t["payload"], {
            "event_id": ev["event"]["id"], "event_type": "incident.triggered",
            "resource_type": "incident", "occurred_at": ev["event"]["occurred_at"],
            "agent": ev["event"]["agent"], "client": ev["event"]["client"],
            "data": ev["event"]["data"], "webhook_id": "WH-1", "subscription_id": "PSUB001",
            "source": "webhook"})
        self.assertEqual(t["headers"].get("St2-Trace-Tag"), "pagerduty-" + ev["event"]["id"])
        self.assertEqual(t["headers"].get("St2-Api-Key"), API_KEY)

    def test_wrong_or_missing_signature_is_401_and_nothing_is_emitted(self):
        d = self.daemon()
        bad = make_event()
        self.assertEqual(d.post_event(bad, secret="not-the-secret")[0], 401)
        self.assertEqual(d.post_event(bad, signature="")[0], 401)
        self.assertEqual(d.post_event(bad, signature="v0=abcd")[0], 401)
        good = make_event()
        self.assertEqual(d.post_event(good)[0], 202)
        wait_for(lambda: self.triggers_for(good["event"]["id"]), what="the good trigger")
        self.assertEqual(self.triggers_for(bad["event"]["id"]), [])
        status = d.cli("spool", "find", bad["event"]["id"], check=False)
        self.assertNotEqual(status.returncode, 0, status.stdout)
        self.assertEqual(d.metric('st2_pagerduty_webhooks_received_total{result="unauthorized"}'), 3)

    def test_duplicates_are_accepted_and_emitted_once(self):
        d = self.daemon()
        ev = make_event()
        self.assertEqual(d.post_event(ev, webhook_id="WH-dup")[0], 202)
        # A retry of the same webhook, and the same event in another webhook.
        status, _, body = d.post_event(ev, webhook_id="WH-dup")
        self.assertEqual((status, json.loads(body)), (202, {"status": "duplicate"}))
        self.assertEqual(d.post_event(ev, webhook_id="WH-other")[0], 202)
        other = make_event(event_id="another-id")
        self.assertEqual(d.post_event(other, webhook_id="WH-dup")[0], 202)
        sentinel = make_event()
        d.post_event(sentinel)
        wait_for(lambda: self.triggers_for(sentinel["event"]["id"]), what="the sentinel")
        self.assertEqual(len(self.triggers_for(ev["event"]["id"])), 1)
        self.assertEqual(self.triggers_for("another-id"), [])

    def test_duplicates_are_recognised_after_a_restart(self):
        d = self.daemon()
        ev = make_event()
        self.assertEqual(d.post_event(ev, webhook_id="WH-restart")[0], 202)
        wait_for(lambda: self.triggers_for(ev["event"]["id"]), what="the trigger")
        self.assertEqual(d.stop(), 0)
        d.start()
        status, _, body = d.post_event(ev, webhook_id="WH-restart")
        self.assertEqual((status, json.loads(body)), (202, {"status": "duplicate"}))

    def test_unknown_event_type_is_accepted_as_pagerduty_event(self):
        d = self.daemon()
        ev = make_event("incident.something_new")
        self.assertEqual(d.post_event(ev)[0], 202)
        got = wait_for(lambda: self.triggers_for(ev["event"]["id"]), what="the trigger")
        self.assertEqual(got[0]["trigger"], "pagerduty.event")
        self.assertEqual(got[0]["payload"]["event_type"], "incident.something_new")

    def test_http_answers(self):
        d = self.daemon(webhook={"max_body_bytes": 4096})
        path = d.config["webhook"]["path"]
        # Signed but not a V3 envelope.
        for body in (b'{"messages":[]}', b'[1,2]', b'{"event":{"id":"x"}}', b'{"event": {"id'):
            status, _, resp = d.post_event(body)
            self.assertEqual(status, 400, body)
            self.assertIn(b"not_v3_envelope", resp)
        self.assertEqual(d.post_event(b"", signature=sign(b""))[0], 400)
        big = json.dumps(make_event(pad=4000)).encode()
        self.assertEqual(d.post_event(big)[0], 413)
        status, headers, _ = d.request("GET", path)
        self.assertEqual(status, 405)
        self.assertEqual(headers.get("allow"), "POST")
        self.assertEqual(d.request("PUT", path, b"{}")[0], 405)
        self.assertEqual(d.request("POST", "/elsewhere", b"{}")[0], 404)
        status, _, body = d.request("GET", "/healthz")
        self.assertEqual((status, body.strip()), (200, b"ok"))
        status, headers, body = d.request("GET", "/metrics")
        self.assertEqual(status, 200)
        text = body.decode()
        for name in ("st2_pagerduty_webhooks_received_total{result=\"bad_request\"}",
                     "st2_pagerduty_triggers_emitted_total", "st2_pagerduty_spool_pending",
                     "st2_pagerduty_request_duration_seconds_bucket",
                     "st2_pagerduty_forward_latency_seconds_count",
                     "st2_pagerduty_dead_letters_total", "st2_pagerduty_trigger_retries_total"):
            self.assertIn(name, text)

    def test_request_log_line(self):
        d = self.daemon()
        ev = make_event()
        d.post_event(ev)
        line = wait_for(lambda: [l for l in d.logs().splitlines()
                                 if "webhook" in l and ev["event"]["id"] in l], what="log line")
        self.assertRegex(line[0], r"info webhook status=202 result=ok event_id=%s "
                                  r"event_type=incident.triggered ms=\d+\.\d+" % ev["event"]["id"])
        self.assertNotIn(SECRET, d.logs())

    def test_sighup_reloads_secrets(self):
        d = self.daemon()
        d.config["webhook"]["secrets"] = ["rotated-secret", SECRET + "-new"]
        d.write_config()
        d.proc.send_signal(1)  # SIGHUP
        wait_for(lambda: "reloaded" in d.logs(), what="the reload")
        self.assertEqual(d.post_event(make_event())[0], 401)
        self.assertEqual(d.post_event(make_event(), secret="rotated-secret")[0], 202)
        self.assertEqual(d.post_event(make_event(), secret=SECRET + "-new")[0], 202)


class DeliveryTest(ServeTest):

    def test_st2_down_for_1000_events_then_up(self):
        d = self.daemon()
        self.st2.down()
        per_incident = collections.defaultdict(list)
        lock = threading.Lock()

        def sender(incidents):
            conn = d.connection()
            for n in range(50):
                for inc in incidents:
                    ev = make_event("incident.annotated" if n % 2 else "incident.triggered", inc)
                    status = d.post_event(ev, conn=conn)[0]
                    self.assertEqual(status, 202)
                    with lock:
                        per_incident[inc].append(ev["event"]["id"])
            conn.close()

        # 20 incidents, 50 events each, from 4 concurrent senders: 1,000 events.
        groups = [["PINC%02d" % (g * 5 + i) for i in range(5)] for g in range(4)]
        threads = [threading.Thread(target=sender, args=(g,)) for g in groups]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sum(len(v) for v in per_incident.values()), 1000)
        self.assertEqual(self.st2.triggers(), [])
        status = d.cli("spool", "status").stdout
        self.assertRegex(status, r"pending\D+1000\b")

        self.st2.up()
        wait_for(lambda: len(self.st2.triggers()) >= 1000, timeout=180, interval=0.2,
                 what="1000 triggers after StackStorm came back")
        self.assert_once_in_order(self.st2.triggers(), per_incident)

    def test_st2_errors_are_retried(self):
        d = self.daemon()
        self.st2.fail_next(3, 503)
        ev = make_event()
        self.assertEqual(d.post_event(ev)[0], 202)
        wait_for(lambda: self.triggers_for(ev["event"]["id"]), timeout=60, what="the retried trigger")
        self.assertGreaterEqual(d.metric("st2_pagerduty_trigger_retries_total"), 3)

    def test_st2_400_is_a_dead_letter_not_a_retry_loop(self):
        d = self.daemon()
        # Make st2 reject one trigger type, as it does for an unregistered one.
        self.assertEqual(delete_trigger_type(self.st2.port, "pagerduty.incident.resolved"), 204)
        bad = make_event("incident.resolved", "PDEAD1")
        after = make_event("incident.triggered", "PDEAD1")
        self.assertEqual(d.post_event(bad)[0], 202)
        self.assertEqual(d.post_event(after)[0], 202)
        # The dead letter does not block the incident's next event.
        wait_for(lambda: self.triggers_for(after["event"]["id"]), what="the next event")
        attempts = [r for r in list(self.st2.request_log)
                    if r["path"].endswith("/webhooks/st2") and r["status"] == 400]
        self.assertEqual(len(attempts), 1)
        found = d.cli("spool", "find", bad["event"]["id"]).stdout
        self.assertIn("dead letter", found)
        self.assertIn("400", found)
        status = d.cli("spool", "status").stdout
        self.assertIn("doesn't exist", status)
        self.assertEqual(d.metric("st2_pagerduty_dead_letters_total"), 1)
        # Once the type exists, an operator retries it and it goes through.
        d.cli("register")
        self.assertIn("1", d.cli("spool", "retry", bad["event"]["id"]).stdout)
        wait_for(lambda: self.triggers_for(bad["event"]["id"]), what="the retried dead letter")

    def test_spool_full_answers_503_with_retry_after(self):
        d = self.daemon(spool={"max_events": 5})
        self.st2.down()
        for _ in range(5):
            self.assertEqual(d.post_event(make_event())[0], 202)
        status, headers, body = d.post_event(make_event())
        self.assertEqual(status, 503)
        self.assertIn("retry-after", headers)
        self.assertIn(b"spool_full", body)
        self.st2.up()
        wait_for(lambda: len(self.st2.triggers()) == 5, timeout=120, what="the 5 spooled events")
        wait_for(lambda: d.post_event(make_event())[0] == 202, timeout=30, what="room in the spool")

    def test_kill_9_loses_no_acknowledged_event(self):
        d = self.daemon(spool={"durability": "fsync"})
        self.st2.down()
        acked, stop = [], threading.Event()

        def sender(n):
            conn = d.connection()
            i = 0
            while not stop.is_set():
                ev = make_event(incident="PKILL%d" % n, event_id="kill-%d-%d" % (n, i))
                i += 1
                try:
                    status = d.post_event(ev, conn=conn)[0]
                except (OSError, ConnectionError, Exception):
                    return
                if status == 202:
                    acked.append(ev["event"]["id"])

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        wait_for(lambda: len(acked) >= 200, timeout=60, what="200 acknowledged events")
        d.kill9()
        stop.set()
        for t in threads:
            t.join()
        self.st2.up()
        d.start()
        want = set(acked)
        wait_for(lambda: want <= {t["payload"]["event_id"] for t in self.st2.triggers()},
                 timeout=120, interval=0.2, what="every acknowledged event after kill -9")


class SinkTest(DaemonCase):

    def test_without_st2_triggers_go_to_the_sink_file(self):
        d = self.new_daemon().start()
        evs = [make_event("incident.triggered", "PSINK"), make_event("service.updated")]
        evs[1]["event"]["data"] = {"id": "PSVC1", "type": "service", "summary": "svc"}
        for ev in evs:
            self.assertEqual(d.post_event(ev)[0], 202)
        lines = wait_for(lambda: len(d.sink_lines()) == 2 and d.sink_lines(), what="sink lines")
        self.assertEqual([l["trigger"] for l in lines],
                         ["pagerduty.incident.triggered", "pagerduty.service.updated"])
        self.assertEqual(lines[1]["payload"]["data"]["id"], "PSVC1")
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
