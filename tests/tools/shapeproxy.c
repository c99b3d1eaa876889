/*
 * shapeproxy.c — a TCP proxy that makes loopback behave like a slow, far
 * link (a village's 256 kbit/s line with 150 ms each way), for black-box
 * tests and benchmarks, without root (no netem, no namespaces).
 *
 *   shapeproxy [--up-rate B] [--down-rate B] [--delay-ms MS]
 *              [--up-delay-ms MS] [--down-delay-ms MS]
 *              --listen ADDR:PORT --to ADDR:PORT
 *   shapeproxy [options] LISTEN_PORT TARGET_HOST:PORT     (the same, shorter)
 *
 *   --listen A:P      IPv4 address to listen on; port 0 picks a free port.
 *                     Once listening it prints one line "listening on A:P"
 *                     (the real port) on stdout, so scripts can wait for it.
 *                     A bare LISTEN_PORT listens on 127.0.0.1.
 *   --to A:P          where each accepted connection is forwarded; the host
 *                     may be a name (resolved once, IPv4).
 *   --up-rate B       bytes per second client->server (0: unlimited, the
 *                     default); --down-rate B the same server->client.
 *   --delay-ms MS     one-way delay of both directions; --up-delay-ms and
 *                     --down-delay-ms set one direction (after --delay-ms).
 *
 * The model is a link: in each direction bytes enter the link no faster
 * than its rate (a token bucket shared by every connection, as the
 * connections of one village share its line; it holds at most one
 * packet's worth, max(1500, rate/100) bytes, so an idle link does not
 * build up a burst) and leave it the delay after they entered (a queue per
 * connection and direction, in order, FINs included).  A new connection
 * also waits one round trip (up delay + down delay, the TCP handshake a
 * real link would cost) before its first byte enters the link.
 *
 * Each connection logs one line on stderr when it ends:
 *   conn 3: up 1234 bytes, down 567 bytes, closed
 * Runs until SIGTERM/SIGINT, then resets the connections still open and
 * exits 0; exits 2 on bad arguments, 1 if it cannot listen.
 *
 * Design (as tests/tools/cutproxy.c): one thread, one ppoll() over every
 * socket, non-blocking I/O; the poll timeout is the nearest moment a
 * bucket refills enough or a queued chunk becomes due.  A connection's
 * source is not read while QUEUE_MAX bytes of it are in flight, so memory
 * stays bounded and back-pressure reaches the sender.  A reset, a write
 * error or a failed connect on either side reaches the client as a RST.
 * At most MAX_CONNS connections run at once; further clients wait in the
 * listen backlog.
 */
#define _GNU_SOURCE	/* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX	(256 * 1024)	/* bytes in flight per connection and direction */
#define CHUNK_MAX	16384		/* bytes per read */
#define MTU		1500
#define MAX_CONNS	256
#define MAX_READS	16	/* per wake-up, so one busy pair cannot starve others */
#define NEVER		INT64_MAX

enum { UP, DOWN };	/* UP reads fd[0] (client) and writes fd[1] (server) */

/* One direction of the link, shared by every connection. */
struct link {
	uint64_t rate;		/* bytes/s; 0: unlimited */
	int64_t delay;		/* ns */
	double tokens, cap;	/* bytes that may enter the link now / at most */
	int64_t last;		/* when tokens were last refilled */
	int64_t ready_at;	/* no connection reads before this (waiting for tokens) */
};

struct chunk {
	struct chunk *next;
	int64_t due;		/* when these bytes leave the link */
	size_t len, off;	/* unsent bytes are data[off..len) */
	char data[];
};

struct dir {
	struct chunk *head, *tail;
	size_t queued;		/* bytes read and not yet written */
	uint64_t total;		/* bytes written to the destination */
	int64_t not_before;	/* the source is not read before this */
	int64_t eof_due;	/* when the source's FIN leaves the link */
	bool eof;		/* the source sent FIN */
	bool shut;		/* FIN passed on to the destination */
};

struct conn {
	unsigned long id;
	int fd[2];		/* client, server */
	bool connecting;	/* non-blocking connect to the server under way */
	struct dir d[2];
};

static struct link links[2];
static struct conn *conns[MAX_CONNS];
static int wake[2];	/* self-pipe: the signal handler wakes ppoll() */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	stop = 1;
	if (write(wake[1], "x", 1) < 0) {
		/* full pipe: ppoll() is woken already */
	}
	errno = saved;
}

