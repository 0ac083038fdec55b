/*
 * lib/srs.c: Sender Rewriting Scheme (libsrs2/postsrsd compatible).
 * See srs.h for the address format.  HMAC-SHA1 comes from OpenSSL; the
 * hash is compared case-folded with CRYPTO_memcmp.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "srs.h"

#define SRS_DOMAIN_MAX 255
#define SRS_DAY 86400
#define SRS_SECRETS_FILE_MAX (MK_SRS_SECRETS_MAX * (MK_SRS_SECRET_MAX + 2))
#define SRS_DATA_MAX (2 * MK_SRS_ADDR_MAX + 8)

static const char srs_base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

struct srs_secret {
	size_t len;
	unsigned char key[MK_SRS_SECRET_MAX];
};

struct mk_srs {
	char domain[SRS_DOMAIN_MAX + 1];
	unsigned hash_len;
	unsigned hash_min;
	unsigned max_age;
	char sep;
	size_t nsecrets;
	struct srs_secret secrets[MK_SRS_SECRETS_MAX];
};

/* A borrowed slice of the input. */
struct srs_span {
	const char *p;
	size_t len;
};

struct mk_srs *
mk_srs_new(const char *domain, unsigned hash_len, unsigned hash_min, unsigned max_age,
    char separator)
{
	struct mk_srs *srs;
	size_t dlen;

	if (domain == NULL || (dlen = strlen(domain)) == 0 || dlen > SRS_DOMAIN_MAX)
		return NULL;
	if (hash_len < MK_SRS_HASH_LEN_MIN || hash_len > MK_SRS_HASH_LEN_MAX)
		return NULL;
	if (hash_min > hash_len || max_age < 1 || max_age >= MK_SRS_TIME_SLOTS)
		return NULL;
	if (separator != '=' && separator != '+' && separator != '-')
		return NULL;
	if ((srs = calloc(1, sizeof(*srs))) == NULL)
		return NULL;
	memcpy(srs->domain, domain, dlen + 1);
	srs->hash_len = hash_len;
	srs->hash_min = hash_min ? hash_min : hash_len;
	srs->max_age = max_age;
	srs->sep = separator;
	return srs;
}

struct mk_srs *
mk_srs_free(struct mk_srs *srs)
{
	if (srs == NULL)
		return NULL;
	OPENSSL_cleanse(srs, sizeof(*srs));
	free(srs);
	return NULL;
}

int
mk_srs_add_secret(struct mk_srs *srs, const char *secret, size_t len)
{
	struct srs_secret *s;

	if (len == 0 || len > MK_SRS_SECRET_MAX || srs->nsecrets >= MK_SRS_SECRETS_MAX)
		return -1;
	s = &srs->secrets[srs->nsecrets++];
	memcpy(s->key, secret, len);
	s->len = len;
	return 0;
}

size_t
mk_srs_secret_count(const struct mk_srs *srs)
{
	return srs->nsecrets;
}

const char *
mk_srs_domain(const struct mk_srs *srs)
{
	return srs->domain;
}

int
mk_srs_parse_secrets(struct mk_srs *srs, const char *buf, size_t len, char *err, size_t errlen)
{
	size_t i = 0, line = 0;

	while (i < len) {
		size_t start = i, n;

		line++;
		while (i < len && buf[i] != '\n')
			i++;
		n = i - start;
		if (i < len)
			i++;	/* the '\n' */
		while (n > 0 && (buf[start + n - 1] == '\r' || buf[start + n - 1] == '\n'))
			n--;
		if (n == 0)
			continue;
		if (memchr(buf + start, '\0', n) != NULL) {
			snprintf(err, errlen, "line %zu: NUL byte in secret", line);
			return -1;
		}
		if (n > MK_SRS_SECRET_MAX) {
			snprintf(err, errlen, "line %zu: secret longer than %d bytes", line,
			    MK_SRS_SECRET_MAX);
			return -1;
		}
		if (mk_srs_add_secret(srs, buf + start, n) == -1) {
			snprintf(err, errlen, "line %zu: more than %d secrets", line,
			    MK_SRS_SECRETS_MAX);
			return -1;
		}
	}
	if (srs->nsecrets == 0) {
		snprintf(err, errlen, "no secret found");
		return -1;
	}
	return 0;
}

