/*
 * milter-dkim/dkim_conf.c: configuration table (opendkim.conf key names)
 * and load-time validation.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/dns.h"
#include "milter-dkim/dkim_conf.h"
#include "milter-dkim/hosts.h"
#include "milter-dkim/keys.h"
#include "milter-dkim/login_map.h"

static int
v_mode(const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "s") == 0 || strcmp(v, "v") == 0 || strcmp(v, "sv") == 0 ||
	    strcmp(v, "vs") == 0)
		return 0;
	snprintf(err, errlen, "Mode must be s, v or sv");
	return -1;
}

static int
canon_one(const char *s, size_t n, enum dkim_canon *out)
{
	if (n == 6 && strncasecmp(s, "simple", 6) == 0)
		*out = DKIM_C_SIMPLE;
	else if (n == 7 && strncasecmp(s, "relaxed", 7) == 0)
		*out = DKIM_C_RELAXED;
	else
		return -1;
	return 0;
}

/* "relaxed", "relaxed/simple", ... (body defaults to simple, RFC 6376 3.5). */
static int
canon_parse(const char *v, enum dkim_canon *h, enum dkim_canon *b)
{
	const char *slash = strchr(v, '/');

	*b = DKIM_C_SIMPLE;
	if (slash == NULL)
		return canon_one(v, strlen(v), h);
	return canon_one(v, (size_t)(slash - v), h) == -1 ||
	    canon_one(slash + 1, strlen(slash + 1), b) == -1 ? -1 : 0;
}

static int
v_canon(const char *v, char *err, size_t errlen)
{
	enum dkim_canon h, b;

	if (canon_parse(v, &h, &b) == 0)
		return 0;
	snprintf(err, errlen, "Canonicalization must be simple or relaxed, optionally "
	    "HEADER/BODY");
	return -1;
}

static int
v_action(const char *v, char *err, size_t errlen)
{
	enum dkim_action a;

	if (dkim_action_parse(v, &a) == 0)
		return 0;
	snprintf(err, errlen, "action must be accept, discard, quarantine, reject or tempfail");
	return -1;
}

static int
v_sign_engine(const char *v, char *err, size_t errlen)
{
	if (strcasecmp(v, "native") == 0 || strcasecmp(v, "libopendkim") == 0)
		return 0;
	snprintf(err, errlen, "must be native or libopendkim");
	return -1;
}

static int
v_resolver(const char *v, char *err, size_t errlen)
{
	return mk_dns_resolver_valid(v, err, errlen);
}

#define IGN(n) { n, MK_CONF_STR, NULL, 0, 0, NULL, MK_CONF_F_IGNORED, NULL }
#define ACT(n, d) { n, MK_CONF_STR, d, 0, 0, v_action, 0, NULL }

