/*
 * test_config.c: the config loader: defaults, every validation rule with
 * its exact "file:line: key: reason", secrets from env and files, relative
 * paths, the default path and the environment's overrides. What is checked
 * after a load (the keys each subcommand needs, the shipped configs,
 * redaction, check-config) is test_check_config.c.
 *
 * Config files are written under one temp directory (tests/lib), removed
 * at the end.
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

/* The pagerduty: section of cfg is these values. */
static void
assert_pagerduty(const struct pd_config *cfg, const char *api_url, const char *events_url,
                 long timeout_ms, long max_retries)
{
	assert_string_equal(cfg->pd_api_url, api_url);
	assert_string_equal(cfg->pd_events_url, events_url);
	assert_int_equal(cfg->pd_timeout_ms, timeout_ms);
	assert_int_equal(cfg->pd_max_retries, max_retries);
}

/* The poll: section's scalars of cfg are these values. */
static void
assert_poll(const struct pd_config *cfg, enum poll_mode mode, long interval_s, long lag_s,
            long backfill_max_s)
{
	assert_int_equal(cfg->poll_mode, mode);
	assert_int_equal(cfg->poll_interval_s, interval_s);
	assert_int_equal(cfg->poll_lag_s, lag_s);
	assert_int_equal(cfg->poll_backfill_max_s, backfill_max_s);
}

/* config_new() holds every default of INTERFACE.md. */
static void
test_defaults(void **state)
{
	struct pd_config *cfg = config_new();

	(void)state;
	assert_null(cfg->file);
	assert_null(cfg->api_key);
	assert_null(cfg->service_key);
	assert_int_equal(cfg->debug, 0);
	assert_null(cfg->from_email);
	assert_pagerduty(cfg, "https://api.pagerduty.com", "https://events.pagerduty.com", 10000,
	                 5);
	assert_int_equal(cfg->webhook_listen.n, 1);
	assert_string_equal(cfg->webhook_listen.v[0], "127.0.0.1:8080");
	assert_string_equal(cfg->webhook_path, "/webhooks/pagerduty");
	assert_int_equal(cfg->webhook_secrets.n, 0);
	assert_int_equal(cfg->webhook_max_body_bytes, 262144);
	assert_null(cfg->st2_api_url);
	assert_null(cfg->st2_api_key);
	assert_null(cfg->st2_auth_token);
	assert_int_equal(cfg->st2_verify_tls, 1);
	assert_string_equal(cfg->st2_sink_file, "/var/lib/st2-pagerduty/triggers.jsonl");
	assert_string_equal(cfg->spool_path, "/var/lib/st2-pagerduty/spool");
	assert_int_equal(cfg->spool_durability, DURABILITY_FSYNC);
	assert_int_equal(cfg->spool_max_events, 1000000);
	assert_null(cfg->webhook_public_url);
	assert_int_equal(cfg->webhook_subscription_ids.n, 0);
	assert_int_equal(cfg->webhook_reenable, 0);
	assert_poll(cfg, POLL_OFF, 30, 60, 86400);
	assert_int_equal(cfg->poll_service_ids.n, 0);
	assert_int_equal(cfg->poll_team_ids.n, 0);
	assert_int_equal(cfg->log_level, LOG_INFO);
	assert_int_equal(cfg->log_format, LOG_FORMAT_TEXT);
	config_free(cfg);
}

/* An empty file, or one with only comments, is every default. */
static void
test_empty_file(void **state)
{
	static const char *const empties[] = {"", "# nothing here\n\n", "---\n", "---\n...\n"};
	struct pd_config *cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof empties / sizeof empties[0]; i++) {
		cfg = t_config_ok(empties[i]);
		assert_string_equal(cfg->file, t_cfgpath);
		assert_int_equal(cfg->pd_timeout_ms, 10000);
		assert_string_equal(cfg->webhook_listen.v[0], "127.0.0.1:8080");
		assert_string_equal(cfg->spool_path, "/var/lib/st2-pagerduty/spool");
		config_free(cfg);
	}
}

