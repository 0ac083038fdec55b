/*
 * lib/dmarc_discover.c: DMARC record lookup, the RFC 9989 DNS tree walk,
 * organizational domains (tree walk or PSL) and policy discovery.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/dmarc.h"
#include "lib/dmarc_psl.h"

void
mk_dmarc_walk_init(struct mk_dmarc_walk *w, const struct mk_dmarc_env *env)
{
	w->env = env;
	w->nqueries = 0;
	w->ncache = 0;
}

/* Select the DMARC record of a TXT RRset: non-DMARC TXTs are skipped (all
 * of them, not only the first as libopendmarc does); two or more DMARC
 * records are all discarded. */
static void
lookup_answer(struct mk_dmarc_lookup *lk, const struct mk_dns_answer *ans)
{
	enum mk_dmarc_rec_status st = MK_DMARC_REC_NOT_DMARC;
	size_t i, which = 0;

	switch (ans->status) {
	case MK_DNS_OK:
		break;
	case MK_DNS_NODATA:
	case MK_DNS_NXDOMAIN:
	case MK_DNS_ERROR:	/* a name DNS cannot hold has no record */
		lk->status = MK_DMARC_DISC_NONE;
		return;
	default:
		lk->status = MK_DMARC_DISC_TEMPERROR;
		return;
	}
	for (i = 0; i < ans->count; i++)
		if (mk_dmarc_record_is_dmarc(ans->rr[i].text, ans->rr[i].len)) {
			lk->ndmarc++;
			which = i;
		}
	if (lk->ndmarc != 1) {
		lk->status = MK_DMARC_DISC_NONE;
		return;
	}
	st = mk_dmarc_record_parse(ans->rr[which].text, ans->rr[which].len, &lk->rec);
	lk->status = st == MK_DMARC_REC_OK ? MK_DMARC_DISC_FOUND : MK_DMARC_DISC_PERMERROR;
}

const struct mk_dmarc_lookup *
mk_dmarc_lookup(struct mk_dmarc_walk *w, const char *domain)
{
	static const struct mk_dmarc_lookup tempfail = { .status = MK_DMARC_DISC_TEMPERROR };
	struct mk_dmarc_lookup *lk;
	struct mk_dns_answer *ans;
	char name[MK_DNS_NAME_MAX + 8];
	size_t i;

	for (i = 0; i < w->ncache; i++)
		if (strcmp(w->cache[i].name, domain) == 0)
			return &w->cache[i];
	if (strlen(domain) > MK_DNS_NAME_MAX || w->ncache == MK_DMARC_CACHE_MAX)
		return &tempfail;
	lk = &w->cache[w->ncache];
	memset(lk, 0, sizeof(*lk));
	strcpy(lk->name, domain);
	snprintf(name, sizeof(name), "_dmarc.%s", domain);
	w->nqueries++;
	if ((ans = w->env->query(w->env->query_arg, name, MK_DNS_TXT)) == NULL)
		return &tempfail;
	lookup_answer(lk, ans);
	mk_dns_answer_free(ans);
	w->ncache++;
	return lk;
}

/* Labels of a domain, left to right; returns their count (<= max). */
static size_t
split_labels(const char *domain, const char **lab, size_t max)
{
	size_t n = 0;
	const char *p;

	if (*domain == '\0')
		return 0;
	lab[n++] = domain;
	for (p = domain; *p != '\0'; p++)
		if (*p == '.' && p[1] != '\0') {
			if (n == max)
				memmove(lab, lab + 1, (--n) * sizeof(*lab));
			lab[n++] = p + 1;
		}
	return n;
}

/* Count labels; bounded by the DNS (<= 127). */
static size_t
count_labels(const char *domain)
{
	size_t n = *domain != '\0';

	for (; *domain != '\0'; domain++)
		if (*domain == '.' && domain[1] != '\0')
			n++;
	return n;
}

/*
 * The targets of an RFC 9989 4.10 tree walk: the domain itself, then (x
 * labels) x-1 labels when x < 8, or 7 labels when x >= 8, then one label
 * less each step down to one label.  Returns the number of targets.
 */
static size_t
walk_targets(const char *domain, const char **tgt)
{
	const char *lab[MK_DMARC_LABELS_MAX];
	size_t x = count_labels(domain), n, k, nt = 0;

	n = split_labels(domain, lab, MK_DMARC_LABELS_MAX - 1);	/* last <= 7 labels */
	if (x == 0)
		return 0;
	tgt[nt++] = domain;
	k = x < MK_DMARC_LABELS_MAX ? x - 1 : MK_DMARC_LABELS_MAX - 1;
	for (; k >= 1; k--)
		tgt[nt++] = lab[n - k];
	return nt;
}

