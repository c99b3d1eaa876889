#!/bin/sh
# mkdeb.sh — a Debian package of the programs already built in BUILD.
#
#   sh tools/mkdeb.sh BUILD [OUTDIR]      (make deb; OUTDIR defaults to BUILD)
#
# Stages `make install-files PREFIX=/usr` (units in /lib/systemd/system, as
# Debian 12 keeps them), strips the programs, compresses the man pages, and
# writes DEBIAN/: control (Depends computed by dpkg-shlibdeps from the
# programs' shared libraries, not a hand-kept list), conffiles (the two
# files in /etc/lumbung), md5sums and the maintainer scripts in
# dist/debian/.  The version comes from `git describe`: a tag v1.2 gives
# 1.2 (1.2+3.gHASH after it, v1.3-rc1 1.3~rc1), no tag 0~gitYYYYMMDD.HASH; "+dirty" when the
# tree has uncommitted changes; outside git, 0~unknown.  Prints the .deb's
# path.
#
# Environment: DEB_MAINTAINER ("Name <address>") for the Maintainer field,
# DEB_VERSION to set the version.
set -eu

build=${1:?usage: mkdeb.sh BUILD [OUTDIR]}
out=${2:-$build}
top=$(cd "$(dirname "$0")/.." && pwd)
case "$build" in /*) ;; *) build="$(pwd)/$build" ;; esac
case "$out" in /*) ;; *) out="$(pwd)/$out" ;; esac
maint=${DEB_MAINTAINER:-lumbung maintainers <lumbung@users.noreply.github.com>}

die() { echo "mkdeb: $*" >&2; exit 1; }
for c in dpkg-deb dpkg-shlibdeps fakeroot; do
	command -v "$c" >/dev/null 2>&1 || die "$c is missing (apt-get install dpkg-dev fakeroot)"
done

# ---- version
dirty=""
if [ -n "${DEB_VERSION:-}" ]; then
	version=$DEB_VERSION
elif ! git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	version="0~unknown" # not a git checkout: say DEB_VERSION=...
else
	[ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] || dirty="+dirty"
	if desc=$(git -C "$top" describe --tags 2>/dev/null); then
		# v1.2 -> 1.2, v1.2-3-gabc -> 1.2+3.gabc (no '-': a native package)
		version=$(echo "${desc#v}" | sed 's/-\([0-9]*\)-g/+\1.g/; s/-\(rc\|alpha\|beta\|pre\)/~\1/; s/-/./g')
	else
		day=$(git -C "$top" log -1 --format=%cd --date=format:%Y%m%d)
		version="0~git$day.$(git -C "$top" rev-parse --short HEAD)"
	fi
fi
version="$version$dirty"
arch=$(dpkg --print-architecture)

# ---- stage the install tree
work=$(mktemp -d "${TMPDIR:-/tmp}/lumbung-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
make --no-print-directory -s -C "$top" BUILD="$build" PREFIX=/usr SYSCONFDIR=/etc \
	UNITDIR=/lib/systemd/system DESTDIR="$root" install-files >/dev/null
for b in "$root"/usr/bin/*; do
	strip --strip-unneeded --remove-section=.comment --remove-section=.note "$b"
done
find "$root/usr/share/man" -type f -name '*.1' -exec gzip -9n {} +
doc="$root/usr/share/doc/lumbung"
install -d "$doc"
day=$(git -C "$top" log -1 --format=%cd --date=rfc2822 2>/dev/null) || day=$(date -R)
from=$(git -C "$top" describe --always --dirty 2>/dev/null) || from="a tree outside git"
{
	echo "lumbung ($version) unstable; urgency=medium"
	echo
	echo "  * Built from $from."
	echo
	echo " -- $maint  $day"
} | gzip -9n >"$doc/changelog.gz"
year=$(git -C "$top" log -1 --format=%cd --date=format:%Y 2>/dev/null) || year=$(date +%Y)
cat >"$doc/copyright" <<TXT
lumbung — welfare records for village offices, signed, synced and audited.

Copyright (C) $year the lumbung authors.

The source tree does not yet state a licence; until it does, this package
is for the offices it was built for.  See README.md in the source.
TXT
chmod 644 "$doc/changelog.gz" "$doc/copyright"

# ---- DEBIAN/
mkdir -p "$root/DEBIAN" "$work/src/debian"
# dpkg-shlibdeps wants a debian/control to find the package in
printf 'Source: lumbung\n\nPackage: lumbung\nArchitecture: any\n' >"$work/src/debian/control"
set --
for b in "$root"/usr/bin/*; do set -- "$@" -e"$b"; done
depends=$(cd "$work/src" && dpkg-shlibdeps -O "$@" 2>"$work/shlibdeps.err" |
	sed -n 's/^shlibs:Depends=//p') || { cat "$work/shlibdeps.err" >&2; die "dpkg-shlibdeps failed"; }
[ -n "$depends" ] || { cat "$work/shlibdeps.err" >&2; die "dpkg-shlibdeps found no dependencies"; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<TXT
Package: lumbung
Version: $version
Architecture: $arch
Maintainer: $maint
Installed-Size: $size
Depends: $depends, adduser
Section: admin
Priority: optional
Description: welfare records for village offices, signed and synced
 lumbung keeps an Indonesian village office's welfare records (residents,
 households, programmes, beneficiaries) in a local database with an
 append-only, hash-chained, Ed25519-signed change log, and sends it to the
 kecamatan and kabupaten aggregators over a poor link.
 .
 This package holds lumbung (the village node), lumbung-agg (the
 aggregator, its HTTP server, dashboard and PostgreSQL mirror),
 lumbung-audit (offline verification) and lumbung-gen (test data), with
 systemd units that run them as the system user lumbung.  No service is
 enabled or started by installing.
TXT
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) >"$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort |
	xargs md5sum) >"$root/DEBIAN/md5sums"
for s in postinst prerm postrm; do
	install -m 755 "$top/dist/debian/$s" "$root/DEBIAN/$s"
done
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/lumbung_${version}_$arch.deb"
fakeroot dpkg-deb -Zxz --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
