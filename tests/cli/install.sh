#!/bin/sh
# install.sh — make install / uninstall into a DESTDIR, the systemd units
# (systemd-analyze verify), and the Debian package (tools/mkdeb.sh)
# installed, removed and purged with dpkg in a throwaway root; lintian on it.
# Uses the programs already built in $BUILD (make install-files: no rebuild).
# Needs root for dpkg --root (CI runs as root); fails without it.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

for c in systemd-analyze dpkg dpkg-deb dpkg-shlibdeps fakeroot objdump; do
	command -v "$c" >/dev/null 2>&1 || fail "$c is missing (tools/deps.sh installs it)"
done

inst() { # make install-files / uninstall with the given variables
	make --no-print-directory -s -C "$top" BUILD="$BUILD" "$@" >"$T/make.out" 2>&1
}

units="lumbung-sync.service lumbung-agg.service lumbung-agg-mirror.service lumbung-agg-mirror.timer"
bins="lumbung lumbung-agg lumbung-audit lumbung-gen"

# ---- make install into a DESTDIR, PREFIX=/usr/local
D="$T/d"
check "make install-files into DESTDIR" inst PREFIX=/usr/local DESTDIR="$D" install-files
missing=""
for f in $(for b in $bins; do echo usr/local/bin/$b; done) \
	usr/local/share/locale/id/LC_MESSAGES/lumbung.mo \
	usr/local/share/man/man1/lumbung.1 usr/local/share/man/man1/lumbung-agg.1 \
	usr/local/share/man/man1/lumbung-audit.1 usr/local/share/man/id/man1/lumbung.1 \
	usr/local/share/man/id/man1/lumbung-agg.1 usr/local/share/man/id/man1/lumbung-audit.1 \
	$(for u in $units; do echo usr/local/lib/systemd/system/$u; done) \
	usr/local/lib/sysusers.d/lumbung.conf usr/local/lib/tmpfiles.d/lumbung.conf \
	etc/lumbung/lumbung.conf etc/lumbung/agg.conf; do
	[ -f "$D/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "install put programs, catalogue, man pages (en, id), units, sysusers, configs" ||
	fail "install did not put:$missing"
[ -x "$D/usr/local/bin/lumbung-agg" ] && ok "programs are executable" || fail "lumbung-agg not executable"
contains "$D/usr/local/lib/systemd/system/lumbung-sync.service" "ExecStart=/usr/local/bin/lumbung sync" \
	"the sync unit runs the installed lumbung sync"
contains "$D/usr/local/lib/systemd/system/lumbung-agg.service" "ExecStart=/usr/local/bin/lumbung-agg serve" \
	"the aggregator unit runs the installed lumbung-agg serve"
grep -q '@bindir@' "$D"/usr/local/lib/systemd/system/* && fail "a unit still says @bindir@" ||
	ok "no unsubstituted path left in the units"
# The installed program finds its Indonesian catalogue beside its bin/ (the
# translation is po/id.po's msgstr for "%s: unknown command \"%s\"\n").
LUMBUNG_BAHASA=id "$D/usr/local/bin/lumbung" frob >"$T/out" 2>"$T/err"
contains "$T/err" 'lumbung: perintah "frob" tidak dikenal' "the installed program speaks Indonesian from PREFIX/share/locale"
"$D/usr/local/bin/lumbung-agg" --version >"$T/out" 2>&1 && ok "installed lumbung-agg --version runs" ||
	fail "installed lumbung-agg --version: $(head -c 300 "$T/out")"

# configuration files are never written over
echo "dir = /srv/desa" >>"$D/etc/lumbung/lumbung.conf"
cp "$D/etc/lumbung/lumbung.conf" "$T/changed.conf"
check "a second install runs" inst PREFIX=/usr/local DESTDIR="$D" install-files
check "a second install keeps a changed /etc/lumbung/lumbung.conf" cmp -s "$T/changed.conf" "$D/etc/lumbung/lumbung.conf"
contains "$T/make.out" "kept $D/etc/lumbung/lumbung.conf" "install says it kept the file"

# make uninstall removes everything it put, except the changed file
check "make uninstall" inst PREFIX=/usr/local DESTDIR="$D" uninstall
left=$(cd "$D" && find . ! -type d | sort | tr '\n' ' ')
[ "$left" = "./etc/lumbung/lumbung.conf " ] && ok "uninstall left only the changed configuration file" ||
	fail "uninstall left: $left"
check "the changed file is intact" cmp -s "$T/changed.conf" "$D/etc/lumbung/lumbung.conf"

# ---- the units: systemd-analyze verify, against programs that exist
# (an absolute PREFIX, so ExecStart= and Documentation=man: resolve)
P="$T/p"
check "install with an absolute PREFIX" inst PREFIX="$P" SYSCONFDIR="$P/etc" install-files
U="$P/lib/systemd/system"
for u in $units; do
	if (cd "$U" && MANPATH="$P/share/man:" systemd-analyze verify "$U/$u") >"$T/verify" 2>&1 &&
		! [ -s "$T/verify" ]; then ok "systemd-analyze verify $u"; else
		fail "systemd-analyze verify $u: $(head -c 600 "$T/verify")"
	fi
done
hard="User=lumbung StateDirectory=lumbung ProtectSystem=strict ProtectHome=yes PrivateTmp=yes
NoNewPrivileges=yes PrivateDevices=yes ProtectKernelTunables=yes ProtectKernelModules=yes
ProtectKernelLogs=yes ProtectControlGroups=yes"
for u in lumbung-sync.service lumbung-agg.service lumbung-agg-mirror.service; do
	m=""
	for k in $hard; do grep -qx "$k" "$U/$u" || m="$m $k"; done
	grep -qx "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" "$U/$u" || m="$m RestrictAddressFamilies"
	[ -z "$m" ] && ok "$u is hardened" || fail "$u lacks:$m"
done
grep -qx "Restart=on-failure" "$U/lumbung-sync.service" && grep -qx "Restart=on-failure" "$U/lumbung-agg.service" &&
	ok "the long-running services restart on failure" || fail "Restart=on-failure missing"
grep -qx "Type=oneshot" "$U/lumbung-agg-mirror.service" && grep -q "^OnUnitInactiveSec=5min" "$U/lumbung-agg-mirror.timer" &&
	ok "the mirror is a one-shot every 5 minutes" || fail "the mirror timer/service is not a 5-minute one-shot"

# ---- the Debian package
if sh "$top/tools/mkdeb.sh" "$BUILD" "$T/deb" >"$T/mkdeb.out" 2>"$T/mkdeb.err"; then
	ok "tools/mkdeb.sh builds a package"
else
	fail "tools/mkdeb.sh: $(head -c 600 "$T/mkdeb.err")"
fi
deb=$(tail -n 1 "$T/mkdeb.out")
[ -f "$deb" ] || deb=/nonexistent
dpkg-deb -f "$deb" Version >"$T/version" 2>&1
grep -q '^[0-9]' "$T/version" && ! grep -q -- - "$T/version" && ok "version $(cat "$T/version") is a native Debian version" ||
	fail "bad version: $(cat "$T/version")"
# Depends names the package of every shared library the programs need
# (found here with objdump and dpkg -S, not with dpkg-shlibdeps)
dpkg-deb -f "$deb" Depends >"$T/depends" 2>&1
m=""
for lib in $(for b in $bins; do objdump -p "$BUILD/$b" | awk '$1 == "NEEDED" { print $2 }'; done | sort -u); do
	path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
	pkg=$(dpkg -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1)
	[ -z "$pkg" ] && pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 | cut -d: -f1)
	if [ -z "$pkg" ]; then m="$m $lib(no package)"; continue; fi
	grep -Eq "(^|, )$pkg( |,|$)" "$T/depends" || m="$m $lib($pkg)"
done
[ -z "$m" ] && ok "Depends names the package of each shared library" || fail "Depends ($(cat "$T/depends")) lacks:$m"
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles >"$T/conffiles" 2>/dev/null
printf '/etc/lumbung/agg.conf\n/etc/lumbung/lumbung.conf\n' | cmp -s - "$T/conffiles" &&
	ok "conffiles: the two /etc/lumbung files" || fail "conffiles: $(cat "$T/conffiles")"

# install, remove and purge in a throwaway root (maintainer scripts run
# unchrooted with DPKG_ROOT set; the libraries are the host's)
R="$T/root"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
: >"$R/var/lib/dpkg/status"
pkgdo() { dpkg --root="$R" --force-script-chrootless --force-depends "$@" >"$T/dpkg.out" 2>&1; }
if pkgdo -i "$deb"; then ok "dpkg -i into a throwaway root"; else fail "dpkg -i: $(tail -c 600 "$T/dpkg.out")"; fi
dpkg --root="$R" -s lumbung 2>/dev/null | grep -qx "Status: install ok installed" && ok "the package is installed" ||
	fail "the package is not installed"
missing=""
for f in $(for b in $bins; do echo usr/bin/$b; done) $(for u in $units; do echo lib/systemd/system/$u; done) \
	usr/share/man/man1/lumbung.1.gz usr/share/man/id/man1/lumbung.1.gz \
	usr/share/locale/id/LC_MESSAGES/lumbung.mo etc/lumbung/lumbung.conf etc/lumbung/agg.conf \
	usr/share/doc/lumbung/copyright usr/share/doc/lumbung/changelog.gz; do
	[ -f "$R/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "the package's files are in place" || fail "not installed:$missing"
contains "$R/lib/systemd/system/lumbung-sync.service" "ExecStart=/usr/bin/lumbung sync" "the packaged unit runs /usr/bin/lumbung"
grep -q '^lumbung:x:[0-9]*:[0-9]*:.*:/var/lib/lumbung:' "$R/etc/passwd" 2>/dev/null && ok "postinst made the system user lumbung" ||
	fail "no user lumbung in the root's /etc/passwd"
uid=$(awk -F: '$1 == "lumbung" { print $3 }' "$R/etc/passwd" 2>/dev/null)
[ -d "$R/var/lib/lumbung" ] && [ "$(stat -c '%u %a' "$R/var/lib/lumbung")" = "$uid 750" ] &&
	ok "postinst made /var/lib/lumbung, mode 750, owned by lumbung" ||
	fail "/var/lib/lumbung: $(stat -c '%u %a' "$R/var/lib/lumbung" 2>&1), wanted $uid 750"
LUMBUNG_BAHASA=id "$R/usr/bin/lumbung" frob >"$T/out" 2>"$T/err"
contains "$T/err" 'perintah "frob" tidak dikenal' "the packaged program finds its catalogue in /usr/share/locale"
ls "$R/etc/systemd/system" >/dev/null 2>&1 && fail "installing enabled a unit" || ok "installing enabled no unit"

# the administrator enabled the mirror timer and changed a config; a
# reinstall (an upgrade's path) keeps the change
mkdir -p "$R/etc/systemd/system/timers.target.wants"
ln -s /lib/systemd/system/lumbung-agg-mirror.timer "$R/etc/systemd/system/timers.target.wants/"
echo "mirror.pg = dbname=lumbung" >>"$R/etc/lumbung/agg.conf"
cp "$R/etc/lumbung/agg.conf" "$T/agg.changed"
if pkgdo -i "$deb"; then ok "dpkg -i over the installed package"; else fail "dpkg -i again: $(tail -c 600 "$T/dpkg.out")"; fi
check "the changed /etc/lumbung/agg.conf survives it" cmp -s "$T/agg.changed" "$R/etc/lumbung/agg.conf"
if pkgdo -r lumbung; then ok "dpkg -r"; else fail "dpkg -r: $(tail -c 600 "$T/dpkg.out")"; fi
left=$(cd "$R" && find . ! -type d ! -path './var/lib/dpkg/*' | sort | tr '\n' ' ')
want="./etc/.pwd.lock ./etc/group ./etc/gshadow ./etc/lumbung/agg.conf ./etc/lumbung/lumbung.conf ./etc/passwd ./etc/shadow ./etc/systemd/system/timers.target.wants/lumbung-agg-mirror.timer "
[ "$left" = "$want" ] && ok "after dpkg -r: only the conffiles, the user and the administrator's link are left" ||
	fail "after dpkg -r: $left"
if pkgdo -P lumbung; then ok "dpkg -P"; else fail "dpkg -P: $(tail -c 600 "$T/dpkg.out")"; fi
left=$(cd "$R" && find . ! -type d ! -path './var/lib/dpkg/*' | sort | tr '\n' ' ')
[ "$left" = "./etc/.pwd.lock ./etc/group ./etc/gshadow ./etc/passwd ./etc/shadow " ] &&
	ok "after dpkg -P: only the system user is left" || fail "after dpkg -P: $left"
[ ! -e "$R/etc/lumbung" ] && [ ! -e "$R/var/lib/lumbung" ] && ok "purge removed /etc/lumbung and the empty /var/lib/lumbung" ||
	fail "purge left /etc/lumbung or /var/lib/lumbung"
dpkg --root="$R" -s lumbung >/dev/null 2>&1 && fail "dpkg still knows the package" || ok "dpkg no longer knows the package"

# a state directory holding a node is the office's data: purge keeps it
pkgdo -i "$deb" || fail "dpkg -i again: $(tail -c 600 "$T/dpkg.out")"
mkdir -p "$R/var/lib/lumbung/node"
echo records >"$R/var/lib/lumbung/node/data.mdb"
pkgdo -P lumbung || fail "dpkg -P again: $(tail -c 600 "$T/dpkg.out")"
[ -f "$R/var/lib/lumbung/node/data.mdb" ] && ok "purge keeps a /var/lib/lumbung holding data" ||
	fail "purge deleted the node's data"

# lintian: errors fail, warnings are reported
if command -v lintian >/dev/null 2>&1; then
	lintian --no-cfg "$deb" >"$T/lintian" 2>&1
	sed -n 's/^W: /# lintian warning: /p' "$T/lintian"
	if grep -q '^E: ' "$T/lintian"; then fail "lintian errors: $(grep '^E: ' "$T/lintian" | head -c 600)"; else
		ok "lintian finds no error"
	fi
else
	ok "lintian # SKIP not installed (tools/deps.sh installs it)"
fi

done_testing
