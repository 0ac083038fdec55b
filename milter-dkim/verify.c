/*
 * milter-dkim/verify.c: verification.  VerifyEngine native (default):
 * lib/dkim_verify checks the signatures, with keys fetched through lib/dns
 * (native_lookup) or taken from the recent ones (keyrec.c) at end of header;
 * VerifyEngine libopendkim: libopendkim does (dkim_verify_key_lookup).
 * This file then gives every DKIM-Signature header field its own result
 * with RFC 8301 / RFC 6376 semantics where libopendkim is lenient or coarse,
 * writes one Authentication-Results field, removes forged ones carrying our
 * authserv-id, and applies the On-* action.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/authres.h"
#include "lib/dkim_tags.h"
#include "lib/dns.h"
#include "lib/log.h"
#include "milter-dkim/keyrec.h"
#include "milter-dkim/milter.h"
#include "milter-dkim/session.h"
#include "milter-dkim/verify.h"

static enum mk_dkim_key_status native_lookup(void *arg, const char *domain,
    const char *selector, char *txt, size_t txtsz, char *why, size_t whylen);

int
dkim_verify_start(struct dkim_conn *cc, struct dkim_msg *m, const char **why)
{
	struct mk_dkim_verify_params p;
	DKIM_STAT st;

	if (cc->rt->conf->verify_native) {
		memset(&p, 0, sizeof(p));
		p.min_rsa_bits = (unsigned)cc->rt->conf->min_key_bits;
		p.lookup = native_lookup;
		p.lookup_arg = m;
		if ((m->nverify = mk_dkim_verifier_new(&p)) == NULL) {
			*why = "cannot start verification";
			return -1;
		}
		return 0;
	}
	m->verify = dkim_verify(cc->rt->lib, (const u_char *)m->id, NULL, &st);
	if (m->verify == NULL) {
		*why = "cannot start verification";
		return -1;
	}
	dkim_set_user_context(m->verify, m);
	return 0;
}

/* ---- key lookup (called by libopendkim from dkim_eom) -------------------- */

