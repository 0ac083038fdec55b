/*
 * milter-dkim/keyrec.c: DKIM key records (the TXT at <s>._domainkey.<d>)
 * seen lately, kept for their DNS TTL (at most KEYREC_TTL_MAX).  A message
 * whose keys are all here is verified on the session's event loop: no DNS
 * and no hand-off to a worker thread and back, which on a busy MX costs
 * more than the verification.  Direct-mapped, one mutex; only single,
 * well-formed positive answers are kept.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "milter-dkim/keyrec.h"

#define KEYREC_SLOTS 256
#define KEYREC_TTL_MAX 3600

static struct {
	char *name, *txt;
	double expires;
} slot[KEYREC_SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
slot_of(const char *name)
{
	uint64_t h = 1469598103934665603ULL;
	unsigned char c;

	for (; *name != '\0'; name++) {
		c = (unsigned char)*name;
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 1099511628211ULL;
	}
	return (size_t)(h % KEYREC_SLOTS);
}

char *
dkim_keyrec_get(const char *name)
{
	size_t i = slot_of(name);
	char *txt = NULL;

	pthread_mutex_lock(&mu);
	if (slot[i].name != NULL && strcasecmp(slot[i].name, name) == 0 &&
	    slot[i].expires > now())
		txt = strdup(slot[i].txt);
	pthread_mutex_unlock(&mu);
	return txt;
}

void
dkim_keyrec_put(const char *name, const char *txt, uint32_t ttl)
{
	size_t i = slot_of(name);
	char *n, *t;

	if (ttl == 0)
		return;
	if (ttl > KEYREC_TTL_MAX)
		ttl = KEYREC_TTL_MAX;
	n = strdup(name);
	t = strdup(txt);
	if (n == NULL || t == NULL) {
		free(n);
		free(t);
		return;
	}
	pthread_mutex_lock(&mu);
	free(slot[i].name);
	free(slot[i].txt);
	slot[i].name = n;
	slot[i].txt = t;
	slot[i].expires = now() + ttl;
	pthread_mutex_unlock(&mu);
}

void
dkim_keyrec_clear(void)
{
	size_t i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < KEYREC_SLOTS; i++) {
		free(slot[i].name);
		free(slot[i].txt);
		slot[i].name = slot[i].txt = NULL;
	}
	pthread_mutex_unlock(&mu);
}
