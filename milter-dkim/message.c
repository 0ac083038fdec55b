/*
 * milter-dkim/message.c: per-message decision (sign, verify or pass),
 * streaming the body into libopendkim, and the end-of-message dispatch.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/addr.h"
#include "lib/log.h"
#include "milter-dkim/hosts.h"
#include "milter-dkim/login_map.h"
#include "milter-dkim/milter.h"
#include "milter-dkim/session.h"

/* "Name:value" with every bare LF of a folded value made CRLF (the MTA
 * hands folded header fields with LF line ends). */
unsigned char *
dkim_field_text(const struct dkim_conn *cc, const struct dkim_hdr *h, size_t *len)
{
	size_t nl = strlen(h->name), vl = strlen(h->value), i, o;
	u_char *buf;

	if ((buf = malloc(nl + 2 * vl + 3)) == NULL)
		return NULL;
	memcpy(buf, h->name, nl);
	o = nl;
	buf[o++] = ':';
	if (!cc->leadspc)	/* without LEADSPC the MTA dropped the space after ':' */
		buf[o++] = ' ';
	for (i = 0; i < vl; i++) {
		if (h->value[i] == '\n' && (i == 0 || h->value[i - 1] != '\r'))
			buf[o++] = '\r';
		buf[o++] = (u_char)h->value[i];
	}
	*len = o;
	return buf;
}

DKIM_STAT
dkim_feed_header(DKIM *d, const struct dkim_conn *cc, const struct dkim_hdr *h)
{
	unsigned char *buf;
	DKIM_STAT st;
	size_t len;

	if ((buf = dkim_field_text(cc, h, &len)) == NULL)
		return DKIM_STAT_NORESOURCE;
	st = dkim_header(d, buf, len);
	free(buf);
	return st;
}

static const struct dkim_hdr *
hdr_find(const struct dkim_msg *m, const char *name)
{
	const struct dkim_hdr *h;

	for (h = m->hdrs; h != NULL; h = h->next)
		if (strcasecmp(h->name, name) == 0)
			return h;
	return NULL;
}

/* Signing applies: internal or authenticated client, one parsable From with
 * a key.  Returns 1 (sign), 0 (not for signing), -1 (act: *act, *why). */
static int
sign_decide(struct dkim_conn *cc, struct dkim_msg *m, struct mk_from *from,
    enum dkim_action *act, const char **why)
{
	const struct dkim_conf *c = cc->rt->conf;
	const struct dkim_hdr *fh;
	const char *perr;
	bool no_domain;

	if (!c->sign || (!cc->internal && m->login[0] == '\0'))
		return 0;
	if (m->nfrom > 1) {
		*act = c->on_security;
		*why = "several From header fields: not signed";
		return -1;
	}
	if ((fh = hdr_find(m, "From")) == NULL) {
		m->skip_why = "no From header field: not signed";
		return 0;
	}
	if (mk_from_parse(fh->value, strlen(fh->value), from, &perr) == -1) {
		m->skip_why = "unparsable From header field: not signed";
		return 0;
	}
	if (m->login[0] != '\0' &&
	    !dkim_login_may_send(c->login_map, m->login, from->addr[0].local,
	    from->addr[0].domain, &no_domain)) {
		if (!no_domain) {
			*act = c->on_sender;
			*why = "From address not allowed for the authenticated login";
			mk_log_kv(MK_LOG_NOTICE, m->id, "login", m->login, "from_domain",
			    from->addr[0].domain, "result", "sender-mismatch", NULL);
			return -1;
		}
		mk_log_kv(MK_LOG_INFO, m->id, "login", m->login, "note",
		    "login has no domain and is not in SenderLoginMap: From not bound", NULL);
	}
	return 1;
}

/* Feed the headers and end them.  A signing handle must take them all; a
 * verifying handle that finds them unacceptable (too many signatures, bad
 * syntax) still yields per-signature results at end of message. */
static int
feed_all(struct dkim_conn *cc, struct dkim_msg *m, DKIM *d, bool verify)
{
	const struct dkim_hdr *h;
	DKIM_STAT st;

	for (h = m->hdrs; h != NULL; h = h->next) {
		st = dkim_feed_header(d, cc, h);
		if (st == DKIM_STAT_NORESOURCE || (!verify && st != DKIM_STAT_OK &&
		    st != DKIM_STAT_SYNTAX))
			goto fail;
	}
	st = dkim_eoh(d);
	if (st == DKIM_STAT_OK || st == DKIM_STAT_NOSIG || st == DKIM_STAT_SYNTAX ||
	    st == DKIM_STAT_CANTVRFY || (verify && st != DKIM_STAT_NORESOURCE))
		return 0;
fail:
	mk_log_kv(MK_LOG_WARN, m->id, "error", "header processing", "status",
	    dkim_getresultstr(st), "detail", dkim_geterror(d) ? dkim_geterror(d) : "-", NULL);
	return -1;
}

/* VerifyEngine native: the header fields, as received, then their end (a
 * field refused for size makes every signature "header too large"). */
static size_t
feed_native(const struct dkim_conn *cc, struct dkim_msg *m)
{
	const struct dkim_hdr *h;
	unsigned char *f;
	size_t len;

	for (h = m->hdrs; h != NULL; h = h->next) {
		if ((f = dkim_field_text(cc, h, &len)) == NULL)
			break;
		(void)mk_dkim_verifier_header(m->nverify, (const char *)f, len);
		free(f);
	}
	return mk_dkim_verifier_eoh(m->nverify);
}

