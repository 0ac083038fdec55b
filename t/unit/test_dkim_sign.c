/*
 * t/unit/test_dkim_sign.c: lib/dkim_sign -- body and header
 * canonicalization (RFC 6376 3.4), header selection (5.4.2), oversigning,
 * the signature field's folding, errors and limits.  Every signature is
 * checked here by an independent verifier (EVP_DigestVerify over data this
 * test canonicalizes by its own, simpler code); the differential test
 * against libopendkim, dkimpy and Mail::DKIM is t/integration/dkim-sign-native.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "lib/dkim_sign.h"
#include "tap.h"

static EVP_PKEY *rsa_key, *ed_key;

/* ---- an independent reference ------------------------------------------ */

static void
b64_sha256(const char *data, size_t len, char *out)
{
	unsigned char dig[32];
	unsigned int dl;

	EVP_Digest(data, len, dig, &dl, EVP_sha256(), NULL);
	EVP_EncodeBlock((unsigned char *)out, dig, 32);
}

/* The value of tag name, the field unfolded and without white space. */
static int
tag(const char *value, const char *name, char *out, size_t outsz)
{
	char *flat = malloc(strlen(value) + 2), *p, *q, *save = NULL;
	size_t o = 0, nl = strlen(name);
	int rc = -1;

	for (p = (char *)value; *p != '\0'; p++)
		if (*p != '\r' && *p != '\n' && *p != '\t' && *p != ' ')
			flat[o++] = *p;
	flat[o] = '\0';
	for (q = strtok_r(flat, ";", &save); q != NULL; q = strtok_r(NULL, ";", &save)) {
		if (strncmp(q, name, nl) == 0 && q[nl] == '=' && strlen(q + nl + 1) < outsz) {
			strcpy(out, q + nl + 1);
			rc = 0;
			break;
		}
	}
	free(flat);
	return rc;
}

/* RFC 6376 3.4.2, written differently from the module: unfold, squeeze, trim. */
static void
relaxed_ref(const char *name, const char *value, char *out)
{
	char tmp[8192];
	size_t i, o = 0, t = 0;

	for (i = 0; name[i] != '\0'; i++)
		out[o++] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	out[o++] = ':';
	for (i = 0; value[i] != '\0'; i++) {
		if (value[i] == '\r' && value[i + 1] == '\n') {
			i++;
			continue;
		}
		tmp[t++] = value[i] == '\t' ? ' ' : value[i];
	}
	tmp[t] = '\0';
	for (i = 0; tmp[i] == ' '; i++)
		;
	for (; tmp[i] != '\0'; i++) {
		if (tmp[i] == ' ' && (tmp[i + 1] == ' ' || tmp[i + 1] == '\0'))
			continue;
		out[o++] = tmp[i];
	}
	out[o] = '\0';
}

/* Verify value's b= over canon_hdrs (the selected fields, canonicalized by
 * the caller) + the signature field with b= empty. 1 = valid. */
static int
ref_verify(EVP_PKEY *key, enum mk_dkim_canon hc, const char *canon_hdrs, const char *value)
{
	char *data, b64[2048], *p, *cut;
	unsigned char sig[1024], dig[32];
	unsigned int dl;
	size_t len, sl;
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	int good;

	if (tag(value, "b", b64, sizeof(b64)) == -1)
		return 0;
	sl = (size_t)EVP_DecodeBlock(sig, (unsigned char *)b64, (int)strlen(b64));
	for (p = b64 + strlen(b64); p > b64 && p[-1] == '='; p--)
		sl--;
	data = malloc(strlen(canon_hdrs) + 2 * strlen(value) + 64);
	strcpy(data, canon_hdrs);
	cut = strdup(value);
	p = strstr(cut, " b=") ? strstr(cut, " b=") + 3 : strstr(cut, "\tb=") + 3;
	*p = '\0';
	if (hc == MK_DKIM_SIMPLE) {
		strcat(data, "DKIM-Signature: ");
		strcat(data, cut);
	} else {
		relaxed_ref("DKIM-Signature", cut, data + strlen(data));
	}
	len = strlen(data);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		good = EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL, key) == 1 &&
		    EVP_DigestVerify(mc, sig, sl, (unsigned char *)data, len) == 1;
	} else {
		EVP_Digest(data, len, dig, &dl, EVP_sha256(), NULL);
		good = EVP_DigestVerifyInit(mc, NULL, NULL, NULL, key) == 1 &&
		    EVP_DigestVerify(mc, sig, sl, dig, 32) == 1;
	}
	EVP_MD_CTX_free(mc);
	free(cut);
	free(data);
	return good;
}

