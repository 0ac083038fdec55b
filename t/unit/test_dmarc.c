/*
 * t/unit/test_dmarc.c: DMARC record parser, PSL, tree walk, policy
 * discovery, alignment and disposition -- table driven, with a DNS table
 * standing in for lib/dns (the integration tests use a real server).
 * Each libopendmarc 1.4.2 defect listed in issue 5 has a case here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/dmarc.h"
#include "lib/dmarc_psl.h"
#include "tap.h"

/* ---- fake DNS -------------------------------------------------------- */

struct fake_rr {
	const char *name;	/* query name */
	enum mk_dns_status status;
	const char *txt[4];	/* NULL-terminated */
};

static const struct fake_rr *fake_zone;
static unsigned fake_queries;

static struct mk_dns_answer *
fake_query(void *arg, const char *name, enum mk_dns_type type)
{
	struct mk_dns_answer *ans = calloc(1, sizeof(*ans));
	const struct fake_rr *z;
	size_t i, n = 0;

	(void)arg;
	fake_queries++;
	ans->status = MK_DNS_NXDOMAIN;
	for (z = fake_zone; z != NULL && z->name != NULL; z++) {
		if (strcmp(z->name, name) != 0)
			continue;
		if (z->status != MK_DNS_OK) {
			ans->status = z->status;
			return ans;
		}
		if (type != MK_DNS_TXT) {
			ans->status = MK_DNS_NODATA;
			return ans;
		}
		for (n = 0; z->txt[n] != NULL; n++)
			;
		ans->status = MK_DNS_OK;
		ans->count = n;
		ans->rr = calloc(n, sizeof(*ans->rr));
		for (i = 0; i < n; i++) {
			ans->rr[i].text = strdup(z->txt[i]);
			ans->rr[i].len = strlen(z->txt[i]);
		}
		return ans;
	}
	/* names below a defined name exist as empty non-terminals: not needed */
	for (z = fake_zone; z != NULL && z->name != NULL; z++) {
		size_t ln = strlen(z->name), lq = strlen(name);

		if (ln > lq && strcmp(z->name + ln - lq, name) == 0 && z->name[ln - lq - 1] == '.')
			ans->status = MK_DNS_NODATA;
	}
	return ans;
}

/* ---- record parser --------------------------------------------------- */

