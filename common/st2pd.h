/*
 * st2pd.h: the one project header (tmux style). Every module's public
 * functions are declared here under a banner naming the file that defines
 * them, so this file is also the map of the program.
 *
 * Naming: each public function carries its module prefix (spool_, config_,
 * sig_, ...); each subcommand is a struct cli_entry, cmd_<name>_entry, in
 * its own file, whose handler returns an exit status.
 */
#ifndef ST2PD_H
#define ST2PD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#ifndef PD_VERSION
#define PD_VERSION "0.0.0-dev"
#endif

#define PD_PACK "pagerduty"

/* A macro's value as a string literal. */
#define PD_XSTR(x) #x
#define PD_STR(x)  PD_XSTR(x)

/*
 * Deepest nesting of a webhook body (its outer object is level 1). MongoDB,
 * where StackStorm keeps trigger payloads, refuses about 100.
 */
#define PD_JSON_MAX_DEPTH 64

#if defined(__GNUC__)
#define PD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define PD_NORETURN     __attribute__((noreturn))
#define PD_UNUSED       __attribute__((unused))
#else
#define PD_PRINTF(a, b)
#define PD_NORETURN
#define PD_UNUSED
#endif

struct event_base;
struct evbuffer;
struct evhttp_request;
struct spool;
struct forwarder;

/* common/error.c */
/*
 * One error enum for the whole program. Rules (curl's): add new values
 * last, never renumber, never remove; each value carries its number.
 * pd_strerror() is a switch so that -Wall names a value left out.
 */
enum pd_err {
	PD_OK = 0,
	PD_ERR_NOMEM = 1,
	PD_ERR_USAGE = 2,            /* bad command line */
	PD_ERR_CONFIG = 3,           /* bad or missing configuration */
	PD_ERR_IO = 4,               /* local file or socket error */
	PD_ERR_SIG_MISSING = 5,      /* no X-PagerDuty-Signature, or no v1= entry */
	PD_ERR_SIG_MISMATCH = 6,     /* no v1= entry matches any secret */
	PD_ERR_BODY_EMPTY = 7,       /* empty request body */
	PD_ERR_BODY_TOO_LARGE = 8,   /* body over webhook.max_body_bytes */
	PD_ERR_NOT_ENVELOPE = 9,     /* JSON, but not a V3 {"event":{...}} */
	PD_ERR_SPOOL_FULL = 10,      /* spool.max_events reached */
	PD_ERR_SPOOL_IO = 11,        /* spool not writable */
	PD_ERR_DUPLICATE = 12,       /* already spooled (answered 2xx) */
	PD_ERR_METHOD = 13,          /* method not allowed on this path */
	PD_ERR_NOT_FOUND = 14,       /* no such path / record */
	PD_ERR_ST2_REJECTED = 15,    /* st2 answered 400: dead letter */
	PD_ERR_ST2_AUTH = 16,        /* st2 answered 401/403 */
	PD_ERR_ST2_UNAVAILABLE = 17, /* st2 5xx/429/404: retry */
	PD_ERR_NETWORK = 18,         /* connection refused, DNS, TLS */
	PD_ERR_TIMEOUT = 19,         /* no answer in time */
	PD_ERR_HTTP = 20,            /* unexpected HTTP status */
	PD_ERR_NOT_IMPLEMENTED = 21, /* subcommand not built yet */
	PD_ERR_VALIDATION = 22,      /* action parameters invalid */
	PD_ERR_PD_REJECTED = 23,     /* PagerDuty answered 4xx */
	PD_ERR_SHUTTING_DOWN = 24,   /* serve is stopping */
	PD_ERR_BAD_HTTP = 25,        /* a request HTTP itself does not allow (no Host, ...) */
	PD_ERR_OVERLOADED = 26,      /* webhook.max_unverified_bytes reached: retry later */
	PD_ERR_LAST                  /* never use! */
};

const char *pd_strerror(enum pd_err);
const char *pd_errcode(enum pd_err); /* stable machine code: "signature_mismatch" */
int pd_err_http(enum pd_err);        /* HTTP status the receiver answers with */
int pd_err_exit(enum pd_err);        /* CLI exit status */

/* common/xmalloc.c */
/* Out-of-memory is fatal: callers never check these for NULL. */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) PD_PRINTF(1, 2);
char *xvasprintf(const char *, va_list) PD_PRINTF(1, 0);

/* common/log.c */
enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON };

void log_setup(enum log_level, enum log_format);
enum log_level log_get_level(void);
int log_level_parse(const char *, enum log_level *);
void log_msg(enum log_level, const char *, ...) PD_PRINTF(2, 3);
/* A message plus key/value string pairs, NULL-terminated; NULL values print as null. */
void log_fields(enum log_level, const char *msg, ...);
void fatal(const char *, ...) PD_PRINTF(1, 2) PD_NORETURN;
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* common/util.c */
struct pd_strlist {
	char **v;
	size_t n;
};
void strlist_add(struct pd_strlist *, const char *); /* adds a copy */
void strlist_addf(struct pd_strlist *, const char *, ...) PD_PRINTF(2, 3);
void strlist_free(struct pd_strlist *); /* frees items, zeroes the list */
int64_t now_ms(void);                   /* wall clock, ms since epoch */
int64_t mono_ms(void);                  /* monotonic clock, ms */
/* strtoll with range check; no atoi. */
enum pd_err parse_long(const char *, long min, long max, long *out);
/* "90s", "15m", "48h", "7d" or plain seconds -> milliseconds. */
enum pd_err parse_duration_ms(const char *, int64_t *out);
/* ISO 8601 UTC with milliseconds: "2026-11-27T09:40:00.123Z"; buf >= 32. */
void format_time_ms(int64_t ms, char *buf, size_t len);
/* mkdir -p: every missing directory of path made with mode; 0, or -1 with errno. */
int mkdirs(const char *path, unsigned int mode);
/* Length (1-4) of the UTF-8 character at s as RFC 3629 allows it, or 0; n bytes remain. */
size_t utf8_char_len(const char *s, size_t n);
/* Offset of the first byte of s that is not part of a UTF-8 character, or -1 if none. */
ptrdiff_t utf8_invalid(const char *s);
/* RFC 3339 ("2026-11-27T09:40:00Z", ".123Z", "+01:00") -> ms since epoch. */
enum pd_err parse_time_ms(const char *, int64_t *out);
/*
 * The row called name of a table sorted by name (strcmp) whose rows begin
 * with their name, a const char *; NULL if none. Every sorted table's lookup.
 */
const void *table_bsearch(const char *name, const void *rows, size_t n, size_t size);
/* The items joined by sep: "a, b, c"; caller frees. */
char *strlist_join(const struct pd_strlist *, const char *sep);
/* Reads a whole file (or stdin for "-"); NUL-terminated; *len excludes the NUL. */
enum pd_err read_file(const char *path, char **out, size_t *len);
/* A message as a JSON string, even when it is not UTF-8 (its other bytes become '?'). */
json_t *message_json(const char *);
/* How deep a JSON value nests: 0 for a scalar, 1 for {} or [] (PD_JSON_MAX_DEPTH counts so). */
size_t json_depth(json_t *);

