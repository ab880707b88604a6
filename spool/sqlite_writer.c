/*
 * sqlite_writer.c: the SQLite spool's writer thread, which alone writes
 * spool.db: it takes every queued submission and outcome, commits them as
 * one transaction (group commit), hands the results back to the loop, and
 * keeps the WAL short with a checkpointer thread beside it.
 *
 * DESIGN
 *
 * Threads: the event loop never waits for the disk. sqlite_spool_submit() and the
 * delivery outcomes (sqlite.c) append an op to a mutex-protected queue and signal the
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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite.h"

#define SPOOL_HOUSEKEEP_MS    10000
#define SPOOL_PRUNE_BATCH     1000
#define SPOOL_WAL_PAGES       1000  /* wake the checkpointer (SQLite's own default) */
#define SPOOL_WAL_CHASE_PAGES 4000  /* the checkpointer passes back to back (16 MB) */
#define SPOOL_WAL_MAX_PAGES   16000 /* the writer checkpoints itself: 64 MB of 4 KB pages */
#define SPOOL_RETRY_MS        1000  /* after a failed commit: next try or probe */

/* Counter changes of one transaction, applied once it has committed. */
struct sqlite_delta {
	int64_t pending, dead, delivered;
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
    /* Rows of a transition from source ?2, and from the other source. */
    [WS_TWINS] = "SELECT coalesce(sum(source = ?2), 0), coalesce(sum(source <> ?2), 0) "
                 "FROM events INDEXED BY events_transition WHERE transition = ?1",
};

int
sqlite_writer_prepare(struct sqlite_spool *s)
{
	return sqlite_db_prepare(s->wdb, s->dbpath, sqlite_wsql, WS_MAX, s->ws);
}

int
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
sqlite_apply(struct sqlite_spool *s, struct spool_op *op, struct sqlite_delta *d)
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
	case OP_DEAD:
		/* Both statements take the same values: the attempts, a time, and why. */
		st = s->ws[op->type == OP_RETRY ? WS_RETRY : WS_DEAD];
		sqlite3_bind_int64(st, 1, op->seq);
		sqlite3_bind_int(st, 2, op->attempts);
		sqlite3_bind_int64(st, 3, op->ms);
		sqlite_bind_str(st, 4, op->text);
		/* A retry moves no counter: the event stays pending. */
		if (op->type == OP_RETRY)
			return sqlite_wstep(s, WS_RETRY);
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
sqlite_op_outcome(const struct spool_op *op)
{
	return op->type == OP_DELIVERED || op->type == OP_RETRY || op->type == OP_DEAD;
}

/* Commits a batch as one transaction and hands its results to the loop. */
void
sqlite_run_batch(struct sqlite_spool *s, struct spool_op *batch)
{
	struct sqlite_delta d = {0, 0, 0};
	struct spool_op *op, *next, *drop = NULL;
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
		if (ok && op->type == OP_SUBMIT && !op->duplicate && s->head.notify != NULL) {
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
		s->head.notify(fresh, nfresh, s->head.notify_arg);
	free(fresh);

	spool_op_free_list(drop);
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
	struct spool_op *op;
	size_t n;

	pthread_mutex_lock(&s->mu);
	op = oplist_take(&s->retained);
	pthread_mutex_unlock(&s->mu);
	n = spool_op_free_list(op);
	log_error("spool: %s: %zu delivery outcome(s) could not be recorded before stopping",
	          s->dbpath, n);
}

/*
 * The batch to commit next, mu held: what is queued, after the outcomes a
 * failed commit left (they are older), or a probe when the spool is
 * unwritable and nothing else would find out that it has recovered.
 */
static struct spool_op *
sqlite_next_batch(struct sqlite_spool *s)
{
	struct spool_op *batch = oplist_take(&s->queue);
	char now[24];

	if (s->retained.head != NULL) {
		*s->retained.tail = batch;
		batch = oplist_take(&s->retained);
	}
	if (batch == NULL && !s->commit_ok && !s->closing) {
		/* A real page write, so that success says the disk takes writes again. */
		snprintf(now, sizeof now, "%lld", (long long)now_ms());
		batch = spool_op_meta("spool.probe", now, NULL, NULL);
	}
	return batch;
}

/* The writer thread: group commits until closing and drained. */
void *
sqlite_writer(void *arg)
{
	struct sqlite_spool *s = arg;
	struct spool_op *batch;
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
			spool_cond_wait_until(&s->cv, &s->mu, wake);
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
void
sqlite_run_done(struct sqlite_spool *s)
{
	struct spool_op *op, *next;

	pthread_mutex_lock(&s->mu);
	op = oplist_take(&s->done);
	pthread_mutex_unlock(&s->mu);
	for (; op != NULL; op = next) {
		next = op->next;
		op->cb(op->result, op->duplicate, op->arg);
		spool_op_free(op);
	}
}

/* Loop-thread side of the hand-off, activated by the writer. */
void
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
void
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