static struct dkim_keyq *
keyq_slot(struct dkim_msg *m, const char *d, const char *s)
{
	struct dkim_keyq *q;
	size_t i;

	for (i = 0; i < m->nkeyq; i++)
		if (strcasecmp(m->keyq[i].domain, d) == 0 && strcasecmp(m->keyq[i].selector, s) == 0)
			return &m->keyq[i];
	if (m->nkeyq >= DKIM_KEYQ_MAX)
		return NULL;
	q = &m->keyq[m->nkeyq++];
	memset(q, 0, sizeof(*q));
	snprintf(q->domain, sizeof(q->domain), "%s", d);
	snprintf(q->selector, sizeof(q->selector), "%s", s);
	q->status = MK_DNS_OK;
	return q;
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fetch the key record of d=/s= into buf: 0, or -1 with the reason in the
 * message's key query slot (*qp, NULL when there is none to record it). */
static int
key_fetch(struct dkim_msg *m, const char *dom, const char *sel, char *buf, size_t buflen,
    struct dkim_keyq **qp)
{
	struct mk_dns_answer *ans;
	struct dkim_keyq *q;
	char name[MK_DNS_NAME_MAX + 2];
	double t0;

	size_t i;

	if ((*qp = q = keyq_slot(m, dom, sel)) == NULL)
		return -1;
	if ((size_t)snprintf(name, sizeof(name), "%s._domainkey.%s", sel, dom) > MK_DNS_NAME_MAX) {
		snprintf(q->why, sizeof(q->why), "key name too long");
		return -1;
	}
	for (i = 0; i < m->npre; i++) {
		if (strcasecmp(m->pre[i].name, name) == 0 && strlen(m->pre[i].txt) < buflen) {
			memcpy(buf, m->pre[i].txt, strlen(m->pre[i].txt) + 1);
			return 0;
		}
	}
	/* many signatures on a slow domain must not hold the message for minutes */
	if (m->dns_spent >= (double)(DKIM_DNS_BUDGET_FACTOR * m->rt->conf->dns_timeout)) {
		q->status = MK_DNS_TIMEOUT;
		snprintf(q->why, sizeof(q->why), "key lookup: DNS time for this message spent");
		return -1;
	}
	t0 = mono_now();
	ans = mk_dns_query(m->rt->dns, name, MK_DNS_TXT);
	m->dns_spent += mono_now() - t0;
	if (ans == NULL) {
		q->status = MK_DNS_SERVFAIL;
		return -1;
	}
	q->status = (int)ans->status;
	if (ans->status != MK_DNS_OK || ans->count == 0) {
		if (ans->status == MK_DNS_ERROR)
			snprintf(q->why, sizeof(q->why), "bad key name");
		mk_dns_answer_free(ans);
		return -1;
	}
	if (ans->count > 1)
		snprintf(q->why, sizeof(q->why), "several key records");
	else if (ans->rr[0].len + 1 > buflen)
		snprintf(q->why, sizeof(q->why), "key record too long");
	else if (memchr(ans->rr[0].text, '\0', ans->rr[0].len) != NULL)
		snprintf(q->why, sizeof(q->why), "NUL in key record");
	if (q->why[0] != '\0') {
		mk_dns_answer_free(ans);
		return -1;
	}
	memcpy(buf, ans->rr[0].text, ans->rr[0].len);
	buf[ans->rr[0].len] = '\0';
	if (m->rt->conf->verify_native)
		dkim_keyrec_put(name, buf, ans->ttl);
	mk_dns_answer_free(ans);
	return 0;
}

int
dkim_verify_prefetch(struct dkim_msg *m)
{
	char name[MK_DNS_NAME_MAX + 2], *txt;
	size_t i;

	for (i = 0; i < MK_DKIM_VERIFY_SIGS_MAX; i++) {
		if (!mk_dkim_verifier_key_name(m->nverify, i, name, sizeof(name)))
			continue;
		if (m->npre == 0 && (m->pre = calloc(DKIM_KEYQ_MAX, sizeof(*m->pre))) == NULL)
			return -1;
		if (m->npre == DKIM_KEYQ_MAX || (txt = dkim_keyrec_get(name)) == NULL)
			return -1;
		m->pre[m->npre].txt = txt;
		if ((m->pre[m->npre].name = strdup(name)) == NULL) {
			free(txt);
			return -1;
		}
		m->npre++;
	}
	return 0;
}

DKIM_CBSTAT
dkim_verify_key_lookup(DKIM *d, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	struct dkim_msg *m = dkim_get_user_context(d);
	const char *dom = (const char *)dkim_sig_getdomain(sig);
	const char *sel = (const char *)dkim_sig_getselector(sig);
	struct dkim_keyq *q = NULL;

	if (m == NULL || dom == NULL || sel == NULL)
		return DKIM_CBSTAT_ERROR;
	if (key_fetch(m, dom, sel, (char *)buf, buflen, &q) == 0)
		return DKIM_CBSTAT_CONTINUE;
	return q == NULL ? DKIM_CBSTAT_ERROR : DKIM_CBSTAT_NOTFOUND;
}

/* VerifyEngine native: the same lookup, its outcome as lib/dkim_verify
 * wants it. */
static enum mk_dkim_key_status
native_lookup(void *arg, const char *domain, const char *selector, char *txt, size_t txtsz,
    char *why, size_t whylen)
{
	struct dkim_msg *m = arg;
	struct dkim_keyq *q = NULL;

	if (key_fetch(m, domain, selector, txt, txtsz, &q) == 0)
		return MK_DKIM_KEY_OK;
	if (q == NULL) {
		snprintf(why, whylen, "too many key lookups");
		return MK_DKIM_KEY_BAD;
	}
	if (q->status == MK_DNS_SERVFAIL || q->status == MK_DNS_TIMEOUT) {
		if (q->why[0] != '\0')
			snprintf(why, whylen, "%s", q->why);
		else
			snprintf(why, whylen, "key lookup: %s", mk_dns_status_name(q->status));
		return MK_DKIM_KEY_TEMPFAIL;
	}
	if (q->why[0] != '\0') {
		snprintf(why, whylen, "%s", q->why);
		return MK_DKIM_KEY_BAD;
	}
	return MK_DKIM_KEY_NONE;
}

/* ---- per-signature results ------------------------------------------------ */

static DKIM_SIGINFO *
sig_match(DKIM_SIGINFO **sigs, int nsigs, const char *b)
{
	char tmp[DKIM_B_MAX + 1];
	struct mk_dkim_tag t;
	u_char *v;
	int i;

	for (i = 0; i < nsigs; i++) {
		if ((v = dkim_sig_gettagvalue(sigs[i], 0, (u_char *)"b")) == NULL)
			continue;
		t.name = "b";
		t.nlen = 1;
		t.val = (const char *)v;
		t.vlen = strlen((const char *)v);
		if (mk_dkim_tags_copy_nows(&t, tmp, sizeof(tmp)) == 0 && strcmp(tmp, b) == 0)
			return sigs[i];
	}
	return NULL;
}

/* RFC 6376 3.6.1 / RFC 8463: the key's k= (default rsa) must be the
 * signature's algorithm family; libopendkim 2.11 does not check it. */
static bool
key_type_mismatch(DKIM_SIGINFO *sig, const struct dkim_sigres *r)
{
	const char *k = (const char *)dkim_sig_gettagvalue(sig, 1, (u_char *)"k");
	const char *want = strncasecmp(r->a, "ed25519", 7) == 0 ? "ed25519" : "rsa";

	if (k == NULL || k[0] == '\0')
		k = "rsa";
	while (*k == ' ' || *k == '\t')
		k++;
	return strncasecmp(k, want, strlen(want)) != 0 ||
	    (k[strlen(want)] != '\0' && k[strlen(want)] != ' ' && k[strlen(want)] != '\t');
}

/* What our key lookup for the signature's d=/s= found: a temporary DNS
 * failure or a key record we refused.  true when that decides r. */
static bool
eval_keyq(const struct dkim_msg *m, struct dkim_sigres *r)
{
	const struct dkim_keyq *q = NULL;
	size_t i;

	for (i = 0; i < m->nkeyq; i++)
		if (strcasecmp(m->keyq[i].domain, r->d) == 0 &&
		    strcasecmp(m->keyq[i].selector, r->s) == 0)
			q = &m->keyq[i];
	if (q != NULL && (q->status == MK_DNS_SERVFAIL || q->status == MK_DNS_TIMEOUT)) {
		if (q->why[0] != '\0')
			dkim_sigres_set(r, MK_DKIM_V_TEMPERROR, "%s", q->why);
		else
			dkim_sigres_set(r, MK_DKIM_V_TEMPERROR, "key lookup: %s",
			    mk_dns_status_name(q->status));
		return true;
	}
	if (q != NULL && q->why[0] != '\0') {
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "%s", q->why);
		return true;
	}
	return false;
}

