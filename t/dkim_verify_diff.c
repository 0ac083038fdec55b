/*
 * t/dkim_verify_diff.c: test driver for lib/dkim_verify, the native DKIM
 * verifier (t/integration/dkim-verify-native/run.sh compares what it
 * prints with dkimpy and Mail::DKIM).
 *
 *   dkim_verify_diff [-t NOW] [-m MINBITS] [-c CHUNK] KEYFILE MSG...
 *   dkim_verify_diff -S KEY.pem -d DOMAIN -s SELECTOR [-i IDENTITY] MSG
 *
 * MSG: an RFC 5322 message, CRLF or LF line ends (a bare LF becomes CRLF,
 * a leading mbox "From " line is skipped).  Header fields are split (a
 * continuation line belongs to the previous field) and each is fed as
 * "Name:value" with CRLF between its lines, without the final CRLF; then
 * the body, in chunks of 1..CHUNK bytes (pseudo-random, fixed seed; 0, the
 * default: one chunk).
 * KEYFILE: lines "selector._domainkey.domain<TAB>record"; a record of NONE,
 * TEMPFAIL or BAD gives that lookup status; a name not listed is NONE.
 * The verifier must ask for A-labels (RFC 8616 section 3): a key name with
 * an 8-bit byte is refused (BAD, "non-ASCII key name asked").
 * -t sets the time x= is checked against, -m the RSA key size floor.
 *
 * Prints one line per signature, in header order:
 *   <n> <result> d=<d> s=<s> <reason>
 * n from 0; result one of pass fail policy neutral temperror permerror
 * nokey none (nokey kept apart from permerror).  With several MSG, each
 * line starts with the message's path and a space.  Exit 0, or 2 when a
 * file cannot be read.
 *
 * -S signs MSG with lib/dkim_sign instead (relaxed/relaxed, the algorithm
 * of the PEM key, the default header list, i= IDENTITY when given -- UTF-8
 * allowed, RFC 8616) and prints "DKIM-Signature: <value>" CRLF, then MSG
 * as read, so independent verifiers can judge lib/dkim_sign's output.
 * Exit 0, 1 when the signer refuses (its reason on stderr), 2 on usage.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "lib/dkim_sign.h"
#include "lib/dkim_verify.h"

#define KEYS_MAX 256
#define FILE_MAX (64 * 1024 * 1024)

struct key {
	char *name;			/* "selector._domainkey.domain" */
	char *rec;
};

struct keys {
	struct key k[KEYS_MAX];
	size_t n;
};

struct buf {
	char *p;
	size_t len, cap;
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static void
put(struct buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = { 0 };
	char tmp[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	put(&b, "", 0);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0 && b.len < FILE_MAX)
		put(&b, tmp, n);
	fclose(f);
	*len = b.len;
	return b.p;
}

/* mk_dkim_vres_name(), but "nokey" apart from "permerror" (the expected
 * results tell a missing key from other permerrors). */
static const char *
res_name(enum mk_dkim_vres r)
{
	return r == MK_DKIM_V_NOKEY ? "nokey" : mk_dkim_vres_name(r);
}

/* ---- key table ------------------------------------------------------------- */

static int
keys_load(struct keys *ks, const char *path)
{
	size_t len, i;
	char *data = slurp(path, &len), *line, *next, *tab, *end;

	if (data == NULL)
		return -1;
	for (line = data; line < data + len && ks->n < KEYS_MAX; line = next) {
		end = memchr(line, '\n', (size_t)(data + len - line));
		next = end != NULL ? end + 1 : data + len;
		if (end == NULL)
			end = data + len;
		if (end > line && end[-1] == '\r')
			end--;
		*end = '\0';
		if ((tab = strchr(line, '\t')) == NULL || line[0] == '#')
			continue;
		*tab = '\0';
		ks->k[ks->n].name = strdup(line);
		ks->k[ks->n].rec = strdup(tab + 1);
		if (ks->k[ks->n].name == NULL || ks->k[ks->n].rec == NULL)
			abort();
		for (i = 0; ks->k[ks->n].name[i] != '\0'; i++)
			if (ks->k[ks->n].name[i] >= 'A' && ks->k[ks->n].name[i] <= 'Z')
				ks->k[ks->n].name[i] = (char)(ks->k[ks->n].name[i] - 'A' + 'a');
		ks->n++;
	}
	free(data);
	return 0;
}

static enum mk_dkim_key_status
lookup(void *arg, const char *domain, const char *selector, char *txt, size_t txtsz,
    char *why, size_t whylen)
{
	const struct keys *ks = arg;
	char name[512];
	size_t i;

	snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	for (i = 0; name[i] != '\0'; i++) {
		if ((unsigned char)name[i] >= 0x80) {
			snprintf(why, whylen, "non-ASCII key name asked (test)");
			return MK_DKIM_KEY_BAD;
		}
	}
	for (i = 0; i < ks->n; i++) {
		if (strcasecmp(ks->k[i].name, name) != 0)
			continue;
		if (strcmp(ks->k[i].rec, "NONE") == 0)
			return MK_DKIM_KEY_NONE;
		if (strcmp(ks->k[i].rec, "TEMPFAIL") == 0) {
			snprintf(why, whylen, "key lookup timed out (test)");
			return MK_DKIM_KEY_TEMPFAIL;
		}
		if (strcmp(ks->k[i].rec, "BAD") == 0 || strlen(ks->k[i].rec) >= txtsz) {
			snprintf(why, whylen, "key record refused (test)");
			return MK_DKIM_KEY_BAD;
		}
		memcpy(txt, ks->k[i].rec, strlen(ks->k[i].rec) + 1);
		return MK_DKIM_KEY_OK;
	}
	return MK_DKIM_KEY_NONE;
}

/* ---- message splitting ------------------------------------------------------ */

/* The end of the line starting at p (at the LF, or end); *next after it. */
static const char *
line_end(const char *p, const char *end, const char **next)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	if (lf == NULL) {
		*next = end;
		return end;
	}
	*next = lf + 1;
	return lf > p && lf[-1] == '\r' ? lf - 1 : lf;
}

