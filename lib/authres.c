/*
 * lib/authres.c: RFC 8601 Authentication-Results builder and parser.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/authres.h"

/* ---- builder -------------------------------------------------------- */

static int
copy_word(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= dstsz)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

int
mk_authres_init(struct mk_authres *ar, const char *authserv_id)
{
	memset(ar, 0, sizeof(*ar));
	ar->version = 1;
	return copy_word(ar->authserv_id, sizeof(ar->authserv_id), authserv_id);
}

struct mk_authres_result *
mk_authres_add(struct mk_authres *ar, const char *method, const char *result)
{
	struct mk_authres_result *r;

	if (ar->count >= MK_AUTHRES_RESULTS_MAX)
		return NULL;
	r = &ar->res[ar->count];
	memset(r, 0, sizeof(*r));
	if (copy_word(r->method, sizeof(r->method), method) == -1 ||
	    copy_word(r->result, sizeof(r->result), result) == -1)
		return NULL;
	ar->count++;
	return r;
}

int
mk_authres_set_reason(struct mk_authres_result *r, const char *reason)
{
	return copy_word(r->reason, sizeof(r->reason), reason);
}

int
mk_authres_add_prop(struct mk_authres_result *r, const char *name, const char *value)
{
	struct mk_authres_prop *p;

	if (r->nprops >= MK_AUTHRES_PROPS_MAX)
		return -1;
	p = &r->prop[r->nprops];
	if (copy_word(p->name, sizeof(p->name), name) == -1 ||
	    copy_word(p->value, sizeof(p->value), value) == -1)
		return -1;
	r->nprops++;
	return 0;
}

/* RFC 2045 token, plus '@' and '.' which RFC 8601 pvalue allows unquoted
 * (an address or a domain). */
static bool
is_token(const char *s, bool pvalue)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
		if (strchr("()<>,;:\\\"/[]?=", *p) != NULL)
			return false;
		if (*p == '@' && !pvalue)
			return false;
	}
	return true;
}

struct sbuf {
	char *buf;
	size_t sz, len;
	bool overflow;
};

