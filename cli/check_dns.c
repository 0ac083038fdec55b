/*
 * cli/check_dns.c: the DNS checks of "mailaka check": SPF (syntax with
 * lib/spf_record, then a real RFC 7208 evaluation by lib/spf for each
 * address of the mail host), DKIM (each key on disk against its published
 * p=), DMARC (lib/dmarc_record) and forward-confirmed reverse DNS.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/check.h"
#include "lib/dkim_tags.h"
#include "lib/dmarc_record.h"
#include "lib/log.h"
#include "lib/spf.h"

#define CHECK_SPF_ANSWERS_MAX 64	/* distinct DNS answers one evaluation may use */
#define CHECK_PTR_NAMES_MAX 10		/* RFC 7208 4.6.4 uses the same bound */
#define CHECK_FIX_MAX (REC_TEXT_MAX * 2 + 256)

struct spf_cache {
	size_t n;
	struct {
		char name[MK_DNS_NAME_MAX + 2];
		enum mk_dns_type type;
		struct mk_dns_answer *ans;
	} e[CHECK_SPF_ANSWERS_MAX];
};

static const struct mk_dns_answer *
spf_lookup(void *arg, const char *name, enum mk_dns_type type)
{
	struct spf_cache *sc = arg;
	size_t i;

	for (i = 0; i < sc->n; i++)
		if (sc->e[i].type == type && strcasecmp(sc->e[i].name, name) == 0)
			return sc->e[i].ans;
	return NULL;
}

/* check_host() with blocking queries: evaluate, fetch what is missing,
 * evaluate again (lib/spf is restartable).  0, or -1 (out of memory/bound). */
static int
spf_eval_sync(struct check_ctx *c, struct spf_cache *sc, const struct mk_spf_query *q,
    struct mk_spf_outcome *out)
{
	struct mk_dns_answer *a;

	while (mk_spf_eval(q, spf_lookup, sc, out) == 1) {
		if (sc->n >= CHECK_SPF_ANSWERS_MAX ||
		    (a = mk_dns_query(c->dns, out->need_name, out->need_type)) == NULL)
			return -1;
		snprintf(sc->e[sc->n].name, sizeof(sc->e[0].name), "%s", out->need_name);
		sc->e[sc->n].type = out->need_type;
		sc->e[sc->n].ans = a;
		sc->n++;
	}
	return 0;
}

static void
spf_eval_ip(struct check_ctx *c, struct spf_cache *sc, const char *ip, const char *fix)
{
	struct mk_spf_query q = { .ip = ip, .helo = c->host, .receiver = "mailaka-check",
	    .identity = MK_SPF_ID_MAILFROM, .now = time(NULL) };
	struct mk_spf_outcome out;
	char sender[MK_DNS_NAME_MAX + 16], name[80];

	snprintf(sender, sizeof(sender), "postmaster@%s", c->domain);
	q.sender = sender;
	snprintf(name, sizeof(name), "spf %s", ip);
	if (spf_eval_sync(c, sc, &q, &out) != 0) {
		check_report(c, CHECK_FAIL, name, "simplify the record (fewer include/a/mx terms)",
		    "evaluation needs too many DNS answers");
		return;
	}
	if (out.result == MK_SPF_PASS)
		check_report(c, CHECK_OK, name, NULL, "pass (%s)", out.reason);
	else
		check_report(c, CHECK_FAIL, name, fix, "%s for the mail host's address (%s)",
		    mk_spf_result_name(out.result), out.reason);
}

/* A policy that passes an address nobody sends from (TEST-NET-3, RFC 5737)
 * authorizes the whole Internet ("+all", "?all" is neutral and fine). */
static void
spf_check_open(struct check_ctx *c, struct spf_cache *sc)
{
	struct mk_spf_query q = { .ip = "203.0.113.254", .helo = c->host, .receiver = "mailaka-check",
	    .identity = MK_SPF_ID_MAILFROM, .now = time(NULL) };
	struct mk_spf_outcome out;
	char sender[MK_DNS_NAME_MAX + 16];

	snprintf(sender, sizeof(sender), "postmaster@%s", c->domain);
	q.sender = sender;
	if (spf_eval_sync(c, sc, &q, &out) == 0 && out.result == MK_SPF_PASS)
		check_report(c, CHECK_FAIL, "spf", "end the record with ~all or -all",
		    "the record passes any address (203.0.113.254 gets pass: %s)", out.reason);
}

/* The v=spf1 records among the TXT records of the domain. */
static size_t
spf_records(const struct mk_dns_answer *a, const struct mk_dns_rr **rec)
{
	size_t i, n = 0;

	for (i = 0; a->status == MK_DNS_OK && i < a->count; i++)
		if (a->rr[i].len >= 6 && strncasecmp(a->rr[i].text, "v=spf1", 6) == 0 &&
		    (a->rr[i].len == 6 || a->rr[i].text[6] == ' ')) {
			if (n++ == 0)
				*rec = &a->rr[i];
		}
	return n;
}

