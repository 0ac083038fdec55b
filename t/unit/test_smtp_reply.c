/*
 * t/unit/test_smtp_reply.c: SMTP reply parsing -- single and multi-line
 * replies, bare codes, malformed lines (bad code, code change, NUL/CR,
 * over-long line: exact fit and one over), partial input, EHLO extension
 * lookup, queue ids of Postfix, Exim and Sendmail.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "smtp_reply.h"
#include "tap.h"

static void
test_parse(void)
{
	static const struct {
		const char *in;
		long rc;	/* bytes consumed, 0 incomplete, -1 error */
		int code;
		const char *text;
	} v[] = {
		{ "220 mail.example.test ESMTP\r\n", 29, 220, "mail.example.test ESMTP" },
		{ "250-a\r\n250-b\r\n250 c\r\n", 21, 250, "a\nb\nc" },
		{ "250 ok\n", 7, 250, "ok" },			/* bare LF tolerated from servers */
		{ "354\r\n", 5, 354, "" },			/* code alone */
		{ "250-a\r\n250 b\r\nextra", 14, 250, "a\nb" },	/* stops after the reply */
		{ "250-a\r\n", 0, 250, NULL },			/* more to come */
		{ "250 ok", 0, 0, NULL },			/* no line end yet */
		{ "", 0, 0, NULL },
		{ "250-a\r\n251 b\r\n", -1, 0, NULL },		/* code changes */
		{ "25 short\r\n", -1, 0, NULL },
		{ "650 bad class\r\n", -1, 0, NULL },
		{ "2x0 nope\r\n", -1, 0, NULL },
		{ "250_x\r\n", -1, 0, NULL },
		{ "250 a\rb\r\n", -1, 0, NULL },		/* CR inside */
		{ "HTTP/1.1 400\r\n", -1, 0, NULL },
	};
	struct mk_smtp_reply r;
	const char *why;
	size_t i;
	long rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rc = mk_smtp_reply_parse(v[i].in, strlen(v[i].in), &r, &why);
		is_int(rc, v[i].rc, "parse %zu: consumed", i);
		if (rc > 0) {
			is_int(r.code, v[i].code, "parse %zu: code", i);
			is_str(r.text, v[i].text, "parse %zu: text", i);
		}
	}
	rc = mk_smtp_reply_parse("250 a\0b\r\n", 9, &r, &why);
	is_int(rc, -1, "NUL inside a line refused");
	is_str(why, "NUL, CR or LF inside a reply line", "NUL: reason");
}

