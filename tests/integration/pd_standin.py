"""pd_standin.py: a PagerDuty REST API v2 + Events API v2 stand-in for tests
and benchmarks of `st2-pagerduty run`.

It answers the way PagerDuty does where the client's behaviour depends on it
(pagerduty-api.md 3-4): `Authorization: Token token=KEY` or 401 code 2006;
the From header on the 13 operations that require it, or 400; classic
offset pagination (limit default 25, at most 100, `more`, `total` only with
total=true, 400 code 2002 past offset+limit 10000); cursor pagination
(`cursor` in, `next_cursor` out) on .../audit/records; wrapped entities;
Events v2 /v2/enqueue and /v2/change/enqueue with PagerDuty's checks and its
{"status","message","errors"} error body. Any other REST path gets a
generic answer: an odd number of path segments is a collection (GET lists
it, POST creates in it), an even number is one item (GET, PUT, DELETE).

Scripting, for behaviour tests: script()/fail_next() queue canned answers
(status, body, headers, delay) for the next matching requests, e.g. a 429
with or without ratelimit-reset, 500 twice, a slow answer for a timeout;
seed() fills a collection. Every request is recorded (method, path, query
as a list of pairs, headers, body) in request_log, so tests assert exactly
what was sent. Another process (a benchmark) uses the same controls over
HTTP under /_standin/ (no auth there). Python stdlib only.

    python3 pd_standin.py --port 0 --api-key KEY
    -> prints "listening on 127.0.0.1:PORT" and serves until killed.
"""

import argparse
import copy
import json
import signal
import sys
import threading
import urllib.parse
import uuid

from standin_http import StandInHandler, StandInServer

PAGE_DEFAULT = 25
PAGE_MAX = 100
OFFSET_CEILING = 10000
# Operations whose spec marks From as required (pagerduty-api.md 4.1).
FROM_REQUIRED = [
    ("POST", ["incidents"]), ("PUT", ["incidents"]), ("PUT", ["incidents", None]),
    ("PUT", ["incidents", None, "alerts"]), ("PUT", ["incidents", None, "alerts", None]),
    ("PUT", ["incidents", None, "merge"]), ("POST", ["incidents", None, "notes"]),
    ("PUT", ["incidents", None, "notes", None]), ("POST", ["incidents", None, "snooze"]),
    ("POST", ["incidents", None, "status_updates"]), ("PUT", ["log_entries", None, "channel"]),
    ("POST", ["maintenance_windows"]), ("POST", ["users"]),
]
# Collections paged by cursor rather than offset (the last path segment):
# every .../audit/records; tests may add more to PdStandIn.cursor_collections.
CURSOR_COLLECTIONS = ("records",)


def singular(collection):
    """The wrapped-entity key of one item: incidents -> incident."""
    if collection.endswith("ies"):
        return collection[:-3] + "y"
    if collection.endswith("s"):
        return collection[:-1]
    return collection


def rest_error(status, message, code, errors=None):
    """(status, PagerDuty REST error body)."""
    body = {"error": {"message": message, "code": code}}
    if errors:
        body["error"]["errors"] = errors
    return status, body


class _Handler(StandInHandler):
    server_version = "pd-standin"


