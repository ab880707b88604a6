/*
 * config.c: the configuration file (YAML of INTERFACE.md, read with
 * libyaml): its defaults, loading and validation, the keys each subcommand
 * needs, and the check-config subcommand.
 *
 * DESIGN
 * ------
 * Every key is one row of config_table (Redis static_configs[], tmux
 * options_table[]): dotted name, type, where it lives in struct pd_config,
 * its default written as it would be in the file, and a line of help.
 * config_new() stores every default through the same config_store() that
 * file values go through (memcached settings_init), so a default can never
 * be something the file would refuse. No key has code of its own: a value
 * is checked by its type (int range, enum table, URL, path) plus an optional
 * check function shared by every value of the row (webhook.listen entries,
 * webhook.path, from_email). A key an earlier version had is a row of
 * config_retired[]: the file gets an error saying what replaced it.
 *
 * config_load() reads the whole file into a libyaml document and walks its
 * mappings. A key is either a row of the table or a section ("webhook") that
 * prefixes rows; anything else is unknown. A problem never stops the walk:
 * each is appended as "file:line: key: reason", with the 1-based line of
 * the offending node (h2o's errprintf), so one run of check-config lists
 * everything there is to fix.
 *
 * Secrets (api_key, service_key, st2.api_key, st2.auth_token, every
 * webhook.secrets item) may be a literal, {env: NAME} or {file: PATH}; they
 * are never printed, and are wiped from memory when replaced or freed.
 *
 * Relative paths (spool.path, st2.sink_file, {file: PATH}) are resolved
 * against the directory of the config file and made absolute when the file
 * is loaded: the daemon then behaves the same whatever its working
 * directory, and a config can name files that sit beside it.
 *
 * Three environment variables override the file, last (config_envs[]):
 * ST2_PAGERDUTY_API_KEY -> api_key, ST2_PAGERDUTY_SERVICE_KEY ->
 * service_key, ST2_PAGERDUTY_FROM_EMAIL -> from_email. The pack's action
 * metadata sets them from st2's pack config, so secrets reach `run`
 * without a command line argument; an empty value is ignored, since st2
 * renders a key missing from the pack config as "". They go through the
 * same checks as the file's values.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/stat.h>
#include <yaml.h>

#include "st2pd.h"

#define CONFIG_DEFAULT_PATH "/etc/st2-pagerduty/config.yaml"
#define CONFIG_ENV          "ST2_PAGERDUTY_CONFIG"

/* Values quoted back in problems are cut to this many bytes. */
#define CONFIG_QUOTE_MAX 64

enum config_type {
	CT_STRING,
	CT_SECRET, /* literal, {env: NAME} or {file: PATH}; never printed */
	CT_BOOL,
	CT_INT,        /* min..max */
	CT_STRLIST,    /* a YAML sequence of strings */
	CT_SECRETLIST, /* a sequence of secrets */
	CT_ENUM,       /* one name of a {name, value} table */
	CT_URL,        /* http:// or https://; a trailing "/" is dropped */
	CT_PATH,       /* relative to the config file's directory */
};

struct config_enum {
	const char *name;
	int value;
};

struct config_entry {
	const char *name; /* dotted: "webhook.listen" */
	enum config_type type;
	size_t offset;                     /* into struct pd_config */
	const char *def;                   /* as written in the file; NULL: unset */
	long min, max;                     /* CT_INT */
	const struct config_enum *enums;   /* CT_ENUM, NULL-terminated */
	char *(*check)(const char *value); /* extra rule: reason (freed), NULL if fine */
	const char *help;
};

/* Enum fields are stored through an int *. */
_Static_assert(sizeof(enum durability) == sizeof(int), "enum durability is not an int");
_Static_assert(sizeof(enum log_level) == sizeof(int), "enum log_level is not an int");
_Static_assert(sizeof(enum log_format) == sizeof(int), "enum log_format is not an int");
_Static_assert(sizeof(enum poll_mode) == sizeof(int), "enum poll_mode is not an int");

static char *config_check_email(const char *);
static char *config_check_listen(const char *);
static char *config_check_http_path(const char *);
static char *config_check_hook_secret(const char *);
static char *config_check_redis_url(const char *);

static const struct config_enum config_backends[] = {
    {"sqlite", SPOOL_BACKEND_SQLITE},
    {"redis", SPOOL_BACKEND_REDIS},
    {NULL, 0},
};

static const struct config_enum config_durabilities[] = {
    {"fsync", DURABILITY_FSYNC},
    {"os", DURABILITY_OS},
    {NULL, 0},
};

static const struct config_enum config_poll_modes[] = {
    {"off", POLL_OFF},
    {"only", POLL_ONLY},
    {"backfill", POLL_BACKFILL},
    {NULL, 0},
};

static const struct config_enum config_levels[] = {
    {"error", LOG_ERROR}, {"warn", LOG_WARN}, {"info", LOG_INFO}, {"debug", LOG_DEBUG}, {NULL, 0},
};

static const struct config_enum config_formats[] = {
    {"text", LOG_FORMAT_TEXT},
    {"json", LOG_FORMAT_JSON},
    {NULL, 0},
};

/* clang-format off */
#define OFF(f) offsetof(struct pd_config, f)
/* A key whose type needs no range or enum table. */
#define E(name, type, field, def, check, help) \
	{name, type, OFF(field), def, 0, 0, NULL, check, help}
#define E_INT(name, field, def, min, max, help) \
	{name, CT_INT, OFF(field), def, min, max, NULL, NULL, help}
#define E_ENUM(name, field, def, table, help) \
	{name, CT_ENUM, OFF(field), def, 0, 0, table, NULL, help}
