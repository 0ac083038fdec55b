/* t/unit/test_dkim_tags.c: RFC 6376 3.2 tag lists (and RFC 8616 UTF-8 values). */
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

/* mk_dkim_tags_parse_utf8 (RFC 8616 section 5): well-formed UTF-8 in values,
 * everything else as mk_dkim_tags_parse; the refused tag is named. */
static const struct {
	const char *in;
	const char *why;		/* NULL: accepted */
	const char *tag;		/* the tag named on refusal */
} utf8_cases[] = {
	{ "v=1; i=j\xc3\xb6rg@a.example; d=a.example", NULL, NULL },
	{ "i=\xe7\x94\xa8\xe6\x88\xb7@b\xc3\xbc" "cher.example", NULL, NULL },
	{ "z=Subject:Gr\xc3\xbc\xc3\x9f" "e\r\n\t|To:x; v=1", NULL, NULL },
	{ "i=\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf@a", NULL, NULL },	/* 4 octets, U+10FFFF */
	{ "v=1; i=j\xc0\xb6rg@a", "overlong UTF-8 sequence", "i" },
	{ "i=\xe0\x80\xaf@a", "overlong UTF-8 sequence", "i" },
	{ "i=\xf0\x80\x80\xaf@a", "overlong UTF-8 sequence", "i" },
	{ "i=\xed\xa0\x80@a", "UTF-8 encoded surrogate", "i" },
	{ "i=\xf4\x90\x80\x80@a", "UTF-8 sequence beyond U+10FFFF", "i" },
	{ "i=j\xc3@a", "truncated UTF-8 sequence", "i" },
	{ "i=j\xc3", "truncated UTF-8 sequence", "i" },	/* at the end */
	{ "i=\xe2\x82 x", "truncated UTF-8 sequence", "i" },
	{ "i=j\x80rg@a", "invalid UTF-8 byte", "i" },
	{ "i=j\xf6rg@a", "invalid UTF-8 byte", "i" },		/* Latin-1 */
	{ "i=\xff@a", "invalid UTF-8 byte", "i" },
	{ "i=j\xc2\x85rg@a", "C1 control character", "i" },
	{ "v=1; foo=a\x01" "b", "bad character in tag value", "foo" },	/* ASCII rules kept */
	{ "v=1; i=a;b=c", NULL, NULL },
	{ "v=1;;i=\xc3\xb6", "empty tag", NULL },
};

static void
test_utf8(void)
{
	struct mk_dkim_tags t;
	const struct mk_dkim_tag *tag;
	const char *why;
	char name[16];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		rc = mk_dkim_tags_parse_utf8(utf8_cases[i].in, strlen(utf8_cases[i].in), &t, &why);
		is_int(rc, utf8_cases[i].why ? -1 : 0, "utf8 case %zu", i);
		if (utf8_cases[i].why == NULL)
			continue;
		is_str(why, utf8_cases[i].why, "  reason");
		snprintf(name, sizeof(name), "%.*s", (int)t.err_nlen, t.err_name ? t.err_name : "");
		is_str(t.err_name ? name : NULL, utf8_cases[i].tag, "  tag named");
	}
	/* the ASCII parser (key records) still refuses any 8-bit byte */
	rc = mk_dkim_tags_parse(utf8_cases[0].in, strlen(utf8_cases[0].in), &t, &why);
	is_int(rc, -1, "ASCII parser: UTF-8 i= refused");
	is_str(why, "bad character in tag value", "  reason");
	rc = mk_dkim_tags_parse("v=DKIM1; p=\xc3\xa9", 14, &t, &why);
	is_int(rc, -1, "ASCII parser: UTF-8 in a key record refused");

	rc = mk_dkim_tags_parse_utf8(utf8_cases[0].in, strlen(utf8_cases[0].in), &t, &why);
	tag = mk_dkim_tags_get(&t, "i");
	ok(tag != NULL && tag->vlen == 15 && memcmp(tag->val, "j\xc3\xb6rg@a.example", 15) == 0,
	    "UTF-8 value kept octet for octet");
	ok(tag != NULL && !mk_dkim_tag_is_ascii(tag), "mk_dkim_tag_is_ascii: i= is not");
	tag = mk_dkim_tags_get(&t, "d");
	ok(tag != NULL && mk_dkim_tag_is_ascii(tag), "mk_dkim_tag_is_ascii: d= is");
	ok(t.err_name == NULL, "no error tag after success");
}

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
	test_utf8();
	diag("done");
	return done_testing();
}
