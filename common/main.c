/*
 * main.c: the st2-pagerduty binary's entry point. It finds the subcommand
 * in cli_commands (common/commands.c) and runs it through cli_run(); the
 * usage of the binary as a whole is written from the same entries.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "st2pd.h"

/* The binary's usage: every command's summary, from its entry. */
static void
usage(FILE *f)
{
	size_t i;

	fprintf(
	    f, "usage: st2-pagerduty [--version] [--help] COMMAND [ARGS]\n\n"
	       "PagerDuty V3 webhooks in, StackStorm triggers out; PagerDuty actions for rules.\n\n"
	       "commands:\n");
	for (i = 0; cli_commands[i] != NULL; i++)
		fprintf(f, "  %-13s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fprintf(f, "\nEvery command takes -c FILE (default: $ST2_PAGERDUTY_CONFIG, else "
	           "/etc/st2-pagerduty/config.yaml)\nand --help. See README.md.\n");
}

int
main(int argc, char **argv)
{
	const struct cli_entry *e;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return pd_err_exit(PD_ERR_USAGE);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("st2-pagerduty %s\n", PD_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if ((e = cli_find(argv[1])) == NULL) {
		fprintf(stderr, "st2-pagerduty: unknown command '%s'\n\n", argv[1]);
		usage(stderr);
		return pd_err_exit(PD_ERR_USAGE);
	}
	/* The daemon's signals wait until it can take them (serve/server.c). */
	if (e->flags & CLI_SIGNALS)
		serve_mask_signals(SIG_BLOCK);
	/* Writes to closed sockets must be errors, not signals. */
	signal(SIGPIPE, SIG_IGN);
	crypto_init();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatal("libcurl failed to initialise");
	rc = cli_run(e, argc - 1, argv + 1);
	curl_global_cleanup();
	return rc;
}