static void
test_record(void)
{
	static const struct {
		const char *txt;
		enum mk_dmarc_rec_status st;
		enum mk_dmarc_policy p, sp, np;
		enum mk_dmarc_p_state ps;
		int pct;
		bool adkim_s, aspf_s, t;
		enum mk_dmarc_psd psd;
		size_t nrua;
	} c[] = {
		{ "v=DMARC1; p=reject", MK_DMARC_REC_OK, MK_DMARC_P_REJECT, 0, 0, 0, 100, 0, 0, 0, 0, 0 },
		{ "v=DMARC1;p=quarantine;sp=none;np=reject;adkim=s;aspf=s;pct=0;t=y;psd=y;"
		  "rua=mailto:a@example.org,mailto:b@example.org!10m", MK_DMARC_REC_OK,
		  MK_DMARC_P_QUARANTINE, MK_DMARC_P_NONE, MK_DMARC_P_REJECT, 0, 0, 1, 1, 1,
		  MK_DMARC_PSD_Y, 2 },
		{ "  V = DMARC1 ;  P = Reject ; ", MK_DMARC_REC_OK, MK_DMARC_P_REJECT, 0, 0, 0, 100, 0, 0, 0, 0, 0 },
		/* must start with v=DMARC1 (libopendmarc accepts these) */
		{ "p=reject; v=DMARC1", MK_DMARC_REC_NOT_DMARC, 0, 0, 0, MK_DMARC_PSTATE_ABSENT, 100, 0, 0, 0, 0, 0 },
		{ "v=DMARC2; p=reject", MK_DMARC_REC_NOT_DMARC, 0, 0, 0, MK_DMARC_PSTATE_ABSENT, 100, 0, 0, 0, 0, 0 },
		{ "v=dmarc1; p=reject", MK_DMARC_REC_NOT_DMARC, 0, 0, 0, MK_DMARC_PSTATE_ABSENT, 100, 0, 0, 0, 0, 0 },
		{ "v=DMARC1p=reject", MK_DMARC_REC_NOT_DMARC, 0, 0, 0, MK_DMARC_PSTATE_ABSENT, 100, 0, 0, 0, 0, 0 },
		{ "v=spf1 -all", MK_DMARC_REC_NOT_DMARC, 0, 0, 0, MK_DMARC_PSTATE_ABSENT, 100, 0, 0, 0, 0, 0 },
		{ "", MK_DMARC_REC_NOT_DMARC, 0, 0, 0, MK_DMARC_PSTATE_ABSENT, 100, 0, 0, 0, 0, 0 },
		/* invalid p: the record is still DMARC; the caller decides */
		{ "v=DMARC1; p=bogus; rua=mailto:r@example.org", MK_DMARC_REC_OK, 0, 0, 0,
		  MK_DMARC_PSTATE_INVALID, 100, 0, 0, 0, 0, 1 },
		{ "v=DMARC1", MK_DMARC_REC_OK, 0, 0, 0, MK_DMARC_PSTATE_ABSENT, 100, 0, 0, 0, 0, 0 },
		/* bad optional values fall back to defaults; garbage segments skipped */
		{ "v=DMARC1; p=none; pct=101; adkim=x; garbage; ;=;t=maybe; rua=http//x",
		  MK_DMARC_REC_OK, MK_DMARC_P_NONE, 0, 0, 0, 100, 0, 0, 0, 0, 0 },
		/* a repeated tag keeps its first value */
		{ "v=DMARC1; p=reject; p=none", MK_DMARC_REC_OK, MK_DMARC_P_REJECT, 0, 0, 0, 100, 0, 0, 0, 0, 0 },
		{ "v=DMARC1; p=none; rua=mailto:%72@example.org, mailto:bad, mailto:x@y.z!9zz",
		  MK_DMARC_REC_OK, MK_DMARC_P_NONE, 0, 0, 0, 100, 0, 0, 0, 0, 1 },
	};
	struct mk_dmarc_record r;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		enum mk_dmarc_rec_status st = mk_dmarc_record_parse(c[i].txt, strlen(c[i].txt), &r);

		is_int(st, c[i].st, "record %zu \"%s\": status", i, c[i].txt);
		if (st != MK_DMARC_REC_OK)
			continue;
		is_int(r.p, c[i].p, "record %zu: p", i);
		is_int(r.sp, c[i].sp, "record %zu: sp", i);
		is_int(r.np, c[i].np, "record %zu: np", i);
		is_int(r.p_state, c[i].ps, "record %zu: p state", i);
		is_int(r.pct, c[i].pct, "record %zu: pct", i);
		is_int(r.adkim_strict, c[i].adkim_s, "record %zu: adkim", i);
		is_int(r.aspf_strict, c[i].aspf_s, "record %zu: aspf", i);
		is_int(r.testing, c[i].t, "record %zu: t", i);
		is_int(r.psd, c[i].psd, "record %zu: psd", i);
		is_int(r.nrua, c[i].nrua, "record %zu: rua count", i);
	}
	mk_dmarc_record_parse("v=DMARC1; p=none; rua=mailto:%72@example.org!10m", 48, &r);
	is_str(r.rua[0].addr, "r@example.org", "mailto percent-decoded");
	is_int(r.rua[0].max_size, 10 << 20, "!10m size");
	mk_dmarc_record_parse("v=DMARC1; p=none; fo=d:s", 24, &r);
	is_int(r.fo, MK_DMARC_FO_D | MK_DMARC_FO_S, "fo=d:s");

	/* a 2 KB record parses (URIs beyond the limit dropped); > 4 KB invalid */
	{
		char big[6000];
		size_t n;

		n = (size_t)snprintf(big, sizeof(big), "v=DMARC1; p=reject; rua=");
		while (n < 2000)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "mailto:r%zu@example.org,", n);
		big[n - 1] = '\0';
		is_int(mk_dmarc_record_parse(big, n - 1, &r), MK_DMARC_REC_OK, "2 KB record parses");
		is_int(r.p, MK_DMARC_P_REJECT, "2 KB record: p");
		is_int(r.nrua, MK_DMARC_URIS_MAX, "2 KB record: URIs capped");
		ok(r.rua_dropped > 0, "2 KB record: dropped URIs counted");
		memset(big, 'a', sizeof(big));
		memcpy(big, "v=DMARC1; p=reject; x=", 22);
		is_int(mk_dmarc_record_parse(big, 5000, &r), MK_DMARC_REC_INVALID, "5 KB record invalid");
	}
	is_int(mk_dmarc_record_parse("v=DMARC1; p=reject\0x", 21, &r), MK_DMARC_REC_OK,
	    "NUL inside a later tag: still parsed, bounded by len");
}

