/*
 * t/unit/test_dmarc_ratelimit.c: lib/ratelimit (the failure report rate
 * limits of mailaka-dmarc): rate parsing, fixed windows, several keys per
 * event, drop counts handed over once per window, a bounded table.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/ratelimit.h"
#include "tap.h"

static void
test_parse(void)
{
	static const struct { const char *in; int rc; unsigned long n; long iv; } c[] = {
		{ "10/3600", 0, 10, 3600 },
		{ "10/1h", 0, 10, 3600 },
		{ "1/1s", 0, 1, 1 },
		{ "100/1d", 0, 100, 86400 },
		{ "0", 0, 0, 0 },
		{ "none", 0, 0, 0 },
		{ "Unlimited", 0, 0, 0 },
		{ "0/1h", 0, 0, 0 },
		{ "1000000/366d", 0, 1000000, 366L * 86400 },
		{ "1000001/1h", -1, 0, 0 },
		{ "10/367d", -1, 0, 0 },
		{ "10/0", -1, 0, 0 },
		{ "10", -1, 0, 0 },
		{ "/1h", -1, 0, 0 },
		{ "10/", -1, 0, 0 },
		{ "-1/1h", -1, 0, 0 },
		{ "+1/1h", -1, 0, 0 },
		{ "1 0/1h", -1, 0, 0 },
		{ "10/1x", -1, 0, 0 },
		{ "x/1h", -1, 0, 0 },
		{ "", -1, 0, 0 },
		{ "99999999999999999999999999999999999/1h", -1, 0, 0 },
	};
	struct mk_rate r;
	char err[256], buf[64];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		err[0] = '\0';
		is_int(mk_rate_parse(c[i].in, &r, err, sizeof(err)), c[i].rc, "parse \"%s\"", c[i].in);
		if (c[i].rc == 0) {
			is_int(r.count, c[i].n, "parse \"%s\": count", c[i].in);
			is_int(r.interval, c[i].iv, "parse \"%s\": interval", c[i].in);
		} else {
			ok(err[0] != '\0', "parse \"%s\": error says why (%s)", c[i].in, err);
		}
	}
	mk_rate_parse("10/1h", &r, err, sizeof(err));
	mk_rate_format(&r, buf, sizeof(buf));
	is_str(buf, "10/3600", "format 10/1h");
	mk_rate_parse("0", &r, err, sizeof(err));
	mk_rate_format(&r, buf, sizeof(buf));
	is_str(buf, "unlimited", "format 0");
}

struct seen {
	char key[64];
	unsigned long dropped, n;
	long interval;
};

static void
seen_cb(const char *key, unsigned long dropped, const struct mk_rate *rate, void *arg)
{
	struct seen *s = arg;

	snprintf(s->key, sizeof(s->key), "%s", key);
	s->dropped = dropped;
	s->interval = rate->interval;
	s->n++;
}

static void
test_one_key(void)
{
	struct mk_ratelimit *rl = mk_ratelimit_new(16);
	struct mk_rate r = { 3, 10 };
	const char *k[] = { "dest:a@example.com" };
	struct mk_ratelimit_verdict v;
	struct seen s;
	int i;

	for (i = 0; i < 3; i++)
		is_int(mk_ratelimit_take(rl, k, &r, 1, 100 + i, &v), 0, "3/10: event %d passes", i + 1);
	is_int(mk_ratelimit_take(rl, k, &r, 1, 103, &v), -1, "3/10: the 4th in the window drops");
	is_int(v.key, 0, "dropped by key 0");
	ok(v.first_drop, "the first drop of the window is flagged");
	is_int(v.count, 3, "the count in the window is reported");
	is_int(mk_ratelimit_take(rl, k, &r, 1, 109, &v), -1, "the 5th (last second) drops");
	ok(!v.first_drop, "a later drop is not flagged first");
	memset(&s, 0, sizeof(s));
	is_int(mk_ratelimit_expire(rl, 109, false, seen_cb, &s), 0, "window open at +9s: kept");
	is_int(s.n, 0, "no drop summary while the window is open");
	is_int(mk_ratelimit_expire(rl, 110, false, seen_cb, &s), 1, "window ended at +10s: forgotten");
	is_int(s.n, 1, "one drop summary");
	is_str(s.key, k[0], "summary names the key");
	is_int(s.dropped, 2, "summary counts both drops");
	is_int(s.interval, 10, "summary has the window's interval");
	is_int(mk_ratelimit_size(rl), 0, "table empty");
	is_int(mk_ratelimit_take(rl, k, &r, 1, 110, &v), 0, "a new window passes again");
	/* a window that ended without expire() restarts; so does a clock going back */
	mk_ratelimit_take(rl, k, &r, 1, 110, &v);
	mk_ratelimit_take(rl, k, &r, 1, 110, &v);
	is_int(mk_ratelimit_take(rl, k, &r, 1, 111, &v), -1, "full again");
	is_int(mk_ratelimit_take(rl, k, &r, 1, 125, &v), 0, "ended window restarts in take");
	mk_ratelimit_take(rl, k, &r, 1, 125, &v);
	mk_ratelimit_take(rl, k, &r, 1, 125, &v);
	is_int(mk_ratelimit_take(rl, k, &r, 1, 50, &v), 0, "clock back: window restarts");
	mk_ratelimit_free(rl);
}

