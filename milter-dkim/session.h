/*
 * milter-dkim/session.h: the per-process runtime (configuration snapshot,
 * libopendkim handle, resolver) and the per-connection / per-message
 * contexts shared by milter.c, sign.c and verify.c.
 */
#ifndef DKIM_SESSION_H
#define DKIM_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include <time.h>

#include <opendkim/dkim.h>

#include "lib/dkim_sign.h"
#include "lib/dkim_verify.h"

#include "milter-dkim/dkim_conf.h"
#include "milter-dkim/keys.h"

#define DKIM_HDR_COUNT_MAX 1000		/* header fields kept per message */
#define DKIM_HDR_BYTES_MAX (1024 * 1024) /* bytes of header fields kept per message */
#define DKIM_VERIFY_SIGS_MAX 32		/* DKIM-Signature fields evaluated (rest: permerror) */
#define DKIM_KEYQ_MAX 16		/* key lookups per message (more: not evaluated) */
#define DKIM_DNS_BUDGET_FACTOR 3	/* a message's key lookups may take 3 x DNSTimeout in all */

/* A configuration snapshot with everything built from it.  Sessions hold a
 * reference; a reload swaps in a new one. */
struct dkim_runtime {
	struct dkim_conf *conf;
	DKIM_LIB *lib;
	const char **signlist;		/* SignHeaders (or OpenDKIM's default) + OversignHeaders */
	time_t fixed_time;		/* MAILAKA_FIXED_TIME (tests), 0 = the clock */
	struct mk_dns *dns;
	unsigned refs;			/* under runtime_lock in milter.c */
};

struct dkim_hdr {
	char *name;
	char *value;			/* as received (leading space kept) */
	struct dkim_hdr *next;
};

/* Outcome of one key lookup done for libopendkim (by d= and s=). */
struct dkim_keyq {
	char domain[256], selector[256];
	int status;			/* enum mk_dns_status */
	char why[128];			/* non-empty: our own permerror reason */
};

/* A key record taken from the cache of recent ones (keyrec.c) at EOH. */
struct dkim_keypre {
	char *name, *txt;
};

struct dkim_msg {
	struct dkim_runtime *rt;	/* borrowed from the connection */
	char id[64];			/* queue id or a counter */
	char login[256];		/* {auth_authen}, "" when not authenticated */
	struct dkim_hdr *hdrs, *hdr_tail;
	size_t nhdrs, hdr_bytes;
	bool hdr_overflow;
	unsigned nfrom;			/* From header fields seen */
	DKIM *sign[DKIM_SIGN_REQS_MAX];	/* SignEngine libopendkim */
	struct mk_dkim_signer *native[DKIM_SIGN_REQS_MAX]; /* SignEngine native */
	struct dkim_sign_req req[DKIM_SIGN_REQS_MAX];
	size_t nsign;
	DKIM *verify;			/* VerifyEngine libopendkim */
	struct mk_dkim_verifier *nverify; /* VerifyEngine native */
	struct dkim_keypre *pre;	/* key records found in keyrec.c at EOH */
	size_t npre;
	struct dkim_keyq keyq[DKIM_KEYQ_MAX];
	size_t nkeyq;
	double dns_spent;		/* seconds spent in key lookups for this message */
	const char *skip_why;		/* set when the message is passed unsigned/unverified */
	const char *quarantine;		/* quarantine at end of message, with this reason */
	bool in_eom;
	unsigned long long body_bytes;
};

struct dkim_conn {
	struct dkim_runtime *rt;	/* referenced for the whole connection */
	char ip[64];
	char host[256];
	bool internal;
	bool leadspc;			/* MK_MP_HDR_LEADSPC negotiated */
	struct dkim_msg *msg;
};

/* runtime.c: build a snapshot from a loaded configuration (taken). NULL with err. */
struct dkim_runtime *dkim_runtime_new(struct dkim_conf *conf, char *err, size_t errlen);
void dkim_runtime_free(struct dkim_runtime *rt);
/* milter.c: the current snapshot (referenced), release, and swap. */
struct dkim_runtime *dkim_runtime_get(void);
void dkim_runtime_put(struct dkim_runtime *rt);
void dkim_runtime_set(struct dkim_runtime *rt);

/* One header field as signers take it: "Name:value" with CRLF line ends
 * (malloc'ed, *len bytes), or NULL. */
unsigned char *dkim_field_text(const struct dkim_conn *cc, const struct dkim_hdr *h, size_t *len);
/* Feed one header field to a libopendkim handle ("Name:value"). */
DKIM_STAT dkim_feed_header(DKIM *d, const struct dkim_conn *cc, const struct dkim_hdr *h);
/* sign.c: the header fields / a body chunk to every native signer. 0 / -1. */
int dkim_sign_headers(const struct dkim_conn *cc, struct dkim_msg *m);
int dkim_sign_body(struct dkim_msg *m, const unsigned char *buf, size_t len);

/* sign.c: one signing handle per key for the From address. 0, or -1 with why. */
int dkim_sign_start(struct dkim_conn *cc, struct dkim_msg *m, const char *from_local,
    const char *from_domain, const char **why);
/* verify.c: the verifying handle. 0, or -1 with why. */
int dkim_verify_start(struct dkim_conn *cc, struct dkim_msg *m, const char **why);
/* verify.c: VerifyEngine native, at EOH: take every key record the message
 * needs from the recent ones; 0 when all were there (EOM then needs no
 * DNS), -1 otherwise. */
int dkim_verify_prefetch(struct dkim_msg *m);
/* verify.c: libopendkim key lookup callback (set in runtime.c). */
DKIM_CBSTAT dkim_verify_key_lookup(DKIM *d, DKIM_SIGINFO *sig, u_char *buf, size_t buflen);

#endif
