/*
 * lib/spf_record.c: RFC 7208 record syntax.
 *
 *   record    = version terms *SP
 *   terms     = *( 1*SP ( directive / modifier ) )
 *   directive = [ qualifier ] mechanism
 *   modifier  = redirect / explanation / unknown-modifier
 *   unknown-modifier = name "=" macro-string
 *   name      = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
 *   domain-spec = macro-string domain-end
 *   domain-end  = ( "." toplabel [ "." ] ) / macro-expand
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "spf_macro.h"
#include "spf_record.h"

bool
mk_spf_record_is_spf1(const char *rec, size_t len)
{
	if (len < 6 || strncasecmp(rec, "v=spf1", 6) != 0)
		return false;
	return len == 6 || rec[6] == ' ';
}

/* toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool
record_toplabel_ok(const char *s, size_t len)
{
	size_t i;
	bool alpha = false, hyphen = false;

	if (len == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalpha(c))
			alpha = true;
		else if (c == '-')
			hyphen = true;
		else if (!isdigit(c))
			return false;
	}
	return alpha || hyphen;
}

/* Where the last macro-expand of a valid macro-string ends (0 if none). */
static size_t
record_last_macro_end(const char *s, size_t len)
{
	size_t i = 0, end = 0;

	while (i < len) {
		if (s[i] != '%') {
			i++;
			continue;
		}
		if (i + 1 < len && s[i + 1] == '{') {
			const char *close = memchr(s + i, '}', len - i);
			if (close == NULL)
				return end;
			i = (size_t)(close - s) + 1;
		} else {
			i += 2;
		}
		end = i;
	}
	return end;
}

static bool
record_domain_spec_ok(const char *s, size_t len)
{
	size_t mend, dot, tl;

	if (len == 0 || mk_spf_macro_check(s, len, false) == -1)
		return false;
	mend = record_last_macro_end(s, len);
	if (mend == len)
		return true;	/* ends with a macro-expand */
	tl = len;
	if (s[tl - 1] == '.')
		tl--;
	for (dot = tl; dot > mend && s[dot - 1] != '.'; dot--)
		;
	if (dot <= mend)
		return false;	/* no literal "." before the top label */
	return record_toplabel_ok(s + dot, tl - dot);
}

/* "/N" with N in [0, max], no leading zero. Returns bytes used or 0. */
static size_t
record_cidr(const char *s, size_t len, unsigned max, unsigned *out)
{
	size_t i = 1;
	unsigned v = 0;

	if (len < 2 || s[0] != '/' || !isdigit((unsigned char)s[1]))
		return 0;
	if (s[1] == '0' && len > 2 && isdigit((unsigned char)s[2]))
		return 0;
	while (i < len && isdigit((unsigned char)s[i]) && i < 5)
		v = v * 10 + (unsigned)(s[i++] - '0');
	if (v > max)
		return 0;
	*out = v;
	return i;
}

/* dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ] */
static int
record_dual_cidr(const char *s, size_t len, struct mk_spf_term *t)
{
	size_t n = 0;

	if (len == 0)
		return 0;
	if (len >= 2 && s[0] == '/' && s[1] != '/') {
		n = record_cidr(s, len, 32, &t->cidr4);
		if (n == 0)
			return -1;
	}
	if (n == len)
		return 0;
	if (len - n < 3 || s[n] != '/' || s[n + 1] != '/')
		return -1;
	if (record_cidr(s + n + 1, len - n - 1, 128, &t->cidr6) != len - n - 1)
		return -1;
	return 0;
}

static int
record_mechanism(const char *name, size_t nlen, const char *rest, size_t rlen,
    struct mk_spf_term *t, const char **why)
{
	static const struct { const char *name; enum mk_spf_term_kind kind; } mechs[] = {
		{ "all", MK_SPF_T_ALL }, { "include", MK_SPF_T_INCLUDE },
		{ "a", MK_SPF_T_A }, { "mx", MK_SPF_T_MX }, { "ptr", MK_SPF_T_PTR },
		{ "ip4", MK_SPF_T_IP4 }, { "ip6", MK_SPF_T_IP6 },
		{ "exists", MK_SPF_T_EXISTS },
	};
	char ipbuf[64];
	const char *slash;
	size_t i, speclen;

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		if (strlen(mechs[i].name) == nlen && strncasecmp(mechs[i].name, name, nlen) == 0)
			break;
	}
	if (i == sizeof(mechs) / sizeof(mechs[0])) {
		*why = "unknown mechanism";
		return -1;
	}
	t->kind = mechs[i].kind;
	*why = "bad mechanism argument";
	switch (t->kind) {
	case MK_SPF_T_ALL:
		return rlen == 0 ? 0 : -1;
	case MK_SPF_T_INCLUDE:
	case MK_SPF_T_EXISTS:
		if (rlen < 2 || rest[0] != ':' || !record_domain_spec_ok(rest + 1, rlen - 1))
			return -1;
		t->spec = rest + 1;
		t->speclen = rlen - 1;
		return 0;
	case MK_SPF_T_PTR:
	case MK_SPF_T_A:
	case MK_SPF_T_MX:
		/* the domain-spec ends where a valid dual-cidr suffix starts
		 * ("a:foo:bar/baz.example.com" has none) */
		speclen = rlen;
		if (t->kind != MK_SPF_T_PTR) {
			for (i = 0; i < rlen; i++) {
				struct mk_spf_term tmp = *t;
				if (rest[i] == '/' && (i == 0 || rest[0] != ':' ||
				    record_dual_cidr(rest + i, rlen - i, &tmp) == 0)) {
					speclen = i;
					break;
				}
			}
		}
		if (speclen > 0) {
			if (rest[0] != ':' || !record_domain_spec_ok(rest + 1, speclen - 1))
				return -1;
			t->spec = rest + 1;
			t->speclen = speclen - 1;
		}
		return record_dual_cidr(rest + speclen, rlen - speclen, t);
	case MK_SPF_T_IP4:
	case MK_SPF_T_IP6:
		if (rlen < 2 || rest[0] != ':')
			return -1;
		slash = memchr(rest, '/', rlen);
		speclen = (slash ? (size_t)(slash - rest) : rlen) - 1;
		if (speclen == 0 || speclen >= sizeof(ipbuf))
			return -1;
		memcpy(ipbuf, rest + 1, speclen);
		ipbuf[speclen] = '\0';
		if (t->kind == MK_SPF_T_IP4 ? inet_pton(AF_INET, ipbuf, &t->ip4) != 1
		    : inet_pton(AF_INET6, ipbuf, &t->ip6) != 1)
			return -1;
		if (slash == NULL)
			return 0;
		if (record_cidr(slash, rlen - speclen - 1, t->kind == MK_SPF_T_IP4 ? 32 : 128,
		    t->kind == MK_SPF_T_IP4 ? &t->cidr4 : &t->cidr6) != rlen - speclen - 1)
			return -1;
		return 0;
	default:
		return -1;
	}
}

