/*
 * spool.c: the spool's one interface, whatever keeps the events. The
 * receiver and the poller submit through it, the forwarder fetches and
 * records outcomes through it, the sensor keeps its cursor in it, and the
 * spool command shows and changes it; each call goes to the backend that
 * spool.backend names: sqlite (spool/sqlite.c, the default: one host, one
 * file) or redis (spool/redis.c: several replicas share one spool).
 *
 * Every backend keeps the same promises, and the tests hold each to them:
 * a submission's callback says PD_OK only once the event is durable (then
 * it is answered 202), a duplicate by event id or X-Webhook-Id is reported
 * as one for SPOOL_KEEP_DELIVERED_MS after delivery, fetch hands pending
 * events in seq order (so the forwarder keeps an incident in order), an
 * outcome is recorded only for an event still pending, and a failure to
 * store is PD_ERR_SPOOL_IO (503), never a silent loss. leader() says
 * whether this process's forwarder is the one that delivers (one replica
 * at a time does, for the order promise), and changes when leadership is
 * won again, so that a forwarder that lost it drops what it had loaded.
 *
 * What is the same in every backend lives here too, so that a backend
 * holds only what differs: the check of a submission, and (backend.h) the
 * ops their threads hand each other, the time an outcome is stamped with,
 * the prune cutoff and the capacity rule. Two copies of a rule drift
 * apart, and then a promise holds for one backend only.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"

struct spool {
	const struct spool_backend *b;
	void *impl;
};

struct spool_admin {
	const struct spool_admin_backend *b;
	void *impl;
};

/* The backends spool.backend names. */
static const struct spool_backend *const spool_backends[] = {
    [SPOOL_BACKEND_SQLITE] = &spool_sqlite,
    [SPOOL_BACKEND_REDIS] = &spool_redis,
};

/* Frees an event and every string it owns. */
void
spool_event_free(struct spool_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->event_id);
	free(ev->webhook_id);
	free(ev->event_type);
	free(ev->trigger);
	free(ev->order_key);
	free(ev->payload);
	free(ev->transition);
	free(ev->last_error);
	free(ev->dead_reason);
	free(ev);
}

/* Wraps a backend's open spool. */
static struct spool *
spool_wrap(const struct spool_backend *b, void *impl)
{
	struct spool *s = xcalloc(1, sizeof *s);

	s->b = b;
	s->impl = impl;
	return s;
}

/* The SQLite spool in directory path (tests and tools that name a directory). */
enum pd_err
spool_open(const char *path, enum durability durability, long max_events, struct spool **out)
{
	struct sqlite_spool *impl;
	enum pd_err err;

	*out = NULL;
	if ((err = sqlite_spool_open(path, durability, max_events, &impl)) == PD_OK)
		*out = spool_wrap(&spool_sqlite, impl);
	return err;
}

/* The spool the config names (spool.backend and its keys). */
enum pd_err
spool_open_config(const struct pd_config *cfg, struct spool **out)
{
	const struct spool_backend *b = spool_backends[cfg->spool_backend];
	void *impl;
	enum pd_err err;

	*out = NULL;
	if ((err = b->open(cfg, &impl)) == PD_OK)
		*out = spool_wrap(b, impl);
	return err;
}

/* Every backend's spool starts with a struct spool_base (backend.h). */
enum pd_err
spool_start(struct spool *s, struct event_base *base, spool_notify_cb *notify, void *arg)
{
	struct spool_base *h = s->impl;
	enum pd_err err;

	if (h->started)
		return PD_ERR_USAGE;
	h->loop = base;
	h->notify = notify;
	h->notify_arg = arg;
	if ((err = s->b->start(s->impl)) == PD_OK)
		h->started = 1;
	return err;
}

void
spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	s->b->close(s->impl);
	free(s);
}

/* An event no backend can store is refused here; ev is the spool's in every case. */
enum pd_err
spool_submit(struct spool *s, struct spool_event *ev, spool_commit_cb *cb, void *arg)
{
	if (ev->event_id == NULL || ev->payload == NULL) {
		spool_event_free(ev);
		return PD_ERR_VALIDATION;
	}
	if (ev->received_ms == 0)
		ev->received_ms = now_ms();
	return s->b->submit(s->impl, ev, cb, arg);
}

void
spool_delivered(struct spool *s, int64_t seq)
{
	s->b->delivered(s->impl, seq);
}

void
spool_retry_later(struct spool *s, int64_t seq, int attempts, int64_t next_ms, const char *error)
{
	s->b->retry_later(s->impl, seq, attempts, next_ms, error);
}

void
spool_dead(struct spool *s, int64_t seq, int attempts, const char *reason)
{
	s->b->dead(s->impl, seq, attempts, reason);
}

void
spool_prune(struct spool *s, int64_t now)
{
	s->b->prune(s->impl, now);
}

size_t
spool_fetch(struct spool *s, int64_t after, size_t max, struct spool_event ***out)
{
	return s->b->fetch(s->impl, after, max, out);
}

void
spool_meta_set(struct spool *s, const char *key, const char *value, spool_commit_cb *cb, void *arg)
{
	s->b->meta_set(s->impl, key, value, cb, arg);
}

char *
spool_meta_get(struct spool *s, const char *key)
{
	return s->b->meta_get(s->impl, key);
}

void
spool_stats(struct spool *s, struct spool_stats *out)
{
	s->b->stats(s->impl, out);
}

int
spool_writable(struct spool *s)
{
	return s->b->writable(s->impl);
}

