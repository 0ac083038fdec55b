/*
 * t/unit/test_conf.c: lib/conf.c — syntax (opendkim.conf, opendmarc.conf,
 * policyd-spf.conf), typed values, errors naming file:line, warnings,
 * includes, bounds, and mk_conf_dump() parsing back to the same values.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "tap.h"

static int
validate_mode(const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "s") == 0 || strcmp(v, "v") == 0 || strcmp(v, "sv") == 0)
		return 0;
	snprintf(err, errlen, "must be s, v or sv");
	return -1;
}

static int
validate_spf_action(const char *v, char *err, size_t errlen)
{
	static const char *const ok_values[] = {
		"Fail", "SPF_Not_Pass", "Softfail", "Null", "False", "No_Check",
	};
	size_t i;

	for (i = 0; i < sizeof(ok_values) / sizeof(ok_values[0]); i++)
		if (strcasecmp(v, ok_values[i]) == 0)
			return 0;
	(void)err;
	(void)errlen;
	return -1;	/* let conf.c word the message */
}

/* opendkim-ish keys, plus policyd-spf ones and a few typed test keys. */
static const struct mk_conf_key keys[] = {
	{ "Socket", MK_CONF_STR, "inet:8891@localhost", 0, 0, NULL, 0, NULL },
	{ "Mode", MK_CONF_STR, "sv", 0, 0, validate_mode, 0, NULL },
	{ "Domain", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "Selector", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "KeyFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "KeyTable", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "SigningTable", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "InternalHosts", MK_CONF_LIST, "127.0.0.1, ::1", 0, 0, NULL, 0, NULL },
	{ "ExternalIgnoreList", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "Canonicalization", MK_CONF_STR, "relaxed/simple", 0, 0, NULL, 0, NULL },
	{ "OversignHeaders", MK_CONF_LIST, NULL, 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "AuthservID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "Resolver", MK_CONF_STR, "system", 0, 0, NULL, 0, "Nameservers" },
	{ "UserID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "PidFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "Syslog", MK_CONF_BOOL, "yes", 0, 0, NULL, 0, NULL },
	{ "SoftwareHeader", MK_CONF_BOOL, NULL, 0, 0, NULL, 0, NULL },
	{ "Port", MK_CONF_INT, "25", 1, 65535, NULL, 0, NULL },
	{ "Retries", MK_CONF_INT, NULL, 0, 0, NULL, 0, NULL },
	{ "Timeout", MK_CONF_DURATION, "5m", 1, 86400, NULL, 0, NULL },
	{ "MaxSize", MK_CONF_SIZE, "10m", 0, 0, NULL, 0, NULL },
	{ "HELO_reject", MK_CONF_STR, "SPF_Not_Pass", 0, 0, validate_spf_action, 0, NULL },
	{ "skip_addresses", MK_CONF_LIST, "127.0.0.0/8,::ffff:127.0.0.0/104,::1", 0, 0, NULL, 0, NULL },
	{ "Header_Type", MK_CONF_STR, "SPF", 0, 0, NULL, 0, NULL },
	{ "AutoRestart", MK_CONF_BOOL, NULL, 0, 0, NULL, MK_CONF_F_IGNORED, NULL },
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL },
};

static const struct mk_conf_key dmarc_keys[] = {
	{ "Socket", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "AuthservID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "TrustedAuthservIDs", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "RejectFailures", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "SPFSelfValidate", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "IgnoreAuthenticatedClients", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "HistoryFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "PublicSuffixList", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "FailureReports", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "Resolver", MK_CONF_STR, "system", 0, 0, NULL, 0, "Nameservers" },
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL },
};

static const struct mk_conf_key spf_keys[] = {
	{ "HELO_reject", MK_CONF_STR, "SPF_Not_Pass", 0, 0, validate_spf_action, 0, NULL },
	{ "Mail_From_reject", MK_CONF_STR, "Fail", 0, 0, validate_spf_action, 0, NULL },
	{ "PermError_reject", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "TempError_Defer", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "skip_addresses", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "Whitelist", MK_CONF_LIST, NULL, 0, 0, NULL, 0, NULL },
	{ "Header_Type", MK_CONF_STR, "SPF", 0, 0, NULL, 0, NULL },
	{ "Resolver", MK_CONF_STR, "system", 0, 0, NULL, 0, NULL },
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL },
};

#define WARN_MAX 8

static struct {
	char	msgs[WARN_MAX][MK_CONF_ERR_MAX];
	int	n;
} warns;

static void
on_warn(const char *msg, void *arg)
{
	(void)arg;
	if (warns.n < WARN_MAX)
		snprintf(warns.msgs[warns.n], sizeof(warns.msgs[0]), "%s", msg);
	warns.n++;
}

static char err[MK_CONF_ERR_MAX];

static struct mk_conf *
parse_len(const struct mk_conf_key *table, const char *text, size_t len)
{
	memset(&warns, 0, sizeof(warns));
	return mk_conf_parse(text, len, "test.conf", table, on_warn, NULL, err,
	    sizeof(err));
}

static struct mk_conf *
parse(const char *text)
{
	return parse_len(keys, text, strlen(text));
}

