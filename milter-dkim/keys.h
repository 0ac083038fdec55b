/*
 * milter-dkim/keys.h: signing keys and the choice of key for a message,
 * with OpenDKIM's KeyTable / SigningTable semantics.
 *
 *   KeyTable      "file:PATH" or "PATH": lines "KEYNAME DOMAIN:SELECTOR:KEYPATH"
 *                 (DOMAIN may be "%": the From domain).
 *   SigningTable  "file:PATH" or "PATH": lines "ADDRESS-OR-DOMAIN KEYNAME [SIGNER]",
 *                 looked up as OpenDKIM does: "user@host", "host", then
 *                 "user@.parent" and ".parent" for each parent domain, then
 *                 "user@*" and "*";
 *                 "refile:PATH": lines "PATTERN KEYNAME [SIGNER]" where '*' in
 *                 PATTERN matches any string, tried in file order against
 *                 "user@host".  KEYNAME "%" means the From domain.
 *   Domain/Selector/KeyFile  one key for a list of domains (SubDomains: and
 *                 their subdomains, signed with d= the listed domain); a Domain item "/path" or "file:/path" is
 *                 a file of domains (white space separated, '#' comments).
 *
 * Every key file is read, parsed (OpenSSL) and checked at load time: it must
 * exist, be a regular file not readable by others (nor writable by group or
 * others), hold an RSA key of 1024..4096 bits or an Ed25519 key.  Every
 * SigningTable entry must name a KeyTable key.  Errors name file:line.
 */
#ifndef DKIM_KEYS_H
#define DKIM_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#define DKIM_KEY_FILE_MAX 65536		/* bytes of a private key file */
#define DKIM_TABLE_LINE_MAX 4096	/* bytes of a KeyTable/SigningTable line */
#define DKIM_SIGN_REQS_MAX 8		/* signatures added to one message */
#define DKIM_RSA_BITS_MIN 1024		/* RFC 8301 3.2 */
#define DKIM_RSA_BITS_MAX 4096

enum dkim_key_alg {
	DKIM_KEY_RSA,
	DKIM_KEY_ED25519,
};

struct dkim_key {
	char *name;		/* KeyTable key name */
	char *domain;		/* "%" = the From domain */
	char *selector;
	char *path;
	unsigned char *pem;	/* key file contents (libopendkim takes PEM), wiped at free */
	size_t pemlen;
	enum dkim_key_alg alg;
	unsigned bits;
	EVP_PKEY *pkey;		/* parsed once at load (native signing), freed with the key */
};

struct dkim_sign_req {
	const struct dkim_key *key;	/* borrowed from struct dkim_keys */
	char domain[256];		/* d= */
};

struct dkim_keys;

struct dkim_keys_spec {
	const char *keytable;		/* KeyTable value or NULL */
	const char *signingtable;	/* SigningTable value or NULL */
	const char *const *domains;	/* Domain list (single-key mode) */
	size_t ndomains;
	const char *selector;		/* Selector */
	const char *keyfile;		/* KeyFile */
	bool subdomains;		/* SubDomains */
	const char *where;		/* "file:line" of the single-key settings, for errors */
};

/* Load and validate. NULL with err ("file:line: why") on any problem. */
struct dkim_keys *dkim_keys_load(const struct dkim_keys_spec *spec, char *err, size_t errlen);
struct dkim_keys *dkim_keys_free(struct dkim_keys *k);
size_t dkim_keys_count(const struct dkim_keys *k);

/* The signatures for a From address (local part, normalised domain):
 * fills out (up to max; only the first when !multi) and returns how many. */
size_t dkim_keys_lookup(const struct dkim_keys *k, const char *local, const char *domain,
    bool multi, struct dkim_sign_req *out, size_t max);

/* Read and check one key file (also used by dkim-keygen tests): fills
 * key->pem and key->pkey (the parsed key, released by dkim_keys_free).
 * 0 / -1 with err. */
int dkim_key_load_file(struct dkim_key *key, char *err, size_t errlen);
const char *dkim_key_alg_name(enum dkim_key_alg alg);	/* "rsa-sha256", "ed25519-sha256" */

#endif
