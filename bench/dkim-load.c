/*
 * bench/dkim-load.c: a milter v6 load client for bench/dkim (not a test).
 *
 *   dkim-load -s unix:PATH|inet:PORT@HOST [-c CONCURRENCY] [-n MESSAGES]
 *             [-m MESSAGE_BYTES] [-t MAX_SECONDS] [-k MESSAGES_PER_SESSION]
 *
 * Each of CONCURRENCY threads opens one milter session per message, as an
 * MTA does for an SMTP session of one transaction: OPTNEG, CONNECT
 * (127.0.0.1), HELO, MAIL, RCPT, DATA, the header fields, EOH, the body in
 * 64 KiB chunks, EOB, QUIT, honouring the steps and replies the filter
 * negotiated away (SMFIP_NO*, SMFIP_NR_*).  With -k K a session carries K
 * messages (MAIL to EOB again after each EOB's reply), as for an SMTP
 * session of K transactions: the connection's cost shared by K messages.
 * It counts messages, header insertions at EOB (signatures) and failures,
 * and prints one line:
 *   messages=N seconds=S rate=R inserted=I failed=F
 * Bounded: at most MESSAGES messages and MAX_SECONDS seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_MAX 65535
#define REPLY_MAX (1024 * 1024)

static const char *sockspec = NULL;
static long nmsgs = 1000, msgsize = 2048, maxsecs = 30, per_session = 1;
static int conc = 1;
static atomic_long next_msg, done_msgs, inserted, failed;
static double t_end;
static char *body;
static size_t bodylen;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(void)
{
	struct sockaddr_un un;
	struct addrinfo hints, *ai = NULL;
	char host[256], port[16];
	const char *at;
	int fd, one = 1;

	if (strncmp(sockspec, "unix:", 5) == 0 || strncmp(sockspec, "local:", 6) == 0) {
		memset(&un, 0, sizeof(un));
		un.sun_family = AF_UNIX;
		snprintf(un.sun_path, sizeof(un.sun_path), "%s", strchr(sockspec, ':') + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			return -1;
		if (connect(fd, (struct sockaddr *)&un, sizeof(un)) == -1) {
			close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(sockspec, "inet:", 5) != 0 || (at = strchr(sockspec, '@')) == NULL)
		return -1;
	snprintf(port, sizeof(port), "%.*s", (int)(at - sockspec - 5), sockspec + 5);
	snprintf(host, sizeof(host), "%s", at + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd == -1 || connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (fd != -1)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	/* an MTA's milter client (Postfix) disables Nagle too */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	freeaddrinfo(ai);
	return fd;
}

