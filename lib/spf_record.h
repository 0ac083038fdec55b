/*
 * lib/spf_record.h: RFC 7208 record syntax (section 4.6 and 12): split a
 * record into terms and check each one strictly.  Pure functions.
 */
#ifndef MK_SPF_RECORD_H
#define MK_SPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>

enum mk_spf_term_kind {
	MK_SPF_T_ALL = 0,
	MK_SPF_T_INCLUDE,
	MK_SPF_T_A,
	MK_SPF_T_MX,
	MK_SPF_T_PTR,
	MK_SPF_T_IP4,
	MK_SPF_T_IP6,
	MK_SPF_T_EXISTS,
	MK_SPF_T_REDIRECT,
	MK_SPF_T_EXP,
	MK_SPF_T_UNKNOWN_MOD,
};

struct mk_spf_term {
	enum mk_spf_term_kind kind;
	char qual;			/* '+', '-', '~', '?' (mechanisms) */
	const char *text;		/* the whole term, borrowed from the record */
	size_t textlen;
	const char *spec;		/* domain-spec / modifier value, or NULL */
	size_t speclen;
	unsigned cidr4, cidr6;		/* 32 / 128 when not given */
	struct in_addr ip4;		/* ip4: network */
	struct in6_addr ip6;		/* ip6: network */
};

/* Is rec an SPF version 1 record ("v=spf1" then end or SP)? */
bool mk_spf_record_is_spf1(const char *rec, size_t len);

/* Iterate over the terms of a record (after "v=spf1"): *pos starts at 0.
 * Returns 1 with t filled, 0 at the end, -1 on a syntax error (why). */
int mk_spf_record_next(const char *rec, size_t len, size_t *pos, struct mk_spf_term *t,
    const char **why);

/* Whole-record syntax check: every term, at most one redirect and one exp,
 * only printable ASCII.  Sets *redirect / *exp (may be NULL) to those
 * modifiers' terms if present.  0 / -1 with why. */
int mk_spf_record_validate(const char *rec, size_t len, struct mk_spf_term *redirect,
    bool *has_redirect, struct mk_spf_term *exp, bool *has_exp, const char **why);

#endif
