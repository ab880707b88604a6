#!/usr/bin/env python3
"""st2_standin.py: a StackStorm API stand-in for the benchmark.

It answers what the systems under test send to StackStorm and counts it:
  POST /v1/webhooks/st2          202, counted as one trigger
  POST /v1/triggertypes          201 (so `st2-pagerduty register` works)
  PUT  /v1/triggertypes/<ref>    200
  GET  /_bench/stats             JSON counters (see Counters.as_json)
  POST /_bench/reset             zero the counters
Anything else is 404. Any trigger type is accepted.

DESIGN: the stand-in must not be the bottleneck of what it measures, so it is
a bare asyncio Protocol with its own minimal HTTP/1.1 parser (keep-alive,
pipelining, Content-Length bodies, `Expect: 100-continue`, which curl sends
for bodies over 1 KB) instead of http.server, which runs ~10x slower. It is
one process on one core; bench.py measures its ceiling with wrk and prints
it, so the drain figure can be read against it. Each trigger body is scanned
for the benchmark's event id marker so duplicates reaching "StackStorm" show
up as triggers - distinct.

Usage: st2_standin.py [--port N]   (prints "port N" on stdout once listening)
"""
import argparse
import asyncio
import json
import signal
import sys
import time

ID_MARKER = b"01BENCH"
TRIGGER_PATH = b"/v1/webhooks/st2"
MAX_HEAD = 64 * 1024

RESP_202 = (b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\n\r\n{}")
RESP_100 = b"HTTP/1.1 100 Continue\r\n\r\n"


class Counters:
    """What the stand-in has received since the last reset."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.triggers = 0
        self.ids = set()
        self.no_id = 0
        self.other = 0
        self.times = []  # arrival of each trigger, ms, in order

    def trigger(self, body):
        self.triggers += 1
        self.times.append(time.time() * 1000.0)
        # The benchmark's ids are 01BENCH...; take the first one in the body.
        at = body.find(ID_MARKER)
        if at < 0:
            self.no_id += 1
            return
        end = body.find(b'"', at)
        self.ids.add(bytes(body[at:end]))

    def at(self, fraction):
        """When the given fraction of the triggers so far had arrived (ms)."""
        if not self.times:
            return None
        return self.times[round(fraction * (len(self.times) - 1))]

    def as_json(self):
        return json.dumps({
            "triggers": self.triggers,
            "distinct": len(self.ids),
            "no_id": self.no_id,
            "other_requests": self.other,
            "first_ms": self.at(0.0),
            "p50_ms": self.at(0.5),
            "p99_ms": self.at(0.99),
            "last_ms": self.at(1.0),
            "now_ms": time.time() * 1000.0,
        }).encode()


COUNTERS = Counters()


def response(code, reason, body=b"", ctype=b"application/json"):
    """One complete HTTP/1.1 answer with a Content-Length."""
    return (b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
            % (code, reason, ctype, len(body)) + body)


def route(method, target, body):
    """The answer for one request other than a trigger."""
    COUNTERS.other += 1
    if method == b"GET" and target == b"/_bench/stats":
        return response(200, b"OK", COUNTERS.as_json())
    if method == b"POST" and target == b"/_bench/reset":
        COUNTERS.reset()
        return response(200, b"OK", b"{}")
    if method == b"POST" and target == b"/v1/triggertypes":
        return response(201, b"Created", bytes(body))
    if method == b"PUT" and target.startswith(b"/v1/triggertypes/"):
        return response(200, b"OK", bytes(body))
    return response(404, b"Not Found", b'{"faultstring":"not found"}')


class Http(asyncio.Protocol):
    """One client connection: parse requests as they come, answer in order."""

    def connection_made(self, transport):
        self.transport = transport
        self.buf = bytearray()
        self.continued = False

    def data_received(self, data):
        self.buf += data
        while self.buf:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                if len(self.buf) > MAX_HEAD:
                    self.fail(b"431 Request Header Fields Too Large")
                return
            head = bytes(self.buf[:head_end]).lower()
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                eol = head.find(b"\r\n", at + 2)
                try:
                    length = int(head[at + 17:eol if eol > 0 else None])
                except ValueError:
                    self.fail(b"400 Bad Request")
                    return
            elif b"\r\ntransfer-encoding:" in head:
                self.fail(b"411 Length Required")
                return
            total = head_end + 4 + length
            if len(self.buf) < total:
                if not self.continued and b"\r\nexpect: 100-continue" in head:
                    self.continued = True
                    self.transport.write(RESP_100)
                return
            line_end = head.find(b"\r\n")
            parts = bytes(self.buf[:line_end if line_end > 0 else head_end]).split(b" ")
            body = self.buf[head_end + 4:total]
            close = b"\r\nconnection: close" in head or parts[-1] == b"HTTP/1.0"
            if len(parts) == 3 and parts[0] == b"POST" and parts[1] == TRIGGER_PATH:
                COUNTERS.trigger(body)
                self.transport.write(RESP_202)
            elif len(parts) == 3:
                self.transport.write(route(parts[0], parts[1], body))
            else:
                self.fail(b"400 Bad Request")
                return
            del self.buf[:total]
            self.continued = False
            if close:
                self.transport.close()
                return

    def fail(self, status):
        """Answers a request it cannot parse, and hangs up."""
        self.transport.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
        self.transport.close()
        self.buf.clear()


async def serve(port):
    """Listens on 127.0.0.1:port until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Http, "127.0.0.1", port, backlog=1024,
                                      reuse_address=True)
    print("port %d" % server.sockets[0].getsockname()[1], flush=True)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    await stop
    server.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    asyncio.run(serve(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
