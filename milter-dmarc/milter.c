/*
 * milter-dmarc/milter.c: milter callbacks (lib/milter.h).  They only collect: the
 * client (IgnoreHosts), HELO, MAIL FROM, SMTP AUTH, the From header
 * fields, trusted Authentication-Results / Received-SPF and the forged
 * A-R fields to remove.  The decision is verdict.c's (end of message).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lib/authres.h"
#include "lib/log.h"
#include "milter-dmarc/arc_trust.h"
#include "milter-dmarc/dmarc_conf.h"
#include "milter-dmarc/failure.h"
#include "milter-dmarc/from_idn.h"
#include "milter-dmarc/ignore.h"
#include "milter-dmarc/runtime.h"
#include "milter-dmarc/session.h"

static struct dmarc_conn *
conn_of(struct mk_milter_ctx *ctx)
{
	return mk_milter_getpriv(ctx);
}

static void
msg_free(struct dmarc_conn *c)
{
	if (c != NULL) {
		if (c->msg != NULL)
			free(c->msg->hdrs);
		free(c->msg);
		c->msg = NULL;
	}
}

/* Ask the MTA not to send what we do not read (body, RCPT, DATA, unknown
 * commands) and not to wait for our reply to CONNECT, HELO, each header and
 * EOH: those callbacks never decide, but for CONNECT's accept of an ignored
 * host, which then waits for the reply to MAIL (before any header is sent);
 * every saved round trip counts at the message rate of a busy MX. */
#define DMARC_NR_WANTED (MK_MP_NR_CONN | MK_MP_NR_HELO | MK_MP_NR_HDR | MK_MP_NR_EOH)
#define DMARC_NO_WANTED (MK_MP_NOBODY | MK_MP_NORCPT | MK_MP_NODATA | MK_MP_NOUNKNOWN)

static enum mk_milter_status
cb_negotiate(struct mk_milter_ctx *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	struct dmarc_conn *c = calloc(1, sizeof(*c));

	(void)f2;
	(void)f3;
	if (c == NULL)
		return MK_MS_REJECT;	/* refuse the connection */
	c->noreply = f1 & DMARC_NR_WANTED;
	mk_milter_setpriv(ctx, c);
	*pf0 = f0 & (MK_MA_ADDHDRS | MK_MA_CHGHDRS | MK_MA_QUARANTINE | MK_MA_ADDRCPT);
	*pf1 = f1 & (DMARC_NR_WANTED | DMARC_NO_WANTED);
	*pf2 = 0;
	*pf3 = 0;
	/* the macros read below, asked for even when an admin trimmed
	 * milter_*_macros (an MTA that takes no lists keeps its own) */
	(void)mk_milter_setsymlist(ctx, MK_MSYM_ENVFROM, "i {auth_authen}");
	(void)mk_milter_setsymlist(ctx, MK_MSYM_EOM, "i");
	return MK_MS_CONTINUE;
}

/* The reply of a callback whose step may be negotiated "no reply". */
static enum mk_milter_status
continue_or_noreply(const struct dmarc_conn *c, unsigned long step)
{
	return c != NULL && (c->noreply & step) ? MK_MS_NOREPLY : MK_MS_CONTINUE;
}

static enum mk_milter_status
cb_connect(struct mk_milter_ctx *ctx, char *host, const struct sockaddr *sa)
{
	struct dmarc_conn *c = conn_of(ctx);

	(void)host;
	if (c == NULL && (c = calloc(1, sizeof(*c))) == NULL)
		return MK_MS_TEMPFAIL;
	c->rt = dmarc_runtime_get();
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, c->ip,
		    sizeof(c->ip));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    c->ip, sizeof(c->ip));
	c->ignore = c->ip[0] != '\0' && dmarc_ignore_match(c->rt->conf->ignore, c->ip);
	mk_milter_setpriv(ctx, c);
	if (c->ignore) {
		mk_log_kv(MK_LOG_INFO, NULL, "client", c->ip, "action", "skip",
		    "reason", "IgnoreHosts", NULL);
		return MK_MS_ACCEPT;
	}
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
cb_helo(struct mk_milter_ctx *ctx, char *helo)
{
	struct dmarc_conn *c = conn_of(ctx);
	const char *why;

	if (c == NULL)
		return MK_MS_CONTINUE;
	c->helo[0] = '\0';
	if (helo != NULL && mk_domain_normalize(helo, strlen(helo), c->helo, sizeof(c->helo),
	    &why) == -1)
		c->helo[0] = '\0';	/* an address literal or junk: no HELO identity */
	return continue_or_noreply(c, MK_MP_NR_HELO);
}