/* From libopendkim's state for a matched signature. */
static void
eval_lib(const struct dkim_msg *m, DKIM_SIGINFO *sig, struct dkim_sigres *r)
{
	int err = dkim_sig_geterror(sig);
	unsigned flags = dkim_sig_getflags(sig), bits = 0;
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;

	if (eval_keyq(m, r))
		return;
	switch (err) {
	case DKIM_SIGERROR_OK:
	case DKIM_SIGERROR_UNKNOWN:
		break;
	case DKIM_SIGERROR_NOKEY:
		dkim_sigres_set(r, MK_DKIM_V_NOKEY, "no key for signature");
		return;
	case DKIM_SIGERROR_KEYFAIL:
		dkim_sigres_set(r, MK_DKIM_V_TEMPERROR, "key lookup failed");
		return;
	case DKIM_SIGERROR_BADSIG:
		dkim_sigres_set(r, MK_DKIM_V_FAIL, dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH ?
		    "body hash mismatch" : "signature verification failed");
		return;
	case DKIM_SIGERROR_KEYREVOKED:
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "key revoked");
		return;
	case DKIM_SIGERROR_KEYTOOSMALL:
		dkim_sigres_set(r, MK_DKIM_V_POLICY, "key too small");
		return;
	default:
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "%s",
		    dkim_sig_geterrorstr(err) ? dkim_sig_geterrorstr(err) : "signature error");
		return;
	}
	if ((flags & DKIM_SIGFLAG_PROCESSED) == 0) {
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "signature not evaluated");
		return;
	}
	if (dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH) {
		dkim_sigres_set(r, MK_DKIM_V_FAIL, "body hash mismatch");
		return;
	}
	if ((flags & DKIM_SIGFLAG_PASSED) == 0 || dkim_sig_getbh(sig) != DKIM_SIGBH_MATCH) {
		dkim_sigres_set(r, MK_DKIM_V_FAIL, "signature verification failed");
		return;
	}
	if (key_type_mismatch(sig, r)) {
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "key type k= does not match a=%s", r->a);
		return;
	}
	(void)dkim_sig_getsignalg(sig, &alg);
	(void)dkim_sig_getkeysize(sig, &bits);
	if (alg != DKIM_SIGN_ED25519SHA256 && bits < (unsigned)m->rt->conf->min_key_bits) {
		dkim_sigres_set(r, MK_DKIM_V_POLICY, "RSA key of %u bits (RFC 8301: at least %ld)",
		    bits, m->rt->conf->min_key_bits);
		return;
	}
	dkim_sigres_set(r, MK_DKIM_V_PASS, "%s", "");
}

