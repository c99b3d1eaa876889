#!/usr/bin/env python3
"""acceptproxy.py — an aggregator that says other things about `accept`,
for tests/cli/seal.sh (stdlib only).

  acceptproxy.py AGG_URL MODE LOG

Serves on a free loopback port (prints "listening on 127.0.0.1:PORT") and
passes every request to the real aggregator at AGG_URL.  Its answer to
GET /v1/origins/{o} has the `accept` field changed by MODE:
    none      removed (an aggregator from before the envelope)
    unknown   ["br", "lz4"]: names the client does not know
    int       5 (not an array)
    many      17 strings (more than a client reads)
    str       ["zstd", 7] (an item that is not a string)
Each POST's Content-Type and Content-Encoding are appended to LOG as one
line, and passed on with the body unchanged.
"""
import http.client
import http.server
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpmini import Raw, mp_read, mp_write  # noqa: E402

AGG = urllib.parse.urlsplit(sys.argv[1])
MODE = sys.argv[2]
LOG = sys.argv[3]
ACCEPT = {
    "unknown": ["br", "lz4"],
    "int": 5,
    "many": Raw(b"\xdc\x00\x11" + b"\xa4zstd" * 17),
    "str": Raw(b"\x92\xa4zstd\x07"),
}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self, method, body, hdr):
        c = http.client.HTTPConnection(AGG.hostname, AGG.port, timeout=30)
        c.request(method, self.path, body, hdr)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/x-msgpack")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        status, data = self.forward("GET", None, {})
        if status == 200 and self.path.startswith("/v1/origins/"):
            reply = mp_read(data, 0)[0]
            reply.pop("accept", None)
            if MODE in ACCEPT:
                reply["accept"] = ACCEPT[MODE]
            data = mp_write(reply)
        self.answer(status, data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        hdr = {k: self.headers[k] for k in ("Content-Type", "Content-Encoding", "X-Lumbung-Origin")
               if self.headers[k]}
        with open(LOG, "a") as f:
            f.write("%s|%s\n" % (hdr.get("Content-Type", ""), hdr.get("Content-Encoding", "")))
        self.answer(*self.forward("POST", body, hdr))


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