/* ---- helpers -------------------------------------------------------------- */

static struct mk_dkim_sign_params
params(EVP_PKEY *key, enum mk_dkim_canon hc, enum mk_dkim_canon bc)
{
	struct mk_dkim_sign_params p = { 0 };

	p.key = key;
	p.alg = key == ed_key ? MK_DKIM_ED25519_SHA256 : MK_DKIM_RSA_SHA256;
	p.hcanon = hc;
	p.bcanon = bc;
	p.domain = "example.com";
	p.selector = "sel";
	p.now = 1700000000;
	return p;
}

/* Sign hdrs (NULL-terminated fields) + body fed in chunks of chunk bytes
 * (0: whole).  The value (malloc'ed) or NULL. */
static char *
sign(const struct mk_dkim_sign_params *p, const char *const *hdrs, const char *body,
    size_t blen, size_t chunk)
{
	struct mk_dkim_signer *s;
	char err[256], *v = NULL;
	size_t o, n;

	if ((s = mk_dkim_signer_new(p, err, sizeof(err))) == NULL) {
		diag("new: %s", err);
		return NULL;
	}
	for (; *hdrs != NULL; hdrs++)
		if (mk_dkim_signer_header(s, *hdrs, strlen(*hdrs)) == -1)
			goto out;
	for (o = 0; o < blen; o += n) {
		n = chunk == 0 || blen - o < chunk ? blen - o : chunk;
		if (mk_dkim_signer_body(s, (const unsigned char *)body + o, n) == -1)
			goto out;
	}
	if (mk_dkim_signer_finish(s, &v) == -1)
		diag("finish: %s", mk_dkim_signer_error(s));
out:
	mk_dkim_signer_free(s);
	return v;
}

/* ---- RFC 6376 3.4.5 ------------------------------------------------------- */

static void
test_rfc_example(void)
{
	static const char *const hdrs[] = { "A: X", "B : Y\t\r\n\tZ  ", "From: a@example.com",
		NULL };
	static const char *const list[] = { "A", "B", NULL };
	static const char body[] = " C \r\nD \t E\r\n\r\n\r\n";
	struct mk_dkim_sign_params p;
	char bh[64], want[64], h[256], *v;
	int k;

	for (k = 0; k < 2; k++) {
		p = params(k == 0 ? rsa_key : ed_key, MK_DKIM_RELAXED, MK_DKIM_RELAXED);
		p.signhdrs = list;
		v = sign(&p, hdrs, body, sizeof(body) - 1, 0);
		ok(v != NULL, "RFC 3.4.5 relaxed/relaxed signs (%s)", k ? "ed25519" : "rsa");
		if (v == NULL)
			continue;
		tag(v, "bh", bh, sizeof(bh));
		b64_sha256(" C\r\nD E\r\n", 9, want);
		is_str(bh, want, "relaxed body: \" C\\r\\nD E\\r\\n\"");
		tag(v, "h", h, sizeof(h));
		is_str(h, "A:B:From", "h= in message order (From always signed)");
		ok(ref_verify(p.key, MK_DKIM_RELAXED, "a:X\r\nb:Y Z\r\nfrom:a@example.com\r\n", v),
		    "relaxed headers \"a:X\", \"b:Y Z\": signature verifies");
		free(v);

		p.hcanon = p.bcanon = MK_DKIM_SIMPLE;
		v = sign(&p, hdrs, body, sizeof(body) - 1, 1);
		tag(v, "bh", bh, sizeof(bh));
		b64_sha256(" C \r\nD \t E\r\n", 12, want);
		is_str(bh, want, "simple body: trailing empty lines only removed");
		ok(ref_verify(p.key, MK_DKIM_SIMPLE,
		    "A: X\r\nB : Y\t\r\n\tZ  \r\nFrom: a@example.com\r\n", v),
		    "simple headers unchanged: signature verifies");
		free(v);
	}
}

/* ---- body canonicalization ------------------------------------------------ */

struct body_case {
	const char *name;
	const char *body;
	const char *simple, *relaxed;	/* canonical forms */
};

