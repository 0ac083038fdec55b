/*
 * milter-dmarc/spf_self.c: SPFSelfValidate (see spf_self.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/dns.h"
#include "lib/spf.h"
#include "milter-dmarc/spf_self.h"

struct spf_cache {
	size_t n;
	char name[DMARC_SPF_ANSWERS_MAX][MK_DNS_NAME_MAX + 2];
	enum mk_dns_type type[DMARC_SPF_ANSWERS_MAX];
	struct mk_dns_answer *ans[DMARC_SPF_ANSWERS_MAX];
};

static const struct mk_dns_answer *
cache_lookup(void *arg, const char *name, enum mk_dns_type type)
{
	struct spf_cache *c = arg;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->type[i] == type && strcmp(c->name[i], name) == 0)
			return c->ans[i];
	return NULL;
}

int
dmarc_spf_self(struct mk_dns *dns, const char *ip, const struct mk_spf_session *s,
    struct mk_dmarc_auth *out, bool *helo)
{
	struct spf_cache *c;
	struct mk_spf_outcome *o;
	struct mk_spf_query q;
	size_t i;
	int rc = -1;

	if (ip == NULL || ip[0] == '\0' || (s->null_sender && s->helo[0] == '\0'))
		return -1;
	c = calloc(1, sizeof(*c));
	o = calloc(1, sizeof(*o));
	if (c == NULL || o == NULL)
		goto done;
	memset(&q, 0, sizeof(q));
	q.ip = ip;
	q.sender = s->null_sender ? "" : s->mailfrom;
	q.helo = s->helo;
	q.identity = s->null_sender ? MK_SPF_ID_HELO : MK_SPF_ID_MAILFROM;
	q.now = time(NULL);
	for (;;) {
		if (mk_spf_eval(&q, cache_lookup, c, o) == 0)
			break;
		if (c->n == DMARC_SPF_ANSWERS_MAX) {
			o->result = MK_SPF_TEMPERROR;
			break;
		}
		snprintf(c->name[c->n], sizeof(c->name[0]), "%s", o->need_name);
		c->type[c->n] = o->need_type;
		if ((c->ans[c->n] = mk_dns_query(dns, o->need_name, o->need_type)) == NULL) {
			o->result = MK_SPF_TEMPERROR;
			break;
		}
		c->n++;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->domain, sizeof(out->domain), "%s",
	    s->null_sender ? s->helo : s->mailfrom_domain);
	snprintf(out->result, sizeof(out->result), "%s", mk_spf_result_name(o->result));
	*helo = s->null_sender;
	rc = 0;
done:
	if (c != NULL)
		for (i = 0; i < c->n; i++)
			mk_dns_answer_free(c->ans[i]);
	free(c);
	free(o);
	return rc;
}
