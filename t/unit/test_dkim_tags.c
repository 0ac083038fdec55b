/* t/unit/test_dkim_tags.c: RFC 6376 3.2 tag lists. */
#include "config.h"

#include <string.h>

#include "lib/dkim_tags.h"
#include "tap.h"

static const struct {
	const char *in;
	int rc;
	size_t count;
	const char *why;
} cases[] = {
	{ "v=1; a=rsa-sha256; d=example.com", 0, 3, NULL },
	{ "v=1;a=rsa-sha256;", 0, 2, NULL },		/* trailing ';' */
	{ "v=1; a=rsa-sha256;  \r\n ", 0, 2, NULL },	/* trailing ';' + FWS */
	{ " v = 1 ; b = AAA\r\n\tBBB ", 0, 2, NULL },	/* FWS around */
	{ "v=", 0, 1, NULL },				/* empty value */
	{ "", -1, 0, "empty tag list" },
	{ ";", -1, 0, "empty tag" },
	{ "v=1;;a=b", -1, 0, "empty tag" },
	{ "v", -1, 0, "tag without '='" },
	{ "1v=1", -1, 0, "bad tag name" },
	{ "v_1=2", 0, 1, NULL },
	{ "=1", -1, 0, "bad tag name" },
	{ "v=1; v=1", -1, 0, "duplicate tag" },
	{ "v=\xc3\xa9", -1, 0, "bad character in tag value" },
	{ "v=a\x01" "b", -1, 0, "bad character in tag value" },
};

int
main(void)
{
	struct mk_dkim_tags t;
	const struct mk_dkim_tag *tag;
	const char *why;
	char buf[64], big[MK_DKIM_TAGLIST_MAX + 2];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = mk_dkim_tags_parse(cases[i].in, strlen(cases[i].in), &t, &why);
		is_int(rc, cases[i].rc, "parse case %zu", i);
		if (rc == 0)
			is_int(t.count, cases[i].count, "  count");
		else
			is_str(why, cases[i].why, "  reason");
	}

	rc = mk_dkim_tags_parse(cases[3].in, strlen(cases[3].in), &t, &why);
	is_int(rc, 0, "parse FWS case");
	tag = mk_dkim_tags_get(&t, "b");
	ok(tag != NULL, "b found");
	is_int(tag ? tag->vlen : 0, 9, "b value trimmed, inner FWS kept");
	is_int(mk_dkim_tags_copy_nows(tag, buf, sizeof(buf)), 0, "copy without ws");
	is_str(buf, "AAABBB", "b without FWS");
	is_int(mk_dkim_tags_copy_nows(tag, buf, 4), -1, "copy: one byte short fails");
	is_str(buf, "AAA", "  truncated and terminated");
	is_int(mk_dkim_tags_copy_nows(tag, buf, 7), 0, "copy: exact fit");
	ok(mk_dkim_tags_get(&t, "V") == NULL, "names are case-sensitive");

	/* embedded NUL */
	rc = mk_dkim_tags_parse("v=1\0a=2", 7, &t, &why);
	is_int(rc, -1, "NUL rejected");

	/* too many tags: 65 */
	big[0] = '\0';
	for (i = 0; i < MK_DKIM_TAGS_MAX + 1; i++) {
		char one[16];
		snprintf(one, sizeof(one), "t%zu=1;", i);
		strcat(big, one);
	}
	rc = mk_dkim_tags_parse(big, strlen(big), &t, &why);
	is_int(rc, -1, "65 tags rejected");
	is_str(why, "too many tags", "  reason");
	/* exactly 64 */
	big[strlen(big) - 6] = '\0';
	rc = mk_dkim_tags_parse(big, strlen(big), &t, &why);
	is_int(rc, 0, "64 tags accepted");

	memset(big, 'a', sizeof(big));
	big[0] = 'v';
	big[1] = '=';
	rc = mk_dkim_tags_parse(big, MK_DKIM_TAGLIST_MAX, &t, &why);
	is_int(rc, 0, "exactly MK_DKIM_TAGLIST_MAX bytes");
	rc = mk_dkim_tags_parse(big, MK_DKIM_TAGLIST_MAX + 1, &t, &why);
	is_int(rc, -1, "one byte over MK_DKIM_TAGLIST_MAX");
	diag("done");
	return done_testing();
}
