/*
 * milter-dkim/milter.c: libmilter callbacks.  Each callback checks its
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

#include <libmilter/mfapi.h>

#include "lib/addr.h"
#include "lib/dns.h"
#include "lib/log.h"
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
	for (i = 0; i < m->nsign; i++)
		if (m->sign[i] != NULL)
			dkim_free(m->sign[i]);
	if (m->verify != NULL)
		dkim_free(m->verify);
	free(m);
	return NULL;
}

static struct dkim_conn *
conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* The connection context, created at the first callback (negotiate, or
 * connect with an MTA that does not negotiate). */
static struct dkim_conn *
conn_ensure(SMFICTX *ctx)
{
	struct dkim_conn *cc = smfi_getpriv(ctx);

	if (cc != NULL)
		return cc;
	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return NULL;
	if ((cc->rt = dkim_runtime_get()) == NULL) {
		free(cc);
		return NULL;
	}
	smfi_setpriv(ctx, cc);
	return cc;
}

/* Reply for an action taken on a message; logs it. */
sfsistat
dkim_milter_act(SMFICTX *ctx, struct dkim_msg *m, enum dkim_action a, const char *why)
{
	mk_log_kv(MK_LOG_NOTICE, m ? m->id : NULL, "action", dkim_action_name(a),
	    "reason", why, NULL);
	switch (a) {
	case DKIM_ACT_ACCEPT:
		return SMFIS_ACCEPT;
	case DKIM_ACT_DISCARD:
		return SMFIS_DISCARD;
	case DKIM_ACT_QUARANTINE:
		/* libmilter allows quarantine only at end of message */
		if (m != NULL && !m->in_eom) {
			m->quarantine = why;
			return SMFIS_CONTINUE;
		}
		smfi_quarantine(ctx, (char *)why);
		return SMFIS_ACCEPT;
	case DKIM_ACT_REJECT:
		smfi_setreply(ctx, "550", "5.7.1", (char *)why);
		return SMFIS_REJECT;
	case DKIM_ACT_TEMPFAIL:
	default:
		smfi_setreply(ctx, "451", "4.7.5", (char *)why);
		return SMFIS_TEMPFAIL;
	}
}

/* ---- callbacks ---------------------------------------------------------- */

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	unsigned long want0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;
	unsigned long skip = SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOUNKNOWN | SMFIP_NODATA;

	struct dkim_conn *cc;

	(void)f2;
	(void)f3;
	if ((f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) != (SMFIF_ADDHDRS | SMFIF_CHGHDRS))
		return SMFIS_REJECT;
	if ((cc = conn_ensure(ctx)) == NULL)
		return SMFIS_TEMPFAIL;
	cc->leadspc = (f1 & SMFIP_HDR_LEADSPC) != 0;
	*pf0 = want0 & f0;
	*pf1 = (skip | SMFIP_HDR_LEADSPC) & f1;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
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

static sfsistat
mlfi_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct dkim_conn *cc;

	if ((cc = conn_ensure(ctx)) == NULL)
		return SMFIS_TEMPFAIL;
	addr_string(sa, cc->ip, sizeof(cc->ip));
	snprintf(cc->host, sizeof(cc->host), "%s", host ? host : "");
	/* a client without an IP address (local submission, sendmail -bs) is internal */
	cc->internal = cc->ip[0] == '\0' ||
	    dkim_hosts_match(cc->rt->conf->internal, cc->ip, cc->host[0] ? cc->host : NULL);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct dkim_conn *cc = conn_of(ctx);
	const char *auth, *qid;

	(void)argv;
	if (cc == NULL)
		return SMFIS_TEMPFAIL;
	cc->msg = msg_free(cc->msg);
	if ((cc->msg = calloc(1, sizeof(*cc->msg))) == NULL)
		return SMFIS_TEMPFAIL;
	cc->msg->rt = cc->rt;
	if ((auth = smfi_getsymval(ctx, "{auth_authen}")) != NULL)
		snprintf(cc->msg->login, sizeof(cc->msg->login), "%s", auth);
	pthread_mutex_lock(&runtime_lock);
	msg_counter++;
	snprintf(cc->msg->id, sizeof(cc->msg->id), "m%llx", msg_counter);
	pthread_mutex_unlock(&runtime_lock);
	if ((qid = smfi_getsymval(ctx, "i")) != NULL && qid[0] != '\0')
		snprintf(cc->msg->id, sizeof(cc->msg->id), "%s", qid);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct dkim_conn *cc = conn_of(ctx);
	struct dkim_msg *m;
	struct dkim_hdr *h;
	size_t n;

	if (cc == NULL || (m = cc->msg) == NULL)
		return SMFIS_TEMPFAIL;
	n = strlen(name) + strlen(value) + 2;
	if (m->nhdrs >= DKIM_HDR_COUNT_MAX || m->hdr_bytes + n > DKIM_HDR_BYTES_MAX) {
		m->hdr_overflow = true;
		return SMFIS_CONTINUE;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL || (h->name = strdup(name)) == NULL ||
	    (h->value = strdup(value)) == NULL) {
		if (h != NULL) {
			free(h->name);
			free(h);
		}
		return SMFIS_TEMPFAIL;
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
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct dkim_conn *cc = conn_of(ctx);
	const char *qid;

	if (cc == NULL || cc->msg == NULL)
		return SMFIS_TEMPFAIL;
	if ((qid = smfi_getsymval(ctx, "i")) != NULL && qid[0] != '\0')
		snprintf(cc->msg->id, sizeof(cc->msg->id), "%s", qid);
	return dkim_msg_start(ctx, cc, cc->msg);
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	struct dkim_conn *cc = conn_of(ctx);

	if (cc == NULL || cc->msg == NULL)
		return SMFIS_TEMPFAIL;
	return dkim_msg_body(ctx, cc, cc->msg, buf, len);
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct dkim_conn *cc = conn_of(ctx);
	const char *qid;
	sfsistat rc;

	if (cc == NULL || cc->msg == NULL)
		return SMFIS_TEMPFAIL;
	if ((qid = smfi_getsymval(ctx, "i")) != NULL && qid[0] != '\0')
		snprintf(cc->msg->id, sizeof(cc->msg->id), "%s", qid);
	cc->msg->in_eom = true;
	rc = dkim_msg_eom(ctx, cc, cc->msg);
	cc->msg = msg_free(cc->msg);
	return rc;
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct dkim_conn *cc = conn_of(ctx);

	if (cc != NULL)
		cc->msg = msg_free(cc->msg);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct dkim_conn *cc = conn_of(ctx);

	if (cc == NULL)
		return SMFIS_CONTINUE;
	cc->msg = msg_free(cc->msg);
	dkim_runtime_put(cc->rt);
	free(cc);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc dkim_filter = {
	.xxfi_name = "mailaka-dkim",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	.xxfi_connect = mlfi_connect,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_negotiate = mlfi_negotiate,
};

int
dkim_milter_register(void)
{
	return smfi_register(dkim_filter) == MI_SUCCESS ? 0 : -1;
}