/* A key's value as text: STR as is ("(null)" unset), LIST items joined by '|'. */
static const char *
value_of(const struct mk_conf *conf, const struct mk_conf_key *k, char *buf,
    size_t bufsz)
{
	const char *const *items;
	const char *s;
	size_t i, n, len = 0;

	buf[0] = '\0';
	switch (k->type) {
	case MK_CONF_STR:
		s = mk_conf_str(conf, k->name);
		snprintf(buf, bufsz, "%s", s != NULL ? s : "(null)");
		break;
	case MK_CONF_INT:
	case MK_CONF_DURATION:
	case MK_CONF_SIZE:
		snprintf(buf, bufsz, "%ld", mk_conf_int(conf, k->name));
		break;
	case MK_CONF_BOOL:
		snprintf(buf, bufsz, "%s", mk_conf_bool(conf, k->name) ? "yes" : "no");
		break;
	case MK_CONF_LIST:
		n = mk_conf_list(conf, k->name, &items);
		for (i = 0; i < n && len < bufsz; i++)
			len += (size_t)snprintf(buf + len, bufsz - len, "%s%s",
			    i ? "|" : "", items[i]);
		if (items[n] != NULL)
			snprintf(buf, bufsz, "(list not NULL-terminated)");
		break;
	}
	return buf;
}