static const struct body_case body_cases[] = {
	{ "empty body", "", "\r\n", "" },
	{ "CRLF only", "\r\n", "\r\n", "" },
	{ "empty lines only", "\r\n\r\n\r\n", "\r\n", "" },
	{ "no final CRLF", "abc", "abc\r\n", "abc\r\n" },
	{ "no final CRLF, trailing WSP", "abc \t", "abc \t\r\n", "abc\r\n" },
	{ "WSP squeezed, trailing WSP dropped", "a  \t b \t\r\n", "a  \t b \t\r\n", "a b\r\n" },
	{ "leading WSP kept as one SP", "  x\r\n\ty\r\n", "  x\r\n\ty\r\n", " x\r\n y\r\n" },
	{ "WSP-only lines at the end", "a\r\n \t\r\n\t \r\n", "a\r\n \t\r\n\t \r\n", "a\r\n" },
	{ "WSP-only line inside", "a\r\n \r\nb\r\n", "a\r\n \r\nb\r\n", "a\r\n\r\nb\r\n" },
	{ "empty lines inside kept", "a\r\n\r\n\r\nb\r\n\r\n", "a\r\n\r\n\r\nb\r\n",
	  "a\r\n\r\n\r\nb\r\n" },
	{ "bare CR inside a line", "a\rb\r\n", "a\rb\r\n", "a\rb\r\n" },
	{ "WSP then bare CR", "a \r\r\n", "a \r\r\n", "a \r\r\n" },
	{ "bare CR at the end", "a\r", "a\r\r\n", "a\r\r\n" },
	{ "bare CR alone on a line", "x\r\n\r\r\n", "x\r\n\r\r\n", "x\r\n\r\r\n" },
	{ "bare LF is content", "a\nb\r\n", "a\nb\r\n", "a\nb\r\n" },
	{ "8-bit bytes", "caf\xc3\xa9 \xff\r\n", "caf\xc3\xa9 \xff\r\n", "caf\xc3\xa9 \xff\r\n" },
	{ "CRCRLF", "a\r\r\n\r\n", "a\r\r\n", "a\r\r\n" },
};

static void
test_body(void)
{
	static const char *const hdrs[] = { "From: a@example.com", NULL };
	static const size_t chunks[] = { 0, 1, 2, 3, 5 };
	const struct body_case *c;
	struct mk_dkim_sign_params p;
	char bh[64], want[64], *v;
	size_t i, k, bad;
	int bc;

	for (i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++) {
		c = &body_cases[i];
		for (bc = 0; bc < 2; bc++) {
			p = params(rsa_key, MK_DKIM_SIMPLE, bc ? MK_DKIM_RELAXED : MK_DKIM_SIMPLE);
			b64_sha256(bc ? c->relaxed : c->simple, strlen(bc ? c->relaxed : c->simple),
			    want);
			bad = 0;
			for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
				v = sign(&p, hdrs, c->body, strlen(c->body), chunks[k]);
				if (v == NULL || tag(v, "bh", bh, sizeof(bh)) == -1 ||
				    strcmp(bh, want) != 0) {
					diag("chunk %zu: got bh=%s, want %s", chunks[k], v ? bh : "-",
					    want);
					bad++;
				}
				free(v);
			}
			is_int(bad, 0, "%s body: %s (any chunking)", bc ? "relaxed" : "simple",
			    c->name);
		}
	}
}

/* A 50 MB body (then 20 MB of trailing empty lines) streams in 64 KB
 * chunks: memory must not follow the body. */
static void
test_body_streamed(void)
{
	static const char *const hdrs[] = { "From: a@example.com", NULL };
	struct mk_dkim_sign_params p = params(ed_key, MK_DKIM_RELAXED, MK_DKIM_RELAXED);
	struct mk_dkim_signer *s;
	struct rusage ru0, ru1;
	unsigned char *chunk = malloc(65536), *blank = malloc(65536);
	EVP_MD_CTX *ref = EVP_MD_CTX_new();
	unsigned char dig[32];
	char err[128], bh[64], want[64], *v = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < 65536; i++) {
		chunk[i] = (unsigned char)(i % 64 == 62 ? '\r' : i % 64 == 63 ? '\n' : 'a' + i % 26);
		blank[i] = (unsigned char)(i % 2 ? '\n' : '\r');
	}
	EVP_DigestInit_ex(ref, EVP_sha256(), NULL);
	getrusage(RUSAGE_SELF, &ru0);
	s = mk_dkim_signer_new(&p, err, sizeof(err));
	rc |= mk_dkim_signer_header(s, hdrs[0], strlen(hdrs[0]));
	for (i = 0; i < 50 * 16; i++) {
		rc |= mk_dkim_signer_body(s, chunk, 65536);
		EVP_DigestUpdate(ref, chunk, 65536);
	}
	for (i = 0; i < 20 * 16; i++)
		rc |= mk_dkim_signer_body(s, blank, 65536);
	rc |= mk_dkim_signer_finish(s, &v);
	getrusage(RUSAGE_SELF, &ru1);
	is_int(rc, 0, "50 MB body + 20 MB of trailing empty lines signed");
	EVP_DigestFinal_ex(ref, dig, NULL);
	EVP_EncodeBlock((unsigned char *)want, dig, 32);
	tag(v, "bh", bh, sizeof(bh));
	is_str(bh, want, "trailing empty lines dropped, the rest hashed as is");
	ok(ru1.ru_maxrss - ru0.ru_maxrss < 16 * 1024, "memory grew by %ld KB (< 16 MB)",
	    ru1.ru_maxrss - ru0.ru_maxrss);
	free(v);
	mk_dkim_signer_free(s);
	EVP_MD_CTX_free(ref);
	free(chunk);
	free(blank);
}