/* An external, unauthenticated client sending as a domain we sign for:
 * logged as OpenDKIM does ("external host ... attempted to send as ..."),
 * unless the client is in ExternalIgnoreList.  The message is verified as
 * any other external mail. */
static void
note_external_sender(const struct dkim_conn *cc, const struct dkim_msg *m)
{
	const struct dkim_conf *c = cc->rt->conf;
	struct dkim_sign_req req[1];
	const struct dkim_hdr *fh;
	struct mk_from from;
	const char *perr;

	if (!c->sign || cc->internal || m->login[0] != '\0' || m->nfrom != 1 ||
	    (c->ext_ignore != NULL &&
	    dkim_hosts_match(c->ext_ignore, cc->ip, cc->host[0] ? cc->host : NULL)) ||
	    (fh = hdr_find(m, "From")) == NULL ||
	    mk_from_parse(fh->value, strlen(fh->value), &from, &perr) == -1 ||
	    dkim_keys_lookup(c->keys, from.addr[0].local, from.addr[0].domain, false, req, 1) == 0)
		return;
	mk_log_kv(MK_LOG_NOTICE, m->id, "client", cc->ip[0] ? cc->ip : "-", "from_domain",
	    from.addr[0].domain, "note", "external host attempted to send as a signing domain",
	    NULL);
}

enum mk_milter_status
dkim_msg_start(struct mk_milter_ctx *ctx, struct dkim_conn *cc, struct dkim_msg *m)
{
	const struct dkim_conf *c = cc->rt->conf;
	struct mk_from from;
	enum dkim_action act = DKIM_ACT_ACCEPT;
	const char *why = NULL;
	size_t i;
	int rc;

	if (m->hdr_overflow)
		return dkim_milter_act(ctx, m, c->on_default, "too many header bytes: not processed");
	rc = sign_decide(cc, m, &from, &act, &why);
	if (rc == -1)
		return dkim_milter_act(ctx, m, act, why);	/* quarantine: continues to eom */
	if (rc == 1 && dkim_sign_start(cc, m, from.addr[0].local, from.addr[0].domain, &why) == -1)
		return dkim_milter_act(ctx, m, c->on_internal, why);
	if (rc == 0)
		note_external_sender(cc, m);
	if (m->nsign == 0 && c->verify && !cc->internal && m->login[0] == '\0' &&
	    dkim_verify_start(cc, m, &why) == -1)
		return dkim_milter_act(ctx, m, c->on_internal, why);
	if (m->nsign == 0 && m->verify == NULL && m->nverify == NULL) {
		mk_log_kv(MK_LOG_INFO, m->id, "action", "pass", "reason",
		    m->skip_why ? m->skip_why : rc == 1 || !c->sign ? "not verified" : "no key",
		    NULL);
		return MK_MS_ACCEPT;
	}
	for (i = 0; i < m->nsign; i++)
		if (m->sign[i] != NULL && feed_all(cc, m, m->sign[i], false) == -1)
			return dkim_milter_act(ctx, m, c->on_internal, "header processing failed");
	if (dkim_sign_headers(cc, m) == -1)
		return dkim_milter_act(ctx, m, c->on_internal, "header processing failed");
	if (m->verify != NULL && feed_all(cc, m, m->verify, true) == -1)
		return dkim_milter_act(ctx, m, c->on_internal, "header processing failed");
	/* no signature, or every key among the recent ones: the end of the
	 * message needs no DNS and runs on the event loop */
	if (m->nverify != NULL && (feed_native(cc, m) == 0 || dkim_verify_prefetch(m) == 0))
		(void)mk_milter_setoffload(ctx, 0);
	return MK_MS_CONTINUE;
}

enum mk_milter_status
dkim_msg_body(struct mk_milter_ctx *ctx, struct dkim_conn *cc, struct dkim_msg *m,
    unsigned char *buf, size_t len)
{
	DKIM_STAT st;
	size_t i;

	m->body_bytes += len;
	for (i = 0; i < m->nsign; i++) {
		st = m->sign[i] != NULL ? dkim_body(m->sign[i], buf, len) : DKIM_STAT_OK;
		if (st != DKIM_STAT_OK)
			return dkim_milter_act(ctx, m, cc->rt->conf->on_internal, "body processing failed");
	}
	if (dkim_sign_body(m, buf, len) == -1)
		return dkim_milter_act(ctx, m, cc->rt->conf->on_internal, "body processing failed");
	if (m->nverify != NULL)
		mk_dkim_verifier_body(m->nverify, buf, len);
	if (m->verify != NULL) {
		st = dkim_body(m->verify, buf, len);
		if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG)
			return dkim_milter_act(ctx, m, cc->rt->conf->on_internal, "body processing failed");
	}
	return MK_MS_CONTINUE;
}

enum mk_milter_status
dkim_msg_eom(struct mk_milter_ctx *ctx, struct dkim_conn *cc, struct dkim_msg *m)
{
	if (m->quarantine != NULL) {
		mk_milter_quarantine(ctx, m->quarantine);
		return MK_MS_ACCEPT;
	}
	if (m->nsign > 0)
		return dkim_sign_finish(ctx, cc, m);
	if (m->verify != NULL || m->nverify != NULL)
		return dkim_verify_finish(ctx, cc, m);
	return MK_MS_ACCEPT;
}
