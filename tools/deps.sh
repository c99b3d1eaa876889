#!/bin/sh
# deps.sh — install the Debian packages lumbung builds and tests with, but
# only those that pkg-config (or a header check) cannot find.  Idempotent:
# on a machine that has everything it prints nothing and exits 0.
set -eu

missing=""
need_pc() { # pkg-config module, Debian package
	pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"
}
need_hdr() { # header, Debian package
	[ -f "/usr/include/$1" ] || [ -f "/usr/include/$(gcc -print-multiarch 2>/dev/null)/$1" ] ||
		missing="$missing $2"
}
need_cmd() { # command, Debian package
	command -v "$1" >/dev/null 2>&1 || missing="$missing $2"
}

need_cmd pkg-config pkg-config
need_cmd gcc gcc
need_cmd make make
need_hdr lmdb.h liblmdb-dev
need_pc msgpack libmsgpack-dev
need_pc libsodium libsodium-dev
need_pc libcurl libcurl4-openssl-dev
need_pc jansson libjansson-dev
need_pc cmocka libcmocka-dev
need_pc libmicrohttpd libmicrohttpd-dev
need_hdr csv.h libcsv-dev
need_pc xlsxwriter libxlsxwriter-dev # lumbung-agg export --xlsx
need_pc libzstd libzstd-dev # change sets compressed on the wire and on sticks
need_pc libpq libpq-dev # lumbung-agg mirror
need_pc libarchive libarchive-dev # lumbung backup, lumbung-agg backup: the tar
need_pc cairo libcairo2-dev         # lumbung report --pdf: the printed report
need_pc fontconfig libfontconfig-dev # its fonts (and their caches freed at exit)
need_pc libqrencode libqrencode-dev # the report stamp's QR code
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$missing fonts-dejavu-core"
need_cmd pdftotext poppler-utils # tests/cli/pdf.sh reads the PDF back (pdftotext, pdftoppm)
need_cmd zbarimg zbar-tools      # tests/cli/pdf.sh decodes the QR code
# the mirror's tests start a real PostgreSQL (initdb, pg_ctl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
need_cmd python3 python3
# tests/cli/vectors.sh: tools/vectors.py signs the conformance vectors (Ed25519)
python3 -c 'import cryptography.hazmat.primitives.asymmetric.ed25519' >/dev/null 2>&1 ||
	missing="$missing python3-cryptography"
need_cmd mdb_dump lmdb-utils
need_cmd lcov lcov
need_cmd strace strace # tests/cli/batch.sh sees the map grow in mmap calls
need_cmd openssl openssl # tests/cli/tls.sh makes a CA and server certificates
need_cmd curl curl       # tests/cli/tls.sh: an independent HTTPS client

# the dashboard: Chart.js compiled into lumbung-agg; tests/cli/dashboard.sh drives chromium
need_file() { # file, Debian package
	[ -f "$1" ] || missing="$missing $2"
}
need_file /usr/share/javascript/chart.js/chart.min.js libjs-chart.js
need_cmd chromium chromium

# messages in Indonesian (po/id.po, schema/i18n.h): msgfmt at build time, and
# the id_ID.UTF-8 locale so the tests can run in it (generated below)
need_cmd msgfmt gettext
need_cmd localedef locales
# tests/cli/manpages.sh: the man pages render without warnings
need_cmd groff groff-base
need_cmd man man-db
[ -f /usr/share/i18n/locales/id_ID ] || missing="$missing locales"
# human times in WIB/WITA/WIT (TZ=Asia/Jakarta ...)
[ -f /usr/share/zoneinfo/Asia/Jakarta ] || missing="$missing tzdata"

# tests/cli/lossy.sh: network namespaces, packet loss, a delaying queue
need_cmd ip iproute2
need_cmd iptables iptables
need_pc libnetfilter_queue libnetfilter-queue-dev

# tests/cli/install.sh: the units (systemd-analyze verify), make deb
# (dpkg-shlibdeps, fakeroot) and lintian on the package
need_cmd systemd-analyze systemd
need_cmd dpkg-shlibdeps dpkg-dev
need_cmd fakeroot fakeroot
need_cmd lintian lintian

# `deps.sh fuzz` (make fuzz): clang and its libFuzzer runtime as well
if [ "${1:-}" = fuzz ]; then
	need_cmd clang clang
	command -v clang >/dev/null 2>&1 &&
		[ -f "$(clang -print-file-name="libclang_rt.fuzzer-$(uname -m).a")" ] ||
		missing="$missing libclang-rt-dev"
fi

have_id_locale() { locale -a 2>/dev/null | grep -qi '^id_ID\.utf-\?8$'; }
make_id_locale() {
	have_id_locale && return 0
	echo "deps: generating the id_ID.UTF-8 locale" >&2
	$SUDO localedef -i id_ID -f UTF-8 id_ID.UTF-8 >&2 ||
		echo "deps: could not generate id_ID.UTF-8 (run as root: localedef -i id_ID -f UTF-8 id_ID.UTF-8)" >&2
}
SUDO=""
if [ -z "$missing" ]; then
	have_id_locale && exit 0
	[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && SUDO=sudo; }
	make_id_locale
	exit 0
fi

echo "deps: installing$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
		echo "deps: missing$missing; run as root: apt-get install$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
make_id_locale
