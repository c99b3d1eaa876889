#!/bin/sh
# config.sh — the system-wide configuration files (/etc/lumbung/lumbung.conf,
# /etc/lumbung/agg.conf; here files named by LUMBUNG_CONFIG and
# LUMBUNG_AGG_CONFIG, never the machine's own): dir, bahasa and any long
# option of the command being run as COMMAND.OPTION; the precedence
# flag > environment > DIR's own file > the file > default; yes/no flags; a
# value with blanks; a malformed line, an unknown key and an option the
# command does not take each named with the file and the line.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LANGUAGE LUMBUNG_BAHASA
AGG_BIN="$BUILD/lumbung-agg"
C="$T/lumbung.conf"
AC="$T/agg.conf"
# lb/agg: the programs with the test's own files; any other file only when asked
lb() { LUMBUNG_CONFIG="$C" "$LUMBUNG" "$@"; }
agg() { LUMBUNG_AGG_CONFIG="$AC" "$AGG_BIN" "$@"; }
nolb() { LUMBUNG_CONFIG=none "$LUMBUNG" "$@"; }
noagg() { LUMBUNG_AGG_CONFIG=none "$AGG_BIN" "$@"; }

: >"$C"
for v in 1 2 3; do
	lb init -d "$T/n$v" --village "33.24.01.200$v" >/dev/null 2>&1 || fail "init n$v"
done
for i in 1 2 3; do
	lb put -d "$T/n1" aspirasi "a$i" tanggal=2026-01-05 status=diusulkan usulan=Lampu_jalan \
		pengusul=Budi >/dev/null 2>&1 || fail "put a$i"
done

# ---- dir: -d > LUMBUNG_DIR > the file's dir > none -------------------------------
printf '# the village of this machine\n\ndir = %s\n' "$T/n1" >"$C"
expect_exit 0 "dir from the file" lb id
contains "$T/out" "33.24.01.2001" "the file's dir is the node used"
expect_exit 0 "LUMBUNG_DIR and the file" env LUMBUNG_DIR="$T/n2" LUMBUNG_CONFIG="$C" "$LUMBUNG" id
contains "$T/out" "33.24.01.2002" "LUMBUNG_DIR wins over the file"
expect_exit 0 "-d, LUMBUNG_DIR and the file" env LUMBUNG_DIR="$T/n2" LUMBUNG_CONFIG="$C" \
	"$LUMBUNG" id -d "$T/n3"
contains "$T/out" "33.24.01.2003" "-d wins over LUMBUNG_DIR and the file"
expect_exit 2 "no file, no variable, no -d" env LUMBUNG_CONFIG=none "$LUMBUNG" id
contains "$T/err" "no node directory" "then there is no directory (the default)"

# ---- LUMBUNG_CONFIG: another file, empty or none for no file ----------------------
expect_exit 2 "LUMBUNG_CONFIG= (empty) reads no file" env LUMBUNG_CONFIG= "$LUMBUNG" id
expect_exit 1 "LUMBUNG_CONFIG naming a missing file" env LUMBUNG_CONFIG="$T/nope.conf" "$LUMBUNG" id
contains "$T/err" "$T/nope.conf" "is an error naming the file"

# ---- a command's option: command line > file > default; yes/no flags ------------
printf 'dir = %s\nlog.since = 2\n' "$T/n1" >"$C"
expect_exit 0 "log with log.since = 2 in the file" lb log --json
[ "$(wc -l <"$T/out")" -eq 2 ] && head -n 1 "$T/out" | grep -q '"seq":2' &&
	ok "the file's --since 2 is used" || fail "the file's --since 2 is used ($(head -c 200 "$T/out"))"
expect_exit 0 "log --since 3 with log.since = 2 in the file" lb log --json --since 3
[ "$(wc -l <"$T/out")" -eq 1 ] && grep -q '"seq":3' "$T/out" &&
	ok "the command line's --since wins over the file" || fail "the command line's --since wins"
