/*
 * fuzz_config.c: fuzz target for the config loader, config_load()
 * (config/config.c): libyaml, the key table, every value check, secrets
 * given as {env: NAME} or {file: PATH}, then config_check_needs() for each
 * subcommand's needs and config_print().
 *
 * config_load() takes a path, so each input is written to config.yaml in a
 * directory of this process's own (made once under $TMPDIR, removed at
 * exit), beside a secret file that {file: secret} may name. Oracles:
 *  - the answer is PD_OK exactly when no problem was reported, and every
 *    problem reads "FILE:LINE: ..." with the file as given;
 *  - what was loaded is within the table's rules whatever the file said
 *    (a refused value leaves the default): integer ranges, enum values,
 *    URLs without a trailing "/", an absolute webhook.path, no empty secret;
 *  - the problems, joined as `run` reports them, make a JSON error line.
 *
 * An input that names a device or /proc anywhere is skipped: {file:
 * /dev/zero} would read forever, and /proc/self/fd/0 is libFuzzer's stdin.
 */
#include <stdlib.h>
#include <unistd.h>

#include <yaml.h>

#include "fuzz.h"

/* Where the inputs go: made once, removed at exit. */
static char fuzz_dir[1024];
static char fuzz_file[1100];
static char fuzz_secret_file[1100];

/* Removes the directory and what the target put in it. */
static void
fuzz_cleanup(void)
{
	unlink(fuzz_file);
	unlink(fuzz_secret_file);
	rmdir(fuzz_dir);
}

/* Writes len bytes to path; aborts when the temporary directory is unusable. */
static void
fuzz_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* Makes the directory, its secret file, and the environment {env: NAME} may read. */
static void
fuzz_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (fuzz_dir[0] != '\0')
		return;
	fuzz_quiet();
	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/st2pd-fuzz-config.XXXXXX",
	         tmp != NULL && *tmp == '/' && strlen(tmp) < 900 ? tmp : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL) {
		perror(fuzz_dir);
		abort();
	}
	snprintf(fuzz_file, sizeof fuzz_file, "%s/config.yaml", fuzz_dir);
	snprintf(fuzz_secret_file, sizeof fuzz_secret_file, "%s/secret", fuzz_dir);
	fuzz_write(fuzz_secret_file, "file-secret\n", 12);
	atexit(fuzz_cleanup);
	setenv("ST2PD_FUZZ_SECRET", "env-secret", 1);
}

