/*
 * lib/dmarc_record.h: DMARC policy records (RFC 9989 section 4.7 / 5.3;
 * RFC 7489 section 6.3 in 7489 mode).
 *
 * The parser is a pure function of (buf, len): no I/O, no logging, no
 * allocation.  It is strict where libopendmarc 1.4.2 is lax and lenient
 * where the RFCs ask for it:
 *   - the record must start with the tag "v" whose value is exactly
 *     "DMARC1" (RFC 7489 6.3 "MUST match precisely"); anything else is
 *     MK_DMARC_REC_NOT_DMARC (the TXT is not a DMARC record at all and is
 *     discarded by policy discovery; libopendmarc accepts such records);
 *   - "p" absent or not one of none/quarantine/reject: p_state says so and
 *     the caller decides (9989: p=none; 7489: p=none only with a valid
 *     rua, else no policy).  libopendmarc gives permerror even with a
 *     valid rua;
 *   - every other tag with a bad value, and every tag-list syntax error
 *     after "v", is discarded in favour of the default (RFC 7489 6.3
 *     "Syntax errors in the remainder of the record SHOULD be discarded
 *     in favor of default values"); unknown tags are ignored; a repeated
 *     tag keeps its first value.
 */
#ifndef MK_DMARC_RECORD_H
#define MK_DMARC_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#define MK_DMARC_RECORD_MAX 4096	/* bytes of a record parsed; longer: MK_DMARC_REC_INVALID */
#define MK_DMARC_URIS_MAX 8		/* rua/ruf URIs kept (more are dropped, counted) */
#define MK_DMARC_URI_MAX 255		/* bytes of one URI kept */

enum mk_dmarc_policy {
	MK_DMARC_P_UNSET = 0,	/* tag absent (or invalid) */
	MK_DMARC_P_NONE,
	MK_DMARC_P_QUARANTINE,
	MK_DMARC_P_REJECT,
};

enum mk_dmarc_psd {
	MK_DMARC_PSD_U = 0,	/* default: unknown */
	MK_DMARC_PSD_Y,
	MK_DMARC_PSD_N,
};

enum mk_dmarc_rec_status {
	MK_DMARC_REC_OK = 0,
	MK_DMARC_REC_NOT_DMARC,	/* does not start with v=DMARC1: not a DMARC record */
	MK_DMARC_REC_INVALID,	/* v=DMARC1 but unusable (too long) */
};

enum mk_dmarc_p_state {
	MK_DMARC_PSTATE_VALID = 0,
	MK_DMARC_PSTATE_ABSENT,
	MK_DMARC_PSTATE_INVALID,
};

#define MK_DMARC_FO_0 0x1	/* all mechanisms fail */
#define MK_DMARC_FO_1 0x2	/* any mechanism fails */
#define MK_DMARC_FO_D 0x4	/* DKIM failed */
#define MK_DMARC_FO_S 0x8	/* SPF failed */

struct mk_dmarc_uri {
	char uri[MK_DMARC_URI_MAX + 1];	/* as written, e.g. "mailto:rua@example.com!10m" */
	char addr[MK_DMARC_URI_MAX + 1];	/* mailto: the address (percent-decoded), else "" */
	unsigned long long max_size;		/* "!10m" in bytes; 0 = none */
};

struct mk_dmarc_record {
	enum mk_dmarc_policy p, sp, np;	/* UNSET when absent/invalid */
	enum mk_dmarc_p_state p_state;
	bool sp_invalid;		/* sp present with a bad value (7489 6.6.3) */
	bool adkim_strict, aspf_strict;	/* default relaxed */
	int pct;			/* 0..100, default 100 (7489; ignored by 9989) */
	bool pct_set;
	bool testing;			/* t=y (9989) */
	enum mk_dmarc_psd psd;
	unsigned fo;			/* MK_DMARC_FO_*; default MK_DMARC_FO_0 */
	unsigned long ri;		/* default 86400 */
	bool ri_set;			/* ri= published (aggregate report interval) */
	size_t nrua, nruf;
	size_t rua_dropped, ruf_dropped;	/* over MK_DMARC_URIS_MAX or invalid */
	struct mk_dmarc_uri rua[MK_DMARC_URIS_MAX];
	struct mk_dmarc_uri ruf[MK_DMARC_URIS_MAX];
};

/* Parse one TXT record (the strings of one RR, concatenated). Fills out
 * (zeroed and defaulted first) and returns the status. */
enum mk_dmarc_rec_status mk_dmarc_record_parse(const char *buf, size_t len,
    struct mk_dmarc_record *out);

/* Whether a TXT starts with "v=DMARC1" (cheap check used to select the
 * DMARC records of a TXT RRset). */
bool mk_dmarc_record_is_dmarc(const char *buf, size_t len);

/* "none", "quarantine", "reject", or "unset". */
const char *mk_dmarc_policy_name(enum mk_dmarc_policy p);

#endif
