/*
 * lib/dns.h: DNS through libunbound.
 *
 * One struct mk_dns per daemon (thread-safe): the Resolver setting is
 * "system" (the nameservers of /etc/resolv.conf, or full recursion if it
 * has none) or "IP[@PORT]" (a forwarder; several may be given separated by
 * commas or spaces).  The context is configured so that a DNS server on
 * 127.0.0.0/8 or ::1 is usable ("do-not-query-localhost: no") and so that
 * the RFC 6761 special-use zones that tests use (test., invalid.) are
 * really queried instead of being answered with NXDOMAIN by libunbound
 * itself.
 *
 * Statuses are kept distinct because SPF and DMARC need the difference:
 *   OK        answer with >= 1 record of the type asked
 *   NODATA    the name exists, no record of that type   (SPF: void lookup)
 *   NXDOMAIN  the name does not exist                   (SPF: void lookup)
 *   SERVFAIL  the server failed (or DNSSEC bogus)       (temperror)
 *   TIMEOUT   no answer within the timeout              (temperror)
 *   ERROR     bad query (name too long, label > 63...), out of memory
 *
 * Two APIs over the same context:
 *   - sync: mk_dns_query() blocks the calling thread (milters are
 *     thread-per-connection); any number of threads at once;
 *   - async: mk_dns_query_async() on a libevent base; the callback runs in
 *     the loop thread of that base.  mk_dns_cancel() before freeing the
 *     caller's object (the callback is then never called).
 *     mk_dns_query_async() and mk_dns_cancel() are called from that loop
 *     thread (or before the loop runs); the callback is never called from
 *     inside mk_dns_query_async(), even for a bad name.  The base needs no
 *     libevent threading support.  A base may be freed once its queries
 *     have finished or been cancelled; mk_dns_free() (never from inside a
 *     callback) cancels what is left, so call it before freeing such bases.
 *
 * libunbound answers test., invalid., 127.in-addr.arpa., the ::1 reverse
 * and the AS112 (private, documentation) reverse zones itself; with
 * forwarders those are sent to the forwarders instead.  Answers are cached
 * by libunbound for their TTL.
 */
#ifndef MK_DNS_H
#define MK_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define MK_DNS_NAME_MAX 253	/* RFC 1035 2.3.4 (presentation, no trailing dot) */
#define MK_DNS_TIMEOUT_DEFAULT_MS 5000

/* RR types used by mailaka (values from RFC 1035 / 3596). */
enum mk_dns_type {
	MK_DNS_A = 1,
	MK_DNS_PTR = 12,
	MK_DNS_MX = 15,
	MK_DNS_TXT = 16,
	MK_DNS_AAAA = 28,
};

enum mk_dns_status {
	MK_DNS_OK = 0,
	MK_DNS_NODATA,
	MK_DNS_NXDOMAIN,
	MK_DNS_SERVFAIL,
	MK_DNS_TIMEOUT,
	MK_DNS_ERROR,
};

struct mk_dns_rr {
	/* TXT: the character-strings of one RR concatenated (RFC 7208 3.3),
	 *      NUL-terminated; len excludes the NUL (a TXT may hold NUL bytes);
	 * MX:  exchange host name (no trailing dot, lower case), pref set;
	 *      a null MX (RFC 7505, exchange ".") gives "" (len 0);
	 * PTR: host name (no trailing dot, lower case);
	 * MX/PTR names: octets outside 0x21-0x7e, "." and "\" inside a label are
	 *      written as \DDD (RFC 1035 5.1);
	 * A/AAAA: the address in presentation form; addr4/addr6 set. */
	char *text;
	size_t len;
	uint16_t pref;
	union {
		struct in_addr addr4;
		struct in6_addr addr6;
	} u;
};

struct mk_dns_answer {
	enum mk_dns_status status;
	uint32_t ttl;		/* seconds the answer may be cached (negative: SOA minimum or 0) */
	bool secure;		/* DNSSEC validated */
	size_t count;		/* records in rr (0 unless status == OK) */
	struct mk_dns_rr *rr;	/* MX answers sorted by preference (stable) */
	char why[128];		/* human-readable reason for a non-OK status */
};

struct mk_dns;
struct event_base;

/* resolver: "system", "IP", "IP@PORT", or a list of those IP forms
 * (at most 16, separated by commas or white space; IPv6 as "::1@53", the
 * bracketed "[::1]:53" is refused with a hint).  "system" is
 * case-insensitive; without a usable /etc/resolv.conf it means full
 * recursion from the root.
 * timeout_ms: per query (0 = MK_DNS_TIMEOUT_DEFAULT_MS).
 * Returns NULL with err filled on a bad resolver string or libunbound error. */
struct mk_dns *mk_dns_new(const char *resolver, unsigned timeout_ms, char *err, size_t errlen);
/* Pending async queries are cancelled (callbacks not called). Returns NULL. */
struct mk_dns *mk_dns_free(struct mk_dns *dns);

/* Check a Resolver setting without creating a context (config validation). */
int mk_dns_resolver_valid(const char *resolver, char *err, size_t errlen);

/* Sync query: blocks at most the timeout. Returns an answer always (status
 * says what happened) or NULL only on out-of-memory. Free with
 * mk_dns_answer_free().  Names: presentation form, optional trailing dot,
 * labels 1..63, at most 253 octets, no white space, control characters or
 * backslash escapes (MK_DNS_ERROR otherwise, without a query). */
struct mk_dns_answer *mk_dns_query(struct mk_dns *dns, const char *name, enum mk_dns_type type);
struct mk_dns_answer *mk_dns_answer_free(struct mk_dns_answer *ans);

/* Async query on base. cb owns ans (never NULL; free it with
 * mk_dns_answer_free).  Returns a query id > 0, or 0 when the query could
 * not be set up (out of memory, no pipe, NULL cb): then cb is not called.
 * A bad name or type still returns an id; cb gets MK_DNS_ERROR from the
 * loop. */
typedef void (*mk_dns_cb)(struct mk_dns_answer *ans, void *arg);
uint64_t mk_dns_query_async(struct mk_dns *dns, struct event_base *base,
    const char *name, enum mk_dns_type type, mk_dns_cb cb, void *arg);
/* Cancel a pending async query; cb will not be called (also when the
 * answer has arrived but not yet been delivered). Safe on finished, 0 and
 * unknown ids. From the base's loop thread. */
void mk_dns_cancel(struct mk_dns *dns, uint64_t id);

/* Names for logs and Authentication-Results reasons. */
const char *mk_dns_status_name(enum mk_dns_status status); /* "ok", "nodata", "nxdomain", ... */
const char *mk_dns_type_name(enum mk_dns_type type);       /* "A", "TXT", ... */
/* "TXT" -> MK_DNS_TXT, case-insensitive; -1 if unknown. */
int mk_dns_type_parse(const char *name);

/* Build the reverse-lookup name for an address ("4.3.2.1.in-addr.arpa",
 * nibble form for IPv6, also for IPv4-mapped addresses: unmap first).
 * ip is presentation form. 0 / -1 (invalid ip, or outsz too small: 73
 * bytes fit any address). */
int mk_dns_reverse_name(const char *ip, char *out, size_t outsz);

#endif
