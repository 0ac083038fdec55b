/*
 * t/unit/test_addr.c: lib/addr.c, RFC 5321 paths, domains and RFC 5322
 * From header addresses.  Table-driven; inputs carry explicit lengths so
 * that embedded NULs are tested.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

/* A string literal with its length (NULs inside count). */
#define S(s) s, sizeof(s) - 1

struct path_case {
	const char *in;
	size_t len;
	unsigned flags;
	int rc;
	bool null;
	const char *local;	/* rc 0 && !null */
	const char *domain;
	size_t end;		/* rc 0 */
	const char *why;	/* rc -1 */
};

static const struct path_case path_cases[] = {
	{ S("<user@example.com>"), 0, 0, false, "user", "example.com", 18, NULL },
	{ S("<User.Name+tag@Example.COM>"), 0, 0, false, "User.Name+tag", "example.com", 27, NULL },
	{ S("<>"), 0, 0, true, NULL, NULL, 2, NULL },
	{ S("<> SIZE=100"), 0, 0, true, NULL, NULL, 2, NULL },
	{ S("<a@b.example> SIZE=100 BODY=8BITMIME"), 0, 0, false, "a", "b.example", 13, NULL },
	{ S(" <a@example.com>"), 0, 0, false, "a", "example.com", 16, NULL },
	{ S("<\"a b\"@example.com>"), 0, 0, false, "\"a b\"", "example.com", 19, NULL },
	{ S("<\"a\\\"b\"@example.com>"), 0, 0, false, "\"a\\\"b\"", "example.com", 20, NULL },
	{ S("<\"\"@example.com>"), 0, 0, false, "\"\"", "example.com", 16, NULL },
	{ S("<a@example.com.>"), 0, 0, false, "a", "example.com", 16, NULL },
	{ S("<a@[192.0.2.1]>"), 0, 0, false, "a", "[192.0.2.1]", 15, NULL },
	{ S("<a@[IPv6:::1]>"), 0, 0, false, "a", "[ipv6:::1]", 14, NULL },
	{ S("<a@[IPv6:2001:DB8::1]>"), 0, 0, false, "a", "[ipv6:2001:db8::1]", 22, NULL },
	{ S("<a@xn--bcher-kva.example>"), 0, 0, false, "a", "xn--bcher-kva.example", 25, NULL },
	{ S("<j\xc3\xb6rg@example.com>"), 0, 0, false, "j\xc3\xb6rg", "example.com", 19, NULL },
	{ S("<\"j\xc3\xb6 rg\"@example.com>"), 0, 0, false, "\"j\xc3\xb6 rg\"", "example.com", 22, NULL },
	{ S("<postmaster>"), MK_PATH_NO_DOMAIN, 0, false, "postmaster", "", 12, NULL },
	{ S("<PostMaster>"), MK_PATH_NO_DOMAIN, 0, false, "PostMaster", "", 12, NULL },
	{ S("<postmaster@example.com>"), MK_PATH_NO_DOMAIN, 0, false, "postmaster", "example.com", 24, NULL },
	{ S("user@example.com"), MK_PATH_LAX, 0, false, "user", "example.com", 16, NULL },
	{ S("user@example.com SIZE=1"), MK_PATH_LAX, 0, false, "user", "example.com", 16, NULL },
	{ S("<user@example.com>"), MK_PATH_LAX, 0, false, "user", "example.com", 18, NULL },
	{ S(""), MK_PATH_LAX, 0, true, NULL, NULL, 0, NULL },
	{ S("<a@b.example>x"), 0, 0, false, "a", "b.example", 13, NULL },
	{ S("<a@[IPv6:::1]> SIZE=5"), 0, 0, false, "a", "[ipv6:::1]", 14, NULL },
	{ S("<>"), MK_PATH_LAX, 0, true, NULL, NULL, 2, NULL },
	{ S("postmaster"), MK_PATH_LAX | MK_PATH_NO_DOMAIN, 0, false, "postmaster", "", 10, NULL },

	{ S(""), 0, -1, false, NULL, NULL, 0, "empty path" },
	{ S("   "), 0, -1, false, NULL, NULL, 0, "empty path" },
	{ S("user@example.com"), 0, -1, false, NULL, NULL, 0, "missing <" },
	{ S("<@a,@b:u@c>"), 0, -1, false, NULL, NULL, 0, "source route not allowed" },
	{ S("<@a:u@c>"), MK_PATH_LAX, -1, false, NULL, NULL, 0, "source route not allowed" },
	{ S("<postmaster>"), 0, -1, false, NULL, NULL, 0, "missing @" },
	{ S("<root>"), MK_PATH_NO_DOMAIN, -1, false, NULL, NULL, 0, "missing @" },
	{ S("<a@b"), 0, -1, false, NULL, NULL, 0, "unbalanced angle brackets" },
	{ S("<a@b SIZE=1"), 0, -1, false, NULL, NULL, 0, "whitespace or control character in path" },
	{ S("a@b>"), MK_PATH_LAX, -1, false, NULL, NULL, 0, "unbalanced angle brackets" },
	{ S("<<a@b>>"), 0, -1, false, NULL, NULL, 0, "unbalanced angle brackets" },
	{ S("<"), 0, -1, false, NULL, NULL, 0, "empty local part" },
	{ S("<a@b@c>"), 0, -1, false, NULL, NULL, 0, "more than one @" },
	{ S("<a b@c>"), 0, -1, false, NULL, NULL, 0, "whitespace or control character in path" },
	{ S("<a\tb@c>"), 0, -1, false, NULL, NULL, 0, "whitespace or control character in path" },
	{ S("<a\0b@c>"), 0, -1, false, NULL, NULL, 0, "whitespace or control character in path" },
	{ S("<a@exa\0mple.com>"), 0, -1, false, NULL, NULL, 0, "invalid character in domain" },
	{ S("<a@example.com\r\n>"), 0, -1, false, NULL, NULL, 0, "invalid character in domain" },
	{ S("<a,b@c>"), 0, -1, false, NULL, NULL, 0, "invalid character in local part" },
	{ S("<.a@c>"), 0, -1, false, NULL, NULL, 0, "bad dot in local part" },
	{ S("<a.@c>"), 0, -1, false, NULL, NULL, 0, "bad dot in local part" },
	{ S("<a..b@c>"), 0, -1, false, NULL, NULL, 0, "bad dot in local part" },
	{ S("<\"ab@c>"), 0, -1, false, NULL, NULL, 0, "unterminated quoted string" },
	{ S("<\"a\\"), 0, -1, false, NULL, NULL, 0, "unterminated quoted string" },
	{ S("<\"a\x01\"@c>"), 0, -1, false, NULL, NULL, 0, "control character in quoted string" },
	{ S("<\"a\\\x01\"@c>"), 0, -1, false, NULL, NULL, 0, "bad quoted-pair" },
	{ S("<a\xff@c>"), 0, -1, false, NULL, NULL, 0, "invalid UTF-8 in local part" },
	{ S("<a\xc3@c>"), 0, -1, false, NULL, NULL, 0, "invalid UTF-8 in local part" },
	{ S("<a\xc0\xaf@c>"), 0, -1, false, NULL, NULL, 0, "invalid UTF-8 in local part" },
	{ S("<a\xed\xa0\x80@c>"), 0, -1, false, NULL, NULL, 0, "invalid UTF-8 in local part" },
	{ S("<a@b\xc3\xa4r.example>"), 0, -1, false, NULL, NULL, 0, "8-bit character in domain" },
	{ S("<a@>"), 0, -1, false, NULL, NULL, 0, "empty domain" },
	{ S("<@>"), 0, -1, false, NULL, NULL, 0, "source route not allowed" },
	{ S("<a@b..c>"), 0, -1, false, NULL, NULL, 0, "empty label in domain" },
	{ S("<a@-b.c>"), 0, -1, false, NULL, NULL, 0, "label starts with hyphen" },
	{ S("<a@[1.2.3]>"), 0, -1, false, NULL, NULL, 0, "bad address literal" },
	{ S("<a@[IPv6:1.2.3.4]>"), 0, -1, false, NULL, NULL, 0, "bad IPv6 address literal" },
};

