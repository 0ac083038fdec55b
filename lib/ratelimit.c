/*
 * lib/ratelimit.c: fixed-window rate limits (see ratelimit.h).
 * A chained hash table of windows, FNV-1a on the key.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/conf.h"
#include "lib/ratelimit.h"

struct rl_entry {
	struct rl_entry *next;
	time_t start;
	struct mk_rate rate;		/* of the window (interval used to end it) */
	unsigned long count, dropped;
	char key[];
};

struct mk_ratelimit {
	struct rl_entry **bucket;
	size_t nbucket;			/* a power of two */
	size_t size, max;
};

int
mk_rate_parse(const char *s, struct mk_rate *out, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	char num[32], *end;
	unsigned long n;
	long iv;

	memset(out, 0, sizeof(*out));
	if (strcmp(s, "0") == 0 || strcasecmp(s, "none") == 0 || strcasecmp(s, "unlimited") == 0)
		return 0;
	if (slash == NULL || slash == s || (size_t)(slash - s) >= sizeof(num) ||
	    strspn(s, "0123456789") != (size_t)(slash - s)) {
		snprintf(err, errlen, "\"%s\" is not a rate (N/interval, e.g. 10/1h, or 0)", s);
		return -1;
	}
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	n = strtoul(num, &end, 10);
	if (n > MK_RATELIMIT_COUNT_MAX) {
		snprintf(err, errlen, "\"%s\": at most %d events per interval", s,
		    MK_RATELIMIT_COUNT_MAX);
		return -1;
	}
	if (mk_conf_parse_duration(slash + 1, &iv) == -1 || iv < 1 ||
	    iv > MK_RATELIMIT_INTERVAL_MAX) {
		snprintf(err, errlen, "\"%s\": the interval must be a duration from 1s to 366d", s);
		return -1;
	}
	out->count = n;
	out->interval = n == 0 ? 0 : iv;
	return 0;
}

void
mk_rate_format(const struct mk_rate *r, char *out, size_t outsz)
{
	if (r->count == 0)
		snprintf(out, outsz, "unlimited");
	else
		snprintf(out, outsz, "%lu/%ld", r->count, r->interval);
}

struct mk_ratelimit *
mk_ratelimit_new(size_t max_keys)
{
	struct mk_ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return NULL;
	rl->max = max_keys;
	for (rl->nbucket = 64; rl->nbucket < max_keys / 2 && rl->nbucket < (1u << 20);)
		rl->nbucket *= 2;
	if ((rl->bucket = calloc(rl->nbucket, sizeof(*rl->bucket))) == NULL) {
		free(rl);
		return NULL;
	}
	return rl;
}

struct mk_ratelimit *
mk_ratelimit_free(struct mk_ratelimit *rl)
{
	if (rl != NULL) {
		mk_ratelimit_expire(rl, 0, true, NULL, NULL);
		free(rl->bucket);
		free(rl);
	}
	return NULL;
}

size_t
mk_ratelimit_size(const struct mk_ratelimit *rl)
{
	return rl->size;
}

static size_t
rl_hash(const struct mk_ratelimit *rl, const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h & (rl->nbucket - 1);
}

static struct rl_entry *
rl_find(const struct mk_ratelimit *rl, const char *key)
{
	struct rl_entry *e;

	for (e = rl->bucket[rl_hash(rl, key)]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static bool
rl_ended(const struct rl_entry *e, time_t now)
{
	return now < e->start || now - e->start >= e->rate.interval;	/* or the clock went back */
}

static int
rl_insert(struct mk_ratelimit *rl, const char *key, const struct mk_rate *rate, time_t now)
{
	size_t len = strlen(key), h;
	struct rl_entry *e;

	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return -1;
	memcpy(e->key, key, len + 1);
	e->start = now;
	e->rate = *rate;
	e->count = 1;
	h = rl_hash(rl, key);
	e->next = rl->bucket[h];
	rl->bucket[h] = e;
	rl->size++;
	return 0;
}

int
mk_ratelimit_take(struct mk_ratelimit *rl, const char *const *keys,
    const struct mk_rate *rates, size_t n, time_t now, struct mk_ratelimit_verdict *v)
{
	struct rl_entry *e;
	size_t i, missing = 0;

	memset(v, 0, sizeof(*v));
	v->key = -1;
	for (i = 0; i < n; i++) {
		if (rates[i].count == 0)
			continue;
		if (strlen(keys[i]) > MK_RATELIMIT_KEY_MAX)
			return -1;
		if ((e = rl_find(rl, keys[i])) == NULL) {
			missing++;
			continue;
		}
		if (rl_ended(e, now)) {
			e->start = now;
			e->rate = rates[i];
			e->count = e->dropped = 0;
		}
		if (e->count >= rates[i].count) {
			v->key = (int)i;
			v->first_drop = ++e->dropped == 1;
			v->count = e->count;
			return -1;
		}
	}
	if (rl->size + missing > rl->max)
		return -1;
	for (i = 0; i < n; i++) {
		if (rates[i].count == 0)
			continue;
		if ((e = rl_find(rl, keys[i])) != NULL)
			e->count++;
		else if (rl_insert(rl, keys[i], &rates[i], now) == -1)
			return -1;	/* out of memory: dropped (earlier keys counted) */
	}
	return 0;
}

size_t
mk_ratelimit_expire(struct mk_ratelimit *rl, time_t now, bool all,
    void (*cb)(const char *key, unsigned long dropped, const struct mk_rate *rate, void *arg),
    void *arg)
{
	struct rl_entry **pp, *e;
	size_t b, gone = 0;

	for (b = 0; b < rl->nbucket; b++) {
		for (pp = &rl->bucket[b]; (e = *pp) != NULL;) {
			if (!all && !rl_ended(e, now)) {
				pp = &e->next;
				continue;
			}
			if (cb != NULL && e->dropped > 0)
				cb(e->key, e->dropped, &e->rate, arg);
			*pp = e->next;
			free(e);
			rl->size--;
			gone++;
		}
	}
	return gone;
}
