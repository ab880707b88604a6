/*
 * spoolrig.h: a spool opened in a temp directory on a real event loop, with
 * every commit callback recorded, for the tests of the spool itself. A rig
 * is a cmocka fixture: rig_setup and rig_teardown are its setup and
 * teardown, and *state is the struct rig.
 */
#ifndef SPOOLRIG_H
#define SPOOLRIG_H

#include <pthread.h>

#include "testlib.h"

#define RIG_MAX 2048 /* submissions and handed events a rig records */

struct rig;

/* What one submission's callback reported. */
struct rig_call {
	struct rig *rig;
	int called;
	enum pd_err result;
	int duplicate;
};

struct rig {
	char *dir; /* the spool's directory, inside a temp directory of its own */
	struct event_base *base;
	struct spool *s;
	int ncalled; /* commit callbacks run, all submissions together */
	int nnotify; /* notify calls (commits that inserted) */
	/* What notify was handed, on the writer thread: guarded by nmu. */
	pthread_mutex_t nmu;
	size_t nhanded;
	char handed[RIG_MAX][32];
	int64_t handed_seq[RIG_MAX];
	struct rig_call call[RIG_MAX];
};

int rig_setup(void **state);
int rig_teardown(void **state);
/* Opens the spool in rig->dir and starts its writer. */
void rig_open(struct rig *, long max_events);
/* Starts the writer of a spool the test opened itself. */
void rig_start(struct rig *);
/* Closes (flushing every queued write) and opens again. */
void rig_reopen(struct rig *, long max_events);
/* A plain incident.triggered event of incident, as the tests of order and dedup want. */
struct spool_event *rig_event(const char *id, const char *webhook_id, const char *incident,
                              int64_t received_ms);
/* Submits ev with call record i; asserts it was taken. */
void rig_submit(struct rig *, int i, struct spool_event *ev);
/* The commit callback rig_submit uses, for tests that submit by hand. */
void rig_commit_cb(enum pd_err result, int duplicate, void *arg);
/* Runs the loop until n commit callbacks in all have run. */
void rig_wait(struct rig *, int n);
/* Runs the loop (the writer working beside it) until pred holds; fails at the guard. */
void rig_wait_for(struct rig *, int (*pred)(struct rig *));
/* Every pending event (caller frees with rig_free). */
size_t rig_fetch(struct rig *, struct spool_event ***out);
void rig_free(struct spool_event **v, size_t n);
/* seq of a pending event, by event id (fails the test if not pending). */
int64_t rig_pending_seq(struct rig *, const char *id);

#endif
