/*
 * milter-dkim/runtime.c: a configuration snapshot with the libopendkim
 * library handle and the resolver built from it.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dns.h"
#include "lib/log.h"
#include "milter-dkim/session.h"

static int
lib_opt(DKIM_LIB *lib, dkim_opts_t opt, void *val, size_t len, const char *name, char *err,
    size_t errlen)
{
	if (dkim_options(lib, DKIM_OP_SETOPT, opt, val, len) == DKIM_STAT_OK)
		return 0;
	snprintf(err, errlen, "libopendkim: cannot set %s", name);
	return -1;
}

/* SignHeaders (OpenDKIM's default list when unset) + OversignHeaders: an
 * oversigned name must be signed too, or its h= entry selects a field the
 * signer did not hash.  Both engines sign these fields. */
static int
signlist_build(struct dkim_runtime *rt, char *err, size_t errlen)
{
	const struct dkim_conf *c = rt->conf;
	const char *const *lists[2] = { c->signhdrs != NULL ? c->signhdrs :
		mk_dkim_default_signhdrs, c->oversign };
	const char *const *l;
	char why[256];
	size_t n = 1, i;

	for (i = 0; i < 2; i++)
		for (l = lists[i]; l != NULL && *l != NULL; l++)
			n++;
	if ((rt->signlist = calloc(n, sizeof(*rt->signlist))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (n = 0, i = 0; i < 2; i++)
		for (l = lists[i]; l != NULL && *l != NULL; l++)
			rt->signlist[n++] = *l;
	if (mk_dkim_sign_check_names(rt->signlist, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: SignHeaders/OversignHeaders: %s", c->path, why);
		return -1;
	}
	return 0;
}

static int
lib_setup(struct dkim_runtime *rt, char *err, size_t errlen)
{
	const struct dkim_conf *c = rt->conf;
	/* not DKIM_LIBFLAGS_FIXCRLF: in 2.11 it keeps the old length after
	 * adding CRs, cutting folded headers short; message.c adds the CRs */
	unsigned int flags = DKIM_LIBFLAGS_BADSIGHANDLES;
	uint64_t ttl = (uint64_t)c->ttl, fixed;
	unsigned int minbits = 1;	/* RFC 8301 key sizes are enforced in verify.c */
	const char *ft;

	if (lib_opt(rt->lib, DKIM_OPTS_FLAGS, &flags, sizeof(flags), "flags", err, errlen) == -1 ||
	    lib_opt(rt->lib, DKIM_OPTS_OVERSIGNHDRS, (void *)c->oversign, sizeof(c->oversign),
	    "OversignHeaders", err, errlen) == -1 ||
	    lib_opt(rt->lib, DKIM_OPTS_SIGNATURETTL, &ttl, sizeof(ttl), "SignatureTTL", err,
	    errlen) == -1 ||
	    lib_opt(rt->lib, DKIM_OPTS_MINKEYBITS, &minbits, sizeof(minbits), "MinimumKeyBits", err,
	    errlen) == -1)
		return -1;
	if (signlist_build(rt, err, errlen) == -1 ||
	    lib_opt(rt->lib, DKIM_OPTS_SIGNHDRS, (void *)rt->signlist, sizeof(rt->signlist),
	    "SignHeaders", err, errlen) == -1)
		return -1;
	/* tests pin the clock (signature t=/x= checks) */
	if ((ft = getenv("MAILAKA_FIXED_TIME")) != NULL && ft[0] != '\0') {
		fixed = strtoull(ft, NULL, 10);
		rt->fixed_time = (time_t)fixed;
		mk_log_warn(NULL, "MAILAKA_FIXED_TIME=%llu: the clock is pinned (tests only)",
		    (unsigned long long)fixed);
		if (lib_opt(rt->lib, DKIM_OPTS_FIXEDTIME, &fixed, sizeof(fixed), "fixed time", err,
		    errlen) == -1)
			return -1;
	}
	if (dkim_set_key_lookup(rt->lib, dkim_verify_key_lookup) != DKIM_STAT_OK) {
		snprintf(err, errlen, "libopendkim: cannot set the key lookup");
		return -1;
	}
	return 0;
}

struct dkim_runtime *
dkim_runtime_new(struct dkim_conf *conf, char *err, size_t errlen)
{
	struct dkim_runtime *rt;

	if ((rt = calloc(1, sizeof(*rt))) == NULL) {
		snprintf(err, errlen, "out of memory");
		dkim_conf_free(conf);
		return NULL;
	}
	rt->conf = conf;
	if ((rt->lib = dkim_init(NULL, NULL)) == NULL) {
		snprintf(err, errlen, "libopendkim: dkim_init failed");
		goto fail;
	}
	if (lib_setup(rt, err, errlen) == -1)
		goto fail;
	if (conf->verify &&
	    (rt->dns = mk_dns_new(conf->resolver, (unsigned)conf->dns_timeout * 1000, err,
	    errlen)) == NULL)
		goto fail;
	return rt;
fail:
	dkim_runtime_free(rt);
	return NULL;
}

void
dkim_runtime_free(struct dkim_runtime *rt)
{
	if (rt == NULL)
		return;
	if (rt->lib != NULL)
		dkim_close(rt->lib);
	mk_dns_free(rt->dns);
	free(rt->signlist);
	dkim_conf_free(rt->conf);
	free(rt);
}