/* common/crypto.c */
#define CRYPTO_MAC_LEN 32 /* HMAC-SHA256 */
void crypto_init(void);
void crypto_hmac_sha256(const char *key, size_t keylen, const void *data, size_t len,
                        unsigned char mac[CRYPTO_MAC_LEN]);
int crypto_equal(const void *, const void *, size_t); /* constant time */
void crypto_random(void *, size_t);
uint32_t crypto_uniform(uint32_t upper); /* [0, upper) */
void crypto_wipe(void *, size_t);
void crypto_wipe_str(char *); /* NULL is fine */
void crypto_hex(char *out, size_t outlen, const unsigned char *bin, size_t n);
/* SHA-1 of data as 40 hex digits and a NUL: names a Lua script for Redis's EVALSHA. */
void crypto_sha1_hex(const void *data, size_t len, char out[41]);
int crypto_unhex(unsigned char *bin, size_t n, const char *hex, size_t hexlen);

/* common/curlev.c: libcurl's multi interface on a libevent loop */
struct curlev;
/* A transfer finished (easy is a CURL *, result a CURLcode); still added. */
typedef void curlev_done_cb(void *easy, int result, void *arg);
struct curlev *curlev_new(struct event_base *, long max_connections, curlev_done_cb *done,
                          void (*collected)(void *), void *arg);
const char *curlev_add(struct curlev *, void *easy); /* NULL, or why it could not start */
void curlev_remove(struct curlev *, void *easy);
void curlev_free(struct curlev *);

/* common/http.c */
/* Blocking one-shot HTTP with libcurl, for CLI subcommands (register, send-test). */
struct http_resp {
	long status;
	char *body; /* NUL-terminated, may be empty */
	size_t len;
	char *retry_after; /* Retry-After header value or NULL */
};
enum pd_err http_request(const char *method, const char *url, const struct pd_strlist *headers,
                         const char *body, size_t len, long timeout_ms, int verify_tls,
                         struct http_resp *out);
void http_resp_free(struct http_resp *);
/* Options every libcurl handle gets (agent, protocols, CA variables); easy is a CURL *. */
void http_common_opts(void *easy);
/* A response body as it arrives: every libcurl user's CURLOPT_WRITEDATA. */
struct http_body {
	char *data; /* NUL-terminated; NULL until a byte came */
	size_t len;
	size_t max; /* bytes kept at most (the rest is read and dropped); 0: all */
};
/* The one CURLOPT_WRITEFUNCTION: appends to the struct http_body it is given. */
size_t http_body_write(char *ptr, size_t size, size_t nmemb, void *body);
/* If line is "name: value" (name in any case), replaces *out with the trimmed value: 1; else 0. */
int http_header_value(const char *line, size_t n, const char *name, char **out);

/* common/schema.c */
/* JSON Schema's types but null: of a schema, an action parameter, a value read from argv. */
enum param_type { PT_STRING = 0, PT_INTEGER, PT_NUMBER, PT_BOOLEAN, PT_ARRAY, PT_OBJECT };
/* A set of types, for a property that allows several: SCHEMA_TYPE(PT_OBJECT) | SCHEMA_NULL. */
#define SCHEMA_TYPE(t)  (1 << (t))
#define SCHEMA_NULL_BIT 6 /* the bit after the last enum param_type */
#define SCHEMA_NULL     SCHEMA_TYPE(SCHEMA_NULL_BIT)
/* The order a document writes its keywords in (schema.c says why there are two). */
enum schema_dialect { SCHEMA_TRIGGER = 0, SCHEMA_ACTION };
/* One property's schema; schema_json() takes the references it holds. */
struct schema {
	int types; /* SCHEMA_TYPE() bits, SCHEMA_NULL; 0: no "type" */
	const char *description;
	int required;             /* st2's "required": true */
	json_t *def;              /* "default", or NULL */
	const char *const *enums; /* allowed strings, NULL-terminated, or NULL */
	int open;                 /* "additionalProperties": true */
	json_t *properties;       /* an object of schemas, or NULL */
	json_t *items;            /* the schema of an array's items, or NULL */
};
json_t *schema_json(const struct schema *, enum schema_dialect);
const char *schema_type_name(enum param_type); /* "string" */
json_t *schema_strings(const char *const *);   /* a NULL-terminated list as a JSON array */

/* common/cli.c */
#define CLI_RAW      0x1 /* the handler reads its own arguments (run: st2's forms) */
#define CLI_SIGNALS  0x2 /* serve: its signals are blocked before anything else runs */
#define CLI_OWN_HELP 0x4 /* --help is passed on as option 'h' (spool: help per subcommand) */
/* An option key below 128 is also its short form (-n); others are long only. */
#define CLI_SHORT(key) ((key) > 0 && (key) < 128)

/* One option of a command; -c FILE and -h/--help are every command's. */
struct cli_option {
	const char *name; /* --name */
	int key;          /* a letter, also -x; or a code >= 128 */
	const char *arg;  /* the value's name in usage ("TYPE"), NULL for a flag */
	const char *help;
};

struct cli_args;

/* One subcommand (tmux's cmd_entry): each command file exports one. */
struct cli_entry {
	const char *name;
	const char *operands; /* the usage after the options: "DIR", "[FILE|-]", or NULL */
	const char *summary;  /* one line: for --help, st2-pagerduty --help and README */
	const char *help;     /* a paragraph more for --help, or NULL */
	const struct cli_option *options; /* NULL-named end, or NULL */
	int min_operands, max_operands;   /* max -1: no limit */
	int flags;                        /* CLI_* */
	int (*exec)(const struct cli_args *);
};

/* What cli_run found on the command line. */
struct cli_args {
	const struct cli_entry *entry;
	const char *config; /* -c FILE, NULL for the default */
	int argc;           /* the operands (CLI_RAW: every argument after the name) */
	char **argv;
	size_t nopts;
	struct cli_opt {
		int key;
		const char *value; /* NULL for a flag */
	} * opts;                  /* in the order given */
};

/* Every subcommand, in --help order; NULL-terminated (common/commands.c). */
extern const struct cli_entry *const cli_commands[];
const struct cli_entry *cli_find(const char *name);
/* Parses argv (argv[0] is the command's name) by e and runs it: an exit status. */
int cli_run(const struct cli_entry *, int argc, char **argv);
const char *cli_value(const struct cli_args *, int key); /* the last value given, or NULL */
int cli_count(const struct cli_args *, int key);         /* times given */
/* The usage line; with full, the summary, help and options too. */
void cli_usage(const struct cli_entry *, FILE *, int full);
/* "name [-c FILE] [--opt ARG] OPERANDS" (config 0: without -c FILE); caller frees. */
char *cli_synopsis(const struct cli_entry *, int config);
/* "st2-pagerduty NAME: WHY" and the usage line on stderr; returns the usage exit status. */
int cli_usage_error(const struct cli_entry *, const char *fmt, ...) PD_PRINTF(2, 3);
/* Loads -c FILE (or the default) and prints every problem as file:line; NULL on any. */
struct pd_config *cli_try_config(const char *path, int needs);
/* The same, but exits with the config exit status on error. */
struct pd_config *cli_load_config(const char *path, int needs);