static const struct mk_conf_key *
key_of(const struct mk_conf_key *table, const char *name)
{
	for (; table->name != NULL; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

static void
test_values(void)
{
	static const struct {
		const char	*text;
		const char	*key;
		const char	*want;
	} cases[] = {
		{ "Socket inet:8891@localhost", "Socket", "inet:8891@localhost" },
		{ "Socket local:/run/opendkim/opendkim.sock", "Socket", "local:/run/opendkim/opendkim.sock" },
		{ "Socket inet6:8891@[::1]", "Socket", "inet6:8891@[::1]" },
		{ "SigningTable refile:/etc/opendkim/SigningTable", "SigningTable", "refile:/etc/opendkim/SigningTable" },
		{ "InternalHosts 0.0.0.0/0", "InternalHosts", "0.0.0.0/0" },
		{ "ExternalIgnoreList refile:/etc/opendkim/TrustedHosts", "ExternalIgnoreList", "refile:/etc/opendkim/TrustedHosts" },
		{ "socket x", "Socket", "x" },
		{ "SOCKET x", "Socket", "x" },
		{ "Socket = x", "Socket", "x" },
		{ "Socket=x", "Socket", "x" },
		{ "Socket =x", "Socket", "x" },
		{ "Socket\t\tx", "Socket", "x" },
		{ "  \tSocket x  \t", "Socket", "x" },
		{ "Socket x\r\n", "Socket", "x" },
		{ "Socket x\n", "Socket", "x" },
		{ "\xef\xbb\xbfSocket x", "Socket", "x" },
		{ "# comment\n\n   \n\t# x\nSocket x\n# end", "Socket", "x" },
		{ "Socket a b", "Socket", "a b" },
		{ "Socket a  b  # comment", "Socket", "a  b" },
		{ "Socket x# comment", "Socket", "x" },
		{ "Socket \"a b\"", "Socket", "a b" },
		{ "Socket \"a#b\" # c", "Socket", "a#b" },
		{ "Socket \"a\\\"b\"", "Socket", "a\"b" },
		{ "Socket \"a\\\\b\"", "Socket", "a\\b" },
		{ "Socket \"a\\nb\"", "Socket", "a\\nb" },
		{ "Socket a\\b", "Socket", "a\\b" },
		{ "Socket \"x\"y", "Socket", "xy" },
		{ "Socket \"  padded  \"", "Socket", "  padded  " },
		{ "Socket \"\"", "Socket", "" },
		{ "Selector s\xc3\xa9lecteur", "Selector", "s\xc3\xa9lecteur" },
		{ "Socket a\nSocket b", "Socket", "b" },
		{ "Nameservers 127.0.0.1", "Resolver", "127.0.0.1" },
		{ "nameservers = 192.0.2.1@5353", "Resolver", "192.0.2.1@5353" },
		{ "Resolver a\nNameservers b", "Resolver", "b" },
		{ "Mode s", "Mode", "s" },
		{ "Port 2525", "Port", "2525" },
		{ "Port 1", "Port", "1" },
		{ "Port 65535", "Port", "65535" },
		{ "Port +80", "Port", "80" },
		{ "Retries -5", "Retries", "-5" },
		{ "Retries 9223372036854775807", "Retries", "9223372036854775807" },
		{ "Timeout 90", "Timeout", "90" },
		{ "Timeout 90s", "Timeout", "90" },
		{ "Timeout 2m", "Timeout", "120" },
		{ "Timeout 1H", "Timeout", "3600" },
		{ "Timeout 1d", "Timeout", "86400" },
		{ "MaxSize 0", "MaxSize", "0" },
		{ "MaxSize 1k", "MaxSize", "1024" },
		{ "MaxSize 10M", "MaxSize", "10485760" },
		{ "MaxSize 2g", "MaxSize", "2147483648" },
		{ "Syslog no", "Syslog", "no" },
		{ "Syslog NO", "Syslog", "no" },
		{ "Syslog false", "Syslog", "no" },
		{ "Syslog Off", "Syslog", "no" },
		{ "Syslog 0", "Syslog", "no" },
		{ "SoftwareHeader yes", "SoftwareHeader", "yes" },
		{ "SoftwareHeader True", "SoftwareHeader", "yes" },
		{ "SoftwareHeader on", "SoftwareHeader", "yes" },
		{ "SoftwareHeader 1", "SoftwareHeader", "yes" },
		{ "Domain a, b,,c", "Domain", "a|b|c" },
		{ "Domain a b\tc", "Domain", "a|b|c" },
		{ "Domain ,,a,, ", "Domain", "a" },
		{ "Domain \"a b\", c", "Domain", "a b|c" },
		{ "Domain \"a,b\"", "Domain", "a,b" },
		{ "Domain a # b, c", "Domain", "a" },
		{ "Domain a \"\" b", "Domain", "a|b" },
		{ "Domain", "Domain", "" },
		{ "Domain , ,", "Domain", "" },
		{ "Domain a\nDomain b", "Domain", "b" },
		{ "InternalHosts", "InternalHosts", "" },
		{ "OversignHeaders From\noversignheaders To, Subject", "OversignHeaders", "From|To|Subject" },
		{ "skip_addresses = 127.0.0.0/8,::ffff:127.0.0.0/104,::1", "skip_addresses", "127.0.0.0/8|::ffff:127.0.0.0/104|::1" },
		{ "HELO_reject = Fail", "HELO_reject", "Fail" },
		{ "Header_Type = SPF", "Header_Type", "SPF" },
		{ "Header_Type = AR", "Header_Type", "AR" },
		{ "AutoRestart maybe-not-a-bool", "Socket", "inet:8891@localhost" },
	};
	const struct mk_conf_key *k;
	struct mk_conf *conf;
	char got[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf = parse(cases[i].text);
		if (!ok(conf != NULL, "value %zu: parses", i)) {
			diag("error: %s", err);
			continue;
		}
		k = key_of(keys, cases[i].key);
		is_str(value_of(conf, k, got, sizeof(got)), cases[i].want,
		    "value %zu: %s", i, cases[i].key);
		is_int(warns.n, 0, "value %zu: no warning", i);
		mk_conf_free(conf);
	}
}

static void
test_errors(void)
{
	static const struct {
		const char	*text;
		size_t		 len;	/* 0: strlen(text) */
		const char	*want;	/* prefix of the error */
	} cases[] = {
		{ "Port abc", 0, "test.conf:1: Port: \"abc\" is not an integer" },
		{ "Port 25x", 0, "test.conf:1: Port: \"25x\" is not an integer" },
		{ "Port 1 2", 0, "test.conf:1: Port: \"1 2\" is not an integer" },
		{ "Port 99999999999999999999", 0, "test.conf:1: Port: \"99999999999999999999\" is not an integer" },
		{ "Port 0", 0, "test.conf:1: Port: 0 is out of range [1, 65535]" },
		{ "Port 65536", 0, "test.conf:1: Port: 65536 is out of range [1, 65535]" },
		{ "Port -1", 0, "test.conf:1: Port: -1 is out of range [1, 65535]" },
		{ "Port", 0, "test.conf:1: Port: missing value" },
		{ "Port   # none", 0, "test.conf:1: Port: missing value" },
		{ "Socket", 0, "test.conf:1: Socket: missing value" },
		{ "Syslog maybe", 0, "test.conf:1: Syslog: \"maybe\" is not a boolean" },
		{ "Syslog yess", 0, "test.conf:1: Syslog: \"yess\" is not a boolean" },
		{ "Syslog x", 0, "test.conf:1: Syslog: \"x\" is not a boolean" },
		{ "Syslog yup", 0, "test.conf:1: Syslog: \"yup\" is not a boolean" },
		{ "Syslog \"\"", 0, "test.conf:1: Syslog: \"\" is not a boolean" },
		{ "Timeout 5x", 0, "test.conf:1: Timeout: \"5x\" is not a duration" },
		{ "Timeout -1", 0, "test.conf:1: Timeout: \"-1\" is not a duration" },
		{ "Timeout 1mm", 0, "test.conf:1: Timeout: \"1mm\" is not a duration" },
		{ "Timeout s", 0, "test.conf:1: Timeout: \"s\" is not a duration" },
		{ "Timeout 2d", 0, "test.conf:1: Timeout: 172800 is out of range [1, 86400]" },
		{ "Timeout 0", 0, "test.conf:1: Timeout: 0 is out of range [1, 86400]" },
		{ "MaxSize 1t", 0, "test.conf:1: MaxSize: \"1t\" is not a size" },
		{ "MaxSize 99999999999g", 0, "test.conf:1: MaxSize: \"99999999999g\" is not a size" },
		{ "Mode x", 0, "test.conf:1: Mode: must be s, v or sv" },
		{ "HELO_reject = Maybe", 0, "test.conf:1: HELO_reject: invalid value \"Maybe\"" },
		{ "Socket \"abc", 0, "test.conf:1: unterminated quote" },
		{ "Socket \"abc\\\"", 0, "test.conf:1: unterminated quote" },
		{ "Domain \"a, b", 0, "test.conf:1: unterminated quote" },
		{ "Unknown \"abc", 0, "test.conf:1: unterminated quote" },
		{ "\nSocket a\0b", 11, "test.conf:2: NUL byte" },
		{ "# x\0y", 5, "test.conf:1: NUL byte" },
		{ "Socket a\rb", 0, "test.conf:1: control character 0x0d" },
		{ "Socket a\x1b", 0, "test.conf:1: control character 0x1b" },
		{ "Socket a\x7f", 0, "test.conf:1: control character 0x7f" },
		{ "Sock@t x", 0, "test.conf:1: invalid key" },
		{ "=x", 0, "test.conf:1: invalid key" },
		{ "\"Socket\" x", 0, "test.conf:1: invalid key" },
		{ "Socket x\nPort 1\nPort bad", 0, "test.conf:3: Port:" },
		{ "include", 0, "test.conf:1: include: missing file name" },
		{ "include /nonexistent/mailaka.conf", 0, "test.conf:1: include \"/nonexistent/mailaka.conf\": No such file or directory" },
		{ "include /", 0, "test.conf:1: include \"/\": not a regular file" },
		{ "include /dev/null", 0, "test.conf:1: include \"/dev/null\": not a regular file" },
	};
	struct mk_conf *conf;
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		err[0] = '\0';
		conf = parse_len(keys, cases[i].text, len);
		ok(conf == NULL, "error %zu: refused", i);
		if (!ok(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0,
		    "error %zu: message", i))
			diag("got \"%s\", want \"%s...\"", err, cases[i].want);
		mk_conf_free(conf);
	}
}

static void
test_warnings(void)
{
	struct mk_conf *conf;

	conf = parse("Socket x\nLogWhy yes\n\nFooBar = 1\nAutoRestart yes\n");
	ok(conf != NULL, "unknown keys still load");
	is_int(warns.n, 2, "two warnings (AutoRestart is known, ignored)");
	is_str(warns.msgs[0], "test.conf:2: unknown key \"LogWhy\" ignored", "warning 1");
	is_str(warns.msgs[1], "test.conf:4: unknown key \"FooBar\" ignored", "warning 2");
	is_str(mk_conf_str(conf, "Socket"), "x", "known key next to unknown ones");
	mk_conf_free(conf);
}

static void
test_defaults(void)
{
	const char *const *items;
	struct mk_conf *conf;

	/* OpenDMARC-style one-letter booleans in a file */
	conf = parse("Syslog n\nSoftwareHeader T\n");
	ok(conf != NULL, "one-letter booleans: parse");
	is_int(conf != NULL && mk_conf_bool(conf, "Syslog"), 0, "Syslog n is false");
	is_int(conf != NULL && mk_conf_bool(conf, "SoftwareHeader"), 1, "SoftwareHeader T is true");
	mk_conf_free(conf);

	conf = parse("Port 587\n\nPort 465\n");
	ok(conf != NULL, "defaults: parses");
	is_str(mk_conf_str(conf, "Socket"), "inet:8891@localhost", "default STR");
	is_str(mk_conf_str(conf, "Selector"), NULL, "STR without default is NULL");
	is_int(mk_conf_int(conf, "Timeout"), 300, "default DURATION 5m");
	is_int(mk_conf_int(conf, "MaxSize"), 10485760, "default SIZE 10m");
	is_int(mk_conf_int(conf, "Retries"), 0, "INT without default is 0");
	is_int(mk_conf_bool(conf, "Syslog"), 1, "default BOOL yes");
	is_int(mk_conf_bool(conf, "SoftwareHeader"), 0, "BOOL without default is false");
	is_int(mk_conf_list(conf, "InternalHosts", &items), 2, "default LIST count");
	is_str(items[1], "::1", "default LIST item");
	is_int(mk_conf_list(conf, "Domain", &items), 0, "LIST without default is empty");
	ok(items != NULL && items[0] == NULL, "empty LIST is a NULL-terminated array");
	is_int(mk_conf_is_set(conf, "Socket"), 0, "default is not set");
	is_str(mk_conf_where(conf, "Socket"), "default", "where of a default");
	is_int(mk_conf_int(conf, "Port"), 465, "duplicate key: later wins");
	is_int(mk_conf_is_set(conf, "port"), 1, "is_set, any case");
	is_str(mk_conf_where(conf, "Port"), "test.conf:3", "where: the later line");
	mk_conf_free(conf);

	conf = parse("OversignHeaders From\nInternalHosts 10.0.0.0/8\n");
	is_int(mk_conf_list(conf, "InternalHosts", &items), 1, "a set LIST replaces its default");
	is_str(mk_conf_where(conf, "Nameservers"), "default", "getter by alias");
	mk_conf_free(conf);

	ok(mk_conf_free(NULL) == NULL, "mk_conf_free(NULL) is NULL");
}

static void
test_samples(void)
{
	static const char opendkim[] =
	    "# This is a basic configuration for signing and verifying. It can easily be\n"
	    "# adapted to suit a basic installation. See opendkim.conf(5) and\n"
	    "# /usr/share/doc/opendkim/examples/opendkim.conf.sample for complete\n"
	    "\n"
	    "Syslog\t\t\tyes\n"
	    "SyslogSuccess\t\tyes\n"
	    "#LogWhy\t\t\tno\n"
	    "Canonicalization\trelaxed/simple\n"
	    "#Domain\t\t\texample.com\n"
	    "Mode\t\t\tsv\n"
	    "SubDomains\t\tno\n"
	    "OversignHeaders\t\tFrom\n"
	    "UserID\t\t\topendkim\n"
	    "UMask\t\t\t007\n"
	    "Socket\t\t\tlocal:/run/opendkim/opendkim.sock\n"
	    "#Socket\t\t\tinet:8891@localhost\n"
	    "PidFile\t\t\t/run/opendkim/opendkim.pid\n"
	    "TrustAnchorFile\t\t/usr/share/dns/root.key\n"
	    "KeyTable           refile:/etc/opendkim/KeyTable\n"
	    "SigningTable       refile:/etc/opendkim/SigningTable\n"
	    "ExternalIgnoreList refile:/etc/opendkim/TrustedHosts\n"
	    "InternalHosts      refile:/etc/opendkim/TrustedHosts\n"
	    "Nameservers        127.0.0.1\n";
	static const char opendmarc[] =
	    "AuthservID mail.example.com\n"
	    "PidFile /run/opendmarc/opendmarc.pid\n"
	    "RejectFailures false\n"
	    "Socket local:/run/opendmarc/opendmarc.sock\n"
	    "Syslog true\n"
	    "TrustedAuthservIDs mail.example.com, mx2.example.com\n"
	    "UMask 0002\n"
	    "UserID opendmarc\n"
	    "IgnoreHosts /etc/opendmarc/ignore.hosts\n"
	    "HistoryFile /run/opendmarc/opendmarc.dat\n"
	    "PublicSuffixList /usr/share/publicsuffix\n"
	    "SPFSelfValidate true\n";
	static const char policyd_spf[] =
	    "# For a fully commented sample config file see policyd-spf.conf.commented\n"
	    "\n"
	    "debugLevel = 1\n"
	    "TestOnly = 1\n"
	    "\n"
	    "HELO_reject = Fail\n"
	    "Mail_From_reject = Fail\n"
	    "\n"
	    "PermError_reject = False\n"
	    "TempError_Defer = False\n"
	    "\n"
	    "skip_addresses = 127.0.0.0/8,::ffff:127.0.0.0/104,::1\n"
	    "Header_Type = SPF\n";
	const char *const *items;
	struct mk_conf *conf;

	conf = parse_len(keys, opendkim, strlen(opendkim));
	if (!ok(conf != NULL, "opendkim.conf loads"))
		diag("error: %s", err);
	is_int(warns.n, 4, "opendkim.conf: 4 unknown keys warned");
	is_str(warns.msgs[0], "test.conf:6: unknown key \"SyslogSuccess\" ignored", "opendkim.conf: first warning");
	is_str(mk_conf_str(conf, "Socket"), "local:/run/opendkim/opendkim.sock", "opendkim.conf: Socket");
	is_str(mk_conf_str(conf, "KeyTable"), "refile:/etc/opendkim/KeyTable", "opendkim.conf: KeyTable");
	is_str(mk_conf_str(conf, "Resolver"), "127.0.0.1", "opendkim.conf: Nameservers -> Resolver");
	is_str(mk_conf_where(conf, "Resolver"), "test.conf:23", "opendkim.conf: where Resolver");
	is_int(mk_conf_list(conf, "InternalHosts", &items), 1, "opendkim.conf: InternalHosts");
	is_str(items[0], "refile:/etc/opendkim/TrustedHosts", "opendkim.conf: InternalHosts item");
	mk_conf_free(conf);

	conf = parse_len(dmarc_keys, opendmarc, strlen(opendmarc));
	if (!ok(conf != NULL, "opendmarc.conf loads"))
		diag("error: %s", err);
	is_int(warns.n, 5, "opendmarc.conf: 5 unknown keys warned");
	is_int(mk_conf_list(conf, "TrustedAuthservIDs", &items), 2, "opendmarc.conf: TrustedAuthservIDs");
	is_str(items[1], "mx2.example.com", "opendmarc.conf: second ID");
	is_int(mk_conf_bool(conf, "SPFSelfValidate"), 1, "opendmarc.conf: SPFSelfValidate");
	is_int(mk_conf_bool(conf, "RejectFailures"), 0, "opendmarc.conf: RejectFailures");
	mk_conf_free(conf);

	conf = parse_len(spf_keys, policyd_spf, strlen(policyd_spf));
	if (!ok(conf != NULL, "policyd-spf.conf loads"))
		diag("error: %s", err);
	is_int(warns.n, 2, "policyd-spf.conf: debugLevel and TestOnly warned");
	is_str(warns.msgs[1], "test.conf:4: unknown key \"TestOnly\" ignored", "policyd-spf.conf: warning");
	is_str(mk_conf_str(conf, "HELO_reject"), "Fail", "policyd-spf.conf: HELO_reject");
	is_int(mk_conf_bool(conf, "PermError_reject"), 0, "policyd-spf.conf: PermError_reject");
	is_int(mk_conf_list(conf, "skip_addresses", &items), 3, "policyd-spf.conf: skip_addresses");
	is_str(items[1], "::ffff:127.0.0.0/104", "policyd-spf.conf: IPv6 item intact");
	is_str(mk_conf_str(conf, "Header_Type"), "SPF", "policyd-spf.conf: Header_Type");
	mk_conf_free(conf);
}

static void
test_line_bounds(void)
{
	static const struct {
		size_t		 vlen;	/* value bytes after "Socket " */
		const char	*eol;
		bool		 want_ok;
		const char	*name;
	} cases[] = {
		{ MK_CONF_LINE_MAX - 7, "\n", true, "exact fit" },
		{ MK_CONF_LINE_MAX - 7, "\r\n", true, "exact fit, CRLF" },
		{ MK_CONF_LINE_MAX - 7, "", true, "exact fit, no newline" },
		{ MK_CONF_LINE_MAX - 6, "\n", false, "one byte over" },
		{ MK_CONF_LINE_MAX - 6, "", false, "one byte over, no newline" },
		{ MK_CONF_LINE_MAX * 4, "\n", false, "far over" },
	};
	struct mk_conf *conf;
	char *buf;
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf = malloc(cases[i].vlen + 32);
		n = (size_t)sprintf(buf, "# c\nSocket ");
		memset(buf + n, 'v', cases[i].vlen);
		n += cases[i].vlen;
		n += (size_t)sprintf(buf + n, "%s", cases[i].eol);
		conf = parse_len(keys, buf, n);
		is_int(conf != NULL, cases[i].want_ok, "line bound: %s", cases[i].name);
		if (conf != NULL)
			is_int(strlen(mk_conf_str(conf, "Socket")), cases[i].vlen,
			    "line bound: %s: value length", cases[i].name);
		else
			is_str(err, "test.conf:2: line too long (> 4096 bytes)",
			    "line bound: %s: error", cases[i].name);
		mk_conf_free(conf);
		free(buf);
	}
}

