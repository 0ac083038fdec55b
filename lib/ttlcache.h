/*
 * lib/ttlcache.h: a small thread-safe cache of values by (name, type), each
 * kept for its TTL: direct-mapped (a new entry replaces whatever hashed to
 * its slot), names compared without case, values copied in and out through
 * the cache's dup/drop functions.  For the DNS-derived data the milters keep
 * between messages (milter-dkim/keyrec.c, milter-dmarc/dnscache.c).
 *
 *   static struct mk_ttlcache_slot slots[256];
 *   static struct mk_ttlcache cache = MK_TTLCACHE_INIT(slots, my_dup, my_drop);
 */
#ifndef MK_TTLCACHE_H
#define MK_TTLCACHE_H

#include <pthread.h>
#include <stddef.h>

struct mk_ttlcache_slot {
	char *name;
	int type;
	void *val;
	double expires;		/* CLOCK_MONOTONIC seconds */
};

struct mk_ttlcache {
	pthread_mutex_t mu;
	size_t nslots;
	struct mk_ttlcache_slot *slot;
	void *(*dup)(const void *val);	/* a copy, or NULL (out of memory) */
	void (*drop)(void *val);
};

#define MK_TTLCACHE_INIT(slots, dup, drop) \
	{ PTHREAD_MUTEX_INITIALIZER, sizeof(slots) / sizeof((slots)[0]), (slots), (dup), (drop) }

/* A copy of the fresh value of name/type, or NULL. */
void *mk_ttlcache_get(struct mk_ttlcache *c, const char *name, int type);
/* Keep a copy of val for ttl seconds (0: not kept). */
void mk_ttlcache_put(struct mk_ttlcache *c, const char *name, int type, const void *val,
    unsigned ttl);
/* Forget every entry. */
void mk_ttlcache_clear(struct mk_ttlcache *c);

#endif