static void
test_path(void)
{
	const struct path_case *c;
	struct mk_path p;
	const char *why;
	size_t i, end;
	int rc;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		c = &path_cases[i];
		why = NULL;
		rc = mk_path_parse(c->in, c->len, c->flags, &p, &end, &why);
		is_int(rc, c->rc, "path %zu: rc", i);
		if (rc != c->rc) {
			diag("input \"%.*s\" why \"%s\"", (int)c->len, c->in, why ? why : "");
			continue;
		}
		if (rc == -1) {
			is_str(why, c->why, "path %zu: why", i);
			continue;
		}
		if (c->null) {
			ok(p.null && end == c->end, "path %zu: null path, end %zu (got null %d end %zu)",
			    i, c->end, p.null, end);
			continue;
		}
		ok(!p.null && strcmp(p.addr.local, c->local) == 0 &&
		    strcmp(p.addr.domain, c->domain) == 0 && end == c->end,
		    "path %zu: got \"%s\" \"%s\" end %zu, want \"%s\" \"%s\" end %zu", i,
		    p.addr.local, p.addr.domain, end, c->local, c->domain, c->end);
	}
}

/* Over-long local part and domain, built at run time. */
static void
test_path_limits(void)
{
	char buf[2100];
	struct mk_path p;
	const char *why;
	size_t end, n;
	int rc;

	/* 255 octets: exact fit. */
	buf[0] = '<';
	memset(buf + 1, 'a', MK_ADDR_LOCAL_MAX);
	n = 1 + MK_ADDR_LOCAL_MAX;
	memcpy(buf + n, "@example.com>", 13);
	n += 13;
	rc = mk_path_parse(buf, n, 0, &p, &end, &why);
	is_int(rc, 0, "local part of 255 octets accepted");
	is_int(strlen(p.addr.local), MK_ADDR_LOCAL_MAX, "local part of 255 octets kept whole");

	/* 256 and 1000 octets: too long. */
	memset(buf + 1, 'a', 1000);
	memcpy(buf + 1 + 256, "@example.com>", 13);
	why = NULL;
	rc = mk_path_parse(buf, 1 + 256 + 13, 0, &p, &end, &why);
	is_int(rc, -1, "local part of 256 octets refused");
	is_str(why, "local part too long", "local part of 256 octets: why");
	memset(buf + 1, 'a', 1000);
	memcpy(buf + 1 + 1000, "@example.com>", 13);
	why = NULL;
	rc = mk_path_parse(buf, 1 + 1000 + 13, 0, &p, &end, &why);
	is_int(rc, -1, "local part of 1000 octets refused");
	is_str(why, "local part too long", "local part of 1000 octets: why");

	/* Quoted local part of 1000 octets. */
	buf[1] = '"';
	memset(buf + 2, 'a', 1000);
	memcpy(buf + 1002, "\"@example.com>", 14);
	why = NULL;
	rc = mk_path_parse(buf, 1016, 0, &p, &end, &why);
	is_str(why, "local part too long", "quoted local part of 1000 octets: why");

	/* A domain of 2000 octets. */
	memcpy(buf, "<a@", 3);
	memset(buf + 3, 'b', 2000);
	buf[2003] = '>';
	why = NULL;
	rc = mk_path_parse(buf, 2004, 0, &p, &end, &why);
	is_int(rc, -1, "domain of 2000 octets refused");
	is_str(why, "domain too long", "domain of 2000 octets: why");
}

