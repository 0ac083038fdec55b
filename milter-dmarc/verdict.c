/*
 * milter-dmarc/verdict.c: end of message -- the From checks, the SPF
 * input, DMARC evaluation of each From domain, the Authentication-Results
 * field, the history record and the SMTP outcome.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/dmarc_history.h"
#include "lib/dns.h"
#include "lib/log.h"
#include "milter-dmarc/dmarc_conf.h"
#include "milter-dmarc/failure.h"
#include "milter-dmarc/session.h"
#include "milter-dmarc/dnscache.h"
#include "milter-dmarc/spf_self.h"

#define DMARC_AR_MAX 4096	/* bytes of the A-R field we add */

/* The evaluation's DNS: recent answers first (dnscache.c); a probe (at end
 * of header) asks nothing and only notes that an answer was missing. */
struct dmarc_q {
	struct mk_dns *dns;
	bool probe, miss;
};

static struct mk_dns_answer *
query_dns(void *arg, const char *name, enum mk_dns_type type)
{
	struct dmarc_q *q = arg;
	struct mk_dns_answer *a;

	if ((a = dmarc_dnscache_get(name, type)) != NULL)
		return a;
	if (q->probe) {
		q->miss = true;
		return NULL;
	}
	if ((a = mk_dns_query(q->dns, name, type)) != NULL)
		dmarc_dnscache_put(name, type, a);
	return a;
}

/* Pick the SPF input: trusted A-R, else the trusted Received-SPF (neither
 * with SPFIgnoreResults), else our own evaluation (SPFSelfValidate), else
 * none (logged). */
static void
spf_input(struct dmarc_conn *c, struct dmarc_msg *m, struct mk_dmarc_input *in,
    const char **source)
{
	bool header_ok = !c->rt->conf->spf_ignore_results;	/* SPFIgnoreResults */

	if (header_ok && m->have_spf_ar) {
		in->spf = m->spf_ar;
		in->spf_helo = m->spf_ar_helo;
		*source = "authres";
	} else if (header_ok && m->have_spf_rspf) {
		in->spf = m->spf_rspf;
		in->spf_helo = m->spf_rspf_helo;
		*source = "received-spf";
	} else if (c->rt->conf->spf_self &&
	    dmarc_spf_self(c->rt->dns, c->ip, &m->spf_sess, &in->spf, &in->spf_helo) == 0) {
		*source = "self";
	} else {
		*source = "none";
		return;
	}
	in->have_spf = true;
}

/* Append "dmarc=RESULT (p=P dis=D) header.from=DOMAIN" to the A-R value. */
static void
ar_append(char *ar, size_t arsz, const char *domain, const struct mk_dmarc_outcome *o)
{
	size_t n = strlen(ar);
	const char *sep = strchr(ar, '=') != NULL ? ";\n\t" : " ";

	if (o->info.status == MK_DMARC_DISC_FOUND)
		snprintf(ar + n, arsz - n, "%sdmarc=%s (p=%s dis=%s) header.from=%s", sep,
		    mk_dmarc_result_name(o->result), mk_dmarc_policy_name(o->policy),
		    mk_dmarc_policy_name(o->disposition), domain);
	else
		snprintf(ar + n, arsz - n, "%sdmarc=%s (%s) header.from=%s", sep,
		    mk_dmarc_result_name(o->result), o->info.why, domain);
}

static void
log_outcome(const struct dmarc_conn *c, const struct dmarc_msg *m, const char *domain,
    const struct mk_dmarc_input *in, const struct mk_dmarc_outcome *o, const char *spfsrc)
{
	char dkim[256] = "none", spf[300] = "none";
	size_t i, n = 0;

	for (i = 0; i < in->ndkim && n < sizeof(dkim) - 1; i++)
		n += (size_t)snprintf(dkim + n, sizeof(dkim) - n, "%s%s:%s%s", i ? "," : "",
		    in->dkim[i].domain, in->dkim[i].result, in->dkim[i].aligned ? ":aligned" : "");
	if (in->have_spf)
		snprintf(spf, sizeof(spf), "%s:%s%s%s", in->spf.domain, in->spf.result,
		    in->spf_helo ? ":helo" : "", in->spf.aligned ? ":aligned" : "");
	mk_log_kv(MK_LOG_INFO, m->qid[0] ? m->qid : NULL, "client", c->ip,
	    "from", domain, "dmarc", mk_dmarc_result_name(o->result),
	    "policy_domain", o->info.domain[0] ? o->info.domain : NULL,
	    "p", mk_dmarc_policy_name(o->policy), "dis", mk_dmarc_policy_name(o->disposition),
	    "dkim", dkim, "spf", spf, "spf_source", spfsrc,
	    "why", o->info.why, NULL);
	if (in->ndkim == 0 && m->ntrusted_ar == 0)
		mk_log_kv(MK_LOG_INFO, m->qid[0] ? m->qid : NULL, "dkim", "none",
		    "reason", "no Authentication-Results from a TrustedAuthservIDs server", NULL);
}

