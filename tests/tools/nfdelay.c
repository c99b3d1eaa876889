/*
 * nfdelay.c — hold every packet of an NFQUEUE for a fixed time, for the
 * black-box tests of a slow link.
 *
 * The test machines have no netem qdisc, so a test that wants a link with a
 * real delay sends the packets of that link to a netfilter queue
 * (iptables ... -j NFQUEUE --queue-num N --queue-bypass) and runs this
 * program in the same network namespace: each packet is released (verdict
 * ACCEPT) DELAY ms after it was queued, in the order it arrived.
 *
 *   nfdelay --queue N --delay MS
 *
 *   --queue N   the queue number (0..65535) to bind.
 *   --delay MS  how long each packet is held, in milliseconds (0..60000).
 *
 * Once bound it prints "nfdelay: queue N, delay MS ms" on stdout, so scripts
 * can wait for it.  It runs until SIGTERM/SIGINT, then releases every packet
 * still held and prints one line on stdout
 *   nfdelay: delayed P packets, at most H held at once, O not delayed
 * where O counts packets it had to release at once (its buffer was full).
 * Exits 0; 2 on bad arguments; 1 if the queue cannot be bound (no
 * CAP_NET_ADMIN, no nfnetlink_queue in the kernel, queue already taken).
 *
 * Only the packet ids are copied from the kernel (NFQNL_COPY_META), never the
 * payload.  If the kernel's socket buffer overflows, packets it could not
 * report stay queued in the kernel until the queue is destroyed; the queue is
 * large and the test links are slow, so this does not happen in practice.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define HELD_MAX 65536 /* packets held at once (a power of two) */
#define QUEUE_MAXLEN 32768

struct held {
	uint32_t id;
	int64_t due_ms;
};

static struct held ring[HELD_MAX];
static size_t head, count; /* held packets are ring[head .. head+count) */
static long delay_ms;
static unsigned long long delayed, overflow;
static size_t max_held;
static volatile sig_atomic_t stopping;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data)
{
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	(void)msg;
	(void)data;
	if (!ph)
		return 0;
	uint32_t id = ntohl(ph->packet_id);
	if (count == HELD_MAX) {
		overflow++;
		return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL) < 0 ? -1 : 0;
	}
	ring[(head + count) % HELD_MAX] = (struct held){id, now_ms() + delay_ms};
	count++;
	delayed++;
	if (count > max_held)
		max_held = count;
	return 0;
}

/* Release the packets whose time has come (all of them when stopping). */
static int release(struct nfq_q_handle *qh, int all)
{
	int64_t now = now_ms();
	while (count && (all || ring[head].due_ms <= now)) {
		if (nfq_set_verdict(qh, ring[head].id, NF_ACCEPT, 0, NULL) < 0 && errno != ENOENT)
			return -1;
		head = (head + 1) % HELD_MAX;
		count--;
	}
	return 0;
}

static int number(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	long queue = -1;
	delay_ms = -1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--queue") && i + 1 < argc) {
			if (number(argv[++i], 0, 65535, &queue))
				goto usage;
		} else if (!strcmp(argv[i], "--delay") && i + 1 < argc) {
			if (number(argv[++i], 0, 60000, &delay_ms))
				goto usage;
		} else
			goto usage;
	}
	if (queue < 0 || delay_ms < 0)
		goto usage;

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct nfq_handle *h = nfq_open();
	if (!h) {
		fprintf(stderr, "nfdelay: cannot open nfnetlink_queue: %s\n", strerror(errno));
		return 1;
	}
	struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL);
	if (!qh) {
		fprintf(stderr, "nfdelay: cannot bind queue %ld: %s\n", queue, strerror(errno));
		nfq_close(h);
		return 1;
	}
	if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0 || nfq_set_queue_maxlen(qh, QUEUE_MAXLEN) < 0) {
		fprintf(stderr, "nfdelay: cannot configure queue %ld: %s\n", queue, strerror(errno));
		nfq_destroy_queue(qh);
		nfq_close(h);
		return 1;
	}
	int fd = nfq_fd(h);
	int rcv = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv);
	printf("nfdelay: queue %ld, delay %ld ms\n", queue, delay_ms);
	fflush(stdout);

	int rc = 0;
	static char buf[65536];
	while (!stopping) {
		int timeout = -1;
		if (count) {
			int64_t wait = ring[head].due_ms - now_ms();
			timeout = wait < 0 ? 0 : (int)wait;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = poll(&p, 1, timeout);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "nfdelay: poll: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		if (n > 0) {
			/* drain what is there without blocking */
			for (;;) {
				ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
				if (got < 0) {
					if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
						break;
					if (errno == ENOBUFS) /* reports lost; the packets stay queued */
						continue;
					fprintf(stderr, "nfdelay: recv: %s\n", strerror(errno));
					rc = 1;
					break;
				}
				nfq_handle_packet(h, buf, (int)got);
			}
			if (rc)
				break;
		}
		if (release(qh, 0) < 0) {
			fprintf(stderr, "nfdelay: verdict: %s\n", strerror(errno));
			rc = 1;
			break;
		}
	}
	release(qh, 1);
	printf("nfdelay: delayed %llu packets, at most %zu held at once, %llu not delayed\n", delayed,
	       max_held, overflow);
	fflush(stdout);
	nfq_destroy_queue(qh);
	nfq_close(h);
	return rc;

usage:
	fprintf(stderr, "usage: nfdelay --queue N --delay MS\n");
	return 2;
}
