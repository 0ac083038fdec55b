/*
 * t/unit/test_policy_spf.c: mailaka-spf configuration and decisions
 * (policyd-spf.conf semantics), without sockets.
 */
#include <string.h>

#include "decide.h"
#include "log.h"
#include "spf_conf.h"
#include "tap.h"

static struct spf_conf *
conf(const char *text)
{
	char err[512] = "";
	struct spf_conf *c = spf_conf_parse(text, strlen(text), err, sizeof(err));

	if (c == NULL)
		diag("config error: %s", err);
	return c;
}

static void
req_init(struct mk_policy_req *r, const char *ip, const char *sender, const char *helo)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->request, sizeof(r->request), "smtpd_access_policy");
	snprintf(r->client_address, sizeof(r->client_address), "%s", ip);
	snprintf(r->sender, sizeof(r->sender), "%s", sender);
	snprintf(r->helo_name, sizeof(r->helo_name), "%s", helo);
	r->nattrs = 4;
}

static void
outcome(struct mk_spf_outcome *o, enum mk_spf_result res, const char *sender, const char *exp)
{
	memset(o, 0, sizeof(*o));
	o->result = res;
	snprintf(o->sender, sizeof(o->sender), "%s", sender);
	snprintf(o->reason, sizeof(o->reason), "test reason");
	if (exp) {
		o->has_exp = true;
		snprintf(o->explanation, sizeof(o->explanation), "%s", exp);
	}
}

static void
test_conf(void)
{
	struct spf_conf *c;
	char err[512];

	c = conf("");
	ok(c != NULL, "empty config loads (defaults)");
	if (c) {
		is_int(c->helo_reject, SPF_REJ_FAIL, "HELO_reject default Fail");
		is_int(c->mail_from_reject, SPF_REJ_FAIL, "Mail_From_reject default Fail");
		ok(!c->permerror_reject && !c->temperror_defer, "error actions default off");
		ok(spf_netlist_match(&c->skip, "127.0.0.1"), "skip_addresses default has loopback");
		ok(spf_netlist_match(&c->skip, "::1"), "skip_addresses default has ::1");
		ok(spf_netlist_match(&c->skip, "::ffff:127.0.0.5"), "IPv4-mapped loopback skipped");
		ok(!spf_netlist_match(&c->skip, "192.0.2.1"), "192.0.2.1 not skipped");
		spf_conf_unref(c);
	}
	/* a policyd-spf.conf as Debian ships it, plus our keys */
	c = conf("debugLevel = 1\nTestOnly = 1\nHELO_reject = SPF_Not_Pass\n"
	    "Mail_From_reject = Softfail\nPermError_reject = True\nTempError_Defer = True\n"
	    "skip_addresses = 127.0.0.0/8,::ffff:127.0.0.0/104,::1\n"
	    "Whitelist = 192.0.2.0/24, 2001:db8::/32\nDomain_Whitelist = example.org\n"
	    "Header_Type = AR\nAuthserv_Id = mx.example.net\n");
	ok(c != NULL, "policyd-spf.conf style file loads");
	if (c) {
		is_int(c->helo_reject, SPF_REJ_NOT_PASS, "HELO_reject SPF_Not_Pass");
		is_int(c->mail_from_reject, SPF_REJ_SOFTFAIL, "Mail_From_reject Softfail");
		ok(c->permerror_reject && c->temperror_defer, "error actions on");
		ok(c->header_ar, "Header_Type AR");
		ok(spf_netlist_match(&c->whitelist, "192.0.2.77"), "Whitelist v4 CIDR");
		ok(spf_netlist_match(&c->whitelist, "2001:db8:1::1"), "Whitelist v6 CIDR");
		is_int((int)c->n_domain_whitelist, 1, "Domain_Whitelist: one domain");
		ok(spf_decide_has_dns_whitelist(c), "Domain_Whitelist needs the DNS whitelist check");
		ok(!c->test_only, "TestOnly = 1: normal operation");
		is_int(c->log_level, MK_LOG_INFO, "debugLevel = 1 -> info");
		spf_conf_unref(c);
	}
	ok(spf_conf_parse("HELO_reject = Maybe\n", 19, err, sizeof(err)) == NULL, "bad HELO_reject rejected");
	ok(strstr(err, "(test):1") != NULL, "error names file:line (%s)", err);
	ok(spf_conf_parse("Whitelist = 10.0.0.0/33\n", 24, err, sizeof(err)) == NULL, "bad CIDR rejected");
	ok(spf_conf_parse("Header_Type = XML\n", 18, err, sizeof(err)) == NULL, "bad Header_Type rejected");
}

