"""test_pack.py: `st2-pagerduty pack DIR` writes the pack that is committed
in packaging/pack, byte for byte, so the committed copy cannot drift from the
binary's tables; one trigger file per catalog entry; clear errors.

The binary and the source tree are found by harness.py (ctest sets PD_BIN
and PD_SOURCE_DIR). After changing the tables, regenerate the committed copy with
`build/st2-pagerduty pack packaging/pack`.
"""
import os
import re
import tempfile
import unittest

from harness import SOURCE, run

SOURCE_DIR = SOURCE
COMMITTED = os.path.join(SOURCE_DIR, "packaging", "pack")


def run_pack(*args):
    """Runs `st2-pagerduty pack ARGS`, returns the CompletedProcess."""
    return run("pack", *args, timeout=60)


def tree(root):
    """{relative path: bytes} of every file under root."""
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                files[os.path.relpath(p, root)] = f.read()
    return files


def catalog_names():
    """Event type names of catalog_types[] in triggers/catalog.c, in table order."""
    with open(os.path.join(SOURCE_DIR, "triggers", "catalog.c"), encoding="utf-8") as f:
        src = f.read()
    table = src[src.index("catalog_types[] = {"):]
    table = table[:table.index("\n};")]
    return re.findall(r'^\s*\{"([^"]+)",', table, re.M)


class PackTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="st2pd-pack-")
        self.addCleanup(self.tmp.cleanup)

    def test_matches_committed_pack(self):
        out = os.path.join(self.tmp.name, "pagerduty")
        r = run_pack(out)
        self.assertEqual(r.returncode, 0, r.stderr)
        want, got = tree(COMMITTED), tree(out)
        self.assertEqual(sorted(got), sorted(want),
                         "file set differs from packaging/pack: regenerate it with "
                         "`st2-pagerduty pack packaging/pack`")
        for name in want:
            self.assertEqual(got[name], want[name],
                             "%s differs from packaging/pack: regenerate it" % name)

    def test_rewrite_is_identical(self):
        """A second run over the first gives the same bytes and leaves no temp files."""
        out = os.path.join(self.tmp.name, "a", "b", "pagerduty")  # parents created
        self.assertEqual(run_pack(out).returncode, 0)
        first = tree(out)
        r = run_pack("-c", "/nonexistent/config.yaml", out)  # -c accepted, not needed
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(tree(out), first)
        self.assertFalse([n for n in first if n.endswith(".tmp")])

    def test_one_trigger_per_catalog_entry(self):
        names = catalog_names()
        # 30 documented types, pagey.ping and the generic "event".
        self.assertGreaterEqual(len(names), 32)
        self.assertEqual(names[-1], "event")
        self.assertIn("pagey.ping", names)
        self.assertEqual(len(set(names)), len(names))
        out = os.path.join(self.tmp.name, "pagerduty")
        self.assertEqual(run_pack(out).returncode, 0)
        files = sorted(os.listdir(os.path.join(out, "triggers")))
        self.assertEqual(files, sorted(n.replace(".", "_") + ".yaml" for n in names))
        for n in names:
            with open(os.path.join(out, "triggers", n.replace(".", "_") + ".yaml"),
                      encoding="utf-8") as f:
                lines = f.read().splitlines()
            self.assertEqual(lines[0], "---")
            self.assertIn("name: " + n, lines)
            self.assertIn("pack: pagerduty", lines)
            # Empty, so that st2 creates the shadow trigger /webhooks/st2 needs.
            self.assertIn("parameters_schema: {}", lines)
            self.assertIn("payload_schema:", lines)
            for field in ("event_id", "event_type", "resource_type", "occurred_at",
                          "agent", "client", "data", "webhook_id", "subscription_id",
                          "source"):
                self.assertIn("    %s:" % field, lines, "%s: %s" % (n, field))
        with open(os.path.join(out, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        for n in names:
            self.assertIn("`pagerduty.%s`" % n, readme)
        self.assertIn("trigger.data.urgency:", readme)
        self.assertIn("type: pagerduty.incident.triggered", readme)

    def test_pack_metadata(self):
        out = os.path.join(self.tmp.name, "pagerduty")
        self.assertEqual(run_pack(out).returncode, 0)
        version = run("--version", timeout=60).stdout.split()[-1]
        self.assertRegex(version, r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
        with open(os.path.join(out, "pack.yaml"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertIn("ref: pagerduty", lines)
        self.assertIn("name: pagerduty", lines)
        self.assertIn("version: '%s'" % version, lines)
        self.assertIn("author: st2-pagerduty", lines)
        self.assertTrue(any(l.startswith("description: ") for l in lines))
        self.assertTrue(any(l.startswith("keywords: [") for l in lines))
        with open(os.path.join(out, "config.schema.yaml"), encoding="utf-8") as f:
            schema = f.read()
        # Top-level keys, in order: the original pack's three, then from_email.
        self.assertEqual(re.findall(r"^(\w+):$", schema, re.M),
                         ["api_key", "service_key", "debug", "from_email"])
        api_key = schema[schema.index("api_key:"):schema.index("service_key:")]
        self.assertIn("  required: true\n", api_key)
        self.assertIn("  secret: true\n", api_key)
        service_key = schema[schema.index("service_key:"):schema.index("debug:")]
        self.assertIn("  secret: true\n", service_key)
        debug = schema[schema.index("debug:"):schema.index("from_email:")]
        self.assertIn("  type: boolean\n", debug)
        self.assertIn("  default: false\n", debug)

    def test_target_is_a_file(self):
        target = os.path.join(self.tmp.name, "file")
        with open(target, "w", encoding="utf-8") as f:
            f.write("not a directory\n")
        r = run_pack(target)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(target, r.stderr)
        self.assertIn("Not a directory", r.stderr)
        with open(target, encoding="utf-8") as f:
            self.assertEqual(f.read(), "not a directory\n")
        # Below a file: cannot be created either.
        r = run_pack(os.path.join(target, "pagerduty"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Not a directory", r.stderr)

    def test_triggers_is_a_file(self):
        """Nothing is written when a directory of the pack cannot be made."""
        out = os.path.join(self.tmp.name, "pagerduty")
        os.mkdir(out)
        with open(os.path.join(out, "triggers"), "w", encoding="utf-8"):
            pass
        r = run_pack(out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(os.path.join(out, "triggers"), r.stderr)
        self.assertEqual(os.listdir(out), ["triggers"])

    def test_usage(self):
        for args in ([], ["a", "b"], ["-x", "dir"]):
            r = run_pack(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn("usage: st2-pagerduty pack", r.stderr)


if __name__ == "__main__":
    unittest.main()
