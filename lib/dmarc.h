/*
 * lib/dmarc.h: DMARC policy discovery, organizational domains, identifier
 * alignment and disposition -- RFC 9989 (DMARCbis: DNS tree walk, psd/np/t)
 * or RFC 7489 (public suffix list, pct) as chosen by the caller.
 *
 * DNS goes through a query function (lib/dns's mk_dns_query() in the
 * daemons, a table in unit tests).  Nothing here logs.
 *
 * Where this code decides instead of libopendmarc 1.4.2 (each has a test
 * in t/unit/test_dmarc.c):
 *   - every TXT at _dmarc.<domain> is examined, not only the first; a
 *     non-DMARC TXT next to the DMARC record is skipped; two DMARC
 *     records are discarded (no policy);
 *   - a record must start with v=DMARC1 (dmarc_record.c);
 *   - adkim=s / aspf=s are enforced (exact domain match);
 *   - pct=0 (7489 sampling, 9989 t=y) applies the next less strict policy
 *     (reject -> quarantine, quarantine -> none) instead of no action;
 *   - an invalid p= with a valid rua= acts as p=none (7489 6.6.3; in 9989
 *     mode an absent or invalid p= is p=none);
 *   - the SPF identity is the HELO domain when MAIL FROM is null (the
 *     caller passes it in mk_dmarc_input.spf; see arparse.h).
 */
#ifndef MK_DMARC_H
#define MK_DMARC_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/dmarc_record.h"
#include "lib/dns.h"

#define MK_DMARC_WALK_MAX 8	/* RFC 9989 4.10: at most 8 queries per walk */
#define MK_DMARC_LABELS_MAX 8	/* a walk jumps to 7 labels from longer names */
#define MK_DMARC_DKIM_MAX 16	/* DKIM results considered per message */
#define MK_DMARC_CACHE_MAX 32	/* _dmarc lookups remembered per evaluation */
#define MK_DMARC_DOMAIN_MAX 255	/* identifier domains (as lib/addr, RFC 5321 4.5.3.1.2) */

enum mk_dmarc_spec {
	MK_DMARC_SPEC_9989 = 0,
	MK_DMARC_SPEC_7489,
};

struct mk_psl;

/* The DNS seam: returns an answer (freed by the caller with
 * mk_dns_answer_free) or NULL on out-of-memory (taken as a temp error). */
typedef struct mk_dns_answer *(*mk_dmarc_query_fn)(void *arg, const char *name,
    enum mk_dns_type type);

struct mk_dmarc_env {
	enum mk_dmarc_spec spec;
	const struct mk_psl *psl;	/* required in 7489 mode; borrowed */
	mk_dmarc_query_fn query;
	void *query_arg;
};

enum mk_dmarc_disc {
	MK_DMARC_DISC_FOUND = 0,	/* one usable record */
	MK_DMARC_DISC_NONE,		/* no record (or several at one name) */
	MK_DMARC_DISC_TEMPERROR,	/* DNS failure */
	MK_DMARC_DISC_PERMERROR,	/* a record that cannot be used */
};

/* One _dmarc lookup, remembered for the rest of an evaluation. */
struct mk_dmarc_lookup {
	char name[MK_DNS_NAME_MAX + 1];	/* the domain (without "_dmarc.") */
	enum mk_dmarc_disc status;
	struct mk_dmarc_record rec;	/* status FOUND */
	unsigned ndmarc;		/* v=DMARC1 TXTs seen */
};

/* Per-evaluation state: the environment and a cache of lookups. */
struct mk_dmarc_walk {
	const struct mk_dmarc_env *env;
	size_t nqueries;		/* DNS queries made */
	size_t ncache;
	struct mk_dmarc_lookup cache[MK_DMARC_CACHE_MAX];
};

