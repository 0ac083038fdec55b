/*
 * lib/dns.c: DNS through libunbound (see dns.h for the contract).
 *
 * Design.  libunbound runs in threaded mode (ub_ctx_async(ctx, 1)): its own
 * background thread does the resolution and writes finished answers to a
 * pipe (ub_fd).  One dispatcher thread per struct mk_dns polls that pipe and
 * calls ub_process(), which runs dns_ub_done() for each answer in the
 * dispatcher thread.
 *
 * libunbound is never given a pointer: the callback argument is the 64-bit
 * query id (as uintptr_t), looked up under dns->lock in a hash table of
 * live queries.  A query that timed out or was cancelled is no longer in the
 * table, so a late answer for it is simply dropped, whatever the timing of
 * ub_cancel() (which in threaded mode only marks the query cancelled).
 *
 * Sync queries (mk_dns_query) live on the caller's stack; the caller waits
 * on its own condition variable with a CLOCK_MONOTONIC deadline.
 *
 * Async queries (mk_dns_query_async) are delivered in the loop thread of
 * their event_base: per base there is a pipe with a persistent read event;
 * the dispatcher appends the finished query to the base's done list and
 * writes one byte when the list was empty.  The per-base state is created on
 * the first query and freed when the base has no query left, so a program
 * may free a base once its queries are finished or cancelled.  A per-query
 * timer on the base gives the timeout.  mk_dns_query_async(),
 * mk_dns_cancel() and the callbacks all run in that loop thread, so cancel
 * is final: a cancelled query's callback is never called.
 */
#include "config.h"

#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <unbound.h>

#define DNS_HASH_SIZE 1024		/* buckets of the id -> query table */
#define DNS_LABEL_MAX 63		/* RFC 1035 2.3.4 */
#define DNS_QNAME_MAX (MK_DNS_NAME_MAX * 4 + 2) /* every octet as \\DDD */
#define DNS_WIRE_NAME_MAX 255		/* RFC 1035 2.3.4 */
#define DNS_FORWARDERS_MAX 16		/* addresses in one Resolver setting */
#define DNS_RESOLVER_TOKEN_MAX (INET6_ADDRSTRLEN + 6)	/* "IP@65535" */
#define DNS_CLASS_IN 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3

enum dns_kind { DNS_Q_SYNC, DNS_Q_ASYNC };

struct dns_base;

struct dns_query {
	uint64_t id;
	struct dns_query *hnext;	/* hash chain in dns->tab */
	enum dns_kind kind;
	enum mk_dns_type type;
	int ub_id;			/* 0 until ub_resolve_async() returned */
	bool done;			/* answer filled (under dns->lock) */
	bool cancelled;			/* async, done: drop at delivery */
	struct mk_dns_answer *ans;	/* allocated at start, filled at end */
	pthread_cond_t cond;		/* sync: signalled when done */
	struct dns_base *b;		/* async */
	struct event *timer;		/* async, owned */
	mk_dns_cb cb;
	void *arg;
	struct dns_query *dnext;	/* async: in b's done list */
};

struct dns_base {
	struct mk_dns *dns;
	struct event_base *base;
	int pipe[2];
	struct event *ev;
	size_t refs;			/* async queries not yet freed */
	struct dns_query *done_head, **done_tail;
	struct dns_base *next;
};

struct mk_dns {
	struct ub_ctx *ub;
	unsigned timeout_ms;
	pthread_mutex_t lock;		/* tab, next_id, bases, queries' state */
	struct dns_query *tab[DNS_HASH_SIZE];
	uint64_t next_id;
	struct dns_base *bases;
	pthread_t thread;
	int wake[2];			/* wakes the dispatcher to stop */
};

/* The mk_dns whose dispatcher runs in this thread (for dns_ub_done). */
static __thread struct mk_dns *dns_dispatching;

/* ---- names, statuses ------------------------------------------------- */

const char *
mk_dns_status_name(enum mk_dns_status status)
{
	switch (status) {
	case MK_DNS_OK: return "ok";
	case MK_DNS_NODATA: return "nodata";
	case MK_DNS_NXDOMAIN: return "nxdomain";
	case MK_DNS_SERVFAIL: return "servfail";
	case MK_DNS_TIMEOUT: return "timeout";
	case MK_DNS_ERROR: return "error";
	}
	return "unknown";
}

static const struct {
	enum mk_dns_type type;
	const char *name;
} dns_types[] = {
	{ MK_DNS_A, "A" },
	{ MK_DNS_PTR, "PTR" },
	{ MK_DNS_MX, "MX" },
	{ MK_DNS_TXT, "TXT" },
	{ MK_DNS_AAAA, "AAAA" },
};

