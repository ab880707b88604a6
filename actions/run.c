/*
 * run.c: the `run` and `actions` subcommands: StackStorm's arguments into
 * action parameters, the config (file or environment), one action run with
 * its result on stdout or a one-line JSON error on stderr, and the help
 * and listings printed from the action table.
 *
 * DESIGN
 * st2's local-shell-script runner builds the command line as
 * `<entry_point> <named...> <positional...>` (stackstorm-api.md 3.3): a
 * named parameter is "--name=value" (Python's str(): objects and arrays as
 * repr), true is a bare "--name", false and null are left out; positional
 * ones follow in position order, with their own encoding and "" for a
 * missing value. The action name is positional parameter 0, so st2 puts
 * it after the named ones while a human usually types it first: the first
 * argument that is not an option is the action, and "--name=value" is
 * accepted on both sides of it. Values are converted by args_value()
 * (args.c). Everything is checked before the config is even read: unknown
 * parameters (usage error), values, enums and required parameters
 * (validation error naming the parameter), so no request is ever made with
 * a missing value in it.
 *
 * The config is -c FILE, else $ST2_PAGERDUTY_CONFIG, else
 * /etc/st2-pagerduty/config.yaml. For run that last, default file may be
 * absent: the environment alone ($ST2_PAGERDUTY_API_KEY, ...) is then the
 * config. That is how the pack's metadata passes st2's pack config to the
 * binary without putting a secret on its command line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st2pd.h"

/* Positional parameters of one action: st2 allows a handful. */
#define RUN_MAX_POSITIONAL 32

static enum pd_err run_fail(char **, enum pd_err, const char *, ...) PD_PRINTF(3, 4);

/* Sets *why and returns err. */
static enum pd_err
run_fail(char **why, enum pd_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*why = xvasprintf(fmt, ap);
	va_end(ap);
	return err;
}

/* Checks a converted value against the parameter's enum and item fields. */
static enum pd_err
run_check_value(const struct action *act, const struct action_param *p, json_t *v, char **why)
{
	enum pd_err err = PD_OK;
	const char *s;
	char *where;
	size_t i, n;
	json_t *e;

	n = json_is_array(v) ? json_array_size(v) : 1;
	for (i = 0; p->enums != NULL && i < n; i++) {
		e = json_is_array(v) ? json_array_get(v, i) : v;
		if ((s = json_string_value(e)) == NULL)
			return run_fail(why, PD_ERR_VALIDATION, "--%s: expected text values",
			                p->name);
		if (!action_enum_ok(p->enums, s))
			return run_fail(why, PD_ERR_VALIDATION,
			                "--%s: \"%s\" is not an allowed value (see run %s --help)",
			                p->name, s, act->name);
	}
	if (p->items == NULL || !json_is_array(v))
		return PD_OK;
	json_array_foreach (v, i, e) {
		where = xasprintf("%s[%zu]", p->name, i);
		err = action_check_fields(p->items, e, where, why);
		free(where);
		if (err != PD_OK)
			break;
	}
	return err;
}

/* Orders positional parameters by position (insertion sort of a few pointers). */
static size_t
run_positionals(const struct action *act, const struct action_param **pos)
{
	const struct action_param *p;
	size_t n = 0, i;

	for (p = act->params; p->name != NULL && n < RUN_MAX_POSITIONAL; p++) {
		if (p->position <= 0)
			continue;
		for (i = n++; i > 0 && pos[i - 1]->position > p->position; i--)
			pos[i] = pos[i - 1];
		pos[i] = p;
	}
	return n;
}

/*
 * The value of a positional argument (stackstorm-api.md 3.3, "Positional
 * serialization"): "" is a missing value, except that st2 also writes an
 * integer 0 as "": a required integer or one with a default (which st2
 * would have sent) that arrives as "" was a 0. Sets *v to NULL for absent.
 */
static enum pd_err
run_positional(const struct action_param *p, const char *text, json_t **v, char **why)
{
	char *w = NULL;

	*v = NULL;
	if (*text == '\0') {
		if ((p->type == PT_INTEGER || p->type == PT_NUMBER) &&
		    ((p->flags & PF_REQUIRED) || p->def != NULL))
			*v = json_integer(0);
		return PD_OK;
	}
	if ((*v = args_value(p->type, text, &w)) == NULL) {
		run_fail(why, PD_ERR_VALIDATION, "%s (argument %d): %s", p->name, p->position,
		         w != NULL ? w : "bad value");
		free(w);
		return PD_ERR_VALIDATION;
	}
	return PD_OK;
}

