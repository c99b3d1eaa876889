#!/bin/sh
# repair.sh — a village restored from an old backup and written to has
# forked from the aggregator's copy of its log; `lumbung repair` closes the
# fork without losing a clerk's change:
#   the village pushes; a copy of its directory is taken (the backup); the
#   village writes more and pushes; the backup is restored and written to
#   (new records, an edit, deletes, a change the aggregator already holds);
#   its push fails with the fork; `lumbung repair --from FILE.lla` (the
#   aggregator's replica) adopts the aggregator's history and re-applies
#   every local change after it — a delete of a record the aggregator's
#   branch already deleted is listed as a conflict; push then succeeds and
#   every local change reaches the aggregator exactly once, with its latest
#   body; `lumbung verify` passes; `lumbung-agg status` shows the fork
#   resolved; the kept evidence exports and lumbung-audit proves the fork.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
AUDIT="$BUILD/lumbung-audit"

lb() { "$LUMBUNG" "$@"; }
audit() { "$AUDIT" "$@"; }
asp() { # DIR ID USULAN — one aspirasi, one transaction
	lb put -d "$1" aspirasi "$2" tanggal=2026-01-05 pengusul=Warga usulan="$3" status=diusulkan >/dev/null ||
		fail "put $2 in $1"
}
# agg_usulan ID — the aggregator's current usulan of aspirasi ID ("-" when absent)
agg_usulan() {
	agg get aspirasi "$1" -d "$A" --village 33.24.01.2001 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["usulan"])' 2>/dev/null || echo -
}
# changes ID — how many entries the aggregator's replica holds for aspirasi ID
changes() {
	audit export -d "$A" --origin "$KEY" >"$T/now.lla" 2>/dev/null || { echo "export failed"; return; }
	audit history "$T/now.lla" aspirasi "$1" --json 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)
print(len(j["changes"]) if isinstance(j, dict) else len(j))' 2>/dev/null || echo 0
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
asp "$V" EDIT "Balai lama"
asp "$V" GONE "Pagar"
asp "$V" BOTH "Gapura"
expect_exit 0 "the village pushes seq 1..6" lb push -d "$V"
cp -a "$V" "$T/backup"
B="$T/backup"
asp "$V" A-4 "Jalan 4"
asp "$V" A-5 "Jalan 5"
lb rm -d "$V" aspirasi BOTH >/dev/null || fail "rm BOTH"
expect_exit 0 "the village pushes seq 7..9 (and deletes BOTH)" lb push -d "$V"

# the PC dies; the old backup is restored and the clerks write to it
asp "$B" NEW-1 "Posyandu"
asp "$B" EDIT "Balai baru"
asp "$B" NEW-2 "Jembatan"
lb rm -d "$B" aspirasi GONE >/dev/null || fail "rm GONE"
asp "$B" A-4 "Jalan 4"                 # the same as the aggregator's A-4: already holds
asp "$B" NEW-1 "Posyandu dan PAUD"     # NEW-1 edited again: the latest body must win
lb rm -d "$B" aspirasi BOTH >/dev/null || fail "rm BOTH in the backup"
[ "$(seq_of "$B")" = 13 ] && ok "the restored backup wrote seq 7..13" || fail "backup at seq $(seq_of "$B")"
expect_exit 21 "its push fails: the histories have forked" lb push -d "$B"
contains "$T/err" "histories have forked" "and says the histories have forked"
# the backup's change set carried on a stick proves the fork at the aggregator
stop_agg
lb changeset -d "$B" --plain --since 7 >"$T/stick.lcs" 2>"$T/err" || fail "changeset: $(cat "$T/err")"
expect_exit 21 "lumbung-agg ingest refuses the stick's change set as a fork" agg ingest -d "$A" "$T/stick.lcs"
[ "$(agg_field 33.24.01.2001 forks)" = 1 ] && ok "the aggregator counts the fork" || fail "forks: $(agg_field 33.24.01.2001 forks)"
[ "$(agg_field 33.24.01.2001 fork_resolved_seq)" = 0 ] && ok "status --json: not resolved yet" || fail "fork_resolved_seq: $(agg_field 33.24.01.2001 fork_resolved_seq)"
start_agg "$A" "$PORT"

# repair from the aggregator's replica as an archive
expect_exit 0 "the aggregator's replica exports as an archive" sh -c '"$1" export -d "$2" --origin "$3" >"$4"' - "$AUDIT" "$A" "$KEY" "$T/agg.lla"
expect_exit 2 "repair without --from and nothing pending is a usage error" lb repair -d "$B"
expect_exit 10 "lumbung repair --from FILE.lla finishes, exit 10: a conflict was listed" lb repair -d "$B" --from "$T/agg.lla"
cp "$T/out" "$T/repair.out"
contains "$T/repair.out" "fork at seq 7" "the summary names the fork seq"
contains "$T/repair.out" "7 entries of ours kept as evidence (round 1)" "and the 7 entries kept as evidence"
contains "$T/repair.out" "5 changes re-applied as seq 10..14" "5 changes re-applied as new entries after the adopted tip, in order"
contains "$T/repair.out" "1 already held" "A-4 (the same body) skipped as already held"
contains "$T/repair.out" 'conflict: aspirasi "BOTH" (del' "the delete of BOTH, which the aggregator's branch deleted, is listed as a conflict"
contains "$T/repair.out" "run lumbung sync" "the summary says to sync"
[ "$(grep -c 'conflict:' "$T/repair.out")" = 1 ] && ok "exactly one conflict" || fail "conflicts: $(grep 'conflict:' "$T/repair.out")"
expect_exit 0 "lumbung verify passes after the repair" lb verify -d "$B"
expect_exit 2 "a second repair without --from: nothing is pending" lb repair -d "$B"