/* The commands, each defined in its file. */
extern const struct cli_entry cmd_serve_entry, cmd_poll_entry, cmd_register_entry, cmd_pack_entry,
    cmd_sign_entry, cmd_send_test_entry, cmd_check_config_entry, cmd_spool_entry, cmd_run_entry,
    cmd_actions_entry;

/* config/config.c */
enum durability { DURABILITY_FSYNC = 0, DURABILITY_OS };
/* poll.mode: no sensor; the poller as the source; webhooks first, the poller fills gaps. */
enum poll_mode { POLL_OFF = 0, POLL_ONLY, POLL_BACKFILL };

/* The most header bytes a request may have (evhttp's limit, set by serve). */
#define CONFIG_MAX_HEADER_BYTES 65536

/* Which subcommand is loading the config: decides which keys are required. */
#define CONFIG_NEED_NONE  0x0
#define CONFIG_NEED_SERVE 0x1 /* webhook.secrets; api_key when poll.mode is not off */
#define CONFIG_NEED_ST2   0x2 /* st2.api_url + credentials (register) */
#define CONFIG_NEED_PD    0x4 /* api_key (run) */

struct pd_config {
	char *file; /* path the config was read from, NULL for defaults */

	/* pack-compatible keys */
	char *api_key;
	char *service_key;
	int debug;
	char *from_email;

	/* pagerduty: */
	char *pd_api_url;
	char *pd_events_url;
	long pd_timeout_ms;
	long pd_max_retries;

	/* webhook: */
	struct pd_strlist webhook_listen; /* "127.0.0.1:8080", "[::1]:8080" */
	char *webhook_path;
	struct pd_strlist webhook_secrets;
	long webhook_max_body_bytes;
	long webhook_request_timeout_ms;
	long webhook_idle_timeout_ms;
	long webhook_max_connections;
	long webhook_max_unverified_bytes;
	char *webhook_public_url; /* the watchdog finds subscriptions delivering here */
	struct pd_strlist webhook_subscription_ids;
	int webhook_reenable;

	/* st2: */
	char *st2_api_url; /* NULL: triggers go to st2_sink_file */
	char *st2_api_key;
	char *st2_auth_token;
	int st2_verify_tls;
	char *st2_sink_file;

	/* spool: */
	int spool_backend; /* enum spool_backend_id */
	char *spool_path;
	enum durability spool_durability;
	long spool_max_events;
	char *spool_redis_url;
	char *spool_redis_password;
	char *spool_redis_prefix;
	long spool_redis_wait_replicas;
	long spool_redis_wait_timeout_ms;

	/* poll: */
	enum poll_mode poll_mode;
	long poll_interval_s;
	long poll_lag_s;
	long poll_backfill_max_s;
	struct pd_strlist poll_service_ids;
	struct pd_strlist poll_team_ids;

	/* log: */
	enum log_level log_level;
	enum log_format log_format;

	/* What deserves a word but is no error (a world-readable file of secrets). */
	struct pd_strlist warnings;
};

struct pd_config *config_new(void); /* every default filled in */
void config_free(struct pd_config *);
const char *config_default_path(void); /* $ST2_PAGERDUTY_CONFIG, else /etc/... */
/*
 * Loads path into cfg. Every problem found is appended to problems as
 * "file:line: key: reason"; returns PD_ERR_CONFIG if there was any.
 */
enum pd_err config_load(struct pd_config *, const char *path, struct pd_strlist *problems);
/* Checks the keys a subcommand needs (CONFIG_NEED_*), appending problems. */
enum pd_err config_check_needs(const struct pd_config *, int needs, struct pd_strlist *problems);
/*
 * Applies the environment variables of the table's rows ($ST2_PAGERDUTY_API_KEY,
 * ...; set and not empty) over cfg; config_load() calls it last, so they win
 * over the file.
 */
enum pd_err config_apply_env(struct pd_config *, struct pd_strlist *problems);
/* A YAML 1.1 boolean as operators write it (true, yes, on, ...): 0, or -1 if it is none. */
int config_parse_bool(const char *, int *out);

/* config/table.c */
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

#define CK_PACK          0x1 /* a key of StackStorm's pack config too (config.schema.yaml) */
#define CK_PACK_REQUIRED 0x2 /* required there (the original pack's api_key) */

/* One key of the config file: the row says everything about it (table.c). */
struct config_entry {
	const char *name; /* dotted: "webhook.listen" */
	enum config_type type;
	size_t offset;                     /* into struct pd_config */
	const char *def;                   /* as written in the file; NULL: unset */
	long min, max;                     /* CT_INT */
	const struct config_enum *enums;   /* CT_ENUM, NULL-terminated */
	char *(*check)(const char *value); /* extra rule: reason (freed), NULL if fine */
	const char *help; /* its meaning, one line: --keys, README, the pack's description */
	int flags;        /* CK_* */
	const char *env;  /* environment variable that overrides the file, or NULL */
};

extern const struct config_entry config_table[]; /* in check-config's and README's order */
extern const size_t config_nkeys;
const struct config_entry *config_find(const char *name); /* NULL if no such key */
const char *config_retired_hint(const char *name);        /* what replaced a retired key, or NULL */
int config_is_section(const char *name);                  /* a prefix of keys: "webhook" */
/* The key an unknown name probably meant (a typo, a key in the wrong section), or NULL. */
char *config_hint(const char *name);
int config_is_secret(const struct config_entry *);
int config_is_string(const struct config_entry *); /* stored as a char * */
int config_is_list(const struct config_entry *);
char *config_enum_names(const struct config_enum *);                 /* "a, b, c" */
const char *config_enum_name(const struct config_enum *, int value); /* "?" if none */
char *config_type_text(const struct config_entry *);    /* "integer 1..3600", "one of a, b" */
char *config_default_text(const struct config_entry *); /* as in the file; NULL: none */
int config_email_ok(const char *);                      /* something@something */
const char *config_env_name(const char *key);           /* "ST2_PAGERDUTY_API_KEY"; fatal if none */
/* config.schema.yaml of the pack: the CK_PACK keys. */
json_t *config_pack_schema(void);

/* config/edit.c */
/*
 * Appends secret to webhook.secrets of the config file, only where that is
 * safe (a block list, or no webhook section); the new file is re-read
 * before it replaces the old one. *why says why not, otherwise.
 */
enum pd_err config_add_secret(const char *file, const char *secret, char **why);
/* The line "- \"secret\"" of webhook.secrets, for a human to add; caller frees (and wipes). */
char *config_secret_item(const char *secret);

/* config/check.c */
/* Prints the effective configuration, secrets redacted. */
void config_print(const struct pd_config *, FILE *);

/* webhook/signature.c */
/* Hex HMAC-SHA256 of body under secret; out gets 64 hex chars + NUL. */
void sig_compute(const char *secret, const void *body, size_t len, char out[65]);
/*
 * Verifies an X-PagerDuty-Signature header value against every secret.
 * PD_OK, PD_ERR_SIG_MISSING (NULL header or no v1= entry),
 * PD_ERR_BODY_EMPTY, or PD_ERR_SIG_MISMATCH.
 */
enum pd_err sig_verify(const char *header, const void *body, size_t len,
                       const struct pd_strlist *secrets);

