/*
 * lib/arparse.h: the SPF and DKIM inputs of DMARC, taken from headers a
 * trusted server added: Authentication-Results (parsed by lib/authres)
 * and Received-SPF (RFC 7208 9.1, parsed here).
 *
 * The rules (issue 5; each has a case in t/unit/test_arparse.c):
 *   - SPF counts only for the envelope sender of this session: an A-R
 *     "spf" result with smtp.mailfrom equal to the session's MAIL FROM --
 *     a full address (libopendmarc 1.4.2 ignores that form) or a bare
 *     domain equal to its domain; a Received-SPF with identity=mailfrom and
 *     envelope-from equal to MAIL FROM.  A HELO-scope result never counts
 *     when MAIL FROM is not null (CVE-2019-20790);
 *   - with a null MAIL FROM the SPF identity is the HELO name (RFC 7489
 *     4.1 / RFC 9989): a result for smtp.helo / identity=helo equal to the
 *     session's HELO counts (libopendmarc ignores it);
 *   - DKIM: each "dkim" result with header.d (or the domain of header.i).
 * The Received-SPF parser is a pure function of (buf, len).
 */
#ifndef MK_ARPARSE_H
#define MK_ARPARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/addr.h"
#include "lib/authres.h"
#include "lib/dmarc.h"

#define MK_RSPF_HEADER_MAX 8192	/* bytes of a Received-SPF value parsed */
#define MK_RSPF_VALUE_MAX 511	/* one key=value value kept */

struct mk_received_spf {
	char result[16];			/* lower case: pass, fail, softfail, ... */
	char identity[32];			/* "mailfrom", "helo", or "" */
	char envelope_from[MK_RSPF_VALUE_MAX + 1];
	char helo[MK_RSPF_VALUE_MAX + 1];
	char client_ip[64];
	char receiver[MK_RSPF_VALUE_MAX + 1];
};

/* Parse a Received-SPF field value: "result [(comment)] [key=value; ...]".
 * 0 / -1 with a static reason. Unknown keys are skipped; a value longer
 * than MK_RSPF_VALUE_MAX is an error. */
int mk_received_spf_parse(const char *buf, size_t len, struct mk_received_spf *out,
    const char **why);

/* The SMTP session as the milter saw it. */
struct mk_spf_session {
	bool null_sender;
	char mailfrom[MK_ADDR_LOCAL_MAX + MK_ADDR_DOMAIN_MAX + 2];	/* local@domain */
	char mailfrom_domain[MK_ADDR_DOMAIN_MAX + 1];
	char helo[MK_ADDR_DOMAIN_MAX + 1];
};

/* SPF from a (trusted) A-R header: 0 and *spf / *helo filled when a
 * result usable by DMARC is there, -1 otherwise. */
int mk_arparse_spf_authres(const struct mk_authres *ar, const struct mk_spf_session *s,
    struct mk_dmarc_auth *spf, bool *helo);
/* SPF from a (trusted) Received-SPF header: same contract. */
int mk_arparse_spf_received(const struct mk_received_spf *r, const struct mk_spf_session *s,
    struct mk_dmarc_auth *spf, bool *helo);
/* Append the DKIM results of an A-R header to in->dkim (up to
 * MK_DMARC_DKIM_MAX); returns the number added. */
size_t mk_arparse_dkim_authres(const struct mk_authres *ar, struct mk_dmarc_input *in);

/* Whether id is in the list (case-insensitive; "*" matches any). */
bool mk_arparse_id_is_trusted(const char *id, const char *const *list, size_t n);

#endif
