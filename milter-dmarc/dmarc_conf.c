/*
 * milter-dmarc/dmarc_conf.c: configuration table (opendmarc.conf names)
 * and load-time validation.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/dns.h"
#include "lib/log.h"
#include "milter-dmarc/arc_trust.h"
#include "milter-dmarc/dmarc_conf.h"
#include "milter-dmarc/ignore.h"

static int
v_resolver(const char *v, char *err, size_t errlen)
{
	return mk_dns_resolver_valid(v, err, errlen);
}

static int
v_spec(const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "9989") == 0 || strcmp(v, "7489") == 0)
		return 0;
	snprintf(err, errlen, "DMARCSpec must be 9989 (DMARCbis) or 7489");
	return -1;
}

static int
v_rate(const char *v, char *err, size_t errlen)
{
	struct mk_rate r;

	return mk_rate_parse(v, &r, err, errlen);
}

#define IGN MK_CONF_F_IGNORED
static const struct mk_conf_key dmarc_conf_table[] = {
	{ "Socket", MK_CONF_STR, "local:/run/mailaka/dmarc.sock", 0, 0, NULL, 0, NULL },
	{ "MilterEngine", MK_CONF_STR, "own", 0, 0, mk_milter_engine_valid, 0, NULL },
	{ "AuthservID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "TrustedAuthservIDs", MK_CONF_LIST, NULL, 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "RejectFailures", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "TemporaryFailures", MK_CONF_BOOL, "yes", 0, 0, NULL, 0, NULL },
	{ "RejectMultiValueFrom", MK_CONF_BOOL, "yes", 0, 0, NULL, 0, NULL },
	/* OpenDMARC's default is false; absent here it is yes (issue 5: quarantine is held) */
	{ "HoldQuarantinedMessages", MK_CONF_BOOL, "yes", 0, 0, NULL, 0, NULL },
	{ "SPFSelfValidate", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "IgnoreAuthenticatedClients", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "IgnoreMailFrom", MK_CONF_LIST, NULL, 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "SPFIgnoreResults", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "RequiredHeaders", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "IgnoreHosts", MK_CONF_LIST, "127.0.0.1, ::1", 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "HistoryFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "PublicSuffixList", MK_CONF_STR, MK_DEFAULT_PSL, 0, 0, NULL, 0, NULL },
	{ "FailureReports", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "FailureReportsRelay", MK_CONF_STR, "127.0.0.1:25", 0, 0, NULL, 0, NULL },
	{ "FailureReportsSentBy", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "FailureReportsRateLimit", MK_CONF_STR, "10/1h", 0, 0, v_rate, 0, NULL },
	{ "FailureReportsDomainRateLimit", MK_CONF_STR, "20/1h", 0, 0, v_rate, 0, NULL },
	{ "FailureReportsGlobalRateLimit", MK_CONF_STR, "100/1h", 0, 0, v_rate, 0, NULL },
	{ "FailureReportsBcc", MK_CONF_LIST, NULL, 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "SoftwareHeader", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "RecordAllMessages", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "DomainWhitelist", MK_CONF_LIST, NULL, 0, 0, NULL, MK_CONF_F_APPEND, NULL },
	{ "DomainWhitelistFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "Resolver", MK_CONF_STR, "system", 0, 0, v_resolver, 0, "Nameservers" },
	{ "DNSTimeout", MK_CONF_DURATION, "5", 1, 300, NULL, 0, NULL },
	{ "DMARCSpec", MK_CONF_STR, "9989", 0, 0, v_spec, 0, NULL },
	{ "UserID", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "PidFile", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	/* opendmarc.conf keys accepted and not used */
	{ "AutoRestart", MK_CONF_STR, NULL, 0, 0, NULL, IGN, NULL },
	{ "AutoRestartRate", MK_CONF_STR, NULL, 0, 0, NULL, IGN, NULL },
	{ "Background", MK_CONF_STR, NULL, 0, 0, NULL, IGN, NULL },
	{ "BaseDirectory", MK_CONF_STR, NULL, 0, 0, NULL, IGN, NULL },
	{ "ChangeRootDirectory", MK_CONF_STR, NULL, 0, 0, NULL, IGN, NULL },
	{ "CopyFailuresTo", MK_CONF_STR, NULL, 0, 0, NULL, 0, NULL },
	{ "DomainWhitelistSize", MK_CONF_STR, NULL, 0, 0, NULL, IGN, NULL },
	{ "FailureReportsOnNone", MK_CONF_BOOL, "no", 0, 0, NULL, 0, NULL },
	{ "MilterDebug", MK_CONF_STR, NULL, 0, 0, NULL, IGN, NULL },
	{ "Syslog", MK_CONF_STR, NULL, 0, 0, NULL, IGN, NULL },
	{ "SyslogFacility", MK_CONF_STR, NULL, 0, 0, NULL, IGN, NULL },
	{ "UMask", MK_CONF_STR, NULL, 0, 0, NULL, IGN, NULL },
	{ NULL, 0, NULL, 0, 0, NULL, 0, NULL },
};

static void
warn_cb(const char *msg, void *arg)
{
	(void)arg;
	mk_log_warn(NULL, "%s", msg);
}

static int
load_ignore(struct dmarc_conf *c, char *err, size_t errlen)
{
	const char *const *items;
	size_t n, i, len = 1;
	char *joined;

	n = mk_conf_list(c->raw, "IgnoreHosts", &items);
	for (i = 0; i < n; i++)
		len += strlen(items[i]) + 1;
	if ((joined = calloc(1, len)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		strcat(joined, items[i]);
		strcat(joined, " ");
	}
	if (n == 1 && items[0][0] == '/')
		joined[strlen(joined) - 1] = '\0';
	c->ignore = dmarc_ignore_new(joined, err, errlen);
	free(joined);
	return c->ignore == NULL ? -1 : 0;
}

/* A plain address: local@domain, no "mailto:", no spaces or brackets. */
static bool
plain_addr(const char *a)
{
	const char *at = strrchr(a, '@');

	return !(at == NULL || at == a || at[1] == '\0' || strlen(a) > MK_DMARC_URI_MAX ||
	    strpbrk(a, " \t<>\"") != NULL || strncasecmp(a, "mailto:", 7) == 0);
}

/* FailureReportsBcc: at most DMARC_BCC_MAX plain addresses; CopyFailuresTo
 * one; else an error naming file:line. */
static int
check_bcc(const struct dmarc_conf *c, char *err, size_t errlen)
{
	const char *a;
	size_t i;

	if (c->copy_failures_to != NULL && !plain_addr(c->copy_failures_to)) {
		snprintf(err, errlen, "%s: CopyFailuresTo: \"%s\" is not an address "
		    "(local@domain)", mk_conf_where(c->raw, "CopyFailuresTo"), c->copy_failures_to);
		return -1;
	}
	if (c->nfr_bcc > DMARC_BCC_MAX) {
		snprintf(err, errlen, "%s: FailureReportsBcc: more than %d addresses",
		    mk_conf_where(c->raw, "FailureReportsBcc"), DMARC_BCC_MAX);
		return -1;
	}
	for (i = 0; i < c->nfr_bcc; i++) {
		a = c->fr_bcc[i];
		if (!plain_addr(a)) {
			snprintf(err, errlen, "%s: FailureReportsBcc: \"%s\" is not an address "
			    "(local@domain)", mk_conf_where(c->raw, "FailureReportsBcc"), a);
			return -1;
		}
	}
	return 0;
}

/* DomainWhitelist + DomainWhitelistFile (arc_trust.h). */
static int
load_arc_trust(struct dmarc_conf *c, char *err, size_t errlen)
{
	const char *const *items;
	size_t n = mk_conf_list(c->raw, "DomainWhitelist", &items);
	const char *file = mk_conf_str(c->raw, "DomainWhitelistFile");
	char why[512];

	if ((c->arc_trust = dmarc_arc_trust_new(items, n, file, why, sizeof(why))) != NULL)
		return 0;
	snprintf(err, errlen, "%s: %s", mk_conf_where(c->raw, strncmp(why, "DomainWhitelist:", 16)
	    == 0 ? "DomainWhitelist" : "DomainWhitelistFile"), why);
	return -1;
}

struct dmarc_conf *
dmarc_conf_load(const char *path, char *err, size_t errlen)
{
	struct dmarc_conf *c;
	const char *id;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((c->raw = mk_conf_load(path, dmarc_conf_table, warn_cb, NULL, err, errlen)) == NULL)
		return dmarc_conf_free(c);
	c->socket = mk_conf_str(c->raw, "Socket");
	(void)mk_milter_engine_parse(mk_conf_str(c->raw, "MilterEngine"), &c->engine);
	if ((id = mk_conf_str(c->raw, "AuthservID")) != NULL)
		snprintf(c->authserv_id, sizeof(c->authserv_id), "%s", id);
	else if (gethostname(c->authserv_id, sizeof(c->authserv_id) - 1) == -1)
		snprintf(c->authserv_id, sizeof(c->authserv_id), "localhost");
	c->ntrusted = mk_conf_list(c->raw, "TrustedAuthservIDs", &c->trusted);
	c->reject_failures = mk_conf_bool(c->raw, "RejectFailures");
	c->tempfail_on_error = mk_conf_bool(c->raw, "TemporaryFailures");
	c->reject_multi_from = mk_conf_bool(c->raw, "RejectMultiValueFrom");
	c->hold_quarantined = mk_conf_bool(c->raw, "HoldQuarantinedMessages");
	c->spf_self = mk_conf_bool(c->raw, "SPFSelfValidate");
	c->ignore_auth = mk_conf_bool(c->raw, "IgnoreAuthenticatedClients");
	c->nignore_mailfrom = mk_conf_list(c->raw, "IgnoreMailFrom", &c->ignore_mailfrom);
	c->spf_ignore_results = mk_conf_bool(c->raw, "SPFIgnoreResults");
	c->required_headers = mk_conf_bool(c->raw, "RequiredHeaders");
	c->failure_reports = mk_conf_bool(c->raw, "FailureReports");
	c->failure_on_none = mk_conf_bool(c->raw, "FailureReportsOnNone");
	c->report_relay = mk_conf_str(c->raw, "FailureReportsRelay");
	c->report_from = mk_conf_str(c->raw, "FailureReportsSentBy");
	mk_rate_parse(mk_conf_str(c->raw, "FailureReportsRateLimit"), &c->fr_rate_dest, err, errlen);
	mk_rate_parse(mk_conf_str(c->raw, "FailureReportsDomainRateLimit"), &c->fr_rate_domain,
	    err, errlen);
	mk_rate_parse(mk_conf_str(c->raw, "FailureReportsGlobalRateLimit"), &c->fr_rate_global,
	    err, errlen);
	c->nfr_bcc = mk_conf_list(c->raw, "FailureReportsBcc", &c->fr_bcc);
	c->copy_failures_to = mk_conf_str(c->raw, "CopyFailuresTo");
	c->software_header = mk_conf_bool(c->raw, "SoftwareHeader");
	c->record_all = mk_conf_bool(c->raw, "RecordAllMessages");
	if (gethostname(c->hostname, sizeof(c->hostname) - 1) == -1 || c->hostname[0] == '\0')
		snprintf(c->hostname, sizeof(c->hostname), "localhost");
	if (check_bcc(c, err, errlen) == -1)
		return dmarc_conf_free(c);
	if (load_arc_trust(c, err, errlen) == -1)
		return dmarc_conf_free(c);
	c->history_file = mk_conf_str(c->raw, "HistoryFile");
	c->psl_path = mk_conf_str(c->raw, "PublicSuffixList");
	c->resolver = mk_conf_str(c->raw, "Resolver");
	c->dns_timeout = mk_conf_int(c->raw, "DNSTimeout");
	c->spec = strcmp(mk_conf_str(c->raw, "DMARCSpec"), "7489") == 0 ? MK_DMARC_SPEC_7489
	    : MK_DMARC_SPEC_9989;
	c->userid = mk_conf_str(c->raw, "UserID");
	c->pidfile = mk_conf_str(c->raw, "PidFile");
	if (load_ignore(c, err, errlen) == -1) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", mk_conf_where(c->raw, "IgnoreHosts"), why);
		return dmarc_conf_free(c);
	}
	return c;
}

struct dmarc_conf *
dmarc_conf_free(struct dmarc_conf *c)
{
	if (c == NULL)
		return NULL;
	dmarc_ignore_free(c->ignore);
	dmarc_arc_trust_free(c->arc_trust);
	mk_conf_free(c->raw);
	free(c);
	return NULL;
}

void
dmarc_conf_dump(const struct dmarc_conf *c, FILE *fp)
{
	mk_conf_dump(c->raw, fp);
}
