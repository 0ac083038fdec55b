/*
 * t/dkim_sign_diff.c: differential test driver for lib/dkim_sign against
 * libopendkim 2.11 (t/integration/dkim-sign-native/run.sh runs it).
 *
 *   dkim-sign-diff OUTDIR COUNT SEED
 *
 * Generates COUNT messages (random and edge header sets, folding, 8-bit,
 * long lines, trailing blank lines and white space, bodies chunked at
 * random boundaries including between CR and LF) and signs each with both
 * engines for {rsa-sha256, ed25519-sha256} x {simple, relaxed}^2, same key,
 * same time, same header lists.  Prints "RESULT 0|1 text" lines (0 = good)
 * and "# " diagnostics: bh=, h=, t=, x= equal to libopendkim's, and our
 * signature verified by libopendkim's verifier.  Writes each message with
 * our signature to OUTDIR/mNNNN-ALG-HC-BC.eml, the public keys to
 * OUTDIR/keys (selector TXT) and OUTDIR/manifest ("file alg quirks") for
 * dkimpy and Mail::DKIM.
 *
 * Quirks: inputs where libopendkim 2.11 departs from RFC 6376, so only
 * dkimpy and Mail::DKIM judge them (run.sh):
 *   cr    a bare CR in the body (its relaxed body state machine drops it,
 *         its simple one takes a "\r" line for an empty line);
 *   nocrlf the body does not end in CRLF (relaxed: it fails with "CRLF at
 *         end of body missing"; simple: it adds no CRLF);
 *   ff    a VT or FF inside a header value (its relaxed header form turns
 *         every isspace() byte into SP; RFC 6376 3.4.2 only WSP).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <opendkim/dkim.h>

#include "lib/dkim_sign.h"

#define FIELDS_MAX 40
#define CHUNKS_MAX 24

#define Q_CR 1
#define Q_NOCRLF 2
#define Q_FF 4

struct msg {
	char *field[FIELDS_MAX];
	size_t nfields;
	char *body;
	size_t blen;
	size_t cut[CHUNKS_MAX];		/* chunk ends, ascending, last = blen */
	size_t ncut;
	unsigned quirks;
};

struct cfg {
	const char *const *signhdrs;	/* ours (NULL: default) */
	const char *const *oversign;
	long ttl;
	DKIM_LIB *lib;
	const char *list[MK_DKIM_SIGN_NAMES_MAX + 1];	/* libopendkim's SIGNHDRS */
};

static uint64_t rng_state;
static EVP_PKEY *key[2];
static char *pem[2];
static char txt[2][1024];
static const char *const sel[2] = { "rsa", "ed" };
static time_t now;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static unsigned
pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* ---- a growing string ----------------------------------------------------- */

struct str {
	char *p;
	size_t len, cap;
};

static void
put(struct str *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		if ((s->p = realloc(s->p, s->cap)) == NULL)
			abort();
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void
puts_(struct str *s, const char *p)
{
	put(s, p, strlen(p));
}

/* ---- message generation ---------------------------------------------------- */

static void
word(struct str *s, bool eightbit)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "<>@.,!?()[]'\"=-_/+:";
	unsigned i, n = 1 + pick(9);

	for (i = 0; i < n; i++)
		put(s, &alpha[pick(sizeof(alpha) - 1)], 1);
	if (eightbit && pick(8) == 0)
		puts_(s, pick(2) ? "\xc3\xa9t\xc3\xa9" : "\xff\x80");
}

static void
header_value(struct str *s, bool ff)
{
	static const char *const lead[] = { " ", " ", " ", "", "  ", "\t", " \t" };
	static const char *const sep[] = { " ", " ", " ", "  ", "\t", " \t ", "\r\n\t",
		"\r\n ", "\r\n \t" };
	unsigned i, n = pick(10) == 0 ? 0 : 1 + pick(8);

	if (pick(20) == 0)
		n = 40 + pick(40);			/* long */
	puts_(s, lead[pick(sizeof(lead) / sizeof(lead[0]))]);
	for (i = 0; i < n; i++) {
		if (i > 0)
			puts_(s, sep[pick(n > 30 && pick(3) ? 7 : sizeof(sep) / sizeof(sep[0]))]);
		word(s, true);
	}
	if (ff)
		puts_(s, pick(2) ? " a\fb" : " a\vb");
	if (pick(5) == 0)
		puts_(s, pick(2) ? " " : "\t ");
}