/* clang-format on */

/* Every key of the config file, in the order check-config prints them. */
static const struct config_entry config_table[] = {
    E("api_key", CT_SECRET, api_key, NULL, NULL, "PagerDuty REST API key (pack-compatible)"),
    E("service_key", CT_SECRET, service_key, NULL, NULL,
      "default Events API routing key (pack-compatible)"),
    E("debug", CT_BOOL, debug, "false", NULL, "debug logging, whatever log.level says"),
    E("from_email", CT_STRING, from_email, NULL, config_check_email,
      "default From header of REST writes"),

    E("pagerduty.api_url", CT_URL, pd_api_url, "https://api.pagerduty.com", NULL,
      "REST API base URL (EU: https://api.eu.pagerduty.com)"),
    E("pagerduty.events_url", CT_URL, pd_events_url, "https://events.pagerduty.com", NULL,
      "Events API base URL"),
    E_INT("pagerduty.timeout_ms", pd_timeout_ms, "10000", 100, 600000,
          "timeout of one PagerDuty request"),
    E_INT("pagerduty.max_retries", pd_max_retries, "5", 0, 100,
          "retries of a PagerDuty request on 429 and 5xx"),

    E("webhook.listen", CT_STRLIST, webhook_listen, "127.0.0.1:8080", config_check_listen,
      "HOST:PORT or [IPv6]:PORT to listen on; port 0 = any free port"),
    E("webhook.path", CT_STRING, webhook_path, "/webhooks/pagerduty", config_check_http_path,
      "URL path PagerDuty posts to"),
    E("webhook.secrets", CT_SECRETLIST, webhook_secrets, NULL, config_check_hook_secret,
      "signing secret of every active subscription; any may match"),
    E_INT("webhook.max_body_bytes", webhook_max_body_bytes, "262144", 1024, 16777216,
          "larger bodies are answered 413"),
    E_INT("webhook.request_timeout_ms", webhook_request_timeout_ms, "10000", 100, 600000,
          "a request not read in full (headers and body) this long after it began is closed"),
    E_INT("webhook.idle_timeout_ms", webhook_idle_timeout_ms, "30000", 100, 3600000,
          "keep-alive connections idle this long are closed"),
    E_INT("webhook.max_connections", webhook_max_connections, "4096", 1, 1000000,
          "beyond it new connections wait in the kernel's backlog"),
    E_INT("webhook.max_unverified_bytes", webhook_max_unverified_bytes, "16777216", 131072,
          17179869184L,
          "request bytes held before their signature is checked, all connections together; "
          "beyond it 503 with Retry-After"),
    E("webhook.public_url", CT_URL, webhook_public_url, NULL, NULL,
      "URL PagerDuty delivers to; the watchdog checks the subscriptions that use it"),
    E("webhook.subscription_ids", CT_STRLIST, webhook_subscription_ids, NULL, NULL,
      "subscriptions the watchdog checks (else those delivering to webhook.public_url)"),
    E("webhook.reenable", CT_BOOL, webhook_reenable, "false", NULL,
      "re-enable a subscription PagerDuty disabled after failed deliveries"),

    E("st2.api_url", CT_URL, st2_api_url, NULL, NULL,
      "StackStorm API base URL; unset: triggers go to st2.sink_file"),
    E("st2.api_key", CT_SECRET, st2_api_key, NULL, NULL, "St2-Api-Key header"),
    E("st2.auth_token", CT_SECRET, st2_auth_token, NULL, NULL,
      "X-Auth-Token header, instead of st2.api_key"),
    E("st2.verify_tls", CT_BOOL, st2_verify_tls, "true", NULL,
      "check StackStorm's TLS certificate"),
    E("st2.sink_file", CT_PATH, st2_sink_file, "/var/lib/st2-pagerduty/triggers.jsonl", NULL,
      "JSON lines file of triggers when st2.api_url is unset"),

    E_ENUM("spool.backend", spool_backend, "sqlite", config_backends,
           "where the spool keeps events: sqlite, one file on this host; redis, shared by "
           "several replicas"),
    E("spool.path", CT_PATH, spool_path, "/var/lib/st2-pagerduty/spool", NULL,
      "directory of the durable spool"),
    E_ENUM("spool.durability", spool_durability, "fsync", config_durabilities,
           "fsync: survive power loss; os: survive a crash of the daemon"),
    E_INT("spool.max_events", spool_max_events, "1000000", 1, 1000000000,
          "pending events before webhooks are answered 503"),
    E("spool.redis.url", CT_STRING, spool_redis_url, "redis://127.0.0.1:6379/0",
      config_check_redis_url, "redis: redis://[:password@]host[:port][/db] of the primary"),
    E("spool.redis.password", CT_SECRET, spool_redis_password, NULL, NULL,
      "redis: AUTH password, instead of the URL's"),
    E("spool.redis.prefix", CT_STRING, spool_redis_prefix, "st2pd:", NULL,
      "redis: every key starts with it; replicas sharing a spool use the same"),
    E_INT("spool.redis.wait_replicas", spool_redis_wait_replicas, "0", 0, 100,
          "redis: 202 only once this many Redis replicas have the event (WAIT)"),
    E_INT("spool.redis.wait_timeout_ms", spool_redis_wait_timeout_ms, "1000", 1, 60000,
          "redis: how long WAIT waits for them before the webhook is answered 503"),

    E_ENUM("poll.mode", poll_mode, "off", config_poll_modes,
           "off; only: poll instead of webhooks; backfill: webhooks first, poll fills gaps"),
    E_INT("poll.interval_s", poll_interval_s, "30", 1, 3600, "seconds between two polls"),
    E_INT("poll.lag_s", poll_lag_s, "60", 0, 86400,
          "backfill: how far behind now the poller reads"),
    /* Not past the spool's dedup horizon: older events may have been delivered and pruned. */
    E_INT("poll.backfill_max_s", poll_backfill_max_s, "86400", 60, 604800,
          "after downtime, catch up at most this far back"),
    E("poll.service_ids", CT_STRLIST, poll_service_ids, NULL, NULL,
      "only log entries of these services"),
    E("poll.team_ids", CT_STRLIST, poll_team_ids, NULL, NULL, "only log entries of these teams"),

    E_ENUM("log.level", log_level, "info", config_levels, "error, warn, info or debug"),
    E_ENUM("log.format", log_format, "text", config_formats, "text or json lines on stderr"),
};
#define CONFIG_NENTRIES (sizeof config_table / sizeof config_table[0])

