/*
 * lib/ratelimit.h: fixed-window rate limits on named keys, in memory.
 *
 * A rate is "N/interval": at most N events per key in a window of
 * interval seconds that opens with the key's first event.  One event may
 * be charged to several keys at once (e.g. a report: its destination, its
 * domain, everyone): it passes only if every key is under its limit, and
 * is then counted in each; otherwise it is counted as dropped in the first
 * key over its limit.  Windows that have ended are handed to a callback
 * with their drop count (so a caller logs drops once per window, with a
 * count) and forgotten.
 *
 * Not thread-safe: the caller serializes.  Time is the caller's (now), so
 * tests need no clock.  The table holds at most max_keys live windows;
 * when it is full of live windows, a new key's event is dropped (a flood
 * of distinct keys cannot grow memory).
 */
#ifndef MK_RATELIMIT_H
#define MK_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define MK_RATELIMIT_KEY_MAX 511	/* bytes of a key */
#define MK_RATELIMIT_COUNT_MAX 1000000	/* N of a rate */
#define MK_RATELIMIT_INTERVAL_MAX (366L * 86400)	/* interval of a rate, seconds */

struct mk_rate {
	unsigned long count;	/* events per window; 0 = no limit */
	long interval;		/* seconds */
};

/* "N/DURATION" (DURATION as lib/conf: 3600, 60m, 1h, 1d), or "0",
 * "none", "unlimited" for no limit.  Pure.  0 / -1 (err filled). */
int mk_rate_parse(const char *s, struct mk_rate *out, char *err, size_t errlen);
/* "10/3600" into out ("unlimited" for no limit). */
void mk_rate_format(const struct mk_rate *r, char *out, size_t outsz);

struct mk_ratelimit;

struct mk_ratelimit *mk_ratelimit_new(size_t max_keys);	/* NULL: out of memory */
struct mk_ratelimit *mk_ratelimit_free(struct mk_ratelimit *rl);	/* returns NULL */
size_t mk_ratelimit_size(const struct mk_ratelimit *rl);	/* live windows */

struct mk_ratelimit_verdict {
	int key;		/* index of the key over its limit, -1 = table full */
	bool first_drop;	/* the first drop of that key in its window */
	unsigned long count;	/* that key's count in its window */
};

/* Charge one event at now to keys[0..n) with rates[0..n) (keys borrowed;
 * a key with an unlimited rate is not stored).  0: passed and counted;
 * -1: dropped (v says why).  A window that has ended is restarted, so call
 * mk_ratelimit_expire() first to see its drops. */
int mk_ratelimit_take(struct mk_ratelimit *rl, const char *const *keys,
    const struct mk_rate *rates, size_t n, time_t now, struct mk_ratelimit_verdict *v);

/* Forget the windows that have ended by now (all of them when all);
 * cb(key, dropped, rate of the window, arg) for each one that dropped
 * events, before it is forgotten.  Returns the number forgotten. */
size_t mk_ratelimit_expire(struct mk_ratelimit *rl, time_t now, bool all,
    void (*cb)(const char *key, unsigned long dropped, const struct mk_rate *rate, void *arg),
    void *arg);

#endif
