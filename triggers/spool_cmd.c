/*
 * spool_cmd.c: `st2-pagerduty spool`, the operator's view of the spool:
 * status, list, show and find, and retry or purge of dead letters by id,
 * incident, type or age.
 *
 * It opens spool.db directly with plain transactions, so it works whether
 * serve is running or not: in WAL mode its reads never block the daemon,
 * and its writes wait (busy timeout) for the daemon's commit in progress.
 * The daemon notices the changes at its next recount, and its forwarder
 * picks retried events up on its next tick: a retried dead letter gets a
 * new seq above every other (see spool.c). Options and subcommands are
 * tables; one column table drives every record printed, as text or JSON.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "st2pd.h"

#define SPOOL_CLI_BUSY_MS 10000
#define DAY_MS            86400000LL

/* Options, as bits: which subcommand accepts which. */
#define SO_JSON     0x01
#define SO_STATE    0x02
#define SO_INCIDENT 0x04
#define SO_TYPE     0x08
#define SO_OLDER    0x10
#define SO_NEWER    0x20
#define SO_LIMIT    0x40
#define SO_ALL      0x80
#define SO_SELECT   (SO_INCIDENT | SO_TYPE | SO_OLDER | SO_ALL) /* retry and purge */

/* Option keys: long only (256 and up), named by the letter they had. */
#define SK(c) (256 + (c))

static const struct cli_option spool_options[] = {
    {"json", SK('j'), NULL, "print JSON"},
    {"state", SK('s'), "STATE",
     "list: pending, dead, delivered or all (default: pending and dead)"},
    {"incident", SK('i'), "ID", "list, retry, purge: the events of one incident"},
    {"type", SK('t'), "TYPE", "list, retry, purge: the events of one event type"},
    {"older-than", SK('o'), "DUR", "list, retry, purge: received longer ago than DUR (2h, 7d)"},
    {"newer-than", SK('n'), "DUR", "list: received within DUR"},
    {"limit", SK('l'), "N", "list: at most N records (default 100)"},
    {"all", SK('a'), NULL, "retry, purge: every dead letter"},
    {NULL, 0, NULL, NULL},
};

static const struct {
	int val;
	int flag;
	const char *name;
} spool_optbits[] = {
    {SK('j'), SO_JSON, "--json"},         {SK('s'), SO_STATE, "--state"},
    {SK('i'), SO_INCIDENT, "--incident"}, {SK('t'), SO_TYPE, "--type"},
    {SK('o'), SO_OLDER, "--older-than"},  {SK('n'), SO_NEWER, "--newer-than"},
    {SK('l'), SO_LIMIT, "--limit"},       {SK('a'), SO_ALL, "--all"},
};

/* enum spool_state -> name, and the --state values as bit masks. */
#define SPOOL_ALL_STATES ((1 << SPOOL_PENDING) | (1 << SPOOL_DELIVERED) | (1 << SPOOL_DEAD))
static const char *const spool_state_names[] = {
    [SPOOL_PENDING] = "pending",
    [SPOOL_DELIVERED] = "delivered",
    [SPOOL_DEAD] = "dead",
};
static const struct {
	const char *name;
	int mask;
} spool_state_masks[] = {
    {"pending", 1 << SPOOL_PENDING},
    {"delivered", 1 << SPOOL_DELIVERED},
    {"dead", 1 << SPOOL_DEAD},
    {"all", SPOOL_ALL_STATES},
};

/* Filters: a WHERE clause each, with one named parameter. */
enum spool_filter { F_IDS = 0, F_INCIDENT, F_TYPE, F_OLDER, F_NEWER, F_MAX };
static const struct {
	const char *clause;
	const char *param;
	int is_time; /* bound as the cutoff in ms, else as text */
} spool_filters[F_MAX] = {
    [F_IDS] = {"event_id IN (SELECT value FROM json_each(:ids))", ":ids", 0},
    [F_INCIDENT] = {"order_key = 'incident:' || :incident", ":incident", 0},
    [F_TYPE] = {"event_type = :type", ":type", 0},
    [F_OLDER] = {"received_ms < :older", ":older", 1},
    [F_NEWER] = {"received_ms >= :newer", ":newer", 1},
};

