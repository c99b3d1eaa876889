#!/usr/bin/env python3
"""restoreproxy.py — an aggregator that lies about a village's log, for
tests/cli/restore.sh (stdlib only).

  restoreproxy.py AGG_URL MODE TOKEN

Serves on a free loopback port (prints "listening on 127.0.0.1:PORT").
GET /v1/challenge is passed to the real aggregator at AGG_URL (so the
proof a village signs names the real aggregator's key).  GET
/v1/villages/{code}/log is answered with the real log read with the office
TOKEN, changed by MODE:
    alter        one letter of entry 3's body changed (llatool.py flip)
    cut          Content-Length of the whole log, but only half of it sent,
                 then the connection closed
    trunc        half of the log sent as if it were all of it
    other:CODE   the log of village CODE instead
"""
import http.client
import http.server
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llatool  # noqa: E402

AGG = urllib.parse.urlsplit(sys.argv[1])
MODE = sys.argv[2]
TOKEN = sys.argv[3]


def upstream(path, hdr):
    c = http.client.HTTPConnection(AGG.hostname, AGG.port, timeout=30)
    c.request("GET", path, None, hdr)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Content-Type", "application/json"), data


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, ctype, body, length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if length is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path)
        parts = path.path.split("/")
        if path.path == "/v1/challenge":
            self.answer(*upstream(self.path, {}))
            return
        if len(parts) != 5 or parts[1:3] != ["v1", "villages"] or parts[4] != "log":
            self.answer(404, "application/json", b'{"error":"not_found","message":"no"}')
            return
        code = MODE[6:] if MODE.startswith("other:") else parts[3]
        status, ctype, data = upstream("/v1/villages/%s/log?%s" % (code, path.query),
                                       {"Authorization": "Bearer " + TOKEN})
        if status != 200:
            self.answer(status, ctype, data)
            return
        if MODE == "alter":
            tmp = "%s.%d" % (os.environ.get("TMPDIR", "/tmp") + "/restoreproxy", os.getpid())
            with open(tmp, "wb") as f:
                f.write(data)
            frames = llatool.read(tmp)
            llatool.flip(frames[llatool.entry_index(frames, 3)], "body")
            llatool.write(tmp, frames)
            with open(tmp, "rb") as f:
                data = f.read()
            os.remove(tmp)
        if MODE == "cut":
            self.answer(200, ctype, data[:len(data) // 2], length=len(data))
            self.close_connection = True
            return
        if MODE == "trunc":
            data = data[:len(data) // 2]
        self.answer(200, ctype, data)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