/* Keys of earlier versions and what replaced them: an error that says what to write now. */
static const struct {
	const char *name;
	const char *hint;
} config_retired[] = {
    {"poll.enabled", "replaced by poll.mode: off, only (poll instead of webhooks) or backfill "
                     "(webhooks first, the poller fills their gaps)"},
};

/* State of one config_load(). */
struct config_load {
	struct pd_config *cfg;
	const char *file; /* as given, for problems */
	char *base;       /* absolute directory of file, for relative paths */
	yaml_document_t doc;
	struct pd_strlist *problems;
	size_t lines[CONFIG_NENTRIES]; /* where each key was set; 0: not in the file */
	struct pd_strlist literals;    /* secret keys given as literals, for the mode warning */
};

static void config_walk(struct config_load *, yaml_node_t *, const char *);
static void config_problem(struct config_load *, size_t, const char *, const char *, ...)
    PD_PRINTF(4, 5);

/* Appends "file:line: key: reason" to the load's problems. */
static void
config_problem(struct config_load *ld, size_t line, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *reason;

	va_start(ap, fmt);
	reason = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_addf(ld->problems, "%s:%zu: %s: %s", ld->file, line, key, reason);
	free(reason);
}

/* 1-based line of a node. */
static size_t
node_line(const yaml_node_t *node)
{
	return node->start_mark.line + 1;
}

/* A node's kind, for "expected X, got Y". */
static const char *
node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a value";
	}
}

/* Whether a node is YAML's null ("key:" with nothing, "~", "null"). */
static int
node_is_null(const yaml_node_t *node)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	size_t i;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (i = 0; i < sizeof nulls / sizeof nulls[0]; i++) {
		if (strcmp((const char *)node->data.scalar.value, nulls[i]) == 0)
			return 1;
	}
	return 0;
}

/* A scalar's text; NULL for any other node. */
static const char *
node_text(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

/* Forgets a string, wiping it first when it is a secret. */
static void
config_drop(char *s, int secret)
{
	if (s != NULL && secret)
		crypto_wipe_str(s);
	free(s);
}

/* Whether values of this type must never be shown. */
static int
config_is_secret(const struct config_entry *e)
{
	return e->type == CT_SECRET || e->type == CT_SECRETLIST;
}

/* Whether a key is stored as a char *. */
static int
config_is_string(const struct config_entry *e)
{
	return e->type == CT_STRING || e->type == CT_SECRET || e->type == CT_URL ||
	       e->type == CT_PATH;
}

/* Frees the value of one key and leaves it unset. */
static void
config_clear(struct pd_config *cfg, const struct config_entry *e)
{
	void *field = (char *)cfg + e->offset;
	struct pd_strlist *l = field;
	size_t i;

	switch (e->type) {
	case CT_STRING:
	case CT_SECRET:
	case CT_URL:
	case CT_PATH:
		config_drop(*(char **)field, config_is_secret(e));
		*(char **)field = NULL;
		break;
	case CT_STRLIST:
	case CT_SECRETLIST:
		for (i = 0; i < l->n; i++) {
			config_drop(l->v[i], config_is_secret(e));
			l->v[i] = NULL;
		}
		strlist_free(l);
		break;
	case CT_BOOL:
	case CT_INT:
	case CT_ENUM:
		break;
	}
}

/* Lexically simplifies an absolute path: no "." or empty parts, ".." folded. */
static char *
config_path_clean(const char *path)
{
	char *out = xmalloc(strlen(path) + 2);
	const char *p = path, *end;
	size_t n = 0, len;

	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		} else if (len != 1 || p[0] != '.') {
			out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p = end;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return out;
}

/* path as the daemon must use it: relative ones are taken from base. */
static char *
config_resolve(const char *base, const char *path)
{
	char *joined, *clean;

	if (path[0] == '/' || base == NULL)
		return xstrdup(path);
	joined = xasprintf("%s/%s", base, path);
	if (joined[0] != '/') /* base itself relative: ".." cannot be folded */
		return joined;
	clean = config_path_clean(joined);
	free(joined);
	return clean;
}

/* Absolute directory of the config file, the base of its relative paths. */
static char *
config_base_dir(const char *file)
{
	const char *slash = strrchr(file, '/');
	char *dir, *cwd, *base;

	if (slash == file)
		return xstrdup("/");
	if (strcmp(file, "-") == 0 || slash == NULL)
		dir = xstrdup(".");
	else
		dir = xstrndup(file, (size_t)(slash - file));
	if (dir[0] == '/' || (cwd = getcwd(NULL, 0)) == NULL) {
		base = config_resolve(NULL, dir);
	} else {
		base = config_resolve(cwd, dir);
		free(cwd);
	}
	free(dir);
	return base;
}

/* Whether a URL is http(s)://HOST...; the rest is left to libcurl. */
static int
config_url_ok(const char *url)
{
	static const char *const schemes[] = {"http://", "https://"};
	const char *c;
	size_t i, len;

	for (c = url; *c != '\0'; c++) {
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return 0;
	}
	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		len = strlen(schemes[i]);
		if (strncasecmp(url, schemes[i], len) == 0)
			return url[len] != '\0' && url[len] != '/';
	}
	return 0;
}

