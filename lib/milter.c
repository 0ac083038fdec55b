/*
 * lib/milter.c: the milter API of lib/milter.h, dispatched to the engine
 * chosen at mk_milter_open() (lib/milter_server.c or lib/milter_libmilter.c).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lib/daemon.h"
#include "lib/milter.h"
#include "lib/milter_engine.h"

int
mk_milter_engine_parse(const char *s, enum mk_milter_engine *out)
{
	if (strcmp(s, "own") == 0)
		*out = MK_MILTER_OWN;
	else if (strcmp(s, "libmilter") == 0)
		*out = MK_MILTER_LIBMILTER;
	else
		return -1;
	return 0;
}

int
mk_milter_engine_valid(const char *s, char *err, size_t errlen)
{
	enum mk_milter_engine e;

	if (mk_milter_engine_parse(s, &e) == 0)
		return 0;
	snprintf(err, errlen, "must be own or libmilter");
	return -1;
}

const char *
mk_milter_engine_name(enum mk_milter_engine e)
{
	return e == MK_MILTER_LIBMILTER ? "libmilter" : "own";
}

struct mk_milter *
mk_milter_open(const struct mk_milter_desc *desc, const struct mk_milter_opts *opts,
    char *err, size_t errlen)
{
	const struct mk_milter_engine_ops *ops;

	ops = opts->engine == MK_MILTER_LIBMILTER ? &mk_milter_libmilter_ops : &mk_milter_own_ops;
	return ops->open(desc, opts, err, errlen);
}

int
mk_milter_run(struct mk_milter *m)
{
	return m->ops->run(m);
}

void
mk_milter_stop(struct mk_milter *m)
{
	m->ops->stop(m);
}

struct mk_milter *
mk_milter_free(struct mk_milter *m)
{
	if (m == NULL)
		return NULL;
	return m->ops->free(m);
}

static void
signal_stop(void *arg, int sig)
{
	(void)sig;
	mk_milter_stop(arg);
}

int
mk_milter_signals_start(struct mk_milter *m, enum mk_milter_engine engine,
    int (*reload)(void *arg, char *err, size_t errlen), const char *what)
{
	static const int reload_own[] = { SIGHUP, SIGUSR1, 0 }, stop_own[] = { SIGTERM, SIGINT, 0 };
	struct mk_signals s = { reload_own, stop_own, reload, signal_stop, m, what };

	if (engine == MK_MILTER_LIBMILTER)
		return mk_reload_thread_start(SIGUSR1, reload, NULL, what);
	return mk_signal_thread_start(&s);
}

void *
mk_milter_getpriv(struct mk_milter_ctx *ctx)
{
	return ctx->ops->getpriv(ctx);
}

void
mk_milter_setpriv(struct mk_milter_ctx *ctx, void *priv)
{
	ctx->ops->setpriv(ctx, priv);
}

const char *
mk_milter_getsymval(struct mk_milter_ctx *ctx, const char *name)
{
	return ctx->ops->getsymval(ctx, name);
}

int
mk_milter_setreply(struct mk_milter_ctx *ctx, const char *rcode, const char *xcode,
    const char *msg)
{
	return ctx->ops->setreply(ctx, rcode, xcode, msg);
}

int
mk_milter_addheader(struct mk_milter_ctx *ctx, const char *name, const char *value)
{
	return ctx->ops->addheader(ctx, name, value);
}

int
mk_milter_insheader(struct mk_milter_ctx *ctx, int idx, const char *name, const char *value)
{
	return ctx->ops->insheader(ctx, idx, name, value);
}

int
mk_milter_chgheader(struct mk_milter_ctx *ctx, const char *name, int idx, const char *value)
{
	return ctx->ops->chgheader(ctx, name, idx, value);
}

int
mk_milter_quarantine(struct mk_milter_ctx *ctx, const char *reason)
{
	return ctx->ops->quarantine(ctx, reason);
}

int
mk_milter_setoffload(struct mk_milter_ctx *ctx, unsigned stages)
{
	return ctx->ops->setoffload(ctx, stages);
}

int
mk_milter_chgfrom(struct mk_milter_ctx *ctx, const char *from, const char *args)
{
	return ctx->ops->chgfrom(ctx, from, args);
}

int
mk_milter_addrcpt(struct mk_milter_ctx *ctx, const char *rcpt)
{
	return ctx->ops->addrcpt(ctx, rcpt);
}

int
mk_milter_setsymlist(struct mk_milter_ctx *ctx, int stage, const char *macros)
{
	if (stage < MK_MSYM_CONNECT || stage > MK_MSYM_EOH || macros == NULL)
		return -1;
	return ctx->ops->setsymlist(ctx, stage, macros);
}
