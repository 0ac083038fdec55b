/*
 * t/unit/test_netstring.c: netstring framing, socketmap requests/replies,
 * tcp_table requests/replies (boundaries: exact fit, one over, empty, NUL,
 * partial input, CR/LF).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "netstring.h"
#include "tap.h"

static void
test_netstring(void)
{
	static const struct { const char *in; size_t len; int rc; bool complete; const char *data;
	    size_t consumed; const char *why; } v[] = {
		{ "5:hello,", 8, 0, true, "hello", 8, NULL },
		{ "5:hello,3:abc,", 14, 0, true, "hello", 8, NULL },
		{ "0:,", 3, 0, true, "", 3, NULL },
		{ "5:hello", 7, 0, false, NULL, 0, NULL },
		{ "5:hel", 5, 0, false, NULL, 0, NULL },
		{ "1", 1, 0, false, NULL, 0, NULL },
		{ "", 0, 0, false, NULL, 0, NULL },
		{ "5:hello;", 8, -1, false, NULL, 0, "netstring: missing comma" },
		{ "x:", 2, -1, false, NULL, 0, "netstring: bad length" },
		{ ":abc,", 5, -1, false, NULL, 0, "netstring: empty length" },
		{ "05:hello,", 9, -1, false, NULL, 0, "netstring: leading zero" },
		{ "-1:", 3, -1, false, NULL, 0, "netstring: bad length" },
		{ "11:", 3, -1, false, NULL, 0, "netstring: too large" },
		{ "10:0123456789,", 14, 0, true, "0123456789", 14, NULL },
		{ "99999999999999999999:", 21, -1, false, NULL, 0, "netstring: too large" },
		{ "3:a\0b,", 6, 0, true, "a\0b", 6, NULL },
	};
	struct mk_netstring ns;
	const char *why;
	char out[32];
	size_t n;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		why = NULL;
		is_int(mk_netstring_parse(v[i].in, v[i].len, 10, &ns, &why), v[i].rc,
		    "netstring %zu rc", i);
		if (v[i].rc == -1) {
			is_str(why, v[i].why, "  reason");
			continue;
		}
		is_int(ns.complete, v[i].complete, "  complete");
		if (v[i].complete)
			ok(ns.consumed == v[i].consumed && memcmp(ns.data, v[i].data, ns.len) == 0,
			    "  data and consumed");
	}
	is_int(mk_netstring_format("hello", 5, out, 9, &n), 0, "format exact fit");
	ok(n == 8 && memcmp(out, "5:hello,", 8) == 0, "  bytes");
	is_int(mk_netstring_format("hello", 5, out, 7, &n), -1, "format one byte short");
	is_int(mk_netstring_format("", 0, out, sizeof(out), &n), 0, "format empty");
	ok(n == 3 && memcmp(out, "0:,", 3) == 0, "  0:,");
}

static void
test_sockmap(void)
{
	static const struct { const char *in; int rc; const char *name, *key, *why; } v[] = {
		{ "alias user@example.test", 0, "alias", "user@example.test", NULL },
		{ "forward a b", 0, "forward", "a b", NULL },
		{ "reverse SRS0=x=y=z=w@d", 0, "reverse", "SRS0=x=y=z=w@d", NULL },
		{ "nospace", -1, NULL, NULL, "socketmap: no space between name and key" },
		{ " key", -1, NULL, NULL, "socketmap: bad map name length" },
		{ "alias ", -1, NULL, NULL, "socketmap: empty key" },
		{ "al/ias key", -1, NULL, NULL, "socketmap: bad character in map name" },
	};
	struct mk_map_request r;
	const char *why;
	char big[MK_SOCKMAP_KEY_MAX + 16], out[256];
	size_t n;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		why = NULL;
		is_int(mk_sockmap_request_parse(v[i].in, strlen(v[i].in), &r, &why), v[i].rc,
		    "socketmap request \"%s\"", v[i].in);
		if (v[i].rc == 0) {
			is_str(r.name, v[i].name, "  name");
			is_str(r.key, v[i].key, "  key");
		} else {
			is_str(why, v[i].why, "  reason");
		}
	}
	is_int(mk_sockmap_request_parse("a k\0y", 5, &r, &why), -1, "NUL in key");
	memcpy(big, "a ", 2);
	memset(big + 2, 'k', sizeof(big) - 2);
	is_int(mk_sockmap_request_parse(big, 2 + MK_SOCKMAP_KEY_MAX, &r, &why), 0, "key at max");
	is_int((int)r.keylen, MK_SOCKMAP_KEY_MAX, "  length");
	is_int(mk_sockmap_request_parse(big, 3 + MK_SOCKMAP_KEY_MAX, &r, &why), -1, "key one over");
	memset(big, 'n', 70);
	big[65] = ' ';
	is_int(mk_sockmap_request_parse(big, 70, &r, &why), -1, "name of 65 refused");
	big[64] = ' ';
	is_int(mk_sockmap_request_parse(big, 70, &r, &why), 0, "name of 64 accepted");

	mk_sockmap_reply_format(MK_MAP_OK, "a@b", out, sizeof(out), &n);
	is_str(out, "6:OK a@b,", "reply OK");
	mk_sockmap_reply_format(MK_MAP_NOTFOUND, "ignored", out, sizeof(out), &n);
	is_str(out, "9:NOTFOUND ,", "reply NOTFOUND (with Postfix's trailing space)");
	mk_sockmap_reply_format(MK_MAP_TEMP, "alias loop", out, sizeof(out), &n);
	is_str(out, "15:TEMP alias loop,", "reply TEMP");
	mk_sockmap_reply_format(MK_MAP_PERM, "x", out, sizeof(out), &n);
	is_str(out, "6:PERM x,", "reply PERM");
	mk_sockmap_reply_format(MK_MAP_TIMEOUT, "x", out, sizeof(out), &n);
	is_str(out, "9:TIMEOUT x,", "reply TIMEOUT");
	is_int(mk_sockmap_reply_format(MK_MAP_OK, "abc", out, 10, &n), 0, "reply exact fit");
	is_int(mk_sockmap_reply_format(MK_MAP_OK, "abc", out, 9, &n), -1, "reply one byte short");
}

static void
test_tcptable(void)
{
	static const struct { const char *in; int rc; const char *key, *why; } v[] = {
		{ "get user@example.test", 0, "user@example.test", NULL },
		{ "GET a%20b%25c\r", 0, "a b%c", NULL },
		{ "get %41%6a", 0, "Aj", NULL },
		{ "get ", -1, NULL, "tcp_table: empty key" },
		{ "get", -1, NULL, "tcp_table: expected \"get KEY\"" },
		{ "put a b", -1, NULL, "tcp_table: put is not supported" },
		{ "hello", -1, NULL, "tcp_table: expected \"get KEY\"" },
		{ "get a%2", -1, NULL, "tcp_table: bad key encoding or too long" },
		{ "get a%", -1, NULL, "tcp_table: bad key encoding or too long" },
		{ "get a%zz", -1, NULL, "tcp_table: bad key encoding or too long" },
		{ "get a%00b", -1, NULL, "tcp_table: bad key encoding or too long" },
	};
	struct mk_map_request r;
	const char *why;
	char out[128];
	size_t n;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		why = NULL;
		is_int(mk_tcptable_request_parse(v[i].in, strlen(v[i].in), &r, &why), v[i].rc,
		    "tcp_table request \"%s\"", v[i].in);
		if (v[i].rc == 0)
			is_str(r.key, v[i].key, "  key");
		else
			is_str(why, v[i].why, "  reason");
	}
	mk_tcptable_reply_format(MK_MAP_OK, "SRS0=x=y=z=w@d", out, sizeof(out), &n);
	is_str(out, "200 SRS0=x=y=z=w@d\n", "tcp reply 200");
	mk_tcptable_reply_format(MK_MAP_OK, "a b%c\x7f", out, sizeof(out), &n);
	is_str(out, "200 a%20b%25c%7F\n", "tcp reply encodes");
	mk_tcptable_reply_format(MK_MAP_NOTFOUND, "not found", out, sizeof(out), &n);
	is_str(out, "500 not%20found\n", "tcp reply 500");
	mk_tcptable_reply_format(MK_MAP_TEMP, "x", out, sizeof(out), &n);
	is_str(out, "400 x\n", "tcp reply 400");
	is_int(mk_tcptable_reply_format(MK_MAP_OK, "abc", out, 9, &n), 0, "tcp reply exact fit");
	is_int(mk_tcptable_reply_format(MK_MAP_OK, "abc", out, 8, &n), -1, "tcp reply one short");
}

int
main(void)
{
	diag("netstring, socketmap, tcp_table codecs");
	test_netstring();
	test_sockmap();
	test_tcptable();
	return done_testing();
}