static bool
dns_type_known(enum mk_dns_type type)
{
	size_t i;

	for (i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
		if (dns_types[i].type == type)
			return true;
	return false;
}

const char *
mk_dns_type_name(enum mk_dns_type type)
{
	size_t i;

	for (i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
		if (dns_types[i].type == type)
			return dns_types[i].name;
	return "unknown";
}

int
mk_dns_type_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
		if (strcasecmp(dns_types[i].name, name) == 0)
			return (int)dns_types[i].type;
	return -1;
}

int
mk_dns_reverse_name(const char *ip, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	char buf[80];
	size_t n = 0;
	int i;

	if (ip == NULL || out == NULL)
		return -1;
	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u.in-addr.arpa",
		    a[3], a[2], a[1], a[0]);
	} else if (inet_pton(AF_INET6, ip, a) == 1) {
		for (i = 15; i >= 0; i--) {
			buf[n++] = hex[a[i] & 0xf];
			buf[n++] = '.';
			buf[n++] = hex[a[i] >> 4];
			buf[n++] = '.';
		}
		memcpy(buf + n, "ip6.arpa", sizeof("ip6.arpa"));
	} else
		return -1;
	if (strlen(buf) >= outsz)
		return -1;
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

/* A query name: labels of 1..63 octets, at most 253 octets without the
 * optional trailing dot.  Written into out (DNS_QNAME_MAX) in presentation
 * form for libunbound, octets other than letters, digits, '-' and '_' as
 * \DDD, so a name built by SPF macro expansion is queried as it is. */
static int
dns_name_check(const char *name, char *out, size_t outsz, char *why, size_t whylen)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
	size_t len, label = 0, i, o = 0;

	if (name == NULL || *name == '\0') {
		snprintf(why, whylen, "empty name");
		return -1;
	}
	len = strnlen(name, MK_DNS_NAME_MAX + 2);
	if (len > 1 && name[len - 1] == '.')
		len--;
	if (len > MK_DNS_NAME_MAX) {
		snprintf(why, whylen, "name longer than %d octets", MK_DNS_NAME_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0) {
				snprintf(why, whylen, "empty label in name");
				return -1;
			}
			label = 0;
			out[o++] = '.';
			continue;
		}
		if (++label > DNS_LABEL_MAX) {
			snprintf(why, whylen, "label longer than %d octets", DNS_LABEL_MAX);
			return -1;
		}
		/* Any octet but '.' may stand in a label (RFC 2181 11; SPF
		 * macros expand to such names): pass it as \DDD. */
		if (strchr(plain, c) != NULL)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outsz - o, "\\%03u", c);
	}
	if (label == 0) {
		snprintf(why, whylen, "empty label in name");
		return -1;
	}
	out[o] = '\0';
	return 0;
}

/* ---- Resolver setting ------------------------------------------------ */

/* One forwarder: IPv4 or IPv6 address, optionally "@PORT" (1..65535). */
static int
dns_forwarder_check(const char *tok, char *err, size_t errlen)
{
	char addr[DNS_RESOLVER_TOKEN_MAX + 1];
	unsigned char bin[16];
	const char *at, *p;
	size_t alen;
	unsigned long port = 0;

	if (tok[0] == '[') {
		snprintf(err, errlen, "\"%s\": write IPv6 forwarders as ADDR@PORT "
		    "(e.g. ::1@53), without brackets", tok);
		return -1;
	}
	at = strchr(tok, '@');
	alen = at != NULL ? (size_t)(at - tok) : strlen(tok);
	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "\"%s\": not an IP address", tok);
		return -1;
	}
	memcpy(addr, tok, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1) {
		snprintf(err, errlen, "\"%s\": not an IP address", addr);
		return -1;
	}
	if (at == NULL)
		return 0;
	for (p = at + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || p - at > 5) {
			port = 0;
			break;
		}
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535) {
		snprintf(err, errlen, "\"%s\": port must be 1..65535", tok);
		return -1;
	}
	return 0;
}

/* Split a Resolver setting into tokens (comma or white space separated).
 * Fills toks (each NUL-terminated) and *n; 0 / -1 with err. */
static int
dns_resolver_split(const char *s, char toks[][DNS_RESOLVER_TOKEN_MAX + 1],
    size_t *n, char *err, size_t errlen)
{
	const char *p = s, *start;
	size_t len;

	*n = 0;
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - start);
		if (*n == DNS_FORWARDERS_MAX) {
			snprintf(err, errlen, "more than %d resolvers", DNS_FORWARDERS_MAX);
			return -1;
		}
		if (len > DNS_RESOLVER_TOKEN_MAX) {
			snprintf(err, errlen, "\"%.*s...\": not an IP address", 20, start);
			return -1;
		}
		memcpy(toks[*n], start, len);
		toks[*n][len] = '\0';
		(*n)++;
	}
	if (*n == 0) {
		snprintf(err, errlen, "empty resolver setting (want \"system\" or IP[@PORT])");
		return -1;
	}
	return 0;
}

