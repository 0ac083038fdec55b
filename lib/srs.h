/*
 * lib/srs.h: Sender Rewriting Scheme, the Shevek/libsrs2 scheme as postsrsd
 * 1.x uses it, so addresses and secrets files interoperate with postsrsd.
 *
 *   SRS0=HHHH=TT=orig.domain=orig.local@srs.domain
 *   SRS1=HHHH=first.forwarder==HHHH=TT=orig.domain=orig.local@srs.domain
 *
 * HHHH: the first hash_len characters of base64(HMAC-SHA1(secret, data))
 * where data is the lower-cased concatenation of (TT, domain, local) for
 * SRS0 and (first.forwarder, "=HHHH=TT=...") for SRS1.  TT: days since the
 * epoch modulo 1024, two base32 characters.  The hash is compared without
 * regard to case (mail systems may fold local parts) and in constant time.
 *
 * Secrets: one a line; the first signs, all verify (key rotation).
 * Functions taking "now" are pure (no clock, no I/O) so tests pin time.
 */
#ifndef MK_SRS_H
#define MK_SRS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define MK_SRS_ADDR_MAX 512		/* bytes of an address we rewrite (with NUL: 513) */
#define MK_SRS_SECRET_MAX 1024		/* bytes of one secret (postsrsd's line buffer) */
#define MK_SRS_SECRETS_MAX 32		/* secrets kept (verification cost is linear) */
#define MK_SRS_HASH_LEN_MIN 1
#define MK_SRS_HASH_LEN_MAX 27		/* base64 of a 20-byte SHA-1 digest */
#define MK_SRS_HASH_LEN_DEFAULT 4
#define MK_SRS_MAX_AGE_DEFAULT 21	/* days */
#define MK_SRS_TIME_SLOTS 1024		/* timestamps wrap every 1024 days */

enum mk_srs_err {
	MK_SRS_OK = 0,
	MK_SRS_E_NOT_SRS,	/* reverse: not an SRS address */
	MK_SRS_E_SYNTAX,	/* malformed SRS address (garbage) */
	MK_SRS_E_HASH,		/* hash does not verify (tampered, other secret) */
	MK_SRS_E_HASH_SHORT,	/* hash shorter than the minimum length */
	MK_SRS_E_STAMP,		/* timestamp is not two base32 characters */
	MK_SRS_E_EXPIRED,	/* timestamp older than max age (or in the future) */
	MK_SRS_E_NO_AT,		/* forward: address has no '@' / empty local or domain */
	MK_SRS_E_LOCAL,		/* forward: address already in the SRS domain */
	MK_SRS_E_TOO_LONG,	/* input or result too long */
	MK_SRS_E_NO_SECRET,	/* no secret loaded */
	MK_SRS_E_CRYPTO,	/* HMAC failure (internal) */
};

struct mk_srs;

/* New context rewriting into domain (copied). hash_len in
 * [MK_SRS_HASH_LEN_MIN, MK_SRS_HASH_LEN_MAX]; hash_min (<= hash_len, 0 means
 * hash_len) is the shortest hash accepted on reverse; max_age in days
 * (1..1023); separator one of '=', '+', '-' (after "SRS0"/"SRS1").
 * NULL on bad arguments. */
struct mk_srs *mk_srs_new(const char *domain, unsigned hash_len, unsigned hash_min,
    unsigned max_age, char separator);
/* Returns NULL; wipes the secrets. */
struct mk_srs *mk_srs_free(struct mk_srs *srs);

/* Add one secret (bytes copied). The first added signs. 0 / -1. */
int mk_srs_add_secret(struct mk_srs *srs, const char *secret, size_t len);
/* Parse a postsrsd secrets file's content: each non-empty line (CR/LF
 * stripped) is a secret. 0 / -1 (no secret, a line too long: err filled). */
int mk_srs_parse_secrets(struct mk_srs *srs, const char *buf, size_t len,
    char *err, size_t errlen);
/* Read path (refused if group/other may read it, unless allow_readable),
 * then mk_srs_parse_secrets. 0 / -1 with err "path: why". */
int mk_srs_load_secrets(struct mk_srs *srs, const char *path, bool allow_readable,
    char *err, size_t errlen);
size_t mk_srs_secret_count(const struct mk_srs *srs);
const char *mk_srs_domain(const struct mk_srs *srs);

/* Rewrite sender (len bytes, "local@domain") into out: SRS0 for a plain
 * address, SRS1 for an SRS0/SRS1 one. 0 / -1 with *why. */
int mk_srs_forward(const struct mk_srs *srs, const char *sender, size_t len, time_t now,
    char *out, size_t outsz, enum mk_srs_err *why);
/* Undo one level: SRS0 -> original address; SRS1 -> the SRS0 address at
 * the first forwarder. The domain of addr is not checked (the caller
 * decides which domains are ours). 0 / -1 with *why. */
int mk_srs_reverse(const struct mk_srs *srs, const char *addr, size_t len, time_t now,
    char *out, size_t outsz, enum mk_srs_err *why);

/* Does the local part of addr start with SRS0/SRS1 and a separator? */
bool mk_srs_is_srs(const char *addr, size_t len);
/* Short text for logs and replies ("bad hash", "expired timestamp", ...). */
const char *mk_srs_strerror(enum mk_srs_err err);
/* The two-character base32 day stamp for now (out >= 3 bytes). */
void mk_srs_stamp(time_t now, char out[3]);

#endif