static const struct mk_conf_key dkim_conf_table[] = {
	{ "Socket", MK_CONF_STR, "local:/run/mailaka/dkim.sock", 0, 0, NULL, 0, NULL },
	{ "MilterEngine", MK_CONF_STR, "own", 0, 0, mk_milter_engine_valid, 0, NULL },
	{ "Mode", MK_CONF_STR, "sv", 0, 0, v_mode, 0, NULL },
	{ "Domain", MK_CONF_LIST, NULL, 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "Selector", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "KeyFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "KeyTable", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "SigningTable", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "SubDomains", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "MultipleSignatures", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "InternalHosts", MK_CONF_LIST, "127.0.0.1, ::1", 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "ExternalIgnoreList", MK_CONF_LIST, NULL, 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "Canonicalization", MK_CONF_STR, "relaxed/relaxed", 0, 0, v_canon, 0, NULL },
	{ "SignEngine", MK_CONF_STR, "native", 0, 0, v_sign_engine, 0, NULL },
	{ "VerifyEngine", MK_CONF_STR, "native", 0, 0, v_sign_engine, 0, NULL },
	{ "OversignHeaders", MK_CONF_LIST, "From, To, Cc, Subject, Date, Reply-To, Message-ID, "
	    "MIME-Version, Content-Type, Content-Transfer-Encoding", 0, 0, NULL, 0, NULL },
	{ "SignHeaders", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "SignatureTTL", MK_CONF_DURATION, "0", 0, 366L * 86400, NULL, 0, NULL },
	{ "AuthservID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "Resolver", MK_CONF_STR, "system", 0, 0, v_resolver, 0, "Nameservers" },
	{ "DNSTimeout", MK_CONF_DURATION, "5", 1, 300, NULL, 0, NULL },
	{ "MinimumKeyBits", MK_CONF_INT, "1024", 1024, 16384, NULL, 0, NULL },
	{ "AlwaysAddARHeader", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "SenderLoginMap", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "UserID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "PidFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	ACT("On-Default", "accept"),
	ACT("On-BadSignature", "accept"),
	ACT("On-DNSError", "tempfail"),
	ACT("On-InternalError", "tempfail"),
	ACT("On-KeyNotFound", "accept"),
	ACT("On-NoSignature", "accept"),
	ACT("On-Security", "tempfail"),
	ACT("On-SignatureError", "reject"),
	ACT("On-SenderMismatch", "reject"),
	/* opendkim.conf keys accepted for drop-in, with no effect here */
	IGN("AutoRestart"), IGN("AutoRestartRate"), IGN("Background"), IGN("Syslog"),
	IGN("SyslogSuccess"), IGN("SyslogFacility"), IGN("LogWhy"), IGN("LogResults"),
	IGN("UMask"), IGN("TemporaryDirectory"), IGN("SoftwareHeader"), IGN("TrustAnchorFile"),
	IGN("RequireSafeKeys"), IGN("SignatureAlgorithm"), IGN("RemoveOldSignatures"),
	IGN("BaseDirectory"), IGN("X-Header"), IGN("Statistics"), IGN("ReportAddress"),
	IGN("SendReports"), IGN("Quarantine"), IGN("MaximumHeaders"), IGN("MilterDebug"),
	{ NULL, MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
};

const char *
dkim_action_name(enum dkim_action a)
{
	static const char *const names[] = { "accept", "discard", "quarantine", "reject", "tempfail" };

	return (unsigned)a < 5 ? names[a] : "?";
}

int
dkim_action_parse(const char *s, enum dkim_action *out)
{
	static const char *const names[] = { "accept", "discard", "quarantine", "reject", "tempfail" };
	size_t i, n = strlen(s);

	for (i = 0; i < 5; i++) {
		if ((n == 1 && tolower((unsigned char)s[0]) == names[i][0]) || strcasecmp(s, names[i]) == 0) {
			*out = (enum dkim_action)i;
			return 0;
		}
	}
	return -1;
}

static enum dkim_action
act(const struct mk_conf *raw, const char *key)
{
	enum dkim_action a = DKIM_ACT_TEMPFAIL;

	(void)dkim_action_parse(mk_conf_str(raw, key), &a);	/* validated by the table */
	return a;
}

/* A host-list key: one item that is a file, or an inline list. */
static struct dkim_hosts *
hosts_from(const struct mk_conf *raw, const char *key, char *err, size_t errlen)
{
	const char *const *items;
	size_t n = mk_conf_list(raw, key, &items);

	if (n == 1 && (items[0][0] == '/' || strncmp(items[0], "file:", 5) == 0 ||
	    strncmp(items[0], "refile:", 7) == 0 || strncmp(items[0], "csl:", 4) == 0))
		return dkim_hosts_new(items[0], mk_conf_where(raw, key), err, errlen);
	return dkim_hosts_new_list(items, n, mk_conf_where(raw, key), err, errlen);
}

static int
load_keys(struct dkim_conf *c, char *err, size_t errlen)
{
	struct dkim_keys_spec spec;
	const char *where;

	memset(&spec, 0, sizeof(spec));
	spec.keytable = mk_conf_str(c->raw, "KeyTable");
	spec.signingtable = mk_conf_str(c->raw, "SigningTable");
	spec.ndomains = mk_conf_list(c->raw, "Domain", &spec.domains);
	spec.selector = mk_conf_str(c->raw, "Selector");
	spec.keyfile = mk_conf_str(c->raw, "KeyFile");
	spec.subdomains = mk_conf_bool(c->raw, "SubDomains");
	where = spec.keytable != NULL ? mk_conf_where(c->raw, "KeyTable") :
	    spec.signingtable != NULL ? mk_conf_where(c->raw, "SigningTable") :
	    mk_conf_is_set(c->raw, "Domain") ? mk_conf_where(c->raw, "Domain") :
	    mk_conf_where(c->raw, "KeyFile");
	spec.where = where;
	if ((c->keys = dkim_keys_load(&spec, err, errlen)) == NULL)
		return -1;
	if (c->sign && dkim_keys_count(c->keys) == 0) {
		snprintf(err, errlen, "%s: Mode %s signs but no key is configured (KeyTable + "
		    "SigningTable, or Domain + Selector + KeyFile)", c->path,
		    mk_conf_str(c->raw, "Mode"));
		return -1;
	}
	return 0;
}

static int
conf_build(struct dkim_conf *c, char *err, size_t errlen)
{
	const char *mode = mk_conf_str(c->raw, "Mode"), *s;
	const char *const *items;

	c->socket = mk_conf_str(c->raw, "Socket");
	(void)mk_milter_engine_parse(mk_conf_str(c->raw, "MilterEngine"), &c->engine);
	c->sign_engine = strcasecmp(mk_conf_str(c->raw, "SignEngine"), "libopendkim") == 0 ?
	    DKIM_SIGN_LIBOPENDKIM : DKIM_SIGN_NATIVE;
	c->verify_native = strcasecmp(mk_conf_str(c->raw, "VerifyEngine"), "libopendkim") != 0;
	c->sign = strchr(mode, 's') != NULL;
	c->verify = strchr(mode, 'v') != NULL;
	(void)canon_parse(mk_conf_str(c->raw, "Canonicalization"), &c->hcanon, &c->bcanon);
	mk_conf_list(c->raw, "OversignHeaders", &c->oversign);
	c->signhdrs = NULL;
	if (mk_conf_list(c->raw, "SignHeaders", &items) > 0)
		c->signhdrs = items;
	c->ttl = mk_conf_int(c->raw, "SignatureTTL");
	if ((s = mk_conf_str(c->raw, "AuthservID")) == NULL) {
		if (gethostname(c->authserv_id, sizeof(c->authserv_id) - 1) == -1)
			snprintf(c->authserv_id, sizeof(c->authserv_id), "localhost");
	} else if (snprintf(c->authserv_id, sizeof(c->authserv_id), "%s", s) >=
	    (int)sizeof(c->authserv_id) || strpbrk(s, " \t;()\"") != NULL) {
		snprintf(err, errlen, "%s: AuthservID must be a host name-like token",
		    mk_conf_where(c->raw, "AuthservID"));
		return -1;
	}
	c->resolver = mk_conf_str(c->raw, "Resolver");
	c->dns_timeout = mk_conf_int(c->raw, "DNSTimeout");
	c->multisig = mk_conf_bool(c->raw, "MultipleSignatures");
	c->always_ar = mk_conf_bool(c->raw, "AlwaysAddARHeader");
	c->min_key_bits = mk_conf_int(c->raw, "MinimumKeyBits");
	c->userid = mk_conf_str(c->raw, "UserID");
	c->pidfile = mk_conf_str(c->raw, "PidFile");
	c->on_default = act(c->raw, "On-Default");
	c->on_badsig = act(c->raw, "On-BadSignature");
	c->on_dnserror = act(c->raw, "On-DNSError");
	c->on_internal = act(c->raw, "On-InternalError");
	c->on_keynotfound = act(c->raw, "On-KeyNotFound");
	c->on_nosig = act(c->raw, "On-NoSignature");
	c->on_security = act(c->raw, "On-Security");
	c->on_sigerror = act(c->raw, "On-SignatureError");
	c->on_sender = act(c->raw, "On-SenderMismatch");
	if ((c->internal = hosts_from(c->raw, "InternalHosts", err, errlen)) == NULL)
		return -1;
	if (mk_conf_list(c->raw, "ExternalIgnoreList", NULL) > 0 &&
	    (c->ext_ignore = hosts_from(c->raw, "ExternalIgnoreList", err, errlen)) == NULL)
		return -1;
	if ((s = mk_conf_str(c->raw, "SenderLoginMap")) != NULL &&
	    (c->login_map = dkim_login_map_load(s, err, errlen)) == NULL)
		return -1;
	return load_keys(c, err, errlen);
}

static struct dkim_conf *
conf_finish(struct mk_conf *raw, const char *name, char *err, size_t errlen)
{
	struct dkim_conf *c;

	if (raw == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(name)) == NULL) {
		free(c);
		mk_conf_free(raw);
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	c->raw = raw;
	if (conf_build(c, err, errlen) == -1)
		return dkim_conf_free(c);
	return c;
}

struct dkim_conf *
dkim_conf_load(const char *path, mk_conf_warn_fn warn, void *warn_arg, char *err, size_t errlen)
{
	return conf_finish(mk_conf_load(path, dkim_conf_table, warn, warn_arg, err, errlen), path,
	    err, errlen);
}

struct dkim_conf *
dkim_conf_parse(const char *buf, size_t len, const char *name, mk_conf_warn_fn warn,
    void *warn_arg, char *err, size_t errlen)
{
	return conf_finish(mk_conf_parse(buf, len, name, dkim_conf_table, warn, warn_arg, err,
	    errlen), name, err, errlen);
}

struct dkim_conf *
dkim_conf_free(struct dkim_conf *c)
{
	if (c == NULL)
		return NULL;
	dkim_hosts_free(c->internal);
	dkim_hosts_free(c->ext_ignore);
	dkim_keys_free(c->keys);
	dkim_login_map_free(c->login_map);
	mk_conf_free(c->raw);
	free((char *)c->path);
	free(c);
	return NULL;
}

void
dkim_conf_dump(const struct dkim_conf *c, FILE *fp)
{
	mk_conf_dump(c->raw, fp);
	fprintf(fp, "# effective AuthservID %s; %zu signing key(s) loaded\n", c->authserv_id,
	    dkim_keys_count(c->keys));
}