# sync: every change reaches the aggregator once
expect_exit 0 "push now succeeds" lb push -d "$B"
same_as_agg "$B" "the aggregator holds the repaired log"
[ "$(agg_usulan NEW-1)" = "Posyandu dan PAUD" ] && ok "NEW-1 has its latest body at the aggregator" || fail "NEW-1: $(agg_usulan NEW-1)"
[ "$(agg_usulan NEW-2)" = "Jembatan" ] && ok "NEW-2 reached the aggregator" || fail "NEW-2: $(agg_usulan NEW-2)"
[ "$(agg_usulan EDIT)" = "Balai baru" ] && ok "the edit reached the aggregator" || fail "EDIT: $(agg_usulan EDIT)"
[ "$(agg_usulan GONE)" = "-" ] && ok "the delete reached the aggregator" || fail "GONE: $(agg_usulan GONE)"
[ "$(agg_usulan A-5)" = "Jalan 5" ] && ok "the aggregator's own A-5 is kept" || fail "A-5: $(agg_usulan A-5)"
[ "$(changes NEW-1)" = 2 ] && ok "NEW-1's two changes each reached the aggregator once" || fail "NEW-1 changes: $(changes NEW-1)"
[ "$(changes NEW-2)" = 1 ] && ok "NEW-2 once" || fail "NEW-2 changes: $(changes NEW-2)"
[ "$(changes EDIT)" = 2 ] && ok "EDIT: its first put and the edit, once each" || fail "EDIT changes: $(changes EDIT)"
[ "$(changes GONE)" = 2 ] && ok "GONE: its put and the delete, once each" || fail "GONE changes: $(changes GONE)"
[ "$(changes A-4)" = 1 ] && ok "A-4 (already held) was not written again" || fail "A-4 changes: $(changes A-4)"
[ "$(changes BOTH)" = 2 ] && ok "BOTH: put and one delete" || fail "BOTH changes: $(changes BOTH)"

# the aggregator sees the fork resolved
[ "$(agg_field 33.24.01.2001 fork_resolved_seq)" = 10 ] && ok "status --json: the fork resolved at seq 10" || fail "fork_resolved_seq: $(agg_field 33.24.01.2001 fork_resolved_seq)"
agg status -d "$A" >"$T/status" 2>&1
contains "$T/status" "fork resolved at seq 10" "status says fork resolved at seq 10"

# the evidence
expect_exit 0 "export-log --forked writes the evidence" sh -c '"$1" export-log -d "$2" --forked >"$3"' - "$LUMBUNG" "$B" "$T/ev.lla"
expect_exit 0 "lumbung-audit verify proves the fork" audit verify "$T/ev.lla" --key "$KEY"
contains "$T/out" "fork proven: the village signed two histories at seq 7" "at seq 7"
expect_exit 0 "so does export-log --forked --round 1" sh -c '"$1" export-log -d "$2" --forked --round 1 >"$3"' - "$LUMBUNG" "$B" "$T/ev1.lla"
cmp -s "$T/ev.lla" "$T/ev1.lla" && ok "the same evidence (one round)" || fail "round 1 differs"
expect_exit 1 "export-log --forked --round 2: no such round" sh -c '"$1" export-log -d "$2" --forked --round 2 >"$3"' - "$LUMBUNG" "$B" "$T/ev2.lla"
expect_exit 1 "a node that never forked has no evidence" sh -c '"$1" export-log -d "$2" --forked >"$3"' - "$LUMBUNG" "$V" "$T/ev3.lla"

# --from URL: the aggregator's log endpoint (sync/fetch.h), asked with a
# challenge signed by the village key.  Another old copy of the village
# (at seq 9) is written to and repaired straight from the aggregator.
C="$T/backup2"
cp -a "$V" "$C"
asp "$C" URL-1 "Irigasi"
asp "$C" EDIT "Balai desa"
expect_exit 21 "a second old copy, written to, has forked too" lb push -d "$C"
expect_exit 0 "lumbung repair --from URL (no conflict: exit 0)" lb repair -d "$C" --from "$URL"
contains "$T/out" "fork at seq 10" "it forked at seq 10"
contains "$T/out" "2 changes re-applied" "and its 2 changes are re-applied"
contains "$T/out" "receipt(s) of the aggregator checked and kept" "the copy's receipt is kept (the remote's key)"
expect_exit 0 "its push succeeds" lb push -d "$C"
same_as_agg "$C" "the aggregator holds its repaired log"
[ "$(agg_usulan URL-1)" = "Irigasi" ] && ok "URL-1 reached the aggregator" || fail "URL-1: $(agg_usulan URL-1)"
[ "$(agg_usulan EDIT)" = "Balai desa" ] && ok "its edit of EDIT is the latest" || fail "EDIT: $(agg_usulan EDIT)"
[ "$(changes URL-1)" = 1 ] && ok "URL-1 once" || fail "URL-1 changes: $(changes URL-1)"
expect_exit 0 "lumbung verify passes" lb verify -d "$C"
expect_exit 0 "its evidence proves the fork" sh -c '"$1" export-log -d "$2" --forked >"$3" && "$4" verify "$3" --key "$5"' - "$LUMBUNG" "$C" "$T/ev4.lla" "$AUDIT" "$KEY"
[ "$(agg_field 33.24.01.2001 forks)" = 1 ] && ok "(the push refused before sending: no new fork counted)" || fail "forks: $(agg_field 33.24.01.2001 forks)"

stop_agg
done_testing
