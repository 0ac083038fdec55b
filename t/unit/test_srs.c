/*
 * t/unit/test_srs.c: SRS forward/reverse, SRS1, expiry, tampering, key
 * rotation.  The fixed vectors were produced by postsrsd 1.10 (Debian 12)
 * with the secret "topsecret" and domain fwd.example; the daemon interop
 * test (t/integration/forward-postsrsd) checks the same against live time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srs.h"
#include "tap.h"

#define DAY 86400L
/* A day whose stamp is "JR" (9 * 32 + 17 = 305 mod 1024). */
static const time_t T0 = (time_t)((20L * 1024 + 305) * DAY + 3600);

static struct mk_srs *
srs_with(const char *domain, const char *secret)
{
	struct mk_srs *s = mk_srs_new(domain, 4, 0, 21, '=');

	if (s != NULL && secret != NULL)
		mk_srs_add_secret(s, secret, strlen(secret));
	return s;
}

static int
fwd(const struct mk_srs *s, const char *a, time_t now, char *out, size_t outsz,
    enum mk_srs_err *why)
{
	return mk_srs_forward(s, a, strlen(a), now, out, outsz, why);
}

static int
rev(const struct mk_srs *s, const char *a, time_t now, char *out, size_t outsz,
    enum mk_srs_err *why)
{
	return mk_srs_reverse(s, a, strlen(a), now, out, outsz, why);
}

static void
test_vectors(void)
{
	static const struct { const char *in, *want; } v[] = {
		{ "alice@orig.example", "SRS0=FtES=JR=orig.example=alice@fwd.example" },
		{ "SRS0=abcd=XX=orig.example=alice@other.example",
		  "SRS1=dnEv=other.example==abcd=XX=orig.example=alice@fwd.example" },
		{ "SRS1=Abcd=first.example==XyZw=TT=orig.example=alice@other.example",
		  "SRS1=36Eo=first.example==XyZw=TT=orig.example=alice@fwd.example" },
	};
	struct mk_srs *s = srs_with("fwd.example", "topsecret");
	char out[600];
	enum mk_srs_err why;
	char stamp[3];

	mk_srs_stamp(T0, stamp);
	is_str(stamp, "JR", "stamp of the pinned day");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		is_int(fwd(s, v[i].in, T0, out, sizeof(out), &why), 0, "forward %s", v[i].in);
		is_str(out, v[i].want, "postsrsd vector %zu", i);
	}
	is_int(rev(s, "SRS0=FtES=JR=orig.example=alice@fwd.example", T0, out, sizeof(out), &why),
	    0, "reverse SRS0 vector");
	is_str(out, "alice@orig.example", "reverse SRS0 gives the original");
	is_int(rev(s, "srs0=ftes=jr=ORIG.example=alice@FWD.EXAMPLE", T0, out, sizeof(out), &why),
	    0, "reverse is case-insensitive (hash, tag, stamp, domain)");
	is_int(rev(s, "SRS1=dnEv=other.example==abcd=XX=orig.example=alice@fwd.example", T0, out,
	    sizeof(out), &why), 0, "reverse SRS1 vector");
	is_str(out, "SRS0=abcd=XX=orig.example=alice@other.example",
	    "reverse SRS1 gives the first forwarder's SRS0");
	mk_srs_free(s);
}

