/*
 * main.c: the st2-pagerduty binary's entry point. A table of subcommands
 * drives dispatch and --help; each subcommand parses its own options and
 * returns an exit status.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "st2pd.h"

static const struct subcommand {
	const char *name;
	const char *usage;
	const char *summary;
	int (*fn)(int, char **);
} subcommands[] = {
    {"serve", "[-c FILE]", "run the webhook receiver, spool, forwarder and sensor", cmd_serve},
    {"poll", "--once [-c FILE] [--since TIME] [--dry-run]",
     "one pass of the poller: print each trigger it spools as a JSON line", cmd_poll},
    {"register", "[-c FILE]", "create or update every trigger type in StackStorm", cmd_register},
    {"pack", "DIR",
     "write the StackStorm pack (actions, triggers, aliases, config schema) into DIR", cmd_pack},
    {"sign", "(--secret S | --secret-file PATH | -c FILE) [FILE]",
     "print the X-PagerDuty-Signature value for FILE or stdin", cmd_sign},
    {"send-test", "[-c FILE] [--event TYPE] [--url URL]",
     "POST a signed sample event to the receiver", cmd_send_test},
    {"check-config", "[-c FILE]", "validate the configuration, report every problem",
     cmd_check_config},
    {"spool", "status|list|show|find|retry|purge [-c FILE] ...",
     "inspect the spool and its dead letters", cmd_spool},
    {"run", "[-c FILE] ACTION [--name=VALUE ...]",
     "run one PagerDuty action (ACTION --help describes it)", cmd_run},
    {"actions", "[--json]", "list every action and its parameters", cmd_actions},
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(
	    f, "usage: st2-pagerduty [--version] [--help] COMMAND [ARGS]\n\n"
	       "PagerDuty V3 webhooks in, StackStorm triggers out; PagerDuty actions for rules.\n\n"
	       "commands:\n");
	for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
		fprintf(f, "  %-13s %s\n", subcommands[i].name, subcommands[i].summary);
	}
	fprintf(f, "\nEvery command takes -c FILE (default: $ST2_PAGERDUTY_CONFIG, else "
	           "/etc/st2-pagerduty/config.yaml)\nand --help. See README.md.\n");
}

int
main(int argc, char **argv)
{
	size_t i;
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
	for (i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
		if (strcmp(argv[1], subcommands[i].name) != 0)
			continue;
		if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
			printf("usage: st2-pagerduty %s %s\n\n%s\n", subcommands[i].name,
			       subcommands[i].usage, subcommands[i].summary);
			return 0;
		}
		/* The daemon's signals wait until it can take them (webhook/server.c). */
		if (subcommands[i].fn == cmd_serve)
			serve_mask_signals(SIG_BLOCK);
		/* Writes to closed sockets must be errors, not signals. */
		signal(SIGPIPE, SIG_IGN);
		if (sodium_init() < 0)
			fatal("libsodium failed to initialise");
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatal("libcurl failed to initialise");
		rc = subcommands[i].fn(argc - 1, argv + 1);
		curl_global_cleanup();
		return rc;
	}
	fprintf(stderr, "st2-pagerduty: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return pd_err_exit(PD_ERR_USAGE);
}
