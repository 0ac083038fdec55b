/*
 * cli/cli.h: the command table of the mailaka admin tool. Each command is
 * int run(argc, argv, opts) with argv[0] the command name; it returns the
 * process exit status (0 ok, 1 a check failed / operation failed, 2 usage).
 */
#ifndef MK_CLI_H
#define MK_CLI_H

struct cli_opts {
	const char *confdir;	/* -C CONFIGDIR */
};

struct cli_cmd {
	const char *name;
	const char *summary;
	const char *usage;
	int (*run)(int argc, char **argv, const struct cli_opts *opts);
};

int cmd_check(int argc, char **argv, const struct cli_opts *opts);
int cmd_dmarc_report(int argc, char **argv, const struct cli_opts *opts);
int cmd_dns(int argc, char **argv, const struct cli_opts *opts);
int cmd_lookup(int argc, char **argv, const struct cli_opts *opts);
int cmd_send(int argc, char **argv, const struct cli_opts *opts);

#endif
