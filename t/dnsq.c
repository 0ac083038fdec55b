/*
 * t/dnsq.c: test driver for lib/dns.
 *
 *   dnsq [-a [-x | -F]] [-t TIMEOUT_MS] [-n COUNT] [-R MS] RESOLVER NAME TYPE
 *   dnsq -r IP                      print mk_dns_reverse_name(IP)
 *
 * Prints one answer as
 *   status=ok ttl=300 count=2
 *   rr pref=10 len=16 text=mx1.example.test
 *   ...
 * then "why=..." for a non-OK status.  Bytes of text outside 0x21-0x7e
 * and backslash are printed as \xHH so each RR stays on one line.
 * -a uses the async API on a libevent base (the callback runs in the loop);
 * -n COUNT runs the same query COUNT times concurrently (threads for sync,
 * one base for async) and prints only the first answer, after checking
 * that all answers have the same status and records (exit 3 otherwise).
 * -x (async) cancels every third query right after starting it, and each
 * callback cancels the next query if it is still pending; a callback of a
 * cancelled query is an error (exit 3).  Prints "cancelled=K".
 * -F (async) frees the context while all queries are still pending, then
 * the base (for leak checks); prints "freed-pending=N".
 * -R MS (sync) repeats the query every 50 ms in one context, printing
 * "+ELAPSED_MS STATUS" at each change of status, and stops at the first
 * "ok" that follows a failure, or after MS (recovery after an outage).
 * Exit status: 0 when the query ran (whatever its DNS status), 2 on usage
 * or setup errors.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "dns.h"

#define DNSQ_COUNT_MAX 1000

enum dnsq_state { DNSQ_PENDING, DNSQ_DELIVERED, DNSQ_CANCELLED };

struct dnsq {
	struct mk_dns *dns;
	const char *name;
	enum mk_dns_type type;
	struct mk_dns_answer *ans;
	uint64_t id;
	enum dnsq_state state;
	struct dnsq *next;		/* -x: the query this callback cancels */
	int *pending;
	int *bad;
	int *cancelled;
};

static void
dnsq_print(const struct mk_dns_answer *ans)
{
	size_t i, k;

	printf("status=%s ttl=%u count=%zu\n", mk_dns_status_name(ans->status),
	    (unsigned)ans->ttl, ans->count);
	for (i = 0; i < ans->count; i++) {
		const struct mk_dns_rr *rr = &ans->rr[i];

		printf("rr pref=%u len=%zu text=", (unsigned)rr->pref, rr->len);
		for (k = 0; k < rr->len; k++) {
			unsigned char c = (unsigned char)rr->text[k];

			if (c <= 0x20 || c >= 0x7f || c == '\\')
				printf("\\x%02x", c);
			else
				putchar(c);
		}
		putchar('\n');
	}
	if (ans->status != MK_DNS_OK)
		printf("why=%s\n", ans->why);
}

static int
dnsq_same(const struct mk_dns_answer *a, const struct mk_dns_answer *b)
{
	size_t i;

	if (a == NULL || b == NULL || a->status != b->status || a->count != b->count)
		return 0;
	for (i = 0; i < a->count; i++)
		if (a->rr[i].len != b->rr[i].len || a->rr[i].pref != b->rr[i].pref ||
		    memcmp(a->rr[i].text, b->rr[i].text, a->rr[i].len) != 0)
			return 0;
	return 1;
}

static void *
dnsq_thread(void *arg)
{
	struct dnsq *q = arg;

	q->ans = mk_dns_query(q->dns, q->name, q->type);
	return NULL;
}

static void
dnsq_cancel(struct dnsq *q)
{
	mk_dns_cancel(q->dns, q->id);
	q->state = DNSQ_CANCELLED;
	(*q->pending)--;
	(*q->cancelled)++;
}

static void
dnsq_done(struct mk_dns_answer *ans, void *arg)
{
	struct dnsq *q = arg;

	if (q->state != DNSQ_PENDING) {
		printf("error: callback for a query in state %d\n", (int)q->state);
		(*q->bad)++;
		mk_dns_answer_free(ans);
		return;
	}
	q->state = DNSQ_DELIVERED;
	q->ans = ans;
	(*q->pending)--;
	if (q->next != NULL && q->next->state == DNSQ_PENDING)
		dnsq_cancel(q->next);
}

