/*
 * lib/ttlcache.c: values kept for their TTL (see ttlcache.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/ttlcache.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct mk_ttlcache_slot *
slot_of(struct mk_ttlcache *c, const char *name, int type)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(unsigned)type;
	unsigned char ch;

	for (; *name != '\0'; name++) {
		ch = (unsigned char)*name;
		h = (h ^ (ch >= 'A' && ch <= 'Z' ? ch + 32u : ch)) * 1099511628211ULL;
	}
	return &c->slot[h % c->nslots];
}

void *
mk_ttlcache_get(struct mk_ttlcache *c, const char *name, int type)
{
	struct mk_ttlcache_slot *s = slot_of(c, name, type);
	void *val = NULL;

	pthread_mutex_lock(&c->mu);
	if (s->name != NULL && s->type == type && strcasecmp(s->name, name) == 0 &&
	    s->expires > now())
		val = c->dup(s->val);
	pthread_mutex_unlock(&c->mu);
	return val;
}

void
mk_ttlcache_put(struct mk_ttlcache *c, const char *name, int type, const void *val,
    unsigned ttl)
{
	struct mk_ttlcache_slot *s = slot_of(c, name, type);
	char *n;
	void *v;

	if (ttl == 0)
		return;
	n = strdup(name);
	v = c->dup(val);
	if (n == NULL || v == NULL) {
		free(n);
		if (v != NULL)
			c->drop(v);
		return;
	}
	pthread_mutex_lock(&c->mu);
	free(s->name);
	if (s->val != NULL)
		c->drop(s->val);
	s->name = n;
	s->type = type;
	s->val = v;
	s->expires = now() + ttl;
	pthread_mutex_unlock(&c->mu);
}

void
mk_ttlcache_clear(struct mk_ttlcache *c)
{
	size_t i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nslots; i++) {
		free(c->slot[i].name);
		if (c->slot[i].val != NULL)
			c->drop(c->slot[i].val);
		c->slot[i].name = NULL;
		c->slot[i].val = NULL;
	}
	pthread_mutex_unlock(&c->mu);
}
