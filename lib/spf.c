/*
 * lib/spf.c: RFC 7208 check_host(), evaluated against a lookup function
 * (see spf.h for the restartable design).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spf.h"
#include "spf_macro.h"
#include "spf_record.h"

#define R_PENDING (-1)		/* internal: a lookup is missing */
#define R_FOUND (-3)		/* internal: record found */
#define SPF_NAME_BUF (MK_SPF_MACRO_OUT_MAX)

struct spf_ctx {
	const struct mk_spf_query *q;
	mk_spf_lookup_fn lookup;
	void *arg;
	struct mk_spf_outcome *out;
	struct mk_spf_macro_env env;
	char local[256];
	char odomain[MK_DNS_NAME_MAX + 2];
	char client[INET6_ADDRSTRLEN];
	char ptr[MK_DNS_NAME_MAX + 2];
	unsigned lookups, voids;
};

/* Copy with truncation (snprintf "%s" without the truncation warning). */
static void
spf_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (dstsz == 0)
		return;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *const result_names[] = {
	[MK_SPF_NONE] = "none", [MK_SPF_NEUTRAL] = "neutral", [MK_SPF_PASS] = "pass",
	[MK_SPF_FAIL] = "fail", [MK_SPF_SOFTFAIL] = "softfail",
	[MK_SPF_TEMPERROR] = "temperror", [MK_SPF_PERMERROR] = "permerror",
};

const char *
mk_spf_result_name(enum mk_spf_result r)
{
	if ((unsigned)r < sizeof(result_names) / sizeof(result_names[0]))
		return result_names[r];
	return "unknown";
}

int
mk_spf_result_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(result_names) / sizeof(result_names[0]); i++) {
		if (strcasecmp(name, result_names[i]) == 0)
			return (int)i;
	}
	return -1;
}

__attribute__((format(printf, 3, 4))) static int
spf_reason(struct spf_ctx *c, int result, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->out->reason, sizeof(c->out->reason), fmt, ap);
	va_end(ap);
	return result;
}

/* RFC 7208 4.3: a name that is not a multi-label FQDN gives "none". */
static bool
spf_domain_ok(const char *d)
{
	size_t len = strlen(d), lab = 0, labels = 0, i, last = 0;
	bool digits_only = true;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > MK_DNS_NAME_MAX || d[0] == '[')
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || d[i] == '.') {
			if (lab == 0 || lab > 63)
				return false;
			labels++;
			lab = 0;
			if (i < len)
				last = i + 1;
			continue;
		}
		lab++;
	}
	for (i = last; i < len; i++) {
		if (!isdigit((unsigned char)d[i]))
			digits_only = false;
	}
	return labels >= 2 && !digits_only;
}

/* A name with an empty label, a label over 63 octets or over 253 octets
 * cannot be queried: it is an error answer (no match, not void). */
static bool
spf_name_queryable(const char *name)
{
	size_t lab = 0, n = 0;

	for (; name[n] != '\0'; n++) {
		if (name[n] == '.') {
			if (lab == 0 || lab > 63)
				return false;
			lab = 0;
		} else {
			lab++;
		}
	}
	return n > 0 && n <= MK_DNS_NAME_MAX && lab > 0 && lab <= 63;
}

static const struct mk_dns_answer spf_bad_name = { .status = MK_DNS_ERROR, .why = "bad name" };

static const struct mk_dns_answer *
spf_lookup(struct spf_ctx *c, const char *name, enum mk_dns_type type)
{
	const struct mk_dns_answer *a;

	if (!spf_name_queryable(name))
		return &spf_bad_name;
	a = c->lookup(c->arg, name, type);

	if (a == NULL) {
		c->out->pending = true;
		spf_copy(c->out->need_name, sizeof(c->out->need_name), name);
		c->out->need_type = type;
	}
	return a;
}

static bool
spf_dns_failed(const struct mk_dns_answer *a)
{
	return a->status == MK_DNS_SERVFAIL || a->status == MK_DNS_TIMEOUT;
}