static void
eval_header(const struct dkim_msg *m, const char *value, DKIM_SIGINFO **sigs, int nsigs,
    struct dkim_sigres *r)
{
	DKIM_SIGINFO *sig;

	if (dkim_sigres_parse(value, strlen(value), r) == -1)
		return;		/* r holds the permerror/policy result */
	if ((sig = sig_match(sigs, nsigs, r->b)) == NULL) {
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "signature rejected by the DKIM library");
		return;
	}
	eval_lib(m, sig, r);
}

/* ---- end of message ------------------------------------------------------- */

/* Remove Authentication-Results fields that claim our authserv-id. */
static void
remove_forged(struct mk_milter_ctx *ctx, const struct dkim_msg *m, const char *authserv_id)
{
	const struct dkim_hdr *h;
	char id[MK_AUTHRES_ID_MAX + 1];
	int idx = 0;

	for (h = m->hdrs; h != NULL; h = h->next) {
		if (strcasecmp(h->name, "Authentication-Results") != 0)
			continue;
		idx++;
		if (mk_authres_parse_id(h->value, strlen(h->value), id, sizeof(id)) == 0 &&
		    strcasecmp(id, authserv_id) == 0) {
			if (mk_milter_chgheader(ctx, "Authentication-Results", idx, NULL) == 0)
				mk_log_kv(MK_LOG_NOTICE, m->id, "removed",
				    "Authentication-Results with our authserv-id", NULL);
		}
	}
}

static enum dkim_action
pick_action(const struct dkim_conf *c, const struct dkim_sigres *r, size_t n, const char **why)
{
	bool temp = false, bad = false, nokey = false;
	size_t i;

	if (n == 0) {
		*why = "no signature";
		return c->on_nosig;
	}
	for (i = 0; i < n; i++) {
		if (r[i].res == MK_DKIM_V_PASS) {
			*why = "signature verified";
			return DKIM_ACT_ACCEPT;
		}
		temp |= r[i].res == MK_DKIM_V_TEMPERROR;
		nokey |= r[i].res == MK_DKIM_V_NOKEY;
		bad |= r[i].res != MK_DKIM_V_TEMPERROR && r[i].res != MK_DKIM_V_NOKEY;
	}
	if (temp) {
		*why = "DKIM key lookup failed temporarily";
		return c->on_dnserror;
	}
	if (bad) {
		*why = "DKIM signature not valid";
		return c->on_badsig;
	}
	*why = "DKIM key not found";
	return c->on_keynotfound;
}

static void
log_results(const struct dkim_msg *m, const struct dkim_sigres *r, size_t n, enum dkim_action a)
{
	char line[1024];
	size_t i, o = 0;

	line[0] = '\0';
	for (i = 0; i < n && o < sizeof(line) - 1; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s:%s/%s", i ? "," : "",
		    mk_dkim_vres_name(r[i].res), r[i].d[0] ? r[i].d : "-",
		    r[i].s[0] ? r[i].s : "-");
	mk_log_kv(MK_LOG_INFO, m->id, "action", "verify", "result", n ? line : "none",
	    "disposition", dkim_action_name(a), NULL);
}