/* ---- PSL ------------------------------------------------------------- */

static void
test_psl(void)
{
	static const char list[] =
	    "// comment\ncom\nuk\nco.uk\n*.ck\n!www.ck\n\n// ===BEGIN PRIVATE===\n"
	    "blogspot.com\n";
	static const struct { const char *in, *want; } c[] = {
		{ "a.b.example.co.uk", "example.co.uk" },
		{ "example.co.uk", "example.co.uk" },
		{ "co.uk", "co.uk" },
		{ "mail.example.com", "example.com" },
		{ "x.y.blogspot.com", "y.blogspot.com" },
		{ "a.b.c.ck", "b.c.ck" },
		{ "a.www.ck", "www.ck" },
		{ "host.example.unknowntld", "example.unknowntld" },
		{ "com", "com" },
	};
	struct mk_psl *psl;
	char err[256], out[256];
	size_t i;

	psl = mk_psl_parse(list, sizeof(list) - 1, err, sizeof(err));
	ok(psl != NULL, "psl parses");
	if (psl == NULL)
		return;
	is_int(mk_psl_count(psl), 6, "psl rules");
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		mk_psl_org_domain(psl, c[i].in, out, sizeof(out));
		is_str(out, c[i].want, "psl org domain of %s", c[i].in);
	}
	mk_psl_free(psl);
	ok(mk_psl_parse("// only\n", 8, err, sizeof(err)) == NULL, "empty psl refused");
	psl = mk_psl_load(MK_DEFAULT_PSL, err, sizeof(err));
	if (psl == NULL) {
		ok(1, "# SKIP no system PSL: %s", err);
		return;
	}
	mk_psl_org_domain(psl, "a.b.example.co.uk", out, sizeof(out));
	is_str(out, "example.co.uk", "system PSL: a.b.example.co.uk");
	/* U-label rules of the Debian file (公司.cn, 公司.香港, aéroport.ci)
	 * match A-label domains; A-labels computed by Python's idna codec */
	ok(mk_psl_idn_converted(psl) >= 100, "system PSL: %zu U-label rules converted",
	    mk_psl_idn_converted(psl));
	is_int(mk_psl_idn_failed(psl), 0, "system PSL: no U-label rule refused by libidn2");
	mk_psl_org_domain(psl, "mail.shop.xn--55qx5d.cn", out, sizeof(out));
	is_str(out, "shop.xn--55qx5d.cn", "system PSL: 公司.cn is a public suffix");
	mk_psl_org_domain(psl, "www.example.xn--55qx5d.xn--j6w193g", out, sizeof(out));
	is_str(out, "example.xn--55qx5d.xn--j6w193g", "system PSL: 公司.香港 is a public suffix");
	mk_psl_org_domain(psl, "mx.example.xn--aroport-bya.ci", out, sizeof(out));
	is_str(out, "example.xn--aroport-bya.ci", "system PSL: aéroport.ci is a public suffix");
	mk_psl_free(psl);
}

