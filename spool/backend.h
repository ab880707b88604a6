/*
 * backend.h: what spool.c gives the backends' daemon halves, and nothing
 * outside spool/ sees: the head every backend's spool starts with, the op
 * one thread hands another (a submission, a meta write, a delivery
 * outcome), the list that carries ops across, and the rules every backend
 * must apply alike. They are written once, here and in spool.c, so that an
 * outcome's time, the prune cutoff and the capacity rule cannot drift
 * apart between sqlite and redis: spool.c's promises hold for both.
 */
#ifndef SPOOL_BACKEND_H
#define SPOOL_BACKEND_H

#include <pthread.h>

#include "st2pd.h"

enum spool_op_type {
	OP_SUBMIT = 0,
	OP_META,
	OP_DELIVERED,
	OP_RETRY,
	OP_DEAD,
	OP_PRUNE,
	/* The Redis backend's own, for its async connection (spool/redis_submit.c). */
	OP_WAIT,  /* WAIT after a batch of submissions */
	OP_SETUP, /* AUTH, SELECT, SCRIPT LOAD of a new connection */
};

/* One queued request; submissions and meta writes go back to the loop with their result. */
struct spool_op {
	enum spool_op_type type;
	struct spool_event *ev; /* OP_SUBMIT */
	spool_commit_cb *cb;
	void *arg;
	int64_t seq;
	int attempts;
	int64_t ms; /* outcome time, next attempt, prune cutoff; redis async: when sent (mono) */
	char *text; /* last error or dead reason; OP_META: the value */
	char *key;  /* OP_META */
	enum pd_err result;
	int duplicate;
	struct spool_op *next;
};

struct spool_oplist {
	struct spool_op *head;
	struct spool_op **tail;
};

/* Empties an op list. */
static inline void
oplist_init(struct spool_oplist *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

/* Appends one op. */
static inline void
oplist_add(struct spool_oplist *l, struct spool_op *op)
{
	op->next = NULL;
	*l->tail = op;
	l->tail = &op->next;
}

/* Appends a chain of ops, every one of them (oplist_add would cut it after the first). */
static inline void
oplist_add_chain(struct spool_oplist *l, struct spool_op *head)
{
	*l->tail = head;
	while (*l->tail != NULL)
		l->tail = &(*l->tail)->next;
}

/* Takes the whole list, leaving it empty: the hand-off between threads. */
static inline struct spool_op *
oplist_take(struct spool_oplist *l)
{
	struct spool_op *head = l->head;

	oplist_init(l);
	return head;
}

/*
 * The first member of each backend's spool, so that spool.c can take the
 * backend's self as one. Recording an outcome differs between backends
 * only in where the op is queued (queue_outcome): spool.c builds the op,
 * and the spool_base_* entries below serve both backends. Where results
 * go is recorded by spool_start(), once, before it calls the backend's
 * start entry.
 */
struct spool_base {
	void (*queue_outcome)(struct spool_base *, struct spool_op *); /* set at open */
	struct event_base *loop; /* commit callbacks run on its thread */
	spool_notify_cb *notify; /* the forwarder's hand-off; NULL: none */
	void *notify_arg;
	int started; /* the backend's threads run */
};
/* spool_backend's delivered, retry_later, dead and prune, for a spool that starts with a base. */
void spool_base_delivered(void *self, int64_t seq);
void spool_base_retry_later(void *self, int64_t seq, int attempts, int64_t next_ms,
                            const char *error);
void spool_base_dead(void *self, int64_t seq, int attempts, const char *reason);
void spool_base_prune(void *self, int64_t now);

/* spool.c: the ops, built the same way for every backend. */
/* An op of a type, the rest zero (the redis connection's own: OP_WAIT, OP_SETUP). */
struct spool_op *spool_op_new(enum spool_op_type);
struct spool_op *spool_op_submit(struct spool_event *ev, spool_commit_cb *cb, void *arg);
/* A durable key/value write; cb may be NULL. */
struct spool_op *spool_op_meta(const char *key, const char *value, spool_commit_cb *cb, void *arg);
/* Frees an op and what it still owns. */
void spool_op_free(struct spool_op *);
/* Frees a list of ops; how many there were. */
size_t spool_op_free_list(struct spool_op *);
/* Whether a new submission must be refused: pending + dead + queued reach max_events. */
int spool_full(long max_events, int64_t pending, int64_t dead, int64_t queued);
/* A condition variable on the monotonic clock, and a wait on it until mono ms. */
void spool_cond_init(pthread_cond_t *);
void spool_cond_wait_until(pthread_cond_t *, pthread_mutex_t *, int64_t mono_ms);

#endif
