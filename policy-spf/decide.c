/*
 * policy-spf/decide.c: decisions and header text (see decide.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "decide.h"

/* snprintf that may cut (the reply has a fixed maximum anyway). */
__attribute__((format(printf, 3, 4))) static void
put(char *out, size_t outsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, outsz, fmt, ap);
	va_end(ap);
}

const char *
spf_verdict_name(enum spf_verdict v)
{
	static const char *const names[] = { "none", "reject", "defer", "prepend", "dunno",
	    "restrict" };

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

bool
spf_decide_null_sender(const struct mk_policy_req *r)
{
	return r->sender[0] == '\0' || strcmp(r->sender, "<>") == 0;
}

const char *
spf_decide_skip(const struct spf_conf *c, const struct mk_policy_req *r)
{
	if (r->sasl_username[0] != '\0')
		return "authenticated client";
	if (spf_netlist_match(&c->skip, r->client_address))
		return "skip_addresses";
	if (spf_netlist_match(&c->whitelist, r->client_address))
		return "Whitelist";
	return NULL;
}

bool
spf_decide_has_dns_whitelist(const struct spf_conf *c)
{
	return c->n_domain_whitelist > 0 || c->n_helo_whitelist > 0 || c->n_domain_whitelist_ptr > 0;
}

/* The comment policyd-spf 3.0.4 writes for each reason (spf_engine). */
static const char *
trace_comment(const char *why)
{
	static const struct { const char *why, *text; } t[] = {
		{ "skip_addresses", "SPF check N/A for local connections - " },
		{ "Whitelist", "SPF skipped for whitelisted relay - " },
		{ "Domain_Whitelist", "SPF skipped for whitelisted relay domain - " },
		{ "HELO_Whitelist", "SPF skipped for whitelisted HELO domain - " },
		{ "Domain_Whitelist_PTR", "SPF skipped for PTR whitelisted relay domain - " },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(why, t[i].why) == 0)
			return t[i].text;
	}
	return "SPF skipped - ";
}

/* A request value as policyd-spf shows it: lower-cased, control bytes
 * dropped (they cannot be in a header). */
static void
lower(const char *in, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *in != '\0' && n + 1 < outsz; in++) {
		if ((unsigned char)*in < 0x20 || *in == 0x7f)
			continue;
		out[n++] = (char)tolower((unsigned char)*in);
	}
	out[n] = '\0';
}

/* policyd-spf's receiver: <UNKNOWN> when hidden, else the recipient's
 * domain ("none" without a recipient). */
static void
trace_receiver(const struct spf_conf *c, const struct mk_policy_req *r, char *out, size_t outsz)
{
	const char *at, *end;
	char tmp[MK_POLICY_VALUE_MAX];

	if (c->hide_receiver) {
		put(out, outsz, "<UNKNOWN>");
		return;
	}
	if (r->recipient[0] == '\0') {
		put(out, outsz, "none");
		return;
	}
	at = strchr(r->recipient, '@');
	if (at == NULL) {
		lower(r->recipient, out, outsz);
		return;
	}
	end = strchr(at + 1, '@');
	put(tmp, sizeof(tmp), "%.*s", (int)(end ? end - at - 1 : (long)strlen(at + 1)), at + 1);
	lower(tmp, out, outsz);
}

void
spf_decide_trace(const struct spf_conf *c, const struct mk_policy_req *r, const char *why,
    char *action, size_t actsz)
{
	char ip[64], helo[MK_POLICY_VALUE_MAX], from[MK_POLICY_VALUE_MAX], rcpt[MK_POLICY_VALUE_MAX];

	if (c->header_none) {
		put(action, actsz, "DUNNO");
		return;
	}
	lower(r->client_address, ip, sizeof(ip));
	lower(r->helo_name, helo, sizeof(helo));
	lower(r->sender, from, sizeof(from));
	trace_receiver(c, r, rcpt, sizeof(rcpt));
	if (c->header_ar)
		put(action, actsz, "PREPEND Authentication-Results: %s; none (%s client-ip=%s; "
		    "helo=%s; envelope-from=%s; receiver=%s)", c->authserv_id, trace_comment(why),
		    ip, helo, from, rcpt);
	else
		put(action, actsz, "PREPEND X-Comment: %sclient-ip=%s; helo=%s; envelope-from=%s; "
		    "receiver=%s ", trace_comment(why), ip, helo, from, rcpt);
}

