/*
 * t/unit/test_spf.c: lib/spf (record syntax, macros, restartable
 * evaluation).  The full RFC 7208 suite runs in
 * t/integration/spf-rfc7208-eval and, through the daemon, in
 * t/integration/spf-rfc7208.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"
#include "spf_macro.h"
#include "spf_record.h"
#include "tap.h"

static void
test_record_syntax(void)
{
	struct { const char *rec; int ok; } cases[] = {
		{ "v=spf1", 0 },
		{ "v=spf1 -all", 0 },
		{ "v=spf1  ip4:192.0.2.0/24   ~all ", 0 },
		{ "v=spf1 a mx/24 a:%{d}.x.example//64 ptr exists:%{i}.z.example -all", 0 },
		{ "v=spf1 ip4:192.0.2.1/0 ip6:::/0", 0 },
		{ "v=spf1 include:_spf.example.com redirect=_spf.example.net exp=x.example", 0 },
		{ "v=spf1 foo.bar=%{l}", 0 },
		{ "v=spf1 ip4:192.0.2.1/33", -1 },
		{ "v=spf1 ip4:192.0.2.1/032", -1 },
		{ "v=spf1 ip6:::1/129", -1 },
		{ "v=spf1 a:example.123", -1 },
		{ "v=spf1 a:example", -1 },
		{ "v=spf1 include", -1 },
		{ "v=spf1 all:x", -1 },
		{ "v=spf1 redirect=a.example redirect=b.example", -1 },
		{ "v=spf1 exp=a.example exp=b.example", -1 },
		{ "v=spf1 -redirect=a.example", -1 },
		{ "v=spf1 1foo=bar", -1 },
		{ "v=spf1 =bar", -1 },
		{ "v=spf1 a:%{x}.example", -1 },
		{ "v=spf1 a:%{d0}.example", -1 },
		{ "v=spf1 a:%{c}.example", -1 },
		{ "v=spf1 a:foo%.example", -1 },
		{ "v=spf1 foo:bar", -1 },
		{ "v=spf1 -all\x80", -1 },
		{ "v=spf1 a\t-all", -1 },
		{ "v=spf10 -all", -1 },
	};
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(mk_spf_record_check(cases[i].rec, strlen(cases[i].rec), why, sizeof(why)),
		    cases[i].ok, "record \"%s\"", cases[i].rec);
}

static void
test_macros(void)
{
	struct mk_spf_macro_env env = { 0 };
	struct { const char *in; const char *want; bool exp; } cases[] = {
		{ "%{s}", "strong-bad@email.example.com", false },
		{ "%{o}", "email.example.com", false },
		{ "%{d}", "email.example.com", false },
		{ "%{d4}", "email.example.com", false },
		{ "%{d3}", "email.example.com", false },
		{ "%{d2}", "example.com", false },
		{ "%{d1}", "com", false },
		{ "%{dr}", "com.example.email", false },
		{ "%{d2r}", "example.email", false },
		{ "%{l}", "strong-bad", false },
		{ "%{l-}", "strong.bad", false },
		{ "%{lr}", "strong-bad", false },
		{ "%{lr-}", "bad.strong", false },
		{ "%{l1r-}", "strong", false },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", false },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", false },
		{ "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net", false },
		{ "%%%_%-", "% %20", false },
		{ "%{L}", "strong-bad", false },
		{ "%{S}", "strong-bad%40email.example.com", false },
		{ "%{c} %{r} %{t}", "192.0.2.3 mx.example.org 1400000000", true },
	};
	char out[MK_SPF_MACRO_OUT_MAX];
	size_t i;

	env.local = "strong-bad";
	env.odomain = "email.example.com";
	env.domain = "email.example.com";
	env.helo = "mx.example.org";
	env.receiver = "mx.example.org";
	env.client = "192.0.2.3";
	env.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.3", &env.ip4);
	env.now = 1400000000;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = mk_spf_macro_expand(cases[i].in, strlen(cases[i].in), &env, cases[i].exp,
		    out, sizeof(out));
		is_int(rc, 0, "expand \"%s\" rc", cases[i].in);
		is_str(out, cases[i].want, "expand \"%s\"", cases[i].in);
	}
	/* RFC 7208 7.4 IPv6 example */
	env.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::cb01", &env.ip6);
	mk_spf_macro_expand("%{ir}.%{v}._spf.%{d2}", 21, &env, false, out, sizeof(out));
	is_str(out, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com",
	    "IPv6 %%{ir}");
	is_int(mk_spf_macro_check("%{c}", 4, false), -1, "%%{c} outside exp is an error");
	is_int(mk_spf_macro_check("a b", 3, true), 0, "spaces allowed in exp text");
	is_int(mk_spf_macro_check("a%", 2, true), -1, "lone %% at end");
	is_int(mk_spf_macro_expand("%{s}%{s}", 8, &env, false, out, 10), -1, "overflow is an error");
}

