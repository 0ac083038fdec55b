/*
 * lib/spf.h: an RFC 7208 SPF evaluator (check_host()).
 *
 * The evaluator is a pure function of the query and of a DNS lookup
 * function: mk_spf_eval() runs check_host() against the answers that
 * lookup() already has.  When lookup() returns NULL (answer not known yet),
 * evaluation stops with out->pending set and out->need_name/need_type
 * naming the query to make; the caller fetches it (asynchronously, through
 * lib/dns and a cache: see lib/spf_dns.h) and calls mk_spf_eval() again
 * from the start.  Answers must stay valid until the evaluation is
 * finished.  With a warm cache one call does the whole evaluation, without
 * threads and without blocking the event loop.
 *
 * Implemented as RFC 7208 says, including: the 10-lookup limit (4.6.4:
 * include, a, mx, ptr, exists, redirect), the 2-void-lookup limit, at most
 * 10 MX and 10 PTR names per mechanism, strict record syntax (a syntax
 * error anywhere is a permerror before anything is evaluated: bad
 * domain-spec ends, bad macros, bad CIDR lengths, repeated redirect/exp,
 * qualifiers on modifiers, non-ASCII), macros (7.x, with %{p} validation
 * and the 253-octet left truncation), exp= explanations (6.2, expanded,
 * from the record that produced the fail, never from an include),
 * IPv4-mapped IPv6 clients evaluated as IPv4, and the initial-processing
 * "none" for domains that are not FQDNs.
 */
#ifndef MK_SPF_H
#define MK_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dns.h"

#define MK_SPF_LOOKUP_MAX 10	/* RFC 7208 4.6.4: DNS-querying terms */
#define MK_SPF_VOID_MAX 2	/* RFC 7208 4.6.4: void lookups */
#define MK_SPF_MX_MAX 10	/* RFC 7208 4.6.4: MX names per "mx" */
#define MK_SPF_PTR_MAX 10	/* RFC 7208 4.6.4: PTR names per "ptr"/%{p} */
#define MK_SPF_EXP_MAX 512	/* bytes of explanation kept */
#define MK_SPF_REASON_MAX 256	/* bytes of the human-readable reason */
#define MK_SPF_DEPTH_MAX 12	/* include/redirect nesting (the lookup limit stops it first) */

enum mk_spf_result {
	MK_SPF_NONE = 0,
	MK_SPF_NEUTRAL,
	MK_SPF_PASS,
	MK_SPF_FAIL,
	MK_SPF_SOFTFAIL,
	MK_SPF_TEMPERROR,
	MK_SPF_PERMERROR,
};

enum mk_spf_identity {
	MK_SPF_ID_MAILFROM = 0,
	MK_SPF_ID_HELO,
};

struct mk_spf_query {
	const char *ip;		/* client address, presentation form (v4, v6, v4-mapped v6) */
	const char *sender;	/* MAIL FROM address without <>, "" for the null sender */
	const char *helo;	/* HELO/EHLO argument ("" if none) */
	const char *receiver;	/* %{r}; NULL -> "unknown" */
	enum mk_spf_identity identity;	/* which identity to check */
	time_t now;		/* %{t} */
	bool void_max_set;	/* void_max instead of MK_SPF_VOID_MAX (policyd-spf Void_Limit) */
	unsigned void_max;
};

/* Answers the evaluator needs: NULL when not known yet. */
typedef const struct mk_dns_answer *(*mk_spf_lookup_fn)(void *arg, const char *name,
    enum mk_dns_type type);

struct mk_spf_outcome {
	enum mk_spf_result result;
	bool pending;			/* stopped: need_name/need_type is missing */
	char need_name[MK_DNS_NAME_MAX + 2];
	enum mk_dns_type need_type;
	bool has_exp;			/* explanation came from exp= */
	char explanation[MK_SPF_EXP_MAX];	/* fail only */
	char reason[MK_SPF_REASON_MAX];	/* what decided the result, for logs/headers */
	char domain[MK_DNS_NAME_MAX + 2];	/* the identity's domain */
	char sender[MK_DNS_NAME_MAX + 260];	/* the identity as checked (local@domain) */
	unsigned lookups;		/* DNS-querying terms evaluated */
	unsigned voids;			/* void lookups */
};

/* Evaluate (see above). Always fills out; returns 0 when a result is
 * final, 1 when out->pending (call again once need_name is known). */
int mk_spf_eval(const struct mk_spf_query *q, mk_spf_lookup_fn lookup, void *arg,
    struct mk_spf_outcome *out);

const char *mk_spf_result_name(enum mk_spf_result r);	/* "pass", "fail", ... */
int mk_spf_result_parse(const char *name);		/* -1 if unknown */

/* Whitelist helpers (policy servers), restartable like mk_spf_eval (0
 * final, 1 pending), the client address taken from q->ip:
 * mk_spf_eval_ptr_in: is one of the client's validated PTR names (RFC 7208
 *   5.5: at most 10, each resolving back to the client) equal to or under
 *   one of domains[0..n)?  PASS with out->domain = that name, else NONE
 *   (TEMPERROR on a DNS failure).
 * mk_spf_eval_addr_of: is the client among name's A (AAAA for IPv6)
 *   addresses?  PASS, NONE or TEMPERROR. */
int mk_spf_eval_ptr_in(const struct mk_spf_query *q, const char *const *domains, size_t n,
    mk_spf_lookup_fn lookup, void *arg, struct mk_spf_outcome *out);
int mk_spf_eval_addr_of(const struct mk_spf_query *q, const char *name,
    mk_spf_lookup_fn lookup, void *arg, struct mk_spf_outcome *out);

/* Syntax check of one record ("v=spf1 ..."): 0, or -1 with why filled. */
int mk_spf_record_check(const char *rec, size_t len, char *why, size_t whylen);

#endif