/* 1 for "system", 0 for a valid forwarder list, -1 with err. */
static int
dns_resolver_parse(const char *resolver, char toks[][DNS_RESOLVER_TOKEN_MAX + 1],
    size_t *n, char *err, size_t errlen)
{
	size_t i;

	if (resolver == NULL) {
		snprintf(err, errlen, "no resolver setting");
		return -1;
	}
	if (dns_resolver_split(resolver, toks, n, err, errlen) == -1)
		return -1;
	for (i = 0; i < *n; i++) {
		if (strcasecmp(toks[i], "system") == 0) {
			if (*n == 1)
				return 1;
			snprintf(err, errlen, "\"system\" cannot be combined with addresses");
			return -1;
		}
		if (dns_forwarder_check(toks[i], err, errlen) == -1)
			return -1;
	}
	return 0;
}

int
mk_dns_resolver_valid(const char *resolver, char *err, size_t errlen)
{
	char toks[DNS_FORWARDERS_MAX][DNS_RESOLVER_TOKEN_MAX + 1];
	size_t n;

	return dns_resolver_parse(resolver, toks, &n, err, errlen) == -1 ? -1 : 0;
}

/* ---- answers --------------------------------------------------------- */

struct mk_dns_answer *
mk_dns_answer_free(struct mk_dns_answer *ans)
{
	size_t i;

	if (ans == NULL)
		return NULL;
	for (i = 0; i < ans->count; i++)
		free(ans->rr[i].text);
	free(ans->rr);
	free(ans);
	return NULL;
}

static struct mk_dns_answer *
dns_answer_new(void)
{
	struct mk_dns_answer *ans = calloc(1, sizeof(*ans));

	if (ans != NULL) {
		ans->status = MK_DNS_ERROR;
		snprintf(ans->why, sizeof(ans->why), "no answer");
	}
	return ans;
}

static void
dns_answer_set(struct mk_dns_answer *ans, enum mk_dns_status st, const char *why)
{
	ans->status = st;
	snprintf(ans->why, sizeof(ans->why), "%s", why);
}

/* Drop the records (a failed parse, or an answer nobody waits for). */
static void
dns_answer_clear(struct mk_dns_answer *ans)
{
	while (ans->count > 0)
		free(ans->rr[--ans->count].text);
	free(ans->rr);
	ans->rr = NULL;
}

/* TXT rdata: character-strings concatenated. */
static int
dns_rr_txt(struct mk_dns_rr *rr, const unsigned char *d, size_t len)
{
	size_t i = 0, n = 0;

	if ((rr->text = malloc(len + 1)) == NULL)
		return -1;
	while (i < len) {
		size_t sl = d[i++];

		if (sl > len - i)
			return -1;
		memcpy(rr->text + n, d + i, sl);
		n += sl;
		i += sl;
	}
	rr->text[n] = '\0';
	rr->len = n;
	return 0;
}

/* An uncompressed wire name at d[*off..len) to lower-case presentation
 * form without the trailing dot ("" for the root); *off moves past it. */
static int
dns_rr_name(struct mk_dns_rr *rr, const unsigned char *d, size_t len, size_t *off)
{
	char buf[DNS_WIRE_NAME_MAX * 4 + 1];
	size_t i = *off, n = 0, wire = 0;

	for (;;) {
		size_t ll, k;

		if (i >= len)
			return -1;
		ll = d[i++];
		wire += ll + 1;
		if (ll == 0)
			break;
		if (ll > DNS_LABEL_MAX || ll > len - i || wire > DNS_WIRE_NAME_MAX)
			return -1;	/* also rejects compression pointers */
		if (n > 0)
			buf[n++] = '.';
		for (k = 0; k < ll; k++) {
			unsigned char c = d[i + k];

			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			if (c <= 0x20 || c >= 0x7f || c == '.' || c == '\\')
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\\%03u", c);
			else
				buf[n++] = (char)c;
		}
		i += ll;
	}
	buf[n] = '\0';
	if ((rr->text = strdup(buf)) == NULL)
		return -1;
	rr->len = n;
	*off = i;
	return 0;
}