/* Loading path into cfg is the one problem "PATH: cannot read: " and errno's text. */
static void
assert_unreadable(struct pd_config *cfg, const char *path, int errnum)
{
	struct pd_strlist problems = {NULL, 0};
	char *want = xasprintf("%s: cannot read: %s", path, strerror(errnum));

	assert_int_equal(config_load(cfg, path, &problems), PD_ERR_CONFIG);
	assert_int_equal(problems.n, 1);
	assert_string_equal(problems.v[0], want);
	free(want);
	strlist_free(&problems);
}

/* A missing or unreadable file is exactly one problem, without a line. */
static void
test_unreadable_file(void **state)
{
	struct pd_config *cfg = config_new();
	char *missing = xasprintf("%s/missing.yaml", t_cfgdir);

	(void)state;
	assert_unreadable(cfg, missing, ENOENT);
	assert_unreadable(cfg, t_cfgdir, EISDIR);
	free(missing);
	config_free(cfg);
}

/*
 * One file, one problem: want is the problem after "FILE", compared whole,
 * or up to a final '*' as a prefix.
 */
static const struct bad_case {
	const char *yaml;
	const char *want;
} bad_cases[] = {
    /* unknown keys, at every level */
    {"nope: 1\n", ":1: nope: unknown key"},
    {"webhook:\n  secret: [a]\n",
     ":2: webhook.secret: unknown key (did you mean webhook.secrets?)"},
    {"listen: [\"127.0.0.1:1\"]\n", ":1: listen: unknown key (did you mean webhook.listen?)"},
    {"webhooks:\n  path: /x\n", ":1: webhooks: unknown key (did you mean webhook?)"},
    {"log:\n  level: info\n  colour: red\n", ":3: log.colour: unknown key"},
    {"spool:\n  path: /x\n  path: /y\n", ":3: spool.path: duplicate key (first at line 2)"},
    {"debug: true\ndebug: false\n", ":2: debug: duplicate key (first at line 1)"},
    {"webhook:\n  path: /a\nwebhook:\n  path: /b\n",
     ":3: webhook: duplicate key (first at line 1)"},
    /* wrong types */
    {"pagerduty:\n  api_url: {a: 1}\n", ":2: pagerduty.api_url: expected a string, got a mapping"},
    {"webhook:\n  path: [/a]\n", ":2: webhook.path: expected a string, got a list"},
    {"pagerduty:\n  timeout_ms: yes\n",
     ":2: pagerduty.timeout_ms: expected an integer, got \"yes\""},
    {"pagerduty:\n  timeout_ms: [1]\n",
     ":2: pagerduty.timeout_ms: expected an integer, got a list"},
    {"webhook:\n  max_body_bytes: 1e6\n",
     ":2: webhook.max_body_bytes: expected an integer, got \"1e6\""},
    {"debug: maybe\n", ":1: debug: expected true or false, got \"maybe\""},
    {"st2:\n  verify_tls: 1\n", ":2: st2.verify_tls: expected true or false, got \"1\""},
    {"webhook:\n  listen: 127.0.0.1:8080\n", ":2: webhook.listen: expected a list, got a value"},
    {"webhook:\n  listen: [{a: 1}]\n", ":2: webhook.listen: expected a string, got a mapping"},
    {"webhook:\n  secrets: [a, ~]\n", ":2: webhook.secrets: empty list item"},
    {"webhook:\n  secrets:\n    - a\n    - \"\"\n",
     ":4: webhook.secrets: an empty secret would accept requests anyone can sign"},
    {"webhook: [1]\n", ":1: webhook: expected a mapping, got a list"},
    {"- a\n- b\n", ":1: (top level): expected a mapping, got a list"},
    {"just text\n", ":1: (top level): expected a mapping, got a value"},
    {"? [a]\n: 1\n", ":1: (top level): expected a key, got a list"},
    /* ranges and enums */
    {"pagerduty:\n  timeout_ms: 99\n",
     ":2: pagerduty.timeout_ms: 99 is out of range (100..600000)"},
    {"pagerduty:\n  max_retries: -1\n", ":2: pagerduty.max_retries: -1 is out of range (0..100)"},
    {"webhook:\n  max_body_bytes: 16777217\n",
     ":2: webhook.max_body_bytes: 16777217 is out of range (1024..16777216)"},
    {"spool:\n  max_events: 0\n", ":2: spool.max_events: 0 is out of range (1..1000000000)"},
    {"poll:\n  interval_s: 0\n", ":2: poll.interval_s: 0 is out of range (1..3600)"},
    {"poll:\n  interval_s: 3601\n", ":2: poll.interval_s: 3601 is out of range (1..3600)"},
    {"poll:\n  backfill_max_s: 604801\n",
     ":2: poll.backfill_max_s: 604801 is out of range (60..604800)"},
    {"poll:\n  mode: sometimes\n",
     ":2: poll.mode: bad value \"sometimes\" (one of: off, only, backfill)"},
    /* A key of an earlier version says what replaced it. */
    {"poll:\n  enabled: true\n",
     ":2: poll.enabled: replaced by poll.mode: off, only (poll instead of webhooks) or "
     "backfill (webhooks first, the poller fills their gaps)"},
    {"webhook:\n  public_url: hooks.example.com\n",
     ":2: webhook.public_url: expected an http:// or https:// URL, got \"hooks.example.com\""},
    {"log:\n  level: loud\n",
     ":2: log.level: bad value \"loud\" (one of: error, warn, info, debug)"},
    {"log:\n  format: xml\n", ":2: log.format: bad value \"xml\" (one of: text, json)"},
    {"spool:\n  durability: sometimes\n",
     ":2: spool.durability: bad value \"sometimes\" (one of: fsync, os)"},
    /* webhook.listen */
    {"webhook:\n  listen: [\"8080\"]\n", ":2: webhook.listen: \"8080\": expected HOST:PORT"},
    {"webhook:\n  listen: [\":8080\"]\n", ":2: webhook.listen: \":8080\": expected HOST:PORT"},
    {"webhook:\n  listen: [\"::1:8080\"]\n",
     ":2: webhook.listen: \"::1:8080\": write an IPv6 address as [ADDRESS]:PORT"},
    {"webhook:\n  listen: [\"[::1]8080\"]\n",
     ":2: webhook.listen: \"[::1]8080\": expected [IPv6]:PORT"},
    {"webhook:\n  listen: [\"[zz::1]:80\"]\n",
     ":2: webhook.listen: \"[zz::1]:80\": bad host in HOST:PORT"},
    {"webhook:\n  listen: [\"300.1.1.1:80\"]\n",
     ":2: webhook.listen: \"300.1.1.1:80\": bad host in HOST:PORT"},
    {"webhook:\n  listen: [\"host_name:80\"]\n",
     ":2: webhook.listen: \"host_name:80\": bad host in HOST:PORT"},
    {"webhook:\n  listen:\n    - 127.0.0.1:80\n    - 127.0.0.1:65536\n",
     ":4: webhook.listen: \"127.0.0.1:65536\": port must be 0..65535"},
    {"webhook:\n  listen: [\"localhost:+80\"]\n",
     ":2: webhook.listen: \"localhost:+80\": port must be 0..65535"},
    {"webhook:\n  listen: [\"localhost:\"]\n",
     ":2: webhook.listen: \"localhost:\": port must be 0..65535"},
    /* other rules */
    {"webhook:\n  path: webhooks\n", ":2: webhook.path: \"webhooks\": must start with \"/\""},
    {"webhook:\n  path: /a?b=1\n",
     ":2: webhook.path: \"/a?b=1\": must be a plain path (no query, fragment or spaces)"},
    {"webhook:\n  path: /healthz\n", ":2: webhook.path: /healthz is answered by the server itself"},
    {"pagerduty:\n  api_url: ftp://x\n",
     ":2: pagerduty.api_url: expected an http:// or https:// URL, got \"ftp://x\""},
    {"st2:\n  api_url: st2.example.com\n",
     ":2: st2.api_url: expected an http:// or https:// URL, got \"st2.example.com\""},
    {"st2:\n  api_url: https://\n",
     ":2: st2.api_url: expected an http:// or https:// URL, got \"https://\""},
    {"from_email: ops.example.com\n",
     ":1: from_email: \"ops.example.com\": expected an email address"},
    {"spool:\n  path: \"\"\n", ":2: spool.path: expected a path, got an empty string"},
    {"spool:\n  backend: redis\n  redis:\n    url: redis://h:99999\n",
     ":4: spool.redis.url: bad port \"99999\""},
    {"st2:\n  api_key: a\n  auth_token: b\n",
     ":3: st2.auth_token: set only one of st2.api_key and st2.auth_token"},
    /* secrets */
    {"api_key: {env: A, file: B}\n",
     ":1: api_key: expected a string, {env: NAME} or {file: PATH}, got a mapping"},
    {"api_key: {vault: x}\n",
     ":1: api_key: expected a string, {env: NAME} or {file: PATH}, got a mapping"},
    {"service_key: [a]\n",
     ":1: service_key: expected a string, {env: NAME} or {file: PATH}, got a list"},
    {"st2:\n  api_key: {env: }\n",
     ":2: st2.api_key: expected a string, {env: NAME} or {file: PATH}, got a mapping"},
    {"api_key: \"{{st2kv.system.pd_key | decrypt_kv}}\"\n",
     ":1: api_key: StackStorm datastore references are not resolved here; "
     "use {env: NAME} or {file: PATH}"},
    {"api_key: \"a\\0b\"\n", ":1: api_key: value contains a NUL byte"},
    /* YAML syntax */
    {"webhook:\n  path: /a\n bad: 1\n", ":3: syntax error: did not find expected key "
                                        "(while parsing a block mapping that starts at line 1)"},
    {"a: [1, 2\nb: 3\n", ":2: syntax error: did not find expected ',' or ']'*"},
    {"api_key: \"open\n", ":2: syntax error: found unexpected end of stream*"},
    {"api_key: \xff\n", ":1: syntax error: invalid leading UTF-8 octet"},
    {"debug: *nothing\n", ":1: syntax error: found undefined alias"},
};

