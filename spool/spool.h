/*
 * spool.h: the spool, where an accepted event waits until StackStorm has
 * it: the event record, the one interface (spool.c) whatever backend keeps
 * the events, the spool command's reads and repairs (spool_admin_*, cmd.c),
 * and what the SQLite and Redis backends share. spool/sqlite.h is the
 * SQLite backend's private half.
 */
#ifndef PD_SPOOL_H
#define PD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "config/config.h" /* enum durability */

struct event_base;

/* spool/spool.c: the spool's one interface, whatever backend keeps the events */
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

#define SPOOL_KEEP_DELIVERED_MS (7 * 86400000LL) /* dedup horizon, > PagerDuty's 48 h */
/* Where a twin's record says why it was not sent (sqlite_writer.c's DESIGN), by its source. */
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
 * Durable named values (the sensor's cursor; key and value are text, never
 * NULL): set is queued behind the events submitted before it and committed
 * with them or later; cb(result, 0, arg) runs on the loop thread as for a
 * submission. get reads what is committed (NULL if unset; caller frees).
 * Any one thread.
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
#define SPOOL_STATUS_DAY_MS 86400000LL /* delivered_24h: delivered this long before now */
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
	enum pd_err (*start)(void *); /* where results go is in the spool's base (backend.h) */
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
/* spool/cmd.c */
extern const struct cli_entry cmd_spool_entry;

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
struct sqlite3_stmt;
int sqlite_db_connect(const char *dbpath, int create, struct sqlite3 **db); /* -1: logged */
const char *sqlite_db_sync_sql(enum durability);
int sqlite_db_setup(struct sqlite3 *, const char *dbpath, enum durability);
int sqlite_db_repair(struct sqlite3 *, const char *dbpath);
int sqlite_db_version(struct sqlite3 *, const char *dbpath); /* -1: logged */
int sqlite_db_exec(struct sqlite3 *, const char *dbpath, const char *sql);
int sqlite_db_int(struct sqlite3 *, const char *dbpath, const char *sql, int64_t *out);
char *sqlite_db_text(struct sqlite3_stmt *, int col); /* a copy; NULL for SQL NULL */
/* Prepares sql[0..n) into out[] once, to be reused; -1 logged. */
int sqlite_db_prepare(struct sqlite3 *, const char *dbpath, const char *const *sql, int n,
                      struct sqlite3_stmt **out);

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

#endif /* PD_SPOOL_H */
