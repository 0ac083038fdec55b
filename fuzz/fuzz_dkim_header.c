/*
 * fuzz/fuzz_dkim_header.c: libFuzzer target for the header handling that
 * mailaka-dkim adds on top of libopendkim: DKIM-Signature values through
 * the tag-list parser (lib/dkim_tags.c) and the per-signature checks
 * (milter-dkim/sigres.c), the Authentication-Results they produce
 * (lib/authres.c builder), and received Authentication-Results values
 * (lib/authres.c parser, authserv-id extraction for forged-header removal).
 *
 * The input is split at NUL bytes into up to 8 signature values (the last
 * piece is also read as an A-R value).  Invariants (trap on failure):
 *   - a parsed tag's name and value lie inside the input;
 *   - a signature that dkim_sigres_parse() accepts has non-empty d=, s=, b=;
 *   - a formatted A-R parses back with the same authserv-id and number of
 *     results, each with the same method and result.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "dkim_tags.h"
#include "milter-dkim/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PIECES_MAX 8

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void
check_tags(const char *buf, size_t len)
{
	struct mk_dkim_tags t;
	const char *why;
	char out[256];
	size_t i;

	if (mk_dkim_tags_parse(buf, len, &t, &why) == -1) {
		check(why != NULL);
		return;
	}
	for (i = 0; i < t.count; i++) {
		check(t.tag[i].name >= buf && t.tag[i].name + t.tag[i].nlen <= buf + len);
		check(t.tag[i].val >= buf && t.tag[i].val + t.tag[i].vlen <= buf + len);
		(void)mk_dkim_tags_copy_nows(&t.tag[i], out, sizeof(out));
		check(strlen(out) < sizeof(out));
	}
}

static void
check_roundtrip(const struct mk_authres *ar)
{
	static struct mk_authres back;
	static char out[MK_AUTHRES_HEADER_MAX];
	const char *why;
	size_t i;

	if (mk_authres_format(ar, out, sizeof(out)) == -1)
		return;
	check(mk_authres_parse(out, strlen(out), &back, &why) == 0);
	check(strcmp(back.authserv_id, ar->authserv_id) == 0);
	check(back.count == ar->count);
	for (i = 0; i < ar->count; i++) {
		check(strcmp(back.res[i].method, ar->res[i].method) == 0);
		check(strcmp(back.res[i].result, ar->res[i].result) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dkim_sigres r[PIECES_MAX];
	static struct mk_authres ar, parsed;
	const char *p = (const char *)data, *end = p + size, *nul, *why;
	char id[MK_AUTHRES_ID_MAX + 1];
	size_t n = 0, len;

	while (p <= end && n < PIECES_MAX) {
		nul = memchr(p, '\0', (size_t)(end - p));
		len = nul ? (size_t)(nul - p) : (size_t)(end - p);
		check_tags(p, len);
		if (dkim_sigres_parse(p, len, &r[n]) == 0)
			check(r[n].d[0] != '\0' && r[n].s[0] != '\0' && r[n].b[0] != '\0');
		n++;
		if (nul == NULL) {
			(void)mk_authres_parse(p, len, &parsed, &why);
			(void)mk_authres_parse_id(p, len, id, sizeof(id));
			break;
		}
		p = nul + 1;
	}
	check(mk_authres_init(&ar, "mx.example.net") == 0);
	if (dkim_sigres_authres(r, n, &ar) == 0)
		check_roundtrip(&ar);
	return 0;
}
