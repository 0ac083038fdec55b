/*
 * lib/dkim_verify.c: native DKIM verification (see dkim_verify.h).
 * Signature tags and key records go through lib/dkim_tags, canonicalization
 * through lib/dkim_canon (shared with the signer), hashing and public-key
 * operations through OpenSSL's EVP interface, U-labels to A-labels through
 * lib/idn.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "lib/dkim_canon.h"
#include "lib/dkim_tags.h"
#include "lib/idn.h"
#include "lib/dkim_verify.h"

#define SIG_BYTES_MAX 1024		/* an 8192-bit RSA signature */
#define HLIST_MAX 4096			/* bytes of an h= list kept */
#define SIG_NAME "DKIM-Signature"

struct field {
	char *f;			/* "Name:value", CRLF folds */
	size_t len, namelen;
};

struct vsig {
	struct mk_dkim_vresult r;	/* res != NONE: decided */
	char sq[256];			/* s= as A-labels (the key record's name) */
	char iq[256];			/* the domain of i= as A-labels ("": no i=) */
	size_t field;			/* index of its DKIM-Signature field */
	bool hrelaxed, ed25519, lset, xset;
	unsigned long long l;
	long long x;			/* x= when xset */
	char hlist[HLIST_MAX];		/* h= without white space */
	unsigned char bh[MK_DKIM_SHA256_LEN];
	unsigned char sig[SIG_BYTES_MAX + 3];	/* + padding of the last group */
	size_t siglen;
	struct mk_dkim_body body;	/* out.md set while the body streams */
};

struct mk_dkim_verifier {
	struct mk_dkim_verify_params p;
	struct field *f;
	size_t nf, capf, bytes;
	bool overflow;			/* a field was refused */
	struct vsig *sig;
	size_t nsig;
	struct mk_dkim_vresult *res;	/* the results handed out */
};

/* Decoded public keys by their p= text: decoding (OpenSSL's decoder
 * machinery) costs more than the RSA verification itself, and a mail
 * server sees the same few keys all day.  Direct-mapped; a key is
 * referenced while in use, so replacing a slot is safe. */
#define KEYCACHE_SLOTS 128

static struct {
	char *p64;
	bool ed25519;
	EVP_PKEY *key;
} keycache[KEYCACHE_SLOTS];
static pthread_mutex_t keycache_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t
keycache_slot(const char *p64)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *p64 != '\0'; p64++)
		h = (h ^ (unsigned char)*p64) * 1099511628211ULL;
	return (size_t)(h % KEYCACHE_SLOTS);
}

static EVP_PKEY *
keycache_get(const char *p64, bool ed25519)
{
	size_t i = keycache_slot(p64);
	EVP_PKEY *key = NULL;

	pthread_mutex_lock(&keycache_mu);
	if (keycache[i].key != NULL && keycache[i].ed25519 == ed25519 &&
	    strcmp(keycache[i].p64, p64) == 0 && EVP_PKEY_up_ref(keycache[i].key) == 1)
		key = keycache[i].key;
	pthread_mutex_unlock(&keycache_mu);
	return key;
}

static void
keycache_put(const char *p64, bool ed25519, EVP_PKEY *key)
{
	size_t i = keycache_slot(p64);
	char *copy = strdup(p64);

	if (copy == NULL || EVP_PKEY_up_ref(key) != 1) {
		free(copy);
		return;
	}
	pthread_mutex_lock(&keycache_mu);
	free(keycache[i].p64);
	EVP_PKEY_free(keycache[i].key);
	keycache[i].p64 = copy;
	keycache[i].ed25519 = ed25519;
	keycache[i].key = key;
	pthread_mutex_unlock(&keycache_mu);
}

void
mk_dkim_verify_cache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&keycache_mu);
	for (i = 0; i < KEYCACHE_SLOTS; i++) {
		free(keycache[i].p64);
		EVP_PKEY_free(keycache[i].key);
		keycache[i].p64 = NULL;
		keycache[i].key = NULL;
	}
	pthread_mutex_unlock(&keycache_mu);
}

static const EVP_MD *
sha256(void)
{
	return EVP_sha256();
}

