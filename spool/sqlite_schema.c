/*
 * sqlite_schema.c: spool.db itself, for everything that opens it (the
 * daemon's spool, spool/sqlite_admin.c behind the spool CLI): the tables and their
 * indexes, the migrations from every older version, the repair run at
 * open, and the settings every connection shares.
 *
 * DESIGN
 * ------
 * Two tables hold the events: events, one small row per event with its
 * state, and payloads, the trigger payload under the same seq (apart, an
 * update of an event's state rewrites a fraction of a page, not its 2 KB
 * payload: sqlite.c). SQL triggers keep payloads in step with events (a
 * changed seq, a deleted row), so whoever moves or deletes events need not
 * know about payloads. meta holds named values (the sensor's cursor).
 * Partial indexes serve the queries of each state: pending by seq (the
 * forwarder), delivered by time (pruning) and by order key (the repair),
 * dead by seq (the CLI), and the transition key (sqlite_writer.c's twins).
 *
 * PRAGMA user_version is the schema version. A new database is created at
 * SPOOL_SCHEMA_VERSION under the write lock (another process may be
 * creating it too); an older one is migrated in one transaction, so a
 * crash leaves the old version or the new, never half. Versions 1 and 2
 * kept the payload in events, and the table is rebuilt rather than altered
 * (DROP COLUMN needs SQLite 3.35, older than some targets'), keeping
 * sqlite_sequence's high-water mark so that no seq is ever reused.
 */
#include <string.h>

#include <sqlite3.h>

#include "st2pd.h"

/* The events table's columns; the migration builds the same table under another name. */
#define SPOOL_EVENTS_COLUMNS                                                                       \
	"(seq INTEGER PRIMARY KEY AUTOINCREMENT,"                                                  \
	" event_id TEXT NOT NULL UNIQUE,"                                                          \
	" webhook_id TEXT UNIQUE,"                                                                 \
	" event_type TEXT,"                                                                        \
	" \"trigger\" TEXT,"                                                                       \
	" order_key TEXT,"                                                                         \
	" received_ms INTEGER NOT NULL,"                                                           \
	" state INTEGER NOT NULL DEFAULT 0," /* 0 pending, 1 delivered, 2 dead */                  \
	" attempts INTEGER NOT NULL DEFAULT 0,"                                                    \
	" next_attempt_ms INTEGER NOT NULL DEFAULT 0,"                                             \
	" delivered_ms INTEGER,"                                                                   \
	" dead_ms INTEGER,"                                                                        \
	" last_error TEXT,"                                                                        \
	" dead_reason TEXT,"                                                                       \
	" transition TEXT," /* version 5 */                                                        \
	" source TEXT)"

/* What version 4 added to version 3. */
#define SPOOL_SCHEMA_V4                                                                            \
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"                           \
	"CREATE INDEX events_delivered_key ON events (order_key, seq) WHERE state = 1;"            \
	"PRAGMA user_version = 4;"

/* What version 5 added to version 4, but for the two columns (see spool_migrate_v4). */
#define SPOOL_SCHEMA_V5                                                                            \
	"CREATE INDEX events_transition ON events (transition) WHERE transition IS NOT NULL;"      \
	"PRAGMA user_version = 5;"

/* Everything of the schema but the events table itself. */
#define SPOOL_SCHEMA_REST                                                                          \
	"CREATE TABLE payloads (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL);"                  \
	"CREATE INDEX events_pending ON events (seq) WHERE state = 0;"                             \
	"CREATE INDEX events_delivered ON events (delivered_ms) WHERE state = 1;"                  \
	"CREATE INDEX events_dead ON events (seq) WHERE state = 2;"                                \
	"CREATE TRIGGER payloads_move AFTER UPDATE OF seq ON events BEGIN"                         \
	" UPDATE payloads SET seq = new.seq WHERE seq = old.seq; END;"                             \
	"CREATE TRIGGER payloads_delete AFTER DELETE ON events BEGIN"                              \
	" DELETE FROM payloads WHERE seq = old.seq; END;"

