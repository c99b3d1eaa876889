#!/bin/sh
# checkreport.sh — `lumbung-audit check-report`: a village report stamped as
# `lumbung report --pdf` stamps it (tests/tools/stamp_report.c signs with the
# village key) is checked against the village's signed log, as the village's
# own archive (lumbung-audit export), as the kabupaten's (lumbung-agg
# export-log) and as an aggregator directory.  Genuine stamps (four reports,
# the tip and an earlier head) are accepted; a changed digest, seq, hash,
# signature, village or key, figures the log does not give, a malformed
# stamp are each refused with their exit status and a line naming the check.
# The digest is checked independently (python's BLAKE2b of the report's
# JSON bytes); the PDF path reads a stamp from a PDF's metadata.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_AGG_NOW_MS
AUDIT="$BUILD/lumbung-audit"
STAMP="$BUILD/stamp-report"
CODE=33.24.01.2001

lb() { "$LUMBUNG" "$@"; }
cr() { "$AUDIT" check-report "$@"; }
# field N of a stamp line, and the line with field N replaced
field() { echo "$1" | cut -d' ' -f"$2"; }
with() { echo "$1" | awk -v n="$2" -v v="$3" '{ $n = v; print }'; }

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"
V="$T/v"
lb init -d "$V" --village "$CODE" --name "Sukamaju" >/dev/null 2>&1 || fail "village init"
"$GEN" --village "$CODE" --count 80 --seed 5 >"$T/gen.jsonl"
lb put -d "$V" --batch "$T/gen.jsonl" >/dev/null 2>&1 || fail "records written"
S1=$(seq_of "$V")
# the office knows the village by another name: the stamp does not depend on it
agg enroll -d "$A" --village "$CODE" --key "$(origin "$V")" --name "Desa Suka Maju" >/dev/null
lb remote add -d "$V" kab "$URL" --key "$AK" >/dev/null 2>&1
check "the village pushes" sh -c '"$1" push -d "$2" >/dev/null 2>&1' _ "$LUMBUNG" "$V"
# a death and a move: the figures at the tip differ from those at S1
for nik in $(lb ls -d "$V" penduduk | sed -n '2p;5p'); do
	lb put -d "$V" --merge penduduk "$nik" status=meninggal >"$T/put.out" 2>&1 ||
		fail "a change written ($(cat "$T/put.out"))"
done
check "the village pushes again" sh -c '"$1" push -d "$2" >/dev/null 2>&1' _ "$LUMBUNG" "$V"
S2=$(seq_of "$V")
[ "$S2" -gt "$S1" ] && ok "two signed heads: $S1 and $S2" || fail "second head ($S1, $S2)"

"$AUDIT" export -d "$V" >"$T/v.lla" 2>/dev/null || fail "village archive"
agg export-log -d "$A" --village "$CODE" >"$T/kab.lla" 2>/dev/null || fail "kabupaten archive"

# --- genuine stamps -----------------------------------------------------------
G=$("$STAMP" "$V" ringkasan per=2026-11-30 --json "$T/r.json" 2>"$T/err") ||
	fail "stamp made ($(cat "$T/err"))"
case $G in LBR1\ $CODE\ ringkasan\ per=2026-11-30\ $S2\ *) ok "stamp names the report and the tip" ;;
*) fail "stamp line: $G" ;; esac
want=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b(open(sys.argv[1],"rb").read(), digest_size=32).hexdigest())' "$T/r.json")
[ "$(field "$G" 7)" = "$want" ] && ok "DIGEST is BLAKE2b-256 of the report's JSON bytes" ||
	fail "digest $(field "$G" 7) != $want"
[ "$(field "$G" 6)" = "$(head_of "$V")" ] && ok "HASH is the hash of entry SEQ" || fail "hash field"

for src in "--archive $T/v.lla" "--archive $T/kab.lla" "--agg $A"; do
	what=${src%% *}
	# shellcheck disable=SC2086
	expect_exit 0 "genuine ringkasan accepted ($what ${src##*/})" cr "$G" $src
	contains "$T/out" "GENUINE" "  says genuine"
	contains "$T/out" "ok   figures" "  the figures line says they hold"
done
for spec in "penduduk per=2026-06-15" "bantuan per=2026-11-30" "perkembangan month=2026-11"; do
	# shellcheck disable=SC2086
	s=$("$STAMP" "$V" $spec 2>"$T/err") || fail "$spec stamped ($(cat "$T/err"))"
	expect_exit 0 "genuine $spec accepted (aggregator)" cr "$s" --agg "$A"
	expect_exit 0 "genuine $spec accepted (archive)" cr "$s" --archive "$T/kab.lla"
done
E=$("$STAMP" "$V" ringkasan per=2026-11-30 --seq "$S1" 2>"$T/err") || fail "stamp at $S1"
expect_exit 0 "a stamp at the earlier head $S1 is recomputed there" cr "$E" --archive "$T/v.lla"
contains "$T/out" "at seq $S1" "  names seq $S1"
[ "$(field "$E" 7)" != "$(field "$G" 7)" ] && ok "  the figures at $S1 are not those at $S2" ||
	fail "  the digest at $S1 equals the one at $S2: the changes made no difference"
