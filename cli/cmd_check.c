/*
 * cli/cmd_check.c: "mailaka check DOMAIN" -- arguments, the report, MX and
 * the mail host's addresses; the other checks are in check_dns.c and
 * check_net.c (see check.h).  Exit 0 when everything is OK (warnings
 * allowed), 1 when anything failed, 2 on usage errors.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/check.h"
#include "lib/addr.h"
#include "lib/log.h"

static int
usage(void)
{
	fprintf(stderr, "usage: mailaka [-C CONFIGDIR] check DOMAIN [--resolver R] [--ipv4 A]... "
	    "[--ipv6 AAAA]... [--host NAME] [--cert FILE] [--cafile FILE] [--ports 25,465,587] "
	    "[--selector S]... [--timeout MS]\n");
	return 2;
}

void
check_report(struct check_ctx *c, enum check_level lvl, const char *name, const char *fix,
    const char *fmt, ...)
{
	static const char *const tags[] = { "OK  ", "WARN", "FAIL", "SKIP" };
	va_list ap;

	printf("%s %s: ", tags[lvl], name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (fix != NULL)
		printf("     fix: %s\n", fix);
	if (lvl == CHECK_OK)
		c->nok++;
	else if (lvl == CHECK_WARN)
		c->nwarn++;
	else if (lvl == CHECK_FAIL)
		c->nfail++;
}

void
check_txt_fix(const char *name, const char *text, char *out, size_t outsz)
{
	char line[REC_TEXT_MAX * 2];

	if (rec_txt_line(name, text, strlen(text), line, sizeof(line)) == 0)
		snprintf(out, outsz, "publish %s", line);
	else
		snprintf(out, outsz, "publish a TXT record at %s", name);
}

static bool
host_in_domain(const char *host, const char *domain)
{
	size_t hl = strlen(host), dl = strlen(domain);

	return hl == dl ? strcasecmp(host, domain) == 0 :
	    hl > dl && host[hl - dl - 1] == '.' && strcasecmp(host + hl - dl, domain) == 0;
}

static void
check_mx(struct check_ctx *c)
{
	struct mk_dns_answer *a = mk_dns_query(c->dns, c->domain, MK_DNS_MX);
	char fix[MK_DNS_NAME_MAX * 2 + 64], mx[MK_DNS_NAME_MAX + 2];
	size_t i;

	rec_mx_host(&c->rec, mx, sizeof(mx));
	if (c->host_given)
		snprintf(mx, sizeof(mx), "%s", c->host);
	snprintf(fix, sizeof(fix), "publish %s. IN MX 10 %s.", c->domain, mx);
	if (a == NULL || a->status != MK_DNS_OK || a->count == 0) {
		check_report(c, CHECK_FAIL, "mx", fix, "no MX record for %s (%s)", c->domain,
		    a != NULL ? mk_dns_status_name(a->status) : "out of memory");
		goto done;
	}
	if (a->rr[0].len == 0) {
		check_report(c, CHECK_FAIL, "mx", fix, "%s publishes a null MX (RFC 7505): it "
		    "receives no mail", c->domain);
		goto done;
	}
	if (!c->host_given) {
		snprintf(c->host, sizeof(c->host), "%s", a->rr[0].text);
		check_report(c, CHECK_OK, "mx", NULL, "%s MX %u %s", c->domain,
		    (unsigned)a->rr[0].pref, a->rr[0].text);
		goto done;
	}
	for (i = 0; i < a->count; i++)
		if (strcasecmp(a->rr[i].text, c->host) == 0) {
			check_report(c, CHECK_OK, "mx", NULL, "%s MX %u %s", c->domain,
			    (unsigned)a->rr[i].pref, a->rr[i].text);
			goto done;
		}
	check_report(c, CHECK_FAIL, "mx", fix, "the MX records of %s do not name %s (first: %s)",
	    c->domain, c->host, a->rr[0].text);
done:
	mk_dns_answer_free(a);
}

/* The host's addresses from DNS when none were given. */
static void
check_addrs(struct check_ctx *c)
{
	struct mk_dns_answer *a4, *a6;
	size_t i;

	if (c->rec.n4 + c->rec.n6 > 0) {
		check_report(c, CHECK_SKIP, "addresses", NULL, "given on the command line");
		return;
	}
	a4 = mk_dns_query(c->dns, c->host, MK_DNS_A);
	a6 = mk_dns_query(c->dns, c->host, MK_DNS_AAAA);
	for (i = 0; a4 != NULL && a4->status == MK_DNS_OK && i < a4->count && c->rec.n4 <
	    REC_ADDRS_MAX; i++) {
		snprintf(c->addr4[c->rec.n4], sizeof(c->addr4[0]), "%s", a4->rr[i].text);
		c->rec.ipv4[c->rec.n4] = c->addr4[c->rec.n4];
		c->rec.n4++;
	}
	for (i = 0; a6 != NULL && a6->status == MK_DNS_OK && i < a6->count && c->rec.n6 <
	    REC_ADDRS_MAX; i++) {
		snprintf(c->addr6[c->rec.n6], sizeof(c->addr6[0]), "%s", a6->rr[i].text);
		c->rec.ipv6[c->rec.n6] = c->addr6[c->rec.n6];
		c->rec.n6++;
	}
	if (c->rec.n4 == 0)
		check_report(c, c->rec.n6 > 0 ? CHECK_WARN : CHECK_FAIL, "a", "publish an A record "
		    "for the mail host", "%s has no IPv4 address (%s)", c->host,
		    a4 != NULL ? mk_dns_status_name(a4->status) : "out of memory");
	else
		check_report(c, CHECK_OK, "a", NULL, "%s has %zu IPv4 address(es), first %s", c->host,
		    c->rec.n4, c->addr4[0]);
	if (c->rec.n6 == 0)
		check_report(c, CHECK_WARN, "aaaa", "publish an AAAA record (Gmail prefers IPv6 "
		    "senders with matching reverse DNS)", "%s has no IPv6 address (%s)", c->host,
		    a6 != NULL ? mk_dns_status_name(a6->status) : "out of memory");
	else
		check_report(c, CHECK_OK, "aaaa", NULL, "%s has %zu IPv6 address(es), first %s",
		    c->host, c->rec.n6, c->addr6[0]);
	mk_dns_answer_free(a4);
	mk_dns_answer_free(a6);
}

