/*
 * t/unit/test_dkim_eai.c: RFC 8616 (internationalized mail) in the native
 * DKIM code: lib/utf8.h, UTF-8 header fields through lib/dkim_canon byte
 * for byte, U-label d= / s= looked up as A-labels by lib/dkim_verify, and
 * a UTF-8 i= from lib/dkim_sign verified by lib/dkim_verify.
 * (t/integration/dkim-verify-native has dkimpy and Mail::DKIM judge the
 * same things.)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/dkim_canon.h"
#include "lib/dkim_sign.h"
#include "lib/dkim_verify.h"
#include "lib/utf8.h"
#include "tap.h"

/* ---- lib/utf8.h ------------------------------------------------------------ */

static const struct {
	const char *s;
	enum mk_utf8_err want;
} utf8_cases[] = {
	{ "plain", MK_UTF8_OK },
	{ "j\xc3\xb6rg", MK_UTF8_OK },				/* U+00F6 */
	{ "\xc2\xa0", MK_UTF8_OK },				/* U+00A0, first after C1 */
	{ "\xe0\xa0\x80", MK_UTF8_OK },				/* U+0800, shortest 3-octet */
	{ "\xed\x9f\xbf", MK_UTF8_OK },				/* U+D7FF */
	{ "\xee\x80\x80", MK_UTF8_OK },				/* U+E000 */
	{ "\xf0\x90\x80\x80", MK_UTF8_OK },			/* U+10000 */
	{ "\xf4\x8f\xbf\xbf", MK_UTF8_OK },			/* U+10FFFF */
	{ "\xf0\x9f\x98\x80", MK_UTF8_OK },			/* U+1F600 */
	{ "\xc0\xaf", MK_UTF8_OVERLONG },
	{ "\xc1\xbf", MK_UTF8_OVERLONG },
	{ "\xe0\x9f\xbf", MK_UTF8_OVERLONG },
	{ "\xf0\x8f\xbf\xbf", MK_UTF8_OVERLONG },
	{ "\xed\xa0\x80", MK_UTF8_SURROGATE },			/* U+D800 */
	{ "\xed\xbf\xbf", MK_UTF8_SURROGATE },			/* U+DFFF */
	{ "\xf4\x90\x80\x80", MK_UTF8_RANGE },			/* U+110000 */
	{ "\xf5\x80\x80\x80", MK_UTF8_BAD_LEAD },
	{ "\xff", MK_UTF8_BAD_LEAD },
	{ "\x80", MK_UTF8_BAD_LEAD },				/* stray continuation */
	{ "j\xf6rg", MK_UTF8_BAD_LEAD },			/* Latin-1 */
	{ "\xc3", MK_UTF8_TRUNCATED },
	{ "\xe2\x82", MK_UTF8_TRUNCATED },
	{ "\xf0\x9f\x98", MK_UTF8_TRUNCATED },
	{ "\xc2\x80", MK_UTF8_C1 },
	{ "\xc2\x9f", MK_UTF8_C1 },
	{ "a b", MK_UTF8_ASCII_CTRL },
	{ "a\x7f", MK_UTF8_ASCII_CTRL },
};

static void
test_utf8(void)
{
	enum mk_utf8_err e;
	size_t i;
	bool v;

	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		v = mk_utf8_printable(utf8_cases[i].s, strlen(utf8_cases[i].s), &e);
		ok(v == (utf8_cases[i].want == MK_UTF8_OK) && e == utf8_cases[i].want,
		    "utf8 case %zu: %s", i, mk_utf8_strerror(utf8_cases[i].want));
	}
	/* a sequence cut by the buffer end, not by a NUL */
	ok(!mk_utf8_printable("\xc3\xb6", 1, &e) && e == MK_UTF8_TRUNCATED,
	    "utf8: a sequence past the length is truncated");
}

/* ---- canonicalization of UTF-8 header fields ------------------------------- */