/* common/metrics.c */
enum metric_counter {
	M_RECV_ACCEPTED = 0,
	M_RECV_DUPLICATE,
	M_RECV_UNAUTHORIZED,
	M_RECV_BAD_REQUEST,
	M_RECV_UNAVAILABLE,
	M_RECV_METHOD,
	M_RECV_NOT_FOUND,
	M_EMITTED,
	M_RETRIED,
	M_DEAD_LETTERED,
	M_CONN_REQUEST_TIMEOUT,
	M_CONN_OVER_BUDGET,
	M_ACCEPT_PAUSED,
	M_CONN_AT_MAX,
	M_POLL_ENTRIES,
	M_POLL_EMITTED,
	M_POLL_DUPLICATES,
	M_COUNTER_MAX
};
enum metric_gauge { G_CONNECTIONS_OPEN = 0, G_UNVERIFIED_BYTES, G_GAUGE_MAX };
void metrics_inc(enum metric_counter);
void metrics_gauge_set(enum metric_gauge, int64_t);
/* The poller's cursor and last successful pass (ms since the epoch; 0 leaves one as it is). */
void metrics_poll(int64_t cursor_ms, int64_t success_ms);
/* What the watchdog saw of a subscription: 1 delivering, 0 disabled or switched off. */
void metrics_subscription(const char *id, int active);
void metrics_observe_request(double seconds);
void metrics_observe_forward(double seconds);
/* Prometheus text exposition; spool may be NULL. Caller frees. */
char *metrics_render(struct spool *);

/* serve/server.c */
/* SIG_BLOCK or SIG_UNBLOCK serve's signals (TERM, INT, HUP); see server.c. */
void serve_mask_signals(int how);

/* webhook/listener.c */
struct evhttp;
struct listener;
/* Takes over evhttp's connections: limits, timeouts, its own error pages. */
struct listener *listener_new(struct event_base *, struct evhttp *, const struct pd_config *);
int listener_bind(struct listener *);   /* every webhook.listen address; -1 (logged) on error */
void listener_close(struct listener *); /* stops accepting for good */
/*
 * Every handler's first call: the request was read in full (its timer
 * stops, its bytes leave the unverified budget). PD_ERR_BAD_HTTP for a
 * request HTTP/1.1 does not allow (no Host), to be answered as such.
 */
enum pd_err listener_request_read(struct listener *, struct evhttp_request *);
/* After evhttp_free and a loop pass that runs the connections' deferred frees. */
void listener_free(struct listener *);

/* webhook/receive.c */
struct receiver;
struct receiver *receive_new(const struct pd_config *, struct spool *);
/* evhttp callback for {webhook.path}; arg is the struct receiver. */
void receive_webhook(struct evhttp_request *, void *arg);
/*
 * Answers a request: status from the error table, a small JSON body, the
 * metrics counter and the one log line. start is receive_clock() at arrival.
 */
void receive_answer(struct evhttp_request *, enum pd_err, const char *event_id,
                    const char *event_type, double start);
double receive_clock(void); /* monotonic seconds */
/* The JSON error body of every answer but 202: {"error":{"code","message"}}. */
void receive_error_body(struct evbuffer *, enum pd_err);
/* Refuses new events (503); idle runs once no request waits for the spool. */
void receive_stop(struct receiver *, void (*idle)(void *), void *arg);
void receive_free(struct receiver *);

/* webhook/send_test.c */
/* A realistic V3 envelope for type (NULL: incident.triggered). Caller frees. */
char *send_test_sample(const char *event_type);

/* triggers/catalog.c */
struct event_type {
	const char *name;        /* V3 event_type, "incident.triggered"; "event" = generic */
	const char *data_type;   /* event.data.type, "incident" */
	const char *description; /* one line, shown in st2 */
};
extern const struct event_type catalog_types[];
extern const size_t catalog_ntypes; /* includes the generic "event" entry */
const struct event_type *catalog_find(const char *event_type); /* NULL if unknown */
/* Trigger name within the pack: the event type if known, else "event". */
const char *catalog_trigger_name(const char *event_type);
/* st2 TriggerType body: {name, pack, description, payload_schema, parameters_schema}. */
json_t *catalog_triggertype(const struct event_type *);

/* triggers/payload.c */
/*
 * One accepted event as the spool keeps it. The payload is the trigger
 * payload of INTERFACE.md, already serialised.
 */
enum spool_state { SPOOL_PENDING = 0, SPOOL_DELIVERED = 1, SPOOL_DEAD = 2 };
struct spool_event {
	int64_t seq; /* assigned by the spool when committed */
	char *event_id;
	char *webhook_id; /* NULL when not delivered by a webhook */
	char *event_type;
	char *trigger;   /* "pagerduty.incident.triggered" */
	char *order_key; /* events with the same key reach st2 in order */
	char *payload;   /* JSON text */
	size_t payload_len;
	int64_t received_ms;
	/*
	 * "PABC123|incident.triggered|1601664322": incident, event type and
	 * second, the same for a webhook and a polled log entry of one
	 * transition (NULL: not about an incident); and which way it came.
	 */
	char *transition;
	int polled;

	/* Delivery state, as stored. */
	int attempts;
	int64_t next_attempt_ms;
	int state; /* enum spool_state */
	int64_t delivered_ms;
	char *last_error;
	int64_t dead_ms;
	char *dead_reason;
};
void spool_event_free(struct spool_event *);
/* Parses a webhook body and builds the spool event (source "webhook"). */
enum pd_err payload_from_webhook(const char *body, size_t len, const char *webhook_id,
                                 const char *subscription_id, struct spool_event **out);
/* What StackStorm is sent for ev: {"trigger":...,"payload":...} and suffix. Caller frees. */
char *payload_trigger_body(const struct spool_event *ev, const char *suffix);
/* Same from an already parsed V3 event object (the poller: source "poll"). */
enum pd_err payload_from_event(json_t *event, const char *webhook_id, const char *subscription_id,
                               const char *source, struct spool_event **out);

/* spool/spool.c: the spool's one interface, whatever backend keeps the events */
#define SPOOL_KEEP_DELIVERED_MS (7 * 86400000LL) /* dedup horizon, > PagerDuty's 48 h */
/* Where a twin's record says why it was not sent (sqlite.c's DESIGN), by the twin's source. */
#define SPOOL_TWIN_OF_WEBHOOK "not sent: a webhook brought the same transition"
#define SPOOL_TWIN_OF_POLL    "not sent: the poller brought the same transition"
enum spool_backend_id { SPOOL_BACKEND_SQLITE = 0, SPOOL_BACKEND_REDIS };
struct spool_stats {
	int64_t pending;
	int64_t dead;
	int64_t delivered;
	int64_t oldest_pending_ms; /* received_ms of the oldest pending event, 0 if none */
};
typedef void spool_commit_cb(enum pd_err result, int duplicate, void *arg);
/*
 * Runs on a thread of the spool right after a commit, with the events it
 * inserted (in seq order; ownership passes): thread-safe and quick. n 0
 * (evs NULL) says that events were stored which this process did not hand
 * over (another replica's), or that leadership was just won: fetch them.
 */
