/*
 * lib/addr.c: mail addresses (RFC 5321 paths, domains, RFC 5322 From).
 *
 * Everything here is a pure function of its input: no I/O, no logging, no
 * allocation.  Results go to the fixed-size fields of struct mk_addr; a
 * failure returns -1 with a static reason in *why.
 *
 * Local parts may hold UTF-8 (RFC 6531/6532) and are checked to be valid
 * UTF-8; domains are LDH only, so an IDN must arrive as A-labels.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "utf8.h"

#define MK_DOMAIN_NAME_MAX 253	/* RFC 1035 2.3.4 (255 on the wire) */
#define MK_DOMAIN_LABEL_MAX 63	/* RFC 1035 2.3.4 */
#define MK_ADDR_LITERAL_MAX 64	/* "[IPv6:" + longest IPv6 text + "]" fits */

/* ---------------------------------------------------------------------- */
/* Character classes                                                      */

/* Length of the valid UTF-8 sequence at s (1..4), 0 if invalid: no
 * overlong forms, surrogates, C1 controls or anything above U+10FFFF
 * (lib/utf8.h, RFC 3629). */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	enum mk_utf8_err err;

	if (n == 0)
		return 0;
	return s[0] < 0x80 ? 1 : mk_utf8_seq(s, n, &err);
}

/* RFC 5322 3.2.3 atext (ASCII part). */
static bool
is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static unsigned char
ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool
ascii_caseeq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* ---------------------------------------------------------------------- */
/* Domains                                                                */

/* "[1.2.3.4]" or "[IPv6:...]" (RFC 5321 4.1.3), lower-cased as written. */
static int
domain_literal(const char *in, size_t len, char *out, size_t outsz, const char **why)
{
	char tmp[MK_ADDR_LITERAL_MAX];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *body;
	size_t blen, i;
	int af = AF_INET;

	if (len < 2 || in[len - 1] != ']') {
		*why = "unterminated address literal";
		return -1;
	}
	body = in + 1;
	blen = len - 2;
	if (blen >= 5 && ascii_caseeq(body, "IPv6:", 5)) {
		af = AF_INET6;
		body += 5;
		blen -= 5;
	}
	/* inet_pton() wants a C string: refuse NULs rather than truncate. */
	if (blen == 0 || blen >= sizeof(tmp) || memchr(body, '\0', blen) != NULL) {
		*why = "bad address literal";
		return -1;
	}
	memcpy(tmp, body, blen);
	tmp[blen] = '\0';
	if (inet_pton(af, tmp, bin) != 1) {
		*why = af == AF_INET6 ? "bad IPv6 address literal" : "bad address literal";
		return -1;
	}
	if (len + 1 > outsz) {
		*why = "output buffer too small";
		return -1;
	}
	for (i = 0; i < len; i++)
		out[i] = (char)ascii_lower((unsigned char)in[i]);
	out[len] = '\0';
	return 0;
}

/* Check one byte of an LDH name; lab is the length of the label so far. */
static int
domain_byte(const char *in, size_t i, size_t lab, const char **why)
{
	unsigned char c = (unsigned char)in[i];

	if (c == '.') {
		if (lab == 0) {
			*why = "empty label in domain";
			return -1;
		}
		if (in[i - 1] == '-') {
			*why = "label ends with hyphen";
			return -1;
		}
		return 0;
	}
	if (c >= 0x80) {
		*why = "8-bit character in domain";
		return -1;
	}
	if (c == '-' && lab == 0) {
		*why = "label starts with hyphen";
		return -1;
	}
	if (c != '-' && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))) {
		*why = "invalid character in domain";
		return -1;
	}
	if (lab + 1 > MK_DOMAIN_LABEL_MAX) {
		*why = "label too long";
		return -1;
	}
	return 0;
}