/* Whether some scalar of the input (escapes decoded) could name a device, /proc or stdin. */
static int
fuzz_names_device(const uint8_t *data, size_t size)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	const char *v;
	int bad = 0, end = 0;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, data, size);
	while (!bad && !end && yaml_parser_parse(&parser, &ev)) {
		if (ev.type == YAML_SCALAR_EVENT) {
			v = (const char *)ev.data.scalar.value;
			bad = strstr(v, "dev") != NULL || strstr(v, "proc") != NULL ||
			      strcmp(v, "-") == 0;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return bad;
}

/* Every problem since first reads "FILE:LINE: ..."; they make a JSON error together. */
static void
check_problems(const struct pd_strlist *problems, size_t first)
{
	size_t i, flen = strlen(fuzz_file), len;
	char *msg;
	json_t *e;
	FILE *f;

	if ((f = open_memstream(&msg, &len)) == NULL)
		abort();
	for (i = first; i < problems->n; i++) {
		FUZZ_CHECK(strncmp(problems->v[i], fuzz_file, flen) == 0);
		FUZZ_CHECK(problems->v[i][flen] == ':');
		fprintf(f, "%s%s", i > first ? "; " : "", problems->v[i]);
	}
	fclose(f);
	/* What `run` does with them (run_config): one JSON line. */
	e = action_error(PD_ERR_CONFIG, msg);
	FUZZ_CHECK(json_is_string(json_object_get(e, "message")));
	json_decref(e);
	free(msg);
}

/* A URL key: unset, or http(s) without the trailing "/" the loader drops. */
static int
url_ok(const char *s)
{
	return s == NULL ||
	       ((strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0) &&
	        s[strlen(s) - 1] != '/');
}

/* What the loaded config holds, whatever the file said; ok: the load reported no problem. */
static void
check_config(const struct pd_config *cfg, int ok)
{
	size_t i;

	FUZZ_CHECK(cfg->pd_timeout_ms >= 100 && cfg->pd_timeout_ms <= 600000);
	FUZZ_CHECK(cfg->pd_max_retries >= 0 && cfg->pd_max_retries <= 100);
	FUZZ_CHECK(cfg->webhook_max_body_bytes >= 1024 && cfg->webhook_max_body_bytes <= 16777216);
	FUZZ_CHECK(cfg->spool_max_events >= 1 && cfg->spool_max_events <= 1000000000);
	FUZZ_CHECK(cfg->poll_interval_s >= 1 && cfg->poll_interval_s <= 3600);
	FUZZ_CHECK(cfg->poll_mode == POLL_OFF || cfg->poll_mode == POLL_ONLY ||
	           cfg->poll_mode == POLL_BACKFILL);
	FUZZ_CHECK(cfg->webhook_request_timeout_ms >= 100 &&
	           cfg->webhook_request_timeout_ms <= 600000);
	FUZZ_CHECK(cfg->webhook_max_connections >= 1);
	/* The loader's cross-check: one request of the largest size fits, or it says so. */
	FUZZ_CHECK(!ok || cfg->webhook_max_unverified_bytes >=
	                      cfg->webhook_max_body_bytes + CONFIG_MAX_HEADER_BYTES);
	FUZZ_CHECK(cfg->spool_durability == DURABILITY_FSYNC ||
	           cfg->spool_durability == DURABILITY_OS);
	FUZZ_CHECK(cfg->log_level >= LOG_ERROR && cfg->log_level <= LOG_DEBUG);
	FUZZ_CHECK(cfg->log_format == LOG_FORMAT_TEXT || cfg->log_format == LOG_FORMAT_JSON);
	FUZZ_CHECK(cfg->debug == 0 || cfg->debug == 1);
	FUZZ_CHECK(cfg->st2_verify_tls == 0 || cfg->st2_verify_tls == 1);
	FUZZ_CHECK(cfg->webhook_reenable == 0 || cfg->webhook_reenable == 1);
	FUZZ_CHECK(url_ok(cfg->webhook_public_url));
	FUZZ_CHECK(cfg->pd_api_url != NULL && url_ok(cfg->pd_api_url));
	FUZZ_CHECK(cfg->pd_events_url != NULL && url_ok(cfg->pd_events_url));
	FUZZ_CHECK(url_ok(cfg->st2_api_url));
	FUZZ_CHECK(cfg->webhook_path != NULL && cfg->webhook_path[0] == '/');
	FUZZ_CHECK(cfg->spool_path != NULL && cfg->spool_path[0] == '/');
	FUZZ_CHECK(cfg->st2_sink_file != NULL && cfg->st2_sink_file[0] == '/');
	for (i = 0; i < cfg->webhook_secrets.n; i++)
		FUZZ_CHECK(cfg->webhook_secrets.v[i][0] != '\0');
	for (i = 0; i < cfg->webhook_listen.n; i++)
		FUZZ_CHECK(strrchr(cfg->webhook_listen.v[i], ':') != NULL);
}

/* One config file: load, check, each subcommand's needs, print. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int needs[] = {CONFIG_NEED_NONE, CONFIG_NEED_SERVE, CONFIG_NEED_ST2,
	                            CONFIG_NEED_PD,
	                            CONFIG_NEED_SERVE | CONFIG_NEED_ST2 | CONFIG_NEED_PD};
	static FILE *devnull;
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *cfg;
	enum pd_err rc;
	size_t i, before;

	fuzz_setup();
	if (fuzz_names_device(data, size))
		return 0;
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	fuzz_write(fuzz_file, data, size);

	cfg = config_new();
	rc = config_load(cfg, fuzz_file, &problems);
	FUZZ_CHECK(rc == PD_OK || rc == PD_ERR_CONFIG);
	FUZZ_CHECK((rc == PD_OK) == (problems.n == 0));
	FUZZ_CHECK(cfg->file != NULL && strcmp(cfg->file, fuzz_file) == 0);
	check_problems(&problems, 0);
	check_config(cfg, rc == PD_OK);

	for (i = 0; i < sizeof needs / sizeof needs[0]; i++) {
		before = problems.n;
		rc = config_check_needs(cfg, needs[i], &problems);
		FUZZ_CHECK((rc == PD_OK) == (problems.n == before));
		FUZZ_CHECK(needs[i] != CONFIG_NEED_NONE || rc == PD_OK);
		check_problems(&problems, before);
	}
	config_print(cfg, devnull);
	config_free(cfg);
	strlist_free(&problems);
	unlink(fuzz_file);
	return 0;
}
