#!/bin/sh
# runner.sh — tests/run.sh counts what the tests report, honestly.
#
# Fake outputs (TAP from tests/cli, cmocka from the unit tests, in the
# exact formats they print) go through `run.sh --count`, and the counts
# must be exactly these: a skip is not a pass, a cmocka failure counts once
# although its summary repeats it, an unmet TAP plan is a failure, and in
# CI (CI=true) a skip is a failure.  The cmocka outputs were captured from
# cmocka 1.1 (one passing, one failing and one skipped test; a failing test
# setup; a failing group setup).
. "$(dirname "$0")/lib.sh"
RUN="$(cd "$(dirname "$0")/.." && pwd)/run.sh"

# counted NAME "P F S" [CI] < output — run.sh --count gives exactly P F S
counted() {
	cat >"$T/in"
	got=$(env CI="${3:-}" sh "$RUN" --count "$T/in" | head -n 1)
	if [ "$got" = "$2" ]; then ok "$1: $2 (passed failed skipped)"; else
		fail "$1: counted \"$got\", wanted \"$2\" (passed failed skipped)"
	fi
}

counted "TAP: two ok, one not ok" "2 1 0" <<'OUT'
ok 1 - a
ok 2 - b
not ok 3 - c
1..3
OUT
counted "TAP: a SKIP directive is skipped, not passed" "1 0 1" <<'OUT'
ok 1 - a
ok 2 - map sizes seen # SKIP strace is not usable here
1..2
OUT
counted "TAP: a lower-case skip directive without a description" "0 0 1" <<'OUT'
ok 1 # skip the tool is missing
1..1
OUT
counted "TAP: in CI a skip is a failure" "1 1 0" true <<'OUT'
ok 1 - a
ok 2 - b # SKIP no strace
1..2
OUT
counted "TAP: a plan of 3 with 2 results is one failure more" "2 1 0" <<'OUT'
ok 1 - a
ok 2 - b
1..3
OUT
counted "TAP: no plan (the script died early) is a failure" "2 1 0" <<'OUT'
ok 1 - a
ok 2 - b
OUT
counted "TAP: two plans are a failure" "2 1 0" <<'OUT'
ok 1 - a
1..1
ok 2 - b
1..2
OUT
counted "TAP: comments and text after the number do not count" "1 1 0" <<'OUT'
# seed 42
ok 1 - a # the output says ok
not ok 2 - ok 3 - inside
1..2
OUT
counted "TAP: a plan of 1..0 with SKIP skips the whole file" "0 0 1" <<'OUT'
1..0 # SKIP nothing to test here
OUT

counted "cmocka: one OK, one FAILED (listed again in the summary), one SKIPPED" "1 1 1" <<'OUT'
[==========] Running 3 test(s).
[ RUN      ] a
[       OK ] a
[ RUN      ] b
[  ERROR   ] --- 0x1 != 0x2
[   LINE   ] --- t.c:7: error: Failure!
[  FAILED  ] b
[ RUN      ] c
[  SKIPPED ] c
[==========] 3 test(s) run.
[  PASSED  ] 1 test(s).
[  SKIPPED ] 1 test(s), listed below:
[  SKIPPED ] c

 1 SKIPPED TEST(S)
[  FAILED  ] 1 test(s), listed below:
[  FAILED  ] b

 1 FAILED TEST(S)
OUT
counted "cmocka: two groups, each failure counted once" "0 2 0" <<'OUT'
[==========] Running 1 test(s).
[ RUN      ] b
[  ERROR   ] --- 0x1 != 0x2
[  FAILED  ] b
[==========] 1 test(s) run.
[  PASSED  ] 0 test(s).
[  FAILED  ] 1 test(s), listed below:
[  FAILED  ] b

 1 FAILED TEST(S)
[==========] Running 1 test(s).
[ RUN      ] c
[  FAILED  ] c
[==========] 1 test(s) run.
[  PASSED  ] 0 test(s).
[  FAILED  ] 1 test(s), listed below:
[  FAILED  ] c

 1 FAILED TEST(S)
OUT
counted "cmocka: a failed test setup and a failed group setup count once each" "1 2 0" <<'OUT'
[==========] Running 2 test(s).
[ RUN      ] a
[       OK ] a
[ RUN      ] a
Could not run test: Test setup failed
[  ERROR   ] a
[==========] 2 test(s) run.
[  PASSED  ] 1 test(s).
[==========] Running 2 test(s).
[  FAILED  ] GROUP SETUP
[  ERROR   ] t
[==========] 0 test(s) run.
[  PASSED  ] 0 test(s).
OUT
counted "cmocka: a test that crashed mid-way is a failure" "1 1 0" <<'OUT'
[==========] Running 2 test(s).
[ RUN      ] a
[       OK ] a
[ RUN      ] b
OUT
counted "cmocka: in CI a skip is a failure" "1 1 0" true <<'OUT'
[==========] Running 2 test(s).
[ RUN      ] a
[       OK ] a
[ RUN      ] b
[  SKIPPED ] b
[==========] 2 test(s) run.
[  PASSED  ] 1 test(s).
[  SKIPPED ] 1 test(s), listed below:
[  SKIPPED ] b

 1 SKIPPED TEST(S)
OUT

# the whole runner: a fake suite whose one script fails once and skips once
# and one that exits 3 after passing, one that reports nothing and exits 0,
# must give that summary line and a non-zero exit
mkdir -p "$T/suite/tests/cli" "$T/build/tests"
cp "$RUN" "$T/suite/tests/run.sh"
printf 'echo "ok 1 - a"; echo "not ok 2 - b"; echo "ok 3 - c # SKIP no tool"; echo 1..3; exit 1\n' >"$T/suite/tests/cli/fake.sh"
printf 'echo "ok 1 - a"; echo 1..1; exit 3\n' >"$T/suite/tests/cli/dies.sh"
printf 'exit 0\n' >"$T/suite/tests/cli/silent.sh"
(cd "$T/suite" && env CI= BUILD="$T/build" sh tests/run.sh) >"$T/summary" 2>&1
rc=$?
last=$(tail -n 1 "$T/summary")
if [ "$last" = "2 passed, 3 failed, 1 skipped" ] && [ $rc -ne 0 ]; then
	ok "a whole run: \"$last\", exit $rc"
else
	fail "a whole run: \"$last\", exit $rc, wanted \"2 passed, 3 failed, 1 skipped\" and non-zero ($(cat "$T/summary"))"
fi
done_testing
