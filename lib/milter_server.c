/* lib/milter_server.c: engine own (being written). */
#include "config.h"

#include <stdio.h>

#include "lib/milter_engine.h"

static struct mk_milter *
e_open(const struct mk_milter_desc *desc, const struct mk_milter_opts *opts, char *err,
    size_t errlen)
{
	(void)desc;
	(void)opts;
	snprintf(err, errlen, "milter engine own: not built yet");
	return NULL;
}

static int
e_run(struct mk_milter *m)
{
	(void)m;
	return -1;
}

static void
e_stop(struct mk_milter *m)
{
	(void)m;
}

static struct mk_milter *
e_free(struct mk_milter *m)
{
	(void)m;
	return NULL;
}

const struct mk_milter_engine_ops mk_milter_own_ops = {
	.open = e_open,
	.run = e_run,
	.stop = e_stop,
	.free = e_free,
};
