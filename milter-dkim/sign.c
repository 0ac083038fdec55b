/*
 * milter-dkim/sign.c: signing -- one signer per key chosen for the From
 * address (SignEngine native: lib/dkim_sign with the key parsed at load;
 * libopendkim: a dkim_sign() handle); at end of message each signature
 * header is added above the first header field.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/log.h"
#include "milter-dkim/milter.h"
#include "milter-dkim/session.h"

static dkim_canon_t
canon(enum dkim_canon c)
{
	return c == DKIM_C_RELAXED ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
}

static bool
msg_has_field(const struct dkim_msg *m, const char *name)
{
	const struct dkim_hdr *h;

	for (h = m->hdrs; h != NULL; h = h->next)
		if (strcasecmp(h->name, name) == 0)
			return true;
	return false;
}

/* The oversign list for this message: the configured one, less Date and
 * Message-ID when the message lacks them.  An MTA adds those two after its
 * milters when they are missing (Sendmail does; Postfix adds them before),
 * and a signature over their absence would then fail.  Every other name is
 * oversigned whether present or not (OpenDKIM's semantics). */
static void
oversign_for(const struct dkim_conf *c, const struct dkim_msg *m, const char **out,
    size_t max)
{
	size_t i, n = 0;

	for (i = 0; c->oversign != NULL && c->oversign[i] != NULL && n + 1 < max; i++) {
		if ((strcasecmp(c->oversign[i], "Date") == 0 ||
		    strcasecmp(c->oversign[i], "Message-ID") == 0) &&
		    !msg_has_field(m, c->oversign[i]))
			continue;
		out[n++] = c->oversign[i];
	}
	out[n] = NULL;
}

/* A native signer for request i. 0 / -1 (logged). */
static int
native_start(struct dkim_conn *cc, struct dkim_msg *m, size_t i)
{
	const struct dkim_runtime *rt = cc->rt;
	const struct dkim_conf *c = rt->conf;
	const struct dkim_key *key = m->req[i].key;
	struct mk_dkim_sign_params p = { 0 };
	const char *oversign[MK_DKIM_SIGN_NAMES_MAX + 1];
	char err[256];

	p.key = key->pkey;
	p.alg = key->alg == DKIM_KEY_ED25519 ? MK_DKIM_ED25519_SHA256 : MK_DKIM_RSA_SHA256;
	p.hcanon = c->hcanon == DKIM_C_RELAXED ? MK_DKIM_RELAXED : MK_DKIM_SIMPLE;
	p.bcanon = c->bcanon == DKIM_C_RELAXED ? MK_DKIM_RELAXED : MK_DKIM_SIMPLE;
	p.domain = m->req[i].domain;
	p.selector = key->selector;
	p.signhdrs = rt->signlist;
	oversign_for(c, m, oversign, sizeof(oversign) / sizeof(oversign[0]));
	p.oversign = oversign;
	p.now = rt->fixed_time != 0 ? rt->fixed_time : time(NULL);
	p.ttl = c->ttl;
	p.lf_folds = true;		/* the MTA makes LF + TAB CRLF + TAB */
	if ((m->native[i] = mk_dkim_signer_new(&p, err, sizeof(err))) != NULL)
		return 0;
	mk_log_kv(MK_LOG_ERR, m->id, "d", m->req[i].domain, "s", key->selector, "error", err,
	    NULL);
	return -1;
}

int
dkim_sign_start(struct dkim_conn *cc, struct dkim_msg *m, const char *from_local,
    const char *from_domain, const char **why)
{
	const struct dkim_conf *c = cc->rt->conf;
	const struct dkim_key *key;
	DKIM_STAT st;
	size_t i, n;

	n = dkim_keys_lookup(c->keys, from_local, from_domain, c->multisig, m->req,
	    DKIM_SIGN_REQS_MAX);
	if (n == 0) {
		m->skip_why = "no signing key for the From domain";
		return 0;
	}
	for (i = 0; i < n; i++) {
		key = m->req[i].key;
		if (c->sign_engine == DKIM_SIGN_NATIVE) {
			if (native_start(cc, m, i) == -1) {
				*why = "cannot start signing";
				return -1;
			}
			m->nsign = i + 1;
			continue;
		}
		m->sign[i] = dkim_sign(cc->rt->lib, (const u_char *)m->id, NULL, key->pem,
		    (const u_char *)key->selector, (const u_char *)m->req[i].domain,
		    canon(c->hcanon), canon(c->bcanon),
		    key->alg == DKIM_KEY_ED25519 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256,
		    -1, &st);
		if (m->sign[i] == NULL) {
			mk_log_kv(MK_LOG_ERR, m->id, "d", m->req[i].domain, "s", key->selector,
			    "error", dkim_getresultstr(st), NULL);
			*why = "cannot start signing";
			return -1;
		}
		m->nsign = i + 1;
		/* libopendkim 2.11 folds the signature it hashes and the one it
		 * returns differently for Ed25519 (its "b=" wrap reserve is
		 * RSA-only), which breaks c=simple/...: no folding for Ed25519. */
		if (key->alg == DKIM_KEY_ED25519)
			(void)dkim_set_margin(m->sign[i], 0);
	}
	return 0;
}

