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
	static const char *const names[] = { "none", "reject", "defer", "prepend", "dunno" };

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

static const char *
sender_domain(const struct mk_policy_req *r)
{
	const char *at = strrchr(r->sender, '@');

	return at ? at + 1 : r->sender;
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
	if (!spf_decide_null_sender(r) && spf_conf_domain_whitelisted(c, sender_domain(r)))
		return "Domain_Whitelist";
	return NULL;
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
		return res == MK_SPF_FAIL || res == MK_SPF_SOFTFAIL || res == MK_SPF_NEUTRAL ||
		    res == MK_SPF_PERMERROR;
	case SPF_REJ_NULL:
		return null_sender && res == MK_SPF_FAIL;
	default:
		return false;
	}
}

enum spf_verdict
spf_decide_identity(const struct spf_conf *c, const struct mk_policy_req *r,
    enum mk_spf_identity id, const struct mk_spf_outcome *o, char *action, size_t actsz)
{
	enum spf_reject mode = id == MK_SPF_ID_HELO ? c->helo_reject : c->mail_from_reject;
	const char *idname = id == MK_SPF_ID_HELO ? "helo" : "mailfrom";

	if (o->result == MK_SPF_TEMPERROR && c->temperror_defer) {
		put(action, actsz, "DEFER_IF_PERMIT 4.7.24 SPF temporary error (%s %s): %s",
		    idname, o->sender, o->reason);
		return SPF_V_DEFER;
	}
	if (o->result == MK_SPF_PERMERROR && c->permerror_reject) {
		put(action, actsz, "550 5.7.24 SPF permanent error (%s %s): %s",
		    idname, o->sender, o->reason);
		return SPF_V_REJECT;
	}
	if (rejects(mode, o->result, spf_decide_null_sender(r))) {
		if (o->result == MK_SPF_FAIL)
			put(action, actsz, "550 5.7.23 %s",
			    o->has_exp ? o->explanation : c->default_exp);
		else
			put(action, actsz, "550 5.7.23 SPF %s (%s %s)",
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