/* Each bad case is exactly its one problem, and config_load says so. */
static void
test_bad_cases(void **state)
{
	struct pd_strlist problems;
	struct pd_config *cfg;
	const char *want, *got;
	size_t i, flen = strlen(t_cfgpath), wlen;
	int ok;

	(void)state;
	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		want = bad_cases[i].want;
		wlen = strlen(want);
		ok = t_config_load(bad_cases[i].yaml, &cfg, &problems) == PD_ERR_CONFIG &&
		     problems.n == 1;
		got = problems.n > 0 ? problems.v[0] : "";
		ok = ok && strncmp(got, t_cfgpath, flen) == 0;
		if (ok && want[wlen - 1] == '*')
			ok = strncmp(got + flen, want, wlen - 1) == 0;
		else if (ok)
			ok = strcmp(got + flen, want) == 0;
		if (!ok) {
			t_config_dump(bad_cases[i].yaml, &problems);
			fail_msg("case %zu: want FILE%s", i, want);
		}
		strlist_free(&problems);
		config_free(cfg);
	}
}

/* A second YAML document is refused, at its line. */
static void
test_second_document(void **state)
{
	(void)state;
	t_config_fails("debug: true\n---\ndebug: false\n",
	               T_ALL(":3: (top level): only one YAML document is allowed"));
}

