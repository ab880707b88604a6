/*
 * sqlite.c: the spool's SQLite backend, the default: one host, one file
 * (spool.db in spool.path), nothing else to run. An event is answered 202
 * only once it is committed here; the forwarder reads pending events back
 * and records their fate (spool/spool.c is the interface it does that
 * through, whatever the backend).
 *
 * DESIGN
 *
 * Storage is one SQLite database, spool.db, in the directory spool.path, in
 * WAL mode. A commit appends the transaction to the WAL; with durability
 * "fsync" (synchronous=FULL) the WAL is fsynced before the commit returns,
 * so an acknowledged event survives power loss; with "os"
 * (synchronous=NORMAL) it is in the page cache and survives kill -9 of the
 * process but not a kernel crash. Recovery is SQLite's: on open, a
 * transaction whose commit frame is in the WAL is kept and a half-written
 * one is ignored, so a kill at any instant loses nothing committed and
 * leaves no debris to clean up (no temp files, unlike a file-per-event
 * spool).
 *
 * Two tables (spool/schema.c): events, one small row per event with its state, and payloads,
 * the trigger payload under the same seq. Delivery updates an event's row,
 * and with the ~2 KB payload beside it every update rewrote the payload's
 * page into the WAL as well; apart, a page of events holds dozens of rows
 * and an update costs a fraction of a page. SQL triggers keep payloads in
 * step with events (a changed seq, a deleted row), so the CLI and the
 * pruning need not know about the second table. seq is AUTOINCREMENT, never
 * reused: the forwarder reads "pending with seq > last seen", and `spool
 * retry` moves a dead letter to a new, highest seq (bumping
 * sqlite_sequence). event_id and webhook_id are UNIQUE and inserts are ON
 * CONFLICT DO NOTHING, so a redelivered webhook changes no row and is
 * reported as a duplicate. Delivered rows are kept SPOOL_KEEP_DELIVERED_MS
 * (7 days, longer than PagerDuty's 48 h of retries) for dedup and for
 * `spool find`, then pruned in bounded passes; dead letters stay until
 * purged; pending rows are never removed.
 *
 * Threads: the event loop never waits for the disk. sqlite_spool_submit() and the
 * delivery outcomes append an op to a mutex-protected queue and signal the
 * writer thread, which takes everything queued and commits it as ONE
 * transaction: while one fsync runs, new submissions pile up and share the
 * next (group commit). A transaction holding only delivery outcomes is
 * committed without its own fsync (synchronous=NORMAL for that commit): it
 * survives a crash of the process, and the next fsync of a submission
 * covers it; only a power cut in between can undo it, and then the event is
 * sent once more, which at-least-once delivery allows anyway. Results go to
 * a done list and event_active() on an event of the loop's base wakes the
 * loop, which runs the callbacks (libevent must be thread-enabled with
 * evthread_use_pthreads() before the base is created). Right after the
 * commit, the writer also hands the newly inserted events themselves to the
 * notify callback (the forwarder), so that the common case never reads back
 * what it has just written. The writer owns one connection; readers
 * (sqlite_spool_fetch from the forwarder's thread, spool_stats from the loop)
 * share a second one under a mutex, and WAL readers and the writer do not
 * block each other.
 *
 * Checkpoints (copying the WAL back into spool.db) run on a thread of their
 * own, with their own connection. SQLite's default runs them inside the
 * commit that crosses 1000 WAL pages, so every few hundred events one
 * submission waited for 4 MB to be copied and the database fsynced: that
 * was most of the receiver's p99. A passive checkpoint works beside the
 * writer, which keeps appending; the writer asks for one every
 * SPOOL_WAL_PAGES new pages. The WAL starts over from its top only when a
 * commit finds it copied to its end, which a busy writer never allows a
 * concurrent checkpointer; so past SPOOL_WAL_CHASE_PAGES the checkpointer
 * passes back to back, and at SPOOL_WAL_MAX_PAGES (64 MB) the writer runs
 * one pass itself. That pass copies only what came since the checkpointer's
 * last one, a millisecond or so, and the WAL restarts.
 *
 * Capacity and stats use in-memory counters of pending, dead and delivered
 * rows, counted at open, moved by the writer's own commits and recounted
 * every SPOOL_HOUSEKEEP_MS (with a prune pass) so that changes made by the
 * spool CLI from another process show up. A submission is refused at once
 * when pending + dead + queued reaches max_events; delivered rows do not
 * count, they age out.
 *
 * Faults (a full disk, an I/O error): a failed transaction is rolled back.
 * Its submissions get PD_ERR_SPOOL_IO (the receiver answers 503 and
 * PagerDuty retries), and the spool reports unwritable. Its delivery
 * outcomes are kept and tried again with the next batch, no sooner than
 * SPOOL_RETRY_MS later: a delivered event whose outcome was lost would
 * stay pending and be sent again. While the spool is unwritable and has
 * nothing to commit, the writer writes a probe row every SPOOL_RETRY_MS,
 * so that /healthz recovers by itself once the fault clears, without
 * waiting for a webhook that a load balancer would never route to it.
 * Outcomes still held when the process dies are lost after all; the rows
 * stay pending, and sqlite_spool_open() repairs the one case that would break the
 * order promise: a pending event older than a delivered one of the same
 * order key must have been delivered first (the forwarder keeps a key in
 * order), so it is marked delivered rather than sent again after the newer
 * one.
 *
 * The meta table holds small named values that must survive restarts and
 * move with the events, like the sensor's cursor: sqlite_spool_meta_set() goes
 * through the same queue and transaction as the events queued before it.
 *
 * One transition, two ways (schema 5). With poll.mode backfill the same
 * incident transition can arrive as a webhook and as a polled log entry,
 * under different event ids; INTERFACE.md says it is emitted once. Each
 * event about an incident carries its transition key (incident id, event
 * type, time to the second; triggers/payload.c) and its source, and the
 * writer counts, in the same transaction as the insert, the rows of that
 * key from each source. An arrival that is its source's n-th of the key
 * while the other source already has n or more is the other's twin: it is
 * stored as a row already delivered, with no order key, no payload and a
 * note in last_error, and reported as a duplicate (the receiver answers
 * 202, the poller counts it skipped). Counting rather than "any row of the
 * other source" lets two events of one second through when they are two
 * (two notes in the same second: two webhooks, both emitted; their two
 * log entries then find two webhooks and are both twins), and a log entry
 * whose note the webhooks lost still gets through. Storing the twin keeps
 * its id, so a log entry read again after a restart is a duplicate by id,
 * not counted again; it ages out with the delivered rows. The twin has no
 * order key so that the repair above never takes it for a delivery of its
 * incident. Two arrivals of one source are never twins: the rule is about
 * the two ways, not about PagerDuty sending one webhook twice (that is the
 * event id's business).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "st2pd.h"

#define SPOOL_HOUSEKEEP_MS    10000
#define SPOOL_PRUNE_BATCH     1000
#define SPOOL_WAL_PAGES       1000  /* wake the checkpointer (SQLite's own default) */
#define SPOOL_WAL_CHASE_PAGES 4000  /* the checkpointer passes back to back (16 MB) */
#define SPOOL_WAL_MAX_PAGES   16000 /* the writer checkpoints itself: 64 MB of 4 KB pages */
#define SPOOL_RETRY_MS        1000  /* after a failed commit: next try or probe */