static void usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("shapeproxy: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: shapeproxy [--up-rate B] [--down-rate B] [--delay-ms MS]"
	      " [--up-delay-ms MS] [--down-delay-ms MS]\n"
	      "                  (--listen ADDR:PORT --to HOST:PORT | LISTEN_PORT HOST:PORT)\n",
	      stderr);
	exit(2);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Decimal digits only, at most max; 0 on success. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return *s < '0' || *s > '9' || *end || errno || *out > max ? -1 : 0;
}

/* "HOST:PORT" (HOST an IPv4 address or a name) into sa; 0 on success. */
static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
	char host[256];
	uint64_t port;

	if (!colon || colon == s || colon - s >= (long)sizeof(host) ||
	    parse_num(colon + 1, 65535, &port))
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	memcpy(sa, res->ai_addr, sizeof(*sa));
	freeaddrinfo(res);
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void refill(struct link *l, int64_t now)
{
	if (!l->rate)
		return;
	if (now > l->last) {
		l->tokens += (double)(now - l->last) * (double)l->rate / 1e9;
		if (l->tokens > l->cap)
			l->tokens = l->cap;
	}
	l->last = now;
}

/* Close both sockets, log, free.  reset: the client gets a RST, not a FIN. */
static void conn_end(int slot, const char *how, bool reset)
{
	struct conn *c = conns[slot];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (reset && c->fd[0] >= 0)
		setsockopt(c->fd[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		while (c->d[i].head) {
			struct chunk *k = c->d[i].head;

			c->d[i].head = k->next;
			free(k);
		}
	}
	fprintf(stderr, "conn %lu: up %" PRIu64 " bytes, down %" PRIu64
		" bytes, %s\n", c->id, c->d[UP].total, c->d[DOWN].total, how);
	free(c);
	conns[slot] = NULL;
}

/* May direction i's source be read now (if it has anything)? */
static bool can_pull(const struct conn *c, int i, int64_t now)
{
	const struct dir *d = &c->d[i];

	return !c->connecting && !d->eof && d->queued < QUEUE_MAX &&
	       now >= d->not_before && now >= links[i].ready_at;
}

/*
 * Read what direction i's link lets in now into its queue, stamped with
 * when it leaves the link.  Returns -1 on a socket error (reset) or when
 * out of memory.
 */
static int pull(struct conn *c, int i, int64_t now)
{
	struct dir *d = &c->d[i];
	struct link *l = &links[i];
	int src = c->fd[i];

	for (int reads = 0; reads < MAX_READS && can_pull(c, i, now); reads++) {
		int avail = 0;
		size_t want;
		ssize_t n;

		if (ioctl(src, FIONREAD, &avail) < 0 || avail < 0)
			avail = 0;
		/* nothing buffered: read one byte to learn of a FIN or an
		 * error (and never wait for tokens for that) */
		want = avail ? (size_t)avail : 1;
		if (want > QUEUE_MAX - d->queued)
			want = QUEUE_MAX - d->queued;
		if (want > CHUNK_MAX)
			want = CHUNK_MAX;
		if (l->rate && avail) {
			refill(l, now);
			if (want > (size_t)l->cap)
				want = (size_t)l->cap;
			if (l->tokens < (double)want) {
				l->ready_at = now + 1 +
					(int64_t)(((double)want - l->tokens) * 1e9 / (double)l->rate);
				return 0;
			}
		}
		struct chunk *k = malloc(sizeof(*k) + want);
		if (!k) {
			fprintf(stderr, "conn %lu: out of memory\n", c->id);
			return -1;
		}
		do
			n = read(src, k->data, want);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			free(k);
			if (n < 0)
				return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
			d->eof = true;
			d->eof_due = now + l->delay;
			return 0;
		}
		if (l->rate)
			l->tokens -= (double)n;
		k->next = NULL;
		k->due = now + l->delay;
		k->len = (size_t)n;
		k->off = 0;
		if (d->tail)
			d->tail->next = k;
		else
			d->head = k;
		d->tail = k;
		d->queued += (size_t)n;
	}
	return 0;
}

/*
 * Write what has left direction i's link to its destination, until the
 * socket would block; pass the FIN on when it is due.  Returns -1 on a
 * socket error (reset, EPIPE).
 */