/* Values every rule accepts, stored as the daemon needs them. */
static void
test_good_values(void **state)
{
	struct pd_config *cfg;

	(void)state;
	cfg = t_config_ok("debug: YES\n"
	                  "from_email: ops@example.com\n"
	                  "pagerduty:\n"
	                  "  api_url: https://api.eu.pagerduty.com/\n"
	                  "  events_url: HTTP://127.0.0.1:9000//\n"
	                  "  timeout_ms: 100\n"
	                  "  max_retries: 0\n"
	                  "webhook:\n"
	                  "  listen:\n"
	                  "    - 127.0.0.1:0\n"
	                  "    - 0.0.0.0:65535\n"
	                  "    - localhost:8080\n"
	                  "    - my-host.example.com:443\n"
	                  "    - \"[::1]:8080\"\n"
	                  "    - \"[::]:0\"\n"
	                  "  path: /hooks/pd\n"
	                  "  secrets: [\"one\", 'two', three]\n"
	                  "  max_body_bytes: 16777216\n"
	                  "  public_url: https://hooks.example.com/pd/\n"
	                  "  subscription_ids: [PSUB001, PSUB002]\n"
	                  "  reenable: yes\n"
	                  "st2:\n"
	                  "  api_url: http://127.0.0.1:9101\n"
	                  "  auth_token: tok\n"
	                  "  verify_tls: off\n"
	                  "spool:\n"
	                  "  durability: OS\n"
	                  "  max_events: 1000000000\n"
	                  "poll:\n"
	                  "  mode: Backfill\n"
	                  "  interval_s: 3600\n"
	                  "  lag_s: 0\n"
	                  "  backfill_max_s: 604800\n"
	                  "  service_ids: [PSVC001]\n"
	                  "  team_ids: [PT1, PT2]\n"
	                  "log:\n"
	                  "  level: Debug\n"
	                  "  format: json\n");
	assert_int_equal(cfg->debug, 1);
	assert_string_equal(cfg->from_email, "ops@example.com");
	assert_pagerduty(cfg, "https://api.eu.pagerduty.com", "HTTP://127.0.0.1:9000", 100, 0);
	/* The file's list replaces the default one. */
	assert_int_equal(cfg->webhook_listen.n, 6);
	assert_string_equal(cfg->webhook_listen.v[0], "127.0.0.1:0");
	assert_string_equal(cfg->webhook_listen.v[4], "[::1]:8080");
	assert_string_equal(cfg->webhook_listen.v[5], "[::]:0");
	assert_string_equal(cfg->webhook_path, "/hooks/pd");
	assert_int_equal(cfg->webhook_secrets.n, 3);
	assert_string_equal(cfg->webhook_secrets.v[1], "two");
	assert_int_equal(cfg->webhook_max_body_bytes, 16777216);
	assert_string_equal(cfg->st2_api_url, "http://127.0.0.1:9101");
	assert_string_equal(cfg->st2_auth_token, "tok");
	assert_int_equal(cfg->st2_verify_tls, 0);
	assert_int_equal(cfg->spool_durability, DURABILITY_OS);
	assert_int_equal(cfg->spool_max_events, 1000000000);
	assert_string_equal(cfg->webhook_public_url, "https://hooks.example.com/pd");
	assert_int_equal(cfg->webhook_subscription_ids.n, 2);
	assert_string_equal(cfg->webhook_subscription_ids.v[1], "PSUB002");
	assert_int_equal(cfg->webhook_reenable, 1);
	assert_poll(cfg, POLL_BACKFILL, 3600, 0, 604800);
	assert_string_equal(cfg->poll_service_ids.v[0], "PSVC001");
	assert_int_equal(cfg->poll_team_ids.n, 2);
	assert_int_equal(cfg->log_level, LOG_DEBUG);
	assert_int_equal(cfg->log_format, LOG_FORMAT_JSON);
	config_free(cfg);

	/* A key or section with no value keeps its default. */
	cfg = t_config_ok("api_key:\nst2:\n  api_url: ~\nwebhook:\n  listen: null\npoll:\n");
	assert_null(cfg->api_key);
	assert_null(cfg->st2_api_url);
	assert_string_equal(cfg->webhook_listen.v[0], "127.0.0.1:8080");
	config_free(cfg);

	/* Quoted numbers and booleans are read as the key's type. */
	cfg = t_config_ok(
	    "debug: \"on\"\npagerduty:\n  timeout_ms: \"250\"\nwebhook:\n  listen: []\n");
	assert_int_equal(cfg->debug, 1);
	assert_int_equal(cfg->pd_timeout_ms, 250);
	assert_int_equal(cfg->webhook_listen.n, 0);
	config_free(cfg);
}