/* Parses a YAML 1.1 boolean the way operators write them. */
static int
config_parse_bool(const char *s, int *out)
{
	static const struct config_enum bools[] = {
	    {"true", 1}, {"yes", 1}, {"on", 1}, {"false", 0}, {"no", 0}, {"off", 0},
	};
	size_t i;

	for (i = 0; i < sizeof bools / sizeof bools[0]; i++) {
		if (strcasecmp(s, bools[i].name) == 0) {
			*out = bools[i].value;
			return 0;
		}
	}
	return -1;
}

/* "a, b, c": the names of an enum table, for problems. */
static char *
config_enum_names(const struct config_enum *t)
{
	char *s = xstrdup(""), *next;

	for (; t->name != NULL; t++) {
		next = xasprintf("%s%s%s", s, *s != '\0' ? ", " : "", t->name);
		free(s);
		s = next;
	}
	return s;
}

/* The name of an enum value, for config_print. */
static const char *
config_enum_name(const struct config_enum *t, int value)
{
	for (; t->name != NULL; t++) {
		if (t->value == value)
			return t->name;
	}
	return "?";
}

/*
 * Stores text as the value of e (for a list: appends it). Returns why text
 * is not acceptable (caller frees), or NULL. base resolves relative paths.
 */
static char *
config_store(struct pd_config *cfg, const struct config_entry *e, const char *text,
             const char *base)
{
	void *field = (char *)cfg + e->offset;
	const struct config_enum *t;
	char *reason, *names, *s = NULL;
	size_t len;
	long n;
	int b;

	if (e->check != NULL && (reason = e->check(text)) != NULL)
		return reason;
	switch (e->type) {
	case CT_STRING:
	case CT_SECRET:
		s = xstrdup(text);
		break;
	case CT_URL:
		if (!config_url_ok(text))
			return xasprintf("expected an http:// or https:// URL, got \"%.*s\"",
			                 CONFIG_QUOTE_MAX, text);
		s = xstrdup(text);
		/* The base URL gets "/v1/..." appended: no "//" in between. */
		for (len = strlen(s); len > 0 && s[len - 1] == '/'; len--)
			s[len - 1] = '\0';
		break;
	case CT_PATH:
		if (*text == '\0')
			return xstrdup("expected a path, got an empty string");
		s = config_resolve(base, text);
		break;
	case CT_BOOL:
		if (config_parse_bool(text, &b) != 0)
			return xasprintf("expected true or false, got \"%.*s\"", CONFIG_QUOTE_MAX,
			                 text);
		*(int *)field = b;
		return NULL;
	case CT_INT:
		if (parse_long(text, LONG_MIN, LONG_MAX, &n) != PD_OK)
			return xasprintf("expected an integer, got \"%.*s\"", CONFIG_QUOTE_MAX,
			                 text);
		if (n < e->min || n > e->max)
			return xasprintf("%ld is out of range (%ld..%ld)", n, e->min, e->max);
		*(long *)field = n;
		return NULL;
	case CT_ENUM:
		for (t = e->enums; t->name != NULL; t++) {
			if (strcasecmp(text, t->name) == 0) {
				*(int *)field = t->value;
				return NULL;
			}
		}
		names = config_enum_names(e->enums);
		reason =
		    xasprintf("bad value \"%.*s\" (one of: %s)", CONFIG_QUOTE_MAX, text, names);
		free(names);
		return reason;
	case CT_STRLIST:
	case CT_SECRETLIST:
		strlist_add(field, text);
		return NULL;
	}
	config_drop(*(char **)field, config_is_secret(e));
	*(char **)field = s;
	return NULL;
}

/* A scalar's text, copied; NULL (with a problem) if it holds a NUL byte. */
static char *
config_scalar(struct config_load *ld, const struct config_entry *e, yaml_node_t *node)
{
	const char *text = node_text(node);

	if (strlen(text) != node->data.scalar.length) {
		config_problem(ld, node_line(node), e->name, "value contains a NUL byte");
		return NULL;
	}
	return xstrdup(text);
}

/* Reads a {file: PATH} secret: the whole file less its trailing newlines. */
static char *
config_secret_file(struct config_load *ld, const struct config_entry *e, yaml_node_t *node,
                   const char *path)
{
	char *resolved = config_resolve(ld->base, path), *text;
	size_t len;

	errno = 0;
	if (read_file(resolved, &text, &len) != PD_OK) {
		config_problem(ld, node_line(node), e->name, "cannot read %s: %s", resolved,
		               strerror(errno != 0 ? errno : EIO));
		free(resolved);
		return NULL;
	}
	free(resolved);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (strlen(text) != len) {
		config_problem(ld, node_line(node), e->name, "%s contains a NUL byte", path);
		config_drop(text, 1);
		return NULL;
	}
	return text;
}

/*
 * The text of a secret: a literal, {env: NAME} or {file: PATH}. NULL when
 * there is none, the problem already reported.
 */
