/*
 * lib/milter_libmilter.c: engine libmilter -- the API of lib/milter.h on
 * Sendmail's libmilter (its threads run the callbacks -- Debian's build a
 * worker pool, one session at a time per thread; every callback may block,
 * so desc->offload means nothing here).  That build times out a silent MTA
 * only when its pool controller looks, every 600 s.
 *
 * libmilter keeps one filter per process (smfi_register / smfi_main are
 * process-global): so does this engine.  Each SMFICTX gets a wrapper that
 * starts with a struct mk_milter_ctx (its ops call smfi_*), created at the
 * first callback of the connection and freed at close; libmilter's private
 * pointer holds the wrapper, the wrapper holds the user's.
 *
 * Stop: smfi_stop() ends libmilter's accept loop (it looks every few
 * seconds); run then waits up to MK_LM_DRAIN_S for the sessions inside a
 * message or a callback, and returns (the process exit closes the rest: the
 * MTA applies its default action).  libmilter's own signal thread also stops
 * it on SIGHUP, SIGTERM and SIGINT (lib/daemon.h).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "lib/milter.h"
#include "lib/milter_engine.h"

#define MK_LM_DATA_MAX (1024 * 1024)	/* opts->max_data 0 */
#define MK_LM_TIMEOUT 7210		/* opts->timeout 0: libmilter's default */
#define MK_LM_BACKLOG 256		/* opts->backlog 0 */
#define MK_LM_DRAIN_S 5			/* run: wait for messages in flight after a stop */

/* The statuses are libmilter's values: the trampolines pass them through. */
_Static_assert(MK_MS_CONTINUE == SMFIS_CONTINUE && MK_MS_REJECT == SMFIS_REJECT &&
    MK_MS_DISCARD == SMFIS_DISCARD && MK_MS_ACCEPT == SMFIS_ACCEPT &&
    MK_MS_TEMPFAIL == SMFIS_TEMPFAIL && MK_MS_NOREPLY == SMFIS_NOREPLY &&
    MK_MS_SKIP == SMFIS_SKIP, "mk_milter_status values are libmilter's");
_Static_assert(MK_MA_ADDHDRS == SMFIF_ADDHDRS && MK_MA_CHGBODY == SMFIF_CHGBODY &&
    MK_MA_ADDRCPT == SMFIF_ADDRCPT && MK_MA_DELRCPT == SMFIF_DELRCPT &&
    MK_MA_CHGHDRS == SMFIF_CHGHDRS && MK_MA_QUARANTINE == SMFIF_QUARANTINE &&
    MK_MA_CHGFROM == SMFIF_CHGFROM && MK_MA_ADDRCPT_PAR == SMFIF_ADDRCPT_PAR &&
    MK_MA_SETSYMLIST == SMFIF_SETSYMLIST, "MK_MA_* values are SMFIF_*");
_Static_assert(MK_MSYM_CONNECT == SMFIM_CONNECT && MK_MSYM_HELO == SMFIM_HELO &&
    MK_MSYM_ENVFROM == SMFIM_ENVFROM && MK_MSYM_ENVRCPT == SMFIM_ENVRCPT &&
    MK_MSYM_DATA == SMFIM_DATA && MK_MSYM_EOM == SMFIM_EOM && MK_MSYM_EOH == SMFIM_EOH,
    "MK_MSYM_* values are SMFIM_*");
_Static_assert(MK_MP_NOCONNECT == SMFIP_NOCONNECT && MK_MP_NOHELO == SMFIP_NOHELO &&
    MK_MP_NOMAIL == SMFIP_NOMAIL && MK_MP_NORCPT == SMFIP_NORCPT &&
    MK_MP_NOBODY == SMFIP_NOBODY && MK_MP_NOHDRS == SMFIP_NOHDRS &&
    MK_MP_NOEOH == SMFIP_NOEOH && MK_MP_NR_HDR == SMFIP_NR_HDR &&
    MK_MP_NOUNKNOWN == SMFIP_NOUNKNOWN && MK_MP_NODATA == SMFIP_NODATA &&
    MK_MP_SKIP == SMFIP_SKIP && MK_MP_RCPT_REJ == SMFIP_RCPT_REJ &&
    MK_MP_NR_CONN == SMFIP_NR_CONN && MK_MP_NR_HELO == SMFIP_NR_HELO &&
    MK_MP_NR_MAIL == SMFIP_NR_MAIL && MK_MP_NR_RCPT == SMFIP_NR_RCPT &&
    MK_MP_NR_DATA == SMFIP_NR_DATA && MK_MP_NR_UNKN == SMFIP_NR_UNKN &&
    MK_MP_NR_EOH == SMFIP_NR_EOH && MK_MP_NR_BODY == SMFIP_NR_BODY &&
    MK_MP_HDR_LEADSPC == SMFIP_HDR_LEADSPC, "MK_MP_* values are SMFIP_*");

