/*
 * test_check_config.c: what a loaded config is checked for: the keys each
 * subcommand needs, the shipped configs (config/example.yaml, demo.yaml and
 * the StackStorm pack's config) against those needs, redaction when
 * printed, `check-config` (its output, --for, --keys, the mode warning),
 * and README's key table against the config table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"

/* Whether text has a line "leaf:", indented, maybe commented out ("# leaf:"). */
static int
has_key_line(const char *text, const char *leaf)
{
	const char *p = text;
	size_t len = strlen(leaf);

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL) {
		while (*p == ' ')
			p++;
		if (strncmp(p, "# ", 2) == 0)
			p += 2;
		if (strncmp(p, leaf, len) == 0 && p[len] == ':')
			return 1;
	}
	return 0;
}

/* config/example.yaml loads cleanly, satisfies every need, names every key. */
static void
test_example(void **state)
{
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *cfg = config_new();
	char *src = t_source_dir(), *path, *text, *printed = NULL, *line, *next;
	char *leaf;
	size_t len, printed_len;
	FILE *f;

	(void)state;
	path = xasprintf("%s/config/example.yaml", src);
	if (config_load(cfg, path, &problems) != PD_OK) {
		t_config_dump(path, &problems);
		fail_msg("example.yaml has problems");
	}
	assert_int_equal(config_check_needs(
	                     cfg, CONFIG_NEED_SERVE | CONFIG_NEED_ST2 | CONFIG_NEED_PD, &problems),
	                 PD_OK);
	assert_int_equal(problems.n, 0);
	assert_string_equal(cfg->from_email, "ops@example.com");
	assert_string_equal(cfg->st2_api_url, "https://st2.example.com/api");
	assert_int_equal(cfg->webhook_secrets.n, 1);

	/* Every key config_print shows is written in the example. */
	assert_int_equal(read_file(path, &text, &len), PD_OK);
	f = open_memstream(&printed, &printed_len);
	config_print(cfg, f);
	fclose(f);
	for (line = printed; *line != '\0'; line = next + 1) {
		next = strchr(line, '\n');
		assert_non_null(next);
		leaf = xstrndup(line, strcspn(line, " "));
		if (strrchr(leaf, '.') != NULL)
			memmove(leaf, strrchr(leaf, '.') + 1, strlen(strrchr(leaf, '.') + 1) + 1);
		if (!has_key_line(text, leaf))
			fail_msg("example.yaml lacks %s", leaf);
		free(leaf);
	}
	free(printed);
	free(text);
	free(path);
	free(src);
	config_free(cfg);
}

/* config/demo.yaml serves without StackStorm, its paths taken from config/. */
static void
test_demo(void **state)
{
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *cfg = config_new();
	char *src = t_source_dir(), *path, *want;

	(void)state;
	path = xasprintf("%s/config/demo.yaml", src);
	if (config_load(cfg, path, &problems) != PD_OK) {
		t_config_dump(path, &problems);
		fail_msg("demo.yaml has problems");
	}
	assert_int_equal(config_check_needs(cfg, CONFIG_NEED_SERVE, &problems), PD_OK);
	assert_int_equal(cfg->webhook_listen.n, 1);
	assert_string_equal(cfg->webhook_listen.v[0], "127.0.0.1:8080");
	assert_string_equal(cfg->webhook_path, "/webhooks/pagerduty");
	assert_int_equal(cfg->webhook_secrets.n, 1);
	assert_string_equal(cfg->webhook_secrets.v[0], "demo-secret-change-me");
	assert_null(cfg->st2_api_url);
	want = xasprintf("%s/demo/triggers.jsonl", src);
	assert_string_equal(cfg->st2_sink_file, want);
	free(want);
	want = xasprintf("%s/demo/spool", src);
	assert_string_equal(cfg->spool_path, want);
	free(want);
	assert_int_equal(cfg->spool_durability, DURABILITY_FSYNC);
	assert_int_equal(cfg->log_level, LOG_INFO);
	free(path);
	free(src);
	config_free(cfg);
}

