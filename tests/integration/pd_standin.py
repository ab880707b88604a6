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

For the poller, GET /log_entries answers from log entries the test adds
(add_log_entries(), built with log_entry() and incident()) as the spec has
it: since (inclusive) and until (exclusive), offset/limit/total with the
10,000 ceiling, team_ids[], is_overview=true keeping only trigger,
acknowledge and resolve entries, include[]=incidents putting the full
incident in place of each entry's reference; newest first, as PagerDuty is
commonly seen to answer, with entries of one second in no particular
order. An entry added hidden stays out of every answer until reveal(): one
PagerDuty shows late. For the watchdog, /webhook_subscriptions (list, get)
and POST /webhook_subscriptions/{id}/enable answer from subscriptions the
test adds with add_subscription().

    python3 pd_standin.py --port 0 --api-key KEY [--demo N]
    -> prints "listening on 127.0.0.1:PORT" and serves until killed; with
       --demo, N incidents' log entries of the last hour are there to poll
       (`make demo-poll`).
"""

import argparse
import copy
import datetime
import json
import sys
import threading
import urllib.parse
import uuid

from standin_http import StandIn, StandInHandler

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


def iso(t):
    """RFC 3339 UTC, seconds: 2026-11-27T09:40:00Z, from seconds since the epoch."""
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text):
    """Seconds since the epoch (float) of an RFC 3339 time, or None."""
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except (AttributeError, ValueError):
        return None


def _ref(kind, collection, rid, summary):
    return {"id": rid, "type": kind + "_reference", "summary": summary,
            "self": "https://api.pagerduty.com/%s/%s" % (collection, rid),
            "html_url": "https://acme.pagerduty.com/%s/%s" % (collection, rid)}


def incident(incident_id, status="triggered", service_id="PSVC001", team_id="PTEAM01",
             created_at="2026-11-27T09:00:00Z", urgency="high", priority="P1", number=1):
    """An incident as GET /incidents shows it (REST shape, not the webhook's)."""
    return {
        "id": incident_id, "type": "incident", "summary": "[#%d] Disk full on db-01" % number,
        "self": "https://api.pagerduty.com/incidents/" + incident_id,
        "html_url": "https://acme.pagerduty.com/incidents/" + incident_id,
        "incident_number": number, "title": "Disk full on db-01", "created_at": created_at,
        "updated_at": created_at, "status": status, "incident_key": "key-" + incident_id,
        "service": _ref("service", "services", service_id, "API Service"),
        "assignments": [{"at": created_at, "assignee": _ref("user", "users", "PUSER01",
                                                            "User One")}],
        "assigned_via": "escalation_policy", "last_status_change_at": created_at,
        "escalation_policy": _ref("escalation_policy", "escalation_policies", "PEP0001",
                                  "Default"),
        "teams": [_ref("team", "teams", team_id, "Engineering")],
        "priority": {"id": "PPRI001", "type": "priority", "summary": priority,
                     "self": "https://api.pagerduty.com/priorities/PPRI001",
                     "html_url": "https://acme.pagerduty.com/account/incident_priorities",
                     "name": priority, "description": "", "color": "a8171c"},
        "urgency": urgency, "resolve_reason": None,
        "conference_bridge": {"conference_number": "+1 555 0100", "conference_url":
                              "https://example.com/bridge"},
    }


def log_entry(entry_type, incident_id, created_at, entry_id=None, service_id="PSVC001",
              team_id="PTEAM01", **fields):
    """A log entry as GET /log_entries shows it; created_at in seconds or RFC 3339."""
    if not isinstance(created_at, str):
        created_at = iso(created_at)
    entry_id = entry_id or "Q" + uuid.uuid4().hex[:13].upper()
    entry = {
        "id": entry_id, "type": entry_type, "summary": entry_type.replace("_", " "),
        "self": "https://api.pagerduty.com/log_entries/%s?incident_id=%s" % (entry_id,
                                                                              incident_id),
        "html_url": "https://acme.pagerduty.com/incidents/%s/log_entries/%s" % (incident_id,
                                                                                entry_id),
        "created_at": created_at,
        "agent": _ref("user", "users", "PUSER01", "User One"),
        "channel": {"type": "web_trigger"},
        "service": _ref("service", "services", service_id, "API Service"),
        "incident": _ref("incident", "incidents", incident_id, "[#1] Disk full on db-01"),
        "teams": [_ref("team", "teams", team_id, "Engineering")],
        "contexts": [], "event_details": {"description": "Disk full on db-01"},
    }
    entry.update(fields)
    return entry


def subscription(sub_id, url, active=True, temporarily_disabled=False):
    """A webhook subscription as GET /webhook_subscriptions/{id} shows it."""
    return {"id": sub_id, "type": "webhook_subscription", "active": active,
            "description": "st2-pagerduty", "events": ["incident.triggered"],
            "filter": {"type": "account_reference"},
            "delivery_method": {"id": "PDM" + sub_id[-4:], "type": "http_delivery_method",
                                "url": url, "secret": None,
                                "temporarily_disabled": temporarily_disabled,
                                "custom_headers": []}}


def rest_error(status, message, code, errors=None):
    """(status, PagerDuty REST error body)."""
    body = {"error": {"message": message, "code": code}}
    if errors:
        body["error"]["errors"] = errors
    return status, body


def page_args(q):
    """limit and offset of a paged GET as PagerDuty takes them (limit default 25, at
    most 100): (limit, offset, None), or (None, None, the 400 answer)."""
    try:
        limit = min(int(q.get("limit", PAGE_DEFAULT)), PAGE_MAX)
        offset = int(q.get("offset", 0))
    except ValueError:
        return None, None, rest_error(400, "Invalid Input Provided", 2001,
                                      ["limit/offset not integers"])
    if limit < 1 or offset < 0:
        return None, None, rest_error(400, "Invalid Input Provided", 2001,
                                      ["limit/offset out of range"])
    return limit, offset, None


def offset_page(name, items, q):
    """(status, body) of a GET of the list items under name, offset-paged as PagerDuty
    pages it: a copy of the page, more, total only with total=true, 400 code 2002 past
    offset+limit 10,000."""
    limit, offset, refused = page_args(q)
    if refused:
        return refused
    if offset + limit > OFFSET_CEILING:
        return rest_error(400, "Arguments Caused Error", 2002,
                          ["Offset+limit exceeds maximum allowed value of 10000."])
    page = copy.deepcopy(items[offset:offset + limit])
    return 200, {name: page, "limit": limit, "offset": offset,
                 "more": offset + len(page) < len(items),
                 "total": len(items) if q.get("total") == "true" else None}


class _Handler(StandInHandler):
    server_version = "pd-standin"


class PdStandIn(StandIn):
    """The stand-in: start() it, point pagerduty.api_url and events_url at .url."""

    handler = _Handler
    thread_name = "pd-standin"

    def __init__(self, api_key="standin-api-key", port=0):
        super().__init__(port)
        self.api_key = api_key
        self.request_log = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._script = []       # [{"method", "path", "status", "body", "headers", "delay"}]
        self._collections = {}  # last path segment -> list of items
        self._log_entries = []  # (created_at in s, entry) for GET /log_entries
        self._hidden = set()    # ids of log entries not shown yet
        self._incidents = {}    # id -> incident, what include[]=incidents puts in
        self._subscriptions = {}  # id -> webhook subscription
        self.cursor_collections = set(CURSOR_COLLECTIONS)
        self._next_id = 1

    # -- lifecycle -----------------------------------------------------------

    def start(self):
        self._stopping.clear()
        self._server, self._thread = self._listen()
        self._thread.start()
        return self

    def stop(self):
        """Stops listening; scripted delays still sleeping end at once."""
        self._stopping.set()
        if self._server is not None:
            self._close(self._server, self._thread)
            self._server = self._thread = None

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

    def add_log_entries(self, entries, hidden=False, incidents=()):
        """Adds log entries (and the incidents they include); hidden ones wait for reveal()."""
        with self._lock:
            for inc in incidents:
                self._incidents[inc["id"]] = copy.deepcopy(inc)
            for e in entries:
                at = parse_iso(e["created_at"])
                self._log_entries.append((at, copy.deepcopy(e)))
                if hidden:
                    self._hidden.add(e["id"])

    def reveal(self, ids):
        """Shows hidden log entries from now on."""
        with self._lock:
            self._hidden.difference_update(ids)

    def add_subscription(self, sub):
        with self._lock:
            self._subscriptions[sub["id"]] = copy.deepcopy(sub)

    def subscription(self, sub_id):
        with self._lock:
            return copy.deepcopy(self._subscriptions.get(sub_id))

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
            self._log_entries.clear()
            self._hidden.clear()
            self._incidents.clear()
            self._subscriptions.clear()

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
        if what == "log_entries" and method == "POST":
            self.add_log_entries(body.get("entries", []), bool(body.get("hidden")),
                                 body.get("incidents", []))
            return 200, {}
        if what == "reveal" and method == "POST":
            self.reveal(body.get("ids", []))
            return 200, {}
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
        if segs == ["log_entries"] and method == "GET":
            return self._log_entries_list(query)
        if segs[0] == "webhook_subscriptions" and segs[1:2] != ["oauth_clients"] and (
                (method == "GET" and len(segs) <= 2)
                or (method == "POST" and len(segs) == 3 and segs[2] == "enable")):
            return self._webhook_subscriptions(method, segs, dict(query))
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

    def _list(self, name, q):
        """GET of a collection, paged as PagerDuty pages it; an unseeded one has two items."""
        with self._lock:
            if name not in self._collections:
                self._collections[name] = [self._make_item(name, i, {}) for i in range(2)]
            items = self._collections[name]
            if name not in self.cursor_collections:
                return offset_page(name, items, q)
            limit, _, refused = page_args(q)
            if refused:
                return refused
            start = int(q["cursor"][1:]) if q.get("cursor", "").startswith("c") else 0
            page = copy.deepcopy(items[start:start + limit])
            nxt = start + len(page)
            return 200, {name: page, "limit": limit,
                         "next_cursor": "c%d" % nxt if nxt < len(items) else None}

    def _log_entries_list(self, query):
        """GET /log_entries: see the module's docstring."""
        q = dict(query)
        multi = {}
        for k, v in query:
            multi.setdefault(k, []).append(v)
        until = parse_iso(q["until"]) if "until" in q else datetime.datetime.now().timestamp()
        since = parse_iso(q["since"]) if "since" in q else until - 30 * 86400
        if since is None or until is None:
            return rest_error(400, "Invalid Input Provided", 2001, ["since/until not dates"])
        teams = set(multi.get("team_ids[]", []))
        overview = q.get("is_overview") == "true"
        with self._lock:
            chosen = [(at, e) for at, e in self._log_entries
                      if since <= at < until and e["id"] not in self._hidden
                      and (not teams or teams & {t["id"] for t in e.get("teams", [])})
                      and (not overview or e["type"] in ("trigger_log_entry",
                                                         "acknowledge_log_entry",
                                                         "resolve_log_entry"))]
            # Newest first; within a second, reversed ids: not the order asked for.
            chosen.sort(key=lambda x: (x[0], x[1]["id"]), reverse=True)
            status, answer = offset_page("log_entries", [e for _, e in chosen], q)
            if status == 200 and "incidents" in multi.get("include[]", []):
                for e in answer["log_entries"]:
                    inc = self._incidents.get(e["incident"]["id"])
                    if inc is not None:
                        e["incident"] = copy.deepcopy(inc)
        return status, answer

    def _webhook_subscriptions(self, method, segs, q):
        """List, get and enable webhook subscriptions."""
        with self._lock:
            if len(segs) == 1 and method == "GET":
                return offset_page("webhook_subscriptions", list(self._subscriptions.values()),
                                   q)
            sub = self._subscriptions.get(segs[1]) if len(segs) > 1 else None
            if sub is None:
                return rest_error(404, "Not Found", 2100)
            if len(segs) == 2 and method == "GET":
                return 200, {"webhook_subscription": copy.deepcopy(sub)}
            # POST .../enable
            sub["delivery_method"]["temporarily_disabled"] = False
            return 200, {"webhook_subscription": copy.deepcopy(sub)}

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


def demo_entries(n, now=None):
    """n incidents of the last hour, each triggered, notified, acknowledged, noted, resolved."""
    import time
    now = int(now or time.time())
    incs, entries = [], []
    steps = (("trigger_log_entry", 0, {}), ("notify_log_entry", 20, {}),
             ("acknowledge_log_entry", 120, {}),
             ("annotate_log_entry", 300, {"channel": {"type": "note",
                                                      "summary": "restarted the service"}}),
             ("resolve_log_entry", 600, {}))
    for k in range(n):
        start = now - 3000 + k * 400
        inc = incident("PDEMO%02d" % (k + 1), status="resolved", number=k + 1,
                       created_at=iso(start), urgency=("high", "low")[k % 2])
        incs.append(inc)
        for kind, after, extra in steps:
            entries.append(log_entry(kind, inc["id"], start + after, **extra))
    return entries, incs


def main(argv=None):
    ap = argparse.ArgumentParser(description="PagerDuty REST + Events API stand-in")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key", default="standin-api-key")
    ap.add_argument("--demo", type=int, default=0, metavar="N",
                    help="log entries of N incidents of the last hour, to poll")
    args = ap.parse_args(argv)
    standin = PdStandIn(api_key=args.api_key, port=args.port).start()
    if args.demo:
        entries, incs = demo_entries(args.demo)
        standin.add_log_entries(entries, incidents=incs)
    return standin.serve_until_signal()


if __name__ == "__main__":
    sys.exit(main())