static void
history_add(const struct dmarc_conn *c, const struct dmarc_msg *m, const char *domain,
    const struct mk_dmarc_input *in, const struct mk_dmarc_outcome *o, const char *override)
{
	struct mk_dmarc_history_msg hm;
	char err[256];

	/* only messages with a policy record are reported (RFC 9990 2); with
	 * RecordAllMessages (OpenDMARC) the others are recorded too, without
	 * rua, so that no report is made of them */
	if (c->rt->hist == NULL ||
	    (o->info.status != MK_DMARC_DISC_FOUND && !c->rt->conf->record_all))
		return;
	hm.when = time(NULL);
	hm.source_ip = c->ip;
	hm.header_from = domain;
	hm.envelope_from = m->spf_sess.null_sender ? "" : m->spf_sess.mailfrom_domain;
	hm.discovery = c->rt->conf->spec == MK_DMARC_SPEC_7489 ? "psl" : "treewalk";
	hm.in = in;
	hm.o = o;
	hm.override = override;
	if (mk_dmarc_history_add(c->rt->hist, &hm, err, sizeof(err)) == -1)
		mk_log_err(m->qid[0] ? m->qid : NULL, "HistoryFile: %s", err);
}

/* DomainWhitelist (OpenDMARC's ARC override): a failure RejectFailures
 * would reject, of a message that came with one trusted arc=pass whose
 * arc.chain domains are all listed, is delivered (disposition none); the
 * history records the override as local_policy.  NULL: no override. */
static const char *
arc_override(const struct dmarc_conn *c, const struct dmarc_msg *m, const char *domain,
    struct mk_dmarc_outcome *o)
{
	if (!c->rt->conf->reject_failures || o->result != MK_DMARC_RES_FAIL ||
	    o->disposition != MK_DMARC_P_REJECT || m->arc_pass == 0)
		return NULL;
	if (m->arc_pass > 1 || !m->arc_chain_trusted) {
		mk_log_kv(MK_LOG_NOTICE, m->qid[0] ? m->qid : NULL, "from", domain, "arc", "pass",
		    "override", "no", "why", m->arc_pass > 1 ? "several arc=pass results" :
		    "arc.chain not all in DomainWhitelist", NULL);
		return NULL;
	}
	mk_log_kv(MK_LOG_NOTICE, m->qid[0] ? m->qid : NULL, "from", domain, "arc", "pass",
	    "override", "accept", "reason", "DomainWhitelist", NULL);
	o->disposition = MK_DMARC_P_NONE;
	return "local_policy";
}

/* Severity order of outcomes for several From domains. */
static int
severity(const struct mk_dmarc_outcome *o)
{
	if (o->result == MK_DMARC_RES_TEMPERROR)
		return 4;
	if (o->result != MK_DMARC_RES_FAIL)
		return 0;
	return o->disposition == MK_DMARC_P_REJECT ? 3 : o->disposition == MK_DMARC_P_QUARANTINE;
}

/* What act() will do with this outcome, for failure reports. */
static const char *
delivery_of(const struct dmarc_conf *conf, const struct mk_dmarc_outcome *o)
{

	if (!conf->reject_failures)
		return "delivered";
	if (o->result == MK_DMARC_RES_TEMPERROR && conf->tempfail_on_error)
		return "tempfail";
	if (o->result == MK_DMARC_RES_FAIL && o->disposition == MK_DMARC_P_REJECT)
		return "reject";
	if (o->result == MK_DMARC_RES_FAIL && o->disposition == MK_DMARC_P_QUARANTINE &&
	    conf->hold_quarantined)
		return "quarantine";
	return "delivered";
}