/* One load reports every problem, in file order, each at its own line. */
static void
test_many_problems(void **state)
{
	static const char *const want[] = {
	    ":1: bogus: unknown key",
	    ":3: pagerduty.timeout_ms: expected an integer, got \"yes\"",
	    ":4: pagerduty.max_retries: 101 is out of range (0..100)",
	    ":7: webhook.listen: \"nope\": expected HOST:PORT", /* the item's line */
	    ":8: webhook.path: \"x\": must start with \"/\"",
	    ":9: webhook.path: duplicate key (first at line 8)",
	    ":11: log.level: bad value \"verbose\" (one of: error, warn, info, debug)",
	    ":12: log.format: expected a string, got a mapping",
	    ":14: api_key: environment variable PD_TEST_NEVER_SET is not set",
	    NULL,
	};
	const char *yaml = "bogus: 1\n"
	                   "pagerduty:\n"
	                   "  timeout_ms: yes\n"
	                   "  max_retries: 101\n"
	                   "webhook:\n"
	                   "  listen: [\"127.0.0.1:1\",\n    \"nope\"]\n"
	                   "  path: x\n"
	                   "  path: /y\n"
	                   "log:\n"
	                   "  level: verbose\n"
	                   "  format: {a: b}\n"
	                   "debug: false\n"
	                   "api_key: {env: PD_TEST_NEVER_SET}\n";

	(void)state;
	unsetenv("PD_TEST_NEVER_SET");
	t_config_fails(yaml, want);
}