unsigned long
spool_leader(struct spool *s)
{
	return s->b->leader(s->impl);
}

const char *
spool_backend_name(struct spool *s)
{
	return s->b->name;
}

/* ---- what the backends' daemon halves share (backend.h) ---- */

struct spool_op *
spool_op_new(enum spool_op_type type)
{
	struct spool_op *op = xcalloc(1, sizeof *op);

	op->type = type;
	return op;
}

struct spool_op *
spool_op_submit(struct spool_event *ev, spool_commit_cb *cb, void *arg)
{
	struct spool_op *op = spool_op_new(OP_SUBMIT);

	op->ev = ev;
	op->cb = cb;
	op->arg = arg;
	return op;
}

/* A delivery outcome: what every backend records of it. */
static struct spool_op *
spool_op_outcome(enum spool_op_type type, int64_t seq, int attempts, int64_t ms, const char *text)
{
	struct spool_op *op = spool_op_new(type);

	op->seq = seq;
	op->attempts = attempts;
	op->ms = ms;
	op->text = text != NULL ? xstrdup(text) : NULL;
	return op;
}

struct spool_op *
spool_op_meta(const char *key, const char *value, spool_commit_cb *cb, void *arg)
{
	struct spool_op *op = spool_op_outcome(OP_META, 0, 0, 0, value);

	op->key = xstrdup(key);
	op->cb = cb;
	op->arg = arg;
	return op;
}

/* Hands an outcome to the backend whose spool self is. */
static void
spool_base_queue(void *self, struct spool_op *op)
{
	struct spool_base *b = self;

	b->queue_outcome(b, op);
}

/* Stamped now, when st2 accepted it, not when a backend gets to record it. */
void
spool_base_delivered(void *self, int64_t seq)
{
	spool_base_queue(self, spool_op_outcome(OP_DELIVERED, seq, 0, now_ms(), NULL));
}

void
spool_base_retry_later(void *self, int64_t seq, int attempts, int64_t next_ms, const char *error)
{
	spool_base_queue(self, spool_op_outcome(OP_RETRY, seq, attempts, next_ms, error));
}

void
spool_base_dead(void *self, int64_t seq, int attempts, const char *reason)
{
	spool_base_queue(self, spool_op_outcome(OP_DEAD, seq, attempts, now_ms(), reason));
}

/* The cutoff is the dedup horizon: an id is a duplicate that long after its delivery. */
void
spool_base_prune(void *self, int64_t now)
{
	spool_base_queue(self,
	                 spool_op_outcome(OP_PRUNE, 0, 0, now - SPOOL_KEEP_DELIVERED_MS, NULL));
}

void
spool_op_free(struct spool_op *op)
{
	spool_event_free(op->ev);
	free(op->text);
	free(op->key);
	free(op);
}

size_t
spool_op_free_list(struct spool_op *op)
{
	struct spool_op *next;
	size_t n = 0;

	for (; op != NULL; op = next) {
		next = op->next;
		spool_op_free(op);
		n++;
	}
	return n;
}

/* Delivered events do not count: they age out by themselves. */
int
spool_full(long max_events, int64_t pending, int64_t dead, int64_t queued)
{
	return max_events > 0 && pending + dead + queued >= max_events;
}

/* The backends' threads sleep on it: their timers must not jump with the wall clock. */
void
spool_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

void
spool_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t mono)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(mono / 1000);
	ts.tv_nsec = (long)(mono % 1000) * 1000000;
	pthread_cond_timedwait(cv, mu, &ts);
}

/* ---- the spool command's half ---- */

enum pd_err
spool_admin_open(const struct pd_config *cfg, struct spool_admin **out)
{
	const struct spool_admin_backend *b = spool_backends[cfg->spool_backend]->admin;
	struct spool_admin *a;
	void *impl;
	enum pd_err err;

	*out = NULL;
	if ((err = b->open(cfg, &impl)) != PD_OK)
		return err;
	a = xcalloc(1, sizeof *a);
	a->b = b;
	a->impl = impl;
	*out = a;
	return PD_OK;
}

void
spool_admin_close(struct spool_admin *a)
{
	if (a == NULL)
		return;
	a->b->close(a->impl);
	free(a);
}

const char *
spool_admin_where(struct spool_admin *a)
{
	return a->b->where(a->impl);
}

enum pd_err
spool_admin_status(struct spool_admin *a, int64_t now, struct spool_status *out)
{
	return a->b->status(a->impl, now, out);
}

void
spool_status_free(struct spool_status *st)
{
	size_t i;

	for (i = 0; i < st->nreasons; i++)
		free(st->reasons[i].reason);
	free(st->reasons);
	memset(st, 0, sizeof *st);
}

enum pd_err
spool_admin_list(struct spool_admin *a, const struct spool_filter *f, struct spool_event ***out,
                 size_t *n, int *more)
{
	return a->b->list(a->impl, f, out, n, more);
}

enum pd_err
spool_admin_find(struct spool_admin *a, const char *id, int with_payload, struct spool_event **out)
{
	return a->b->find(a->impl, id, with_payload, out);
}

enum pd_err
spool_admin_retry(struct spool_admin *a, const struct spool_filter *f, size_t *n)
{
	return a->b->retry(a->impl, f, n);
}

enum pd_err
spool_admin_purge(struct spool_admin *a, const struct spool_filter *f, size_t *n)
{
	return a->b->purge(a->impl, f, n);
}