static enum mk_milter_status
act(struct mk_milter_ctx *ctx, const struct dmarc_conf *conf, const struct dmarc_msg *m,
    const char *domain, const struct mk_dmarc_outcome *o)
{
	char text[512];

	/* CopyFailuresTo (OpenDMARC): one more recipient of mail that fails a
	 * p=reject or p=quarantine policy, whatever happens to it next */
	if (conf->copy_failures_to != NULL && o->result == MK_DMARC_RES_FAIL &&
	    (o->policy == MK_DMARC_P_REJECT || o->policy == MK_DMARC_P_QUARANTINE)) {
		if (mk_milter_addrcpt(ctx, conf->copy_failures_to) != 0)
			mk_log_warn(m->qid[0] ? m->qid : NULL, "CopyFailuresTo: cannot add %s",
			    conf->copy_failures_to);
		else
			mk_log_kv(MK_LOG_INFO, m->qid[0] ? m->qid : NULL, "action", "copy",
			    "rcpt", conf->copy_failures_to, NULL);
	}
	if (!conf->reject_failures)
		return MK_MS_ACCEPT;
	if (o->result == MK_DMARC_RES_TEMPERROR && conf->tempfail_on_error) {
		mk_milter_setreply(ctx, "451", "4.7.5",
		    "DMARC policy could not be retrieved, try again later");
		return MK_MS_TEMPFAIL;
	}
	if (o->result != MK_DMARC_RES_FAIL)
		return MK_MS_ACCEPT;
	if (o->disposition == MK_DMARC_P_REJECT) {
		snprintf(text, sizeof(text), "Rejected by the DMARC policy of %s", domain);
		mk_milter_setreply(ctx, "550", "5.7.1", text);
		return MK_MS_REJECT;
	}
	if (o->disposition == MK_DMARC_P_QUARANTINE && conf->hold_quarantined) {
		snprintf(text, sizeof(text), "DMARC policy of %s", domain);
		if (mk_milter_quarantine(ctx, text) != 0)
			mk_log_warn(m->qid[0] ? m->qid : NULL, "quarantine failed");
	}
	return MK_MS_ACCEPT;
}

static void
remove_forged(struct mk_milter_ctx *ctx, const struct dmarc_msg *m)
{
	size_t i;

	for (i = m->nremove; i > 0; i--) {
		if (mk_milter_chgheader(ctx, "Authentication-Results", (int)m->remove[i - 1],
		    NULL) != 0)
			mk_log_warn(m->qid[0] ? m->qid : NULL, "cannot remove a forged A-R field");
		else
			mk_log_kv(MK_LOG_NOTICE, m->qid[0] ? m->qid : NULL, "action",
			    "remove-forged-authres", NULL);
	}
}

/* SoftwareHeader: "DMARC-Filter: mailaka-dmarc vVERSION HOST QID", the
 * field name and layout of OpenDMARC's, so that what looks for it finds it. */
static void
software_header(struct mk_milter_ctx *ctx, const struct dmarc_conn *c,
    const struct dmarc_msg *m)
{
	char v[512];

	if (!c->rt->conf->software_header)
		return;
	snprintf(v, sizeof(v), "mailaka-dmarc v%s %s %s", PACKAGE_VERSION,
	    c->rt->conf->hostname, m->qid[0] ? m->qid : "NOQUEUE");
	if (mk_milter_insheader(ctx, 0, "DMARC-Filter", v) != 0)
		mk_log_warn(m->qid[0] ? m->qid : NULL, "cannot add the DMARC-Filter field");
}

/* No usable From: reject (RejectMultiValueFrom) or say permerror. */
static enum mk_milter_status
bad_from(struct mk_milter_ctx *ctx, const struct dmarc_conn *c, const struct dmarc_msg *m,
    const char *why, char *ar, size_t arsz)
{
	size_t n = strlen(ar);

	mk_log_kv(MK_LOG_INFO, m->qid[0] ? m->qid : NULL, "client", c->ip, "dmarc", "permerror",
	    "why", why, "action", c->rt->conf->reject_multi_from ? "reject" : "accept", NULL);
	if (c->rt->conf->reject_multi_from) {
		char text[256];

		snprintf(text, sizeof(text), "DMARC: %s", why);
		mk_milter_setreply(ctx, "550", "5.7.1", text);
		return MK_MS_REJECT;
	}
	snprintf(ar + n, arsz - n, " dmarc=permerror (%s)", why);
	mk_milter_insheader(ctx, 0, "Authentication-Results", ar);
	software_header(ctx, c, m);
	return MK_MS_ACCEPT;
}

/* RequiredHeaders: a header RFC 5322 3.6 does not allow is refused before
 * any evaluation (OpenDMARC: "RFC5322 requirement error"). */
static int
required_headers(struct mk_milter_ctx *ctx, const struct dmarc_conn *c,
    const struct dmarc_msg *m)
{
	char why[128], text[256];

	if (dmarc_rfc5322_check(m, why, sizeof(why)) == 0)
		return 0;
	mk_log_kv(MK_LOG_INFO, m->qid[0] ? m->qid : NULL, "client", c->ip, "action", "reject",
	    "reason", "RequiredHeaders", "why", why, NULL);
	snprintf(text, sizeof(text), "RFC5322 requirement error: %s", why);
	mk_milter_setreply(ctx, "550", "5.7.1", text);
	return -1;
}

static const char *
from_problem(const struct dmarc_msg *m)
{
	if (m->nfrom == 0)
		return "no From header field";
	if (m->from_bad || m->ndomains == 0)
		return "unparseable From header field";
	if (m->nfrom > 1)
		return "several From header fields";
	if (m->ndomains > 1 || m->domains_overflow)
		return "From addresses in several domains";
	return NULL;
}

