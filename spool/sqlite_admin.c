/*
 * sqlite_admin.c: what the `spool` command shows and changes, as the SQLite spool's own
 * queries: status, list, find, and retry or purge of dead letters. The
 * command (spool/cmd.c) parses and prints; it knows nothing of SQL, states
 * as numbers or tables, so the spool can change how it stores events
 * without it.
 *
 * DESIGN
 * ------
 * It opens spool.db with a connection of its own and plain transactions,
 * so it works whether serve is running or not: in WAL mode its reads never
 * block the daemon, and its writes wait (busy timeout) for the daemon's
 * commit in progress. The daemon notices the changes at its next recount,
 * and its forwarder picks retried events up on its next tick: a retried
 * dead letter gets a new seq above every other, since the forwarder reads
 * "pending with seq > the last it loaded". A selection (struct
 * spool_filter) becomes one WHERE clause: states are this file's constants
 * written into the SQL, everything an operator typed is a bound parameter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "st2pd.h"

struct sqlite_admin {
	char *dir;
	char *dbpath;
	sqlite3 *db;
};

static void sqlite_admin_close(void *);

/* A record's columns, in the order sqlite_admin_record() reads them. */
#define SPOOL_ADMIN_COLUMNS                                                                        \
	"seq, event_id, webhook_id, event_type, \"trigger\", order_key, state, received_ms, "      \
	"attempts, next_attempt_ms, delivered_ms, dead_ms, last_error, dead_reason, source, "      \
	"transition"

/* The current row of a record query; the payload when the query has it as column 16. */
static struct spool_event *
sqlite_admin_record(sqlite3_stmt *st, int with_payload)
{
	struct spool_event *ev = xcalloc(1, sizeof *ev);
	char *source;

	ev->seq = sqlite3_column_int64(st, 0);
	ev->event_id = sqlite_db_text(st, 1);
	ev->webhook_id = sqlite_db_text(st, 2);
	ev->event_type = sqlite_db_text(st, 3);
	ev->trigger = sqlite_db_text(st, 4);
	ev->order_key = sqlite_db_text(st, 5);
	ev->state = sqlite3_column_int(st, 6);
	ev->received_ms = sqlite3_column_int64(st, 7);
	ev->attempts = sqlite3_column_int(st, 8);
	ev->next_attempt_ms = sqlite3_column_int64(st, 9);
	ev->delivered_ms = sqlite3_column_int64(st, 10);
	ev->dead_ms = sqlite3_column_int64(st, 11);
	ev->last_error = sqlite_db_text(st, 12);
	ev->dead_reason = sqlite_db_text(st, 13);
	source = sqlite_db_text(st, 14);
	ev->polled = source == NULL ? -1 : strcmp(source, "poll") == 0;
	free(source);
	ev->transition = sqlite_db_text(st, 15);
	if (with_payload) {
		ev->payload = sqlite_db_text(st, 16);
		ev->payload_len = ev->payload != NULL ? strlen(ev->payload) : 0;
	}
	return ev;
}

/* Opens an existing spool at spool.path; the CLI never creates one. */
static enum pd_err
sqlite_admin_open(const struct pd_config *cfg, void **out)
{
	struct sqlite_admin *a = xcalloc(1, sizeof *a);
	const char *dir = cfg->spool_path;

	a->dir = xstrdup(dir);
	struct stat st;
	int version;

	*out = NULL;
	a->dbpath = xasprintf("%s/%s", dir, SPOOL_DB_FILE);
	if (stat(a->dbpath, &st) != 0) {
		if (errno == ENOENT)
			log_error("spool: no spool database at %s (serve has not run with this "
			          "spool.path yet)",
			          a->dbpath);
		else
			log_error("spool: %s: %s", a->dbpath, strerror(errno));
		sqlite_admin_close(a);
		return PD_ERR_IO;
	}
	if (sqlite_db_connect(a->dbpath, 0, &a->db) != 0) {
		sqlite_admin_close(a);
		return PD_ERR_IO;
	}
	sqlite3_busy_timeout(a->db, SPOOL_ADMIN_BUSY_MS);
	if ((version = sqlite_db_version(a->db, a->dbpath)) != SPOOL_SCHEMA_VERSION) {
		if (version >= 0)
			log_error("spool: %s: schema version %d, expected %d (start serve once to "
			          "upgrade it)",
			          a->dbpath, version, SPOOL_SCHEMA_VERSION);
		sqlite_admin_close(a);
		return version >= 0 ? PD_ERR_CONFIG : PD_ERR_IO;
	}
	*out = a;
	return PD_OK;
}