/* U-label rules, wildcard and exception included, in a list in memory. */
static void
test_psl_idn(void)
{
	static const char list[] =
	    "cn\n公司.cn\nhk\n*.個人.hk\n!例え.個人.hk\n\xff\xfe.cn\nXN--GMQW5A.hk.example\n";
	static const struct { const char *in, *want; } c[] = {
		{ "mail.example.xn--55qx5d.cn", "example.xn--55qx5d.cn" },
		{ "xn--55qx5d.cn", "xn--55qx5d.cn" },
		{ "a.b.c.xn--gmqw5a.hk", "b.c.xn--gmqw5a.hk" },
		{ "a.xn--r8jz45g.xn--gmqw5a.hk", "xn--r8jz45g.xn--gmqw5a.hk" },
		{ "www.example.cn", "example.cn" },
		/* U-label domains (EAI From) are looked up as A-labels */
		{ "mail.example.公司.cn", "example.xn--55qx5d.cn" },
		{ "a.b.c.個人.hk", "b.c.xn--gmqw5a.hk" },
		{ "Mail.Exämple.cn", "xn--exmple-cua.cn" },
	};
	struct mk_psl *psl;
	char err[256], out[256];
	size_t i;

	psl = mk_psl_parse(list, sizeof(list) - 1, err, sizeof(err));
	ok(psl != NULL, "idn psl parses");
	if (psl == NULL)
		return;
	is_int(mk_psl_count(psl), 6, "idn psl: rules kept (invalid UTF-8 one skipped)");
	is_int(mk_psl_idn_converted(psl), 3, "idn psl: three U-label rules converted");
	is_int(mk_psl_idn_failed(psl), 1, "idn psl: the invalid UTF-8 rule counted as refused");
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		mk_psl_org_domain(psl, c[i].in, out, sizeof(out));
		is_str(out, c[i].want, "idn psl org domain of %s", c[i].in);
	}
	is_int(mk_psl_org_domain(psl, "bad\xff.cn", out, sizeof(out)), -1,
	    "idn psl: invalid UTF-8 domain refused");
	is_int(mk_psl_org_domain(psl, "mail.example.公司.cn", out, 10), -1,
	    "idn psl: A-label org domain that does not fit refused");
	mk_psl_free(psl);
}

/* ---- tree walk and discovery ----------------------------------------- */

static const struct fake_rr zone[] = {
	/* org domain with sp, and a non-DMARC TXT before its DMARC record */
	{ "_dmarc.example.com", MK_DNS_OK, { "some-verification=abc", "v=DMARC1; p=reject; sp=quarantine; np=reject", NULL } },
	{ "_dmarc.mid.example.com", MK_DNS_OK, { "v=DMARC1; p=none", NULL } },
	{ "_dmarc.two.test", MK_DNS_OK, { "v=DMARC1; p=reject", "v=DMARC1; p=none", NULL } },
	{ "_dmarc.notdmarc.test", MK_DNS_OK, { "p=reject; v=DMARC1", NULL } },
	{ "_dmarc.bogus.test", MK_DNS_OK, { "v=DMARC1; p=bogus; rua=mailto:r@bogus.test", NULL } },
	{ "_dmarc.bogusnorua.test", MK_DNS_OK, { "v=DMARC1; p=bogus", NULL } },
	{ "_dmarc.psdtld", MK_DNS_OK, { "v=DMARC1; p=reject; psd=y", NULL } },
	{ "_dmarc.org.psdtld", MK_DNS_OK, { "v=DMARC1; p=none; psd=n", NULL } },
	{ "_dmarc.broken.test", MK_DNS_SERVFAIL, { NULL } },
	{ "_dmarc.h.g.f.e.d.c.b.a", MK_DNS_OK, { "v=DMARC1; p=quarantine", NULL } },
	{ "_dmarc.x.h.g.f.e.d.c.b.a", MK_DNS_OK, { "v=DMARC1; p=reject", NULL } },
	{ "_dmarc.g.f.e.d.c.b.a", MK_DNS_OK, { "v=DMARC1; p=reject", NULL } },
	{ "_dmarc.strict.test", MK_DNS_OK, { "v=DMARC1; p=reject; adkim=s; aspf=s", NULL } },
	{ "_dmarc.pct0.test", MK_DNS_OK, { "v=DMARC1; p=reject; pct=0", NULL } },
	{ "_dmarc.treject.test", MK_DNS_OK, { "v=DMARC1; p=reject; t=y", NULL } },
	{ "exists.example.com", MK_DNS_OK, { "x", NULL } },
	{ NULL, 0, { NULL } },
};