int
dmarc_probe(struct dmarc_conn *c, struct dmarc_msg *m)
{
	struct dmarc_q q = { c->rt->dns, true, false };
	struct mk_dmarc_env env = { c->rt->conf->spec, c->rt->psl, query_dns, &q };
	struct mk_dmarc_walk *w;
	struct mk_dmarc_outcome *o;
	struct mk_dmarc_input *in;
	size_t i;

	/* SPFSelfValidate asks DNS at end of message; a From we refuse does not */
	if (c->rt->conf->spf_self)
		return -1;
	if (from_problem(m) != NULL)
		return 0;
	w = calloc(1, sizeof(*w));
	o = calloc(1, sizeof(*o));
	in = calloc(1, sizeof(*in));
	for (i = 0; w != NULL && o != NULL && in != NULL && !q.miss && i < m->ndomains; i++) {
		in->from_domain = m->domains[i];
		in->ndkim = m->dk.ndkim;
		memcpy(in->dkim, m->dk.dkim, sizeof(in->dkim));
		if (m->have_spf_ar || m->have_spf_rspf) {
			in->spf = m->have_spf_ar ? m->spf_ar : m->spf_rspf;
			in->spf_helo = m->have_spf_ar ? m->spf_ar_helo : m->spf_rspf_helo;
			in->have_spf = true;
		}
		mk_dmarc_walk_init(w, &env);
		mk_dmarc_evaluate(w, in, o);
	}
	i = w != NULL && o != NULL && in != NULL && !q.miss;
	free(w);
	free(o);
	free(in);
	return i ? 0 : -1;
}

enum mk_milter_status
dmarc_eom(struct mk_milter_ctx *ctx, struct dmarc_conn *c, struct dmarc_msg *m)
{
	struct dmarc_q q = { c->rt->dns, false, false };
	struct mk_dmarc_env env = { c->rt->conf->spec, c->rt->psl, query_dns, &q };
	struct mk_dmarc_walk *w = calloc(1, sizeof(*w));
	struct mk_dmarc_outcome *o = calloc(1, sizeof(*o)), *worst = NULL;
	struct mk_dmarc_input *in = calloc(1, sizeof(*in));
	const char *problem, *spfsrc = "none", *worst_domain = NULL, *override;
	char ar[DMARC_AR_MAX];
	enum mk_milter_status rc = MK_MS_ACCEPT;
	size_t i;

	if (w == NULL || o == NULL || in == NULL || (worst = calloc(1, sizeof(*worst))) == NULL) {
		rc = MK_MS_TEMPFAIL;
		goto done;
	}
	if (c->rt->conf->required_headers && required_headers(ctx, c, m) == -1) {
		rc = MK_MS_REJECT;
		goto done;
	}
	remove_forged(ctx, m);
	snprintf(ar, sizeof(ar), "%s;", c->rt->conf->authserv_id);
	problem = from_problem(m);
	if (problem != NULL && (m->ndomains == 0 || m->from_bad || c->rt->conf->reject_multi_from)) {
		rc = bad_from(ctx, c, m, problem, ar, sizeof(ar));
		goto done;
	}
	spf_input(c, m, in, &spfsrc);
	if (!in->have_spf)
		mk_log_kv(MK_LOG_INFO, m->qid[0] ? m->qid : NULL, "spf", "none",
		    "reason", "no trusted SPF result for this MAIL FROM", NULL);
	for (i = 0; i < m->ndomains; i++) {
		in->from_domain = m->domains[i];
		in->ndkim = m->dk.ndkim;
		memcpy(in->dkim, m->dk.dkim, sizeof(in->dkim));
		in->sample = (unsigned)(random() % 100);
		mk_dmarc_walk_init(w, &env);
		mk_dmarc_evaluate(w, in, o);
		override = arc_override(c, m, m->domains[i], o);
		log_outcome(c, m, m->domains[i], in, o, spfsrc);
		ar_append(ar, sizeof(ar), m->domains[i], o);
		history_add(c, m, m->domains[i], in, o, override);
		dmarc_failure_report(c, m, m->domains[i], in, o, ar, delivery_of(c->rt->conf, o));
		if (worst_domain == NULL || severity(o) > severity(worst)) {
			*worst = *o;
			worst_domain = m->domains[i];
		}
	}
	if (mk_milter_insheader(ctx, 0, "Authentication-Results", ar) != 0)
		mk_log_warn(m->qid[0] ? m->qid : NULL, "cannot add the A-R field");
	software_header(ctx, c, m);
	rc = act(ctx, c->rt->conf, m, worst_domain, worst);
done:
	free(worst);
	free(in);
	free(o);
	free(w);
	return rc;
}