struct dom_case {
	const char *in;
	size_t len;
	int rc;
	const char *out;	/* rc 0: result; rc -1: why */
};

static const struct dom_case dom_cases[] = {
	{ S("example.com"), 0, "example.com" },
	{ S("Example.COM."), 0, "example.com" },
	{ S("localhost"), 0, "localhost" },
	{ S("a-b.c-d.example"), 0, "a-b.c-d.example" },
	{ S("XN--BCHER-KVA.example"), 0, "xn--bcher-kva.example" },
	{ S("xn--80ak6aa92e.com"), 0, "xn--80ak6aa92e.com" },
	{ S("123.example"), 0, "123.example" },
	{ S("[192.0.2.1]"), 0, "[192.0.2.1]" },
	{ S("[IPv6:::1]"), 0, "[ipv6:::1]" },
	{ S("[ipv6:2001:DB8::ffff:192.0.2.1]"), 0, "[ipv6:2001:db8::ffff:192.0.2.1]" },
	{ S(""), -1, "empty domain" },
	{ S("."), -1, "empty domain" },
	{ S("a..b"), -1, "empty label in domain" },
	{ S(".a"), -1, "empty label in domain" },
	{ S("a.."), -1, "empty label in domain" },
	{ S("-a.example"), -1, "label starts with hyphen" },
	{ S("a-.example"), -1, "label ends with hyphen" },
	{ S("a.example-"), -1, "label ends with hyphen" },
	{ S("a_b.example"), -1, "invalid character in domain" },
	{ S("a b.example"), -1, "invalid character in domain" },
	{ S("exa\0mple.com"), -1, "invalid character in domain" },
	{ S("b\xc3\xbc" "cher.example"), -1, "8-bit character in domain" },
	{ S("[1.2.3.4"), -1, "unterminated address literal" },
	{ S("[]"), -1, "bad address literal" },
	{ S("[1.2.3.4\0]"), -1, "bad address literal" },
	{ S("[1.2.3.256]"), -1, "bad address literal" },
	{ S("[IPv6:::g]"), -1, "bad IPv6 address literal" },
	{ S("[foo:bar]"), -1, "bad address literal" },
	{ S("[1.2.3.4]."), -1, "unterminated address literal" },
};

