/*
 * cli/cmd_dmarc_report.h: `mailaka dmarc-report` -- DMARC aggregate
 * reports (RFC 9990, or RFC 7489 appendix C with --spec 7489) from the
 * history store that mailaka-dmarc writes (HistoryFile).
 *
 *   mailaka dmarc-report [-c dmarc.conf] [--history FILE] [--dry-run DIR]
 *       [--relay HOST:PORT] [--from ADDR] [--org NAME] [--email ADDR]
 *       [--period SECONDS] [--period-end TS] [--periods N]
 *       [--spec 9989|7489] [--resolver R] [--psl FILE]
 *
 * For each of the last N complete periods (default 1 period of 86400 s
 * ending at the last multiple of the period) and each policy domain with
 * messages and a rua: aggregate by source IP and results, build the XML,
 * gzip it, and for each rua mailto: URI whose domain passes the external
 * destination check (<domain>._report._dmarc.<rua-domain> holds a
 * v=DMARC1 record when the organizational domains differ) and whose !size
 * limit is not exceeded, submit it by SMTP to the relay -- or, with
 * --dry-run DIR, write DIR/<filename> (RFC 7489 7.2.1.1) once per report.
 * A period already reported for a domain is skipped (idempotent).
 * ri=: a domain that published ri= longer than the period is reported every
 * mk_dmarc_report_interval(period, ri) seconds -- ri capped at a day
 * (RFC 7489 7.2: receivers report at least daily; ri is a request, 6.3)
 * and rounded up to whole periods -- by the runs whose end is a multiple of
 * that interval (aligned as the runs are), over the whole interval; the
 * other runs print "domain=D ri=N interval=I not-due".  A domain without
 * ri= (DMARCbis has no ri tag) follows --period.
 * Exit: 0 done (also when there was nothing to report), 1 a failure, 2 usage.
 */
#ifndef MK_CMD_DMARC_REPORT_H
#define MK_CMD_DMARC_REPORT_H

#include "cli/cli.h"

int cmd_dmarc_report(int argc, char **argv, const struct cli_opts *opts);

#endif
