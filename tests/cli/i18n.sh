#!/bin/sh
# i18n.sh — the language people read: English by default, Indonesian by
# LUMBUNG_BAHASA=id, by the node's `config set bahasa id` or by the
# id_ID.UTF-8 locale; the environment wins over the setting; machine
# output and error names never change; every message of the source has an
# Indonesian translation (tools/i18n_check.sh).
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LANGUAGE LUMBUNG_BAHASA
top=$(cd "$(dirname "$0")/../.." && pwd)
D="$T/desa"
"$LUMBUNG" init -d "$D" --village 33.24.01.2001 >/dev/null 2>&1

# a message from the config command itself, and one from the error table
en="the value must be one of: id, en"
id="nilainya harus salah satu dari: id, en"
lbset() { "$LUMBUNG" config -d "$D" set bahasa xx; }

expect_exit 2 "a bad bahasa value is refused" lbset
contains "$T/err" "$en" "English by default"
expect_exit 2 "the same, LUMBUNG_BAHASA=id" env LUMBUNG_BAHASA=id "$LUMBUNG" config -d "$D" set bahasa xx
contains "$T/err" "$id" "LUMBUNG_BAHASA=id speaks Indonesian"
expect_exit 2 "the same, LC_ALL=id_ID.UTF-8" env LC_ALL=id_ID.UTF-8 "$LUMBUNG" config -d "$D" set bahasa xx
contains "$T/err" "$id" "the id_ID.UTF-8 locale speaks Indonesian (make deps generates it)"
expect_exit 2 "the same, LANG=id_ID.UTF-8" env LANG=id_ID.UTF-8 LC_MESSAGES= "$LUMBUNG" config -d "$D" set bahasa xx
contains "$T/err" "$id" "LANG=id_ID.UTF-8 speaks Indonesian"

expect_exit 0 "config set bahasa id" "$LUMBUNG" config -d "$D" set bahasa id
contains "$D/lumbung.conf" "bahasa = id" "the setting is a line of DIR/lumbung.conf"
expect_exit 0 "config get bahasa" "$LUMBUNG" config -d "$D" get bahasa
contains "$T/out" "id" "config get prints it"
expect_exit 2 "the node set to id" lbset
contains "$T/err" "$id" "a node set to bahasa id speaks Indonesian without any environment"
expect_exit 2 "the node set to id, LUMBUNG_BAHASA=en" env LUMBUNG_BAHASA=en "$LUMBUNG" config -d "$D" set bahasa xx
contains "$T/err" "$en" "LUMBUNG_BAHASA=en wins over the node's setting"
expect_exit 0 "config set bahasa en" "$LUMBUNG" config -d "$D" set bahasa en
expect_exit 2 "the node set to en under an Indonesian locale" env LC_ALL=id_ID.UTF-8 "$LUMBUNG" config -d "$D" set bahasa xx
contains "$T/err" "$en" "a node set to bahasa en speaks English under LC_ALL=id_ID.UTF-8"
expect_exit 0 "config unset bahasa" "$LUMBUNG" config -d "$D" unset bahasa
expect_exit 1 "an unset setting: config get exits 1" "$LUMBUNG" config -d "$D" get bahasa

printf 'bahasa = id\nthis is not a setting\n' >"$D/lumbung.conf"
expect_exit 0 "a malformed settings file does not stop a command" "$LUMBUNG" ls -d "$D" penduduk
contains "$T/err" "lumbung.conf line 2" "and the warning names its line"
rm -f "$D/lumbung.conf"

expect_exit 0 "--version" "$LUMBUNG" --version
if grep -Eq '^lumbung [0-9a-zA-Z.+-]+$' "$T/out"; then ok "--version prints one version line"; else
	fail "--version prints one version line: $(cat "$T/out")"
fi

# machine output stays English and stable
"$LUMBUNG" id -d "$D" --json >"$T/en.json" 2>/dev/null
LUMBUNG_BAHASA=id "$LUMBUNG" id -d "$D" --json >"$T/id.json" 2>/dev/null
if cmp -s "$T/en.json" "$T/id.json" && [ -s "$T/en.json" ]; then ok "--json output is the same in both languages"; else
	fail "--json output is the same in both languages"
fi

# every message of the source has a translation
if sh "$top/tools/i18n_check.sh" >"$T/i18n" 2>&1; then ok "every message has an Indonesian translation"; else
	fail "every message has an Indonesian translation: $(tail -c 600 "$T/i18n")"
fi
done_testing
