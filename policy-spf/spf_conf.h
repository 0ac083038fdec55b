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
	const char *const *domain_whitelist;
	size_t n_domain_whitelist;
	int log_level;
	bool engine_libspf2;		/* Engine = libspf2 */
	long engine_threads;
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
/* Is domain (or a parent of it) listed? */
bool spf_conf_domain_whitelisted(const struct spf_conf *c, const char *domain);
const char *spf_reject_name(enum spf_reject r);

#endif
