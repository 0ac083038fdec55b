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

#include "cli/cli.h"

static int cmd_help(int argc, char **argv, const struct cli_opts *opts);

static const struct cli_cmd cli_cmds[] = {
	{ "help", "list the commands", "help [COMMAND]", cmd_help },
	{ "lookup", "resolve a name through lib/dns, as the daemons do",
	    "lookup [--resolver R] [--timeout MS] [--async] NAME [TYPE]", cmd_lookup },
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
