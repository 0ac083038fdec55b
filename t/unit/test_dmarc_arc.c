/*
 * t/unit/test_dmarc_arc.c: DomainWhitelist / DomainWhitelistFile
 * (milter-dmarc/arc_trust.c): names from the inline list and the file
 * (comments, blank lines, any case), arc.chain values matched only when
 * every domain is listed, empty and malformed chains refused, and the
 * errors of a bad name (naming the file line) and a missing file.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "milter-dmarc/arc_trust.h"
#include "tap.h"

static bool
chain(const struct dmarc_arc_trust *t, const char *s)
{
	return dmarc_arc_chain_trusted(t, s, strlen(s));
}

int
main(void)
{
	static const char *const items[] = { "Forwarder.Example", "lists.example.org" };
	static const char *const bad[] = { "ok.example", "not a domain" };
	char path[] = "/tmp/test_dmarc_arc.XXXXXX", err[512];
	struct dmarc_arc_trust *t;
	FILE *fp;
	int fd;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		ok(0, "temporary file");
		return done_testing();
	}
	fputs("# trusted ARC sealers\n\n  relay.example.net  \nMX.Example.COM # inline comment\n", fp);
	fclose(fp);

	t = dmarc_arc_trust_new(items, 2, path, err, sizeof(err));
	if (!ok(t != NULL, "list and file load"))
		diag("%s", err);
	is_int(dmarc_arc_trust_count(t), 4, "four domains (two inline, two from the file)");
	ok(chain(t, "forwarder.example"), "one listed domain");
	ok(chain(t, "FORWARDER.example:relay.example.net:mx.example.com"),
	    "every domain listed, any case");
	ok(!chain(t, "forwarder.example:evil.example"), "one domain not listed: not trusted");
	ok(!chain(t, "example"), "a parent name is not its subdomain");
	ok(!chain(t, "sub.forwarder.example"), "a subdomain is not listed");
	ok(!chain(t, ""), "empty chain: not trusted");
	ok(!chain(t, "forwarder.example:"), "empty entry at the end: not trusted");
	ok(!chain(t, ":forwarder.example"), "empty entry at the start: not trusted");
	ok(!chain(t, "forwarder.example::relay.example.net"), "empty entry inside: not trusted");
	ok(!chain(t, "forwarder example"), "not a domain: not trusted");
	ok(!dmarc_arc_chain_trusted(t, "forwarder.example", 9), "length bounds the value");
	ok(dmarc_arc_chain_trusted(t, "forwarder.example:junk", 17), "length bounds the value (2)");
	dmarc_arc_trust_free(t);

	t = dmarc_arc_trust_new(NULL, 0, NULL, err, sizeof(err));
	ok(t != NULL && dmarc_arc_trust_count(t) == 0 && !chain(t, "forwarder.example"),
	    "empty list: nothing trusted");
	dmarc_arc_trust_free(t);
	ok(!chain(NULL, "forwarder.example"), "no list: nothing trusted");

	err[0] = '\0';
	t = dmarc_arc_trust_new(bad, 2, NULL, err, sizeof(err));
	ok(t == NULL && strstr(err, "not a domain") != NULL, "bad inline name refused (%s)", err);
	fp = fopen(path, "w");
	if (fp != NULL) {
		fputs("good.example\n\nbad..example\n", fp);
		fclose(fp);
	}
	t = dmarc_arc_trust_new(NULL, 0, path, err, sizeof(err));
	ok(t == NULL && strstr(err, ":3: ") != NULL, "bad name in the file: PATH:LINE (%s)", err);
	unlink(path);
	t = dmarc_arc_trust_new(NULL, 0, path, err, sizeof(err));
	ok(t == NULL && strstr(err, path) != NULL, "missing file refused (%s)", err);
	ok(dmarc_arc_trust_free(NULL) == NULL, "free(NULL)");
	return done_testing();
}
