/*
 * milter-dkim/keys.c: KeyTable, SigningTable, single-key settings; key files
 * checked with OpenSSL at load time.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "milter-dkim/keys.h"

struct sign_rule {
	char *pattern;		/* lower case */
	char *keyname;
	unsigned line;
};

struct dkim_keys {
	struct dkim_key *key;
	size_t nkeys;
	struct sign_rule *rule;
	size_t nrules;
	bool refile;		/* SigningTable rules are patterns */
	bool subdomains;	/* single-key mode: sign subdomains too */
	bool single;		/* Domain/Selector/KeyFile mode */
};

const char *
dkim_key_alg_name(enum dkim_key_alg alg)
{
	return alg == DKIM_KEY_ED25519 ? "ed25519-sha256" : "rsa-sha256";
}

static void
key_clear(struct dkim_key *key)
{
	free(key->name);
	free(key->domain);
	free(key->selector);
	free(key->path);
	if (key->pem != NULL) {
		explicit_bzero(key->pem, key->pemlen);
		free(key->pem);
	}
	EVP_PKEY_free(key->pkey);

	memset(key, 0, sizeof(*key));
}

/* Read a key file into key->pem after checking its mode. */
static int
key_read(struct dkim_key *key, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(key->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "key file %s: %s", key->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s: not a regular file", key->path);
		goto fail;
	}
	if ((st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) != 0) {
		snprintf(err, errlen, "key file %s: mode %04o: readable by others or writable by "
		    "group/others; chmod 600 it", key->path, (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_size <= 0 || st.st_size > DKIM_KEY_FILE_MAX) {
		snprintf(err, errlen, "key file %s: empty or larger than %d bytes", key->path,
		    DKIM_KEY_FILE_MAX);
		goto fail;
	}
	if ((key->pem = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "key file %s: out of memory", key->path);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, key->pem + got, (size_t)st.st_size - got);
		if (n <= 0) {
			snprintf(err, errlen, "key file %s: short read", key->path);
			goto fail;
		}
		got += (size_t)n;
	}
	key->pem[got] = '\0';
	key->pemlen = got;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

int
dkim_key_load_file(struct dkim_key *key, char *err, size_t errlen)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int rc = -1, bits;

	if (key_read(key, err, errlen) == -1)
		return -1;
	if ((bio = BIO_new_mem_buf(key->pem, (int)key->pemlen)) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "key file %s: not a PEM private key", key->path);
		goto out;
	}
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < DKIM_RSA_BITS_MIN || bits > DKIM_RSA_BITS_MAX) {
			snprintf(err, errlen, "key file %s: RSA key of %d bits (allowed %d..%d, "
			    "RFC 8301)", key->path, bits, DKIM_RSA_BITS_MIN, DKIM_RSA_BITS_MAX);
			goto out;
		}
		key->alg = DKIM_KEY_RSA;
		key->bits = (unsigned)bits;
		break;
	case EVP_PKEY_ED25519:
		key->alg = DKIM_KEY_ED25519;
		key->bits = 256;
		break;
	default:
		snprintf(err, errlen, "key file %s: key type is neither RSA nor Ed25519", key->path);
		goto out;
	}
	EVP_PKEY_free(key->pkey);	/* a reload of the same struct */
	key->pkey = pkey;
	pkey = NULL;
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return rc;
}

/* ---- table files -------------------------------------------------------- */

/* Strip a dataset prefix: "file:" or none -> 0, "refile:" -> 1, other -> -1. */
static int
table_kind(const char *value, const char **path)
{
	if (strncmp(value, "refile:", 7) == 0) {
		*path = value + 7;
		return 1;
	}
	if (strncmp(value, "file:", 5) == 0) {
		*path = value + 5;
		return 0;
	}
	if (value[0] == '/' || value[0] == '.') {
		*path = value;
		return 0;
	}
	*path = value;
	return strchr(value, ':') != NULL ? -1 : 0;
}

typedef int (*line_fn)(struct dkim_keys *k, char **f, size_t nf, const char *path,
    unsigned line, char *err, size_t errlen);