/* The StackStorm pack's own config is a valid config for run. */
static void
test_pack_config(void **state)
{
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *cfg;

	(void)state;
	cfg = t_config_ok("---\napi_key: \"u+abcdefghijklmnopqrs\"\n"
	                  "service_key: 0123456789abcdef0123456789abcdef\ndebug: False\n");
	assert_string_equal(cfg->api_key, "u+abcdefghijklmnopqrs");
	assert_string_equal(cfg->service_key, "0123456789abcdef0123456789abcdef");
	assert_int_equal(cfg->debug, 0);
	assert_int_equal(config_check_needs(cfg, CONFIG_NEED_PD, &problems), PD_OK);
	assert_int_equal(problems.n, 0);
	config_free(cfg);

	cfg = t_config_ok("api_key: k\nservice_key: s\ndebug: True\n");
	assert_int_equal(cfg->debug, 1);
	config_free(cfg);
}

/* Asserts the problems of check_needs, after "FILE". */
static void
assert_needs(const char *yaml, int needs, const char *const *want, size_t nwant)
{
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *cfg = t_config_ok(yaml);

	assert_int_equal(config_check_needs(cfg, needs, &problems),
	                 nwant > 0 ? PD_ERR_CONFIG : PD_OK);
	t_config_problems(yaml, &problems, want, nwant);
	config_free(cfg);
}

/* What serve, register and run each require. */
static void
test_check_needs(void **state)
{
	static const char *const no_secret[] = {
	    ": webhook.secrets: required by serve but not set (unless poll.mode is only)"};
	static const char *const serve_cred[] = {
	    ": st2.api_key: required by serve but not set (or set st2.auth_token)"};
	static const char *const poll_key[] = {
	    ": api_key: required by serve when poll.mode is backfill"};
	static const char *const st2_all[] = {
	    ": st2.api_url: required by register but not set",
	    ": st2.api_key: required by register but not set (or set st2.auth_token)"};
	static const char *const st2_cred[] = {
	    ": st2.api_key: required by register but not set (or set st2.auth_token)"};
	static const char *const no_api_key[] = {": api_key: required by run and poll but not set"};
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *cfg;

	(void)state;
	assert_needs("", CONFIG_NEED_NONE, NULL, 0);
	assert_needs("", CONFIG_NEED_SERVE, no_secret, 1);
	assert_needs("webhook:\n  secrets: []\n", CONFIG_NEED_SERVE, no_secret, 1);
	assert_needs("webhook:\n  secrets: [s]\n", CONFIG_NEED_SERVE, NULL, 0);
	assert_needs("webhook:\n  secrets: [s]\nst2:\n  api_url: http://st2\n", CONFIG_NEED_SERVE,
	             serve_cred, 1);
	assert_needs("webhook:\n  secrets: [s]\nst2:\n  api_url: http://st2\n  auth_token: t\n",
	             CONFIG_NEED_SERVE, NULL, 0);
	/* The sensor reads PagerDuty: serve needs the API key when it polls. */
	assert_needs("webhook:\n  secrets: [s]\npoll:\n  mode: backfill\n", CONFIG_NEED_SERVE,
	             poll_key, 1);
	assert_needs("api_key: k\nwebhook:\n  secrets: [s]\npoll:\n  mode: backfill\n",
	             CONFIG_NEED_SERVE, NULL, 0);
	/* Polling only, no webhook secret is needed (the receiver then answers 401). */
	assert_needs("api_key: k\npoll:\n  mode: only\n", CONFIG_NEED_SERVE, NULL, 0);
	assert_needs("poll:\n  mode: only\n", CONFIG_NEED_SERVE,
	             (const char *const[]){": api_key: required by serve when poll.mode is only"},
	             1);
	/* poll.mode only matters to serve. */
	assert_needs("poll:\n  mode: only\n", CONFIG_NEED_PD | CONFIG_NEED_ST2,
	             (const char *const[]){st2_all[0], st2_all[1], no_api_key[0]}, 3);
	assert_needs("", CONFIG_NEED_ST2, st2_all, 2);
	assert_needs("st2:\n  api_url: https://st2/api\n", CONFIG_NEED_ST2, st2_cred, 1);
	assert_needs("st2:\n  api_url: https://st2/api\n", CONFIG_NEED_ST2 | CONFIG_NEED_SERVE,
	             (const char *const[]){no_secret[0], st2_cred[0]}, 2);
	assert_needs("st2:\n  api_url: https://st2/api\n  api_key: k\n", CONFIG_NEED_ST2, NULL, 0);
	assert_needs("service_key: s\n", CONFIG_NEED_PD, no_api_key, 1);
	assert_needs("api_key: \"\"\n", CONFIG_NEED_PD, no_api_key, 1);
	assert_needs("api_key: k\n", CONFIG_NEED_PD, NULL, 0);

	/* Never loaded: the problems still say where they come from. */
	cfg = config_new();
	assert_int_equal(config_check_needs(cfg, CONFIG_NEED_PD, &problems), PD_ERR_CONFIG);
	assert_string_equal(problems.v[0],
	                    "(defaults): api_key: required by run and poll but not set");
	strlist_free(&problems);
	config_free(cfg);
}

