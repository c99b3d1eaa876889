#!/bin/sh
# shape.sh — the shaping proxy (tests/tools/shapeproxy.c) itself.
#
# A small Python server behind the proxy takes bytes (and answers with their
# length and SHA-256), sends bytes, or echoes lines.  Through the proxy:
#   - 64 KiB up and 64 KiB down at 32,000 bytes/s arrive intact and in order
#     (SHA-256 computed by the client from what it meant to send/receive)
#     and take at least 1.5 s (65,536 / 32,000 = 2.05 s, minus one packet of
#     burst);
#   - 8 connections at once share the rate: 8 x 8 KiB take at least 1.5 s;
#   - with 150 ms each way a request/response round trip on an open
#     connection takes at least 0.3 s, and a new connection's first round
#     trip at least 0.6 s (the handshake's round trip first);
#   - bad arguments exit 2; SIGTERM ends it with exit 0.
# Only lower bounds on time are asserted (a loaded machine is slower, never
# faster, than the link).
. "$(dirname "$0")/lib.sh"
SHAPE="$BUILD/shapeproxy"
SRV_PID=""
PROXY_PID=""
cleanup() {
	for p in $PROXY_PID $SRV_PID; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/srv.py" <<'PY'
import hashlib, random, socket, sys, threading

def data(n, seed):
    return random.Random(seed).randbytes(n)

def serve(c):
    with c:
        f = c.makefile("rb")
        cmd = f.readline().split()
        if cmd[0] == b"sink":  # read to EOF, answer "LEN SHA256"
            h, n = hashlib.sha256(), 0
            while True:
                b = f.read1(65536)
                if not b:
                    break
                h.update(b)
                n += len(b)
            c.sendall(b"%d %s\n" % (n, h.hexdigest().encode()))
        elif cmd[0] == b"source":  # send N bytes of seed S, then close
            c.sendall(data(int(cmd[1]), int(cmd[2])))
        elif cmd[0] == b"echo":
            for line in f:
                c.sendall(line)

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

cat >"$T/cli.py" <<'PY'
import hashlib, random, socket, sys, threading, time
port, mode = int(sys.argv[1]), sys.argv[2]

def data(n, seed):
    return random.Random(seed).randbytes(n)

def sink(n, seed, res, i):
    b = data(n, seed)
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"sink\n" + b)
    c.shutdown(socket.SHUT_WR)
    got = c.makefile("rb").read().decode().split()
    res[i] = got == [str(n), hashlib.sha256(b).hexdigest()]

t0 = time.monotonic()
if mode == "up":  # up N CONNS: CONNS connections each send N bytes
    n, k = int(sys.argv[3]), int(sys.argv[4])
    res = [False] * k
    ts = [threading.Thread(target=sink, args=(n, 100 + i, res, i)) for i in range(k)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    ok = all(res)
elif mode == "down":  # down N: receive N bytes
    n = int(sys.argv[3])
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"source %d 7\n" % n)
    got = c.makefile("rb").read()
    ok = hashlib.sha256(got).digest() == hashlib.sha256(data(n, 7)).digest()
elif mode == "rtt":  # rtt: first round trip, then the best of 3 more
    c = socket.create_connection(("127.0.0.1", port))
    f = c.makefile("rb")
    c.sendall(b"echo\nping 0\n")
    ok = f.readline() == b"ping 0\n"
    first = time.monotonic() - t0
    best = 1e9
    for i in range(1, 4):
        t = time.monotonic()
        c.sendall(b"ping %d\n" % i)
        ok = ok and f.readline() == b"ping %d\n" % i
        best = min(best, time.monotonic() - t)
    print("%s %.3f %.3f" % ("intact" if ok else "CORRUPT", first, best))
    sys.exit(0)
print("%s %.3f" % ("intact" if ok else "CORRUPT", time.monotonic() - t0))
PY

python3 "$T/srv.py" >"$T/srv.out" 2>"$T/srv.err" &
SRV_PID=$!
i=0
until [ -s "$T/srv.out" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
SPORT=$(cat "$T/srv.out")

# proxy ARGS... — start the proxy in front of the server; sets PPORT
proxy() {
	unproxy
	: >"$T/proxy.out"
	"$SHAPE" "$@" >"$T/proxy.out" 2>>"$T/proxy.log" &
	PROXY_PID=$!
	i=0
	until grep -q "^listening on" "$T/proxy.out" || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
	PPORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/proxy.out")
	[ -n "$PPORT" ]
}
unproxy() {
	[ -n "$PROXY_PID" ] || return 0
	kill "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
	PROXY_PID=""
}
# at_least SECONDS "description" RESULT — RESULT is "intact TIME"
at_least() {
	# shellcheck disable=SC2086  # RESULT is split into its words on purpose
	set -- "$1" "$2" $3
	if [ "${3:-}" = intact ] && python3 -c 'import sys; sys.exit(float(sys.argv[1]) < float(sys.argv[2]))' "$4" "$1"; then
		ok "$2 (${4}s)"
	else
		fail "$2: got '${3:-} ${4:-}', wanted intact and at least ${1}s"
	fi
}

check "the proxy starts (LISTEN_PORT TARGET form) and says where it listens" \
	proxy --up-rate 32000 --down-rate 32000 0 "localhost:$SPORT"
at_least 1.5 "64 KiB up at 32000 B/s arrive intact and in order, no faster than the rate" \
	"$(python3 "$T/cli.py" "$PPORT" up 65536 1)"
at_least 1.5 "64 KiB down at 32000 B/s arrive intact and in order, no faster than the rate" \
	"$(python3 "$T/cli.py" "$PPORT" down 65536)"
at_least 1.5 "8 connections x 8 KiB share the 32000 B/s link and arrive intact" \
	"$(python3 "$T/cli.py" "$PPORT" up 8192 8)"
unproxy

check "the proxy starts (--listen/--to form)" \
	proxy --delay-ms 150 --listen 127.0.0.1:0 --to "127.0.0.1:$SPORT"
# shellcheck disable=SC2046  # "intact FIRST BEST" into $1 $2 $3
set -- $(python3 "$T/cli.py" "$PPORT" rtt)
at_least 0.6 "150 ms each way: a new connection's first round trip waits for the handshake too" "$1 $2"
at_least 0.3 "150 ms each way: a round trip on an open connection takes the two delays" "$1 $3"
unproxy

check "one direction's delay alone (--up-delay-ms 300 --down-delay-ms 0)" \
	proxy --up-delay-ms 300 --down-delay-ms 0 0 "127.0.0.1:$SPORT"
# shellcheck disable=SC2046  # "intact FIRST BEST" into $1 $2 $3
set -- $(python3 "$T/cli.py" "$PPORT" rtt)
at_least 0.3 "300 ms up and none down: a round trip takes the up delay" "$1 $3"
"$SHAPE" --delay-ms 100 --up-rate 32000 --listen 127.0.0.1:0 --to "127.0.0.1:$SPORT" >"$T/p2.out" 2>&1 &
p2=$!
sleep 0.3
kill -TERM "$p2"
wait "$p2"
check "SIGTERM ends the proxy with exit 0" [ $? -eq 0 ]
unproxy

for bad in "--up-rate x 0 127.0.0.1:1" "--delay-ms 0 127.0.0.1:1" "--delay-ms 10 0" \
	"--frobnicate 1 0 127.0.0.1:1" "0 127.0.0.1:99999" "70000 127.0.0.1:1"; do
	# shellcheck disable=SC2086
	expect_exit 2 "bad arguments ($bad) exit 2" "$SHAPE" $bad
done
contains "$T/err" "usage:" "a bad argument prints the usage"

done_testing