static void
test_domain(void)
{
	char out[MK_ADDR_DOMAIN_MAX + 1], buf[400];
	const struct dom_case *c;
	const char *why;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(dom_cases) / sizeof(dom_cases[0]); i++) {
		c = &dom_cases[i];
		why = NULL;
		rc = mk_domain_normalize(c->in, c->len, out, sizeof(out), &why);
		is_int(rc, c->rc, "domain %zu: rc", i);
		if (rc != c->rc)
			continue;
		is_str(rc == 0 ? out : why, c->out, "domain %zu: %s", i, rc == 0 ? "result" : "why");
		is_int(mk_domain_is_valid(c->in, c->len), rc == 0, "domain %zu: is_valid", i);
	}

	/* Labels: 63 octets fit, 64 do not. */
	memset(buf, 'a', 64);
	memcpy(buf + 63, ".com", 4);
	is_int(mk_domain_normalize(buf, 67, out, sizeof(out), &why), 0, "label of 63 octets");
	memset(buf, 'a', 64);
	memcpy(buf + 64, ".com", 4);
	why = NULL;
	is_int(mk_domain_normalize(buf, 68, out, sizeof(out), &why), -1, "label of 64 octets");
	is_str(why, "label too long", "label of 64 octets: why");

	/* Names: 253 octets fit (with or without the root dot), 254 do not. */
	for (i = 0; i < 253; i++)
		buf[i] = (i % 2) ? '.' : 'a';
	is_int(mk_domain_normalize(buf, 253, out, sizeof(out), &why), 0, "domain of 253 octets");
	buf[253] = '.';
	is_int(mk_domain_normalize(buf, 254, out, sizeof(out), &why), 0,
	    "domain of 253 octets and a root dot");
	is_int(strlen(out), 253, "root dot removed");
	buf[253] = 'a';
	why = NULL;
	is_int(mk_domain_normalize(buf, 254, out, sizeof(out), &why), -1, "domain of 254 octets");
	is_str(why, "domain too long", "domain of 254 octets: why");

	/* Output buffer too small. */
	why = NULL;
	is_int(mk_domain_normalize("example.com", 11, out, 11, &why), -1, "output of 11 bytes");
	is_int(mk_domain_normalize("example.com", 11, out, 12, &why), 0, "output of 12 bytes");

	ok(mk_domain_equal("example.com", "EXAMPLE.com"), "domain_equal ignores case");
	ok(!mk_domain_equal("example.com", "example.co"), "domain_equal: prefix differs");
	ok(!mk_domain_equal("a.example", "b.example"), "domain_equal: different names");
}

struct from_case {
	const char *in;
	size_t len;
	int rc;
	size_t count;		/* rc 0 */
	const char *addrs;	/* rc 0: "local@domain" joined by '|'; rc -1: why */
};

