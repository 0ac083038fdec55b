/*
 * fuzz/fuzz_dkim_sign.c: libFuzzer target for lib/dkim_sign.c, the native
 * DKIM signer: arbitrary header fields and bodies, any chunking.
 *
 * Input: byte 0 = options (bit 0 relaxed headers, bit 1 relaxed body, bit 2
 * Ed25519, bit 3 sign every field, bit 4 oversign, bit 5 LF folds, bit 6
 * wildcard sign list, bit 7 TTL); byte 1 = body chunk size - 1; then header
 * fields separated by NUL bytes up to an empty field (two NULs); the rest is
 * the body.  Invariants (trap on failure):
 *   - a signer that failed keeps failing and gives no value;
 *   - a value has "bh=" and a last tag "b=" (after the last ';') with
 *     base64 of the key's signature size, no NUL, and every line end is a
 *     fold (CRLF or LF as asked, then TAB).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "dkim_sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELDS_MAX 64

static EVP_PKEY *rsa, *ed;

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void
check_value(const char *v, bool lf, size_t siglen)
{
	const char *p, *b;
	size_t n = 0;

	check(strstr(v, "bh=") != NULL);
	for (p = v; *p != '\0'; p++) {
		if (*p == '\r') {
			check(!lf && p[1] == '\n' && p[2] == '\t');
			p++;
		} else if (*p == '\n') {
			check(p[1] == '\t');
		}
	}
	/* the last tag: after the last ';' (no field name in h= has one, but
	 * one may hold " b=" or start with "b=" after a fold) */
	check((b = strrchr(v, ';')) != NULL);
	for (b++; *b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'; b++)
		;
	check(strncmp(b, "b=", 2) == 0);
	for (p = b + 2; *p != '\0'; p++)
		if (*p != '\r' && *p != '\n' && *p != '\t')
			n++;
	check(n == 4 * ((siglen + 2) / 3));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const wild[] = { "x-*", "*-id", "a*b*c", "subject", NULL };
	static const char *const over[] = { "From", "To", "Subject", "Reply-To", NULL };
	struct mk_dkim_sign_params p = { 0 };
	struct mk_dkim_signer *s;
	const uint8_t *q, *end = data + size, *nul, *body = end;
	char err[256], *v = NULL;
	size_t chunk, n, nf = 0;
	int rc = 0;

	if (rsa == NULL) {
		rsa = EVP_RSA_gen(1024);
		ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		check(rsa != NULL && ed != NULL);
	}
	if (size < 2)
		return 0;
	p.hcanon = data[0] & 1 ? MK_DKIM_RELAXED : MK_DKIM_SIMPLE;
	p.bcanon = data[0] & 2 ? MK_DKIM_RELAXED : MK_DKIM_SIMPLE;
	p.key = data[0] & 4 ? ed : rsa;
	p.alg = data[0] & 4 ? MK_DKIM_ED25519_SHA256 : MK_DKIM_RSA_SHA256;
	p.sign_all = (data[0] & 8) != 0;
	p.oversign = data[0] & 16 ? over : NULL;
	p.lf_folds = (data[0] & 32) != 0;
	p.signhdrs = data[0] & 64 ? wild : NULL;
	p.ttl = data[0] & 128 ? 3600 : 0;
	p.domain = "example.com";
	p.selector = "sel";
	p.now = 1700000000;
	chunk = (size_t)data[1] + 1;
	s = mk_dkim_signer_new(&p, err, sizeof(err));
	check(s != NULL);
	for (q = data + 2; q < end; q = nul + 1) {
		nul = memchr(q, '\0', (size_t)(end - q));
		if (nul == NULL)
			nul = end;
		if (nul == q || nf++ >= FIELDS_MAX) {
			body = nul < end ? nul + 1 : end;
			break;
		}
		if (mk_dkim_signer_header(s, (const char *)q, (size_t)(nul - q)) == -1)
			rc = -1;
	}
	for (q = body; q < end; q += n) {
		n = (size_t)(end - q) < chunk ? (size_t)(end - q) : chunk;
		if (mk_dkim_signer_body(s, q, n) == -1)
			rc = -1;
	}
	if (mk_dkim_signer_finish(s, &v) == 0) {
		check(rc == 0 && v != NULL);
		check_value(v, p.lf_folds, (size_t)EVP_PKEY_get_size(p.key));
	} else {
		check(v == NULL && mk_dkim_signer_error(s)[0] != '\0');
	}
	free(v);
	mk_dkim_signer_free(s);
	return 0;
}
