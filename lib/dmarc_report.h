/*
 * lib/dmarc_report.h: DMARC aggregate report XML -- RFC 9990 (namespace
 * urn:ietf:params:xml:ns:dmarc-2.0, version 1.0) or RFC 7489 appendix C
 * (namespace http://dmarc.org/dmarc-xml/0.1) -- from the rows of the
 * history store (already aggregated by source IP and results), and the
 * RFC 7489 7.2.1.1 report file name.  Pure functions: no I/O.
 */
#ifndef MK_DMARC_REPORT_H
#define MK_DMARC_REPORT_H

#include <stddef.h>
#include <time.h>

#include "lib/dmarc.h"
#include "lib/dmarc_history.h"

#define MK_DMARC_REPORT_ROWS_MAX 100000	/* records in one report */

struct mk_dmarc_report_meta {
	enum mk_dmarc_spec spec;
	const char *org_name;		/* the reporter */
	const char *email;		/* its contact address */
	const char *report_id;
	time_t begin, end;
	const char *generator;		/* 9990 <generator>, may be NULL */
};

/* The XML document, malloc'd and NUL-terminated (*len set), or NULL on
 * out-of-memory or nrows == 0 / > MK_DMARC_REPORT_ROWS_MAX. */
char *mk_dmarc_report_xml(const struct mk_dmarc_report_meta *meta,
    const struct mk_dmarc_published *pol, const struct mk_dmarc_agg_row *rows, size_t nrows,
    size_t *len);

#define MK_DMARC_REPORT_RI_MAX 86400	/* RFC 7489 7.2: reports at least daily */

/* The interval of a domain's aggregate reports for runs of period seconds:
 * the period, or, when the domain published ri= (ri != 0) longer than the
 * period, ri capped at MK_DMARC_REPORT_RI_MAX and rounded up to a multiple
 * of the period (ri is a request, RFC 7489 6.3; a receiver reports at least
 * daily).  period > 0. */
long mk_dmarc_report_interval(long period, unsigned long ri);

/* "receiver!policy-domain!begin!end!id.xml.gz" into out; 0 / -1. Characters
 * other than [A-Za-z0-9.-_] in the parts are replaced by '_'. */
int mk_dmarc_report_filename(const char *receiver, const char *domain, time_t begin,
    time_t end, const char *id, char *out, size_t outsz);

#endif
