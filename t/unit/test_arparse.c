/*
 * t/unit/test_arparse.c: Received-SPF parser and the SPF/DKIM inputs DMARC
 * takes from trusted Authentication-Results / Received-SPF headers.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/arparse.h"
#include "tap.h"

static void
session(struct mk_spf_session *s, const char *mailfrom, const char *helo)
{
	const char *at;

	memset(s, 0, sizeof(*s));
	s->null_sender = mailfrom[0] == '\0';
	snprintf(s->mailfrom, sizeof(s->mailfrom), "%s", mailfrom);
	at = strrchr(mailfrom, '@');
	snprintf(s->mailfrom_domain, sizeof(s->mailfrom_domain), "%s", at ? at + 1 : "");
	snprintf(s->helo, sizeof(s->helo), "%s", helo);
}

static void
test_received_spf(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *result, *identity, *ef, *helo;
	} c[] = {
		{ "pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as "
		  "permitted sender) receiver=mybox.example.org; client-ip=192.0.2.1; "
		  "envelope-from=\"myname@example.com\"; helo=foo.example.com; identity=mailfrom;",
		  0, "pass", "mailfrom", "myname@example.com", "foo.example.com" },
		{ "Fail identity=HELO; helo=x.test", 0, "fail", "helo", "", "x.test" },
		{ "softfail", 0, "softfail", "", "", "" },
		{ "none (nested (comment)) x-unknown=1", 0, "none", "", "", "" },
		{ "pass (unbalanced", -1, NULL, NULL, NULL, NULL },
		{ "", -1, NULL, NULL, NULL, NULL },
		{ "pass identity", -1, NULL, NULL, NULL, NULL },
		{ "pass envelope-from=\"unterminated", -1, NULL, NULL, NULL, NULL },
		{ "pass envelope-from=", 0, "pass", "", "", "" },
	};
	struct mk_received_spf r;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = mk_received_spf_parse(c[i].in, strlen(c[i].in), &r, &why);

		is_int(rc, c[i].rc, "received-spf %zu: rc", i);
		if (rc != 0 || c[i].rc != 0)
			continue;
		is_str(r.result, c[i].result, "received-spf %zu: result", i);
		is_str(r.identity, c[i].identity, "received-spf %zu: identity", i);
		is_str(r.envelope_from, c[i].ef, "received-spf %zu: envelope-from", i);
		is_str(r.helo, c[i].helo, "received-spf %zu: helo", i);
	}
	{
		char big[MK_RSPF_HEADER_MAX + 10];

		memset(big, 'a', sizeof(big));
		is_int(mk_received_spf_parse(big, sizeof(big), &r, &why), -1, "over-long refused");
	}
}

static void
test_spf_inputs(void)
{
	static const struct {
		const char *name, *hdr, *mailfrom, *helo;
		bool received;	/* Received-SPF instead of A-R */
		int rc;
		const char *domain, *result;
		bool is_helo;
	} c[] = {
		/* libopendmarc ignores smtp.mailfrom given as a full address */
		{ "A-R full address", "mx.test; spf=pass smtp.mailfrom=u@example.com", "u@example.com",
		  "h.test", 0, 0, "example.com", "pass", 0 },
		{ "A-R bare domain", "mx.test; spf=fail smtp.mailfrom=example.com", "u@example.com",
		  "h.test", 0, 0, "example.com", "fail", 0 },
		{ "A-R other sender", "mx.test; spf=pass smtp.mailfrom=v@example.com", "u@example.com",
		  "h.test", 0, -1, NULL, NULL, 0 },
		{ "A-R other domain", "mx.test; spf=pass smtp.mailfrom=evil.test", "u@example.com",
		  "h.test", 0, -1, NULL, NULL, 0 },
		/* CVE-2019-20790: a HELO pass never stands in for MAIL FROM */
		{ "A-R helo with sender", "mx.test; spf=pass smtp.helo=example.com", "u@example.com",
		  "example.com", 0, -1, NULL, NULL, 0 },
		/* libopendmarc ignores the HELO identity with a null MAIL FROM */
		{ "A-R helo null sender", "mx.test; spf=pass smtp.helo=mx.example.com", "",
		  "mx.example.com", 0, 0, "mx.example.com", "pass", 1 },
		{ "A-R helo mismatch", "mx.test; spf=pass smtp.helo=other.test", "",
		  "mx.example.com", 0, -1, NULL, NULL, 0 },
		{ "Received-SPF mailfrom", "pass identity=mailfrom; envelope-from=<u@example.com>",
		  "u@example.com", "h.test", 1, 0, "example.com", "pass", 0 },
		{ "Received-SPF helo identity", "pass identity=helo; helo=example.com",
		  "u@example.com", "example.com", 1, -1, NULL, NULL, 0 },
		{ "Received-SPF other sender", "pass identity=mailfrom; envelope-from=x@example.com",
		  "u@example.com", "h.test", 1, -1, NULL, NULL, 0 },
		{ "Received-SPF null sender helo", "softfail identity=helo; helo=mx.example.com",
		  "", "mx.example.com", 1, 0, "mx.example.com", "softfail", 1 },
	};
	struct mk_authres *ar = calloc(1, sizeof(*ar));
	struct mk_received_spf r;
	struct mk_spf_session s;
	struct mk_dmarc_auth spf;
	const char *why;
	bool helo;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		session(&s, c[i].mailfrom, c[i].helo);
		helo = false;
		if (c[i].received) {
			ok(mk_received_spf_parse(c[i].hdr, strlen(c[i].hdr), &r, &why) == 0,
			    "%s: parses", c[i].name);
			rc = mk_arparse_spf_received(&r, &s, &spf, &helo);
		} else {
			ok(mk_authres_parse(c[i].hdr, strlen(c[i].hdr), ar, &why) == 0,
			    "%s: parses", c[i].name);
			rc = mk_arparse_spf_authres(ar, &s, &spf, &helo);
		}
		is_int(rc, c[i].rc, "%s: usable", c[i].name);
		if (rc != 0)
			continue;
		is_str(spf.domain, c[i].domain, "%s: domain", c[i].name);
		is_str(spf.result, c[i].result, "%s: result", c[i].name);
		is_int(helo, c[i].is_helo, "%s: helo identity", c[i].name);
	}
	free(ar);
}

static void
test_dkim_inputs(void)
{
	static const char hdr[] = "mx.test; dkim=pass header.d=Example.COM header.s=s1;\n"
	    "\tdkim=fail header.i=@other.test; spf=pass smtp.mailfrom=x.test; dkim=none";
	struct mk_authres *ar = calloc(1, sizeof(*ar));
	struct mk_dmarc_input in;
	const char *why;
	static const char *const trusted[] = { "mx.test", "other.example" };

	memset(&in, 0, sizeof(in));
	ok(mk_authres_parse(hdr, sizeof(hdr) - 1, ar, &why) == 0, "dkim A-R parses");
	is_int(mk_arparse_dkim_authres(ar, &in), 2, "two DKIM results with a domain");
	is_str(in.dkim[0].domain, "example.com", "header.d lower-cased");
	is_str(in.dkim[0].selector, "s1", "selector");
	is_str(in.dkim[1].domain, "other.test", "header.i domain");
	is_str(in.dkim[1].result, "fail", "fail kept");
	ok(mk_arparse_id_is_trusted("MX.test", trusted, 2), "trusted id, case-insensitive");
	ok(!mk_arparse_id_is_trusted("mx.test.evil", trusted, 2), "untrusted id");
	free(ar);
}

int
main(void)
{
	test_received_spf();
	test_spf_inputs();
	test_dkim_inputs();
	return done_testing();
}
