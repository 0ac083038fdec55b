/*
 * milter-dmarc/failure.h: DMARC failure reports (FailureReports; RFC 7489
 * 7.3 / RFC 9991) in the RFC 6591 AFRF format, sent to the ruf= addresses
 * of the policy record when its fo= options ask for one, after the
 * external destination check, by SMTP to FailureReportsRelay from a
 * detached thread (the SMTP reply to the client does not wait for it).
 * FailureReportsBcc (OpenDMARC): each of its addresses gets a copy of every
 * report (its To: field names the first ruf address reported to; a domain
 * without ruf= that fails DMARC gets a report to these addresses alone).
 *
 * Rate limits (a flood of spoofed mail must not become a flood of
 * reports): a report is sent only while its ruf address is under
 * FailureReportsRateLimit (default 10/1h), its policy domain under
 * FailureReportsDomainRateLimit (20/1h) and all reports under
 * FailureReportsGlobalRateLimit (100/1h), and fewer than
 * DMARC_FAILURE_INFLIGHT_MAX are being sent.  Counted in memory
 * (lib/ratelimit: a restart starts new windows); the first drop of a
 * window is logged, the rest are counted and logged when it ends
 * ("failure_reports_dropped=N key=...") or at shutdown.
 */
#ifndef DMARC_FAILURE_H
#define DMARC_FAILURE_H

#include <stdbool.h>

#include "lib/dmarc.h"
#include "milter-dmarc/session.h"

#define DMARC_HDRS_MAX (64 * 1024)	/* header bytes kept for a report */
#define DMARC_FAILURE_RUF_MAX 4	/* ruf addresses reported to per message */
#define DMARC_FAILURE_DKIM_MAX 8	/* DKIM-Domain fields in one report */
#define DMARC_FAILURE_INFLIGHT_MAX 16	/* reports being sent at once; more are dropped */
#define DMARC_FAILURE_KEYS_MAX 4096	/* rate limit windows kept (ruf, domain, global) */

/* Whether fo= asks for a report for this outcome (pure). */
bool dmarc_failure_wanted(const struct mk_dmarc_record *rec, const struct mk_dmarc_input *in,
    const struct mk_dmarc_outcome *o);

/* Queue the reports of one evaluated From domain. ar: our A-R value;
 * delivery: "reject", "quarantine", "delivered" or "tempfail". */
void dmarc_failure_report(const struct dmarc_conn *c, const struct dmarc_msg *m,
    const char *domain, const struct mk_dmarc_input *in, const struct mk_dmarc_outcome *o,
    const char *ar, const char *delivery);

/* Wait (at most seconds) for reports still being sent, then log the drop
 * counts of the rate limit windows still open; at shutdown. */
void dmarc_failure_drain(unsigned seconds);

#endif
