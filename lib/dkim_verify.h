/*
 * lib/dkim_verify.h: native DKIM verification (RFC 6376, RFC 8463 Ed25519,
 * RFC 8301 algorithm and key size rules, RFC 8616 internationalized mail:
 * UTF-8 in i=, U-labels in d= / s= / i=, UTF-8 header fields hashed as
 * they are) with OpenSSL, for mailaka-dkim's `VerifyEngine native`.
 *
 * One verifier per message.  Feed every header field in order, then
 * mk_dkim_verifier_eoh(), the body in chunks of any size, then
 * mk_dkim_verifier_eom(), which looks the keys up through the caller's
 * callback (the caller does DNS, caching and time budgets) and gives one
 * result per DKIM-Signature header field, in header order -- a malformed
 * one included (permerror with a reason), none dropped.  Memory: the
 * header fields (bounded by MK_DKIM_VERIFY_HDR_BYTES_MAX) and one body
 * canonicalizer per signature; the body streams.
 *
 * Results:
 *   pass       the body hash and the signature verify with the key
 *   fail       body hash mismatch, signature does not verify, x= expired
 *   policy     rsa-sha1 (RFC 8301), an RSA key under min_rsa_bits
 *   permerror  malformed tag list, v= missing or not 1, a required tag
 *              missing, unknown a= or c=, h= without From, i= not within d=,
 *              malformed UTF-8 in any tag, UTF-8 in a tag other than d=, i=,
 *              s=, z=, a U-label d= / s= / i= domain that is not valid IDNA,
 *              l= larger than the body, key record malformed / revoked (p=)
 *              / k= not the a= family / h= excluding sha256 / s= excluding
 *              email / t=s with an i= subdomain
 *   nokey      no key record (NXDOMAIN, no TXT): a permerror to which the
 *              caller may apply its own action (On-KeyNotFound)
 *   temperror  the key lookup failed temporarily
 */
#ifndef MK_DKIM_VERIFY_H
#define MK_DKIM_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define MK_DKIM_VERIFY_SIGS_MAX 32		/* signatures evaluated per message */
#define MK_DKIM_VERIFY_HDR_BYTES_MAX (256 * 1024) /* header bytes kept */
#define MK_DKIM_VERIFY_KEY_MAX 8192		/* bytes of a key record */
#define MK_DKIM_VERIFY_B_MAX 1400		/* b= (base64, no WSP) kept */

enum mk_dkim_vres {
	MK_DKIM_V_NONE,
	MK_DKIM_V_PASS,
	MK_DKIM_V_FAIL,
	MK_DKIM_V_POLICY,
	MK_DKIM_V_NEUTRAL,
	MK_DKIM_V_TEMPERROR,
	MK_DKIM_V_PERMERROR,
	MK_DKIM_V_NOKEY,
};

/* What a key lookup found. */
enum mk_dkim_key_status {
	MK_DKIM_KEY_OK,		/* txt holds the record (one TXT RR, strings joined) */
	MK_DKIM_KEY_NONE,	/* no record: NXDOMAIN or no TXT */
	MK_DKIM_KEY_TEMPFAIL,	/* SERVFAIL, timeout: why may say more */
	MK_DKIM_KEY_BAD,	/* refused by the caller (several records, too long): why */
};

/* Look up "<selector>._domainkey.<domain>" TXT (both as A-labels, ASCII
 * even when the signature has U-labels); the record into txt
 * (NUL-terminated, at most txtsz - 1 bytes), a reason into why for
 * TEMPFAIL / BAD. */
typedef enum mk_dkim_key_status (*mk_dkim_key_lookup_fn)(void *arg, const char *domain,
    const char *selector, char *txt, size_t txtsz, char *why, size_t whylen);

struct mk_dkim_verify_params {
	unsigned min_rsa_bits;		/* RSA keys under this: policy (0: 1024, RFC 8301) */
	time_t now;			/* for x= (0: time(NULL) at eom) */
	mk_dkim_key_lookup_fn lookup;	/* required */
	void *lookup_arg;
};

struct mk_dkim_vresult {
	enum mk_dkim_vres res;
	char reason[160];		/* "" for pass */
	char d[256], s[256], a[32], i[256];	/* as written ("" when absent or unusable):
					 * d=, s=, i= may hold UTF-8 (RFC 8616) */
	char d_alabel[256];		/* d= as A-labels, the DNS form (= d for an ASCII d=;
					 * "" until d= is checked) */
	char b[MK_DKIM_VERIFY_B_MAX + 1];	/* b= without white space */
};

struct mk_dkim_verifier;

struct mk_dkim_verifier *mk_dkim_verifier_new(const struct mk_dkim_verify_params *p);
struct mk_dkim_verifier *mk_dkim_verifier_free(struct mk_dkim_verifier *v);	/* NULL */

/* One header field as received: "Name:value", folded lines joined by CRLF,
 * without the final CRLF.  0, or -1 when out of memory or past
 * MK_DKIM_VERIFY_HDR_BYTES_MAX (the verifier then reports permerror for
 * every signature: "header too large"). */
int mk_dkim_verifier_header(struct mk_dkim_verifier *v, const char *field, size_t len);
/* End of header: parses the DKIM-Signature fields.  Returns how many there
 * are (the body is then worth feeding only when > 0). */
size_t mk_dkim_verifier_eoh(struct mk_dkim_verifier *v);
/* After eoh: the key record name ("<s>._domainkey.<d>") signature i will
 * look up at eom, or false when it needs none (decided already, or i out of
 * range); lets the caller find out whether eom will need DNS at all. */
bool mk_dkim_verifier_key_name(const struct mk_dkim_verifier *v, size_t i, char *name,
    size_t namesz);
/* A body chunk, any split. */
void mk_dkim_verifier_body(struct mk_dkim_verifier *v, const unsigned char *buf, size_t len);
/* End of message: key lookups and checks; *res points to the results (one
 * per DKIM-Signature field, owned by v).  Returns their number. */
size_t mk_dkim_verifier_eom(struct mk_dkim_verifier *v, const struct mk_dkim_vresult **res);

/* Decoded keys are kept by their p= text (a small cache shared by all
 * verifiers); this empties it (at exit, for leak checkers). */
void mk_dkim_verify_cache_clear(void);

/* RFC 8601 result name ("nokey" -> "permerror").  Inline: mailaka-dkim's
 * Authentication-Results builder (milter-dkim/sigres.c) uses it and is
 * linked without this module into fuzz/fuzz_dkim_header. */
static inline const char *
mk_dkim_vres_name(enum mk_dkim_vres r)
{
	switch (r) {
	case MK_DKIM_V_PASS: return "pass";
	case MK_DKIM_V_FAIL: return "fail";
	case MK_DKIM_V_POLICY: return "policy";
	case MK_DKIM_V_NEUTRAL: return "neutral";
	case MK_DKIM_V_TEMPERROR: return "temperror";
	case MK_DKIM_V_PERMERROR:
	case MK_DKIM_V_NOKEY: return "permerror";
	case MK_DKIM_V_NONE:
	default: return "none";
	}
}

#endif