static void
sha(const void *p, size_t n, unsigned char *out)
{
	unsigned int len;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
		abort();
}

/* field canonicalized (relaxed or simple, with CRLF) hashes as want does */
static int
canon_is(const char *field, size_t namelen, bool relaxed, const char *want)
{
	struct mk_dkim_emit *e = calloc(1, sizeof(*e));
	unsigned char got[MK_DKIM_SHA256_LEN], exp[MK_DKIM_SHA256_LEN];
	int rc;

	if (e == NULL || (e->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(e->md, EVP_sha256(), NULL) != 1)
		abort();
	mk_dkim_canon_field(e, relaxed, field, strlen(field), namelen, true);
	rc = mk_dkim_emit_final(e, got);
	sha(want, strlen(want), exp);
	EVP_MD_CTX_free(e->md);
	free(e);
	return rc == 0 && memcmp(got, exp, sizeof(got)) == 0;
}

static void
test_canon(void)
{
	/* No-break space (C2 A0), an em dash, CJK, a C1 NEL (C2 85) and a
	 * lone Latin-1 A0: none of their octets is white space to RFC 6376
	 * 3.4.2 (only SP / HTAB / CRLF are), so they pass through. */
	static const char subj[] = "Subject: Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln\xc2\xa0"
	    "\xe2\x80\x94  \xe6\x97\xa5\xe6\x9c\xac \r\n\t\xe2\x80\xa6\t\xc2\x85" "end\xa0 \t";
	static const char from[] = "FROM:\t J\xc3\x96RG <j\xc3\xb6rg@b\xc3\xbc" "cher.example>  ";

	ok(canon_is(subj, 7, true, "subject:Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln\xc2\xa0"
	    "\xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac \xe2\x80\xa6 \xc2\x85" "end\xa0\r\n"),
	    "relaxed: UTF-8 Subject kept octet for octet, only SP/HTAB runs and folds change");
	ok(canon_is(subj, 7, false, "Subject: Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln\xc2\xa0"
	    "\xe2\x80\x94  \xe6\x97\xa5\xe6\x9c\xac \r\n\t\xe2\x80\xa6\t\xc2\x85" "end\xa0 \t\r\n"),
	    "simple: UTF-8 Subject exactly as received");
	ok(canon_is(from, 4, true, "from:J\xc3\x96RG <j\xc3\xb6rg@b\xc3\xbc" "cher.example>\r\n"),
	    "relaxed: only the (ASCII) field name is lowercased, not \"\xc3\x96\" or the value");
	ok(!canon_is(from, 4, true, "from:J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.example>\r\n"),
	    "relaxed: \"\xc3\x96\" does not become \"\xc3\xb6\" (control: the check can fail)");
	ok(canon_is(from, 4, false, "FROM:\t J\xc3\x96RG <j\xc3\xb6rg@b\xc3\xbc"
	    "cher.example>  \r\n"), "simple: UTF-8 From exactly as received");
}

/* ---- verifier: U-labels looked up as A-labels ------------------------------ */

struct asked {
	char domain[256], selector[256];
	int n;
	const char *txt;	/* record to return, NULL: none */
};

static enum mk_dkim_key_status
lookup(void *arg, const char *domain, const char *selector, char *txt, size_t txtsz,
    char *why, size_t whylen)
{
	struct asked *a = arg;

	(void)why;
	(void)whylen;
	snprintf(a->domain, sizeof(a->domain), "%s", domain);
	snprintf(a->selector, sizeof(a->selector), "%s", selector);
	a->n++;
	if (a->txt == NULL || strlen(a->txt) >= txtsz)
		return MK_DKIM_KEY_NONE;
	strcpy(txt, a->txt);
	return MK_DKIM_KEY_OK;
}

/* A well-formed signature (bh= of the body "x" CRLF, b= of 128 octets)
 * that cannot verify. */
#define SIG_TAIL "; h=from; bh=s14J+iztnrytnRYzb7lhFG/jS/vrxWJnnahfijFMnco=; b=" \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static void
test_ulabels(void)
{
	static const char sig[] = "DKIM-Signature: v=1; a=rsa-sha256; d=B\xc3\xbc" "cher.example; "
	    "s=schl\xc3\xbcssel; i=j\xc3\xb6rg@post.xn--bcher-kva.example" SIG_TAIL;
	static const char from[] = "From: j\xc3\xb6rg@b\xc3\xbc" "cher.example";
	struct asked a = { .n = 0 };
	struct mk_dkim_verify_params p = { .lookup = lookup, .lookup_arg = &a };
	struct mk_dkim_verifier *v = mk_dkim_verifier_new(&p);
	const struct mk_dkim_vresult *r;
	char name[600];

	ok(v != NULL, "verifier");
	if (v == NULL)
		return;
	mk_dkim_verifier_header(v, sig, strlen(sig));
	mk_dkim_verifier_header(v, from, strlen(from));
	is_int(mk_dkim_verifier_eoh(v), 1, "one signature");
	ok(mk_dkim_verifier_key_name(v, 0, name, sizeof(name)), "it needs a key");
	is_str(name, "xn--schlssel-95a._domainkey.xn--bcher-kva.example",
	    "key name in A-labels (RFC 8616 3), U+00DC mapped to lower case");
	mk_dkim_verifier_body(v, (const unsigned char *)"x\r\n", 3);
	is_int(mk_dkim_verifier_eom(v, &r), 1, "one result");
	is_int(a.n, 1, "one lookup");
	is_str(a.domain, "xn--bcher-kva.example", "lookup domain: A-labels");
	is_str(a.selector, "xn--schlssel-95a", "lookup selector: A-labels");
	is_str(r[0].d, "B\xc3\xbc" "cher.example", "result d= as written");
	is_str(r[0].d_alabel, "xn--bcher-kva.example", "result d_alabel");
	is_str(r[0].i, "j\xc3\xb6rg@post.xn--bcher-kva.example",
	    "i= in A-labels is within a U-label d=");
	is_int(r[0].res, MK_DKIM_V_NOKEY, "no key published: nokey (%s)", r[0].reason);
	mk_dkim_verifier_free(v);
}

/* ---- signer: UTF-8 i= ------------------------------------------------------ */

static const char *const msg_fields[] = {
	"From: J\xc3\xb6rg <j\xc3\xb6rg@a.example>",
	"To: \xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example",
	"Subject: Gr\xc3\xbc\xc3\x9f" "e\r\n\t\xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac",
};

/* Sign the message with identity; its DKIM-Signature value (malloc'ed), or
 * NULL with err. */
static char *
sign(EVP_PKEY *key, const char *identity, char *err, size_t errlen)
{
	struct mk_dkim_sign_params sp = { .key = key, .alg = MK_DKIM_ED25519_SHA256,
	    .hcanon = MK_DKIM_RELAXED, .bcanon = MK_DKIM_SIMPLE, .domain = "a.example",
	    .selector = "eai", .identity = identity, .now = 1700000000 };
	struct mk_dkim_signer *s = mk_dkim_signer_new(&sp, err, errlen);
	char *value = NULL;
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < sizeof(msg_fields) / sizeof(msg_fields[0]); i++)
		mk_dkim_signer_header(s, msg_fields[i], strlen(msg_fields[i]));
	mk_dkim_signer_body(s, (const unsigned char *)"Hallo.\r\n", 8);
	if (mk_dkim_signer_finish(s, &value) == -1)
		snprintf(err, errlen, "%s", mk_dkim_signer_error(s));
	mk_dkim_signer_free(s);
	return value;
}