static bool
spf_name_eq_or_sub(const char *name, const char *target)
{
	size_t n = strlen(name), t = strlen(target);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (t > 0 && target[t - 1] == '.')
		t--;
	if (n == t)
		return strncasecmp(name, target, n) == 0;
	return n > t && name[n - t - 1] == '.' && strncasecmp(name + n - t, target, t) == 0;
}

/* Does an address RR match the client within cidr bits? */
static bool
spf_ip_match(const struct spf_ctx *c, const void *addr, int family, unsigned bits)
{
	const unsigned char *a, *b;
	unsigned full, rem;

	if (family != c->env.family)
		return false;
	a = family == AF_INET ? (const unsigned char *)&c->env.ip4 : c->env.ip6.s6_addr;
	b = addr;
	full = bits / 8;
	rem = bits % 8;
	if (memcmp(a, b, full) != 0)
		return false;
	if (rem == 0)
		return true;
	return ((a[full] ^ b[full]) & (0xffu << (8 - rem)) & 0xff) == 0;
}

/* Is the client among the addresses of name?  1 yes, 0 no, R_PENDING,
 * or -2 on a DNS failure (temperror). */
static int
spf_addr_match(struct spf_ctx *c, const char *name, unsigned cidr4, unsigned cidr6, bool *isvoid)
{
	enum mk_dns_type type = c->env.family == AF_INET6 ? MK_DNS_AAAA : MK_DNS_A;
	const struct mk_dns_answer *a = spf_lookup(c, name, type);
	size_t i;

	if (a == NULL)
		return R_PENDING;
	if (isvoid)
		*isvoid = a->status == MK_DNS_NXDOMAIN || a->status == MK_DNS_NODATA;
	if (spf_dns_failed(a))
		return -2;
	if (a->status != MK_DNS_OK)
		return 0;
	for (i = 0; i < a->count; i++) {
		if (type == MK_DNS_A && spf_ip_match(c, &a->rr[i].u.addr4, AF_INET, cidr4))
			return 1;
		if (type == MK_DNS_AAAA && spf_ip_match(c, &a->rr[i].u.addr6, AF_INET6, cidr6))
			return 1;
	}
	return 0;
}

/* Validated PTR names (RFC 7208 5.5): calls fn for each; stops when fn
 * returns true.  Returns 1 if fn stopped it, 0, or R_PENDING. */
static int
spf_ptr_names(struct spf_ctx *c, bool (*fn)(const char *name, void *arg), void *arg)
{
	char rev[MK_DNS_NAME_MAX + 2];
	const struct mk_dns_answer *a;
	size_t i;
	int m;

	if (mk_dns_reverse_name(c->client, rev, sizeof(rev)) == -1)
		return 0;
	a = spf_lookup(c, rev, MK_DNS_PTR);
	if (a == NULL)
		return R_PENDING;
	if (a->status != MK_DNS_OK)
		return 0;
	for (i = 0; i < a->count && i < MK_SPF_PTR_MAX; i++) {
		if (a->rr[i].text == NULL || !spf_domain_ok(a->rr[i].text))
			continue;
		m = spf_addr_match(c, a->rr[i].text, 32, 128, NULL);
		if (m == R_PENDING)
			return R_PENDING;
		if (m == 1 && fn(a->rr[i].text, arg))
			return 1;
	}
	return 0;
}

struct ptr_pick {
	const char *domain;
	char exact[MK_DNS_NAME_MAX + 2], sub[MK_DNS_NAME_MAX + 2], any[MK_DNS_NAME_MAX + 2];
};

static bool
spf_ptr_pick(const char *name, void *arg)
{
	struct ptr_pick *p = arg;

	if (strcasecmp(name, p->domain) == 0) {
		spf_copy(p->exact, sizeof(p->exact), name);
		return true;
	}
	if (p->sub[0] == '\0' && spf_name_eq_or_sub(name, p->domain))
		spf_copy(p->sub, sizeof(p->sub), name);
	if (p->any[0] == '\0')
		spf_copy(p->any, sizeof(p->any), name);
	return false;
}