static int
dns_rr_parse(struct mk_dns_rr *rr, enum mk_dns_type type, const unsigned char *d, size_t len)
{
	char buf[INET6_ADDRSTRLEN];
	size_t off = 0;

	switch (type) {
	case MK_DNS_A:
	case MK_DNS_AAAA:
		if (len != (type == MK_DNS_A ? 4u : 16u))
			return -1;
		memcpy(&rr->u, d, len);
		inet_ntop(type == MK_DNS_A ? AF_INET : AF_INET6, d, buf, sizeof(buf));
		if ((rr->text = strdup(buf)) == NULL)
			return -1;
		rr->len = strlen(buf);
		return 0;
	case MK_DNS_TXT:
		return dns_rr_txt(rr, d, len);
	case MK_DNS_MX:
		if (len < 3)
			return -1;
		rr->pref = (uint16_t)(d[0] << 8 | d[1]);
		off = 2;
		/* FALLTHROUGH */
	case MK_DNS_PTR:
		if (dns_rr_name(rr, d, len, &off) == -1)
			return -1;
		return off == len ? 0 : -1;
	}
	return -1;
}

static int
dns_mx_cmp(const void *a, const void *b)
{
	const struct mk_dns_rr *x = *(const struct mk_dns_rr *const *)a;
	const struct mk_dns_rr *y = *(const struct mk_dns_rr *const *)b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return x < y ? -1 : x > y;	/* array order: stable */
}

/* Sort MX by preference, keeping the server's order for equal ones. */
static int
dns_mx_sort(struct mk_dns_answer *ans)
{
	struct mk_dns_rr **p, *sorted;
	size_t i;

	if (ans->count < 2)
		return 0;
	p = calloc(ans->count, sizeof(*p));
	sorted = calloc(ans->count, sizeof(*sorted));
	if (p == NULL || sorted == NULL) {
		free(p);
		free(sorted);
		return -1;
	}
	for (i = 0; i < ans->count; i++)
		p[i] = &ans->rr[i];
	qsort(p, ans->count, sizeof(*p), dns_mx_cmp);
	for (i = 0; i < ans->count; i++)
		sorted[i] = *p[i];
	free(p);
	free(ans->rr);
	ans->rr = sorted;
	return 0;
}

