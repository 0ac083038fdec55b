/*
 * t/unit/test_dmarc_libopendmarc.c: lib/dmarc_record.c and lib/dmarc_eval.c
 * side by side with libopendmarc 1.4.2, the independent implementation
 * mailaka-dmarc replaces.
 *
 *   - where libopendmarc is right, both must agree (p, sp, pct, adkim,
 *     aspf parsed from the same record; the same verdict for the same
 *     inputs);
 *   - where issue 5 says libopendmarc is wrong, our result must be the
 *     RFC's, and libopendmarc's answer is shown as a diagnostic (so a
 *     fixed libopendmarc does not fail this test, but is visible).
 * The records are stored into libopendmarc with
 * opendmarc_policy_store_dmarc() (no DNS), as DESIGN.md asks.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <opendmarc/dmarc.h>

#include "lib/dmarc.h"
#include "tap.h"

static int
lib_p(enum mk_dmarc_policy p)
{
	switch (p) {
	case MK_DMARC_P_NONE: return DMARC_RECORD_P_NONE;
	case MK_DMARC_P_QUARANTINE: return DMARC_RECORD_P_QUARANTINE;
	case MK_DMARC_P_REJECT: return DMARC_RECORD_P_REJECT;
	case MK_DMARC_P_UNSET: break;
	}
	return DMARC_RECORD_P_UNSPECIFIED;
}

/* Records both parse alike. */
static void
test_agree(void)
{
	static const char *const recs[] = {
		"v=DMARC1; p=reject",
		"v=DMARC1; p=quarantine; sp=none; pct=50",
		"v=DMARC1; p=none; adkim=s; aspf=s",
		"v=DMARC1; p=reject; sp=quarantine; adkim=r; aspf=r; pct=100; rua=mailto:a@example.org",
		"v=DMARC1;p=none;pct=0",
	};
	struct mk_dmarc_record r;
	DMARC_POLICY_T *pctx;
	int st, p, sp, pct, adkim, aspf;
	size_t i;

	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		pctx = opendmarc_policy_connect_init((u_char *)"192.0.2.1", DMARC_POLICY_IP_TYPE_IPV4);
		st = opendmarc_policy_store_dmarc(pctx, (u_char *)recs[i], (u_char *)"example.com",
		    NULL);
		is_int(st, DMARC_PARSE_OKAY, "libopendmarc parses \"%s\"", recs[i]);
		is_int(mk_dmarc_record_parse(recs[i], strlen(recs[i]), &r), MK_DMARC_REC_OK,
		    "we parse \"%s\"", recs[i]);
		opendmarc_policy_fetch_p(pctx, &p);
		opendmarc_policy_fetch_sp(pctx, &sp);
		opendmarc_policy_fetch_pct(pctx, &pct);
		opendmarc_policy_fetch_adkim(pctx, &adkim);
		opendmarc_policy_fetch_aspf(pctx, &aspf);
		is_int(lib_p(r.p), p, "%s: p agrees", recs[i]);
		if (r.sp != MK_DMARC_P_UNSET)
			is_int(lib_p(r.sp), sp, "%s: sp agrees", recs[i]);
		is_int(r.pct, pct, "%s: pct agrees", recs[i]);
		if (adkim != DMARC_RECORD_A_UNSPECIFIED)
			is_int(r.adkim_strict ? 's' : 'r', adkim, "%s: adkim agrees", recs[i]);
		if (aspf != DMARC_RECORD_A_UNSPECIFIED)
			is_int(r.aspf_strict ? 's' : 'r', aspf, "%s: aspf agrees", recs[i]);
		opendmarc_policy_connect_shutdown(pctx);
	}
}

/* ---- a one-record DNS for our side ---------------------------------- */

static const char *zone_name, *zone_txt;

static struct mk_dns_answer *
one_txt(void *arg, const char *name, enum mk_dns_type type)
{
	struct mk_dns_answer *ans = calloc(1, sizeof(*ans));

	(void)arg;
	ans->status = MK_DNS_NXDOMAIN;
	if (type == MK_DNS_TXT && strcmp(name, zone_name) == 0) {
		ans->status = MK_DNS_OK;
		ans->count = 1;
		ans->rr = calloc(1, sizeof(*ans->rr));
		ans->rr[0].text = strdup(zone_txt);
		ans->rr[0].len = strlen(zone_txt);
	}
	return ans;
}

struct verdict_case {
	const char *name, *from, *record, *dkim_d;
	bool libopendmarc_right;
	int want_lib;		/* DMARC_POLICY_* when libopendmarc is right */
	enum mk_dmarc_result want_res;
	enum mk_dmarc_policy want_dis;
};

static const char *
lib_name(int v)
{
	switch (v) {
	case DMARC_POLICY_ABSENT: return "ABSENT";
	case DMARC_POLICY_PASS: return "PASS";
	case DMARC_POLICY_REJECT: return "REJECT";
	case DMARC_POLICY_QUARANTINE: return "QUARANTINE";
	case DMARC_POLICY_NONE: return "NONE";
	}
	return "other";
}