static void
test_errors(void)
{
	static const struct { const char *in; enum mk_srs_err want; } v[] = {
		{ "SRS0=FtEt=JR=orig.example=alice@fwd.example", MK_SRS_E_HASH },
		{ "SRS0=FtES=JR=orig.example=alicf@fwd.example", MK_SRS_E_HASH },
		{ "SRS0=FtES=JR=orig.exampla=alice@fwd.example", MK_SRS_E_HASH },
		{ "SRS0=FtES=JQ=orig.example=alice@fwd.example", MK_SRS_E_HASH },
		{ "SRS0=FtESx=JR=orig.example=alice@fwd.example", MK_SRS_E_HASH },
		{ "SRS0=Ft=JR=orig.example=alice@fwd.example", MK_SRS_E_HASH_SHORT },
		{ "SRS0=FtES=J1=orig.example=alice@fwd.example", MK_SRS_E_STAMP },
		{ "SRS0=FtES=JRR=orig.example=alice@fwd.example", MK_SRS_E_STAMP },
		{ "SRS0=FtES=JR=orig.example=@fwd.example", MK_SRS_E_SYNTAX },
		{ "SRS0=FtES=JR==alice@fwd.example", MK_SRS_E_SYNTAX },
		{ "SRS0=FtES=JR@fwd.example", MK_SRS_E_SYNTAX },
		{ "SRS0=@fwd.example", MK_SRS_E_SYNTAX },
		{ "SRS0==JR=orig.example=alice@fwd.example", MK_SRS_E_SYNTAX },
		{ "SRS1=dnEv=other.example@fwd.example", MK_SRS_E_SYNTAX },
		{ "SRS1=dnEw=other.example==abcd=XX=orig.example=alice@fwd.example", MK_SRS_E_HASH },
		{ "alice@orig.example", MK_SRS_E_NOT_SRS },
		{ "SRS2=a=b=c=d@fwd.example", MK_SRS_E_NOT_SRS },
		{ "SRS0xFtES=JR=orig.example=alice@fwd.example", MK_SRS_E_NOT_SRS },
		{ "", MK_SRS_E_NOT_SRS },
	};
	struct mk_srs *s = srs_with("fwd.example", "topsecret");
	char out[600];
	enum mk_srs_err why;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		why = MK_SRS_OK;
		is_int(rev(s, v[i].in, T0, out, sizeof(out), &why), -1, "reject %s", v[i].in);
		is_int(why, v[i].want, "  reason %s (got: %s)", mk_srs_strerror(v[i].want),
		    mk_srs_strerror(why));
	}
	is_int(fwd(s, "bob@FWD.example", T0, out, sizeof(out), &why), -1, "no rewrite in SRS domain");
	is_int(why, MK_SRS_E_LOCAL, "  reason local");
	is_int(fwd(s, "bob", T0, out, sizeof(out), &why), -1, "forward without @");
	is_int(why, MK_SRS_E_NO_AT, "  reason no @");
	is_int(fwd(s, "@orig.example", T0, out, sizeof(out), &why), -1, "forward empty local");
	is_int(fwd(s, "bob@", T0, out, sizeof(out), &why), -1, "forward empty domain");
	is_int(fwd(s, "SRS0=abcd=XX=a=b@other.ex=ample", T0, out, sizeof(out), &why), -1,
	    "forward refuses '=' in the domain (would not reverse; found by fuzz_srs)");
	is_int(why, MK_SRS_E_SYNTAX, "  reason syntax");
	is_int(fwd(s, "a@orig example", T0, out, sizeof(out), &why), -1, "space in domain");
	is_int(fwd(s, "SRS1=x@orig.example", T0, out, sizeof(out), &why), -1, "forward bad SRS1");
	is_int(why, MK_SRS_E_SYNTAX, "  reason syntax");
	ok(mk_srs_is_srs("SRS0=a=b=c=d@x", 14) && mk_srs_is_srs("srs1+x@y", 8) &&
	    !mk_srs_is_srs("SRS0@x", 6) && !mk_srs_is_srs("bob@SRS0=x", 10), "mk_srs_is_srs");
	mk_srs_free(s);
}

static void
test_expiry(void)
{
	struct mk_srs *s = srs_with("fwd.example", "k");
	char a[600], out[600];
	enum mk_srs_err why;

	fwd(s, "carol@orig.example", T0, a, sizeof(a), &why);
	is_int(rev(s, a, T0 + 21 * DAY, out, sizeof(out), &why), 0, "valid after 21 days");
	is_int(rev(s, a, T0 + 22 * DAY, out, sizeof(out), &why), -1, "expired after 22 days");
	is_int(why, MK_SRS_E_EXPIRED, "  reason expired");
	is_int(rev(s, a, T0 - 2 * DAY, out, sizeof(out), &why), -1, "future stamp rejected");
	is_int(why, MK_SRS_E_EXPIRED, "  reason expired (future)");
	/* Wrap-around of the 1024-day stamp space. */
	fwd(s, "carol@orig.example", (time_t)(21L * 1024 * DAY - DAY), a, sizeof(a), &why);
	is_int(rev(s, a, (time_t)(21L * 1024 * DAY + 3 * DAY), out, sizeof(out), &why), 0,
	    "valid across the stamp wrap");
	mk_srs_free(s);
}

