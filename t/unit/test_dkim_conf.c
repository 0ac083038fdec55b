/* t/unit/test_dkim_conf.c: mailaka-dkim configuration, key/signing tables,
 * key file checks, host lists and the sender login map. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "milter-dkim/dkim_conf.h"
#include "milter-dkim/hosts.h"
#include "milter-dkim/keys.h"
#include "milter-dkim/login_map.h"
#include "tap.h"

static char dir[] = "/tmp/mk-dkimconf.XXXXXX";
static char warnings[2048];

static void
warn_cb(const char *msg, void *arg)
{
	(void)arg;
	strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

static void
write_key(const char *name, const char *alg, unsigned bits, mode_t mode)
{
	char path[512];
	EVP_PKEY *pk;
	FILE *fp;

	pk = strcmp(alg, "RSA") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits) :
	    EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	chmod(path, mode);
	EVP_PKEY_free(pk);
}

/* Load a config whose text uses %D for the temp dir. */
static struct dkim_conf *
load(const char *tmpl, char *err, size_t errlen)
{
	char text[4096], *o = text;
	const char *p;

	for (p = tmpl; *p != '\0' && o < text + sizeof(text) - 256; p++) {
		if (p[0] == '%' && p[1] == 'D') {
			o += sprintf(o, "%s", dir);
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	warnings[0] = '\0';
	err[0] = '\0';
	return dkim_conf_parse(text, strlen(text), "dkim.conf", warn_cb, NULL, err, errlen);
}

static void
test_tables(void)
{
	struct dkim_conf *c;
	struct dkim_sign_req req[4];
	char err[1024];
	size_t n;

	write_key("rsa.key", "RSA", 2048, 0600);
	write_key("ed.key", "ED25519", 0, 0640);
	write_file("keytable", "# OpenDKIM KeyTable\n"
	    "rsa._domainkey.example.com example.com:rsa:%D/rsa.key\n"
	    "ed._domainkey.example.com  example.com:ed:%D/ed.key\n"
	    "any %:any:%D/rsa.key\n", 0644);
	/* KeyTable holds %D: rewrite with the real dir */
	{
		char kt[1024];
		snprintf(kt, sizeof(kt), "rsa._domainkey.example.com example.com:rsa:%s/rsa.key\n"
		    "ed._domainkey.example.com  example.com:ed:%s/ed.key\n"
		    "any %%:any:%s/rsa.key\n", dir, dir, dir);
		write_file("keytable", kt, 0644);
	}
	write_file("signingtable", "*@example.com rsa._domainkey.example.com\n"
	    "*@example.com ed._domainkey.example.com\n"
	    "*@*.example.org any\n", 0644);

	c = load("Mode sv\nKeyTable file:%D/keytable\nSigningTable refile:%D/signingtable\n"
	    "InternalHosts 127.0.0.1, 10.0.0.0/8\nMultipleSignatures yes\nSyslog yes\n"
	    "FancyNewKey 1\nNameservers 127.0.0.1@5353\n", err, sizeof(err));
	ok(c != NULL, "OpenDKIM-style config loads%s%s", c ? "" : ": ", c ? "" : err);
	if (c == NULL)
		return;
	ok(strstr(warnings, "dkim.conf:7") != NULL, "unknown key warned with file:line");
	ok(strstr(warnings, "Syslog") == NULL, "known-but-ignored key not warned");
	is_str(c->resolver, "127.0.0.1@5353", "Nameservers is Resolver");
	ok(c->sign && c->verify, "Mode sv");
	is_int(c->hcanon, DKIM_C_RELAXED, "relaxed header canon by default");
	is_int(c->bcanon, DKIM_C_RELAXED, "relaxed body canon by default");
	is_int(c->on_badsig, DKIM_ACT_ACCEPT, "On-BadSignature default accept");
	is_int(c->on_dnserror, DKIM_ACT_TEMPFAIL, "On-DNSError default tempfail");
	is_int(c->on_sender, DKIM_ACT_REJECT, "On-SenderMismatch default reject");

	n = dkim_keys_lookup(c->keys, "alice", "example.com", true, req, 4);
	is_int(n, 2, "two signatures for example.com (RSA + Ed25519)");
	if (n == 2) {
		is_str(req[0].key->selector, "rsa", "first rsa");
		is_int(req[0].key->alg, DKIM_KEY_RSA, "  alg");
		is_int(req[0].key->bits, 2048, "  bits");
		is_str(req[1].key->selector, "ed", "second ed");
		is_int(req[1].key->alg, DKIM_KEY_ED25519, "  alg");
		is_str(req[1].domain, "example.com", "  d=");
	}
	n = dkim_keys_lookup(c->keys, "alice", "example.com", false, req, 4);
	is_int(n, 1, "MultipleSignatures no: first only");
	n = dkim_keys_lookup(c->keys, "bob", "sub.example.org", true, req, 4);
	is_int(n, 1, "%% domain key");
	is_str(n ? req[0].domain : NULL, "sub.example.org", "  d= is the From domain");
	n = dkim_keys_lookup(c->keys, "bob", "example.net", true, req, 4);
	is_int(n, 0, "no key for example.net");
	ok(dkim_hosts_match(c->internal, "10.2.3.4", NULL), "10/8 internal");
	ok(!dkim_hosts_match(c->internal, "::1", NULL), "::1 not internal when list is set");
	dkim_conf_free(c);
}

static void
test_exact_table(void)
{
	struct dkim_conf *c;
	struct dkim_sign_req req[4];
	char err[1024], kt[512];
	size_t n;

	snprintf(kt, sizeof(kt), "k1 example.com:s1:%s/rsa.key\nk2 example.com:s2:%s/rsa.key\n"
	    "k3 example.com:s3:%s/rsa.key\n", dir, dir, dir);
	write_file("kt2", kt, 0600);
	write_file("st2", "ceo@example.com k1\nexample.com k2\n.example.com k3\n", 0600);
	c = load("KeyTable %D/kt2\nSigningTable %D/st2\n", err, sizeof(err));
	ok(c != NULL, "exact SigningTable loads%s%s", c ? "" : ": ", c ? "" : err);
	if (c == NULL)
		return;
	n = dkim_keys_lookup(c->keys, "ceo", "example.com", false, req, 4);
	is_str(n ? req[0].key->name : NULL, "k1", "user@host first");
	n = dkim_keys_lookup(c->keys, "CEO", "example.com", false, req, 4);
	is_str(n ? req[0].key->name : NULL, "k1", "case-insensitive");
	n = dkim_keys_lookup(c->keys, "x", "example.com", false, req, 4);
	is_str(n ? req[0].key->name : NULL, "k2", "host next");
	n = dkim_keys_lookup(c->keys, "x", "a.b.example.com", false, req, 4);
	is_str(n ? req[0].key->name : NULL, "k3", ".parent for subdomains");
	n = dkim_keys_lookup(c->keys, "ceo", "example.com", true, req, 4);
	is_int(n, 2, "multi: user@host and host");
	dkim_conf_free(c);

	c = load("Domain example.com, example.net\nSelector sel\nKeyFile %D/ed.key\n", err,
	    sizeof(err));
	ok(c != NULL, "single-key mode loads%s%s", c ? "" : ": ", c ? "" : err);
	if (c == NULL)
		return;
	n = dkim_keys_lookup(c->keys, "a", "example.net", false, req, 4);
	is_int(n, 1, "Domain list member signed");
	is_str(n ? req[0].domain : NULL, "example.net", "  d=");
	is_str(n ? req[0].key->selector : NULL, "sel", "  s=");
	is_int(dkim_keys_lookup(c->keys, "a", "sub.example.net", false, req, 4), 0,
	    "subdomain not signed without SubDomains");
	dkim_conf_free(c);

	write_file("domains", "# signed domains\nexample.com example.org\nexample.info\n", 0644);
	c = load("Domain file:%D/domains\nSelector sel\nKeyFile %D/ed.key\nSubDomains yes\n", err,
	    sizeof(err));
	ok(c != NULL, "Domain from a file loads%s%s", c ? "" : ": ", c ? "" : err);
	if (c == NULL)
		return;
	is_int(dkim_keys_lookup(c->keys, "a", "example.info", false, req, 4), 1, "domain on line 3");
	is_int(dkim_keys_lookup(c->keys, "a", "mail.example.org", false, req, 4), 1,
	    "SubDomains: subdomain signed");
	is_str(req[0].domain, "example.org", "  d= is the listed domain (where the key is)");
	is_int(dkim_keys_lookup(c->keys, "a", "badexample.org", false, req, 4), 0,
	    "SubDomains: no partial label match");
	dkim_conf_free(c);
}

static const struct {
	const char *name;
	const char *conf;
	const char *keytable;	/* NULL: none written */
	const char *want;	/* substring of the error */
} bad[] = {
	{ "world-readable key", "KeyTable %D/ktb\nSigningTable %D/stb\n",
	    "k example.com:s:%D/open.key\n", "ktb:1: key file " },
	{ "world-readable key reason", "KeyTable %D/ktb\nSigningTable %D/stb\n",
	    "k example.com:s:%D/open.key\n", "readable by others" },
	{ "missing key file", "KeyTable %D/ktb\nSigningTable %D/stb\n",
	    "# c\nk example.com:s:%D/nope.key\n", "ktb:2: key file " },
	{ "small RSA key", "KeyTable %D/ktb\nSigningTable %D/stb\n",
	    "k example.com:s:%D/small.key\n", "RSA key of 512 bits" },
	{ "not a key", "KeyTable %D/ktb\nSigningTable %D/stb\n",
	    "k example.com:s:%D/junk.key\n", "not a PEM private key" },
	{ "bad KeyTable line", "KeyTable %D/ktb\nSigningTable %D/stb\n",
	    "k example.com:s\n", "ktb:1: want \"KEYNAME DOMAIN:SELECTOR:KEYPATH\"" },
	{ "SigningTable names unknown key", "KeyTable %D/ktb\nSigningTable %D/stb\n",
	    "k example.com:s:%D/rsa.key\n", "stb:2: key \"nokey\" is not in the KeyTable" },
	{ "bad Mode", "Mode x\n", NULL, "dkim.conf:1:" },
	{ "bad action", "Mode v\nOn-BadSignature explode\n", NULL, "dkim.conf:2:" },
	{ "bad canon", "Mode v\nCanonicalization relaxed/strict\n", NULL, "dkim.conf:2:" },
	{ "bad InternalHosts", "Mode v\nInternalHosts 10.0.0.0/33\n", NULL, "bad CIDR prefix" },
	{ "sign without key", "Mode sv\n", NULL, "no key is configured" },
	{ "KeyFile without Domain", "Mode s\nKeyFile %D/rsa.key\nSelector s\n", NULL,
	    "KeyFile set without Domain" },
	{ "unsupported table type", "KeyTable db:/x.db\nSigningTable %D/stb\n", NULL,
	    "only file: tables" },
	{ "missing login map", "Mode v\nSenderLoginMap %D/nomap\n", NULL, "nomap" },
};

static void
test_bad(void)
{
	struct dkim_conf *c;
	char err[1024], kt[512];
	size_t i;
	const char *p;
	char *o;

	write_key("open.key", "RSA", 1024, 0644);
	write_key("small.key", "RSA", 512, 0600);
	write_file("junk.key", "hello\n", 0600);
	write_file("stb", "*@example.com k\nexample.net nokey\n", 0600);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].keytable != NULL) {
			for (p = bad[i].keytable, o = kt; *p != '\0'; p++) {
				if (p[0] == '%' && p[1] == 'D') {
					o += sprintf(o, "%s", dir);
					p++;
				} else {
					*o++ = *p;
				}
			}
			*o = '\0';
			write_file("ktb", kt, 0600);
		}
		c = load(bad[i].conf, err, sizeof(err));
		ok(c == NULL, "%s: refused", bad[i].name);
		if (!ok(strstr(err, bad[i].want) != NULL, "  error names the problem"))
			diag("got \"%s\", want \"%s\"", err, bad[i].want);
		dkim_conf_free(c);
	}
}

