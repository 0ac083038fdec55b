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
 * the path). 0 / -1 with *why. */
int mk_path_parse(const char *buf, size_t len, unsigned flags, struct mk_path *out,
    size_t *end, const char **why);

/* Normalise a domain into out (>= MK_ADDR_DOMAIN_MAX + 1). 0 / -1 with *why. */
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
 * quotes/comments/brackets, address without domain, bad domain). */
int mk_from_parse(const char *buf, size_t len, struct mk_from *out, const char **why);

/* Format "local@domain" into out; 0 / -1 if it does not fit. */
int mk_addr_format(const struct mk_addr *a, char *out, size_t outsz);
/* Case-insensitive domain compare (already normalised: strcmp). */
bool mk_domain_equal(const char *a, const char *b);

#endif
