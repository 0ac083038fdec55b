/*
 * lib/policy.h: the Postfix policy delegation protocol (SMTPD_POLICY_README).
 *
 * A request is "name=value" lines ending with an empty line; the reply is
 * "action=..." followed by an empty line.  Exim's ${readsocket} sends the
 * same text (often with "\n" written as literal newlines) and then
 * half-closes.
 *
 *   - mk_policy_frame() finds the end of one request in a buffer;
 *   - mk_policy_parse() is a pure function of (buf, len) that fills a
 *     struct of fixed-size fields (no allocation, no I/O, no logging);
 *   - mk_policy_reply() formats a reply.
 *
 * Limits (checked before anything is copied): a line of at most
 * MK_POLICY_LINE_MAX bytes, at most MK_POLICY_ATTRS_MAX attributes, a
 * request of at most MK_POLICY_REQUEST_MAX bytes.  Lines may end in LF or
 * CRLF.  Unknown attributes are counted and ignored; a known attribute
 * given twice keeps the last value (Postfix never repeats one).
 */
#ifndef MK_POLICY_H
#define MK_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#define MK_POLICY_LINE_MAX 2048		/* one "name=value" line, without the newline */
#define MK_POLICY_ATTRS_MAX 128		/* Postfix 3.7 sends ~30 */
#define MK_POLICY_REQUEST_MAX 32768	/* whole request, terminating empty line included */
#define MK_POLICY_VALUE_MAX 512		/* longest value kept (RFC 5321 path + margin) */
#define MK_POLICY_REPLY_MAX 1024	/* "action=...\n\n" */

/* The attributes mailaka uses; each is NUL-terminated, "" when absent. */
struct mk_policy_req {
	char request[32];		/* must be "smtpd_access_policy" */
	char protocol_state[32];	/* RCPT, MAIL, DATA, ... */
	char protocol_name[16];		/* SMTP, ESMTP */
	char helo_name[MK_POLICY_VALUE_MAX];
	char queue_id[64];
	char sender[MK_POLICY_VALUE_MAX];
	char recipient[MK_POLICY_VALUE_MAX];
	char client_address[64];
	char client_name[256];
	char reverse_client_name[256];
	char instance[128];
	char sasl_method[64];
	char sasl_username[MK_POLICY_VALUE_MAX];
	char sasl_sender[MK_POLICY_VALUE_MAX];
	unsigned nattrs;		/* attribute lines seen */
	unsigned nunknown;		/* of which not in the list above */
};

/*
 * Find the end of the first request in buf: returns the number of bytes up
 * to and including the empty line ("\n\n", "\r\n\r\n" or "\n\r\n"), or 0
 * when the request is not complete yet.
 */
size_t mk_policy_frame(const char *buf, size_t len);

/*
 * Parse one request (the bytes mk_policy_frame() delimited, or the
 * attribute lines alone; a last line without a newline is accepted, which
 * is what a half-closing Exim client may send).  Returns 0, or -1 with a
 * static reason in *why: line too long, too many attributes, request too
 * long, a line without '=', an empty name, a NUL byte, a value too long
 * for a kept attribute.  Semantic checks (request=, client_address) are the
 * caller's (see mk_policy_check()).
 */
int mk_policy_parse(const char *buf, size_t len, struct mk_policy_req *out, const char **why);

/* Semantic checks for an SMTPD access policy request: request= is
 * "smtpd_access_policy", client_address is an IPv4/IPv6 address.
 * 0 / -1 with *why. */
int mk_policy_check(const struct mk_policy_req *req, const char **why);

/*
 * Format "action=ACTION\n\n" into out.  CR, LF and NUL in action (which
 * may carry DNS-supplied text) are replaced by spaces and other control
 * bytes removed; a too-long action is cut.  Returns the length written
 * (excluding the NUL), or 0 if outsz is too small for anything.
 */
size_t mk_policy_reply(const char *action, char *out, size_t outsz);

#endif
