/*
 * forwarder/fwd_milter.c: SRS-rewrite the envelope sender only when a
 * recipient is remote after alias expansion (see fwd_milter.h).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lib/milter.h"

#include "lib/log.h"
#include "forwarder/fwd_milter.h"

#define MILTER_ADDR_MAX MK_SRS_ADDR_MAX

struct milter_msg {
	char sender[MILTER_ADDR_MAX + 1];
	bool null_sender;
	bool remote;		/* a recipient is remote after alias expansion */
	char first_remote[MILTER_ADDR_MAX + 1];
	unsigned nrcpt;
};

static struct fwd_state **milter_cur;
static pthread_rwlock_t *milter_lock;
static time_t (*milter_now)(void);
static struct mk_milter *milter;
static pthread_t milter_thread;
static bool milter_running;

/* "<a@b>" or "a@b" into out without brackets. 0 / -1 (too long). */
static int
strip_path(const char *in, char *out, size_t outsz)
{
	size_t len = strlen(in);

	if (len >= 2 && in[0] == '<' && in[len - 1] == '>') {
		in++;
		len -= 2;
	}
	if (len >= outsz)
		return -1;
	memcpy(out, in, len);
	out[len] = '\0';
	return 0;
}

static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

static const char *
msg_id(struct mk_milter_ctx *ctx)
{
	const char *qid = mk_milter_getsymval(ctx, "i");

	return qid != NULL && qid[0] != '\0' ? qid : NULL;
}

/* Is any target of rcpt remote after alias expansion? (state read-locked) */
static bool
rcpt_is_remote(const struct fwd_state *st, const char *rcpt, char *first, size_t firstsz)
{
	const char *dom = domain_of(rcpt);
	struct mk_alias_list l;
	const char *why;
	bool remote = false;

	if (dom == NULL)
		return false;	/* "postmaster" and the like: local */
	if (!fwd_domain_is_local(st, dom)) {
		snprintf(first, firstsz, "%s", rcpt);
		return true;
	}
	if (mk_aliases_resolve(st->aliases, rcpt, strlen(rcpt), 0, &l, &why) == -1) {
		mk_log_kv(MK_LOG_WARN, NULL, "milter", "rcpt", "addr", rcpt, "reason", why, NULL);
		return false;	/* Postfix's own expansion will fail and say so */
	}
	for (size_t i = 0; i < l.n && !remote; i++) {
		const char *d;

		if (l.v[i].type == MK_ALIAS_PIPE || (d = domain_of(l.v[i].value)) == NULL)
			continue;
		if (!fwd_domain_is_local(st, d)) {
			snprintf(first, firstsz, "%s", l.v[i].value);
			remote = true;
		}
	}
	mk_alias_list_clear(&l);
	return remote;
}

