/*
 * fuzz/fuzz_dkim_verify.c: libFuzzer target for lib/dkim_verify.c, the
 * native DKIM verifier, through its whole API.
 *
 * Input: a message as received (CRLF or LF line ends).  The header is
 * split into fields (a line starting with SP or TAB continues the previous
 * field; lines joined by CRLF, no final CRLF) up to the first empty line;
 * the rest is the body, fed in chunks of 1 + (input size % 61) bytes.
 * The key lookup is fixed, by selector: "test" gives the RFC 8463 RSA key,
 * "bad" a malformed record, "revoked" p= empty, "none" no record,
 * "tempfail" a temporary failure, "refused" a refused record; any other
 * selector the RFC 8463 Ed25519 key ("brisbane").  Time is fixed.
 * Invariants (trap on failure):
 *   - eoh() and eom() count the same signatures: the DKIM-Signature fields
 *     fed, at most MK_DKIM_VERIFY_SIGS_MAX;
 *   - every result is a known value with NUL-terminated strings, a reason
 *     for anything but pass and none for pass; mk_dkim_vres_name() names it;
 *   - the lookup gets NUL-terminated, non-empty domain and selector.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dkim_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELD_MAX 65536

static const char ED_KEY[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
static const char RSA_KEY[] = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHl"
    "OQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/"
    "e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

static char field[FIELD_MAX + 3];

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static enum mk_dkim_key_status
lookup(void *arg, const char *domain, const char *selector, char *txt, size_t txtsz,
    char *why, size_t whylen)
{
	const char *rec = ED_KEY;

	(void)arg;
	check(domain[0] != '\0' && selector[0] != '\0');
	check(strlen(domain) < 256 && strlen(selector) < 256);
	if (strcasecmp(selector, "none") == 0)
		return MK_DKIM_KEY_NONE;
	if (strcasecmp(selector, "tempfail") == 0) {
		snprintf(why, whylen, "timeout");
		return MK_DKIM_KEY_TEMPFAIL;
	}
	if (strcasecmp(selector, "refused") == 0) {
		snprintf(why, whylen, "several records");
		return MK_DKIM_KEY_BAD;
	}
	if (strcasecmp(selector, "test") == 0)
		rec = RSA_KEY;
	else if (strcasecmp(selector, "bad") == 0)
		rec = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ;;=x";
	else if (strcasecmp(selector, "revoked") == 0)
		rec = "v=DKIM1; p=";
	check(strlen(rec) < txtsz);
	memcpy(txt, rec, strlen(rec) + 1);
	return MK_DKIM_KEY_OK;
}

/* Is this field (as fed) a DKIM-Signature field? */
static int
is_sig(const char *f, size_t len)
{
	const char *colon = memchr(f, ':', len);
	size_t n;

	if (colon == NULL)
		return 0;
	for (n = (size_t)(colon - f); n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t'); n--)
		;
	return n == 14 && strncasecmp(f, "DKIM-Signature", 14) == 0;
}

static size_t
feed(struct mk_dkim_verifier *v, size_t flen)
{
	if (flen == 0)
		return 0;
	check(mk_dkim_verifier_header(v, field, flen) == 0);
	return (size_t)is_sig(field, flen);
}

/* Feed the header fields; returns the number of DKIM-Signature fields and
 * sets *body. */
static size_t
header(struct mk_dkim_verifier *v, const uint8_t *p, const uint8_t *end, const uint8_t **body)
{
	const uint8_t *lf, *e;
	size_t flen = 0, nsig = 0, n;

	for (; p < end; p = lf + 1) {
		lf = memchr(p, '\n', (size_t)(end - p));
		if (lf == NULL)
			lf = end;
		e = lf > p && lf[-1] == '\r' ? lf - 1 : lf;
		if (e == p) {
			p = lf < end ? lf + 1 : end;
			break;
		}
		n = (size_t)(e - p);
		if ((*p != ' ' && *p != '\t') || flen == 0) {
			nsig += feed(v, flen);
			flen = 0;
		} else if (flen + 2 <= FIELD_MAX) {
			memcpy(field + flen, "\r\n", 2);
			flen += 2;
		}
		if (n > FIELD_MAX - flen)
			n = FIELD_MAX - flen;
		memcpy(field + flen, p, n);
		flen += n;
		if (lf == end) {
			p = end;
			break;
		}
	}
	nsig += feed(v, flen);
	*body = p;
	return nsig;
}

static void
check_result(const struct mk_dkim_vresult *r)
{
	check(r->res > MK_DKIM_V_NONE && r->res <= MK_DKIM_V_NOKEY);
	check(memchr(r->reason, '\0', sizeof(r->reason)) != NULL);
	check(memchr(r->d, '\0', sizeof(r->d)) != NULL && memchr(r->s, '\0', sizeof(r->s)) != NULL);
	check(memchr(r->a, '\0', sizeof(r->a)) != NULL && memchr(r->i, '\0', sizeof(r->i)) != NULL);
	check(memchr(r->b, '\0', sizeof(r->b)) != NULL);
	check((r->res == MK_DKIM_V_PASS) == (r->reason[0] == '\0'));
	if (r->res == MK_DKIM_V_PASS)
		check(r->d[0] != '\0' && r->s[0] != '\0' && r->b[0] != '\0');
	check(strcmp(mk_dkim_vres_name(r->res), "none") != 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mk_dkim_verify_params p = { 0 };
	const struct mk_dkim_vresult *res;
	struct mk_dkim_verifier *v;
	const uint8_t *body, *end = data + size, *q;
	size_t nsig, n, i, chunk = 1 + size % 61;

	p.lookup = lookup;
	p.now = 1700000000;
	p.min_rsa_bits = size % 7 == 0 ? 2048 : 0;
	v = mk_dkim_verifier_new(&p);
	check(v != NULL);
	nsig = header(v, data, end, &body);
	if (nsig > MK_DKIM_VERIFY_SIGS_MAX)
		nsig = MK_DKIM_VERIFY_SIGS_MAX;
	n = mk_dkim_verifier_eoh(v);
	check(n == nsig);
	for (q = body; q < end; q += i) {
		i = (size_t)(end - q) < chunk ? (size_t)(end - q) : chunk;
		mk_dkim_verifier_body(v, q, i);
	}
	check(mk_dkim_verifier_eom(v, &res) == n);
	check(n == 0 || res != NULL);
	for (i = 0; i < n; i++)
		check_result(&res[i]);
	mk_dkim_verifier_free(v);
	return 0;
}
