/*
 * check.c: the check-config subcommand: every problem of the config as
 * file:line: key: reason, else the effective configuration (secrets only
 * as "(set)"); with --keys, every key the file may hold, with its type,
 * default and meaning, from the rows of config_table (table.c).
 */
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

/* Prints every key with its effective value; secrets only as (set)/(unset). */
void
config_print(const struct pd_config *cfg, FILE *f)
{
	const struct config_entry *e;
	const struct pd_strlist *l;
	const void *field;
	const char *s;
	size_t j;

	for (e = config_table; e < config_table + config_nkeys; e++) {
		field = (const char *)cfg + e->offset;
		l = field;
		s = config_is_string(e) ? *(char *const *)field : NULL;
		fprintf(f, "%-24s ", e->name);
		switch (e->type) {
		case CT_SECRET:
			fputs(s == NULL ? "(unset)" : *s == '\0' ? "(empty)" : "(set)", f);
			break;
		case CT_SECRETLIST:
			if (l->n == 0)
				fputs("(unset)", f);
			else
				fprintf(f, "(%zu set)", l->n);
			break;
		case CT_STRING:
		case CT_URL:
		case CT_PATH:
			fputs(s == NULL ? "(unset)" : *s == '\0' ? "\"\"" : s, f);
			break;
		case CT_STRLIST:
			for (j = 0; j < l->n; j++)
				fprintf(f, "%s%s", j > 0 ? ", " : "", l->v[j]);
			if (l->n == 0)
				fputs("(unset)", f);
			break;
		case CT_BOOL:
			fputs(*(const int *)field ? "true" : "false", f);
			break;
		case CT_INT:
			fprintf(f, "%ld", *(const long *)field);
			break;
		case CT_ENUM:
			fputs(config_enum_name(e->enums, *(const int *)field), f);
			break;
		}
		fputc('\n', f);
	}
}

/* --keys: each row of the table, a line of facts and a line of meaning. */
static void
config_print_keys(FILE *f)
{
	const struct config_entry *e;
	char *type, *def;

	for (e = config_table; e < config_table + config_nkeys; e++) {
		type = config_type_text(e);
		def = config_default_text(e);
		fprintf(f, "%s: %s; ", e->name, type);
		if (def != NULL)
			fprintf(f, "default %s", def);
		else
			fputs("no default", f);
		if (e->env != NULL)
			fprintf(f, "; $%s overrides it", e->env);
		if (e->flags & CK_PACK)
			fputs("; in StackStorm's pack config too", f);
		fprintf(f, "\n    %s\n", e->help);
		free(type);
		free(def);
	}
}

#define CONFIG_FOR  256 /* check-config --for */
#define CONFIG_KEYS 257 /* check-config --keys */

/* What --for names, and the keys each requires. */
static const struct {
	const char *name;
	int needs;
} config_fors[] = {
    {"serve", CONFIG_NEED_SERVE},
    {"register", CONFIG_NEED_ST2},
    {"run", CONFIG_NEED_PD},
};

/* check-config: report every problem, or print the effective config. */
static int
config_exec(const struct cli_args *a)
{
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *cfg;
	const char *path = a->config, *what = cli_value(a, CONFIG_FOR);
	size_t i;
	int needs = CONFIG_NEED_SERVE, rc = 0;

	if (cli_count(a, CONFIG_KEYS) > 0) {
		config_print_keys(stdout);
		return 0;
	}
	if (what != NULL) {
		for (i = 0; i < sizeof config_fors / sizeof config_fors[0]; i++) {
			if (strcmp(what, config_fors[i].name) == 0)
				break;
		}
		if (i == sizeof config_fors / sizeof config_fors[0])
			return cli_usage_error(a->entry, "--for: unknown \"%s\"", what);
		needs = config_fors[i].needs;
	}
	if (path == NULL)
		path = config_default_path();

	/* Like cli_load_config: what is missing means little until the file loads. */
	cfg = config_new();
	if (config_load(cfg, path, &problems) == PD_OK)
		config_check_needs(cfg, needs, &problems);
	if (problems.n > 0) {
		for (i = 0; i < problems.n; i++)
			fprintf(stderr, "%s\n", problems.v[i]);
		rc = pd_err_exit(PD_ERR_CONFIG);
	} else {
		config_print(cfg, stdout);
		printf("%s: ok\n", path);
	}
	for (i = 0; i < cfg->warnings.n; i++)
		fprintf(stderr, "warning: %s\n", cfg->warnings.v[i]);
	strlist_free(&problems);
	config_free(cfg);
	return rc;
}

static const struct cli_option config_options[] = {
    {"for", CONFIG_FOR, "serve|register|run", "check the keys this command needs (default: serve)"},
    {"keys", CONFIG_KEYS, NULL, "list every key instead: its type, default and meaning"},
    {NULL, 0, NULL, NULL},
};

const struct cli_entry cmd_check_config_entry = {
    .name = "check-config",
    .summary = "validate the config, print every problem as file:line: key: reason",
    .help = "With no problem, prints the effective configuration (secrets as (set)).\n"
            "--keys lists every key a config file may hold, without reading one.",
    .options = config_options,
    .exec = config_exec,
};
