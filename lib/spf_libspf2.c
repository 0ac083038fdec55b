/*
 * lib/spf_libspf2.c: libspf2 engine over lib/dns (see spf_libspf2.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include <spf2/spf_dns_rr.h>

#include "spf_libspf2.h"

/* snprintf that may cut (outcome fields have fixed sizes). */
__attribute__((format(printf, 3, 4))) static void
put(char *out, size_t outsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, outsz, fmt, ap);
	va_end(ap);
}

struct mk_spf2 {
	SPF_dns_server_t layer;
	SPF_server_t *server;
	struct mk_dns *dns;
};

static int
l2_type(ns_type t, enum mk_dns_type *out)
{
	switch (t) {
	case ns_t_a: *out = MK_DNS_A; return 0;
	case ns_t_aaaa: *out = MK_DNS_AAAA; return 0;
	case ns_t_mx: *out = MK_DNS_MX; return 0;
	case ns_t_txt: *out = MK_DNS_TXT; return 0;
	case ns_t_ptr: *out = MK_DNS_PTR; return 0;
	default: return -1;	/* type SPF (99) and others: no data */
	}
}

static SPF_dns_stat_t
l2_herrno(enum mk_dns_status st)
{
	switch (st) {
	case MK_DNS_OK: return NETDB_SUCCESS;
	case MK_DNS_NODATA: return NO_DATA;
	case MK_DNS_NXDOMAIN: return HOST_NOT_FOUND;
	case MK_DNS_SERVFAIL:
	case MK_DNS_TIMEOUT: return TRY_AGAIN;
	default: return NO_RECOVERY;
	}
}

/* libspf2's lookup hook: answer from lib/dns in libspf2's RR format. */
static SPF_dns_rr_t *
l2_lookup(SPF_dns_server_t *layer, const char *domain, ns_type t, int should_cache)
{
	struct mk_spf2 *s = layer->hook;
	struct mk_dns_answer *a;
	enum mk_dns_type mt;
	SPF_dns_rr_t *rr;
	size_t i;

	(void)should_cache;
	if (l2_type(t, &mt) == -1)
		return SPF_dns_rr_new_init(layer, domain, t, 0, NO_DATA);
	a = mk_dns_query(s->dns, domain, mt);
	if (a == NULL)
		return SPF_dns_rr_new_init(layer, domain, t, 0, TRY_AGAIN);
	rr = SPF_dns_rr_new_init(layer, domain, t, (int)a->ttl, l2_herrno(a->status));
	for (i = 0; rr != NULL && a->status == MK_DNS_OK && i < a->count; i++) {
		const struct mk_dns_rr *r = &a->rr[i];
		size_t len = r->text ? r->len + 1 : sizeof(SPF_dns_rr_data_t);

		if (len < sizeof(SPF_dns_rr_data_t))
			len = sizeof(SPF_dns_rr_data_t);
		if (SPF_dns_rr_buf_realloc(rr, (int)i, len) != SPF_E_SUCCESS)
			break;
		if (mt == MK_DNS_A)
			rr->rr[i]->a = r->u.addr4;
		else if (mt == MK_DNS_AAAA)
			rr->rr[i]->aaaa = r->u.addr6;
		else
			memcpy(rr->rr[i]->txt, r->text, r->len + 1);	/* txt, mx, ptr share it */
		rr->num_rr = (int)i + 1;
	}
	mk_dns_answer_free(a);
	return rr;
}

struct mk_spf2 *
mk_spf2_new(struct mk_dns *dns)
{
	struct mk_spf2 *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->dns = dns;
	s->layer.destroy = NULL;	/* owned here, not by the SPF_server_t */
	s->layer.lookup = l2_lookup;
	s->layer.name = "mailaka-dns";
	s->layer.hook = s;
	s->server = SPF_server_new_dns(&s->layer, 0);
	if (s->server == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

struct mk_spf2 *
mk_spf2_free(struct mk_spf2 *s)
{
	if (s != NULL) {
		SPF_server_free(s->server);
		free(s);
	}
	return NULL;
}

static enum mk_spf_result
l2_result(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_NEUTRAL: return MK_SPF_NEUTRAL;
	case SPF_RESULT_PASS: return MK_SPF_PASS;
	case SPF_RESULT_FAIL: return MK_SPF_FAIL;
	case SPF_RESULT_SOFTFAIL: return MK_SPF_SOFTFAIL;
	case SPF_RESULT_NONE: return MK_SPF_NONE;
	case SPF_RESULT_TEMPERROR: return MK_SPF_TEMPERROR;
	default: return MK_SPF_PERMERROR;	/* PERMERROR and "(invalid)" */
	}
}

void
mk_spf2_eval(struct mk_spf2 *s, const struct mk_spf_query *q, struct mk_spf_outcome *out)
{
	SPF_request_t *req = SPF_request_new(s->server);
	SPF_response_t *resp = NULL;
	const char *sender = q->sender ? q->sender : "", *helo = q->helo ? q->helo : "";
	const char *at, *exp, *comment;
	char from[600];

	memset(out, 0, sizeof(*out));
	if (q->identity == MK_SPF_ID_HELO || sender[0] == '\0')
		snprintf(from, sizeof(from), "postmaster@%s", helo);
	else
		snprintf(from, sizeof(from), "%s", sender);
	at = strrchr(from, '@');
	put(out->sender, sizeof(out->sender), "%s", from);
	put(out->domain, sizeof(out->domain), "%s", at ? at + 1 : from);
	if (req == NULL) {
		out->result = MK_SPF_TEMPERROR;
		snprintf(out->reason, sizeof(out->reason), "libspf2: out of memory");
		return;
	}
	if (SPF_request_set_ipv4_str(req, q->ip) != SPF_E_SUCCESS &&
	    SPF_request_set_ipv6_str(req, q->ip) != SPF_E_SUCCESS) {
		out->result = MK_SPF_PERMERROR;
		snprintf(out->reason, sizeof(out->reason), "bad client address");
		SPF_request_free(req);
		return;
	}
	if (helo[0] != '\0')
		SPF_request_set_helo_dom(req, helo);
	SPF_request_set_env_from(req, from);
	SPF_request_query_mailfrom(req, &resp);
	out->result = resp ? l2_result(SPF_response_result(resp)) : MK_SPF_TEMPERROR;
	exp = resp ? SPF_response_get_explanation(resp) : NULL;
	comment = resp ? SPF_response_get_smtp_comment(resp) : NULL;
	if (out->result == MK_SPF_FAIL && exp != NULL) {
		out->has_exp = true;
		put(out->explanation, sizeof(out->explanation), "%s", exp);
	}
	put(out->reason, sizeof(out->reason), "libspf2: %s",
	    comment ? comment : SPF_strerror(resp ? SPF_response_errcode(resp) : SPF_E_NO_MEMORY));
	SPF_response_free(resp);
	SPF_request_free(req);
}
