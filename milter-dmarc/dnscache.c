/*
 * milter-dmarc/dnscache.c: DNS answers the DMARC evaluation asked for
 * lately (_dmarc records of the tree walk), kept for their TTL, at most
 * DNSCACHE_TTL_MAX.  With them, end of header can tell that the end of
 * message needs no DNS (verdict.c: dmarc_probe), and the message is then
 * evaluated on the session's event loop instead of being handed to a worker
 * thread and back -- on a busy MX, where the same few domains send most
 * mail, that hand-off costs more than the evaluation.  A lib/ttlcache;
 * temporary failures are never kept.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/ttlcache.h"
#include "milter-dmarc/dnscache.h"

#define DNSCACHE_TTL_MAX 600

static void *
answer_dup(const void *p)
{
	const struct mk_dns_answer *a = p;
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

static void
answer_drop(void *a)
{
	mk_dns_answer_free(a);
}

static struct mk_ttlcache_slot slots[512];
static struct mk_ttlcache cache = MK_TTLCACHE_INIT(slots, answer_dup, answer_drop);

struct mk_dns_answer *
dmarc_dnscache_get(const char *name, enum mk_dns_type type)
{
	return mk_ttlcache_get(&cache, name, (int)type);
}

void
dmarc_dnscache_put(const char *name, enum mk_dns_type type, const struct mk_dns_answer *ans)
{
	if (ans->status != MK_DNS_OK && ans->status != MK_DNS_NODATA &&
	    ans->status != MK_DNS_NXDOMAIN)
		return;
	mk_ttlcache_put(&cache, name, (int)type, ans,
	    ans->ttl > DNSCACHE_TTL_MAX ? DNSCACHE_TTL_MAX : ans->ttl);
}

void
dmarc_dnscache_clear(void)
{
	mk_ttlcache_clear(&cache);
}
