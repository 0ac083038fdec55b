/*
 * policy-spf/spf_conf.h: mailaka-spf configuration (policyd-spf.conf keys
 * plus the daemon's own), parsed into a refcounted struct so a reload
 * swaps it while requests in flight keep their snapshot.
 */
#ifndef SPF_CONF_H
#define SPF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <netinet/in.h>

/* HELO_reject / Mail_From_reject values (policyd-spf.conf). */
enum spf_reject {
	SPF_REJ_FAIL = 0,	/* reject Fail */
	SPF_REJ_SOFTFAIL,	/* reject Fail and Softfail */
	SPF_REJ_NOT_PASS,	/* reject anything but Pass, None, Temperror */
	SPF_REJ_NULL,		/* HELO only: reject Fail when the sender is null */
	SPF_REJ_FALSE,		/* never reject; add a header */
	SPF_REJ_NO_CHECK,	/* do not check this identity */
};

struct spf_net {
	int family;
	unsigned char addr[16];
	unsigned bits;
};

struct spf_netlist {
	struct spf_net *nets;
	size_t n;
};

struct spf_conf {
	struct mk_conf *raw;
	unsigned refs;
	const char *socket;
	int socket_mode;		/* -1: umask default */
	const char *socket_owner;	/* "user[:group]" or NULL */
	enum spf_reject helo_reject, mail_from_reject;
	bool permerror_reject, temperror_defer;
	bool header_ar;			/* Header_Type = AR */
	bool header_none;		/* Header_Type = None: no header */
	const char *helo_pass_restriction, *mail_from_pass_restriction;	/* or NULL */
	bool test_only;			/* TestOnly = 0: never reject or defer */
	bool enhanced_codes;		/* SPF_Enhanced_Status_Codes */
	bool mock;			/* Mock = True */
	bool hide_receiver;
	const char *authserv_id;	/* AR authserv-id and Received-SPF receiver */
	const char *default_exp;
	const char *resolver;
	long dns_timeout;		/* seconds */
	long cache_size;
	long max_connections;
	long idle_timeout;		/* seconds */
	const char *user, *pidfile;
	struct spf_netlist skip, whitelist;
	const char *const *domain_whitelist;	/* SPF pass for the client: whitelisted */
	size_t n_domain_whitelist;
	const char *const *reject_not_pass;	/* Reject_Not_Pass_Domains */
	size_t n_reject_not_pass;
	const char *const *helo_whitelist;	/* HELO name listed and resolving to the client */
	size_t n_helo_whitelist;
	const char *const *domain_whitelist_ptr;	/* validated PTR name under one */
	size_t n_domain_whitelist_ptr;
	int log_level;
	bool engine_libspf2;		/* Engine = libspf2 */
	long engine_threads;
	unsigned void_limit;		/* Void_Limit (RFC 7208 4.6.4: 2) */
};

/* Load path; NULL with err "file:line: why" on error. Warnings (unknown keys)
 * go to the log. */
struct spf_conf *spf_conf_load(const char *path, char *err, size_t errlen);
/* Same from memory (tests). */
struct spf_conf *spf_conf_parse(const char *buf, size_t len, char *err, size_t errlen);
struct spf_conf *spf_conf_ref(struct spf_conf *c);
/* Drop one reference; frees on the last. Returns NULL. */
struct spf_conf *spf_conf_unref(struct spf_conf *c);
void spf_conf_dump(const struct spf_conf *c, FILE *fp);

bool spf_netlist_match(const struct spf_netlist *l, const char *ip);
const char *spf_reject_name(enum spf_reject r);

#endif