/* The schema, version SPOOL_SCHEMA_VERSION (5). */
static const char spool_schema[] = "CREATE TABLE events " SPOOL_EVENTS_COLUMNS
                                   ";" SPOOL_SCHEMA_REST SPOOL_SCHEMA_V4 SPOOL_SCHEMA_V5;

/*
 * Version 4 is version 5 without the transition and source of each event
 * and their index. Rows from before have neither: they are told apart by
 * their ids only, as they were.
 */
static const char spool_migrate_v4[] = "ALTER TABLE events ADD COLUMN transition TEXT;"
                                       "ALTER TABLE events ADD COLUMN source TEXT;" SPOOL_SCHEMA_V5;

/*
 * The repair of sqlite_writer.c's DESIGN: pending events older than a delivered
 * one of their order key were delivered, their outcome lost with the process.
 */
static const char spool_repair[] =
    "UPDATE events SET state = 1, delivered_ms = ?1 WHERE seq IN (SELECT p.seq FROM events p"
    " INDEXED BY events_pending WHERE p.state = 0 AND EXISTS (SELECT 1 FROM events d INDEXED"
    " BY events_delivered_key WHERE d.state = 1 AND d.order_key = p.order_key AND"
    " d.seq > p.seq))";

/*
 * Version 3 is version 4 without the meta table and the index of the
 * repair. Versions 1 and 2 kept the payload in events (and version 1 had two more
 * indexes, for queries only an operator runs). The table is rebuilt rather
 * than altered: DROP COLUMN needs SQLite 3.35, older than some targets'.
 * sqlite_sequence keeps its high-water mark, so no seq is ever reused.
 */
static const char spool_migrate_v2[] =
    "CREATE TABLE events_v3 " SPOOL_EVENTS_COLUMNS ";"
    "INSERT INTO events_v3 (seq, event_id, webhook_id, event_type, \"trigger\", order_key,"
    " received_ms, state, attempts, next_attempt_ms, delivered_ms, dead_ms, last_error,"
    " dead_reason) SELECT seq, event_id, webhook_id, event_type, \"trigger\", order_key,"
    " received_ms, state, attempts, next_attempt_ms, delivered_ms, dead_ms, last_error,"
    " dead_reason FROM events;"
    "CREATE TEMP TABLE v3_payloads AS SELECT seq, payload FROM events;"
    "UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence"
    " WHERE name = 'events'), 0)) WHERE name = 'events_v3';"
    "DROP TABLE events;"
    "ALTER TABLE events_v3 RENAME TO events;" SPOOL_SCHEMA_REST
    "INSERT INTO payloads (seq, payload) SELECT seq, payload FROM temp.v3_payloads;"
    "DROP TABLE temp.v3_payloads;" SPOOL_SCHEMA_V4 SPOOL_SCHEMA_V5;

/*
 * Opens the spool.db at dbpath with what every connection shares: a busy timeout
 * (the daemon, the checkpointer and the spool CLI wait for each other's
 * write lock rather than fail) and extended result codes. create 0: the
 * database must exist (the CLI never makes one). -1 (logged) on error.
 */
int
sqlite_db_connect(const char *dbpath, int create, sqlite3 **db)
{
	/* Each connection is used by one thread at a time: no SQLite mutexes. */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);

	if (sqlite3_open_v2(dbpath, db, flags, NULL) != SQLITE_OK) {
		log_error("spool: cannot open %s: %s", dbpath,
		          *db != NULL ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, SPOOL_DB_BUSY_MS);
	sqlite3_extended_result_codes(*db, 1);
	return 0;
}

/* The PRAGMA that gives a connection the synchronous level durability asks for. */
const char *
sqlite_db_sync_sql(enum durability durability)
{
	return durability == DURABILITY_FSYNC ? "PRAGMA synchronous = FULL"
	                                      : "PRAGMA synchronous = NORMAL";
}

/* The schema version of an open database, or -1 (logged). */
int
sqlite_db_version(sqlite3 *db, const char *dbpath)
{
	int64_t v;

	return sqlite_db_int(db, dbpath, "PRAGMA user_version", &v) == 0 ? (int)v : -1;
}

