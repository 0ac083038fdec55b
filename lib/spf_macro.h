/*
 * lib/spf_macro.h: RFC 7208 section 7 macro strings (syntax check and
 * expansion).  Pure functions; the %{p} value is computed by the caller
 * (it needs DNS) and passed in the environment.
 */
#ifndef MK_SPF_MACRO_H
#define MK_SPF_MACRO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <netinet/in.h>

#define MK_SPF_MACRO_OUT_MAX 4096	/* bytes of one expansion */

struct mk_spf_macro_env {
	const char *local;	/* %{l} */
	const char *odomain;	/* %{o} */
	const char *domain;	/* %{d} */
	const char *helo;	/* %{h} */
	const char *ptr;	/* %{p} ("unknown" if not validated) */
	const char *receiver;	/* %{r} */
	const char *client;	/* %{c}: the address in presentation form */
	int family;		/* AF_INET or AF_INET6 */
	struct in_addr ip4;
	struct in6_addr ip6;
	time_t now;		/* %{t} */
	bool upper_hex;		/* %{i} of IPv6 in upper case (client given so) */
};

/* Syntax of a macro-string; exp_ctx allows c, r, t (explanation text only).
 * 0 / -1. */
int mk_spf_macro_check(const char *s, size_t len, bool exp_ctx);
/* Does the string use %{p}? (then env->ptr must be set) */
bool mk_spf_macro_uses_p(const char *s, size_t len);
/* Expand into out (NUL-terminated). -1 on a syntax error or if the result
 * does not fit in outsz. */
int mk_spf_macro_expand(const char *s, size_t len, const struct mk_spf_macro_env *env,
    bool exp_ctx, char *out, size_t outsz);

#endif