/* Write text to dir/name; returns 0 or -1. */
static int
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char path[1024];
	FILE *fp;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	if (fwrite(text, 1, len, fp) != len)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

static struct mk_conf *
load(const char *dir, const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	memset(&warns, 0, sizeof(warns));
	err[0] = '\0';
	return mk_conf_load(path, keys, on_warn, NULL, err, sizeof(err));
}

static void
test_files(const char *dir)
{
	char want[1024], sub[1024], name[64], text[128], *big;
	struct mk_conf *conf;
	int i;

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	mkdir(sub, 0700);
	write_file(dir, "main.conf", "Socket a\ninclude sub/extra.conf\nPort 26\n", 39);
	write_file(dir, "sub/extra.conf", "Selector s1\nInclude \"../third.conf\"\nPort 1\n", 43);
	write_file(dir, "third.conf", "Mode s\nBogus x\n", 15);
	conf = load(dir, "main.conf");
	if (!ok(conf != NULL, "include: loads"))
		diag("error: %s", err);
	is_str(mk_conf_str(conf, "Selector"), "s1", "include: value from included file");
	is_str(mk_conf_str(conf, "Mode"), "s", "include: relative to the including file");
	is_int(mk_conf_int(conf, "Port"), 26, "include: later line of the outer file wins");
	snprintf(want, sizeof(want), "%s/sub/extra.conf:1", dir);
	is_str(mk_conf_where(conf, "Selector"), want, "include: where");
	snprintf(want, sizeof(want), "%s/sub/../third.conf:2: unknown key \"Bogus\" ignored", dir);
	is_str(warns.msgs[0], want, "include: warning names the included file");
	mk_conf_free(conf);

	write_file(dir, "missing.conf", "Socket a\ninclude nope.conf\n", 27);
	conf = load(dir, "missing.conf");
	ok(conf == NULL, "include missing: refused");
	snprintf(want, sizeof(want), "%s/missing.conf:2: include \"nope.conf\": No such file or directory", dir);
	is_str(err, want, "include missing: error");

	write_file(dir, "self.conf", "include self.conf\n", 18);
	conf = load(dir, "self.conf");
	ok(conf == NULL, "include self: refused");
	snprintf(want, sizeof(want), "%s/self.conf:1: include \"self.conf\": include loop", dir);
	is_str(err, want, "include self: error");

	write_file(dir, "a.conf", "Port 2\ninclude b.conf\n", 22);
	write_file(dir, "b.conf", "include a.conf\n", 15);
	conf = load(dir, "a.conf");
	ok(conf == NULL, "include loop: refused");
	snprintf(want, sizeof(want), "%s/b.conf:1: include \"a.conf\": include loop", dir);
	is_str(err, want, "include loop: error");

	/* d0 -> d1 -> ... -> d9: from d1, 8 includes (ok); from d0, 9 */
	for (i = 0; i <= 9; i++) {
		snprintf(name, sizeof(name), "d%d.conf", i);
		if (i < 9)
			snprintf(text, sizeof(text), "include d%d.conf\n", i + 1);
		else
			snprintf(text, sizeof(text), "Port 9\n");
		write_file(dir, name, text, strlen(text));
	}
	conf = load(dir, "d1.conf");
	if (!ok(conf != NULL, "include depth %d: accepted", MK_CONF_INCLUDE_MAX))
		diag("error: %s", err);
	is_int(conf ? mk_conf_int(conf, "Port") : 0, 9, "include depth: value from the deepest file");
	mk_conf_free(conf);
	conf = load(dir, "d0.conf");
	ok(conf == NULL, "include depth %d: refused", MK_CONF_INCLUDE_MAX + 1);
	snprintf(want, sizeof(want), "%s/d8.conf:1: include \"d9.conf\": nested too deep (> 8)", dir);
	is_str(err, want, "include depth: error");

	/* the same (non-looping) file many times */
	big = calloc(MK_CONF_FILES_MAX + 1, 16);
	for (i = 0; i < MK_CONF_FILES_MAX; i++)
		strcat(big, "include d9.conf\n");
	write_file(dir, "many.conf", big, strlen(big));
	conf = load(dir, "many.conf");
	ok(conf == NULL, "too many files: refused");
	snprintf(want, sizeof(want), "%s/many.conf:%d: include \"d9.conf\": too many files (> %d)",
	    dir, MK_CONF_FILES_MAX, MK_CONF_FILES_MAX);
	is_str(err, want, "too many files: error");
	write_file(dir, "many.conf", big, strlen(big) - 16);
	conf = load(dir, "many.conf");
	ok(conf != NULL, "%d files: accepted", MK_CONF_FILES_MAX);
	mk_conf_free(conf);
	free(big);

	conf = load(dir, "nonexistent.conf");
	ok(conf == NULL, "load missing file: refused");
	snprintf(want, sizeof(want), "%s/nonexistent.conf: No such file or directory", dir);
	is_str(err, want, "load missing file: error");

	conf = load(dir, "sub");
	ok(conf == NULL, "load a directory: refused");
	snprintf(want, sizeof(want), "%s/sub: not a regular file", dir);
	is_str(err, want, "load a directory: error");

	/* size bound: MK_CONF_FILE_MAX bytes of comments, then one more */
	big = malloc(MK_CONF_FILE_MAX + 1);
	memset(big, '#', MK_CONF_FILE_MAX + 1);
	for (i = 100; i < MK_CONF_FILE_MAX + 1; i += 100)
		big[i] = '\n';
	write_file(dir, "big.conf", big, MK_CONF_FILE_MAX);
	conf = load(dir, "big.conf");
	if (!ok(conf != NULL, "file of exactly %d bytes: accepted", MK_CONF_FILE_MAX))
		diag("error: %s", err);
	mk_conf_free(conf);
	write_file(dir, "big.conf", big, MK_CONF_FILE_MAX + 1);
	conf = load(dir, "big.conf");
	ok(conf == NULL, "file one byte over: refused");
	snprintf(want, sizeof(want), "%s/big.conf: file too large (> %d bytes)", dir, MK_CONF_FILE_MAX);
	is_str(err, want, "file one byte over: error");
	write_file(dir, "inc-big.conf", "include big.conf\n", 17);
	conf = load(dir, "inc-big.conf");
	snprintf(want, sizeof(want), "%s/inc-big.conf:1: include \"big.conf\": file too large (> %d bytes)",
	    dir, MK_CONF_FILE_MAX);
	is_str(err, want, "include of a too large file: error");
	conf = parse_len(keys, big, MK_CONF_FILE_MAX);
	ok(conf != NULL, "buffer of exactly %d bytes: accepted", MK_CONF_FILE_MAX);
	mk_conf_free(conf);
	conf = parse_len(keys, big, MK_CONF_FILE_MAX + 1);
	ok(conf == NULL, "buffer one byte over: refused");
	is_str(err, "test.conf: file too large (> 1048576 bytes)", "buffer one byte over: error");
	free(big);
}