/* The columns of a record, in SELECT order, and how each is shown. */
enum spool_col_kind { K_INT, K_STR, K_TIME, K_STATE, K_JSON };
static const struct {
	const char *name; /* key in JSON and in `show` */
	const char *sql;
	enum spool_col_kind kind;
} spool_cols[] = {
    {"seq", "seq", K_INT},
    {"event_id", "event_id", K_STR},
    {"webhook_id", "webhook_id", K_STR},
    {"event_type", "event_type", K_STR},
    {"trigger", "\"trigger\"", K_STR},
    {"order_key", "order_key", K_STR},
    {"state", "state", K_STATE},
    {"received_at", "received_ms", K_TIME},
    {"attempts", "attempts", K_INT},
    {"next_attempt_at", "next_attempt_ms", K_TIME},
    {"delivered_at", "delivered_ms", K_TIME},
    {"dead_at", "dead_ms", K_TIME},
    {"last_error", "last_error", K_STR},
    {"dead_reason", "dead_reason", K_STR},
    {"source", "source", K_STR},
    {"transition", "transition", K_STR},
    {"payload", SPOOL_PAYLOAD_SQL, K_JSON},
};
#define SPOOL_NCOLS (sizeof spool_cols / sizeof spool_cols[0])

/* One invocation: parsed options and the open database. */
struct spool_cli {
	const struct spool_cmd *cmd;
	char *dir;
	char *dbpath;
	sqlite3 *db;
	int json;
	int states; /* mask of 1 << enum spool_state */
	long limit;
	char **args;
	int nargs;
	int64_t now;
	char *fval[F_MAX]; /* filter values, NULL when unset */
	int64_t ftime[F_MAX];
};

struct spool_cmd {
	const char *name;
	const char *usage;
	int opts;
	int min_args, max_args; /* max -1: any number */
	int (*fn)(struct spool_cli *);
};

static int spool_cmd_status(struct spool_cli *);
static int spool_cmd_list(struct spool_cli *);
static int spool_cmd_show(struct spool_cli *);
static int spool_cmd_find(struct spool_cli *);
static int spool_cmd_retry(struct spool_cli *);
static int spool_cmd_purge(struct spool_cli *);

#define SELECTORS "EVENT_ID... | --incident ID | --type TYPE | --older-than DUR | --all"
static const struct spool_cmd spool_cmds[] = {
    {"status", "[--json]", SO_JSON, 0, 0, spool_cmd_status},
    {"list",
     "[--state pending|dead|delivered|all] [--incident ID] [--type TYPE] "
     "[--older-than DUR] [--newer-than DUR] [--limit N] [--json]",
     SO_JSON | SO_STATE | SO_INCIDENT | SO_TYPE | SO_OLDER | SO_NEWER | SO_LIMIT, 0, 0,
     spool_cmd_list},
    {"show", "EVENT_ID [--json]", SO_JSON, 1, 1, spool_cmd_show},
    {"find", "ID [--json]", SO_JSON, 1, 1, spool_cmd_find},
    {"retry", SELECTORS, SO_SELECT, 0, -1, spool_cmd_retry},
    {"purge", SELECTORS, SO_SELECT, 0, -1, spool_cmd_purge},
};
#define SPOOL_NCMDS (sizeof spool_cmds / sizeof spool_cmds[0])

/* Usage of one subcommand, or of all when cmd is NULL. */
static void
spool_usage(FILE *f, const struct spool_cmd *cmd)
{
	size_t i;

	for (i = 0; i < SPOOL_NCMDS; i++) {
		if (cmd == NULL || cmd == &spool_cmds[i])
			fprintf(f, "%s st2-pagerduty spool %s [-c FILE] %s\n",
			        i == 0 || cmd != NULL ? "usage:" : "      ", spool_cmds[i].name,
			        spool_cmds[i].usage);
	}
}

/* Prints a usage error and returns its exit status. */
static int PD_PRINTF(2, 3) spool_usage_error(const struct spool_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "st2-pagerduty: spool: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	spool_usage(stderr, cmd);
	return pd_err_exit(PD_ERR_USAGE);
}