static char *
config_secret(struct config_load *ld, const struct config_entry *e, yaml_node_t *node)
{
	yaml_node_pair_t *pair;
	yaml_node_t *key, *value;
	const char *how, *arg, *env;
	char *text;

	if (node->type == YAML_SCALAR_NODE) {
		if (ld->literals.n == 0 || strcmp(ld->literals.v[ld->literals.n - 1], e->name) != 0)
			strlist_add(&ld->literals, e->name);
		if ((text = config_scalar(ld, e, node)) != NULL && strstr(text, "{{") != NULL) {
			/* st2 renders these for Python actions; nobody renders them for us. */
			config_problem(ld, node_line(node), e->name,
			               "StackStorm datastore references are not resolved here; "
			               "use {env: NAME} or {file: PATH}");
			config_drop(text, 1);
			return NULL;
		}
		return text;
	}
	if (node->type != YAML_MAPPING_NODE)
		goto bad;
	pair = node->data.mapping.pairs.start;
	if (node->data.mapping.pairs.top - pair != 1)
		goto bad;
	key = yaml_document_get_node(&ld->doc, pair->key);
	value = yaml_document_get_node(&ld->doc, pair->value);
	how = node_text(key);
	arg = node_text(value);
	if (how == NULL || arg == NULL || node_is_null(value) || *arg == '\0')
		goto bad;
	if (strcmp(how, "env") == 0) {
		if ((env = getenv(arg)) == NULL) {
			config_problem(ld, node_line(node), e->name,
			               "environment variable %s is not set", arg);
			return NULL;
		}
		return xstrdup(env);
	}
	if (strcmp(how, "file") == 0)
		return config_secret_file(ld, e, node, arg);
bad:
	config_problem(ld, node_line(node), e->name,
	               "expected a string, {env: NAME} or {file: PATH}, got %s", node_kind(node));
	return NULL;
}

/* Checks and stores one value (for a list: one item) of e. */
static void
config_set_one(struct config_load *ld, const struct config_entry *e, yaml_node_t *node)
{
	char *text, *reason;

	if (node_is_null(node)) {
		config_problem(ld, node_line(node), e->name, "empty list item");
		return;
	}
	if (config_is_secret(e))
		text = config_secret(ld, e, node);
	else if (node->type == YAML_SCALAR_NODE)
		text = config_scalar(ld, e, node);
	else {
		config_problem(ld, node_line(node), e->name, "expected %s, got %s",
		               e->type == CT_BOOL  ? "true or false"
		               : e->type == CT_INT ? "an integer"
		                                   : "a string",
		               node_kind(node));
		return;
	}
	if (text == NULL)
		return;
	if ((reason = config_store(ld->cfg, e, text, ld->base)) != NULL) {
		config_problem(ld, node_line(node), e->name, "%s", reason);
		free(reason);
	}
	config_drop(text, config_is_secret(e));
}

/* Sets key e from a node of the file; null leaves the default. */
static void
config_set(struct config_load *ld, const struct config_entry *e, yaml_node_t *node)
{
	yaml_node_item_t *item;

	ld->lines[e - config_table] = node_line(node);
	if (node_is_null(node))
		return;
	if (e->type != CT_STRLIST && e->type != CT_SECRETLIST) {
		config_set_one(ld, e, node);
		return;
	}
	if (node->type != YAML_SEQUENCE_NODE) {
		config_problem(ld, node_line(node), e->name, "expected a list, got %s",
		               node_kind(node));
		return;
	}
	config_clear(ld->cfg, e);
	for (item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++)
		config_set_one(ld, e, yaml_document_get_node(&ld->doc, *item));
}

/* The row of a dotted key, or NULL. */
static const struct config_entry *
config_find(const char *name)
{
	size_t i;

	for (i = 0; i < CONFIG_NENTRIES; i++) {
		if (strcmp(config_table[i].name, name) == 0)
			return &config_table[i];
	}
	return NULL;
}

/* Whether name is a section, a prefix of rows ("webhook"). */
static int
config_is_section(const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < CONFIG_NENTRIES; i++) {
		if (strncmp(config_table[i].name, name, len) == 0 &&
		    config_table[i].name[len] == '.')
			return 1;
	}
	return 0;
}

/* Edit distance of two short strings, for "did you mean" hints. */
static size_t
config_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], i, j, diag, up, best;

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Keeps cand as the hint if it is closer to name than the best so far. */
static void
config_hint_try(const char *name, const char *cand, size_t len, char **best, size_t *bestd)
{
	char *c = xstrndup(cand, len);
	size_t d = config_distance(name, c);

	/* Two edits from a three-letter word is a guess, not a hint. */
	if (d < *bestd && d * 3 <= strlen(name)) {
		*bestd = d;
		free(*best);
		*best = c;
	} else {
		free(c);
	}
}

/*
 * The key an unknown one probably meant: the only row with the same last
 * part (a key put in the wrong section), else a row or section at most two
 * edits away (a typo). NULL if none.
 */
static char *
config_hint(const char *name)
{
	const char *leaf = strrchr(name, '.'), *rname, *rleaf, *same = NULL;
	char *best = NULL;
	size_t i, nsame = 0, bestd = 3;

	leaf = leaf != NULL ? leaf + 1 : name;
	for (i = 0; i < CONFIG_NENTRIES; i++) {
		rname = config_table[i].name;
		rleaf = strrchr(rname, '.');
		if (strcmp(rleaf != NULL ? rleaf + 1 : rname, leaf) == 0) {
			same = rname;
			nsame++;
		}
	}
	if (nsame == 1)
		return xstrdup(same);
	for (i = 0; i < CONFIG_NENTRIES; i++) {
		rname = config_table[i].name;
		config_hint_try(name, rname, strcspn(rname, "."), &best, &bestd);
		config_hint_try(name, rname, strlen(rname), &best, &bestd);
	}
	return best;
}

