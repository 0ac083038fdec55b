/*
 * milter-dmarc/runtime.c: the refcounted runtime (see runtime.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dmarc_history.h"
#include "lib/dmarc_psl.h"
#include "lib/dns.h"
#include "milter-dmarc/dmarc_conf.h"
#include "milter-dmarc/runtime.h"
#include "milter-dmarc/session.h"

static pthread_mutex_t rt_mu = PTHREAD_MUTEX_INITIALIZER;
static struct dmarc_runtime *rt_current;

static void
runtime_free(struct dmarc_runtime *rt)
{
	mk_dmarc_history_close(rt->hist);
	mk_psl_free(rt->psl);
	mk_dns_free(rt->dns);
	dmarc_conf_free(rt->conf);
	free(rt);
}

struct dmarc_runtime *
dmarc_runtime_new(const char *path, bool open_history, char *err, size_t errlen)
{
	struct dmarc_runtime *rt = calloc(1, sizeof(*rt));
	char why[1024];

	if (rt == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rt->refs = 1;
	if ((rt->conf = dmarc_conf_load(path, err, errlen)) == NULL)
		goto fail;
	if ((rt->dns = mk_dns_new(rt->conf->resolver, (unsigned)rt->conf->dns_timeout * 1000,
	    why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s: Resolver: %s", mk_conf_where(rt->conf->raw, "Resolver"), why);
		goto fail;
	}
	if (rt->conf->spec == MK_DMARC_SPEC_7489 &&
	    (rt->psl = mk_psl_load(rt->conf->psl_path, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s: PublicSuffixList: %s",
		    mk_conf_where(rt->conf->raw, "PublicSuffixList"), why);
		goto fail;
	}
	if (open_history && rt->conf->history_file != NULL &&
	    (rt->hist = mk_dmarc_history_open(rt->conf->history_file, false, why,
	    sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s: HistoryFile: %s",
		    mk_conf_where(rt->conf->raw, "HistoryFile"), why);
		goto fail;
	}
	return rt;
fail:
	runtime_free(rt);
	return NULL;
}

void
dmarc_runtime_set(struct dmarc_runtime *rt)
{
	struct dmarc_runtime *old;

	pthread_mutex_lock(&rt_mu);
	old = rt_current;
	rt_current = rt;
	pthread_mutex_unlock(&rt_mu);
	dmarc_runtime_put(old);
}

struct dmarc_runtime *
dmarc_runtime_get(void)
{
	struct dmarc_runtime *rt;

	pthread_mutex_lock(&rt_mu);
	if ((rt = rt_current) != NULL)
		rt->refs++;
	pthread_mutex_unlock(&rt_mu);
	return rt;
}

void
dmarc_runtime_put(struct dmarc_runtime *rt)
{
	bool last;

	if (rt == NULL)
		return;
	pthread_mutex_lock(&rt_mu);
	last = --rt->refs == 0;
	pthread_mutex_unlock(&rt_mu);
	if (last)
		runtime_free(rt);
}