const char *
spf_decide_restriction(const struct spf_conf *c, const struct mk_policy_req *r,
    const struct mk_spf_outcome *helo, const struct mk_spf_outcome *mf)
{
	bool helo_pass = helo != NULL && helo->result == MK_SPF_PASS;

	if (mf == NULL)
		return NULL;	/* Mail_From_reject = No_Check: policyd-spf answers the HELO header */
	if (spf_decide_null_sender(r))	/* policyd-spf: the HELO result only */
		return helo_pass ? c->helo_pass_restriction : NULL;
	if (c->mail_from_pass_restriction != NULL && mf->result == MK_SPF_PASS)
		return c->mail_from_pass_restriction;
	return helo_pass ? c->helo_pass_restriction : NULL;
}

enum spf_verdict
spf_decide_mode(const struct spf_conf *c, enum spf_verdict v, char *action, size_t actsz)
{
	if (c->test_only && (v == SPF_V_REJECT || v == SPF_V_DEFER || v == SPF_V_RESTRICT)) {
		put(action, actsz, "DUNNO");
		return SPF_V_DUNNO;
	}
	if (c->header_none && v == SPF_V_PREPEND) {
		put(action, actsz, "DUNNO");
		return SPF_V_DUNNO;
	}
	return v;
}

static bool
rejects(enum spf_reject mode, enum mk_spf_result res, bool null_sender)
{
	switch (mode) {
	case SPF_REJ_FAIL:
		return res == MK_SPF_FAIL;
	case SPF_REJ_SOFTFAIL:
		return res == MK_SPF_FAIL || res == MK_SPF_SOFTFAIL;
	case SPF_REJ_NOT_PASS:
		/* as policyd-spf 3.0.4 does: a permerror only with PermError_reject */
		return res == MK_SPF_FAIL || res == MK_SPF_SOFTFAIL || res == MK_SPF_NEUTRAL;
	case SPF_REJ_NULL:
		return null_sender && res == MK_SPF_FAIL;
	default:
		return false;
	}
}

/* Reject_Not_Pass_Domains: is the identity's domain listed?  As
 * policyd-spf (pyspf's domainmatch(list, domain)): a listed domain equal to
 * it, or under it. */
static bool
reject_not_pass_listed(const struct spf_conf *c, const char *domain)
{
	size_t i, dl = strlen(domain), ll;

	if (dl == 0)
		return false;
	for (i = 0; i < c->n_reject_not_pass; i++) {
		const char *l = c->reject_not_pass[i];
		ll = strlen(l);
		if (strcasecmp(l, domain) == 0 ||
		    (ll > dl && l[ll - dl - 1] == '.' && strcasecmp(l + ll - dl, domain) == 0))
			return true;
	}
	return false;
}

enum spf_verdict
spf_decide_identity(const struct spf_conf *c, const struct mk_policy_req *r,
    enum mk_spf_identity id, const struct mk_spf_outcome *o, char *action, size_t actsz)
{
	enum spf_reject mode = id == MK_SPF_ID_HELO ? c->helo_reject : c->mail_from_reject;
	const char *idname = id == MK_SPF_ID_HELO ? "helo" : "mailfrom";
	const char *at = strchr(r->sender, '@');
	bool ec = c->enhanced_codes;

	/* the listed domains' policy replaces the configured one */
	if (reject_not_pass_listed(c, id == MK_SPF_ID_HELO ? r->helo_name : at ? at + 1 : ""))
		mode = SPF_REJ_NOT_PASS;

	/* False: never reject or defer, not even for errors (policyd-spf) */
	if (mode == SPF_REJ_FALSE)
		return SPF_V_NONE;
	if (o->result == MK_SPF_TEMPERROR && c->temperror_defer) {
		put(action, actsz, "DEFER_IF_PERMIT %sSPF temporary error (%s %s): %s",
		    ec ? "4.7.24 " : "", idname, o->sender, o->reason);
		return SPF_V_DEFER;
	}
	if (o->result == MK_SPF_PERMERROR && c->permerror_reject) {
		put(action, actsz, "550 %sSPF permanent error (%s %s): %s",
		    ec ? "5.7.24 " : "", idname, o->sender, o->reason);
		return SPF_V_REJECT;
	}
	if (rejects(mode, o->result, spf_decide_null_sender(r))) {
		if (o->result == MK_SPF_FAIL)
			put(action, actsz, "550 %s%s", ec ? "5.7.23 " : "",
			    o->has_exp ? o->explanation : c->default_exp);
		else
			put(action, actsz, "550 %sSPF %s (%s %s)", ec ? "5.7.23 " : "",
			    mk_spf_result_name(o->result), idname, o->sender);
		return SPF_V_REJECT;
	}
	return SPF_V_NONE;
}

