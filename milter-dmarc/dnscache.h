/*
 * milter-dmarc/dnscache.h: DNS answers the DMARC evaluation asked for
 * lately, kept for their TTL (see dnscache.c).  Thread-safe.
 */
#ifndef DMARC_DNSCACHE_H
#define DMARC_DNSCACHE_H

#include "lib/dns.h"

/* A copy of the fresh answer for name/type (free with mk_dns_answer_free),
 * or NULL. */
struct mk_dns_answer *dmarc_dnscache_get(const char *name, enum mk_dns_type type);
/* Keep a copy of ans when it is an answer (OK, NODATA, NXDOMAIN) with a
 * TTL; failures are never kept. */
void dmarc_dnscache_put(const char *name, enum mk_dns_type type, const struct mk_dns_answer *ans);
/* Forget them all (reload, exit). */
void dmarc_dnscache_clear(void);

#endif
