#!/bin/sh
# forkproof.sh — a village restored from an old backup writes a different
# history and carries it on a stick; the aggregator refuses it as a fork,
# and the evidence it keeps proves the fork to an auditor although the two
# signed heads are of different seqs:
#   the village pushes 1..3, is backed up, writes and pushes 4..6; the
#   backup, restored, writes a different 4..5; `lumbung-agg ingest` of its
#   change set is refused as a fork; `lumbung-audit fork-evidence` +
#   `verify` says "fork proven" at seq 4 (exit 0); tampering with any part
#   of the evidence (an entry of either history, a head) fails verify.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
AUDIT="$BUILD/lumbung-audit"
LLA="$(cd "$(dirname "$0")/.." && pwd)/tools/llatool.py"

lb() { "$LUMBUNG" "$@"; }
audit() { "$AUDIT" "$@"; }
lla() { python3 "$LLA" "$@"; }
asp() { # DIR ID USULAN — one aspirasi, one transaction
	lb put -d "$1" aspirasi "$2" tanggal=2026-01-05 pengusul=Warga usulan="$3" status=diusulkan >/dev/null
}

V="$T/desa"
A="$T/kab"
lb init -d "$V" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
KEY=$(origin "$V")
agg enroll -d "$A" --village 33.24.01.2001 --key "$KEY" >/dev/null || fail "enroll"
start_agg "$A"
lb remote add -d "$V" kab "$URL" --key "$AK" >/dev/null
for i in 1 2 3; do asp "$V" "A-$i" "Sumur $i"; done
expect_exit 0 "the village pushes seq 1..3" lb push -d "$V"
cp -a "$V" "$T/backup"
for i in 4 5 6; do asp "$V" "A-$i" "Jalan $i"; done
expect_exit 0 "the village pushes seq 4..6" lb push -d "$V"
stop_agg

# the backup, restored, writes a different 4..5 and goes on a stick
for i in 4 5; do asp "$T/backup" "B-$i" "Lain $i"; done
[ "$(seq_of "$T/backup")" = 5 ] && ok "the restored backup wrote seq 4..5" || fail "backup at seq $(seq_of "$T/backup")"
lb changeset -d "$T/backup" --plain --since 4 >"$T/stick.lcs" 2>"$T/err" || fail "changeset: $(cat "$T/err")"
expect_exit 21 "lumbung-agg ingest refuses the stick's change set as a fork" agg ingest -d "$A" "$T/stick.lcs"
contains "$T/err" "seq 4" "and names seq 4, where the histories part"
[ "$(agg_field 33.24.01.2001 forks)" = 1 ] && ok "status counts the fork" || fail "status: $(agg_field 33.24.01.2001 forks) forks"
[ "$(agg_field 33.24.01.2001 seq)" = 6 ] && ok "and the aggregator still holds the village's 1..6" || fail "agg seq $(agg_field 33.24.01.2001 seq)"

# the evidence proves it
expect_exit 0 "fork-evidence exports the evidence" sh -c '"$1" fork-evidence -d "$2" >"$3"' - "$AUDIT" "$A" "$T/ev.lla"
lla list "$T/ev.lla" >"$T/frames"
n_ours=$(awk '$2 == "fork" { f = 1 } $2 == "fork-entry" && f { n++ } END { print n + 0 }' "$T/frames")
[ "$n_ours" = 5 ] && ok "the evidence holds entries 4..6 held and 4..5 rival (5 fork entries)" || fail "fork entries: $(cat "$T/frames")"
expect_exit 0 "verify proves the fork (exit 0) although the heads are of seq 6 and 5" audit verify "$T/ev.lla" --key "$KEY"
contains "$T/out" "fork proven: the village signed two histories at seq 4" "the report says fork proven at seq 4"
contains "$T/out" "fork      seq 4: two signed histories differ from here; heads seq 6" "the fork line names seq 4 and both heads' seqs"
audit verify "$T/ev.lla" --key "$KEY" --json >"$T/out" 2>"$T/err"
python3 - "$T/out" <<'PY' && ok "--json: each fork's seq is where the histories part (4), with both heads' seqs" || fail "--json forks: $(cat "$T/out")"
import json, sys
j = json.load(open(sys.argv[1]))
f = j["forks"]
assert j["ok"] and j["fork_seq"] == 4 and len(f) == 1, j
assert (f[0]["seq"], f[0]["ours_seq"], f[0]["theirs_seq"]) == (4, 6, 5), f
PY
expect_exit 0 "and so with worker threads" audit verify "$T/ev.lla" --key "$KEY" --threads 2

# tampering with the evidence: nothing is proven any more
fe() { awk -v k="$1" '$2 == "fork-entry" { n++; if (n == k) { print $1; exit } }' "$T/frames"; }
ff=$(awk '$2 == "fork" { print $1; exit }' "$T/frames")
lla poke "$T/ev.lla" "$T/t.lla" "$(fe 1)" 0 -40
expect_exit 8 "a changed byte in the held history's first entry fails verify" audit verify "$T/t.lla" --key "$KEY"
contains "$T/err" "fork evidence" "and the message says it is the fork evidence"
lla poke "$T/ev.lla" "$T/t.lla" "$(fe 5)" 0 -40
expect_exit 8 "a changed byte in the rival's last entry fails verify" audit verify "$T/t.lla" --key "$KEY"
lla poke "$T/ev.lla" "$T/t.lla" "$(fe 4)" 0 5
expect_exit 8 "a changed time in the rival's first entry fails verify" audit verify "$T/t.lla" --key "$KEY"
lla poke "$T/ev.lla" "$T/t.lla" "$ff" 1 -3
expect_exit 13 "a forged signature on the rival head fails verify" audit verify "$T/t.lla" --key "$KEY"
lla strip "$T/ev.lla" "$T/t.lla" fork-entry
if audit verify "$T/t.lla" --key "$KEY" >"$T/out" 2>"$T/err"; then
	fail "the heads alone (seq 6 and 5) were taken as proof"
else
	ok "the two heads alone prove nothing"
fi
expect_exit 0 "the village's own log still verifies" audit verify -d "$V" --key "$KEY"

done_testing
