/*
 * milter-dkim/sigres.c: per-signature checks on the DKIM-Signature header
 * field alone, and the Authentication-Results entries.  Pure functions.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/dkim_tags.h"
#include "milter-dkim/verify.h"

void
dkim_sigres_set(struct dkim_sigres *r, enum mk_dkim_vres res, const char *fmt, ...)
{
	va_list ap;

	r->res = res;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

/* Copy a tag's value (trimmed) into out; "" when absent; -1 if too long. */
static int
tag_str(const struct mk_dkim_tags *t, const char *name, char *out, size_t outsz, bool nows)
{
	const struct mk_dkim_tag *tag = mk_dkim_tags_get(t, name);

	out[0] = '\0';
	if (tag == NULL)
		return 0;
	return nows ? mk_dkim_tags_copy_nows(tag, out, outsz) : mk_dkim_tags_copy(tag, out, outsz);
}

int
dkim_sigres_parse(const char *buf, size_t len, struct dkim_sigres *r)
{
	static const char *const required[] = { "v", "a", "b", "bh", "d", "h", "s" };
	struct mk_dkim_tags t;
	const char *why;
	char v[8];
	size_t i;

	memset(r, 0, sizeof(*r));
	if (mk_dkim_tags_parse_utf8(buf, len, &t, &why) == -1) {
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "malformed signature: %s", why);
		return -1;
	}
	if (tag_str(&t, "d", r->d, sizeof(r->d), true) == -1 ||
	    tag_str(&t, "s", r->s, sizeof(r->s), true) == -1 ||
	    tag_str(&t, "a", r->a, sizeof(r->a), true) == -1 ||
	    tag_str(&t, "i", r->i, sizeof(r->i), true) == -1 ||
	    tag_str(&t, "b", r->b, sizeof(r->b), true) == -1 ||
	    tag_str(&t, "v", v, sizeof(v), true) == -1) {
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "malformed signature: tag value too long");
		return -1;
	}
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (mk_dkim_tags_get(&t, required[i]) == NULL) {
			dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "missing %s= tag", required[i]);
			return -1;
		}
	}
	if (strcmp(v, "1") != 0) {
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "unsupported signature version v=%s", v);
		return -1;
	}
	if (strcasecmp(r->a, "rsa-sha1") == 0) {
		dkim_sigres_set(r, MK_DKIM_V_POLICY, "rsa-sha1 is not accepted (RFC 8301)");
		return -1;
	}
	if (strcasecmp(r->a, "rsa-sha256") != 0 && strcasecmp(r->a, "ed25519-sha256") != 0) {
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "unknown signature algorithm");
		return -1;
	}
	if (r->d[0] == '\0' || r->s[0] == '\0' || r->b[0] == '\0') {
		dkim_sigres_set(r, MK_DKIM_V_PERMERROR, "empty d=, s= or b= tag");
		return -1;
	}
	return 0;
}

/* Length of the shortest prefix of r[k].b (>= DKIM_B_SHOWN_MIN) shared by no
 * other different b. */
static size_t
b_prefix(const struct dkim_sigres *r, size_t n, size_t k)
{
	size_t len = DKIM_B_SHOWN_MIN, bl = strlen(r[k].b), j, c;

	for (j = 0; j < n; j++) {
		if (j == k || strcmp(r[j].b, r[k].b) == 0)
			continue;
		for (c = 0; r[j].b[c] != '\0' && r[j].b[c] == r[k].b[c]; c++)
			;
		if (c + 1 > len)
			len = c + 1;
	}
	return len > bl ? bl : len;
}

int
dkim_sigres_authres(const struct dkim_sigres *r, size_t n, struct mk_authres *ar)
{
	struct mk_authres_result *e;
	char b[DKIM_B_MAX + 1];
	size_t k, bl;

	for (k = 0; k < n; k++) {
		if ((e = mk_authres_add(ar, "dkim", mk_dkim_vres_name(r[k].res))) == NULL)
			return -1;
		if (r[k].reason[0] != '\0')
			(void)mk_authres_set_reason(e, r[k].reason);
		if (r[k].d[0] != '\0')
			(void)mk_authres_add_prop(e, "header.d", r[k].d);
		if (r[k].i[0] != '\0')
			(void)mk_authres_add_prop(e, "header.i", r[k].i);
		if (r[k].s[0] != '\0')
			(void)mk_authres_add_prop(e, "header.s", r[k].s);
		if (r[k].a[0] != '\0')
			(void)mk_authres_add_prop(e, "header.a", r[k].a);
		if (r[k].b[0] != '\0') {
			bl = b_prefix(r, n, k);
			memcpy(b, r[k].b, bl);
			b[bl] = '\0';
			(void)mk_authres_add_prop(e, "header.b", b);
		}
	}
	return 0;
}
