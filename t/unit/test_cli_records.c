/*
 * t/unit/test_cli_records.c: the pure parts of mailaka dns/send --
 * expected SPF and DMARC records, TXT zone lines split at 255 bytes (exact
 * fit, one over, escapes), zone-file TXT parsing (dkim-keygen and
 * opendkim-genkey layouts, bad escapes, unbalanced quotes), and the test
 * message (CRLF, dot-stuffing, header injection, line limits).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/records.h"
#include "cli/send_msg.h"
#include "tap.h"

static void
test_spf_dmarc(void)
{
	struct rec_opts o = { .domain = "example.test" };
	char out[512];

	ok(rec_spf(&o, out, sizeof(out)) == 0, "spf without addresses");
	is_str(out, "v=spf1 a mx ~all", "spf: a mx when no address is known");
	o.ipv4[o.n4++] = "192.0.2.1";
	o.ipv6[o.n6++] = "2001:db8::1";
	ok(rec_spf(&o, out, sizeof(out)) == 0, "spf with addresses");
	is_str(out, "v=spf1 mx ip4:192.0.2.1 ip6:2001:db8::1 ~all", "spf: ip4 and ip6 listed");
	is_int(rec_spf(&o, out, 10), -1, "spf: too small a buffer");
	ok(rec_dmarc(&o, out, sizeof(out)) == 0, "dmarc default");
	is_str(out, "v=DMARC1; p=quarantine; fo=1; rua=mailto:postmaster@example.test", "dmarc: defaults");
	o.rua = "a@example.test";
	o.ruf = "f@example.test";
	o.policy = "reject";
	ok(rec_dmarc(&o, out, sizeof(out)) == 0, "dmarc with options");
	is_str(out, "v=DMARC1; p=reject; fo=1; rua=mailto:a@example.test; ruf=mailto:f@example.test",
	    "dmarc: rua, ruf, policy");
	rec_mx_host(&o, out, sizeof(out));
	is_str(out, "mail.example.test", "mx host default");
	o.mx = "mx.example.test.";
	rec_mx_host(&o, out, sizeof(out));
	is_str(out, "mx.example.test", "mx host: trailing dot removed");
}

static void
test_txt_line(void)
{
	char text[600], out[2048], back[600];
	size_t n;

	ok(rec_txt_line("a.test", "v=spf1 -all", 11, out, sizeof(out)) == 0, "short TXT");
	is_str(out, "a.test. IN TXT ( \"v=spf1 -all\" )", "short TXT line");
	ok(rec_txt_line("a.test", "", 0, out, sizeof(out)) == 0, "empty TXT");
	is_str(out, "a.test. IN TXT ( \"\" )", "empty TXT: one empty string");
	ok(rec_txt_line("a.test", "q\"b\\\x01", 5, out, sizeof(out)) == 0, "escapes");
	is_str(out, "a.test. IN TXT ( \"q\\\"b\\\\\\001\" )", "quote, backslash, control escaped");

	memset(text, 'x', sizeof(text));
	ok(rec_txt_line("a.test", text, 255, out, sizeof(out)) == 0, "255 bytes");
	ok(strstr(out, "\" \"") == NULL, "255 bytes: one string (exact fit)");
	ok(rec_txt_line("a.test", text, 256, out, sizeof(out)) == 0, "256 bytes");
	ok(strstr(out, "\" \"x\" )") != NULL, "256 bytes: a second string of 1 byte");
	ok(rec_txt_line("a.test", text, 511, out, sizeof(out)) == 0, "511 bytes: three strings");
	ok(rec_txt_parse(out, strlen(out), back, sizeof(back), &n) == 0 && n == 511 &&
	    memcmp(back, text, 511) == 0, "a printed line parses back to its text");
	is_int(rec_txt_line("a.test", text, 511, out, 300), -1, "does not fit: -1");
}

static void
test_txt_parse(void)
{
	static const struct { const char *in; int rc; const char *text; } v[] = {
		{ "s._domainkey.d.test. IN TXT ( \"v=DKIM1; k=rsa; \" \"p=AB\" )\n", 0,
		  "v=DKIM1; k=rsa; p=AB" },
		{ "sel._domainkey\tIN\tTXT\t( \"v=DKIM1; h=sha256; k=rsa; \"\n\t  \"p=MII\" )  ; "
		  "----- DKIM key sel for \"x\"\n", 0, "v=DKIM1; h=sha256; k=rsa; p=MII" },
		{ "x IN TXT \"a\\\"b\\\\c\\065\"", 0, "a\"b\\cA" },
		{ "x IN TXT \"\"", 0, "" },
		{ "x IN TXT", -1, NULL },			/* no string */
		{ "x IN TXT \"open", -1, NULL },		/* unbalanced */
		{ "x IN TXT \"bad \\25\"", -1, NULL },		/* short \DDD */
		{ "x IN TXT \"big \\256\"", -1, NULL },		/* > 255 */
		{ "x IN TXT \"a\nb\"", -1, NULL },		/* newline inside a string */
		{ "; \"only a comment\"\n", -1, NULL },
	};
	char out[128], tiny[4];
	size_t i, n;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rc = rec_txt_parse(v[i].in, strlen(v[i].in), out, sizeof(out), &n);
		is_int(rc, v[i].rc, "txt parse %zu", i);
		if (rc == 0)
			is_str(out, v[i].text, "txt parse %zu: text", i);
	}
	is_int(rec_txt_parse("\"abcd\"", 6, tiny, sizeof(tiny), &n), -1, "does not fit: -1");
	is_int(rec_txt_parse("\"abc\"", 5, tiny, sizeof(tiny), &n), 0, "exact fit (3 + NUL)");
}