typedef void spool_notify_cb(struct spool_event **evs, size_t n, void *arg);

/* The SQLite spool in directory path. */
enum pd_err spool_open(const char *path, enum durability, long max_events, struct spool **out);
/* The spool the config names (spool.backend). */
enum pd_err spool_open_config(const struct pd_config *, struct spool **out);
void spool_close(struct spool *); /* drains queued writes, joins its threads */
/* Starts the spool's threads; commit callbacks run on base's thread. */
enum pd_err spool_start(struct spool *, struct event_base *, spool_notify_cb *notify, void *arg);
/*
 * Queues ev (ownership taken) for the next commit. cb runs on the loop
 * thread once the event is durable (or the commit failed). Returns
 * PD_ERR_SPOOL_FULL or PD_ERR_SPOOL_IO at once, without calling cb, when
 * the event cannot be taken (ev is freed all the same; PD_ERR_VALIDATION
 * if it has no event_id or payload). cb gets (PD_OK, duplicate) or
 * (PD_ERR_SPOOL_IO, 0), or (PD_ERR_SPOOL_FULL, 0) from a backend that
 * learns the count only where it stores (redis: another replica may have
 * filled it); spool_close runs the callbacks still due. A
 * duplicate is an event id or webhook id already spooled, or the other
 * source's twin of a transition (ev->transition; spool/sqlite_writer.c's DESIGN).
 */
enum pd_err spool_submit(struct spool *, struct spool_event *ev, spool_commit_cb *cb, void *arg);
/* Delivery outcomes from the forwarder, recorded only for events still pending. */
void spool_delivered(struct spool *, int64_t seq);
void spool_retry_later(struct spool *, int64_t seq, int attempts, int64_t next_ms,
                       const char *error);
void spool_dead(struct spool *, int64_t seq, int attempts, const char *reason);
/* Queues one bounded pass dropping delivered events older than the horizon at now (tests). */
void spool_prune(struct spool *, int64_t now);
/*
 * Up to max pending events with seq > after, in seq order. Any one thread.
 * *out is an array (NULL when 0 is returned): spool_event_free each, free it.
 */
size_t spool_fetch(struct spool *, int64_t after, size_t max, struct spool_event ***out);
/*
 * Durable named values (the sensor's cursor): set is queued behind the
 * events submitted before it and committed with them or later; cb(result,
 * 0, arg) runs on the loop thread as for a submission. get reads what is
 * committed (NULL if unset; caller frees). Any one thread.
 */
void spool_meta_set(struct spool *, const char *key, const char *value, spool_commit_cb *cb,
                    void *arg);
char *spool_meta_get(struct spool *, const char *key);
void spool_stats(struct spool *, struct spool_stats *);
int spool_writable(struct spool *);
/*
 * 0: another process's forwarder delivers; else this one's, and the value
 * changes each time leadership is won again (the forwarder then drops
 * what it had loaded and starts over from the spool).
 */
unsigned long spool_leader(struct spool *);
const char *spool_backend_name(struct spool *);

/* What the spool command asks: status, list, find, retry, purge. */
struct spool_admin;
/* Which events: every member set narrows the selection (retry and purge: dead letters). */
struct spool_filter {
	const char **ids;     /* NULL-terminated event ids, or NULL */
	const char *incident; /* the events of one incident */
	const char *type;     /* of one event type */
	int64_t older_ms;     /* received before this time; 0: unset */
	int64_t newer_ms;     /* received at or after it; 0: unset */
	int states;           /* list: 1 << enum spool_state, or'ed */
	long limit;           /* list: at most this many; 0: all */
};
struct spool_status {
	int64_t pending, oldest_pending_ms, delivered_24h, dead, size_bytes;
	struct spool_reason {
		char *reason;
		int64_t count;
	} * reasons; /* dead letters by reason, most first */
	size_t nreasons;
};
/* Opens an existing spool (PD_ERR_IO or, for an old schema, PD_ERR_CONFIG: logged). */
enum pd_err spool_admin_open(const struct pd_config *, struct spool_admin **out);
void spool_admin_close(struct spool_admin *);
const char *spool_admin_where(struct spool_admin *); /* for people: a path, a URL */
enum pd_err spool_admin_status(struct spool_admin *, int64_t now, struct spool_status *);
void spool_status_free(struct spool_status *);
/* Records in seq order (spool_event_free each, free the array); *more: the limit cut it. */
enum pd_err spool_admin_list(struct spool_admin *, const struct spool_filter *,
                             struct spool_event ***out, size_t *n, int *more);
/* By event id or X-Webhook-Id, in any state; *out NULL when there is none. */
enum pd_err spool_admin_find(struct spool_admin *, const char *id, int with_payload,
                             struct spool_event **out);
enum pd_err spool_admin_retry(struct spool_admin *, const struct spool_filter *, size_t *n);
enum pd_err spool_admin_purge(struct spool_admin *, const struct spool_filter *, size_t *n);

/* What a backend provides: the daemon's half, and the spool command's. */
struct spool_admin_backend {
	enum pd_err (*open)(const struct pd_config *, void **);
	void (*close)(void *);
	const char *(*where)(void *);
	enum pd_err (*status)(void *, int64_t now, struct spool_status *);
	enum pd_err (*list)(void *, const struct spool_filter *, struct spool_event ***, size_t *,
	                    int *);
	enum pd_err (*find)(void *, const char *id, int with_payload, struct spool_event **);
	enum pd_err (*retry)(void *, const struct spool_filter *, size_t *);
	enum pd_err (*purge)(void *, const struct spool_filter *, size_t *);
};
struct spool_backend {
	const char *name; /* spool.backend's value */
	enum pd_err (*open)(const struct pd_config *, void **);
	enum pd_err (*start)(void *, struct event_base *, spool_notify_cb *, void *);
	void (*close)(void *);
	enum pd_err (*submit)(void *, struct spool_event *, spool_commit_cb *, void *);
	void (*delivered)(void *, int64_t seq);
	void (*retry_later)(void *, int64_t seq, int attempts, int64_t next_ms, const char *error);
	void (*dead)(void *, int64_t seq, int attempts, const char *reason);
	void (*prune)(void *, int64_t now);
	size_t (*fetch)(void *, int64_t after, size_t max, struct spool_event ***);
	void (*meta_set)(void *, const char *key, const char *value, spool_commit_cb *, void *);
	char *(*meta_get)(void *, const char *key);
	void (*stats)(void *, struct spool_stats *);
	int (*writable)(void *);
	unsigned long (*leader)(void *);
	const struct spool_admin_backend *admin;
};

/* spool/sqlite.c, sqlite_admin.c: the SQLite backend (the default) */
#define SPOOL_DB_FILE        "spool.db" /* inside spool.path, a directory */
#define SPOOL_SCHEMA_VERSION 5          /* PRAGMA user_version */
/* An events row's payload, as a column expression of a query on events. */
#define SPOOL_PAYLOAD_SQL   "(SELECT payload FROM payloads WHERE payloads.seq = events.seq)"
#define SPOOL_ADMIN_BUSY_MS 10000 /* the CLI waits this long for the daemon's write lock */
struct sqlite_spool;
extern const struct spool_backend spool_sqlite;
extern const struct spool_admin_backend spool_sqlite_admin;
enum pd_err sqlite_spool_open(const char *path, enum durability, long max_events,
                              struct sqlite_spool **out);

