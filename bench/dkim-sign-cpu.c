/*
 * bench/dkim-sign-cpu.c: CPU time per signed 2 KB message, lib/dkim_sign
 * (key parsed once) against libopendkim 2.11 (dkim_sign with the PEM key +
 * dkim_header x N + dkim_eoh + dkim_body + dkim_eom + dkim_getsighdr_d, as
 * milter-dkim/sign.c does), for RSA-2048 and Ed25519, with the bare
 * OpenSSL signature of a digest as the floor.  Not a test: no assertion.
 *
 * Built by make check (t/ build flags); for meaningful figures build it
 * without sanitizers, e.g. from the top of the tree:
 *   cc -O2 -I. -Ilib -Ibuild/<dir> -DHAVE_CONFIG_H bench/dkim-sign-cpu.c \
 *       lib/dkim_sign.c lib/dkim_canon.c -o /tmp/dkim-sign-cpu -lopendkim -lcrypto -lpthread
 *   /tmp/dkim-sign-cpu [ITERATIONS]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <opendkim/dkim.h>

#include "lib/dkim_sign.h"

static const char *const hdrs[] = {
	"Received: from client.example.net (client.example.net [192.0.2.7])\r\n\tby mx.example.com "
	    "(Postfix) with ESMTPS id 4Xy7Zq1abcz9sVW\r\n\tfor <bob@example.net>; Sat, 28 Nov 2026 "
	    "03:00:00 +0000 (UTC)",
	"From: Alice Example <alice@example.com>",
	"To: Bob Example <bob@example.net>",
	"Cc: carol@example.org",
	"Subject: Quarterly figures and the meeting on Thursday",
	"Date: Sat, 28 Nov 2026 03:00:00 +0000",
	"Message-ID: <20261128030000.4Xy7Zq1abcz9sVW@mx.example.com>",
	"MIME-Version: 1.0",
	"Content-Type: text/plain; charset=utf-8",
	"Content-Transfer-Encoding: 8bit",
	NULL
};
static const char *const over[] = { "From", "To", "Cc", "Subject", "Date", "Reply-To",
	"Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", NULL };

static char body[72 * 22];	/* CRLF-terminated lines of 72 bytes */

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
ours(EVP_PKEY *key, int ed)
{
	struct mk_dkim_sign_params p = { 0 };
	struct mk_dkim_signer *s;
	char err[128], *v = NULL;
	size_t i;
	int rc;

	p.key = key;
	p.alg = ed ? MK_DKIM_ED25519_SHA256 : MK_DKIM_RSA_SHA256;
	p.hcanon = p.bcanon = MK_DKIM_RELAXED;
	p.domain = "example.com";
	p.selector = "sel";
	p.oversign = over;
	p.now = 1795836000;
	p.lf_folds = true;
	if ((s = mk_dkim_signer_new(&p, err, sizeof(err))) == NULL)
		return -1;
	for (i = 0; hdrs[i] != NULL; i++)
		mk_dkim_signer_header(s, hdrs[i], strlen(hdrs[i]));
	mk_dkim_signer_body(s, (const unsigned char *)body, sizeof(body));
	rc = mk_dkim_signer_finish(s, &v);
	free(v);
	mk_dkim_signer_free(s);
	return rc;
}

static int
theirs(DKIM_LIB *lib, const char *pem, int ed)
{
	u_char *h = NULL, buf[1024];
	size_t len = 0, i;
	DKIM_STAT st;
	DKIM *d;
	int rc = -1;

	d = dkim_sign(lib, (const u_char *)"bench", NULL, (dkim_sigkey_t)pem,
	    (const u_char *)"sel", (const u_char *)"example.com", DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, ed ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256, -1, &st);
	if (d == NULL)
		return -1;
	if (ed)
		(void)dkim_set_margin(d, 0);
	for (i = 0; hdrs[i] != NULL; i++) {
		memcpy(buf, hdrs[i], strlen(hdrs[i]));
		(void)dkim_header(d, buf, strlen(hdrs[i]));
	}
	if ((st = dkim_eoh(d)) == DKIM_STAT_OK &&
	    (st = dkim_body(d, (u_char *)body, sizeof(body))) == DKIM_STAT_OK &&
	    (st = dkim_eom(d, NULL)) == DKIM_STAT_OK &&
	    (st = dkim_getsighdr_d(d, 16, &h, &len)) == DKIM_STAT_OK)
		rc = 0;
	else if (getenv("BENCH_DEBUG") != NULL)
		fprintf(stderr, "libopendkim: %s: %s\n", dkim_getresultstr(st),
		    dkim_geterror(d) != NULL ? dkim_geterror(d) : "-");
	dkim_free(d);
	return rc;
}

