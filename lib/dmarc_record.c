/*
 * lib/dmarc_record.c: DMARC policy record parser (see dmarc_record.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/dmarc_record.h"

struct span {
	const char *p;
	size_t n;
};

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct span
trim(const char *p, size_t n)
{
	struct span s;

	while (n > 0 && is_wsp(*p)) {
		p++;
		n--;
	}
	while (n > 0 && is_wsp(p[n - 1]))
		n--;
	s.p = p;
	s.n = n;
	return s;
}

static bool
span_is(struct span s, const char *lit)
{
	return s.n == strlen(lit) && strncasecmp(s.p, lit, s.n) == 0;
}

/* Split "name=value" of one tag-spec; -1 on a syntax error. */
static int
split_tag(struct span seg, struct span *name, struct span *value)
{
	const char *eq = memchr(seg.p, '=', seg.n);
	size_t i;

	if (eq == NULL)
		return -1;
	*name = trim(seg.p, (size_t)(eq - seg.p));
	*value = trim(eq + 1, seg.n - (size_t)(eq - seg.p) - 1);
	if (name->n == 0 || !isalpha((unsigned char)name->p[0]))
		return -1;
	for (i = 0; i < name->n; i++)
		if (!isalnum((unsigned char)name->p[i]) && name->p[i] != '_')
			return -1;
	return 0;
}

static enum mk_dmarc_policy
parse_policy(struct span v)
{
	if (span_is(v, "none"))
		return MK_DMARC_P_NONE;
	if (span_is(v, "quarantine"))
		return MK_DMARC_P_QUARANTINE;
	if (span_is(v, "reject"))
		return MK_DMARC_P_REJECT;
	return MK_DMARC_P_UNSET;
}

/* Decimal in [0, max]; -1 if not. */
static long
parse_num(struct span v, long max)
{
	long n = 0;
	size_t i;

	if (v.n == 0 || v.n > 10)
		return -1;
	for (i = 0; i < v.n; i++) {
		if (!isdigit((unsigned char)v.p[i]))
			return -1;
		n = n * 10 + (v.p[i] - '0');
	}
	return n <= max ? n : -1;
}

static unsigned
parse_fo(struct span v)
{
	unsigned fo = 0;
	size_t i = 0, j;
	struct span t;

	while (i <= v.n) {
		for (j = i; j < v.n && v.p[j] != ':'; j++)
			;
		t = trim(v.p + i, j - i);
		if (span_is(t, "0"))
			fo |= MK_DMARC_FO_0;
		else if (span_is(t, "1"))
			fo |= MK_DMARC_FO_1;
		else if (span_is(t, "d"))
			fo |= MK_DMARC_FO_D;
		else if (span_is(t, "s"))
			fo |= MK_DMARC_FO_S;
		else
			return 0;	/* invalid: default */
		i = j + 1;
	}
	return fo;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "!10m" size suffix; 0 / -1. */
static int
parse_size(const char *p, size_t n, unsigned long long *out)
{
	unsigned long long v = 0, mul = 1;
	size_t i;

	if (n > 0) {
		switch (tolower((unsigned char)p[n - 1])) {
		case 'k': mul = 1ULL << 10; n--; break;
		case 'm': mul = 1ULL << 20; n--; break;
		case 'g': mul = 1ULL << 30; n--; break;
		case 't': mul = 1ULL << 40; n--; break;
		default: break;
		}
	}
	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (unsigned long long)(p[i] - '0');
	}
	*out = v * mul;
	return 0;
}

/* mailto: address, percent-decoded; must be local@domain with printable
 * ASCII only.  0 / -1. */
static int
decode_mailto(const char *p, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;
	const char *at = NULL;
	int hi, lo;
	char c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == '%') {
			if (i + 2 >= n || (hi = hexval(p[i + 1])) < 0 ||
			    (lo = hexval(p[i + 2])) < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f || c == '?')
			return -1;
		if (o + 1 >= outsz)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	at = strrchr(out, '@');
	if (at == NULL || at == out || at[1] == '\0' || strchr(at + 1, '.') == NULL)
		return -1;
	return 0;
}

/* One DMARC URI (RFC 7489 6.2): URI [ "!" size ]. 0 / -1. */
static int
parse_uri(struct span v, struct mk_dmarc_uri *u)
{
	const char *bang = NULL, *colon;
	size_t ulen = v.n, i;

	memset(u, 0, sizeof(*u));
	if (v.n == 0 || v.n > MK_DMARC_URI_MAX)
		return -1;
	for (i = v.n; i > 0; i--)
		if (v.p[i - 1] == '!') {
			bang = v.p + i - 1;
			break;
		}
	if (bang != NULL) {
		if (parse_size(bang + 1, v.n - (size_t)(bang - v.p) - 1, &u->max_size) == -1)
			return -1;
		ulen = (size_t)(bang - v.p);
	}
	colon = memchr(v.p, ':', ulen);
	if (colon == NULL || colon == v.p)
		return -1;
	for (i = 0; v.p + i < colon; i++)
		if (!isalnum((unsigned char)v.p[i]) && v.p[i] != '+' && v.p[i] != '-' && v.p[i] != '.')
			return -1;
	memcpy(u->uri, v.p, v.n);
	u->uri[v.n] = '\0';
	if ((size_t)(colon - v.p) == 6 && strncasecmp(v.p, "mailto", 6) == 0)
		return decode_mailto(colon + 1, ulen - (size_t)(colon - v.p) - 1,
		    u->addr, sizeof(u->addr));
	return 0;
}

