/*
 * milter-dmarc/dnscache.c: DNS answers the DMARC evaluation asked for
 * lately (_dmarc records of the tree walk), kept for their TTL, at most
 * DNSCACHE_TTL_MAX.  With them, end of header can tell that the end of
 * message needs no DNS (verdict.c: dmarc_probe), and the message is then
 * evaluated on the session's event loop instead of being handed to a worker
 * thread and back -- on a busy MX, where the same few domains send most
 * mail, that hand-off costs more than the evaluation.  Direct-mapped, one
 * mutex; temporary failures are never kept.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "milter-dmarc/dnscache.h"

#define DNSCACHE_SLOTS 512
#define DNSCACHE_TTL_MAX 600

static struct {
	char *name;
	enum mk_dns_type type;
	struct mk_dns_answer *ans;
	double expires;
} slot[DNSCACHE_SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
slot_of(const char *name, enum mk_dns_type type)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)type;
	unsigned char c;

	for (; *name != '\0'; name++) {
		c = (unsigned char)*name;
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 1099511628211ULL;
	}
	return (size_t)(h % DNSCACHE_SLOTS);
}

static struct mk_dns_answer *
answer_dup(const struct mk_dns_answer *a)
{
	struct mk_dns_answer *d = calloc(1, sizeof(*d));
	size_t i;

	if (d == NULL)
		return NULL;
	*d = *a;
	d->rr = NULL;
	d->count = 0;
	if (a->count > 0 && (d->rr = calloc(a->count, sizeof(*d->rr))) == NULL)
		return mk_dns_answer_free(d);
	for (i = 0; i < a->count; i++) {
		d->rr[i] = a->rr[i];
		if ((d->rr[i].text = malloc(a->rr[i].len + 1)) == NULL)
			return mk_dns_answer_free(d);
		memcpy(d->rr[i].text, a->rr[i].text, a->rr[i].len + 1);
		d->count++;
	}
	return d;
}

struct mk_dns_answer *
dmarc_dnscache_get(const char *name, enum mk_dns_type type)
{
	size_t i = slot_of(name, type);
	struct mk_dns_answer *a = NULL;

	pthread_mutex_lock(&mu);
	if (slot[i].name != NULL && slot[i].type == type && strcasecmp(slot[i].name, name) == 0 &&
	    slot[i].expires > now())
		a = answer_dup(slot[i].ans);
	pthread_mutex_unlock(&mu);
	return a;
}

void
dmarc_dnscache_put(const char *name, enum mk_dns_type type, const struct mk_dns_answer *ans)
{
	size_t i = slot_of(name, type);
	struct mk_dns_answer *copy;
	uint32_t ttl = ans->ttl;
	char *n;

	if ((ans->status != MK_DNS_OK && ans->status != MK_DNS_NODATA &&
	    ans->status != MK_DNS_NXDOMAIN) || ttl == 0)
		return;
	if (ttl > DNSCACHE_TTL_MAX)
		ttl = DNSCACHE_TTL_MAX;
	n = strdup(name);
	copy = answer_dup(ans);
	if (n == NULL || copy == NULL) {
		free(n);
		mk_dns_answer_free(copy);
		return;
	}
	pthread_mutex_lock(&mu);
	free(slot[i].name);
	mk_dns_answer_free(slot[i].ans);
	slot[i].name = n;
	slot[i].type = type;
	slot[i].ans = copy;
	slot[i].expires = now() + ttl;
	pthread_mutex_unlock(&mu);
}

void
dmarc_dnscache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < DNSCACHE_SLOTS; i++) {
		free(slot[i].name);
		slot[i].ans = mk_dns_answer_free(slot[i].ans);
		slot[i].name = NULL;
	}
	pthread_mutex_unlock(&mu);
}