expect_exit 0 "log without the file" nolb log -d "$T/n1" --json
[ "$(wc -l <"$T/out")" -eq 3 ] && ok "without the file the default: every entry" ||
	fail "without the file the default: every entry ($(wc -l <"$T/out") lines)"

printf 'dir = %s\nlog.json = yes\n' "$T/n1" >"$C"
expect_exit 0 "log.json = yes" lb log
[ "$(grep -c '^{"seq":' "$T/out")" -eq 3 ] && ok "a flag set to yes is given (JSON lines)" ||
	fail "a flag set to yes is given ($(head -c 200 "$T/out"))"
printf 'dir = %s\nlog.json = yes\nlog.json = no\n' "$T/n1" >"$C"
expect_exit 0 "log.json = no" lb log
grep -q '^{' "$T/out" && fail "a flag set to no is not given" || ok "a flag set to no is not given"
printf 'dir = %s\n\nlog.json = maybe\n' "$T/n1" >"$C"
expect_exit 3 "log.json = maybe is refused" lb log
contains "$T/err" "$C line 3" "the refusal names the file and the line"
contains "$T/err" "yes or no" "and says what a flag takes"

# ---- a value with blanks: one argument, outer blanks trimmed ----------------------
printf 'init.name =   Desa  Suka Maju  \n' >"$C"
expect_exit 0 "init with init.name from the file" lb init -d "$T/n4" --village 33.24.01.2004
lb id -d "$T/n4" >"$T/id" 2>&1
grep -q '^name *Desa  Suka Maju$' "$T/id" && ok "a value with blanks is one argument, kept as written" ||
	fail "a value with blanks is one argument ($(grep name "$T/id"))"

# ---- errors name the file and the line -------------------------------------------
printf 'dir = %s\n# fine\nthis line has no equals sign\n' "$T/n1" >"$C"
expect_exit 9 "a malformed line stops the command" lb id
contains "$T/err" "$C line 3" "the malformed line is named with the file and the line"
printf 'dir = %s\ncolour = red\n' "$T/n1" >"$C"
expect_exit 3 "an unknown key stops the command" lb id
contains "$T/err" "$C line 2" "the unknown key is named with the file and the line"
printf 'dir = %s\nlog.colour = yes\n' "$T/n1" >"$C"
expect_exit 3 "an option the command does not take" lb log
contains "$T/err" "$C line 2" "is named with the file and the line"
contains "$T/err" "log has no option --colour" "and the option"
printf 'dir = %s\nsinc.every = 300\n' "$T/n1" >"$C"
expect_exit 3 "a command that does not exist" lb id
contains "$T/err" "$C line 2" "is named with the file and the line, whatever the command"
printf 'dir = %s\nsync.every = 300\nsync.to = kab\nsync.quiet = yes\n' "$T/n1" >"$C"
expect_exit 0 "another command's options do not bother id" lb id

# ---- bahasa: LUMBUNG_BAHASA > DIR's own file > the file > the locale --------------
en="the value must be one of: id, en"
id="nilainya harus salah satu dari: id, en"
printf 'dir = %s\nbahasa = id\n' "$T/n2" >"$C"
expect_exit 2 "bahasa = id in the file" lb config set bahasa xx
contains "$T/err" "$id" "the file's bahasa is spoken"
expect_exit 2 "without the file" nolb config -d "$T/n2" set bahasa xx
contains "$T/err" "$en" "without it the default (the locale's English)"
nolb config -d "$T/n2" set bahasa en || fail "config set bahasa en"
expect_exit 2 "bahasa = en in DIR's own file, id in the file" lb config set bahasa xx
contains "$T/err" "$en" "DIR's own file wins over the file"
expect_exit 2 "LUMBUNG_BAHASA=id, DIR's own file en" env LUMBUNG_BAHASA=id LUMBUNG_CONFIG="$C" \
	"$LUMBUNG" config set bahasa xx
