/*
 * table.c: every key of the config file, one row each (Redis
 * static_configs[], tmux options_table[]), and what the rest of the
 * program reads from the rows: a key by name (or the one a wrong name
 * probably meant), its type and default in words, the environment
 * variable that overrides it, and the schema of the keys StackStorm's
 * pack config shares with ours.
 *
 * DESIGN
 * ------
 * A row says all there is about a key: its dotted name, type, where it
 * lives in struct pd_config, its default written as it would be in the
 * file, its range or the names of its enum, an extra check shared by every
 * value of the key (webhook.listen entries, webhook.path, from_email),
 * flags, the environment variable that overrides it, and its meaning in
 * one line. Nothing else states these facts again: config.c reads and
 * checks the file by the rows, `check-config --keys` prints them
 * (check.c), README's key table is their rows (a unit test compares), the
 * pack's config.schema.yaml is written from the CK_PACK rows
 * (config_pack_schema) and the action metadata hands st2's pack config to
 * `run` through the environment variables of the rows that have one
 * (actions/metadata.c). So a key added here is documented, loaded,
 * printed and, if it is the pack's, published, with nothing else to edit.
 *
 * A key an earlier version had is a row of config_retired[]: the file gets
 * an error saying what replaced it.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "st2pd.h"

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
/* A key; extra designated initializers (.check, .flags, .env, ...) follow its help. */
#define E(n, t, field, d, h, ...) \
	{.name = n, .type = t, .offset = OFF(field), .def = d, .help = h, __VA_ARGS__}
#define E_INT(n, field, d, lo, hi, h) \
	E(n, CT_INT, field, d, h, .min = lo, .max = hi)
#define E_ENUM(n, field, d, table, h) \
	E(n, CT_ENUM, field, d, h, .enums = table)
/* clang-format on */

