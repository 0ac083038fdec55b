/*
 * milter-dkim/milter.c: milter callbacks (lib/milter.h).  Each callback checks its
 * input, records what the later steps need and calls named steps in
 * sign.c / verify.c; the per-message context is freed from both abort
 * and close (and at the next MAIL FROM).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lib/addr.h"
#include "lib/dns.h"
#include "lib/log.h"
#include "lib/milter.h"
#include "milter-dkim/hosts.h"
#include "milter-dkim/login_map.h"
#include "milter-dkim/milter.h"
#include "milter-dkim/session.h"

static pthread_mutex_t runtime_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dkim_runtime *runtime_cur;
static unsigned long long msg_counter;

/* ---- runtime snapshots ---------------------------------------------------- */

void
dkim_runtime_set(struct dkim_runtime *rt)
{
	struct dkim_runtime *old;

	pthread_mutex_lock(&runtime_lock);
	old = runtime_cur;
	rt->refs++;
	runtime_cur = rt;
	pthread_mutex_unlock(&runtime_lock);
	if (old != NULL)
		dkim_runtime_put(old);
}

struct dkim_runtime *
dkim_runtime_get(void)
{
	struct dkim_runtime *rt;

	pthread_mutex_lock(&runtime_lock);
	rt = runtime_cur;
	if (rt != NULL)
		rt->refs++;
	pthread_mutex_unlock(&runtime_lock);
	return rt;
}

void
dkim_runtime_put(struct dkim_runtime *rt)
{
	bool last;

	if (rt == NULL)
		return;
	pthread_mutex_lock(&runtime_lock);
	last = --rt->refs == 0;
	pthread_mutex_unlock(&runtime_lock);
	if (last)
		dkim_runtime_free(rt);
}

/* ---- per-message context -------------------------------------------------- */

static struct dkim_msg *
msg_free(struct dkim_msg *m)
{
	struct dkim_hdr *h, *next;
	size_t i;

	if (m == NULL)
		return NULL;
	for (h = m->hdrs; h != NULL; h = next) {
		next = h->next;
		free(h->name);
		free(h->value);
		free(h);
	}
	for (i = 0; i < m->nsign; i++) {
		if (m->sign[i] != NULL)
			dkim_free(m->sign[i]);
		mk_dkim_signer_free(m->native[i]);
	}
	if (m->verify != NULL)
		dkim_free(m->verify);
	mk_dkim_verifier_free(m->nverify);
	for (i = 0; i < m->npre; i++) {
		free(m->pre[i].name);
		free(m->pre[i].txt);
	}
	free(m->pre);
	free(m);
	return NULL;
}

static struct dkim_conn *
conn_of(struct mk_milter_ctx *ctx)
{
	return mk_milter_getpriv(ctx);
}

/* The connection context, created at the first callback (negotiate, or
 * connect with an MTA that does not negotiate). */
static struct dkim_conn *
conn_ensure(struct mk_milter_ctx *ctx)
{
	struct dkim_conn *cc = mk_milter_getpriv(ctx);

	if (cc != NULL)
		return cc;
	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return NULL;
	if ((cc->rt = dkim_runtime_get()) == NULL) {
		free(cc);
		return NULL;
	}
	mk_milter_setpriv(ctx, cc);
	return cc;
}

/* Reply for an action taken on a message; logs it. */
enum mk_milter_status
dkim_milter_act(struct mk_milter_ctx *ctx, struct dkim_msg *m, enum dkim_action a,
    const char *why)
{
	mk_log_kv(MK_LOG_NOTICE, m ? m->id : NULL, "action", dkim_action_name(a),
	    "reason", why, NULL);
	switch (a) {
	case DKIM_ACT_ACCEPT:
		return MK_MS_ACCEPT;
	case DKIM_ACT_DISCARD:
		return MK_MS_DISCARD;
	case DKIM_ACT_QUARANTINE:
		/* libmilter allows quarantine only at end of message */
		if (m != NULL && !m->in_eom) {
			m->quarantine = why;
			return MK_MS_CONTINUE;
		}
		mk_milter_quarantine(ctx, why);
		return MK_MS_ACCEPT;
	case DKIM_ACT_REJECT:
		mk_milter_setreply(ctx, "550", "5.7.1", why);
		return MK_MS_REJECT;
	case DKIM_ACT_TEMPFAIL:
	default:
		mk_milter_setreply(ctx, "451", "4.7.5", why);
		return MK_MS_TEMPFAIL;
	}
}

/* ---- callbacks ---------------------------------------------------------- */