static void
dns_answer_data(struct mk_dns_answer *ans, enum mk_dns_type type, const struct ub_result *r)
{
	size_t n = 0, i;

	while (r->data[n] != NULL)
		n++;
	if (n == 0) {
		dns_answer_set(ans, MK_DNS_NODATA, "no records of that type");
		return;
	}
	if ((ans->rr = calloc(n, sizeof(*ans->rr))) == NULL) {
		dns_answer_set(ans, MK_DNS_ERROR, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		ans->count = i + 1;	/* so that free releases rr[i].text */
		if (r->len[i] < 0 || dns_rr_parse(&ans->rr[i], type,
		    (const unsigned char *)r->data[i], (size_t)r->len[i]) == -1) {
			dns_answer_clear(ans);
			dns_answer_set(ans, MK_DNS_SERVFAIL, "malformed record in answer");
			return;
		}
	}
	if (type == MK_DNS_MX && dns_mx_sort(ans) == -1) {
		dns_answer_clear(ans);
		dns_answer_set(ans, MK_DNS_ERROR, "out of memory");
		return;
	}
	dns_answer_set(ans, MK_DNS_OK, "");
}

/* Fill ans (fresh, empty) from libunbound's result. */
static void
dns_answer_fill(struct mk_dns_answer *ans, enum mk_dns_type type, int err,
    const struct ub_result *r)
{
	char why[sizeof(ans->why)];

	if (err != 0 || r == NULL) {
		snprintf(why, sizeof(why), "resolver: %s", ub_strerror(err));
		dns_answer_set(ans, MK_DNS_ERROR, why);
		return;
	}
	ans->ttl = r->ttl > 0 ? (uint32_t)r->ttl : 0;
	ans->secure = r->secure != 0;
	if (r->bogus) {
		snprintf(why, sizeof(why), "DNSSEC bogus: %s",
		    r->why_bogus != NULL ? r->why_bogus : "?");
		dns_answer_set(ans, MK_DNS_SERVFAIL, why);
	} else if (r->nxdomain || r->rcode == DNS_RCODE_NXDOMAIN)
		dns_answer_set(ans, MK_DNS_NXDOMAIN, "no such domain");
	else if (r->rcode == DNS_RCODE_SERVFAIL)
		dns_answer_set(ans, MK_DNS_SERVFAIL, "server failure");
	else if (r->rcode != 0) {
		snprintf(why, sizeof(why), "server answered rcode %d", r->rcode);
		dns_answer_set(ans, MK_DNS_SERVFAIL, why);
	} else if (!r->havedata || r->data == NULL)
		dns_answer_set(ans, MK_DNS_NODATA, "no records of that type");
	else
		dns_answer_data(ans, type, r);
}

/* ---- id table (under dns->lock) -------------------------------------- */

static uint64_t
dns_id_next(struct mk_dns *dns)
{
	/* ids travel through libunbound as a pointer-sized value */
	if (++dns->next_id == 0 || dns->next_id > UINTPTR_MAX)
		dns->next_id = 1;
	return dns->next_id;
}

static void
dns_tab_insert(struct mk_dns *dns, struct dns_query *q)
{
	struct dns_query **h = &dns->tab[q->id % DNS_HASH_SIZE];

	q->hnext = *h;
	*h = q;
}

static struct dns_query *
dns_tab_find(struct mk_dns *dns, uint64_t id)
{
	struct dns_query *q;

	for (q = dns->tab[id % DNS_HASH_SIZE]; q != NULL; q = q->hnext)
		if (q->id == id)
			return q;
	return NULL;
}

static void
dns_tab_remove(struct mk_dns *dns, struct dns_query *q)
{
	struct dns_query **h = &dns->tab[q->id % DNS_HASH_SIZE];

	for (; *h != NULL; h = &(*h)->hnext)
		if (*h == q) {
			*h = q->hnext;
			q->hnext = NULL;
			return;
		}
}

/* ---- async delivery (per event_base) --------------------------------- */

/* Append a finished async query to its base's done list (under lock). */
static void
dns_base_push(struct dns_base *b, struct dns_query *q)
{
	bool was_empty = b->done_head == NULL;
	char c = 0;

	q->dnext = NULL;
	*b->done_tail = q;
	b->done_tail = &q->dnext;
	if (was_empty && write(b->pipe[1], &c, 1) == -1) {
		/* EAGAIN: a wake-up is already pending */
	}
}

static void
dns_base_unref(struct mk_dns *dns, struct dns_base *b)
{
	struct dns_base **pp;

	pthread_mutex_lock(&dns->lock);
	if (--b->refs > 0) {
		pthread_mutex_unlock(&dns->lock);
		return;
	}
	for (pp = &dns->bases; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	pthread_mutex_unlock(&dns->lock);
	event_free(b->ev);
	close(b->pipe[0]);
	close(b->pipe[1]);
	free(b);
}

static void
dns_query_free(struct dns_query *q)
{
	if (q->timer != NULL)
		event_free(q->timer);
	mk_dns_answer_free(q->ans);
	free(q);
}

/* Loop thread: deliver finished queries one at a time, so that a callback
 * may cancel another query of the same batch. */
static void
dns_base_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct dns_base *b = arg;
	struct mk_dns *dns = b->dns;
	struct dns_query *q;
	struct mk_dns_answer *ans;
	char buf[64];
	bool cancelled;

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		continue;
	pthread_mutex_lock(&dns->lock);
	b->refs++;			/* b lives until the loop ends */
	for (;;) {
		if ((q = b->done_head) == NULL)
			break;
		if ((b->done_head = q->dnext) == NULL)
			b->done_tail = &b->done_head;
		cancelled = q->cancelled;
		if (!cancelled)
			dns_tab_remove(dns, q);
		pthread_mutex_unlock(&dns->lock);
		ans = q->ans;
		q->ans = NULL;
		if (!cancelled)
			q->cb(ans, q->arg);
		else
			mk_dns_answer_free(ans);
		dns_query_free(q);
		pthread_mutex_lock(&dns->lock);
		b->refs--;
	}
	pthread_mutex_unlock(&dns->lock);
	dns_base_unref(dns, b);
}

/* Find or create the delivery state for base (under lock). */
static struct dns_base *
dns_base_get(struct mk_dns *dns, struct event_base *base)
{
	struct dns_base *b;
	int i;

	for (b = dns->bases; b != NULL; b = b->next)
		if (b->base == base)
			return b;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	if (pipe(b->pipe) == -1) {
		free(b);
		return NULL;
	}
	for (i = 0; i < 2; i++) {
		fcntl(b->pipe[i], F_SETFL, fcntl(b->pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(b->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	b->dns = dns;
	b->base = base;
	b->done_tail = &b->done_head;
	b->ev = event_new(base, b->pipe[0], EV_READ | EV_PERSIST, dns_base_deliver, b);
	if (b->ev == NULL || event_add(b->ev, NULL) == -1) {
		if (b->ev != NULL)
			event_free(b->ev);
		close(b->pipe[0]);
		close(b->pipe[1]);
		free(b);
		return NULL;
	}
	b->next = dns->bases;
	dns->bases = b;
	return b;
}

/* ---- libunbound side ------------------------------------------------- */

/* Dispatcher thread: an answer from libunbound. */
static void
dns_ub_done(void *arg, int err, struct ub_result *res)
{
	struct mk_dns *dns = dns_dispatching;
	uint64_t id = (uint64_t)(uintptr_t)arg;
	struct mk_dns_answer tmp;
	struct dns_query *q;
	enum mk_dns_type type;

	pthread_mutex_lock(&dns->lock);
	q = dns_tab_find(dns, id);
	type = q != NULL ? q->type : MK_DNS_A;
	pthread_mutex_unlock(&dns->lock);
	if (q == NULL) {		/* timed out or cancelled */
		ub_resolve_free(res);
		return;
	}
	/* parse without the lock; q may go away meanwhile, so re-check */
	memset(&tmp, 0, sizeof(tmp));
	dns_answer_fill(&tmp, type, err, res);
	ub_resolve_free(res);

	pthread_mutex_lock(&dns->lock);
	q = dns_tab_find(dns, id);
	if (q == NULL || q->done) {
		pthread_mutex_unlock(&dns->lock);
		dns_answer_clear(&tmp);
		return;
	}
	*q->ans = tmp;
	q->done = true;
	if (q->kind == DNS_Q_SYNC) {
		dns_tab_remove(dns, q);
		pthread_cond_signal(&q->cond);
	} else
		dns_base_push(q->b, q);
	pthread_mutex_unlock(&dns->lock);
}

static void *
dns_dispatch(void *arg)
{
	struct mk_dns *dns = arg;
	struct pollfd pfd[2];
	char buf[16];

	dns_dispatching = dns;
	pfd[0].fd = ub_fd(dns->ub);
	pfd[0].events = POLLIN;
	pfd[1].fd = dns->wake[0];
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;		/* cannot happen with valid fds */
		}
		if (pfd[1].revents != 0 && read(dns->wake[0], buf, sizeof(buf)) != -1)
			break;		/* mk_dns_free */
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL))
			break;		/* libunbound's pipe is gone */
		if (pfd[0].revents != 0)
			(void)ub_process(dns->ub);
	}
	return NULL;
}

/* Start a query in libunbound; q is in the table.  0 / -1 (why in q->ans,
 * q removed from the table unless already done). */
static int
dns_ub_start(struct mk_dns *dns, struct dns_query *q, const char *name)
{
	sigset_t all, old;
	int ub_id = 0, r;

	/* the first query starts libunbound's thread, which inherits the
	 * signal mask: keep signals with the program's threads */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = ub_resolve_async(dns->ub, name, (int)q->type, DNS_CLASS_IN,
	    (void *)(uintptr_t)q->id, dns_ub_done, &ub_id);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_lock(&dns->lock);
	if (r != 0) {
		if (!q->done) {
			char why[sizeof(q->ans->why)];

			snprintf(why, sizeof(why), "resolver: %s", ub_strerror(r));
			dns_answer_set(q->ans, MK_DNS_ERROR, why);
		}
		pthread_mutex_unlock(&dns->lock);
		return -1;
	}
	if (!q->done)
		q->ub_id = ub_id;
	pthread_mutex_unlock(&dns->lock);
	return 0;
}

/* ---- context --------------------------------------------------------- */

/* Options for a context that queries forwarders (see dns.h).
 *
 * libunbound answers the RFC 6761/6303 special-use zones itself (test.,
 * invalid., 127.in-addr.arpa., private and documentation reverse zones)
 * with NXDOMAIN.  Forwarders answer them themselves, so let them: tests
 * serve example.test and PTRs of 127.x, 192.0.2.x.  "nodefault" does not
 * work through ub_ctx_set_option(): libunbound 1.17 (and its master as of
 * 2025) stores the whole value "test. nodefault" as the zone name in
 * cfg_parse_local_zone(), so the default zone stays.  A "transparent"
 * local zone with no data takes the default's place and lets queries
 * through; the integration test t/integration/dns-resolve proves it. */
static int
dns_ctx_options(struct ub_ctx *ub, char *err, size_t errlen)
{
	static const char *const opts[][2] = {
		{ "do-not-query-localhost:", "no" },
		/* the AS112 zones: private and documentation reverse */
		{ "unblock-lan-zones:", "yes" },
		{ "insecure-lan-zones:", "yes" },
		{ "local-zone:", "test. transparent" },
		{ "local-zone:", "invalid. transparent" },
		{ "local-zone:", "127.in-addr.arpa. transparent" },
		{ "local-zone:", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		    "0.0.0.0.0.0.0.0.ip6.arpa. transparent" },
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if ((r = ub_ctx_set_option(ub, opts[i][0], opts[i][1])) != 0) {
			snprintf(err, errlen, "resolver option %s %s: %s",
			    opts[i][0], opts[i][1], ub_strerror(r));
			return -1;
		}
	return 0;
}

static struct ub_ctx *
dns_ctx_new(const char *resolver, char *err, size_t errlen)
{
	char toks[DNS_FORWARDERS_MAX][DNS_RESOLVER_TOKEN_MAX + 1];
	struct ub_ctx *ub;
	size_t n, i;
	int sys, r;

	if ((sys = dns_resolver_parse(resolver, toks, &n, err, errlen)) == -1)
		return NULL;
	if ((ub = ub_ctx_create()) == NULL) {
		snprintf(err, errlen, "cannot create resolver context");
		return NULL;
	}
	if ((r = ub_ctx_async(ub, 1)) != 0) {
		snprintf(err, errlen, "resolver threads: %s", ub_strerror(r));
		goto fail;
	}
	/* A server that timed out is marked down; without this libunbound
	 * may not ask it again for infra-host-ttl (900 s) and answers
	 * SERVFAIL meanwhile: a resolver restart would cost 15 minutes. */
	if ((r = ub_ctx_set_option(ub, "infra-keep-probing:", "yes")) != 0) {
		snprintf(err, errlen, "resolver option infra-keep-probing: %s", ub_strerror(r));
		goto fail;
	}
	if (sys) {
		/* no usable /etc/resolv.conf: full recursion from the root,
		 * keeping libunbound's default local zones */
		if (ub_ctx_resolvconf(ub, NULL) != 0)
			return ub;
	} else {
		for (i = 0; i < n; i++)
			if ((r = ub_ctx_set_fwd(ub, toks[i])) != 0) {
				snprintf(err, errlen, "forwarder %s: %s", toks[i], ub_strerror(r));
				goto fail;
			}
	}
	if (dns_ctx_options(ub, err, errlen) == -1)
		goto fail;
	return ub;
fail:
	ub_ctx_delete(ub);
	return NULL;
}

struct mk_dns *
mk_dns_new(const char *resolver, unsigned timeout_ms, char *err, size_t errlen)
{
	struct mk_dns *dns;
	sigset_t all, old;
	int i, rc;

	if ((dns = calloc(1, sizeof(*dns))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	dns->wake[0] = dns->wake[1] = -1;
	dns->timeout_ms = timeout_ms != 0 ? timeout_ms : MK_DNS_TIMEOUT_DEFAULT_MS;
	if ((dns->ub = dns_ctx_new(resolver, err, errlen)) == NULL)
		goto fail;
	if (pipe(dns->wake) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < 2; i++)
		fcntl(dns->wake[i], F_SETFD, FD_CLOEXEC);
	pthread_mutex_init(&dns->lock, NULL);
	/* the dispatcher takes no signals: they stay with the program */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&dns->thread, NULL, dns_dispatch, dns);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(rc));
		pthread_mutex_destroy(&dns->lock);
		goto fail;
	}
	return dns;
fail:
	if (dns->ub != NULL)
		ub_ctx_delete(dns->ub);
	for (i = 0; i < 2; i++)
		if (dns->wake[i] != -1)
			close(dns->wake[i]);
	free(dns);
	return NULL;
}

struct mk_dns *
mk_dns_free(struct mk_dns *dns)
{
	struct dns_query *q, *next;
	struct dns_base *b, *bnext;
	size_t i;
	char c = 0;

	if (dns == NULL)
		return NULL;
	if (write(dns->wake[1], &c, 1) == 1)
		pthread_join(dns->thread, NULL);
	/* no more answers now: free what is left */
	for (b = dns->bases; b != NULL; b = b->next)
		for (q = b->done_head; q != NULL; q = next) {
			next = q->dnext;
			if (q->cancelled)	/* not in the table any more */
				dns_query_free(q);
		}
	for (i = 0; i < DNS_HASH_SIZE; i++)
		for (q = dns->tab[i]; q != NULL; q = next) {
			next = q->hnext;
			if (q->kind == DNS_Q_ASYNC)
				dns_query_free(q);
		}
	for (b = dns->bases; b != NULL; b = bnext) {
		bnext = b->next;
		event_free(b->ev);
		close(b->pipe[0]);
		close(b->pipe[1]);
		free(b);
	}
	ub_ctx_delete(dns->ub);
	pthread_mutex_destroy(&dns->lock);
	close(dns->wake[0]);
	close(dns->wake[1]);
	free(dns);
	return NULL;
}

/* ---- queries --------------------------------------------------------- */

static void
dns_deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

struct mk_dns_answer *
mk_dns_query(struct mk_dns *dns, const char *name, enum mk_dns_type type)
{
	struct dns_query q;
	pthread_condattr_t ca;
	struct timespec deadline;
	struct mk_dns_answer *ans;
	char qname[DNS_QNAME_MAX];
	int ub_id = 0;
	bool timedout = false;

	memset(&q, 0, sizeof(q));
	if ((q.ans = ans = dns_answer_new()) == NULL)
		return NULL;
	if (dns_name_check(name, qname, sizeof(qname), ans->why, sizeof(ans->why)) == -1)
		return ans;
	if (!dns_type_known(type)) {
		dns_answer_set(ans, MK_DNS_ERROR, "unsupported record type");
		return ans;
	}
	q.kind = DNS_Q_SYNC;
	q.type = type;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q.cond, &ca);
	pthread_condattr_destroy(&ca);
	dns_deadline(&deadline, dns->timeout_ms);

	pthread_mutex_lock(&dns->lock);
	q.id = dns_id_next(dns);
	dns_tab_insert(dns, &q);
	pthread_mutex_unlock(&dns->lock);

	if (dns_ub_start(dns, &q, qname) == 0) {
		pthread_mutex_lock(&dns->lock);
		while (!q.done)
			if (pthread_cond_timedwait(&q.cond, &dns->lock, &deadline) == ETIMEDOUT)
				break;
		timedout = !q.done;
		ub_id = q.ub_id;
	} else
		pthread_mutex_lock(&dns->lock);
	if (!q.done)
		dns_tab_remove(dns, &q);
	pthread_mutex_unlock(&dns->lock);
	if (timedout) {
		if (ub_id != 0)
			(void)ub_cancel(dns->ub, ub_id);
		dns_answer_set(ans, MK_DNS_TIMEOUT, "no answer within the timeout");
	}
	pthread_cond_destroy(&q.cond);
	return ans;
}