static void
test_hosts_and_logins(void)
{
	const char *items[] = { "127.0.0.1", "::1", "10.0.0.0/8", "!10.1.0.0/16", ".example.com",
	    "[2001:db8::]/32" };
	struct dkim_hosts *h;
	struct dkim_login_map *m;
	char err[512], path[512];
	bool nd;

	h = dkim_hosts_new_list(items, 6, "test", err, sizeof(err));
	ok(h != NULL, "host list");
	ok(dkim_hosts_match(h, "127.0.0.1", NULL), "127.0.0.1");
	ok(dkim_hosts_match(h, "::ffff:127.0.0.1", NULL), "v4-mapped 127.0.0.1");
	ok(dkim_hosts_match(h, "IPv6:::1", NULL), "::1 with IPv6: prefix");
	ok(!dkim_hosts_match(h, "127.0.0.2", NULL), "127.0.0.2 not");
	ok(dkim_hosts_match(h, "10.255.0.1", NULL), "10/8");
	ok(!dkim_hosts_match(h, "10.1.2.3", NULL), "negated 10.1/16 wins");
	ok(dkim_hosts_match(h, "192.0.2.1", "mail.example.com"), "host suffix");
	ok(dkim_hosts_match(h, "192.0.2.1", "example.com"), "domain itself");
	ok(!dkim_hosts_match(h, "192.0.2.1", "badexample.com"), "no partial label match");
	ok(dkim_hosts_match(h, "2001:db8:1::5", NULL), "IPv6 /32");
	ok(!dkim_hosts_match(h, NULL, NULL), "no address");
	dkim_hosts_free(h);

	write_file("hostsfile", "# internal\n127.0.0.1\n192.168.0.0/16, 172.16.0.0/12\n", 0644);
	snprintf(path, sizeof(path), "%s/hostsfile", dir);
	h = dkim_hosts_new(path, "x", err, sizeof(err));
	ok(h != NULL && dkim_hosts_match(h, "172.20.1.1", NULL), "host file");
	dkim_hosts_free(h);
	write_file("hostsbad", "127.0.0.1\n\n300.1.1.1/8\n", 0644);
	snprintf(path, sizeof(path), "refile:%s/hostsbad", dir);
	h = dkim_hosts_new(path, "x", err, sizeof(err));
	ok(h == NULL && strstr(err, "hostsbad:3:") != NULL, "bad host file entry names file:line");

	write_file("logins", "alice@example.com example.com, @example.org bob@example.net\n"
	    "admin *\n", 0600);
	snprintf(path, sizeof(path), "%s/logins", dir);
	m = dkim_login_map_load(path, err, sizeof(err));
	ok(m != NULL, "login map loads");
	ok(dkim_login_may_send(m, "alice@example.com", "x", "example.org", &nd), "map: @domain");
	ok(dkim_login_may_send(m, "alice@example.com", "bob", "example.net", &nd), "map: address");
	ok(!dkim_login_may_send(m, "alice@example.com", "eve", "example.net", &nd),
	    "map: other address refused");
	ok(dkim_login_may_send(m, "admin", "x", "anything.test", &nd), "map: *");
	ok(dkim_login_may_send(m, "carol@example.com", "ceo", "EXAMPLE.COM", &nd),
	    "default: own domain");
	ok(!dkim_login_may_send(m, "carol@example.com", "ceo", "example.org", &nd),
	    "default: other domain refused");
	ok(!dkim_login_may_send(NULL, "carol", "x", "example.com", &nd) && nd,
	    "login without domain flagged");
	dkim_login_map_free(m);
}

int
main(void)
{
	char cmd[600];

	if (mkdtemp(dir) == NULL)
		return 1;
	chmod(dir, 0700);
	test_tables();
	test_exact_table();
	test_bad();
	test_hosts_and_logins();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
