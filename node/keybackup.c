/*
 * keybackup.c — the village key as a printable, passphrase-protected text
 * (keybackup.h; layout in docs/FORMAT.md, "Key backup").  All crypto is
 * libsodium's: crypto_pwhash (Argon2id), crypto_secretbox, crypto_generichash.
 *
 * The text is rendered by one function from its values; opening parses the
 * values out of the lines and renders them again, and the text must equal
 * that rendering byte for byte.  So there is one definition of the layout
 * and a parser cannot be more lenient than the writer.
 */
#define _POSIX_C_SOURCE 200809L
#include "keybackup.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define TITLE "lumbung key backup v1 (restore: lumbung init --restore-key FILE)"
#define LABEL_W 9            /* "village  " */
#define GROUP 2              /* bytes per group of 4 hex digits */
#define GROUPS_PER_LINE 8    /* 16 bytes a line */
#define LINE_SUM 2           /* bytes of a line's checksum: 4 hex digits */
#define TEXT_SUM 4           /* bytes of the whole text's checksum */
#define NLINES 13
#define LINE_MAX_LEN 128     /* content, checksum and separator */

#define SALT_BYTES crypto_pwhash_SALTBYTES       /* 16 */
#define NONCE_BYTES crypto_secretbox_NONCEBYTES  /* 24 */
#define SEED_BYTES crypto_sign_SEEDBYTES         /* 32 */
#define PLAIN_BYTES 48 /* seed, village code, 3 zero bytes */
#define BOX_BYTES (crypto_secretbox_MACBYTES + PLAIN_BYTES) /* 64 */

/* What a line holds, for messages ("line 7 (nonce)"). */
static const char *const line_name[NLINES] = {"title",  "village", "origin", "origin", "kdf",
                                              "salt",   "nonce",   "nonce",  "secret", "secret",
                                              "secret", "secret",  "check"};

struct backup {
	char village[LB_VILLAGE_LEN + 1];
	uint8_t origin[LB_PK_BYTES];
	unsigned long long ops;
	size_t mem;
	uint8_t salt[SALT_BYTES];
	uint8_t nonce[NONCE_BYTES];
	uint8_t box[BOX_BYTES];
};

struct lines {
	char l[NLINES][LINE_MAX_LEN]; /* each with its checksum, no line break */
};

/* The checksum of line number no (1-based) with content c: the first
 * LINE_SUM bytes of BLAKE2b-128 over the number (one byte) and the content. */
static void line_sum(char hex[2 * LINE_SUM + 1], unsigned no, const char *c, size_t n)
{
	crypto_generichash_state st;
	uint8_t h[crypto_generichash_BYTES_MIN], b = (uint8_t)no;

	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, &b, 1);
	crypto_generichash_update(&st, (const uint8_t *)c, n);
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(hex, 2 * LINE_SUM + 1, h, LINE_SUM);
}

/* "label    " then b[0..n) as hex in groups of four digits. */
static void hex_groups(char *out, size_t cap, const char *label, const uint8_t *b, size_t n)
{
	size_t o = (size_t)snprintf(out, cap, "%-*s", LABEL_W, label);

	for (size_t i = 0; i < n; i += GROUP) {
		if (i)
			out[o++] = ' ';
		sodium_bin2hex(out + o, cap - o, b + i, GROUP);
		o += 2 * GROUP;
	}
	out[o] = '\0';
}

/* Line i (0-based) without its checksum, rendered from f. */
static void render_content(char *c, size_t cap, const struct backup *f, unsigned i,
                           const uint8_t sum[TEXT_SUM])
{
	switch (i) {
	case 0:
		snprintf(c, cap, "%s", TITLE);
		break;
	case 1:
		snprintf(c, cap, "%-*s%s", LABEL_W, "village", f->village);
		break;
	case 2:
	case 3:
		hex_groups(c, cap, "origin", f->origin + 16 * (i - 2), 16);
		break;
	case 4:
		snprintf(c, cap, "%-*sargon2id13 ops %llu mem %zu", LABEL_W, "kdf", f->ops, f->mem);
		break;
	case 5:
		hex_groups(c, cap, "salt", f->salt, SALT_BYTES);
		break;
	case 6:
		hex_groups(c, cap, "nonce", f->nonce, 16);
		break;
	case 7:
		hex_groups(c, cap, "nonce", f->nonce + 16, NONCE_BYTES - 16);
		break;
	case 8:
	case 9:
	case 10:
	case 11:
		hex_groups(c, cap, "secret", f->box + 16 * (i - 8), 16);
		break;
	default:
		hex_groups(c, cap, "check", sum, TEXT_SUM);
		break;
	}
}

