/*
 * cli/records.c: records to publish and DKIM keys on disk (see records.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli/records.h"
#include "lib/dkim_tags.h"

#define REC_FILE_MAX 65536	/* bytes of a .key or .txt file read */

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Append to out at *o; -1 when it does not fit. */
static int
app(char *out, size_t outsz, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o >= outsz)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(out + *o, outsz - *o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outsz - *o)
		return -1;
	*o += (size_t)n;
	return 0;
}

int
rec_spf(const struct rec_opts *o, char *out, size_t outsz)
{
	size_t n = 0, i;

	if (app(out, outsz, &n, "v=spf1 %smx", o->n4 + o->n6 == 0 ? "a " : "") != 0)
		return -1;
	for (i = 0; i < o->n4; i++)
		if (app(out, outsz, &n, " ip4:%s", o->ipv4[i]) != 0)
			return -1;
	for (i = 0; i < o->n6; i++)
		if (app(out, outsz, &n, " ip6:%s", o->ipv6[i]) != 0)
			return -1;
	return app(out, outsz, &n, " ~all");
}

int
rec_dmarc(const struct rec_opts *o, char *out, size_t outsz)
{
	size_t n = 0;

	if (app(out, outsz, &n, "v=DMARC1; p=%s; fo=1; ", o->policy != NULL ? o->policy :
	    "quarantine") != 0)
		return -1;
	if (o->rua != NULL) {
		if (app(out, outsz, &n, "rua=mailto:%s", o->rua) != 0)
			return -1;
	} else if (app(out, outsz, &n, "rua=mailto:postmaster@%s", o->domain) != 0)
		return -1;
	if (o->ruf != NULL && app(out, outsz, &n, "; ruf=mailto:%s", o->ruf) != 0)
		return -1;
	return 0;
}

void
rec_mx_host(const struct rec_opts *o, char *out, size_t outsz)
{
	size_t n;

	if (o->mx != NULL) {
		snprintf(out, outsz, "%s", o->mx);
		n = strlen(out);
		if (n > 0 && out[n - 1] == '.')
			out[n - 1] = '\0';
	} else
		snprintf(out, outsz, "mail.%s", o->domain);
}

int
rec_txt_line(const char *name, const char *text, size_t len, char *out, size_t outsz)
{
	size_t o = 0, i, j, end;
	unsigned char c;

	if (app(out, outsz, &o, "%s. IN TXT (", name) != 0)
		return -1;
	for (i = 0; i < len || i == 0; i = end) {
		end = i + REC_TXT_STRING_MAX < len ? i + REC_TXT_STRING_MAX : len;
		if (app(out, outsz, &o, " \"") != 0)
			return -1;
		for (j = i; j < end; j++) {
			c = (unsigned char)text[j];
			if ((c == '"' || c == '\\') ? app(out, outsz, &o, "\\%c", c) :
			    (c < 0x20 || c > 0x7e) ? app(out, outsz, &o, "\\%03u", c) :
			    app(out, outsz, &o, "%c", c))
				return -1;
		}
		if (app(out, outsz, &o, "\"") != 0)
			return -1;
		if (len == 0)
			break;
	}
	return app(out, outsz, &o, " )");
}

int
rec_txt_parse(const char *buf, size_t len, char *out, size_t outsz, size_t *outlen)
{
	size_t i, o = 0, strings = 0;
	bool inq = false;
	unsigned v;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (!inq) {
			if (c == ';')	/* comment to the end of the line */
				while (i < len && buf[i] != '\n')
					i++;
			else if (c == '"') {
				inq = true;
				strings++;
			}
			continue;
		}
		if (c == '"') {
			inq = false;
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= len)
				return -1;
			if (buf[i + 1] >= '0' && buf[i + 1] <= '9') {
				if (i + 3 >= len || buf[i + 2] < '0' || buf[i + 2] > '9' ||
				    buf[i + 3] < '0' || buf[i + 3] > '9')
					return -1;
				v = (unsigned)(buf[i + 1] - '0') * 100 + (unsigned)(buf[i + 2] - '0') * 10 +
				    (unsigned)(buf[i + 3] - '0');
				if (v > 255)
					return -1;
				c = (char)v;
				i += 3;
			} else
				c = buf[++i];
		} else if (c == '\n' || c == '\r' || c == '\0')
			return -1;
		if (o + 1 >= outsz)
			return -1;
		out[o++] = c;
	}
	if (inq || strings == 0 || outsz == 0)
		return -1;
	out[o] = '\0';
	*outlen = o;
	return 0;
}

int
rec_dkim_public(const char *path, char *k, size_t ksz, char *p, size_t psz, char *err,
    size_t errlen)
{
	unsigned char raw[64], *der = NULL;
	size_t rawlen = sizeof(raw);
	EVP_PKEY *pk = NULL;
	BIO *bio;
	int len, rc = -1, id;

	if ((bio = BIO_new_file(path, "r")) == NULL) {
		errf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		ERR_clear_error();
		return -1;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pk == NULL) {
		errf(err, errlen, "%s is not a PEM private key", path);
		goto done;
	}
	id = EVP_PKEY_get_base_id(pk);
	if (id == EVP_PKEY_ED25519) {
		if (EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) != 1 || rawlen != 32 ||
		    psz < 45)
			goto bad;
		EVP_EncodeBlock((unsigned char *)p, raw, (int)rawlen);
		snprintf(k, ksz, "ed25519");
	} else if (id == EVP_PKEY_RSA) {
		if ((len = i2d_PUBKEY(pk, &der)) <= 0 || ((size_t)len + 2) / 3 * 4 + 1 > psz)
			goto bad;
		EVP_EncodeBlock((unsigned char *)p, der, len);
		snprintf(k, ksz, "rsa");
	} else {
		errf(err, errlen, "%s: key type is neither RSA nor Ed25519", path);
		goto done;
	}
	rc = 0;
	goto done;
