/*
 * policy-spf/decide.h: what mailaka-spf answers, as pure functions of the
 * configuration, the request and the SPF outcomes (no I/O): skip checks,
 * reject/defer decisions with policyd-spf.conf semantics, and the
 * Received-SPF / Authentication-Results header.
 */
#ifndef SPF_DECIDE_H
#define SPF_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "spf.h"
#include "spf_conf.h"

enum spf_verdict {
	SPF_V_NONE = 0,		/* nothing decided yet: go on */
	SPF_V_REJECT,
	SPF_V_DEFER,
	SPF_V_PREPEND,
	SPF_V_DUNNO,
	SPF_V_RESTRICT,		/* HELO/Mail_From_pass_restriction: a restriction class name */
};

const char *spf_verdict_name(enum spf_verdict v);	/* "reject", "defer", ... */

/* Why the request is not checked at all, decided without DNS:
 * "authenticated client" (answer DUNNO), "skip_addresses" or "Whitelist"
 * (answer spf_decide_trace()), or NULL. */
const char *spf_decide_skip(const struct spf_conf *c, const struct mk_policy_req *r);

/* Are whitelists that need DNS configured (Domain_Whitelist,
 * HELO_Whitelist, Domain_Whitelist_PTR)?  See whitelist.h. */
bool spf_decide_has_dns_whitelist(const struct spf_conf *c);

/* The trace header policyd-spf prepends when it skips the checks for why
 * ("skip_addresses", "Whitelist", "Domain_Whitelist", "HELO_Whitelist",
 * "Domain_Whitelist_PTR"): "PREPEND X-Comment: ..." (or an
 * Authentication-Results "none" with Header_Type = AR; "DUNNO" with None). */
void spf_decide_trace(const struct spf_conf *c, const struct mk_policy_req *r, const char *why,
    char *action, size_t actsz);

/* HELO_pass_restriction / Mail_From_pass_restriction (policyd-spf): the
 * restriction class to answer once the MAIL FROM outcome is known (mf NULL
 * when MAIL FROM is not checked), or NULL.  A Mail From pass with its
 * restriction wins, then a HELO pass with its own; it is answered even
 * when the MAIL FROM result would be rejected, never after a HELO reject. */
const char *spf_decide_restriction(const struct spf_conf *c, const struct mk_policy_req *r,
    const struct mk_spf_outcome *helo, const struct mk_spf_outcome *mf);

/* The final verdict under TestOnly = 0 (no reject/defer: DUNNO) and
 * Header_Type = None (no PREPEND: DUNNO); action rewritten then. */
enum spf_verdict spf_decide_mode(const struct spf_conf *c, enum spf_verdict v, char *action,
    size_t actsz);

/* The null sender's MAIL FROM identity is postmaster@HELO. */
bool spf_decide_null_sender(const struct mk_policy_req *r);

/* Reject or defer for one identity's outcome (action filled), or SPF_V_NONE. */
enum spf_verdict spf_decide_identity(const struct spf_conf *c, const struct mk_policy_req *r,
    enum mk_spf_identity id, const struct mk_spf_outcome *o, char *action, size_t actsz);

/* "PREPEND Received-SPF: ..." or "PREPEND Authentication-Results: ..." for
 * the outcome, labelled with its identity. */
void spf_decide_header(const struct spf_conf *c, const struct mk_policy_req *r,
    enum mk_spf_identity id, const struct mk_spf_outcome *o, char *action, size_t actsz);

#endif