static int
record_modifier(const char *name, size_t nlen, const char *val, size_t vlen,
    struct mk_spf_term *t, const char **why)
{
	size_t i;

	if (!isalpha((unsigned char)name[0])) {
		*why = "bad modifier name";
		return -1;
	}
	for (i = 1; i < nlen; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.') {
			*why = "bad modifier name";
			return -1;
		}
	}
	t->spec = val;
	t->speclen = vlen;
	if (nlen == 8 && strncasecmp(name, "redirect", 8) == 0)
		t->kind = MK_SPF_T_REDIRECT;
	else if (nlen == 3 && strncasecmp(name, "exp", 3) == 0)
		t->kind = MK_SPF_T_EXP;
	else
		t->kind = MK_SPF_T_UNKNOWN_MOD;
	if (t->kind == MK_SPF_T_UNKNOWN_MOD) {
		if (mk_spf_macro_check(val, vlen, false) == -1) {
			*why = "bad macro in modifier";
			return -1;
		}
		return 0;
	}
	if (!record_domain_spec_ok(val, vlen)) {
		*why = t->kind == MK_SPF_T_REDIRECT ? "bad redirect domain" : "bad exp domain";
		return -1;
	}
	return 0;
}

int
mk_spf_record_next(const char *rec, size_t len, size_t *pos, struct mk_spf_term *t,
    const char **why)
{
	size_t start, end, nlen;
	const char *s;

	if (*pos == 0)
		*pos = 6;	/* "v=spf1" */
	while (*pos < len && rec[*pos] == ' ')
		(*pos)++;
	if (*pos >= len)
		return 0;
	start = *pos;
	for (end = start; end < len && rec[end] != ' '; end++)
		;
	*pos = end;
	memset(t, 0, sizeof(*t));
	t->text = s = rec + start;
	t->textlen = end - start;
	t->qual = '+';
	t->cidr4 = 32;
	t->cidr6 = 128;
	for (nlen = 0; nlen < t->textlen && strchr(":/=", s[nlen]) == NULL; nlen++)
		;
	if (nlen < t->textlen && s[nlen] == '=') {
		if (nlen == 0) {
			*why = "empty modifier name";
			return -1;
		}
		if (record_modifier(s, nlen, s + nlen + 1, t->textlen - nlen - 1, t, why) == -1)
			return -1;
		return 1;
	}
	if (strchr("+-~?", s[0]) != NULL) {
		t->qual = s[0];
		s++;
		nlen--;
	}
	if (nlen == 0) {
		*why = "empty mechanism";
		return -1;
	}
	if (record_mechanism(s, nlen, s + nlen, t->textlen - (size_t)(s - t->text) - nlen,
	    t, why) == -1)
		return -1;
	return 1;
}

int
mk_spf_record_validate(const char *rec, size_t len, struct mk_spf_term *redirect,
    bool *has_redirect, struct mk_spf_term *exp, bool *has_exp, const char **why)
{
	struct mk_spf_term t;
	size_t i, pos = 0;
	int rc;

	*has_redirect = *has_exp = false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rec[i];
		if (c < 0x20 || c > 0x7e) {
			*why = "non-ASCII or control character in record";
			return -1;
		}
	}
	while ((rc = mk_spf_record_next(rec, len, &pos, &t, why)) == 1) {
		if (t.kind == MK_SPF_T_REDIRECT) {
			if (*has_redirect) {
				*why = "redirect given twice";
				return -1;
			}
			*has_redirect = true;
			*redirect = t;
		} else if (t.kind == MK_SPF_T_EXP) {
			if (*has_exp) {
				*why = "exp given twice";
				return -1;
			}
			*has_exp = true;
			*exp = t;
		}
	}
	return rc;
}
