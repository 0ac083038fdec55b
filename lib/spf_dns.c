/*
 * lib/spf_dns.c: asynchronous SPF checks over lib/dns with a bounded,
 * TTL-respecting, LRU answer cache.
 *
 * Cache entries are reference counted: the table holds one reference and
 * every check that used an answer holds one, so an entry evicted or expired
 * while a check still evaluates stays valid until that check ends.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf_dns.h"

#define SPF_DNS_BUCKETS_MIN 1024
#define SPF_CHECK_TIME_MAX 20	/* seconds for a whole check (policyd-spf Lookup_Time) */

struct cent {
	struct cent *hnext;		/* hash chain */
	struct cent *prev, *next;	/* LRU list, most recent first */
	unsigned refs;
	bool in_table;
	time_t expire;
	uint32_t hash;
	enum mk_dns_type type;
	struct mk_dns_answer *ans;
	char name[];
};

struct mk_spf_dns {
	struct mk_dns *dns;
	struct event_base *base;
	size_t max, count, nbuckets;
	struct cent **buckets;
	struct cent *head, *tail;
	struct mk_spf_dns_stats st;
};

struct mk_spf_check {
	struct mk_spf_dns *sd;
	struct mk_spf_query q;
	char *strs;			/* copies of the query's strings */
	mk_spf_check_cb cb;
	void *arg;
	mk_spf_eval_fn fn;		/* NULL: mk_spf_eval */
	void *fnarg;
	struct mk_spf_outcome out;
	struct cent *held[MK_SPF_CHECK_LOOKUPS_MAX];
	size_t nheld;
	bool overflow;
	uint64_t dnsid;
	bool in_step, got_sync;
	time_t started;
	char qname[MK_DNS_NAME_MAX + 2];
	enum mk_dns_type qtype;
};

static uint32_t
cent_hash(const char *name, enum mk_dns_type type)
{
	uint32_t h = 2166136261u ^ (uint32_t)type;

	for (; *name != '\0'; name++) {
		h ^= (uint8_t)tolower((unsigned char)*name);
		h *= 16777619u;
	}
	return h;
}

static void
cent_unref(struct cent *e)
{
	if (e != NULL && --e->refs == 0) {
		mk_dns_answer_free(e->ans);
		free(e);
	}
}