printf '  %s\n' "$G" >"$T/stamp.txt"
expect_exit 0 "the stamp read from stdin (-)" sh -c '"$1" check-report - --agg "$2" <"$3"' _ "$AUDIT" "$A" "$T/stamp.txt"
expect_exit 0 "--key pins the village key" cr "$G" --archive "$T/v.lla" --key "$(origin "$V")"
expect_exit 0 "--show prints the recomputed report" cr "$G" --agg "$A" --show
contains "$T/out" "Ringkasan" "  the table is shown"

# --- refusals -----------------------------------------------------------------
d=$(field "$G" 7)
x=$(printf '%s' "$d" | cut -c1 | tr '0-9a-f' '1-9a-f0')
expect_exit 13 "a changed figure digest is refused" cr "$(with "$G" 7 "$x${d#?}")" --archive "$T/v.lla"
contains "$T/out" "FAIL figures" "  the figures line fails"
contains "$T/out" "FAIL signature" "  the signature line fails"
contains "$T/out" "NOT GENUINE" "  says not genuine"
expect_exit 13 "a changed seq is refused" cr "$(with "$G" 5 "$S1")" --agg "$A"
contains "$T/out" "FAIL signature" "  the signature line fails"
contains "$T/out" "FAIL hash" "  the hash line fails (entry $S1 is another)"
s=$(field "$G" 8)
x=$(printf '%s' "$s" | cut -c1 | tr '0-9a-f' '1-9a-f0')
expect_exit 13 "a changed signature is refused" cr "$(with "$G" 8 "$x${s#?}")" --archive "$T/kab.lla"
contains "$T/out" "ok   figures" "  the figures still hold"
contains "$T/out" "FAIL signature" "  only the signature fails"
F=$("$STAMP" "$V" ringkasan per=2026-11-30 --forge-figures) || fail "forged stamp made"
expect_exit 8 "figures the log does not give, signed by the village, are refused" cr "$F" --agg "$A"
contains "$T/out" "ok   signature" "  the signature holds"
contains "$T/out" "FAIL figures" "  the figures differ"
contains "$T/out" "edited or computed elsewhere" "  and says what that means"
H=$("$STAMP" "$V" ringkasan per=2026-11-30 --forge-hash) || fail "forged hash made"
expect_exit 21 "a stamp naming another entry hash is refused" cr "$H" --archive "$T/v.lla"
contains "$T/out" "another history" "  the hash line says so"
expect_exit 13 "another village's key is refused (--key)" cr "$G" --archive "$T/v.lla" --key "$AK"
contains "$T/out" "FAIL key" "  the key line fails"
expect_exit 19 "a stamp naming another village is refused" cr "$(with "$G" 2 33.24.01.2002)" --archive "$T/v.lla"
contains "$T/out" "FAIL village" "  the village line fails"
expect_exit 1 "at an aggregator that does not hold the village: not found" cr "$(with "$G" 2 33.24.01.2002)" --agg "$A"
expect_exit 9 "a malformed stamp is refused, naming the field" cr "$(with "$G" 6 xyz)" --agg "$A"
contains "$T/err" "HASH" "  the message names HASH"
expect_exit 9 "a report a village does not make is refused" cr "$(with "$G" 3 kelengkapan)" --agg "$A"
expect_exit 3 "a seq that ends no signed head is refused" cr "$(with "$G" 5 $((S2 + 5)))" --agg "$A"
expect_exit 2 "no log given: usage" cr "$G"
expect_exit 2 "both logs given: usage" cr "$G" --agg "$A" --archive "$T/v.lla"

# --- the stamp in a PDF's metadata ----------------------------------------------
mkpdf() { # FILE KEYWORDS — a minimal PDF with the Info dictionary cairo writes
	python3 - "$1" "$2" <<'EOF'
import sys
kw = sys.argv[2]
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Producer (cairo 1.16.0 (https://cairographics.org))\n   /Keywords (" +
        kw.encode() + b")\n>>"]
out = bytearray(b"%PDF-1.5\n%\xb5\xed\xae\xfb\n")
offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(out))
    out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
x = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(sys.argv[1], "wb").write(out)
EOF
}
mkpdf "$T/r.pdf" "$G"
expect_exit 0 "--pdf reads the stamp from the PDF's metadata" cr --pdf "$T/r.pdf" --archive "$T/v.lla"
mkpdf "$T/f.pdf" "$F"
expect_exit 8 "--pdf: a PDF with a forged stamp is refused" cr --pdf "$T/f.pdf" --agg "$A"
printf '%%PDF-1.5\n%%%%EOF\n' >"$T/none.pdf"
expect_exit 1 "--pdf: a PDF without a stamp: not found, said so" cr --pdf "$T/none.pdf" --agg "$A"
contains "$T/err" "QR code" "  and says to give the QR code's text"

stop_agg
done_testing