/* config_print shows every value but never a secret's. */
static void
test_print_redacts(void **state)
{
	static const char *const secrets[] = {"lit-api-key-123", "env-service-key-456",
	                                      "file-hook-secret-789", "lit-hook-secret-000",
	                                      "st2-token-abc"};
	struct pd_config *cfg;
	char *keyfile = xasprintf("%s/hook.key", t_cfgdir), *out = NULL;
	size_t len, i;
	FILE *f;

	(void)state;
	t_put(keyfile, "file-hook-secret-789\n");
	setenv("PD_TEST_SERVICE_KEY", "env-service-key-456", 1);
	cfg = t_config_ok(
	    "api_key: lit-api-key-123\n"
	    "service_key: {env: PD_TEST_SERVICE_KEY}\n"
	    "webhook:\n  secrets: [{file: hook.key}, lit-hook-secret-000]\n"
	    "st2:\n  api_url: https://st2.example.com/api/\n  auth_token: st2-token-abc\n");
	f = open_memstream(&out, &len);
	config_print(cfg, f);
	fclose(f);
	for (i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
		if (strstr(out, secrets[i]) != NULL)
			fail_msg("config_print shows %s:\n%s", secrets[i], out);
	}
	assert_true(strncmp(out, "api_key                  (set)\n", 31) == 0);
	t_contains(
	    out,
	    T_ALL("\nservice_key              (set)\n", "\nwebhook.secrets          (2 set)\n",
	          "\nst2.api_key              (unset)\n", "\nst2.auth_token           (set)\n",
	          "\nst2.api_url              https://st2.example.com/api\n",
	          "\nwebhook.listen           127.0.0.1:8080\n",
	          "\npagerduty.timeout_ms     10000\n", "\nspool.durability         fsync\n",
	          "\nst2.verify_tls           true\n", "\nfrom_email               (unset)\n"));
	free(out);
	config_free(cfg);
	unsetenv("PD_TEST_SERVICE_KEY");
	unlink(keyfile);
	free(keyfile);
}

/* Runs check-config with args (NULL-terminated), stdout and stderr captured. */
static int
run_check_config(char **args, char **out, char **err)
{
	return t_run(&cmd_check_config_entry, args, NULL, out, err);
}