bad:
	errf(err, errlen, "%s: cannot extract the public key", path);
done:
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return rc;
}

/* Read a small file whole (NUL-terminated). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (f == NULL)
		return NULL;
	if ((buf = malloc(REC_FILE_MAX + 1)) != NULL) {
		*len = fread(buf, 1, REC_FILE_MAX, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

/* Fill key->txt (and, without a private key, k and p) from <sel>.txt. */
static void
key_read_txt(struct rec_dkim_key *key, const char *path, bool need_p)
{
	struct mk_dkim_tags tags;
	const struct mk_dkim_tag *t;
	const char *why;
	size_t len, tl;
	char *buf;

	if ((buf = slurp(path, &len)) == NULL)
		return;
	if (rec_txt_parse(buf, len, key->txt, sizeof(key->txt), &tl) != 0) {
		key->txt[0] = '\0';
		if (need_p)
			snprintf(key->problem, sizeof(key->problem), "%.200s: no TXT record text", path);
		goto done;
	}
	if (!need_p)
		goto done;
	snprintf(key->path, sizeof(key->path), "%s", path);
	if (mk_dkim_tags_parse(key->txt, tl, &tags, &why) != 0 ||
	    (t = mk_dkim_tags_get(&tags, "p")) == NULL ||
	    mk_dkim_tags_copy_nows(t, key->p, sizeof(key->p)) != 0 || key->p[0] == '\0') {
		snprintf(key->problem, sizeof(key->problem), "%.200s: no usable p= in the record", path);
		goto done;
	}
	snprintf(key->k, sizeof(key->k), "rsa");
	if ((t = mk_dkim_tags_get(&tags, "k")) != NULL && mk_dkim_tags_copy(t, key->k,
	    sizeof(key->k)) != 0)
		snprintf(key->problem, sizeof(key->problem), "%.200s: bad k=", path);
done:
	free(buf);
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rec_dkim_key *)a)->selector,
	    ((const struct rec_dkim_key *)b)->selector);
}

/* Whether name is "<selector>.<ext>" with a plausible selector; sets sel. */
static bool
key_name(const char *name, const char *ext, char *sel, size_t selsz)
{
	size_t n = strlen(name), el = strlen(ext), i;

	if (n <= el + 1 || n - el - 1 > REC_SELECTOR_MAX || strcmp(name + n - el, ext) != 0 ||
	    name[n - el - 1] != '.' || n - el - 1 >= selsz)
		return false;
	for (i = 0; i < n - el - 1; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '_'))
			return false;
	memcpy(sel, name, n - el - 1);
	sel[n - el - 1] = '\0';
	return true;
}

static void
key_load(struct rec_dkim_key *key, const char *dir, bool has_key)
{
	char path[REC_PATH_MAX];

	if (has_key) {
		snprintf(key->path, sizeof(key->path), "%.3900s/%s.key", dir, key->selector);
		key->from_private = true;
		if (rec_dkim_public(key->path, key->k, sizeof(key->k), key->p, sizeof(key->p),
		    key->problem, sizeof(key->problem)) != 0)
			key->p[0] = '\0';
	}
	snprintf(path, sizeof(path), "%.3900s/%s.txt", dir, key->selector);
	key_read_txt(key, path, !has_key);
}

int
rec_dkim_keys(const char *confdir, const char *domain, struct rec_dkim_key *keys, size_t max,
    char *err, size_t errlen)
{
	char dir[REC_PATH_MAX], sel[REC_SELECTOR_MAX + 1], path[REC_PATH_MAX];
	struct dirent *de;
	struct stat sb;
	size_t n = 0, i;
	DIR *d;
	bool has_key;

	if (strlen(confdir) > 3000 || strlen(domain) > 255) {
		errf(err, errlen, "configuration directory name too long");
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/dkim/%s", confdir, domain);
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		errf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL && n < max) {
		if (key_name(de->d_name, "key", sel, sizeof(sel)))
			has_key = true;
		else if (key_name(de->d_name, "txt", sel, sizeof(sel))) {
			snprintf(path, sizeof(path), "%.3900s/%s.key", dir, sel);
			if (stat(path, &sb) == 0)
				continue;	/* listed with its .key */
			has_key = false;
		} else
			continue;
		for (i = 0; i < n && strcmp(keys[i].selector, sel) != 0; i++)
			;
		if (i < n)
			continue;
		memset(&keys[n], 0, sizeof(keys[n]));
		snprintf(keys[n].selector, sizeof(keys[n].selector), "%s", sel);
		key_load(&keys[n], dir, has_key);
		n++;
	}
	closedir(d);
	qsort(keys, n, sizeof(keys[0]), key_cmp);
	return (int)n;
}