static void
test_walk(void)
{
	static const struct {
		const char *domain, *org, *found;
		enum mk_dmarc_disc st;
		bool at_author;
		unsigned max_queries;
	} c[] = {
		{ "example.com", "example.com", "example.com", MK_DMARC_DISC_FOUND, 1, 2 },
		{ "a.b.example.com", "example.com", "example.com", MK_DMARC_DISC_FOUND, 0, 4 },
		/* policy found at an intermediate label; org is the fewest labels */
		{ "x.mid.example.com", "example.com", "mid.example.com", MK_DMARC_DISC_FOUND, 0, 4 },
		{ "two.test", "two.test", "", MK_DMARC_DISC_NONE, 0, 2 },
		{ "notdmarc.test", "notdmarc.test", "", MK_DMARC_DISC_NONE, 0, 2 },
		/* psd=y at the TLD: org is the label below; psd=n stops the walk */
		{ "a.b.shop.psdtld", "shop.psdtld", "psdtld", MK_DMARC_DISC_FOUND, 0, 4 },
		{ "m.org.psdtld", "org.psdtld", "org.psdtld", MK_DMARC_DISC_FOUND, 0, 2 },
		{ "a.broken.test", "a.broken.test", "", MK_DMARC_DISC_TEMPERROR, 0, 2 },
		/* 10 labels: the full name, then straight to 7 labels (g.f.e.d.c.b.a),
		 * never the 8- and 9-label names, at most 8 queries */
		{ "j.i.h.g.f.e.d.c.b.a", "g.f.e.d.c.b.a", "g.f.e.d.c.b.a", MK_DMARC_DISC_FOUND, 0, 8 },
		{ "nothing.here.test", "nothing.here.test", "", MK_DMARC_DISC_NONE, 0, 3 },
	};
	struct mk_dmarc_env env = { MK_DMARC_SPEC_9989, NULL, fake_query, NULL };
	struct mk_dmarc_walk *w = calloc(1, sizeof(*w));
	struct mk_dmarc_policy_info info;
	char org[256];
	size_t i;

	fake_zone = zone;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		mk_dmarc_walk_init(w, &env);
		fake_queries = 0;
		mk_dmarc_discover(w, c[i].domain, &info);
		is_int(info.status, c[i].st, "walk %s: status", c[i].domain);
		is_str(info.domain, c[i].found, "walk %s: record at", c[i].domain);
		if (c[i].st != MK_DMARC_DISC_TEMPERROR) {
			mk_dmarc_org_domain(w, c[i].domain, org, sizeof(org));
			is_str(org, c[i].org, "walk %s: org domain", c[i].domain);
		}
		is_int(info.at_author, c[i].at_author, "walk %s: at author", c[i].domain);
		ok(fake_queries <= c[i].max_queries, "walk %s: %u queries <= %u", c[i].domain,
		    fake_queries, c[i].max_queries);
	}
	/* the 8-label walk never asks for the 8- or 9-label names */
	mk_dmarc_walk_init(w, &env);
	mk_dmarc_org_domain(w, "j.i.h.g.f.e.d.c.b.a", org, sizeof(org));
	ok(mk_dmarc_lookup(w, "j.i.h.g.f.e.d.c.b.a") != NULL, "walk cache");
	for (i = 0; i < w->ncache; i++)
		ok(strcmp(w->cache[i].name, "h.g.f.e.d.c.b.a") != 0 &&
		    strcmp(w->cache[i].name, "i.h.g.f.e.d.c.b.a") != 0,
		    "8-label limit: %s queried", w->cache[i].name);
	is_int(w->ncache, 8, "8-label limit: 8 lookups");
	free(w);
}

/* ---- evaluation ------------------------------------------------------ */

struct eval_case {
	const char *name;
	enum mk_dmarc_spec spec;
	const char *from, *dkim_d, *dkim_res, *spf_d, *spf_res;
	unsigned sample;
	enum mk_dmarc_result want;
	enum mk_dmarc_policy policy, dis;
};

