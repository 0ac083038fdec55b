/*
 * policy-spf/spf_conf.c: configuration table and parsing.
 *
 * The keys of policyd-spf.conf are accepted as they are; those mailaka-spf
 * does not implement load with a warning naming file:line.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "dns.h"
#include "log.h"
#include "spf_conf.h"

static const char *const reject_names[] = {
	[SPF_REJ_FAIL] = "Fail", [SPF_REJ_SOFTFAIL] = "Softfail",
	[SPF_REJ_NOT_PASS] = "SPF_Not_Pass", [SPF_REJ_NULL] = "Null",
	[SPF_REJ_FALSE] = "False", [SPF_REJ_NO_CHECK] = "No_Check",
};

const char *
spf_reject_name(enum spf_reject r)
{
	return reject_names[r];
}

static int
reject_parse(const char *s, enum spf_reject *out)
{
	size_t i;

	for (i = 0; i < sizeof(reject_names) / sizeof(reject_names[0]); i++) {
		if (strcasecmp(s, reject_names[i]) == 0) {
			*out = (enum spf_reject)i;
			return 0;
		}
	}
	return -1;
}

static int
v_reject(const char *value, char *err, size_t errlen)
{
	enum spf_reject r;

	if (reject_parse(value, &r) == -1) {
		snprintf(err, errlen, "must be Fail, Softfail, SPF_Not_Pass, Null, False or No_Check");
		return -1;
	}
	return 0;
}

static int
v_header(const char *value, char *err, size_t errlen)
{
	if (strcasecmp(value, "SPF") != 0 && strcasecmp(value, "AR") != 0 &&
	    strcasecmp(value, "None") != 0) {
		snprintf(err, errlen, "must be SPF, AR or None");
		return -1;
	}
	return 0;
}

static int
v_resolver(const char *value, char *err, size_t errlen)
{
	return mk_dns_resolver_valid(value, err, errlen);
}

static int
v_socket(const char *value, char *err, size_t errlen)
{
	if (strncmp(value, "unix:", 5) == 0 || strncmp(value, "local:", 6) == 0 ||
	    strncmp(value, "inet:", 5) == 0 || strncmp(value, "inet6:", 6) == 0 ||
	    value[0] == '/')
		return 0;
	snprintf(err, errlen, "must be unix:/path, inet:PORT@HOST or inet6:PORT@HOST");
	return -1;
}

static int
v_engine(const char *value, char *err, size_t errlen)
{
	if (strcasecmp(value, "native") != 0 && strcasecmp(value, "libspf2") != 0) {
		snprintf(err, errlen, "must be native or libspf2");
		return -1;
	}
	return 0;
}

/* A Postfix restriction class name (answered as the action). */
static int
v_restriction(const char *value, char *err, size_t errlen)
{
	const char *p;

	for (p = value; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			break;
	}
	if (*value == '\0' || *p != '\0' || p - value > 100) {
		snprintf(err, errlen, "must be a restriction class name");
		return -1;
	}
	return 0;
}

static int
v_debuglevel(const char *value, char *err, size_t errlen)
{
	long d;

	if (mk_conf_parse_long(value, &d) == -1 || d < -1) {
		snprintf(err, errlen, "must be an integer from -1 up");
		return -1;
	}
	return 0;
}

static int
v_loglevel(const char *value, char *err, size_t errlen)
{
	if (mk_log_level_parse(value) == -1) {
		snprintf(err, errlen, "unknown log level");
		return -1;
	}
	return 0;
}

/* policyd-spf.conf keys mailaka-spf knows but does not implement: each one
 * set in a file is a startup warning naming file:line (never a silent
 * difference).  Stored as strings so their place is known. */
static const char *const spf_unimplemented[] = {
	"No_Mail", "Prospective", "Whitelist_Lookup_Time",
	"Reason_Message", "QueueID", "Per_User", "UMask",
	"InternalHosts", "MacroList", NULL,
};

