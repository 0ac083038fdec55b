/*
 * lib/dkim_sign.h: RFC 6376 DKIM signing with keys parsed once (OpenSSL EVP).
 *
 * libopendkim's dkim_sign() takes the private key as PEM and parses it for
 * every message (through OpenSSL 3's decoders that costs more than the
 * RSA-2048 signature itself).  This module does the canonicalization and
 * the DKIM-Signature construction itself and leaves all crypto to OpenSSL:
 * SHA-256 through EVP_Digest*, RSASSA-PKCS1-v1_5 / SHA-256 (RFC 6376 3.3)
 * or Ed25519 over the SHA-256 hash (RFC 8463 3) through EVP_PKEY.
 *
 * Use, per message and per key:
 *     s = mk_dkim_signer_new(&params, err, sizeof(err));
 *     mk_dkim_signer_header(s, "Subject: hi", 11);     (each field, in order)
 *     mk_dkim_signer_body(s, chunk, len);              (as many chunks as come)
 *     mk_dkim_signer_finish(s, &value);                (malloc'ed, caller frees)
 *     mk_dkim_signer_free(s);
 *
 * Header fields are given as libopendkim's dkim_header() takes them:
 * "Name:value" exactly as the MTA will transmit the field (so with the
 * space after the colon), folded lines joined by CRLF, no final CRLF.
 * The body is given as the MTA sends it in milter body chunks (lines end
 * in CRLF; chunks may split anywhere, CR from LF included).  The body is
 * hashed as it streams: memory does not grow with the body (only a count
 * of pending empty lines is kept for the end-of-body rule).
 *
 * Header selection (RFC 6376 5.4.2): h= lists, in message order, the name
 * of every field that matches the sign list (all instances are signed; for
 * each name listed the bottom-most unused instance is hashed), then each
 * oversign name once more, whether present or not, so that a field added
 * later breaks the signature.  The sign list always includes "From" and the
 * oversign names.  Names may hold '*' wildcards (as SignHeaders in
 * OpenDKIM); matching ignores case.
 *
 * The signature value is "v=1; a=; c=; d=; s=; t=; [x=;] [i=;] h=; bh=; b="
 * folded to lines of at most 78 columns (counting "DKIM-Signature: ") with
 * CRLF + TAB (or LF + TAB, params.lf_folds, the form smfi_insheader takes).
 * The header hashed is "DKIM-Signature: " + that value with b= empty, so
 * for c=simple the field the MTA inserts ("DKIM-Signature:" + " " + value,
 * the space added by the MTA or by the milter when HDR_LEADSPC is
 * negotiated) is exactly the field signed.  Never l=; i= only when asked.
 *
 * Thread safety: signers are independent; many may share one EVP_PKEY
 * (each takes a reference) in concurrent threads.
 */
#ifndef MK_DKIM_SIGN_H
#define MK_DKIM_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#define MK_DKIM_SIGN_HDR_NAME "DKIM-Signature"
#define MK_DKIM_SIGN_FIELDS_MAX 1000		/* header fields kept for signing */
#define MK_DKIM_SIGN_HDR_BYTES_MAX (1024 * 1024) /* bytes of header fields kept */
#define MK_DKIM_SIGN_NAMES_MAX 128		/* names in the sign + oversign lists */
#define MK_DKIM_SIGN_NAME_MAX 128		/* bytes of one listed header name */
#define MK_DKIM_SIGN_DOMAIN_MAX 253		/* d= (RFC 1035 2.3.4) */
#define MK_DKIM_SIGN_SELECTOR_MAX 63		/* s= (one DNS label) */
#define MK_DKIM_SIGN_IDENTITY_MAX 320		/* i= (local@domain) */
#define MK_DKIM_SIGN_LINE_MAX 78		/* folding column (RFC 5322 2.1.1) */
#define MK_DKIM_SIGN_TTL_MAX (10L * 366 * 86400) /* x= - t= */

enum mk_dkim_alg {
	MK_DKIM_RSA_SHA256,		/* a=rsa-sha256 */
	MK_DKIM_ED25519_SHA256,		/* a=ed25519-sha256 (RFC 8463) */
};

enum mk_dkim_canon {
	MK_DKIM_SIMPLE,
	MK_DKIM_RELAXED,
};

struct mk_dkim_sign_params {
	EVP_PKEY *key;			/* borrowed: the signer takes its own reference */
	enum mk_dkim_alg alg;		/* must match the key's type */
	enum mk_dkim_canon hcanon, bcanon;
	const char *domain;		/* d= */
	const char *selector;		/* s= */
	const char *identity;		/* i= or NULL (none); may be UTF-8 (RFC 8616) */
	const char *const *signhdrs;	/* NULL-terminated; NULL: mk_dkim_default_signhdrs */
	const char *const *oversign;	/* NULL-terminated; NULL: none */
	bool sign_all;			/* sign every field (libopendkim without SIGNHDRS) */
	time_t now;			/* t= */
	long ttl;			/* x= t + ttl; 0: no x= */
	bool lf_folds;			/* fold the returned value with LF + TAB, not CRLF + TAB */
};

struct mk_dkim_signer;

/* RFC 6376 5.4.1's list, as OpenDKIM's default SignHeaders
 * (libopendkim's dkim_should_signhdrs), NULL-terminated. */
extern const char *const mk_dkim_default_signhdrs[];

/* NULL with err when a parameter is invalid or out of memory. */
struct mk_dkim_signer *mk_dkim_signer_new(const struct mk_dkim_sign_params *p, char *err,
    size_t errlen);
struct mk_dkim_signer *mk_dkim_signer_free(struct mk_dkim_signer *s);

/* One header field, "Name:value" (see above); fields whose name is not an
 * RFC 5322 field name are not signed.  0 / -1 (no colon, limits; see
 * mk_dkim_signer_error).  After any -1 the signer only fails. */
int mk_dkim_signer_header(struct mk_dkim_signer *s, const char *field, size_t len);
/* A body chunk (any split).  Ends the headers.  0 / -1. */
int mk_dkim_signer_body(struct mk_dkim_signer *s, const unsigned char *buf, size_t len);
/* Ends the message and signs: *value gets the DKIM-Signature value
 * (malloc'ed, taken by the caller; no leading space, no final line end).
 * 0 / -1 (no From field, crypto failure). */
int mk_dkim_signer_finish(struct mk_dkim_signer *s, char **value);
/* Why the last call failed ("" if none). */
const char *mk_dkim_signer_error(const struct mk_dkim_signer *s);

/* Check a sign or oversign list as mk_dkim_signer_new() will (for load
 * time).  0 / -1 with err naming the bad entry. */
int mk_dkim_sign_check_names(const char *const *names, char *err, size_t errlen);

/* "rsa-sha256" / "ed25519-sha256"; the algorithm for a key (-1: neither). */
const char *mk_dkim_alg_name(enum mk_dkim_alg alg);
int mk_dkim_alg_of_key(const EVP_PKEY *key, enum mk_dkim_alg *alg);

#endif