/* Reports an unknown key: what replaced it, or a hint when one is close. */
static void
config_unknown(struct config_load *ld, yaml_node_t *key, const char *name)
{
	char *hint;
	size_t i;

	for (i = 0; i < sizeof config_retired / sizeof config_retired[0]; i++) {
		if (strcmp(config_retired[i].name, name) == 0) {
			config_problem(ld, node_line(key), name, "%s", config_retired[i].hint);
			return;
		}
	}
	hint = config_hint(name);

	if (hint != NULL)
		config_problem(ld, node_line(key), name, "unknown key (did you mean %s?)", hint);
	else
		config_problem(ld, node_line(key), name, "unknown key");
	free(hint);
}

/* Line of an earlier pair of the mapping with the same key, or 0. */
static size_t
config_duplicate(struct config_load *ld, yaml_node_t *map, yaml_node_pair_t *pair)
{
	yaml_node_t *key = yaml_document_get_node(&ld->doc, pair->key), *other;
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < pair; p++) {
		other = yaml_document_get_node(&ld->doc, p->key);
		if (other->type == YAML_SCALAR_NODE &&
		    other->data.scalar.length == key->data.scalar.length &&
		    memcmp(other->data.scalar.value, key->data.scalar.value,
		           key->data.scalar.length) == 0)
			return node_line(other);
	}
	return 0;
}

/* Walks one mapping of the file; prefix is its section, NULL at the top. */
static void
config_walk(struct config_load *ld, yaml_node_t *map, const char *prefix)
{
	const struct config_entry *e;
	yaml_node_pair_t *pair;
	yaml_node_t *key, *value;
	size_t first;
	char *name;

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		key = yaml_document_get_node(&ld->doc, pair->key);
		value = yaml_document_get_node(&ld->doc, pair->value);
		if (key->type != YAML_SCALAR_NODE) {
			config_problem(ld, node_line(key), prefix != NULL ? prefix : "(top level)",
			               "expected a key, got %s", node_kind(key));
			continue;
		}
		if (prefix != NULL)
			name = xasprintf("%s.%s", prefix, node_text(key));
		else
			name = xstrdup(node_text(key));
		if ((first = config_duplicate(ld, map, pair)) != 0)
			config_problem(ld, node_line(key), name,
			               "duplicate key (first at line %zu)", first);
		else if ((e = config_find(name)) != NULL)
			config_set(ld, e, value);
		else if (!config_is_section(name))
			config_unknown(ld, key, name);
		else if (value->type == YAML_MAPPING_NODE)
			config_walk(ld, value, name);
		else if (!node_is_null(value))
			config_problem(ld, node_line(value), name, "expected a mapping, got %s",
			               node_kind(value));
		free(name);
	}
}

/* Rules between keys, once every key is in. */
static void
config_cross_check(struct config_load *ld)
{
	const struct config_entry *token = config_find("st2.auth_token");

	const struct config_entry *cap = config_find("webhook.max_unverified_bytes");

	if (ld->cfg->st2_api_key != NULL && ld->cfg->st2_auth_token != NULL)
		config_problem(ld, ld->lines[token - config_table], token->name,
		               "set only one of st2.api_key and st2.auth_token");
	/*
	 * One request of the largest size, with its headers, must fit or it
	 * could never pass: the default grows to fit, a value set too low is
	 * an error.
	 */
	if (ld->cfg->webhook_max_unverified_bytes <
	        ld->cfg->webhook_max_body_bytes + CONFIG_MAX_HEADER_BYTES &&
	    ld->lines[cap - config_table] == 0)
		ld->cfg->webhook_max_unverified_bytes =
		    ld->cfg->webhook_max_body_bytes + CONFIG_MAX_HEADER_BYTES;
	if (ld->cfg->webhook_max_unverified_bytes <
	    ld->cfg->webhook_max_body_bytes + CONFIG_MAX_HEADER_BYTES)
		config_problem(ld, ld->lines[cap - config_table], cap->name,
		               "%ld is less than webhook.max_body_bytes + %d of headers (%ld)",
		               ld->cfg->webhook_max_unverified_bytes, CONFIG_MAX_HEADER_BYTES,
		               ld->cfg->webhook_max_body_bytes + CONFIG_MAX_HEADER_BYTES);
}

/*
 * A file every user may read that holds secrets as literals gives them to
 * every user of the host: warn (not refuse: a container may run as one
 * user), naming the keys and the remedies.
 */
static void
config_mode_warning(struct config_load *ld, const char *path)
{
	struct stat st;
	char *names = NULL, *next;
	size_t i;

	if (ld->literals.n == 0 || stat(path, &st) != 0 || (st.st_mode & S_IROTH) == 0)
		return;
	for (i = 0; i < ld->literals.n; i++) {
		next = xasprintf("%s%s%s", names != NULL ? names : "", i > 0 ? ", " : "",
		                 ld->literals.v[i]);
		free(names);
		names = next;
	}
	strlist_addf(&ld->cfg->warnings,
	             "%s: readable by every user of this host, and it holds secrets as literals "
	             "(%s): chmod o-r %s, or give them as {file: PATH} or {env: NAME}",
	             path, names, path);
	free(names);
}