static void
set(struct vsig *s, enum mk_dkim_vres res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set(struct vsig *s, enum mk_dkim_vres res, const char *fmt, ...)
{
	va_list ap;

	s->r.res = res;
	va_start(ap, fmt);
	vsnprintf(s->r.reason, sizeof(s->r.reason), fmt, ap);
	va_end(ap);
}

struct mk_dkim_verifier *
mk_dkim_verifier_new(const struct mk_dkim_verify_params *p)
{
	struct mk_dkim_verifier *v;

	if (p == NULL || p->lookup == NULL || (v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->p = *p;
	if (v->p.min_rsa_bits == 0)
		v->p.min_rsa_bits = 1024;
	return v;
}

struct mk_dkim_verifier *
mk_dkim_verifier_free(struct mk_dkim_verifier *v)
{
	size_t i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < v->nf; i++)
		free(v->f[i].f);
	for (i = 0; i < v->nsig; i++)
		EVP_MD_CTX_free(v->sig[i].body.out.md);
	free(v->f);
	free(v->sig);
	free(v->res);
	free(v);
	return NULL;
}

int
mk_dkim_verifier_header(struct mk_dkim_verifier *v, const char *field, size_t len)
{
	const char *colon = memchr(field, ':', len);
	struct field *nf;
	size_t n;

	if (v->overflow || v->bytes + len > MK_DKIM_VERIFY_HDR_BYTES_MAX) {
		v->overflow = true;
		return -1;
	}
	if (colon == NULL)
		return 0;	/* not a header field: never signed */
	if (v->nf == v->capf) {
		n = v->capf ? v->capf * 2 : 32;
		if ((nf = realloc(v->f, n * sizeof(*nf))) == NULL) {
			v->overflow = true;
			return -1;
		}
		v->f = nf;
		v->capf = n;
	}
	if ((v->f[v->nf].f = malloc(len + 1)) == NULL) {
		v->overflow = true;
		return -1;
	}
	memcpy(v->f[v->nf].f, field, len);
	v->f[v->nf].f[len] = '\0';
	v->f[v->nf].len = len;
	for (n = (size_t)(colon - field); n > 0 && (field[n - 1] == ' ' || field[n - 1] == '\t'); n--)
		;
	v->f[v->nf].namelen = n;
	v->nf++;
	v->bytes += len;
	return 0;
}

static bool
field_is(const struct field *f, const char *name, size_t nlen)
{
	return f->namelen == nlen && strncasecmp(f->f, name, nlen) == 0;
}

/* base64 (no white space) -> bytes; -1 if malformed or if out (max bytes)
 * cannot take the decoded groups (3 bytes per 4 characters, padding
 * included). */
static int
b64_decode(const char *in, unsigned char *out, size_t max, size_t *outlen)
{
	size_t n = strlen(in), pad = 0;
	int got;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > max)
		return -1;
	if (in[n - 1] == '=')
		pad++;
	if (in[n - 2] == '=')
		pad++;
	if ((got = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n)) < 0 ||
	    (size_t)got < pad)
		return -1;
	*outlen = (size_t)got - pad;
	return 0;
}

/* Copy a tag without white space into out; "" when absent; -1 when too long. */
static int
tag_nows(const struct mk_dkim_tags *t, const char *name, char *out, size_t outsz)
{
	const struct mk_dkim_tag *tag = mk_dkim_tags_get(t, name);

	out[0] = '\0';
	return tag == NULL ? 0 : mk_dkim_tags_copy_nows(tag, out, outsz);
}

/* A decimal tag value (RFC 6376: 1*76DIGIT for l=, 1*12DIGIT for t= / x=,
 * leading zeros allowed; more than fits saturates): 0, 1 when absent, -1
 * when malformed. */
static int
tag_num(const struct mk_dkim_tags *t, const char *name, unsigned long long *out)
{
	char buf[80], *end, *p;

	if (tag_nows(t, name, buf, sizeof(buf)) == -1)
		return -1;
	if (buf[0] == '\0')
		return mk_dkim_tags_get(t, name) == NULL ? 1 : -1;
	if (strspn(buf, "0123456789") != strlen(buf) || strlen(buf) > 76)
		return -1;
	for (p = buf; p[0] == '0' && p[1] != '\0'; p++)
		;
	*out = strlen(p) > 19 ? ULLONG_MAX : strtoull(p, &end, 10);
	return 0;
}

