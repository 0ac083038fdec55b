/*
 * policy-spf/whitelist.h: policyd-spf's whitelists that need DNS, as one
 * restartable evaluation (an mk_spf_eval_fn for mk_spf_check_start_fn(),
 * fnarg the struct spf_conf), in policyd-spf's order:
 *   Domain_Whitelist      the client passes SPF for a listed domain
 *                         (evaluated as MAIL FROM postmaster@domain,
 *                         HELO domain);
 *   HELO_Whitelist        the HELO name is listed and one of its A (AAAA)
 *                         records is the client;
 *   Domain_Whitelist_PTR  a validated PTR name of the client (RFC 7208
 *                         5.5) is equal to or under a listed domain.
 * Outcome: PASS when whitelisted, with out->reason the key name and
 * out->domain the listed domain (or the PTR name); NONE otherwise.  DNS
 * errors never whitelist.
 */
#ifndef SPF_WHITELIST_H
#define SPF_WHITELIST_H

#include "spf.h"

int spf_wl_eval(const struct mk_spf_query *q, mk_spf_lookup_fn lookup, void *larg,
    struct mk_spf_outcome *out, void *conf);

#endif
