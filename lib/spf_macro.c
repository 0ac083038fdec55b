/*
 * lib/spf_macro.c: RFC 7208 section 7 macros.
 *
 *   macro-string = *( macro-expand / macro-literal )
 *   macro-expand = ( "%{" macro-letter transformers *delimiter "}" )
 *                  / "%%" / "%_" / "%-"
 *   macro-literal = %x21-24 / %x26-7E
 *   transformers = *DIGIT [ "r" ]        (a DIGIT value must be nonzero)
 *   delimiter = "." / "-" / "+" / "," / "/" / "_" / "="
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "spf_macro.h"

#define MACRO_PARTS_MAX 128	/* parts kept after splitting on delimiters */

struct macro_spec {
	char letter;		/* lower case */
	bool upper;		/* URL-escape the result */
	unsigned digits;	/* 0 = all */
	bool reverse;
	char delims[8];		/* "" = "." */
};

static bool
macro_is_delim(char c)
{
	return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

/* Parse "%{...}" starting at s[0] == '%', s[1] == '{'. Returns the length
 * consumed or 0 on a syntax error. */
static size_t
macro_parse_brace(const char *s, size_t len, bool exp_ctx, struct macro_spec *m)
{
	size_t i = 2, nd = 0;
	unsigned long v = 0;
	bool have_digits = false;
	char c;

	memset(m, 0, sizeof(*m));
	if (i >= len)
		return 0;
	c = s[i++];
	m->upper = isupper((unsigned char)c) != 0;
	m->letter = (char)tolower((unsigned char)c);
	if (strchr("slodiphv", m->letter) == NULL &&
	    !(exp_ctx && strchr("crt", m->letter) != NULL))
		return 0;
	while (i < len && isdigit((unsigned char)s[i])) {
		have_digits = true;
		v = v * 10 + (unsigned long)(s[i++] - '0');
		if (v > 255)	/* plenty: a domain has at most 127 labels */
			v = 255;
	}
	if (have_digits && v == 0)
		return 0;
	m->digits = (unsigned)v;
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		m->reverse = true;
		i++;
	}
	while (i < len && macro_is_delim(s[i])) {
		if (nd + 1 < sizeof(m->delims) && strchr(m->delims, s[i]) == NULL)
			m->delims[nd++] = s[i];
		i++;
	}
	if (i >= len || s[i] != '}')
		return 0;
	return i + 1;
}

int
mk_spf_macro_check(const char *s, size_t len, bool exp_ctx)
{
	size_t i = 0, n;
	struct macro_spec m;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 1 >= len)
				return -1;
			if (s[i + 1] == '%' || s[i + 1] == '_' || s[i + 1] == '-') {
				i += 2;
				continue;
			}
			if (s[i + 1] != '{')
				return -1;
			n = macro_parse_brace(s + i, len - i, exp_ctx, &m);
			if (n == 0)
				return -1;
			i += n;
			continue;
		}
		/* exp text may hold spaces; a domain-spec may not */
		if (!(c >= 0x21 && c <= 0x7e) && !(exp_ctx && c == ' '))
			return -1;
		i++;
	}
	return 0;
}

bool
mk_spf_macro_uses_p(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 2 < len; i++) {
		if (s[i] == '%' && s[i + 1] == '%') {
			i++;
			continue;
		}
		if (s[i] == '%' && s[i + 1] == '{' && (s[i + 2] == 'p' || s[i + 2] == 'P'))
			return true;
	}
	return false;
}

struct outbuf {
	char *p;
	size_t n, size;
	bool overflow;
};

static void
out_putc(struct outbuf *o, char c)
{
	if (o->n + 1 >= o->size) {
		o->overflow = true;
		return;
	}
	o->p[o->n++] = c;
}

static void
out_puts(struct outbuf *o, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		out_putc(o, s[i]);
}

/* RFC 3986 unreserved characters are kept, everything else %HH. */
static void
out_put_escaped(struct outbuf *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			out_putc(o, (char)c);
		} else {
			out_putc(o, '%');
			out_putc(o, hex[c >> 4]);
			out_putc(o, hex[c & 15]);
		}
	}
}

