/*
 * cli/cmd_dkim_keygen.c: "mailaka dkim-keygen".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli/cmd_dkim_keygen.h"
#include "lib/addr.h"

#define KEYGEN_TXT_STRING_MAX 255	/* RFC 1035 3.3 character-string */
#define KEYGEN_SELECTOR_MAX 63		/* one DNS label */

static int
usage(void)
{
	fprintf(stderr, "usage: mailaka dkim-keygen DOMAIN [SELECTOR] [--type rsa|ed25519] "
	    "[--bits N] [--dir D]\n");
	return 2;
}

int
dkim_keygen_record(const char *selector, const char *domain, const char *k, const char *p,
    char *out, size_t outsz)
{
	char text[4096];
	size_t tl, i, o;
	int n;

	n = snprintf(text, sizeof(text), "v=DKIM1; k=%s; p=%s", k, p);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	tl = (size_t)n;
	n = snprintf(out, outsz, "%s._domainkey.%s. IN TXT (", selector, domain);
	if (n < 0 || (size_t)n >= outsz)
		return -1;
	o = (size_t)n;
	for (i = 0; i < tl; i += KEYGEN_TXT_STRING_MAX) {
		n = snprintf(out + o, outsz - o, " \"%.*s\"", (int)(tl - i < KEYGEN_TXT_STRING_MAX ?
		    tl - i : KEYGEN_TXT_STRING_MAX), text + i);
		if (n < 0 || (size_t)n >= outsz - o)
			return -1;
		o += (size_t)n;
	}
	n = snprintf(out + o, outsz - o, " )");
	return n < 0 || (size_t)n >= outsz - o ? -1 : 0;
}

static bool
selector_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > KEYGEN_SELECTOR_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/* Base64 of the public key as DKIM wants it: SubjectPublicKeyInfo for RSA,
 * the raw 32 bytes for Ed25519 (RFC 8463). Returns malloc'd or NULL. */
static char *
public_b64(EVP_PKEY *pk, bool ed)
{
	unsigned char raw[64], *der = NULL;
	size_t rawlen = sizeof(raw);
	int len;
	char *out;

	if (ed) {
		if (EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) != 1)
			return NULL;
		der = raw;
		len = (int)rawlen;
	} else if ((len = i2d_PUBKEY(pk, &der)) <= 0) {
		return NULL;
	}
	if ((out = malloc((size_t)len * 4 / 3 + 8)) != NULL)
		EVP_EncodeBlock((unsigned char *)out, der, len);
	if (!ed)
		OPENSSL_free(der);
	return out;
}

static int
write_private(const char *path, EVP_PKEY *pk)
{
	BIO *bio;
	FILE *fp;
	int fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
		fprintf(stderr, "mailaka: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	bio = BIO_new_fp(fp, BIO_NOCLOSE);
	ok = bio != NULL && PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) == 1;
	BIO_free(bio);
	ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
	if (fclose(fp) != 0 || !ok) {
		fprintf(stderr, "mailaka: %s: cannot write the key\n", path);
		unlink(path);
		return -1;
	}
	return 0;
}

static int
write_text(const char *path, const char *text)
{
	FILE *fp;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "mailaka: %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fprintf(fp, "%s\n", text);
	return fclose(fp) == 0 ? 0 : -1;
}

struct keygen_args {
	const char *domain, *selector, *type, *dir;
	long bits;
};

static int
parse_args(int argc, char **argv, struct keygen_args *a)
{
	int i, pos = 0;
	char *end;

	a->domain = a->selector = NULL;
	a->type = "rsa";
	a->dir = ".";
	a->bits = 2048;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--type") == 0 && i + 1 < argc) {
			a->type = argv[++i];
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			a->dir = argv[++i];
		} else if (strcmp(argv[i], "--bits") == 0 && i + 1 < argc) {
			a->bits = strtol(argv[++i], &end, 10);
			if (*end != '\0' || a->bits < 1024 || a->bits > 4096) {
				fprintf(stderr, "mailaka: --bits must be 1024..4096 (RFC 8301)\n");
				return -1;
			}
		} else if (argv[i][0] == '-') {
			return -1;
		} else if (pos == 0) {
			a->domain = argv[i];
			pos++;
		} else if (pos == 1) {
			a->selector = argv[i];
			pos++;
		} else {
			return -1;
		}
	}
	if (strcmp(a->type, "rsa") != 0 && strcmp(a->type, "ed25519") != 0) {
		fprintf(stderr, "mailaka: --type must be rsa or ed25519\n");
		return -1;
	}
	if (a->selector == NULL)
		a->selector = a->type;
	return a->domain == NULL ? -1 : 0;
}

int
cmd_dkim_keygen(int argc, char **argv)
{
	struct keygen_args a;
	char domain[MK_ADDR_DOMAIN_MAX + 1], path[4096], record[8192];
	const char *why;
	EVP_PKEY *pk = NULL;
	char *pub = NULL;
	bool ed;
	int rc = 1;

	if (parse_args(argc, argv, &a) == -1)
		return usage();
	if (mk_domain_normalize(a.domain, strlen(a.domain), domain, sizeof(domain), &why) == -1) {
		fprintf(stderr, "mailaka: %s: %s\n", a.domain, why);
		return 2;
	}
	if (!selector_valid(a.selector)) {
		fprintf(stderr, "mailaka: %s: not a valid selector (one DNS label)\n", a.selector);
		return 2;
	}
	ed = strcmp(a.type, "ed25519") == 0;
	pk = ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)a.bits);
	if (pk == NULL || (pub = public_b64(pk, ed)) == NULL) {
		fprintf(stderr, "mailaka: key generation failed\n");
		goto out;
	}
	if (dkim_keygen_record(a.selector, domain, ed ? "ed25519" : "rsa", pub, record,
	    sizeof(record)) == -1)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.key", a.dir, a.selector);
	if (write_private(path, pk) == -1)
		goto out;
	fprintf(stderr, "mailaka: private key written to %s (mode 0600)\n", path);
	snprintf(path, sizeof(path), "%s/%s.txt", a.dir, a.selector);
	if (write_text(path, record) == -1)
		goto out;
	printf("%s\n", record);
	rc = 0;
out:
	free(pub);
	EVP_PKEY_free(pk);
	return rc;
}