/* A named argument "--name[=value]"; *v NULL when st2 would have meant "absent". */
static enum pd_err
run_named(const struct action_param *p, const char *eq, json_t **v, char **why)
{
	char *w = NULL;

	*v = NULL;
	if (eq == NULL) {
		if (p->type != PT_BOOLEAN)
			return run_fail(why, PD_ERR_USAGE, "--%s needs a value: --%s=VALUE",
			                p->name, p->name);
		*v = json_true();
		return PD_OK;
	}
	if (eq[1] == '\0') /* st2 leaves empty values out: "" is absent */
		return PD_OK;
	if ((*v = args_value(p->type, eq + 1, &w)) == NULL) {
		run_fail(why, PD_ERR_VALIDATION, "--%s: %s", p->name, w != NULL ? w : "bad value");
		free(w);
		return PD_ERR_VALIDATION;
	}
	return PD_OK;
}

/* Parses st2's arguments into params; see DESIGN. */
enum pd_err
action_parse_args(const struct action *act, int argc, char **argv, json_t **params, char **why)
{
	const struct action_param *pos[RUN_MAX_POSITIONAL], *p;
	const char *const *one;
	json_t *ps = json_object(), *v;
	enum pd_err err = PD_OK;
	size_t npos = run_positionals(act, pos), ipos = 0;
	const char *a, *eq;
	char *name, *c;
	int i;

	*params = NULL;
	*why = NULL;
	for (i = 0; i < argc && err == PD_OK; i++) {
		a = argv[i];
		p = NULL;
		eq = NULL;
		if (a[0] == '-' && a[1] == '-' && a[2] != '\0') {
			eq = strchr(a, '=');
			name = xstrndup(a + 2, eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2));
			for (c = name; *c != '\0'; c++) /* --write-config is --write_config */
				if (*c == '-')
					*c = '_';
			p = action_param_find(act, name);
			if (p == NULL && ipos >= npos)
				err = run_fail(why, PD_ERR_USAGE,
				               "unknown parameter --%s for %s (see "
				               "st2-pagerduty run %s --help)",
				               name, act->name, act->name);
			free(name);
			if (err != PD_OK)
				break;
		}
		if (p != NULL) {
			if (json_object_get(ps, p->name) != NULL) {
				err = run_fail(why, PD_ERR_USAGE, "--%s given twice", p->name);
				break;
			}
			err = run_named(p, eq, &v, why);
		} else if (ipos < npos) {
			p = pos[ipos++];
			err = run_positional(p, a, &v, why);
		} else {
			err = run_fail(why, PD_ERR_USAGE, "unexpected argument \"%s\" for %s", a,
			               act->name);
			break;
		}
		if (err != PD_OK || v == NULL)
			continue;
		if ((err = run_check_value(act, p, v, why)) == PD_OK)
			json_object_set_new(ps, p->name, v);
		else
			json_decref(v);
	}

	for (p = act->params; err == PD_OK && p->name != NULL; p++) {
		if (json_object_get(ps, p->name) != NULL)
			continue;
		if (p->def != NULL)
			json_object_set_new(ps, p->name, action_json(p->def));
		else if (p->flags & PF_REQUIRED)
			err = run_fail(why, PD_ERR_VALIDATION, "missing required parameter %s: %s",
			               p->name, p->description);
	}
	if (err == PD_OK && act->one_of != NULL) {
		for (one = act->one_of; *one != NULL; one++) {
			if (json_object_get(ps, *one) != NULL)
				break;
		}
		if (*one == NULL) {
			name = xstrdup("");
			for (one = act->one_of; *one != NULL; one++) {
				c = xasprintf("%s%s--%s", name, *name != '\0' ? ", " : "", *one);
				free(name);
				name = c;
			}
			err = run_fail(why, PD_ERR_VALIDATION, "%s needs at least one of: %s",
			               act->name, name);
			free(name);
		}
	}
	if (err != PD_OK) {
		json_decref(ps);
		return err;
	}
	*params = ps;
	return PD_OK;
}

/* Prints {"error": error} on one line to stderr. */
static void
run_print_error(json_t *error)
{
	json_t *doc;
	char *s;

	if (json_object_get(error, "http_status") == NULL)
		json_object_set_new(error, "http_status", json_null());
	doc = json_pack("{s:O}", "error", error);
	s = json_dumps(doc, JSON_COMPACT);
	fprintf(stderr, "%s\n", s != NULL ? s : "{\"error\":{}}");
	free(s);
	json_decref(doc);
}

/* Fails run with a local error: the JSON line, then the exit status. */
static int
run_exit(enum pd_err err, const char *message)
{
	json_t *e = action_error(err, message);

	run_print_error(e);
	json_decref(e);
	return pd_err_exit(err);
}

