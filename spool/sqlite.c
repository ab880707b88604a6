/*
 * sqlite.c: the spool's SQLite backend, the default: one host, one file
 * (spool.db in spool.path), nothing else to run. An event is answered 202
 * only once it is committed here; the forwarder reads pending events back
 * and records their fate (spool/spool.c is the interface it does that
 * through, whatever the backend). This file is the backend's face: open,
 * submit, outcomes, reads; sqlite_writer.c commits, sqlite_schema.c keeps
 * the database's shape, sqlite_admin.c serves the spool command.
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
 * Two tables (spool/sqlite_schema.c): events, one small row per event with its state, and payloads,
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
 * Capacity and stats use in-memory counters of pending, dead and delivered
 * rows, counted at open, moved by the writer's own commits and recounted
 * every SPOOL_HOUSEKEEP_MS (with a prune pass) so that changes made by the
 * spool CLI from another process show up. A submission is refused at once
 * when pending + dead + queued reaches max_events; delivered rows do not
 * count, they age out.
 *
 * The meta table holds small named values that must survive restarts and
 * move with the events, like the sensor's cursor: sqlite_spool_meta_set() goes
 * through the same queue and transaction as the events queued before it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlite.h"

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

/* Appends an op to the writer's queue and wakes it. */
static void
sqlite_queue_op(struct sqlite_spool *s, struct spool_op *op)
{
	pthread_mutex_lock(&s->mu);
	oplist_add(&s->queue, op);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Delivery outcomes (spool_base_*) go through the same queue as submissions. */
static void
sqlite_queue_outcome(struct spool_base *b, struct spool_op *op)
{
	sqlite_queue_op((struct sqlite_spool *)b, op);
}

/* Opens (creating if needed) the spool in directory path and recovers it. */
enum pd_err
sqlite_spool_open(const char *path, enum durability durability, long max_events,
                  struct sqlite_spool **out)
{
	struct sqlite_spool *s = xcalloc(1, sizeof *s);

	*out = NULL;
	s->head.queue_outcome = sqlite_queue_outcome;
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
	spool_cond_init(&s->cv);
	pthread_cond_init(&s->ccv, NULL);

	if (mkdirs(path, 0750) != 0) {
		log_error("spool: cannot create directory %s: %s", path, strerror(errno));
		goto fail;
	}
	if (sqlite_db_connect(s->dbpath, 1, &s->wdb) != 0 ||
	    sqlite_db_setup(s->wdb, s->dbpath, s->durability) != 0 ||
	    sqlite_db_repair(s->wdb, s->dbpath) != 0 ||
	    sqlite_db_connect(s->dbpath, 1, &s->rdb) != 0 || sqlite_writer_prepare(s) != 0 ||
	    sqlite_db_prepare(s->rdb, s->dbpath, sqlite_rsql, RS_MAX, s->rs) != 0 ||
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

/* Starts the writer thread; results come back on the base's loop. */
static enum pd_err
sqlite_spool_start(void *self)
{
	struct sqlite_spool *s = self;
	int rc;

	s->done_ev = event_new(s->head.loop, -1, 0, sqlite_done_cb, s);
	if (s->done_ev == NULL)
		fatal("spool: event_new failed");
	sqlite_start_checkpointer(s);
	if ((rc = pthread_create(&s->writer, NULL, sqlite_writer, s)) != 0) {
		log_error("spool: cannot start the writer thread: %s", strerror(rc));
		event_free(s->done_ev);
		s->done_ev = NULL;
		return PD_ERR_SPOOL_IO;
	}
	return PD_OK;
}

/* Stops taking events, commits everything queued, runs the last callbacks, closes. */
static void
sqlite_spool_close(void *self)
{
	struct sqlite_spool *s = self;
	struct spool_op *batch;
	int i;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	pthread_cond_signal(&s->cv);
	pthread_cond_signal(&s->ccv);
	pthread_mutex_unlock(&s->mu);
	if (s->head.started)
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
	enum pd_err err = PD_OK;

	pthread_mutex_lock(&s->mu);
	if (s->closing)
		err = PD_ERR_SPOOL_IO;
	else if (spool_full(s->max_events, s->pending, s->dead, s->queued))
		err = PD_ERR_SPOOL_FULL;
	else
		s->queued++;
	pthread_mutex_unlock(&s->mu);
	if (err != PD_OK) {
		spool_event_free(ev);
		return err;
	}
	sqlite_queue_op(s, spool_op_submit(ev, cb, arg));
	return PD_OK;
}

/* Queues a durable key/value write behind everything queued before it. */
static void
sqlite_spool_meta_set(void *self, const char *key, const char *value, spool_commit_cb *cb,
                      void *arg)
{
	sqlite_queue_op(self, spool_op_meta(key, value, cb, arg));
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
		ev->event_id = sqlite_db_text(st, 1);
		ev->webhook_id = sqlite_db_text(st, 2);
		ev->event_type = sqlite_db_text(st, 3);
		ev->trigger = sqlite_db_text(st, 4);
		ev->order_key = sqlite_db_text(st, 5);
		ev->payload = sqlite_db_text(st, 6);
		ev->payload_len = ev->payload != NULL ? strlen(ev->payload) : 0;
		ev->received_ms = sqlite3_column_int64(st, 7);
		ev->state = sqlite3_column_int(st, 8);
		ev->attempts = sqlite3_column_int(st, 9);
		ev->next_attempt_ms = sqlite3_column_int64(st, 10);
		ev->delivered_ms = sqlite3_column_int64(st, 11);
		ev->last_error = sqlite_db_text(st, 12);
		ev->dead_reason = sqlite_db_text(st, 13);
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
		v = sqlite_db_text(st, 0);
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
    .delivered = spool_base_delivered,
    .retry_later = spool_base_retry_later,
    .dead = spool_base_dead,
    .prune = spool_base_prune,
    .fetch = sqlite_spool_fetch,
    .meta_set = sqlite_spool_meta_set,
    .meta_get = sqlite_spool_meta_get,
    .stats = sqlite_spool_stats,
    .writable = sqlite_spool_writable,
    .leader = sqlite_spool_leader,
    .admin = &spool_sqlite_admin,
};
