/*
 * redis.c: the spool's Redis backend, for several replicas of serve behind
 * one load balancer sharing one spool (spool.backend: redis). Any replica
 * takes a webhook and answers 202 once Redis has the event; one replica at
 * a time, the lease holder, delivers to StackStorm. This file is the
 * daemon's half's face: open and close, what the other threads call
 * (submissions, outcomes, meta writes: queued) and the reads. The loop
 * thread's async connection, which stores submissions, is in
 * redis_submit.c; the background thread with the lease and the outcomes
 * in redis_lease.c; redis.h is what the three share. spool/redis_admin.c
 * is the spool command's half, redis_scripts.c has the Lua and the key
 * layout, redis_conn.c what both halves share.
 *
 * DESIGN
 *
 * Shape. One Redis primary (with replicas and Sentinel for failover, the
 * way stackstorm-ha already runs it) holds everything; no partitioning,
 * no Redis Cluster. The spool's traffic is a few commands per event, far
 * below what one Redis serves, and one primary gives what the promises
 * need for free: one counter (INCR seq) orders every event of every
 * replica, and a Lua script is atomic across replicas. Streams with a
 * consumer group were the other candidate; they hand each entry to one
 * consumer, but per-incident order needs one reader of a key at a time
 * anyway, pending-entry claims would duplicate what the lease does, and
 * dedup, dead letters, `spool retry` and `spool find` need keyed records
 * beside the log. So the layout mirrors the SQLite spool's tables: a small
 * hash per event and its payload apart, id keys for dedup, sorted sets per
 * state (redis_scripts.c).
 *
 * Reading. The forwarder fetches (one script: ZRANGEBYSCORE pending after
 * its last seq, and the hashes) and the sensor reads its cursor on a
 * third, blocking connection under a mutex: those callers run on threads
 * of their own and may wait for Redis, which the loop thread never may,
 * and a fetch does not queue behind the background thread's outcomes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "redis.h"

/* ---- what redis_submit.c and redis_lease.c use too ---- */

/* A key under the prefix; caller frees. */
char *
redis_key(const struct redis_spool *s, const char *name)
{
	return xasprintf("%s%s", s->t.prefix, name);
}

/*
 * Sets the states submit() and writable() read (-1 leaves one as it is).
 * Until the first connection is made or fails, submissions are taken and
 * wait in hiredis's buffer: `poll --once` submits before its loop runs.
 */
void
redis_set_state(struct redis_spool *s, int up, int write_ok)
{
	pthread_mutex_lock(&s->mu);
	if (up >= 0) {
		s->up = up;
		s->down = !up;
	}
	if (write_ok >= 0)
		s->write_ok = write_ok;
	pthread_mutex_unlock(&s->mu);
}

redisContext *
redis_link_get(struct redis_spool *s, struct redis_link *l)
{
	char *why;

	if (l->c != NULL || mono_ms() < l->due)
		return l->c;
	if ((l->c = redis_connect(&s->t, REDIS_TIMEOUT_MS, &why)) == NULL) {
		log_debug("spool: redis %s: %s", s->t.where, why);
		free(why);
		l->due = mono_ms() + REDIS_RETRY_MS;
	}
	return l->c;
}

void
redis_link_drop(struct redis_link *l)
{
	redisFree(l->c);
	l->c = NULL;
	l->due = mono_ms() + REDIS_RETRY_MS;
}

/* ---- the interface ---- */

/* Hands an outcome (spool_base_*) to the background thread. */
static void
redis_queue_outcome(struct spool_base *b, struct spool_op *op)
{
	struct redis_spool *s = (struct redis_spool *)b;

	pthread_mutex_lock(&s->mu);
	oplist_add(&s->outcomes, op);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Opens the spool: no connection yet (Redis may be down: serve starts all the same). */
static enum pd_err
redis_spool_open(const struct pd_config *cfg, void **out)
{
	struct redis_spool *s = xcalloc(1, sizeof *s);
	unsigned char rnd[16];

	*out = NULL;
	s->head.queue_outcome = redis_queue_outcome;
	if (redis_target_init(cfg, &s->t) != PD_OK) {
		free(s);
		return PD_ERR_CONFIG;
	}
	s->max_events = cfg->spool_max_events;
	s->wait_replicas = cfg->spool_redis_wait_replicas;
	s->wait_timeout_ms = cfg->spool_redis_wait_timeout_ms;
	crypto_random(rnd, sizeof rnd);
	crypto_hex(s->token, sizeof s->token, rnd, sizeof rnd);
	redis_script_sha(REDIS_SUBMIT); /* all the hashes, now rather than on a request */
	s->write_ok = 1;
	oplist_init(&s->sent);
	oplist_init(&s->waiting);
	oplist_init(&s->retained);
	oplist_init(&s->inbox);
	oplist_init(&s->outcomes);
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->smu, NULL);
	spool_cond_init(&s->cv);
	log_debug("spool: redis %s", s->t.where);
	*out = s;
	return PD_OK;
}