static char *
build(const char *subject, const char *body, size_t *len, char *err, size_t errlen)
{
	struct send_msg m = { .from = "a@example.test", .to = { "b@example.test", "c@example.test" },
	    .nto = 2, .subject = subject, .msgid = "id1@example.test", .now = 0, .body = body,
	    .bodylen = body != NULL ? strlen(body) : 0 };

	return send_msg_build(&m, len, err, errlen);
}

static void
test_msg(void)
{
	char err[256], *m, *body, big[SEND_MSG_LINE_MAX + 2];
	size_t len;

	m = build("hi", "line1\n.dot\r\n..two\n.\nend", &len, err, sizeof(err));
	ok(m != NULL, "message built");
	if (m != NULL) {
		ok(strncmp(m, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\nFrom: <a@example.test>\r\n"
		    "To: <b@example.test>,\r\n    <c@example.test>\r\nSubject: hi\r\n"
		    "Message-ID: <id1@example.test>\r\n", 150) == 0, "header fields");
		body = strstr(m, "\r\n\r\n");
		is_str(body, "\r\n\r\nline1\r\n..dot\r\n...two\r\n..\r\nend\r\n.\r\n",
		    "body: CRLF, leading dots doubled, final line ended, terminator");
		ok(len == strlen(m), "length");
		free(m);
	}
	m = build("hi", NULL, &len, err, sizeof(err));
	ok(m != NULL && strstr(m, "mailaka send") != NULL, "default body");
	free(m);
	m = build("h\xc3\xa9llo", "x", &len, err, sizeof(err));
	ok(m != NULL && strstr(m, "Subject: =?UTF-8?B?aMOpbGxv?=\r\n") != NULL, "8-bit subject encoded (RFC 2047)");
	free(m);
	ok(build("a\r\nBcc: x@y", "x", &len, err, sizeof(err)) == NULL, "subject with CRLF refused");
	ok(build("a", "bare\rCR", &len, err, sizeof(err)) == NULL, "bare CR in body refused");
	is_str(err, "body line 1: bare CR", "bare CR: reason");
	memset(big, 'x', sizeof(big));
	big[SEND_MSG_LINE_MAX] = '\0';
	m = build("a", big, &len, err, sizeof(err));
	ok(m != NULL, "998-octet body line accepted (exact fit)");
	free(m);
	big[SEND_MSG_LINE_MAX] = 'x';
	big[SEND_MSG_LINE_MAX + 1] = '\0';
	ok(build("a", big, &len, err, sizeof(err)) == NULL, "999-octet body line refused");

	ok(send_msg_addr_check("a@example.test", err, sizeof(err)) == 0, "address ok");
	ok(send_msg_addr_check("<a@example.test>", err, sizeof(err)) != 0, "address with <> refused");
	ok(send_msg_addr_check("a", err, sizeof(err)) != 0, "address without domain refused");
	ok(send_msg_addr_check("a@b c", err, sizeof(err)) != 0, "address with a space refused");
	ok(send_msg_addr_check("", err, sizeof(err)) != 0, "empty address refused");
}

int
main(void)
{
	test_spf_dmarc();
	test_txt_line();
	test_txt_parse();
	test_msg();
	return done_testing();
}
