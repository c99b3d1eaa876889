#!/bin/sh
# vectors.sh — the conformance vectors of docs/vectors against the real
# binaries:
#   (a) tools/vectors.py (which uses none of our C code) regenerates every
#       file byte for byte, and the directory holds no file it does not write;
#   (b) every vector gets the verdict its manifest (vectors.json) names:
#       `lumbung-audit verify` / `check-proof` --json: ok, error name,
#       message substring, the listed JSON fields and the exit status;
#       change sets: `lumbung-agg ingest` into a fresh aggregator, its exit
#       status, and for a refused one that the aggregator still holds exactly
#       what it held before (its export verifies, same seq and hash).
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_MAP_SIZE
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VEC="$ROOT/docs/vectors"
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3

for b in lumbung-audit lumbung-agg; do
	if [ ! -x "$BUILD/$b" ]; then
		fail "$BUILD/$b is built"
		done_testing
		exit 1
	fi
done

# ---- (a) the generator writes exactly the committed files ---------------------

if "$PY" "$ROOT/tools/vectors.py" "$T/gen" 2>"$T/err"; then
	ok "tools/vectors.py runs (and reproduces FORMAT.md's worked examples)"
else
	fail "tools/vectors.py runs ($(head -c 300 "$T/err"))"
fi
for f in "$VEC"/*; do [ "${f##*/}" = README.md ] || echo "${f##*/}"; done >"$T/have"
for f in "$T/gen"/*; do echo "${f##*/}"; done >"$T/want"
if cmp -s "$T/have" "$T/want"; then
	ok "docs/vectors holds exactly the files the generator writes ($(wc -l <"$T/want"))"
else
	fail "docs/vectors holds exactly the files the generator writes: $(diff "$T/want" "$T/have" | grep '^[<>]' | tr '\n' ' ')"
fi
differ=""
while read -r f; do
	[ -f "$VEC/$f" ] && ! cmp -s "$VEC/$f" "$T/gen/$f" && differ="$differ $f"
done <"$T/want"
if [ -z "$differ" ]; then
	ok "every committed vector is byte-identical to a fresh run (make vectors)"
else
	fail "committed vectors differ from a fresh run (make vectors):$differ"
fi

# ---- (b) each vector's verdict ---------------------------------------------------

# The checker prints one line per vector: "PASS what" or "FAIL what (why)".
"$PY" - "$VEC" "$BUILD" "$T" >"$T/results" 2>"$T/pyerr" <<'EOF'
import json, os, subprocess, sys

vec, build, tmp = sys.argv[1:4]
audit, agg = os.path.join(build, "lumbung-audit"), os.path.join(build, "lumbung-agg")
CODES = {"invalid": 1, "corrupt": 6, "malformed": 7, "schema": 8, "bad_signature": 11,
         "too_large": 12, "unknown_origin": 16, "wrong_village": 17, "gap": 18, "fork": 19}


def status(m):
    return 0 if m["ok"] else 2 + CODES[m["error"]]


def run(*a):
    return subprocess.run(list(a), capture_output=True, stdin=subprocess.DEVNULL, timeout=60)


def judge_json(m, p):
    why = []
    try:
        j = json.loads(p.stdout)
    except ValueError:
        return ["no JSON on stdout (exit %d, stderr %r)" % (p.returncode, p.stderr[:200])]
    if j.get("ok") is not m["ok"]:
        why.append("ok %r, wanted %r" % (j.get("ok"), m["ok"]))
    if j.get("error") != m["error"]:
        why.append("error %r, wanted %r" % (j.get("error"), m["error"]))
    if m["message"] and m["message"] not in (j.get("message") or ""):
        why.append("message %r lacks %r" % (j.get("message"), m["message"]))
    for k, v in m["expect"].items():
        if j.get(k) != v:
            why.append("%s %r, wanted %r" % (k, j.get(k), v))
    if p.returncode != status(m):
        why.append("exit %d, wanted %d" % (p.returncode, status(m)))
    if why and j.get("message"):
        why.append("message: %s" % j["message"])
    return why


n = 0


def held(d, key):
    """(last_seq, last_hash) of what the aggregator holds for key, verified."""
    e = run(audit, "export", "-d", d, "--origin", key)
    if e.returncode:
        return ("export fails", e.stderr[:200])
    p = subprocess.run([audit, "verify", "-", "--key", key, "--json"], input=e.stdout,
                       capture_output=True, timeout=60)
    try:
        j = json.loads(p.stdout)
    except ValueError:
        return ("verify of the export gives no JSON", p.stderr[:200])
    if not j.get("ok"):
        return ("the export does not verify", j.get("message"))
    return (j["last_seq"], j["last_hash"])


def judge_ingest(m):
    global n
    n += 1
    d = os.path.join(tmp, "agg%d" % n)
    why = []
    village = "33.24.01.2001"
    p = run(agg, "init", "-d", d, "--region", "33.24.01")
    if p.returncode:
        return ["agg init: %r" % p.stderr[:200]]
    p = run(agg, "enroll", "-d", d, "--village", village, "--key", m["key"])
    if p.returncode:
        return ["agg enroll: %r" % p.stderr[:200]]
    rc = os.path.join(tmp, "receipts%d" % n)
    if m.get("ingest_after"):
        p = run(agg, "ingest", "-d", d, os.path.join(vec, m["ingest_after"]), "--receipts", rc)
        if p.returncode:
            return ["ingest of %s first: exit %d" % (m["ingest_after"], p.returncode)]
    before = held(d, m["key"])
    p = run(agg, "ingest", "-d", d, os.path.join(vec, m["file"]), "--receipts", rc)
    if p.returncode != status(m):
        why.append("exit %d, wanted %d (%s)" % (p.returncode, status(m),
                                                p.stderr.decode(errors="replace")[:200]))
    after = held(d, m["key"])
    if m["ok"]:
        if not isinstance(after[0], int) or after[0] == before[0]:
            why.append("held after: %r (before %r)" % (after, before))
    elif after != before:
        why.append("what is held changed: %r, before %r" % (after, before))
    return why


for m in json.load(open(os.path.join(vec, "vectors.json"))):
    f = os.path.join(vec, m["file"])
    what = "%s: %s -> %s" % (m["file"], m["check"],
                             "ok" if m["ok"] else m["error"])
    if m["key"]:
        what += " (--key %s..." % m["key"][:8]
        what += "".join(", --agg-key %s..." % a[:8] for a in m["agg_keys"]) + ")"
    if m["check"] == "verify":
        a = [audit, "verify", f] + (["--key", m["key"]] if m["key"] else [])
        for k in m["agg_keys"]:
            a += ["--agg-key", k]
        why = judge_json(m, run(*a, "--json"))
    elif m["check"] == "check-proof":
        why = judge_json(m, run(audit, "check-proof", f, "--key", m["key"], "--json"))
    elif m["check"] == "ingest":
        why = judge_ingest(m)
    else:
        why = ["unknown check %r" % m["check"]]
    line = ("FAIL %s (%s)" % (what, "; ".join(why))) if why else "PASS " + what
    print(" ".join(line.split()))  # one TAP line, whatever the messages hold
EOF
py=$?
while IFS= read -r line; do
	case "$line" in
	PASS\ *) ok "${line#PASS }" ;;
	*) fail "${line#FAIL }" ;;
	esac
done <"$T/results"
[ "$py" -eq 0 ] || fail "the manifest checker ran ($(tail -c 400 "$T/pyerr"))"
[ -s "$T/results" ] || fail "the manifest names vectors"

done_testing