void
check_spf(struct check_ctx *c)
{
	struct mk_dns_answer *a = mk_dns_query(c->dns, c->domain, MK_DNS_TXT);
	const struct mk_dns_rr *rec = NULL;
	struct spf_cache *sc = calloc(1, sizeof(*sc));
	char want[REC_TEXT_MAX], fix[CHECK_FIX_MAX], why[256], esc[1024];
	size_t n, i;

	if (a == NULL || sc == NULL)
		goto done;
	if (rec_spf(&c->rec, want, sizeof(want)) != 0)
		snprintf(want, sizeof(want), "v=spf1 a mx ~all");
	check_txt_fix(c->domain, want, fix, sizeof(fix));
	if ((n = spf_records(a, &rec)) == 0) {
		check_report(c, CHECK_FAIL, "spf", fix, "no SPF record at %s (%s)", c->domain,
		    a->status == MK_DNS_OK ? "TXT records, none v=spf1" : mk_dns_status_name(a->status));
		goto done;
	}
	if (n > 1) {
		check_report(c, CHECK_FAIL, "spf", fix, "%zu SPF records at %s: receivers give "
		    "permerror (RFC 7208 4.5); keep one", n, c->domain);
		goto done;
	}
	mk_log_escape(rec->text, rec->len, esc, sizeof(esc));
	if (mk_spf_record_check(rec->text, rec->len, why, sizeof(why)) != 0) {
		check_report(c, CHECK_FAIL, "spf", fix, "syntax error in \"%s\": %s", esc, why);
		goto done;
	}
	check_report(c, CHECK_OK, "spf", NULL, "\"%s\"", esc);
	spf_check_open(c, sc);
	for (i = 0; i < c->rec.n4; i++)
		spf_eval_ip(c, sc, c->rec.ipv4[i], fix);
	for (i = 0; i < c->rec.n6; i++)
		spf_eval_ip(c, sc, c->rec.ipv6[i], fix);
done:
	for (i = 0; sc != NULL && i < sc->n; i++)
		mk_dns_answer_free(sc->e[i].ans);
	free(sc);
	mk_dns_answer_free(a);
}

/* Published DKIM key record of name: k and p (p "" when revoked).
 * 0, or -1 with why. */
static int
dkim_published(const struct mk_dns_answer *a, char *k, size_t ksz, char *p, size_t psz,
    const char **why)
{
	struct mk_dkim_tags tags;
	const struct mk_dkim_tag *t;
	size_t i;

	*why = "no TXT record";
	for (i = 0; a->status == MK_DNS_OK && i < a->count; i++) {
		if (mk_dkim_tags_parse(a->rr[i].text, a->rr[i].len, &tags, why) != 0)
			continue;
		if ((t = mk_dkim_tags_get(&tags, "v")) != NULL &&
		    (t->vlen != 5 || strncmp(t->val, "DKIM1", 5) != 0)) {
			*why = "v= is not DKIM1";
			continue;
		}
		if ((t = mk_dkim_tags_get(&tags, "p")) == NULL) {
			*why = "no p= tag";
			continue;
		}
		if (mk_dkim_tags_copy_nows(t, p, psz) != 0) {
			*why = "p= too long";
			continue;
		}
		snprintf(k, ksz, "rsa");
		if ((t = mk_dkim_tags_get(&tags, "k")) != NULL && mk_dkim_tags_copy(t, k, ksz) != 0)
			continue;
		return 0;
	}
	return -1;
}