static void
sqlite_admin_close(void *arg)
{
	struct sqlite_admin *a = arg;
	if (a == NULL)
		return;
	sqlite3_close(a->db);
	free(a->dbpath);
	free(a->dir);
	free(a);
}

/* Logs the database's last error and returns the I/O error. */
static enum pd_err
sqlite_admin_fail(struct sqlite_admin *a)
{
	log_error("spool: %s: %s", a->dbpath, sqlite3_errmsg(a->db));
	return PD_ERR_IO;
}

/* Binds what the selection's conditions use. */
static void
sqlite_admin_bind(sqlite3_stmt *st, const struct spool_filter *f)
{
	json_t *ids;
	char *text;
	int idx;

	if ((idx = sqlite3_bind_parameter_index(st, ":incident")) != 0)
		sqlite3_bind_text(st, idx, f->incident, -1, SQLITE_TRANSIENT);
	if ((idx = sqlite3_bind_parameter_index(st, ":type")) != 0)
		sqlite3_bind_text(st, idx, f->type, -1, SQLITE_TRANSIENT);
	if ((idx = sqlite3_bind_parameter_index(st, ":older")) != 0)
		sqlite3_bind_int64(st, idx, f->older_ms);
	if ((idx = sqlite3_bind_parameter_index(st, ":newer")) != 0)
		sqlite3_bind_int64(st, idx, f->newer_ms);
	if ((idx = sqlite3_bind_parameter_index(st, ":ids")) != 0) {
		ids = json_array();
		for (size_t i = 0; f->ids[i] != NULL; i++)
			json_array_append_new(ids, json_string(f->ids[i]));
		text = json_dumps(ids, JSON_COMPACT);
		json_decref(ids);
		sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT);
		free(text);
	}
	/* One more than asked, to tell "exactly N" from "more than N". */
	if ((idx = sqlite3_bind_parameter_index(st, ":limit")) != 0)
		sqlite3_bind_int64(st, idx, f->limit > 0 ? (int64_t)f->limit + 1 : -1);
}

/* Prepares "head WHERE <states and filters> tail", bound; NULL on error. */
static sqlite3_stmt *
sqlite_admin_select(struct sqlite_admin *a, const char *head, int states,
                    const struct spool_filter *f, const char *tail)
{
	/* The filters of the selection, as the conditions the WHERE clause adds if set. */
	const struct {
		const char *clause;
		int set;
	} conds[] = {
	    {"order_key = 'incident:' || :incident", f->incident != NULL},
	    {"event_type = :type", f->type != NULL},
	    {"received_ms < :older", f->older_ms != 0},
	    {"received_ms >= :newer", f->newer_ms != 0},
	    {"event_id IN (SELECT value FROM json_each(:ids))", f->ids != NULL},
	};
	sqlite3_stmt *st = NULL;
	char *where = NULL, *t;
	size_t i;
	int s;

	/* States are this file's constants, never user text: written into the SQL. */
	for (s = SPOOL_PENDING; s <= SPOOL_DEAD; s++) {
		if (!(states & (1 << s)))
			continue;
		t = where == NULL ? xasprintf("state IN (%d", s) : xasprintf("%s, %d", where, s);
		free(where);
		where = t;
	}
	t = xasprintf("%s)", where != NULL ? where : "state IN (");
	free(where);
	where = t;
	for (i = 0; i < sizeof conds / sizeof conds[0]; i++) {
		if (!conds[i].set)
			continue;
		t = xasprintf("%s AND %s", where, conds[i].clause);
		free(where);
		where = t;
	}
	t = xasprintf("%s WHERE %s %s", head, where, tail);
	if (sqlite3_prepare_v2(a->db, t, -1, &st, NULL) == SQLITE_OK)
		sqlite_admin_bind(st, f);
	free(where);
	free(t);
	return st;
}