int
mk_domain_normalize(const char *in, size_t len, char *out, size_t outsz, const char **why)
{
	size_t i, lab = 0;

	if (out == NULL || outsz == 0) {
		*why = "output buffer too small";
		return -1;
	}
	out[0] = '\0';
	if (len > 0 && in[0] == '[')
		return domain_literal(in, len, out, outsz, why);
	if (len > 0 && in[len - 1] == '.')
		len--;		/* one trailing dot: the root */
	if (len == 0) {
		*why = "empty domain";
		return -1;
	}
	if (len > MK_DOMAIN_NAME_MAX) {
		*why = "domain too long";
		return -1;
	}
	if (len + 1 > outsz) {
		*why = "output buffer too small";
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (domain_byte(in, i, lab, why) == -1) {
			out[0] = '\0';
			return -1;
		}
		lab = in[i] == '.' ? 0 : lab + 1;
		out[i] = (char)ascii_lower((unsigned char)in[i]);
	}
	if (lab == 0 || in[len - 1] == '-') {
		out[0] = '\0';
		*why = lab == 0 ? "empty label in domain" : "label ends with hyphen";
		return -1;
	}
	out[len] = '\0';
	return 0;
}

bool
mk_domain_is_valid(const char *in, size_t len)
{
	char tmp[MK_ADDR_DOMAIN_MAX + 1];
	const char *why;

	return mk_domain_normalize(in, len, tmp, sizeof(tmp), &why) == 0;
}

bool
mk_domain_equal(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
			return false;
	return *a == *b;
}

int
mk_addr_format(const struct mk_addr *a, char *out, size_t outsz)
{
	size_t ll = strlen(a->local), dl = strlen(a->domain);
	size_t need = ll + (dl > 0 ? 1 + dl : 0) + 1;

	if (out == NULL || outsz < need)
		return -1;
	memcpy(out, a->local, ll);
	if (dl > 0) {
		out[ll] = '@';
		memcpy(out + ll + 1, a->domain, dl);
	}
	out[need - 1] = '\0';
	return 0;
}

/* ---------------------------------------------------------------------- */
/* RFC 5321 paths                                                         */

/* Quoted-string (4.1.2) at buf[*ip] == '"', copied with its quotes. */
static int
path_quoted(const char *buf, size_t len, size_t *ip, char *out, size_t *np, const char **why)
{
	size_t i = *ip + 1, n = 1, seq;
	unsigned char c;

	out[0] = '"';
	for (;;) {
		if (i >= len) {
			*why = "unterminated quoted string";
			return -1;
		}
		c = (unsigned char)buf[i];
		seq = 1;
		if (c == '\\') {
			if (i + 1 >= len) {
				*why = "unterminated quoted string";
				return -1;
			}
			if (buf[i + 1] < 32 || buf[i + 1] > 126) {
				*why = "bad quoted-pair";
				return -1;
			}
			seq = 2;
		} else if (c >= 0x80) {
			if ((seq = utf8_seq((const unsigned char *)buf + i, len - i)) == 0) {
				*why = "invalid UTF-8 in local part";
				return -1;
			}
		} else if (is_ctl(c)) {
			*why = "control character in quoted string";
			return -1;
		}
		if (n + seq > MK_ADDR_LOCAL_MAX) {
			*why = "local part too long";
			return -1;
		}
		memcpy(out + n, buf + i, seq);
		n += seq;
		i += seq;
		if (c == '"')
			break;
	}
	out[n] = '\0';
	*ip = i;
	*np = n;
	return 0;
}

/* Dot-string (4.1.2) with UTF-8 atext (RFC 6531 3.3); stops at the first
 * byte that cannot continue it. */
static int
path_dotstring(const char *buf, size_t len, size_t *ip, char *out, size_t *np, const char **why)
{
	size_t i = *ip, n = 0, seq;
	unsigned char c;

	while (i < len) {
		c = (unsigned char)buf[i];
		seq = 1;
		if (c == '.') {
			if (n == 0 || out[n - 1] == '.') {
				*why = "bad dot in local part";
				return -1;
			}
		} else if (c >= 0x80) {
			if ((seq = utf8_seq((const unsigned char *)buf + i, len - i)) == 0) {
				*why = "invalid UTF-8 in local part";
				return -1;
			}
		} else if (!is_atext(c))
			break;
		if (n + seq > MK_ADDR_LOCAL_MAX) {
			*why = "local part too long";
			return -1;
		}
		memcpy(out + n, buf + i, seq);
		n += seq;
		i += seq;
	}
	if (n > 0 && out[n - 1] == '.') {
		*why = "bad dot in local part";
		return -1;
	}
	out[n] = '\0';
	*ip = i;
	*np = n;
	return 0;
}