/* Loads the config for run; NULL after printing the error. See DESIGN. */
static struct pd_config *
run_config(const char *path)
{
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *cfg = config_new();
	const char *env = getenv("ST2_PAGERDUTY_CONFIG");
	int explicit = path != NULL || (env != NULL && *env != '\0');
	char *msg;

	if (path == NULL)
		path = config_default_path();
	/*
	 * No file, or one we may not read: the environment is the config. The
	 * second is the packaged case: /etc/st2-pagerduty/config.yaml belongs
	 * to the daemon (0640), and st2 runs actions as its own user with the
	 * pack config in the environment.
	 */
	if (!explicit && access(path, R_OK) != 0 && (errno == ENOENT || errno == EACCES))
		config_apply_env(cfg, &problems);
	else
		config_load(cfg, path, &problems);
	if (problems.n == 0) {
		log_setup(cfg->debug                  ? LOG_DEBUG
		          : cfg->log_level < LOG_WARN ? cfg->log_level
		                                      : LOG_WARN,
		          cfg->log_format);
		return cfg;
	}
	msg = strlist_join(&problems, "; ");
	run_exit(PD_ERR_CONFIG, msg);
	free(msg);
	strlist_free(&problems);
	config_free(cfg);
	return NULL;
}

/* Writes s as one shell word (single-quoted when it needs to be). */
static void
run_shell_word(FILE *f, const char *s)
{
	const char *c;

	if (*s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                            "0123456789-_=./:@,%+") == strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (c = s; *c != '\0'; c++) {
		if (*c == '\'')
			fputs("'\\''", f);
		else
			fputc(*c, f);
	}
	fputc('\'', f);
}

/* What the result of an action is, for help text. */
static const char *
run_shape_words(const struct action *act)
{
	switch (act->shape) {
	case AS_RAW:
		return act->handler != NULL ? "see the description" : "PagerDuty's answer as it is";
	case AS_KEY:
		return NULL; /* printed with the key */
	case AS_LIST:
		return "the list, every page merged";
	case AS_DELETED:
		return "{\"deleted\": true}";
	case AS_SUCCESS:
		return "{\"success\": true}";
	}
	return "";
}

/* `run ACTION --help`: what the action does, its parameters and an example. */
void
action_help(const struct action *act, FILE *f)
{
	const struct action_param *p;
	const char *const *e;
	const char *words;
	char *head;

	fprintf(f, "usage: st2-pagerduty run [-c FILE] %s [--name=VALUE ...]\n\n%s\n\n", act->name,
	        act->description);
	fprintf(f, "  %s %s%s (%s API%s)\n", act->method,
	        act->flags & ACT_EVENTS ? "{pagerduty.events_url}" : "", act->path,
	        act->flags & ACT_EVENTS ? "Events" : "REST",
	        act->flags & ACT_NEEDS_FROM ? ", From header required" : "");
	if ((words = run_shape_words(act)) != NULL)
		fprintf(f, "  result: %s\n", words);
	else
		fprintf(f, "  result: the \"%s\" of PagerDuty's answer\n", act->key);
	fputs("\nparameters (st2 style: --name=VALUE, a bare --name for true, lists and objects "
	      "as JSON or Python repr):\n",
	      f);
	for (p = act->params; p->name != NULL; p++) {
		head = p->type == PT_BOOLEAN
		           ? xasprintf("--%s", p->name)
		           : xasprintf("--%s=%s", p->name, action_type_word(p->type));
		fprintf(f, "  %-32s %s\n", head, p->description);
		free(head);
		fprintf(f, "  %-32s (%s%s%s", "", action_where_word(p->where),
		        p->flags & PF_REQUIRED ? ", required" : "",
		        p->flags & PF_SECRET ? ", secret" : "");
		if (p->def != NULL)
			fprintf(f, ", default %s", p->def);
		if (p->enums != NULL) {
			fputs(p->type == PT_ARRAY ? ", each one of: " : ", one of: ", f);
			for (e = p->enums; *e != NULL; e++)
				fprintf(f, "%s%s", e == p->enums ? "" : " ", *e);
		}
		fputs(")\n", f);
	}
	if (act->one_of != NULL) {
		fputs("  at least one of:", f);
		for (e = act->one_of; *e != NULL; e++)
			fprintf(f, " --%s", *e);
		fputc('\n', f);
	}
	fputs("\nexample:\n  st2-pagerduty run ", f);
	fputs(act->name, f);
	for (e = act->example; e != NULL && *e != NULL; e++) {
		fputc(' ', f);
		run_shell_word(f, *e);
	}
	fputs("\n\nThe API key, service key and default From address come from the config "
	      "file\nor $ST2_PAGERDUTY_API_KEY, $ST2_PAGERDUTY_SERVICE_KEY, "
	      "$ST2_PAGERDUTY_FROM_EMAIL.\n",
	      f);
}