/* check-config: the effective config and "FILE: ok", or every problem. */
static void
test_cmd_check_config(void **state)
{
	char *out, *err, *want, *missing = xasprintf("%s/missing.yaml", t_cfgdir);
	char *ok_argv[] = {"-c", t_cfgpath, NULL};
	char *run_argv[] = {"--for", "run", "-c", t_cfgpath, NULL};
	char *bad_for[] = {"--for", "nothing", "-c", t_cfgpath, NULL};
	char *extra[] = {"-c", t_cfgpath, "surplus", NULL};
	char *missing_argv[] = {"-c", missing, NULL};
	char *env_argv[] = {NULL};

	(void)state;
	t_put(t_cfgpath, "api_key: secret-value-xyz\nwebhook:\n  secrets: [hook-secret-xyz]\n");
	chmod(t_cfgpath, 0600); /* literal secrets: test_mode_warning has the 0644 case */
	assert_int_equal(run_check_config(ok_argv, &out, &err), 0);
	assert_string_equal(err, "");
	want = xasprintf("\n%s: ok\n", t_cfgpath);
	assert_non_null(strstr(out, want));
	assert_int_equal(strlen(strstr(out, want)), strlen(want));
	assert_non_null(strstr(out, "\nwebhook.secrets          (1 set)\n"));
	assert_null(strstr(out, "xyz"));
	free(want);
	free(out);
	free(err);

	/* Through $ST2_PAGERDUTY_CONFIG when there is no -c. */
	setenv("ST2_PAGERDUTY_CONFIG", t_cfgpath, 1);
	assert_int_equal(run_check_config(env_argv, &out, &err), 0);
	unsetenv("ST2_PAGERDUTY_CONFIG");
	want = xasprintf("%s: ok\n", t_cfgpath);
	assert_non_null(strstr(out, want));
	free(want);
	free(out);
	free(err);

	t_put(t_cfgpath, "webhook:\n  secrets: [s]\nlog:\n  level: loud\nextra: 1\n");
	assert_int_equal(run_check_config(ok_argv, &out, &err), pd_err_exit(PD_ERR_CONFIG));
	assert_string_equal(out, "");
	want = xasprintf("%s:4: log.level: bad value \"loud\" (one of: error, warn, info, debug)\n"
	                 "%s:5: extra: unknown key\n",
	                 t_cfgpath, t_cfgpath);
	assert_string_equal(err, want);
	free(want);
	free(out);
	free(err);

	t_put(t_cfgpath, "webhook:\n  secrets: [s]\n");
	assert_int_equal(run_check_config(run_argv, &out, &err), pd_err_exit(PD_ERR_CONFIG));
	want = xasprintf("%s: api_key: required by run and poll but not set\n", t_cfgpath);
	assert_string_equal(err, want);
	free(want);
	free(out);
	free(err);

	/* A missing file is one problem, not a list of missing keys. */
	assert_int_equal(run_check_config(missing_argv, &out, &err), pd_err_exit(PD_ERR_CONFIG));
	want = xasprintf("%s: cannot read: %s\n", missing, strerror(ENOENT));
	assert_string_equal(err, want);
	free(want);
	free(out);
	free(err);

	assert_int_equal(run_check_config(bad_for, &out, &err), pd_err_exit(PD_ERR_USAGE));
	assert_non_null(strstr(err, "--for: unknown \"nothing\""));
	free(out);
	free(err);
	assert_int_equal(run_check_config(extra, &out, &err), pd_err_exit(PD_ERR_USAGE));
	assert_non_null(strstr(err, "unexpected argument \"surplus\""));
	free(out);
	free(err);
	free(missing);
}

/*
 * A config every user may read, holding secrets as literals, is a warning
 * (issue: it gave none), naming the keys; not an error, and not for
 * secrets given as {env:} or {file:}, nor for a file only its owner reads.
 */
