/*
 * lib/dkim_canon.c: RFC 6376 3.4 canonicalization (see dkim_canon.h): the
 * body streamed (3.4.3 simple, 3.4.4 relaxed), header fields (3.4.1, 3.4.2).
 */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>

#include "lib/dkim_canon.h"

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Into the digest, up to the limit (l=) when there is one. */
static void
digest(struct mk_dkim_emit *e, const void *p, size_t n)
{
	e->total += n;
	if (e->limited)
		n = e->hashed >= e->limit ? 0 : (size_t)(e->limit - e->hashed < n ?
		    e->limit - e->hashed : n);
	e->hashed += n;
	if (n > 0 && EVP_DigestUpdate(e->md, p, n) != 1)
		e->failed = true;
}

static void
emit_flush(struct mk_dkim_emit *e)
{
	digest(e, e->buf, e->n);
	e->n = 0;
}

void
mk_dkim_emit(struct mk_dkim_emit *e, const void *p, size_t len)
{
	if (e->n + len > sizeof(e->buf)) {
		emit_flush(e);
		if (len >= sizeof(e->buf)) {
			digest(e, p, len);
			return;
		}
	}
	memcpy(e->buf + e->n, p, len);
	e->n += len;
}

static void
emit1(struct mk_dkim_emit *e, unsigned char c)
{
	if (e->n == sizeof(e->buf))
		emit_flush(e);
	e->buf[e->n++] = c;
}

int
mk_dkim_emit_final(struct mk_dkim_emit *e, unsigned char *out)
{
	unsigned int len = 0;

	emit_flush(e);
	if (e->failed || EVP_DigestFinal_ex(e->md, out, &len) != 1 || len != MK_DKIM_SHA256_LEN)
		return -1;
	return 0;
}

/* ---- body canonicalization (RFC 6376 3.4.3, 3.4.4), streamed ------------ */

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* n bytes of a line's content (not its CRLF); the empty lines held back
 * were not trailing after all. */
static void
body_content(struct mk_dkim_body *b, const unsigned char *p, size_t n)
{
	if (!b->in_line) {
		for (; b->pending > 0; b->pending--)
			mk_dkim_emit(&b->out, "\r\n", 2);
	}
	if (b->wsp) {			/* relaxed: a run of WSP is one SP */
		emit1(&b->out, ' ');
		b->wsp = false;
	}
	mk_dkim_emit(&b->out, p, n);
	b->in_line = true;
	b->wrote = true;
}

/* CRLF: the end of a line; an empty one (relaxed: white space only) is
 * held back until more content shows it is not trailing. */
static void
body_eol(struct mk_dkim_body *b)
{
	if (b->in_line)
		mk_dkim_emit(&b->out, "\r\n", 2);
	else
		b->pending++;
	b->in_line = false;
	b->wsp = false;
}

/* Length of the run at p that needs no state: no CR (simple), and no CR,
 * SP or HTAB (relaxed). */
static size_t
body_run(const struct mk_dkim_body *b, const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q = p;

	if (!b->relaxed) {
		q = memchr(p, '\r', (size_t)(end - p));
		return q == NULL ? (size_t)(end - p) : (size_t)(q - p);
	}
	while (q < end && *q != '\r' && !is_wsp(*q))
		q++;
	return (size_t)(q - p);
}

void
mk_dkim_body_feed(struct mk_dkim_body *b, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;
	size_t n;

	while (p < end) {
		if (b->cr) {
			b->cr = false;
			if (*p == '\n') {
				body_eol(b);
				p++;
				continue;
			}
			body_content(b, (const unsigned char *)"\r", 1);	/* a bare CR */
		}
		if (*p == '\r') {
			b->cr = true;
			p++;
			continue;
		}
		if (b->relaxed && is_wsp(*p)) {
			b->wsp = true;
			p++;
			continue;
		}
		n = body_run(b, p, end);
		body_content(b, p, n);
		p += n;
	}
}

void
mk_dkim_body_close(struct mk_dkim_body *b)
{
	if (b->cr) {
		b->cr = false;
		body_content(b, (const unsigned char *)"\r", 1);
	}
	b->wsp = false;			/* relaxed: trailing white space */
	if (b->in_line)
		body_eol(b);
	if (!b->relaxed && !b->wrote)
		mk_dkim_emit(&b->out, "\r\n", 2);
}

void
mk_dkim_canon_field(struct mk_dkim_emit *e, bool relaxed, const char *f, size_t len,
    size_t namelen, bool crlf)
{
	const unsigned char *p, *end = (const unsigned char *)f + len;
	bool wsp = false, started = false;
	size_t i;

	if (!relaxed) {
		mk_dkim_emit(e, f, len);
	} else {
		for (i = 0; i < namelen; i++)
			emit1(e, (unsigned char)lc((unsigned char)f[i]));
		emit1(e, ':');
		p = memchr(f, ':', len);
		for (p = p + 1; p < end; p++) {
			if (*p == '\r' || *p == '\n')		/* unfold */
				continue;
			if (is_wsp(*p)) {
				wsp = started;
				continue;
			}
			if (wsp)
				emit1(e, ' ');
			emit1(e, *p);
			wsp = false;
			started = true;
		}
	}
	if (crlf)
		mk_dkim_emit(e, "\r\n", 2);
}

