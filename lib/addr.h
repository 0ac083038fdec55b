/*
 * lib/addr.h: mail addresses.
 *
 *   - RFC 5321 paths as in MAIL FROM / RCPT TO: "<local@domain>", the null
 *     path "<>", quoted local parts ("<\"a b\"@example.com>"), an optional
 *     bracketless form "local@domain" accepted only with MK_PATH_LAX (policy
 *     requests and milter macros hand addresses without brackets); source
 *     routes ("<@a,@b:u@c>") are rejected; address literals "[1.2.3.4]"
 *     and "[IPv6:...]" accepted as domains.
 *   - Domain normalisation: lower case, one trailing dot removed, LDH labels
 *     of 1..63 octets, total <= 253; A-labels ("xn--...") passed through
 *     unchanged; 8-bit (U-labels) rejected.
 *   - RFC 5322 From header extraction: display names, comments (nested),
 *     quoted strings, groups ("undisclosed: a@b, c@d;"), obsolete route
 *     syntax, several addresses; each address's local part and normalised
 *     domain.
 *
 * Parsers are pure functions of (buf, len): no I/O, no logging, no
 * allocation; they fill fixed-size fields or return -1 with a static reason
 * string in *why.
 */
#ifndef MK_ADDR_H
#define MK_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#define MK_ADDR_LOCAL_MAX 255	/* longer than RFC 5321 4.5.3.1.1's 64: SRS and real-world mail exceed it */
#define MK_ADDR_DOMAIN_MAX 255	/* RFC 5321 4.5.3.1.2 */
#define MK_ADDR_PATH_MAX 512	/* whole path as received */
#define MK_FROM_ADDRS_MAX 32	/* addresses kept from one From header */
#define MK_FROM_HEADER_MAX 65536 /* bytes of a From header value parsed */

struct mk_addr {
	char local[MK_ADDR_LOCAL_MAX + 1];	/* as written: quoted form kept, e.g. "\"a b\"" */
	char domain[MK_ADDR_DOMAIN_MAX + 1];	/* normalised (lower case, no trailing dot) */
};

struct mk_path {
	bool null;		/* "<>" */
	struct mk_addr addr;	/* unset when null */
};

#define MK_PATH_LAX 0x1		/* accept a path without angle brackets */
#define MK_PATH_NO_DOMAIN 0x2	/* accept "<postmaster>" (RCPT TO) */

/* Parse an RFC 5321 path (without the "MAIL FROM:" verb; ESMTP parameters
 * after the closing '>' are not part of it: *end is set to the byte after
 * the path, and the caller checks what follows). 0 / -1 with *why.
 * Leading spaces are skipped ("MAIL FROM: <a@b>" is common).  Local parts
 * may be UTF-8 (RFC 6531; whether SMTPUTF8 was given is the caller's
 * business); invalid UTF-8, blanks and controls outside quotes are refused.
 * MK_PATH_LAX: the bracketless form ends at a blank or the end of buf, and
 * an empty buf is the null path (policy "sender=", empty {mail_addr}).
 * MK_PATH_NO_DOMAIN: only the local part "postmaster" (any case, RFC 5321
 * 4.1.1.3) may come without a domain; addr.domain is then "". */
int mk_path_parse(const char *buf, size_t len, unsigned flags, struct mk_path *out,
    size_t *end, const char **why);

/* Normalise a domain into out (>= MK_ADDR_DOMAIN_MAX + 1). 0 / -1 with *why.
 * Address literals: "[IPv4]" and "[IPv6:...]" only (checked with
 * inet_pton), lower-cased as written; general literals ("[tag:...]") are
 * refused.  Labels must not start or end with '-'. */
int mk_domain_normalize(const char *in, size_t len, char *out, size_t outsz, const char **why);
bool mk_domain_is_valid(const char *in, size_t len);

struct mk_from {
	size_t count;			/* addresses found (<= MK_FROM_ADDRS_MAX) */
	bool truncated;			/* more than MK_FROM_ADDRS_MAX were present */
	struct mk_addr addr[MK_FROM_ADDRS_MAX];
};

/* Extract the addresses of an RFC 5322 From (or Sender/Reply-To/To) header
 * value (unfolded or folded). 0 when at least one address was found and the
 * syntax was acceptable; -1 with *why otherwise (no address, unbalanced
 * quotes/comments/brackets, address without domain, bad domain), and then
 * out->count is 0.  A value longer than MK_FROM_HEADER_MAX is refused, not
 * cut.  CRLF or LF followed by a blank is folding; one line break at the
 * very end is allowed; any other CR or LF is an error.  An unquoted address
 * used as a display name ("a@x <b@y>") yields the angle-addr (b@y).  Display
 * names and comments may hold any 8-bit text; local parts must be UTF-8.
 * The local part is stored as written, CFWS between its words removed. */
int mk_from_parse(const char *buf, size_t len, struct mk_from *out, const char **why);

/* Format "local@domain" (just "local" when domain is "") into out; 0 / -1
 * if it does not fit. */
int mk_addr_format(const struct mk_addr *a, char *out, size_t outsz);
/* ASCII case-insensitive domain compare (for normalised names this is
 * strcmp). */
bool mk_domain_equal(const char *a, const char *b);

#endif