/* The raw value of a macro letter into buf. */
static void
macro_value(const struct mk_spf_macro_env *env, char letter, char *buf, size_t bufsz)
{
	const unsigned char *b;
	size_t i, n = 0;

	switch (letter) {
	case 's':
		snprintf(buf, bufsz, "%s@%s", env->local, env->odomain);
		break;
	case 'l': snprintf(buf, bufsz, "%s", env->local); break;
	case 'o': snprintf(buf, bufsz, "%s", env->odomain); break;
	case 'd': snprintf(buf, bufsz, "%s", env->domain); break;
	case 'h': snprintf(buf, bufsz, "%s", env->helo); break;
	case 'p': snprintf(buf, bufsz, "%s", env->ptr ? env->ptr : "unknown"); break;
	case 'r': snprintf(buf, bufsz, "%s", env->receiver ? env->receiver : "unknown"); break;
	case 'c': snprintf(buf, bufsz, "%s", env->client); break;
	case 't': snprintf(buf, bufsz, "%lld", (long long)env->now); break;
	case 'v': snprintf(buf, bufsz, "%s", env->family == AF_INET6 ? "ip6" : "in-addr"); break;
	case 'i':
		if (env->family != AF_INET6) {
			inet_ntop(AF_INET, &env->ip4, buf, (socklen_t)bufsz);
			break;
		}
		b = env->ip6.s6_addr;
		for (i = 0; i < 16 && n + 4 < bufsz; i++) {
			n += (size_t)snprintf(buf + n, bufsz - n,
			    env->upper_hex ? "%X.%X%s" : "%x.%x%s", b[i] >> 4, b[i] & 15,
			    i < 15 ? "." : "");
		}
		break;
	default:
		buf[0] = '\0';
	}
}

/* Apply transformers to value and append it. */
static void
macro_apply(struct outbuf *o, const struct macro_spec *m, char *value)
{
	char *parts[MACRO_PARTS_MAX];
	size_t np = 0, first, i;
	const char *delims = m->delims[0] ? m->delims : ".";
	char *p = value, tmp[MK_SPF_MACRO_OUT_MAX];
	struct outbuf t = { tmp, 0, sizeof(tmp), false };

	parts[np++] = p;
	for (; *p != '\0'; p++) {
		if (strchr(delims, *p) != NULL) {
			*p = '\0';
			if (np < MACRO_PARTS_MAX)
				parts[np++] = p + 1;
		}
	}
	if (m->reverse) {
		for (i = 0; i < np / 2; i++) {
			char *x = parts[i];
			parts[i] = parts[np - 1 - i];
			parts[np - 1 - i] = x;
		}
	}
	first = (m->digits && m->digits < np) ? np - m->digits : 0;
	for (i = first; i < np; i++) {
		if (i > first)
			out_putc(&t, '.');
		out_puts(&t, parts[i], strlen(parts[i]));
	}
	tmp[t.n] = '\0';
	if (m->upper)
		out_put_escaped(o, tmp, t.n);
	else
		out_puts(o, tmp, t.n);
	if (t.overflow)
		o->overflow = true;
}

int
mk_spf_macro_expand(const char *s, size_t len, const struct mk_spf_macro_env *env,
    bool exp_ctx, char *out, size_t outsz)
{
	struct outbuf o = { out, 0, outsz, false };
	char value[MK_SPF_MACRO_OUT_MAX];
	struct macro_spec m;
	size_t i = 0, n;

	if (outsz == 0)
		return -1;
	while (i < len) {
		if (s[i] != '%') {
			out_putc(&o, s[i++]);
			continue;
		}
		if (i + 1 >= len)
			return -1;
		switch (s[i + 1]) {
		case '%': out_putc(&o, '%'); i += 2; continue;
		case '_': out_putc(&o, ' '); i += 2; continue;
		case '-': out_puts(&o, "%20", 3); i += 2; continue;
		case '{': break;
		default: return -1;
		}
		n = macro_parse_brace(s + i, len - i, exp_ctx, &m);
		if (n == 0)
			return -1;
		macro_value(env, m.letter, value, sizeof(value));
		macro_apply(&o, &m, value);
		i += n;
	}
	out[o.n] = '\0';
	return o.overflow ? -1 : 0;
}
