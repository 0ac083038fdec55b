/*
 * policy-spf/whitelist.c: Domain_Whitelist, HELO_Whitelist and
 * Domain_Whitelist_PTR (see whitelist.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spf_conf.h"
#include "whitelist.h"

/* Copy a pending inner evaluation's missing answer to the outer outcome. */
static int
wl_pending(struct mk_spf_outcome *out, const struct mk_spf_outcome *in)
{
	out->pending = true;
	out->result = MK_SPF_TEMPERROR;
	snprintf(out->need_name, sizeof(out->need_name), "%s", in->need_name);
	out->need_type = in->need_type;
	return 1;
}

static int
wl_pass(struct mk_spf_outcome *out, const char *key, const char *domain)
{
	memset(out, 0, sizeof(*out));
	out->result = MK_SPF_PASS;
	snprintf(out->reason, sizeof(out->reason), "%s", key);
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	return 0;
}

/* 1 pending, 0 whitelisted (out filled), -1 not whitelisted. */
static int
wl_domains(const struct mk_spf_query *q, const struct spf_conf *c, mk_spf_lookup_fn lookup,
    void *larg, struct mk_spf_outcome *out, struct mk_spf_outcome *in)
{
	struct mk_spf_query dq;
	size_t i;

	for (i = 0; i < c->n_domain_whitelist; i++) {
		dq = *q;
		dq.sender = c->domain_whitelist[i];	/* no '@': postmaster@domain */
		dq.helo = c->domain_whitelist[i];
		dq.identity = MK_SPF_ID_MAILFROM;
		if (mk_spf_eval(&dq, lookup, larg, in) == 1)
			return wl_pending(out, in);
		if (in->result == MK_SPF_PASS)
			return wl_pass(out, "Domain_Whitelist", c->domain_whitelist[i]);
	}
	return -1;
}

static int
wl_helo(const struct mk_spf_query *q, const struct spf_conf *c, mk_spf_lookup_fn lookup,
    void *larg, struct mk_spf_outcome *out, struct mk_spf_outcome *in)
{
	size_t i;

	if (q->helo == NULL || q->helo[0] == '\0')
		return -1;
	for (i = 0; i < c->n_helo_whitelist; i++) {
		if (strcasecmp(q->helo, c->helo_whitelist[i]) != 0)
			continue;
		if (mk_spf_eval_addr_of(q, c->helo_whitelist[i], lookup, larg, in) == 1)
			return wl_pending(out, in);
		if (in->result == MK_SPF_PASS)
			return wl_pass(out, "HELO_Whitelist", c->helo_whitelist[i]);
	}
	return -1;
}

int
spf_wl_eval(const struct mk_spf_query *q, mk_spf_lookup_fn lookup, void *larg,
    struct mk_spf_outcome *out, void *conf)
{
	const struct spf_conf *c = conf;
	struct mk_spf_outcome in;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = wl_domains(q, c, lookup, larg, out, &in)) >= 0)
		return r;
	if ((r = wl_helo(q, c, lookup, larg, out, &in)) >= 0)
		return r;
	if (c->n_domain_whitelist_ptr > 0) {
		if (mk_spf_eval_ptr_in(q, c->domain_whitelist_ptr, c->n_domain_whitelist_ptr,
		    lookup, larg, &in) == 1)
			return wl_pending(out, &in);
		if (in.result == MK_SPF_PASS)
			return wl_pass(out, "Domain_Whitelist_PTR", in.domain);
	}
	memset(out, 0, sizeof(*out));
	out->result = MK_SPF_NONE;
	snprintf(out->reason, sizeof(out->reason), "not whitelisted");
	return 0;
}
