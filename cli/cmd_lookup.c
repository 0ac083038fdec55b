/*
 * cli/cmd_lookup.c: "mailaka lookup NAME [TYPE]" resolves through lib/dns
 * exactly as the daemons do (same Resolver syntax, same status mapping),
 * with the sync API or, with --async, the libevent one. Output:
 *   status=<ok|nodata|nxdomain|servfail|timeout|error> ttl=N count=N [why="..."]
 *   <TYPE> <data>            one line per record (TXT as an escaped quoted string)
 * Exit status 0 when status=ok, 1 otherwise, 2 on usage errors.
 */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cli/cli.h"
#include "lib/dns.h"
#include "lib/log.h"

struct lookup_wait {
	struct event_base *base;
	struct mk_dns_answer *ans;
};

static void
lookup_done(struct mk_dns_answer *ans, void *arg)
{
	struct lookup_wait *w = arg;

	w->ans = ans;
	event_base_loopbreak(w->base);
}

static struct mk_dns_answer *
lookup_async(struct mk_dns *dns, const char *name, enum mk_dns_type type)
{
	struct lookup_wait w = { .base = event_base_new(), .ans = NULL };

	if (w.base == NULL)
		return NULL;
	if (mk_dns_query_async(dns, w.base, name, type, lookup_done, &w) != 0)
		event_base_dispatch(w.base);
	event_base_free(w.base);
	return w.ans;
}

static void
lookup_print(const struct mk_dns_answer *ans, enum mk_dns_type type)
{
	char esc[4096];
	size_t i;

	printf("status=%s ttl=%u count=%zu", mk_dns_status_name(ans->status),
	    (unsigned)ans->ttl, ans->count);
	if (ans->status != MK_DNS_OK && ans->why[0] != '\0')
		printf(" why=\"%s\"", mk_log_escape(ans->why, strlen(ans->why), esc, sizeof(esc)));
	printf("\n");
	for (i = 0; i < ans->count; i++) {
		const struct mk_dns_rr *rr = &ans->rr[i];

		switch (type) {
		case MK_DNS_MX:
			printf("MX %u %s\n", (unsigned)rr->pref, rr->text);
			break;
		case MK_DNS_TXT:
			printf("TXT \"%s\"\n", mk_log_escape(rr->text, rr->len, esc, sizeof(esc)));
			break;
		default:
			printf("%s %s\n", mk_dns_type_name(type), rr->text);
			break;
		}
	}
}

int
cmd_lookup(int argc, char **argv, const struct cli_opts *opts)
{
	static const struct option longopts[] = {
		{ "resolver", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "async", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *resolver = "system";
	unsigned timeout_ms = 0;
	bool async = false;
	struct mk_dns *dns;
	struct mk_dns_answer *ans;
	char err[256];
	int type = MK_DNS_A, c, rc;

	(void)opts;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:t:a", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			resolver = optarg;
			break;
		case 't':
			timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'a':
			async = true;
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		fprintf(stderr, "usage: mailaka lookup [--resolver R] [--timeout MS] [--async] NAME [TYPE]\n");
		return 2;
	}
	if (argc - optind == 2 && (type = mk_dns_type_parse(argv[optind + 1])) < 0) {
		fprintf(stderr, "mailaka lookup: unknown type %s (A, AAAA, MX, TXT, PTR)\n",
		    argv[optind + 1]);
		return 2;
	}
	if ((dns = mk_dns_new(resolver, timeout_ms, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mailaka lookup: %s\n", err);
		return 2;
	}
	if (async)
		ans = lookup_async(dns, argv[optind], type);
	else
		ans = mk_dns_query(dns, argv[optind], type);
	if (ans == NULL) {
		fprintf(stderr, "mailaka lookup: query failed to start\n");
		mk_dns_free(dns);
		return 1;
	}
	lookup_print(ans, type);
	rc = ans->status == MK_DNS_OK ? 0 : 1;
	mk_dns_answer_free(ans);
	mk_dns_free(dns);
	return rc;
}