/* Read path, call fn with the white-space separated fields of each line. */
static int
table_read(struct dkim_keys *k, const char *path, line_fn fn, char *err, size_t errlen)
{
	char line[DKIM_TABLE_LINE_MAX + 2], *f[4], *save = NULL, *p;
	unsigned lineno = 0;
	size_t nf;
	FILE *fp;
	int rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strlen(line) > DKIM_TABLE_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			goto out;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		nf = 0;
		for (p = strtok_r(line, " \t\r\n", &save); p != NULL && nf < 4;
		    p = strtok_r(NULL, " \t\r\n", &save))
			f[nf++] = p;
		if (nf == 0)
			continue;
		if (fn(k, f, nf, path, lineno, err, errlen) == -1)
			goto out;
	}
	rc = 0;
out:
	fclose(fp);
	return rc;
}

static struct dkim_key *
keys_add(struct dkim_keys *k)
{
	struct dkim_key *nk;

	if ((nk = realloc(k->key, (k->nkeys + 1) * sizeof(*nk))) == NULL)
		return NULL;
	k->key = nk;
	memset(&k->key[k->nkeys], 0, sizeof(*nk));
	return &k->key[k->nkeys++];
}

static const struct dkim_key *
keys_find(const struct dkim_keys *k, const char *name)
{
	size_t i;

	for (i = 0; i < k->nkeys; i++)
		if (strcasecmp(k->key[i].name, name) == 0)
			return &k->key[i];
	return NULL;
}

static int
keytable_line(struct dkim_keys *k, char **f, size_t nf, const char *path, unsigned line,
    char *err, size_t errlen)
{
	char *c1, *c2, kerr[512];
	struct dkim_key *key;

	if (nf != 2 || (c1 = strchr(f[1], ':')) == NULL || (c2 = strchr(c1 + 1, ':')) == NULL ||
	    c1 == f[1] || c2 == c1 + 1 || c2[1] == '\0') {
		snprintf(err, errlen, "%s:%u: want \"KEYNAME DOMAIN:SELECTOR:KEYPATH\"", path, line);
		return -1;
	}
	if (keys_find(k, f[0]) != NULL) {
		snprintf(err, errlen, "%s:%u: duplicate key name \"%.100s\"", path, line, f[0]);
		return -1;
	}
	if ((key = keys_add(k)) == NULL)
		goto oom;
	*c1 = *c2 = '\0';
	if ((key->name = strdup(f[0])) == NULL || (key->domain = strdup(f[1])) == NULL ||
	    (key->selector = strdup(c1 + 1)) == NULL || (key->path = strdup(c2 + 1)) == NULL)
		goto oom;
	if (dkim_key_load_file(key, kerr, sizeof(kerr)) == -1) {
		snprintf(err, errlen, "%s:%u: %s", path, line, kerr);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "%s:%u: out of memory", path, line);
	return -1;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int
rule_add(struct dkim_keys *k, const char *pattern, const char *keyname, unsigned line)
{
	struct sign_rule *nr;

	if ((nr = realloc(k->rule, (k->nrules + 1) * sizeof(*nr))) == NULL)
		return -1;
	k->rule = nr;
	nr = &k->rule[k->nrules];
	nr->pattern = strdup(pattern);
	nr->keyname = strdup(keyname);
	nr->line = line;
	if (nr->pattern == NULL || nr->keyname == NULL) {
		free(nr->pattern);
		free(nr->keyname);
		return -1;
	}
	lower(nr->pattern);
	k->nrules++;
	return 0;
}

static int
signtable_line(struct dkim_keys *k, char **f, size_t nf, const char *path, unsigned line,
    char *err, size_t errlen)
{
	if (nf < 2 || nf > 3) {
		snprintf(err, errlen, "%s:%u: want \"%s KEYNAME [SIGNER]\"", path, line,
		    k->refile ? "PATTERN" : "ADDRESS-OR-DOMAIN");
		return -1;
	}
	if (strcmp(f[1], "%") != 0 && keys_find(k, f[1]) == NULL) {
		snprintf(err, errlen, "%s:%u: key \"%.100s\" is not in the KeyTable", path, line, f[1]);
		return -1;
	}
	if (rule_add(k, f[0], f[1], line) == -1) {
		snprintf(err, errlen, "%s:%u: out of memory", path, line);
		return -1;
	}
	return 0;
}

static int
load_tables(struct dkim_keys *k, const struct dkim_keys_spec *spec, char *err, size_t errlen)
{
	const char *path;
	int kind;

	if (spec->signingtable == NULL) {
		snprintf(err, errlen, "%s: KeyTable set without SigningTable", spec->where);
		return -1;
	}
	if ((kind = table_kind(spec->keytable, &path)) != 0) {
		snprintf(err, errlen, "%s: KeyTable \"%s\": only file: tables are supported",
		    spec->where, spec->keytable);
		return -1;
	}
	if (table_read(k, path, keytable_line, err, errlen) == -1)
		return -1;
	if ((kind = table_kind(spec->signingtable, &path)) == -1) {
		snprintf(err, errlen, "%s: SigningTable \"%s\": only file: and refile: tables are "
		    "supported", spec->where, spec->signingtable);
		return -1;
	}
	k->refile = kind == 1;
	return table_read(k, path, signtable_line, err, errlen);
}

static int
domainfile_line(struct dkim_keys *k, char **f, size_t nf, const char *path, unsigned line,
    char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < nf; i++) {
		if (rule_add(k, f[i], "default", line) == -1) {
			snprintf(err, errlen, "%s:%u: out of memory", path, line);
			return -1;
		}
	}
	return 0;
}

