#!/bin/sh
# crash.sh — SIGKILL in the middle of `put --batch`, round after round on
# one node directory.  After every kill:
#   - verify exits 0 (chain, hashes, signed heads, Merkle root, state);
#   - the state equals a replay of the log: the ids whose last log entry is
#     a put are exactly what `ls` lists;
#   - the killed import wrote a whole number of its 10,000-line
#     transactions (all or nothing), and the log continues the chain of the
#     previous round (seq and prev);
#   - the node is writable again (a put and an rm right after the kill).
#
# The import is fed through a FIFO in 10,000-line blocks with a pause in
# between, so it is still running at the latest kill (1.5 s) and the log
# stays small enough to verify every round.  Kill delays come from awk's
# rand() with a seed printed in the output; CRASH_SEED=N repeats a run,
# CRASH_ROUNDS=N changes the number of rounds (default 20), CRASH_DELAYS="0.05
# 0.3 ..." gives the delays themselves.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_MAP_SIZE

lb() { "$LUMBUNG" "$@"; }
D="$T/node"
ROUNDS=${CRASH_ROUNDS:-20}
SEED=${CRASH_SEED:-$(($(date +%s) % 100000 + $$))}
PAUSE=${CRASH_PAUSE:-0.25} # seconds between 10,000-line blocks

lb init -d "$D" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init"

# 200,000 lines in 20 blocks of 10,000 (one transaction each); ids cycle
# through 50,000 so later blocks overwrite earlier records.
mkdir "$T/blocks"
awk -v dir="$T/blocks" 'BEGIN {
	for (i = 1; i <= 200000; i++) {
		if (i % 10000 == 1) { if (f) close(f); f = sprintf("%s/b%02d", dir, int(i / 10000)) }
		printf "{\"type\":\"aspirasi\",\"id\":\"33240101%08d\",\"body\":{\"pengusul\":\"Warga nomor %d\"," \
		       "\"dusun\":\"Kenanga Gang %d RT %03d RW %03d\",\"tanggal\":\"2026-01-%02d\"," \
		       "\"status\":\"diusulkan\",\"bidang\":\"sosial\"," \
		       "\"usulan\":\"baris uji impor massal untuk lumbung nomor %d\"}}\n",
		       (i - 1) % 50000 + 1, i, i % 50, i % 17, i % 13, i % 28 + 1, i > f
	}
}'
nblocks=$(ls "$T/blocks" | wc -l)
[ "$nblocks" -eq 20 ] || fail "generated 20 blocks of 10,000 lines (got $nblocks)"

# replay STATE SEQ < log — apply the text log lines (which must start at
# seq SEQ+1 and have no gaps) to the live ids kept in STATE (one per line,
# byte order); prints the last seq applied.
replay() {
	awk -F'  ' -v state="$1" -v seq="$2" '
		BEGIN { while ((getline id <state) > 0) live[id] = 1; close(state) }
		{
			if ($1 != seq + 1) { print "log: seq " $1 " follows seq " seq >"/dev/stderr"; bad = 1; exit 1 }
			seq = $1
			if ($4 != "aspirasi") next
			if ($3 == "put") live[$5] = 1
			else if ($3 == "del") delete live[$5]
			else { print "log: seq " seq ": op " $3 >"/dev/stderr"; bad = 1; exit 1 }
		}
		END { if (bad) exit 1; for (id in live) print id >state ".new"; print seq }' &&
		{ [ -f "$1.new" ] || : >"$1.new"; } && LC_ALL=C sort -o "$1" "$1.new" && rm -f "$1.new"
}
json_field() { # NAME < one JSON line -> the last "NAME":"value" (hex fields)
	sed -n "s/.*\"$1\":\"\([0-9a-f]*\)\".*/\1/p"
}
: >"$T/live"
seq=0
extra=0 # entries written after the previous round's check (put, rm)
hash=0000000000000000000000000000000000000000000000000000000000000000

awk -v seed="$SEED" -v n="$ROUNDS" 'BEGIN { srand(seed); for (i = 1; i <= n; i++) printf "%.2f\n", 0.05 + rand() * 1.45 }' \
	>"$T/delays"
if [ -n "${CRASH_DELAYS:-}" ]; then # e.g. CRASH_DELAYS="0.05 0.05 1.2"
	printf '%s\n' $CRASH_DELAYS >"$T/delays"
	ROUNDS=$(wc -l <"$T/delays")