/* Expand a macro string; for a domain (exp_ctx false) apply the 253-octet
 * left truncation and drop one trailing dot.  0, -1 (syntax), R_PENDING. */
static int
spf_expand(struct spf_ctx *c, const char *s, size_t len, bool exp_ctx, char *out, size_t outsz)
{
	struct ptr_pick pick;
	size_t n;
	char *p;

	if (mk_spf_macro_uses_p(s, len)) {
		memset(&pick, 0, sizeof(pick));
		pick.domain = c->env.domain;
		if (spf_ptr_names(c, spf_ptr_pick, &pick) == R_PENDING)
			return R_PENDING;
		spf_copy(c->ptr, sizeof(c->ptr), pick.exact[0] ? pick.exact :
		    pick.sub[0] ? pick.sub : pick.any[0] ? pick.any : "unknown");
		c->env.ptr = c->ptr;
	}
	if (mk_spf_macro_expand(s, len, &c->env, exp_ctx, out, outsz) == -1)
		return -1;
	if (exp_ctx)
		return 0;
	n = strlen(out);
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	p = out;
	while (n > MK_DNS_NAME_MAX) {
		char *dot = strchr(p, '.');
		if (dot == NULL)
			return -1;
		n -= (size_t)(dot + 1 - p);
		p = dot + 1;
	}
	memmove(out, p, n + 1);
	return 0;
}

static int check_host(struct spf_ctx *c, const char *domain, unsigned depth, bool want_exp);

struct ptr_match {
	const char *target;
};

static bool
spf_ptr_match(const char *name, void *arg)
{
	return spf_name_eq_or_sub(name, ((struct ptr_match *)arg)->target);
}

/* Count a DNS-querying term. */
static bool
spf_count_lookup(struct spf_ctx *c)
{
	return ++c->lookups <= MK_SPF_LOOKUP_MAX;
}

static int
spf_void(struct spf_ctx *c)
{
	if (++c->voids > (c->q->void_max_set ? c->q->void_max : MK_SPF_VOID_MAX))
		return spf_reason(c, MK_SPF_PERMERROR, "too many void DNS lookups");
	return 0;
}

/* MX mechanism.  1 match, 0 no, R_PENDING, or an MK_SPF_* error result + 10. */
static int
spf_mech_mx(struct spf_ctx *c, const char *target, const struct mk_spf_term *t)
{
	const struct mk_dns_answer *a = spf_lookup(c, target, MK_DNS_MX);
	size_t i;
	int m;

	if (a == NULL)
		return R_PENDING;
	if (spf_dns_failed(a))
		return 10 + spf_reason(c, MK_SPF_TEMPERROR, "DNS failure for MX %s", target);
	if (a->status == MK_DNS_NXDOMAIN || a->status == MK_DNS_NODATA) {
		if (spf_void(c))
			return 10 + MK_SPF_PERMERROR;
		return 0;
	}
	if (a->status != MK_DNS_OK)
		return 0;
	if (a->count > MK_SPF_MX_MAX)
		return 10 + spf_reason(c, MK_SPF_PERMERROR, "more than %d MX names for %s",
		    MK_SPF_MX_MAX, target);
	for (i = 0; i < a->count; i++) {
		if (a->rr[i].text == NULL || a->rr[i].text[0] == '\0')
			continue;
		m = spf_addr_match(c, a->rr[i].text, t->cidr4, t->cidr6, NULL);
		if (m == R_PENDING)
			return R_PENDING;
		if (m == -2)
			return 10 + spf_reason(c, MK_SPF_TEMPERROR, "DNS failure for %s", a->rr[i].text);
		if (m == 1)
			return 1;
	}
	return 0;
}

static int
spf_mech_exists(struct spf_ctx *c, const char *target)
{
	const struct mk_dns_answer *a = spf_lookup(c, target, MK_DNS_A);

	if (a == NULL)
		return R_PENDING;
	if (spf_dns_failed(a))
		return 10 + spf_reason(c, MK_SPF_TEMPERROR, "DNS failure for %s", target);
	if (a->status == MK_DNS_OK && a->count > 0)
		return 1;
	if (a->status == MK_DNS_NXDOMAIN || a->status == MK_DNS_NODATA) {
		if (spf_void(c))
			return 10 + MK_SPF_PERMERROR;
	}
	return 0;
}