struct lm_ctx {
	struct mk_milter_ctx base;	/* first: what the callbacks get */
	SMFICTX *smfi;
	void *priv;			/* the user's (mk_milter_setpriv) */
	bool in_msg;			/* between MAIL FROM and end of message / abort */
	unsigned long pf1;		/* steps negotiated (MK_MP_NR_*, MK_MP_SKIP) */
	int pending;			/* a verdict of a no-reply stage, for the next reply; -1 none */
};

struct lm_server {
	struct mk_milter base;		/* first */
	char *socket;
};

/* One filter per process: libmilter's state is global.  The callbacks are
 * kept here, not in the server object: session threads libmilter did not
 * wait for may still run them after mk_milter_free(). */
static struct mk_milter_desc lm_desc;
static bool lm_ever_opened;
static pthread_mutex_t lm_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lm_idle = PTHREAD_COND_INITIALIZER;
static unsigned lm_busy;		/* sessions in a message + callbacks running */

/* ---- context ops ---------------------------------------------------------- */

static SMFICTX *
lm_smfi(struct mk_milter_ctx *ctx)
{
	return ((struct lm_ctx *)(void *)ctx)->smfi;
}

static void *
c_getpriv(struct mk_milter_ctx *ctx)
{
	return ((struct lm_ctx *)(void *)ctx)->priv;
}

static void
c_setpriv(struct mk_milter_ctx *ctx, void *priv)
{
	((struct lm_ctx *)(void *)ctx)->priv = priv;
}

static const char *
c_getsymval(struct mk_milter_ctx *ctx, const char *name)
{
	return smfi_getsymval(lm_smfi(ctx), (char *)name);
}

static int
c_setreply(struct mk_milter_ctx *ctx, const char *rcode, const char *xcode, const char *msg)
{
	if (msg != NULL && strpbrk(msg, "\r\n") != NULL)
		return -1;
	return smfi_setreply(lm_smfi(ctx), (char *)rcode, (char *)xcode, (char *)msg) ==
	    MI_SUCCESS ? 0 : -1;
}

static int
c_addheader(struct mk_milter_ctx *ctx, const char *name, const char *value)
{
	return smfi_addheader(lm_smfi(ctx), (char *)name, (char *)value) == MI_SUCCESS ? 0 : -1;
}

static int
c_insheader(struct mk_milter_ctx *ctx, int idx, const char *name, const char *value)
{
	return smfi_insheader(lm_smfi(ctx), idx, (char *)name, (char *)value) == MI_SUCCESS ?
	    0 : -1;
}

static int
c_chgheader(struct mk_milter_ctx *ctx, const char *name, int idx, const char *value)
{
	return smfi_chgheader(lm_smfi(ctx), (char *)name, idx, (char *)value) == MI_SUCCESS ?
	    0 : -1;
}

static int
c_quarantine(struct mk_milter_ctx *ctx, const char *reason)
{
	return smfi_quarantine(lm_smfi(ctx), (char *)reason) == MI_SUCCESS ? 0 : -1;
}

static int
c_chgfrom(struct mk_milter_ctx *ctx, const char *from, const char *args)
{
	return smfi_chgfrom(lm_smfi(ctx), (char *)from, (char *)args) == MI_SUCCESS ? 0 : -1;
}

static int
c_setsymlist(struct mk_milter_ctx *ctx, int stage, const char *macros)
{
	return smfi_setsymlist(lm_smfi(ctx), stage, (char *)macros) == MI_SUCCESS ? 0 : -1;
}

static int
c_addrcpt(struct mk_milter_ctx *ctx, const char *rcpt)
{
	return smfi_addrcpt(lm_smfi(ctx), (char *)rcpt) == MI_SUCCESS ? 0 : -1;
}

