#!/bin/sh
# fuzz.sh — run libFuzzer targets one after the other (what `make fuzz` does).
#
#   sh tests/fuzz/fuzz.sh BUILD SECONDS WORK NAME...
#
# BUILD/fuzz/fuzz_NAME runs for SECONDS with the seeds of
# tests/fuzz/corpus/NAME/ (read only) and WORK/NAME/corpus/, where the new
# inputs it finds go (kept between runs, never in the repository).  Crash,
# leak, timeout and out-of-memory inputs go to WORK/NAME/; each new one is
# reported with the commands that replay it.  One line per target with
# executions and exec/s; exit 1 if any target found something.
set -u
build=$1
secs=$2
work=$3
shift 3
top=$(cd "$(dirname "$0")/../.." && pwd)
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
bad=""
for name in "$@"; do
	bin="$build/fuzz/fuzz_$name"
	seeds="$top/tests/fuzz/corpus/$name"
	out="$work/$name"
	mkdir -p "$out/corpus"
	[ -d "$seeds" ] || { echo "fuzz $name: no seed corpus $seeds" >&2; bad="$bad $name"; continue; }
	marker="$out/.started"
	: >"$marker"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/" "$out/corpus" "$seeds" >"$out/fuzz.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/fuzz.log")
	found=$(find "$out" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o \
		-name 'timeout-*' -o -name 'oom-*' \) -newer "$marker" | sort)
	echo "fuzz $name: ${runs:-?} runs in ${secs}s, ${speed:-?} exec/s, $(ls "$out/corpus" | wc -l) inputs in $out/corpus"
	if [ $rc -ne 0 ] || [ -n "$found" ]; then
		bad="$bad $name"
		echo "fuzz $name: FAILED (exit $rc), log $out/fuzz.log"
		grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$out/fuzz.log" | sed 's/^/    /'
		for f in $found; do
			echo "    found $f; replay with:"
			echo "      $bin $f"
			echo "      make binaries && build/tests/test_fuzz_$name $f"
		done
	fi
	rm -f "$marker"
done
[ -z "$bad" ] || { echo "fuzz: failed:$bad"; exit 1; }