/* Is name in the colon-separated list (white space removed)? */
static bool
list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list, *e;

	for (;;) {
		e = strchr(p, ':');
		if ((size_t)((e ? e : p + strlen(p)) - p) == n && strncasecmp(p, name, n) == 0)
			return true;
		if (e == NULL)
			return false;
		p = e + 1;
	}
}

/* c= into s; -1 when unknown. */
static int
parse_canon(const struct mk_dkim_tags *t, struct vsig *s)
{
	char c[32], *slash;

	if (tag_nows(t, "c", c, sizeof(c)) == -1)
		return -1;
	if (c[0] == '\0')
		return mk_dkim_tags_get(t, "c") == NULL ? 0 : -1;
	slash = strchr(c, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (strcasecmp(c, "relaxed") == 0)
		s->hrelaxed = true;
	else if (strcasecmp(c, "simple") != 0)
		return -1;
	if (slash != NULL && strcasecmp(slash, "relaxed") == 0)
		s->body.relaxed = true;
	else if (slash != NULL && strcasecmp(slash, "simple") != 0)
		return -1;
	return 0;
}

/* A domain name as A-labels (lib/idn, the conversion milter-dmarc uses
 * for the From domain, so both sides of a DMARC alignment agree).  RFC
 * 8616 section 3: "When a domain name found in a mail header field
 * includes U-labels, those labels are translated to A-labels before being
 * looked up in the DNS". */
static int
to_alabels(const char *in, char *out, size_t outsz, const char **why)
{
	return mk_idn_alabels(in, strlen(in), out, outsz, why);
}

/* d= and s= as A-labels: RFC 8616 section 5 relaxes RFC 6376 3.5 for
 * internationalized header fields (RFC 6532) -- IDNs in d=, i= and s=
 * SHOULD be U-labels there, A-labels stay valid.  The hashes use the tags
 * as they are written (RFC 8616: "the hash MUST use the domain name in the
 * format it occurs in the header field"); the key is looked up under the
 * A-labels.  A U-label that is not valid IDNA (a disallowed code point, a
 * leading combining mark, a bad ZWJ, a label too long as punycode) is a
 * permerror naming the tag. */
static int
idn_names(struct vsig *s)
{
	const char *why;

	if (to_alabels(s->r.d, s->r.d_alabel, sizeof(s->r.d_alabel), &why) == -1) {
		set(s, MK_DKIM_V_PERMERROR, "d= is not a valid domain name (IDNA: %s)", why);
		return -1;
	}
	if (to_alabels(s->r.s, s->sq, sizeof(s->sq), &why) == -1) {
		set(s, MK_DKIM_V_PERMERROR, "s= is not a valid selector (IDNA: %s)", why);
		return -1;
	}
	return 0;
}

/* The identity: i= must be in d= or a subdomain of it (RFC 6376 3.5),
 * compared as A-labels (either may use U-labels, RFC 8616 section 5).  Its
 * local part may be UTF-8 (RFC 8616 section 5, RFC 6532 3.2): the tag
 * parser has already refused malformed UTF-8 and controls in it. */
static int
check_identity(struct vsig *s)
{
	const char *at = strrchr(s->r.i, '@'), *why, *d = s->r.d_alabel;
	size_t dl = strlen(d), il;

	if (s->r.i[0] == '\0')
		return 0;
	if (at == NULL) {
		set(s, MK_DKIM_V_PERMERROR, "i= without '@'");
		return -1;
	}
	if (to_alabels(at + 1, s->iq, sizeof(s->iq), &why) == -1) {
		set(s, MK_DKIM_V_PERMERROR, "i= domain is not a valid domain name (IDNA: %s)", why);
		return -1;
	}
	il = strlen(s->iq);
	if (!(il == dl && strcasecmp(s->iq, d) == 0) &&
	    !(il > dl && s->iq[il - dl - 1] == '.' && strcasecmp(s->iq + il - dl, d) == 0)) {
		set(s, MK_DKIM_V_PERMERROR, "i= domain not within d=");
		return -1;
	}
	return 0;
}

/* The rest of the tag checks, once the identity fields are copied. */
static int
check_tags(const struct mk_dkim_tags *t, struct vsig *s)
{
	static const char *const required[] = { "v", "a", "b", "bh", "d", "h", "s" };
	unsigned long long n, ts;
	char v[8], q[64], bh[64];
	unsigned char bhbin[48];
	size_t i, len;
	int rc;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (mk_dkim_tags_get(t, required[i]) == NULL) {
			set(s, MK_DKIM_V_PERMERROR, "missing %s= tag", required[i]);
			return -1;
		}
	if (tag_nows(t, "v", v, sizeof(v)) == -1 || strcmp(v, "1") != 0) {
		set(s, MK_DKIM_V_PERMERROR, "unsupported signature version");
		return -1;
	}
	if (strcasecmp(s->r.a, "rsa-sha1") == 0) {
		set(s, MK_DKIM_V_POLICY, "rsa-sha1 is not accepted (RFC 8301)");
		return -1;
	}
	s->ed25519 = strcasecmp(s->r.a, "ed25519-sha256") == 0;
	if (!s->ed25519 && strcasecmp(s->r.a, "rsa-sha256") != 0) {
		set(s, MK_DKIM_V_PERMERROR, "unknown signature algorithm");
		return -1;
	}
	if (s->r.d[0] == '\0' || s->r.s[0] == '\0' || s->r.b[0] == '\0') {
		set(s, MK_DKIM_V_PERMERROR, "empty d=, s= or b= tag");
		return -1;
	}
	if (idn_names(s) == -1)
		return -1;
	if (parse_canon(t, s) == -1) {
		set(s, MK_DKIM_V_PERMERROR, "unknown canonicalization c=");
		return -1;
	}
	if (tag_nows(t, "h", s->hlist, sizeof(s->hlist)) == -1 || !list_has(s->hlist, "from")) {
		set(s, MK_DKIM_V_PERMERROR, "h= does not include From");
		return -1;
	}
	if (tag_nows(t, "q", q, sizeof(q)) == -1 || (q[0] != '\0' && !list_has(q, "dns/txt"))) {
		set(s, MK_DKIM_V_PERMERROR, "unsupported query method q=");
		return -1;
	}
	if ((rc = tag_num(t, "l", &s->l)) == -1) {
		set(s, MK_DKIM_V_PERMERROR, "malformed l= tag");
		return -1;
	}
	s->lset = rc == 0;
	if ((rc = tag_num(t, "x", &n)) == -1) {
		set(s, MK_DKIM_V_PERMERROR, "malformed x= tag");
		return -1;
	}
	s->xset = rc == 0;
	s->x = n > (unsigned long long)INT64_MAX ? INT64_MAX : (long long)n;
	if ((rc = tag_num(t, "t", &ts)) == -1) {
		set(s, MK_DKIM_V_PERMERROR, "malformed t= tag");
		return -1;
	}
	if (rc == 0 && s->xset && n <= ts) {	/* RFC 6376 3.5: x= MUST be after t= */
		set(s, MK_DKIM_V_PERMERROR, "x= is not after t=");
		return -1;
	}
	if (tag_nows(t, "bh", bh, sizeof(bh)) == -1 ||
	    b64_decode(bh, bhbin, sizeof(bhbin), &len) == -1 || len != sizeof(s->bh)) {
		set(s, MK_DKIM_V_PERMERROR, "malformed bh= tag");
		return -1;
	}
	memcpy(s->bh, bhbin, sizeof(s->bh));
	if (b64_decode(s->r.b, s->sig, sizeof(s->sig), &s->siglen) == -1 ||
	    s->siglen > SIG_BYTES_MAX || (s->ed25519 && s->siglen != 64)) {
		set(s, MK_DKIM_V_PERMERROR, "malformed b= tag");
		return -1;
	}
	return check_identity(s);
}

/* RFC 8616 section 5 brings UTF-8 into a DKIM-Signature in exactly these
 * tags: d= and s= (U-labels), i= (U-labels, and a UTF-8 local part as RFC
 * 6532 3.2 extends local parts) and z= (its copied header field values are
 * dkim-quoted-printable, whose dkim-safe-char RFC 8616 extends with
 * UTF8-2 / UTF8-3 / UTF8-4, so a raw UTF-8 Subject may be copied as is;
 * z= is diagnostic only, we never decode it).  Every other tag, known or
 * not, keeps RFC 6376's ASCII grammar (RFC 8616 section 3: "text intended
 * primarily to be interpreted by computers ... remains ASCII"): an 8-bit
 * byte there is a permerror naming the tag. */
static int
check_8bit(const struct mk_dkim_tags *t, struct vsig *s)
{
	const struct mk_dkim_tag *g;
	size_t i;

	for (i = 0; i < t->count; i++) {
		g = &t->tag[i];
		if (g->nlen == 1 && strchr("disz", g->name[0]) != NULL)
			continue;
		if (!mk_dkim_tag_is_ascii(g)) {
			set(s, MK_DKIM_V_PERMERROR,
			    "8-bit byte in %.*s= tag (ASCII only; RFC 8616 allows UTF-8 in d=, i=, "
			    "s=, z=)", (int)(g->nlen > 32 ? 32 : g->nlen), g->name);
			return -1;
		}
	}
	return 0;
}

/* Parse one DKIM-Signature field into s (a result is set when it fails). */
static void
sig_parse(const struct field *f, struct vsig *s)
{
	const char *val = memchr(f->f, ':', f->len) + 1, *why;
	struct mk_dkim_tags t;

	if (mk_dkim_tags_parse_utf8(val, f->len - (size_t)(val - f->f), &t, &why) == -1) {
		if (t.err_name != NULL)
			set(s, MK_DKIM_V_PERMERROR, "malformed signature: %.*s= tag: %s",
			    (int)(t.err_nlen > 32 ? 32 : t.err_nlen), t.err_name, why);
		else
			set(s, MK_DKIM_V_PERMERROR, "malformed signature: %s", why);
		return;
	}
	if (check_8bit(&t, s) == -1)
		return;
	if (tag_nows(&t, "d", s->r.d, sizeof(s->r.d)) == -1 ||
	    tag_nows(&t, "s", s->r.s, sizeof(s->r.s)) == -1 ||
	    tag_nows(&t, "a", s->r.a, sizeof(s->r.a)) == -1 ||
	    tag_nows(&t, "i", s->r.i, sizeof(s->r.i)) == -1 ||
	    tag_nows(&t, "b", s->r.b, sizeof(s->r.b)) == -1) {
		set(s, MK_DKIM_V_PERMERROR, "malformed signature: tag value too long");
		return;
	}
	if (check_tags(&t, s) == -1)
		return;
	if ((s->body.out.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->body.out.md, sha256(), NULL) != 1) {
		set(s, MK_DKIM_V_TEMPERROR, "out of memory");
		return;
	}
	s->body.out.limited = s->lset;
	s->body.out.limit = s->l;
}

size_t
mk_dkim_verifier_eoh(struct mk_dkim_verifier *v)
{
	size_t i, n = 0;

	for (i = 0; i < v->nf; i++)
		if (field_is(&v->f[i], SIG_NAME, sizeof(SIG_NAME) - 1))
			n++;
	if (n == 0)
		return 0;
	if (n > MK_DKIM_VERIFY_SIGS_MAX)
		n = MK_DKIM_VERIFY_SIGS_MAX;
	if ((v->sig = calloc(n, sizeof(*v->sig))) == NULL)
		return 0;
	for (i = 0; i < v->nf && v->nsig < n; i++) {
		if (!field_is(&v->f[i], SIG_NAME, sizeof(SIG_NAME) - 1))
			continue;
		v->sig[v->nsig].field = i;
		if (v->overflow)
			set(&v->sig[v->nsig], MK_DKIM_V_PERMERROR, "header too large");
		else
			sig_parse(&v->f[i], &v->sig[v->nsig]);
		v->nsig++;
	}
	return v->nsig;
}

bool
mk_dkim_verifier_key_name(const struct mk_dkim_verifier *v, size_t i, char *name, size_t namesz)
{
	int n;

	if (i >= v->nsig || v->sig[i].r.res != MK_DKIM_V_NONE)
		return false;
	n = snprintf(name, namesz, "%s._domainkey.%s", v->sig[i].sq, v->sig[i].r.d_alabel);
	return n > 0 && (size_t)n < namesz;
}

void
mk_dkim_verifier_body(struct mk_dkim_verifier *v, const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < v->nsig; i++)
		if (v->sig[i].r.res == MK_DKIM_V_NONE)
			mk_dkim_body_feed(&v->sig[i].body, buf, len);
}