/* spool/sqlite_schema.c: spool.db for everything that opens it */
#define SPOOL_DB_BUSY_MS 5000 /* a connection waits this long for another's write lock */
struct sqlite3;
int sqlite_db_connect(const char *dbpath, int create, struct sqlite3 **db); /* -1: logged */
const char *sqlite_db_sync_sql(enum durability);
int sqlite_db_setup(struct sqlite3 *, const char *dbpath, enum durability);
int sqlite_db_repair(struct sqlite3 *, const char *dbpath);
int sqlite_db_version(struct sqlite3 *, const char *dbpath); /* -1: logged */
int sqlite_db_exec(struct sqlite3 *, const char *dbpath, const char *sql);
int sqlite_db_int(struct sqlite3 *, const char *dbpath, const char *sql, int64_t *out);

/* spool/redis.c, redis_admin.c: the Redis backend (several replicas share one spool) */
extern const struct spool_backend spool_redis;
extern const struct spool_admin_backend spool_redis_admin;

/* spool/redis_conn.c: what both halves of the Redis backend share */
#define REDIS_DEFAULT_PORT 6379
struct redisContext;
struct redisReply;
/* Where the spool lives: spool.redis.url parsed, the password, the key prefix. */
struct redis_target {
	char *host;
	int port;
	int db;
	char *password; /* spool.redis.password, else the URL's; NULL: no AUTH */
	char *prefix;   /* every key starts with it: "st2pd:" */
	char *where;    /* for people and logs: the URL without its password, and the prefix */
};
/*
 * redis://[[user]:password@]host[:port][/db]: host, port and db in out (its
 * password too, if any). PD_ERR_CONFIG with *why (caller frees) otherwise.
 */
enum pd_err redis_url_parse(const char *url, struct redis_target *out, char **why);
enum pd_err redis_target_init(const struct pd_config *, struct redis_target *);
void redis_target_free(struct redis_target *);
/* A blocking connection, authenticated and on its db; NULL (*why set, caller frees) on error. */
struct redisContext *redis_connect(const struct redis_target *, long timeout_ms, char **why);
/* The Lua scripts (spool/redis_scripts.c): each runs atomically on the server. */
enum redis_script_id {
	REDIS_SUBMIT = 0,
	REDIS_OUTCOME,
	REDIS_FETCH,
	REDIS_STATS,
	REDIS_LEASE,
	REDIS_PRUNE,
	REDIS_RETRY,
	REDIS_PURGE,
	REDIS_NSCRIPTS
};
extern const char *const redis_scripts[REDIS_NSCRIPTS];
const char *redis_script_sha(enum redis_script_id); /* SHA-1 hex, for EVALSHA */
/*
 * Runs a script on a blocking connection: EVALSHA, and EVAL when the server
 * has not seen it (NOSCRIPT). argv: the script's ARGV; no keys. NULL on an
 * I/O error (the connection is then unusable).
 */
struct redisReply *redis_call_script(struct redisContext *, enum redis_script_id, int argc,
                                     const char **argv, const size_t *lens);
/* A command as C strings on a blocking connection (NULL-terminated arguments). */
struct redisReply *redis_call(struct redisContext *, const char *arg, ...);
/* The fields of an event's hash, in the order redis_event_from reads them. */
extern const char *const redis_event_fields[];
extern const size_t redis_nevent_fields;
/*
 * An event from its seq, the values of redis_event_fields (an array reply's
 * elements) and its payload (the P pl:<seq> string; NULL or nil: none).
 */
struct spool_event *redis_event_from(int64_t seq, struct redisReply **values,
                                     const struct redisReply *payload);
/* The server's error in a reply, or NULL when it is no error. */
const char *redis_reply_error(const struct redisReply *);
/* Whether an error says the server cannot take writes now (a replica, loading, ...). */
int redis_error_transient(const char *);

/* triggers/forward.c */
/* Starts the forwarder on a thread of its own; it loads what the spool holds. */
struct forwarder *forward_new(const struct pd_config *, struct spool *);
/* A spool_notify_cb: events just committed, handed over as they are. */
void forward_handoff(struct spool_event **evs, size_t n, void *forwarder);
/* Stops taking new events; done runs on the forwarder's thread once none is in flight. */
void forward_stop(struct forwarder *, void (*done)(void *), void *arg);
/* Ends the forwarder's thread: before spool_close, which may still hand events over. */
void forward_join(struct forwarder *);
void forward_free(struct forwarder *);

/* triggers/answer.c: what StackStorm's answer means for an event */
enum answer_verdict { ANSWER_DELIVERED = 0, ANSWER_DEAD, ANSWER_RETRY, ANSWER_RETRY_AFTER };
struct answer_rule {
	long lo, hi; /* HTTP statuses it covers */
	enum answer_verdict verdict;
	enum log_level level; /* of the log line a failure of this kind gets */
	const char *msg;      /* that line, NULL for none */
};
const struct answer_rule *answer_rule(long status);
/* st2's faultstring from an error body, cut to fit, or a one-line excerpt. Caller frees. */
char *answer_reason(const char *body, size_t len);

/* triggers/order.c: the forwarder's chains that keep an incident's events in order */
#define ORDER_BUCKETS 1024
struct order_chain;
struct order_link {
	struct order_chain *chain; /* NULL: no key, a chain of its own */
	struct order_link *next;   /* the next event of the same key */
};
struct order_table {
	struct order_chain *buckets[ORDER_BUCKETS];
};
void order_attach(struct order_table *, struct order_link *, const char *key);
int order_is_head(const struct order_link *);
int order_detach(struct order_table *, struct order_link *); /* 0: not the head */

/* triggers/sink.c: the JSON lines file when st2.api_url is unset */
struct sink;
struct sink *sink_new(const char *path, int fsync_each_batch);
/* Appends n events, made durable; how many went for good, *error about the rest. */
size_t sink_write(struct sink *, struct spool_event *const *evs, size_t n, char **error);
void sink_free(struct sink *);

/* triggers/register.c */

/* triggers/pack.c */
/* Writes the whole pack (pack.yaml, config.schema.yaml, triggers/, actions/, ...) into dir. */
enum pd_err pack_write(const char *dir);
/* Writes s into a Markdown table cell, '|' escaped. */
void pack_md_cell(FILE *, const char *s);

/* sensor/map.c */
/* A log entry type (the REST spec's LogEntry type) and its V3 twin. */
struct log_type {
	const char *log_type;   /* "trigger_log_entry" */
	const char *event_type; /* "incident.triggered"; NULL: no V3 twin, not emitted */
	const char *status;     /* data.status after the transition; NULL: the incident's */
	const char *note;       /* why there is no twin, or what differs; NULL */
};
extern const struct log_type map_log_types[]; /* sorted by log_type */
extern const size_t map_nlog_types;
const struct log_type *map_find(const char *log_type); /* NULL if unknown */
/*
 * The V3 event object of a log entry (its incident included), shaped as a
 * webhook's; NULL, with *why, for a type with no twin or an unusable entry.
 */