/* A header value as an RFC 5322 quoted-string, control bytes dropped. */
static void
quote(const char *in, char *out, size_t outsz)
{
	size_t n = 0;

	if (outsz < 3) {
		if (outsz)
			out[0] = '\0';
		return;
	}
	out[n++] = '"';
	for (; *in != '\0' && n + 3 < outsz; in++) {
		unsigned char ch = (unsigned char)*in;
		if (ch < 0x20 || ch == 0x7f)
			continue;
		if (ch == '"' || ch == '\\')
			out[n++] = '\\';
		out[n++] = (char)ch;
	}
	out[n++] = '"';
	out[n] = '\0';
}

/* RFC 8601 pvalue: as is when made of atext, '.' and '@'; else quoted. */
static void
pvalue(const char *in, char *out, size_t outsz)
{
	const char *p;

	for (p = in; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("!#$%&'*+-/=?^_`{|}~.@", *p) == NULL)
			break;
	}
	if (*p == '\0' && *in != '\0' && strlen(in) < outsz)
		memcpy(out, in, strlen(in) + 1);
	else
		quote(in, out, outsz);
}

static void
comment(const struct mk_spf_outcome *o, const char *ip, char *out, size_t outsz)
{
	switch (o->result) {
	case MK_SPF_PASS:
		put(out, outsz, "domain of %s designates %s as permitted sender", o->sender, ip);
		break;
	case MK_SPF_FAIL:
		put(out, outsz, "domain of %s does not designate %s as permitted sender",
		    o->sender, ip);
		break;
	case MK_SPF_SOFTFAIL:
		put(out, outsz, "domain of transitioning %s does not designate %s as permitted sender",
		    o->sender, ip);
		break;
	case MK_SPF_NEUTRAL:
		put(out, outsz, "%s is neither permitted nor denied by domain of %s", ip, o->sender);
		break;
	case MK_SPF_NONE:
		put(out, outsz, "domain of %s does not designate permitted sender hosts", o->sender);
		break;
	case MK_SPF_PERMERROR:
		put(out, outsz, "permanent error in processing domain of %s", o->sender);
		break;
	default:
		put(out, outsz, "temporary error in processing during lookup of %s", o->sender);
		break;
	}
	/* a comment may not hold parentheses from the sender unescaped */
	for (; *out != '\0'; out++) {
		if (*out == '(' || *out == ')' || *out == '\\' || (unsigned char)*out < 0x20)
			*out = ' ';
	}
}

void
spf_decide_header(const struct spf_conf *c, const struct mk_policy_req *r,
    enum mk_spf_identity id, const struct mk_spf_outcome *o, char *action, size_t actsz)
{
	char from[600], helo[600], why[600], problem[700], receiver[300];
	const char *res = mk_spf_result_name(o->result);

	if (c->header_ar) {
		/* RFC 8601: smtp.mailfrom / smtp.helo carry the identity; a
		 * value that is not a plain token is quoted */
		pvalue(id == MK_SPF_ID_HELO ? r->helo_name : o->sender, from, sizeof(from));
		put(action, actsz, "PREPEND Authentication-Results: %s; spf=%s smtp.%s=%s",
		    c->authserv_id, res, id == MK_SPF_ID_HELO ? "helo" : "mailfrom", from);
		return;
	}
	comment(o, r->client_address, why, sizeof(why));
	quote(o->sender, from, sizeof(from));
	quote(r->helo_name, helo, sizeof(helo));
	problem[0] = receiver[0] = '\0';
	if (o->result == MK_SPF_PERMERROR || o->result == MK_SPF_TEMPERROR) {
		char q[600];
		quote(o->reason, q, sizeof(q));
		put(problem, sizeof(problem), " problem=%s;", q);
	}
	if (!c->hide_receiver)
		put(receiver, sizeof(receiver), " receiver=%s;", c->authserv_id);
	put(action, actsz, "PREPEND Received-SPF: %s (mailaka-spf: %s) client-ip=%s;"
	    " envelope-from=%s; helo=%s;%s%s identity=%s", res, why, r->client_address, from, helo,
	    receiver, problem, id == MK_SPF_ID_HELO ? "helo" : "mailfrom");
}