static int push(struct conn *c, int i, int64_t now)
{
	struct dir *d = &c->d[i];
	int dst = c->fd[!i];
	ssize_t n;

	if (c->connecting)
		return 0;
	while (d->head && d->head->due <= now) {
		struct chunk *k = d->head;

		n = write(dst, k->data + k->off, k->len - k->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		k->off += (size_t)n;
		d->total += (uint64_t)n;
		d->queued -= (size_t)n;
		if (k->off == k->len) {
			d->head = k->next;
			if (!d->head)
				d->tail = NULL;
			free(k);
		}
	}
	if (!d->head && d->eof && !d->shut && d->eof_due <= now) {
		shutdown(dst, SHUT_WR);
		d->shut = true;
	}
	return 0;
}

/* Take over an accepted client and start connecting it to the server. */
static void conn_open(int slot, int cfd, const struct sockaddr_in *to, unsigned long id,
		      int64_t now)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		fprintf(stderr, "conn %lu: out of memory\n", id);
		close(cfd);
		return;
	}
	c->id = id;
	c->fd[0] = cfd;
	c->fd[1] = socket(AF_INET, SOCK_STREAM, 0);
	/* the handshake: SYN up, SYN-ACK down, then the first data */
	c->d[UP].not_before = now + links[UP].delay + links[DOWN].delay;
	conns[slot] = c;
	if (set_nonblock(cfd) < 0 || c->fd[1] < 0 || set_nonblock(c->fd[1]) < 0)
		goto fail;
	if (connect(c->fd[1], (const struct sockaddr *)to, sizeof(*to)) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		c->connecting = true;
	}
	return;
fail:
	fprintf(stderr, "conn %lu: %s\n", id, strerror(errno));
	conn_end(slot, "closed", true);
}

/* Move what can move on one connection (rs: the server socket's revents). */
static void conn_service(int slot, short rs, int64_t now)
{
	struct conn *c = conns[slot];
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->connecting) {
		if (!rs)
			return;
		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			fprintf(stderr, "conn %lu: connect: %s\n", c->id, strerror(err));
			conn_end(slot, "closed", true);
			return;
		}
		c->connecting = false;
	}
	for (int i = 0; i < 2; i++)
		if (push(c, i, now) < 0 || pull(c, i, now) < 0 || push(c, i, now) < 0) {
			conn_end(slot, "closed", true);	/* pass the reset on */
			return;
		}
	if (c->d[UP].shut && c->d[DOWN].shut)
		conn_end(slot, "closed", false);
}

/*
 * What to wait for on each socket of c, and lower *wake_at to the next
 * moment something of c becomes due.  An fd of -1 is skipped by ppoll().
 */
static void conn_events(const struct conn *c, struct pollfd *p, int64_t now, int64_t *wake_at)
{
	p[0].events = p[1].events = 0;
	if (c->connecting) {
		p[1].events = POLLOUT;
	} else {
		for (int i = 0; i < 2; i++) {
			const struct dir *d = &c->d[i];
			int64_t t = NEVER;

			if (d->head) {
				if (d->head->due <= now)
					p[!i].events |= POLLOUT;
				else
					t = d->head->due;
			} else if (d->eof && !d->shut) {
				t = d->eof_due;
			}
			if (can_pull(c, i, now))
				p[i].events |= POLLIN;
			else if (!d->eof && d->queued < QUEUE_MAX) {
				int64_t r = d->not_before > links[i].ready_at ?
					    d->not_before : links[i].ready_at;
				if (r < t)
					t = r;
			}
			if (t < *wake_at)
				*wake_at = t;
		}
	}
	/* An idle socket must not be polled: a peer's FIN or RST would
	 * otherwise wake us forever while nothing can be done about it. */
	for (int i = 0; i < 2; i++)
		p[i].fd = p[i].events ? c->fd[i] : -1;
}