static enum mk_milter_status
mlfi_negotiate(struct mk_milter_ctx *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	unsigned long want0 = MK_MA_ADDHDRS | MK_MA_CHGHDRS | MK_MA_QUARANTINE;
	unsigned long skip = MK_MP_NOHELO | MK_MP_NORCPT | MK_MP_NOUNKNOWN | MK_MP_NODATA;
	/* no reply to CONNECT, MAIL, each header, end of header and each body
	 * chunk: fewer round trips (a verdict there waits for the next stage
	 * that replies, end of message; both engines hold it).  The price of no
	 * reply at end of header: a message we neither sign nor verify (no key
	 * for it, no DKIM-Signature) can no longer be accepted there, so the
	 * MTA streams its body to us for nothing.  Signed and verified messages
	 * are most of the traffic, and a round trip fewer is worth more to
	 * them: bench/dkim-load, Ed25519, 2 KB, 10-15 % more messages/s with one
	 * session, 3-13 % with eight (no reply to body chunks alone saved 0.17 ms
	 * of CPU per message through Postfix, bench/dkim-postfix) */
	unsigned long noreply = MK_MP_NR_CONN | MK_MP_NR_MAIL | MK_MP_NR_HDR | MK_MP_NR_EOH |
	    MK_MP_NR_BODY;

	struct dkim_conn *cc;

	(void)f2;
	(void)f3;
	if ((f0 & (MK_MA_ADDHDRS | MK_MA_CHGHDRS)) != (MK_MA_ADDHDRS | MK_MA_CHGHDRS))
		return MK_MS_REJECT;
	if ((cc = conn_ensure(ctx)) == NULL)
		return MK_MS_TEMPFAIL;
	cc->leadspc = (f1 & MK_MP_HDR_LEADSPC) != 0;
	*pf0 = want0 & f0;
	*pf1 = (skip | noreply | MK_MP_HDR_LEADSPC) & f1;
	*pf2 = 0;
	*pf3 = 0;
	/* the macros read below, asked for even when an admin trimmed
	 * milter_*_macros (an MTA that takes no lists keeps its own) */
	(void)mk_milter_setsymlist(ctx, MK_MSYM_ENVFROM, "i {auth_authen}");
	(void)mk_milter_setsymlist(ctx, MK_MSYM_EOH, "i");
	(void)mk_milter_setsymlist(ctx, MK_MSYM_EOM, "i");
	return MK_MS_CONTINUE;
}

static void
addr_string(const struct sockaddr *sa, char *out, size_t outsz)
{
	out[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		    (socklen_t)outsz);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    out, (socklen_t)outsz);
}