int
dkim_sign_headers(const struct dkim_conn *cc, struct dkim_msg *m)
{
	const struct dkim_hdr *h;
	unsigned char *f;
	size_t i, len;
	int rc = 0;

	for (h = m->hdrs; h != NULL && rc == 0; h = h->next) {
		if ((f = dkim_field_text(cc, h, &len)) == NULL)
			return -1;
		for (i = 0; i < m->nsign && rc == 0; i++)
			if (m->native[i] != NULL &&
			    mk_dkim_signer_header(m->native[i], (const char *)f, len) == -1) {
				mk_log_kv(MK_LOG_WARN, m->id, "error", "header processing", "detail",
				    mk_dkim_signer_error(m->native[i]), NULL);
				rc = -1;
			}
		free(f);
	}
	return rc;
}

int
dkim_sign_body(struct dkim_msg *m, const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < m->nsign; i++)
		if (m->native[i] != NULL && mk_dkim_signer_body(m->native[i], buf, len) == -1)
			return -1;
	return 0;
}

/* Insert one DKIM-Signature field with value v (LF + TAB folds). 0 / -1. */
static int
insert_signature(struct mk_milter_ctx *ctx, const struct dkim_conn *cc, const char *v)
{
	char *val;
	int rc;

	if (!cc->leadspc)
		return mk_milter_insheader(ctx, 1, "DKIM-Signature", v) == 0 ? 0 : -1;
	if (asprintf(&val, " %s", v) < 0)
		return -1;
	rc = mk_milter_insheader(ctx, 1, "DKIM-Signature", val) == 0 ? 0 : -1;
	free(val);
	return rc;
}

/* Native signer i: sign and insert. 0 / -1 (*act, *why set; logged). */
static int
native_finish(struct mk_milter_ctx *ctx, const struct dkim_conn *cc, struct dkim_msg *m,
    size_t i, enum dkim_action *act, const char **why)
{
	const struct dkim_conf *c = cc->rt->conf;
	char *v = NULL;
	int rc;

	if (mk_dkim_signer_finish(m->native[i], &v) == -1) {
		mk_log_kv(MK_LOG_ERR, m->id, "d", m->req[i].domain, "s", m->req[i].key->selector,
		    "error", mk_dkim_signer_error(m->native[i]), NULL);
		*act = c->on_sigerror;
		*why = "signing failed";
		return -1;
	}
	rc = insert_signature(ctx, cc, v);
	free(v);
	if (rc == -1) {
		mk_log_kv(MK_LOG_ERR, m->id, "d", m->req[i].domain, "error",
		    "cannot add the signature header", NULL);
		*act = c->on_internal;
		*why = "cannot add the signature";
	}
	return rc;
}

/* Add one signature header field. 0 / -1. */
static int
add_signature(struct mk_milter_ctx *ctx, struct dkim_conn *cc, DKIM *d)
{
	u_char *hdr = NULL;
	size_t len = 0, i, o = 0;
	char *val;

	if (dkim_getsighdr_d(d, sizeof("DKIM-Signature: ") - 1, &hdr, &len) != DKIM_STAT_OK ||
	    hdr == NULL)
		return -1;
	if ((val = malloc(len + 2)) == NULL)
		return -1;
	if (cc->leadspc)
		val[o++] = ' ';
	for (i = 0; i < len && hdr[i] != '\0'; i++)
		if (hdr[i] != '\r')
			val[o++] = (char)hdr[i];
	val[o] = '\0';
	i = mk_milter_insheader(ctx, 1, "DKIM-Signature", val) == 0;
	free(val);
	return i ? 0 : -1;
}

/* One line per message: d=, s= and a= of every signature, comma-separated. */
static void
log_signed(const struct dkim_msg *m)
{
	char d[512] = "", sel[512] = "", alg[256] = "";
	size_t i;

	for (i = 0; i < m->nsign; i++) {
		snprintf(d + strlen(d), sizeof(d) - strlen(d), "%s%s", i ? "," : "", m->req[i].domain);
		snprintf(sel + strlen(sel), sizeof(sel) - strlen(sel), "%s%s", i ? "," : "",
		    m->req[i].key->selector);
		snprintf(alg + strlen(alg), sizeof(alg) - strlen(alg), "%s%s", i ? "," : "",
		    dkim_key_alg_name(m->req[i].key->alg));
	}
	mk_log_kv(MK_LOG_INFO, m->id, "action", "sign", "d", d, "s", sel, "a", alg, "login",
	    m->login[0] ? m->login : "-", NULL);
}

enum mk_milter_status
dkim_sign_finish(struct mk_milter_ctx *ctx, struct dkim_conn *cc, struct dkim_msg *m)
{
	const struct dkim_conf *c = cc->rt->conf;
	enum dkim_action act;
	const char *why;
	DKIM_STAT st;
	size_t i;

	for (i = 0; i < m->nsign; i++) {
		if (m->native[i] != NULL) {
			if (native_finish(ctx, cc, m, i, &act, &why) == -1)
				return dkim_milter_act(ctx, m, act, why);
			continue;
		}
		st = dkim_eom(m->sign[i], NULL);
		if (st != DKIM_STAT_OK) {
			mk_log_kv(MK_LOG_ERR, m->id, "d", m->req[i].domain, "s",
			    m->req[i].key->selector, "error", dkim_getresultstr(st), "detail",
			    dkim_geterror(m->sign[i]) ? dkim_geterror(m->sign[i]) : "-", NULL);
			return dkim_milter_act(ctx, m, c->on_sigerror, "signing failed");
		}
		if (add_signature(ctx, cc, m->sign[i]) == -1) {
			mk_log_kv(MK_LOG_ERR, m->id, "d", m->req[i].domain, "error",
			    "cannot add the signature header", NULL);
			return dkim_milter_act(ctx, m, c->on_internal, "cannot add the signature");
		}
	}
	log_signed(m);
	return MK_MS_ACCEPT;
}
