/*
 * cli/cmd_dns.c: "mailaka dns DOMAIN" prints the records to publish, in
 * zone-file syntax: MX (and A/AAAA of the MX host when it is inside the
 * domain), SPF, one DKIM TXT per key under CONFIGDIR/dkim/DOMAIN/, the
 * _dmarc record, optionally MTA-STS and TLS-RPT, and the PTR records to ask
 * the hosting provider for as comments.  Exit 0, 1 (a key could not be
 * read, the records are still printed), 2 usage.
 */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/records.h"
#include "lib/addr.h"
#include "lib/dns.h"

static int
usage(void)
{
	fprintf(stderr, "usage: mailaka [-C CONFIGDIR] dns DOMAIN [--ipv4 A]... [--ipv6 AAAA]... "
	    "[--mx HOST] [--rua ADDR] [--ruf ADDR] [--policy none|quarantine|reject] "
	    "[--mta-sts ID] [--tls-rpt ADDR]\n");
	return 2;
}

/* Options shared with "mailaka check": 0, or -1 (message printed). */
static int
dns_opt(int c, struct rec_opts *o, const char *cmd)
{
	unsigned char b[16];

	switch (c) {
	case '4':
		if (inet_pton(AF_INET, optarg, b) != 1 || o->n4 >= REC_ADDRS_MAX)
			goto bad;
		o->ipv4[o->n4++] = optarg;
		return 0;
	case '6':
		if (inet_pton(AF_INET6, optarg, b) != 1 || o->n6 >= REC_ADDRS_MAX)
			goto bad;
		o->ipv6[o->n6++] = optarg;
		return 0;
	case 'm':
		if (!mk_domain_is_valid(optarg, strlen(optarg)))
			goto bad;
		o->mx = optarg;
		return 0;
	case 'a': o->rua = optarg; return 0;
	case 'f': o->ruf = optarg; return 0;
	case 'p':
		if (strcmp(optarg, "none") != 0 && strcmp(optarg, "quarantine") != 0 &&
		    strcmp(optarg, "reject") != 0)
			goto bad;
		o->policy = optarg;
		return 0;
	case 's': o->mta_sts_id = optarg; return 0;
	case 't': o->tls_rpt = optarg; return 0;
	default: return -1;
	}
bad:
	fprintf(stderr, "mailaka %s: bad value \"%s\"\n", cmd, optarg);
	return -1;
}

static void
print_txt(const char *name, const char *text)
{
	char line[REC_TEXT_MAX * 2];

	if (rec_txt_line(name, text, strlen(text), line, sizeof(line)) == 0)
		printf("%s\n", line);
	else
		printf("; %s: record too long to print\n", name);
}

static void
print_host(const struct rec_opts *o)
{
	char mx[MK_DNS_NAME_MAX + 2], rev[80];
	size_t i, dl = strlen(o->domain), ml;

	rec_mx_host(o, mx, sizeof(mx));
	printf("; mail exchanger\n%s. IN MX 10 %s.\n", o->domain, mx);
	ml = strlen(mx);
	if (ml > dl && mx[ml - dl - 1] == '.' && strcasecmp(mx + ml - dl, o->domain) == 0) {
		for (i = 0; i < o->n4; i++)
			printf("%s. IN A %s\n", mx, o->ipv4[i]);
		for (i = 0; i < o->n6; i++)
			printf("%s. IN AAAA %s\n", mx, o->ipv6[i]);
	}
	if (o->n4 + o->n6 > 0)
		printf("; reverse DNS, set where the addresses are hosted (forward-confirmed):\n");
	for (i = 0; i < o->n4; i++)
		if (mk_dns_reverse_name(o->ipv4[i], rev, sizeof(rev)) == 0)
			printf(";   %s. IN PTR %s.\n", rev, mx);
	for (i = 0; i < o->n6; i++)
		if (mk_dns_reverse_name(o->ipv6[i], rev, sizeof(rev)) == 0)
			printf(";   %s. IN PTR %s.\n", rev, mx);
}

