/*
 * t/unit/test_dmarc_report.c: aggregate report XML (escaping, 9990 vs 7489
 * elements), the report file name, gzip (checked by zlib's inflate) and
 * the report mail (MIME, base64 lines, CRLF).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/dmarc_report.h"
#include "lib/dmarc_send.h"
#include "tap.h"

static void
test_xml(void)
{
	struct mk_dmarc_report_meta meta = { MK_DMARC_SPEC_9989, "Org <&> \"x\"", "a@b.example",
		"id-1", 1000, 1999, "mailaka test" };
	struct mk_dmarc_published pol;
	struct mk_dmarc_agg_row row;
	size_t len;
	char *x;

	memset(&pol, 0, sizeof(pol));
	strcpy(pol.domain, "example.com");
	strcpy(pol.p, "reject");
	strcpy(pol.sp, "unset");
	strcpy(pol.np, "unset");
	strcpy(pol.adkim, "s");
	strcpy(pol.aspf, "r");
	pol.testing = true;
	strcpy(pol.discovery, "treewalk");
	memset(&row, 0, sizeof(row));
	strcpy(row.source_ip, "192.0.2.1");
	row.count = 7;
	strcpy(row.disposition, "quarantine");
	strcpy(row.dkim_eval, "fail");
	strcpy(row.spf_eval, "fail");
	strcpy(row.override, "policy_test_mode");
	strcpy(row.header_from, "example.com");
	strcpy(row.spf_domain, "bounce.example.net");
	strcpy(row.spf_result, "softfail");
	strcpy(row.spf_scope, "mfrom");
	strcpy(row.dkim, "example.com s1 fail\nother.net - pass");

	ok(mk_dmarc_report_xml(&meta, &pol, &row, 0, &len) == NULL, "no rows: no report");
	x = mk_dmarc_report_xml(&meta, &pol, &row, 1, &len);
	ok(x != NULL && strlen(x) == len, "9990 report built");
	ok(strstr(x, "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">") != NULL, "9990 namespace");
	ok(strstr(x, "<version>1.0</version>") != NULL, "9990 version");
	ok(strstr(x, "<org_name>Org &lt;&amp;&gt; &quot;x&quot;</org_name>") != NULL, "escaped");
	ok(strstr(x, "<sp>reject</sp>") != NULL, "sp defaults to p");
	ok(strstr(x, "<np>") == NULL, "np absent when unset");
	ok(strstr(x, "<testing>y</testing>") != NULL, "testing");
	ok(strstr(x, "<pct>") == NULL, "no pct in 9990");
	ok(strstr(x, "<count>7</count>") != NULL, "count");
	ok(strstr(x, "<selector>s1</selector>") != NULL, "selector");
	ok(strstr(x, "<domain>other.net</domain>\n        <selector></selector>") != NULL,
	    "9990: selector element even when unknown");
	ok(strstr(x, "<type>policy_test_mode</type>") != NULL, "override");
	free(x);

	meta.spec = MK_DMARC_SPEC_7489;
	strcpy(row.spf_scope, "helo");
	x = mk_dmarc_report_xml(&meta, &pol, &row, 1, &len);
	ok(strstr(x, "<feedback xmlns=\"http://dmarc.org/dmarc-xml/0.1\">") != NULL, "7489 namespace");
	ok(strstr(x, "<version>") == NULL, "7489: no version");
	ok(strstr(x, "<pct>0</pct>") != NULL, "7489: pct");
	ok(strstr(x, "<type>sampled_out</type>") != NULL, "7489: test mode is sampled_out");
	ok(strstr(x, "<scope>helo</scope>") != NULL, "7489: helo scope");
	ok(strstr(x, "<envelope_from></envelope_from>") != NULL, "7489: envelope_from always");
	ok(strstr(x, "<selector></selector>") == NULL, "7489: no empty selector");
	free(x);
}

static void
test_filename(void)
{
	char out[256];

	is_int(mk_dmarc_report_filename("mx.example.org", "example.com", 1000, 1999, "id/1",
	    out, sizeof(out)), 0, "file name");
	is_str(out, "mx.example.org!example.com!1000!1999!id_1.xml.gz", "RFC 7489 7.2.1.1 form, '/' replaced");
	is_int(mk_dmarc_report_filename("a", "b", 1, 2, "c", out, 10), -1, "too small buffer");
}

static void
test_gzip_mail(void)
{
	static const char text[] = "<feedback>hello hello hello hello</feedback>\n";
	unsigned char *gz, back[256];
	size_t gzlen, mlen;
	z_stream zs;
	char *mail;

	gz = mk_dmarc_gzip(text, sizeof(text) - 1, &gzlen);
	ok(gz != NULL && gzlen > 18 && gz[0] == 0x1f && gz[1] == 0x8b, "gzip magic");
	memset(&zs, 0, sizeof(zs));
	inflateInit2(&zs, 15 + 16);
	zs.next_in = gz;
	zs.avail_in = (uInt)gzlen;
	zs.next_out = back;
	zs.avail_out = sizeof(back);
	is_int(inflate(&zs, Z_FINISH), Z_STREAM_END, "zlib inflates it");
	is_int(zs.total_out, sizeof(text) - 1, "same length");
	ok(memcmp(back, text, sizeof(text) - 1) == 0, "same bytes");
	inflateEnd(&zs);
	mail = mk_dmarc_report_mail("r@mx.test", "agg@example.com", "example.com", "mx.test",
	    "id-1", "mx.test!example.com!1!2!id-1.xml.gz", gz, gzlen, &mlen);
	ok(mail != NULL && strlen(mail) == mlen, "mail built");
	ok(strstr(mail, "Subject: Report Domain: example.com Submitter: mx.test Report-ID: <id-1>\r\n")
	    != NULL, "RFC 7489 subject");
	ok(strstr(mail, "Content-Type: application/gzip") != NULL, "gzip part");
	ok(strstr(mail, "\r\n--mailaka-dmarc-report--\r\n") != NULL, "closing boundary");
	{
		const char *p;
		int bare_lf = 0;

		for (p = mail; *p != '\0'; p++)
			if (*p == '\n' && (p == mail || p[-1] != '\r'))
				bare_lf++;
		is_int(bare_lf, 0, "CRLF line ends only");
	}
	free(mail);
	free(gz);
}

/* ri=: longer than the period, capped at a day, a multiple of the period */
static void
test_interval(void)
{
	static const struct {
		long period;
		unsigned long ri;
		long want;
	} c[] = {
		{ 3600, 0, 3600 },		/* no ri= */
		{ 3600, 60, 3600 },		/* shorter than the runs: the period */
		{ 3600, 3600, 3600 },
		{ 3600, 7200, 7200 },
		{ 3600, 5000, 7200 },		/* rounded up to whole periods */
		{ 3600, 86400, 86400 },
		{ 3600, 604800, 86400 },	/* a week asked: daily (RFC 7489 7.2) */
		{ 86400, 3600, 86400 },
		{ 86400, 604800, 86400 },
		{ 604800, 86400, 604800 },	/* weekly runs stay weekly */
		{ 7000, 86400, 91000 },		/* a period that does not divide a day */
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		is_int(mk_dmarc_report_interval(c[i].period, c[i].ri), c[i].want,
		    "interval: period %ld ri=%lu", c[i].period, c[i].ri);
}

int
main(void)
{
	test_interval();
	test_xml();
	test_filename();
	test_gzip_mail();
	return done_testing();
}