/* Reports a database error and returns the exit status for it. */
static int
spool_db_error(struct spool_cli *c)
{
	fprintf(stderr, "st2-pagerduty: spool: %s: %s\n", c->dbpath, sqlite3_errmsg(c->db));
	return pd_err_exit(PD_ERR_IO);
}

/* "3m12s": an age for people. */
static void
spool_format_age(int64_t ms, char *buf, size_t len)
{
	long long s = ms > 0 ? (long long)(ms / 1000) : 0;

	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

/* "12.3 MiB": a size for people. */
static void
spool_format_size(int64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%lld B", (long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

/* Opens an existing spool database; the CLI never creates one. */
static enum pd_err
spool_cli_open(struct spool_cli *c)
{
	struct stat st;
	sqlite3_stmt *v;
	int version = -1;

	c->dbpath = xasprintf("%s/%s", c->dir, SPOOL_DB_FILE);
	if (stat(c->dbpath, &st) != 0) {
		if (errno == ENOENT)
			fprintf(stderr,
			        "st2-pagerduty: spool: no spool database at %s (serve has not run "
			        "with this spool.path yet)\n",
			        c->dbpath);
		else
			fprintf(stderr, "st2-pagerduty: spool: %s: %s\n", c->dbpath,
			        strerror(errno));
		return PD_ERR_IO;
	}
	if (sqlite3_open_v2(c->dbpath, &c->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return PD_ERR_IO;
	sqlite3_busy_timeout(c->db, SPOOL_CLI_BUSY_MS);
	if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &v, NULL) != SQLITE_OK)
		return PD_ERR_IO;
	if (sqlite3_step(v) == SQLITE_ROW)
		version = sqlite3_column_int(v, 0);
	sqlite3_finalize(v);
	if (version != SPOOL_SCHEMA_VERSION) {
		fprintf(stderr, "st2-pagerduty: spool: %s: schema version %d, expected %d\n",
		        c->dbpath, version, SPOOL_SCHEMA_VERSION);
		return PD_ERR_CONFIG;
	}
	return PD_OK;
}

/* Binds every named parameter the statement uses from the options. */
static void
spool_cli_bind(struct spool_cli *c, sqlite3_stmt *st)
{
	int i, idx;

	for (i = 0; i < F_MAX; i++) {
		if (c->fval[i] == NULL ||
		    (idx = sqlite3_bind_parameter_index(st, spool_filters[i].param)) == 0)
			continue;
		if (spool_filters[i].is_time)
			sqlite3_bind_int64(st, idx, c->ftime[i]);
		else
			sqlite3_bind_text(st, idx, c->fval[i], -1, SQLITE_STATIC);
	}
	/* One more than asked, to tell "exactly N" from "more than N". */
	if ((idx = sqlite3_bind_parameter_index(st, ":limit")) != 0)
		sqlite3_bind_int64(st, idx, (int64_t)c->limit + 1);
	if ((idx = sqlite3_bind_parameter_index(st, ":id")) != 0)
		sqlite3_bind_text(st, idx, c->args[0], -1, SQLITE_STATIC);
	if ((idx = sqlite3_bind_parameter_index(st, ":since")) != 0)
		sqlite3_bind_int64(st, idx, c->now - DAY_MS);
}

/*
 * Prepares "head WHERE state-clause AND filters tail", bound; NULL on error.
 * A NULL head selects the record columns.
 */
static sqlite3_stmt *
spool_cli_prepare(struct spool_cli *c, const char *head, int states, const char *tail)
{
	sqlite3_stmt *st = NULL;
	char *sql, *cols = NULL, *in = NULL, *t;
	size_t i;
	int s;

	/* States are our constants, never user text: written into the SQL. */
	for (s = 0; s < 3; s++) {
		if (!(states & (1 << s)))
			continue;
		t = in == NULL ? xasprintf("%d", s) : xasprintf("%s, %d", in, s);
		free(in);
		in = t;
	}
	sql = xasprintf("state IN (%s)", in != NULL ? in : "");
	free(in);
	for (i = 0; i < F_MAX; i++) {
		if (c->fval[i] == NULL)
			continue;
		t = xasprintf("%s AND %s", sql, spool_filters[i].clause);
		free(sql);
		sql = t;
	}
	for (i = 0; head == NULL && i < SPOOL_NCOLS; i++) {
		t = cols == NULL ? xasprintf("SELECT %s", spool_cols[i].sql)
		                 : xasprintf("%s, %s", cols, spool_cols[i].sql);
		free(cols);
		cols = t;
	}
	t = xasprintf("%s%s WHERE %s %s", head != NULL ? head : cols,
	              head != NULL ? "" : " FROM events", sql, tail);
	free(cols);
	free(sql);
	if (sqlite3_prepare_v2(c->db, t, -1, &st, NULL) == SQLITE_OK)
		spool_cli_bind(c, st);
	free(t);
	return st;
}

/* The current row of a record query as a JSON object (payload parsed if asked). */
static json_t *
spool_row_json(sqlite3_stmt *st, int with_payload)
{
	json_t *o = json_object(), *v;
	const char *text;
	char ts[32];
	int64_t n;
	size_t i;

	for (i = 0; i < SPOOL_NCOLS; i++) {
		text = (const char *)sqlite3_column_text(st, (int)i);
		n = sqlite3_column_int64(st, (int)i);
		switch (spool_cols[i].kind) {
		case K_INT:
			v = json_integer(n);
			break;
		case K_STR:
			v = text != NULL ? json_string(text) : json_null();
			break;
		case K_TIME:
			if (n > 0)
				format_time_ms(n, ts, sizeof ts);
			v = n > 0 ? json_string(ts) : json_null();
			break;
		case K_STATE:
			v = json_string(n >= 0 && n < 3 ? spool_state_names[n] : "unknown");
			break;
		case K_JSON:
			if (!with_payload)
				continue;
			v = text != NULL ? json_loads(text, 0, NULL) : json_null();
			if (v == NULL) /* not JSON after all: shown as stored */
				v = json_string(text);
			break;
		default:
			continue;
		}
		json_object_set_new(o, spool_cols[i].name, v);
	}
	return o;
}

/* A string member, or "-". */
static const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

/* Prints a JSON value on stdout, indented, with a newline. */
static void
spool_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}

/* Runs a one-row query of counts; the values go to out. */
static int
spool_query_ints(struct spool_cli *c, const char *sql, int64_t *out, int n)
{
	sqlite3_stmt *st;
	int i, rc;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	spool_cli_bind(c, st);
	rc = sqlite3_step(st);
	for (i = 0; rc == SQLITE_ROW && i < n; i++)
		out[i] = sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Bytes the spool takes on disk: the database and its WAL. */
static int64_t
spool_disk_size(struct spool_cli *c)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	struct stat st;
	int64_t total = 0;
	char *p;
	size_t i;

	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		p = xasprintf("%s%s", c->dbpath, suffixes[i]);
		if (stat(p, &st) == 0)
			total += (int64_t)st.st_size;
		free(p);
	}
	return total;
}