/* Where header fields and body chunks go: the verifier or the signer. */
struct sink {
	void (*hdr)(void *ctx, const char *f, size_t len);
	void (*body)(void *ctx, const unsigned char *p, size_t len);
	void *ctx;
};

static void
v_hdr(void *ctx, const char *f, size_t len)
{
	(void)mk_dkim_verifier_header(ctx, f, len);
}

static void
v_body(void *ctx, const unsigned char *p, size_t len)
{
	mk_dkim_verifier_body(ctx, p, len);
}

static void
s_hdr(void *ctx, const char *f, size_t len)
{
	(void)mk_dkim_signer_header(ctx, f, len);
}

static void
s_body(void *ctx, const unsigned char *p, size_t len)
{
	(void)mk_dkim_signer_body(ctx, p, len);
}

/* Feed the header fields; returns where the body starts. */
static const char *
feed_header(const struct sink *v, const char *p, const char *end)
{
	struct buf f = { 0 };
	const char *e, *next;

	if (end - p >= 5 && memcmp(p, "From ", 5) == 0)
		(void)line_end(p, end, &p);
	for (; p < end; p = next) {
		e = line_end(p, end, &next);
		if (e == p)			/* the empty line */
			break;
		if ((*p == ' ' || *p == '\t') && f.len > 0) {
			put(&f, "\r\n", 2);
		} else if (f.len > 0) {
			v->hdr(v->ctx, f.p, f.len);
			f.len = 0;
		}
		put(&f, p, (size_t)(e - p));
	}
	if (f.len > 0)
		v->hdr(v->ctx, f.p, f.len);
	free(f.p);
	return p < end ? next : end;
}

/* The body with every bare LF made CRLF, fed in chunks. */
static void
feed_body(const struct sink *v, const char *p, const char *end, unsigned chunk)
{
	struct buf b = { 0 };
	size_t off, n;

	put(&b, "", 0);
	for (; p < end; p++) {
		if (*p == '\n' && (b.len == 0 || b.p[b.len - 1] != '\r'))
			put(&b, "\r", 1);
		put(&b, p, 1);
	}
	for (off = 0; off < b.len; off += n) {
		n = chunk == 0 ? b.len : 1 + (size_t)(rnd() % chunk);
		if (n > b.len - off)
			n = b.len - off;
		v->body(v->ctx, (const unsigned char *)b.p + off, n);
	}
	free(b.p);
}

