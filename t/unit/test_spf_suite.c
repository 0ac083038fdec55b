/*
 * t/unit/test_spf_suite.c: run the flattened openspf RFC 7208 suite (from
 * t/integration/spf-common/suite.py on stdin) against lib/spf with an
 * in-memory zone that follows testspf.py's lookup rules.  Prints TAP and
 * "# passed N of M"; exits 1 if fewer than argv[1] tests pass.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf.h"
#include "tap.h"

#define FIELDS_MAX 8
#define ZONE_MAX 256
#define ANS_MAX 512

struct zrec {
	char name[300];
	char type[16];
	char *value;
	size_t vlen;
};

static struct zrec zone[ZONE_MAX];
static size_t nzone;
static struct mk_dns_answer *answers[ANS_MAX];
static size_t nanswers;

static size_t
pct_decode(char *s)
{
	size_t i = 0, o = 0;

	while (s[i] != '\0') {
		if (s[i] == '%' && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
			char h[3] = { s[i + 1], s[i + 2], 0 };
			s[o++] = (char)strtol(h, NULL, 16);
			i += 3;
		} else {
			s[o++] = s[i++];
		}
	}
	s[o] = '\0';
	return o;
}

static void
zone_clear(void)
{
	size_t i;

	for (i = 0; i < nzone; i++)
		free(zone[i].value);
	nzone = 0;
}

static void
answers_clear(void)
{
	size_t i;

	for (i = 0; i < nanswers; i++)
		mk_dns_answer_free(answers[i]);
	nanswers = 0;
}

static void
ans_add(struct mk_dns_answer *a, const struct zrec *z)
{
	struct mk_dns_rr *rr;

	a->rr = realloc(a->rr, (a->count + 1) * sizeof(*a->rr));
	rr = &a->rr[a->count++];
	memset(rr, 0, sizeof(*rr));
	if (strcmp(z->type, "A") == 0) {
		inet_pton(AF_INET, z->value, &rr->u.addr4);
	} else if (strcmp(z->type, "AAAA") == 0) {
		inet_pton(AF_INET6, z->value, &rr->u.addr6);
	} else if (strcmp(z->type, "MX") == 0) {
		char *sp = strchr(z->value, ' ');
		rr->pref = (uint16_t)atoi(z->value);
		rr->text = strdup(sp ? sp + 1 : "");
		rr->len = strlen(rr->text);
		return;
	}
	rr->text = malloc(z->vlen + 1);
	memcpy(rr->text, z->value, z->vlen + 1);
	rr->len = z->vlen;
}

/* testspf.py DNSLookup(): names lower-cased, empty labels dropped, a label
 * over 63 octets is a timeout; bare TIMEOUT after no record of the type is
 * a timeout; CNAME followed one level. */
static void
zone_lookup(const char *qname, const char *type, struct mk_dns_answer *a, int level)
{
	char name[1100];
	const char *p = qname;
	size_t i, n = 0, lab = 0;
	int found = 0, seen_type = 0;

	while (*p != '\0' && n + 1 < sizeof(name)) {
		if (*p == '.') {
			if (lab > 63) { a->status = MK_DNS_TIMEOUT; return; }
			if (lab > 0)
				name[n++] = '.';
			lab = 0;
		} else {
			name[n++] = (char)tolower((unsigned char)*p);
			lab++;
		}
		p++;
	}
	if (lab > 63) { a->status = MK_DNS_TIMEOUT; return; }
	if (n > 0 && name[n - 1] == '.')
		n--;
	name[n] = '\0';
	for (i = 0; i < nzone; i++) {
		if (strcmp(zone[i].name, name) != 0)
			continue;
		found = 1;
		if (strcmp(zone[i].type, "TIMEOUT") == 0) {
			if (!seen_type) { a->status = MK_DNS_TIMEOUT; return; }
			break;
		}
		if (strncmp(zone[i].type, "TO:", 3) == 0) {
			if (strcmp(zone[i].type + 3, type) == 0) { a->status = MK_DNS_TIMEOUT; return; }
			continue;
		}
		if (strcmp(zone[i].type, type) == 0) {
			seen_type = 1;
			ans_add(a, &zone[i]);
		} else if (strcmp(zone[i].type, "CNAME") == 0 && level == 0) {
			zone_lookup(zone[i].value, type, a, 1);
			if (a->status == MK_DNS_TIMEOUT)
				return;
		}
	}
	if (!found && level == 0) {
		a->status = strncmp(name, "error.", 6) == 0 ? MK_DNS_TIMEOUT : MK_DNS_NXDOMAIN;
		return;
	}
	a->status = a->count ? MK_DNS_OK : (level ? a->status : MK_DNS_NODATA);
}

