/*
 * lib/authres.h: RFC 8601 Authentication-Results header fields.
 *
 * Builder: fill a struct mk_authres (authserv-id + one resinfo per result)
 * and format it as a header field value, folded with "\n\t" between
 * resinfos (the form libmilter's smfi_insheader takes; the MTA turns it
 * into CRLF + TAB).  Values that are not RFC 2045 tokens are quoted.
 *
 * Parser: a pure function of (buf, len) that reads a received header field
 * value (comments, quoted strings, folding allowed) into the same struct:
 * milters use it to find the authserv-id of forged headers and DMARC to
 * read the SPF/DKIM results of a trusted server.
 */
#ifndef MK_AUTHRES_H
#define MK_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#define MK_AUTHRES_ID_MAX 255		/* authserv-id (a host name, RFC 8601 2.5) */
#define MK_AUTHRES_WORD_MAX 63		/* method, result, ptype.property */
#define MK_AUTHRES_VALUE_MAX 511	/* reason and property values */
#define MK_AUTHRES_PROPS_MAX 8		/* properties per resinfo */
#define MK_AUTHRES_RESULTS_MAX 32	/* resinfos per header */
#define MK_AUTHRES_HEADER_MAX 65536	/* bytes of a header value parsed */

struct mk_authres_prop {
	char name[MK_AUTHRES_WORD_MAX + 1];	/* "header.d", "smtp.mailfrom" (ptype.property) */
	char value[MK_AUTHRES_VALUE_MAX + 1];
};

struct mk_authres_result {
	char method[MK_AUTHRES_WORD_MAX + 1];	/* "dkim", "spf", "dmarc" (lower case) */
	char result[MK_AUTHRES_WORD_MAX + 1];	/* "pass", "fail", ... (lower case) */
	char reason[MK_AUTHRES_VALUE_MAX + 1];	/* "" when none */
	size_t nprops;
	struct mk_authres_prop prop[MK_AUTHRES_PROPS_MAX];
};

struct mk_authres {
	char authserv_id[MK_AUTHRES_ID_MAX + 1];
	unsigned version;			/* 1 unless given */
	bool none;				/* "; none" */
	bool truncated;				/* parser: more resinfos than kept */
	size_t count;
	struct mk_authres_result res[MK_AUTHRES_RESULTS_MAX];
};

/* Builder. init: 0 / -1 (id empty or too long). */
int mk_authres_init(struct mk_authres *ar, const char *authserv_id);
/* Append a result; returns it, or NULL when full or a word is too long/empty. */
struct mk_authres_result *mk_authres_add(struct mk_authres *ar, const char *method,
    const char *result);
/* 0 / -1 (too long). reason may hold any printable text (it is quoted). */
int mk_authres_set_reason(struct mk_authres_result *r, const char *reason);
/* 0 / -1 (full, too long). */
int mk_authres_add_prop(struct mk_authres_result *r, const char *name, const char *value);
/* Header value into out: "id; dkim=pass header.d=x\n\tdkim=fail ..." or
 * "id; none" without results. 0 / -1 if it does not fit. */
int mk_authres_format(const struct mk_authres *ar, char *out, size_t outsz);

/* Parser. 0, or -1 with a static reason in *why.  Resinfos beyond
 * MK_AUTHRES_RESULTS_MAX set truncated; properties beyond
 * MK_AUTHRES_PROPS_MAX are skipped; over-long words are errors. */
int mk_authres_parse(const char *buf, size_t len, struct mk_authres *out, const char **why);
/* Only the authserv-id (lenient: the rest of the header is not checked).
 * 0 / -1. */
int mk_authres_parse_id(const char *buf, size_t len, char *id, size_t idsz);

/* Find a result by method in a parsed header; NULL if absent. */
const struct mk_authres_result *mk_authres_find(const struct mk_authres *ar, const char *method);
/* A property's value, or NULL. */
const char *mk_authres_prop(const struct mk_authres_result *r, const char *name);

#endif