/* spool status: pending and its age, recent deliveries, dead letters by reason. */
static int
spool_cmd_status(struct spool_cli *c)
{
	sqlite3_stmt *st;
	json_t *o, *reasons, *r;
	int64_t pend[2] = {0, 0}, delivered = 0, dead = 0, size = spool_disk_size(c);
	char ts[32], age[32], sz[32];
	size_t i;

	if (spool_query_ints(c,
	                     "SELECT count(*), coalesce(min(received_ms), 0) FROM events "
	                     "WHERE state = 0",
	                     pend, 2) != 0 ||
	    spool_query_ints(c,
	                     "SELECT count(*) FROM events WHERE state = 1 AND "
	                     "delivered_ms >= :since",
	                     &delivered, 1) != 0 ||
	    spool_query_ints(c, "SELECT count(*) FROM events WHERE state = 2", &dead, 1) != 0 ||
	    sqlite3_prepare_v2(c->db,
	                       "SELECT coalesce(dead_reason, '(no reason)'), count(*) FROM events "
	                       "WHERE state = 2 GROUP BY 1 ORDER BY 2 DESC, 1",
	                       -1, &st, NULL) != SQLITE_OK)
		return spool_db_error(c);
	reasons = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		r = json_pack("{s:s, s:I}", "reason", (const char *)sqlite3_column_text(st, 0),
		              "count", (json_int_t)sqlite3_column_int64(st, 1));
		json_array_append_new(reasons, r);
	}
	sqlite3_finalize(st);

	if (pend[0] > 0) {
		format_time_ms(pend[1], ts, sizeof ts);
		spool_format_age(c->now - pend[1], age, sizeof age);
	}
	if (c->json) {
		o = json_pack("{s:s, s:I, s:I, s:o, s:o, s:I, s:I, s:O}", "path", c->dir,
		              "size_bytes", (json_int_t)size, "pending", (json_int_t)pend[0],
		              "oldest_pending_at", pend[0] > 0 ? json_string(ts) : json_null(),
		              "oldest_pending_age_s",
		              pend[0] > 0 ? json_integer((c->now - pend[1]) / 1000) : json_null(),
		              "delivered_24h", (json_int_t)delivered, "dead", (json_int_t)dead,
		              "dead_by_reason", reasons);
		spool_print_json(o);
		json_decref(o);
	} else {
		spool_format_size(size, sz, sizeof sz);
		printf("spool:      %s (%s on disk)\n", c->dir, sz);
		if (pend[0] > 0)
			printf("pending:    %lld, oldest received %s ago (%s)\n",
			       (long long)pend[0], age, ts);
		else
			printf("pending:    0\n");
		printf("delivered:  %lld in the last 24h\n", (long long)delivered);
		printf("dead:       %lld\n", (long long)dead);
		for (i = 0; i < json_array_size(reasons); i++) {
			r = json_array_get(reasons, i);
			printf("  %6lld  %s\n",
			       (long long)json_integer_value(json_object_get(r, "count")),
			       jstr(r, "reason"));
		}
	}
	json_decref(reasons);
	return 0;
}