enum sqlite_op_type { OP_SUBMIT = 0, OP_DELIVERED, OP_RETRY, OP_DEAD, OP_PRUNE, OP_META, OP_PROBE };

/* One queued write; submissions travel back to the loop with their result. */
struct sqlite_op {
	enum sqlite_op_type type;
	struct spool_event *ev; /* OP_SUBMIT */
	spool_commit_cb *cb;
	void *arg;
	int64_t seq;
	int attempts;
	int64_t ms; /* next attempt, time of the outcome, or prune cutoff */
	char *text; /* last error or dead reason; OP_META: the value */
	char *key;  /* OP_META */
	enum pd_err result;
	int duplicate;
	struct sqlite_op *next;
};

struct sqlite_oplist {
	struct sqlite_op *head;
	struct sqlite_op **tail;
};

/* Writer statements, prepared once at open (indexes into spool->ws). */
enum sqlite_wstmt {
	WS_BEGIN = 0,
	WS_COMMIT,
	WS_ROLLBACK,
	WS_INSERT,
	WS_INSERT_PAYLOAD,
	WS_DELIVERED,
	WS_RETRY,
	WS_DEAD,
	WS_PRUNE,
	WS_COUNT,
	WS_SYNC_FULL,
	WS_SYNC_NORMAL,
	WS_META,
	WS_PROBE,
	WS_TWINS,
	WS_MAX
};
static const char *const sqlite_wsql[WS_MAX] = {
    [WS_BEGIN] = "BEGIN IMMEDIATE",
    [WS_COMMIT] = "COMMIT",
    [WS_ROLLBACK] = "ROLLBACK",
    [WS_INSERT] = "INSERT INTO events (event_id, webhook_id, event_type, \"trigger\", "
                  "order_key, received_ms, transition, source, state, delivered_ms, "
                  "last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                  "ON CONFLICT DO NOTHING",
    [WS_INSERT_PAYLOAD] = "INSERT INTO payloads (seq, payload) VALUES (?1, ?2)",
    [WS_DELIVERED] = "UPDATE events SET state = 1, delivered_ms = ?2, attempts = attempts + 1, "
                     "next_attempt_ms = 0 WHERE seq = ?1 AND state = 0",
    [WS_RETRY] = "UPDATE events SET attempts = ?2, next_attempt_ms = ?3, last_error = ?4 "
                 "WHERE seq = ?1 AND state = 0",
    [WS_DEAD] = "UPDATE events SET state = 2, attempts = ?2, dead_ms = ?3, dead_reason = ?4, "
                "next_attempt_ms = 0 WHERE seq = ?1 AND state = 0",
    [WS_PRUNE] = "DELETE FROM events WHERE seq IN (SELECT seq FROM events INDEXED BY "
                 "events_delivered WHERE state = 1 AND delivered_ms < ?1 LIMIT ?2)",
    /* Each count reads only its partial index: never the whole table, which holds payloads. */
    [WS_COUNT] = "SELECT (SELECT count(*) FROM events INDEXED BY events_pending WHERE state = 0), "
                 "(SELECT count(*) FROM events INDEXED BY events_delivered WHERE state = 1), "
                 "(SELECT count(*) FROM events INDEXED BY events_dead WHERE state = 2)",
    [WS_SYNC_FULL] = "PRAGMA synchronous = FULL",
    [WS_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
    [WS_META] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    /* A real page write, so that success says the disk takes writes again. */
    [WS_PROBE] = "INSERT INTO meta (key, value) VALUES ('spool.probe', ?1) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    /* Rows of a transition from source ?2, and from the other source. */
    [WS_TWINS] = "SELECT coalesce(sum(source = ?2), 0), coalesce(sum(source <> ?2), 0) "
                 "FROM events INDEXED BY events_transition WHERE transition = ?1",
};

/* Reader statements, loop thread only (indexes into spool->rs). */
enum sqlite_rstmt { RS_FETCH = 0, RS_OLDEST, RS_META, RS_MAX };
static const char *const sqlite_rsql[RS_MAX] = {
    [RS_FETCH] =
        "SELECT seq, event_id, webhook_id, event_type, \"trigger\", order_key, " SPOOL_PAYLOAD_SQL
        ", received_ms, state, attempts, next_attempt_ms, delivered_ms, "
        "last_error, dead_reason FROM events INDEXED BY events_pending "
        "WHERE state = 0 AND seq > ?1 ORDER BY seq LIMIT ?2",
    /* The lowest pending seq: its arrival is the oldest but for a retried dead letter. */
    [RS_OLDEST] = "SELECT received_ms FROM events INDEXED BY events_pending WHERE state = 0 "
                  "ORDER BY seq LIMIT 1",
    [RS_META] = "SELECT value FROM meta WHERE key = ?1",
};

struct sqlite_spool {
	char *dir;
	char *dbpath;
	enum durability durability;
	int sync_relaxed; /* the writer's synchronous is NORMAL for an outcomes-only commit */
	long max_events;
	sqlite3 *wdb; /* writer thread once started; open and close otherwise */
	sqlite3 *rdb; /* loop thread */
	sqlite3_stmt *ws[WS_MAX];
	sqlite3_stmt *rs[RS_MAX];

	struct event_base *base;
	struct event *done_ev;
	spool_notify_cb *notify;
	void *notify_arg;
	pthread_t writer;
	int started;
	sqlite3 *cdb; /* checkpointer thread */
	pthread_t checkpointer;
	int checkpointing;             /* the checkpointer thread runs */
	int wal_mark;                  /* WAL size at the last checkpoint request (writer thread) */
	struct sqlite_oplist retained; /* outcomes of failed commits (writer thread) */
	int64_t retry_due;             /* no batch before this (mono ms), after a failure */

	/* Everything below is guarded by mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sqlite_oplist queue;
	struct sqlite_oplist done;
	int64_t queued; /* submissions queued or in the running batch */
	int64_t pending, dead, delivered;
	int closing;
	int commit_ok;
	int wal_full;       /* the WAL passed SPOOL_WAL_PAGES: a checkpoint is due */
	pthread_cond_t ccv; /* the checkpointer waits on it */

	/* The read connection serves the forwarder's thread and the loop's stats. */
	pthread_mutex_t rmu;
};

/* Counter changes of one transaction, applied once it has committed. */
struct sqlite_delta {
	int64_t pending, dead, delivered;
};

static void sqlite_queue_op(struct sqlite_spool *, struct sqlite_op *);

/* Empties an op list. */
static void
oplist_init(struct sqlite_oplist *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

/* Appends one op. */
static void
oplist_add(struct sqlite_oplist *l, struct sqlite_op *op)
{
	op->next = NULL;
	*l->tail = op;
	l->tail = &op->next;
}

/* Takes the whole list, leaving it empty: the writer's and loop's hand-off. */
static struct sqlite_op *
oplist_take(struct sqlite_oplist *l)
{
	struct sqlite_op *head = l->head;

	oplist_init(l);
	return head;
}

/* Frees an op and what it still owns. */
static void
sqlite_op_free(struct sqlite_op *op)
{
	spool_event_free(op->ev);
	free(op->text);
	free(op->key);
	free(op);
}

/* Prepares every statement once: they are reused on the hot path. */
static int
sqlite_prepare(struct sqlite_spool *s)
{
	int i;

	for (i = 0; i < WS_MAX; i++) {
		if (sqlite3_prepare_v3(s->wdb, sqlite_wsql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                       &s->ws[i], NULL) != SQLITE_OK) {
			log_error("spool: %s: %s", s->dbpath, sqlite3_errmsg(s->wdb));
			return -1;
		}
	}
	for (i = 0; i < RS_MAX; i++) {
		if (sqlite3_prepare_v3(s->rdb, sqlite_rsql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                       &s->rs[i], NULL) != SQLITE_OK) {
			log_error("spool: %s: %s", s->dbpath, sqlite3_errmsg(s->rdb));
			return -1;
		}
	}
	return 0;
}

/* Recounts rows by state from the database (writer connection). */
static int
sqlite_recount(struct sqlite_spool *s)
{
	sqlite3_stmt *st = s->ws[WS_COUNT];
	int64_t n[3] = {0, 0, 0};
	int rc, state;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (state = 0; state < 3; state++)
			n[state] = sqlite3_column_int64(st, state);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_error("spool: %s: counting: %s", s->dbpath, sqlite3_errmsg(s->wdb));
		return -1;
	}
	pthread_mutex_lock(&s->mu);
	s->pending = n[SPOOL_PENDING];
	s->delivered = n[SPOOL_DELIVERED];
	s->dead = n[SPOOL_DEAD];
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* Frees everything sqlite_spool_open may have built. */
static void
sqlite_destroy(struct sqlite_spool *s)
{
	int i;

	for (i = 0; i < WS_MAX; i++)
		sqlite3_finalize(s->ws[i]);
	for (i = 0; i < RS_MAX; i++)
		sqlite3_finalize(s->rs[i]);
	sqlite3_close(s->rdb);
	sqlite3_close(s->cdb);
	sqlite3_close(s->wdb);
	if (s->done_ev != NULL)
		event_free(s->done_ev);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->ccv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->rmu);
	free(s->dbpath);
	free(s->dir);
	free(s);
}

/* Opens (creating if needed) the spool in directory path and recovers it. */
enum pd_err
sqlite_spool_open(const char *path, enum durability durability, long max_events,
                  struct sqlite_spool **out)
{
	struct sqlite_spool *s = xcalloc(1, sizeof *s);
	pthread_condattr_t ca;

	*out = NULL;
	s->dir = xstrdup(path);
	s->dbpath = xasprintf("%s/%s", path, SPOOL_DB_FILE);
	s->durability = durability;
	s->max_events = max_events;
	s->commit_ok = 1;
	oplist_init(&s->queue);
	oplist_init(&s->done);
	oplist_init(&s->retained);
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->rmu, NULL);
	/* The writer's housekeeping timer must not jump with the wall clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&s->ccv, NULL);

	if (mkdirs(path, 0750) != 0) {
		log_error("spool: cannot create directory %s: %s", path, strerror(errno));
		goto fail;
	}
	if (sqlite_db_connect(s->dbpath, 1, &s->wdb) != 0 ||
	    sqlite_db_setup(s->wdb, s->dbpath, s->durability) != 0 ||
	    sqlite_db_repair(s->wdb, s->dbpath) != 0 ||
	    sqlite_db_connect(s->dbpath, 1, &s->rdb) != 0 || sqlite_prepare(s) != 0 ||
	    sqlite_recount(s) != 0)
		goto fail;
	log_debug("spool: opened %s: %lld pending, %lld dead, %lld delivered", s->dbpath,
	          (long long)s->pending, (long long)s->dead, (long long)s->delivered);
	*out = s;
	return PD_OK;

fail:
	sqlite_destroy(s);
	return PD_ERR_SPOOL_IO;
}

/* Steps a writer statement that returns no rows, then resets it. */
static int
sqlite_wstep(struct sqlite_spool *s, enum sqlite_wstmt which)
{
	sqlite3_stmt *st = s->ws[which];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Binds a string, or NULL; the op outlives the step, so no copy. */
static void
sqlite_bind_text(sqlite3_stmt *st, int i, const char *v, size_t len)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text64(st, i, v, len, SQLITE_STATIC, SQLITE_UTF8);
}

/* Binds an optional C string. */
static void
sqlite_bind_str(sqlite3_stmt *st, int i, const char *v)
{
	sqlite_bind_text(st, i, v, v == NULL ? 0 : strlen(v));
}

/*
 * Whether ev is the twin of events from the other source (see DESIGN):
 * 1 or 0 in *twin; -1 on a database error.
 */
static int
sqlite_twin(struct sqlite_spool *s, const struct spool_event *ev, int *twin)
{
	sqlite3_stmt *st = s->ws[WS_TWINS];
	int64_t mine = 0, other = 0;
	int rc;

	sqlite_bind_str(st, 1, ev->transition);
	sqlite_bind_str(st, 2, ev->polled ? "poll" : "webhook");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mine = sqlite3_column_int64(st, 0);
		other = sqlite3_column_int64(st, 1);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	/* This arrival is its source's (mine + 1)-th of the transition. */
	*twin = other > mine;
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Applies one op inside the batch's transaction, recording counter changes. */
static int
sqlite_apply(struct sqlite_spool *s, struct sqlite_op *op, struct sqlite_delta *d)
{
	struct spool_event *ev = op->ev;
	sqlite3_stmt *st;
	int changed, twin = 0;

	switch (op->type) {
	case OP_SUBMIT:
		if (ev->transition != NULL && sqlite_twin(s, ev, &twin) != 0)
			return -1;
		st = s->ws[WS_INSERT];
		sqlite_bind_str(st, 1, ev->event_id);
		sqlite_bind_str(st, 2, ev->webhook_id);
		sqlite_bind_str(st, 3, ev->event_type);
		sqlite_bind_str(st, 4, ev->trigger);
		sqlite_bind_str(st, 5, twin ? NULL : ev->order_key);
		sqlite3_bind_int64(st, 6, ev->received_ms);
		sqlite_bind_str(st, 7, ev->transition);
		sqlite_bind_str(st, 8, ev->polled ? "poll" : "webhook");
		sqlite3_bind_int(st, 9, twin ? SPOOL_DELIVERED : SPOOL_PENDING);
		if (twin) {
			sqlite3_bind_int64(st, 10, ev->received_ms);
			sqlite_bind_str(st, 11,
			                ev->polled ? SPOOL_TWIN_OF_WEBHOOK : SPOOL_TWIN_OF_POLL);
		}
		if (sqlite_wstep(s, WS_INSERT) != 0)
			return -1;
		/* Refused by an id: nothing changed. A twin is stored, but not sent. */
		op->duplicate = sqlite3_changes(s->wdb) == 0 || twin;
		if (twin && sqlite3_changes(s->wdb) > 0)
			d->delivered++;
		if (op->duplicate)
			return 0;
		ev->seq = sqlite3_last_insert_rowid(s->wdb);
		st = s->ws[WS_INSERT_PAYLOAD];
		sqlite3_bind_int64(st, 1, ev->seq);
		sqlite_bind_text(st, 2, ev->payload, ev->payload_len);
		if (sqlite_wstep(s, WS_INSERT_PAYLOAD) != 0)
			return -1;
		d->pending++;
		return 0;
	case OP_DELIVERED:
		st = s->ws[WS_DELIVERED];
		sqlite3_bind_int64(st, 1, op->seq);
		sqlite3_bind_int64(st, 2, op->ms);
		break;
	case OP_RETRY:
		st = s->ws[WS_RETRY];
		sqlite3_bind_int64(st, 1, op->seq);
		sqlite3_bind_int(st, 2, op->attempts);
		sqlite3_bind_int64(st, 3, op->ms);
		sqlite_bind_str(st, 4, op->text);
		return sqlite_wstep(s, WS_RETRY);
	case OP_DEAD:
		st = s->ws[WS_DEAD];
		sqlite3_bind_int64(st, 1, op->seq);
		sqlite3_bind_int(st, 2, op->attempts);
		sqlite3_bind_int64(st, 3, op->ms);
		sqlite_bind_str(st, 4, op->text);
		break;
	case OP_PRUNE:
		st = s->ws[WS_PRUNE];
		sqlite3_bind_int64(st, 1, op->ms);
		sqlite3_bind_int(st, 2, SPOOL_PRUNE_BATCH);
		if (sqlite_wstep(s, WS_PRUNE) != 0)
			return -1;
		d->delivered -= sqlite3_changes(s->wdb);
		return 0;
	case OP_META:
		st = s->ws[WS_META];
		sqlite_bind_str(st, 1, op->key);
		sqlite_bind_str(st, 2, op->text);
		return sqlite_wstep(s, WS_META);
	case OP_PROBE:
		sqlite3_bind_int64(s->ws[WS_PROBE], 1, op->ms);
		return sqlite_wstep(s, WS_PROBE);
	default:
		return -1;
	}
	if (sqlite_wstep(s, op->type == OP_DELIVERED ? WS_DELIVERED : WS_DEAD) != 0)
		return -1;
	/* An outcome for a row no longer pending (retried or purged meanwhile) changes nothing. */
	changed = sqlite3_changes(s->wdb);
	d->pending -= changed;
	if (op->type == OP_DELIVERED)
		d->delivered += changed;
	else
		d->dead += changed;
	return 0;
}

/* Whether an op is a delivery outcome, kept and tried again when its commit fails. */
static int
sqlite_op_outcome(const struct sqlite_op *op)
{
	return op->type == OP_DELIVERED || op->type == OP_RETRY || op->type == OP_DEAD;
}

/* Commits a batch as one transaction and hands its results to the loop. */
static void
sqlite_run_batch(struct sqlite_spool *s, struct sqlite_op *batch)
{
	struct sqlite_delta d = {0, 0, 0};
	struct sqlite_op *op, *next, *drop = NULL;
	struct spool_event **fresh = NULL;
	size_t nfresh = 0, nkept = 0;
	int64_t nsubmit = 0;
	int ok, wake = 0, outcomes_only = 1;

	/* See DESIGN: only outcomes can do without an fsync of their own. */
	for (op = batch; op != NULL && outcomes_only; op = op->next)
		outcomes_only = sqlite_op_outcome(op) || op->type == OP_PRUNE;
	if (s->durability == DURABILITY_FSYNC && outcomes_only != s->sync_relaxed) {
		if (sqlite_wstep(s, outcomes_only ? WS_SYNC_NORMAL : WS_SYNC_FULL) == 0)
			s->sync_relaxed = outcomes_only;
	}
	/* A submission is never committed without its fsync: fail it, PagerDuty retries. */
	ok = (!s->sync_relaxed || outcomes_only) && sqlite_wstep(s, WS_BEGIN) == 0;
	for (op = batch; ok && op != NULL; op = op->next)
		ok = sqlite_apply(s, op, &d) == 0;
	if (ok)
		ok = sqlite_wstep(s, WS_COMMIT) == 0;
	if (!ok) {
		log_error("spool: %s: commit failed: %s", s->dbpath, sqlite3_errmsg(s->wdb));
		if (!sqlite3_get_autocommit(s->wdb))
			sqlite_wstep(s, WS_ROLLBACK);
		s->retry_due = mono_ms() + SPOOL_RETRY_MS;
	}

	/*
	 * The events are on disk (or lost to the error): the loop needs only the
	 * results, and the forwarder takes the new ones as they are, which saves
	 * it reading back from the database what was just written.
	 */
	for (op = batch; op != NULL; op = op->next) {
		if (ok && op->type == OP_SUBMIT && !op->duplicate && s->notify != NULL) {
			fresh = xreallocarray(fresh, nfresh + 1, sizeof *fresh);
			fresh[nfresh++] = op->ev;
		} else
			spool_event_free(op->ev);
		op->ev = NULL;
	}

	pthread_mutex_lock(&s->mu);
	for (op = batch; op != NULL; op = next) {
		next = op->next;
		nsubmit += op->type == OP_SUBMIT;
		if (!ok && sqlite_op_outcome(op)) {
			oplist_add(&s->retained, op);
			nkept++;
		} else if (op->cb != NULL) {
			op->result = ok ? PD_OK : PD_ERR_SPOOL_IO;
			if (!ok)
				op->duplicate = 0;
			oplist_add(&s->done, op);
			wake = 1;
		} else {
			op->next = drop;
			drop = op;
		}
	}
	s->queued -= nsubmit;
	s->commit_ok = ok;
	if (ok) {
		s->pending += d.pending;
		s->dead += d.dead;
		s->delivered += d.delivered;
	}
	pthread_mutex_unlock(&s->mu);
	if (nkept > 0)
		log_warn("spool: %zu delivery outcome(s) kept to record again in %d ms", nkept,
		         SPOOL_RETRY_MS);

	if (nfresh > 0)
		s->notify(fresh, nfresh, s->notify_arg);
	free(fresh);

	for (op = drop; op != NULL; op = next) {
		next = op->next;
		sqlite_op_free(op);
	}
	if (wake && s->done_ev != NULL)
		event_active(s->done_ev, EV_READ, 0);
}

/* Whether nothing is waiting for the writer. */
static int
sqlite_queue_empty(struct sqlite_spool *s)
{
	int empty;

	pthread_mutex_lock(&s->mu);
	empty = s->queue.head == NULL;
	pthread_mutex_unlock(&s->mu);
	return empty;
}

/* Periodic writer job: prune old delivered rows, then recount every state. */
static void
sqlite_housekeep(struct sqlite_spool *s)
{
	sqlite3_stmt *st = s->ws[WS_PRUNE];
	int64_t removed;

	/* Pass after pass while there is more to do, but never ahead of queued writes. */
	do {
		sqlite3_bind_int64(st, 1, now_ms() - SPOOL_KEEP_DELIVERED_MS);
		sqlite3_bind_int(st, 2, SPOOL_PRUNE_BATCH);
		if (sqlite_wstep(s, WS_PRUNE) != 0) {
			log_warn("spool: %s: pruning: %s", s->dbpath, sqlite3_errmsg(s->wdb));
			break;
		}
		removed = sqlite3_changes(s->wdb);
		if (removed > 0)
			log_debug("spool: pruned %lld delivered events", (long long)removed);
	} while (removed == SPOOL_PRUNE_BATCH && sqlite_queue_empty(s));
	sqlite_recount(s);
}

/*
 * Stopping, and the outcomes could not be recorded in the one more try
 * there was time for: their events stay pending (sqlite_spool_open repairs those
 * behind a delivered event of their incident; the others are sent again).
 */
static void
sqlite_drop_retained(struct sqlite_spool *s)
{
	struct sqlite_op *op, *next;
	size_t n = 0;

	pthread_mutex_lock(&s->mu);
	op = oplist_take(&s->retained);
	pthread_mutex_unlock(&s->mu);
	for (; op != NULL; op = next) {
		next = op->next;
		sqlite_op_free(op);
		n++;
	}
	log_error("spool: %s: %zu delivery outcome(s) could not be recorded before stopping",
	          s->dbpath, n);
}

/*
 * The batch to commit next, mu held: what is queued, after the outcomes a
 * failed commit left (they are older), or a probe when the spool is
 * unwritable and nothing else would find out that it has recovered.
 */
static struct sqlite_op *
sqlite_next_batch(struct sqlite_spool *s)
{
	struct sqlite_op *batch = oplist_take(&s->queue), *probe;

	if (s->retained.head != NULL) {
		*s->retained.tail = batch;
		batch = oplist_take(&s->retained);
	}
	if (batch == NULL && !s->commit_ok && !s->closing) {
		probe = xcalloc(1, sizeof *probe);
		probe->type = OP_PROBE;
		probe->ms = now_ms();
		batch = probe;
	}
	return batch;
}

/* The writer thread: group commits until closing and drained. */
static void *
sqlite_writer(void *arg)
{
	struct sqlite_spool *s = arg;
	struct sqlite_op *batch;
	struct timespec ts;
	int64_t due = mono_ms() + SPOOL_HOUSEKEEP_MS, now, wake;
	int stop = 0, work;

	/* Named so `top -H` shows where the daemon's CPU goes. */
	pthread_setname_np(pthread_self(), "pd-spool");

	while (!stop) {
		pthread_mutex_lock(&s->mu);
		for (;;) {
			now = mono_ms();
			/* After a failed commit, the next batch (or probe) waits for retry_due. */
			work = s->queue.head != NULL || s->retained.head != NULL || !s->commit_ok;
			if (s->closing || now >= due || (work && now >= s->retry_due))
				break;
			wake = work && s->retry_due < due ? s->retry_due : due;
			ts.tv_sec = (time_t)(wake / 1000);
			ts.tv_nsec = (long)(wake % 1000) * 1000000;
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		}
		batch = s->closing || now >= s->retry_due ? sqlite_next_batch(s) : NULL;
		stop = s->closing && batch == NULL;
		pthread_mutex_unlock(&s->mu);

		if (batch != NULL)
			sqlite_run_batch(s, batch);
		if (s->closing && s->retained.head != NULL)
			sqlite_drop_retained(s);
		if (!stop && mono_ms() >= due) {
			sqlite_housekeep(s);
			due = mono_ms() + SPOOL_HOUSEKEEP_MS;
		}
	}
	return NULL;
}

/* Runs finished submissions' callbacks. */
static void
sqlite_run_done(struct sqlite_spool *s)
{
	struct sqlite_op *op, *next;

	pthread_mutex_lock(&s->mu);
	op = oplist_take(&s->done);
	pthread_mutex_unlock(&s->mu);
	for (; op != NULL; op = next) {
		next = op->next;
		op->cb(op->result, op->duplicate, op->arg);
		sqlite_op_free(op);
	}
}

/* Loop-thread side of the hand-off, activated by the writer. */
static void
sqlite_done_cb(evutil_socket_t fd, short what, void *arg)
{
	sqlite_run_done(arg);
}

/* The checkpointer thread: passive checkpoints when asked, back to back while the WAL is big. */
static void *
sqlite_checkpointer(void *arg)
{
	struct sqlite_spool *s = arg;
	int rc, wal, copied, last = -1, chase = 0;

	pthread_setname_np(pthread_self(), "pd-checkpoint");
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->wal_full && !chase && !s->closing)
			pthread_cond_wait(&s->ccv, &s->mu);
		if (s->closing)
			break;
		s->wal_full = 0;
		pthread_mutex_unlock(&s->mu);
		rc = sqlite3_wal_checkpoint_v2(s->cdb, NULL, SQLITE_CHECKPOINT_PASSIVE, &wal,
		                               &copied);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("spool: %s: checkpoint: %s", s->dbpath, sqlite3_errmsg(s->cdb));
		/*
		 * The WAL starts over only once a pass has copied all of it, and the
		 * writer appended while this one ran: past a few thousand pages,
		 * chase it rather than wait, before the writer has to stop for it.
		 */
		chase = rc == SQLITE_OK && wal >= SPOOL_WAL_CHASE_PAGES && copied != last;
		last = copied;
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* sqlite3_wal_hook, on the writer thread after each commit: pages = WAL size. */
static int
sqlite_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sqlite_spool *s = arg;

	/* The WAL went back to its start after a checkpoint. */
	if (pages < s->wal_mark)
		s->wal_mark = 0;
	if (pages >= SPOOL_WAL_MAX_PAGES) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	} else if (pages >= s->wal_mark + SPOOL_WAL_PAGES) {
		/* One pass per SPOOL_WAL_PAGES new pages, as SQLite's own would. */
		s->wal_mark = pages;
		pthread_mutex_lock(&s->mu);
		s->wal_full = 1;
		pthread_cond_signal(&s->ccv);
		pthread_mutex_unlock(&s->mu);
	}
	return SQLITE_OK;
}

