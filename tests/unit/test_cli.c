/*
 * test_cli.c: the subcommand entries and what is written from them. Every
 * command's usage, --help and README row come from its struct cli_entry:
 * README's command table must be exactly those rows, each --help must show
 * the summary and every option, and the parser must refuse what an entry
 * does not allow with the usage exit status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"

/* Appends the row README's command table has for command i: synopsis, summary. */
static void
readme_command_row(FILE *f, size_t i)
{
	char *syn = cli_synopsis(cli_commands[i], 0), *code = xasprintf("`%s`", syn);

	t_readme_row(f, (const char *const[]){code, cli_commands[i]->summary, NULL});
	free(code);
	free(syn);
}

/* README's command table is the entries' rows, in their order, and nothing else. */
static void
test_readme_table(void **state)
{
	size_t n = 0;

	(void)state;
	while (cli_commands[n] != NULL)
		n++;
	t_readme_table("| command | what it does |\n| --- | --- |\n", n, readme_command_row);
}

/* --help: usage, summary, and every option of the entry, on stdout, exit 0. */
static void
test_help_from_entries(void **state)
{
	const struct cli_option *o;
	char *args[] = {"--help", NULL}, *out, *err, *want;
	size_t i;

	(void)state;
	for (i = 0; cli_commands[i] != NULL; i++) {
		const struct cli_entry *e = cli_commands[i];

		if (e->flags & (CLI_RAW | CLI_OWN_HELP))
			continue; /* their handlers answer --help: run, spool */
		assert_int_equal(t_run(e, args, NULL, &out, &err), 0);
		want = xasprintf("usage: st2-pagerduty %s", e->name);
		assert_non_null(strstr(out, want));
		assert_non_null(strstr(out, e->summary));
		assert_non_null(strstr(out, "--config FILE"));
		for (o = e->options; o != NULL && o->name != NULL; o++)
			assert_non_null(strstr(out, o->name));
		assert_string_equal(err, "");
		free(want);
		free(out);
		free(err);
	}
}

/* Unknown options, missing values and surplus operands: the usage status, the usage line. */
static void
test_parse_errors(void **state)
{
	static char *cases[][4] = {
	    {"pack", NULL},                      /* an operand is needed */
	    {"pack", "a", "b", NULL},            /* one only */
	    {"register", "--bogus", NULL},       /* no such option */
	    {"register", "extra", NULL},         /* no operands */
	    {"check-config", "--for", NULL},     /* a value is needed */
	    {"check-config", "--for", "x", NULL} /* and a known one */
	};
	char *out, *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(t_run(cli_find(cases[i][0]), cases[i] + 1, NULL, &out, &err),
		                 pd_err_exit(PD_ERR_USAGE));
		assert_non_null(strstr(err, "usage: st2-pagerduty "));
		assert_non_null(strstr(err, cases[i][0]));
		free(out);
		free(err);
	}
}

/* What test_values's handler was given, kept past the call. */
static struct {
	int flags, calls, argc;
	char *name, *config, *operand;
} seen;

/* A handler that keeps what cli_run found. */
static int
record(const struct cli_args *a)
{
	seen.calls++;
	seen.flags = cli_count(a, 'f');
	seen.name = xstrdup(cli_value(a, 256));
	seen.config = xstrdup(a->config);
	seen.argc = a->argc;
	seen.operand = a->argc > 0 ? xstrdup(a->argv[0]) : NULL;
	return 7;
}

/* Options are found in any order, repeated ones count, the last value wins. */
static void
test_values(void **state)
{
	static const struct cli_option opts[] = {
	    {"flag", 'f', NULL, "a flag"},
	    {"name", 256, "N", "a value"},
	    {NULL, 0, NULL, NULL},
	};
	const struct cli_entry e = {
	    .name = "t", .summary = "s", .options = opts, .max_operands = 1, .exec = record};
	char *argv[] = {"t", "-f", "--name", "one", "x", "--flag", "--name=two", "-c", "C", NULL};

	(void)state;
	assert_int_equal(cli_run(&e, 9, argv), 7);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.flags, 2);
	assert_string_equal(seen.name, "two");
	assert_string_equal(seen.config, "C");
	assert_int_equal(seen.argc, 1);
	assert_string_equal(seen.operand, "x");
	free(seen.name);
	free(seen.config);
	free(seen.operand);
}

/* Runs every test of this file. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_readme_table),
	    cmocka_unit_test(test_help_from_entries),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