/* spool list: one line (or object) per event, in seq order. */
static int
spool_cmd_list(struct spool_cli *c)
{
	sqlite3_stmt *st;
	json_t *rows = json_array(), *o;
	const char *why;
	long n = 0;
	int rc, more = 0;

	st = spool_cli_prepare(c, NULL, c->states, "ORDER BY seq LIMIT :limit");
	if (st == NULL) {
		json_decref(rows);
		return spool_db_error(c);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == c->limit) {
			more = 1;
			break;
		}
		json_array_append_new(rows, spool_row_json(st, 0));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		json_decref(rows);
		return spool_db_error(c);
	}
	if (c->json)
		spool_print_json(rows);
	else {
		printf("%-8s %-26s %-24s %-18s %-24s %-9s %3s  %s\n", "SEQ", "EVENT_ID", "TYPE",
		       "ORDER_KEY", "RECEIVED", "STATE", "TRY", "REASON / LAST ERROR");
		for (size_t i = 0; i < json_array_size(rows); i++) {
			o = json_array_get(rows, i);
			why = json_is_string(json_object_get(o, "dead_reason"))
			          ? jstr(o, "dead_reason")
			          : jstr(o, "last_error");
			printf("%-8lld %-26s %-24s %-18s %-24s %-9s %3lld  %s\n",
			       (long long)json_integer_value(json_object_get(o, "seq")),
			       jstr(o, "event_id"), jstr(o, "event_type"), jstr(o, "order_key"),
			       jstr(o, "received_at"), jstr(o, "state"),
			       (long long)json_integer_value(json_object_get(o, "attempts")), why);
		}
	}
	if (more)
		fprintf(stderr, "st2-pagerduty: spool: more than %ld events match; see --limit\n",
		        c->limit);
	json_decref(rows);
	return 0;
}