/* Bytes the spool takes on disk: the database, its WAL and shared memory. */
static int64_t
sqlite_admin_size(struct sqlite_admin *a)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	struct stat st;
	int64_t total = 0;
	char *p;
	size_t i;

	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		p = xasprintf("%s%s", a->dbpath, suffixes[i]);
		if (stat(p, &st) == 0)
			total += (int64_t)st.st_size;
		free(p);
	}
	return total;
}

/* Pending and the oldest's arrival, deliveries of the last day, dead letters by reason. */
static enum pd_err
sqlite_admin_status(void *arg, int64_t now, struct spool_status *out)
{
	struct sqlite_admin *a = arg;
	sqlite3_stmt *st;
	struct spool_reason *r;
	int rc;

	memset(out, 0, sizeof *out);
	out->size_bytes = sqlite_admin_size(a);
	if (sqlite3_prepare_v2(
	        a->db,
	        "SELECT (SELECT count(*) FROM events WHERE state = 0), "
	        "(SELECT coalesce(min(received_ms), 0) FROM events WHERE state = 0), "
	        "(SELECT count(*) FROM events WHERE state = 1 AND delivered_ms >= ?1), "
	        "(SELECT count(*) FROM events WHERE state = 2)",
	        -1, &st, NULL) != SQLITE_OK)
		return sqlite_admin_fail(a);
	sqlite3_bind_int64(st, 1, now - SPOOL_STATUS_DAY_MS);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->pending = sqlite3_column_int64(st, 0);
		out->oldest_pending_ms = sqlite3_column_int64(st, 1);
		out->delivered_24h = sqlite3_column_int64(st, 2);
		out->dead = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW ||
	    sqlite3_prepare_v2(a->db,
	                       "SELECT coalesce(dead_reason, '(no reason)'), count(*) FROM events "
	                       "WHERE state = 2 GROUP BY 1 ORDER BY 2 DESC, 1",
	                       -1, &st, NULL) != SQLITE_OK)
		return sqlite_admin_fail(a);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->reasons = xreallocarray(out->reasons, out->nreasons + 1, sizeof *out->reasons);
		r = &out->reasons[out->nreasons++];
		r->reason = sqlite_db_text(st, 0);
		r->count = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? PD_OK : sqlite_admin_fail(a);
}

