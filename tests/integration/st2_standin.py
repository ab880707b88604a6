"""st2_standin.py: a StackStorm API stand-in for tests and benchmarks.

Real st2 cannot run here (it needs MongoDB and PyPI; stackstorm-api.md 6),
so this reproduces what st2-pagerduty relies on, from stackstorm-api.md
1-2: authentication (St2-Api-Key / X-Auth-Token headers, or the
st2-api-key / x-auth-token query parameters; 401 {"faultstring"} without
them), POST /v1/webhooks/st2 with st2's checks and answers, and the
/v1/triggertypes endpoints. Every path is served with and without the /api
prefix, as st2api behind nginx and st2api on :9101 do.

Payloads are validated against the trigger type's payload_schema the way
st2's CustomValidator does (1.5): Draft-4 keywords, but `required: true`
inside a property is enforced (Draft 3) and the Draft-4 `required: [..]`
array is ignored. Supported keywords: type (a name or a list, "null"
included), enum, properties, patternProperties, additionalProperties and
items; others are ignored, as a lenient st2 would.

Tests drive it with methods (down/up, fail_next, delay, preregister,
triggers, clear, request_log, stats); benchmarks in another process use the same
controls over HTTP under /_standin/ (no auth there). Python stdlib only.

    python3 st2_standin.py --port 0 --api-key KEY
    -> prints "listening on 127.0.0.1:PORT" and serves until killed.
"""

import argparse
import copy
import hashlib
import json
import re
import socket
import sys
import threading
import time
import urllib.parse
import uuid

from standin_http import StandIn, StandInHandler

NO_CREDENTIALS = "Unauthorized - One of Token or API key required."
BAD_API_KEY = "Unauthorized - ApiKey with key_hash=%s not found."
BAD_TOKEN = "Unauthorized - Token with token %s not found."
NOT_FOUND = "The resource could not be found."
# st2's GET /v1/triggertypes default page size (stackstorm-api.md 2.2, st2 #6304).
DEFAULT_LIMIT = 100


class ValidationError(Exception):
    """A payload that does not match its schema; str() is jsonschema's message."""


def _is_type(value, name):
    """Whether value is an instance of the JSON-schema type name."""
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    return name == "any"