/* Connects on the base's loop and starts the background thread. */
static enum pd_err
redis_spool_start(void *self)
{
	struct redis_spool *s = self;
	int rc;

	redis_submit_start(s);
	if ((rc = pthread_create(&s->thread, NULL, redis_thread, s)) != 0) {
		log_error("spool: cannot start the redis thread: %s", strerror(rc));
		return PD_ERR_SPOOL_IO;
	}
	return PD_OK;
}

/* After a failed request on the fetch connection: drop it, unless Redis only said no. */
static void
redis_sc_check(struct redis_spool *s, redisReply *r)
{
	if (r == NULL || redis_error_transient(redis_reply_error(r)))
		redis_link_drop(&s->sc);
}

/* Writes queued meta values while closing, when the loop no longer runs. */
static void
redis_meta_now(struct redis_spool *s, struct spool_op *op)
{
	char *hash = redis_key(s, "meta");
	redisReply *r = NULL;

	pthread_mutex_lock(&s->smu);
	if (redis_link_get(s, &s->sc) != NULL) {
		r = redis_call(s->sc.c, "HSET", hash, op->key, op->text, NULL);
		redis_sc_check(s, r);
	}
	pthread_mutex_unlock(&s->smu);
	op->result = r != NULL && redis_reply_error(r) == NULL ? PD_OK : PD_ERR_SPOOL_IO;
	freeReplyObject(r);
	free(hash);
}

/* Stops: outcomes get one more try, the lease is given up, the rest is answered 503. */
static void
redis_spool_close(void *self)
{
	struct redis_spool *s = self;
	struct spool_op *op, *next;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->head.started)
		pthread_join(s->thread, NULL);
	spool_op_free_list(oplist_take(&s->outcomes));

	pthread_mutex_lock(&s->mu);
	op = oplist_take(&s->inbox);
	pthread_mutex_unlock(&s->mu);
	for (; op != NULL; op = next) {
		next = op->next;
		if (op->type == OP_META)
			redis_meta_now(s, op);
		else
			op->result = PD_ERR_SPOOL_IO;
		redis_finish(s, op);
	}
	redis_submit_stop(s);
	redisFree(s->bc.c);
	redisFree(s->sc.c);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->smu);
	redis_target_free(&s->t);
	free(s);
}

/* Queues op for the loop thread, mu held; whether the loop must be woken for it. */
static int
redis_inbox_add(struct redis_spool *s, struct spool_op *op)
{
	int wake = s->inbox.head == NULL && s->inbox_ev != NULL;

	oplist_add(&s->inbox, op);
	return wake;
}

/* Queues ev for the loop to send; refused at once while Redis is away or the spool full. */
static enum pd_err
redis_spool_submit(void *self, struct spool_event *ev, spool_commit_cb *cb, void *arg)
{
	struct redis_spool *s = self;
	enum pd_err err = PD_OK;
	int wake;

	pthread_mutex_lock(&s->mu);
	if (s->closing || s->down || s->inbox_ev == NULL)
		err = PD_ERR_SPOOL_IO;
	else if (spool_full(s->max_events, s->stats.pending, s->stats.dead, s->queued))
		err = PD_ERR_SPOOL_FULL;
	if (err != PD_OK) {
		pthread_mutex_unlock(&s->mu);
		spool_event_free(ev);
		return err;
	}
	s->queued++;
	wake = redis_inbox_add(s, spool_op_submit(ev, cb, arg));
	pthread_mutex_unlock(&s->mu);
	if (wake)
		event_active(s->inbox_ev, EV_READ, 0);
	return PD_OK;
}

/*
 * Queues HSET P meta key value behind the submissions queued before it, so
 * that a cursor is never stored ahead of the events it has passed.
 */
static void
redis_spool_meta_set(void *self, const char *key, const char *value, spool_commit_cb *cb, void *arg)
{
	struct redis_spool *s = self;
	struct spool_op *op = spool_op_meta(key, value, cb, arg);
	int wake;

	pthread_mutex_lock(&s->mu);
	wake = redis_inbox_add(s, op);
	pthread_mutex_unlock(&s->mu);
	if (wake)
		event_active(s->inbox_ev, EV_READ, 0);
}

