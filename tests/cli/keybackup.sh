#!/bin/sh
# keybackup.sh — the village key on paper, end to end: init advises a
# backup, `lumbung key backup` writes it, the node is lost (rm -rf), and
# `lumbung init --restore-key` brings the same origin key back; a wrong
# passphrase or a mistyped character is a clear error and leaves no node
# directory behind.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR
# tests only: Argon2id at its interactive limits (node/keybackup.h)
LUMBUNG_KEYBACKUP_FAST=1
export LUMBUNG_KEYBACKUP_FAST

lb() { "$LUMBUNG" "$@"; }
V=33.24.01.2001
D="$T/desa"
K="$T/desa.key.txt"
printf 'kunci lumbung desa\n' >"$T/pass"

expect_exit 0 "init a node" lb init -d "$D" --village "$V"
origin=$(cat "$T/out")
contains "$T/err" "lumbung key backup -d $D > desa.key.txt" "init advises making the key backup"
check "the node takes a record" \
	lb put -d "$D" aspirasi a1 tanggal=2026-01-05 status=diusulkan usulan=Lampu_jalan pengusul=RT_01

expect_exit 0 "key backup with --passphrase-file" lb key backup -d "$D" --passphrase-file "$T/pass"
cp "$T/out" "$K"
if [ "$(wc -l <"$K")" -eq 13 ] && [ "$(awk 'length > 80' "$K" | wc -l)" -eq 0 ]; then
	ok "the backup is 13 lines of at most 80 characters"
else
	fail "the backup is 13 lines of at most 80 characters: $(cat "$K")"
fi
contains "$K" "village  $V  " "the backup names the village"
fp=$(awk '$1 == "origin" { for (i = 2; i < NF; i++) printf "%s", $i }' "$K")
if [ "$fp" = "$origin" ]; then ok "the backup's origin lines are the node's origin key"; else
	fail "the backup's origin lines are the node's origin key ($fp, not $origin)"
fi
if grep -qi "$(cut -c31-94 "$D/node.key")" "$K"; then
	fail "the secret key is not in the backup in the clear"
else
	ok "the secret key is not in the backup in the clear"
fi
contains "$T/err" "kantor desa safe" "key backup says where the page goes"

printf 'pendek\n' >"$T/short"
expect_exit 3 "a passphrase shorter than 8 characters is refused" \
	lb key backup -d "$D" --passphrase-file "$T/short"
contains "$T/err" "at least 8" "the refusal says how long a passphrase must be"
if [ -s "$T/out" ]; then fail "nothing is written on refusal"; else ok "nothing is written on refusal"; fi
expect_exit 2 "key without a subcommand is a usage error" lb key -d "$D"

# ---- the PC dies --------------------------------------------------------
rm -rf "$D"
printf 'salah sekali\n' >"$T/wrong"
expect_exit 11 "a wrong passphrase is refused (EKEY)" \
	lb init -d "$D" --restore-key "$K" --passphrase-file "$T/wrong"
contains "$T/err" "wrong passphrase" "the refusal says: wrong passphrase"
if [ -e "$D" ]; then fail "no node dir is left after a wrong passphrase"; else
	ok "no node dir is left after a wrong passphrase"
fi

# one character mistyped on line 6 (the salt): the line is named
awk 'NR == 6 { c = substr($0, 10, 1); sub(/^salt     ./, "salt     " (c == "0" ? "1" : "0")) } { print }' \
	"$K" >"$T/typo.txt"
if cmp -s "$K" "$T/typo.txt"; then fail "setup: the typo changed nothing"; fi
expect_exit 9 "a mistyped character is refused (EMALFORMED)" \
	lb init -d "$D" --restore-key "$T/typo.txt" --passphrase-file "$T/pass"
contains "$T/err" "line 6 (salt)" "the refusal names the mistyped line"
if [ -e "$D" ]; then fail "no node dir is left after a typo"; else ok "no node dir is left after a typo"; fi

expect_exit 3 "a backup of another village is refused" \
	lb init -d "$D" --restore-key "$K" --passphrase-file "$T/pass" --village 33.24.01.2002
contains "$T/err" "key of village $V" "the refusal names the backup's village"
if [ -e "$D" ]; then fail "no node dir is left after the village refusal"; else
	ok "no node dir is left after the village refusal"
fi

# no terminal to ask on and no --passphrase-file: a clear error, not a hang
if command -v setsid >/dev/null 2>&1; then
	expect_exit 5 "no terminal and no --passphrase-file is refused" \
		setsid -w "$LUMBUNG" init -d "$D" --restore-key "$K" </dev/null
	contains "$T/err" "--passphrase-file" "the refusal says to give --passphrase-file"
else
	fail "setsid (util-linux) is missing"
fi

# the passphrase file may end in CRLF (written on Windows)
printf 'kunci lumbung desa\r\n' >"$T/pass.crlf"
expect_exit 0 "init --restore-key (no --village: the backup names it)" \
	lb init -d "$D" --restore-key "$K" --passphrase-file "$T/pass.crlf"