static int
spf_mech_include(struct spf_ctx *c, const char *target, unsigned depth)
{
	int r = check_host(c, target, depth + 1, false);

	switch (r) {
	case R_PENDING:
		return R_PENDING;
	case MK_SPF_PASS:
		return 1;
	case MK_SPF_FAIL:
	case MK_SPF_SOFTFAIL:
	case MK_SPF_NEUTRAL:
		return 0;
	case MK_SPF_TEMPERROR:
		return 10 + MK_SPF_TEMPERROR;
	case MK_SPF_NONE:
		return 10 + spf_reason(c, MK_SPF_PERMERROR, "include:%s has no SPF record", target);
	default:
		return 10 + MK_SPF_PERMERROR;
	}
}

/* Evaluate one mechanism: 1 match, 0 no match, R_PENDING, or 10 + result. */
static int
spf_mechanism(struct spf_ctx *c, const struct mk_spf_term *t, const char *domain, unsigned depth)
{
	char target[SPF_NAME_BUF];
	bool isvoid = false;
	int m;

	switch (t->kind) {
	case MK_SPF_T_ALL:
		return 1;
	case MK_SPF_T_IP4:
		return spf_ip_match(c, &t->ip4, AF_INET, t->cidr4);
	case MK_SPF_T_IP6:
		return spf_ip_match(c, &t->ip6, AF_INET6, t->cidr6);
	default:
		break;
	}
	if (!spf_count_lookup(c))
		return 10 + spf_reason(c, MK_SPF_PERMERROR, "more than %d DNS lookups",
		    MK_SPF_LOOKUP_MAX);
	if (t->spec == NULL) {
		spf_copy(target, sizeof(target), domain);
	} else {
		m = spf_expand(c, t->spec, t->speclen, false, target, sizeof(target));
		if (m == R_PENDING)
			return R_PENDING;
		if (m == -1)
			return 10 + spf_reason(c, MK_SPF_PERMERROR, "bad macro expansion in %.*s",
			    (int)t->textlen, t->text);
	}
	switch (t->kind) {
	case MK_SPF_T_A:
		m = spf_addr_match(c, target, t->cidr4, t->cidr6, &isvoid);
		if (m == -2)
			return 10 + spf_reason(c, MK_SPF_TEMPERROR, "DNS failure for %s", target);
		if (m == 0 && isvoid && spf_void(c))
			return 10 + MK_SPF_PERMERROR;
		return m;
	case MK_SPF_T_MX:
		return spf_mech_mx(c, target, t);
	case MK_SPF_T_PTR: {
		struct ptr_match pm = { target };
		m = spf_ptr_names(c, spf_ptr_match, &pm);
		return m;
	}
	case MK_SPF_T_EXISTS:
		return spf_mech_exists(c, target);
	case MK_SPF_T_INCLUDE:
		return spf_mech_include(c, target, depth);
	default:
		return 10 + MK_SPF_PERMERROR;
	}
}

/* exp= (RFC 7208 6.2): fill out->explanation, or leave it empty. 0 / R_PENDING. */
static int
spf_explain(struct spf_ctx *c, const struct mk_spf_term *exp)
{
	char target[SPF_NAME_BUF], text[MK_SPF_MACRO_OUT_MAX];
	const struct mk_dns_answer *a;
	size_t i;
	int m;

	m = spf_expand(c, exp->spec, exp->speclen, false, target, sizeof(target));
	if (m != 0)
		return m == R_PENDING ? R_PENDING : 0;
	if (!spf_domain_ok(target))
		return 0;
	a = spf_lookup(c, target, MK_DNS_TXT);
	if (a == NULL)
		return R_PENDING;
	if (a->status != MK_DNS_OK || a->count != 1 || a->rr[0].text == NULL)
		return 0;
	for (i = 0; i < a->rr[0].len; i++) {
		unsigned char ch = (unsigned char)a->rr[0].text[i];
		if (ch < 0x20 || ch > 0x7e)
			return 0;
	}
	if (mk_spf_macro_check(a->rr[0].text, a->rr[0].len, true) == -1)
		return 0;
	m = spf_expand(c, a->rr[0].text, a->rr[0].len, true, text, sizeof(text));
	if (m != 0)
		return m == R_PENDING ? R_PENDING : 0;
	spf_copy(c->out->explanation, sizeof(c->out->explanation), text);
	c->out->has_exp = true;
	return 0;
}