/* Why the local part stopped at buf[i] when an '@' was wanted. */
static const char *
path_local_stop(const char *buf, size_t len, size_t i, size_t n)
{
	unsigned char c;

	if (i >= len)
		return n == 0 ? "empty local part" : "missing @";
	c = (unsigned char)buf[i];
	if (c == '@')
		return "empty local part";
	if (c == '>')
		return n == 0 ? "empty local part" : "missing @";
	if (c == '<')
		return "unbalanced angle brackets";
	if (c == ' ' || c == '\t' || is_ctl(c))
		return "whitespace or control character in path";
	return "invalid character in local part";
}

/* The domain after '@': up to '>', blank or the end. *ip is left on the
 * byte after the domain. */
static int
path_domain(const char *buf, size_t len, size_t *ip, char *out, const char **why)
{
	size_t i = *ip, j = i;

	while (j < len && buf[j] != '>' && buf[j] != ' ' && buf[j] != '\t') {
		if (buf[j] == '@') {
			*why = "more than one @";
			return -1;
		}
		if (j - i >= MK_ADDR_DOMAIN_MAX) {
			*why = "domain too long";
			return -1;
		}
		j++;
	}
	if (mk_domain_normalize(buf + i, j - i, out, MK_ADDR_DOMAIN_MAX + 1, why) == -1)
		return -1;
	*ip = j;
	return 0;
}

static bool
local_is_postmaster(const char *local)
{
	return strlen(local) == 10 && ascii_caseeq(local, "postmaster", 10);
}

/* local-part [ "@" domain ] at buf[*ip]. */
static int
path_mailbox(const char *buf, size_t len, size_t *ip, unsigned flags, bool bracketed,
    struct mk_addr *a, const char **why)
{
	size_t i = *ip, n;
	int rc;

	if (i < len && buf[i] == '"')
		rc = path_quoted(buf, len, &i, a->local, &n, why);
	else
		rc = path_dotstring(buf, len, &i, a->local, &n, why);
	if (rc == -1)
		return -1;
	if (n > 0 && i < len && buf[i] == '@') {
		i++;
		if (path_domain(buf, len, &i, a->domain, why) == -1)
			return -1;
	} else if (n > 0 && (flags & MK_PATH_NO_DOMAIN) && local_is_postmaster(a->local) &&
	    ((bracketed && i < len && buf[i] == '>') ||
	    (!bracketed && (i == len || buf[i] == ' ' || buf[i] == '\t')))) {
		a->domain[0] = '\0';
	} else {
		*why = path_local_stop(buf, len, i, n);
		return -1;
	}
	*ip = i;
	return 0;
}

int
mk_path_parse(const char *buf, size_t len, unsigned flags, struct mk_path *out,
    size_t *end, const char **why)
{
	size_t i = 0, start;
	bool bracketed = false;

	memset(out, 0, sizeof(*out));
	*end = 0;
	while (i < len && buf[i] == ' ')
		i++;
	start = i;
	if (i == len && (flags & MK_PATH_LAX)) {
		out->null = true;	/* "sender=" in a policy request */
		*end = i;
		return 0;
	}
	if (i == len) {
		*why = "empty path";
		return -1;
	}
	if (buf[i] == '<') {
		bracketed = true;
		i++;
		if (i < len && buf[i] == '>') {
			out->null = true;
			*end = i + 1;
			return 0;
		}
		if (i < len && buf[i] == '@') {
			*why = "source route not allowed";
			return -1;
		}
	} else if (!(flags & MK_PATH_LAX)) {
		*why = "missing <";
		return -1;
	}
	if (path_mailbox(buf, len, &i, flags, bracketed, &out->addr, why) == -1)
		goto fail;
	if (bracketed) {
		if (i >= len || buf[i] != '>') {
			*why = i >= len ? "unbalanced angle brackets" :
			    "whitespace or control character in path";
			goto fail;
		}
		i++;
	} else if (i < len && buf[i] == '>') {
		*why = "unbalanced angle brackets";
		goto fail;
	}
	if (i - start > MK_ADDR_PATH_MAX) {
		*why = "path too long";
		goto fail;
	}
	*end = i;
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return -1;
}

/* ---------------------------------------------------------------------- */
/* RFC 5322 lexer: tokens with CFWS skipped                               */

