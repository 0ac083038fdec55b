/*
 * t/unit/test_fwd_maps.c: mailaka-forward's config loading and the alias /
 * forward / reverse lookups as pure functions of (state, map, key, now):
 * statuses and reasons Postfix and the log see, exclusions, expiry, file
 * change detection, config errors naming file:line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forwarder/fwd_conf.h"
#include "forwarder/fwd_maps.h"
#include "tap.h"

static char dir[] = "/tmp/mailaka-fwdmaps-XXXXXX";

static void
put(const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL) {
		diag("cannot write %s", path);
		return;
	}
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

static struct fwd_state *
load(const char *conf_text, char *err, size_t errlen)
{
	char path[512];

	put("forward.conf", conf_text, 0644);
	snprintf(path, sizeof(path), "%s/forward.conf", dir);
	err[0] = '\0';
	return fwd_state_load(path, err, errlen);
}

struct want {
	const char *map, *key;
	enum mk_map_status st;
	const char *value;	/* prefix of the value, or NULL: not checked */
	const char *reason;	/* or NULL: not checked */
};

static void
check(const struct fwd_state *st, const struct want *w, size_t n, time_t now)
{
	static struct fwd_result r;

	for (size_t i = 0; i < n; i++) {
		fwd_map_lookup(st, w[i].map, w[i].key, strlen(w[i].key), now, &r);
		is_str(mk_map_status_name(r.status), mk_map_status_name(w[i].st), "%s %s",
		    w[i].map, w[i].key);
		if (w[i].value != NULL)
			ok(strncmp(r.value, w[i].value, strlen(w[i].value)) == 0,
			    "  value %s (got %s)", w[i].value, r.value);
		if (w[i].reason != NULL)
			is_str(r.reason, w[i].reason, "  reason");
	}
}

static void
test_lookups(void)
{
	static const struct want w[] = {
		{ "alias", "who@example.test", MK_MAP_OK, "box@gmail.test", "catch-all" },
		{ "alias", "sales@example.test", MK_MAP_OK, "a@remote.test,b@remote.test", NULL },
		{ "alias", "i@example.test", MK_MAP_OK, "box@gmail.test", NULL },
		{ "alias", "tubo@example.test", MK_MAP_NOTFOUND, NULL,
		  "only pipe targets (not honoured here)" },
		{ "alias", "loop1@example.test", MK_MAP_TEMP, "alias expansion failed: alias loop",
		  "alias loop" },
		{ "alias", "SRS0=abcd=JR=x.test=u@example.test", MK_MAP_NOTFOUND, NULL, "SRS address" },
		{ "alias", "who@listed.test", MK_MAP_NOTFOUND, NULL, "no alias" },
		{ "alias", "who@remote.test", MK_MAP_NOTFOUND, NULL, "not a local domain" },
		{ "alias", "example.test", MK_MAP_NOTFOUND, NULL, "not an address" },
		{ "alias", "@example.test", MK_MAP_NOTFOUND, NULL, "not an address" },
		{ "ALIAS", "who@example.test", MK_MAP_OK, "box@gmail.test", NULL },
		{ "forward", "alice@orig.test", MK_MAP_OK, "SRS0=", NULL },
		{ "forward", "bob@example.test", MK_MAP_NOTFOUND, NULL, "local or excluded domain" },
		{ "forward", "bob@listed.test", MK_MAP_NOTFOUND, NULL, "local or excluded domain" },
		{ "forward", "bob@example.test", MK_MAP_NOTFOUND, NULL, NULL },
		{ "forward", "bob@fwd.example", MK_MAP_NOTFOUND, NULL, "local or excluded domain" },
		{ "forward", "bob@corp.test", MK_MAP_OK, "SRS0=", NULL },
		{ "forward", "bob@a.corp.test", MK_MAP_NOTFOUND, NULL, "local or excluded domain" },
		{ "forward", "bob@partner.test", MK_MAP_NOTFOUND, NULL, NULL },
		{ "forward", "bob@x.partner.test", MK_MAP_OK, "SRS0=", NULL },
		{ "forward", "SRS0=abcd=JR=x.test=u@other.test", MK_MAP_OK, "SRS1=", NULL },
		{ "forward", "SRS1=x@other.test", MK_MAP_NOTFOUND, NULL, "malformed SRS address" },
		{ "forward", "nobody", MK_MAP_NOTFOUND, NULL, "not an address" },
		{ "reverse", "alice@fwd.example", MK_MAP_NOTFOUND, NULL, "not an SRS address" },
		{ "reverse", "SRS0=abcd=JR=x.test=u@remote.test", MK_MAP_NOTFOUND, NULL,
		  "SRS address of another domain" },
		{ "reverse", "SRS0=abcd=JR=x.test=u@fwd.example", MK_MAP_NOTFOUND, NULL, "bad hash" },
		{ "reverse", "SRS0=ab@fwd.example", MK_MAP_NOTFOUND, NULL, "malformed SRS address" },
		{ "nosuch", "x@y.test", MK_MAP_PERM, "unknown map name", "unknown map name" },
	};
	static struct fwd_result r, back;
	char err[512], conf[1024];
	struct fwd_state *st;
	time_t now = time(NULL);

	st = load("SRSDomain fwd.example\nSRSSecrets secrets\n"
	    "LocalDomains example.test, /nonexistent-is-an-error\n", err, sizeof(err));
	ok(st == NULL && strstr(err, "/nonexistent-is-an-error") != NULL,
	    "missing LocalDomains file is an error: %s", err);
	fwd_state_free(st);
	/* relative paths: the test runs with cwd = dir (LocalDomains files need '/') */
	snprintf(conf, sizeof(conf), "SRSDomain fwd.example\nSRSSecrets secrets\n"
	    "LocalDomains example.test, %s/domains\nAliasesDir aliases\n"
	    "SRSExcludeDomains .corp.test, partner.test\nSRSMaxAge 2w\n", dir);
	st = load(conf, err, sizeof(err));
	ok(st != NULL, "config loads (%s)", err);
	if (st == NULL)
		return;
	ok(fwd_domain_is_local(st, "FWD.example") && fwd_domain_is_local(st, "listed.test") &&
	    !fwd_domain_is_local(st, "corp.test"), "local domains: SRSDomain, list, file");
	check(st, w, sizeof(w) / sizeof(w[0]), now);

	fwd_map_lookup(st, "forward", "alice@orig.test", 15, now, &r);
	fwd_map_lookup(st, "reverse", r.value, strlen(r.value), now + 14 * 86400, &back);
	is_str(back.value, "alice@orig.test", "reverse after 14 days (SRSMaxAge 2w)");
	fwd_map_lookup(st, "reverse", r.value, strlen(r.value), now + 15 * 86400, &back);
	is_str(back.reason, "expired timestamp", "expired after 15 days");
	is_int(back.status, MK_MAP_NOTFOUND, "  NOTFOUND");

	ok(!fwd_state_changed(st), "no change yet");
	sleep(1);
	put("aliases/example.test/aliases", "*: other@gmail.test\n", 0644);
	ok(fwd_state_changed(st), "aliases file edit detected");
	fwd_state_rewatch(st);
	ok(!fwd_state_changed(st), "rewatch records the new state");
	put("secrets", "rotated\ntopsecret\n", 0600);
	ok(fwd_state_changed(st), "secrets edit detected");
	fwd_state_free(st);
}

