/*
 * config.h: the configuration: struct pd_config, its loader (config.c), the
 * table of keys every other view of them is made from (table.c), the
 * webhook.secrets editor (edit.c) and check-config (check.c).
 */
#ifndef PD_CONFIG_H
#define PD_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "common/common.h"

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
/*
 * Applies the environment variables of the table's rows ($ST2_PAGERDUTY_API_KEY,
 * ...; set and not empty) over cfg; config_load() calls it last, so they win
 * over the file.
 */
enum pd_err config_apply_env(struct pd_config *, struct pd_strlist *problems);
/* A YAML 1.1 boolean as operators write it (true, yes, on, ...): 0, or -1 if it is none. */
int config_parse_bool(const char *, int *out);

/* config/needs.c */
/* Checks the keys a subcommand needs (CONFIG_NEED_*), appending problems. */
enum pd_err config_check_needs(const struct pd_config *, int needs, struct pd_strlist *problems);

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
extern const struct cli_entry cmd_check_config_entry;

#endif /* PD_CONFIG_H */