/* Reports libyaml's parse error, with its line. */
static void
config_syntax_error(struct config_load *ld, yaml_parser_t *parser, const char *buf)
{
	size_t line = parser->problem_mark.line + 1, i;

	if (parser->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a mark. */
		for (line = 1, i = 0; i < parser->problem_offset && buf[i] != '\0'; i++)
			line += buf[i] == '\n';
	}
	if (parser->context != NULL)
		config_problem(ld, line, "syntax error", "%s (%s that starts at line %zu)",
		               parser->problem != NULL ? parser->problem : "unknown error",
		               parser->context, parser->context_mark.line + 1);
	else
		config_problem(ld, line, "syntax error", "%s",
		               parser->problem != NULL ? parser->problem : "unknown error");
}

/* Parses buf and walks its document into ld->cfg. */
static void
config_parse(struct config_load *ld, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_node_t *root;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &ld->doc)) {
		config_syntax_error(ld, &parser, buf);
		yaml_parser_delete(&parser);
		return;
	}
	root = yaml_document_get_root_node(&ld->doc);
	if (root != NULL && root->type == YAML_MAPPING_NODE)
		config_walk(ld, root, NULL);
	else if (root != NULL && !node_is_null(root))
		config_problem(ld, node_line(root), "(top level)", "expected a mapping, got %s",
		               node_kind(root));
	if (root != NULL)
		config_cross_check(ld);
	yaml_document_delete(&ld->doc);

	if (!yaml_parser_load(&parser, &ld->doc)) {
		config_syntax_error(ld, &parser, buf);
	} else {
		if ((root = yaml_document_get_root_node(&ld->doc)) != NULL)
			config_problem(ld, node_line(root), "(top level)",
			               "only one YAML document is allowed");
		yaml_document_delete(&ld->doc);
	}
	yaml_parser_delete(&parser);
}

/* Creates a config with every default of the table in place. */
struct pd_config *
config_new(void)
{
	struct pd_config *cfg = xcalloc(1, sizeof *cfg);
	char *reason;
	size_t i;

	for (i = 0; i < CONFIG_NENTRIES; i++) {
		if (config_table[i].def == NULL)
			continue;
		if ((reason = config_store(cfg, &config_table[i], config_table[i].def, NULL)))
			fatal("config: default of %s: %s", config_table[i].name, reason);
	}
	return cfg;
}

/* Frees a config, wiping its secrets. */
void
config_free(struct pd_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < CONFIG_NENTRIES; i++)
		config_clear(cfg, &config_table[i]);
	strlist_free(&cfg->warnings);
	free(cfg->file);
	free(cfg);
}

/* The config file used when no -c is given. */
const char *
config_default_path(void)
{
	const char *env = getenv(CONFIG_ENV);

	return env != NULL && *env != '\0' ? env : CONFIG_DEFAULT_PATH;
}

/* Environment variables that override keys of the file; see the DESIGN above. */
static const struct {
	const char *env;
	const char *key;
} config_envs[] = {
    {"ST2_PAGERDUTY_API_KEY", "api_key"},
    {"ST2_PAGERDUTY_SERVICE_KEY", "service_key"},
    {"ST2_PAGERDUTY_FROM_EMAIL", "from_email"},
};

/* Applies the environment overrides that are set and not empty. */
enum pd_err
config_apply_env(struct pd_config *cfg, struct pd_strlist *problems)
{
	const struct config_entry *e;
	size_t before = problems->n, i;
	const char *v;
	char *reason;

	for (i = 0; i < sizeof config_envs / sizeof config_envs[0]; i++) {
		v = getenv(config_envs[i].env);
		if (v == NULL || *v == '\0')
			continue;
		if ((e = config_find(config_envs[i].key)) == NULL)
			fatal("config: no key %s for $%s", config_envs[i].key, config_envs[i].env);
		if ((reason = config_store(cfg, e, v, NULL)) != NULL) {
			strlist_addf(problems, "$%s: %s: %s", config_envs[i].env, e->name, reason);
			free(reason);
		}
	}
	return problems->n > before ? PD_ERR_CONFIG : PD_OK;
}

/* Loads path over cfg, reporting every problem (see the DESIGN above). */
enum pd_err
config_load(struct pd_config *cfg, const char *path, struct pd_strlist *problems)
{
	struct config_load ld;
	size_t before = problems->n, len;
	char *buf;

	if (path == NULL)
		path = config_default_path();
	free(cfg->file);
	cfg->file = xstrdup(path);

	errno = 0;
	if (read_file(path, &buf, &len) != PD_OK) {
		strlist_addf(problems, "%s: cannot read: %s", path,
		             strerror(errno != 0 ? errno : EIO));
		return PD_ERR_CONFIG;
	}
	memset(&ld, 0, sizeof ld);
	ld.cfg = cfg;
	ld.file = path;
	ld.base = config_base_dir(path);
	ld.problems = problems;
	config_parse(&ld, buf, len);
	config_mode_warning(&ld, path);
	strlist_free(&ld.literals);
	free(ld.base);
	crypto_wipe(buf, len); /* literal secrets */
	free(buf);
	config_apply_env(cfg, problems);
	return problems->n > before ? PD_ERR_CONFIG : PD_OK;
}

/* Whether a string is set and not empty. */
static int
config_has(const char *s)
{
	return s != NULL && *s != '\0';
}