static void
test_rotation_and_srs1(void)
{
	struct mk_srs *old = srs_with("fwd.example", "old-secret");
	struct mk_srs *both = srs_with("fwd.example", "new-secret");
	struct mk_srs *nw = srs_with("fwd.example", "new-secret");
	struct mk_srs *a = srs_with("a.example", "secret-a"), *b = srs_with("b.example", "secret-b");
	struct mk_srs *c = srs_with("c.example", "secret-c");
	char x[600], y[600], z[600], out[600], out2[600];
	enum mk_srs_err why;

	mk_srs_add_secret(both, "old-secret", 10);
	is_int((int)mk_srs_secret_count(both), 2, "two secrets");
	fwd(old, "dan@orig.example", T0, x, sizeof(x), &why);
	is_int(rev(both, x, T0, out, sizeof(out), &why), 0, "old secret still verifies");
	is_str(out, "dan@orig.example", "  to the original");
	is_int(rev(nw, x, T0, out, sizeof(out), &why), -1, "dropped secret no longer verifies");
	fwd(both, "dan@orig.example", T0, y, sizeof(y), &why);
	fwd(nw, "dan@orig.example", T0, z, sizeof(z), &why);
	is_str(y, z, "first secret signs");
	ok(strcmp(x, y) != 0, "different secrets give different hashes");

	/* orig -> A -> B -> C, bounce back C -> A -> orig. */
	is_int(fwd(a, "eve@orig.example", T0, x, sizeof(x), &why), 0, "A: SRS0");
	is_int(fwd(b, x, T0, y, sizeof(y), &why), 0, "B: SRS1");
	ok(strncmp(y, "SRS1=", 5) == 0 && strstr(y, "=a.example==") != NULL &&
	    strstr(y, "@b.example") != NULL, "B's address is SRS1 naming A: %s", y);
	is_int(fwd(c, y, T0, z, sizeof(z), &why), 0, "C: SRS1 again");
	ok(strstr(z, "=a.example==") != NULL && strstr(z, "@c.example") != NULL,
	    "C keeps A as first forwarder: %s", z);
	is_int(rev(c, z, T0, out, sizeof(out), &why), 0, "C reverses SRS1");
	is_str(out, x, "C's reverse is A's SRS0 address");
	is_int(rev(b, y, T0, out, sizeof(out), &why), 0, "B reverses SRS1");
	is_str(out, x, "B's reverse is A's SRS0 address");
	is_int(rev(a, out, T0 + 5 * DAY, out2, sizeof(out2), &why), 0, "A reverses SRS0");
	is_str(out2, "eve@orig.example", "back to the original sender");
	is_int(rev(b, z, T0, out, sizeof(out), &why), -1, "B rejects C's SRS1 (other secret)");
	mk_srs_free(old); mk_srs_free(both); mk_srs_free(nw);
	mk_srs_free(a); mk_srs_free(b); mk_srs_free(c);
}

