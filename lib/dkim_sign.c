/*
 * lib/dkim_sign.c: RFC 6376 signing (see dkim_sign.h).  Header selection
 * and the DKIM-Signature field are here, canonicalization in dkim_canon.c;
 * hashing and signing are OpenSSL's (EVP), with the key parsed once by the
 * caller.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "lib/dkim_canon.h"
#include "lib/dkim_sign.h"
#include "lib/utf8.h"

#define SHA256_LEN MK_DKIM_SHA256_LEN
#define SIG_MAX 1024		/* bytes of a signature (RSA-8192) */

const char *const mk_dkim_default_signhdrs[] = {
	"from", "reply-to", "subject", "date", "to", "cc",
	"resent-date", "resent-from", "resent-sender", "resent-to", "resent-cc",
	"in-reply-to", "references",
	"list-id", "list-help", "list-unsubscribe", "list-subscribe", "list-post",
	"list-owner", "list-archive",
	NULL
};

struct field {			/* a header field kept for signing */
	size_t off, len;	/* in signer->hdr */
	size_t namelen;		/* the name, trailing white space excluded */
	bool used;		/* selected (RFC 6376 5.4.2) */
};

enum signer_state {
	SIGNER_HEADERS,
	SIGNER_BODY,
	SIGNER_DONE,
	SIGNER_FAILED,
};

struct mk_dkim_signer {
	EVP_PKEY *key;			/* referenced */
	enum mk_dkim_alg alg;
	enum mk_dkim_canon hcanon, bcanon;
	char *domain, *selector, *identity;
	char **names;			/* sign list (with From and the oversign names) */
	size_t nnames;
	char **over;			/* oversign list */
	size_t nover;
	bool sign_all, lf_folds;
	long long t, x;			/* t=, x= (x = 0: none) */
	enum signer_state state;
	char *hdr;			/* kept fields, back to back */
	size_t hdrlen, hdrcap;
	struct field *field;
	size_t nfields, fieldcap;
	bool have_from;
	struct mk_dkim_body body;	/* body canonicalization, streamed */
	char err[160];
};

static const EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

static const EVP_MD *
sha256(void)
{
	(void)pthread_once(&sha256_once, sha256_fetch);
	return sha256_md;
}

