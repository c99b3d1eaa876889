#!/usr/bin/env python3
"""datangstub.py — an aggregator's datang endpoint in front of a real
aggregator, for tests/cli/moves.sh (stdlib only).

  datangstub.py AGG_URL OFFERS_FILE LOG_FILE

Serves on a free loopback port (prints "listening on 127.0.0.1:PORT").
Every request is passed to the real aggregator at AGG_URL (so pushes and
the challenge, whose answer names the real aggregator's key, work as
there), except GET /v1/villages/{CODE}/datang: it needs an X-Lumbung-Proof
or Authorization header (401 otherwise; the proof itself is not checked
here) and is answered with OFFERS_FILE read afresh, a JSON object by
village code:
    {"33.24.01.2002": {"offers": [...]}}      answered 200 with that
    {"33.24.01.2002": {"status": 500, ...}}   answered with that status
    a village not named                       {"offers": []}
    "raw" instead of an object                that text as the answer
Each datang request appends "CODE proof|token" to LOG_FILE.
"""
import http.client
import http.server
import json
import sys
import urllib.parse

AGG = urllib.parse.urlsplit(sys.argv[1])
OFFERS = sys.argv[2]
LOG = sys.argv[3]
HOP = {"connection", "transfer-encoding", "keep-alive"}


class Stub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, ctype="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        hdr = {k: v for k, v in self.headers.items() if k.lower() not in HOP and
               k.lower() != "expect"}
        c = http.client.HTTPConnection(AGG.hostname, AGG.port, timeout=60)
        c.request(method, self.path, body, hdr)
        r = c.getresponse()
        data = r.read()
        c.close()
        keep = [(k, v) for k, v in r.getheaders()
                if k.lower() not in HOP and k.lower() not in ("content-length", "content-type")]
        self.answer(r.status, data, r.getheader("Content-Type", "application/json"), keep)

    def do_POST(self):
        self.forward("POST")

    def do_GET(self):
        parts = urllib.parse.urlsplit(self.path).path.split("/")
        if len(parts) != 5 or parts[1:3] != ["v1", "villages"] or parts[4] != "datang":
            self.forward("GET")
            return
        code = parts[3]
        proof = self.headers.get("X-Lumbung-Proof")
        token = self.headers.get("Authorization")
        with open(LOG, "a") as f:
            f.write("%s %s\n" % (code, "proof" if proof else "token" if token else "none"))
        if not proof and not token:
            self.answer(401, b'{"error":"unauthorized","message":"no proof"}')
            return
        with open(OFFERS) as f:
            table = json.load(f)
        mine = table.get(code, {"offers": []})
        if isinstance(mine, str):
            self.answer(200, mine.encode())
        elif "status" in mine:
            self.answer(mine["status"], json.dumps(mine).encode())
        else:
            self.answer(200, json.dumps(mine).encode())


def main():
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    print("listening on 127.0.0.1:%d" % s.server_address[1], flush=True)
    s.serve_forever()


if __name__ == "__main__":
    main()
