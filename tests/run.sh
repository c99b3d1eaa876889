#!/bin/sh
# run.sh — run every lumbung test and print one summary line.
#
#   BUILD=build sh tests/run.sh [PATTERN]
#
# Unit tests are the cmocka binaries in $BUILD/tests/; black-box tests are
# the scripts tests/cli/*.sh, which print TAP lines ("ok N - what" /
# "not ok N - what") and exit non-zero when anything failed.  The last line
# is "N passed, N failed"; the exit status is non-zero if anything failed
# or if no test ran at all.
set -u
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
export BUILD
pattern=${1:-}
top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp -d "${TMPDIR:-/tmp}/lumbung-tests.XXXXXX")
passed=0
failed=0
failures=""

count() { # file -> adds to passed/failed from TAP or cmocka output
	p=$(grep -cE '^(ok [0-9]+|\[       OK \])' "$1")
	f=$(grep -cE '^(not ok [0-9]+|\[  FAILED  \] [^0-9])' "$1")
	passed=$((passed + p))
	failed=$((failed + f))
}

run() { # name command...
	name=$1
	shift
	case "$name" in *"$pattern"*) ;; *) return ;; esac
	out="$log/$(echo "$name" | tr '/' '_').out"
	start=$(date +%s)
	"$@" >"$out" 2>&1
	rc=$?
	count "$out"
	if [ $rc -ne 0 ]; then
		# a crash or non-zero exit with no failing case still fails
		if ! grep -qE '^(not ok [0-9]+|\[  FAILED  \] [^0-9])' "$out"; then failed=$((failed + 1)); fi
		failures="$failures $name"
		echo "FAIL $name (exit $rc, $(($(date +%s) - start)) s)"
		tail -n 40 "$out" | sed 's/^/    /'
	else
		echo "ok   $name ($(($(date +%s) - start)) s)"
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
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