static void
sb_add(struct sbuf *sb, const char *s, size_t n)
{
	if (sb->overflow || sb->len + n + 1 > sb->sz) {
		sb->overflow = true;
		return;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static void
sb_str(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/* A value: as is when a token, else a quoted-string (non-printables dropped). */
static void
sb_value(struct sbuf *sb, const char *v, bool pvalue)
{
	const unsigned char *p;

	if (is_token(v, pvalue)) {
		sb_str(sb, v);
		return;
	}
	sb_add(sb, "\"", 1);
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			sb_add(sb, "\\", 1);
		sb_add(sb, (const char *)p, 1);
	}
	sb_add(sb, "\"", 1);
}

int
mk_authres_format(const struct mk_authres *ar, char *out, size_t outsz)
{
	struct sbuf sb = { out, outsz, 0, false };
	const struct mk_authres_result *r;
	size_t i, j;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	sb_value(&sb, ar->authserv_id, true);
	if (ar->count == 0)
		sb_str(&sb, "; none");
	for (i = 0; i < ar->count; i++) {
		r = &ar->res[i];
		sb_str(&sb, i == 0 ? "; " : ";\n\t");
		sb_str(&sb, r->method);
		sb_str(&sb, "=");
		sb_str(&sb, r->result);
		if (r->reason[0] != '\0') {
			sb_str(&sb, " reason=");
			sb_value(&sb, r->reason, false);
		}
		for (j = 0; j < r->nprops; j++) {
			sb_str(&sb, " ");
			sb_str(&sb, r->prop[j].name);
			sb_str(&sb, "=");
			sb_value(&sb, r->prop[j].value, true);
		}
	}
	return sb.overflow ? -1 : 0;
}

/* ---- parser ---------------------------------------------------------- */

struct scan {
	const char *p, *end;
};

/* Skip white space and (nested) comments. -1 on an unbalanced comment. */
static int
skip_cfws(struct scan *s)
{
	int depth = 0;

	while (s->p < s->end) {
		char c = *s->p;

		if (depth > 0 && c == '\\' && s->p + 1 < s->end) {
			s->p += 2;
			continue;
		}
		if (c == '(') {
			if (++depth > 64)
				return -1;
		} else if (c == ')') {
			if (depth == 0)
				return -1;
			depth--;
		} else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			break;
		}
		s->p++;
	}
	return depth == 0 ? 0 : -1;
}

/* A quoted-string or a run of bytes up to white space, '(' , ';' or one
 * of stop.  lower: fold to lower case.  0 / -1 (empty, too long, bad quote). */
static int
read_word(struct scan *s, char *out, size_t outsz, const char *stop, bool lower)
{
	size_t n = 0;
	unsigned char c;

	if (s->p < s->end && *s->p == '"') {
		s->p++;
		while (s->p < s->end && *s->p != '"') {
			if (*s->p == '\\' && s->p + 1 < s->end)
				s->p++;
			if (n + 1 >= outsz)
				return -1;
			out[n++] = *s->p++;
		}
		if (s->p >= s->end)
			return -1;
		s->p++;
		out[n] = '\0';
		return 0;
	}
	while (s->p < s->end) {
		c = (unsigned char)*s->p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' ||
		    c == ';' || c == '"' || strchr(stop, c) != NULL || c == '\0')
			break;
		if (n + 1 >= outsz)
			return -1;
		out[n++] = lower ? (char)tolower(c) : (char)c;
		s->p++;
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int
expect(struct scan *s, char c)
{
	if (skip_cfws(s) == -1 || s->p >= s->end || *s->p != c)
		return -1;
	s->p++;
	return skip_cfws(s);
}

static int
parse_props(struct scan *s, struct mk_authres_result *r, const char **why)
{
	char name[MK_AUTHRES_WORD_MAX + 1], value[MK_AUTHRES_VALUE_MAX + 1];

	for (;;) {
		if (skip_cfws(s) == -1) {
			*why = "unbalanced comment";
			return -1;
		}
		if (s->p >= s->end || *s->p == ';')
			return 0;
		if (read_word(s, name, sizeof(name), "=", true) == -1 || expect(s, '=') == -1) {
			*why = "bad property";
			return -1;
		}
		if (read_word(s, value, sizeof(value), "", false) == -1) {
			*why = "bad property value";
			return -1;
		}
		if (strcmp(name, "reason") == 0) {
			memcpy(r->reason, value, strlen(value) + 1);
		} else if (r->nprops < MK_AUTHRES_PROPS_MAX) {
			memcpy(r->prop[r->nprops].name, name, strlen(name) + 1);
			memcpy(r->prop[r->nprops].value, value, strlen(value) + 1);
			r->nprops++;
		}
	}
}

static int
parse_resinfo(struct scan *s, struct mk_authres *out, const char **why)
{
	struct mk_authres_result tmp, *r;
	char method[MK_AUTHRES_WORD_MAX + 1];

	if (read_word(s, method, sizeof(method), "=", true) == -1) {
		*why = "bad method";
		return -1;
	}
	if (strcmp(method, "none") == 0 && out->count == 0) {
		out->none = true;
		return skip_cfws(s) == -1 ? (*why = "unbalanced comment", -1) : 0;
	}
	r = out->count < MK_AUTHRES_RESULTS_MAX ? &out->res[out->count] : &tmp;
	memset(r, 0, sizeof(*r));
	memcpy(r->method, method, strlen(method) + 1);
	if (expect(s, '=') == -1 ||
	    read_word(s, r->result, sizeof(r->result), "", true) == -1) {
		*why = "bad result";
		return -1;
	}
	if (parse_props(s, r, why) == -1)
		return -1;
	if (r == &tmp)
		out->truncated = true;
	else
		out->count++;
	return 0;
}

int
mk_authres_parse(const char *buf, size_t len, struct mk_authres *out, const char **why)
{
	struct scan s = { buf, buf + len };
	char ver[16];

	memset(out, 0, sizeof(*out));
	out->version = 1;
	*why = NULL;
	if (len > MK_AUTHRES_HEADER_MAX) {
		*why = "header too long";
		return -1;
	}
	if (skip_cfws(&s) == -1 ||
	    read_word(&s, out->authserv_id, sizeof(out->authserv_id), "", false) == -1) {
		*why = "bad authserv-id";
		return -1;
	}
	if (skip_cfws(&s) == -1) {
		*why = "unbalanced comment";
		return -1;
	}
	if (s.p < s.end && isdigit((unsigned char)*s.p)) {
		if (read_word(&s, ver, sizeof(ver), "", false) == -1 ||
		    strspn(ver, "0123456789") != strlen(ver)) {
			*why = "bad version";
			return -1;
		}
		out->version = strlen(ver) > 6 ? 999999u : (unsigned)strtoul(ver, NULL, 10);
	}
	for (;;) {
		if (skip_cfws(&s) == -1) {
			*why = "unbalanced comment";
			return -1;
		}
		if (s.p >= s.end)
			break;
		if (*s.p != ';') {
			*why = "expected ';'";
			return -1;
		}
		s.p++;
		if (skip_cfws(&s) == -1) {
			*why = "unbalanced comment";
			return -1;
		}
		if (s.p >= s.end)
			break;
		if (out->none) {
			*why = "result after none";
			return -1;
		}
		if (parse_resinfo(&s, out, why) == -1)
			return -1;
	}
	if (out->count == 0 && !out->none && !out->truncated) {
		*why = "no result";
		return -1;
	}
	return 0;
}

int
mk_authres_parse_id(const char *buf, size_t len, char *id, size_t idsz)
{
	struct scan s = { buf, buf + (len > MK_AUTHRES_HEADER_MAX ? MK_AUTHRES_HEADER_MAX : len) };

	if (skip_cfws(&s) == -1)
		return -1;
	return read_word(&s, id, idsz, "", false);
}

const struct mk_authres_result *
mk_authres_find(const struct mk_authres *ar, const char *method)
{
	size_t i;

	for (i = 0; i < ar->count; i++)
		if (strcmp(ar->res[i].method, method) == 0)
			return &ar->res[i];
	return NULL;
}

const char *
mk_authres_prop(const struct mk_authres_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nprops; i++)
		if (strcmp(r->prop[i].name, name) == 0)
			return r->prop[i].value;
	return NULL;
}
