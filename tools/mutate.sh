#!/bin/sh
# mutate.sh — switch off one verification check at a time and prove a test
# notices.  What `make mutate` runs.
#
#   sh tools/mutate.sh [LIST] [PATTERN]
#
# LIST (default tests/mutations.txt) holds one mutation a line:
#
#   FILE|CODE|REPLACEMENT|TEST
#
# CODE is an exact piece of FILE that must occur exactly once (so a list
# that no longer matches the code is reported, never silently skipped);
# REPLACEMENT is what it becomes (the check disabled); TEST is a pattern
# for tests/run.sh naming the tests expected to catch it.  `\|` stands for
# a literal bar inside a field.  Blank lines and lines starting with # are
# ignored.  PATTERN, when given, runs only the mutations whose line
# contains it.
#
# Each mutation is applied to a scratch copy of the working tree (its
# build/ copied along, so only the mutated file is recompiled), the tree is
# rebuilt (warnings allowed: a disabled check leaves variables unused) and
# the named tests run.  A mutation is "caught" when those tests
# fail, "missed" when they pass, and "broken" when the code no longer
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

caught=0
missed=0
broken=0
n=0
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in '' | '#'*) continue ;; esac
	case "$line" in *"$only"*) ;; *) continue ;; esac
	n=$((n + 1))
	# split on unescaped bars; apply the mutation; print the test pattern
	test=$(python3 - "$scratch" "$line" <<'EOF'
import sys, re
root, line = sys.argv[1], sys.argv[2]
fields = [f.replace('\\|', '|') for f in re.split(r'(?<!\\)\|', line)]
if len(fields) != 4:
    print("BROKEN: %d fields, wanted 4" % len(fields)); sys.exit(0)
path, code, repl, test = fields
code = code.encode().decode('unicode_escape')
repl = repl.encode().decode('unicode_escape')
try:
    text = open(root + '/' + path).read()
except OSError as e:
    print("BROKEN: %s" % e); sys.exit(0)
count = text.count(code)
if count != 1:
    print("BROKEN: the code occurs %d times in %s" % (count, path)); sys.exit(0)
open(root + '/' + path + '.orig', 'w').write(text)
open(root + '/' + path, 'w').write(text.replace(code, repl))
print(test)
EOF
)
	file=${line%%|*}
	what="#$n $file: $(echo "$line" | cut -d'|' -f2 | cut -c1-70)"
	case "$test" in
	BROKEN:*)
		broken=$((broken + 1))
		echo "BROKEN $what — ${test#BROKEN: }"
		continue
		;;
	esac
	if ! (cd "$scratch" && make --no-print-directory -s -j2 CFLAGS=-Wno-error binaries >"$scratch/build.log" 2>&1); then
		broken=$((broken + 1))
		echo "BROKEN $what — the mutant does not compile:"
		tail -n 5 "$scratch/build.log" | sed 's/^/    /'
	elif (cd "$scratch" && BUILD=build sh tests/run.sh "$test" >"$scratch/test.log" 2>&1); then
		missed=$((missed + 1))
		echo "MISSED $what — tests '$test' still pass"
	else
		caught=$((caught + 1))
		echo "caught $what — by $(grep -m1 '^FAIL' "$scratch/test.log" | cut -d' ' -f2)"
	fi
	# restored and touched, so the next build recompiles it unmutated
	mv "$scratch/$file.orig" "$scratch/$file" && touch "$scratch/$file"
done <"$list"

if [ "$n" -eq 0 ]; then
	echo "mutate: no mutation in $list${only:+ matching '$only'}" >&2
	exit 2
fi
echo "$caught caught, $missed missed, $broken broken"
[ "$missed" -eq 0 ] && [ "$broken" -eq 0 ]
