/*
 * milter-dmarc/dmarc_conf.h: mailaka-dmarc configuration (opendmarc.conf
 * key names; an existing opendmarc.conf loads, keys we do not implement
 * are accepted and logged as ignored).
 */
#ifndef DMARC_CONF_H
#define DMARC_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/conf.h"
#include "lib/dmarc.h"
#include "lib/milter.h"
#include "lib/ratelimit.h"

struct dmarc_ignore;
struct dmarc_arc_trust;

#define DMARC_BCC_MAX 8		/* FailureReportsBcc addresses */

struct dmarc_conf {
	struct mk_conf *raw;
	const char *socket;
	enum mk_milter_engine engine;	/* MilterEngine */
	char authserv_id[256];
	const char *const *trusted;	/* TrustedAuthservIDs */
	size_t ntrusted;
	bool reject_failures;		/* RejectFailures: enforce reject/quarantine/tempfail */
	bool tempfail_on_error;		/* TemporaryFailures: temperror -> 451 (with RejectFailures) */
	bool reject_multi_from;		/* RejectMultiValueFrom */
	bool hold_quarantined;		/* HoldQuarantinedMessages: quarantine -> hold (default yes) */
	bool spf_self;			/* SPFSelfValidate */
	bool ignore_auth;		/* IgnoreAuthenticatedClients */
	const char *const *ignore_mailfrom;	/* IgnoreMailFrom: MAIL FROM domains not checked */
	size_t nignore_mailfrom;
	bool spf_ignore_results;	/* SPFIgnoreResults: no SPF from A-R / Received-SPF */
	bool required_headers;		/* RequiredHeaders: RFC 5322 3.6 field counts, else 550 */
	bool failure_reports;		/* FailureReports */
	bool failure_on_none;		/* FailureReportsOnNone: also for p=none */
	struct dmarc_ignore *ignore;	/* IgnoreHosts */
	const char *history_file;	/* HistoryFile (SQLite), NULL = none */
	const char *psl_path;		/* PublicSuffixList */
	const char *resolver;
	long dns_timeout;		/* seconds */
	enum mk_dmarc_spec spec;	/* DMARCSpec */
	const char *userid, *pidfile;
	const char *report_relay;	/* FailureReportsRelay: host:port for ruf mail */
	const char *report_from;	/* FailureReportsSentBy */
	struct mk_rate fr_rate_dest;	/* FailureReportsRateLimit: per ruf address */
	struct mk_rate fr_rate_domain;	/* FailureReportsDomainRateLimit: per policy domain */
	struct mk_rate fr_rate_global;	/* FailureReportsGlobalRateLimit: all reports */
	const char *const *fr_bcc;	/* FailureReportsBcc: a copy of every report */
	const char *copy_failures_to;	/* CopyFailuresTo: added recipient of failing mail, or NULL */
	size_t nfr_bcc;
	bool software_header;		/* SoftwareHeader: add DMARC-Filter */
	bool record_all;		/* RecordAllMessages: history without a record too */
	char hostname[256];		/* for DMARC-Filter */
	struct dmarc_arc_trust *arc_trust;	/* DomainWhitelist(File): trusted ARC chains */
};

/* Load and validate; NULL with err ("file:line: why") on failure. */
struct dmarc_conf *dmarc_conf_load(const char *path, char *err, size_t errlen);
struct dmarc_conf *dmarc_conf_free(struct dmarc_conf *c);
void dmarc_conf_dump(const struct dmarc_conf *c, FILE *fp);

#endif
