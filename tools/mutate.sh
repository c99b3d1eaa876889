#!/bin/sh
# mutate.sh — switch off one verification check at a time and prove a test
# notices.  What `make mutate` runs.
#
#   sh tools/mutate.sh [LIST] [PATTERN]
#
# LIST (default tests/mutations.txt) holds one mutation a line, five fields
# separated by one TAB each (its header explains them):
#
#   FILE<TAB>LINE<TAB>REPLACEMENT<TAB>TEST<TAB>CASE
#
# LINE is a code line without its leading whitespace that must occur exactly
# once in FILE (so a list that no longer matches the code is reported, never
# silently skipped); REPLACEMENT is what it becomes (the check disabled);
# TEST is the unit test binary (build/tests/NAME) or black-box script
# (tests/cli/NAME.sh) that must then fail; CASE names the case, for the
# reader.  PATTERN, when given, runs only the lines containing it.
#
# Each mutation is applied to a scratch copy of the working tree (its
# build/ copied along, so only the mutated file is recompiled), the tree is
# rebuilt (warnings allowed: a disabled check leaves variables unused) and
# TEST is run through tests/run.sh.  A mutation is "caught" when the test
# fails, "missed" when it passes, and "broken" when the code no longer
# matches or the mutant does not compile.  The last line is
# "N caught, M missed, K broken"; the exit status is non-zero unless every
# mutation was caught.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
list=${1:-$top/tests/mutations.txt}
case "$list" in /*) ;; *) list="$(pwd)/$list" ;; esac
only=${2:-}
[ -f "$list" ] || { echo "mutate: no list $list" >&2; exit 2; }
[ -x "$top/build/lumbung" ] || { echo "mutate: build first (make)" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/lumbung-mutate.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
# tar keeps modification times, so make sees build/ as up to date
(cd "$top" && tar --exclude=./build-asan --exclude=./build-cov --exclude=./.git -cf - .) |
	(cd "$scratch" && tar -xf -)
# read the list from a copy: editing it during a run must not shift the loop
cp "$list" "$scratch/.mutations.list"

caught=0
missed=0
broken=0
n=0
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in '' | '#'*) continue ;; esac
	case "$line" in *"$only"*) ;; *) continue ;; esac
	n=$((n + 1))
	# apply the mutation; print the tests/run.sh pattern for its test
	test=$(python3 - "$scratch" "$line" <<'EOF'
import sys, os
root, line = sys.argv[1], sys.argv[2]
fields = line.split('\t')
if len(fields) != 5:
    print("BROKEN: %d fields, wanted 5 separated by TABs" % len(fields)); sys.exit(0)
path, code, repl, test, case = fields
try:
    text = open(os.path.join(root, path)).read()
except OSError as e:
    print("BROKEN: %s" % e); sys.exit(0)
count = text.count(code)
if count != 1:
    print("BROKEN: the line occurs %d times in %s" % (count, path)); sys.exit(0)
open(os.path.join(root, path + '.orig'), 'w').write(text)
open(os.path.join(root, path), 'w').write(text.replace(code, repl))
name = os.path.basename(test)
if test.startswith('tests/cli/'):
    print('cli/' + (name[:-3] if name.endswith('.sh') else name))
else:
    print('unit/' + name)
EOF
)
	file=$(printf '%s' "$line" | cut -f1)
	what="#$n $file: $(printf '%s' "$line" | cut -f2 | cut -c1-70) [$(printf '%s' "$line" | cut -f5)]"
	case "$test" in
	BROKEN:*)
		broken=$((broken + 1))
		echo "BROKEN $what — ${test#BROKEN: }"
		continue
		;;
	esac
	if ! (cd "$scratch" && make --no-print-directory -s -j2 CFLAGS=-Wno-error binaries </dev/null >"$scratch/build.log" 2>&1); then
		broken=$((broken + 1))
		echo "BROKEN $what — the mutant does not compile:"
		tail -n 5 "$scratch/build.log" | sed 's/^/    /'
	elif (cd "$scratch" && BUILD=build sh tests/run.sh "$test" </dev/null >"$scratch/test.log" 2>&1); then
		missed=$((missed + 1))
		echo "MISSED $what — tests '$test' still pass"
	else
		caught=$((caught + 1))
		echo "caught $what — by $(grep -m1 '^FAIL' "$scratch/test.log" | cut -d' ' -f2)"
	fi
	# restored and touched, so the next build recompiles it unmutated
	mv "$scratch/$file.orig" "$scratch/$file" && touch "$scratch/$file"
done <"$scratch/.mutations.list"

if [ "$n" -eq 0 ]; then
	echo "mutate: no mutation in $list${only:+ matching '$only'}" >&2
	exit 2
fi
echo "$caught caught, $missed missed, $broken broken"
[ "$missed" -eq 0 ] && [ "$broken" -eq 0 ]