int
mk_srs_load_secrets(struct mk_srs *srs, const char *path, bool allow_readable, char *err,
    size_t errlen)
{
	char *buf = NULL;
	char why[256];
	struct stat st;
	size_t got = 0;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (!allow_readable && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, errlen, "%s: group or others may access it (mode %03o); chmod 600",
		    path, (unsigned)(st.st_mode & 0777));
		goto fail;
	}
	if (st.st_size > SRS_SECRETS_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, SRS_SECRETS_FILE_MAX);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (mk_srs_parse_secrets(srs, buf, got, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	rc = 0;
fail:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, (size_t)st.st_size + 1);
		free(buf);
	}
	close(fd);
	return rc;
}

const char *
mk_srs_strerror(enum mk_srs_err err)
{
	switch (err) {
	case MK_SRS_OK: return "ok";
	case MK_SRS_E_NOT_SRS: return "not an SRS address";
	case MK_SRS_E_SYNTAX: return "malformed SRS address";
	case MK_SRS_E_HASH: return "bad hash";
	case MK_SRS_E_HASH_SHORT: return "hash too short";
	case MK_SRS_E_STAMP: return "bad timestamp";
	case MK_SRS_E_EXPIRED: return "expired timestamp";
	case MK_SRS_E_NO_AT: return "no local part or domain";
	case MK_SRS_E_LOCAL: return "address in the SRS domain";
	case MK_SRS_E_TOO_LONG: return "address too long";
	case MK_SRS_E_NO_SECRET: return "no secret";
	case MK_SRS_E_CRYPTO: return "hmac failure";
	}
	return "unknown error";
}

void
mk_srs_stamp(time_t now, char out[3])
{
	unsigned long day = (unsigned long)(now / SRS_DAY);

	out[1] = srs_base32[day & 31];
	out[0] = srs_base32[(day >> 5) & 31];
	out[2] = '\0';
}

/* Days since the epoch mod 1024 encoded by stamp, or -1. */
static int
srs_stamp_decode(struct srs_span s)
{
	int v = 0;

	if (s.len != 2)
		return -1;
	for (size_t i = 0; i < 2; i++) {
		const char *c = strchr(srs_base32, toupper((unsigned char)s.p[i]));

		if (s.p[i] == '\0' || c == NULL)
			return -1;
		v = (v << 5) | (int)(c - srs_base32);
	}
	return v;
}

static bool
srs_stamp_fresh(const struct mk_srs *srs, int then, time_t now)
{
	long today = (long)((now / SRS_DAY) % MK_SRS_TIME_SLOTS);

	while (today < then)
		today += MK_SRS_TIME_SLOTS;
	return today <= then + (long)srs->max_age;
}

/*
 * base64(HMAC-SHA1(secret[idx], lower(parts...))) cut to hash_len into out
 * (>= MK_SRS_HASH_LEN_MAX + 1). 0 / -1.
 */
static int
srs_hash(const struct mk_srs *srs, size_t idx, const struct srs_span *parts, size_t nparts,
    char *out)
{
	unsigned char data[SRS_DATA_MAX], md[EVP_MAX_MD_SIZE];
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned mdlen = 0;
	size_t n = 0;

	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].len > sizeof(data) - n)
			return -1;
		for (size_t j = 0; j < parts[i].len; j++)
			data[n++] = (unsigned char)tolower((unsigned char)parts[i].p[j]);
	}
	if (HMAC(EVP_sha1(), srs->secrets[idx].key, (int)srs->secrets[idx].len, data, n, md,
	    &mdlen) == NULL || mdlen != 20)
		return -1;
	EVP_EncodeBlock(b64, md, (int)mdlen);
	memcpy(out, b64, srs->hash_len);
	out[srs->hash_len] = '\0';
	return 0;
}