/* A Domain item: a domain, or (as OpenDKIM's dataset) a file of domains. */
static int
domain_add(struct dkim_keys *k, const char *item, const char *where, char *err, size_t errlen)
{
	const char *path;

	if (strncmp(item, "file:", 5) == 0 || item[0] == '/') {
		path = item[0] == '/' ? item : item + 5;
		return table_read(k, path, domainfile_line, err, errlen);
	}
	if (strchr(item, ':') != NULL) {
		snprintf(err, errlen, "%s: Domain \"%s\": only domains and file: lists are supported",
		    where, item);
		return -1;
	}
	if (rule_add(k, item, "default", 0) == -1) {
		snprintf(err, errlen, "%s: out of memory", where);
		return -1;
	}
	return 0;
}

static int
load_single(struct dkim_keys *k, const struct dkim_keys_spec *spec, char *err, size_t errlen)
{
	struct dkim_key *key;
	char kerr[512];
	size_t i;

	if (spec->selector == NULL || spec->keyfile == NULL) {
		snprintf(err, errlen, "%s: Domain needs Selector and KeyFile (or use KeyTable and "
		    "SigningTable)", spec->where);
		return -1;
	}
	if ((key = keys_add(k)) == NULL || (key->name = strdup("default")) == NULL ||
	    (key->domain = strdup("%")) == NULL || (key->selector = strdup(spec->selector)) == NULL ||
	    (key->path = strdup(spec->keyfile)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", spec->where);
		return -1;
	}
	if (dkim_key_load_file(key, kerr, sizeof(kerr)) == -1) {
		snprintf(err, errlen, "%s: %s", spec->where, kerr);
		return -1;
	}
	k->single = true;
	k->subdomains = spec->subdomains;
	for (i = 0; i < spec->ndomains; i++)
		if (domain_add(k, spec->domains[i], spec->where, err, errlen) == -1)
			return -1;
	return 0;
}

struct dkim_keys *
dkim_keys_load(const struct dkim_keys_spec *spec, char *err, size_t errlen)
{
	struct dkim_keys *k;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (spec->keytable != NULL) {
		if (load_tables(k, spec, err, errlen) == -1)
			return dkim_keys_free(k);
	} else if (spec->ndomains > 0 || spec->keyfile != NULL) {
		if (spec->ndomains == 0) {
			snprintf(err, errlen, "%s: KeyFile set without Domain", spec->where);
			return dkim_keys_free(k);
		}
		if (load_single(k, spec, err, errlen) == -1)
			return dkim_keys_free(k);
	} else if (spec->signingtable != NULL) {
		snprintf(err, errlen, "%s: SigningTable set without KeyTable", spec->where);
		return dkim_keys_free(k);
	}
	return k;
}

struct dkim_keys *
dkim_keys_free(struct dkim_keys *k)
{
	size_t i;

	if (k == NULL)
		return NULL;
	for (i = 0; i < k->nkeys; i++)
		key_clear(&k->key[i]);
	for (i = 0; i < k->nrules; i++) {
		free(k->rule[i].pattern);
		free(k->rule[i].keyname);
	}
	free(k->key);
	free(k->rule);
	free(k);
	return NULL;
}

size_t
dkim_keys_count(const struct dkim_keys *k)
{
	return k == NULL ? 0 : k->nkeys;
}

/* ---- lookup ------------------------------------------------------------- */

/* Add the signature of rule r for the From domain; dedupe by key. */
static size_t
req_add(const struct dkim_keys *k, const struct sign_rule *r, const char *domain,
    struct dkim_sign_req *out, size_t n, size_t max)
{
	const struct dkim_key *key;
	const char *d;
	size_t i;

	if (n >= max)
		return n;
	key = strcmp(r->keyname, "%") == 0 ? keys_find(k, domain) : keys_find(k, r->keyname);
	if (key == NULL)
		return n;
	for (i = 0; i < n; i++)
		if (out[i].key == key)
			return n;
	d = strcmp(key->domain, "%") == 0 ? domain : key->domain;
	if (strlen(d) >= sizeof(out[n].domain))
		return n;
	out[n].key = key;
	memcpy(out[n].domain, d, strlen(d) + 1);
	return n + 1;
}

static const struct sign_rule *
rule_exact(const struct dkim_keys *k, const char *s)
{
	size_t i;

	for (i = 0; i < k->nrules; i++)
		if (strcasecmp(k->rule[i].pattern, s) == 0)
			return &k->rule[i];
	return NULL;
}

static size_t
lookup_refile(const struct dkim_keys *k, const char *addr, const char *domain, bool multi,
    struct dkim_sign_req *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < k->nrules && n < max; i++) {
		if (fnmatch(k->rule[i].pattern, addr, FNM_CASEFOLD | FNM_NOESCAPE) != 0)
			continue;
		n = req_add(k, &k->rule[i], domain, out, n, max);
		if (!multi && n > 0)
			break;
	}
	return n;
}