struct mk_dmarc_policy_info {
	enum mk_dmarc_disc status;
	char domain[MK_DNS_NAME_MAX + 1];	/* where the record was found */
	char org_domain[MK_DNS_NAME_MAX + 1];	/* of the author domain (7489 only; "" in 9989) */
	bool at_author;				/* found at the From domain itself */
	struct mk_dmarc_record rec;
	const char *why;			/* static, for logs / A-R comments */
};

void mk_dmarc_walk_init(struct mk_dmarc_walk *w, const struct mk_dmarc_env *env);

/* The _dmarc record of one name (cached). */
const struct mk_dmarc_lookup *mk_dmarc_lookup(struct mk_dmarc_walk *w, const char *domain);

/* Organizational domain of a normalised domain into out (>= MK_DNS_NAME_MAX
 * + 1 bytes).  9989: tree walk (psd=n / psd=y / fewest labels / the domain
 * itself); 7489: the PSL.  0, or -1 on a DNS temp failure (out then holds
 * the domain itself). */
int mk_dmarc_org_domain(struct mk_dmarc_walk *w, const char *domain, char *out, size_t outsz);

/* RFC 7489 7.1 / RFC 9990: may reports about domain go to an address in
 * dest_domain?  Yes when both have the same organizational domain, else
 * only if <domain>._report._dmarc.<dest_domain> holds a v=DMARC1 TXT.
 * 1 yes, 0 no, -1 DNS failure. */
int mk_dmarc_destination_ok(struct mk_dmarc_walk *w, const char *domain,
    const char *dest_domain);

/* Policy discovery for the From domain.  Always fills info; returns 0. */
int mk_dmarc_discover(struct mk_dmarc_walk *w, const char *from_domain,
    struct mk_dmarc_policy_info *info);

/* ---- evaluation ------------------------------------------------------ */

enum mk_dmarc_result {
	MK_DMARC_RES_NONE = 0,
	MK_DMARC_RES_PASS,
	MK_DMARC_RES_FAIL,
	MK_DMARC_RES_TEMPERROR,
	MK_DMARC_RES_PERMERROR,
};

/* One authenticated identifier as DMARC sees it. result: "pass", "fail",
 * "softfail", "neutral", "none", "temperror", "permerror", "policy". */
struct mk_dmarc_auth {
	char domain[MK_DMARC_DOMAIN_MAX + 1];
	char result[16];
	char selector[64];		/* DKIM only, for reports */
	bool aligned;			/* set by mk_dmarc_evaluate */
};

struct mk_dmarc_input {
	const char *from_domain;	/* normalised */
	size_t ndkim;
	struct mk_dmarc_auth dkim[MK_DMARC_DKIM_MAX];
	bool have_spf;
	bool spf_helo;			/* the SPF identity is the HELO (null MAIL FROM) */
	struct mk_dmarc_auth spf;
	unsigned sample;		/* 0..99 for pct sampling (7489) */
};

struct mk_dmarc_outcome {
	enum mk_dmarc_result result;
	enum mk_dmarc_policy policy;		/* requested: p, sp or np */
	enum mk_dmarc_policy disposition;	/* applied: none on pass */
	bool dkim_aligned, spf_aligned;		/* an aligned pass of each */
	bool downgraded;			/* pct / t=y applied the next less strict */
	bool nonexistent;			/* np applied */
	struct mk_dmarc_policy_info info;
};

/* Evaluate: discovery, alignment of each input (sets in->...aligned),
 * disposition.  Returns 0 (result says what happened). */
int mk_dmarc_evaluate(struct mk_dmarc_walk *w, struct mk_dmarc_input *in,
    struct mk_dmarc_outcome *out);

/* Whether two domains are aligned: strict = equal, relaxed = same
 * organizational domain.  *tempfail set when a DNS failure decided. */
bool mk_dmarc_is_aligned(struct mk_dmarc_walk *w, const char *a, const char *b,
    bool strict, bool *tempfail);

const char *mk_dmarc_result_name(enum mk_dmarc_result r);	/* "pass", ... */

#endif
