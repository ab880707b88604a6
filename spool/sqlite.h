/*
 * sqlite.h: what the two halves of the SQLite spool share, and nothing
 * outside spool/ sees: the spool's state and the statements each
 * connection prepares (the ops the loop queues for the writer thread are
 * every backend's: backend.h). sqlite.c is the backend's face (open,
 * submit, outcomes, reads); sqlite_writer.c the thread that commits.
 */
#ifndef SPOOL_SQLITE_H
#define SPOOL_SQLITE_H

#include <pthread.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "backend.h"

/* Writer statements, prepared once at open (indexes into spool->ws; sqlite_writer.c). */
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
	WS_TWINS,
	WS_MAX
};
/* Reader statements (indexes into spool->rs; sqlite.c). */
enum sqlite_rstmt { RS_FETCH = 0, RS_OLDEST, RS_META, RS_MAX };
struct sqlite_spool {
	struct spool_base head; /* first: spool.c takes the spool as one (backend.h) */
	char *dir;
	char *dbpath;
	enum durability durability;
	int sync_relaxed; /* the writer's synchronous is NORMAL for an outcomes-only commit */
	long max_events;
	sqlite3 *wdb; /* writer thread once started; open and close otherwise */
	sqlite3 *rdb; /* loop thread */
	sqlite3_stmt *ws[WS_MAX];
	sqlite3_stmt *rs[RS_MAX];

	struct event *done_ev;
	pthread_t writer;
	sqlite3 *cdb; /* checkpointer thread */
	pthread_t checkpointer;
	int checkpointing;            /* the checkpointer thread runs */
	int wal_mark;                 /* WAL size at the last checkpoint request (writer thread) */
	struct spool_oplist retained; /* outcomes of failed commits (writer thread) */
	int64_t retry_due;            /* no batch before this (mono ms), after a failure */

	/* Everything below is guarded by mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct spool_oplist queue;
	struct spool_oplist done;
	int64_t queued; /* submissions queued or in the running batch */
	int64_t pending, dead, delivered;
	int closing;
	int commit_ok;
	int wal_full;       /* the WAL passed SPOOL_WAL_PAGES: a checkpoint is due */
	pthread_cond_t ccv; /* the checkpointer waits on it */

	/* The read connection serves the forwarder's thread and the loop's stats. */
	pthread_mutex_t rmu;
};

/* sqlite_writer.c */
/* Prepares the writer's statements on s->wdb; -1 logged. */
int sqlite_writer_prepare(struct sqlite_spool *);
/* Recounts rows by state from the database (writer connection); -1 logged. */
int sqlite_recount(struct sqlite_spool *);
/* The writer thread (pthread_create's function): group commits until closing and drained. */
void *sqlite_writer(void *arg);
/* The checkpointer's connection and thread, if they can be had. */
void sqlite_start_checkpointer(struct sqlite_spool *);
/* Commits a batch as one transaction; its results go to the done list. */
void sqlite_run_batch(struct sqlite_spool *, struct spool_op *batch);
/* Runs finished submissions' callbacks (loop thread, or close). */
void sqlite_run_done(struct sqlite_spool *);
/* The loop's side of the hand-off: an event of base, activated by the writer. */
void sqlite_done_cb(evutil_socket_t fd, short what, void *arg);

#endif
