/* t/unit/test_authres.c: RFC 8601 Authentication-Results builder and parser. */
#include "config.h"

#include <string.h>

#include "lib/authres.h"
#include "tap.h"

static void
test_build(void)
{
	struct mk_authres ar;
	struct mk_authres_result *r;
	char out[1024];

	is_int(mk_authres_init(&ar, "mx.example.org"), 0, "init");
	is_int(mk_authres_format(&ar, out, sizeof(out)), 0, "format empty");
	is_str(out, "mx.example.org; none", "no result -> none");

	r = mk_authres_add(&ar, "dkim", "pass");
	ok(r != NULL, "add");
	mk_authres_add_prop(r, "header.d", "example.com");
	mk_authres_add_prop(r, "header.s", "sel");
	mk_authres_add_prop(r, "header.b", "ab/+Cd=e");
	r = mk_authres_add(&ar, "dkim", "permerror");
	mk_authres_set_reason(r, "key \"missing\"");
	mk_authres_add_prop(r, "header.d", "user@example.net");
	is_int(mk_authres_format(&ar, out, sizeof(out)), 0, "format two");
	is_str(out, "mx.example.org; dkim=pass header.d=example.com header.s=sel "
	    "header.b=\"ab/+Cd=e\";\n\tdkim=permerror reason=\"key \\\"missing\\\"\" "
	    "header.d=user@example.net", "formatted, quoted where needed");
	is_int(mk_authres_format(&ar, out, 20), -1, "too small buffer fails");
	ok(mk_authres_init(&ar, "") == -1, "empty authserv-id refused");
}

static void
test_parse(void)
{
	struct mk_authres ar, ar2;
	const struct mk_authres_result *r;
	const char *why;
	char id[64], out[2048];
	const char *h = " mx.example.org (comment (nested)) 1;\r\n\tspf=pass (sender ok) "
	    "smtp.mailfrom=a@example.com;\r\n dkim=fail reason=\"bad sig\" header.d=example.com "
	    "header.b=\"ab/c=\"; dmarc=pass header.from=example.com";

	is_int(mk_authres_parse(h, strlen(h), &ar, &why), 0, "parse");
	is_str(ar.authserv_id, "mx.example.org", "authserv-id");
	is_int(ar.version, 1, "version");
	is_int(ar.count, 3, "3 results");
	r = mk_authres_find(&ar, "dkim");
	ok(r != NULL, "dkim found");
	is_str(r ? r->result : NULL, "fail", "dkim result");
	is_str(r ? r->reason : NULL, "bad sig", "reason");
	is_str(r ? mk_authres_prop(r, "header.b") : NULL, "ab/c=", "quoted pvalue");
	r = mk_authres_find(&ar, "spf");
	is_str(r ? mk_authres_prop(r, "smtp.mailfrom") : NULL, "a@example.com", "address pvalue");

	/* round trip: format then parse gives the same */
	is_int(mk_authres_format(&ar, out, sizeof(out)), 0, "re-format");
	is_int(mk_authres_parse(out, strlen(out), &ar2, &why), 0, "re-parse");
	is_int(ar2.count, ar.count, "round trip count");
	is_str(ar2.res[1].prop[1].value, ar.res[1].prop[1].value, "round trip value");

	is_int(mk_authres_parse("x; none", 7, &ar, &why), 0, "none");
	ok(ar.none && ar.count == 0, "none flagged");
	is_int(mk_authres_parse("x; none; dkim=pass", 18, &ar, &why), -1, "result after none");
	is_int(mk_authres_parse("x", 1, &ar, &why), -1, "no result");
	is_int(mk_authres_parse("x; dkim", 7, &ar, &why), -1, "method without result");
	is_int(mk_authres_parse("x (open; dkim=pass", 18, &ar, &why), -1, "unbalanced comment");
	is_int(mk_authres_parse("\"x y\"; dkim=pass", 16, &ar, &why), 0, "quoted authserv-id");
	is_str(ar.authserv_id, "x y", "  value");
	is_int(mk_authres_parse("x; dkim=pass header.d=\"unterminated", 35, &ar, &why), -1,
	    "unterminated quote");

	is_int(mk_authres_parse_id(" (c) mx.example.org; dkim=pass", 30, id, sizeof(id)), 0, "id only");
	is_str(id, "mx.example.org", "  value");
	is_int(mk_authres_parse_id("mx.example.org;", 15, id, 8), -1, "id too long for buffer");
	is_int(mk_authres_parse_id("   ", 3, id, sizeof(id)), -1, "empty");
}

int
main(void)
{
	test_build();
	test_parse();
	diag("done");
	return done_testing();
}