static void
dkim_check_key(struct check_ctx *c, const struct rec_dkim_key *key, const char *sel)
{
	char name[MK_DNS_NAME_MAX + 80], what[MK_DNS_NAME_MAX + 90], fix[CHECK_FIX_MAX];
	char text[REC_TEXT_MAX + 64], k[16], *p;
	const char *why;
	struct mk_dns_answer *a;

	snprintf(name, sizeof(name), "%s._domainkey.%s", sel, c->domain);
	snprintf(what, sizeof(what), "dkim %s", sel);
	if (key != NULL && key->p[0] == '\0') {
		check_report(c, CHECK_FAIL, what, "make a new key with mailaka dkim-keygen",
		    "%s", key->problem);
		return;
	}
	fix[0] = '\0';
	if (key != NULL) {
		snprintf(text, sizeof(text), "v=DKIM1; k=%s; p=%s", key->k, key->p);
		check_txt_fix(name, text, fix, sizeof(fix));
	}
	if ((p = malloc(REC_DKIM_P_MAX + 1)) == NULL ||
	    (a = mk_dns_query(c->dns, name, MK_DNS_TXT)) == NULL) {
		free(p);
		return;
	}
	if (dkim_published(a, k, sizeof(k), p, REC_DKIM_P_MAX + 1, &why) != 0)
		check_report(c, CHECK_FAIL, what, fix[0] ? fix : NULL, "no usable DKIM key record "
		    "at %s (%s: %s)", name, mk_dns_status_name(a->status), why);
	else if (p[0] == '\0')
		check_report(c, CHECK_FAIL, what, fix[0] ? fix : NULL, "%s is revoked (empty p=)",
		    name);
	else if (key == NULL)
		check_report(c, CHECK_WARN, what, NULL, "%s publishes a %s key; no key under "
		    "%s/dkim/%s/ to compare it with", name, k, c->opts->confdir, c->domain);
	else if (strcasecmp(k, key->k) != 0 || strcmp(p, key->p) != 0)
		check_report(c, CHECK_FAIL, what, fix, "the key published at %s (k=%s) does not "
		    "match %s", name, k, key->path);
	else
		check_report(c, CHECK_OK, what, NULL, "%s matches %s (k=%s)", name, key->path, k);
	free(p);
	mk_dns_answer_free(a);
}

void
check_dkim(struct check_ctx *c)
{
	struct rec_dkim_key *keys = calloc(REC_DKIM_KEYS_MAX, sizeof(*keys));
	char err[256], fix[1024];
	size_t i, j;
	int n;

	if (keys == NULL)
		return;
	n = rec_dkim_keys(c->opts->confdir, c->domain, keys, REC_DKIM_KEYS_MAX, err, sizeof(err));
	if (n < 0) {
		check_report(c, CHECK_FAIL, "dkim", "run mailaka check as a user that can read the "
		    "keys (root)", "%s", err);
		n = 0;
	} else if (n == 0 && c->nsel == 0) {
		snprintf(fix, sizeof(fix), "mailaka dkim-keygen %s SELECTOR --dir %.300s/dkim/%s, then "
		    "publish the record it prints", c->domain, c->opts->confdir, c->domain);
		check_report(c, CHECK_FAIL, "dkim", fix, "no DKIM key under %s/dkim/%s/",
		    c->opts->confdir, c->domain);
	}
	for (i = 0; i < (size_t)n; i++)
		dkim_check_key(c, &keys[i], keys[i].selector);
	for (j = 0; j < c->nsel; j++) {
		for (i = 0; i < (size_t)n && strcmp(keys[i].selector, c->selectors[j]) != 0; i++)
			;
		if (i == (size_t)n)
			dkim_check_key(c, NULL, c->selectors[j]);
	}
	free(keys);
}

static void
dmarc_report(struct check_ctx *c, const struct mk_dmarc_record *r, const char *fix)
{
	char rua[MK_DMARC_URI_MAX * 4 + 1] = "-", ruf[MK_DMARC_URI_MAX * 4 + 1] = "";

	if (r->p_state != MK_DMARC_PSTATE_VALID) {
		check_report(c, CHECK_FAIL, "dmarc", fix, "p= is %s: receivers apply no policy",
		    r->p_state == MK_DMARC_PSTATE_ABSENT ? "missing" : "not none/quarantine/reject");
		return;
	}
	if (r->p == MK_DMARC_P_NONE)
		check_report(c, CHECK_WARN, "dmarc", "raise to p=quarantine once reports show "
		    "all mail passes", "p=none: monitoring only, spoofed mail is delivered");
	if (r->pct_set && r->pct < 100)
		check_report(c, CHECK_WARN, "dmarc", NULL, "pct=%d: the policy applies to part of "
		    "the failing mail only", r->pct);
	if (r->nrua == 0)
		check_report(c, CHECK_WARN, "dmarc", "add rua=mailto:ADDRESS", "no usable rua: "
		    "no aggregate reports will be sent");
	if (r->nrua > 0)
		mk_log_escape(r->rua[0].uri, strlen(r->rua[0].uri), rua, sizeof(rua));
	if (r->nruf > 0)
		mk_log_escape(r->ruf[0].uri, strlen(r->ruf[0].uri), ruf, sizeof(ruf));
	check_report(c, CHECK_OK, "dmarc", NULL, "p=%s%s%s adkim=%s aspf=%s rua=%s%s%s",
	    mk_dmarc_policy_name(r->p), r->sp != MK_DMARC_P_UNSET ? " sp=" : "",
	    r->sp != MK_DMARC_P_UNSET ? mk_dmarc_policy_name(r->sp) : "",
	    r->adkim_strict ? "s" : "r", r->aspf_strict ? "s" : "r",
	    rua, r->nruf > 0 ? " ruf=" : "", ruf);
}