enum tok_type {
	TOK_END,
	TOK_ERR,
	TOK_ATOM,	/* 1*atext, 8-bit allowed */
	TOK_QSTR,	/* quoted-string, quotes included */
	TOK_DLIT,	/* domain-literal, brackets included */
	TOK_SPECIAL,	/* one of < > @ , ; : . */
};

struct tok {
	enum tok_type type;
	char c;			/* TOK_SPECIAL */
	size_t start, len;	/* raw span in the buffer */
	bool bad_utf8;		/* 8-bit bytes that are not UTF-8 */
};

struct lex {
	const char *buf;
	size_t len;
	size_t pos;
	const char *why;
};

/* CRLF or LF at pos: folding when WSP follows, the end of the value when
 * nothing follows; anything else is a bare line break (an error). */
static int
lex_newline(struct lex *lx, size_t *ip)
{
	size_t i = *ip;

	if (lx->buf[i] == '\r') {
		if (i + 1 >= lx->len || lx->buf[i + 1] != '\n') {
			lx->why = "bare CR";
			return -1;
		}
		i++;
	}
	i++;
	if (i < lx->len && lx->buf[i] != ' ' && lx->buf[i] != '\t') {
		lx->why = "line break not followed by whitespace";
		return -1;
	}
	*ip = i;
	return 0;
}

/* A comment, nested, with quoted-pairs (RFC 5322 3.2.2). */
static int
lex_comment(struct lex *lx)
{
	size_t i = lx->pos + 1, depth = 1;
	unsigned char c;

	while (depth > 0) {
		if (i >= lx->len) {
			lx->why = "unterminated comment";
			return -1;
		}
		c = (unsigned char)lx->buf[i];
		if (c == '(')
			depth++;
		else if (c == ')')
			depth--;
		else if (c == '\\') {
			if (i + 1 >= lx->len) {
				lx->why = "unterminated comment";
				return -1;
			}
			c = (unsigned char)lx->buf[i + 1];
			if (is_ctl(c) && c != '\t') {
				lx->why = "bad quoted-pair";
				return -1;
			}
			i++;
		} else if (c == '\r' || c == '\n') {
			if (lex_newline(lx, &i) == -1)
				return -1;
			continue;
		} else if (is_ctl(c) && c != '\t') {
			lx->why = "control character in comment";
			return -1;
		}
		i++;
	}
	lx->pos = i;
	return 0;
}

static int
lex_cfws(struct lex *lx)
{
	unsigned char c;

	while (lx->pos < lx->len) {
		c = (unsigned char)lx->buf[lx->pos];
		if (c == ' ' || c == '\t')
			lx->pos++;
		else if (c == '\r' || c == '\n') {
			if (lex_newline(lx, &lx->pos) == -1)
				return -1;
		} else if (c == '(') {
			if (lex_comment(lx) == -1)
				return -1;
		} else
			break;
	}
	return 0;
}

/* 8-bit byte at i inside an atom or quoted string: step over it, noting
 * whether it is UTF-8 (display names in Latin-1 are common and harmless;
 * local parts must be UTF-8). */
static size_t
lex_8bit(struct lex *lx, size_t i, struct tok *t)
{
	size_t seq = utf8_seq((const unsigned char *)lx->buf + i, lx->len - i);

	if (seq == 0) {
		t->bad_utf8 = true;
		seq = 1;
	}
	return seq;
}

static int
lex_quoted(struct lex *lx, struct tok *t)
{
	size_t i = lx->pos + 1;
	unsigned char c;

	for (;;) {
		if (i >= lx->len) {
			lx->why = "unterminated quoted string";
			return -1;
		}
		c = (unsigned char)lx->buf[i];
		if (c == '"')
			break;
		if (c == '\\') {
			if (i + 1 >= lx->len) {
				lx->why = "unterminated quoted string";
				return -1;
			}
			c = (unsigned char)lx->buf[i + 1];
			if (is_ctl(c) && c != '\t') {
				lx->why = "bad quoted-pair";
				return -1;
			}
			i++;
			if (c >= 0x80)
				continue;	/* checked as UTF-8 next round */
			i++;
		} else if (c == '\r' || c == '\n') {
			if (lex_newline(lx, &i) == -1)
				return -1;
		} else if (c >= 0x80)
			i += lex_8bit(lx, i, t);
		else if (is_ctl(c) && c != '\t') {
			lx->why = "control character in quoted string";
			return -1;
		} else
			i++;
	}
	t->type = TOK_QSTR;
	t->len = i + 1 - lx->pos;
	lx->pos = i + 1;
	return 0;
}