static enum mk_milter_status
mlfi_connect(struct mk_milter_ctx *ctx, char *host, const struct sockaddr *sa)
{
	struct dkim_conn *cc;

	if ((cc = conn_ensure(ctx)) == NULL)
		return MK_MS_TEMPFAIL;
	addr_string(sa, cc->ip, sizeof(cc->ip));
	snprintf(cc->host, sizeof(cc->host), "%s", host ? host : "");
	/* a client without an IP address (local submission, sendmail -bs) is internal */
	cc->internal = cc->ip[0] == '\0' ||
	    dkim_hosts_match(cc->rt->conf->internal, cc->ip, cc->host[0] ? cc->host : NULL);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
mlfi_envfrom(struct mk_milter_ctx *ctx, char **argv)
{
	struct dkim_conn *cc = conn_of(ctx);
	const char *auth, *qid;

	(void)argv;
	if (cc == NULL)
		return MK_MS_TEMPFAIL;
	cc->msg = msg_free(cc->msg);
	if ((cc->msg = calloc(1, sizeof(*cc->msg))) == NULL)
		return MK_MS_TEMPFAIL;
	cc->msg->rt = cc->rt;
	if ((auth = mk_milter_getsymval(ctx, "{auth_authen}")) != NULL)
		snprintf(cc->msg->login, sizeof(cc->msg->login), "%s", auth);
	pthread_mutex_lock(&runtime_lock);
	msg_counter++;
	snprintf(cc->msg->id, sizeof(cc->msg->id), "m%llx", msg_counter);
	pthread_mutex_unlock(&runtime_lock);
	if ((qid = mk_milter_getsymval(ctx, "i")) != NULL && qid[0] != '\0')
		snprintf(cc->msg->id, sizeof(cc->msg->id), "%s", qid);
	/* Internal or authenticated: signed or passed, never verified, so no
	 * key lookup (DNS): nothing blocks, and signing (0.25 ms RSA-2048,
	 * 0.04 ms Ed25519) runs on the session's event loop -- engine own has
	 * one per CPU, and a hand-off to a worker and back costs more than an
	 * Ed25519 signature. */
	if (cc->internal || cc->msg->login[0] != '\0')
		(void)mk_milter_setoffload(ctx, 0);
	else if (cc->rt->conf->verify_native)	/* keys are looked up at EOM only */
		(void)mk_milter_setoffload(ctx, MK_MSTAGE_EOM);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
mlfi_header(struct mk_milter_ctx *ctx, char *name, char *value)
{
	struct dkim_conn *cc = conn_of(ctx);
	struct dkim_msg *m;
	struct dkim_hdr *h;
	size_t n;

	if (cc == NULL || (m = cc->msg) == NULL)
		return MK_MS_TEMPFAIL;
	n = strlen(name) + strlen(value) + 2;
	if (m->nhdrs >= DKIM_HDR_COUNT_MAX || m->hdr_bytes + n > DKIM_HDR_BYTES_MAX) {
		m->hdr_overflow = true;
		return MK_MS_CONTINUE;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL || (h->name = strdup(name)) == NULL ||
	    (h->value = strdup(value)) == NULL) {
		if (h != NULL) {
			free(h->name);
			free(h);
		}
		return MK_MS_TEMPFAIL;
	}
	if (m->hdr_tail != NULL)
		m->hdr_tail->next = h;
	else
		m->hdrs = h;
	m->hdr_tail = h;
	m->nhdrs++;
	m->hdr_bytes += n;
	if (strcasecmp(name, "From") == 0)
		m->nfrom++;
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
mlfi_eoh(struct mk_milter_ctx *ctx)
{
	struct dkim_conn *cc = conn_of(ctx);
	const char *qid;

	if (cc == NULL || cc->msg == NULL)
		return MK_MS_TEMPFAIL;
	if ((qid = mk_milter_getsymval(ctx, "i")) != NULL && qid[0] != '\0')
		snprintf(cc->msg->id, sizeof(cc->msg->id), "%s", qid);
	return dkim_msg_start(ctx, cc, cc->msg);
}

static enum mk_milter_status
mlfi_body(struct mk_milter_ctx *ctx, unsigned char *buf, size_t len)
{
	struct dkim_conn *cc = conn_of(ctx);

	if (cc == NULL || cc->msg == NULL)
		return MK_MS_TEMPFAIL;
	return dkim_msg_body(ctx, cc, cc->msg, buf, len);
}

static enum mk_milter_status
mlfi_eom(struct mk_milter_ctx *ctx)
{
	struct dkim_conn *cc = conn_of(ctx);
	const char *qid;
	enum mk_milter_status rc;

	if (cc == NULL || cc->msg == NULL)
		return MK_MS_TEMPFAIL;
	if ((qid = mk_milter_getsymval(ctx, "i")) != NULL && qid[0] != '\0')
		snprintf(cc->msg->id, sizeof(cc->msg->id), "%s", qid);
	cc->msg->in_eom = true;
	rc = dkim_msg_eom(ctx, cc, cc->msg);
	cc->msg = msg_free(cc->msg);
	return rc;
}

static enum mk_milter_status
mlfi_abort(struct mk_milter_ctx *ctx)
{
	struct dkim_conn *cc = conn_of(ctx);

	if (cc != NULL)
		cc->msg = msg_free(cc->msg);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
mlfi_close(struct mk_milter_ctx *ctx)
{
	struct dkim_conn *cc = conn_of(ctx);

	if (cc == NULL)
		return MK_MS_CONTINUE;
	cc->msg = msg_free(cc->msg);
	dkim_runtime_put(cc->rt);
	free(cc);
	mk_milter_setpriv(ctx, NULL);
	return MK_MS_CONTINUE;
}

/* Key lookups run at end of header (libopendkim's dkim_eoh processes the
 * signatures: DNS), signing and verifying at end of message (RSA, DNS on a
 * retry): those may block. */
static const struct mk_milter_desc dkim_filter = {
	.name = "mailaka-dkim",
	.actions = MK_MA_ADDHDRS | MK_MA_CHGHDRS | MK_MA_QUARANTINE,
	.offload = MK_MSTAGE_EOH | MK_MSTAGE_EOM,
	.negotiate = mlfi_negotiate,
	.connect = mlfi_connect,
	.envfrom = mlfi_envfrom,
	.header = mlfi_header,
	.eoh = mlfi_eoh,
	.body = mlfi_body,
	.eom = mlfi_eom,
	.abort = mlfi_abort,
	.close = mlfi_close,
};

const struct mk_milter_desc *
dkim_milter_desc(void)
{
	return &dkim_filter;
}
