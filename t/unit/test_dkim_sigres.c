/* t/unit/test_dkim_sigres.c: per-signature checks on the DKIM-Signature
 * value (what libopendkim 2.11 lets through) and the A-R entries built. */
#include "config.h"

#include <string.h>

#include "lib/authres.h"
#include "milter-dkim/verify.h"
#include "tap.h"

#define GOOD "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=AAAA; b=BBBB BBBB\r\n\tCC"

static const struct {
	const char *name, *sig;
	int rc;
	enum mk_dkim_vres res;
	const char *reason;
} cases[] = {
	{ "good rsa", GOOD, 0, MK_DKIM_V_NONE, "" },
	{ "good ed25519", "v=1; a=ed25519-sha256; d=x.example; s=s; h=from; bh=A; b=B", 0,
	    MK_DKIM_V_NONE, "" },
	{ "rsa-sha1", "v=1; a=rsa-sha1; d=x.example; s=s; h=from; bh=A; b=B", -1, MK_DKIM_V_POLICY,
	    "rsa-sha1 is not accepted (RFC 8301)" },
	{ "RSA-SHA1 upper case", "v=1; a=RSA-SHA1; d=x.example; s=s; h=from; bh=A; b=B", -1,
	    MK_DKIM_V_POLICY, "rsa-sha1 is not accepted (RFC 8301)" },
	{ "no v=", "a=rsa-sha256; d=x.example; s=s; h=from; bh=A; b=B", -1, MK_DKIM_V_PERMERROR,
	    "missing v= tag" },
	{ "v=2", "v=2; a=rsa-sha256; d=x.example; s=s; h=from; bh=A; b=B", -1, MK_DKIM_V_PERMERROR,
	    "unsupported signature version v=2" },
	{ "no bh=", "v=1; a=rsa-sha256; d=x.example; s=s; h=from; b=B", -1, MK_DKIM_V_PERMERROR,
	    "missing bh= tag" },
	{ "no h=", "v=1; a=rsa-sha256; d=x.example; s=s; bh=A; b=B", -1, MK_DKIM_V_PERMERROR,
	    "missing h= tag" },
	{ "empty d=", "v=1; a=rsa-sha256; d=; s=s; h=from; bh=A; b=B", -1, MK_DKIM_V_PERMERROR,
	    "empty d=, s= or b= tag" },
	{ "unknown a=", "v=1; a=dsa-md5; d=x.example; s=s; h=from; bh=A; b=B", -1,
	    MK_DKIM_V_PERMERROR, "unknown signature algorithm" },
	{ "malformed", "v=1; a", -1, MK_DKIM_V_PERMERROR, "malformed signature: tag without '='" },
	{ "duplicate", "v=1; v=1", -1, MK_DKIM_V_PERMERROR, "malformed signature: duplicate tag" },
};

int
main(void)
{
	struct dkim_sigres r[3];
	struct mk_authres ar;
	char out[2048];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = dkim_sigres_parse(cases[i].sig, strlen(cases[i].sig), &r[0]);
		is_int(rc, cases[i].rc, "%s: rc", cases[i].name);
		is_int(r[0].res, cases[i].res, "%s: result", cases[i].name);
		is_str(r[0].reason, cases[i].reason, "%s: reason", cases[i].name);
	}
	dkim_sigres_parse(GOOD, strlen(GOOD), &r[0]);
	is_str(r[0].b, "BBBBBBBBCC", "b= without folding white space");
	is_str(r[0].d, "example.com", "d=");

	/* header.b: 8 characters, longer when two signatures share them */
	static const char *const three[] = {
		"v=1; a=rsa-sha256; d=a.example; s=s; h=from; bh=A; b=ABCDEFGHIJ1",
		"v=1; a=rsa-sha256; d=a.example; s=t; h=from; bh=A; b=ABCDEFGHIJ2",
		"v=1; a=ed25519-sha256; d=a.example; s=u; h=from; bh=A; b=zz",
	};
	for (i = 0; i < 3; i++)
		dkim_sigres_parse(three[i], strlen(three[i]), &r[i]);
	dkim_sigres_set(&r[0], MK_DKIM_V_PASS, "%s", "");
	dkim_sigres_set(&r[1], MK_DKIM_V_FAIL, "body hash mismatch");
	dkim_sigres_set(&r[2], MK_DKIM_V_NOKEY, "no key for signature");
	mk_authres_init(&ar, "mx.example.net");
	is_int(dkim_sigres_authres(r, 3, &ar), 0, "A-R built");
	mk_authres_format(&ar, out, sizeof(out));
	is_str(out, "mx.example.net; dkim=pass header.d=a.example header.s=s header.a=rsa-sha256 "
	    "header.b=ABCDEFGHIJ1;\n\tdkim=fail reason=\"body hash mismatch\" header.d=a.example "
	    "header.s=t header.a=rsa-sha256 header.b=ABCDEFGHIJ2;\n\tdkim=permerror "
	    "reason=\"no key for signature\" header.d=a.example header.s=u header.a=ed25519-sha256 "
	    "header.b=zz", "one entry per signature, unique header.b prefixes, NOKEY is permerror");
	is_str(mk_dkim_vres_name(MK_DKIM_V_TEMPERROR), "temperror", "temperror name");
	diag("done");
	return done_testing();
}