/* Find the one v=spf1 record of domain: R_FOUND, or a result / R_PENDING. */
static int
spf_find_record(struct spf_ctx *c, const char *domain, const char **rec, size_t *len)
{
	const struct mk_dns_answer *a = spf_lookup(c, domain, MK_DNS_TXT);
	size_t i, found = 0;

	if (a == NULL)
		return R_PENDING;
	if (spf_dns_failed(a))
		return spf_reason(c, MK_SPF_TEMPERROR, "DNS failure looking up TXT %s: %s",
		    domain, mk_dns_status_name(a->status));
	if (a->status != MK_DNS_OK)
		return spf_reason(c, MK_SPF_NONE, "no SPF record for %s", domain);
	for (i = 0; i < a->count; i++) {
		if (a->rr[i].text == NULL || !mk_spf_record_is_spf1(a->rr[i].text, a->rr[i].len))
			continue;
		if (found++ == 0) {
			*rec = a->rr[i].text;
			*len = a->rr[i].len;
		}
	}
	if (found == 0)
		return spf_reason(c, MK_SPF_NONE, "no SPF record for %s", domain);
	if (found > 1)
		return spf_reason(c, MK_SPF_PERMERROR, "%zu SPF records for %s", found, domain);
	return R_FOUND;
}

static enum mk_spf_result
spf_qual_result(char q)
{
	switch (q) {
	case '-': return MK_SPF_FAIL;
	case '~': return MK_SPF_SOFTFAIL;
	case '?': return MK_SPF_NEUTRAL;
	default: return MK_SPF_PASS;
	}
}

/* Evaluate the terms of a validated record in order. */
static int
spf_eval_record(struct spf_ctx *c, const char *domain, const char *rec, size_t len,
    unsigned depth, const struct mk_spf_term *exp, bool has_exp, bool want_exp)
{
	struct mk_spf_term t;
	const char *why;
	size_t pos = 0;
	int m, r;

	while (mk_spf_record_next(rec, len, &pos, &t, &why) == 1) {
		if (t.kind >= MK_SPF_T_REDIRECT)
			continue;
		m = spf_mechanism(c, &t, domain, depth);
		if (m == R_PENDING || m >= 10)
			return m == R_PENDING ? R_PENDING : m - 10;
		if (m != 1)
			continue;
		r = (int)spf_qual_result(t.qual);
		spf_reason(c, r, "%s matched %.*s in the record of %s",
		    mk_spf_result_name((enum mk_spf_result)r), (int)t.textlen, t.text, domain);
		if (r == MK_SPF_FAIL && want_exp) {
			c->out->explanation[0] = '\0';
			c->out->has_exp = false;
			if (has_exp && spf_explain(c, exp) == R_PENDING)
				return R_PENDING;
		}
		return r;
	}
	return -2;	/* no mechanism matched */
}

