#!/usr/bin/env python3
"""hostile.py — hostile HTTP clients for tests/cli/hostile.sh (stdlib only).

  hostile.py trickle HOST PORT N EVERY SECONDS [SRC]
      Hold N connections (from source address SRC, default 127.0.0.1), each
      sending one byte of a never-ending request header every EVERY
      seconds, for SECONDS; a connection the server closes is opened again
      at its next turn.  Prints "trickle: opened O, closed by the server C,
      open at the end E".

  hostile.py withhold HOST PORT N SIZE SECONDS [ORIGIN]
      Open N connections, each POSTing /v1/changesets with Content-Length
      SIZE (header X-Lumbung-Origin: ORIGIN when given) and sending all but
      the last byte; hold them SECONDS.  Prints "ready" once every body is
      sent or answered (so the caller can measure), then one line per
      status code seen ("503 x12") at the end.

  hostile.py raw HOST PORT WAIT
      Send stdin as is, then print everything the server answers within
      WAIT seconds (or until it closes), bytes outside printable ASCII and
      newline shown as '.'.
"""
import selectors
import socket
import sys
import time


def connect(host, port, src=None, blocking=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.setblocking(blocking)
    try:
        s.connect((host, port))
    except BlockingIOError:
        pass
    return s


def trickle(host, port, n, every, seconds, src="127.0.0.1"):
    head = b"GET /v1/origins/" + b"a" * 100000  # never ends
    socks = [None] * n
    pos = [0] * n
    opened = closed = 0
    end = time.time() + seconds
    while time.time() < end:
        turn = time.time()
        for i in range(n):
            s = socks[i]
            if s is None:
                try:
                    socks[i] = connect(host, port, src, blocking=False)
                    pos[i] = 0
                    opened += 1
                except OSError:
                    pass
                continue
            try:
                # a byte, unless the server has closed (EOF or reset)
                try:
                    if s.recv(1, socket.MSG_DONTWAIT) == b"":
                        raise ConnectionError
                except BlockingIOError:
                    pass
                s.send(head[pos[i]:pos[i] + 1])
                pos[i] += 1
            except OSError:
                s.close()
                socks[i] = None
                closed += 1
        time.sleep(max(0.0, every - (time.time() - turn)))
    still = 0
    for s in socks:
        if s is None:
            continue
        try:
            if s.recv(1, socket.MSG_DONTWAIT) != b"":
                still += 1
        except BlockingIOError:
            still += 1
        except OSError:
            pass
        s.close()
    print("trickle: opened %d, closed by the server %d, open at the end %d" % (opened, closed, still))


def withhold(host, port, n, size, seconds, origin=None):
    hdr = "POST /v1/changesets HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-msgpack\r\n"
    if origin:
        hdr += "X-Lumbung-Origin: %s\r\n" % origin
    hdr += "Content-Length: %d\r\n\r\n" % size
    chunk = b"\x00" * (1 << 20)
    socks, status = [], {}
    for _ in range(n):
        s = connect(host, port)
        s.settimeout(10)
        socks.append(s)
        try:
            s.sendall(hdr.encode())
            left = size - 1
            while left > 0:
                k = min(left, len(chunk))
                s.sendall(chunk[:k])
                left -= k
        except OSError:
            pass  # refused early: the answer is read below
    print("ready", flush=True)
    end = time.time() + seconds
    for s in socks:
        s.settimeout(max(0.1, end - time.time()) if False else 0.2)
        try:
            got = s.recv(200)
            code = got.split(b" ")[1].decode() if got.startswith(b"HTTP/") else "closed"
        except socket.timeout:
            code = "held"
        except OSError:
            code = "reset"
        status[code] = status.get(code, 0) + 1
    time.sleep(max(0.0, end - time.time()))
    for s in socks:
        s.close()
    for k in sorted(status):
        print("%s x%d" % (k, status[k]))


def raw(host, port, wait):
    s = connect(host, port)
    s.sendall(sys.stdin.buffer.read())
    s.settimeout(0.2)
    out = b""
    end = time.time() + wait
    while time.time() < end:
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not b:
            break
        out += b
    print("".join(chr(c) if 32 <= c < 127 or c == 10 else "." for c in out))


def main():
    a = sys.argv[1:]
    if a[:1] == ["trickle"] and len(a) in (6, 7):
        trickle(a[1], int(a[2]), int(a[3]), float(a[4]), float(a[5]), *a[6:])
    elif a[:1] == ["withhold"] and len(a) in (6, 7):
        withhold(a[1], int(a[2]), int(a[3]), int(a[4]), float(a[5]), *a[6:])
    elif a[:1] == ["raw"] and len(a) == 4:
        raw(a[1], int(a[2]), float(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