/* {env: NAME} secrets: set, unset, in a list. */
static void
test_env_secrets(void **state)
{
	static const char hook_list[] =
	    "webhook:\n  secrets:\n    - ok\n    - {env: PD_TEST_HOOK}\n";
	struct pd_config *cfg;

	(void)state;
	setenv("PD_TEST_API_KEY", "env-api-key", 1);
	setenv("PD_TEST_HOOK", "env-hook-secret", 1);
	setenv("PD_TEST_EMPTY", "", 1);
	cfg = t_config_ok("api_key: {env: PD_TEST_API_KEY}\n"
	                  "service_key:\n  env: PD_TEST_EMPTY\n"
	                  "webhook:\n  secrets: [literal, {env: PD_TEST_HOOK}]\n");
	assert_string_equal(cfg->api_key, "env-api-key");
	assert_string_equal(cfg->service_key, "");
	assert_int_equal(cfg->webhook_secrets.n, 2);
	assert_string_equal(cfg->webhook_secrets.v[0], "literal");
	assert_string_equal(cfg->webhook_secrets.v[1], "env-hook-secret");
	config_free(cfg);

	unsetenv("PD_TEST_HOOK");
	t_config_fails(hook_list,
	               T_ALL(":4: webhook.secrets: environment variable PD_TEST_HOOK is not set"));
	/* Set but empty is no webhook secret either. */
	setenv("PD_TEST_HOOK", "", 1);
	t_config_fails(
	    hook_list,
	    T_ALL(":4: webhook.secrets: an empty secret would accept requests anyone can sign"));
	unsetenv("PD_TEST_HOOK");
	unsetenv("PD_TEST_API_KEY");
	unsetenv("PD_TEST_EMPTY");
}

