/*
 * milter-dmarc/ignore.c: IgnoreHosts address / CIDR matching.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter-dmarc/ignore.h"

struct net {
	int af;
	unsigned char addr[16];
	unsigned bits;
};

struct dmarc_ignore {
	size_t n;
	struct net net[];
};

/* "1.2.3.4", "10.0.0.0/8", "::1", "2001:db8::/32". 0 / -1. */
static int
net_parse(const char *s, struct net *n)
{
	char buf[64], *slash;
	char *end;
	long bits;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->af = AF_INET;
		n->bits = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->af = AF_INET6;
		n->bits = 128;
	} else {
		return -1;
	}
	if (slash != NULL) {
		errno = 0;
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 || bits > (long)n->bits)
			return -1;
		n->bits = (unsigned)bits;
	}
	return 0;
}

static bool
net_match(const struct net *n, int af, const unsigned char *a)
{
	unsigned full = n->bits / 8, rest = n->bits % 8;

	if (n->af != af || memcmp(n->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((n->addr[full] ^ a[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static int
add_words(struct dmarc_ignore **ig, size_t *cap, const char *text, const char *where,
    char *err, size_t errlen)
{
	const char *p = text, *q;
	char word[64];
	struct dmarc_ignore *nig;

	for (;;) {
		while (*p != '\0' && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (*p == '\0')
			return 0;
		if (*p == '#') {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		for (q = p; *q != '\0' && !isspace((unsigned char)*q) && *q != ',' && *q != '#'; q++)
			;
		snprintf(word, sizeof(word), "%.*s", (int)(q - p), p);
		if ((*ig)->n == DMARC_IGNORE_MAX) {
			snprintf(err, errlen, "%s: more than %d entries", where, DMARC_IGNORE_MAX);
			return -1;
		}
		if ((*ig)->n == *cap) {
			*cap *= 2;
			if ((nig = realloc(*ig, sizeof(**ig) + *cap * sizeof(struct net))) == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			*ig = nig;
		}
		if ((size_t)(q - p) >= sizeof(word) || net_parse(word, &(*ig)->net[(*ig)->n]) == -1) {
			snprintf(err, errlen, "%s: \"%s\" is not an address or CIDR block "
			    "(host names are not supported)", where, word);
			return -1;
		}
		(*ig)->n++;
		p = q;
	}
}

static char *
slurp(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (fp == NULL) {
		snprintf(err, errlen, "IgnoreHosts %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(1024 * 1024 + 1);
	n = buf != NULL ? fread(buf, 1, 1024 * 1024, fp) : 0;
	if (buf != NULL)
		buf[n] = '\0';
	fclose(fp);
	if (buf == NULL)
		snprintf(err, errlen, "out of memory");
	return buf;
}

struct dmarc_ignore *
dmarc_ignore_new(const char *value, char *err, size_t errlen)
{
	struct dmarc_ignore *ig;
	size_t cap = 16;
	char *text = NULL;
	int rc;

	if ((ig = calloc(1, sizeof(*ig) + cap * sizeof(struct net))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (value[0] == '/') {
		if ((text = slurp(value, err, errlen)) == NULL)
			return dmarc_ignore_free(ig);
		rc = add_words(&ig, &cap, text, value, err, errlen);
		free(text);
	} else {
		rc = add_words(&ig, &cap, value, "IgnoreHosts", err, errlen);
	}
	return rc == 0 ? ig : dmarc_ignore_free(ig);
}

struct dmarc_ignore *
dmarc_ignore_free(struct dmarc_ignore *ig)
{
	free(ig);
	return NULL;
}

bool
dmarc_ignore_match(const struct dmarc_ignore *ig, const char *ip)
{
	unsigned char a[16];
	size_t i;
	int af;

	if (ig == NULL || ip == NULL)
		return false;
	if (inet_pton(AF_INET, ip, a) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		af = AF_INET6;
	else
		return false;
	if (af == AF_INET6 && memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(a, a + 12, 4);	/* v4-mapped */
		af = AF_INET;
	}
	for (i = 0; i < ig->n; i++)
		if (net_match(&ig->net[i], af, a))
			return true;
	return false;
}