/* Checks the keys a subcommand needs; see CONFIG_NEED_*. */
enum pd_err
config_check_needs(const struct pd_config *cfg, int needs, struct pd_strlist *problems)
{
	const char *file = cfg->file != NULL ? cfg->file : "(defaults)";
	size_t before = problems->n, i;
	int secret = 0, need_cred = 0;
	const char *by = NULL;

	for (i = 0; i < cfg->webhook_secrets.n; i++)
		secret |= config_has(cfg->webhook_secrets.v[i]);
	/* Polling only, serve needs no webhook: without secrets it refuses every POST (401). */
	if ((needs & CONFIG_NEED_SERVE) && !secret && cfg->poll_mode != POLL_ONLY)
		strlist_addf(problems,
		             "%s: webhook.secrets: required by serve but not set (unless poll.mode "
		             "is only)",
		             file);
	if ((needs & CONFIG_NEED_SERVE) && cfg->poll_mode != POLL_OFF && !config_has(cfg->api_key))
		strlist_addf(problems, "%s: api_key: required by serve when poll.mode is %s", file,
		             config_enum_name(config_poll_modes, (int)cfg->poll_mode));
	if ((needs & CONFIG_NEED_ST2) && !config_has(cfg->st2_api_url))
		strlist_addf(problems, "%s: st2.api_url: required by register but not set", file);

	/* serve forwards to st2 only when st2.api_url is set. */
	if (needs & CONFIG_NEED_ST2) {
		need_cred = 1;
		by = "register";
	} else if ((needs & CONFIG_NEED_SERVE) && config_has(cfg->st2_api_url)) {
		need_cred = 1;
		by = "serve";
	}
	if (need_cred && !config_has(cfg->st2_api_key) && !config_has(cfg->st2_auth_token))
		strlist_addf(problems,
		             "%s: st2.api_key: required by %s but not set (or set st2.auth_token)",
		             file, by);

	if ((needs & CONFIG_NEED_PD) && !config_has(cfg->api_key))
		strlist_addf(problems, "%s: api_key: required by run and poll but not set", file);
	return problems->n > before ? PD_ERR_CONFIG : PD_OK;
}

/* Prints every key with its effective value; secrets only as (set)/(unset). */
void
config_print(const struct pd_config *cfg, FILE *f)
{
	const struct config_entry *e;
	const struct pd_strlist *l;
	const void *field;
	const char *s;
	size_t j;

	for (e = config_table; e < config_table + CONFIG_NENTRIES; e++) {
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

/* webhook.listen: HOST:PORT, [IPv6]:PORT; port 0 means any free port. */
static char *
config_check_listen(const char *s)
{
	const char *colon, *c, *port;
	char *host;
	long n;
	int bad = 0, numeric = 1;
	unsigned char addr[16];

	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return xasprintf("\"%.*s\": expected [IPv6]:PORT", CONFIG_QUOTE_MAX, s);
		host = xstrndup(s + 1, (size_t)(colon - s - 1));
		bad = inet_pton(AF_INET6, host, addr) != 1;
		port = colon + 2;
	} else {
		if ((colon = strrchr(s, ':')) == NULL || colon == s)
			return xasprintf("\"%.*s\": expected HOST:PORT", CONFIG_QUOTE_MAX, s);
		host = xstrndup(s, (size_t)(colon - s));
		if (strchr(host, ':') != NULL) {
			free(host);
			return xasprintf("\"%.*s\": write an IPv6 address as [ADDRESS]:PORT",
			                 CONFIG_QUOTE_MAX, s);
		}
		for (c = host; *c != '\0'; c++) {
			if (!(*c >= '0' && *c <= '9') && *c != '.')
				numeric = 0;
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
				bad = 1;
		}
		if (numeric)
			bad = inet_pton(AF_INET, host, addr) != 1;
		else if (host[0] == '-' || host[0] == '.')
			bad = 1;
		port = colon + 1;
	}
	if (bad) {
		free(host);
		return xasprintf("\"%.*s\": bad host in HOST:PORT", CONFIG_QUOTE_MAX, s);
	}
	free(host);
	if (strspn(port, "0123456789") != strlen(port) || parse_long(port, 0, 65535, &n) != PD_OK)
		return xasprintf("\"%.*s\": port must be 0..65535", CONFIG_QUOTE_MAX, s);
	return NULL;
}

/* webhook.path: an absolute path, not one the server answers itself. */
static char *
config_check_http_path(const char *s)
{
	static const char *const reserved[] = {"/healthz", "/metrics"};
	size_t i;

	if (s[0] != '/')
		return xasprintf("\"%.*s\": must start with \"/\"", CONFIG_QUOTE_MAX, s);
	if (strpbrk(s, "?# \t\r\n") != NULL)
		return xasprintf("\"%.*s\": must be a plain path (no query, fragment or spaces)",
		                 CONFIG_QUOTE_MAX, s);
	for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
		if (strcmp(s, reserved[i]) == 0)
			return xasprintf("%s is answered by the server itself", s);
	}
	return NULL;
}

/* spool.redis.url: what hiredis can connect to. */
static char *
config_check_redis_url(const char *s)
{
	struct redis_target t;
	char *why;

	if (redis_url_parse(s, &t, &why) != PD_OK)
		return why;
	redis_target_free(&t);
	return NULL;
}

/* webhook.secrets: HMAC with an empty key is a signature anyone can make. */
static char *
config_check_hook_secret(const char *s)
{
	if (*s == '\0')
		return xstrdup("an empty secret would accept requests anyone can sign");
	return NULL;
}

/* from_email: something that can be an email address. */
static char *
config_check_email(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0')
		return xasprintf("\"%.*s\": expected an email address", CONFIG_QUOTE_MAX, s);
	return NULL;
}

#define CONFIG_FOR 256 /* check-config --for */

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
    {NULL, 0, NULL, NULL},
};

const struct cli_entry cmd_check_config_entry = {
    .name = "check-config",
    .summary = "validate the config, print every problem as file:line: key: reason",
    .help = "With no problem, prints the effective configuration (secrets as (set)).",
    .options = config_options,
    .exec = config_exec,
};