/* Every libmilter callback runs on its session's thread: nothing to move. */
static int
c_setoffload(struct mk_milter_ctx *ctx, unsigned stages)
{
	(void)ctx;
	(void)stages;
	return 0;
}

static const struct mk_milter_ctx_ops lm_ctx_ops = {
	.getpriv = c_getpriv,
	.setpriv = c_setpriv,
	.getsymval = c_getsymval,
	.setreply = c_setreply,
	.addheader = c_addheader,
	.insheader = c_insheader,
	.chgheader = c_chgheader,
	.quarantine = c_quarantine,
	.chgfrom = c_chgfrom,
	.addrcpt = c_addrcpt,
	.setsymlist = c_setsymlist,
	.setoffload = c_setoffload,
};

/* ---- the wrapper and the busy count --------------------------------------- */

static void
busy_add(int n)
{
	pthread_mutex_lock(&lm_lock);
	lm_busy += (unsigned)n;
	if (lm_busy == 0)
		pthread_cond_broadcast(&lm_idle);
	pthread_mutex_unlock(&lm_lock);
}

/* The wrapper of s, created at the first callback.  NULL: out of memory. */
static struct lm_ctx *
ctx_of(SMFICTX *s)
{
	struct lm_ctx *c = smfi_getpriv(s);

	if (c != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->base.ops = &lm_ctx_ops;
	c->smfi = s;
	c->pending = -1;
	if (smfi_setpriv(s, c) != MI_SUCCESS) {
		free(c);
		return NULL;
	}
	return c;
}

/* Enter a callback: the wrapper (NULL: out of memory), counted busy. */
static struct lm_ctx *
cb_enter(SMFICTX *s, bool msg_stage)
{
	struct lm_ctx *c = ctx_of(s);

	if (c == NULL)
		return NULL;
	busy_add(1);
	if (msg_stage && !c->in_msg) {
		c->in_msg = true;
		busy_add(1);
	}
	return c;
}

/* The status to hand libmilter for a stage whose no-reply bit is nr (0:
 * the stage replies), as engine own does: a stage negotiated "no reply"
 * answers NOREPLY (the MTA reads nothing), and a verdict it returned waits
 * for the next stage that replies; NOREPLY where none was negotiated and
 * SKIP outside the body (or not negotiated) are CONTINUE. */
static enum mk_milter_status
lm_status(struct lm_ctx *c, unsigned long nr, enum mk_milter_status st, bool body)
{
	bool noreply = nr != 0 && (c->pf1 & nr) != 0;

	if ((st == MK_MS_NOREPLY && !noreply) ||
	    (st == MK_MS_SKIP && (!body || !(c->pf1 & MK_MP_SKIP))))
		st = MK_MS_CONTINUE;
	if (noreply) {
		if (st != MK_MS_CONTINUE && st != MK_MS_NOREPLY && c->pending == -1)
			c->pending = (int)st;	/* its smfi_setreply text stays in libmilter's ctx */
		return MK_MS_NOREPLY;
	}
	if (c->pending != -1 && st == MK_MS_CONTINUE)
		st = (enum mk_milter_status)c->pending;
	c->pending = -1;
	return st;
}

/* Leave a callback; end_msg: the message is over (eom, abort). */
static sfsistat
cb_leave(struct lm_ctx *c, enum mk_milter_status st, bool end_msg)
{
	int n = -1;

	if (end_msg) {
		c->pending = -1;
		if (c->in_msg) {
			c->in_msg = false;
			n--;
		}
	}
	busy_add(n);
	return (sfsistat)st;
}

/* A stage callback's result: the user's (not called while a verdict is
 * pending), through lm_status. */
#define LM_STAGE(c, nr, body, call) \
	lm_status((c), (nr), (c)->pending != -1 ? MK_MS_CONTINUE : (call), (body))

/* ---- trampolines ---------------------------------------------------------- */

#define LM_DESC (&lm_desc)

static sfsistat
t_negotiate(SMFICTX *s, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	struct lm_ctx *c = cb_enter(s, false);
	enum mk_milter_status st;

	if (c == NULL)
		return SMFIS_REJECT;
	st = LM_DESC->negotiate(&c->base, f0, f1, f2, f3, pf0, pf1, pf2, pf3);
	c->pf1 = st == MK_MS_CONTINUE ? *pf1 : 0;
	return cb_leave(c, st, false);
}

static sfsistat
t_connect(SMFICTX *s, char *host, _SOCK_ADDR *sa)
{
	struct lm_ctx *c = cb_enter(s, false);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	return cb_leave(c, LM_STAGE(c, MK_MP_NR_CONN, false, LM_DESC->connect(&c->base, host, sa)),
	    false);
}

static sfsistat
t_helo(SMFICTX *s, char *helo)
{
	struct lm_ctx *c = cb_enter(s, false);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	return cb_leave(c, LM_STAGE(c, MK_MP_NR_HELO, false, LM_DESC->helo(&c->base, helo)), false);
}

/* A message stage with only ctx and argv / nothing. */
#define LM_TRAMPOLINE_ARGV(name, field, nr)					\
static sfsistat									\
name(SMFICTX *s, char **argv)							\
{										\
	struct lm_ctx *c = cb_enter(s, true);					\
										\
	if (c == NULL)								\
		return SMFIS_TEMPFAIL;						\
	return cb_leave(c, LM_STAGE(c, nr, false, LM_DESC->field(&c->base, argv)), \
	    false);								\
}
LM_TRAMPOLINE_ARGV(t_envfrom, envfrom, MK_MP_NR_MAIL)
LM_TRAMPOLINE_ARGV(t_envrcpt, envrcpt, MK_MP_NR_RCPT)

#define LM_TRAMPOLINE_0(name, field, nr, end)					\
static sfsistat									\
name(SMFICTX *s)								\
{										\
	struct lm_ctx *c = cb_enter(s, true);					\
										\
	if (c == NULL)								\
		return SMFIS_TEMPFAIL;						\
	return cb_leave(c, LM_STAGE(c, nr, false, LM_DESC->field(&c->base)), end); \
}
LM_TRAMPOLINE_0(t_data, data, MK_MP_NR_DATA, false)
LM_TRAMPOLINE_0(t_eoh, eoh, MK_MP_NR_EOH, false)
LM_TRAMPOLINE_0(t_eom, eom, 0, true)

static sfsistat
t_header(SMFICTX *s, char *name, char *value)
{
	struct lm_ctx *c = cb_enter(s, true);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	return cb_leave(c, LM_STAGE(c, MK_MP_NR_HDR, false, LM_DESC->header(&c->base, name, value)),
	    false);
}

static sfsistat
t_body(SMFICTX *s, unsigned char *buf, size_t len)
{
	struct lm_ctx *c = cb_enter(s, true);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	return cb_leave(c, LM_STAGE(c, MK_MP_NR_BODY, true, LM_DESC->body(&c->base, buf, len)),
	    false);
}

static sfsistat
t_abort(SMFICTX *s)
{
	struct lm_ctx *c = cb_enter(s, false);
	enum mk_milter_status st = MK_MS_CONTINUE;

	if (c == NULL)
		return SMFIS_CONTINUE;
	if (LM_DESC->abort != NULL)
		st = LM_DESC->abort(&c->base);
	return cb_leave(c, st, true);
}

/* Always registered: frees the wrapper (libmilter calls close once per
 * connection, whatever happened before). */
static sfsistat
t_close(SMFICTX *s)
{
	struct lm_ctx *c = smfi_getpriv(s), tmp;

	if (c == NULL) {	/* no callback ran (or out of memory): a stack wrapper */
		memset(&tmp, 0, sizeof(tmp));
		tmp.base.ops = &lm_ctx_ops;
		tmp.smfi = s;
		if (LM_DESC->close != NULL)
			(void)LM_DESC->close(&tmp.base);
		return SMFIS_CONTINUE;
	}
	busy_add(1);
	if (LM_DESC->close != NULL)
		(void)LM_DESC->close(&c->base);
	(void)smfi_setpriv(s, NULL);
	(void)cb_leave(c, MK_MS_CONTINUE, true);
	free(c);
	return SMFIS_CONTINUE;
}

/* ---- engine --------------------------------------------------------------- */

static struct smfiDesc
lm_smfi_desc(const struct mk_milter_desc *d)
{
	struct smfiDesc f;

	memset(&f, 0, sizeof(f));
	f.xxfi_name = (char *)(d->name != NULL ? d->name : "mailaka");
	f.xxfi_version = SMFI_VERSION;
	f.xxfi_flags = d->actions;
	f.xxfi_negotiate = d->negotiate != NULL ? t_negotiate : NULL;
	f.xxfi_connect = d->connect != NULL ? t_connect : NULL;
	f.xxfi_helo = d->helo != NULL ? t_helo : NULL;
	f.xxfi_envfrom = d->envfrom != NULL ? t_envfrom : NULL;
	f.xxfi_envrcpt = d->envrcpt != NULL ? t_envrcpt : NULL;
	f.xxfi_data = d->data != NULL ? t_data : NULL;
	f.xxfi_header = d->header != NULL ? t_header : NULL;
	f.xxfi_eoh = d->eoh != NULL ? t_eoh : NULL;
	f.xxfi_body = d->body != NULL ? t_body : NULL;
	f.xxfi_eom = d->eom != NULL ? t_eom : NULL;
	f.xxfi_abort = t_abort;		/* ends the message for the drain count */
	f.xxfi_close = t_close;		/* frees the wrapper */
	return f;
}

/* The path of a unix socket spec ("unix:/p", "local:/p", "/p"), or NULL. */
static const char *
lm_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return spec[0] == '/' ? spec : NULL;
}