#define UNIMPL(name) { name, MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL }
static const struct mk_conf_key spf_conf_table[] = {
	{ "Socket", MK_CONF_STR, "unix:/run/mailaka/spf.sock", 0, 0, v_socket, 0, NULL },
	{ "SocketMode", MK_CONF_STR, "0666", 0, 0, NULL, 0, NULL },
	{ "SocketOwner", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "HELO_reject", MK_CONF_STR, "Fail", 0, 0, v_reject, 0, NULL },
	{ "Mail_From_reject", MK_CONF_STR, "Fail", 0, 0, v_reject, 0, NULL },
	{ "PermError_reject", MK_CONF_BOOL, "False", 0, 0, NULL, 0, NULL },
	{ "TempError_Defer", MK_CONF_BOOL, "False", 0, 0, NULL, 0, NULL },
	{ "Reject_Not_Pass_Domains", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "HELO_pass_restriction", MK_CONF_STR, NULL, 0, 0, v_restriction, 0, NULL },
	{ "Mail_From_pass_restriction", MK_CONF_STR, NULL, 0, 0, v_restriction, 0, NULL },
	{ "TestOnly", MK_CONF_INT, "1", -1000000, 1000000, NULL, 0, "defaultSeedOnly" },
	{ "skip_addresses", MK_CONF_LIST, "127.0.0.0/8, ::ffff:127.0.0.0/104, ::1", 0, 0, NULL, 0, NULL },
	{ "Whitelist", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "Domain_Whitelist", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "HELO_Whitelist", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "Domain_Whitelist_PTR", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "Header_Type", MK_CONF_STR, "SPF", 0, 0, v_header, 0, NULL },
	{ "Hide_Receiver", MK_CONF_BOOL, "Yes", 0, 0, NULL, 0, NULL },
	{ "Authserv_Id", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "SPF_Enhanced_Status_Codes", MK_CONF_BOOL, "Yes", 0, 0, NULL, 0, NULL },
	{ "Default_Explanation", MK_CONF_STR, "SPF fail - not authorized", 0, 0, NULL, 0, NULL },
	{ "Mock", MK_CONF_BOOL, "False", 0, 0, NULL, 0, NULL },
	{ "Resolver", MK_CONF_STR, "system", 0, 0, v_resolver, 0, "Nameservers" },
	{ "Void_Limit", MK_CONF_INT, "2", 0, 1000, NULL, 0, NULL },
	{ "Lookup_Time", MK_CONF_DURATION, "5", 1, 300, NULL, 0, "DNSTimeout" },
	{ "Cache_Size", MK_CONF_INT, "20000", 0, 10000000, NULL, 0, NULL },
	{ "Max_Connections", MK_CONF_INT, "4096", 1, 1000000, NULL, 0, NULL },
	{ "Idle_Timeout", MK_CONF_DURATION, "300", 1, 86400, NULL, 0, NULL },
	{ "UserID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "PidFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "LogLevel", MK_CONF_STR, "info", 0, 0, v_loglevel, 0, NULL },
	{ "debugLevel", MK_CONF_STR, NULL, 0, 0, v_debuglevel, 0, NULL },
	{ "Engine", MK_CONF_STR, "native", 0, 0, v_engine, 0, NULL },
	{ "Engine_Threads", MK_CONF_INT, "8", 1, 64, NULL, 0, NULL },
	UNIMPL("No_Mail"), UNIMPL("Prospective"),
	UNIMPL("Whitelist_Lookup_Time"), UNIMPL("Reason_Message"),
	UNIMPL("QueueID"), UNIMPL("Per_User"), UNIMPL("UMask"), UNIMPL("InternalHosts"),
	UNIMPL("MacroList"),
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL },
};
#undef UNIMPL

static int
net_parse(const char *s, struct spf_net *n, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	long bits = -1;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		if (mk_conf_parse_long(slash + 1, &bits) == -1)
			goto bad;
	}
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		n->bits = bits < 0 ? 32 : (unsigned)bits;
		if (bits > 32)
			goto bad;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		n->bits = bits < 0 ? 128 : (unsigned)bits;
		if (bits > 128)
			goto bad;
	} else {
		goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad address or CIDR block \"%s\"", s);
	return -1;
}