static int
floor_sign(EVP_PKEY *key, int ed)
{
	static const unsigned char dig[32] = { 1, 2, 3 };
	unsigned char sig[512];
	size_t sl = sizeof(sig);
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	int rc;

	if (!ed) {
		pc = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
		rc = EVP_PKEY_sign_init(pc) > 0 && EVP_PKEY_CTX_set_rsa_padding(pc,
		    RSA_PKCS1_PADDING) > 0 && EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) > 0 &&
		    EVP_PKEY_sign(pc, sig, &sl, dig, 32) > 0;
	} else {
		mc = EVP_MD_CTX_new();
		rc = EVP_DigestSignInit(mc, NULL, NULL, NULL, key) > 0 &&
		    EVP_DigestSign(mc, sig, &sl, dig, 32) > 0;
	}
	EVP_PKEY_CTX_free(pc);
	EVP_MD_CTX_free(mc);
	return rc ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const char *const name[] = { "RSA-2048", "Ed25519" };
	int iters = argc > 1 ? atoi(argv[1]) : 2000, i, k, fails;
	uint64_t ft = 1795836000;
	EVP_PKEY *key[2];
	char *pem[2];
	DKIM_LIB *lib;
	BUF_MEM *bm;
	double t0, t[3];
	BIO *b;

	for (i = 0; i < (int)sizeof(body); i++)
		body[i] = (char)(i % 72 == 70 ? '\r' : i % 72 == 71 ? '\n' : 'a' + i % 26);
	key[0] = EVP_RSA_gen(2048);
	key[1] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	for (k = 0; k < 2; k++) {
		b = BIO_new(BIO_s_mem());
		PEM_write_bio_PrivateKey(b, key[k], NULL, NULL, 0, NULL, NULL);
		BIO_get_mem_ptr(b, &bm);
		pem[k] = strndup(bm->data, bm->length);
		BIO_free(b);
	}
	lib = dkim_init(NULL, NULL);
	(void)dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &ft, sizeof(ft));
	(void)dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, (void *)over,
	    sizeof(char **));
	printf("# CPU per signed message (%zu-byte body, %d header fields, relaxed/relaxed), "
	    "%d iterations\n", sizeof(body), (int)(sizeof(hdrs) / sizeof(hdrs[0]) - 1), iters);
	printf("%-9s %12s %12s %12s %8s\n", "key", "openssl-sign", "native", "libopendkim",
	    "speedup");
	for (k = 0; k < 2; k++) {
		fails = 0;
		t0 = cpu_now();
		for (i = 0; i < iters; i++)
			fails += floor_sign(key[k], k) != 0;
		t[0] = cpu_now() - t0;
		t0 = cpu_now();
		for (i = 0; i < iters; i++)
			fails += ours(key[k], k) != 0;
		t[1] = cpu_now() - t0;
		t0 = cpu_now();
		for (i = 0; i < iters; i++)
			fails += theirs(lib, pem[k], k) != 0;
		t[2] = cpu_now() - t0;
		printf("%-9s %9.3f ms %9.3f ms %9.3f ms %7.1fx%s\n", name[k], t[0] * 1e3 / iters,
		    t[1] * 1e3 / iters, t[2] * 1e3 / iters, t[2] / t[1], fails ? " (failures!)" : "");
	}
	dkim_close(lib);
	for (k = 0; k < 2; k++) {
		EVP_PKEY_free(key[k]);
		free(pem[k]);
	}
	return 0;
}
