"""standin_http.py: the HTTP plumbing the stand-ins share.

st2_standin.py (StackStorm) and pd_standin.py (PagerDuty) are threaded
HTTP/1.1 servers on loopback that hand every request to their stand-in's
_handle(handler, method); what differs is what they answer, not how they
serve. StandIn is their common base: the address, the server thread, the
with statement, and the end of their main(). Python stdlib only.
"""

import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StandInServer(ThreadingHTTPServer):
    """A threaded server whose handlers reach the stand-in as self.server.standin."""

    daemon_threads = True
    allow_reuse_address = True  # a stand-in brought down can listen on its port again at once
    block_on_close = False

    def __init__(self, addr, standin, handler):
        self.standin = standin
        super().__init__(addr, handler)

    def handle_error(self, request, client_address):
        """Clients that hang up (or a stand-in cutting them) are normal here."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class StandInHandler(BaseHTTPRequestHandler):
    """Keep-alive, no logging, every method to the stand-in's _handle()."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the real front ends do
    # Headers and body go out in two writes: without this, Nagle and the
    # client's delayed ACK hold every answer back ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass  # the stand-ins' request logs record what tests need

    def do_GET(self):
        self.server.standin._handle(self, "GET")

    def do_POST(self):
        self.server.standin._handle(self, "POST")

    def do_PUT(self):
        self.server.standin._handle(self, "PUT")

    def do_DELETE(self):
        self.server.standin._handle(self, "DELETE")

    def do_PATCH(self):
        self.server.standin._handle(self, "PATCH")


class StandIn:
    """A stand-in's serving half: a subclass names its handler class (a
    StandInHandler) and its thread, and answers in _handle(handler, method)."""

    handler = StandInHandler
    thread_name = "standin"

    def __init__(self, port=0):
        self.host = "127.0.0.1"
        self.port = port
        self._server = None
        self._thread = None

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    def _listen(self):
        """A server on self.port (port 0 picks a free one, kept for the next time)
        and the thread that will serve it, not started yet: (server, thread)."""
        server = StandInServer((self.host, self.port), self, self.handler)
        self.port = server.server_address[1]
        # A short poll interval: shutdown() in _close() waits for it.
        thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                                  name=self.thread_name, daemon=True)
        return server, thread

    @staticmethod
    def _close(server, thread):
        """Stops what _listen() made: no new connection, the thread gone."""
        server.shutdown()
        server.server_close()
        thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def serve_until_signal(self):
        """A started stand-in's main(): says where it listens, serves until SIGTERM
        or SIGINT, stops; returns the exit status."""
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: done.set())
        signal.signal(signal.SIGINT, lambda *a: done.set())
        print("listening on %s:%d" % (self.host, self.port), flush=True)
        while not done.wait(0.5):
            pass
        self.stop()
        return 0
