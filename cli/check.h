/*
 * cli/check.h: "mailaka check DOMAIN" -- shared state of the checks.
 *
 * Each check prints lines
 *   OK   <check>: <what was found>
 *   WARN <check>: <what>            (works, but should be improved)
 *   FAIL <check>: <problem>
 *        fix: <what to do>
 * and counts them; the command exits 1 when any FAIL was printed.
 * cmd_check.c: arguments, MX, host addresses; check_dns.c: SPF, DKIM,
 * DMARC, reverse DNS; check_net.c: certificate, SMTP ports.
 */
#ifndef MK_CLI_CHECK_H
#define MK_CLI_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <arpa/inet.h>

#include "cli/cli.h"
#include "cli/records.h"
#include "lib/dns.h"

#define CHECK_SELECTORS_MAX 16
#define CHECK_PORTS_MAX 16
#define CHECK_CONNECT_TIMEOUT_MS 5000

enum check_level { CHECK_OK, CHECK_WARN, CHECK_FAIL, CHECK_SKIP };

struct check_ctx {
	const struct cli_opts *opts;
	struct mk_dns *dns;
	char domain[MK_DNS_NAME_MAX + 2];
	char host[MK_DNS_NAME_MAX + 2];		/* the mail host (--host or first MX) */
	bool host_given;
	struct rec_opts rec;			/* expected records (ipv4/ipv6 point below) */
	char addr4[REC_ADDRS_MAX][INET_ADDRSTRLEN];
	char addr6[REC_ADDRS_MAX][INET6_ADDRSTRLEN];
	const char *cert;			/* --cert, or NULL: CONFIGDIR/certs/<host>/fullchain.pem */
	const char *cafile;			/* extra trust anchors for the certificate chain */
	const char *ports;			/* "25,465,587" ("" skips) */
	const char *selectors[CHECK_SELECTORS_MAX];	/* --selector: published keys to look at */
	size_t nsel;
	unsigned timeout_ms;
	int nok, nwarn, nfail;
};

/* Print one result line (and "fix:" when fix is not NULL) and count it. */
void check_report(struct check_ctx *c, enum check_level lvl, const char *name, const char *fix,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Print a TXT line as it should be published (for fixes). */
void check_txt_fix(const char *name, const char *text, char *out, size_t outsz);

void check_spf(struct check_ctx *c);
void check_dkim(struct check_ctx *c);
void check_dmarc(struct check_ctx *c);
void check_ptr(struct check_ctx *c);
void check_cert(struct check_ctx *c);
void check_ports(struct check_ctx *c);

#endif