static const struct from_case from_cases[] = {
	{ S("user@example.com"), 0, 1, "user@example.com" },
	{ S("User@Example.COM."), 0, 1, "User@example.com" },
	{ S("user@example.com (comment)"), 0, 1, "user@example.com" },
	{ S("John Doe <john@example.com>"), 0, 1, "john@example.com" },
	{ S("<john@example.com>"), 0, 1, "john@example.com" },
	{ S("John<john@example.com>"), 0, 1, "john@example.com" },
	{ S("\"Doe, John\" <john@example.com>"), 0, 1, "john@example.com" },
	{ S("\"a@b\" <real@example.com>"), 0, 1, "real@example.com" },
	{ S("\"a@b.example\" <real@example.com> (x@y.example)"), 0, 1, "real@example.com" },
	{ S("(a (b) c) x@example.com"), 0, 1, "x@example.com" },
	{ S("(a \\( b) x@example.com (c \\) d)"), 0, 1, "x@example.com" },
	{ S("\"q\\\"uote\" <x@example.com>"), 0, 1, "x@example.com" },
	{ S("\"a b\"@example.com"), 0, 1, "\"a b\"@example.com" },
	{ S("john . doe @ example . com"), 0, 1, "john.doe@example.com" },
	{ S("Mr. J. Doe <j@example.com>"), 0, 1, "j@example.com" },
	{ S("<@route.example,@other.example:u@d.example>"), 0, 1, "u@d.example" },
	{ S("x <,@route.example:u@d.example>"), 0, 1, "u@d.example" },
	{ S("a@x.example, b@y.example"), 0, 2, "a@x.example|b@y.example" },
	{ S("A <a@x.example>, \"B\" <b@y.example>"), 0, 2, "a@x.example|b@y.example" },
	{ S("Team: a@x.com, b@y.org;"), 0, 2, "a@x.com|b@y.org" },
	{ S("Team: a@x.com, B <b@y.org>; , c@z.net"), 0, 3, "a@x.com|b@y.org|c@z.net" },
	{ S("undisclosed-recipients:;, a@x.example"), 0, 1, "a@x.example" },
	{ S(", , a@x.example,"), 0, 1, "a@x.example" },
	{ S("=?UTF-8?B?SsO2cmc=?= <j@example.com>"), 0, 1, "j@example.com" },
	{ S("=?utf-8?q?J=C3=B6rg?= <j@example.com>"), 0, 1, "j@example.com" },
	{ S("a@x.example, a@y.example"), 0, 2, "a@x.example|a@y.example" },
	{ S("a@[192.0.2.1]"), 0, 1, "a@[192.0.2.1]" },
	{ S("a@[IPv6:::1]"), 0, 1, "a@[ipv6:::1]" },
	{ S("J\xc3\xb6rg <j\xc3\xb6rg@example.com>"), 0, 1, "j\xc3\xb6rg@example.com" },
	{ S("J\xf6rg <jorg@example.com>"), 0, 1, "jorg@example.com" },
	{ S("a@xn--bcher-kva.example"), 0, 1, "a@xn--bcher-kva.example" },
	{ S("John\r\n Doe <john@example.com>"), 0, 1, "john@example.com" },
	{ S("John\n\tDoe\r\n <john@example.com>"), 0, 1, "john@example.com" },
	{ S("a@example.com\r\n"), 0, 1, "a@example.com" },
	{ S("\"a\r\n b\"@example.com"), 0, 1, "\"a b\"@example.com" },
	{ S("(c\r\n omment) a@example.com"), 0, 1, "a@example.com" },
	/* an unquoted address as display name: the angle-addr counts */
	{ S("john@x.example <john@x.example>"), 0, 1, "john@x.example" },
	{ S("a@evil.example <b@good.example>"), 0, 1, "b@good.example" },
	{ S("a@evil.example <b@good.example>, c@z.example"), 0, 2, "b@good.example|c@z.example" },

	{ S(""), -1, 0, "no address" },
	{ S("   "), -1, 0, "no address" },
	{ S("(just a comment)"), -1, 0, "no address" },
	{ S("undisclosed-recipients:;"), -1, 0, "no address" },
	{ S("John Doe"), -1, 0, "address without @" },
	{ S("user"), -1, 0, "address without @" },
	{ S("Doe, John <j@example.com>"), -1, 0, "address without @" },
	{ S("a@b@c"), -1, 0, "unexpected text after address" },
	{ S("a@example.com junk"), -1, 0, "unexpected text after address" },
	{ S("a@evil.example <b@good.example> junk"), -1, 0, "unexpected text after address" },
	{ S("@example.com"), -1, 0, "empty local part" },
	{ S("a.@example.com"), -1, 0, "bad dot in local part" },
	{ S(".a@example.com"), -1, 0, "bad dot in local part" },
	{ S("a..b@example.com"), -1, 0, "bad dot in local part" },
	{ S("john doe@example.com"), -1, 0, "bad local part" },
	{ S("a@"), -1, 0, "missing domain" },
	{ S("a@b..c"), -1, 0, "empty label in domain" },
	{ S("a@-b.example"), -1, 0, "label starts with hyphen" },
	{ S("a@b_c.example"), -1, 0, "invalid character in domain" },
	{ S("a@b\xc3\xa4r.example"), -1, 0, "8-bit character in domain" },
	{ S("j\xf6rg@example.com"), -1, 0, "invalid UTF-8 in local part" },
	{ S("John <john@example.com"), -1, 0, "unbalanced angle brackets" },
	{ S("John john@example.com>"), -1, 0, "bad local part" },
	{ S("John <<john@example.com>>"), -1, 0, "empty local part" },
	{ S("John >"), -1, 0, "unbalanced angle brackets" },
	{ S("<>"), -1, 0, "empty angle address" },
	{ S("John <john>"), -1, 0, "bad local part" },
	{ S("\"unterminated <a@example.com>"), -1, 0, "unterminated quoted string" },
	{ S("(unterminated a@example.com"), -1, 0, "unterminated comment" },
	{ S("(a (b) a@example.com"), -1, 0, "unterminated comment" },
	{ S("a@example.com)"), -1, 0, "unbalanced parenthesis" },
	{ S("a@example.com\\"), -1, 0, "stray backslash" },
	{ S("a@[1.2.3.4"), -1, 0, "unterminated domain literal" },
	{ S("a@[1.2.3.999]"), -1, 0, "bad address literal" },
	{ S("Team: a@x.com, b@y.org"), -1, 0, "unterminated group" },
	{ S("A: B: a@x.com;;"), -1, 0, "nested group" },
	{ S(": a@x.com;"), -1, 0, "group without a name" },
	{ S("a@x.com;"), -1, 0, "unexpected ;" },
	{ S("<@route:u>"), -1, 0, "bad local part" },
	{ S("<@route u@d>"), -1, 0, "bad route in angle address" },
	{ S("John\rDoe <j@example.com>"), -1, 0, "bare CR" },
	{ S("John\r\nDoe <j@example.com>"), -1, 0, "line break not followed by whitespace" },
	{ S("John\nDoe <j@example.com>"), -1, 0, "line break not followed by whitespace" },
	{ S("a@example.com\r\n\r\n"), -1, 0, "line break not followed by whitespace" },
	{ S("a@example.com\0"), -1, 0, "control character" },
	{ S("Jo\0hn <a@example.com>"), -1, 0, "control character" },
	{ S("\"a\0b\" <a@example.com>"), -1, 0, "control character in quoted string" },
	{ S("(a\0b) a@example.com"), -1, 0, "control character in comment" },
	{ S("\"a\\\r\n b\" <a@example.com>"), -1, 0, "bad quoted-pair" },
};