/* Runs SQL with no result rows; logs and returns -1 on error. */
int
sqlite_db_exec(sqlite3 *db, const char *dbpath, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_error("spool: %s: %s", dbpath, err != NULL ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Runs a one-value query (a PRAGMA) into *out; -1 on error. */
int
sqlite_db_int(sqlite3 *db, const char *dbpath, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("spool: %s: %s", dbpath, sqlite3_errmsg(db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		log_error("spool: %s: %s", dbpath, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* A text column of the current row, copied: the daemon's reads and the CLI's alike. */
char *
sqlite_db_text(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	return v == NULL ? NULL : xstrndup((const char *)v, (size_t)sqlite3_column_bytes(st, col));
}

int
sqlite_db_prepare(sqlite3 *db, const char *dbpath, const char *const *sql, int n,
                  sqlite3_stmt **out)
{
	int i;

	for (i = 0; i < n; i++) {
		if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &out[i], NULL) !=
		    SQLITE_OK) {
			log_error("spool: %s: %s", dbpath, sqlite3_errmsg(db));
			return -1;
		}
	}
	return 0;
}

/*
 * The writer's connection at open: WAL mode, the synchronous level
 * durability asks for, and the schema, created when the database is new
 * and migrated from any older version.
 */
int
sqlite_db_setup(sqlite3 *db, const char *dbpath, enum durability durability)
{
	sqlite3_stmt *st;
	int64_t version = 0;
	int wal;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK) {
		log_error("spool: %s: %s", dbpath, sqlite3_errmsg(db));
		return -1;
	}
	wal = sqlite3_step(st) == SQLITE_ROW &&
	      strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (!wal) {
		log_error("spool: %s: cannot switch to WAL mode: %s", dbpath, sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite_db_exec(db, dbpath, sqlite_db_sync_sql(durability)) != 0)
		return -1;
	if (sqlite_db_int(db, dbpath, "PRAGMA user_version", &version) != 0)
		return -1;
	if (version == 0) {
		/* Another process may be creating it too: decide under the write lock. */
		if (sqlite_db_exec(db, dbpath, "BEGIN IMMEDIATE") != 0)
			return -1;
		if (sqlite_db_int(db, dbpath, "PRAGMA user_version", &version) != 0 ||
		    (version == 0 && sqlite_db_exec(db, dbpath, spool_schema) != 0) ||
		    sqlite_db_exec(db, dbpath, "COMMIT") != 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		version = SPOOL_SCHEMA_VERSION;
	}
	if (version >= 1 && version <= 4) {
		if (sqlite_db_exec(db, dbpath, "BEGIN IMMEDIATE") != 0)
			return -1;
		/* The v2 rebuild creates the current table; 3 and 4 are altered in steps. */
		if ((version <= 2 && sqlite_db_exec(db, dbpath, spool_migrate_v2) != 0) ||
		    (version == 3 && sqlite_db_exec(db, dbpath, SPOOL_SCHEMA_V4) != 0) ||
		    (version >= 3 && sqlite_db_exec(db, dbpath, spool_migrate_v4) != 0) ||
		    sqlite_db_exec(db, dbpath, "COMMIT") != 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_info("spool: %s: schema upgraded from version %lld to %d", dbpath,
		         (long long)version, SPOOL_SCHEMA_VERSION);
		version = SPOOL_SCHEMA_VERSION;
	}
	if (version != SPOOL_SCHEMA_VERSION) {
		log_error("spool: %s: schema version %lld, this binary knows %d", dbpath,
		          (long long)version, SPOOL_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

/* Marks delivered what the order promise says was (sqlite_writer.c's DESIGN); -1 on error. */
int
sqlite_db_repair(sqlite3 *db, const char *dbpath)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, spool_repair, -1, &st, NULL) != SQLITE_OK) {
		log_error("spool: %s: %s", dbpath, sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, now_ms());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_error("spool: %s: repair: %s", dbpath, sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_changes(db) > 0)
		log_warn("spool: %s: %d event(s) pending behind a delivered event of the same "
		         "incident: their delivery was recorded too late (the process stopped "
		         "while the spool could not be written); marked delivered, not sent again",
		         dbpath, sqlite3_changes(db));
	return 0;
}
