/*
 * lib/milter_engine.h: between lib/milter.c (the public API of
 * lib/milter.h) and the two engines (private to lib/milter*.c).
 *
 * Each engine's connection context starts with a struct mk_milter_ctx and
 * its server object with a struct mk_milter, whose ops the public calls
 * dispatch through.
 */
#ifndef MK_MILTER_ENGINE_H
#define MK_MILTER_ENGINE_H

#include "lib/milter.h"

struct mk_milter_ctx_ops {
	void *(*getpriv)(struct mk_milter_ctx *ctx);
	void (*setpriv)(struct mk_milter_ctx *ctx, void *priv);
	const char *(*getsymval)(struct mk_milter_ctx *ctx, const char *name);
	int (*setreply)(struct mk_milter_ctx *ctx, const char *rcode, const char *xcode,
	    const char *msg);
	int (*addheader)(struct mk_milter_ctx *ctx, const char *name, const char *value);
	int (*insheader)(struct mk_milter_ctx *ctx, int idx, const char *name, const char *value);
	int (*chgheader)(struct mk_milter_ctx *ctx, const char *name, int idx, const char *value);
	int (*quarantine)(struct mk_milter_ctx *ctx, const char *reason);
	int (*chgfrom)(struct mk_milter_ctx *ctx, const char *from, const char *args);
	int (*addrcpt)(struct mk_milter_ctx *ctx, const char *rcpt);
	int (*setsymlist)(struct mk_milter_ctx *ctx, int stage, const char *macros);
	int (*setoffload)(struct mk_milter_ctx *ctx, unsigned stages);
};

struct mk_milter_ctx {
	const struct mk_milter_ctx_ops *ops;
};

struct mk_milter_engine_ops {
	struct mk_milter *(*open)(const struct mk_milter_desc *desc,
	    const struct mk_milter_opts *opts, char *err, size_t errlen);
	int (*run)(struct mk_milter *m);
	void (*stop)(struct mk_milter *m);
	struct mk_milter *(*free)(struct mk_milter *m);
};

struct mk_milter {
	const struct mk_milter_engine_ops *ops;
};

extern const struct mk_milter_engine_ops mk_milter_own_ops;		/* lib/milter_server.c */
extern const struct mk_milter_engine_ops mk_milter_libmilter_ops;	/* lib/milter_libmilter.c */

#endif