int
mk_dmarc_org_domain(struct mk_dmarc_walk *w, const char *domain, char *out, size_t outsz)
{
	const char *tgt[MK_DMARC_WALK_MAX], *org = NULL, *lab[128];
	const struct mk_dmarc_lookup *lk;
	size_t nt, i, nl;

	snprintf(out, outsz, "%s", domain);
	if (w->env->spec == MK_DMARC_SPEC_7489) {
		/* a domain that does not fit stays its own organizational domain */
		if (w->env->psl == NULL || mk_psl_org_domain(w->env->psl, domain, out, outsz) == -1)
			snprintf(out, outsz, "%s", domain);
		return 0;
	}
	nt = walk_targets(domain, tgt);
	for (i = 0; i < nt; i++) {
		lk = mk_dmarc_lookup(w, tgt[i]);
		if (lk->status == MK_DMARC_DISC_TEMPERROR)
			return -1;
		if (lk->status != MK_DMARC_DISC_FOUND)
			continue;
		if (lk->rec.psd == MK_DMARC_PSD_N) {
			org = tgt[i];
			break;
		}
		if (lk->rec.psd == MK_DMARC_PSD_Y && i > 0) {
			/* the domain one label below the PSD, on the path to domain */
			nl = split_labels(domain, lab, 128);
			org = lab[nl - count_labels(tgt[i]) - 1];
			break;
		}
		org = tgt[i];	/* fewest labels so far */
	}
	if (org != NULL)
		snprintf(out, outsz, "%s", org);
	return 0;
}

static void
discover_7489(struct mk_dmarc_walk *w, const char *from, struct mk_dmarc_policy_info *info)
{
	const struct mk_dmarc_lookup *lk;

	lk = mk_dmarc_lookup(w, from);
	info->at_author = true;
	if (lk->status == MK_DMARC_DISC_NONE && lk->ndmarc == 0 &&
	    strcmp(info->org_domain, from) != 0) {
		lk = mk_dmarc_lookup(w, info->org_domain);
		info->at_author = false;
	}
	info->status = lk->status;
	if (lk->status == MK_DMARC_DISC_FOUND)
		snprintf(info->domain, sizeof(info->domain), "%s", info->at_author ? from
		    : info->org_domain);
	if (lk->ndmarc > 1)
		info->why = "several DMARC records";
	if (lk->status == MK_DMARC_DISC_FOUND)
		info->rec = lk->rec;
}

static void
discover_9989(struct mk_dmarc_walk *w, const char *from, struct mk_dmarc_policy_info *info)
{
	const char *tgt[MK_DMARC_WALK_MAX];
	const struct mk_dmarc_lookup *lk;
	size_t nt, i;

	nt = walk_targets(from, tgt);
	info->status = MK_DMARC_DISC_NONE;
	for (i = 0; i < nt; i++) {
		lk = mk_dmarc_lookup(w, tgt[i]);
		if (lk->ndmarc > 1 && info->why == NULL)
			info->why = "several DMARC records";
		if (lk->status == MK_DMARC_DISC_NONE)
			continue;
		info->status = lk->status;
		if (lk->status == MK_DMARC_DISC_FOUND) {
			info->rec = lk->rec;
			info->at_author = i == 0;
			snprintf(info->domain, sizeof(info->domain), "%s", tgt[i]);
		}
		return;
	}
}

int
mk_dmarc_discover(struct mk_dmarc_walk *w, const char *from_domain,
    struct mk_dmarc_policy_info *info)
{
	memset(info, 0, sizeof(*info));
	/* 7489 needs the (PSL) org domain to find the policy; the 9989 walk
	 * does not: its org domain is computed only when alignment needs it */
	if (w->env->spec == MK_DMARC_SPEC_7489) {
		mk_dmarc_org_domain(w, from_domain, info->org_domain, sizeof(info->org_domain));
		discover_7489(w, from_domain, info);
	} else {
		discover_9989(w, from_domain, info);
	}
	switch (info->status) {
	case MK_DMARC_DISC_TEMPERROR: info->why = "DNS failure"; break;
	case MK_DMARC_DISC_PERMERROR: info->why = "unusable DMARC record"; break;
	case MK_DMARC_DISC_NONE:
		if (info->why == NULL)
			info->why = "no DMARC record";
		break;
	case MK_DMARC_DISC_FOUND: break;
	}
	return 0;
}

int
mk_dmarc_destination_ok(struct mk_dmarc_walk *w, const char *domain, const char *dest_domain)
{
	char o1[MK_DNS_NAME_MAX + 1], o2[MK_DNS_NAME_MAX + 1], name[2 * MK_DNS_NAME_MAX + 32];
	struct mk_dns_answer *ans;
	int ok = 0;
	size_t i;

	if (mk_dmarc_org_domain(w, domain, o1, sizeof(o1)) == -1 ||
	    mk_dmarc_org_domain(w, dest_domain, o2, sizeof(o2)) == -1)
		return -1;
	if (strcasecmp(o1, o2) == 0)
		return 1;
	snprintf(name, sizeof(name), "%s._report._dmarc.%s", domain, dest_domain);
	w->nqueries++;
	if ((ans = w->env->query(w->env->query_arg, name, MK_DNS_TXT)) == NULL)
		return -1;
	if (ans->status == MK_DNS_SERVFAIL || ans->status == MK_DNS_TIMEOUT)
		ok = -1;
	for (i = 0; i < ans->count; i++)
		if (mk_dmarc_record_is_dmarc(ans->rr[i].text, ans->rr[i].len))
			ok = 1;
	mk_dns_answer_free(ans);
	return ok;
}