static void
test_keys(void)
{
	struct mk_ratelimit *rl = mk_ratelimit_new(64);
	const struct mk_rate r[3] = { { 5, 100 }, { 2, 100 }, { 1, 100 } };
	const char *k[3] = { "global", "domain:a.example", "dest:x@a.example" };
	struct mk_ratelimit_verdict v;
	struct seen s;

	is_int(mk_ratelimit_take(rl, k, r, 3, 0, &v), 0, "event 1 passes all three keys");
	is_int(mk_ratelimit_take(rl, k, r, 3, 1, &v), -1, "same destination: dropped");
	is_int(v.key, 2, "by the destination key");
	k[2] = "dest:y@a.example";
	is_int(mk_ratelimit_take(rl, k, r, 3, 2, &v), 0, "other destination, same domain: passes");
	k[2] = "dest:z@a.example";
	is_int(mk_ratelimit_take(rl, k, r, 3, 3, &v), -1, "third report of the domain: dropped");
	is_int(v.key, 1, "by the domain key (the drop did not count against the global key)");
	k[1] = "domain:b.example";
	k[2] = "dest:p@b.example";
	is_int(mk_ratelimit_take(rl, k, r, 3, 4, &v), 0, "domain b passes (global 3)");
	k[2] = "dest:q@b.example";
	is_int(mk_ratelimit_take(rl, k, r, 3, 5, &v), 0, "domain b passes (global 4)");
	k[1] = "domain:c.example";
	k[2] = "dest:r@c.example";
	is_int(mk_ratelimit_take(rl, k, r, 3, 6, &v), 0, "domain c passes (global 5)");
	k[1] = "domain:d.example";
	k[2] = "dest:s@d.example";
	is_int(mk_ratelimit_take(rl, k, r, 3, 7, &v), -1, "global cap reached: dropped");
	is_int(v.key, 0, "by the global key");
	ok(v.first_drop, "first global drop flagged");
	is_int(mk_ratelimit_size(rl), 9, "windows: global, 3 domains, 5 destinations");
	memset(&s, 0, sizeof(s));
	is_int(mk_ratelimit_expire(rl, 99, false, seen_cb, &s), 0, "nothing ended at 99");
	is_int(mk_ratelimit_expire(rl, 104, false, seen_cb, &s), 6, "the six opened by 4 ended at 104");
	is_int(mk_ratelimit_expire(rl, 106, false, seen_cb, &s), 3, "the rest ended at 106");
	is_int(s.n, 3, "three windows dropped something");
	mk_ratelimit_free(rl);
}

static void
test_bounds(void)
{
	struct mk_ratelimit *rl = mk_ratelimit_new(2);
	struct mk_rate r = { 10, 60 }, none = { 0, 0 };
	const char *k[2] = { "a", "unlimited" };
	const struct mk_rate rr[2] = { { 10, 60 }, { 0, 0 } };
	struct mk_ratelimit_verdict v;
	char big[MK_RATELIMIT_KEY_MAX + 2];
	const char *kb[1] = { big };
	struct seen s;
	int i;

	is_int(mk_ratelimit_take(rl, k, rr, 2, 0, &v), 0, "unlimited key passes");
	is_int(mk_ratelimit_size(rl), 1, "an unlimited key is not stored");
	for (i = 0; i < 100; i++)
		mk_ratelimit_take(rl, &k[1], &none, 1, 0, &v);
	is_int(mk_ratelimit_size(rl), 1, "100 unlimited events store nothing");
	k[0] = "b";
	is_int(mk_ratelimit_take(rl, k, &r, 1, 0, &v), 0, "second key fits");
	k[0] = "c";
	is_int(mk_ratelimit_take(rl, k, &r, 1, 0, &v), -1, "third key: table full, dropped");
	is_int(v.key, -1, "verdict says table full");
	k[0] = "a";
	is_int(mk_ratelimit_take(rl, k, &r, 1, 1, &v), 0, "a known key still passes when full");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mk_ratelimit_expire(rl, 60, true, NULL, NULL);
	is_int(mk_ratelimit_take(rl, kb, &r, 1, 0, &v), -1, "over-long key refused");
	big[MK_RATELIMIT_KEY_MAX] = '\0';
	is_int(mk_ratelimit_take(rl, kb, &r, 1, 0, &v), 0, "key of exactly the maximum length");
	/* expire(all) hands over the drops of windows still open (shutdown) */
	r.count = 1;
	k[0] = "z";
	mk_ratelimit_take(rl, k, &r, 1, 0, &v);
	mk_ratelimit_take(rl, k, &r, 1, 0, &v);
	memset(&s, 0, sizeof(s));
	mk_ratelimit_expire(rl, 0, true, seen_cb, &s);
	ok(s.n == 1 && strcmp(s.key, "z") == 0 && s.dropped == 1, "expire(all) reports open windows");
	is_int(mk_ratelimit_size(rl), 0, "expire(all) empties the table");
	/* many keys in a bigger table: hash chains work */
	mk_ratelimit_free(rl);
	rl = mk_ratelimit_new(5000);
	r.count = 1;
	for (i = 0; i < 4000; i++) {
		char key[32];
		const char *kk[1] = { key };

		snprintf(key, sizeof(key), "dest:%d@example.com", i);
		if (mk_ratelimit_take(rl, kk, &r, 1, 0, &v) != 0 ||
		    mk_ratelimit_take(rl, kk, &r, 1, 0, &v) != -1)
			break;
	}
	is_int(i, 4000, "4000 keys: each passes once, then drops");
	is_int(mk_ratelimit_size(rl), 4000, "4000 windows");
	mk_ratelimit_free(rl);
	ok(mk_ratelimit_free(NULL) == NULL, "free(NULL)");
}

int
main(void)
{
	test_parse();
	test_one_key();
	test_keys();
	test_bounds();
	return done_testing();
}