/* {file: PATH} secrets: trailing newlines dropped, relative to the config. */
static void
test_file_secrets(void **state)
{
	struct pd_config *cfg;
	char *keyfile = xasprintf("%s/pd.key", t_cfgdir);
	char *yaml, *want, *cwd = getcwd(NULL, 0);

	(void)state;
	assert_non_null(cwd);
	t_put(keyfile, "file-api-key\r\n\n");
	yaml = xasprintf("api_key: {file: %s}\nst2:\n  api_key: {file: pd.key}\n", keyfile);
	/* A working directory elsewhere must not matter. */
	assert_int_equal(chdir("/"), 0);
	cfg = t_config_ok(yaml);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(cfg->api_key, "file-api-key");
	assert_string_equal(cfg->st2_api_key, "file-api-key");
	config_free(cfg);
	free(yaml);

	/* Only trailing newlines go; inner ones and spaces stay. */
	t_put(keyfile, " a\nb \n");
	cfg = t_config_ok("webhook:\n  secrets: [{file: pd.key}]\n");
	assert_string_equal(cfg->webhook_secrets.v[0], " a\nb ");
	config_free(cfg);

	want =
	    xasprintf(":2: service_key: cannot read %s/absent.key: %s", t_cfgdir, strerror(ENOENT));
	t_config_fails("debug: false\nservice_key: {file: absent.key}\n", T_ALL(want));
	free(want);

	unlink(keyfile);
	free(keyfile);
	free(cwd);
}

/* The spool and sink of test_relative_paths's config, read in dir/sub: inside dir. */
static void
assert_paths_in(const struct pd_config *cfg, const char *dir)
{
	char *want = xasprintf("%s/sub/spool", dir);

	assert_string_equal(cfg->spool_path, want);
	free(want);
	want = xasprintf("%s/out/t.jsonl", dir);
	assert_string_equal(cfg->st2_sink_file, want);
	free(want);
}

/* Relative paths are taken from the config file's directory, made absolute. */
static void
test_relative_paths(void **state)
{
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *cfg;
	char *sub = xasprintf("%s/sub", t_cfgdir), *path, *real;
	char *cwd = getcwd(NULL, 0);

	(void)state;
	assert_non_null(cwd);
	assert_int_equal(mkdir(sub, 0700), 0);
	path = xasprintf("%s/config.yaml", sub);
	t_put(path, "spool:\n  path: ./spool/\nst2:\n  sink_file: ../out/t.jsonl\n");
	cfg = config_new();
	assert_int_equal(config_load(cfg, path, &problems), PD_OK);
	assert_paths_in(cfg, t_cfgdir);
	config_free(cfg);

	/* A relative config path: resolved against the working directory once. */
	real = realpath(t_cfgdir, NULL);
	assert_non_null(real);
	assert_int_equal(chdir(t_cfgdir), 0);
	cfg = config_new();
	assert_int_equal(config_load(cfg, "sub/config.yaml", &problems), PD_OK);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(cfg->file, "sub/config.yaml");
	assert_paths_in(cfg, real);
	config_free(cfg);

	/* Absolute paths are kept as written. */
	t_put(path, "spool:\n  path: /srv/pd//spool\nst2:\n  sink_file: /x/../t.jsonl\n");
	cfg = config_new();
	assert_int_equal(config_load(cfg, path, &problems), PD_OK);
	assert_string_equal(cfg->spool_path, "/srv/pd//spool");
	assert_string_equal(cfg->st2_sink_file, "/x/../t.jsonl");
	config_free(cfg);

	unlink(path);
	rmdir(sub);
	free(path);
	free(sub);
	free(real);
	free(cwd);
}

/* $ST2_PAGERDUTY_CONFIG when set and not empty, else /etc. */
static void
test_default_path(void **state)
{
	(void)state;
	unsetenv("ST2_PAGERDUTY_CONFIG");
	assert_string_equal(config_default_path(), "/etc/st2-pagerduty/config.yaml");
	setenv("ST2_PAGERDUTY_CONFIG", "", 1);
	assert_string_equal(config_default_path(), "/etc/st2-pagerduty/config.yaml");
	setenv("ST2_PAGERDUTY_CONFIG", "/srv/pd.yaml", 1);
	assert_string_equal(config_default_path(), "/srv/pd.yaml");
	unsetenv("ST2_PAGERDUTY_CONFIG");
}

