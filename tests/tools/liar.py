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

Replies are msgpack maps; a minimal codec for what the aggregator says
(maps, strings, bin, unsigned ints) is below.
"""
import http.client
import http.server
import subprocess
import sys
import urllib.parse


def mp_read(b, p):
    t = b[p]
    if t <= 0x7f:
        return t, p + 1
    if 0x80 <= t <= 0x8f or t in (0xde, 0xdf):
        if t <= 0x8f:
            n, p = t & 0x0f, p + 1
        elif t == 0xde:
            n, p = int.from_bytes(b[p + 1:p + 3], "big"), p + 3
        else:
            n, p = int.from_bytes(b[p + 1:p + 5], "big"), p + 5
        m = {}
        for _ in range(n):
            k, p = mp_read(b, p)
            v, p = mp_read(b, p)
            m[k] = v
        return m, p
    if 0xa0 <= t <= 0xbf:
        n = t & 0x1f
        return b[p + 1:p + 1 + n].decode(), p + 1 + n
    sizes = {0xd9: 1, 0xda: 2, 0xdb: 4}
    if t in sizes:
        w = sizes[t]
        n = int.from_bytes(b[p + 1:p + 1 + w], "big")
        return b[p + 1 + w:p + 1 + w + n].decode(), p + 1 + w + n
    sizes = {0xc4: 1, 0xc5: 2, 0xc6: 4}
    if t in sizes:
        w = sizes[t]
        n = int.from_bytes(b[p + 1:p + 1 + w], "big")
        return bytes(b[p + 1 + w:p + 1 + w + n]), p + 1 + w + n
    sizes = {0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8}
    if t in sizes:
        w = sizes[t]
        return int.from_bytes(b[p + 1:p + 1 + w], "big"), p + 1 + w
    raise ValueError("msgpack byte 0x%02x not expected in a reply" % t)


def mp_write(v):
    if isinstance(v, dict):
        assert len(v) < 16
        out = bytes([0x80 | len(v)])
        for k in sorted(v):
            out += mp_write(k) + mp_write(v[k])
        return out
    if isinstance(v, str):
        s = v.encode()
        if len(s) < 32:
            return bytes([0xa0 | len(s)]) + s
        if len(s) < 256:
            return bytes([0xd9, len(s)]) + s
        return b"\xda" + len(s).to_bytes(2, "big") + s
    if isinstance(v, bytes):
        if len(v) < 256:
            return bytes([0xc4, len(v)]) + v
        return b"\xc5" + len(v).to_bytes(2, "big") + v
    if v < 0x80:
        return bytes([v])
    for tag, w in ((0xcc, 1), (0xcd, 2), (0xce, 4), (0xcf, 8)):
        if v < 1 << (8 * w):
            return bytes([tag]) + v.to_bytes(w, "big")
    raise ValueError(v)


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
        hdr = {"Content-Type": "application/x-msgpack"} if body is not None else {}
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
