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
};

const char *spf_verdict_name(enum spf_verdict v);	/* "reject", "defer", ... */

/* Why the request is not checked at all (authenticated, skip_addresses,
 * Whitelist, Domain_Whitelist), or NULL. */
const char *spf_decide_skip(const struct spf_conf *c, const struct mk_policy_req *r);

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