/* 8-bit bytes (RFC 6531/6532: UTF-8 addresses, maybe U-label domains). */
static bool
has_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

static void
msg_set_sender(struct dmarc_msg *m, const char *arg, const char *helo)
{
	struct mk_path path;
	const char *why;
	char *conv = NULL;
	bool changed;
	size_t end;

	snprintf(m->spf_sess.helo, sizeof(m->spf_sess.helo), "%s", helo);
	/* SMTPUTF8: a U-label domain is taken as its A-labels (from_idn.h) */
	if (arg != NULL && has_8bit(arg) &&
	    (conv = dmarc_from_alabels(arg, strlen(arg), &changed, &why)) != NULL)
		arg = conv;
	if (arg == NULL || mk_path_parse(arg, strlen(arg), MK_PATH_LAX, &path, &end, &why) == -1 ||
	    path.null) {
		m->spf_sess.null_sender = true;
		free(conv);
		return;
	}
	free(conv);
	mk_addr_format(&path.addr, m->spf_sess.mailfrom, sizeof(m->spf_sess.mailfrom));
	snprintf(m->spf_sess.mailfrom_domain, sizeof(m->spf_sess.mailfrom_domain), "%s",
	    path.addr.domain);
}

/* IgnoreMailFrom: the MAIL FROM domain is listed (exact, any case). */
static bool
mailfrom_ignored(const struct dmarc_conf *conf, const struct dmarc_msg *m)
{
	size_t i;

	if (m->spf_sess.null_sender)
		return false;
	for (i = 0; i < conf->nignore_mailfrom; i++)
		if (mk_domain_equal(conf->ignore_mailfrom[i], m->spf_sess.mailfrom_domain))
			return true;
	return false;
}

static enum mk_milter_status
cb_envfrom(struct mk_milter_ctx *ctx, char **argv)
{
	struct dmarc_conn *c = conn_of(ctx);
	struct dmarc_msg *m;
	const char *auth, *qid;

	if (c == NULL)
		return MK_MS_TEMPFAIL;
	if (c->ignore)		/* CONNECT's accept (no reply there) is per message here */
		return MK_MS_ACCEPT;
	msg_free(c);
	if ((m = c->msg = calloc(1, sizeof(*m))) == NULL)
		return MK_MS_TEMPFAIL;
	msg_set_sender(m, argv[0], c->helo);
	auth = mk_milter_getsymval(ctx, "{auth_authen}");
	m->auth_client = auth != NULL && auth[0] != '\0';
	if ((qid = mk_milter_getsymval(ctx, "i")) != NULL)
		snprintf(m->qid, sizeof(m->qid), "%s", qid);
	if (m->auth_client && c->rt->conf->ignore_auth) {
		mk_log_kv(MK_LOG_INFO, m->qid[0] ? m->qid : NULL, "action", "skip",
		    "reason", "IgnoreAuthenticatedClients", NULL);
		msg_free(c);
		return MK_MS_ACCEPT;
	}
	if (mailfrom_ignored(c->rt->conf, m)) {
		mk_log_kv(MK_LOG_INFO, m->qid[0] ? m->qid : NULL, "mailfrom",
		    m->spf_sess.mailfrom_domain, "action", "skip", "reason", "IgnoreMailFrom", NULL);
		msg_free(c);
		return MK_MS_ACCEPT;
	}
	return MK_MS_CONTINUE;
}

/* RFC 5322 3.6: [0] and [1] exactly once, the others at most once. */
static const char *const rfc5322_fields[DMARC_RFC5322_N] = {
	"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID", "In-Reply-To",
	"References", "Subject",
};

static void
rfc5322_count(struct dmarc_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < DMARC_RFC5322_N; i++)
		if (strcasecmp(name, rfc5322_fields[i]) == 0) {
			if (m->rfc5322[i] < 2)
				m->rfc5322[i]++;
			return;
		}
}

int
dmarc_rfc5322_check(const struct dmarc_msg *m, char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < DMARC_RFC5322_N; i++) {
		if (i < 2 && m->rfc5322[i] == 0) {
			snprintf(why, whylen, "no %s header field", rfc5322_fields[i]);
			return -1;
		}
		if (m->rfc5322[i] > 1) {
			snprintf(why, whylen, "several %s header fields", rfc5322_fields[i]);
			return -1;
		}
	}
	if (m->from_bad || m->ndomains == 0) {
		snprintf(why, whylen, "no domain name in the From header field");
		return -1;
	}
	return 0;
}

