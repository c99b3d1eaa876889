#!/usr/bin/env python3
"""liar.py — a lying aggregator for tests/cli/liar.sh.

  liar.py UPSTREAM_URL AGG_DIR FORGE_RECEIPT MODE [SEQ HASH_HEX]

Serves on a free loopback port (prints "listening on 127.0.0.1:PORT") and
passes every request to the real aggregator at UPSTREAM_URL, then lies in
its accepting answers as MODE says:

  pass                  no lie (the control)
  origin|seq|hash|root  the receipt names another origin, seq, entry hash or
                        Merkle root, re-signed with the real aggregator key
                        (AGG_DIR/agg.key) by FORGE_RECEIPT
  key                   the receipt is signed by another key
  ack                   the answer names another hash than the change set's
  have SEQ HASH_HEX     "I already hold seq SEQ with hash HASH_HEX": the
                        position is answered with that, and a change set
                        with that too, but nothing reaches the aggregator
                        and no receipt comes back

Replies are msgpack maps, read and written with the minimal codec in
mpmini.py.
"""
import http.client
import http.server
import os
import subprocess
import sys
import urllib.parse


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpmini import mp_read, mp_write  # noqa: E402


UP = urllib.parse.urlsplit(sys.argv[1])
AGG_DIR, FORGE, MODE = sys.argv[2], sys.argv[3], sys.argv[4]
if MODE == "have":
    HAVE_SEQ, HAVE_HASH = int(sys.argv[5]), bytes.fromhex(sys.argv[6])


def lie(reply):
    """The accepting reply (a decoded map) as MODE tells it."""
    if MODE in ("origin", "seq", "hash", "root", "key") and "receipt" in reply:
        p = subprocess.run([FORGE, AGG_DIR, MODE], input=reply["receipt"],
                           stdout=subprocess.PIPE, check=True)
        reply["receipt"] = p.stdout
    elif MODE == "ack":
        reply["hash"] = bytes([reply["hash"][0] ^ 1]) + reply["hash"][1:]
    return reply


class Liar(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/x-msgpack")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self, method, body):
        c = http.client.HTTPConnection(UP.hostname, UP.port, timeout=30)
        # the body's form (plain, zstd, sealed) goes on as the client said it
        hdr = {k: self.headers[k] for k in ("Content-Type", "Content-Encoding")
               if self.headers[k]} if body is not None else {}
        c.request(method, self.path, body, hdr)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def do_GET(self):
        if MODE == "have":
            return self.answer(200, mp_write({"seq": HAVE_SEQ, "hash": HAVE_HASH}))
        self.answer(*self.forward("GET", None))

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if MODE == "have":
            return self.answer(200, mp_write({"accepted": 0, "seq": HAVE_SEQ,
                                              "hash": HAVE_HASH}))
        status, data = self.forward("POST", body)
        if status == 200 and MODE != "pass":
            data = mp_write(lie(mp_read(data, 0)[0]))
        self.answer(status, data)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Liar)
print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
