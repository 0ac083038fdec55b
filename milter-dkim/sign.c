/*
 * milter-dkim/sign.c: signing -- one libopendkim signing handle per key
 * chosen for the From address; at end of message each signature header is
 * added above the first header field.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "milter-dkim/milter.h"
#include "milter-dkim/session.h"

static dkim_canon_t
canon(enum dkim_canon c)
{
	return c == DKIM_C_RELAXED ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
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

/* Add one signature header field. 0 / -1. */
static int
add_signature(SMFICTX *ctx, struct dkim_conn *cc, DKIM *d)
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
	i = smfi_insheader(ctx, 1, "DKIM-Signature", val) == MI_SUCCESS;
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

sfsistat
dkim_sign_finish(SMFICTX *ctx, struct dkim_conn *cc, struct dkim_msg *m)
{
	const struct dkim_conf *c = cc->rt->conf;
	DKIM_STAT st;
	size_t i;

	for (i = 0; i < m->nsign; i++) {
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
	return SMFIS_ACCEPT;
}