static void
hdr_from(struct dmarc_msg *m, const char *value)
{
	struct mk_from *f = calloc(1, sizeof(*f));
	const char *why = NULL;
	char *conv = NULL;
	bool changed = false;
	size_t i, j;

	m->nfrom++;
	if (f != NULL && has_8bit(value) &&
	    (conv = dmarc_from_alabels(value, strlen(value), &changed, &why)) != NULL)
		value = conv;
	if (f == NULL || why != NULL || mk_from_parse(value, strlen(value), f, &why) == -1) {
		if (why != NULL)
			mk_log_kv(MK_LOG_INFO, m->qid[0] ? m->qid : NULL, "from", "unparseable",
			    "why", why, NULL);
		m->from_bad = true;
		free(conv);
		free(f);
		return;
	}
	free(conv);
	for (i = 0; i < f->count; i++) {
		for (j = 0; j < m->ndomains; j++)
			if (strcmp(m->domains[j], f->addr[i].domain) == 0)
				break;
		if (j < m->ndomains)
			continue;
		if (m->ndomains == DMARC_DOMAINS_MAX) {
			m->domains_overflow = true;
			continue;
		}
		snprintf(m->domains[m->ndomains++], sizeof(m->domains[0]), "%s", f->addr[i].domain);
	}
	free(f);
}

/* An upstream A-R or Received-SPF may name the envelope sender in U-labels
 * (smtp.mailfrom=b@bücher.example; mailaka-spf and OpenDKIM write what the
 * MTA passed them), while MAIL FROM was taken as A-labels (msg_set_sender):
 * the addresses of the field are converted the same way (from_idn.h), so
 * that they match.  NULL: use the value as it is. */
static char *
field_alabels(const char *value)
{
	const char *why;
	bool changed;

	if (!has_8bit(value))
		return NULL;
	return dmarc_authres_alabels(value, strlen(value), &changed, &why);
}

/* DomainWhitelist (arc_trust.h): count the arc=pass results of a trusted
 * A-R; the first one's arc.chain decides (a second makes it void). */
static void
arc_results(const struct dmarc_conf *conf, struct dmarc_msg *m, const struct mk_authres *ar)
{
	const char *chain;
	size_t i;

	if (dmarc_arc_trust_count(conf->arc_trust) == 0)
		return;
	for (i = 0; i < ar->count; i++) {
		if (strcmp(ar->res[i].method, "arc") != 0 || strcmp(ar->res[i].result, "pass") != 0)
			continue;
		if (m->arc_pass++ == 0 && (chain = mk_authres_prop(&ar->res[i], "arc.chain")) != NULL)
			m->arc_chain_trusted = dmarc_arc_chain_trusted(conf->arc_trust, chain,
			    strlen(chain));
	}
}

/* A-R: remember forged ones (our authserv-id with a dmarc result) for
 * removal; read DKIM/SPF results of trusted ones. */
static void
hdr_authres(const struct dmarc_conf *conf, struct dmarc_msg *m, const char *value)
{
	struct mk_authres *ar = calloc(1, sizeof(*ar));
	char *conv = field_alabels(value);
	const char *why;

	m->ar_seen++;
	if (conv != NULL)
		value = conv;
	if (ar == NULL || mk_authres_parse(value, strlen(value), ar, &why) == -1) {
		free(conv);
		free(ar);
		return;
	}
	free(conv);
	if (strcasecmp(ar->authserv_id, conf->authserv_id) == 0 &&
	    mk_authres_find(ar, "dmarc") != NULL && m->nremove < DMARC_REMOVE_MAX)
		m->remove[m->nremove++] = m->ar_seen;
	else if (mk_arparse_id_is_trusted(ar->authserv_id, conf->trusted, conf->ntrusted)) {
		m->ntrusted_ar++;
		arc_results(conf, m, ar);
		mk_arparse_dkim_authres(ar, &m->dk);
		if (!m->have_spf_ar && mk_arparse_spf_authres(ar, &m->spf_sess, &m->spf_ar,
		    &m->spf_ar_helo) == 0)
			m->have_spf_ar = true;
	}
	free(ar);
}

