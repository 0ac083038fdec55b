/*
 * fuzz/fuzz_spf.c: libFuzzer target for the SPF evaluator's untrusted
 * inputs: DNS-supplied records and explanation text, and the identities.
 * Input: lines "name TYPE value" (a tiny zone, TYPE one of TXT A AAAA MX
 * PTR), then a line "@ ip|sender|helo" with the query; defaults are used
 * when it is missing.  Checks: no crash, NUL-terminated outputs, the
 * lookup limit respected.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf.h"
#include "spf_macro.h"
#include "spf_record.h"

#define FZ_RECS 32
#define FZ_ANS 300

struct fz {
	char *name[FZ_RECS], *val[FZ_RECS];
	size_t vlen[FZ_RECS];
	enum mk_dns_type type[FZ_RECS];
	size_t n;
	struct mk_dns_answer ans[FZ_ANS];
	struct mk_dns_rr rr[FZ_ANS][FZ_RECS];
	size_t nans;
	unsigned lookups;
};

static const struct mk_dns_answer *
fz_lookup(void *arg, const char *name, enum mk_dns_type type)
{
	struct fz *z = arg;
	struct mk_dns_answer *a;
	size_t i;

	z->lookups++;
	if (z->nans >= FZ_ANS)
		return NULL;	/* "pending" forever: evaluation must stop */
	a = &z->ans[z->nans];
	memset(a, 0, sizeof(*a));
	a->rr = z->rr[z->nans++];
	a->status = MK_DNS_NXDOMAIN;
	for (i = 0; i < z->n; i++) {
		if (strcasecmp(z->name[i], name) != 0)
			continue;
		if (a->status == MK_DNS_NXDOMAIN)
			a->status = MK_DNS_NODATA;
		if (z->type[i] != type)
			continue;
		a->status = MK_DNS_OK;
		memset(&a->rr[a->count], 0, sizeof(a->rr[0]));
		a->rr[a->count].text = z->val[i];
		a->rr[a->count].len = z->vlen[i];
		if (type == MK_DNS_A)
			inet_pton(AF_INET, z->val[i], &a->rr[a->count].u.addr4);
		if (type == MK_DNS_AAAA)
			inet_pton(AF_INET6, z->val[i], &a->rr[a->count].u.addr6);
		a->count++;
	}
	if (strncmp(name, "timeout.", 8) == 0)
		a->status = MK_DNS_TIMEOUT;
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz z;
	char *buf = malloc(size + 1), *line, *save = NULL;
	char ip[64] = "192.0.2.1", sender[300] = "user@example.com", helo[300] = "mail.example.com";
	struct mk_spf_query q = { ip, sender, helo, NULL, MK_SPF_ID_MAILFROM, 0, false, 0 };
	struct mk_spf_outcome out;
	char why[128];

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	z.n = z.nans = 0;
	z.lookups = 0;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *sp1 = strchr(line, ' '), *sp2;
		if (line[0] == '@' && sp1 != NULL) {
			sscanf(sp1 + 1, "%63[^|]|%299[^|]|%299s", ip, sender, helo);
			continue;
		}
		if (sp1 == NULL || (sp2 = strchr(sp1 + 1, ' ')) == NULL || z.n >= FZ_RECS)
			continue;
		*sp1 = *sp2 = '\0';
		z.name[z.n] = line;
		z.type[z.n] = (enum mk_dns_type)mk_dns_type_parse(sp1 + 1);
		z.val[z.n] = sp2 + 1;
		z.vlen[z.n] = strlen(sp2 + 1);
		if ((int)z.type[z.n] == -1)
			continue;
		if (z.type[z.n] == MK_DNS_TXT)
			(void)mk_spf_record_check(z.val[z.n], z.vlen[z.n], why, sizeof(why));
		z.n++;
	}
	mk_spf_eval(&q, fz_lookup, &z, &out);
	if (strlen(out.explanation) >= sizeof(out.explanation) || strlen(out.reason) >= sizeof(out.reason))
		__builtin_trap();
	if (out.lookups > MK_SPF_LOOKUP_MAX + 1)
		__builtin_trap();
	q.identity = MK_SPF_ID_HELO;
	mk_spf_eval(&q, fz_lookup, &z, &out);
	free(buf);
	return 0;
}