json_t *map_event(json_t *entry, const char **why);
/* The service of a log entry (its own, else its incident's), or NULL. */
const char *map_service_id(json_t *entry);

/* sensor/poll.c */
struct poller;
/* What one pass did. */
struct poll_stats {
	size_t read;       /* log entries read, the overlap's included */
	size_t reread;     /* of which this process had spooled already */
	size_t emitted;    /* new triggers spooled (dry run: printed) */
	size_t duplicates; /* the spool had them (by id, or a webhook's twin) */
	size_t unmapped;   /* no V3 event for their type */
	size_t filtered;   /* not of poll.service_ids */
	size_t failed;     /* the spool could not take them */
	size_t splits;     /* windows split for holding too many entries */
};
#define POLL_DRY_RUN     0x1 /* map and print; spool nothing */
#define POLL_KEEP_CURSOR 0x2 /* serve: the pass moves and saves the cursor */
/*
 * A poller over spool. pump: the spool's loop when the caller's thread is
 * the one running it (poll --once); NULL when another thread does (serve).
 * out: every trigger spooled (or, dry, mapped) as a JSON line, or NULL.
 */
struct poller *poll_new(const struct pd_config *, struct spool *, struct event_base *pump,
                        int flags, FILE *out);
/* Reads the saved cursor: 1 if there is one. */
int poll_load(struct poller *);
/* serve's start: loads the cursor, or starts one at now; logs a catch-up to come. */
void poll_start(struct poller *, int64_t now_s);
/* The window the next pass reads: from the cursor (less the overlap) to now (less lag_s). */
enum pd_err poll_window_from_cursor(struct poller *, int64_t now_s, int64_t *since, int64_t *until);
/* One pass over [since, until), in seconds; blocking. */
enum pd_err poll_pass(struct poller *, int64_t since, int64_t until, struct poll_stats *);
/* serve's periodic pass, from the cursor. */
enum pd_err poll_run(struct poller *, int64_t now_s);
/* The error object of the last failed request, or NULL. */
const json_t *poll_last_error(struct poller *);
/* From another thread: the pass in progress gives up; no spool call after it returns. */
void poll_cancel(struct poller *);
const _Atomic int *poll_cancel_flag(struct poller *);
void poll_free(struct poller *);

/* sensor/watchdog.c */
struct watchdog;
/* NULL when nothing is to be watched (no subscription_ids, no public_url). */
struct watchdog *watchdog_new(const struct pd_config *, const _Atomic int *cancel);
/* One check of every watched subscription; blocking. */
void watchdog_check(struct watchdog *);
void watchdog_free(struct watchdog *);

/* sensor/sensor.c */
struct sensor;
/* The poller and the watchdog for serve; NULL when poll.mode is off. */
struct sensor *sensor_new(const struct pd_config *, struct spool *);
/* Starts the pd-sensor thread: after spool_start(). */
enum pd_err sensor_start(struct sensor *);
/* From the loop thread: abandon what is in progress, stop (returns at once). */
void sensor_stop(struct sensor *);
/* Ends the thread: before spool_close(); sensor_free() after it. */
void sensor_join(struct sensor *);
void sensor_free(struct sensor *);

/* sensor/poll_cmd.c */

/* actions/pdclient.c */
/* How a list answer is paged: offset/limit + more, or cursor + next_cursor. */
enum pd_page { PD_PAGE_NONE = 0, PD_PAGE_OFFSET, PD_PAGE_CURSOR };
/* One call to PagerDuty's REST API (or, with events set, the Events API v2). */
struct pd_call {
	const char *method; /* "GET", "POST", "PUT", "DELETE" */
	int events;         /* 1: pagerduty.events_url, no Authorization header */
	const char *path;   /* "/incidents/PABC123/notes", already expanded and escaped */
	json_t *query;     /* object or NULL: scalars as k=v, arrays as k[]=v, booleans lowercase */
	json_t *body;      /* JSON body or NULL */
	const char *from;  /* From header or NULL */
	enum pd_page page; /* paginate and merge the pages */
	const char *collection; /* list key of a paged answer: "incidents" */
	long maximum;           /* paged calls: stop after this many items; 0 = all */
	/*
	 * Offset lists: > 0 asks total=true with the first page and fails with
	 * PD_ERR_VALIDATION, *error carrying "total", when the list holds more
	 * (the poller then splits its time window).
	 */
	long total_max;
	const _Atomic int *cancel; /* non-NULL: once nonzero, the call is abandoned */
};
/*
 * Runs a call with retries (429 honouring ratelimit-reset/Retry-After, 5xx,
 * network errors; capped backoff; never other 4xx). *out gets the answer
 * body (NULL for 204; for paged calls the merged list). On failure *error
 * gets {"code","message","http_status","errors"} and the result says which
 * kind: PD_ERR_PD_REJECTED (4xx), PD_ERR_NETWORK, PD_ERR_TIMEOUT, ...;
 * PD_ERR_SHUTTING_DOWN when call->cancel was set (within about a second).
 */
enum pd_err pd_request(const struct pd_config *, const struct pd_call *, json_t **out,
                       json_t **error);
/* n bytes of s percent-encoded for a URL path segment or query value; caller frees. */
char *pd_escape(const char *s, size_t n);
/* The query string, without '?': "limit=100&statuses%5B%5D=triggered". Caller frees. */
char *pd_query_string(const json_t *query);

/* actions/pdanswer.c: what PagerDuty's answers mean (pure, for the unit tests too) */
/* The error object of pd_request; takes code and errors (either may be NULL). */
json_t *pd_error_new(enum pd_err kind, long status, json_t *code, const char *message,
                     json_t *errors);
/* The error object above for a non-2xx answer (REST, Events or RFC 7807 body). */
json_t *pd_error_from_answer(enum pd_err kind, long status, const char *body, size_t len);
/* Backoff before retry number attempt (0 first): in [b/2, b], b = min(500 ms * 2^n, 20 s). */
long pd_backoff_ms(int attempt);
/* Wait before retrying a 429: ratelimit-reset, else Retry-After (s or date), else backoff. */
long pd_retry_wait_ms(const char *ratelimit_reset, const char *retry_after, int attempt,
                      int64_t now_ms);

/* actions/args.c */
/*
 * One value as st2's local-shell-script runner passes it, converted to the
 * declared type: Python repr ("{'a': True, 'b': None}", "['x', 'y']") or
 * JSON for objects and arrays, "True"/"true"/"1" for booleans, comma lists
 * for positional arrays. NULL and a message in *why on a bad value.
 * "" is how st2 passes a positional null (and, by a quirk, the integer 0):
 * for integer, number, boolean and object that is NULL with *why equal to
 * ARGS_EMPTY, so the caller can treat it as "not given"; "" is [] for an
 * array and "" for a string.
 */
#define ARGS_EMPTY "empty"
json_t *args_value(enum param_type, const char *text, char **why);

/* actions/pyrepr.c */
/* A Python literal (dict, list, tuple, str, int, float, True, False, None) as JSON. */
json_t *pyrepr_parse(const char *text, char **why);
const char *pyrepr_kind(const json_t *); /* Python's name for its kind: "a dict" */

