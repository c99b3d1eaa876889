# lib.sh — helpers for the black-box tests (sourced by tests/cli/*.sh).
#
# Each test script starts real `lumbung` processes on real directories in a
# private temp dir, and reports TAP lines through ok/fail/check.  The
# binaries come from $BUILD (absolute; set by tests/run.sh).
set -u
: "${BUILD:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
LUMBUNG="$BUILD/lumbung"
GEN="$BUILD/lumbung-gen"
T=$(mktemp -d "${TMPDIR:-/tmp}/lumbung-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
_n=0
_failed=0

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
fail() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }

# check "description" command...   — passes when the command exits 0
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}

# expect_exit CODE "description" command...  — runs command, output in $T/out, $T/err
expect_exit() {
	want=$1
	d=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$d"; else
		fail "$d (exit $got, wanted $want; stderr: $(head -c 300 "$T/err"))"
	fi
}

# contains FILE TEXT "description"
contains() {
	if grep -qF -- "$2" "$1"; then ok "$3"; else
		fail "$3 (\"$2\" not in: $(head -c 300 "$1"))"
	fi
}

done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
}