/* VerifyEngine native: lib/dkim_verify's result for the field. */
static void
eval_native(const char *value, const struct mk_dkim_vresult *v, struct dkim_sigres *r)
{
	if (dkim_sigres_parse(value, strlen(value), r) == -1)
		return;		/* r holds the permerror/policy result */
	if (v == NULL) {
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "signature not evaluated");
		return;
	}
	/* every signature is decided at eom: NONE would be a lib bug */
	dkim_sigres_set(r, v->res == MK_DKIM_V_NONE ? MK_DKIM_V_PERMERROR : v->res, "%s",
	    v->reason);
}

/* Evaluate every DKIM-Signature field (in header order) into r. */
static size_t
eval_all(const struct dkim_msg *m, struct dkim_sigres *r, size_t max)
{
	const struct mk_dkim_vresult *vr = NULL;
	const struct dkim_hdr *h;
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;
	size_t n = 0, nvr = 0;

	if (m->nverify != NULL)
		nvr = mk_dkim_verifier_eom(m->nverify, &vr);
	else if (dkim_getsiglist(m->verify, &sigs, &nsigs) != DKIM_STAT_OK)
		nsigs = 0;
	for (h = m->hdrs; h != NULL; h = h->next) {
		if (strcasecmp(h->name, "DKIM-Signature") != 0)
			continue;
		if (n == max) {
			/* more than we evaluate: the last entry says so */
			dkim_sigres_set(&r[max - 1], MK_DKIM_V_PERMERROR, "too many signatures");
			break;
		}
		if (m->nverify != NULL)
			eval_native(h->value, n < nvr ? &vr[n] : NULL, &r[n]);
		else
			eval_header(m, h->value, sigs, nsigs, &r[n]);
		n++;
	}
	return n;
}

enum mk_milter_status
dkim_verify_finish(struct mk_milter_ctx *ctx, struct dkim_conn *cc, struct dkim_msg *m)
{
	const struct dkim_conf *c = cc->rt->conf;
	struct dkim_sigres *r = NULL;
	struct mk_authres *ar = NULL;
	enum dkim_action a;
	const char *why = NULL;
	char *val = NULL;
	size_t n;
	enum mk_milter_status rc;

	if (m->verify != NULL)
		(void)dkim_eom(m->verify, NULL);	/* per-signature state is read below */
	r = calloc(DKIM_VERIFY_SIGS_MAX, sizeof(*r));
	ar = calloc(1, sizeof(*ar));
	val = malloc(MK_AUTHRES_HEADER_MAX);
	if (r == NULL || ar == NULL || val == NULL) {
		rc = dkim_milter_act(ctx, m, c->on_internal, "out of memory");
		goto out;
	}
	n = eval_all(m, r, DKIM_VERIFY_SIGS_MAX);
	a = pick_action(c, r, n, &why);
	log_results(m, r, n, a);
	remove_forged(ctx, m, c->authserv_id);
	if (a != DKIM_ACT_ACCEPT && a != DKIM_ACT_QUARANTINE) {
		rc = dkim_milter_act(ctx, m, a, why);
		goto out;
	}
	if (n > 0 || c->always_ar) {
		val[0] = cc->leadspc ? ' ' : '\0';
		if (mk_authres_init(ar, c->authserv_id) == -1 || dkim_sigres_authres(r, n, ar) == -1 ||
		    mk_authres_format(ar, val + cc->leadspc, MK_AUTHRES_HEADER_MAX - 1) == -1 ||
		    mk_milter_insheader(ctx, 1, "Authentication-Results", val) != 0)
			mk_log_kv(MK_LOG_ERR, m->id, "error", "cannot add Authentication-Results", NULL);
	}
	rc = a == DKIM_ACT_QUARANTINE ? dkim_milter_act(ctx, m, a, why) : MK_MS_ACCEPT;
out:
	free(val);
	free(ar);
	free(r);
	return rc;
}
