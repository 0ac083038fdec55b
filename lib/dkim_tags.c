/*
 * lib/dkim_tags.c: RFC 6376 3.2 tag=value list parser.
 *
 * Where 8-bit bytes are refused: value_is_valid() below.  RFC 6376 3.2
 * gives every tag value the ASCII alphabet VALCHAR (%x21-3A / %x3C-7E) plus
 * FWS, so mk_dkim_tags_parse() refuses any byte >= 0x80; key records (DNS
 * TXT) keep that, RFC 8616 section 5 leaves them alone.  RFC 8616 section 5
 * lets a DKIM-Signature carry UTF-8 (U-labels in d=, s= and the domain of
 * i=, a UTF-8 local part in i=, raw UTF-8 in z= through the extended
 * dkim-safe-char): mk_dkim_tags_parse_utf8() takes well-formed UTF-8 in
 * any value, and the caller decides which tags may hold it.
 */
#include "config.h"

#include <string.h>

#include "lib/dkim_tags.h"
#include "lib/utf8.h"

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ALPHA *ALNUMPUNC (RFC 6376 3.2). */
static bool
name_is_valid(const char *s, size_t n)
{
	size_t i;
	unsigned char c;

	if (n == 0)
		return false;
	c = (unsigned char)s[0];
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
		return false;
	for (i = 1; i < n; i++) {
		c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* VALCHAR = %x21-3A / %x3C-7E, plus FWS inside; with utf8 also RFC 3629
 * UTF8-2 / UTF8-3 / UTF8-4 (RFC 8616 section 5), C1 controls excepted.
 * NULL, or why not (for bad UTF-8, mk_utf8_strerror()'s phrase: the caller
 * names the tag). */
static const char *
value_why(const char *s, size_t n, bool utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	enum mk_utf8_err e;
	size_t i = 0, k;

	while (i < n) {
		if (is_wsp(p[i]) || (p[i] >= 0x21 && p[i] <= 0x7e && p[i] != ';')) {
			i++;
			continue;
		}
		if (p[i] < 0x80 || !utf8)
			return "bad character in tag value";
		if ((k = mk_utf8_seq(p + i, n - i, &e)) == 0)
			return mk_utf8_strerror(e);
		i += k;
	}
	return NULL;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && is_wsp((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_wsp((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static int
add_spec(const char *p, size_t n, bool utf8, struct mk_dkim_tags *out, const char **why)
{
	const char *eq, *name, *val;
	size_t nlen, vlen, i;

	trim(&p, &n);
	if (n == 0)
		return 0;	/* empty spec: only allowed as a trailing ';' (checked by caller) */
	if ((eq = memchr(p, '=', n)) == NULL) {
		*why = "tag without '='";
		return -1;
	}
	name = p;
	nlen = (size_t)(eq - p);
	trim(&name, &nlen);
	val = eq + 1;
	vlen = (size_t)(p + n - val);
	trim(&val, &vlen);
	if (!name_is_valid(name, nlen)) {
		*why = "bad tag name";
		return -1;
	}
	if ((*why = value_why(val, vlen, utf8)) != NULL) {
		out->err_name = name;
		out->err_nlen = nlen;
		return -1;
	}
	for (i = 0; i < out->count; i++) {
		if (out->tag[i].nlen == nlen && memcmp(out->tag[i].name, name, nlen) == 0) {
			*why = "duplicate tag";
			return -1;
		}
	}
	if (out->count >= MK_DKIM_TAGS_MAX) {
		*why = "too many tags";
		return -1;
	}
	out->tag[out->count].name = name;
	out->tag[out->count].nlen = nlen;
	out->tag[out->count].val = val;
	out->tag[out->count].vlen = vlen;
	out->count++;
	return 0;
}

static bool
blank(const char *p, size_t n)
{
	while (n > 0 && is_wsp((unsigned char)*p)) {
		p++;
		n--;
	}
	return n == 0;
}

static int
tags_parse(const char *buf, size_t len, bool utf8, struct mk_dkim_tags *out, const char **why)
{
	const char *p = buf, *end = buf + len, *semi;
	size_t n;

	out->count = 0;
	out->err_name = NULL;
	out->err_nlen = 0;
	*why = NULL;
	if (len > MK_DKIM_TAGLIST_MAX) {
		*why = "tag list too long";
		return -1;
	}
	if (memchr(buf, '\0', len) != NULL) {
		*why = "NUL in tag list";
		return -1;
	}
	for (;;) {
		semi = memchr(p, ';', (size_t)(end - p));
		n = semi ? (size_t)(semi - p) : (size_t)(end - p);
		if (blank(p, n)) {
			/* only the part after a final ';' may be empty */
			if (semi != NULL) {
				*why = "empty tag";
				return -1;
			}
		} else if (add_spec(p, n, utf8, out, why) == -1) {
			return -1;
		}
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	if (out->count == 0) {
		*why = "empty tag list";
		return -1;
	}
	return 0;
}

int
mk_dkim_tags_parse(const char *buf, size_t len, struct mk_dkim_tags *out, const char **why)
{
	return tags_parse(buf, len, false, out, why);
}

int
mk_dkim_tags_parse_utf8(const char *buf, size_t len, struct mk_dkim_tags *out, const char **why)
{
	return tags_parse(buf, len, true, out, why);
}

bool
mk_dkim_tag_is_ascii(const struct mk_dkim_tag *tag)
{
	size_t i;

	for (i = 0; i < tag->vlen; i++)
		if ((unsigned char)tag->val[i] >= 0x80)
			return false;
	return true;
}

const struct mk_dkim_tag *
mk_dkim_tags_get(const struct mk_dkim_tags *tags, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < tags->count; i++)
		if (tags->tag[i].nlen == n && memcmp(tags->tag[i].name, name, n) == 0)
			return &tags->tag[i];
	return NULL;
}

int
mk_dkim_tags_copy_nows(const struct mk_dkim_tag *tag, char *out, size_t outsz)
{
	size_t i, o = 0;

	if (outsz == 0)
		return -1;
	for (i = 0; i < tag->vlen; i++) {
		if (is_wsp((unsigned char)tag->val[i]))
			continue;
		if (o + 1 >= outsz) {
			out[o] = '\0';
			return -1;
		}
		out[o++] = tag->val[i];
	}
	out[o] = '\0';
	return 0;
}

int
mk_dkim_tags_copy(const struct mk_dkim_tag *tag, char *out, size_t outsz)
{
	if (outsz == 0)
		return -1;
	if (tag->vlen >= outsz) {
		memcpy(out, tag->val, outsz - 1);
		out[outsz - 1] = '\0';
		return -1;
	}
	memcpy(out, tag->val, tag->vlen);
	out[tag->vlen] = '\0';
	return 0;
}
