/*
 * lib/dkim_canon.h: RFC 6376 3.4 canonicalization into a SHA-256 context,
 * for lib/dkim_sign.c and lib/dkim_verify.c.  The body is canonicalized as it streams (bounded
 * memory: only a count of held-back empty lines); a header field is
 * canonicalized in one call.
 */
#ifndef MK_DKIM_CANON_H
#define MK_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#define MK_DKIM_SHA256_LEN 32
#define MK_DKIM_EMIT_BUF 4096	/* canonical bytes gathered per EVP_DigestUpdate */

/* Canonical output on its way into a digest context (md: set up by the
 * caller, freed by the caller). */
struct mk_dkim_emit {
	EVP_MD_CTX *md;
	size_t n;
	bool failed;		/* an EVP_DigestUpdate failed */
	bool limited;		/* only the first limit bytes are hashed (l=) */
	unsigned long long limit;
	unsigned long long total;	/* canonical bytes seen (hashed or not) */
	unsigned long long hashed;
	unsigned char buf[MK_DKIM_EMIT_BUF];
};

/* Body canonicalization state (zeroed, then relaxed and out.md set). */
struct mk_dkim_body {
	struct mk_dkim_emit out;
	bool relaxed;			/* RFC 6376 3.4.4, else 3.4.3 */
	unsigned long long pending;	/* empty lines not yet hashed (maybe trailing) */
	bool cr;			/* a CR seen, its LF not yet */
	bool wsp;			/* relaxed: white space seen, not yet hashed */
	bool in_line;			/* bytes of the current line were hashed */
	bool wrote;			/* any body bytes hashed */
};

void mk_dkim_emit(struct mk_dkim_emit *e, const void *p, size_t len);
/* The digest into out (MK_DKIM_SHA256_LEN bytes). 0 / -1. */
int mk_dkim_emit_final(struct mk_dkim_emit *e, unsigned char *out);

/* A body chunk, any split (CR from LF included). */
void mk_dkim_body_feed(struct mk_dkim_body *b, const unsigned char *p, size_t len);
/* End of body: a last line without CRLF gets one; trailing empty lines are
 * dropped; simple makes an empty body CRLF. */
void mk_dkim_body_close(struct mk_dkim_body *b);

/* One header field f ("Name:value", namelen = the name without trailing
 * WSP, a ':' in f), simple or relaxed (RFC 6376 3.4.1, 3.4.2), with a final
 * CRLF when crlf (not for the signature field itself). */
void mk_dkim_canon_field(struct mk_dkim_emit *e, bool relaxed, const char *f, size_t len,
    size_t namelen, bool crlf);

#endif
