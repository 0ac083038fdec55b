/*
 * milter-dmarc/from_idn.c: U-label From domains to A-labels (see
 * from_idn.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/idn.h"
#include "milter-dmarc/from_idn.h"

struct sbuf {
	char *p;
	size_t n, cap;
};

static int
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->n + n + 1 > b->cap) {
		cap = (b->n + n + 1) * 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

/* Bytes that end a domain in a From field (RFC 5322 specials, blanks). */
static bool
domain_end(unsigned char ch)
{
	return ch == '>' || ch == ',' || ch == ';' || ch == '(' || ch == ')' || ch == '"' ||
	    ch == '<' || ch == '@' || ch == ':' || ch == ' ' || ch == '\t' || ch == '\r' ||
	    ch == '\n';
}

/* Convert the domain d[0..n) (8-bit) and append its A-labels. */
static int
add_alabels(struct sbuf *b, const char *d, size_t n, const char **why)
{
	char a[DMARC_IDN_DOMAIN_MAX + 1];

	if (n > DMARC_IDN_DOMAIN_MAX) {
		*why = "internationalized From domain too long";
		return -1;
	}
	if (mk_idn_alabels(d, n, a, sizeof(a), why) == -1) {
		*why = "From domain is not a valid internationalized domain name";
		return -1;
	}
	if (sb_add(b, a, strlen(a)) == -1) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

/* The domain after the '@' at buf[i - 1]: its end, and whether it is 8-bit. */
static size_t
domain_span(const char *buf, size_t len, size_t i, bool *eight)
{
	size_t j;

	*eight = false;
	for (j = i; j < len && !domain_end((unsigned char)buf[j]); j++)
		if ((unsigned char)buf[j] >= 0x80)
			*eight = true;
	return j;
}

/* Whether buf[0..i) ends with the name of a parameter whose value may be a
 * bare domain: the envelope's (A-R smtp.mailfrom=, Received-SPF
 * envelope-from=) or a DKIM signature's d= (A-R header.d=, which a
 * verifier writes as the signature has it: U-labels in RFC 8616 mail). */
static bool
domain_param(const char *buf, size_t i)
{
	static const char *const names[] = { "smtp.mailfrom", "envelope-from", "header.d" };
	size_t k, n;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		n = strlen(names[k]);
		if (i >= n && strncasecmp(buf + i - n, names[k], n) == 0 &&
		    (i == n || strchr(" \t\r\n;", buf[i - n - 1]) != NULL))
			return true;
	}
	return false;
}

/* After "name=" at buf[i - 1]: a bare 8-bit domain value (no '@' in it) is
 * converted; *i moves past what was appended.  0 / -1 with why. */
static int
bare_domain(struct sbuf *b, const char *buf, size_t len, size_t *i, bool *changed,
    const char **why)
{
	size_t j;
	bool eight;

	j = domain_span(buf, len, *i, &eight);
	if ((j < len && buf[j] == '@') || !eight)
		return 0;	/* a local part (the '@' branch converts), or ASCII */
	if (add_alabels(b, buf + *i, j - *i, why) == -1)
		return -1;
	*changed = true;
	*i = j;
	return 0;
}

static char *
alabels(const char *buf, size_t len, bool params, bool *changed, const char **why)
{
	struct sbuf b = { NULL, 0, 0 };
	size_t i = 0, j, depth = 0;
	bool quoted = false, eight;

	*changed = false;
	if (memchr(buf, '\0', len) != NULL) {
		*why = "NUL byte in the From field";
		return NULL;
	}
	if (sb_add(&b, "", 0) == -1)
		goto oom;
	while (i < len) {
		unsigned char ch = (unsigned char)buf[i];
		size_t n = 1;

		if (ch == '\\' && (quoted || depth > 0) && i + 1 < len)
			n = 2;
		else if (quoted)
			quoted = ch != '"';
		else if (depth > 0)
			depth += ch == '(' ? 1 : ch == ')' ? (size_t)-1 : 0;
		else if (ch == '"')
			quoted = true;
		else if (ch == '(')
			depth = 1;
		else if (ch == '@') {
			if (sb_add(&b, "@", 1) == -1)
				goto oom;
			j = domain_span(buf, len, i + 1, &eight);
			if (eight) {
				if (add_alabels(&b, buf + i + 1, j - i - 1, why) == -1)
					goto fail;
				*changed = true;
			} else if (sb_add(&b, buf + i + 1, j - i - 1) == -1)
				goto oom;
			i = j;
			continue;
		} else if (ch == '=' && params && domain_param(buf, i)) {
			if (sb_add(&b, "=", 1) == -1)
				goto oom;
			i++;
			if (bare_domain(&b, buf, len, &i, changed, why) == -1)
				goto fail;
			continue;
		}
		if (sb_add(&b, buf + i, n) == -1)
			goto oom;
		i += n;
	}
	return b.p;
oom:
	*why = "out of memory";
fail:
	free(b.p);
	return NULL;
}

char *
dmarc_from_alabels(const char *buf, size_t len, bool *changed, const char **why)
{
	return alabels(buf, len, false, changed, why);
}

char *
dmarc_authres_alabels(const char *buf, size_t len, bool *changed, const char **why)
{
	return alabels(buf, len, true, changed, why);
}
