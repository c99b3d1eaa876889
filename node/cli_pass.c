/*
 * cli_pass.c — passphrases from a file or the terminal, and opening a key
 * backup file (cli_pass.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_pass.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "../schema/i18n.h"

/* Read until a line break or the end into buf[0..cap-1); returns the bytes
 * read before the line break, or -1 (errno) / -2 (longer than cap - 1). */
static ssize_t pass_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= cap)
			return -2;
		buf[n++] = c;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (ssize_t)n;
}

/* The terminal's settings while echo is off, for a signal that ends the
 * program at the prompt (Ctrl-C): it puts them back before dying, so the
 * operator's shell does not go on without echo. */
static struct termios saved_tty;
static volatile sig_atomic_t saved_fd = -1;
static const int end_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_END_SIGNALS (sizeof end_signals / sizeof end_signals[0])

static void restore_and_end(int sig)
{
	if (saved_fd >= 0) {
		tcsetattr(saved_fd, TCSANOW, &saved_tty);
		if (write(saved_fd, "\n", 1) < 0) {
			/* only cosmetic */
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Ask once on the terminal fd with echo off.  TCSANOW, not TCSAFLUSH: a
 * line typed ahead (or piped through a pseudo-terminal) is kept. */
static ssize_t ask_tty(int fd, const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	int have = tcgetattr(fd, &old) == 0;
	ssize_t n;
	int err;

	struct sigaction sa = {0}, prev[N_END_SIGNALS];

	if (have) {
		saved_tty = old;
		saved_fd = fd;
		sa.sa_handler = restore_and_end;
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < N_END_SIGNALS; i++)
			sigaction(end_signals[i], &sa, &prev[i]);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSANOW, &quiet);
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* the answer can still be typed */
	}
	n = pass_line(fd, buf, cap);
	err = errno;
	if (have) {
		tcsetattr(fd, TCSANOW, &old);
		saved_fd = -1;
		for (size_t i = 0; i < N_END_SIGNALS; i++)
			sigaction(end_signals[i], &prev[i], NULL);
	}
	if (write(fd, "\n", 1) < 0) {
		/* only cosmetic */
	}
	errno = err;
	return n;
}

lb_err lb_cli_read_pass(const char *passfile, bool for_new, char *buf, size_t cap, size_t *len,
                        struct lb_diag *d)
{
	const char *src = passfile ? passfile : "/dev/tty";
	size_t max = cap - 1 < LB_KEYBACKUP_PASS_MAX ? cap - 1 : LB_KEYBACKUP_PASS_MAX;
	char again[LB_KEYBACKUP_PASS_MAX + 2];
	ssize_t n, m = 0;
	size_t chars = 0;
	int fd;

	*len = 0;
	buf[0] = '\0';
	fd = open(src, (passfile ? O_RDONLY : O_RDWR | O_NOCTTY) | O_CLOEXEC);
	if (fd < 0) {
		if (!passfile)
			return lb_fail(d, LB_EIO,
			               "no terminal to ask for the passphrase on (%s); give "
			               "--passphrase-file FILE",
			               strerror(errno));
		return lb_fail(d, LB_EIO, "%s: %s", passfile, strerror(errno));
	}
	if (passfile)
		n = pass_line(fd, buf, max + 1);
	else
		n = ask_tty(fd,
		            for_new ? _("passphrase for the new key backup: ")
		                    : _("passphrase of the key backup: "),
		            buf, max + 1);
	if (n >= 0 && !passfile && for_new && *buf)
		m = ask_tty(fd, _("the same passphrase again: "), again, sizeof again);
	close(fd);
	if (n == -1 || m == -1) {
		sodium_memzero(buf, cap);
		sodium_memzero(again, sizeof again);
		return lb_fail(d, LB_EIO, "%s: %s", src, strerror(errno));
	}
	if (n == -2) {
		sodium_memzero(buf, cap);
		return lb_fail(d, LB_EINVAL, "%s: the passphrase is longer than %zu bytes", src, max);
	}
	if (!passfile && for_new && (m != n || memcmp(buf, again, (size_t)n) != 0)) {
		sodium_memzero(buf, cap);
		sodium_memzero(again, sizeof again);
		return lb_fail(d, LB_EINVAL, "the two passphrases differ; nothing was written");
	}
	sodium_memzero(again, sizeof again);
	if (n == 0)
		return passfile ? lb_fail(d, LB_EINVAL, "%s: empty passphrase", passfile)
		                : lb_fail(d, LB_EINVAL, "empty passphrase");
	for (ssize_t i = 0; i < n; i++)
		chars += ((unsigned char)buf[i] & 0xc0) != 0x80;
	if (for_new && chars < LB_KEYBACKUP_PASS_MIN) {
		sodium_memzero(buf, cap);
		return lb_fail(d, LB_EINVAL,
		               "the passphrase has %zu characters; a key backup needs at least %d "
		               "(a few words are easier to remember)",
		               chars, LB_KEYBACKUP_PASS_MIN);
	}
	*len = (size_t)n;
	return LB_OK;
}

lb_err lb_cli_key_from_backup(const char *path, const char *passfile, struct lb_key *k,
                              char village[LB_VILLAGE_LEN + 1], struct lb_diag *d)
{
	char text[LB_KEYBACKUP_TEXT_MAX + 1], pass[LB_KEYBACKUP_PASS_MAX + 2];
	size_t n = 0, passlen;
	FILE *f;
	lb_err e;

	memset(k, 0, sizeof *k);
	memset(village, 0, LB_VILLAGE_LEN + 1);
	if (!(f = fopen(path, "rb")))
		return lb_fail(d, errno == ENOENT ? LB_ENOTFOUND : LB_EIO, "%s: %s", path,
		               strerror(errno));
	n = fread(text, 1, sizeof text, f);
	if (ferror(f)) {
		e = lb_fail(d, LB_EIO, "%s: %s", path, strerror(errno));
		fclose(f);
		return e;
	}
	fclose(f);
	if (n > LB_KEYBACKUP_TEXT_MAX)
		return lb_fail(d, LB_ETOOBIG, "%s: longer than a key backup (%d bytes at most)", path,
		               LB_KEYBACKUP_TEXT_MAX);
	if ((e = lb_cli_read_pass(passfile, false, pass, sizeof pass, &passlen, d)))
		return e;
	if ((e = lb_keybackup_open(text, n, pass, passlen, k, village, d)))
		lb_diag_prefix(d, "%s", path);
	sodium_memzero(pass, sizeof pass);
	return e;
}