static void
test_limits(void)
{
	char line[MK_SMTP_REPLY_LINE_MAX + 8];
	struct mk_smtp_reply r;
	const char *why;
	size_t i;
	int rc;

	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	mk_smtp_reply_init(&r);
	is_int(mk_smtp_reply_feed(&r, line, MK_SMTP_REPLY_LINE_MAX, &why), 1, "line of exactly the maximum");
	is_int((long)r.textlen, MK_SMTP_REPLY_LINE_MAX - 4, "its text kept whole");
	mk_smtp_reply_init(&r);
	is_int(mk_smtp_reply_feed(&r, line, MK_SMTP_REPLY_LINE_MAX + 1, &why), -1, "one byte over");
	is_str(why, "reply line too long", "one byte over: reason");

	mk_smtp_reply_init(&r);
	for (i = 0, rc = 0; i < MK_SMTP_REPLY_LINES_MAX && rc == 0; i++)
		rc = mk_smtp_reply_feed(&r, "250-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 64, &why);
	is_int(rc, 0, "%d continuation lines accepted", MK_SMTP_REPLY_LINES_MAX);
	is_int(mk_smtp_reply_feed(&r, "250 end", 7, &why), -1, "one line more refused");
	ok(r.truncated && r.textlen == MK_SMTP_REPLY_TEXT_MAX, "text truncated at %d bytes",
	    MK_SMTP_REPLY_TEXT_MAX);

	mk_smtp_reply_init(&r);
	is_int(mk_smtp_reply_feed(&r, "250 done", 8, &why), 1, "complete");
	is_int(mk_smtp_reply_feed(&r, "250 again", 9, &why), -1, "a line after completion refused");
	is_int(mk_smtp_reply_class(&r), 2, "class");
}

static void
test_ehlo(void)
{
	static const char ehlo[] = "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
	    "250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=CRAM-MD5\r\n250 CHUNKING\r\n";
	struct mk_smtp_reply r;

	ok(mk_smtp_reply_parse(ehlo, strlen(ehlo), &r, NULL) > 0, "EHLO reply parsed");
	ok(mk_smtp_reply_has_ext(&r, "STARTTLS"), "STARTTLS offered");
	ok(mk_smtp_reply_has_ext(&r, "starttls"), "keywords are case-insensitive");
	ok(mk_smtp_reply_has_ext(&r, "CHUNKING"), "last line counts");
	ok(!mk_smtp_reply_has_ext(&r, "mail.example.test"), "the greeting line is no keyword");
	ok(!mk_smtp_reply_has_ext(&r, "START"), "no prefix match");
	ok(mk_smtp_reply_ext_has_param(&r, "AUTH", "LOGIN"), "AUTH LOGIN");
	ok(mk_smtp_reply_ext_has_param(&r, "AUTH", "plain"), "AUTH PLAIN (case-insensitive)");
	ok(mk_smtp_reply_ext_has_param(&r, "AUTH", "CRAM-MD5"), "old AUTH=CRAM-MD5 form");
	ok(!mk_smtp_reply_ext_has_param(&r, "AUTH", "PLAI"), "no parameter prefix match");
	ok(!mk_smtp_reply_ext_has_param(&r, "SIZE", "LOGIN"), "parameter of another keyword");
	ok(mk_smtp_reply_parse("250 only\r\n", 10, &r, NULL) > 0 && !mk_smtp_reply_has_ext(&r, "only"),
	    "single-line EHLO reply: no extensions");
	ok(mk_smtp_reply_parse("550-STARTTLS\r\n550 no\r\n", 22, &r, NULL) > 0 &&
	    !mk_smtp_reply_has_ext(&r, "no"), "extensions only in a 250 reply");
}

static void
test_queue_id(void)
{
	static const struct { const char *in; const char *id; } v[] = {
		{ "250 2.0.0 Ok: queued as 4XyZ12AbC\r\n", "4XyZ12AbC" },
		{ "250 OK id=1rAbCd-0001Xy-Qz\r\n", "1rAbCd-0001Xy-Qz" },
		{ "250 2.0.0 4AS1x2Yz012345 Message accepted for delivery\r\n", "4AS1x2Yz012345" },
		{ "250 2.0.0 OK 1700000000 abc.123 - gsmtp\r\n", NULL },
		{ "250 2.0.0 Ok: queued as \r\n", NULL },
		{ "550 5.7.1 queued as nothing\r\n", NULL },
	};
	struct mk_smtp_reply r;
	char id[MK_SMTP_QUEUE_ID_MAX + 1], small[4];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ok(mk_smtp_reply_parse(v[i].in, strlen(v[i].in), &r, NULL) > 0, "queue id %zu parsed", i);
		rc = mk_smtp_reply_queue_id(&r, id, sizeof(id));
		is_int(rc, v[i].id != NULL ? 0 : -1, "queue id %zu: found", i);
		if (v[i].id != NULL)
			is_str(id, v[i].id, "queue id %zu", i);
	}
	mk_smtp_reply_parse(v[0].in, strlen(v[0].in), &r, NULL);
	is_int(mk_smtp_reply_queue_id(&r, small, sizeof(small)), -1, "id larger than the buffer refused");
}

int
main(void)
{
	test_parse();
	test_limits();
	test_ehlo();
	test_queue_id();
	return done_testing();
}