/* Received-SPF: only the topmost one, and only from a trusted receiver. */
static void
hdr_received_spf(const struct dmarc_conf *conf, struct dmarc_msg *m, const char *value)
{
	struct mk_received_spf r;
	char *conv;
	const char *why;
	int rc;

	if (m->rspf_seen)
		return;
	m->rspf_seen = true;
	if ((conv = field_alabels(value)) != NULL)
		value = conv;
	rc = mk_received_spf_parse(value, strlen(value), &r, &why);
	free(conv);
	if (rc == -1 || !mk_arparse_id_is_trusted(r.receiver, conf->trusted, conf->ntrusted))
		return;
	if (mk_arparse_spf_received(&r, &m->spf_sess, &m->spf_rspf, &m->spf_rspf_helo) == 0)
		m->have_spf_rspf = true;
}

/* Keep the header fields (bounded) for a failure report. */
static void
hdr_keep(struct dmarc_msg *m, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *p;

	if (m->hdrs_len + n > DMARC_HDRS_MAX)
		return;
	if ((p = realloc(m->hdrs, m->hdrs_len + n + 1)) == NULL)
		return;
	m->hdrs = p;
	m->hdrs_len += (size_t)snprintf(p + m->hdrs_len, n + 1, "%s: %s\n", name, value);
}

static enum mk_milter_status
cb_header(struct mk_milter_ctx *ctx, char *name, char *value)
{
	struct dmarc_conn *c = conn_of(ctx);
	struct dmarc_msg *m;

	if (c == NULL || (m = c->msg) == NULL)
		return continue_or_noreply(c, MK_MP_NR_HDR);
	if (c->rt->conf->failure_reports)
		hdr_keep(m, name, value);
	rfc5322_count(m, name);
	if (strcasecmp(name, "From") == 0)
		hdr_from(m, value);
	else if (strcasecmp(name, "Authentication-Results") == 0)
		hdr_authres(c->rt->conf, m, value);
	else if (strcasecmp(name, "Received-SPF") == 0)
		hdr_received_spf(c->rt->conf, m, value);
	return continue_or_noreply(c, MK_MP_NR_HDR);
}

/* Present so that the MTA sends end-of-header (miltertest needs it). */
static enum mk_milter_status
cb_eoh(struct mk_milter_ctx *ctx)
{
	struct dmarc_conn *c = conn_of(ctx);

	/* the answers are known: end of message on the event loop, no hand-off */
	if (c != NULL && c->msg != NULL && dmarc_probe(c, c->msg) == 0)
		(void)mk_milter_setoffload(ctx, 0);
	return continue_or_noreply(c, MK_MP_NR_EOH);
}

static enum mk_milter_status
cb_eom(struct mk_milter_ctx *ctx)
{
	struct dmarc_conn *c = conn_of(ctx);
	const char *qid;
	enum mk_milter_status rc;

	if (c == NULL || c->msg == NULL)
		return MK_MS_ACCEPT;
	if (c->msg->qid[0] == '\0' && (qid = mk_milter_getsymval(ctx, "i")) != NULL)
		snprintf(c->msg->qid, sizeof(c->msg->qid), "%s", qid);
	rc = dmarc_eom(ctx, c, c->msg);
	msg_free(c);
	return rc;
}

static enum mk_milter_status
cb_abort(struct mk_milter_ctx *ctx)
{
	msg_free(conn_of(ctx));
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
cb_close(struct mk_milter_ctx *ctx)
{
	struct dmarc_conn *c = conn_of(ctx);

	msg_free(c);
	if (c != NULL)
		dmarc_runtime_put(c->rt);
	free(c);
	mk_milter_setpriv(ctx, NULL);
	return MK_MS_CONTINUE;
}

/* DNS (DMARC records, SPF self-validation), the history store and failure
 * reports all happen at end of message: only that stage may block. */
static const struct mk_milter_desc dmarc_desc = {
	.name = "mailaka-dmarc",
	.actions = MK_MA_ADDHDRS | MK_MA_CHGHDRS | MK_MA_QUARANTINE | MK_MA_ADDRCPT,
	.offload = MK_MSTAGE_EOM,
	.negotiate = cb_negotiate,
	.connect = cb_connect,
	.helo = cb_helo,
	.envfrom = cb_envfrom,
	.header = cb_header,
	.eoh = cb_eoh,
	.eom = cb_eom,
	.abort = cb_abort,
	.close = cb_close,
};

const struct mk_milter_desc *
dmarc_milter_desc(void)
{
	return &dmarc_desc;
}
