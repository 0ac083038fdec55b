/*
 * bench/spf-load.c: load client for SPF policy servers (Postfix policy
 * protocol).  C, one thread polling every connection, so that it is not
 * the bottleneck: each connection sends a request and waits for its reply
 * (as Postfix's smtpd does); latencies recorded per request.
 *
 *   spf-load -s unix:/path|inet:HOST:PORT -c CONNS -n REQUESTS [-t SECONDS]
 *            [-d DOMAINS] [-o OFFSET] [-z DOMAIN]
 *
 * Request i uses sender user@d<k>.<zone> and HELO h<k>.<zone> with
 * k = OFFSET + i % DOMAINS: a warm run repeats a few domains, a cold run
 * uses domains not looked up before.  Prints one line:
 *   requests=N errors=E seconds=S rps=R p50_ms=A p99_ms=B client_cpu=C%
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LOAD_CONNS_MAX 256
#define LOAD_REQ_MAX 10000000
#define LOAD_BUF 4096

struct opts {
	const char *sock;
	const char *zone;
	long conns, requests, domains, offset;
	double seconds;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
load_connect(const char *spec)
{
	int fd;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		if (strlen(spec + 5) >= sizeof(sun.sun_path))
			return -1;
		strcpy(sun.sun_path, spec + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		char host[256];
		const char *colon = strrchr(spec + 5, ':');
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
		size_t hl;

		if (colon == NULL || (hl = (size_t)(colon - spec - 5)) >= sizeof(host))
			return -1;
		memcpy(host, spec + 5, hl);
		host[hl] = '\0';
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
			return -1;
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		return fd;
	}
	return -1;
}

struct conn {
	int fd;
	long next;		/* next request number of this connection */
	long end;		/* one past its last */
	double t0;		/* when the pending request was sent */
	size_t got;
	char rep[LOAD_BUF];
};

static int
send_req(const struct opts *o, struct conn *c)
{
	char req[LOAD_BUF];
	long i = c->next, k = o->offset + i % o->domains;
	int len = snprintf(req, sizeof(req),
	    "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
	    "client_address=192.0.2.%ld\nclient_name=unknown\nhelo_name=h%ld.%s\n"
	    "sender=user%ld@d%ld.%s\nrecipient=rcpt@example.org\ninstance=%lx\n"
	    "sasl_username=\n\n", 1 + i % 200, k, o->zone, i, k, o->zone, (unsigned long)i);

	c->got = 0;
	c->t0 = now_s();
	return write(c->fd, req, (size_t)len) == len ? 0 : -1;
}

/* One thread, poll() over every connection: each connection has one
 * request outstanding at a time, as Postfix's smtpd processes do. */
static long
run_all(const struct opts *o, double *lat, long *errors)
{
	struct conn *c = calloc((size_t)o->conns, sizeof(*c));
	struct pollfd *pf = calloc((size_t)o->conns, sizeof(*pf));
	long i, done = 0, active = 0, per = o->requests / o->conns;
	double deadline = now_s() + o->seconds;

	for (i = 0; i < o->conns; i++) {
		c[i].next = i * per;
		c[i].end = i == o->conns - 1 ? o->requests : (i + 1) * per;
		c[i].fd = load_connect(o->sock);
		if (c[i].fd == -1 || send_req(o, &c[i]) == -1) {
			*errors += c[i].end - c[i].next;
			c[i].fd = -1;
			continue;
		}
		active++;
	}
	while (active > 0) {
		for (i = 0; i < o->conns; i++) {
			pf[i].fd = c[i].fd;
			pf[i].events = POLLIN;
		}
		if (poll(pf, (nfds_t)o->conns, 30000) <= 0)
			break;
		for (i = 0; i < o->conns; i++) {
			ssize_t r;
			if (c[i].fd == -1 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(c[i].fd, c[i].rep + c[i].got, sizeof(c[i].rep) - 1 - c[i].got);
			if (r <= 0) {
				*errors += c[i].end - c[i].next;
				close(c[i].fd);
				c[i].fd = -1;
				active--;
				continue;
			}
			c[i].got += (size_t)r;
			c[i].rep[c[i].got] = '\0';
			if (strstr(c[i].rep, "\n\n") == NULL)
				continue;
			if (strncmp(c[i].rep, "action=", 7) != 0)
				(*errors)++;
			lat[done++] = (now_s() - c[i].t0) * 1e3;
			if (++c[i].next >= c[i].end || (o->seconds > 0 && now_s() > deadline) ||
			    send_req(o, &c[i]) == -1) {
				close(c[i].fd);
				c[i].fd = -1;
				active--;
			}
		}
	}
	for (i = 0; i < o->conns; i++)
		if (c[i].fd != -1)
			close(c[i].fd);
	free(c);
	free(pf);
	return done;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
usage(void)
{
	fprintf(stderr, "usage: spf-load -s SOCKET -c CONNS -n REQUESTS [-t SECONDS] "
	    "[-d DOMAINS] [-o OFFSET] [-z ZONE]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct opts o = { NULL, "bench.test", 1, 1000, 10, 0, 60 };
	struct rusage ru;
	double t0, t1, *all, cpu;
	long total, errors = 0;
	int ch;

	while ((ch = getopt(argc, argv, "s:c:n:t:d:o:z:")) != -1) {
		switch (ch) {
		case 's': o.sock = optarg; break;
		case 'c': o.conns = atol(optarg); break;
		case 'n': o.requests = atol(optarg); break;
		case 't': o.seconds = atof(optarg); break;
		case 'd': o.domains = atol(optarg); break;
		case 'o': o.offset = atol(optarg); break;
		case 'z': o.zone = optarg; break;
		default: usage();
		}
	}
	if (o.sock == NULL || o.conns < 1 || o.conns > LOAD_CONNS_MAX || o.requests < o.conns ||
	    o.requests > LOAD_REQ_MAX || o.domains < 1)
		usage();
	all = malloc((size_t)o.requests * sizeof(double));
	if (all == NULL)
		return 1;
	t0 = now_s();
	total = run_all(&o, all, &errors);
	t1 = now_s();
	qsort(all, (size_t)total, sizeof(double), cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("requests=%ld errors=%ld seconds=%.3f rps=%.0f p50_ms=%.3f p99_ms=%.3f client_cpu=%.0f%%\n",
	    total, errors, t1 - t0, total / (t1 - t0), total ? all[total / 2] : 0.0,
	    total ? all[(long)((double)total * 0.99)] : 0.0, 100.0 * cpu / (t1 - t0));
	free(all);
	return errors > 0 ? 1 : 0;
}
