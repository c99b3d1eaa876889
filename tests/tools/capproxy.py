#!/usr/bin/env python3
"""capproxy.py — a TCP relay that records what clients send (stdlib only).

  capproxy.py TARGET_PORT CAPTURE_FILE

Listens on 127.0.0.1 (a free port, printed as "listening on PORT"), relays
every connection to 127.0.0.1:TARGET_PORT both ways, and appends every byte
a client sends (request lines, headers and bodies as they go on the wire)
to CAPTURE_FILE, so a test can search a push's bytes for what must not be
there.  Runs until killed.
"""
import socket
import sys
import threading

lock = threading.Lock()


def pump(src, dst, capture):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if capture:
                with lock, open(capture, "ab") as f:
                    f.write(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client, port, capture):
    try:
        up = socket.create_connection(("127.0.0.1", port))
    except OSError:
        client.close()
        return
    t = threading.Thread(target=pump, args=(up, client, None), daemon=True)
    t.start()
    pump(client, up, capture)
    t.join()
    client.close()
    up.close()


def main():
    port, capture = int(sys.argv[1]), sys.argv[2]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    print("listening on %d" % ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c, port, capture), daemon=True).start()


if __name__ == "__main__":
    main()