/* ---- end of message: body hash, key, header hash, signature -------------- */

static int
check_body(struct vsig *s)
{
	unsigned char bh[MK_DKIM_SHA256_LEN];

	mk_dkim_body_close(&s->body);
	if (mk_dkim_emit_final(&s->body.out, bh) == -1) {
		set(s, MK_DKIM_V_TEMPERROR, "hashing failed");
		return -1;
	}
	if (s->lset && s->body.out.total < s->l) {
		set(s, MK_DKIM_V_PERMERROR, "l= is larger than the body");
		return -1;
	}
	if (memcmp(bh, s->bh, sizeof(bh)) != 0) {
		set(s, MK_DKIM_V_FAIL, "body hash mismatch");
		return -1;
	}
	return 0;
}

/* The key record's rules (RFC 6376 3.6.1, RFC 8463); p= into *key. */
static int
key_rules(const struct mk_dkim_tags *t, struct vsig *s)
{
	char k[32], h[128], sv[128], fl[64];

	if (tag_nows(t, "k", k, sizeof(k)) == -1 || tag_nows(t, "h", h, sizeof(h)) == -1 ||
	    tag_nows(t, "s", sv, sizeof(sv)) == -1 || tag_nows(t, "t", fl, sizeof(fl)) == -1) {
		set(s, MK_DKIM_V_PERMERROR, "bad key record: tag value too long");
		return -1;
	}
	if (strcasecmp(k[0] ? k : "rsa", s->ed25519 ? "ed25519" : "rsa") != 0) {
		set(s, MK_DKIM_V_PERMERROR, "key type k=%s does not match a=%s", k[0] ? k : "rsa",
		    s->r.a);
		return -1;
	}
	if (h[0] != '\0' && !list_has(h, "sha256")) {
		set(s, MK_DKIM_V_PERMERROR, "key h= excludes sha256");
		return -1;
	}
	if (sv[0] != '\0' && !list_has(sv, "email") && !list_has(sv, "*")) {
		set(s, MK_DKIM_V_PERMERROR, "key s= excludes email");
		return -1;
	}
	if (fl[0] != '\0' && list_has(fl, "s") && s->r.i[0] != '\0' &&
	    strcasecmp(s->iq, s->r.d_alabel) != 0) {
		set(s, MK_DKIM_V_PERMERROR, "key t=s forbids an i= subdomain");
		return -1;
	}
	return 0;
}