static int
verify_one(const char *path, bool prefix, const struct mk_dkim_verify_params *p, unsigned chunk)
{
	const struct mk_dkim_vresult *res;
	struct sink sink = { v_hdr, v_body, NULL };
	struct mk_dkim_verifier *v;
	const char *body;
	size_t len, n, i;
	char *msg;

	if ((msg = slurp(path, &len)) == NULL) {
		perror(path);
		return -1;
	}
	if ((v = mk_dkim_verifier_new(p)) == NULL)
		abort();
	sink.ctx = v;
	body = feed_header(&sink, msg, msg + len);
	if (mk_dkim_verifier_eoh(v) > 0)
		feed_body(&sink, body, msg + len, chunk);
	n = mk_dkim_verifier_eom(v, &res);
	for (i = 0; i < n; i++)
		printf("%s%s%zu %s d=%s s=%s %s\n", prefix ? path : "", prefix ? " " : "", i,
		    res_name(res[i].res), res[i].d, res[i].s, res[i].reason);
	mk_dkim_verifier_free(v);
	free(msg);
	return 0;
}

/* -S: sign path with lib/dkim_sign, print the field and the message. */
static int
sign_one(const char *path, const char *pem, struct mk_dkim_sign_params *sp)
{
	struct sink sink = { s_hdr, s_body, NULL };
	struct mk_dkim_signer *s = NULL;
	char err[256], *msg = NULL, *value = NULL;
	const char *body;
	FILE *f;
	size_t len;
	int rc = 1;

	if ((f = fopen(pem, "r")) == NULL || (msg = slurp(path, &len)) == NULL) {
		perror(f == NULL ? pem : path);
		goto out;
	}
	sp->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	if (sp->key == NULL || mk_dkim_alg_of_key(sp->key, &sp->alg) == -1) {
		fprintf(stderr, "%s: not an RSA or Ed25519 private key\n", pem);
		goto out;
	}
	if ((s = mk_dkim_signer_new(sp, err, sizeof(err))) == NULL) {
		fprintf(stderr, "signer refused: %s\n", err);
		goto out;
	}
	sink.ctx = s;
	body = feed_header(&sink, msg, msg + len);
	feed_body(&sink, body, msg + len, 0);
	if (mk_dkim_signer_finish(s, &value) == -1) {
		fprintf(stderr, "signing failed: %s\n", mk_dkim_signer_error(s));
		goto out;
	}
	printf("%s: %s\r\n", MK_DKIM_SIGN_HDR_NAME, value);
	fwrite(msg, 1, len, stdout);
	rc = 0;
out:
	free(value);
	mk_dkim_signer_free(s);
	EVP_PKEY_free(sp->key);
	if (f != NULL)
		fclose(f);
	free(msg);
	return rc;
}

int
main(int argc, char **argv)
{
	struct mk_dkim_verify_params p = { 0 };
	struct mk_dkim_sign_params sp = { .hcanon = MK_DKIM_RELAXED, .bcanon = MK_DKIM_RELAXED };
	static struct keys ks;
	const char *pem = NULL;
	unsigned chunk = 0;
	int c, i, rc = 0;

	while ((c = getopt(argc, argv, "t:m:c:S:d:s:i:")) != -1) {
		switch (c) {
		case 't': p.now = (time_t)strtoll(optarg, NULL, 10); break;
		case 'm': p.min_rsa_bits = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'c': chunk = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'S': pem = optarg; break;
		case 'd': sp.domain = optarg; break;
		case 's': sp.selector = optarg; break;
		case 'i': sp.identity = optarg; break;
		default: goto usage;
		}
	}
	if (pem != NULL) {
		if (argc - optind != 1 || sp.domain == NULL || sp.selector == NULL)
			goto usage;
		sp.now = time(NULL);
		return sign_one(argv[optind], pem, &sp);
	}
	if (argc - optind < 2)
		goto usage;
	if (keys_load(&ks, argv[optind]) == -1) {
		perror(argv[optind]);
		return 2;
	}
	p.lookup = lookup;
	p.lookup_arg = &ks;
	for (i = optind + 1; i < argc; i++)
		if (verify_one(argv[i], argc - optind > 2, &p, chunk) == -1)
			rc = 2;
	for (i = 0; i < (int)ks.n; i++) {
		free(ks.k[i].name);
		free(ks.k[i].rec);
	}
	return rc;
usage:
	fprintf(stderr, "usage: dkim_verify_diff [-t NOW] [-m MINBITS] [-c CHUNK] KEYFILE MSG...\n"
	    "       dkim_verify_diff -S KEY.pem -d DOMAIN -s SELECTOR [-i IDENTITY] MSG\n");
	return 2;
}