/* The whole text's checksum: BLAKE2b-128 over lines 1..NLINES-1, each with
 * its checksum and "\n"; the first TEXT_SUM bytes. */
static void text_sum(uint8_t sum[TEXT_SUM], const struct lines *L)
{
	crypto_generichash_state st;
	uint8_t h[crypto_generichash_BYTES_MIN];

	crypto_generichash_init(&st, NULL, 0, sizeof h);
	for (unsigned i = 0; i + 1 < NLINES; i++) {
		crypto_generichash_update(&st, (const uint8_t *)L->l[i], strlen(L->l[i]));
		crypto_generichash_update(&st, (const uint8_t *)"\n", 1);
	}
	crypto_generichash_final(&st, h, sizeof h);
	memcpy(sum, h, TEXT_SUM);
}

/* Every line of the text of f, each ending in its checksum.  The check
 * line holds the whole text's checksum, or given (a text being read: its
 * layout is compared first, its value after). */
static void render(struct lines *L, const struct backup *f, const uint8_t *given)
{
	uint8_t sum[TEXT_SUM] = {0};

	for (unsigned i = 0; i < NLINES; i++) {
		char c[LINE_MAX_LEN - 2 - 2 * LINE_SUM], hex[2 * LINE_SUM + 1];
		if (i == NLINES - 1 && given)
			memcpy(sum, given, TEXT_SUM);
		else if (i == NLINES - 1)
			text_sum(sum, L);
		render_content(c, sizeof c, f, i, sum);
		line_sum(hex, i + 1, c, strlen(c));
		snprintf(L->l[i], sizeof L->l[i], "%s  %s", c, hex);
	}
}

/* The secretbox key from the passphrase and f's salt and limits. */
static lb_err derive(uint8_t key[crypto_secretbox_KEYBYTES], const char *pass, size_t passlen,
                     const struct backup *f, struct lb_diag *d)
{
	if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, pass, passlen, f->salt, f->ops, f->mem,
	                  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return lb_fail(d, LB_ENOMEM,
		               "Argon2id could not get the %zu MiB of memory the key backup needs",
		               f->mem >> 20);
	return LB_OK;
}

/* Code points in s[0..n) (bytes that do not continue a UTF-8 sequence). */
static size_t chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