static void
test_decide(void)
{
	struct spf_conf *c = conf("skip_addresses = 127.0.0.0/8\nWhitelist = 198.51.100.7\n"
	    "Domain_Whitelist = trusted.example\nAuthserv_Id = mx.test\n");
	struct spf_conf *c2 = conf("Mail_From_reject = False\nPermError_reject = yes\n"
	    "TempError_Defer = yes\nHeader_Type = AR\nAuthserv_Id = mx.test\nHELO_reject = Null\n");
	struct mk_policy_req r;
	struct mk_spf_outcome o;
	char act[MK_POLICY_REPLY_MAX];

	if (c == NULL || c2 == NULL)
		return;
	req_init(&r, "127.0.0.1", "a@example.org", "h.example.org");
	is_str(spf_decide_skip(c, &r), "skip_addresses", "loopback skipped");
	req_init(&r, "198.51.100.7", "a@example.org", "h.example.org");
	is_str(spf_decide_skip(c, &r), "Whitelist", "whitelisted client");
	req_init(&r, "192.0.2.1", "a@trusted.example", "h.example.org");
	is_str(spf_decide_skip(c, &r), NULL,
	    "Domain_Whitelist is not about the sender's domain (policyd-spf semantics)");
	req_init(&r, "192.0.2.1", "a@example.org", "h.example.org");
	snprintf(r.sasl_username, sizeof(r.sasl_username), "alice");
	is_str(spf_decide_skip(c, &r), "authenticated client", "SASL client skipped");
	req_init(&r, "192.0.2.1", "a@example.org", "h.example.org");
	is_str(spf_decide_skip(c, &r), NULL, "ordinary client checked");

	outcome(&o, MK_SPF_FAIL, "a@example.org", "Not allowed from 192.0.2.1");
	is_int(spf_decide_identity(c, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act)), SPF_V_REJECT,
	    "mailfrom fail rejected");
	is_str(act, "550 5.7.23 Not allowed from 192.0.2.1", "reject text is the explanation");
	outcome(&o, MK_SPF_FAIL, "a@example.org", NULL);
	spf_decide_identity(c, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act));
	is_str(act, "550 5.7.23 SPF fail - not authorized", "default explanation");
	outcome(&o, MK_SPF_SOFTFAIL, "a@example.org", NULL);
	is_int(spf_decide_identity(c, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act)), SPF_V_NONE,
	    "softfail not rejected with Fail");
	outcome(&o, MK_SPF_PERMERROR, "a@example.org", NULL);
	is_int(spf_decide_identity(c, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act)), SPF_V_NONE,
	    "permerror not rejected by default");
	is_int(spf_decide_identity(c2, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act)), SPF_V_NONE,
	    "Mail_From_reject = False overrides PermError_reject (policyd-spf)");
	is_int(spf_decide_identity(c2, &r, MK_SPF_ID_HELO, &o, act, sizeof(act)), SPF_V_REJECT,
	    "permerror rejected with PermError_reject");
	ok(strncmp(act, "550 5.7.24 ", 11) == 0, "permerror reply 550 5.7.24 (%s)", act);
	outcome(&o, MK_SPF_TEMPERROR, "a@example.org", NULL);
	is_int(spf_decide_identity(c2, &r, MK_SPF_ID_HELO, &o, act, sizeof(act)), SPF_V_DEFER,
	    "temperror deferred with TempError_Defer");
	ok(strncmp(act, "DEFER_IF_PERMIT 4.7.24 ", 23) == 0, "temperror reply (%s)", act);
	outcome(&o, MK_SPF_FAIL, "a@example.org", NULL);
	is_int(spf_decide_identity(c2, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act)), SPF_V_NONE,
	    "Mail_From_reject False: fail only labelled");
	/* HELO_reject = Null: reject a HELO fail only for the null sender */
	outcome(&o, MK_SPF_FAIL, "postmaster@h.example.org", NULL);
	is_int(spf_decide_identity(c2, &r, MK_SPF_ID_HELO, &o, act, sizeof(act)), SPF_V_NONE,
	    "Null: HELO fail with a sender not rejected");
	req_init(&r, "192.0.2.1", "", "h.example.org");
	is_int(spf_decide_identity(c2, &r, MK_SPF_ID_HELO, &o, act, sizeof(act)), SPF_V_REJECT,
	    "Null: HELO fail with the null sender rejected");

	/* headers: identity always labelled */
	req_init(&r, "192.0.2.1", "a@example.org", "h.example.org");
	outcome(&o, MK_SPF_PASS, "a@example.org", NULL);
	spf_decide_header(c, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act));
	is_str(act, "PREPEND Received-SPF: pass (mailaka-spf: domain of a@example.org designates "
	    "192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from=\"a@example.org\"; "
	    "helo=\"h.example.org\"; identity=mailfrom", "Received-SPF for mailfrom");
	outcome(&o, MK_SPF_PASS, "postmaster@h.example.org", NULL);
	spf_decide_header(c2, &r, MK_SPF_ID_HELO, &o, act, sizeof(act));
	is_str(act, "PREPEND Authentication-Results: mx.test; spf=pass smtp.helo=h.example.org",
	    "AR for a HELO pass says smtp.helo, never smtp.mailfrom");
	outcome(&o, MK_SPF_PASS, "a@example.org", NULL);
	spf_decide_header(c2, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act));
	is_str(act, "PREPEND Authentication-Results: mx.test; spf=pass smtp.mailfrom=a@example.org",
	    "AR for mailfrom");
	outcome(&o, MK_SPF_PASS, "a b@example.org", NULL);
	spf_decide_header(c2, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act));
	is_str(act, "PREPEND Authentication-Results: mx.test; spf=pass smtp.mailfrom=\"a b@example.org\"",
	    "AR: a local part with a space is quoted");
	req_init(&r, "192.0.2.1", "a\"(x)@example.org", "h.example.org");
	outcome(&o, MK_SPF_PERMERROR, "a\"(x)@example.org", NULL);
	spf_decide_header(c, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act));
	ok(strstr(act, "envelope-from=\"a\\\"(x)@example.org\"") != NULL, "sender quoted (%s)", act);
	ok(strstr(act, "problem=\"test reason\"") != NULL, "permerror has problem=");
	spf_conf_unref(c);
	spf_conf_unref(c2);
}