/* ---- header selection ----------------------------------------------------- */

static void
test_selection(void)
{
	static const char *const hdrs[] = {
		"Received: from x", "From: a@example.com", "To: first@example.net",
		"Subject: hi", "X-Foo: 1", "to: second@example.net", "X-Bar :  2 ", NULL };
	static const char *const list[] = { "to", "subject", "cc", "x-b*", NULL };
	static const char *const over[] = { "From", "Reply-To", NULL };
	struct mk_dkim_sign_params p = params(rsa_key, MK_DKIM_SIMPLE, MK_DKIM_SIMPLE);
	char h[512], *v;

	p.signhdrs = list;
	v = sign(&p, hdrs, "", 0, 0);
	tag(v, "h", h, sizeof(h));
	is_str(h, "From:To:Subject:to:X-Bar", "h=: listed fields in message order, case kept, "
	    "missing Cc absent, wildcard x-b*");
	ok(ref_verify(rsa_key, MK_DKIM_SIMPLE, "From: a@example.com\r\nto: second@example.net\r\n"
	    "Subject: hi\r\nTo: first@example.net\r\nX-Bar :  2 \r\n", v),
	    "instances hashed bottom-up: the second To first, then the first");
	free(v);

	p.hcanon = MK_DKIM_RELAXED;
	p.oversign = over;
	v = sign(&p, hdrs, "", 0, 0);
	tag(v, "h", h, sizeof(h));
	is_str(h, "From:To:Subject:to:X-Bar:From:Reply-To",
	    "oversign: each name once more, present or not");
	ok(ref_verify(rsa_key, MK_DKIM_RELAXED, "from:a@example.com\r\nto:second@example.net\r\n"
	    "subject:hi\r\nto:first@example.net\r\nx-bar:2\r\n", v),
	    "relaxed; the extra names select nothing");
	free(v);

	p.signhdrs = NULL;
	p.oversign = NULL;
	v = sign(&p, hdrs, "", 0, 0);
	tag(v, "h", h, sizeof(h));
	is_str(h, "From:To:Subject:to", "default list (OpenDKIM's): no Received, no X-");
	free(v);

	p.sign_all = true;
	v = sign(&p, hdrs, "", 0, 0);
	tag(v, "h", h, sizeof(h));
	is_str(h, "Received:From:To:Subject:X-Foo:to:X-Bar", "sign_all: every field");
	free(v);
}

static void
test_odd_fields(void)
{
	static const char *const hdrs[] = { "From: a@example.com", "Bad Name: x", "\x80x: y",
		"Sub;ject: z", "X-Empty:", "X-Fold: a\r\n\tb\r\n  c", NULL };
	static const char *const list[] = { "*", NULL };
	struct mk_dkim_sign_params p = params(ed_key, MK_DKIM_RELAXED, MK_DKIM_SIMPLE);
	char h[512], *v;

	p.signhdrs = list;
	v = sign(&p, hdrs, "x\r\n", 3, 0);
	tag(v, "h", h, sizeof(h));
	is_str(h, "From:X-Empty:X-Fold", "names that are not RFC 5322 names (or hold ';') "
	    "are not signed");
	ok(ref_verify(ed_key, MK_DKIM_RELAXED, "from:a@example.com\r\nx-empty:\r\n"
	    "x-fold:a b c\r\n", v), "empty value, folded value unfolded (Ed25519 over the hash)");
	free(v);
}

/* ---- the signature field -------------------------------------------------- */

