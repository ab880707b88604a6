"""test_hardening.py: the receiver against a hostile client.

The real `st2-pagerduty serve` on loopback, sent what anyone on the internet
can send: the signed body that crashed it, connections that stop halfway or
trickle a byte at a time, more unverified bytes than it should hold, more
connections than it has descriptors, malformed HTTP, forged log lines, and a
signal before it is ready. Each case checks the answer and that the daemon
goes on serving everyone else. No case depends on timing: waits poll for a
condition until a generous deadline, and a time is only ever a lower bound.
"""

import json
import re
import resource
import select
import signal
import socket
import time
import unittest

from harness import DaemonCase, make_event, sign, wait_for


def raw_request(port, data, timeout=30):
    """Sends bytes on a new connection; returns (status, headers, body) of the answer.

    The answer ends at its Content-Length, or where the server closes.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        while True:
            if b"\r\n\r\n" in got:
                status, headers, body = parse_answer(got)
                if len(body) >= int(headers.get("content-length", "-1")) >= 0:
                    return status, headers, body
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    return parse_answer(got)


def parse_answer(got):
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def signed_request(body, host=True, extra=b""):
    """A signed POST as raw bytes."""
    return (b"POST /webhooks/pagerduty HTTP/1.1\r\n" + (b"Host: t\r\n" if host else b"") +
            b"Content-Type: application/json\r\nX-PagerDuty-Signature: " +
            sign(body).encode() + b"\r\n" + extra + b"Content-Length: " +
            str(len(body)).encode() + b"\r\n\r\n" + body)


class HardeningTest(DaemonCase):

    def daemon(self, start=True, **overrides):
        d = self.new_daemon(**overrides)
        return d.start() if start else d

    def assert_serves(self, d):
        """A normal signed event is still answered 202 and emitted."""
        ev = make_event()
        self.assertEqual(d.post_event(ev)[0], 202)
        wait_for(lambda: ev["event"]["id"] in [l["payload"]["event_id"] for l in d.sink_lines()],
                 what="the event in the sink")

    # -- one signed request -----------------------------------------------------

    def test_the_body_that_crashed_the_daemon(self):
        d = self.daemon()
        for rtype in ('""', '"\\u0000"'):
            body = ('{"event":{"id":"crash-%d","event_type":"incident.triggered",'
                    '"resource_type":%s,"occurred_at":"2026-01-01T00:00:00Z",'
                    '"data":{"id":"PX1","type":"service"}}}' % (len(rtype), rtype)).encode()
            self.assertEqual(d.post_event(body)[0], 202)
        self.assert_serves(d)
        lines = d.sink_lines()
        self.assertEqual([l["payload"]["resource_type"] for l in lines[:2]], ["", "\u0000"])

    def test_same_answer_whatever_the_whitespace(self):
        # Compact and pretty-printed forms of one event: the same answer, the same payload.
        d = self.daemon()
        cases = [('"x\\u0000y"', 202), ('"\\ud83d\\udd25"', 202), ('"\\ud83d"', 400),
                 (b'"\xc0\xaf"', 400), (b'"\xed\xa0\x80"', 400), ("[" * 70 + "]" * 70, 400)]
        for n, (value, want) in enumerate(cases):
            value = value if isinstance(value, bytes) else value.encode()
            for pretty in (False, True):
                sep = b",\n    " if pretty else b","
                body = (b'{"event":{"id":"ws-%d-%d"' % (n, pretty) + sep +
                        b'"event_type":"incident.triggered"' + sep +
                        b'"occurred_at":"2026-01-01T00:00:00Z"' + sep +
                        b'"data":{"id":"PWS","type":"incident"' + sep + b'"x":' + value +
                        b"}}}")
                status, _, answer = d.post_event(body)
                self.assertEqual(status, want, (value, pretty, answer))
        wait_for(lambda: len(d.sink_lines()) == 4, what="4 accepted events")
        payloads = [l["payload"] for l in d.sink_lines()]
        for a, b in zip(payloads[0::2], payloads[1::2]):
            self.assertEqual(a["data"], b["data"])

    def test_every_signature_header_is_read(self):
        d = self.daemon()
        body = json.dumps(make_event()).encode()
        wrong = "v1=" + "0" * 64
        status, _, _ = raw_request(d.port, signed_request(
            body, extra=b"X-PagerDuty-Signature: " + wrong.encode() + b"\r\n"))
        self.assertEqual(status, 202)

    def test_log_lines_cannot_be_forged(self):
        d = self.daemon()
        forged = "inj-1\n2026-01-01T00:00:00Z error forged line \x1b[2J"
        self.assertEqual(d.post_event(make_event(event_id=forged))[0], 202)
        wait_for(lambda: "inj-1" in d.logs(), what="the request's log line")
        logs = d.logs()
        self.assertNotIn("\n2026-01-01T00:00:00Z error forged", logs)
        self.assertNotIn("\x1b", logs)
        self.assertIn('event_id="inj-1\\n2026-01-01T00:00:00Z error forged line \\x1b[2J"', logs)

    # -- HTTP itself ---------------------------------------------------------------

    def test_evhttp_errors_are_json_and_counted(self):
        d = self.daemon()
        before = d.metric('st2_pagerduty_webhooks_received_total{result="bad_request"}')
        status, headers, body = raw_request(d.port, b"GARBAGE\r\n\r\n")
        self.assertEqual(status, 400)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(json.loads(body)["error"]["code"], "bad_http_request")
        status, headers, body = raw_request(
            d.port, b"POST /webhooks/pagerduty HTTP/1.1\r\nHost: t\r\n"
                    b"Content-Length: 99999999\r\n\r\n")
        self.assertEqual(status, 413)
        self.assertEqual(json.loads(body)["error"]["code"], "body_too_large")
        after = d.metric('st2_pagerduty_webhooks_received_total{result="bad_request"}')
        self.assertEqual(after - before, 2)
        self.assert_serves(d)

    def test_http11_without_host_is_refused(self):
        d = self.daemon()
        status, _, body = raw_request(d.port, b"GET /healthz HTTP/1.1\r\n\r\n")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["error"]["code"], "bad_http_request")
        status, _, _ = raw_request(d.port, signed_request(b"{}", host=False))
        self.assertEqual(status, 400)
        # HTTP/1.0 has no Host rule.
        status, _, body = raw_request(d.port, b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertEqual((status, body), (200, b"ok\n"))

    # -- what a client can make the daemon hold ------------------------------------

    def test_slow_clients_are_cut_off(self):
        # Each byte used to restart evhttp's timer: one a second kept a connection forever.
        limit = 1.5
        d = self.daemon(webhook={"request_timeout_ms": int(limit * 1000)})
        header = b"POST /webhooks/pagerduty HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 200
        body = json.dumps(make_event()).encode()
        slow_body = signed_request(body)[:-len(body) + 5]  # whole headers, 5 body bytes
        conns = []
        for i in range(40):
            s = socket.create_connection(("127.0.0.1", d.port), timeout=30)
            s.setblocking(False)
            conns.append({"sock": s, "opened": time.monotonic(), "closed": None,
                          "data": header if i % 2 == 0 else slow_body, "sent": 0})
        deadline = time.monotonic() + 60
        while any(c["closed"] is None for c in conns) and time.monotonic() < deadline:
            for c in conns:
                if c["closed"] is not None:
                    continue
                try:
                    if c["sent"] < len(c["data"]):
                        c["sent"] += c["sock"].send(c["data"][c["sent"]:c["sent"] + 1])
                    r, _, _ = select.select([c["sock"]], [], [], 0)
                    if r and c["sock"].recv(4096) == b"":
                        c["closed"] = time.monotonic()
                except (ConnectionError, OSError):
                    c["closed"] = time.monotonic()
            time.sleep(0.1)
        for c in conns:
            c["sock"].close()
        self.assertTrue(all(c["closed"] is not None for c in conns),
                        "%d of 40 trickling connections still open after 60 s"
                        % sum(c["closed"] is None for c in conns))
        self.assertTrue(all(c["closed"] - c["opened"] >= limit - 0.1 for c in conns))
        self.assertGreaterEqual(
            d.metric('st2_pagerduty_connections_refused_total{reason="request_timeout"}'), 40)
        self.assert_serves(d)

    def test_unverified_bytes_beyond_the_cap_get_503(self):
        cap = 1 << 20
        d = self.daemon(webhook={"max_unverified_bytes": cap, "request_timeout_ms": 60000})
        # Four requests that stop short of their body fill the budget almost to the cap.
        holders, held = [], 0
        for i in range(4):
            head = (b"POST /webhooks/pagerduty HTTP/1.1\r\nHost: t\r\n"
                    b"Content-Length: 262144\r\n\r\n")
            part = head + b"x" * (cap // 4 - len(head) - 256)
            s = socket.create_connection(("127.0.0.1", d.port), timeout=30)
            s.sendall(part)
            holders.append(s)
            held += len(part)
        wait_for(lambda: d.metric("st2_pagerduty_unverified_bytes") == held,
                 what="every held byte counted")
        # The next request's headers alone pass the cap: 503, Retry-After, JSON, never 4xx.
        status, headers, body = raw_request(d.port, signed_request(
            b"{}", extra=b"X-Pad: " + b"p" * 4096 + b"\r\n"))
        self.assertEqual(status, 503)
        self.assertIn("retry-after", headers)
        self.assertEqual(json.loads(body)["error"]["code"], "overloaded")
        self.assertGreaterEqual(
            d.metric('st2_pagerduty_connections_refused_total{reason="max_unverified_bytes"}'), 1)
        self.assertLessEqual(d.metric("st2_pagerduty_unverified_bytes"), cap)
        # Their bytes leave the budget when they go; then everyone is served again.
        for s in holders:
            s.close()
        wait_for(lambda: d.metric("st2_pagerduty_unverified_bytes") == 0,
                 what="the budget to empty")
        self.assert_serves(d)

    def test_max_connections_leaves_the_rest_in_the_backlog(self):
        d = self.daemon(webhook={"max_connections": 20, "request_timeout_ms": 1500})
        conns = [socket.create_connection(("127.0.0.1", d.port), timeout=30) for _ in range(30)]
        wait_for(lambda: (d.metric("st2_pagerduty_max_connections_reached_total") or 0) >= 1,
                 what="max_connections to be reached")
        # Open never passes the limit (the scrape itself may be the 20th)...
        self.assertLessEqual(d.metric("st2_pagerduty_connections_open"), 20)
        # ...and once the idle ones are cut off, the backlog is served: all 30, then us.
        wait_for(lambda: (d.metric('st2_pagerduty_connections_refused_total'
                                   '{reason="request_timeout"}') or 0) >= 30,
                 what="every idle connection, accepted in turn, to time out")
        for s in conns:
            s.close()
        self.assert_serves(d)

    def test_at_the_descriptor_limit_no_busy_loop_and_no_log_flood(self):
        # With 200 descriptors and 300 stalled connections, accept() failed with
        # EMFILE in a busy loop that logged 250 MB in 6 s.
        def limit_fds():
            resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))

        d = self.daemon(start=False, webhook={"request_timeout_ms": 1500})
        d.start(preexec_fn=limit_fds)
        start = time.monotonic()
        conns = []
        for _ in range(300):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", d.port))
            conns.append(s)
        # Each sends one header line and stops; the kernel queues what was not accepted.
        for s in conns:
            try:
                s.send(b"POST /webhooks/pagerduty HTTP/1.1\r\n")
            except OSError:
                pass
        wait_for(lambda: (d.metric("st2_pagerduty_accept_pauses_total") or 0) >= 1,
                 what="accept to pause at the descriptor limit")
        self.assert_serves(d)
        for s in conns:
            s.close()
        elapsed = time.monotonic() - start
        logs = d.logs()
        self.assertNotIn("Error from accept", logs)
        self.assertLess(len(logs), 200000)
        # The first pause at once, then at most one summary line per 10 s.
        limited = logs.count("webhook: connections limited")
        self.assertLessEqual(limited, 2 + int(elapsed / 10))

    # -- signals -------------------------------------------------------------------

    def test_signals_before_ready_wait_instead_of_killing(self):
        # A SIGHUP between the start and the handlers (`systemctl reload` right
        # after start) killed the daemon. Serve blocks its signals first thing;
        # from then on, every SIGHUP sent until it listens must be handled.
        d = self.daemon(start=False)
        d.start(wait=False)

        def blocked():
            try:
                with open("/proc/%d/status" % d.proc.pid) as f:
                    m = re.search(r"^SigBlk:\s*([0-9a-f]+)", f.read(), re.M)
                return m and int(m.group(1), 16) & (1 << (signal.SIGHUP - 1))
            except FileNotFoundError:
                return False

        wait_for(lambda: blocked() or d.proc.poll() is not None, interval=0.001,
                 what="serve to block its signals")
        sent = 0
        while "listening" not in d.logs() and d.proc.poll() is None:
            d.proc.send_signal(signal.SIGHUP)
            sent += 1
            time.sleep(0.002)
        d.proc.send_signal(signal.SIGHUP)
        self.assertIsNone(d.proc.poll(), "serve died of an early SIGHUP:\n" + d.logs())
        self.assertGreater(sent, 0)
        wait_for(lambda: "reloaded" in d.logs(), what="a SIGHUP handled as a reload")
        d.wait_listening()
        self.assert_serves(d)


if __name__ == "__main__":
    unittest.main()