static char warnings[4096];

static void
sink(enum mk_log_level level, const char *line, void *arg)
{
	(void)arg;
	if (level <= MK_LOG_WARN && strlen(warnings) + strlen(line) + 2 < sizeof(warnings)) {
		strcat(warnings, line);
		strcat(warnings, "\n");
	}
}

/* policyd-spf.conf keys: trace headers, TestOnly, status codes, ... */
static void
test_policyd_keys(void)
{
	struct spf_conf *c = conf("skip_addresses = 127.0.0.0/8\nWhitelist = 198.51.100.7\n"
	    "Authserv_Id = mx.test\n");
	struct spf_conf *c2 = conf("Hide_Receiver = No\nHeader_Type = AR\nAuthserv_Id = mx.test\n"
	    "TestOnly = 0\nSPF_Enhanced_Status_Codes = No\nTempError_Defer = True\n"
	    "HELO_reject = False\nMail_From_reject = SPF_Not_Pass\ndebugLevel = 0\n");
	struct spf_conf *c3 = conf("Header_Type = None\nMock = True\ndebugLevel = 3\n");
	struct mk_policy_req r;
	struct mk_spf_outcome o;
	char act[MK_POLICY_REPLY_MAX];

	if (c == NULL || c2 == NULL || c3 == NULL)
		return;
	req_init(&r, "127.0.0.1", "A@Example.ORG", "H.example.org");
	snprintf(r.recipient, sizeof(r.recipient), "bob@Dest.example");
	spf_decide_trace(c, &r, spf_decide_skip(c, &r), act, sizeof(act));
	is_str(act, "PREPEND X-Comment: SPF check N/A for local connections - client-ip=127.0.0.1; "
	    "helo=h.example.org; envelope-from=a@example.org; receiver=<UNKNOWN> ",
	    "skip_addresses: policyd-spf's X-Comment, lower-cased, receiver hidden");
	req_init(&r, "198.51.100.7", "", "h.example.org");
	spf_decide_trace(c, &r, spf_decide_skip(c, &r), act, sizeof(act));
	is_str(act, "PREPEND X-Comment: SPF skipped for whitelisted relay - client-ip=198.51.100.7; "
	    "helo=h.example.org; envelope-from=; receiver=<UNKNOWN> ", "Whitelist: X-Comment");
	snprintf(r.recipient, sizeof(r.recipient), "bob@Dest.example");
	spf_decide_trace(c2, &r, "Domain_Whitelist", act, sizeof(act));
	is_str(act, "PREPEND Authentication-Results: mx.test; none (SPF skipped for whitelisted relay "
	    "domain -  client-ip=198.51.100.7; helo=h.example.org; envelope-from=; "
	    "receiver=dest.example)", "AR form, Hide_Receiver = No: the recipient's domain");
	spf_decide_trace(c3, &r, "Whitelist", act, sizeof(act));
	is_str(act, "DUNNO", "Header_Type = None: no trace header");
	ok(c3->mock, "Mock = True");
	is_int(c3->log_level, MK_LOG_DEBUG, "debugLevel = 3 -> debug");
	is_int(c2->log_level, MK_LOG_ERR, "debugLevel = 0 -> errors only");

	/* TestOnly = 0: a reject becomes DUNNO; a header stays */
	snprintf(act, sizeof(act), "550 5.7.23 no");
	is_int(spf_decide_mode(c2, SPF_V_REJECT, act, sizeof(act)), SPF_V_DUNNO, "TestOnly = 0: no reject");
	is_str(act, "DUNNO", "TestOnly = 0: DUNNO");
	snprintf(act, sizeof(act), "PREPEND Received-SPF: x");
	is_int(spf_decide_mode(c2, SPF_V_PREPEND, act, sizeof(act)), SPF_V_PREPEND, "TestOnly = 0: header kept");
	is_int(spf_decide_mode(c3, SPF_V_PREPEND, act, sizeof(act)), SPF_V_DUNNO, "Header_Type None: DUNNO");
	is_int(spf_decide_mode(c, SPF_V_REJECT, act, sizeof(act)), SPF_V_REJECT, "default: reject kept");

	/* SPF_Enhanced_Status_Codes = No; HELO_reject = False beats TempError_Defer */
	req_init(&r, "192.0.2.1", "a@example.org", "h.example.org");
	outcome(&o, MK_SPF_NEUTRAL, "a@example.org", NULL);
	is_int(spf_decide_identity(c2, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act)), SPF_V_REJECT,
	    "SPF_Not_Pass rejects neutral");
	is_str(act, "550 SPF neutral (mailfrom a@example.org)", "no enhanced status code");
	outcome(&o, MK_SPF_TEMPERROR, "a@example.org", NULL);
	is_int(spf_decide_identity(c2, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act)), SPF_V_DEFER,
	    "TempError_Defer");
	ok(strncmp(act, "DEFER_IF_PERMIT SPF temporary", 29) == 0, "defer without 4.7.24 (%s)", act);
	outcome(&o, MK_SPF_TEMPERROR, "postmaster@h.example.org", NULL);
	is_int(spf_decide_identity(c2, &r, MK_SPF_ID_HELO, &o, act, sizeof(act)), SPF_V_NONE,
	    "HELO_reject = False: not even a temperror defers");
	outcome(&o, MK_SPF_PERMERROR, "a@example.org", NULL);
	is_int(spf_decide_identity(c2, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act)), SPF_V_NONE,
	    "SPF_Not_Pass without PermError_reject: permerror not rejected (policyd-spf 3.0.4)");
	spf_conf_unref(c);
	spf_conf_unref(c2);
	spf_conf_unref(c3);

	/* Reject_Not_Pass_Domains: neutral/softfail of a listed domain rejected */
	c = conf("Reject_Not_Pass_Domains = aol.example,mail.hotmail.example\nMail_From_reject = False\n");
	if (c != NULL) {
		req_init(&r, "192.0.2.1", "a@AOL.example", "h.example.org");
		outcome(&o, MK_SPF_SOFTFAIL, "a@aol.example", NULL);
		is_int(spf_decide_identity(c, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act)), SPF_V_REJECT,
		    "Reject_Not_Pass_Domains: softfail of a listed domain rejected (over False)");
		req_init(&r, "192.0.2.1", "a@sub.aol.example", "h.example.org");
		is_int(spf_decide_identity(c, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act)), SPF_V_NONE,
		    "Reject_Not_Pass_Domains: a subdomain is not listed (pyspf domainmatch)");
		req_init(&r, "192.0.2.1", "a@hotmail.example", "h.example.org");
		is_int(spf_decide_identity(c, &r, MK_SPF_ID_MAILFROM, &o, act, sizeof(act)), SPF_V_REJECT,
		    "Reject_Not_Pass_Domains: a parent of a listed domain matches (policyd-spf)");
		req_init(&r, "192.0.2.1", "a@example.org", "aol.example");
		outcome(&o, MK_SPF_NEUTRAL, "postmaster@aol.example", NULL);
		is_int(spf_decide_identity(c, &r, MK_SPF_ID_HELO, &o, act, sizeof(act)), SPF_V_REJECT,
		    "Reject_Not_Pass_Domains: HELO neutral of a listed name rejected");
		outcome(&o, MK_SPF_PASS, "postmaster@aol.example", NULL);
		is_int(spf_decide_identity(c, &r, MK_SPF_ID_HELO, &o, act, sizeof(act)), SPF_V_NONE,
		    "Reject_Not_Pass_Domains: a pass is a pass");
		spf_conf_unref(c);
	}

	/* HELO_pass_restriction / Mail_From_pass_restriction */
	c = conf("HELO_pass_restriction = helo_ok\nMail_From_pass_restriction = mf_ok\n");
	if (c != NULL) {
		struct mk_spf_outcome h, m;
		req_init(&r, "192.0.2.1", "a@example.org", "h.example.org");
		outcome(&h, MK_SPF_PASS, "postmaster@h.example.org", NULL);
		outcome(&m, MK_SPF_PASS, "a@example.org", NULL);
		is_str(spf_decide_restriction(c, &r, &h, &m), "mf_ok", "both pass: Mail From restriction");
		outcome(&m, MK_SPF_FAIL, "a@example.org", NULL);
		is_str(spf_decide_restriction(c, &r, &h, &m), "helo_ok", "HELO pass beats a MAIL FROM fail");
		is_str(spf_decide_restriction(c, &r, NULL, &m), NULL, "HELO not checked, MAIL FROM fail: none");
		is_str(spf_decide_restriction(c, &r, &h, NULL), NULL, "MAIL FROM not checked: none (policyd-spf)");
		snprintf(act, sizeof(act), "mf_ok");
		spf_conf_unref(c);
		c = conf("Mail_From_pass_restriction = mf_ok\nTestOnly = 0\n");
		is_int(spf_decide_mode(c, SPF_V_RESTRICT, act, sizeof(act)), SPF_V_DUNNO,
		    "TestOnly = 0: a restriction becomes DUNNO");
		spf_conf_unref(c);
	}
	ok(spf_conf_parse("HELO_pass_restriction = a b\n", 27, act, sizeof(act)) == NULL,
	    "a restriction name with a space is refused");

	/* keys known but not implemented: a warning naming file:line */
	warnings[0] = '\0';
	c = conf("HELO_reject = Fail\nNo_Mail = True\nQueueID = True\nReason_Message = x {spf}\n");
	ok(c != NULL, "config with unimplemented keys loads");
	ok(strstr(warnings, "(test):2: No_Mail is a policyd-spf setting that mailaka-spf does not "
	    "implement") != NULL, "No_Mail: warning with file:line");
	ok(strstr(warnings, "(test):4: Reason_Message") != NULL, "Reason_Message: warning");
	ok(strstr(warnings, "QueueID") == NULL, "QueueID = True is what mailaka-spf does: no warning");
	spf_conf_unref(c);
}

int
main(void)
{
	mk_log_set_sink(sink, NULL);
	test_conf();
	test_decide();
	test_policyd_keys();
	return done_testing();
}