/* Verify value over the message, subject replaced by subj if not NULL. */
static enum mk_dkim_vres
verify(const char *value, const char *keyrec, const char *subj, char *i, size_t isz)
{
	struct asked a = { .txt = keyrec };
	struct mk_dkim_verify_params p = { .lookup = lookup, .lookup_arg = &a, .now = 1700000001 };
	struct mk_dkim_verifier *v = mk_dkim_verifier_new(&p);
	const struct mk_dkim_vresult *r;
	enum mk_dkim_vres res = MK_DKIM_V_NONE;
	char *field = malloc(strlen(value) + 32);
	size_t k;

	if (v == NULL || field == NULL)
		abort();
	snprintf(field, strlen(value) + 32, "DKIM-Signature: %s", value);
	mk_dkim_verifier_header(v, field, strlen(field));
	for (k = 0; k < 3; k++) {
		const char *f = k == 2 && subj != NULL ? subj : msg_fields[k];
		mk_dkim_verifier_header(v, f, strlen(f));
	}
	if (mk_dkim_verifier_eoh(v) == 1) {
		mk_dkim_verifier_body(v, (const unsigned char *)"Hallo.\r\n", 8);
		if (mk_dkim_verifier_eom(v, &r) == 1) {
			res = r[0].res;
			snprintf(i, isz, "%s", r[0].i);
		}
	}
	mk_dkim_verifier_free(v);
	free(field);
	return res;
}

