/*
 * t/unit/test_dmarc_dnscache.c: the DNS answers mailaka-dmarc keeps
 * (milter-dmarc/dnscache.c): an answer comes back as an independent copy,
 * in any case of the name, only for its type; NODATA / NXDOMAIN are kept,
 * SERVFAIL / timeout and TTL 0 are not; an entry goes when its TTL ends;
 * clear forgets everything.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "milter-dmarc/dnscache.h"
#include "tap.h"

static struct mk_dns_answer *
answer(enum mk_dns_status st, uint32_t ttl, const char *txt)
{
	struct mk_dns_answer *a = calloc(1, sizeof(*a));

	a->status = st;
	a->ttl = ttl;
	if (txt != NULL) {
		a->count = 1;
		a->rr = calloc(1, sizeof(*a->rr));
		a->rr[0].text = strdup(txt);
		a->rr[0].len = strlen(txt);
	}
	return a;
}

int
main(void)
{
	struct mk_dns_answer *a, *g;

	a = answer(MK_DNS_OK, 300, "v=DMARC1; p=reject");
	dmarc_dnscache_put("_dmarc.bank.test", MK_DNS_TXT, a);
	a->rr[0].text[0] = 'X';		/* the cache holds its own copy */
	mk_dns_answer_free(a);
	g = dmarc_dnscache_get("_DMARC.Bank.Test", MK_DNS_TXT);
	ok(g != NULL && g->status == MK_DNS_OK && g->count == 1, "kept answer found, any case");
	is_str(g != NULL && g->count == 1 ? g->rr[0].text : NULL, "v=DMARC1; p=reject",
	    "its record, copied on the way in");
	if (g != NULL)
		g->rr[0].text[0] = 'Y';	/* and on the way out */
	mk_dns_answer_free(g);
	g = dmarc_dnscache_get("_dmarc.bank.test", MK_DNS_TXT);
	is_str(g != NULL && g->count == 1 ? g->rr[0].text : NULL, "v=DMARC1; p=reject",
	    "a caller changing its copy changes nothing kept");
	mk_dns_answer_free(g);
	ok(dmarc_dnscache_get("_dmarc.bank.test", MK_DNS_MX) == NULL, "another type: not found");
	ok(dmarc_dnscache_get("_dmarc.other.test", MK_DNS_TXT) == NULL, "another name: not found");

	a = answer(MK_DNS_NXDOMAIN, 60, NULL);
	dmarc_dnscache_put("_dmarc.none.test", MK_DNS_TXT, a);
	mk_dns_answer_free(a);
	g = dmarc_dnscache_get("_dmarc.none.test", MK_DNS_TXT);
	ok(g != NULL && g->status == MK_DNS_NXDOMAIN && g->count == 0, "NXDOMAIN kept");
	mk_dns_answer_free(g);

	a = answer(MK_DNS_SERVFAIL, 60, NULL);
	dmarc_dnscache_put("_dmarc.broken.test", MK_DNS_TXT, a);
	mk_dns_answer_free(a);
	ok(dmarc_dnscache_get("_dmarc.broken.test", MK_DNS_TXT) == NULL, "SERVFAIL not kept");
	a = answer(MK_DNS_TIMEOUT, 60, NULL);
	dmarc_dnscache_put("_dmarc.slow.test", MK_DNS_TXT, a);
	mk_dns_answer_free(a);
	ok(dmarc_dnscache_get("_dmarc.slow.test", MK_DNS_TXT) == NULL, "timeout not kept");
	a = answer(MK_DNS_OK, 0, "v=DMARC1; p=none");
	dmarc_dnscache_put("_dmarc.zero.test", MK_DNS_TXT, a);
	mk_dns_answer_free(a);
	ok(dmarc_dnscache_get("_dmarc.zero.test", MK_DNS_TXT) == NULL, "TTL 0 not kept");

	a = answer(MK_DNS_OK, 1, "v=DMARC1; p=quarantine");
	dmarc_dnscache_put("_dmarc.short.test", MK_DNS_TXT, a);
	mk_dns_answer_free(a);
	g = dmarc_dnscache_get("_dmarc.short.test", MK_DNS_TXT);
	ok(g != NULL, "a 1 s answer is there at once");
	mk_dns_answer_free(g);
	usleep(1100 * 1000);
	ok(dmarc_dnscache_get("_dmarc.short.test", MK_DNS_TXT) == NULL, "and gone after its TTL");

	dmarc_dnscache_clear();
	ok(dmarc_dnscache_get("_dmarc.bank.test", MK_DNS_TXT) == NULL, "clear forgets them all");
	return done_testing();
}