/* The record for an event id (or X-Webhook-Id), or NULL (with *err set on a DB error). */
static json_t *
spool_lookup(struct spool_cli *c, int with_payload, int *err)
{
	sqlite3_stmt *st;
	json_t *o = NULL;
	int rc;

	*err = 0;
	st = spool_cli_prepare(c, NULL, SPOOL_ALL_STATES,
	                       "AND (event_id = :id OR webhook_id = :id) LIMIT 1");
	if (st == NULL) {
		*err = 1;
		return NULL;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		o = spool_row_json(st, with_payload);
	else if (rc != SQLITE_DONE)
		*err = 1;
	sqlite3_finalize(st);
	return o;
}

/* spool show: the whole record, payload pretty-printed. */
static int
spool_cmd_show(struct spool_cli *c)
{
	json_t *o, *v;
	const char *key;
	char *payload;
	int err;

	if ((o = spool_lookup(c, 1, &err)) == NULL) {
		if (err)
			return spool_db_error(c);
		fprintf(stderr, "st2-pagerduty: spool: %s: not found\n", c->args[0]);
		return pd_err_exit(PD_ERR_NOT_FOUND);
	}
	if (c->json) {
		spool_print_json(o);
		json_decref(o);
		return 0;
	}
	json_object_foreach (o, key, v) {
		if (strcmp(key, "payload") == 0)
			continue;
		if (json_is_integer(v))
			printf("%-16s %lld\n", key, (long long)json_integer_value(v));
		else
			printf("%-16s %s\n", key, json_is_string(v) ? json_string_value(v) : "-");
	}
	v = json_object_get(o, "payload");
	payload = json_is_string(v) ? xstrdup(json_string_value(v))
	                            : json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("payload:\n%s\n", payload != NULL ? payload : "-");
	free(payload);
	json_decref(o);
	return 0;
}

/* The one-sentence answer to "did it reach StackStorm, and when?". */
static char *
spool_find_sentence(json_t *o)
{
	const char *state = jstr(o, "state"), *next = jstr(o, "next_attempt_at");
	json_int_t n = json_integer_value(json_object_get(o, "attempts"));
	const char *plural = n == 1 ? "" : "s";
	char *err, *s;

	/* The twin of a transition another source brought (spool.c): never sent itself. */
	if (strcmp(state, "delivered") == 0 && n == 0 &&
	    json_is_string(json_object_get(o, "last_error")))
		return xasprintf("%s: %s (%s), at %s", jstr(o, "event_id"), jstr(o, "last_error"),
		                 jstr(o, "transition"), jstr(o, "delivered_at"));
	if (strcmp(state, "delivered") == 0)
		return xasprintf("%s: delivered to StackStorm at %s after %lld attempt%s",
		                 jstr(o, "event_id"), jstr(o, "delivered_at"), (long long)n,
		                 plural);
	if (strcmp(state, "dead") == 0)
		return xasprintf("%s: dead letter since %s: %s", jstr(o, "event_id"),
		                 jstr(o, "dead_at"), jstr(o, "dead_reason"));
	err = json_is_string(json_object_get(o, "last_error"))
	          ? xasprintf(", last error: %s", jstr(o, "last_error"))
	          : xstrdup("");
	s = xasprintf("%s: pending: %lld attempt%s, next attempt %s%s%s", jstr(o, "event_id"),
	              (long long)n, plural, strcmp(next, "-") == 0 ? "as soon as possible" : "at ",
	              strcmp(next, "-") == 0 ? "" : next, err);
	free(err);
	return s;
}

/* spool find: where an event (by event id or X-Webhook-Id) stands. */
static int
spool_cmd_find(struct spool_cli *c)
{
	json_t *o, *out;
	char *sentence;
	int err;

	o = spool_lookup(c, 0, &err);
	if (err)
		return spool_db_error(c);
	if (o == NULL) {
		if (c->json) {
			out = json_pack("{s:s, s:b}", "id", c->args[0], "found", 0);
			spool_print_json(out);
			json_decref(out);
		} else
			printf("%s: not found\n", c->args[0]);
		return pd_err_exit(PD_ERR_NOT_FOUND);
	}
	sentence = spool_find_sentence(o);
	if (c->json) {
		out = json_pack("{s:s, s:b, s:s, s:O}", "id", c->args[0], "found", 1, "summary",
		                sentence, "event", o);
		spool_print_json(out);
		json_decref(out);
	} else
		printf("%s\n", sentence);
	free(sentence);
	json_decref(o);
	return 0;
}

/*
 * spool retry: dead letters back to pending, in their order, each with a new
 * seq above every seq ever used (the forwarder reads "seq > last seen") and
 * a fresh attempt count. The dead reason becomes the last error, so that
 * `spool find` still says why it had died.
 */
static int
spool_cmd_retry(struct spool_cli *c)
{
	sqlite3_stmt *sel = NULL, *upd = NULL, *seqst = NULL;
	int64_t *seqs = NULL, next = 0;
	size_t n = 0, i;
	int ok, rc = SQLITE_DONE;

	ok = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
	if (ok)
		ok = (sel = spool_cli_prepare(c, "SELECT seq FROM events", 1 << SPOOL_DEAD,
		                              "ORDER BY seq")) != NULL;
	while (ok && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		seqs = xreallocarray(seqs, n + 1, sizeof *seqs);
		seqs[n++] = sqlite3_column_int64(sel, 0);
	}
	ok = ok && rc == SQLITE_DONE;
	ok = ok && spool_query_ints(c,
	                            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE "
	                            "name = 'events'), 0), coalesce((SELECT max(seq) FROM events), "
	                            "0))",
	                            &next, 1) == 0;
	ok = ok &&
	     sqlite3_prepare_v2(c->db,
	                        "UPDATE events SET seq = ?1, state = 0, attempts = 0, "
	                        "next_attempt_ms = 0, last_error = coalesce(dead_reason, "
	                        "last_error), dead_ms = NULL, dead_reason = NULL WHERE seq = ?2",
	                        -1, &upd, NULL) == SQLITE_OK;
	for (i = 0; ok && i < n; i++) {
		sqlite3_bind_int64(upd, 1, ++next);
		sqlite3_bind_int64(upd, 2, seqs[i]);
		ok = sqlite3_step(upd) == SQLITE_DONE;
		sqlite3_reset(upd);
	}
	/* AUTOINCREMENT must never hand out these seqs again, even after a purge. */
	ok = ok && (n == 0 || (sqlite3_prepare_v2(c->db,
	                                          "UPDATE sqlite_sequence SET seq = ?1 WHERE "
	                                          "name = 'events'",
	                                          -1, &seqst, NULL) == SQLITE_OK &&
	                       sqlite3_bind_int64(seqst, 1, next) == SQLITE_OK &&
	                       sqlite3_step(seqst) == SQLITE_DONE));
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_finalize(seqst);
	free(seqs);
	if (ok)
		ok = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	if (!ok) {
		fprintf(stderr, "st2-pagerduty: spool: %s: %s\n", c->dbpath, sqlite3_errmsg(c->db));
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return pd_err_exit(PD_ERR_IO);
	}
	printf("retried %zu dead letter%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* spool purge: deletes dead letters (never pending or delivered rows). */
static int
spool_cmd_purge(struct spool_cli *c)
{
	sqlite3_stmt *st;
	int n;

	st = spool_cli_prepare(c, "DELETE FROM events", 1 << SPOOL_DEAD, "");
	if (st == NULL)
		return spool_db_error(c);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return spool_db_error(c);
	}
	sqlite3_finalize(st);
	n = sqlite3_changes(c->db);
	printf("purged %d dead letter%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* Parses one option's value into c; returns 0 or a usage exit status. */
static int
spool_parse_opt(struct spool_cli *c, int opt, const char *arg)
{
	enum spool_filter f = F_MAX;
	int64_t ms;
	size_t i;

	switch (opt) {
	case SK('j'):
		c->json = 1;
		return 0;
	case SK('a'):
		return 0;
	case SK('s'):
		for (i = 0; i < sizeof spool_state_masks / sizeof spool_state_masks[0]; i++) {
			if (strcmp(arg, spool_state_masks[i].name) == 0) {
				c->states = spool_state_masks[i].mask;
				return 0;
			}
		}
		return spool_usage_error(c->cmd, "--state %s: not pending, dead, delivered or all",
		                         arg);
	case SK('l'):
		if (parse_long(arg, 1, 1000000000, &c->limit) != PD_OK)
			return spool_usage_error(c->cmd, "--limit %s: not a positive number", arg);
		return 0;
	case SK('i'):
		f = F_INCIDENT;
		break;
	case SK('t'):
		f = F_TYPE;
		break;
	case SK('o'):
	case SK('n'):
		f = opt == SK('o') ? F_OLDER : F_NEWER;
		if (parse_duration_ms(arg, &ms) != PD_OK)
			return spool_usage_error(c->cmd, "%s: not a duration (90s, 15m, 48h, 7d)",
			                         arg);
		c->ftime[f] = c->now - ms;
		break;
	}
	free(c->fval[f]);
	c->fval[f] = xstrdup(arg);
	return 0;
}

/* Frees what an invocation holds. */
static void
spool_cli_free(struct spool_cli *c)
{
	int i;

	for (i = 0; i < F_MAX; i++)
		free(c->fval[i]);
	sqlite3_close(c->db);
	free(c->dbpath);
	free(c->dir);
}

/* st2-pagerduty spool SUBCOMMAND [options] [ARGS]. */
static int
spool_exec(const struct cli_args *a)
{
	struct spool_cli c;
	struct pd_config *cfg;
	json_t *ids;
	int seen = 0, rc = 0, j;
	size_t i;

	memset(&c, 0, sizeof c);
	c.now = now_ms();
	c.states = (1 << SPOOL_PENDING) | (1 << SPOOL_DEAD);
	c.limit = 100;
	for (i = 0; a->argc > 0 && i < SPOOL_NCMDS; i++) {
		if (strcmp(a->argv[0], spool_cmds[i].name) == 0)
			c.cmd = &spool_cmds[i];
	}
	if (cli_count(a, 'h')) {
		spool_usage(stdout, c.cmd);
		goto out;
	}
	if (c.cmd == NULL) {
		rc = a->argc == 0 ? spool_usage_error(NULL, "which subcommand?")
		                  : spool_usage_error(NULL, "%s: unknown subcommand", a->argv[0]);
		goto out;
	}
	for (i = 0; i < a->nopts; i++) {
		if (a->opts[i].key == 'h')
			continue;
		for (j = 0; j < (int)(sizeof spool_optbits / sizeof spool_optbits[0]); j++)
			seen |= spool_optbits[j].val == a->opts[i].key ? spool_optbits[j].flag : 0;
		if ((rc = spool_parse_opt(&c, a->opts[i].key, a->opts[i].value)) != 0)
			goto out;
	}
	c.args = a->argv + 1;
	c.nargs = a->argc - 1;
	for (i = 0; i < sizeof spool_optbits / sizeof spool_optbits[0]; i++) {
		if ((seen & spool_optbits[i].flag) && !(c.cmd->opts & spool_optbits[i].flag)) {
			rc = spool_usage_error(c.cmd, "%s does not apply to spool %s",
			                       spool_optbits[i].name, c.cmd->name);
			goto out;
		}
	}
	if (c.nargs < c.cmd->min_args || (c.cmd->max_args >= 0 && c.nargs > c.cmd->max_args)) {
		rc = spool_usage_error(c.cmd, "spool %s: wrong number of arguments", c.cmd->name);
		goto out;
	}
	if ((c.cmd->opts & SO_ALL) && c.nargs == 0 && !(seen & SO_SELECT)) {
		rc = spool_usage_error(c.cmd, "spool %s: say which dead letters (or --all)",
		                       c.cmd->name);
		goto out;
	}
	if ((c.cmd->opts & SO_ALL) && c.nargs > 0) {
		ids = json_array();
		for (j = 0; j < c.nargs; j++)
			json_array_append_new(ids, json_string(c.args[j]));
		c.fval[F_IDS] = json_dumps(ids, JSON_COMPACT);
		json_decref(ids);
	}

	if ((cfg = cli_try_config(a->config, CONFIG_NEED_NONE)) == NULL) {
		rc = pd_err_exit(PD_ERR_CONFIG);
		goto out;
	}
	c.dir = xstrdup(cfg->spool_path);
	config_free(cfg);
	switch (spool_cli_open(&c)) {
	case PD_OK:
		rc = c.cmd->fn(&c);
		break;
	case PD_ERR_CONFIG:
		rc = pd_err_exit(PD_ERR_CONFIG);
		break;
	default:
		rc = c.db != NULL ? spool_db_error(&c) : pd_err_exit(PD_ERR_IO);
		break;
	}
out:
	fflush(stdout);
	spool_cli_free(&c);
	return rc;
}

const struct cli_entry cmd_spool_entry = {
    .name = "spool",
    .operands = "status|list|show|find|retry|purge [ARGS]",
    .summary = "inspect the spool and its dead letters: status, list, show, find, retry, purge",
    .options = spool_options,
    .max_operands = -1,
    .flags = CLI_OWN_HELP,
    .exec = spool_exec,
};
