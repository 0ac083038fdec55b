/*
 * milter-dmarc/session.h: the shared runtime and the per-connection /
 * per-message contexts of mailaka-dmarc.
 */
#ifndef DMARC_SESSION_H
#define DMARC_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/addr.h"
#include "lib/arparse.h"
#include "lib/dmarc.h"
#include "lib/milter.h"

#define DMARC_DOMAINS_MAX 4	/* distinct From domains evaluated (RejectMultiValueFrom off) */
#define DMARC_REMOVE_MAX 16	/* forged A-R headers removed per message */
#define DMARC_QID_MAX 32
#define DMARC_RFC5322_N 11	/* fields counted for RequiredHeaders (milter.c) */

struct dmarc_conf;
struct mk_dmarc_history;
struct mk_dns;
struct mk_psl;

/* Read-only once built; shared by connections (runtime.h: refcounted). */
struct dmarc_runtime {
	struct dmarc_conf *conf;
	struct mk_dns *dns;
	struct mk_psl *psl;		/* DMARCSpec 7489 only */
	struct mk_dmarc_history *hist;	/* HistoryFile, or NULL */
	unsigned refs;			/* under runtime.c's mutex */
};

struct dmarc_msg {
	char qid[DMARC_QID_MAX];
	struct mk_spf_session spf_sess;
	bool auth_client;		/* SMTP AUTH ({auth_authen}) */
	size_t nfrom;			/* From header fields seen */
	unsigned char rfc5322[DMARC_RFC5322_N];	/* RequiredHeaders counts (saturate at 2) */
	bool from_bad;			/* a From we could not parse */
	size_t ndomains;
	bool domains_overflow;
	char domains[DMARC_DOMAINS_MAX][MK_ADDR_DOMAIN_MAX + 1];
	size_t ar_seen;			/* A-R header fields (index for chgheader) */
	size_t nremove;
	size_t remove[DMARC_REMOVE_MAX];
	bool have_spf_ar, have_spf_rspf, rspf_seen;
	bool spf_ar_helo, spf_rspf_helo;
	struct mk_dmarc_auth spf_ar, spf_rspf;
	struct mk_dmarc_input dk;	/* DKIM results of trusted A-R (dk.ndkim, dk.dkim) */
	size_t ntrusted_ar;		/* trusted A-R header fields read */
	unsigned arc_pass;		/* trusted A-R arc=pass results (DomainWhitelist) */
	bool arc_chain_trusted;		/* the (first) arc=pass's arc.chain is all listed */
	char *hdrs;			/* header fields, for failure reports (FailureReports) */
	size_t hdrs_len;
};

struct dmarc_conn {
	struct dmarc_runtime *rt;	/* the snapshot taken at connect (a reference) */
	char ip[64];			/* "" for a non-IP client */
	char helo[MK_ADDR_DOMAIN_MAX + 1];
	bool ignore;			/* IgnoreHosts */
	unsigned long noreply;		/* MK_MP_NR_* negotiated: answer MK_MS_NOREPLY */
	struct dmarc_msg *msg;
};

/* verdict.c: end of message. */
/* verdict.c, at end of header: 0 when the end of message will need no DNS
 * (every answer the evaluation asks for is among the recent ones), -1
 * otherwise. */
int dmarc_probe(struct dmarc_conn *c, struct dmarc_msg *m);
enum mk_milter_status dmarc_eom(struct mk_milter_ctx *ctx, struct dmarc_conn *conn,
    struct dmarc_msg *msg);
/* milter.c: RequiredHeaders -- RFC 5322 3.6 field counts (exactly one Date
 * and From, at most one Sender, Reply-To, To, Cc, Bcc, Message-ID,
 * In-Reply-To, References, Subject) and a From with a domain.  0, or -1
 * with why. */
int dmarc_rfc5322_check(const struct dmarc_msg *m, char *why, size_t whylen);
/* milter.c: the callbacks, for mk_milter_open(). */
const struct mk_milter_desc *dmarc_milter_desc(void);

#endif
