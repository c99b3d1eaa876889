#!/usr/bin/env python3
"""httpc.py — a raw HTTP client for the black-box tests (stdlib only).

  httpc.py GET URL
  httpc.py POST URL FILE|- [NAME:VALUE]...
                                    (body sent as application/x-msgpack, or
                                    with the headers given instead)
  httpc.py POSTLEN URL N            (claims Content-Length N, sends nothing)

Prints the status code on the first line, then the reply body with bytes
outside printable ASCII shown as '.', so a test can grep for the stable
error code ("bad_signature", "gap", ...).  Exit 0 whenever a reply came.
"""
import http.client
import sys
import urllib.parse


def main():
    method, url = sys.argv[1], sys.argv[2]
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    path = u.path or "/"
    if method == "GET":
        conn.request("GET", path)
    elif method == "POST":
        src = sys.argv[3]
        body = sys.stdin.buffer.read() if src == "-" else open(src, "rb").read()
        headers = dict(h.split(":", 1) for h in sys.argv[4:]) or {
            "Content-Type": "application/x-msgpack"}
        conn.request("POST", path, body, {k.strip(): v.strip() for k, v in headers.items()})
    elif method == "POSTLEN":
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/x-msgpack")
        conn.putheader("Content-Length", sys.argv[3])
        conn.endheaders()
    else:
        sys.exit("usage: httpc.py GET|POST|POSTLEN URL [FILE|N]")
    r = conn.getresponse()
    data = r.read()
    print(r.status)
    print("".join(chr(b) if 32 <= b < 127 else "." for b in data))


if __name__ == "__main__":
    main()
