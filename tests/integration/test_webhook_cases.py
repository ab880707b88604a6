"""test_webhook_cases.py: every case file of tests/data/webhook through the real daemon.

Each case's body is POSTed to `serve` as PagerDuty would (signed, with the
case's headers); the answer must be the case's status, and for 202 the
trigger in the sink file must be the case's trigger and payload, member for
member and in order. unit/test_webhook_cases.c runs the same files through
payload_from_webhook; a new case is a new file, no code.
"""
import json
import os
import unittest

from harness import SOURCE, DaemonCase, sign, wait_for

CASES = os.path.join(SOURCE, "tests", "data", "webhook")


def load_case(path):
    """{section: text} of a case file: lines after "--- NAME" up to the next "--- " line,
    without the newline before it."""
    sections, name, lines = {}, None, []
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if line.startswith("--- "):
                if name is not None:
                    sections[name] = "\n".join(lines)
                name, lines = line[4:], []
            elif name is not None:
                lines.append(line)
    if name is not None:
        sections[name] = "\n".join(lines).rstrip("\n")
    return sections


class WebhookCasesTest(DaemonCase):

    def test_every_case(self):
        files = sorted(f for f in os.listdir(CASES) if f.endswith(".case"))
        self.assertGreaterEqual(len(files), 10)
        d = self.new_daemon().start()
        for name in files:
            with self.subTest(case=name):
                case = load_case(os.path.join(CASES, name))
                body = case["body"].encode()
                headers = {"Content-Type": "application/json",
                           "User-Agent": "PagerDuty-Webhook/V3.0",
                           "X-PagerDuty-Signature": sign(body)}
                for line in case.get("headers", "").splitlines():
                    k, _, v = line.partition(":")
                    headers[k.strip()] = v.strip()
                status, _, answer = d.request("POST", d.config["webhook"]["path"], body,
                                              headers)
                self.assertEqual(status, int(case["status"]), answer)
                if status != 202:
                    continue
                want = json.loads(case["payload"])
                line = wait_for(lambda: next((l for l in d.sink_lines()
                                              if l["payload"]["event_id"] == want["event_id"]),
                                             None), what="the trigger of " + name)
                self.assertEqual(line["trigger"], case["trigger"])
                # Member for member, in order: compare the serialised forms.
                self.assertEqual(json.dumps(line["payload"]), json.dumps(want))
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