int main(int argc, char **argv)
{
	static struct pollfd pfd[2 + 2 * MAX_CONNS];
	struct sockaddr_in listen_sa = { 0 }, to = { 0 }, sa;
	socklen_t salen = sizeof(sa);
	char ip[INET_ADDRSTRLEN];
	unsigned long next_id = 0;
	int lfd, one = 1, nconns, npos = 0;
	uint64_t rate[2] = { 0, 0 }, delay[2] = { 0, 0 };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = argv[i + 1];	/* argv[argc] is NULL */
		uint64_t *num = !strcmp(a, "--up-rate") ? &rate[UP] :
				!strcmp(a, "--down-rate") ? &rate[DOWN] :
				!strcmp(a, "--up-delay-ms") ? &delay[UP] :
				!strcmp(a, "--down-delay-ms") ? &delay[DOWN] : NULL;
		struct sockaddr_in *addr = !strcmp(a, "--listen") ? &listen_sa :
					   !strcmp(a, "--to") ? &to : NULL;
		uint64_t ms;

		if (a[0] != '-') {	/* LISTEN_PORT TARGET_HOST:PORT */
			uint64_t port;

			if (npos == 0) {
				if (parse_num(a, 65535, &port))
					usage("bad listen port: %s", a);
				listen_sa.sin_family = AF_INET;
				listen_sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
				listen_sa.sin_port = htons((uint16_t)port);
			} else if (npos == 1) {
				if (parse_addr(a, &to))
					usage("bad target: %s", a);
			} else {
				usage("unexpected argument: %s", a);
			}
			npos++;
			continue;
		}
		if (!v && (num || addr || !strcmp(a, "--delay-ms")))
			usage("%s needs a value", a);
		if (!strcmp(a, "--delay-ms")) {
			if (parse_num(v, 600000, &ms))
				usage("bad value for %s: %s", a, v);
			delay[UP] = delay[DOWN] = ms;
		} else if (num) {
			if (parse_num(v, num == &rate[UP] || num == &rate[DOWN] ?
				      UINT64_C(1) << 40 : 600000, num))
				usage("bad value for %s: %s", a, v);
		} else if (addr) {
			if (parse_addr(v, addr))
				usage("bad value for %s: %s", a, v);
		} else {
			usage("unknown argument: %s", a);
		}
		i++;
	}
	if (!listen_sa.sin_family || !to.sin_family)
		usage("a listen address and a target are required");

	int64_t start = now_ns();
	for (int i = 0; i < 2; i++) {
		links[i].rate = rate[i];
		links[i].delay = (int64_t)delay[i] * 1000000;
		links[i].cap = rate[i] / 100 > MTU ? (double)(rate[i] / 100) : MTU;
		links[i].tokens = links[i].cap;
		links[i].last = start;
	}

	signal(SIGPIPE, SIG_IGN);
	struct sigaction act = { .sa_handler = on_signal };	/* no SA_RESTART */
	if (pipe(wake) < 0 || set_nonblock(wake[0]) < 0 || set_nonblock(wake[1]) < 0 ||
	    sigaction(SIGTERM, &act, NULL) < 0 || sigaction(SIGINT, &act, NULL) < 0) {
		perror("shapeproxy: setup");
		return 1;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (const struct sockaddr *)&listen_sa, sizeof(listen_sa)) < 0 ||
	    listen(lfd, 1024) < 0 || set_nonblock(lfd) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0) {
		perror("shapeproxy: listen");
		return 1;
	}
	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
	printf("listening on %s:%u\n", ip, (unsigned)ntohs(sa.sin_port));
	fflush(stdout);

	while (!stop) {
		int64_t now = now_ns(), wake_at = NEVER;
		struct timespec ts, *tsp = NULL;

		nconns = 0;
		for (int s = 0; s < MAX_CONNS; s++) {
			pfd[2 + 2 * s].fd = pfd[3 + 2 * s].fd = -1;
			if (!conns[s])
				continue;
			conn_events(conns[s], &pfd[2 + 2 * s], now, &wake_at);
			nconns++;
		}
		pfd[0] = (struct pollfd){ .fd = wake[0], .events = POLLIN };
		/* At the connection limit new clients wait in the backlog. */
		pfd[1] = (struct pollfd){ .fd = nconns < MAX_CONNS ? lfd : -1, .events = POLLIN };
		if (wake_at != NEVER) {
			int64_t dt = wake_at > now ? wake_at - now : 0;

			ts.tv_sec = dt / 1000000000;
			ts.tv_nsec = dt % 1000000000;
			tsp = &ts;
		}
		if (ppoll(pfd, 2 + 2 * MAX_CONNS, tsp, NULL) < 0) {
			if (errno == EINTR)
				continue;
			perror("shapeproxy: ppoll");
			return 1;
		}
		now = now_ns();
		/* Serve before accepting: a new conn may reuse a freed slot,
		 * whose revents belong to the old one.  Every connection is
		 * served, since timers (not only sockets) make things due;
		 * the slot to start from rotates, so the shared buckets favour
		 * no one. */
		static int first;
		for (int k = 0; k < MAX_CONNS; k++) {
			int s = (first + k) % MAX_CONNS;

			if (conns[s])
				conn_service(s, pfd[3 + 2 * s].revents, now);
		}
		first = (first + 1) % MAX_CONNS;
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
					perror("shapeproxy: accept");
				break;
			}
			conn_open(s, cfd, &to, ++next_id, now);
		}
	}
	/* Reset what is left: a clean FIN could pass a truncated reply off
	 * as complete. */
	for (int s = 0; s < MAX_CONNS; s++)
		if (conns[s])
			conn_end(s, "closed", true);
	close(lfd);
	return 0;
}