static int
lines_ok(const char *v, const char *eol, size_t first)
{
	size_t col = first, el = strlen(eol);

	for (; *v != '\0'; v++) {
		if (strncmp(v, eol, el) == 0) {
			if (v[el] != '\t')
				return 0;
			v += el - 1;
			col = 0;
			continue;
		}
		if (*v == '\r' || *v == '\n' || ++col > MK_DKIM_SIGN_LINE_MAX)
			return 0;
	}
	return 1;
}

static void
test_field(void)
{
	static const char *const over[] = { "From", "To", "Cc", "Subject", "Date", "Reply-To",
		"Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", NULL };
	static const char *const hdrs[] = { "From: a@example.com", "To: b@example.net",
		"Subject: s", "Date: Tue, 1 Jan 2030 00:00:00 +0000", NULL };
	struct mk_dkim_sign_params p = params(rsa_key, MK_DKIM_SIMPLE, MK_DKIM_SIMPLE);
	char x[64], t[64], a[64], c[64], i[128], *v;
	int k;

	p.oversign = over;
	p.ttl = 86400;
	p.identity = "@mail.example.com";
	for (k = 0; k < 4; k++) {
		p.key = k % 2 ? ed_key : rsa_key;
		p.alg = k % 2 ? MK_DKIM_ED25519_SHA256 : MK_DKIM_RSA_SHA256;
		p.lf_folds = k >= 2;
		v = sign(&p, hdrs, "body\r\n", 6, 0);
		ok(v != NULL && lines_ok(v, k >= 2 ? "\n" : "\r\n", 16),
		    "%s, %s folds: lines <= 78 columns", k % 2 ? "ed25519" : "rsa",
		    k >= 2 ? "LF+TAB" : "CRLF+TAB");
		if (k < 2)
			ok(ref_verify(p.key, MK_DKIM_SIMPLE, "From: a@example.com\r\n"
			    "To: b@example.net\r\nSubject: s\r\nDate: Tue, 1 Jan 2030 00:00:00 +0000\r\n",
			    v), "simple: the folded field as inserted is the field signed");
		tag(v, "a", a, sizeof(a));
		is_str(a, k % 2 ? "ed25519-sha256" : "rsa-sha256", "a=");
		free(v);
	}
	v = sign(&p, hdrs, "", 0, 0);
	tag(v, "t", t, sizeof(t));
	tag(v, "x", x, sizeof(x));
	tag(v, "c", c, sizeof(c));
	tag(v, "i", i, sizeof(i));
	is_str(t, "1700000000", "t= the given time");
	is_str(x, "1700086400", "x= t + TTL");
	is_str(c, "simple/simple", "c=");
	is_str(i, "@mail.example.com", "i= when asked");
	ok(strstr(v, "l=") == NULL || strstr(v, " l=") == NULL, "no l=");
	ok(strncmp(v, "v=1; a=", 7) == 0, "starts \"v=1; a=\"");
	free(v);
	p.ttl = 0;
	p.identity = NULL;
	v = sign(&p, hdrs, "", 0, 0);
	ok(tag(v, "x", x, sizeof(x)) == -1 && tag(v, "i", i, sizeof(i)) == -1,
	    "no x= without TTL, no i= unless asked");
	free(v);
}

/* ---- concurrency ------------------------------------------------------------ */

#define THREADS 4
#define PER_THREAD 25

/* Signers in several threads share the two keys; every signature verifies. */
static void *
sign_loop(void *arg)
{
	static const char *const hdrs[] = { "From: a@example.com", "Subject: threads", NULL };
	struct mk_dkim_sign_params p;
	size_t i, bad = 0, id = (size_t)(uintptr_t)arg;
	char *v;

	for (i = 0; i < PER_THREAD; i++) {
		p = params((i + id) % 2 ? ed_key : rsa_key, MK_DKIM_RELAXED, MK_DKIM_RELAXED);
		v = sign(&p, hdrs, "x\r\n", 3, 1);
		if (v == NULL || !ref_verify(p.key, MK_DKIM_RELAXED,
		    "from:a@example.com\r\nsubject:threads\r\n", v))
			bad++;
		free(v);
	}
	return (void *)(uintptr_t)bad;
}

static void
test_threads(void)
{
	pthread_t t[THREADS];
	size_t i, bad = 0;
	void *r;

	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, sign_loop, (void *)(uintptr_t)i);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &r);
		bad += (size_t)(uintptr_t)r;
	}
	is_int(bad, 0, "%d threads x %d signatures sharing the keys: all verify", THREADS,
	    PER_THREAD);
}