static int
check_host(struct spf_ctx *c, const char *domain, unsigned depth, bool want_exp)
{
	struct mk_spf_term redirect, exp;
	bool has_redirect, has_exp;
	const char *rec = NULL, *why = "syntax error", *saved = c->env.domain;
	char target[SPF_NAME_BUF];
	size_t len = 0;
	int r;

	if (depth > MK_SPF_DEPTH_MAX)
		return spf_reason(c, MK_SPF_PERMERROR, "include/redirect nesting too deep");
	if (!spf_domain_ok(domain))
		return spf_reason(c, MK_SPF_NONE, "%s is not a valid domain name", domain);
	r = spf_find_record(c, domain, &rec, &len);
	if (r != R_FOUND)
		return r;
	if (mk_spf_record_validate(rec, len, &redirect, &has_redirect, &exp, &has_exp, &why) == -1)
		return spf_reason(c, MK_SPF_PERMERROR, "bad SPF record for %s: %s", domain, why);
	c->env.domain = domain;
	r = spf_eval_record(c, domain, rec, len, depth, &exp, has_exp, want_exp);
	if (r != -2 || !has_redirect) {
		c->env.domain = saved;
		return r == -2 ? spf_reason(c, MK_SPF_NEUTRAL, "no mechanism matched for %s", domain) : r;
	}
	if (!spf_count_lookup(c)) {
		c->env.domain = saved;
		return spf_reason(c, MK_SPF_PERMERROR, "more than %d DNS lookups", MK_SPF_LOOKUP_MAX);
	}
	r = spf_expand(c, redirect.spec, redirect.speclen, false, target, sizeof(target));
	c->env.domain = saved;
	if (r == R_PENDING)
		return R_PENDING;
	if (r == -1)
		return spf_reason(c, MK_SPF_PERMERROR, "bad redirect expansion for %s", domain);
	r = check_host(c, target, depth + 1, want_exp);
	if (r == MK_SPF_NONE)
		return spf_reason(c, MK_SPF_PERMERROR, "redirect=%s has no SPF record", target);
	return r;
}

/* Set up the client address, identity and macro environment. -1 if the
 * address is bad. */
static int
spf_setup(struct spf_ctx *c, const struct mk_spf_query *q, struct mk_spf_outcome *out)
{
	const char *at;
	struct in6_addr a6;

	memset(out, 0, sizeof(*out));
	c->q = q;
	c->out = out;
	c->env.receiver = q->receiver;
	c->env.helo = q->helo ? q->helo : "";
	c->env.now = q->now;
	c->env.local = c->local;
	c->env.odomain = c->odomain;
	c->env.client = c->client;
	if (inet_pton(AF_INET, q->ip, &c->env.ip4) == 1) {
		c->env.family = AF_INET;
	} else if (inet_pton(AF_INET6, q->ip, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			c->env.family = AF_INET;
			memcpy(&c->env.ip4, a6.s6_addr + 12, 4);
		} else {
			c->env.family = AF_INET6;
			c->env.ip6 = a6;
			c->env.upper_hex = strpbrk(q->ip, "ABCDEF") != NULL;
		}
	} else {
		return -1;
	}
	inet_ntop(c->env.family, c->env.family == AF_INET ? (void *)&c->env.ip4 : (void *)&c->env.ip6,
	    c->client, sizeof(c->client));
	at = q->sender ? strrchr(q->sender, '@') : NULL;
	if (q->identity == MK_SPF_ID_HELO || q->sender == NULL || q->sender[0] == '\0') {
		snprintf(c->local, sizeof(c->local), "postmaster");
		spf_copy(c->odomain, sizeof(c->odomain), c->env.helo);
	} else if (at == NULL) {
		snprintf(c->local, sizeof(c->local), "postmaster");
		spf_copy(c->odomain, sizeof(c->odomain), q->sender);
	} else {
		snprintf(c->local, sizeof(c->local), "%.*s", (int)(at - q->sender), q->sender);
		if (c->local[0] == '\0')
			snprintf(c->local, sizeof(c->local), "postmaster");
		spf_copy(c->odomain, sizeof(c->odomain), at + 1);
	}
	c->env.domain = c->odomain;
	spf_copy(out->domain, sizeof(out->domain), c->odomain);
	snprintf(out->sender, sizeof(out->sender), "%s@%s", c->local, c->odomain);
	return 0;
}

int
mk_spf_eval(const struct mk_spf_query *q, mk_spf_lookup_fn lookup, void *arg,
    struct mk_spf_outcome *out)
{
	struct spf_ctx c;
	int r;

