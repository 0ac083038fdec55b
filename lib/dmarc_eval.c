/*
 * lib/dmarc_eval.c: identifier alignment and the DMARC disposition.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/dmarc.h"

const char *
mk_dmarc_result_name(enum mk_dmarc_result r)
{
	switch (r) {
	case MK_DMARC_RES_PASS: return "pass";
	case MK_DMARC_RES_FAIL: return "fail";
	case MK_DMARC_RES_TEMPERROR: return "temperror";
	case MK_DMARC_RES_PERMERROR: return "permerror";
	case MK_DMARC_RES_NONE: break;
	}
	return "none";
}

bool
mk_dmarc_is_aligned(struct mk_dmarc_walk *w, const char *a, const char *b, bool strict,
    bool *tempfail)
{
	char oa[MK_DNS_NAME_MAX + 1], ob[MK_DNS_NAME_MAX + 1];

	if (*a == '\0' || *b == '\0')
		return false;
	if (strcasecmp(a, b) == 0)
		return true;
	if (strict)
		return false;	/* libopendmarc 1.4.2 does not enforce this */
	if (mk_dmarc_org_domain(w, a, oa, sizeof(oa)) == -1 ||
	    mk_dmarc_org_domain(w, b, ob, sizeof(ob)) == -1) {
		*tempfail = true;
		return false;
	}
	return strcasecmp(oa, ob) == 0;
}

static enum mk_dmarc_policy
less_strict(enum mk_dmarc_policy p)
{
	return p == MK_DMARC_P_REJECT ? MK_DMARC_P_QUARANTINE : MK_DMARC_P_NONE;
}

/* Whether the From domain does not exist (RFC 9091: NXDOMAIN). */
static bool
domain_nonexistent(struct mk_dmarc_walk *w, const char *domain)
{
	struct mk_dns_answer *ans;
	bool nx;

	w->nqueries++;
	if ((ans = w->env->query(w->env->query_arg, domain, MK_DNS_A)) == NULL)
		return false;
	nx = ans->status == MK_DNS_NXDOMAIN;
	mk_dns_answer_free(ans);
	return nx;
}

/* The requested policy: p at the author domain, else np for a
 * non-existent From domain, else sp, else p. */
static enum mk_dmarc_policy
select_policy(struct mk_dmarc_walk *w, const struct mk_dmarc_input *in,
    struct mk_dmarc_outcome *out)
{
	const struct mk_dmarc_record *r = &out->info.rec;
	enum mk_dmarc_policy p = r->p == MK_DMARC_P_UNSET ? MK_DMARC_P_NONE : r->p;

	if (out->info.at_author)
		return p;
	if (r->np != MK_DMARC_P_UNSET && domain_nonexistent(w, in->from_domain)) {
		out->nonexistent = true;
		return r->np;
	}
	if (r->sp != MK_DMARC_P_UNSET)
		return r->sp;
	return p;
}

/* RFC 7489 6.6.3: invalid p or sp -> p=none if a rua URI is valid, else
 * no policy.  RFC 9989: absent/invalid p is none. */
static bool
record_usable(const struct mk_dmarc_walk *w, struct mk_dmarc_record *r)
{
	if (w->env->spec == MK_DMARC_SPEC_9989) {
		if (r->p_state != MK_DMARC_PSTATE_VALID)
			r->p = MK_DMARC_P_NONE;
		return true;
	}
	if (r->p_state == MK_DMARC_PSTATE_VALID && !r->sp_invalid)
		return true;
	if (r->nrua == 0)
		return false;
	r->p = MK_DMARC_P_NONE;
	r->sp = MK_DMARC_P_UNSET;
	return true;
}

static void
align_inputs(struct mk_dmarc_walk *w, struct mk_dmarc_input *in,
    struct mk_dmarc_outcome *out, bool *tempfail)
{
	const struct mk_dmarc_record *r = &out->info.rec;
	size_t i;

	for (i = 0; i < in->ndkim && i < MK_DMARC_DKIM_MAX; i++) {
		in->dkim[i].aligned = mk_dmarc_is_aligned(w, in->dkim[i].domain,
		    in->from_domain, r->adkim_strict, tempfail);
		if (in->dkim[i].aligned && strcasecmp(in->dkim[i].result, "pass") == 0)
			out->dkim_aligned = true;
	}
	if (in->have_spf) {
		in->spf.aligned = mk_dmarc_is_aligned(w, in->spf.domain, in->from_domain,
		    r->aspf_strict, tempfail);
		if (in->spf.aligned && strcasecmp(in->spf.result, "pass") == 0)
			out->spf_aligned = true;
	}
}

/* pct (7489: sampled; 9989: only pct=0-like testing) and t=y. */
static bool
testing_applies(const struct mk_dmarc_walk *w, const struct mk_dmarc_input *in,
    const struct mk_dmarc_record *r)
{
	if (w->env->spec == MK_DMARC_SPEC_7489)
		return r->pct < 100 && in->sample % 100 >= (unsigned)r->pct;
	/* RFC 9989 drops pct for t; a legacy pct below 100 without t= is
	 * read as the test mode it was used for */
	return r->testing || (r->pct_set && r->pct < 100);
}

int
mk_dmarc_evaluate(struct mk_dmarc_walk *w, struct mk_dmarc_input *in,
    struct mk_dmarc_outcome *out)
{
	bool tempfail = false;

	memset(out, 0, sizeof(*out));
	out->policy = out->disposition = MK_DMARC_P_NONE;
	mk_dmarc_discover(w, in->from_domain, &out->info);
	switch (out->info.status) {
	case MK_DMARC_DISC_NONE: out->result = MK_DMARC_RES_NONE; return 0;
	case MK_DMARC_DISC_TEMPERROR: out->result = MK_DMARC_RES_TEMPERROR; return 0;
	case MK_DMARC_DISC_PERMERROR: out->result = MK_DMARC_RES_PERMERROR; return 0;
	case MK_DMARC_DISC_FOUND: break;
	}
	if (!record_usable(w, &out->info.rec)) {
		out->info.status = MK_DMARC_DISC_PERMERROR;
		out->info.why = "invalid p= and no valid rua=";
		out->result = MK_DMARC_RES_PERMERROR;
		return 0;
	}
	align_inputs(w, in, out, &tempfail);
	out->policy = select_policy(w, in, out);
	if (out->dkim_aligned || out->spf_aligned) {
		out->result = MK_DMARC_RES_PASS;
		return 0;
	}
	if (tempfail) {
		out->result = MK_DMARC_RES_TEMPERROR;
		out->info.why = "DNS failure during alignment";
		return 0;
	}
	out->result = MK_DMARC_RES_FAIL;
	out->disposition = out->policy;
	if (out->disposition != MK_DMARC_P_NONE && testing_applies(w, in, &out->info.rec)) {
		out->disposition = less_strict(out->disposition);
		out->downgraded = true;
	}
	return 0;
}
