/*
 * cutproxy.c — a TCP proxy that breaks links on purpose, for black-box tests.
 *
 * The test machines have no netem, so fault tests put this between a client
 * and a server to simulate a bad network: a link that drops after N bytes,
 * or one that hangs.
 *
 *   cutproxy --listen ADDR:PORT --to ADDR:PORT
 *            [--up N] [--down N] [--stall] [--first K]
 *
 *   --listen A:P  IPv4 address to listen on; port 0 picks a free port.  Once
 *                 listening it prints one line "listening on A:P" (the real
 *                 port) on stdout, so scripts can wait for it.
 *   --to A:P      where each accepted connection is forwarded.
 *   --up N        cut a connection once exactly N bytes have gone
 *                 client->server.  Reads are capped, so byte N+1 never gets
 *                 through.  N = 0 cuts right after accept.
 *   --down N      the same for server->client.
 *   --stall       at the cut point stall instead: stop forwarding and
 *                 reading both ways but keep both sockets open, so the
 *                 client sees a link that hangs (until it gives up).
 *   --first K     only the first K connections are cut/stalled; later ones
 *                 pass through untouched (default: all of them).
 *
 * A cut closes the client with SO_LINGER 0 (it gets a RST) and the server
 * plainly.  Without --up/--down the proxy is transparent, half-closes
 * included.  When a cut or stall happens it prints one line on stdout
 * (flushed at once, so a script can wait for it and check where it was):
 *   conn 1: cut up at byte 300        (or "stall", "down")
 * where the byte count is what had gone that way when the link broke.
 * Each connection logs one line on stderr when it ends:
 *   conn 3: up 1234 bytes, down 567 bytes, cut|closed|stalled
 * Runs until SIGTERM/SIGINT, then resets the connections still open and
 * exits 0; exits 2 on bad arguments, 1 if it cannot listen.
 *
 * Design: one thread, one poll() over every socket, non-blocking I/O.  Each
 * direction has one fixed buffer and its source is not read while the
 * buffer holds unsent bytes: memory stays bounded and back-pressure reaches
 * the sender just as on a direct link.  A reset, a write error or a failed
 * connect on either side reaches the client as a RST.  At most MAX_CONNS
 * connections run at once; further clients wait in the listen backlog.
 */
#define _GNU_SOURCE	/* POLLRDHUP: notice a stalled client hanging up */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef POLLRDHUP
#define POLLRDHUP 0	/* then only a reset or full hang-up ends a stall */
#endif

#define BUF_BYTES	65536
#define MAX_CONNS	256
#define MAX_READS	16	/* per wake-up, so one busy pair cannot starve others */
#define NO_LIMIT	UINT64_MAX

enum { UP, DOWN };	/* UP reads fd[0] (client) and writes fd[1] (server) */

struct dir {
	char buf[BUF_BYTES];
	size_t off, len;	/* unsent bytes are buf[off..len) */
	uint64_t total;		/* bytes written to the destination */
	uint64_t limit;		/* cut/stall when total reaches it */
	bool eof;		/* the source sent FIN */
	bool shut;		/* FIN passed on to the destination */
};

struct conn {
	unsigned long id;
	int fd[2];		/* client, server; -1 once closed */
	bool connecting;	/* non-blocking connect to the server under way */
	bool stalled;
	struct dir d[2];
};

struct opts {
	struct sockaddr_in listen, to;
	uint64_t up, down, first;
	bool stall;
};

static struct conn *conns[MAX_CONNS];
static int wake[2];	/* self-pipe: the signal handler wakes poll() */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	stop = 1;
	if (write(wake[1], "x", 1) < 0) {
		/* full pipe: poll() is woken already */
	}
	errno = saved;
}

static void usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("cutproxy: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: cutproxy --listen ADDR:PORT --to ADDR:PORT"
	      " [--up N] [--down N] [--stall] [--first K]\n", stderr);
	exit(2);
}

