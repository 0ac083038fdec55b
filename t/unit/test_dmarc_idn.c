/*
 * t/unit/test_dmarc_idn.c: milter-dmarc/from_idn.c -- U-label From domains
 * rewritten to A-labels, everything else left as written, and the result
 * parsed by lib/addr's mk_from_parse.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "milter-dmarc/from_idn.h"
#include "t/tap.h"

static void
conv(const char *in, const char *want, bool want_changed, const char *name)
{
	const char *why = NULL;
	bool changed = true;
	char *out = dmarc_from_alabels(in, strlen(in), &changed, &why);

	is_str(out, want, "%s", name);
	if (want != NULL)
		is_int(changed, want_changed, "%s: changed", name);
	else
		ok(why != NULL && *why != '\0', "%s: reason given (%s)", name, why ? why : "none");
	free(out);
}

/* The A-R / Received-SPF variant. */
static void
conv_ar(const char *in, const char *want, bool want_changed, const char *name)
{
	const char *why = NULL;
	bool changed = true;
	char *out = dmarc_authres_alabels(in, strlen(in), &changed, &why);

	is_str(out, want, "A-R: %s", name);
	if (want != NULL)
		is_int(changed, want_changed, "A-R: %s: changed", name);
	else
		ok(why != NULL && *why != '\0', "A-R: %s: reason given", name);
	free(out);
}

/* Convert then parse: the domain lib/addr extracts. */
static void
parsed(const char *in, const char *want_domain, const char *name)
{
	struct mk_from *f = calloc(1, sizeof(*f));
	const char *why = NULL;
	bool changed;
	char *out = dmarc_from_alabels(in, strlen(in), &changed, &why);

	ok(out != NULL && f != NULL && mk_from_parse(out, strlen(out), f, &why) == 0 &&
	    f->count == 1, "%s: parses (%s)", name, why ? why : "ok");
	is_str(f != NULL && f->count == 1 ? f->addr[0].domain : NULL, want_domain, "%s: domain", name);
	free(out);
	free(f);
}

int
main(void)
{
	char big[DMARC_IDN_DOMAIN_MAX + 64];

	conv("a@b\xc3\xbc" "cher.example", "a@xn--bcher-kva.example", true, "bare U-label domain");
	conv("J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.example>",
	    "J\xc3\xb6rg <j\xc3\xb6rg@xn--bcher-kva.example>", true,
	    "display name and UTF-8 local part kept");
	conv("a@B\xc3\x9c" "CHER.Example", "a@xn--bcher-kva.example", true, "upper case mapped");
	conv("a@b\xc3\xbc" "cher.example, b@stra\xc3\x9f" "e.example",
	    "a@xn--bcher-kva.example, b@xn--strae-oqa.example", true,
	    "two addresses; sharp s non-transitional");
	conv("\"x@b\xc3\xbc\" <a@example.com>", "\"x@b\xc3\xbc\" <a@example.com>", false,
	    "quoted display name untouched");
	conv("(see x@b\xc3\xbc (nested)) a@example.com", "(see x@b\xc3\xbc (nested)) a@example.com",
	    false, "comment untouched");
	conv("\"a\\\"@b\xc3\xbc\" <c@d.example>", "\"a\\\"@b\xc3\xbc\" <c@d.example>", false,
	    "escaped quote inside a quoted string");
	conv("a@example.com", "a@example.com", false, "ASCII unchanged");
	conv("a@xn--bcher-kva.example", "a@xn--bcher-kva.example", false, "A-labels unchanged");
	conv("a@b\xff.example", NULL, false, "invalid UTF-8 refused");
	conv("a@\xee\x80\x80x.example", NULL, false, "private-use code point refused");
	memset(big, 0, sizeof(big));
	strcpy(big, "a@");
	memset(big + 2, 'a', DMARC_IDN_DOMAIN_MAX);
	memcpy(big + 2 + DMARC_IDN_DOMAIN_MAX, "\xc3\xbc", 2);
	conv(big, NULL, false, "over-long domain refused");
	{
		const char *why = NULL;
		bool ch;

		ok(dmarc_from_alabels("a@b\0c", 5, &ch, &why) == NULL && why != NULL,
		    "NUL byte refused");
	}
	conv_ar("mx.t; spf=pass smtp.mailfrom=B\xc3\xbc" "cher.example",
	    "mx.t; spf=pass smtp.mailfrom=xn--bcher-kva.example", true,
	    "bare U-label smtp.mailfrom domain");
	conv_ar("mx.t; spf=pass SMTP.MailFrom=b@b\xc3\xbc" "cher.example;",
	    "mx.t; spf=pass SMTP.MailFrom=b@xn--bcher-kva.example;", true,
	    "smtp.mailfrom address (any case)");
	conv_ar("mx.t; spf=pass smtp.mailfrom=j\xc3\xb6rg@example.com",
	    "mx.t; spf=pass smtp.mailfrom=j\xc3\xb6rg@example.com", false,
	    "UTF-8 local part of an ASCII domain kept");
	conv_ar("pass receiver=mx.t; envelope-from=b\xc3\xbc" "cher.example; identity=mailfrom",
	    "pass receiver=mx.t; envelope-from=xn--bcher-kva.example; identity=mailfrom", true,
	    "Received-SPF bare envelope-from domain");
	conv_ar("mx.t; dkim=pass header.d=b\xc3\xbc" "cher.example header.s=sel",
	    "mx.t; dkim=pass header.d=xn--bcher-kva.example header.s=sel", true,
	    "DKIM header.d U-label domain (RFC 8616)");
	conv_ar("mx.t; dkim=pass header.i=j\xc3\xb6rg@b\xc3\xbc" "cher.example",
	    "mx.t; dkim=pass header.i=j\xc3\xb6rg@xn--bcher-kva.example", true,
	    "DKIM header.i: UTF-8 local part kept, domain as A-labels");
	conv_ar("mx.t; x-smtp.mailfrom=b\xc3\xbc" "cher.example",
	    "mx.t; x-smtp.mailfrom=b\xc3\xbc" "cher.example", false,
	    "another parameter's value untouched");
	conv_ar("mx.t; spf=pass smtp.mailfrom=\"b\xc3\xbc" "cher.example\"",
	    "mx.t; spf=pass smtp.mailfrom=\"b\xc3\xbc" "cher.example\"", false,
	    "quoted value untouched");
	conv_ar("mx.t; spf=pass smtp.mailfrom=b\xff.example", NULL, false, "invalid UTF-8 refused");
	conv("smtp.mailfrom=b\xc3\xbc" "cher.example", "smtp.mailfrom=b\xc3\xbc" "cher.example",
	    false, "From variant: no parameter conversion");
	parsed("=?utf-8?q?x?= <user@b\xc3\xbc" "cher.example>", "xn--bcher-kva.example",
	    "angle address");
	parsed("Gr\xc3\xbc\xc3\x9f" "e <j\xc3\xb6rg@m\xc3\xbcnchen.example.de>",
	    "xn--mnchen-3ya.example.de", "UTF-8 local part and display name");
	parsed("u@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8.cn", "xn--fsqu00a.xn--55qx5d.cn",
	    "CJK labels");
	return done_testing();
}