if [ "$(cat "$T/out")" = "$origin" ]; then ok "init prints the restored origin key"; else
	fail "init prints the restored origin key ($(cat "$T/out"), not $origin)"
fi
contains "$T/err" "lumbung restore -d $D" "init --restore-key says to bring the log back first"
lb id -d "$D" >"$T/id" 2>&1
contains "$T/id" "$origin" "lumbung id shows the same origin key"
contains "$T/id" "$V" "lumbung id shows the village"
# the restored key signs: a write and verify pass with that origin
check "the restored node writes" \
	lb put -d "$D" aspirasi a2 tanggal=2026-01-06 status=diusulkan usulan=Sumur pengusul=RT_02
expect_exit 0 "and verifies" lb verify -d "$D"
contains "$T/out" "signer    $origin" "verify: the heads are signed by the restored key"
if [ "$(stat -c %a "$D/node.key")" = 600 ]; then
	ok "the restored secret key file is 0600"
else
	fail "the restored secret key file is 0600"
fi
expect_exit 7 "init --restore-key into a dir holding a node is refused" \
	lb init -d "$D" --restore-key "$K" --passphrase-file "$T/pass"

# ---- on a terminal (a pseudo-terminal from script(1), util-linux) --------
if command -v script >/dev/null 2>&1; then
	# type each answer only once its prompt is shown (echo is off by then)
	mkfifo "$T/typing"
	script -qec "\"$LUMBUNG\" key backup -d \"$D\" > \"$T/tty.txt\"" /dev/null <"$T/typing" \
		>"$T/tty.out" 2>&1 &
	pid=$!
	exec 3>"$T/typing"
	for prompt in "passphrase for the new key backup" "the same passphrase again"; do
		i=0
		while ! grep -q "$prompt" "$T/tty.out" && [ $i -lt 200 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		printf 'kunci lumbung desa\n' >&3
	done
	exec 3>&-
	wait $pid
	contains "$T/tty.out" "the same passphrase again" "key backup on a terminal asks twice"
	if grep -q "kunci" "$T/tty.out"; then fail "the passphrase is not echoed"; else
		ok "the passphrase is not echoed"
	fi
	rm -rf "$T/tty"
	printf 'kunci lumbung desa\n' |
		script -qec "\"$LUMBUNG\" init -d \"$T/tty\" --restore-key \"$T/tty.txt\"" /dev/null \
			>"$T/tty.out" 2>&1
	contains "$T/tty.out" "$origin" "init --restore-key asks the passphrase on the terminal"
	printf 'kunci lumbung desa\nkunci lumbung kota\n' |
		script -qec "\"$LUMBUNG\" key backup -d \"$D\" > \"$T/tty2.txt\"" /dev/null >"$T/tty.out" 2>&1
	contains "$T/tty.out" "the two passphrases differ" "two different passphrases are refused"
	if [ -s "$T/tty2.txt" ]; then fail "nothing is written when they differ"; else
		ok "nothing is written when they differ"
	fi
else
	fail "script (util-linux) is missing"
fi

# Ctrl-C at the prompt: the terminal gets its echo back (a pseudo-terminal;
# its settings are read from the master side, which shares them)
python3 - "$LUMBUNG" "$D" >"$T/ctrlc.out" 2>&1 <<'PY'
import os, pty, select, sys, termios, time
lumbung, d = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(lumbung, [lumbung, "key", "backup", "-d", d])
buf, t0 = b"", time.time()
while b"passphrase" not in buf and time.time() - t0 < 10:
    if select.select([fd], [], [], 0.1)[0]:
        try:
            buf += os.read(fd, 1024)
        except OSError:
            break
off = not (termios.tcgetattr(fd)[3] & termios.ECHO)
os.write(fd, b"\x03")  # Ctrl-C: SIGINT from the line discipline
_, status = os.waitpid(pid, 0)
on = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
print("echo off at the prompt:", off)
print("killed by SIGINT:", os.WIFSIGNALED(status) and os.WTERMSIG(status) == 2)
print("echo back after Ctrl-C:", on)
PY
contains "$T/ctrlc.out" "echo off at the prompt: True" "echo is off at the prompt"
contains "$T/ctrlc.out" "killed by SIGINT: True" "Ctrl-C ends it"
contains "$T/ctrlc.out" "echo back after Ctrl-C: True" "Ctrl-C at the prompt gives the terminal its echo back"

expect_exit 2 "--passphrase-file without --restore-key is a usage error" \
	lb init -d "$T/x" --village "$V" --passphrase-file "$T/pass"
: >"$T/empty"
expect_exit 3 "an empty passphrase is refused" \
	lb init -d "$T/x" --restore-key "$K" --passphrase-file "$T/empty"
contains "$T/err" "empty passphrase" "the refusal says the passphrase is empty"

done_testing