static const struct eval_case evals[] = {
	{ "aligned dkim pass", 0, "example.com", "example.com", "pass", NULL, NULL, 0,
	  MK_DMARC_RES_PASS, MK_DMARC_P_REJECT, MK_DMARC_P_NONE },
	{ "relaxed dkim from parent", 0, "exists.example.com", "example.com", "pass", NULL, NULL, 0,
	  MK_DMARC_RES_PASS, MK_DMARC_P_QUARANTINE, MK_DMARC_P_NONE },
	{ "relaxed spf subdomain", 0, "example.com", NULL, NULL, "bounce.example.com", "pass", 0,
	  MK_DMARC_RES_PASS, MK_DMARC_P_REJECT, MK_DMARC_P_NONE },
	{ "unaligned dkim", 0, "example.com", "other.test", "pass", NULL, NULL, 0,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_REJECT, MK_DMARC_P_REJECT },
	{ "aligned but dkim fail", 0, "example.com", "example.com", "fail", "example.com", "softfail", 0,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_REJECT, MK_DMARC_P_REJECT },
	/* libopendmarc: adkim=s / aspf=s not enforced */
	{ "strict dkim parent", 0, "a.strict.test", "strict.test", "pass", NULL, NULL, 0,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_REJECT, MK_DMARC_P_REJECT },
	{ "strict spf parent", 0, "a.strict.test", NULL, NULL, "strict.test", "pass", 0,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_REJECT, MK_DMARC_P_REJECT },
	{ "strict exact", 0, "strict.test", "strict.test", "pass", NULL, NULL, 0,
	  MK_DMARC_RES_PASS, MK_DMARC_P_REJECT, MK_DMARC_P_NONE },
	/* sp for an existing subdomain, np for a non-existent one */
	{ "sp subdomain", 0, "exists.example.com", NULL, NULL, NULL, NULL, 0,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_QUARANTINE, MK_DMARC_P_QUARANTINE },
	{ "np nonexistent", 0, "ghost.example.com", NULL, NULL, NULL, NULL, 0,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_REJECT, MK_DMARC_P_REJECT },
	/* libopendmarc: pct=0 gives no action instead of the next less strict */
	{ "pct=0 7489", MK_DMARC_SPEC_7489, "pct0.test", NULL, NULL, NULL, NULL, 50,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_REJECT, MK_DMARC_P_QUARANTINE },
	{ "pct=0 9989", 0, "pct0.test", NULL, NULL, NULL, NULL, 50,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_REJECT, MK_DMARC_P_QUARANTINE },
	{ "t=y", 0, "treject.test", NULL, NULL, NULL, NULL, 0,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_REJECT, MK_DMARC_P_QUARANTINE },
	/* libopendmarc: invalid p with valid rua is permerror, should be p=none */
	{ "bogus p with rua 7489", MK_DMARC_SPEC_7489, "bogus.test", NULL, NULL, NULL, NULL, 0,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_NONE, MK_DMARC_P_NONE },
	{ "bogus p no rua 7489", MK_DMARC_SPEC_7489, "bogusnorua.test", NULL, NULL, NULL, NULL, 0,
	  MK_DMARC_RES_PERMERROR, MK_DMARC_P_NONE, MK_DMARC_P_NONE },
	{ "bogus p 9989", 0, "bogusnorua.test", NULL, NULL, NULL, NULL, 0,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_NONE, MK_DMARC_P_NONE },
	/* libopendmarc: only the first TXT; two DMARC records -> no policy */
	{ "two records", 0, "two.test", NULL, NULL, NULL, NULL, 0,
	  MK_DMARC_RES_NONE, MK_DMARC_P_NONE, MK_DMARC_P_NONE },
	{ "two records 7489", MK_DMARC_SPEC_7489, "two.test", NULL, NULL, NULL, NULL, 0,
	  MK_DMARC_RES_NONE, MK_DMARC_P_NONE, MK_DMARC_P_NONE },
	{ "not v=DMARC1 first", 0, "notdmarc.test", NULL, NULL, NULL, NULL, 0,
	  MK_DMARC_RES_NONE, MK_DMARC_P_NONE, MK_DMARC_P_NONE },
	{ "servfail", 0, "broken.test", NULL, NULL, NULL, NULL, 0,
	  MK_DMARC_RES_TEMPERROR, MK_DMARC_P_NONE, MK_DMARC_P_NONE },
	/* 7489: org domain via the PSL (example.co.uk) */
	{ "7489 psl org", MK_DMARC_SPEC_7489, "a.b.example.co.uk", "example.co.uk", "pass", NULL, NULL, 0,
	  MK_DMARC_RES_PASS, MK_DMARC_P_QUARANTINE, MK_DMARC_P_NONE },
	{ "7489 psl co.uk unaligned", MK_DMARC_SPEC_7489, "a.b.example.co.uk", "other.co.uk", "pass", NULL, NULL, 0,
	  MK_DMARC_RES_FAIL, MK_DMARC_P_QUARANTINE, MK_DMARC_P_QUARANTINE },
};