/* Async: mode 'x' cancels, 'F' frees the context with queries pending. */
static int
dnsq_run_async(struct dnsq *qs, int n, int mode)
{
	struct event_base *base;
	int i, pending = n, bad = 0, cancelled = 0;

	if ((base = event_base_new()) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		qs[i].pending = &pending;
		qs[i].bad = &bad;
		qs[i].cancelled = &cancelled;
		if (mode == 'x' && i + 1 < n)
			qs[i].next = &qs[i + 1];
		qs[i].id = mk_dns_query_async(qs[i].dns, base, qs[i].name, qs[i].type,
		    dnsq_done, &qs[i]);
		if (qs[i].id == 0)
			return -1;
		if (mode == 'x' && i % 3 == 2)
			dnsq_cancel(&qs[i]);
	}
	if (mode == 'F') {
		qs[0].dns = mk_dns_free(qs[0].dns);
		event_base_free(base);
		printf("freed-pending=%d\n", n);
		return 0;
	}
	while (pending > 0)
		if (event_base_loop(base, EVLOOP_ONCE) == -1)
			return -1;
	event_base_free(base);
	if (mode == 'x')
		printf("cancelled=%d\n", cancelled);
	return bad ? -1 : 0;
}

static int
dnsq_run(struct dnsq *qs, int n, int async)
{
	pthread_t *tids;
	int i;

	if (!async) {
		if ((tids = calloc((size_t)n, sizeof(*tids))) == NULL)
			return -1;
		for (i = 0; i < n; i++)
			if (pthread_create(&tids[i], NULL, dnsq_thread, &qs[i]) != 0)
				return -1;
		for (i = 0; i < n; i++)
			pthread_join(tids[i], NULL);
		free(tids);
		return 0;
	}
	return dnsq_run_async(qs, n, async);
}

static long
dnsq_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -R: one context, repeated queries, until recovery or limit_ms. */
static int
dnsq_recover(struct mk_dns *dns, const char *name, enum mk_dns_type type, long limit_ms)
{
	struct mk_dns_answer *ans;
	long t0 = dnsq_now_ms();
	int last = -1, failed = 0;

	while (dnsq_now_ms() - t0 < limit_ms) {
		if ((ans = mk_dns_query(dns, name, type)) == NULL)
			return -1;
		if ((int)ans->status != last) {
			printf("+%ld %s\n", dnsq_now_ms() - t0, mk_dns_status_name(ans->status));
			fflush(stdout);
			last = (int)ans->status;
		}
		mk_dns_answer_free(ans);
		if (last != MK_DNS_OK)
			failed = 1;
		else if (failed)
			return 0;
		usleep(50000);
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: dnsq [-a [-x | -F]] [-t TIMEOUT_MS] [-n COUNT] [-R MS] RESOLVER NAME TYPE\n"
	    "       dnsq -r IP\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	char err[256], rev[128];
	struct dnsq *qs;
	struct mk_dns *dns;
	int c, async = 0, n = 1, type, i, rc = 0;
	unsigned timeout = 0;
	long recover = 0;

	while ((c = getopt(argc, argv, "aFn:r:R:t:x")) != -1) {
		switch (c) {
		case 'a': async = async ? async : 1; break;
		case 'F': async = 'F'; break;
		case 'x': async = 'x'; break;
		case 'n': n = atoi(optarg); break;
		case 'R': recover = atol(optarg); break;
		case 't': timeout = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r':
			if (mk_dns_reverse_name(optarg, rev, sizeof(rev)) == -1)
				return 1;
			printf("%s\n", rev);
			return 0;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3 || n < 1 || n > DNSQ_COUNT_MAX)
		usage();
	if ((type = mk_dns_type_parse(argv[2])) == -1) {
		fprintf(stderr, "dnsq: unknown type %s\n", argv[2]);
		return 2;
	}
	if ((dns = mk_dns_new(argv[0], timeout, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dnsq: %s\n", err);
		return 2;
	}
	if (recover > 0) {
		rc = dnsq_recover(dns, argv[1], (enum mk_dns_type)type, recover) == -1 ? 2 : 0;
		mk_dns_free(dns);
		return rc;
	}
	if ((qs = calloc((size_t)n, sizeof(*qs))) == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		qs[i].dns = dns;
		qs[i].name = argv[1];
		qs[i].type = (enum mk_dns_type)type;
	}
	if (dnsq_run(qs, n, async) == -1) {
		fprintf(stderr, "dnsq: query failed to run\n");
		rc = 3;
	} else if (async != 'F') {
		dnsq_print(qs[0].ans);
		for (i = 1; i < n; i++)
			if (qs[i].state != DNSQ_CANCELLED && !dnsq_same(qs[0].ans, qs[i].ans)) {
				printf("mismatch=%d\n", i);
				rc = 3;
			}
	}
	for (i = 0; i < n; i++)
		mk_dns_answer_free(qs[i].ans);
	free(qs);
	if (async != 'F')
		mk_dns_free(dns);
	return rc;
}
