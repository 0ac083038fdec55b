/*
 * lib/dmarc_history.h: the DMARC history store -- one row per evaluated
 * message in an embedded SQLite database (HistoryFile), read back by
 * `mailaka dmarc-report` to build aggregate reports (RFC 9990 / RFC 7489
 * appendix C).  Safe for the milter's threads (one connection, serialized
 * mode, WAL journal so the report command reads while the milter writes).
 *
 * Tables: messages (one row per message and From domain), dkim (its DKIM
 * results), reports (periods already reported per domain: idempotence).
 */
#ifndef MK_DMARC_HISTORY_H
#define MK_DMARC_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/dmarc.h"

struct mk_dmarc_history;

/* Open (creating the schema unless readonly). NULL with err. */
struct mk_dmarc_history *mk_dmarc_history_open(const char *path, bool readonly,
    char *err, size_t errlen);
struct mk_dmarc_history *mk_dmarc_history_close(struct mk_dmarc_history *h);

struct mk_dmarc_history_msg {
	time_t when;
	const char *source_ip;
	const char *header_from;
	const char *envelope_from;	/* MAIL FROM domain, "" for the null sender */
	const char *discovery;		/* "treewalk" (9989) or "psl" (7489) */
	const struct mk_dmarc_input *in;
	const struct mk_dmarc_outcome *o;
	const char *override;		/* PolicyOverrideType, or NULL: from o (pct, t=y) */
};

/* 0 / -1 (err filled). */
int mk_dmarc_history_add(struct mk_dmarc_history *h, const struct mk_dmarc_history_msg *m,
    char *err, size_t errlen);

/* ---- reading (report generation) ------------------------------------ */

/* The policy as published, from the newest message of the period. */
struct mk_dmarc_published {
	char domain[MK_DNS_NAME_MAX + 1];
	char p[16], sp[16], np[16];
	char adkim[2], aspf[2];
	int pct;
	bool testing;
	char psd[2];
	char rua[MK_DMARC_URIS_MAX * (MK_DMARC_URI_MAX + 1)];	/* space separated */
	char discovery[16];		/* "psl" or "treewalk" */
	unsigned long ri;		/* ri= published (seconds), 0 if not */
};

/* One aggregated row: messages with the same source IP and results. */
struct mk_dmarc_agg_row {
	char source_ip[64];
	unsigned long count;
	char disposition[16];
	char dkim_eval[8], spf_eval[8];		/* "pass" / "fail" (aligned pass) */
	char override[24];			/* "" or "testing" / "sampled_out" */
	char header_from[MK_DNS_NAME_MAX + 1];
	char envelope_from[MK_DNS_NAME_MAX + 1];
	char spf_domain[MK_DNS_NAME_MAX + 1], spf_result[16], spf_scope[12];
	char dkim[1024];	/* "domain selector result" triples, separated by '\n' */
};

/* Policy domains with messages in [begin, end) whose record has a rua.
 * cb returns 0 to go on, -1 to stop. 0 / -1. */
int mk_dmarc_history_domains(struct mk_dmarc_history *h, time_t begin, time_t end,
    int (*cb)(const char *domain, void *arg), void *arg, char *err, size_t errlen);
int mk_dmarc_history_published(struct mk_dmarc_history *h, const char *domain, time_t begin,
    time_t end, struct mk_dmarc_published *out, char *err, size_t errlen);
int mk_dmarc_history_rows(struct mk_dmarc_history *h, const char *domain, time_t begin,
    time_t end, int (*cb)(const struct mk_dmarc_agg_row *row, void *arg), void *arg,
    char *err, size_t errlen);
/* Reports already made: 1 sent, 0 not, -1 error. */
int mk_dmarc_history_was_reported(struct mk_dmarc_history *h, const char *domain,
    time_t begin, char *err, size_t errlen);
int mk_dmarc_history_mark_reported(struct mk_dmarc_history *h, const char *domain,
    time_t begin, time_t end, const char *report_id, char *err, size_t errlen);

/* Delete the messages older than before (ts < before) and the records of
 * the reports whose period ended by then (end_ts <= before), in one
 * transaction (OpenDMARC's opendmarc-expire).  *deleted: messages.  0 / -1. */
int mk_dmarc_history_expire(struct mk_dmarc_history *h, time_t before, unsigned long *deleted,
    char *err, size_t errlen);

#endif
