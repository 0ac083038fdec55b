/*
 * milter-dkim/dkim_conf.h: mailaka-dkim configuration (opendkim.conf key
 * names), parsed into a struct and validated at load time: key files, key
 * and signing tables, host lists and the sender login map are all loaded
 * here, so a bad entry is an error naming file:line at start-up (or at a
 * SIGHUP reload, which then keeps the old configuration), never at the
 * first message.
 */
#ifndef DKIM_CONF_H
#define DKIM_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/conf.h"
#include "lib/milter.h"

enum dkim_action {
	DKIM_ACT_ACCEPT,
	DKIM_ACT_DISCARD,
	DKIM_ACT_QUARANTINE,
	DKIM_ACT_REJECT,
	DKIM_ACT_TEMPFAIL,
};

enum dkim_sign_engine {
	DKIM_SIGN_NATIVE,		/* lib/dkim_sign: keys parsed once */
	DKIM_SIGN_LIBOPENDKIM,		/* dkim_sign(): the PEM key parsed per message */
};

enum dkim_canon {
	DKIM_C_SIMPLE,
	DKIM_C_RELAXED,
};

struct dkim_conf {
	struct mk_conf *raw;		/* owns the strings below */
	const char *path;
	const char *socket;
	enum mk_milter_engine engine;	/* MilterEngine */
	bool sign, verify;		/* Mode */
	enum dkim_canon hcanon, bcanon;	/* Canonicalization */
	enum dkim_sign_engine sign_engine; /* SignEngine */
	bool verify_native;		/* VerifyEngine native (lib/dkim_verify), else libopendkim */
	const char *const *oversign;	/* OversignHeaders, NULL-terminated */
	const char *const *signhdrs;	/* SignHeaders or NULL (library default) */
	long ttl;			/* SignatureTTL, 0 = no x= */
	char authserv_id[256];		/* AuthservID (default: host name) */
	const char *resolver;		/* Resolver / Nameservers */
	long dns_timeout;		/* DNSTimeout, seconds */
	struct dkim_hosts *internal;	/* InternalHosts */
	struct dkim_hosts *ext_ignore;	/* ExternalIgnoreList (may be NULL) */
	struct dkim_keys *keys;		/* KeyTable+SigningTable or Domain/Selector/KeyFile */
	struct dkim_login_map *login_map; /* SenderLoginMap (may be NULL: defaults) */
	bool multisig;			/* MultipleSignatures */
	bool always_ar;			/* AlwaysAddARHeader: "dkim=none" when unsigned */
	long min_key_bits;		/* MinimumKeyBits (RSA, verification) */
	const char *userid, *pidfile;
	enum dkim_action on_default, on_badsig, on_dnserror, on_internal, on_keynotfound,
	    on_nosig, on_security, on_sigerror, on_sender;
};

/* Load path. NULL with err ("file:line: why"). warn gets unknown-key notes. */
struct dkim_conf *dkim_conf_load(const char *path, mk_conf_warn_fn warn, void *warn_arg,
    char *err, size_t errlen);
/* Same from memory (tests). */
struct dkim_conf *dkim_conf_parse(const char *buf, size_t len, const char *name,
    mk_conf_warn_fn warn, void *warn_arg, char *err, size_t errlen);
struct dkim_conf *dkim_conf_free(struct dkim_conf *c);
/* Effective configuration (-n). */
void dkim_conf_dump(const struct dkim_conf *c, FILE *fp);

const char *dkim_action_name(enum dkim_action a);
/* "accept"/"a", "discard"/"d", "quarantine"/"q", "reject"/"r", "tempfail"/"t". 0 / -1 */
int dkim_action_parse(const char *s, enum dkim_action *out);

#endif