static int
print_dkim(const char *confdir, const char *domain)
{
	struct rec_dkim_key *keys;
	char err[256], name[MK_DNS_NAME_MAX + 80], text[REC_TEXT_MAX + 64];
	int n, i, rc = 0;

	if ((keys = calloc(REC_DKIM_KEYS_MAX, sizeof(*keys))) == NULL)
		return 1;
	n = rec_dkim_keys(confdir, domain, keys, REC_DKIM_KEYS_MAX, err, sizeof(err));
	printf("; DKIM\n");
	if (n < 0)
		fprintf(stderr, "mailaka dns: %s\n", err);
	if (n <= 0) {
		printf("; no DKIM key under %s/dkim/%s/: make one with\n"
		    ";   mailaka dkim-keygen %s SELECTOR --dir %s/dkim/%s\n",
		    confdir, domain, domain, confdir, domain);
		rc = n < 0;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s._domainkey.%s", keys[i].selector, domain);
		if (keys[i].p[0] == '\0') {
			fprintf(stderr, "mailaka dns: %s\n", keys[i].problem);
			printf("; %s: %s\n", name, keys[i].problem);
			rc = 1;
			continue;
		}
		if (!keys[i].from_private && keys[i].txt[0] != '\0') {
			print_txt(name, keys[i].txt);	/* no private key: the .txt as written */
			continue;
		}
		snprintf(text, sizeof(text), "v=DKIM1; k=%s; p=%s", keys[i].k, keys[i].p);
		print_txt(name, text);
	}
	free(keys);
	return rc;
}

static void
print_policy(const struct rec_opts *o)
{
	char text[REC_TEXT_MAX], name[MK_DNS_NAME_MAX + 32];

	if (rec_spf(o, text, sizeof(text)) == 0) {
		printf("; SPF\n");
		print_txt(o->domain, text);
	}
	if (rec_dmarc(o, text, sizeof(text)) == 0) {
		printf("; DMARC\n");
		snprintf(name, sizeof(name), "_dmarc.%s", o->domain);
		print_txt(name, text);
	}
	if (o->mta_sts_id != NULL) {
		printf("; MTA-STS (serve the policy at https://mta-sts.%s/.well-known/mta-sts.txt)\n",
		    o->domain);
		snprintf(name, sizeof(name), "_mta-sts.%s", o->domain);
		snprintf(text, sizeof(text), "v=STSv1; id=%s", o->mta_sts_id);
		print_txt(name, text);
	}
	if (o->tls_rpt != NULL) {
		printf("; SMTP TLS reporting\n");
		snprintf(name, sizeof(name), "_smtp._tls.%s", o->domain);
		snprintf(text, sizeof(text), "v=TLSRPTv1; rua=mailto:%s", o->tls_rpt);
		print_txt(name, text);
	}
}

int
cmd_dns(int argc, char **argv, const struct cli_opts *opts)
{
	static const struct option longopts[] = {
		{ "ipv4", required_argument, NULL, '4' }, { "ipv6", required_argument, NULL, '6' },
		{ "mx", required_argument, NULL, 'm' }, { "rua", required_argument, NULL, 'a' },
		{ "ruf", required_argument, NULL, 'f' }, { "policy", required_argument, NULL, 'p' },
		{ "mta-sts", required_argument, NULL, 's' },
		{ "tls-rpt", required_argument, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	struct rec_opts o = { .domain = NULL };
	char domain[MK_DNS_NAME_MAX + 2] = "";
	const char *why = "invalid";
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "4:6:m:a:f:p:s:t:", longopts, NULL)) != -1)
		if (dns_opt(c, &o, "dns") != 0)
			return usage();
	if (optind + 1 != argc)
		return usage();
	if (mk_domain_normalize(argv[optind], strlen(argv[optind]), domain, sizeof(domain),
	    &why) != 0 || domain[0] == '[') {
		fprintf(stderr, "mailaka dns: bad domain \"%s\": %s\n", argv[optind],
		    domain[0] == '[' ? "an address literal" : why);
		return 2;
	}
	o.domain = domain;
	printf("; records to publish for %s (generated by mailaka dns)\n", domain);
	print_host(&o);
	print_policy(&o);
	rc = print_dkim(opts->confdir, domain);
	return rc;
}