static int
netlist_build(struct spf_conf *c, const char *key, struct spf_netlist *l, char *err, size_t errlen)
{
	const char *const *items;
	size_t n = mk_conf_list(c->raw, key, &items), i;
	char why[128];

	l->nets = calloc(n ? n : 1, sizeof(*l->nets));
	if (l->nets == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (net_parse(items[i], &l->nets[l->n], why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s: %s: %s", mk_conf_where(c->raw, key), key, why);
			return -1;
		}
		l->n++;
	}
	return 0;
}

static bool
net_match(const struct spf_net *n, int family, const unsigned char *a)
{
	unsigned full = n->bits / 8, rem = n->bits % 8;

	if (family != n->family || memcmp(a, n->addr, full) != 0)
		return false;
	return rem == 0 || ((a[full] ^ n->addr[full]) & (0xff << (8 - rem)) & 0xff) == 0;
}

bool
spf_netlist_match(const struct spf_netlist *l, const char *ip)
{
	unsigned char a[16], a4[4];
	int family;
	size_t i;

	if (inet_pton(AF_INET, ip, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		family = AF_INET6;
	else
		return false;
	for (i = 0; i < l->n; i++) {
		if (net_match(&l->nets[i], family, a))
			return true;
		/* an IPv4-mapped client also matches IPv4 entries */
		if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
			memcpy(a4, a + 12, 4);
			if (net_match(&l->nets[i], AF_INET, a4))
				return true;
		}
	}
	return false;
}

static void
conf_warn(const char *msg, void *arg)
{
	(void)arg;
	mk_log_warn(NULL, "%s", msg);
}

/* policyd-spf's debugLevel (-1 nothing .. 1 results and errors .. 5 all)
 * when LogLevel is not set. */
static int
debug_level_map(long d)
{
	if (d <= 0)
		return MK_LOG_ERR;
	return d == 1 ? MK_LOG_INFO : MK_LOG_DEBUG;
}

static void
warn_unimplemented(const struct mk_conf *raw)
{
	const char *const *k;
	bool b;

	for (k = spf_unimplemented; *k != NULL; k++) {
		if (!mk_conf_is_set(raw, *k))
			continue;
		/* QueueID = True is what mailaka-spf does: queue ids are logged */
		if (strcasecmp(*k, "QueueID") == 0 &&
		    mk_conf_parse_bool(mk_conf_str(raw, *k), &b) == 0 && b)
			continue;
		mk_log_warn(NULL, "%s: %s is a policyd-spf setting that mailaka-spf does not "
		    "implement: ignored", mk_conf_where(raw, *k), *k);
	}
}

static struct spf_conf *
conf_finish(struct mk_conf *raw, char *err, size_t errlen)
{
	struct spf_conf *c = calloc(1, sizeof(*c));
	static char host[256];
	const char *mode;
	char *end;

	if (c == NULL) {
		mk_conf_free(raw);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->raw = raw;
	c->refs = 1;
	c->socket = mk_conf_str(raw, "Socket");
	c->socket_owner = mk_conf_str(raw, "SocketOwner");
	mode = mk_conf_str(raw, "SocketMode");
	c->socket_mode = (int)strtol(mode, &end, 8);
	if (*end != '\0' || c->socket_mode < 0 || c->socket_mode > 0777) {
		snprintf(err, errlen, "%s: SocketMode: not an octal mode", mk_conf_where(raw, "SocketMode"));
		goto fail;
	}
	reject_parse(mk_conf_str(raw, "HELO_reject"), &c->helo_reject);
	reject_parse(mk_conf_str(raw, "Mail_From_reject"), &c->mail_from_reject);
	if (c->mail_from_reject == SPF_REJ_NULL) {
		snprintf(err, errlen, "%s: Mail_From_reject: Null applies to HELO_reject only",
		    mk_conf_where(raw, "Mail_From_reject"));
		goto fail;
	}
	c->permerror_reject = mk_conf_bool(raw, "PermError_reject");
	c->temperror_defer = mk_conf_bool(raw, "TempError_Defer");
	c->header_ar = strcasecmp(mk_conf_str(raw, "Header_Type"), "AR") == 0;
	c->header_none = strcasecmp(mk_conf_str(raw, "Header_Type"), "None") == 0;
	c->test_only = mk_conf_int(raw, "TestOnly") == 0;
	c->helo_pass_restriction = mk_conf_str(raw, "HELO_pass_restriction");
	c->mail_from_pass_restriction = mk_conf_str(raw, "Mail_From_pass_restriction");
	c->enhanced_codes = mk_conf_bool(raw, "SPF_Enhanced_Status_Codes");
	c->mock = mk_conf_bool(raw, "Mock");
	c->hide_receiver = mk_conf_bool(raw, "Hide_Receiver");
	c->authserv_id = mk_conf_str(raw, "Authserv_Id");
	if (c->authserv_id == NULL) {
		if (host[0] == '\0' && gethostname(host, sizeof(host) - 1) == -1)
			snprintf(host, sizeof(host), "localhost");
		c->authserv_id = host;
	}
	c->default_exp = mk_conf_str(raw, "Default_Explanation");
	c->resolver = mk_conf_str(raw, "Resolver");
	c->dns_timeout = mk_conf_int(raw, "Lookup_Time");
	c->cache_size = mk_conf_int(raw, "Cache_Size");
	c->max_connections = mk_conf_int(raw, "Max_Connections");
	c->idle_timeout = mk_conf_int(raw, "Idle_Timeout");
	c->user = mk_conf_str(raw, "UserID");
	c->pidfile = mk_conf_str(raw, "PidFile");
	c->log_level = mk_log_level_parse(mk_conf_str(raw, "LogLevel"));
	if (mk_conf_is_set(raw, "debugLevel") && !mk_conf_is_set(raw, "LogLevel")) {
		long d = 1;
		mk_conf_parse_long(mk_conf_str(raw, "debugLevel"), &d);
		c->log_level = debug_level_map(d);
	}
	c->engine_libspf2 = strcasecmp(mk_conf_str(raw, "Engine"), "libspf2") == 0;
	c->engine_threads = mk_conf_int(raw, "Engine_Threads");
	c->void_limit = (unsigned)mk_conf_int(raw, "Void_Limit");
	if (c->engine_libspf2 && mk_conf_is_set(raw, "Void_Limit"))
		mk_log_warn(NULL, "%s: Void_Limit is not applied by Engine = libspf2 (no void "
		    "lookup limit)", mk_conf_where(raw, "Void_Limit"));
	c->n_domain_whitelist = mk_conf_list(raw, "Domain_Whitelist", &c->domain_whitelist);
	c->n_helo_whitelist = mk_conf_list(raw, "HELO_Whitelist", &c->helo_whitelist);
	c->n_reject_not_pass = mk_conf_list(raw, "Reject_Not_Pass_Domains", &c->reject_not_pass);
	c->n_domain_whitelist_ptr = mk_conf_list(raw, "Domain_Whitelist_PTR", &c->domain_whitelist_ptr);
	warn_unimplemented(raw);
	if (netlist_build(c, "skip_addresses", &c->skip, err, errlen) == -1 ||
	    netlist_build(c, "Whitelist", &c->whitelist, err, errlen) == -1)
		goto fail;
	return c;
fail:
	spf_conf_unref(c);
	return NULL;
}

struct spf_conf *
spf_conf_load(const char *path, char *err, size_t errlen)
{
	struct mk_conf *raw = mk_conf_load(path, spf_conf_table, conf_warn, NULL, err, errlen);

	return raw ? conf_finish(raw, err, errlen) : NULL;
}

struct spf_conf *
spf_conf_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct mk_conf *raw = mk_conf_parse(buf, len, "(test)", spf_conf_table, conf_warn, NULL,
	    err, errlen);

	return raw ? conf_finish(raw, err, errlen) : NULL;
}

struct spf_conf *
spf_conf_ref(struct spf_conf *c)
{
	c->refs++;
	return c;
}

struct spf_conf *
spf_conf_unref(struct spf_conf *c)
{
	if (c == NULL || --c->refs > 0)
		return NULL;
	free(c->skip.nets);
	free(c->whitelist.nets);
	mk_conf_free(c->raw);
	free(c);
	return NULL;
}

void
spf_conf_dump(const struct spf_conf *c, FILE *fp)
{
	mk_conf_dump(c->raw, fp);
}
