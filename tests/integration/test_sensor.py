"""test_sensor.py: the sensor inside serve (poller and subscription watchdog)
and `poll --once`, end to end.

The real `st2-pagerduty serve` with poll.mode only or backfill and a poll
interval of one second reads the PagerDuty stand-in's log entries
(pd_standin.py: GET /log_entries as the spec has it, newest first, hidden
entries for late ones) and delivers to the sink file or the StackStorm
stand-in. Nothing here waits a fixed time: every wait is for a condition
(a number of requests the stand-in saw, a trigger, a log line), with a
deadline. Downtime is made by stopping the daemon and moving its saved
cursor back in the spool, as if it had stopped that long ago.
"""

import collections
import json
import os
import re
import sqlite3
import time
import unittest

from harness import API_KEY, DaemonCase, incident_of, make_event, run, wait_for
from pd_standin import PdStandIn, incident, iso, log_entry, parse_iso, subscription
from st2_standin import St2StandIn

PD_KEY = "standin-api-key"
OFFSET_CEILING = 10000


class SensorTest(DaemonCase):
    """A PagerDuty stand-in per test; daemons are stopped (exit 0 required) and removed."""

    def setUp(self):
        super().setUp()
        self.pd = PdStandIn(api_key=PD_KEY).start()
        self.addCleanup(self.pd.stop)  # after tearDown has stopped the daemons
        self.st2 = None

    def daemon(self, mode="only", st2=False, secrets=True, webhook=None, **poll):
        """A daemon polling the stand-in every second (not started)."""
        st2_url = None
        if st2:
            if self.st2 is None:
                self.st2 = St2StandIn(api_key=API_KEY).start()
                self.addCleanup(self.st2.stop)
            st2_url = "http://127.0.0.1:%d" % self.st2.port
        d = self.new_daemon(st2_url=st2_url)
        d.config["api_key"] = PD_KEY
        d.config["pagerduty"] = {"api_url": self.pd.url, "timeout_ms": 20000}
        d.config["poll"] = dict({"mode": mode, "interval_s": 1}, **poll)
        d.config["webhook"].update(webhook or {})
        if not secrets:
            del d.config["webhook"]["secrets"]
        d.write_config()
        if st2:
            d.cli("register")
        return d

    # -- helpers -------------------------------------------------------------

    def polls(self):
        return self.pd.requests("GET", "/log_entries")

    def wait_polls(self, n, after=None, what="polls"):
        """Waits until n more GET /log_entries than `after` (default: now) were answered."""
        base = len(self.polls()) if after is None else after
        return wait_for(lambda: len([r for r in self.polls() if r["status"] is not None])
                        >= base + n, 120, what="%d %s" % (n, what))

    @staticmethod
    def rewind(d, seconds):
        """Moves a stopped daemon's cursor (and floor) back: as if it stopped that long ago."""
        t = iso(time.time() - seconds)
        con = sqlite3.connect(os.path.join(d.dir, "spool", "spool.db"))
        con.execute("INSERT INTO meta (key, value) VALUES ('poll.cursor', ?), ('poll.floor', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (t, t))
        con.commit()
        con.close()
        return t

    def ran_once(self, d):
        """Starts and stops d, so that its spool (and cursor) exist."""
        d.start()
        wait_for(lambda: "serving version=" in d.logs(), what="serve to be up")
        self.assertEqual(d.stop(), 0)

    @staticmethod
    def sink_ids(d):
        return [line["payload"]["event_id"] for line in d.sink_lines()]

    def entries(self, n, start, step=1.0, incidents=1, types=("trigger_log_entry",), prefix="Q"):
        """n log entries from start (seconds) every step seconds, and their incidents."""
        incs = [incident("PINC%05d" % i, number=i + 1) for i in range(incidents)]
        out = []
        for i in range(n):
            out.append(log_entry(types[i % len(types)], incs[i % incidents]["id"],
                                 int(start + i * step), entry_id="%s%07d" % (prefix, i)))
        return out, incs


class PollTest(SensorTest):

    def test_first_start_reads_from_now(self):
        """No cursor: history is never emitted; what happens from then on is."""
        old, incs = self.entries(3, time.time() - 3600, 600, prefix="QOLD")
        self.pd.add_log_entries(old, incidents=incs)
        d = self.daemon()
        started = time.time()
        d.start()
        self.wait_polls(2)
        self.assertIn("poll: first start", d.logs())
        first = dict(self.polls()[0]["query"])
        self.assertGreaterEqual(parse_iso(first["since"]), int(started) - 1)
        self.assertEqual(d.sink_lines(), [])

        new, incs = self.entries(1, time.time(), prefix="QNEW")
        self.pd.add_log_entries(new, incidents=incs)
        got = wait_for(lambda: d.sink_lines(), what="the new entry's trigger")
        self.assertEqual(got[0]["trigger"], "pagerduty.incident.triggered")
        p = got[0]["payload"]
        self.assertEqual(p["event_id"], "QNEW0000000")
        self.assertEqual(p["source"], "poll")
        self.assertIsNone(p["webhook_id"])
        self.assertEqual(p["data"]["id"], "PINC00000")
        self.assertEqual(p["data"]["status"], "triggered")
        self.wait_polls(3)
        self.assertEqual(self.sink_ids(d), ["QNEW0000000"])

    def test_requests_are_the_documented_ones(self):
        """Every poll: since/until, include[]=incidents, is_overview=false, team_ids[], headers."""
        d = self.daemon(team_ids=["PTEAM01", "PTEAM02"])
        d.start()
        self.wait_polls(2)
        for r in self.polls():
            q = r["query"]
            keys = [k for k, _ in q]
            self.assertIn(("include[]", "incidents"), q)
            self.assertIn(("is_overview", "false"), q)
            self.assertIn(("team_ids[]", "PTEAM01"), q)
            self.assertIn(("team_ids[]", "PTEAM02"), q)
            self.assertEqual(keys.count("since"), 1)
            self.assertEqual(keys.count("until"), 1)
            self.assertIsNotNone(parse_iso(dict(q)["since"]))
            self.assertLess(parse_iso(dict(q)["since"]), parse_iso(dict(q)["until"]))
            self.assertEqual(r["headers"]["authorization"], "Token token=" + PD_KEY)
            self.assertEqual(r["headers"]["accept"], "application/vnd.pagerduty+json;version=2")
        # pagerduty.api_url is the only address used (the EU region is a URL, nothing else).
        self.assertTrue(all(r["path"] == "/log_entries" for r in self.pd.requests()))

    def test_pages_and_ties_in_created_at_then_id_order(self):
        """250 entries of one second over three pages: each once, in (created_at, id) order."""
        d = self.daemon()
        self.ran_once(d)
        self.rewind(d, 600)
        same = int(time.time()) - 300
        entries, incs = self.entries(250, same, step=0, incidents=50,
                                     types=("trigger_log_entry", "acknowledge_log_entry",
                                            "annotate_log_entry", "escalate_log_entry",
                                            "resolve_log_entry"))
        entries.reverse()  # added in no helpful order either
        self.pd.add_log_entries(entries, incidents=incs)
        d.start()
        wait_for(lambda: len(d.sink_lines()) >= 250, 120, what="250 triggers")
        self.wait_polls(2)
        ids = self.sink_ids(d)
        self.assertEqual(len(ids), 250)
        self.assertEqual(sorted(ids), ids, "not in (created_at, id) order")
        pages = [dict(r["query"]) for r in self.polls() if dict(r["query"]).get("offset") != "0"]
        self.assertTrue(any(p["offset"] == "200" for p in pages), pages)

    def test_late_entry_is_emitted_once(self):
        """An entry PagerDuty shows after later polls covered its time is still emitted."""
        d = self.daemon()
        d.start()
        self.wait_polls(1)
        late, incs = self.entries(1, time.time(), prefix="QLATE")
        self.pd.add_log_entries(late, hidden=True, incidents=incs)
        created = parse_iso(late[0]["created_at"])
        # Polls whose windows ended past the entry's time, while it was hidden.
        wait_for(lambda: len([r for r in self.polls()
                              if parse_iso(dict(r["query"])["until"]) > created + 1]) >= 2,
                 what="polls past the hidden entry")
        self.assertEqual(d.sink_lines(), [])
        self.pd.reveal([late[0]["id"]])
        wait_for(lambda: d.sink_lines(), what="the late entry's trigger")
        self.wait_polls(3)
        self.assertEqual(self.sink_ids(d), ["QLATE0000000"])

    def test_429_waits_ratelimit_reset(self):
        """429 with ratelimit-reset: waited out, then the entries come."""
        d = self.daemon()
        d.start()
        self.wait_polls(1)
        self.pd.fail_next(2, 429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
                          {"ratelimit-reset": "1"}, method="GET", path="/log_entries")
        new, incs = self.entries(2, time.time(), prefix="Q429")
        self.pd.add_log_entries(new, incidents=incs)
        wait_for(lambda: len(d.sink_lines()) >= 2, what="the triggers after the 429s")
        self.assertEqual(len([r for r in self.polls() if r["status"] == 429]), 2)
        self.wait_polls(2)
        self.assertEqual(sorted(self.sink_ids(d)), ["Q4290000000", "Q4290000001"])
        self.assertNotIn("poll: pass failed", d.logs())

    def test_12000_entries_in_one_window(self):
        """More than the 10,000 offset limit in one window: split, every entry once."""
        d = self.daemon()
        self.ran_once(d)
        self.rewind(d, 7200)
        start = time.time() - 7000
        # 3,000 incidents, each triggered, acknowledged, escalated and resolved.
        kinds = ("trigger_log_entry", "acknowledge_log_entry", "escalate_log_entry",
                 "resolve_log_entry")
        incs = [incident("PINC%05d" % k, number=k + 1) for k in range(3000)]
        entries = [log_entry(kinds[i % 4], incs[i // 4]["id"], int(start + i * 0.55),
                             entry_id="Q%07d" % i) for i in range(12000)]
        self.pd.add_log_entries(entries, incidents=incs)
        d.start()
        wait_for(lambda: len(d.sink_lines()) >= 12000, 600, interval=0.5,
                 what="12,000 triggers")
        wait_for(lambda: "poll: caught up" in d.logs(), what="the caught-up line")
        self.wait_polls(2)
        ids = self.sink_ids(d)
        self.assertEqual(len(ids), 12000)
        self.assertEqual(len(set(ids)), 12000)
        for r in self.polls():
            q = dict(r["query"])
            self.assertLessEqual(int(q["offset"]) + int(q["limit"]), OFFSET_CEILING)
            self.assertNotEqual(r["status"], 400, q)
        self.assertTrue(any(dict(r["query"]).get("total") == "true" for r in self.polls()))
        # Per incident, in order: trigger, acknowledge, escalate, resolve.
        order = collections.defaultdict(list)
        for line in d.sink_lines():
            order[line["payload"]["data"]["id"]].append(line["trigger"])
        self.assertEqual(order["PINC00007"], ["pagerduty.incident.triggered",
                                              "pagerduty.incident.acknowledged",
                                              "pagerduty.incident.escalated",
                                              "pagerduty.incident.resolved"])
        self.assertRegex(d.logs(), r"caught up from \S+ to \S+ .*: \d+ log entries read, "
                                   r"12000 triggers")

    def test_restart_neither_reemits_nor_skips(self):
        """Stopped and started again: what came meanwhile once, nothing before again."""
        d = self.daemon(st2=True)
        d.start()
        self.wait_polls(1)
        before, incs = self.entries(5, time.time(), incidents=5, prefix="QBEFORE")
        self.pd.add_log_entries(before, incidents=incs)
        wait_for(lambda: len(self.st2.triggers()) >= 5, what="5 triggers")
        self.assertEqual(d.stop(), 0)
        during, incs = self.entries(3, time.time(), incidents=3, prefix="QDURING")
        self.pd.add_log_entries(during, incidents=incs)
        d.start()
        wait_for(lambda: len(self.st2.triggers()) >= 8, what="8 triggers")
        self.wait_polls(3)
        ids = [t["payload"]["event_id"] for t in self.st2.triggers()]
        self.assertEqual(sorted(ids), sorted(e["id"] for e in before + during))
        # The overlap read the first five again; the spool knew them.
        self.assertGreaterEqual(d.metric("st2_pagerduty_poll_duplicates_skipped_total"), 5)
        self.assertGreaterEqual(d.metric("st2_pagerduty_poll_triggers_emitted_total"), 3)
        self.assertGreater(d.metric("st2_pagerduty_poll_entries_read_total"), 8)
        self.assertGreater(d.metric("st2_pagerduty_poll_last_success_timestamp_seconds"),
                           time.time() - 60)
        self.assertLess(d.metric("st2_pagerduty_poll_lag_seconds"), 60)

    def test_downtime_catch_up_and_its_bound(self):
        """Back after downtime: from the cursor, never further than backfill_max_s, logged."""
        d = self.daemon(backfill_max_s=3600)
        self.ran_once(d)
        cursor = self.rewind(d, 10000)
        now = time.time()
        too_old, incs1 = self.entries(1, now - 5000, prefix="QTOOOLD")
        within, incs2 = self.entries(1, now - 1000, prefix="QWITHIN")
        self.pd.add_log_entries(too_old + within, incidents=incs1 + incs2)
        d.start()
        wait_for(lambda: d.sink_lines(), what="the entry within the bound")
        self.wait_polls(2)
        self.assertEqual(self.sink_ids(d), ["QWITHIN0000000"])
        logs = d.logs()
        m = re.search(r"warn poll: the last poll was longer ago than poll.backfill_max_s.* "
                      r"cursor=(\S+) behind=\"?2h 46m.* from=(\S+)", logs)
        self.assertIsNotNone(m, logs)
        self.assertEqual(m.group(1), cursor)
        self.assertAlmostEqual(parse_iso(m.group(2)), now - 3600, delta=30)
        self.assertRegex(logs, r"poll: caught up from \S+ to \S+ \(1h 00m \d\ds\)")

    def test_short_downtime_catches_up_from_the_cursor(self):
        """Within backfill_max_s, everything since the cursor, and the log says how far."""
        d = self.daemon()
        self.ran_once(d)
        cursor = self.rewind(d, 1800)
        meanwhile, incs = self.entries(3, time.time() - 1500, step=300, incidents=3,
                                       prefix="QMEAN")
        self.pd.add_log_entries(meanwhile, incidents=incs)
        d.start()
        wait_for(lambda: len(d.sink_lines()) >= 3, what="3 triggers")
        self.assertIn("poll: catching up from the saved cursor from=%s" % cursor, d.logs())
        wait_for(lambda: "poll: caught up from" in d.logs(), what="the caught-up line")

    def test_graceful_stop_abandons_a_slow_poll(self):
        """SIGTERM while PagerDuty takes its time: the daemon stops at once, cleanly."""
        d = self.daemon()
        d.config["pagerduty"]["timeout_ms"] = 120000
        d.write_config()
        d.start()
        self.wait_polls(1)
        self.pd.delay_next(120, n=5, method="GET", path="/log_entries")
        n = len(self.polls())
        wait_for(lambda: len(self.polls()) > n, what="a poll in flight")
        t0 = time.monotonic()
        self.assertEqual(d.stop(timeout=60), 0)
        self.assertLess(time.monotonic() - t0, 20, "the sensor held the stop up")
        self.pd.stop()  # ends the stand-in's sleeping answer

    def test_service_filter_is_applied_here(self):
        """PagerDuty's /log_entries has no service filter: service_ids is applied locally."""
        d = self.daemon(service_ids=["PSVC002"])
        d.start()
        self.wait_polls(1)
        now = int(time.time())
        mine = log_entry("trigger_log_entry", "PINC00002", now, entry_id="QMINE",
                         service_id="PSVC002")
        other = log_entry("trigger_log_entry", "PINC00001", now, entry_id="QOTHER",
                          service_id="PSVC001")
        self.pd.add_log_entries([mine, other], incidents=[
            incident("PINC00001", service_id="PSVC001"),
            incident("PINC00002", service_id="PSVC002")])
        wait_for(lambda: d.sink_lines(), what="the service's trigger")
        self.wait_polls(2)
        self.assertEqual(self.sink_ids(d), ["QMINE"])
        self.assertNotIn("service_ids[]", [k for r in self.polls() for k, _ in r["query"]])

    def test_only_mode_needs_no_secret(self):
        """poll.mode only without webhook.secrets: serve runs, refuses webhooks (401)."""
        d = self.daemon(secrets=False)
        d.start()
        self.wait_polls(1)
        self.assertEqual(d.post_event(make_event())[0], 401)
        self.assertEqual(d.request("GET", "/healthz")[0], 200)
        self.assertIsNotNone(d.metric("st2_pagerduty_poll_lag_seconds"))
        self.assertIn("every webhook is refused (401)", d.logs())
        # Not so for backfill, which needs its webhooks.
        p = run("check-config", "-c", d.config_path, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        d.config["poll"]["mode"] = "backfill"
        d.write_config()
        p = run("check-config", "-c", d.config_path, timeout=60)
        self.assertEqual(p.returncode, 3)
        self.assertIn("webhook.secrets: required by serve", p.stderr)

    def test_old_poll_enabled_key_says_what_replaced_it(self):
        d = self.daemon()
        d.config["poll"] = {"enabled": True}
        d.write_config()
        p = run("serve", "-c", d.config_path, timeout=60)
        self.assertEqual(p.returncode, 3)
        self.assertIn("poll.enabled: replaced by poll.mode", p.stderr)


class BackfillTest(SensorTest):

    def test_same_transition_both_ways_is_one_trigger(self):
        """Webhooks first, the poller fills gaps: each transition reaches st2 once."""
        now = int(time.time())
        d = self.daemon(mode="off", st2=True)
        d.start()
        inc1, inc2, inc3, inc4 = (incident("PX%d" % i) for i in range(1, 5))

        def hook(event_type, inc, at, event_id, note=None):
            ev = make_event(event_type, inc, event_id)
            ev["event"]["occurred_at"] = iso(at).replace("Z", ".%03dZ" % (at % 7 * 100))
            if note is not None:
                ev["event"]["data"]["content"] = note
            status, _, body = d.post_event(ev)
            return status, json.loads(body)["status"]

        # Delivered by webhook while the poller was off.
        self.assertEqual(hook("incident.triggered", "PX1", now - 400, "wh-t1"), (202, "accepted"))
        self.assertEqual(hook("incident.triggered", "PX2", now - 300, "wh-t3"), (202, "accepted"))
        # Two notes in the same second: two transitions, both delivered.
        self.assertEqual(hook("incident.annotated", "PX1", now - 250, "wh-n1", "a"),
                         (202, "accepted"))
        self.assertEqual(hook("incident.annotated", "PX1", now - 250, "wh-n2", "b"),
                         (202, "accepted"))
        wait_for(lambda: len(self.st2.triggers()) >= 4, what="4 webhook triggers")
        self.assertEqual(d.stop(), 0)

        # What PagerDuty's log holds for the same span: the same transitions, one more
        # acknowledgement no webhook brought, and a resolve whose webhook comes late.
        self.pd.add_log_entries([
            log_entry("trigger_log_entry", "PX1", now - 400, entry_id="LT1"),
            log_entry("acknowledge_log_entry", "PX1", now - 350, entry_id="LACK"),
            log_entry("trigger_log_entry", "PX2", now - 300, entry_id="LT3"),
            log_entry("annotate_log_entry", "PX1", now - 250, entry_id="LN1"),
            log_entry("annotate_log_entry", "PX1", now - 250, entry_id="LN2"),
            log_entry("resolve_log_entry", "PX3", now - 200, entry_id="LRES"),
        ], incidents=[inc1, inc2, inc3, inc4])
        d.config["poll"] = {"mode": "backfill", "interval_s": 1, "lag_s": 2}
        d.write_config()
        self.rewind(d, 600)
        d.start()
        wait_for(lambda: len(self.st2.triggers()) >= 6, what="the poller's two triggers")
        # The resolve's webhook, PagerDuty retrying it after the poller emitted it.
        self.assertEqual(hook("incident.resolved", "PX3", now - 200, "wh-res"),
                         (202, "duplicate"))
        # Live: a webhook, then the poller reading the same transition lag_s later.
        live = int(time.time())
        self.assertEqual(hook("incident.acknowledged", "PX4", live, "wh-live"),
                         (202, "accepted"))
        self.pd.add_log_entries([log_entry("acknowledge_log_entry", "PX4", live,
                                           entry_id="LLIVE")])
        wait_for(lambda: any(parse_iso(dict(r["query"])["until"]) > live + 1
                             for r in self.polls()), what="a poll past the live transition")
        self.wait_polls(2)

        got = collections.Counter()
        sources = {}
        for t in self.st2.triggers():
            p = t["payload"]
            at = int(parse_iso(p["occurred_at"]))
            got[(incident_of(t), p["event_type"], at)] += 1
            sources[p["event_id"]] = p["source"]
        self.assertEqual(got, {
            ("PX1", "incident.triggered", now - 400): 1,
            ("PX1", "incident.acknowledged", now - 350): 1,
            ("PX2", "incident.triggered", now - 300): 1,
            ("PX1", "incident.annotated", now - 250): 2,
            ("PX3", "incident.resolved", now - 200): 1,
            ("PX4", "incident.acknowledged", live): 1,
        })
        self.assertEqual(sources["LACK"], "poll")
        self.assertEqual(sources["LRES"], "poll")
        self.assertEqual(sources["wh-live"], "webhook")
        self.assertGreaterEqual(d.metric("st2_pagerduty_poll_duplicates_skipped_total"), 5)
        # The twins are on record in the spool, and say why they were not sent.
        found = json.loads(d.cli("spool", "find", "LT1", "--json").stdout)
        self.assertEqual(found["event"]["state"], "delivered")
        self.assertEqual(found["event"]["source"], "poll")
        self.assertEqual(found["event"]["transition"], "PX1|incident.triggered|%d" % (now - 400))
        self.assertIn("LT1: not sent: a webhook brought the same transition", found["summary"])


class WatchdogTest(SensorTest):

    def checks(self, sub_id=None):
        return [r for r in self.pd.requests("GET")
                if r["path"].startswith("/webhook_subscriptions")
                and (sub_id is None or r["path"].endswith(sub_id))]

    def enables(self):
        return [r for r in self.pd.requests("POST") if r["path"].endswith("/enable")]

    def test_disabled_subscription_is_reported_once_and_reenabled(self):
        self.pd.add_subscription(subscription("PSUB001", "https://hooks.example.com/pd",
                                              temporarily_disabled=True))
        d = self.daemon(mode="backfill", webhook={"subscription_ids": ["PSUB001"],
                                                  "reenable": True})
        d.start()
        wait_for(lambda: self.enables(), what="the enable call")
        self.assertEqual(self.enables()[0]["path"], "/webhook_subscriptions/PSUB001/enable")
        self.assertFalse(self.pd.subscription("PSUB001")["delivery_method"]
                         ["temporarily_disabled"])
        wait_for(lambda: len(self.checks()) >= 2, what="a second check")
        self.assertEqual(d.metric('st2_pagerduty_subscription_active{id="PSUB001"}'), 1)
        logs = d.logs()
        self.assertEqual(logs.count("error watchdog: PagerDuty disabled the webhook "
                                    "subscription"), 1, logs)
        self.assertIn("re-enabled", logs)
        self.assertIn("the poller covers the gap", logs)
        self.assertEqual(len(self.enables()), 1)

    def test_disabled_without_reenable_stays_reported_as_0(self):
        self.pd.add_subscription(subscription("PSUB002", "https://hooks.example.com/pd",
                                              temporarily_disabled=True))
        d = self.daemon(webhook={"subscription_ids": ["PSUB002"]})
        d.start()
        wait_for(lambda: len(self.checks()) >= 2, what="two checks")
        wait_for(lambda: d.metric('st2_pagerduty_subscription_active{id="PSUB002"}') == 0,
                 what="the metric at 0")
        self.assertEqual(d.logs().count("PagerDuty disabled the webhook subscription"), 1)
        self.assertEqual(self.enables(), [])

    def test_switched_off_is_reported_and_never_switched_on(self):
        self.pd.add_subscription(subscription("PSUB003", "https://hooks.example.com/pd",
                                              active=False, temporarily_disabled=True))
        d = self.daemon(webhook={"subscription_ids": ["PSUB003", "PGONE"], "reenable": True})
        d.start()
        wait_for(lambda: len(self.checks("PSUB003")) >= 2, what="two checks")
        wait_for(lambda: d.metric('st2_pagerduty_subscription_active{id="PSUB003"}') == 0,
                 what="the metric at 0")
        logs = d.logs()
        self.assertEqual(logs.count("is switched off (active: false)"), 1, logs)
        self.assertEqual(self.enables(), [])
        # One that does not exist is reported too.
        self.assertEqual(logs.count("subscription not found in PagerDuty subscription=PGONE"),
                         1, logs)
        self.assertEqual(d.metric('st2_pagerduty_subscription_active{id="PGONE"}'), 0)

    def test_found_by_public_url(self):
        url = "https://hooks.example.com/webhooks/pagerduty"
        self.pd.add_subscription(subscription("PSUBMINE", url + "/", temporarily_disabled=True))
        self.pd.add_subscription(subscription("PSUBELSE", "https://elsewhere.example.com/x",
                                              temporarily_disabled=True))
        d = self.daemon(webhook={"public_url": url, "reenable": True})
        d.start()
        wait_for(lambda: self.enables(), what="the enable call")
        wait_for(lambda: len(self.checks()) >= 2, what="two checks")
        self.assertEqual([r["path"] for r in self.enables()],
                         ["/webhook_subscriptions/PSUBMINE/enable"])
        self.assertEqual({r["path"] for r in self.checks()}, {"/webhook_subscriptions"})
        self.assertEqual(d.metric('st2_pagerduty_subscription_active{id="PSUBMINE"}'), 1)
        self.assertIsNone(d.metric('st2_pagerduty_subscription_active{id="PSUBELSE"}'))


class PollOnceTest(SensorTest):

    def run_poll(self, d, *args):
        return run("poll", "--once", "-c", d.config_path, *args)

    def test_poll_once(self):
        d = self.daemon(mode="off")
        entries, incs = self.entries(4, time.time() - 1800, step=60, incidents=2,
                                     types=("trigger_log_entry", "notify_log_entry"))
        self.pd.add_log_entries(entries, incidents=incs)

        # No cursor, no --since: says what to do.
        p = self.run_poll(d)
        self.assertEqual(p.returncode, 2)
        self.assertIn("give --since TIME", p.stderr)

        # --dry-run: the mapping printed, nothing written (no spool at all).
        p = self.run_poll(d, "--since", "1h", "--dry-run")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [json.loads(x) for x in p.stdout.splitlines()]
        self.assertEqual([x["payload"]["event_id"] for x in lines], ["Q0000000", "Q0000002"])
        self.assertEqual({x["trigger"] for x in lines}, {"pagerduty.incident.triggered"})
        self.assertIn("2 without a V3 event", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(d.dir, "spool")))

        # For real: spooled, printed, and found by `spool find`.
        since = iso(time.time() - 3600)
        p = self.run_poll(d, "--since", since)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(p.stdout.splitlines()), 2)
        self.assertEqual(dict(self.polls()[-1]["query"])["since"], since)
        self.assertEqual(d.cli("spool", "find", "Q0000000").returncode, 0)
        # Again: the spool has them; nothing new is printed.
        p = self.run_poll(d, "--since", since)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertIn("2 duplicates", p.stderr)
        # serve delivers what poll spooled.
        d.start()
        wait_for(lambda: len(d.sink_lines()) == 2, what="serve to deliver the two")

    def test_poll_once_errors(self):
        d = self.daemon(mode="off")
        p = run("poll", "-c", d.config_path, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--once is required", p.stderr)
        p = self.run_poll(d, "--since", "last week")
        self.assertEqual(p.returncode, 2)
        self.pd.fail_next(1, 403, {"error": {"message": "Access Denied", "code": 2010}},
                          method="GET", path="/log_entries")
        p = self.run_poll(d, "--since", "1h", "--dry-run")
        self.assertEqual(p.returncode, 5, p.stderr)
        err = json.loads(p.stderr.splitlines()[0])["error"]
        self.assertEqual(err["http_status"], 403)
        self.assertEqual(err["message"], "Access Denied")


if __name__ == "__main__":
    unittest.main()