/* A tiny zone answering from a table; counts lookups to check restarts. */
struct zent { const char *name; enum mk_dns_type type; const char *val; };
static const struct zent zone[] = {
	{ "example.org", MK_DNS_TXT, "v=spf1 include:_spf.example.org -all" },
	{ "_spf.example.org", MK_DNS_TXT, "v=spf1 a:mail.example.org ip6:2001:db8::/32 ~all" },
	{ "mail.example.org", MK_DNS_A, "192.0.2.10" },
	{ "exp.example.org", MK_DNS_TXT, "%{i} is not one of %{d}'s servers" },
	{ "fail.example.org", MK_DNS_TXT, "v=spf1 -all exp=exp.example.org" },
	{ "10.2.0.192.in-addr.arpa", MK_DNS_PTR, "mail.example.org" },
	{ "11.2.0.192.in-addr.arpa", MK_DNS_PTR, "mail.example.org" },
	{ NULL, 0, NULL },
};

struct zstate {
	struct mk_dns_answer *ans[32];
	size_t n;
	bool lazy;		/* first call for each name returns NULL (pending) */
	unsigned calls;
};

static const struct mk_dns_answer *
zlookup(void *arg, const char *name, enum mk_dns_type type)
{
	struct zstate *z = arg;
	struct mk_dns_answer *a;
	const struct zent *e;
	size_t i;

	z->calls++;
	for (i = 0; i < z->n; i++) {
		if (strcmp(z->ans[i]->why, name) == 0 && z->ans[i]->ttl == (uint32_t)type)
			return z->ans[i];
	}
	a = calloc(1, sizeof(*a));
	snprintf(a->why, sizeof(a->why), "%s", name);
	a->ttl = (uint32_t)type;	/* the test keeps the type here */
	a->status = MK_DNS_NXDOMAIN;
	for (e = zone; e->name != NULL; e++) {
		if (strcmp(e->name, name) != 0)
			continue;
		a->status = MK_DNS_NODATA;
		if (e->type != type)
			continue;
		a->status = MK_DNS_OK;
		a->rr = calloc(1, sizeof(*a->rr));
		a->count = 1;
		a->rr[0].text = strdup(e->val);
		a->rr[0].len = strlen(e->val);
		if (type == MK_DNS_A)
			inet_pton(AF_INET, e->val, &a->rr[0].u.addr4);
	}
	z->ans[z->n++] = a;
	return z->lazy ? NULL : a;
}

static void
zfree(struct zstate *z)
{
	size_t i;

	for (i = 0; i < z->n; i++)
		mk_dns_answer_free(z->ans[i]);
	memset(z, 0, sizeof(*z));
}