static size_t
lookup_exact(const struct dkim_keys *k, const char *local, const char *domain, bool multi,
    struct dkim_sign_req *out, size_t max)
{
	char key[600];
	const struct sign_rule *r;
	const char *p;
	size_t n = 0;
	int step;

	/* user@host, host, then user@.parent / .parent, then user@*, * */
	for (step = 0; step < 2 && n < max; step++) {
		snprintf(key, sizeof(key), step == 0 ? "%s@%s" : "%.0s%s", local, domain);
		if ((r = rule_exact(k, key)) != NULL && (n = req_add(k, r, domain, out, n, max)) && !multi)
			return n;
	}
	for (p = strchr(domain, '.'); p != NULL && n < max; p = strchr(p + 1, '.')) {
		for (step = 0; step < 2; step++) {
			snprintf(key, sizeof(key), step == 0 ? "%s@%s" : "%.0s%s", local, p);
			if ((r = rule_exact(k, key)) != NULL &&
			    (n = req_add(k, r, domain, out, n, max)) && !multi)
				return n;
		}
	}
	for (step = 0; step < 2 && n < max; step++) {
		snprintf(key, sizeof(key), step == 0 ? "%s@*" : "%.0s*", local);
		if ((r = rule_exact(k, key)) != NULL && (n = req_add(k, r, domain, out, n, max)) && !multi)
			return n;
	}
	return n;
}

static size_t
lookup_single(const struct dkim_keys *k, const char *domain, struct dkim_sign_req *out, size_t max)
{
	size_t i, dl = strlen(domain), pl;

	for (i = 0; i < k->nrules; i++) {
		pl = strlen(k->rule[i].pattern);
		if (strcasecmp(k->rule[i].pattern, domain) == 0 || strcmp(k->rule[i].pattern, "*") == 0)
			return req_add(k, &k->rule[i], domain, out, 0, max);
		/* a subdomain is signed as the listed domain, where the key is published */
		if (k->subdomains && dl > pl && domain[dl - pl - 1] == '.' &&
		    strcasecmp(domain + dl - pl, k->rule[i].pattern) == 0)
			return req_add(k, &k->rule[i], k->rule[i].pattern, out, 0, max);
	}
	return 0;
}

size_t
dkim_keys_lookup(const struct dkim_keys *k, const char *local, const char *domain, bool multi,
    struct dkim_sign_req *out, size_t max)
{
	char addr[600];

	if (k == NULL || max == 0 || domain == NULL || domain[0] == '\0')
		return 0;
	if (k->single)
		return lookup_single(k, domain, out, max);
	if (k->refile) {
		snprintf(addr, sizeof(addr), "%s@%s", local, domain);
		return lookup_refile(k, addr, domain, multi, out, max);
	}
	return lookup_exact(k, local, domain, multi, out, max);
}