static EVP_PKEY *
key_decode(struct vsig *s, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *key = NULL;

	if (s->ed25519) {
		if (len != 32 ||
		    (key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, len)) == NULL)
			set(s, MK_DKIM_V_PERMERROR, "bad key record: not an Ed25519 key");
		return key;
	}
	key = d2i_PUBKEY(NULL, &p, (long)len);
	if (key == NULL) {		/* a bare RSAPublicKey, as some publish */
		p = der;
		key = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	}
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		set(s, MK_DKIM_V_PERMERROR, "bad key record: not an RSA key");
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

/* Fetch and decode the key of s. */
static EVP_PKEY *
get_key(struct mk_dkim_verifier *v, struct vsig *s, char *txt, size_t txtsz)
{
	unsigned char der[MK_DKIM_VERIFY_KEY_MAX];
	char why[128] = "", p64[MK_DKIM_VERIFY_KEY_MAX];
	struct mk_dkim_tags t;
	const char *twhy, *vtag;
	size_t len;
	EVP_PKEY *key;

	switch (v->p.lookup(v->p.lookup_arg, s->r.d_alabel, s->sq, txt, txtsz, why, sizeof(why))) {
	case MK_DKIM_KEY_OK:
		break;
	case MK_DKIM_KEY_NONE:
		set(s, MK_DKIM_V_NOKEY, "no key for signature");
		return NULL;
	case MK_DKIM_KEY_TEMPFAIL:
		set(s, MK_DKIM_V_TEMPERROR, "%s", why[0] ? why : "key lookup failed");
		return NULL;
	case MK_DKIM_KEY_BAD:
	default:
		set(s, MK_DKIM_V_PERMERROR, "%s", why[0] ? why : "bad key record");
		return NULL;
	}
	if (mk_dkim_tags_parse(txt, strlen(txt), &t, &twhy) == -1) {
		set(s, MK_DKIM_V_PERMERROR, "bad key record: %s", twhy);
		return NULL;
	}
	vtag = t.count > 0 && t.tag[0].nlen == 1 && t.tag[0].name[0] == 'v' ? "" : NULL;
	if ((mk_dkim_tags_get(&t, "v") != NULL && vtag == NULL) ||
	    (vtag != NULL && (t.tag[0].vlen != 5 || strncmp(t.tag[0].val, "DKIM1", 5) != 0))) {
		set(s, MK_DKIM_V_PERMERROR, "bad key record: v= is not DKIM1 first");
		return NULL;
	}
	if (key_rules(&t, s) == -1)
		return NULL;
	if (mk_dkim_tags_get(&t, "p") == NULL || tag_nows(&t, "p", p64, sizeof(p64)) == -1) {
		set(s, MK_DKIM_V_PERMERROR, "bad key record: no p= tag");
		return NULL;
	}
	if (p64[0] == '\0') {
		set(s, MK_DKIM_V_PERMERROR, "key revoked");
		return NULL;
	}
	if ((key = keycache_get(p64, s->ed25519)) == NULL) {
		if (b64_decode(p64, der, sizeof(der), &len) == -1) {
			set(s, MK_DKIM_V_PERMERROR, "bad key record: p= is not base64");
			return NULL;
		}
		if ((key = key_decode(s, der, len)) == NULL)
			return NULL;
		keycache_put(p64, s->ed25519, key);
	}
	if (!s->ed25519 && (unsigned)EVP_PKEY_get_bits(key) < v->p.min_rsa_bits) {
		set(s, MK_DKIM_V_POLICY, "RSA key of %d bits (RFC 8301: at least %u)",
		    EVP_PKEY_get_bits(key), v->p.min_rsa_bits);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

/* The signature's own field with the b= value (and the white space around
 * it) removed (RFC 6376 3.7); malloc'ed, length in *len. */
static char *
field_without_b(const struct field *f, size_t *len)
{
	const char *val = memchr(f->f, ':', f->len) + 1, *end = f->f + f->len, *why, *a, *z;
	const struct mk_dkim_tag *b;
	struct mk_dkim_tags t;
	char *out;

	if (mk_dkim_tags_parse_utf8(val, (size_t)(end - val), &t, &why) == -1 ||
	    (b = mk_dkim_tags_get(&t, "b")) == NULL)
		return NULL;
	if ((a = memchr(b->name, '=', (size_t)(end - b->name))) == NULL)
		return NULL;
	a++;
	for (z = b->val + b->vlen; z < end && (*z == ' ' || *z == '\t' || *z == '\r' ||
	    *z == '\n'); z++)
		;
	if ((out = malloc(f->len)) == NULL)
		return NULL;
	memcpy(out, f->f, (size_t)(a - f->f));
	memcpy(out + (a - f->f), z, (size_t)(end - z));
	*len = (size_t)(a - f->f) + (size_t)(end - z);
	return out;
}

/* The fields of h= (each name: the last instance not used yet, RFC 6376
 * 5.4.2), then the signature field without b=, canonicalized and hashed. */
static int
header_hash(const struct mk_dkim_verifier *v, const struct vsig *s, unsigned char *out)
{
	const char *p = s->hlist, *e;
	struct mk_dkim_emit *em = calloc(1, sizeof(*em));
	bool *used = calloc(v->nf + 1, sizeof(*used));
	const struct field *sf = &v->f[s->field];
	size_t nlen, j, flen = 0;
	char *self = NULL;
	int rc = -1;

	if (em == NULL || used == NULL || (em->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(em->md, sha256(), NULL) != 1 ||
	    (self = field_without_b(sf, &flen)) == NULL)
		goto out;
	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		nlen = (size_t)(e - p);
		for (j = nlen > 0 ? v->nf : 0; j-- > 0;) {
			if (!used[j] && field_is(&v->f[j], p, nlen)) {
				used[j] = true;
				mk_dkim_canon_field(em, s->hrelaxed, v->f[j].f, v->f[j].len,
				    v->f[j].namelen, true);
				break;
			}
		}
	}
	mk_dkim_canon_field(em, s->hrelaxed, self, flen, sf->namelen, false);
	rc = mk_dkim_emit_final(em, out);
out:
	if (em != NULL)
		EVP_MD_CTX_free(em->md);
	free(em);
	free(used);
	free(self);
	return rc;
}

static bool
sig_ok(const struct vsig *s, EVP_PKEY *key, const unsigned char *h)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	bool ok;

	if (s->ed25519) {	/* RFC 8463: Ed25519 over the SHA-256 hash */
		ok = (mc = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestVerifyInit_ex(mc, NULL, NULL, NULL, NULL, key, NULL) > 0 &&
		    EVP_DigestVerify(mc, s->sig, s->siglen, h, MK_DKIM_SHA256_LEN) == 1;
	} else {
		ok = (pc = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) != NULL &&
		    EVP_PKEY_verify_init(pc) > 0 &&
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) > 0 &&
		    EVP_PKEY_CTX_set_signature_md(pc, sha256()) > 0 &&
		    EVP_PKEY_verify(pc, s->sig, s->siglen, h, MK_DKIM_SHA256_LEN) == 1;
	}
	EVP_PKEY_CTX_free(pc);
	EVP_MD_CTX_free(mc);
	return ok;
}

static void
sig_eval(struct mk_dkim_verifier *v, struct vsig *s, time_t now, char *txt, size_t txtsz)
{
	unsigned char h[MK_DKIM_SHA256_LEN];
	EVP_PKEY *key;

	if (check_body(s) == -1)
		return;
	if (s->xset && s->x < (long long)now) {
		set(s, MK_DKIM_V_FAIL, "signature expired (x=)");
		return;
	}
	if ((key = get_key(v, s, txt, txtsz)) == NULL)
		return;
	if (header_hash(v, s, h) == -1)
		set(s, MK_DKIM_V_TEMPERROR, "hashing failed");
	else if (!sig_ok(s, key, h))
		set(s, MK_DKIM_V_FAIL, "signature verification failed");
	else
		set(s, MK_DKIM_V_PASS, "%s", "");
	EVP_PKEY_free(key);
}

size_t
mk_dkim_verifier_eom(struct mk_dkim_verifier *v, const struct mk_dkim_vresult **res)
{
	time_t now = v->p.now != 0 ? v->p.now : time(NULL);
	char *txt = NULL;
	size_t i;

	*res = NULL;
	if (v->nsig == 0)
		return 0;
	if ((v->res = calloc(v->nsig, sizeof(*v->res))) == NULL ||
	    (txt = malloc(MK_DKIM_VERIFY_KEY_MAX)) == NULL) {
		free(v->res);
		v->res = NULL;
		return 0;
	}
	for (i = 0; i < v->nsig; i++) {
		if (v->sig[i].r.res == MK_DKIM_V_NONE)
			sig_eval(v, &v->sig[i], now, txt, MK_DKIM_VERIFY_KEY_MAX);
		v->res[i] = v->sig[i].r;
	}
	free(txt);
	*res = v->res;
	return v->nsig;
}