static void
gen_headers(struct msg *m)
{
	static const char *const pool[] = { "To", "Cc", "Subject", "Date", "Message-ID",
		"Reply-To", "In-Reply-To", "References", "MIME-Version", "Content-Type",
		"Content-Transfer-Encoding", "Received", "X-Mailer", "X-Custom-1", "X-Custom-2",
		"List-Id", "Resent-From", "Sender", "Keywords" };
	unsigned i, n = 1 + pick(14), from = pick(n), k, ff = pick(12) == 0 ? pick(n) : n;
	struct str s;
	const char *name;
	char c;

	for (i = 0; i < n && m->nfields < FIELDS_MAX; i++) {
		memset(&s, 0, sizeof(s));
		name = i == from ? "From" : pool[pick(sizeof(pool) / sizeof(pool[0]))];
		k = pick(7);
		for (; *name != '\0'; name++) {
			c = k == 0 ? (char)(*name | 0x20) : k == 1 && *name >= 'a' && *name <= 'z' ?
			    (char)(*name - 32) : *name;
			put(&s, &c, 1);
		}
		puts_(&s, ":");
		if (i == from) {
			puts_(&s, pick(2) ? " Some One <one@example.com>" : " one@example.com");
		} else {
			header_value(&s, i == ff);
			if (i == ff)
				m->quirks |= Q_FF;	/* a VT or FF inside a value */
		}
		m->field[m->nfields++] = s.p;
	}
}

static void
body_line(struct str *s, struct msg *m)
{
	static const char *const sep[] = { " ", " ", "  ", "\t", " \t", "\t\t " };
	unsigned i, n, r = pick(20);

	if (r < 3)
		return;					/* empty line */
	if (r == 3) {
		puts_(s, pick(2) ? " " : " \t ");	/* white space only */
		return;
	}
	if (pick(10) == 0)
		puts_(s, sep[pick(6)]);
	n = pick(30) == 0 ? 300 + pick(200) : 1 + pick(12);
	for (i = 0; i < n; i++) {
		if (i > 0)
			puts_(s, sep[pick(6)]);
		word(s, true);
	}
	if (pick(5) == 0)
		puts_(s, sep[pick(6)]);
	(void)m;
}

/* One or two bare CRs (never before an LF): "a\rb", "a\r\r\n", "\r\r\n". */
static void
bare_cr(struct str *s, struct msg *m)
{
	unsigned i;
	size_t pos;

	for (i = 1 + pick(2); i > 0 && s->len > 0; i--) {
		pos = pick((unsigned)s->len);
		if (s->p[pos] == '\n')
			continue;
		put(s, "", 1);			/* room for one more byte */
		s->len--;
		memmove(s->p + pos + 1, s->p + pos, s->len - pos);
		s->p[pos] = '\r';
		s->len++;
		s->p[s->len] = '\0';
		m->quirks |= Q_CR;
	}
}