/*
 * $ST2_PAGERDUTY_API_KEY, _SERVICE_KEY, _FROM_EMAIL override the file after
 * it is loaded (the pack passes st2's config this way), are checked like
 * the file's values, are ignored when empty, and work with no file at all.
 */
static void
test_env_overrides(void **state)
{
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *cfg;
	char *want;

	(void)state;
	setenv("ST2_PAGERDUTY_API_KEY", "env-api-key", 1);
	setenv("ST2_PAGERDUTY_SERVICE_KEY", "env-service-key", 1);
	setenv("ST2_PAGERDUTY_FROM_EMAIL", "env@example.com", 1);
	cfg = t_config_ok(
	    "api_key: file-key\nservice_key: file-service\nfrom_email: f@example.com\n");
	assert_string_equal(cfg->api_key, "env-api-key");
	assert_string_equal(cfg->service_key, "env-service-key");
	assert_string_equal(cfg->from_email, "env@example.com");
	config_free(cfg);

	/* Empty is what st2 renders for a key missing from the pack config: the file's stays. */
	setenv("ST2_PAGERDUTY_API_KEY", "", 1);
	unsetenv("ST2_PAGERDUTY_SERVICE_KEY");
	cfg = t_config_ok("api_key: file-key\nservice_key: file-service\n");
	assert_string_equal(cfg->api_key, "file-key");
	assert_string_equal(cfg->service_key, "file-service");
	assert_string_equal(cfg->from_email, "env@example.com");
	config_free(cfg);

	/* Checked like the file: a From that is no email address is a problem naming the variable.
	 */
	setenv("ST2_PAGERDUTY_FROM_EMAIL", "nobody", 1);
	assert_int_equal(t_config_load("debug: false\n", &cfg, &problems), PD_ERR_CONFIG);
	assert_int_equal(problems.n, 1);
	want = "$ST2_PAGERDUTY_FROM_EMAIL: from_email: \"nobody\": expected an email address";
	assert_string_equal(problems.v[0], want);
	strlist_free(&problems);
	config_free(cfg);

	/* No file (run without a config): the environment alone, over the defaults. */
	setenv("ST2_PAGERDUTY_API_KEY", "only-env", 1);
	setenv("ST2_PAGERDUTY_FROM_EMAIL", "env@example.com", 1);
	cfg = config_new();
	assert_null(cfg->api_key);
	assert_int_equal(config_apply_env(cfg, &problems), PD_OK);
	assert_int_equal(problems.n, 0);
	assert_string_equal(cfg->api_key, "only-env");
	assert_null(cfg->service_key);
	assert_string_equal(cfg->from_email, "env@example.com");
	assert_int_equal(config_check_needs(cfg, CONFIG_NEED_PD, &problems), PD_OK);
	config_free(cfg);

	unsetenv("ST2_PAGERDUTY_API_KEY");
	unsetenv("ST2_PAGERDUTY_FROM_EMAIL");
	cfg = config_new();
	assert_int_equal(config_apply_env(cfg, &problems), PD_OK);
	assert_null(cfg->api_key);
	assert_null(cfg->from_email);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),        cmocka_unit_test(test_empty_file),
	    cmocka_unit_test(test_unreadable_file), cmocka_unit_test(test_bad_cases),
	    cmocka_unit_test(test_second_document), cmocka_unit_test(test_good_values),
	    cmocka_unit_test(test_many_problems),   cmocka_unit_test(test_env_secrets),
	    cmocka_unit_test(test_file_secrets),    cmocka_unit_test(test_relative_paths),
	    cmocka_unit_test(test_default_path),    cmocka_unit_test(test_env_overrides),
	};

	return cmocka_run_group_tests(tests, t_config_setup, t_config_teardown);
}
