/* t/unit/test_policy.c: policy protocol framing, parsing, replies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "tap.h"

static const char full_req[] =
    "request=smtpd_access_policy\n"
    "protocol_state=RCPT\n"
    "protocol_name=ESMTP\n"
    "client_address=192.0.2.1\n"
    "client_name=mail.example.org\n"
    "reverse_client_name=mail.example.org\n"
    "helo_name=mail.example.org\n"
    "sender=alice@example.org\n"
    "recipient=bob@example.com\n"
    "recipient_count=0\n"
    "queue_id=\n"
    "instance=123.456.7\n"
    "size=0\n"
    "sasl_method=\n"
    "sasl_username=\n"
    "ccert_subject=\n"
    "\n";

static void
test_frame(void)
{
	struct { const char *in; size_t want; } cases[] = {
		{ "a=b\n\n", 5 },
		{ "a=b\r\n\r\n", 7 },
		{ "a=b\n\r\n", 6 },
		{ "a=b\n", 0 },
		{ "a=b", 0 },
		{ "", 0 },
		{ "\n", 1 },
		{ "\r\n", 2 },
		{ "a=b\nc=d\n\nrest", 9 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(mk_policy_frame(cases[i].in, strlen(cases[i].in)), cases[i].want,
		    "frame case %zu", i);
}

static void
test_parse_ok(void)
{
	struct mk_policy_req r;
	const char *why = NULL;
	const char crlf[] = "request=smtpd_access_policy\r\nclient_address=2001:db8::1\r\nsender=\r\n\r\n";
	const char exim[] = "request=smtpd_access_policy\nclient_address=192.0.2.9\nhelo_name=h.example";

	is_int(mk_policy_parse(full_req, strlen(full_req), &r, &why), 0, "full request parses");
	is_str(r.request, "smtpd_access_policy", "request");
	is_str(r.client_address, "192.0.2.1", "client_address");
	is_str(r.sender, "alice@example.org", "sender");
	is_str(r.helo_name, "mail.example.org", "helo_name");
	is_str(r.instance, "123.456.7", "instance");
	is_int(r.nattrs, 16, "attribute count");
	is_int(r.nunknown, 3, "unknown attribute count");
	is_int(mk_policy_check(&r, &why), 0, "full request checks");

	is_int(mk_policy_parse(crlf, strlen(crlf), &r, &why), 0, "CRLF request parses");
	is_str(r.client_address, "2001:db8::1", "CRLF: client_address without CR");
	is_str(r.sender, "", "CRLF: null sender");
	is_int(mk_policy_check(&r, &why), 0, "IPv6 client checks");

	is_int(mk_policy_parse(exim, strlen(exim), &r, &why), 0, "unterminated last line (Exim EOF)");
	is_str(r.helo_name, "h.example", "last line kept");
	is_int(mk_policy_parse("a=b=c\n\n", 7, &r, &why), 0, "value with '='");
}

static void
expect_fail(const char *buf, size_t len, const char *want, const char *name)
{
	struct mk_policy_req r;
	const char *why = NULL;

	is_int(mk_policy_parse(buf, len, &r, &why), -1, "%s: rejected", name);
	is_str(why, want, "%s: reason", name);
}

static void
test_parse_bad(void)
{
	char *big;
	size_t i, n;

	expect_fail("novalue\n\n", 9, "line without '='", "no '='");
	expect_fail("=x\n\n", 4, "empty attribute name", "empty name");
	expect_fail("a=b\0c\n\n", 7, "NUL byte in request", "NUL");
	expect_fail("a=b\n\nc=d\n", 9, "data after the end of the request", "two requests");

	/* line length: exact fit and one byte over */
	big = malloc(MK_POLICY_REQUEST_MAX * 2);
	memcpy(big, "x=", 2);
	memset(big + 2, 'a', MK_POLICY_LINE_MAX - 2);
	memcpy(big + MK_POLICY_LINE_MAX, "\n\n", 2);
	{
		struct mk_policy_req r;
		const char *why;
		is_int(mk_policy_parse(big, MK_POLICY_LINE_MAX + 2, &r, &why), 0,
		    "line of exactly MK_POLICY_LINE_MAX");
	}
	memset(big + 2, 'a', MK_POLICY_LINE_MAX - 1);
	memcpy(big + MK_POLICY_LINE_MAX + 1, "\n\n", 2);
	expect_fail(big, MK_POLICY_LINE_MAX + 3, "line too long", "line one byte over");

	/* a kept value that does not fit its field */
	n = (size_t)sprintf(big, "sender=");
	memset(big + n, 'a', MK_POLICY_VALUE_MAX);
	n += MK_POLICY_VALUE_MAX;
	memcpy(big + n, "\n\n", 2);
	expect_fail(big, n + 2, "attribute value too long", "sender too long");

	/* attribute count */
	for (i = 0, n = 0; i < MK_POLICY_ATTRS_MAX + 1; i++)
		n += (size_t)sprintf(big + n, "a%zu=1\n", i);
	big[n++] = '\n';
	expect_fail(big, n, "too many attributes", "too many attributes");

	memset(big, 'a', MK_POLICY_REQUEST_MAX + 1);
	expect_fail(big, MK_POLICY_REQUEST_MAX + 1, "request too long", "request too long");
	free(big);
}

static void
test_check(void)
{
	struct { const char *req; const char *why; } cases[] = {
		{ "request=smtpd_access_policy\nclient_address=1.2.3.4\n\n", NULL },
		{ "client_address=1.2.3.4\n\n", "missing request attribute" },
		{ "request=junk\nclient_address=1.2.3.4\n\n", "unsupported request type" },
		{ "request=smtpd_access_policy\n\n", "missing client_address" },
		{ "request=smtpd_access_policy\nclient_address=unknown\n\n", "client_address is not an IP address" },
		{ "request=smtpd_access_policy\nclient_address=1.2.3.4.5\n\n", "client_address is not an IP address" },
		{ "\n", "empty request" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mk_policy_req r;
		const char *why = NULL;
		int rc;

		mk_policy_parse(cases[i].req, strlen(cases[i].req), &r, &why);
		why = NULL;
		rc = mk_policy_check(&r, &why);
		is_int(rc, cases[i].why ? -1 : 0, "check case %zu rc", i);
		is_str(why, cases[i].why, "check case %zu reason", i);
	}
}

static void
test_reply(void)
{
	char out[MK_POLICY_REPLY_MAX];
	char small[12];
	size_t n;

	n = mk_policy_reply("DUNNO", out, sizeof(out));
	is_str(out, "action=DUNNO\n\n", "DUNNO reply");
	is_int(n, 14, "DUNNO reply length");
	mk_policy_reply("550 5.7.23 bad\r\nx\x01y", out, sizeof(out));
	is_str(out, "action=550 5.7.23 bad  xy\n\n", "CR/LF replaced, control removed");
	n = mk_policy_reply("DEFER_IF_PERMIT", small, sizeof(small));
	is_str(small, "action=DE\n\n", "cut to fit");
	is_int(n, 11, "cut length");
	is_int(mk_policy_reply("x", small, 8), 0, "too small");
}

int
main(void)
{
	test_frame();
	test_parse_ok();
	test_parse_bad();
	test_check();
	test_reply();
	diag("policy protocol tests done");
	return done_testing();
}