static void
gen_body(struct msg *m)
{
	struct str s = { 0 };
	unsigned i, n, r = pick(40), cr;
	size_t pos;

	put(&s, "", 0);
	if (r == 0)
		n = 0;
	else if (r == 1) {
		n = 0;
		puts_(&s, "\r\n");
	} else {
		n = pick(10) == 0 ? 100 + pick(100) : 1 + pick(30);
	}
	for (i = 0; i < n; i++) {
		body_line(&s, m);
		puts_(&s, "\r\n");
	}
	if (n > 0 && pick(3) == 0)
		for (i = 1 + pick(4); i > 0; i--)
			puts_(&s, pick(4) ? "\r\n" : " \r\n");
	if (pick(10) == 0)
		bare_cr(&s, m);
	if (n > 0 && pick(25) == 0) {
		puts_(&s, "tail");		/* no final CRLF */
		m->quirks |= Q_NOCRLF;
	}
	m->body = s.p;
	m->blen = s.len;
	/* chunk ends: random, and some right after a CR (CR | LF) */
	m->ncut = 0;
	for (i = pick(8); i > 0 && m->blen > 0; i--)
		m->cut[m->ncut++] = 1 + pick((unsigned)m->blen);
	for (cr = pick(3) ? 0 : 1 + pick(6); cr > 0 && m->blen > 1; cr--) {
		pos = pick((unsigned)m->blen);
		while (pos < m->blen && m->body[pos] != '\r')
			pos++;
		if (pos + 1 < m->blen)
			m->cut[m->ncut++] = pos + 1;
	}
	m->cut[m->ncut++] = m->blen;
	for (i = 1; i < m->ncut; i++)		/* insertion sort */
		for (r = i; r > 0 && m->cut[r - 1] > m->cut[r]; r--) {
			pos = m->cut[r];
			m->cut[r] = m->cut[r - 1];
			m->cut[r - 1] = pos;
		}
}