static void
test_mode_warning(void **state)
{
	char *argv[] = {"-c", t_cfgpath, NULL};
	char *out, *err;
	struct pd_config *cfg;

	(void)state;
	setenv("PD_TEST_HOOK_SECRET", "from-env", 1);
	t_put(t_cfgpath, "api_key: secret-value-xyz\nwebhook:\n  secrets: [hook-xyz, {env: "
	                 "PD_TEST_HOOK_SECRET}]\nst2:\n  auth_token: {env: PD_TEST_HOOK_SECRET}\n");
	chmod(t_cfgpath, 0644);
	assert_int_equal(run_check_config(argv, &out, &err), 0);
	assert_non_null(strstr(err, "warning: "));
	assert_non_null(strstr(err, "readable by every user"));
	assert_non_null(strstr(err, "(api_key, webhook.secrets)"));
	assert_null(strstr(err, "xyz"));
	assert_null(strstr(err, "auth_token"));
	free(out);
	free(err);

	/* A warning, not a problem: the load succeeds and keeps it for serve to log. */
	cfg = t_config_ok("api_key: secret-value-xyz\n");
	assert_int_equal(cfg->warnings.n, 1);
	config_free(cfg);
	t_put(t_cfgpath, "api_key: secret-value-xyz\nwebhook:\n  secrets: [hook-xyz]\n");

	chmod(t_cfgpath, 0640);
	assert_int_equal(run_check_config(argv, &out, &err), 0);
	assert_string_equal(err, "");
	free(out);
	free(err);

	t_put(t_cfgpath, "webhook:\n  secrets: [{env: PD_TEST_HOOK_SECRET}]\n");
	chmod(t_cfgpath, 0644);
	assert_int_equal(run_check_config(argv, &out, &err), 0);
	assert_string_equal(err, "");
	free(out);
	free(err);
	unsetenv("PD_TEST_HOOK_SECRET");
}

/* Appends the row README's key table has for key i: name, type, default (or –), meaning. */
static void
readme_key_row(FILE *f, size_t i)
{
	const struct config_entry *e = &config_table[i];
	char *type = config_type_text(e), *def = config_default_text(e);
	char *name = xasprintf("`%s`", e->name);
	char *shown = def != NULL ? xasprintf("`%s`", def) : xstrdup("–");

	t_readme_row(f, (const char *const[]){name, type, shown, e->help, NULL});
	free(shown);
	free(name);
	free(type);
	free(def);
}

/* README's key table is the config table's rows, in their order, and nothing else. */
static void
test_readme_keys(void **state)
{
	(void)state;
	t_readme_table("| key | type | default | meaning |\n| --- | --- | --- | --- |\n",
	               config_nkeys, readme_key_row);
}

/*
 * check-config --keys: every key with its type, default and meaning, from
 * the table, without reading a config (there is none here). A key with an
 * environment variable is a pack key: the action metadata fills the
 * variable from st2's pack config, which holds only those.
 */
static void
test_cmd_keys(void **state)
{
	char *argv[] = {"--keys", "-c", "/nonexistent/config.yaml", NULL};
	char *out, *err, *type, *def, *want;
	const struct config_entry *e;

	(void)state;
	assert_int_equal(run_check_config(argv, &out, &err), 0);
	assert_string_equal(err, "");
	for (e = config_table; e < config_table + config_nkeys; e++) {
		type = config_type_text(e);
		def = config_default_text(e);
		want = xasprintf("%s: %s; %s%s", e->name, type,
		                 def != NULL ? "default " : "no default", def != NULL ? def : "");
		if (strstr(out, want) == NULL)
			fail_msg("--keys lacks \"%s\":\n%s", want, out);
		free(want);
		want = xasprintf("\n    %s\n", e->help);
		assert_non_null(strstr(out, want));
		free(want);
		if (e->env != NULL) {
			assert_true(e->flags & CK_PACK);
			assert_ptr_equal(config_env_name(e->name), e->env);
		}
		free(type);
		free(def);
	}
	free(out);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_example),       cmocka_unit_test(test_demo),
	    cmocka_unit_test(test_pack_config),   cmocka_unit_test(test_check_needs),
	    cmocka_unit_test(test_print_redacts), cmocka_unit_test(test_cmd_check_config),
	    cmocka_unit_test(test_mode_warning),  cmocka_unit_test(test_readme_keys),
	    cmocka_unit_test(test_cmd_keys),
	};

	return cmocka_run_group_tests(tests, t_config_setup, t_config_teardown);
}