lb_err lb_keybackup_make(const struct lb_key *k, const char *village, const char *pass,
                         size_t passlen, char **text, struct lb_diag *d)
{
	const char *fast = getenv("LUMBUNG_KEYBACKUP_FAST");
	uint8_t key[crypto_secretbox_KEYBYTES], plain[PLAIN_BYTES] = {0};
	struct backup f = {0};
	struct lines L;
	size_t o = 0;
	char *t;
	lb_err e;

	*text = NULL;
	if (!village || lb_region_level(village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "\"%.40s\" is not a desa code", village ? village : "");
	if (!pass || chars(pass, passlen) < LB_KEYBACKUP_PASS_MIN)
		return lb_fail(d, LB_EINVAL, "the passphrase must have at least %d characters",
		               LB_KEYBACKUP_PASS_MIN);
	if (passlen > LB_KEYBACKUP_PASS_MAX)
		return lb_fail(d, LB_EINVAL, "the passphrase must have at most %d bytes",
		               LB_KEYBACKUP_PASS_MAX);
	memcpy(f.village, village, LB_VILLAGE_LEN);
	memcpy(f.origin, k->pk, LB_PK_BYTES);
	if (fast && !strcmp(fast, "1")) { /* tests only: keybackup.h */
		f.ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		f.mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	} else {
		f.ops = crypto_pwhash_OPSLIMIT_MODERATE;
		f.mem = crypto_pwhash_MEMLIMIT_MODERATE;
	}
	randombytes_buf(f.salt, sizeof f.salt);
	randombytes_buf(f.nonce, sizeof f.nonce);
	if ((e = derive(key, pass, passlen, &f, d)))
		goto out;
	crypto_sign_ed25519_sk_to_seed(plain, k->sk);
	memcpy(plain + SEED_BYTES, village, LB_VILLAGE_LEN);
	crypto_secretbox_easy(f.box, plain, sizeof plain, f.nonce, key);
	render(&L, &f, NULL);
	if (!(t = malloc(NLINES * LINE_MAX_LEN + 1))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < NLINES; i++) {
		size_t n = strlen(L.l[i]);
		memcpy(t + o, L.l[i], n);
		t[o + n] = '\n';
		o += n + 1;
	}
	t[o] = '\0';
	*text = t;
out:
	sodium_memzero(key, sizeof key);
	sodium_memzero(plain, sizeof plain);
	return e;
}

/* ---- opening ------------------------------------------------------------ */

/* The hex groups after the label of content c into b[0..n).  False when
 * they are not exactly n bytes of hex (the layout is checked later). */
static bool read_groups(const char *c, uint8_t *b, size_t n)
{
	size_t got = 0;
	const char *end;

	if (strlen(c) < LABEL_W)
		return false;
	return sodium_hex2bin(b, n, c + LABEL_W, strlen(c + LABEL_W), " ", &got, &end) == 0 &&
	       got == n && *end == '\0';
}

/* A decimal number of at most 19 digits at *p; advances *p. */
static bool read_num(const char **p, unsigned long long *v)
{
	int nd = 0;

	*v = 0;
	while (**p >= '0' && **p <= '9' && nd < 19) {
		*v = *v * 10 + (unsigned long long)(**p - '0');
		(*p)++;
		nd++;
	}
	return nd > 0;
}

/* "kdf      argon2id13 ops N mem M" */
static bool read_kdf(const char *c, struct backup *f)
{
	static const char pre[] = "kdf      argon2id13 ops ";
	unsigned long long mem;
	const char *p = c;

	if (strncmp(p, pre, sizeof pre - 1) != 0)
		return false;
	p += sizeof pre - 1;
	if (!read_num(&p, &f->ops) || strncmp(p, " mem ", 5) != 0)
		return false;
	p += 5;
	if (!read_num(&p, &mem) || *p || mem > SIZE_MAX)
		return false;
	f->mem = (size_t)mem;
	return true;
}

/* The values of line i's content c into f; false when it does not read. */
static bool read_line(unsigned i, const char *c, struct backup *f, uint8_t sum[TEXT_SUM])
{
	switch (i) {
	case 0:
		return true; /* compared as a whole */
	case 1:
		if (strlen(c) != LABEL_W + LB_VILLAGE_LEN)
			return false;
		memcpy(f->village, c + LABEL_W, LB_VILLAGE_LEN);
		f->village[LB_VILLAGE_LEN] = '\0';
		return lb_region_level(f->village) == LB_REGION_DESA;
	case 2:
	case 3:
		return read_groups(c, f->origin + 16 * (i - 2), 16);
	case 4:
		return read_kdf(c, f);
	case 5:
		return read_groups(c, f->salt, SALT_BYTES);
	case 6:
		return read_groups(c, f->nonce, 16);
	case 7:
		return read_groups(c, f->nonce + 16, NONCE_BYTES - 16);
	case 8:
	case 9:
	case 10:
	case 11:
		return read_groups(c, f->box + 16 * (i - 8), 16);
	default:
		return read_groups(c, sum, TEXT_SUM);
	}
}

/* Split text into at most NLINES + 1 lines ("\n" or "\r\n"; the last may
 * lack its line break).  Returns how many there are (NLINES + 1 means
 * "more than NLINES").  Lines too long for the buffer are cut: they fail
 * their checksum anyway. */
static unsigned split(const char *text, size_t len, struct lines *in)
{
	unsigned n = 0;
	size_t p = 0;

	while (p < len && n <= NLINES) {
		size_t q = p;
		while (q < len && text[q] != '\n')
			q++;
		size_t end = q;
		if (end > p && text[end - 1] == '\r' && q < len)
			end--;
		if (n < NLINES) {
			size_t m = end - p < LINE_MAX_LEN - 1 ? end - p : LINE_MAX_LEN - 1;
			memcpy(in->l[n], text + p, m);
			in->l[n][m] = '\0';
			if (memchr(text + p, '\0', end - p)) /* a NUL would hide the rest */
				in->l[n][0] = '\1', in->l[n][1] = '\0';
		}
		n++;
		p = q + 1;
	}
	return n;
}

/* True when line i (0-based) ends in "  " and the right checksum. */
static bool sum_ok(const struct lines *in, unsigned i)
{
	const char *l = in->l[i];
	size_t n = strlen(l);
	char hex[2 * LINE_SUM + 1];

	if (n < 2 + 2 * LINE_SUM || l[n - 2 * LINE_SUM - 1] != ' ' || l[n - 2 * LINE_SUM - 2] != ' ')
		return false;
	line_sum(hex, i + 1, l, n - 2 - 2 * LINE_SUM);
	return memcmp(hex, l + n - 2 * LINE_SUM, 2 * LINE_SUM) == 0;
}

static lb_err typo(struct lb_diag *d, unsigned i, const char *what)
{
	return lb_fail(d, LB_EMALFORMED,
	               "line %u (%s) of the key backup %s: a character on it is mistyped; compare "
	               "it with the paper",
	               i + 1, line_name[i], what);
}

lb_err lb_keybackup_open(const char *text, size_t len, const char *pass, size_t passlen,
                         struct lb_key *k, char village[LB_VILLAGE_LEN + 1], struct lb_diag *d)
{
	uint8_t key[crypto_secretbox_KEYBYTES], plain[PLAIN_BYTES], sum[TEXT_SUM], want[TEXT_SUM];
	static const uint8_t zero[PLAIN_BYTES - SEED_BYTES - LB_VILLAGE_LEN] = {0};
	struct backup f = {0};
	struct lines in, canon;
	unsigned n;
	lb_err e = LB_OK;

	memset(k, 0, sizeof *k);
	memset(village, 0, LB_VILLAGE_LEN + 1);
	if (!pass || !passlen)
		return lb_fail(d, LB_EINVAL, "empty passphrase");
	if (len > LB_KEYBACKUP_TEXT_MAX)
		return lb_fail(d, LB_ETOOBIG, "%zu bytes is too long for a key backup (at most %d)",
		               len, LB_KEYBACKUP_TEXT_MAX);
	n = split(text, len, &in);
	if (n == 0 || strncmp(in.l[0], TITLE, 18) != 0) /* "lumbung key backup" */
		return lb_fail(d, LB_EMALFORMED,
		               "line 1 (title) of the key backup does not start \"%s\": this is not "
		               "a lumbung key backup, or that line is mistyped",
		               TITLE);
	if (n != NLINES) {
		unsigned i = 0;
		while (i < n && i < NLINES && sum_ok(&in, i))
			i++;
		if (n > NLINES && i == NLINES)
			return lb_fail(d, LB_EMALFORMED,
			               "the key backup has more than %d lines: remove what follows "
			               "line %d (check)",
			               NLINES, NLINES);
		if (i == n)
			return lb_fail(d, LB_EMALFORMED,
			               "the key backup ends after line %u; it has %d lines (the last "
			               "is \"check\")",
			               n, NLINES);
		return lb_fail(d, LB_EMALFORMED,
		               "the key backup has %u lines where it should have %d: line %u (%s) "
		               "is missing or mistyped",
		               n, NLINES, i + 1, line_name[i]);
	}
	for (unsigned i = 0; i < NLINES; i++)
		if (!sum_ok(&in, i))
			return typo(d, i, "does not match its checksum (the last 4 digits)");
	for (unsigned i = 0; i < NLINES; i++) {
		in.l[i][strlen(in.l[i]) - 2 - 2 * LINE_SUM] = '\0'; /* the content */
		if (!read_line(i, in.l[i], &f, want))
			return typo(d, i, "does not read as that line of a key backup");
	}
	render(&canon, &f, want);
	for (unsigned i = 0; i < NLINES; i++)
		if (strlen(canon.l[i]) - 2 - 2 * LINE_SUM != strlen(in.l[i]) ||
		    memcmp(canon.l[i], in.l[i], strlen(in.l[i])) != 0)
			return typo(d, i, "is not laid out as that line of a key backup");
	text_sum(sum, &canon);
	if (memcmp(sum, want, TEXT_SUM) != 0)
		return lb_fail(d, LB_EMALFORMED,
		               "the key backup does not match its checksum (line %d, check): a "
		               "character in it is mistyped; compare it with the paper",
		               NLINES);
	if (f.ops < crypto_pwhash_OPSLIMIT_MIN || f.ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    f.mem < crypto_pwhash_MEMLIMIT_MIN || f.mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return typo(d, 4, "names Argon2id limits outside what lumbung uses");

	if ((e = derive(key, pass, passlen, &f, d)))
		goto out;
	if (crypto_secretbox_open_easy(plain, f.box, sizeof f.box, f.nonce, key) != 0) {
		e = lb_fail(d, LB_EKEY, "wrong passphrase: the key backup does not open with it");
		goto out;
	}
	if (memcmp(plain + SEED_BYTES, f.village, LB_VILLAGE_LEN) != 0 ||
	    memcmp(plain + SEED_BYTES + LB_VILLAGE_LEN, zero, sizeof zero) != 0) {
		e = lb_fail(d, LB_ECORRUPT,
		            "the village line (%s) is not the village sealed in the key backup", f.village);
		goto out;
	}
	crypto_sign_seed_keypair(k->pk, k->sk, plain);
	if (sodium_memcmp(k->pk, f.origin, LB_PK_BYTES) != 0) {
		e = lb_fail(d, LB_ECORRUPT,
		            "the origin lines are not the public key of the key sealed in the backup");
		goto out;
	}
	memcpy(village, f.village, LB_VILLAGE_LEN + 1);
out:
	if (e)
		lb_key_wipe(k), memset(k->pk, 0, sizeof k->pk);
	sodium_memzero(key, sizeof key);
	sodium_memzero(plain, sizeof plain);
	return e;
}