const char *
mk_dkim_alg_name(enum mk_dkim_alg alg)
{
	return alg == MK_DKIM_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

int
mk_dkim_alg_of_key(const EVP_PKEY *key, enum mk_dkim_alg *alg)
{
	switch (key == NULL ? EVP_PKEY_NONE : EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
		*alg = MK_DKIM_RSA_SHA256;
		return 0;
	case EVP_PKEY_ED25519:
		*alg = MK_DKIM_ED25519_SHA256;
		return 0;
	default:
		return -1;
	}
}

__attribute__((format(printf, 2, 3))) static int
fail(struct mk_dkim_signer *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	s->state = SIGNER_FAILED;
	return -1;
}

const char *
mk_dkim_signer_error(const struct mk_dkim_signer *s)
{
	return s == NULL ? "no signer" : s->err;
}

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* ---- body ------------------------------------------------------------------ */

int
mk_dkim_signer_body(struct mk_dkim_signer *s, const unsigned char *buf, size_t len)
{
	if (s->state == SIGNER_HEADERS)
		s->state = SIGNER_BODY;
	if (s->state != SIGNER_BODY)
		return s->state == SIGNER_FAILED ? -1 : fail(s, "body after the end of message");
	mk_dkim_body_feed(&s->body, buf, len);
	if (s->body.out.failed)
		return fail(s, "body hash failed");
	return 0;
}

/* ---- header fields ------------------------------------------------------ */

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* '*' matches any string; case does not matter.  Linear backtracking (one
 * star remembered), so no pattern makes it exponential. */
static bool
name_match(const char *pat, const char *name, size_t len)
{
	size_t pi = 0, ni = 0, plen = strlen(pat), star = SIZE_MAX, mark = 0;

	while (ni < len) {
		if (pi < plen && pat[pi] == '*') {
			star = pi++;
			mark = ni;
		} else if (pi < plen && lc((unsigned char)pat[pi]) == lc((unsigned char)name[ni])) {
			pi++;
			ni++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			ni = ++mark;
		} else {
			return false;
		}
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

static bool
name_listed(const struct mk_dkim_signer *s, const char *name, size_t len)
{
	size_t i;

	if (s->sign_all)
		return true;
	for (i = 0; i < s->nnames; i++)
		if (name_match(s->names[i], name, len))
			return true;
	return false;
}

/* An RFC 5322 field name (printable ASCII but ':'), without ';' (it would
 * end the h= tag). */
static bool
name_valid(const char *name, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 33 || (unsigned char)name[i] > 126 ||
		    name[i] == ':' || name[i] == ';')
			return false;
	return true;
}

static int
field_keep(struct mk_dkim_signer *s, const char *f, size_t len, size_t namelen)
{
	struct field *nf;
	size_t cap;
	char *nh;

	if (s->nfields >= MK_DKIM_SIGN_FIELDS_MAX)
		return fail(s, "more than %d header fields to sign", MK_DKIM_SIGN_FIELDS_MAX);
	if (len > MK_DKIM_SIGN_HDR_BYTES_MAX - s->hdrlen)
		return fail(s, "more than %d bytes of header fields to sign",
		    MK_DKIM_SIGN_HDR_BYTES_MAX);
	if (s->nfields == s->fieldcap) {
		cap = s->fieldcap == 0 ? 16 : s->fieldcap * 2;
		if ((nf = realloc(s->field, cap * sizeof(*nf))) == NULL)
			return fail(s, "out of memory");
		s->field = nf;
		s->fieldcap = cap;
	}
	if (s->hdrlen + len > s->hdrcap) {
		cap = s->hdrcap == 0 ? 2048 : s->hdrcap;
		while (cap < s->hdrlen + len)
			cap *= 2;
		if ((nh = realloc(s->hdr, cap)) == NULL)
			return fail(s, "out of memory");
		s->hdr = nh;
		s->hdrcap = cap;
	}
	memcpy(s->hdr + s->hdrlen, f, len);
	s->field[s->nfields].off = s->hdrlen;
	s->field[s->nfields].len = len;
	s->field[s->nfields].namelen = namelen;
	s->field[s->nfields].used = false;
	s->nfields++;
	s->hdrlen += len;
	return 0;
}

int
mk_dkim_signer_header(struct mk_dkim_signer *s, const char *field, size_t len)
{
	const char *colon;
	size_t namelen;

	if (s->state != SIGNER_HEADERS)
		return s->state == SIGNER_FAILED ? -1 : fail(s, "header field after the body");
	if ((colon = memchr(field, ':', len)) == NULL)
		return fail(s, "header field without a colon");
	namelen = (size_t)(colon - field);
	while (namelen > 0 && is_wsp((unsigned char)field[namelen - 1]))
		namelen--;
	if (!name_valid(field, namelen) || !name_listed(s, field, namelen))
		return 0;
	if (namelen == 4 && strncasecmp(field, "from", 4) == 0)
		s->have_from = true;
	return field_keep(s, field, len, namelen);
}

static bool
field_same_name(const struct mk_dkim_signer *s, const struct field *f, const char *name,
    size_t len)
{
	return f->namelen == len && strncasecmp(s->hdr + f->off, name, len) == 0;
}

/* RFC 6376 5.4.2: for each name in h=, the bottom-most unused instance. */
static void
select_one(struct mk_dkim_signer *s, struct mk_dkim_emit *e, const char *name, size_t len)
{
	size_t j;

	for (j = s->nfields; j-- > 0;) {
		if (s->field[j].used || !field_same_name(s, &s->field[j], name, len))
			continue;
		s->field[j].used = true;
		mk_dkim_canon_field(e, s->hcanon == MK_DKIM_RELAXED, s->hdr + s->field[j].off,
		    s->field[j].len, s->field[j].namelen, true);
		return;
	}
}

static void
hash_fields(struct mk_dkim_signer *s, struct mk_dkim_emit *e)
{
	size_t i;

	for (i = 0; i < s->nfields; i++)
		select_one(s, e, s->hdr + s->field[i].off, s->field[i].namelen);
	for (i = 0; i < s->nover; i++)
		select_one(s, e, s->over[i], strlen(s->over[i]));
}

/* ---- the DKIM-Signature field -------------------------------------------- */

struct sigbuf {
	char *p;
	size_t len, cap;
	size_t col;		/* column of the next byte, "DKIM-Signature: " counted */
	bool oom;
};

static void
sb_put(struct sigbuf *b, const char *p, size_t n)
{
	size_t cap;
	char *np;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap == 0 ? 512 : b->cap;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	b->col += n;
}

static void
sb_fold(struct sigbuf *b)
{
	sb_put(b, "\r\n\t", 3);
	b->col = 1;
}

/* A unit that must not be split: on this line after sep if it fits (sep
 * counted), else on the next. */
static void
sb_unit(struct sigbuf *b, const char *sep, const char *p, size_t n)
{
	if (b->col + strlen(sep) + n > MK_DKIM_SIGN_LINE_MAX && b->col > 1)
		sb_fold(b);
	else
		sb_put(b, sep, strlen(sep));
	sb_put(b, p, n);
}

static void
sb_tag(struct sigbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_tag(struct sigbuf *b, const char *fmt, ...)
{
	char tmp[MK_DKIM_SIGN_IDENTITY_MAX + 16];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = true;
		return;
	}
	sb_unit(b, b->len == 0 ? "" : " ", tmp, (size_t)n);
}

/* h=: the kept fields' names in message order, then each oversign name. */
static void
sb_hlist(struct sigbuf *b, const struct mk_dkim_signer *s)
{
	size_t i, total = s->nfields + s->nover, k = 0, n;
	const char *name;

	for (i = 0; i < total; i++, k++) {
		if (i < s->nfields) {
			name = s->hdr + s->field[i].off;
			n = s->field[i].namelen;
		} else {
			name = s->over[i - s->nfields];
			n = strlen(name);
		}
		if (k == 0) {
			if (b->col + n + 4 > MK_DKIM_SIGN_LINE_MAX && b->col > 1)
				sb_fold(b);
			else
				sb_put(b, " ", 1);
			sb_put(b, "h=", 2);
			sb_put(b, name, n);
		} else {
			if (b->col + n + 2 > MK_DKIM_SIGN_LINE_MAX)
				sb_fold(b);
			sb_put(b, name, n);
		}
		sb_put(b, i + 1 == total ? ";" : ":", 1);
	}
}

/* Header value up to "b=" (the signed form). */
static void
sb_head(struct sigbuf *b, const struct mk_dkim_signer *s, const unsigned char *bh)
{
	char bh64[4 * ((SHA256_LEN + 2) / 3) + 1];

	(void)EVP_EncodeBlock((unsigned char *)bh64, bh, SHA256_LEN);
	b->col = sizeof(MK_DKIM_SIGN_HDR_NAME ": ") - 1;
	sb_tag(b, "v=1;");
	sb_tag(b, "a=%s;", mk_dkim_alg_name(s->alg));
	sb_tag(b, "c=%s/%s;", s->hcanon == MK_DKIM_RELAXED ? "relaxed" : "simple",
	    s->bcanon == MK_DKIM_RELAXED ? "relaxed" : "simple");
	sb_tag(b, "d=%s;", s->domain);
	sb_tag(b, "s=%s;", s->selector);
	sb_tag(b, "t=%lld;", s->t);
	if (s->x != 0)
		sb_tag(b, "x=%lld;", s->x);
	if (s->identity != NULL)
		sb_tag(b, "i=%s;", s->identity);
	sb_hlist(b, s);
	sb_tag(b, "bh=%s;", bh64);
	/* at least one byte of the signature on the line of "b=" */
	sb_unit(b, " ", "b=", 2);
	if (b->col >= MK_DKIM_SIGN_LINE_MAX) {
		b->len -= 2;
		b->col -= 2;
		sb_fold(b);
		sb_put(b, "b=", 2);
	}
}

static void
sb_sig(struct sigbuf *b, const char *b64, size_t n)
{
	size_t room;

	while (n > 0) {
		if (b->col >= MK_DKIM_SIGN_LINE_MAX)
			sb_fold(b);
		room = MK_DKIM_SIGN_LINE_MAX - b->col;
		if (room > n)
			room = n;
		sb_put(b, b64, room);
		b64 += room;
		n -= room;
	}
}

/* ---- signing ------------------------------------------------------------- */

/* RSASSA-PKCS1-v1_5 with SHA-256 over the digest (RFC 6376 3.3.1), or
 * PureEdDSA Ed25519 over the digest (RFC 8463 3). 0 / -1. */
static int
sign_digest(struct mk_dkim_signer *s, const unsigned char *dig, unsigned char *sig,
    size_t *siglen)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	int rc = -1;

	if (s->alg == MK_DKIM_RSA_SHA256) {
		if ((pc = EVP_PKEY_CTX_new_from_pkey(NULL, s->key, NULL)) != NULL &&
		    EVP_PKEY_sign_init(pc) > 0 &&
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) > 0 &&
		    EVP_PKEY_CTX_set_signature_md(pc, sha256()) > 0 &&
		    EVP_PKEY_sign(pc, sig, siglen, dig, SHA256_LEN) > 0)
			rc = 0;
	} else {
		if ((mc = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit_ex(mc, NULL, NULL, NULL, NULL, s->key, NULL) > 0 &&
		    EVP_DigestSign(mc, sig, siglen, dig, SHA256_LEN) > 0)
			rc = 0;
	}
	EVP_PKEY_CTX_free(pc);
	EVP_MD_CTX_free(mc);
	return rc;
}

/* Hash the selected fields and the signature field up to "b=". */
static int
header_digest(struct mk_dkim_signer *s, const struct sigbuf *b, unsigned char *dig)
{
	struct mk_dkim_emit *e;
	size_t pre = sizeof(MK_DKIM_SIGN_HDR_NAME ": ") - 1;
	char *sf;
	int rc = -1;

	if ((e = calloc(1, sizeof(*e))) == NULL || (sf = malloc(pre + b->len)) == NULL) {
		free(e);
		return -1;
	}
	memcpy(sf, MK_DKIM_SIGN_HDR_NAME ": ", pre);
	memcpy(sf + pre, b->p, b->len);
	if ((e->md = EVP_MD_CTX_new()) != NULL && EVP_DigestInit_ex(e->md, sha256(), NULL) == 1) {
		hash_fields(s, e);
		mk_dkim_canon_field(e, s->hcanon == MK_DKIM_RELAXED, sf, pre + b->len, pre - 2, false);
		rc = mk_dkim_emit_final(e, dig);
	}
	EVP_MD_CTX_free(e->md);
	free(e);
	free(sf);
	return rc;
}

/* Make "\r\n\t" folds "\n\t" in place. */
static void
lf_folds(char *p)
{
	char *o = p;

	for (; *p != '\0'; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			*o++ = *p;
	*o = '\0';
}

int
mk_dkim_signer_finish(struct mk_dkim_signer *s, char **value)
{
	unsigned char bh[SHA256_LEN], dig[SHA256_LEN], sig[SIG_MAX];
	char b64[4 * ((SIG_MAX + 2) / 3) + 1];
	struct sigbuf b = { 0 };
	size_t siglen = sizeof(sig);
	int n;

	*value = NULL;
	if (s->state == SIGNER_FAILED)
		return -1;
	if (s->state == SIGNER_DONE)
		return fail(s, "message already signed");
	if (!s->have_from)
		return fail(s, "no From header field (RFC 6376 5.4 requires it signed)");
	mk_dkim_body_close(&s->body);
	if (mk_dkim_emit_final(&s->body.out, bh) == -1)
		return fail(s, "body hash failed");
	s->state = SIGNER_DONE;
	sb_head(&b, s, bh);
	if (b.oom) {
		free(b.p);
		return fail(s, "out of memory");
	}
	if (header_digest(s, &b, dig) == -1) {
		free(b.p);
		return fail(s, "header hash failed");
	}
	if (sign_digest(s, dig, sig, &siglen) == -1) {
		free(b.p);
		return fail(s, "%s signature failed", mk_dkim_alg_name(s->alg));
	}
	n = EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	sb_sig(&b, b64, (size_t)n);
	explicit_bzero(sig, sizeof(sig));
	if (b.oom) {
		free(b.p);
		return fail(s, "out of memory");
	}
	if (s->lf_folds)
		lf_folds(b.p);
	*value = b.p;
	return 0;
}

/* ---- construction -------------------------------------------------------- */

/* d=, s=: letters, digits, '-', '_', '.' (A-labels). */
static bool
dns_name_valid(const char *s, size_t max)
{
	size_t i, n = s == NULL ? 0 : strlen(s);

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

/* i=: printable ASCII or well-formed UTF-8 (RFC 8616 section 5: a UTF-8
 * local part, U-labels in the domain, for internationalized mail), no ';',
 * with an '@'.  It is written as given, and so hashed. */
static bool
identity_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MK_DKIM_SIGN_IDENTITY_MAX || strchr(s, '@') == NULL ||
	    strchr(s, ';') != NULL)
		return false;
	return mk_utf8_printable(s, n, NULL);
}

static bool
listed_exact(char *const *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(list[i], name) == 0)
			return true;
	return false;
}