static const struct fake_rr zone_uk[] = {
	{ "_dmarc.example.co.uk", MK_DNS_OK, { "v=DMARC1; p=reject; sp=quarantine", NULL } },
	{ NULL, 0, { NULL } },
};

static void
test_eval(void)
{
	static const char list[] = "com\nuk\nco.uk\ntest\n";
	struct mk_psl *psl;
	struct mk_dmarc_env env = { 0, NULL, fake_query, NULL };
	struct mk_dmarc_walk *w = calloc(1, sizeof(*w));
	struct mk_dmarc_input in;
	struct mk_dmarc_outcome *out = calloc(1, sizeof(*out));
	char err[128];
	size_t i;

	psl = mk_psl_parse(list, sizeof(list) - 1, err, sizeof(err));
	env.psl = psl;
	for (i = 0; i < sizeof(evals) / sizeof(evals[0]); i++) {
		const struct eval_case *c = &evals[i];

		fake_zone = strstr(c->from, ".uk") ? zone_uk : zone;
		env.spec = c->spec;
		mk_dmarc_walk_init(w, &env);
		memset(&in, 0, sizeof(in));
		in.from_domain = c->from;
		in.sample = c->sample;
		if (c->dkim_d != NULL) {
			in.ndkim = 1;
			snprintf(in.dkim[0].domain, sizeof(in.dkim[0].domain), "%s", c->dkim_d);
			snprintf(in.dkim[0].result, sizeof(in.dkim[0].result), "%s", c->dkim_res);
		}
		if (c->spf_d != NULL) {
			in.have_spf = true;
			snprintf(in.spf.domain, sizeof(in.spf.domain), "%s", c->spf_d);
			snprintf(in.spf.result, sizeof(in.spf.result), "%s", c->spf_res);
		}
		mk_dmarc_evaluate(w, &in, out);
		is_str(mk_dmarc_result_name(out->result), mk_dmarc_result_name(c->want),
		    "eval %s: result", c->name);
		is_str(mk_dmarc_policy_name(out->policy), mk_dmarc_policy_name(c->policy),
		    "eval %s: policy", c->name);
		is_str(mk_dmarc_policy_name(out->disposition), mk_dmarc_policy_name(c->dis),
		    "eval %s: disposition", c->name);
	}
	/* 7489 pct sampling: pct=50 applies for samples 0..49 only */
	{
		static const struct fake_rr z50[] = {
			{ "_dmarc.half.test", MK_DNS_OK, { "v=DMARC1; p=reject; pct=50", NULL } },
			{ NULL, 0, { NULL } },
		};
		fake_zone = z50;
		env.spec = MK_DMARC_SPEC_7489;
		memset(&in, 0, sizeof(in));
		in.from_domain = "half.test";
		in.sample = 49;
		mk_dmarc_walk_init(w, &env);
		mk_dmarc_evaluate(w, &in, out);
		is_int(out->disposition, MK_DMARC_P_REJECT, "pct=50 sample 49: reject");
		in.sample = 50;
		mk_dmarc_walk_init(w, &env);
		mk_dmarc_evaluate(w, &in, out);
		is_int(out->disposition, MK_DMARC_P_QUARANTINE, "pct=50 sample 50: quarantine");
		ok(out->downgraded, "pct=50 sample 50: downgraded flag");
	}
	mk_psl_free(psl);
	free(out);
	free(w);
}

int
main(void)
{
	test_record();
	test_psl();
	test_psl_idn();
	test_walk();
	test_eval();
	return done_testing();
}
