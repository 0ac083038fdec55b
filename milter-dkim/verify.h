/*
 * milter-dkim/verify.h: per-signature verification results (sigres.c,
 * pure functions, fuzzed) and the verifier's steps (verify.c).
 *
 * dkim_sigres_parse() applies the checks libopendkim 2.11 is lenient
 * about, on the DKIM-Signature header field value alone: a malformed tag
 * list, a missing or wrong v=, a missing required tag -> permerror;
 * a=rsa-sha1 -> policy (RFC 8301); an unknown a= -> permerror.
 */
#ifndef DKIM_VERIFY_H
#define DKIM_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/authres.h"
#include "lib/dkim_verify.h"

#define DKIM_B_MAX 1400		/* base64 of a 8192-bit signature is 1366 */
#define DKIM_B_SHOWN_MIN 8	/* header.b prefix length (RFC 6008) */

/* res: lib/dkim_verify's result on both engines (MK_DKIM_V_NOKEY is a
 * permerror to which On-KeyNotFound applies), named by mk_dkim_vres_name(). */
struct dkim_sigres {
	enum mk_dkim_vres res;
	char reason[160];
	char d[256], s[256], a[32], i[256];
	char b[DKIM_B_MAX + 1];		/* b= without white space */
};

void dkim_sigres_set(struct dkim_sigres *r, enum mk_dkim_vres res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Parse a DKIM-Signature value; 0 when libopendkim should decide, -1 when
 * the result is already known (r->res and r->reason set). */
int dkim_sigres_parse(const char *buf, size_t len, struct dkim_sigres *r);
/* Add one "dkim=" resinfo per result, with header.d/s/a/b (b: the shortest
 * prefix of at least DKIM_B_SHOWN_MIN that tells the signatures apart).
 * 0 / -1 (full). */
int dkim_sigres_authres(const struct dkim_sigres *r, size_t n, struct mk_authres *ar);

#endif