static enum mk_milter_status
m_envfrom(struct mk_milter_ctx *ctx, char **argv)
{
	struct milter_msg *m = mk_milter_getpriv(ctx);

	if (m == NULL && (m = calloc(1, sizeof(*m))) == NULL)
		return MK_MS_TEMPFAIL;
	memset(m, 0, sizeof(*m));
	mk_milter_setpriv(ctx, m);
	if (argv[0] == NULL || strip_path(argv[0], m->sender, sizeof(m->sender)) == -1)
		m->sender[0] = '\0';
	m->null_sender = m->sender[0] == '\0';
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
m_envrcpt(struct mk_milter_ctx *ctx, char **argv)
{
	struct milter_msg *m = mk_milter_getpriv(ctx);
	char rcpt[MILTER_ADDR_MAX + 1];

	if (m == NULL || argv[0] == NULL)
		return MK_MS_CONTINUE;
	m->nrcpt++;
	if (m->remote || m->null_sender || strip_path(argv[0], rcpt, sizeof(rcpt)) == -1)
		return MK_MS_CONTINUE;
	pthread_rwlock_rdlock(milter_lock);
	m->remote = rcpt_is_remote(*milter_cur, rcpt, m->first_remote, sizeof(m->first_remote));
	pthread_rwlock_unlock(milter_lock);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
m_eom(struct mk_milter_ctx *ctx)
{
	struct milter_msg *m = mk_milter_getpriv(ctx);
	char srs[MK_SRS_ADDR_MAX + 3];
	const struct fwd_state *st;
	const char *dom, *id = msg_id(ctx);
	enum mk_srs_err e = MK_SRS_OK;
	int rc = -1;

	if (m == NULL)
		return MK_MS_CONTINUE;
	if (m->null_sender || !m->remote || (dom = domain_of(m->sender)) == NULL) {
		mk_log_kv(MK_LOG_INFO, id, "milter", "keep", "from", m->sender, "reason",
		    m->null_sender ? "null sender" : !m->remote ? "all recipients local" :
		    "sender without domain", NULL);
		return MK_MS_CONTINUE;
	}
	pthread_rwlock_rdlock(milter_lock);
	st = *milter_cur;
	if (!fwd_domain_is_excluded(st, dom)) {
		srs[0] = '<';
		rc = mk_srs_forward(st->srs, m->sender, strlen(m->sender), milter_now(), srs + 1,
		    sizeof(srs) - 2, &e);
	}
	pthread_rwlock_unlock(milter_lock);
	if (rc == -1) {
		mk_log_kv(MK_LOG_INFO, id, "milter", "keep", "from", m->sender, "reason",
		    e == MK_SRS_OK ? "local or excluded domain" : mk_srs_strerror(e), NULL);
		return MK_MS_CONTINUE;
	}
	strcat(srs, ">");
	if (mk_milter_chgfrom(ctx, srs, NULL) != 0) {
		mk_log_kv(MK_LOG_WARN, id, "milter", "tempfail", "reason", "mk_milter_chgfrom failed",
		    NULL);
		return MK_MS_TEMPFAIL;
	}
	mk_log_kv(MK_LOG_INFO, id, "milter", "rewrite", "from", m->sender, "srs", srs,
	    "remote", m->first_remote, NULL);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
m_abort(struct mk_milter_ctx *ctx)
{
	struct milter_msg *m = mk_milter_getpriv(ctx);

	if (m != NULL)
		memset(m, 0, sizeof(*m));
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
m_close(struct mk_milter_ctx *ctx)
{
	free(mk_milter_getpriv(ctx));
	mk_milter_setpriv(ctx, NULL);
	return MK_MS_CONTINUE;
}

static enum mk_milter_status
m_negotiate(struct mk_milter_ctx *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	(void)ctx; (void)f2; (void)f3;
	if (!(f0 & MK_MA_CHGFROM))
		return MK_MS_REJECT;	/* the MTA cannot change the sender: refuse */
	*pf0 = MK_MA_CHGFROM;
	/* skip what we do not need; keep envfrom, envrcpt, eom */
	*pf1 = f1 & (MK_MP_NOCONNECT | MK_MP_NOHELO | MK_MP_NOHDRS | MK_MP_NOEOH |
	    MK_MP_NOBODY | MK_MP_NOUNKNOWN | MK_MP_NODATA);
	*pf2 = 0;
	*pf3 = 0;
	return MK_MS_CONTINUE;
}

/* Nothing here blocks for long: alias lookups and SRS run on in-memory
 * state under a read lock that a reload holds only to swap a pointer. */
static const struct mk_milter_desc milter_desc = {
	.name = "mailaka-forward",
	.actions = MK_MA_CHGFROM,
	.offload = 0,
	.negotiate = m_negotiate,
	.envfrom = m_envfrom,
	.envrcpt = m_envrcpt,
	.eom = m_eom,
	.abort = m_abort,
	.close = m_close,
};

int
fwd_milter_open(const char *spec, enum mk_milter_engine engine, struct fwd_state **cur,
    pthread_rwlock_t *lock, time_t (*now)(void), char *err, size_t errlen)
{
	struct mk_milter_opts opts;
	char e[512];

	milter_cur = cur;
	milter_lock = lock;
	milter_now = now;
	memset(&opts, 0, sizeof(opts));
	opts.socket = spec;
	opts.engine = engine;
	if ((milter = mk_milter_open(&milter_desc, &opts, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s: cannot open the milter socket: %s", spec, e);
		return -1;
	}
	/* like the socketmap socket: the MTA (another user) must connect */
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		(void)chmod(strchr(spec, ':') + 1, 0666);
	return 0;
}

static void *
milter_main(void *arg)
{
	(void)arg;
	if (mk_milter_run(milter) != 0)
		mk_log_kv(MK_LOG_ERR, NULL, "milter", "stopped", "reason", "milter loop failed",
		    NULL);
	return NULL;
}

int
fwd_milter_start(void)
{
	if (pthread_create(&milter_thread, NULL, milter_main, NULL) != 0)
		return -1;
	milter_running = true;
	return 0;
}

void
fwd_milter_stop(void)
{
	if (milter_running) {
		mk_milter_stop(milter);
		pthread_join(milter_thread, NULL);
		milter_running = false;
	}
	milter = mk_milter_free(milter);
}