static const struct mk_dns_answer *
lookup(void *arg, const char *name, enum mk_dns_type type)
{
	struct mk_dns_answer *a;

	(void)arg;
	if (nanswers >= ANS_MAX)
		return NULL;
	a = calloc(1, sizeof(*a));
	zone_lookup(name, mk_dns_type_name(type), a, 0);
	if (a->status != MK_DNS_OK) {
		size_t i;
		for (i = 0; i < a->count; i++)
			free(a->rr[i].text);
		free(a->rr);
		a->rr = NULL;
		a->count = 0;
	}
	answers[nanswers++] = a;
	return a;
}

static int
run_test(char **f)
{
	struct mk_spf_query q = { 0 };
	struct mk_spf_outcome out;
	const char *res;
	char want[128];
	int good, rc;

	q.ip = f[3];
	q.sender = f[4];
	q.helo = f[2];
	q.identity = MK_SPF_ID_MAILFROM;
	q.now = 1400000000;
	rc = mk_spf_eval(&q, lookup, NULL, &out);
	answers_clear();
	res = rc == 1 ? "pending" : mk_spf_result_name(out.result);
	snprintf(want, sizeof(want), ",%s,", f[5]);
	{
		char got[32];
		snprintf(got, sizeof(got), ",%s,", res);
		good = strstr(want, got) != NULL;
	}
	if (good && f[6][0] == '=') {
		const char *exp = out.has_exp ? out.explanation : "DEFAULT";
		if (strcmp(exp, f[6] + 1) != 0) {
			good = 0;
			ok(0, "%s: explanation", f[1]);
			diag("got \"%s\", want \"%s\"", exp, f[6] + 1);
			return 0;
		}
	}
	ok(good, "%s: %s", f[1], res);
	if (!good)
		diag("got %s, want %s (%s)", res, f[5], out.reason);
	return good;
}

int
main(int argc, char **argv)
{
	char line[16384];
	int min = argc > 1 ? atoi(argv[1]) : 0, passed = 0, total = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *f[FIELDS_MAX] = { 0 }, *s = line;
		size_t nf = 0, vlen = 0, l;

		line[strcspn(line, "\n")] = '\0';
		while (nf < FIELDS_MAX) {
			f[nf] = strsep(&s, "\t");
			if (f[nf] == NULL)
				break;
			l = pct_decode(f[nf]);
			if (nf == 3)
				vlen = l;	/* the value (may hold NUL) */
			nf++;
		}
		if (nf >= 1 && strcmp(f[0], "S") == 0) {
			zone_clear();
		} else if (nf >= 4 && strcmp(f[0], "Z") == 0 && nzone < ZONE_MAX) {
			snprintf(zone[nzone].name, sizeof(zone[nzone].name), "%s", f[1]);
			snprintf(zone[nzone].type, sizeof(zone[nzone].type), "%s", f[2]);
			zone[nzone].value = malloc(vlen + 1);
			memcpy(zone[nzone].value, f[3], vlen + 1);
			zone[nzone].vlen = vlen;
			nzone++;
		} else if (nf >= 7 && strcmp(f[0], "T") == 0) {
			total++;
			passed += run_test(f);
		}
	}
	zone_clear();
	diag("passed %d of %d", passed, total);
	done_testing();
	return passed >= min && total > 0 ? 0 : 1;
}