static void
test_eval(void)
{
	struct { const char *ip, *sender, *want, *exp; } cases[] = {
		{ "192.0.2.10", "a@example.org", "pass", NULL },
		{ "::ffff:192.0.2.10", "a@example.org", "pass", NULL },
		{ "2001:db8::1", "a@example.org", "pass", NULL },
		{ "192.0.2.11", "a@example.org", "fail", NULL },
		{ "192.0.2.11", "a@fail.example.org", "fail", "192.0.2.11 is not one of fail.example.org's servers" },
		{ "192.0.2.11", "a@none.example.org", "none", NULL },
		{ "192.0.2.11", "a@nodot", "none", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mk_spf_query q = { cases[i].ip, cases[i].sender, "helo.example.org",
		    NULL, MK_SPF_ID_MAILFROM, 0, false, 0 };
		struct mk_spf_outcome out;
		struct zstate z = { .lazy = false };
		int rc, rounds = 0;

		rc = mk_spf_eval(&q, zlookup, &z, &out);
		is_int(rc, 0, "eval %s from %s completes", cases[i].sender, cases[i].ip);
		is_str(mk_spf_result_name(out.result), cases[i].want, "%s from %s", cases[i].sender,
		    cases[i].ip);
		if (cases[i].exp)
			is_str(out.explanation, cases[i].exp, "explanation");
		zfree(&z);
		/* the same with every answer arriving late: restart until done */
		z.lazy = true;
		while ((rc = mk_spf_eval(&q, zlookup, &z, &out)) == 1 && rounds < 50) {
			ok(out.need_name[0] != '\0', "round %d needs %s", rounds, out.need_name);
			z.lazy = false;	/* the answer is now known */
			rc = mk_spf_eval(&q, zlookup, &z, &out);
			z.lazy = true;
			if (rc == 0)
				break;
			rounds++;
		}
		is_str(mk_spf_result_name(out.result), cases[i].want, "restarted: same result");
		zfree(&z);
	}
}

/* The whitelist helpers (policyd-spf's Domain_Whitelist_PTR, HELO_Whitelist). */
static void
test_wl_helpers(void)
{
	struct { const char *ip, *dom, *want; } ptr[] = {
		{ "192.0.2.10", "example.org", "pass" },	/* validated, under */
		{ "192.0.2.10", "mail.example.org", "pass" },	/* equal */
		{ "192.0.2.10", "ample.org", "none" },		/* not on a label boundary */
		{ "192.0.2.11", "example.org", "none" },	/* PTR name does not resolve back */
		{ "192.0.2.12", "example.org", "none" },	/* no PTR */
	};
	size_t i;

	for (i = 0; i < sizeof(ptr) / sizeof(ptr[0]); i++) {
		struct mk_spf_query q = { ptr[i].ip, "", "h", NULL, MK_SPF_ID_MAILFROM, 0, false, 0 };
		const char *doms[] = { "other.test", ptr[i].dom };
		struct mk_spf_outcome out;
		struct zstate z = { .lazy = true };
		int rc, rounds = 0;

		while ((rc = mk_spf_eval_ptr_in(&q, doms, 2, zlookup, &z, &out)) == 1 && rounds++ < 20)
			z.lazy = false, mk_spf_eval_ptr_in(&q, doms, 2, zlookup, &z, &out), z.lazy = true;
		is_str(mk_spf_result_name(out.result), ptr[i].want, "PTR of %s in %s", ptr[i].ip,
		    ptr[i].dom);
		if (out.result == MK_SPF_PASS)
			is_str(out.domain, "mail.example.org", "the validated name");
		zfree(&z);
	}
	for (i = 10; i <= 11; i++) {
		char ip[32];
		struct mk_spf_query q = { ip, "", "h", NULL, MK_SPF_ID_MAILFROM, 0, false, 0 };
		struct mk_spf_outcome out;
		struct zstate z = { .lazy = false };

		snprintf(ip, sizeof(ip), "192.0.2.%zu", i);
		is_int(mk_spf_eval_addr_of(&q, "mail.example.org", zlookup, &z, &out), 0, "addr_of done");
		is_str(mk_spf_result_name(out.result), i == 10 ? "pass" : "none",
		    "%s is%s an address of mail.example.org", ip, i == 10 ? "" : " not");
		zfree(&z);
	}
}

int
main(void)
{
	test_record_syntax();
	test_macros();
	test_eval();
	test_wl_helpers();
	diag("spf tests done");
	return done_testing();
}