static void
test_dump(void)
{
	static const char text[] =
	    "Socket \"a b # c\"\n"
	    "Mode s\n"
	    "Selector \"=x\"\n"
	    "KeyFile \"  lead\"\n"
	    "KeyTable \"\"\n"
	    "AuthservID \"quote\\\"back\\\\slash\"\n"
	    "Canonicalization a\tb \\ c\n"
	    "SigningTable caf\xc3\xa9,x\n"
	    "InternalHosts \"item with space\", 10.0.0.0/8 \"x,y\" \"#h\" \"q\\\"\" =e\n"
	    "OversignHeaders From\n"
	    "OversignHeaders To,Subject \"a b\"\n"
	    "Domain\n"
	    "Port 2525\n"
	    "Retries -3\n"
	    "Timeout 1h\n"
	    "MaxSize 1k\n"
	    "Syslog off\n"
	    "SoftwareHeader on\n"
	    "HELO_reject = Softfail\n"
	    "AutoRestart yes\n";
	const struct mk_conf_key *k;
	struct mk_conf *c1, *c2, *c3;
	char *d1 = NULL, *d2 = NULL, g1[512], g2[512];
	size_t n1 = 0, n2 = 0;
	FILE *fp;

	c1 = parse(text);
	if (!ok(c1 != NULL, "dump: source parses"))
		diag("error: %s", err);
	if (c1 == NULL)
		return;
	fp = open_memstream(&d1, &n1);
	mk_conf_dump(c1, fp);
	fclose(fp);
	c2 = parse_len(keys, d1, n1);
	if (!ok(c2 != NULL, "dump: output parses back"))
		diag("error: %s", err);
	is_int(warns.n, 0, "dump: output has no unknown keys");
	for (k = keys; c2 != NULL && k->name != NULL; k++) {
		if (k->flags & MK_CONF_F_IGNORED)
			continue;
		is_str(value_of(c2, k, g2, sizeof(g2)), value_of(c1, k, g1, sizeof(g1)),
		    "dump: %s round trip", k->name);
	}
	ok(strstr(d1, "AutoRestart") == NULL, "dump: ignored keys left out");
	ok(strstr(d1, "\nSyslog no\n") != NULL, "dump: booleans as yes/no");
	ok(strstr(d1, "\nTimeout 3600\n") != NULL, "dump: durations in seconds");
	ok(strstr(d1, "\n# UserID (unset)\n") != NULL, "dump: unset STR as a comment");
	ok(strstr(d1, "\nOversignHeaders From\nOversignHeaders To\n") != NULL,
	    "dump: appending list one item per line");
	ok(strstr(d1, "\nskip_addresses 127.0.0.0/8,::ffff:127.0.0.0/104,::1\n") != NULL,
	    "dump: list joined by commas");
	ok(strstr(d1, "\nCanonicalization a\tb \\ c\n") != NULL, "dump: inner blanks unquoted");
	if (c2 != NULL) {
		fp = open_memstream(&d2, &n2);
		mk_conf_dump(c2, fp);
		fclose(fp);
		is_str(d2, d1, "dump: dump of the dump is identical");
	}
	/* and the dump of the defaults */
	c3 = parse("");
	mk_conf_free(c2);
	free(d1);
	d1 = NULL;
	fp = open_memstream(&d1, &n1);
	mk_conf_dump(c3, fp);
	fclose(fp);
	c2 = parse_len(keys, d1, n1);
	ok(c2 != NULL, "dump of defaults parses back");
	for (k = keys; c2 != NULL && k->name != NULL; k++) {
		if (k->flags & MK_CONF_F_IGNORED)
			continue;
		is_str(value_of(c2, k, g2, sizeof(g2)), value_of(c3, k, g1, sizeof(g1)),
		    "dump defaults: %s", k->name);
	}
	mk_conf_free(c1);
	mk_conf_free(c2);
	mk_conf_free(c3);
	free(d1);
	free(d2);
}