static void
test_errors(void)
{
	static const struct { const char *conf, *want; } v[] = {
		{ "SRSSecrets secrets\n", "forward.conf: SRSDomain is required" },
		{ "SRSDomain d.test\nSRSSecrets secrets\nSRSHashLength 4\nSRSHashMin 5\n",
		  "forward.conf:4: SRSHashMin 5 is above SRSHashLength 4" },
		{ "SRSDomain d.test\nSRSSecrets secrets\nSRSMaxAge 30x\n", "forward.conf:3:" },
		{ "SRSDomain d.test\nSRSSecrets secrets\nSRSMaxAge 1024\n", "forward.conf:3:" },
		{ "SRSDomain d.test\nSRSSecrets secrets\nSRSSeparator /\n", "forward.conf:3:" },
		{ "SRSDomain d.test\nSRSSecrets secrets\nSocket tcp:1\n", "forward.conf:3:" },
		{ "SRSDomain d.test\nSRSSecrets open-secrets\n", "open-secrets: group or others" },
		{ "SRSDomain d.test\nSRSSecrets secrets\nAliasesFile bad-aliases\n",
		  "bad-aliases:2: missing ':' in line" },
		{ "SRSDomain d.test\nSRSSecrets secrets\nDropCharacters @\n", "forward.conf:3:" },
	};
	char err[512];

	put("open-secrets", "x\n", 0644);
	put("bad-aliases", "a@b.test: c\nbroken\n", 0644);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct fwd_state *st = load(v[i].conf, err, sizeof(err));

		ok(st == NULL && strstr(err, v[i].want) != NULL, "config error %zu: %s", i, err);
		fwd_state_free(st);
	}
}

int
main(void)
{
	char path[512];

	if (mkdtemp(dir) == NULL || chdir(dir) == -1) {
		ok(0, "temp dir");
		return done_testing();
	}
	snprintf(path, sizeof(path), "%s/aliases/example.test", dir);
	mkdir("aliases", 0755);
	mkdir(path, 0755);
	put("secrets", "topsecret\n", 0600);
	put("domains", "listed.test\n", 0644);
	put("aliases/example.test/aliases", "*: i\ni: box@gmail.test\n"
	    "sales: a@remote.test, b@remote.test\nloop1: loop2\nloop2: loop1\n"
	    "tubo: | /bin/true\n", 0644);
	test_lookups();
	test_errors();
	snprintf(path, sizeof(path), "rm -rf -- '%s'", dir);
	if (system(path) != 0)
		diag("cleanup failed");
	return done_testing();
}