void
check_dmarc(struct check_ctx *c)
{
	char name[MK_DNS_NAME_MAX + 16], want[REC_TEXT_MAX], fix[CHECK_FIX_MAX];
	struct mk_dmarc_record *r = calloc(1, sizeof(*r));
	struct mk_dns_answer *a;
	size_t i, n = 0, which = 0;

	snprintf(name, sizeof(name), "_dmarc.%s", c->domain);
	if (r == NULL || (a = mk_dns_query(c->dns, name, MK_DNS_TXT)) == NULL) {
		free(r);
		return;
	}
	if (rec_dmarc(&c->rec, want, sizeof(want)) != 0)
		snprintf(want, sizeof(want), "v=DMARC1; p=quarantine");
	check_txt_fix(name, want, fix, sizeof(fix));
	for (i = 0; a->status == MK_DNS_OK && i < a->count; i++)
		if (mk_dmarc_record_is_dmarc(a->rr[i].text, a->rr[i].len) && n++ == 0)
			which = i;
	if (n == 0)
		check_report(c, CHECK_FAIL, "dmarc", fix, "no DMARC record at %s (%s)", name,
		    a->status == MK_DNS_OK ? "TXT records, none starts with v=DMARC1" :
		    mk_dns_status_name(a->status));
	else if (n > 1)
		check_report(c, CHECK_FAIL, "dmarc", fix, "%zu DMARC records at %s: receivers "
		    "ignore them all; keep one", n, name);
	else if (mk_dmarc_record_parse(a->rr[which].text, a->rr[which].len, r) != MK_DMARC_REC_OK)
		check_report(c, CHECK_FAIL, "dmarc", fix, "the record at %s is unusable", name);
	else
		dmarc_report(c, r, fix);
	free(r);
	mk_dns_answer_free(a);
}

/* Whether answer a (A or AAAA) holds the address ip. */
static bool
answer_has_ip(const struct mk_dns_answer *a, const char *ip, bool v6)
{
	unsigned char b[16];
	size_t i;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, b) != 1)
		return false;
	for (i = 0; a->status == MK_DNS_OK && i < a->count; i++)
		if (memcmp(v6 ? (const void *)&a->rr[i].u.addr6 : (const void *)&a->rr[i].u.addr4,
		    b, v6 ? 16 : 4) == 0)
			return true;
	return false;
}

static void
ptr_check_ip(struct check_ctx *c, const char *ip, bool v6)
{
	char rev[80], what[80], fix[MK_DNS_NAME_MAX * 2 + 128];
	struct mk_dns_answer *p, *f;
	size_t i;

	snprintf(what, sizeof(what), "ptr %s", ip);
	snprintf(fix, sizeof(fix), "ask the provider of %s to set its PTR to %s, and publish "
	    "%s. IN %s %s", ip, c->host, c->host, v6 ? "AAAA" : "A", ip);
	if (mk_dns_reverse_name(ip, rev, sizeof(rev)) != 0 ||
	    (p = mk_dns_query(c->dns, rev, MK_DNS_PTR)) == NULL)
		return;
	if (p->status != MK_DNS_OK || p->count == 0) {
		check_report(c, CHECK_FAIL, what, fix, "no PTR record at %s (%s)", rev,
		    mk_dns_status_name(p->status));
		goto done;
	}
	for (i = 0; i < p->count && i < CHECK_PTR_NAMES_MAX; i++) {
		f = mk_dns_query(c->dns, p->rr[i].text, v6 ? MK_DNS_AAAA : MK_DNS_A);
		if (f != NULL && answer_has_ip(f, ip, v6)) {
			mk_dns_answer_free(f);
			if (strcasecmp(p->rr[i].text, c->host) != 0)
				check_report(c, CHECK_WARN, what, "use it as the HELO name, or point "
				    "the PTR at the mail host", "%s -> %s -> %s, not the mail host %s",
				    ip, p->rr[i].text, ip, c->host);
			else
				check_report(c, CHECK_OK, what, NULL, "%s -> %s -> %s (forward-confirmed)",
				    ip, p->rr[i].text, ip);
			goto done;
		}
		mk_dns_answer_free(f);
	}
	check_report(c, CHECK_FAIL, what, fix, "PTR %s does not resolve back to %s (not "
	    "forward-confirmed)", p->rr[0].text, ip);
done:
	mk_dns_answer_free(p);
}

void
check_ptr(struct check_ctx *c)
{
	size_t i;

	for (i = 0; i < c->rec.n4; i++)
		ptr_check_ip(c, c->rec.ipv4[i], false);
	for (i = 0; i < c->rec.n6; i++)
		ptr_check_ip(c, c->rec.ipv6[i], true);
}
