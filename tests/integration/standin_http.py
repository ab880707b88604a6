"""standin_http.py: the HTTP plumbing the stand-ins share.

st2_standin.py (StackStorm) and pd_standin.py (PagerDuty) are threaded
HTTP/1.1 servers on loopback that hand every request to their stand-in's
_handle(handler, method); what differs is what they answer, not how they
serve. Python stdlib only.
"""

import sys
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