def _json_equal(a, b):
    """JSON equality: unlike Python's, true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def validate(instance, schema):
    """Raises ValidationError unless instance matches schema (st2 dialect)."""
    if not isinstance(schema, dict):
        return
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_is_type(instance, n) for n in names):
            raise ValidationError("%r is not of type %s" % (instance, ", ".join(repr(n) for n in names)))
    if "enum" in schema and not any(_json_equal(instance, e) for e in schema["enum"]):
        raise ValidationError("%r is not one of %r" % (instance, schema["enum"]))
    if isinstance(instance, dict):
        _validate_object(instance, schema)
    if isinstance(instance, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for item in instance:
                validate(item, items)
        elif isinstance(items, list):
            for item, sub in zip(instance, items):
                validate(item, sub)


def _validate_object(instance, schema):
    """properties (Draft-3 required), patternProperties, additionalProperties."""
    props = schema.get("properties") or {}
    for name, sub in props.items():
        if name in instance:
            validate(instance[name], sub)
        elif isinstance(sub, dict) and sub.get("required") is True:
            raise ValidationError("%r is a required property" % name)
    patterns = schema.get("patternProperties") or {}
    extra = []
    for key, value in instance.items():
        matched = [sub for pat, sub in patterns.items() if re.search(pat, key)]
        for sub in matched:
            validate(value, sub)
        if key not in props and not matched:
            extra.append(key)
    additional = schema.get("additionalProperties", True)
    if additional is False and extra:
        extra.sort()
        raise ValidationError("Additional properties are not allowed (%s %s unexpected)" % (
            ", ".join(repr(k) for k in extra), "was" if len(extra) == 1 else "were"))
    if isinstance(additional, dict):
        for key in extra:
            validate(instance[key], additional)


class _Handler(StandInHandler):
    server_version = "st2-standin"

    def setup(self):
        super().setup()
        self.server.standin._connected(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.standin._disconnected(self.connection)


class St2StandIn(StandIn):
    """The stand-in: start() it, point st2.api_url at .url, stop() it."""

    handler = _Handler
    thread_name = "st2-standin"

    def __init__(self, api_key="standin-api-key", auth_tokens=(), port=0, validate_payload=True):
        super().__init__(port)
        self.api_key = api_key
        self.auth_tokens = set(auth_tokens)
        self.validate_payload = validate_payload
        self.request_log = []  # {"method", "path", "status", "time"} per request
        self.connections = 0   # TCP connections accepted, to show keep-alive reuse
        self._lock = threading.Lock()
        self._types = {}        # ref -> stored trigger type
        self._dispatched = []   # recorded webhook dispatches
        self._fail = []         # queued (status, retry_after) for the next webhook POSTs
        self._delay = 0.0       # seconds each webhook POST waits before answering
        self._open = set()      # live client sockets, closed by down()
        # .url is the base URL for st2.api_url (st2api style, no /api prefix).

    # -- lifecycle -----------------------------------------------------------

    def start(self):
        """Listens (port 0 picks a free port, kept for later up() calls)."""
        return self.up()

    def stop(self):
        """Stops listening and closes every connection."""
        self.down()

    def up(self):
        """Listens again, on the same port as before."""
        with self._lock:
            if self._server is not None:
                return self
        server, thread = self._listen()
        with self._lock:
            self._server, self._thread = server, thread
        thread.start()
        return self

    def down(self):
        """Stops listening (connections refused) and cuts open connections."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            live = list(self._open)
        if server is None:
            return
        self._close(server, thread)
        for sock in live:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # -- controls ------------------------------------------------------------

    def fail_next(self, n, status=503, retry_after=None):
        """The next n webhook POSTs answer status (with Retry-After if given)."""
        with self._lock:
            self._fail.extend([(int(status), retry_after)] * int(n))

    def delay(self, seconds):
        """Every webhook POST answers only after seconds (a slow st2); 0 turns it off."""
        with self._lock:
            self._delay = float(seconds)

    def preregister(self, types):
        """Stores trigger types as if POSTed; returns the stored copies."""
        with self._lock:
            return [copy.deepcopy(self._store_type(t)) for t in types]

    def triggers(self):
        """Copy of the recorded dispatches, oldest first."""
        with self._lock:
            return copy.deepcopy(self._dispatched)

    def trigger_types(self):
        """Copy of the stored trigger types by ref."""
        with self._lock:
            return copy.deepcopy(self._types)

    def clear(self):
        """Forgets dispatches, trigger types, queued failures and the request log."""
        with self._lock:
            self._dispatched.clear()
            self._types.clear()
            self._fail.clear()
            self._delay = 0.0
            self.request_log.clear()
            self.connections = 0

    def stats(self):
        """Counters for benchmarks and tests."""
        with self._lock:
            return {"connections": self.connections, "requests": len(self.request_log),
                    "triggers": len(self._dispatched), "trigger_types": len(self._types),
                    "fail_next": len(self._fail), "port": self.port}

    # -- internals -----------------------------------------------------------

    def _connected(self, sock):
        with self._lock:
            self.connections += 1
            self._open.add(sock)

    def _disconnected(self, sock):
        with self._lock:
            self._open.discard(sock)

    def _store_type(self, body):
        """Stores a trigger type body (lock held), replacing one with the same ref."""
        name, pack = body["name"], body["pack"]
        ref = "%s.%s" % (pack, name)
        old = self._types.get(ref)
        stored = {
            "id": old["id"] if old else uuid.uuid4().hex[:24],
            "ref": ref,
            "uid": "trigger_type:%s:%s" % (pack, name),
            "name": name,
            "pack": pack,
            "description": body.get("description"),
            "payload_schema": copy.deepcopy(body.get("payload_schema") or {}),
            "parameters_schema": copy.deepcopy(body.get("parameters_schema") or {}),
            "tags": copy.deepcopy(body.get("tags") or []),
        }
        if stored["description"] is None:
            del stored["description"]
        self._types[ref] = stored
        return stored

    def _find_type(self, ref_or_id):
        """A stored type by ref or id (lock held), or None."""
        if ref_or_id in self._types:
            return self._types[ref_or_id]
        for t in self._types.values():
            if t["id"] == ref_or_id:
                return t
        return None

    def _authenticate(self, handler, query):
        """None if authenticated, else the 401 faultstring; st2's order of sources."""
        sources = [
            (handler.headers.get("X-Auth-Token"), "token"),
            (handler.headers.get("St2-Api-Key"), "key"),
            ((query.get("x-auth-token") or [None])[0], "token"),
            ((query.get("st2-api-key") or [None])[0], "key"),
        ]
        for value, kind in sources:
            if value is None:
                continue
            if kind == "key":
                if self.api_key is not None and value == self.api_key:
                    return None
                return BAD_API_KEY % hashlib.sha256(value.encode()).hexdigest()
            return None if value in self.auth_tokens else BAD_TOKEN % value
        return NO_CREDENTIALS

    def _handle(self, h, method):
        """Reads the request, routes it, answers exactly once."""
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length > 0 else b""
        parts = urllib.parse.urlsplit(h.path)
        query = urllib.parse.parse_qs(parts.query)
        path = parts.path
        if path.startswith("/api/v1/") or path == "/api/v1":
            path = path[4:]
        try:
            status, body, headers = self._route(h, method, path, query, raw)
        except Exception as e:  # a stand-in bug must show, not hang the client
            status, body, headers = 500, {"faultstring": "stand-in error: %r" % e}, {}
        data = b"" if status == 204 else json.dumps(body).encode()
        with self._lock:
            self.request_log.append({"method": method, "path": h.path, "status": status,
                                     "time": time.time()})
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        if status != 204:
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if data:
            h.wfile.write(data)

    def _route(self, h, method, path, query, raw):
        """(status, JSON body, extra headers) for one request."""
        if path.startswith("/_standin/"):
            return self._control(method, path[len("/_standin/"):], raw)
        if path.startswith("/v1/webhooks/") and method == "POST":
            with self._lock:
                failure = self._fail.pop(0) if self._fail else None
                delay = self._delay
            if delay > 0:
                time.sleep(delay)
            if failure is not None:
                status, retry_after = failure
                extra = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return status, {"faultstring": "stand-in: injected failure %d" % status}, extra
        fault = self._authenticate(h, query)
        if fault is not None:
            return 401, {"faultstring": fault}, {}
        if path.startswith("/v1/webhooks/") and method == "POST":
            hook = path[len("/v1/webhooks/"):].strip("/")
            return self._webhook(h, hook, raw)
        if path == "/v1/webhooks" and method == "GET":
            return 200, [], {}
        if path in ("/v1/triggertypes", "/v1/triggertypes/"):
            return self._triggertypes(method, None, query, raw)
        if path.startswith("/v1/triggertypes/"):
            return self._triggertypes(method, urllib.parse.unquote(path[len("/v1/triggertypes/"):]),
                                      query, raw)
        if path == "/v1/triggerinstances" and method == "GET":
            return 200, self._instances(), {}
        return 404, {"faultstring": NOT_FOUND}, {}

    def _parse_body(self, h, raw):
        """The request body as st2's router parses it; raises ValueError with the fault."""
        ctype = (h.headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()
        if ctype == "application/json":
            if not raw.strip():
                return {}  # st2 treats an empty JSON body as {}
            try:
                return json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise ValueError("Failed to parse request body: %s" % e)
        if ctype == "application/x-www-form-urlencoded":
            return urllib.parse.parse_qs(raw.decode("utf-8", "replace"))
        if ctype == "text/plain":
            return raw.decode("utf-8", "replace")
        raise ValueError('Failed to parse request body: Unsupported Content-Type: "%s"' % ctype)

    def _webhook(self, h, hook, raw):
        """POST /v1/webhooks/<hook>: only the generic st2 hook is registered."""
        try:
            body = self._parse_body(h, raw)
        except ValueError as e:
            return 400, {"faultstring": str(e)}, {}
        if not isinstance(body, (dict, list)):
            return 400, {"faultstring": "%r is not of type 'object', 'array'" % body}, {}
        if hook != "st2":
            return 404, {"faultstring": "Webhook %s not registered with st2" % hook}, {}
        if isinstance(body, list):
            return 400, {"faultstring": "Webhook body needs to be an object, got: array"}, {}
        trigger = body.get("trigger")
        payload = body.get("payload")
        if not trigger:
            return 400, {"faultstring": "Trigger not specified."}, {}
        ref = str(trigger)
        with self._lock:
            # Stored types are replaced, never changed in place: no copy needed.
            ttype = self._types.get(ref)
        reason = None
        if ttype is None:
            reason = 'Trigger type with reference "%s" doesn\'t exist in the database' % ref
        elif ttype.get("payload_schema"):
            try:
                validate(payload, ttype["payload_schema"])
            except ValidationError as e:
                reason = str(e)
        if reason is not None and self.validate_payload:
            return 400, {"faultstring": "Trigger payload validation failed and validation is "
                         'enabled, not dispatching a trigger "%s" (%s): %s' % (ref, payload, reason)}, {}
        record = {
            "id": uuid.uuid4().hex[:24],
            "trigger": ref,
            "payload": payload,
            "headers": dict(h.headers.items()),
            "trace_tag": h.headers.get("St2-Trace-Tag") or "webhook-st2-%s" % uuid.uuid4().hex,
            "time": time.time(),
        }
        with self._lock:
            self._dispatched.append(record)
        return 202, body, {}

    def _instances(self):
        """GET /v1/triggerinstances: the recorded dispatches as st2 shows them."""
        with self._lock:
            return [{"id": d["id"], "trigger": d["trigger"], "payload": copy.deepcopy(d["payload"]),
                     "occurrence_time": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z",
                                                      time.gmtime(d["time"])),
                     "status": "processed"} for d in self._dispatched]

    @staticmethod
    def _check_type_body(raw):
        """A trigger type body, or (400, fault) as st2's TriggerTypeAPI would answer."""
        try:
            body = json.loads(raw.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError) as e:
            return None, "Failed to parse request body: %s" % e
        if not isinstance(body, dict):
            return None, "%r is not of type 'object'" % (body,)
        for key in ("name", "pack"):
            if not isinstance(body.get(key), str) or not body[key]:
                return None, "'%s' is a required property" % key
        for key in ("payload_schema", "parameters_schema"):
            if key in body and not isinstance(body[key], dict):
                return None, "%r is not of type 'object'" % (body[key],)
        return body, None

    def _triggertypes(self, method, ref, query, raw):
        """/v1/triggertypes[/{ref_or_id}]."""
        if ref is None and method == "GET":
            with self._lock:
                items = [copy.deepcopy(t) for t in self._types.values()
                         if all(t.get(k) == query[k][0] for k in ("name", "pack", "id") if k in query)]
            offset = int((query.get("offset") or ["0"])[0])
            limit = int((query.get("limit") or [str(DEFAULT_LIMIT)])[0])
            items = items[offset:] if limit <= 0 else items[offset:offset + limit]
            return 200, items, {}
        if ref is None and method == "POST":
            body, fault = self._check_type_body(raw)
            if fault is not None:
                return 400, {"faultstring": fault}, {}
            key = "%s.%s" % (body["pack"], body["name"])
            with self._lock:
                old = self._types.get(key)
                if old is not None:
                    uid = old["uid"]
                    return 409, {"conflict-id": old["id"], "faultstring": (
                        "Tried to save duplicate unique keys (E11000 duplicate key error "
                        'collection: st2.trigger_type_d_b index: uid_1 dup key: { uid: "%s" })'
                        % uid)}, {}
                return 201, copy.deepcopy(self._store_type(body)), {}
        if ref is None:
            return 404, {"faultstring": NOT_FOUND}, {}
        with self._lock:
            found = self._find_type(ref)
            found = copy.deepcopy(found) if found is not None else None
        if found is None:
            return 404, {"faultstring": 'Resource with a reference or id "%s" not found' % ref}, {}
        if method == "GET":
            return 200, found, {}
        if method == "PUT":
            if found["pack"] == "core":
                return 400, {"faultstring": "Resources belonging to system level packs can't be "
                             "manipulated"}, {}
            body, fault = self._check_type_body(raw)
            if fault is not None:
                return 400, {"faultstring": fault}, {}
            with self._lock:
                self._types.pop(found["ref"], None)
                stored = self._store_type(body)
                stored["id"] = found["id"]
                return 200, copy.deepcopy(stored), {}
        if method == "DELETE":
            with self._lock:
                self._types.pop(found["ref"], None)
            return 204, None, {}
        return 404, {"faultstring": NOT_FOUND}, {}

    def _control(self, method, what, raw):
        """/_standin/*: the test controls, for benchmarks in another process."""
        if method == "GET" and what == "triggers":
            return 200, self.triggers(), {}
        if method == "GET" and what == "stats":
            return 200, self.stats(), {}
        if method == "GET" and what == "requests":
            with self._lock:
                return 200, list(self.request_log), {}
        if method == "POST" and what == "fail_next":
            args = json.loads(raw.decode("utf-8") or "{}")
            self.fail_next(args.get("n", 1), args.get("status", 503), args.get("retry_after"))
            return 200, {"fail_next": self.stats()["fail_next"]}, {}
        if method == "POST" and what == "delay":
            self.delay(json.loads(raw.decode("utf-8") or "{}").get("seconds", 0))
            return 200, {}, {}
        if method == "POST" and what == "preregister":
            return 200, self.preregister(json.loads(raw.decode("utf-8") or "[]")), {}
        if method == "POST" and what == "clear":
            self.clear()
            return 200, {}, {}
        return 404, {"faultstring": "no such stand-in control: %s %s" % (method, what)}, {}


def main(argv=None):
    """Runs the stand-in in the foreground until SIGTERM or SIGINT."""
    ap = argparse.ArgumentParser(description="StackStorm API stand-in")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key", default="standin-api-key")
    ap.add_argument("--auth-token", action="append", default=[])
    ap.add_argument("--no-validate", action="store_true",
                    help="dispatch even when the payload fails validation "
                    "(system.validate_trigger_payload = False)")
    ap.add_argument("--preregister", metavar="FILE",
                    help="JSON array of trigger type bodies to store at start")
    args = ap.parse_args(argv)
    standin = St2StandIn(api_key=args.api_key, auth_tokens=args.auth_token, port=args.port,
                         validate_payload=not args.no_validate)
    if args.preregister:
        with open(args.preregister, encoding="utf-8") as f:
            standin.preregister(json.load(f))
    return standin.start().serve_until_signal()


if __name__ == "__main__":
    sys.exit(main())