/* Loop thread: the timeout of an async query. */
static void
dns_async_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;
	struct dns_base *b = q->b;
	struct mk_dns *dns = b->dns;
	struct mk_dns_answer *ans;
	int ub_id;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&dns->lock);
	if (q->done) {			/* being delivered: let it be */
		pthread_mutex_unlock(&dns->lock);
		return;
	}
	dns_tab_remove(dns, q);
	ub_id = q->ub_id;
	pthread_mutex_unlock(&dns->lock);
	if (ub_id != 0)
		(void)ub_cancel(dns->ub, ub_id);
	ans = q->ans;
	q->ans = NULL;
	dns_answer_set(ans, MK_DNS_TIMEOUT, "no answer within the timeout");
	q->cb(ans, q->arg);
	dns_query_free(q);
	dns_base_unref(dns, b);
}

uint64_t
mk_dns_query_async(struct mk_dns *dns, struct event_base *base,
    const char *name, enum mk_dns_type type, mk_dns_cb cb, void *arg)
{
	struct dns_query *q;
	struct timeval tv;
	char qname[DNS_QNAME_MAX];
	uint64_t id;
	bool bad;

	if (dns == NULL || base == NULL || cb == NULL || (q = calloc(1, sizeof(*q))) == NULL)
		return 0;
	q->kind = DNS_Q_ASYNC;
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	if ((q->ans = dns_answer_new()) == NULL ||
	    (q->timer = evtimer_new(base, dns_async_timeout, q)) == NULL)
		goto fail;
	bad = dns_name_check(name, qname, sizeof(qname), q->ans->why, sizeof(q->ans->why)) == -1;
	if (!bad && !dns_type_known(type)) {
		dns_answer_set(q->ans, MK_DNS_ERROR, "unsupported record type");
		bad = true;
	}
	pthread_mutex_lock(&dns->lock);
	if ((q->b = dns_base_get(dns, base)) == NULL) {
		pthread_mutex_unlock(&dns->lock);
		goto fail;
	}
	q->b->refs++;
	id = q->id = dns_id_next(dns);
	dns_tab_insert(dns, q);
	if (bad) {			/* delivered from the loop, never here */
		q->done = true;
		dns_base_push(q->b, q);
	}
	pthread_mutex_unlock(&dns->lock);
	if (bad)
		return id;
	tv.tv_sec = dns->timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(dns->timeout_ms % 1000) * 1000;
	evtimer_add(q->timer, &tv);
	if (dns_ub_start(dns, q, qname) == -1) {
		pthread_mutex_lock(&dns->lock);
		if (!q->done) {
			q->done = true;
			dns_base_push(q->b, q);
		}
		pthread_mutex_unlock(&dns->lock);
	}
	return id;
fail:
	dns_query_free(q);
	return 0;
}

void
mk_dns_cancel(struct mk_dns *dns, uint64_t id)
{
	struct dns_query *q;
	struct dns_base *b;
	int ub_id;

	if (dns == NULL || id == 0)
		return;
	pthread_mutex_lock(&dns->lock);
	q = dns_tab_find(dns, id);
	if (q == NULL || q->kind != DNS_Q_ASYNC) {
		pthread_mutex_unlock(&dns->lock);
		return;
	}
	dns_tab_remove(dns, q);
	if (q->done) {			/* in the done list: dropped there */
		q->cancelled = true;
		pthread_mutex_unlock(&dns->lock);
		return;
	}
	ub_id = q->ub_id;
	pthread_mutex_unlock(&dns->lock);
	if (ub_id != 0)
		(void)ub_cancel(dns->ub, ub_id);
	b = q->b;
	dns_query_free(q);
	dns_base_unref(dns, b);
}