contains "$T/err" "$id" "LUMBUNG_BAHASA wins over both files"
printf 'bahasa = jawa\n' >"$C"
expect_exit 3 "bahasa = jawa is refused" lb id -d "$T/n1"
contains "$T/err" "$C line 1" "naming the file and the line"

# ---- lumbung-agg: agg.conf, LUMBUNG_AGG_CONFIG ------------------------------------
noagg init -d "$T/a1" --region 33.24.01 >/dev/null 2>&1 || fail "agg init a1"
noagg init -d "$T/a2" --region 33.24.02 >/dev/null 2>&1 || fail "agg init a2"
key=$(nolb id -d "$T/n2" | sed -n 's/^origin *//p')
noagg enroll -d "$T/a2" --village 33.24.02.2001 --key "$key" >/dev/null 2>&1 || fail "enroll in a2"
printf 'dir = %s\nserve.listen = 127.0.0.1:0\nserve.forward = no\nstatus.json = yes\n' "$T/a1" >"$AC"
expect_exit 0 "lumbung-agg status with dir and status.json from agg.conf" agg status
"$BUILD/../tests/tools/jsonv" "$T/out" >/dev/null 2>&1 || python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" &&
	ok "status.json = yes gives JSON; serve.listen does not bother status" ||
	fail "status.json = yes gives JSON ($(head -c 200 "$T/out"))"
expect_exit 0 "LUMBUNG_AGG_DIR wins over agg.conf's dir" env LUMBUNG_AGG_DIR="$T/a2" \
	LUMBUNG_AGG_CONFIG="$AC" "$AGG_BIN" status
grep -q '33\.24\.02\.2001' "$T/out" && ok "the aggregator of LUMBUNG_AGG_DIR answers" ||
	fail "the aggregator of LUMBUNG_AGG_DIR answers ($(head -c 200 "$T/out"))"
printf 'dir = %s\nstatus.listen = 127.0.0.1:0\n' "$T/a1" >"$AC"
expect_exit 3 "status.listen: an option status does not take" agg status
contains "$T/err" "$AC line 2" "is named with the file and the line"
expect_exit 0 "LUMBUNG_AGG_CONFIG= (empty) reads no file" env LUMBUNG_AGG_CONFIG= "$AGG_BIN" status -d "$T/a1"
printf 'dir = %s\nbahasa = id\n' "$T/a1" >"$AC"
expect_exit 2 "agg.conf's bahasa" agg ls aspirasi
contains "$T/err" "wajib diisi" "lumbung-agg speaks the file's bahasa"

# serve takes --listen from the file (a free port, not the default 8080),
# and the command line's --listen wins
printf 'dir = %s\nserve.listen = 127.0.0.1:0\nserve.threads = 2\n' "$T/a1" >"$AC"
serve_port() { # serve_port [ARGS...]: the port serve says it listens on
	rm -f "$T/serve.out"
	agg serve "$@" >"$T/serve.out" 2>"$T/serve.err" &
	pid=$!
	i=0
	while ! grep -q "listening on" "$T/serve.out" 2>/dev/null && [ $i -lt 100 ] &&
		kill -0 $pid 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	sed -n 's/^listening on \(.*\)$/\1/p' "$T/serve.out"
}
got=$(serve_port)
case $got in
127.0.0.1:8080 | "") fail "serve.listen from agg.conf is used (got \"$got\"; $(head -c 200 "$T/serve.err"))" ;;
127.0.0.1:*) ok "serve.listen from agg.conf is used ($got)" ;;
*) fail "serve.listen from agg.conf is used (got \"$got\")" ;;
esac
got=$(serve_port --listen 127.0.0.2:0)
case $got in
127.0.0.2:*) ok "serve --listen on the command line wins over agg.conf" ;;
*) fail "serve --listen on the command line wins over agg.conf (got \"$got\"; $(head -c 200 "$T/serve.err"))" ;;
esac

done_testing