/* actions/table.c */
/* Where a parameter goes in the request. */
enum param_where {
	PW_QUERY = 0, /* ?field=v; arrays as field[]=v */
	PW_BODY,      /* JSON body, at the dotted path field ("incident.title", "a[].id") */
	PW_PATH,      /* {name} in the path template, URL-escaped */
	PW_FROM,      /* the From header; absent: the config's from_email */
	PW_LIMIT,     /* paged calls: stop after this many items (0: all) */
	PW_LOCAL,     /* read by the action's handler only */
};
#define PF_REQUIRED    0x01 /* st2 "required" */
#define PF_IMMUTABLE   0x02 /* st2 "immutable" */
#define PF_SECRET      0x04 /* st2 "secret" */
#define PF_LIST        0x08 /* a string sent as a one-item array (urgencies[]) */
#define PF_SERVICE_KEY 0x10 /* absent: the config's service_key (never in argv) */

/* One field of a data schema (a create action's object, nested). */
struct action_field {
	const char *name;
	enum param_type type;
	int required;
	const char *def;                   /* JSON text, or NULL */
	const char *const *enums;          /* NULL-terminated strings, or NULL */
	const struct action_field *fields; /* object: its fields; array: each item's */
	enum param_type items;             /* array without fields: type of its items */
	const char *description;
};

/* One parameter of an action: st2 metadata, argv parsing and request building. */
struct action_param {
	const char *name; /* NULL ends a list */
	enum param_type type;
	enum param_where where;
	int flags;                /* PF_* */
	const char *def;          /* JSON text, or NULL */
	const char *const *enums; /* allowed strings (of each item for arrays), or NULL */
	const char *field;        /* query key or body path; NULL: the name */
	const char *ref;          /* sets "type": ref beside the value ("service_reference") */
	const struct action_field *items; /* array of objects: the fields of each item */
	int position;                     /* > 0: st2 positional argument */
	const char *description;
};

/* What run prints from PagerDuty's answer. */
enum action_shape {
	AS_RAW = 0, /* the whole answer */
	AS_KEY,     /* answer[key], a dotted path: the "incident" wrapper unwrapped */
	AS_LIST,    /* paged: the merged list */
	AS_DELETED, /* {"deleted": true} */
	AS_SUCCESS, /* {"success": true} */
};

#define ACT_EVENTS     0x01 /* Events API (pagerduty.events_url): no API key */
#define ACT_PAGED      0x02 /* offset/limit pages of .collection */
#define ACT_CURSOR     0x04 /* cursor pages of .collection */
#define ACT_NEEDS_FROM 0x08 /* PagerDuty requires the From header */

struct action;
/* The code of an action the generic executor cannot run. */
typedef enum pd_err action_handler(const struct action *, json_t *params, const struct pd_config *,
                                   json_t **out, json_t **error);

struct action {
	const char *name; /* st2 action name; the table is sorted by it */
	const char *description;
	const char *method;                /* GET, POST, PUT, DELETE */
	const char *path;                  /* "/incidents/{entity_id}/notes" */
	int flags;                         /* ACT_* */
	const char *collection;            /* paged: the list key ("incidents") */
	enum action_shape shape;           /* what run prints */
	const char *key;                   /* AS_KEY: the dotted key */
	const char *body;                  /* JSON text: constant body fields, or NULL */
	const char *query;                 /* JSON text: constant query, or NULL */
	const char *wrap;                  /* body key holding the entity, checked by schema */
	const struct action_field *schema; /* fields of body[wrap], or NULL */
	const struct action_param *params; /* NULL-named end */
	const char *const *one_of;         /* at least one of these parameters, or NULL */
	const char *const *example;        /* st2-style arguments, NULL-terminated */
	action_handler *handler;           /* NULL: the generic executor */
};

/* A ChatOps alias of the pack. */
struct action_alias {
	const char *name;
	const char *action;
	const char *description;
	const char *format;
	const char *result; /* Jinja of the result message */
};

/* The parameter st2 passes first: the action name (immutable, position 0). */
#define ACTION_NAME_PARAM "action"

extern const struct action action_table[];
extern const size_t action_count;
extern const struct action_alias action_aliases[];
extern const size_t action_nalias;
const struct action *action_find(const char *name); /* NULL if unknown */
const struct action_param *action_param_find(const struct action *, const char *name);
/* A default or constant of the table (JSON text) as a value; bad text is fatal. */
json_t *action_json(const char *text);

/* actions/check.c */
/*
 * Checks value against fields (required, types, enums, nested objects and
 * arrays) and fills in missing defaults. where names value in messages
 * ("data"); on failure *why says which field and why.
 */
enum pd_err action_check_fields(const struct action_field *, json_t *value, const char *where,
                                char **why);
int action_enum_ok(const char *const *enums, const char *s); /* s is one of enums */

/* actions/metadata.c */
const char *action_type_word(enum param_type);   /* help's: "TEXT" */
const char *action_where_name(enum param_where); /* actions --json's: "header" */
const char *action_where_word(enum param_where); /* help's: "From header" */
/* JSON Schema of one parameter, as st2 metadata and `actions --json` show it. */
json_t *action_param_schema(const struct action *, const struct action_param *);
/* `actions --json` entry: name, description, method, path, parameters, example. */
json_t *action_describe(const struct action *);
/* The st2 action metadata (actions/<name>.yaml) of an action. */
json_t *action_metadata(const struct action *);
/* The st2 alias metadata (aliases/<name>.yaml). */
json_t *action_alias_metadata(const struct action_alias *);

/* actions/exec.c */
/* One built request; owns what call points to. */
struct action_call {
	struct pd_call call;
	char *path;
	char *from;
};
/*
 * Builds the request of an action from its parameters (as action_parse_args
 * left them) and the config: path expanded and escaped, query, body (the
 * schema checked), From header. No I/O. PD_ERR_VALIDATION and *why when a
 * needed value is missing or invalid; PD_ERR_CONFIG without an API key.
 */
enum pd_err action_build_call(const struct action *, json_t *params, const struct pd_config *,
                              struct action_call *, char **why);
void action_call_free(struct action_call *);
/* {"code", "message", "http_status": null}: a local error, as run prints it. */
json_t *action_error(enum pd_err, const char *message);
/* What run prints for an answer (a new reference; answer may be NULL for 204). */
json_t *action_shape_result(const struct action *, json_t *answer);
/* Runs an action: its handler or the generic executor. */
enum pd_err action_exec(const struct action *, json_t *params, const struct pd_config *,
                        json_t **out, json_t **error);
action_handler action_exec_bulk, action_exec_notifications, action_exec_oncall_who,
    action_exec_webhook_create;

/* actions/run.c */
/*
 * st2's arguments (named --name=value / bare --name, positional by
 * position) into params, defaults applied and required ones checked.
 * argv holds the arguments only (no subcommand, action name or -c).
 * PD_ERR_USAGE (unknown parameter, bad shape) or PD_ERR_VALIDATION.
 */
enum pd_err action_parse_args(const struct action *, int argc, char **argv, json_t **params,
                              char **why);
/* `run ACTION --help`: what the action calls, its parameters, an example. */
void action_help(const struct action *, FILE *);

#endif /* ST2PD_H */
