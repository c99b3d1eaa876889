#!/bin/sh
# run.sh — run every lumbung test and print one summary line.
#
#   BUILD=build sh tests/run.sh [PATTERN]
#   sh tests/run.sh --count FILE     (how one test's output is counted)
#
# Unit tests are the cmocka binaries in $BUILD/tests/; black-box tests are
# the scripts tests/cli/*.sh, which print TAP lines ("ok N - what" /
# "not ok N - what", then the plan "1..N") and exit non-zero when anything
# failed.  The last line is "N passed, N failed, N skipped"; the exit status
# is non-zero if anything failed or if no test ran at all.
#
# Counting (see count below; tests/cli/runner.sh checks it):
#   - TAP: "ok" passes, "ok ... # SKIP why" is skipped, "not ok" fails; a
#     missing plan, or a plan that does not match the number of results,
#     is one more failure;
#   - cmocka: each test counts once, by the line that ends it ("[       OK ]",
#     "[  FAILED  ]", "[  ERROR   ]" from a failed setup, "[  SKIPPED ]");
#     the summary after "[==========] N test(s) run." repeats the failed
#     names and is not counted again; a failed group setup/teardown is a
#     failure, and so is a test that started but never ended (a crash);
#   - a test program that exits non-zero without a counted failure, or that
#     reports nothing at all, is one failure;
#   - with CI=true in the environment a skip is a failure: CI installs
#     everything the tests need (tools/deps.sh), so a skip there means a
#     missing tool, not an optional one.
set -u

# count FILE — prints "PASSED FAILED SKIPPED" for one test's output, then
# one line per failure that has no line of its own in the output.
count() {
	awk -v ci="$(case ${CI:-} in true | 1 | yes) echo 1 ;; *) echo 0 ;; esac)" '
	function result(kind, line) {
		if (kind == "skip" && ci) { f++; notes = notes "\nskipped, which is a failure in CI: " line; return }
		if (kind == "pass") p++; else if (kind == "fail") f++; else s++
	}
	# ---- TAP
	/^not ok [0-9]+/ { tap++; result("fail"); next }
	/^ok [0-9]+/ { tap++; result(/#[ \t]*[Ss][Kk][Ii][Pp]/ ? "skip" : "pass", $0); next }
	/^1\.\.[0-9]+/ {
		plans++
		plan = substr($1, 4) + 0
		if (plan == 0) result("skip", $0)	# "1..0 # SKIP why": the whole file
		next
	}
	# ---- cmocka
	/^\[==========\] Running [0-9]+ test/ { insection = 1; current = ""; next }
	/^\[==========\] [0-9]+ test\(s\) run\./ {
		if (current != "") { f++; notes = notes "\ncmocka test started but never ended: " current }
		insection = 0; current = ""; next
	}
	!insection { next }
	/^\[ RUN      \] / { if (current != "") { f++; notes = notes "\ncmocka test never ended: " current }
		current = substr($0, 14); next }
	/^\[       OK \] / { result("pass"); current = ""; next }
	/^\[  SKIPPED \] / { result("skip", $0); current = ""; next }
	/^\[  FAILED  \] / { result("fail"); current = ""; next }	# incl. GROUP SETUP/TEARDOWN
	/^\[  ERROR   \] / {	# a failed setup/teardown ends the test; "--- ..." lines only explain
		if (substr($0, 14, 4) != "--- " && current != "") { result("fail"); current = "" }
		next
	}
	END {
		if (current != "") { f++; notes = notes "\ncmocka test started but never ended: " current }
		if (tap || plans) {
			if (plans == 0) { f++; notes = notes "\nno TAP plan (1..N): the script stopped early" }
			else if (plans > 1) { f++; notes = notes "\n" plans " TAP plans" }
			else if (plan != tap && !(plan == 0 && tap == 0)) {
				f++; notes = notes "\nTAP plan 1.." plan " but " tap " results"
			}
		}
		printf "%d %d %d%s\n", p, f, s, notes
	}' "$1"
}

if [ "${1:-}" = --count ]; then
	count "$2"
	exit
fi

BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
export BUILD
# Tests read English messages unless they ask for Indonesian themselves
# (LUMBUNG_BAHASA=id or LC_ALL=id_ID.UTF-8 on one command).
unset LANGUAGE LUMBUNG_BAHASA
export LC_MESSAGES=C
# Never the machine's /etc/lumbung files: a test that wants a configuration
# file names it on its command (tests/cli/config.sh).
export LUMBUNG_CONFIG=none LUMBUNG_AGG_CONFIG=none
case "${LC_ALL:-}" in "" | C | POSIX | C.UTF-8 | C.utf8) ;; *) export LC_ALL=C.UTF-8 ;; esac
pattern=${1:-}
top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp -d "${TMPDIR:-/tmp}/lumbung-tests.XXXXXX")
passed=0
failed=0
skipped=0
failures=""

run() { # name command...
	name=$1
	shift
	case "$name" in *"$pattern"*) ;; *) return ;; esac
	out="$log/$(echo "$name" | tr '/' '_').out"
	start=$(date +%s)
	"$@" >"$out" 2>&1
	rc=$?
	count "$out" >"$out.count"
	read -r p f s <"$out.count"
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # a crash or non-zero exit with no failing case still fails
		echo "exit status $rc with no failing case" >>"$out.count"
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		f=1
		echo "no result at all" >>"$out.count"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	secs=$(($(date +%s) - start))
	if [ "$f" -ne 0 ]; then
		failures="$failures $name"
		echo "FAIL $name (exit $rc, $secs s)"
		tail -n 40 "$out" | sed 's/^/    /'
		sed -n '2,$s/^/    run.sh: /p' "$out.count"
	else
		[ "$s" -eq 0 ] && echo "ok   $name ($secs s)" || echo "ok   $name ($secs s, $s skipped)"
	fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run "unit/$(basename "$t")" "$t"
done
for t in "$top"/tests/cli/*.sh; do
	case "$t" in */lib.sh | */agglib.sh) continue ;; esac
	[ -f "$t" ] || continue
	run "cli/$(basename "$t" .sh)" sh "$t"
done

echo
[ -n "$failures" ] && echo "failed:$failures (logs in $log)"
[ -z "$failures" ] && rm -rf "$log"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