/* The events a selection matches, in seq order; *more when the limit cut the list. */
static enum pd_err
sqlite_admin_list(void *arg, const struct spool_filter *f, struct spool_event ***out, size_t *n,
                  int *more)
{
	struct sqlite_admin *a = arg;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	*n = 0;
	*more = 0;
	st = sqlite_admin_select(a, "SELECT " SPOOL_ADMIN_COLUMNS " FROM events", f->states, f,
	                         "ORDER BY seq LIMIT :limit");
	if (st == NULL)
		return sqlite_admin_fail(a);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (f->limit > 0 && (long)*n == f->limit) {
			*more = 1;
			break;
		}
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[(*n)++] = sqlite_admin_record(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? PD_OK : sqlite_admin_fail(a);
}

/* The event of an event id or X-Webhook-Id, in any state; *out NULL when there is none. */
static enum pd_err
sqlite_admin_find(void *arg, const char *id, int with_payload, struct spool_event **out)
{
	struct sqlite_admin *a = arg;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	if (sqlite3_prepare_v2(a->db,
	                       "SELECT " SPOOL_ADMIN_COLUMNS ", " SPOOL_PAYLOAD_SQL " FROM events "
	                       "WHERE event_id = ?1 OR webhook_id = ?1 LIMIT 1",
	                       -1, &st, NULL) != SQLITE_OK)
		return sqlite_admin_fail(a);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite_admin_record(st, with_payload);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? PD_OK : sqlite_admin_fail(a);
}

/*
 * Dead letters back to pending, in their order, each with a new seq above
 * every seq ever used and a fresh attempt count. The dead reason becomes
 * the last error, so that `spool find` still says why it had died.
 */
static enum pd_err
sqlite_admin_retry(void *arg, const struct spool_filter *f, size_t *n)
{
	struct sqlite_admin *a = arg;
	sqlite3_stmt *sel = NULL, *upd = NULL, *seqst = NULL;
	int64_t *seqs = NULL, next = 0;
	size_t i;
	int ok, rc = SQLITE_DONE;

	*n = 0;
	ok = sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
	if (ok)
		ok = (sel = sqlite_admin_select(a, "SELECT seq FROM events", 1 << SPOOL_DEAD, f,
		                                "ORDER BY seq")) != NULL;
	while (ok && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		seqs = xreallocarray(seqs, *n + 1, sizeof *seqs);
		seqs[(*n)++] = sqlite3_column_int64(sel, 0);
	}
	ok = ok && rc == SQLITE_DONE;
	ok =
	    ok && sqlite_db_int(a->db, a->dbpath,
	                        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE "
	                        "name = 'events'), 0), coalesce((SELECT max(seq) FROM events), 0))",
	                        &next) == 0;
	ok = ok &&
	     sqlite3_prepare_v2(a->db,
	                        "UPDATE events SET seq = ?1, state = 0, attempts = 0, "
	                        "next_attempt_ms = 0, last_error = coalesce(dead_reason, "
	                        "last_error), dead_ms = NULL, dead_reason = NULL WHERE seq = ?2",
	                        -1, &upd, NULL) == SQLITE_OK;
	for (i = 0; ok && i < *n; i++) {
		sqlite3_bind_int64(upd, 1, ++next);
		sqlite3_bind_int64(upd, 2, seqs[i]);
		ok = sqlite3_step(upd) == SQLITE_DONE;
		sqlite3_reset(upd);
	}
	/* AUTOINCREMENT must never hand out these seqs again, even after a purge. */
	ok = ok && (*n == 0 || (sqlite3_prepare_v2(a->db,
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
		ok = sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	if (!ok) {
		sqlite_admin_fail(a);
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
		*n = 0;
		return PD_ERR_IO;
	}
	return PD_OK;
}

/* Deletes the dead letters a selection matches (never pending or delivered events). */
static enum pd_err
sqlite_admin_purge(void *arg, const struct spool_filter *f, size_t *n)
{
	struct sqlite_admin *a = arg;
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((st = sqlite_admin_select(a, "DELETE FROM events", 1 << SPOOL_DEAD, f, "")) == NULL)
		return sqlite_admin_fail(a);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_admin_fail(a);
	*n = (size_t)sqlite3_changes(a->db);
	return PD_OK;
}

/* Where the spool is, for the command's status line: its directory. */
static const char *
sqlite_admin_where(void *arg)
{
	struct sqlite_admin *a = arg;

	return a->dir;
}

/* The SQLite backend's half for the spool command (spool/sqlite.c has the daemon's). */
const struct spool_admin_backend spool_sqlite_admin = {
    .open = sqlite_admin_open,
    .close = sqlite_admin_close,
    .where = sqlite_admin_where,
    .status = sqlite_admin_status,
    .list = sqlite_admin_list,
    .find = sqlite_admin_find,
    .retry = sqlite_admin_retry,
    .purge = sqlite_admin_purge,
};