static struct mk_milter *
e_free(struct mk_milter *m)
{
	struct lm_server *srv = (struct lm_server *)(void *)m;
	const char *path;

	if (srv == NULL)
		return NULL;
	/* libmilter removes it when smfi_main() returns; not if it never ran */
	if (srv->socket != NULL && (path = lm_unix_path(srv->socket)) != NULL)
		(void)unlink(path);
	free(srv->socket);
	free(srv);
	return NULL;
}

static struct mk_milter *
e_open(const struct mk_milter_desc *desc, const struct mk_milter_opts *opts, char *err,
    size_t errlen)
{
	struct lm_server *srv;

	if (lm_ever_opened) {
		snprintf(err, errlen, "milter engine libmilter: one milter per process "
		    "(libmilter's state is global), and one is already open");
		return NULL;
	}
	if (opts->socket == NULL || opts->socket[0] == '\0') {
		snprintf(err, errlen, "milter engine libmilter: no socket");
		return NULL;
	}
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->base.ops = &mk_milter_libmilter_ops;
	if ((srv->socket = strdup(opts->socket)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return e_free(&srv->base);
	}
	lm_desc = *desc;
	lm_ever_opened = true;
	(void)smfi_setmaxdatasize(opts->max_data ? opts->max_data : MK_LM_DATA_MAX);
	if (smfi_register(lm_smfi_desc(desc)) != MI_SUCCESS ||
	    smfi_settimeout((int)(opts->timeout ? opts->timeout : MK_LM_TIMEOUT)) != MI_SUCCESS ||
	    smfi_setbacklog((int)(opts->backlog ? opts->backlog : MK_LM_BACKLOG)) != MI_SUCCESS) {
		snprintf(err, errlen, "libmilter refused the filter");
		goto fail;
	}
	if (smfi_setconn(srv->socket) != MI_SUCCESS || smfi_opensocket(1) != MI_SUCCESS) {
		snprintf(err, errlen, "libmilter cannot listen (bad socket spec, address in use "
		    "or no permission)");
		goto fail;
	}
	return &srv->base;
fail:
	free(srv->socket);	/* not e_free: the path may be someone else's socket */
	free(srv);
	return NULL;
}

/* Wait until no session is inside a message or a callback, at most
 * MK_LM_DRAIN_S seconds. */
static void
lm_drain(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += MK_LM_DRAIN_S;
	pthread_mutex_lock(&lm_lock);
	while (lm_busy > 0)
		if (pthread_cond_timedwait(&lm_idle, &lm_lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&lm_lock);
}

static int
e_run(struct mk_milter *m)
{
	int rc;

	(void)m;
	rc = smfi_main();
	lm_drain();
	return rc == MI_SUCCESS ? 0 : -1;
}

static void
e_stop(struct mk_milter *m)
{
	(void)m;
	(void)smfi_stop();
}

const struct mk_milter_engine_ops mk_milter_libmilter_ops = {
	.open = e_open,
	.run = e_run,
	.stop = e_stop,
	.free = e_free,
};
