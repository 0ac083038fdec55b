/*
 * lib/dmarc_psl.c: Public Suffix List lookup (see dmarc_psl.h).
 * Rules are kept as written ("co.uk", "*.ck", "!www.ck"), U-labels
 * converted to A-labels with lib/idn (UTS #46 non-transitional, as
 * browsers and libpsl do), in one sorted array searched with bsearch for
 * each candidate suffix of a domain.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/idn.h"

#include "lib/dmarc_psl.h"

struct mk_psl {
	char **rules;
	size_t count, cap;
	size_t idn_converted, idn_failed;
};

struct mk_psl *
mk_psl_free(struct mk_psl *psl)
{
	size_t i;

	if (psl == NULL)
		return NULL;
	for (i = 0; i < psl->count; i++)
		free(psl->rules[i]);
	free(psl->rules);
	free(psl);
	return NULL;
}

size_t
mk_psl_count(const struct mk_psl *psl)
{
	return psl->count;
}

size_t
mk_psl_idn_converted(const struct mk_psl *psl)
{
	return psl->idn_converted;
}

size_t
mk_psl_idn_failed(const struct mk_psl *psl)
{
	return psl->idn_failed;
}

static bool
has_non_ascii(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)w[i] >= 0x80)
			return true;
	return false;
}

/* A rule holding U-labels as A-labels, its "!" or "*." prefix kept, in
 * out (MK_PSL_RULE_MAX + 1 bytes).  0, or -1: not valid IDNA / too long. */
static int
psl_to_alabel(const char *w, size_t n, char *out)
{
	const char *why;
	size_t pre = 0;

	if (n >= 1 && w[0] == '!')
		pre = 1;
	else if (n >= 2 && w[0] == '*' && w[1] == '.')
		pre = 2;
	if (mk_idn_alabels(w + pre, n - pre, out + pre, MK_PSL_RULE_MAX + 1 - pre, &why) == -1)
		return -1;
	memcpy(out, w, pre);
	return 0;
}

static int
psl_add(struct mk_psl *psl, const char *w, size_t n)
{
	char **nr, *r, alabel[MK_PSL_RULE_MAX + 1];
	size_t i;

	if (n == 0 || n > MK_PSL_RULE_MAX)
		return 0;	/* skipped */
	if (has_non_ascii(w, n)) {
		if (psl_to_alabel(w, n, alabel) == -1) {
			psl->idn_failed++;
			return 0;	/* skipped */
		}
		psl->idn_converted++;
		w = alabel;
		n = strlen(alabel);
	}
	if (psl->count == psl->cap) {
		psl->cap = psl->cap ? psl->cap * 2 : 1024;
		if ((nr = realloc(psl->rules, psl->cap * sizeof(*nr))) == NULL)
			return -1;
		psl->rules = nr;
	}
	if ((r = malloc(n + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		r[i] = (char)tolower((unsigned char)w[i]);
	r[n] = '\0';
	psl->rules[psl->count++] = r;
	return 0;
}

static int
cmp_rule(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct mk_psl *
mk_psl_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct mk_psl *psl;
	size_t i = 0, j, k;

	if (len > MK_PSL_FILE_MAX) {
		snprintf(err, errlen, "list larger than %d bytes", MK_PSL_FILE_MAX);
		return NULL;
	}
	if ((psl = calloc(1, sizeof(*psl))) == NULL)
		goto oom;
	while (i < len) {
		for (j = i; j < len && buf[j] != '\n'; j++)
			;
		for (k = i; k < j && (buf[k] == ' ' || buf[k] == '\t'); k++)
			;
		i = k;
		while (k < j && buf[k] != ' ' && buf[k] != '\t' && buf[k] != '\r')
			k++;
		if (!(k - i >= 2 && buf[i] == '/' && buf[i + 1] == '/') &&
		    psl_add(psl, buf + i, k - i) == -1)
			goto oom;
		i = j + 1;
	}
	if (psl->count == 0) {
		snprintf(err, errlen, "no rule in the list");
		return mk_psl_free(psl);
	}
	qsort(psl->rules, psl->count, sizeof(*psl->rules), cmp_rule);
	return psl;
oom:
	snprintf(err, errlen, "out of memory");
	return mk_psl_free(psl);
}

struct mk_psl *
mk_psl_load(const char *path, char *err, size_t errlen)
{
	struct mk_psl *psl = NULL;
	struct stat st;
	char *buf = NULL;
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > MK_PSL_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path,
		    MK_PSL_FILE_MAX);
		goto done;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto done;
	}
	n = fread(buf, 1, (size_t)st.st_size, fp);
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto done;
	}
	if ((psl = mk_psl_parse(buf, n, err, errlen)) == NULL) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", path, why);
	}
done:
	free(buf);
	fclose(fp);
	return psl;
}

static bool
psl_has(const struct mk_psl *psl, const char *prefix, const char *suffix)
{
	char key[MK_PSL_RULE_MAX + 3];
	const char *kp = key;

	if (snprintf(key, sizeof(key), "%s%s", prefix, suffix) >= (int)sizeof(key))
		return false;
	return bsearch(&kp, psl->rules, psl->count, sizeof(*psl->rules), cmp_rule) != NULL;
}

int
mk_psl_org_domain(const struct mk_psl *psl, const char *domain, char *out, size_t outsz)
{
	const char *lab[128];	/* start of each label, left to right */
	size_t n = 0, k, ps = 1, keep;
	char alabel[MK_PSL_RULE_MAX + 1];
	const char *p = domain;

	if (*domain == '\0')
		return -1;
	if (has_non_ascii(domain, strlen(domain))) {	/* U-labels (EAI): as A-labels */
		if (strlen(domain) > MK_PSL_RULE_MAX || psl_to_alabel(domain, strlen(domain),
		    alabel) == -1)
			return -1;
		p = domain = alabel;
	}
	lab[n++] = p;
	for (; *p != '\0'; p++)
		if (*p == '.' && p[1] != '\0' && n < 128)
			lab[n++] = p + 1;
	/* suffix of k labels = lab[n - k] */
	for (k = 1; k <= n; k++) {
		if (psl_has(psl, "!", lab[n - k])) {
			ps = k - 1;
			break;
		}
		if (psl_has(psl, "", lab[n - k]) || (k >= 2 && psl_has(psl, "*.", lab[n - k + 1])))
			ps = k;
	}
	keep = ps + 1 > n ? n : ps + 1;
	if (ps == 0)
		keep = 1;
	if (strlen(lab[n - keep]) >= outsz)
		return -1;
	strcpy(out, lab[n - keep]);
	return 0;
}
