#!/usr/bin/env python3
"""kecproxy.py — a stand-in kecamatan that hands receipts down, for
tests/cli/upstream.sh (the village side of receipts coming back down).

  kecproxy.py serve KEC_URL UPFILE
      Serves on a free loopback port (prints "listening on 127.0.0.1:PORT")
      and passes every request to the real aggregator at KEC_URL.  Its
      answer to GET /v1/origins/{o} gains an `up` field built from UPFILE,
      read again for every request (absent or empty: no `up` field):
          KEYHEX SEQ RECEIPT_FILE   one item {key, seq, receipt}
          raw HEX                   the whole `up` value as these msgpack
                                    bytes (for malformed answers)
  kecproxy.py receipt AGG_URL CHANGESET_FILE
      POSTs the change set to a real aggregator (the kabupaten) and writes
      the receipt of its acceptance to stdout: a true receipt, signed by
      the kabupaten's own key, that the village has not seen.
"""
import http.client
import http.server
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpmini import Raw, mp_read, mp_write  # noqa: E402


def post(url, path, body, hdr=None):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    if hdr is None:
        hdr = {"Content-Type": "application/x-msgpack"} if body is not None else {}
    c.request("POST" if body is not None else "GET", path, body, hdr)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def up_value(upfile):
    try:
        lines = open(upfile).read().split("\n")
    except FileNotFoundError:
        return None
    items = []
    for line in lines:
        f = line.split()
        if not f:
            continue
        if f[0] == "raw":
            return Raw(bytes.fromhex(f[1]))
        items.append({"key": bytes.fromhex(f[0]), "seq": int(f[1]),
                      "receipt": open(f[2], "rb").read()})
    return items or None


def serve(kec_url, upfile):
    class Kec(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "application/x-msgpack")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            status, data = post(kec_url, self.path, None)
            up = up_value(upfile)
            if status == 200 and self.path.startswith("/v1/origins/") and up is not None:
                reply = mp_read(data, 0)[0]
                reply["up"] = up
                data = mp_write(reply)
            self.answer(status, data)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            # the body's form (plain, zstd, sealed) goes on as the client said it
            hdr = {k: self.headers[k] for k in ("Content-Type", "Content-Encoding")
                   if self.headers[k]}
            self.answer(*post(kec_url, self.path, body, hdr))

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Kec)
    print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
    srv.serve_forever()


def receipt(agg_url, changeset):
    status, data = post(agg_url, "/v1/changesets", open(changeset, "rb").read())
    reply = mp_read(data, 0)[0]
    if status != 200 or "receipt" not in reply:
        sys.exit("kecproxy: the aggregator answered %d: %r" % (status, reply))
    sys.stdout.buffer.write(reply["receipt"])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "receipt":
        receipt(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
