/*
 * cli.c: what every subcommand shares. Each command file exports one
 * struct cli_entry (tmux's cmd_entry): its name, operands, summary, help,
 * options and handler; main.c lists them. From that entry cli_run() parses
 * the command line (getopt, -c FILE and --help for every command), refuses
 * what the entry does not allow with its usage, and calls the handler with
 * what it found; the usage line and --help are written from the same
 * entry, and so are `st2-pagerduty --help` and README's command table (a
 * unit test compares). Also here: loading the config the way every
 * subcommand reports it (every problem as file:line). It lives in the
 * library, not in main.c, so unit tests can run the subcommands.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

/* What every command takes besides its own options. */
static const struct cli_option cli_common[] = {
    {"config", 'c', "FILE",
     "the config file (default: $ST2_PAGERDUTY_CONFIG, else /etc/st2-pagerduty/config.yaml)"},
    {"help", 'h', NULL, "this help"},
    {NULL, 0, NULL, NULL},
};

/* How many options a NULL-named list holds. */
static size_t
cli_noptions(const struct cli_option *o)
{
	size_t n = 0;

	while (o != NULL && o[n].name != NULL)
		n++;
	return n;
}

/* Appends "[--name ARG]" (for -c, "[-c FILE]") for one option to f. */
static void
cli_synopsis_option(FILE *f, const struct cli_option *o)
{
	if (o->key == 'c')
		fprintf(f, " [-c %s]", o->arg);
	else
		fprintf(f, " [--%s%s%s]", o->name, o->arg != NULL ? " " : "",
		        o->arg != NULL ? o->arg : "");
}

/*
 * The command's synopsis after "st2-pagerduty": "sign [-c FILE] [--secret S]
 * [FILE|-]"; without -c FILE when config is 0 (README says it once).
 */
char *
cli_synopsis(const struct cli_entry *e, int config)
{
	const struct cli_option *o;
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (f == NULL)
		fatal("cli: open_memstream failed");
	fputs(e->name, f);
	if (config)
		cli_synopsis_option(f, &cli_common[0]);
	if (e->flags & CLI_OWN_HELP) /* options depend on the subcommand: its usage says */
		fputs(" [options]", f);
	for (o = e->options; o != NULL && o->name != NULL && !(e->flags & CLI_OWN_HELP); o++)
		cli_synopsis_option(f, o);
	if (e->operands != NULL && *e->operands != '\0')
		fprintf(f, " %s", e->operands);
	fclose(f);
	return s;
}

/* Writes one option's help line: "  -n, --dry-run        print ...". */
static void
cli_option_help(FILE *f, const struct cli_option *o)
{
	char left[48];

	if (CLI_SHORT(o->key))
		snprintf(left, sizeof left, "-%c, --%s%s%s", o->key, o->name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
	else
		snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
	fprintf(f, "  %-26s %s\n", left, o->help);
}

/* The usage line, and with full the summary, the help text and every option. */
void
cli_usage(const struct cli_entry *e, FILE *f, int full)
{
	const struct cli_option *o;
	char *syn = cli_synopsis(e, 1);

	fprintf(f, "usage: st2-pagerduty %s\n", syn);
	free(syn);
	if (!full)
		return;
	fprintf(f, "%s\n", e->summary);
	if (e->help != NULL)
		fprintf(f, "\n%s\n", e->help);
	fputs("\noptions:\n", f);
	for (o = e->options; o != NULL && o->name != NULL; o++)
		cli_option_help(f, o);
	for (o = cli_common; o->name != NULL; o++)
		cli_option_help(f, o);
}

/* A usage error: what was wrong, then the usage line, on stderr; the exit status. */
int
cli_usage_error(const struct cli_entry *e, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "st2-pagerduty %s: ", e->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_usage(e, stderr, 0);
	return pd_err_exit(PD_ERR_USAGE);
}

/* The last value given for an option, or NULL. */
const char *
cli_value(const struct cli_args *a, int key)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < a->nopts; i++) {
		if (a->opts[i].key == key)
			v = a->opts[i].value;
	}
	return v;
}

/* How many times an option was given. */
int
cli_count(const struct cli_args *a, int key)
{
	size_t i;
	int n = 0;

	for (i = 0; i < a->nopts; i++)
		n += a->opts[i].key == key;
	return n;
}

/* Parses argv (argv[0] is the command's name) as e says; 0, or an exit status in *rc. */
static int
cli_parse(const struct cli_entry *e, int argc, char **argv, struct cli_args *a, int *rc)
{
	size_t n = cli_noptions(e->options), i, k = 0;
	struct option *longs = xcalloc(n + 3, sizeof *longs);
	char *shorts = xmalloc(2 * (n + 2) + 2), *p = shorts;
	const struct cli_option *o;
	int ch;

	*p++ = ':'; /* a missing value is ':', told apart from an unknown option */
	for (i = 0; i < n + 2; i++) {
		o = i < n ? &e->options[i] : &cli_common[i - n];
		longs[k].name = o->name;
		longs[k].has_arg = o->arg != NULL ? required_argument : no_argument;
		longs[k++].val = o->key;
		if (CLI_SHORT(o->key)) {
			*p++ = (char)o->key;
			if (o->arg != NULL)
				*p++ = ':';
		}
	}
	*p = '\0';
	a->opts = xcalloc((size_t)argc + 1, sizeof *a->opts);
	optind = 0; /* glibc: a full reset, a command may run more than once per process */
	opterr = 0;
	*rc = -1;
	while ((ch = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (ch == 'h' && !(e->flags & CLI_OWN_HELP)) {
			cli_usage(e, stdout, 1);
			*rc = 0;
		} else if (ch == '?' || ch == ':') {
			*rc = cli_usage_error(e, "%s: %s", argv[optind - 1],
			                      ch == ':' ? "needs a value" : "unknown option");
		} else if (ch == 'c') {
			a->config = optarg;
		} else {
			a->opts[a->nopts].key = ch;
			a->opts[a->nopts++].value = optarg;
		}
		if (*rc >= 0)
			break;
	}
	if (*rc < 0) {
		a->argc = argc - optind;
		a->argv = argv + optind;
		if (a->argc < e->min_operands)
			*rc = cli_usage_error(
			    e, "%s", a->argc == 0 ? "what to work on?" : "too few arguments");
		else if (e->max_operands >= 0 && a->argc > e->max_operands)
			*rc = cli_usage_error(e, "unexpected argument \"%s\"",
			                      a->argv[e->max_operands]);
	}
	free(longs);
	free(shorts);
	return *rc < 0 ? 0 : -1;
}

/* Runs one command as main() does: argv[0] is its name. */
int
cli_run(const struct cli_entry *e, int argc, char **argv)
{
	struct cli_args a;
	int rc;

	memset(&a, 0, sizeof a);
	a.entry = e;
	if (e->flags & CLI_RAW) {
		/* It reads its own arguments (run: st2's --name=value forms). */
		a.argc = argc - 1;
		a.argv = argv + 1;
		return e->exec(&a);
	}
	if (cli_parse(e, argc, argv, &a, &rc) == 0)
		rc = e->exec(&a);
	free(a.opts);
	return rc;
}

/* The entry named name, or NULL. */
const struct cli_entry *
cli_find(const char *name)
{
	size_t i;

	for (i = 0; cli_commands[i] != NULL; i++) {
		if (strcmp(cli_commands[i]->name, name) == 0)
			return cli_commands[i];
	}
	return NULL;
}

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