static int
check_addr_opt(struct check_ctx *c, int af, const char *s)
{
	unsigned char b[16];

	if (inet_pton(af, s, b) != 1)
		return -1;
	if (af == AF_INET) {
		if (c->rec.n4 >= REC_ADDRS_MAX)
			return -1;
		inet_ntop(af, b, c->addr4[c->rec.n4], sizeof(c->addr4[0]));
		c->rec.ipv4[c->rec.n4] = c->addr4[c->rec.n4];
		c->rec.n4++;
	} else {
		if (c->rec.n6 >= REC_ADDRS_MAX)
			return -1;
		inet_ntop(af, b, c->addr6[c->rec.n6], sizeof(c->addr6[0]));
		c->rec.ipv6[c->rec.n6] = c->addr6[c->rec.n6];
		c->rec.n6++;
	}
	return 0;
}

static int
check_opt(struct check_ctx *c, int ch, const char **resolver)
{
	const char *why;

	switch (ch) {
	case 'r': *resolver = optarg; return 0;
	case '4': return check_addr_opt(c, AF_INET, optarg);
	case '6': return check_addr_opt(c, AF_INET6, optarg);
	case 'h':
		if (mk_domain_normalize(optarg, strlen(optarg), c->host, sizeof(c->host), &why) != 0)
			return -1;
		c->host_given = true;
		return 0;
	case 'c': c->cert = optarg; return 0;
	case 'a': c->cafile = optarg; return 0;
	case 'p': c->ports = optarg; return 0;
	case 's':
		if (c->nsel >= CHECK_SELECTORS_MAX)
			return -1;
		c->selectors[c->nsel++] = optarg;
		return 0;
	case 't':
		c->timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
		return c->timeout_ms > 0 && c->timeout_ms <= 60000 ? 0 : -1;
	default: return -1;
	}
}

static int
check_args(int argc, char **argv, struct check_ctx *c, const char **resolver)
{
	static const struct option longopts[] = {
		{ "resolver", required_argument, NULL, 'r' }, { "ipv4", required_argument, NULL, '4' },
		{ "ipv6", required_argument, NULL, '6' }, { "host", required_argument, NULL, 'h' },
		{ "cert", required_argument, NULL, 'c' }, { "cafile", required_argument, NULL, 'a' },
		{ "ports", required_argument, NULL, 'p' },
		{ "selector", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	const char *why = "invalid";
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "r:4:6:h:c:a:p:s:t:", longopts, NULL)) != -1)
		if (check_opt(c, ch, resolver) != 0) {
			fprintf(stderr, "mailaka check: bad option or value%s%s\n",
			    optarg != NULL ? ": " : "", optarg != NULL ? optarg : "");
			return -1;
		}
	if (optind + 1 != argc)
		return -1;
	if (mk_domain_normalize(argv[optind], strlen(argv[optind]), c->domain, sizeof(c->domain),
	    &why) != 0 || c->domain[0] == '[') {
		fprintf(stderr, "mailaka check: bad domain \"%s\": %s\n", argv[optind], why);
		return -1;
	}
	c->rec.domain = c->domain;
	if (c->host_given)
		c->rec.mx = c->host;
	return 0;
}

int
cmd_check(int argc, char **argv, const struct cli_opts *opts)
{
	struct check_ctx *c;
	const char *resolver = "system";
	char err[256];
	int rc = 2;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return 1;
	c->opts = opts;
	c->ports = "25,465,587";
	if (check_args(argc, argv, c, &resolver) != 0) {
		usage();
		goto done;
	}
	if ((c->dns = mk_dns_new(resolver, c->timeout_ms, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailaka check: %s\n", err);
		goto done;
	}
	printf("checking %s (configuration %s)\n", c->domain, opts->confdir);
	check_mx(c);
	if (c->host[0] == '\0')
		snprintf(c->host, sizeof(c->host), "mail.%.240s", c->domain);
	if (!host_in_domain(c->host, c->domain))
		printf("     (mail host %s is outside %s)\n", c->host, c->domain);
	check_addrs(c);
	check_spf(c);
	check_dkim(c);
	check_dmarc(c);
	check_ptr(c);
	check_cert(c);
	check_ports(c);
	printf("%s: %d ok, %d warning(s), %d failed\n", c->nfail > 0 ? "FAILED" : "PASSED",
	    c->nok, c->nwarn, c->nfail);
	rc = c->nfail > 0 ? 1 : 0;
done:
	mk_dns_free(c->dns);
	free(c);
	return rc;
}
