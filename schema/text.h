/*
 * text.h — checks on names and text that every layer applies to input:
 * UTF-8 validity, record type identifiers, record ids and Kemendagri
 * region codes.  Pure functions, no allocation, thread-safe.
 */
#ifndef LB_TEXT_H
#define LB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define LB_TYPE_MAX 32   /* bytes in a record type name */
#define LB_ID_MAX 128    /* bytes in a record id        */
#define LB_VILLAGE_LEN 13 /* "PP.KK.CC.DDDD"            */

/* True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF).  NUL bytes are refused as well,
 * because ids and types are used as C strings and LMDB key parts. */
bool lb_utf8_valid(const char *s, size_t len);

/* Peer-supplied bytes made safe for a message or a log line, the one way
 * every layer does it: printable ASCII (0x20..0x7e) stays as it is except
 * '\\' and '"', which get a backslash; every other byte (controls, line
 * breaks, DEL, each byte of a non-ASCII character) becomes \xNN.  At most
 * LB_ESC_SHOW bytes of s[0..n) are shown, then "...".  out has room for
 * LB_ESC_BUF bytes; returns out, NUL-terminated.  Cannot fail. */
#define LB_ESC_SHOW 40
#define LB_ESC_BUF (4 * LB_ESC_SHOW + 4)
const char *lb_escape(char out[LB_ESC_BUF], const void *s, size_t n);

/* The same escaping of a longer text (a whole message from a peer) into
 * out[0..outsz): as many bytes of s as fit, then "..." if some did not.
 * outsz must be at least 8.  Returns out. */
const char *lb_escape_buf(char *out, size_t outsz, const void *s, size_t n);

/* Record type name: 1..LB_TYPE_MAX characters from [a-z_].  On failure
 * returns LB_EINVAL and explains in d. */
lb_err lb_type_check(const char *type, struct lb_diag *d);

/* Record id: 1..LB_ID_MAX bytes of valid UTF-8 without control characters
 * (they would break the one-line log output).  LB_EINVAL/LB_ETOOBIG with a
 * message in d on failure. */
lb_err lb_id_check(const char *id, size_t len, struct lb_diag *d);

/* Region levels of a Kemendagri code. */
enum lb_region_level {
	LB_REGION_INVALID = 0,
	LB_REGION_PROVINSI = 1,  /* PP            */
	LB_REGION_KABUPATEN = 2, /* PP.KK         */
	LB_REGION_KECAMATAN = 3, /* PP.KK.CC      */
	LB_REGION_DESA = 4,      /* PP.KK.CC.DDDD */
};

/* The level of a region code, or LB_REGION_INVALID when code is not one of
 * the four forms above (digits only, dots exactly there). */
enum lb_region_level lb_region_level(const char *code);

/* True when village (a desa code) lies inside region (any level): the
 * village code starts with the region code followed by a dot, or is the
 * region itself (a desa-level region contains only itself). */
bool lb_region_contains(const char *region, const char *village);

/* True when code may own a signed log: a desa code (a village's log) or a
 * kabupaten or kecamatan code (the catalogue an aggregator of that region
 * keeps).  Provinsi codes and anything else: false. */
bool lb_log_owner_ok(const char *code);

#endif