/* Pending events after a seq, in seq order, on the fetch connection. */
static size_t
redis_spool_fetch(void *self, int64_t after, size_t max, struct spool_event ***out)
{
	struct redis_spool *s = self;
	const char *argv[3 + 16];
	char afterbuf[24], maxbuf[24];
	struct spool_event **v = NULL;
	redisReply *r = NULL;
	size_t i, n = 0, stride = redis_nevent_fields + 2; /* seq, payload, the fields */
	long long seq;

	*out = NULL;
	if (max == 0)
		return 0;
	snprintf(afterbuf, sizeof afterbuf, "%lld", (long long)after);
	snprintf(maxbuf, sizeof maxbuf, "%zu", max);
	argv[0] = s->t.prefix;
	argv[1] = afterbuf;
	argv[2] = maxbuf;
	for (i = 0; i < redis_nevent_fields; i++)
		argv[3 + i] = redis_event_fields[i];
	pthread_mutex_lock(&s->smu);
	if (redis_link_get(s, &s->sc) != NULL) {
		r = redis_call_script(s->sc.c, REDIS_FETCH, (int)(3 + redis_nevent_fields), argv,
		                      NULL);
		redis_sc_check(s, r);
	}
	pthread_mutex_unlock(&s->smu);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL)
			log_error("spool: redis %s: fetch: %s", s->t.where,
			          r->type == REDIS_REPLY_ERROR ? r->str : "unexpected answer");
		freeReplyObject(r);
		return 0;
	}
	for (i = 0; i + stride <= r->elements; i += stride) {
		if (r->element[i]->type != REDIS_REPLY_STRING)
			continue;
		seq = strtoll(r->element[i]->str, NULL, 10);
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = redis_event_from(seq, r->element + i + 2, r->element[i + 1]);
	}
	freeReplyObject(r);
	*out = v;
	return n;
}

/* A stored meta value, or NULL. */
static char *
redis_spool_meta_get(void *self, const char *key)
{
	struct redis_spool *s = self;
	char *hash = redis_key(s, "meta"), *v = NULL;
	redisReply *r = NULL;

	pthread_mutex_lock(&s->smu);
	if (redis_link_get(s, &s->sc) != NULL) {
		r = redis_call(s->sc.c, "HGET", hash, key, NULL);
		redis_sc_check(s, r);
	}
	pthread_mutex_unlock(&s->smu);
	if (r != NULL && r->type == REDIS_REPLY_STRING)
		v = xstrndup(r->str, r->len);
	else if (r == NULL || r->type == REDIS_REPLY_ERROR)
		log_error("spool: redis %s: reading %s: %s", s->t.where, key,
		          r != NULL ? r->str : "no connection");
	freeReplyObject(r);
	free(hash);
	return v;
}

/* The counters the background thread read last (at most REDIS_STATS_MS old). */
static void
redis_spool_stats(void *self, struct spool_stats *out)
{
	struct redis_spool *s = self;

	pthread_mutex_lock(&s->mu);
	*out = s->stats;
	pthread_mutex_unlock(&s->mu);
}

/* 1 while the connection is up and the last write went through. */
static int
redis_spool_writable(void *self)
{
	struct redis_spool *s = self;
	int ok;

	pthread_mutex_lock(&s->mu);
	ok = s->up && s->write_ok;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

/* The epoch while this process holds the lease, else 0. */
static unsigned long
redis_spool_leader(void *self)
{
	struct redis_spool *s = self;
	unsigned long epoch;

	pthread_mutex_lock(&s->mu);
	epoch = mono_ms() < s->lease_until ? s->epoch : 0;
	pthread_mutex_unlock(&s->mu);
	return epoch;
}

/* The daemon's half of the Redis backend; spool/redis_admin.c has the command's. */
const struct spool_backend spool_redis = {
    .name = "redis",
    .open = redis_spool_open,
    .start = redis_spool_start,
    .close = redis_spool_close,
    .submit = redis_spool_submit,
    .delivered = spool_base_delivered,
    .retry_later = spool_base_retry_later,
    .dead = spool_base_dead,
    .prune = spool_base_prune,
    .fetch = redis_spool_fetch,
    .meta_set = redis_spool_meta_set,
    .meta_get = redis_spool_meta_get,
    .stats = redis_spool_stats,
    .writable = redis_spool_writable,
    .leader = redis_spool_leader,
    .admin = &spool_redis_admin,
};