/* Append the names of src (checked) to *dst unless already there. */
static int
names_add(char ***dst, size_t *n, const char *const *src, const char *what, char *err,
    size_t errlen)
{
	char **nl;

	for (; src != NULL && *src != NULL; src++) {
		if (strlen(*src) > MK_DKIM_SIGN_NAME_MAX || !name_valid(*src, strlen(*src))) {
			snprintf(err, errlen, "%s: invalid header name \"%.64s\"", what, *src);
			return -1;
		}
		if (listed_exact(*dst, *n, *src))
			continue;
		if (*n >= MK_DKIM_SIGN_NAMES_MAX) {
			snprintf(err, errlen, "%s: more than %d names", what, MK_DKIM_SIGN_NAMES_MAX);
			return -1;
		}
		if ((nl = realloc(*dst, (*n + 1) * sizeof(*nl))) == NULL)
			goto oom;
		*dst = nl;
		if ((nl[*n] = strdup(*src)) == NULL)
			goto oom;
		(*n)++;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
mk_dkim_sign_check_names(const char *const *names, char *err, size_t errlen)
{
	char **list = NULL;
	size_t n = 0, i;
	int rc;

	rc = names_add(&list, &n, names, "header list", err, errlen);
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return rc;
}

static int
params_check(const struct mk_dkim_sign_params *p, char *err, size_t errlen)
{
	enum mk_dkim_alg alg;

	if (mk_dkim_alg_of_key(p->key, &alg) == -1) {
		snprintf(err, errlen, "the key is neither RSA nor Ed25519");
		return -1;
	}
	if (alg != p->alg) {
		snprintf(err, errlen, "a=%s but the key is for %s", mk_dkim_alg_name(p->alg),
		    mk_dkim_alg_name(alg));
		return -1;
	}
	if ((p->hcanon != MK_DKIM_SIMPLE && p->hcanon != MK_DKIM_RELAXED) ||
	    (p->bcanon != MK_DKIM_SIMPLE && p->bcanon != MK_DKIM_RELAXED)) {
		snprintf(err, errlen, "unknown canonicalization");
		return -1;
	}
	if (!dns_name_valid(p->domain, MK_DKIM_SIGN_DOMAIN_MAX) ||
	    !dns_name_valid(p->selector, MK_DKIM_SIGN_DOMAIN_MAX)) {
		snprintf(err, errlen, "invalid d= or s= (want a domain name in A-labels)");
		return -1;
	}
	if (p->identity != NULL && !identity_valid(p->identity)) {
		snprintf(err, errlen,
		    "invalid i= (want local@domain: printable ASCII or valid UTF-8, no ';')");
		return -1;
	}
	if (p->now < 0 || p->ttl < 0 || p->ttl > MK_DKIM_SIGN_TTL_MAX) {
		snprintf(err, errlen, "invalid time or TTL");
		return -1;
	}
	if (EVP_PKEY_get_size(p->key) > SIG_MAX || sha256() == NULL) {
		snprintf(err, errlen, "key too large or SHA-256 unavailable");
		return -1;
	}
	return 0;
}

struct mk_dkim_signer *
mk_dkim_signer_new(const struct mk_dkim_sign_params *p, char *err, size_t errlen)
{
	static const char *const from[] = { "From", NULL };
	struct mk_dkim_signer *s;

	if (params_check(p, err, errlen) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->alg = p->alg;
	s->hcanon = p->hcanon;
	s->bcanon = p->bcanon;
	s->body.relaxed = p->bcanon == MK_DKIM_RELAXED;
	s->sign_all = p->sign_all;
	s->lf_folds = p->lf_folds;
	s->t = (long long)p->now;
	s->x = p->ttl > 0 ? s->t + p->ttl : 0;
	if (names_add(&s->names, &s->nnames, from, "SignHeaders", err, errlen) == -1 ||
	    names_add(&s->names, &s->nnames, p->signhdrs != NULL ? p->signhdrs :
	    mk_dkim_default_signhdrs, "SignHeaders", err, errlen) == -1 ||
	    names_add(&s->over, &s->nover, p->oversign, "OversignHeaders", err, errlen) == -1 ||
	    names_add(&s->names, &s->nnames, p->oversign, "OversignHeaders", err, errlen) == -1)
		return mk_dkim_signer_free(s);
	if ((s->domain = strdup(p->domain)) == NULL || (s->selector = strdup(p->selector)) == NULL ||
	    (p->identity != NULL && (s->identity = strdup(p->identity)) == NULL) ||
	    (s->body.out.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->body.out.md, sha256(), NULL) != 1) {
		snprintf(err, errlen, "out of memory");
		return mk_dkim_signer_free(s);
	}
	if (EVP_PKEY_up_ref(p->key) != 1) {
		snprintf(err, errlen, "cannot reference the key");
		return mk_dkim_signer_free(s);
	}
	s->key = p->key;
	return s;
}

struct mk_dkim_signer *
mk_dkim_signer_free(struct mk_dkim_signer *s)
{
	size_t i;

	if (s == NULL)
		return NULL;
	EVP_PKEY_free(s->key);
	EVP_MD_CTX_free(s->body.out.md);
	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	for (i = 0; i < s->nover; i++)
		free(s->over[i]);
	free(s->names);
	free(s->over);
	free(s->domain);
	free(s->selector);
	free(s->identity);
	if (s->hdr != NULL) {
		explicit_bzero(s->hdr, s->hdrlen);
		free(s->hdr);
	}
	free(s->field);
	free(s);
	return NULL;
}
