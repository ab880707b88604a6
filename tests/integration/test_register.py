"""test_register.py: `st2-pagerduty register` against the StackStorm
stand-in: creates every trigger type, is idempotent, updates exactly what
changed, and fails clearly (and before any request when it can) on missing
credentials, a wrong key, or an unreachable st2.

The binary is found by harness.py (PD_BIN, set by ctest).
"""

import glob
import json
import os
import re
import shutil
import tempfile
import unittest

from harness import run
from st2_standin import St2StandIn

KEY = "register-test-key"
# Exit statuses of common/error.c's table: pd_err_exit(PD_ERR_CONFIG),
# pd_err_exit(PD_ERR_ST2_AUTH) and pd_err_exit(PD_ERR_NETWORK).
EXIT_CONFIG, EXIT_ST2_AUTH, EXIT_NETWORK = 3, 5, 6
LINE = re.compile(r"^(pagerduty\.\S+): (created|updated|unchanged|failed)$")


def results(stdout):
    """{"pagerduty.x": "created", ...} from register's per-type lines."""
    out = {}
    for line in stdout.splitlines():
        m = LINE.match(line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


class TestRegister(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The number of trigger types, from the pack the binary writes.
        pack = tempfile.mkdtemp(prefix="pd-register-pack-")
        try:
            proc = run("pack", pack)
            if proc.returncode != 0:
                raise AssertionError("pack failed: %s" % proc.stderr)
            cls.ntypes = len(glob.glob(os.path.join(pack, "triggers", "*.yaml")))
        finally:
            shutil.rmtree(pack)
        if cls.ntypes == 0:
            raise AssertionError("pack wrote no triggers/*.yaml")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pd-register-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.st2 = St2StandIn(api_key=KEY).start()
        self.addCleanup(self.st2.stop)

    def config(self, api_url=None, api_key=KEY):
        """Writes a config for the stand-in and returns its path."""
        lines = ["st2:", '  api_url: "%s"' % (api_url or self.st2.url)]
        if api_key is not None:
            lines.append('  api_key: "%s"' % api_key)
        lines += ["webhook:", '  secrets: ["x"]', "spool:",
                  '  path: "%s"' % os.path.join(self.tmp, "spool")]
        path = os.path.join(self.tmp, "config.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def register(self, *extra, **kw):
        return run("register", "-c", self.config(**kw), *extra)

    def summary(self, created=0, updated=0, unchanged=0, failed=0):
        return ("register: %d trigger types: %d created, %d updated, %d unchanged, %d failed"
                % (self.ntypes, created, updated, unchanged, failed))

    def test_first_run_creates_every_type(self):
        proc = self.register()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        got = results(proc.stdout)
        self.assertEqual(len(got), self.ntypes, proc.stdout)
        self.assertEqual(set(got.values()), {"created"})
        self.assertIn(self.summary(created=self.ntypes), proc.stdout)

        stored = self.st2.trigger_types()
        self.assertEqual(set(stored), set(got))
        for ref, t in stored.items():
            self.assertEqual(t["pack"], "pagerduty", ref)
            self.assertTrue(t.get("description"), ref)
            # Empty, so that st2 creates the shadow trigger /webhooks/st2 dispatches to.
            self.assertEqual(t["parameters_schema"], {}, ref)
            schema = t["payload_schema"]
            self.assertIsInstance(schema, dict, ref)
            self.assertEqual(schema.get("type"), "object", ref)
            required = {k for k, v in schema.get("properties", {}).items()
                        if isinstance(v, dict) and v.get("required") is True}
            self.assertTrue({"event_id", "event_type", "data"} <= required, (ref, required))

    def test_second_run_changes_nothing(self):
        self.assertEqual(self.register().returncode, 0)
        self.st2.request_log.clear()
        proc = self.register()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        got = results(proc.stdout)
        self.assertEqual((len(got), set(got.values())), (self.ntypes, {"unchanged"}))
        self.assertIn(self.summary(unchanged=self.ntypes), proc.stdout)
        # Every POST was a 409 and nothing was written.
        methods = {(r["method"], r["status"]) for r in self.st2.request_log}
        self.assertEqual(methods, {("POST", 409), ("GET", 200)})

    def test_changed_type_is_updated_alone(self):
        self.assertEqual(self.register().returncode, 0)
        original = self.st2.trigger_types()
        refs = sorted(original)
        described, schemed = refs[0], refs[-1]
        self.st2.preregister([dict(original[described], description="edited by hand")])
        schema = dict(original[schemed]["payload_schema"], additionalProperties=False)
        self.st2.preregister([dict(original[schemed], payload_schema=schema)])

        proc = self.register()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        got = results(proc.stdout)
        self.assertEqual({r for r, v in got.items() if v == "updated"}, {described, schemed})
        self.assertEqual(sum(v == "unchanged" for v in got.values()), self.ntypes - 2)
        self.assertIn(self.summary(updated=2, unchanged=self.ntypes - 2), proc.stdout)
        self.assertEqual(self.st2.trigger_types(), original)

    def test_api_url_with_api_prefix_and_slash(self):
        proc = self.register(api_url=self.st2.url + "/api/")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(self.st2.trigger_types()), self.ntypes)
        self.assertTrue(all(r["path"].startswith("/api/v1/triggertypes")
                            for r in self.st2.request_log))

    def test_no_credentials_fails_before_any_request(self):
        path = self.config(api_key=None)
        for args in (["check-config", "-c", path], ["register", "-c", path]):
            proc = run(*args)
            self.assertEqual(proc.returncode, EXIT_CONFIG, (args, proc.stdout, proc.stderr))
            self.assertIn("st2.api_key", proc.stderr, args)
        self.assertEqual(self.st2.request_log, [])

    def test_wrong_key_reports_401(self):
        proc = self.register(api_key="not-the-key")
        self.assertEqual(proc.returncode, EXIT_ST2_AUTH, proc.stdout + proc.stderr)
        self.assertIn("st2 401", proc.stderr)
        self.assertIn("Unauthorized", proc.stderr)
        self.assertIn("failed", results(proc.stdout).values())
        self.assertIn(self.summary(failed=self.ntypes), proc.stdout)
        self.assertEqual(self.st2.trigger_types(), {})

    def test_st2_down_is_a_network_error(self):
        url = self.st2.url
        self.st2.down()
        proc = self.register(api_url=url)
        self.assertEqual(proc.returncode, EXIT_NETWORK, proc.stdout + proc.stderr)
        self.assertIn("network error", proc.stderr)
        self.assertIn(self.summary(failed=self.ntypes), proc.stdout)

    def test_dry_run_sends_nothing(self):
        proc = run("register", "--dry-run")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        bodies = json.loads(proc.stdout)
        self.assertEqual(len(bodies), self.ntypes)
        for b in bodies:
            self.assertEqual(set(b), {"name", "pack", "description", "payload_schema",
                                      "parameters_schema"})
        self.assertEqual(self.st2.request_log, [])


if __name__ == "__main__":
    unittest.main()