/* Every key of the config file, in the order check-config and README show them. */
const struct config_entry config_table[] = {
    E("api_key", CT_SECRET, api_key, NULL,
      "PagerDuty REST API key, sent as \"Authorization: Token token=<api_key>\"",
      .flags = CK_PACK | CK_PACK_REQUIRED, .env = "ST2_PAGERDUTY_API_KEY"),
    E("service_key", CT_SECRET, service_key, NULL,
      "default Events API routing (integration) key of the service to trigger", .flags = CK_PACK,
      .env = "ST2_PAGERDUTY_SERVICE_KEY"),
    E("debug", CT_BOOL, debug, "false", "log at debug level", .flags = CK_PACK),
    E("from_email", CT_STRING, from_email, NULL,
      "default From address (a PagerDuty user's email) for REST calls that change incidents",
      .check = config_check_email, .flags = CK_PACK, .env = "ST2_PAGERDUTY_FROM_EMAIL"),

    E("pagerduty.api_url", CT_URL, pd_api_url, "https://api.pagerduty.com",
      "REST API base URL; in the EU https://api.eu.pagerduty.com"),
    E("pagerduty.events_url", CT_URL, pd_events_url, "https://events.pagerduty.com",
      "Events API base URL"),
    E_INT("pagerduty.timeout_ms", pd_timeout_ms, "10000", 100, 600000,
          "how long one PagerDuty request may take"),
    E_INT("pagerduty.max_retries", pd_max_retries, "5", 0, 100,
          "retries of a PagerDuty request after a 429, a 5xx or a network error"),

    E("webhook.listen", CT_STRLIST, webhook_listen, "127.0.0.1:8080",
      "HOST:PORT or [IPv6]:PORT to listen on; port 0 picks a free port (logged)",
      .check = config_check_listen),
    E("webhook.path", CT_STRING, webhook_path, "/webhooks/pagerduty", "URL path PagerDuty POSTs to",
      .check = config_check_http_path),
    E("webhook.secrets", CT_SECRETLIST, webhook_secrets, NULL,
      "signing secret of every active subscription; any may match (rotation)",
      .check = config_check_hook_secret),
    E_INT("webhook.max_body_bytes", webhook_max_body_bytes, "262144", 1024, 16777216,
          "larger bodies are answered 413 (PagerDuty never sends more than 256 KB)"),
    E_INT("webhook.request_timeout_ms", webhook_request_timeout_ms, "10000", 100, 600000,
          "a request (headers and body) not read in full this long after it began is closed, "
          "however steadily it trickles"),
    E_INT("webhook.idle_timeout_ms", webhook_idle_timeout_ms, "30000", 100, 3600000,
          "keep-alive connections idle this long are closed"),
    E_INT("webhook.max_connections", webhook_max_connections, "4096", 1, 1000000,
          "open connections at most; beyond, new ones wait in the kernel's backlog"),
    E_INT("webhook.max_unverified_bytes", webhook_max_unverified_bytes, "16777216", 131072,
          17179869184L,
          "request bytes held before their signature is checked, all connections together; "
          "beyond, 503 with Retry-After; at least max_body_bytes plus the largest headers "
          "allowed"),
    E("webhook.public_url", CT_URL, webhook_public_url, NULL,
      "the URL PagerDuty delivers to; the watchdog checks the subscriptions that use it"),
    E("webhook.subscription_ids", CT_STRLIST, webhook_subscription_ids, NULL,
      "subscriptions the watchdog checks (instead of finding them by public_url)"),
    E("webhook.reenable", CT_BOOL, webhook_reenable, "false",
      "the watchdog re-enables a subscription PagerDuty disabled after failed deliveries"),

    E("st2.api_url", CT_URL, st2_api_url, NULL,
      "StackStorm's API, https://st2.example.com/api or http://127.0.0.1:9101 for st2api "
      "directly; unset: triggers go to st2.sink_file"),
    E("st2.api_key", CT_SECRET, st2_api_key, NULL, "StackStorm API key, sent as St2-Api-Key"),
    E("st2.auth_token", CT_SECRET, st2_auth_token, NULL,
      "StackStorm auth token, sent as X-Auth-Token (instead of st2.api_key)"),
    E("st2.verify_tls", CT_BOOL, st2_verify_tls, "true", "verify StackStorm's TLS certificate"),
    E("st2.sink_file", CT_PATH, st2_sink_file, "/var/lib/st2-pagerduty/triggers.jsonl",
      "where triggers go when st2.api_url is unset: JSON lines {\"trigger\", \"payload\"}"),

    E_ENUM("spool.backend", spool_backend, "sqlite", config_backends,
           "where the spool keeps events: sqlite, one file on this host; redis, shared by "
           "several replicas"),
    E("spool.path", CT_PATH, spool_path, "/var/lib/st2-pagerduty/spool",
      "spool directory (an SQLite database inside)"),
    E_ENUM("spool.durability", spool_durability, "fsync", config_durabilities,
           "fsync: an event is on disk before the 202 (survives power loss); os: it survives "
           "a crash of the process, not of the machine"),
    E_INT("spool.max_events", spool_max_events, "1000000", 1, 1000000000,
          "pending and dead events at most; beyond, webhooks are answered 503 with Retry-After"),
    E("spool.redis.url", CT_STRING, spool_redis_url, "redis://127.0.0.1:6379/0",
      "redis: redis://[:password@]host[:port][/db] of the primary",
      .check = config_check_redis_url),
    E("spool.redis.password", CT_SECRET, spool_redis_password, NULL,
      "redis: AUTH password, instead of the URL's"),
    E("spool.redis.prefix", CT_STRING, spool_redis_prefix,
      "st2pd:", "redis: every key starts with it; replicas sharing a spool use the same"),
    E_INT("spool.redis.wait_replicas", spool_redis_wait_replicas, "0", 0, 100,
          "redis: 202 only once this many Redis replicas have the event (WAIT)"),
    E_INT("spool.redis.wait_timeout_ms", spool_redis_wait_timeout_ms, "1000", 1, 60000,
          "redis: how long WAIT waits for them before the webhook is answered 503"),

    E_ENUM("poll.mode", poll_mode, "off", config_poll_modes,
           "only: poll instead of webhooks; backfill: webhooks first, the poller fills their "
           "gaps"),
    E_INT("poll.interval_s", poll_interval_s, "30", 1, 3600, "seconds between two polls"),
    E_INT("poll.lag_s", poll_lag_s, "60", 0, 86400,
          "backfill: how many seconds behind now the poller reads"),
    /* Not past the spool's dedup horizon: older events may have been delivered and pruned. */
    E_INT("poll.backfill_max_s", poll_backfill_max_s, "86400", 60, 604800,
          "after downtime, catch up from no further back than this many seconds"),
    E("poll.service_ids", CT_STRLIST, poll_service_ids, NULL, "only log entries of these services"),
    E("poll.team_ids", CT_STRLIST, poll_team_ids, NULL, "only log entries of these teams"),

    E_ENUM("log.level", log_level, "info", config_levels, "the least severe messages logged"),
    E_ENUM("log.format", log_format, "text", config_formats,
           "log lines on stderr as text, or as JSON objects (one a line)"),
};
const size_t config_nkeys = sizeof config_table / sizeof config_table[0];

