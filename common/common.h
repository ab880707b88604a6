/*
 * common.h: what every module of st2-pagerduty uses: the error enum, memory,
 * logging, strings and time (util.c), crypto, libcurl on the event loop and
 * blocking HTTP, the JSON Schema writer, the subcommand machinery (cli.c)
 * and the metrics. Declarations carry a banner naming the file that
 * defines them.
 *
 * Naming: each public function carries its module prefix (spool_, config_,
 * sig_, ...); each subcommand is a struct cli_entry, cmd_<name>_entry, in
 * its own file, whose handler returns an exit status.
 */
#ifndef PD_COMMON_H
#define PD_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>

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
struct pd_config;
struct spool;

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
/* ms as the struct timeval libevent and hiredis take for timers and timeouts. */
struct timeval ms_timeval(int64_t ms);
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

/*
 * Each subcommand's struct cli_entry, cmd_<name>_entry, is defined in its
 * command's file and declared in its folder's header (serve/serve.h,
 * spool/spool.h, ...); common/commands.c lists them in cli_commands[].
 */

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

#endif /* PD_COMMON_H */