static void
test_verdicts(void)
{
	static const struct verdict_case c[] = {
		{ "aligned pass", "example.com", "v=DMARC1; p=reject", "example.com", true,
		  DMARC_POLICY_PASS, MK_DMARC_RES_PASS, MK_DMARC_P_NONE },
		{ "unaligned reject", "example.com", "v=DMARC1; p=reject", "other.net", true,
		  DMARC_POLICY_REJECT, MK_DMARC_RES_FAIL, MK_DMARC_P_REJECT },
		{ "quarantine", "example.com", "v=DMARC1; p=quarantine", "other.net", true,
		  DMARC_POLICY_QUARANTINE, MK_DMARC_RES_FAIL, MK_DMARC_P_QUARANTINE },
		/* issue 5: adkim=s not enforced by libopendmarc (PR #354) */
		{ "adkim=s, parent signature", "mail.example.com",
		  "v=DMARC1; p=reject; adkim=s", "example.com", false, 0,
		  MK_DMARC_RES_FAIL, MK_DMARC_P_REJECT },
		/* issue 5: pct=0 with p=reject -> quarantine (libopendmarc: no action) */
		{ "pct=0", "example.com", "v=DMARC1; p=reject; pct=0", "other.net", false, 0,
		  MK_DMARC_RES_FAIL, MK_DMARC_P_QUARANTINE },
		/* issue 5: a record not starting with v=DMARC1 is no record */
		{ "v= not first", "example.com", "p=reject; v=DMARC1", "other.net", false, 0,
		  MK_DMARC_RES_NONE, MK_DMARC_P_NONE },
		/* issue 5: invalid p= with a valid rua= acts as p=none (7489 6.6.3) */
		{ "p=bogus with rua", "example.com", "v=DMARC1; p=bogus; rua=mailto:r@example.com",
		  "other.net", false, 0, MK_DMARC_RES_FAIL, MK_DMARC_P_NONE },
	};
	struct mk_dmarc_env env = { MK_DMARC_SPEC_7489, NULL, one_txt, NULL };
	struct mk_dmarc_walk *w = calloc(1, sizeof(*w));
	struct mk_dmarc_outcome *o = calloc(1, sizeof(*o));
	struct mk_dmarc_input in;
	struct mk_psl *psl = NULL;
	char name[300];
	DMARC_POLICY_T *pctx;
	int lib;
	size_t i;

	(void)psl;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		/* libopendmarc */
		pctx = opendmarc_policy_connect_init((u_char *)"192.0.2.1", DMARC_POLICY_IP_TYPE_IPV4);
		opendmarc_policy_store_from_domain(pctx, (u_char *)c[i].from);
		opendmarc_policy_store_dmarc(pctx, (u_char *)c[i].record, (u_char *)c[i].from,
		    (u_char *)"example.com");
		opendmarc_policy_store_dkim(pctx, (u_char *)c[i].dkim_d, (u_char *)"s1",
		    DMARC_POLICY_DKIM_OUTCOME_PASS, NULL);
		lib = opendmarc_get_policy_to_enforce(pctx);
		opendmarc_policy_connect_shutdown(pctx);
		/* ours (the record served at the From domain, 7489 org = example.com
		 * without a PSL: the domain itself; strictness needs no org domain) */
		snprintf(name, sizeof(name), "_dmarc.%s", c[i].from);
		zone_name = name;
		zone_txt = c[i].record;
		mk_dmarc_walk_init(w, &env);
		memset(&in, 0, sizeof(in));
		in.from_domain = c[i].from;
		in.ndkim = 1;
		snprintf(in.dkim[0].domain, sizeof(in.dkim[0].domain), "%s", c[i].dkim_d);
		snprintf(in.dkim[0].result, sizeof(in.dkim[0].result), "pass");
		in.sample = 99;
		mk_dmarc_evaluate(w, &in, o);
		is_str(mk_dmarc_result_name(o->result), mk_dmarc_result_name(c[i].want_res),
		    "%s: our result", c[i].name);
		is_str(mk_dmarc_policy_name(o->disposition), mk_dmarc_policy_name(c[i].want_dis),
		    "%s: our disposition", c[i].name);
		if (c[i].libopendmarc_right)
			is_str(lib_name(lib), lib_name(c[i].want_lib), "%s: libopendmarc agrees",
			    c[i].name);
		else
			diag("%s: libopendmarc 1.4.2 says %s (overridden by mailaka)", c[i].name,
			    lib_name(lib));
	}
	free(o);
	free(w);
}

int
main(void)
{
	OPENDMARC_LIB_T lib;

	memset(&lib, 0, sizeof(lib));
	lib.tld_type = OPENDMARC_TLD_TYPE_NONE;
	if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY) {
		printf("1..0 # SKIP libopendmarc does not initialise\n");
		return 0;
	}
	test_agree();
	test_verdicts();
	opendmarc_policy_library_shutdown(&lib);
	return done_testing();
}