/* Keys of earlier versions and what replaced them: an error that says what to write now. */
static const struct {
	const char *name;
	const char *hint;
} config_retired[] = {
    {"poll.enabled", "replaced by poll.mode: off, only (poll instead of webhooks) or backfill "
                     "(webhooks first, the poller fills their gaps)"},
};

/* The row of a dotted key, or NULL. */
const struct config_entry *
config_find(const char *name)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		if (strcmp(config_table[i].name, name) == 0)
			return &config_table[i];
	}
	return NULL;
}

/* What replaced a key of an earlier version, or NULL if name never was a key. */
const char *
config_retired_hint(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof config_retired / sizeof config_retired[0]; i++) {
		if (strcmp(config_retired[i].name, name) == 0)
			return config_retired[i].hint;
	}
	return NULL;
}

/* Whether name is a section, a prefix of rows ("webhook"). */
int
config_is_section(const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < config_nkeys; i++) {
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
char *
config_hint(const char *name)
{
	const char *leaf = strrchr(name, '.'), *rname, *rleaf, *same = NULL;
	char *best = NULL;
	size_t i, nsame = 0, bestd = 3;

	leaf = leaf != NULL ? leaf + 1 : name;
	for (i = 0; i < config_nkeys; i++) {
		rname = config_table[i].name;
		rleaf = strrchr(rname, '.');
		if (strcmp(rleaf != NULL ? rleaf + 1 : rname, leaf) == 0) {
			same = rname;
			nsame++;
		}
	}
	if (nsame == 1)
		return xstrdup(same);
	for (i = 0; i < config_nkeys; i++) {
		rname = config_table[i].name;
		config_hint_try(name, rname, strcspn(rname, "."), &best, &bestd);
		config_hint_try(name, rname, strlen(rname), &best, &bestd);
	}
	return best;
}

/* Whether values of this key must never be shown. */
int
config_is_secret(const struct config_entry *e)
{
	return e->type == CT_SECRET || e->type == CT_SECRETLIST;
}

/* Whether a key is stored as a char *. */
int
config_is_string(const struct config_entry *e)
{
	return e->type == CT_STRING || e->type == CT_SECRET || e->type == CT_URL ||
	       e->type == CT_PATH;
}

/* Whether a key holds a list. */
int
config_is_list(const struct config_entry *e)
{
	return e->type == CT_STRLIST || e->type == CT_SECRETLIST;
}

/* "a, b, c": the names of an enum table, for problems and --keys. */
char *
config_enum_names(const struct config_enum *t)
{
	struct pd_strlist names = {NULL, 0};
	char *s;

	for (; t->name != NULL; t++)
		strlist_add(&names, t->name);
	s = strlist_join(&names, ", ");
	strlist_free(&names);
	return s;
}

/* The name of an enum value, for config_print. */
const char *
config_enum_name(const struct config_enum *t, int value)
{
	for (; t->name != NULL; t++) {
		if (t->value == value)
			return t->name;
	}
	return "?";
}

/* A key's type in words, as --keys and README show it: "integer 1..3600". */
char *
config_type_text(const struct config_entry *e)
{
	char *names, *s;

	switch (e->type) {
	case CT_STRING:
		break;
	case CT_SECRET:
		return xstrdup("secret");
	case CT_BOOL:
		return xstrdup("boolean");
	case CT_INT:
		return xasprintf("integer %ld..%ld", e->min, e->max);
	case CT_STRLIST:
		return xstrdup("list");
	case CT_SECRETLIST:
		return xstrdup("list of secrets");
	case CT_ENUM:
		names = config_enum_names(e->enums);
		s = xasprintf("one of %s", names);
		free(names);
		return s;
	case CT_URL:
		return xstrdup("URL");
	case CT_PATH:
		return xstrdup("path");
	}
	return xstrdup("string");
}

/*
 * A key's default as the file would write it ("10000", "[\"127.0.0.1:8080\"]",
 * "[]" for a list without one), or NULL when the key is unset by default.
 */
char *
config_default_text(const struct config_entry *e)
{
	if (config_is_list(e))
		return e->def != NULL ? xasprintf("[\"%s\"]", e->def) : xstrdup("[]");
	return e->def != NULL ? xstrdup(e->def) : NULL;
}

/* The environment variable that overrides key; the caller knows there is one. */
const char *
config_env_name(const char *key)
{
	const struct config_entry *e = config_find(key);

	if (e == NULL || e->env == NULL)
		fatal("config: %s has no environment variable", key);
	return e->env;
}

/* The type StackStorm gives a key of the pack config. */
static enum param_type
config_pack_type(const struct config_entry *e)
{
	switch (e->type) {
	case CT_BOOL:
		return PT_BOOLEAN;
	case CT_INT:
		return PT_INTEGER;
	case CT_STRLIST:
	case CT_SECRETLIST:
		return PT_ARRAY;
	case CT_STRING:
	case CT_SECRET:
	case CT_ENUM:
	case CT_URL:
	case CT_PATH:
		break;
	}
	return PT_STRING;
}

/* A key's default as a JSON value, for the pack's schema. */
static json_t *
config_default_json(const struct config_entry *e)
{
	long n;
	int b;

	if (e->type == CT_BOOL && config_parse_bool(e->def, &b) == 0)
		return json_boolean(b);
	if (e->type == CT_INT && parse_long(e->def, e->min, e->max, &n) == PD_OK)
		return json_integer(n);
	if (config_is_list(e))
		return json_pack("[s]", e->def);
	return json_string(e->def);
}

/*
 * config.schema.yaml of the pack: every CK_PACK key, its help as st2's
 * description (a sentence: capital first, full stop). st2's "secret"
 * follows the schema's keywords and "default" comes last, the order the
 * pack's file has always had.
 */
json_t *
config_pack_schema(void)
{
	const struct config_entry *e;
	json_t *schema = json_object(), *o;
	char *d;

	for (e = config_table; e < config_table + config_nkeys; e++) {
		if (!(e->flags & CK_PACK))
			continue;
		d = xasprintf("%c%s.", toupper((unsigned char)e->help[0]), e->help + 1);
		o = schema_json(&(struct schema){.types = SCHEMA_TYPE(config_pack_type(e)),
		                                 .description = d,
		                                 .required = (e->flags & CK_PACK_REQUIRED) != 0},
		                SCHEMA_ACTION);
		free(d);
		if (config_is_secret(e))
			json_object_set_new(o, "secret", json_true());
		if (e->def != NULL)
			json_object_set_new(o, "default", config_default_json(e));
		json_object_set_new(schema, e->name, o);
	}
	return schema;
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

/* Whether s has the shape of an email address: something, '@', something. */
int
config_email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0';
}

/* from_email: something that can be an email address. */
static char *
config_check_email(const char *s)
{
	if (!config_email_ok(s))
		return xasprintf("\"%.*s\": expected an email address", CONFIG_QUOTE_MAX, s);
	return NULL;
}