/* Decimal digits only, at most max; 0 on success. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return *s < '0' || *s > '9' || *end || errno || *out > max ? -1 : 0;
}

/* "1.2.3.4:PORT" into sa; 0 on success. */
static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[INET_ADDRSTRLEN];
	uint64_t port;

	if (!colon || colon - s >= (long)sizeof(host) ||
	    parse_num(colon + 1, 65535, &port))
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Close both sockets, log, free.  reset: the client gets a RST, not a FIN. */
static void conn_end(int slot, const char *how, bool reset)
{
	struct conn *c = conns[slot];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (reset && c->fd[0] >= 0)
		setsockopt(c->fd[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	for (int i = 0; i < 2; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	fprintf(stderr, "conn %lu: up %" PRIu64 " bytes, down %" PRIu64
		" bytes, %s\n", c->id, c->d[UP].total, c->d[DOWN].total, how);
	free(c);
	conns[slot] = NULL;
}

/* Cut or stall once a direction has forwarded its limit; true if c ended. */
static bool conn_limit(int slot, bool stall)
{
	struct conn *c = conns[slot];

	for (int i = 0; i < 2; i++) {
		if (c->d[i].total < c->d[i].limit)
			continue;
		if (!c->stalled) {
			printf("conn %lu: %s %s at byte %" PRIu64 "\n", c->id,
			       stall ? "stall" : "cut", i == UP ? "up" : "down", c->d[i].total);
			fflush(stdout);
		}
		if (!stall) {
			conn_end(slot, "cut", true);
			return true;
		}
		c->stalled = true;
	}
	return false;
}

/*
 * Move bytes along direction i until a socket would block; pass a FIN on
 * once the buffer is drained.  Returns -1 on a socket error (reset, EPIPE).
 */
static int pump(struct conn *c, int i)
{
	struct dir *d = &c->d[i];
	int src = c->fd[i], dst = c->fd[!i];
	ssize_t n;

	for (int reads = 0;; reads++) {
		while (d->off < d->len) {
			n = write(dst, d->buf + d->off, d->len - d->off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
			d->off += n;
			d->total += n;
		}
		d->off = d->len = 0;
		if (d->eof) {
			if (!d->shut)
				shutdown(dst, SHUT_WR);
			d->shut = true;
			return 0;
		}
		uint64_t room = d->limit - d->total;
		if (room == 0 || reads == MAX_READS)
			return 0;
		do
			n = read(src, d->buf, room < BUF_BYTES ? room : BUF_BYTES);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		d->eof = n == 0;
		d->len = n;
	}
}

/* Take over an accepted client and start connecting it to the server. */
static void conn_open(int slot, int cfd, const struct opts *o, unsigned long id)
{
	struct conn *c = calloc(1, sizeof(*c));
	bool hit = id <= o->first;

	if (!c) {
		fprintf(stderr, "conn %lu: out of memory\n", id);
		close(cfd);
		return;
	}
	c->id = id;
	c->fd[0] = cfd;
	c->fd[1] = socket(AF_INET, SOCK_STREAM, 0);
	c->d[UP].limit = hit ? o->up : NO_LIMIT;
	c->d[DOWN].limit = hit ? o->down : NO_LIMIT;
	conns[slot] = c;
	if (set_nonblock(cfd) < 0 || c->fd[1] < 0 || set_nonblock(c->fd[1]) < 0)
		goto fail;
	if (connect(c->fd[1], (const struct sockaddr *)&o->to, sizeof(o->to)) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		c->connecting = true;
	}
	conn_limit(slot, o->stall);	/* --up 0 / --down 0 */
	return;
fail:
	fprintf(stderr, "conn %lu: %s\n", id, strerror(errno));
	conn_end(slot, "closed", true);
}

/* React to poll() results for one connection. */
static void conn_service(int slot, short rc, short rs, bool stall)
{
	struct conn *c = conns[slot];
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->stalled) {
		/* Only a client hang-up ends a stall; the server leaving must
		 * not, or the client would see a clean close, not a hang. */
		if (rc) {
			conn_end(slot, "stalled", false);
		} else if (rs) {
			close(c->fd[1]);
			c->fd[1] = -1;
		}
		return;
	}
	if (c->connecting) {
		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			fprintf(stderr, "conn %lu: connect: %s\n", c->id, strerror(err));
			conn_end(slot, "closed", true);
			return;
		}
		c->connecting = false;
	}
	if (pump(c, UP) < 0 || pump(c, DOWN) < 0)
		conn_end(slot, "closed", true);	/* pass the reset on */
	else if (!conn_limit(slot, stall) && c->d[UP].shut && c->d[DOWN].shut)
		conn_end(slot, "closed", false);
}

/* What to wait for on each socket of c; an fd of -1 is skipped by poll(). */
static void conn_events(const struct conn *c, struct pollfd *p)
{
	p[0].events = p[1].events = 0;
	if (c->stalled) {
		p[0].events = p[1].events = POLLRDHUP;	/* hang-ups only */
	} else if (c->connecting) {
		p[1].events = POLLOUT;
	} else {
		for (int i = 0; i < 2; i++) {
			const struct dir *d = &c->d[i];

			if (d->off < d->len)
				p[!i].events |= POLLOUT;
			else if (!d->eof && d->total < d->limit)
				p[i].events |= POLLIN;
		}
	}
	/* An idle socket must not be polled: a peer's FIN or RST would
	 * otherwise wake us forever while nothing can be done about it. */
	for (int i = 0; i < 2; i++)
		p[i].fd = p[i].events || c->stalled ? c->fd[i] : -1;
}

int main(int argc, char **argv)
{
	struct opts o = { .up = NO_LIMIT, .down = NO_LIMIT, .first = NO_LIMIT };
	static struct pollfd pfd[2 + 2 * MAX_CONNS];
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	char ip[INET_ADDRSTRLEN];
	unsigned long next_id = 0;
	int lfd, one = 1, nconns;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = argv[i + 1];	/* argv[argc] is NULL */
		uint64_t *num = !strcmp(a, "--up") ? &o.up : !strcmp(a, "--down") ? &o.down :
				!strcmp(a, "--first") ? &o.first : NULL;
		struct sockaddr_in *addr = !strcmp(a, "--listen") ? &o.listen :
					   !strcmp(a, "--to") ? &o.to : NULL;

		if (!strcmp(a, "--stall")) {
			o.stall = true;
			continue;
		}
		if (!num && !addr)
			usage("unknown argument: %s", a);
		if (!v)
			usage("%s needs a value", a);
		if (num ? parse_num(v, NO_LIMIT - 1, num) : parse_addr(v, addr))
			usage("bad value for %s: %s", a, v);
		i++;
	}
	if (!o.listen.sin_family || !o.to.sin_family)
		usage("--listen and --to are required");

	signal(SIGPIPE, SIG_IGN);
	struct sigaction act = { .sa_handler = on_signal };	/* no SA_RESTART */
	if (pipe(wake) < 0 || set_nonblock(wake[0]) < 0 || set_nonblock(wake[1]) < 0 ||
	    sigaction(SIGTERM, &act, NULL) < 0 || sigaction(SIGINT, &act, NULL) < 0) {
		perror("cutproxy: setup");
		return 1;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (const struct sockaddr *)&o.listen, sizeof(o.listen)) < 0 ||
	    listen(lfd, 1024) < 0 || set_nonblock(lfd) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0) {
		perror("cutproxy: listen");
		return 1;
	}
	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
	printf("listening on %s:%u\n", ip, (unsigned)ntohs(sa.sin_port));
	fflush(stdout);

	while (!stop) {
		nconns = 0;
		for (int s = 0; s < MAX_CONNS; s++) {
			pfd[2 + 2 * s].fd = pfd[3 + 2 * s].fd = -1;
			if (!conns[s])
				continue;
			conn_events(conns[s], &pfd[2 + 2 * s]);
			nconns++;
		}
		pfd[0] = (struct pollfd){ .fd = wake[0], .events = POLLIN };
		/* At the connection limit new clients wait in the backlog. */
		pfd[1] = (struct pollfd){ .fd = nconns < MAX_CONNS ? lfd : -1, .events = POLLIN };
		if (poll(pfd, 2 + 2 * MAX_CONNS, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("cutproxy: poll");
			return 1;
		}
		/* Serve before accepting: a new conn may reuse a freed slot,
		 * whose revents belong to the old one. */
		for (int s = 0; s < MAX_CONNS; s++)
			if (conns[s] && (pfd[2 + 2 * s].revents || pfd[3 + 2 * s].revents))
				conn_service(s, pfd[2 + 2 * s].revents,
					     pfd[3 + 2 * s].revents, o.stall);
		for (int s = 0; s < MAX_CONNS && (pfd[1].revents & POLLIN) && !stop; s++) {
			if (conns[s])
				continue;
			int cfd = accept(lfd, NULL, NULL);
			if (cfd < 0) {
				if (errno == EINTR || errno == ECONNABORTED) {
					s--;
					continue;
				}
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					perror("cutproxy: accept");
				break;
			}
			conn_open(s, cfd, &o, ++next_id);
		}
	}
	/* Reset what is left: a clean FIN could pass a truncated reply off
	 * as complete (curl accepts an HTTP/1.0 reply cut off that way). */
	for (int s = 0; s < MAX_CONNS; s++)
		if (conns[s])
			conn_end(s, conns[s]->stalled ? "stalled" : "closed", true);
	close(lfd);
	return 0;
}