fi
echo "# seed $SEED (rerun with CRASH_SEED=$SEED), $ROUNDS rounds, kill delays: $(tr '\n' ' ' <"$T/delays")"
mkfifo "$T/fifo"
killed=0
r=0
while read -r delay; do
	r=$((r + 1))
	before=$seq
	(for b in "$T"/blocks/b*; do
		cat "$b" || exit 0
		sleep "$PAUSE"
	done) >"$T/fifo" 2>/dev/null &
	feeder=$!
	"$LUMBUNG" put -d "$D" --batch "$T/fifo" >"$T/imp.out" 2>"$T/imp.err" &
	writer=$!
	sleep "$delay"
	kill -9 "$writer" 2>/dev/null
	wait "$writer" 2>/dev/null # (no "Killed" line from the shell)
	st=$?
	kill "$feeder" 2>/dev/null
	wait "$feeder" 2>/dev/null
	case $st in
	137) killed=$((killed + 1)) ;;
	0) echo "# round $r: the import finished before the kill" ;;
	*) fail "round $r: the import failed by itself (exit $st: $(cat "$T/imp.err"))" ;;
	esac

	if lb verify -d "$D" >"$T/out" 2>"$T/err"; then ok "round $r (kill after ${delay}s): verify passes"; else
		fail "round $r (kill after ${delay}s): verify passes ($(cat "$T/err"))"
	fi
	# state = replay, and the chain continues from the previous round
	prev=$(lb log -d "$D" --json --since $((seq + 1)) 2>/dev/null | head -n 1 | json_field prev)
	if [ -n "$prev" ] && [ "$prev" != "$hash" ]; then
		fail "round $r: the log continues the chain (seq $((seq + 1)) prev $prev, seq $seq hash $hash)"
	else ok "round $r: the log continues the chain after seq $seq"; fi
	if lb log -d "$D" --since $((seq + 1)) >"$T/log" 2>"$T/err" &&
		newseq=$(replay "$T/live" "$seq" <"$T/log" 2>>"$T/err") &&
		lb ls -d "$D" aspirasi >"$T/ls" 2>>"$T/err" && cmp -s "$T/ls" "$T/live"; then
		seq=$newseq
		ok "round $r: state equals a replay of the log (seq $seq, $(wc -l <"$T/live") live ids)"
	else
		fail "round $r: state equals a replay of the log ($(tail -n 3 "$T/err"; diff "$T/ls" "$T/live" | head -n 5))"
		seq=$(lb id -d "$D" --json | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
		LC_ALL=C sort -o "$T/live" "$T/ls" # go on from what the node says
	fi
	hash=$(lb id -d "$D" --json | json_field head)
	wrote=$((seq - before - extra))
	if [ $((wrote % 10000)) -eq 0 ]; then ok "round $r: the killed import wrote whole transactions ($wrote entries)"; else
		fail "round $r: the killed import wrote whole transactions ($wrote entries is not a multiple of 10,000)"
	fi

	# the node is writable right after the kill: a put, and an rm of one
	# imported id (none yet if the first kills came before any commit)
	victim=$(grep -v '^round-' "$T/ls" | head -n 1)
	if lb put -d "$D" aspirasi "round-$r" pengusul="after kill $r" usulan="ronde $r" tanggal=2026-01-05 status=diusulkan >"$T/out" 2>"$T/err" &&
		{ [ -z "$victim" ] || lb rm -d "$D" aspirasi "$victim" >>"$T/out" 2>>"$T/err"; } &&
		lb get -d "$D" aspirasi "round-$r" >"$T/got" 2>>"$T/err" && grep -q "\"usulan\":\"ronde $r\"" "$T/got"; then
		ok "round $r: writable right after the kill (put${victim:+, rm})"
	else
		fail "round $r: writable right after the kill (put${victim:+, rm}: $(cat "$T/err"))"
	fi
	extra=$((1 + (${#victim} > 0)))
done <"$T/delays"

if [ "$killed" -ge $((ROUNDS / 2)) ]; then ok "$killed of $ROUNDS imports were killed mid-way"; else
	fail "$killed of $ROUNDS imports were killed mid-way (the rest finished first: too fast a machine?)"
fi

# the end state, checked once more from scratch: verify, and a replay of
# the whole log from seq 1 into an empty state
seq=$((seq + extra))
if lb verify -d "$D" --json >"$T/out" 2>"$T/err" &&
	grep -q "\"ok\":true,.*\"entries\":$seq," "$T/out"; then
	ok "final verify passes over all $seq entries"
else
	fail "final verify passes over all $seq entries ($(cat "$T/err" "$T/out"))"
fi
: >"$T/live0"
if lb log -d "$D" >"$T/log" 2>"$T/err" && last=$(replay "$T/live0" 0 <"$T/log" 2>>"$T/err") &&
	lb ls -d "$D" aspirasi >"$T/ls" 2>>"$T/err" && cmp -s "$T/ls" "$T/live0" &&
	[ "$last" -eq "$seq" ]; then
	ok "final state equals a replay of the whole log ($(wc -l <"$T/ls") live ids)"
else
	fail "final state equals a replay of the whole log ($(tail -n 3 "$T/err"))"
fi
n_round=$(grep -c '^round-' "$T/ls")
if [ "$n_round" -eq "$ROUNDS" ]; then ok "every round's post-kill put is there"; else
	fail "every round's post-kill put is there ($n_round of $ROUNDS)"
	grep -n '  round-' "$T/log" | cut -c1-90 | sed 's/^/# /'
fi

done_testing