static int
lex_dliteral(struct lex *lx, struct tok *t)
{
	size_t i = lx->pos + 1;
	unsigned char c;

	for (;;) {
		if (i >= lx->len) {
			lx->why = "unterminated domain literal";
			return -1;
		}
		c = (unsigned char)lx->buf[i];
		if (c == ']')
			break;
		if (c == '\r' || c == '\n') {
			if (lex_newline(lx, &i) == -1)
				return -1;
			continue;
		}
		if (c == '[' || c == '\\' || c >= 0x80 || (is_ctl(c) && c != '\t')) {
			lx->why = "bad domain literal";
			return -1;
		}
		i++;
	}
	t->type = TOK_DLIT;
	t->len = i + 1 - lx->pos;
	lx->pos = i + 1;
	return 0;
}

static void
lex_atom(struct lex *lx, struct tok *t)
{
	size_t i = lx->pos;
	unsigned char c;

	while (i < lx->len) {
		c = (unsigned char)lx->buf[i];
		if (c >= 0x80)
			i += lex_8bit(lx, i, t);
		else if (is_atext(c))
			i++;
		else
			break;
	}
	t->type = TOK_ATOM;
	t->len = i - lx->pos;
	lx->pos = i;
}

/* The next token after CFWS; TOK_ERR with lx->why on a lexical error. */
static struct tok
lex_next(struct lex *lx)
{
	struct tok t = { TOK_END, 0, 0, 0, false };
	unsigned char c;
	int rc = 0;

	if (lex_cfws(lx) == -1)
		goto err;
	t.start = lx->pos;
	if (lx->pos >= lx->len)
		return t;
	c = (unsigned char)lx->buf[lx->pos];
	if (c == '"')
		rc = lex_quoted(lx, &t);
	else if (c == '[')
		rc = lex_dliteral(lx, &t);
	else if (c >= 0x80 || is_atext(c))
		lex_atom(lx, &t);
	else if (c != '\0' && strchr("<>@,;:.", c) != NULL) {
		t.type = TOK_SPECIAL;
		t.c = (char)c;
		t.len = 1;
		lx->pos++;
	} else {
		lx->why = c == ')' ? "unbalanced parenthesis" :
		    c == ']' ? "unbalanced square bracket" :
		    c == '\\' ? "stray backslash" : "control character";
		goto err;
	}
	if (rc == 0)
		return t;
err:
	t.type = TOK_ERR;
	return t;
}

static struct tok
lex_peek(struct lex *lx)
{
	size_t pos = lx->pos;
	struct tok t = lex_next(lx);

	lx->pos = pos;
	return t;
}

static bool
tok_is(const struct tok *t, char c)
{
	return t->type == TOK_SPECIAL && t->c == c;
}

/* ---------------------------------------------------------------------- */
/* RFC 5322 From: address-list                                            */

/* Append the raw bytes of t to dst (size dstsz, *n used), dropping line
 * breaks (unfolding) and, if strip_wsp, blanks. */
static int
tok_append(const struct lex *lx, const struct tok *t, bool strip_wsp, char *dst,
    size_t dstsz, size_t *n)
{
	size_t i;
	char c;

	for (i = t->start; i < t->start + t->len; i++) {
		c = lx->buf[i];
		if (c == '\r' || c == '\n' || (strip_wsp && (c == ' ' || c == '\t')))
			continue;
		if (*n + 1 >= dstsz)
			return -1;
		dst[(*n)++] = c;
	}
	dst[*n] = '\0';
	return 0;
}

