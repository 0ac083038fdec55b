/*
 * lib/spf_libspf2.h: libspf2 as an alternative SPF engine (Engine =
 * libspf2 in mailaka-spf), with its DNS layer replaced by lib/dns (sync
 * API), so it resolves through the same Resolver.  libspf2 departs from
 * RFC 7208 in ~70 of the openspf suite's 203 tests (see
 * t/integration/spf-libspf2-diff); it is kept for comparison and as a
 * differential oracle.  Blocking: call from worker threads.
 */
#ifndef MK_SPF_LIBSPF2_H
#define MK_SPF_LIBSPF2_H

#include "dns.h"
#include "spf.h"

struct mk_spf2;

/* One per thread; dns is borrowed (thread-safe sync queries). */
struct mk_spf2 *mk_spf2_new(struct mk_dns *dns);
struct mk_spf2 *mk_spf2_free(struct mk_spf2 *s);
/* Evaluate q; always fills out (libspf2's "(invalid)" -> permerror). */
void mk_spf2_eval(struct mk_spf2 *s, const struct mk_spf_query *q, struct mk_spf_outcome *out);

#endif
