/*
 * lib/spf_dns.h: asynchronous SPF checks on a libevent loop: the lib/spf
 * evaluator driven by lib/dns's async API through a bounded,
 * TTL-respecting answer cache shared by every check of the loop.
 *
 * Single-threaded: one struct mk_spf_dns per event loop; everything runs
 * in the loop thread.  A check whose answers are all cached completes
 * inside mk_spf_check_start() (no callback); otherwise the missing answers
 * are fetched one after the other and the callback runs once, later.
 */
#ifndef MK_SPF_DNS_H
#define MK_SPF_DNS_H

#include <stdint.h>
#include <time.h>

#include "dns.h"
#include "spf.h"

#define MK_SPF_CACHE_DEFAULT 20000	/* answers kept */
#define MK_SPF_CACHE_TTL_MAX 86400	/* seconds an answer is kept at most */
#define MK_SPF_CHECK_LOOKUPS_MAX 256	/* distinct answers one check may use */

struct mk_spf_dns;
struct mk_spf_check;
struct event_base;

/* dns is borrowed (must outlive the object); cache_max answers (0: no
 * cache, answers are only shared within one check). */
struct mk_spf_dns *mk_spf_dns_new(struct mk_dns *dns, struct event_base *base, size_t cache_max);
/* All checks must be finished or cancelled first. Returns NULL. */
struct mk_spf_dns *mk_spf_dns_free(struct mk_spf_dns *sd);
/* Drop every cached answer (SIGHUP, tests). */
void mk_spf_dns_flush(struct mk_spf_dns *sd);

struct mk_spf_dns_stats {
	uint64_t hits, misses, queries, evictions;
	size_t entries;
};
void mk_spf_dns_stats(const struct mk_spf_dns *sd, struct mk_spf_dns_stats *st);

/* Called once with the final outcome (owned by the check; valid during the
 * call). The check is freed after the callback returns. */
typedef void (*mk_spf_check_cb)(const struct mk_spf_outcome *out, void *arg);

/*
 * Start a check.  The query's strings are copied.  Returns:
 *   0  done now: *out filled, cb will not be called, *chk set to NULL;
 *   1  pending: cb will be called later; *chk is the handle for cancel;
 *  -1  out of memory (*out says temperror).
 */
int mk_spf_check_start(struct mk_spf_dns *sd, const struct mk_spf_query *q,
    mk_spf_check_cb cb, void *arg, struct mk_spf_outcome *out, struct mk_spf_check **chk);
/* The same with another restartable evaluation than mk_spf_eval (same
 * contract: 0 final, 1 pending with out->need_name/need_type set); fnarg
 * must stay valid until the check ends. */
typedef int (*mk_spf_eval_fn)(const struct mk_spf_query *q, mk_spf_lookup_fn lookup,
    void *larg, struct mk_spf_outcome *out, void *fnarg);
int mk_spf_check_start_fn(struct mk_spf_dns *sd, const struct mk_spf_query *q,
    mk_spf_eval_fn fn, void *fnarg, mk_spf_check_cb cb, void *arg,
    struct mk_spf_outcome *out, struct mk_spf_check **chk);
/* Cancel a pending check: cb is not called. */
void mk_spf_check_cancel(struct mk_spf_check *chk);

#endif