/* Write all of iov (one writev() in the usual case). */
static int
writev_all(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = writev(fd, iov, n)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* One command, one write: an MTA's milter client buffers a command and
 * flushes it whole (Postfix's VSTREAM, Sendmail's writev), so a TCP
 * socket carries it in one segment, not a 5-byte one and then the rest. */
static int
send_cmd(int fd, char cmd, const void *data, size_t len)
{
	unsigned char hdr[5];
	uint32_t n = htonl((uint32_t)(len + 1));
	struct iovec iov[2];

	memcpy(hdr, &n, 4);
	hdr[4] = (unsigned char)cmd;
	iov[0].iov_base = hdr;
	iov[0].iov_len = 5;
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	return writev_all(fd, iov, len > 0 ? 2 : 1);
}

struct session {
	int fd;
	uint32_t proto;
	size_t rpos, rlen;		/* unread bytes in rbuf */
	unsigned char rbuf[65536];	/* what read() brought in, as a VSTREAM */
	char buf[REPLY_MAX];
};

/* len bytes from the session's read buffer, refilled by read()s of
 * whatever the filter sent so far. */
static int
sread(struct session *s, void *buf, size_t len)
{
	char *p = buf;
	size_t take;
	ssize_t n;

	while (len > 0) {
		if (s->rpos == s->rlen) {
			if ((n = read(s->fd, s->rbuf, sizeof(s->rbuf))) <= 0) {
				if (n == -1 && errno == EINTR)
					continue;
				return -1;
			}
			s->rpos = 0;
			s->rlen = (size_t)n;
		}
		take = s->rlen - s->rpos < len ? s->rlen - s->rpos : len;
		memcpy(p, s->rbuf + s->rpos, take);
		s->rpos += take;
		p += take;
		len -= take;
	}
	return 0;
}

/* Read one reply packet into s->buf; returns its command byte or -1. */
static int
read_reply(struct session *s, size_t *len)
{
	unsigned char h[5];
	uint32_t n;

	if (sread(s, h, 5) == -1)
		return -1;
	memcpy(&n, h, 4);
	n = ntohl(n);
	if (n == 0 || n > REPLY_MAX)
		return -1;
	*len = n - 1;
	if (*len > 0 && sread(s, s->buf, *len) == -1)
		return -1;
	return h[4];
}

/* Send a step; if a reply is expected, read it: 'c' continues (0), an
 * accept/other final reply ends the message (1), error -1. */
static int
step(struct session *s, char cmd, const void *data, size_t len, uint32_t skip, uint32_t noreply)
{
	size_t rl;
	int r;

	if (s->proto & skip)
		return 0;
	if (send_cmd(s->fd, cmd, data, len) == -1)
		return -1;
	if (s->proto & noreply)
		return 0;
	if ((r = read_reply(s, &rl)) == -1)
		return -1;
	return r == 'c' ? 0 : 1;
}

static int
negotiate(struct session *s)
{
	uint32_t opt[3] = { htonl(6), htonl(0x1ff), htonl(0x001fffff) };
	size_t rl;

	if (send_cmd(s->fd, 'O', opt, sizeof(opt)) == -1 || read_reply(s, &rl) != 'O' ||
	    rl < 12)
		return -1;
	memcpy(&s->proto, s->buf + 8, 4);
	s->proto = ntohl(s->proto);
	return 0;
}

static int
headers(struct session *s, long id)
{
	char h[512];
	const char *lead = (s->proto & 0x00100000) ? " " : "";
	const char *hv[][2] = {
		{ "From", "Alice <alice@example.com>" }, { "To", "bob@example.org" },
		{ "Subject", "benchmark message" }, { "Date", "Sat, 28 Nov 2026 01:00:00 +0000" },
		{ "Message-ID", NULL },
	};
	char mid[64];
	size_t i, n;
	int r;

	snprintf(mid, sizeof(mid), "<%ld@bench.example.com>", id);
	hv[4][1] = mid;
	for (i = 0; i < 5; i++) {
		n = (size_t)snprintf(h, sizeof(h), "%s%c%s%s", hv[i][0], 0, lead, hv[i][1]) + 1;
		if ((r = step(s, 'L', h, n, 0x20, 0x80)) != 0)
			return r;
	}
	return 0;
}

/* A session up to its first message: dial, OPTNEG, CONNECT, HELO.  NULL on
 * failure (*r -1) or a final reply before MAIL (*r 1). */
static struct session *
session_open(int *r)
{
	static const char conn[] = "bench.example\0" "4\0\0" "127.0.0.1";
	struct session *s;

	*r = -1;
	if ((s = malloc(sizeof(*s))) == NULL)
		return NULL;
	s->rpos = s->rlen = 0;
	if ((s->fd = dial()) != -1 && negotiate(s) == 0 &&
	    (*r = step(s, 'C', conn, sizeof(conn), 0x1, 0x1000)) == 0 &&
	    (*r = step(s, 'H', "bench.example", 14, 0x2, 0x2000)) == 0)
		return s;
	if (*r == 1)
		(void)send_cmd(s->fd, 'Q', NULL, 0);
	if (s->fd != -1)
		close(s->fd);
	free(s);
	return NULL;
}

/* One message (MAIL to EOB and its replies) on an open session: 0 ok, 1 a
 * final reply before EOB, -1 failure (the session is unusable). */
static int
message(struct session *s, long id)
{
	static const char mail[] = "<alice@example.com>";
	static const char rcpt[] = "<bob@example.org>";
	size_t off, n, rl;
	int r, c;

	if ((r = step(s, 'M', mail, sizeof(mail), 0x4, 0x4000)) != 0 ||
	    (r = step(s, 'R', rcpt, sizeof(rcpt), 0x8, 0x8000)) != 0 ||
	    (r = step(s, 'T', NULL, 0, 0x200, 0x10000)) != 0 ||
	    (r = headers(s, id)) != 0 || (r = step(s, 'N', NULL, 0, 0x40, 0x40000)) != 0)
		return r;
	for (off = 0; off < bodylen; off += n) {
		n = bodylen - off > CHUNK_MAX ? CHUNK_MAX : bodylen - off;
		if ((r = step(s, 'B', body + off, n, 0x10, 0x80000)) != 0)
			return r;
	}
	if (send_cmd(s->fd, 'E', NULL, 0) == -1)
		return -1;
	for (;;) {
		if ((c = read_reply(s, &rl)) == -1)
			return -1;
		if (c == 'h' || c == 'i')
			atomic_fetch_add(&inserted, 1);
		if (strchr("acdrty", c) != NULL)
			break;
	}
	return c == 'a' || c == 'c' ? 0 : -1;
}

static void
session_close(struct session *s, bool quit)
{
	if (quit)
		(void)send_cmd(s->fd, 'Q', NULL, 0);
	close(s->fd);
	free(s);
}

static void
count(int r)
{
	if (r >= 0)	/* 1: a final reply before EOB, as planned by the filter */
		atomic_fetch_add(&done_msgs, 1);
	else
		atomic_fetch_add(&failed, 1);
}

static void *
worker(void *arg)
{
	struct session *s = NULL;
	long id, k = 0;
	int r;

	(void)arg;
	while ((id = atomic_fetch_add(&next_msg, 1)) < nmsgs && now() < t_end) {
		if (s == NULL && (s = session_open(&r)) == NULL) {
			count(r);
			continue;
		}
		r = message(s, id);
		count(r);
		if (r != 0 || ++k == per_session) {
			session_close(s, r != -1);
			s = NULL;
			k = 0;
		}
	}
	if (s != NULL)
		session_close(s, true);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th[256];
	double t0, t1;
	size_t i;
	int ch;

	while ((ch = getopt(argc, argv, "s:c:n:m:t:k:")) != -1) {
		switch (ch) {
		case 's': sockspec = optarg; break;
		case 'c': conc = atoi(optarg); break;
		case 'n': nmsgs = atol(optarg); break;
		case 'm': msgsize = atol(optarg); break;
		case 't': maxsecs = atol(optarg); break;
		case 'k': per_session = atol(optarg); break;
		default: goto usage;
		}
	}
	if (sockspec == NULL || conc < 1 || conc > 256 || nmsgs < 1 || msgsize < 256 ||
	    msgsize > 64L * 1024 * 1024 || maxsecs < 1 || per_session < 1)
		goto usage;
	bodylen = (size_t)msgsize - 200;	/* about the size of the header fields */
	if ((body = malloc(bodylen)) == NULL)
		return 1;
	for (i = 0; i < bodylen; i++)
		body[i] = (i % 72 == 70) ? '\r' : (i % 72 == 71) ? '\n' : (char)('a' + i % 26);
	body[bodylen - 2] = '\r';	/* a message body ends with CRLF */
	body[bodylen - 1] = '\n';
	t0 = now();
	t_end = t0 + (double)maxsecs;
	for (i = 0; i < (size_t)conc; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (i = 0; i < (size_t)conc; i++)
		pthread_join(th[i], NULL);
	t1 = now();
	printf("messages=%ld seconds=%.3f rate=%.1f inserted=%ld failed=%ld\n",
	    (long)done_msgs, t1 - t0, (double)done_msgs / (t1 - t0), (long)inserted, (long)failed);
	free(body);
	return failed > 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: dkim-load -s unix:PATH|inet:PORT@HOST [-c N] [-n MSGS] "
	    "[-m BYTES] [-t SECONDS] [-k MSGS_PER_SESSION]\n");
	return 2;
}