static void
test_helpers(void)
{
	static const struct {
		const char	*s;
		int		 rc_long, rc_dur, rc_size;
		long		 v_long, v_dur, v_size;
	} cases[] = {
		{ "0", 0, 0, 0, 0, 0, 0 },
		{ "42", 0, 0, 0, 42, 42, 42 },
		{ "-7", 0, -1, -1, -7, 0, 0 },
		{ "3m", -1, 0, 0, 0, 180, 3145728 },
		{ "2w", -1, 0, -1, 0, 1209600, 0 },
		{ "1K", -1, -1, 0, 0, 0, 1024 },
		{ "", -1, -1, -1, 0, 0, 0 },
		{ " 1", -1, -1, -1, 0, 0, 0 },
		{ "1 ", -1, -1, -1, 0, 0, 0 },
		{ "0x10", -1, -1, -1, 0, 0, 0 },
		{ "9223372036854775807", 0, 0, 0, 9223372036854775807L, 9223372036854775807L, 9223372036854775807L },
		{ "9223372036854775808", -1, -1, -1, 0, 0, 0 },
		{ "9223372036854775807s", -1, 0, -1, 0, 9223372036854775807L, 0 },
		{ "153722867280912931m", -1, -1, -1, 0, 0, 0 },
		{ "8589934592g", -1, -1, -1, 0, 0, 0 },
		{ "8589934591g", -1, -1, 0, 0, 0, 9223372035781033984L },
	};
	size_t i;
	long v;
	bool b;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 0;
		is_int(mk_conf_parse_long(cases[i].s, &v), cases[i].rc_long, "parse_long \"%s\"", cases[i].s);
		if (cases[i].rc_long == 0)
			is_int(v, cases[i].v_long, "parse_long \"%s\" value", cases[i].s);
		v = 0;
		is_int(mk_conf_parse_duration(cases[i].s, &v), cases[i].rc_dur, "parse_duration \"%s\"", cases[i].s);
		if (cases[i].rc_dur == 0)
			is_int(v, cases[i].v_dur, "parse_duration \"%s\" value", cases[i].s);
		v = 0;
		is_int(mk_conf_parse_size(cases[i].s, &v), cases[i].rc_size, "parse_size \"%s\"", cases[i].s);
		if (cases[i].rc_size == 0)
			is_int(v, cases[i].v_size, "parse_size \"%s\" value", cases[i].s);
	}
	is_int(mk_conf_parse_bool("YES", &b), 0, "parse_bool YES");
	is_int(b, 1, "parse_bool YES value");
	{
		static const struct {
			const char *s;
			int rc, v;
		} one[] = {
			{ "t", 0, 1 }, { "T", 0, 1 }, { "y", 0, 1 }, { "Y", 0, 1 },
			{ "f", 0, 0 }, { "F", 0, 0 }, { "n", 0, 0 }, { "N", 0, 0 },
			{ "x", -1, 0 }, { "ye", -1, 0 }, { "tr", -1, 0 }, { "nope", -1, 0 },
			{ "t ", -1, 0 }, { "", -1, 0 }, { "2", -1, 0 },
		};
		size_t j;

		for (j = 0; j < sizeof(one) / sizeof(one[0]); j++) {
			b = !one[j].v;
			is_int(mk_conf_parse_bool(one[j].s, &b), one[j].rc, "parse_bool \"%s\"",
			    one[j].s);
			if (one[j].rc == 0)
				is_int(b, one[j].v, "parse_bool \"%s\" value", one[j].s);
		}
	}
	is_int(mk_conf_parse_bool(NULL, &b), -1, "parse_bool NULL refused");
}