static void
cache_unlink(struct mk_spf_dns *sd, struct cent *e)
{
	struct cent **pp = &sd->buckets[e->hash & (sd->nbuckets - 1)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		sd->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		sd->tail = e->prev;
	e->in_table = false;
	sd->count--;
	cent_unref(e);
}

static void
lru_front(struct mk_spf_dns *sd, struct cent *e)
{
	if (sd->head == e)
		return;
	e->prev->next = e->next;	/* e is not head, so prev is set */
	if (e->next)
		e->next->prev = e->prev;
	else
		sd->tail = e->prev;
	e->prev = NULL;
	e->next = sd->head;
	sd->head->prev = e;
	sd->head = e;
}

static struct cent *
cache_find(struct mk_spf_dns *sd, const char *name, enum mk_dns_type type, time_t now)
{
	uint32_t h;
	struct cent *e;

	if (sd->nbuckets == 0)
		return NULL;
	h = cent_hash(name, type);
	for (e = sd->buckets[h & (sd->nbuckets - 1)]; e != NULL; e = e->hnext) {
		if (e->hash == h && e->type == type && strcasecmp(e->name, name) == 0)
			break;
	}
	if (e == NULL)
		return NULL;
	if (e->expire <= now) {
		cache_unlink(sd, e);
		return NULL;
	}
	lru_front(sd, e);
	return e;
}

static void
cache_insert(struct mk_spf_dns *sd, struct cent *e)
{
	size_t b = e->hash & (sd->nbuckets - 1);

	while (sd->count >= sd->max && sd->tail != NULL) {
		cache_unlink(sd, sd->tail);
		sd->st.evictions++;
	}
	e->hnext = sd->buckets[b];
	sd->buckets[b] = e;
	e->prev = NULL;
	e->next = sd->head;
	if (sd->head)
		sd->head->prev = e;
	sd->head = e;
	if (sd->tail == NULL)
		sd->tail = e;
	e->in_table = true;
	e->refs++;
	sd->count++;
}

struct mk_spf_dns *
mk_spf_dns_new(struct mk_dns *dns, struct event_base *base, size_t cache_max)
{
	struct mk_spf_dns *sd = calloc(1, sizeof(*sd));

	if (sd == NULL)
		return NULL;
	sd->dns = dns;
	sd->base = base;
	sd->max = cache_max;
	if (cache_max > 0) {
		sd->nbuckets = SPF_DNS_BUCKETS_MIN;
		while (sd->nbuckets < cache_max && sd->nbuckets < (1u << 24))
			sd->nbuckets <<= 1;
		sd->buckets = calloc(sd->nbuckets, sizeof(*sd->buckets));
		if (sd->buckets == NULL) {
			free(sd);
			return NULL;
		}
	}
	return sd;
}

void
mk_spf_dns_flush(struct mk_spf_dns *sd)
{
	while (sd->head != NULL)
		cache_unlink(sd, sd->head);
}

struct mk_spf_dns *
mk_spf_dns_free(struct mk_spf_dns *sd)
{
	if (sd == NULL)
		return NULL;
	mk_spf_dns_flush(sd);
	free(sd->buckets);
	free(sd);
	return NULL;
}

void
mk_spf_dns_stats(const struct mk_spf_dns *sd, struct mk_spf_dns_stats *st)
{
	*st = sd->st;
	st->entries = sd->count;
}

/* The evaluator's lookup function: the check's own answers, then the cache. */
static const struct mk_dns_answer *
check_lookup(void *arg, const char *name, enum mk_dns_type type)
{
	struct mk_spf_check *c = arg;
	struct cent *e;
	size_t i;

	for (i = 0; i < c->nheld; i++) {
		e = c->held[i];
		if (e->type == type && strcasecmp(e->name, name) == 0)
			return e->ans;
	}
	if (c->nheld >= MK_SPF_CHECK_LOOKUPS_MAX) {
		c->overflow = true;
		return NULL;
	}
	e = cache_find(c->sd, name, type, time(NULL));
	if (e == NULL) {
		c->sd->st.misses++;
		return NULL;
	}
	c->sd->st.hits++;
	e->refs++;
	c->held[c->nheld++] = e;
	return e->ans;
}

static struct mk_spf_check *
check_free(struct mk_spf_check *c)
{
	size_t i;

	if (c == NULL)
		return NULL;
	if (c->dnsid != 0)
		mk_dns_cancel(c->sd->dns, c->dnsid);
	for (i = 0; i < c->nheld; i++)
		cent_unref(c->held[i]);
	free(c->strs);
	free(c);
	return NULL;
}

static void check_dns_cb(struct mk_dns_answer *ans, void *arg);

static void
check_fail(struct mk_spf_check *c, const char *why)
{
	c->out.pending = false;
	c->out.result = MK_SPF_TEMPERROR;
	snprintf(c->out.reason, sizeof(c->out.reason), "%s", why);
}

/* Evaluate; while answers are missing, ask for them.  Returns 0 when the
 * outcome is final, 1 when waiting for DNS. */
static int
check_step(struct mk_spf_check *c)
{
	for (;;) {
		if ((c->fn != NULL ? c->fn(&c->q, check_lookup, c, &c->out, c->fnarg) :
		    mk_spf_eval(&c->q, check_lookup, c, &c->out)) == 0)
			return 0;
		if (c->overflow) {
			c->out.result = MK_SPF_PERMERROR;
			snprintf(c->out.reason, sizeof(c->out.reason),
			    "more than %d DNS answers needed", MK_SPF_CHECK_LOOKUPS_MAX);
			c->out.pending = false;
			return 0;
		}
		if (time(NULL) - c->started > SPF_CHECK_TIME_MAX) {
			check_fail(c, "SPF lookup time exceeded");
			return 0;
		}
		snprintf(c->qname, sizeof(c->qname), "%s", c->out.need_name);
		c->qtype = c->out.need_type;
		c->in_step = true;
		c->got_sync = false;
		c->sd->st.queries++;
		c->dnsid = mk_dns_query_async(c->sd->dns, c->sd->base, c->qname, c->qtype,
		    check_dns_cb, c);
		c->in_step = false;
		if (c->got_sync) {
			c->dnsid = 0;
			continue;
		}
		if (c->dnsid == 0) {
			check_fail(c, "DNS query could not be started");
			return 0;
		}
		return 1;
	}
}

static void
check_dns_cb(struct mk_dns_answer *ans, void *arg)
{
	struct mk_spf_check *c = arg;
	size_t len = strlen(c->qname);
	struct cent *e = calloc(1, sizeof(*e) + len + 1);

	c->dnsid = 0;
	if (e == NULL) {
		mk_dns_answer_free(ans);
		check_fail(c, "out of memory");
		goto done;
	}
	memcpy(e->name, c->qname, len + 1);
	e->type = c->qtype;
	e->hash = cent_hash(e->name, e->type);
	e->ans = ans;
	e->refs = 1;
	c->held[c->nheld++] = e;	/* room: check_lookup refused at the limit */
	if (c->sd->max > 0 && ans->ttl > 0 && (ans->status == MK_DNS_OK ||
	    ans->status == MK_DNS_NODATA || ans->status == MK_DNS_NXDOMAIN)) {
		e->expire = time(NULL) + (ans->ttl > MK_SPF_CACHE_TTL_MAX ? MK_SPF_CACHE_TTL_MAX : ans->ttl);
		if (cache_find(c->sd, e->name, e->type, time(NULL)) == NULL)
			cache_insert(c->sd, e);
	}
	if (c->in_step) {
		c->got_sync = true;
		return;
	}
	if (check_step(c) == 1)
		return;
done:
	c->cb(&c->out, c->arg);
	check_free(c);
}

static char *
copy_str(char **p, const char *s)
{
	char *r = *p;
	size_t n = strlen(s) + 1;

	memcpy(r, s, n);
	*p += n;
	return r;
}

int
mk_spf_check_start(struct mk_spf_dns *sd, const struct mk_spf_query *q,
    mk_spf_check_cb cb, void *arg, struct mk_spf_outcome *out, struct mk_spf_check **chk)
{
	return mk_spf_check_start_fn(sd, q, NULL, NULL, cb, arg, out, chk);
}

int
mk_spf_check_start_fn(struct mk_spf_dns *sd, const struct mk_spf_query *q,
    mk_spf_eval_fn fn, void *fnarg, mk_spf_check_cb cb, void *arg,
    struct mk_spf_outcome *out, struct mk_spf_check **chk)
{
	struct mk_spf_check *c = calloc(1, sizeof(*c));
	const char *ip = q->ip ? q->ip : "", *s = q->sender ? q->sender : "",
	    *h = q->helo ? q->helo : "", *r = q->receiver ? q->receiver : "unknown";
	char *p;

	*chk = NULL;
	if (c == NULL || (c->strs = malloc(strlen(ip) + strlen(s) + strlen(h) + strlen(r) + 4)) == NULL) {
		free(c);
		memset(out, 0, sizeof(*out));
		out->result = MK_SPF_TEMPERROR;
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		return -1;
	}
	c->sd = sd;
	c->cb = cb;
	c->arg = arg;
	c->fn = fn;
	c->fnarg = fnarg;
	c->started = time(NULL);
	c->q = *q;
	p = c->strs;
	c->q.ip = copy_str(&p, ip);
	c->q.sender = copy_str(&p, s);
	c->q.helo = copy_str(&p, h);
	c->q.receiver = copy_str(&p, r);
	if (check_step(c) == 1) {
		*chk = c;
		return 1;
	}
	*out = c->out;
	check_free(c);
	return 0;
}

void
mk_spf_check_cancel(struct mk_spf_check *chk)
{
	check_free(chk);
}