class PdStandIn:
    """The stand-in: start() it, point pagerduty.api_url and events_url at .url."""

    def __init__(self, api_key="standin-api-key", port=0):
        self.api_key = api_key
        self.host = "127.0.0.1"
        self.port = port
        self.request_log = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._script = []       # [{"method", "path", "status", "body", "headers", "delay"}]
        self._collections = {}  # last path segment -> list of items
        self.cursor_collections = set(CURSOR_COLLECTIONS)
        self._next_id = 1
        self._server = None
        self._thread = None

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    # -- lifecycle -----------------------------------------------------------

    def start(self):
        self._stopping.clear()
        self._server = StandInServer((self.host, self.port), self, _Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="pd-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops listening; scripted delays still sleeping end at once."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- controls ------------------------------------------------------------

    def script(self, answers, method=None, path=None):
        """Queues answers for the next requests matching method and path (None: any).

        Each answer is a dict: status (default 200), body (JSON value, bytes,
        or None for none), headers (dict), delay (seconds before answering).
        An answer with "pass": True lets the request through to the normal
        handling after its delay.
        """
        with self._lock:
            for a in answers:
                entry = dict(a)
                entry["method"], entry["match"] = method, path
                self._script.append(entry)

    def fail_next(self, n, status, body=None, headers=None, method=None, path=None):
        """The next n matching requests answer status (with body and headers)."""
        self.script([{"status": status, "body": body, "headers": headers or {}}] * n,
                    method, path)

    def delay_next(self, seconds, n=1, method=None, path=None):
        """The next n matching requests are answered normally, after seconds."""
        self.script([{"pass": True, "delay": seconds}] * n, method, path)

    def seed(self, collection, n, **fields):
        """Fills a collection (by its last path segment) with n items; returns them."""
        with self._lock:
            items = [self._make_item(collection, i, fields) for i in range(n)]
            self._collections[collection] = items
            return copy.deepcopy(items)

    def requests(self, method=None, path=None):
        """Recorded requests, optionally only those with this method and path."""
        with self._lock:
            return [copy.deepcopy(r) for r in self.request_log
                    if (method is None or r["method"] == method)
                    and (path is None or r["path"] == path)]

    def clear(self):
        """Forgets the request log, queued answers and seeded collections."""
        with self._lock:
            self.request_log.clear()
            self._script.clear()
            self._collections.clear()

    # -- internals -----------------------------------------------------------

    def _make_item(self, collection, i, fields):
        kind = singular(collection)
        item_id = "P%s%05d" % (kind[:3].upper(), i + 1)
        item = {"id": item_id, "type": kind, "summary": "%s %d" % (kind, i + 1),
                "self": "https://api.pagerduty.com/%s/%s" % (collection, item_id)}
        item.update(fields)
        return item

    def _new_id(self):
        with self._lock:
            self._next_id += 1
            return "PNEW%04d" % self._next_id

    def _scripted(self, method, path):
        """The first queued answer matching the request, removed from the queue."""
        with self._lock:
            for i, a in enumerate(self._script):
                if (a["method"] in (None, method)) and (a["match"] in (None, path)):
                    return self._script.pop(i)
        return None

    def _handle(self, h, method):
        """Reads the request, records it, answers exactly once."""
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length > 0 else b""
        parts = urllib.parse.urlsplit(h.path)
        path = parts.path
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in h.headers.items()}
        record = {"method": method, "path": path, "query": query, "headers": headers,
                  "body": body, "raw": raw.decode("utf-8", "replace"), "status": None}
        extra = {}
        if path.startswith("/_standin/"):
            status, answer = self._control(method, path[len("/_standin/"):], body)
        else:
            with self._lock:
                self.request_log.append(record)
            scripted = self._scripted(method, path)
            if scripted is not None and scripted.get("delay"):
                if self._stopping.wait(scripted["delay"]):
                    return
            if scripted is not None and not scripted.get("pass"):
                status = scripted.get("status", 200)
                answer = scripted.get("body")
                extra = scripted.get("headers") or {}
            else:
                try:
                    status, answer = self._route(method, path, query, headers, body, raw)
                except Exception as e:  # a stand-in bug must show, not hang the client
                    status, answer = 500, {"error": {"message": "stand-in: %r" % e, "code": 0}}
            with self._lock:
                record["status"] = status
        if isinstance(answer, bytes):
            data = answer
        elif answer is None:
            data = b""
        else:
            data = json.dumps(answer).encode()
        try:
            h.send_response(status)
            for k, v in extra.items():
                h.send_header(k, v)
            if data and "Content-Type" not in extra:
                h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            if data:
                h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _control(self, method, what, body):
        """/_standin/ controls for another process."""
        body = body or {}
        if what == "requests" and method == "GET":
            return 200, self.requests()
        if what == "clear" and method == "POST":
            self.clear()
            return 200, {}
        if what == "script" and method == "POST":
            self.script(body.get("answers", []), body.get("method"), body.get("path"))
            return 200, {}
        if what == "seed" and method == "POST":
            return 200, self.seed(body["collection"], int(body["n"]), **body.get("fields", {}))
        return 404, {"error": "unknown control %s %s" % (method, what)}

    def _route(self, method, path, query, headers, body, raw):
        """(status, body) for a request that is not scripted."""
        if path in ("/v2/enqueue", "/v2/change/enqueue") and method == "POST":
            return self._events(path, body, raw)
        if headers.get("authorization") != "Token token=%s" % self.api_key:
            return rest_error(401, "Authentication failed", 2006)
        segs = [urllib.parse.unquote(s) for s in path.strip("/").split("/") if s]
        if not segs:
            return rest_error(404, "Not Found", 2100)
        if self._needs_from(method, segs) and "@" not in headers.get("from", ""):
            if "from" in headers:
                return rest_error(400, 'Malformed "From" header', 1028)
            return rest_error(400, "Invalid Input Provided", 2001,
                              ['You must specify a user\'s email address in the "From" header '
                               'to perform this action'])
        if method in ("POST", "PUT") and raw and body is None:
            return rest_error(400, "Invalid Input Provided", 2001, ["body is not JSON"])
        collection = len(segs) % 2 == 1 or segs[-1] in self.cursor_collections
        name = segs[-1] if collection else segs[-2]
        if method == "GET" and collection:
            return self._list(name, dict(query))
        if method == "GET":
            return 200, {singular(name): self._make_item(name, 0, {"id": segs[-1]})}
        if method == "DELETE":
            return 204, None
        return self._write(method, segs, name, collection, body)

    @staticmethod
    def _needs_from(method, segs):
        for m, pattern in FROM_REQUIRED:
            if m == method and len(pattern) == len(segs) and all(
                    p is None or p == s for p, s in zip(pattern, segs)):
                return True
        return False

    def _items(self, name, start, stop):
        """(copy of items[start:stop], total); an unseeded collection has two items."""
        with self._lock:
            if name not in self._collections:
                self._collections[name] = [self._make_item(name, i, {}) for i in range(2)]
            items = self._collections[name]
            return copy.deepcopy(items[start:stop]), len(items)

    def _list(self, name, q):
        """GET of a collection, paged as PagerDuty pages it."""
        try:
            limit = min(int(q.get("limit", PAGE_DEFAULT)), PAGE_MAX)
            offset = int(q.get("offset", 0))
        except ValueError:
            return rest_error(400, "Invalid Input Provided", 2001, ["limit/offset not integers"])
        if limit < 1 or offset < 0:
            return rest_error(400, "Invalid Input Provided", 2001, ["limit/offset out of range"])
        if name in self.cursor_collections:
            start = int(q["cursor"][1:]) if q.get("cursor", "").startswith("c") else 0
            page, total = self._items(name, start, start + limit)
            nxt = start + len(page)
            return 200, {name: page, "limit": limit,
                         "next_cursor": "c%d" % nxt if nxt < total else None}
        if offset + limit > OFFSET_CEILING:
            return rest_error(400, "Arguments Caused Error", 2002,
                              ["Offset+limit exceeds maximum allowed value of 10000."])
        page, total = self._items(name, offset, offset + limit)
        return 200, {name: page, "limit": limit, "offset": offset,
                     "more": offset + len(page) < total,
                     "total": total if q.get("total") == "true" else None}

    def _write(self, method, segs, name, collection, body):
        """POST or PUT: echo the wrapped entity back with an id, as PagerDuty does."""
        body = body if isinstance(body, dict) else {}
        key = singular(name)
        if method == "PUT" and collection and isinstance(body.get(name), list):
            return 200, {name: [dict(x, type=key) for x in body[name] if isinstance(x, dict)]}
        entity = body.get(key) if isinstance(body.get(key), dict) else dict(body)
        entity = dict(entity)
        entity.setdefault("id", segs[-1] if not collection else self._new_id())
        entity.setdefault("type", key)
        return (201 if method == "POST" and collection else 200), {key: entity}

    def _events(self, path, body, raw):
        """Events API v2, with its checks and error shape."""
        def invalid(*errors):
            return 400, {"status": "invalid event", "message": "Event object is invalid",
                         "errors": list(errors)}
        if not isinstance(body, dict):
            return 400, {"status": "Unrecognized object",
                         "message": "Event object format is unrecognized",
                         "errors": ["JSON parse error"]}
        rk = body.get("routing_key")
        if not isinstance(rk, str) or len(rk) != 32:
            return invalid("'routing_key' is missing or not 32 characters")
        payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
        if path == "/v2/change/enqueue":
            if not payload.get("summary"):
                return invalid("'payload.summary' is missing or blank")
            return 202, {"message": "Change event processed", "status": "success"}
        action = body.get("event_action")
        if action not in ("trigger", "acknowledge", "resolve"):
            return invalid("'event_action' is invalid (must be one of: trigger, acknowledge, "
                           "resolve)")
        if action == "trigger":
            missing = [k for k in ("summary", "source", "severity") if not payload.get(k)]
            if missing:
                return invalid(*["'payload.%s' is missing or blank" % k for k in missing])
            if payload["severity"] not in ("critical", "error", "warning", "info"):
                return invalid("'payload.severity' is invalid")
        elif not body.get("dedup_key"):
            return invalid("'dedup_key' is missing or blank")
        return 202, {"status": "success", "message": "Event processed",
                     "dedup_key": body.get("dedup_key") or uuid.uuid4().hex}


def main(argv=None):
    ap = argparse.ArgumentParser(description="PagerDuty REST + Events API stand-in")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key", default="standin-api-key")
    args = ap.parse_args(argv)
    standin = PdStandIn(api_key=args.api_key, port=args.port).start()
    print("listening on %s:%d" % (standin.host, standin.port), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    while not done.wait(0.5):
        pass
    standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