	memset(&c, 0, sizeof(c));
	c.lookup = lookup;
	c.arg = arg;
	if (spf_setup(&c, q, out) == -1) {
		out->result = MK_SPF_PERMERROR;
		snprintf(out->reason, sizeof(out->reason), "bad client address");
		return 0;
	}
	r = check_host(&c, c.odomain, 0, true);
	out->lookups = c.lookups;
	out->voids = c.voids;
	if (r == R_PENDING) {
		out->pending = true;
		out->result = MK_SPF_TEMPERROR;
		return 1;
	}
	out->pending = false;
	out->result = (enum mk_spf_result)r;
	if (out->result != MK_SPF_FAIL) {
		out->explanation[0] = '\0';
		out->has_exp = false;
	}
	return 0;
}

int
mk_spf_record_check(const char *rec, size_t len, char *why, size_t whylen)
{
	struct mk_spf_term r, e;
	bool hr, he;
	const char *w = "not an SPF record";

	if (!mk_spf_record_is_spf1(rec, len) ||
	    mk_spf_record_validate(rec, len, &r, &hr, &e, &he, &w) == -1) {
		snprintf(why, whylen, "%s", w);
		return -1;
	}
	return 0;
}

/* Helpers for the whitelists of a policy server (policyd-spf's
 * Domain_Whitelist_PTR and HELO_Whitelist), restartable like mk_spf_eval. */

struct ptr_in {
	const char *const *domains;
	size_t n;
	char *matched;
	size_t matchedsz;
};

static bool
spf_ptr_in(const char *name, void *arg)
{
	struct ptr_in *p = arg;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (spf_name_eq_or_sub(name, p->domains[i])) {
			spf_copy(p->matched, p->matchedsz, name);
			return true;
		}
	}
	return false;
}

/* Run fn on a context set up for q; map its return to the outcome. */
static int
spf_helper_finish(struct spf_ctx *c, int m, const char *what)
{
	if (m == R_PENDING) {
		c->out->pending = true;
		c->out->result = MK_SPF_TEMPERROR;
		return 1;
	}
	c->out->pending = false;
	if (m == -2) {
		c->out->result = MK_SPF_TEMPERROR;
		spf_copy(c->out->reason, sizeof(c->out->reason), "DNS failure");
	} else {
		c->out->result = m == 1 ? MK_SPF_PASS : MK_SPF_NONE;
		spf_copy(c->out->reason, sizeof(c->out->reason), m == 1 ? what : "no match");
	}
	return 0;
}

int
mk_spf_eval_ptr_in(const struct mk_spf_query *q, const char *const *domains, size_t n,
    mk_spf_lookup_fn lookup, void *arg, struct mk_spf_outcome *out)
{
	struct spf_ctx c;
	struct ptr_in p = { domains, n, NULL, 0 };
	int m;

	memset(&c, 0, sizeof(c));
	c.lookup = lookup;
	c.arg = arg;
	if (spf_setup(&c, q, out) == -1) {
		out->result = MK_SPF_PERMERROR;
		snprintf(out->reason, sizeof(out->reason), "bad client address");
		return 0;
	}
	p.matched = out->domain;
	p.matchedsz = sizeof(out->domain);
	out->domain[0] = '\0';
	m = spf_ptr_names(&c, spf_ptr_in, &p);
	return spf_helper_finish(&c, m, "validated PTR name in the list");
}

int
mk_spf_eval_addr_of(const struct mk_spf_query *q, const char *name,
    mk_spf_lookup_fn lookup, void *arg, struct mk_spf_outcome *out)
{
	struct spf_ctx c;
	int m;

	memset(&c, 0, sizeof(c));
	c.lookup = lookup;
	c.arg = arg;
	if (spf_setup(&c, q, out) == -1) {
		out->result = MK_SPF_PERMERROR;
		snprintf(out->reason, sizeof(out->reason), "bad client address");
		return 0;
	}
	spf_copy(out->domain, sizeof(out->domain), name);
	m = spf_name_queryable(name) ? spf_addr_match(&c, name, 32, 128, NULL) : 0;
	return spf_helper_finish(&c, m, "client address of the name");
}