/* Verify hash against every secret: case-insensitive, constant time per secret. */
static enum mk_srs_err
srs_hash_check(const struct mk_srs *srs, struct srs_span hash, const struct srs_span *parts,
    size_t nparts)
{
	char want[MK_SRS_HASH_LEN_MAX + 1], got[MK_SRS_HASH_LEN_MAX + 1];
	int match = 0;

	if (srs->nsecrets == 0)
		return MK_SRS_E_NO_SECRET;
	if (hash.len < srs->hash_min)
		return MK_SRS_E_HASH_SHORT;
	if (hash.len > srs->hash_len)
		return MK_SRS_E_HASH;
	for (size_t i = 0; i < hash.len; i++)
		got[i] = (char)tolower((unsigned char)hash.p[i]);
	for (size_t k = 0; k < srs->nsecrets; k++) {
		if (srs_hash(srs, k, parts, nparts, want) == -1)
			return MK_SRS_E_CRYPTO;
		for (size_t i = 0; i < hash.len; i++)
			want[i] = (char)tolower((unsigned char)want[i]);
		match |= CRYPTO_memcmp(got, want, hash.len) == 0;
	}
	return match ? MK_SRS_OK : MK_SRS_E_HASH;
}

/* Split addr at its last '@'. 0 / -1 (no '@'). */
static int
srs_split(const char *addr, size_t len, struct srs_span *local, struct srs_span *domain)
{
	const char *at = NULL;

	for (size_t i = len; i > 0; i--) {
		if (addr[i - 1] == '@') {
			at = addr + i - 1;
			break;
		}
	}
	if (at == NULL)
		return -1;
	local->p = addr;
	local->len = (size_t)(at - addr);
	domain->p = at + 1;
	domain->len = len - local->len - 1;
	return 0;
}

/* 0 = not SRS, otherwise '0' or '1'. */
static char
srs_tag(struct srs_span local)
{
	if (local.len < 5 || strncasecmp(local.p, "SRS", 3) != 0)
		return 0;
	if (local.p[3] != '0' && local.p[3] != '1')
		return 0;
	if (local.p[4] != '=' && local.p[4] != '+' && local.p[4] != '-')
		return 0;
	return local.p[3];
}

bool
mk_srs_is_srs(const char *addr, size_t len)
{
	struct srs_span local, domain;

	if (srs_split(addr, len, &local, &domain) == -1) {
		local.p = addr;
		local.len = len;
	}
	return srs_tag(local) != 0;
}

/* Take the next '='-terminated field of *rest into *field. 0 / -1 (no '=' or empty). */
static int
srs_field(struct srs_span *rest, struct srs_span *field)
{
	const char *eq = memchr(rest->p, '=', rest->len);

	if (eq == NULL || eq == rest->p)
		return -1;
	field->p = rest->p;
	field->len = (size_t)(eq - rest->p);
	rest->p = eq + 1;
	rest->len -= field->len + 1;
	return 0;
}

/* snprintf into out, -1 if truncated. */
static int
srs_out(char *out, size_t outsz, enum mk_srs_err *why, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
srs_out(char *out, size_t outsz, enum mk_srs_err *why, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, outsz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outsz || (size_t)n > MK_SRS_ADDR_MAX) {
		if (outsz > 0)
			out[0] = '\0';
		*why = MK_SRS_E_TOO_LONG;
		return -1;
	}
	*why = MK_SRS_OK;
	return 0;
}

#define SPAN(s) (int)(s).len, (s).p