static void
parse_uris(struct span v, struct mk_dmarc_uri *arr, size_t *n, size_t *dropped)
{
	size_t i = 0, j;

	while (i <= v.n) {
		for (j = i; j < v.n && v.p[j] != ','; j++)
			;
		if (*n < MK_DMARC_URIS_MAX && parse_uri(trim(v.p + i, j - i), &arr[*n]) == 0)
			(*n)++;
		else
			(*dropped)++;
		i = j + 1;
	}
}

static void
set_tag(struct mk_dmarc_record *r, struct span name, struct span v, unsigned *seen)
{
	static const char *const tags[] = { "p", "sp", "np", "adkim", "aspf", "pct",
		"t", "psd", "fo", "ri", "rua", "ruf", NULL };
	size_t i;
	long n;

	for (i = 0; tags[i] != NULL && !span_is(name, tags[i]); i++)
		;
	if (tags[i] == NULL || (*seen & (1U << i)))
		return;		/* unknown tag or repeat: ignored */
	*seen |= 1U << i;
	switch (i) {
	case 0:
		r->p = parse_policy(v);
		r->p_state = r->p == MK_DMARC_P_UNSET ? MK_DMARC_PSTATE_INVALID : MK_DMARC_PSTATE_VALID;
		break;
	case 1:
		r->sp = parse_policy(v);
		r->sp_invalid = r->sp == MK_DMARC_P_UNSET;
		break;
	case 2: r->np = parse_policy(v); break;
	case 3: r->adkim_strict = span_is(v, "s"); break;
	case 4: r->aspf_strict = span_is(v, "s"); break;
	case 5:
		if ((n = parse_num(v, 100)) >= 0) {
			r->pct = (int)n;
			r->pct_set = true;
		}
		break;
	case 6: r->testing = span_is(v, "y"); break;
	case 7:
		r->psd = span_is(v, "y") ? MK_DMARC_PSD_Y : span_is(v, "n") ? MK_DMARC_PSD_N
		    : MK_DMARC_PSD_U;
		break;
	case 8:
		if ((r->fo = parse_fo(v)) == 0)
			r->fo = MK_DMARC_FO_0;
		break;
	case 9:
		if ((n = parse_num(v, 0x7fffffffL)) >= 0) {
			r->ri = (unsigned long)n;
			r->ri_set = true;
		}
		break;
	case 10: parse_uris(v, r->rua, &r->nrua, &r->rua_dropped); break;
	case 11: parse_uris(v, r->ruf, &r->nruf, &r->ruf_dropped); break;
	}
}

/* Next ';'-separated segment starting at *pos; false at the end. */
static bool
next_segment(const char *buf, size_t len, size_t *pos, struct span *seg)
{
	size_t j;

	if (*pos > len)
		return false;
	for (j = *pos; j < len && buf[j] != ';'; j++)
		;
	*seg = trim(buf + *pos, j - *pos);
	*pos = j + 1;
	return true;
}

static bool
first_is_v(const char *buf, size_t len, size_t *pos)
{
	struct span seg, name, value;

	*pos = 0;
	if (!next_segment(buf, len, pos, &seg) || split_tag(seg, &name, &value) == -1)
		return false;
	/* tag names are case-insensitive; the value "DMARC1" is exact */
	return span_is(name, "v") && value.n == 6 && memcmp(value.p, "DMARC1", 6) == 0;
}

bool
mk_dmarc_record_is_dmarc(const char *buf, size_t len)
{
	size_t pos;

	return first_is_v(buf, len, &pos);
}

enum mk_dmarc_rec_status
mk_dmarc_record_parse(const char *buf, size_t len, struct mk_dmarc_record *out)
{
	struct span seg, name, value;
	unsigned seen = 0;
	size_t pos;

	memset(out, 0, sizeof(*out));
	out->p_state = MK_DMARC_PSTATE_ABSENT;
	out->pct = 100;
	out->fo = MK_DMARC_FO_0;
	out->ri = 86400;
	if (!first_is_v(buf, len, &pos))
		return MK_DMARC_REC_NOT_DMARC;
	if (len > MK_DMARC_RECORD_MAX)
		return MK_DMARC_REC_INVALID;
	while (next_segment(buf, len, &pos, &seg)) {
		if (seg.n == 0 || split_tag(seg, &name, &value) == -1)
			continue;	/* syntax error: discarded */
		set_tag(out, name, value, &seen);
	}
	return MK_DMARC_REC_OK;
}

const char *
mk_dmarc_policy_name(enum mk_dmarc_policy p)
{
	switch (p) {
	case MK_DMARC_P_NONE: return "none";
	case MK_DMARC_P_QUARANTINE: return "quarantine";
	case MK_DMARC_P_REJECT: return "reject";
	case MK_DMARC_P_UNSET: break;
	}
	return "unset";
}
