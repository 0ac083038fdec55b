/*
 * t/integration/dmarc-report/driver.c: runs cmd_dmarc_report() as
 * `mailaka dmarc-report` does, for the test while cli/main.c does not list
 * the command yet (the test prefers cli/mailaka when it has it).
 */
#include "config.h"

#include "cli/cmd_dmarc_report.h"

int
main(int argc, char **argv)
{
	struct cli_opts opts = { .confdir = MK_SYSCONFDIR };

	return cmd_dmarc_report(argc, argv, &opts);
}
