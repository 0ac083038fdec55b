/*
 * cli/main.c: mailaka, the admin tool. Thin: global options, then one
 * command from the table below.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cmd_dkim_keygen.h"
#include "lib/addr.h"

static int cmd_help(int argc, char **argv, const struct cli_opts *opts);
static int run_dkim_keygen(int argc, char **argv, const struct cli_opts *opts);

static const struct cli_cmd cli_cmds[] = {
	{ "check", "check the published DNS records, certificate and ports of a domain",
	    "check DOMAIN [--resolver R] [--ipv4 A] [--ipv6 AAAA] [--host NAME] [--cert FILE] "
	    "[--ports 25,465,587] [--selector S]...", cmd_check },
	{ "dkim-keygen", "make a DKIM key (RSA or Ed25519) and print its DNS record",
	    "dkim-keygen DOMAIN [SELECTOR] [--type rsa|ed25519] [--bits N] [--dir D]",
	    run_dkim_keygen },
	{ "dmarc-report", "build and send DMARC aggregate reports from the history store",
	    "dmarc-report [-c dmarc.conf] [--history FILE] [--dry-run DIR] [--relay HOST:PORT] "
	    "[--from ADDR] [--org NAME] [--email ADDR] [--period S] [--period-end TS] [--periods N] "
	    "[--spec 9989|7489] [--resolver R] [--psl FILE] [--expire DURATION]", cmd_dmarc_report },
	{ "dns", "print the DNS records to publish for a domain (zone-file syntax)",
	    "dns DOMAIN [--ipv4 A] [--ipv6 AAAA] [--mx HOST] [--rua ADDR] [--ruf ADDR] "
	    "[--policy none|quarantine|reject] [--mta-sts ID] [--tls-rpt ADDR]", cmd_dns },
	{ "help", "list the commands", "help [COMMAND]", cmd_help },
	{ "lookup", "resolve a name through lib/dns, as the daemons do",
	    "lookup [--resolver R] [--timeout MS] [--async] NAME [TYPE]", cmd_lookup },
	{ "send", "send a test mail through a submission server (TLS, AUTH)",
	    "send --server HOST:PORT [--user U] [--password-file F] --to ADDR [--from ADDR] "
	    "[--subject S] [--tls starttls|implicit|none] [--cafile F] [--insecure] ...", cmd_send },
	{ NULL, NULL, NULL, NULL },
};

static const struct cli_cmd *
cli_find(const char *name)
{
	const struct cli_cmd *c;

	for (c = cli_cmds; c->name != NULL; c++)
		if (strcasecmp(c->name, name) == 0)
			return c;
	return NULL;
}

static int
cmd_help(int argc, char **argv, const struct cli_opts *opts)
{
	const struct cli_cmd *c;

	(void)opts;
	if (argc > 1) {
		if ((c = cli_find(argv[1])) == NULL) {
			fprintf(stderr, "mailaka: no command \"%s\" (see mailaka help)\n", argv[1]);
			return 2;
		}
		printf("usage: mailaka [-C CONFIGDIR] %s\n  %s\n", c->usage, c->summary);
		return 0;
	}
	printf("usage: mailaka [-C CONFIGDIR] COMMAND [ARGS]\n\ncommands:\n");
	for (c = cli_cmds; c->name != NULL; c++)
		printf("  %-14s %s\n", c->name, c->summary);
	printf("\nglobal options:\n  -C CONFIGDIR   configuration directory (default %s)\n",
	    MK_SYSCONFDIR);
	return 0;
}

/* mkdir -p with mode for the directories it creates. 0 / -1 (errno). */
static int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) == -1 && errno != EEXIST ? -1 : 0;
}

/*
 * dkim-keygen writes into CONFIGDIR/dkim/<domain>/ (the layout the daemons
 * and "mailaka dns" read) unless --dir is given.
 */
static int
run_dkim_keygen(int argc, char **argv, const struct cli_opts *opts)
{
	char dom[MK_ADDR_DOMAIN_MAX + 1], dir[PATH_MAX], **av;
	const char *domain = NULL, *why;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 || strncmp(argv[i], "--dir=", 6) == 0)
			return cmd_dkim_keygen(argc, argv);
		if (strcmp(argv[i], "--type") == 0 || strcmp(argv[i], "--bits") == 0)
			i++;
		else if (argv[i][0] != '-' && domain == NULL)
			domain = argv[i];
	}
	if (domain == NULL || mk_domain_normalize(domain, strlen(domain), dom, sizeof(dom), &why) == -1)
		return cmd_dkim_keygen(argc, argv);	/* it reports the usage error */
	if ((size_t)snprintf(dir, sizeof(dir), "%s/dkim/%s", opts->confdir, dom) >= sizeof(dir) ||
	    mkdir_p(dir, 0750) == -1) {
		fprintf(stderr, "mailaka dkim-keygen: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if ((av = calloc((size_t)argc + 3, sizeof(*av))) == NULL)
		return 1;
	memcpy(av, argv, (size_t)argc * sizeof(*av));
	av[argc] = (char *)"--dir";
	av[argc + 1] = dir;
	rc = cmd_dkim_keygen(argc + 2, av);
	free(av);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cli_opts opts = { .confdir = MK_SYSCONFDIR };
	const struct cli_cmd *c;
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc) {
			opts.confdir = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2] != '\0') {
			opts.confdir = argv[i] + 2;
			i++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			return cmd_help(1, argv, &opts);
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("mailaka %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			fprintf(stderr, "mailaka: unknown option %s (see mailaka help)\n", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		cmd_help(1, argv, &opts);
		return 2;
	}
	if ((c = cli_find(argv[i])) == NULL) {
		fprintf(stderr, "mailaka: no command \"%s\" (see mailaka help)\n", argv[i]);
		return 2;
	}
	return c->run(argc - i, argv + i, &opts);
}
