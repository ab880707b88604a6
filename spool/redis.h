/*
 * redis.h: what the three files of the Redis spool's daemon half share,
 * and nothing outside spool/ sees: the spool's state and the few calls
 * that cross between them. redis.c is the backend's face (open, submit,
 * outcomes, reads); redis_submit.c the loop thread's async connection,
 * which stores submissions; redis_lease.c the background thread, which
 * holds the lease and records outcomes. (redis_conn.c is shared with the
 * spool command and the config check, so its declarations are in
 * spool/spool.h.)
 */
#ifndef SPOOL_REDIS_H
#define SPOOL_REDIS_H

#include <pthread.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "backend.h"

#define REDIS_RETRY_MS   1000 /* after a failed write of outcomes, or a failed connect */
#define REDIS_TIMEOUT_MS 2000 /* blocking connections: connect and each reply */

/* A blocking connection, made when first needed and again REDIS_RETRY_MS after a failure. */
struct redis_link {
	redisContext *c;
	int64_t due; /* mono ms: no attempt to connect before */
};

struct redis_spool {
	struct spool_base head; /* first: spool.c takes the spool as one (backend.h) */
	struct redis_target t;
	long max_events;
	long wait_replicas;
	long wait_timeout_ms;
	char token[41]; /* this process's lease token */

	/* Loop thread (redis_submit.c). */
	redisAsyncContext *ac;
	struct event *inbox_ev, *reconnect_ev, *watch_ev;
	int64_t reconnect_ms;
	struct spool_oplist sent;    /* in flight on ac, oldest first */
	struct spool_oplist waiting; /* submissions answered, waiting for their WAIT */
	int reload;                  /* the submit script must be loaded again */
	char *problem;               /* the last error logged, once per kind */

	/* The background thread ("pd-redis", redis_lease.c). */
	pthread_t thread;
	struct redis_link bc;
	struct spool_oplist retained; /* outcomes whose write failed */
	int64_t retry_due;
	int64_t seq_seen; /* P seq at the last poll */

	/* fetch() and meta_get(): any thread, one connection. */
	pthread_mutex_t smu;
	struct redis_link sc;

	/* Everything below is guarded by mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct spool_oplist inbox;    /* to the loop: submissions and meta writes */
	struct spool_oplist outcomes; /* to the background thread */
	int64_t queued;               /* submissions not answered yet */
	struct spool_stats stats;
	int up;       /* the async connection is up */
	int down;     /* known unreachable: submissions are refused at once */
	int write_ok; /* the last write succeeded */
	unsigned long epoch;
	int64_t lease_until; /* mono ms; leader before it */
	int closing;
};

/* redis.c */
/* A key under the prefix; caller frees. */
char *redis_key(const struct redis_spool *, const char *name);
/* Sets the states submit() and writable() read (-1 leaves one as it is). */
void redis_set_state(struct redis_spool *, int up, int write_ok);
/* The link's connection, (re)made when due; NULL while Redis is away. */
redisContext *redis_link_get(struct redis_spool *, struct redis_link *);
/* Drops the link's connection after a failure: the next use makes a new one. */
void redis_link_drop(struct redis_link *);

/* redis_submit.c */
/* Loop thread: the events that wake it, and the first connection. */
void redis_submit_start(struct redis_spool *);
/* An answered submission or meta write: its callback, and the forwarder's hand-off. */
void redis_finish(struct redis_spool *, struct spool_op *);
/* Closing: requests in flight or waiting for WAIT are answered 503, the connection goes. */
void redis_submit_stop(struct redis_spool *);

/* redis_lease.c */
/* The background thread (pthread_create's function): lease, outcomes, counters, pruning. */
void *redis_thread(void *arg);

#endif