static void
test_sign_roundtrip(void)
{
	static const char *const bad[] = { "j\xc0\xb6rg@a.example", "j\xc3@a.example",
	    "j\xc2\x85rg@a.example", "j\xed\xa0\x80@a.example", "j\xf6rg@a.example" };
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char raw[32];
	char rec[128], b64[64], err[256] = "", i[256] = "", *value;
	size_t rawlen = sizeof(raw), k;

	if (key == NULL || EVP_PKEY_get_raw_public_key(key, raw, &rawlen) != 1)
		abort();
	EVP_EncodeBlock((unsigned char *)b64, raw, (int)rawlen);
	snprintf(rec, sizeof(rec), "v=DKIM1; k=ed25519; p=%s", b64);

	value = sign(key, "j\xc3\xb6rg@a.example", err, sizeof(err));
	ok(value != NULL, "signer takes i= with a UTF-8 local part (%s)", err);
	ok(value != NULL && strstr(value, "i=j\xc3\xb6rg@a.example;") != NULL,
	    "... and writes it as is");
	if (value != NULL) {
		is_int(verify(value, rec, NULL, i, sizeof(i)), MK_DKIM_V_PASS,
		    "lib/dkim_verify passes it");
		is_str(i, "j\xc3\xb6rg@a.example", "result i= as written");
		is_int(verify(value, rec, "Subject: Gr\xc3\xbc" "sse\r\n\t\xe2\x80\x94 \xe6\x97\xa5"
		    "\xe6\x9c\xac", i, sizeof(i)), MK_DKIM_V_FAIL,
		    "a changed UTF-8 Subject fails it");
		is_int(verify(value, rec, "Subject:  Gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x94\t"
		    "\xe6\x97\xa5\xe6\x9c\xac ", i, sizeof(i)), MK_DKIM_V_PASS,
		    "relaxed: the same Subject refolded still passes");
	}
	free(value);
	value = sign(key, "\xe6\x97\xa5\xe6\x9c\xac@p\xc3\xb6st.a.example", err, sizeof(err));
	ok(value != NULL && verify(value, rec, NULL, i, sizeof(i)) == MK_DKIM_V_PASS,
	    "i= with a CJK local part and a U-label subdomain: signed and passes");
	free(value);
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		err[0] = '\0';
		value = sign(key, bad[k], err, sizeof(err));
		ok(value == NULL && strstr(err, "invalid i=") != NULL,
		    "signer refuses malformed UTF-8 i= #%zu (%s)", k, err);
		free(value);
	}
	EVP_PKEY_free(key);
}

int
main(void)
{
	test_utf8();
	test_canon();
	test_ulabels();
	test_sign_roundtrip();
	mk_dkim_verify_cache_clear();
	return done_testing();
}