int
mk_srs_forward(const struct mk_srs *srs, const char *sender, size_t len, time_t now, char *out,
    size_t outsz, enum mk_srs_err *why)
{
	char hash[MK_SRS_HASH_LEN_MAX + 1], stamp[3];
	struct srs_span local, domain, parts[3], rest, host;
	char tag;

	if (len > MK_SRS_ADDR_MAX)
		return *why = MK_SRS_E_TOO_LONG, -1;
	if (srs->nsecrets == 0)
		return *why = MK_SRS_E_NO_SECRET, -1;
	if (srs_split(sender, len, &local, &domain) == -1 || local.len == 0 || domain.len == 0)
		return *why = MK_SRS_E_NO_AT, -1;
	for (size_t i = 0; i < domain.len; i++) {
		unsigned char c = (unsigned char)domain.p[i];

		/* '=' separates SRS fields: such a "domain" could not be reversed */
		if (c == '=' || c <= ' ' || c == 0x7f)
			return *why = MK_SRS_E_SYNTAX, -1;
	}
	if (domain.len == strlen(srs->domain) &&
	    strncasecmp(domain.p, srs->domain, domain.len) == 0)
		return *why = MK_SRS_E_LOCAL, -1;
	tag = srs_tag(local);
	if (tag == '1') {
		/* SRS1=hash=host=rest: re-sign (host, rest) under our domain. */
		rest.p = local.p + 5;
		rest.len = local.len - 5;
		if (srs_field(&rest, &parts[0]) == -1 || srs_field(&rest, &host) == -1 ||
		    rest.len == 0)
			return *why = MK_SRS_E_SYNTAX, -1;
		parts[0] = host;
		parts[1] = rest;
	} else if (tag == '0') {
		/* SRS0 from another forwarder: SRS1=hash=thatdomain=<sep>... */
		parts[0] = domain;
		parts[1].p = local.p + 4;
		parts[1].len = local.len - 4;
	}
	if (tag != 0) {
		if (srs_hash(srs, 0, parts, 2, hash) == -1)
			return *why = MK_SRS_E_CRYPTO, -1;
		return srs_out(out, outsz, why, "SRS1%c%s=%.*s=%.*s@%s", srs->sep, hash,
		    SPAN(parts[0]), SPAN(parts[1]), srs->domain);
	}
	mk_srs_stamp(now, stamp);
	parts[0].p = stamp;
	parts[0].len = 2;
	parts[1] = domain;
	parts[2] = local;
	if (srs_hash(srs, 0, parts, 3, hash) == -1)
		return *why = MK_SRS_E_CRYPTO, -1;
	return srs_out(out, outsz, why, "SRS0%c%s=%s=%.*s=%.*s@%s", srs->sep, hash, stamp,
	    SPAN(domain), SPAN(local), srs->domain);
}

static int
srs_reverse1(const struct mk_srs *srs, struct srs_span rest, char *out, size_t outsz,
    enum mk_srs_err *why)
{
	struct srs_span hash, parts[2];
	enum mk_srs_err e;

	if (srs_field(&rest, &hash) == -1 || srs_field(&rest, &parts[0]) == -1 || rest.len == 0)
		return *why = MK_SRS_E_SYNTAX, -1;
	parts[1] = rest;
	if ((e = srs_hash_check(srs, hash, parts, 2)) != MK_SRS_OK)
		return *why = e, -1;
	return srs_out(out, outsz, why, "SRS0%.*s@%.*s", SPAN(parts[1]), SPAN(parts[0]));
}

static int
srs_reverse0(const struct mk_srs *srs, struct srs_span rest, time_t now, char *out,
    size_t outsz, enum mk_srs_err *why)
{
	struct srs_span hash, parts[3];
	enum mk_srs_err e;
	int then;

	if (srs_field(&rest, &hash) == -1 || srs_field(&rest, &parts[0]) == -1 ||
	    srs_field(&rest, &parts[1]) == -1 || rest.len == 0)
		return *why = MK_SRS_E_SYNTAX, -1;
	parts[2] = rest;
	if ((then = srs_stamp_decode(parts[0])) == -1)
		return *why = MK_SRS_E_STAMP, -1;
	if ((e = srs_hash_check(srs, hash, parts, 3)) != MK_SRS_OK)
		return *why = e, -1;
	if (!srs_stamp_fresh(srs, then, now))
		return *why = MK_SRS_E_EXPIRED, -1;
	return srs_out(out, outsz, why, "%.*s@%.*s", SPAN(parts[2]), SPAN(parts[1]));
}

int
mk_srs_reverse(const struct mk_srs *srs, const char *addr, size_t len, time_t now, char *out,
    size_t outsz, enum mk_srs_err *why)
{
	struct srs_span local, domain, rest;
	char tag;

	if (len > MK_SRS_ADDR_MAX)
		return *why = MK_SRS_E_TOO_LONG, -1;
	if (memchr(addr, '\0', len) != NULL)
		return *why = MK_SRS_E_SYNTAX, -1;
	if (srs_split(addr, len, &local, &domain) == -1) {
		local.p = addr;
		local.len = len;
	}
	if ((tag = srs_tag(local)) == 0)
		return *why = MK_SRS_E_NOT_SRS, -1;
	rest.p = local.p + 5;
	rest.len = local.len - 5;
	if (tag == '1')
		return srs_reverse1(srs, rest, out, outsz, why);
	return srs_reverse0(srs, rest, now, out, outsz, why);
}
