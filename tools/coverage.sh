#!/bin/sh
# coverage.sh — line and branch coverage of the whole test suite, per file.
# What `make coverage` runs after building BUILD_DIR with --coverage.
#
#   sh tools/coverage.sh BUILD_DIR [OUT]
#
# Runs every test against BUILD_DIR, captures the counters with lcov (HTML
# in BUILD_DIR/coverage/) and writes OUT (default docs/COVERAGE.md): one row
# per source file with its line and branch coverage, then, for the code that
# decides whether a history is trusted (the node's verify, the aggregator's
# ingest, the village's receipt check, the auditor's verify), every line no
# test reaches.
set -eu
BUILD=${1:?usage: sh tools/coverage.sh BUILD_DIR [OUT]}
OUT=${2:-docs/COVERAGE.md}
info="$BUILD/coverage.info"

# COVERAGE_REUSE=1 reads the counters a previous run left instead of
# running the suite again
status=0
if [ "${COVERAGE_REUSE:-}" != 1 ]; then
	lcov -q --zerocounters --directory "$BUILD/obj"
	BUILD=$BUILD sh tests/run.sh >"$BUILD/coverage-tests.log" 2>&1 || status=$?
	tail -n 1 "$BUILD/coverage-tests.log"
fi
lcov -q --rc lcov_branch_coverage=1 --capture --directory "$BUILD/obj" \
	--output-file "$info.all" 2>/dev/null
lcov -q --rc lcov_branch_coverage=1 --extract "$info.all" "$(pwd)/schema/*" \
	"$(pwd)/node/*" "$(pwd)/sync/*" "$(pwd)/agg/*" "$(pwd)/tools/*" \
	--output-file "$info" 2>/dev/null
genhtml -q --branch-coverage --output-directory "$BUILD/coverage" "$info" >/dev/null 2>&1 || true

python3 - "$info" "$(pwd)" "$OUT" "$(tail -n 1 "$BUILD/coverage-tests.log" 2>/dev/null)" <<'EOF'
import sys, os, datetime
info, root, out, suite = sys.argv[1], sys.argv[2] + '/', sys.argv[3], sys.argv[4]
files = {}
cur = None
for line in open(info):
    line = line.strip()
    if line.startswith('SF:'):
        cur = line[3:].replace(root, '')
        files[cur] = {'lines': {}, 'br': 0, 'brh': 0}
    elif line.startswith('DA:') and cur:
        n, c = line[3:].split(',')[:2]
        files[cur]['lines'][int(n)] = files[cur]['lines'].get(int(n), 0) + int(c)
    elif line.startswith('BRDA:') and cur:
        taken = line.split(',')[3]
        files[cur]['br'] += 1
        files[cur]['brh'] += taken not in ('-', '0')

def pct(a, b):
    return '%.1f%%' % (100.0 * a / b) if b else '—'

rows, tl, th, tb, tbh = [], 0, 0, 0, 0
for f in sorted(files):
    d = files[f]
    lf = len(d['lines']); lh = sum(1 for c in d['lines'].values() if c)
    tl += lf; th += lh; tb += d['br']; tbh += d['brh']
    rows.append('| %s | %d/%d | %s | %d/%d | %s |' % (f, lh, lf, pct(lh, lf), d['brh'], d['br'], pct(d['brh'], d['br'])))

checks = ['node/verify.c', 'node/chain.c', 'agg/ingest.c', 'agg/http.c', 'sync/receipt.c',
          'sync/push.c', 'tools/audit/verify.c']
unreached = []
for f in checks:
    if f not in files:
        continue
    src = open(root + f).read().split('\n')
    for n in sorted(files[f]['lines']):
        if files[f]['lines'][n] == 0:
            unreached.append('| %s:%d | `%s` |' % (f, n, src[n - 1].strip().replace('|', '\\|')))

with open(out, 'w') as o:
    o.write('# Test coverage\n\n')
    o.write('Written by `make coverage` (gcov counters of the whole `make test` suite, read with\n'
            'lcov; the HTML report is in build-cov/coverage/). Measured %s; the suite said: %s.\n\n'
            % (datetime.date.today(), suite or 'not run'))
    o.write('Total: lines %d/%d (%s), branches %d/%d (%s).\n\n' % (th, tl, pct(th, tl), tbh, tb, pct(tbh, tb)))
    o.write('| file | lines | % | branches | % |\n|---|---|---|---|---|\n')
    o.write('\n'.join(rows) + '\n\n')
    o.write('## Verification code no test reaches\n\n'
            'Every line of the node\'s `verify`, the aggregator\'s ingest, the village\'s push and\n'
            'receipt check and the auditor\'s `verify` that the suite never executes. Most are\n'
            'answers to failures of the system itself (out of memory, an LMDB error) that the\n'
            'tests do not provoke; each is a place a forged input could go unnoticed if it were a check.\n\n')
    if unreached:
        o.write('| where | code |\n|---|---|\n' + '\n'.join(unreached) + '\n')
    else:
        o.write('None.\n')
print('coverage: lines %s, branches %s; %d unreached lines in the verification code; written to %s'
      % (pct(th, tl), pct(tbh, tb), len(unreached), out))
EOF
# figures of a run with failures are written (they say so) but the target fails
if [ "$status" -ne 0 ]; then
	echo "coverage: the suite failed (see $BUILD/coverage-tests.log)" >&2
	exit "$status"
fi
