/*
 * milter-dmarc/arc_trust.c: DomainWhitelist (see arc_trust.h).  A sorted
 * array of lower-case names, searched with bsearch.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/addr.h"
#include "milter-dmarc/arc_trust.h"

struct dmarc_arc_trust {
	size_t n, cap;
	char **name;
};

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add one name (len bytes): normalized (lib/addr: LDH labels, lower case,
 * no trailing dot).  0 / -1 with why. */
static int
trust_add(struct dmarc_arc_trust *t, const char *s, size_t len, const char **why)
{
	char name[MK_ADDR_DOMAIN_MAX + 1], **nn;

	if (mk_domain_normalize(s, len, name, sizeof(name), why) == -1)
		return -1;
	if (t->n == DMARC_ARC_TRUST_MAX) {
		*why = "too many domains";
		return -1;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		if ((nn = realloc(t->name, t->cap * sizeof(*nn))) == NULL) {
			*why = "out of memory";
			return -1;
		}
		t->name = nn;
	}
	if ((t->name[t->n] = strdup(name)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	t->n++;
	return 0;
}

static int
trust_file(struct dmarc_arc_trust *t, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char line[1024], *p, *e;
	const char *why;
	unsigned long lineno = 0;
	size_t total = 0;

	if (fp == NULL) {
		snprintf(err, errlen, "DomainWhitelistFile %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((total += strlen(line)) > DMARC_ARC_FILE_MAX) {
			snprintf(err, errlen, "%s: larger than %d bytes", path, DMARC_ARC_FILE_MAX);
			goto fail;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			;
		for (e = p + strlen(p); e > p && isspace((unsigned char)e[-1]); e--)
			;
		if (e > p && trust_add(t, p, (size_t)(e - p), &why) == -1) {
			snprintf(err, errlen, "%s:%lu: \"%.*s\": %s", path, lineno,
			    (int)(e - p > 200 ? 200 : e - p), p, why);
			goto fail;
		}
	}
	fclose(fp);
	return 0;
fail:
	fclose(fp);
	return -1;
}

struct dmarc_arc_trust *
dmarc_arc_trust_new(const char *const *items, size_t n, const char *path, char *err,
    size_t errlen)
{
	struct dmarc_arc_trust *t = calloc(1, sizeof(*t));
	const char *why;
	size_t i;

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (trust_add(t, items[i], strlen(items[i]), &why) == -1) {
			snprintf(err, errlen, "DomainWhitelist: \"%.200s\": %s", items[i], why);
			return dmarc_arc_trust_free(t);
		}
	if (path != NULL && trust_file(t, path, err, errlen) == -1)
		return dmarc_arc_trust_free(t);
	if (t->n > 0)
		qsort(t->name, t->n, sizeof(*t->name), cmp_name);
	return t;
}

struct dmarc_arc_trust *
dmarc_arc_trust_free(struct dmarc_arc_trust *t)
{
	size_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->n; i++)
		free(t->name[i]);
	free(t->name);
	free(t);
	return NULL;
}

size_t
dmarc_arc_trust_count(const struct dmarc_arc_trust *t)
{
	return t != NULL ? t->n : 0;
}

static bool
trust_has(const struct dmarc_arc_trust *t, const char *s, size_t len)
{
	char name[MK_ADDR_DOMAIN_MAX + 1], *key = name;
	const char *why;

	if (mk_domain_normalize(s, len, name, sizeof(name), &why) == -1)
		return false;
	return bsearch(&key, t->name, t->n, sizeof(*t->name), cmp_name) != NULL;
}

bool
dmarc_arc_chain_trusted(const struct dmarc_arc_trust *t, const char *chain, size_t len)
{
	size_t i = 0, j;

	if (t == NULL || t->n == 0 || len == 0)
		return false;
	while (i <= len) {
		for (j = i; j < len && chain[j] != ':'; j++)
			;
		if (j == i || !trust_has(t, chain + i, j - i))
			return false;
		i = j + 1;
	}
	return true;
}