/* "l@d|l@d" of the parsed addresses. */
static void
from_join(const struct mk_from *f, char *out, size_t outsz)
{
	char one[MK_ADDR_LOCAL_MAX + MK_ADDR_DOMAIN_MAX + 2];
	size_t i;

	out[0] = '\0';
	for (i = 0; i < f->count; i++) {
		if (mk_addr_format(&f->addr[i], one, sizeof(one)) == -1)
			snprintf(one, sizeof(one), "(format failed)");
		if (i > 0)
			strncat(out, "|", outsz - strlen(out) - 1);
		strncat(out, one, outsz - strlen(out) - 1);
	}
}

static void
test_from(void)
{
	static struct mk_from f;
	const struct from_case *c;
	char joined[2048];
	const char *why;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(from_cases) / sizeof(from_cases[0]); i++) {
		c = &from_cases[i];
		why = NULL;
		rc = mk_from_parse(c->in, c->len, &f, &why);
		is_int(rc, c->rc, "from %zu: rc", i);
		if (rc != c->rc) {
			diag("input \"%.*s\" why \"%s\"", (int)c->len, c->in, why ? why : "");
			continue;
		}
		if (rc == -1) {
			is_str(why, c->addrs, "from %zu: why", i);
			continue;
		}
		from_join(&f, joined, sizeof(joined));
		ok(f.count == c->count && strcmp(joined, c->addrs) == 0 && !f.truncated,
		    "from %zu: got %zu \"%s\", want %zu \"%s\"", i, f.count, joined, c->count,
		    c->addrs);
	}
}