static const struct mk_conf_key bad_default_keys[] = {
	{ "Port", MK_CONF_INT, "twenty-five", 0, 0, NULL, 0, NULL },
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL },
};

static int panic_case;

static void
do_panic(void)
{
	struct mk_conf *conf = mk_conf_parse("", 0, "x", keys, NULL, NULL, NULL, 0);

	switch (panic_case) {
	case 0:
		(void)mk_conf_int(conf, "Socket");
		break;
	case 1:
		(void)mk_conf_str(conf, "NoSuchKey");
		break;
	case 2:
		(void)mk_conf_bool(conf, "Port");
		break;
	case 3:
		(void)mk_conf_list(conf, "Socket", NULL);
		break;
	case 4:
		(void)mk_conf_parse("", 0, "x", bad_default_keys, NULL, NULL, NULL, 0);
		break;
	}
	mk_conf_free(conf);
}

static void
test_panic(void)
{
	static const char *const names[] = {
		"int getter on a STR key", "unknown key", "bool getter on an INT key",
		"list getter on a STR key", "bad default in the table",
	};
	int i, status;
	pid_t pid;

	for (i = 0; i < 5; i++) {
		fflush(stdout);
		if ((pid = fork()) == 0) {
			int fd = open("/dev/null", O_WRONLY);

			dup2(fd, 2);
			panic_case = i;
			do_panic();
			_exit(0);
		}
		waitpid(pid, &status, 0);
		ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		    "mk_panic on %s (status %d)", names[i], status);
	}
}

static void
test_default_warn(void)
{
	struct mk_conf *conf;

	/* a NULL warn callback logs through mk_log_warn() */
	conf = mk_conf_parse("Frob 1\n", 7, "x.conf", keys, NULL, NULL, err, sizeof(err));
	ok(conf != NULL, "NULL warn callback: loads");
	mk_conf_free(conf);
	conf = mk_conf_parse("Port x\n", 7, "x.conf", keys, NULL, NULL, NULL, 0);
	ok(conf == NULL, "NULL err buffer: still refused");
}

static void
quiet(enum mk_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

int
main(void)
{
	char dir[] = "/tmp/test_conf.XXXXXX";
	char cmd[64];

	mk_log_set_sink(quiet, NULL);
	test_values();
	test_errors();
	test_warnings();
	test_defaults();
	test_samples();
	test_line_bounds();
	test_dump();
	test_helpers();
	test_default_warn();
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
	} else {
		test_files(dir);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	test_panic();
	return done_testing();
}
