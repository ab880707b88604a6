/*
 * cli.c: what subcommands share when they start: loading the config the
 * way every subcommand reports it (every problem as file:line). It lives
 * in the library, not in main.c, so unit tests can call the subcommands
 * themselves.
 */
#include <stdlib.h>

#include "st2pd.h"

struct pd_config *
cli_try_config(const char *path, int needs)
{
	struct pd_config *cfg = config_new();
	struct pd_strlist problems = {NULL, 0};
	size_t i;

	if (path == NULL)
		path = config_default_path();
	config_load(cfg, path, &problems);
	if (problems.n == 0)
		config_check_needs(cfg, needs, &problems);
	if (problems.n > 0) {
		for (i = 0; i < problems.n; i++)
			fprintf(stderr, "%s\n", problems.v[i]);
		strlist_free(&problems);
		config_free(cfg);
		return NULL;
	}
	log_setup(cfg->debug ? LOG_DEBUG : cfg->log_level, cfg->log_format);
	return cfg;
}

struct pd_config *
cli_load_config(const char *path, int needs)
{
	struct pd_config *cfg = cli_try_config(path, needs);

	if (cfg == NULL)
		exit(pd_err_exit(PD_ERR_CONFIG));
	return cfg;
}