/*
 * The checkpointer's connection and thread. Without them the writer keeps
 * SQLite's inline checkpoints: slower answers now and then, nothing worse.
 */
static void
sqlite_start_checkpointer(struct sqlite_spool *s)
{
	int rc;

	if (sqlite_db_connect(s->dbpath, 1, &s->cdb) != 0 ||
	    sqlite_db_exec(s->cdb, s->dbpath, sqlite_db_sync_sql(s->durability)) != 0)
		return;
	if ((rc = pthread_create(&s->checkpointer, NULL, sqlite_checkpointer, s)) != 0) {
		log_warn("spool: no checkpointer thread (%s): the writer checkpoints itself",
		         strerror(rc));
		return;
	}
	s->checkpointing = 1;
	/* Replaces SQLite's automatic checkpoint, which is a wal hook too. */
	sqlite3_wal_hook(s->wdb, sqlite_wal_hook, s);
}

/* Starts the writer thread; results come back on base's loop. */
static enum pd_err
sqlite_spool_start(void *self, struct event_base *base, spool_notify_cb *notify, void *arg)
{
	struct sqlite_spool *s = self;
	int rc;

	if (s->started)
		return PD_ERR_USAGE;
	s->base = base;
	s->notify = notify;
	s->notify_arg = arg;
	s->done_ev = event_new(base, -1, 0, sqlite_done_cb, s);
	if (s->done_ev == NULL)
		fatal("spool: event_new failed");
	sqlite_start_checkpointer(s);
	if ((rc = pthread_create(&s->writer, NULL, sqlite_writer, s)) != 0) {
		log_error("spool: cannot start the writer thread: %s", strerror(rc));
		event_free(s->done_ev);
		s->done_ev = NULL;
		return PD_ERR_SPOOL_IO;
	}
	s->started = 1;
	return PD_OK;
}