/* local-part "@" (obs-local-part: words and dots with CFWS between). */
static int
from_local(struct lex *lx, struct mk_addr *a)
{
	struct tok t;
	size_t n = 0;
	bool want_word = true;

	for (;;) {
		t = lex_next(lx);
		if (t.type == TOK_ERR)
			return -1;
		if (!want_word && tok_is(&t, '@'))
			return 0;
		if (want_word && (t.type == TOK_ATOM || t.type == TOK_QSTR)) {
			if (t.bad_utf8) {
				lx->why = "invalid UTF-8 in local part";
				return -1;
			}
			if (tok_append(lx, &t, false, a->local, sizeof(a->local), &n) == -1) {
				lx->why = "local part too long";
				return -1;
			}
			want_word = false;
		} else if (!want_word && tok_is(&t, '.')) {
			if (n + 1 >= sizeof(a->local)) {
				lx->why = "local part too long";
				return -1;
			}
			a->local[n++] = '.';
			a->local[n] = '\0';
			want_word = true;
		} else {
			if (tok_is(&t, '.') || (want_word && n > 0))
				lx->why = "bad dot in local part";
			else if (n == 0)
				lx->why = "empty local part";
			else
				lx->why = "bad local part";
			return -1;
		}
	}
}

/* domain (dot-atom, obs-domain or domain-literal) into out, normalised. */
static int
from_domain(struct lex *lx, char *out)
{
	char raw[MK_ADDR_DOMAIN_MAX + 2];
	struct tok t;
	size_t n = 0;

	raw[0] = '\0';
	t = lex_next(lx);
	if (t.type == TOK_ERR)
		return -1;
	if (t.type == TOK_DLIT) {
		if (tok_append(lx, &t, true, raw, sizeof(raw), &n) == -1)
			goto toolong;
	} else if (t.type == TOK_ATOM) {
		for (;;) {
			if (tok_append(lx, &t, false, raw, sizeof(raw), &n) == -1)
				goto toolong;
			t = lex_peek(lx);
			if (!tok_is(&t, '.'))
				break;
			(void)lex_next(lx);
			if (n + 1 >= sizeof(raw))
				goto toolong;
			raw[n++] = '.';
			raw[n] = '\0';
			t = lex_peek(lx);
			if (tok_is(&t, '.')) {
				lx->why = "empty label in domain";
				return -1;
			}
			if (t.type != TOK_ATOM)
				break;	/* trailing dot */
			t = lex_next(lx);
		}
	} else {
		lx->why = "missing domain";
		return -1;
	}
	return mk_domain_normalize(raw, n, out, MK_ADDR_DOMAIN_MAX + 1, &lx->why);
toolong:
	lx->why = "domain too long";
	return -1;
}

/* obs-route before an addr-spec in an angle-addr: "@a,@b:" (RFC 5322
 * 4.4); parsed, checked and dropped. */
static int
from_route(struct lex *lx)
{
	char dom[MK_ADDR_DOMAIN_MAX + 1];
	struct tok t;

	for (;;) {
		t = lex_next(lx);
		if (t.type == TOK_ERR)
			return -1;
		if (tok_is(&t, ','))
			continue;
		if (tok_is(&t, ':'))
			return 0;
		if (!tok_is(&t, '@')) {
			lx->why = "bad route in angle address";
			return -1;
		}
		if (from_domain(lx, dom) == -1)
			return -1;
	}
}

static int
from_addr_spec(struct lex *lx, struct mk_addr *a)
{
	if (from_local(lx, a) == -1)
		return -1;
	return from_domain(lx, a->domain);
}

/* [display-name] "<" [obs-route] addr-spec ">"; the display name was
 * checked by from_classify(). */
static int
from_name_addr(struct lex *lx, struct mk_addr *a)
{
	struct tok t;

	do {
		t = lex_next(lx);	/* the display name, checked already */
	} while (t.type != TOK_END && !tok_is(&t, '<'));
	t = lex_peek(lx);
	if (t.type == TOK_ERR)
		return -1;
	if (tok_is(&t, '>')) {
		lx->why = "empty angle address";
		return -1;
	}
	if ((tok_is(&t, '@') || tok_is(&t, ',')) && from_route(lx) == -1)
		return -1;
	if (from_addr_spec(lx, a) == -1)
		return -1;
	t = lex_next(lx);
	if (t.type == TOK_ERR)
		return -1;
	if (!tok_is(&t, '>')) {
		lx->why = t.type == TOK_END ? "unbalanced angle brackets" :
		    "unexpected text in angle address";
		return -1;
	}
	return 0;
}