static void
test_from_limits(void)
{
	static struct mk_from f;
	static char buf[MK_FROM_HEADER_MAX + 2];
	const char *why;
	size_t n = 0, i;
	int rc;

	/* Exactly MK_FROM_ADDRS_MAX, then one more. */
	for (i = 0; i < MK_FROM_ADDRS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%su%zu@d%zu.example",
		    i ? ", " : "", i, i);
	rc = mk_from_parse(buf, n, &f, &why);
	ok(rc == 0 && f.count == MK_FROM_ADDRS_MAX && !f.truncated,
	    "%d addresses: got rc %d count %zu truncated %d, want 0 %d 0", MK_FROM_ADDRS_MAX, rc,
	    f.count, f.truncated, MK_FROM_ADDRS_MAX);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", last@last.example");
	rc = mk_from_parse(buf, n, &f, &why);
	ok(rc == 0 && f.count == MK_FROM_ADDRS_MAX && f.truncated,
	    "%d addresses: got rc %d count %zu truncated %d, want 0 %d 1", MK_FROM_ADDRS_MAX + 1,
	    rc, f.count, f.truncated, MK_FROM_ADDRS_MAX);
	is_str(f.addr[MK_FROM_ADDRS_MAX - 1].domain, "d31.example", "last kept address");
	/* A syntax error after the cut still fails. */
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", bad@");
	why = NULL;
	rc = mk_from_parse(buf, n, &f, &why);
	is_int(rc, -1, "syntax error after the kept addresses");
	is_int(f.count, 0, "count cleared on failure");

	/* A 1000-octet local part. */
	memset(buf, 'a', 1000);
	memcpy(buf + 1000, "@example.com", 12);
	why = NULL;
	rc = mk_from_parse(buf, 1012, &f, &why);
	is_int(rc, -1, "1000-octet local part refused");
	is_str(why, "local part too long", "1000-octet local part: why");
	/* 255 octets fit. */
	memcpy(buf + 255, "@example.com", 12);
	rc = mk_from_parse(buf, 267, &f, &why);
	is_int(rc, 0, "255-octet local part accepted");
	/* Long domain. */
	memcpy(buf, "a@", 2);
	memset(buf + 2, 'b', 600);
	why = NULL;
	rc = mk_from_parse(buf, 602, &f, &why);
	is_str(why, "domain too long", "600-octet domain: why");

	/* Whole header: the limit fits (a long comment), one byte over does not. */
	memset(buf, ' ', MK_FROM_HEADER_MAX + 1);
	memcpy(buf, "a@example.com (", 15);
	buf[MK_FROM_HEADER_MAX - 1] = ')';
	rc = mk_from_parse(buf, MK_FROM_HEADER_MAX, &f, &why);
	is_int(rc, 0, "header of MK_FROM_HEADER_MAX bytes");
	why = NULL;
	rc = mk_from_parse(buf, MK_FROM_HEADER_MAX + 1, &f, &why);
	is_int(rc, -1, "header one byte over the limit");
	is_str(why, "header too long", "header one byte over: why");

	/* Deeply nested comment (no recursion, no limit needed). */
	n = 0;
	for (i = 0; i < 10000; i++)
		buf[n++] = '(';
	for (i = 0; i < 10000; i++)
		buf[n++] = ')';
	memcpy(buf + n, " a@example.com", 14);
	rc = mk_from_parse(buf, n + 14, &f, &why);
	is_int(rc, 0, "comment nested 10000 deep");
}

static void
test_format(void)
{
	struct mk_addr a;
	char out[32];

	strcpy(a.local, "user");
	strcpy(a.domain, "example.com");
	is_int(mk_addr_format(&a, out, sizeof(out)), 0, "format fits");
	is_str(out, "user@example.com", "format result");
	is_int(mk_addr_format(&a, out, 17), 0, "format: exact fit");
	is_int(mk_addr_format(&a, out, 16), -1, "format: one byte short");
	a.domain[0] = '\0';
	strcpy(a.local, "postmaster");
	is_int(mk_addr_format(&a, out, sizeof(out)), 0, "format without domain");
	is_str(out, "postmaster", "format without domain: result");
}

int
main(void)
{
	test_path();
	test_path_limits();
	test_domain();
	test_from();
	test_from_limits();
	test_format();
	return done_testing();
}