/* Stops taking events, commits everything queued, runs the last callbacks, closes. */
static void
sqlite_spool_close(void *self)
{
	struct sqlite_spool *s = self;
	struct sqlite_op *batch;
	int i;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	pthread_cond_signal(&s->cv);
	pthread_cond_signal(&s->ccv);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->writer, NULL);
	if (s->checkpointing) {
		pthread_join(s->checkpointer, NULL);
		s->checkpointing = 0;
		sqlite3_wal_hook(s->wdb, NULL, NULL);
	}

	/* Never started (or queued after the writer left): commit here. */
	pthread_mutex_lock(&s->mu);
	batch = oplist_take(&s->queue);
	pthread_mutex_unlock(&s->mu);
	if (batch != NULL)
		sqlite_run_batch(s, batch);
	sqlite_run_done(s);

	/* The reader goes first so that the checkpoint can empty the whole WAL. */
	for (i = 0; i < RS_MAX; i++) {
		sqlite3_finalize(s->rs[i]);
		s->rs[i] = NULL;
	}
	sqlite3_close(s->rdb);
	s->rdb = NULL;
	if (sqlite3_exec(s->wdb, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
		log_debug("spool: checkpoint at close: %s", sqlite3_errmsg(s->wdb));
	sqlite_destroy(s);
}

/*
 * Queues ev for the next group commit, unless the spool is full or closing.
 * ev is the spool's in every case, so that no caller has two paths to free it.
 */
static enum pd_err
sqlite_spool_submit(void *self, struct spool_event *ev, spool_commit_cb *cb, void *arg)
{
	struct sqlite_spool *s = self;
	struct sqlite_op *op;
	enum pd_err err = PD_OK;

	pthread_mutex_lock(&s->mu);
	if (ev->event_id == NULL || ev->payload == NULL)
		err = PD_ERR_VALIDATION;
	else if (s->closing)
		err = PD_ERR_SPOOL_IO;
	else if (s->max_events > 0 && s->pending + s->dead + s->queued >= s->max_events)
		err = PD_ERR_SPOOL_FULL;
	else
		s->queued++;
	pthread_mutex_unlock(&s->mu);
	if (err != PD_OK) {
		spool_event_free(ev);
		return err;
	}

	if (ev->received_ms == 0)
		ev->received_ms = now_ms();
	op = xcalloc(1, sizeof *op);
	op->type = OP_SUBMIT;
	op->ev = ev;
	op->cb = cb;
	op->arg = arg;
	sqlite_queue_op(s, op);
	return PD_OK;
}

/* Appends an op to the writer's queue and wakes it. */
static void
sqlite_queue_op(struct sqlite_spool *s, struct sqlite_op *op)
{
	pthread_mutex_lock(&s->mu);
	oplist_add(&s->queue, op);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Builds a delivery-outcome op. */
static struct sqlite_op *
sqlite_outcome(enum sqlite_op_type type, int64_t seq, int attempts, int64_t ms, const char *text)
{
	struct sqlite_op *op = xcalloc(1, sizeof *op);

	op->type = type;
	op->seq = seq;
	op->attempts = attempts;
	op->ms = ms;
	op->text = text != NULL ? xstrdup(text) : NULL;
	return op;
}

/* Records that st2 accepted event seq. */
static void
sqlite_spool_delivered(void *self, int64_t seq)
{
	struct sqlite_spool *s = self;
	sqlite_queue_op(s, sqlite_outcome(OP_DELIVERED, seq, 0, now_ms(), NULL));
}

/* Records a failed attempt; the forwarder tries again at next_ms. */
static void
sqlite_spool_retry_later(void *self, int64_t seq, int attempts, int64_t next_ms, const char *error)
{
	struct sqlite_spool *s = self;
	sqlite_queue_op(s, sqlite_outcome(OP_RETRY, seq, attempts, next_ms, error));
}

/* Moves event seq to the dead letters. */
static void
sqlite_spool_dead(void *self, int64_t seq, int attempts, const char *reason)
{
	struct sqlite_spool *s = self;
	sqlite_queue_op(s, sqlite_outcome(OP_DEAD, seq, attempts, now_ms(), reason));
}

/* Queues one prune pass as if the time were now. */
static void
sqlite_spool_prune(void *self, int64_t now)
{
	struct sqlite_spool *s = self;
	sqlite_queue_op(s, sqlite_outcome(OP_PRUNE, 0, 0, now - SPOOL_KEEP_DELIVERED_MS, NULL));
}

/* Queues a durable key/value write behind everything queued before it. */
static void
sqlite_spool_meta_set(void *self, const char *key, const char *value, spool_commit_cb *cb,
                      void *arg)
{
	struct sqlite_spool *s = self;
	struct sqlite_op *op = sqlite_outcome(OP_META, 0, 0, 0, value);

	op->key = xstrdup(key);
	op->cb = cb;
	op->arg = arg;
	sqlite_queue_op(s, op);
}

/* Copies a text column, NULL for SQL NULL. */
static char *
sqlite_column_str(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v == NULL ? NULL : xstrndup((const char *)v, (size_t)sqlite3_column_bytes(st, i));
}

/* Reads pending events after a seq through the read connection. */
static size_t
sqlite_spool_fetch(void *self, int64_t after, size_t max, struct spool_event ***out)
{
	struct sqlite_spool *s = self;
	sqlite3_stmt *st = s->rs[RS_FETCH];
	struct spool_event **v = NULL, *ev;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (max == 0)
		return 0;
	pthread_mutex_lock(&s->rmu);
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ev = xcalloc(1, sizeof *ev);
		ev->seq = sqlite3_column_int64(st, 0);
		ev->event_id = sqlite_column_str(st, 1);
		ev->webhook_id = sqlite_column_str(st, 2);
		ev->event_type = sqlite_column_str(st, 3);
		ev->trigger = sqlite_column_str(st, 4);
		ev->order_key = sqlite_column_str(st, 5);
		ev->payload = sqlite_column_str(st, 6);
		ev->payload_len = ev->payload != NULL ? strlen(ev->payload) : 0;
		ev->received_ms = sqlite3_column_int64(st, 7);
		ev->state = sqlite3_column_int(st, 8);
		ev->attempts = sqlite3_column_int(st, 9);
		ev->next_attempt_ms = sqlite3_column_int64(st, 10);
		ev->delivered_ms = sqlite3_column_int64(st, 11);
		ev->last_error = sqlite_column_str(st, 12);
		ev->dead_reason = sqlite_column_str(st, 13);
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = ev;
	}
	if (rc != SQLITE_DONE)
		log_error("spool: %s: fetch: %s", s->dbpath, sqlite3_errmsg(s->rdb));
	/* Reset ends the read transaction, so checkpoints are not held back. */
	sqlite3_reset(st);
	pthread_mutex_unlock(&s->rmu);
	*out = v;
	return n;
}

/* A committed meta value, or NULL. */
static char *
sqlite_spool_meta_get(void *self, const char *key)
{
	struct sqlite_spool *s = self;
	sqlite3_stmt *st = s->rs[RS_META];
	char *v = NULL;
	int rc;

	pthread_mutex_lock(&s->rmu);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite_column_str(st, 0);
	else if (rc != SQLITE_DONE)
		log_error("spool: %s: reading %s: %s", s->dbpath, key, sqlite3_errmsg(s->rdb));
	sqlite3_reset(st);
	pthread_mutex_unlock(&s->rmu);
	return v;
}

/* Counters, plus the oldest pending event's arrival time. */
static void
sqlite_spool_stats(void *self, struct spool_stats *out)
{
	struct sqlite_spool *s = self;
	sqlite3_stmt *st = s->rs[RS_OLDEST];

	pthread_mutex_lock(&s->mu);
	out->pending = s->pending;
	out->dead = s->dead;
	out->delivered = s->delivered;
	pthread_mutex_unlock(&s->mu);
	out->oldest_pending_ms = 0;
	pthread_mutex_lock(&s->rmu);
	if (sqlite3_step(st) == SQLITE_ROW)
		out->oldest_pending_ms = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	pthread_mutex_unlock(&s->rmu);
}

/* 1 when the last commit succeeded and the directory is writable. */
static int
sqlite_spool_writable(void *self)
{
	struct sqlite_spool *s = self;
	int ok;

	pthread_mutex_lock(&s->mu);
	ok = s->commit_ok;
	pthread_mutex_unlock(&s->mu);
	return ok && access(s->dir, W_OK) == 0;
}

/* spool_open_config's way in: the config's spool.path, durability and capacity. */
static enum pd_err
sqlite_spool_open_config(const struct pd_config *cfg, void **out)
{
	return sqlite_spool_open(cfg->spool_path, cfg->spool_durability, cfg->spool_max_events,
	                         (struct sqlite_spool **)out);
}

/* One host, one forwarder: this spool always forwards, from its first epoch on. */
static unsigned long
sqlite_spool_leader(void *arg)
{
	return 1;
}

/* The daemon's half of the SQLite backend; spool/sqlite_admin.c has the command's. */
const struct spool_backend spool_sqlite = {
    .name = "sqlite",
    .open = sqlite_spool_open_config,
    .start = sqlite_spool_start,
    .close = sqlite_spool_close,
    .submit = sqlite_spool_submit,
    .delivered = sqlite_spool_delivered,
    .retry_later = sqlite_spool_retry_later,
    .dead = sqlite_spool_dead,
    .prune = sqlite_spool_prune,
    .fetch = sqlite_spool_fetch,
    .meta_set = sqlite_spool_meta_set,
    .meta_get = sqlite_spool_meta_get,
    .stats = sqlite_spool_stats,
    .writable = sqlite_spool_writable,
    .leader = sqlite_spool_leader,
    .admin = &spool_sqlite_admin,
};