/* The result on stdout, one JSON document (indented for a terminal). */
static void
run_print_result(json_t *out)
{
	char *s = json_dumps(out, JSON_ENCODE_ANY | (isatty(STDOUT_FILENO) ? JSON_INDENT(2) : 0));

	if (s == NULL)
		fatal("json_dumps: out of memory");
	printf("%s\n", s);
	free(s);
}

/* `run [-c FILE] ACTION [ARGS]`. */
static int
run_exec(const struct cli_args *args)
{
	int argc = args->argc;
	char **argv = args->argv;
	const char *cfgpath = NULL, *name = NULL, *a;
	char **rest = xcalloc((size_t)argc + 1, sizeof *rest), *why = NULL, *msg;
	const struct action *act;
	struct pd_config *cfg;
	json_t *params = NULL, *out = NULL, *error = NULL;
	int i, n = 0, help = 0, rc;
	enum pd_err err;

	for (i = 0; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				free(rest);
				return run_exit(PD_ERR_USAGE, "-c needs a file name");
			}
			cfgpath = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			cfgpath = a + 9;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			help = 1;
		} else if (name == NULL && a[0] != '-') {
			name = a;
		} else {
			rest[n++] = argv[i];
		}
	}
	if (name == NULL) {
		free(rest);
		if (help) {
			cli_usage(args->entry, stdout, 1);
			return 0;
		}
		return run_exit(PD_ERR_USAGE, "no action given: st2-pagerduty run [-c FILE] ACTION "
		                              "[--name=VALUE ...] (see st2-pagerduty actions)");
	}
	if ((act = action_find(name)) == NULL) {
		free(rest);
		msg = xasprintf("unknown action \"%s\" (see st2-pagerduty actions)", name);
		rc = run_exit(PD_ERR_USAGE, msg);
		free(msg);
		return rc;
	}
	if (help) {
		free(rest);
		action_help(act, stdout);
		return 0;
	}
	err = action_parse_args(act, n, rest, &params, &why);
	free(rest);
	if (err != PD_OK) {
		rc = run_exit(err, why);
		free(why);
		return rc;
	}
	if ((cfg = run_config(cfgpath)) == NULL) {
		json_decref(params);
		return pd_err_exit(PD_ERR_CONFIG);
	}
	err = action_exec(act, params, cfg, &out, &error);
	if (err == PD_OK) {
		run_print_result(out);
		rc = 0;
	} else {
		if (error == NULL)
			error = action_error(err, NULL);
		run_print_error(error);
		rc = pd_err_exit(err);
	}
	json_decref(out);
	json_decref(error);
	json_decref(params);
	config_free(cfg);
	return rc;
}

#define ACTIONS_JSON 256 /* actions --json */

/* `actions [--json]`: the action table, as a list or as JSON. */
static int
actions_exec(const struct cli_args *a)
{
	json_t *all;
	size_t i;
	int json = cli_count(a, ACTIONS_JSON);
	char *s;

	if (json) {
		all = json_array();
		for (i = 0; i < action_count; i++)
			json_array_append_new(all, action_describe(&action_table[i]));
		s = json_dumps(all, JSON_INDENT(2));
		json_decref(all);
		if (s == NULL)
			fatal("json_dumps: out of memory");
		printf("%s\n", s);
		free(s);
		return 0;
	}
	for (i = 0; i < action_count; i++)
		printf("%-38s %s\n", action_table[i].name, action_table[i].description);
	printf("\n%zu actions. `st2-pagerduty run ACTION --help` describes one.\n", action_count);
	return 0;
}

const struct cli_entry cmd_run_entry = {
    .name = "run",
    .operands = "ACTION [--name=VALUE ...]",
    .summary = "run one PagerDuty action, as StackStorm does when a rule fires",
    .help = "Arguments as st2's local-shell-script runner builds them: --name=value, a bare\n"
            "--flag for true, positional ones where the action says. The JSON result goes\n"
            "to stdout; a failure is one JSON error line on stderr and a non-zero exit.\n"
            "`st2-pagerduty actions` lists the actions, `run ACTION --help` describes one.",
    .flags = CLI_RAW,
    .exec = run_exec,
};

static const struct cli_option actions_options[] = {
    {"json", ACTIONS_JSON, NULL, "every action with its parameters, as JSON"},
    {NULL, 0, NULL, NULL},
};

const struct cli_entry cmd_actions_entry = {
    .name = "actions",
    .summary = "list every action and its parameters",
    .options = actions_options,
    .exec = actions_exec,
};