static void
test_params_and_bounds(void)
{
	struct mk_srs *s8 = mk_srs_new("fwd.example", 8, 4, 21, '+');
	struct mk_srs *s = srs_with("fwd.example", "topsecret");
	struct mk_srs *none = srs_with("fwd.example", NULL);
	char a[600], out[600], big[700];
	enum mk_srs_err why;
	size_t need;

	ok(mk_srs_new("x", 0, 0, 21, '=') == NULL && mk_srs_new("x", 28, 0, 21, '=') == NULL &&
	    mk_srs_new("x", 4, 5, 21, '=') == NULL && mk_srs_new("x", 4, 0, 0, '=') == NULL &&
	    mk_srs_new("x", 4, 0, 21, '/') == NULL && mk_srs_new("", 4, 0, 21, '=') == NULL,
	    "bad parameters refused");
	mk_srs_add_secret(s8, "topsecret", 9);
	fwd(s8, "alice@orig.example", T0, a, sizeof(a), &why);
	ok(strncmp(a, "SRS0+FtESq", 10) == 0 || strncmp(a, "SRS0+FtES", 9) == 0,
	    "hash length 8 extends the same hash, separator +: %s", a);
	is_int((int)(strchr(a + 5, '=') - (a + 5)), 8, "  8 hash characters");
	memmove(a + 9, a + 13, strlen(a + 13) + 1);	/* keep 4 of 8 */
	is_int(rev(s8, a, T0, out, sizeof(out), &why), 0, "4-char prefix accepted (hash_min 4)");
	is_int(rev(s, a, T0, out, sizeof(out), &why), 0, "other context with hash 4 accepts it");

	is_int(fwd(none, "a@b.example", T0, out, sizeof(out), &why), -1, "no secret: forward fails");
	is_int(why, MK_SRS_E_NO_SECRET, "  reason no secret");
	is_int(rev(none, "SRS0=FtES=JR=orig.example=alice@fwd.example", T0, out, sizeof(out),
	    &why), -1, "no secret: reverse fails");

	need = strlen("SRS0=FtES=JR=orig.example=alice@fwd.example") + 1;
	is_int(fwd(s, "alice@orig.example", T0, out, need, &why), 0, "exact fit output");
	is_int(fwd(s, "alice@orig.example", T0, out, need - 1, &why), -1, "one byte short");
	is_int(why, MK_SRS_E_TOO_LONG, "  reason too long");
	memset(big, 'a', sizeof(big));
	memcpy(big + 500, "@orig.example", 14);
	is_int(fwd(s, big, T0, out, sizeof(out), &why), -1, "result over MK_SRS_ADDR_MAX refused");
	is_int(mk_srs_forward(s, big, 513, T0, out, sizeof(out), &why), -1, "input over max");
	is_int(mk_srs_reverse(s, "SRS0=a\0b=c=d@x", 14, T0, out, sizeof(out), &why), -1,
	    "NUL in reverse input");
	mk_srs_free(s8); mk_srs_free(s); mk_srs_free(none);
	ok(mk_srs_free(NULL) == NULL, "free(NULL)");
}

static void
test_secrets(void)
{
	struct mk_srs *s = srs_with("fwd.example", NULL), *t = srs_with("fwd.example", NULL);
	char err[256], out[600], path[] = "/tmp/mailaka-srs-XXXXXX";
	enum mk_srs_err why;
	int fd;

	is_int(mk_srs_parse_secrets(s, "\r\n\ntopsecret\r\nold\n\n", 19, err, sizeof(err)), 0,
	    "secrets with CRLF and blank lines");
	is_int((int)mk_srs_secret_count(s), 2, "  two secrets");
	is_int(rev(s, "SRS0=FtES=JR=orig.example=alice@fwd.example", T0, out, sizeof(out), &why),
	    0, "  first line is the postsrsd secret");
	is_int(mk_srs_parse_secrets(t, "\n\r\n", 3, err, sizeof(err)), -1, "no secret is an error");
	is_str(err, "no secret found", "  message");
	is_int(mk_srs_parse_secrets(t, "a\0b\n", 4, err, sizeof(err)), -1, "NUL refused");
	fd = mkstemp(path);
	if (write(fd, "topsecret\n", 10) != 10)
		diag("short write");
	close(fd);
	chmod(path, 0644);
	is_int(mk_srs_load_secrets(t, path, false, err, sizeof(err)), -1, "mode 644 refused");
	ok(strstr(err, "chmod 600") != NULL, "  says why: %s", err);
	chmod(path, 0600);
	is_int(mk_srs_load_secrets(t, path, false, err, sizeof(err)), 0, "mode 600 loads");
	is_int(mk_srs_load_secrets(t, "/nonexistent/x", false, err, sizeof(err)), -1, "missing");
	unlink(path);
	mk_srs_free(s); mk_srs_free(t);
}

int
main(void)
{
	test_vectors();
	test_errors();
	test_expiry();
	test_rotation_and_srs1();
	test_params_and_bounds();
	test_secrets();
	return done_testing();
}