/* Look ahead (without consuming) for the token that decides what the next
 * address is: '<' name-addr, '@' addr-spec, ':' group; anything else is an
 * error.  Tokens before it must form a phrase (words and dots); *words
 * counts them. */
static int
from_classify(struct lex *lx, char *kind, size_t *words)
{
	size_t pos = lx->pos;
	struct tok t;
	int rc = -1;

	*words = 0;
	for (;;) {
		t = lex_next(lx);
		if (t.type == TOK_ERR)
			break;
		if (t.type == TOK_ATOM || t.type == TOK_QSTR) {
			(*words)++;
			continue;
		}
		if (tok_is(&t, '.'))
			continue;
		if (t.type == TOK_DLIT)
			lx->why = "unexpected domain literal";
		else if (tok_is(&t, '<') || tok_is(&t, '@') || tok_is(&t, ':')) {
			*kind = t.c;
			rc = 0;
		} else if (tok_is(&t, '>'))
			lx->why = "unbalanced angle brackets";
		else
			lx->why = "address without @";
		break;
	}
	lx->pos = pos;
	return rc;
}

/* After an address: ',', ';' or the end (left for from_list()). */
static int
from_after(struct lex *lx)
{
	struct tok t = lex_peek(lx);

	if (t.type == TOK_ERR)
		return -1;
	if (t.type == TOK_END || tok_is(&t, ';') || tok_is(&t, ','))
		return 0;
	lx->why = "unexpected text after address";
	return -1;
}

/* One mailbox, or the start of a group.  *found is set when an address
 * was stored in a. */
static int
from_item(struct lex *lx, bool *in_group, struct mk_addr *a, bool *found)
{
	struct tok t;
	size_t words;
	char kind = 0;

	*found = false;
	if (from_classify(lx, &kind, &words) == -1)
		return -1;
	if (kind == ':') {
		if (*in_group) {
			lx->why = "nested group";
			return -1;
		}
		if (words == 0) {
			lx->why = "group without a name";
			return -1;
		}
		do {
			t = lex_next(lx);
		} while (t.type != TOK_END && !tok_is(&t, ':'));
		*in_group = true;
		return 0;
	}
	if (kind == '<') {
		if (from_name_addr(lx, a) == -1)
			return -1;
	} else if (from_addr_spec(lx, a) == -1)
		return -1;
	else {
		/* "john@x.com <john@x.com>": an unquoted address used as the
		 * display name, common in real mail. The angle-addr is the
		 * address (what DMARC and the signer must use). */
		t = lex_peek(lx);
		if (tok_is(&t, '<') && from_name_addr(lx, a) == -1)
			return -1;
	}
	*found = true;
	return from_after(lx);
}

static int
from_list(struct lex *lx, struct mk_from *out)
{
	struct mk_addr spare;
	struct tok t;
	bool in_group = false, found;

	for (;;) {
		t = lex_peek(lx);
		if (t.type == TOK_ERR)
			return -1;
		if (t.type == TOK_END)
			break;
		if (tok_is(&t, ',') || tok_is(&t, ';')) {
			if (tok_is(&t, ';') && !in_group) {
				lx->why = "unexpected ;";
				return -1;
			}
			if (tok_is(&t, ';'))
				in_group = false;
			(void)lex_next(lx);
			continue;
		}
		memset(&spare, 0, sizeof(spare));
		if (from_item(lx, &in_group, out->count < MK_FROM_ADDRS_MAX ?
		    &out->addr[out->count] : &spare, &found) == -1)
			return -1;
		if (found && out->count < MK_FROM_ADDRS_MAX)
			out->count++;
		else if (found)
			out->truncated = true;
	}
	if (in_group) {
		lx->why = "unterminated group";
		return -1;
	}
	return 0;
}

int
mk_from_parse(const char *buf, size_t len, struct mk_from *out, const char **why)
{
	struct lex lx = { buf, len, 0, NULL };

	memset(out, 0, sizeof(*out));
	if (len > MK_FROM_HEADER_MAX) {
		*why = "header too long";
		return -1;
	}
	if (from_list(&lx, out) == -1) {
		*why = lx.why != NULL ? lx.why : "syntax error";
		goto fail;
	}
	if (out->count == 0) {
		*why = "no address";
		goto fail;
	}
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return -1;
}