static void
msg_free(struct msg *m)
{
	size_t i;

	for (i = 0; i < m->nfields; i++)
		free(m->field[i]);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

/* ---- keys ----------------------------------------------------------------- */

static int
keys_make(const char *dir)
{
	unsigned char raw[32], *der = NULL;
	char path[512];
	size_t rl = sizeof(raw);
	BUF_MEM *bm;
	BIO *b;
	FILE *fp;
	int i, dl;

	key[0] = EVP_RSA_gen(2048);
	key[1] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (key[0] == NULL || key[1] == NULL)
		return -1;
	for (i = 0; i < 2; i++) {
		b = BIO_new(BIO_s_mem());
		PEM_write_bio_PrivateKey(b, key[i], NULL, NULL, 0, NULL, NULL);
		BIO_get_mem_ptr(b, &bm);
		pem[i] = strndup(bm->data, bm->length);
		BIO_free(b);
	}
	dl = i2d_PUBKEY(key[0], &der);
	strcpy(txt[0], "v=DKIM1; k=rsa; p=");
	EVP_EncodeBlock((unsigned char *)txt[0] + strlen(txt[0]), der, dl);
	OPENSSL_free(der);
	EVP_PKEY_get_raw_public_key(key[1], raw, &rl);
	strcpy(txt[1], "v=DKIM1; k=ed25519; p=");
	EVP_EncodeBlock((unsigned char *)txt[1] + strlen(txt[1]), raw, (int)rl);
	snprintf(path, sizeof(path), "%s/keys", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fprintf(fp, "%s %s\n%s %s\n", sel[0], txt[0], sel[1], txt[1]);
	fclose(fp);
	return 0;
}

static DKIM_CBSTAT
key_lookup(DKIM *d, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	const char *s = (const char *)dkim_sig_getselector(sig);
	int i = s != NULL && strcmp(s, sel[1]) == 0;

	(void)d;
	if (s == NULL || strlen(txt[i]) >= buflen)
		return DKIM_CBSTAT_NOTFOUND;
	strcpy((char *)buf, txt[i]);
	return DKIM_CBSTAT_CONTINUE;
}

/* ---- the two engines ------------------------------------------------------- */

static int
tag(const char *value, const char *name, char *out, size_t outsz)
{
	char *flat = malloc(strlen(value) + 1), *q, *save = NULL;
	size_t o = 0, nl = strlen(name);
	const char *p;
	int rc = -1;

	for (p = value; *p != '\0'; p++)
		if (*p != '\r' && *p != '\n' && *p != '\t' && *p != ' ')
			flat[o++] = *p;
	flat[o] = '\0';
	out[0] = '\0';
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

static char *
ours(const struct msg *m, const struct cfg *c, int alg, int hc, int bc, char *err,
    size_t errlen)
{
	struct mk_dkim_sign_params p = { 0 };
	struct mk_dkim_signer *s;
	char *v = NULL;
	size_t i, o = 0;

	p.key = key[alg];
	p.alg = alg ? MK_DKIM_ED25519_SHA256 : MK_DKIM_RSA_SHA256;
	p.hcanon = hc ? MK_DKIM_RELAXED : MK_DKIM_SIMPLE;
	p.bcanon = bc ? MK_DKIM_RELAXED : MK_DKIM_SIMPLE;
	p.domain = "example.com";
	p.selector = sel[alg];
	p.signhdrs = c->signhdrs;
	p.oversign = c->oversign;
	p.now = now;
	p.ttl = c->ttl;
	if ((s = mk_dkim_signer_new(&p, err, errlen)) == NULL)
		return NULL;
	for (i = 0; i < m->nfields; i++)
		if (mk_dkim_signer_header(s, m->field[i], strlen(m->field[i])) == -1)
			goto out;
	for (i = 0; i < m->ncut; o = m->cut[i++])
		if (mk_dkim_signer_body(s, (const unsigned char *)m->body + o, m->cut[i] - o) == -1)
			goto out;
	(void)mk_dkim_signer_finish(s, &v);
out:
	if (v == NULL)
		snprintf(err, errlen, "%s", mk_dkim_signer_error(s));
	mk_dkim_signer_free(s);
	return v;
}

static void
feed(DKIM *d, const struct msg *m, bool chunked)
{
	size_t i, o = 0;
	char *f;

	for (i = 0; i < m->nfields; i++) {
		f = strdup(m->field[i]);
		(void)dkim_header(d, (u_char *)f, strlen(f));
		free(f);
	}
	(void)dkim_eoh(d);
	if (!chunked) {
		if (m->blen > 0)
			(void)dkim_body(d, (u_char *)m->body, m->blen);
		return;
	}
	for (i = 0; i < m->ncut; o = m->cut[i++])
		if (m->cut[i] > o)
			(void)dkim_body(d, (u_char *)m->body + o, m->cut[i] - o);
}

/* libopendkim's signature (malloc'ed) or NULL. */
static char *
theirs(const struct msg *m, const struct cfg *c, int alg, int hc, int bc)
{
	DKIM_STAT st;
	u_char *h = NULL;
	size_t len = 0;
	char *v = NULL;
	DKIM *d;

	d = dkim_sign(c->lib, (const u_char *)"diff", NULL, (dkim_sigkey_t)pem[alg],
	    (const u_char *)sel[alg], (const u_char *)"example.com",
	    hc ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE, bc ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE,
	    alg ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256, -1, &st);
	if (d == NULL)
		return NULL;
	if (alg)
		(void)dkim_set_margin(d, 0);	/* its Ed25519 folding bug, as milter-dkim/sign.c */
	feed(d, m, true);
	if (dkim_eom(d, NULL) == DKIM_STAT_OK &&
	    dkim_getsighdr_d(d, sizeof("DKIM-Signature: ") - 1, &h, &len) == DKIM_STAT_OK)
		v = strndup((const char *)h, len);
	dkim_free(d);
	return v;
}

/* libopendkim verifies our signature value on message m. */
static bool
their_verify(DKIM_LIB *vlib, const struct msg *m, const char *value)
{
	DKIM_STAT st;
	DKIM_SIGINFO *sig;
	DKIM *d;
	char *f;
	bool good;

	if ((d = dkim_verify(vlib, (const u_char *)"diff", NULL, &st)) == NULL)
		return false;
	if (asprintf(&f, "DKIM-Signature: %s", value) < 0) {
		dkim_free(d);
		return false;
	}
	(void)dkim_header(d, (u_char *)f, strlen(f));
	free(f);
	feed(d, m, false);
	st = dkim_eom(d, NULL);
	sig = dkim_getsignature(d);
	good = st == DKIM_STAT_OK && sig != NULL && DKIM_SIG_CHECK(sig);
	dkim_free(d);
	return good;
}

static void
write_msg(const char *dir, unsigned i, int alg, int hc, int bc, const struct msg *m,
    const char *value, FILE *manifest)
{
	static const char *const cn[] = { "simple", "relaxed" };
	char path[600];
	size_t k;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/m%04u-%s-%s-%s.eml", dir, i, sel[alg], cn[hc], cn[bc]);
	if ((fp = fopen(path, "wb")) == NULL)
		return;
	fprintf(fp, "DKIM-Signature: %s\r\n", value);
	for (k = 0; k < m->nfields; k++)
		fprintf(fp, "%s\r\n", m->field[k]);
	fputs("\r\n", fp);
	fwrite(m->body, 1, m->blen, fp);
	fclose(fp);
	fprintf(manifest, "m%04u-%s-%s-%s.eml %s %s%s%s%s\n", i, sel[alg], cn[hc], cn[bc],
	    alg ? "ed25519" : "rsa", m->quirks == 0 ? "-" : "", m->quirks & Q_CR ? "cr," : "",
	    m->quirks & Q_NOCRLF ? "nocrlf," : "", m->quirks & Q_FF ? "ff," : "");
}

/* ---- main ----------------------------------------------------------------- */

struct tally {
	unsigned n, bh, h, tx, verify, quirky, quirk_diff, quirk_noverify, ours_fail;
};

static void
setup_cfg(struct cfg *c)
{
	static const char *const from[] = { "from", NULL };
	const char *const *lists[3] = { from, NULL, c->oversign };
	const char *const *l;
	size_t n = 0, i;
	uint64_t ttl = (uint64_t)c->ttl, ft = (uint64_t)now;

	lists[1] = c->signhdrs != NULL ? c->signhdrs : mk_dkim_default_signhdrs;
	for (i = 0; i < 3; i++)
		for (l = lists[i]; l != NULL && *l != NULL; l++)
			c->list[n++] = *l;
	c->list[n] = NULL;
	c->lib = dkim_init(NULL, NULL);
	(void)dkim_options(c->lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &ft, sizeof(ft));
	(void)dkim_options(c->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, c->list, sizeof(char **));
	if (c->oversign != NULL)
		(void)dkim_options(c->lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
		    (void *)c->oversign, sizeof(char **));
	if (ttl > 0)
		(void)dkim_options(c->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &ttl, sizeof(ttl));
}

static void
compare(const struct msg *m, unsigned i, const struct cfg *c, DKIM_LIB *vlib, int alg, int hc,
    int bc, struct tally *t, const char *dir, FILE *manifest)
{
	static const char *const tags[] = { "bh", "h", "t", "x" };
	char err[256], a[4][4096], b[4][4096], *v, *w;
	bool same[4];
	int k;

	t->n++;
	if ((v = ours(m, c, alg, hc, bc, err, sizeof(err))) == NULL) {
		printf("# m%04u %s %d/%d: ours failed: %s\n", i, sel[alg], hc, bc, err);
		t->ours_fail++;
		return;
	}
	write_msg(dir, i, alg, hc, bc, m, v, manifest);
	w = theirs(m, c, alg, hc, bc);
	for (k = 0; k < 4; k++) {
		tag(v, tags[k], a[k], sizeof(a[k]));
		if (w != NULL)
			tag(w, tags[k], b[k], sizeof(b[k]));
		same[k] = w != NULL && strcmp(a[k], b[k]) == 0;
	}
	if (m->quirks != 0) {
		t->quirky++;
		if (!same[0] || !same[1])
			t->quirk_diff++;
		if (!their_verify(vlib, m, v))
			t->quirk_noverify++;
	} else {
		t->bh += same[0];
		t->h += same[1];
		t->tx += same[2] && same[3];
		for (k = 0; k < 4; k++)
			if (!same[k])
				printf("# m%04u %s c=%d/%d: %s= ours \"%.80s\" libopendkim \"%.80s\"\n", i,
				    sel[alg], hc, bc, tags[k], a[k], w ? b[k] : "(failed)");
		if (their_verify(vlib, m, v))
			t->verify++;
		else
			printf("# m%04u %s c=%d/%d: libopendkim does not verify ours\n", i, sel[alg],
			    hc, bc);
	}
	free(v);
	free(w);
}

int
main(int argc, char **argv)
{
	static const char *const over_milter[] = { "From", "To", "Cc", "Subject", "Date",
		"Reply-To", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
		NULL };
	static const char *const sign1[] = { "To", "Subject", "Date", "Received", "X-Custom-*",
		"Message-ID", NULL };
	static const char *const sign2[] = { "*", NULL };
	static const char *const over2[] = { "From", "Subject", NULL };
	static const char *const cn[] = { "simple", "relaxed" };
	struct cfg cfg[3] = {
		{ NULL, over_milter, 0, NULL, { NULL } },
		{ sign1, NULL, 7 * 86400, NULL, { NULL } },
		{ sign2, over2, 0, NULL, { NULL } },
	};
	struct tally t[8] = { { 0 } }, *tt;
	struct msg m = { 0 };
	char path[512];
	DKIM_LIB *vlib;
	FILE *manifest;
	unsigned count, i, k, bad = 0, clean;
	const char *name;

	if (argc != 4) {
		fprintf(stderr, "usage: dkim-sign-diff OUTDIR COUNT SEED\n");
		return 2;
	}
	count = (unsigned)strtoul(argv[2], NULL, 10);
	rng_state = strtoull(argv[3], NULL, 10) | 1;
	now = time(NULL) - 60;
	snprintf(path, sizeof(path), "%s/manifest", argv[1]);
	if (keys_make(argv[1]) == -1 || (manifest = fopen(path, "w")) == NULL) {
		fprintf(stderr, "dkim-sign-diff: setup failed\n");
		return 2;
	}
	for (i = 0; i < 3; i++)
		setup_cfg(&cfg[i]);
	vlib = dkim_init(NULL, NULL);
	(void)dkim_set_key_lookup(vlib, key_lookup);
	for (i = 0; i < count; i++) {
		gen_headers(&m);
		gen_body(&m);
		for (k = 0; k < 8; k++)
			compare(&m, i, &cfg[i % 3], vlib, (int)(k >> 2), (int)(k >> 1 & 1), (int)(k & 1),
			    &t[k], argv[1], manifest);
		msg_free(&m);
	}
	for (k = 0; k < 8; k++) {
		tt = &t[k];
		clean = tt->n - tt->quirky - tt->ours_fail;
		name = sel[k >> 2];

		printf("RESULT %d %s c=%s/%s: ours signed all %u messages\n", tt->ours_fail != 0,
		    name, cn[k >> 1 & 1], cn[k & 1], tt->n);
		printf("RESULT %d %s c=%s/%s: bh= equal to libopendkim's on %u/%u clean messages\n",
		    tt->bh != clean, name, cn[k >> 1 & 1], cn[k & 1], tt->bh, clean);
		printf("RESULT %d %s c=%s/%s: h= equal on %u/%u\n", tt->h != clean, name,
		    cn[k >> 1 & 1], cn[k & 1], tt->h, clean);
		printf("RESULT %d %s c=%s/%s: t= and x= equal on %u/%u\n", tt->tx != clean, name,
		    cn[k >> 1 & 1], cn[k & 1], tt->tx, clean);
		printf("RESULT %d %s c=%s/%s: libopendkim verifies ours on %u/%u\n",
		    tt->verify != clean, name, cn[k >> 1 & 1], cn[k & 1], tt->verify, clean);
		printf("# %s c=%s/%s: %u messages with libopendkim quirks: its bh=/h= differ on %u, "
		    "its verifier fails ours on %u (dkimpy and Mail::DKIM decide)\n", name,
		    cn[k >> 1 & 1], cn[k & 1], tt->quirky, tt->quirk_diff, tt->quirk_noverify);
		bad += tt->ours_fail + (clean - tt->bh) + (clean - tt->h) + (clean - tt->verify);
	}
	fclose(manifest);
	for (i = 0; i < 3; i++)
		dkim_close(cfg[i].lib);
	dkim_close(vlib);
	for (i = 0; i < 2; i++) {
		EVP_PKEY_free(key[i]);
		free(pem[i]);
	}
	return bad == 0 ? 0 : 1;
}
