#!/usr/bin/env python3
"""patch_spec.py: make PagerDuty's official OpenAPI files servable by Prism
the way the real API behaves, for the conformance test.

Reads $PD_SHARED_DIR/specs/pagerduty/REST/openapiv3.json and
events-v2/openapiv3.json (never copied into the repository) and writes
patched copies into OUT_DIR (a temporary directory of the test run):

    patch_spec.py [--shared DIR] OUT_DIR
    -> OUT_DIR/rest.json, OUT_DIR/events-v2.json; prints one line per patch.

The patches, each needed for a request PagerDuty accepts to be accepted by
Prism too, and nothing else changed:

1. Response media type. PagerDuty requires
   `Accept: application/vnd.pagerduty+json;version=2` on REST calls, but the
   spec lists only `application/json` for its responses, so Prism answers
   406 to a correct client. Every response (in paths and in
   components.responses) that lists application/json also lists the
   vendor type, with the same schema and examples.
2. Server base path. The Events v2 spec's server is
   https://events.pagerduty.com/v2 and its paths are /enqueue and
   /change/enqueue; Prism routes on the paths alone, while a client
   configured with events_url https://events.pagerduty.com sends
   /v2/enqueue. The path of the first server URL is prefixed to every path
   (the REST server has no path, so nothing changes there).

Prism 5.14 loads both files otherwise unchanged (the $ref into
#/components/responses/.../application~1json/schema still resolves, since
application/json is kept), so nothing else is patched.
"""

import argparse
import copy
import json
import os
import sys
import urllib.parse

VENDOR = "application/vnd.pagerduty+json;version=2"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def add_vendor_type(response):
    """Lists the vendor media type beside application/json; True if added."""
    content = response.get("content") if isinstance(response, dict) else None
    if not content or "application/json" not in content or VENDOR in content:
        return False
    content[VENDOR] = copy.deepcopy(content["application/json"])
    return True


def patch_media_types(spec):
    """Patch 1 over every operation's responses and the shared responses."""
    n = 0
    for item in spec.get("paths", {}).values():
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                for response in op.get("responses", {}).values():
                    n += add_vendor_type(response)
    for response in spec.get("components", {}).get("responses", {}).values():
        n += add_vendor_type(response)
    return n


def patch_base_path(spec):
    """Patch 2: moves the first server's URL path into every path; returns it."""
    servers = spec.get("servers") or []
    if not servers:
        return ""
    base = urllib.parse.urlsplit(servers[0].get("url", "")).path.rstrip("/")
    if not base:
        return ""
    spec["paths"] = {base + p: item for p, item in spec["paths"].items()}
    for server in servers:
        parts = urllib.parse.urlsplit(server["url"])
        server["url"] = urllib.parse.urlunsplit(parts._replace(path=""))
    return base


def patch_file(src, dst, name):
    """Reads src, applies every patch, writes dst; returns report lines."""
    with open(src, encoding="utf-8") as f:
        spec = json.load(f)
    lines = []
    n = patch_media_types(spec)
    lines.append("%s: %s added beside application/json in %d responses" % (name, VENDOR, n))
    base = patch_base_path(spec)
    if base:
        lines.append("%s: server base path %s prefixed to %d paths" %
                     (name, base, len(spec["paths"])))
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(spec, f)
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default=os.environ.get("PD_SHARED_DIR"),
                    help="the shared/ directory (default: $PD_SHARED_DIR)")
    ap.add_argument("out_dir")
    args = ap.parse_args(argv)
    if not args.shared:
        ap.error("no --shared and no PD_SHARED_DIR")
    specs = os.path.join(args.shared, "specs", "pagerduty")
    os.makedirs(args.out_dir, exist_ok=True)
    for sub, out in (("REST", "rest.json"), ("events-v2", "events-v2.json")):
        src = os.path.join(specs, sub, "openapiv3.json")
        if not os.path.exists(src):
            print("patch_spec.py: %s is missing" % src, file=sys.stderr)
            return 1
        for line in patch_file(src, os.path.join(args.out_dir, out), sub):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