/* ---- errors and limits ---------------------------------------------------- */

static void
test_errors(void)
{
	static const char *const badlist[] = { "Sub ject", NULL };
	struct mk_dkim_sign_params p = params(rsa_key, MK_DKIM_SIMPLE, MK_DKIM_SIMPLE);
	struct mk_dkim_signer *s;
	char err[256], *v = (char *)"x", f[64];
	int i, rc = 0;

	p.alg = MK_DKIM_ED25519_SHA256;
	ok(mk_dkim_signer_new(&p, err, sizeof(err)) == NULL && strstr(err, "key") != NULL,
	    "a= not matching the key: %s", err);
	p = params(rsa_key, MK_DKIM_SIMPLE, MK_DKIM_SIMPLE);
	p.domain = "exa mple.com";
	ok(mk_dkim_signer_new(&p, err, sizeof(err)) == NULL, "bad d=: %s", err);
	p = params(rsa_key, MK_DKIM_SIMPLE, MK_DKIM_SIMPLE);
	p.selector = "s;x";
	ok(mk_dkim_signer_new(&p, err, sizeof(err)) == NULL, "bad s=: %s", err);
	p = params(rsa_key, MK_DKIM_SIMPLE, MK_DKIM_SIMPLE);
	p.signhdrs = badlist;
	ok(mk_dkim_signer_new(&p, err, sizeof(err)) == NULL, "bad sign list: %s", err);
	p = params(rsa_key, MK_DKIM_SIMPLE, MK_DKIM_SIMPLE);
	p.identity = "no-at";
	ok(mk_dkim_signer_new(&p, err, sizeof(err)) == NULL, "bad i=: %s", err);
	p = params(rsa_key, MK_DKIM_SIMPLE, MK_DKIM_SIMPLE);

	s = mk_dkim_signer_new(&p, err, sizeof(err));
	mk_dkim_signer_header(s, "Subject: x", 10);
	is_int(mk_dkim_signer_finish(s, &v), -1, "no From: -1");
	ok(v == NULL && strstr(mk_dkim_signer_error(s), "From") != NULL, "reason: %s",
	    mk_dkim_signer_error(s));
	mk_dkim_signer_free(s);

	s = mk_dkim_signer_new(&p, err, sizeof(err));
	is_int(mk_dkim_signer_header(s, "NoColon", 7), -1, "field without a colon: -1 (%s)",
	    mk_dkim_signer_error(s));
	is_int(mk_dkim_signer_body(s, (const unsigned char *)"x", 1), -1, "failed signer stays "
	    "failed");
	mk_dkim_signer_free(s);

	s = mk_dkim_signer_new(&p, err, sizeof(err));
	mk_dkim_signer_header(s, "From: a@b", 9);
	mk_dkim_signer_body(s, (const unsigned char *)"x", 1);
	is_int(mk_dkim_signer_header(s, "To: c", 5), -1, "field after the body: -1");
	mk_dkim_signer_free(s);

	s = mk_dkim_signer_new(&p, err, sizeof(err));
	for (i = 0; i <= MK_DKIM_SIGN_FIELDS_MAX && rc == 0; i++) {
		snprintf(f, sizeof(f), "To: r%d@example.com", i);
		rc = mk_dkim_signer_header(s, f, strlen(f));
	}
	ok(rc == -1 && i == MK_DKIM_SIGN_FIELDS_MAX + 1, "field %d to sign refused: %s", i,
	    mk_dkim_signer_error(s));
	mk_dkim_signer_free(s);

	s = mk_dkim_signer_new(&p, err, sizeof(err));
	mk_dkim_signer_header(s, "From: a@b", 9);
	is_int(mk_dkim_signer_finish(s, &v), 0, "finish");
	free(v);
	is_int(mk_dkim_signer_finish(s, &v), -1, "finish twice: -1");
	mk_dkim_signer_free(s);
	ok(mk_dkim_signer_free(NULL) == NULL, "free(NULL)");
}

int
main(void)
{
	rsa_key = EVP_RSA_gen(2048);
	ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (rsa_key == NULL || ed_key == NULL) {
		printf("Bail out! key generation failed\n");
		return 1;
	}
	test_rfc_example();
	test_body();
	test_body_streamed();
	test_selection();
	test_odd_fields();
	test_field();
	test_errors();
	test_threads();
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ed_key);
	return done_testing();
}
